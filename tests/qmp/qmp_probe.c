/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test driver of the QMP engine (lib/colo_qmp.c) over a real unix socket,
 * without EAL: it connects (and reconnects with backoff), runs the steps
 * given on the command line, and prints one JSON object per line on stdout
 * for every engine event, connection change, request and command, then the
 * engine's counters. tests/qmp/test_qmp.py drives it against a real QEMU
 * and against tests/qmp/qmp_replay.py, and asserts on what it prints.
 *
 * usage: qmp_probe --connect PATH [--role primary|secondary] [--timeout SEC] STEP...
 *   ready | wait:EV    wait for the next event of a kind not yet waited for; EV is
 *                      ready, status, ckpt_begin, ckpt_done, colo_exit, reply, error,
 *                      down (connection lost)
 *   request[:N]        N checkpoint requests for a mismatch seen now
 *   exec:NAME[:JSON]   colo_qmp_execute()
 *   refresh            colo_qmp_refresh()
 *   state              print state, mode, delay, version and the last STOP/RESUME
 *   sleep:MS           keep serving the connection for MS milliseconds
 * Exits 0 when every step ran, 2 on timeout (default 20 s), 1 on bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "colo_qmp.h"

/* Event kinds a step can wait for: the engine's, plus connection loss. */
#define KIND_DOWN (COLO_QMP_EV_ERROR + 1)
#define NB_KINDS (KIND_DOWN + 1)

struct probe {
	struct colo_qmp *q;
	const char *path;
	int fd;
	int64_t next_connect_us;
	int64_t backoff_us;
	uint64_t seen[NB_KINDS];
	uint64_t waited[NB_KINDS];
};

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* @p s as a JSON string body (no quotes). */
static void
put_json_str(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
}

static void
print_event(const struct colo_qmp_event *ev)
{
	printf("{\"ev\": \"%s\", \"t_us\": %" PRId64 ", \"seq\": %" PRIu64 ", \"mode\": \"%s\", "
	       "\"active\": %s, \"delay\": %" PRIu32 ", \"ok\": %s, \"requested\": %s, "
	       "\"reason\": %d, \"begin_us\": %" PRId64 ", \"end_us\": %" PRId64 ", "
	       "\"pass\": %" PRId64 ", \"release_before_us\": %" PRId64 ", \"text\": \"",
			colo_qmp_ev_str(ev->type), now_us(), ev->seq, colo_qmp_mode_str(ev->mode),
			ev->colo_active ? "true" : "false", ev->delay_ms, ev->ok ? "true" : "false",
			ev->requested ? "true" : "false", (int)ev->reason, ev->begin_us, ev->end_us,
			ev->pass, ev->release_before_us);
	put_json_str(ev->text);
	printf("\"}\n");
}

static void
print_stats(const struct colo_qmp_stats *st)
{
	printf("{\"ev\": \"stats\", \"connects\": %" PRIu64 ", \"disconnects\": %" PRIu64
	       ", \"errors\": %" PRIu64 ", \"lines_in\": %" PRIu64 ", \"malformed\": %" PRIu64
	       ", \"oversized\": %" PRIu64 ", \"replies_unexpected\": %" PRIu64
	       ", \"cmd_errors\": %" PRIu64 ", \"cmds_sent\": %" PRIu64 ", \"requests\": %" PRIu64
	       ", \"requests_coalesced\": %" PRIu64 ", \"requests_refused\": %" PRIu64
	       ", \"ckpt_triggers\": %" PRIu64 ", \"ckpt_begun\": %" PRIu64
	       ", \"ckpt_done\": %" PRIu64 ", \"ckpt_requested\": %" PRIu64
	       ", \"ckpt_aborted\": %" PRIu64 ", \"ckpt_timeouts\": %" PRIu64
	       ", \"stop_outside_colo\": %" PRIu64 ", \"resume_outside_colo\": %" PRIu64
	       ", \"ts_untrusted\": %" PRIu64 ", \"colo_exits\": %" PRIu64
	       ", \"events_other\": %" PRIu64 ", \"last_pass\": %" PRId64
	       ", \"last_stop_us\": %" PRId64 ", \"last_resume_us\": %" PRId64
	       ", \"max_rtt_us\": %" PRIu64 ", \"last_ckpt_us\": %" PRIu64 "}\n",
			st->connects, st->disconnects, st->errors, st->lines_in, st->malformed,
			st->oversized, st->replies_unexpected, st->cmd_errors, st->cmds_sent,
			st->requests, st->requests_coalesced, st->requests_refused,
			st->ckpt_triggers, st->ckpt_begun, st->ckpt_done, st->ckpt_requested,
			st->ckpt_aborted, st->ckpt_timeouts, st->stop_outside_colo,
			st->resume_outside_colo, st->ts_untrusted, st->colo_exits, st->events_other,
			st->last_pass, st->last_stop_us, st->last_resume_us, st->max_rtt_us,
			st->last_ckpt_us);
}

static void
lost(struct probe *p, const char *why)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	colo_qmp_disconnected(p->q, now_us());
	p->seen[KIND_DOWN]++;
	p->next_connect_us = now_us() + p->backoff_us;
	printf("{\"ev\": \"down\", \"t_us\": %" PRId64 ", \"text\": \"%s\"}\n", now_us(), why);
}

static void
drain_events(struct probe *p)
{
	struct colo_qmp_event ev;

	while (colo_qmp_next_event(p->q, &ev)) {
		print_event(&ev);
		p->seen[ev.type]++;
		if (ev.type == COLO_QMP_EV_ERROR)
			lost(p, "engine error");
	}
}

static void
try_connect(struct probe *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(p->path) >= sizeof(sa.sun_path))
		return;
	strcpy(sa.sun_path, p->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		p->next_connect_us = now_us() + p->backoff_us;
		if (p->backoff_us < 1000000)
			p->backoff_us *= 2;
		return;
	}
	p->fd = fd;
	p->backoff_us = 50000;
	colo_qmp_connected(p->q, now_us());
	printf("{\"ev\": \"connected\", \"t_us\": %" PRId64 "}\n", now_us());
}

static void
do_io(struct probe *p, int timeout_ms)
{
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	uint8_t buf[4096];
	const uint8_t *out;
	size_t len, off, used;
	ssize_t n;

	if (p->fd < 0) {
		poll(NULL, 0, timeout_ms);
		return;
	}
	out = colo_qmp_output(p->q, &len);
	if (len > 0) {
		n = send(p->fd, out, len, MSG_NOSIGNAL);
		if (n > 0)
			colo_qmp_output_done(p->q, (size_t)n);
		else if (n < 0 && errno != EAGAIN) {
			lost(p, "write failed");
			return;
		}
	}
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return;
	n = recv(p->fd, buf, sizeof(buf), 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		lost(p, n == 0 ? "closed by peer" : "read failed");
		return;
	}
	for (off = 0; n > 0 && off < (size_t)n; off += used) {
		used = colo_qmp_feed(p->q, buf + off, (size_t)n - off, now_us());
		drain_events(p);
		if (p->fd < 0)
			return;
	}
}

static int
kind_of(const char *name)
{
	int k;

	if (strcmp(name, "down") == 0)
		return KIND_DOWN;
	for (k = COLO_QMP_EV_READY; k <= COLO_QMP_EV_ERROR; k++)
		if (strcmp(name, colo_qmp_ev_str((enum colo_qmp_ev_type)k)) == 0)
			return k;
	return -1;
}

/* Run step @p s; true when it is complete. @p started: when it began. */
static bool
step(struct probe *p, const char *s, int64_t started)
{
	const struct colo_qmp_stats *st = colo_qmp_stats(p->q);
	char name[128];
	const char *args;
	int64_t id;
	int k, i, n;

	if (strcmp(s, "ready") == 0)
		s = "wait:ready";
	if (strncmp(s, "wait:", 5) == 0) {
		k = kind_of(s + 5);
		if (p->seen[k] <= p->waited[k])
			return false;
		p->waited[k]++;
		return true;
	}
	if (strncmp(s, "sleep:", 6) == 0)
		return now_us() - started >= atoll(s + 6) * 1000;
	if (strncmp(s, "request", 7) == 0) {
		n = s[7] == ':' ? atoi(s + 8) : 1;
		for (i = 0; i < n; i++) {
			int64_t t = now_us();
			int rc = colo_qmp_request(p->q, t, t);

			printf("{\"ev\": \"request\", \"t_us\": %" PRId64 ", \"seen_us\": %" PRId64
			       ", \"rc\": %d}\n", now_us(), t, rc);
		}
		return true;
	}
	if (strncmp(s, "exec:", 5) == 0) {
		args = strchr(s + 5, ':');
		snprintf(name, sizeof(name), "%.*s",
				(int)(args != NULL ? args - (s + 5) : (long)strlen(s + 5)), s + 5);
		id = colo_qmp_execute(p->q, name, args != NULL ? args + 1 : NULL, now_us());
		printf("{\"ev\": \"exec\", \"t_us\": %" PRId64 ", \"name\": \"%s\", \"id\": %" PRId64
		       "}\n", now_us(), name, id);
		return true;
	}
	if (strcmp(s, "refresh") == 0) {
		printf("{\"ev\": \"refresh\", \"rc\": %d}\n", colo_qmp_refresh(p->q, now_us()));
		return true;
	}
	if (strcmp(s, "state") == 0) {
		printf("{\"ev\": \"state\", \"t_us\": %" PRId64 ", \"state\": %d, \"active\": %s, "
		       "\"delay\": %" PRIu32 ", \"version\": %" PRIu32 ", \"last_stop_us\": %" PRId64
		       ", \"last_resume_us\": %" PRId64 ", \"stop_outside_colo\": %" PRIu64
		       ", \"resume_outside_colo\": %" PRIu64 ", \"last_pass\": %" PRId64 "}\n",
				now_us(), (int)colo_qmp_state(p->q),
				colo_qmp_colo_active(p->q) ? "true" : "false", colo_qmp_delay_ms(p->q),
				colo_qmp_qemu_version(p->q), st->last_stop_us, st->last_resume_us,
				st->stop_outside_colo, st->resume_outside_colo, st->last_pass);
		return true;
	}
	fprintf(stderr, "qmp_probe: unknown step '%s'\n", s);
	exit(1);
}

static bool
valid_step(const char *s)
{
	if (strncmp(s, "wait:", 5) == 0)
		return kind_of(s + 5) >= 0;
	return strcmp(s, "ready") == 0 || strncmp(s, "sleep:", 6) == 0 ||
	       strncmp(s, "request", 7) == 0 || strncmp(s, "exec:", 5) == 0 ||
	       strcmp(s, "refresh") == 0 || strcmp(s, "state") == 0;
}

int
main(int argc, char **argv)
{
	struct colo_qmp_conf conf = { .role = COLO_QMP_ROLE_PRIMARY };
	struct probe p = { .fd = -1, .backoff_us = 50000 };
	int64_t deadline, started;
	double timeout_s = 20;
	int i = 1, rc = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--connect") == 0)
			p.path = argv[i + 1];
		else if (strcmp(argv[i], "--role") == 0)
			conf.role = strcmp(argv[i + 1], "secondary") == 0 ?
						COLO_QMP_ROLE_SECONDARY : COLO_QMP_ROLE_PRIMARY;
		else if (strcmp(argv[i], "--timeout") == 0)
			timeout_s = atof(argv[i + 1]);
		else
			break;
	}
	if (p.path == NULL) {
		fprintf(stderr, "usage: qmp_probe --connect PATH [--role primary|secondary] "
				"[--timeout SEC] STEP...\n");
		return 1;
	}
	for (int j = i; j < argc; j++) {
		if (!valid_step(argv[j])) {
			fprintf(stderr, "qmp_probe: unknown step '%s'\n", argv[j]);
			return 1;
		}
	}
	p.q = colo_qmp_create(&conf);
	if (p.q == NULL)
		return 1;
	deadline = now_us() + (int64_t)(timeout_s * 1e6);
	started = now_us();
	while (i < argc) {
		if (now_us() > deadline) {
			printf("{\"ev\": \"timeout\", \"step\": \"%s\"}\n", argv[i]);
			rc = 2;
			break;
		}
		if (p.fd < 0 && now_us() >= p.next_connect_us)
			try_connect(&p);
		if (step(&p, argv[i], started)) {
			i++;
			started = now_us();
			continue;
		}
		do_io(&p, 5);
		colo_qmp_tick(p.q, now_us());
		drain_events(&p);
	}
	/* Let the last commands out. */
	for (int j = 0; j < 10 && p.fd >= 0; j++)
		do_io(&p, 5);
	print_stats(colo_qmp_stats(p.q));
	if (p.fd >= 0)
		close(p.fd);
	colo_qmp_free(p.q);
	return rc;
}
