/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reader side of the counters: sums over lcores, exported names and help
 * texts. Every table is generated from the X-macro lists in colo_stats.h,
 * so adding a reason there is enough. Writers only use colo_stat_add().
 */
#include <stddef.h>

#include <rte_common.h>

#include "colo_stats.h"

#define NAME_ENTRY(sym, name, help) name,
#define HELP_ENTRY(sym, name, help) help,

static const char *const ctr_names[COLO_CTR_MAX] = { COLO_CTRS(NAME_ENTRY) };
static const char *const ctr_helps[COLO_CTR_MAX] = { COLO_CTRS(HELP_ENTRY) };
#undef NAME_ENTRY
#undef HELP_ENTRY

/* Parse errors start at 1: index 0 is COLO_PARSE_OK. */
#define NAME_ENTRY(sym, name, help) [COLO_PARSE_ERR_##sym] = name,
static const char *const parse_err_names[COLO_PARSE_ERR_MAX] = { [COLO_PARSE_OK] = "ok",
	COLO_PARSE_ERRS(NAME_ENTRY) };
#undef NAME_ENTRY

/* Exported names carry their family as a prefix ("drop_ring_full"). */
#define NAME_ENTRY(sym, name, help) [COLO_PARSE_ERR_##sym] = "parse_err_" name,
static const char *const parse_err_exported[COLO_PARSE_ERR_MAX] = { COLO_PARSE_ERRS(NAME_ENTRY) };
#undef NAME_ENTRY
#define NAME_ENTRY(sym, name, help) "drop_" name,
static const char *const drop_exported[COLO_DROP_MAX] = { COLO_DROP_REASONS(NAME_ENTRY) };
#undef NAME_ENTRY
#define NAME_ENTRY(sym, name, help) "discard_" name,
static const char *const discard_exported[COLO_DISCARD_MAX] = { COLO_DISCARD_REASONS(NAME_ENTRY) };
#undef NAME_ENTRY
#define NAME_ENTRY(sym, name, help) "release_" name,
static const char *const release_exported[COLO_REL_MAX] = { COLO_RELEASE_REASONS(NAME_ENTRY) };
#undef NAME_ENTRY
#define NAME_ENTRY(sym, name, help) "trigger_" name,
static const char *const trigger_exported[COLO_CKPT_REASON_MAX] = { COLO_CKPT_REASONS(NAME_ENTRY) };
#undef NAME_ENTRY
#define NAME_ENTRY(sym, name, help) name,
static const char *const ckpt_names[COLO_CKPT_REASON_MAX] = { COLO_CKPT_REASONS(NAME_ENTRY) };
#undef NAME_ENTRY

/* Writers store with relaxed atomics; a relaxed load pairs with them. */
static inline uint64_t
ctr_load(const uint64_t *ctr)
{
	return __atomic_load_n(ctr, __ATOMIC_RELAXED);
}

static void
family_add(uint64_t *dst, const uint64_t *src, unsigned int nb)
{
	unsigned int i;

	for (i = 0; i < nb; i++)
		dst[i] += ctr_load(&src[i]);
}

void
colo_stats_sum(struct colo_stats *dst, const struct colo_stats *src, unsigned int nb_src)
{
	unsigned int i;

	for (i = 0; i < nb_src; i++) {
		family_add(dst->ctr, src[i].ctr, COLO_CTR_MAX);
		family_add(dst->parse_err, src[i].parse_err, COLO_PARSE_ERR_MAX);
		family_add(dst->drop, src[i].drop, COLO_DROP_MAX);
		family_add(dst->discard, src[i].discard, COLO_DISCARD_MAX);
		family_add(dst->release, src[i].release, COLO_REL_MAX);
		family_add(dst->trigger, src[i].trigger, COLO_CKPT_REASON_MAX);
	}
}

uint64_t
colo_stats_total(const uint64_t *family, unsigned int nb)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < nb; i++)
		sum += ctr_load(&family[i]);
	return sum;
}

static void
family_foreach(const char *const *names, const uint64_t *family, unsigned int first,
		unsigned int nb, void (*cb)(const char *name, uint64_t value, void *arg), void *arg)
{
	unsigned int i;

	for (i = first; i < nb; i++)
		cb(names[i], ctr_load(&family[i]), arg);
}

void
colo_stats_foreach(const struct colo_stats *st,
		void (*cb)(const char *name, uint64_t value, void *arg), void *arg)
{
	family_foreach(ctr_names, st->ctr, 0, COLO_CTR_MAX, cb, arg);
	/* parse_err[0] is "no error" and is never counted. */
	family_foreach(parse_err_exported, st->parse_err, 1, COLO_PARSE_ERR_MAX, cb, arg);
	family_foreach(drop_exported, st->drop, 0, COLO_DROP_MAX, cb, arg);
	family_foreach(discard_exported, st->discard, 0, COLO_DISCARD_MAX, cb, arg);
	family_foreach(release_exported, st->release, 0, COLO_REL_MAX, cb, arg);
	family_foreach(trigger_exported, st->trigger, 0, COLO_CKPT_REASON_MAX, cb, arg);
}

const char *
colo_ckpt_reason_name(enum colo_ckpt_reason r)
{
	if ((unsigned int)r >= COLO_CKPT_REASON_MAX)
		return "unknown";
	return ckpt_names[r];
}

const char *
colo_parse_err_name(enum colo_parse_err e)
{
	if ((unsigned int)e >= COLO_PARSE_ERR_MAX)
		return "unknown";
	return parse_err_names[e];
}

const char *
colo_ctr_help(enum colo_ctr c)
{
	if ((unsigned int)c >= COLO_CTR_MAX)
		return "unknown";
	return ctr_helps[c];
}
