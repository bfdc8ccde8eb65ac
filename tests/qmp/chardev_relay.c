/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test tool of the chardev codec (lib/colo_chardev_proto.c) against QEMU:
 * listens on two unix sockets that QEMU's chardevs connect to; decodes the
 * records a filter-redirector/filter-mirror writes to the first, prints each
 * one as a JSON line (frame in hex), and encodes it again onto the second,
 * which feeds a filter-redirector's indev. tests/qmp/test_qmp.py compares
 * both sides with the frames it gave QEMU.
 *
 * usage: chardev_relay --in PATH --out PATH --vnet on|off --count N [--timeout SEC]
 * Exits 0 after N records, 2 on timeout or a broken stream, 1 on bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "colo_chardev_proto.h"

static uint8_t recbuf[COLO_CHARDEV_MAX_LEN];

static int
listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 1) != 0) {
		perror(path);
		return -1;
	}
	return fd;
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Encoded records waiting for QEMU: it reads them only between its own
 * writes to us, so the relay must never block on them. */
struct outq {
	uint8_t *buf;
	size_t len, cap;
};

static int
outq_put(struct outq *o, const void *p, size_t n)
{
	uint8_t *nb;

	if (n == 0)
		return 0;
	if (o->len + n > o->cap) {
		nb = realloc(o->buf, (o->len + n) * 2);
		if (nb == NULL)
			return -1;
		o->buf = nb;
		o->cap = (o->len + n) * 2;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	return 0;
}

/* Write what QEMU takes now; -1 if the connection failed. */
static int
outq_flush(struct outq *o, int fd)
{
	ssize_t n;

	if (o->len == 0 || fd < 0)
		return 0;
	n = send(fd, o->buf, o->len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	memmove(o->buf, o->buf + n, o->len - (size_t)n);
	o->len -= (size_t)n;
	return 0;
}

int
main(int argc, char **argv)
{
	const char *in_path = NULL, *out_path = NULL;
	int lin, lout, cin = -1, cout = -1, rc = 2, h;
	uint8_t buf[8192], hdr[COLO_CHARDEV_HDR_MAX];
	struct colo_chardev_dec dec;
	struct colo_chardev_rec rec;
	enum colo_chardev_status st;
	long count = 0, done = 0;
	double timeout = 30, deadline;
	struct outq oq = { 0 };
	bool vnet = false;
	size_t off, used;
	ssize_t n;
	uint32_t i;

	for (int a = 1; a + 1 < argc; a += 2) {
		if (strcmp(argv[a], "--in") == 0)
			in_path = argv[a + 1];
		else if (strcmp(argv[a], "--out") == 0)
			out_path = argv[a + 1];
		else if (strcmp(argv[a], "--vnet") == 0)
			vnet = strcmp(argv[a + 1], "on") == 0;
		else if (strcmp(argv[a], "--count") == 0)
			count = atol(argv[a + 1]);
		else if (strcmp(argv[a], "--timeout") == 0)
			timeout = atof(argv[a + 1]);
	}
	if (in_path == NULL || out_path == NULL || count <= 0) {
		fprintf(stderr, "usage: chardev_relay --in PATH --out PATH --vnet on|off "
				"--count N [--timeout SEC]\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	lin = listen_on(in_path);
	lout = listen_on(out_path);
	if (lin < 0 || lout < 0)
		return 1;
	printf("{\"ev\": \"listening\"}\n");
	deadline = mono() + timeout;
	colo_chardev_dec_init(&dec, recbuf, sizeof(recbuf), vnet);
	while ((done < count || oq.len > 0) && mono() < deadline) {
		struct pollfd pfd[4] = {
			{ .fd = cin < 0 ? lin : -1, .events = POLLIN },
			{ .fd = cout < 0 ? lout : -1, .events = POLLIN },
			{ .fd = done < count ? cin : -1, .events = POLLIN },
			{ .fd = oq.len > 0 ? cout : -1, .events = POLLOUT },
		};

		if (poll(pfd, 4, 100) <= 0)
			continue;
		if (outq_flush(&oq, cout) != 0) {
			printf("{\"ev\": \"send_failed\"}\n");
			goto out;
		}
		if (pfd[0].revents & POLLIN)
			cin = accept(lin, NULL, NULL);
		if (pfd[1].revents & POLLIN)
			cout = accept(lout, NULL, NULL);
		if (cin < 0 || !(pfd[2].revents & (POLLIN | POLLHUP)))
			continue;
		n = recv(cin, buf, sizeof(buf), 0);
		if (n <= 0) {
			printf("{\"ev\": \"closed\"}\n");
			break;
		}
		for (off = 0; off < (size_t)n; off += used) {
			st = colo_chardev_dec_feed(&dec, buf + off, (size_t)n - off, &used, &rec);
			if (st == COLO_CHARDEV_BROKEN) {
				printf("{\"ev\": \"broken\"}\n");
				goto out;
			}
			if (st != COLO_CHARDEV_RECORD)
				continue;
			printf("{\"ev\": \"record\", \"vnet_hdr_len\": %" PRIu32 ", \"len\": %" PRIu32
			       ", \"hex\": \"", rec.vnet_hdr_len, rec.frame_len);
			for (i = 0; i < rec.frame_len; i++)
				printf("%02x", rec.frame[i]);
			printf("\"}\n");
			h = colo_chardev_encode_hdr(hdr, rec.frame_len, rec.vnet_hdr_len, vnet);
			if (h < 0 || outq_put(&oq, hdr, (size_t)h) != 0 ||
					outq_put(&oq, rec.vnet_hdr, rec.vnet_hdr_len) != 0 ||
					outq_put(&oq, rec.frame, rec.frame_len) != 0) {
				printf("{\"ev\": \"encode_failed\"}\n");
				goto out;
			}
			done++;
		}
	}
	rc = done == count && oq.len == 0 ? 0 : 2;
out:
	printf("{\"ev\": \"stats\", \"records\": %" PRIu64 ", \"malformed\": %" PRIu64
	       ", \"oversized\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"partial\": %s}\n",
			dec.stats.records, dec.stats.malformed, dec.stats.oversized, dec.stats.bytes,
			colo_chardev_dec_partial(&dec) ? "true" : "false");
	/* Give QEMU time to read the last records before the sockets close. */
	if (rc == 0)
		usleep(200000);
	if (cin >= 0)
		close(cin);
	if (cout >= 0)
		close(cout);
	free(oq.buf);
	close(lin);
	close(lout);
	unlink(in_path);
	unlink(out_path);
	return rc;
}
