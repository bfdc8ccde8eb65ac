/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Failover: the one-way switch of a proxy whose peer host is gone. It is
 * asked for on the notify socket (a COLO_FAILOVER record from the ready
 * peer) or with the telemetry command /colo/failover,now; the lead lcore
 * (shard 0's compare lcore, or the secondary role's lcore) performs it:
 * dp/failover.c, secondary/secondary.c. Here: asking for it, and the
 * /colo/failover command.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_telemetry.h>

#include "ctl.h"
#include "obs/obs.h"

/**
 * Ask for a failover; any thread. Idempotent: the lead lcore performs it
 * on its next loop.
 *
 * @return 0, or -ENODEV for a secondary role without an outbound port.
 */
int
colo_failover_request(struct colo_app *app)
{
	if (!colo_failover_possible(app))
		return -ENODEV;
	colo_store_flag(&app->failover_req, true);
	return 0;
}

/*
 * /colo/failover: the state. /colo/failover,now: ask for the failover and
 * reply with the state (failed_over turns 1 on the lead lcore's next loop).
 */
static int
failover_cmd(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct colo_app *app = colo_obs_app();
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

/** Register /colo/failover; it reaches the application through colo_obs_app(). */
int
colo_failover_telemetry_init(void)
{
	return rte_telemetry_register_cmd("/colo/failover", failover_cmd,
			"Failover state. Parameter 'now': stop comparing (primary role) or "
			"become the primary (secondary role); one-way");
}
