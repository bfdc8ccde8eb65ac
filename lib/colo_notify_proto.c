/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * notify_dev record encoding and the incremental decoder (docs/semantics.md N1-N5). The
 * decoder keeps at most sizeof(body) bytes of a record, so a hostile length
 * prefix costs no memory: oversized bodies are counted down, not stored.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "colo_notify_proto.h"

/* Indexed by enum colo_notify_msg; the strings go on the wire without a NUL. */
static const char *const msg_strs[] = {
	[COLO_NOTIFY_MSG_PROXY_INIT] = "COLO_USERSPACE_PROXY_INIT",
	[COLO_NOTIFY_MSG_GET_XEN_INIT] = "COLO_COMPARE_GET_XEN_INIT",
	[COLO_NOTIFY_MSG_DO_CHECKPOINT] = "DO_CHECKPOINT",
	[COLO_NOTIFY_MSG_CHECKPOINT_DONE] = "COLO_CHECKPOINT",
	[COLO_NOTIFY_MSG_FAILOVER] = "COLO_FAILOVER",
};

/* The longest string is 25 bytes; the body buffer and the encode bound must hold it. */
static_assert(sizeof("COLO_USERSPACE_PROXY_INIT") - 1 <=
				sizeof(((struct colo_notify_dec *)0)->body),
		"decoder body buffer too small for the known messages");
static_assert(COLO_NOTIFY_HDR_LEN + sizeof("COLO_USERSPACE_PROXY_INIT") - 1 <= COLO_NOTIFY_ENC_MAX,
		"COLO_NOTIFY_ENC_MAX too small");

const char *
colo_notify_msg_str(enum colo_notify_msg msg, size_t *len)
{
	const char *s = NULL;

	if ((unsigned int)msg < RTE_DIM(msg_strs))
		s = msg_strs[msg];
	*len = s != NULL ? strlen(s) : 0;
	return s;
}

int
colo_notify_encode(enum colo_notify_msg msg, uint8_t *buf, size_t cap)
{
	rte_be32_t be_len;
	const char *s;
	size_t len;

	s = colo_notify_msg_str(msg, &len);
	if (s == NULL)
		return -EINVAL;
	if (cap < COLO_NOTIFY_HDR_LEN + len)
		return -ENOSPC;
	be_len = rte_cpu_to_be_32((uint32_t)len);
	memcpy(buf, &be_len, COLO_NOTIFY_HDR_LEN);
	memcpy(buf + COLO_NOTIFY_HDR_LEN, s, len);
	return (int)(COLO_NOTIFY_HDR_LEN + len);
}

void
colo_notify_dec_init(struct colo_notify_dec *dec)
{
	memset(dec, 0, sizeof(*dec));
}

bool
colo_notify_dec_partial(const struct colo_notify_dec *dec)
{
	return dec->hdr_have != 0 || dec->skip != 0;
}

/* Which message a complete body is; anything but an exact match is unknown. */
static enum colo_notify_msg
classify(const struct colo_notify_dec *dec)
{
	unsigned int i;
	size_t len;

	if (dec->len > sizeof(dec->body))
		return COLO_NOTIFY_MSG_UNKNOWN;
	for (i = 0; i < RTE_DIM(msg_strs); i++) {
		if (msg_strs[i] == NULL)
			continue;
		len = strlen(msg_strs[i]);
		if (len == dec->len && memcmp(dec->body, msg_strs[i], len) == 0)
			return (enum colo_notify_msg)i;
	}
	return COLO_NOTIFY_MSG_UNKNOWN;
}

enum colo_notify_status
colo_notify_dec_feed(struct colo_notify_dec *dec, const uint8_t *data, size_t len, size_t *consumed,
		enum colo_notify_msg *msg)
{
	size_t off = 0, n;
	rte_be32_t be_len;

	*msg = COLO_NOTIFY_MSG_UNKNOWN;
	while (off < len) {
		if (dec->skip != 0) {
			n = RTE_MIN((size_t)dec->skip, len - off);
			dec->skip -= (uint32_t)n;
			off += n;
			continue;
		}
		if (dec->hdr_have < COLO_NOTIFY_HDR_LEN) {
			n = RTE_MIN((size_t)(COLO_NOTIFY_HDR_LEN - dec->hdr_have), len - off);
			memcpy(dec->hdr + dec->hdr_have, data + off, n);
			dec->hdr_have += (uint32_t)n;
			off += n;
			if (dec->hdr_have < COLO_NOTIFY_HDR_LEN)
				break;
			memcpy(&be_len, dec->hdr, sizeof(be_len));
			dec->len = rte_be_to_cpu_32(be_len);
			dec->have = 0;
			if (dec->len > COLO_NOTIFY_MAX_LEN) {
				/* Report at once, so the caller can count it before a
				 * body of up to 4 GiB has been drained. */
				dec->skip = dec->len;
				dec->hdr_have = 0;
				*consumed = off;
				return COLO_NOTIFY_OVERSIZED;
			}
		} else {
			n = RTE_MIN((size_t)(dec->len - dec->have), len - off);
			if (dec->have < sizeof(dec->body))
				memcpy(dec->body + dec->have, data + off,
						RTE_MIN(n, sizeof(dec->body) - dec->have));
			dec->have += (uint32_t)n;
			off += n;
		}
		/* Length 0 completes right after its prefix. */
		if (dec->have == dec->len) {
			*msg = classify(dec);
			dec->hdr_have = 0;
			*consumed = off;
			return COLO_NOTIFY_RECORD;
		}
	}
	*consumed = off;
	return COLO_NOTIFY_NEED_MORE;
}
