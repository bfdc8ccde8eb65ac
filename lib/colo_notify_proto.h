/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QEMU's stream framing and notify_dev messages (docs/semantics.md N1-N5): a 4-byte
 * big-endian length, then the message bytes. Encoding and an incremental
 * decoder only; the socket I/O is the app's. No allocation, no I/O, so the
 * decoder can be fed hostile bytes by a fuzzer or a unit test directly.
 */
#ifndef COLO_NOTIFY_PROTO_H
#define COLO_NOTIFY_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Largest record QEMU accepts (NET_BUFSIZE + vnet header room). */
#define COLO_NOTIFY_MAX_LEN 69632

/** Bytes of the length prefix that starts every record. */
#define COLO_NOTIFY_HDR_LEN 4

/** Room enough for any encoded message: prefix plus the longest string (25 bytes). */
#define COLO_NOTIFY_ENC_MAX 32

/** Messages of the notify_dev protocol. */
enum colo_notify_msg {
	COLO_NOTIFY_MSG_UNKNOWN = 0,
	COLO_NOTIFY_MSG_PROXY_INIT,	 /**< "COLO_USERSPACE_PROXY_INIT" (frame -> proxy) */
	COLO_NOTIFY_MSG_GET_XEN_INIT,	 /**< "COLO_COMPARE_GET_XEN_INIT" (proxy -> frame) */
	COLO_NOTIFY_MSG_DO_CHECKPOINT,	 /**< "DO_CHECKPOINT" (proxy -> frame) */
	COLO_NOTIFY_MSG_CHECKPOINT_DONE, /**< "COLO_CHECKPOINT" (frame -> proxy) */
	/** "COLO_FAILOVER" (frame -> proxy): ours, not QEMU's; see docs/deployment.md */
	COLO_NOTIFY_MSG_FAILOVER,
};

/** Result of feeding bytes to the decoder. */
enum colo_notify_status {
	COLO_NOTIFY_NEED_MORE = 0, /**< no complete record yet */
	COLO_NOTIFY_RECORD,	   /**< a record is complete; see msg */
	COLO_NOTIFY_OVERSIZED,	   /**< length prefix above the cap; the record is skipped */
};

/** Incremental decoder state; zero it (or call colo_notify_dec_init) before use. */
struct colo_notify_dec {
	uint8_t hdr[4];
	uint32_t hdr_have;
	uint32_t len;	  /**< length of the record being read */
	uint32_t have;	  /**< bytes of its body read so far */
	uint32_t skip;	  /**< bytes of an oversized body still to discard */
	uint8_t body[64]; /**< known messages are short; longer ones are unknown */
};

/**
 * The exact bytes of @p msg, without a NUL, and their count in @p len.
 *
 * @return the string, or NULL (and *len = 0) for COLO_NOTIFY_MSG_UNKNOWN or
 *   a value outside the enum.
 */
const char *colo_notify_msg_str(enum colo_notify_msg msg, size_t *len);

/**
 * Write the record for @p msg (length prefix and message) into @p buf.
 *
 * @return the number of bytes written, -EINVAL if @p msg has no string, or
 *   -ENOSPC if @p cap is too small (COLO_NOTIFY_ENC_MAX always fits).
 */
int colo_notify_encode(enum colo_notify_msg msg, uint8_t *buf, size_t cap);

/** Reset @p dec to expect the start of a record. */
void colo_notify_dec_init(struct colo_notify_dec *dec);

/**
 * Consume bytes of @p data until one record completes or the data runs out.
 * Call again with the rest (@p data + *consumed) until it is used up.
 *
 * A record whose length exceeds COLO_NOTIFY_MAX_LEN is reported as
 * COLO_NOTIFY_OVERSIZED as soon as its prefix is read; its body is then
 * discarded by the following calls, never buffered. A record within the cap
 * that is not one of the known strings (including length 0) completes as
 * COLO_NOTIFY_RECORD with COLO_NOTIFY_MSG_UNKNOWN.
 *
 * @param consumed
 *   Set to the bytes of @p data used, at most @p len.
 * @param msg
 *   Set to the message when COLO_NOTIFY_RECORD is returned, otherwise to
 *   COLO_NOTIFY_MSG_UNKNOWN.
 * @return the status; COLO_NOTIFY_NEED_MORE means all of @p data was used.
 */
enum colo_notify_status colo_notify_dec_feed(struct colo_notify_dec *dec, const uint8_t *data,
		size_t len, size_t *consumed, enum colo_notify_msg *msg);

/**
 * Whether @p dec holds part of a record (prefix bytes, body bytes, or an
 * oversized body still being skipped). A peer that disconnects in that
 * state sent a truncated record.
 */
bool colo_notify_dec_partial(const struct colo_notify_dec *dec);

#endif /* COLO_NOTIFY_PROTO_H */
