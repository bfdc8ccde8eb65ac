/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * colo-explain: what its three parts share. explain_capture.c reads the
 * two captures in time order, explain_main.c replays them through libcolo
 * and records every checkpoint request, explain_report.c prints them.
 */
#ifndef COLO_EXPLAIN_H
#define COLO_EXPLAIN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <pcap/pcap.h>

#include "colo_ckpt.h"
#include "colo_params.h"
#include "colo_pkt.h"
#include "colo_stats.h"

/* Exit codes, as colo-explain --help lists them. */
#define EXPLAIN_EXIT_SAME 0
#define EXPLAIN_EXIT_DIVERGED 1
#define EXPLAIN_EXIT_BAD_INPUT 2

#define EXPLAIN_NS_PER_S UINT64_C(1000000000)

/* Bytes per dump row, and rows shown around the first difference. */
#define EXPLAIN_ROW 16
#define EXPLAIN_ROWS_BEFORE 1
#define EXPLAIN_ROWS 4
#define EXPLAIN_REGION (EXPLAIN_ROW * EXPLAIN_ROWS)

/** One capture file being read. */
struct explain_capture {
	const char *path;
	pcap_t *pcap;
	struct pcap_pkthdr *hdr; /**< the frame read ahead, or NULL at the end */
	const uint8_t *data;
	uint32_t nb_frames;    /**< frames handed out so far */
	uint32_t nb_truncated; /**< frames cut by the capture's snaplen */
	bool cut_short;	       /**< the file ended inside a record */
};

/** Both captures, merged by time. */
struct explain_input {
	struct explain_capture side[2]; /**< indexed by enum colo_side */
	uint64_t first_ns;		/**< capture time of the earliest frame */
	uint64_t last_ns;		/**< of the latest frame handed out */
};

/** A frame as explain_input_next() hands it out; valid until the next call. */
struct explain_frame {
	enum colo_side side;
	uint32_t number; /**< 1-based, within its capture (as Wireshark counts) */
	uint64_t ts_ns;	 /**< capture time, Unix nanoseconds */
	const uint8_t *data;
	uint32_t caplen;
};

/**
 * Open both captures (pcap or pcapng, Ethernet). On error write a one-line
 * reason naming the file into @p err.
 *
 * @return 0, or -EINVAL.
 */
int explain_input_open(struct explain_input *in, const char *primary, const char *secondary,
		char *err, size_t err_len);

/**
 * The next frame of either capture, earliest first; on equal times the
 * secondary goes first, as colo-proxy's compare lcore drains its rings.
 *
 * @return true, or false when both captures are exhausted.
 */
bool explain_input_next(struct explain_input *in, struct explain_frame *f);

/** Close both captures. */
void explain_input_close(struct explain_input *in);

/** One frame of a diverging pair, with the bytes around the difference. */
struct explain_side_view {
	uint32_t frame; /**< frame number in its capture */
	uint64_t ts_ns; /**< its capture time */
	uint32_t len;	/**< bytes captured */
	int32_t offset; /**< first differing byte */
	uint16_t l3_off, l4_off, payload_off;
	int32_t region_start; /**< frame offset of region[0]; may be negative */
	uint8_t region[EXPLAIN_REGION];
};

/** One checkpoint request and what explains it. */
struct explain_request {
	struct colo_ckpt_record rec;
	uint64_t time_ns; /**< capture time at which it was issued */
	bool after_end;	  /**< issued after the last frame, while the clock ran out */
	bool has_pair;	  /**< a mismatch: side[] is filled */
	struct explain_side_view side[2];
	bool has_waiter; /**< a timeout: the oldest frame that waited */
	enum colo_side waiter_side;
	uint32_t waiter_frame;
	uint64_t waited_ns;
	uint32_t queued[2]; /**< frames queued on the connection, per side */
};

/** Everything the report prints. */
struct explain_result {
	const char *path[2];
	uint32_t nb_frames[2];
	uint32_t nb_truncated[2];
	bool cut_short[2];
	uint32_t nb_no_mbuf; /**< frames skipped: mbuf pool exhausted */
	uint64_t first_ns, last_ns;
	struct colo_params params;
	struct colo_stats stats;
	struct explain_request *req;
	unsigned int nb_req;
};

/** Print @p r as text. */
void explain_report_text(FILE *f, const struct explain_result *r);

/** Print @p r as one JSON document. */
void explain_report_json(FILE *f, const struct explain_result *r);

#endif /* COLO_EXPLAIN_H */
