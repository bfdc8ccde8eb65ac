/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TX of released primaries on the outbound port, one TX queue per compare
 * shard. Frames the port refuses
 * stay pending and are retried on the next loop, counted as tx_retry:
 * backpressure never loses a frame (spec B7). Only at shutdown, after a
 * grace period without progress, are the rest counted as drop_tx_failed.
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "app.h"
#include "latency.h"

/* Bursts per poll: enough to empty a flush quickly, few enough not to starve RX. */
#define TX_BURSTS_PER_POLL 8
/* At shutdown, give up once the port has accepted nothing for this long. */
#define TX_FINISH_GRACE_MS 200

/* Returns the frames the port accepted. */
static unsigned int
tx_once(struct colo_shard *sh, struct colo_stats *st, uint64_t now_tsc)
{
	struct colo_latency_burst lat;
	struct colo_tx *tx = &sh->tx;
	uint16_t sent;

	if (tx->nb == 0) {
		tx->start = 0;
		tx->nb = rte_ring_sc_dequeue_burst(
				sh->out_ring, (void **)tx->pkts, COLO_BURST, NULL);
		if (tx->nb == 0)
			return 0;
	}
	/* The PMD may free what it takes: read the hold-time fields first. */
	colo_latency_stamp(&lat, &tx->pkts[tx->start], tx->nb);
	sent = rte_eth_tx_burst(
			sh->app->port[COLO_ROLE_OUTBOUND], sh->id, &tx->pkts[tx->start], tx->nb);
	colo_latency_record(&lat, sent);
	tx->start += sent;
	tx->nb -= sent;
	if (sent != 0) {
		colo_stat_add(&st->ctr[COLO_RELEASED], sent);
		colo_store_u64(&sh->last_release_tsc, now_tsc);
	}
	if (unlikely(tx->nb != 0))
		colo_stat_add(&st->ctr[COLO_TX_RETRY], 1);
	return sent;
}

/** Move released primaries of shard @p sh to the port; its compare lcore. */
void
colo_tx_poll(struct colo_shard *sh, struct colo_stats *st, uint64_t now_tsc)
{
	unsigned int i;

	for (i = 0; i < TX_BURSTS_PER_POLL; i++) {
		tx_once(sh, st, now_tsc);
		if (sh->tx.nb != 0 || rte_ring_empty(sh->out_ring))
			break;
	}
	__atomic_store_n(&sh->tx_pending, sh->tx.nb, __ATOMIC_RELAXED);
}

/**
 * Shutdown: transmit what the port still accepts, then count the rest as
 * drop_tx_failed and free it. Compare lcore, after colo_ctx_drain().
 */
void
colo_tx_finish(struct colo_shard *sh, struct colo_stats *st)
{
	uint64_t grace = rte_get_tsc_hz() / 1000 * TX_FINISH_GRACE_MS;
	uint64_t now = rte_rdtsc(), last_progress = now;
	struct colo_tx *tx = &sh->tx;
	struct rte_mbuf *m;

	while (tx->nb != 0 || !rte_ring_empty(sh->out_ring)) {
		now = rte_rdtsc();
		if (tx_once(sh, st, now) != 0)
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
	while (rte_ring_sc_dequeue(sh->out_ring, (void **)&m) == 0) {
		colo_stat_add(&st->drop[COLO_DROP_TX_FAILED], 1);
		rte_pktmbuf_free(m);
	}
	__atomic_store_n(&sh->tx_pending, 0, __ATOMIC_RELAXED);
}
