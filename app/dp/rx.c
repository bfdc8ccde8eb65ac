/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RX of the two VM ports, one queue per RX lcore: rx_burst, classify
 * (parse, key, hash, epoch, arrival time) and hand each frame to the
 * SP/SC ring of its compare shard for this RX queue and side. A frame's
 * shard is a symmetric hash of its connection key, so both directions of a
 * connection meet in one shard and no two lcores write the same ring end.
 * RX lcore 0 also runs the ingress mirror (ingress.c).
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "burst.h"
#include "colo_pkt.h"
#include "dp.h"

/* Multiply-shift: a uniform pick without a division. */
static inline unsigned int
shard_of(const struct colo_pkt_meta *pm, unsigned int nb_shards)
{
	return (unsigned int)(((uint64_t)colo_key_hash_symmetric(&pm->key) * nb_shards) >> 32);
}

/*
 * Classify @p nb frames of @p side, stamp each with the checkpoint epoch
 * of its shard and enqueue it on that shard's ring of this RX queue. With
 * one shard the burst stays whole: no per-frame pick.
 */
static void
dispatch(struct colo_rxq *rxq, enum colo_side side, struct rte_mbuf **pkts, unsigned int nb,
		uint64_t now_tsc, struct colo_stats *st)
{
	struct colo_app *app = rxq->app;
	uint64_t *full = colo_burst_ring_full_ctr(st, side);
	struct rte_mbuf *out[COLO_MAX_SHARDS][COLO_BURST];
	unsigned int i, s, cnt[COLO_MAX_SHARDS] = { 0 };
	uint32_t epoch[COLO_MAX_SHARDS];

	if (app->nb_shards == 1) {
		epoch[0] = colo_ckpt_epoch(colo_ctx_ckpt(app->shard[0].ctx));
		colo_pkt_classify_burst(pkts, nb, side, epoch[0], now_tsc, st);
		if (side == COLO_SIDE_PRIMARY)
			colo_link_syn_mirror(rxq, pkts, nb, st);
		colo_burst_enqueue(app->shard[0].rx_ring[rxq->queue][side], pkts, nb, full);
		return;
	}
	for (s = 0; s < app->nb_shards; s++)
		epoch[s] = colo_ckpt_epoch(colo_ctx_ckpt(app->shard[s].ctx));
	colo_pkt_classify_burst(pkts, nb, side, 0, now_tsc, st);
	for (i = 0; i < nb; i++) {
		struct colo_pkt_meta *pm = colo_pkt_meta(pkts[i]);

		s = shard_of(pm, app->nb_shards);
		pm->epoch = epoch[s];
		out[s][cnt[s]++] = pkts[i];
	}
	/* Before the shards own them: a compare lcore may free a frame at once. */
	if (side == COLO_SIDE_PRIMARY)
		colo_link_syn_mirror(rxq, pkts, nb, st);
	for (s = 0; s < app->nb_shards; s++)
		if (cnt[s] != 0)
			colo_burst_enqueue(app->shard[s].rx_ring[rxq->queue][side], out[s], cnt[s],
					full);
}

static unsigned int
rx_side(struct colo_rxq *rxq, enum colo_side side, struct colo_stats *st)
{
	static const enum colo_ctr rx_ctr[] = {
		[COLO_SIDE_PRIMARY] = COLO_PRIMARY_RX,
		[COLO_SIDE_SECONDARY] = COLO_SECONDARY_RX,
	};
	struct colo_app *app = rxq->app;
	struct rte_mbuf *pkts[COLO_BURST];
	uint16_t port = app->port[side == COLO_SIDE_PRIMARY ? COLO_ROLE_PRIMARY
							    : COLO_ROLE_SECONDARY];
	unsigned int nb_rx;
	uint64_t now;

	nb_rx = rte_eth_rx_burst(port, rxq->queue, pkts, COLO_BURST);
	if (nb_rx == 0)
		return 0;
	now = rte_rdtsc();
	colo_stat_add(&st->ctr[rx_ctr[side]], nb_rx);
	dispatch(rxq, side, pkts, nb_rx, now, st);
	if (unlikely(colo_load_u64(&rxq->first_rx_tsc) == 0))
		colo_store_u64(&rxq->first_rx_tsc, now);
	colo_store_u64(&rxq->last_input_tsc, now);
	return nb_rx;
}

/** Poll RX queue rxq->queue of both VM ports once; returns the frames received. */
unsigned int
colo_lcore_rx_poll(struct colo_rxq *rxq, struct colo_stats *st)
{
	return rx_side(rxq, COLO_SIDE_PRIMARY, st) + rx_side(rxq, COLO_SIDE_SECONDARY, st);
}

/** RX lcore of the split layout: its VM port queues and the ingress mirror until told to stop. */
int
colo_lcore_rx_run(void *arg)
{
	struct colo_rxq *rxq = arg;
	struct colo_app *app = rxq->app;
	struct colo_stats *st = &app->stats[rte_lcore_id()];

	while (!colo_load_flag(&app->stop_rx)) {
		colo_lcore_rx_poll(rxq, st);
		if (rxq->ingress)
			colo_ingress_poll(rxq, st);
	}
	__atomic_fetch_sub(&app->rx_running, 1, __ATOMIC_RELEASE);
	return 0;
}
