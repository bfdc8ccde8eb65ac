/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internals shared by the compare dispatcher (colo_compare.c) and the
 * per-protocol engines (colo_compare_tcp.c, colo_compare_fifo.c). Not part of
 * libcolo's public API.
 */
#ifndef COLO_COMPARE_PRIV_H
#define COLO_COMPARE_PRIV_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "colo_compare.h"
#include "colo_divergence.h"

/** Packets collected before one enqueue to the out ring. */
#define COLO_OUT_BATCH 64

/** How one comparison ended (issue 2: exactly one of these). */
enum colo_verdict_kind {
	COLO_VERDICT_RELEASE = 0, /**< everything comparable matched; nothing waits */
	COLO_VERDICT_HOLD,	  /**< something waits for the other side or an ACK */
	COLO_VERDICT_MISMATCH,	  /**< the sides differ; a checkpoint is needed */
};

/** Outcome of one comparison. */
struct colo_verdict {
	uint8_t kind;		/**< enum colo_verdict_kind */
	uint8_t reason;		/**< enum colo_ckpt_reason, for MISMATCH */
	int32_t offset;		/**< first differing byte in the primary frame, or -1 */
	uint32_t tcp_seq;	/**< TCP: sequence number of that byte */
};

struct colo_ctx {
	struct colo_params p;
	struct colo_conn_table *conns;
	struct rte_ring *out;
	struct colo_stats *st;
	uint64_t timeout_tsc;		/**< compare_timeout in TSC ticks */
	uint64_t idle_tsc;
	uint64_t closing_tsc;
	uint64_t queued[2];		/**< gauge per side; compare lcore writes, all read */
	uint16_t nb_out;
	struct rte_mbuf *out_buf[COLO_OUT_BATCH];
	struct colo_ckpt ckpt;
	struct colo_divergence_hook divergence; /**< colo_divergence_register() */
};

/**
 * Per-protocol compare engine (testpmd's fwd_engine shape). Chosen once per
 * connection by colo_compare_ops_find().
 */
struct colo_compare_ops {
	const char *name;		/**< "tcp", "udp", ...: for logs and telemetry */
	uint8_t mismatch_reason;	/**< enum colo_ckpt_reason of a difference */
	/** Queue @p m on its side of @p conn. Return 0, or -ENOBUFS at max_queue. Mandatory. */
	int (*enqueue)(struct colo_ctx *ctx, struct colo_conn *conn, struct rte_mbuf *m);
	/** Compare what can be compared, release what may go. Mandatory. */
	struct colo_verdict (*compare)(struct colo_ctx *ctx, struct colo_conn *conn);
	/** FIFO engines: -1 when @p p and @p s are equal, else the first differing
	 *  offset in @p p. NULL for engines with their own compare. */
	int32_t (*diff)(const struct rte_mbuf *p, const struct rte_mbuf *s);
	/** A primary is released without comparison (flush, stale epoch, eviction):
	 *  update the stream state so that the next packets line up. May be NULL. */
	void (*accept)(struct colo_conn *conn, const struct rte_mbuf *m);
	/** Reason to report when primary @p m waited too long. May be NULL
	 *  (COLO_CKPT_TIMEOUT_PRIMARY). */
	uint8_t (*timeout_reason)(const struct colo_conn *conn, const struct rte_mbuf *m);
};

extern const struct colo_compare_ops colo_compare_tcp_ops;
extern const struct colo_compare_ops colo_compare_udp_ops;
extern const struct colo_compare_ops colo_compare_icmp_ops;
extern const struct colo_compare_ops colo_compare_other_ops;
extern const struct colo_compare_ops colo_compare_nonip_ops;

/** Hand primary @p m to the out ring (batched), counting @p why. */
void colo_release(struct colo_ctx *ctx, struct rte_mbuf *m, enum colo_release_reason why);

/** Free secondary @p m, counting @p why. */
void colo_discard(struct colo_ctx *ctx, struct rte_mbuf *m, enum colo_discard_reason why);

/**
 * First index i < @p len at which byte @p aoff + i of @p a differs from byte
 * @p boff + i of @p b, or -1. Walks segments; copies nothing. Both ranges must
 * lie within their packets.
 */
int32_t colo_mbuf_diff(const struct rte_mbuf *a, uint32_t aoff, const struct rte_mbuf *b,
		uint32_t boff, uint32_t len);

/** Verdict helpers. */
static inline struct colo_verdict
colo_verdict_of(enum colo_verdict_kind kind)
{
	return (struct colo_verdict){ .kind = kind, .offset = -1 };
}

static inline struct colo_verdict
colo_verdict_mismatch(uint8_t reason, int32_t offset, uint32_t tcp_seq)
{
	return (struct colo_verdict){
		.kind = COLO_VERDICT_MISMATCH,
		.reason = reason,
		.offset = offset,
		.tcp_seq = tcp_seq,
	};
}

#endif /* COLO_COMPARE_PRIV_H */
