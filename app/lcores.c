/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lcore layout, chosen from the EAL lcore list. The main lcore does
 * housekeeping only. One worker runs RX and compare to completion; two
 * workers split them into an RX lcore and a compare lcore joined by the
 * SP/SC rings. The stop order (RX first, then compare) lets the compare
 * lcore see every frame RX took before it drains.
 */
#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "app.h"
#include "colo_log.h"

/* Run to completion: RX, ingress and compare on one lcore. */
static int
rtc_lcore(void *arg)
{
	struct colo_app *app = arg;
	struct colo_stats *st = &app->stats[rte_lcore_id()];

	while (!colo_load_flag(&app->stop_rx)) {
		colo_lcore_rx_poll(app, st);
		if (app->opts.ingress_mirror)
			colo_ingress_poll(app, st);
		colo_lcore_compare_poll(app, st, rte_rdtsc());
	}
	colo_lcore_compare_finish(app, st);
	return 0;
}

/**
 * Choose the layout from the worker lcores. The compare context needs the
 * compare lcore's counters, so this runs before it is created.
 *
 * @return 0, or -EINVAL when there is no worker lcore.
 */
int
colo_lcores_plan(struct colo_app *app)
{
	unsigned int lcore, nb = 0, workers[2] = { 0 };

	RTE_LCORE_FOREACH_WORKER (lcore) {
		if (nb < RTE_DIM(workers))
			workers[nb] = lcore;
		nb++;
	}
	if (nb == 0) {
		fprintf(stderr, "colo-proxy: needs a worker lcore besides the main lcore "
				"(e.g. -l 0,1)\n");
		return -EINVAL;
	}
	app->rx_lcore = workers[0];
	app->compare_lcore = nb >= 2 ? workers[1] : workers[0];
	if (nb > 2)
		COLO_LOG(NOTICE, app, "%u worker lcores: using %u and %u, the rest stay idle", nb,
				workers[0], workers[1]);
	return 0;
}

void
colo_lcores_launch(struct colo_app *app)
{
	app->next_scan_tsc = rte_rdtsc();
	if (app->rx_lcore == app->compare_lcore) {
		COLO_LOG(INFO, app, "layout: run to completion on lcore %u", app->rx_lcore);
		rte_eal_remote_launch(rtc_lcore, app, app->rx_lcore);
		return;
	}
	COLO_LOG(INFO, app, "layout: RX on lcore %u, compare on lcore %u", app->rx_lcore,
			app->compare_lcore);
	rte_eal_remote_launch(colo_lcore_compare_run, app, app->compare_lcore);
	rte_eal_remote_launch(colo_lcore_rx_run, app, app->rx_lcore);
}

/** Stop RX, let the compare lcore drain and transmit, and wait for both. */
void
colo_lcores_stop(struct colo_app *app)
{
	colo_store_flag(&app->stop_rx, true);
	rte_eal_wait_lcore(app->rx_lcore);
	colo_store_flag(&app->stop_compare, true);
	rte_eal_wait_lcore(app->compare_lcore);
}
