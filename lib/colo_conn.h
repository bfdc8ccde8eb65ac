/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection table: an rte_hash keyed by struct colo_key whose positions
 * index one preallocated array of struct colo_conn (no allocation on the
 * data path), plus an LRU list for eviction and aging. Single writer: the
 * compare lcore that owns the table. Comparison state lives in the
 * connection but is interpreted by the compare engines.
 */
#ifndef COLO_CONN_H
#define COLO_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_hash.h>
#include <rte_mbuf.h>

#include "colo_ilist.h"
#include "colo_pkt.h"

struct colo_compare_ops;

/** A FIFO (or, for TCP, seq-sorted) list of queued mbufs linked through their metadata. */
struct colo_pktq {
	struct rte_mbuf *head;
	struct rte_mbuf *tail;
	uint32_t nb;
};

#define COLO_CONN_F_USED 0x01	    /**< slot holds a live connection */
#define COLO_CONN_F_ANCHORED 0x02   /**< TCP: tcp_verified is valid */
#define COLO_CONN_F_SEC_ACK 0x04    /**< TCP: tcp_sec_ack is valid */
#define COLO_CONN_F_CLOSING 0x08    /**< FIN or RST released: linger, then remove */
#define COLO_CONN_F_MISMATCH 0x10   /**< diverged; waits for a checkpoint */
#define COLO_CONN_F_BUSY 0x20	    /**< on the busy list (has queued packets) */

/** Sentinel index for the intrusive lists. */
#define COLO_CONN_NONE COLO_ILIST_NONE

/**
 * One connection. All fields are written by the owning compare lcore only;
 * readers on other threads accept stale values.
 */
struct colo_conn {
	struct colo_pktq q[2];		/**< queued packets, indexed by enum colo_side */
	const struct colo_compare_ops *ops; /**< engine, chosen once at creation */
	uint64_t last_tsc;		/**< last packet of either side */
	uint64_t verified_bytes;	/**< payload bytes verified equal */
	struct colo_ilink lru;		/**< activity order, oldest first */
	struct colo_ilink busy;		/**< connections with queued packets */
	uint32_t tcp_verified;		/**< TCP: first sequence number not yet verified */
	uint32_t tcp_sec_ack;		/**< TCP: highest ACK seen from the secondary */
	uint8_t flags;			/**< COLO_CONN_F_* */
	uint8_t proto;			/**< IPPROTO_* of the key */
} __rte_aligned(64);

/**
 * Connection table. Defined here only so that the per-packet helpers below
 * can be inline, as rte_ring does: calls into colo_conn.c were six per
 * compared pair, 4.5 % of the compare lcore (perf cpu-clock, colo-bench
 * 64 B TCP, AMD EPYC 2 vCPU KVM, 2026-11-26). Use it through the functions
 * only.
 */
struct colo_conn_table {
	struct rte_hash *hash;
	struct colo_conn *conns;	/**< indexed by rte_hash position */
	uint32_t capacity;
	uint32_t count;
	struct colo_ilist lru;		/**< oldest to youngest */
	struct colo_ilist busy;		/**< connections with queued packets */
};

/**
 * Create a table for @p max_conns connections on NUMA @p socket_id.
 *
 * @return the table, or NULL with rte_errno set (EINVAL, ENOMEM, EEXIST).
 */
struct colo_conn_table *colo_conn_table_create(const char *name, uint32_t max_conns,
		int socket_id);

/** Free the table. Queued packets must have been released before. */
void colo_conn_table_free(struct colo_conn_table *t);

/**
 * Look up @p n keys (n <= RTE_HASH_LOOKUP_BULK_MAX) with precomputed
 * hashes. @p pos[i] receives the connection index or -ENOENT.
 */
void colo_conn_lookup_bulk(const struct colo_conn_table *t, const struct colo_key **keys,
		const uint32_t *hashes, unsigned int n, int32_t *pos);

/**
 * Start loading the entries of the @p n positions of a colo_conn_lookup_bulk()
 * answer (negative ones are skipped), so that the caller's work on the first
 * packets overlaps the memory latency of the later ones.
 */
void colo_conn_prefetch_bulk(const struct colo_conn_table *t, const int32_t *pos,
		unsigned int n);

/** Look up one key with its precomputed hash: the index, or -ENOENT. */
int32_t colo_conn_lookup_one(const struct colo_conn_table *t, const struct colo_key *key,
		uint32_t hash);

/**
 * Insert @p key and initialise its connection.
 *
 * @return the connection index, or -ENOSPC when the table is full.
 */
int32_t colo_conn_add(struct colo_conn_table *t, const struct colo_key *key, uint32_t hash,
		uint64_t now_tsc);

/** Remove connection @p idx; its queues must be empty. */
void colo_conn_del(struct colo_conn_table *t, uint32_t idx);

/** Connection at index @p idx. */
static inline struct colo_conn *
colo_conn_at(const struct colo_conn_table *t, uint32_t idx)
{
	return &t->conns[idx];
}

/** Key of connection @p idx. */
const struct colo_key *colo_conn_key(const struct colo_conn_table *t, uint32_t idx);

/** Mark activity at @p now_tsc: moves the connection to the young end of the LRU. */
static inline void
colo_conn_touch(struct colo_conn_table *t, uint32_t idx, uint64_t now_tsc)
{
	t->conns[idx].last_tsc = now_tsc;
	colo_ilist_move_tail(&t->lru, t->conns, lru, idx);
}

/** Index of the least recently active connection, or COLO_CONN_NONE. */
static inline uint32_t
colo_conn_oldest(const struct colo_conn_table *t)
{
	return t->lru.head;
}

/** Next younger connection after @p idx in LRU order, or COLO_CONN_NONE. */
static inline uint32_t
colo_conn_younger(const struct colo_conn_table *t, uint32_t idx)
{
	return t->conns[idx].lru.next;
}

/** Put @p idx on the busy list (connections with queued packets), once. */
static inline void
colo_conn_busy_add(struct colo_conn_table *t, uint32_t idx)
{
	struct colo_conn *c = &t->conns[idx];

	if (c->flags & COLO_CONN_F_BUSY)
		return;
	c->flags |= COLO_CONN_F_BUSY;
	/* At the head: the scans visit the connections that became busy last first. */
	colo_ilist_push(&t->busy, t->conns, busy, idx);
}

/** Take @p idx off the busy list, if it is there. */
static inline void
colo_conn_busy_del(struct colo_conn_table *t, uint32_t idx)
{
	struct colo_conn *c = &t->conns[idx];

	if (!(c->flags & COLO_CONN_F_BUSY))
		return;
	c->flags &= ~COLO_CONN_F_BUSY;
	colo_ilist_unlink(&t->busy, t->conns, busy, idx);
}

/** First busy connection, or COLO_CONN_NONE; then follow conn->busy.next. */
static inline uint32_t
colo_conn_busy_first(const struct colo_conn_table *t)
{
	return t->busy.head;
}

/** Number of live connections. */
uint32_t colo_conn_count(const struct colo_conn_table *t);

/** Capacity of the table. */
uint32_t colo_conn_capacity(const struct colo_conn_table *t);

/** Bytes of connection state per connection (entry, key slot and hash bucket share). */
size_t colo_conn_bytes_per_conn(const struct colo_conn_table *t);

/** Append @p m at the tail of @p q. */
static inline void
colo_pktq_push(struct colo_pktq *q, struct rte_mbuf *m)
{
	colo_pkt_meta(m)->next = NULL;
	if (q->tail == NULL)
		q->head = m;
	else
		colo_pkt_meta(q->tail)->next = m;
	q->tail = m;
	q->nb++;
}

/** Remove and return the head of @p q, or NULL. */
static inline struct rte_mbuf *
colo_pktq_pop(struct colo_pktq *q)
{
	struct rte_mbuf *m = q->head;

	if (m == NULL)
		return NULL;
	q->head = colo_pkt_meta(m)->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->nb--;
	return m;
}

#endif /* COLO_CONN_H */
