/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-flow bypass in the primary role: flows matching a rule skip the
 * comparison; their primaries leave at once (release_bypass) and their
 * secondaries are freed (discard_bypass). Rules come from --bypass and are
 * replaced at run time with /colo/bypass,<rules>. Each shard has its own
 * holder, because a holder has one reader. Matching and the holders are
 * lib/colo_bypass.c.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ring.h>
#include <rte_telemetry.h>

#include "app.h"
#include "colo_bypass.h"
#include "colo_log.h"
#include "colo_pkt.h"

/* A replace waits this long for the compare lcores to drop the old rules. */
#define SYNC_WAIT_MS 100

/*
 * Control side: the rules in force, kept for listing (a holder's set is
 * the reader's). Telemetry serves each client on its own thread, so
 * replaces are serialised here as well as in each holder.
 */
static struct {
	pthread_mutex_t lock;
	struct colo_bypass_rule rules[COLO_BYPASS_MAX_RULES];
	unsigned int nb_rules;
	uint64_t replaces;
	struct colo_app *app; /**< telemetry callbacks take no argument */
} ctl = { .lock = PTHREAD_MUTEX_INITIALIZER };

/*
 * Publish @p set (taken) on shard 0 and a copy on every other shard, then
 * wait until no compare lcore uses the old rules. Under ctl.lock.
 */
static int
publish(struct colo_app *app, struct colo_bypass_set *set)
{
	struct colo_bypass_set *copies[COLO_MAX_SHARDS] = { set };
	unsigned int s, i, nb = colo_bypass_set_size(set);

	for (i = 0; i < nb; i++)
		ctl.rules[i] = *colo_bypass_set_rule(set, i);
	for (s = 1; s < app->nb_shards; s++) {
		copies[s] = colo_bypass_set_create(ctl.rules, nb);
		if (copies[s] == NULL) {
			while (s-- > 0)
				colo_bypass_set_free(copies[s]);
			return -ENOMEM;
		}
	}
	for (s = 0; s < app->nb_shards; s++)
		colo_bypass_replace(app->shard[s].bypass, copies[s]);
	ctl.nb_rules = nb;
	ctl.replaces++;
	/* A stopped lcore never passes a quiescent point: its old sets go at colo_bypass_free(). */
	for (s = 0; s < app->nb_shards; s++)
		colo_bypass_synchronize(app->shard[s].bypass, SYNC_WAIT_MS);
	return 0;
}

/* Parse @p text and publish it; on a bad rule @p err says which and why. */
static int
replace(struct colo_app *app, const char *text, char *err, size_t err_len)
{
	struct colo_bypass_set *set;
	unsigned int nb;
	int ret;

	set = colo_bypass_set_parse(text, err, err_len);
	if (set == NULL)
		return -rte_errno;
	pthread_mutex_lock(&ctl.lock);
	ret = publish(app, set);
	nb = ctl.nb_rules;
	pthread_mutex_unlock(&ctl.lock);
	if (ret != 0)
		snprintf(err, err_len, "out of memory");
	else
		COLO_LOG(NOTICE, app, "bypass: %u rule%s in force", nb, nb == 1 ? "" : "s");
	return ret;
}

/**
 * Check the syntax of a --bypass rule list without EAL (config checks).
 *
 * @return 0, or -EINVAL with "rule <n>: <reason>" in @p err.
 */
int
colo_bypass_check(const char *text, char *err, size_t err_len)
{
	struct colo_bypass_set *set = colo_bypass_set_parse(text, err, err_len);

	if (set == NULL)
		return -EINVAL;
	colo_bypass_set_free(set);
	return 0;
}

/*
 * /colo/bypass lists the rules; /colo/bypass,<rules> replaces them
 * ("rule;rule", docs/usage.md) and /colo/bypass,clear removes them all.
 * A refused list leaves the rules in force and says why in "error".
 */
static int
bypass_cmd(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct colo_app *app = ctl.app;
	char err[256] = "", text[COLO_BYPASS_RULE_MAX_LEN + 1];
	struct rte_tel_data *list;
	unsigned int i;

	RTE_SET_USED(cmd);
	if (params != NULL && params[0] != '\0') {
		if (!colo_tel_enter(app))
			return -EAGAIN;
		replace(app, strcmp(params, "clear") == 0 ? "" : params, err, sizeof(err));
		colo_tel_leave(app);
	}
	list = rte_tel_data_alloc();
	if (list == NULL)
		return -ENOMEM;
	rte_tel_data_start_array(list, RTE_TEL_STRING_VAL);
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&ctl.lock);
	rte_tel_data_add_dict_u64(d, "nb_rules", ctl.nb_rules);
	rte_tel_data_add_dict_u64(d, "replaces", ctl.replaces);
	for (i = 0; i < ctl.nb_rules; i++)
		if (colo_bypass_rule_format(&ctl.rules[i], text, sizeof(text)) >= 0)
			rte_tel_data_add_array_string(list, text);
	pthread_mutex_unlock(&ctl.lock);
	if (rte_tel_data_add_dict_container(d, "rules", list, 0) != 0)
		rte_tel_data_free(list);
	if (err[0] != '\0') {
		rte_tel_data_add_dict_string(d, "error", err);
		colo_tel_refused(app);
	}
	return 0;
}

/**
 * Primary role: create each shard's holder, publish the --bypass rules
 * (checked at startup) and register /colo/bypass. Main lcore, before launch.
 *
 * @return 0, or -errno (logged).
 */
int
colo_bypass_init(struct colo_app *app)
{
	char err[256];
	unsigned int s;
	int ret;

	ctl.app = app;
	for (s = 0; s < app->nb_shards; s++) {
		app->shard[s].bypass = colo_bypass_create();
		if (app->shard[s].bypass == NULL) {
			COLO_LOG(ERR, app, "bypass: cannot create the rule holders");
			return -ENOMEM;
		}
	}
	if (app->opts.bypass[0] != '\0') {
		ret = replace(app, app->opts.bypass, err, sizeof(err));
		if (ret != 0) {
			COLO_LOG(ERR, app, "bypass: %s", err);
			return ret;
		}
	}
	ret = rte_telemetry_register_cmd("/colo/bypass", bypass_cmd,
			"Bypass rules. Parameter: a rule list that replaces them "
			"(rule;rule, e.g. proto=tcp,dport=22), or 'clear'");
	if (ret != 0)
		COLO_LOG(WARNING, app, "cannot register /colo/bypass");
	return 0;
}

/** Free the holders; every lcore has stopped and telemetry is closed. */
void
colo_bypass_fini(struct colo_app *app)
{
	unsigned int s;

	for (s = 0; s < app->nb_shards; s++) {
		colo_bypass_free(app->shard[s].bypass);
		app->shard[s].bypass = NULL;
	}
}

/**
 * Compare lcore of @p sh, once per loop: a quiescent point for the rule
 * holder, and the rules to match until the next call (NULL: none).
 */
void
colo_bypass_poll(struct colo_shard *sh)
{
	const struct colo_bypass_set *set;

	if (sh->bypass == NULL)
		return;
	set = colo_bypass_reader_quiescent(sh->bypass);
	sh->bypass_set = colo_bypass_set_size(set) != 0 ? set : NULL;
}

/**
 * Compare lcore of @p sh: take the frames of bypassed flows out of @p pkts.
 * Primaries go to the release ring at once, secondaries are freed, both
 * counted; the others keep their order at the front of @p pkts, which
 * holds at most COLO_BURST frames.
 *
 * @return the number of frames left to compare.
 */
unsigned int
colo_bypass_filter(struct colo_shard *sh, struct rte_mbuf **pkts, unsigned int n,
		struct colo_stats *st)
{
	const struct colo_bypass_set *set = sh->bypass_set;
	struct rte_mbuf *rel[COLO_BURST];
	unsigned int i, nb_keep = 0, nb_rel = 0, nb_sent;

	if (likely(set == NULL))
		return n;
	for (i = 0; i < n; i++) {
		const struct colo_pkt_meta *pm = colo_pkt_meta(pkts[i]);

		if (pm->class != COLO_CLASS_IP || !colo_bypass_match(set, &pm->key)) {
			pkts[nb_keep++] = pkts[i];
		} else if (pm->side == COLO_SIDE_PRIMARY) {
			rel[nb_rel++] = pkts[i];
		} else {
			colo_stat_add(&st->discard[COLO_DISCARD_BYPASS], 1);
			rte_pktmbuf_free(pkts[i]);
		}
	}
	if (nb_rel == 0)
		return nb_keep;
	/* This lcore is the ring's one producer: the compare context runs here too. */
	nb_sent = rte_ring_sp_enqueue_burst(sh->out_ring, (void **)rel, nb_rel, NULL);
	colo_stat_add(&st->release[COLO_REL_BYPASS], nb_sent);
	if (unlikely(nb_sent < nb_rel)) {
		colo_stat_add(&st->drop[COLO_DROP_OUT_FULL], nb_rel - nb_sent);
		rte_pktmbuf_free_bulk(&rel[nb_sent], nb_rel - nb_sent);
	}
	return nb_keep;
}
