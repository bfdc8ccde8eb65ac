/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit suite of lib/colo_bypass.c: the rule syntax (every good form
 * round-trips through the formatter, every bad form is refused with its
 * reason), IPv4/IPv6 prefix and port-range matching at the boundaries, and
 * set replacement while a reader thread matches. Needs no EAL.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <rte_byteorder.h>
#include <rte_cfgfile.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "colo_bypass.h"
#include "colo_pkt.h"
#include "unit.h"

#define ERR_LEN 160

/* A classified key: @p src:@p sp -> @p dst:@p dp, family from the address text. */
static struct colo_key
key(uint8_t proto, const char *src, uint16_t sp, const char *dst, uint16_t dp)
{
	struct colo_key k;
	int af = strchr(src, ':') != NULL ? AF_INET6 : AF_INET;

	memset(&k, 0, sizeof(k));
	CU_ASSERT_FATAL(inet_pton(af, src, k.src) == 1);
	CU_ASSERT_FATAL(inet_pton(af, dst, k.dst) == 1);
	k.family = af == AF_INET6 ? 6 : 4;
	k.proto = proto;
	k.sport = rte_cpu_to_be_16(sp);
	k.dport = rte_cpu_to_be_16(dp);
	return k;
}

static struct colo_bypass_set *
set_of(const char *text)
{
	char err[ERR_LEN] = "";
	struct colo_bypass_set *s = colo_bypass_set_parse(text, err, sizeof(err));

	if (s == NULL)
		fprintf(stderr, "'%s': %s\n", text, err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

static bool
match(const char *rules, struct colo_key k)
{
	struct colo_bypass_set *s = set_of(rules);
	bool m = colo_bypass_match(s, &k);

	colo_bypass_set_free(s);
	return m;
}

/* Every accepted spelling, its canonical text, and the round trip. */
static void
test_parse_good(void)
{
	static const char *const cases[][2] = {
		{ "proto=tcp,dst=10.0.0.0/8,dport=5000-5100",
				"proto=tcp,dst=10.0.0.0/8,dport=5000-5100" },
		{ " dport = 53 , proto = udp ", "proto=udp,dport=53" },
		{ "\tsrc=fd00::/64\t", "src=fd00::/64" },
		{ "src=10.1.2.3", "src=10.1.2.3/32" },
		{ "dst=fd00::1", "dst=fd00::1/128" },
		{ "proto=any", "proto=any" },
		{ "proto=any,dport=0-65535", "dport=0-65535" },
		{ "proto=132,sport=1-65535", "proto=sctp,sport=1-65535" },
		{ "proto=47", "proto=gre" },
		{ "proto=200", "proto=200" },
		{ "proto=0", "proto=0" },
		{ "src=0.0.0.0/0", "src=0.0.0.0/0" },
		{ "dst=::/0,src=fe80::/10", "src=fe80::/10,dst=::/0" },
		{ "proto=icmpv6,src=fe80::/10", "proto=icmpv6,src=fe80::/10" },
		{ "proto=udplite,sport=7,dport=7", "proto=udplite,sport=7,dport=7" },
		{ "src=10.8.0.0/13,dst=192.168.1.128/25", "src=10.8.0.0/13,dst=192.168.1.128/25" },
		{ "proto=esp", "proto=esp" },
	};
	struct colo_bypass_rule r, again;
	char err[ERR_LEN], buf[COLO_BYPASS_RULE_MAX_LEN + 1];
	unsigned int i;
	int n;

	for (i = 0; i < RTE_DIM(cases); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(colo_bypass_rule_parse(cases[i][0], &r, err, sizeof(err)), 0);
		n = colo_bypass_rule_format(&r, buf, sizeof(buf));
		CU_ASSERT_EQUAL(n, (int)strlen(cases[i][1]));
		CU_ASSERT_STRING_EQUAL(buf, cases[i][1]);
		CU_ASSERT_EQUAL(colo_bypass_rule_parse(buf, &again, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(memcmp(&r, &again, sizeof(r)), 0);
		if (strcmp(buf, cases[i][1]) != 0)
			fprintf(stderr, "'%s' -> '%s' (%s)\n", cases[i][0], buf, err);
	}
	CU_ASSERT_EQUAL(colo_bypass_rule_parse("proto=tcp,dport=80", &r, NULL, 0), 0);
	CU_ASSERT_EQUAL(colo_bypass_rule_format(&r, buf, 5), -ENOSPC);
}

/* Every refused form, with the words its reason must contain. */
static void
test_parse_bad(void)
{
	static const char *const cases[][2] = {
		{ "", "empty rule" },
		{ "  \t ", "empty rule" },
		{ "proto=tcp,,dport=1", "empty field" },
		{ "proto=tcp,", "empty field" },
		{ "proto", "'proto': missing '='" },
		{ "color=red", "'color': unknown key" },
		{ "proto=tcp,proto=udp", "'proto' given twice" },
		{ "dport=1,dport=2", "'dport' given twice" },
		{ "proto=", "'proto': empty value" },
		{ "proto=foo", "'foo': not a protocol" },
		{ "proto=256", "'256': not a protocol" },
		{ "proto=-1", "'-1': not a protocol" },
		{ "src=10.0.0.0/33", "'10.0.0.0/33': prefix length" },
		{ "src=10.0.0.0/", "'10.0.0.0/': prefix length" },
		{ "src=10.0.0.0/8x", "'10.0.0.0/8x': prefix length" },
		{ "dst=fd00::/129", "'fd00::/129': prefix length" },
		{ "src=10.0.0.1/8", "'10.0.0.1/8': src has bits set beyond /8" },
		{ "dst=fd00::1/64", "'fd00::1/64': dst has bits set beyond /64" },
		{ "src=10.128.0.0/8", "'10.128.0.0/8': src has bits set beyond /8" },
		{ "src=fd00:8000::/16", "'fd00:8000::/16': src has bits set beyond /16" },
		{ "src=10.0.0/8", "'10.0.0/8': not an IPv4 or IPv6 address" },
		{ "src=10.0.0.0 /8", "not an IPv4 or IPv6 address" },
		{ "dst=host.example", "'host.example': not an IPv4 or IPv6 address" },
		{ "src=10.0.0.0/8,dst=fd00::/8", "src is IPv4 but dst is IPv6" },
		{ "dport=70000", "'70000': not a port" },
		{ "dport=-5", "'-5': not a port" },
		{ "dport=5-", "'5-': not a port" },
		{ "sport=1x", "'1x': not a port" },
		{ "dport=1-2-3", "'1-2-3': not a port" },
		{ "dport=5100-5000", "low port above high port" },
		{ "proto=icmp,dport=1", "proto 1 has no ports" },
		{ "proto=gre,sport=1-2", "proto 47 has no ports" },
	};
	char err[ERR_LEN], longer[COLO_BYPASS_RULE_MAX_LEN + 10];
	struct colo_bypass_rule r;
	unsigned int i;

	for (i = 0; i < RTE_DIM(cases); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(colo_bypass_rule_parse(cases[i][0], &r, err, sizeof(err)), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i][1]));
		CU_ASSERT_PTR_NULL(strchr(err, '\n'));
		if (strstr(err, cases[i][1]) == NULL)
			fprintf(stderr, "'%s': got '%s', want '%s'\n", cases[i][0], err,
					cases[i][1]);
	}
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	CU_ASSERT_EQUAL(colo_bypass_rule_parse(longer, &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "longer than 255"));
	/* A short error buffer truncates, and NULL is allowed. */
	CU_ASSERT_EQUAL(colo_bypass_rule_parse("proto=foo", &r, err, 4), -EINVAL);
	CU_ASSERT_EQUAL(strlen(err), 3);
	CU_ASSERT_EQUAL(colo_bypass_rule_parse("proto=foo", &r, NULL, 0), -EINVAL);
}

static void
test_rule_list(void)
{
	char err[ERR_LEN], big[(COLO_BYPASS_MAX_RULES + 1) * 10];
	struct colo_bypass_set *s;
	unsigned int i;
	size_t off = 0;

	s = set_of("proto=tcp;\n dport=53 ;;\r\n; src=fd00::/64");
	CU_ASSERT_EQUAL(colo_bypass_set_size(s), 3);
	CU_ASSERT_EQUAL(colo_bypass_set_rule(s, 1)->dport_lo, 53);
	CU_ASSERT_PTR_NULL(colo_bypass_set_rule(s, 3));
	colo_bypass_set_free(s);
	s = set_of("");
	CU_ASSERT_EQUAL(colo_bypass_set_size(s), 0);
	colo_bypass_set_free(s);
	s = set_of("proto=tcp\r\ndport=53\r\n");
	CU_ASSERT_EQUAL(colo_bypass_set_size(s), 2);
	colo_bypass_set_free(s);

	CU_ASSERT_PTR_NULL(colo_bypass_set_parse("proto=tcp;\nbogus", err, sizeof(err)));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule 2: 'bogus': missing '=' (expected key=value)");
	for (i = 0; i <= COLO_BYPASS_MAX_RULES; i++)
		off += snprintf(big + off, sizeof(big) - off, "dport=%u;", i);
	CU_ASSERT_PTR_NULL(colo_bypass_set_parse(big, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "more than 256 rules"));
	memset(big, 'x', 600);
	big[600] = '\0';
	CU_ASSERT_PTR_NULL(colo_bypass_set_parse(big, err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "rule 1: rule longer than 255 characters");
}

/* Hand-built rules go through the same checks as parsed ones. */
static void
test_set_create_checks(void)
{
	struct colo_bypass_rule r;
	struct colo_bypass_set *s;

	CU_ASSERT_EQUAL(colo_bypass_rule_parse("src=10.0.0.0/8", &r, NULL, 0), 0);
	s = colo_bypass_set_create(&r, 1);
	CU_ASSERT_PTR_NOT_NULL(s);
	colo_bypass_set_free(s);
	r.src[3] = 1; /* host bit */
	CU_ASSERT_PTR_NULL(colo_bypass_set_create(&r, 1));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	r.src[3] = 0;
	r.family = 0; /* an address without a family */
	CU_ASSERT_PTR_NULL(colo_bypass_set_create(&r, 1));
	r.family = 4;
	r.src_len = 33;
	CU_ASSERT_PTR_NULL(colo_bypass_set_create(&r, 1));
	CU_ASSERT_EQUAL(colo_bypass_rule_parse("dport=1-2", &r, NULL, 0), 0);
	r.dport_lo = 3;
	CU_ASSERT_PTR_NULL(colo_bypass_set_create(&r, 1));
	CU_ASSERT_PTR_NULL(colo_bypass_set_create(NULL, 1));
	CU_ASSERT_PTR_NULL(colo_bypass_set_create(&r, COLO_BYPASS_MAX_RULES + 1));
}

static void
test_match_ipv4_prefixes(void)
{
	/* /13 is not byte aligned: 10.8.0.0 - 10.15.255.255. */
	CU_ASSERT_TRUE(match("dst=10.8.0.0/13", key(17, "1.1.1.1", 1, "10.8.0.0", 2)));
	CU_ASSERT_TRUE(match("dst=10.8.0.0/13", key(17, "1.1.1.1", 1, "10.15.255.255", 2)));
	CU_ASSERT_FALSE(match("dst=10.8.0.0/13", key(17, "1.1.1.1", 1, "10.7.255.255", 2)));
	CU_ASSERT_FALSE(match("dst=10.8.0.0/13", key(17, "1.1.1.1", 1, "10.16.0.0", 2)));
	CU_ASSERT_TRUE(match("src=192.168.1.7", key(6, "192.168.1.7", 1, "1.1.1.1", 2)));
	CU_ASSERT_FALSE(match("src=192.168.1.7", key(6, "192.168.1.6", 1, "1.1.1.1", 2)));
	CU_ASSERT_TRUE(match(
			"src=10.0.0.0/8,dst=10.0.0.0/8", key(6, "10.1.1.1", 1, "10.2.2.2", 2)));
	CU_ASSERT_FALSE(match(
			"src=10.0.0.0/8,dst=10.0.0.0/8", key(6, "10.1.1.1", 1, "11.2.2.2", 2)));
	/* /0 of one family never matches the other. */
	CU_ASSERT_TRUE(match("src=0.0.0.0/0", key(6, "1.2.3.4", 1, "5.6.7.8", 2)));
	CU_ASSERT_FALSE(match("src=0.0.0.0/0", key(6, "::1", 1, "::2", 2)));
}

static void
test_match_ipv6_prefixes(void)
{
	CU_ASSERT_TRUE(match("src=fd00:1::/64", key(6, "fd00:1::ffff:1", 1, "fd00::9", 2)));
	CU_ASSERT_FALSE(match("src=fd00:1::/64", key(6, "fd00:1:0:1::1", 1, "fd00::9", 2)));
	/* /127 holds ::a and ::b; the second 64-bit word decides. */
	CU_ASSERT_TRUE(match("dst=fd00::a/127", key(6, "fd00::9", 1, "fd00::b", 2)));
	CU_ASSERT_FALSE(match("dst=fd00::a/127", key(6, "fd00::9", 1, "fd00::c", 2)));
	CU_ASSERT_TRUE(match("dst=fd00::b/128", key(6, "fd00::9", 1, "fd00::b", 2)));
	CU_ASSERT_FALSE(match("dst=fd00::b/128", key(6, "fd00::9", 1, "fd00::a", 2)));
	/* fe80::/10 reaches febf:... */
	CU_ASSERT_TRUE(match("src=fe80::/10", key(58, "febf::1", 0, "::1", 0)));
	CU_ASSERT_FALSE(match("src=fe80::/10", key(58, "fec0::1", 0, "::1", 0)));
	CU_ASSERT_TRUE(match("src=::/0", key(58, "fec0::1", 0, "::1", 0)));
	CU_ASSERT_FALSE(match("src=::/0", key(1, "10.0.0.1", 0, "10.0.0.2", 0)));
}

static void
test_match_port_ranges(void)
{
	const char *r = "proto=tcp,dport=5000-5100";

	CU_ASSERT_FALSE(match(r, key(6, "1.1.1.1", 40000, "2.2.2.2", 4999)));
	CU_ASSERT_TRUE(match(r, key(6, "1.1.1.1", 40000, "2.2.2.2", 5000)));
	CU_ASSERT_TRUE(match(r, key(6, "1.1.1.1", 40000, "2.2.2.2", 5100)));
	CU_ASSERT_FALSE(match(r, key(6, "1.1.1.1", 40000, "2.2.2.2", 5101)));
	CU_ASSERT_TRUE(match("sport=0", key(17, "::1", 0, "::2", 9)));
	CU_ASSERT_TRUE(match("sport=65535", key(17, "::1", 65535, "::2", 9)));
	CU_ASSERT_FALSE(match("sport=65535", key(17, "::1", 65534, "::2", 9)));
	CU_ASSERT_TRUE(match("sport=1-2,dport=3-4", key(132, "::1", 2, "::2", 3)));
	CU_ASSERT_FALSE(match("sport=1-2,dport=3-4", key(132, "::1", 2, "::2", 5)));
}

/* One rule covers both directions of a connection, and only those. */
static void
test_match_both_directions(void)
{
	const char *r = "proto=tcp,dst=10.0.0.5,dport=22";

	CU_ASSERT_TRUE(match(r, key(6, "192.168.0.9", 40000, "10.0.0.5", 22)));
	CU_ASSERT_TRUE(match(r, key(6, "10.0.0.5", 22, "192.168.0.9", 40000)));
	CU_ASSERT_FALSE(match(r, key(6, "10.0.0.5", 40000, "192.168.0.9", 22)));
	CU_ASSERT_FALSE(match(r, key(6, "10.0.0.6", 22, "192.168.0.9", 40000)));
	/* Both ends named: the mixed pairing does not match. */
	CU_ASSERT_FALSE(match("src=10.0.0.1,dst=10.0.0.2,sport=1,dport=2",
			key(6, "10.0.0.1", 2, "10.0.0.2", 1)));
	CU_ASSERT_TRUE(match("src=10.0.0.1,dst=10.0.0.2,sport=1,dport=2",
			key(6, "10.0.0.2", 2, "10.0.0.1", 1)));
}

static void
test_match_protocols(void)
{
	struct colo_key nonip;

	CU_ASSERT_TRUE(match("proto=udp", key(17, "1.1.1.1", 1, "2.2.2.2", 2)));
	CU_ASSERT_FALSE(match("proto=udp", key(6, "1.1.1.1", 1, "2.2.2.2", 2)));
	CU_ASSERT_TRUE(match("proto=icmp", key(1, "1.1.1.1", 0, "2.2.2.2", 0)));
	CU_ASSERT_FALSE(match("proto=icmp", key(58, "::1", 0, "::2", 0)));
	/* proto=any with ports: only protocols with ports, not ICMP with zero "ports". */
	CU_ASSERT_TRUE(match("dport=0-65535", key(17, "1.1.1.1", 1, "2.2.2.2", 2)));
	CU_ASSERT_FALSE(match("dport=0-65535", key(1, "1.1.1.1", 0, "2.2.2.2", 0)));
	CU_ASSERT_FALSE(match("dport=0-65535", key(50, "1.1.1.1", 1, "2.2.2.2", 2)));
	CU_ASSERT_TRUE(match("proto=any", key(47, "1.1.1.1", 0, "2.2.2.2", 0)));
	/* Non-IP never matches, even "proto=any". */
	memset(&nonip, 0, sizeof(nonip));
	nonip.proto = 6;
	CU_ASSERT_FALSE(match("proto=any", nonip));
}

static void
test_match_sets(void)
{
	struct colo_bypass_set *s = set_of("proto=udp,dport=53; dst=fd00::/16; proto=tcp,sport=80");
	struct colo_key k;

	k = key(17, "1.1.1.1", 1, "2.2.2.2", 53);
	CU_ASSERT_TRUE(colo_bypass_match(s, &k));
	k = key(6, "fd00::1", 1, "1::2", 2);
	CU_ASSERT_TRUE(colo_bypass_match(s, &k));
	k = key(6, "1.1.1.1", 80, "2.2.2.2", 9);
	CU_ASSERT_TRUE(colo_bypass_match(s, &k));
	k = key(6, "1.1.1.1", 81, "2.2.2.2", 53);
	CU_ASSERT_FALSE(colo_bypass_match(s, &k));
	colo_bypass_set_free(s);
	s = set_of("");
	CU_ASSERT_FALSE(colo_bypass_match(s, &k));
	CU_ASSERT_FALSE(colo_bypass_match(NULL, &k));
	colo_bypass_set_free(s);
}

/* Single thread, step by step: an old set lives until the reader has moved on. */
static void
test_replace_waits_for_reader(void)
{
	struct colo_bypass *b = colo_bypass_create();
	const struct colo_bypass_set *s0, *s1;
	struct colo_key k = key(17, "1.1.1.1", 1, "2.2.2.2", 53);

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(colo_bypass_generation(b), 0);
	s0 = colo_bypass_reader_quiescent(b);
	CU_ASSERT_EQUAL(colo_bypass_set_size(s0), 0);
	CU_ASSERT_EQUAL(colo_bypass_replace(b, NULL), -EINVAL);

	CU_ASSERT_EQUAL(colo_bypass_replace(b, set_of("proto=udp")), 0);
	CU_ASSERT_EQUAL(colo_bypass_generation(b), 1);
	CU_ASSERT_EQUAL(colo_bypass_nb_retired(b), 1);
	/* The reader still uses s0: it must stay valid (ASan would see a free). */
	CU_ASSERT_FALSE(colo_bypass_match(s0, &k));
	CU_ASSERT_EQUAL(colo_bypass_synchronize(b, 0), -ETIMEDOUT);
	CU_ASSERT_EQUAL(colo_bypass_synchronize(b, 20), -ETIMEDOUT);
	CU_ASSERT_EQUAL(colo_bypass_nb_retired(b), 1);

	s1 = colo_bypass_reader_quiescent(b);
	CU_ASSERT_TRUE(colo_bypass_match(s1, &k));
	CU_ASSERT_EQUAL(colo_bypass_synchronize(b, 0), 0);
	CU_ASSERT_EQUAL(colo_bypass_nb_retired(b), 0);

	/* Two replaces without a reader pass: both retired; freed by the next replace. */
	CU_ASSERT_EQUAL(colo_bypass_replace(b, set_of("proto=tcp")), 0);
	CU_ASSERT_EQUAL(colo_bypass_replace(b, set_of("proto=icmp")), 0);
	CU_ASSERT_EQUAL(colo_bypass_nb_retired(b), 2);
	colo_bypass_reader_quiescent(b);
	CU_ASSERT_EQUAL(colo_bypass_replace(b, set_of("")), 0);
	CU_ASSERT_EQUAL(colo_bypass_nb_retired(b), 1);
	CU_ASSERT_EQUAL(colo_bypass_generation(b), 4);
	/* Free with a retired set: nothing leaks (LeakSanitizer checks). */
	colo_bypass_free(b);
	colo_bypass_free(NULL);
}

#define NB_REPLACES 300
#define RULES_PER_SET 8

struct reader_arg {
	struct colo_bypass *b;
	int stop;
	uint64_t loops;
	uint64_t torn;	   /* sets whose rules disagree: never */
	uint64_t misses;   /* the set's own key did not match: never */
	uint64_t gens;	   /* distinct sets seen */
	struct colo_key k; /* built here: CUnit asserts are not for other threads */
};

/* The compare lcore's part: once per loop, a quiescent point, then matching. */
static void *
reader(void *p)
{
	struct reader_arg *a = p;
	const struct colo_bypass_set *s, *last = NULL;
	const struct colo_bypass_rule *r0;
	struct colo_key k = a->k;
	unsigned int i;

	while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
		s = colo_bypass_reader_quiescent(a->b);
		a->loops++;
		if (s != last)
			a->gens++;
		last = s;
		if (colo_bypass_set_size(s) == 0)
			continue;
		r0 = colo_bypass_set_rule(s, 0);
		for (i = 1; i < colo_bypass_set_size(s); i++)
			if (colo_bypass_set_rule(s, i)->dport_lo != r0->dport_lo)
				a->torn++;
		k.dport = rte_cpu_to_be_16(r0->dport_lo);
		if (!colo_bypass_match(s, &k))
			a->misses++;
	}
	return NULL;
}

/* Sets replaced under a running reader; every old set is freed only once unseen. */
static void
test_replace_while_reading(void)
{
	struct reader_arg a = { .b = colo_bypass_create() };
	char text[RULES_PER_SET * 40];
	unsigned int i, j, timeouts = 0;
	size_t off;
	pthread_t t;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a.b);
	a.k = key(17, "10.0.0.1", 1, "10.0.0.2", 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, reader, &a), 0);
	for (i = 1; i <= NB_REPLACES; i++) {
		for (j = 0, off = 0; j < RULES_PER_SET; j++)
			off += snprintf(text + off, sizeof(text) - off, "proto=udp,dport=%u;", i);
		CU_ASSERT_EQUAL(colo_bypass_replace(a.b, set_of(text)), 0);
		if (i % 3 == 0 && colo_bypass_synchronize(a.b, 2000) != 0)
			timeouts++;
	}
	CU_ASSERT_EQUAL(colo_bypass_synchronize(a.b, 2000), 0);
	__atomic_store_n(&a.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(timeouts, 0);
	CU_ASSERT_EQUAL(a.torn, 0);
	CU_ASSERT_EQUAL(a.misses, 0);
	CU_ASSERT(a.gens >= NB_REPLACES / 3);
	CU_ASSERT_EQUAL(colo_bypass_nb_retired(a.b), 0);
	CU_ASSERT_EQUAL(colo_bypass_generation(a.b), NB_REPLACES);
	colo_bypass_free(a.b);
}

/*
 * config/bypass-known-divergence.ini, read as colo-proxy reads --config
 * (rte_cfgfile, ';' comments, '\;' in values), parses, and its rules match
 * the flows of docs/semantics.md K1-K4 and nothing else.
 */
static void
test_known_divergence_preset(void)
{
	const char *src = getenv("COLO_SRCDIR");
	char path[4096], err[ERR_LEN] = "";
	struct colo_bypass_set *set;
	struct rte_cfgfile *cfg;
	const char *rules;
	struct colo_key k;

	snprintf(path, sizeof(path), "%s/config/bypass-known-divergence.ini",
			src != NULL ? src : ".");
	cfg = rte_cfgfile_load(path, CFG_FLAG_GLOBAL_SECTION | CFG_FLAG_EMPTY_VALUES);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(rte_cfgfile_section_num_entries(cfg, "compare"), 1);
	rules = rte_cfgfile_get_entry(cfg, "compare", "bypass");
	CU_ASSERT_PTR_NOT_NULL_FATAL(rules);
	/* rte_cfgfile cuts a value at 255 characters without a word. */
	CU_ASSERT(strlen(rules) < CFG_VALUE_LEN - 1);
	set = colo_bypass_set_parse(rules, err, sizeof(err));
	if (set == NULL)
		fprintf(stderr, "'%s': %s\n", rules, err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(colo_bypass_set_size(set), 5);

	/* DHCP discover and offer, DHCPv6 solicit, DNS both ways, NTP. */
	k = key(IPPROTO_UDP, "0.0.0.0", 68, "255.255.255.255", 67);
	CU_ASSERT(colo_bypass_match(set, &k));
	k = key(IPPROTO_UDP, "10.0.0.254", 67, "10.0.0.5", 68);
	CU_ASSERT(colo_bypass_match(set, &k));
	k = key(IPPROTO_UDP, "fe80::1", 546, "ff02::1:2", 547);
	CU_ASSERT(colo_bypass_match(set, &k));
	k = key(IPPROTO_UDP, "10.0.0.1", 45678, "10.0.0.53", 53);
	CU_ASSERT(colo_bypass_match(set, &k));
	k = key(IPPROTO_UDP, "10.0.0.53", 53, "10.0.0.1", 45678);
	CU_ASSERT(colo_bypass_match(set, &k));
	k = key(IPPROTO_UDP, "fd00::1", 123, "fd00::7b", 123);
	CU_ASSERT(colo_bypass_match(set, &k));
	/* DAD: a neighbour solicitation from the unspecified address. */
	k = key(IPPROTO_ICMPV6, "::", 0, "ff02::1:ff00:1", 0);
	CU_ASSERT(colo_bypass_match(set, &k));
	/* Everything else is compared: a web server, DNS over TCP, other ICMPv6. */
	k = key(IPPROTO_TCP, "10.0.0.1", 80, "10.0.0.2", 40000);
	CU_ASSERT(!colo_bypass_match(set, &k));
	k = key(IPPROTO_TCP, "10.0.0.1", 45678, "10.0.0.53", 53);
	CU_ASSERT(!colo_bypass_match(set, &k));
	k = key(IPPROTO_UDP, "10.0.0.1", 12000, "10.0.0.2", 40001);
	CU_ASSERT(!colo_bypass_match(set, &k));
	k = key(IPPROTO_ICMPV6, "fe80::1", 0, "ff02::1:ff00:1", 0);
	CU_ASSERT(!colo_bypass_match(set, &k));
	k = key(IPPROTO_ICMP, "10.0.0.1", 0, "10.0.0.2", 0);
	CU_ASSERT(!colo_bypass_match(set, &k));
	colo_bypass_set_free(set);
	rte_cfgfile_close(cfg);
}

int
main(void)
{
	static const struct unit_case cases[] = {
		{ "good rules parse and format canonically", test_parse_good },
		{ "each bad form is refused with its reason", test_parse_bad },
		{ "rule lists: separators, blank rules, numbered errors", test_rule_list },
		{ "hand-built rules are checked like parsed ones", test_set_create_checks },
		{ "IPv4 prefixes match at their boundaries", test_match_ipv4_prefixes },
		{ "IPv6 prefixes match at their boundaries", test_match_ipv6_prefixes },
		{ "port ranges are inclusive", test_match_port_ranges },
		{ "a rule matches both directions of a flow", test_match_both_directions },
		{ "protocols; ports imply port-carrying protocols; non-IP never",
				test_match_protocols },
		{ "any rule of a set matches; empty and NULL sets match nothing", test_match_sets },
		{ "an old set lives until the reader passes a quiescent point",
				test_replace_waits_for_reader },
		{ "sets replaced under a running reader", test_replace_while_reading },
		{ "the known-divergence preset parses and matches what it names",
				test_known_divergence_preset },
	};

	/* Replacements log at INFO; keep the CUnit report readable. */
	rte_log_set_level_pattern("colo.*", RTE_LOG_WARNING);
	return unit_run("bypass", cases, RTE_DIM(cases));
}
