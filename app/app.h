/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * State shared by the files of colo-proxy: options, ports, rings, lcore
 * roles and the values the lcores publish for the main lcore and the
 * telemetry thread. For app/ files only; libcolo never includes it.
 */
#ifndef COLO_APP_H
#define COLO_APP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "colo_bypass.h"
#include "colo_compare.h"
#include "colo_params.h"
#include "colo_rewriter.h"
#include "colo_stats.h"
#include "notify.h"

/* Frames moved per rx_burst, ring dequeue and tx_burst. */
#define COLO_BURST 32

/* Exit code for a bad option or value (issue 3). */
#define COLO_EXIT_USAGE 2

/** Role of a port; the index into colo_app.port[]. */
enum colo_role {
	COLO_ROLE_PRIMARY = 0,
	COLO_ROLE_SECONDARY = 1,
	COLO_ROLE_OUTBOUND = 2,
	COLO_ROLE_MAX,
};

/**
 * What this host's proxy does (--role). The port slots keep their indices:
 * in the secondary role COLO_ROLE_PRIMARY is the SVM's port (--svm) and
 * COLO_ROLE_SECONDARY the link (--link), as the primary's --secondary is.
 */
enum colo_host_role {
	COLO_HOST_PRIMARY = 0,	 /**< compare and release (the default) */
	COLO_HOST_SECONDARY = 1, /**< map the SVM's TCP sequence numbers (role_secondary.c) */
};

/** What to do with a checkpoint request while no notify peer is connected. */
enum colo_no_peer_policy {
	COLO_NO_PEER_FLUSH = 0, /**< monitor mode: flush at once, traffic keeps flowing */
	COLO_NO_PEER_HOLD = 1,	/**< keep the queues until a peer answers */
};

/** Every option; config.c fills it from defaults, then the INI file, then the CLI. */
struct colo_opts {
	char port[COLO_ROLE_MAX][RTE_ETH_NAME_MAX_LEN]; /**< port id or device name */
	bool ingress_mirror;
	struct colo_params params;
	char notify[PATH_MAX];	       /**< "unix:PATH" to listen on, or "" */
	char notify_connect[PATH_MAX]; /**< "unix:PATH" or "tcp:HOST:PORT", or "" */
	uint32_t no_peer_policy;       /**< enum colo_no_peer_policy */
	uint32_t exit_on_idle_ms;      /**< 0: never */
	char stats_json[PATH_MAX];     /**< "" for none */
	uint32_t nb_mbufs;
	uint32_t ring_size;	    /**< slots of each RX -> compare ring */
	uint32_t compare_lcores;    /**< compare shards (shard.c) */
	uint32_t role;		    /**< enum colo_host_role */
	char svm[RTE_ETH_NAME_MAX_LEN];	 /**< secondary role: the SVM's port */
	char link[RTE_ETH_NAME_MAX_LEN]; /**< secondary role: the link to the primary host */
	bool link_syn_mirror;	    /**< primary role: PVM SYN copies over the link (link.c) */
	char bypass[4096];	    /**< bypass rule list (bypass.c), "" for none */
	uint32_t rewrite_hold_ms;   /**< secondary role: longest hold of an unmapped SVM frame */
	uint32_t rewrite_idle_timeout_ms; /**< secondary role: idle rewriter entries go after */
	char divergence_pcap[PATH_MAX];	   /**< divergence capture file (divergence.c), "" for none */
	uint32_t divergence_max_bytes;	   /**< cap on its size */
	uint32_t divergence_context;	   /**< earlier frames per side with each pair */
	uint32_t divergence_snaplen;	   /**< bytes kept of each frame */
	char config_file[PATH_MAX]; /**< --config, for /colo/config */
};

/** Kind of value a configuration key holds. */
enum colo_key_type {
	COLO_KEY_U32,
	COLO_KEY_BOOL,
	COLO_KEY_STR,
	COLO_KEY_POLICY,
	COLO_KEY_ROLE,
};

/** One configuration key: the single table behind the CLI, the INI file, --help and telemetry. */
struct colo_config_key {
	const char *section; /**< INI section */
	const char *name;    /**< INI key; the CLI option is --name with '_' as '-' */
	enum colo_key_type type;
	size_t off;	    /**< offset of the value in struct colo_opts */
	size_t size;	    /**< COLO_KEY_STR: buffer size */
	uint32_t min, max;  /**< COLO_KEY_U32: accepted range */
	const char *arg;    /**< placeholder in --help ("MS", "N", "PORT") */
	const char *defval; /**< default as text, applied through the same parser */
	const char *help;
};

extern const struct colo_config_key colo_config_keys[];
extern const unsigned int colo_config_nb_keys;

/** TX frames taken from the release ring but not yet accepted by the outbound port. */
struct colo_tx {
	struct rte_mbuf *pkts[COLO_BURST];
	uint16_t start; /**< first frame still to send */
	uint16_t nb;	/**< frames still to send, from start */
};

/** Where the current checkpoint request stands; the lcore of shard 0 only. */
struct colo_ckpt_state {
	bool sent;		/**< DO_CHECKPOINT sent for the outstanding request */
	uint64_t sent_peer;	/**< notify "connects" count when it was sent */
};

/* Most compare shards (--compare-lcores) and RX queues per VM port. */
#define COLO_MAX_SHARDS 8
#define COLO_MAX_RXQ 8

struct colo_app;

/**
 * One RX lcore's part of the VM ports: RX queue @c queue of the primary and
 * of the secondary port (shard.c). Set by the main lcore before launch; the
 * published fields are written by the RX lcore alone.
 */
struct colo_rxq {
	struct colo_app *app;
	unsigned int lcore;
	uint16_t queue;
	bool ingress;		 /**< also polls the outbound port (ingress mirror) */
	uint64_t first_rx_tsc;	 /**< published; 0 until a frame arrives */
	uint64_t last_input_tsc; /**< published */
} __rte_cache_aligned;

/**
 * One compare shard (shard.c): the connections whose symmetric key hash
 * selects it, with their compare context, its rings and its outbound TX
 * queue. Only the shard's compare lcore touches ctx, tx and the consumer
 * side of the rings; the published fields are read by everyone.
 */
struct colo_shard {
	struct colo_app *app;
	struct colo_ctx *ctx;
	struct rte_ring *rx_ring[COLO_MAX_RXQ][2]; /**< [RX queue][side]: SP/SC, RX -> compare */
	struct rte_ring *out_ring;		   /**< released primaries: ctx -> TX */
	struct colo_tx tx;			   /**< compare lcore only */
	uint64_t next_scan_tsc;			   /**< compare lcore only */
	uint64_t flush_seen;	   /**< published: colo_app.flush_gen last applied */
	unsigned int lcore;
	uint16_t id;		   /**< index in colo_app.shard[]; its outbound TX queue */
	uint64_t last_release_tsc; /**< published */
	uint32_t tx_pending;	   /**< published: tx.nb */
	struct colo_bypass *bypass; /**< rules (bypass.c): control threads replace, this lcore reads */
	const struct colo_bypass_set *bypass_set; /**< compare lcore only: this loop's, or NULL */
	bool failed_over;			  /**< compare lcore only: flushed for the failover */
} __rte_cache_aligned;

/**
 * The application. Written by the main lcore during init and teardown; the
 * fields marked "published" are written by one lcore with relaxed atomics
 * and read by the main lcore and the telemetry thread.
 */
struct colo_app {
	struct colo_opts opts;
	uint16_t port[COLO_ROLE_MAX];
	struct rte_mempool *pool;	/**< RX mbufs with COLO_PKT_PRIV_SIZE metadata */
	struct rte_mempool *clone_pool; /**< indirect mbufs of the ingress mirror */
	struct colo_notify *notify;
	/** RX lcores, one per RX queue of the VM ports; rxq[0] runs the ingress mirror. */
	struct colo_rxq rxq[COLO_MAX_RXQ];
	unsigned int nb_rxq;
	/** Compare shards, one per compare lcore (--compare-lcores). */
	struct colo_shard shard[COLO_MAX_SHARDS];
	unsigned int nb_shards;
	bool rtc;		     /**< run to completion: lcore i has rxq[i] and shard[i] */
	struct colo_ckpt_state ckpt; /**< the lcore of shard 0 only */
	/** Flushes ordered so far; written by the lcore of shard 0, applied by every shard. */
	uint64_t flush_gen;
	uint32_t rx_running; /**< RX lcores that have not stopped yet */
	uint64_t start_tsc;
	bool stop_rx;		   /**< main lcore asks the RX lcores to stop */
	bool stop_compare;	   /**< main lcore asks the compare lcores to finish */
	uint32_t link_pending;	   /**< bit per role, set by the link-event callback */
	uint32_t tel_readers;	   /**< telemetry callbacks in progress */
	bool tel_closed; /**< ctx and rings are going away: telemetry stops reading them */
	struct colo_secondary *secondary; /**< secondary role (role_secondary.c); NULL otherwise */
	bool failover_req;		  /**< a control thread asks for the failover (failover.c) */
	bool failed_over;		  /**< published once by the lead lcore; never cleared */
	uint64_t failover_tsc;		  /**< published with failed_over */
	/** Counters, one writer each: lcores by lcore id; the last slot for control threads. */
	struct colo_stats stats[RTE_MAX_LCORE + 1];
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

/** Whether the failover is done (failover.c); any thread. */
static inline bool
colo_failover_active(const struct colo_app *app)
{
	return __atomic_load_n(&app->failed_over, __ATOMIC_ACQUIRE);
}

/**
 * A telemetry callback may use what shutdown frees (contexts, rings, rule
 * holders, the rewriter) between a true colo_tel_enter() and
 * colo_tel_leave(); colo_telemetry_close() waits for it.
 */
static inline bool
colo_tel_enter(struct colo_app *app)
{
	__atomic_fetch_add(&app->tel_readers, 1, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&app->tel_closed, __ATOMIC_SEQ_CST))
		return true;
	__atomic_fetch_sub(&app->tel_readers, 1, __ATOMIC_SEQ_CST);
	return false;
}

static inline void
colo_tel_leave(struct colo_app *app)
{
	__atomic_fetch_sub(&app->tel_readers, 1, __ATOMIC_SEQ_CST);
}

/* config.c */
void colo_config_defaults(struct colo_opts *o);
int colo_config_set(struct colo_opts *o, const struct colo_config_key *k, const char *value,
		char *err, size_t err_len);
int colo_config_load(struct colo_opts *o, const char *path, char *err, size_t err_len);
int colo_config_check(const struct colo_opts *o, char *err, size_t err_len);
void colo_config_format(
		const struct colo_opts *o, const struct colo_config_key *k, char *buf, size_t len);

/* args.c */
int colo_args_parse(int argc, char **argv, struct colo_opts *o);
bool colo_args_want_help(int argc, char **argv);
bool colo_args_want_version(int argc, char **argv);
void colo_args_usage(FILE *f, const char *prog);

/* ports.c */
int colo_ports_init(struct colo_app *app);
void colo_ports_log_links(struct colo_app *app);
void colo_ports_fini(struct colo_app *app);
const char *colo_ports_role_name(enum colo_role r);

/* lcore_rx.c */
unsigned int colo_lcore_rx_poll(struct colo_rxq *rxq, struct colo_stats *st);
int colo_lcore_rx_run(void *arg);

/* ingress.c */
unsigned int colo_ingress_poll(struct colo_rxq *rxq, struct colo_stats *st);

/* lcore_compare.c */
unsigned int colo_lcore_compare_poll(struct colo_shard *sh, struct colo_stats *st,
		uint64_t now_tsc);
void colo_lcore_compare_finish(struct colo_shard *sh, struct colo_stats *st);
int colo_lcore_compare_run(void *arg);

/* checkpoint.c */
void colo_checkpoint_poll(struct colo_shard *sh, uint64_t now_tsc);

/* tx.c */
void colo_tx_poll(struct colo_shard *sh, struct colo_stats *st, uint64_t now_tsc);
void colo_tx_finish(struct colo_shard *sh, struct colo_stats *st);

/* shard.c */
int colo_shards_create(struct colo_app *app);
void colo_shards_free(struct colo_app *app);
void colo_shard_dispatch(struct colo_rxq *rxq, enum colo_side side, struct rte_mbuf **pkts,
		unsigned int nb, uint64_t now_tsc, struct colo_stats *st);
uint64_t colo_app_first_rx_tsc(struct colo_app *app);
uint64_t colo_app_last_input_tsc(struct colo_app *app);
uint64_t colo_app_last_release_tsc(struct colo_app *app);

/* lcores.c */
int colo_lcores_plan(struct colo_app *app);
void colo_lcores_launch(struct colo_app *app);
void colo_lcores_stop(struct colo_app *app);

/* housekeeping.c */
void colo_housekeeping_signals(void);
void colo_housekeeping_run(struct colo_app *app);

/* report.c */
/** A snapshot of every counter plus the conservation check. */
struct colo_report {
	struct colo_stats sum;
	struct colo_notify_stats notify;
	uint64_t primary_queued;      /**< RX ring + connections + release ring + TX pending */
	uint64_t secondary_queued;    /**< RX ring + connections */
	uint64_t primary_dropped;     /**< sum of drop reasons */
	uint64_t secondary_discarded; /**< sum of discard reasons */
	bool conservation_ok;
	double active_seconds;
	uint64_t uptime_ms;
	uint32_t conns;
	uint64_t mbufs_in_use; /**< packet + clone pools: back to 0 after a drain (issue 6) */
	uint64_t rewriter[COLO_RW_CTR_MAX]; /**< secondary role; zeros in the primary role */
};

/** How one report entry is rendered (telemetry dict or JSON object). */
struct colo_report_out {
	void (*u64)(const char *name, uint64_t v, void *arg);
	void (*flag)(const char *name, bool v, void *arg);
	void (*real)(const char *name, double v, void *arg);
	/** A nested object of @p nb named u64 values. */
	void (*group)(const char *name, const char *const *names, const uint64_t *v,
			unsigned int nb, void *arg);
};

void colo_report_queued(struct colo_app *app, uint64_t *primary, uint64_t *secondary);
void colo_report_take(struct colo_app *app, struct colo_report *r);
void colo_report_emit(const struct colo_report *r, const struct colo_report_out *out, void *arg);
int colo_report_write_json(const struct colo_report *r, const char *path);
void colo_report_print(const struct colo_report *r, FILE *f);

/* telemetry.c */
int colo_telemetry_init(struct colo_app *app);
void colo_telemetry_close(struct colo_app *app);
bool colo_telemetry_enter(void);
void colo_telemetry_leave(void);

/* telemetry_conns.c, telemetry_ports.c: registered by colo_telemetry_init() */
int colo_telemetry_conns_init(struct colo_app *app);
int colo_telemetry_ports_init(struct colo_app *app);

/* link.c */
/** What a frame received on the link is (secondary role). */
enum colo_link_kind {
	COLO_LINK_CLIENT = 0, /**< a mirrored client frame, as it was */
	COLO_LINK_PVM = 1,    /**< a copy of a PVM frame, encapsulation stripped */
	COLO_LINK_BAD = 2,    /**< our ethertype, but not a header we know */
};
void colo_link_syn_mirror(struct colo_rxq *rxq, struct rte_mbuf *const *pkts, unsigned int nb,
		struct colo_stats *st);
enum colo_link_kind colo_link_decap(struct rte_mbuf *m);

/* bypass.c */
int colo_bypass_check(const char *text, char *err, size_t err_len);
int colo_bypass_init(struct colo_app *app);
void colo_bypass_fini(struct colo_app *app);
void colo_bypass_poll(struct colo_shard *sh);
unsigned int colo_bypass_filter(struct colo_shard *sh, struct rte_mbuf **pkts, unsigned int n,
		struct colo_stats *st);

/* failover.c */
int colo_failover_request(struct colo_app *app);
bool colo_failover_due(struct colo_app *app);
void colo_failover_done(struct colo_app *app, struct colo_stats *st);
int colo_failover_primary_poll(struct colo_shard *sh, struct colo_stats *st, uint64_t now_tsc);
int colo_failover_telemetry_init(struct colo_app *app);

/* role_secondary.c */
int colo_secondary_init(struct colo_app *app);
void colo_secondary_launch(struct colo_app *app);
void colo_secondary_fini(struct colo_app *app);
void colo_secondary_rewriter_ctrs(const struct colo_app *app, uint64_t ctr[COLO_RW_CTR_MAX]);

#endif /* COLO_APP_H */
