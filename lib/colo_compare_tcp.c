/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP engine (docs/semantics.md T1-T16): the two sides are compared as byte streams in
 * sequence space. A verification point (tcp_verified) advances over ranges
 * that both sides cover with equal bytes, whatever the segmentation and
 * arrival order. The secondary queue is sorted by sequence number; the
 * primary queue keeps arrival order, because primaries leave in the order
 * the VM sent them: each when all of its sequence space is verified and its
 * ACK is not ahead of the highest ACK the secondary sent. SYN and FIN each
 * occupy one sequence number and must sit at the same place on both sides.
 * Headers (TTL, IP-ID, window, options, checksums) are never compared.
 */
#include <errno.h>

#include <rte_tcp.h>

#include "colo_compare_priv.h"

/* RFC 793 sequence arithmetic, modulo 2^32. */
#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_MAX(a, b) (SEQ_GT(a, b) ? (a) : (b))
#define SEQ_MIN(a, b) (SEQ_LT(a, b) ? (a) : (b))

/* Offset of the flags byte in the TCP header: where a SYN/FIN difference
 * is reported. */
#define TCP_FLAGS_OFF 13

/* A segment's place in sequence space: [start, end), with an optional SYN
 * at start and FIN at data_end. */
struct seg {
	uint32_t start;
	uint32_t data_start;
	uint32_t data_end;
	uint32_t end;
	bool syn;
	bool fin;
};

static inline void
seg_of(const struct colo_pkt_meta *pm, struct seg *sg)
{
	sg->syn = (pm->flags & COLO_PKT_F_TCP_SYN) != 0;
	sg->fin = (pm->flags & COLO_PKT_F_TCP_FIN) != 0;
	sg->start = pm->tcp_seq;
	sg->data_start = sg->start + sg->syn;
	sg->data_end = sg->data_start + pm->payload_len;
	sg->end = sg->data_end + sg->fin;
}

static inline uint32_t
seg_end(const struct rte_mbuf *m)
{
	const struct colo_pkt_meta *pm = colo_pkt_meta(m);

	return pm->tcp_seq + colo_pkt_tcp_seq_len(pm);
}

static inline bool
seq_in(uint32_t x, uint32_t lo, uint32_t hi)
{
	return SEQ_LEQ(lo, x) && SEQ_LT(x, hi);
}

/* Frame offset in the primary of sequence number @p x. */
static int32_t
primary_offset(const struct colo_pkt_meta *pm, const struct seg *ps, uint32_t x)
{
	if (seq_in(x, ps->data_start, ps->data_end))
		return pm->payload_off + (int32_t)(x - ps->data_start);
	return pm->l4_off + TCP_FLAGS_OFF;
}

/*
 * Compare @p p and @p s over [lo, hi), a range both cover. Return true on a
 * difference, with its sequence number and primary frame offset.
 */
static bool
range_differs(const struct rte_mbuf *p, const struct rte_mbuf *s, uint32_t lo, uint32_t hi,
		uint32_t *at_seq, int32_t *at_off)
{
	const struct colo_pkt_meta *pm = colo_pkt_meta(p), *sm = colo_pkt_meta(s);
	uint32_t d_lo, d_hi, x;
	struct seg ps, ss;
	int32_t d;

	seg_of(pm, &ps);
	seg_of(sm, &ss);
	/* A SYN in the range must be a SYN at the same place on the other side. */
	if (ps.syn && seq_in(ps.start, lo, hi) && !(ss.syn && ss.start == ps.start)) {
		x = ps.start;
		goto differ;
	}
	if (ss.syn && seq_in(ss.start, lo, hi) && !(ps.syn && ps.start == ss.start)) {
		x = ss.start;
		goto differ;
	}
	d_lo = SEQ_MAX(lo, SEQ_MAX(ps.data_start, ss.data_start));
	d_hi = SEQ_MIN(hi, SEQ_MIN(ps.data_end, ss.data_end));
	if (SEQ_LT(d_lo, d_hi)) {
		d = colo_mbuf_diff(p, pm->payload_off + (d_lo - ps.data_start), s,
				sm->payload_off + (d_lo - ss.data_start), d_hi - d_lo);
		if (d >= 0) {
			x = d_lo + (uint32_t)d;
			goto differ;
		}
	}
	if (ps.fin && seq_in(ps.data_end, lo, hi) && !(ss.fin && ss.data_end == ps.data_end)) {
		x = ps.data_end;
		goto differ;
	}
	if (ss.fin && seq_in(ss.data_end, lo, hi) && !(ps.fin && ps.data_end == ss.data_end)) {
		x = ss.data_end;
		goto differ;
	}
	return false;
differ:
	*at_seq = x;
	*at_off = primary_offset(pm, &ps, x);
	return true;
}

static void
sec_ack_update(struct colo_conn *c, const struct colo_pkt_meta *pm)
{
	if (!(pm->flags & COLO_PKT_F_TCP_ACK))
		return;
	if (!(c->flags & COLO_CONN_F_SEC_ACK) || SEQ_GT(pm->tcp_ack, c->tcp_sec_ack)) {
		c->tcp_sec_ack = pm->tcp_ack;
		c->flags |= COLO_CONN_F_SEC_ACK;
	}
}

static int
tcp_enqueue(struct colo_ctx *ctx, struct colo_conn *conn, struct rte_mbuf *m)
{
	struct colo_pkt_meta *pm = colo_pkt_meta(m);
	struct colo_pktq *q = &conn->q[pm->side];
	struct rte_mbuf *prev = NULL, *cur;

	if (q->nb >= ctx->p.max_queue)
		return -ENOBUFS;
	if (pm->side == COLO_SIDE_PRIMARY) {
		colo_pktq_push(q, m);
		return 0;
	}
	sec_ack_update(conn, pm);
	/* Almost always in order: append. Otherwise insert after the last
	 * segment that does not start later (stable for equal starts). */
	if (q->tail == NULL || SEQ_LEQ(colo_pkt_meta(q->tail)->tcp_seq, pm->tcp_seq)) {
		colo_pktq_push(q, m);
		return 0;
	}
	for (cur = q->head; cur != NULL && SEQ_LEQ(colo_pkt_meta(cur)->tcp_seq, pm->tcp_seq);
			cur = colo_pkt_meta(cur)->next)
		prev = cur;
	pm->next = cur;
	if (prev == NULL)
		q->head = m;
	else
		colo_pkt_meta(prev)->next = m;
	q->nb++;
	return 0;
}

/* Where the stream starts: at the SYN when one is queued, else (a
 * connection picked up mid-stream) at the lower of the two sides' first
 * segments (the primary's first to arrive, the secondary's lowest). */
static bool
tcp_anchor(struct colo_conn *c)
{
	const struct rte_mbuf *p = c->q[COLO_SIDE_PRIMARY].head;
	const struct rte_mbuf *s = c->q[COLO_SIDE_SECONDARY].head;
	uint32_t a;

	if (p != NULL && (colo_pkt_meta(p)->flags & COLO_PKT_F_TCP_SYN))
		a = colo_pkt_meta(p)->tcp_seq;
	else if (s != NULL && (colo_pkt_meta(s)->flags & COLO_PKT_F_TCP_SYN))
		a = colo_pkt_meta(s)->tcp_seq;
	else if (p != NULL && s != NULL)
		a = SEQ_MIN(colo_pkt_meta(p)->tcp_seq, colo_pkt_meta(s)->tcp_seq);
	else
		return false;
	c->tcp_verified = a;
	c->flags |= COLO_CONN_F_ANCHORED;
	return true;
}

/*
 * Free the secondaries whose whole sequence space is verified. Inlined: it
 * runs at every step of verify(), and the call was 5 % of the compare lcore
 * (perf cpu-clock, colo-bench 64 B TCP, AMD EPYC 2 vCPU KVM, 2026-11-26).
 */
static __rte_always_inline void
discard_verified(struct colo_ctx *ctx, struct colo_conn *c)
{
	struct colo_pktq *sq = &c->q[COLO_SIDE_SECONDARY];

	while (sq->head != NULL && SEQ_LEQ(seg_end(sq->head), c->tcp_verified)) {
		struct rte_mbuf *s = colo_pktq_pop(sq);

		colo_discard(ctx, s,
				(colo_pkt_meta(s)->flags & COLO_PKT_F_COMPARED) ?
						COLO_DISCARD_MATCH :
						COLO_DISCARD_VERIFIED);
	}
}

static inline bool
covers(const struct rte_mbuf *m, uint32_t x)
{
	return SEQ_LEQ(colo_pkt_meta(m)->tcp_seq, x) && SEQ_GT(seg_end(m), x);
}

/* The queued primary covering sequence number @p x, or NULL. The queue is
 * in arrival order, so look after @p hint (the last segment used, usually
 * the one before the answer) first, then from the head. */
static struct rte_mbuf *
primary_covering(const struct colo_conn *c, struct rte_mbuf *hint, uint32_t x)
{
	struct rte_mbuf *m;

	for (m = hint; m != NULL; m = colo_pkt_meta(m)->next)
		if (covers(m, x))
			return m;
	for (m = c->q[COLO_SIDE_PRIMARY].head; m != hint; m = colo_pkt_meta(m)->next)
		if (covers(m, x))
			return m;
	return NULL;
}

/* Advance tcp_verified as far as both sides cover it with equal bytes. */
static struct colo_verdict
verify(struct colo_ctx *ctx, struct colo_conn *c)
{
	struct rte_mbuf *p = c->q[COLO_SIDE_PRIMARY].head;
	uint32_t at_seq, lim;
	int32_t at_off;

	for (;;) {
		struct rte_mbuf *s;

		discard_verified(ctx, c);
		s = c->q[COLO_SIDE_SECONDARY].head;
		if (s == NULL || SEQ_GT(colo_pkt_meta(s)->tcp_seq, c->tcp_verified))
			return colo_verdict_of(COLO_VERDICT_HOLD);
		p = primary_covering(c, p, c->tcp_verified);
		if (p == NULL)
			return colo_verdict_of(COLO_VERDICT_HOLD);
		lim = SEQ_MIN(seg_end(p), seg_end(s));
		if (range_differs(p, s, c->tcp_verified, lim, &at_seq, &at_off))
			return colo_verdict_mismatch(COLO_CKPT_MISMATCH_TCP, at_off, at_seq);
		colo_pkt_meta(p)->flags |= COLO_PKT_F_COMPARED;
		colo_pkt_meta(s)->flags |= COLO_PKT_F_COMPARED;
		c->verified_bytes += lim - c->tcp_verified;
		c->tcp_verified = lim;
	}
}

/* Release primaries from the head while they are verified and their ACK is
 * not ahead of the secondary's (docs/semantics.md T7: an ACK lag holds, it is no
 * mismatch). Stops at the first one that must wait, so the client sees the
 * primary's own order, retransmissions included. */
static void
release_verified(struct colo_ctx *ctx, struct colo_conn *c)
{
	struct colo_pktq *pq = &c->q[COLO_SIDE_PRIMARY];
	struct rte_mbuf *p;

	while ((p = pq->head) != NULL) {
		struct colo_pkt_meta *pm = colo_pkt_meta(p);

		if (SEQ_GT(seg_end(p), c->tcp_verified))
			break;
		if ((pm->flags & COLO_PKT_F_TCP_ACK) &&
				(!(c->flags & COLO_CONN_F_SEC_ACK) ||
						SEQ_GT(pm->tcp_ack, c->tcp_sec_ack))) {
			if (!(pm->flags & COLO_PKT_F_HELD_ACK)) {
				pm->flags |= COLO_PKT_F_HELD_ACK;
				colo_stat_add(&ctx->st->ctr[COLO_HOLD_ACK], 1);
			}
			break;
		}
		colo_pktq_pop(pq);
		if (pm->flags & (COLO_PKT_F_TCP_FIN | COLO_PKT_F_TCP_RST))
			c->flags |= COLO_CONN_F_CLOSING;
		/* A segment with bytes that were all verified before it came
		 * is a retransmission; everything else passed a comparison. */
		colo_release(ctx, p,
				(pm->flags & COLO_PKT_F_COMPARED) || colo_pkt_tcp_seq_len(pm) == 0 ?
						COLO_REL_MATCH :
						COLO_REL_VERIFIED);
	}
}

static struct colo_verdict
tcp_compare(struct colo_ctx *ctx, struct colo_conn *c)
{
	struct colo_verdict v;

	if (!(c->flags & COLO_CONN_F_ANCHORED) && !tcp_anchor(c))
		return colo_verdict_of(COLO_VERDICT_HOLD);
	/* Returns with every verified secondary discarded: it discards at each
	 * step, and neither its return nor release_verified() moves the point. */
	v = verify(ctx, c);
	/* Whatever was verified before a difference still goes out now. */
	release_verified(ctx, c);
	if (v.kind != COLO_VERDICT_MISMATCH && c->q[COLO_SIDE_PRIMARY].head == NULL &&
			c->q[COLO_SIDE_SECONDARY].head == NULL)
		v.kind = COLO_VERDICT_RELEASE;
	return v;
}

/* A primary released uncompared (flush, stale epoch, eviction) is what the
 * secondary now agrees with: move the verified point and the secondary's
 * ACK past it so that the next segments line up. */
static void
tcp_accept(struct colo_conn *c, const struct rte_mbuf *m)
{
	const struct colo_pkt_meta *pm = colo_pkt_meta(m);
	uint32_t end = seg_end(m);

	if (!(c->flags & COLO_CONN_F_ANCHORED) || SEQ_GT(end, c->tcp_verified)) {
		c->tcp_verified = end;
		c->flags |= COLO_CONN_F_ANCHORED;
	}
	sec_ack_update(c, pm);
	if (pm->flags & (COLO_PKT_F_TCP_FIN | COLO_PKT_F_TCP_RST))
		c->flags |= COLO_CONN_F_CLOSING;
}

static uint8_t
tcp_timeout_reason(const struct colo_conn *c, const struct rte_mbuf *m)
{
	if ((c->flags & COLO_CONN_F_ANCHORED) && SEQ_LEQ(seg_end(m), c->tcp_verified))
		return COLO_CKPT_TIMEOUT_ACK;
	return COLO_CKPT_TIMEOUT_PRIMARY;
}

/* Whether @p seq lies in @p m's sequence space [seq, seq + len), modulo 2^32. */
static bool
seq_covers(const struct rte_mbuf *m, uint32_t seq)
{
	const struct colo_pkt_meta *pm = colo_pkt_meta(m);

	return seq - pm->tcp_seq < colo_pkt_tcp_seq_len(pm);
}

/* Frame offset of sequence number @p seq in segment @p m: a payload byte,
 * or the flags byte when @p seq is the segment's SYN or FIN. */
static int32_t
seq_offset(const struct rte_mbuf *m, uint32_t seq)
{
	struct seg sg;

	seg_of(colo_pkt_meta(m), &sg);
	return primary_offset(colo_pkt_meta(m), &sg, seq);
}

/*
 * The frames a mismatch compared. The secondary: the differing byte lies
 * in the first unverified secondary segment, and the queue is sorted by
 * sequence, so the first one covering it is the one compared (earlier ones
 * end at or before the verified point). The primary: one covering the
 * byte at the verdict's frame offset. Primaries are queued in arrival
 * order, so an earlier arrival (a retransmission, a lone FIN or SYN) may
 * cover the byte too, with the offset past its end. Found by
 * tests/fuzz/fuzz_compare; regression test in tests/unit/test_regress.c.
 */
static int
tcp_locate(const struct colo_conn *c, const struct colo_verdict *v,
		const struct rte_mbuf *pkt[2], int32_t offset[2])
{
	const struct rte_mbuf *m;

	pkt[COLO_SIDE_PRIMARY] = pkt[COLO_SIDE_SECONDARY] = NULL;
	for (m = c->q[COLO_SIDE_PRIMARY].head; m != NULL; m = colo_pkt_meta(m)->next)
		if (seq_covers(m, v->tcp_seq) && seq_offset(m, v->tcp_seq) == v->offset) {
			pkt[COLO_SIDE_PRIMARY] = m;
			break;
		}
	for (m = c->q[COLO_SIDE_SECONDARY].head; m != NULL; m = colo_pkt_meta(m)->next)
		if (seq_covers(m, v->tcp_seq)) {
			pkt[COLO_SIDE_SECONDARY] = m;
			break;
		}
	if (pkt[COLO_SIDE_PRIMARY] == NULL || pkt[COLO_SIDE_SECONDARY] == NULL)
		return -ENOENT;
	offset[COLO_SIDE_PRIMARY] = v->offset;
	offset[COLO_SIDE_SECONDARY] = seq_offset(pkt[COLO_SIDE_SECONDARY], v->tcp_seq);
	return 0;
}

const struct colo_compare_ops colo_compare_tcp_ops = {
	.name = "tcp",
	.mismatch_reason = COLO_CKPT_MISMATCH_TCP,
	.enqueue = tcp_enqueue,
	.compare = tcp_compare,
	.diff = NULL,
	.accept = tcp_accept,
	.timeout_reason = tcp_timeout_reason,
	.locate = tcp_locate,
};
