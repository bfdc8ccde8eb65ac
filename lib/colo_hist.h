/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hold-time histogram: for each released primary frame, the time from its
 * arrival to its TX, in log2 microsecond buckets per protocol. Each lcore
 * is the only writer of its own struct colo_hist; readers sum the per-lcore
 * copies without locks and compute percentiles. Telemetry is elsewhere.
 */
#ifndef COLO_HIST_H
#define COLO_HIST_H

#include <stdint.h>

#include <netinet/in.h>
#include <rte_branch_prediction.h>
#include <rte_common.h>

#include "colo_pkt.h"

/*
 * Bucket 0 holds hold times below 1 us; bucket b >= 1 holds [2^(b-1), 2^b) us;
 * the last bucket is open-ended (from 2^30 us, about 18 minutes).
 */
#define COLO_HIST_BUCKETS 32

/* The TSC to microsecond conversion is (delta * mult) >> COLO_HIST_SHIFT. */
#define COLO_HIST_SHIFT 32

/* clang-format off */
#define COLO_HIST_PROTOS(X)              \
	X(TCP, "tcp")                    \
	X(UDP, "udp")                    \
	X(ICMP, "icmp")                  \
	X(OTHER, "other")                \
	X(NONIP, "nonip")
/* clang-format on */

#define COLO_ENUM_ENTRY(sym, name) COLO_HIST_##sym,
/** Protocol class of a histogram row. */
enum colo_hist_proto { COLO_HIST_PROTOS(COLO_ENUM_ENTRY) COLO_HIST_PROTO_MAX };
#undef COLO_ENUM_ENTRY

/** For readers: every row at once, where a function takes a row. */
#define COLO_HIST_ALL COLO_HIST_PROTO_MAX

/** Hold times seen by one lcore. Single writer: the owning lcore. */
struct colo_hist {
	uint64_t bucket[COLO_HIST_PROTO_MAX][COLO_HIST_BUCKETS];
	uint64_t sum_us[COLO_HIST_PROTO_MAX]; /**< for the mean and OpenMetrics _sum */
	uint64_t mult;		/**< set by colo_hist_init: ceil(2^SHIFT * 1e6 / tsc_hz) */
	uint64_t max_delta_tsc; /**< largest delta whose product with mult fits 64 bits */
	uint64_t tsc_hz;
} __rte_cache_aligned;

/**
 * Zero @p h and precompute the conversion for a TSC of @p tsc_hz, so that
 * recording needs no division.
 *
 * @return 0, or -EINVAL if @p h is NULL or @p tsc_hz is 0.
 */
int colo_hist_init(struct colo_hist *h, uint64_t tsc_hz);

/** Histogram row of a classified frame. */
static inline enum colo_hist_proto
colo_hist_proto_of(const struct colo_pkt_meta *pm)
{
	if (pm->class == COLO_CLASS_NONIP)
		return COLO_HIST_NONIP;
	if (pm->class != COLO_CLASS_IP)
		return COLO_HIST_OTHER;
	switch (colo_proto_class(pm->l4proto)) {
	case COLO_PROTO_TCP:
		return COLO_HIST_TCP;
	case COLO_PROTO_UDP:
		return COLO_HIST_UDP;
	case COLO_PROTO_ICMP:
		return COLO_HIST_ICMP;
	default:
		return COLO_HIST_OTHER;
	}
}

/** Bucket of a hold time of @p us microseconds. */
static inline unsigned int
colo_hist_bucket_of(uint64_t us)
{
	unsigned int b;

	if (us == 0)
		return 0;
	b = 64 - (unsigned int)__builtin_clzll(us);
	return b < COLO_HIST_BUCKETS ? b : COLO_HIST_BUCKETS - 1;
}

/* Cold: a hold time of more than about an hour at a few GHz. */
uint64_t colo_hist_us_slow(const struct colo_hist *h, uint64_t delta_tsc);

/**
 * Record one frame that arrived at @p arrival_tsc and left at @p now_tsc.
 * Owning lcore only. A TX timestamp before the arrival (TSC skew between
 * lcores) counts as 0 us. Costs one multiply, one shift, one clz, two stores.
 */
static inline void
colo_hist_record(struct colo_hist *h, enum colo_hist_proto proto, uint64_t arrival_tsc,
		uint64_t now_tsc)
{
	uint64_t delta = now_tsc > arrival_tsc ? now_tsc - arrival_tsc : 0;
	uint64_t us;
	uint64_t *b;

	if (likely(delta <= h->max_delta_tsc))
		us = (delta * h->mult) >> COLO_HIST_SHIFT;
	else
		us = colo_hist_us_slow(h, delta);
	b = &h->bucket[proto][colo_hist_bucket_of(us)];
	/* Single writer; readers see no torn value (same as colo_stat_add). */
	__atomic_store_n(b, *b + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&h->sum_us[proto], h->sum_us[proto] + us, __ATOMIC_RELAXED);
}

/**
 * Add the buckets and sums of @p nb_src per-lcore histograms into @p dst
 * (reader side; @p dst need not be initialised by colo_hist_init).
 */
void colo_hist_sum(struct colo_hist *dst, const struct colo_hist *src, unsigned int nb_src);

/** Frames recorded in row @p proto (or COLO_HIST_ALL) of @p h. */
uint64_t colo_hist_count(const struct colo_hist *h, enum colo_hist_proto proto);

/**
 * The hold time that @p per_mille thousandths of the frames of row @p proto
 * (or COLO_HIST_ALL) did not exceed: the upper bound in microseconds (2^b; 1 for bucket 0) of
 * the first bucket at which the cumulative count reaches
 * ceil(count * per_mille / 1000). The open-ended last bucket reports its
 * lower bound, 2^30. p50 is per_mille 500, p99 990, p999 999.
 *
 * @return the bound in microseconds, or 0 when the row is empty or
 *   @p per_mille is 0 or above 1000.
 */
uint64_t colo_hist_percentile_us(
		const struct colo_hist *h, enum colo_hist_proto proto, unsigned int per_mille);

/** Upper bound in microseconds of bucket @p b (its lower bound for the last one). */
uint64_t colo_hist_bucket_limit_us(unsigned int b);

/** Name of row @p proto ("tcp", ...), or "unknown". */
const char *colo_hist_proto_name(enum colo_hist_proto proto);

#endif /* COLO_HIST_H */
