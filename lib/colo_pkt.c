/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame classification (docs/semantics.md A1-A6): one bounds-checked pass over Ethernet,
 * up to two VLAN tags, IPv4/IPv6 and the L4 header, filling the metadata in
 * the mbuf private area. Comparison, connection lookup and release policy
 * belong to the compare engines; this file only says what the frame is.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "colo_pkt.h"

/*
 * rte_net_get_ptype() is not used: it reports a packet type but no reason
 * when a length lies (we count one per field), it does not bound the L4
 * payload by the IP length (Ethernet padding would become payload, the
 * QEMU bug of docs/semantics.md T16, U4), and it returns neither the VLAN IDs nor the ports
 * the connection key needs, so a second walk would be required anyway.
 */

/* IPv6 extension headers not named in <netinet/in.h> (RFC 7401, RFC 5533). */
#define NH_HIP 139
#define NH_SHIM6 140

/* Longest extension chain we walk; real stacks send one or two. */
#define IP6_EXT_MAX 8

/*
 * Metadata offsets are 16 bits, so only the first 64 KiB of a frame can be
 * described: a datagram that ends beyond that is reported as too long.
 */
#define FRAME_MAX UINT16_MAX

/* State of one parse; @c len is the frame length clipped to FRAME_MAX. */
struct parse {
	const struct rte_mbuf *m;
	struct colo_pkt_meta *pm;
	uint32_t len;
};

/*
 * Header bytes at @p off: a pointer into the mbuf when they are contiguous,
 * else a copy in @p buf. The caller has checked off + n against the frame.
 */
static inline const uint8_t *
hdr_read(const struct parse *p, uint32_t off, uint32_t n, uint8_t *buf)
{
	return rte_pktmbuf_read(p->m, off, n, buf);
}

static inline uint16_t
rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* TCP: seq/ack and flags for the stream compare; payload after the options. */
static int
parse_tcp(struct parse *p, uint32_t l4_off)
{
	struct colo_pkt_meta *pm = p->pm;
	uint8_t buf[sizeof(struct rte_tcp_hdr)];
	const struct rte_tcp_hdr *th;
	uint32_t l4_len = pm->l3_end - l4_off;
	uint32_t doff;

	if (l4_len < sizeof(*th))
		return COLO_PARSE_ERR_TCP_TRUNC;
	th = (const struct rte_tcp_hdr *)hdr_read(p, l4_off, sizeof(*th), buf);
	doff = (th->data_off >> 4) * 4u;
	if (doff < sizeof(*th) || doff > l4_len)
		return COLO_PARSE_ERR_TCP_DOFF;
	pm->key.sport = th->src_port;
	pm->key.dport = th->dst_port;
	pm->tcp_seq = rte_be_to_cpu_32(th->sent_seq);
	pm->tcp_ack = rte_be_to_cpu_32(th->recv_ack);
	if (th->tcp_flags & RTE_TCP_SYN_FLAG)
		pm->flags |= COLO_PKT_F_TCP_SYN;
	if (th->tcp_flags & RTE_TCP_FIN_FLAG)
		pm->flags |= COLO_PKT_F_TCP_FIN;
	if (th->tcp_flags & RTE_TCP_RST_FLAG)
		pm->flags |= COLO_PKT_F_TCP_RST;
	if (th->tcp_flags & RTE_TCP_ACK_FLAG)
		pm->flags |= COLO_PKT_F_TCP_ACK;
	pm->payload_off = l4_off + doff;
	return COLO_PARSE_OK;
}

/* UDP: the length field may be shorter than the datagram, never longer. */
static int
parse_udp(struct parse *p, uint32_t l4_off)
{
	struct colo_pkt_meta *pm = p->pm;
	uint8_t buf[sizeof(struct rte_udp_hdr)];
	const struct rte_udp_hdr *uh;
	uint32_t l4_len = pm->l3_end - l4_off;
	uint32_t ulen;

	if (l4_len < sizeof(*uh))
		return COLO_PARSE_ERR_UDP_TRUNC;
	uh = (const struct rte_udp_hdr *)hdr_read(p, l4_off, sizeof(*uh), buf);
	ulen = rte_be_to_cpu_16(uh->dgram_len);
	if (ulen < sizeof(*uh) || ulen > l4_len)
		return COLO_PARSE_ERR_UDP_LEN;
	pm->key.sport = uh->src_port;
	pm->key.dport = uh->dst_port;
	pm->payload_off = l4_off + sizeof(*uh);
	return COLO_PARSE_OK;
}

/*
 * The L4 header at @p l4_off of a datagram ending at pm->l3_end. Ports are
 * filled as struct colo_key defines them; protocols without ports keep 0 and their
 * whole L4 part counts as payload.
 */
static int
parse_l4(struct parse *p, uint8_t proto, uint32_t l4_off)
{
	struct colo_pkt_meta *pm = p->pm;
	uint32_t l4_len = pm->l3_end - l4_off;
	uint8_t buf[8];
	const uint8_t *b;
	int ret = COLO_PARSE_OK;

	pm->key.proto = proto;
	pm->l4proto = proto;
	pm->l4_off = l4_off;
	pm->payload_off = l4_off;

	switch (proto) {
	case IPPROTO_TCP:
		ret = parse_tcp(p, l4_off);
		break;
	case IPPROTO_UDP:
		ret = parse_udp(p, l4_off);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (l4_len < 8)
			return COLO_PARSE_ERR_ICMP_TRUNC;
		pm->payload_off = l4_off + 8;
		break;
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
	case IPPROTO_UDPLITE:
	case IPPROTO_ESP:
		/* Ports, or for ESP the SPI, are the first four bytes. */
		if (l4_len < 4)
			return COLO_PARSE_ERR_L4_TRUNC;
		b = hdr_read(p, l4_off, 4, buf);
		memcpy(&pm->key.sport, b, 2);
		memcpy(&pm->key.dport, b + 2, 2);
		break;
	case IPPROTO_AH:
		/* AH puts next header, length and reserved before its SPI. */
		if (l4_len < 8)
			return COLO_PARSE_ERR_L4_TRUNC;
		b = hdr_read(p, l4_off, 8, buf);
		memcpy(&pm->key.sport, b + 4, 2);
		memcpy(&pm->key.dport, b + 6, 2);
		break;
	default:
		break;
	}
	if (ret == COLO_PARSE_OK)
		pm->payload_len = pm->l3_end - pm->payload_off;
	return ret;
}

/* A fragment has no L4 header we can trust: key it by addresses and protocol. */
static void
set_fragment(struct colo_pkt_meta *pm, uint8_t proto, uint32_t l4_off)
{
	pm->flags |= COLO_PKT_F_FRAG;
	pm->key.proto = proto;
	pm->l4proto = proto;
	pm->l4_off = l4_off;
	pm->payload_off = l4_off;
	pm->payload_len = pm->l3_end - l4_off;
}

static int
parse_ipv4(struct parse *p, uint32_t l3_off)
{
	struct colo_pkt_meta *pm = p->pm;
	uint8_t buf[sizeof(struct rte_ipv4_hdr)];
	const struct rte_ipv4_hdr *ip;
	uint32_t avail = p->len - l3_off;
	uint32_t ihl, tot;
	uint16_t frag;

	if (avail < sizeof(*ip))
		return COLO_PARSE_ERR_IP4_TRUNC;
	ip = (const struct rte_ipv4_hdr *)hdr_read(p, l3_off, sizeof(*ip), buf);
	if ((ip->version_ihl >> 4) != 4)
		return COLO_PARSE_ERR_IP4_VERSION;
	ihl = (ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	if (ihl < sizeof(*ip) || ihl > avail)
		return COLO_PARSE_ERR_IP4_IHL;
	/* Bytes after total_length are Ethernet padding, not payload (docs/semantics.md T16). */
	tot = rte_be_to_cpu_16(ip->total_length);
	if (tot < ihl || tot > avail)
		return COLO_PARSE_ERR_IP4_LEN;

	pm->key.family = 4;
	memcpy(pm->key.src, &ip->src_addr, 4);
	memcpy(pm->key.dst, &ip->dst_addr, 4);
	pm->l3_off = l3_off;
	pm->l3_end = l3_off + tot;

	frag = rte_be_to_cpu_16(ip->fragment_offset);
	if (frag & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) {
		set_fragment(pm, ip->next_proto_id, l3_off + ihl);
		return COLO_PARSE_OK;
	}
	return parse_l4(p, ip->next_proto_id, l3_off + ihl);
}

/* Extension headers that are walked; AH and ESP end the walk as QEMU does. */
static inline bool
ip6_is_ext(uint8_t nh)
{
	switch (nh) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_DSTOPTS:
	case IPPROTO_MH:
	case NH_HIP:
	case NH_SHIM6:
		return true;
	default:
		return false;
	}
}

static int
parse_ipv6(struct parse *p, uint32_t l3_off)
{
	struct colo_pkt_meta *pm = p->pm;
	uint8_t buf[sizeof(struct rte_ipv6_hdr)];
	const struct rte_ipv6_hdr *ip6;
	uint32_t avail = p->len - l3_off;
	uint32_t off, ext_len;
	unsigned int nb_ext = 0;
	const uint8_t *ext;
	uint8_t nh;

	if (avail < sizeof(*ip6))
		return COLO_PARSE_ERR_IP6_TRUNC;
	ip6 = (const struct rte_ipv6_hdr *)hdr_read(p, l3_off, sizeof(*ip6), buf);
	if ((rte_be_to_cpu_32(ip6->vtc_flow) >> 28) != 6)
		return COLO_PARSE_ERR_IP6_VERSION;
	if (sizeof(*ip6) + rte_be_to_cpu_16(ip6->payload_len) > avail)
		return COLO_PARSE_ERR_IP6_LEN;

	pm->key.family = 6;
	memcpy(pm->key.src, ip6->src_addr, 16);
	memcpy(pm->key.dst, ip6->dst_addr, 16);
	pm->l3_off = l3_off;
	pm->l3_end = l3_off + sizeof(*ip6) + rte_be_to_cpu_16(ip6->payload_len);

	nh = ip6->proto;
	off = l3_off + sizeof(*ip6);
	while (ip6_is_ext(nh)) {
		if (nb_ext == IP6_EXT_MAX)
			return COLO_PARSE_ERR_IP6_EXT_CHAIN;
		/* Every extension header is at least 8 bytes long. */
		if (off + 8 > pm->l3_end)
			return COLO_PARSE_ERR_IP6_EXT_TRUNC;
		ext = hdr_read(p, off, 2, buf);
		if (nh == IPPROTO_FRAGMENT) {
			/* Later headers may be in another fragment: stop here. */
			set_fragment(pm, ext[0], off + 8);
			return COLO_PARSE_OK;
		}
		/* Length in 8-byte units, not counting the first 8 bytes. */
		ext_len = (ext[1] + 1u) * 8;
		if (off + ext_len > pm->l3_end)
			return COLO_PARSE_ERR_IP6_EXT_TRUNC;
		nh = ext[0];
		off += ext_len;
		nb_ext++;
	}
	return parse_l4(p, nh, off);
}

/* Ethernet and up to two VLAN tags; returns the inner ethertype in @p et. */
static int
parse_l2(struct parse *p, uint16_t *et, uint32_t *l3_off)
{
	struct colo_pkt_meta *pm = p->pm;
	uint8_t buf[sizeof(struct rte_ether_hdr)];
	const uint8_t *b;
	uint32_t off = sizeof(struct rte_ether_hdr);
	unsigned int nb_vlan = 0;
	uint16_t type, vid;

	if (p->len < sizeof(struct rte_ether_hdr))
		return COLO_PARSE_ERR_RUNT;
	b = hdr_read(p, 2 * RTE_ETHER_ADDR_LEN, 2, buf);
	type = rd16(b);
	while (type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ) {
		if (nb_vlan == 2)
			return COLO_PARSE_ERR_VLAN_DEPTH;
		if (off + sizeof(struct rte_vlan_hdr) > p->len)
			return COLO_PARSE_ERR_VLAN_TRUNC;
		b = hdr_read(p, off, sizeof(struct rte_vlan_hdr), buf);
		vid = rd16(b) & 0xfff;
		if (nb_vlan == 0)
			pm->key.vlan_outer = vid;
		else
			pm->key.vlan_inner = vid;
		type = rd16(b + 2);
		off += sizeof(struct rte_vlan_hdr);
		nb_vlan++;
	}
	if (nb_vlan != 0)
		pm->flags |= COLO_PKT_F_VLAN;
	*et = type;
	*l3_off = off;
	return COLO_PARSE_OK;
}

static int
parse_frame(struct parse *p)
{
	struct colo_pkt_meta *pm = p->pm;
	uint32_t l3_off;
	uint16_t et;
	int ret;

	ret = parse_l2(p, &et, &l3_off);
	if (ret != COLO_PARSE_OK)
		return ret;
	switch (et) {
	case RTE_ETHER_TYPE_IPV4:
		ret = parse_ipv4(p, l3_off);
		break;
	case RTE_ETHER_TYPE_IPV6:
		ret = parse_ipv6(p, l3_off);
		break;
	default:
		/* Non-IP: everything after the tags is payload for whoever compares it. */
		pm->class = COLO_CLASS_NONIP;
		pm->key.ether_type = et;
		pm->l3_off = l3_off;
		pm->l4_off = l3_off;
		pm->payload_off = l3_off;
		pm->l3_end = p->len;
		pm->payload_len = p->len - l3_off;
		return COLO_PARSE_OK;
	}
	if (ret == COLO_PARSE_OK)
		pm->class = COLO_CLASS_IP;
	return ret;
}

/*
 * Zero @p pm with 16-byte stores. A memset of this size compiles to rep
 * stos (GCC 12, -march=corei7 from libdpdk.pc or znver tuning), whose
 * start-up cost was 13 % of classify's time (perf cpu-clock, colo-bench
 * 64 B TCP, AMD EPYC 2 vCPU KVM, 2026-11-26). The pragma keeps GCC from
 * turning the loop back into that memset.
 */
static inline void
meta_zero(struct colo_pkt_meta *pm)
{
	typedef uint64_t v2u64 __attribute__((vector_size(16), aligned(1), may_alias));
	const v2u64 zero = { 0, 0 };
	size_t off;

#pragma GCC unroll 16
	for (off = 0; off + sizeof(zero) <= sizeof(*pm); off += sizeof(zero))
		*(v2u64 *)((char *)pm + off) = zero;
	memset((char *)pm + off, 0, sizeof(*pm) - off);
}

/* colo_pkt_classify() but the hash: see colo_pkt_classify_burst(). */
static enum colo_pkt_class
classify(struct rte_mbuf *m, enum colo_side side, uint32_t epoch, uint64_t now_tsc,
		struct colo_stats *st)
{
	struct colo_pkt_meta *pm = colo_pkt_meta(m);
	struct parse p = {
		.m = m,
		.pm = pm,
		.len = RTE_MIN(rte_pktmbuf_pkt_len(m), (uint32_t)FRAME_MAX),
	};
	int ret;

	/* The key is hashed and memcmp'ed whole: no stale byte may survive. */
	meta_zero(pm);
	ret = parse_frame(&p);
	if (unlikely(ret != COLO_PARSE_OK)) {
		/* Nothing half-parsed may reach the compare engines. */
		memset(pm, 0, sizeof(*pm));
		pm->class = COLO_CLASS_MALFORMED;
		pm->parse_err = ret;
		if (st != NULL)
			colo_stat_add(&st->parse_err[ret], 1);
	}
	pm->side = side;
	pm->epoch = epoch;
	pm->arrival_tsc = now_tsc;
	return pm->class;
}

enum colo_pkt_class
colo_pkt_classify(struct rte_mbuf *m, enum colo_side side, uint32_t epoch, uint64_t now_tsc,
		struct colo_stats *st)
{
	enum colo_pkt_class cls = classify(m, side, epoch, now_tsc, st);
	struct colo_pkt_meta *pm = colo_pkt_meta(m);

	/* Non-IP and malformed frames are hashed too, so they stay deterministic. */
	pm->hash = colo_key_hash(&pm->key);
	return cls;
}

/* Parse one frame while the headers of a later one load. */
#define PREFETCH_AHEAD 3

void
colo_pkt_classify_burst(struct rte_mbuf **pkts, unsigned int n, enum colo_side side, uint32_t epoch,
		uint64_t now_tsc, struct colo_stats *st)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (i + PREFETCH_AHEAD < n) {
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD], void *));
			rte_prefetch0(colo_pkt_meta(pkts[i + PREFETCH_AHEAD]));
		}
		classify(pkts[i], side, epoch, now_tsc, st);
	}
	/*
	 * A second pass: hashing right after the parse wrote the key reads it
	 * back in 8-byte words over 1- to 4-byte stores still in the store
	 * buffer, and each such load stalls until they drain. That was 40 % of
	 * classify's time (perf annotate, same run as above); a burst later
	 * the stores are in L1.
	 */
	for (i = 0; i < n; i++) {
		struct colo_pkt_meta *pm = colo_pkt_meta(pkts[i]);

		pm->hash = colo_key_hash(&pm->key);
	}
}

const struct colo_proto colo_protos[256] = {
	[IPPROTO_TCP] = { "tcp", COLO_PROTO_TCP },
	[IPPROTO_UDP] = { "udp", COLO_PROTO_UDP },
	[IPPROTO_ICMP] = { "icmp", COLO_PROTO_ICMP },
	[IPPROTO_ICMPV6] = { "icmpv6", COLO_PROTO_ICMP },
	[IPPROTO_SCTP] = { "sctp", COLO_PROTO_PORTS },
	[IPPROTO_DCCP] = { "dccp", COLO_PROTO_PORTS },
	[IPPROTO_UDPLITE] = { "udplite", COLO_PROTO_PORTS },
	[IPPROTO_ESP] = { "esp", COLO_PROTO_SPI },
	[IPPROTO_AH] = { "ah", COLO_PROTO_SPI },
	[IPPROTO_GRE] = { "gre", COLO_PROTO_OTHER },
};

static const char *
proto_name(uint8_t proto, char *buf, size_t len)
{
	if (colo_protos[proto].name != NULL)
		return colo_protos[proto].name;
	snprintf(buf, len, "proto %u", proto);
	return buf;
}

int
colo_key_format(const struct colo_key *key, char *buf, size_t len)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], pname[16], vlan[24] = "";
	int af = key->family == 6 ? AF_INET6 : AF_INET;
	const char *lb = key->family == 6 ? "[" : "";
	const char *rb = key->family == 6 ? "]" : "";
	uint32_t spi;

	if (buf == NULL || len == 0)
		return -EINVAL;
	if (key->vlan_inner != 0)
		snprintf(vlan, sizeof(vlan), " vlan %u.%u", key->vlan_outer, key->vlan_inner);
	else if (key->vlan_outer != 0)
		snprintf(vlan, sizeof(vlan), " vlan %u", key->vlan_outer);

	if (key->family != 4 && key->family != 6)
		return snprintf(buf, len, "ether 0x%04x%s", key->ether_type, vlan);

	inet_ntop(af, key->src, src, sizeof(src));
	inet_ntop(af, key->dst, dst, sizeof(dst));
	if (colo_proto_has_ports(key->proto) && (key->sport != 0 || key->dport != 0))
		return snprintf(buf, len, "%s %s%s%s:%u > %s%s%s:%u%s",
				proto_name(key->proto, pname, sizeof(pname)), lb, src, rb,
				rte_be_to_cpu_16(key->sport), lb, dst, rb, rte_be_to_cpu_16(key->dport),
				vlan);
	if (colo_proto_class(key->proto) == COLO_PROTO_SPI) {
		spi = (uint32_t)rte_be_to_cpu_16(key->sport) << 16 | rte_be_to_cpu_16(key->dport);
		return snprintf(buf, len, "%s %s > %s spi 0x%08x%s",
				proto_name(key->proto, pname, sizeof(pname)), src, dst, spi, vlan);
	}
	/* No ports: ICMP, GRE, fragments and unknown protocols. */
	return snprintf(buf, len, "%s %s > %s%s", proto_name(key->proto, pname, sizeof(pname)), src,
			dst, vlan);
}

static int
proto_parse(char **tok, unsigned int *i, unsigned int nb, uint8_t *proto)
{
	unsigned long v;
	unsigned int k;
	char *end;

	for (k = 0; k < RTE_DIM(colo_protos); k++) {
		if (colo_protos[k].name != NULL && strcmp(tok[*i], colo_protos[k].name) == 0) {
			*proto = (uint8_t)k;
			(*i)++;
			return 0;
		}
	}
	/* "proto 103" */
	if (strcmp(tok[*i], "proto") != 0 || *i + 1 >= nb)
		return -EINVAL;
	v = strtoul(tok[*i + 1], &end, 10);
	if (*end != '\0' || v > UINT8_MAX)
		return -EINVAL;
	*proto = (uint8_t)v;
	*i += 2;
	return 0;
}

/* "10.0.0.1", "10.0.0.1:80", "[fd00::1]:80" or "fd00::1" into @p addr. */
static int
addr_parse(char *s, uint8_t *addr, uint8_t *family, uint16_t *port)
{
	char *colon, *end;
	unsigned long v;

	*port = 0;
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (end == NULL || end[1] != ':')
			return -EINVAL;
		*end = '\0';
		colon = end + 1;
		s++;
	} else {
		colon = strchr(s, ':');
		/* More than one colon and no brackets: a bare IPv6 address. */
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL;
	}
	if (colon != NULL) {
		*colon = '\0';
		v = strtoul(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end != '\0' || v > UINT16_MAX)
			return -EINVAL;
		*port = rte_cpu_to_be_16((uint16_t)v);
	}
	if (inet_pton(AF_INET, s, addr) == 1)
		*family = 4;
	else if (inet_pton(AF_INET6, s, addr) == 1)
		*family = 6;
	else
		return -EINVAL;
	return 0;
}

int
colo_key_parse(const char *text, struct colo_key *key)
{
	char buf[160], again[160], *tok[12], *save = NULL, *t, *end;
	uint8_t fam_src = 0, fam_dst = 0;
	unsigned int nb = 0, i = 0;
	unsigned long v, w = 0;

	if (text == NULL || key == NULL || strlen(text) >= sizeof(buf))
		return -EINVAL;
	memset(key, 0, sizeof(*key));
	strcpy(buf, text);
	for (t = strtok_r(buf, " ", &save); t != NULL && nb < RTE_DIM(tok);
			t = strtok_r(NULL, " ", &save))
		tok[nb++] = t;
	if (nb < 2 || t != NULL)
		return -EINVAL;
	if (strcmp(tok[0], "ether") == 0) {
		v = strtoul(tok[1], &end, 16);
		if (*end != '\0' || v > UINT16_MAX)
			return -EINVAL;
		key->ether_type = (uint16_t)v;
		i = 2;
	} else {
		if (proto_parse(tok, &i, nb, &key->proto) != 0 || i + 3 > nb ||
				strcmp(tok[i + 1], ">") != 0 ||
				addr_parse(tok[i], key->src, &fam_src, &key->sport) != 0 ||
				addr_parse(tok[i + 2], key->dst, &fam_dst, &key->dport) != 0 ||
				fam_src != fam_dst)
			return -EINVAL;
		key->family = fam_src;
		i += 3;
		if (i + 2 <= nb && strcmp(tok[i], "spi") == 0) {
			v = strtoul(tok[i + 1], &end, 16);
			if (*end != '\0' || v > UINT32_MAX)
				return -EINVAL;
			key->sport = rte_cpu_to_be_16((uint16_t)(v >> 16));
			key->dport = rte_cpu_to_be_16((uint16_t)v);
			i += 2;
		}
	}
	if (i + 2 == nb && strcmp(tok[i], "vlan") == 0) {
		v = strtoul(tok[i + 1], &end, 10);
		if (*end == '.')
			w = strtoul(end + 1, &end, 10);
		if (*end != '\0' || v > 4095 || w > 4095)
			return -EINVAL;
		key->vlan_outer = (uint16_t)v;
		key->vlan_inner = (uint16_t)w;
		i += 2;
	}
	if (i != nb)
		return -EINVAL;
	/* Only the canonical text: what colo_key_format() writes back. */
	colo_key_format(key, again, sizeof(again));
	return strcmp(again, text) == 0 ? 0 : -EINVAL;
}
