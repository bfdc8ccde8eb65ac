/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The record framing of QEMU's filter-mirror, filter-redirector and
 * colo-compare chardev sockets (and of -netdev socket/stream): a 4-byte
 * big-endian record length, then, only when the filter was created with
 * vnet_hdr_support=on, a 4-byte big-endian vnet_hdr_len, then the record.
 * The record holds vnet_hdr_len bytes of virtio-net header followed by the
 * Ethernet frame; the length counts both. No I/O and no allocation: the
 * caller owns the socket and the record buffer, so a fuzzer or a unit test
 * can feed the decoder hostile bytes directly.
 */
#ifndef COLO_CHARDEV_PROTO_H
#define COLO_CHARDEV_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Largest record QEMU's own reader accepts (NET_BUFSIZE: 4096 + 65536). */
#define COLO_CHARDEV_MAX_LEN 69632

/** Bytes before the record: the length, and the vnet_hdr_len when enabled. */
#define COLO_CHARDEV_HDR_MAX 8

/** Result of feeding bytes to the decoder. */
enum colo_chardev_status {
	COLO_CHARDEV_NEED_MORE = 0, /**< no complete record yet; all input used */
	COLO_CHARDEV_RECORD,	    /**< a record is complete; see struct colo_chardev_rec */
	/** A record was framed but holds no frame (length 0, or vnet_hdr_len not below
	 *  the length). It was read and dropped; the stream goes on. */
	COLO_CHARDEV_MALFORMED,
	/** A length above the buffer: the stream cannot be resynchronised (QEMU closes
	 *  the connection there too). Sticky until colo_chardev_dec_init(). */
	COLO_CHARDEV_BROKEN,
};

/** One decoded record; points into the decoder's buffer until the next feed. */
struct colo_chardev_rec {
	const uint8_t *frame;	/**< the Ethernet frame (after the vnet header) */
	uint32_t frame_len;	/**< its length, at least 1 */
	const uint8_t *vnet_hdr; /**< the virtio-net header, or NULL */
	uint32_t vnet_hdr_len;	/**< its length; 0 without vnet_hdr_support */
};

/** Counters of one decoder; reset by colo_chardev_dec_init(). */
struct colo_chardev_dec_stats {
	uint64_t records;   /**< COLO_CHARDEV_RECORD returned */
	uint64_t bytes;	    /**< bytes consumed */
	uint64_t malformed; /**< COLO_CHARDEV_MALFORMED returned */
	uint64_t oversized; /**< streams broken by a length above the buffer */
};

/** Incremental decoder; set up with colo_chardev_dec_init(). */
struct colo_chardev_dec {
	uint8_t *buf;		/**< caller's record buffer */
	uint32_t cap;		/**< its size: the largest record accepted */
	bool vnet_hdr;		/**< a vnet_hdr_len follows each length */
	bool broken;		/**< COLO_CHARDEV_BROKEN was returned */
	uint8_t hdr[COLO_CHARDEV_HDR_MAX];
	uint32_t hdr_have;	/**< header bytes read of the current record */
	uint32_t len;		/**< length of the record being read */
	uint32_t vnet_hdr_len;	/**< its vnet_hdr_len */
	uint32_t have;		/**< record bytes read so far */
	struct colo_chardev_dec_stats stats;
};

/**
 * Reset @p dec to expect the start of a record and clear its counters.
 *
 * @param buf
 *   Where records are assembled; it must outlive the decoder's use.
 * @param cap
 *   Size of @p buf: the largest record length accepted. COLO_CHARDEV_MAX_LEN
 *   accepts everything QEMU's own reader does.
 * @param vnet_hdr
 *   The peer filter's vnet_hdr_support: each length is followed by a vnet_hdr_len.
 */
void colo_chardev_dec_init(struct colo_chardev_dec *dec, uint8_t *buf, uint32_t cap,
		bool vnet_hdr);

/**
 * Consume bytes of @p data until one record completes or the data runs out.
 * Call again with the rest (@p data + *consumed) until it is used up.
 *
 * @param consumed
 *   Set to the bytes of @p data used, at most @p len; all of it for
 *   COLO_CHARDEV_NEED_MORE, none once the stream is broken.
 * @param rec
 *   Filled in for COLO_CHARDEV_RECORD only; valid until the next call.
 * @return the status.
 */
enum colo_chardev_status colo_chardev_dec_feed(struct colo_chardev_dec *dec, const uint8_t *data,
		size_t len, size_t *consumed, struct colo_chardev_rec *rec);

/**
 * Whether @p dec holds part of a record. A peer that disconnects in that state
 * sent a truncated record.
 */
bool colo_chardev_dec_partial(const struct colo_chardev_dec *dec);

/**
 * Write the header that precedes a record of @p vnet_hdr_len header bytes and
 * @p frame_len frame bytes into @p hdr; the caller then sends the vnet header
 * (if any) and the frame, e.g. with one writev().
 *
 * @return the header length (4, or 8 with @p vnet_hdr), -EINVAL if the frame
 *   is empty or a vnet header is given without @p vnet_hdr, or -EMSGSIZE if the record is longer than COLO_CHARDEV_MAX_LEN
 *   (QEMU's reader would drop the connection).
 */
int colo_chardev_encode_hdr(uint8_t hdr[COLO_CHARDEV_HDR_MAX], uint32_t frame_len,
		uint32_t vnet_hdr_len, bool vnet_hdr);

#endif /* COLO_CHARDEV_PROTO_H */
