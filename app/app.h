/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The core every plane shares: struct colo_app with its RX queues and
 * compare shards, and the atomics the planes talk through. Each field says
 * which thread writes it (after launch; the main lcore writes everything
 * before). Prototypes live in each plane's header: dp/dp.h (data plane),
 * ctl/ctl.h (control plane), obs/obs.h (observability),
 * secondary/secondary.h (secondary role). libcolo never includes this.
 */
#ifndef COLO_APP_H
#define COLO_APP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "colo_bypass.h"
#include "colo_compare.h"
#include "colo_hist.h"
#include "colo_log.h"
#include "colo_stats.h"
#include "notify.h"
#include "opts.h"

/* Frames moved per rx_burst, ring dequeue and tx_burst. */
#define COLO_BURST 32

/* Exit code for a bad option or value (docs/usage.md, "Exit status"). */
#define COLO_EXIT_USAGE 2

/* Most compare shards (--compare-lcores) and RX queues per VM port. */
#define COLO_MAX_SHARDS 8
#define COLO_MAX_RXQ 8

struct colo_app;
struct colo_link_auth;

/**
 * One RX lcore's part of the VM ports: RX queue @c queue of the primary and
 * of the secondary port (dp/rx.c). Set by the main lcore before launch.
 */
struct colo_rxq {
	struct colo_app *app;
	unsigned int lcore;
	uint16_t queue;
	bool ingress;		 /**< also polls the outbound port (ingress mirror) */
	uint64_t first_rx_tsc;	 /**< its RX lcore (relaxed); 0 until a frame arrives */
	uint64_t last_input_tsc; /**< its RX lcore (relaxed) */
} __rte_cache_aligned;

/** TX frames taken from the release ring but not yet accepted by the outbound port. */
struct colo_tx {
	struct rte_mbuf *pkts[COLO_BURST];
	uint16_t start; /**< first frame still to send */
	uint16_t nb;	/**< frames still to send, from start */
};

/**
 * One compare shard (dp/shard.c): the connections whose symmetric key hash
 * selects it, with their compare context, its rings and its outbound TX
 * queue. Its compare lcore alone touches ctx, tx and the consumer side of
 * the rings; the release ring's only producer is ctx (colo_ctx_release_burst()
 * for bypass and failover, colo_compare_burst() for compared frames).
 */
struct colo_shard {
	struct colo_app *app;
	struct colo_ctx *ctx;			   /**< compare lcore only */
	struct rte_ring *rx_ring[COLO_MAX_RXQ][2]; /**< [RX queue][side]: SP/SC, RX -> compare */
	struct rte_ring *out_ring;		   /**< released primaries: ctx -> TX, SP/SC */
	struct colo_tx tx;			   /**< compare lcore only */
	uint64_t next_scan_tsc;			   /**< compare lcore only */
	uint64_t flush_seen; /**< compare lcore (release): colo_app.flush_gen last applied */
	unsigned int lcore;
	uint16_t id;		   /**< index in colo_app.shard[]; its outbound TX queue */
	uint64_t last_release_tsc; /**< compare lcore (relaxed) */
	uint32_t tx_pending;	   /**< compare lcore (relaxed): tx.nb */
	struct colo_bypass *bypass; /**< rules: control threads replace (ctl/bypass.c), this lcore reads */
	const struct colo_bypass_set *bypass_set; /**< compare lcore only: this loop's, or NULL */
	bool failed_over;			  /**< compare lcore only: flushed for the failover */
	uint32_t snap_posted;	/**< telemetry thread (release): newest snapshot request */
	uint32_t snap_answered; /**< compare lcore (release): last request answered */
} __rte_cache_aligned;

/** Where the current checkpoint request stands; the lead lcore only (shard 0's). */
struct colo_ckpt_state {
	bool sent;	    /**< DO_CHECKPOINT sent for the outstanding request */
	uint64_t sent_peer; /**< notify "connects" count when it was sent */
};

struct colo_secondary; /* secondary/secondary.c */
struct colo_bypass_ctl; /* ctl/bypass.c */
struct colo_snapshot;	/* obs/snapshot.c */
struct colo_capture;	/* obs/divergence.c */

/**
 * The application: one instance, main.c's. Written by the main lcore
 * during init and teardown; after launch each field says who writes it.
 */
struct colo_app {
	struct colo_opts opts; /**< read-only after init */
	uint16_t port[COLO_ROLE_MAX];
	struct rte_mempool *pool;	/**< RX mbufs with COLO_PKT_PRIV_SIZE metadata */
	struct rte_mempool *clone_pool; /**< indirect mbufs of the ingress mirror */
	struct colo_notify *notify;	/**< the channel's own atomics (notify.h) */
	/** RX lcores, one per RX queue of the VM ports; rxq[0] runs the ingress mirror. */
	struct colo_rxq rxq[COLO_MAX_RXQ];
	unsigned int nb_rxq;
	/** Compare shards, one per compare lcore (--compare-lcores). */
	struct colo_shard shard[COLO_MAX_SHARDS];
	unsigned int nb_shards;
	bool rtc;		     /**< run to completion: lcore i has rxq[i] and shard[i] */
	struct colo_ckpt_state ckpt; /**< lead lcore only */
	uint64_t flush_gen;	     /**< lead lcore (release): flushes ordered; every shard applies */
	uint32_t rx_running;	     /**< RX lcores (atomic sub): those not stopped yet */
	uint64_t start_tsc;
	bool stop_rx;		   /**< main lcore (release): RX lcores stop */
	bool stop_compare;	   /**< main lcore (release): compare lcores drain and finish */
	uint32_t link_pending;	   /**< link-event threads (atomic or): bit per port slot */
	uint32_t tel_readers;	   /**< telemetry threads (atomic): callbacks in progress */
	bool tel_closed; /**< main lcore: ctx and rings are going away (obs_enter() says no) */
	bool failover_req;	/**< control threads (release): failover asked for */
	bool failed_over;	/**< lead lcore (release), once; never cleared */
	uint64_t failover_tsc;	/**< lead lcore (relaxed), with failed_over */
	struct colo_secondary *secondary; /**< secondary role's lcore; NULL in the primary role */
	struct colo_link_auth *link;	  /**< main lcore at start (dp/link.c), read-only after */
	struct colo_log_limit link_client_log;	/**< the lcore that filters client frames */
	struct colo_log_limit link_refused_log; /**< the secondary role's lcore */
	struct colo_bypass_ctl *bypass;	  /**< control threads, under its lock; primary role */
	struct colo_snapshot *snapshot;	  /**< telemetry threads, under its lock */
	struct colo_capture *capture;	  /**< main lcore; shards post to its ring */
	/** Counters, one writer each: lcores by lcore id; the last slot for control threads. */
	struct colo_stats stats[RTE_MAX_LCORE + 1];
	/** Hold-time histograms, by lcore id; each written by the lcore that transmits. */
	struct colo_hist hist[RTE_MAX_LCORE];
};

/** Slot of colo_app.stats for control threads (link events); updated with atomic adds. */
#define COLO_STATS_CTRL RTE_MAX_LCORE

static inline uint64_t
colo_load_u64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void
colo_store_u64(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static inline bool
colo_load_flag(const bool *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void
colo_store_flag(bool *p, bool v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/** Count a telemetry command that changes state and was refused (docs/security.md). */
static inline void
colo_tel_refused(struct colo_app *app)
{
	__atomic_fetch_add(&app->stats[COLO_STATS_CTRL].ctr[COLO_TELEMETRY_REFUSED], 1,
			__ATOMIC_RELAXED);
}

/** Whether the failover is done; any thread. */
static inline bool
colo_failover_active(const struct colo_app *app)
{
	return __atomic_load_n(&app->failed_over, __ATOMIC_ACQUIRE);
}

/** Whether this host can fail over: the secondary role needs the port towards the clients. */
static inline bool
colo_failover_possible(const struct colo_app *app)
{
	return app->opts.role == COLO_HOST_PRIMARY ||
	       rte_eth_dev_is_valid_port(app->port[COLO_ROLE_OUTBOUND]);
}

/**
 * Work the compare lcore does for the observability plane between two
 * compare steps (obs/snapshot.c): answer the snapshot request posted in
 * sh->snap_posted, a bounded part per call.
 */
void colo_snapshot_serve(struct colo_shard *sh);

#endif /* COLO_APP_H */
