/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters. Each lcore is the only writer of its own cache-aligned
 * struct colo_stats; readers (telemetry, --stats-json) sum all of them
 * without locks and accept slightly stale values. Every family is one
 * X-macro list giving the enum, the exported name and the help text.
 */
#ifndef COLO_STATS_H
#define COLO_STATS_H

#include <stdint.h>

#include <rte_common.h>

/* clang-format off */
#define COLO_CTRS(X)                                                                       \
	X(PRIMARY_RX, "primary_rx", "frames received from the primary VM")                \
	X(SECONDARY_RX, "secondary_rx", "frames received from the secondary VM")          \
	X(RELEASED, "released", "primary frames transmitted on the outbound port")        \
	X(INGRESS_RX, "ingress_rx", "client frames received on the outbound port")        \
	X(INGRESS_TO_PRIMARY, "ingress_to_primary", "client frames sent to the primary")  \
	X(INGRESS_TO_SECONDARY, "ingress_to_secondary", "client frames mirrored to the secondary") \
	X(INGRESS_DROP, "ingress_drop", "client frames a VM port refused")                \
	X(INGRESS_DROP_LINK_CONTROL, "ingress_drop_link_control", "client frames with the link ethertype, dropped (docs/security.md)") \
	X(HOLD_ACK, "hold_ack", "times a verified TCP segment waited for the secondary ACK") \
	X(CKPT_REQUESTS, "checkpoint_requests", "checkpoint requests issued")              \
	X(CKPT_COALESCED, "checkpoint_coalesced", "triggers while a request was outstanding") \
	X(FLUSHES, "flushes", "checkpoint-done flushes")                                  \
	X(CONN_CREATED, "conn_created", "connections created")                            \
	X(CONN_CLOSED, "conn_closed", "connections removed after FIN/RST")                \
	X(CONN_EXPIRED, "conn_expired", "connections removed after idle timeout")         \
	X(CONN_EVICTED, "conn_evicted", "connections evicted because the table was full") \
	X(TX_RETRY, "tx_retry", "TX bursts the outbound port did not fully accept")       \
	X(NOTIFY_ERRORS, "notify_errors", "bad records on the notify socket")             \
	X(TELEMETRY_REFUSED, "telemetry_refused", "telemetry commands refused: bad failover or bypass parameters") \
	X(LINK_EVENTS, "link_events", "port link up/down events")                         \
	X(SYN_MIRROR_TX, "syn_mirror_tx", "PVM SYN/SYN-ACK copies sent over the link")    \
	X(SYN_MIRROR_DROP, "syn_mirror_drop", "PVM SYN/SYN-ACK copies not sent (no mbuf, link full)") \
	X(SYN_MIRROR_RX, "syn_mirror_rx", "PVM SYN/SYN-ACK copies received over the link") \
	X(SVM_RX, "svm_rx", "frames received from the SVM (secondary role)")              \
	X(SVM_TO_LINK, "svm_to_link", "SVM frames sent to the primary host")              \
	X(SVM_TO_OUTBOUND, "svm_to_outbound", "SVM frames sent to the clients after failover") \
	X(SVM_TX_DROP, "svm_tx_drop", "SVM frames the link or outbound port refused")     \
	X(LINK_RX, "link_rx", "frames received over the link (secondary role)")           \
	X(CLIENT_TO_SVM, "client_to_svm", "client frames delivered to the SVM")           \
	X(CLIENT_TX_DROP, "client_tx_drop", "client frames the SVM port refused")         \
	X(LINK_IGNORED, "link_ignored", "link frames freed: after failover, or a bad encapsulation") \
	X(LINK_CONTROL_FORGED, "link_control_forged", "link control frames refused: wrong source MAC, authenticator wrong or missing") \
	X(LINK_CONTROL_REPLAYED, "link_control_replayed", "authentic link control frames refused: counter already seen") \
	X(OUTBOUND_IGNORED, "outbound_ignored", "outbound frames freed before failover (secondary role)") \
	X(REWRITE_HELD, "rewrite_held", "SVM frames held until their TCP offset was known") \
	X(REWRITE_HOLD_EXPIRED, "rewrite_hold_expired", "held SVM frames sent unmapped after rewrite_hold") \
	X(FAILOVERS, "failovers", "failovers performed (0 or 1)")

#define COLO_PARSE_ERRS(X)                                                                 \
	X(RUNT, "runt", "frame shorter than an Ethernet header")                          \
	X(VLAN_TRUNC, "vlan_trunc", "VLAN tag cut by the end of the frame")               \
	X(VLAN_DEPTH, "vlan_depth", "more than two VLAN tags")                            \
	X(IP4_TRUNC, "ip4_trunc", "frame shorter than a minimal IPv4 header")             \
	X(IP4_VERSION, "ip4_version", "IPv4 ethertype but version field is not 4")        \
	X(IP4_IHL, "ip4_ihl", "IPv4 IHL below 5 or beyond the frame")                     \
	X(IP4_LEN, "ip4_len", "IPv4 total length below the header or beyond the frame")   \
	X(IP6_TRUNC, "ip6_trunc", "frame shorter than an IPv6 header")                    \
	X(IP6_VERSION, "ip6_version", "IPv6 ethertype but version field is not 6")        \
	X(IP6_LEN, "ip6_len", "IPv6 payload length beyond the frame")                     \
	X(IP6_EXT_TRUNC, "ip6_ext_trunc", "IPv6 extension header beyond the datagram")    \
	X(IP6_EXT_CHAIN, "ip6_ext_chain", "IPv6 extension chain too long")                \
	X(TCP_TRUNC, "tcp_trunc", "datagram shorter than a TCP header")                   \
	X(TCP_DOFF, "tcp_doff", "TCP data offset below 5 or beyond the datagram")         \
	X(UDP_TRUNC, "udp_trunc", "datagram shorter than a UDP header")                   \
	X(UDP_LEN, "udp_len", "UDP length below 8 or beyond the datagram")                \
	X(ICMP_TRUNC, "icmp_trunc", "datagram shorter than an ICMP header")               \
	X(L4_TRUNC, "l4_trunc", "datagram too short for the ports or SPI of its protocol")

#define COLO_DROP_REASONS(X)                                                               \
	X(RING_FULL, "ring_full", "RX->compare ring had no room")                         \
	X(QUEUE_FULL, "queue_full", "connection primary queue at max_queue")              \
	X(OUT_FULL, "out_full", "release ring had no room")                               \
	X(TX_FAILED, "tx_failed", "outbound port refused the frame at shutdown")

#define COLO_DISCARD_REASONS(X)                                                            \
	X(MATCH, "match", "secondary bytes matched the primary")                          \
	X(VERIFIED, "verified", "secondary bytes were already verified (retransmission)") \
	X(NONIP, "nonip", "non-IP secondary frame (not compared by policy)")              \
	X(MALFORMED, "malformed", "malformed secondary frame")                            \
	X(FLUSH, "flush", "dropped by a checkpoint flush")                                \
	X(STALE, "stale", "received before the last checkpoint")                          \
	X(EVICT, "evict", "connection evicted")                                           \
	X(RING_FULL, "ring_full", "RX->compare ring had no room")                         \
	X(QUEUE_FULL, "queue_full", "connection secondary queue at max_queue")            \
	X(SHUTDOWN, "shutdown", "freed at shutdown")                                      \
	X(NOCONN, "noconn", "no connection slot could be had")                            \
	X(BYPASS, "bypass", "the flow matches a bypass rule")                             \
	X(FAILOVER, "failover", "the secondary is ignored after a failover")

#define COLO_RELEASE_REASONS(X)                                                            \
	X(MATCH, "match", "bytes verified against the secondary")                         \
	X(VERIFIED, "verified", "retransmission of already verified bytes")               \
	X(NONIP, "nonip", "non-IP frame passed uncompared")                               \
	X(MALFORMED, "malformed", "malformed frame passed uncompared")                    \
	X(FLUSH, "flush", "released by a checkpoint flush")                               \
	X(STALE, "stale", "received before the last checkpoint")                          \
	X(EVICT, "evict", "connection evicted")                                           \
	X(SHUTDOWN, "shutdown", "released at shutdown")                                   \
	X(NOCONN, "noconn", "no connection slot could be had; passed uncompared")         \
	X(BYPASS, "bypass", "the flow matches a bypass rule; passed uncompared")          \
	X(FAILOVER, "failover", "passed uncompared after a failover")

#define COLO_CKPT_REASONS(X)                                                               \
	X(MISMATCH_TCP, "mismatch_tcp", "TCP bytes at the same sequence differ")          \
	X(MISMATCH_UDP, "mismatch_udp", "UDP datagrams differ")                           \
	X(MISMATCH_ICMP, "mismatch_icmp", "ICMP messages differ")                         \
	X(MISMATCH_OTHER, "mismatch_other", "other IP datagrams differ")                  \
	X(MISMATCH_NONIP, "mismatch_nonip", "non-IP frames differ")                       \
	X(TIMEOUT_PRIMARY, "timeout_primary", "primary waited past compare_timeout")      \
	X(TIMEOUT_SECONDARY, "timeout_secondary", "secondary waited past compare_timeout") \
	X(TIMEOUT_ACK, "timeout_ack", "verified segment held by the ACK rule past compare_timeout") \
	X(QUEUE_FULL, "queue_full", "primary queue of a connection is full")              \
	X(MANUAL, "manual", "requested by the operator")
/* clang-format on */

#define COLO_ENUM_ENTRY(sym, name, help) COLO_##sym,

enum colo_ctr { COLO_CTRS(COLO_ENUM_ENTRY) COLO_CTR_MAX };

#undef COLO_ENUM_ENTRY
#define COLO_ENUM_ENTRY(sym, name, help) COLO_PARSE_ERR_##sym,
/** Why a frame is malformed; 0 is reserved for "no error". */
enum colo_parse_err { COLO_PARSE_OK = 0, COLO_PARSE_ERRS(COLO_ENUM_ENTRY) COLO_PARSE_ERR_MAX };
#undef COLO_ENUM_ENTRY
#define COLO_ENUM_ENTRY(sym, name, help) COLO_DROP_##sym,
enum colo_drop_reason { COLO_DROP_REASONS(COLO_ENUM_ENTRY) COLO_DROP_MAX };
#undef COLO_ENUM_ENTRY
#define COLO_ENUM_ENTRY(sym, name, help) COLO_DISCARD_##sym,
enum colo_discard_reason { COLO_DISCARD_REASONS(COLO_ENUM_ENTRY) COLO_DISCARD_MAX };
#undef COLO_ENUM_ENTRY
#define COLO_ENUM_ENTRY(sym, name, help) COLO_REL_##sym,
enum colo_release_reason { COLO_RELEASE_REASONS(COLO_ENUM_ENTRY) COLO_REL_MAX };
#undef COLO_ENUM_ENTRY
#define COLO_ENUM_ENTRY(sym, name, help) COLO_CKPT_##sym,
enum colo_ckpt_reason { COLO_CKPT_REASONS(COLO_ENUM_ENTRY) COLO_CKPT_REASON_MAX };
#undef COLO_ENUM_ENTRY

/** Counters of one lcore. Single writer: the owning lcore. */
struct colo_stats {
	uint64_t ctr[COLO_CTR_MAX];
	uint64_t parse_err[COLO_PARSE_ERR_MAX]; /**< index 0 unused */
	uint64_t drop[COLO_DROP_MAX];		/**< primary frames lost */
	uint64_t discard[COLO_DISCARD_MAX];	/**< secondary frames freed */
	uint64_t release[COLO_REL_MAX];		/**< why primaries were released */
	uint64_t trigger[COLO_CKPT_REASON_MAX]; /**< checkpoint triggers, coalesced or not */
} __rte_cache_aligned;

/** Add @p n to a counter owned by the calling lcore; readers never see a torn value. */
static inline void
colo_stat_add(uint64_t *ctr, uint64_t n)
{
	__atomic_store_n(ctr, *ctr + n, __ATOMIC_RELAXED);
}

/** Add every counter of @p nb_src structs in @p src into @p dst (reader side). */
void colo_stats_sum(struct colo_stats *dst, const struct colo_stats *src, unsigned int nb_src);

/** Sum of a family, e.g. all drop reasons. */
uint64_t colo_stats_total(const uint64_t *family, unsigned int nb);

/**
 * Call @p cb once per counter with its exported name ("primary_rx",
 * "drop_ring_full", "parse_err_ip4_ihl", "trigger_mismatch_tcp", ...).
 */
void colo_stats_foreach(const struct colo_stats *st,
		void (*cb)(const char *name, uint64_t value, void *arg), void *arg);

/** Exported name of checkpoint reason @p r ("mismatch_tcp"), or "unknown". */
const char *colo_ckpt_reason_name(enum colo_ckpt_reason r);

/** Exported name of parse error @p e ("ip4_ihl"), or "ok"/"unknown". */
const char *colo_parse_err_name(enum colo_parse_err e);

/** Help text of a counter family member, for --help and telemetry /help. */
const char *colo_ctr_help(enum colo_ctr c);

#endif /* COLO_STATS_H */
