/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-flow bypass: the rule parser and formatter, rule sets compiled into
 * address masks, the match, and the generation-based publication of sets
 * (one reader acknowledging generations, writers freeing what it no longer
 * sees). The syntax is documented once, in colo_bypass.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_errno.h>

#include "colo_bypass.h"
#include "colo_log.h"

/* A rule with its addresses as masks, for a branch-light match. */
struct crule {
	uint64_t src_val[2], src_mask[2];
	uint64_t dst_val[2], dst_mask[2];
	struct colo_bypass_rule r;
};

struct colo_bypass_set {
	struct colo_bypass_set *retired_next; /* writers only, once retired */
	uint64_t safe_gen; /* free once the reader acknowledged this generation */
	unsigned int nb_rules;
	struct crule rules[];
};

struct colo_bypass {
	struct colo_bypass_set *cur;	 /* writers store (release); the reader loads (acquire) */
	uint64_t gen;			 /* writers store (release) after cur; the reader loads */
	uint64_t reader_gen;		 /* the reader stores (release); writers load (acquire) */
	pthread_mutex_t lock;		 /* serialises writers */
	struct colo_bypass_set *retired; /* writers only, under lock */
	unsigned int nb_retired;	 /* writers store under lock; any thread reads */
};

/* How often colo_bypass_synchronize() looks at the reader. */
#define SYNC_POLL_NS 100000


static int fail(char *err, size_t err_len, const char *fmt, ...) __rte_format_printf(3, 4);

/* Write a one-line reason into @p err (when given) and return -EINVAL. */
static int
fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && err_len != 0) {
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* ---- parsing ---- */

/* Strict decimal: digits only, at most @p max. */
static bool
parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

static int
parse_proto(const char *v, struct colo_bypass_rule *r, char *err, size_t err_len)
{
	unsigned long n;
	unsigned int i;

	if (strcmp(v, "any") == 0)
		return 0;
	/* Names from the one protocol table (colo_pkt.h), as keys show them. */
	for (i = 0; i < RTE_DIM(colo_protos); i++) {
		if (colo_protos[i].name != NULL && strcmp(v, colo_protos[i].name) == 0) {
			r->proto = (uint8_t)i;
			r->fields |= COLO_BYPASS_F_PROTO;
			return 0;
		}
	}
	if (!parse_uint(v, UINT8_MAX, &n))
		return fail(err, err_len, "'%s': not a protocol name or number 0-255", v);
	r->proto = (uint8_t)n;
	r->fields |= COLO_BYPASS_F_PROTO;
	return 0;
}

/* "addr[/len]" into @p addr, @p len and @p family (4 or 6). */
static int
parse_prefix(const char *v, uint8_t *addr, uint8_t *len, uint8_t *family, char *err, size_t err_len)
{
	char a[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(v, '/');
	size_t alen = slash != NULL ? (size_t)(slash - v) : strlen(v);
	unsigned long bits;
	uint8_t max;

	memset(addr, 0, 16);
	if (alen >= sizeof(a))
		return fail(err, err_len, "'%s': not an IPv4 or IPv6 address", v);
	memcpy(a, v, alen);
	a[alen] = '\0';
	if (inet_pton(AF_INET, a, addr) == 1)
		*family = 4;
	else if (inet_pton(AF_INET6, a, addr) == 1)
		*family = 6;
	else
		return fail(err, err_len, "'%s': not an IPv4 or IPv6 address", v);
	max = *family == 4 ? 32 : 128;
	bits = max;
	if (slash != NULL && !parse_uint(slash + 1, max, &bits))
		return fail(err, err_len, "'%s': prefix length is not a number 0-%u", v, max);
	*len = (uint8_t)bits;
	return 0;
}

/* "lo[-hi]" into an inclusive range. */
static int
parse_ports(const char *v, uint16_t *lo, uint16_t *hi, char *err, size_t err_len)
{
	char buf[16];
	const char *dash = strchr(v, '-');
	unsigned long a, b;
	size_t n = dash != NULL ? (size_t)(dash - v) : strlen(v);

	if (n >= sizeof(buf))
		return fail(err, err_len, "'%s': not a port or port range 0-65535", v);
	memcpy(buf, v, n);
	buf[n] = '\0';
	if (!parse_uint(buf, UINT16_MAX, &a) ||
			(dash != NULL && !parse_uint(dash + 1, UINT16_MAX, &b)))
		return fail(err, err_len, "'%s': not a port or port range 0-65535", v);
	if (dash == NULL)
		b = a;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

static inline bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Drop leading and trailing blanks in place (CR too: lists may come with CRLF). */
static char *
trim(char *s)
{
	char *e;

	while (is_space(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_space(e[-1]))
		*--e = '\0';
	return s;
}

/* State of one rule parse. */
struct rule_parse {
	struct colo_bypass_rule *r;
	unsigned int seen;  /* bit per key of field_keys[] met so far */
	uint8_t src_family; /* 0 until src= is met */
	uint8_t dst_family;
	char *err;
	size_t err_len;
};

static const char *const field_keys[] = { "proto", "src", "dst", "sport", "dport" };

/* The value @p v of key number @p key. */
static int
parse_value(struct rule_parse *p, unsigned int key, const char *v)
{
	struct colo_bypass_rule *r = p->r;

	switch (key) {
	case 0:
		return parse_proto(v, r, p->err, p->err_len);
	case 1:
		r->fields |= COLO_BYPASS_F_SRC;
		return parse_prefix(v, r->src, &r->src_len, &p->src_family, p->err, p->err_len);
	case 2:
		r->fields |= COLO_BYPASS_F_DST;
		return parse_prefix(v, r->dst, &r->dst_len, &p->dst_family, p->err, p->err_len);
	case 3:
		r->fields |= COLO_BYPASS_F_SPORT;
		return parse_ports(v, &r->sport_lo, &r->sport_hi, p->err, p->err_len);
	default:
		r->fields |= COLO_BYPASS_F_DPORT;
		return parse_ports(v, &r->dport_lo, &r->dport_hi, p->err, p->err_len);
	}
}

/* One "key=value" field, modified in place. */
static int
parse_field(struct rule_parse *p, char *field)
{
	char *eq = strchr(field, '=');
	unsigned int key;
	char *k, *v;

	if (*trim(field) == '\0')
		return fail(p->err, p->err_len, "empty field (two commas in a row?)");
	if (eq == NULL)
		return fail(p->err, p->err_len, "'%s': missing '=' (expected key=value)",
				trim(field));
	*eq = '\0';
	k = trim(field);
	v = trim(eq + 1);
	for (key = 0; key < RTE_DIM(field_keys) && strcmp(k, field_keys[key]) != 0; key++)
		;
	if (key == RTE_DIM(field_keys))
		return fail(p->err, p->err_len,
				"'%s': unknown key (expected proto, src, dst, sport or dport)", k);
	if (p->seen & (1u << key))
		return fail(p->err, p->err_len, "'%s' given twice", k);
	p->seen |= 1u << key;
	if (*v == '\0')
		return fail(p->err, p->err_len, "'%s': empty value", k);
	return parse_value(p, key, v);
}

/* Whether bits from @p len on of the @p nb_bits-bit address @p a are all zero. */
static bool
host_bits_zero(const uint8_t *a, unsigned int len, unsigned int nb_bits)
{
	unsigned int i;

	for (i = len; i < nb_bits; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

/* One address of a rule: prefix length within the family, no host bits. */
static int
check_addr(const char *what, const uint8_t *a, uint8_t len, uint8_t family, char *err,
		size_t err_len)
{
	unsigned int max = family == 4 ? 32 : 128;
	char txt[INET6_ADDRSTRLEN];

	if (len > max)
		return fail(err, err_len, "%s: prefix length %u above %u", what, len, max);
	if (!host_bits_zero(a, len, max)) {
		inet_ntop(family == 4 ? AF_INET : AF_INET6, a, txt, sizeof(txt));
		return fail(err, err_len, "'%s/%u': %s has bits set beyond /%u", txt, len, what,
				len);
	}
	return 0;
}

/* Consistency of a whole rule, parsed or built by hand. */
static int
rule_check(const struct colo_bypass_rule *r, char *err, size_t err_len)
{
	bool addr = (r->fields & (COLO_BYPASS_F_SRC | COLO_BYPASS_F_DST)) != 0;
	bool ports = (r->fields & (COLO_BYPASS_F_SPORT | COLO_BYPASS_F_DPORT)) != 0;
	int ret;

	if (addr ? r->family != 4 && r->family != 6 : r->family != 0)
		return fail(err, err_len, "family %u does not fit the addresses", r->family);
	if ((r->fields & COLO_BYPASS_F_SRC) &&
			(ret = check_addr("src", r->src, r->src_len, r->family, err, err_len)) != 0)
		return ret;
	if ((r->fields & COLO_BYPASS_F_DST) &&
			(ret = check_addr("dst", r->dst, r->dst_len, r->family, err, err_len)) != 0)
		return ret;
	if (((r->fields & COLO_BYPASS_F_SPORT) && r->sport_lo > r->sport_hi) ||
			((r->fields & COLO_BYPASS_F_DPORT) && r->dport_lo > r->dport_hi))
		return fail(err, err_len, "low port above high port");
	if (ports && (r->fields & COLO_BYPASS_F_PROTO) && !colo_proto_has_ports(r->proto))
		return fail(err, err_len,
				"proto %u has no ports (ports need tcp/udp/sctp/dccp/udplite)",
				r->proto);
	return 0;
}

int
colo_bypass_rule_parse(const char *text, struct colo_bypass_rule *r, char *err, size_t err_len)
{
	struct rule_parse p = { .r = r, .err = err, .err_len = err_len };
	char buf[COLO_BYPASS_RULE_MAX_LEN + 1];
	char *field, *save = NULL;
	int ret;

	if (strlen(text) > COLO_BYPASS_RULE_MAX_LEN)
		return fail(err, err_len, "rule longer than %u characters",
				COLO_BYPASS_RULE_MAX_LEN);
	memset(r, 0, sizeof(*r));
	r->sport_hi = r->dport_hi = UINT16_MAX;
	strcpy(buf, text);
	if (*trim(buf) == '\0')
		return fail(err, err_len, "empty rule");
	/* strtok_r() would merge ",,": split by hand to report empty fields. */
	for (field = buf; field != NULL; field = save) {
		save = strchr(field, ',');
		if (save != NULL)
			*save++ = '\0';
		ret = parse_field(&p, field);
		if (ret != 0)
			return ret;
	}
	if (p.src_family != 0 && p.dst_family != 0 && p.src_family != p.dst_family)
		return fail(err, err_len, "src is IPv%u but dst is IPv%u", p.src_family,
				p.dst_family);
	r->family = p.src_family != 0 ? p.src_family : p.dst_family;
	return rule_check(r, err, err_len);
}

/* ---- formatting ---- */

static bool append(char *buf, size_t len, size_t *off, const char *fmt, ...)
		__rte_format_printf(4, 5);

/* Append to @p buf at *@p off; false once the text does not fit. */
static bool
append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *off)
		return false;
	*off += (size_t)n;
	return true;
}

static bool
append_proto(char *buf, size_t len, size_t *off, uint8_t proto)
{
	const char *name = colo_protos[proto].name;

	if (name != NULL)
		return append(buf, len, off, ",proto=%s", name);
	return append(buf, len, off, ",proto=%u", proto);
}

static bool
append_prefix(char *buf, size_t len, size_t *off, const char *key, const uint8_t *a, uint8_t bits,
		uint8_t family)
{
	char txt[INET6_ADDRSTRLEN];

	inet_ntop(family == 4 ? AF_INET : AF_INET6, a, txt, sizeof(txt));
	return append(buf, len, off, ",%s=%s/%u", key, txt, bits);
}

static bool
append_ports(char *buf, size_t len, size_t *off, const char *key, uint16_t lo, uint16_t hi)
{
	if (lo == hi)
		return append(buf, len, off, ",%s=%u", key, lo);
	return append(buf, len, off, ",%s=%u-%u", key, lo, hi);
}

int
colo_bypass_rule_format(const struct colo_bypass_rule *r, char *buf, size_t len)
{
	size_t off = 0;
	bool ok = true;

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if (r->fields & COLO_BYPASS_F_PROTO)
		ok = append_proto(buf, len, &off, r->proto);
	if (ok && (r->fields & COLO_BYPASS_F_SRC))
		ok = append_prefix(buf, len, &off, "src", r->src, r->src_len, r->family);
	if (ok && (r->fields & COLO_BYPASS_F_DST))
		ok = append_prefix(buf, len, &off, "dst", r->dst, r->dst_len, r->family);
	if (ok && (r->fields & COLO_BYPASS_F_SPORT))
		ok = append_ports(buf, len, &off, "sport", r->sport_lo, r->sport_hi);
	if (ok && (r->fields & COLO_BYPASS_F_DPORT))
		ok = append_ports(buf, len, &off, "dport", r->dport_lo, r->dport_hi);
	/* A rule with no constraint is written as its only spelling. */
	if (ok && off == 0)
		ok = append(buf, len, &off, ",proto=any");
	if (!ok)
		return -ENOSPC;
	/* Every field was written with a leading comma. */
	memmove(buf, buf + 1, off);
	return (int)off - 1;
}

/* ---- sets and matching ---- */

/* The first @p bits bits of @p a as two masked 64-bit words. */
static void
prefix_masks(const uint8_t *a, unsigned int bits, uint64_t *val, uint64_t *mask)
{
	uint8_t m[16] = { 0 };
	unsigned int i;

	for (i = 0; i < bits; i++)
		m[i / 8] |= 0x80 >> (i % 8);
	memcpy(mask, m, sizeof(m));
	memcpy(val, a, sizeof(m));
	val[0] &= mask[0];
	val[1] &= mask[1];
}

static void
rule_compile(struct crule *c, const struct colo_bypass_rule *r)
{
	memset(c, 0, sizeof(*c));
	c->r = *r;
	if (r->fields & COLO_BYPASS_F_SRC)
		prefix_masks(r->src, r->src_len, c->src_val, c->src_mask);
	if (r->fields & COLO_BYPASS_F_DST)
		prefix_masks(r->dst, r->dst_len, c->dst_val, c->dst_mask);
	/* Unconstrained ranges match every port. */
	if (!(r->fields & COLO_BYPASS_F_SPORT)) {
		c->r.sport_lo = 0;
		c->r.sport_hi = UINT16_MAX;
	}
	if (!(r->fields & COLO_BYPASS_F_DPORT)) {
		c->r.dport_lo = 0;
		c->r.dport_hi = UINT16_MAX;
	}
}

struct colo_bypass_set *
colo_bypass_set_create(const struct colo_bypass_rule *rules, unsigned int nb_rules)
{
	struct colo_bypass_set *set;
	char err[128];
	unsigned int i;

	if (nb_rules > COLO_BYPASS_MAX_RULES || (nb_rules != 0 && rules == NULL)) {
		rte_errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < nb_rules; i++) {
		if (rule_check(&rules[i], err, sizeof(err)) != 0) {
			COLO_LOG(DEBUG, bypass, "rule %u refused: %s", i + 1, err);
			rte_errno = EINVAL;
			return NULL;
		}
	}
	set = calloc(1, sizeof(*set) + nb_rules * sizeof(set->rules[0]));
	if (set == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	set->nb_rules = nb_rules;
	for (i = 0; i < nb_rules; i++)
		rule_compile(&set->rules[i], &rules[i]);
	return set;
}

/* The next rule of a list at *@p pos into @p buf; false at the end. */
static bool
next_rule_text(const char **pos, char *buf, size_t len, bool *too_long)
{
	const char *s = *pos;
	size_t n = strcspn(s, ";\n");

	if (*s == '\0')
		return false;
	*too_long = n >= len;
	if (!*too_long) {
		memcpy(buf, s, n);
		buf[n] = '\0';
	}
	*pos = s[n] != '\0' ? s + n + 1 : s + n;
	return true;
}

static bool
blank(const char *s)
{
	return s[strspn(s, " \t\r")] == '\0';
}

struct colo_bypass_set *
colo_bypass_set_parse(const char *text, char *err, size_t err_len)
{
	struct colo_bypass_rule *rules;
	struct colo_bypass_set *set = NULL;
	char buf[COLO_BYPASS_RULE_MAX_LEN + 2], why[160];
	unsigned int nb = 0, idx = 0;
	bool too_long;

	rules = calloc(COLO_BYPASS_MAX_RULES, sizeof(*rules));
	if (rules == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	while (next_rule_text(&text, buf, sizeof(buf), &too_long)) {
		if (!too_long && blank(buf))
			continue;
		idx++; /* "rule <n>" counts the rules written, not the separators */
		if (too_long)
			snprintf(why, sizeof(why), "rule longer than %u characters",
					COLO_BYPASS_RULE_MAX_LEN);
		else if (nb == COLO_BYPASS_MAX_RULES)
			snprintf(why, sizeof(why), "more than %u rules", COLO_BYPASS_MAX_RULES);
		else if (colo_bypass_rule_parse(buf, &rules[nb], why, sizeof(why)) == 0) {
			nb++;
			continue;
		}
		fail(err, err_len, "rule %u: %s", idx, why);
		rte_errno = EINVAL;
		goto out;
	}
	set = colo_bypass_set_create(rules, nb);
out:
	free(rules);
	return set;
}

void
colo_bypass_set_free(struct colo_bypass_set *set)
{
	free(set);
}

unsigned int
colo_bypass_set_size(const struct colo_bypass_set *set)
{
	return set != NULL ? set->nb_rules : 0;
}

const struct colo_bypass_rule *
colo_bypass_set_rule(const struct colo_bypass_set *set, unsigned int i)
{
	if (set == NULL || i >= set->nb_rules)
		return NULL;
	return &set->rules[i].r;
}

static inline bool
addr_match(const uint8_t *a, const uint64_t *val, const uint64_t *mask)
{
	uint64_t w[2];

	memcpy(w, a, sizeof(w));
	return (w[0] & mask[0]) == val[0] && (w[1] & mask[1]) == val[1];
}

/* One orientation: (@p s, @p sp) -> (@p d, @p dp), ports in host order. */
static inline bool
oriented_match(const struct crule *c, const uint8_t *s, uint16_t sp, const uint8_t *d, uint16_t dp)
{
	return sp >= c->r.sport_lo && sp <= c->r.sport_hi && dp >= c->r.dport_lo &&
	       dp <= c->r.dport_hi && addr_match(s, c->src_val, c->src_mask) &&
	       addr_match(d, c->dst_val, c->dst_mask);
}

static inline bool
rule_match(const struct crule *c, const struct colo_key *key, uint16_t sp, uint16_t dp)
{
	const struct colo_bypass_rule *r = &c->r;

	if ((r->fields & COLO_BYPASS_F_PROTO) && key->proto != r->proto)
		return false;
	if (r->family != 0 && key->family != r->family)
		return false;
	if ((r->fields & (COLO_BYPASS_F_SPORT | COLO_BYPASS_F_DPORT)) &&
			!colo_proto_has_ports(key->proto))
		return false;
	return oriented_match(c, key->src, sp, key->dst, dp) ||
	       oriented_match(c, key->dst, dp, key->src, sp);
}

bool
colo_bypass_match(const struct colo_bypass_set *set, const struct colo_key *key)
{
	uint16_t sp = rte_be_to_cpu_16(key->sport);
	uint16_t dp = rte_be_to_cpu_16(key->dport);
	unsigned int i;

	/* Non-IP keys hold an ethertype class in proto: never a flow. */
	if (set == NULL || key->family == 0)
		return false;
	for (i = 0; i < set->nb_rules; i++)
		if (rule_match(&set->rules[i], key, sp, dp))
			return true;
	return false;
}

/* ---- publication ---- */

struct colo_bypass *
colo_bypass_create(void)
{
	struct colo_bypass *b = calloc(1, sizeof(*b));

	if (b == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	b->cur = colo_bypass_set_create(NULL, 0);
	if (b->cur == NULL) {
		free(b);
		rte_errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&b->lock, NULL);
	return b;
}

static void
free_retired(struct colo_bypass_set *s)
{
	struct colo_bypass_set *next;

	for (; s != NULL; s = next) {
		next = s->retired_next;
		free(s);
	}
}

void
colo_bypass_free(struct colo_bypass *b)
{
	if (b == NULL)
		return;
	free_retired(b->retired);
	free(b->cur);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

/* Free the retired sets the reader can no longer hold. Under b->lock. */
static void
reclaim(struct colo_bypass *b)
{
	uint64_t acked = __atomic_load_n(&b->reader_gen, __ATOMIC_ACQUIRE);
	struct colo_bypass_set **link = &b->retired, *s;

	while ((s = *link) != NULL) {
		if (s->safe_gen <= acked) {
			*link = s->retired_next;
			free(s);
			__atomic_store_n(&b->nb_retired, b->nb_retired - 1, __ATOMIC_RELAXED);
		} else {
			link = &s->retired_next;
		}
	}
}

int
colo_bypass_replace(struct colo_bypass *b, struct colo_bypass_set *set)
{
	struct colo_bypass_set *old;
	uint64_t gen;

	if (set == NULL)
		return -EINVAL;
	pthread_mutex_lock(&b->lock);
	old = b->cur;
	gen = b->gen + 1;
	/* cur before gen: a reader that sees the new generation sees the new set. */
	__atomic_store_n(&b->cur, set, __ATOMIC_RELEASE);
	__atomic_store_n(&b->gen, gen, __ATOMIC_RELEASE);
	old->safe_gen = gen;
	old->retired_next = b->retired;
	b->retired = old;
	__atomic_store_n(&b->nb_retired, b->nb_retired + 1, __ATOMIC_RELAXED);
	reclaim(b);
	pthread_mutex_unlock(&b->lock);
	COLO_LOG(INFO, bypass, "rule set %" PRIu64 " published: %u rules", gen, set->nb_rules);
	return 0;
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
colo_bypass_synchronize(struct colo_bypass *b, uint32_t wait_ms)
{
	const struct timespec poll = { .tv_nsec = SYNC_POLL_NS };
	uint64_t deadline_ns = mono_ns() + (uint64_t)wait_ms * 1000000u;
	unsigned int left;

	for (;;) {
		pthread_mutex_lock(&b->lock);
		reclaim(b);
		left = b->nb_retired;
		pthread_mutex_unlock(&b->lock);
		if (left == 0)
			return 0;
		if (mono_ns() >= deadline_ns)
			return -ETIMEDOUT;
		nanosleep(&poll, NULL);
	}
}

const struct colo_bypass_set *
colo_bypass_reader_quiescent(struct colo_bypass *b)
{
	uint64_t gen = __atomic_load_n(&b->gen, __ATOMIC_ACQUIRE);
	const struct colo_bypass_set *set = __atomic_load_n(&b->cur, __ATOMIC_ACQUIRE);

	/* Release: every use of older sets happens before a writer frees them. */
	if (gen != b->reader_gen)
		__atomic_store_n(&b->reader_gen, gen, __ATOMIC_RELEASE);
	return set;
}

uint64_t
colo_bypass_generation(const struct colo_bypass *b)
{
	return __atomic_load_n(&b->gen, __ATOMIC_ACQUIRE);
}

unsigned int
colo_bypass_nb_retired(const struct colo_bypass *b)
{
	return __atomic_load_n(&b->nb_retired, __ATOMIC_RELAXED);
}
