/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RX of the two VM ports: rx_burst, classify (parse, key, hash, epoch,
 * arrival time) and enqueue into that side's SP/SC ring for the compare
 * lcore. Frames that do not fit are counted and freed. The RX lcore also
 * runs the ingress mirror (ingress.c).
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include "app.h"
#include "colo_pkt.h"

/* Parse one frame while the headers of a later one load. */
#define PREFETCH_AHEAD 3

static unsigned int
rx_side(struct colo_app *app, enum colo_side side, struct colo_stats *st)
{
	static const enum colo_ctr rx_ctr[] = {
		[COLO_SIDE_PRIMARY] = COLO_PRIMARY_RX,
		[COLO_SIDE_SECONDARY] = COLO_SECONDARY_RX,
	};
	struct rte_mbuf *pkts[COLO_BURST];
	uint16_t port = app->port[side == COLO_SIDE_PRIMARY ? COLO_ROLE_PRIMARY
							    : COLO_ROLE_SECONDARY];
	unsigned int i, nb_rx, nb_enq;
	uint64_t now;
	uint32_t epoch;

	nb_rx = rte_eth_rx_burst(port, 0, pkts, COLO_BURST);
	if (nb_rx == 0)
		return 0;
	now = rte_rdtsc();
	epoch = colo_ckpt_epoch(colo_ctx_ckpt(app->ctx));
	for (i = 0; i < nb_rx; i++) {
		if (i + PREFETCH_AHEAD < nb_rx)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD], void *));
		colo_pkt_classify(pkts[i], side, epoch, now, st);
	}
	colo_stat_add(&st->ctr[rx_ctr[side]], nb_rx);
	nb_enq = rte_ring_sp_enqueue_burst(app->rx_ring[side], (void **)pkts, nb_rx, NULL);
	if (unlikely(nb_enq < nb_rx)) {
		if (side == COLO_SIDE_PRIMARY)
			colo_stat_add(&st->drop[COLO_DROP_RING_FULL], nb_rx - nb_enq);
		else
			colo_stat_add(&st->discard[COLO_DISCARD_RING_FULL], nb_rx - nb_enq);
		rte_pktmbuf_free_bulk(&pkts[nb_enq], nb_rx - nb_enq);
	}
	if (unlikely(colo_load_u64(&app->first_rx_tsc) == 0))
		colo_store_u64(&app->first_rx_tsc, now);
	colo_store_u64(&app->last_input_tsc, now);
	return nb_rx;
}

/** Poll both VM ports once; returns the frames received. */
unsigned int
colo_lcore_rx_poll(struct colo_app *app, struct colo_stats *st)
{
	return rx_side(app, COLO_SIDE_PRIMARY, st) + rx_side(app, COLO_SIDE_SECONDARY, st);
}

/** RX lcore of the split layout: VM ports and the ingress mirror until told to stop. */
int
colo_lcore_rx_run(void *arg)
{
	struct colo_app *app = arg;
	struct colo_stats *st = &app->stats[rte_lcore_id()];

	while (!colo_load_flag(&app->stop_rx)) {
		colo_lcore_rx_poll(app, st);
		if (app->opts.ingress_mirror)
			colo_ingress_poll(app, st);
	}
	return 0;
}
