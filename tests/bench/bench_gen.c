/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Synthetic traffic of one RX queue: pairs of identical TCP or UDP frames,
 * round robin over its connections, put straight into the RX rings of the
 * net_ring ports, the way a NIC or vhost fills them. The secondary copy may
 * differ in one payload byte and may trail by a fixed number of frames.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_memcpy.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "bench.h"

#define GEN_BURST 32

#define HDR_TCP (RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_tcp_hdr))
#define HDR_UDP (RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr))

static inline uint64_t
rng_next(uint64_t *s)
{
	/* xorshift64: cheap and good enough to pick mismatching pairs. */
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static inline bool
conn_is_udp(const struct bench_gen *g, uint32_t conn)
{
	return (((conn * 2654435761u) >> 8) % 100) < g->udp_pct;
}

int
bench_gen_init(struct bench_gen *g, const struct bench_conf *c, struct rte_mempool *pool,
		struct rte_ring *primary, struct rte_ring *secondary, uint32_t queue,
		uint32_t nb_queues)
{
	uint32_t i;

	memset(g, 0, sizeof(*g));
	if (c->frame_size < 64 || c->frame_size > 1500 || c->conns == 0)
		return -EINVAL;
	g->pool = pool;
	g->ring[0] = primary;
	g->ring[1] = secondary;
	g->first_conn = queue;
	g->step = nb_queues;
	/* More queues than connections: the extra generators stay idle. */
	g->nb_conns = queue < c->conns ? (c->conns - queue + nb_queues - 1) / nb_queues : 0;
	g->frame_size = c->frame_size;
	g->tcp_payload = c->frame_size - HDR_TCP;
	g->udp_payload = c->frame_size - HDR_UDP;
	g->udp_pct = c->udp_pct;
	g->mismatch_threshold = (uint32_t)(c->mismatch_rate * 4294967295.0);
	g->rng = 0x9e3779b97f4a7c15ull ^ queue;
	g->seq = rte_zmalloc("bench_seq", sizeof(*g->seq) * RTE_MAX(g->nb_conns, 1u), 0);
	if (g->seq == NULL)
		return -ENOMEM;
	for (i = 0; i < g->nb_conns; i++)
		g->seq[i] = i * 7919u;
	if (c->lag != 0) {
		g->lag_size = c->lag;
		g->lag = rte_zmalloc("bench_lag", sizeof(*g->lag) * c->lag, 0);
		if (g->lag == NULL)
			return -ENOMEM;
	}
	/* The same bytes in every segment: a TCP stream lines up whatever the
	 * segment boundaries, and a late secondary still matches. */
	for (i = 0; i < sizeof(g->payload); i++)
		g->payload[i] = (uint8_t)(i * 31 + 7);
	return 0;
}

void
bench_gen_fini(struct bench_gen *g)
{
	while (g->lag_nb != 0) {
		rte_pktmbuf_free(g->lag[g->lag_head]);
		g->lag_head = (g->lag_head + 1) % g->lag_size;
		g->lag_nb--;
	}
	rte_free(g->lag);
	rte_free(g->seq);
	g->lag = NULL;
	g->seq = NULL;
}

void
bench_gen_pace(struct bench_gen *g, double pairs_per_sec, uint64_t now_tsc)
{
	g->rate_tsc_num = (uint64_t)(pairs_per_sec / (double)rte_get_tsc_hz() * 4294967296.0);
	g->pace_start_tsc = now_tsc;
	g->pace_sent = 0;
}

/* Write one frame of connection @p conn into @p m. */
static void
frame_write(struct bench_gen *g, struct rte_mbuf *m, uint32_t conn, bool udp, uint32_t seq)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	uint32_t hdr = udp ? HDR_UDP : HDR_TCP;

	memset(&eth->dst_addr, 0, sizeof(eth->dst_addr));
	eth->dst_addr.addr_bytes[0] = 0x02;
	eth->dst_addr.addr_bytes[5] = 0x02;
	eth->src_addr = eth->dst_addr;
	eth->src_addr.addr_bytes[5] = 0x01;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16(g->frame_size - RTE_ETHER_HDR_LEN);
	ip->packet_id = 0;
	ip->fragment_offset = 0;
	ip->time_to_live = 64;
	ip->next_proto_id = udp ? IPPROTO_UDP : IPPROTO_TCP;
	ip->hdr_checksum = 0;
	ip->src_addr = rte_cpu_to_be_32(0x0a000000 | conn);
	ip->dst_addr = rte_cpu_to_be_32(0xc0a80001);
	if (udp) {
		struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);

		uh->src_port = rte_cpu_to_be_16(40000);
		uh->dst_port = rte_cpu_to_be_16(53);
		uh->dgram_len = rte_cpu_to_be_16(sizeof(*uh) + g->udp_payload);
		uh->dgram_cksum = 0;
	} else {
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);

		th->src_port = rte_cpu_to_be_16(40000);
		th->dst_port = rte_cpu_to_be_16(80);
		th->sent_seq = rte_cpu_to_be_32(seq);
		th->recv_ack = rte_cpu_to_be_32(1);
		th->data_off = 5 << 4;
		th->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
		th->rx_win = rte_cpu_to_be_16(65535);
		th->cksum = 0;
		th->tcp_urp = 0;
	}
	rte_memcpy(p + hdr, g->payload, g->frame_size - hdr);
	m->data_len = (uint16_t)g->frame_size;
	m->pkt_len = g->frame_size;
}

/* Queue secondary @p s behind the lag; returns the one to send now, or NULL. */
static inline struct rte_mbuf *
lag_push(struct bench_gen *g, struct rte_mbuf *s)
{
	struct rte_mbuf *out;

	if (g->lag_size == 0)
		return s;
	if (g->lag_nb < g->lag_size) {
		g->lag[(g->lag_head + g->lag_nb) % g->lag_size] = s;
		g->lag_nb++;
		return NULL;
	}
	out = g->lag[g->lag_head];
	g->lag[g->lag_head] = s;
	g->lag_head = (g->lag_head + 1) % g->lag_size;
	return out;
}

unsigned int
bench_gen_burst(struct bench_gen *g, uint64_t now_tsc)
{
	struct rte_mbuf *m[2 * GEN_BURST], *sec[GEN_BURST], *s;
	unsigned int i, n = GEN_BURST, nb_sec = 0;

	if (g->rate_tsc_num != 0) {
		uint64_t due = ((now_tsc - g->pace_start_tsc) * g->rate_tsc_num >> 32) -
			       g->pace_sent;

		n = (unsigned int)RTE_MIN(due, (uint64_t)n);
	}
	if (g->nb_conns == 0)
		return 0;
	n = RTE_MIN(n, rte_ring_free_count(g->ring[0]));
	n = RTE_MIN(n, rte_ring_free_count(g->ring[1]));
	if (n == 0)
		return 0;
	if (rte_pktmbuf_alloc_bulk(g->pool, m, 2 * n) != 0) {
		g->alloc_fail++;
		return 0;
	}
	for (i = 0; i < n; i++) {
		uint32_t k = g->next, conn = g->first_conn + k * g->step;
		bool udp = conn_is_udp(g, conn);
		struct rte_mbuf *p = m[i];

		g->next = k + 1 == g->nb_conns ? 0 : k + 1;
		s = m[n + i];
		frame_write(g, p, conn, udp, g->seq[k]);
		rte_memcpy(rte_pktmbuf_mtod(s, void *), rte_pktmbuf_mtod(p, void *), g->frame_size);
		s->data_len = p->data_len;
		s->pkt_len = p->pkt_len;
		if (unlikely((uint32_t)rng_next(&g->rng) < g->mismatch_threshold)) {
			rte_pktmbuf_mtod(s, uint8_t *)[udp ? HDR_UDP : HDR_TCP] ^= 0xff;
			g->mismatches++;
		}
		if (!udp)
			g->seq[k] += g->tcp_payload;
		s = lag_push(g, s);
		if (s != NULL)
			sec[nb_sec++] = s;
	}
	/* Both fit: the free counts were checked, and only this lcore produces. */
	rte_ring_sp_enqueue_burst(g->ring[0], (void **)m, n, NULL);
	rte_ring_sp_enqueue_burst(g->ring[1], (void **)sec, nb_sec, NULL);
	g->secondaries_sent += nb_sec;
	g->pace_sent += n;
	g->pairs += n;
	return n;
}

bool
bench_gen_flush_lag(struct bench_gen *g)
{
	while (g->lag_nb != 0 && rte_ring_sp_enqueue(g->ring[1], g->lag[g->lag_head]) == 0) {
		g->lag_head = (g->lag_head + 1) % g->lag_size;
		g->lag_nb--;
		g->secondaries_sent++;
	}
	return g->lag_nb == 0;
}
