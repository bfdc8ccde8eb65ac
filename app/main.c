/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * colo-proxy: the table of contents. Parse the options, start EAL, the
 * ports, the compare shards (contexts and rings), the notify channel, what
 * the role adds (bypass rules, or the secondary's rewriter), pdump and
 * telemetry; launch the lcores; wait on the main lcore; then stop RX,
 * drain, report and tear down in reverse order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_pdump.h>

#include "app.h"
#include "colo_log.h"
#include "ctl/ctl.h"
#include "ctl/eal_ini.h"
#include "dp/dp.h"
#include "obs/obs.h"
#include "secondary/secondary.h"

/*
 * The application: the one owner of every piece of state the planes share
 * (app.h). Large (per-lcore counters) and reachable from the telemetry
 * thread: static.
 */
static struct colo_app app;

/* argv from "--" on, with "--" standing in for the program name. */
static int
app_args(int argc, char **argv, char ***app_argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			*app_argv = &argv[i];
			return argc - i;
		}
	}
	*app_argv = argv;
	return 1;
}

static int
compare_start(struct colo_app *a)
{
	struct colo_notify_conf nconf = {
		.listen_path = a->opts.notify[0] != '\0' ? a->opts.notify : NULL,
		.connect_addr = a->opts.notify_connect[0] != '\0' ? a->opts.notify_connect : NULL,
	};

	if (colo_shards_create(a) != 0)
		return -1;
	a->notify = colo_notify_start(&nconf);
	if (a->notify == NULL)
		return -rte_errno;
	return 0;
}

/* What the host's role adds: bypass rules (primary) or the rewriter (secondary); failover. */
static int
role_start(struct colo_app *a)
{
	int ret;

	ret = colo_link_init(a);
	if (ret != 0)
		return ret;
	ret = a->opts.role == COLO_HOST_SECONDARY ? colo_secondary_init(a) : colo_bypass_init(a);
	if (ret != 0)
		return ret;
	if (colo_failover_telemetry_init() != 0)
		COLO_LOG(WARNING, app, "cannot register /colo/failover");
	return 0;
}

static void
role_stop(struct colo_app *a)
{
	colo_secondary_fini(a);
	colo_bypass_fini(a);
	colo_link_fini(a);
}

static void
final_report(struct colo_app *a, struct colo_report *r)
{
	int ret;

	colo_report_take(a, r);
	if (a->opts.stats_json[0] == '\0')
		return;
	ret = colo_report_write_json(r, a->opts.stats_json);
	if (ret != 0)
		COLO_LOG(ERR, app, "cannot write %s: %s", a->opts.stats_json, strerror(-ret));
}

int
main(int argc, char **argv)
{
	struct colo_report report;
	int app_argc, eal_argc, ret, status = EXIT_FAILURE;
	unsigned int r;
	char **app_argv, **eal_argv;

	if (colo_args_want_help(argc, argv)) {
		colo_args_usage(stdout, "colo-proxy");
		return EXIT_SUCCESS;
	}
	if (colo_args_want_version(argc, argv)) {
		printf("colo-proxy %s\n", COLO_VERSION);
		return EXIT_SUCCESS;
	}
	/* Options first: a bad value fails fast, before EAL grabs memory. */
	colo_config_defaults(&app.opts);
	colo_obs_attach(&app);
	app_argc = app_args(argc, argv, &app_argv);
	if (colo_args_parse(app_argc, app_argv, &app.opts) != 0)
		return COLO_EXIT_USAGE;
	for (r = 0; r < COLO_ROLE_MAX; r++)
		app.port[r] = RTE_MAX_ETHPORTS;

	eal_argc = colo_eal_ini_argv(argc, argv, app.opts.config_file, &eal_argv);
	if (eal_argc < 0)
		return COLO_EXIT_USAGE;
	ret = rte_eal_init(eal_argc, eal_argv);
	if (ret < 0) {
		fprintf(stderr, "colo-proxy: EAL: %s\n", rte_strerror(rte_errno));
		return rte_errno == EINVAL ? COLO_EXIT_USAGE : EXIT_FAILURE;
	}
	colo_log_inherit();
	app.start_tsc = rte_rdtsc();
	colo_housekeeping_signals();

	if (colo_lcores_plan(&app) != 0) {
		status = COLO_EXIT_USAGE;
		goto eal;
	}
	ret = colo_ports_init(&app);
	if (ret != 0) {
		status = ret == -ENODEV || ret == -EINVAL ? COLO_EXIT_USAGE : EXIT_FAILURE;
		goto ports;
	}
	if (compare_start(&app) != 0 || role_start(&app) != 0)
		goto compare;
	if (colo_divergence_start(&app) != 0)
		goto compare;
	colo_latency_init(&app);
	/* dpdk-dumpcap attaches through the multi-process channel: absent with --no-shconf. */
	if (rte_pdump_init() != 0)
		COLO_LOG(INFO, app, "pdump unavailable: %s", rte_strerror(rte_errno));
	if (colo_telemetry_init(&app) != 0)
		COLO_LOG(WARNING, app, "cannot register the /colo/ telemetry commands");
	colo_trust_runtime_dir();

	if (app.opts.role == COLO_HOST_SECONDARY)
		colo_secondary_launch(&app);
	else
		colo_lcores_launch(&app);
	colo_housekeeping_run(&app);
	colo_lcores_stop(&app);
	colo_divergence_stop(&app);

	final_report(&app, &report);
	colo_telemetry_close(&app);
	rte_pdump_uninit();
	status = EXIT_SUCCESS;
compare:
	colo_telemetry_close(&app);
	colo_divergence_free(&app);
	role_stop(&app);
	if (app.notify != NULL)
		colo_notify_stop(app.notify);
	colo_shards_free(&app);
ports:
	colo_ports_fini(&app);
eal:
	rte_eal_cleanup();
	if (status == EXIT_SUCCESS)
		colo_report_print(&report, stdout);
	return status;
}
