/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcapng encoding (draft-ietf-opsawg-pcapng): Section Header, Interface
 * Description and Enhanced Packet Blocks in host byte order, which readers
 * detect from the byte-order magic. Each block is sized before it is
 * written, so the cap is checked before any byte reaches the file.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colo_file.h"
#include "colo_pcapng.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define LINKTYPE_ETHERNET 1

#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_TSRESOL 9

/* if_tsresol 9: timestamps count nanoseconds. */
#define TSRESOL_NS 9

#define MAX_COMMENT 1024
#define MAX_IF_NAME 64
#define DEFAULT_SNAPLEN 65535
#define APPL_NAME "colo-proxy"

struct colo_pcapng {
	FILE *f;
	uint32_t snaplen;
	unsigned int nb_if;
	uint64_t max_bytes;
	struct colo_pcapng_stats st;
};

struct block_head {
	uint32_t type;
	uint32_t total_len;
};

struct epb_fixed {
	uint32_t if_id;
	uint32_t ts_high;
	uint32_t ts_low;
	uint32_t caplen;
	uint32_t origlen;
};

static inline uint32_t
pad4(uint32_t n)
{
	return (n + 3) & ~3u;
}

/* Bytes of one option with a value of @p len bytes. */
static inline uint32_t
opt_size(uint32_t len)
{
	return 4 + pad4(len);
}

static bool
put(FILE *f, const void *p, size_t len)
{
	return len == 0 || fwrite(p, len, 1, f) == 1;
}

static bool
put_pad(FILE *f, uint32_t len)
{
	static const uint8_t zeros[4];

	return put(f, zeros, pad4(len) - len);
}

static bool
put_opt(FILE *f, uint16_t code, const void *val, uint16_t len)
{
	uint16_t h[2] = { code, len };

	return put(f, h, sizeof(h)) && put(f, val, len) && put_pad(f, len);
}

static bool
put_endofopt(FILE *f)
{
	return put_opt(f, OPT_ENDOFOPT, NULL, 0);
}

static uint32_t
shb_size(void)
{
	return 8 + 16 + opt_size(sizeof(APPL_NAME) - 1) + 4 + 4;
}

static bool
put_shb(FILE *f)
{
	struct block_head bh = { BT_SHB, shb_size() };
	uint32_t magic = BYTE_ORDER_MAGIC;
	uint16_t version[2] = { 1, 0 };
	int64_t section_len = -1; /* unknown: the file grows */

	return put(f, &bh, sizeof(bh)) && put(f, &magic, 4) && put(f, version, 4) &&
	       put(f, &section_len, 8) &&
	       put_opt(f, OPT_SHB_USERAPPL, APPL_NAME, sizeof(APPL_NAME) - 1) && put_endofopt(f) &&
	       put(f, &bh.total_len, 4);
}

static uint32_t
idb_size(uint16_t name_len)
{
	return 8 + 8 + opt_size(name_len) + opt_size(1) + 4 + 4;
}

static bool
put_idb(FILE *f, const char *name, uint32_t snaplen)
{
	uint16_t name_len = (uint16_t)strnlen(name, MAX_IF_NAME);
	struct block_head bh = { BT_IDB, idb_size(name_len) };
	uint16_t link[2] = { LINKTYPE_ETHERNET, 0 };
	uint8_t tsresol = TSRESOL_NS;

	return put(f, &bh, sizeof(bh)) && put(f, link, 4) && put(f, &snaplen, 4) &&
	       put_opt(f, OPT_IF_NAME, name, name_len) && put_opt(f, OPT_IF_TSRESOL, &tsresol, 1) &&
	       put_endofopt(f) && put(f, &bh.total_len, 4);
}

struct colo_pcapng *
colo_pcapng_open(const char *path, const char *const *if_names, unsigned int nb_if,
		uint32_t snaplen, uint64_t max_bytes)
{
	struct colo_pcapng *w;
	uint64_t head;
	unsigned int i;
	bool ok;

	if (path == NULL || if_names == NULL || nb_if == 0) {
		errno = EINVAL;
		return NULL;
	}
	head = shb_size();
	for (i = 0; i < nb_if; i++) {
		if (if_names[i] == NULL) {
			errno = EINVAL;
			return NULL;
		}
		head += idb_size((uint16_t)strnlen(if_names[i], MAX_IF_NAME));
	}
	if (max_bytes != 0 && head > max_bytes) {
		errno = ENOSPC;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->snaplen = snaplen != 0 ? snaplen : DEFAULT_SNAPLEN;
	w->nb_if = nb_if;
	w->max_bytes = max_bytes;
	w->f = colo_fopen_private(path, "wb"); /* client payloads: owner only */
	if (w->f == NULL)
		goto fail;
	ok = put_shb(w->f);
	for (i = 0; ok && i < nb_if; i++)
		ok = put_idb(w->f, if_names[i], w->snaplen);
	if (!ok || fflush(w->f) != 0) {
		fclose(w->f);
		errno = EIO;
		goto fail;
	}
	w->st.bytes = head;
	return w;
fail:
	free(w);
	return NULL;
}

/* Bytes of an Enhanced Packet Block; its options, when there are any, end with opt_endofopt. */
static uint32_t
epb_size(uint32_t caplen, uint32_t comment_len)
{
	return 8 + sizeof(struct epb_fixed) + pad4(caplen) +
	       (comment_len != 0 ? opt_size(comment_len) + 4 : 0) + 4;
}

uint32_t
colo_pcapng_block_size(const struct colo_pcapng *w, uint32_t len, const char *comment)
{
	uint32_t caplen = len < w->snaplen ? len : w->snaplen;

	return epb_size(caplen, comment != NULL ? (uint32_t)strnlen(comment, MAX_COMMENT) : 0);
}

int
colo_pcapng_write(struct colo_pcapng *w, unsigned int if_id, uint64_t ts_ns, const void *data,
		uint32_t len, const char *comment)
{
	uint32_t caplen, comment_len, total;
	struct epb_fixed e;
	struct block_head bh;
	bool ok;

	if (w == NULL || if_id >= w->nb_if || (data == NULL && len != 0))
		return -EINVAL;
	caplen = len < w->snaplen ? len : w->snaplen;
	comment_len = comment != NULL ? (uint32_t)strnlen(comment, MAX_COMMENT) : 0;
	total = epb_size(caplen, comment_len);
	if (w->max_bytes != 0 && w->st.bytes + total > w->max_bytes) {
		w->st.nb_skipped++;
		return -ENOSPC;
	}
	bh = (struct block_head){ BT_EPB, total };
	e = (struct epb_fixed){
		.if_id = if_id,
		.ts_high = (uint32_t)(ts_ns >> 32),
		.ts_low = (uint32_t)ts_ns,
		.caplen = caplen,
		.origlen = len,
	};
	ok = put(w->f, &bh, sizeof(bh)) && put(w->f, &e, sizeof(e)) && put(w->f, data, caplen) &&
	     put_pad(w->f, caplen);
	if (ok && comment_len != 0)
		ok = put_opt(w->f, OPT_COMMENT, comment, (uint16_t)comment_len) &&
		     put_endofopt(w->f);
	ok = ok && put(w->f, &total, 4) && fflush(w->f) == 0;
	if (!ok)
		return -EIO;
	w->st.bytes += total;
	w->st.nb_written++;
	return 0;
}

void
colo_pcapng_stats(const struct colo_pcapng *w, struct colo_pcapng_stats *st)
{
	*st = w->st;
}

int
colo_pcapng_close(struct colo_pcapng *w)
{
	int ret;

	if (w == NULL)
		return 0;
	ret = fclose(w->f) == 0 ? 0 : -EIO;
	free(w);
	return ret;
}
