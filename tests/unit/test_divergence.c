/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit suite of lib/colo_divergence.c: the callback sees the pair of frames
 * the engine compared and the first differing byte in each (TCP by
 * sequence number across different segmentations, FIFO engines by header),
 * once per connection and epoch, with the request it belongs to; with a
 * history, the connection's earlier frames come along, and every frame the
 * history held is back in the pool when the context is freed.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_tcp.h>

#include "colo_compare.h"
#include "colo_divergence.h"
#include "frames.h"
#include "unit.h"

#define NB_MBUFS 1024
#define ISN 1000u
#define TCP_PAYLOAD_OFF (14 + 20 + 20)
#define UDP_PAYLOAD_OFF (14 + 20 + 8)

static struct rte_mempool *pool;
static struct rte_ring *out;
static struct colo_stats st;
static struct colo_ctx *ctx;
static uint8_t stream[1024];

/* What the callback saw. */
static struct colo_divergence seen;
static struct colo_key seen_key;
static char seen_text[2][160];
static unsigned int nb_seen;
static int cb_arg;

static void
on_divergence(const struct colo_divergence *d, void *arg)
{
	CU_ASSERT_PTR_EQUAL(arg, &cb_arg);
	seen = *d;
	seen_key = *d->key;
	colo_divergence_format(d, COLO_SIDE_PRIMARY, seen_text[0], sizeof(seen_text[0]));
	colo_divergence_format(d, COLO_SIDE_SECONDARY, seen_text[1], sizeof(seen_text[1]));
	nb_seen++;
}

static void
start(bool with_cb)
{
	struct colo_params prm;

	colo_params_init(&prm);
	prm.tsc_hz = 1000;
	memset(&st, 0, sizeof(st));
	memset(&seen, 0, sizeof(seen));
	nb_seen = 0;
	ctx = colo_ctx_create("div_ctx", &prm, out, &st, SOCKET_ID_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	if (with_cb)
		CU_ASSERT_EQUAL(colo_divergence_register(ctx, on_divergence, &cb_arg), 0);
}

static void
stop(void)
{
	struct rte_mbuf *m;

	colo_ctx_free(ctx);
	ctx = NULL;
	while (rte_ring_dequeue(out, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(pool), 0);
}

static struct rte_mbuf *
feed_at(enum colo_side side, const struct frame_spec *fs, uint64_t tsc)
{
	struct rte_mbuf *m = frame_make(pool, fs);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	colo_pkt_classify(m, side, colo_ckpt_epoch(colo_ctx_ckpt(ctx)), tsc, NULL);
	colo_compare_burst(ctx, &m, 1, tsc);
	return m;
}

static struct rte_mbuf *
feed(enum colo_side side, const struct frame_spec *fs)
{
	return feed_at(side, fs, 1);
}

/* What TX does with released primaries: free them (our reference). */
static void
transmit(void)
{
	struct rte_mbuf *m;

	while (rte_ring_dequeue(out, (void **)&m) == 0)
		rte_pktmbuf_free(m);
}

static struct frame_spec
tcp(uint32_t seq, uint16_t len, const uint8_t *payload)
{
	return (struct frame_spec){
		.family = 4,
		.proto = IPPROTO_TCP,
		.sport = 80,
		.dport = 40000,
		.seq = seq,
		.ack = 5000,
		.tcp_flags = RTE_TCP_ACK_FLAG,
		.payload = payload,
		.payload_len = len,
	};
}

static struct frame_spec
udp(uint16_t len, const uint8_t *payload)
{
	return (struct frame_spec){
		.family = 4,
		.proto = IPPROTO_UDP,
		.sport = 5353,
		.dport = 6000,
		.payload = payload,
		.payload_len = len,
	};
}

/* The primary sends 300 bytes in one segment, the secondary in 100 + 200
 * with stream byte 150 changed: its byte 50 of the second segment. */
static void
test_tcp_pair_across_segmentation(void)
{
	uint8_t other[300];
	struct rte_mbuf *p, *s2;
	struct frame_spec fs;

	start(true);
	memcpy(other, stream, sizeof(other));
	other[150] ^= 0x20;
	fs = tcp(ISN, 300, stream);
	p = feed(COLO_SIDE_PRIMARY, &fs);
	fs = tcp(ISN, 100, other);
	feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL(nb_seen, 0);
	fs = tcp(ISN + 100, 200, other + 100);
	s2 = feed(COLO_SIDE_SECONDARY, &fs);

	CU_ASSERT_EQUAL_FATAL(nb_seen, 1);
	CU_ASSERT_EQUAL(seen.reason, COLO_CKPT_MISMATCH_TCP);
	CU_ASSERT_EQUAL(seen.ckpt_id, 1);
	CU_ASSERT_EQUAL(seen.tcp_seq, ISN + 150);
	CU_ASSERT_PTR_EQUAL(seen.pkt[COLO_SIDE_PRIMARY], p);
	CU_ASSERT_PTR_EQUAL(seen.pkt[COLO_SIDE_SECONDARY], s2);
	CU_ASSERT_EQUAL(seen.offset[COLO_SIDE_PRIMARY], TCP_PAYLOAD_OFF + 150);
	CU_ASSERT_EQUAL(seen.offset[COLO_SIDE_SECONDARY], TCP_PAYLOAD_OFF + 50);
	CU_ASSERT_EQUAL(seen_key.proto, IPPROTO_TCP);
	CU_ASSERT_STRING_EQUAL(seen_text[0], "mismatch_tcp tcp 10.0.0.1:80 > 10.0.0.2:40000 "
					     "checkpoint 1 primary offset 204 tcp_seq 1150");
	CU_ASSERT_STRING_EQUAL(seen_text[1], "mismatch_tcp tcp 10.0.0.1:80 > 10.0.0.2:40000 "
					     "checkpoint 1 secondary offset 104 tcp_seq 1150");
	/* The request agrees with what the callback was told. */
	CU_ASSERT_EQUAL(colo_ckpt_nb_requests(colo_ctx_ckpt(ctx)), 1);
	stop();
}

/* Further packets re-trigger the same mismatch: reported once per epoch,
 * and again, with the next request's id, after the flush. */
static void
test_once_per_epoch(void)
{
	uint8_t other[100];
	struct frame_spec fs;

	start(true);
	memcpy(other, stream, sizeof(other));
	other[10] ^= 1;
	fs = tcp(ISN, 100, stream);
	feed(COLO_SIDE_PRIMARY, &fs);
	fs.payload = other;
	feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL(nb_seen, 1);
	fs = tcp(ISN + 100, 100, stream + 100);
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL(nb_seen, 1);
	CU_ASSERT_EQUAL(st.ctr[COLO_CKPT_COALESCED], 2);

	colo_ctx_flush(ctx, 2);
	fs = tcp(ISN + 200, 100, stream + 200);
	feed(COLO_SIDE_PRIMARY, &fs);
	memcpy(other, stream + 200, sizeof(other));
	other[99] ^= 1;
	fs.payload = other;
	feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL(nb_seen, 2);
	CU_ASSERT_EQUAL(seen.ckpt_id, 2);
	CU_ASSERT_EQUAL(seen.tcp_seq, ISN + 299);
	CU_ASSERT_EQUAL(seen.offset[COLO_SIDE_PRIMARY], TCP_PAYLOAD_OFF + 99);
	CU_ASSERT_EQUAL(seen.offset[COLO_SIDE_SECONDARY], TCP_PAYLOAD_OFF + 99);
	stop();
}

/* A SYN where the other side has data: the primary's flags byte against
 * the secondary's first data byte. */
static void
test_tcp_syn_against_data(void)
{
	struct frame_spec fs;

	start(true);
	fs = tcp(ISN, 0, NULL);
	fs.tcp_flags = RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG;
	feed(COLO_SIDE_PRIMARY, &fs);
	fs = tcp(ISN, 10, stream);
	feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL_FATAL(nb_seen, 1);
	CU_ASSERT_EQUAL(seen.tcp_seq, ISN);
	CU_ASSERT_EQUAL(seen.offset[COLO_SIDE_PRIMARY], 14 + 20 + 13);
	CU_ASSERT_EQUAL(seen.offset[COLO_SIDE_SECONDARY], TCP_PAYLOAD_OFF);
	stop();
}

/* FIFO engines: the queue heads; the offset is at the same L4 place. */
static void
test_udp_pair(void)
{
	uint8_t a[40], b[40];
	struct rte_mbuf *p2, *s2;
	struct frame_spec fs;

	start(true);
	memcpy(a, stream, sizeof(a));
	memcpy(b, stream, sizeof(b));
	b[33] = 0xee;
	fs = udp(40, a);
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	p2 = feed(COLO_SIDE_PRIMARY, &fs);
	fs.payload = b;
	s2 = feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL_FATAL(nb_seen, 1);
	CU_ASSERT_EQUAL(seen.reason, COLO_CKPT_MISMATCH_UDP);
	CU_ASSERT_PTR_EQUAL(seen.pkt[COLO_SIDE_PRIMARY], p2);
	CU_ASSERT_PTR_EQUAL(seen.pkt[COLO_SIDE_SECONDARY], s2);
	CU_ASSERT_EQUAL(seen.offset[COLO_SIDE_PRIMARY], UDP_PAYLOAD_OFF + 33);
	CU_ASSERT_EQUAL(seen.offset[COLO_SIDE_SECONDARY], UDP_PAYLOAD_OFF + 33);
	CU_ASSERT_STRING_EQUAL(seen_text[1], "mismatch_udp udp 10.0.0.1:5353 > 10.0.0.2:6000 "
					     "checkpoint 1 secondary offset 75");

	/* A shorter secondary: the UDP lengths differ in their low byte. */
	colo_ctx_flush(ctx, 2);
	fs = udp(40, a);
	p2 = feed(COLO_SIDE_PRIMARY, &fs);
	fs = udp(30, a);
	s2 = feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL_FATAL(nb_seen, 2);
	CU_ASSERT_PTR_EQUAL(seen.pkt[COLO_SIDE_PRIMARY], p2);
	CU_ASSERT_EQUAL(seen.offset[COLO_SIDE_PRIMARY], 14 + 20 + 5);
	CU_ASSERT_EQUAL(seen.offset[COLO_SIDE_SECONDARY], 14 + 20 + 5);
	stop();
}

static void
test_without_callback(void)
{
	uint8_t b[40];
	struct frame_spec fs;

	CU_ASSERT_EQUAL(colo_divergence_register(NULL, on_divergence, NULL), -EINVAL);
	start(false);
	memcpy(b, stream, sizeof(b));
	b[0] ^= 1;
	fs = udp(40, stream);
	feed(COLO_SIDE_PRIMARY, &fs);
	fs.payload = b;
	feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL(nb_seen, 0);
	CU_ASSERT_EQUAL(st.ctr[COLO_CKPT_REQUESTS], 1);
	/* Registered, then removed. */
	colo_ctx_flush(ctx, 2);
	CU_ASSERT_EQUAL(colo_divergence_register(ctx, on_divergence, &cb_arg), 0);
	CU_ASSERT_EQUAL(colo_divergence_register(ctx, NULL, NULL), 0);
	fs = udp(40, stream);
	feed(COLO_SIDE_PRIMARY, &fs);
	fs.payload = b;
	feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL(nb_seen, 0);
	stop();
}

/* Payload byte 0 of a UDP context frame, the tag the tests put there. */
static uint8_t
tag_of(const struct rte_mbuf *m)
{
	return *rte_pktmbuf_mtod_offset(m, const uint8_t *, UDP_PAYLOAD_OFF);
}

/* Three matched pairs on the connection and one on another, then a
 * mismatch: the last two of each side come along, oldest arrival first. */
static void
test_history_context(void)
{
	uint8_t pay[8][20];
	struct frame_spec fs, other;
	unsigned int i;

	start(true);
	CU_ASSERT_EQUAL(colo_divergence_history(ctx, 16, 2), 0);
	for (i = 0; i < 8; i++)
		memset(pay[i], 'A' + i, sizeof(pay[i]));
	for (i = 0; i < 3; i++) {
		fs = udp(20, pay[i]);
		feed_at(COLO_SIDE_PRIMARY, &fs, 10 * i + 1);
		feed_at(COLO_SIDE_SECONDARY, &fs, 10 * i + 2);
	}
	other = udp(20, pay[7]);
	other.sport = 1;
	feed_at(COLO_SIDE_PRIMARY, &other, 40);
	feed_at(COLO_SIDE_SECONDARY, &other, 41);
	transmit();
	fs = udp(20, pay[3]);
	feed_at(COLO_SIDE_PRIMARY, &fs, 50);
	fs = udp(20, pay[4]);
	feed_at(COLO_SIDE_SECONDARY, &fs, 51);

	CU_ASSERT_EQUAL_FATAL(nb_seen, 1);
	CU_ASSERT_EQUAL_FATAL(seen.nb_context, 4);
	/* Pairs 1 and 2 (tags B, C): P at 11, S at 12, P at 21, S at 22. */
	CU_ASSERT_EQUAL(tag_of(seen.context[0]), 'B');
	CU_ASSERT_EQUAL(colo_pkt_meta(seen.context[0])->side, COLO_SIDE_PRIMARY);
	CU_ASSERT_EQUAL(tag_of(seen.context[1]), 'B');
	CU_ASSERT_EQUAL(colo_pkt_meta(seen.context[1])->side, COLO_SIDE_SECONDARY);
	CU_ASSERT_EQUAL(tag_of(seen.context[2]), 'C');
	CU_ASSERT_EQUAL(colo_pkt_meta(seen.context[2])->side, COLO_SIDE_PRIMARY);
	CU_ASSERT_EQUAL(tag_of(seen.context[3]), 'C');
	CU_ASSERT_EQUAL(colo_pkt_meta(seen.context[3])->side, COLO_SIDE_SECONDARY);
	stop();
}

/* A TCP segment queued ahead of the differing one is context too. */
static void
test_history_queued_ahead(void)
{
	uint8_t other[200];
	struct rte_mbuf *p1, *s1;
	struct frame_spec fs;

	start(true);
	CU_ASSERT_EQUAL(colo_divergence_history(ctx, 16, 4), 0);
	memcpy(other, stream, sizeof(other));
	other[150] ^= 1;
	/* The secondary's first segment arrives with an ACK the primary's
	 * data has not reached: the primary's first 100 bytes match and leave;
	 * the next 100 differ. */
	fs = tcp(ISN, 100, stream);
	p1 = feed_at(COLO_SIDE_PRIMARY, &fs, 1);
	fs = tcp(ISN + 100, 100, stream + 100);
	feed_at(COLO_SIDE_PRIMARY, &fs, 2);
	fs = tcp(ISN, 100, other);
	s1 = feed_at(COLO_SIDE_SECONDARY, &fs, 3);
	fs = tcp(ISN + 100, 100, other + 100);
	feed_at(COLO_SIDE_SECONDARY, &fs, 4);
	CU_ASSERT_EQUAL_FATAL(nb_seen, 1);
	CU_ASSERT_EQUAL(seen.tcp_seq, ISN + 150);
	CU_ASSERT_EQUAL_FATAL(seen.nb_context, 2);
	CU_ASSERT_PTR_EQUAL(seen.context[0], p1);
	CU_ASSERT_PTR_EQUAL(seen.context[1], s1);
	stop();
}

/* The history holds at most its size in frames, and gives them back. */
static void
test_history_bounded(void)
{
	struct frame_spec fs;
	unsigned int i;

	start(true);
	CU_ASSERT_EQUAL(colo_divergence_history(NULL, 8, 2), -EINVAL);
	CU_ASSERT_EQUAL(colo_divergence_history(ctx, 8, 0), -EINVAL);
	CU_ASSERT_EQUAL(colo_divergence_history(ctx, 8, COLO_DIVERGENCE_MAX_CONTEXT), -EINVAL);
	CU_ASSERT_EQUAL(colo_divergence_history(ctx, 5, 2), 0); /* 8 slots */
	fs = udp(40, stream);
	for (i = 0; i < 50; i++) {
		feed(COLO_SIDE_PRIMARY, &fs);
		feed(COLO_SIDE_SECONDARY, &fs);
	}
	transmit();
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(pool), 8);
	CU_ASSERT_EQUAL(st.release[COLO_REL_MATCH], 50);
	CU_ASSERT_EQUAL(st.discard[COLO_DISCARD_MATCH], 50);
	/* Removing the history gives them back at once. */
	CU_ASSERT_EQUAL(colo_divergence_history(ctx, 0, 0), 0);
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(pool), 0);
	CU_ASSERT_EQUAL(colo_divergence_history(ctx, 8, 2), 0);
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	/* stop() frees the context while the history holds frames. */
	stop();
}

/* Without a history, reports carry no context. */
static void
test_no_history_no_context(void)
{
	uint8_t b[40];
	struct frame_spec fs;

	start(true);
	memcpy(b, stream, sizeof(b));
	b[3] ^= 1;
	fs = udp(40, stream);
	feed(COLO_SIDE_PRIMARY, &fs);
	feed(COLO_SIDE_SECONDARY, &fs);
	feed(COLO_SIDE_PRIMARY, &fs);
	fs.payload = b;
	feed(COLO_SIDE_SECONDARY, &fs);
	CU_ASSERT_EQUAL_FATAL(nb_seen, 1);
	CU_ASSERT_EQUAL(seen.nb_context, 0);
	stop();
}

static const struct unit_case cases[] = {
	{ "the TCP pair is found across different segmentations",
			test_tcp_pair_across_segmentation },
	{ "a mismatch is reported once per connection and epoch", test_once_per_epoch },
	{ "a SYN against data points at the flags and the data byte", test_tcp_syn_against_data },
	{ "FIFO engines report the queue heads at the same L4 place", test_udp_pair },
	{ "no callback, no report", test_without_callback },
	{ "the history gives the last frames of each side, oldest first", test_history_context },
	{ "a TCP segment queued ahead of the differing one is context", test_history_queued_ahead },
	{ "the history holds at most its size and gives every frame back", test_history_bounded },
	{ "without a history a report carries no context", test_no_history_no_context },
};

int
main(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(stream); i++)
		stream[i] = (uint8_t)('a' + i % 26);
	frames_eal_init("divergence");
	pool = frames_pool("div_pool", NB_MBUFS);
	out = rte_ring_create(
			"div_out", NB_MBUFS * 2, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (pool == NULL || out == NULL)
		return 1;
	return unit_run("divergence", cases, RTE_DIM(cases));
}
