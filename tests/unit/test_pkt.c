/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit suite of lib/colo_pkt.c: exact offsets, key fields and flags of
 * well-formed frames, identical results for chained mbufs, and one exact
 * reason and counter per malformed class (built by patching good frames).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_tcp.h>

#include "colo_pkt.h"
#include "colo_stats.h"
#include "frames.h"
#include "unit.h"

#define ETH 14
#define IP4 20
#define IP6 40
#define TCPH 20
#define UDPH 8
#define BUF_SIZE 2048

#define TEST_EPOCH 7
#define TEST_TSC 123456789ULL

static struct rte_mempool *pool;
static struct colo_stats stats;

/* Classify @p len bytes of @p buf as a primary frame and return a copy of the metadata. */
static struct colo_pkt_meta
classify(const uint8_t *buf, size_t len)
{
	struct colo_pkt_meta pm;
	struct rte_mbuf *m;

	m = frame_mbuf(pool, buf, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	/* Stale metadata from an earlier user of the mbuf must not leak into the result. */
	memset(colo_pkt_meta(m), 0xa5, sizeof(struct colo_pkt_meta));
	colo_pkt_classify(m, COLO_SIDE_PRIMARY, TEST_EPOCH, TEST_TSC, &stats);
	pm = *colo_pkt_meta(m);
	rte_pktmbuf_free(m);
	return pm;
}

static size_t
build(const struct frame_spec *s, uint8_t *buf)
{
	size_t len = frame_build(s, buf, BUF_SIZE);

	CU_ASSERT_FATAL(len != 0);
	return len;
}

static void
set16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
assert_v4_addrs(const struct colo_key *k, const char *src, const char *dst)
{
	uint8_t a[16] = { 0 }, b[16] = { 0 };

	CU_ASSERT_FATAL(inet_pton(AF_INET, src, a) == 1);
	CU_ASSERT_FATAL(inet_pton(AF_INET, dst, b) == 1);
	CU_ASSERT(memcmp(k->src, a, 16) == 0);
	CU_ASSERT(memcmp(k->dst, b, 16) == 0);
}

static void
assert_v6_addrs(const struct colo_key *k, const char *src, const char *dst)
{
	uint8_t a[16], b[16];

	CU_ASSERT_FATAL(inet_pton(AF_INET6, src, a) == 1);
	CU_ASSERT_FATAL(inet_pton(AF_INET6, dst, b) == 1);
	CU_ASSERT(memcmp(k->src, a, 16) == 0);
	CU_ASSERT(memcmp(k->dst, b, 16) == 0);
}

/* What every classified frame carries, whatever its class. */
static void
assert_common(const struct colo_pkt_meta *pm)
{
	CU_ASSERT_EQUAL(pm->side, COLO_SIDE_PRIMARY);
	CU_ASSERT_EQUAL(pm->epoch, TEST_EPOCH);
	CU_ASSERT_EQUAL(pm->arrival_tsc, TEST_TSC);
	CU_ASSERT_PTR_NULL(pm->next);
	CU_ASSERT_EQUAL(pm->hash, colo_key_hash(&pm->key));
}

static void
assert_ip(const struct colo_pkt_meta *pm, uint8_t family, uint8_t proto, uint16_t sport,
		uint16_t dport)
{
	assert_common(pm);
	CU_ASSERT_EQUAL(pm->class, COLO_CLASS_IP);
	CU_ASSERT_EQUAL(pm->parse_err, COLO_PARSE_OK);
	CU_ASSERT_EQUAL(pm->key.family, family);
	CU_ASSERT_EQUAL(pm->key.proto, proto);
	CU_ASSERT_EQUAL(pm->l4proto, proto);
	CU_ASSERT_EQUAL(pm->key.sport, htons(sport));
	CU_ASSERT_EQUAL(pm->key.dport, htons(dport));
	CU_ASSERT_EQUAL(pm->key.ether_type, 0);
}

static void
assert_offsets(const struct colo_pkt_meta *pm, uint16_t l3, uint16_t l4, uint16_t pay,
		uint32_t pay_len)
{
	CU_ASSERT_EQUAL(pm->l3_off, l3);
	CU_ASSERT_EQUAL(pm->l4_off, l4);
	CU_ASSERT_EQUAL(pm->payload_off, pay);
	CU_ASSERT_EQUAL(pm->payload_len, pay_len);
	CU_ASSERT_EQUAL(pm->l3_end, pay + pay_len);
}

static void
test_ipv4_tcp(void)
{
	struct frame_spec s = {
		.family = 4,
		.proto = IPPROTO_TCP,
		.sport = 80,
		.dport = 40000,
		.seq = 0xfffffff0,
		.ack = 2000,
		.tcp_flags = RTE_TCP_PSH_FLAG | RTE_TCP_ACK_FLAG,
		.payload_len = 100,
	};
	uint8_t buf[BUF_SIZE];
	struct colo_pkt_meta pm;
	size_t len = build(&s, buf);

	pm = classify(buf, len);
	assert_ip(&pm, 4, IPPROTO_TCP, 80, 40000);
	assert_v4_addrs(&pm.key, "10.0.0.1", "10.0.0.2");
	assert_offsets(&pm, ETH, ETH + IP4, ETH + IP4 + TCPH, 100);
	CU_ASSERT_EQUAL(pm.tcp_seq, 0xfffffff0);
	CU_ASSERT_EQUAL(pm.tcp_ack, 2000);
	CU_ASSERT_EQUAL(pm.flags, COLO_PKT_F_TCP_ACK);
	CU_ASSERT_EQUAL(pm.key.vlan[0], 0);
	CU_ASSERT_EQUAL(pm.key.vlan[1], 0);
	CU_ASSERT_EQUAL(colo_pkt_tcp_seq_len(&pm), 100);
}

static void
test_tcp_flags(void)
{
	static const struct {
		uint8_t tcp;
		uint8_t meta;
	} cases[] = {
		{ RTE_TCP_SYN_FLAG, COLO_PKT_F_TCP_SYN },
		{ RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, COLO_PKT_F_TCP_SYN | COLO_PKT_F_TCP_ACK },
		{ RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, COLO_PKT_F_TCP_FIN | COLO_PKT_F_TCP_ACK },
		{ RTE_TCP_RST_FLAG, COLO_PKT_F_TCP_RST },
		{ RTE_TCP_PSH_FLAG | RTE_TCP_URG_FLAG, 0 },
	};
	uint8_t buf[BUF_SIZE];
	struct colo_pkt_meta pm;
	unsigned int i;

	for (i = 0; i < RTE_DIM(cases); i++) {
		struct frame_spec s = {
			.family = 4,
			.proto = IPPROTO_TCP,
			.sport = 1,
			.dport = 2,
			.tcp_flags = cases[i].tcp,
		};

		pm = classify(buf, build(&s, buf));
		CU_ASSERT_EQUAL(pm.class, COLO_CLASS_IP);
		CU_ASSERT_EQUAL(pm.flags, cases[i].meta);
		CU_ASSERT_EQUAL(pm.payload_len, 0);
	}
	/* A SYN and a FIN each take one sequence number. */
	CU_ASSERT_EQUAL(colo_pkt_tcp_seq_len(&(struct colo_pkt_meta){ .payload_len = 3,
					.flags = COLO_PKT_F_TCP_SYN | COLO_PKT_F_TCP_FIN }),
			5);
}

static void
test_ipv4_tcp_options_in_data_offset(void)
{
	static const uint8_t opts[12] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2 };
	struct frame_spec s = {
		.family = 4,
		.proto = IPPROTO_TCP,
		.sport = 80,
		.dport = 40000,
		.tcp_opts = opts,
		.tcp_opts_len = sizeof(opts),
		.payload_len = 10,
	};
	uint8_t buf[BUF_SIZE];
	struct colo_pkt_meta pm = classify(buf, build(&s, buf));

	assert_ip(&pm, 4, IPPROTO_TCP, 80, 40000);
	assert_offsets(&pm, ETH, ETH + IP4, ETH + IP4 + TCPH + 12, 10);
}

static void
test_ipv4_udp(void)
{
	struct frame_spec s = {
		.family = 4,
		.proto = IPPROTO_UDP,
		.src = "192.168.1.10",
		.dst = "192.168.1.20",
		.sport = 5353,
		.dport = 53,
		.payload_len = 33,
	};
	uint8_t buf[BUF_SIZE];
	struct colo_pkt_meta pm = classify(buf, build(&s, buf));

	assert_ip(&pm, 4, IPPROTO_UDP, 5353, 53);
	assert_v4_addrs(&pm.key, "192.168.1.10", "192.168.1.20");
	assert_offsets(&pm, ETH, ETH + IP4, ETH + IP4 + UDPH, 33);
	CU_ASSERT_EQUAL(pm.flags, 0);
	CU_ASSERT_EQUAL(pm.tcp_seq, 0);
}

static void
test_ipv4_icmp(void)
{
	struct frame_spec s = {
		.family = 4,
		.proto = IPPROTO_ICMP,
		.icmp_type = 8,
		.icmp_id = 77,
		.icmp_seq = 1,
		.payload_len = 56,
	};
	uint8_t buf[BUF_SIZE];
	struct colo_pkt_meta pm = classify(buf, build(&s, buf));

	assert_ip(&pm, 4, IPPROTO_ICMP, 0, 0);
	assert_offsets(&pm, ETH, ETH + IP4, ETH + IP4 + 8, 56);
}

static void
test_ipv4_gre_whole_l4_is_payload(void)
{
	struct frame_spec s = { .family = 4, .proto = IPPROTO_GRE, .payload_len = 40 };
	uint8_t buf[BUF_SIZE];
	struct colo_pkt_meta pm = classify(buf, build(&s, buf));

	assert_ip(&pm, 4, IPPROTO_GRE, 0, 0);
	assert_offsets(&pm, ETH, ETH + IP4, ETH + IP4, 4 + 40);
}

/* Insert @p n bytes of IPv4 options (NOPs then EOL) after the fixed header. */
static size_t
ip4_add_options(uint8_t *buf, size_t len, uint16_t l3, unsigned int n)
{
	uint8_t *ip = buf + l3;

	memmove(ip + IP4 + n, ip + IP4, len - l3 - IP4);
	memset(ip + IP4, 1, n - 1);
	ip[IP4 + n - 1] = 0;
	ip[0] = 0x40 | (uint8_t)((IP4 + n) / 4);
	set16(ip + 2, (uint16_t)(get16(ip + 2) + n));
	return len + n;
}

static void
test_ipv4_options_move_l4(void)
{
	struct frame_spec s = {
		.family = 4,
		.proto = IPPROTO_UDP,
		.sport = 1000,
		.dport = 2000,
		.payload_len = 20,
	};
	uint8_t buf[BUF_SIZE];
	struct colo_pkt_meta pm;
	size_t len = build(&s, buf);

	len = ip4_add_options(buf, len, ETH, 12);
	pm = classify(buf, len);
	assert_ip(&pm, 4, IPPROTO_UDP, 1000, 2000);
	assert_offsets(&pm, ETH, ETH + IP4 + 12, ETH + IP4 + 12 + UDPH, 20);

	/* The largest IHL (60 bytes of header). */
	len = build(&s, buf);
	len = ip4_add_options(buf, len, ETH, 40);
	pm = classify(buf, len);
	assert_ip(&pm, 4, IPPROTO_UDP, 1000, 2000);
	assert_offsets(&pm, ETH, ETH + 60, ETH + 60 + UDPH, 20);
}

static void
test_ipv4_fragment_flagged_without_ports(void)
{
	struct frame_spec s = {
		.family = 4,
		.proto = IPPROTO_UDP,
		.sport = 1000,
		.dport = 2000,
		.payload_len = 100,
	};
	uint8_t buf[BUF_SIZE];
	struct colo_pkt_meta pm;
	size_t len = build(&s, buf);

	/* First fragment: MF set, offset 0. */
	set16(buf + ETH + 6, 0x2000);
	pm = classify(buf, len);
	assert_ip(&pm, 4, IPPROTO_UDP, 0, 0);
	CU_ASSERT_EQUAL(pm.flags, COLO_PKT_F_FRAG);
	assert_offsets(&pm, ETH, ETH + IP4, ETH + IP4, UDPH + 100);

	/* Last fragment: MF clear, offset 185 (x8 bytes), DF irrelevant. */
	set16(buf + ETH + 6, 0x4000 | 185);
	pm = classify(buf, len);
	assert_ip(&pm, 4, IPPROTO_UDP, 0, 0);
	CU_ASSERT_EQUAL(pm.flags, COLO_PKT_F_FRAG);

	/* DF alone is not a fragment. */
	set16(buf + ETH + 6, 0x4000);
	pm = classify(buf, len);
	assert_ip(&pm, 4, IPPROTO_UDP, 1000, 2000);
	CU_ASSERT_EQUAL(pm.flags, 0);
}

static void
test_ipv6_tcp(void)
{
	struct frame_spec s = {
		.family = 6,
		.proto = IPPROTO_TCP,
		.src = "2001:db8::10",
		.dst = "2001:db8::20",
		.sport = 443,
		.dport = 50000,
		.seq = 5,
		.ack = 6,
		.payload_len = 200,
	};
	uint8_t buf[BUF_SIZE];
	struct colo_pkt_meta pm = classify(buf, build(&s, buf));

	assert_ip(&pm, 6, IPPROTO_TCP, 443, 50000);
	assert_v6_addrs(&pm.key, "2001:db8::10", "2001:db8::20");
	assert_offsets(&pm, ETH, ETH + IP6, ETH + IP6 + TCPH, 200);
	CU_ASSERT_EQUAL(pm.tcp_seq, 5);
	CU_ASSERT_EQUAL(pm.tcp_ack, 6);
}

static void
test_ipv6_udp(void)
{
	struct frame_spec s = {
		.family = 6,
		.proto = IPPROTO_UDP,
		.sport = 546,
		.dport = 547,
		.payload_len = 9,
	};
	uint8_t buf[BUF_SIZE];
	struct colo_pkt_meta pm = classify(buf, build(&s, buf));

	assert_ip(&pm, 6, IPPROTO_UDP, 546, 547);
	assert_v6_addrs(&pm.key, "fd00::1", "fd00::2");
	assert_offsets(&pm, ETH, ETH + IP6, ETH + IP6 + UDPH, 9);
}

static void
test_ipv6_icmpv6(void)
{
	struct frame_spec s = {
		.family = 6,
		.proto = IPPROTO_ICMPV6,
		.icmp_type = 128,
		.icmp_id = 1,
		.payload_len = 32,
	};
	uint8_t buf[BUF_SIZE];
	struct colo_pkt_meta pm = classify(buf, build(&s, buf));

	assert_ip(&pm, 6, IPPROTO_ICMPV6, 0, 0);
	assert_offsets(&pm, ETH, ETH + IP6, ETH + IP6 + 8, 32);
}

/*
 * Insert extension headers of @p types (sizes in @p sizes, multiples of 8)
 * between the IPv6 header at @p l3 and its upper layer. A fragment header
 * gets offset 0 with M set.
 */
static size_t
ip6_add_exts(uint8_t *buf, size_t len, uint16_t l3, const uint8_t *types, const uint16_t *sizes,
		unsigned int n)
{
	uint8_t *ip6 = buf + l3;
	uint8_t upper = ip6[6];
	unsigned int i, total = 0;
	uint8_t *e;

	for (i = 0; i < n; i++)
		total += sizes[i];
	memmove(ip6 + IP6 + total, ip6 + IP6, len - l3 - IP6);
	e = ip6 + IP6;
	ip6[6] = types[0];
	for (i = 0; i < n; i++) {
		memset(e, 0, sizes[i]);
		e[0] = i + 1 < n ? types[i + 1] : upper;
		if (types[i] == IPPROTO_FRAGMENT)
			set16(e + 2, 0x0001);
		else
			e[1] = (uint8_t)(sizes[i] / 8 - 1);
		e += sizes[i];
	}
	set16(ip6 + 4, (uint16_t)(get16(ip6 + 4) + total));
	return len + total;
}

static void
test_ipv6_ext_chain_walked(void)
{
	static const uint8_t types[] = { IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS };
	static const uint16_t sizes[] = { 8, 24, 16 };
	struct frame_spec s = {
		.family = 6,
		.proto = IPPROTO_TCP,
		.sport = 22,
		.dport = 33333,
		.payload_len = 50,
	};
	uint8_t buf[BUF_SIZE];
	struct colo_pkt_meta pm;
	size_t len = build(&s, buf);

	len = ip6_add_exts(buf, len, ETH, types, sizes, 3);
	pm = classify(buf, len);
	assert_ip(&pm, 6, IPPROTO_TCP, 22, 33333);
	assert_offsets(&pm, ETH, ETH + IP6 + 48, ETH + IP6 + 48 + TCPH, 50);
	CU_ASSERT_EQUAL(pm.flags, COLO_PKT_F_TCP_ACK);

	/* Hop-by-hop then destination options, as the issue names them. */
	len = build(&s, buf);
	len = ip6_add_exts(buf, len, ETH, (const uint8_t[]){ IPPROTO_HOPOPTS, IPPROTO_DSTOPTS },
			(const uint16_t[]){ 8, 8 }, 2);
	pm = classify(buf, len);
	assert_ip(&pm, 6, IPPROTO_TCP, 22, 33333);
	assert_offsets(&pm, ETH, ETH + IP6 + 16, ETH + IP6 + 16 + TCPH, 50);
}

static void
test_ipv6_eight_ext_headers_accepted(void)
{
	uint8_t types[8];
	uint16_t sizes[8];
	struct frame_spec s = {
		.family = 6,
		.proto = IPPROTO_UDP,
		.sport = 7,
		.dport = 9,
		.payload_len = 4,
	};
	uint8_t buf[BUF_SIZE];
	struct colo_pkt_meta pm;
	size_t len = build(&s, buf);

	memset(types, IPPROTO_DSTOPTS, sizeof(types));
	types[0] = IPPROTO_HOPOPTS;
	types[1] = 135; /* mobility */
	types[2] = 139; /* HIP */
	types[3] = 140; /* shim6 */
	for (unsigned int i = 0; i < 8; i++)
		sizes[i] = 8;
	len = ip6_add_exts(buf, len, ETH, types, sizes, 8);
	pm = classify(buf, len);
	assert_ip(&pm, 6, IPPROTO_UDP, 7, 9);
	assert_offsets(&pm, ETH, ETH + IP6 + 64, ETH + IP6 + 64 + UDPH, 4);
}

static void
test_ipv6_fragment_header_flagged(void)
{
	static const uint8_t types[] = { IPPROTO_HOPOPTS, IPPROTO_FRAGMENT };
	static const uint16_t sizes[] = { 8, 8 };
	struct frame_spec s = {
		.family = 6,
		.proto = IPPROTO_UDP,
		.sport = 1000,
		.dport = 2000,
		.payload_len = 100,
	};
	uint8_t buf[BUF_SIZE];
	struct colo_pkt_meta pm;
	size_t len = build(&s, buf);

	len = ip6_add_exts(buf, len, ETH, types, sizes, 2);
	pm = classify(buf, len);
	assert_ip(&pm, 6, IPPROTO_UDP, 0, 0);
	CU_ASSERT_EQUAL(pm.flags, COLO_PKT_F_FRAG);
	assert_offsets(&pm, ETH, ETH + IP6 + 16, ETH + IP6 + 16, UDPH + 100);
}

static void
test_vlan_tags_in_key(void)
{
	struct frame_spec s = {
		.family = 4,
		.proto = IPPROTO_TCP,
		.sport = 80,
		.dport = 40000,
		.payload_len = 10,
		.nb_vlan = 1,
		.vlan = { 100 },
	};
	uint8_t buf[BUF_SIZE];
	struct colo_pkt_meta pm, pm2;
	size_t len = build(&s, buf);

	pm = classify(buf, len);
	assert_ip(&pm, 4, IPPROTO_TCP, 80, 40000);
	CU_ASSERT_EQUAL(pm.flags, COLO_PKT_F_VLAN | COLO_PKT_F_TCP_ACK);
	CU_ASSERT_EQUAL(pm.key.vlan[0], 100);
	CU_ASSERT_EQUAL(pm.key.vlan[1], 0);
	assert_offsets(&pm, ETH + 4, ETH + 4 + IP4, ETH + 4 + IP4 + TCPH, 10);

	/* Priority bits are not part of the ID. */
	buf[ETH] |= 0xe0;
	pm2 = classify(buf, len);
	CU_ASSERT_EQUAL(pm2.key.vlan[0], 100);
	CU_ASSERT_EQUAL(pm2.hash, pm.hash);

	s.nb_vlan = 2;
	s.vlan[0] = 10;
	s.vlan[1] = 4095;
	len = build(&s, buf);
	CU_ASSERT_EQUAL(get16(buf + 12), RTE_ETHER_TYPE_QINQ);
	CU_ASSERT_EQUAL(get16(buf + 16), RTE_ETHER_TYPE_VLAN);
	pm = classify(buf, len);
	assert_ip(&pm, 4, IPPROTO_TCP, 80, 40000);
	CU_ASSERT_EQUAL(pm.flags, COLO_PKT_F_VLAN | COLO_PKT_F_TCP_ACK);
	CU_ASSERT_EQUAL(pm.key.vlan[0], 10);
	CU_ASSERT_EQUAL(pm.key.vlan[1], 4095);
	assert_offsets(&pm, ETH + 8, ETH + 8 + IP4, ETH + 8 + IP4 + TCPH, 10);

	/* Two 0x8100 tags are accepted as well. */
	set16(buf + 12, RTE_ETHER_TYPE_VLAN);
	pm2 = classify(buf, len);
	CU_ASSERT_EQUAL(pm2.class, COLO_CLASS_IP);
	CU_ASSERT_EQUAL(pm2.hash, pm.hash);
}

static void
test_arp_is_nonip(void)
{
	struct frame_spec s = { .family = 0, .src = "10.0.0.1", .dst = "10.0.0.2" };
	uint8_t buf[BUF_SIZE];
	struct colo_pkt_meta pm;
	size_t len = build(&s, buf);

	CU_ASSERT_EQUAL(len, ETH + 28);
	pm = classify(buf, len);
	assert_common(&pm);
	CU_ASSERT_EQUAL(pm.class, COLO_CLASS_NONIP);
	CU_ASSERT_EQUAL(pm.parse_err, COLO_PARSE_OK);
	CU_ASSERT_EQUAL(pm.key.family, 0);
	CU_ASSERT_EQUAL(pm.key.proto, 0);
	CU_ASSERT_EQUAL(pm.key.ether_type, RTE_ETHER_TYPE_ARP);
	CU_ASSERT_EQUAL(pm.l3_off, ETH);
	CU_ASSERT_EQUAL(pm.payload_len, 28);
	CU_ASSERT_EQUAL(pm.flags, 0);

	s.nb_vlan = 1;
	s.vlan[0] = 42;
	pm = classify(buf, build(&s, buf));
	CU_ASSERT_EQUAL(pm.class, COLO_CLASS_NONIP);
	CU_ASSERT_EQUAL(pm.key.ether_type, RTE_ETHER_TYPE_ARP);
	CU_ASSERT_EQUAL(pm.key.vlan[0], 42);
	CU_ASSERT_EQUAL(pm.flags, COLO_PKT_F_VLAN);
	CU_ASSERT_EQUAL(pm.l3_off, ETH + 4);
}

static void
test_ethernet_padding_excluded(void)
{
	struct frame_spec s = {
		.family = 4,
		.proto = IPPROTO_UDP,
		.sport = 1,
		.dport = 2,
		.payload_len = 2,
	};
	uint8_t buf[BUF_SIZE];
	struct colo_pkt_meta plain, padded;
	size_t len;

	plain = classify(buf, build(&s, buf));
	s.pad = 16;
	len = build(&s, buf);
	CU_ASSERT_EQUAL(len, 60);
	padded = classify(buf, len);
	assert_ip(&padded, 4, IPPROTO_UDP, 1, 2);
	assert_offsets(&padded, ETH, ETH + IP4, ETH + IP4 + UDPH, 2);
	CU_ASSERT_EQUAL(padded.l3_end, plain.l3_end);
	CU_ASSERT_EQUAL(padded.hash, plain.hash);

	/* Same for TCP over IPv6. */
	s.family = 6;
	s.proto = IPPROTO_TCP;
	s.pad = 7;
	padded = classify(buf, build(&s, buf));
	assert_offsets(&padded, ETH, ETH + IP6, ETH + IP6 + TCPH, 2);
}

static void
test_esp_ah_spi_in_key(void)
{
	static const uint8_t esp[] = { 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 1, 0xde, 0xad };
	static const uint8_t ah[] = { IPPROTO_TCP, 4, 0, 0, 0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 9 };
	struct frame_spec s = {
		.family = 4,
		.proto = IPPROTO_ESP,
		.payload = esp,
		.payload_len = sizeof(esp),
	};
	uint8_t buf[BUF_SIZE];
	struct colo_pkt_meta pm;
	char txt[128];

	pm = classify(buf, build(&s, buf));
	assert_ip(&pm, 4, IPPROTO_ESP, 0x1122, 0x3344);
	assert_offsets(&pm, ETH, ETH + IP4, ETH + IP4, sizeof(esp));
	colo_key_format(&pm.key, txt, sizeof(txt));
	CU_ASSERT_STRING_EQUAL(txt, "esp 10.0.0.1 > 10.0.0.2 spi 0x11223344");

	s.proto = IPPROTO_AH;
	s.payload = ah;
	s.payload_len = sizeof(ah);
	pm = classify(buf, build(&s, buf));
	assert_ip(&pm, 4, IPPROTO_AH, 0xcafe, 0xbabe);

	/* AH is the L4 protocol for IPv6 too: it is not walked. */
	s.family = 6;
	pm = classify(buf, build(&s, buf));
	assert_ip(&pm, 6, IPPROTO_AH, 0xcafe, 0xbabe);
	assert_offsets(&pm, ETH, ETH + IP6, ETH + IP6, sizeof(ah));
}

static void
test_sctp_dccp_udplite_ports(void)
{
	static const uint8_t l4[] = { 0x0b, 0x59, 0x0b, 0x5a, 1, 2, 3, 4 };
	static const uint8_t protos[] = { IPPROTO_SCTP, IPPROTO_DCCP, IPPROTO_UDPLITE };
	uint8_t buf[BUF_SIZE];
	struct colo_pkt_meta pm;
	unsigned int i;

	for (i = 0; i < RTE_DIM(protos); i++) {
		struct frame_spec s = {
			.family = 4,
			.proto = protos[i],
			.payload = l4,
			.payload_len = sizeof(l4),
		};

		pm = classify(buf, build(&s, buf));
		assert_ip(&pm, 4, protos[i], 2905, 2906);
		assert_offsets(&pm, ETH, ETH + IP4, ETH + IP4, sizeof(l4));
	}
}

static void
test_equal_keys_equal_hashes(void)
{
	struct frame_spec s = {
		.family = 4,
		.proto = IPPROTO_TCP,
		.sport = 80,
		.dport = 40000,
		.seq = 1,
		.payload_len = 10,
	};
	uint8_t buf[BUF_SIZE];
	struct colo_pkt_meta a, b, c;

	a = classify(buf, build(&s, buf));
	/* Volatile fields and payload do not change the key. */
	s.ttl = 3;
	s.ip_id = 999;
	s.seq = 12345;
	s.window = 100;
	s.payload_len = 700;
	b = classify(buf, build(&s, buf));
	CU_ASSERT(memcmp(&a.key, &b.key, sizeof(a.key)) == 0);
	CU_ASSERT_EQUAL(a.hash, b.hash);
	/* Direction is not normalised: each direction has its own key. */
	s.src = "10.0.0.2";
	s.dst = "10.0.0.1";
	s.sport = 40000;
	s.dport = 80;
	c = classify(buf, build(&s, buf));
	CU_ASSERT(memcmp(&a.key, &c.key, sizeof(a.key)) != 0);
}

/* Copy @p buf into two chained mbufs, split at @p split bytes. */
static struct rte_mbuf *
chain2(const uint8_t *buf, size_t len, size_t split)
{
	struct rte_mbuf *a = frame_mbuf(pool, buf, split);
	struct rte_mbuf *b = frame_mbuf(pool, buf + split, len - split);

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_FATAL(rte_pktmbuf_chain(a, b) == 0);
	return a;
}

static bool
meta_equal(const struct colo_pkt_meta *a, const struct colo_pkt_meta *b)
{
	return memcmp(&a->key, &b->key, sizeof(a->key)) == 0 && a->hash == b->hash &&
	       a->epoch == b->epoch && a->arrival_tsc == b->arrival_tsc && a->next == b->next &&
	       a->tcp_seq == b->tcp_seq && a->tcp_ack == b->tcp_ack && a->l3_off == b->l3_off &&
	       a->l4_off == b->l4_off && a->payload_off == b->payload_off &&
	       a->payload_len == b->payload_len && a->l3_end == b->l3_end && a->class == b->class &&
	       a->parse_err == b->parse_err && a->side == b->side && a->flags == b->flags &&
	       a->l4proto == b->l4proto;
}

static void
test_chained_mbuf_parses_like_flat(void)
{
	static const uint8_t opts[8] = { 1, 1, 1, 1, 1, 1, 1, 0 };
	struct frame_spec specs[] = {
		{ .family = 4,
				.proto = IPPROTO_TCP,
				.sport = 80,
				.dport = 40000,
				.seq = 9,
				.ack = 10,
				.nb_vlan = 2,
				.vlan = { 5, 6 },
				.tcp_opts = opts,
				.tcp_opts_len = sizeof(opts),
				.payload_len = 30,
				.pad = 4 },
		{ .family = 6,
				.proto = IPPROTO_UDP,
				.sport = 53,
				.dport = 5353,
				.nb_vlan = 1,
				.vlan = { 7 },
				.payload_len = 12 },
		{ .family = 4, .proto = IPPROTO_AH, .payload_len = 16 },
		{ .family = 0 },
	};
	uint8_t buf[BUF_SIZE];
	unsigned int i, nb_split = 0;

	for (i = 0; i < RTE_DIM(specs); i++) {
		size_t len = build(&specs[i], buf), split;
		struct colo_pkt_meta flat;

		if (i == 1) {
			len = ip6_add_exts(buf, len, ETH + 4,
					(const uint8_t[]){ IPPROTO_HOPOPTS, IPPROTO_DSTOPTS },
					(const uint16_t[]){ 8, 16 }, 2);
		}
		flat = classify(buf, len);
		CU_ASSERT_NOT_EQUAL(flat.class, COLO_CLASS_MALFORMED);
		/* Every split point, so each header straddles the boundary once. */
		for (split = 1; split < len; split++) {
			struct rte_mbuf *m = chain2(buf, len, split);

			CU_ASSERT_EQUAL(m->nb_segs, 2);
			colo_pkt_classify(m, COLO_SIDE_PRIMARY, TEST_EPOCH, TEST_TSC, &stats);
			CU_ASSERT(meta_equal(colo_pkt_meta(m), &flat));
			rte_pktmbuf_free(m);
			nb_split++;
		}
	}
	CU_ASSERT(nb_split > 100);
}

static void
test_key_format(void)
{
	struct frame_spec s = {
		.family = 4,
		.proto = IPPROTO_TCP,
		.sport = 80,
		.dport = 3333,
		.nb_vlan = 1,
		.vlan = { 5 },
	};
	uint8_t buf[BUF_SIZE];
	struct colo_pkt_meta pm;
	char txt[128];
	int n;

	pm = classify(buf, build(&s, buf));
	n = colo_key_format(&pm.key, txt, sizeof(txt));
	CU_ASSERT_STRING_EQUAL(txt, "tcp 10.0.0.1:80 > 10.0.0.2:3333 vlan 5");
	CU_ASSERT_EQUAL(n, (int)strlen(txt));

	s.family = 6;
	s.proto = IPPROTO_UDP;
	s.nb_vlan = 2;
	s.vlan[1] = 6;
	pm = classify(buf, build(&s, buf));
	colo_key_format(&pm.key, txt, sizeof(txt));
	CU_ASSERT_STRING_EQUAL(txt, "udp [fd00::1]:80 > [fd00::2]:3333 vlan 5.6");

	s.family = 4;
	s.proto = IPPROTO_ICMP;
	s.nb_vlan = 0;
	pm = classify(buf, build(&s, buf));
	colo_key_format(&pm.key, txt, sizeof(txt));
	CU_ASSERT_STRING_EQUAL(txt, "icmp 10.0.0.1 > 10.0.0.2");

	s.proto = 253;
	pm = classify(buf, build(&s, buf));
	colo_key_format(&pm.key, txt, sizeof(txt));
	CU_ASSERT_STRING_EQUAL(txt, "proto 253 10.0.0.1 > 10.0.0.2");

	s.family = 0;
	pm = classify(buf, build(&s, buf));
	colo_key_format(&pm.key, txt, sizeof(txt));
	CU_ASSERT_STRING_EQUAL(txt, "ether 0x0806");

	/* Truncation behaves like snprintf. */
	n = colo_key_format(&pm.key, txt, 4);
	CU_ASSERT_EQUAL(n, 12);
	CU_ASSERT_STRING_EQUAL(txt, "eth");
	CU_ASSERT_EQUAL(colo_key_format(&pm.key, NULL, 0), -EINVAL);
}

/* Every text colo_key_format() writes parses back to the same key. */
static void
test_key_parse_roundtrip(void)
{
	static const struct frame_spec specs[] = {
		{ .family = 4, .proto = IPPROTO_TCP, .sport = 80, .dport = 3333 },
		{ .family = 6, .proto = IPPROTO_UDP, .sport = 53, .nb_vlan = 2, .vlan = { 5, 6 } },
		{ .family = 4, .proto = IPPROTO_ICMP, .nb_vlan = 1, .vlan = { 100 } },
		{ .family = 6, .proto = IPPROTO_ICMPV6 },
		{ .family = 4, .proto = 253 },
		{ .family = 4, .proto = IPPROTO_ESP, .sport = 0x1234, .dport = 0x5678 },
		{ .family = 0 },
	};
	struct colo_pkt_meta pm;
	struct colo_key key;
	uint8_t buf[BUF_SIZE];
	char txt[128];
	unsigned int i;

	for (i = 0; i < RTE_DIM(specs); i++) {
		pm = classify(buf, build(&specs[i], buf));
		colo_key_format(&pm.key, txt, sizeof(txt));
		CU_ASSERT_EQUAL(colo_key_parse(txt, &key), 0);
		CU_ASSERT_EQUAL(memcmp(&key, &pm.key, sizeof(key)), 0);
		if (memcmp(&key, &pm.key, sizeof(key)) != 0)
			fprintf(stderr, "roundtrip of '%s' differs\n", txt);
	}
}

static void
test_key_parse_rejects(void)
{
	static const char *const bad[] = {
		"",
		"tcp",
		"tcp 10.0.0.1:80",
		"tcp 10.0.0.1:80 < 10.0.0.2:3333",
		"tcp 10.0.0.1:80 > 10.0.0.2:70000",
		"tcp 10.0.0.1:80 > [fd00::2]:3333",
		"tcp 10.0.0.1:80  > 10.0.0.2:3333",
		"tcp 10.0.0.01:80 > 10.0.0.2:3333",
		"bogus 10.0.0.1 > 10.0.0.2",
		"udp 10.0.0.1:1 > 10.0.0.2:2 vlan 5000",
		"udp 10.0.0.1:1 > 10.0.0.2:2 extra",
	};
	struct colo_key key;
	unsigned int i;

	for (i = 0; i < RTE_DIM(bad); i++) {
		CU_ASSERT_EQUAL(colo_key_parse(bad[i], &key), -EINVAL);
		if (colo_key_parse(bad[i], &key) != -EINVAL)
			fprintf(stderr, "'%s' was accepted\n", bad[i]);
	}
	CU_ASSERT_EQUAL(colo_key_parse(NULL, &key), -EINVAL);
}

/* A malformed frame: a good frame, a patch, and the one reason expected. */
struct bad_case {
	const char *what;
	enum colo_parse_err err;
	struct frame_spec spec;
	void (*patch)(uint8_t *buf, size_t *len);
};

static void
cut_13(uint8_t *buf, size_t *len)
{
	RTE_SET_USED(buf);
	*len = 13;
}

static void
cut_0(uint8_t *buf, size_t *len)
{
	RTE_SET_USED(buf);
	*len = 0;
}

static void
cut_vlan(uint8_t *buf, size_t *len)
{
	RTE_SET_USED(buf);
	*len = ETH + 3;
}

static void
cut_inner_vlan(uint8_t *buf, size_t *len)
{
	RTE_SET_USED(buf);
	*len = ETH + 4 + 2;
}

/* A fifth tag after four: one past COLO_VLAN_MAX. */
static void
fifth_tag(uint8_t *buf, size_t *len)
{
	RTE_SET_USED(len);
	set16(buf + ETH + 4 * 4 - 2, 0x9200);
}

/* Total length 0 in a frame that is not longer than the field can say. */
static void
ip4_len_0_short(uint8_t *buf, size_t *len)
{
	RTE_SET_USED(len);
	set16(buf + ETH + 2, 0);
}

/* A hop-by-hop header with a Jumbo Payload option but a payload length. */
static void
ip6_jumbo_with_plen(uint8_t *buf, size_t *len)
{
	*len = ip6_add_exts(buf, *len, ETH, (const uint8_t[]){ IPPROTO_HOPOPTS },
			(const uint16_t[]){ 8 }, 1);
	buf[ETH + IP6 + 2] = 0xc2;
	buf[ETH + IP6 + 3] = 4;
	set16(buf + ETH + IP6 + 4, 1);
	set16(buf + ETH + IP6 + 6, 0x1170);
}

static void
cut_ip4(uint8_t *buf, size_t *len)
{
	RTE_SET_USED(buf);
	*len = ETH + IP4 - 1;
}

static void
ip4_version_6(uint8_t *buf, size_t *len)
{
	RTE_SET_USED(len);
	buf[ETH] = 0x65;
}

static void
ip4_ihl_4(uint8_t *buf, size_t *len)
{
	RTE_SET_USED(len);
	buf[ETH] = 0x44;
}

static void
ip4_ihl_beyond_frame(uint8_t *buf, size_t *len)
{
	RTE_SET_USED(len);
	buf[ETH] = 0x4f; /* 60 bytes, the frame has 28 after L2 */
}

static void
ip4_len_beyond_frame(uint8_t *buf, size_t *len)
{
	set16(buf + ETH + 2, (uint16_t)(*len - ETH + 1));
}

static void
ip4_len_below_ihl(uint8_t *buf, size_t *len)
{
	RTE_SET_USED(len);
	set16(buf + ETH + 2, 19);
}

static void
cut_ip6(uint8_t *buf, size_t *len)
{
	RTE_SET_USED(buf);
	*len = ETH + IP6 - 1;
}

static void
ip6_version_4(uint8_t *buf, size_t *len)
{
	RTE_SET_USED(len);
	buf[ETH] = 0x40;
}

static void
ip6_len_beyond_frame(uint8_t *buf, size_t *len)
{
	set16(buf + ETH + 4, (uint16_t)(*len - ETH - IP6 + 1));
}

/* Hop-by-hop claiming 24 bytes in a datagram that has 8 + 8 of UDP. */
static void
ip6_ext_beyond_datagram(uint8_t *buf, size_t *len)
{
	*len = ip6_add_exts(buf, *len, ETH, (const uint8_t[]){ IPPROTO_HOPOPTS },
			(const uint16_t[]){ 8 }, 1);
	buf[ETH + IP6 + 1] = 2;
}

/* An extension header announced but fewer than 8 bytes left. */
static void
ip6_ext_short(uint8_t *buf, size_t *len)
{
	RTE_SET_USED(len);
	buf[ETH + 6] = IPPROTO_DSTOPTS;
	set16(buf + ETH + 4, 7);
}

static void
ip6_nine_exts(uint8_t *buf, size_t *len)
{
	uint8_t types[9];
	uint16_t sizes[9];
	unsigned int i;

	for (i = 0; i < 9; i++) {
		types[i] = IPPROTO_DSTOPTS;
		sizes[i] = 8;
	}
	*len = ip6_add_exts(buf, *len, ETH, types, sizes, 9);
}

/* Shrink the IPv4 datagram to @p l4 bytes of L4; the rest becomes padding. */
static void
ip4_l4_bytes(uint8_t *buf, uint16_t l4)
{
	set16(buf + ETH + 2, IP4 + l4);
}

static void
tcp_19(uint8_t *buf, size_t *len)
{
	RTE_SET_USED(len);
	ip4_l4_bytes(buf, TCPH - 1);
}

static void
tcp_doff_4(uint8_t *buf, size_t *len)
{
	RTE_SET_USED(len);
	buf[ETH + IP4 + 12] = 4 << 4;
}

static void
tcp_doff_beyond(uint8_t *buf, size_t *len)
{
	RTE_SET_USED(len);
	buf[ETH + IP4 + 12] = 15 << 4; /* 60 bytes, the datagram has 20 + 4 */
}

static void
udp_7(uint8_t *buf, size_t *len)
{
	RTE_SET_USED(len);
	ip4_l4_bytes(buf, UDPH - 1);
}

static void
udp_len_7(uint8_t *buf, size_t *len)
{
	RTE_SET_USED(len);
	set16(buf + ETH + IP4 + 4, 7);
}

static void
udp_len_beyond(uint8_t *buf, size_t *len)
{
	RTE_SET_USED(len);
	set16(buf + ETH + IP4 + 4, UDPH + 4 + 1);
}

static void
icmp_7(uint8_t *buf, size_t *len)
{
	RTE_SET_USED(len);
	ip4_l4_bytes(buf, 7);
}

static void
l4_3(uint8_t *buf, size_t *len)
{
	RTE_SET_USED(len);
	ip4_l4_bytes(buf, 3);
}

static void
l4_7(uint8_t *buf, size_t *len)
{
	RTE_SET_USED(len);
	ip4_l4_bytes(buf, 7);
}

#define V4(p, ...)                                                             \
	{                                                                      \
		.family = 4, .proto = (p), .sport = 1, .dport = 2, __VA_ARGS__ \
	}
#define V6(p, ...)                                                             \
	{                                                                      \
		.family = 6, .proto = (p), .sport = 1, .dport = 2, __VA_ARGS__ \
	}

static const struct bad_case bad_cases[] = {
	{ "13-byte frame", COLO_PARSE_ERR_RUNT, V4(IPPROTO_UDP), cut_13 },
	{ "empty frame", COLO_PARSE_ERR_RUNT, V4(IPPROTO_UDP), cut_0 },
	{ "cut VLAN tag", COLO_PARSE_ERR_VLAN_TRUNC, V4(IPPROTO_UDP, .nb_vlan = 1), cut_vlan },
	{ "cut inner VLAN tag", COLO_PARSE_ERR_VLAN_TRUNC, V4(IPPROTO_UDP, .nb_vlan = 2),
			cut_inner_vlan },
	{ "five VLAN tags", COLO_PARSE_ERR_VLAN_DEPTH, V4(IPPROTO_UDP, .nb_vlan = 4), fifth_tag },
	{ "IPv4 total length 0, 64 KiB or less", COLO_PARSE_ERR_IP4_LEN, V4(IPPROTO_UDP),
			ip4_len_0_short },
	{ "IPv6 Jumbo Payload option with a payload length", COLO_PARSE_ERR_IP6_JUMBO,
			V6(IPPROTO_UDP), ip6_jumbo_with_plen },
	{ "19-byte IPv4 header", COLO_PARSE_ERR_IP4_TRUNC, V4(IPPROTO_UDP), cut_ip4 },
	{ "IPv4 version 6", COLO_PARSE_ERR_IP4_VERSION, V4(IPPROTO_UDP), ip4_version_6 },
	{ "IPv4 IHL 4", COLO_PARSE_ERR_IP4_IHL, V4(IPPROTO_UDP), ip4_ihl_4 },
	{ "IPv4 IHL beyond frame", COLO_PARSE_ERR_IP4_IHL, V4(IPPROTO_UDP), ip4_ihl_beyond_frame },
	{ "IPv4 length beyond frame", COLO_PARSE_ERR_IP4_LEN, V4(IPPROTO_UDP, .payload_len = 4),
			ip4_len_beyond_frame },
	{ "IPv4 length below IHL", COLO_PARSE_ERR_IP4_LEN, V4(IPPROTO_UDP), ip4_len_below_ihl },
	{ "39-byte IPv6 header", COLO_PARSE_ERR_IP6_TRUNC, V6(IPPROTO_UDP), cut_ip6 },
	{ "IPv6 version 4", COLO_PARSE_ERR_IP6_VERSION, V6(IPPROTO_UDP), ip6_version_4 },
	{ "IPv6 payload beyond frame", COLO_PARSE_ERR_IP6_LEN, V6(IPPROTO_UDP, .payload_len = 4),
			ip6_len_beyond_frame },
	{ "IPv6 extension beyond datagram", COLO_PARSE_ERR_IP6_EXT_TRUNC, V6(IPPROTO_UDP),
			ip6_ext_beyond_datagram },
	{ "IPv6 extension in 7 bytes", COLO_PARSE_ERR_IP6_EXT_TRUNC,
			V6(IPPROTO_UDP, .payload_len = 40), ip6_ext_short },
	{ "nine IPv6 extension headers", COLO_PARSE_ERR_IP6_EXT_CHAIN, V6(IPPROTO_UDP),
			ip6_nine_exts },
	{ "19-byte TCP header", COLO_PARSE_ERR_TCP_TRUNC, V4(IPPROTO_TCP), tcp_19 },
	{ "TCP data offset 4", COLO_PARSE_ERR_TCP_DOFF, V4(IPPROTO_TCP), tcp_doff_4 },
	{ "TCP data offset beyond datagram", COLO_PARSE_ERR_TCP_DOFF,
			V4(IPPROTO_TCP, .payload_len = 4), tcp_doff_beyond },
	{ "7-byte UDP header", COLO_PARSE_ERR_UDP_TRUNC, V4(IPPROTO_UDP), udp_7 },
	{ "UDP length 7", COLO_PARSE_ERR_UDP_LEN, V4(IPPROTO_UDP, .payload_len = 4), udp_len_7 },
	{ "UDP length beyond datagram", COLO_PARSE_ERR_UDP_LEN, V4(IPPROTO_UDP, .payload_len = 4),
			udp_len_beyond },
	{ "7-byte ICMP header", COLO_PARSE_ERR_ICMP_TRUNC, V4(IPPROTO_ICMP), icmp_7 },
	{ "3-byte SCTP header", COLO_PARSE_ERR_L4_TRUNC, V4(IPPROTO_SCTP, .payload_len = 12),
			l4_3 },
	{ "3-byte ESP header", COLO_PARSE_ERR_L4_TRUNC, V4(IPPROTO_ESP, .payload_len = 12), l4_3 },
	{ "7-byte AH header", COLO_PARSE_ERR_L4_TRUNC, V4(IPPROTO_AH, .payload_len = 12), l4_7 },
};

static void
test_every_malformed_class_counted(void)
{
	bool covered[COLO_PARSE_ERR_MAX] = { false };
	struct colo_key zero_key;
	uint8_t buf[BUF_SIZE];
	unsigned int i, e;

	memset(&zero_key, 0, sizeof(zero_key));
	for (i = 0; i < RTE_DIM(bad_cases); i++) {
		const struct bad_case *bc = &bad_cases[i];
		struct colo_stats before = stats;
		struct colo_pkt_meta pm;
		size_t len = build(&bc->spec, buf);

		bc->patch(buf, &len);
		pm = classify(buf, len);
		if (pm.parse_err != bc->err)
			fprintf(stderr, "\n  %s: got %s, want %s", bc->what,
					colo_parse_err_name(pm.parse_err),
					colo_parse_err_name(bc->err));
		assert_common(&pm);
		CU_ASSERT_EQUAL(pm.class, COLO_CLASS_MALFORMED);
		CU_ASSERT_EQUAL(pm.parse_err, bc->err);
		CU_ASSERT(memcmp(&pm.key, &zero_key, sizeof(zero_key)) == 0);
		CU_ASSERT_EQUAL(pm.flags, 0);
		CU_ASSERT_EQUAL(pm.payload_len, 0);
		/* Exactly one counter moved, by one. */
		for (e = 0; e < COLO_PARSE_ERR_MAX; e++)
			CU_ASSERT_EQUAL(stats.parse_err[e],
					before.parse_err[e] + (e == bc->err ? 1 : 0));
		covered[bc->err] = true;
	}
	/* Made on the mbuf, not the bytes: test_truncated_chain_never_parsed. */
	covered[COLO_PARSE_ERR_TRUNCATED] = true;
	for (e = COLO_PARSE_OK + 1; e < COLO_PARSE_ERR_MAX; e++) {
		if (!covered[e])
			fprintf(stderr, "\n  no case for %s", colo_parse_err_name(e));
		CU_ASSERT(covered[e]);
	}
}


/* Build @p s (which may exceed 64 KiB) and classify it as a chain of mbufs. */
static struct colo_pkt_meta
classify_big(const struct frame_spec *s, size_t *len_out)
{
	size_t cap = (size_t)s->payload_len + 256, len;
	struct colo_pkt_meta pm;
	struct rte_mbuf *m;
	uint8_t *buf = malloc(cap);

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	len = frame_build(s, buf, cap);
	CU_ASSERT_FATAL(len != 0);
	m = frame_mbuf_chain(pool, buf, len);
	free(buf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(m), len);
	memset(colo_pkt_meta(m), 0xa5, sizeof(struct colo_pkt_meta));
	colo_pkt_classify(m, COLO_SIDE_PRIMARY, TEST_EPOCH, TEST_TSC, &stats);
	pm = *colo_pkt_meta(m);
	rte_pktmbuf_free(m);
	if (len_out != NULL)
		*len_out = len;
	return pm;
}

/* A TSO frame: IPv4 total length 65535, frame 65535 + L2 (up to four tags). */
static void
test_tso_ipv4_64k(void)
{
	struct frame_spec s = {
		.family = 4,
		.proto = IPPROTO_TCP,
		.sport = 80,
		.dport = 40000,
		.seq = 1000,
		.payload_len = UINT16_MAX - IP4 - TCPH,
	};
	struct colo_pkt_meta pm;
	unsigned int nb_vlan;
	size_t len;

	for (nb_vlan = 0; nb_vlan <= COLO_VLAN_MAX; nb_vlan++) {
		uint16_t l2 = (uint16_t)(ETH + 4 * nb_vlan);

		s.nb_vlan = (uint8_t)nb_vlan;
		pm = classify_big(&s, &len);
		CU_ASSERT_EQUAL(len, l2 + UINT16_MAX);
		assert_ip(&pm, 4, IPPROTO_TCP, 80, 40000);
		assert_offsets(&pm, l2, l2 + IP4, l2 + IP4 + TCPH, UINT16_MAX - IP4 - TCPH);
		CU_ASSERT_EQUAL(pm.tcp_seq, 1000);
		CU_ASSERT_EQUAL(colo_pkt_tcp_seq_len(&pm), UINT16_MAX - IP4 - TCPH);
	}
}

/*
 * GSO beyond 64 KiB: total length 0 is accepted when the datagram is longer
 * than the field can say, and runs to the end of the frame.
 */
static void
test_gso_ipv4_total_length_0(void)
{
	struct frame_spec s = {
		.family = 4,
		.proto = IPPROTO_TCP,
		.sport = 80,
		.dport = 40000,
		.payload_len = 100000,
		.nb_vlan = 1,
		.vlan = { 9 },
	};
	struct colo_pkt_meta pm;
	size_t len;

	pm = classify_big(&s, &len);
	assert_ip(&pm, 4, IPPROTO_TCP, 80, 40000);
	assert_offsets(&pm, ETH + 4, ETH + 4 + IP4, ETH + 4 + IP4 + TCPH, 100000);
	CU_ASSERT_EQUAL(pm.l3_end, len);

	/* The shortest such datagram: 65536 bytes. */
	s.payload_len = UINT16_MAX + 1 - IP4 - TCPH;
	pm = classify_big(&s, &len);
	assert_ip(&pm, 4, IPPROTO_TCP, 80, 40000);
	CU_ASSERT_EQUAL(pm.l3_end - pm.l3_off, UINT16_MAX + 1);
}

/* IPv6: payload length 65535, a jumbogram, and a BIG TCP frame without the option. */
static void
test_ipv6_64k_and_jumbogram(void)
{
	struct frame_spec s = {
		.family = 6,
		.proto = IPPROTO_TCP,
		.sport = 443,
		.dport = 50000,
		.payload_len = UINT16_MAX - TCPH,
	};
	struct colo_pkt_meta pm;
	size_t len;

	pm = classify_big(&s, &len);
	assert_ip(&pm, 6, IPPROTO_TCP, 443, 50000);
	assert_offsets(&pm, ETH, ETH + IP6, ETH + IP6 + TCPH, UINT16_MAX - TCPH);
	CU_ASSERT_EQUAL(len, ETH + IP6 + UINT16_MAX);

	s.jumbo = true;
	s.payload_len = 131072;
	pm = classify_big(&s, &len);
	assert_ip(&pm, 6, IPPROTO_TCP, 443, 50000);
	assert_offsets(&pm, ETH, ETH + IP6 + 8, ETH + IP6 + 8 + TCPH, 131072);
	CU_ASSERT_EQUAL(pm.l3_end, len);

	s.jumbo = false;
	pm = classify_big(&s, &len);
	assert_ip(&pm, 6, IPPROTO_TCP, 443, 50000);
	assert_offsets(&pm, ETH, ETH + IP6, ETH + IP6 + TCPH, 131072);
}

/* Jumbo Payload options that lie: 65535 or less, beyond the frame, cut. */
static void
test_ipv6_jumbo_lies(void)
{
	struct frame_spec s = {
		.family = 6,
		.proto = IPPROTO_UDP,
		.sport = 1,
		.dport = 2,
		.payload_len = 70000,
		.jumbo = true,
	};
	size_t cap = 70000 + 256, len;
	uint8_t *buf = malloc(cap);
	struct rte_mbuf *m;
	unsigned int i;
	static const uint32_t lies[] = { 0, 65535, 70000 + 8 + UDPH + 1 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	len = frame_build(&s, buf, cap);
	CU_ASSERT_FATAL(len != 0);
	for (i = 0; i < RTE_DIM(lies); i++) {
		set16(buf + ETH + IP6 + 4, (uint16_t)(lies[i] >> 16));
		set16(buf + ETH + IP6 + 6, (uint16_t)lies[i]);
		m = frame_mbuf_chain(pool, buf, len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_EQUAL(colo_pkt_classify(m, COLO_SIDE_PRIMARY, 0, 0, &stats),
				COLO_CLASS_MALFORMED);
		CU_ASSERT_EQUAL(colo_pkt_meta(m)->parse_err, COLO_PARSE_ERR_IP6_JUMBO);
		rte_pktmbuf_free(m);
	}
	/* An option length other than 4. */
	set16(buf + ETH + IP6 + 4, 1);
	set16(buf + ETH + IP6 + 6, 0x1170);
	buf[ETH + IP6 + 3] = 3;
	m = frame_mbuf_chain(pool, buf, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	colo_pkt_classify(m, COLO_SIDE_PRIMARY, 0, 0, &stats);
	CU_ASSERT_EQUAL(colo_pkt_meta(m)->parse_err, COLO_PARSE_ERR_IP6_JUMBO);
	rte_pktmbuf_free(m);
	free(buf);
}

/*
 * What DPDK 22.11's net_pcap hands over for a record of more than 64 KiB:
 * pkt_len says more than the segments hold (or less). Never parsed, counted
 * parse_err_truncated, and repaired so nothing reads past the last segment.
 */
static void
test_truncated_chain_never_parsed(void)
{
	struct frame_spec s = { .family = 4, .proto = IPPROTO_UDP, .payload_len = 3000 };
	uint8_t *buf = malloc(4096);
	struct colo_stats before = stats;
	struct rte_mbuf *m;
	size_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	len = frame_build(&s, buf, 4096);
	m = frame_mbuf_chain(pool, buf, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->nb_segs, 2);
	CU_ASSERT(colo_pkt_len_ok(m));
	/* 22.11.11: pkt_len is the record's length, the chain its first bytes. */
	m->pkt_len = 70000;
	CU_ASSERT(!colo_pkt_len_ok(m));
	CU_ASSERT_EQUAL(colo_pkt_classify(m, COLO_SIDE_PRIMARY, TEST_EPOCH, TEST_TSC, &stats),
			COLO_CLASS_MALFORMED);
	CU_ASSERT_EQUAL(colo_pkt_meta(m)->parse_err, COLO_PARSE_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(colo_pkt_meta(m)->payload_len, 0);
	CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(m), len);
	CU_ASSERT(colo_pkt_len_ok(m));
	CU_ASSERT_EQUAL(stats.parse_err[COLO_PARSE_ERR_TRUNCATED],
			before.parse_err[COLO_PARSE_ERR_TRUNCATED] + 1);
	rte_pktmbuf_free(m);

	/* 22.11.0: pkt_len cut to 16 bits, less than the chain holds. */
	m = frame_mbuf_chain(pool, buf, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	m->pkt_len = 100;
	colo_pkt_classify(m, COLO_SIDE_PRIMARY, TEST_EPOCH, TEST_TSC, &stats);
	CU_ASSERT_EQUAL(colo_pkt_meta(m)->parse_err, COLO_PARSE_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(m), len);
	rte_pktmbuf_free(m);

	/* A single segment whose data_len disagrees, and nb_segs that lies. */
	m = frame_mbuf(pool, buf, 100);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	m->pkt_len = 101;
	CU_ASSERT(!colo_pkt_len_ok(m));
	m->pkt_len = 100;
	m->nb_segs = 2;
	CU_ASSERT(!colo_pkt_len_ok(m));
	colo_pkt_classify(m, COLO_SIDE_PRIMARY, TEST_EPOCH, TEST_TSC, &stats);
	CU_ASSERT_EQUAL(colo_pkt_meta(m)->parse_err, COLO_PARSE_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(m->nb_segs, 1);
	rte_pktmbuf_free(m);
	free(buf);
}

/* TPIDs 0x8100, 0x88a8, 0x9100, 0x9200, stacks of three and four tags. */
static void
test_vlan_stacks_and_tpids(void)
{
	static const uint16_t tpids[] = { RTE_ETHER_TYPE_VLAN, RTE_ETHER_TYPE_QINQ, 0x9100,
		0x9200 };
	struct frame_spec s = {
		.family = 6,
		.proto = IPPROTO_UDP,
		.sport = 53,
		.dport = 5353,
		.payload_len = 12,
		.nb_vlan = 4,
		.vlan = { 10, 20, 30, 40 },
		.tpid = { 0x88a8, 0x9100, 0x9200, 0x8100 },
	};
	uint8_t buf[BUF_SIZE];
	struct colo_pkt_meta pm, pm2;
	struct colo_key back;
	size_t len = build(&s, buf);
	char txt[128];
	unsigned int i;

	pm = classify(buf, len);
	assert_ip(&pm, 6, IPPROTO_UDP, 53, 5353);
	CU_ASSERT_EQUAL(pm.flags, COLO_PKT_F_VLAN);
	CU_ASSERT_EQUAL(pm.key.vlan[0], 10);
	CU_ASSERT_EQUAL(pm.key.vlan[1], 20);
	CU_ASSERT_EQUAL(pm.key.vlan[2], 30);
	CU_ASSERT_EQUAL(pm.key.vlan[3], 40);
	assert_offsets(&pm, ETH + 16, ETH + 16 + IP6, ETH + 16 + IP6 + UDPH, 12);
	colo_key_format(&pm.key, txt, sizeof(txt));
	CU_ASSERT_STRING_EQUAL(txt, "udp [fd00::1]:53 > [fd00::2]:5353 vlan 10.20.30.40");
	CU_ASSERT_EQUAL(colo_key_parse(txt, &back), 0);
	CU_ASSERT(memcmp(&back, &pm.key, sizeof(back)) == 0);

	/* The third tag's ID is part of the key: another flow. */
	s.vlan[2] = 31;
	pm2 = classify(buf, build(&s, buf));
	CU_ASSERT_NOT_EQUAL(pm2.hash, pm.hash);
	s.vlan[2] = 30;

	/* Every TPID in every position of a three-tag stack. */
	s.nb_vlan = 3;
	for (i = 0; i < RTE_DIM(tpids); i++) {
		s.tpid[0] = tpids[i];
		s.tpid[1] = tpids[(i + 1) % RTE_DIM(tpids)];
		s.tpid[2] = tpids[(i + 2) % RTE_DIM(tpids)];
		len = build(&s, buf);
		pm = classify(buf, len);
		assert_ip(&pm, 6, IPPROTO_UDP, 53, 5353);
		CU_ASSERT_EQUAL(pm.key.vlan[2], 30);
		CU_ASSERT_EQUAL(pm.key.vlan[3], 0);
		assert_offsets(&pm, ETH + 12, ETH + 12 + IP6, ETH + 12 + IP6 + UDPH, 12);
	}
	colo_key_format(&pm.key, txt, sizeof(txt));
	CU_ASSERT_STRING_EQUAL(txt, "udp [fd00::1]:53 > [fd00::2]:5353 vlan 10.20.30");

	/* A priority tag (ID 0) outside keeps its place in the text. */
	s.vlan[0] = 0;
	pm = classify(buf, build(&s, buf));
	colo_key_format(&pm.key, txt, sizeof(txt));
	CU_ASSERT_STRING_EQUAL(txt, "udp [fd00::1]:53 > [fd00::2]:5353 vlan 0.20.30");
	CU_ASSERT_EQUAL(colo_key_parse(txt, &back), 0);
	CU_ASSERT(memcmp(&back, &pm.key, sizeof(back)) == 0);
	CU_ASSERT_EQUAL(colo_key_parse("udp [fd00::1]:53 > [fd00::2]:5353 vlan 1.2.3.4.5", &back),
			-EINVAL);
	CU_ASSERT_EQUAL(colo_key_parse("udp [fd00::1]:53 > [fd00::2]:5353 vlan 1.2.0", &back),
			-EINVAL);
}

static void
test_malformed_without_stats(void)
{
	uint8_t buf[BUF_SIZE] = { 0 };
	struct rte_mbuf *m = frame_mbuf(pool, buf, 10);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(colo_pkt_classify(m, COLO_SIDE_SECONDARY, 1, 2, NULL),
			COLO_CLASS_MALFORMED);
	CU_ASSERT_EQUAL(colo_pkt_meta(m)->parse_err, COLO_PARSE_ERR_RUNT);
	CU_ASSERT_EQUAL(colo_pkt_meta(m)->side, COLO_SIDE_SECONDARY);
	rte_pktmbuf_free(m);
}

static void
test_good_frames_count_nothing(void)
{
	struct frame_spec s = { .family = 6, .proto = IPPROTO_TCP, .payload_len = 3 };
	uint8_t buf[BUF_SIZE];
	uint64_t before = colo_stats_total(stats.parse_err, COLO_PARSE_ERR_MAX);

	classify(buf, build(&s, buf));
	CU_ASSERT_EQUAL(colo_stats_total(stats.parse_err, COLO_PARSE_ERR_MAX), before);
}

static const struct unit_case cases[] = {
	{ "well-formed IPv4 TCP: offsets, key, seq/ack", test_ipv4_tcp },
	{ "TCP SYN/FIN/RST/ACK become metadata flags", test_tcp_flags },
	{ "TCP options move the payload by the data offset", test_ipv4_tcp_options_in_data_offset },
	{ "well-formed IPv4 UDP", test_ipv4_udp },
	{ "well-formed IPv4 ICMP has no ports", test_ipv4_icmp },
	{ "IPv4 GRE: whole L4 part is payload", test_ipv4_gre_whole_l4_is_payload },
	{ "IPv4 options move the L4 header", test_ipv4_options_move_l4 },
	{ "IPv4 fragment is flagged and has no ports", test_ipv4_fragment_flagged_without_ports },
	{ "well-formed IPv6 TCP", test_ipv6_tcp },
	{ "well-formed IPv6 UDP", test_ipv6_udp },
	{ "well-formed ICMPv6", test_ipv6_icmpv6 },
	{ "IPv6 hop-by-hop/routing/dest-opts chain is walked", test_ipv6_ext_chain_walked },
	{ "eight IPv6 extension headers are accepted", test_ipv6_eight_ext_headers_accepted },
	{ "IPv6 fragment header is flagged", test_ipv6_fragment_header_flagged },
	{ "one and two VLAN tags go into the key", test_vlan_tags_in_key },
	{ "ARP is non-IP with its ethertype in the key", test_arp_is_nonip },
	{ "Ethernet padding is not payload", test_ethernet_padding_excluded },
	{ "ESP and AH SPI are the key ports", test_esp_ah_spi_in_key },
	{ "SCTP, DCCP and UDP-Lite ports are the first 4 bytes", test_sctp_dccp_udplite_ports },
	{ "equal keys hash equal; direction matters", test_equal_keys_equal_hashes },
	{ "chained mbuf parses like the flat frame", test_chained_mbuf_parses_like_flat },
	{ "key format", test_key_format },
	{ "every formatted key parses back to the same key", test_key_parse_roundtrip },
	{ "a text that is not a formatted key is rejected", test_key_parse_rejects },
	{ "every malformed class has its reason and counter", test_every_malformed_class_counted },
	{ "malformed frame without stats is still classified", test_malformed_without_stats },
	{ "well-formed frames count no parse error", test_good_frames_count_nothing },
	{ "TSO frame: IPv4 total length 65535, up to four tags", test_tso_ipv4_64k },
	{ "GSO frame: IPv4 total length 0 beyond 64 KiB", test_gso_ipv4_total_length_0 },
	{ "IPv6 payload length 65535, jumbogram, BIG TCP", test_ipv6_64k_and_jumbogram },
	{ "IPv6 Jumbo Payload options that lie", test_ipv6_jumbo_lies },
	{ "a chain that does not hold pkt_len is never parsed", test_truncated_chain_never_parsed },
	{ "VLAN TPIDs and stacks of three and four tags", test_vlan_stacks_and_tpids },
};

int
main(void)
{
	unsigned int nb_failed;

	frames_eal_init("pkt");
	pool = frames_pool("test_pkt", 256);
	if (pool == NULL) {
		fprintf(stderr, "cannot create mbuf pool\n");
		return 1;
	}
	nb_failed = unit_run("pkt", cases, RTE_DIM(cases));
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return nb_failed != 0;
}
