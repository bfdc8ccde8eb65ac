/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Divergence capture (obs.h). On a compare lcore the callback takes
 * fixed-size records from a pool, copies the pair and its context frames
 * (the mbufs are only valid during the callback) and enqueues them as one
 * group; when records or ring room run out it counts and returns. The main
 * lcore writes whole groups to the pcapng file, or none when the group would
 * cross the size cap, so a context never appears without its pair.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "colo_divergence.h"
#include "colo_log.h"
#include "colo_pcapng.h"
#include "obs.h"

/*
 * Records in flight until the main lcore's next tick (10 ms): a divergence
 * takes 2 plus its context (at most 34). As many as RECORDS_BYTES allow, up
 * to RECORDS_MAX: 4095 at the default snaplen, 255 at 65535.
 */
#define RECORDS_MAX 4095u
#define RECORDS_MIN 255u
#define RECORDS_BYTES (16u << 20)
#define COMMENT_LEN 256
/* The history pins mbufs: at most this many per shard, and 1/16 of the pool in all. */
#define HISTORY_MAX 1024u
#define HISTORY_POOL_SHARE 16
#define NSEC_PER_SEC 1000000000ull

/** One frame on its way to the file. */
struct record {
	uint64_t arrival_tsc;
	uint32_t len;	   /**< length of the frame; data holds up to snaplen of it */
	uint16_t nb_group; /**< on a divergence's first record: its records; else 0 */
	uint8_t side;	   /**< enum colo_side: the pcapng interface */
	char comment[COMMENT_LEN];
	uint8_t data[]; /**< snaplen bytes */
};

/** The capture: colo_app.capture, created by colo_divergence_start(). */
struct colo_capture {
	struct rte_mempool *pool;
	struct rte_ring *ring; /**< MP (every shard) / SC (main lcore) */
	struct colo_pcapng *w; /**< main lcore only */
	uint32_t snaplen;
	uint64_t max_bytes;
	uint64_t real_ns0; /**< CLOCK_REALTIME when tsc0 was read */
	uint64_t tsc0;
	uint64_t hz;
	bool capped_logged;
	uint64_t stats[COLO_CAPTURE_STAT_MAX]; /**< atomic: several shards add */
};

#define NAME_ENTRY(sym, name, help) name,
const char *const colo_capture_stat_names[] = { COLO_CAPTURE_STATS(NAME_ENTRY) };
#undef NAME_ENTRY

static inline void
stat_add(struct colo_capture *cap, enum colo_capture_stat s, uint64_t n)
{
	__atomic_fetch_add(&cap->stats[s], n, __ATOMIC_RELAXED);
}

static const char *
side_name(unsigned int side)
{
	return side == COLO_SIDE_PRIMARY ? "primary" : "secondary";
}

/* Copy up to snaplen bytes of @p m; rte_pktmbuf_read() copies only what spans segments. */
static void
record_fill(const struct colo_capture *cap, struct record *r, const struct rte_mbuf *m)
{
	uint32_t caplen = RTE_MIN(m->pkt_len, cap->snaplen);
	const void *p;

	r->arrival_tsc = colo_pkt_meta(m)->arrival_tsc;
	r->len = m->pkt_len;
	r->side = colo_pkt_meta(m)->side;
	r->nb_group = 0;
	p = rte_pktmbuf_read(m, 0, caplen, r->data);
	if (p != NULL && p != r->data)
		memcpy(r->data, p, caplen);
}

/* Compare lcore: copy the pair and its context; never waits. */
static void
on_divergence(const struct colo_divergence *d, void *arg)
{
	struct record *recs[COLO_DIVERGENCE_MAX_CONTEXT + 2];
	unsigned int i, n = d->nb_context + 2;
	struct colo_capture *cap = arg;
	char key[128];

	stat_add(cap, COLO_CAPTURE_EVENTS, 1);
	if (rte_mempool_get_bulk(cap->pool, (void **)recs, n) != 0) {
		stat_add(cap, COLO_CAPTURE_LOST, n);
		return;
	}
	colo_key_format(d->key, key, sizeof(key));
	for (i = 0; i < d->nb_context; i++) {
		record_fill(cap, recs[i], d->context[i]);
		snprintf(recs[i]->comment, COMMENT_LEN, "context %s %s before checkpoint %" PRIu64,
				side_name(recs[i]->side), key, d->ckpt_id);
	}
	for (i = 0; i < 2; i++) {
		record_fill(cap, recs[d->nb_context + i], d->pkt[i]);
		colo_divergence_format(d, i, recs[d->nb_context + i]->comment, COMMENT_LEN);
	}
	recs[0]->nb_group = (uint16_t)n;
	/* All or nothing, so that the writer finds the group in one piece. */
	if (rte_ring_mp_enqueue_bulk(cap->ring, (void **)recs, n, NULL) == 0) {
		rte_mempool_put_bulk(cap->pool, (void **)recs, n);
		stat_add(cap, COLO_CAPTURE_LOST, n);
	}
}

static uint64_t
unix_ns(const struct colo_capture *cap, uint64_t tsc)
{
	int64_t delta = (int64_t)(tsc - cap->tsc0);
	uint64_t abs = delta < 0 ? (uint64_t)-delta : (uint64_t)delta;
	uint64_t ns = abs / cap->hz * NSEC_PER_SEC + abs % cap->hz * NSEC_PER_SEC / cap->hz;

	return delta < 0 ? cap->real_ns0 - ns : cap->real_ns0 + ns;
}

static void
bytes_update(struct colo_capture *cap)
{
	struct colo_pcapng_stats st;

	colo_pcapng_stats(cap->w, &st);
	__atomic_store_n(&cap->stats[COLO_CAPTURE_BYTES], st.bytes, __ATOMIC_RELAXED);
}

/* Main lcore: the whole group, or none of it when it would cross the cap-> */
static void
write_group(struct colo_capture *cap, struct record **recs, unsigned int n)
{
	struct colo_pcapng_stats st;
	uint64_t need = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		need += colo_pcapng_block_size(cap->w, recs[i]->len, recs[i]->comment);
	colo_pcapng_stats(cap->w, &st);
	if (st.bytes + need > cap->max_bytes) {
		stat_add(cap, COLO_CAPTURE_CAPPED, n);
		if (!cap->capped_logged)
			COLO_LOG(NOTICE, app,
					"divergence capture reached its cap of %" PRIu64
					" bytes: further divergences are counted, not written",
					cap->max_bytes);
		cap->capped_logged = true;
		return;
	}
	for (i = 0; i < n; i++) {
		if (colo_pcapng_write(cap->w, recs[i]->side, unix_ns(cap, recs[i]->arrival_tsc),
				    recs[i]->data, recs[i]->len, recs[i]->comment) == 0)
			stat_add(cap, COLO_CAPTURE_WRITTEN, 1);
		else
			stat_add(cap, COLO_CAPTURE_ERRORS, 1);
	}
	bytes_update(cap);
}

void
colo_divergence_poll(struct colo_app *app)
{
	struct record *recs[COLO_DIVERGENCE_MAX_CONTEXT + 2];
	struct colo_capture *cap = app->capture;
	unsigned int n;

	if (cap == NULL || cap->ring == NULL)
		return;
	while (rte_ring_sc_dequeue(cap->ring, (void **)&recs[0]) == 0) {
		n = RTE_MAX(recs[0]->nb_group, 1);
		/* The group was enqueued in one piece: the rest is there. */
		if (n > 1 && rte_ring_sc_dequeue_bulk(cap->ring, (void **)&recs[1], n - 1, NULL) !=
						n - 1)
			n = 1;
		write_group(cap, recs, n);
		rte_mempool_put_bulk(cap->pool, (void **)recs, n);
	}
}

/* History per shard: a share of the pool, a power of two, at most HISTORY_MAX. */
static unsigned int
history_size(const struct colo_app *app)
{
	uint32_t share = app->opts.nb_mbufs / (HISTORY_POOL_SHARE * app->nb_shards);

	return share < 2 ? 0 : RTE_MIN(rte_align32prevpow2(share), HISTORY_MAX);
}

static int
attach(struct colo_app *app)
{
	unsigned int s, history = history_size(app), k = app->opts.divergence_context;
	struct colo_capture *cap = app->capture;
	int ret;

	for (s = 0; s < app->nb_shards; s++) {
		ret = colo_divergence_register(app->shard[s].ctx, on_divergence, cap);
		if (ret == 0 && k != 0)
			ret = colo_divergence_history(app->shard[s].ctx, history, k);
		if (ret != 0)
			return ret;
	}
	COLO_LOG(INFO, app,
			"divergence capture to %s: snaplen %u, cap %" PRIu64
			" bytes, %u context frames per side from the last %u frames of each shard",
			app->opts.divergence_pcap, cap->snaplen, cap->max_bytes, k,
			k != 0 ? history : 0);
	return 0;
}

int
colo_divergence_start(struct colo_app *app)
{
	static const char *const ifs[] = { "primary", "secondary" };
	const struct colo_opts *o = &app->opts;
	struct colo_capture *cap;
	struct timespec now;
	uint32_t nb;
	int ret;

	if (o->divergence_pcap[0] == '\0')
		return 0;
	cap = calloc(1, sizeof(*cap));
	if (cap == NULL)
		return -ENOMEM;
	app->capture = cap;
	cap->snaplen = o->divergence_snaplen;
	cap->max_bytes = o->divergence_max_bytes;
	cap->hz = rte_get_tsc_hz();
	clock_gettime(CLOCK_REALTIME, &now);
	cap->tsc0 = rte_rdtsc();
	cap->real_ns0 = (uint64_t)now.tv_sec * NSEC_PER_SEC + (uint64_t)now.tv_nsec;
	cap->w = colo_pcapng_open(o->divergence_pcap, ifs, RTE_DIM(ifs), cap->snaplen, cap->max_bytes);
	if (cap->w == NULL) {
		ret = -errno;
		COLO_LOG(ERR, app, "--divergence-pcap %s: %s", o->divergence_pcap, strerror(errno));
		return ret;
	}
	nb = RTE_MIN(RECORDS_BYTES / (uint32_t)(sizeof(struct record) + cap->snaplen), RECORDS_MAX);
	nb = rte_align32prevpow2(RTE_MAX(nb, RECORDS_MIN) + 1) - 1;
	cap->pool = rte_mempool_create("colo_div_records", nb, sizeof(struct record) + cap->snaplen,
			0, 0, NULL, NULL, NULL, NULL, rte_socket_id(), 0);
	/* Room for every record: enqueueing fails only when the pool is empty. */
	cap->ring = rte_ring_create("colo_div", nb + 1, rte_socket_id(), RING_F_SC_DEQ);
	if (cap->pool == NULL || cap->ring == NULL) {
		ret = -rte_errno;
		COLO_LOG(ERR, app, "divergence capture: %s", rte_strerror(rte_errno));
		return ret;
	}
	bytes_update(cap);
	ret = attach(app);
	if (ret != 0)
		COLO_LOG(ERR, app, "divergence capture: %s", strerror(-ret));
	return ret;
}

void
colo_divergence_stop(struct colo_app *app)
{
	struct colo_capture *cap = app->capture;
	uint64_t st[COLO_CAPTURE_STAT_MAX];

	if (cap == NULL || cap->w == NULL)
		return;
	colo_divergence_poll(app);
	if (colo_pcapng_close(cap->w) != 0)
		COLO_LOG(ERR, app, "divergence capture: cannot finish %s",
				app->opts.divergence_pcap);
	cap->w = NULL;
	colo_divergence_stats(app, st);
	COLO_LOG(INFO, app,
			"divergence capture %s: %" PRIu64 " divergence(s), %" PRIu64
			" frames written, %" PRIu64 " capped, %" PRIu64 " lost, %" PRIu64 " bytes",
			app->opts.divergence_pcap, st[COLO_CAPTURE_EVENTS],
			st[COLO_CAPTURE_WRITTEN], st[COLO_CAPTURE_CAPPED], st[COLO_CAPTURE_LOST],
			st[COLO_CAPTURE_BYTES]);
	rte_ring_free(cap->ring);
	rte_mempool_free(cap->pool);
	cap->ring = NULL;
	cap->pool = NULL;
}

void
colo_divergence_stats(struct colo_app *app, uint64_t out[COLO_CAPTURE_STAT_MAX])
{
	const struct colo_capture *cap = app->capture;
	unsigned int i;

	for (i = 0; i < COLO_CAPTURE_STAT_MAX; i++)
		out[i] = cap != NULL ? __atomic_load_n(&cap->stats[i], __ATOMIC_RELAXED) : 0;
}

void
colo_divergence_free(struct colo_app *app)
{
	colo_divergence_stop(app);
	if (app->capture != NULL) {
		rte_ring_free(app->capture->ring);
		rte_mempool_free(app->capture->pool);
	}
	free(app->capture);
	app->capture = NULL;
}
