/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit suite of lib/colo_rewriter.c: every state transition in IPv4 and
 * IPv6, and every rewritten frame compared byte for byte with a frame built
 * from scratch, its IP and TCP checksums recomputed by a routine of this
 * file. Time is fake: tsc_hz = 1000, so one tick is one millisecond.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "colo_pkt.h"
#include "colo_rewriter.h"
#include "frames.h"
#include "unit.h"

#define NB_MBUFS 512
#define IDLE_MS 1000
#define CLOSING_MS 100
#define BUF_SIZE 2048

#define SYN RTE_TCP_SYN_FLAG
#define ACK RTE_TCP_ACK_FLAG
#define FIN RTE_TCP_FIN_FLAG
#define RST RTE_TCP_RST_FLAG
#define PSH RTE_TCP_PSH_FLAG

static struct rte_mempool *pool;
static struct colo_rewriter *rw;
static uint64_t now;

enum dir { C2S, S2C };

/* One test connection: the client's ISN, and the ISNs the PVM and SVM chose. */
struct tconn {
	int family;
	uint16_t cport;
	uint32_t c_isn, p_isn, s_isn;
	uint8_t nb_vlan;
};

static void
rw_start(uint32_t max_entries)
{
	struct colo_rewriter_params p;

	colo_rewriter_params_init(&p);
	p.name = "test_rw";
	p.tsc_hz = 1000;
	p.idle_timeout_ms = IDLE_MS;
	p.closing_timeout_ms = CLOSING_MS;
	if (max_entries != 0)
		p.max_entries = max_entries;
	now = 1;
	rw = colo_rewriter_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rw);
}

/* Free the rewriter and check that every mbuf went back to the pool. */
static void
rw_stop(void)
{
	colo_rewriter_free(rw);
	rw = NULL;
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(pool), 0);
}

static uint64_t
ctr(enum colo_rw_ctr c)
{
	return colo_rewriter_ctr(rw, c);
}

static struct tconn
conn(int family, uint16_t cport)
{
	struct tconn c = {
		.family = family,
		.cport = cport,
		.c_isn = 1000,
		.p_isn = 500000,
		.s_isn = 3000000,
	};
	return c;
}

/* A segment of @p c in direction @p d; the client is port cport, the server port 80. */
static struct frame_spec
seg(const struct tconn *c, enum dir d, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t len)
{
	struct frame_spec fs = {
		.family = c->family,
		.proto = IPPROTO_TCP,
		.sport = d == C2S ? c->cport : 80,
		.dport = d == C2S ? 80 : c->cport,
		.src = c->family == 6 ? (d == C2S ? "fd00::1" : "fd00::2") : NULL,
		.dst = c->family == 6 ? (d == C2S ? "fd00::2" : "fd00::1") : NULL,
		.nb_vlan = c->nb_vlan,
		.vlan = { 7, 8 },
		.seq = seq,
		.ack = ack,
		.tcp_flags = flags,
		.payload_len = len,
	};
	if (d == S2C && c->family != 6) {
		fs.src = "10.0.0.2";
		fs.dst = "10.0.0.1";
	}
	return fs;
}

static struct rte_mbuf *
make(const struct frame_spec *fs)
{
	struct rte_mbuf *m = frame_make(pool, fs);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	colo_pkt_classify(m, COLO_SIDE_SECONDARY, 0, now, NULL);
	return m;
}

static struct colo_key
key_of(const struct tconn *c)
{
	struct frame_spec fs = seg(c, C2S, SYN, c->c_isn, 0, 0);
	struct rte_mbuf *m = make(&fs);
	struct colo_key k = colo_pkt_meta(m)->key;

	rte_pktmbuf_free(m);
	return k;
}

static struct colo_rw_info
info_of(const struct tconn *c)
{
	struct colo_key k = key_of(c);
	struct colo_rw_info info;

	memset(&info, 0xff, sizeof(info));
	CU_ASSERT_EQUAL(colo_rewriter_lookup(rw, &k, &info), 0);
	return info;
}

static bool
tracked(const struct tconn *c)
{
	struct colo_key k = key_of(c);
	struct colo_rw_info info;

	return colo_rewriter_lookup(rw, &k, &info) == 0;
}

/* ---- independent checksums (RFC 1071), not shared with frames.c or the lib ---- */

static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

struct l3l4 {
	size_t l3, l4, end; /* offsets in the frame */
	int family;
};

static struct l3l4
locate(const uint8_t *f)
{
	struct l3l4 o = { .l3 = 14 };
	uint16_t et = f[12] << 8 | f[13];

	while (et == 0x8100 || et == 0x88a8) {
		et = f[o.l3 + 2] << 8 | f[o.l3 + 3];
		o.l3 += 4;
	}
	if (et == 0x0800) {
		o.family = 4;
		o.l4 = o.l3 + (f[o.l3] & 0xf) * 4;
		o.end = o.l3 + (f[o.l3 + 2] << 8 | f[o.l3 + 3]);
	} else {
		o.family = 6;
		o.l4 = o.l3 + 40;
		o.end = o.l4 + (f[o.l3 + 4] << 8 | f[o.l3 + 5]);
	}
	return o;
}

/* One's complement sum of the pseudo-header and the TCP segment, checksum field included. */
static uint16_t
tcp_residual(const uint8_t *f)
{
	struct l3l4 o = locate(f);
	size_t alen = o.family == 4 ? 4 : 16;
	size_t src = o.family == 4 ? o.l3 + 12 : o.l3 + 8;
	uint32_t len = o.end - o.l4, sum = 0;

	sum = sum16(sum, f + src, 2 * alen);
	sum += IPPROTO_TCP + (len >> 16) + (len & 0xffff);
	return fold(sum16(sum, f + o.l4, len));
}

/* Recompute the IPv4 header and TCP checksums from scratch and compare with the frame's. */
static void
check_csums(const uint8_t *f)
{
	struct l3l4 o = locate(f);
	uint8_t seg[BUF_SIZE], ip[60];
	size_t alen = o.family == 4 ? 4 : 16;
	size_t src = o.family == 4 ? o.l3 + 12 : o.l3 + 8;
	uint32_t len = o.end - o.l4, sum = 0;

	if (o.family == 4) {
		memcpy(ip, f + o.l3, o.l4 - o.l3);
		ip[10] = ip[11] = 0;
		CU_ASSERT_EQUAL((uint16_t)~fold(sum16(0, ip, o.l4 - o.l3)),
				f[o.l3 + 10] << 8 | f[o.l3 + 11]);
	}
	memcpy(seg, f + o.l4, len);
	seg[16] = seg[17] = 0;
	sum = sum16(sum, f + src, 2 * alen);
	sum += IPPROTO_TCP + (len >> 16) + (len & 0xffff);
	CU_ASSERT_EQUAL((uint16_t)~fold(sum16(sum, seg, len)), f[o.l4 + 16] << 8 | f[o.l4 + 17]);
}

/* The mbuf equals the frame built from @p want, byte for byte, and its checksums are right. */
static void
check_frame(const struct rte_mbuf *m, const struct frame_spec *want)
{
	uint8_t buf[BUF_SIZE];
	size_t len = frame_build(want, buf, sizeof(buf));
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);

	CU_ASSERT_EQUAL_FATAL(rte_pktmbuf_pkt_len(m), len);
	CU_ASSERT_EQUAL(memcmp(d, buf, len), 0);
	check_csums(d);
	CU_ASSERT_EQUAL(colo_pkt_meta(m)->tcp_seq, want->seq);
	CU_ASSERT_EQUAL(colo_pkt_meta(m)->tcp_ack, want->ack);
}

static enum colo_rw_verdict
run(enum dir d, struct rte_mbuf *m)
{
	return d == C2S ? colo_rewriter_client_to_svm(rw, m, now)
			: colo_rewriter_svm_to_client(rw, m, now);
}

/*
 * Send @p in in direction @p d; the result must be @p in with seq and ack
 * replaced by @p seq and @p ack. Returns the verdict.
 */
static enum colo_rw_verdict
step(enum dir d, const struct frame_spec *in, uint32_t seq, uint32_t ack)
{
	struct frame_spec want = *in;
	struct rte_mbuf *m = make(in);
	enum colo_rw_verdict v;

	want.seq = seq;
	want.ack = ack;
	v = run(d, m);
	check_frame(m, &want);
	rte_pktmbuf_free(m);
	return v;
}

/* A segment that must leave unchanged, with verdict @p v. */
static void
same(enum dir d, const struct frame_spec *in, enum colo_rw_verdict v)
{
	CU_ASSERT_EQUAL(step(d, in, in->seq, in->ack), v);
}

/* A segment that must leave with seq and ack @p seq, @p ack. */
static void
mapped(enum dir d, const struct frame_spec *in, uint32_t seq, uint32_t ack)
{
	CU_ASSERT_EQUAL(step(d, in, seq, ack), COLO_RW_REWRITTEN);
}

/* Passive open: client SYN, SVM SYN-ACK, client's first ACK. Leaves the entry open. */
static void
handshake(const struct tconn *c)
{
	struct frame_spec fs;

	fs = seg(c, C2S, SYN, c->c_isn, 0, 0);
	same(C2S, &fs, COLO_RW_PASS);
	CU_ASSERT_EQUAL(info_of(c).state, COLO_RW_STATE_LEARNING);
	fs = seg(c, S2C, SYN | ACK, c->s_isn, c->c_isn + 1, 0);
	same(S2C, &fs, COLO_RW_PENDING);
	CU_ASSERT_EQUAL(info_of(c).state, COLO_RW_STATE_LEARNING);
	fs = seg(c, C2S, ACK, c->c_isn + 1, c->p_isn + 1, 0);
	mapped(C2S, &fs, c->c_isn + 1, c->s_isn + 1);
	CU_ASSERT_EQUAL(info_of(c).state, COLO_RW_STATE_OPEN);
	CU_ASSERT_EQUAL(info_of(c).offset, c->s_isn - c->p_isn);
}

/* 100 bytes from the client, 200 from the SVM. */
static void
data_both_ways(const struct tconn *c)
{
	struct frame_spec fs;

	fs = seg(c, C2S, ACK | PSH, c->c_isn + 1, c->p_isn + 1, 100);
	mapped(C2S, &fs, c->c_isn + 1, c->s_isn + 1);
	fs = seg(c, S2C, ACK | PSH, c->s_isn + 1, c->c_isn + 101, 200);
	mapped(S2C, &fs, c->p_isn + 1, c->c_isn + 101);
}

static void
passive_open(int family)
{
	struct tconn c = conn(family, 40000);

	rw_start(0);
	handshake(&c);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_CREATED), 1);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_LEARNED), 1);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_PENDING), 1);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_REWRITTEN), 1);
	CU_ASSERT_EQUAL(colo_rewriter_count(rw), 1);
	rw_stop();
}

static void
test_passive_open_v4(void)
{
	passive_open(4);
}

static void
test_passive_open_v6(void)
{
	passive_open(6);
}

/* A SYN-ACK the SVM retransmits after learning carries the PVM's ISN. */
static void
test_synack_retransmit_mapped(void)
{
	struct tconn c = conn(4, 40000);
	struct frame_spec fs;

	rw_start(0);
	handshake(&c);
	fs = seg(&c, S2C, SYN | ACK, c.s_isn, c.c_isn + 1, 0);
	mapped(S2C, &fs, c.p_isn, c.c_isn + 1);
	rw_stop();
}

static void
test_data_both_ways(void)
{
	static const int families[] = { 4, 6 };
	unsigned int i;

	for (i = 0; i < RTE_DIM(families); i++) {
		struct tconn c = conn(families[i], 40000);

		rw_start(0);
		handshake(&c);
		data_both_ways(&c);
		CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_REWRITTEN), 3);
		rw_stop();
	}
}

static void
test_vlan_tagged(void)
{
	struct tconn c = conn(4, 40000);

	c.nb_vlan = 2;
	rw_start(0);
	handshake(&c);
	data_both_ways(&c);
	rw_stop();
}

/* Client FIN, SVM FIN+ACK, client's last ACK; the entry lingers, then goes. */
static void
fin_close(int family)
{
	struct tconn c = conn(family, 40000);
	uint32_t co = c.c_isn + 101, po = c.p_isn + 201, so = c.s_isn + 201;
	struct frame_spec fs;

	rw_start(0);
	handshake(&c);
	data_both_ways(&c);
	fs = seg(&c, C2S, FIN | ACK, co, po, 0);
	mapped(C2S, &fs, co, so);
	CU_ASSERT_EQUAL(info_of(&c).state, COLO_RW_STATE_CLOSING);
	fs = seg(&c, S2C, FIN | ACK, so, co + 1, 0);
	mapped(S2C, &fs, po, co + 1);
	CU_ASSERT_EQUAL(info_of(&c).state, COLO_RW_STATE_CLOSING);
	now += 10;
	fs = seg(&c, C2S, ACK, co + 1, po + 1, 0);
	mapped(C2S, &fs, co + 1, so + 1);
	CU_ASSERT_EQUAL(info_of(&c).state, COLO_RW_STATE_CLOSED);
	CU_ASSERT_EQUAL(info_of(&c).last_tsc, now);

	/* Lingering: a retransmitted FIN is still mapped. */
	now += CLOSING_MS - 1;
	fs = seg(&c, S2C, FIN | ACK, so, co + 1, 0);
	mapped(S2C, &fs, po, co + 1);
	CU_ASSERT_EQUAL(colo_rewriter_scan(rw, now), 0);
	now += 1;
	CU_ASSERT_EQUAL(colo_rewriter_scan(rw, now), 1);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_CLOSED), 1);
	CU_ASSERT_EQUAL(colo_rewriter_count(rw), 0);
	CU_ASSERT_FALSE(tracked(&c));
	fs = seg(&c, S2C, ACK, so + 1, co + 1, 0);
	same(S2C, &fs, COLO_RW_PASS);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_NO_STATE), 1);
	rw_stop();
}

static void
test_fin_close_v4(void)
{
	fin_close(4);
}

static void
test_fin_close_v6(void)
{
	fin_close(6);
}

/* The SVM closes first; an unacknowledged FIN does not close. */
static void
test_fin_svm_first(void)
{
	struct tconn c = conn(4, 40000);
	uint32_t co = c.c_isn + 101, po = c.p_isn + 201, so = c.s_isn + 201;
	struct frame_spec fs;

	rw_start(0);
	handshake(&c);
	data_both_ways(&c);
	fs = seg(&c, S2C, FIN | ACK, so, co, 0);
	mapped(S2C, &fs, po, co);
	fs = seg(&c, C2S, ACK, co, po, 0); /* does not cover the FIN yet */
	mapped(C2S, &fs, co, so);
	CU_ASSERT_EQUAL(info_of(&c).state, COLO_RW_STATE_CLOSING);
	fs = seg(&c, C2S, FIN | ACK, co, po + 1, 0);
	mapped(C2S, &fs, co, so + 1);
	CU_ASSERT_EQUAL(info_of(&c).state, COLO_RW_STATE_CLOSING);
	fs = seg(&c, S2C, ACK, so + 1, co, 0); /* does not cover the client's FIN */
	mapped(S2C, &fs, po + 1, co);
	CU_ASSERT_EQUAL(info_of(&c).state, COLO_RW_STATE_CLOSING);
	fs = seg(&c, S2C, ACK, so + 1, co + 1, 0);
	mapped(S2C, &fs, po + 1, co + 1);
	CU_ASSERT_EQUAL(info_of(&c).state, COLO_RW_STATE_CLOSED);
	rw_stop();
}

static void
rst_close(enum dir d)
{
	struct tconn c = conn(6, 40000);
	struct frame_spec fs;

	rw_start(0);
	handshake(&c);
	if (d == C2S) {
		fs = seg(&c, C2S, RST | ACK, c.c_isn + 1, c.p_isn + 1, 0);
		mapped(C2S, &fs, c.c_isn + 1, c.s_isn + 1);
	} else {
		fs = seg(&c, S2C, RST, c.s_isn + 1, 0, 0);
		mapped(S2C, &fs, c.p_isn + 1, 0);
	}
	CU_ASSERT_EQUAL(info_of(&c).state, COLO_RW_STATE_CLOSED);
	now += CLOSING_MS;
	CU_ASSERT_EQUAL(colo_rewriter_scan(rw, now), 1);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_CLOSED), 1);
	CU_ASSERT_EQUAL(colo_rewriter_count(rw), 0);
	rw_stop();
}

static void
test_rst_from_client(void)
{
	rst_close(C2S);
}

static void
test_rst_from_svm(void)
{
	rst_close(S2C);
}

/* An RST from the client without ACK has no ack to map. */
static void
test_rst_without_ack_passes(void)
{
	struct tconn c = conn(4, 40000);
	struct frame_spec fs;

	rw_start(0);
	handshake(&c);
	fs = seg(&c, C2S, RST, c.c_isn + 1, 0, 0);
	same(C2S, &fs, COLO_RW_PASS);
	CU_ASSERT_EQUAL(info_of(&c).state, COLO_RW_STATE_CLOSED);
	rw_stop();
}

/* SACK option with @p nb blocks after NOP NOP; edges from @p e. */
static uint8_t
sack_opts(uint8_t *o, const uint32_t *e, unsigned int nb)
{
	unsigned int i, n = 0;

	o[n++] = 1;
	o[n++] = 1;
	o[n++] = 5;
	o[n++] = 2 + 8 * nb;
	for (i = 0; i < 2 * nb; i++) {
		o[n++] = e[i] >> 24;
		o[n++] = e[i] >> 16;
		o[n++] = e[i] >> 8;
		o[n++] = e[i];
	}
	return n;
}

static void
sack_case(int family)
{
	struct tconn c = conn(family, 40000);
	uint32_t pe[8], se[8];
	uint8_t in_opts[40], out_opts[40];
	struct frame_spec in, want;
	struct rte_mbuf *m;
	unsigned int i;

	rw_start(0);
	handshake(&c);
	/* Client->SVM: the edges name server bytes, PVM space -> SVM space. */
	for (i = 0; i < 8; i++) {
		pe[i] = c.p_isn + 1001 + 100 * i;
		se[i] = pe[i] + (c.s_isn - c.p_isn);
	}
	in = seg(&c, C2S, ACK, c.c_isn + 1, c.p_isn + 1, 0);
	in.tcp_opts = in_opts;
	in.tcp_opts_len = sack_opts(in_opts, pe, 4);
	want = in;
	want.ack = c.s_isn + 1;
	want.tcp_opts = out_opts;
	sack_opts(out_opts, se, 4);
	m = make(&in);
	CU_ASSERT_EQUAL(colo_rewriter_client_to_svm(rw, m, now), COLO_RW_REWRITTEN);
	check_frame(m, &want);
	rte_pktmbuf_free(m);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_SACK_BLOCKS), 4);

	/* SVM->client: the edges name client bytes, the same for both VMs. */
	for (i = 0; i < 2; i++)
		pe[i] = c.c_isn + 501 + 100 * i;
	in = seg(&c, S2C, ACK, c.s_isn + 1, c.c_isn + 1, 0);
	in.tcp_opts = in_opts;
	in.tcp_opts_len = sack_opts(in_opts, pe, 1);
	mapped(S2C, &in, c.p_isn + 1, c.c_isn + 1);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_SACK_BLOCKS), 4);
	rw_stop();
}

static void
test_sack(void)
{
	sack_case(4);
	sack_case(6);
}

/* SACK after a timestamp option: found and translated; the timestamps stay. */
static void
test_sack_after_timestamps(void)
{
	struct tconn c = conn(4, 40000);
	uint8_t in_opts[40] = { 1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8 }, out_opts[40];
	uint32_t pe[2] = { c.p_isn + 11, c.p_isn + 21 }, se[2];
	struct frame_spec in, want;
	struct rte_mbuf *m;

	se[0] = pe[0] + c.s_isn - c.p_isn;
	se[1] = pe[1] + c.s_isn - c.p_isn;
	rw_start(0);
	handshake(&c);
	in = seg(&c, C2S, ACK, c.c_isn + 1, c.p_isn + 1, 0);
	memcpy(out_opts, in_opts, 12);
	in.tcp_opts = in_opts;
	in.tcp_opts_len = 12 + sack_opts(in_opts + 12, pe, 1);
	sack_opts(out_opts + 12, se, 1);
	want = in;
	want.ack = c.s_isn + 1;
	want.tcp_opts = out_opts;
	m = make(&in);
	CU_ASSERT_EQUAL(colo_rewriter_client_to_svm(rw, m, now), COLO_RW_REWRITTEN);
	check_frame(m, &want);
	rte_pktmbuf_free(m);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_SACK_BLOCKS), 1);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_BAD_OPTS), 0);
	rw_stop();
}

/* Malformed options: counted, SACK left alone, ack still mapped. */
static void
test_bad_options(void)
{
	static const uint8_t bad[][12] = {
		{ 1, 1, 5, 9, 0, 0, 0, 1, 0, 0, 0, 2 },	 /* SACK length not 2 + 8n */
		{ 1, 1, 8, 40, 0, 0, 0, 0, 0, 0, 0, 0 }, /* option runs past the header */
		{ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 5 },	 /* kind without a length byte */
	};
	struct tconn c = conn(4, 40000);
	struct frame_spec fs;
	unsigned int i;

	rw_start(0);
	handshake(&c);
	for (i = 0; i < RTE_DIM(bad); i++) {
		fs = seg(&c, C2S, ACK, c.c_isn + 1, c.p_isn + 1, 0);
		fs.tcp_opts = bad[i];
		fs.tcp_opts_len = sizeof(bad[i]);
		mapped(C2S, &fs, c.c_isn + 1, c.s_isn + 1);
		CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_BAD_OPTS), i + 1);
	}
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_SACK_BLOCKS), 0);
	rw_stop();
}

static void
test_idle_expiry(void)
{
	struct tconn a = conn(4, 40000), b = conn(6, 40001);
	struct frame_spec fs;

	rw_start(0);
	handshake(&a);
	now += 500;
	handshake(&b);
	now = 1 + IDLE_MS - 1;
	CU_ASSERT_EQUAL(colo_rewriter_scan(rw, now), 0);
	/* Traffic keeps a: b is now the older. */
	fs = seg(&a, C2S, ACK, a.c_isn + 1, a.p_isn + 1, 0);
	mapped(C2S, &fs, a.c_isn + 1, a.s_isn + 1);
	now = 501 + IDLE_MS;
	CU_ASSERT_EQUAL(colo_rewriter_scan(rw, now), 1);
	CU_ASSERT_FALSE(tracked(&b));
	CU_ASSERT_TRUE(tracked(&a));
	now += IDLE_MS;
	CU_ASSERT_EQUAL(colo_rewriter_scan(rw, now), 1);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_EXPIRED), 2);
	CU_ASSERT_EQUAL(colo_rewriter_count(rw), 0);
	rw_stop();
}

/* A learning entry that never completes expires too. */
static void
test_idle_expiry_learning(void)
{
	struct tconn c = conn(4, 40000);
	struct frame_spec fs = seg(&c, C2S, SYN, c.c_isn, 0, 0);

	rw_start(0);
	same(C2S, &fs, COLO_RW_PASS);
	now += IDLE_MS;
	CU_ASSERT_EQUAL(colo_rewriter_scan(rw, now), 1);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_EXPIRED), 1);
	rw_stop();
}

/* Checkpoint done: open, learning and closing entries all get offset 0. */
static void
test_reset_on_checkpoint(void)
{
	struct tconn a = conn(4, 40000), b = conn(4, 40001), d = conn(6, 40002);
	uint32_t co = d.c_isn + 101, po = d.p_isn + 201;
	struct frame_spec fs;

	rw_start(0);
	handshake(&a);
	fs = seg(&b, C2S, SYN, b.c_isn, 0, 0);
	same(C2S, &fs, COLO_RW_PASS);
	fs = seg(&b, S2C, SYN | ACK, b.s_isn, b.c_isn + 1, 0);
	same(S2C, &fs, COLO_RW_PENDING);
	handshake(&d);
	data_both_ways(&d);
	fs = seg(&d, C2S, FIN | ACK, co, po, 0);
	mapped(C2S, &fs, co, d.s_isn + 201);

	colo_rewriter_reset(rw);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_RESETS), 1);
	CU_ASSERT_EQUAL(info_of(&a).state, COLO_RW_STATE_OPEN);
	CU_ASSERT_EQUAL(info_of(&a).offset, 0);
	CU_ASSERT_EQUAL(info_of(&b).state, COLO_RW_STATE_OPEN);
	CU_ASSERT_EQUAL(info_of(&b).offset, 0);
	CU_ASSERT_EQUAL(info_of(&d).state, COLO_RW_STATE_CLOSING);

	/* The SVM now speaks the PVM's numbers: nothing to map. */
	fs = seg(&a, S2C, ACK | PSH, a.p_isn + 1, a.c_isn + 1, 10);
	same(S2C, &fs, COLO_RW_PASS);
	fs = seg(&a, C2S, ACK, a.c_isn + 1, a.p_isn + 11, 0);
	same(C2S, &fs, COLO_RW_PASS);
	/* b's first ACK no longer teaches anything. */
	fs = seg(&b, C2S, ACK, b.c_isn + 1, b.p_isn + 1, 0);
	same(C2S, &fs, COLO_RW_PASS);
	CU_ASSERT_EQUAL(info_of(&b).offset, 0);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_LEARNED), 2);
	/* d's teardown still completes. */
	fs = seg(&d, S2C, FIN | ACK, po, co + 1, 0);
	same(S2C, &fs, COLO_RW_PASS);
	fs = seg(&d, C2S, ACK, co + 1, po + 1, 0);
	same(C2S, &fs, COLO_RW_PASS);
	CU_ASSERT_EQUAL(info_of(&d).state, COLO_RW_STATE_CLOSED);
	rw_stop();
}

/* The guest opens: SVM SYN, the peer's SYN-ACK (ack - 1 = PVM ISN), SVM ACK. */
static void
active_open(int family)
{
	struct tconn c = conn(family, 40000);
	struct frame_spec fs;

	rw_start(0);
	fs = seg(&c, S2C, SYN, c.s_isn, 0, 0);
	same(S2C, &fs, COLO_RW_PENDING);
	CU_ASSERT_EQUAL(info_of(&c).state, COLO_RW_STATE_LEARNING);
	fs = seg(&c, C2S, SYN | ACK, c.c_isn, c.p_isn + 1, 0);
	mapped(C2S, &fs, c.c_isn, c.s_isn + 1);
	CU_ASSERT_EQUAL(info_of(&c).state, COLO_RW_STATE_OPEN);
	CU_ASSERT_EQUAL(info_of(&c).offset, c.s_isn - c.p_isn);
	fs = seg(&c, S2C, ACK, c.s_isn + 1, c.c_isn + 1, 0);
	mapped(S2C, &fs, c.p_isn + 1, c.c_isn + 1);
	/* A retransmitted SVM SYN now carries the PVM's ISN. */
	fs = seg(&c, S2C, SYN, c.s_isn, 0, 0);
	mapped(S2C, &fs, c.p_isn, 0);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_LEARNED), 1);
	rw_stop();
}

static void
test_active_open_v4(void)
{
	active_open(4);
}

static void
test_active_open_v6(void)
{
	active_open(6);
}

/* Feed the PVM's SYN(-ACK) as a mirror of the primary's output; it is not modified. */
static void
pvm_syn(const struct tconn *c, uint8_t flags)
{
	struct frame_spec fs = seg(c, S2C, flags, c->p_isn, flags & ACK ? c->c_isn + 1 : 0, 0);
	struct rte_mbuf *m = make(&fs);

	colo_rewriter_pvm_to_client(rw, m, now);
	check_frame(m, &fs);
	rte_pktmbuf_free(m);
}

/* With the PVM's SYN-ACK mirrored, the SVM's SYN-ACK is mapped at once. */
static void
test_pvm_mirror_passive(void)
{
	struct tconn c = conn(4, 40000);
	struct frame_spec fs;

	rw_start(0);
	fs = seg(&c, C2S, SYN, c.c_isn, 0, 0);
	same(C2S, &fs, COLO_RW_PASS);
	pvm_syn(&c, SYN | ACK);
	fs = seg(&c, S2C, SYN | ACK, c.s_isn, c.c_isn + 1, 0);
	mapped(S2C, &fs, c.p_isn, c.c_isn + 1);
	fs = seg(&c, C2S, ACK, c.c_isn + 1, c.p_isn + 1, 0);
	mapped(C2S, &fs, c.c_isn + 1, c.s_isn + 1);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_PENDING), 0);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_LEARNED), 1);

	/* A late mirrored SYN-ACK changes nothing once learned, not even FIN state. */
	fs = seg(&c, S2C, FIN | ACK, c.s_isn + 1, c.c_isn + 1, 0);
	mapped(S2C, &fs, c.p_isn + 1, c.c_isn + 1);
	pvm_syn(&c, SYN | ACK);
	CU_ASSERT_EQUAL(info_of(&c).offset, c.s_isn - c.p_isn);
	fs = seg(&c, C2S, FIN | ACK, c.c_isn + 1, c.p_isn + 1, 0); /* SVM FIN not covered */
	mapped(C2S, &fs, c.c_isn + 1, c.s_isn + 1);
	fs = seg(&c, S2C, ACK, c.s_isn + 2, c.c_isn + 2, 0);
	mapped(S2C, &fs, c.p_isn + 2, c.c_isn + 2);
	CU_ASSERT_EQUAL(info_of(&c).state, COLO_RW_STATE_CLOSING);
	rw_stop();
}

/* Active open with the mirror, the PVM's SYN first: even the SVM's SYN is mapped. */
static void
test_pvm_mirror_active(void)
{
	struct tconn c = conn(6, 40000);
	struct frame_spec fs;

	rw_start(0);
	pvm_syn(&c, SYN);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_CREATED), 1);
	fs = seg(&c, S2C, SYN, c.s_isn, 0, 0);
	mapped(S2C, &fs, c.p_isn, 0);
	fs = seg(&c, C2S, SYN | ACK, c.c_isn, c.p_isn + 1, 0);
	mapped(C2S, &fs, c.c_isn, c.s_isn + 1);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_PENDING), 0);
	rw_stop();
}

/* The client's ACK may reach the rewriter before the SVM's SYN-ACK. */
static void
test_ack_before_synack(void)
{
	struct tconn c = conn(4, 40000);
	struct frame_spec fs;

	rw_start(0);
	fs = seg(&c, C2S, SYN, c.c_isn, 0, 0);
	same(C2S, &fs, COLO_RW_PASS);
	fs = seg(&c, C2S, ACK, c.c_isn + 1, c.p_isn + 1, 0);
	same(C2S, &fs, COLO_RW_PENDING);
	fs = seg(&c, S2C, SYN | ACK, c.s_isn, c.c_isn + 1, 0);
	mapped(S2C, &fs, c.p_isn, c.c_isn + 1);
	/* A PENDING frame may be retried, and is mapped now. */
	fs = seg(&c, C2S, ACK, c.c_isn + 1, c.p_isn + 1, 0);
	mapped(C2S, &fs, c.c_isn + 1, c.s_isn + 1);
	rw_stop();
}

/* Segments of a connection whose handshake was never seen pass, counted. */
static void
test_no_state(void)
{
	struct tconn c = conn(4, 40000);
	struct frame_spec fs;

	rw_start(0);
	fs = seg(&c, C2S, ACK | PSH, c.c_isn + 1, c.p_isn + 1, 10);
	same(C2S, &fs, COLO_RW_PASS);
	fs = seg(&c, S2C, ACK, c.s_isn + 1, c.c_isn + 11, 0);
	same(S2C, &fs, COLO_RW_PASS);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_NO_STATE), 2);
	CU_ASSERT_EQUAL(colo_rewriter_count(rw), 0);
	rw_stop();
}

/* Full table: the closed entries go first, then the least recently active. */
static void
test_table_full(void)
{
	struct tconn c[12];
	struct frame_spec fs;
	unsigned int i;

	rw_start(8);
	for (i = 0; i < 12; i++)
		c[i] = conn(i % 2 ? 6 : 4, 41000 + i);
	for (i = 0; i < 8; i++) {
		handshake(&c[i]);
		now++;
	}
	CU_ASSERT_EQUAL(colo_rewriter_count(rw), 8);
	/* 2 and 5 close; 0 becomes the most recently active. */
	fs = seg(&c[2], C2S, RST, c[2].c_isn + 1, 0, 0);
	same(C2S, &fs, COLO_RW_PASS);
	fs = seg(&c[5], C2S, RST, c[5].c_isn + 1, 0, 0);
	same(C2S, &fs, COLO_RW_PASS);
	fs = seg(&c[0], C2S, ACK, c[0].c_isn + 1, c[0].p_isn + 1, 0);
	mapped(C2S, &fs, c[0].c_isn + 1, c[0].s_isn + 1);

	handshake(&c[8]);
	handshake(&c[9]);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_CLOSED), 2);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_EVICTED), 0);
	CU_ASSERT_FALSE(tracked(&c[2]));
	CU_ASSERT_FALSE(tracked(&c[5]));

	handshake(&c[10]);
	handshake(&c[11]);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_EVICTED), 2);
	CU_ASSERT_FALSE(tracked(&c[1]));
	CU_ASSERT_FALSE(tracked(&c[3]));
	CU_ASSERT_TRUE(tracked(&c[0]));
	CU_ASSERT_EQUAL(colo_rewriter_count(rw), 8);
	rw_stop();
}

/* A SYN flood through a small table never fails and never grows it. */
static void
test_table_full_flood(void)
{
	struct frame_spec fs;
	struct tconn c;
	unsigned int i;

	rw_start(8);
	for (i = 0; i < 100; i++) {
		c = conn(4, 10000 + i);
		fs = seg(&c, C2S, SYN, c.c_isn, 0, 0);
		same(C2S, &fs, COLO_RW_PASS);
	}
	CU_ASSERT_EQUAL(colo_rewriter_count(rw), 8);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_CREATED), 100);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_EVICTED), 92);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_NO_STATE), 0);
	rw_stop();
}

/* A SYN on a closed entry is a new connection on the same 4-tuple. */
static void
test_port_reuse_restarts(void)
{
	struct tconn c = conn(4, 40000), c2;
	struct frame_spec fs;

	rw_start(0);
	handshake(&c);
	fs = seg(&c, S2C, RST, c.s_isn + 1, 0, 0);
	mapped(S2C, &fs, c.p_isn + 1, 0);
	c2 = c;
	c2.c_isn = 7000;
	c2.p_isn = 800000;
	c2.s_isn = 90;
	handshake(&c2);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_RESTARTED), 1);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_LEARNED), 2);
	CU_ASSERT_EQUAL(colo_rewriter_count(rw), 1);
	/* A SYN on a live entry is a retransmission: the offset stays. */
	fs = seg(&c2, C2S, SYN, c2.c_isn, 0, 0);
	same(C2S, &fs, COLO_RW_PASS);
	CU_ASSERT_EQUAL(info_of(&c2).offset, c2.s_isn - c2.p_isn);
	rw_stop();
}

/* After a failover: known connections still mapped, new ones untouched. */
static void
test_learning_off(void)
{
	struct tconn a = conn(4, 40000), b = conn(4, 40001), d = conn(4, 40002);
	struct frame_spec fs;

	rw_start(0);
	handshake(&a);
	handshake(&d);
	fs = seg(&d, C2S, RST, d.c_isn + 1, 0, 0);
	same(C2S, &fs, COLO_RW_PASS);
	colo_rewriter_set_learning(rw, false);

	fs = seg(&b, C2S, SYN, b.c_isn, 0, 0);
	same(C2S, &fs, COLO_RW_PASS);
	fs = seg(&b, S2C, SYN | ACK, b.s_isn, b.c_isn + 1, 0);
	same(S2C, &fs, COLO_RW_PASS);
	CU_ASSERT_FALSE(tracked(&b));
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_NOT_LEARNING), 2);

	fs = seg(&a, S2C, ACK, a.s_isn + 1, a.c_isn + 1, 0);
	mapped(S2C, &fs, a.p_isn + 1, a.c_isn + 1);

	/* A new connection reusing a closed entry's 4-tuple is not mapped with the old offset. */
	fs = seg(&d, C2S, SYN, d.c_isn + 5000, 0, 0);
	same(C2S, &fs, COLO_RW_PASS);
	CU_ASSERT_FALSE(tracked(&d));
	fs = seg(&d, S2C, SYN | ACK, 42, d.c_isn + 5001, 0);
	same(S2C, &fs, COLO_RW_PASS);
	rw_stop();
}

/* Pseudo-header-only checksum (offload requested): fields change, checksum stays. */
static void
offload_case(enum dir d, uint64_t ol_flags)
{
	struct tconn c = conn(4, 40000);
	struct frame_spec fs, want;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	struct rte_mbuf *m;
	uint16_t phdr;

	rw_start(0);
	handshake(&c);
	if (d == C2S)
		fs = seg(&c, C2S, ACK, c.c_isn + 1, c.p_isn + 1, 20);
	else
		fs = seg(&c, S2C, ACK, c.s_isn + 1, c.c_isn + 1, 20);
	m = make(&fs);
	m->ol_flags |= ol_flags;
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	th = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, 34);
	phdr = rte_ipv4_phdr_cksum(ip, 0);
	th->cksum = phdr;
	CU_ASSERT_EQUAL(run(d, m), COLO_RW_REWRITTEN);
	CU_ASSERT_EQUAL(th->cksum, phdr);
	want = fs;
	if (d == C2S)
		want.ack = c.s_isn + 1;
	else
		want.seq = c.p_isn + 1;
	CU_ASSERT_EQUAL(rte_be_to_cpu_32(th->recv_ack), want.ack);
	CU_ASSERT_EQUAL(rte_be_to_cpu_32(th->sent_seq), want.seq);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_CSUM_PARTIAL), 1);
	/* What the NIC would do: complete the checksum; it must then be right. */
	th->cksum = 0;
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	check_frame(m, &want);
	rte_pktmbuf_free(m);
	rw_stop();
}

static void
test_csum_offload(void)
{
	offload_case(C2S, RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4);
	offload_case(S2C, RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4); /* TSO implies TCP_CKSUM */
	offload_case(S2C, RTE_MBUF_F_RX_L4_CKSUM_NONE);
}

/* Frames nobody may write (shared, header split across segments) stay as they are. */
static void
test_unwritable_skipped(void)
{
	struct tconn c = conn(4, 40000);
	uint8_t buf[BUF_SIZE];
	struct rte_mbuf *m, *tail;
	struct frame_spec fs;
	size_t len;

	rw_start(0);
	handshake(&c);
	fs = seg(&c, S2C, ACK, c.s_isn + 1, c.c_isn + 1, 10);
	m = make(&fs);
	rte_mbuf_refcnt_update(m, 1);
	CU_ASSERT_EQUAL(colo_rewriter_svm_to_client(rw, m, now), COLO_RW_PASS);
	check_frame(m, &fs);
	rte_pktmbuf_free(m);
	rte_pktmbuf_free(m);

	/* First segment ends inside the TCP header. */
	len = frame_build(&fs, buf, sizeof(buf));
	m = frame_mbuf(pool, buf, 44);
	tail = frame_mbuf(pool, buf + 44, len - 44);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tail);
	CU_ASSERT_EQUAL_FATAL(rte_pktmbuf_chain(m, tail), 0);
	colo_pkt_classify(m, COLO_SIDE_SECONDARY, 0, now, NULL);
	CU_ASSERT_EQUAL(colo_rewriter_svm_to_client(rw, m, now), COLO_RW_PASS);
	CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_mtod(m, uint8_t *), buf, 44), 0);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_SKIPPED), 2);
	rte_pktmbuf_free(m);
	rw_stop();
}

/* ISNs and data on both sides of 2^32. */
static void
test_seq_wrap(void)
{
	struct tconn c = conn(4, 40000);
	struct frame_spec fs;

	c.c_isn = 0xffffff00;
	c.p_isn = 0x00000010;
	c.s_isn = 0xfffffff0;
	rw_start(0);
	handshake(&c);
	CU_ASSERT_EQUAL(info_of(&c).offset, 0xffffffe0);
	fs = seg(&c, S2C, ACK | PSH, c.s_isn + 1, c.c_isn + 1, 300);
	mapped(S2C, &fs, c.p_isn + 1, c.c_isn + 1);
	fs = seg(&c, C2S, ACK | PSH, c.c_isn + 1, c.p_isn + 301, 300);
	mapped(C2S, &fs, c.c_isn + 1, c.s_isn + 301);
	rw_stop();
}

/* RFC 1624 keeps a wrong checksum exactly as wrong: errors are never hidden. */
static void
test_bad_checksum_stays_bad(void)
{
	struct tconn c = conn(6, 40000);
	struct frame_spec fs;
	struct rte_mbuf *m;
	uint8_t *d;
	uint16_t before;

	rw_start(0);
	handshake(&c);
	fs = seg(&c, S2C, ACK, c.s_isn + 1, c.c_isn + 1, 10);
	m = make(&fs);
	d = rte_pktmbuf_mtod(m, uint8_t *);
	d[14 + 40 + 17] ^= 0x5a;
	before = tcp_residual(d);
	CU_ASSERT_NOT_EQUAL(before, 0xffff);
	CU_ASSERT_EQUAL(colo_rewriter_svm_to_client(rw, m, now), COLO_RW_REWRITTEN);
	CU_ASSERT_EQUAL(tcp_residual(d), before);
	rte_pktmbuf_free(m);
	rw_stop();
}

/* Non-TCP frames pass uncounted; TCP fragments pass, counted as skipped. */
static void
test_non_tcp_and_fragments(void)
{
	struct frame_spec fs = { .family = 4, .proto = IPPROTO_UDP, .sport = 1, .dport = 2 };
	uint8_t buf[BUF_SIZE];
	struct rte_mbuf *m;
	struct tconn c = conn(4, 40000);
	size_t len;
	unsigned int i;

	rw_start(0);
	len = frame_build(&fs, buf, sizeof(buf));
	m = make(&fs);
	CU_ASSERT_EQUAL(colo_rewriter_svm_to_client(rw, m, now), COLO_RW_PASS);
	CU_ASSERT_EQUAL(colo_rewriter_client_to_svm(rw, m, now), COLO_RW_PASS);
	CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_mtod(m, uint8_t *), buf, len), 0);
	rte_pktmbuf_free(m);
	for (i = 0; i < COLO_RW_CTR_MAX; i++)
		CU_ASSERT_EQUAL(ctr(i), 0);

	handshake(&c);
	fs = seg(&c, S2C, ACK, c.s_isn + 1, c.c_isn + 1, 10);
	len = frame_build(&fs, buf, sizeof(buf));
	buf[14 + 6] = 0x20; /* more fragments; the parser does not check the IP checksum */
	m = frame_mbuf(pool, buf, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	colo_pkt_classify(m, COLO_SIDE_SECONDARY, 0, now, NULL);
	CU_ASSERT_EQUAL(colo_rewriter_svm_to_client(rw, m, now), COLO_RW_PASS);
	CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_mtod(m, uint8_t *), buf, len), 0);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_SKIPPED), 1);
	rte_pktmbuf_free(m);
	rw_stop();
}

/* Learning, mapping and teardown allocate nothing once the rewriter exists. */
static void
test_allocates_nothing(void)
{
	struct rte_malloc_socket_stats before, after;
	int socket = rte_socket_id();
	struct frame_spec fs;
	struct tconn c;
	unsigned int i;

	rw_start(16);
	rte_malloc_get_socket_stats(socket, &before);
	for (i = 0; i < 50; i++) {
		c = conn(i % 2 ? 6 : 4, 20000 + i);
		handshake(&c);
		data_both_ways(&c);
		fs = seg(&c, C2S, RST, c.c_isn + 101, 0, 0);
		same(C2S, &fs, COLO_RW_PASS);
		now++;
		colo_rewriter_scan(rw, now);
	}
	rte_malloc_get_socket_stats(socket, &after);
	CU_ASSERT_EQUAL(after.alloc_count, before.alloc_count);
	CU_ASSERT_EQUAL(after.heap_allocsz_bytes, before.heap_allocsz_bytes);
	rw_stop();
}

/* ---- timestamps (RFC 7323) ---- */

/* The clocks of the test: the client's, and the PVM's and SVM's at their SYN-ACKs. */
#define TS_C 7000u
#define TS_P 100000u
#define TS_S 100007u

/* NOP NOP and a timestamp option (@p val, @p ecr): 12 bytes at @p o. */
static uint8_t
ts_opts(uint8_t *o, uint32_t val, uint32_t ecr)
{
	uint8_t n = 0;

	o[n++] = 1;
	o[n++] = 1;
	o[n++] = 8;
	o[n++] = 10;
	o[n++] = val >> 24;
	o[n++] = val >> 16;
	o[n++] = val >> 8;
	o[n++] = val;
	o[n++] = ecr >> 24;
	o[n++] = ecr >> 16;
	o[n++] = ecr >> 8;
	o[n++] = ecr;
	return n;
}

/*
 * Send @p in with timestamps (@p val, @p ecr) in direction @p d; it must
 * leave with @p seq, @p ack and timestamps (@p want_val, @p want_ecr), its
 * checksum right. Returns the verdict.
 */
static enum colo_rw_verdict
ts_step(enum dir d, struct frame_spec in, uint32_t val, uint32_t ecr, uint32_t seq, uint32_t ack,
		uint32_t want_val, uint32_t want_ecr)
{
	uint8_t in_opts[12], out_opts[12];
	struct frame_spec want;
	enum colo_rw_verdict v;
	struct rte_mbuf *m;

	in.tcp_opts = in_opts;
	in.tcp_opts_len = ts_opts(in_opts, val, ecr);
	want = in;
	want.seq = seq;
	want.ack = ack;
	want.tcp_opts = out_opts;
	ts_opts(out_opts, want_val, want_ecr);
	m = make(&in);
	v = run(d, m);
	check_frame(m, &want);
	rte_pktmbuf_free(m);
	return v;
}

/* Passive open with timestamps and no mirror: the client's first TSecr is the PVM's TSval. */
static void
ts_handshake(const struct tconn *c)
{
	struct frame_spec fs;

	fs = seg(c, C2S, SYN, c->c_isn, 0, 0);
	CU_ASSERT_EQUAL(ts_step(C2S, fs, TS_C, 0, c->c_isn, 0, TS_C, 0), COLO_RW_PASS);
	fs = seg(c, S2C, SYN | ACK, c->s_isn, c->c_isn + 1, 0);
	CU_ASSERT_EQUAL(ts_step(S2C, fs, TS_S, TS_C, c->s_isn, c->c_isn + 1, TS_S, TS_C),
			COLO_RW_PENDING);
	/* What Linux 6.14+ checks: the echo the SVM gets is its own SYN-ACK's TSval. */
	fs = seg(c, C2S, ACK, c->c_isn + 1, c->p_isn + 1, 0);
	CU_ASSERT_EQUAL(ts_step(C2S, fs, TS_C + 1, TS_P, c->c_isn + 1, c->s_isn + 1, TS_C + 1,
					TS_S),
			COLO_RW_REWRITTEN);
	CU_ASSERT_EQUAL(info_of(c).ts_offset, TS_S - TS_P);
}

static void
ts_both_ways(int family)
{
	struct tconn c = conn(family, 40000);
	struct frame_spec fs;

	rw_start(0);
	ts_handshake(&c);
	/* SVM data: its clock into the PVM's; the echo of the client's clock stays. */
	fs = seg(&c, S2C, ACK | PSH, c.s_isn + 1, c.c_isn + 1, 100);
	CU_ASSERT_EQUAL(ts_step(S2C, fs, TS_S + 5, TS_C + 1, c.p_isn + 1, c.c_isn + 1, TS_P + 5,
					TS_C + 1),
			COLO_RW_REWRITTEN);
	/* The client echoes the PVM's clock: into the SVM's. */
	fs = seg(&c, C2S, ACK, c.c_isn + 1, c.p_isn + 101, 0);
	CU_ASSERT_EQUAL(ts_step(C2S, fs, TS_C + 2, TS_P + 5, c.c_isn + 1, c.s_isn + 101, TS_C + 2,
					TS_S + 5),
			COLO_RW_REWRITTEN);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_TIMESTAMPS), 3);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_BAD_OPTS), 0);
	rw_stop();
}

static void
test_ts_both_ways(void)
{
	ts_both_ways(4);
	ts_both_ways(6);
}

/* The mirrored PVM SYN-ACK gives its TSval: the SVM's SYN-ACK leaves with the PVM's clock. */
static void
test_ts_pvm_mirror(void)
{
	struct tconn c = conn(4, 40000);
	struct frame_spec fs;
	uint8_t opts[12];
	struct rte_mbuf *m;

	rw_start(0);
	fs = seg(&c, C2S, SYN, c.c_isn, 0, 0);
	CU_ASSERT_EQUAL(ts_step(C2S, fs, TS_C, 0, c.c_isn, 0, TS_C, 0), COLO_RW_PASS);
	fs = seg(&c, S2C, SYN | ACK, c.p_isn, c.c_isn + 1, 0);
	fs.tcp_opts = opts;
	fs.tcp_opts_len = ts_opts(opts, TS_P, TS_C);
	m = make(&fs);
	colo_rewriter_pvm_to_client(rw, m, now);
	check_frame(m, &fs);
	rte_pktmbuf_free(m);
	fs = seg(&c, S2C, SYN | ACK, c.s_isn, c.c_isn + 1, 0);
	CU_ASSERT_EQUAL(ts_step(S2C, fs, TS_S, TS_C, c.p_isn, c.c_isn + 1, TS_P, TS_C),
			COLO_RW_REWRITTEN);
	fs = seg(&c, C2S, ACK, c.c_isn + 1, c.p_isn + 1, 0);
	CU_ASSERT_EQUAL(ts_step(C2S, fs, TS_C + 1, TS_P, c.c_isn + 1, c.s_isn + 1, TS_C + 1, TS_S),
			COLO_RW_REWRITTEN);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_PENDING), 0);
	rw_stop();
}

/* Same ISNs, different clocks: only the timestamps move; a checkpoint ends that too. */
static void
test_ts_only_and_reset(void)
{
	struct tconn c = conn(6, 40000);
	struct frame_spec fs;

	c.s_isn = c.p_isn;
	rw_start(0);
	ts_handshake(&c);
	CU_ASSERT_EQUAL(info_of(&c).offset, 0);
	fs = seg(&c, S2C, ACK, c.s_isn + 1, c.c_isn + 1, 0);
	CU_ASSERT_EQUAL(ts_step(S2C, fs, TS_S + 3, TS_C + 1, c.p_isn + 1, c.c_isn + 1, TS_P + 3,
					TS_C + 1),
			COLO_RW_REWRITTEN);
	colo_rewriter_reset(rw);
	CU_ASSERT_EQUAL(info_of(&c).ts_offset, 0);
	fs = seg(&c, S2C, ACK, c.s_isn + 1, c.c_isn + 1, 0);
	CU_ASSERT_EQUAL(ts_step(S2C, fs, TS_P + 9, TS_C + 1, c.p_isn + 1, c.c_isn + 1, TS_P + 9,
					TS_C + 1),
			COLO_RW_PASS);
	fs = seg(&c, C2S, ACK, c.c_isn + 1, c.p_isn + 1, 0);
	CU_ASSERT_EQUAL(ts_step(C2S, fs, TS_C + 2, TS_P + 9, c.c_isn + 1, c.p_isn + 1, TS_C + 2,
					TS_P + 9),
			COLO_RW_PASS);
	rw_stop();
}

/* Timestamps on one side of the handshake only: none are translated. */
static void
test_ts_one_side_untouched(void)
{
	struct tconn c = conn(4, 40000);
	struct frame_spec fs;

	rw_start(0);
	fs = seg(&c, C2S, SYN, c.c_isn, 0, 0);
	same(C2S, &fs, COLO_RW_PASS);
	fs = seg(&c, S2C, SYN | ACK, c.s_isn, c.c_isn + 1, 0);
	CU_ASSERT_EQUAL(ts_step(S2C, fs, TS_S, TS_C, c.s_isn, c.c_isn + 1, TS_S, TS_C),
			COLO_RW_PENDING);
	fs = seg(&c, C2S, ACK, c.c_isn + 1, c.p_isn + 1, 0);
	mapped(C2S, &fs, c.c_isn + 1, c.s_isn + 1);
	fs = seg(&c, S2C, ACK, c.s_isn + 1, c.c_isn + 1, 0);
	CU_ASSERT_EQUAL(ts_step(S2C, fs, TS_S + 1, TS_C, c.p_isn + 1, c.c_isn + 1, TS_S + 1, TS_C),
			COLO_RW_REWRITTEN);
	CU_ASSERT_EQUAL(info_of(&c).ts_offset, 0);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_TIMESTAMPS), 0);
	rw_stop();
}

/* A timestamp option of the wrong length: counted and left; seq still mapped. */
static void
test_ts_malformed(void)
{
	static const uint8_t bad[12] = { 1, 1, 8, 8, 0, 1, 0, 0, 0, 2, 1, 1 };
	struct tconn c = conn(4, 40000);
	struct frame_spec fs;

	rw_start(0);
	ts_handshake(&c);
	fs = seg(&c, S2C, ACK, c.s_isn + 1, c.c_isn + 1, 0);
	fs.tcp_opts = bad;
	fs.tcp_opts_len = sizeof(bad);
	mapped(S2C, &fs, c.p_isn + 1, c.c_isn + 1);
	CU_ASSERT_EQUAL(ctr(COLO_RW_CTR_BAD_OPTS), 1);
	rw_stop();
}

static void
test_params_and_names(void)
{
	struct colo_rewriter_params p;
	unsigned int i;

	colo_rewriter_params_init(&p);
	p.max_entries = 4;
	CU_ASSERT_PTR_NULL(colo_rewriter_create(&p));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	p.max_entries = 8;
	p.name = NULL;
	CU_ASSERT_PTR_NULL(colo_rewriter_create(&p));
	for (i = 0; i < COLO_RW_CTR_MAX; i++) {
		CU_ASSERT_EQUAL(strncmp(colo_rewriter_ctr_name(i), "rewriter_", 9), 0);
		CU_ASSERT_STRING_NOT_EQUAL(colo_rewriter_ctr_help(i), "unknown");
	}
	CU_ASSERT_STRING_EQUAL(colo_rewriter_ctr_name(COLO_RW_CTR_MAX), "unknown");
	rw_start(0);
	/* 48-byte entry + 64-byte key slot + bucket share. */
	CU_ASSERT(colo_rewriter_bytes_per_entry(rw) <= 128);
	rw_stop();
}

int
main(void)
{
	static const struct unit_case cases[] = {
		{ "passive open learns the offset (IPv4)", test_passive_open_v4 },
		{ "passive open learns the offset (IPv6)", test_passive_open_v6 },
		{ "SVM SYN-ACK retransmitted after learning is mapped",
				test_synack_retransmit_mapped },
		{ "data both ways: SVM seq -= offset, client ack += offset", test_data_both_ways },
		{ "VLAN-tagged frames are mapped", test_vlan_tagged },
		{ "FIN, FIN, last ACK close; linger; scan removes (IPv4)", test_fin_close_v4 },
		{ "FIN, FIN, last ACK close; linger; scan removes (IPv6)", test_fin_close_v6 },
		{ "SVM FIN first; unacknowledged FIN does not close", test_fin_svm_first },
		{ "RST from the client closes", test_rst_from_client },
		{ "RST from the SVM closes", test_rst_from_svm },
		{ "RST without ACK closes and passes", test_rst_without_ack_passes },
		{ "SACK edges mapped client->SVM, untouched SVM->client", test_sack },
		{ "SACK after timestamps is found; timestamps untouched without a TS handshake",
				test_sack_after_timestamps },
		{ "malformed options are counted; ack still mapped", test_bad_options },
		{ "idle entries expire at idle_timeout, not before", test_idle_expiry },
		{ "a handshake that never completes expires", test_idle_expiry_learning },
		{ "checkpoint reset sets every offset to 0", test_reset_on_checkpoint },
		{ "active open learns from the peer's SYN-ACK (IPv4)", test_active_open_v4 },
		{ "active open learns from the peer's SYN-ACK (IPv6)", test_active_open_v6 },
		{ "mirrored PVM SYN-ACK maps the SVM SYN-ACK at once", test_pvm_mirror_passive },
		{ "mirrored PVM SYN maps the SVM SYN at once", test_pvm_mirror_active },
		{ "client ACK before SVM SYN-ACK: pending, then mapped", test_ack_before_synack },
		{ "segments without state pass and are counted", test_no_state },
		{ "full table reclaims closed entries, then evicts the least active",
				test_table_full },
		{ "a SYN flood through a small table never fails", test_table_full_flood },
		{ "a SYN on a closed entry restarts it (port reuse)", test_port_reuse_restarts },
		{ "learning off: known connections mapped, new ones untouched", test_learning_off },
		{ "checksum offload: fields rewritten, checksum left to the NIC",
				test_csum_offload },
		{ "shared mbufs and split headers are skipped", test_unwritable_skipped },
		{ "sequence numbers wrap", test_seq_wrap },
		{ "a wrong checksum stays exactly as wrong", test_bad_checksum_stays_bad },
		{ "non-TCP frames and TCP fragments pass", test_non_tcp_and_fragments },
		{ "the data path allocates nothing", test_allocates_nothing },
		{ "timestamps: SVM TSval and client TSecr mapped (IPv4, IPv6)", test_ts_both_ways },
		{ "timestamps: the mirrored PVM SYN-ACK maps the SVM's TSval at once",
				test_ts_pvm_mirror },
		{ "timestamps: same ISNs, different clocks; reset to one clock",
				test_ts_only_and_reset },
		{ "timestamps on one side of the handshake: none translated",
				test_ts_one_side_untouched },
		{ "a timestamp option of the wrong length is counted", test_ts_malformed },
		{ "parameters are checked; counters are named", test_params_and_names },
	};

	frames_eal_init("rewriter");
	pool = frames_pool("rw_pool", NB_MBUFS);
	if (pool == NULL) {
		fprintf(stderr, "cannot create the mbuf pool\n");
		return 1;
	}
	return unit_run("rewriter", cases, RTE_DIM(cases));
}
