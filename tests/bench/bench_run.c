/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One colo-bench configuration: colo-proxy's own setup and lcore functions
 * (app/) on net_ring ports that generators fill and sinks empty; before
 * them the io-forward baseline and the floor (bench_floor.c) through the
 * same ports, rings and lcores. Frame making is in bench_gen.c, reporting
 * in bench_main.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_memzone.h>
#include <rte_pause.h>

#include "app.h"
#include "bench.h"
#include "colo_log.h"
#include "colo_pkt.h"
#include "ctl/ctl.h"
#include "dp/dp.h"
#include "obs/obs.h"

/* Descriptors of each net_ring RX ring (what the generator fills). */
#define PORT_RING_SIZE 1024
/* The generator waits while this many frames wait in a ring downstream. */
#define BACKLOG_MAX 256
#define SINK_BURST 64
/* Main lcore: how often it samples the mempool during a phase. */
#define SAMPLE_US 5000
/* Drain: give up waiting for the rings to empty after this long. */
#define DRAIN_MS 2000
/*
 * An iteration this long was preempted (a normal one moves at most a few
 * bursts: under 100 us even for 1500 B frames): its time and its frames are
 * left out, and counted as a stall. The machine is shared.
 */
#define STALL_US 1000

enum bench_mode {
	MODE_PROXY,
	MODE_FORWARD,
	MODE_FLOOR,
};

enum bench_phase {
	PH_IDLE,   /**< workers spin */
	PH_RUN,	   /**< generate and move frames */
	PH_DRAIN,  /**< no new pairs; send lagging secondaries; keep moving */
	PH_FINISH, /**< compare lcores drain their contexts (colo_lcore_compare_finish) */
	PH_EXIT,
};

/** One worker lcore; the counters are written by it alone, read by the main lcore. */
struct worker {
	unsigned int lcore;
	struct colo_rxq *rxq;	   /**< RX queue it polls, or NULL */
	struct colo_shard *sh;	   /**< shard it compares, or NULL */
	struct bench_gen *gen;	   /**< with rxq */
	struct rte_ring *sink;	   /**< outbound TX ring of sh */
	struct bench_floor *floor; /**< with sh: the floor's table and pairing FIFOs */
	uint64_t busy_tsc;	   /**< ticks of iterations that moved frames */
	uint64_t record_tsc;	   /**< of this iteration: the sink recording hold times */
	uint64_t sunk;		   /**< frames taken from the sink */
	uint64_t stalled;	   /**< frames sunk in iterations left out as stalls */
	uint64_t stalls;	   /**< iterations left out */
	uint32_t fwd_next;	   /**< split baseline: shard of the next burst */
	bool finished;		   /**< PH_FINISH done */
	bool parked;		   /**< seen PH_IDLE: holds no frame between two rings */
	unsigned int hist_slot;	   /**< where hold times go, set by the main lcore */
	struct bench_hist hist[2]; /**< flat out, paced */
} __rte_cache_aligned;

/* The application under test, wired by colo-proxy's files; large, so static. */
static struct colo_app app;
static struct worker workers[RTE_MAX_LCORE];
static struct bench_gen gens[COLO_MAX_RXQ];
static struct bench_floor floors[COLO_MAX_SHARDS];
static unsigned int nb_workers;
static uint32_t bench_phase, bench_mode;
static unsigned int run_id;

static inline void
add_u64(uint64_t *p, uint64_t n)
{
	__atomic_store_n(p, *p + n, __ATOMIC_RELAXED);
}

static unsigned int
sink(struct worker *w, bool record)
{
	struct rte_mbuf *m[SINK_BURST];
	struct bench_hist *h = &w->hist[__atomic_load_n(&w->hist_slot, __ATOMIC_RELAXED)];
	unsigned int i, n;
	uint64_t now;

	n = rte_ring_sc_dequeue_burst(w->sink, (void **)m, SINK_BURST, NULL);
	if (n == 0)
		return 0;
	if (record) {
		now = rte_rdtsc();
		for (i = 0; i < n; i++) {
			uint64_t t = colo_pkt_meta(m[i])->arrival_tsc;

			bench_hist_add(h, now > t ? now - t : 0);
		}
		/* colo-bench's measurement, not colo-proxy's work: left out of busy time. */
		w->record_tsc += rte_rdtsc() - now;
	}
	rte_pktmbuf_free_bulk(m, n);
	add_u64(&w->sunk, n);
	return n;
}

/* The proxy, exactly as rtc_lcore() and the split lcores of app/dp/lcores.c run it. */
static unsigned int
proxy_step(struct worker *w, struct colo_stats *st)
{
	unsigned int n = 0;

	if (w->rxq != NULL)
		n += colo_lcore_rx_poll(w->rxq, st);
	if (w->sh != NULL) {
		n += colo_lcore_compare_poll(w->sh, st, rte_rdtsc());
		n += sink(w, true);
	}
	return n;
}

static void
tx_or_free(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t nb)
{
	uint16_t sent = rte_eth_tx_burst(port, queue, pkts, nb);

	if (unlikely(sent < nb))
		rte_pktmbuf_free_bulk(&pkts[sent], nb - sent);
}

/* io-forward: rx_burst -> tx_burst, through the shard rings in the split layout. */
static unsigned int
forward_step(struct worker *w)
{
	const uint16_t vm_port[2] = { app.port[COLO_ROLE_PRIMARY], app.port[COLO_ROLE_SECONDARY] };
	const uint16_t out = app.port[COLO_ROLE_OUTBOUND];
	struct rte_mbuf *pkts[COLO_BURST];
	unsigned int side, q, n = 0, nb, nb_enq;

	for (side = 0; w->rxq != NULL && side < 2; side++) {
		nb = rte_eth_rx_burst(vm_port[side], w->rxq->queue, pkts, COLO_BURST);
		if (nb == 0)
			continue;
		n += nb;
		if (!app.rtc) {
			struct rte_ring *r = app.shard[w->fwd_next].rx_ring[w->rxq->queue][side];

			w->fwd_next = w->fwd_next + 1 == app.nb_shards ? 0 : w->fwd_next + 1;
			nb_enq = rte_ring_sp_enqueue_burst(r, (void **)pkts, nb, NULL);
			if (nb_enq < nb)
				rte_pktmbuf_free_bulk(&pkts[nb_enq], nb - nb_enq);
		} else {
			tx_or_free(out, w->sh->id, pkts, nb);
		}
	}
	if (w->sh == NULL)
		return n;
	for (side = 0; !app.rtc && side < 2; side++) {
		for (q = 0; q < app.nb_rxq; q++) {
			nb = rte_ring_sc_dequeue_burst(
					w->sh->rx_ring[q][side], (void **)pkts, COLO_BURST, NULL);
			if (nb != 0)
				tx_or_free(out, w->sh->id, pkts, nb);
			n += nb;
		}
	}
	return n + sink(w, false);
}

/*
 * The floor: RX and parse on the RX lcore, into the compare lcore's pairing
 * FIFOs directly (run to completion) or through the shard rings as the
 * baseline (split: RX queue q goes to shard q mod shards, so both frames of
 * a pair meet); then lookup, compare, TX and free on the compare lcore.
 */
static unsigned int
floor_step(struct worker *w)
{
	const uint16_t vm_port[2] = { app.port[COLO_ROLE_PRIMARY], app.port[COLO_ROLE_SECONDARY] };
	struct rte_mbuf *pkts[COLO_BURST];
	unsigned int side, q, n = 0, nb, nb_enq;

	for (side = 0; w->rxq != NULL && side < 2; side++) {
		q = w->rxq->queue;
		if (app.rtc) {
			n += bench_floor_rx(w->floor, q, side, vm_port[side], q, COLO_BURST);
			continue;
		}
		nb = rte_eth_rx_burst(vm_port[side], q, pkts, COLO_BURST);
		if (nb == 0)
			continue;
		n += nb;
		colo_pkt_classify_burst(pkts, nb, (enum colo_side)side, 0, rte_rdtsc(), NULL);
		nb_enq = rte_ring_sp_enqueue_burst(app.shard[q % app.nb_shards].rx_ring[q][side],
				(void **)pkts, nb, NULL);
		if (nb_enq < nb)
			rte_pktmbuf_free_bulk(&pkts[nb_enq], nb - nb_enq);
	}
	if (w->sh == NULL)
		return n;
	for (q = w->sh->id; !app.rtc && q < app.nb_rxq; q += app.nb_shards)
		for (side = 0; side < 2; side++)
			n += bench_floor_dequeue(
					w->floor, q, side, w->sh->rx_ring[q][side], COLO_BURST);
	for (q = w->sh->id; q < app.nb_rxq; q += app.nb_shards)
		while (bench_floor_pair(w->floor, q) != 0)
			;
	return n + sink(w, false);
}

/*
 * Hold the generator while a shard ring of its queue fills: another lcore
 * empties it (split layout, or a second shard), and a NIC would drop at its
 * RX ring rather than let colo-proxy drop at a full shard ring.
 */
static bool
backlogged(const struct worker *w)
{
	unsigned int s;

	if (app.rtc && app.nb_shards == 1)
		return false;
	for (s = 0; s < app.nb_shards; s++)
		if (rte_ring_count(app.shard[s].rx_ring[w->rxq->queue][0]) > BACKLOG_MAX ||
				rte_ring_count(app.shard[s].rx_ring[w->rxq->queue][1]) >
						BACKLOG_MAX)
			return true;
	return false;
}

static int
worker_main(void *arg)
{
	struct worker *w = arg;
	struct colo_stats *st = &app.stats[rte_lcore_id()];
	uint64_t stall_tsc = rte_get_tsc_hz() / 1000000 * STALL_US;
	uint32_t ph;

	while ((ph = __atomic_load_n(&bench_phase, __ATOMIC_ACQUIRE)) != PH_EXIT) {
		uint64_t t0, t1, sunk;
		unsigned int n;

		if (ph == PH_IDLE) {
			__atomic_store_n(&w->parked, true, __ATOMIC_RELEASE);
			rte_pause();
			continue;
		}
		__atomic_store_n(&w->parked, false, __ATOMIC_RELAXED);
		if (ph == PH_FINISH) {
			if (w->sh != NULL && !w->finished) {
				colo_lcore_compare_finish(w->sh, st);
				while (sink(w, false) != 0)
					;
				__atomic_store_n(&w->finished, true, __ATOMIC_RELEASE);
			}
			continue;
		}
		if (w->gen != NULL) {
			if (ph == PH_DRAIN)
				bench_gen_flush_lag(w->gen);
			else if (!backlogged(w))
				bench_gen_burst(w->gen, rte_rdtsc());
		}
		sunk = w->sunk;
		w->record_tsc = 0;
		t0 = rte_rdtsc();
		if (bench_mode == MODE_PROXY)
			n = proxy_step(w, st);
		else if (bench_mode == MODE_FLOOR)
			n = floor_step(w);
		else
			n = forward_step(w);
		t1 = rte_rdtsc();
		if (unlikely(t1 - t0 > stall_tsc)) {
			add_u64(&w->stalled, w->sunk - sunk);
			add_u64(&w->stalls, 1);
		} else if (n != 0) {
			add_u64(&w->busy_tsc, t1 - t0 - RTE_MIN(w->record_tsc, t1 - t0));
		}
	}
	return 0;
}

/*
 * Counters of every worker at one instant. Each worker counts the TSC ticks
 * of the loop iterations that moved a frame (busy), without the generator,
 * which stands for the NIC or the vhost-user copy that the baseline does
 * not pay either. Capacity is the frames moved over the busiest worker's
 * busy time: the rate at which that lcore saturates.
 */
struct snap {
	uint64_t tsc;
	uint64_t busy[RTE_MAX_LCORE];
	uint64_t sunk; /**< minus the frames of stalled iterations */
	uint64_t stalls;
};

static void
snap_take(struct snap *s)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	s->tsc = rte_rdtsc();
	for (i = 0; i < nb_workers; i++) {
		s->busy[i] = __atomic_load_n(&workers[i].busy_tsc, __ATOMIC_RELAXED);
		s->sunk += __atomic_load_n(&workers[i].sunk, __ATOMIC_RELAXED) -
			   __atomic_load_n(&workers[i].stalled, __ATOMIC_RELAXED);
		s->stalls += __atomic_load_n(&workers[i].stalls, __ATOMIC_RELAXED);
	}
}

/** What one timed phase measured. */
struct phase_result {
	double units_per_sec; /**< frames sunk over the busiest worker's busy time */
	double units_per_sec_wall;
	double busy_per_unit; /**< busy ticks of every worker per frame sunk */
};

static void
set_phase(uint32_t ph)
{
	__atomic_store_n(&bench_phase, ph, __ATOMIC_RELEASE);
}

static void
set_hist_slot(unsigned int slot)
{
	unsigned int i;

	for (i = 0; i < nb_workers; i++)
		__atomic_store_n(&workers[i].hist_slot, slot, __ATOMIC_RELAXED);
}

/* Sleep @p seconds while sampling the mempool. */
static void
wait_sampling(double seconds, struct bench_result *r)
{
	uint64_t end = rte_rdtsc() + (uint64_t)(seconds * (double)rte_get_tsc_hz());
	unsigned int in_use;

	do {
		rte_delay_us_sleep(SAMPLE_US);
		in_use = rte_mempool_in_use_count(app.pool);
		r->mempool_max_in_use = RTE_MAX(r->mempool_max_in_use, in_use);
	} while (rte_rdtsc() < end);
}

static void
timed_phase(double seconds, struct bench_result *r, struct phase_result *pr)
{
	struct snap a, b;
	uint64_t max_busy = 0, sum_busy = 0, units;
	unsigned int i;

	snap_take(&a);
	wait_sampling(seconds, r);
	snap_take(&b);
	for (i = 0; i < nb_workers; i++) {
		max_busy = RTE_MAX(max_busy, b.busy[i] - a.busy[i]);
		sum_busy += b.busy[i] - a.busy[i];
	}
	units = b.sunk - a.sunk;
	r->stalls += b.stalls - a.stalls;
	memset(pr, 0, sizeof(*pr));
	if (units == 0 || max_busy == 0)
		return;
	pr->units_per_sec = (double)units * (double)rte_get_tsc_hz() / (double)max_busy;
	pr->units_per_sec_wall = (double)units * (double)rte_get_tsc_hz() / (double)(b.tsc - a.tsc);
	pr->busy_per_unit = (double)sum_busy / (double)units;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median over @p n phases, by units_per_sec. */
static struct phase_result
median(struct phase_result *pr, unsigned int n)
{
	double v[16];
	unsigned int i;

	for (i = 0; i < n; i++)
		v[i] = pr[i].units_per_sec;
	qsort(v, n, sizeof(v[0]), cmp_double);
	for (i = 0; i < n; i++)
		if (pr[i].units_per_sec == v[n / 2])
			return pr[i];
	return pr[0];
}

/* Frames still in a port RX ring or a shard ring. */
static uint64_t
in_rings(void)
{
	uint64_t n = 0;
	unsigned int q, s;

	for (q = 0; q < app.nb_rxq; q++) {
		n += rte_ring_count(gens[q].ring[0]) + rte_ring_count(gens[q].ring[1]);
		for (s = 0; s < app.nb_shards; s++)
			n += rte_ring_count(app.shard[s].rx_ring[q][0]) +
			     rte_ring_count(app.shard[s].rx_ring[q][1]);
	}
	for (s = 0; s < app.nb_shards; s++)
		n += rte_ring_count(app.shard[s].out_ring);
	return n;
}

static bool
drained(void)
{
	bool empty = in_rings() == 0;
	unsigned int q;

	for (q = 0; q < app.nb_rxq; q++)
		empty &= __atomic_load_n(&gens[q].lag_nb, __ATOMIC_RELAXED) == 0;
	return empty;
}

/* Park every worker; an RX lcore may hold a burst between two rings until then. */
static void
park(void)
{
	unsigned int i;

	set_phase(PH_IDLE);
	for (i = 0; i < nb_workers; i++)
		while (!__atomic_load_n(&workers[i].parked, __ATOMIC_ACQUIRE))
			rte_delay_us_sleep(100);
}

/*
 * Stop generating and move frames until the lag queues and the rings are
 * empty with every worker parked, so that no frame of this phase is left
 * for the next one.
 */
static void
drain(void)
{
	uint64_t end = rte_rdtsc() + rte_get_tsc_hz() / 1000 * DRAIN_MS;

	do {
		set_phase(PH_DRAIN);
		do
			rte_delay_us_sleep(1000);
		while (!drained() && rte_rdtsc() < end);
		/* Let the last frames leave the sinks. */
		rte_delay_us_sleep(10000);
		park();
	} while (!drained() && rte_rdtsc() < end);
}

static int
run_baseline(const struct bench_conf *c, struct bench_result *r)
{
	struct phase_result pr[16];
	unsigned int i;

	__atomic_store_n(&bench_mode, MODE_FORWARD, __ATOMIC_RELEASE);
	set_phase(PH_RUN);
	rte_delay_us_sleep(100000);
	for (i = 0; i < c->repeat; i++)
		timed_phase(c->duration_s, r, &pr[i]);
	drain();
	pr[0] = median(pr, c->repeat);
	r->baseline_pps = pr[0].units_per_sec;
	r->baseline_cycles_per_frame = pr[0].busy_per_unit;
	return 0;
}

/* Until every generator has made a pair of each of its connections twice, from now on. */
static void
warm_up(void)
{
	uint64_t end = rte_rdtsc() + rte_get_tsc_hz() * 120, start[COLO_MAX_RXQ];
	unsigned int q;
	bool done;

	for (q = 0; q < app.nb_rxq; q++)
		start[q] = __atomic_load_n(&gens[q].pairs, __ATOMIC_RELAXED);
	set_phase(PH_RUN);
	do {
		rte_delay_us_sleep(2000);
		done = true;
		for (q = 0; q < app.nb_rxq; q++)
			done &= gens[q].nb_conns == 0 ||
				__atomic_load_n(&gens[q].pairs, __ATOMIC_RELAXED) - start[q] >=
						2ull * gens[q].nb_conns + 4096;
	} while (!done && rte_rdtsc() < end);
}

/*
 * The floor, timed as the proxy: one table per shard of the shard's
 * capacity, filled while warming up, so that the timed phases only look up.
 */
static int
run_floor(const struct bench_conf *c, struct bench_result *r)
{
	/* Room for the secondaries' lag, what the rings hold, and bursts. */
	uint32_t fifo_min = c->lag + 2 * PORT_RING_SIZE + 4 * COLO_BURST;
	struct phase_result pr[16];
	char name[RTE_HASH_NAMESIZE];
	uint64_t left = 0;
	unsigned int i, s;
	int ret = 0;

	for (s = 0; s < app.nb_shards && ret == 0; s++) {
		snprintf(name, sizeof(name), "b%u_floor%u", run_id, s);
		ret = bench_floor_init(&floors[s], name,
				colo_conn_capacity(colo_ctx_conns(app.shard[s].ctx)), fifo_min,
				rte_socket_id(), app.port[COLO_ROLE_OUTBOUND], (uint16_t)s);
	}
	for (i = 0; i < nb_workers; i++)
		workers[i].floor = workers[i].sh != NULL ? &floors[workers[i].sh->id] : NULL;
	if (ret != 0) {
		fprintf(stderr, "colo-bench: floor table: %s\n", rte_strerror(-ret));
		goto out;
	}
	__atomic_store_n(&bench_mode, MODE_FLOOR, __ATOMIC_RELEASE);
	warm_up();
	for (i = 0; i < c->repeat; i++)
		timed_phase(c->duration_s, r, &pr[i]);
	drain();
	pr[0] = median(pr, c->repeat);
	r->floor_pairs_per_sec = pr[0].units_per_sec;
	r->floor_ticks_per_pair = pr[0].busy_per_unit;
	r->floor_ok = true;
	for (s = 0; s < app.nb_shards; s++) {
		r->floor_diffs += floors[s].diffs;
		r->floor_ok &= floors[s].key_mismatch == 0;
		if (floors[s].key_mismatch != 0)
			fprintf(stderr,
					"colo-bench: floor: %" PRIu64
					" pairs of frames of different connections\n",
					floors[s].key_mismatch);
	}
out:
	/* Every worker is parked (drain): the FIFOs are the main lcore's now. */
	for (s = 0; s < app.nb_shards; s++)
		left += bench_floor_fini(&floors[s]);
	if (left != 0) {
		fprintf(stderr, "colo-bench: floor: %" PRIu64 " frames left unpaired\n", left);
		r->floor_ok = false;
	}
	for (i = 0; i < nb_workers; i++)
		workers[i].floor = NULL;
	return ret;
}

static int
run_proxy(const struct bench_conf *c, struct bench_result *r)
{
	struct phase_result pr[16];
	struct bench_hist h;
	unsigned int i, q, slot;
	uint64_t hz = rte_get_tsc_hz();

	__atomic_store_n(&bench_mode, MODE_PROXY, __ATOMIC_RELEASE);
	set_hist_slot(0);
	warm_up();
	for (i = 0; i < nb_workers; i++)
		memset(&workers[i].hist[0], 0, sizeof(workers[i].hist[0]));
	for (i = 0; i < c->repeat; i++)
		timed_phase(c->duration_s, r, &pr[i]);
	pr[0] = median(pr, c->repeat);
	r->pairs_per_sec = pr[0].units_per_sec;
	r->pairs_per_sec_wall = pr[0].units_per_sec_wall;
	r->cycles_per_pair = pr[0].busy_per_unit;

	if (c->load_pct != 0 && r->pairs_per_sec > 0) {
		r->hold_rate = r->pairs_per_sec * c->load_pct / 100.0;
		for (q = 0; q < app.nb_rxq; q++)
			bench_gen_pace(&gens[q], r->hold_rate / app.nb_rxq, rte_rdtsc());
		/* Let the queues settle at the new rate before recording. */
		rte_delay_us_sleep(50000);
		set_hist_slot(1);
		timed_phase(c->duration_s, r, &pr[0]);
		r->hold_rate = pr[0].units_per_sec_wall;
		for (q = 0; q < app.nb_rxq; q++)
			bench_gen_pace(&gens[q], 0, rte_rdtsc());
	}
	drain();
	for (slot = 0; slot < 2; slot++) {
		memset(&h, 0, sizeof(h));
		for (i = 0; i < nb_workers; i++)
			bench_hist_merge(&h, &workers[i].hist[slot]);
		if (slot == 0) {
			r->sat_hold_p99_us = bench_hist_percentile_us(&h, 990, hz);
		} else {
			r->hold_p50_us = bench_hist_percentile_us(&h, 500, hz);
			r->hold_p99_us = bench_hist_percentile_us(&h, 990, hz);
			r->hold_p999_us = bench_hist_percentile_us(&h, 999, hz);
		}
	}
	/* Every compare lcore drains its context, as colo-proxy does at shutdown. */
	set_phase(PH_FINISH);
	for (i = 0; i < nb_workers; i++)
		while (workers[i].sh != NULL &&
				!__atomic_load_n(&workers[i].finished, __ATOMIC_ACQUIRE))
			rte_delay_us_sleep(1000);
	set_phase(PH_IDLE);
	return 0;
}

/* Primary frames in = released + counted drops + queued (docs/semantics.md D1). */
static void
account(uint64_t made, uint64_t sent_secondaries, struct bench_result *r)
{
	struct colo_report rep;

	colo_report_take(&app, &rep);
	r->primaries = rep.sum.ctr[COLO_PRIMARY_RX];
	r->secondaries = rep.sum.ctr[COLO_SECONDARY_RX];
	r->released = rep.sum.ctr[COLO_RELEASED];
	r->dropped = rep.primary_dropped;
	r->checkpoints = rep.sum.ctr[COLO_CKPT_REQUESTS];
	r->flushes = rep.sum.ctr[COLO_FLUSHES];
	/* And nothing the generators made was lost before RX. */
	r->conservation_ok = rep.conservation_ok && r->primaries == made &&
			     r->secondaries == sent_secondaries;
	if (!rep.conservation_ok)
		fprintf(stderr,
				"colo-bench: conservation: primary_rx %" PRIu64
				" != released %" PRIu64 " + dropped %" PRIu64 " + queued %" PRIu64
				"\n",
				r->primaries, r->released, r->dropped, rep.primary_queued);
	if (r->primaries != made || r->secondaries != sent_secondaries)
		fprintf(stderr,
				"colo-bench: made %" PRIu64 "/%" PRIu64 " pairs/secondaries, the "
				"proxy received %" PRIu64 "/%" PRIu64 "\n",
				made, sent_secondaries, r->primaries, r->secondaries);
}

/* Rings behind the net_ring ports of one run. */
static struct {
	struct rte_ring *vm_rx[2][COLO_MAX_RXQ];
	struct rte_ring *vm_tx[2];
	struct rte_ring *out_rx;
	struct rte_ring *out_tx[COLO_MAX_SHARDS];
} rings;

static struct rte_ring *
ring_new(const char *what, unsigned int i, unsigned int count, unsigned int flags)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "b%u_%s%u", run_id, what, i);
	return rte_ring_create(name, count, rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ | flags);
}

static void
rings_free(void)
{
	unsigned int i;

	for (i = 0; i < COLO_MAX_RXQ; i++) {
		rte_ring_free(rings.vm_rx[0][i]);
		rte_ring_free(rings.vm_rx[1][i]);
	}
	for (i = 0; i < COLO_MAX_SHARDS; i++)
		rte_ring_free(rings.out_tx[i]);
	rte_ring_free(rings.vm_tx[0]);
	rte_ring_free(rings.vm_tx[1]);
	rte_ring_free(rings.out_rx);
	memset(&rings, 0, sizeof(rings));
}

/* The three net_ring ports; their ids go into the options as colo-proxy would take them. */
static int
ports_create(void)
{
	static const enum colo_role vm[2] = { COLO_ROLE_PRIMARY, COLO_ROLE_SECONDARY };
	char name[RTE_ETH_NAME_MAX_LEN];
	unsigned int side, q, s;
	int port;

	for (side = 0; side < 2; side++) {
		for (q = 0; q < app.nb_rxq; q++) {
			rings.vm_rx[side][q] = ring_new(side ? "srx" : "prx", q, PORT_RING_SIZE, 0);
			if (rings.vm_rx[side][q] == NULL)
				return -rte_errno;
		}
		/* The ingress mirror would transmit here; the bench turns it off. */
		rings.vm_tx[side] = ring_new(side ? "stx" : "ptx", 0, 64, 0);
		if (rings.vm_tx[side] == NULL)
			return -rte_errno;
		snprintf(name, sizeof(name), "bench%u_%s", run_id, side ? "secondary" : "primary");
		port = rte_eth_from_rings(name, rings.vm_rx[side], app.nb_rxq, &rings.vm_tx[side],
				1, rte_socket_id());
		if (port < 0)
			return -rte_errno;
		snprintf(app.opts.port[vm[side]], sizeof(app.opts.port[0]), "%d", port);
	}
	rings.out_rx = ring_new("orx", 0, 64, 0);
	if (rings.out_rx == NULL)
		return -rte_errno;
	/* A shutdown drain may transmit every queued primary before the sink runs. */
	for (s = 0; s < app.nb_shards; s++) {
		rings.out_tx[s] = ring_new("otx", s, app.opts.nb_mbufs, RING_F_EXACT_SZ);
		if (rings.out_tx[s] == NULL)
			return -rte_errno;
	}
	snprintf(name, sizeof(name), "bench%u_outbound", run_id);
	port = rte_eth_from_rings(
			name, &rings.out_rx, 1, rings.out_tx, app.nb_shards, rte_socket_id());
	if (port < 0)
		return -rte_errno;
	snprintf(app.opts.port[COLO_ROLE_OUTBOUND], sizeof(app.opts.port[0]), "%d", port);
	return 0;
}

/* Lcore layout as colo_lcores_plan() makes it, but the run picks rtc or split. */
static int
plan(const struct bench_conf *c)
{
	unsigned int lcore, i, nb = 0, w[RTE_MAX_LCORE];
	unsigned int nb_shards = c->compare_lcores, nb_rxq;

	RTE_LCORE_FOREACH_WORKER (lcore)
		w[nb++] = lcore;
	nb_rxq = c->split ? RTE_MIN(nb - RTE_MIN(nb, nb_shards), (unsigned int)COLO_MAX_RXQ)
			  : nb_shards;
	if (nb_shards == 0 || nb_shards > COLO_MAX_SHARDS || nb_rxq == 0 ||
			nb < (c->split ? nb_rxq + nb_shards : nb_shards)) {
		fprintf(stderr,
				"colo-bench: %s with %u compare lcore(s) needs more worker lcores "
				"than the %u given\n",
				c->split ? "split" : "rtc", nb_shards, nb);
		return -EINVAL;
	}
	app.rtc = !c->split;
	app.nb_rxq = nb_rxq;
	app.nb_shards = nb_shards;
	nb_workers = 0;
	for (i = 0; i < nb_rxq; i++) {
		app.rxq[i].app = &app;
		app.rxq[i].queue = i;
		app.rxq[i].lcore = w[i];
		workers[nb_workers].lcore = w[i];
		workers[nb_workers].rxq = &app.rxq[i];
		workers[nb_workers].gen = &gens[i];
		nb_workers++;
	}
	for (i = 0; i < nb_shards; i++) {
		struct worker *wk = app.rtc ? &workers[i] : &workers[nb_workers++];

		app.shard[i].app = &app;
		app.shard[i].id = i;
		app.shard[i].lcore = app.rtc ? w[i] : w[nb_rxq + i];
		wk->lcore = app.shard[i].lcore;
		wk->sh = &app.shard[i];
	}
	return 0;
}

static size_t
heap_used(void)
{
	struct rte_malloc_socket_stats st;

	rte_malloc_get_socket_stats(rte_socket_id(), &st);
	return st.heap_allocsz_bytes;
}

/* Bytes the shards' rings took: the rest of their heap growth is the tables. */
static size_t
shard_ring_bytes(void)
{
	size_t n = 0;
	unsigned int s, q;

	for (s = 0; s < app.nb_shards; s++) {
		for (q = 0; q < app.nb_rxq; q++)
			n += app.shard[s].rx_ring[q][0]->memzone->len +
			     app.shard[s].rx_ring[q][1]->memzone->len;
		n += app.shard[s].out_ring->memzone->len;
	}
	return n;
}

static int
setup(const struct bench_conf *c, struct bench_result *r)
{
	struct colo_notify_conf nconf = { 0 };
	size_t before;
	unsigned int q;
	int ret;

	memset(&app, 0, sizeof(app));
	memset(workers, 0, sizeof(workers));
	memset(gens, 0, sizeof(gens));
	run_id++;
	/* tx.c records every released frame's hold time, as in colo-proxy. */
	colo_latency_init(&app);
	colo_config_defaults(&app.opts);
	app.opts.ingress_mirror = false;
	app.opts.nb_mbufs = c->nb_mbufs;
	app.opts.compare_lcores = c->compare_lcores;
	app.opts.no_peer_policy = COLO_NO_PEER_FLUSH;
	/* Room for every connection: several shards split the keys unevenly. */
	app.opts.params.max_conns = c->compare_lcores == 1 ? RTE_MAX(c->conns, 8u)
							   : c->conns + c->conns / 16 + 64;
	ret = plan(c);
	if (ret != 0)
		return ret;
	ret = ports_create();
	if (ret != 0)
		return ret;
	for (q = 0; q < nb_workers; q++)
		if (workers[q].sh != NULL)
			workers[q].sink = rings.out_tx[workers[q].sh->id];
	ret = colo_ports_init(&app);
	if (ret != 0)
		return ret;
	before = heap_used();
	ret = colo_shards_create(&app);
	if (ret != 0)
		return ret;
	r->bytes_per_conn = (double)(heap_used() - before - shard_ring_bytes()) /
			    app.opts.params.max_conns;
	r->bytes_per_conn_table = colo_conn_bytes_per_conn(colo_ctx_conns(app.shard[0].ctx));
	app.notify = colo_notify_start(&nconf);
	if (app.notify == NULL)
		return -rte_errno;
	for (q = 0; q < app.nb_rxq; q++) {
		ret = bench_gen_init(&gens[q], c, app.pool, rings.vm_rx[0][q], rings.vm_rx[1][q], q,
				app.nb_rxq);
		if (ret != 0)
			return ret;
	}
	app.start_tsc = rte_rdtsc();
	for (q = 0; q < app.nb_shards; q++)
		app.shard[q].next_scan_tsc = app.start_tsc;
	r->mempool_size = app.pool->size;
	r->nb_rxq = app.nb_rxq;
	r->tsc_hz = rte_get_tsc_hz();
	return 0;
}

static void
teardown(void)
{
	unsigned int q;

	for (q = 0; q < COLO_MAX_RXQ; q++)
		bench_gen_fini(&gens[q]);
	if (app.notify != NULL)
		colo_notify_stop(app.notify);
	app.notify = NULL;
	colo_shards_free(&app);
	colo_ports_fini(&app);
	rings_free();
}

static void
gen_totals(uint64_t *pairs, uint64_t *secondaries)
{
	unsigned int q;

	*pairs = *secondaries = 0;
	for (q = 0; q < app.nb_rxq; q++) {
		*pairs += __atomic_load_n(&gens[q].pairs, __ATOMIC_RELAXED);
		*secondaries += __atomic_load_n(&gens[q].secondaries_sent, __ATOMIC_RELAXED);
	}
}

int
bench_run(const struct bench_conf *c, struct bench_result *r)
{
	uint64_t p0, s0, p1, s1;
	unsigned int i;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = setup(c, r);
	if (ret != 0) {
		fprintf(stderr, "colo-bench: setup: %s\n", rte_strerror(-ret));
		teardown();
		return ret;
	}
	set_phase(PH_IDLE);
	for (i = 0; i < nb_workers; i++)
		rte_eal_remote_launch(worker_main, &workers[i], workers[i].lcore);

	if (c->baseline)
		run_baseline(c, r);
	if (c->floor && run_floor(c, r) != 0)
		ret = -ENOMEM;
	gen_totals(&p0, &s0);
	run_proxy(c, r);
	gen_totals(&p1, &s1);
	if (r->baseline_pps > 0)
		r->ratio = r->pairs_per_sec / (r->baseline_pps / 2);
	if (r->floor_ticks_per_pair > 0)
		r->ratio_to_floor = r->cycles_per_pair / r->floor_ticks_per_pair;
	/* Primary L4 payload: 54 bytes of TCP headers, 42 of UDP. */
	r->gbps = r->pairs_per_sec * 8 / 1e9 *
		  ((100.0 - c->udp_pct) / 100 * (c->frame_size - 54) +
				  c->udp_pct / 100.0 * (c->frame_size - 42));

	set_phase(PH_EXIT);
	for (i = 0; i < nb_workers; i++)
		rte_eal_wait_lcore(workers[i].lcore);
	account(p1 - p0, s1 - s0, r);
	for (i = 0; i < app.nb_rxq; i++) {
		r->mismatches_made += gens[i].mismatches;
		r->gen_alloc_fail += gens[i].alloc_fail;
	}
	r->mempool_in_use_after = rte_mempool_in_use_count(app.pool);
	r->mempool_ok = r->mempool_in_use_after == 0;
	teardown();
	return ret;
}
