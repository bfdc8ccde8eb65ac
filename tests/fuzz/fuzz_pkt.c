/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness of the frame parser (lib/colo_pkt.c): arbitrary bytes as
 * a chain of segments cut where the input says, optionally stretched past
 * 64 KiB (TSO/GSO lengths, jumbograms) with zero bytes. After
 * colo_pkt_classify() the metadata must describe the frame consistently,
 * and be exactly what colo_pkt_classify_burst() (the data path) gives for
 * the same chain and for the same bytes uncut. The key's text must parse
 * back into the key (colo_key_format/colo_key_parse); with bit 5 set, the
 * frame bytes are also given to colo_key_parse() as hostile text. With bit
 * 6 set, pkt_len lies about the chain (what net_pcap hands over for a long
 * record): the frame must be reported truncated, unparsed, and repaired.
 *
 * Input: byte 0 = flags (bits 0-2 number of cuts, bit 3 zero tail, bit 4
 * side, bit 5 key text, bit 6 length lie), [byte 1 = tail size when bit 3],
 * [2 bytes of lie when bit 6], then 2 bytes per cut, then the frame.
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "colo_pkt.h"
#include "colo_stats.h"
#include "fuzz_common.h"

#define MAX_CUTS 7
#define FLAT_MAX UINT16_MAX /* what one segment can hold */

static struct rte_mempool *pool;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_eal_init("pkt");
	pool = fuzz_pool("fuzz_pkt", 64);
	return 0;
}

static int
cut_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint16_t
rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static FUZZ_NO_COVERAGE bool
all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* What must hold for every IP frame; @p f is the frame's first @p flen bytes. */
static FUZZ_NO_COVERAGE void
check_ip(const struct colo_pkt_meta *pm, const uint8_t *f, size_t flen, uint32_t len)
{
	bool frag = (pm->flags & COLO_PKT_F_FRAG) != 0;
	uint32_t l4_hdr = pm->payload_off - pm->l4_off;

	FUZZ_CHECK(pm->parse_err == COLO_PARSE_OK);
	FUZZ_CHECK(pm->key.family == 4 || pm->key.family == 6);
	FUZZ_CHECK(pm->key.ether_type == 0);
	FUZZ_CHECK(pm->l3_off >= 14 && pm->l3_off <= 14 + 4 * COLO_VLAN_MAX &&
			(pm->l3_off - 14) % 4 == 0);
	FUZZ_CHECK(!!(pm->flags & COLO_PKT_F_VLAN) == (pm->l3_off > 14));
	FUZZ_CHECK(pm->l3_off <= pm->l4_off);
	FUZZ_CHECK(pm->l4_off <= pm->payload_off);
	FUZZ_CHECK(pm->payload_off <= pm->l3_end);
	FUZZ_CHECK(pm->l3_end <= len);
	FUZZ_CHECK(pm->payload_len == pm->l3_end - pm->payload_off);
	FUZZ_CHECK(pm->l4proto == pm->key.proto);
	FUZZ_CHECK(pm->l4_off - pm->l3_off >= (pm->key.family == 4 ? 20 : 40));
	if (pm->key.family == 4) {
		FUZZ_CHECK(pm->l4_off - pm->l3_off <= 60);
		FUZZ_CHECK(all_zero(pm->key.src + 4, 12) && all_zero(pm->key.dst + 4, 12));
		if (pm->l3_off + 20u <= flen) {
			uint16_t tot = rd16(f + pm->l3_off + 2);

			/* Total length 0: a GSO datagram longer than the field says. */
			FUZZ_CHECK(pm->l3_end == pm->l3_off + tot ||
					(tot == 0 && pm->l3_end == len &&
							len - pm->l3_off > UINT16_MAX));
			FUZZ_CHECK(memcmp(pm->key.src, f + pm->l3_off + 12, 4) == 0);
			FUZZ_CHECK(memcmp(pm->key.dst, f + pm->l3_off + 16, 4) == 0);
		}
	} else if (pm->l3_off + 40u <= flen) {
		uint16_t plen = rd16(f + pm->l3_off + 4);

		/* Payload length 0: nothing, or a jumbogram or GSO frame past 64 KiB. */
		if (plen != 0)
			FUZZ_CHECK(pm->l3_end == pm->l3_off + 40u + plen);
		else
			FUZZ_CHECK(pm->l3_end == pm->l3_off + 40u ||
					pm->l3_end - pm->l3_off - 40u > UINT16_MAX);
		FUZZ_CHECK(memcmp(pm->key.src, f + pm->l3_off + 8, 16) == 0);
	}
	if (!frag && pm->key.proto == IPPROTO_TCP)
		FUZZ_CHECK(l4_hdr >= 20 && l4_hdr <= 60 && l4_hdr % 4 == 0);
	else
		FUZZ_CHECK((pm->flags & (COLO_PKT_F_TCP_SYN | COLO_PKT_F_TCP_FIN |
							COLO_PKT_F_TCP_RST | COLO_PKT_F_TCP_ACK)) ==
				0);
	if (!frag && (pm->key.proto == IPPROTO_UDP || pm->key.proto == IPPROTO_ICMP ||
				     pm->key.proto == IPPROTO_ICMPV6))
		FUZZ_CHECK(l4_hdr == 8);
	if (frag)
		FUZZ_CHECK(l4_hdr == 0 && pm->key.sport == 0 && pm->key.dport == 0);
}

static FUZZ_NO_COVERAGE void
check_meta(const struct colo_pkt_meta *pm, enum colo_pkt_class cls, const uint8_t *f, size_t flen,
		uint32_t len, enum colo_side side)
{
	char text[160], tiny[8];

	FUZZ_CHECK(pm->class == cls);
	FUZZ_CHECK(pm->side == side);
	FUZZ_CHECK(pm->epoch == 7 && pm->arrival_tsc == 12345);
	FUZZ_CHECK(pm->next == NULL);
	FUZZ_CHECK(pm->hash == colo_key_hash(&pm->key));
	FUZZ_CHECK((pm->flags & (COLO_PKT_F_COMPARED | COLO_PKT_F_HELD_ACK)) == 0);
	switch (cls) {
	case COLO_CLASS_IP:
		check_ip(pm, f, flen, len);
		break;
	case COLO_CLASS_NONIP:
		FUZZ_CHECK(pm->parse_err == COLO_PARSE_OK);
		FUZZ_CHECK(pm->key.family == 0);
		FUZZ_CHECK(pm->key.ether_type != RTE_ETHER_TYPE_IPV4 &&
				pm->key.ether_type != RTE_ETHER_TYPE_IPV6 &&
				pm->key.ether_type != RTE_ETHER_TYPE_VLAN &&
				pm->key.ether_type != RTE_ETHER_TYPE_QINQ &&
				pm->key.ether_type != 0x9100 && pm->key.ether_type != 0x9200);
		FUZZ_CHECK(pm->l3_off >= 14 && pm->l3_off <= 14 + 4 * COLO_VLAN_MAX);
		FUZZ_CHECK(pm->l4_off == pm->l3_off && pm->payload_off == pm->l3_off);
		FUZZ_CHECK(pm->l3_end == len);
		FUZZ_CHECK(pm->payload_len == pm->l3_end - pm->l3_off);
		if (pm->l3_off <= flen)
			FUZZ_CHECK(rd16(f + pm->l3_off - 2) == pm->key.ether_type);
		break;
	case COLO_CLASS_MALFORMED: {
		struct colo_pkt_meta z;

		FUZZ_CHECK(pm->parse_err > COLO_PARSE_OK && pm->parse_err < COLO_PARSE_ERR_MAX);
		/* Nothing half-parsed may survive. */
		memcpy(&z, pm, sizeof(z));
		z.hash = 0;
		z.epoch = 0;
		z.arrival_tsc = 0;
		z.class = 0;
		z.parse_err = 0;
		z.side = 0;
		FUZZ_CHECK(all_zero(&z, sizeof(z)));
		FUZZ_CHECK(strcmp(colo_parse_err_name(pm->parse_err), "unknown") != 0);
		break;
	}
	default:
		FUZZ_CHECK(!"unknown class");
	}
	FUZZ_CHECK(colo_key_format(&pm->key, text, sizeof(text)) > 0);
	FUZZ_CHECK(strlen(text) < sizeof(text));
	colo_key_format(&pm->key, tiny, sizeof(tiny));
	FUZZ_CHECK(strlen(tiny) < sizeof(tiny));
}

/* The text of every key parses back into the same key. */
static FUZZ_NO_COVERAGE void
check_key_text(const struct colo_key *key)
{
	struct colo_key back;
	char text[160];

	FUZZ_CHECK(colo_key_format(key, text, sizeof(text)) < (int)sizeof(text));
	FUZZ_CHECK(colo_key_parse(text, &back) == 0);
	FUZZ_CHECK(memcmp(&back, key, sizeof(back)) == 0);
}

/* Hostile text: accepted only if it is exactly what colo_key_format() writes. */
static void
parse_text(const uint8_t *b, size_t n)
{
	char text[200], again[160];
	struct colo_key key;

	n = RTE_MIN(n, sizeof(text) - 1);
	memcpy(text, b, n);
	text[n] = '\0';
	if (colo_key_parse(text, &key) != 0)
		return;
	FUZZ_CHECK(key.family == 0 || key.family == 4 || key.family == 6);
	FUZZ_CHECK(colo_key_format(&key, again, sizeof(again)) < (int)sizeof(again));
	FUZZ_CHECK(strcmp(again, text) == 0);
	check_key_text(&key);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Around 64 KiB of frame and of datagram (+14, +40 + 14), and past it. */
	static const uint32_t totals[] = { 65534, 65535, 65536, 65549, 65589, 70000, 131072,
		262144 };
	struct fuzz_in in = { data, size };
	uint32_t cuts[MAX_CUTS];
	struct colo_pkt_meta chained_meta;
	struct colo_stats st, st_burst;
	struct rte_mbuf *m, *flat, *burst[2];
	enum colo_pkt_class cls;
	unsigned int nb_cuts, i;
	enum colo_side side;
	const uint8_t *frame;
	size_t flen, tail = 0;
	uint32_t len;
	uint8_t flags;
	uint64_t nb_errs = 0;
	uint16_t lie = 0;

	flags = fuzz_u8(&in);
	nb_cuts = flags & MAX_CUTS;
	side = (flags & 0x10) ? COLO_SIDE_SECONDARY : COLO_SIDE_PRIMARY;
	if (flags & 0x08)
		tail = fuzz_u8(&in) & 7;
	if (flags & 0x40)
		lie = fuzz_u16(&in);
	for (i = 0; i < nb_cuts; i++)
		cuts[i] = fuzz_u16(&in);
	frame = fuzz_bytes(&in, FLAT_MAX, &flen);
	for (i = 0; i < nb_cuts; i++)
		cuts[i] %= (uint32_t)flen + 1;
	qsort(cuts, nb_cuts, sizeof(cuts[0]), cut_cmp);
	if (flags & 0x08)
		tail = totals[tail] > flen ? totals[tail] - flen : 0;

	m = fuzz_chain(pool, frame, flen, cuts, nb_cuts, tail);
	FUZZ_CHECK(m != NULL);
	FUZZ_CHECK(rte_pktmbuf_pkt_len(m) == flen + tail);
	len = rte_pktmbuf_pkt_len(m);
	if (lie != 0) {
		/* More or fewer bytes than the segments hold: never parsed. */
		bool lied;

		m->pkt_len = (lie & 1) ? len + (lie >> 1) + 1 : len - RTE_MIN(len, (uint32_t)lie);
		lied = m->pkt_len != len;
		FUZZ_CHECK(colo_pkt_len_ok(m) == !lied);
		memset(&st, 0, sizeof(st));
		cls = colo_pkt_classify(m, side, 7, 12345, &st);
		FUZZ_CHECK((colo_pkt_meta(m)->parse_err == COLO_PARSE_ERR_TRUNCATED) == lied);
		FUZZ_CHECK(st.parse_err[COLO_PARSE_ERR_TRUNCATED] == lied);
		FUZZ_CHECK(!lied || cls == COLO_CLASS_MALFORMED);
		FUZZ_CHECK(colo_pkt_len_ok(m) && rte_pktmbuf_pkt_len(m) == len);
		rte_pktmbuf_free(m);
		FUZZ_CHECK(rte_mempool_in_use_count(pool) == 0);
		return 0;
	}

	memset(&st, 0, sizeof(st));
	cls = colo_pkt_classify(m, side, 7, 12345, &st);
	for (i = 0; i < COLO_PARSE_ERR_MAX; i++)
		nb_errs += st.parse_err[i];
	FUZZ_CHECK(nb_errs == (cls == COLO_CLASS_MALFORMED));
	if (cls == COLO_CLASS_MALFORMED)
		FUZZ_CHECK(st.parse_err[colo_pkt_meta(m)->parse_err] == 1);
	check_meta(colo_pkt_meta(m), cls, frame, flen, len, side);
	FUZZ_CHECK(colo_pkt_is_ip(m) == (cls == COLO_CLASS_IP));
	if (cls == COLO_CLASS_IP && colo_pkt_meta(m)->key.proto == IPPROTO_TCP)
		FUZZ_CHECK(colo_pkt_tcp_seq_len(colo_pkt_meta(m)) >= colo_pkt_meta(m)->payload_len);
	memcpy(&chained_meta, colo_pkt_meta(m), sizeof(chained_meta));
	check_key_text(&chained_meta.key);
	if (flags & 0x20)
		parse_text(frame, flen);

	/* The data path's burst entry point says the same, and the
	 * segmentation changes nothing: the same bytes uncut parse the same. */
	flat = fuzz_chain(pool, frame, flen, NULL, 0, tail);
	FUZZ_CHECK(flat != NULL);
	burst[0] = flat;
	burst[1] = m;
	memset(&st_burst, 0, sizeof(st_burst));
	colo_pkt_classify_burst(burst, RTE_DIM(burst), side, 7, 12345, &st_burst);
	FUZZ_CHECK(memcmp(colo_pkt_meta(flat), &chained_meta, sizeof(chained_meta)) == 0);
	FUZZ_CHECK(memcmp(colo_pkt_meta(m), &chained_meta, sizeof(chained_meta)) == 0);
	for (i = 0; i < COLO_PARSE_ERR_MAX; i++)
		FUZZ_CHECK(st_burst.parse_err[i] == 2 * st.parse_err[i]);
	rte_pktmbuf_free(flat);
	rte_pktmbuf_free(m);

	FUZZ_CHECK(rte_mempool_in_use_count(pool) == 0);
	return 0;
}
