/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness of the chardev record decoder (lib/colo_chardev_proto.c).
 * The input is a byte stream cut into chunks of fuzzer-chosen sizes, as a
 * socket would deliver it. The incremental decoder must report exactly what
 * a whole-stream reference decoder written here reports (records, their
 * bytes, records without a frame, a broken stream), consume no more than it
 * is given, make progress until the stream breaks, and never touch its
 * buffer past the cap (the buffer is a malloc of exactly the cap). Every
 * record decoded holds the stream's bytes, and its header re-encoded gives
 * back the header on the wire.
 *
 * Input: [flags][chunk size byte][chunk bytes]...; flags bit 0 is
 * vnet_hdr_support, bits 1-2 pick the buffer size.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "colo_chardev_proto.h"
#include "fuzz_common.h"

struct event {
	enum colo_chardev_status status;
	size_t off;	  /* record start in the stream (after its header) */
	uint32_t len;	  /* record length */
	uint32_t vnet_len;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t caps[] = { COLO_CHARDEV_MAX_LEN, 64, 1514, 9018 };

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The whole stream at once; *partial: it ends inside a record. */
static size_t
ref_decode(const uint8_t *s, size_t n, bool vnet, uint32_t cap, struct event *ev,
		bool *partial)
{
	size_t pos = 0, nb = 0, hdr = vnet ? 8 : 4;
	uint32_t len, vlen;

	*partial = false;
	for (;;) {
		if (n - pos < hdr) {
			*partial = n - pos != 0;
			return nb;
		}
		len = be32(s + pos);
		vlen = vnet ? be32(s + pos + 4) : 0;
		pos += hdr;
		if (len > cap) {
			ev[nb++] = (struct event){ COLO_CHARDEV_BROKEN, pos, len, vlen };
			*partial = true;
			return nb;
		}
		if (n - pos < len) {
			*partial = true;
			return nb;
		}
		ev[nb++] = (struct event){ vlen >= len ? COLO_CHARDEV_MALFORMED :
							 COLO_CHARDEV_RECORD,
			pos, len, vlen };
		pos += len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	size_t nb_ref, nb_got = 0, slen = 0, clen, off, used, i, max_ev;
	uint8_t flags, *stream, *buf, hdr[COLO_CHARDEV_HDR_MAX];
	struct colo_chardev_dec dec;
	struct colo_chardev_rec rec;
	enum colo_chardev_status st;
	struct event *ref, *got;
	const uint8_t *chunk;
	bool vnet, ref_partial, broken = false;
	uint32_t cap;
	int h;

	flags = fuzz_u8(&in);
	vnet = flags & 1;
	cap = caps[(flags >> 1) & 3];
	max_ev = size / 4 + 2;
	stream = malloc(size + 1);
	buf = malloc(cap);
	ref = calloc(max_ev, sizeof(*ref));
	got = calloc(max_ev, sizeof(*got));
	FUZZ_CHECK(stream != NULL && buf != NULL && ref != NULL && got != NULL);

	colo_chardev_dec_init(&dec, buf, cap, vnet);
	while (in.n != 0) {
		uint8_t c = fuzz_u8(&in);

		chunk = fuzz_bytes(&in, c < 200 ? c : (c - 199u) * 997u, &clen);
		memcpy(stream + slen, chunk, clen);
		off = 0;
		do {
			used = SIZE_MAX;
			st = colo_chardev_dec_feed(&dec, chunk + off, clen - off, &used, &rec);
			FUZZ_CHECK(used <= clen - off);
			if (st == COLO_CHARDEV_NEED_MORE)
				FUZZ_CHECK(used == clen - off);
			if (broken) {
				FUZZ_CHECK(st == COLO_CHARDEV_BROKEN && used == 0);
				break;
			}
			/* Progress: bytes given are consumed or a record ended. */
			FUZZ_CHECK(clen - off == 0 || used > 0);
			if (st != COLO_CHARDEV_NEED_MORE) {
				FUZZ_CHECK(nb_got < max_ev);
				got[nb_got] = (struct event){ st, 0, 0, 0 };
				if (st == COLO_CHARDEV_RECORD) {
					FUZZ_CHECK(rec.frame_len >= 1);
					FUZZ_CHECK(rec.frame == buf + rec.vnet_hdr_len);
					FUZZ_CHECK((rec.vnet_hdr == NULL) == (rec.vnet_hdr_len == 0));
					FUZZ_CHECK(vnet || rec.vnet_hdr_len == 0);
					got[nb_got].len = rec.frame_len + rec.vnet_hdr_len;
					got[nb_got].vnet_len = rec.vnet_hdr_len;
					/* The record's bytes are the stream's, just consumed. */
					got[nb_got].off = slen + off + used - got[nb_got].len;
					h = colo_chardev_encode_hdr(hdr, rec.frame_len, rec.vnet_hdr_len,
							vnet);
					FUZZ_CHECK(h == (vnet ? 8 : 4));
					FUZZ_CHECK(memcmp(hdr, stream + got[nb_got].off - (size_t)h,
							(size_t)h) == 0);
					FUZZ_CHECK(memcmp(buf, stream + got[nb_got].off,
							got[nb_got].len) == 0);
				}
				if (st == COLO_CHARDEV_BROKEN)
					broken = true;
				nb_got++;
			}
			off += used;
		} while (off < clen);
		slen += clen;
	}

	nb_ref = ref_decode(stream, slen, vnet, cap, ref, &ref_partial);
	FUZZ_CHECK(nb_got == nb_ref);
	for (i = 0; i < nb_ref; i++) {
		FUZZ_CHECK(got[i].status == ref[i].status);
		if (ref[i].status != COLO_CHARDEV_RECORD)
			continue;
		FUZZ_CHECK(got[i].off == ref[i].off);
		FUZZ_CHECK(got[i].len == ref[i].len && got[i].vnet_len == ref[i].vnet_len);
	}
	FUZZ_CHECK(colo_chardev_dec_partial(&dec) == ref_partial);
	FUZZ_CHECK(dec.stats.records + dec.stats.malformed + dec.stats.oversized == nb_ref);

	free(stream);
	free(buf);
	free(ref);
	free(got);
	return 0;
}
