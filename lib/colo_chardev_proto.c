/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Record framing of QEMU's filter and colo-compare chardev sockets. Like
 * QEMU's own reader, a record is assembled whole before it is reported, and a
 * length above the buffer ends the stream: after such a prefix nothing in the
 * byte stream marks where the next record starts.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "colo_chardev_proto.h"

void
colo_chardev_dec_init(struct colo_chardev_dec *dec, uint8_t *buf, uint32_t cap, bool vnet_hdr)
{
	memset(dec, 0, sizeof(*dec));
	dec->buf = buf;
	dec->cap = cap;
	dec->vnet_hdr = vnet_hdr;
}

bool
colo_chardev_dec_partial(const struct colo_chardev_dec *dec)
{
	return dec->hdr_have != 0;
}

static uint32_t
get_be32(const uint8_t *p)
{
	rte_be32_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_32(v);
}

/* The record in the buffer is complete: report it or say why it holds no frame. */
static enum colo_chardev_status
finish(struct colo_chardev_dec *dec, struct colo_chardev_rec *rec)
{
	dec->hdr_have = 0;
	if (dec->vnet_hdr_len >= dec->len) {
		dec->stats.malformed++;
		return COLO_CHARDEV_MALFORMED;
	}
	rec->vnet_hdr = dec->vnet_hdr_len != 0 ? dec->buf : NULL;
	rec->vnet_hdr_len = dec->vnet_hdr_len;
	rec->frame = dec->buf + dec->vnet_hdr_len;
	rec->frame_len = dec->len - dec->vnet_hdr_len;
	dec->stats.records++;
	return COLO_CHARDEV_RECORD;
}

enum colo_chardev_status
colo_chardev_dec_feed(struct colo_chardev_dec *dec, const uint8_t *data, size_t len,
		size_t *consumed, struct colo_chardev_rec *rec)
{
	uint32_t hdr_len = dec->vnet_hdr ? 8 : 4;
	enum colo_chardev_status st = COLO_CHARDEV_NEED_MORE;
	size_t off = 0, n;

	if (dec->broken) {
		*consumed = 0;
		return COLO_CHARDEV_BROKEN;
	}
	while (off < len) {
		if (dec->hdr_have < hdr_len) {
			n = RTE_MIN((size_t)(hdr_len - dec->hdr_have), len - off);
			memcpy(dec->hdr + dec->hdr_have, data + off, n);
			dec->hdr_have += (uint32_t)n;
			off += n;
			if (dec->hdr_have < hdr_len)
				break;
			dec->len = get_be32(dec->hdr);
			dec->vnet_hdr_len = dec->vnet_hdr ? get_be32(dec->hdr + 4) : 0;
			dec->have = 0;
			if (dec->len > dec->cap) {
				dec->broken = true;
				dec->stats.oversized++;
				st = COLO_CHARDEV_BROKEN;
				break;
			}
		} else {
			n = RTE_MIN((size_t)(dec->len - dec->have), len - off);
			memcpy(dec->buf + dec->have, data + off, n);
			dec->have += (uint32_t)n;
			off += n;
		}
		/* Length 0 completes right after its header. */
		if (dec->have == dec->len) {
			st = finish(dec, rec);
			break;
		}
	}
	dec->stats.bytes += off;
	*consumed = off;
	return st;
}

int
colo_chardev_encode_hdr(uint8_t hdr[COLO_CHARDEV_HDR_MAX], uint32_t frame_len,
		uint32_t vnet_hdr_len, bool vnet_hdr)
{
	rte_be32_t v;
	uint64_t len = (uint64_t)frame_len + vnet_hdr_len;

	if (frame_len == 0 || (!vnet_hdr && vnet_hdr_len != 0))
		return -EINVAL;
	if (len > COLO_CHARDEV_MAX_LEN)
		return -EMSGSIZE;
	v = rte_cpu_to_be_32((uint32_t)len);
	memcpy(hdr, &v, sizeof(v));
	if (!vnet_hdr)
		return 4;
	v = rte_cpu_to_be_32(vnet_hdr_len);
	memcpy(hdr + 4, &v, sizeof(v));
	return 8;
}
