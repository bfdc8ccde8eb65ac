/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Log types of libcolo and colo-proxy. Every module logs through COLO_LOG()
 * under "colo.<module>", so --log-level='colo.*:debug' turns them all up.
 */
#ifndef COLO_LOG_H
#define COLO_LOG_H

#include <rte_log.h>

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

#endif /* COLO_LOG_H */
