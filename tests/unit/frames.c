/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test frame builder. Frames are written byte by byte in network order, with
 * a local checksum so that a DPDK checksum bug cannot hide a parser bug. The
 * EAL and pool helpers give every unit suite the same isolated environment.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "colo_pkt.h"
#include "frames.h"

#define GRE_HDR_LEN 4
#define ARP_LEN 28
#define TCP_OPTS_MAX 40

static const uint8_t default_src_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t default_dst_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t zero_mac[6];

static uint8_t *
wr8(uint8_t *p, uint8_t v)
{
	*p = v;
	return p + 1;
}

static uint8_t *
wr16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
	return p + 2;
}

static uint8_t *
wr32(uint8_t *p, uint32_t v)
{
	p = wr16(p, v >> 16);
	return wr16(p, v & 0xffff);
}

static uint8_t *
wrmem(uint8_t *p, const void *src, size_t n)
{
	memcpy(p, src, n);
	return p + n;
}

/* One's complement sum of @p n bytes, big-endian words, odd byte padded. */
static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Pseudo-header sum of RFC 793 (IPv4) or RFC 8200 section 8.1 (IPv6). */
static uint32_t
csum_pseudo(int family, const uint8_t *src, const uint8_t *dst, uint8_t proto, uint32_t len)
{
	size_t alen = family == 6 ? 16 : 4;
	uint32_t sum = 0;

	sum = csum_add(sum, src, alen);
	sum = csum_add(sum, dst, alen);
	sum += proto;
	sum += len >> 16;
	sum += len & 0xffff;
	return sum;
}

static void
fill_payload(uint8_t *p, const struct frame_spec *s)
{
	unsigned int i;

	if (s->payload != NULL) {
		memcpy(p, s->payload, s->payload_len);
		return;
	}
	for (i = 0; i < s->payload_len; i++)
		p[i] = i & 0xff;
}

static size_t
l4_hdr_len(const struct frame_spec *s)
{
	switch (s->proto) {
	case IPPROTO_TCP:
		return sizeof(struct rte_tcp_hdr) + s->tcp_opts_len;
	case IPPROTO_UDP:
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return 8;
	case IPPROTO_GRE:
		return GRE_HDR_LEN;
	default:
		return 0;
	}
}

/* Write the L4 header and payload at @p p; @p len covers both. */
static void
build_l4(const struct frame_spec *s, uint8_t *p, size_t len, const uint8_t *src, const uint8_t *dst)
{
	uint8_t *q = p;
	uint32_t sum;
	size_t ck_off;

	switch (s->proto) {
	case IPPROTO_TCP:
		q = wr16(q, s->sport);
		q = wr16(q, s->dport);
		q = wr32(q, s->seq);
		q = wr32(q, s->ack);
		q = wr8(q, (uint8_t)(((sizeof(struct rte_tcp_hdr) + s->tcp_opts_len) / 4) << 4));
		q = wr8(q, s->tcp_flags != 0 ? s->tcp_flags : RTE_TCP_ACK_FLAG);
		q = wr16(q, s->window != 0 ? s->window : 65535);
		q = wr16(q, 0); /* checksum, below */
		q = wr16(q, 0); /* urgent pointer */
		if (s->tcp_opts_len != 0)
			q = wrmem(q, s->tcp_opts, s->tcp_opts_len);
		ck_off = 16;
		break;
	case IPPROTO_UDP:
		q = wr16(q, s->sport);
		q = wr16(q, s->dport);
		q = wr16(q, (uint16_t)len);
		q = wr16(q, 0);
		ck_off = 6;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		q = wr8(q, s->icmp_type);
		q = wr8(q, s->icmp_code);
		q = wr16(q, 0);
		q = wr16(q, s->icmp_id);
		q = wr16(q, s->icmp_seq);
		ck_off = 2;
		break;
	case IPPROTO_GRE:
		q = wr16(q, 0);
		q = wr16(q, RTE_ETHER_TYPE_IPV4);
		fill_payload(q, s);
		return;
	default:
		fill_payload(q, s);
		return;
	}
	fill_payload(q, s);

	/* ICMPv4 has no pseudo-header; TCP, UDP and ICMPv6 do. */
	sum = s->proto == IPPROTO_ICMP ? 0 : csum_pseudo(s->family, src, dst, s->proto, len);
	sum = csum_fold(csum_add(sum, p, len));
	if (sum == 0 && s->proto == IPPROTO_UDP)
		sum = 0xffff; /* RFC 768: zero means "no checksum" */
	wr16(p + ck_off, (uint16_t)sum);
}

static bool
parse_addrs(const struct frame_spec *s, uint8_t *src, uint8_t *dst)
{
	int af = s->family == 6 ? AF_INET6 : AF_INET;
	const char *a = s->src, *b = s->dst;

	if (a == NULL)
		a = s->family == 6 ? "fd00::1" : "10.0.0.1";
	if (b == NULL)
		b = s->family == 6 ? "fd00::2" : "10.0.0.2";
	return inet_pton(af, a, src) == 1 && inet_pton(af, b, dst) == 1;
}

size_t
frame_build(const struct frame_spec *s, uint8_t *buf, size_t cap)
{
	uint8_t src[16], dst[16];
	size_t l2_len, l3_len, l4_len, total;
	const uint8_t *mac, *src_mac;
	uint8_t *p = buf;
	unsigned int i;

	if (s->nb_vlan > 2 || s->tcp_opts_len % 4 != 0 || s->tcp_opts_len > TCP_OPTS_MAX ||
			(s->tcp_opts_len != 0 && s->tcp_opts == NULL))
		return 0;
	if (s->family != 0 && s->family != 4 && s->family != 6)
		return 0;
	if (!parse_addrs(s, src, dst))
		return 0;

	l2_len = RTE_ETHER_HDR_LEN + 4u * s->nb_vlan;
	if (s->family == 0) {
		l3_len = ARP_LEN;
		l4_len = 0;
	} else {
		l4_len = l4_hdr_len(s) + s->payload_len;
		l3_len = (s->family == 6 ? 40 : 20) + l4_len;
	}
	if ((s->family == 4 && l3_len > UINT16_MAX) || (s->family == 6 && l4_len > UINT16_MAX))
		return 0;
	total = l2_len + l3_len + s->pad;
	if (total > cap)
		return 0;

	if (memcmp(s->dst_mac, zero_mac, 6) != 0)
		mac = s->dst_mac;
	else
		mac = s->family == 0 ? bcast_mac : default_dst_mac;
	p = wrmem(p, mac, 6);
	src_mac = memcmp(s->src_mac, zero_mac, 6) != 0 ? s->src_mac : default_src_mac;
	p = wrmem(p, src_mac, 6);
	for (i = 0; i < s->nb_vlan; i++) {
		p = wr16(p, i == 0 && s->nb_vlan == 2 ? RTE_ETHER_TYPE_QINQ : RTE_ETHER_TYPE_VLAN);
		p = wr16(p, s->vlan[i] & 0xfff);
	}

	switch (s->family) {
	case 0:
		p = wr16(p, RTE_ETHER_TYPE_ARP);
		p = wr16(p, 1); /* Ethernet */
		p = wr16(p, RTE_ETHER_TYPE_IPV4);
		p = wr8(p, 6);
		p = wr8(p, 4);
		p = wr16(p, 1); /* request */
		p = wrmem(p, src_mac, 6);
		p = wrmem(p, src, 4);
		p = wrmem(p, zero_mac, 6);
		p = wrmem(p, dst, 4);
		break;
	case 4: {
		uint8_t *ip;

		p = wr16(p, RTE_ETHER_TYPE_IPV4);
		ip = p;
		p = wr8(p, 0x45);
		p = wr8(p, 0);
		p = wr16(p, (uint16_t)l3_len);
		p = wr16(p, s->ip_id);
		p = wr16(p, 0);
		p = wr8(p, s->ttl != 0 ? s->ttl : 64);
		p = wr8(p, s->proto);
		p = wr16(p, 0);
		p = wrmem(p, src, 4);
		p = wrmem(p, dst, 4);
		wr16(ip + 10, csum_fold(csum_add(0, ip, 20)));
		build_l4(s, p, l4_len, src, dst);
		p += l4_len;
		break;
	}
	default:
		p = wr16(p, RTE_ETHER_TYPE_IPV6);
		p = wr32(p, 6u << 28);
		p = wr16(p, (uint16_t)l4_len);
		p = wr8(p, s->proto);
		p = wr8(p, s->ttl != 0 ? s->ttl : 64);
		p = wrmem(p, src, 16);
		p = wrmem(p, dst, 16);
		build_l4(s, p, l4_len, src, dst);
		p += l4_len;
		break;
	}
	memset(p, 0, s->pad);
	return total;
}

struct rte_mbuf *
frame_mbuf(struct rte_mempool *mp, const uint8_t *buf, size_t len)
{
	struct rte_mbuf *m;
	char *d;

	if (len > UINT16_MAX)
		return NULL;
	m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		return NULL;
	d = rte_pktmbuf_append(m, (uint16_t)len);
	if (d == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(d, buf, len);
	return m;
}

struct rte_mbuf *
frame_make(struct rte_mempool *mp, const struct frame_spec *s)
{
	uint8_t buf[RTE_MBUF_DEFAULT_DATAROOM];
	size_t len;

	len = frame_build(s, buf, sizeof(buf));
	if (len == 0)
		return NULL;
	return frame_mbuf(mp, buf, len);
}

/* Even with --no-shconf, EAL makes /var/run/dpdk/<prefix>: leave nothing behind. */
static char runtime_dir[256];

static void
remove_runtime_dir(void)
{
	rmdir(runtime_dir);
}

int
frames_skip(const char *name, const char *why)
{
	const char *ci = getenv("CI"), *all = getenv("COLO_REQUIRE_ALL");

	if ((ci != NULL && strcmp(ci, "true") == 0) || (all != NULL && strcmp(all, "1") == 0)) {
		fprintf(stderr, "SKIP not allowed (CI=true or COLO_REQUIRE_ALL=1): %s: %s\n", name,
				why);
		return 1;
	}
	fprintf(stderr, "SKIP: %s: %s\n", name, why);
	return 77;
}

int
frames_eal_init(const char *name)
{
	char prefix[64];
	char *argv[] = {
		"unit_test",
		"--no-huge",
		"--no-pci",
		"--no-shconf",
		"--no-telemetry",
		"-m",
		"256",
		prefix,
		"--log-level=*:error",
	};

	snprintf(prefix, sizeof(prefix), "--file-prefix=unit_%s", name);
	if (rte_eal_init(RTE_DIM(argv), argv) < 0)
		exit(frames_skip(name, rte_strerror(rte_errno)));
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	atexit(remove_runtime_dir);
	return 0;
}

struct rte_mempool *
frames_pool(const char *name, unsigned int n)
{
	/* No per-lcore cache, so tests can count free mbufs exactly. */
	return rte_pktmbuf_pool_create(
			name, n, 0, COLO_PKT_PRIV_SIZE, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
}
