/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The compare step: dequeue both RX rings into colo_compare_burst(), run
 * the timeout scan every expired_scan_cycle, apply the checkpoint policy
 * and transmit what was released. The compare lcore alone owns the compare
 * context (connection table, queues) and the outbound TX queue.
 */
#include <rte_cycles.h>

#include "app.h"

static unsigned int
compare_rings(struct colo_app *app, uint64_t now_tsc)
{
	/* Secondaries first: a primary then finds its match already queued. */
	static const enum colo_side order[] = { COLO_SIDE_SECONDARY, COLO_SIDE_PRIMARY };
	struct rte_mbuf *pkts[COLO_BURST];
	unsigned int i, n, total = 0;

	for (i = 0; i < RTE_DIM(order); i++) {
		n = rte_ring_sc_dequeue_burst(
				app->rx_ring[order[i]], (void **)pkts, COLO_BURST, NULL);
		if (n != 0)
			colo_compare_burst(app->ctx, pkts, n, now_tsc);
		total += n;
	}
	return total;
}

/** One compare step; compare lcore (or the run-to-completion lcore). */
void
colo_lcore_compare_poll(struct colo_app *app, struct colo_stats *st, uint64_t now_tsc)
{
	const struct colo_params *p = colo_ctx_params(app->ctx);

	compare_rings(app, now_tsc);
	if (unlikely(now_tsc >= app->next_scan_tsc)) {
		colo_ctx_scan(app->ctx, now_tsc);
		app->next_scan_tsc = now_tsc + rte_get_tsc_hz() / 1000 * p->expired_scan_cycle_ms;
	}
	colo_checkpoint_poll(app, now_tsc);
	colo_tx_poll(app, st, now_tsc);
}

/**
 * Shutdown, once RX has stopped: compare what is still in the rings,
 * release every queued primary (colo_ctx_drain) and transmit what the port
 * accepts.
 */
void
colo_lcore_compare_finish(struct colo_app *app, struct colo_stats *st)
{
	while (compare_rings(app, rte_rdtsc()) != 0)
		;
	colo_ctx_drain(app->ctx);
	colo_tx_finish(app, st);
}

/** Compare lcore of the split layout. */
int
colo_lcore_compare_run(void *arg)
{
	struct colo_app *app = arg;
	struct colo_stats *st = &app->stats[rte_lcore_id()];

	while (!colo_load_flag(&app->stop_compare))
		colo_lcore_compare_poll(app, st, rte_rdtsc());
	colo_lcore_compare_finish(app, st);
	return 0;
}
