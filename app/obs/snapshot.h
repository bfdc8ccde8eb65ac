/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection snapshots for telemetry. A shard's connection table is read
 * and written by its compare lcore alone, so the telemetry thread posts a
 * request per shard, each compare lcore answers between two compare steps
 * into a buffer of its shard, and the thread waits with a timeout. The
 * request numbers are colo_shard.snap_posted/snap_answered (app.h); the
 * formatting of the answers is in telemetry_conns.c.
 */
#ifndef COLO_APP_SNAPSHOT_H
#define COLO_APP_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "colo_conn.h"
#include "colo_pkt.h"

/* Most connections one request ranks: pages reach down to this rank. */
#define COLO_SNAP_WINDOW 1024
/* Queued frames per side a detailed snapshot lists. */
#define COLO_SNAP_PKTS 8
/* How long the telemetry thread waits for every shard to answer. */
#define COLO_SNAP_TIMEOUT_MS 500

/** What /colo/conns ranks by, most first. */
enum colo_snap_sort {
	COLO_SNAP_SORT_QUEUE = 0, /**< frames queued, both sides; then the oldest one's age */
	COLO_SNAP_SORT_AGE,	  /**< age of the oldest queued frame */
	COLO_SNAP_SORT_IDLE,	  /**< time since the last frame of either side */
	COLO_SNAP_SORT_MAX,
};

/** One connection as its compare lcore copied it. */
struct colo_snap_conn {
	struct colo_key key;
	uint64_t score;		 /**< by the requested sort; higher ranks first */
	uint64_t verified_bytes; /**< payload bytes verified equal */
	uint64_t last_tsc;	 /**< last frame of either side */
	uint64_t oldest_tsc[2];	 /**< arrival of the oldest queued frame per side; 0: none */
	uint64_t bytes[2];	 /**< bytes queued per side */
	uint32_t nb[2];		 /**< frames queued per side */
	uint32_t index;		 /**< slot in the shard's connection table */
	uint32_t tcp_verified;	 /**< TCP: first sequence number not yet verified */
	uint32_t tcp_sec_ack;	 /**< TCP: highest ACK seen from the secondary */
	uint16_t shard;
	uint8_t flags; /**< COLO_CONN_F_* */
};

/** One queued frame in a detailed snapshot. */
struct colo_snap_pkt {
	uint64_t arrival_tsc;
	uint32_t tcp_seq;
	uint32_t len;
	uint16_t payload_len;
	uint8_t flags; /**< COLO_PKT_F_* */
};

/** One connection in detail: /colo/conn. */
struct colo_snap_detail {
	struct colo_snap_conn conn;
	uint32_t nb_pkts[2]; /**< listed per side, at most COLO_SNAP_PKTS */
	struct colo_snap_pkt pkts[2][COLO_SNAP_PKTS];
};

/** Connection table figures summed over the shards that answered. */
struct colo_snap_totals {
	uint64_t conns;
	uint64_t capacity;
	unsigned int shards;
	uint64_t tsc; /**< when the requests were posted: the "now" of the ages */
};

/** Which connection /colo/conn asks for: by key, or by shard and table index. */
struct colo_snap_target {
	bool by_key;
	struct colo_key key;
	uint16_t shard;
	uint32_t index;
};

/**
 * The @p window top connections of every shard by @p sort, merged into
 * @p out (room for @p window), most first. Telemetry thread.
 *
 * @return the number written; -ETIMEDOUT when a shard did not answer within
 *   COLO_SNAP_TIMEOUT_MS (its compare lcore is busy or stopped); -EINVAL.
 */
int colo_snapshot_top(struct colo_app *app, enum colo_snap_sort sort, unsigned int window,
		struct colo_snap_conn *out, struct colo_snap_totals *tot);

/**
 * One connection in detail. Telemetry thread.
 *
 * @return 0; -ENOENT when no shard has it; -ETIMEDOUT; -EINVAL.
 */
int colo_snapshot_one(struct colo_app *app, const struct colo_snap_target *t,
		struct colo_snap_detail *out, struct colo_snap_totals *tot);

#endif /* COLO_APP_SNAPSHOT_H */
