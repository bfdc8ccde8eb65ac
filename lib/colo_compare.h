/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The compare context: one per compare lcore (or shard). It owns a
 * connection table, the checkpoint state, and the release ring on which
 * primaries leave in the order they may be transmitted. Packets enter
 * classified (colo_pkt_classify) and hashed (colo_key_hash).
 *
 * Every function here is called by the owning compare lcore only, unless
 * it says otherwise.
 */
#ifndef COLO_COMPARE_H
#define COLO_COMPARE_H

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "colo_ckpt.h"
#include "colo_conn.h"
#include "colo_params.h"
#include "colo_stats.h"

/** Compare context; opaque. */
struct colo_ctx;

/**
 * Create a compare context.
 *
 * @param out ring that receives released primaries (single producer: this
 *   context). Size it for every mbuf of the pool, so that it cannot fill.
 * @param st counters of the calling lcore.
 * @return the context, or NULL with rte_errno set (EINVAL, ENOMEM).
 */
struct colo_ctx *colo_ctx_create(const char *name, const struct colo_params *p,
		struct rte_ring *out, struct colo_stats *st, int socket_id);

/** Free @p ctx. Packets still queued are freed and counted as shutdown. */
void colo_ctx_free(struct colo_ctx *ctx);

/**
 * Compare a burst of classified packets of either side. Releasable primaries
 * go to the out ring; secondaries whose fate is decided are freed. Never fails
 * as a whole: each packet that cannot be kept is counted with its reason.
 *
 * @return @p n.
 */
uint16_t colo_compare_burst(struct colo_ctx *ctx, struct rte_mbuf **pkts, uint16_t n,
		uint64_t now_tsc);

/**
 * Release @p n primaries that skip the comparison (bypassed flows, or all
 * of them after a failover) to the release ring, counted as @p why, in
 * order after what was released before. The context is the ring's only
 * producer: frames that do not fit are counted as drop_out_full and freed.
 */
void colo_ctx_release_burst(struct colo_ctx *ctx, struct rte_mbuf **pkts, uint16_t n,
		enum colo_release_reason why);

/**
 * Periodic work: trigger checkpoints for packets older than compare_timeout,
 * and remove idle and closed connections. Call every expired_scan_cycle.
 */
void colo_ctx_scan(struct colo_ctx *ctx, uint64_t now_tsc);

/**
 * Checkpoint done: release every queued primary (TCP in sequence order),
 * free every queued secondary, clear the outstanding request, bump the epoch.
 */
void colo_ctx_flush(struct colo_ctx *ctx, uint64_t now_tsc);

/** Release every queued primary and free every secondary, counted as shutdown. */
void colo_ctx_drain(struct colo_ctx *ctx);

/** Checkpoint state; its epoch and history may be read from any thread. */
struct colo_ckpt *colo_ctx_ckpt(struct colo_ctx *ctx);

/** Connection table, for read-only inspection by the owning lcore. */
struct colo_conn_table *colo_ctx_conns(struct colo_ctx *ctx);

/** Packets queued in connections on @p side; safe from any thread. */
uint64_t colo_ctx_queued(const struct colo_ctx *ctx, enum colo_side side);

/** Parameters the context runs with. */
const struct colo_params *colo_ctx_params(const struct colo_ctx *ctx);

#endif /* COLO_COMPARE_H */
