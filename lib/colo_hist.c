/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hold-time histogram: the conversion set-up, the cold path of recording,
 * and the reader side (sums over lcores, counts, percentiles). The hot
 * path, colo_hist_record(), is inline in colo_hist.h.
 */
#include <errno.h>
#include <string.h>

#include "colo_hist.h"

#define HIST_US_PER_S 1000000ull

#define NAME_ENTRY(sym, name) name,
static const char *const proto_names[COLO_HIST_PROTO_MAX] = { COLO_HIST_PROTOS(NAME_ENTRY) };
#undef NAME_ENTRY

int
colo_hist_init(struct colo_hist *h, uint64_t tsc_hz)
{
	if (h == NULL || tsc_hz == 0)
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	h->tsc_hz = tsc_hz;
	/* Rounded up, so that a delta of exactly N us never lands in the
	 * bucket below N; the error this adds is below one part in 2^32 of
	 * a microsecond per tick. */
	h->mult = ((HIST_US_PER_S << COLO_HIST_SHIFT) + tsc_hz - 1) / tsc_hz;
	h->max_delta_tsc = UINT64_MAX / h->mult;
	return 0;
}

uint64_t
colo_hist_us_slow(const struct colo_hist *h, uint64_t delta_tsc)
{
	return delta_tsc / h->tsc_hz * HIST_US_PER_S +
	       delta_tsc % h->tsc_hz * HIST_US_PER_S / h->tsc_hz;
}

static inline uint64_t
load(const uint64_t *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

void
colo_hist_sum(struct colo_hist *dst, const struct colo_hist *src, unsigned int nb_src)
{
	unsigned int i, p, b;

	for (i = 0; i < nb_src; i++) {
		for (p = 0; p < COLO_HIST_PROTO_MAX; p++) {
			for (b = 0; b < COLO_HIST_BUCKETS; b++)
				dst->bucket[p][b] += load(&src[i].bucket[p][b]);
			dst->sum_us[p] += load(&src[i].sum_us[p]);
		}
	}
}

/* Count of bucket @p b in row @p proto, or in every row for COLO_HIST_ALL. */
static uint64_t
bucket_count(const struct colo_hist *h, unsigned int proto, unsigned int b)
{
	uint64_t n = 0;
	unsigned int p;

	if (proto < COLO_HIST_PROTO_MAX)
		return load(&h->bucket[proto][b]);
	for (p = 0; p < COLO_HIST_PROTO_MAX; p++)
		n += load(&h->bucket[p][b]);
	return n;
}

uint64_t
colo_hist_count(const struct colo_hist *h, enum colo_hist_proto proto)
{
	uint64_t n = 0;
	unsigned int b;

	if ((unsigned int)proto > COLO_HIST_ALL)
		return 0;
	for (b = 0; b < COLO_HIST_BUCKETS; b++)
		n += bucket_count(h, proto, b);
	return n;
}

uint64_t
colo_hist_bucket_limit_us(unsigned int b)
{
	if (b >= COLO_HIST_BUCKETS - 1)
		return 1ull << (COLO_HIST_BUCKETS - 2);
	return 1ull << b;
}

uint64_t
colo_hist_percentile_us(
		const struct colo_hist *h, enum colo_hist_proto proto, unsigned int per_mille)
{
	uint64_t n[COLO_HIST_BUCKETS];
	uint64_t total = 0, rank, cum = 0;
	unsigned int b;

	if (per_mille == 0 || per_mille > 1000 || (unsigned int)proto > COLO_HIST_ALL)
		return 0;
	/* A running histogram moves: take the buckets once, so that the rank
	 * and the walk see the same counts. */
	for (b = 0; b < COLO_HIST_BUCKETS; b++) {
		n[b] = bucket_count(h, proto, b);
		total += n[b];
	}
	if (total == 0)
		return 0;
	rank = (total * per_mille + 999) / 1000;
	for (b = 0; b < COLO_HIST_BUCKETS; b++) {
		cum += n[b];
		if (cum >= rank)
			return colo_hist_bucket_limit_us(b);
	}
	return colo_hist_bucket_limit_us(COLO_HIST_BUCKETS - 1);
}

const char *
colo_hist_proto_name(enum colo_hist_proto proto)
{
	if ((unsigned int)proto >= COLO_HIST_PROTO_MAX)
		return "unknown";
	return proto_names[proto];
}
