/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness of the notify decoder (lib/colo_notify_proto.c). The
 * input is a byte stream cut into chunks of fuzzer-chosen sizes, as a socket
 * would deliver it. The incremental decoder must report exactly what a
 * whole-stream reference decoder written here reports, consume no more than
 * it is given, always make progress, and skip oversized records.
 *
 * Input: repeated [chunk size byte][chunk bytes]; the stream is the
 * concatenation of the chunks.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "colo_notify_proto.h"
#include "fuzz_common.h"

struct event {
	enum colo_notify_status status;
	enum colo_notify_msg msg;
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The protocol as the reference knows it, written out again on purpose: a
 * message added to enum colo_notify_msg must be added here too (and to
 * notify.dict and make_seeds.py), or the start-up check below fails. */
static const char *const ref_strs[] = {
	[COLO_NOTIFY_MSG_PROXY_INIT] = "COLO_USERSPACE_PROXY_INIT",
	[COLO_NOTIFY_MSG_GET_XEN_INIT] = "COLO_COMPARE_GET_XEN_INIT",
	[COLO_NOTIFY_MSG_DO_CHECKPOINT] = "DO_CHECKPOINT",
	[COLO_NOTIFY_MSG_CHECKPOINT_DONE] = "COLO_CHECKPOINT",
	[COLO_NOTIFY_MSG_FAILOVER] = "COLO_FAILOVER",
};

/* Every message survives encode and decode; nothing else encodes. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t buf[COLO_NOTIFY_ENC_MAX];
	struct colo_notify_dec dec;
	enum colo_notify_msg msg;
	unsigned int i;
	size_t used, len;
	int n;

	(void)argc;
	(void)argv;
	for (i = 0; i < RTE_DIM(ref_strs) + 4; i++) {
		n = colo_notify_encode((enum colo_notify_msg)i, buf, sizeof(buf));
		if (i == COLO_NOTIFY_MSG_UNKNOWN || i >= RTE_DIM(ref_strs)) {
			FUZZ_CHECK(n == -EINVAL);
			FUZZ_CHECK(colo_notify_msg_str((enum colo_notify_msg)i, &len) == NULL &&
					len == 0);
			continue;
		}
		FUZZ_CHECK(n == (int)(COLO_NOTIFY_HDR_LEN + strlen(ref_strs[i])));
		FUZZ_CHECK(colo_notify_encode((enum colo_notify_msg)i, buf, (size_t)n - 1) ==
				-ENOSPC);
		colo_notify_dec_init(&dec);
		FUZZ_CHECK(colo_notify_dec_feed(&dec, buf, (size_t)n, &used, &msg) ==
				COLO_NOTIFY_RECORD);
		FUZZ_CHECK(used == (size_t)n && msg == (enum colo_notify_msg)i);
		FUZZ_CHECK(!colo_notify_dec_partial(&dec));
	}
	return 0;
}

static enum colo_notify_msg
ref_classify(const uint8_t *body, uint32_t len)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(ref_strs); i++)
		if (ref_strs[i] != NULL && strlen(ref_strs[i]) == len &&
				memcmp(body, ref_strs[i], len) == 0)
			return (enum colo_notify_msg)i;
	return COLO_NOTIFY_MSG_UNKNOWN;
}

/* The whole stream at once. Returns the events; *partial says whether the
 * stream ends inside a record (prefix, body or skipped body). */
static size_t
ref_decode(const uint8_t *s, size_t n, struct event *ev, bool *partial)
{
	size_t pos = 0, nb = 0;
	uint32_t len;

	*partial = false;
	for (;;) {
		if (n - pos < COLO_NOTIFY_HDR_LEN) {
			*partial = n - pos != 0;
			return nb;
		}
		len = (uint32_t)s[pos] << 24 | (uint32_t)s[pos + 1] << 16 |
		      (uint32_t)s[pos + 2] << 8 | s[pos + 3];
		pos += COLO_NOTIFY_HDR_LEN;
		if (len > COLO_NOTIFY_MAX_LEN) {
			ev[nb++] = (struct event){ COLO_NOTIFY_OVERSIZED, COLO_NOTIFY_MSG_UNKNOWN };
		} else {
			if (n - pos < len) {
				*partial = true;
				return nb;
			}
			ev[nb++] = (struct event){ COLO_NOTIFY_RECORD, ref_classify(s + pos, len) };
		}
		if (n - pos < len) {
			*partial = true;
			return nb;
		}
		pos += len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct event *ref, *got;
	size_t nb_ref, nb_got = 0, slen = 0, clen, off, used, i;
	struct colo_notify_dec dec;
	enum colo_notify_status status;
	enum colo_notify_msg msg;
	uint8_t *stream;
	const uint8_t *chunk;
	bool ref_partial;

	stream = malloc(size + 1);
	ref = calloc(size / COLO_NOTIFY_HDR_LEN + 1, sizeof(*ref));
	got = calloc(size / COLO_NOTIFY_HDR_LEN + 1, sizeof(*got));
	FUZZ_CHECK(stream != NULL && ref != NULL && got != NULL);

	colo_notify_dec_init(&dec);
	FUZZ_CHECK(!colo_notify_dec_partial(&dec));
	while (in.n != 0) {
		uint8_t c = fuzz_u8(&in);

		chunk = fuzz_bytes(&in, c < 200 ? c : (c - 199u) * 97u, &clen);
		memcpy(stream + slen, chunk, clen);
		slen += clen;
		off = 0;
		do {
			used = SIZE_MAX;
			status = colo_notify_dec_feed(&dec, chunk + off, clen - off, &used, &msg);
			FUZZ_CHECK(used <= clen - off);
			/* Progress: bytes given are either consumed or a record ended. */
			FUZZ_CHECK(clen - off == 0 || used > 0);
			if (status == COLO_NOTIFY_NEED_MORE)
				FUZZ_CHECK(used == clen - off);
			if (status != COLO_NOTIFY_RECORD)
				FUZZ_CHECK(msg == COLO_NOTIFY_MSG_UNKNOWN);
			FUZZ_CHECK(status == COLO_NOTIFY_NEED_MORE ||
					status == COLO_NOTIFY_RECORD ||
					status == COLO_NOTIFY_OVERSIZED);
			FUZZ_CHECK((unsigned int)msg < RTE_DIM(ref_strs));
			if (status != COLO_NOTIFY_NEED_MORE) {
				FUZZ_CHECK(nb_got <= size / COLO_NOTIFY_HDR_LEN);
				got[nb_got++] = (struct event){ status, msg };
			}
			off += used;
		} while (off < clen);
	}

	nb_ref = ref_decode(stream, slen, ref, &ref_partial);
	FUZZ_CHECK(nb_got == nb_ref);
	for (i = 0; i < nb_ref; i++) {
		FUZZ_CHECK(got[i].status == ref[i].status);
		FUZZ_CHECK(got[i].msg == ref[i].msg);
	}
	FUZZ_CHECK(colo_notify_dec_partial(&dec) == ref_partial);

	free(stream);
	free(ref);
	free(got);
	return 0;
}
