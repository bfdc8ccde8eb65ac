/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit suite of lib/colo_pcapng.c: files are read back with libpcap (frames,
 * lengths, nanosecond times, interfaces) and block by block (structure and
 * per-packet comments); the size cap holds and counts what it refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include <rte_common.h>
#include <pcap/pcap.h>

#include "colo_pcapng.h"
#include "unit.h"

#define TS0 1700000000123456789ull
#define MAX_BLOCKS 16

static const char *const ifs[] = { "primary", "secondary" };
static char dir[] = "/tmp/test_pcapng_XXXXXX";
static char path[sizeof(dir) + 32];

/* One block as read back by hand. */
struct block {
	uint32_t type;
	uint32_t len;
	uint32_t if_id;	   /* EPB */
	uint32_t caplen;   /* EPB */
	char comment[128]; /* EPB opt_comment, "" if none */
	char if_name[32];  /* IDB if_name */
	uint8_t tsresol;   /* IDB if_tsresol */
};

static uint8_t frame[200];

static void
fill_frame(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7);
}

static long
file_size(void)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* Walk the options from @p p to @p end into @p b. */
static void
parse_options(const uint8_t *p, const uint8_t *end, uint32_t type, struct block *b)
{
	while (p + 4 <= end) {
		uint16_t code, len;

		memcpy(&code, p, 2);
		memcpy(&len, p + 2, 2);
		if (code == 0)
			break;
		if (type == 6 && code == 1)
			snprintf(b->comment, sizeof(b->comment), "%.*s", (int)len, p + 4);
		if (type == 1 && code == 2)
			snprintf(b->if_name, sizeof(b->if_name), "%.*s", (int)len, p + 4);
		if (type == 1 && code == 9)
			b->tsresol = p[4];
		p += 4 + ((len + 3u) & ~3u);
	}
}

/* Read the file block by block; return the number of blocks, or -1 when
 * a length is inconsistent. */
static int
read_blocks(struct block *v, unsigned int max)
{
	static uint8_t buf[1 << 16];
	size_t n, off = 0;
	unsigned int nb = 0;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	while (off + 12 <= n && nb < max) {
		struct block *b = &v[nb];
		uint32_t trailer;
		const uint8_t *body;

		memset(b, 0, sizeof(*b));
		memcpy(&b->type, buf + off, 4);
		memcpy(&b->len, buf + off + 4, 4);
		if (b->len < 12 || b->len % 4 != 0 || off + b->len > n)
			return -1;
		memcpy(&trailer, buf + off + b->len - 4, 4);
		if (trailer != b->len)
			return -1;
		body = buf + off + 8;
		if (b->type == 1) {
			parse_options(body + 8, buf + off + b->len - 4, 1, b);
		} else if (b->type == 6) {
			memcpy(&b->if_id, body, 4);
			memcpy(&b->caplen, body + 12, 4);
			parse_options(body + 20 + ((b->caplen + 3u) & ~3u), buf + off + b->len - 4,
					6, b);
		}
		off += b->len;
		nb++;
	}
	return off == n ? (int)nb : -1;
}

static void
test_roundtrip(void)
{
	struct block b[MAX_BLOCKS];
	struct colo_pcapng_stats st;
	struct colo_pcapng *w;
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc;
	int nb;

	w = colo_pcapng_open(path, ifs, 2, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(colo_pcapng_write(w, 0, TS0, frame, 60,
					"mismatch_tcp tcp 10.0.0.1:80 > 10.0.0.2:40000 checkpoint "
					"1 primary "
					"offset 54"),
			0);
	CU_ASSERT_EQUAL(colo_pcapng_write(w, 1, TS0 + 1, frame, 61, "secondary side"), 0);
	CU_ASSERT_EQUAL(colo_pcapng_write(w, 0, TS0 + 1000, frame, 3, NULL), 0);
	CU_ASSERT_EQUAL(colo_pcapng_write(w, 2, TS0, frame, 60, NULL), -EINVAL);
	colo_pcapng_stats(w, &st);
	CU_ASSERT_EQUAL(st.nb_written, 3);
	CU_ASSERT_EQUAL(st.nb_skipped, 0);
	CU_ASSERT_EQUAL(colo_pcapng_close(w), 0);
	CU_ASSERT_EQUAL((long)st.bytes, file_size());

	/* libpcap reads it, with nanosecond times. */
	pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pc);
	CU_ASSERT_EQUAL(pcap_datalink(pc), DLT_EN10MB);
	CU_ASSERT_EQUAL_FATAL(pcap_next_ex(pc, &h, &data), 1);
	CU_ASSERT_EQUAL(h->caplen, 60);
	CU_ASSERT_EQUAL(h->len, 60);
	CU_ASSERT_EQUAL((uint64_t)h->ts.tv_sec, TS0 / 1000000000ull);
	CU_ASSERT_EQUAL((uint64_t)h->ts.tv_usec, TS0 % 1000000000ull);
	CU_ASSERT_EQUAL(memcmp(data, frame, 60), 0);
	CU_ASSERT_EQUAL_FATAL(pcap_next_ex(pc, &h, &data), 1);
	CU_ASSERT_EQUAL(h->caplen, 61);
	CU_ASSERT_EQUAL(memcmp(data, frame, 61), 0);
	CU_ASSERT_EQUAL_FATAL(pcap_next_ex(pc, &h, &data), 1);
	CU_ASSERT_EQUAL(h->caplen, 3);
	CU_ASSERT_EQUAL((uint64_t)h->ts.tv_usec, (TS0 + 1000) % 1000000000ull);
	CU_ASSERT_EQUAL(pcap_next_ex(pc, &h, &data), PCAP_ERROR_BREAK);
	pcap_close(pc);

	/* Block by block: SHB, two IDBs, three EPBs with their comments. */
	nb = read_blocks(b, MAX_BLOCKS);
	CU_ASSERT_EQUAL_FATAL(nb, 6);
	CU_ASSERT_EQUAL(b[0].type, 0x0A0D0D0Au);
	CU_ASSERT_EQUAL(b[1].type, 1);
	CU_ASSERT_STRING_EQUAL(b[1].if_name, "primary");
	CU_ASSERT_EQUAL(b[1].tsresol, 9);
	CU_ASSERT_EQUAL(b[2].type, 1);
	CU_ASSERT_STRING_EQUAL(b[2].if_name, "secondary");
	CU_ASSERT_EQUAL(b[3].type, 6);
	CU_ASSERT_EQUAL(b[3].if_id, 0);
	CU_ASSERT_STRING_EQUAL(b[3].comment,
			"mismatch_tcp tcp 10.0.0.1:80 > 10.0.0.2:40000 checkpoint 1 primary "
			"offset 54");
	CU_ASSERT_EQUAL(b[4].if_id, 1);
	CU_ASSERT_STRING_EQUAL(b[4].comment, "secondary side");
	CU_ASSERT_EQUAL(b[5].if_id, 0);
	CU_ASSERT_STRING_EQUAL(b[5].comment, "");
	/* 8 + 20 + 4 (3 bytes padded) + 4 and no options at all. */
	CU_ASSERT_EQUAL(b[5].len, 36);
}

static void
test_cap(void)
{
	struct colo_pcapng_stats st;
	struct colo_pcapng *w;
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t head, cap;
	int n = 0, ret;
	pcap_t *pc;

	/* Learn the header size, then allow it plus two 100-byte packets
	 * with a 9-byte comment: 8 + 20 + 100 + (4 + 12) + 4 + 4 = 152. */
	w = colo_pcapng_open(path, ifs, 2, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	colo_pcapng_stats(w, &st);
	head = st.bytes;
	colo_pcapng_close(w);
	cap = head + 2 * 152 + 151;

	w = colo_pcapng_open(path, ifs, 2, 0, cap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	/* What a write will add, known before it is made. */
	CU_ASSERT_EQUAL(colo_pcapng_block_size(w, 100, "comment 1"), 152);
	CU_ASSERT_EQUAL(colo_pcapng_block_size(w, 60, NULL), 8 + 20 + 60 + 4);
	CU_ASSERT_EQUAL(colo_pcapng_write(w, 0, TS0, frame, 100, "comment 1"), 0);
	CU_ASSERT_EQUAL(colo_pcapng_write(w, 1, TS0, frame, 100, "comment 2"), 0);
	CU_ASSERT_EQUAL(colo_pcapng_write(w, 0, TS0, frame, 100, "comment 3"), -ENOSPC);
	/* A smaller block still fits under the cap. */
	CU_ASSERT_EQUAL(colo_pcapng_write(w, 0, TS0, frame, 60, NULL), 0);
	CU_ASSERT_EQUAL(colo_pcapng_write(w, 0, TS0, frame, 100, "comment 5"), -ENOSPC);
	colo_pcapng_stats(w, &st);
	CU_ASSERT_EQUAL(st.nb_written, 3);
	CU_ASSERT_EQUAL(st.nb_skipped, 2);
	CU_ASSERT_EQUAL(st.bytes, head + 2 * 152 + 8 + 20 + 60 + 4);
	CU_ASSERT_EQUAL(colo_pcapng_close(w), 0);
	CU_ASSERT_EQUAL((uint64_t)file_size(), st.bytes);
	CU_ASSERT_TRUE((uint64_t)file_size() <= cap);

	pc = pcap_open_offline(path, err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pc);
	while ((ret = pcap_next_ex(pc, &h, &data)) == 1)
		n++;
	CU_ASSERT_EQUAL(ret, PCAP_ERROR_BREAK);
	CU_ASSERT_EQUAL(n, 3);
	pcap_close(pc);
}

static void
test_snaplen(void)
{
	struct colo_pcapng *w;
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc;

	w = colo_pcapng_open(path, ifs, 1, 64, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	/* Sized as cut: 8 + 20 + 64 + (4 + 4) + 4 + 4. */
	CU_ASSERT_EQUAL(colo_pcapng_block_size(w, 200, "cut"), 108);
	CU_ASSERT_EQUAL(colo_pcapng_write(w, 0, TS0, frame, 200, "cut"), 0);
	CU_ASSERT_EQUAL(colo_pcapng_write(w, 1, TS0, frame, 60, NULL), -EINVAL);
	CU_ASSERT_EQUAL(colo_pcapng_close(w), 0);
	pc = pcap_open_offline(path, err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pc);
	CU_ASSERT_EQUAL_FATAL(pcap_next_ex(pc, &h, &data), 1);
	CU_ASSERT_EQUAL(h->caplen, 64);
	CU_ASSERT_EQUAL(h->len, 200);
	CU_ASSERT_EQUAL(memcmp(data, frame, 64), 0);
	pcap_close(pc);
}

static void
test_open_errors(void)
{
	char bad[sizeof(dir) + 32];

	errno = 0;
	CU_ASSERT_PTR_NULL(colo_pcapng_open(path, ifs, 2, 0, 64));
	CU_ASSERT_EQUAL(errno, ENOSPC);
	errno = 0;
	CU_ASSERT_PTR_NULL(colo_pcapng_open(path, ifs, 0, 0, 0));
	CU_ASSERT_EQUAL(errno, EINVAL);
	snprintf(bad, sizeof(bad), "%s/no/such/dir", dir);
	errno = 0;
	CU_ASSERT_PTR_NULL(colo_pcapng_open(bad, ifs, 2, 0, 0));
	CU_ASSERT_EQUAL(errno, ENOENT);
	CU_ASSERT_EQUAL(colo_pcapng_close(NULL), 0);
}

static const struct unit_case cases[] = {
	{ "libpcap reads frames, times and comments back", test_roundtrip },
	{ "the size cap holds and counts what it refused", test_cap },
	{ "frames longer than snaplen are cut, length kept", test_snaplen },
	{ "open reports bad arguments and paths", test_open_errors },
};

int
main(void)
{
	unsigned int failed;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/div.pcapng", dir);
	fill_frame();
	failed = unit_run("pcapng", cases, RTE_DIM(cases));
	unlink(path);
	rmdir(dir);
	return failed != 0;
}
