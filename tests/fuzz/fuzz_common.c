/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Harness plumbing: EAL start, the mbuf pool, and frames as chains of
 * malloc'd external buffers (see fuzz_common.h for why).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "colo_pkt.h"
#include "fuzz_common.h"

/* Largest segment the zero tail is cut into: a uint16_t buf_len, rounded. */
#define TAIL_SEG_MAX 60000

void
fuzz_eal_init(const char *name)
{
	char prefix[64];
	char *argv[] = {
		"fuzz",
		"-l",
		"0",
		"--no-huge",
		"--no-pci",
		"--no-shconf",
		"--no-telemetry",
		"-m",
		"512",
		prefix,
		"--log-level=*:error",
	};
	FILE *devnull;

	snprintf(prefix, sizeof(prefix), "--file-prefix=fuzz_%s", name);
	if (rte_eal_init(RTE_DIM(argv), argv) < 0) {
		fprintf(stderr, "fuzz_%s: EAL cannot start: %s\n", name, rte_strerror(rte_errno));
		exit(1);
	}
	/* Every libcolo log statement formats its arguments too, but nothing
	 * reaches the terminal: a finding is an abort, never a log line. */
	devnull = fopen("/dev/null", "w");
	if (devnull != NULL) {
		rte_openlog_stream(devnull);
		rte_log_set_level_pattern("colo.*", RTE_LOG_DEBUG);
	}
}

struct rte_mempool *
fuzz_pool(const char *name, unsigned int n)
{
	struct rte_mempool *mp;

	/* No per-lcore cache, so the in-use count is exact after every step;
	 * the data room is unused: every segment gets an external buffer. */
	mp = rte_pktmbuf_pool_create(
			name, n, 0, COLO_PKT_PRIV_SIZE, RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
	if (mp == NULL) {
		fprintf(stderr, "%s: cannot create the mbuf pool: %s\n", name,
				rte_strerror(rte_errno));
		exit(1);
	}
	return mp;
}

static void
extbuf_free(void *addr, void *opaque)
{
	free(addr);
	free(opaque);
}

/* One segment whose data is a malloc of exactly @p len bytes. */
static struct rte_mbuf *
ext_seg(struct rte_mempool *mp, const uint8_t *data, size_t len)
{
	struct rte_mbuf_ext_shared_info *shinfo;
	struct rte_mbuf *m;
	uint8_t *buf;

	m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		return NULL;
	buf = malloc(len);
	shinfo = calloc(1, sizeof(*shinfo));
	if (buf == NULL || shinfo == NULL) {
		free(buf);
		free(shinfo);
		rte_pktmbuf_free(m);
		return NULL;
	}
	if (data != NULL)
		memcpy(buf, data, len);
	else
		memset(buf, 0, len);
	shinfo->free_cb = extbuf_free;
	shinfo->fcb_opaque = shinfo;
	rte_mbuf_ext_refcnt_set(shinfo, 1);
	rte_pktmbuf_attach_extbuf(m, buf, 0, (uint16_t)len, shinfo);
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	return m;
}

/* Append @p seg to the chain at *@p head / *@p tail. */
static void
chain_add(struct rte_mbuf **head, struct rte_mbuf **tail, struct rte_mbuf *seg)
{
	if (*head == NULL) {
		*head = *tail = seg;
		return;
	}
	(*tail)->next = seg;
	*tail = seg;
	(*head)->nb_segs++;
	(*head)->pkt_len += seg->data_len;
}

struct rte_mbuf *
fuzz_chain(struct rte_mempool *mp, const uint8_t *data, size_t len, const uint32_t *cuts,
		unsigned int nb_cuts, size_t zero_tail)
{
	struct rte_mbuf *head = NULL, *tail = NULL, *seg;
	size_t start = 0, end, n;
	unsigned int i;

	for (i = 0; i <= nb_cuts; i++) {
		end = i < nb_cuts ? cuts[i] : len;
		if (end < start || end > len || end - start > UINT16_MAX)
			goto fail;
		seg = ext_seg(mp, data + start, end - start);
		if (seg == NULL)
			goto fail;
		chain_add(&head, &tail, seg);
		start = end;
	}
	while (zero_tail != 0) {
		n = zero_tail < TAIL_SEG_MAX ? zero_tail : TAIL_SEG_MAX;
		seg = ext_seg(mp, NULL, n);
		if (seg == NULL)
			goto fail;
		chain_add(&head, &tail, seg);
		zero_tail -= n;
	}
	return head;
fail:
	rte_pktmbuf_free(head);
	return NULL;
}
