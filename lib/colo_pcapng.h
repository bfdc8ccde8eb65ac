/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A minimal pcapng writer for the divergence capture: one section, an
 * Ethernet interface per stream ("primary", "secondary"), an Enhanced Packet
 * Block with a comment per frame, and a byte cap (packets that would cross it
 * are counted, not written). Plain stdio, no EAL: for a writer thread only.
 */
#ifndef COLO_PCAPNG_H
#define COLO_PCAPNG_H

#include <stdint.h>

/** A capture file being written; opaque. */
struct colo_pcapng;

/** What a writer has done so far. */
struct colo_pcapng_stats {
	uint64_t bytes;	     /**< file size, headers included */
	uint64_t nb_written; /**< packets written */
	uint64_t nb_skipped; /**< packets not written because of the cap */
};

/**
 * Create @p path (truncating it) and write the section header and one
 * interface description per name in @p if_names.
 *
 * @param snaplen bytes kept of each frame (0: 65535).
 * @param max_bytes cap on the file size (0: none). Must leave room for the
 *   headers.
 * @return the writer, or NULL with errno set (EINVAL, ENOSPC if the headers
 *   alone exceed @p max_bytes, or the error of fopen/fwrite).
 */
struct colo_pcapng *colo_pcapng_open(const char *path, const char *const *if_names,
		unsigned int nb_if, uint32_t snaplen, uint64_t max_bytes);

/**
 * Append one frame received on interface @p if_id at @p ts_ns (nanoseconds
 * since the Unix epoch), with @p comment (may be NULL; longer than 1024
 * bytes is cut). The block is flushed to the file before returning, so the
 * file is complete at any time.
 *
 * @return 0; -ENOSPC when the block would cross the cap (counted in
 *   nb_skipped, file unchanged); -EINVAL for a bad @p if_id or NULL
 *   @p data with a length; -EIO when writing failed.
 */
int colo_pcapng_write(struct colo_pcapng *w, unsigned int if_id, uint64_t ts_ns, const void *data,
		uint32_t len, const char *comment);

/**
 * Bytes colo_pcapng_write() would add to the file for a frame of @p len
 * bytes with @p comment, so that a caller can keep related frames together
 * under the cap.
 */
uint32_t colo_pcapng_block_size(const struct colo_pcapng *w, uint32_t len, const char *comment);

/** Copy the counters of @p w into @p st. */
void colo_pcapng_stats(const struct colo_pcapng *w, struct colo_pcapng_stats *st);

/**
 * Close the file and free @p w (NULL is a no-op).
 *
 * @return 0, or -EIO if the final flush failed.
 */
int colo_pcapng_close(struct colo_pcapng *w);

#endif /* COLO_PCAPNG_H */
