/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lcore layout, chosen from the EAL lcore list and --compare-lcores N. The
 * main lcore does housekeeping only. With N workers, each runs to
 * completion: RX queue i of the VM ports and compare shard i. With more,
 * the first ones are RX lcores (one RX queue each) and the last N are
 * compare lcores, joined by SP/SC rings per RX queue and shard. The stop
 * order (every RX first, then compare) lets each compare lcore see every
 * frame RX took before it drains.
 */
#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#include "colo_log.h"
#include "dp.h"

/* Run to completion: lcore i polls rxq[i] (if the ports have that queue) and shard i. */
static int
rtc_lcore(void *arg)
{
	struct colo_shard *sh = arg;
	struct colo_app *app = sh->app;
	struct colo_rxq *rxq = sh->id < app->nb_rxq ? &app->rxq[sh->id] : NULL;
	struct colo_stats *st = &app->stats[rte_lcore_id()];

	while (rxq != NULL) {
		if (colo_load_flag(&app->stop_rx)) {
			__atomic_fetch_sub(&app->rx_running, 1, __ATOMIC_RELEASE);
			break;
		}
		colo_lcore_rx_poll(rxq, st);
		if (rxq->ingress)
			colo_ingress_poll(rxq, st);
		colo_lcore_compare_poll(sh, st, rte_rdtsc());
	}
	/* Other RX lcores may still feed this shard until every RX has stopped. */
	while (!colo_load_flag(&app->stop_compare))
		colo_lcore_compare_poll(sh, st, rte_rdtsc());
	colo_lcore_compare_finish(sh, st);
	return 0;
}

/**
 * Choose the layout from the worker lcores. The compare contexts need their
 * lcores' counters, so this runs before they are created. colo_ports_init()
 * may lower nb_rxq to the RX queues the VM ports have.
 *
 * @return 0, or -EINVAL when there are fewer workers than compare lcores.
 */
int
colo_lcores_plan(struct colo_app *app)
{
	unsigned int lcore, i, nb = 0, workers[COLO_MAX_RXQ + COLO_MAX_SHARDS];
	unsigned int nb_shards = app->opts.compare_lcores;

	RTE_LCORE_FOREACH_WORKER (lcore) {
		if (nb < RTE_DIM(workers))
			workers[nb] = lcore;
		nb++;
	}
	if (nb < nb_shards) {
		fprintf(stderr,
				"colo-proxy: needs %u worker lcore%s besides the main lcore "
				"(e.g. -l 0-%u)\n",
				nb_shards, nb_shards > 1 ? "s" : "", nb_shards);
		return -EINVAL;
	}
	app->nb_shards = nb_shards;
	app->rtc = nb == nb_shards;
	app->nb_rxq = app->rtc ? nb_shards : RTE_MIN(nb - nb_shards, (unsigned int)COLO_MAX_RXQ);
	if (nb > app->nb_rxq + (app->rtc ? 0 : nb_shards))
		COLO_LOG(NOTICE, app, "%u worker lcores: %u stay idle", nb,
				nb - app->nb_rxq - (app->rtc ? 0 : nb_shards));
	for (i = 0; i < app->nb_rxq; i++) {
		app->rxq[i].app = app;
		app->rxq[i].queue = i;
		app->rxq[i].lcore = workers[i];
		app->rxq[i].ingress = i == 0 && app->opts.ingress_mirror;
	}
	for (i = 0; i < nb_shards; i++) {
		app->shard[i].app = app;
		app->shard[i].id = i;
		app->shard[i].lcore = workers[app->rtc ? i : app->nb_rxq + i];
	}
	return 0;
}

void
colo_lcores_launch(struct colo_app *app)
{
	unsigned int i;

	app->rx_running = app->nb_rxq;
	for (i = 0; i < app->nb_shards; i++)
		app->shard[i].next_scan_tsc = rte_rdtsc();
	if (app->rtc) {
		COLO_LOG(INFO, app,
				"layout: run to completion on %u lcore%s (first %u), %u RX queue%s",
				app->nb_shards, app->nb_shards > 1 ? "s" : "", app->shard[0].lcore,
				app->nb_rxq, app->nb_rxq > 1 ? "s" : "");
		for (i = 0; i < app->nb_shards; i++)
			rte_eal_remote_launch(rtc_lcore, &app->shard[i], app->shard[i].lcore);
		return;
	}
	COLO_LOG(INFO, app, "layout: %u RX lcore%s (first %u), %u compare lcore%s (first %u)",
			app->nb_rxq, app->nb_rxq > 1 ? "s" : "", app->rxq[0].lcore, app->nb_shards,
			app->nb_shards > 1 ? "s" : "", app->shard[0].lcore);
	for (i = 0; i < app->nb_shards; i++)
		rte_eal_remote_launch(colo_lcore_compare_run, &app->shard[i], app->shard[i].lcore);
	for (i = 0; i < app->nb_rxq; i++)
		rte_eal_remote_launch(colo_lcore_rx_run, &app->rxq[i], app->rxq[i].lcore);
}

/** Stop every RX, let the compare lcores drain and transmit, and wait for all. */
void
colo_lcores_stop(struct colo_app *app)
{
	unsigned int i;

	colo_store_flag(&app->stop_rx, true);
	while (__atomic_load_n(&app->rx_running, __ATOMIC_ACQUIRE) != 0)
		rte_pause();
	colo_store_flag(&app->stop_compare, true);
	if (!app->rtc)
		for (i = 0; i < app->nb_rxq; i++)
			rte_eal_wait_lcore(app->rxq[i].lcore);
	for (i = 0; i < app->nb_shards; i++)
		rte_eal_wait_lcore(app->shard[i].lcore);
}
