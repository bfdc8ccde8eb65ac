/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame classification: a bounds-checked parse of Ethernet (up to two VLAN
 * tags), IPv4 (options, fragments), IPv6 (extension chain) and the L4 header
 * into per-packet metadata kept in the mbuf private area. The RX lcore parses
 * once; the compare lcore only reads the metadata. Comparison is elsewhere.
 */
#ifndef COLO_PKT_H
#define COLO_PKT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_mbuf.h>

#include "colo_stats.h"

/** Which VM a frame came from. */
enum colo_side {
	COLO_SIDE_PRIMARY = 0,
	COLO_SIDE_SECONDARY = 1,
};

/** What the parser made of a frame. */
enum colo_pkt_class {
	COLO_CLASS_IP = 0,	/**< IPv4 or IPv6, headers valid, key filled */
	COLO_CLASS_NONIP = 1,	/**< well-formed Ethernet, not IP (ARP, LLDP...) */
	COLO_CLASS_MALFORMED = 2, /**< a length or field lies; see parse_err */
};

/** Metadata flags. */
#define COLO_PKT_F_FRAG 0x01	/**< IPv4 fragment or IPv6 fragment header */
#define COLO_PKT_F_VLAN 0x02	/**< at least one VLAN tag */
#define COLO_PKT_F_TCP_SYN 0x04
#define COLO_PKT_F_TCP_FIN 0x08
#define COLO_PKT_F_TCP_RST 0x10
#define COLO_PKT_F_TCP_ACK 0x20
#define COLO_PKT_F_COMPARED 0x40 /**< compare lcore: bytes took part in a comparison */
#define COLO_PKT_F_HELD_ACK 0x80 /**< compare lcore: held by the TCP ACK rule (counted once) */

/**
 * Connection key, taken as the frame has it (no direction normalisation,
 * so both directions of a flow have their own key). Zero-filled before use so that hashing
 * and memcmp are stable.
 */
struct colo_key {
	uint8_t src[16];	/**< IPv4 in the first 4 bytes, rest zero */
	uint8_t dst[16];
	uint16_t sport;		/**< network order; SPI high half for ESP/AH */
	uint16_t dport;		/**< network order; SPI low half for ESP/AH */
	uint16_t vlan_outer;	/**< VLAN ID (12 bits), 0 when untagged */
	uint16_t vlan_inner;
	uint8_t proto;		/**< IPPROTO_*; ethertype class for non-IP */
	uint8_t family;		/**< 4, 6, or 0 for non-IP */
	uint16_t ether_type;	/**< set for non-IP keys only, else 0 */
	/**
	 * Always zero. It makes the key 48 bytes, a length rte_hash compares
	 * inline with SSE; at 44 it called memcmp() once per lookup hit (libc's
	 * memcmp was 4.4 % of the compare lcore: perf cpu-clock, colo-bench 64 B
	 * TCP, AMD EPYC 2 vCPU KVM, 2026-11-26).
	 */
	uint8_t pad[4];
} __rte_aligned(8); /* rte_hash_crc() reads it in 8-byte words, wherever it is embedded */

/**
 * Per-packet metadata in the mbuf private area. Written by the RX lcore
 * (colo_pkt_classify) and read by the compare lcore; the compare lcore also
 * links queued packets through @c next.
 */
struct colo_pkt_meta {
	struct colo_key key;
	uint32_t hash;		/**< rte_hash signature of key, computed once */
	uint32_t epoch;		/**< checkpoint epoch when received */
	uint64_t arrival_tsc;	/**< TSC at RX */
	struct rte_mbuf *next;	/**< next packet in a connection queue */
	uint32_t tcp_seq;	/**< host order */
	uint32_t tcp_ack;	/**< host order */
	uint16_t l3_off;	/**< offset of the IP header */
	uint16_t l4_off;	/**< offset of the L4 header */
	uint16_t payload_off;	/**< offset of the L4 payload */
	uint16_t payload_len;	/**< from the IP length: padding excluded */
	uint16_t l3_end;	/**< offset one past the IP datagram */
	uint8_t class;		/**< enum colo_pkt_class */
	uint8_t parse_err;	/**< enum colo_parse_err when MALFORMED */
	uint8_t side;		/**< enum colo_side */
	uint8_t flags;		/**< COLO_PKT_F_* */
	uint8_t l4proto;	/**< IPPROTO_* (same as key.proto for IP) */
};

/** Bytes the mempool must reserve per mbuf for colo metadata. */
#define COLO_PKT_PRIV_SIZE RTE_ALIGN(sizeof(struct colo_pkt_meta), RTE_MBUF_PRIV_ALIGN)

/** The metadata of @p m; the mbuf must come from a pool with COLO_PKT_PRIV_SIZE. */
static inline struct colo_pkt_meta *
colo_pkt_meta(const struct rte_mbuf *m)
{
	return (struct colo_pkt_meta *)rte_mbuf_to_priv((struct rte_mbuf *)(uintptr_t)m);
}

/**
 * Parse @p m and fill its metadata: class, offsets, key and its hash, TCP
 * fields, side, epoch and arrival time. Headers may span mbuf segments.
 *
 * @return the class; a MALFORMED frame has meta->parse_err set and the reason
 *   counted in @p st.
 */
enum colo_pkt_class colo_pkt_classify(struct rte_mbuf *m, enum colo_side side, uint32_t epoch,
		uint64_t now_tsc, struct colo_stats *st);

/**
 * colo_pkt_classify() for @p n frames of one side: the same metadata, in
 * less time (the data path's entry point). Never fails as a whole.
 */
void colo_pkt_classify_burst(struct rte_mbuf **pkts, unsigned int n, enum colo_side side,
		uint32_t epoch, uint64_t now_tsc, struct colo_stats *st);

/** Whether @p m has been found IPv4/IPv6 with valid headers. */
static inline bool
colo_pkt_is_ip(const struct rte_mbuf *m)
{
	return colo_pkt_meta(m)->class == COLO_CLASS_IP;
}

/** Length of a TCP segment in sequence space: payload plus SYN and FIN. */
static inline uint32_t
colo_pkt_tcp_seq_len(const struct colo_pkt_meta *pm)
{
	return pm->payload_len + !!(pm->flags & COLO_PKT_F_TCP_SYN) +
		!!(pm->flags & COLO_PKT_F_TCP_FIN);
}

/** Hash of @p key as the connection table uses it; safe from any lcore. */
static inline uint32_t
colo_key_hash(const struct colo_key *key)
{
	return rte_hash_crc(key, sizeof(*key), 0);
}

/**
 * A hash of @p key that is the same for both directions of a connection
 * (addresses and ports swapped): it picks the compare shard, so a future
 * two-direction engine (the rewriter) finds both directions on one shard.
 * Not the table hash: XOR-folding makes it weaker, and it need not be strong.
 */
static inline uint32_t
colo_key_hash_symmetric(const struct colo_key *key)
{
	uint32_t s, d, h = (uint32_t)key->proto << 16 | key->family;
	unsigned int i, nb_words = key->family == 6 ? 4 : 1;

	for (i = 0; i < nb_words; i++) {
		memcpy(&s, key->src + 4 * i, sizeof(s));
		memcpy(&d, key->dst + 4 * i, sizeof(d));
		h = rte_hash_crc_4byte(s ^ d, h);
	}
	h = rte_hash_crc_4byte((uint32_t)(key->sport ^ key->dport) << 16 | key->ether_type, h);
	return rte_hash_crc_4byte((uint32_t)key->vlan_outer << 16 | key->vlan_inner, h);
}

/** What the key, the engines and the reports make of an IP protocol number. */
enum colo_proto_class {
	COLO_PROTO_OTHER = 0, /**< no ports in the key (GRE, unknown): "other" engine */
	COLO_PROTO_TCP,	      /**< TCP engine */
	COLO_PROTO_UDP,	      /**< UDP engine */
	COLO_PROTO_ICMP,      /**< ICMP and ICMPv6: ICMP engine */
	COLO_PROTO_PORTS,     /**< SCTP, DCCP, UDP-Lite: ports in the key, "other" engine */
	COLO_PROTO_SPI,	      /**< ESP, AH: the SPI in the key's port fields, "other" engine */
};

/** One IP protocol: the one table behind names, key formats, engines and histograms. */
struct colo_proto {
	const char *name; /**< in logs, telemetry, keys and bypass rules; NULL: "proto N" */
	uint8_t class;	  /**< enum colo_proto_class */
};

/** Every IP protocol number, indexed by it. */
extern const struct colo_proto colo_protos[256];

/** Class of IP protocol @p proto. */
static inline enum colo_proto_class
colo_proto_class(uint8_t proto)
{
	return (enum colo_proto_class)colo_protos[proto].class;
}

/** Whether a key of IP protocol @p proto carries real ports (not an SPI, not nothing). */
static inline bool
colo_proto_has_ports(uint8_t proto)
{
	enum colo_proto_class c = colo_proto_class(proto);

	return c == COLO_PROTO_TCP || c == COLO_PROTO_UDP || c == COLO_PROTO_PORTS;
}

/** Format @p key as "tcp 10.0.0.1:80 > 10.0.0.2:3333 vlan 5" into @p buf. */
int colo_key_format(const struct colo_key *key, char *buf, size_t len);

/**
 * Parse the text colo_key_format() writes back into @p key.
 *
 * @return 0, or -EINVAL when @p text is not exactly such a text.
 */
int colo_key_parse(const char *text, struct colo_key *key);

#endif /* COLO_PKT_H */
