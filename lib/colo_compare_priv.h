/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internals shared by the compare dispatcher (colo_compare.c) and the
 * per-protocol engines (colo_compare_tcp.c, colo_compare_fifo.c). Not part of
 * libcolo's public API.
 */
#ifndef COLO_COMPARE_PRIV_H
#define COLO_COMPARE_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_mbuf.h>

#include "colo_compare.h"
#include "colo_divergence.h"

/** Packets collected before one enqueue to the out ring. */
#define COLO_OUT_BATCH 64

/** How one comparison ended: exactly one of these. */
enum colo_verdict_kind {
	COLO_VERDICT_RELEASE = 0, /**< everything comparable matched; nothing waits */
	COLO_VERDICT_HOLD,	  /**< something waits for the other side or an ACK */
	COLO_VERDICT_MISMATCH,	  /**< the sides differ; a checkpoint is needed */
};

/**
 * Outcome of one comparison. Returned by value in two registers: with 8-bit
 * fields GCC assembled it on the stack with byte stores and read it back in
 * 8-byte loads, a store-forwarding stall that was half of tcp_compare's time
 * (perf annotate, colo-bench 64 B TCP, AMD EPYC 2 vCPU KVM, 2026-11-26).
 */
struct colo_verdict {
	uint32_t kind;	  /**< enum colo_verdict_kind */
	uint32_t reason;  /**< enum colo_ckpt_reason, for MISMATCH */
	int32_t offset;	  /**< first differing byte in the primary frame, or -1 */
	uint32_t tcp_seq; /**< TCP: sequence number of that byte */
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
	uint16_t nb_free;
	struct rte_mbuf *out_buf[COLO_OUT_BATCH];
	struct rte_mbuf *free_buf[COLO_OUT_BATCH]; /**< discarded secondaries, freed in bulk */
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
	/** Divergence report (colo_divergence.c): the frames a MISMATCH verdict @p v
	 *  compared, in @p pkt, and the first differing byte in each, in @p offset
	 *  (both indexed by enum colo_side). Return 0, or -ENOENT when they are no
	 *  longer queued. May be NULL: the queue heads, compared from the frame
	 *  start (the same offset in both). */
	int (*locate)(const struct colo_conn *conn, const struct colo_verdict *v,
			const struct rte_mbuf *pkt[2], int32_t offset[2]);
};

extern const struct colo_compare_ops colo_compare_tcp_ops;
extern const struct colo_compare_ops colo_compare_udp_ops;
extern const struct colo_compare_ops colo_compare_icmp_ops;
extern const struct colo_compare_ops colo_compare_other_ops;
extern const struct colo_compare_ops colo_compare_nonip_ops;

/** Hand primary @p m to the out ring (batched), counting @p why. */
void colo_release(struct colo_ctx *ctx, struct rte_mbuf *m, enum colo_release_reason why);

/** Free secondary @p m (batched, like colo_release()), counting @p why. */
void colo_discard(struct colo_ctx *ctx, struct rte_mbuf *m, enum colo_discard_reason why);

/** colo_mbuf_diff() for ranges that may span segments: walks them. */
int32_t colo_mbuf_diff_walk(const struct rte_mbuf *a, uint32_t aoff, const struct rte_mbuf *b,
		uint32_t boff, uint32_t len);

/*
 * Whether @p len bytes at @p a and @p b differ. Runs of 8 to 16 bytes (the
 * payload of a 64 B TCP frame is 10) take two overlapping 8-byte loads per
 * side and no branch on the data: the libc memcmp() call cost more than
 * the comparison (perf cpu-clock, colo-bench 64 B TCP, AMD EPYC 2 vCPU KVM,
 * 2026-11-26).
 */
static inline bool
colo_bytes_differ(const uint8_t *a, const uint8_t *b, uint32_t len)
{
	uint64_t a0, b0, a1, b1;

	if (len < 8 || len > 16)
		return memcmp(a, b, len) != 0;
	memcpy(&a0, a, 8);
	memcpy(&b0, b, 8);
	memcpy(&a1, a + len - 8, 8);
	memcpy(&b1, b + len - 8, 8);
	return ((a0 ^ b0) | (a1 ^ b1)) != 0;
}

/**
 * First index i < @p len at which byte @p aoff + i of @p a differs from byte
 * @p boff + i of @p b, or -1. Walks segments; copies nothing. Both ranges must
 * lie within their packets. Inline for the usual case, both ranges in the
 * first segment: with memcmp() it was 6 % of the compare lcore for the
 * 10-byte payloads of 64 B TCP frames (perf, as above).
 */
static inline int32_t
colo_mbuf_diff(const struct rte_mbuf *a, uint32_t aoff, const struct rte_mbuf *b, uint32_t boff,
		uint32_t len)
{
	const uint8_t *pa, *pb;
	uint32_t i = 0;

	if (unlikely(aoff + len > a->data_len || boff + len > b->data_len))
		return colo_mbuf_diff_walk(a, aoff, b, boff, len);
	pa = rte_pktmbuf_mtod_offset(a, const uint8_t *, aoff);
	pb = rte_pktmbuf_mtod_offset(b, const uint8_t *, boff);
	if (likely(!colo_bytes_differ(pa, pb, len)))
		return -1;
	while (pa[i] == pb[i])
		i++;
	return (int32_t)i;
}

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
