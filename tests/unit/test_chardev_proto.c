/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CUnit suite for lib/colo_chardev_proto.c: the exact bytes QEMU's
 * filter-mirror writes (with and without vnet_hdr_support), the decoder fed
 * whole, split and byte at a time, records without a frame, an oversized
 * length that breaks the stream, and the encoder's limits. Needs no EAL.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include <rte_common.h>

#include "colo_chardev_proto.h"
#include "unit.h"

static uint8_t recbuf[COLO_CHARDEV_MAX_LEN];

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* A record as filter_send() writes it; returns its length in @p out. */
static size_t
wire(uint8_t *out, const uint8_t *rec, uint32_t len, bool vnet, uint32_t vnet_len)
{
	size_t n = 0;

	put_be32(out, len);
	n += 4;
	if (vnet) {
		put_be32(out + n, vnet_len);
		n += 4;
	}
	memcpy(out + n, rec, len);
	return n + len;
}

struct got {
	unsigned int records, malformed, broken;
	uint32_t frame_len[8], vnet_len[8];
	uint8_t first[8];
};

/* Feed @p data in chunks of @p step bytes, collecting what completes. */
static void
feed_chunks(struct colo_chardev_dec *dec, const uint8_t *data, size_t len, size_t step,
		struct got *g)
{
	struct colo_chardev_rec rec;
	enum colo_chardev_status st;
	size_t off = 0, used, n;

	while (off < len) {
		n = len - off < step ? len - off : step;
		st = colo_chardev_dec_feed(dec, data + off, n, &used, &rec);
		CU_ASSERT_FATAL(used <= n);
		if (st == COLO_CHARDEV_NEED_MORE)
			CU_ASSERT_EQUAL(used, n);
		if (st == COLO_CHARDEV_RECORD && g->records < 8) {
			g->frame_len[g->records] = rec.frame_len;
			g->vnet_len[g->records] = rec.vnet_hdr_len;
			g->first[g->records] = rec.frame[0];
			CU_ASSERT_EQUAL(rec.vnet_hdr == NULL, rec.vnet_hdr_len == 0);
			g->records++;
		} else if (st == COLO_CHARDEV_MALFORMED) {
			g->malformed++;
		} else if (st == COLO_CHARDEV_BROKEN) {
			g->broken++;
			return;
		}
		off += used;
	}
}

static void
test_plain_bytes(void)
{
	static const uint8_t frame[] = { 0xAA, 0xBB, 0xCC };
	static const uint8_t expect[] = { 0, 0, 0, 3, 0xAA, 0xBB, 0xCC };
	uint8_t hdr[COLO_CHARDEV_HDR_MAX];
	struct colo_chardev_dec dec;
	struct colo_chardev_rec rec;
	size_t used;

	CU_ASSERT_EQUAL(colo_chardev_encode_hdr(hdr, 3, 0, false), 4);
	CU_ASSERT_EQUAL(memcmp(hdr, expect, 4), 0);
	colo_chardev_dec_init(&dec, recbuf, sizeof(recbuf), false);
	CU_ASSERT_EQUAL(colo_chardev_dec_feed(&dec, expect, sizeof(expect), &used, &rec),
			COLO_CHARDEV_RECORD);
	CU_ASSERT_EQUAL(used, sizeof(expect));
	CU_ASSERT_EQUAL(rec.frame_len, 3);
	CU_ASSERT_EQUAL(memcmp(rec.frame, frame, 3), 0);
	CU_ASSERT_PTR_NULL(rec.vnet_hdr);
	CU_ASSERT_EQUAL(dec.stats.records, 1);
	CU_ASSERT_EQUAL(dec.stats.bytes, sizeof(expect));
	CU_ASSERT_FALSE(colo_chardev_dec_partial(&dec));
}

/* vnet_hdr_support=on: length counts header and frame, then vnet_hdr_len. */
static void
test_vnet_bytes(void)
{
	static const uint8_t expect[] = { 0, 0, 0, 14, 0, 0, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9,
		10, 11, 12, 0xDE, 0xAD };
	uint8_t hdr[COLO_CHARDEV_HDR_MAX];
	struct colo_chardev_dec dec;
	struct colo_chardev_rec rec;
	size_t used;

	CU_ASSERT_EQUAL(colo_chardev_encode_hdr(hdr, 2, 12, true), 8);
	CU_ASSERT_EQUAL(memcmp(hdr, expect, 8), 0);
	colo_chardev_dec_init(&dec, recbuf, sizeof(recbuf), true);
	CU_ASSERT_EQUAL(colo_chardev_dec_feed(&dec, expect, sizeof(expect), &used, &rec),
			COLO_CHARDEV_RECORD);
	CU_ASSERT_EQUAL(used, sizeof(expect));
	CU_ASSERT_EQUAL(rec.vnet_hdr_len, 12);
	CU_ASSERT_EQUAL(rec.vnet_hdr[0], 1);
	CU_ASSERT_EQUAL(rec.vnet_hdr[11], 12);
	CU_ASSERT_EQUAL(rec.frame_len, 2);
	CU_ASSERT_EQUAL(rec.frame[0], 0xDE);
	CU_ASSERT_EQUAL(rec.frame[1], 0xAD);
}

/* Three records of different sizes, fed whole, split at every size, byte by byte. */
static void
test_split_everywhere(void)
{
	static uint8_t stream[3 * 1600];
	uint8_t frame[1514];
	struct colo_chardev_dec dec;
	size_t n = 0, step;
	unsigned int v;

	for (v = 0; v < 2; v++) {
		n = 0;
		memset(frame, 0x11, sizeof(frame));
		n += wire(stream + n, frame, 60, v, 0);
		memset(frame, 0x22, sizeof(frame));
		n += wire(stream + n, frame, 1514, v, v ? 10 : 0);
		memset(frame, 0x33, sizeof(frame));
		n += wire(stream + n, frame, 1, v, 0);
		for (step = 1; step <= n; step += step < 20 ? 1 : 97) {
			struct got g = { 0 };

			colo_chardev_dec_init(&dec, recbuf, sizeof(recbuf), v);
			feed_chunks(&dec, stream, n, step, &g);
			CU_ASSERT_EQUAL_FATAL(g.records, 3);
			CU_ASSERT_EQUAL(g.frame_len[0], 60);
			CU_ASSERT_EQUAL(g.first[0], 0x11);
			CU_ASSERT_EQUAL(g.frame_len[1], v ? 1504 : 1514);
			CU_ASSERT_EQUAL(g.vnet_len[1], v ? 10 : 0);
			CU_ASSERT_EQUAL(g.first[1], 0x22);
			CU_ASSERT_EQUAL(g.frame_len[2], 1);
			CU_ASSERT_EQUAL(g.first[2], 0x33);
			CU_ASSERT_EQUAL(dec.stats.bytes, n);
			CU_ASSERT_FALSE(colo_chardev_dec_partial(&dec));
		}
	}
}

/* A peer that stops mid-record leaves the decoder partial, at every cut. */
static void
test_partial_at_every_cut(void)
{
	uint8_t frame[64], stream[80];
	struct colo_chardev_dec dec;
	size_t n, cut;

	memset(frame, 0x5A, sizeof(frame));
	n = wire(stream, frame, sizeof(frame), true, 0);
	for (cut = 1; cut < n; cut++) {
		struct got g = { 0 };

		colo_chardev_dec_init(&dec, recbuf, sizeof(recbuf), true);
		feed_chunks(&dec, stream, cut, cut, &g);
		CU_ASSERT_EQUAL(g.records, 0);
		CU_ASSERT_TRUE(colo_chardev_dec_partial(&dec));
	}
}

/* Length 0, and vnet_hdr_len not below the length: framed, dropped, stream goes on. */
static void
test_malformed_records_keep_sync(void)
{
	uint8_t frame[32], stream[256];
	struct colo_chardev_dec dec;
	struct got g = { 0 };
	size_t n = 0;

	memset(frame, 0x77, sizeof(frame));
	n += wire(stream + n, frame, 0, true, 0);
	n += wire(stream + n, frame, 12, true, 12);
	n += wire(stream + n, frame, 12, true, 200);
	n += wire(stream + n, frame, 20, true, 12);
	colo_chardev_dec_init(&dec, recbuf, sizeof(recbuf), true);
	feed_chunks(&dec, stream, n, n, &g);
	CU_ASSERT_EQUAL(g.malformed, 3);
	CU_ASSERT_EQUAL(dec.stats.malformed, 3);
	CU_ASSERT_EQUAL_FATAL(g.records, 1);
	CU_ASSERT_EQUAL(g.frame_len[0], 8);
	CU_ASSERT_EQUAL(g.vnet_len[0], 12);
}

/* A length above the buffer breaks the stream for good, as in QEMU. */
static void
test_oversized_breaks_stream(void)
{
	static const uint8_t big[] = { 0, 0x01, 0x10, 0x01, 0xAA, 0, 0, 0, 1, 0xBB };
	uint8_t small[100], stream[160], frame[100];
	struct colo_chardev_dec dec;
	struct colo_chardev_rec rec;
	struct got g = { 0 };
	size_t used, n = 0;

	/* 69633 = COLO_CHARDEV_MAX_LEN + 1 */
	colo_chardev_dec_init(&dec, recbuf, sizeof(recbuf), false);
	CU_ASSERT_EQUAL(colo_chardev_dec_feed(&dec, big, sizeof(big), &used, &rec),
			COLO_CHARDEV_BROKEN);
	CU_ASSERT_EQUAL(used, 4);
	CU_ASSERT_EQUAL(colo_chardev_dec_feed(&dec, big + 4, 6, &used, &rec), COLO_CHARDEV_BROKEN);
	CU_ASSERT_EQUAL(used, 0);
	CU_ASSERT_EQUAL(dec.stats.oversized, 1);

	/* The cap is the caller's buffer: exactly cap decodes, cap + 1 breaks. */
	memset(frame, 0x42, sizeof(frame));
	n += wire(stream + n, frame, sizeof(small), false, 0);
	n += wire(stream + n, frame, sizeof(small) + 1 - 50, false, 0);
	colo_chardev_dec_init(&dec, small, sizeof(small), false);
	feed_chunks(&dec, stream, n, 7, &g);
	CU_ASSERT_EQUAL(g.records, 2);
	colo_chardev_dec_init(&dec, small, sizeof(small) - 1, false);
	memset(&g, 0, sizeof(g));
	feed_chunks(&dec, stream, n, 7, &g);
	CU_ASSERT_EQUAL(g.records, 0);
	CU_ASSERT_EQUAL(g.broken, 1);

	/* The largest record QEMU reads decodes. */
	put_be32(stream, COLO_CHARDEV_MAX_LEN);
	colo_chardev_dec_init(&dec, recbuf, sizeof(recbuf), false);
	CU_ASSERT_EQUAL(colo_chardev_dec_feed(&dec, stream, 4, &used, &rec), COLO_CHARDEV_NEED_MORE);
	CU_ASSERT_EQUAL(colo_chardev_dec_feed(&dec, recbuf, COLO_CHARDEV_MAX_LEN, &used, &rec),
			COLO_CHARDEV_RECORD);
	CU_ASSERT_EQUAL(rec.frame_len, COLO_CHARDEV_MAX_LEN);
}

static void
test_encode_limits(void)
{
	uint8_t hdr[COLO_CHARDEV_HDR_MAX];

	CU_ASSERT_EQUAL(colo_chardev_encode_hdr(hdr, 0, 0, false), -EINVAL);
	CU_ASSERT_EQUAL(colo_chardev_encode_hdr(hdr, 0, 12, true), -EINVAL);
	CU_ASSERT_EQUAL(colo_chardev_encode_hdr(hdr, 60, 12, false), -EINVAL);
	CU_ASSERT_EQUAL(colo_chardev_encode_hdr(hdr, COLO_CHARDEV_MAX_LEN, 0, false), 4);
	CU_ASSERT_EQUAL(colo_chardev_encode_hdr(hdr, COLO_CHARDEV_MAX_LEN + 1, 0, false),
			-EMSGSIZE);
	CU_ASSERT_EQUAL(colo_chardev_encode_hdr(hdr, COLO_CHARDEV_MAX_LEN - 11, 12, true),
			-EMSGSIZE);
	CU_ASSERT_EQUAL(colo_chardev_encode_hdr(hdr, UINT32_MAX, UINT32_MAX, true), -EMSGSIZE);
}

/* What the encoder writes, the decoder reads back, header and frame. */
static void
test_round_trip(void)
{
	uint8_t stream[2048], hdr[COLO_CHARDEV_HDR_MAX], vh[12], frame[1000];
	struct colo_chardev_dec dec;
	struct colo_chardev_rec rec;
	size_t used;
	int h;

	memset(vh, 0x01, sizeof(vh));
	memset(frame, 0xF0, sizeof(frame));
	h = colo_chardev_encode_hdr(hdr, sizeof(frame), sizeof(vh), true);
	CU_ASSERT_EQUAL_FATAL(h, 8);
	memcpy(stream, hdr, 8);
	memcpy(stream + 8, vh, sizeof(vh));
	memcpy(stream + 8 + sizeof(vh), frame, sizeof(frame));
	colo_chardev_dec_init(&dec, recbuf, sizeof(recbuf), true);
	CU_ASSERT_EQUAL(colo_chardev_dec_feed(&dec, stream, 8 + sizeof(vh) + sizeof(frame), &used,
				&rec), COLO_CHARDEV_RECORD);
	CU_ASSERT_EQUAL(rec.vnet_hdr_len, sizeof(vh));
	CU_ASSERT_EQUAL(memcmp(rec.vnet_hdr, vh, sizeof(vh)), 0);
	CU_ASSERT_EQUAL(rec.frame_len, sizeof(frame));
	CU_ASSERT_EQUAL(memcmp(rec.frame, frame, sizeof(frame)), 0);
}

static void
test_empty_feed(void)
{
	struct colo_chardev_dec dec;
	struct colo_chardev_rec rec;
	size_t used = 99;

	colo_chardev_dec_init(&dec, recbuf, sizeof(recbuf), false);
	CU_ASSERT_EQUAL(colo_chardev_dec_feed(&dec, NULL, 0, &used, &rec), COLO_CHARDEV_NEED_MORE);
	CU_ASSERT_EQUAL(used, 0);
}

static const struct unit_case cases[] = {
	{ "a plain record has QEMU's bytes", test_plain_bytes },
	{ "vnet_hdr_support adds vnet_hdr_len; the length counts the header", test_vnet_bytes },
	{ "records decode fed whole, split anywhere and byte at a time", test_split_everywhere },
	{ "a record cut anywhere leaves the decoder partial", test_partial_at_every_cut },
	{ "records without a frame are dropped and sync is kept",
			test_malformed_records_keep_sync },
	{ "a length above the buffer breaks the stream for good", test_oversized_breaks_stream },
	{ "the encoder refuses empty, vnet-less-with-header and oversized records",
			test_encode_limits },
	{ "encode then decode gives back header and frame", test_round_trip },
	{ "feeding nothing consumes nothing", test_empty_feed },
};

int
main(void)
{
	return unit_run("chardev_proto", cases, RTE_DIM(cases));
}
