/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test frame builder shared by the unit suites and tests/gen/gen_pcaps.c:
 * Ethernet (0-2 VLAN tags) + IPv4/IPv6 + TCP/UDP/ICMP/GRE/raw, or ARP, with
 * valid checksums, plus the EAL and mempool boilerplate of a unit test.
 * Malformed frames are made by patching bytes of well-formed ones.
 */
#ifndef COLO_TEST_FRAMES_H
#define COLO_TEST_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

/** What frame_build() writes. Zero fields take the defaults noted. */
struct frame_spec {
	int family;	       /**< 4 or 6; 0 builds an ARP request */
	uint8_t proto;	       /**< IPPROTO_TCP, _UDP, _ICMP, _ICMPV6, _GRE, or any other */
	const char *src, *dst; /**< textual IP; NULL = 10.0.0.1/10.0.0.2 or fd00::1/fd00::2 */
	uint16_t sport, dport; /**< host order */
	uint8_t nb_vlan;       /**< 0..2 */
	uint16_t vlan[2];      /**< VLAN IDs, outer first; outer TPID 0x88a8 when nb_vlan == 2 */
	uint8_t ttl;	       /**< TTL or hop limit; 0 = 64 */
	uint16_t ip_id;	       /**< IPv4 only */
	uint32_t seq, ack;     /**< TCP, host order */
	uint8_t tcp_flags;     /**< RTE_TCP_*_FLAG bits; 0 = ACK only */
	uint16_t window;       /**< 0 = 65535 */
	const uint8_t *tcp_opts;
	uint8_t tcp_opts_len; /**< multiple of 4 */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq;
	const void *payload; /**< NULL = byte i is (i & 0xff) */
	uint16_t payload_len;
	uint16_t pad;	    /**< zero bytes of Ethernet padding after the IP datagram */
	uint8_t src_mac[6]; /**< all-zero = 02:00:00:00:00:01 */
	uint8_t dst_mac[6]; /**< all-zero = 02:00:00:00:00:02 (ARP: broadcast) */
};

/**
 * Write the frame into @p buf. Checksums (IPv4 header, TCP, UDP, ICMP,
 * ICMPv6) are correct. A protocol other than TCP/UDP/ICMP/ICMPv6/GRE gets
 * the payload right after the IP header; GRE gets a 4-byte header (flags 0,
 * protocol 0x0800) before it.
 *
 * @return the frame length, or 0 if @p cap is too small or the spec invalid.
 */
size_t frame_build(const struct frame_spec *s, uint8_t *buf, size_t cap);

/** Copy @p len bytes into a new single-segment mbuf from @p mp; NULL on failure. */
struct rte_mbuf *frame_mbuf(struct rte_mempool *mp, const uint8_t *buf, size_t len);

/** frame_build() + frame_mbuf(). */
struct rte_mbuf *frame_make(struct rte_mempool *mp, const struct frame_spec *s);

/**
 * The exit code of a unit test that cannot run (EAL does not start): 77
 * (meson's "skipped"), or 1 under CI=true or COLO_REQUIRE_ALL=1, where a
 * skip is a failure. Prints one line naming @p name and @p why.
 */
int frames_skip(const char *name, const char *why);

/**
 * EAL init for unit tests: --no-huge --no-pci --no-shconf --no-telemetry
 * -m 256 --file-prefix=unit_<name>, logs quiet. Exits with frames_skip()'s
 * code when the EAL cannot start.
 *
 * @return 0.
 */

int frames_eal_init(const char *name);

/** A pktmbuf pool of @p n mbufs with COLO_PKT_PRIV_SIZE private bytes; NULL on failure. */
struct rte_mempool *frames_pool(const char *name, unsigned int n);

#endif /* COLO_TEST_FRAMES_H */
