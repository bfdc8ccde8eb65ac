/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit suite of the compare engines and the dispatcher (lib/colo_compare*.c):
 * one case per row of docs/semantics.md. Time is fake: tsc_hz = 1000, so one
 * tick is one millisecond. Every case ends by checking that each mbuf went
 * back to the pool exactly once.
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_tcp.h>

#include "colo_compare.h"
#include "colo_pkt.h"
#include "frames.h"
#include "unit.h"

#define NB_MBUFS 4096
#define MAX_OUT 512
#define ISN 1000u
#define CLIENT_NXT 5000u

static struct rte_mempool *pool;
static struct rte_ring *out;
static struct colo_stats st;
static struct colo_ctx *ctx;
static struct colo_params prm;
static uint64_t now;

static void
ctx_start(uint32_t max_queue, uint32_t max_conns)
{
	colo_params_init(&prm);
	prm.tsc_hz = 1000;
	if (max_queue != 0)
		prm.max_queue = max_queue;
	if (max_conns != 0)
		prm.max_conns = max_conns;
	memset(&st, 0, sizeof(st));
	now = 1;
	ctx = colo_ctx_create("test_ctx", &prm, out, &st, SOCKET_ID_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
}

/* Free everything and check that no mbuf leaked or was freed twice. */
static void
ctx_stop(void)
{
	struct rte_mbuf *m;

	colo_ctx_free(ctx);
	ctx = NULL;
	while (rte_ring_dequeue(out, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(pool), 0);
}

static struct rte_mbuf *
classify(enum colo_side side, const struct frame_spec *fs)
{
	struct rte_mbuf *m = frame_make(pool, fs);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	colo_pkt_classify(m, side, colo_ckpt_epoch(colo_ctx_ckpt(ctx)), now, NULL);
	return m;
}

/* Classify and compare one frame; return it (it may already be released or freed). */
static struct rte_mbuf *
feed(enum colo_side side, const struct frame_spec *fs)
{
	struct rte_mbuf *m = classify(side, fs);

	colo_compare_burst(ctx, &m, 1, now);
	return m;
}

/* Dequeue what was released so far. */
static unsigned int
released(struct rte_mbuf **v)
{
	return rte_ring_dequeue_burst(out, (void **)v, MAX_OUT, NULL);
}

static void
free_all(struct rte_mbuf **v, unsigned int n)
{
	rte_pktmbuf_free_bulk(v, n);
}

static struct frame_spec
tcp(uint32_t seq, uint16_t len, const uint8_t *payload)
{
	struct frame_spec fs = {
		.family = 4,
		.proto = IPPROTO_TCP,
		.sport = 80,
		.dport = 40000,
		.seq = seq,
		.ack = CLIENT_NXT,
		.tcp_flags = RTE_TCP_ACK_FLAG | (len ? RTE_TCP_PSH_FLAG : 0),
		.payload = payload,
		.payload_len = len,
	};
	return fs;
}

static struct frame_spec
synack(void)
{
	struct frame_spec fs = tcp(ISN, 0, NULL);

	fs.tcp_flags = RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG;
	return fs;
}

static struct frame_spec
udp(uint16_t len, const uint8_t *payload)
{
	struct frame_spec fs = {
		.family = 4,
		.proto = IPPROTO_UDP,
		.sport = 5353,
		.dport = 6000,
		.payload = payload,
		.payload_len = len,
	};
	return fs;
}

static uint8_t stream[4096];

static uint64_t
ckpts(void)
{
	return st.ctr[COLO_CKPT_REQUESTS];
}

static struct colo_ckpt_record
last_request(void)
{
	struct colo_ckpt_record rec;

	memset(&rec, 0, sizeof(rec));
	CU_ASSERT_EQUAL(colo_ckpt_history(colo_ctx_ckpt(ctx), &rec, 1), 1);
	return rec;
}

/* --- TCP --- */

static void
test_tcp_identical_stream(void)
{
	struct rte_mbuf *p[6], *v[MAX_OUT];
	struct frame_spec fs;
	unsigned int i, n;

	ctx_start(0, 0);
	fs = synack();
	p[0] = feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	for (i = 0; i < 4; i++) {
		fs = tcp(ISN + 1 + i * 100, 100, stream + i * 100);
		p[i + 1] = feed(COLO_SIDE_PRIMARY, &fs);
		feed(COLO_SIDE_SECONDARY, &fs);
	}
	fs = tcp(ISN + 401, 0, NULL);
	fs.tcp_flags = RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG;
	p[5] = feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);

	n = released(v);
	CU_ASSERT_EQUAL(n, 6);
	for (i = 0; i < n && i < 6; i++)
		CU_ASSERT_PTR_EQUAL(v[i], p[i]);
	CU_ASSERT_EQUAL(ckpts(), 0);
	CU_ASSERT_EQUAL(st.release[COLO_REL_MATCH], 6);
	CU_ASSERT_EQUAL(st.discard[COLO_DISCARD_MATCH], 6);
	CU_ASSERT_EQUAL(colo_ctx_queued(ctx, COLO_SIDE_PRIMARY), 0);
	CU_ASSERT_EQUAL(colo_ctx_queued(ctx, COLO_SIDE_SECONDARY), 0);
	free_all(v, n);
	ctx_stop();
}

static void
test_tcp_one_byte_differs(void)
{
	uint8_t other[100];
	struct rte_mbuf *p1, *p2, *v[MAX_OUT];
	struct colo_ckpt_record rec;
	struct frame_spec fs;
	unsigned int n;

	ctx_start(0, 0);
	fs = synack();
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	fs = tcp(ISN + 1, 100, stream);
	p1 = feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	memcpy(other, stream + 100, sizeof(other));
	other[37] ^= 0x20;
	fs = tcp(ISN + 101, 100, stream + 100);
	p2 = feed(COLO_SIDE_PRIMARY, &fs);
	fs.payload = other;
	feed(COLO_SIDE_SECONDARY, &fs);

	n = released(v);
	CU_ASSERT_EQUAL(n, 2); /* SYN-ACK and the first segment; p2 is held */
	CU_ASSERT_PTR_EQUAL(v[1], p1);
	free_all(v, n);
	CU_ASSERT_EQUAL(ckpts(), 1);
	CU_ASSERT_EQUAL(st.trigger[COLO_CKPT_MISMATCH_TCP], 1);
	rec = last_request();
	CU_ASSERT_EQUAL(rec.reason, COLO_CKPT_MISMATCH_TCP);
	CU_ASSERT_EQUAL(rec.tcp_seq, ISN + 101 + 37);
	CU_ASSERT_EQUAL(rec.offset, 14 + 20 + 20 + 37);
	CU_ASSERT_EQUAL(rec.key.proto, IPPROTO_TCP);
	CU_ASSERT_EQUAL(colo_ctx_queued(ctx, COLO_SIDE_PRIMARY), 1);

	colo_ctx_flush(ctx, now);
	n = released(v);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_PTR_EQUAL(v[0], p2);
	CU_ASSERT_EQUAL(st.release[COLO_REL_FLUSH], 1);
	CU_ASSERT_EQUAL(st.discard[COLO_DISCARD_FLUSH], 1);
	free_all(v, n);
	ctx_stop();
}

/* Same bytes, primary in 3 segments and secondary in 2 (and the reverse). */
static void
segmentation_case(const uint16_t *plen, unsigned int np, const uint16_t *slen, unsigned int ns)
{
	struct rte_mbuf *p[8], *v[MAX_OUT];
	struct frame_spec fs;
	unsigned int i, n;
	uint32_t off;

	ctx_start(0, 0);
	fs = synack();
	p[0] = feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	for (i = 0, off = 0; i < np; off += plen[i], i++) {
		fs = tcp(ISN + 1 + off, plen[i], stream + off);
		p[i + 1] = feed(COLO_SIDE_PRIMARY, &fs);
	}
	for (i = 0, off = 0; i < ns; off += slen[i], i++) {
		fs = tcp(ISN + 1 + off, slen[i], stream + off);
		feed(COLO_SIDE_SECONDARY, &fs);
	}
	n = released(v);
	CU_ASSERT_EQUAL(n, np + 1);
	for (i = 0; i < n && i <= np; i++)
		CU_ASSERT_PTR_EQUAL(v[i], p[i]);
	CU_ASSERT_EQUAL(ckpts(), 0);
	CU_ASSERT_EQUAL(colo_ctx_queued(ctx, COLO_SIDE_SECONDARY), 0);
	free_all(v, n);
	ctx_stop();
}

static void
test_tcp_segmentation(void)
{
	static const uint16_t three[] = { 100, 100, 100 }, two[] = { 150, 150 };
	static const uint16_t odd[] = { 1, 298, 1 };

	segmentation_case(three, 3, two, 2);
	segmentation_case(two, 2, three, 3);
	segmentation_case(odd, 3, two, 2);
}

/* A difference inside differently segmented streams is found at its sequence number. */
static void
test_tcp_segmentation_differs(void)
{
	uint8_t other[300];
	struct colo_ckpt_record rec;
	struct rte_mbuf *v[MAX_OUT];
	struct frame_spec fs;
	unsigned int n;

	ctx_start(0, 0);
	memcpy(other, stream, sizeof(other));
	other[170] ^= 1;
	fs = synack();
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	fs = tcp(ISN + 1, 100, stream);
	feed(COLO_SIDE_PRIMARY, &fs);
	fs = tcp(ISN + 101, 200, stream + 100);
	feed(COLO_SIDE_PRIMARY, &fs);
	fs = tcp(ISN + 1, 150, other);
	feed(COLO_SIDE_SECONDARY, &fs);
	fs = tcp(ISN + 151, 150, other + 150);
	feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL(ckpts(), 1);
	rec = last_request();
	CU_ASSERT_EQUAL(rec.tcp_seq, ISN + 1 + 170);
	CU_ASSERT_EQUAL(rec.offset, 14 + 20 + 20 + 70); /* 70 bytes into the second primary */
	n = released(v);
	CU_ASSERT_EQUAL(n, 2); /* SYN-ACK and the verified first 100 bytes */
	free_all(v, n);
	ctx_stop();
}

static void
test_tcp_out_of_order(void)
{
	static const unsigned int porder[] = { 0, 2, 1, 3 }, sorder[] = { 3, 1, 2, 0 };
	struct rte_mbuf *p[4], *v[MAX_OUT];
	struct frame_spec fs;
	unsigned int i, n;

	ctx_start(0, 0);
	fs = synack();
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	for (i = 0; i < 4; i++) {
		fs = tcp(ISN + 1 + porder[i] * 100, 100, stream + porder[i] * 100);
		p[porder[i]] = feed(COLO_SIDE_PRIMARY, &fs);
	}
	for (i = 0; i < 4; i++) {
		fs = tcp(ISN + 1 + sorder[i] * 100, 100, stream + sorder[i] * 100);
		feed(COLO_SIDE_SECONDARY, &fs);
	}
	n = released(v);
	CU_ASSERT_EQUAL(n, 5);
	/* Whatever the secondary's order, primaries leave in their own order. */
	for (i = 0; i < 4 && i + 1 < n; i++)
		CU_ASSERT_PTR_EQUAL(v[i + 1], p[porder[i]]);
	CU_ASSERT_EQUAL(ckpts(), 0);
	free_all(v, n);
	ctx_stop();
}

static void
test_tcp_retransmission(void)
{
	struct rte_mbuf *r, *v[MAX_OUT];
	struct frame_spec fs;
	unsigned int n;

	ctx_start(0, 0);
	fs = synack();
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	fs = tcp(ISN + 1, 100, stream);
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	fs = tcp(ISN + 101, 100, stream + 100);
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	n = released(v);
	CU_ASSERT_EQUAL(n, 3);
	free_all(v, n);

	/* The primary retransmits verified data: it passes at once, alone. */
	fs = tcp(ISN + 1, 100, stream);
	r = feed(COLO_SIDE_PRIMARY, &fs);
	n = released(v);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_PTR_EQUAL(v[0], r);
	CU_ASSERT_EQUAL(st.release[COLO_REL_VERIFIED], 1);
	free_all(v, n);
	/* The secondary's retransmission is freed as verified. */
	feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL(st.discard[COLO_DISCARD_VERIFIED], 1);
	CU_ASSERT_EQUAL(ckpts(), 0);
	CU_ASSERT_EQUAL(colo_ctx_queued(ctx, COLO_SIDE_SECONDARY), 0);
	ctx_stop();
}

/* A retransmission queued behind later data, before any secondary byte:
 * the client still sees the primary's order. */
static void
test_tcp_retransmission_keeps_order(void)
{
	struct rte_mbuf *p[3], *v[MAX_OUT];
	struct frame_spec fs;
	unsigned int i, n;

	ctx_start(0, 0);
	fs = synack();
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	free_all(v, released(v));
	fs = tcp(ISN + 1, 100, stream);
	p[0] = feed(COLO_SIDE_PRIMARY, &fs);
	fs = tcp(ISN + 101, 100, stream + 100);
	p[1] = feed(COLO_SIDE_PRIMARY, &fs);
	fs = tcp(ISN + 1, 100, stream);
	p[2] = feed(COLO_SIDE_PRIMARY, &fs);
	fs = tcp(ISN + 1, 200, stream);
	feed(COLO_SIDE_SECONDARY, &fs);
	n = released(v);
	CU_ASSERT_EQUAL(n, 3);
	for (i = 0; i < 3 && i < n; i++)
		CU_ASSERT_PTR_EQUAL(v[i], p[i]);
	CU_ASSERT_EQUAL(ckpts(), 0);
	free_all(v, n);
	ctx_stop();
}

static void
test_tcp_ack_lag_held_then_released(void)
{
	struct rte_mbuf *p, *v[MAX_OUT];
	struct frame_spec fs;
	unsigned int n;

	ctx_start(0, 0);
	fs = synack();
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	free_all(v, released(v));
	/* The primary has seen 10 more client bytes than the secondary. */
	fs = tcp(ISN + 1, 100, stream);
	fs.ack = CLIENT_NXT + 10;
	p = feed(COLO_SIDE_PRIMARY, &fs);
	fs.ack = CLIENT_NXT;
	feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL(released(v), 0);
	CU_ASSERT_EQUAL(st.ctr[COLO_HOLD_ACK], 1);
	CU_ASSERT_EQUAL(ckpts(), 0);
	/* A scan before compare_timeout does not request a checkpoint. */
	now += 1000;
	colo_ctx_scan(ctx, now);
	CU_ASSERT_EQUAL(ckpts(), 0);
	/* The secondary's pure ACK catches up: the segment goes. */
	fs = tcp(ISN + 101, 0, NULL);
	fs.ack = CLIENT_NXT + 10;
	feed(COLO_SIDE_SECONDARY, &fs);
	n = released(v);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_PTR_EQUAL(v[0], p);
	CU_ASSERT_EQUAL(ckpts(), 0);
	free_all(v, n);
	ctx_stop();
}

static void
test_tcp_ack_lag_timeout(void)
{
	struct rte_mbuf *v[MAX_OUT];
	struct frame_spec fs;

	ctx_start(0, 0);
	fs = synack();
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	free_all(v, released(v));
	fs = tcp(ISN + 1, 100, stream);
	fs.ack = CLIENT_NXT + 10;
	feed(COLO_SIDE_PRIMARY, &fs);
	fs.ack = CLIENT_NXT;
	feed(COLO_SIDE_SECONDARY, &fs);
	now += 2999;
	colo_ctx_scan(ctx, now);
	CU_ASSERT_EQUAL(ckpts(), 0);
	now += 1;
	colo_ctx_scan(ctx, now);
	CU_ASSERT_EQUAL(ckpts(), 1);
	CU_ASSERT_EQUAL(last_request().reason, COLO_CKPT_TIMEOUT_ACK);
	ctx_stop();
}

/* TTL, IP-ID, window and TCP options differ: no checkpoint. */
static void
test_tcp_header_only_diff(void)
{
	static const uint8_t mss[4] = { 2, 4, 0x05, 0xb4 };
	static const uint8_t ts[12] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2 };
	struct rte_mbuf *v[MAX_OUT];
	struct frame_spec fs;
	unsigned int n;

	ctx_start(0, 0);
	fs = synack();
	fs.tcp_opts = mss;
	fs.tcp_opts_len = sizeof(mss);
	feed(COLO_SIDE_PRIMARY, &fs);
	fs.ttl = 63;
	fs.ip_id = 999;
	fs.window = 1234;
	fs.tcp_opts = NULL;
	fs.tcp_opts_len = 0;
	feed(COLO_SIDE_SECONDARY, &fs);
	fs = tcp(ISN + 1, 200, stream);
	fs.ip_id = 1;
	feed(COLO_SIDE_PRIMARY, &fs);
	fs.ip_id = 2;
	fs.ttl = 17;
	fs.window = 512;
	fs.tcp_opts = ts;
	fs.tcp_opts_len = sizeof(ts);
	feed(COLO_SIDE_SECONDARY, &fs);
	n = released(v);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(ckpts(), 0);
	free_all(v, n);
	ctx_stop();
}

/* A SYN on one side where the other has data is a difference. */
static void
test_tcp_syn_position_differs(void)
{
	struct frame_spec fs;

	ctx_start(0, 0);
	fs = synack();
	feed(COLO_SIDE_PRIMARY, &fs);
	fs = tcp(ISN, 10, stream);
	feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL(ckpts(), 1);
	CU_ASSERT_EQUAL(last_request().reason, COLO_CKPT_MISMATCH_TCP);
	CU_ASSERT_EQUAL(last_request().offset, 14 + 20 + 13);
	ctx_stop();
}

/* Picked up mid-stream (no SYN seen): anchored at the lower first segment. */
static void
test_tcp_midstream(void)
{
	struct rte_mbuf *v[MAX_OUT];
	struct frame_spec fs;
	unsigned int n;

	ctx_start(0, 0);
	fs = tcp(77777, 100, stream);
	feed(COLO_SIDE_PRIMARY, &fs);
	CU_ASSERT_EQUAL(released(v), 0);
	feed(COLO_SIDE_SECONDARY, &fs);
	n = released(v);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(ckpts(), 0);
	free_all(v, n);
	ctx_stop();
}

/* Sequence numbers wrapping through 2^32 compare like any others. */
static void
test_tcp_seq_wrap(void)
{
	struct rte_mbuf *v[MAX_OUT];
	struct frame_spec fs;
	unsigned int n;

	ctx_start(0, 0);
	fs = tcp(UINT32_MAX - 49, 100, stream);
	feed(COLO_SIDE_PRIMARY, &fs);
	fs = tcp(UINT32_MAX - 49, 50, stream);
	feed(COLO_SIDE_SECONDARY, &fs);
	fs = tcp(0, 50, stream + 50);
	feed(COLO_SIDE_SECONDARY, &fs);
	n = released(v);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(ckpts(), 0);
	free_all(v, n);
	ctx_stop();
}

static void
test_tcp_fin_closes_connection(void)
{
	struct rte_mbuf *v[MAX_OUT];
	struct frame_spec fs;

	ctx_start(0, 0);
	fs = synack();
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	fs = tcp(ISN + 1, 0, NULL);
	fs.tcp_flags = RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG;
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	free_all(v, released(v));
	CU_ASSERT_EQUAL(colo_conn_count(colo_ctx_conns(ctx)), 1);
	now += prm.closing_timeout_ms - 1;
	colo_ctx_scan(ctx, now);
	CU_ASSERT_EQUAL(colo_conn_count(colo_ctx_conns(ctx)), 1);
	now += 1;
	colo_ctx_scan(ctx, now);
	CU_ASSERT_EQUAL(colo_conn_count(colo_ctx_conns(ctx)), 0);
	CU_ASSERT_EQUAL(st.ctr[COLO_CONN_CLOSED], 1);
	ctx_stop();
}

static void
test_idle_connection_expires(void)
{
	struct rte_mbuf *v[MAX_OUT];
	struct frame_spec fs = udp(10, NULL);

	ctx_start(0, 0);
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	free_all(v, released(v));
	now += prm.idle_timeout_ms - 1;
	colo_ctx_scan(ctx, now);
	CU_ASSERT_EQUAL(colo_conn_count(colo_ctx_conns(ctx)), 1);
	now += 1;
	colo_ctx_scan(ctx, now);
	CU_ASSERT_EQUAL(colo_conn_count(colo_ctx_conns(ctx)), 0);
	CU_ASSERT_EQUAL(st.ctr[COLO_CONN_EXPIRED], 1);
	ctx_stop();
}

/* --- UDP, ICMP, other --- */

static void
test_udp_identical(void)
{
	struct rte_mbuf *p, *v[MAX_OUT];
	struct frame_spec fs = udp(64, stream);
	unsigned int n;

	ctx_start(0, 0);
	p = feed(COLO_SIDE_PRIMARY, &fs);
	fs.ttl = 5;
	fs.ip_id = 4242;
	feed(COLO_SIDE_SECONDARY, &fs);
	n = released(v);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_PTR_EQUAL(v[0], p);
	CU_ASSERT_EQUAL(ckpts(), 0);
	free_all(v, n);
	ctx_stop();
}

static void
test_udp_fifo_primaries_first(void)
{
	struct rte_mbuf *p[5], *v[MAX_OUT];
	struct frame_spec fs;
	unsigned int i, n;

	ctx_start(0, 0);
	for (i = 0; i < 5; i++) {
		fs = udp(32, stream + i);
		p[i] = feed(COLO_SIDE_PRIMARY, &fs);
	}
	CU_ASSERT_EQUAL(released(v), 0);
	for (i = 0; i < 5; i++) {
		fs = udp(32, stream + i);
		feed(COLO_SIDE_SECONDARY, &fs);
	}
	n = released(v);
	CU_ASSERT_EQUAL(n, 5);
	for (i = 0; i < 5 && i < n; i++)
		CU_ASSERT_PTR_EQUAL(v[i], p[i]);
	CU_ASSERT_EQUAL(ckpts(), 0);
	free_all(v, n);
	ctx_stop();
}

static void
test_udp_one_differs(void)
{
	uint8_t other[32];
	struct frame_spec fs;

	ctx_start(0, 0);
	memcpy(other, stream, sizeof(other));
	other[9] = 0xee;
	fs = udp(32, stream);
	feed(COLO_SIDE_PRIMARY, &fs);
	fs.payload = other;
	feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL(ckpts(), 1);
	CU_ASSERT_EQUAL(last_request().reason, COLO_CKPT_MISMATCH_UDP);
	CU_ASSERT_EQUAL(last_request().offset, 14 + 20 + 8 + 9);
	CU_ASSERT_EQUAL(colo_ctx_queued(ctx, COLO_SIDE_PRIMARY), 1);
	ctx_stop();
}

/* Ethernet padding is not payload (QEMU compares it). */
static void
test_udp_padding_ignored(void)
{
	struct rte_mbuf *v[MAX_OUT];
	struct frame_spec fs = udp(4, stream);
	unsigned int n;

	ctx_start(0, 0);
	fs.pad = 14;
	feed(COLO_SIDE_PRIMARY, &fs);
	fs.pad = 2;
	feed(COLO_SIDE_SECONDARY, &fs);
	n = released(v);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(ckpts(), 0);
	free_all(v, n);
	ctx_stop();
}

static void
icmp_case(int family, bool differ)
{
	uint8_t other[56];
	struct rte_mbuf *v[MAX_OUT];
	struct frame_spec fs = {
		.family = family,
		.proto = family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6,
		.icmp_type = family == 4 ? 0 : 129,
		.icmp_id = 7,
		.icmp_seq = 1,
		.payload = stream,
		.payload_len = sizeof(other),
	};
	unsigned int n;

	ctx_start(0, 0);
	memcpy(other, stream, sizeof(other));
	if (differ)
		other[20] ^= 0xff;
	feed(COLO_SIDE_PRIMARY, &fs);
	fs.payload = other;
	fs.ip_id = 77;
	feed(COLO_SIDE_SECONDARY, &fs);
	n = released(v);
	CU_ASSERT_EQUAL(n, differ ? 0 : 1);
	CU_ASSERT_EQUAL(ckpts(), differ ? 1 : 0);
	if (differ) {
		CU_ASSERT_EQUAL(last_request().reason, COLO_CKPT_MISMATCH_ICMP);
		CU_ASSERT_EQUAL(last_request().offset,
				14 + (family == 4 ? 20 : 40) + 8 + 20);
	}
	free_all(v, n);
	ctx_stop();
}

static void
test_icmp_identical_and_differing(void)
{
	icmp_case(4, false);
	icmp_case(4, true);
	icmp_case(6, false);
	icmp_case(6, true);
}

static void
test_gre_ipid_differs(void)
{
	uint8_t other[40];
	struct rte_mbuf *v[MAX_OUT];
	struct frame_spec fs = {
		.family = 4,
		.proto = IPPROTO_GRE,
		.ip_id = 100,
		.payload = stream,
		.payload_len = sizeof(other),
	};
	unsigned int n;

	ctx_start(0, 0);
	feed(COLO_SIDE_PRIMARY, &fs);
	fs.ip_id = 200;
	fs.ttl = 1;
	feed(COLO_SIDE_SECONDARY, &fs);
	n = released(v);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(ckpts(), 0);
	free_all(v, n);

	/* The encapsulated bytes still count. */
	memcpy(other, stream, sizeof(other));
	other[30] ^= 4;
	fs.payload = stream;
	feed(COLO_SIDE_PRIMARY, &fs);
	fs.payload = other;
	feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL(ckpts(), 1);
	CU_ASSERT_EQUAL(last_request().reason, COLO_CKPT_MISMATCH_OTHER);
	CU_ASSERT_EQUAL(last_request().offset, 14 + 20 + 4 + 30);
	ctx_stop();
}


/* --- TSO/GSO frames, volatile fields of "other" protocols, VLAN stacks --- */

#define BIG_PAYLOAD 140000u
#define MSS 1448u

static uint8_t *big_stream;

/* Classify and compare @p len bytes of @p buf, chained when they do not fit one mbuf. */
static struct rte_mbuf *
feed_bytes(enum colo_side side, const uint8_t *buf, size_t len)
{
	struct rte_mbuf *m = frame_mbuf_chain(pool, buf, len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	colo_pkt_classify(m, side, colo_ckpt_epoch(colo_ctx_ckpt(ctx)), now, NULL);
	CU_ASSERT_EQUAL(colo_pkt_meta(m)->class, COLO_CLASS_IP);
	colo_compare_burst(ctx, &m, 1, now);
	return m;
}

/* frame_build() into a buffer of any size, then feed_bytes(). */
static struct rte_mbuf *
feed_big(enum colo_side side, const struct frame_spec *fs)
{
	size_t cap = (size_t)fs->payload_len + 256, len;
	uint8_t *buf = malloc(cap);
	struct rte_mbuf *m;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	len = frame_build(fs, buf, cap);
	CU_ASSERT_FATAL(len != 0);
	m = feed_bytes(side, buf, len);
	free(buf);
	return m;
}

/*
 * One side sends @p total bytes as one TSO/GSO frame, the other as MSS
 * segments (one VM with segmentation offload, one without). @p flip: a byte
 * of the segmented side that differs, or -1.
 */
static void
tso_case(int family, bool jumbo, uint32_t total, bool tso_primary, int32_t flip)
{
	enum colo_side tso_side = tso_primary ? COLO_SIDE_PRIMARY : COLO_SIDE_SECONDARY;
	struct rte_mbuf *v[MAX_OUT], *tso = NULL;
	struct frame_spec fs;
	unsigned int n, i;
	uint32_t off;

	ctx_start(0, 0);
	fs = synack();
	fs.family = family;
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	fs = tcp(ISN + 1, 0, big_stream);
	fs.family = family;
	fs.jumbo = jumbo;
	fs.payload_len = total;
	if (tso_primary)
		tso = feed_big(tso_side, &fs);
	else
		feed_big(tso_side, &fs);
	if (flip >= 0)
		big_stream[flip] ^= 0x20;
	fs.jumbo = false;
	for (off = 0; off < total; off += MSS) {
		fs = tcp(ISN + 1 + off, (uint16_t)RTE_MIN(MSS, total - off), big_stream + off);
		fs.family = family;
		feed(tso_primary ? COLO_SIDE_SECONDARY : COLO_SIDE_PRIMARY, &fs);
	}
	if (flip >= 0)
		big_stream[flip] ^= 0x20;
	n = released(v);
	if (flip < 0) {
		CU_ASSERT_EQUAL(ckpts(), 0);
		CU_ASSERT_EQUAL(n, tso_primary ? 2 : 1 + (total + MSS - 1) / MSS);
		if (tso_primary)
			CU_ASSERT(n == 2 && v[1] == tso);
		CU_ASSERT_EQUAL(colo_ctx_queued(ctx, COLO_SIDE_PRIMARY), 0);
		CU_ASSERT_EQUAL(colo_ctx_queued(ctx, COLO_SIDE_SECONDARY), 0);
	} else {
		struct colo_ckpt_record rec = last_request();

		CU_ASSERT_EQUAL(ckpts(), 1);
		CU_ASSERT_EQUAL(rec.reason, COLO_CKPT_MISMATCH_TCP);
		CU_ASSERT_EQUAL(rec.tcp_seq, ISN + 1 + (uint32_t)flip);
		/* The offset is in the primary frame that holds the byte. */
		if (tso_primary)
			CU_ASSERT_EQUAL(rec.offset,
					(int32_t)colo_pkt_meta(tso)->payload_off + flip);
	}
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(v[i]), colo_pkt_meta(v[i])->l3_end);
	free_all(v, n);
	ctx_stop();
}

static void
test_tso_frames_compare_as_stream(void)
{
	/* IPv4 total length 65535; a GSO frame with total length 0. */
	tso_case(4, false, UINT16_MAX - 40, true, -1);
	tso_case(4, false, UINT16_MAX - 40, false, -1);
	tso_case(4, false, BIG_PAYLOAD, true, -1);
	/* IPv6 payload length 65535, a jumbogram, BIG TCP without the option. */
	tso_case(6, false, UINT16_MAX - 20, true, -1);
	tso_case(6, true, BIG_PAYLOAD, true, -1);
	tso_case(6, false, BIG_PAYLOAD, false, -1);
	/* A difference deep inside is found at its sequence number. */
	tso_case(4, false, UINT16_MAX - 40, true, 60000);
	tso_case(4, false, BIG_PAYLOAD, true, 123456);
	tso_case(6, true, BIG_PAYLOAD, true, 70001);
}

/* An IPv6 fragment of protocol 47 carrying @p data, with identification @p id. */
static size_t
ip6_fragment(uint8_t *buf, size_t cap, uint32_t id, const uint8_t *data, uint16_t len)
{
	uint8_t payload[256];
	struct frame_spec fs = {
		.family = 6,
		.proto = IPPROTO_FRAGMENT,
		.payload = payload,
		.payload_len = (uint16_t)(8 + len),
	};

	memset(payload, 0, 8);
	payload[0] = IPPROTO_GRE;
	payload[3] = 1; /* offset 0, more fragments */
	payload[4] = (uint8_t)(id >> 24);
	payload[5] = (uint8_t)(id >> 16);
	payload[6] = (uint8_t)(id >> 8);
	payload[7] = (uint8_t)id;
	memcpy(payload + 8, data, len);
	return frame_build(&fs, buf, cap);
}

/* @p opts (a multiple of 4 bytes) inserted as IPv4 options of the frame in @p buf. */
static size_t
ip4_insert_options(uint8_t *buf, size_t len, uint32_t l3, const uint8_t *opts, size_t n)
{
	uint8_t *ip = buf + l3;
	uint16_t tot = (uint16_t)(ip[2] << 8 | ip[3]);

	memmove(ip + 20 + n, ip + 20, len - l3 - 20);
	memcpy(ip + 20, opts, n);
	ip[0] = (uint8_t)(0x40 | (20 + n) / 4);
	tot = (uint16_t)(tot + n);
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	return len + n;
}

static void
test_other_volatile_fields(void)
{
	/* Timestamp (68): pointer 13, 2 stamps; record route (7): 2 slots; NOP, EOL. */
	uint8_t ts[12] = { 68, 12, 13, 0, 0, 0, 0, 1, 0, 0, 0, 0 };
	uint8_t rr[12] = { 1, 7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t sec[12] = { 130, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t pbuf[512], sbuf[512], data[64];
	struct frame_spec fs = {
		.family = 4,
		.proto = IPPROTO_GRE,
		.payload = stream,
		.payload_len = 40,
	};
	struct rte_mbuf *v[MAX_OUT];
	size_t plen, slen;
	unsigned int n;

	ctx_start(0, 0);
	/* IPv6 fragment identification, like the IPv4 IP-ID. */
	memcpy(data, stream, sizeof(data));
	plen = ip6_fragment(pbuf, sizeof(pbuf), 0x11111111, data, sizeof(data));
	slen = ip6_fragment(sbuf, sizeof(sbuf), 0x22222222, data, sizeof(data));
	CU_ASSERT_FATAL(plen != 0 && plen == slen);
	feed_bytes(COLO_SIDE_PRIMARY, pbuf, plen);
	feed_bytes(COLO_SIDE_SECONDARY, sbuf, slen);
	CU_ASSERT_EQUAL(ckpts(), 0);
	CU_ASSERT_EQUAL(released(v), 1);
	free_all(v, 1);
	/* ... but the fragment offset and the data are compared. */
	sbuf[14 + 40 + 3] = 0;
	feed_bytes(COLO_SIDE_PRIMARY, pbuf, plen);
	feed_bytes(COLO_SIDE_SECONDARY, sbuf, slen);
	CU_ASSERT_EQUAL(ckpts(), 1);
	CU_ASSERT_EQUAL(last_request().offset, 14 + 40 + 3);
	colo_ctx_flush(ctx, now);
	free_all(v, released(v));
	sbuf[14 + 40 + 3] = 1;
	sbuf[14 + 40 + 8 + 5] ^= 1;
	feed_bytes(COLO_SIDE_PRIMARY, pbuf, plen);
	feed_bytes(COLO_SIDE_SECONDARY, sbuf, slen);
	CU_ASSERT_EQUAL(ckpts(), 2);
	CU_ASSERT_EQUAL(last_request().offset, 14 + 40 + 8 + 5);
	colo_ctx_flush(ctx, now);
	free_all(v, released(v));

	/* IPv4 timestamp and record route data: the sender's clock, routers. */
	plen = ip4_insert_options(pbuf, frame_build(&fs, pbuf, sizeof(pbuf)), 14, ts, 12);
	ts[7] = 99; /* another timestamp */
	slen = ip4_insert_options(sbuf, frame_build(&fs, sbuf, sizeof(sbuf)), 14, ts, 12);
	feed_bytes(COLO_SIDE_PRIMARY, pbuf, plen);
	feed_bytes(COLO_SIDE_SECONDARY, sbuf, slen);
	plen = ip4_insert_options(pbuf, frame_build(&fs, pbuf, sizeof(pbuf)), 14, rr, 12);
	rr[5] = 10; /* a recorded address */
	slen = ip4_insert_options(sbuf, frame_build(&fs, sbuf, sizeof(sbuf)), 14, rr, 12);
	feed_bytes(COLO_SIDE_PRIMARY, pbuf, plen);
	feed_bytes(COLO_SIDE_SECONDARY, sbuf, slen);
	CU_ASSERT_EQUAL(ckpts(), 2);
	n = released(v);
	CU_ASSERT_EQUAL(n, 2);
	free_all(v, n);
	/* Their type and length are compared; other options whole. */
	plen = ip4_insert_options(pbuf, frame_build(&fs, pbuf, sizeof(pbuf)), 14, ts, 12);
	ts[1] = 8;
	ts[8] = 1; /* NOP, NOP, NOP, NOP after the shorter option */
	ts[9] = 1;
	ts[10] = 1;
	ts[11] = 1;
	slen = ip4_insert_options(sbuf, frame_build(&fs, sbuf, sizeof(sbuf)), 14, ts, 12);
	feed_bytes(COLO_SIDE_PRIMARY, pbuf, plen);
	feed_bytes(COLO_SIDE_SECONDARY, sbuf, slen);
	CU_ASSERT_EQUAL(ckpts(), 3);
	CU_ASSERT_EQUAL(last_request().offset, 14 + 20 + 1);
	colo_ctx_flush(ctx, now);
	plen = ip4_insert_options(pbuf, frame_build(&fs, pbuf, sizeof(pbuf)), 14, sec, 12);
	sec[6] = 1;
	slen = ip4_insert_options(sbuf, frame_build(&fs, sbuf, sizeof(sbuf)), 14, sec, 12);
	feed_bytes(COLO_SIDE_PRIMARY, pbuf, plen);
	feed_bytes(COLO_SIDE_SECONDARY, sbuf, slen);
	CU_ASSERT_EQUAL(ckpts(), 4);
	CU_ASSERT_EQUAL(last_request().offset, 14 + 20 + 6);
	colo_ctx_flush(ctx, now);
	free_all(v, released(v));

	/* VLAN priority and DEI (PCP 5, DEI 1 against 0), in each of three tags. */
	fs.nb_vlan = 3;
	fs.vlan[0] = 10;
	fs.vlan[1] = 20;
	fs.vlan[2] = 30;
	plen = frame_build(&fs, pbuf, sizeof(pbuf));
	memcpy(sbuf, pbuf, plen);
	sbuf[14] |= 0xb0;
	sbuf[18] |= 0x10;
	sbuf[22] |= 0xe0;
	feed_bytes(COLO_SIDE_PRIMARY, pbuf, plen);
	feed_bytes(COLO_SIDE_SECONDARY, sbuf, plen);
	CU_ASSERT_EQUAL(ckpts(), 4);
	CU_ASSERT_EQUAL(released(v), 1);
	free_all(v, 1);
	/* A TPID that differs is a difference (the same IDs, another stack). */
	memcpy(sbuf, pbuf, plen);
	sbuf[16] = 0x91;
	sbuf[17] = 0x00;
	feed_bytes(COLO_SIDE_PRIMARY, pbuf, plen);
	feed_bytes(COLO_SIDE_SECONDARY, sbuf, plen);
	CU_ASSERT_EQUAL(ckpts(), 5);
	CU_ASSERT_EQUAL(last_request().offset, 16);
	ctx_stop();
}

static void
test_vlan_stacks(void)
{
	struct rte_mbuf *v[MAX_OUT];
	struct frame_spec fs = udp(20, stream);
	unsigned int n;

	ctx_start(0, 0);
	fs.nb_vlan = 4;
	fs.vlan[0] = 100;
	fs.vlan[1] = 5;
	fs.vlan[2] = 6;
	fs.vlan[3] = 7;
	fs.tpid[0] = 0x9100;
	fs.tpid[1] = 0x9200;
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	n = released(v);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(st.release[COLO_REL_MATCH], 1);
	free_all(v, n);
	/* A difference under three tags is found and reported at its offset. */
	fs.nb_vlan = 3;
	feed(COLO_SIDE_PRIMARY, &fs);
	stream[2] ^= 1;
	feed(COLO_SIDE_SECONDARY, &fs);
	stream[2] ^= 1;
	CU_ASSERT_EQUAL(ckpts(), 1);
	CU_ASSERT_EQUAL(last_request().reason, COLO_CKPT_MISMATCH_UDP);
	CU_ASSERT_EQUAL(last_request().offset, 14 + 12 + 20 + 8 + 2);
	CU_ASSERT_EQUAL(last_request().key.vlan[2], 6);
	colo_ctx_flush(ctx, now);
	free_all(v, released(v));
	/* Another third tag is another connection: the two never meet. */
	feed(COLO_SIDE_PRIMARY, &fs);
	fs.vlan[2] = 9;
	feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL(released(v), 0);
	now += prm.compare_timeout_ms;
	colo_ctx_scan(ctx, now);
	CU_ASSERT_EQUAL(ckpts(), 2);
	ctx_stop();
}

/* --- IPv6, VLAN, non-IP --- */

static void
test_ipv6_tcp_and_udp(void)
{
	struct rte_mbuf *v[MAX_OUT];
	struct frame_spec fs;
	unsigned int n;

	ctx_start(0, 0);
	fs = synack();
	fs.family = 6;
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	fs = tcp(ISN + 1, 300, stream);
	fs.family = 6;
	feed(COLO_SIDE_PRIMARY, &fs);
	fs.ttl = 3; /* hop limit */
	feed(COLO_SIDE_SECONDARY, &fs);
	fs = udp(100, stream);
	fs.family = 6;
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	n = released(v);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(ckpts(), 0);
	free_all(v, n);

	stream[0] ^= 1;
	fs = udp(100, stream);
	fs.family = 6;
	feed(COLO_SIDE_PRIMARY, &fs);
	stream[0] ^= 1;
	feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL(ckpts(), 1);
	CU_ASSERT_EQUAL(last_request().key.family, 6);
	CU_ASSERT_EQUAL(last_request().offset, 14 + 40 + 8);
	ctx_stop();
}

static void
test_vlan_tagged(void)
{
	struct rte_mbuf *v[MAX_OUT];
	struct frame_spec fs = udp(20, stream);
	unsigned int n;

	ctx_start(0, 0);
	fs.nb_vlan = 2;
	fs.vlan[0] = 100;
	fs.vlan[1] = 5;
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	n = released(v);
	CU_ASSERT_EQUAL(n, 1);
	free_all(v, n);
	/* Another VLAN is another connection: the two never meet. */
	fs.nb_vlan = 1;
	fs.vlan[0] = 7;
	feed(COLO_SIDE_PRIMARY, &fs);
	fs.vlan[0] = 8;
	feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL(released(v), 0);
	CU_ASSERT_EQUAL(colo_conn_count(colo_ctx_conns(ctx)), 3);
	CU_ASSERT_EQUAL(ckpts(), 0);
	now += prm.compare_timeout_ms;
	colo_ctx_scan(ctx, now);
	CU_ASSERT_EQUAL(ckpts(), 1);
	ctx_stop();
}

static void
test_arp_passthrough(void)
{
	struct rte_mbuf *p, *v[MAX_OUT];
	struct frame_spec fs = { .family = 0 };
	unsigned int n;

	ctx_start(0, 0);
	p = feed(COLO_SIDE_PRIMARY, &fs);
	n = released(v);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_PTR_EQUAL(v[0], p);
	CU_ASSERT_EQUAL(st.release[COLO_REL_NONIP], 1);
	free_all(v, n);
	feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL(released(v), 0);
	CU_ASSERT_EQUAL(st.discard[COLO_DISCARD_NONIP], 1);
	CU_ASSERT_EQUAL(ckpts(), 0);
	ctx_stop();
}

static void
test_nonip_compared_by_policy(void)
{
	struct rte_mbuf *v[MAX_OUT];
	struct frame_spec fs = { .family = 0 };

	colo_params_init(&prm);
	prm.tsc_hz = 1000;
	prm.compare_nonip = true;
	memset(&st, 0, sizeof(st));
	ctx = colo_ctx_create("test_ctx", &prm, out, &st, SOCKET_ID_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	feed(COLO_SIDE_PRIMARY, &fs);
	CU_ASSERT_EQUAL(released(v), 0);
	feed(COLO_SIDE_SECONDARY, &fs);
	free_all(v, released(v));
	CU_ASSERT_EQUAL(st.release[COLO_REL_MATCH], 1);
	fs.src_mac[5] = 9;
	feed(COLO_SIDE_PRIMARY, &fs);
	fs.src_mac[5] = 8;
	feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL(ckpts(), 1);
	CU_ASSERT_EQUAL(last_request().reason, COLO_CKPT_MISMATCH_NONIP);
	CU_ASSERT_EQUAL(last_request().offset, 11);
	ctx_stop();
}

static void
test_malformed_passthrough(void)
{
	static const uint8_t runt[10] = { 0 };
	struct rte_mbuf *m, *v[MAX_OUT];
	unsigned int n;

	ctx_start(0, 0);
	m = frame_mbuf(pool, runt, sizeof(runt));
	colo_pkt_classify(m, COLO_SIDE_PRIMARY, 0, now, &st);
	colo_compare_burst(ctx, &m, 1, now);
	n = released(v);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(st.release[COLO_REL_MALFORMED], 1);
	CU_ASSERT_EQUAL(st.parse_err[COLO_PARSE_ERR_RUNT], 1);
	free_all(v, n);
	m = frame_mbuf(pool, runt, sizeof(runt));
	colo_pkt_classify(m, COLO_SIDE_SECONDARY, 0, now, &st);
	colo_compare_burst(ctx, &m, 1, now);
	CU_ASSERT_EQUAL(st.discard[COLO_DISCARD_MALFORMED], 1);
	ctx_stop();
}

/* --- timeouts, limits, flush --- */

static void
test_primary_only_timeout(void)
{
	struct rte_mbuf *p, *v[MAX_OUT];
	struct frame_spec fs = udp(10, stream);
	unsigned int n;

	ctx_start(0, 0);
	p = feed(COLO_SIDE_PRIMARY, &fs);
	now += prm.compare_timeout_ms - 1;
	colo_ctx_scan(ctx, now);
	CU_ASSERT_EQUAL(ckpts(), 0);
	now += 1;
	colo_ctx_scan(ctx, now);
	CU_ASSERT_EQUAL(ckpts(), 1);
	CU_ASSERT_EQUAL(last_request().reason, COLO_CKPT_TIMEOUT_PRIMARY);
	CU_ASSERT_EQUAL(last_request().offset, -1);
	colo_ctx_flush(ctx, now);
	n = released(v);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_PTR_EQUAL(v[0], p);
	free_all(v, n);
	ctx_stop();
}

static void
test_secondary_only_timeout(void)
{
	struct rte_mbuf *v[MAX_OUT];
	struct frame_spec fs = udp(10, stream);

	ctx_start(0, 0);
	feed(COLO_SIDE_SECONDARY, &fs);
	now += prm.compare_timeout_ms;
	colo_ctx_scan(ctx, now);
	CU_ASSERT_EQUAL(ckpts(), 1);
	CU_ASSERT_EQUAL(last_request().reason, COLO_CKPT_TIMEOUT_SECONDARY);
	colo_ctx_flush(ctx, now);
	CU_ASSERT_EQUAL(released(v), 0);
	CU_ASSERT_EQUAL(st.discard[COLO_DISCARD_FLUSH], 1);
	ctx_stop();
}

static void
test_queue_cap(void)
{
	struct frame_spec fs = udp(10, stream);
	unsigned int i;

	ctx_start(4, 0);
	for (i = 0; i < 6; i++)
		feed(COLO_SIDE_PRIMARY, &fs);
	CU_ASSERT_EQUAL(colo_ctx_queued(ctx, COLO_SIDE_PRIMARY), 4);
	CU_ASSERT_EQUAL(st.drop[COLO_DROP_QUEUE_FULL], 2);
	CU_ASSERT_EQUAL(ckpts(), 1);
	CU_ASSERT_EQUAL(last_request().reason, COLO_CKPT_QUEUE_FULL);
	CU_ASSERT_EQUAL(st.ctr[COLO_CKPT_COALESCED], 1);
	fs.sport = 1;
	for (i = 0; i < 6; i++)
		feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL(st.discard[COLO_DISCARD_QUEUE_FULL], 2);
	ctx_stop();
}

static void
test_table_full_evicts_oldest(void)
{
	struct rte_mbuf *p[9], *v[MAX_OUT];
	struct frame_spec fs;
	unsigned int i, n;

	ctx_start(0, 8);
	for (i = 0; i < 9; i++) {
		fs = udp(10, stream);
		fs.sport = 1000 + i;
		now++;
		p[i] = feed(COLO_SIDE_PRIMARY, &fs);
	}
	/* Not wiped: 8 connections, the oldest went and its primary with it. */
	CU_ASSERT_EQUAL(colo_conn_count(colo_ctx_conns(ctx)), 8);
	CU_ASSERT_EQUAL(st.ctr[COLO_CONN_EVICTED], 1);
	n = released(v);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_PTR_EQUAL(v[0], p[0]);
	CU_ASSERT_EQUAL(st.release[COLO_REL_EVICT], 1);
	CU_ASSERT_EQUAL(colo_ctx_queued(ctx, COLO_SIDE_PRIMARY), 8);
	free_all(v, n);
	/* The survivors still compare. */
	fs = udp(10, stream);
	fs.sport = 1005;
	feed(COLO_SIDE_SECONDARY, &fs);
	n = released(v);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_PTR_EQUAL(v[0], p[5]);
	free_all(v, n);
	ctx_stop();
}

/* Two new connections in one burst while the table is full. */
static void
test_table_full_within_burst(void)
{
	struct rte_mbuf *b[16];
	struct frame_spec fs;
	unsigned int i;

	ctx_start(0, 8);
	for (i = 0; i < 16; i++) {
		fs = udp(10, stream);
		fs.sport = 2000 + i % 12;
		b[i] = classify(i % 2 ? COLO_SIDE_SECONDARY : COLO_SIDE_PRIMARY, &fs);
	}
	colo_compare_burst(ctx, b, 16, now);
	CU_ASSERT_EQUAL(colo_conn_count(colo_ctx_conns(ctx)), 8);
	CU_ASSERT_EQUAL(colo_ctx_queued(ctx, COLO_SIDE_PRIMARY) +
					colo_ctx_queued(ctx, COLO_SIDE_SECONDARY) +
					st.release[COLO_REL_EVICT] + st.discard[COLO_DISCARD_EVICT],
			16);
	ctx_stop();
}

static void
test_flush_and_epoch(void)
{
	uint8_t other[10];
	struct rte_mbuf *p[3], *stale_s, *stale_p, *v[MAX_OUT];
	struct frame_spec fs = udp(10, stream);
	unsigned int n;

	ctx_start(0, 0);
	memcpy(other, stream, sizeof(other));
	other[0] ^= 1;
	p[0] = feed(COLO_SIDE_PRIMARY, &fs);
	fs.payload = other;
	feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL(ckpts(), 1);
	CU_ASSERT_TRUE(colo_ckpt_outstanding(colo_ctx_ckpt(ctx)));
	/* While outstanding, further triggers coalesce. */
	fs.payload = stream;
	p[1] = feed(COLO_SIDE_PRIMARY, &fs);
	fs.sport = 9;
	p[2] = feed(COLO_SIDE_PRIMARY, &fs);
	now += prm.compare_timeout_ms;
	colo_ctx_scan(ctx, now);
	CU_ASSERT_EQUAL(ckpts(), 1);
	CU_ASSERT(st.ctr[COLO_CKPT_COALESCED] >= 2);
	/* Frames still on their way from RX when the checkpoint completes. */
	fs.sport = 5353;
	stale_s = classify(COLO_SIDE_SECONDARY, &fs);
	stale_p = classify(COLO_SIDE_PRIMARY, &fs);

	colo_ctx_flush(ctx, now);
	CU_ASSERT_EQUAL(colo_ckpt_epoch(colo_ctx_ckpt(ctx)), 1);
	CU_ASSERT_FALSE(colo_ckpt_outstanding(colo_ctx_ckpt(ctx)));
	CU_ASSERT_EQUAL(st.ctr[COLO_FLUSHES], 1);
	n = released(v);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(st.release[COLO_REL_FLUSH], 3);
	CU_ASSERT_EQUAL(st.discard[COLO_DISCARD_FLUSH], 1);
	CU_ASSERT_EQUAL(colo_ctx_queued(ctx, COLO_SIDE_PRIMARY), 0);
	/* Per connection, flushed primaries keep their order. */
	CU_ASSERT_TRUE(n == 3 && ((v[0] == p[0] && v[1] == p[1]) || (v[1] == p[0] && v[2] == p[1])));
	free_all(v, n);
	/* Stale frames cause no second checkpoint. */
	colo_compare_burst(ctx, &stale_s, 1, now);
	colo_compare_burst(ctx, &stale_p, 1, now);
	CU_ASSERT_EQUAL(st.discard[COLO_DISCARD_STALE], 1);
	CU_ASSERT_EQUAL(st.release[COLO_REL_STALE], 1);
	now += prm.compare_timeout_ms;
	colo_ctx_scan(ctx, now);
	CU_ASSERT_EQUAL(ckpts(), 1);
	CU_ASSERT_EQUAL(colo_ctx_queued(ctx, COLO_SIDE_SECONDARY), 0);
	n = released(v);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_PTR_EQUAL(v[0], stale_p);
	free_all(v, n);
	ctx_stop();
}

/* After a flush the TCP stream resumes where the primary left off. */
static void
test_tcp_flush_resumes_stream(void)
{
	uint8_t other[100];
	struct rte_mbuf *v[MAX_OUT];
	struct frame_spec fs;
	unsigned int n;

	ctx_start(0, 0);
	memcpy(other, stream, sizeof(other));
	other[0] ^= 1;
	fs = synack();
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	fs = tcp(ISN + 1, 100, stream);
	feed(COLO_SIDE_PRIMARY, &fs);
	fs = tcp(ISN + 101, 100, stream + 100);
	fs.ack = CLIENT_NXT + 50;
	feed(COLO_SIDE_PRIMARY, &fs);
	fs = tcp(ISN + 1, 100, other);
	feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL(ckpts(), 1);
	colo_ctx_flush(ctx, now);
	free_all(v, released(v));
	/* The secondary now continues from the primary's state. */
	fs = tcp(ISN + 201, 100, stream + 200);
	fs.ack = CLIENT_NXT + 50;
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	n = released(v);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(ckpts(), 1);
	free_all(v, n);
	ctx_stop();
}

/* The compare path allocates no memory and no mbuf. */
static void
test_compare_allocates_nothing(void)
{
	struct rte_malloc_socket_stats before, after;
	struct rte_mbuf *v[MAX_OUT];
	struct frame_spec fs;
	unsigned int i, in_use;
	int socket = rte_socket_id();

	ctx_start(0, 0);
	fs = synack();
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	free_all(v, released(v));
	rte_malloc_get_socket_stats(socket, &before);
	for (i = 0; i < 200; i++) {
		struct rte_mbuf *b[2];

		fs = tcp(ISN + 1 + i * 10, 10, stream + (i * 10) % 1000);
		b[0] = classify(COLO_SIDE_PRIMARY, &fs);
		b[1] = classify(COLO_SIDE_SECONDARY, &fs);
		in_use = rte_mempool_in_use_count(pool);
		colo_compare_burst(ctx, b, 2, now);
		/* Comparing never takes an mbuf; it frees the secondary. */
		CU_ASSERT_EQUAL(rte_mempool_in_use_count(pool), in_use - 1);
		free_all(v, released(v));
	}
	rte_malloc_get_socket_stats(socket, &after);
	CU_ASSERT_EQUAL(after.alloc_count, before.alloc_count);
	CU_ASSERT_EQUAL(after.heap_allocsz_bytes, before.heap_allocsz_bytes);
	CU_ASSERT_EQUAL(ckpts(), 0);
	ctx_stop();
}

int
main(void)
{
	static const struct unit_case cases[] = {
		{ "identical TCP stream is released in order", test_tcp_identical_stream },
		{ "one differing TCP byte requests a checkpoint at its offset",
				test_tcp_one_byte_differs },
		{ "different TCP segmentation on either side matches", test_tcp_segmentation },
		{ "a difference across segmentations is found at its sequence",
				test_tcp_segmentation_differs },
		{ "out-of-order TCP segments compare; primaries keep their order",
				test_tcp_out_of_order },
		{ "retransmission of verified TCP data passes", test_tcp_retransmission },
		{ "a queued retransmission keeps the primary's order",
				test_tcp_retransmission_keeps_order },
		{ "ACK lag holds the segment until the secondary catches up",
				test_tcp_ack_lag_held_then_released },
		{ "ACK lag past compare_timeout requests a checkpoint", test_tcp_ack_lag_timeout },
		{ "header-only differences request no checkpoint", test_tcp_header_only_diff },
		{ "SYN against data is a difference", test_tcp_syn_position_differs },
		{ "a connection picked up mid-stream compares", test_tcp_midstream },
		{ "sequence numbers wrap", test_tcp_seq_wrap },
		{ "FIN closes the connection after closing_timeout", test_tcp_fin_closes_connection },
		{ "idle connection expires", test_idle_connection_expires },
		{ "identical UDP is released", test_udp_identical },
		{ "UDP primaries before any secondary are released FIFO",
				test_udp_fifo_primaries_first },
		{ "one differing UDP datagram requests a checkpoint", test_udp_one_differs },
		{ "Ethernet padding is not compared", test_udp_padding_ignored },
		{ "ICMP and ICMPv6 identical and differing", test_icmp_identical_and_differing },
		{ "GRE with a different IP-ID requests no checkpoint", test_gre_ipid_differs },
		{ "a TSO/GSO frame compares as the byte stream it carries",
				test_tso_frames_compare_as_stream },
		{ "other protocols: fragment ID, IPv4 RR/TS data, VLAN PCP/DEI not compared",
				test_other_volatile_fields },
		{ "VLAN stacks of three and four tags compare per stack", test_vlan_stacks },
		{ "IPv6 TCP and UDP compare", test_ipv6_tcp_and_udp },
		{ "VLAN-tagged traffic compares per VLAN", test_vlan_tagged },
		{ "ARP passes from the primary, is dropped from the secondary",
				test_arp_passthrough },
		{ "non-IP frames are compared when configured", test_nonip_compared_by_policy },
		{ "malformed frames pass from the primary, are dropped from the secondary",
				test_malformed_passthrough },
		{ "primary-only packet times out into a checkpoint", test_primary_only_timeout },
		{ "secondary-only packet times out into a checkpoint",
				test_secondary_only_timeout },
		{ "queue cap drops and requests a checkpoint", test_queue_cap },
		{ "full table evicts the oldest connection, no wipe", test_table_full_evicts_oldest },
		{ "full table within one burst loses nothing", test_table_full_within_burst },
		{ "flush releases primaries, drops secondaries, bumps the epoch",
				test_flush_and_epoch },
		{ "after a flush the TCP stream resumes", test_tcp_flush_resumes_stream },
		{ "the compare path allocates nothing", test_compare_allocates_nothing },
	};
	unsigned int i;

	frames_eal_init("compare");
	pool = frames_pool("compare_pool", NB_MBUFS);
	out = rte_ring_create("compare_out", NB_MBUFS * 2, SOCKET_ID_ANY,
			RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (pool == NULL || out == NULL)
		return 1;
	for (i = 0; i < sizeof(stream); i++)
		stream[i] = (uint8_t)(i * 7 + 3);
	big_stream = malloc(BIG_PAYLOAD);
	if (big_stream == NULL)
		return 1;
	for (i = 0; i < BIG_PAYLOAD; i++)
		big_stream[i] = (uint8_t)(i * 13 + i / 251);

	return unit_run("compare", cases, RTE_DIM(cases));
}
