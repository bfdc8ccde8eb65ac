/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Divergence capture (--divergence-pcap): every mismatching primary and
 * secondary frame, with the connection's earlier frames for context, into a
 * size-capped pcapng file with a comment per frame. The compare lcores only
 * copy the frames into records and hand them over a ring; the main lcore
 * writes the file.
 */
#ifndef COLO_APP_DIVERGENCE_H
#define COLO_APP_DIVERGENCE_H

#include <stdint.h>

#include "app.h"

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

/** The counters; from any thread. */
void colo_divergence_stats(uint64_t out[COLO_CAPTURE_STAT_MAX]);

/** Render the counters as the group "divergence_capture" of a report. */
void colo_divergence_emit(const struct colo_report_out *out, void *arg);

#endif /* COLO_APP_DIVERGENCE_H */
