/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Log types of libcolo and colo-proxy. Every module logs through COLO_LOG()
 * under "colo.<module>", so --log-level='colo.*:debug' turns them all up;
 * after colo_log_inherit(), --log-level=colo:debug does too.
 */
#ifndef COLO_LOG_H
#define COLO_LOG_H

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
 * Give every colo.<module> log type that is still at its registered level
 * the level of the "colo" log type, when --log-level changed it. Call once
 * after rte_eal_init(), which applies --log-level.
 */
void colo_log_inherit(void);

#endif /* COLO_LOG_H */
