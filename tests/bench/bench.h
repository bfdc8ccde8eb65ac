/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * colo-bench: what its files share. bench_gen.c makes the synthetic
 * primary and secondary traffic, bench_hist.c records hold times,
 * bench_floor.c does the floor's work per pair, bench_run.c runs one
 * configuration through colo-proxy's own datapath (app/), an io-forward
 * baseline and the floor, bench_main.c parses, picks the memory and reports.
 */
#ifndef COLO_BENCH_H
#define COLO_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_hash.h>
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
	bool floor;	   /**< also run the floor (bench_floor.c) */
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

/** Most RX queues a floor pairs frames of (colo-proxy's COLO_MAX_RXQ). */
#define BENCH_FLOOR_MAX_RXQ 8

/** Frames of one RX queue waiting for their other half, per side; indices run free. */
struct bench_floor_fifo {
	struct rte_mbuf **pkts[2];
	uint32_t head[2], tail[2];
};

/** The floor's state on one lcore that pairs frames (one per compare shard). */
struct bench_floor {
	struct rte_hash *hash; /**< made like the shard's connection table */
	uint32_t fifo_size;    /**< power of two */
	int socket;
	uint16_t tx_port, tx_queue;
	struct bench_floor_fifo q[BENCH_FLOOR_MAX_RXQ];
	uint64_t pairs;	       /**< transmitted or freed after the compare */
	uint64_t diffs;	       /**< pairs whose compared bytes differ */
	uint64_t inserts;      /**< keys added (the first pass over the connections) */
	uint64_t key_mismatch; /**< pairs whose frames found different keys: must stay 0 */
};

/**
 * An rte_hash of @p entries made as colo_conn_table_create() makes it, and
 * pairing FIFOs of at least @p fifo_min frames; primaries leave on
 * @p tx_port queue @p tx_queue. 0 or -errno.
 */
int bench_floor_init(struct bench_floor *f, const char *name, uint32_t entries,
		uint32_t fifo_min, int socket, uint16_t tx_port, uint16_t tx_queue);
/** Free the table and the frames still waiting; returns how many waited. */
uint64_t bench_floor_fini(struct bench_floor *f);
/** RX of up to @p burst frames of @p side from @p port @p queue into FIFO @p q, parsed. */
unsigned int bench_floor_rx(struct bench_floor *f, unsigned int q, unsigned int side,
		uint16_t port, uint16_t queue, unsigned int burst);
/** Up to @p burst parsed frames of @p side from ring @p r (split layout) into FIFO @p q. */
unsigned int bench_floor_dequeue(struct bench_floor *f, unsigned int q, unsigned int side,
		struct rte_ring *r, unsigned int burst);
/** Look up, compare and send or free up to 32 pairs of FIFO @p q; returns the pairs. */
unsigned int bench_floor_pair(struct bench_floor *f, unsigned int q);

/** What one run measured. */
struct bench_result {
	double pairs_per_sec;	   /**< capacity: pairs over the busiest lcore's busy time */
	double pairs_per_sec_wall; /**< pairs over wall time, generator included */
	double cycles_per_pair;	   /**< busy cycles of every lcore per pair */
	double gbps;		   /**< primary L4 payload compared, at pairs_per_sec */
	double baseline_pps;	   /**< io-forward frames per second (both sides) */
	double baseline_cycles_per_frame;
	double ratio;				       /**< pairs_per_sec / (baseline_pps / 2) */
	double floor_pairs_per_sec;  /**< the floor, timed as the proxy */
	double floor_ticks_per_pair; /**< busy ticks of every lcore per pair, the floor */
	double ratio_to_floor;	     /**< cycles_per_pair / floor_ticks_per_pair */
	uint64_t floor_diffs;	     /**< pairs the floor found different (all its phases) */
	bool floor_ok;		     /**< every pair found one key, no frame left unpaired */
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

/** The memory of the run: what bench_main.c reports. */
struct bench_mem {
	const char *kind;     /**< "hugepages" or "4k" */
	uint64_t hugepage_kb; /**< page size of hugepages, else 0 */
	char why[192];	      /**< for the text output: which, how much, why */
};

/**
 * EAL options @p argv (@p argc of them, program name first) with the
 * memory colo-bench picked: hugepages when at least @p need_mb of them are
 * free, else --no-huge; -m @p need_mb unless -m was given. Returns a
 * NULL-terminated vector of static storage, or NULL (too many options).
 */
char **bench_mem_choose(int argc, char **argv, uint64_t need_mb, struct bench_mem *mem,
		int *new_argc);
/** After EAL init failed on hugepages: run @p argv again with --no-huge; returns if it cannot. */
void bench_mem_fallback(char **argv, const char *reason);

/** Create the ports and run configuration @p c; 0 or -errno. */
int bench_run(const struct bench_conf *c, struct bench_result *r);

#endif /* COLO_BENCH_H */
