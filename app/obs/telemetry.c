/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Telemetry commands under /colo/, read with dpdk-telemetry.py. They run on
 * the telemetry thread and read lock-free: per-lcore counters summed, ring
 * and queue counts, and the checkpoint history through its sequence
 * counters. A reader count (colo_app.tel_readers) keeps the contexts,
 * rings, ports and rule holders alive while a callback uses them: the one
 * gate, colo_obs_enter(); shutdown closes it before freeing them. Every
 * /colo/ callback reaches the application through colo_obs_app().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_pause.h>
#include <rte_telemetry.h>

#include "colo_ckpt.h"
#include "colo_pkt.h"
#include "ctl/ctl.h"
#include "obs.h"

/*
 * Telemetry callbacks take no argument: the one application, set by
 * colo_obs_attach() before any command is registered.
 */
static struct colo_app *obs_app;

#define DEFAULT_HISTORY 16

void
colo_obs_attach(struct colo_app *app)
{
	obs_app = app;
}

struct colo_app *
colo_obs_app(void)
{
	return obs_app;
}

bool
colo_obs_enter(void)
{
	__atomic_fetch_add(&obs_app->tel_readers, 1, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&obs_app->tel_closed, __ATOMIC_SEQ_CST))
		return true;
	__atomic_fetch_sub(&obs_app->tel_readers, 1, __ATOMIC_SEQ_CST);
	return false;
}

void
colo_obs_leave(void)
{
	__atomic_fetch_sub(&obs_app->tel_readers, 1, __ATOMIC_SEQ_CST);
}

static void
tel_u64(const char *name, uint64_t v, void *arg)
{
	rte_tel_data_add_dict_u64(arg, name, v);
}

/* Telemetry 22.11 has no boolean: 1 or 0. */
static void
tel_flag(const char *name, bool v, void *arg)
{
	rte_tel_data_add_dict_u64(arg, name, v ? 1 : 0);
}

/* Nor a floating point type: a decimal string. */
static void
tel_real(const char *name, double v, void *arg)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.6f", v);
	rte_tel_data_add_dict_string(arg, name, buf);
}

static void
tel_group(const char *name, const char *const *names, const uint64_t *v, unsigned int nb, void *arg)
{
	struct rte_tel_data *c = rte_tel_data_alloc();
	unsigned int i;

	if (c == NULL)
		return;
	rte_tel_data_start_dict(c);
	for (i = 0; i < nb; i++)
		rte_tel_data_add_dict_u64(c, names[i], v[i]);
	if (rte_tel_data_add_dict_container(arg, name, c, 0) != 0)
		rte_tel_data_free(c);
}

static const struct colo_report_out tel_out = {
	.u64 = tel_u64,
	.flag = tel_flag,
	.real = tel_real,
	.group = tel_group,
};

static int
stats_cmd(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct colo_report r;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	if (!colo_obs_enter())
		return -EAGAIN;
	colo_report_take(obs_app, &r);
	colo_obs_leave();
	rte_tel_data_start_dict(d);
	colo_report_emit(&r, &tel_out, d);
	return 0;
}

static struct rte_tel_data *
record_dict(const struct colo_ckpt_record *rec, uint64_t now)
{
	struct rte_tel_data *c = rte_tel_data_alloc();
	uint64_t ms = rte_get_tsc_hz() / 1000;
	char key[128];

	if (c == NULL)
		return NULL;
	colo_key_format(&rec->key, key, sizeof(key));
	rte_tel_data_start_dict(c);
	rte_tel_data_add_dict_u64(c, "id", rec->id);
	rte_tel_data_add_dict_string(
			c, "reason", colo_ckpt_reason_name((enum colo_ckpt_reason)rec->reason));
	rte_tel_data_add_dict_string(c, "conn", key);
	rte_tel_data_add_dict_int(c, "offset", rec->offset);
	rte_tel_data_add_dict_u64(c, "tcp_seq", rec->tcp_seq);
	rte_tel_data_add_dict_u64(c, "epoch", rec->epoch);
	rte_tel_data_add_dict_u64(c, "time_ms", (rec->tsc - obs_app->start_tsc) / ms);
	rte_tel_data_add_dict_u64(c, "age_ms", now > rec->tsc ? (now - rec->tsc) / ms : 0);
	return c;
}

/* A request and the shard that issued it. */
struct shard_record {
	struct colo_ckpt_record rec;
	unsigned int shard;
};

/* Newest first. */
static int
record_cmp(const void *a, const void *b)
{
	const struct shard_record *ra = a, *rb = b;

	return ra->rec.tsc < rb->rec.tsc ? 1 : ra->rec.tsc > rb->rec.tsc ? -1 : 0;
}

/*
 * /colo/checkpoints[,N]: totals and the N newest requests, newest first,
 * over every compare shard. Telemetry 22.11 nests one level of containers,
 * and not arrays of dicts: each request is a dict of its own,
 * "request_<id>" ("request_<shard>_<id>" with several shards, whose
 * request ids count separately), next to the totals.
 */
static int
checkpoints_cmd(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct colo_ckpt_record recs[COLO_CKPT_HISTORY];
	struct shard_record *all;
	unsigned long n = DEFAULT_HISTORY;
	struct colo_stats sum = { 0 };
	uint64_t total = 0, outstanding = 0;
	const struct colo_ckpt *ck;
	struct rte_tel_data *c;
	unsigned int i, s, nb = 0, got;
	char id[48];
	uint64_t now;
	char *end;

	RTE_SET_USED(cmd);
	if (params != NULL && params[0] != '\0') {
		/* strtoul() takes "-1" and saturates a 300-digit number to
		 * ULONG_MAX; neither means "all records". Only a plain
		 * decimal that fits is a count. */
		errno = 0;
		n = strtoul(params, &end, 10);
		if (*end != '\0' || n == 0 || errno == ERANGE || params[0] < '0' || params[0] > '9')
			return -EINVAL;
		n = RTE_MIN(n, (unsigned long)COLO_CKPT_HISTORY);
	}
	all = calloc(COLO_MAX_SHARDS * COLO_CKPT_HISTORY, sizeof(*all));
	if (all == NULL)
		return -ENOMEM;
	if (!colo_obs_enter()) {
		free(all);
		return -EAGAIN;
	}
	now = rte_rdtsc();
	colo_stats_sum(&sum, obs_app->stats, RTE_DIM(obs_app->stats));
	for (s = 0; s < obs_app->nb_shards; s++) {
		ck = colo_ctx_ckpt(obs_app->shard[s].ctx);
		total += colo_ckpt_nb_requests(ck);
		outstanding |= colo_ckpt_outstanding(ck);
		got = colo_ckpt_history(ck, recs, n);
		for (i = 0; i < got; i++, nb++) {
			all[nb].rec = recs[i];
			all[nb].shard = s;
		}
	}
	ck = colo_ctx_ckpt(obs_app->shard[0].ctx);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "total", total);
	rte_tel_data_add_dict_u64(d, "outstanding", outstanding);
	rte_tel_data_add_dict_u64(d, "epoch", colo_ckpt_epoch(ck));
	rte_tel_data_add_dict_u64(d, "coalesced", sum.ctr[COLO_CKPT_COALESCED]);
	rte_tel_data_add_dict_u64(d, "flushes", sum.ctr[COLO_FLUSHES]);
	rte_tel_data_add_dict_string(d, "no_peer_policy",
			obs_app->opts.no_peer_policy == COLO_NO_PEER_HOLD ? "hold" : "flush");
	rte_tel_data_add_dict_u64(d, "peer", colo_notify_has_peer(obs_app->notify) ? 1 : 0);
	colo_obs_leave();

	qsort(all, nb, sizeof(*all), record_cmp);
	nb = RTE_MIN(nb, (unsigned int)n);
	for (i = 0; i < nb; i++) {
		c = record_dict(&all[i].rec, now);
		if (c == NULL)
			break;
		if (obs_app->nb_shards == 1)
			snprintf(id, sizeof(id), "request_%" PRIu64, all[i].rec.id);
		else
			snprintf(id, sizeof(id), "request_%u_%" PRIu64, all[i].shard,
					all[i].rec.id);
		if (rte_tel_data_add_dict_container(d, id, c, 0) != 0)
			rte_tel_data_free(c);
	}
	free(all);
	return 0;
}

/* /colo/config: every key as the proxy runs with it, plus the lcore layout. */
static int
config_cmd(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct colo_opts *o = &obs_app->opts;
	char buf[PATH_MAX];
	unsigned int i;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	rte_tel_data_start_dict(d);
	for (i = 0; i < colo_config_nb_keys; i++) {
		colo_config_format(o, &colo_config_keys[i], buf, sizeof(buf));
		rte_tel_data_add_dict_string(d, colo_config_keys[i].name, buf);
	}
	rte_tel_data_add_dict_string(d, "config_file", o->config_file);
	rte_tel_data_add_dict_string(d, "layout", obs_app->rtc ? "run_to_completion" : "split");
	rte_tel_data_add_dict_u64(d, "rx_lcore", obs_app->rxq[0].lcore);
	rte_tel_data_add_dict_u64(d, "compare_lcore", obs_app->shard[0].lcore);
	rte_tel_data_add_dict_u64(d, "rx_queues", obs_app->nb_rxq);
	for (i = 0; i < COLO_ROLE_MAX; i++) {
		snprintf(buf, sizeof(buf), "%s_port_id", colo_ports_role_name(obs_app, i));
		rte_tel_data_add_dict_u64(d, buf, obs_app->port[i]);
	}
	return 0;
}

/** Register the /colo/ commands of colo_obs_attach()'s @p app. */
int
colo_telemetry_init(struct colo_app *app)
{
	int ret;

	obs_app = app;
	ret = rte_telemetry_register_cmd("/colo/stats", stats_cmd,
			"Every colo-proxy counter, queue depths and the conservation check");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/colo/checkpoints", checkpoints_cmd,
				"Checkpoint requests: totals and the newest. Parameter: count "
				"(default 16, max 64)");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/colo/config", config_cmd,
				"Every configuration key with its value in use");
	if (ret == 0)
		ret = colo_telemetry_conns_init();
	if (ret == 0)
		ret = colo_telemetry_ports_init();
	if (ret == 0)
		ret = colo_latency_telemetry_init();
	return ret;
}

/** Stop reading the context and rings; waits for callbacks in progress. */
void
colo_telemetry_close(struct colo_app *app)
{
	__atomic_store_n(&app->tel_closed, true, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&app->tel_readers, __ATOMIC_SEQ_CST) != 0)
		rte_pause();
	colo_snapshot_fini(app);
}
