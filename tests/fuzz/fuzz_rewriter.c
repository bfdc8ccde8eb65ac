/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * State-machine harness of the sequence rewriter (lib/colo_rewriter.c),
 * driven like fuzz_compare: a header (table size, learning) and then a
 * program of operations: TCP frames client->SVM, SVM->client and mirrored
 * PVM->client, from templates with fuzzed fields (four connections on a
 * tiny table, flags, numbers, timestamp and SACK options, VLAN tags, IPv4 or
 * IPv6, checksum offload flags, segment cuts, shared mbufs) or raw bytes;
 * checkpoint resets, scans with time advancing and learning switched off.
 *
 * After every frame: the verdict is one of three; a frame not REWRITTEN is
 * byte for byte what it was; a REWRITTEN one differs only in the fields the
 * direction maps (client->SVM: ack and options; SVM->client: seq and
 * options; and the checksum), by the offset the table reports for it, its
 * checksum right if it was right before (unchanged when offload completes
 * it); shared mbufs and headers split across segments are never written.
 * The table never holds more than its size, every mbuf is freed once.
 *
 * Input: 2 header bytes, then operations: an opcode byte (enum op, modulo
 * OP_MAX; the quotient is the time step of OP_SCAN) and its arguments.
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "colo_pkt.h"
#include "colo_rewriter.h"
#include "frames.h"
#include "fuzz_common.h"

#define POOL_SIZE 256
#define FRAME_CAP 2048
#define MAX_CUTS 3
#define MAX_OPS 256

enum op {
	OP_CLIENT = 0, /* client -> SVM */
	OP_SVM,	       /* SVM -> client */
	OP_PVM,	       /* PVM -> client (mirror) */
	OP_RAW,	       /* raw bytes in a direction */
	OP_RESET,      /* checkpoint done */
	OP_SCAN,       /* time advances, then a scan */
	OP_LEARNING,   /* learning on or off */
	OP_MAX,
};

enum dir { DIR_CLIENT, DIR_SVM, DIR_PVM };

static struct rte_mempool *pool;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_eal_init("rewriter");
	pool = fuzz_pool("fuzz_rw", POOL_SIZE);
	return 0;
}

static FUZZ_NO_COVERAGE uint32_t
rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Whether the TCP checksum of the flat frame @p f is right (RFC 1071). */
static FUZZ_NO_COVERAGE bool
tcp_csum_ok(const uint8_t *f, const struct colo_pkt_meta *pm)
{
	uint32_t sum = 0, len = pm->l3_end - pm->l4_off, i;
	const uint8_t *ip = f + pm->l3_off;
	unsigned int alen = pm->key.family == 6 ? 16 : 4;

	for (i = 0; i < 2 * alen; i += 2)
		sum += (uint32_t)(ip[(pm->key.family == 6 ? 8 : 12) + i] << 8 |
				ip[(pm->key.family == 6 ? 8 : 12) + i + 1]);
	sum += IPPROTO_TCP + (len >> 16) + (len & 0xffff);
	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(f[pm->l4_off + i] << 8 | f[pm->l4_off + i + 1]);
	if (len & 1)
		sum += (uint32_t)f[pm->l4_off + len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* A TCP frame of connection @p conn in direction @p dir, fields from the input. */
static size_t
template_frame(struct fuzz_in *in, enum dir dir, uint8_t *buf, size_t cap)
{
	static const char *const addrs[2][2] = { { "10.0.0.1", "10.0.0.2" },
		{ "fd00::1", "fd00::2" } };
	uint8_t sel = fuzz_u8(in), flags = fuzz_u8(in), osel = fuzz_u8(in);
	unsigned int conn = sel & 3, fam = (sel >> 2) & 1, nb_vlan = (sel >> 3) % 3;
	uint8_t opts[40], payload[64];
	struct frame_spec fs;
	unsigned int olen = 0, i;
	size_t got;
	const uint8_t *b;

	memset(&fs, 0, sizeof(fs));
	fs.family = fam ? 6 : 4;
	fs.proto = IPPROTO_TCP;
	/* The server VM is the first address, port 80; clients use 40000 + conn. */
	fs.src = addrs[fam][dir == DIR_CLIENT];
	fs.dst = addrs[fam][dir != DIR_CLIENT];
	fs.sport = dir == DIR_CLIENT ? (uint16_t)(40000 + conn) : 80;
	fs.dport = dir == DIR_CLIENT ? 80 : (uint16_t)(40000 + conn);
	fs.nb_vlan = (uint8_t)nb_vlan;
	fs.vlan[0] = 5;
	fs.vlan[1] = 6;
	fs.tcp_flags = flags != 0 ? flags : RTE_TCP_ACK_FLAG;
	fs.seq = fuzz_u32(in);
	fs.ack = fuzz_u32(in);
	/* Options: timestamps (bit 0), SACK blocks (bits 1-2), raw bytes (bit 3). */
	if (osel & 1) {
		memcpy(opts + olen, (const uint8_t[]){ 1, 1, 8, 10 }, 4);
		for (i = 0; i < 8; i++)
			opts[olen + 4 + i] = fuzz_u8(in);
		olen += 12;
	}
	if ((osel >> 1) & 3) {
		unsigned int nb = (osel >> 1) & 3;

		memcpy(opts + olen, (const uint8_t[]){ 1, 1, 5, (uint8_t)(2 + 8 * nb) }, 4);
		for (i = 0; i < 8 * nb; i++)
			opts[olen + 4 + i] = fuzz_u8(in);
		olen += 4 + 8 * nb;
	}
	if ((osel & 8) && olen < 40) {
		b = fuzz_bytes(in, (40 - olen) & ~3u, &got);
		memcpy(opts + olen, b, got & ~3u);
		olen += (unsigned int)(got & ~3u);
	}
	fs.tcp_opts = opts;
	fs.tcp_opts_len = (uint8_t)olen;
	b = fuzz_bytes(in, (osel >> 4) * 4, &got);
	memcpy(payload, b, got);
	fs.payload = payload;
	fs.payload_len = (uint16_t)got;
	return frame_build(&fs, buf, cap);
}

static FUZZ_NO_COVERAGE void
check_rewrite(struct colo_rewriter *rw, enum dir dir, enum colo_rw_verdict v,
		const struct rte_mbuf *m, const uint8_t *before, const uint8_t *after, size_t len,
		bool csum_was_ok, bool partial, bool writable)
{
	const struct colo_pkt_meta *pm = colo_pkt_meta(m);
	struct colo_rw_info info;
	struct colo_key key;
	uint32_t l4 = pm->l4_off, field;
	size_t i;

	FUZZ_CHECK(v == COLO_RW_PASS || v == COLO_RW_REWRITTEN || v == COLO_RW_PENDING);
	FUZZ_CHECK(rte_pktmbuf_pkt_len(m) == len);
	if (v != COLO_RW_REWRITTEN || dir == DIR_PVM) {
		FUZZ_CHECK(v != COLO_RW_REWRITTEN);
		FUZZ_CHECK(memcmp(before, after, len) == 0);
		return;
	}
	FUZZ_CHECK(pm->class == COLO_CLASS_IP && pm->key.proto == IPPROTO_TCP);
	FUZZ_CHECK(!(pm->flags & COLO_PKT_F_FRAG));
	FUZZ_CHECK(writable);
	/* Seq (SVM->client) or ack (client->SVM), the checksum, the options. */
	field = l4 + (dir == DIR_SVM ? 4 : 8);
	for (i = 0; i < len; i++) {
		bool mapped = (i >= field && i < field + 4) || (i >= l4 + 16 && i < l4 + 18) ||
			      (i >= l4 + 20 && i < pm->payload_off);

		if (!mapped)
			FUZZ_CHECK(before[i] == after[i]);
	}
	if (partial)
		FUZZ_CHECK(memcmp(before + l4 + 16, after + l4 + 16, 2) == 0);
	else if (csum_was_ok)
		FUZZ_CHECK(tcp_csum_ok(after, pm));
	/* By the offset the table holds for the connection (client->server key). */
	key = pm->key;
	if (dir == DIR_SVM) {
		memcpy(key.src, pm->key.dst, sizeof(key.src));
		memcpy(key.dst, pm->key.src, sizeof(key.dst));
		key.sport = pm->key.dport;
		key.dport = pm->key.sport;
	}
	FUZZ_CHECK(colo_rewriter_lookup(rw, &key, &info) == 0);
	if (dir == DIR_SVM)
		FUZZ_CHECK(rd32(before + field) - rd32(after + field) == info.offset);
	else
		FUZZ_CHECK(rd32(after + field) - rd32(before + field) == info.offset);
}

/* Build, classify and hand one frame to the rewriter; check; free. */
static void
one_frame(struct colo_rewriter *rw, struct fuzz_in *in, enum dir dir, bool raw, uint64_t now)
{
	static uint8_t buf[FRAME_CAP], before[FRAME_CAP], after[FRAME_CAP];
	uint8_t mode = fuzz_u8(in);
	uint32_t cuts[MAX_CUTS];
	unsigned int nb_cuts = mode & 3, i;
	enum colo_rw_verdict v = COLO_RW_PASS;
	bool shared = (mode & 4) != 0, csum_ok, partial, writable;
	struct rte_mbuf *m, *seg;
	size_t len, got;
	const uint8_t *b;

	for (i = 0; i < nb_cuts; i++)
		cuts[i] = fuzz_u8(in);
	if (raw) {
		b = fuzz_bytes(in, fuzz_u8(in) * 4u, &got);
		memcpy(buf, b, got);
		len = got;
	} else {
		len = template_frame(in, dir, buf, sizeof(buf));
		FUZZ_CHECK(len != 0);
		/* A wrong checksum now and then: it must stay exactly as wrong. */
		if (mode & 8)
			buf[len - 1] ^= 0x55;
	}
	for (i = 0; i < nb_cuts; i++)
		cuts[i] %= (uint32_t)len + 1;
	for (i = 1; i < nb_cuts; i++)
		if (cuts[i] < cuts[i - 1])
			cuts[i] = cuts[i - 1];
	m = fuzz_chain(pool, buf, len, cuts, nb_cuts, 0);
	FUZZ_CHECK(m != NULL);
	/* Offload: the checksum is the pseudo-header's, completed later. */
	if (mode & 0x10)
		m->ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM;
	if (mode & 0x20)
		m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_NONE;
	colo_pkt_classify(m, dir == DIR_SVM ? COLO_SIDE_SECONDARY : COLO_SIDE_PRIMARY, 0, now,
			NULL);
	/* Another owner holds every segment (a clone of a chain shares them all). */
	for (seg = m; shared && seg != NULL; seg = seg->next)
		rte_mbuf_refcnt_update(seg, 1);
	memcpy(before, buf, len);
	csum_ok = colo_pkt_is_ip(m) && colo_pkt_meta(m)->key.proto == IPPROTO_TCP &&
		  !(colo_pkt_meta(m)->flags & COLO_PKT_F_FRAG) &&
		  tcp_csum_ok(before, colo_pkt_meta(m));
	partial = (m->ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM ||
		  (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_NONE;
	writable = !shared && m->data_len >= colo_pkt_meta(m)->payload_off;
	switch (dir) {
	case DIR_CLIENT:
		v = colo_rewriter_client_to_svm(rw, m, now);
		break;
	case DIR_SVM:
		v = colo_rewriter_svm_to_client(rw, m, now);
		break;
	case DIR_PVM:
		colo_rewriter_pvm_to_client(rw, m, now);
		break;
	}
	if (len != 0) {
		const uint8_t *r = rte_pktmbuf_read(m, 0, len, after);

		FUZZ_CHECK(r != NULL);
		if (r != after)
			memcpy(after, r, len);
	}
	check_rewrite(rw, dir, v, m, before, after, len, csum_ok, partial, writable);
	if (shared)
		rte_pktmbuf_free(m); /* the other owner's reference */
	rte_pktmbuf_free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct colo_rewriter_params p;
	struct colo_rewriter *rw;
	uint64_t now = 1;
	unsigned int nb_ops = 0;
	uint8_t hdr;

	colo_rewriter_params_init(&p);
	hdr = fuzz_u8(&in);
	p.name = "fuzz_rw";
	p.max_entries = 8u << (hdr & 3);
	p.idle_timeout_ms = 1000 + 1000u * ((hdr >> 2) & 7);
	p.closing_timeout_ms = 100 + 100u * (hdr >> 5);
	p.tsc_hz = 1000;
	rw = colo_rewriter_create(&p);
	FUZZ_CHECK(rw != NULL);
	if (fuzz_u8(&in) & 1)
		colo_rewriter_set_learning(rw, false);

	while (in.n != 0 && nb_ops++ < MAX_OPS) {
		uint8_t opcode = fuzz_u8(&in);

		switch (opcode % OP_MAX) {
		case OP_CLIENT:
			one_frame(rw, &in, DIR_CLIENT, false, now);
			break;
		case OP_SVM:
			one_frame(rw, &in, DIR_SVM, false, now);
			break;
		case OP_PVM:
			one_frame(rw, &in, DIR_PVM, false, now);
			break;
		case OP_RAW:
			one_frame(rw, &in, (enum dir)(fuzz_u8(&in) % 3), true, now);
			break;
		case OP_RESET:
			colo_rewriter_reset(rw);
			break;
		case OP_SCAN:
			now += 1u << (opcode / OP_MAX % 16);
			colo_rewriter_scan(rw, now);
			break;
		case OP_LEARNING:
			colo_rewriter_set_learning(rw, (opcode / OP_MAX) & 1);
			break;
		}
		FUZZ_CHECK(colo_rewriter_count(rw) <= p.max_entries);
		FUZZ_CHECK(rte_mempool_in_use_count(pool) == 0);
	}
	colo_rewriter_free(rw);
	return 0;
}
