/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Generates the replay cases in pcaps/: per case primary.pcap,
 * secondary.pcap and expected.pcap (primaries expected on the outbound
 * port, in order), plus pcaps/manifest.json with the expected releases,
 * checkpoint count and trigger for colo-proxy in monitor mode.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <pcap/pcap.h>
#include <rte_common.h>
#include <rte_tcp.h>

#include "colo_pkt.h"
#include "colo_stats.h"
#include "frames.h"

/*
 * Every expectation below assumes monitor mode (each checkpoint request is
 * followed at once by a flush) and compare_timeout 200 ms, and must hold for
 * any interleaving of the two streams: a differing pair is always the last
 * packet of its connection, and each mismatch case has one connection.
 */
#define COMPARE_TIMEOUT_MS 200

#define MAX_FRAMES 128
/* libpcap's largest snapshot length, and so the largest record. */
#define FRAME_CAP 262144
#define NO_TRIGGER (-1)

/* Fixed capture times keep the files byte-for-byte reproducible. */
#define TS_BASE_SEC 1700000000
#define TS_STEP_USEC 1000

/* The TCP cases: a server VM answering a client. */
#define SERVER_PORT 80
#define CLIENT_PORT 40000
#define SERVER_ISN 1000000u
#define CLIENT_ISN 5000u
#define REQUEST_LEN 120u /* bytes the client sent before the response */
#define RESPONSE_LEN 900u

struct frame {
	uint8_t *data; /* malloc'ed by add_bytes(), freed by gen_free() */
	uint32_t len;
};

struct stream {
	struct frame f[MAX_FRAMES];
	unsigned int nb;
};

/* One case being built: both streams and what colo-proxy must do with them. */
struct gen {
	struct stream side[2];
	int released[MAX_FRAMES]; /* primary indices, in output order */
	unsigned int nb_released;
	unsigned int ckpts;
	int trigger; /* enum colo_ckpt_reason or NO_TRIGGER */
};

struct gen_case {
	const char *name;
	const char *desc;
	void (*build)(struct gen *g);
};

static uint8_t response[RESPONSE_LEN];

static void __rte_noreturn
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "gen_pcaps: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* Append @p len bytes to @p st as a frame; return it so a case can patch bytes. */
static struct frame *
add_bytes(struct stream *st, const uint8_t *data, uint32_t len)
{
	struct frame *f;

	if (st->nb == MAX_FRAMES)
		die("too many frames in a case");
	f = &st->f[st->nb++];
	f->data = malloc(len);
	if (f->data == NULL)
		die("out of memory");
	memcpy(f->data, data, len);
	f->len = len;
	return f;
}

/* Free the frames of a case once it is written. */
static void
gen_free(struct gen *g)
{
	unsigned int s, i;

	for (s = 0; s < RTE_DIM(g->side); s++)
		for (i = 0; i < g->side[s].nb; i++)
			free(g->side[s].f[i].data);
}

/* Append the frame of @p s to @p st; return it so a case can patch bytes. */
static struct frame *
add(struct stream *st, const struct frame_spec *s)
{
	static uint8_t buf[FRAME_CAP];
	size_t len = frame_build(s, buf, sizeof(buf));

	if (len == 0)
		die("frame_build failed");
	return add_bytes(st, buf, (uint32_t)len);
}

static void
add_both(struct gen *g, const struct frame_spec *s)
{
	add(&g->side[COLO_SIDE_PRIMARY], s);
	add(&g->side[COLO_SIDE_SECONDARY], s);
}

/* Expect every primary released in arrival order and no checkpoint. */
static void
expect_all_released(struct gen *g)
{
	unsigned int i;

	for (i = 0; i < g->side[COLO_SIDE_PRIMARY].nb; i++)
		g->released[i] = (int)i;
	g->nb_released = g->side[COLO_SIDE_PRIMARY].nb;
	g->ckpts = 0;
	g->trigger = NO_TRIGGER;
}

/* Expect everything released (the last one by the flush) after one checkpoint. */
static void
expect_one_checkpoint(struct gen *g, enum colo_ckpt_reason why)
{
	expect_all_released(g);
	g->ckpts = 1;
	g->trigger = why;
}

/* ---- TCP ---------------------------------------------------------------- */

/*
 * How one side sends a TCP conversation. Zero fields take frame_spec
 * defaults; the header-only case gives the two sides different values.
 */
struct tcp_conv {
	int family;
	const char *server, *client;
	uint8_t nb_vlan;
	uint16_t vlan;
	uint8_t ttl;
	uint16_t ip_id; /* of the first frame; +1 per frame */
	uint16_t window;
	const uint8_t *syn_opts;
	uint8_t syn_opts_len;
	const uint8_t *opts; /* on every segment after the SYN-ACK */
	uint8_t opts_len;
};

static const uint8_t mss_opt[] = { 2, 4, 0x05, 0xb4 };

static const struct tcp_conv conv_v4 = {
	.family = 4,
	.ip_id = 0x100,
	.syn_opts = mss_opt,
	.syn_opts_len = sizeof(mss_opt),
};

static const struct tcp_conv conv_v6 = {
	.family = 6,
	.server = "fd00::1",
	.client = "fd00::2",
	.syn_opts = mss_opt,
	.syn_opts_len = sizeof(mss_opt),
};

static struct frame_spec
tcp_spec(const struct stream *st, const struct tcp_conv *c)
{
	return (struct frame_spec){
		.family = c->family,
		.proto = IPPROTO_TCP,
		.src = c->server,
		.dst = c->client,
		.sport = SERVER_PORT,
		.dport = CLIENT_PORT,
		.nb_vlan = c->nb_vlan,
		.vlan = { c->vlan },
		.ttl = c->ttl,
		.ip_id = (uint16_t)(c->ip_id + st->nb),
		.window = c->window,
		.tcp_opts = c->opts,
		.tcp_opts_len = c->opts_len,
	};
}

static void
tcp_synack(struct stream *st, const struct tcp_conv *c)
{
	struct frame_spec s = tcp_spec(st, c);

	s.seq = SERVER_ISN;
	s.ack = CLIENT_ISN + 1;
	s.tcp_flags = RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG;
	s.tcp_opts = c->syn_opts;
	s.tcp_opts_len = c->syn_opts_len;
	add(st, &s);
}

/* Response bytes [off, off + len) taken from @p bytes, acknowledging the request. */
static void
tcp_bytes(struct stream *st, const struct tcp_conv *c, uint32_t off, const uint8_t *bytes,
		uint16_t len)
{
	struct frame_spec s = tcp_spec(st, c);

	s.seq = SERVER_ISN + 1 + off;
	s.ack = CLIENT_ISN + 1 + REQUEST_LEN;
	s.tcp_flags = RTE_TCP_ACK_FLAG | (off + len == RESPONSE_LEN ? RTE_TCP_PSH_FLAG : 0);
	s.payload = bytes;
	s.payload_len = len;
	add(st, &s);
}

static void
tcp_data(struct stream *st, const struct tcp_conv *c, uint32_t off, uint16_t len)
{
	tcp_bytes(st, c, off, response + off, len);
}

static void
tcp_fin(struct stream *st, const struct tcp_conv *c)
{
	struct frame_spec s = tcp_spec(st, c);

	s.seq = SERVER_ISN + 1 + RESPONSE_LEN;
	s.ack = CLIENT_ISN + 1 + REQUEST_LEN;
	s.tcp_flags = RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG;
	add(st, &s);
}

/* SYN-ACK, the response in three segments, FIN, as each side's @p c says. */
static void
tcp_conversation(struct gen *g, const struct tcp_conv *cp, const struct tcp_conv *cs)
{
	const struct tcp_conv *c[2] = { cp, cs };
	unsigned int side;

	for (side = 0; side < 2; side++) {
		tcp_synack(&g->side[side], c[side]);
		tcp_data(&g->side[side], c[side], 0, 300);
		tcp_data(&g->side[side], c[side], 300, 300);
		tcp_data(&g->side[side], c[side], 600, 300);
		tcp_fin(&g->side[side], c[side]);
	}
	expect_all_released(g);
}

static void
build_tcp_identical(struct gen *g)
{
	tcp_conversation(g, &conv_v4, &conv_v4);
}

static void
build_ipv6_tcp(struct gen *g)
{
	tcp_conversation(g, &conv_v6, &conv_v6);
}

static void
build_vlan_tcp(struct gen *g)
{
	static const struct tcp_conv c = {
		.family = 4,
		.nb_vlan = 1,
		.vlan = 100,
		.ip_id = 0x100,
		.syn_opts = mss_opt,
		.syn_opts_len = sizeof(mss_opt),
	};

	tcp_conversation(g, &c, &c);
}

/* docs/semantics.md T9: TTL, IP-ID, window and options are never compared for TCP. */
static void
build_tcp_header_only_diff(struct gen *g)
{
	static const uint8_t syn_p[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 };
	static const uint8_t syn_s[] = { 2, 4, 0x05, 0x8c, 4, 2, 1, 0 };
	static const uint8_t ts_p[] = { 1, 1, 8, 10, 0, 0, 0x10, 0, 0, 0, 0x20, 0 };
	static const uint8_t ts_s[] = { 1, 1, 8, 10, 0x7f, 0, 0, 1, 0, 0, 0x20, 0 };
	static const struct tcp_conv cp = {
		.family = 4,
		.ttl = 64,
		.ip_id = 0x1000,
		.window = 29200,
		.syn_opts = syn_p,
		.syn_opts_len = sizeof(syn_p),
		.opts = ts_p,
		.opts_len = sizeof(ts_p),
	};
	static const struct tcp_conv cs = {
		.family = 4,
		.ttl = 63,
		.ip_id = 0x7700,
		.window = 501,
		.syn_opts = syn_s,
		.syn_opts_len = sizeof(syn_s),
		.opts = ts_s,
		.opts_len = sizeof(ts_s),
	};

	tcp_conversation(g, &cp, &cs);
}

static void
build_tcp_payload_differs(struct gen *g)
{
	struct stream *p = &g->side[COLO_SIDE_PRIMARY], *s = &g->side[COLO_SIDE_SECONDARY];
	uint8_t last[300];

	memcpy(last, response + 600, sizeof(last));
	last[150] ^= 0x20; /* one letter changes case */
	tcp_synack(p, &conv_v4);
	tcp_synack(s, &conv_v4);
	tcp_data(p, &conv_v4, 0, 300);
	tcp_data(s, &conv_v4, 0, 300);
	tcp_data(p, &conv_v4, 300, 300);
	tcp_data(s, &conv_v4, 300, 300);
	/* The differing pair is the last of the connection (no FIN). */
	tcp_data(p, &conv_v4, 600, 300);
	tcp_bytes(s, &conv_v4, 600, last, sizeof(last));
	expect_one_checkpoint(g, COLO_CKPT_MISMATCH_TCP);
}

static void
build_tcp_segmentation(struct gen *g)
{
	struct stream *p = &g->side[COLO_SIDE_PRIMARY], *s = &g->side[COLO_SIDE_SECONDARY];

	tcp_synack(p, &conv_v4);
	tcp_data(p, &conv_v4, 0, 300);
	tcp_data(p, &conv_v4, 300, 300);
	tcp_data(p, &conv_v4, 600, 300);
	tcp_fin(p, &conv_v4);
	tcp_synack(s, &conv_v4);
	tcp_data(s, &conv_v4, 0, 450);
	tcp_data(s, &conv_v4, 450, 450);
	tcp_fin(s, &conv_v4);
	expect_all_released(g);
}

static void
build_tcp_out_of_order(struct gen *g)
{
	struct stream *p = &g->side[COLO_SIDE_PRIMARY], *s = &g->side[COLO_SIDE_SECONDARY];

	tcp_synack(p, &conv_v4);
	tcp_data(p, &conv_v4, 0, 300);
	tcp_data(p, &conv_v4, 300, 300);
	tcp_data(p, &conv_v4, 600, 300);
	tcp_fin(p, &conv_v4);
	tcp_synack(s, &conv_v4);
	tcp_data(s, &conv_v4, 600, 300);
	tcp_data(s, &conv_v4, 0, 300);
	tcp_data(s, &conv_v4, 300, 300);
	tcp_fin(s, &conv_v4);
	expect_all_released(g);
}

/*
 * The primary resends its first segment after the second (docs/semantics.md T5, T6: verified
 * bytes pass). Expected in the primary's own order; a release from a queue
 * sorted by sequence would put the resent segment before the second one
 * whenever the whole primary stream is queued before the secondary's bytes.
 */
static void
build_tcp_retransmission(struct gen *g)
{
	struct stream *p = &g->side[COLO_SIDE_PRIMARY], *s = &g->side[COLO_SIDE_SECONDARY];

	tcp_synack(p, &conv_v4);
	tcp_data(p, &conv_v4, 0, 300);
	tcp_data(p, &conv_v4, 300, 300);
	tcp_data(p, &conv_v4, 0, 300);
	tcp_data(p, &conv_v4, 600, 300);
	tcp_fin(p, &conv_v4);
	tcp_synack(s, &conv_v4);
	tcp_data(s, &conv_v4, 0, 300);
	tcp_data(s, &conv_v4, 300, 300);
	tcp_data(s, &conv_v4, 600, 300);
	tcp_fin(s, &conv_v4);
	expect_all_released(g);
}

/* ---- UDP, ICMP, GRE ---------------------------------------------------- */

/* An answer from a server on UDP port 12000; @p n varies size and content. */
static struct frame_spec
udp_spec(int family, unsigned int n, uint8_t *buf)
{
	uint16_t len = (uint16_t)snprintf((char *)buf, 64, "answer %u: %.*s", n, (int)(8 * n),
			"abcdefghijklmnopqrstuvwxyz0123456789");

	return (struct frame_spec){
		.family = family,
		.proto = IPPROTO_UDP,
		.src = family == 6 ? "fd00::1" : NULL,
		.dst = family == 6 ? "fd00::2" : NULL,
		.sport = 12000,
		.dport = 40001,
		.ip_id = (uint16_t)(0x200 + n),
		.payload = buf,
		.payload_len = len,
	};
}

static void
udp_three(struct gen *g, int family)
{
	uint8_t buf[64];
	unsigned int i;

	for (i = 1; i <= 3; i++) {
		struct frame_spec s = udp_spec(family, i, buf);

		add_both(g, &s);
	}
	expect_all_released(g);
}

static void
build_udp_identical(struct gen *g)
{
	udp_three(g, 4);
}

static void
build_ipv6_udp(struct gen *g)
{
	udp_three(g, 6);
}

static void
build_udp_differs(struct gen *g)
{
	uint8_t buf[64];
	struct frame_spec s = udp_spec(4, 1, buf);

	add_both(g, &s);
	s = udp_spec(4, 2, buf);
	add(&g->side[COLO_SIDE_PRIMARY], &s);
	buf[7] = '3'; /* "answer 3" where the primary says "answer 2" */
	add(&g->side[COLO_SIDE_SECONDARY], &s);
	expect_one_checkpoint(g, COLO_CKPT_MISMATCH_UDP);
}

/* An echo reply from the server; NULL payload is the frames.c pattern. */
static struct frame_spec
icmp_spec(uint16_t seq, const uint8_t *payload)
{
	return (struct frame_spec){
		.family = 4,
		.proto = IPPROTO_ICMP,
		.icmp_type = 0,
		.icmp_id = 0x1234,
		.icmp_seq = seq,
		.ip_id = (uint16_t)(0x300 + seq),
		.payload = payload,
		.payload_len = 56,
	};
}

static void
build_icmp_identical(struct gen *g)
{
	uint16_t seq;

	for (seq = 1; seq <= 3; seq++) {
		struct frame_spec s = icmp_spec(seq, NULL);

		add_both(g, &s);
	}
	expect_all_released(g);
}

static void
build_icmp_differs(struct gen *g)
{
	uint8_t payload[56];
	struct frame_spec s = icmp_spec(1, NULL);
	unsigned int i;

	add_both(g, &s);
	for (i = 0; i < sizeof(payload); i++)
		payload[i] = i & 0xff;
	s = icmp_spec(2, payload);
	add(&g->side[COLO_SIDE_PRIMARY], &s);
	payload[40] = 0xee;
	add(&g->side[COLO_SIDE_SECONDARY], &s);
	expect_one_checkpoint(g, COLO_CKPT_MISMATCH_ICMP);
}

/* docs/semantics.md O1: IP-ID is volatile even for protocols compared frame by frame. */
static void
build_gre_ipid_differs(struct gen *g)
{
	uint8_t inner[256];
	uint16_t i;

	for (i = 0; i < 3; i++) {
		/* A tunnelled IPv4/UDP datagram, so that the capture decodes. */
		struct frame_spec in = {
			.family = 4,
			.proto = IPPROTO_UDP,
			.src = "192.168.0.1",
			.dst = "192.168.0.2",
			.sport = 1000,
			.dport = 2000,
			.ip_id = i,
			.payload_len = (uint16_t)(32 + 16 * i),
		};
		size_t len = frame_build(&in, inner, sizeof(inner));
		struct frame_spec s = {
			.family = 4,
			.proto = IPPROTO_GRE,
			.payload = inner + 14,
			.payload_len = (uint16_t)(len - 14),
			.ip_id = (uint16_t)(0x400 + i),
		};

		if (len == 0)
			die("frame_build failed");
		add(&g->side[COLO_SIDE_PRIMARY], &s);
		s.ip_id = (uint16_t)(0x9000 + 7 * i);
		add(&g->side[COLO_SIDE_SECONDARY], &s);
	}
	expect_all_released(g);
}

/* ---- non-IP, timeouts, padding ----------------------------------------- */

/* docs/semantics.md A3, A4: primary ARP passes uncompared, secondary ARP is dropped. */
static void
build_arp_passthrough(struct gen *g)
{
	static const struct frame_spec who_has = { .family = 0 };
	static const struct frame_spec gratuitous = {
		.family = 0,
		.src = "10.0.0.1",
		.dst = "10.0.0.1",
	};

	add_both(g, &who_has);
	add_both(g, &gratuitous);
	expect_all_released(g);
}

static void
build_primary_only(struct gen *g)
{
	uint8_t buf[64];
	struct frame_spec s = udp_spec(4, 1, buf);

	add(&g->side[COLO_SIDE_PRIMARY], &s);
	expect_one_checkpoint(g, COLO_CKPT_TIMEOUT_PRIMARY);
}

static void
build_secondary_only(struct gen *g)
{
	uint8_t buf[64];
	struct frame_spec s = udp_spec(4, 1, buf);

	add(&g->side[COLO_SIDE_SECONDARY], &s);
	g->nb_released = 0;
	g->ckpts = 1;
	g->trigger = COLO_CKPT_TIMEOUT_SECONDARY;
}

/* docs/semantics.md T16, U4: the IP length bounds the payload, so padding never differs. */
static void
build_padding(struct gen *g)
{
	uint8_t buf[64];
	unsigned int i;

	for (i = 1; i <= 3; i++) {
		struct frame_spec s = udp_spec(4, i, buf);
		struct frame *f;

		/* The primary pads to the 60-byte minimum with zeros... */
		s.payload_len = 4;
		s.pad = 60 - (14 + 20 + 8 + 4);
		add(&g->side[COLO_SIDE_PRIMARY], &s);
		/* ...the secondary with more bytes, and garbage in them. */
		s.pad = 20 + (uint16_t)i;
		f = add(&g->side[COLO_SIDE_SECONDARY], &s);
		memset(f->data + f->len - s.pad, 0xa5, s.pad);
	}
	expect_all_released(g);
}


/* ---- TSO/GSO frames, oversize records, volatile fields, VLAN stacks ---- */

#define MSS 1448u
#define BIG_RESPONSE_LEN 140000u

static uint8_t big_response[BIG_RESPONSE_LEN];

/* Response bytes [off, off + len) of the big response in one frame (TSO/GSO). */
static void
tcp_big(struct stream *st, const struct tcp_conv *c, uint32_t off, uint32_t len, bool jumbo)
{
	struct frame_spec s = tcp_spec(st, c);

	if (off + len > BIG_RESPONSE_LEN)
		die("big response too short");
	s.seq = SERVER_ISN + 1 + off;
	s.ack = CLIENT_ISN + 1 + REQUEST_LEN;
	s.payload = big_response + off;
	s.payload_len = len;
	s.jumbo = jumbo;
	add(st, &s);
}

/*
 * The primary sends the big response as two frames of @p len0 and @p len1
 * bytes (TSO, then GSO past 64 KiB), the secondary as MSS segments: one VM
 * with segmentation offload, one without. Every byte is compared.
 */
static void
tso_conversation(struct gen *g, const struct tcp_conv *c, uint32_t len0, uint32_t len1,
		bool jumbo)
{
	struct stream *p = &g->side[COLO_SIDE_PRIMARY], *s = &g->side[COLO_SIDE_SECONDARY];
	struct frame_spec fin;
	uint32_t off;

	tcp_synack(p, c);
	tcp_big(p, c, 0, len0, false);
	tcp_big(p, c, len0, len1, jumbo);
	tcp_synack(s, c);
	for (off = 0; off < len0 + len1; off += MSS)
		tcp_big(s, c, off, RTE_MIN(MSS, len0 + len1 - off), false);
	fin = tcp_spec(p, c);
	fin.seq = SERVER_ISN + 1 + len0 + len1;
	fin.ack = CLIENT_ISN + 1 + REQUEST_LEN;
	fin.tcp_flags = RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG;
	add(p, &fin);
	add(s, &fin);
	expect_all_released(g);
}

/* IPv4: total length 65535 (a 65549-byte frame), then total length 0 (67000 bytes). */
static void
build_tso_ipv4(struct gen *g)
{
	tso_conversation(g, &conv_v4, UINT16_MAX - 40, 67000 - 54, false);
}

/* IPv6: payload length 65535, then a jumbogram (66982-byte frame). */
static void
build_tso_ipv6(struct gen *g)
{
	tso_conversation(g, &conv_v6, UINT16_MAX - 20, 66900, true);
}

/*
 * Records of 67584, 100000 and 262144 bytes between UDP datagrams: DPDK
 * 22.11's net_pcap hands them over cut short (2048, 34464 and 65536 bytes
 * in the chain, the record's length in pkt_len). They are dropped on both
 * sides, counted (drop_rx_truncated, discard_rx_truncated), never sent.
 */
static void
build_oversize_record(struct gen *g)
{
	static const uint32_t sizes[] = { 67584, 100000, FRAME_CAP };
	uint8_t buf[64];
	unsigned int i, n = 0;

	for (i = 0; i < RTE_DIM(sizes); i++) {
		struct frame_spec u = udp_spec(4, i + 1, buf);
		struct frame_spec big = {
			.family = 4,
			.proto = IPPROTO_TCP,
			.sport = SERVER_PORT + 1,
			.dport = CLIENT_PORT,
			.payload_len = sizes[i] - 54,
		};

		add_both(g, &u);
		g->released[n++] = (int)(2 * i);
		add_both(g, &big);
	}
	g->nb_released = n;
	g->ckpts = 0;
	g->trigger = NO_TRIGGER;
}

/*
 * Other protocols (docs/semantics.md O3): GRE with an IPv4 timestamp option
 * whose stamp differs, GRE with VLAN priorities that differ, and IPv6
 * fragments whose identifications differ. Nothing else differs.
 */
static void
build_other_volatile(struct gen *g)
{
	uint8_t buf[512], inner[64], fragment[72];
	struct frame_spec gre = {
		.family = 4,
		.proto = IPPROTO_GRE,
		.payload = inner,
		.payload_len = sizeof(inner),
	};
	struct frame_spec frag = {
		.family = 6,
		.proto = IPPROTO_FRAGMENT,
		.payload = fragment,
		.payload_len = sizeof(fragment),
	};
	unsigned int side, i;
	uint32_t len;

	for (i = 0; i < sizeof(inner); i++)
		inner[i] = (uint8_t)(i * 3);
	memcpy(fragment + 8, inner, sizeof(inner));
	for (side = 0; side < 2; side++) {
		struct stream *st = &g->side[side];

		/* Timestamp option, type 68, length 12: one stamp, then room for one. */
		len = (uint32_t)frame_build(&gre, buf, sizeof(buf));
		memmove(buf + 14 + 32, buf + 14 + 20, len - 14 - 20);
		memcpy(buf + 14 + 20, (const uint8_t[]){ 68, 12, 9, 0, 0, 0x12, 0x34,
					  (uint8_t)(0x56 + side), 0, 0, 0, 0 }, 12);
		buf[14] = 0x48;
		buf[14 + 3] += 12;
		add_bytes(st, buf, len + 12);

		/* VLAN 3 with priority 5 and DEI against priority 0. */
		gre.nb_vlan = 1;
		gre.vlan[0] = 3;
		len = (uint32_t)frame_build(&gre, buf, sizeof(buf));
		if (side == COLO_SIDE_PRIMARY)
			buf[14] |= 0xb0;
		add_bytes(st, buf, len);
		gre.nb_vlan = 0;

		/* IPv6 first fragment of a GRE datagram, identification differs. */
		memset(fragment, 0, 8);
		fragment[0] = IPPROTO_GRE;
		fragment[3] = 1; /* more fragments */
		fragment[7] = (uint8_t)(0x10 + side);
		len = (uint32_t)frame_build(&frag, buf, sizeof(buf));
		add_bytes(st, buf, len);
	}
	expect_all_released(g);
}

/* UDP over three tags (TPIDs 0x88a8, 0x9100, 0x8100) and over four (0x9200 outermost). */
static void
build_vlan_stack(struct gen *g)
{
	uint8_t buf[64];
	unsigned int i;

	for (i = 1; i <= 3; i++) {
		struct frame_spec s = udp_spec(4, i, buf);

		s.nb_vlan = 3;
		memcpy(s.vlan, (const uint16_t[]){ 100, 200, 300 }, 3 * sizeof(uint16_t));
		memcpy(s.tpid, (const uint16_t[]){ 0x88a8, 0x9100, 0x8100 }, 3 * sizeof(uint16_t));
		add_both(g, &s);
		s = udp_spec(6, i, buf);
		s.nb_vlan = 4;
		memcpy(s.vlan, (const uint16_t[]){ 7, 8, 9, 10 }, 4 * sizeof(uint16_t));
		memcpy(s.tpid, (const uint16_t[]){ 0x9200, 0x9100, 0x88a8, 0x8100 },
				4 * sizeof(uint16_t));
		add_both(g, &s);
	}
	expect_all_released(g);
}

/*
 * Divergence by design (docs/semantics.md K1): the guest resolves a name;
 * each VM picks its own DNS query ID. A checkpoint, unless the operator
 * bypasses DNS (config/bypass-known-divergence.ini; tests/e2e/
 * test_known_divergence.sh replays this case with it: no checkpoint).
 */
static void
build_known_divergence(struct gen *g)
{
	/* Query for colo.example, type A, class IN; the ID is bytes 0-1. */
	uint8_t q[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 4, 'c', 'o', 'l', 'o', 7,
		'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1 };
	struct frame_spec s = {
		.family = 4,
		.proto = IPPROTO_UDP,
		.src = "10.0.0.1",
		.dst = "10.0.0.53",
		.sport = 45678,
		.dport = 53,
		.payload = q,
		.payload_len = sizeof(q),
	};

	add(&g->side[COLO_SIDE_PRIMARY], &s);
	q[0] = 0xbe;
	q[1] = 0xef;
	add(&g->side[COLO_SIDE_SECONDARY], &s);
	expect_one_checkpoint(g, COLO_CKPT_MISMATCH_UDP);
}

static const struct gen_case cases[] = {
	{ "tcp_identical", "SYN-ACK, three data segments and FIN, same bytes on both sides",
			build_tcp_identical },
	{ "tcp_payload_differs", "one byte differs in the last data segment (no FIN after it)",
			build_tcp_payload_differs },
	{ "tcp_segmentation", "same bytes; primary sends 3 segments, secondary 2",
			build_tcp_segmentation },
	{ "tcp_out_of_order", "after the SYN-ACK the secondary sends its data segments 3,1,2",
			build_tcp_out_of_order },
	{ "tcp_retransmission", "primary resends its first data segment after the second",
			build_tcp_retransmission },
	{ "tcp_header_only_diff", "TTL, IP-ID, window and TCP options differ, payload equal",
			build_tcp_header_only_diff },
	{ "udp_identical", "three UDP datagrams, identical", build_udp_identical },
	{ "udp_differs", "the second (last) UDP datagram differs in one payload byte",
			build_udp_differs },
	{ "icmp_identical", "three ICMP echo replies, identical", build_icmp_identical },
	{ "icmp_differs", "the second (last) echo reply differs in one payload byte",
			build_icmp_differs },
	{ "gre_ipid_differs", "three GRE datagrams whose IPv4 IDs differ", build_gre_ipid_differs },
	{ "ipv6_tcp", "tcp_identical over IPv6", build_ipv6_tcp },
	{ "ipv6_udp", "udp_identical over IPv6", build_ipv6_udp },
	{ "vlan_tcp", "tcp_identical on VLAN 100", build_vlan_tcp },
	{ "arp_passthrough", "ARP request and gratuitous ARP: primary passes, secondary dropped",
			build_arp_passthrough },
	{ "primary_only", "a UDP datagram the secondary never sends", build_primary_only },
	{ "secondary_only", "a UDP datagram the primary never sends", build_secondary_only },
	{ "padding", "UDP frames with different Ethernet padding (length and content)",
			build_padding },
	{ "tso_ipv4", "IPv4: primary sends a 65535-byte TSO datagram and a 67000-byte GSO frame "
		      "(total length 0), secondary the same bytes as 1448-byte segments",
			build_tso_ipv4 },
	{ "tso_ipv6", "IPv6: primary sends a 65535-byte payload and a jumbogram, secondary the "
		      "same bytes as 1448-byte segments",
			build_tso_ipv6 },
	{ "oversize_record", "records of 67584, 100000 and 262144 bytes (net_pcap cuts them: "
			     "dropped, counted) between three UDP datagrams",
			build_oversize_record },
	{ "other_volatile", "GRE with a differing IPv4 timestamp option and VLAN priority, IPv6 "
			    "fragments with differing identifications",
			build_other_volatile },
	{ "vlan_stack", "UDP over three VLAN tags (0x88a8, 0x9100, 0x8100) and over four",
			build_vlan_stack },
	{ "known_divergence", "a DNS query whose ID differs (bypassed with "
			      "config/bypass-known-divergence.ini)",
			build_known_divergence },
};

static void
fill_response(void)
{
	unsigned int i;

	for (i = 0; i < BIG_RESPONSE_LEN; i++)
		big_response[i] = (uint8_t)('a' + (i * 7 + i / 1448) % 26);
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
				   "Content-Length: %3u\r\n\r\n";
	unsigned int off, line = 0;

	/* The length field has three digits whatever the body size, so the
	 * first pass tells the header length. */
	off = (unsigned int)snprintf((char *)response, RESPONSE_LEN, head, 0);
	snprintf((char *)response, RESPONSE_LEN, head, RESPONSE_LEN - off);
	while (off < RESPONSE_LEN) {
		char text[64];
		int n = snprintf(text, sizeof(text), "line %03u of the colo-proxy test body\n",
				line++);
		unsigned int k = RTE_MIN((unsigned int)n, RESPONSE_LEN - off);

		memcpy(response + off, text, k);
		off += k;
	}
}

static void
write_pcap(const char *path, const struct stream *st, const int *order, unsigned int nb)
{
	pcap_dumper_t *d;
	uint32_t snaplen = 65535;
	unsigned int i;
	pcap_t *pd;

	/* libpcap cuts records longer than the file's snapshot length. */
	for (i = 0; i < st->nb; i++)
		if (st->f[i].len > snaplen)
			snaplen = FRAME_CAP;
	pd = pcap_open_dead(DLT_EN10MB, (int)snaplen);
	if (pd == NULL)
		die("pcap_open_dead failed");
	d = pcap_dump_open(pd, path);
	if (d == NULL)
		die("%s: %s", path, pcap_geterr(pd));
	for (i = 0; i < nb; i++) {
		/* A frame keeps its capture time in expected.pcap too. */
		unsigned int k = order != NULL ? (unsigned int)order[i] : i;
		struct pcap_pkthdr h = {
			.ts = { .tv_sec = TS_BASE_SEC, .tv_usec = (suseconds_t)(k * TS_STEP_USEC) },
			.caplen = st->f[k].len,
			.len = st->f[k].len,
		};

		pcap_dump((u_char *)d, &h, st->f[k].data);
	}
	if (pcap_dump_flush(d) != 0)
		die("%s: write failed", path);
	pcap_dump_close(d);
	pcap_close(pd);
}

static void
make_dir(const char *path)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		die("mkdir %s: %s", path, strerror(errno));
}

static void
write_case(const char *outdir, const struct gen_case *c, const struct gen *g, FILE *mf, bool last)
{
	char path[4096];
	unsigned int i;

	snprintf(path, sizeof(path), "%s/%s", outdir, c->name);
	make_dir(path);
	snprintf(path, sizeof(path), "%s/%s/primary.pcap", outdir, c->name);
	write_pcap(path, &g->side[COLO_SIDE_PRIMARY], NULL, g->side[COLO_SIDE_PRIMARY].nb);
	snprintf(path, sizeof(path), "%s/%s/secondary.pcap", outdir, c->name);
	write_pcap(path, &g->side[COLO_SIDE_SECONDARY], NULL, g->side[COLO_SIDE_SECONDARY].nb);
	snprintf(path, sizeof(path), "%s/%s/expected.pcap", outdir, c->name);
	write_pcap(path, &g->side[COLO_SIDE_PRIMARY], g->released, g->nb_released);

	fprintf(mf, "    {\n");
	fprintf(mf, "      \"name\": \"%s\",\n", c->name);
	fprintf(mf, "      \"description\": \"%s\",\n", c->desc);
	fprintf(mf, "      \"primary_frames\": %u,\n", g->side[COLO_SIDE_PRIMARY].nb);
	fprintf(mf, "      \"secondary_frames\": %u,\n", g->side[COLO_SIDE_SECONDARY].nb);
	fprintf(mf, "      \"expected_released\": [");
	for (i = 0; i < g->nb_released; i++)
		fprintf(mf, "%s%d", i == 0 ? "" : ", ", g->released[i]);
	fprintf(mf, "],\n");
	fprintf(mf, "      \"expected_checkpoint_requests\": %u,\n", g->ckpts);
	if (g->trigger == NO_TRIGGER)
		fprintf(mf, "      \"expected_trigger\": null\n");
	else
		fprintf(mf, "      \"expected_trigger\": \"%s\"\n",
				colo_ckpt_reason_name((enum colo_ckpt_reason)g->trigger));
	fprintf(mf, "    }%s\n", last ? "" : ",");
}

int
main(int argc, char **argv)
{
	const char *outdir = argc > 1 ? argv[1] : "pcaps";
	char path[4096];
	unsigned int i;
	FILE *mf;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: %s [OUTDIR]   (default: pcaps)\n", argv[0]);
		return 2;
	}
	fill_response();
	make_dir(outdir);
	snprintf(path, sizeof(path), "%s/manifest.json", outdir);
	mf = fopen(path, "w");
	if (mf == NULL)
		die("%s: %s", path, strerror(errno));
	fprintf(mf, "{\n");
	fprintf(mf, "  \"generator\": \"tests/gen/gen_pcaps.c\",\n");
	fprintf(mf, "  \"mode\": \"monitor\",\n");
	fprintf(mf, "  \"compare_timeout_ms\": %u,\n", COMPARE_TIMEOUT_MS);
	fprintf(mf, "  \"cases\": [\n");
	for (i = 0; i < RTE_DIM(cases); i++) {
		static struct gen g;

		memset(&g, 0, sizeof(g));
		cases[i].build(&g);
		write_case(outdir, &cases[i], &g, mf, i + 1 == RTE_DIM(cases));
		gen_free(&g);
	}
	fprintf(mf, "  ]\n}\n");
	if (fclose(mf) != 0)
		die("%s: write failed", path);
	printf("gen_pcaps: %u cases written to %s\n", (unsigned int)RTE_DIM(cases), outdir);
	return 0;
}
