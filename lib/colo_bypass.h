/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-flow bypass rules: their text syntax, immutable compiled rule sets,
 * a match over a classified packet's key, and an RCU-like holder through
 * which control threads replace the set while the compare lcore reads it.
 * What a match does to a frame (sent at once, counted) is the app's call.
 */
#ifndef COLO_BYPASS_H
#define COLO_BYPASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "colo_pkt.h"

/*
 * Rule text: comma-separated key=value fields in any order, each key at
 * most once; blanks around fields, keys and values are ignored.
 *
 *   proto=any|tcp|udp|icmp|icmpv6|sctp|dccp|udplite|gre|esp|ah|<0-255>
 *   src=<IPv4 or IPv6 address>[/<prefix length>]   (no length: the host)
 *   dst=<IPv4 or IPv6 address>[/<prefix length>]
 *   sport=<port>[-<port>]                          (inclusive, 0-65535)
 *   dport=<port>[-<port>]
 *
 * An omitted field matches anything; a rule has at least one field
 * ("proto=any" alone matches every IP frame). An address narrows the rule
 * to its family, so src and dst must be of one family, and bits beyond
 * the prefix length must be zero. Ports need proto tcp, udp, sctp, dccp or
 * udplite, or proto any (then only those five protocols match).
 *
 * A rule names a flow in either orientation: a frame matches when
 * (src, sport, dst, dport) or (dst, dport, src, sport) fits, so one rule
 * covers both directions of a connection. Non-IP frames never match; IP
 * fragments carry no ports (0).
 *
 * A rule list separates rules with ';' or newlines; empty rules are
 * skipped, so an empty list is a valid set that matches nothing. Example:
 *   "proto=tcp,dst=10.0.0.0/8,dport=5000-5100; proto=udp,dport=53; src=fd00::/64"
 */

/** Longest rule text, in characters. */
#define COLO_BYPASS_RULE_MAX_LEN 255
/** Most rules in one set. */
#define COLO_BYPASS_MAX_RULES 256

/* Fields a rule constrains (struct colo_bypass_rule.fields). */
#define COLO_BYPASS_F_PROTO 0x01 /**< proto is a specific protocol */
#define COLO_BYPASS_F_SRC 0x02	 /**< src/src_len given */
#define COLO_BYPASS_F_DST 0x04	 /**< dst/dst_len given */
#define COLO_BYPASS_F_SPORT 0x08 /**< sport range given */
#define COLO_BYPASS_F_DPORT 0x10 /**< dport range given */

/** One parsed rule. Fields not named in @c fields match anything. */
struct colo_bypass_rule {
	uint8_t fields;	 /**< COLO_BYPASS_F_* */
	uint8_t family;	 /**< 4 or 6 when an address is given, else 0 (either) */
	uint8_t proto;	 /**< IPPROTO_*, with COLO_BYPASS_F_PROTO */
	uint8_t src_len; /**< prefix length in bits */
	uint8_t dst_len;
	uint8_t src[16]; /**< network order, IPv4 in the first 4 bytes (as colo_key) */
	uint8_t dst[16];
	uint16_t sport_lo; /**< host order, inclusive; 0-65535 when not given */
	uint16_t sport_hi;
	uint16_t dport_lo;
	uint16_t dport_hi;
};

/** An immutable, compiled set of rules; opaque. */
struct colo_bypass_set;

/** The published set and its readers; opaque. */
struct colo_bypass;

/**
 * Parse one rule. On error write a one-line reason into @p err (quoting
 * the offending text) and leave @p r unspecified.
 *
 * @return 0, or -EINVAL.
 */
int colo_bypass_rule_parse(const char *text, struct colo_bypass_rule *r, char *err, size_t err_len);

/**
 * Write the canonical text of @p r (fields in syntax order, addresses with
 * their prefix length); parsing it gives @p r back.
 *
 * @return the text length, or -ENOSPC when @p len is too small.
 */
int colo_bypass_rule_format(const struct colo_bypass_rule *r, char *buf, size_t len);

/**
 * Compile @p nb_rules rules (copied) into a new set. Control path: allocates.
 *
 * @return the set, or NULL with rte_errno set (EINVAL: too many rules or a
 *   rule that colo_bypass_rule_parse() would refuse; ENOMEM).
 */
struct colo_bypass_set *colo_bypass_set_create(
		const struct colo_bypass_rule *rules, unsigned int nb_rules);

/**
 * Parse a rule list (see above) into a new set. On a bad rule write
 * "rule <n>: <reason>" into @p err.
 *
 * @return the set, or NULL with rte_errno set (EINVAL, ENOMEM).
 */
struct colo_bypass_set *colo_bypass_set_parse(const char *text, char *err, size_t err_len);

/** Free a set that was never published; NULL is a no-op. */
void colo_bypass_set_free(struct colo_bypass_set *set);

/** Number of rules in @p set; 0 lets the caller skip matching altogether. */
unsigned int colo_bypass_set_size(const struct colo_bypass_set *set);

/** Rule @p i of @p set (for listing), or NULL past the end. */
const struct colo_bypass_rule *colo_bypass_set_rule(
		const struct colo_bypass_set *set, unsigned int i);

/**
 * Whether a frame with key @p key (as colo_pkt_classify() filled it)
 * matches a rule of @p set. Rules are tried in order; cost is linear in
 * the number of rules. Any thread; a NULL set matches nothing.
 */
bool colo_bypass_match(const struct colo_bypass_set *set, const struct colo_key *key);

/**
 * Create a holder publishing an empty set (generation 0).
 *
 * @return the holder, or NULL with rte_errno set (ENOMEM).
 */
struct colo_bypass *colo_bypass_create(void);

/** Free @p b, its published set and every retired one. The reader must have stopped. */
void colo_bypass_free(struct colo_bypass *b);

/**
 * Publish @p set (the holder takes it) as the next generation, retire the
 * previous set, and free retired sets the reader no longer sees. Never
 * waits. Any control thread; writers are serialised by a mutex.
 *
 * @return 0, or -EINVAL when @p set is NULL.
 */
int colo_bypass_replace(struct colo_bypass *b, struct colo_bypass_set *set);

/**
 * Wait until every retired set is freed, that is until the reader has
 * passed a quiescent point after the last replace. Control threads only.
 *
 * @return 0, or -ETIMEDOUT after @p wait_ms (sets stay retired, freed later).
 */
int colo_bypass_synchronize(struct colo_bypass *b, uint32_t wait_ms);

/**
 * Reader side, from the one lcore that matches: declare a quiescent point
 * (no set obtained before this call is used after it) and get the set to
 * use until the next call. Call it once per loop; it costs two loads and,
 * after a replace, one store.
 */
const struct colo_bypass_set *colo_bypass_reader_quiescent(struct colo_bypass *b);

/** Generation of the published set: 0 at creation, +1 per replace. Any thread. */
uint64_t colo_bypass_generation(const struct colo_bypass *b);

/** Number of replaced sets not freed yet. Any thread; may be stale. */
unsigned int colo_bypass_nb_retired(const struct colo_bypass *b);

#endif /* COLO_BYPASS_H */
