/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ingress mirror: client frames received on the outbound port go to the
 * primary VM, and a zero-copy clone (indirect mbuf, refcnt) of each goes to
 * the secondary VM, in the order received. A frame a VM port refuses is
 * counted and freed like a loss on the wire: the guest's TCP recovers it,
 * and holding it would stall RX of the compared traffic.
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "burst.h"
#include "dp.h"

/** Poll the outbound port once and mirror what came in; returns the frames received. */
unsigned int
colo_ingress_poll(struct colo_rxq *rxq, struct colo_stats *st)
{
	struct colo_app *app = rxq->app;
	struct rte_mbuf *pkts[COLO_BURST], *clones[COLO_BURST];
	uint16_t i, nb_rx, nb_clones = 0;

	nb_rx = rte_eth_rx_burst(app->port[COLO_ROLE_OUTBOUND], 0, pkts, COLO_BURST);
	if (nb_rx == 0)
		return 0;
	colo_stat_add(&st->ctr[COLO_INGRESS_RX], nb_rx);
	/* Nothing a client sends may pass for link control (docs/security.md). */
	nb_rx = (uint16_t)colo_link_filter_clients(rxq->app, pkts, nb_rx, st);
	/*
	 * Clone before transmitting: the primary port may free the original at
	 * once. After a failover the secondary is ignored: no clones.
	 */
	for (i = 0; i < nb_rx && !colo_failover_active(app); i++) {
		clones[nb_clones] = rte_pktmbuf_clone(pkts[i], app->clone_pool);
		if (likely(clones[nb_clones] != NULL))
			nb_clones++;
		else
			colo_stat_add(&st->ctr[COLO_INGRESS_DROP], 1);
	}
	colo_burst_tx(app->port[COLO_ROLE_PRIMARY], 0, pkts, nb_rx, 1,
			&st->ctr[COLO_INGRESS_TO_PRIMARY], &st->ctr[COLO_INGRESS_DROP]);
	colo_burst_tx(app->port[COLO_ROLE_SECONDARY], 0, clones, nb_clones, 1,
			&st->ctr[COLO_INGRESS_TO_SECONDARY], &st->ctr[COLO_INGRESS_DROP]);
	colo_store_u64(&rxq->last_input_tsc, rte_rdtsc());
	return nb_rx;
}
