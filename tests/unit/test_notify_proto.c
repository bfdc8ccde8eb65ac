/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CUnit suite for lib/colo_notify_proto.c: the exact wire bytes of QEMU's notify_dev framing,
 * round trips, and the decoder under split, merged, unknown, oversized and
 * empty records. Needs no EAL.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include <rte_common.h>

#include "colo_notify_proto.h"
#include "unit.h"

static const enum colo_notify_msg all_msgs[] = {
	COLO_NOTIFY_MSG_PROXY_INIT,
	COLO_NOTIFY_MSG_GET_XEN_INIT,
	COLO_NOTIFY_MSG_DO_CHECKPOINT,
	COLO_NOTIFY_MSG_CHECKPOINT_DONE,
	COLO_NOTIFY_MSG_FAILOVER,
};

#define NB_MSGS (sizeof(all_msgs) / sizeof(all_msgs[0]))

/* Write a 4-byte big-endian length prefix. */
static void
put_len(uint8_t *p, uint32_t len)
{
	p[0] = len >> 24;
	p[1] = len >> 16;
	p[2] = len >> 8;
	p[3] = len;
}

static size_t
chunk_len(size_t left, size_t max)
{
	return left < max ? left : max;
}

/* Feed all of @p data; return how many records completed, storing their messages. */
static unsigned int
feed_all(struct colo_notify_dec *dec, const uint8_t *data, size_t len, enum colo_notify_msg *msgs,
		unsigned int max, unsigned int *nb_oversized)
{
	enum colo_notify_status st;
	enum colo_notify_msg msg;
	unsigned int nb = 0;
	size_t used;

	while (len > 0) {
		st = colo_notify_dec_feed(dec, data, len, &used, &msg);
		CU_ASSERT_FATAL(used <= len);
		if (st == COLO_NOTIFY_RECORD && nb < max)
			msgs[nb++] = msg;
		else if (st == COLO_NOTIFY_OVERSIZED && nb_oversized != NULL)
			(*nb_oversized)++;
		else if (st == COLO_NOTIFY_NEED_MORE)
			CU_ASSERT_EQUAL(used, len);
		data += used;
		len -= used;
	}
	return nb;
}

static void
test_do_checkpoint_bytes(void)
{
	static const uint8_t expect[] = { 0x00, 0x00, 0x00, 0x0D, 0x44, 0x4F, 0x5F, 0x43, 0x48,
		0x45, 0x43, 0x4B, 0x50, 0x4F, 0x49, 0x4E, 0x54 };
	uint8_t buf[COLO_NOTIFY_ENC_MAX];
	int n;

	n = colo_notify_encode(COLO_NOTIFY_MSG_DO_CHECKPOINT, buf, sizeof(buf));
	CU_ASSERT_EQUAL_FATAL(n, (int)sizeof(expect));
	CU_ASSERT_EQUAL(memcmp(buf, expect, sizeof(expect)), 0);
}

static void
test_message_strings_exact(void)
{
	static const char *const expect[] = { "COLO_USERSPACE_PROXY_INIT",
		"COLO_COMPARE_GET_XEN_INIT", "DO_CHECKPOINT", "COLO_CHECKPOINT", "COLO_FAILOVER" };
	uint8_t buf[COLO_NOTIFY_ENC_MAX];
	unsigned int i;
	const char *s;
	size_t len;
	int n;

	for (i = 0; i < NB_MSGS; i++) {
		s = colo_notify_msg_str(all_msgs[i], &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT_EQUAL(len, strlen(expect[i]));
		CU_ASSERT_EQUAL(memcmp(s, expect[i], len), 0);
		n = colo_notify_encode(all_msgs[i], buf, sizeof(buf));
		CU_ASSERT_EQUAL_FATAL(n, (int)(4 + len));
		CU_ASSERT(buf[0] == 0 && buf[1] == 0 && buf[2] == 0 && buf[3] == len);
		/* No NUL on the wire: the record ends with the last character. */
		CU_ASSERT_EQUAL(memcmp(buf + 4, expect[i], len), 0);
	}
	CU_ASSERT_PTR_NULL(colo_notify_msg_str(COLO_NOTIFY_MSG_UNKNOWN, &len));
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_PTR_NULL(colo_notify_msg_str((enum colo_notify_msg)99, &len));
}

static void
test_encode_errors(void)
{
	uint8_t buf[COLO_NOTIFY_ENC_MAX];

	CU_ASSERT_EQUAL(colo_notify_encode(COLO_NOTIFY_MSG_UNKNOWN, buf, sizeof(buf)), -EINVAL);
	CU_ASSERT_EQUAL(colo_notify_encode(COLO_NOTIFY_MSG_DO_CHECKPOINT, buf, 16), -ENOSPC);
	CU_ASSERT_EQUAL(colo_notify_encode(COLO_NOTIFY_MSG_DO_CHECKPOINT, buf, 17), 17);
	CU_ASSERT_EQUAL(colo_notify_encode(COLO_NOTIFY_MSG_PROXY_INIT, buf, 0), -ENOSPC);
}

static void
test_round_trip_each_message(void)
{
	uint8_t buf[COLO_NOTIFY_ENC_MAX];
	struct colo_notify_dec dec;
	enum colo_notify_status st;
	enum colo_notify_msg msg;
	unsigned int i;
	size_t used;
	int n;

	colo_notify_dec_init(&dec);
	for (i = 0; i < NB_MSGS; i++) {
		n = colo_notify_encode(all_msgs[i], buf, sizeof(buf));
		CU_ASSERT_FATAL(n > 0);
		st = colo_notify_dec_feed(&dec, buf, n, &used, &msg);
		CU_ASSERT_EQUAL(st, COLO_NOTIFY_RECORD);
		CU_ASSERT_EQUAL(used, (size_t)n);
		CU_ASSERT_EQUAL(msg, all_msgs[i]);
		CU_ASSERT_FALSE(colo_notify_dec_partial(&dec));
	}
}

static void
test_byte_at_a_time(void)
{
	uint8_t buf[COLO_NOTIFY_ENC_MAX];
	struct colo_notify_dec dec;
	enum colo_notify_status st;
	enum colo_notify_msg msg;
	unsigned int i, j;
	size_t used;
	int n;

	colo_notify_dec_init(&dec);
	for (i = 0; i < NB_MSGS; i++) {
		n = colo_notify_encode(all_msgs[i], buf, sizeof(buf));
		CU_ASSERT_FATAL(n > 0);
		for (j = 0; j < (unsigned int)n; j++) {
			st = colo_notify_dec_feed(&dec, &buf[j], 1, &used, &msg);
			CU_ASSERT_EQUAL(used, 1);
			if (j + 1 < (unsigned int)n) {
				CU_ASSERT_EQUAL(st, COLO_NOTIFY_NEED_MORE);
				CU_ASSERT_TRUE(colo_notify_dec_partial(&dec));
			} else {
				CU_ASSERT_EQUAL(st, COLO_NOTIFY_RECORD);
				CU_ASSERT_EQUAL(msg, all_msgs[i]);
			}
		}
		CU_ASSERT_FALSE(colo_notify_dec_partial(&dec));
	}
}

static void
test_two_records_one_buffer(void)
{
	uint8_t buf[2 * COLO_NOTIFY_ENC_MAX];
	struct colo_notify_dec dec;
	enum colo_notify_status st;
	enum colo_notify_msg msg;
	size_t used;
	int a, b;

	a = colo_notify_encode(COLO_NOTIFY_MSG_PROXY_INIT, buf, sizeof(buf));
	b = colo_notify_encode(COLO_NOTIFY_MSG_CHECKPOINT_DONE, buf + a, sizeof(buf) - a);
	CU_ASSERT_FATAL(a > 0 && b > 0);
	colo_notify_dec_init(&dec);
	/* One record per call: the first call stops at the record boundary. */
	st = colo_notify_dec_feed(&dec, buf, a + b, &used, &msg);
	CU_ASSERT_EQUAL(st, COLO_NOTIFY_RECORD);
	CU_ASSERT_EQUAL(msg, COLO_NOTIFY_MSG_PROXY_INIT);
	CU_ASSERT_EQUAL_FATAL(used, (size_t)a);
	st = colo_notify_dec_feed(&dec, buf + a, b, &used, &msg);
	CU_ASSERT_EQUAL(st, COLO_NOTIFY_RECORD);
	CU_ASSERT_EQUAL(msg, COLO_NOTIFY_MSG_CHECKPOINT_DONE);
	CU_ASSERT_EQUAL(used, (size_t)b);
}

static void
test_partial_then_rest(void)
{
	uint8_t buf[COLO_NOTIFY_ENC_MAX];
	struct colo_notify_dec dec;
	enum colo_notify_status st;
	enum colo_notify_msg msg;
	size_t used, split;
	int n;

	n = colo_notify_encode(COLO_NOTIFY_MSG_CHECKPOINT_DONE, buf, sizeof(buf));
	CU_ASSERT_FATAL(n > 0);
	/* Split inside the prefix, at its end, and inside the body. */
	for (split = 1; split < (size_t)n; split++) {
		colo_notify_dec_init(&dec);
		st = colo_notify_dec_feed(&dec, buf, split, &used, &msg);
		CU_ASSERT_EQUAL(st, COLO_NOTIFY_NEED_MORE);
		CU_ASSERT_EQUAL(used, split);
		CU_ASSERT_TRUE(colo_notify_dec_partial(&dec));
		st = colo_notify_dec_feed(&dec, buf + split, n - split, &used, &msg);
		CU_ASSERT_EQUAL(st, COLO_NOTIFY_RECORD);
		CU_ASSERT_EQUAL(used, n - split);
		CU_ASSERT_EQUAL(msg, COLO_NOTIFY_MSG_CHECKPOINT_DONE);
	}
}

static void
test_unknown_message(void)
{
	static const char *const bad[] = { "HELLO", "COLO_CHECKPOINTX", "COLO_CHECKPOIN",
		"do_checkpoint", "DO_CHECKPOINT\0" };
	static const size_t bad_len[] = { 5, 16, 14, 13, 14 };
	enum colo_notify_msg msgs[2];
	struct colo_notify_dec dec;
	uint8_t buf[64];
	unsigned int i;
	int n;

	colo_notify_dec_init(&dec);
	for (i = 0; i < sizeof(bad_len) / sizeof(bad_len[0]); i++) {
		put_len(buf, bad_len[i]);
		memcpy(buf + 4, bad[i], bad_len[i]);
		/* A valid record follows: the stream stays in sync after the unknown one. */
		n = colo_notify_encode(COLO_NOTIFY_MSG_PROXY_INIT, buf + 4 + bad_len[i],
				sizeof(buf) - 4 - bad_len[i]);
		CU_ASSERT_FATAL(n > 0);
		CU_ASSERT_EQUAL_FATAL(feed_all(&dec, buf, 4 + bad_len[i] + n, msgs, 2, NULL), 2);
		CU_ASSERT_EQUAL(msgs[0], COLO_NOTIFY_MSG_UNKNOWN);
		CU_ASSERT_EQUAL(msgs[1], COLO_NOTIFY_MSG_PROXY_INIT);
	}
}

static void
test_long_record_within_cap_is_unknown(void)
{
	static const uint32_t lens[] = { 65, 1000, COLO_NOTIFY_MAX_LEN };
	enum colo_notify_msg msgs[2];
	struct colo_notify_dec dec;
	unsigned int i, nb_over;
	uint8_t *buf;
	size_t total;
	int n;

	buf = malloc(4 + COLO_NOTIFY_MAX_LEN + COLO_NOTIFY_ENC_MAX);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	colo_notify_dec_init(&dec);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		put_len(buf, lens[i]);
		/* Starts with a known string: only an exact length and match count. */
		memset(buf + 4, 'A', lens[i]);
		memcpy(buf + 4, "DO_CHECKPOINT", 13);
		n = colo_notify_encode(COLO_NOTIFY_MSG_CHECKPOINT_DONE, buf + 4 + lens[i],
				COLO_NOTIFY_ENC_MAX);
		total = 4 + lens[i] + n;
		nb_over = 0;
		CU_ASSERT_EQUAL(feed_all(&dec, buf, total, msgs, 2, &nb_over), 2);
		CU_ASSERT_EQUAL(nb_over, 0);
		CU_ASSERT_EQUAL(msgs[0], COLO_NOTIFY_MSG_UNKNOWN);
		CU_ASSERT_EQUAL(msgs[1], COLO_NOTIFY_MSG_CHECKPOINT_DONE);
	}
	free(buf);
}

static void
test_oversized_skipped_then_valid(void)
{
	const uint32_t over = COLO_NOTIFY_MAX_LEN + 1;
	uint8_t *buf, tail[COLO_NOTIFY_ENC_MAX];
	struct colo_notify_dec dec;
	enum colo_notify_status st;
	enum colo_notify_msg msg;
	size_t used, off;
	int n;

	buf = malloc(4 + over);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	put_len(buf, over);
	/* A body that looks like records must not be parsed as such. */
	for (off = 4; off + 17 <= 4 + over; off += 17)
		colo_notify_encode(COLO_NOTIFY_MSG_DO_CHECKPOINT, buf + off, 17);
	memset(buf + off, 0xff, 4 + over - off);
	colo_notify_dec_init(&dec);

	st = colo_notify_dec_feed(&dec, buf, 4 + over, &used, &msg);
	CU_ASSERT_EQUAL(st, COLO_NOTIFY_OVERSIZED);
	CU_ASSERT_EQUAL(used, 4);
	CU_ASSERT_TRUE(colo_notify_dec_partial(&dec));
	/* The body goes in uneven chunks; none of it is a record. */
	for (off = 4; off < 4 + over; off += used) {
		st = colo_notify_dec_feed(
				&dec, buf + off, chunk_len(4 + over - off, 999), &used, &msg);
		CU_ASSERT_EQUAL_FATAL(st, COLO_NOTIFY_NEED_MORE);
	}
	CU_ASSERT_FALSE(colo_notify_dec_partial(&dec));

	n = colo_notify_encode(COLO_NOTIFY_MSG_CHECKPOINT_DONE, tail, sizeof(tail));
	st = colo_notify_dec_feed(&dec, tail, n, &used, &msg);
	CU_ASSERT_EQUAL(st, COLO_NOTIFY_RECORD);
	CU_ASSERT_EQUAL(msg, COLO_NOTIFY_MSG_CHECKPOINT_DONE);
	free(buf);
}

static void
test_oversized_body_and_next_record_in_one_buffer(void)
{
	const uint32_t over = COLO_NOTIFY_MAX_LEN + 1;
	enum colo_notify_msg msgs[2];
	struct colo_notify_dec dec;
	unsigned int nb_over = 0;
	uint8_t *buf;
	int n;

	/* The prefix and most of the body in one write, then the last 100 body
	 * bytes and a record in another: the skip ends mid-buffer. */
	buf = calloc(1, 4 + over + COLO_NOTIFY_ENC_MAX);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	put_len(buf, over);
	n = colo_notify_encode(COLO_NOTIFY_MSG_PROXY_INIT, buf + 4 + over, COLO_NOTIFY_ENC_MAX);
	CU_ASSERT_FATAL(n > 0);
	colo_notify_dec_init(&dec);
	CU_ASSERT_EQUAL(feed_all(&dec, buf, 4 + over - 100, msgs, 2, &nb_over), 0);
	CU_ASSERT_EQUAL(nb_over, 1);
	CU_ASSERT_EQUAL(dec.skip, 100);
	CU_ASSERT_EQUAL(feed_all(&dec, buf + 4 + over - 100, 100 + n, msgs, 2, &nb_over), 1);
	CU_ASSERT_EQUAL(msgs[0], COLO_NOTIFY_MSG_PROXY_INIT);
	CU_ASSERT_EQUAL(nb_over, 1);
	free(buf);
}

static void
test_huge_length_reported_at_once(void)
{
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 'D', 'O' };
	struct colo_notify_dec dec;
	enum colo_notify_status st;
	enum colo_notify_msg msg;
	size_t used;

	colo_notify_dec_init(&dec);
	st = colo_notify_dec_feed(&dec, huge, sizeof(huge), &used, &msg);
	CU_ASSERT_EQUAL(st, COLO_NOTIFY_OVERSIZED);
	CU_ASSERT_EQUAL(used, 4);
	CU_ASSERT_EQUAL(dec.skip, 0xffffffffu);
	st = colo_notify_dec_feed(&dec, huge + 4, 2, &used, &msg);
	CU_ASSERT_EQUAL(st, COLO_NOTIFY_NEED_MORE);
	CU_ASSERT_EQUAL(used, 2);
	CU_ASSERT_EQUAL(dec.skip, 0xffffffffu - 2);
}

static void
test_length_zero_is_unknown(void)
{
	uint8_t buf[4 + COLO_NOTIFY_ENC_MAX] = { 0, 0, 0, 0 };
	struct colo_notify_dec dec;
	enum colo_notify_status st;
	enum colo_notify_msg msg;
	size_t used;
	int n;

	n = colo_notify_encode(COLO_NOTIFY_MSG_DO_CHECKPOINT, buf + 4, COLO_NOTIFY_ENC_MAX);
	colo_notify_dec_init(&dec);
	st = colo_notify_dec_feed(&dec, buf, 4 + n, &used, &msg);
	CU_ASSERT_EQUAL(st, COLO_NOTIFY_RECORD);
	CU_ASSERT_EQUAL(msg, COLO_NOTIFY_MSG_UNKNOWN);
	CU_ASSERT_EQUAL(used, 4);
	CU_ASSERT_FALSE(colo_notify_dec_partial(&dec));
	st = colo_notify_dec_feed(&dec, buf + 4, n, &used, &msg);
	CU_ASSERT_EQUAL(st, COLO_NOTIFY_RECORD);
	CU_ASSERT_EQUAL(msg, COLO_NOTIFY_MSG_DO_CHECKPOINT);
}

static void
test_empty_feed(void)
{
	struct colo_notify_dec dec;
	enum colo_notify_msg msg;
	size_t used = 123;

	colo_notify_dec_init(&dec);
	CU_ASSERT_EQUAL(colo_notify_dec_feed(&dec, NULL, 0, &used, &msg), COLO_NOTIFY_NEED_MORE);
	CU_ASSERT_EQUAL(used, 0);
	CU_ASSERT_FALSE(colo_notify_dec_partial(&dec));
}

static const struct unit_case cases[] = {
	{ "DO_CHECKPOINT encodes to QEMU's notify_dev bytes", test_do_checkpoint_bytes },
	{ "message strings are exact and carry no NUL", test_message_strings_exact },
	{ "encode refuses unknown messages and short buffers", test_encode_errors },
	{ "every message round trips", test_round_trip_each_message },
	{ "byte-at-a-time feeding decodes every message", test_byte_at_a_time },
	{ "two records in one buffer decode one per call", test_two_records_one_buffer },
	{ "a partial record completes with the rest", test_partial_then_rest },
	{ "an unknown message decodes as UNKNOWN and keeps sync", test_unknown_message },
	{ "a record longer than the body buffer is UNKNOWN",
			test_long_record_within_cap_is_unknown },
	{ "an oversized record is skipped, then a valid record decodes",
			test_oversized_skipped_then_valid },
	{ "the skip of an oversized body ends mid-buffer",
			test_oversized_body_and_next_record_in_one_buffer },
	{ "a huge length prefix is reported at once, without buffering",
			test_huge_length_reported_at_once },
	{ "a length-0 record is UNKNOWN", test_length_zero_is_unknown },
	{ "feeding nothing consumes nothing", test_empty_feed },
};

int
main(void)
{
	return unit_run("notify_proto", cases, RTE_DIM(cases));
}
