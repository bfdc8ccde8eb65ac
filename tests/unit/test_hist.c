/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit suite of lib/colo_hist.c: bucket edges, the TSC to microsecond
 * conversion at the edges and past its fast range, per-protocol rows, the
 * sum over lcores, and exact percentiles. Needs no EAL.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include <rte_common.h>

#include "colo_hist.h"
#include "unit.h"

#define GHZ 1000000000ull
#define T0 1000000ull /* an arrival time; deltas are added to it */

static struct colo_hist h;

/* Record a hold time of @p delta ticks in row @p proto. */
static void
hold(struct colo_hist *hh, enum colo_hist_proto proto, uint64_t delta)
{
	colo_hist_record(hh, proto, T0, T0 + delta);
}

/* The only non-empty bucket of row @p proto, or -1. */
static int
only_bucket(const struct colo_hist *hh, enum colo_hist_proto proto)
{
	int found = -1;
	unsigned int b;

	for (b = 0; b < COLO_HIST_BUCKETS; b++) {
		if (hh->bucket[proto][b] == 0)
			continue;
		if (found >= 0)
			return -2;
		found = (int)b;
	}
	return found;
}

/* Bucket that a hold time of @p delta ticks at @p hz lands in, alone. */
static int
bucket_at(uint64_t hz, uint64_t delta)
{
	colo_hist_init(&h, hz);
	hold(&h, COLO_HIST_TCP, delta);
	return only_bucket(&h, COLO_HIST_TCP);
}

static void
test_bucket_edges(void)
{
	CU_ASSERT_EQUAL(colo_hist_bucket_of(0), 0);
	CU_ASSERT_EQUAL(colo_hist_bucket_of(1), 1);
	CU_ASSERT_EQUAL(colo_hist_bucket_of(2), 2);
	CU_ASSERT_EQUAL(colo_hist_bucket_of(3), 2);
	CU_ASSERT_EQUAL(colo_hist_bucket_of(4), 3);
	CU_ASSERT_EQUAL(colo_hist_bucket_of(1023), 10);
	CU_ASSERT_EQUAL(colo_hist_bucket_of(1024), 11);
	CU_ASSERT_EQUAL(colo_hist_bucket_of(1u << 29), 30);
	CU_ASSERT_EQUAL(colo_hist_bucket_of((1u << 30) - 1), 30);
	CU_ASSERT_EQUAL(colo_hist_bucket_of(1u << 30), 31);
	CU_ASSERT_EQUAL(colo_hist_bucket_of(UINT64_MAX), 31);
	CU_ASSERT_EQUAL(colo_hist_bucket_limit_us(0), 1);
	CU_ASSERT_EQUAL(colo_hist_bucket_limit_us(7), 128);
	CU_ASSERT_EQUAL(colo_hist_bucket_limit_us(30), 1u << 30);
	CU_ASSERT_EQUAL(colo_hist_bucket_limit_us(31), 1u << 30);
}

static void
test_conversion_edges(void)
{
	/* 1 GHz: a tick is a nanosecond. */
	CU_ASSERT_EQUAL(bucket_at(GHZ, 0), 0);
	CU_ASSERT_EQUAL(bucket_at(GHZ, 999), 0);
	CU_ASSERT_EQUAL(bucket_at(GHZ, 1000), 1);
	CU_ASSERT_EQUAL(bucket_at(GHZ, 1999), 1);
	CU_ASSERT_EQUAL(bucket_at(GHZ, 2000), 2);
	CU_ASSERT_EQUAL(bucket_at(GHZ, 3999), 2);
	CU_ASSERT_EQUAL(bucket_at(GHZ, 4000), 3);
	/* 1 s is 1e6 us: 2^19 <= 1e6 < 2^20. */
	CU_ASSERT_EQUAL(bucket_at(GHZ, GHZ), 20);
	CU_ASSERT_EQUAL(h.sum_us[COLO_HIST_TCP], 1000000);
	/* A 3 GHz TSC: the multiplier is rounded up, so 3000 ticks are 1 us
	 * and 2999 are not. */
	CU_ASSERT_EQUAL(bucket_at(3 * GHZ, 2999), 0);
	CU_ASSERT_EQUAL(bucket_at(3 * GHZ, 3000), 1);
	CU_ASSERT_EQUAL(bucket_at(3 * GHZ, 6000), 2);
	CU_ASSERT_EQUAL(bucket_at(2500000000ull, 2499), 0);
	CU_ASSERT_EQUAL(bucket_at(2500000000ull, 2500), 1);
	/* Unit-test time (1 tick = 1 ms): 5 ticks are 5000 us. */
	CU_ASSERT_EQUAL(bucket_at(1000, 5), 13);
	CU_ASSERT_EQUAL(h.sum_us[COLO_HIST_TCP], 5000);
}

static void
test_slow_path(void)
{
	/* Two hours at 1 GHz is past the fast path's 64-bit product. */
	uint64_t two_hours = 7200 * GHZ;

	CU_ASSERT_EQUAL(colo_hist_init(&h, GHZ), 0);
	CU_ASSERT_TRUE(two_hours > h.max_delta_tsc);
	hold(&h, COLO_HIST_UDP, two_hours);
	CU_ASSERT_EQUAL(only_bucket(&h, COLO_HIST_UDP), COLO_HIST_BUCKETS - 1);
	CU_ASSERT_EQUAL(h.sum_us[COLO_HIST_UDP], 7200000000ull);
	/* The largest fast-path delta still converts exactly enough. */
	hold(&h, COLO_HIST_ICMP, h.max_delta_tsc);
	CU_ASSERT_EQUAL(only_bucket(&h, COLO_HIST_ICMP), COLO_HIST_BUCKETS - 1);
}

static void
test_tx_before_arrival(void)
{
	colo_hist_init(&h, GHZ);
	colo_hist_record(&h, COLO_HIST_OTHER, 5000, 4000);
	CU_ASSERT_EQUAL(only_bucket(&h, COLO_HIST_OTHER), 0);
	CU_ASSERT_EQUAL(h.sum_us[COLO_HIST_OTHER], 0);
}

static void
test_rows_and_lcore_sum(void)
{
	static struct colo_hist lcore[3], sum;
	unsigned int i;

	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(colo_hist_init(&lcore[i], GHZ), 0);
	hold(&lcore[0], COLO_HIST_TCP, 5000); /* 5 us: bucket 3 */
	hold(&lcore[0], COLO_HIST_TCP, 5000);
	hold(&lcore[1], COLO_HIST_TCP, 6000);	/* 6 us: bucket 3 */
	hold(&lcore[1], COLO_HIST_UDP, 100000); /* 100 us: bucket 7 */
	hold(&lcore[2], COLO_HIST_NONIP, 500);	/* bucket 0 */
	memset(&sum, 0, sizeof(sum));
	colo_hist_sum(&sum, lcore, 3);
	CU_ASSERT_EQUAL(sum.bucket[COLO_HIST_TCP][3], 3);
	CU_ASSERT_EQUAL(sum.sum_us[COLO_HIST_TCP], 16);
	CU_ASSERT_EQUAL(sum.bucket[COLO_HIST_UDP][7], 1);
	CU_ASSERT_EQUAL(sum.bucket[COLO_HIST_NONIP][0], 1);
	CU_ASSERT_EQUAL(colo_hist_count(&sum, COLO_HIST_TCP), 3);
	CU_ASSERT_EQUAL(colo_hist_count(&sum, COLO_HIST_UDP), 1);
	CU_ASSERT_EQUAL(colo_hist_count(&sum, COLO_HIST_ICMP), 0);
	CU_ASSERT_EQUAL(colo_hist_count(&sum, COLO_HIST_ALL), 5);
	/* The sources are only read. */
	CU_ASSERT_EQUAL(lcore[0].bucket[COLO_HIST_TCP][3], 2);
}

static void
test_percentiles(void)
{
	unsigned int i;

	colo_hist_init(&h, GHZ);
	CU_ASSERT_EQUAL(colo_hist_percentile_us(&h, COLO_HIST_TCP, 500), 0);
	/* 1000 frames: 500 at 3 us (bucket 2), 490 at 100 us (bucket 7),
	 * 9 at 1000 us (bucket 10), 1 at 1 s (bucket 20). */
	for (i = 0; i < 500; i++)
		hold(&h, COLO_HIST_TCP, 3000);
	for (i = 0; i < 490; i++)
		hold(&h, COLO_HIST_TCP, 100000);
	for (i = 0; i < 9; i++)
		hold(&h, COLO_HIST_TCP, 1000000);
	hold(&h, COLO_HIST_TCP, GHZ);
	CU_ASSERT_EQUAL(colo_hist_count(&h, COLO_HIST_TCP), 1000);
	CU_ASSERT_EQUAL(colo_hist_percentile_us(&h, COLO_HIST_TCP, 500), 4);
	CU_ASSERT_EQUAL(colo_hist_percentile_us(&h, COLO_HIST_TCP, 501), 128);
	CU_ASSERT_EQUAL(colo_hist_percentile_us(&h, COLO_HIST_TCP, 990), 128);
	CU_ASSERT_EQUAL(colo_hist_percentile_us(&h, COLO_HIST_TCP, 991), 1024);
	CU_ASSERT_EQUAL(colo_hist_percentile_us(&h, COLO_HIST_TCP, 999), 1024);
	CU_ASSERT_EQUAL(colo_hist_percentile_us(&h, COLO_HIST_TCP, 1000), 1u << 20);
	CU_ASSERT_EQUAL(colo_hist_percentile_us(&h, COLO_HIST_ALL, 999), 1024);
	CU_ASSERT_EQUAL(colo_hist_percentile_us(&h, COLO_HIST_TCP, 0), 0);
	CU_ASSERT_EQUAL(colo_hist_percentile_us(&h, COLO_HIST_TCP, 1001), 0);
	CU_ASSERT_EQUAL(colo_hist_percentile_us(&h, COLO_HIST_UDP, 500), 0);

	/* Ranks round up: of 3 frames, p50 is the 2nd. */
	colo_hist_init(&h, GHZ);
	hold(&h, COLO_HIST_UDP, 1000);	 /* bucket 1 */
	hold(&h, COLO_HIST_UDP, 40000);	 /* bucket 6 */
	hold(&h, COLO_HIST_UDP, 900000); /* bucket 10 */
	CU_ASSERT_EQUAL(colo_hist_percentile_us(&h, COLO_HIST_UDP, 333), 2);
	CU_ASSERT_EQUAL(colo_hist_percentile_us(&h, COLO_HIST_UDP, 334), 64);
	CU_ASSERT_EQUAL(colo_hist_percentile_us(&h, COLO_HIST_UDP, 500), 64);
	CU_ASSERT_EQUAL(colo_hist_percentile_us(&h, COLO_HIST_UDP, 990), 1024);

	/* The open-ended bucket reports its lower bound. */
	colo_hist_init(&h, GHZ);
	hold(&h, COLO_HIST_OTHER, 3600 * GHZ);
	CU_ASSERT_EQUAL(colo_hist_percentile_us(&h, COLO_HIST_OTHER, 500), 1u << 30);
}

static void
test_proto_of(void)
{
	struct colo_pkt_meta pm;

	memset(&pm, 0, sizeof(pm));
	pm.class = COLO_CLASS_IP;
	pm.l4proto = IPPROTO_TCP;
	CU_ASSERT_EQUAL(colo_hist_proto_of(&pm), COLO_HIST_TCP);
	pm.l4proto = IPPROTO_UDP;
	CU_ASSERT_EQUAL(colo_hist_proto_of(&pm), COLO_HIST_UDP);
	pm.l4proto = IPPROTO_ICMP;
	CU_ASSERT_EQUAL(colo_hist_proto_of(&pm), COLO_HIST_ICMP);
	pm.l4proto = IPPROTO_ICMPV6;
	CU_ASSERT_EQUAL(colo_hist_proto_of(&pm), COLO_HIST_ICMP);
	pm.l4proto = IPPROTO_GRE;
	CU_ASSERT_EQUAL(colo_hist_proto_of(&pm), COLO_HIST_OTHER);
	pm.class = COLO_CLASS_NONIP;
	CU_ASSERT_EQUAL(colo_hist_proto_of(&pm), COLO_HIST_NONIP);
	pm.class = COLO_CLASS_MALFORMED;
	CU_ASSERT_EQUAL(colo_hist_proto_of(&pm), COLO_HIST_OTHER);
	CU_ASSERT_STRING_EQUAL(colo_hist_proto_name(COLO_HIST_NONIP), "nonip");
	CU_ASSERT_STRING_EQUAL(colo_hist_proto_name(COLO_HIST_PROTO_MAX), "unknown");
}

static void
test_init_rejects(void)
{
	CU_ASSERT_EQUAL(colo_hist_init(&h, 0), -EINVAL);
	CU_ASSERT_EQUAL(colo_hist_init(NULL, GHZ), -EINVAL);
}

static const struct unit_case cases[] = {
	{ "log2 microsecond bucket edges", test_bucket_edges },
	{ "TSC deltas convert exactly at microsecond edges", test_conversion_edges },
	{ "hold times past the fast range take the slow path", test_slow_path },
	{ "a TX time before the arrival counts as zero", test_tx_before_arrival },
	{ "rows per protocol, summed over lcores", test_rows_and_lcore_sum },
	{ "p50, p99 and p999 are exact bucket bounds", test_percentiles },
	{ "frames map to their protocol row", test_proto_of },
	{ "init rejects a zero TSC rate", test_init_rejects },
};

int
main(void)
{
	return unit_run("hist", cases, RTE_DIM(cases));
}
