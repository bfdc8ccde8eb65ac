/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checkpoint request coalescing, epoch and history (docs/semantics.md C5-C7). Written by the
 * compare lcore only. The history is read by the telemetry thread through a
 * per-record sequence counter: odd while the record is being rewritten.
 */
#include <inttypes.h>
#include <string.h>

#include "colo_ckpt.h"
#include "colo_log.h"

void
colo_ckpt_init(struct colo_ckpt *ck, uint64_t tsc_hz)
{
	memset(ck, 0, sizeof(*ck));
	ck->tsc_hz = tsc_hz;
	ck->log_limit.interval = tsc_hz;
	ck->log_limit.burst = COLO_CKPT_LOG_PER_SEC;
}

/* One INFO line per request, at most COLO_CKPT_LOG_PER_SEC a second: a
 * divergence storm must not turn into a log storm. The first line after a
 * quiet spell says how many were left out. */
static void
log_request(struct colo_ckpt *ck, const struct colo_ckpt_record *rec)
{
	char key_text[128];
	uint64_t suppressed;

	if (!colo_log_limit_pass(&ck->log_limit, rec->tsc, &suppressed))
		return;
	colo_key_format(&rec->key, key_text, sizeof(key_text));
	if (suppressed != 0)
		COLO_LOG(INFO, ckpt, "%" PRIu64 " checkpoint requests not logged (rate limit)",
				suppressed);
	COLO_LOG(INFO, ckpt, "checkpoint request %" PRIu64 ": %s on %s, offset %d, seq %u",
			rec->id, colo_ckpt_reason_name(rec->reason), key_text, rec->offset,
			rec->tcp_seq);
}

static void
history_put(struct colo_ckpt *ck, const struct colo_ckpt_record *rec)
{
	unsigned int slot = (rec->id - 1) % COLO_CKPT_HISTORY;
	uint32_t seq = ck->hist_seq[slot];

	__atomic_store_n(&ck->hist_seq[slot], seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	ck->hist[slot] = *rec;
	__atomic_store_n(&ck->hist_seq[slot], seq + 2, __ATOMIC_RELEASE);
}

bool
colo_ckpt_trigger(struct colo_ckpt *ck, enum colo_ckpt_reason reason,
		const struct colo_key *key, int32_t offset, uint32_t tcp_seq, uint64_t now_tsc,
		struct colo_stats *st)
{
	struct colo_ckpt_record rec;

	colo_stat_add(&st->trigger[reason], 1);
	if (ck->outstanding) {
		colo_stat_add(&st->ctr[COLO_CKPT_COALESCED], 1);
		return false;
	}

	memset(&rec, 0, sizeof(rec));
	rec.id = ck->nb_requests + 1;
	rec.tsc = now_tsc;
	rec.key = *key;
	rec.offset = offset;
	rec.tcp_seq = tcp_seq;
	rec.epoch = ck->epoch;
	rec.reason = reason;
	history_put(ck, &rec);

	ck->outstanding_since_tsc = now_tsc;
	__atomic_store_n(&ck->outstanding, true, __ATOMIC_RELEASE);
	__atomic_store_n(&ck->nb_requests, rec.id, __ATOMIC_RELEASE);
	colo_stat_add(&st->ctr[COLO_CKPT_REQUESTS], 1);
	log_request(ck, &rec);
	return true;
}

void
colo_ckpt_done(struct colo_ckpt *ck)
{
	__atomic_store_n(&ck->epoch, ck->epoch + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&ck->outstanding, false, __ATOMIC_RELEASE);
}

unsigned int
colo_ckpt_history(const struct colo_ckpt *ck, struct colo_ckpt_record *out, unsigned int n)
{
	uint64_t newest = colo_ckpt_nb_requests(ck);
	unsigned int nb = 0;
	uint64_t id;

	for (id = newest; id > 0 && nb < n && newest - id < COLO_CKPT_HISTORY; id--) {
		unsigned int slot = (id - 1) % COLO_CKPT_HISTORY;
		uint32_t before = __atomic_load_n(&ck->hist_seq[slot], __ATOMIC_ACQUIRE);

		if (before & 1)
			continue;
		out[nb] = ck->hist[slot];
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&ck->hist_seq[slot], __ATOMIC_RELAXED) != before ||
				out[nb].id != id)
			continue;
		nb++;
	}
	return nb;
}
