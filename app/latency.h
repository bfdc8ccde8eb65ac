/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hold-time histograms of colo-proxy: one struct colo_hist per lcore,
 * recorded where released primaries leave on the outbound port (tx.c), and
 * read by /colo/latency and the final report. The histogram is libcolo's
 * (colo_hist.h); this is where colo-proxy keeps and shows it.
 */
#ifndef COLO_APP_LATENCY_H
#define COLO_APP_LATENCY_H

#include <stdint.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "app.h"
#include "colo_hist.h"

/** Per lcore, indexed by lcore id; each written by its own lcore only. */
extern struct colo_hist colo_latency_hist[RTE_MAX_LCORE];

/** What one TX burst must know of its frames once the PMD has them (and may have freed them). */
struct colo_latency_burst {
	uint64_t arrival_tsc[COLO_BURST];
	uint8_t proto[COLO_BURST]; /**< enum colo_hist_proto */
};

/** Before rte_eth_tx_burst(): note the arrival time and protocol of @p pkts. */
static inline void
colo_latency_stamp(struct colo_latency_burst *b, struct rte_mbuf *const *pkts, uint16_t nb)
{
	uint16_t i;

	for (i = 0; i < nb; i++) {
		const struct colo_pkt_meta *pm = colo_pkt_meta(pkts[i]);

		b->arrival_tsc[i] = pm->arrival_tsc;
		b->proto[i] = (uint8_t)colo_hist_proto_of(pm);
	}
}

/** After rte_eth_tx_burst(): record the first @p sent frames stamped, the ones that left. */
static inline void
colo_latency_record(const struct colo_latency_burst *b, uint16_t sent)
{
	struct colo_hist *h;
	uint64_t now;
	uint16_t i;

	if (sent == 0)
		return;
	h = &colo_latency_hist[rte_lcore_id()];
	now = rte_rdtsc();
	for (i = 0; i < sent; i++)
		colo_hist_record(h, (enum colo_hist_proto)b->proto[i], b->arrival_tsc[i], now);
}

/* clang-format off */
/** The summary of one histogram row in reports: name, then what it holds. */
#define COLO_LATENCY_STATS(X)                                   \
	X(COUNT, "count", "frames released")                    \
	X(SUM_US, "sum_us", "hold times added up, microseconds") \
	X(P50_US, "p50_us", "median hold time, bucket bound")   \
	X(P99_US, "p99_us", "99th percentile, bucket bound")    \
	X(P999_US, "p999_us", "99.9th percentile, bucket bound")
/* clang-format on */

#define COLO_ENUM_ENTRY(sym, name, help) COLO_LATENCY_##sym,
enum colo_latency_stat { COLO_LATENCY_STATS(COLO_ENUM_ENTRY) COLO_LATENCY_STAT_MAX };
#undef COLO_ENUM_ENTRY

/** Rows of a summary: one per protocol, then every protocol together. */
#define COLO_LATENCY_ROWS (COLO_HIST_PROTO_MAX + 1)

/** Summary of every row, summed over the lcores; lock-free, from any thread. */
void colo_latency_summary(uint64_t out[COLO_LATENCY_ROWS][COLO_LATENCY_STAT_MAX]);

/** Name of a summary row ("tcp", ..., "all"). */
const char *colo_latency_row_name(unsigned int row);

/** Names of the summary values, COLO_LATENCY_STAT_MAX of them. */
extern const char *const colo_latency_stat_names[];

/** Render the summary as groups "latency_<row>" of a report (/colo/stats, --stats-json). */
void colo_latency_emit(const struct colo_report_out *out, void *arg);

/** Set up every lcore's histogram; main lcore, before the lcores start. */
void colo_latency_init(void);

/** Register /colo/latency. */
int colo_latency_telemetry_init(void);

#endif /* COLO_APP_LATENCY_H */
