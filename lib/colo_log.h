/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Log types of libcolo and colo-proxy. Every module logs through COLO_LOG()
 * under "colo.<module>", so --log-level='colo.*:debug' turns them all up;
 * after colo_log_inherit(), --log-level=colo:debug does too.
 */
#ifndef COLO_LOG_H
#define COLO_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_log.h>

extern int colo_logtype; /**< "colo": stands for every module, see colo_log_inherit() */
extern int colo_logtype_pkt;
extern int colo_logtype_conn;
extern int colo_logtype_compare;
extern int colo_logtype_ckpt;
extern int colo_logtype_app;
extern int colo_logtype_bypass;
extern int colo_logtype_rewriter;

/** Log @p fmt at RTE_LOG_<level> on the colo.<module> log type. */
#define COLO_LOG(level, module, fmt, ...)                                                  \
	rte_log(RTE_LOG_##level, colo_logtype_##module, "colo." #module ": " fmt "\n",      \
		##__VA_ARGS__)

/**
 * A log rate limiter: at most @c burst lines per window of @c interval
 * (in the unit of the clock the caller passes: TSC ticks, ms). Set the two
 * parameters, zero the rest; one writer.
 */
struct colo_log_limit {
	uint64_t interval;    /**< length of a window */
	unsigned int burst;   /**< lines per window */
	unsigned int nb_in_window;
	uint64_t window_end;
	uint64_t suppressed; /**< lines refused since the last that passed */
};

/**
 * May a line be logged at @p now? A window opens at the first line after
 * the previous one ended.
 *
 * @param suppressed if not NULL, set when the line may be logged: how many
 *   were refused since the previous one that was (say so in the log).
 * @return true to log the line; false when this window's burst is spent
 *   (the line is counted as suppressed).
 */
static inline bool
colo_log_limit_pass(struct colo_log_limit *l, uint64_t now, uint64_t *suppressed)
{
	if (now >= l->window_end) {
		l->window_end = now + l->interval;
		l->nb_in_window = 0;
	}
	if (l->nb_in_window >= l->burst) {
		l->suppressed++;
		return false;
	}
	l->nb_in_window++;
	if (suppressed != NULL)
		*suppressed = l->suppressed;
	l->suppressed = 0;
	return true;
}

/**
 * Give every colo.<module> log type that is still at its registered level
 * the level of the "colo" log type, when --log-level changed it. Call once
 * after rte_eal_init(), which applies --log-level.
 */
void colo_log_inherit(void);

#endif /* COLO_LOG_H */
