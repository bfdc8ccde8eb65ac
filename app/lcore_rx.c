/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RX of the two VM ports, one queue per RX lcore: rx_burst, classify
 * (parse, key, hash, epoch, arrival time) and enqueue into that side's
 * SP/SC ring of the frame's compare shard (shard.c). Frames that do not
 * fit are counted and freed. RX lcore 0 also runs the ingress mirror.
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "app.h"
#include "colo_pkt.h"

/*
 * Drop (primary) or discard (secondary), counted, every frame whose segments
 * do not hold its length: DPDK 22.11's net_pcap hands over a record of more
 * than 64 KiB cut short (docs/semantics.md A7). Sent on, the pcap TX would
 * read past its last segment; compared, a cut frame could match a cut frame.
 * Returns the frames kept, in order.
 */
static unsigned int
rx_guard(struct rte_mbuf **pkts, unsigned int n, enum colo_side side, struct colo_stats *st)
{
	unsigned int i = 0, k;

	while (i < n && likely(colo_pkt_len_ok(pkts[i])))
		i++;
	if (likely(i == n))
		return n;
	for (k = i; i < n; i++) {
		if (colo_pkt_len_ok(pkts[i])) {
			pkts[k++] = pkts[i];
			continue;
		}
		colo_stat_add(&st->parse_err[COLO_PARSE_ERR_TRUNCATED], 1);
		if (side == COLO_SIDE_PRIMARY)
			colo_stat_add(&st->drop[COLO_DROP_RX_TRUNCATED], 1);
		else
			colo_stat_add(&st->discard[COLO_DISCARD_RX_TRUNCATED], 1);
		rte_pktmbuf_free(pkts[i]);
	}
	return k;
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
	unsigned int nb_rx, nb_enq;
	uint64_t now;
	uint32_t epoch;

	nb_rx = rte_eth_rx_burst(port, rxq->queue, pkts, COLO_BURST);
	if (nb_rx == 0)
		return 0;
	now = rte_rdtsc();
	colo_stat_add(&st->ctr[rx_ctr[side]], nb_rx);
	nb_rx = rx_guard(pkts, nb_rx, side, st);
	if (app->nb_shards > 1) {
		colo_shard_dispatch(rxq, side, pkts, nb_rx, now, st);
		goto out;
	}
	epoch = colo_ckpt_epoch(colo_ctx_ckpt(app->shard[0].ctx));
	colo_pkt_classify_burst(pkts, nb_rx, side, epoch, now, st);
	if (side == COLO_SIDE_PRIMARY)
		colo_link_syn_mirror(rxq, pkts, nb_rx, st);
	nb_enq = rte_ring_sp_enqueue_burst(
			app->shard[0].rx_ring[rxq->queue][side], (void **)pkts, nb_rx, NULL);
	if (unlikely(nb_enq < nb_rx)) {
		if (side == COLO_SIDE_PRIMARY)
			colo_stat_add(&st->drop[COLO_DROP_RING_FULL], nb_rx - nb_enq);
		else
			colo_stat_add(&st->discard[COLO_DISCARD_RING_FULL], nb_rx - nb_enq);
		rte_pktmbuf_free_bulk(&pkts[nb_enq], nb_rx - nb_enq);
	}
out:
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
