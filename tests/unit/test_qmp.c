/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CUnit suite for lib/colo_qmp.c: the handshake, checkpoint requests and
 * their coalescing, the COLO event sequences measured with QEMU 7.2 (one
 * checkpoint, a burst of requests, COLO_EXIT error and request on either
 * side, QMP loss, STOP/RESUME outside COLO), when held frames may be
 * released, timeouts, and hostile input. The lines fed are QEMU's own
 * format; the commands the engine writes are parsed back and checked.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include <rte_common.h>
#include <jansson.h>

#include "colo_qmp.h"
#include "unit.h"

#define T0 1796403190000000LL /* a QEMU timestamp, in microseconds */

static const char greeting[] =
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, "
	"\"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": [\"oob\"]}}\r\n";

static void
feed(struct colo_qmp *q, const char *s, int64_t now)
{
	size_t len = strlen(s);

	CU_ASSERT_EQUAL(colo_qmp_feed(q, (const uint8_t *)s, len, now), len);
}

static void
feedf(struct colo_qmp *q, int64_t now, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
feedf(struct colo_qmp *q, int64_t now, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	feed(q, buf, now);
}

/* An event line as QEMU writes it, stamped @p ts microseconds. */
static void
event(struct colo_qmp *q, const char *name, const char *data, int64_t ts, int64_t now)
{
	if (data != NULL)
		feedf(q, now, "{\"timestamp\": {\"seconds\": %lld, \"microseconds\": %lld}, "
				"\"event\": \"%s\", \"data\": %s}\r\n",
				(long long)(ts / 1000000), (long long)(ts % 1000000), name, data);
	else
		feedf(q, now, "{\"timestamp\": {\"seconds\": %lld, \"microseconds\": %lld}, "
				"\"event\": \"%s\"}\r\n",
				(long long)(ts / 1000000), (long long)(ts % 1000000), name);
}

/*
 * Take the first command from the engine's output: check its name (and
 * x-checkpoint-delay if @p delay >= 0) and return its id. Fails the test if
 * there is none.
 */
static long long
take_cmd(struct colo_qmp *q, const char *name, long long delay)
{
	const uint8_t *out;
	const char *nl;
	json_t *cmd;
	long long id;
	size_t len;

	out = colo_qmp_output(q, &len);
	CU_ASSERT_FATAL(len > 0);
	nl = memchr(out, '\n', len);
	CU_ASSERT_FATAL(nl != NULL);
	cmd = json_loadb((const char *)out, (size_t)(nl - (const char *)out), 0, NULL);
	CU_ASSERT_FATAL(cmd != NULL);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(cmd, "execute")), name);
	if (delay >= 0)
		CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(cmd, "arguments"),
						"x-checkpoint-delay")), delay);
	CU_ASSERT_FATAL(json_is_integer(json_object_get(cmd, "id")));
	id = json_integer_value(json_object_get(cmd, "id"));
	json_decref(cmd);
	colo_qmp_output_done(q, (size_t)(nl - (const char *)out) + 1);
	return id;
}

static void
no_output(struct colo_qmp *q)
{
	size_t len;

	colo_qmp_output(q, &len);
	CU_ASSERT_EQUAL(len, 0);
}

static void
reply(struct colo_qmp *q, long long id, const char *ret, int64_t now)
{
	feedf(q, now, "{\"return\": %s, \"id\": %lld}\r\n", ret, id);
}

/* The next event must be of @p type. */
static struct colo_qmp_event
expect_ev(struct colo_qmp *q, enum colo_qmp_ev_type type)
{
	struct colo_qmp_event ev;

	memset(&ev, 0, sizeof(ev));
	CU_ASSERT_FATAL(colo_qmp_next_event(q, &ev));
	if (ev.type != type)
		fprintf(stderr, "\nexpected event %s, got %s (%s)\n", colo_qmp_ev_str(type),
				colo_qmp_ev_str(ev.type), ev.text);
	CU_ASSERT_EQUAL_FATAL(ev.type, type);
	return ev;
}

static void
no_event(struct colo_qmp *q)
{
	struct colo_qmp_event ev;

	CU_ASSERT_FALSE(colo_qmp_next_event(q, &ev));
}

static const char *
params_reply(long long delay)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "{\"cpu-throttle-initial\": 20, \"x-checkpoint-delay\": %lld, "
			"\"max-bandwidth\": 134217728}", delay);
	return buf;
}

/* Connect and complete the handshake; @p mode is query-colo-status's answer. */
static struct colo_qmp *
ready(enum colo_qmp_role role, const char *mode, long long delay)
{
	struct colo_qmp_conf conf = { .role = role };
	struct colo_qmp_event ev;
	struct colo_qmp *q;
	long long caps, st, pa;
	char ret[128];

	q = colo_qmp_create(&conf);
	CU_ASSERT_FATAL(q != NULL);
	colo_qmp_connected(q, T0);
	CU_ASSERT_EQUAL(colo_qmp_state(q), COLO_QMP_GREETING);
	no_output(q);
	feed(q, greeting, T0);
	CU_ASSERT_EQUAL(colo_qmp_qemu_version(q), 70222);
	caps = take_cmd(q, "qmp_capabilities", -1);
	no_output(q);
	reply(q, caps, "{}", T0);
	st = take_cmd(q, "query-colo-status", -1);
	pa = take_cmd(q, "query-migrate-parameters", -1);
	snprintf(ret, sizeof(ret), "{\"last-mode\": \"none\", \"mode\": \"%s\", \"reason\": \"none\"}",
			mode);
	reply(q, st, ret, T0);
	no_event(q);
	reply(q, pa, params_reply(delay), T0);
	ev = expect_ev(q, COLO_QMP_EV_READY);
	CU_ASSERT_EQUAL(ev.delay_ms, delay);
	CU_ASSERT_EQUAL(colo_qmp_state(q), COLO_QMP_READY);
	CU_ASSERT_EQUAL(colo_qmp_delay_ms(q), delay);
	no_event(q);
	no_output(q);
	return q;
}

/* Request for a mismatch seen at @p seen and answer the commands it sends, up
 * to the acknowledged migrate-set-parameters. */
static void
request_and_trigger(struct colo_qmp *q, int64_t seen, int64_t now, long long delay)
{
	long long id;

	CU_ASSERT_EQUAL(colo_qmp_request(q, seen, now), 1);
	id = take_cmd(q, "query-migrate-parameters", -1);
	no_output(q);
	reply(q, id, params_reply(delay), now + 50);
	id = take_cmd(q, "migrate-set-parameters", delay);
	no_output(q);
	reply(q, id, "{}", now + 100);
}

static void
test_handshake(void)
{
	struct colo_qmp *q = ready(COLO_QMP_ROLE_PRIMARY, "primary", 20000);

	CU_ASSERT_TRUE(colo_qmp_colo_active(q));
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->cmds_sent, 3);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->malformed, 0);
	colo_qmp_free(q);

	q = ready(COLO_QMP_ROLE_PRIMARY, "none", 200);
	CU_ASSERT_FALSE(colo_qmp_colo_active(q));
	CU_ASSERT_EQUAL(colo_qmp_request(q, T0, T0), -ENODEV);
	colo_qmp_free(q);

	/* A primary engine pointed at the secondary's QMP is not active. */
	q = ready(COLO_QMP_ROLE_PRIMARY, "secondary", 200);
	CU_ASSERT_FALSE(colo_qmp_colo_active(q));
	colo_qmp_free(q);
}

/* Notes, "Event sequence of one checkpoint", as the primary sees it. */
static void
test_one_checkpoint(void)
{
	struct colo_qmp *q = ready(COLO_QMP_ROLE_PRIMARY, "primary", 20000);
	int64_t seen = T0 + 1000, t = T0 + 2000;
	struct colo_qmp_event ev;

	request_and_trigger(q, seen, t, 20000);
	no_event(q);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->ckpt_triggers, 1);
	event(q, "STOP", NULL, t + 900, t + 950);
	ev = expect_ev(q, COLO_QMP_EV_CKPT_BEGIN);
	CU_ASSERT_EQUAL(ev.seq, 1);
	CU_ASSERT_EQUAL(ev.begin_us, t + 900);
	event(q, "MIGRATION_PASS", "{\"pass\": 4}", t + 1700, t + 1750);
	no_event(q);
	event(q, "RESUME", "{}", t + 42900, t + 43000);
	ev = expect_ev(q, COLO_QMP_EV_CKPT_DONE);
	CU_ASSERT_EQUAL(ev.seq, 1);
	CU_ASSERT_EQUAL(ev.begin_us, t + 900);
	CU_ASSERT_EQUAL(ev.end_us, t + 42900);
	CU_ASSERT_EQUAL(ev.pass, 4);
	CU_ASSERT_TRUE(ev.requested);
	CU_ASSERT_EQUAL(ev.release_before_us, t + 900);
	CU_ASSERT(ev.release_before_us > seen);
	no_event(q);
	no_output(q); /* covered: nothing asked again */
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->ckpt_done, 1);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->ckpt_requested, 1);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->last_ckpt_us, 42000);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->last_pass, 4);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->last_req_to_done_us, 43000);
	colo_qmp_free(q);
}

/* An operator changed x-checkpoint-delay: the trigger re-sets the new value. */
static void
test_trigger_uses_fresh_delay(void)
{
	struct colo_qmp *q = ready(COLO_QMP_ROLE_PRIMARY, "primary", 20000);

	request_and_trigger(q, T0 + 1, T0 + 10, 5000);
	CU_ASSERT_EQUAL(colo_qmp_delay_ms(q), 5000);
	colo_qmp_free(q);
}

/* Notes: a burst of requests is absorbed by the one in flight; a request seen
 * during a checkpoint that began before it causes exactly one more trigger,
 * sent after RESUME. */
static void
test_burst_coalesced(void)
{
	struct colo_qmp *q = ready(COLO_QMP_ROLE_PRIMARY, "primary", 20000);
	int64_t t = T0 + 1000000;
	struct colo_qmp_event ev;
	long long id;
	int i;

	CU_ASSERT_EQUAL(colo_qmp_request(q, t, t), 1);
	for (i = 1; i <= 10; i++)
		CU_ASSERT_EQUAL(colo_qmp_request(q, t + i, t + i), 0);
	id = take_cmd(q, "query-migrate-parameters", -1);
	no_output(q);
	reply(q, id, params_reply(20000), t + 20);
	id = take_cmd(q, "migrate-set-parameters", 20000);
	CU_ASSERT_EQUAL(colo_qmp_request(q, t + 30, t + 30), 0);
	no_output(q);
	reply(q, id, "{}", t + 40);
	CU_ASSERT_EQUAL(colo_qmp_request(q, t + 50, t + 50), 0);
	no_output(q);
	event(q, "STOP", NULL, t + 1000, t + 1010);
	expect_ev(q, COLO_QMP_EV_CKPT_BEGIN);
	/* Seen after the STOP: this checkpoint cannot release it. */
	CU_ASSERT_EQUAL(colo_qmp_request(q, t + 2000, t + 2000), 0);
	no_output(q);
	event(q, "RESUME", NULL, t + 40000, t + 40010);
	ev = expect_ev(q, COLO_QMP_EV_CKPT_DONE);
	CU_ASSERT_EQUAL(ev.release_before_us, t + 1000);
	CU_ASSERT(ev.release_before_us > t + 50);
	CU_ASSERT(ev.release_before_us <= t + 2000);
	/* Exactly one more request. */
	id = take_cmd(q, "query-migrate-parameters", -1);
	no_output(q);
	reply(q, id, params_reply(20000), t + 40100);
	id = take_cmd(q, "migrate-set-parameters", 20000);
	reply(q, id, "{}", t + 40200);
	event(q, "STOP", NULL, t + 41000, t + 41010);
	event(q, "RESUME", NULL, t + 80000, t + 80010);
	expect_ev(q, COLO_QMP_EV_CKPT_BEGIN);
	ev = expect_ev(q, COLO_QMP_EV_CKPT_DONE);
	CU_ASSERT_EQUAL(ev.seq, 2);
	CU_ASSERT(ev.release_before_us > t + 2000);
	no_output(q);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->requests, 14);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->requests_coalesced, 13);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->ckpt_triggers, 2);
	colo_qmp_free(q);
}

/* QEMU's periodic checkpoints release too: only what was seen before their STOP. */
static void
test_periodic_checkpoint_releases(void)
{
	struct colo_qmp *q = ready(COLO_QMP_ROLE_PRIMARY, "primary", 20000);
	int64_t t = T0 + 5000000;
	struct colo_qmp_event ev;
	long long id;

	event(q, "STOP", NULL, t, t + 10);
	ev = expect_ev(q, COLO_QMP_EV_CKPT_BEGIN);
	event(q, "MIGRATION_PASS", "{\"pass\": 2}", t + 800, t + 810);
	event(q, "RESUME", NULL, t + 42000, t + 42010);
	ev = expect_ev(q, COLO_QMP_EV_CKPT_DONE);
	CU_ASSERT_FALSE(ev.requested);
	CU_ASSERT_EQUAL(ev.release_before_us, t);
	CU_ASSERT_EQUAL(ev.pass, 2);

	/* A trigger in flight when a periodic checkpoint starts: the periodic one
	 * covers the mismatch by its timestamp, so the request ends there. */
	t += 1000000;
	CU_ASSERT_EQUAL(colo_qmp_request(q, t, t), 1);
	id = take_cmd(q, "query-migrate-parameters", -1);
	event(q, "STOP", NULL, t + 5, t + 20);
	ev = expect_ev(q, COLO_QMP_EV_CKPT_BEGIN);
	reply(q, id, params_reply(20000), t + 30);
	id = take_cmd(q, "migrate-set-parameters", 20000);
	reply(q, id, "{}", t + 40);
	event(q, "RESUME", NULL, t + 40000, t + 40010);
	ev = expect_ev(q, COLO_QMP_EV_CKPT_DONE);
	CU_ASSERT_FALSE(ev.requested);
	CU_ASSERT_EQUAL(ev.release_before_us, t + 5);
	no_output(q);
	/* The trigger, acknowledged during the checkpoint, may have been absorbed:
	 * nothing waits for it, so no timeout follows. */
	colo_qmp_tick(q, t + 10000000);
	no_output(q);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->ckpt_timeouts, 0);
	colo_qmp_free(q);
}

/* Notes, "periodic checkpoint then failure" on the primary (raw lines). */
static void
test_colo_exit_error(void)
{
	struct colo_qmp *q = ready(COLO_QMP_ROLE_PRIMARY, "primary", 20000);
	struct colo_qmp_event ev;
	int64_t t = T0 + 100;

	feed(q, "{\"event\": \"STOP\", \"data\": {}, \"timestamp\": {\"seconds\": 1796403190, "
		"\"microseconds\": 200}}\r\n", t);
	expect_ev(q, COLO_QMP_EV_CKPT_BEGIN);
	feed(q, "{\"event\": \"MIGRATION_PASS\", \"data\": {\"pass\": 4}, \"timestamp\": "
		"{\"seconds\": 1796403190, \"microseconds\": 900}}\r\n", t + 900);
	feed(q, "{\"event\": \"RESUME\", \"data\": {}, \"timestamp\": {\"seconds\": 1796403190, "
		"\"microseconds\": 42000}}\r\n", t + 42000);
	ev = expect_ev(q, COLO_QMP_EV_CKPT_DONE);
	CU_ASSERT_EQUAL(ev.pass, 4);
	/* A request in flight when COLO ends is dropped. */
	CU_ASSERT_EQUAL(colo_qmp_request(q, t + 50000, t + 50000), 1);
	take_cmd(q, "query-migrate-parameters", -1);
	feed(q, "{\"event\": \"COLO_EXIT\", \"data\": {\"mode\": \"primary\", \"reason\": "
		"\"error\"}, \"timestamp\": {\"seconds\": 1796403190, \"microseconds\": 60000}}\r\n",
			t + 60000);
	ev = expect_ev(q, COLO_QMP_EV_COLO_EXIT);
	CU_ASSERT_EQUAL(ev.mode, COLO_QMP_MODE_PRIMARY);
	CU_ASSERT_EQUAL(ev.reason, COLO_QMP_EXIT_ERROR);
	CU_ASSERT_FALSE(colo_qmp_colo_active(q));
	/* The late reply to the dropped request sends nothing. */
	reply(q, 4, params_reply(20000), t + 60100);
	no_output(q);
	CU_ASSERT_EQUAL(colo_qmp_request(q, t + 70000, t + 70000), -ENODEV);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->colo_exits, 1);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->replies_unexpected, 0);
	colo_qmp_free(q);
}

/* Notes, secondary died: x-colo-lost-heartbeat on P gives STOP,
 * MIGRATION{completed}, COLO_EXIT{primary,request}, RESUME within 0.4 ms. */
static void
test_colo_exit_request_primary(void)
{
	struct colo_qmp *q = ready(COLO_QMP_ROLE_PRIMARY, "primary", 20000);
	struct colo_qmp_event ev;
	int64_t t = T0 + 1000;
	int64_t id;

	id = colo_qmp_execute(q, "x-colo-lost-heartbeat", NULL, t);
	CU_ASSERT(id > 0);
	CU_ASSERT_EQUAL(take_cmd(q, "x-colo-lost-heartbeat", -1), id);
	event(q, "STOP", NULL, t + 100, t + 110);
	event(q, "MIGRATION", "{\"status\": \"completed\"}", t + 200, t + 210);
	event(q, "COLO_EXIT", "{\"mode\": \"primary\", \"reason\": \"request\"}", t + 300, t + 310);
	event(q, "RESUME", NULL, t + 400, t + 410);
	reply(q, id, "{}", t + 500);
	expect_ev(q, COLO_QMP_EV_CKPT_BEGIN);
	ev = expect_ev(q, COLO_QMP_EV_COLO_EXIT);
	CU_ASSERT_EQUAL(ev.mode, COLO_QMP_MODE_PRIMARY);
	CU_ASSERT_EQUAL(ev.reason, COLO_QMP_EXIT_REQUEST);
	ev = expect_ev(q, COLO_QMP_EV_REPLY);
	CU_ASSERT_EQUAL(ev.seq, (uint64_t)id);
	CU_ASSERT_TRUE(ev.ok);
	no_event(q); /* the RESUME is outside COLO: no checkpoint done */
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->ckpt_aborted, 1);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->ckpt_done, 0);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->resume_outside_colo, 1);
	colo_qmp_free(q);
}

/* Notes, primary died: S reports COLO_EXIT{secondary,error} by itself; the
 * failover that follows (STOP, MIGRATION completed, RESUME) is outside COLO. */
static void
test_secondary_takeover(void)
{
	struct colo_qmp *q = ready(COLO_QMP_ROLE_SECONDARY, "secondary", 20000);
	struct colo_qmp_event ev;
	int64_t t = T0 + 1000;

	CU_ASSERT_TRUE(colo_qmp_colo_active(q));
	CU_ASSERT_EQUAL(colo_qmp_request(q, t, t), -ENOTSUP);
	/* A checkpoint as S sees it: the reset-offsets signal. */
	event(q, "STOP", NULL, t + 8, t + 10);
	expect_ev(q, COLO_QMP_EV_CKPT_BEGIN);
	event(q, "RESUME", NULL, t + 3700, t + 3710);
	ev = expect_ev(q, COLO_QMP_EV_CKPT_DONE);
	CU_ASSERT_EQUAL(ev.seq, 1);
	CU_ASSERT_EQUAL(ev.release_before_us, 0);
	event(q, "COLO_EXIT", "{\"mode\": \"secondary\", \"reason\": \"error\"}", t + 9000, t + 9010);
	ev = expect_ev(q, COLO_QMP_EV_COLO_EXIT);
	CU_ASSERT_EQUAL(ev.mode, COLO_QMP_MODE_SECONDARY);
	CU_ASSERT_EQUAL(ev.reason, COLO_QMP_EXIT_ERROR);
	CU_ASSERT(colo_qmp_execute(q, "x-colo-lost-heartbeat", NULL, t + 9100) > 0);
	event(q, "STOP", NULL, t + 9200, t + 9210);
	event(q, "MIGRATION", "{\"status\": \"completed\"}", t + 9300, t + 9310);
	event(q, "RESUME", NULL, t + 9400, t + 9410);
	no_event(q);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->stop_outside_colo, 1);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->resume_outside_colo, 1);
	colo_qmp_free(q);
}

/* QMP loss in the middle of a checkpoint: aborted, requests refused, and a
 * new connection starts over. */
static void
test_qmp_loss(void)
{
	struct colo_qmp *q = ready(COLO_QMP_ROLE_PRIMARY, "primary", 20000);
	struct colo_qmp_event ev;
	int64_t t = T0 + 1000;
	long long caps;

	request_and_trigger(q, t, t + 1, 20000);
	event(q, "STOP", NULL, t + 500, t + 510);
	expect_ev(q, COLO_QMP_EV_CKPT_BEGIN);
	colo_qmp_disconnected(q, t + 600);
	CU_ASSERT_EQUAL(colo_qmp_state(q), COLO_QMP_DOWN);
	CU_ASSERT_FALSE(colo_qmp_colo_active(q));
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->ckpt_aborted, 1);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->disconnects, 1);
	CU_ASSERT_EQUAL(colo_qmp_request(q, t + 700, t + 700), -ENOTCONN);
	/* Bytes after the loss are ignored. */
	event(q, "RESUME", NULL, t + 800, t + 810);
	no_event(q);
	no_output(q);

	colo_qmp_connected(q, t + 1000);
	feed(q, greeting, t + 1100);
	caps = take_cmd(q, "qmp_capabilities", -1);
	reply(q, caps, "{}", t + 1200);
	reply(q, take_cmd(q, "query-colo-status", -1),
			"{\"last-mode\": \"none\", \"mode\": \"primary\", \"reason\": \"none\"}",
			t + 1300);
	reply(q, take_cmd(q, "query-migrate-parameters", -1), params_reply(20000), t + 1300);
	ev = expect_ev(q, COLO_QMP_EV_READY);
	CU_ASSERT_TRUE(ev.colo_active);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->connects, 2);
	/* The RESUME of the lost checkpoint, if it ever comes, is not one. */
	event(q, "RESUME", NULL, t + 1400, t + 1410);
	no_event(q);
	colo_qmp_free(q);
}

/* STOP/RESUME outside COLO (a stop command, I/O errors) are not checkpoints. */
static void
test_stop_resume_outside_colo(void)
{
	struct colo_qmp *q = ready(COLO_QMP_ROLE_PRIMARY, "none", 20000);
	struct colo_qmp_event ev;
	int64_t id, t = T0 + 1000;

	id = colo_qmp_execute(q, "stop", NULL, t);
	take_cmd(q, "stop", -1);
	event(q, "STOP", NULL, t + 5, t + 10);
	reply(q, id, "{}", t + 20);
	ev = expect_ev(q, COLO_QMP_EV_REPLY);
	CU_ASSERT_TRUE(ev.ok);
	event(q, "RESUME", NULL, t + 50, t + 60);
	no_event(q);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->stop_outside_colo, 1);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->resume_outside_colo, 1);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->ckpt_begun, 0);

	/* COLO starts (MIGRATION status colo): the engine reads the mode again. */
	event(q, "MIGRATION", "{\"status\": \"colo\"}", t + 100, t + 110);
	reply(q, take_cmd(q, "query-colo-status", -1),
			"{\"last-mode\": \"none\", \"mode\": \"primary\", \"reason\": \"none\"}",
			t + 120);
	reply(q, take_cmd(q, "query-migrate-parameters", -1), params_reply(3000), t + 130);
	ev = expect_ev(q, COLO_QMP_EV_STATUS);
	CU_ASSERT_TRUE(ev.colo_active);
	CU_ASSERT_EQUAL(ev.mode, COLO_QMP_MODE_PRIMARY);
	CU_ASSERT_EQUAL(ev.delay_ms, 3000);
	event(q, "STOP", NULL, t + 200, t + 210);
	expect_ev(q, COLO_QMP_EV_CKPT_BEGIN);
	colo_qmp_free(q);
}

/* A STOP stamped in the future or before an earlier event (the clock stepped)
 * releases only what the stream order proves. */
static void
test_untrusted_timestamp(void)
{
	struct colo_qmp *q = ready(COLO_QMP_ROLE_PRIMARY, "primary", 20000);
	struct colo_qmp_event ev;
	int64_t t = T0 + 1000000;

	/* Periodic, stamped 10 s ahead of now: nothing may go. */
	event(q, "STOP", NULL, t + 10000000, t);
	expect_ev(q, COLO_QMP_EV_CKPT_BEGIN);
	event(q, "RESUME", NULL, t + 10040000, t + 40000);
	ev = expect_ev(q, COLO_QMP_EV_CKPT_DONE);
	CU_ASSERT_EQUAL(ev.release_before_us, 0);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->ts_untrusted, 1);

	/* Requested, stamped before the previous event: the trigger's order proves
	 * mismatches registered before it was sent, and no later ones. */
	t += 100000;
	request_and_trigger(q, t, t + 10, 20000);
	CU_ASSERT_EQUAL(colo_qmp_request(q, t + 500, t + 500), 0);
	event(q, "STOP", NULL, t - 50000, t + 1000);
	expect_ev(q, COLO_QMP_EV_CKPT_BEGIN);
	event(q, "RESUME", NULL, t - 10000, t + 41000);
	ev = expect_ev(q, COLO_QMP_EV_CKPT_DONE);
	CU_ASSERT_TRUE(ev.requested);
	CU_ASSERT_EQUAL(ev.release_before_us, t + 1);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->ts_untrusted, 2);
	/* The mismatch at t + 500 is not covered: asked again. */
	take_cmd(q, "query-migrate-parameters", -1);
	colo_qmp_free(q);
}

/* Timeouts: a trigger no checkpoint follows is sent again; an error reply is
 * retried later; a missing reply or greeting fails the connection. */
static void
test_timeouts(void)
{
	struct colo_qmp *q = ready(COLO_QMP_ROLE_PRIMARY, "primary", 20000);
	struct colo_qmp_conf conf = { .role = COLO_QMP_ROLE_PRIMARY };
	struct colo_qmp_event ev;
	int64_t t = T0 + 1000;
	long long id;

	request_and_trigger(q, t, t, 20000);
	colo_qmp_tick(q, t + 999000);
	no_output(q);
	colo_qmp_tick(q, t + 1000200);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->ckpt_timeouts, 1);
	id = take_cmd(q, "query-migrate-parameters", -1);
	reply(q, id, params_reply(20000), t + 1000300);
	id = take_cmd(q, "migrate-set-parameters", 20000);
	feedf(q, t + 1000400, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"nope\"}, "
			"\"id\": %lld}\r\n", id);
	no_output(q);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->cmd_errors, 1);
	colo_qmp_tick(q, t + 1500000);
	no_output(q);
	colo_qmp_tick(q, t + 2000400);
	id = take_cmd(q, "query-migrate-parameters", -1);
	/* No reply for 5 s: the connection is declared dead. */
	colo_qmp_tick(q, t + 2000400 + 5000001);
	ev = expect_ev(q, COLO_QMP_EV_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(ev.text, "no reply"));
	CU_ASSERT_EQUAL(colo_qmp_state(q), COLO_QMP_FAILED);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->errors, 1);
	colo_qmp_tick(q, t + 20000000);
	no_event(q);
	colo_qmp_disconnected(q, t + 20000000);
	colo_qmp_free(q);

	q = colo_qmp_create(&conf);
	colo_qmp_connected(q, t);
	colo_qmp_tick(q, t + 5000000);
	no_event(q);
	colo_qmp_tick(q, t + 5000001);
	ev = expect_ev(q, COLO_QMP_EV_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(ev.text, "greeting"));
	colo_qmp_free(q);
}

/* colo_qmp_execute(): arguments re-encoded on one line, errors reported. */
static void
test_execute(void)
{
	struct colo_qmp *q = ready(COLO_QMP_ROLE_PRIMARY, "none", 200);
	struct colo_qmp_event ev;
	const uint8_t *out;
	int64_t id;
	size_t len;

	CU_ASSERT_EQUAL(colo_qmp_execute(q, "bad name", NULL, T0), -EINVAL);
	CU_ASSERT_EQUAL(colo_qmp_execute(q, "x\"y", NULL, T0), -EINVAL);
	CU_ASSERT_EQUAL(colo_qmp_execute(q, "migrate-set-parameters", "[1]", T0), -EINVAL);
	CU_ASSERT_EQUAL(colo_qmp_execute(q, "migrate-set-parameters", "{\"a\":1,\"a\":2}", T0),
			-EINVAL);
	CU_ASSERT_EQUAL(colo_qmp_execute(q, "migrate-set-parameters", "{", T0), -EINVAL);
	no_output(q);
	id = colo_qmp_execute(q, "migrate-set-parameters",
			"{\n  \"x-checkpoint-delay\": 12345\n}", T0);
	CU_ASSERT(id > 0);
	out = colo_qmp_output(q, &len);
	CU_ASSERT_EQUAL(memchr(out, '\n', len), out + len - 1);
	CU_ASSERT_EQUAL(take_cmd(q, "migrate-set-parameters", 12345), id);
	feedf(q, T0, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter "
			"'x-checkpoint-delay' expects uint32_t\"}, \"id\": %lld}\r\n", (long long)id);
	ev = expect_ev(q, COLO_QMP_EV_REPLY);
	CU_ASSERT_FALSE(ev.ok);
	CU_ASSERT_PTR_NOT_NULL(strstr(ev.text, "GenericError: Parameter"));
	while (colo_qmp_execute(q, "cont", NULL, T0) > 0)
		;
	CU_ASSERT_EQUAL(colo_qmp_execute(q, "cont", NULL, T0), -EBUSY);
	CU_ASSERT_EQUAL(colo_qmp_refresh(q, T0), -EBUSY);
	colo_qmp_free(q);
}

/* Hostile input: counted, skipped, never fatal once connected. */
static void
test_malformed_input(void)
{
	struct colo_qmp *q = ready(COLO_QMP_ROLE_PRIMARY, "primary", 20000);
	const struct colo_qmp_stats *st = colo_qmp_stats(q);
	struct colo_qmp_event ev;
	char *big;

	feed(q, "garbage\r\n", T0);
	feed(q, "[1,2,3]\r\n", T0);
	feed(q, "{\"event\": \"STOP\", \"event\": \"RESUME\"}\r\n", T0);
	feed(q, "{\"return\": {}, \"event\": \"STOP\"}\r\n", T0);
	feed(q, "{\"event\": 5}\r\n", T0);
	feed(q, "{\"event\": \"MIGRATION_PASS\", \"data\": {\"pass\": \"x\"}}\r\n", T0);
	feed(q, "{\"event\": \"MIGRATION\", \"data\": []}\r\n", T0);
	feed(q, "{\"event\": \"MIGRATION\"}\r\n", T0);
	CU_ASSERT_EQUAL(st->malformed, 8);
	feed(q, "{\"return\": {}, \"id\": 999}\r\n", T0);
	feed(q, "{\"return\": {}, \"id\": \"x\"}\r\n", T0);
	feed(q, "{\"return\": {}}\r\n", T0);
	CU_ASSERT_EQUAL(st->replies_unexpected, 3);
	feed(q, "{\"event\": \"BLOCK_JOB_READY\", \"data\": {}}\r\n\r\n\n", T0);
	CU_ASSERT_EQUAL(st->events_other, 1);

	big = malloc(COLO_QMP_LINE_MAX + 10);
	CU_ASSERT_FATAL(big != NULL);
	memset(big, '{', COLO_QMP_LINE_MAX + 9);
	big[COLO_QMP_LINE_MAX + 9] = '\0';
	feed(q, big, T0);
	feed(q, big, T0);
	feed(q, "\n", T0);
	free(big);
	CU_ASSERT_EQUAL(st->oversized, 1);
	/* Missing or broken timestamps: untrusted, still a checkpoint. */
	feed(q, "{\"event\": \"STOP\"}\r\n", T0);
	ev = expect_ev(q, COLO_QMP_EV_CKPT_BEGIN);
	CU_ASSERT_EQUAL(ev.begin_us, -1);
	feed(q, "{\"event\": \"RESUME\", \"timestamp\": {\"seconds\": 1, \"microseconds\": "
		"1000000}}\r\n", T0);
	ev = expect_ev(q, COLO_QMP_EV_CKPT_DONE);
	CU_ASSERT_EQUAL(ev.release_before_us, 0);
	CU_ASSERT_EQUAL(ev.end_us, -1);
	CU_ASSERT_EQUAL(colo_qmp_state(q), COLO_QMP_READY);
	no_event(q);
	colo_qmp_free(q);
}

static void
test_bad_handshakes(void)
{
	struct colo_qmp_conf conf = { .role = COLO_QMP_ROLE_PRIMARY };
	static const char *const bad[] = {
		"hello\r\n",
		"{\"return\": {}}\r\n",
		"{\"QMP\": {\"capabilities\": []}}\r\n",
		"{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7, \"minor\": 2, \"micro\": 0}}}}\r\n",
	};
	struct colo_qmp_event ev;
	struct colo_qmp *q;
	unsigned int i;
	long long id;

	conf.role = (enum colo_qmp_role)7;
	CU_ASSERT_PTR_NULL(colo_qmp_create(&conf));
	conf.role = COLO_QMP_ROLE_PRIMARY;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		q = colo_qmp_create(&conf);
		colo_qmp_connected(q, T0);
		feed(q, bad[i], T0);
		ev = expect_ev(q, COLO_QMP_EV_ERROR);
		CU_ASSERT(ev.text[0] != '\0');
		CU_ASSERT_EQUAL(colo_qmp_state(q), COLO_QMP_FAILED);
		/* Once failed, input is ignored. */
		feed(q, greeting, T0);
		no_event(q);
		no_output(q);
		colo_qmp_free(q);
	}
	/* Capabilities refused, QEMU without COLO, no x-checkpoint-delay. */
	for (i = 0; i < 3; i++) {
		q = colo_qmp_create(&conf);
		colo_qmp_connected(q, T0);
		feed(q, greeting, T0);
		id = take_cmd(q, "qmp_capabilities", -1);
		if (i == 0) {
			feedf(q, T0, "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
					"\"x\"}, \"id\": %lld}\r\n", id);
		} else {
			reply(q, id, "{}", T0);
			id = take_cmd(q, "query-colo-status", -1);
			if (i == 1) {
				feedf(q, T0, "{\"error\": {\"class\": \"CommandNotFound\", "
						"\"desc\": \"x\"}, \"id\": %lld}\r\n", id);
			} else {
				reply(q, id, "{\"mode\": \"none\"}", T0);
				reply(q, take_cmd(q, "query-migrate-parameters", -1),
						"{\"x-checkpoint-delay\": -1}", T0);
			}
		}
		expect_ev(q, COLO_QMP_EV_ERROR);
		colo_qmp_free(q);
	}
}

/* Many events in one read: feed stops while the queue is nearly full and
 * takes the rest once it is drained; nothing is lost. */
static void
test_event_backpressure(void)
{
	struct colo_qmp *q = ready(COLO_QMP_ROLE_PRIMARY, "primary", 20000);
	static char buf[64 * 200];
	struct colo_qmp_event ev;
	unsigned int i, begun = 0, done = 0;
	size_t len = 0, off = 0, used;
	int64_t t = T0 + 1000;

	for (i = 0; i < 40; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
				"{\"timestamp\": {\"seconds\": %lld, \"microseconds\": %u}, "
				"\"event\": \"%s\"}\r\n",
				(long long)(t / 1000000), (unsigned int)(i * 10),
				i % 2 ? "RESUME" : "STOP");
	while (off < len) {
		used = colo_qmp_feed(q, (const uint8_t *)buf + off, len - off, t + 1000);
		off += used;
		if (off < len)
			CU_ASSERT(used < len);
		while (colo_qmp_next_event(q, &ev)) {
			begun += ev.type == COLO_QMP_EV_CKPT_BEGIN;
			done += ev.type == COLO_QMP_EV_CKPT_DONE;
		}
	}
	CU_ASSERT_EQUAL(begun, 20);
	CU_ASSERT_EQUAL(done, 20);
	CU_ASSERT_EQUAL(colo_qmp_stats(q)->bytes_in > len, 1); /* handshake bytes too */
	colo_qmp_free(q);
}

/* A line split at every byte parses the same. */
/* COLO starts while the handshake's queries are in flight: asked again. */
static void
test_colo_starts_during_handshake(void)
{
	struct colo_qmp_conf conf = { .role = COLO_QMP_ROLE_PRIMARY };
	struct colo_qmp *q = colo_qmp_create(&conf);
	struct colo_qmp_event ev;
	long long st, pa;

	colo_qmp_connected(q, T0);
	feed(q, greeting, T0);
	reply(q, take_cmd(q, "qmp_capabilities", -1), "{}", T0);
	st = take_cmd(q, "query-colo-status", -1);
	pa = take_cmd(q, "query-migrate-parameters", -1);
	reply(q, st, "{\"mode\": \"none\", \"last-mode\": \"none\", \"reason\": \"none\"}", T0);
	event(q, "MIGRATION", "{\"status\": \"colo\"}", T0 + 10, T0 + 20);
	reply(q, pa, params_reply(20000), T0 + 30);
	no_event(q); /* ready once every query is answered */
	reply(q, take_cmd(q, "query-colo-status", -1),
			"{\"mode\": \"primary\", \"last-mode\": \"none\", \"reason\": \"none\"}",
			T0 + 40);
	reply(q, take_cmd(q, "query-migrate-parameters", -1), params_reply(20000), T0 + 50);
	ev = expect_ev(q, COLO_QMP_EV_READY);
	CU_ASSERT_TRUE(ev.colo_active);
	CU_ASSERT_TRUE(colo_qmp_colo_active(q));
	no_event(q);
	colo_qmp_free(q);
}

static void
test_byte_at_a_time(void)
{
	struct colo_qmp_conf conf = { .role = COLO_QMP_ROLE_PRIMARY };
	struct colo_qmp *q = colo_qmp_create(&conf);
	size_t i;

	colo_qmp_connected(q, T0);
	for (i = 0; greeting[i] != '\0'; i++)
		CU_ASSERT_EQUAL(colo_qmp_feed(q, (const uint8_t *)greeting + i, 1, T0), 1);
	take_cmd(q, "qmp_capabilities", -1);
	CU_ASSERT_EQUAL(colo_qmp_state(q), COLO_QMP_NEGOTIATING);
	CU_ASSERT_STRING_EQUAL(colo_qmp_mode_str(COLO_QMP_MODE_SECONDARY), "secondary");
	CU_ASSERT_STRING_EQUAL(colo_qmp_ev_str(COLO_QMP_EV_CKPT_DONE), "ckpt_done");
	CU_ASSERT_STRING_EQUAL(colo_qmp_ev_str((enum colo_qmp_ev_type)0), "invalid");
	colo_qmp_free(q);
}

static const struct unit_case cases[] = {
	{ "handshake learns mode, delay and version", test_handshake },
	{ "one checkpoint: trigger, STOP, MIGRATION_PASS, RESUME", test_one_checkpoint },
	{ "the trigger re-sets the delay read just before", test_trigger_uses_fresh_delay },
	{ "a burst of requests makes one trigger, plus one for a later mismatch",
			test_burst_coalesced },
	{ "periodic checkpoints release what was seen before them",
			test_periodic_checkpoint_releases },
	{ "COLO_EXIT error after a checkpoint ends COLO", test_colo_exit_error },
	{ "x-colo-lost-heartbeat on the primary: COLO_EXIT request",
			test_colo_exit_request_primary },
	{ "secondary: checkpoint resets, COLO_EXIT takes over", test_secondary_takeover },
	{ "QMP loss aborts the checkpoint; reconnect starts over", test_qmp_loss },
	{ "STOP/RESUME outside COLO are ignored; MIGRATION colo refreshes",
			test_stop_resume_outside_colo },
	{ "untrusted timestamps release only what the stream order proves",
			test_untrusted_timestamp },
	{ "checkpoint, retry and reply timeouts", test_timeouts },
	{ "execute re-encodes arguments and reports errors", test_execute },
	{ "malformed input is counted and skipped", test_malformed_input },
	{ "bad greetings and failed handshakes fail the connection", test_bad_handshakes },
	{ "a full event queue holds input back without loss", test_event_backpressure },
	{ "COLO starting during the handshake is learnt", test_colo_starts_during_handshake },
	{ "lines fed byte at a time", test_byte_at_a_time },
};

int
main(void)
{
	return unit_run("qmp", cases, RTE_DIM(cases));
}
