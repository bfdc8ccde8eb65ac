/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The notify_dev channel (lib/colo_notify_proto.h) on the "colo-notify" control thread: a
 * poll() loop over a listening unix socket (--notify) or an outgoing
 * connection that is retried with backoff (--notify-connect), one peer at a
 * time. The compare lcore only touches atomics and an eventfd; the framing
 * lives in lib/colo_notify_proto.c.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "colo_log.h"
#include "colo_notify_proto.h"
#include "notify.h"

/*
 * Records waiting for a slow peer. Each is at most 29 bytes and the kernel
 * socket buffer takes thousands before this queue is used at all, so a few
 * are plenty; a peer that stops reading only loses records we coalesce.
 */
#define OUTQ_SIZE 8
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 1000
/* A TCP SYN into a black hole would otherwise wait minutes for the kernel. */
#define CONNECT_TIMEOUT_MS 2000
/* accept() failing for lack of fds would wake poll() at once forever. */
#define ACCEPT_PAUSE_MS 100
#define ACCEPT_BURST 16
/* Bytes a departed peer may leave unread: more than a default unix socket buffer. */
#define PEER_DRAIN_READS 64
#define READ_CHUNK 4096
#define LOG_INTERVAL_MS 1000
#define LOG_BURST 5

static_assert(OUTQ_SIZE >= 2, "a started record must leave room to drop another");

struct colo_notify {
	/* Written by colo_notify_start(), then read-only. */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /**< listening socket */
	dev_t path_dev;		      /**< identity of the socket file we bound, */
	ino_t path_ino;		      /**< so stop never unlinks a successor's */
	struct sockaddr_storage addr; /**< --notify-connect target */
	socklen_t addr_len;	      /**< 0 when not connecting out */
	char addr_str[128];	      /**< the target as given, for logs */
	int wake_fd;		      /**< eventfd: requests and stop */
	int listen_fd;		      /**< -1 unless listening */
	pthread_t thread;

	/* Shared, accessed through atomics only. */
	bool stop;		     /**< colo_notify_stop() writes; thread reads */
	bool has_peer;		     /**< thread writes; anyone reads */
	uint64_t req_posted;	     /**< compare lcore adds; thread reads */
	uint64_t done;		     /**< thread adds; compare lcore reads */
	uint64_t failover;	     /**< thread adds; the owning lcore reads */
	struct colo_notify_stats st; /**< thread writes; anyone reads */

	/* Compare lcore only. */
	uint64_t done_taken;
	uint64_t failover_taken;

	/* Notify thread only. */
	int peer_fd;	 /**< -1 when no peer */
	bool connecting; /**< peer_fd is a connect() in progress */
	bool peer_ready; /**< the peer sent COLO_USERSPACE_PROXY_INIT */
	uint32_t backoff_ms;
	bool connect_failing;	  /**< the streak of failures was logged */
	uint64_t next_connect_ms; /**< or, while connecting, its deadline */
	uint64_t accept_resume_ms;
	uint64_t req_seen;
	struct colo_notify_dec dec;
	enum colo_notify_msg outq[OUTQ_SIZE]; /**< outq[0] is being written */
	unsigned int outq_len;
	uint32_t head_sent; /**< bytes of outq[0] already written */
	/* At most LOG_BURST lines per LOG_INTERVAL_MS each; the next says how many were swallowed. */
	struct colo_log_limit rl_bad;
	struct colo_log_limit rl_peer;
	struct colo_log_limit rl_drop;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Peers control how often these fire, so they must not flood the log. */
#define LOG_LIMITED(rl, level, fmt, ...)                                                       \
	do {                                                                                   \
		uint64_t sup_;                                                                 \
		if (!colo_log_limit_pass(rl, now_ms(), &sup_))                                                \
			break;                                                                 \
		if (sup_ == 0)                                                                 \
			COLO_LOG(level, app, "notify: " fmt, ##__VA_ARGS__);                   \
		else                                                                           \
			COLO_LOG(level, app, "notify: " fmt " (%" PRIu64 " lines suppressed)", \
					##__VA_ARGS__, sup_);                                  \
	} while (0)

/* Counters have one writer, the notify thread; readers must see no tearing. */
static void
stat_inc(uint64_t *ctr, uint64_t nb)
{
	__atomic_store_n(ctr, *ctr + nb, __ATOMIC_RELAXED);
}

static void
bad_record(struct colo_notify *n, const char *why, uint32_t len)
{
	stat_inc(&n->st.bad_records, 1);
	LOG_LIMITED(&n->rl_bad, WARNING, "bad record from peer: %s (length %" PRIu32 ")", why, len);
}

static void
peer_up(struct colo_notify *n, int fd)
{
	int one = 1;

	if (n->addr.ss_family == AF_INET || n->addr.ss_family == AF_INET6) {
		/* Checkpoint requests are latency-bound 17-byte records. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	}
	n->peer_fd = fd;
	n->connecting = false;
	n->peer_ready = false;
	n->connect_failing = false;
	n->backoff_ms = BACKOFF_MIN_MS;
	colo_notify_dec_init(&n->dec);
	n->outq_len = 0;
	n->head_sent = 0;
	/* Before has_peer (set at INIT): whoever sees the peer sees this count. */
	stat_inc(&n->st.connects, 1);
	LOG_LIMITED(&n->rl_peer, INFO, "peer connected%s%s", n->addr_len != 0 ? " to " : "",
			n->addr_len != 0 ? n->addr_str : "");
}

static void
schedule_connect(struct colo_notify *n)
{
	n->next_connect_ms = now_ms() + n->backoff_ms;
	n->backoff_ms = RTE_MIN(n->backoff_ms * 2, (uint32_t)BACKOFF_MAX_MS);
}

/* Drop the connected peer; records still queued for it are discarded. */
static void
peer_close(struct colo_notify *n, const char *why)
{
	if (colo_notify_dec_partial(&n->dec))
		bad_record(n, "partial record at disconnect", n->dec.len);
	close(n->peer_fd);
	n->peer_fd = -1;
	n->peer_ready = false;
	n->outq_len = 0;
	n->head_sent = 0;
	__atomic_store_n(&n->has_peer, false, __ATOMIC_RELEASE);
	stat_inc(&n->st.disconnects, 1);
	LOG_LIMITED(&n->rl_peer, NOTICE, "peer lost: %s", why);
	if (n->addr_len != 0)
		schedule_connect(n);
}

static void
connect_failed(struct colo_notify *n, int err)
{
	/* A peer that is not up yet is normal: say so once per streak. */
	if (!n->connect_failing)
		COLO_LOG(INFO, app, "notify: cannot connect to %s yet (%s); retrying", n->addr_str,
				strerror(err));
	else
		COLO_LOG(DEBUG, app, "notify: connect to %s: %s", n->addr_str, strerror(err));
	n->connect_failing = true;
	schedule_connect(n);
}

static void
connect_abort(struct colo_notify *n, int err)
{
	close(n->peer_fd);
	n->peer_fd = -1;
	n->connecting = false;
	connect_failed(n, err);
}

static void
connect_start(struct colo_notify *n)
{
	int fd;

	fd = socket(n->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		connect_failed(n, errno);
		return;
	}
	if (connect(fd, (const struct sockaddr *)&n->addr, n->addr_len) == 0) {
		peer_up(n, fd);
	} else if (errno == EINPROGRESS) {
		n->peer_fd = fd;
		n->connecting = true;
		n->next_connect_ms = now_ms() + CONNECT_TIMEOUT_MS;
	} else {
		connect_failed(n, errno);
		close(fd);
	}
}

static void
connect_finish(struct colo_notify *n)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(n->peer_fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == 0) {
		peer_up(n, n->peer_fd);
		return;
	}
	connect_abort(n, err);
}

/*
 * Queue @p msg for the peer. When the peer has stopped reading and the queue
 * is full, drop the oldest record not yet started, preferring a
 * DO_CHECKPOINT: the compare lcore waits for one COLO_CHECKPOINT however many
 * requests it made, so a newer request stands for an older one.
 */
static void
outq_push(struct colo_notify *n, enum colo_notify_msg msg)
{
	unsigned int i, first, victim;

	if (n->outq_len == OUTQ_SIZE) {
		first = n->head_sent != 0 ? 1 : 0;
		victim = first;
		for (i = first; i < n->outq_len; i++) {
			if (n->outq[i] == COLO_NOTIFY_MSG_DO_CHECKPOINT) {
				victim = i;
				break;
			}
		}
		memmove(&n->outq[victim], &n->outq[victim + 1],
				(n->outq_len - victim - 1) * sizeof(n->outq[0]));
		n->outq_len--;
		stat_inc(&n->st.out_dropped, 1);
		LOG_LIMITED(&n->rl_drop, WARNING, "peer is not reading; dropped a pending record");
	}
	n->outq[n->outq_len++] = msg;
}

/* Write what the socket takes now; the rest waits for POLLOUT. */
static void
outq_flush(struct colo_notify *n)
{
	uint8_t rec[COLO_NOTIFY_ENC_MAX];
	ssize_t w;
	int len;

	while (n->outq_len > 0) {
		len = colo_notify_encode(n->outq[0], rec, sizeof(rec));
		w = send(n->peer_fd, rec + n->head_sent, len - n->head_sent,
				MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				peer_close(n, strerror(errno));
			return;
		}
		n->head_sent += (uint32_t)w;
		if (n->head_sent < (uint32_t)len)
			return;
		if (n->outq[0] == COLO_NOTIFY_MSG_DO_CHECKPOINT)
			stat_inc(&n->st.requests_sent, 1);
		n->head_sent = 0;
		n->outq_len--;
		memmove(&n->outq[0], &n->outq[1], n->outq_len * sizeof(n->outq[0]));
	}
}

/*
 * The peer counts (has_peer) from its INIT on: the Xen frame waits for our
 * answer before anything else, so DO_CHECKPOINT must not overtake it, and a
 * process that connects without speaking the protocol must not turn
 * monitor mode off.
 */
static void
peer_ready(struct colo_notify *n)
{
	n->peer_ready = true;
	/*
	 * Requests made before were handled by the app as with no peer; they
	 * are not replayed. Snapshot before publishing has_peer, so a request
	 * racing with it is sent rather than lost.
	 */
	n->req_seen = __atomic_load_n(&n->req_posted, __ATOMIC_ACQUIRE);
	__atomic_store_n(&n->has_peer, true, __ATOMIC_RELEASE);
}

static void
handle_msg(struct colo_notify *n, enum colo_notify_msg msg)
{
	switch (msg) {
	case COLO_NOTIFY_MSG_PROXY_INIT:
		stat_inc(&n->st.init_received, 1);
		outq_push(n, COLO_NOTIFY_MSG_GET_XEN_INIT);
		if (!n->peer_ready)
			peer_ready(n);
		break;
	case COLO_NOTIFY_MSG_CHECKPOINT_DONE:
		stat_inc(&n->st.done_received, 1);
		__atomic_fetch_add(&n->done, 1, __ATOMIC_RELEASE);
		break;
	case COLO_NOTIFY_MSG_FAILOVER:
		/* As with monitor mode (N1), only a peer that spoke INIT may decide. */
		if (!n->peer_ready) {
			bad_record(n, "COLO_FAILOVER before COLO_USERSPACE_PROXY_INIT", n->dec.len);
			break;
		}
		stat_inc(&n->st.failover_received, 1);
		__atomic_fetch_add(&n->failover, 1, __ATOMIC_RELEASE);
		break;
	case COLO_NOTIFY_MSG_GET_XEN_INIT:
	case COLO_NOTIFY_MSG_DO_CHECKPOINT:
		/* Our own messages coming back: a confused or looped peer. */
		bad_record(n, "message meant for the frame", n->dec.len);
		break;
	default:
		bad_record(n, "unknown message", n->dec.len);
		break;
	}
}

/*
 * One read per poll round, so a flooding peer cannot delay requests.
 * Returns true when bytes were read, so more may be waiting.
 */
static bool
peer_read(struct colo_notify *n)
{
	enum colo_notify_status st;
	enum colo_notify_msg msg;
	uint8_t buf[READ_CHUNK];
	size_t off = 0, used;
	ssize_t r;

	r = recv(n->peer_fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (r == 0) {
		peer_close(n, "closed by peer");
		return false;
	}
	if (r < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			peer_close(n, strerror(errno));
		return false;
	}
	while (off < (size_t)r) {
		st = colo_notify_dec_feed(&n->dec, buf + off, r - off, &used, &msg);
		off += used;
		if (st == COLO_NOTIFY_RECORD)
			handle_msg(n, msg);
		else if (st == COLO_NOTIFY_OVERSIZED)
			bad_record(n, "length above " RTE_STR(COLO_NOTIFY_MAX_LEN) ", skipping it",
					n->dec.len);
	}
	return true;
}

/*
 * One peer at a time: a client arriving while another is active is accepted
 * and closed at once (it sees EOF), and counted. Refusing rather than
 * replacing keeps a working frame connected when some other local process
 * probes the socket; a frame that restarts closes its old connection first,
 * and the kernel does so for it if it dies.
 */
static void
accept_peers(struct colo_notify *n)
{
	unsigned int i, j;
	int fd;

	for (i = 0; i < ACCEPT_BURST; i++) {
		fd = accept4(n->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
					errno == ECONNABORTED)
				return;
			LOG_LIMITED(&n->rl_peer, ERR, "accept on %s: %s", n->path, strerror(errno));
			n->accept_resume_ms = now_ms() + ACCEPT_PAUSE_MS;
			return;
		}
		/* A peer that closed with bytes still unread only shows its
		 * EOF after them: read on, so its successor is not refused. */
		for (j = 0; j < PEER_DRAIN_READS && n->peer_fd >= 0; j++)
			if (!peer_read(n))
				break;
		if (n->peer_fd >= 0) {
			close(fd);
			stat_inc(&n->st.peers_refused, 1);
			LOG_LIMITED(&n->rl_peer, WARNING,
					"refused a client on %s: a peer is already connected",
					n->path);
			continue;
		}
		peer_up(n, fd);
	}
}

/* Turn the requests the compare lcore posted into DO_CHECKPOINT records. */
static void
take_requests(struct colo_notify *n)
{
	uint64_t posted, nb;
	unsigned int i;

	posted = __atomic_load_n(&n->req_posted, __ATOMIC_ACQUIRE);
	nb = posted - n->req_seen;
	n->req_seen = posted;
	if (nb == 0)
		return;
	if (!n->peer_ready) {
		/* Monitor mode: the app flushed locally; a late request would
		 * checkpoint a VM that no longer needs it. */
		stat_inc(&n->st.requests_unsent, nb);
		return;
	}
	if (nb > OUTQ_SIZE) {
		stat_inc(&n->st.out_dropped, nb - OUTQ_SIZE);
		nb = OUTQ_SIZE;
	}
	for (i = 0; i < nb; i++)
		outq_push(n, COLO_NOTIFY_MSG_DO_CHECKPOINT);
	outq_flush(n);
}

static int
poll_timeout(const struct colo_notify *n, uint64_t now)
{
	uint64_t deadline = UINT64_MAX;

	if (n->addr_len != 0 && (n->peer_fd < 0 || n->connecting))
		deadline = n->next_connect_ms;
	if (n->listen_fd >= 0 && now < n->accept_resume_ms)
		deadline = RTE_MIN(deadline, n->accept_resume_ms);
	if (deadline == UINT64_MAX)
		return -1;
	return deadline > now ? (int)RTE_MIN(deadline - now, (uint64_t)BACKOFF_MAX_MS) : 0;
}

static void *
notify_thread(void *arg)
{
	struct colo_notify *n = arg;
	int wake_i, listen_i, peer_i;
	struct pollfd pfd[3];
	uint64_t now, val;
	nfds_t nfds;

	while (!__atomic_load_n(&n->stop, __ATOMIC_ACQUIRE)) {
		now = now_ms();
		if (n->connecting && now >= n->next_connect_ms)
			connect_abort(n, ETIMEDOUT);
		if (n->addr_len != 0 && n->peer_fd < 0 && now >= n->next_connect_ms)
			connect_start(n);

		nfds = 0;
		wake_i = nfds++;
		pfd[wake_i] = (struct pollfd){ .fd = n->wake_fd, .events = POLLIN };
		listen_i = -1;
		if (n->listen_fd >= 0 && now >= n->accept_resume_ms) {
			listen_i = nfds++;
			pfd[listen_i] = (struct pollfd){ .fd = n->listen_fd, .events = POLLIN };
		}
		peer_i = -1;
		if (n->peer_fd >= 0) {
			peer_i = nfds++;
			pfd[peer_i] = (struct pollfd){ .fd = n->peer_fd };
			if (n->connecting)
				pfd[peer_i].events = POLLOUT;
			else
				pfd[peer_i].events = POLLIN | (n->outq_len != 0 ? POLLOUT : 0);
		}

		if (poll(pfd, nfds, poll_timeout(n, now)) < 0) {
			if (errno != EINTR) {
				COLO_LOG(ERR, app, "notify: poll: %s", strerror(errno));
				usleep(BACKOFF_MIN_MS * 1000);
			}
			continue;
		}

		if (pfd[wake_i].revents & POLLIN) {
			/* Only the wakeup matters; requests are counted in req_posted. */
			if (read(n->wake_fd, &val, sizeof(val)) < 0 && errno != EAGAIN)
				COLO_LOG(ERR, app, "notify: eventfd read: %s", strerror(errno));
		}
		if (peer_i >= 0 && pfd[peer_i].revents != 0) {
			if (n->connecting) {
				connect_finish(n);
			} else {
				if (pfd[peer_i].revents & (POLLIN | POLLHUP | POLLERR))
					peer_read(n);
				if (n->peer_fd >= 0 && (pfd[peer_i].revents & POLLOUT))
					outq_flush(n);
			}
		}
		/* After the peer's reads, so a reply and a request leave in order. */
		take_requests(n);
		if (n->peer_fd >= 0 && !n->connecting && n->outq_len != 0)
			outq_flush(n);
		if (listen_i >= 0 && (pfd[listen_i].revents & POLLIN))
			accept_peers(n);
	}
	return NULL;
}

/* A stale socket file is one nobody accepts on any more. */
static bool
socket_is_live(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	bool live;
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	strcpy(sun.sun_path, path);
	live = connect(fd, (const struct sockaddr *)&sun, sizeof(sun)) == 0 || errno == EAGAIN;
	close(fd);
	return live;
}

static int
listen_open(struct colo_notify *n, const char *arg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path;
	struct stat sb;
	int fd, err;

	if (strncmp(arg, "unix:", 5) != 0 || arg[5] == '\0') {
		COLO_LOG(ERR, app, "notify: --notify takes unix:PATH, not '%s'", arg);
		return -EINVAL;
	}
	path = arg + 5;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		COLO_LOG(ERR, app, "notify: socket path longer than %zu bytes: %s",
				sizeof(sun.sun_path) - 1, path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	strcpy(n->path, path);

	/* Remove a socket left by a killed proxy, but never another file or a live proxy's. */
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			COLO_LOG(ERR, app, "notify: %s exists and is not a socket", path);
			return -EEXIST;
		}
		if (socket_is_live(path)) {
			COLO_LOG(ERR, app, "notify: another process listens on %s", path);
			return -EADDRINUSE;
		}
		unlink(path);
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	/*
	 * Linux gives the bound file the socket inode's mode (less umask), so
	 * this makes it 0600 from the start, without touching the
	 * process-wide umask other threads may depend on.
	 */
	if (fchmod(fd, S_IRUSR | S_IWUSR) < 0)
		goto fail_close;
	if (bind(fd, (const struct sockaddr *)&sun, sizeof(sun)) < 0)
		goto fail_close;
	if (listen(fd, 4) < 0 || stat(path, &sb) < 0)
		goto fail_unlink;
	n->path_dev = sb.st_dev;
	n->path_ino = sb.st_ino;
	n->listen_fd = fd;
	COLO_LOG(INFO, app, "notify: listening on %s", path);
	return 0;

fail_unlink:
	err = errno;
	unlink(path);
	errno = err;
fail_close:
	err = errno;
	close(fd);
	errno = err;
fail:
	err = errno;
	COLO_LOG(ERR, app, "notify: cannot listen on %s: %s", path, strerror(err));
	return -err;
}

/* Parse unix:PATH or tcp:HOST:PORT (HOST may be [v6]) into n->addr. */
static int
connect_parse(struct colo_notify *n, const char *arg)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	char host[128], *port;
	struct sockaddr_un *sun;
	size_t len;
	int rc;

	if (strlen(arg) >= sizeof(n->addr_str))
		goto bad;
	strcpy(n->addr_str, arg);
	if (strncmp(arg, "unix:", 5) == 0 && arg[5] != '\0') {
		sun = (struct sockaddr_un *)&n->addr;
		len = strlen(arg + 5);
		if (len >= sizeof(sun->sun_path))
			goto bad;
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, arg + 5, len + 1);
		n->addr_len = sizeof(*sun);
		return 0;
	}
	if (strncmp(arg, "tcp:", 4) != 0)
		goto bad;
	strcpy(host, arg + 4);
	port = strrchr(host, ':');
	if (port == NULL || port == host || port[1] == '\0')
		goto bad;
	*port++ = '\0';
	len = strlen(host);
	if (host[0] == '[' && host[len - 1] == ']') {
		memmove(host, host + 1, len - 2);
		host[len - 2] = '\0';
	}
	/* Resolved once here, so the thread never blocks in the resolver. */
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		COLO_LOG(ERR, app, "notify: cannot resolve %s: %s", arg, gai_strerror(rc));
		return -EINVAL;
	}
	memcpy(&n->addr, res->ai_addr, res->ai_addrlen);
	n->addr_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
bad:
	COLO_LOG(ERR, app, "notify: --notify-connect takes unix:PATH or tcp:HOST:PORT, not '%s'",
			arg);
	return -EINVAL;
}

struct colo_notify *
colo_notify_start(const struct colo_notify_conf *conf)
{
	struct colo_notify *n;
	int rc;

	if (conf->listen_path != NULL && conf->connect_addr != NULL) {
		COLO_LOG(ERR, app, "notify: --notify and --notify-connect exclude each other");
		rte_errno = EINVAL;
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	n->listen_fd = -1;
	n->peer_fd = -1;
	n->backoff_ms = BACKOFF_MIN_MS;
	n->rl_bad = n->rl_peer = n->rl_drop =
			(struct colo_log_limit){ .interval = LOG_INTERVAL_MS, .burst = LOG_BURST };
	n->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (n->wake_fd < 0) {
		rc = -errno;
		COLO_LOG(ERR, app, "notify: eventfd: %s", strerror(-rc));
		goto fail;
	}
	if (conf->listen_path != NULL) {
		rc = listen_open(n, conf->listen_path);
		if (rc < 0)
			goto fail;
	} else if (conf->connect_addr != NULL) {
		rc = connect_parse(n, conf->connect_addr);
		if (rc < 0)
			goto fail;
	}
	rc = rte_ctrl_thread_create(&n->thread, "colo-notify", NULL, notify_thread, n);
	if (rc != 0) {
		COLO_LOG(ERR, app, "notify: cannot create its control thread: %s", strerror(-rc));
		goto fail;
	}
	return n;

fail:
	if (n->listen_fd >= 0) {
		close(n->listen_fd);
		unlink(n->path);
	}
	if (n->wake_fd >= 0)
		close(n->wake_fd);
	free(n);
	rte_errno = -rc;
	return NULL;
}

static void
wake(struct colo_notify *n)
{
	const uint64_t one = 1;

	/* EAGAIN means the counter is saturated: the thread is awake anyway. */
	if (write(n->wake_fd, &one, sizeof(one)) < 0)
		return;
}

void
colo_notify_stop(struct colo_notify *n)
{
	struct stat sb;

	if (n == NULL)
		return;
	__atomic_store_n(&n->stop, true, __ATOMIC_RELEASE);
	wake(n);
	pthread_join(n->thread, NULL);
	if (n->peer_fd >= 0)
		close(n->peer_fd);
	if (n->listen_fd >= 0) {
		close(n->listen_fd);
		if (stat(n->path, &sb) == 0 && sb.st_dev == n->path_dev && sb.st_ino == n->path_ino)
			unlink(n->path);
	}
	close(n->wake_fd);
	free(n);
}

bool
colo_notify_has_peer(const struct colo_notify *n)
{
	return __atomic_load_n(&n->has_peer, __ATOMIC_ACQUIRE);
}

void
colo_notify_request(struct colo_notify *n)
{
	__atomic_fetch_add(&n->req_posted, 1, __ATOMIC_RELEASE);
	wake(n);
}

uint64_t
colo_notify_take_done(struct colo_notify *n)
{
	uint64_t done = __atomic_load_n(&n->done, __ATOMIC_ACQUIRE);
	uint64_t nb = done - n->done_taken;

	n->done_taken = done;
	return nb;
}

uint64_t
colo_notify_take_failover(struct colo_notify *n)
{
	uint64_t nb = __atomic_load_n(&n->failover, __ATOMIC_ACQUIRE) - n->failover_taken;

	n->failover_taken += nb;
	return nb;
}

void
colo_notify_get_stats(const struct colo_notify *n, struct colo_notify_stats *st)
{
	st->requests_sent = __atomic_load_n(&n->st.requests_sent, __ATOMIC_RELAXED);
	st->done_received = __atomic_load_n(&n->st.done_received, __ATOMIC_RELAXED);
	st->init_received = __atomic_load_n(&n->st.init_received, __ATOMIC_RELAXED);
	st->bad_records = __atomic_load_n(&n->st.bad_records, __ATOMIC_RELAXED);
	st->connects = __atomic_load_n(&n->st.connects, __ATOMIC_RELAXED);
	st->disconnects = __atomic_load_n(&n->st.disconnects, __ATOMIC_RELAXED);
	st->requests_unsent = __atomic_load_n(&n->st.requests_unsent, __ATOMIC_RELAXED);
	st->out_dropped = __atomic_load_n(&n->st.out_dropped, __ATOMIC_RELAXED);
	st->peers_refused = __atomic_load_n(&n->st.peers_refused, __ATOMIC_RELAXED);
	st->failover_received = __atomic_load_n(&n->st.failover_received, __ATOMIC_RELAXED);
}
