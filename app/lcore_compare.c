/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The compare step of one shard: dequeue its RX rings into
 * colo_compare_burst(), run the timeout scan every expired_scan_cycle,
 * apply the checkpoint policy and transmit what was released. The shard's
 * compare lcore alone owns its compare context (connection table, queues)
 * and its outbound TX queue.
 */
#include <rte_cycles.h>

#include "app.h"
#include "snapshot.h"

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
			n = colo_bypass_filter(sh, pkts, n, st);
			if (n != 0)
				colo_compare_burst(sh->ctx, pkts, n, now_tsc);
		}
	}
	return total;
}

/** One compare step of shard @p sh; its compare lcore. Returns the frames dequeued. */
unsigned int
colo_lcore_compare_poll(struct colo_shard *sh, struct colo_stats *st, uint64_t now_tsc)
{
	const struct colo_params *p = colo_ctx_params(sh->ctx);
	unsigned int n;
	int forwarded;

	colo_bypass_poll(sh);
	colo_snapshot_poll(sh);
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
