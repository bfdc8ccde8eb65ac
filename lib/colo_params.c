/* SPDX-License-Identifier: BSD-3-Clause */
/* Defaults and validation of struct colo_params. */
#include <errno.h>
#include <stdio.h>

#include "colo_params.h"

/* A queue deeper than this cannot be walked within one compare burst budget. */
#define COLO_MAX_QUEUE_LIMIT 65536
/* rte_hash keeps positions in int32_t. */
#define COLO_MAX_CONNS_LIMIT (1u << 26)

void
colo_params_init(struct colo_params *p)
{
	*p = (struct colo_params){
		.compare_timeout_ms = COLO_DEFAULT_COMPARE_TIMEOUT_MS,
		.expired_scan_cycle_ms = COLO_DEFAULT_SCAN_CYCLE_MS,
		.max_queue = COLO_DEFAULT_MAX_QUEUE,
		.max_conns = COLO_DEFAULT_MAX_CONNS,
		.idle_timeout_ms = COLO_DEFAULT_IDLE_TIMEOUT_MS,
		.closing_timeout_ms = COLO_DEFAULT_CLOSING_TIMEOUT_MS,
		.compare_nonip = false,
		.tsc_hz = 0,
	};
}

int
colo_params_validate(const struct colo_params *p, char *err, size_t err_len)
{
	if (p->compare_timeout_ms == 0) {
		snprintf(err, err_len, "compare_timeout must be at least 1 ms");
		return -EINVAL;
	}
	if (p->expired_scan_cycle_ms == 0) {
		snprintf(err, err_len, "expired_scan_cycle must be at least 1 ms");
		return -EINVAL;
	}
	if (p->max_queue == 0 || p->max_queue > COLO_MAX_QUEUE_LIMIT) {
		snprintf(err, err_len, "max_queue must be between 1 and %u", COLO_MAX_QUEUE_LIMIT);
		return -EINVAL;
	}
	if (p->max_conns < 8 || p->max_conns > COLO_MAX_CONNS_LIMIT) {
		snprintf(err, err_len, "max_conns must be between 8 and %u", COLO_MAX_CONNS_LIMIT);
		return -EINVAL;
	}
	if (p->idle_timeout_ms == 0 || p->closing_timeout_ms == 0) {
		snprintf(err, err_len, "idle_timeout and closing_timeout must be at least 1 ms");
		return -EINVAL;
	}
	return 0;
}
