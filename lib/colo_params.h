/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every tunable of the compare engine, with its default and unit. The app
 * fills it from the INI file and the command line; libcolo validates it.
 */
#ifndef COLO_PARAMS_H
#define COLO_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Defaults follow QEMU's colo-compare where QEMU has the knob (compare_timeout 3 s, scan 1 s). */
#define COLO_DEFAULT_COMPARE_TIMEOUT_MS 3000
#define COLO_DEFAULT_SCAN_CYCLE_MS 1000
#define COLO_DEFAULT_MAX_QUEUE 1024
#define COLO_DEFAULT_MAX_CONNS 16384
#define COLO_DEFAULT_IDLE_TIMEOUT_MS 120000
#define COLO_DEFAULT_CLOSING_TIMEOUT_MS 5000

/** Compare-engine tunables. */
struct colo_params {
	uint32_t compare_timeout_ms;	/**< age at which a queued packet triggers a checkpoint */
	uint32_t expired_scan_cycle_ms; /**< period of the timeout and aging scan */
	uint32_t max_queue;		/**< per connection, per side */
	uint32_t max_conns;		/**< connection table size */
	uint32_t idle_timeout_ms;	/**< an idle, empty connection is removed after this */
	uint32_t closing_timeout_ms;	/**< a finished (FIN/RST) connection lingers this long */
	bool compare_nonip;		/**< compare non-IP frames instead of passing them */
	uint64_t tsc_hz;		/**< TSC ticks per second; 0 means rte_get_tsc_hz() */
};

/** Fill @p p with the defaults. */
void colo_params_init(struct colo_params *p);

/**
 * Check @p p. On error write a one-line reason naming the field into @p err.
 *
 * @return 0, or -EINVAL.
 */
int colo_params_validate(const struct colo_params *p, char *err, size_t err_len);

#endif /* COLO_PARAMS_H */
