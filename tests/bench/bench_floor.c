/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The floor: the work a comparator cannot avoid per pair, and nothing
 * else. RX of both frames with libcolo's parser (which also computes the
 * table hash, as colo-proxy's RX does), one bulk lookup per frame in an
 * rte_hash made like the connection table (same key, hash function, size
 * and flags), a memcmp() of the bytes colo-proxy's engines compare, TX of
 * the primary and a bulk free of the secondary. Frames are paired in
 * arrival order per RX queue, which is the generator's order; the lookup
 * checks that both frames of a pair found the same key.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <netinet/in.h>

#include "bench.h"
#include "colo_pkt.h"

/* Pairs per bulk lookup: both frames of each go into one call. */
#define PAIRS_PER_LOOKUP (RTE_HASH_LOOKUP_BULK_MAX / 2)
/* UDP checksum: colo-proxy's engine does not compare it (docs/semantics.md). */
#define UDP_CSUM_OFF 6
#define UDP_CSUM_LEN 2

int
bench_floor_init(struct bench_floor *f, const char *name, uint32_t entries, uint32_t fifo_min,
		int socket, uint16_t tx_port, uint16_t tx_queue)
{
	/* As colo_conn_table_create() makes the connection table. */
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = entries,
		.key_len = sizeof(struct colo_key),
		.hash_func = rte_hash_crc,
		.hash_func_init_val = 0,
		.socket_id = socket,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	memset(f, 0, sizeof(*f));
	f->hash = rte_hash_create(&hp);
	if (f->hash == NULL)
		return -rte_errno;
	f->fifo_size = rte_align32pow2(fifo_min);
	f->tx_port = tx_port;
	f->tx_queue = tx_queue;
	f->socket = socket;
	return 0;
}

/* The pairing FIFO of RX queue @p q, made on first use. */
static struct bench_floor_fifo *
fifo_of(struct bench_floor *f, unsigned int q)
{
	struct bench_floor_fifo *ff = &f->q[q];
	unsigned int side;

	if (ff->pkts[0] != NULL)
		return ff;
	for (side = 0; side < 2; side++) {
		ff->pkts[side] = rte_zmalloc_socket("bench_floor_fifo",
				sizeof(struct rte_mbuf *) * f->fifo_size, RTE_CACHE_LINE_SIZE,
				f->socket);
		if (ff->pkts[side] == NULL)
			return NULL;
	}
	return ff;
}

uint64_t
bench_floor_fini(struct bench_floor *f)
{
	uint64_t left = 0;
	unsigned int q, side;

	for (q = 0; q < RTE_DIM(f->q); q++) {
		struct bench_floor_fifo *ff = &f->q[q];

		for (side = 0; side < 2; side++) {
			for (; ff->head[side] != ff->tail[side]; ff->head[side]++, left++)
				rte_pktmbuf_free(
						ff->pkts[side][ff->head[side] & (f->fifo_size - 1)]);
			rte_free(ff->pkts[side]);
		}
	}
	rte_hash_free(f->hash);
	memset(f, 0, sizeof(*f));
	return left;
}

/* Room at the tail of @p side's FIFO without wrapping: where a burst goes. */
static inline unsigned int
fifo_room(const struct bench_floor *f, const struct bench_floor_fifo *ff, unsigned int side)
{
	uint32_t used = ff->tail[side] - ff->head[side];
	uint32_t to_end = f->fifo_size - (ff->tail[side] & (f->fifo_size - 1));

	return RTE_MIN(f->fifo_size - used, to_end);
}

unsigned int
bench_floor_rx(struct bench_floor *f, unsigned int q, unsigned int side, uint16_t port,
		uint16_t queue, unsigned int burst)
{
	struct bench_floor_fifo *ff = fifo_of(f, q);
	struct rte_mbuf **pkts;
	unsigned int n;

	if (unlikely(ff == NULL))
		return 0;
	n = RTE_MIN(fifo_room(f, ff, side), burst);
	pkts = &ff->pkts[side][ff->tail[side] & (f->fifo_size - 1)];
	n = rte_eth_rx_burst(port, queue, pkts, (uint16_t)n);
	if (n == 0)
		return 0;
	colo_pkt_classify_burst(pkts, n, (enum colo_side)side, 0, rte_rdtsc(), NULL);
	ff->tail[side] += n;
	return n;
}

unsigned int
bench_floor_dequeue(struct bench_floor *f, unsigned int q, unsigned int side,
		struct rte_ring *r, unsigned int burst)
{
	struct bench_floor_fifo *ff = fifo_of(f, q);
	unsigned int n;

	if (unlikely(ff == NULL))
		return 0;
	n = RTE_MIN(fifo_room(f, ff, side), burst);
	n = rte_ring_sc_dequeue_burst(r,
			(void **)&ff->pkts[side][ff->tail[side] & (f->fifo_size - 1)], n, NULL);
	ff->tail[side] += n;
	return n;
}

/*
 * The bytes colo-proxy's engines compare: the TCP payload (the byte stream;
 * here both segments cover the same sequence range), for UDP the datagram
 * from its header to the end of the IP payload but the checksum.
 */
static inline bool
pair_differs(const struct rte_mbuf *p, const struct rte_mbuf *s)
{
	const struct colo_pkt_meta *pm = colo_pkt_meta(p), *sm = colo_pkt_meta(s);
	const uint8_t *a = rte_pktmbuf_mtod(p, const uint8_t *);
	const uint8_t *b = rte_pktmbuf_mtod(s, const uint8_t *);
	uint32_t len;

	if (pm->l4proto == IPPROTO_TCP)
		return pm->payload_len != sm->payload_len ||
		       memcmp(a + pm->payload_off, b + sm->payload_off, pm->payload_len) != 0;
	len = pm->l3_end - pm->l4_off;
	if (len != (uint32_t)(sm->l3_end - sm->l4_off) || len < UDP_CSUM_OFF + UDP_CSUM_LEN)
		return true;
	return memcmp(a + pm->l4_off, b + sm->l4_off, UDP_CSUM_OFF) != 0 ||
	       memcmp(a + pm->l4_off + UDP_CSUM_OFF + UDP_CSUM_LEN,
			       b + sm->l4_off + UDP_CSUM_OFF + UDP_CSUM_LEN,
			       len - UDP_CSUM_OFF - UDP_CSUM_LEN) != 0;
}

/* The table position of @p m: looked up, or added on the first pass over the connections. */
static inline int32_t
position(struct bench_floor *f, int32_t pos, const struct rte_mbuf *m)
{
	const struct colo_pkt_meta *pm = colo_pkt_meta(m);

	if (likely(pos >= 0))
		return pos;
	f->inserts++;
	return rte_hash_add_key_with_hash(f->hash, &pm->key, pm->hash);
}

unsigned int
bench_floor_pair(struct bench_floor *f, unsigned int q)
{
	struct bench_floor_fifo *ff = &f->q[q];
	const void *keys[2 * PAIRS_PER_LOOKUP];
	hash_sig_t hashes[2 * PAIRS_PER_LOOKUP];
	int32_t pos[2 * PAIRS_PER_LOOKUP];
	struct rte_mbuf **prim, **sec;
	uint32_t hp, hs, n, i, sent;

	if (ff->pkts[0] == NULL)
		return 0;
	hp = ff->head[0] & (f->fifo_size - 1);
	hs = ff->head[1] & (f->fifo_size - 1);
	n = RTE_MIN(ff->tail[0] - ff->head[0], ff->tail[1] - ff->head[1]);
	n = RTE_MIN(n, (uint32_t)PAIRS_PER_LOOKUP);
	n = RTE_MIN(n, f->fifo_size - RTE_MAX(hp, hs));
	if (n == 0)
		return 0;
	prim = &ff->pkts[0][hp];
	sec = &ff->pkts[1][hs];
	for (i = 0; i < n; i++) {
		const struct colo_pkt_meta *pm = colo_pkt_meta(prim[i]);
		const struct colo_pkt_meta *sm = colo_pkt_meta(sec[i]);

		keys[i] = &pm->key;
		hashes[i] = pm->hash;
		keys[n + i] = &sm->key;
		hashes[n + i] = sm->hash;
	}
	rte_hash_lookup_with_hash_bulk(f->hash, keys, hashes, 2 * n, pos);
	for (i = 0; i < n; i++) {
		int32_t a = position(f, pos[i], prim[i]);
		int32_t b = position(f, pos[n + i], sec[i]);

		/* Arrival order paired two connections, or the table is full. */
		if (unlikely(a != b || a < 0))
			f->key_mismatch++;
		if (unlikely(pair_differs(prim[i], sec[i])))
			f->diffs++;
	}
	sent = rte_eth_tx_burst(f->tx_port, f->tx_queue, prim, (uint16_t)n);
	if (unlikely(sent < n))
		rte_pktmbuf_free_bulk(&prim[sent], n - sent);
	rte_pktmbuf_free_bulk(sec, n);
	ff->head[0] += n;
	ff->head[1] += n;
	f->pairs += n;
	return n;
}
