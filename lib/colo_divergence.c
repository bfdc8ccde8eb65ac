/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Divergence reports. The engines return only the primary offset and the
 * sequence number of a mismatch; both frames are still queued then, so the
 * pair is found from the connection's queues. This runs once per diverging
 * connection and epoch, never on the matching fast path.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>

#include "colo_compare_priv.h"
#include "colo_divergence.h"

/* Offset of the flags byte in the TCP header, where the TCP engine reports
 * a SYN or FIN that sits at a different place on the two sides. */
#define TCP_FLAGS_OFF 13

int
colo_divergence_register(struct colo_ctx *ctx, colo_divergence_cb_t cb, void *arg)
{
	if (ctx == NULL)
		return -EINVAL;
	ctx->divergence.arg = arg;
	ctx->divergence.cb = cb;
	return 0;
}

/* Whether @p seq lies in @p m's sequence space [seq, seq + len), modulo 2^32. */
static bool
tcp_covers(const struct rte_mbuf *m, uint32_t seq)
{
	const struct colo_pkt_meta *pm = colo_pkt_meta(m);

	return seq - pm->tcp_seq < colo_pkt_tcp_seq_len(pm);
}

/*
 * The TCP engine compares the first unverified segment of each side, and
 * the differing byte lies in both: the first queued segment covering it is
 * the one compared (earlier ones end at or before the verified point).
 */
static const struct rte_mbuf *
tcp_find(const struct colo_pktq *q, uint32_t seq)
{
	const struct rte_mbuf *m;

	for (m = q->head; m != NULL; m = colo_pkt_meta(m)->next)
		if (tcp_covers(m, seq))
			return m;
	return NULL;
}

/* Frame offset of sequence number @p seq in segment @p m: a payload byte,
 * or the flags byte when @p seq is the segment's SYN or FIN. */
static int32_t
tcp_offset(const struct rte_mbuf *m, uint32_t seq)
{
	const struct colo_pkt_meta *pm = colo_pkt_meta(m);
	uint32_t data_start = pm->tcp_seq + !!(pm->flags & COLO_PKT_F_TCP_SYN);

	if (seq - data_start < pm->payload_len)
		return pm->payload_off + (int32_t)(seq - data_start);
	return pm->l4_off + TCP_FLAGS_OFF;
}

void
colo_divergence_report(
		struct colo_ctx *ctx, uint32_t idx, const struct colo_verdict *v, uint64_t now_tsc)
{
	struct colo_conn *conn = colo_conn_at(ctx->conns, idx);
	const struct colo_pkt_meta *pm, *sm;
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
	d.offset[COLO_SIDE_PRIMARY] = v->offset;
	if (conn->ops == &colo_compare_tcp_ops) {
		d.pkt[COLO_SIDE_PRIMARY] = tcp_find(&conn->q[COLO_SIDE_PRIMARY], v->tcp_seq);
		d.pkt[COLO_SIDE_SECONDARY] = tcp_find(&conn->q[COLO_SIDE_SECONDARY], v->tcp_seq);
		if (d.pkt[COLO_SIDE_PRIMARY] == NULL || d.pkt[COLO_SIDE_SECONDARY] == NULL)
			return;
		d.offset[COLO_SIDE_SECONDARY] = tcp_offset(d.pkt[COLO_SIDE_SECONDARY], v->tcp_seq);
	} else {
		/* FIFO engines stop at the first differing pair: the heads. */
		d.pkt[COLO_SIDE_PRIMARY] = conn->q[COLO_SIDE_PRIMARY].head;
		d.pkt[COLO_SIDE_SECONDARY] = conn->q[COLO_SIDE_SECONDARY].head;
		if (d.pkt[COLO_SIDE_PRIMARY] == NULL || d.pkt[COLO_SIDE_SECONDARY] == NULL)
			return;
		pm = colo_pkt_meta(d.pkt[COLO_SIDE_PRIMARY]);
		sm = colo_pkt_meta(d.pkt[COLO_SIDE_SECONDARY]);
		/* UDP and ICMP compare from the L4 header on, where the two IP
		 * headers may differ in length (IPv4 options); the others compare
		 * from the frame start with equal L2 headers. */
		if (conn->ops == &colo_compare_udp_ops || conn->ops == &colo_compare_icmp_ops)
			d.offset[COLO_SIDE_SECONDARY] = sm->l4_off + (v->offset - pm->l4_off);
		else
			d.offset[COLO_SIDE_SECONDARY] = v->offset;
	}
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
