/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit suite of lib/colo_ckpt.c: coalescing, epoch, history order and
 * wrap-around, and the rate limit of the request log lines.
 */
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <rte_log.h>

#include "colo_ckpt.h"
#include "frames.h"
#include "unit.h"

#define HZ 1000

static struct colo_ckpt ck;
static struct colo_stats st;
static struct colo_key key;

static void
reset(void)
{
	colo_ckpt_init(&ck, HZ);
	memset(&st, 0, sizeof(st));
	memset(&key, 0, sizeof(key));
	key.family = 4;
	key.proto = 17;
}

static void
test_coalescing(void)
{
	reset();
	CU_ASSERT_TRUE(colo_ckpt_trigger(&ck, COLO_CKPT_MISMATCH_UDP, &key, 42, 0, 1, &st));
	CU_ASSERT_FALSE(colo_ckpt_trigger(&ck, COLO_CKPT_MISMATCH_UDP, &key, 42, 0, 2, &st));
	CU_ASSERT_FALSE(colo_ckpt_trigger(&ck, COLO_CKPT_TIMEOUT_PRIMARY, &key, -1, 0, 3, &st));
	CU_ASSERT_EQUAL(st.ctr[COLO_CKPT_REQUESTS], 1);
	CU_ASSERT_EQUAL(st.ctr[COLO_CKPT_COALESCED], 2);
	CU_ASSERT_EQUAL(st.trigger[COLO_CKPT_MISMATCH_UDP], 2);
	CU_ASSERT_EQUAL(st.trigger[COLO_CKPT_TIMEOUT_PRIMARY], 1);
	CU_ASSERT_TRUE(colo_ckpt_outstanding(&ck));
	colo_ckpt_done(&ck);
	CU_ASSERT_FALSE(colo_ckpt_outstanding(&ck));
	CU_ASSERT_EQUAL(colo_ckpt_epoch(&ck), 1);
	CU_ASSERT_TRUE(colo_ckpt_trigger(&ck, COLO_CKPT_MISMATCH_TCP, &key, 7, 99, 4, &st));
	CU_ASSERT_EQUAL(colo_ckpt_nb_requests(&ck), 2);
}

static void
test_history_newest_first(void)
{
	struct colo_ckpt_record rec[COLO_CKPT_HISTORY];
	unsigned int i, n;

	reset();
	for (i = 0; i < COLO_CKPT_HISTORY + 10; i++) {
		colo_ckpt_trigger(&ck, COLO_CKPT_MISMATCH_TCP, &key, (int32_t)i, i, i, &st);
		colo_ckpt_done(&ck);
	}
	n = colo_ckpt_history(&ck, rec, 3);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(rec[0].id, COLO_CKPT_HISTORY + 10);
	CU_ASSERT_EQUAL(rec[0].offset, COLO_CKPT_HISTORY + 9);
	CU_ASSERT_EQUAL(rec[0].epoch, COLO_CKPT_HISTORY + 9);
	CU_ASSERT_EQUAL(rec[2].id, COLO_CKPT_HISTORY + 8);
	/* Only the last COLO_CKPT_HISTORY are kept. */
	n = colo_ckpt_history(&ck, rec, COLO_CKPT_HISTORY);
	CU_ASSERT_EQUAL(n, COLO_CKPT_HISTORY);
	CU_ASSERT_EQUAL(rec[COLO_CKPT_HISTORY - 1].id, 11);
}

static unsigned int
count_lines(const char *buf, const char *needle)
{
	unsigned int n = 0;

	for (const char *p = buf; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void
test_log_rate_limit(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	unsigned int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	rte_openlog_stream(f);
	rte_log_set_level_pattern("colo.ckpt", RTE_LOG_INFO);
	reset();
	/* 50 requests within one second: 10 lines. */
	for (i = 0; i < 50; i++) {
		colo_ckpt_trigger(&ck, COLO_CKPT_MISMATCH_TCP, &key, 0, 0, 100 + i, &st);
		colo_ckpt_done(&ck);
	}
	/* The next second: a summary of the 40 left out, then the request. */
	colo_ckpt_trigger(&ck, COLO_CKPT_MISMATCH_TCP, &key, 0, 0, 100 + HZ, &st);
	fflush(f);
	rte_openlog_stream(stderr);
	CU_ASSERT_EQUAL(count_lines(buf, "checkpoint request "), 11);
	CU_ASSERT_EQUAL(count_lines(buf, "40 checkpoint requests not logged"), 1);
	CU_ASSERT_EQUAL(st.ctr[COLO_CKPT_REQUESTS], 51);
	fclose(f);
	free(buf);
}

static const struct unit_case cases[] = {
	{ "triggers coalesce while a request is outstanding", test_coalescing },
	{ "history keeps the newest requests, newest first", test_history_newest_first },
	{ "request log lines are rate-limited with a summary", test_log_rate_limit },
};

int
main(void)
{
	/* rte_log needs the EAL only for its log stream; init it for realism. */
	frames_eal_init("ckpt");
	return unit_run("ckpt", cases, RTE_DIM(cases));
}
