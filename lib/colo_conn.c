/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection table: rte_hash positions index a preallocated connection
 * array; two intrusive index lists order connections by activity (LRU, for
 * eviction and aging) and collect those with queued packets (busy, for the
 * timeout scan). Queue contents and compare state are the engines' business.
 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "colo_conn.h"
#include "colo_log.h"

struct colo_conn_table *
colo_conn_table_create(const char *name, uint32_t max_conns, int socket_id)
{
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = max_conns,
		.key_len = sizeof(struct colo_key),
		.hash_func = rte_hash_crc,
		.hash_func_init_val = 0,
		.socket_id = socket_id,
		/* Extendable buckets: the table holds exactly max_conns keys, so a
		 * "full" table is a real capacity limit, never a cuckoo failure. */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct colo_conn_table *t;

	/* rte_hash compares 16, 32, 48... byte keys without a memcmp() call. */
	RTE_BUILD_BUG_ON(sizeof(struct colo_key) % 16 != 0);
	if (name == NULL || max_conns < 8) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket(name, sizeof(*t), RTE_CACHE_LINE_SIZE, socket_id);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	t->conns = rte_zmalloc_socket(name, sizeof(*t->conns) * (size_t)max_conns,
			RTE_CACHE_LINE_SIZE, socket_id);
	if (t->conns == NULL) {
		rte_errno = ENOMEM;
		goto fail;
	}
	t->hash = rte_hash_create(&hp);
	if (t->hash == NULL)
		goto fail;
	t->capacity = max_conns;
	colo_ilist_init(&t->lru);
	colo_ilist_init(&t->busy);
	return t;
fail:
	COLO_LOG(ERR, conn, "cannot create connection table %s for %u connections: %s", name,
			max_conns, rte_strerror(rte_errno));
	rte_free(t->conns);
	rte_free(t);
	return NULL;
}

void
colo_conn_table_free(struct colo_conn_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->hash);
	rte_free(t->conns);
	rte_free(t);
}

void
colo_conn_lookup_bulk(const struct colo_conn_table *t, const struct colo_key **keys,
		const uint32_t *hashes, unsigned int n, int32_t *pos)
{
	rte_hash_lookup_with_hash_bulk(t->hash, (const void **)keys, (hash_sig_t *)hashes, n,
			pos);
}

void
colo_conn_prefetch_bulk(const struct colo_conn_table *t, const int32_t *pos, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (pos[i] < 0)
			continue;
		rte_prefetch0(&t->conns[pos[i]]);
		rte_prefetch0(RTE_PTR_ADD(&t->conns[pos[i]], RTE_CACHE_LINE_SIZE));
	}
}

int32_t
colo_conn_lookup_one(const struct colo_conn_table *t, const struct colo_key *key,
		uint32_t hash)
{
	return rte_hash_lookup_with_hash(t->hash, key, hash);
}

int32_t
colo_conn_add(struct colo_conn_table *t, const struct colo_key *key, uint32_t hash,
		uint64_t now_tsc)
{
	struct colo_conn *c;
	int32_t pos;

	pos = rte_hash_add_key_with_hash(t->hash, key, hash);
	if (pos < 0)
		return pos == -ENOSPC ? -ENOSPC : pos;
	c = &t->conns[pos];
	memset(c, 0, sizeof(*c));
	c->flags = COLO_CONN_F_USED;
	c->proto = key->proto;
	c->last_tsc = now_tsc;
	c->busy.prev = c->busy.next = COLO_CONN_NONE;
	colo_ilist_append(&t->lru, t->conns, lru, pos);
	t->count++;
	return pos;
}

void
colo_conn_del(struct colo_conn_table *t, uint32_t idx)
{
	struct colo_conn *c = &t->conns[idx];
	const void *key;

	colo_conn_busy_del(t, idx);
	colo_ilist_unlink(&t->lru, t->conns, lru, idx);
	if (rte_hash_get_key_with_position(t->hash, idx, (void **)(uintptr_t)&key) == 0)
		rte_hash_del_key(t->hash, key);
	c->flags = 0;
	t->count--;
}

const struct colo_key *
colo_conn_key(const struct colo_conn_table *t, uint32_t idx)
{
	void *key = NULL;

	rte_hash_get_key_with_position(t->hash, idx, &key);
	return key;
}

uint32_t
colo_conn_count(const struct colo_conn_table *t)
{
	return t->count;
}

uint32_t
colo_conn_capacity(const struct colo_conn_table *t)
{
	return t->capacity;
}

size_t
colo_conn_bytes_per_conn(const struct colo_conn_table *t)
{
	/* Connection entry, plus rte_hash's key slot (data pointer and key,
	 * 16-byte aligned) and its share of the 8-entry, 64-byte buckets: main
	 * and extendable, each rounded up to a power of two of entries. */
	size_t buckets = 2 * 64 * (size_t)rte_align32pow2(t->capacity) / 8;

	return sizeof(struct colo_conn) + RTE_ALIGN(sizeof(void *) + sizeof(struct colo_key), 16) +
		buckets / t->capacity;
}
