/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QMP client engine for COLO checkpoint control (see colo_qmp.h). Lines are
 * parsed with jansson, strictly: one JSON object per line, duplicate keys
 * rejected, and only the shapes QMP defines (greeting, reply, event) are
 * acted on; anything else is counted and skipped. QMP answers commands in
 * order, but replies are matched by id all the same.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <rte_common.h>

#include "colo_qmp.h"

#define DEFAULT_REPLY_TIMEOUT_US 5000000
#define DEFAULT_CKPT_TIMEOUT_US 1000000
#define DEFAULT_CLOCK_SLACK_US 1000

/* Longest command this engine writes; the output buffer holds every one in flight. */
#define CMD_MAX 512
#define OUT_MAX (CMD_MAX * COLO_QMP_MAX_INFLIGHT)

/* Events one line or one tick can produce at most. */
#define EVENTS_PER_STEP 2

/* What a command in flight was sent for; decides what its reply does. */
enum cmd_kind {
	CMD_CAPS,	  /* qmp_capabilities */
	CMD_COLO_STATUS,  /* query-colo-status, at connect or refresh */
	CMD_PARAMS,	  /* query-migrate-parameters, at connect or refresh */
	CMD_REQ_PARAMS,	  /* query-migrate-parameters before a trigger */
	CMD_REQ_TRIGGER,  /* migrate-set-parameters x-checkpoint-delay */
	CMD_USER,	  /* colo_qmp_execute() */
};

struct cmd {
	uint64_t id;
	enum cmd_kind kind;
	int64_t sent_us;
	uint32_t gen; /* request generation a CMD_REQ_* belongs to */
};

/* Progress of the request for a checkpoint. */
enum req_state {
	REQ_IDLE = 0,
	REQ_PARAMS,  /* reading x-checkpoint-delay */
	REQ_TRIGGER, /* migrate-set-parameters sent */
	REQ_ARMED,   /* acknowledged: the next STOP answers it */
};

struct colo_qmp {
	struct colo_qmp_conf conf;
	enum colo_qmp_state state;
	int64_t state_since_us;

	/* Input line being assembled. */
	char *line;
	size_t line_len;
	bool line_discard; /* an oversized line is being skipped up to its '\n' */

	uint8_t out[OUT_MAX];
	size_t out_len;

	struct cmd cmds[COLO_QMP_MAX_INFLIGHT];
	unsigned int nb_cmds;
	uint64_t next_id;
	unsigned int status_wait; /* connect/refresh queries without a reply */

	struct colo_qmp_event evq[COLO_QMP_EVENT_QUEUE];
	unsigned int ev_head, ev_count;

	uint32_t qemu_version;
	enum colo_qmp_mode mode;
	bool colo_active;
	uint32_t delay_ms;

	/* Checkpoint in progress (between STOP and RESUME). */
	bool in_ckpt;
	uint64_t ckpt_seq;
	int64_t ckpt_begin_us;
	bool ckpt_ts_trusted;
	bool ckpt_requested;	 /* it began while a trigger was armed */
	int64_t ckpt_covers_us;	 /* ... which covered mismatches up to here */
	int64_t ckpt_pass;
	int64_t last_ts_us;	 /* latest event timestamp seen */

	/* Request for a checkpoint. */
	enum req_state req;
	uint32_t req_gen;	 /* bumped when a request is abandoned */
	bool pending;		 /* some registered mismatch is not covered yet */
	int64_t pend_max_us;	 /* latest mismatch registered */
	int64_t pend_first_us;	 /* engine time of the first uncovered request */
	int64_t trigger_covers_us; /* latest mismatch when the trigger was sent */
	int64_t req_deadline_us; /* ARMED: checkpoint start timeout; IDLE: retry time */
	bool armed_in_ckpt;	 /* acknowledged while a checkpoint was running */

	struct colo_qmp_stats stats;
};

static const char *const mode_strs[] = {
	[COLO_QMP_MODE_UNKNOWN] = "unknown",
	[COLO_QMP_MODE_NONE] = "none",
	[COLO_QMP_MODE_PRIMARY] = "primary",
	[COLO_QMP_MODE_SECONDARY] = "secondary",
};

static const char *const ev_strs[] = {
	[COLO_QMP_EV_READY] = "ready",
	[COLO_QMP_EV_STATUS] = "status",
	[COLO_QMP_EV_CKPT_BEGIN] = "ckpt_begin",
	[COLO_QMP_EV_CKPT_DONE] = "ckpt_done",
	[COLO_QMP_EV_COLO_EXIT] = "colo_exit",
	[COLO_QMP_EV_REPLY] = "reply",
	[COLO_QMP_EV_ERROR] = "error",
};

const char *
colo_qmp_mode_str(enum colo_qmp_mode mode)
{
	if ((unsigned int)mode < RTE_DIM(mode_strs))
		return mode_strs[mode];
	return "unknown";
}

const char *
colo_qmp_ev_str(enum colo_qmp_ev_type type)
{
	if ((unsigned int)type < RTE_DIM(ev_strs) && ev_strs[type] != NULL)
		return ev_strs[type];
	return "invalid";
}

static enum colo_qmp_mode
role_mode(const struct colo_qmp *q)
{
	return q->conf.role == COLO_QMP_ROLE_PRIMARY ? COLO_QMP_MODE_PRIMARY :
						       COLO_QMP_MODE_SECONDARY;
}

/* Queue an event; the callers keep EVENTS_PER_STEP slots free before each step. */
static struct colo_qmp_event *
push_event(struct colo_qmp *q, enum colo_qmp_ev_type type)
{
	struct colo_qmp_event *ev;

	if (q->ev_count == COLO_QMP_EVENT_QUEUE)
		abort(); /* broken invariant: feed and tick leave room */
	ev = &q->evq[(q->ev_head + q->ev_count) % COLO_QMP_EVENT_QUEUE];
	q->ev_count++;
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	return ev;
}

bool
colo_qmp_next_event(struct colo_qmp *q, struct colo_qmp_event *ev)
{
	if (q->ev_count == 0)
		return false;
	*ev = q->evq[q->ev_head];
	q->ev_head = (q->ev_head + 1) % COLO_QMP_EVENT_QUEUE;
	q->ev_count--;
	return true;
}

/* The connection cannot go on: report once and ignore further input. */
static void
fail(struct colo_qmp *q, int64_t now_us, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
fail(struct colo_qmp *q, int64_t now_us, const char *fmt, ...)
{
	struct colo_qmp_event *ev;
	va_list ap;

	if (q->state == COLO_QMP_FAILED || q->state == COLO_QMP_DOWN)
		return;
	ev = push_event(q, COLO_QMP_EV_ERROR);
	va_start(ap, fmt);
	vsnprintf(ev->text, sizeof(ev->text), fmt, ap);
	va_end(ap);
	q->state = COLO_QMP_FAILED;
	q->state_since_us = now_us;
	q->stats.errors++;
}

static void
status_event(struct colo_qmp *q, enum colo_qmp_ev_type type)
{
	struct colo_qmp_event *ev = push_event(q, type);

	ev->mode = q->mode;
	ev->colo_active = q->colo_active;
	ev->delay_ms = q->delay_ms;
}

/* Queue one command line; @p args is a JSON object text or NULL. */
static int64_t
send_cmd(struct colo_qmp *q, enum cmd_kind kind, const char *name, const char *args,
		int64_t now_us)
{
	struct cmd *c;
	int n;

	if (q->nb_cmds == COLO_QMP_MAX_INFLIGHT)
		return -EBUSY;
	if (args != NULL)
		n = snprintf((char *)q->out + q->out_len, OUT_MAX - q->out_len,
				"{\"execute\":\"%s\",\"arguments\":%s,\"id\":%" PRIu64 "}\n",
				name, args, q->next_id);
	else
		n = snprintf((char *)q->out + q->out_len, OUT_MAX - q->out_len,
				"{\"execute\":\"%s\",\"id\":%" PRIu64 "}\n", name, q->next_id);
	/* Each command is shorter than CMD_MAX and at most MAX_INFLIGHT are queued. */
	if (n < 0 || (size_t)n >= OUT_MAX - q->out_len)
		return -ENOBUFS;
	q->out_len += (size_t)n;
	c = &q->cmds[q->nb_cmds++];
	c->id = q->next_id++;
	c->kind = kind;
	c->sent_us = now_us;
	c->gen = q->req_gen;
	q->stats.cmds_sent++;
	return (int64_t)c->id;
}

const uint8_t *
colo_qmp_output(const struct colo_qmp *q, size_t *len)
{
	*len = q->out_len;
	return q->out;
}

void
colo_qmp_output_done(struct colo_qmp *q, size_t n)
{
	if (n >= q->out_len) {
		q->out_len = 0;
		return;
	}
	memmove(q->out, q->out + n, q->out_len - n);
	q->out_len -= n;
}

static void
reset_conn(struct colo_qmp *q, int64_t now_us)
{
	if (q->in_ckpt)
		q->stats.ckpt_aborted++;
	q->in_ckpt = false;
	q->line_len = 0;
	q->line_discard = false;
	q->out_len = 0;
	q->nb_cmds = 0;
	q->status_wait = 0;
	q->ev_head = q->ev_count = 0;
	q->mode = COLO_QMP_MODE_UNKNOWN;
	q->colo_active = false;
	q->req = REQ_IDLE;
	q->req_gen++;
	q->pending = false;
	q->last_ts_us = 0;
	q->state = COLO_QMP_DOWN;
	q->state_since_us = now_us;
}

struct colo_qmp *
colo_qmp_create(const struct colo_qmp_conf *conf)
{
	struct colo_qmp *q;

	if (conf->role != COLO_QMP_ROLE_PRIMARY && conf->role != COLO_QMP_ROLE_SECONDARY)
		return NULL;
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return NULL;
	q->line = malloc(COLO_QMP_LINE_MAX);
	if (q->line == NULL) {
		free(q);
		return NULL;
	}
	q->conf = *conf;
	if (q->conf.reply_timeout_us == 0)
		q->conf.reply_timeout_us = DEFAULT_REPLY_TIMEOUT_US;
	if (q->conf.ckpt_timeout_us == 0)
		q->conf.ckpt_timeout_us = DEFAULT_CKPT_TIMEOUT_US;
	if (q->conf.clock_slack_us == 0)
		q->conf.clock_slack_us = DEFAULT_CLOCK_SLACK_US;
	q->next_id = 1;
	q->stats.last_pass = -1;
	reset_conn(q, 0);
	return q;
}

void
colo_qmp_free(struct colo_qmp *q)
{
	if (q == NULL)
		return;
	free(q->line);
	free(q);
}

void
colo_qmp_connected(struct colo_qmp *q, int64_t now_us)
{
	if (q->state != COLO_QMP_DOWN)
		colo_qmp_disconnected(q, now_us);
	q->stats.connects++;
	q->state = COLO_QMP_GREETING;
	q->state_since_us = now_us;
}

void
colo_qmp_disconnected(struct colo_qmp *q, int64_t now_us)
{
	if (q->state == COLO_QMP_DOWN)
		return;
	q->stats.disconnects++;
	reset_conn(q, now_us);
}

enum colo_qmp_state
colo_qmp_state(const struct colo_qmp *q)
{
	return q->state;
}

bool
colo_qmp_colo_active(const struct colo_qmp *q)
{
	return q->colo_active;
}

uint32_t
colo_qmp_delay_ms(const struct colo_qmp *q)
{
	return q->delay_ms;
}

uint32_t
colo_qmp_qemu_version(const struct colo_qmp *q)
{
	return q->qemu_version;
}

const struct colo_qmp_stats *
colo_qmp_stats(const struct colo_qmp *q)
{
	return &q->stats;
}

/* ---- checkpoint requests ---- */

/* Read x-checkpoint-delay afresh, so that the trigger re-sets the value in force
 * now rather than one an operator has changed since. */
static void
req_start(struct colo_qmp *q, int64_t now_us)
{
	if (send_cmd(q, CMD_REQ_PARAMS, "query-migrate-parameters", NULL, now_us) < 0) {
		/* Commands of the caller fill the table: try again from tick. */
		q->req = REQ_IDLE;
		q->req_deadline_us = now_us;
		return;
	}
	q->req = REQ_PARAMS;
}

static void
req_send_trigger(struct colo_qmp *q, int64_t now_us)
{
	char args[64];

	snprintf(args, sizeof(args), "{\"x-checkpoint-delay\":%" PRIu32 "}", q->delay_ms);
	if (send_cmd(q, CMD_REQ_TRIGGER, "migrate-set-parameters", args, now_us) < 0) {
		q->req = REQ_IDLE;
		q->req_deadline_us = now_us;
		return;
	}
	q->trigger_covers_us = q->pend_max_us;
	q->req = REQ_TRIGGER;
}

/* Forget the request: COLO ended or the connection is being reset. Replies to
 * its commands still in flight are recognised by generation and ignored. */
static void
req_drop(struct colo_qmp *q)
{
	q->req = REQ_IDLE;
	q->req_gen++;
	q->pending = false;
}

int
colo_qmp_request(struct colo_qmp *q, int64_t seen_us, int64_t now_us)
{
	if (q->conf.role != COLO_QMP_ROLE_PRIMARY || q->state != COLO_QMP_READY ||
			!q->colo_active) {
		q->stats.requests_refused++;
		return q->conf.role != COLO_QMP_ROLE_PRIMARY ? -ENOTSUP :
		       q->state != COLO_QMP_READY	      ? -ENOTCONN :
								-ENODEV;
	}
	q->stats.requests++;
	if (!q->pending) {
		q->pending = true;
		q->pend_max_us = seen_us;
		q->pend_first_us = now_us;
	} else if (seen_us > q->pend_max_us) {
		q->pend_max_us = seen_us;
	}
	/* A trigger sent during a checkpoint may be absorbed by it: wait for RESUME. */
	if (q->req != REQ_IDLE || q->in_ckpt) {
		q->stats.requests_coalesced++;
		return 0;
	}
	req_start(q, now_us);
	return 1;
}

/* ---- connect and refresh ---- */

static int
send_status_queries(struct colo_qmp *q, int64_t now_us)
{
	if (q->nb_cmds + 2 > COLO_QMP_MAX_INFLIGHT)
		return -EBUSY;
	send_cmd(q, CMD_COLO_STATUS, "query-colo-status", NULL, now_us);
	send_cmd(q, CMD_PARAMS, "query-migrate-parameters", NULL, now_us);
	q->status_wait += 2;
	return 0;
}

int
colo_qmp_refresh(struct colo_qmp *q, int64_t now_us)
{
	if (q->state != COLO_QMP_READY)
		return -ENOTCONN;
	return send_status_queries(q, now_us);
}

static bool
valid_command_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
				(s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

int64_t
colo_qmp_execute(struct colo_qmp *q, const char *command, const char *args_json, int64_t now_us)
{
	char *compact = NULL;
	json_t *args;
	int64_t id;

	if (q->state != COLO_QMP_READY)
		return -ENOTCONN;
	if (command == NULL || !valid_command_name(command))
		return -EINVAL;
	if (args_json != NULL) {
		/* Re-encoded compactly: one line, and nothing but an object. */
		args = json_loads(args_json, JSON_REJECT_DUPLICATES, NULL);
		if (args == NULL || !json_is_object(args)) {
			json_decref(args);
			return -EINVAL;
		}
		compact = json_dumps(args, JSON_COMPACT);
		json_decref(args);
		if (compact == NULL)
			return -ENOMEM;
		if (strlen(compact) + strlen(command) + 64 > CMD_MAX) {
			free(compact);
			return -EINVAL;
		}
	}
	id = send_cmd(q, CMD_USER, command, compact, now_us);
	free(compact);
	return id;
}

/* ---- input ---- */

static int
parse_mode(const char *s, enum colo_qmp_mode *mode)
{
	unsigned int i;

	for (i = COLO_QMP_MODE_NONE; i < RTE_DIM(mode_strs); i++) {
		if (strcmp(s, mode_strs[i]) == 0) {
			*mode = (enum colo_qmp_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

static void
set_mode(struct colo_qmp *q, enum colo_qmp_mode mode)
{
	q->mode = mode;
	q->colo_active = mode == role_mode(q);
}

/* x-checkpoint-delay out of a query-migrate-parameters return. */
static int
parse_delay(json_t *ret, uint32_t *delay_ms)
{
	json_t *v = json_object_get(ret, "x-checkpoint-delay");
	json_int_t d;

	if (!json_is_integer(v))
		return -EINVAL;
	d = json_integer_value(v);
	if (d < 0 || d > UINT32_MAX)
		return -ERANGE;
	*delay_ms = (uint32_t)d;
	return 0;
}

static void
copy_error_desc(char *dst, json_t *err)
{
	json_t *desc = json_object_get(err, "desc");
	json_t *cls = json_object_get(err, "class");

	snprintf(dst, COLO_QMP_TEXT_MAX, "%s: %s",
			json_is_string(cls) ? json_string_value(cls) : "?",
			json_is_string(desc) ? json_string_value(desc) : "?");
}

/* One query of connect or refresh answered; the last one reports. */
static void
status_reply_done(struct colo_qmp *q)
{
	if (--q->status_wait != 0)
		return;
	if (q->state == COLO_QMP_QUERYING) {
		q->state = COLO_QMP_READY;
		status_event(q, COLO_QMP_EV_READY);
	} else {
		status_event(q, COLO_QMP_EV_STATUS);
	}
}

static void
handle_reply(struct colo_qmp *q, json_t *msg, json_t *ret, json_t *err, int64_t now_us)
{
	json_t *idv = json_object_get(msg, "id");
	struct colo_qmp_event *ev;
	struct cmd c;
	unsigned int i;
	json_t *v;
	uint64_t rtt;

	if (!json_is_integer(idv)) {
		q->stats.replies_unexpected++;
		return;
	}
	for (i = 0; i < q->nb_cmds; i++)
		if ((json_int_t)q->cmds[i].id == json_integer_value(idv))
			break;
	if (i == q->nb_cmds) {
		q->stats.replies_unexpected++;
		return;
	}
	c = q->cmds[i];
	memmove(&q->cmds[i], &q->cmds[i + 1], (q->nb_cmds - i - 1) * sizeof(q->cmds[0]));
	q->nb_cmds--;
	rtt = now_us > c.sent_us ? (uint64_t)(now_us - c.sent_us) : 0;
	q->stats.last_rtt_us = rtt;
	if (rtt > q->stats.max_rtt_us)
		q->stats.max_rtt_us = rtt;
	if (err != NULL)
		q->stats.cmd_errors++;

	switch (c.kind) {
	case CMD_CAPS:
		if (err != NULL) {
			fail(q, now_us, "qmp_capabilities refused");
			return;
		}
		q->state = COLO_QMP_QUERYING;
		if (send_status_queries(q, now_us) != 0)
			fail(q, now_us, "cannot queue the status queries");
		return;
	case CMD_COLO_STATUS:
		if (err != NULL) {
			fail(q, now_us, "query-colo-status failed (QEMU without COLO?)");
			return;
		}
		v = json_object_get(ret, "mode");
		if (!json_is_string(v) || parse_mode(json_string_value(v), &q->mode) != 0) {
			q->stats.malformed++;
			fail(q, now_us, "query-colo-status: no valid mode");
			return;
		}
		set_mode(q, q->mode);
		status_reply_done(q);
		return;
	case CMD_PARAMS:
	case CMD_REQ_PARAMS:
		if (err != NULL || parse_delay(ret, &q->delay_ms) != 0) {
			if (err == NULL)
				q->stats.malformed++;
			fail(q, now_us, "query-migrate-parameters: no valid x-checkpoint-delay");
			return;
		}
		if (c.kind == CMD_PARAMS)
			status_reply_done(q);
		else if (c.gen == q->req_gen && q->req == REQ_PARAMS)
			req_send_trigger(q, now_us);
		return;
	case CMD_REQ_TRIGGER:
		if (c.gen != q->req_gen || q->req != REQ_TRIGGER)
			return;
		if (err != NULL) {
			/* Keep the mismatches pending; tick tries again later. */
			q->req = REQ_IDLE;
			q->req_deadline_us = now_us + (int64_t)q->conf.ckpt_timeout_us;
			return;
		}
		q->stats.ckpt_triggers++;
		q->req = REQ_ARMED;
		q->armed_in_ckpt = q->in_ckpt;
		q->req_deadline_us = now_us + (int64_t)q->conf.ckpt_timeout_us;
		return;
	case CMD_USER:
		ev = push_event(q, COLO_QMP_EV_REPLY);
		ev->seq = c.id;
		ev->ok = err == NULL;
		if (err != NULL)
			copy_error_desc(ev->text, err);
		return;
	}
}

/* QEMU's timestamp {seconds, microseconds} in microseconds, -1 if absent or invalid. */
static int64_t
parse_ts(json_t *msg)
{
	json_t *ts = json_object_get(msg, "timestamp");
	json_t *s = json_object_get(ts, "seconds");
	json_t *us = json_object_get(ts, "microseconds");
	json_int_t sv, usv;

	if (!json_is_integer(s) || !json_is_integer(us))
		return -1;
	sv = json_integer_value(s);
	usv = json_integer_value(us);
	if (sv < 0 || sv > INT64_MAX / 1000000 - 1 || usv < 0 || usv >= 1000000)
		return -1;
	return (int64_t)sv * 1000000 + (int64_t)usv;
}

static void
on_stop(struct colo_qmp *q, int64_t ts, int64_t now_us)
{
	struct colo_qmp_event *ev;

	if (!q->colo_active) {
		q->stats.stop_outside_colo++;
		return;
	}
	if (q->in_ckpt)
		q->stats.ckpt_aborted++; /* two STOPs: the first never ended */
	q->in_ckpt = true;
	q->ckpt_seq++;
	q->ckpt_begin_us = ts;
	q->ckpt_pass = -1;
	/* The timestamp orders the STOP against mismatches only if the clock
	 * did not step: QEMU stamps an event before it is read, and in order. */
	q->ckpt_ts_trusted = ts > 0 && ts <= now_us + (int64_t)q->conf.clock_slack_us &&
			     ts >= q->last_ts_us;
	if (!q->ckpt_ts_trusted)
		q->stats.ts_untrusted++;
	q->ckpt_requested = q->req == REQ_ARMED;
	if (q->ckpt_requested) {
		q->ckpt_covers_us = q->trigger_covers_us;
		q->req = REQ_IDLE;
	}
	q->stats.ckpt_begun++;
	ev = push_event(q, COLO_QMP_EV_CKPT_BEGIN);
	ev->seq = q->ckpt_seq;
	ev->begin_us = ts;
}

static void
on_resume(struct colo_qmp *q, int64_t ts, int64_t now_us)
{
	struct colo_qmp_event *ev;
	int64_t release = 0;
	uint64_t dur;

	if (!q->colo_active || !q->in_ckpt) {
		q->stats.resume_outside_colo++;
		return;
	}
	q->in_ckpt = false;
	if (q->ckpt_ts_trusted)
		release = q->ckpt_begin_us;
	if (q->ckpt_requested && q->ckpt_covers_us + 1 > release)
		release = q->ckpt_covers_us + 1;
	q->stats.ckpt_done++;
	if (q->ckpt_requested)
		q->stats.ckpt_requested++;
	if (ts > 0 && q->ckpt_begin_us > 0 && ts >= q->ckpt_begin_us) {
		dur = (uint64_t)(ts - q->ckpt_begin_us);
		q->stats.last_ckpt_us = dur;
		if (dur > q->stats.max_ckpt_us)
			q->stats.max_ckpt_us = dur;
	}
	ev = push_event(q, COLO_QMP_EV_CKPT_DONE);
	ev->seq = q->ckpt_seq;
	ev->begin_us = q->ckpt_begin_us;
	ev->end_us = ts;
	ev->pass = q->ckpt_pass;
	ev->requested = q->ckpt_requested;
	if (q->conf.role == COLO_QMP_ROLE_PRIMARY)
		ev->release_before_us = release;

	if (q->pending && q->pend_max_us < release) {
		q->pending = false;
		q->stats.last_req_to_done_us =
				now_us > q->pend_first_us ? (uint64_t)(now_us - q->pend_first_us) : 0;
		/* A trigger acknowledged during this checkpoint is not needed any more;
		 * if it was absorbed, no STOP will come for it. */
		if (q->req == REQ_ARMED && q->armed_in_ckpt)
			q->req = REQ_IDLE;
	}
	if (q->pending && q->req == REQ_IDLE)
		req_start(q, now_us);
}

static void
on_colo_exit(struct colo_qmp *q, json_t *data)
{
	json_t *mode = json_object_get(data, "mode");
	json_t *reason = json_object_get(data, "reason");
	struct colo_qmp_event *ev;

	if (q->in_ckpt)
		q->stats.ckpt_aborted++;
	q->in_ckpt = false;
	req_drop(q);
	q->stats.colo_exits++;
	ev = push_event(q, COLO_QMP_EV_COLO_EXIT);
	ev->mode = COLO_QMP_MODE_UNKNOWN;
	if (json_is_string(mode))
		parse_mode(json_string_value(mode), &ev->mode);
	if (json_is_string(reason)) {
		if (strcmp(json_string_value(reason), "request") == 0)
			ev->reason = COLO_QMP_EXIT_REQUEST;
		else if (strcmp(json_string_value(reason), "error") == 0)
			ev->reason = COLO_QMP_EXIT_ERROR;
	}
	q->mode = COLO_QMP_MODE_NONE;
	q->colo_active = false;
}

static void
handle_event(struct colo_qmp *q, json_t *msg, const char *name, int64_t now_us)
{
	json_t *data = json_object_get(msg, "data");
	int64_t ts = parse_ts(msg);
	json_t *v;

	if (data != NULL && !json_is_object(data)) {
		q->stats.malformed++;
		return;
	}
	if (strcmp(name, "STOP") == 0) {
		q->stats.last_stop_us = ts;
		on_stop(q, ts, now_us);
	} else if (strcmp(name, "RESUME") == 0) {
		q->stats.last_resume_us = ts;
		on_resume(q, ts, now_us);
	} else if (strcmp(name, "MIGRATION_PASS") == 0) {
		v = json_object_get(data, "pass");
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			q->stats.malformed++;
			return;
		}
		q->stats.last_pass = json_integer_value(v);
		if (q->in_ckpt)
			q->ckpt_pass = q->stats.last_pass;
	} else if (strcmp(name, "MIGRATION") == 0) {
		v = json_object_get(data, "status");
		if (!json_is_string(v)) {
			q->stats.malformed++;
			return;
		}
		/* COLO just started: learn the mode it runs in (and the delay, which
		 * the operator sets right before migrate). During the handshake too:
		 * its query may have been answered just before. */
		if (strcmp(json_string_value(v), "colo") == 0 &&
				(q->state == COLO_QMP_READY || q->state == COLO_QMP_QUERYING) &&
				send_status_queries(q, now_us) != 0)
			fail(q, now_us, "cannot queue the status queries");
	} else if (strcmp(name, "COLO_EXIT") == 0) {
		on_colo_exit(q, data);
	} else {
		q->stats.events_other++;
	}
	if (ts > q->last_ts_us)
		q->last_ts_us = ts;
}

static void
handle_greeting(struct colo_qmp *q, json_t *qmp, int64_t now_us)
{
	json_t *ver = json_object_get(json_object_get(qmp, "version"), "qemu");
	json_t *maj = json_object_get(ver, "major");
	json_t *min = json_object_get(ver, "minor");
	json_t *mic = json_object_get(ver, "micro");

	if (!json_is_integer(maj) || !json_is_integer(min) || !json_is_integer(mic) ||
			!json_is_array(json_object_get(qmp, "capabilities"))) {
		q->stats.malformed++;
		fail(q, now_us, "malformed QMP greeting");
		return;
	}
	q->qemu_version = (uint32_t)(RTE_MIN(json_integer_value(maj), 999) * 10000 +
				     RTE_MIN(json_integer_value(min), 99) * 100 +
				     RTE_MIN(json_integer_value(mic), 99));
	q->state = COLO_QMP_NEGOTIATING;
	q->state_since_us = now_us;
	if (send_cmd(q, CMD_CAPS, "qmp_capabilities", NULL, now_us) < 0)
		fail(q, now_us, "cannot queue qmp_capabilities");
}

static void
handle_line(struct colo_qmp *q, const char *line, size_t len, int64_t now_us)
{
	json_t *msg, *ret, *err, *ev, *qmp;

	q->stats.lines_in++;
	msg = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	if (msg == NULL || !json_is_object(msg)) {
		q->stats.malformed++;
		if (q->state == COLO_QMP_GREETING)
			fail(q, now_us, "not a QMP greeting");
		json_decref(msg);
		return;
	}
	qmp = json_object_get(msg, "QMP");
	ret = json_object_get(msg, "return");
	err = json_object_get(msg, "error");
	ev = json_object_get(msg, "event");
	if (q->state == COLO_QMP_GREETING) {
		if (json_is_object(qmp)) {
			handle_greeting(q, qmp, now_us);
		} else {
			q->stats.malformed++;
			fail(q, now_us, "not a QMP greeting");
		}
	} else if (ret != NULL && err == NULL && ev == NULL) {
		handle_reply(q, msg, ret, NULL, now_us);
	} else if (json_is_object(err) && ret == NULL && ev == NULL) {
		handle_reply(q, msg, NULL, err, now_us);
	} else if (json_is_string(ev) && ret == NULL && err == NULL) {
		handle_event(q, msg, json_string_value(ev), now_us);
	} else {
		q->stats.malformed++;
	}
	json_decref(msg);
}

size_t
colo_qmp_feed(struct colo_qmp *q, const uint8_t *data, size_t len, int64_t now_us)
{
	const uint8_t *nl;
	size_t off = 0, n, end;

	while (off < len) {
		if (q->state == COLO_QMP_DOWN || q->state == COLO_QMP_FAILED) {
			off = len;
			break;
		}
		if (COLO_QMP_EVENT_QUEUE - q->ev_count < EVENTS_PER_STEP)
			break;
		nl = memchr(data + off, '\n', len - off);
		end = nl != NULL ? (size_t)(nl - data) : len;
		n = end - off;
		if (!q->line_discard && q->line_len + n > COLO_QMP_LINE_MAX) {
			q->line_discard = true;
			q->stats.oversized++;
		}
		if (!q->line_discard) {
			memcpy(q->line + q->line_len, data + off, n);
			q->line_len += n;
		}
		off = end;
		if (nl == NULL)
			break;
		off++; /* the '\n' */
		if (q->line_discard) {
			q->line_discard = false;
		} else {
			n = q->line_len;
			if (n > 0 && q->line[n - 1] == '\r')
				n--;
			if (n > 0)
				handle_line(q, q->line, n, now_us);
		}
		q->line_len = 0;
	}
	q->stats.bytes_in += off;
	return off;
}

void
colo_qmp_tick(struct colo_qmp *q, int64_t now_us)
{
	int64_t limit = (int64_t)q->conf.reply_timeout_us;

	if (COLO_QMP_EVENT_QUEUE - q->ev_count < EVENTS_PER_STEP)
		return;
	if (q->state == COLO_QMP_GREETING && now_us - q->state_since_us > limit) {
		fail(q, now_us, "no QMP greeting within %" PRIu64 " ms",
				q->conf.reply_timeout_us / 1000);
		return;
	}
	if (q->state == COLO_QMP_DOWN || q->state == COLO_QMP_FAILED)
		return;
	if (q->nb_cmds != 0 && now_us - q->cmds[0].sent_us > limit) {
		fail(q, now_us, "no reply to command %" PRIu64 " within %" PRIu64 " ms",
				q->cmds[0].id, q->conf.reply_timeout_us / 1000);
		return;
	}
	if (q->req == REQ_ARMED && !q->in_ckpt && now_us >= q->req_deadline_us) {
		q->stats.ckpt_timeouts++;
		q->req = REQ_IDLE;
		q->req_deadline_us = now_us;
	}
	if (q->req == REQ_IDLE && q->pending && !q->in_ckpt && q->colo_active &&
			now_us >= q->req_deadline_us)
		req_start(q, now_us);
}
