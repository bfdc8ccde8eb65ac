/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Registration of the colo.* log types. The default log type name "colo"
 * comes from -DRTE_LOG_DEFAULT_LOGTYPE in lib/meson.build.
 */
#include "colo_log.h"

RTE_LOG_REGISTER_SUFFIX(colo_logtype_pkt, pkt, NOTICE);
RTE_LOG_REGISTER_SUFFIX(colo_logtype_conn, conn, NOTICE);
RTE_LOG_REGISTER_SUFFIX(colo_logtype_compare, compare, NOTICE);
RTE_LOG_REGISTER_SUFFIX(colo_logtype_ckpt, ckpt, INFO);
RTE_LOG_REGISTER_SUFFIX(colo_logtype_app, app, INFO);
RTE_LOG_REGISTER_SUFFIX(colo_logtype_bypass, bypass, INFO);
RTE_LOG_REGISTER_SUFFIX(colo_logtype_rewriter, rewriter, NOTICE);
