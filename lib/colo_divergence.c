/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Divergence reports. The engines return only the primary offset and the
 * sequence number of a mismatch; both frames are still queued then, so the
 * pair is found from the connection's queues, and its context from the
 * history of frames that left the context. Reports run once per diverging
 * connection and epoch, never on the matching fast path.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>

#include "colo_compare_priv.h"
#include "colo_divergence.h"

/* Offset of the flags byte in the TCP header, where the TCP engine reports
 * a SYN or FIN that sits at a different place on the two sides. */

/*
 * The last frames that left a context, each with a reference of its own.
 * The hash sits next to the pointer so that a report scans the ring without
 * touching the frames of other connections.
 */
struct colo_history {
	uint32_t mask;	     /**< slots - 1; slots is a power of two */
	uint32_t next;	     /**< slot the next frame takes */
	uint32_t nb_context; /**< frames per side a report carries */
	struct {
		struct rte_mbuf *m;
		uint32_t hash;
	} slot[];
};

int
colo_divergence_register(struct colo_ctx *ctx, colo_divergence_cb_t cb, void *arg)
{
	if (ctx == NULL)
		return -EINVAL;
	ctx->divergence.arg = arg;
	ctx->divergence.cb = cb;
	return 0;
}

void
colo_divergence_history_free(struct colo_ctx *ctx)
{
	struct colo_history *h = ctx->divergence.history;
	uint32_t i;

	if (h == NULL)
		return;
	ctx->divergence.history = NULL;
	for (i = 0; i <= h->mask; i++)
		rte_pktmbuf_free(h->slot[i].m);
	rte_free(h);
}

int
colo_divergence_history(struct colo_ctx *ctx, unsigned int nb_history, unsigned int nb_context)
{
	struct colo_history *h;
	uint32_t slots;

	if (ctx == NULL)
		return -EINVAL;
	if (nb_history != 0 && (nb_context == 0 || nb_context > COLO_DIVERGENCE_MAX_CONTEXT / 2))
		return -EINVAL;
	colo_divergence_history_free(ctx);
	if (nb_history == 0)
		return 0;
	slots = rte_align32pow2(nb_history);
	h = rte_zmalloc("colo_history", sizeof(*h) + slots * sizeof(h->slot[0]),
			RTE_CACHE_LINE_SIZE);
	if (h == NULL)
		return -ENOMEM;
	h->mask = slots - 1;
	h->nb_context = nb_context;
	ctx->divergence.history = h;
	return 0;
}

void
colo_divergence_remember(struct colo_history *h, struct rte_mbuf *m)
{
	struct rte_mbuf *seg;
	uint32_t i;

	/* A malformed frame belongs to no connection: no report shows it. */
	if (colo_pkt_meta(m)->class == COLO_CLASS_MALFORMED)
		return;
	i = h->next++ & h->mask;
	/* The oldest frame falls out: drop our reference; the last holder's
	 * free returns it to the pool. */
	if (h->slot[i].m != NULL)
		rte_pktmbuf_free(h->slot[i].m);
	/* rte_pktmbuf_free() frees segment by segment: hold every one. */
	for (seg = m; seg != NULL; seg = seg->next)
		rte_mbuf_refcnt_update(seg, 1);
	h->slot[i].m = m;
	h->slot[i].hash = colo_pkt_meta(m)->hash;
}

/*
 * Up to @p max frames of @p side ahead of @p stop in @p q, the last ones
 * when there are more, appended to @p out. TCP queues are sorted by
 * sequence: frames ahead hold earlier bytes.
 */
static unsigned int
queued_before(const struct colo_pktq *q, const struct rte_mbuf *stop, unsigned int max,
		const struct rte_mbuf **out)
{
	const struct rte_mbuf *m;
	unsigned int n = 0, skip, i = 0;

	for (m = q->head; m != NULL && m != stop; m = colo_pkt_meta(m)->next)
		n++;
	skip = n > max ? n - max : 0;
	for (m = q->head; m != NULL && m != stop; m = colo_pkt_meta(m)->next)
		if (i++ >= skip)
			*out++ = m;
	return n - skip;
}

static inline bool
arrived_before(const struct rte_mbuf *a, const struct rte_mbuf *b)
{
	return colo_pkt_meta(a)->arrival_tsc < colo_pkt_meta(b)->arrival_tsc;
}

/*
 * The context of the pair in @p d: per side, the last nb_context frames of
 * the connection among those the history holds (older) and those queued
 * ahead of the pair (newer), merged by arrival time.
 */
static void
context_collect(const struct colo_history *h, const struct colo_conn *conn,
		struct colo_divergence *d)
{
	const struct rte_mbuf *side_frames[2][COLO_DIVERGENCE_MAX_CONTEXT / 2];
	const struct rte_mbuf *queued[COLO_DIVERGENCE_MAX_CONTEXT / 2];
	const struct colo_pkt_meta *pm = colo_pkt_meta(d->pkt[COLO_SIDE_PRIMARY]);
	unsigned int nb[2] = { 0, 0 }, nb_q, s, i, j, k = h->nb_context;
	uint32_t n, idx;

	for (s = 0; s < 2; s++) {
		nb_q = queued_before(&conn->q[s], d->pkt[s], k, queued);
		/* Newest first from the history, until the side has its share. */
		for (n = 0; n <= h->mask && nb[s] + nb_q < k; n++) {
			const struct colo_pkt_meta *hm;

			idx = (h->next - 1 - n) & h->mask;
			if (h->slot[idx].m == NULL)
				break;
			if (h->slot[idx].hash != pm->hash)
				continue;
			hm = colo_pkt_meta(h->slot[idx].m);
			if (hm->side == s && memcmp(&hm->key, &pm->key, sizeof(pm->key)) == 0)
				side_frames[s][nb[s]++] = h->slot[idx].m;
		}
		/* Oldest first: reverse the history part, then the queued part. */
		for (i = 0; i < nb[s] / 2; i++) {
			const struct rte_mbuf *t = side_frames[s][i];

			side_frames[s][i] = side_frames[s][nb[s] - 1 - i];
			side_frames[s][nb[s] - 1 - i] = t;
		}
		for (i = 0; i < nb_q; i++)
			side_frames[s][nb[s]++] = queued[i];
	}
	/* Merge the two sides by arrival; each side is in its own order already. */
	i = j = 0;
	while (i < nb[0] || j < nb[1]) {
		if (j == nb[1] || (i < nb[0] && !arrived_before(side_frames[1][j],
								side_frames[0][i])))
			d->context[d->nb_context++] = side_frames[0][i++];
		else
			d->context[d->nb_context++] = side_frames[1][j++];
	}
}

void
colo_divergence_report(
		struct colo_ctx *ctx, uint32_t idx, const struct colo_verdict *v, uint64_t now_tsc)
{
	struct colo_conn *conn = colo_conn_at(ctx->conns, idx);
	struct colo_divergence d;

	if (ctx->divergence.cb == NULL || (conn->flags & COLO_CONN_F_MISMATCH))
		return;
	d.tsc = now_tsc;
	d.key = colo_conn_key(ctx->conns, idx);
	d.reason = v->reason;
	d.tcp_seq = v->tcp_seq;
	/* The dispatcher triggers right after this call: a new request unless
	 * one is outstanding, which this mismatch is then coalesced into. */
	d.ckpt_id = ctx->ckpt.nb_requests + !ctx->ckpt.outstanding;
	/* The engine knows which frames it compared and where they differ. */
	if (conn->ops->locate != NULL) {
		if (conn->ops->locate(conn, v, d.pkt, d.offset) != 0)
			return;
	} else {
		/* FIFO engines stop at the first differing pair: the heads. */
		d.pkt[COLO_SIDE_PRIMARY] = conn->q[COLO_SIDE_PRIMARY].head;
		d.pkt[COLO_SIDE_SECONDARY] = conn->q[COLO_SIDE_SECONDARY].head;
		if (d.pkt[COLO_SIDE_PRIMARY] == NULL || d.pkt[COLO_SIDE_SECONDARY] == NULL)
			return;
		d.offset[COLO_SIDE_PRIMARY] = v->offset;
		d.offset[COLO_SIDE_SECONDARY] = v->offset;
	}
	d.nb_context = 0;
	if (ctx->divergence.history != NULL)
		context_collect(ctx->divergence.history, conn, &d);
	ctx->divergence.cb(&d, ctx->divergence.arg);
}

int
colo_divergence_format(const struct colo_divergence *d, enum colo_side side, char *buf, size_t len)
{
	char key[128];

	if (d == NULL || buf == NULL || (unsigned int)side > COLO_SIDE_SECONDARY)
		return -EINVAL;
	colo_key_format(d->key, key, sizeof(key));
	if (d->key->proto == IPPROTO_TCP && d->key->family != 0)
		return snprintf(buf, len, "%s %s checkpoint %" PRIu64 " %s offset %d tcp_seq %u",
				colo_ckpt_reason_name(d->reason), key, d->ckpt_id,
				side == COLO_SIDE_PRIMARY ? "primary" : "secondary",
				d->offset[side], d->tcp_seq);
	return snprintf(buf, len, "%s %s checkpoint %" PRIu64 " %s offset %d",
			colo_ckpt_reason_name(d->reason), key, d->ckpt_id,
			side == COLO_SIDE_PRIMARY ? "primary" : "secondary", d->offset[side]);
}
