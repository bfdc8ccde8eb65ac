/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-flow bypass in the primary role: flows matching a rule skip the
 * comparison; their primaries leave at once (release_bypass) and their
 * secondaries are freed (discard_bypass). Rules come from --bypass and are
 * replaced at run time with /colo/bypass,<rules>. Each shard has its own
 * holder, because a holder has one reader. This is the control side:
 * parsing, publishing, listing. The compare lcore's matching is in
 * dp/compare.c; the holders and the matching itself are lib/colo_bypass.c.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <stdlib.h>

#include <rte_errno.h>
#include <rte_telemetry.h>

#include "colo_bypass.h"
#include "colo_log.h"
#include "ctl.h"
#include "obs/obs.h"

/* A replace waits this long for the compare lcores to drop the old rules. */
#define SYNC_WAIT_MS 100

/*
 * Control side: the rules in force, kept for listing (a holder's set is
 * the reader's). Telemetry serves each client on its own thread, so
 * replaces are serialised here as well as in each holder.
 */
struct colo_bypass_ctl {
	pthread_mutex_t lock;
	struct colo_bypass_rule rules[COLO_BYPASS_MAX_RULES]; /**< under lock */
	unsigned int nb_rules;				      /**< under lock */
	uint64_t replaces;				      /**< under lock */
};

/*
 * Publish @p set (taken) on shard 0 and a copy on every other shard, then
 * wait until no compare lcore uses the old rules. Under app->bypass->lock.
 */
static int
publish(struct colo_app *app, struct colo_bypass_set *set)
{
	struct colo_bypass_ctl *ctl = app->bypass;
	struct colo_bypass_set *copies[COLO_MAX_SHARDS] = { set };
	unsigned int s, i, nb = colo_bypass_set_size(set);

	for (i = 0; i < nb; i++)
		ctl->rules[i] = *colo_bypass_set_rule(set, i);
	for (s = 1; s < app->nb_shards; s++) {
		copies[s] = colo_bypass_set_create(ctl->rules, nb);
		if (copies[s] == NULL) {
			while (s-- > 0)
				colo_bypass_set_free(copies[s]);
			return -ENOMEM;
		}
	}
	for (s = 0; s < app->nb_shards; s++)
		colo_bypass_replace(app->shard[s].bypass, copies[s]);
	ctl->nb_rules = nb;
	ctl->replaces++;
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

	struct colo_bypass_ctl *ctl = app->bypass;

	set = colo_bypass_set_parse(text, err, err_len);
	if (set == NULL)
		return -rte_errno;
	pthread_mutex_lock(&ctl->lock);
	ret = publish(app, set);
	nb = ctl->nb_rules;
	pthread_mutex_unlock(&ctl->lock);
	if (ret != 0)
		snprintf(err, err_len, "out of memory");
	else
		COLO_LOG(NOTICE, app, "bypass: %u rule%s in force", nb, nb == 1 ? "" : "s");
	return ret;
}

/*
 * /colo/bypass lists the rules; /colo/bypass,<rules> replaces them
 * ("rule;rule", docs/usage.md) and /colo/bypass,clear removes them all.
 * A refused list leaves the rules in force and says why in "error".
 */
static int
bypass_cmd(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct colo_app *app = colo_obs_app();
	struct colo_bypass_ctl *ctl = app->bypass;
	char err[256] = "", text[COLO_BYPASS_RULE_MAX_LEN + 1];
	struct rte_tel_data *list;
	unsigned int i;

	RTE_SET_USED(cmd);
	if (params != NULL && params[0] != '\0') {
		if (!colo_obs_enter())
			return -EAGAIN;
		replace(app, strcmp(params, "clear") == 0 ? "" : params, err, sizeof(err));
		colo_obs_leave();
	}
	list = rte_tel_data_alloc();
	if (list == NULL)
		return -ENOMEM;
	rte_tel_data_start_array(list, RTE_TEL_STRING_VAL);
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&ctl->lock);
	rte_tel_data_add_dict_u64(d, "nb_rules", ctl->nb_rules);
	rte_tel_data_add_dict_u64(d, "replaces", ctl->replaces);
	for (i = 0; i < ctl->nb_rules; i++)
		if (colo_bypass_rule_format(&ctl->rules[i], text, sizeof(text)) >= 0)
			rte_tel_data_add_array_string(list, text);
	pthread_mutex_unlock(&ctl->lock);
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

	app->bypass = calloc(1, sizeof(*app->bypass));
	if (app->bypass == NULL)
		return -ENOMEM;
	pthread_mutex_init(&app->bypass->lock, NULL);
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
	if (app->bypass != NULL)
		pthread_mutex_destroy(&app->bypass->lock);
	free(app->bypass);
	app->bypass = NULL;
}
