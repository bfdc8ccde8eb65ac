/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The compare step of one shard: dequeue its RX rings, take out the frames
 * of bypassed flows, hand the rest to colo_compare_burst(), run the
 * timeout scan every expired_scan_cycle, apply the checkpoint policy and
 * transmit what was released. The shard's compare lcore alone owns its
 * compare context (connection table, queues, the release ring's producer
 * end) and its outbound TX queue.
 */
#include <rte_cycles.h>

#include "colo_pkt.h"
#include "dp.h"

/*
 * Once per loop: a quiescent point for the shard's bypass rule holder
 * (ctl/bypass.c replaces the rules), and the rules to match until the next
 * call (NULL: none).
 */
static inline void
bypass_poll(struct colo_shard *sh)
{
	const struct colo_bypass_set *set;

	if (sh->bypass == NULL)
		return;
	set = colo_bypass_reader_quiescent(sh->bypass);
	sh->bypass_set = colo_bypass_set_size(set) != 0 ? set : NULL;
}

/*
 * Take the frames of bypassed flows out of @p pkts: primaries are
 * released at once (release_bypass), secondaries freed (discard_bypass).
 * The others keep their order at the front of @p pkts. Returns how many.
 */
static unsigned int
bypass_filter(struct colo_shard *sh, struct rte_mbuf **pkts, unsigned int n,
		struct colo_stats *st)
{
	const struct colo_bypass_set *set = sh->bypass_set;
	struct rte_mbuf *rel[COLO_BURST];
	unsigned int i, nb_keep = 0, nb_rel = 0;

	if (likely(set == NULL))
		return n;
	for (i = 0; i < n; i++) {
		const struct colo_pkt_meta *pm = colo_pkt_meta(pkts[i]);

		if (pm->class != COLO_CLASS_IP || !colo_bypass_match(set, &pm->key)) {
			pkts[nb_keep++] = pkts[i];
		} else if (pm->side == COLO_SIDE_PRIMARY) {
			rel[nb_rel++] = pkts[i];
		} else {
			colo_stat_add(&st->discard[COLO_DISCARD_BYPASS], 1);
			rte_pktmbuf_free(pkts[i]);
		}
	}
	if (nb_rel != 0)
		colo_ctx_release_burst(sh->ctx, rel, nb_rel, COLO_REL_BYPASS);
	return nb_keep;
}

static unsigned int
compare_rings(struct colo_shard *sh, uint64_t now_tsc)
{
	/* Secondaries first: a primary then finds its match already queued. */
	static const enum colo_side order[] = { COLO_SIDE_SECONDARY, COLO_SIDE_PRIMARY };
	struct colo_stats *st = &sh->app->stats[sh->lcore];
	struct rte_mbuf *pkts[COLO_BURST];
	unsigned int i, q, n, total = 0;

	for (i = 0; i < RTE_DIM(order); i++) {
		for (q = 0; q < sh->app->nb_rxq; q++) {
			n = rte_ring_sc_dequeue_burst(
					sh->rx_ring[q][order[i]], (void **)pkts, COLO_BURST, NULL);
			total += n;
			n = bypass_filter(sh, pkts, n, st);
			if (n != 0)
				colo_compare_burst(sh->ctx, pkts, n, now_tsc);
		}
	}
	return total;
}

/*
 * A pending snapshot request (obs/snapshot.c), a bounded part of it per
 * call; one load when nothing is asked.
 */
static inline void
snapshot_poll(struct colo_shard *sh)
{
	if (unlikely(__atomic_load_n(&sh->snap_posted, __ATOMIC_ACQUIRE) != sh->snap_answered))
		colo_snapshot_serve(sh);
}

/** One compare step of shard @p sh; its compare lcore. Returns the frames dequeued. */
unsigned int
colo_lcore_compare_poll(struct colo_shard *sh, struct colo_stats *st, uint64_t now_tsc)
{
	const struct colo_params *p = colo_ctx_params(sh->ctx);
	unsigned int n;
	int forwarded;

	bypass_poll(sh);
	snapshot_poll(sh);
	forwarded = colo_failover_primary_poll(sh, st, now_tsc);
	if (unlikely(forwarded >= 0))
		return forwarded;
	n = compare_rings(sh, now_tsc);
	if (unlikely(now_tsc >= sh->next_scan_tsc)) {
		colo_ctx_scan(sh->ctx, now_tsc);
		sh->next_scan_tsc = now_tsc + rte_get_tsc_hz() / 1000 * p->expired_scan_cycle_ms;
	}
	colo_checkpoint_poll(sh, now_tsc);
	colo_tx_poll(sh, st, now_tsc);
	return n;
}

/**
 * Shutdown, once every RX lcore has stopped: compare what is still in the
 * rings, release every queued primary (colo_ctx_drain) and transmit what
 * the port accepts.
 */
void
colo_lcore_compare_finish(struct colo_shard *sh, struct colo_stats *st)
{
	/* After a failover, nothing is compared any more: forward what RX left. */
	while (colo_failover_primary_poll(sh, st, rte_rdtsc()) > 0)
		;
	while (compare_rings(sh, rte_rdtsc()) != 0)
		;
	colo_ctx_drain(sh->ctx);
	colo_tx_finish(sh, st);
}

/** Compare lcore of the split layout. */
int
colo_lcore_compare_run(void *arg)
{
	struct colo_shard *sh = arg;
	struct colo_app *app = sh->app;
	struct colo_stats *st = &app->stats[rte_lcore_id()];

	while (!colo_load_flag(&app->stop_compare))
		colo_lcore_compare_poll(sh, st, rte_rdtsc());
	colo_lcore_compare_finish(sh, st);
	return 0;
}
