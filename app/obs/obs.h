/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Observability: the /colo/ telemetry commands (telemetry*.c), counter
 * reports and the conservation check (report.c), hold-time histograms
 * (latency.c), connection snapshots (snapshot.c) and the divergence
 * capture (divergence.c). Telemetry callbacks take no argument: they reach
 * the application through colo_obs_app(), and read what shutdown frees only
 * between colo_obs_enter() and colo_obs_leave(), the one gate.
 */
#ifndef COLO_APP_OBS_H
#define COLO_APP_OBS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "app.h"
#include "colo_rewriter.h"

/* telemetry.c */
/**
 * The application every telemetry callback serves; main lcore, before any
 * /colo/ command is registered (ctl/ registers /colo/bypass and /colo/failover).
 */
void colo_obs_attach(struct colo_app *app);
/**
 * Register the /colo/ commands for @p app (the one attached), which must
 * outlive the process's telemetry; main lcore, before launch.
 */
int colo_telemetry_init(struct colo_app *app);
/**
 * Close the gate: wait for the callbacks in progress (later ones get
 * -EAGAIN), then free the snapshot state. Main lcore; safe to call again.
 */
void colo_telemetry_close(struct colo_app *app);
/** The application, for telemetry callbacks (also ctl/'s /colo/bypass and /colo/failover). */
struct colo_app *colo_obs_app(void);
/**
 * May a telemetry callback use what shutdown frees (contexts, rings, rule
 * holders, the rewriter, the ports)? Pair a true return with colo_obs_leave().
 */
bool colo_obs_enter(void);
void colo_obs_leave(void);

/* telemetry_conns.c, telemetry_ports.c: registered by colo_telemetry_init() */
int colo_telemetry_conns_init(void);
int colo_telemetry_ports_init(void);

/* latency.c: hold-time histograms, colo_app.hist (recorded by dp/tx.c) */
/* clang-format off */
/** The summary of one histogram row in reports: name, then what it holds. */
#define COLO_LATENCY_STATS(X)                                   \
	X(COUNT, "count", "frames released")                    \
	X(SUM_US, "sum_us", "hold times added up, microseconds") \
	X(P50_US, "p50_us", "median hold time, bucket bound")   \
	X(P99_US, "p99_us", "99th percentile, bucket bound")    \
	X(P999_US, "p999_us", "99.9th percentile, bucket bound")
/* clang-format on */

#define COLO_ENUM_ENTRY(sym, name, help) COLO_LATENCY_##sym,
enum colo_latency_stat { COLO_LATENCY_STATS(COLO_ENUM_ENTRY) COLO_LATENCY_STAT_MAX };
#undef COLO_ENUM_ENTRY

/** Rows of a summary: one per protocol, then every protocol together. */
#define COLO_LATENCY_ROWS (COLO_HIST_PROTO_MAX + 1)

/** Set up every lcore's histogram; main lcore, before the lcores start. */
void colo_latency_init(struct colo_app *app);
/** Summary of every row, summed over the lcores; lock-free, from any thread. */
void colo_latency_summary(struct colo_app *app,
		uint64_t out[COLO_LATENCY_ROWS][COLO_LATENCY_STAT_MAX]);
/** Name of a summary row ("tcp", ..., "all"). */
const char *colo_latency_row_name(unsigned int row);
/** Names of the summary values, COLO_LATENCY_STAT_MAX of them. */
extern const char *const colo_latency_stat_names[];
/** Register /colo/latency. */
int colo_latency_telemetry_init(void);

/*
 * divergence.c: the divergence capture (--divergence-pcap). Every
 * mismatching primary and secondary frame, with the connection's earlier
 * frames for context, goes into a size-capped pcapng file with a comment
 * per frame. The compare lcores only copy the frames into records and hand
 * them over a ring; the main lcore writes the file.
 */
/* clang-format off */
/** Counters of the capture, in reports as the group "divergence_capture". */
#define COLO_CAPTURE_STATS(X)                                                          \
	X(EVENTS, "events", "divergences reported by the compare shards")             \
	X(WRITTEN, "frames_written", "frames written to the file")                    \
	X(CAPPED, "frames_capped", "frames not written: the file reached its cap")    \
	X(LOST, "frames_lost", "frames not written: no free record or ring room")     \
	X(ERRORS, "write_errors", "frames not written: the file could not be written") \
	X(BYTES, "bytes", "size of the file")
/* clang-format on */

#define COLO_ENUM_ENTRY(sym, name, help) COLO_CAPTURE_##sym,
enum colo_capture_stat { COLO_CAPTURE_STATS(COLO_ENUM_ENTRY) COLO_CAPTURE_STAT_MAX };
#undef COLO_ENUM_ENTRY

extern const char *const colo_capture_stat_names[];

/**
 * Open the file, create the record pool and ring, and attach the capture
 * (callback and history) to every shard's compare context. Main lcore,
 * after the shards exist and before the lcores start. Nothing to do
 * without --divergence-pcap.
 *
 * @return 0, or -errno (logged).
 */
int colo_divergence_start(struct colo_app *app);
/** Write what the compare lcores handed over; main lcore, every housekeeping tick. */
void colo_divergence_poll(struct colo_app *app);
/**
 * Write what is left and close the file; main lcore, once the compare lcores
 * have stopped. Safe to call again, or without a start.
 */
void colo_divergence_stop(struct colo_app *app);
/** The counters (zeros without a capture); from any thread. */
void colo_divergence_stats(struct colo_app *app, uint64_t out[COLO_CAPTURE_STAT_MAX]);
/** Stop if still running, then free what is left (the counters go); main lcore, last. */
void colo_divergence_free(struct colo_app *app);

/* snapshot.c (types in snapshot.h) */
/** Create the snapshot state of /colo/conns; main lcore, before telemetry starts. */
int colo_snapshot_init(struct colo_app *app);
void colo_snapshot_fini(struct colo_app *app);

/* report.c */
/** A snapshot of every counter plus the conservation check. */
struct colo_report {
	struct colo_stats sum;
	struct colo_notify_stats notify;
	uint64_t primary_queued;      /**< RX ring + connections + release ring + TX pending */
	uint64_t secondary_queued;    /**< RX ring + connections */
	uint64_t primary_dropped;     /**< sum of drop reasons */
	uint64_t secondary_discarded; /**< sum of discard reasons */
	bool conservation_ok;
	double active_seconds;
	uint64_t uptime_ms;
	uint32_t conns;
	uint64_t mbufs_in_use; /**< packet + clone pools: back to 0 after a drain */
	uint64_t rewriter[COLO_RW_CTR_MAX]; /**< secondary role; zeros in the primary role */
	uint64_t latency[COLO_LATENCY_ROWS][COLO_LATENCY_STAT_MAX];
	uint64_t capture[COLO_CAPTURE_STAT_MAX];
};

/** How one report entry is rendered (telemetry dict or JSON object). */
struct colo_report_out {
	void (*u64)(const char *name, uint64_t v, void *arg);
	void (*flag)(const char *name, bool v, void *arg);
	void (*real)(const char *name, double v, void *arg);
	/** A nested object of @p nb named u64 values. */
	void (*group)(const char *name, const char *const *names, const uint64_t *v,
			unsigned int nb, void *arg);
};

void colo_report_queued(struct colo_app *app, uint64_t *primary, uint64_t *secondary);
void colo_report_take(struct colo_app *app, struct colo_report *r);
void colo_report_emit(const struct colo_report *r, const struct colo_report_out *out, void *arg);
int colo_report_write_json(const struct colo_report *r, const char *path);
void colo_report_print(const struct colo_report *r, FILE *f);

#endif /* COLO_APP_OBS_H */
