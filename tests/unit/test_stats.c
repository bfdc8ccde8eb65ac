/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit suite of lib/colo_stats.c: sums over lcores, exported counter names
 * (unique, telemetry-safe, prefixed by family) and the name/help lookups.
 * Needs no EAL: the counters are plain memory.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <rte_common.h>

#include "colo_stats.h"
#include "unit.h"

#define NB_EXPORTED                                                                                \
	(COLO_CTR_MAX + COLO_PARSE_ERR_MAX - 1 + COLO_DROP_MAX + COLO_DISCARD_MAX + COLO_REL_MAX + \
			COLO_CKPT_REASON_MAX)

struct seen {
	const char *names[NB_EXPORTED + 1];
	uint64_t values[NB_EXPORTED + 1];
	unsigned int nb;
};

static void
collect(const char *name, uint64_t value, void *arg)
{
	struct seen *s = arg;

	if (s->nb <= NB_EXPORTED) {
		s->names[s->nb] = name;
		s->values[s->nb] = value;
	}
	s->nb++;
}

static int
find(const struct seen *s, const char *name)
{
	unsigned int i;

	for (i = 0; i < s->nb && i <= NB_EXPORTED; i++)
		if (strcmp(s->names[i], name) == 0)
			return (int)i;
	return -1;
}

static uint64_t
value_of(const struct seen *s, const char *name)
{
	int i = find(s, name);

	CU_ASSERT_FATAL(i >= 0);
	return s->values[i];
}

static void
test_sum_adds_every_family(void)
{
	static struct colo_stats src[3], dst;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		colo_stat_add(&src[i].ctr[COLO_RELEASED], i + 1);
		colo_stat_add(&src[i].parse_err[COLO_PARSE_ERR_L4_TRUNC], 10);
		colo_stat_add(&src[i].drop[COLO_DROP_TX_FAILED], 2);
		colo_stat_add(&src[i].discard[COLO_DISCARD_MATCH], 3);
		colo_stat_add(&src[i].release[COLO_REL_SHUTDOWN], 4);
		colo_stat_add(&src[i].trigger[COLO_CKPT_MANUAL], 5);
	}
	dst.ctr[COLO_RELEASED] = 100; /* sum adds, it does not overwrite */
	colo_stats_sum(&dst, src, 3);
	CU_ASSERT_EQUAL(dst.ctr[COLO_RELEASED], 106);
	CU_ASSERT_EQUAL(dst.parse_err[COLO_PARSE_ERR_L4_TRUNC], 30);
	CU_ASSERT_EQUAL(dst.drop[COLO_DROP_TX_FAILED], 6);
	CU_ASSERT_EQUAL(dst.discard[COLO_DISCARD_MATCH], 9);
	CU_ASSERT_EQUAL(dst.release[COLO_REL_SHUTDOWN], 12);
	CU_ASSERT_EQUAL(dst.trigger[COLO_CKPT_MANUAL], 15);
	CU_ASSERT_EQUAL(colo_stats_total(dst.drop, COLO_DROP_MAX), 6);
	CU_ASSERT_EQUAL(colo_stats_total(dst.ctr, COLO_CTR_MAX), 106);
	CU_ASSERT_EQUAL(colo_stats_total(dst.ctr, 0), 0);
}

static void
test_foreach_names_unique_and_prefixed(void)
{
	static struct colo_stats st;
	static struct seen s;
	unsigned int i, j;
	const char *c;

	colo_stat_add(&st.ctr[COLO_PRIMARY_RX], 7);
	colo_stat_add(&st.parse_err[COLO_PARSE_ERR_IP4_IHL], 8);
	colo_stat_add(&st.trigger[COLO_CKPT_MISMATCH_TCP], 9);
	colo_stat_add(&st.drop[COLO_DROP_RING_FULL], 10);
	colo_stat_add(&st.discard[COLO_DISCARD_SHUTDOWN], 11);
	colo_stat_add(&st.release[COLO_REL_MATCH], 12);
	colo_stats_foreach(&st, collect, &s);
	CU_ASSERT_EQUAL_FATAL(s.nb, NB_EXPORTED);

	CU_ASSERT_EQUAL(value_of(&s, "primary_rx"), 7);
	CU_ASSERT_EQUAL(value_of(&s, "parse_err_ip4_ihl"), 8);
	CU_ASSERT_EQUAL(value_of(&s, "trigger_mismatch_tcp"), 9);
	CU_ASSERT_EQUAL(value_of(&s, "drop_ring_full"), 10);
	CU_ASSERT_EQUAL(value_of(&s, "discard_ring_full"), 0);
	CU_ASSERT_EQUAL(value_of(&s, "discard_shutdown"), 11);
	CU_ASSERT_EQUAL(value_of(&s, "release_match"), 12);
	CU_ASSERT(find(&s, "checkpoint_requests") >= 0);
	CU_ASSERT(find(&s, "parse_err_l4_trunc") >= 0);
	/* Index 0 of parse_err is "no error" and is not exported. */
	CU_ASSERT(find(&s, "parse_err_ok") < 0);

	for (i = 0; i < s.nb; i++) {
		/* Telemetry keys: [a-z0-9_], at most 128 characters (22.11 limit). */
		CU_ASSERT(strlen(s.names[i]) > 0 && strlen(s.names[i]) < 128);
		for (c = s.names[i]; *c != '\0'; c++)
			CU_ASSERT((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
					*c == '_');
		for (j = i + 1; j < s.nb; j++)
			CU_ASSERT(strcmp(s.names[i], s.names[j]) != 0);
	}
}

static void
test_reason_names_and_help(void)
{
	CU_ASSERT_STRING_EQUAL(colo_ckpt_reason_name(COLO_CKPT_MISMATCH_TCP), "mismatch_tcp");
	CU_ASSERT_STRING_EQUAL(colo_ckpt_reason_name(COLO_CKPT_TIMEOUT_PRIMARY), "timeout_primary");
	CU_ASSERT_STRING_EQUAL(colo_ckpt_reason_name(COLO_CKPT_MANUAL), "manual");
	CU_ASSERT_STRING_EQUAL(colo_ckpt_reason_name(COLO_CKPT_REASON_MAX), "unknown");
	CU_ASSERT_STRING_EQUAL(colo_parse_err_name(COLO_PARSE_OK), "ok");
	CU_ASSERT_STRING_EQUAL(colo_parse_err_name(COLO_PARSE_ERR_RUNT), "runt");
	CU_ASSERT_STRING_EQUAL(colo_parse_err_name(COLO_PARSE_ERR_L4_TRUNC), "l4_trunc");
	CU_ASSERT_STRING_EQUAL(colo_parse_err_name(COLO_PARSE_ERR_MAX), "unknown");
	CU_ASSERT_STRING_EQUAL(
			colo_ctr_help(COLO_PRIMARY_RX), "frames received from the primary VM");
	CU_ASSERT_STRING_EQUAL(colo_ctr_help(COLO_LINK_EVENTS), "port link up/down events");
	CU_ASSERT_STRING_EQUAL(colo_ctr_help(COLO_CTR_MAX), "unknown");
}

static const struct unit_case cases[] = {
	{ "sum adds every family of every lcore", test_sum_adds_every_family },
	{ "foreach exports unique, prefixed, telemetry-safe names",
			test_foreach_names_unique_and_prefixed },
	{ "reason names and help come from the X-macro lists", test_reason_names_and_help },
};

int
main(void)
{
	return unit_run("stats", cases, RTE_DIM(cases));
}
