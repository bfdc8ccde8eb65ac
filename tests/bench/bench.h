/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * colo-bench: what its files share. bench_gen.c makes the synthetic
 * primary and secondary traffic, bench_hist.c records hold times,
 * bench_run.c runs one configuration through colo-proxy's own datapath
 * (app/) and an io-forward baseline, bench_main.c parses and reports.
 */
#ifndef COLO_BENCH_H
#define COLO_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

/** One configuration: every knob of a run. */
struct bench_conf {
	uint32_t conns;	      /**< connections, 1 .. 1M */
	uint32_t frame_size;  /**< bytes of each frame, 64 .. 1500 */
	uint32_t udp_pct;     /**< share of UDP connections, the rest TCP */
	double mismatch_rate; /**< share of pairs whose secondary differs in one byte */
	uint32_t lag;	      /**< secondary frames trail their primaries by this many */
	bool split;	      /**< RX lcores + compare lcores, else run to completion */
	uint32_t compare_lcores;
	double duration_s; /**< of each timed phase */
	uint32_t load_pct; /**< paced phase for hold times, % of the measured maximum */
	uint32_t repeat;   /**< timed phases per mode; the median is reported */
	bool baseline;	   /**< also run the io-forward baseline */
	uint32_t nb_mbufs; /**< in the packet pool */
};

/** Hold-time histogram: 32 sub-buckets per power of two of TSC ticks (3 % wide). */
#define BENCH_HIST_BUCKETS (64 + 40 * 32)

struct bench_hist {
	uint64_t bucket[BENCH_HIST_BUCKETS];
	uint64_t count;
} __rte_cache_aligned;

/** Bucket of a hold time of @p tsc ticks. */
static inline unsigned int
bench_hist_bucket(uint64_t tsc)
{
	unsigned int e;

	if (tsc < 64)
		return (unsigned int)tsc;
	e = 63 - (unsigned int)__builtin_clzll(tsc);
	if (e > 45)
		return BENCH_HIST_BUCKETS - 1;
	return 64 + (e - 6) * 32 + (unsigned int)((tsc >> (e - 5)) & 31);
}

static inline void
bench_hist_add(struct bench_hist *h, uint64_t tsc)
{
	h->bucket[bench_hist_bucket(tsc)]++;
	h->count++;
}

void bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src);
/** Upper bound in microseconds of the hold time @p per_mille of the samples did not exceed. */
double bench_hist_percentile_us(
		const struct bench_hist *h, unsigned int per_mille, uint64_t tsc_hz);

/** Generator of one RX queue: the pairs of connections q, q + M, q + 2M, ... */
struct bench_gen {
	struct rte_mempool *pool;
	struct rte_ring *ring[2];	     /**< RX rings of this queue: primary, secondary port */
	uint32_t first_conn, step, nb_conns; /**< connections first + k * step, k < nb_conns */
	uint32_t next;			     /**< next connection, as k */
	uint32_t *seq;			     /**< TCP sequence per connection (k) */
	uint32_t frame_size, tcp_payload, udp_payload;
	uint32_t udp_pct;
	uint32_t mismatch_threshold; /**< of a 32-bit random number */
	uint64_t rng;
	struct rte_mbuf **lag; /**< FIFO of secondaries not sent yet */
	uint32_t lag_size, lag_head, lag_nb;
	uint64_t rate_tsc_num; /**< paced: pairs per tick, as num / 2^32; 0: flat out */
	uint64_t pace_start_tsc, pace_sent;
	uint64_t pairs, secondaries_sent, mismatches, alloc_fail;
	uint8_t payload[1536];
};

int bench_gen_init(struct bench_gen *g, const struct bench_conf *c, struct rte_mempool *pool,
		struct rte_ring *primary, struct rte_ring *secondary, uint32_t queue,
		uint32_t nb_queues);
void bench_gen_fini(struct bench_gen *g);
/** Pace at @p pairs_per_sec from now on (0: as fast as the rings take them). */
void bench_gen_pace(struct bench_gen *g, double pairs_per_sec, uint64_t now_tsc);
/** Make and enqueue up to one burst of pairs; returns the pairs made. */
unsigned int bench_gen_burst(struct bench_gen *g, uint64_t now_tsc);
/** Send the secondaries still held back by the lag; true once none is left. */
bool bench_gen_flush_lag(struct bench_gen *g);

/** What one run measured. */
struct bench_result {
	double pairs_per_sec;	   /**< capacity: pairs over the busiest lcore's busy time */
	double pairs_per_sec_wall; /**< pairs over wall time, generator included */
	double cycles_per_pair;	   /**< busy cycles of every lcore per pair */
	double gbps;		   /**< primary L4 payload compared, at pairs_per_sec */
	double baseline_pps;	   /**< io-forward frames per second (both sides) */
	double baseline_cycles_per_frame;
	double ratio;				       /**< pairs_per_sec / (baseline_pps / 2) */
	double hold_p50_us, hold_p99_us, hold_p999_us; /**< paced at load_pct */
	double hold_rate;			       /**< pairs per second of the paced phase */
	double sat_hold_p99_us;			       /**< flat out */
	double bytes_per_conn;	     /**< measured: heap growth of the tables / conns */
	double bytes_per_conn_table; /**< colo_conn_bytes_per_conn() */
	uint32_t mempool_size, mempool_max_in_use, mempool_in_use_after;
	uint64_t primaries, secondaries, released, dropped, checkpoints, flushes;
	bool conservation_ok, mempool_ok;
	uint32_t nb_rxq;
	uint64_t tsc_hz;
	uint64_t stalls;	  /**< preempted iterations left out of the timed phases */
	uint64_t mismatches_made; /**< pairs the generators made different (all phases) */
	uint64_t gen_alloc_fail;  /**< generator bursts lost to an empty mempool */
};

/** Create the ports and run configuration @p c; 0 or -errno. */
int bench_run(const struct bench_conf *c, struct bench_result *r);

#endif /* COLO_BENCH_H */
