/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * State-machine harness of the compare engine (lib/colo_compare*.c,
 * colo_conn.c, colo_ckpt.c). The input is a header (queue and table caps,
 * timeouts, burst size) and then a program of operations: frames for either
 * side (from templates with fuzzed fields, or raw bytes, or a replay of an
 * earlier frame), bursts, scans with time advancing, checkpoint-done
 * flushes and drains. The table and queues are tiny, so eviction and queue
 * caps are hit all the time.
 *
 * After every operation the conservation invariant must hold:
 *   primaries in   = released (out ring) + sum(drop[]) + queued(PRIMARY)
 *   secondaries in = sum(discard[]) + queued(SECONDARY)
 * the queued gauges must equal what the busy connections really hold, and the
 * mempool must hold exactly those mbufs. Only live primaries leave on the
 * ring, FIFO connections release in arrival order, a timeout checkpoint
 * needs a frame that waited compare_timeout, a divergence report names two
 * queued frames, and while both sides sent the same frames no mismatch may
 * be reported. At the end everything is drained or freed and the pool must
 * be full again: every mbuf freed exactly once.
 *
 * Input: 4 header bytes (max_queue and divergence history, max_conns,
 * timeouts and flags, burst size), then operations, each an opcode byte (enum op, modulo OP_MAX;
 * the quotient is the time step of OP_SCAN/OP_ADVANCE) and its arguments as read below.
 * tests/fuzz/make_seeds.py writes programs in this format.
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>
#include <rte_tcp.h>

#include "colo_compare.h"
#include "colo_conn.h"
#include "colo_divergence.h"
#include "colo_pkt.h"
#include "frames.h"
#include "fuzz_common.h"

#define POOL_SIZE 8192 /* segments: up to 16 x 16 x 2 frames queued, 4 segments each */
#define RING_SIZE 8192
#define MAX_PENDING 80 /* above RTE_HASH_LOOKUP_BULK_MAX: bursts are split */
#define HIST 8
#define FRAME_CAP 9216
#define MAX_CUTS 3

/* TCP streams start just below 2^32 so that sequence numbers wrap. */
#define ISN 0xfffff000u
#define ACK_BASE 7000u

/* mbuf->hash.usr of a frame the harness made, by owner. */
#define TAG_PRIMARY 0xc0100001u
#define TAG_SECONDARY 0xc0100002u
#define TAG_DONE 0xdeadbeefu

/* Arrival number of a frame, in a dynamic mbuf field; the top bit marks a
 * frame classified in the previous epoch (released at once, out of turn). */
#define SERIAL_STALE (1ull << 63)
#define MAX_KEYS 256

enum op {
	OP_FRAME,
	OP_STREAM,
	OP_PAIR,
	OP_RAW,
	OP_REPLAY,
	OP_SUBMIT,
	OP_SCAN,
	OP_FLUSH,
	OP_DRAIN,
	OP_ADVANCE,
	OP_RX_CLOCK,
	OP_MAX,
};

static const uint64_t advance_ms[] = { 0, 1, 10, 100, 1000, 3000, 5000, 130000 };
static const uint32_t timeout_ms[] = { 1, 10, 100, 3000 };
static const uint32_t idle_ms[] = { 1, 100, 5000, 120000 };
static const uint32_t history_frames[] = { 0, 4, 16, 64 };
static const uint32_t history_context[] = { 1, 2, 8, 16 };

static struct rte_mempool *pool;
static struct rte_ring *out;
static int serial_off;

/* State of one input. */
static struct fuzz_state {
	struct colo_ctx *ctx;
	struct colo_stats st;
	struct colo_params prm;
	uint64_t now;
	uint64_t rx_ahead; /* RX stamps frames this far after the compare lcore's now */
	uint64_t nb_flush;
	uint64_t primary_in, secondary_in, released;
	uint64_t nb_divergence;
	bool clean;	     /* every frame so far came in an identical pair */
	uint32_t hist_slots; /* frames the divergence history may pin */
	struct rte_mbuf *pending[MAX_PENDING];
	unsigned int nb_pending, burst;
	uint8_t hist[HIST][FRAME_CAP];
	uint16_t hist_len[HIST];
	unsigned int hist_next;
	uint64_t serial;
	struct colo_key keys[MAX_KEYS]; /* last released arrival number per FIFO connection */
	uint64_t last[MAX_KEYS];
	unsigned int nb_keys;
} S;

static inline uint64_t *
serial_of(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, serial_off, uint64_t *);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct rte_mbuf_dynfield serial_desc = {
		.name = "fuzz_compare_serial",
		.size = sizeof(uint64_t),
		.align = __alignof__(uint64_t),
	};

	(void)argc;
	(void)argv;
	fuzz_eal_init("compare");
	pool = fuzz_pool("fuzz_compare", POOL_SIZE);
	serial_off = rte_mbuf_dynfield_register(&serial_desc);
	if (serial_off < 0)
		abort();
	out = rte_ring_create("fuzz_out", RING_SIZE, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (out == NULL)
		abort();
	return 0;
}

static FUZZ_NO_COVERAGE uint64_t
sum(const uint64_t *v, unsigned int n)
{
	uint64_t s = 0;

	while (n-- != 0)
		s += v[n];
	return s;
}

/*
 * FIFO engines (everything but TCP) release a connection's primaries in
 * arrival order, whatever ends their wait: a match, a flush, an eviction.
 */
static FUZZ_NO_COVERAGE void
check_order(struct rte_mbuf *m)
{
	const struct colo_pkt_meta *pm = colo_pkt_meta(m);
	uint64_t serial = *serial_of(m);
	unsigned int i;

	if ((serial & SERIAL_STALE) || pm->class == COLO_CLASS_MALFORMED ||
			(pm->key.family != 0 && pm->key.proto == IPPROTO_TCP))
		return;
	for (i = 0; i < S.nb_keys; i++)
		if (memcmp(&S.keys[i], &pm->key, sizeof(pm->key)) == 0)
			break;
	if (i == S.nb_keys) {
		if (S.nb_keys == MAX_KEYS)
			return;
		S.keys[S.nb_keys++] = pm->key;
	} else {
		FUZZ_CHECK(serial > S.last[i]);
	}
	S.last[i] = serial;
}

/* Take every released frame off the out ring: each must be a live primary. */
static FUZZ_NO_COVERAGE void
collect(void)
{
	struct rte_mbuf *v[64];
	unsigned int n, i;

	while ((n = rte_ring_dequeue_burst(out, (void **)v, RTE_DIM(v), NULL)) != 0) {
		for (i = 0; i < n; i++) {
			FUZZ_CHECK(v[i]->hash.usr == TAG_PRIMARY);
			FUZZ_CHECK(colo_pkt_meta(v[i])->side == COLO_SIDE_PRIMARY);
			check_order(v[i]);
			v[i]->hash.usr = TAG_DONE;
			rte_pktmbuf_free(v[i]);
		}
		S.released += n;
	}
}

/* Walk queue @p q of side @p side; return its mbuf segments. */
static FUZZ_NO_COVERAGE uint64_t
check_queue(const struct colo_pktq *q, enum colo_side side)
{
	const struct rte_mbuf *m, *last = NULL;
	uint64_t segs = 0;
	uint32_t nb = 0;

	for (m = q->head; m != NULL && nb <= POOL_SIZE; m = colo_pkt_meta(m)->next) {
		FUZZ_CHECK(m->hash.usr ==
				(side == COLO_SIDE_PRIMARY ? TAG_PRIMARY : TAG_SECONDARY));
		FUZZ_CHECK(colo_pkt_meta(m)->side == side);
		segs += m->nb_segs;
		last = m;
		nb++;
	}
	FUZZ_CHECK(nb == q->nb);
	FUZZ_CHECK(last == q->tail);
	return segs;
}

/* Everything that must hold between two operations. */
static FUZZ_NO_COVERAGE void
check_invariants(void)
{
	struct colo_conn_table *t = colo_ctx_conns(S.ctx);
	uint64_t queued[2] = { 0, 0 }, segs = 0;
	uint32_t cap = colo_conn_capacity(t), idx, nb_busy = 0, i;
	struct colo_ckpt *ck = colo_ctx_ckpt(S.ctx);
	const struct colo_stats *st = &S.st;

	collect();
	/* Conservation (docs/semantics.md D1). */
	FUZZ_CHECK(S.primary_in == S.released + sum(st->drop, COLO_DROP_MAX) +
						   colo_ctx_queued(S.ctx, COLO_SIDE_PRIMARY));
	FUZZ_CHECK(S.secondary_in == sum(st->discard, COLO_DISCARD_MAX) +
						     colo_ctx_queued(S.ctx, COLO_SIDE_SECONDARY));
	FUZZ_CHECK(sum(st->release, COLO_REL_MAX) == S.released + st->drop[COLO_DROP_OUT_FULL]);
	FUZZ_CHECK(st->drop[COLO_DROP_OUT_FULL] == 0 && st->drop[COLO_DROP_TX_FAILED] == 0);

	/* The gauges are what the busy connections hold; an idle connection
	 * holds nothing (or its packets would never time out or flush). */
	for (idx = colo_conn_busy_first(t); idx != COLO_CONN_NONE;
			idx = colo_conn_at(t, idx)->busy.next) {
		const struct colo_conn *c;

		FUZZ_CHECK(idx < cap && nb_busy++ < cap);
		c = colo_conn_at(t, idx);
		FUZZ_CHECK((c->flags & (COLO_CONN_F_USED | COLO_CONN_F_BUSY)) ==
				(COLO_CONN_F_USED | COLO_CONN_F_BUSY));
		segs += check_queue(&c->q[COLO_SIDE_PRIMARY], COLO_SIDE_PRIMARY);
		segs += check_queue(&c->q[COLO_SIDE_SECONDARY], COLO_SIDE_SECONDARY);
		queued[0] += c->q[COLO_SIDE_PRIMARY].nb;
		queued[1] += c->q[COLO_SIDE_SECONDARY].nb;
	}
	FUZZ_CHECK(queued[0] == colo_ctx_queued(S.ctx, COLO_SIDE_PRIMARY));
	FUZZ_CHECK(queued[1] == colo_ctx_queued(S.ctx, COLO_SIDE_SECONDARY));
	for (i = 0; i < cap; i++) {
		const struct colo_conn *c = colo_conn_at(t, i);

		/* Busy exactly when something is queued: a busy connection is
		 * never aged out, an idle one is never scanned for timeouts. */
		FUZZ_CHECK(!!(c->flags & COLO_CONN_F_BUSY) == (c->q[0].nb + c->q[1].nb != 0));
		if (c->flags & COLO_CONN_F_BUSY)
			FUZZ_CHECK(c->flags & COLO_CONN_F_USED);
	}
	for (i = 0; i < S.nb_pending; i++)
		segs += S.pending[i]->nb_segs;
	/* The divergence history pins up to hist_slots earlier frames. */
	FUZZ_CHECK(rte_mempool_in_use_count(pool) >= segs);
	FUZZ_CHECK(rte_mempool_in_use_count(pool) <= segs + (MAX_CUTS + 1) * S.hist_slots);

	/* Connection and checkpoint bookkeeping. */
	FUZZ_CHECK(colo_conn_count(t) <= cap);
	FUZZ_CHECK(st->ctr[COLO_CONN_CREATED] - st->ctr[COLO_CONN_CLOSED] -
					st->ctr[COLO_CONN_EXPIRED] - st->ctr[COLO_CONN_EVICTED] ==
			colo_conn_count(t));
	FUZZ_CHECK(st->ctr[COLO_CKPT_REQUESTS] == colo_ckpt_nb_requests(ck));
	FUZZ_CHECK(st->ctr[COLO_CKPT_REQUESTS] + st->ctr[COLO_CKPT_COALESCED] ==
			sum(st->trigger, COLO_CKPT_REASON_MAX));
	FUZZ_CHECK(st->ctr[COLO_FLUSHES] == S.nb_flush);

	/* No false positives: when both VMs sent the same frames (up to
	 * volatile header fields, ACK lag, TCP segmentation and arrival
	 * order) and nothing was lost to a cap, nothing may differ. */
	if (st->drop[COLO_DROP_QUEUE_FULL] + st->discard[COLO_DISCARD_QUEUE_FULL] +
					st->ctr[COLO_CONN_EVICTED] !=
			0)
		S.clean = false;
	if (S.clean)
		FUZZ_CHECK(st->trigger[COLO_CKPT_MISMATCH_TCP] +
						st->trigger[COLO_CKPT_MISMATCH_UDP] +
						st->trigger[COLO_CKPT_MISMATCH_ICMP] +
						st->trigger[COLO_CKPT_MISMATCH_OTHER] +
						st->trigger[COLO_CKPT_MISMATCH_NONIP] ==
				0);
	FUZZ_CHECK(colo_ckpt_epoch(ck) == (uint32_t)S.nb_flush);
}

/* A divergence report names two queued frames of the right sides, and a
 * first differing byte inside each (or just past the shorter one). */
static FUZZ_NO_COVERAGE void
on_divergence(const struct colo_divergence *d, void *arg)
{
	char text[256];
	unsigned int side, i;
	uint8_t byte;

	(void)arg;
	FUZZ_CHECK(d->key != NULL);
	FUZZ_CHECK(d->reason >= COLO_CKPT_MISMATCH_TCP && d->reason <= COLO_CKPT_MISMATCH_NONIP);
	FUZZ_CHECK(d->ckpt_id >= 1 &&
			d->ckpt_id <= colo_ckpt_nb_requests(colo_ctx_ckpt(S.ctx)) + 1);
	for (side = 0; side < 2; side++) {
		const struct rte_mbuf *m = d->pkt[side];

		FUZZ_CHECK(m != NULL);
		FUZZ_CHECK(m->hash.usr ==
				(side == COLO_SIDE_PRIMARY ? TAG_PRIMARY : TAG_SECONDARY));
		FUZZ_CHECK(colo_pkt_meta(m)->side == side);
		FUZZ_CHECK(d->offset[side] >= 0 && (uint32_t)d->offset[side] <= m->pkt_len);
		if ((uint32_t)d->offset[side] < m->pkt_len)
			FUZZ_CHECK(rte_pktmbuf_read(m, d->offset[side], 1, &byte) != NULL);
		FUZZ_CHECK(colo_divergence_format(d, side, text, sizeof(text)) > 0);
	}
	/* Context frames are earlier frames of the same connection, still
	 * alive: reading their bytes after their mbuf went back to the pool
	 * would read freed memory, which ASan reports. */
	FUZZ_CHECK(d->nb_context <= (S.hist_slots != 0 ? COLO_DIVERGENCE_MAX_CONTEXT : 0));
	for (i = 0; i < d->nb_context; i++) {
		const struct rte_mbuf *m = d->context[i];

		FUZZ_CHECK(m != NULL && m != d->pkt[0] && m != d->pkt[1]);
		FUZZ_CHECK(m->hash.usr == TAG_PRIMARY || m->hash.usr == TAG_SECONDARY ||
				m->hash.usr == TAG_DONE);
		FUZZ_CHECK(rte_mbuf_refcnt_read(m) >= 1);
		FUZZ_CHECK(memcmp(&colo_pkt_meta(m)->key, d->key, sizeof(*d->key)) == 0);
		if (m->pkt_len != 0) {
			FUZZ_CHECK(rte_pktmbuf_read(m, 0, 1, &byte) != NULL);
			FUZZ_CHECK(rte_pktmbuf_read(m, m->pkt_len - 1, 1, &byte) != NULL);
		}
	}
	S.nb_divergence++;
}

static void
submit(void)
{
	unsigned int i;

	if (S.nb_pending == 0)
		return;
	for (i = 0; i < S.nb_pending; i++) {
		if (S.pending[i]->hash.usr == TAG_PRIMARY)
			S.primary_in++;
		else
			S.secondary_in++;
	}
	FUZZ_CHECK(colo_compare_burst(S.ctx, S.pending, (uint16_t)S.nb_pending, S.now) ==
			S.nb_pending);
	S.nb_pending = 0;
}

/*
 * Make an mbuf chain of @p f, cut where @p seg and the input say, classify
 * it for @p side (in the previous epoch when @p stale) and queue it for the
 * next burst. The pool running dry only skips the frame.
 */
static void
emit(struct fuzz_in *in, const uint8_t *f, size_t len, enum colo_side side, bool stale, uint8_t seg)
{
	uint32_t cuts[MAX_CUTS], epoch;
	unsigned int nb_cuts = seg & 3, i, j;
	struct rte_mbuf *m;

	if (len > UINT16_MAX)
		return;
	for (i = 0; i < nb_cuts; i++) {
		uint32_t c = fuzz_u8(in);

		/* Small values cut inside the headers; the rest spread. */
		cuts[i] = c <= len ? c : (uint32_t)(len * (c & 0x7f) / 127);
		for (j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
			uint32_t x = cuts[j];

			cuts[j] = cuts[j - 1];
			cuts[j - 1] = x;
		}
	}
	m = fuzz_chain(pool, f, len, cuts, nb_cuts, 0);
	if (m == NULL) {
		S.clean = false; /* its twin on the other side goes alone */
		return;
	}
	m->hash.usr = side == COLO_SIDE_PRIMARY ? TAG_PRIMARY : TAG_SECONDARY;
	*serial_of(m) = ++S.serial | (stale ? SERIAL_STALE : 0);
	epoch = colo_ckpt_epoch(colo_ctx_ckpt(S.ctx)) - (stale ? 1 : 0);
	colo_pkt_classify(m, side, epoch, S.now + S.rx_ahead, &S.st);
	S.pending[S.nb_pending++] = m;

	/* Remember it for OP_REPLAY. */
	memcpy(S.hist[S.hist_next], f, len < FRAME_CAP ? len : FRAME_CAP);
	S.hist_len[S.hist_next] = (uint16_t)(len < FRAME_CAP ? len : FRAME_CAP);
	S.hist_next = (S.hist_next + 1) % HIST;

	if (S.nb_pending >= S.burst)
		submit();
}

/* TCP payload byte at sequence number @p x of stream @p flow: both VMs send
 * the same bytes at the same place, whatever the segmentation. */
static inline uint8_t
stream_byte(uint32_t x, unsigned int flow)
{
	return (uint8_t)(x * 131u + flow * 17u);
}

struct tmpl {
	struct frame_spec fs;
	uint8_t payload[FRAME_CAP];
	unsigned int flow;
};

/* Fill @p t from the input: one of TCP/UDP/ICMP/GRE/ARP over IPv4, IPv6 and
 * VLAN tags, with fuzzed header fields, length and payload. */
static void
tmpl_read(struct fuzz_in *in, struct tmpl *t, uint8_t sel)
{
	struct frame_spec *fs = &t->fs;
	unsigned int type = sel & 7, i;
	uint16_t seqsel;
	uint8_t lsel, content;

	memset(fs, 0, sizeof(*fs));
	t->flow = (sel >> 3) & 3;
	fs->family = 4;
	switch (type) {
	case 0:
	case 7:
		fs->proto = IPPROTO_TCP;
		if (type == 7) {
			fs->nb_vlan = 1 + (t->flow & 1);
			fs->vlan[0] = 10;
			fs->vlan[1] = 20;
		}
		break;
	case 1:
		fs->proto = IPPROTO_UDP;
		break;
	case 2:
		fs->proto = IPPROTO_ICMP;
		break;
	case 3:
		fs->proto = IPPROTO_GRE;
		break;
	case 4:
		fs->family = 0;
		break;
	case 5:
		fs->family = 6;
		fs->proto = IPPROTO_TCP;
		break;
	default:
		fs->family = 6;
		fs->proto = (t->flow & 1) ? IPPROTO_ICMPV6 : IPPROTO_UDP;
		break;
	}
	fs->sport = (uint16_t)(1000 + t->flow);
	fs->dport = 80;
	fs->icmp_type = 8;
	fs->icmp_id = (uint16_t)t->flow;
	if (type == 2 || type == 3 || type == 4)
		fs->src = t->flow & 1 ? "10.0.0.3" : NULL;

	lsel = fuzz_u8(in);
	if (lsel < 192)
		fs->payload_len = lsel % 64;
	else if (lsel < 255)
		fs->payload_len = (uint16_t)((lsel - 191) * 24);
	else
		fs->payload_len = 9000 - 100;
	if (fs->family == 0)
		fs->payload_len = 0;

	if (fs->proto == IPPROTO_TCP) {
		seqsel = fuzz_u16(in);
		fs->seq = (seqsel & 0xc000) == 0xc000 ? fuzz_u32(in) : ISN + (seqsel & 0x0fff);
		fs->ack = ACK_BASE + fuzz_u8(in);
		fs->tcp_flags = fuzz_u8(in);
		if (fs->tcp_flags == 0)
			fs->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
		for (i = 0; i < fs->payload_len; i++)
			t->payload[i] = stream_byte(
					fs->seq + !!(fs->tcp_flags & RTE_TCP_SYN_FLAG) + i,
					t->flow);
	} else {
		content = fuzz_u8(in);
		fs->icmp_seq = content;
		for (i = 0; i < fs->payload_len; i++)
			t->payload[i] = (uint8_t)(content + i * 7);
	}
	fs->payload = t->payload;
}

static void
tmpl_emit(struct fuzz_in *in, const struct tmpl *t, enum colo_side side, bool stale, uint8_t seg)
{
	static uint8_t buf[FRAME_CAP];
	size_t len = frame_build(&t->fs, buf, sizeof(buf));

	if (len != 0)
		emit(in, buf, len, side, stale, seg);
	else
		S.clean = false;
}

/* A SYN or FIN where a TCP stream of this harness has data is a stream no
 * stack sends; the engine may then compare against a different segment. */
static bool
tmpl_odd_tcp(const struct tmpl *t)
{
	return t->fs.proto == IPPROTO_TCP &&
	       (t->fs.tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG)) != 0;
}

/* One frame for one side from a template. */
static void
op_frame(struct fuzz_in *in)
{
	static struct tmpl t;
	uint8_t sel = fuzz_u8(in), seg = fuzz_u8(in);

	tmpl_read(in, &t, sel);
	S.clean = false;
	tmpl_emit(in, &t, (sel & 0x20) ? COLO_SIDE_SECONDARY : COLO_SIDE_PRIMARY, sel & 0x40, seg);
}

/* The same frame for both sides, with the differences the input asks for:
 * a flipped payload byte, volatile header fields, an ACK lag, another TCP
 * segmentation, the secondary first. */
static void
op_pair(struct fuzz_in *in)
{
	static struct tmpl t, u;
	uint8_t sel = fuzz_u8(in), mut = fuzz_u8(in), seg = fuzz_u8(in), at = fuzz_u8(in);
	bool sec_first = mut & 0x08;
	uint16_t half;

	tmpl_read(in, &t, sel);
	u = t;
	u.fs.payload = u.payload;
	if ((mut & 0x01) && u.fs.payload_len != 0) {
		u.payload[at % u.fs.payload_len] ^= (uint8_t)(1u << (at & 7)) | 1u;
		S.clean = false;
	}
	if (tmpl_odd_tcp(&t))
		S.clean = false;
	if (mut & 0x02) {
		u.fs.ttl = 63;
		u.fs.ip_id = 0x4242;
		u.fs.window = 1000;
	}
	if (mut & 0x04)
		u.fs.ack -= at & 0x1f;
	if (!sec_first)
		tmpl_emit(in, &t, COLO_SIDE_PRIMARY, false, seg);
	if ((mut & 0x10) && u.fs.proto == IPPROTO_TCP && u.fs.payload_len >= 2 &&
			!(u.fs.tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG))) {
		/* Secondary sends the same bytes as two segments. */
		half = u.fs.payload_len / 2;
		u.fs.payload_len = half;
		tmpl_emit(in, &u, COLO_SIDE_SECONDARY, false, seg >> 2);
		u.fs.seq += half;
		u.fs.payload = u.payload + half;
		u.fs.payload_len = t.fs.payload_len - half;
		tmpl_emit(in, &u, COLO_SIDE_SECONDARY, false, seg >> 4);
	} else {
		tmpl_emit(in, &u, COLO_SIDE_SECONDARY, false, seg >> 2);
	}
	if (sec_first)
		tmpl_emit(in, &t, COLO_SIDE_PRIMARY, false, seg);
}

/*
 * Up to 64 frames from one template: a TCP stream (each segment after the
 * last) or datagrams with changing bytes, on one side or both, optionally
 * each on a new connection (a flood that keeps the table full).
 */
static void
op_stream(struct fuzz_in *in)
{
	static struct tmpl t;
	uint8_t sel = fuzz_u8(in), mode = fuzz_u8(in), seg = fuzz_u8(in);
	unsigned int count = 1 + (mode & 63), i, j;
	bool both = mode & 0x40, flood = mode & 0x80;
	enum colo_side side = (sel & 0x20) ? COLO_SIDE_SECONDARY : COLO_SIDE_PRIMARY;

	tmpl_read(in, &t, sel);
	if (!both || tmpl_odd_tcp(&t))
		S.clean = false;
	for (i = 0; i < count && S.nb_pending < MAX_PENDING; i++) {
		if (flood)
			t.fs.sport = (uint16_t)(2000 + i);
		tmpl_emit(in, &t, both ? COLO_SIDE_PRIMARY : side, false, seg);
		if (both && S.nb_pending < MAX_PENDING)
			tmpl_emit(in, &t, COLO_SIDE_SECONDARY, false, seg);
		if (t.fs.proto == IPPROTO_TCP) {
			t.fs.seq += t.fs.payload_len;
			for (j = 0; j < t.fs.payload_len; j++)
				t.payload[j] = stream_byte(t.fs.seq + j, t.flow);
		} else {
			t.fs.icmp_seq++;
			for (j = 0; j < t.fs.payload_len; j++)
				t.payload[j]++;
		}
	}
}

/* Raw bytes from the input as one frame. */
static void
op_raw(struct fuzz_in *in)
{
	uint8_t sel = fuzz_u8(in), seg = fuzz_u8(in);
	size_t want = fuzz_u16(in) % 2048, got;
	const uint8_t *f = fuzz_bytes(in, want, &got);

	S.clean = false;

	emit(in, f, got, (sel & 1) ? COLO_SIDE_SECONDARY : COLO_SIDE_PRIMARY, sel & 2, seg);
}

/* An earlier frame again, on either side, with one byte changed or not. */
static void
op_replay(struct fuzz_in *in)
{
	static uint8_t buf[FRAME_CAP];
	uint8_t sel = fuzz_u8(in), seg = fuzz_u8(in);
	uint16_t at = fuzz_u16(in);
	unsigned int h = (S.hist_next + HIST - 1 - ((sel >> 2) % HIST)) % HIST;
	size_t len = S.hist_len[h];

	memcpy(buf, S.hist[h], len);
	S.clean = false;
	if ((sel & 2) && len != 0)
		buf[at % len] ^= (uint8_t)(at >> 8) | 1u;
	emit(in, buf, len, (sel & 1) ? COLO_SIDE_SECONDARY : COLO_SIDE_PRIMARY, false, seg);
}

/* Whether a queued frame has waited compare_timeout at @p now. */
static FUZZ_NO_COVERAGE bool
any_expired(uint64_t now)
{
	struct colo_conn_table *t = colo_ctx_conns(S.ctx);
	uint64_t timeout = S.prm.compare_timeout_ms; /* tsc_hz 1000: ticks are ms */
	const struct rte_mbuf *m;
	uint32_t idx;
	int side;

	for (idx = colo_conn_busy_first(t); idx != COLO_CONN_NONE;
			idx = colo_conn_at(t, idx)->busy.next)
		for (side = 0; side < 2; side++)
			for (m = colo_conn_at(t, idx)->q[side].head; m != NULL;
					m = colo_pkt_meta(m)->next)
				if (colo_pkt_meta(m)->arrival_tsc <= now &&
						now - colo_pkt_meta(m)->arrival_tsc >= timeout)
					return true;
	return false;
}

/* The periodic scan: a timeout checkpoint needs a frame that waited long enough. */
static void
scan(void)
{
	uint64_t before = S.st.trigger[COLO_CKPT_TIMEOUT_PRIMARY] +
			  S.st.trigger[COLO_CKPT_TIMEOUT_SECONDARY] +
			  S.st.trigger[COLO_CKPT_TIMEOUT_ACK];
	bool expired = any_expired(S.now);

	colo_ctx_scan(S.ctx, S.now);
	if (!expired)
		FUZZ_CHECK(S.st.trigger[COLO_CKPT_TIMEOUT_PRIMARY] +
						S.st.trigger[COLO_CKPT_TIMEOUT_SECONDARY] +
						S.st.trigger[COLO_CKPT_TIMEOUT_ACK] ==
				before);
}

static void
ctx_start(struct fuzz_in *in)
{
	uint8_t b0 = fuzz_u8(in), b1 = fuzz_u8(in), b2 = fuzz_u8(in), b3 = fuzz_u8(in);

	memset(&S, 0, offsetof(struct fuzz_state, hist));
	S.serial = 0;
	S.nb_keys = 0;
	S.hist_next = 0;
	memset(S.hist_len, 0, sizeof(S.hist_len));
	colo_params_init(&S.prm);
	S.prm.tsc_hz = 1000; /* one tick is one millisecond */
	S.prm.max_queue = 1 + b0 % 16;
	S.prm.max_conns = 8 + b1 % 9;
	S.prm.compare_nonip = b2 & 1;
	S.prm.compare_timeout_ms = timeout_ms[(b2 >> 1) & 3];
	S.prm.idle_timeout_ms = idle_ms[(b2 >> 3) & 3];
	S.prm.closing_timeout_ms = idle_ms[(b2 >> 5) & 3];
	S.burst = 1 + b3 % MAX_PENDING;
	S.now = 1;
	S.rx_ahead = 0;
	S.clean = true;
	S.ctx = colo_ctx_create("fuzz_ctx", &S.prm, out, &S.st, SOCKET_ID_ANY);
	FUZZ_CHECK(S.ctx != NULL);
	FUZZ_CHECK(colo_divergence_register(S.ctx, on_divergence, NULL) == 0);
	/* The high bits of max_queue's byte ask for a divergence history. */
	if ((b0 >> 4) & 3) {
		FUZZ_CHECK(colo_divergence_history(S.ctx, history_frames[(b0 >> 4) & 3],
					   history_context[b0 >> 6]) == 0);
		S.hist_slots = rte_align32pow2(history_frames[(b0 >> 4) & 3]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	bool drain_at_end;
	uint8_t op;

	if (size < 4)
		return -1; /* not even a header: keep it out of the corpus */
	drain_at_end = !(data[2] & 0x80);
	ctx_start(&in);
	check_invariants();
	while (in.n != 0) {
		op = fuzz_u8(&in);
		switch (op % OP_MAX) {
		case OP_FRAME:
			op_frame(&in);
			break;
		case OP_STREAM:
			op_stream(&in);
			break;
		case OP_PAIR:
			op_pair(&in);
			break;
		case OP_RAW:
			op_raw(&in);
			break;
		case OP_REPLAY:
			op_replay(&in);
			break;
		case OP_SUBMIT:
			submit();
			break;
		case OP_SCAN:
			submit();
			S.now += advance_ms[(op / OP_MAX) % RTE_DIM(advance_ms)];
			scan();
			break;
		case OP_RX_CLOCK:
			/* The RX lcore reads the TSC after the compare lcore did
			 * (app/dp/compare.c reads now once per poll). */
			S.rx_ahead = (op / OP_MAX) % 4;
			break;
		case OP_FLUSH:
			submit();
			colo_ctx_flush(S.ctx, S.now);
			S.nb_flush++;
			break;
		case OP_DRAIN:
			submit();
			colo_ctx_drain(S.ctx);
			FUZZ_CHECK(colo_ctx_queued(S.ctx, COLO_SIDE_PRIMARY) == 0);
			FUZZ_CHECK(colo_ctx_queued(S.ctx, COLO_SIDE_SECONDARY) == 0);
			break;
		default:
			S.now += advance_ms[(op / OP_MAX) % RTE_DIM(advance_ms)];
			break;
		}
		check_invariants();
	}

	submit();
	if (drain_at_end) {
		colo_ctx_drain(S.ctx);
		check_invariants();
		FUZZ_CHECK(colo_ctx_queued(S.ctx, COLO_SIDE_PRIMARY) == 0);
		FUZZ_CHECK(colo_ctx_queued(S.ctx, COLO_SIDE_SECONDARY) == 0);
	}
	/* Freeing with packets still queued must lose none of them uncounted. */
	colo_ctx_free(S.ctx);
	S.ctx = NULL;
	collect();
	FUZZ_CHECK(S.primary_in == S.released + sum(S.st.drop, COLO_DROP_MAX));
	FUZZ_CHECK(S.secondary_in == sum(S.st.discard, COLO_DISCARD_MAX));
	FUZZ_CHECK(rte_mempool_in_use_count(pool) == 0);
	FUZZ_CHECK(rte_mempool_avail_count(pool) == POOL_SIZE);
	return 0;
}
