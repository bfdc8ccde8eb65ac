/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * FIFO engines: UDP, ICMP/ICMPv6, other IP protocols and (by policy) non-IP.
 * Per connection, the oldest primary is matched with the oldest secondary,
 * so release order is always arrival order (docs/semantics.md U2; QEMU 7+ tries the
 * newest primary first). The engines differ only in which bytes must match.
 */
#include <errno.h>

#include "colo_compare_priv.h"

/* Byte offsets of fields that differ between two correct VMs and are
 * never compared (docs/semantics.md U1, U5, O1): derived checksums, TTL/hop limit, IP-ID and
 * the IPv6 flow label (Linux derives it from a per-boot random seed). */
#define IP4_ID_OFF 4
#define IP4_TTL_OFF 8
#define IP4_CSUM_OFF 10
#define IP4_ADDR_OFF 12
#define IP6_PLEN_OFF 4
#define IP6_HLIM_OFF 7
#define L4_CSUM_LEN 2
#define UDP_CSUM_OFF 6
#define ICMP_CSUM_OFF 2

/* Compare [poff, poff+len) of p with [soff, soff+len) of s; on a difference
 * store the offset in p and return true. */
static inline bool
range_differs(const struct rte_mbuf *p, uint32_t poff, const struct rte_mbuf *s, uint32_t soff,
		uint32_t len, int32_t *at)
{
	int32_t d = colo_mbuf_diff(p, poff, s, soff, len);

	if (d < 0)
		return false;
	*at = (int32_t)poff + d;
	return true;
}

/* The L4 message from its header to the end of the IP datagram (padding
 * excluded), skipping a checksum of L4_CSUM_LEN bytes at @p csum_off. */
static int32_t
l4_diff(const struct rte_mbuf *p, const struct rte_mbuf *s, uint32_t csum_off)
{
	const struct colo_pkt_meta *pm = colo_pkt_meta(p), *sm = colo_pkt_meta(s);
	uint32_t plen = pm->l3_end - pm->l4_off, slen = sm->l3_end - sm->l4_off;
	uint32_t len = RTE_MIN(plen, slen);
	int32_t at;

	if (range_differs(p, pm->l4_off, s, sm->l4_off, RTE_MIN(len, csum_off), &at))
		return at;
	if (len > csum_off + L4_CSUM_LEN &&
			range_differs(p, pm->l4_off + csum_off + L4_CSUM_LEN, s,
					sm->l4_off + csum_off + L4_CSUM_LEN,
					len - csum_off - L4_CSUM_LEN, &at))
		return at;
	return plen == slen ? -1 : (int32_t)(pm->l4_off + len);
}

static int32_t
udp_diff(const struct rte_mbuf *p, const struct rte_mbuf *s)
{
	return l4_diff(p, s, UDP_CSUM_OFF);
}

static int32_t
icmp_diff(const struct rte_mbuf *p, const struct rte_mbuf *s)
{
	return l4_diff(p, s, ICMP_CSUM_OFF);
}

/* Whole frame except the volatile IP fields: L2 header (MACs, tags), the
 * stable IP header fields, options or extension headers, then the datagram
 * to its end. */
static int32_t
other_diff(const struct rte_mbuf *p, const struct rte_mbuf *s)
{
	const struct colo_pkt_meta *pm = colo_pkt_meta(p), *sm = colo_pkt_meta(s);
	uint32_t l3 = pm->l3_off;
	int32_t at;

	if (pm->l3_off != sm->l3_off)
		return 0;
	if (range_differs(p, 0, s, 0, l3, &at))
		return at;
	if (pm->key.family == 4) {
		/* version/IHL, TOS, total length */
		if (range_differs(p, l3, s, l3, IP4_ID_OFF, &at))
			return at;
		/* flags and fragment offset */
		if (range_differs(p, l3 + 6, s, l3 + 6, 2, &at))
			return at;
		/* protocol */
		if (range_differs(p, l3 + 9, s, l3 + 9, 1, &at))
			return at;
		/* addresses */
		if (range_differs(p, l3 + IP4_ADDR_OFF, s, l3 + IP4_ADDR_OFF, 8, &at))
			return at;
	} else {
		uint8_t pbuf, sbuf;
		const uint8_t *pb = rte_pktmbuf_read(p, l3 + 1, 1, &pbuf);
		const uint8_t *sb = rte_pktmbuf_read(s, l3 + 1, 1, &sbuf);

		/* version and traffic class: the flow label's 20 bits are skipped */
		if (colo_mbuf_diff(p, l3, s, l3, 1) >= 0)
			return (int32_t)l3;
		if ((*pb & 0xf0) != (*sb & 0xf0))
			return (int32_t)l3 + 1;
		/* payload length, next header */
		if (range_differs(p, l3 + IP6_PLEN_OFF, s, l3 + IP6_PLEN_OFF, 3, &at))
			return at;
		/* addresses */
		if (range_differs(p, l3 + 8, s, l3 + 8, 32, &at))
			return at;
	}
	if (pm->l4_off != sm->l4_off || pm->l3_end != sm->l3_end)
		return (int32_t)RTE_MIN(pm->l4_off, sm->l4_off);
	/* IPv4 options or IPv6 extension headers, then the rest of the datagram */
	if (range_differs(p, l3 + (pm->key.family == 4 ? 20 : 40), s,
				l3 + (pm->key.family == 4 ? 20 : 40),
				pm->l3_end - l3 - (pm->key.family == 4 ? 20 : 40), &at))
		return at;
	return -1;
}

/* Non-IP frames carry no length of their own: the whole frame must match. */
static int32_t
nonip_diff(const struct rte_mbuf *p, const struct rte_mbuf *s)
{
	uint32_t len = RTE_MIN(p->pkt_len, s->pkt_len);
	int32_t at;

	if (range_differs(p, 0, s, 0, len, &at))
		return at;
	return p->pkt_len == s->pkt_len ? -1 : (int32_t)len;
}

static int
fifo_enqueue(struct colo_ctx *ctx, struct colo_conn *conn, struct rte_mbuf *m)
{
	struct colo_pktq *q = &conn->q[colo_pkt_meta(m)->side];

	if (q->nb >= ctx->p.max_queue)
		return -ENOBUFS;
	colo_pktq_push(q, m);
	return 0;
}

static struct colo_verdict
fifo_compare(struct colo_ctx *ctx, struct colo_conn *conn)
{
	struct colo_pktq *pq = &conn->q[COLO_SIDE_PRIMARY];
	struct colo_pktq *sq = &conn->q[COLO_SIDE_SECONDARY];

	while (pq->head != NULL && sq->head != NULL) {
		int32_t at = conn->ops->diff(pq->head, sq->head);

		if (at >= 0)
			return colo_verdict_mismatch(conn->ops->mismatch_reason, at, 0);
		conn->verified_bytes += colo_pkt_meta(pq->head)->payload_len;
		colo_release(ctx, colo_pktq_pop(pq), COLO_REL_MATCH);
		colo_discard(ctx, colo_pktq_pop(sq), COLO_DISCARD_MATCH);
	}
	return colo_verdict_of(pq->head == NULL && sq->head == NULL ? COLO_VERDICT_RELEASE :
			COLO_VERDICT_HOLD);
}

/*
 * UDP and ICMP stop at the first differing pair, the heads, and compare
 * from the L4 header on, where the two IP headers may differ in length
 * (IPv4 options): the same place in the secondary's L4 header.
 */
static int
l4_locate(const struct colo_conn *c, const struct colo_verdict *v, const struct rte_mbuf *pkt[2],
		int32_t offset[2])
{
	pkt[COLO_SIDE_PRIMARY] = c->q[COLO_SIDE_PRIMARY].head;
	pkt[COLO_SIDE_SECONDARY] = c->q[COLO_SIDE_SECONDARY].head;
	if (pkt[COLO_SIDE_PRIMARY] == NULL || pkt[COLO_SIDE_SECONDARY] == NULL)
		return -ENOENT;
	offset[COLO_SIDE_PRIMARY] = v->offset;
	offset[COLO_SIDE_SECONDARY] = colo_pkt_meta(pkt[COLO_SIDE_SECONDARY])->l4_off +
				      (v->offset - colo_pkt_meta(pkt[COLO_SIDE_PRIMARY])->l4_off);
	return 0;
}

const struct colo_compare_ops colo_compare_udp_ops = {
	.name = "udp",
	.mismatch_reason = COLO_CKPT_MISMATCH_UDP,
	.enqueue = fifo_enqueue,
	.compare = fifo_compare,
	.diff = udp_diff,
	.locate = l4_locate,
};

const struct colo_compare_ops colo_compare_icmp_ops = {
	.name = "icmp",
	.mismatch_reason = COLO_CKPT_MISMATCH_ICMP,
	.enqueue = fifo_enqueue,
	.compare = fifo_compare,
	.diff = icmp_diff,
	.locate = l4_locate,
};

const struct colo_compare_ops colo_compare_other_ops = {
	.name = "other",
	.mismatch_reason = COLO_CKPT_MISMATCH_OTHER,
	.enqueue = fifo_enqueue,
	.compare = fifo_compare,
	.diff = other_diff,
};

const struct colo_compare_ops colo_compare_nonip_ops = {
	.name = "nonip",
	.mismatch_reason = COLO_CKPT_MISMATCH_NONIP,
	.enqueue = fifo_enqueue,
	.compare = fifo_compare,
	.diff = nonip_diff,
};
