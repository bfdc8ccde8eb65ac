/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The main lcore's loop while the workers forward: wait for SIGINT or
 * SIGTERM, log link changes, and decide when replay mode is done
 * (--exit-on-idle). The signal handler only stores a flag.
 */
#include <inttypes.h>
#include <signal.h>
#include <string.h>

#include <rte_cycles.h>

#include "colo_log.h"
#include "ctl.h"
#include "dp/dp.h"
#include "obs/obs.h"

#define TICK_US 10000

static volatile sig_atomic_t quit_signal;

static void
on_signal(int sig)
{
	quit_signal = sig;
}

/** Install the handlers; SIGPIPE is ignored for the sockets and virtio-user peers. */
void
colo_housekeeping_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* Idle tracking of --exit-on-idle; main lcore only. */
struct idle {
	uint64_t queued;      /**< frames queued at the last tick */
	uint64_t changed_tsc; /**< last tick the queued count changed */
};

/*
 * Done when no input came and nothing was released for exit_on_idle, and
 * every queue is empty (the timeouts have fired and flushed). If frames
 * stay queued without any change for a further compare_timeout plus two
 * scan cycles (hold policy with no peer, or a port that refuses), nothing
 * will move them: stop anyway and let shutdown account for them.
 */
static bool
idle_done(struct colo_app *app, struct idle *id, uint64_t now)
{
	const struct colo_params *p = &app->opts.params;
	uint64_t ms = rte_get_tsc_hz() / 1000;
	uint64_t last, queued, primary, secondary;

	colo_report_queued(app, &primary, &secondary);
	queued = primary + secondary;
	if (queued != id->queued) {
		id->queued = queued;
		id->changed_tsc = now;
	}
	last = RTE_MAX(colo_app_last_input_tsc(app), colo_app_last_release_tsc(app));
	last = RTE_MAX(last, app->start_tsc);
	/* A worker may stamp a TSC read after @p now: traffic, and no wrap-around. */
	if (now < last || now - last < ms * app->opts.exit_on_idle_ms)
		return false;
	if (queued == 0)
		return true;
	last = RTE_MAX(last, id->changed_tsc);
	if (now - last < ms * (app->opts.exit_on_idle_ms + p->compare_timeout_ms +
					      2ull * p->expired_scan_cycle_ms))
		return false;
	COLO_LOG(WARNING, app, "exit-on-idle: %" PRIu64 " frames still queued, nothing moves them",
			queued);
	return true;
}

/** Run until a signal, or until idle in replay mode. */
void
colo_housekeeping_run(struct colo_app *app)
{
	struct idle id = { .queued = 0, .changed_tsc = rte_rdtsc() };
	struct colo_ports_watch watch = {
		.limit = { .interval = rte_get_tsc_hz(), .burst = 1 },
	};

	while (quit_signal == 0) {
		rte_delay_us_sleep(TICK_US);
		colo_ports_log_links(app, &watch);
		colo_divergence_poll(app);
		if (app->opts.exit_on_idle_ms != 0 && idle_done(app, &id, rte_rdtsc())) {
			COLO_LOG(INFO, app, "idle for %u ms: exiting", app->opts.exit_on_idle_ms);
			return;
		}
	}
	COLO_LOG(NOTICE, app, "%s: shutting down", strsignal(quit_signal));
}
