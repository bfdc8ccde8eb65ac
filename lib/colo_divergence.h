/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Divergence reports: when an engine finds the two sides different, a
 * callback registered on the compare context sees the primary/secondary
 * pair, the first differing byte in each frame and, with a history, the
 * connection's earlier frames. colo-explain prints it; colo-proxy's
 * divergence capture copies it out. Deciding that the sides differ stays
 * in the engines.
 */
#ifndef COLO_DIVERGENCE_H
#define COLO_DIVERGENCE_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "colo_pkt.h"

struct colo_ctx;
struct colo_verdict;
struct colo_history;

/** Most earlier frames one report carries, both sides together. */
#define COLO_DIVERGENCE_MAX_CONTEXT 32

/** One mismatch: what differs, where, and in which frames. */
struct colo_divergence {
	uint64_t ckpt_id;	    /**< request this mismatch issued or was coalesced into */
	uint64_t tsc;		    /**< when it was found */
	const struct colo_key *key; /**< the connection */
	uint8_t reason;		    /**< enum colo_ckpt_reason (a mismatch_* reason) */
	uint32_t tcp_seq;	    /**< TCP: sequence number of the first differing byte */
	/** The compared frames, indexed by enum colo_side. Both stay queued
	 *  until the checkpoint flush, but are only safe to read during the
	 *  callback: copy what you keep. */
	const struct rte_mbuf *pkt[2];
	/** First differing byte in each frame. The secondary's is the same
	 *  sequence number (TCP) or the same place in the same header; it may
	 *  equal the frame length when one frame is shorter. */
	int32_t offset[2];
	/** Earlier frames of the connection, oldest arrival first, each side's
	 *  in its colo_pkt_meta: frames the history still holds, then frames
	 *  queued ahead of the pair. Empty without colo_divergence_history().
	 *  Valid during the callback only, like @c pkt. */
	const struct rte_mbuf *context[COLO_DIVERGENCE_MAX_CONTEXT];
	unsigned int nb_context;
};

/**
 * Called on the compare lcore, once per connection and checkpoint epoch: the
 * first mismatch only, not the re-triggers of later packets while the
 * connection waits for its checkpoint. Must not block; it delays the compare.
 */
typedef void (*colo_divergence_cb_t)(const struct colo_divergence *d, void *arg);

/** The callback as the compare context keeps it; written by colo_divergence_register(). */
struct colo_divergence_hook {
	colo_divergence_cb_t cb; /**< NULL: no reports, and no cost beyond one test */
	void *arg;
	struct colo_history *history; /**< NULL: no context, and no cost beyond one test */
};

/**
 * Register @p cb (NULL to remove it) on @p ctx. Owning compare lcore only,
 * or before the context is used.
 *
 * @return 0, or -EINVAL if @p ctx is NULL.
 */
int colo_divergence_register(struct colo_ctx *ctx, colo_divergence_cb_t cb, void *arg);

/**
 * Keep a reference (rte_mbuf_refcnt_update) to each of the last
 * @p nb_history frames that @p ctx releases or discards, so that a report
 * can carry up to @p nb_context earlier frames of its connection per side.
 * The history pins up to @p nb_history mbufs of the pool: size the pool for
 * them. A reference is not a queued frame: the counters do not see it, and
 * each frame is still freed once by each holder. The outbound PMD must not
 * use RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE. Owning compare lcore only, or before
 * the context is used; colo_ctx_free() drops the references.
 *
 * @param nb_history frames kept, rounded up to a power of two; 0 removes
 *   the history.
 * @return 0; -EINVAL if @p ctx is NULL or @p nb_context is 0 or above
 *   COLO_DIVERGENCE_MAX_CONTEXT / 2; -ENOMEM.
 */
int colo_divergence_history(struct colo_ctx *ctx, unsigned int nb_history, unsigned int nb_context);

/**
 * Describe frame @p side of @p d in one line, for a capture comment:
 * "mismatch_tcp tcp 10.0.0.1:80 > 10.0.0.2:40000 checkpoint 3 primary
 * offset 204 tcp_seq 1000751" (tcp_seq for TCP only).
 *
 * @return the length snprintf() reports, or -EINVAL.
 */
int colo_divergence_format(
		const struct colo_divergence *d, enum colo_side side, char *buf, size_t len);

/**
 * libcolo internal, called by the compare dispatcher just before it turns
 * mismatch @p v of connection @p idx into a checkpoint trigger.
 */
void colo_divergence_report(
		struct colo_ctx *ctx, uint32_t idx, const struct colo_verdict *v, uint64_t now_tsc);

/** libcolo internal: frame @p m leaves @p ctx (released or discarded); keep a reference. */
void colo_divergence_remember(struct colo_history *h, struct rte_mbuf *m);

/** libcolo internal, from colo_ctx_free(): drop the history and its references. */
void colo_divergence_history_free(struct colo_ctx *ctx);

#endif /* COLO_DIVERGENCE_H */
