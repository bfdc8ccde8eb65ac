/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * colo-explain output: each checkpoint request with a side-by-side
 * hex/ASCII dump of the two frames where they first differ, then counts
 * per reason and per connection; or the same as one JSON document.
 */
#include <ctype.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "explain.h"

#define KEY_TEXT 128

#define HELP_ENTRY(sym, name, help) help,
static const char *const reason_help[COLO_CKPT_REASON_MAX] = { COLO_CKPT_REASONS(HELP_ENTRY) };
#undef HELP_ENTRY

static const char *const side_name[2] = { "primary", "secondary" };

static const char *
plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static const char *
reason_name(uint8_t r)
{
	return colo_ckpt_reason_name((enum colo_ckpt_reason)r);
}

/* Seconds since the first frame, as "+1.234567". */
static void
rel_time(char *buf, size_t len, uint64_t t_ns, uint64_t first_ns)
{
	uint64_t d = t_ns > first_ns ? t_ns - first_ns : 0;

	snprintf(buf, len, "+%" PRIu64 ".%06" PRIu64, d / EXPLAIN_NS_PER_S,
			d % EXPLAIN_NS_PER_S / 1000);
}

static const char *
l4_name(const struct colo_key *key)
{
	switch (key->proto) {
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_ICMP:
		return "ICMP";
	case IPPROTO_ICMPV6:
		return "ICMPv6";
	default:
		return "L4";
	}
}

/* Where @p off lies in the frame of @p v, e.g. "TCP payload byte 150". */
static void
describe_offset(char *buf, size_t len, const struct colo_key *key,
		const struct explain_side_view *v, int32_t off)
{
	if (off >= (int32_t)v->len)
		snprintf(buf, len, "past the end of this frame: the other one is longer");
	else if (key->family == 0)
		snprintf(buf, len, "frame byte %d", off);
	else if (off >= v->payload_off && v->payload_off > v->l4_off)
		snprintf(buf, len, "%s payload byte %d", l4_name(key), off - v->payload_off);
	else if (off >= v->l4_off)
		snprintf(buf, len, "%s header byte %d", l4_name(key), off - v->l4_off);
	else if (off >= v->l3_off)
		snprintf(buf, len, "IPv%u header byte %d", key->family, off - v->l3_off);
	else
		snprintf(buf, len, "Ethernet header byte %d", off);
}

/* Byte @p i of the region of @p v, or -1 where the frame has none. */
static int
region_byte(const struct explain_side_view *v, unsigned int i)
{
	int32_t off = v->region_start + (int32_t)i;

	if (off < 0 || off >= (int32_t)v->len)
		return -1;
	return v->region[i];
}

/* One side of a dump row: "0x00c0  6c 69 ... 20  |line 003 of the |". */
static void
dump_half(FILE *f, const struct explain_side_view *v, unsigned int row)
{
	int32_t off = v->region_start + (int32_t)(row * EXPLAIN_ROW);
	unsigned int i;
	int b;

	if (off >= 0)
		fprintf(f, "0x%04x  ", (unsigned int)off);
	else
		fprintf(f, "        ");
	for (i = 0; i < EXPLAIN_ROW; i++) {
		b = region_byte(v, row * EXPLAIN_ROW + i);
		if (b < 0)
			fputs("  ", f);
		else
			fprintf(f, "%02x", b);
		fputs(i == EXPLAIN_ROW / 2 - 1 ? "  " : " ", f);
	}
	fputc('|', f);
	for (i = 0; i < EXPLAIN_ROW; i++) {
		b = region_byte(v, row * EXPLAIN_ROW + i);
		fputc(b < 0 ? ' ' : (isprint(b) ? b : '.'), f);
	}
	fputc('|', f);
}

/*
 * Markers under the bytes that differ, or that only one frame has: "^^" at
 * the first difference the compare reported, "~~" at the others, which may
 * be fields it never compares (checksums, TTL, IP-ID) or bytes after it.
 * Return a bit per kind of marker written.
 */
static unsigned int
dump_marks(char *line, const struct explain_side_view *p, const struct explain_side_view *s,
		unsigned int row)
{
	unsigned int i, kinds = 0;

	for (i = 0; i < EXPLAIN_ROW; i++) {
		unsigned int k = row * EXPLAIN_ROW + i;
		int a = region_byte(p, k);
		int b = region_byte(s, k);
		bool first = p->region_start + (int32_t)k == p->offset;

		if (a == b && !first)
			continue;
		/* 8 columns of offset, 3 per byte, 1 more after the eighth. */
		memcpy(line + 8 + i * 3 + (i >= EXPLAIN_ROW / 2), first ? "^^" : "~~", 2);
		kinds |= first ? 1 : 2;
	}
	return kinds;
}

static bool
row_has_bytes(const struct explain_side_view *v, unsigned int row)
{
	unsigned int i;

	for (i = 0; i < EXPLAIN_ROW; i++)
		if (region_byte(v, row * EXPLAIN_ROW + i) >= 0)
			return true;
	return false;
}

static void
dump_pair(FILE *f, const struct explain_side_view *p, const struct explain_side_view *s)
{
	/* 8 + 16 * 3 + 1 + 18: the width of one half. */
	enum { HALF = 8 + EXPLAIN_ROW * 3 + 1 + EXPLAIN_ROW + 2, GAP = 3 };
	char marks[HALF + 1];
	unsigned int row, kinds, all_kinds = 0;

	fprintf(f, "    %-*s%*s%s\n", HALF, "primary", GAP, "", "secondary");
	for (row = 0; row < EXPLAIN_ROWS; row++) {
		if (!row_has_bytes(p, row) && !row_has_bytes(s, row))
			continue;
		fprintf(f, "    ");
		dump_half(f, p, row);
		fprintf(f, "%*s", GAP, "");
		dump_half(f, s, row);
		fputc('\n', f);
		memset(marks, ' ', HALF);
		marks[HALF] = '\0';
		kinds = dump_marks(marks, p, s, row);
		all_kinds |= kinds;
		if (kinds != 0) {
			/* The secondary half's marks sit at the same columns. */
			char line[2 * HALF + GAP + 1];
			int end;

			memcpy(line, marks, HALF);
			memset(line + HALF, ' ', GAP);
			memcpy(line + HALF + GAP, marks, HALF);
			end = 2 * HALF + GAP;
			while (end > 0 && line[end - 1] == ' ')
				end--;
			line[end] = '\0';
			fprintf(f, "    %s\n", line);
		}
	}
	if (all_kinds & 2)
		fprintf(f, "    ^^ first difference   ~~ other bytes that differ (may be fields "
			   "the "
			   "compare skips: checksums, TTL, IP-ID)\n");
}

static void
text_request(FILE *f, const struct explain_result *r, const struct explain_request *rq)
{
	char key[KEY_TEXT], t[32], where[96];
	const struct explain_side_view *p = &rq->side[COLO_SIDE_PRIMARY];
	const struct explain_side_view *s = &rq->side[COLO_SIDE_SECONDARY];
	unsigned int i;

	colo_key_format(&rq->rec.key, key, sizeof(key));
	rel_time(t, sizeof(t), rq->time_ns, r->first_ns);
	fprintf(f, "Checkpoint request %" PRIu64 " at %s s%s: %s (%s)\n", rq->rec.id, t,
			rq->after_end ? ", after the end of the captures" : "",
			reason_name(rq->rec.reason),
			rq->rec.reason < COLO_CKPT_REASON_MAX ? reason_help[rq->rec.reason] : "");
	fprintf(f, "  connection   %s\n", key);
	if (rq->has_pair) {
		describe_offset(where, sizeof(where), &rq->rec.key, p, p->offset);
		fprintf(f, "  difference   offset %d (0x%x) of the primary frame, %s", p->offset,
				(unsigned int)p->offset, where);
		if (rq->rec.key.proto == IPPROTO_TCP && rq->rec.key.family != 0)
			fprintf(f, ", seq %" PRIu32, rq->rec.tcp_seq);
		fputc('\n', f);
		for (i = 0; i < 2; i++) {
			rel_time(t, sizeof(t), rq->side[i].ts_ns, r->first_ns);
			fprintf(f,
					"  %-12s frame %" PRIu32 ", %" PRIu32
					" bytes, captured at %s s, "
					"offset %d (0x%x)\n",
					side_name[i], rq->side[i].frame, rq->side[i].len, t,
					rq->side[i].offset, (unsigned int)rq->side[i].offset);
		}
		fputc('\n', f);
		dump_pair(f, p, s);
	} else if (rq->has_waiter) {
		fprintf(f,
				"  waiting      %s frame %" PRIu32 " waited %" PRIu64 ".%03" PRIu64
				" ms without its counterpart\n",
				side_name[rq->waiter_side], rq->waiter_frame,
				rq->waited_ns / 1000000, rq->waited_ns % 1000000 / 1000);
	} else if (rq->rec.offset >= 0) {
		fprintf(f, "  difference   offset %d of the primary frame, seq %" PRIu32 "\n",
				rq->rec.offset, rq->rec.tcp_seq);
	}
	fprintf(f,
			"  queued       primary %" PRIu32 ", secondary %" PRIu32
			" frames on this connection; flushed\n\n",
			rq->queued[COLO_SIDE_PRIMARY], rq->queued[COLO_SIDE_SECONDARY]);
}

/* Requests ordered by connection, then id: the per-connection summary. */
static int
by_key(const void *a, const void *b)
{
	const struct explain_request *x = *(const struct explain_request *const *)a;
	const struct explain_request *y = *(const struct explain_request *const *)b;
	int c = memcmp(&x->rec.key, &y->rec.key, sizeof(x->rec.key));

	if (c != 0)
		return c;
	return x->rec.id < y->rec.id ? -1 : x->rec.id > y->rec.id;
}

static const struct explain_request **
sorted_by_key(const struct explain_result *r)
{
	const struct explain_request **v = calloc(r->nb_req + 1, sizeof(*v));
	unsigned int i;

	if (v == NULL)
		return NULL;
	for (i = 0; i < r->nb_req; i++)
		v[i] = &r->req[i];
	qsort(v, r->nb_req, sizeof(*v), by_key);
	return v;
}

/* Requests per reason in [from, to) of @p v. */
static void
count_reasons(const struct explain_request *const *v, unsigned int from, unsigned int to,
		unsigned int *n)
{
	unsigned int i;

	memset(n, 0, sizeof(*n) * COLO_CKPT_REASON_MAX);
	for (i = from; i < to; i++)
		if (v[i]->rec.reason < COLO_CKPT_REASON_MAX)
			n[v[i]->rec.reason]++;
}

/* End of the run of requests on the connection of v[from]. */
static unsigned int
group_end(const struct explain_request *const *v, unsigned int from, unsigned int nb)
{
	unsigned int i = from + 1;

	while (i < nb && memcmp(&v[i]->rec.key, &v[from]->rec.key, sizeof(v[from]->rec.key)) == 0)
		i++;
	return i;
}

static void
text_summary(FILE *f, const struct explain_result *r)
{
	const struct colo_stats *st = &r->stats;
	const struct explain_request **v;
	unsigned int n[COLO_CKPT_REASON_MAX];
	unsigned int i, j, end;
	char key[KEY_TEXT];

	fprintf(f,
			"Summary: %u checkpoint request%s, %" PRIu64
			" further trigger%s coalesced into them\n",
			r->nb_req, plural(r->nb_req), st->ctr[COLO_CKPT_COALESCED],
			plural(st->ctr[COLO_CKPT_COALESCED]));
	fprintf(f,
			"  primary      %" PRIu32 " frame%s: %" PRIu64 " released, %" PRIu64
			" dropped\n",
			r->nb_frames[COLO_SIDE_PRIMARY], plural(r->nb_frames[COLO_SIDE_PRIMARY]),
			colo_stats_total(st->release, COLO_REL_MAX),
			colo_stats_total(st->drop, COLO_DROP_MAX));
	fprintf(f, "  secondary    %" PRIu32 " frame%s: %" PRIu64 " discarded\n",
			r->nb_frames[COLO_SIDE_SECONDARY],
			plural(r->nb_frames[COLO_SIDE_SECONDARY]),
			colo_stats_total(st->discard, COLO_DISCARD_MAX));
	for (i = 0; i < 2; i++) {
		if (r->nb_truncated[i] != 0)
			fprintf(f,
					"  warning      %" PRIu32
					" %s frames were cut by the capture's "
					"snaplen and compared as captured\n",
					r->nb_truncated[i], side_name[i]);
		if (r->cut_short[i])
			fprintf(f,
					"  warning      %s capture %s ends inside a record: read "
					"up "
					"to there\n",
					side_name[i], r->path[i]);
	}
	if (r->nb_no_mbuf != 0)
		fprintf(f,
				"  warning      %" PRIu32
				" frames skipped: more frames waited at once "
				"than --mbufs allows\n",
				r->nb_no_mbuf);
	if (r->nb_req == 0)
		return;
	v = sorted_by_key(r);
	if (v == NULL)
		return;
	count_reasons(v, 0, r->nb_req, n);
	fprintf(f, "  by reason\n");
	for (i = 0; i < COLO_CKPT_REASON_MAX; i++)
		if (n[i] != 0)
			fprintf(f, "    %-20s %6u\n", reason_name(i), n[i]);
	fprintf(f, "  by connection\n");
	for (i = 0; i < r->nb_req; i = end) {
		end = group_end(v, i, r->nb_req);
		colo_key_format(&v[i]->rec.key, key, sizeof(key));
		count_reasons(v, i, end, n);
		fprintf(f, "    %6u  %-48s", end - i, key);
		for (j = 0; j < COLO_CKPT_REASON_MAX; j++)
			if (n[j] != 0)
				fprintf(f, " %s %u", reason_name(j), n[j]);
		fputc('\n', f);
	}
	free(v);
}

void
explain_report_text(FILE *f, const struct explain_result *r)
{
	uint64_t span = r->last_ns - r->first_ns;
	unsigned int i;

	fprintf(f,
			"colo-explain: %" PRIu32 " primary and %" PRIu32
			" secondary frame%s over %" PRIu64 ".%06" PRIu64
			" s; compare_timeout %" PRIu32 " ms, monitor mode\n",
			r->nb_frames[COLO_SIDE_PRIMARY], r->nb_frames[COLO_SIDE_SECONDARY],
			plural(r->nb_frames[COLO_SIDE_SECONDARY]), span / EXPLAIN_NS_PER_S,
			span % EXPLAIN_NS_PER_S / 1000, r->params.compare_timeout_ms);
	fprintf(f, "  primary      %s\n  secondary    %s\n\n", r->path[COLO_SIDE_PRIMARY],
			r->path[COLO_SIDE_SECONDARY]);
	if (r->nb_req == 0)
		fprintf(f, "No checkpoint request: the secondary's output matched the "
			   "primary's.\n\n");
	for (i = 0; i < r->nb_req; i++)
		text_request(f, r, &r->req[i]);
	text_summary(f, r);
}

/* ---- JSON ---------------------------------------------------------------- */

static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Seconds since the first frame, as a JSON number. */
static void
json_time(FILE *f, uint64_t t_ns, uint64_t first_ns)
{
	uint64_t d = t_ns > first_ns ? t_ns - first_ns : 0;

	fprintf(f, "%" PRIu64 ".%09" PRIu64, d / EXPLAIN_NS_PER_S, d % EXPLAIN_NS_PER_S);
}

static void
json_side(FILE *f, const struct explain_result *r, const struct explain_side_view *v)
{
	unsigned int i;
	int b;

	fprintf(f, "{\"frame\": %" PRIu32 ", \"time\": ", v->frame);
	json_time(f, v->ts_ns, r->first_ns);
	fprintf(f, ", \"len\": %" PRIu32 ", \"offset\": %d, \"region_offset\": %d, \"region\": \"",
			v->len, v->offset, v->region_start);
	/* Hex of the dumped bytes; "--" where the frame has none. */
	for (i = 0; i < EXPLAIN_REGION; i++) {
		b = region_byte(v, i);
		if (b < 0)
			fprintf(f, "--");
		else
			fprintf(f, "%02x", b);
	}
	fprintf(f, "\"}");
}

static void
json_request(FILE *f, const struct explain_result *r, const struct explain_request *rq)
{
	char key[KEY_TEXT];

	colo_key_format(&rq->rec.key, key, sizeof(key));
	fprintf(f, "    {\"id\": %" PRIu64 ", \"reason\": \"%s\", \"conn\": ", rq->rec.id,
			reason_name(rq->rec.reason));
	json_string(f, key);
	fprintf(f, ", \"time\": ");
	json_time(f, rq->time_ns, r->first_ns);
	fprintf(f,
			", \"after_end\": %s, \"offset\": %d, \"tcp_seq\": %" PRIu32
			", \"queued\": {\"primary\": %" PRIu32 ", \"secondary\": %" PRIu32 "}",
			rq->after_end ? "true" : "false", rq->rec.offset, rq->rec.tcp_seq,
			rq->queued[COLO_SIDE_PRIMARY], rq->queued[COLO_SIDE_SECONDARY]);
	if (rq->has_pair) {
		fprintf(f, ",\n     \"primary\": ");
		json_side(f, r, &rq->side[COLO_SIDE_PRIMARY]);
		fprintf(f, ",\n     \"secondary\": ");
		json_side(f, r, &rq->side[COLO_SIDE_SECONDARY]);
	}
	if (rq->has_waiter)
		fprintf(f,
				",\n     \"waiting\": {\"side\": \"%s\", \"frame\": %" PRIu32
				", \"waited_ms\": %" PRIu64 ".%06" PRIu64 "}",
				side_name[rq->waiter_side], rq->waiter_frame,
				rq->waited_ns / 1000000, rq->waited_ns % 1000000);
	fprintf(f, "}");
}

static void
json_reasons(FILE *f, const unsigned int *n)
{
	const char *sep = "";
	unsigned int i;

	fputc('{', f);
	for (i = 0; i < COLO_CKPT_REASON_MAX; i++) {
		if (n[i] == 0)
			continue;
		fprintf(f, "%s\"%s\": %u", sep, reason_name(i), n[i]);
		sep = ", ";
	}
	fputc('}', f);
}

struct json_ctr {
	FILE *f;
	const char *sep;
};

static void
json_counter(const char *name, uint64_t value, void *arg)
{
	struct json_ctr *j = arg;

	fprintf(j->f, "%s\"%s\": %" PRIu64, j->sep, name, value);
	j->sep = ", ";
}

void
explain_report_json(FILE *f, const struct explain_result *r)
{
	const struct explain_request **v = sorted_by_key(r);
	unsigned int n[COLO_CKPT_REASON_MAX];
	struct json_ctr jc = { f, "" };
	unsigned int i, end;
	char key[KEY_TEXT];

	fprintf(f, "{\n  \"inputs\": {");
	for (i = 0; i < 2; i++) {
		fprintf(f, "%s\"%s\": {\"file\": ", i == 0 ? "" : ", ", side_name[i]);
		json_string(f, r->path[i]);
		fprintf(f,
				", \"frames\": %" PRIu32 ", \"truncated\": %" PRIu32
				", \"cut_short\": %s}",
				r->nb_frames[i], r->nb_truncated[i],
				r->cut_short[i] ? "true" : "false");
	}
	fprintf(f, "},\n  \"duration\": ");
	json_time(f, r->last_ns, r->first_ns);
	fprintf(f, ",\n  \"frames_skipped_no_mbuf\": %" PRIu32, r->nb_no_mbuf);
	fprintf(f,
			",\n  \"params\": {\"compare_timeout_ms\": %" PRIu32
			", \"expired_scan_cycle_ms\": %" PRIu32 ", \"max_queue\": %" PRIu32
			", \"max_conns\": %" PRIu32 ", \"idle_timeout_ms\": %" PRIu32
			", \"closing_timeout_ms\": %" PRIu32 ", \"compare_nonip\": %s}",
			r->params.compare_timeout_ms, r->params.expired_scan_cycle_ms,
			r->params.max_queue, r->params.max_conns, r->params.idle_timeout_ms,
			r->params.closing_timeout_ms, r->params.compare_nonip ? "true" : "false");
	fprintf(f, ",\n  \"checkpoints\": [");
	for (i = 0; i < r->nb_req; i++) {
		fprintf(f, "%s\n", i == 0 ? "" : ",");
		json_request(f, r, &r->req[i]);
	}
	fprintf(f,
			"%s],\n  \"summary\": {\"requests\": %u, \"coalesced\": %" PRIu64
			", \"by_reason\": ",
			r->nb_req == 0 ? "" : "\n  ", r->nb_req, r->stats.ctr[COLO_CKPT_COALESCED]);
	memset(n, 0, sizeof(n));
	if (v != NULL)
		count_reasons(v, 0, r->nb_req, n);
	json_reasons(f, n);
	fprintf(f, ", \"by_conn\": [");
	for (i = 0; v != NULL && i < r->nb_req; i = end) {
		end = group_end(v, i, r->nb_req);
		colo_key_format(&v[i]->rec.key, key, sizeof(key));
		count_reasons(v, i, end, n);
		fprintf(f, "%s\n    {\"conn\": ", i == 0 ? "" : ",");
		json_string(f, key);
		fprintf(f, ", \"requests\": %u, \"by_reason\": ", end - i);
		json_reasons(f, n);
		fputc('}', f);
	}
	fprintf(f, "%s]},\n  \"counters\": {", r->nb_req == 0 ? "" : "\n  ");
	colo_stats_foreach(&r->stats, json_counter, &jc);
	fprintf(f, "}\n}\n");
	free(v);
}
