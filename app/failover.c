/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Failover: the one-way switch of a proxy whose peer host is gone. It is
 * asked for on the notify socket (a COLO_FAILOVER record from the ready
 * peer) or with the telemetry command /colo/failover,now; the lead lcore
 * (shard 0's compare lcore, or the secondary role's lcore) performs it.
 * The primary role's forwarding after it is here; the secondary role's
 * switch is in role_secondary.c.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "app.h"
#include "colo_log.h"

/* Telemetry callbacks take no argument: the one application. */
static struct colo_app *fo_app;

static bool
can_fail_over(const struct colo_app *app)
{
	/* The secondary becomes the primary: it needs the port towards the clients. */
	return app->opts.role == COLO_HOST_PRIMARY ||
	       rte_eth_dev_is_valid_port(app->port[COLO_ROLE_OUTBOUND]);
}

/**
 * Ask for a failover; any thread. Idempotent: the lead lcore performs it
 * on its next loop.
 *
 * @return 0, or -ENODEV for a secondary role without an outbound port.
 */
int
colo_failover_request(struct colo_app *app)
{
	if (!can_fail_over(app))
		return -ENODEV;
	colo_store_flag(&app->failover_req, true);
	return 0;
}

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
		if (!can_fail_over(app)) {
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

/* Primaries straight to the release ring, secondaries freed: nothing is compared. */
static unsigned int
forward(struct colo_shard *sh, struct colo_stats *st)
{
	struct rte_mbuf *pkts[COLO_BURST];
	unsigned int q, n, sent, total = 0;

	for (q = 0; q < sh->app->nb_rxq; q++) {
		n = rte_ring_sc_dequeue_burst(sh->rx_ring[q][COLO_SIDE_SECONDARY], (void **)pkts,
				COLO_BURST, NULL);
		colo_stat_add(&st->discard[COLO_DISCARD_FAILOVER], n);
		rte_pktmbuf_free_bulk(pkts, n);
		total += n;
		n = rte_ring_sc_dequeue_burst(
				sh->rx_ring[q][COLO_SIDE_PRIMARY], (void **)pkts, COLO_BURST, NULL);
		sent = rte_ring_sp_enqueue_burst(sh->out_ring, (void **)pkts, n, NULL);
		colo_stat_add(&st->release[COLO_REL_FAILOVER], sent);
		if (unlikely(sent < n)) {
			colo_stat_add(&st->drop[COLO_DROP_OUT_FULL], n - sent);
			rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
		}
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

/*
 * /colo/failover: the state. /colo/failover,now: ask for the failover and
 * reply with the state (failed_over turns 1 on the lead lcore's next loop).
 */
static int
failover_cmd(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct colo_app *app = fo_app;
	uint64_t tsc, ms = rte_get_tsc_hz() / 1000;
	int ret = 0;

	RTE_SET_USED(cmd);
	if (params != NULL && params[0] != '\0') {
		if (strcmp(params, "now") != 0) {
			colo_tel_refused(app);
			return -EINVAL;
		}
		ret = colo_failover_request(app);
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(
			d, "role", app->opts.role == COLO_HOST_PRIMARY ? "primary" : "secondary");
	rte_tel_data_add_dict_u64(d, "failed_over", colo_failover_active(app) ? 1 : 0);
	rte_tel_data_add_dict_u64(d, "requested", colo_load_flag(&app->failover_req) ? 1 : 0);
	tsc = colo_load_u64(&app->failover_tsc);
	rte_tel_data_add_dict_u64(d, "failover_ms", tsc != 0 ? (tsc - app->start_tsc) / ms : 0);
	if (ret != 0)
		rte_tel_data_add_dict_string(d, "error", "the secondary role needs --outbound");
	return 0;
}

/** Register /colo/failover; @p app outlives the telemetry thread's use of it. */
int
colo_failover_telemetry_init(struct colo_app *app)
{
	fo_app = app;
	return rte_telemetry_register_cmd("/colo/failover", failover_cmd,
			"Failover state. Parameter 'now': stop comparing (primary role) or "
			"become the primary (secondary role); one-way");
}
