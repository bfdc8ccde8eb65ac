/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection snapshots (snapshot.h). The telemetry side posts a numbered
 * request to each shard (colo_shard.snap_posted) and waits; the compare lcore side scans its
 * own table a slice per loop, keeps the best COLO_SNAP_WINDOW in a min-heap,
 * and marks the request answered. Formatting is in telemetry_conns.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "colo_conn.h"
#include "obs.h"
#include "snapshot.h"

/*
 * Table slots scanned per compare loop, so that a request over a large
 * table delays the compare by tens of microseconds at a time rather than
 * milliseconds at once: a slot is one 64-byte struct colo_conn.
 */
#define SCAN_SLICE 4096
/* How often the telemetry thread looks for the answers. */
#define WAIT_STEP_US 200

enum req_kind {
	REQ_TOP = 1,
	REQ_ONE,
};

struct snap_req {
	enum req_kind kind;
	enum colo_snap_sort sort;	/**< REQ_TOP */
	uint32_t window;		/**< REQ_TOP */
	struct colo_snap_target target; /**< REQ_ONE */
	uint64_t tsc;			/**< the "now" of ages and scores */
	uint64_t ms_tsc;		/**< TSC ticks per millisecond; set by the compare lcore */
};

struct heap_entry {
	uint64_t score;
	uint32_t pos; /**< index into snap_shard.conn */
};

/* One shard's request, the work on it, and the answer. */
struct snap_shard {
	/** Written by the telemetry thread, before it posts. */
	struct snap_req req;
	/** Compare lcore only: the request in progress, 0 for none. */
	uint32_t working;
	struct snap_req work;
	uint32_t cursor; /**< next table slot to scan */
	uint32_t nb_heap;
	struct heap_entry heap[COLO_SNAP_WINDOW];
	/** The answer, written by the compare lcore before it marks it answered. */
	uint32_t nb;
	struct colo_snap_conn conn[COLO_SNAP_WINDOW];
	bool found;
	struct colo_snap_detail detail;
	uint64_t conns;
	uint64_t capacity;
} __rte_cache_aligned;

/** The snapshot state: colo_app.snapshot. */
struct colo_snapshot {
	/* Telemetry serves several clients at once, each on a thread: one request at a time. */
	pthread_mutex_t lock;
	uint32_t seq; /**< under lock */
	struct snap_shard shard[COLO_MAX_SHARDS];
};

/* Oldest arrival and bytes of one queue. TCP queues are in sequence order: walk them all. */
static uint64_t
queue_oldest(const struct colo_pktq *q, uint64_t *bytes)
{
	uint64_t oldest = 0, b = 0;
	const struct rte_mbuf *m;

	for (m = q->head; m != NULL; m = colo_pkt_meta(m)->next) {
		const struct colo_pkt_meta *pm = colo_pkt_meta(m);

		if (oldest == 0 || pm->arrival_tsc < oldest)
			oldest = pm->arrival_tsc;
		b += m->pkt_len;
	}
	if (bytes != NULL)
		*bytes = b;
	return oldest;
}

static inline uint64_t
age_tsc(uint64_t now, uint64_t tsc)
{
	return now > tsc ? now - tsc : 0;
}

static uint64_t
score_of(const struct colo_conn *conn, const struct snap_req *r)
{
	uint64_t oldest = 0, t, age_ms;
	unsigned int s;

	if (r->sort == COLO_SNAP_SORT_IDLE)
		return age_tsc(r->tsc, conn->last_tsc);
	for (s = 0; s < 2; s++) {
		t = queue_oldest(&conn->q[s], NULL);
		if (t != 0 && (oldest == 0 || t < oldest))
			oldest = t;
	}
	if (r->sort == COLO_SNAP_SORT_AGE)
		return oldest != 0 ? age_tsc(r->tsc, oldest) + 1 : 0;
	age_ms = oldest != 0 ? age_tsc(r->tsc, oldest) / r->ms_tsc : 0;
	return (uint64_t)(conn->q[0].nb + conn->q[1].nb) << 32 | RTE_MIN(age_ms, UINT32_MAX);
}

static void
conn_copy(const struct colo_conn_table *t, uint32_t idx, uint16_t shard, struct colo_snap_conn *c)
{
	const struct colo_conn *conn = colo_conn_at(t, idx);
	unsigned int s;

	memcpy(&c->key, colo_conn_key(t, idx), sizeof(c->key));
	c->verified_bytes = conn->verified_bytes;
	c->last_tsc = conn->last_tsc;
	for (s = 0; s < 2; s++) {
		c->nb[s] = conn->q[s].nb;
		c->oldest_tsc[s] = queue_oldest(&conn->q[s], &c->bytes[s]);
	}
	c->index = idx;
	c->tcp_verified = conn->tcp_verified;
	c->tcp_sec_ack = conn->tcp_sec_ack;
	c->shard = shard;
	c->flags = conn->flags;
}

static void
heap_sift_down(struct heap_entry *h, uint32_t n, uint32_t i)
{
	struct heap_entry e = h[i];
	uint32_t c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && h[c + 1].score < h[c].score)
			c++;
		if (h[c].score >= e.score)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = e;
}

static void
heap_push(struct heap_entry *h, uint32_t n, struct heap_entry e)
{
	uint32_t i = n, p;

	while (i > 0) {
		p = (i - 1) / 2;
		if (h[p].score <= e.score)
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = e;
}

/* Offer connection @p idx to the heap of the best work.window. */
static void
top_offer(struct snap_shard *s, const struct colo_conn_table *t, uint32_t idx, uint16_t shard)
{
	uint64_t score = score_of(colo_conn_at(t, idx), &s->work);
	uint32_t pos;

	if (s->nb_heap < s->work.window) {
		pos = s->nb_heap;
		heap_push(s->heap, s->nb_heap++, (struct heap_entry){ score, pos });
	} else if (score > s->heap[0].score) {
		pos = s->heap[0].pos;
		s->heap[0].score = score;
		heap_sift_down(s->heap, s->nb_heap, 0);
	} else {
		return;
	}
	conn_copy(t, idx, shard, &s->conn[pos]);
	s->conn[pos].score = score;
}

/* One slice of the scan; true when the table is done. */
static bool
top_step(struct snap_shard *s, const struct colo_conn_table *t, uint16_t shard)
{
	uint32_t cap = colo_conn_capacity(t);
	uint32_t end = RTE_MIN(s->cursor + SCAN_SLICE, cap);
	uint32_t idx;

	/* By slot, not by list: a slot keeps its connection while the scan
	 * pauses between loops, where list links may change. */
	for (idx = s->cursor; idx < end; idx++)
		if (colo_conn_at(t, idx)->flags & COLO_CONN_F_USED)
			top_offer(s, t, idx, shard);
	s->cursor = end;
	if (end < cap)
		return false;
	s->nb = s->nb_heap;
	return true;
}

static void
one_answer(struct snap_shard *s, const struct colo_conn_table *t, uint16_t shard)
{
	const struct colo_snap_target *tg = &s->work.target;
	struct colo_snap_detail *d = &s->detail;
	const struct rte_mbuf *m;
	int32_t idx = -ENOENT;
	unsigned int side, n;

	if (tg->by_key)
		idx = colo_conn_lookup_one(t, &tg->key, colo_key_hash(&tg->key));
	else if (tg->shard == shard && tg->index < colo_conn_capacity(t) &&
			(colo_conn_at(t, tg->index)->flags & COLO_CONN_F_USED))
		idx = (int32_t)tg->index;
	s->found = idx >= 0;
	if (!s->found)
		return;
	conn_copy(t, (uint32_t)idx, shard, &d->conn);
	for (side = 0; side < 2; side++) {
		n = 0;
		for (m = colo_conn_at(t, idx)->q[side].head; m != NULL && n < COLO_SNAP_PKTS;
				m = colo_pkt_meta(m)->next) {
			const struct colo_pkt_meta *pm = colo_pkt_meta(m);

			d->pkts[side][n++] = (struct colo_snap_pkt){
				.arrival_tsc = pm->arrival_tsc,
				.tcp_seq = pm->tcp_seq,
				.len = m->pkt_len,
				.payload_len = pm->payload_len,
				.flags = pm->flags,
			};
		}
		d->nb_pkts[side] = n;
	}
}

/*
 * Compare lcore of @p sh, when its slot has an unanswered request. A newer
 * request replaces one in progress (its asker gave up). The request is
 * copied, then the number read again: a changed number means the copy may
 * mix two requests, so it is taken again on the next loop.
 */
void
colo_snapshot_serve(struct colo_shard *sh)
{
	struct snap_shard *s = &sh->app->snapshot->shard[sh->id];
	const struct colo_conn_table *t = colo_ctx_conns(sh->ctx);
	uint32_t posted = __atomic_load_n(&sh->snap_posted, __ATOMIC_ACQUIRE);
	bool done = true;

	if (s->working != posted) {
		s->work = s->req;
		if (__atomic_load_n(&sh->snap_posted, __ATOMIC_ACQUIRE) != posted)
			return;
		s->working = posted;
		s->cursor = 0;
		s->nb_heap = 0;
		/* Bounds for the heap, whatever the copy holds. */
		s->work.window = RTE_MAX(RTE_MIN(s->work.window, (uint32_t)COLO_SNAP_WINDOW), 1u);
		if (s->work.sort >= COLO_SNAP_SORT_MAX)
			s->work.sort = COLO_SNAP_SORT_QUEUE;
		s->work.ms_tsc = rte_get_tsc_hz() / 1000;
	}
	if (s->work.kind == REQ_TOP)
		done = top_step(s, t, sh->id);
	else
		one_answer(s, t, sh->id);
	if (!done)
		return;
	s->conns = colo_conn_count(t);
	s->capacity = colo_conn_capacity(t);
	__atomic_store_n(&sh->snap_answered, posted, __ATOMIC_RELEASE);
}

/*
 * Post @p req to the shards in [@p first, @p last) and wait for every
 * answer. Called with the lock held.
 */
static int
post_and_wait(struct colo_app *app, const struct snap_req *req, unsigned int first,
		unsigned int last)
{
	struct colo_snapshot *snap = app->snapshot;
	uint64_t deadline = rte_rdtsc() + rte_get_tsc_hz() / 1000 * COLO_SNAP_TIMEOUT_MS;
	uint32_t n;
	unsigned int i;

	n = ++snap->seq;
	if (n == 0) /* 0 is "no request in progress" on the lcore side */
		n = ++snap->seq;
	for (i = first; i < last; i++) {
		snap->shard[i].req = *req;
		__atomic_store_n(&app->shard[i].snap_posted, n, __ATOMIC_RELEASE);
	}
	for (i = first; i < last; i++) {
		while (__atomic_load_n(&app->shard[i].snap_answered, __ATOMIC_ACQUIRE) != n) {
			if (rte_rdtsc() > deadline)
				return -ETIMEDOUT;
			rte_delay_us_sleep(WAIT_STEP_US);
		}
	}
	return 0;
}

static void
totals_add(struct colo_snap_totals *tot, const struct snap_shard *s)
{
	tot->conns += s->conns;
	tot->capacity += s->capacity;
	tot->shards++;
}

static int
score_cmp(const void *a, const void *b)
{
	const struct colo_snap_conn *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->shard != y->shard)
		return x->shard < y->shard ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

int
colo_snapshot_top(struct colo_app *app, enum colo_snap_sort sort, unsigned int window,
		struct colo_snap_conn *out, struct colo_snap_totals *tot)
{
	struct snap_req req = { .kind = REQ_TOP, .sort = sort, .window = window };
	struct colo_snapshot *snap = app->snapshot;
	struct colo_snap_conn *all;
	unsigned int i, nb = 0;
	int ret;

	if (window == 0 || window > COLO_SNAP_WINDOW || sort >= COLO_SNAP_SORT_MAX ||
			app->nb_shards == 0)
		return -EINVAL;
	/* The global top window is among the top window of each shard. */
	all = malloc(sizeof(*all) * window * app->nb_shards);
	if (all == NULL)
		return -ENOMEM;
	memset(tot, 0, sizeof(*tot));
	pthread_mutex_lock(&snap->lock);
	req.tsc = rte_rdtsc();
	tot->tsc = req.tsc;
	ret = post_and_wait(app, &req, 0, app->nb_shards);
	for (i = 0; ret == 0 && i < app->nb_shards; i++) {
		memcpy(&all[nb], snap->shard[i].conn, sizeof(*all) * snap->shard[i].nb);
		nb += snap->shard[i].nb;
		totals_add(tot, &snap->shard[i]);
	}
	pthread_mutex_unlock(&snap->lock);
	if (ret == 0) {
		qsort(all, nb, sizeof(*all), score_cmp);
		ret = (int)RTE_MIN(nb, window);
		memcpy(out, all, sizeof(*out) * ret);
	}
	free(all);
	return ret;
}

int
colo_snapshot_one(struct colo_app *app, const struct colo_snap_target *t,
		struct colo_snap_detail *out, struct colo_snap_totals *tot)
{
	struct snap_req req = { .kind = REQ_ONE, .target = *t };
	struct colo_snapshot *snap = app->snapshot;
	unsigned int i, first = 0, last = app->nb_shards;
	int ret;

	if (!t->by_key) {
		if (t->shard >= app->nb_shards)
			return -ENOENT;
		first = t->shard;
		last = first + 1;
	}
	memset(tot, 0, sizeof(*tot));
	pthread_mutex_lock(&snap->lock);
	req.tsc = rte_rdtsc();
	tot->tsc = req.tsc;
	ret = post_and_wait(app, &req, first, last);
	if (ret == 0)
		ret = -ENOENT;
	for (i = first; ret == -ENOENT && i < last; i++) {
		if (snap->shard[i].found) {
			*out = snap->shard[i].detail;
			ret = 0;
		}
	}
	for (i = first; i < last; i++)
		totals_add(tot, &snap->shard[i]);
	pthread_mutex_unlock(&snap->lock);
	return ret;
}

/** Create colo_app.snapshot; main lcore, before telemetry starts. @return 0 or -ENOMEM. */
int
colo_snapshot_init(struct colo_app *app)
{
	app->snapshot = rte_zmalloc("colo_snapshot", sizeof(*app->snapshot), RTE_CACHE_LINE_SIZE);
	if (app->snapshot == NULL)
		return -ENOMEM;
	pthread_mutex_init(&app->snapshot->lock, NULL);
	return 0;
}

/** Free colo_app.snapshot; telemetry is closed and the lcores have stopped. */
void
colo_snapshot_fini(struct colo_app *app)
{
	if (app->snapshot == NULL)
		return;
	pthread_mutex_destroy(&app->snapshot->lock);
	rte_free(app->snapshot);
	app->snapshot = NULL;
}
