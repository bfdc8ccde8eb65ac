/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness of the bypass rule parser (lib/colo_bypass.c): the input
 * is a rule list, then (after a NUL) keys to match. Every accepted rule must
 * format back into text that parses into the same rule and formats the same
 * (canonical form), every refused list must say why in a NUL-terminated
 * message that fits any buffer, and colo_bypass_match() must agree with a
 * matcher written here from the syntax in colo_bypass.h for every key.
 *
 * Input: rule list text [NUL key bytes...]; each key takes 38 bytes (family
 * bit, protocol, source and destination address, ports), and a few keys are
 * made from the rules' own addresses and port bounds.
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "colo_bypass.h"
#include "colo_pkt.h"
#include "fuzz_common.h"

#define TEXT_MAX 4096
#define KEY_BYTES 38
#define MAX_KEYS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FUZZ_NO_COVERAGE bool
ports_proto(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_DCCP || proto == IPPROTO_UDPLITE;
}

static FUZZ_NO_COVERAGE bool
prefix_match(const uint8_t *a, const uint8_t *p, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		if (((a[i / 8] ^ p[i / 8]) & (0x80 >> (i % 8))) != 0)
			return false;
	return true;
}

/* The rule of colo_bypass.h, one orientation. */
static FUZZ_NO_COVERAGE bool
oriented(const struct colo_bypass_rule *r, const uint8_t *s, uint16_t sp, const uint8_t *d,
		uint16_t dp)
{
	if ((r->fields & COLO_BYPASS_F_SRC) && !prefix_match(s, r->src, r->src_len))
		return false;
	if ((r->fields & COLO_BYPASS_F_DST) && !prefix_match(d, r->dst, r->dst_len))
		return false;
	if ((r->fields & COLO_BYPASS_F_SPORT) && (sp < r->sport_lo || sp > r->sport_hi))
		return false;
	if ((r->fields & COLO_BYPASS_F_DPORT) && (dp < r->dport_lo || dp > r->dport_hi))
		return false;
	return true;
}

static FUZZ_NO_COVERAGE bool
reference_match(const struct colo_bypass_set *set, const struct colo_key *k)
{
	uint16_t sp = rte_be_to_cpu_16(k->sport), dp = rte_be_to_cpu_16(k->dport);
	unsigned int i;

	if (k->family != 4 && k->family != 6)
		return false;
	for (i = 0; i < colo_bypass_set_size(set); i++) {
		const struct colo_bypass_rule *r = colo_bypass_set_rule(set, i);

		if ((r->fields & COLO_BYPASS_F_PROTO) && r->proto != k->proto)
			continue;
		if (r->family != 0 && r->family != k->family)
			continue;
		if ((r->fields & (COLO_BYPASS_F_SPORT | COLO_BYPASS_F_DPORT)) &&
				!ports_proto(k->proto))
			continue;
		if (oriented(r, k->src, sp, k->dst, dp) || oriented(r, k->dst, dp, k->src, sp))
			return true;
	}
	return false;
}

/* A rule's canonical text parses back into the same rule and the same text. */
static FUZZ_NO_COVERAGE void
check_canonical(const struct colo_bypass_rule *r)
{
	char text[COLO_BYPASS_RULE_MAX_LEN + 1], again[COLO_BYPASS_RULE_MAX_LEN + 1], err[160];
	struct colo_bypass_rule back;
	int n;

	n = colo_bypass_rule_format(r, text, sizeof(text));
	FUZZ_CHECK(n > 0 && (size_t)n == strlen(text));
	FUZZ_CHECK(colo_bypass_rule_format(r, text, 4) == -ENOSPC || n < 4);
	n = colo_bypass_rule_format(r, text, sizeof(text));
	memset(&back, 0xa5, sizeof(back));
	FUZZ_CHECK(colo_bypass_rule_parse(text, &back, err, sizeof(err)) == 0);
	FUZZ_CHECK(back.fields == r->fields && back.family == r->family);
	FUZZ_CHECK(!(r->fields & COLO_BYPASS_F_PROTO) || back.proto == r->proto);
	FUZZ_CHECK(back.src_len == r->src_len && back.dst_len == r->dst_len);
	FUZZ_CHECK(memcmp(back.src, r->src, sizeof(back.src)) == 0);
	FUZZ_CHECK(memcmp(back.dst, r->dst, sizeof(back.dst)) == 0);
	FUZZ_CHECK(back.sport_lo == r->sport_lo && back.sport_hi == r->sport_hi);
	FUZZ_CHECK(back.dport_lo == r->dport_lo && back.dport_hi == r->dport_hi);
	FUZZ_CHECK(colo_bypass_rule_format(&back, again, sizeof(again)) == n);
	FUZZ_CHECK(strcmp(again, text) == 0);
}

static FUZZ_NO_COVERAGE void
check_match(const struct colo_bypass_set *set, const struct colo_key *k)
{
	FUZZ_CHECK(colo_bypass_match(set, k) == reference_match(set, k));
}

/* Keys at and around the rules' own addresses and port bounds. */
static void
match_rule_edges(const struct colo_bypass_set *set)
{
	unsigned int i;

	for (i = 0; i < colo_bypass_set_size(set) && i < MAX_KEYS; i++) {
		const struct colo_bypass_rule *r = colo_bypass_set_rule(set, i);
		struct colo_key k;

		memset(&k, 0, sizeof(k));
		k.family = r->family != 0 ? r->family : 4;
		k.proto = (r->fields & COLO_BYPASS_F_PROTO) ? r->proto : IPPROTO_UDP;
		memcpy(k.src, r->src, sizeof(k.src));
		memcpy(k.dst, r->dst, sizeof(k.dst));
		if (k.family == 4) {
			memset(k.src + 4, 0, 12);
			memset(k.dst + 4, 0, 12);
		}
		k.sport = rte_cpu_to_be_16(r->sport_lo);
		k.dport = rte_cpu_to_be_16(r->dport_hi);
		check_match(set, &k);
		k.sport = rte_cpu_to_be_16((uint16_t)(r->sport_hi + 1));
		check_match(set, &k);
		k.dst[k.family == 4 ? 3 : 15] ^= 1;
		check_match(set, &k);
		/* The other orientation. */
		k.sport = rte_cpu_to_be_16(r->dport_lo);
		k.dport = rte_cpu_to_be_16(r->sport_hi);
		memcpy(k.src, r->dst, k.family == 4 ? 4 : 16);
		memcpy(k.dst, r->src, k.family == 4 ? 4 : 16);
		check_match(set, &k);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t err_lens[] = { 1, 8, 160 };
	char text[TEXT_MAX + 1], err[160];
	struct colo_bypass_rule rule;
	struct colo_bypass_set *set;
	const uint8_t *nul;
	size_t tlen, i, e;

	nul = memchr(data, 0, size);
	tlen = nul != NULL ? (size_t)(nul - data) : size;
	tlen = RTE_MIN(tlen, (size_t)TEXT_MAX);
	memcpy(text, data, tlen);
	text[tlen] = '\0';

	/* One rule: refused with a message that fits, or canonical. */
	for (e = 0; e < RTE_DIM(err_lens); e++) {
		memset(err, 'x', sizeof(err));
		if (colo_bypass_rule_parse(text, &rule, err, err_lens[e]) == 0) {
			check_canonical(&rule);
			break;
		}
		FUZZ_CHECK(memchr(err, '\0', err_lens[e]) != NULL);
		FUZZ_CHECK(err_lens[e] == 1 || err[0] != '\0');
	}

	/* The list. */
	memset(err, 'x', sizeof(err));
	set = colo_bypass_set_parse(text, err, sizeof(err));
	if (set == NULL) {
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		FUZZ_CHECK(err[0] != '\0');
		return 0;
	}
	FUZZ_CHECK(colo_bypass_set_size(set) <= COLO_BYPASS_MAX_RULES);
	FUZZ_CHECK(colo_bypass_set_rule(set, colo_bypass_set_size(set)) == NULL);
	for (i = 0; i < colo_bypass_set_size(set); i++)
		check_canonical(colo_bypass_set_rule(set, i));
	match_rule_edges(set);

	/* Keys from the rest of the input. */
	if (nul != NULL) {
		const uint8_t *p = nul + 1;
		size_t left = size - (size_t)(p - data);

		for (i = 0; i < MAX_KEYS && left >= KEY_BYTES; i++, p += KEY_BYTES, left -= KEY_BYTES) {
			struct colo_key k;

			memset(&k, 0, sizeof(k));
			k.family = (p[0] & 1) ? 6 : 4;
			k.proto = p[1];
			memcpy(k.src, p + 2, k.family == 4 ? 4 : 16);
			memcpy(k.dst, p + 18, k.family == 4 ? 4 : 16);
			memcpy(&k.sport, p + 34, 2);
			memcpy(&k.dport, p + 36, 2);
			if (p[0] & 2)
				k.family = 0; /* non-IP: never a match */
			check_match(set, &k);
		}
	}
	colo_bypass_set_free(set);
	return 0;
}
