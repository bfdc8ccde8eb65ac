/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP sequence rewriter: an rte_hash of client->server keys whose positions
 * index one preallocated array of 48-byte entries, two intrusive lists (live
 * entries by activity, closed entries by closing time) for O(1) eviction and
 * aging, and in-place edits with RFC 1624 checksum updates. The policy is
 * written once, in colo_rewriter.h.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_tcp.h>

#include "colo_ilist.h"
#include "colo_log.h"
#include "colo_rewriter.h"
#include "colo_stats.h"

/* RFC 793 sequence arithmetic, modulo 2^32. */
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)

/* End of an intrusive list. */
#define NONE COLO_ILIST_NONE

/* Entry flags. */
#define E_SVM_ISN 0x0001	  /* hs.svm_isn is valid */
#define E_PVM_ISN 0x0002	  /* hs.pvm_isn is valid */
#define E_OFFSET 0x0004		  /* offset is valid; fin.* replace hs.* */
#define E_FIN_CLIENT 0x0008	  /* fin.client_end is valid */
#define E_FIN_SVM 0x0010	  /* fin.svm_end is valid */
#define E_FIN_CLIENT_ACKED 0x0020 /* the SVM acknowledged the client's FIN */
#define E_FIN_SVM_ACKED 0x0040	  /* the client acknowledged the (PVM's) FIN */
#define E_CLOSED 0x0080		  /* on the closed list, lingering */
#define E_SVM_TS 0x0100		  /* hs.svm_ts is valid */
#define E_PVM_TS 0x0200		  /* hs.pvm_ts is valid */
#define E_TS 0x0400		  /* ts_off is valid: both sides use timestamps */

#define E_BOTH_ISN (E_SVM_ISN | E_PVM_ISN)
#define E_BOTH_TS (E_SVM_TS | E_PVM_TS)
#define E_BOTH_ACKED (E_FIN_CLIENT_ACKED | E_FIN_SVM_ACKED)

/* TCP options (RFC 793, RFC 2018). */
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_SACK 5
#define TCPOPT_TIMESTAMP 8
#define SACK_BLOCK_LEN 8
#define TCPOLEN_TIMESTAMP 10

#define TCP_SEQ_OFF offsetof(struct rte_tcp_hdr, sent_seq)
#define TCP_ACK_OFF offsetof(struct rte_tcp_hdr, recv_ack)
#define TCP_CKSUM_OFF offsetof(struct rte_tcp_hdr, cksum)

/*
 * One connection, 48 bytes. Handshake and FIN fields share storage: FINs
 * are tracked only once the offset is known, and then the ISNs and the
 * handshake timestamps are dead.
 */
struct rw_entry {
	uint64_t last_tsc; /* last packet; for a closed entry, when it closed */
	struct colo_ilink link; /* neighbours on the live or the closed list */
	uint32_t offset; /* SVM ISN - PVM ISN, with E_OFFSET */
	uint32_t ts_off; /* SVM TSval - PVM TSval of the handshake, with E_TS */
	union {
		struct {
			uint32_t svm_isn;
			uint32_t pvm_isn;
			uint32_t svm_ts; /* TSval of the SVM's SYN or SYN-ACK */
			uint32_t pvm_ts; /* TSval of the PVM's, or the client's first TSecr */
		} hs;
		struct {
			uint32_t client_end; /* client FIN seq + 1, client space */
			uint32_t svm_end;    /* SVM FIN seq + 1, PVM space */
		} fin;
	};
	uint16_t flags; /* E_* */
};

/* All fields are written by the owning lcore only. */
struct colo_rewriter {
	struct rte_hash *hash;
	struct rw_entry *entries; /* indexed by rte_hash position */
	struct colo_ilist live;	  /* learning and open entries, by last activity */
	struct colo_ilist closed;	  /* closed entries, by closing time */
	uint32_t capacity;
	uint32_t count;
	uint64_t idle_tsc;
	uint64_t closing_tsc;
	bool learning;
	bool full_logged;	       /* the first eviction was logged */
	uint64_t ctr[COLO_RW_CTR_MAX]; /* any thread reads, relaxed */
};

#define NAME_ENTRY(sym, name, help) "rewriter_" name,
static const char *const ctr_names[COLO_RW_CTR_MAX] = { COLO_RW_CTRS(NAME_ENTRY) };
#undef NAME_ENTRY
#define HELP_ENTRY(sym, name, help) help,
static const char *const ctr_helps[COLO_RW_CTR_MAX] = { COLO_RW_CTRS(HELP_ENTRY) };
#undef HELP_ENTRY

static inline void
ctr_add(struct colo_rewriter *rw, enum colo_rw_ctr c, uint64_t n)
{
	colo_stat_add(&rw->ctr[c], n);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_32(v);
}

static inline void
wr32(uint8_t *p, uint32_t v)
{
	v = rte_cpu_to_be_32(v);
	memcpy(p, &v, sizeof(v));
}

static inline uint16_t
rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_16(v);
}

static inline void
wr16(uint8_t *p, uint16_t v)
{
	v = rte_cpu_to_be_16(v);
	memcpy(p, &v, sizeof(v));
}

/*
 * RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), in two halves: the "~m + m'"
 * terms of each changed 16-bit word accumulate in a delta, applied once.
 * Eqn. 3 never turns a valid checksum into the 0xffff that a full
 * computation cannot produce, so the result equals a full recomputation.
 */
static inline uint32_t
csum_delta32(uint32_t delta, uint32_t old, uint32_t new)
{
	return delta + (uint16_t) ~(old >> 16) + (uint16_t)~old + (new >> 16) + (new & 0xffff);
}

static inline uint16_t
csum_apply(uint16_t hc, uint32_t delta)
{
	/* At most 10 fields of 2 words: delta < 2^22, two folds suffice. */
	uint32_t sum = (uint16_t)~hc + delta;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Store @p val in the 32-bit field at @p p; return @p delta plus the change. */
static inline uint32_t
set32(uint8_t *p, uint32_t val, uint32_t delta)
{
	uint32_t old = rd32(p);

	wr32(p, val);
	return csum_delta32(delta, old, val);
}

/* ---- lists and entries ---- */

static inline struct colo_ilist *
list_of(struct colo_rewriter *rw, const struct rw_entry *e)
{
	return (e->flags & E_CLOSED) ? &rw->closed : &rw->live;
}

static void
list_unlink(struct colo_rewriter *rw, uint32_t idx)
{
	struct rw_entry *e = &rw->entries[idx];
	colo_ilist_unlink(list_of(rw, e), rw->entries, link, idx);
}

static void
list_append(struct colo_rewriter *rw, uint32_t idx)
{
	struct rw_entry *e = &rw->entries[idx];
	colo_ilist_append(list_of(rw, e), rw->entries, link, idx);
}

static void
entry_del(struct colo_rewriter *rw, uint32_t idx)
{
	struct colo_key key;
	void *slot;

	list_unlink(rw, idx);
	/* Copy the key out: rte_hash reuses the slot it points into. */
	if (rte_hash_get_key_with_position(rw->hash, idx, &slot) == 0) {
		memcpy(&key, slot, sizeof(key));
		rte_hash_del_key(rw->hash, &key);
	}
	rw->entries[idx].flags = 0;
	rw->count--;
}

/* A full table: reclaim the oldest closed entry, else evict the least active. */
static void
make_room(struct colo_rewriter *rw)
{
	if (rw->closed.head != NONE) {
		entry_del(rw, rw->closed.head);
		ctr_add(rw, COLO_RW_CTR_CLOSED, 1);
		return;
	}
	if (!rw->full_logged) {
		COLO_LOG(WARNING, rewriter, "table full (%u entries): evicting the least active",
				rw->capacity);
		rw->full_logged = true;
	}
	entry_del(rw, rw->live.head);
	ctr_add(rw, COLO_RW_CTR_EVICTED, 1);
}

static int32_t
entry_add(struct colo_rewriter *rw, const struct colo_key *key, uint32_t hash, uint64_t now_tsc)
{
	struct rw_entry *e;
	int32_t idx;

	if (rw->count == rw->capacity)
		make_room(rw);
	idx = rte_hash_add_key_with_hash(rw->hash, key, hash);
	if (idx < 0) {
		COLO_LOG(DEBUG, rewriter, "cannot add an entry: %s", rte_strerror(-idx));
		return idx;
	}
	e = &rw->entries[idx];
	memset(e, 0, sizeof(*e));
	e->last_tsc = now_tsc;
	list_append(rw, idx);
	rw->count++;
	ctr_add(rw, COLO_RW_CTR_CREATED, 1);
	return idx;
}

/* A SYN on a closed entry: the 4-tuple is reused by a new connection. */
static void
entry_restart(struct colo_rewriter *rw, uint32_t idx, uint64_t now_tsc)
{
	struct rw_entry *e = &rw->entries[idx];

	list_unlink(rw, idx);
	memset(e, 0, sizeof(*e));
	e->last_tsc = now_tsc;
	list_append(rw, idx);
	ctr_add(rw, COLO_RW_CTR_RESTARTED, 1);
}

static void
entry_touch(struct colo_rewriter *rw, uint32_t idx, uint64_t now_tsc)
{
	rw->entries[idx].last_tsc = now_tsc;
	colo_ilist_move_tail(&rw->live, rw->entries, link, idx);
}

/* Both FINs acknowledged, or an RST: linger on the closed list. */
static void
entry_close(struct colo_rewriter *rw, uint32_t idx, uint64_t now_tsc)
{
	struct rw_entry *e = &rw->entries[idx];

	if (e->flags & E_CLOSED)
		return;
	list_unlink(rw, idx);
	e->flags |= E_CLOSED;
	e->last_tsc = now_tsc;
	list_append(rw, idx);
}

/*
 * The entry of a frame's connection (@p key client->server), created by a
 * SYN when learning is on. A closed entry is restarted by a SYN, or dropped
 * by one when learning is off (new connections pass untouched).
 *
 * @return the entry index, or -1 (counted) when the frame is not tracked.
 */
static int32_t
entry_get(struct colo_rewriter *rw, const struct colo_key *key, uint32_t hash, uint8_t pkt_flags,
		uint64_t now_tsc)
{
	bool syn = (pkt_flags & COLO_PKT_F_TCP_SYN) != 0;
	int32_t idx;

	idx = rte_hash_lookup_with_hash(rw->hash, key, hash);
	if (idx >= 0) {
		if (!(rw->entries[idx].flags & E_CLOSED))
			entry_touch(rw, idx, now_tsc);
		else if (syn && rw->learning)
			entry_restart(rw, idx, now_tsc);
		else if (syn) {
			entry_del(rw, idx);
			ctr_add(rw, COLO_RW_CTR_CLOSED, 1);
			ctr_add(rw, COLO_RW_CTR_NOT_LEARNING, 1);
			return -1;
		}
		return idx;
	}
	if (!syn) {
		ctr_add(rw, COLO_RW_CTR_NO_STATE, 1);
		return -1;
	}
	if (!rw->learning) {
		ctr_add(rw, COLO_RW_CTR_NOT_LEARNING, 1);
		return -1;
	}
	idx = entry_add(rw, key, hash, now_tsc);
	if (idx < 0)
		ctr_add(rw, COLO_RW_CTR_NO_STATE, 1);
	return idx;
}

/*
 * Both ISNs known: fix the offset, and the timestamp offset when both
 * handshake frames carried a timestamp (they arrive with the ISNs); the FIN
 * fields take over the storage.
 */
static void
learn(struct colo_rewriter *rw, struct rw_entry *e)
{
	if ((e->flags & E_BOTH_ISN) != E_BOTH_ISN)
		return;
	e->offset = e->hs.svm_isn - e->hs.pvm_isn;
	if ((e->flags & E_BOTH_TS) == E_BOTH_TS) {
		e->ts_off = e->hs.svm_ts - e->hs.pvm_ts;
		e->flags |= E_TS;
	}
	e->flags = (e->flags & ~(E_BOTH_ISN | E_BOTH_TS)) | E_OFFSET;
	e->fin.client_end = 0;
	e->fin.svm_end = 0;
	ctr_add(rw, COLO_RW_CTR_LEARNED, 1);
}

static enum colo_rw_state
entry_state(const struct rw_entry *e)
{
	if (e->flags & E_CLOSED)
		return COLO_RW_STATE_CLOSED;
	if (!(e->flags & E_OFFSET))
		return COLO_RW_STATE_LEARNING;
	if (e->flags & (E_FIN_CLIENT | E_FIN_SVM))
		return COLO_RW_STATE_CLOSING;
	return COLO_RW_STATE_OPEN;
}

/*
 * The timestamp option (RFC 7323) of a classified TCP frame whose header
 * sits in the first segment. Malformed options are counted where they are
 * rewritten, not here.
 *
 * @return true with @p tsval and @p tsecr filled, or false.
 */
static bool
tcp_ts(const struct rte_mbuf *m, const struct colo_pkt_meta *pm, uint32_t *tsval, uint32_t *tsecr)
{
	const uint8_t *opt = rte_pktmbuf_mtod_offset(m, const uint8_t *, pm->l4_off) +
			     sizeof(struct rte_tcp_hdr);
	uint32_t len = pm->payload_off - pm->l4_off - sizeof(struct rte_tcp_hdr);
	uint32_t i = 0;

	if (len == 0 || rte_pktmbuf_data_len(m) < pm->payload_off)
		return false;
	while (i < len && opt[i] != TCPOPT_EOL) {
		if (opt[i] == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len)
			return false;
		if (opt[i] == TCPOPT_TIMESTAMP && opt[i + 1] == TCPOLEN_TIMESTAMP) {
			*tsval = rd32(opt + i + 2);
			*tsecr = rd32(opt + i + 6);
			return true;
		}
		i += opt[i + 1];
	}
	return false;
}

/* ---- per-direction state tracking ---- */

/*
 * Client->SVM: the PVM ISN from the first ACK (and the PVM's handshake
 * TSval from its TSecr), the client's FIN, the ACK of the PVM's FIN.
 */
static void
client_track(struct colo_rewriter *rw, uint32_t idx, const struct rte_mbuf *m,
		const struct colo_pkt_meta *pm, uint64_t now_tsc)
{
	struct rw_entry *e = &rw->entries[idx];
	uint32_t tsval, tsecr;

	if (e->flags & E_CLOSED)
		return;
	if (!(e->flags & (E_OFFSET | E_PVM_ISN)) && (pm->flags & COLO_PKT_F_TCP_ACK)) {
		e->hs.pvm_isn = pm->tcp_ack - 1;
		e->flags |= E_PVM_ISN;
		if (tcp_ts(m, pm, &tsval, &tsecr) && tsecr != 0) {
			e->hs.pvm_ts = tsecr;
			e->flags |= E_PVM_TS;
		}
		learn(rw, e);
	}
	if (pm->flags & COLO_PKT_F_TCP_RST) {
		entry_close(rw, idx, now_tsc);
		return;
	}
	if (!(e->flags & E_OFFSET))
		return;
	if (pm->flags & COLO_PKT_F_TCP_FIN) {
		e->fin.client_end = pm->tcp_seq + pm->payload_len + 1;
		e->flags |= E_FIN_CLIENT;
	}
	/* The client's ACK is in the PVM's space, where svm_end is kept. */
	if ((pm->flags & COLO_PKT_F_TCP_ACK) && (e->flags & E_FIN_SVM) &&
			SEQ_GEQ(pm->tcp_ack, e->fin.svm_end))
		e->flags |= E_FIN_SVM_ACKED;
	if ((e->flags & E_BOTH_ACKED) == E_BOTH_ACKED)
		entry_close(rw, idx, now_tsc);
}

/*
 * SVM->client: the SVM ISN (and TSval) from its SYN, the SVM's FIN, the
 * ACK of the client's FIN.
 */
static void
svm_track(struct colo_rewriter *rw, uint32_t idx, const struct rte_mbuf *m,
		const struct colo_pkt_meta *pm, uint64_t now_tsc)
{
	struct rw_entry *e = &rw->entries[idx];
	uint32_t tsval, tsecr;

	if (e->flags & E_CLOSED)
		return;
	if (!(e->flags & E_OFFSET) && (pm->flags & COLO_PKT_F_TCP_SYN)) {
		e->hs.svm_isn = pm->tcp_seq;
		e->flags |= E_SVM_ISN;
		if (tcp_ts(m, pm, &tsval, &tsecr)) {
			e->hs.svm_ts = tsval;
			e->flags |= E_SVM_TS;
		}
		learn(rw, e);
	}
	if (pm->flags & COLO_PKT_F_TCP_RST) {
		entry_close(rw, idx, now_tsc);
		return;
	}
	if (!(e->flags & E_OFFSET))
		return;
	if (pm->flags & COLO_PKT_F_TCP_FIN) {
		e->fin.svm_end = pm->tcp_seq - e->offset + pm->payload_len + 1;
		e->flags |= E_FIN_SVM;
	}
	if ((pm->flags & COLO_PKT_F_TCP_ACK) && (e->flags & E_FIN_CLIENT) &&
			SEQ_GEQ(pm->tcp_ack, e->fin.client_end))
		e->flags |= E_FIN_CLIENT_ACKED;
	if ((e->flags & E_BOTH_ACKED) == E_BOTH_ACKED)
		entry_close(rw, idx, now_tsc);
}

/* ---- in-place edits ---- */

/* A TCP frame with a parsed header; fragments are counted and left alone. */
static inline bool
is_tcp(struct colo_rewriter *rw, const struct colo_pkt_meta *pm)
{
	if (pm->class != COLO_CLASS_IP || pm->l4proto != IPPROTO_TCP)
		return false;
	if (unlikely(pm->flags & COLO_PKT_F_FRAG)) {
		ctr_add(rw, COLO_RW_CTR_SKIPPED, 1);
		return false;
	}
	return true;
}

/* The TCP header with options sits in the first segment and nobody else sees the data. */
static bool
hdr_writable(const struct rte_mbuf *m, const struct colo_pkt_meta *pm)
{
	if (rte_pktmbuf_data_len(m) < pm->payload_off)
		return false;
	if (rte_mbuf_refcnt_read(m) != 1 || RTE_MBUF_CLONED(m))
		return false;
	return !RTE_MBUF_HAS_EXTBUF(m) || rte_mbuf_ext_refcnt_read(m->shinfo) == 1;
}

/* The checksum field holds only the pseudo-header sum, to be completed by offload. */
static bool
csum_partial(const struct rte_mbuf *m)
{
	uint64_t f = m->ol_flags;

	return (f & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM ||
	       (f & RTE_MBUF_F_TX_TCP_SEG) != 0 ||
	       (f & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_NONE;
}

/* Which word of the timestamp option a translation changes. */
enum ts_word {
	TS_NONE = -1,
	TS_VAL = 0, /* SVM->client: the SVM's clock into the PVM's */
	TS_ECR = 1, /* client->SVM: an echo of the PVM's clock into the SVM's */
};

/*
 * One walk over the options of @p th, whose header is @p hdr_len bytes:
 * add @p sack_add to every SACK edge (RFC 2018) unless it is 0, and
 * @p ts_add to word @p ts of the timestamp option (RFC 7323). A malformed
 * list stops the walk; what was translated before stays consistent with
 * the checksum delta.
 */
static uint32_t
opts_translate(struct colo_rewriter *rw, uint8_t *th, uint32_t hdr_len, uint32_t sack_add,
		enum ts_word ts, uint32_t ts_add, uint32_t delta)
{
	uint8_t *opt = th + sizeof(struct rte_tcp_hdr);
	uint32_t len = hdr_len - sizeof(struct rte_tcp_hdr);
	uint32_t i = 0, olen, edge, at;

	while (i < len && opt[i] != TCPOPT_EOL) {
		if (opt[i] == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len)
			goto bad;
		olen = opt[i + 1];
		if (opt[i] == TCPOPT_SACK && sack_add != 0) {
			if (olen < 2 + SACK_BLOCK_LEN || (olen - 2) % SACK_BLOCK_LEN != 0)
				goto bad;
			for (edge = i + 2; edge < i + olen; edge += 4)
				delta = set32(opt + edge, rd32(opt + edge) + sack_add, delta);
			ctr_add(rw, COLO_RW_CTR_SACK_BLOCKS, (olen - 2) / SACK_BLOCK_LEN);
		} else if (opt[i] == TCPOPT_TIMESTAMP && ts != TS_NONE) {
			if (olen != TCPOLEN_TIMESTAMP)
				goto bad;
			at = i + 2 + 4 * (uint32_t)ts;
			delta = set32(opt + at, rd32(opt + at) + ts_add, delta);
			ctr_add(rw, COLO_RW_CTR_TIMESTAMPS, 1);
		}
		i += olen;
	}
	return delta;
bad:
	ctr_add(rw, COLO_RW_CTR_BAD_OPTS, 1);
	return delta;
}

static void
csum_finish(struct colo_rewriter *rw, const struct rte_mbuf *m, uint8_t *th, uint32_t delta)
{
	if (csum_partial(m)) {
		ctr_add(rw, COLO_RW_CTR_CSUM_PARTIAL, 1);
		return;
	}
	wr16(th + TCP_CKSUM_OFF, csum_apply(rd16(th + TCP_CKSUM_OFF), delta));
}

/* Client->SVM: ack, SACK edges and TSecr from the PVM's space into the SVM's. */
static enum colo_rw_verdict
client_rewrite(struct colo_rewriter *rw, struct rte_mbuf *m, struct colo_pkt_meta *pm,
		const struct rw_entry *e)
{
	uint32_t offset = e->offset;
	uint32_t hdr_len = pm->payload_off - pm->l4_off;
	uint32_t delta;
	uint8_t *th;

	if (!hdr_writable(m, pm)) {
		ctr_add(rw, COLO_RW_CTR_SKIPPED, 1);
		return COLO_RW_PASS;
	}
	th = rte_pktmbuf_mtod_offset(m, uint8_t *, pm->l4_off);
	pm->tcp_ack += offset;
	delta = set32(th + TCP_ACK_OFF, pm->tcp_ack, 0);
	if (hdr_len > sizeof(struct rte_tcp_hdr))
		delta = opts_translate(rw, th, hdr_len, offset,
				(e->flags & E_TS) ? TS_ECR : TS_NONE, e->ts_off, delta);
	csum_finish(rw, m, th, delta);
	ctr_add(rw, COLO_RW_CTR_REWRITTEN, 1);
	return COLO_RW_REWRITTEN;
}

/*
 * SVM->client: seq and TSval from the SVM's space into the PVM's. Its ACK
 * and SACK edges name client bytes, the same for both VMs.
 */
static enum colo_rw_verdict
svm_rewrite(struct colo_rewriter *rw, struct rte_mbuf *m, struct colo_pkt_meta *pm,
		const struct rw_entry *e)
{
	uint32_t hdr_len = pm->payload_off - pm->l4_off;
	uint32_t delta;
	uint8_t *th;

	if (!hdr_writable(m, pm)) {
		ctr_add(rw, COLO_RW_CTR_SKIPPED, 1);
		return COLO_RW_PASS;
	}
	th = rte_pktmbuf_mtod_offset(m, uint8_t *, pm->l4_off);
	pm->tcp_seq -= e->offset;
	delta = set32(th + TCP_SEQ_OFF, pm->tcp_seq, 0);
	if ((e->flags & E_TS) && hdr_len > sizeof(struct rte_tcp_hdr))
		delta = opts_translate(rw, th, hdr_len, 0, TS_VAL, -e->ts_off, delta);
	csum_finish(rw, m, th, delta);
	ctr_add(rw, COLO_RW_CTR_REWRITTEN, 1);
	return COLO_RW_REWRITTEN;
}

/* One sequence space and one clock (or no timestamps): frames pass as they are. */
static inline bool
nothing_to_map(const struct rw_entry *e)
{
	return e->offset == 0 && (!(e->flags & E_TS) || e->ts_off == 0);
}

/* ---- public ---- */

enum colo_rw_verdict
colo_rewriter_client_to_svm(struct colo_rewriter *rw, struct rte_mbuf *m, uint64_t now_tsc)
{
	struct colo_pkt_meta *pm = colo_pkt_meta(m);
	const struct rw_entry *e;
	int32_t idx;

	if (!is_tcp(rw, pm))
		return COLO_RW_PASS;
	/* The frame's own key is client->server, and its hash is the table's. */
	idx = entry_get(rw, &pm->key, pm->hash, pm->flags, now_tsc);
	if (idx < 0)
		return COLO_RW_PASS;
	client_track(rw, idx, m, pm, now_tsc);
	e = &rw->entries[idx];
	/* Without ACK there is no ack field to map, and no SACK (RFC 2018). */
	if (!(pm->flags & COLO_PKT_F_TCP_ACK))
		return COLO_RW_PASS;
	if (!(e->flags & E_OFFSET)) {
		ctr_add(rw, COLO_RW_CTR_PENDING, 1);
		return COLO_RW_PENDING;
	}
	if (nothing_to_map(e))
		return COLO_RW_PASS;
	return client_rewrite(rw, m, pm, e);
}

/* The client->server key of a server->client frame, and its hash. */
static uint32_t
key_reverse(struct colo_key *dst, const struct colo_key *src)
{
	*dst = *src;
	memcpy(dst->src, src->dst, sizeof(dst->src));
	memcpy(dst->dst, src->src, sizeof(dst->dst));
	dst->sport = src->dport;
	dst->dport = src->sport;
	return colo_key_hash(dst);
}

enum colo_rw_verdict
colo_rewriter_svm_to_client(struct colo_rewriter *rw, struct rte_mbuf *m, uint64_t now_tsc)
{
	struct colo_pkt_meta *pm = colo_pkt_meta(m);
	const struct rw_entry *e;
	struct colo_key key;
	uint32_t hash;
	int32_t idx;

	if (!is_tcp(rw, pm))
		return COLO_RW_PASS;
	hash = key_reverse(&key, &pm->key);
	idx = entry_get(rw, &key, hash, pm->flags, now_tsc);
	if (idx < 0)
		return COLO_RW_PASS;
	svm_track(rw, idx, m, pm, now_tsc);
	e = &rw->entries[idx];
	if (!(e->flags & E_OFFSET)) {
		ctr_add(rw, COLO_RW_CTR_PENDING, 1);
		return COLO_RW_PENDING;
	}
	if (nothing_to_map(e))
		return COLO_RW_PASS;
	return svm_rewrite(rw, m, pm, e);
}

void
colo_rewriter_pvm_to_client(struct colo_rewriter *rw, const struct rte_mbuf *m, uint64_t now_tsc)
{
	const struct colo_pkt_meta *pm = colo_pkt_meta(m);
	uint32_t hash, tsval, tsecr;
	struct rw_entry *e;
	struct colo_key key;
	int32_t idx;

	if (!(pm->flags & COLO_PKT_F_TCP_SYN) || !is_tcp(rw, pm))
		return;
	hash = key_reverse(&key, &pm->key);
	idx = entry_get(rw, &key, hash, pm->flags, now_tsc);
	if (idx < 0)
		return;
	e = &rw->entries[idx];
	if (e->flags & (E_OFFSET | E_CLOSED))
		return;
	/* The PVM's own SYN is authoritative over an ISN inferred from an ACK. */
	e->hs.pvm_isn = pm->tcp_seq;
	e->flags |= E_PVM_ISN;
	if (tcp_ts(m, pm, &tsval, &tsecr)) {
		e->hs.pvm_ts = tsval;
		e->flags |= E_PVM_TS;
	}
	learn(rw, e);
}

/* After a checkpoint the SVM is a copy of the PVM: one sequence space, one clock. */
static void
reset_list(struct colo_rewriter *rw, uint32_t idx)
{
	struct rw_entry *e;

	for (; idx != NONE; idx = e->link.next) {
		e = &rw->entries[idx];
		if (!(e->flags & E_OFFSET)) {
			e->flags = (e->flags & ~(E_BOTH_ISN | E_BOTH_TS)) | E_OFFSET;
			e->fin.client_end = 0;
			e->fin.svm_end = 0;
		}
		e->flags &= ~E_TS;
		e->offset = 0;
		e->ts_off = 0;
	}
}

void
colo_rewriter_reset(struct colo_rewriter *rw)
{
	reset_list(rw, rw->live.head);
	reset_list(rw, rw->closed.head);
	ctr_add(rw, COLO_RW_CTR_RESETS, 1);
}

/* Remove entries from the old end of @p l while they are @p timeout_tsc old. */
static unsigned int
reap(struct colo_rewriter *rw, const struct colo_ilist *l, uint64_t timeout_tsc, uint64_t now_tsc,
		enum colo_rw_ctr c)
{
	unsigned int n = 0;
	uint64_t last;

	while (l->head != NONE) {
		last = rw->entries[l->head].last_tsc;
		if (now_tsc < last || now_tsc - last < timeout_tsc)
			break;
		entry_del(rw, l->head);
		n++;
	}
	ctr_add(rw, c, n);
	return n;
}

unsigned int
colo_rewriter_scan(struct colo_rewriter *rw, uint64_t now_tsc)
{
	unsigned int n;

	n = reap(rw, &rw->closed, rw->closing_tsc, now_tsc, COLO_RW_CTR_CLOSED);
	return n + reap(rw, &rw->live, rw->idle_tsc, now_tsc, COLO_RW_CTR_EXPIRED);
}

void
colo_rewriter_set_learning(struct colo_rewriter *rw, bool on)
{
	rw->learning = on;
}

int
colo_rewriter_lookup(const struct colo_rewriter *rw, const struct colo_key *key,
		struct colo_rw_info *info)
{
	const struct rw_entry *e;
	int32_t idx;

	idx = rte_hash_lookup(rw->hash, key);
	if (idx < 0)
		return -ENOENT;
	e = &rw->entries[idx];
	info->state = entry_state(e);
	info->offset = (e->flags & E_OFFSET) ? e->offset : 0;
	info->ts_offset = (e->flags & E_TS) ? e->ts_off : 0;
	info->last_tsc = e->last_tsc;
	return 0;
}

uint32_t
colo_rewriter_count(const struct colo_rewriter *rw)
{
	return rw->count;
}

size_t
colo_rewriter_bytes_per_entry(const struct colo_rewriter *rw)
{
	/* Same accounting as colo_conn_bytes_per_conn(): entry, key slot
	 * (data pointer and key, 16-byte aligned), share of main and
	 * extendable 8-entry, 64-byte buckets. */
	size_t buckets = 2 * 64 * (size_t)rte_align32pow2(rw->capacity) / 8;

	return sizeof(struct rw_entry) + RTE_ALIGN(sizeof(void *) + sizeof(struct colo_key), 16) +
	       buckets / rw->capacity;
}

uint64_t
colo_rewriter_ctr(const struct colo_rewriter *rw, enum colo_rw_ctr c)
{
	if ((unsigned int)c >= COLO_RW_CTR_MAX)
		return 0;
	return __atomic_load_n(&rw->ctr[c], __ATOMIC_RELAXED);
}

const char *
colo_rewriter_ctr_name(enum colo_rw_ctr c)
{
	if ((unsigned int)c >= COLO_RW_CTR_MAX)
		return "unknown";
	return ctr_names[c];
}

const char *
colo_rewriter_ctr_help(enum colo_rw_ctr c)
{
	if ((unsigned int)c >= COLO_RW_CTR_MAX)
		return "unknown";
	return ctr_helps[c];
}

void
colo_rewriter_params_init(struct colo_rewriter_params *p)
{
	memset(p, 0, sizeof(*p));
	p->name = "colo_rw";
	p->max_entries = COLO_RW_DEFAULT_MAX_ENTRIES;
	p->idle_timeout_ms = COLO_RW_DEFAULT_IDLE_TIMEOUT_MS;
	p->closing_timeout_ms = COLO_RW_DEFAULT_CLOSING_TIMEOUT_MS;
	p->socket_id = SOCKET_ID_ANY;
}

static struct rte_hash *
hash_create(const struct colo_rewriter_params *p)
{
	struct rte_hash_parameters hp = {
		.name = p->name,
		.entries = p->max_entries,
		.key_len = sizeof(struct colo_key),
		/* colo_key_hash(): client->SVM frames reuse the RX lcore's hash. */
		.hash_func = rte_hash_crc,
		.hash_func_init_val = 0,
		.socket_id = p->socket_id,
		/* Extendable buckets: "full" means max_entries, never a cuckoo miss. */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	return rte_hash_create(&hp);
}

struct colo_rewriter *
colo_rewriter_create(const struct colo_rewriter_params *p)
{
	uint64_t hz = p->tsc_hz != 0 ? p->tsc_hz : rte_get_tsc_hz();
	struct colo_rewriter *rw;

	if (p->name == NULL || p->max_entries < 8 || p->idle_timeout_ms == 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	rw = rte_zmalloc_socket(p->name, sizeof(*rw), RTE_CACHE_LINE_SIZE, p->socket_id);
	if (rw == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	rw->entries = rte_zmalloc_socket(p->name, sizeof(*rw->entries) * (size_t)p->max_entries,
			RTE_CACHE_LINE_SIZE, p->socket_id);
	if (rw->entries == NULL) {
		rte_errno = ENOMEM;
		goto fail;
	}
	rw->hash = hash_create(p);
	if (rw->hash == NULL)
		goto fail;
	rw->capacity = p->max_entries;
	colo_ilist_init(&rw->live);
	colo_ilist_init(&rw->closed);
	rw->idle_tsc = (uint64_t)p->idle_timeout_ms * hz / 1000;
	rw->closing_tsc = (uint64_t)p->closing_timeout_ms * hz / 1000;
	rw->learning = true;
	return rw;
fail:
	COLO_LOG(ERR, rewriter, "cannot create rewriter %s for %u entries: %s", p->name,
			p->max_entries, rte_strerror(rte_errno));
	rte_free(rw->entries);
	rte_free(rw);
	return NULL;
}

void
colo_rewriter_free(struct colo_rewriter *rw)
{
	if (rw == NULL)
		return;
	rte_hash_free(rw->hash);
	rte_free(rw->entries);
	rte_free(rw);
}
