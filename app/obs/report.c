/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Snapshots of the counters for /colo/stats, --stats-json and the final
 * print, with the conservation check (docs/semantics.md D1): every primary frame
 * received is released, dropped with a reason, or still queued; every
 * secondary frame is discarded with a reason or still queued. Reads are
 * lock-free; a snapshot of a running proxy may be off by frames in flight.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mempool.h>

#include "colo_file.h"
#include "dp/dp.h"
#include "obs.h"
#include "secondary/secondary.h"

#define NAME_ENTRY(sym, name, help) name,
static const char *const drop_names[COLO_DROP_MAX] = { COLO_DROP_REASONS(NAME_ENTRY) };
static const char *const discard_names[COLO_DISCARD_MAX] = { COLO_DISCARD_REASONS(NAME_ENTRY) };
#undef NAME_ENTRY

/**
 * Frames still inside the proxy, per side, summed over the shards. Read in
 * the direction frames move (ring, connections, release ring, TX) so that a frame moving on is
 * seen at least once. The caller keeps the rings and context alive.
 */
void
colo_report_queued(struct colo_app *app, uint64_t *primary, uint64_t *secondary)
{
	uint64_t p = 0, s = 0;
	unsigned int i, q;

	for (i = 0; i < app->nb_shards; i++) {
		const struct colo_shard *sh = &app->shard[i];

		for (q = 0; q < app->nb_rxq; q++) {
			p += rte_ring_count(sh->rx_ring[q][COLO_SIDE_PRIMARY]);
			s += rte_ring_count(sh->rx_ring[q][COLO_SIDE_SECONDARY]);
		}
		p += colo_ctx_queued(sh->ctx, COLO_SIDE_PRIMARY);
		s += colo_ctx_queued(sh->ctx, COLO_SIDE_SECONDARY);
		p += rte_ring_count(sh->out_ring);
		p += __atomic_load_n(&sh->tx_pending, __ATOMIC_RELAXED);
	}
	*primary = p;
	*secondary = s;
}

/** Sum every lcore's counters and check conservation. */
void
colo_report_take(struct colo_app *app, struct colo_report *r)
{
	const struct colo_stats *sum = &r->sum;
	uint64_t hz = rte_get_tsc_hz(), first, last, primary_out, secondary_out;

	memset(r, 0, sizeof(*r));
	colo_report_queued(app, &r->primary_queued, &r->secondary_queued);
	colo_stats_sum(&r->sum, app->stats, RTE_DIM(app->stats));
	if (app->notify != NULL) {
		colo_notify_get_stats(app->notify, &r->notify);
		r->sum.ctr[COLO_NOTIFY_ERRORS] += r->notify.bad_records;
	}
	r->primary_dropped = colo_stats_total(sum->drop, COLO_DROP_MAX);
	r->secondary_discarded = colo_stats_total(sum->discard, COLO_DISCARD_MAX);
	/* docs/semantics.md D1: every frame is accounted for, with a reason. */
	primary_out = sum->ctr[COLO_RELEASED] + r->primary_dropped + r->primary_queued;
	secondary_out = r->secondary_discarded + r->secondary_queued;
	r->conservation_ok = sum->ctr[COLO_PRIMARY_RX] == primary_out &&
			     sum->ctr[COLO_SECONDARY_RX] == secondary_out;
	first = colo_app_first_rx_tsc(app);
	last = colo_app_last_release_tsc(app);
	if (first != 0 && last > first)
		r->active_seconds = (double)(last - first) / hz;
	r->uptime_ms = (rte_rdtsc() - app->start_tsc) * 1000 / hz;
	r->conns = sum->ctr[COLO_CONN_CREATED] - sum->ctr[COLO_CONN_CLOSED] -
		   sum->ctr[COLO_CONN_EXPIRED] - sum->ctr[COLO_CONN_EVICTED];
	colo_secondary_rewriter_ctrs(app, r->rewriter);
	colo_latency_summary(app, r->latency);
	colo_divergence_stats(app, r->capture);
	/* Leak gauge: with pcap/ring/vhost ports no PMD holds mbufs,
	 * so after a drain (and at exit) every mbuf is back in its pool. */
	if (app->pool != NULL)
		r->mbufs_in_use += rte_mempool_in_use_count(app->pool);
	if (app->clone_pool != NULL)
		r->mbufs_in_use += rte_mempool_in_use_count(app->clone_pool);
}

struct foreach_arg {
	const struct colo_report_out *out;
	void *arg;
};

static void
foreach_u64(const char *name, uint64_t value, void *arg)
{
	struct foreach_arg *fa = arg;

	fa->out->u64(name, value, fa->arg);
}

/** Render @p r entry by entry: the one list behind /colo/stats and --stats-json. */
void
colo_report_emit(const struct colo_report *r, const struct colo_report_out *out, void *arg)
{
	struct foreach_arg fa = { out, arg };
	unsigned int i;
	char name[32];

	colo_stats_foreach(&r->sum, foreach_u64, &fa);
	out->u64("notify_requests_sent", r->notify.requests_sent, arg);
	out->u64("notify_done_received", r->notify.done_received, arg);
	out->u64("notify_init_received", r->notify.init_received, arg);
	out->u64("notify_bad_records", r->notify.bad_records, arg);
	out->u64("notify_connects", r->notify.connects, arg);
	out->u64("notify_disconnects", r->notify.disconnects, arg);
	out->u64("notify_failover_received", r->notify.failover_received, arg);
	for (i = 0; i < COLO_RW_CTR_MAX; i++)
		out->u64(colo_rewriter_ctr_name(i), r->rewriter[i], arg);
	out->u64("conns_active", r->conns, arg);
	out->u64("primary_queued", r->primary_queued, arg);
	out->u64("secondary_queued", r->secondary_queued, arg);
	out->u64("primary_dropped", r->primary_dropped, arg);
	out->u64("secondary_discarded", r->secondary_discarded, arg);
	out->flag("conservation_ok", r->conservation_ok, arg);
	out->u64("mbufs_in_use", r->mbufs_in_use, arg);
	out->u64("uptime_ms", r->uptime_ms, arg);
	out->real("active_seconds", r->active_seconds, arg);
	out->group("dropped", drop_names, r->sum.drop, COLO_DROP_MAX, arg);
	out->group("discarded", discard_names, r->sum.discard, COLO_DISCARD_MAX, arg);
	for (i = 0; i < COLO_LATENCY_ROWS; i++) {
		snprintf(name, sizeof(name), "latency_%s", colo_latency_row_name(i));
		out->group(name, colo_latency_stat_names, r->latency[i], COLO_LATENCY_STAT_MAX, arg);
	}
	out->group("divergence_capture", colo_capture_stat_names, r->capture,
			COLO_CAPTURE_STAT_MAX, arg);
}

struct json {
	FILE *f;
	const char *sep;
};

static void
json_u64(const char *name, uint64_t v, void *arg)
{
	struct json *j = arg;

	fprintf(j->f, "%s\n  \"%s\": %" PRIu64, j->sep, name, v);
	j->sep = ",";
}

static void
json_flag(const char *name, bool v, void *arg)
{
	struct json *j = arg;

	fprintf(j->f, "%s\n  \"%s\": %s", j->sep, name, v ? "true" : "false");
	j->sep = ",";
}

static void
json_real(const char *name, double v, void *arg)
{
	struct json *j = arg;

	fprintf(j->f, "%s\n  \"%s\": %.6f", j->sep, name, v);
	j->sep = ",";
}

static void
json_group(const char *name, const char *const *names, const uint64_t *v, unsigned int nb,
		void *arg)
{
	struct json *j = arg;
	unsigned int i;

	fprintf(j->f, "%s\n  \"%s\": {", j->sep, name);
	for (i = 0; i < nb; i++)
		fprintf(j->f, "%s\"%s\": %" PRIu64, i == 0 ? "" : ", ", names[i], v[i]);
	fputc('}', j->f);
	j->sep = ",";
}

static const struct colo_report_out json_out = {
	.u64 = json_u64,
	.flag = json_flag,
	.real = json_real,
	.group = json_group,
};

/** Write @p r as one JSON object; written aside and renamed, so readers never see half. */
int
colo_report_write_json(const struct colo_report *r, const char *path)
{
	char tmp[PATH_MAX + 8];
	struct json j;
	int ret = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	j.f = colo_fopen_private(tmp, "w");
	if (j.f == NULL)
		return -errno;
	j.sep = "";
	fputc('{', j.f);
	colo_report_emit(r, &json_out, &j);
	fputs("\n}\n", j.f);
	if (ferror(j.f))
		ret = -EIO;
	if (fclose(j.f) != 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && rename(tmp, path) != 0)
		ret = -errno;
	if (ret != 0)
		remove(tmp);
	return ret;
}

static void
print_u64(const char *name, uint64_t v, void *arg)
{
	if (v != 0)
		fprintf(arg, "  %-28s %" PRIu64 "\n", name, v);
}

static void
print_flag(const char *name, bool v, void *arg)
{
	fprintf(arg, "  %-28s %s\n", name, v ? "true" : "false");
}

static void
print_real(const char *name, double v, void *arg)
{
	fprintf(arg, "  %-28s %.6f\n", name, v);
}

/* The flat drop_ and discard_ counters already show the groups. */
static void
print_group(const char *name, const char *const *names, const uint64_t *v, unsigned int nb,
		void *arg)
{
	RTE_SET_USED(name);
	RTE_SET_USED(names);
	RTE_SET_USED(v);
	RTE_SET_USED(nb);
	RTE_SET_USED(arg);
}

static const struct colo_report_out print_out = {
	.u64 = print_u64,
	.flag = print_flag,
	.real = print_real,
	.group = print_group,
};

/** Print the non-zero counters and the conservation check. */
void
colo_report_print(const struct colo_report *r, FILE *f)
{
	fprintf(f, "colo-proxy final stats (non-zero counters):\n");
	colo_report_emit(r, &print_out, f);
}
