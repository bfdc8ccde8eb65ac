/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Failover on the data plane: the lead lcore (shard 0's compare lcore, or
 * the secondary role's lcore) performs the one-way switch once it is asked
 * for (a COLO_FAILOVER record on the notify channel, or colo_app.failover_req
 * set by ctl/failover.c), and in the primary role every shard forwards
 * instead of comparing from then on. The secondary role's own switch is in
 * secondary/secondary.c.
 */
#include <rte_cycles.h>

#include "colo_log.h"
#include "dp.h"

/**
 * The lead lcore, once per loop: whether a failover was asked for and is
 * not done yet. It consumes COLO_FAILOVER records of the notify channel.
 */
bool
colo_failover_due(struct colo_app *app)
{
	if (colo_failover_active(app))
		return false;
	if (colo_notify_take_failover(app->notify) != 0) {
		if (!colo_failover_possible(app)) {
			COLO_LOG(ERR, app, "failover refused: the secondary role needs --outbound");
			return false;
		}
		return true;
	}
	return colo_load_flag(&app->failover_req);
}

/** The lead lcore, once its own switch is made: publish, count and log the failover. */
void
colo_failover_done(struct colo_app *app, struct colo_stats *st)
{
	colo_store_u64(&app->failover_tsc, rte_rdtsc());
	colo_store_flag(&app->failed_over, true);
	colo_stat_add(&st->ctr[COLO_FAILOVERS], 1);
	COLO_LOG(NOTICE, app, "failover: %s",
			app->opts.role == COLO_HOST_PRIMARY
					? "comparing stopped; primary frames go straight out"
					: "this host is the primary now; SVM output goes out");
}

/* Primaries straight out through the context, secondaries freed: nothing is compared. */
static unsigned int
forward(struct colo_shard *sh, struct colo_stats *st)
{
	struct rte_mbuf *pkts[COLO_BURST];
	unsigned int q, n, total = 0;

	for (q = 0; q < sh->app->nb_rxq; q++) {
		n = rte_ring_sc_dequeue_burst(sh->rx_ring[q][COLO_SIDE_SECONDARY], (void **)pkts,
				COLO_BURST, NULL);
		colo_stat_add(&st->discard[COLO_DISCARD_FAILOVER], n);
		rte_pktmbuf_free_bulk(pkts, n);
		total += n;
		n = rte_ring_sc_dequeue_burst(
				sh->rx_ring[q][COLO_SIDE_PRIMARY], (void **)pkts, COLO_BURST, NULL);
		if (n != 0)
			colo_ctx_release_burst(sh->ctx, pkts, n, COLO_REL_FAILOVER);
		total += n;
	}
	return total;
}

/**
 * Primary role, compare lcore of @p sh, before comparing: once the
 * failover is done, flush this shard (queued primaries out, secondaries
 * freed), then forward instead of comparing.
 *
 * @return the frames forwarded, or -1 while there is no failover (compare).
 */
int
colo_failover_primary_poll(struct colo_shard *sh, struct colo_stats *st, uint64_t now_tsc)
{
	struct colo_app *app = sh->app;
	unsigned int n;

	if (sh->id == 0 && unlikely(colo_failover_due(app)))
		colo_failover_done(app, st);
	if (likely(!colo_failover_active(app)))
		return -1;
	if (unlikely(!sh->failed_over)) {
		colo_ctx_flush(sh->ctx, now_tsc);
		sh->failed_over = true;
	}
	n = forward(sh, st);
	colo_tx_poll(sh, st, now_tsc);
	return (int)n;
}
