/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame classification (spec B2): one bounds-checked pass over Ethernet,
 * up to two VLAN tags, IPv4/IPv6 and the L4 header, filling the metadata in
 * the mbuf private area. Comparison, connection lookup and release policy
 * belong to the compare engines; this file only says what the frame is.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "colo_pkt.h"

/*
 * rte_net_get_ptype() is not used: it reports a packet type but no reason
 * when a length lies (we count one per field), it does not bound the L4
 * payload by the IP length (Ethernet padding would become payload, the
 * QEMU bug of spec A5), and it returns neither the VLAN IDs nor the ports
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
 * filled as spec A4 defines them; protocols without ports keep 0 and their
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
	/* Bytes after total_length are Ethernet padding, not payload (spec B2). */
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

enum colo_pkt_class
colo_pkt_classify(struct rte_mbuf *m, enum colo_side side, uint32_t epoch, uint64_t now_tsc,
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
	memset(pm, 0, sizeof(*pm));
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
	/* Non-IP and malformed frames are hashed too, so they stay deterministic. */
	pm->hash = colo_key_hash(&pm->key);
	return pm->class;
}

static const char *
proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmp6";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_DCCP:
		return "dccp";
	case IPPROTO_UDPLITE:
		return "udplite";
	case IPPROTO_ESP:
		return "esp";
	case IPPROTO_AH:
		return "ah";
	case IPPROTO_GRE:
		return "gre";
	default:
		snprintf(buf, len, "proto %u", proto);
		return buf;
	}
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
	switch (key->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
	case IPPROTO_UDPLITE:
		if (key->sport != 0 || key->dport != 0)
			return snprintf(buf, len, "%s %s%s%s:%u > %s%s%s:%u%s",
					proto_name(key->proto, pname, sizeof(pname)), lb, src, rb,
					rte_be_to_cpu_16(key->sport), lb, dst, rb,
					rte_be_to_cpu_16(key->dport), vlan);
		break;
	case IPPROTO_ESP:
	case IPPROTO_AH:
		spi = (uint32_t)rte_be_to_cpu_16(key->sport) << 16 | rte_be_to_cpu_16(key->dport);
		return snprintf(buf, len, "%s %s > %s spi 0x%08x%s",
				proto_name(key->proto, pname, sizeof(pname)), src, dst, spi, vlan);
	default:
		break;
	}
	/* No ports: ICMP, GRE, fragments and unknown protocols. */
	return snprintf(buf, len, "%s %s > %s%s", proto_name(key->proto, pname, sizeof(pname)), src,
			dst, vlan);
}
