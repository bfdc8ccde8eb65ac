/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hold-time histogram of colo-bench, in TSC ticks, 32 buckets per power of
 * two: percentiles within 3 %, where libcolo's telemetry histogram
 * (colo_hist.h) has one bucket per power of two of microseconds, too coarse
 * to tell 6 us from 10 us.
 */
#include "bench.h"

void
bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src)
{
	unsigned int b;

	for (b = 0; b < BENCH_HIST_BUCKETS; b++)
		dst->bucket[b] += src->bucket[b];
	dst->count += src->count;
}

/* One past the largest tick count of bucket @p b. */
static uint64_t
bucket_limit(unsigned int b)
{
	unsigned int e, m;

	if (b < 64)
		return b + 1;
	e = 6 + (b - 64) / 32;
	m = (b - 64) % 32;
	return (uint64_t)(32 + m + 1) << (e - 5);
}

double
bench_hist_percentile_us(const struct bench_hist *h, unsigned int per_mille, uint64_t tsc_hz)
{
	uint64_t want, seen = 0;
	unsigned int b;

	if (h->count == 0 || per_mille == 0 || per_mille > 1000)
		return 0;
	want = (h->count * per_mille + 999) / 1000;
	for (b = 0; b < BENCH_HIST_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen >= want)
			return (double)bucket_limit(b) * 1e6 / (double)tsc_hz;
	}
	return (double)bucket_limit(BENCH_HIST_BUCKETS - 1) * 1e6 / (double)tsc_hz;
}
