/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TX of released primaries on the outbound port. Frames the port refuses
 * stay pending and are retried on the next loop, counted as tx_retry:
 * backpressure never loses a frame (spec B7). Only at shutdown, after a
 * grace period without progress, are the rest counted as drop_tx_failed.
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "app.h"

/* Bursts per poll: enough to empty a flush quickly, few enough not to starve RX. */
#define TX_BURSTS_PER_POLL 8
/* At shutdown, give up once the port has accepted nothing for this long. */
#define TX_FINISH_GRACE_MS 200

/* Returns the frames the port accepted. */
static unsigned int
tx_once(struct colo_app *app, struct colo_stats *st, uint64_t now_tsc)
{
	struct colo_tx *tx = &app->tx;
	uint16_t sent;

	if (tx->nb == 0) {
		tx->start = 0;
		tx->nb = rte_ring_sc_dequeue_burst(
				app->out_ring, (void **)tx->pkts, COLO_BURST, NULL);
		if (tx->nb == 0)
			return 0;
	}
	sent = rte_eth_tx_burst(app->port[COLO_ROLE_OUTBOUND], 0, &tx->pkts[tx->start], tx->nb);
	tx->start += sent;
	tx->nb -= sent;
	if (sent != 0) {
		colo_stat_add(&st->ctr[COLO_RELEASED], sent);
		colo_store_u64(&app->last_release_tsc, now_tsc);
	}
	if (unlikely(tx->nb != 0))
		colo_stat_add(&st->ctr[COLO_TX_RETRY], 1);
	return sent;
}

/** Move released primaries to the port; compare lcore. */
void
colo_tx_poll(struct colo_app *app, struct colo_stats *st, uint64_t now_tsc)
{
	unsigned int i;

	for (i = 0; i < TX_BURSTS_PER_POLL; i++) {
		tx_once(app, st, now_tsc);
		if (app->tx.nb != 0 || rte_ring_empty(app->out_ring))
			break;
	}
	__atomic_store_n(&app->tx_pending, app->tx.nb, __ATOMIC_RELAXED);
}

/**
 * Shutdown: transmit what the port still accepts, then count the rest as
 * drop_tx_failed and free it. Compare lcore, after colo_ctx_drain().
 */
void
colo_tx_finish(struct colo_app *app, struct colo_stats *st)
{
	uint64_t grace = rte_get_tsc_hz() / 1000 * TX_FINISH_GRACE_MS;
	uint64_t now = rte_rdtsc(), last_progress = now;
	struct colo_tx *tx = &app->tx;
	struct rte_mbuf *m;

	while (tx->nb != 0 || !rte_ring_empty(app->out_ring)) {
		now = rte_rdtsc();
		if (tx_once(app, st, now) != 0)
			last_progress = now;
		else if (now - last_progress > grace)
			break;
		else if (tx->nb != 0)
			rte_delay_us_sleep(100);
	}
	if (tx->nb != 0) {
		colo_stat_add(&st->drop[COLO_DROP_TX_FAILED], tx->nb);
		rte_pktmbuf_free_bulk(&tx->pkts[tx->start], tx->nb);
		tx->nb = 0;
	}
	while (rte_ring_sc_dequeue(app->out_ring, (void **)&m) == 0) {
		colo_stat_add(&st->drop[COLO_DROP_TX_FAILED], 1);
		rte_pktmbuf_free(m);
	}
	__atomic_store_n(&app->tx_pending, 0, __ATOMIC_RELAXED);
}
