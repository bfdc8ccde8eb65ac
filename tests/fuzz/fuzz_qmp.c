/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness of the QMP engine (lib/colo_qmp.c). The input is a
 * program that interleaves what QEMU sends (byte chunks of any size) with
 * what colo-proxy does (checkpoint requests, ticks as time passes,
 * reconnects, commands, refreshes). After every step the harness drains the
 * output and the events like the app would, and checks: feed uses no more
 * than it is given and always makes progress once events are drained;
 * every command written is one line holding one JSON object with an
 * "execute" name and a fresh integer id; events are valid; a checkpoint
 * releases held frames only up to its STOP timestamp (and never past the
 * present) unless it answered a trigger of ours; the counters agree.
 *
 * Input: [role][op]...; op < 200: feed the next op bytes; 200-219 request;
 * 220-239 tick after (op - 219) * u8 ms; 240-244 disconnect and connect;
 * 245-249 execute; 250-255 refresh.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "colo_qmp.h"
#include "fuzz_common.h"

#define T0 1796403190000000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct state {
	struct colo_qmp *q;
	int64_t now;
	uint64_t last_id;
	uint64_t begun, done;
	bool in_ckpt;
	int64_t begin_us;
};

/* Check and discard what the engine wants written. */
static void
drain_output(struct state *s)
{
	const uint8_t *out;
	const char *p, *nl;
	size_t len;
	json_t *cmd, *id, *ex;

	out = colo_qmp_output(s->q, &len);
	FUZZ_CHECK(len == 0 || out[len - 1] == '\n');
	p = (const char *)out;
	while (len > 0) {
		nl = memchr(p, '\n', len);
		FUZZ_CHECK(nl != NULL);
		cmd = json_loadb(p, (size_t)(nl - p), JSON_REJECT_DUPLICATES, NULL);
		FUZZ_CHECK(json_is_object(cmd));
		ex = json_object_get(cmd, "execute");
		id = json_object_get(cmd, "id");
		FUZZ_CHECK(json_is_string(ex) && json_is_integer(id));
		FUZZ_CHECK((uint64_t)json_integer_value(id) > s->last_id);
		s->last_id = (uint64_t)json_integer_value(id);
		json_decref(cmd);
		len -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	out = colo_qmp_output(s->q, &len);
	colo_qmp_output_done(s->q, len);
}

static void
drain_events(struct state *s)
{
	struct colo_qmp_event ev;

	while (colo_qmp_next_event(s->q, &ev)) {
		FUZZ_CHECK(ev.type >= COLO_QMP_EV_READY && ev.type <= COLO_QMP_EV_ERROR);
		FUZZ_CHECK(memchr(ev.text, '\0', sizeof(ev.text)) != NULL);
		switch (ev.type) {
		case COLO_QMP_EV_CKPT_BEGIN:
			s->begun++;
			FUZZ_CHECK(ev.seq == s->begun);
			s->in_ckpt = true;
			s->begin_us = ev.begin_us;
			break;
		case COLO_QMP_EV_CKPT_DONE:
			s->done++;
			FUZZ_CHECK(s->in_ckpt && ev.seq == s->begun);
			FUZZ_CHECK(ev.begin_us == s->begin_us);
			s->in_ckpt = false;
			/* The safety property: without a trigger of ours, nothing seen
			 * after the STOP, nor in the future, may be released. */
			if (!ev.requested) {
				FUZZ_CHECK(ev.release_before_us == 0 ||
						ev.release_before_us == ev.begin_us);
				FUZZ_CHECK(ev.release_before_us <= s->now + 1000);
			}
			break;
		case COLO_QMP_EV_COLO_EXIT:
			s->in_ckpt = false;
			break;
		case COLO_QMP_EV_ERROR:
			FUZZ_CHECK(colo_qmp_state(s->q) == COLO_QMP_FAILED);
			break;
		default:
			break;
		}
	}
}

static void
reconnect(struct state *s)
{
	colo_qmp_disconnected(s->q, s->now);
	FUZZ_CHECK(colo_qmp_state(s->q) == COLO_QMP_DOWN);
	s->in_ckpt = false;
	colo_qmp_connected(s->q, s->now);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct colo_qmp_conf conf = { 0 };
	struct fuzz_in in = { data, size };
	const struct colo_qmp_stats *st;
	struct state s = { .now = T0 };
	size_t clen, off, used;
	const uint8_t *chunk;
	uint8_t op;
	int rc;

	conf.role = fuzz_u8(&in) & 1 ? COLO_QMP_ROLE_SECONDARY : COLO_QMP_ROLE_PRIMARY;
	s.q = colo_qmp_create(&conf);
	FUZZ_CHECK(s.q != NULL);
	st = colo_qmp_stats(s.q);
	colo_qmp_connected(s.q, s.now);
	while (in.n != 0) {
		op = fuzz_u8(&in);
		if (op < 200) {
			chunk = fuzz_bytes(&in, op, &clen);
			s.now += 100;
			off = 0;
			while (off < clen) {
				used = colo_qmp_feed(s.q, chunk + off, clen - off, s.now);
				FUZZ_CHECK(used <= clen - off);
				/* With the queue drained, all of it is taken. */
				if (used == 0)
					FUZZ_CHECK(colo_qmp_next_event(s.q, &(struct colo_qmp_event){ 0 }));
				off += used;
				drain_events(&s);
				drain_output(&s);
			}
		} else if (op < 220) {
			rc = colo_qmp_request(s.q, s.now - (int64_t)(op - 200) * 1000, s.now);
			FUZZ_CHECK(rc == 0 || rc == 1 || rc == -ENOTSUP || rc == -ENOTCONN ||
					rc == -ENODEV);
			FUZZ_CHECK((rc == -ENOTSUP) == (conf.role == COLO_QMP_ROLE_SECONDARY));
		} else if (op < 240) {
			s.now += (int64_t)(op - 219) * fuzz_u8(&in) * 1000;
			colo_qmp_tick(s.q, s.now);
		} else if (op < 245) {
			reconnect(&s);
		} else if (op < 250) {
			rc = (int)colo_qmp_execute(s.q, op & 1 ? "stop" : "migrate-set-parameters",
					op & 1 ? NULL : "{\"x-checkpoint-delay\": 200}", s.now);
			FUZZ_CHECK(rc > 0 || rc == -ENOTCONN || rc == -EBUSY);
		} else {
			rc = colo_qmp_refresh(s.q, s.now);
			FUZZ_CHECK(rc == 0 || rc == -ENOTCONN || rc == -EBUSY);
		}
		drain_events(&s);
		drain_output(&s);
	}
	FUZZ_CHECK(st->ckpt_done <= st->ckpt_begun);
	FUZZ_CHECK(st->ckpt_requested <= st->ckpt_done);
	FUZZ_CHECK(st->requests_coalesced <= st->requests);
	FUZZ_CHECK(st->ckpt_done == s.done && st->ckpt_begun == s.begun);
	colo_qmp_free(s.q);
	return 0;
}
