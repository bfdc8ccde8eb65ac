/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checkpoint requests: coalescing, the epoch, and a history of the last
 * requests with their reason, connection and first differing byte. The
 * compare lcore is the only writer; the telemetry thread reads the history
 * through a per-record sequence counter, and RX lcores read the epoch.
 * Sending the request (notify socket) and the flush are done elsewhere.
 */
#ifndef COLO_CKPT_H
#define COLO_CKPT_H

#include <stdbool.h>
#include <stdint.h>

#include "colo_log.h"
#include "colo_pkt.h"
#include "colo_stats.h"

/** Number of requests kept for /colo/checkpoints. */
#define COLO_CKPT_HISTORY 64

/** What caused one checkpoint request. */
struct colo_ckpt_record {
	uint64_t id;		/**< 1 for the first request of the process */
	uint64_t tsc;		/**< when it was issued */
	struct colo_key key;	/**< the connection */
	int32_t offset;		/**< first differing byte in the primary frame, -1 if none */
	uint32_t tcp_seq;	/**< TCP: sequence number of that byte */
	uint32_t epoch;		/**< epoch it was issued in */
	uint8_t reason;		/**< enum colo_ckpt_reason */
};

/** Request log lines allowed per second; the rest are counted and summarised. */
#define COLO_CKPT_LOG_PER_SEC 10

/** Checkpoint state of one compare context. */
struct colo_ckpt {
	uint32_t epoch;		/**< bumped by every flush; compare lcore writes, all read */
	bool outstanding;	/**< a request was issued and no flush came yet */
	uint64_t nb_requests;	/**< issued (not coalesced); compare lcore writes */
	uint64_t outstanding_since_tsc;
	uint64_t tsc_hz;
	struct colo_log_limit log_limit; /**< request lines: COLO_CKPT_LOG_PER_SEC a second */
	struct colo_ckpt_record hist[COLO_CKPT_HISTORY];
	uint32_t hist_seq[COLO_CKPT_HISTORY]; /**< odd while hist[i] is being written */
};

/** Reset @p ck: epoch 0, nothing outstanding, empty history; time runs at @p tsc_hz. */
void colo_ckpt_init(struct colo_ckpt *ck, uint64_t tsc_hz);

/**
 * Record a checkpoint trigger. The trigger is always counted by reason in
 * @p st. While a request is outstanding the trigger is coalesced (counted in
 * checkpoint_coalesced); otherwise a request is issued and kept in history.
 *
 * @return true if a new request was issued (the caller must send it).
 */
bool colo_ckpt_trigger(struct colo_ckpt *ck, enum colo_ckpt_reason reason,
		const struct colo_key *key, int32_t offset, uint32_t tcp_seq, uint64_t now_tsc,
		struct colo_stats *st);

/** Checkpoint done: clear the outstanding request and bump the epoch. */
void colo_ckpt_done(struct colo_ckpt *ck);

/** Current epoch; safe from any thread. */
static inline uint32_t
colo_ckpt_epoch(const struct colo_ckpt *ck)
{
	return __atomic_load_n(&ck->epoch, __ATOMIC_ACQUIRE);
}

/** Whether a request is outstanding; safe from any thread. */
static inline bool
colo_ckpt_outstanding(const struct colo_ckpt *ck)
{
	return __atomic_load_n(&ck->outstanding, __ATOMIC_ACQUIRE);
}

/** Number of requests issued so far; safe from any thread. */
static inline uint64_t
colo_ckpt_nb_requests(const struct colo_ckpt *ck)
{
	return __atomic_load_n(&ck->nb_requests, __ATOMIC_ACQUIRE);
}

/**
 * Copy up to @p n of the newest requests, newest first, into @p out.
 * Safe from any thread; a record being overwritten is skipped.
 *
 * @return the number of records copied.
 */
unsigned int colo_ckpt_history(const struct colo_ckpt *ck, struct colo_ckpt_record *out,
		unsigned int n);

#endif /* COLO_CKPT_H */
