/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The compare dispatcher: finds or creates each packet's connection (bulk
 * lookups with the hash the RX side computed), hands the packet to its
 * protocol engine, turns mismatches into checkpoint triggers, and runs the
 * timeout scan, aging, eviction and the checkpoint flush. The byte-level
 * rules live in the engines.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "colo_compare_priv.h"
#include "colo_log.h"

static const struct colo_compare_ops *
ops_find(const struct colo_pkt_meta *meta)
{
	if (meta->key.family == 0)
		return &colo_compare_nonip_ops;
	/* Fragments carry no L4 header to compare field by field. */
	if (meta->flags & COLO_PKT_F_FRAG)
		return &colo_compare_other_ops;
	switch (colo_proto_class(meta->key.proto)) {
	case COLO_PROTO_TCP:
		return &colo_compare_tcp_ops;
	case COLO_PROTO_UDP:
		return &colo_compare_udp_ops;
	case COLO_PROTO_ICMP:
		return &colo_compare_icmp_ops;
	default:
		return &colo_compare_other_ops;
	}
}

struct colo_ctx *
colo_ctx_create(const char *name, const struct colo_params *p, struct rte_ring *out,
		struct colo_stats *st, int socket_id)
{
	char err[128];
	struct colo_ctx *ctx;
	uint64_t hz;

	if (name == NULL || p == NULL || out == NULL || st == NULL ||
			colo_params_validate(p, err, sizeof(err)) != 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	ctx = rte_zmalloc_socket(name, sizeof(*ctx), RTE_CACHE_LINE_SIZE, socket_id);
	if (ctx == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	ctx->p = *p;
	hz = p->tsc_hz != 0 ? p->tsc_hz : rte_get_tsc_hz();
	ctx->p.tsc_hz = hz;
	ctx->timeout_tsc = hz * p->compare_timeout_ms / 1000;
	ctx->idle_tsc = hz * p->idle_timeout_ms / 1000;
	ctx->closing_tsc = hz * p->closing_timeout_ms / 1000;
	ctx->out = out;
	ctx->st = st;
	colo_ckpt_init(&ctx->ckpt, hz);
	ctx->conns = colo_conn_table_create(name, p->max_conns, socket_id);
	if (ctx->conns == NULL) {
		rte_free(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * Free the discarded secondaries in one call: one rte_pktmbuf_free() per
 * frame was 1.4 % of the compare lcore (perf cpu-clock, colo-bench 64 B
 * TCP, AMD EPYC 2 vCPU KVM, 2026-11-26).
 */
static void
free_flush(struct colo_ctx *ctx)
{
	rte_pktmbuf_free_bulk(ctx->free_buf, ctx->nb_free);
	ctx->nb_free = 0;
}

/* Hand the released primaries to the out ring; free the discarded secondaries. */
static void
out_flush(struct colo_ctx *ctx)
{
	unsigned int n;

	if (ctx->nb_free != 0)
		free_flush(ctx);
	if (ctx->nb_out == 0)
		return;
	n = rte_ring_sp_enqueue_burst(ctx->out, (void **)ctx->out_buf, ctx->nb_out, NULL);
	if (unlikely(n < ctx->nb_out)) {
		/* The ring is sized for every mbuf of the pool, so this means a
		 * misconfiguration; count it rather than lose frames silently. */
		colo_stat_add(&ctx->st->drop[COLO_DROP_OUT_FULL], ctx->nb_out - n);
		rte_pktmbuf_free_bulk(&ctx->out_buf[n], ctx->nb_out - n);
		COLO_LOG(ERR, compare, "release ring full: %u frames dropped", ctx->nb_out - n);
	}
	ctx->nb_out = 0;
}

void
colo_release(struct colo_ctx *ctx, struct rte_mbuf *m, enum colo_release_reason why)
{
	colo_stat_add(&ctx->st->release[why], 1);
	if (unlikely(ctx->divergence.history != NULL))
		colo_divergence_remember(ctx->divergence.history, m);
	ctx->out_buf[ctx->nb_out++] = m;
	if (ctx->nb_out == COLO_OUT_BATCH)
		out_flush(ctx);
}

void
colo_ctx_release_burst(struct colo_ctx *ctx, struct rte_mbuf **pkts, uint16_t n,
		enum colo_release_reason why)
{
	uint16_t i;

	colo_stat_add(&ctx->st->release[why], n);
	for (i = 0; i < n; i++) {
		ctx->out_buf[ctx->nb_out++] = pkts[i];
		if (ctx->nb_out == COLO_OUT_BATCH)
			out_flush(ctx);
	}
	out_flush(ctx);
}

void
colo_discard(struct colo_ctx *ctx, struct rte_mbuf *m, enum colo_discard_reason why)
{
	colo_stat_add(&ctx->st->discard[why], 1);
	if (unlikely(ctx->divergence.history != NULL))
		colo_divergence_remember(ctx->divergence.history, m);
	ctx->free_buf[ctx->nb_free++] = m;
	if (ctx->nb_free == COLO_OUT_BATCH)
		free_flush(ctx);
}

int32_t
colo_mbuf_diff_walk(const struct rte_mbuf *a, uint32_t aoff, const struct rte_mbuf *b,
		uint32_t boff, uint32_t len)
{
	uint32_t done = 0;

	/* Skip to the segments holding the start of each range. */
	while (a != NULL && aoff >= a->data_len) {
		aoff -= a->data_len;
		a = a->next;
	}
	while (b != NULL && boff >= b->data_len) {
		boff -= b->data_len;
		b = b->next;
	}
	while (done < len && a != NULL && b != NULL) {
		const uint8_t *pa = rte_pktmbuf_mtod_offset(a, const uint8_t *, aoff);
		const uint8_t *pb = rte_pktmbuf_mtod_offset(b, const uint8_t *, boff);
		uint32_t chunk = RTE_MIN(len - done, RTE_MIN(a->data_len - aoff, b->data_len - boff));

		if (colo_bytes_differ(pa, pb, chunk)) {
			uint32_t i = 0;

			while (pa[i] == pb[i])
				i++;
			return (int32_t)(done + i);
		}
		done += chunk;
		aoff += chunk;
		boff += chunk;
		if (aoff == a->data_len) {
			a = a->next;
			aoff = 0;
		}
		if (boff == b->data_len) {
			b = b->next;
			boff = 0;
		}
	}
	/* A range running past its packet is a caller bug; report it as a
	 * difference at that point rather than reading out of bounds. */
	return done < len ? (int32_t)done : -1;
}

/* Release a connection's primaries and free its secondaries, in queue order. */
static void
conn_flush(struct colo_ctx *ctx, struct colo_conn *conn, enum colo_release_reason rel,
		enum colo_discard_reason dis)
{
	struct rte_mbuf *m;

	while ((m = colo_pktq_pop(&conn->q[COLO_SIDE_PRIMARY])) != NULL) {
		if (conn->ops->accept != NULL)
			conn->ops->accept(conn, m);
		colo_release(ctx, m, rel);
	}
	while ((m = colo_pktq_pop(&conn->q[COLO_SIDE_SECONDARY])) != NULL)
		colo_discard(ctx, m, dis);
	conn->flags &= ~COLO_CONN_F_MISMATCH;
}

static void
queued_add(struct colo_ctx *ctx, enum colo_side side, int64_t delta)
{
	if (delta != 0)
		__atomic_store_n(&ctx->queued[side], ctx->queued[side] + delta, __ATOMIC_RELAXED);
}

/* Flush @p idx and account for what left its queues. */
static void
conn_flush_idx(struct colo_ctx *ctx, uint32_t idx, enum colo_release_reason rel,
		enum colo_discard_reason dis)
{
	struct colo_conn *conn = colo_conn_at(ctx->conns, idx);

	queued_add(ctx, COLO_SIDE_PRIMARY, -(int64_t)conn->q[COLO_SIDE_PRIMARY].nb);
	queued_add(ctx, COLO_SIDE_SECONDARY, -(int64_t)conn->q[COLO_SIDE_SECONDARY].nb);
	conn_flush(ctx, conn, rel, dis);
	colo_conn_busy_del(ctx->conns, idx);
}

static void
conn_evict(struct colo_ctx *ctx, uint32_t idx)
{
	char key_text[128];

	if (rte_log_can_log(colo_logtype_conn, RTE_LOG_DEBUG)) {
		colo_key_format(colo_conn_key(ctx->conns, idx), key_text, sizeof(key_text));
		COLO_LOG(DEBUG, conn, "table full: evicting %s", key_text);
	}
	conn_flush_idx(ctx, idx, COLO_REL_EVICT, COLO_DISCARD_EVICT);
	colo_conn_del(ctx->conns, idx);
	colo_stat_add(&ctx->st->ctr[COLO_CONN_EVICTED], 1);
}

/* Find or create the connection of @p meta. Sets *evicted when a connection
 * had to make room, so the caller knows earlier lookups may be stale. */
static int32_t
conn_get(struct colo_ctx *ctx, const struct colo_pkt_meta *meta, uint64_t now, bool *evicted)
{
	struct colo_conn *conn;
	int32_t pos;

	pos = colo_conn_add(ctx->conns, &meta->key, meta->hash, now);
	if (pos == -ENOSPC) {
		/* docs/semantics.md C4: never wipe; the least recently active connection goes. */
		uint32_t victim = colo_conn_oldest(ctx->conns);

		if (ctx->st->ctr[COLO_CONN_EVICTED] == 0)
			COLO_LOG(WARNING, conn,
					"connection table full (%u): evicting the oldest connections",
					colo_conn_capacity(ctx->conns));
		conn_evict(ctx, victim);
		*evicted = true;
		pos = colo_conn_add(ctx->conns, &meta->key, meta->hash, now);
	}
	if (pos < 0)
		return pos;
	conn = colo_conn_at(ctx->conns, pos);
	conn->ops = ops_find(meta);
	colo_stat_add(&ctx->st->ctr[COLO_CONN_CREATED], 1);
	return pos;
}

/* Frames that never reach a connection: non-IP (unless compared by policy)
 * and malformed. docs/semantics.md A3, A4, A6: primaries pass uncompared, secondaries are
 * dropped. */
static void
uncompared(struct colo_ctx *ctx, struct rte_mbuf *m, const struct colo_pkt_meta *meta)
{
	bool malformed = meta->class == COLO_CLASS_MALFORMED;

	if (meta->side == COLO_SIDE_PRIMARY)
		colo_release(ctx, m, malformed ? COLO_REL_MALFORMED : COLO_REL_NONIP);
	else
		colo_discard(ctx, m, malformed ? COLO_DISCARD_MALFORMED : COLO_DISCARD_NONIP);
}

static void
trigger(struct colo_ctx *ctx, uint32_t idx, uint8_t reason, int32_t offset, uint32_t seq,
		uint64_t now)
{
	colo_ckpt_trigger(&ctx->ckpt, reason, colo_conn_key(ctx->conns, idx), offset, seq, now,
			ctx->st);
}

/* Queue one packet on its connection and compare. */
static void
conn_packet(struct colo_ctx *ctx, uint32_t idx, struct rte_mbuf *m, uint64_t now)
{
	struct colo_conn *conn = colo_conn_at(ctx->conns, idx);
	struct colo_pkt_meta *meta = colo_pkt_meta(m);
	uint32_t nb_primary = conn->q[COLO_SIDE_PRIMARY].nb;
	uint32_t nb_secondary = conn->q[COLO_SIDE_SECONDARY].nb;
	struct colo_verdict v;
	enum colo_side side = meta->side;

	colo_conn_touch(ctx->conns, idx, now);
	if (unlikely(meta->epoch != ctx->ckpt.epoch)) {
		/* Received before the last checkpoint, which already brought the
		 * secondary in step: the primary goes out uncompared, and a stale
		 * secondary must not cause a second checkpoint (docs/semantics.md C7). */
		if (side == COLO_SIDE_PRIMARY) {
			if (conn->ops->accept != NULL)
				conn->ops->accept(conn, m);
			colo_release(ctx, m, COLO_REL_STALE);
		} else {
			colo_discard(ctx, m, COLO_DISCARD_STALE);
		}
		return;
	}

	if (unlikely(conn->ops->enqueue(ctx, conn, m) != 0)) {
		if (side == COLO_SIDE_PRIMARY) {
			colo_stat_add(&ctx->st->drop[COLO_DROP_QUEUE_FULL], 1);
			rte_pktmbuf_free(m);
			trigger(ctx, idx, COLO_CKPT_QUEUE_FULL, -1, 0, now);
		} else {
			colo_discard(ctx, m, COLO_DISCARD_QUEUE_FULL);
		}
	}

	v = conn->ops->compare(ctx, conn);
	if (v.kind == COLO_VERDICT_MISMATCH) {
		colo_divergence_report(ctx, idx, &v, now);
		conn->flags |= COLO_CONN_F_MISMATCH;
		trigger(ctx, idx, v.reason, v.offset, v.tcp_seq, now);
	}

	queued_add(ctx, COLO_SIDE_PRIMARY,
			(int64_t)conn->q[COLO_SIDE_PRIMARY].nb - nb_primary);
	queued_add(ctx, COLO_SIDE_SECONDARY,
			(int64_t)conn->q[COLO_SIDE_SECONDARY].nb - nb_secondary);
	if (conn->q[COLO_SIDE_PRIMARY].nb + conn->q[COLO_SIDE_SECONDARY].nb != 0)
		colo_conn_busy_add(ctx->conns, idx);
	else
		colo_conn_busy_del(ctx->conns, idx);
}

uint16_t
colo_compare_burst(struct colo_ctx *ctx, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	const struct colo_key *keys[RTE_HASH_LOOKUP_BULK_MAX];
	uint32_t hashes[RTE_HASH_LOOKUP_BULK_MAX];
	struct rte_mbuf *lookup[RTE_HASH_LOOKUP_BULK_MAX];
	int32_t pos[RTE_HASH_LOOKUP_BULK_MAX];
	uint16_t i = 0;

	while (i < n) {
		unsigned int nb = 0, j;
		bool evicted = false;

		for (; i < n && nb < RTE_HASH_LOOKUP_BULK_MAX; i++) {
			struct colo_pkt_meta *meta = colo_pkt_meta(pkts[i]);

			if (meta->class != COLO_CLASS_IP &&
					!(meta->class == COLO_CLASS_NONIP && ctx->p.compare_nonip)) {
				uncompared(ctx, pkts[i], meta);
				continue;
			}
			keys[nb] = &meta->key;
			hashes[nb] = meta->hash;
			lookup[nb++] = pkts[i];
		}
		if (nb == 0)
			continue;
		colo_conn_lookup_bulk(ctx->conns, keys, hashes, nb, pos);
		/*
		 * With many connections each entry is a cache miss (128 B each,
		 * 128 MB at 1M connections); load them all now rather than one
		 * by one as conn_packet() reaches them.
		 */
		colo_conn_prefetch_bulk(ctx->conns, pos, nb);
		for (j = 0; j < nb; j++) {
			struct colo_pkt_meta *meta = colo_pkt_meta(lookup[j]);
			int32_t idx = pos[j];

			/* A packet earlier in this batch may have created this
			 * connection, or an eviction may have reused a slot. */
			if (idx < 0 || evicted)
				idx = colo_conn_lookup_one(ctx->conns, &meta->key, meta->hash);
			if (idx < 0)
				idx = conn_get(ctx, meta, now, &evicted);
			if (unlikely(idx < 0)) {
				/* Only a hash-internal failure gets here: pass the frame
				 * on uncompared and say so, rather than lose it. */
				if (meta->side == COLO_SIDE_PRIMARY)
					colo_release(ctx, lookup[j], COLO_REL_NOCONN);
				else
					colo_discard(ctx, lookup[j], COLO_DISCARD_NOCONN);
				continue;
			}
			conn_packet(ctx, idx, lookup[j], now);
		}
	}
	out_flush(ctx);
	return n;
}

/*
 * Ticks from @p tsc to @p now, or 0 when @p tsc is later. The RX lcore stamps
 * a frame with its own TSC read, which can come after the @p now the compare
 * lcore read before dequeuing it (app/lcore_compare.c reads it once per poll,
 * then compares, then scans): such a frame is brand new, not 2^64 ticks old.
 * Found by tests/fuzz/fuzz_compare; regression test in tests/unit/test_regress.c.
 */
static inline uint64_t
age_tsc(uint64_t now, uint64_t tsc)
{
	return now > tsc ? now - tsc : 0;
}

/* Oldest arrival time in @p q, and the packet that has it. */
static uint64_t
pktq_oldest(const struct colo_pktq *q, const struct rte_mbuf **oldest)
{
	uint64_t min_tsc = UINT64_MAX;
	const struct rte_mbuf *m;

	/* TCP queues are sorted by sequence, not arrival, so walk them all;
	 * at one scan per expired_scan_cycle this costs nothing measurable. */
	for (m = q->head; m != NULL; m = colo_pkt_meta(m)->next) {
		if (colo_pkt_meta(m)->arrival_tsc < min_tsc) {
			min_tsc = colo_pkt_meta(m)->arrival_tsc;
			*oldest = m;
		}
	}
	return min_tsc;
}

static void
scan_timeouts(struct colo_ctx *ctx, uint64_t now)
{
	uint32_t idx = colo_conn_busy_first(ctx->conns);

	while (idx != COLO_CONN_NONE) {
		struct colo_conn *conn = colo_conn_at(ctx->conns, idx);
		const struct rte_mbuf *oldest = NULL;
		uint64_t tsc;

		tsc = pktq_oldest(&conn->q[COLO_SIDE_PRIMARY], &oldest);
		if (tsc != UINT64_MAX && age_tsc(now, tsc) >= ctx->timeout_tsc) {
			uint8_t reason = conn->ops->timeout_reason != NULL ?
					conn->ops->timeout_reason(conn, oldest) :
					COLO_CKPT_TIMEOUT_PRIMARY;

			trigger(ctx, idx, reason, -1, 0, now);
		} else {
			tsc = pktq_oldest(&conn->q[COLO_SIDE_SECONDARY], &oldest);
			if (tsc != UINT64_MAX && age_tsc(now, tsc) >= ctx->timeout_tsc)
				trigger(ctx, idx, COLO_CKPT_TIMEOUT_SECONDARY, -1, 0, now);
		}
		idx = conn->busy.next;
	}
}

static void
scan_aging(struct colo_ctx *ctx, uint64_t now)
{
	uint64_t min_age = RTE_MIN(ctx->idle_tsc, ctx->closing_tsc);
	uint32_t idx = colo_conn_oldest(ctx->conns);

	/* The LRU is ordered by last activity: stop at the first connection
	 * too young for either timeout. */
	while (idx != COLO_CONN_NONE) {
		struct colo_conn *conn = colo_conn_at(ctx->conns, idx);
		uint32_t next = colo_conn_younger(ctx->conns, idx);
		uint64_t age = age_tsc(now, conn->last_tsc);

		if (age < min_age)
			break;
		if (!(conn->flags & COLO_CONN_F_BUSY)) {
			if ((conn->flags & COLO_CONN_F_CLOSING) && age >= ctx->closing_tsc) {
				colo_conn_del(ctx->conns, idx);
				colo_stat_add(&ctx->st->ctr[COLO_CONN_CLOSED], 1);
			} else if (age >= ctx->idle_tsc) {
				colo_conn_del(ctx->conns, idx);
				colo_stat_add(&ctx->st->ctr[COLO_CONN_EXPIRED], 1);
			}
		}
		idx = next;
	}
}

void
colo_ctx_scan(struct colo_ctx *ctx, uint64_t now)
{
	scan_timeouts(ctx, now);
	scan_aging(ctx, now);
}

/* Flush every busy connection with the given reasons. */
static void
flush_all(struct colo_ctx *ctx, enum colo_release_reason rel, enum colo_discard_reason dis)
{
	uint32_t idx = colo_conn_busy_first(ctx->conns);

	while (idx != COLO_CONN_NONE) {
		uint32_t next = colo_conn_at(ctx->conns, idx)->busy.next;

		conn_flush_idx(ctx, idx, rel, dis);
		idx = next;
	}
	out_flush(ctx);
}

void
colo_ctx_flush(struct colo_ctx *ctx, uint64_t now)
{
	RTE_SET_USED(now);
	flush_all(ctx, COLO_REL_FLUSH, COLO_DISCARD_FLUSH);
	colo_ckpt_done(&ctx->ckpt);
	colo_stat_add(&ctx->st->ctr[COLO_FLUSHES], 1);
}

void
colo_ctx_drain(struct colo_ctx *ctx)
{
	flush_all(ctx, COLO_REL_SHUTDOWN, COLO_DISCARD_SHUTDOWN);
}

void
colo_ctx_free(struct colo_ctx *ctx)
{
	uint32_t idx;

	if (ctx == NULL)
		return;
	/* Whatever is still queued was never handed to TX: free it, counted. */
	idx = colo_conn_busy_first(ctx->conns);
	while (idx != COLO_CONN_NONE) {
		struct colo_conn *conn = colo_conn_at(ctx->conns, idx);
		struct rte_mbuf *m;

		while ((m = colo_pktq_pop(&conn->q[COLO_SIDE_PRIMARY])) != NULL) {
			colo_stat_add(&ctx->st->drop[COLO_DROP_TX_FAILED], 1);
			rte_pktmbuf_free(m);
		}
		while ((m = colo_pktq_pop(&conn->q[COLO_SIDE_SECONDARY])) != NULL)
			colo_discard(ctx, m, COLO_DISCARD_SHUTDOWN);
		idx = conn->busy.next;
	}
	out_flush(ctx);
	colo_divergence_history_free(ctx);
	colo_conn_table_free(ctx->conns);
	rte_free(ctx);
}

struct colo_ckpt *
colo_ctx_ckpt(struct colo_ctx *ctx)
{
	return &ctx->ckpt;
}

struct colo_conn_table *
colo_ctx_conns(struct colo_ctx *ctx)
{
	return ctx->conns;
}

uint64_t
colo_ctx_queued(const struct colo_ctx *ctx, enum colo_side side)
{
	return __atomic_load_n(&ctx->queued[side], __ATOMIC_RELAXED);
}

const struct colo_params *
colo_ctx_params(const struct colo_ctx *ctx)
{
	return &ctx->p;
}
