/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hold-time histograms: the sums that /colo/latency and the reports read,
 * and the /colo/latency command. The histograms are colo_app.hist, one per
 * lcore, recorded by the lcore that transmits (dp/tx.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "obs.h"

#define NAME_ENTRY(sym, name, help) name,
const char *const colo_latency_stat_names[] = { COLO_LATENCY_STATS(NAME_ENTRY) };
#undef NAME_ENTRY

void
colo_latency_init(struct colo_app *app)
{
	uint64_t hz = rte_get_tsc_hz();
	unsigned int i;

	for (i = 0; i < RTE_MAX_LCORE; i++)
		colo_hist_init(&app->hist[i], hz);
}

const char *
colo_latency_row_name(unsigned int row)
{
	return row == COLO_HIST_ALL ? "all" : colo_hist_proto_name(row);
}

static void
sum_all(struct colo_app *app, struct colo_hist *sum)
{
	memset(sum, 0, sizeof(*sum));
	colo_hist_sum(sum, app->hist, RTE_MAX_LCORE);
}

static void
row_summary(const struct colo_hist *sum, unsigned int row, uint64_t *v)
{
	unsigned int p;

	v[COLO_LATENCY_COUNT] = colo_hist_count(sum, row);
	v[COLO_LATENCY_SUM_US] = 0;
	for (p = 0; p < COLO_HIST_PROTO_MAX; p++)
		if (row == COLO_HIST_ALL || row == p)
			v[COLO_LATENCY_SUM_US] += sum->sum_us[p];
	v[COLO_LATENCY_P50_US] = colo_hist_percentile_us(sum, row, 500);
	v[COLO_LATENCY_P99_US] = colo_hist_percentile_us(sum, row, 990);
	v[COLO_LATENCY_P999_US] = colo_hist_percentile_us(sum, row, 999);
}

void
colo_latency_summary(struct colo_app *app, uint64_t out[COLO_LATENCY_ROWS][COLO_LATENCY_STAT_MAX])
{
	struct colo_hist sum;
	unsigned int row;

	sum_all(app, &sum);
	for (row = 0; row < COLO_LATENCY_ROWS; row++)
		row_summary(&sum, row, out[row]);
}

/* "lt_<bound>" for a bucket below its bound, "ge_<bound>" for the open last one. */
static void
bucket_name(unsigned int b, char *buf, size_t len)
{
	snprintf(buf, len, "%s_%" PRIu64, b == COLO_HIST_BUCKETS - 1 ? "ge" : "lt",
			colo_hist_bucket_limit_us(b));
}

static struct rte_tel_data *
row_dict(const struct colo_hist *sum, unsigned int row)
{
	struct rte_tel_data *r = rte_tel_data_alloc();
	uint64_t v[COLO_LATENCY_STAT_MAX], n;
	unsigned int i, b, p;
	char name[32];

	if (r == NULL)
		return NULL;
	row_summary(sum, row, v);
	rte_tel_data_start_dict(r);
	for (i = 0; i < COLO_LATENCY_STAT_MAX; i++)
		rte_tel_data_add_dict_u64(r, colo_latency_stat_names[i], v[i]);
	for (b = 0; b < COLO_HIST_BUCKETS; b++) {
		n = 0;
		for (p = 0; p < COLO_HIST_PROTO_MAX; p++)
			if (row == COLO_HIST_ALL || row == p)
				n += sum->bucket[p][b];
		bucket_name(b, name, sizeof(name));
		rte_tel_data_add_dict_u64(r, name, n);
	}
	return r;
}

/*
 * /colo/latency: per protocol and for all, the count, sum and p50/p99/p999
 * of the hold time in microseconds (upper bounds of log2 buckets), and the
 * buckets themselves: "lt_N" counts hold times below N us and at or above
 * the previous bound.
 */
static int
latency_cmd(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct rte_tel_data *r;
	struct colo_hist sum;
	unsigned int row;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	sum_all(colo_obs_app(), &sum);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "unit", "us");
	for (row = 0; row < COLO_LATENCY_ROWS; row++) {
		r = row_dict(&sum, row);
		if (r == NULL)
			break;
		if (rte_tel_data_add_dict_container(d, colo_latency_row_name(row), r, 0) != 0)
			rte_tel_data_free(r);
	}
	return 0;
}

int
colo_latency_telemetry_init(void)
{
	return rte_telemetry_register_cmd("/colo/latency", latency_cmd,
			"Hold time of released primaries, arrival to TX, per protocol: count, "
			"p50/p99/p999 and log2 buckets, in us");
}
