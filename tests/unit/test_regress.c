/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Regression cases for the findings of the libFuzzer harnesses (tests/fuzz/).
 * Each case names the harness, gives its minimised input, and replays the
 * same scenario through the public libcolo API, so it runs in every build,
 * not only with -Dfuzz=true. Time is fake: tsc_hz = 1000, one tick is 1 ms.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_tcp.h>

#include "colo_compare.h"
#include "colo_divergence.h"
#include "colo_pkt.h"
#include "frames.h"
#include "unit.h"

#define NB_MBUFS 256

static struct rte_mempool *pool;
static struct rte_ring *out;
static struct colo_stats st;
static struct colo_ctx *ctx;

static void
ctx_start(uint32_t compare_timeout_ms, uint32_t idle_timeout_ms)
{
	struct colo_params prm;

	colo_params_init(&prm);
	prm.tsc_hz = 1000;
	prm.compare_timeout_ms = compare_timeout_ms;
	prm.idle_timeout_ms = idle_timeout_ms;
	memset(&st, 0, sizeof(st));
	ctx = colo_ctx_create("regress_ctx", &prm, out, &st, SOCKET_ID_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
}

/* Free everything and check that no mbuf leaked or was freed twice. */
static void
ctx_stop(void)
{
	struct rte_mbuf *m;

	colo_ctx_drain(ctx);
	colo_ctx_free(ctx);
	ctx = NULL;
	while (rte_ring_dequeue(out, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(pool), 0);
}

/* The UDP frame of the fuzz inputs below: template 1 (UDP over IPv4), flow
 * 0, no payload. */
static struct rte_mbuf *
udp_frame(enum colo_side side, uint64_t arrival_tsc)
{
	struct frame_spec fs = {
		.family = 4,
		.proto = IPPROTO_UDP,
		.sport = 1000,
		.dport = 80,
	};
	struct rte_mbuf *m = frame_make(pool, &fs);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	colo_pkt_classify(m, side, colo_ckpt_epoch(colo_ctx_ckpt(ctx)), arrival_tsc, NULL);
	return m;
}

static uint64_t
timeout_triggers(void)
{
	return st.trigger[COLO_CKPT_TIMEOUT_PRIMARY] + st.trigger[COLO_CKPT_TIMEOUT_SECONDARY] +
	       st.trigger[COLO_CKPT_TIMEOUT_ACK];
}

/*
 * fuzz_compare, input 18 06 40 78 20 00 01 00 00 69 69 (compare_timeout
 * 1 ms; RX clock 2 ms ahead; one UDP primary; scan 1 ms later). The RX lcore
 * stamps a frame after the compare lcore read its now, and the scan of that
 * same poll computed now - arrival as 2^64 - 1: an immediate, spurious
 * timeout checkpoint. Fixed in lib/colo_compare.c (age_tsc).
 */
static void
test_frame_stamped_after_now_does_not_time_out(void)
{
	struct rte_mbuf *m;
	uint64_t now = 1;

	ctx_start(1, 1);
	m = udp_frame(COLO_SIDE_PRIMARY, now + 2);
	colo_compare_burst(ctx, &m, 1, now);
	CU_ASSERT_EQUAL(colo_ctx_queued(ctx, COLO_SIDE_PRIMARY), 1);
	now += 1;
	colo_ctx_scan(ctx, now);
	CU_ASSERT_EQUAL(timeout_triggers(), 0);
	CU_ASSERT_EQUAL(st.ctr[COLO_CKPT_REQUESTS], 0);

	/* Once it really has waited compare_timeout, it does time out. */
	now += 2;
	colo_ctx_scan(ctx, now);
	CU_ASSERT_EQUAL(st.trigger[COLO_CKPT_TIMEOUT_PRIMARY], 1);
	CU_ASSERT_EQUAL(st.ctr[COLO_CKPT_REQUESTS], 1);
	ctx_stop();
}

/*
 * Same clock skew, aging side: a connection last touched at a now later
 * than the scan's must not be expired as 2^64 ticks idle (found together
 * with the case above; same fix).
 */
static void
test_conn_touched_after_now_is_not_expired(void)
{
	struct rte_mbuf *p, *s;

	ctx_start(3000, 1);
	p = udp_frame(COLO_SIDE_PRIMARY, 100);
	s = udp_frame(COLO_SIDE_SECONDARY, 100);
	colo_compare_burst(ctx, &p, 1, 100);
	colo_compare_burst(ctx, &s, 1, 100);
	CU_ASSERT_EQUAL(st.release[COLO_REL_MATCH], 1);
	CU_ASSERT_EQUAL(colo_conn_count(colo_ctx_conns(ctx)), 1);
	colo_ctx_scan(ctx, 99);
	CU_ASSERT_EQUAL(st.ctr[COLO_CONN_EXPIRED], 0);
	CU_ASSERT_EQUAL(colo_conn_count(colo_ctx_conns(ctx)), 1);
	colo_ctx_scan(ctx, 101);
	CU_ASSERT_EQUAL(st.ctr[COLO_CONN_EXPIRED], 1);
	ctx_stop();
}

static struct colo_divergence last_report;
static unsigned int nb_reports;

static void
on_divergence(const struct colo_divergence *d, void *arg)
{
	(void)arg;
	last_report = *d;
	nb_reports++;
}

static struct rte_mbuf *
tcp_frame(enum colo_side side, uint32_t seq, uint8_t flags, const uint8_t *payload, uint16_t len)
{
	struct frame_spec fs = {
		.family = 4,
		.proto = IPPROTO_TCP,
		.sport = 80,
		.dport = 40000,
		.seq = seq,
		.ack = 5000,
		.tcp_flags = flags,
		.payload = payload,
		.payload_len = len,
	};
	struct rte_mbuf *m = frame_make(pool, &fs);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	colo_pkt_classify(m, side, colo_ckpt_epoch(colo_ctx_ckpt(ctx)), 1, NULL);
	return m;
}

/*
 * fuzz_compare, input 08 00 3d 3d ff ff 00 00 00 00 00 00 ff 00 ff ff 02 00
 * 00 00 00 01 08 06 ff ff ff 07 08 07. Primaries are queued in arrival
 * order: a lone FIN at 1005 that came first also covers the differing
 * sequence number 1005, and the report named it with the offset of the
 * segment actually compared, 5 bytes past its end. Fixed in
 * lib/colo_divergence.c (tcp_find_primary).
 */
static void
test_divergence_names_the_compared_primary(void)
{
	uint8_t data[20], other[20];
	struct rte_mbuf *fin, *seg, *sec;
	unsigned int i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = other[i] = (uint8_t)i;
	other[5] ^= 0xff;
	ctx_start(3000, 120000);
	nb_reports = 0;
	CU_ASSERT_EQUAL(colo_divergence_register(ctx, on_divergence, NULL), 0);
	fin = tcp_frame(COLO_SIDE_PRIMARY, 1005, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, NULL, 0);
	seg = tcp_frame(COLO_SIDE_PRIMARY, 1000, RTE_TCP_ACK_FLAG, data, sizeof(data));
	sec = tcp_frame(COLO_SIDE_SECONDARY, 1000, RTE_TCP_ACK_FLAG, other, sizeof(other));
	colo_compare_burst(ctx, &fin, 1, 1);
	colo_compare_burst(ctx, &seg, 1, 1);
	colo_compare_burst(ctx, &sec, 1, 1);

	CU_ASSERT_EQUAL(st.trigger[COLO_CKPT_MISMATCH_TCP], 1);
	CU_ASSERT_EQUAL_FATAL(nb_reports, 1);
	CU_ASSERT_EQUAL(last_report.tcp_seq, 1005);
	CU_ASSERT_PTR_EQUAL(last_report.pkt[COLO_SIDE_PRIMARY], seg);
	CU_ASSERT_PTR_EQUAL(last_report.pkt[COLO_SIDE_SECONDARY], sec);
	CU_ASSERT_EQUAL(last_report.offset[COLO_SIDE_PRIMARY], 54 + 5);
	CU_ASSERT_EQUAL(last_report.offset[COLO_SIDE_SECONDARY], 54 + 5);
	CU_ASSERT(last_report.offset[COLO_SIDE_PRIMARY] <
			(int32_t)rte_pktmbuf_pkt_len(last_report.pkt[COLO_SIDE_PRIMARY]));
	ctx_stop();
}

static const struct unit_case cases[] = {
	{ "frame stamped after the scan's now does not time out",
			test_frame_stamped_after_now_does_not_time_out },
	{ "connection touched after the scan's now is not expired",
			test_conn_touched_after_now_is_not_expired },
	{ "divergence report names the compared primary",
			test_divergence_names_the_compared_primary },
};

int
main(void)
{
	frames_eal_init("regress");
	pool = frames_pool("regress_pool", NB_MBUFS);
	out = rte_ring_create("regress_out", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (pool == NULL || out == NULL) {
		fprintf(stderr, "cannot create the pool or the ring\n");
		return 1;
	}
	return unit_run("regress", cases, RTE_DIM(cases));
}
