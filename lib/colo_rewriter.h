/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP sequence rewriter of the secondary host (docs/semantics.md R1-R13): maps
 * the SVM's sequence space onto the PVM's, per connection, for IPv4 and
 * IPv6, with SACK translation, RFC 1624 checksum updates and bounded state.
 * It only edits classified mbufs in place; ports, rings and the notify
 * socket belong to the app. Single writer: one lcore owns a rewriter.
 */
#ifndef COLO_REWRITER_H
#define COLO_REWRITER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "colo_pkt.h"

/*
 * Policy, in one place (docs/semantics.md rows R1-R12 say it as a table):
 *
 * Directions. "Client" is the peer outside the VM, whatever opened the
 * connection. Client->SVM frames are the mirrored client frames: their ACK
 * (and SACK edges, which name server bytes) is in the PVM's space and gets
 * += offset. SVM->client frames get seq -= offset; their ACK and SACK edges
 * name client bytes, which both VMs see alike, so they are left alone.
 *
 * Timestamps (RFC 7323). Each VM stamps TSval with its own clock, and the
 * client echoes the PVM's in TSecr. Since Linux 6.14 (commit 3ba075278c11,
 * also in stable kernels) a server in SYN_RECV drops a handshake ACK whose
 * TSecr is not one of the TSvals of its SYN-ACKs, so an SVM given the
 * PVM's echo never completes the handshake. When both handshake frames
 * carry timestamps, ts_offset = SVM TSval - PVM TSval is learned with the
 * ISNs (the PVM's TSval from its mirrored SYN, else the client's first
 * TSecr): client->SVM TSecr += ts_offset, SVM->client TSval -= ts_offset.
 *
 * Learning (offset = SVM ISN - PVM ISN, mod 2^32). A SYN in any direction
 * creates the entry. The SVM ISN is the seq of the SVM's SYN or SYN-ACK.
 * The PVM ISN is, first choice, the seq of the PVM's own SYN or SYN-ACK
 * when the app feeds a mirror of the primary's output to
 * colo_rewriter_pvm_to_client(); otherwise it is ack - 1 of the first
 * client->SVM segment carrying an ACK: the client's handshake ACK when the
 * client opened (passive open), the peer's SYN-ACK when the guest opened
 * (active open). Both opens are therefore learned, in either arrival order.
 * Until both ISNs are known, frames that need translation pass unchanged
 * and the call returns COLO_RW_PENDING; calling again with the same frame
 * is safe. The compare engine wants SYNs at the same sequence place on both
 * sides (docs/semantics.md T10), so an SVM SYN-ACK that leaves unmapped
 * costs a checkpoint: feed the PVM mirror and hold PENDING frames briefly.
 *
 * Self-healing. A wrong or missing offset makes the SVM's stream differ,
 * which costs one checkpoint; the checkpoint makes the SVM a copy of the
 * PVM, and colo_rewriter_reset() then sets every offset to 0, which is
 * right for every connection that existed at that point.
 *
 * Teardown. Both FINs acknowledged, or an RST in either direction, closes
 * an entry: it keeps translating (retransmitted FINs, last ACKs) for
 * closing_timeout_ms, then colo_rewriter_scan() removes it. A SYN on a
 * closed entry starts a new connection (port reuse). An entry idle for
 * idle_timeout_ms is removed too. A full table first reclaims the oldest
 * closed entry, else evicts the least recently active one (counted, first
 * one logged): nothing leaks and nothing is wiped.
 *
 * Untouched: fragments, and frames that cannot be edited in place
 * (counted as skipped). The compare engine ignores options, so a clock
 * drift between the VMs after the handshake costs nothing.
 *
 * Checksum offload. When an mbuf says its TCP checksum is only the
 * pseudo-header sum (TX_TCP_CKSUM or TX_TCP_SEG requested, or
 * RX_L4_CKSUM_NONE from virtio/vhost), seq, ack and SACK are rewritten and
 * the checksum field is left alone: the pseudo-header does not cover them
 * and whoever completes the checksum covers the new values.
 */

/* clang-format off */
#define COLO_RW_CTRS(X)                                                                    \
	X(REWRITTEN, "rewritten", "segments whose seq, ack or SACK edges were translated") \
	X(PENDING, "pending", "segments passed unchanged because the offset was not known yet") \
	X(NO_STATE, "no_state", "segments of untracked connections, passed unchanged")    \
	X(SKIPPED, "skipped", "TCP fragments, split headers or shared mbufs left unchanged") \
	X(CSUM_PARTIAL, "csum_partial", "rewritten segments whose checksum is left to offload") \
	X(SACK_BLOCKS, "sack_blocks", "SACK blocks translated")                           \
	X(TIMESTAMPS, "timestamps", "timestamp options translated (SVM TSval, client TSecr)") \
	X(BAD_OPTS, "bad_opts", "segments with malformed TCP options (SACK not translated)") \
	X(CREATED, "created", "entries created by a SYN")                                 \
	X(LEARNED, "learned", "offsets learned from a handshake")                         \
	X(RESTARTED, "restarted", "closed entries reused by a new SYN")                   \
	X(NOT_LEARNING, "not_learning", "SYNs of new connections ignored: learning is off") \
	X(CLOSED, "closed", "entries removed after FIN/FIN/ACK or RST")                   \
	X(EXPIRED, "expired", "entries removed after idle_timeout_ms")                    \
	X(EVICTED, "evicted", "live entries evicted because the table was full")          \
	X(RESETS, "resets", "checkpoint resets: every offset set to 0")
/* clang-format on */

#define COLO_ENUM_ENTRY(sym, name, help) COLO_RW_CTR_##sym,
/** Rewriter counters; see COLO_RW_CTRS for names and help. */
enum colo_rw_ctr { COLO_RW_CTRS(COLO_ENUM_ENTRY) COLO_RW_CTR_MAX };
#undef COLO_ENUM_ENTRY

/** What a rewrite call did to a frame. */
enum colo_rw_verdict {
	COLO_RW_PASS = 0,      /**< unchanged: not TCP, untracked, offset 0, or nothing to map */
	COLO_RW_REWRITTEN = 1, /**< fields translated; checksum updated (or left to offload) */
	COLO_RW_PENDING = 2,   /**< tracked, offset not known yet: unchanged, may be retried */
};

/** Life of an entry, as colo_rewriter_lookup() reports it. */
enum colo_rw_state {
	COLO_RW_STATE_LEARNING = 0, /**< SYN seen; one or both ISNs missing */
	COLO_RW_STATE_OPEN = 1,	    /**< offset known */
	COLO_RW_STATE_CLOSING = 2,  /**< offset known, at least one FIN seen */
	COLO_RW_STATE_CLOSED = 3,   /**< both FINs acknowledged or RST: lingering */
};

#define COLO_RW_DEFAULT_MAX_ENTRIES 16384
#define COLO_RW_DEFAULT_IDLE_TIMEOUT_MS 600000
#define COLO_RW_DEFAULT_CLOSING_TIMEOUT_MS 5000

/** Parameters of colo_rewriter_create(). */
struct colo_rewriter_params {
	const char *name;	  /**< unique among hash tables of the process */
	uint32_t max_entries;	  /**< table size, >= 8; bytes: colo_rewriter_bytes_per_entry() */
	uint32_t idle_timeout_ms; /**< an entry without packets for this long is removed */
	uint32_t closing_timeout_ms; /**< a closed entry keeps translating this long */
	uint64_t tsc_hz;	     /**< TSC ticks per second; 0 means rte_get_tsc_hz() */
	int socket_id;		     /**< NUMA socket of the table, or SOCKET_ID_ANY */
};

/** What colo_rewriter_lookup() tells about one connection. */
struct colo_rw_info {
	enum colo_rw_state state;
	uint32_t offset;   /**< SVM ISN - PVM ISN; 0 until learned and after a reset */
	uint32_t ts_offset; /**< SVM TSval - PVM TSval; 0 without timestamps, until learned
			     *   and after a reset */
	uint64_t last_tsc; /**< last packet, or the moment it closed */
};

struct colo_rewriter;

/** Fill @p p with the defaults above, name "colo_rw", SOCKET_ID_ANY. */
void colo_rewriter_params_init(struct colo_rewriter_params *p);

/**
 * Create a rewriter with an empty table. Learning is on.
 *
 * @return the rewriter, or NULL with rte_errno set (EINVAL for a bad
 *   parameter, ENOMEM, EEXIST when the name is taken).
 */
struct colo_rewriter *colo_rewriter_create(const struct colo_rewriter_params *p);

/** Free @p rw and its table; NULL is a no-op. */
void colo_rewriter_free(struct colo_rewriter *rw);

/**
 * Translate a classified client->SVM frame (a mirrored client frame) in
 * place: ack and SACK edges += offset, TSecr += ts_offset. Learns the PVM
 * ISN (and handshake TSval) from the first ACK.
 * Owning lcore only.
 *
 * @return what was done; never fails as a whole (odd frames are counted).
 */
enum colo_rw_verdict colo_rewriter_client_to_svm(
		struct colo_rewriter *rw, struct rte_mbuf *m, uint64_t now_tsc);

/**
 * Translate a classified SVM->client frame (SVM output) in place:
 * seq -= offset, TSval -= ts_offset. Learns the SVM ISN (and TSval) from
 * its SYN or SYN-ACK.
 * Owning lcore only.
 *
 * @return what was done; never fails as a whole (odd frames are counted).
 */
enum colo_rw_verdict colo_rewriter_svm_to_client(
		struct colo_rewriter *rw, struct rte_mbuf *m, uint64_t now_tsc);

/**
 * Learn the PVM ISN and TSval from a classified frame of the primary's
 * output (a mirror, when the deployment provides one). Only SYNs matter; the frame is
 * never modified. Owning lcore only.
 */
void colo_rewriter_pvm_to_client(
		struct colo_rewriter *rw, const struct rte_mbuf *m, uint64_t now_tsc);

/**
 * Checkpoint done: set the offsets of every entry to 0 (the SVM is now a
 * copy of the PVM, clock included), including entries still learning.
 * Owning lcore only.
 */
void colo_rewriter_reset(struct colo_rewriter *rw);

/**
 * Remove closed entries older than closing_timeout_ms and entries idle for
 * idle_timeout_ms. Cost is proportional to what is removed. Owning lcore.
 *
 * @return the number of entries removed.
 */
unsigned int colo_rewriter_scan(struct colo_rewriter *rw, uint64_t now_tsc);

/**
 * Turn learning of new connections on or off (off after a failover: known
 * connections keep being translated, new ones pass untouched). Owning lcore.
 */
void colo_rewriter_set_learning(struct colo_rewriter *rw, bool on);

/**
 * Look up the connection of @p key, given client->server (as a client->SVM
 * frame has it). The owning lcore, or another thread while it is stopped.
 *
 * @return 0 with @p info filled, or -ENOENT.
 */
int colo_rewriter_lookup(const struct colo_rewriter *rw, const struct colo_key *key,
		struct colo_rw_info *info);

/** Number of entries in the table. */
uint32_t colo_rewriter_count(const struct colo_rewriter *rw);

/** Bytes of state per entry: entry, key slot and hash bucket share. */
size_t colo_rewriter_bytes_per_entry(const struct colo_rewriter *rw);

/** Counter @p c of @p rw; any thread (relaxed read of a single-writer counter). */
uint64_t colo_rewriter_ctr(const struct colo_rewriter *rw, enum colo_rw_ctr c);

/** Exported name of counter @p c ("rewriter_rewritten"), or "unknown". */
const char *colo_rewriter_ctr_name(enum colo_rw_ctr c);

/** Help text of counter @p c, or "unknown". */
const char *colo_rewriter_ctr_help(enum colo_rw_ctr c);

#endif /* COLO_REWRITER_H */
