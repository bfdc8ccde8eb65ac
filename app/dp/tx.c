/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TX of released primaries on the outbound port, one TX queue per compare
 * shard. Frames the port refuses stay pending and are retried on the next
 * loop, counted as tx_retry: backpressure never loses a frame
 * (docs/semantics.md, "Outbound port backpressure"). Only at shutdown,
 * after a grace period without progress, are the rest counted as
 * drop_tx_failed. The hold time of each frame that leaves goes into this
 * lcore's histogram (colo_app.hist; obs/latency.c reads them).
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "colo_pkt.h"
#include "dp.h"

/* Bursts per poll: enough to empty a flush quickly, few enough not to starve RX. */
#define TX_BURSTS_PER_POLL 8
/* At shutdown, give up once the port has accepted nothing for this long. */
#define TX_FINISH_GRACE_MS 200

/* What one TX burst must know of its frames once the PMD has them (and may have freed them). */
struct hold_burst {
	uint64_t arrival_tsc[COLO_BURST];
	uint8_t proto[COLO_BURST]; /**< enum colo_hist_proto */
};

/* Before rte_eth_tx_burst(): note the arrival time and protocol of @p pkts. */
static inline void
hold_stamp(struct hold_burst *b, struct rte_mbuf *const *pkts, uint16_t nb)
{
	uint16_t i;

	for (i = 0; i < nb; i++) {
		const struct colo_pkt_meta *pm = colo_pkt_meta(pkts[i]);

		b->arrival_tsc[i] = pm->arrival_tsc;
		b->proto[i] = (uint8_t)colo_hist_proto_of(pm);
	}
}

/* After rte_eth_tx_burst(): record the first @p sent frames stamped, the ones that left. */
static inline void
hold_record(struct colo_hist *h, const struct hold_burst *b, uint16_t sent)
{
	uint64_t now;
	uint16_t i;

	if (sent == 0)
		return;
	now = rte_rdtsc();
	for (i = 0; i < sent; i++)
		colo_hist_record(h, (enum colo_hist_proto)b->proto[i], b->arrival_tsc[i], now);
}

/* Returns the frames the port accepted. */
static unsigned int
tx_once(struct colo_shard *sh, struct colo_stats *st, uint64_t now_tsc)
{
	struct hold_burst lat;
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
	hold_stamp(&lat, &tx->pkts[tx->start], tx->nb);
	sent = rte_eth_tx_burst(
			sh->app->port[COLO_ROLE_OUTBOUND], sh->id, &tx->pkts[tx->start], tx->nb);
	hold_record(&sh->app->hist[rte_lcore_id()], &lat, sent);
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
