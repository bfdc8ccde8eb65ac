/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What crosses the link between the two hosts' proxies. Client frames and
 * SVM output cross as they are; copies of the PVM's SYN and SYN-ACK frames
 * cross encapsulated (struct link_hdr), so that the secondary host tells
 * them from client frames and learns the PVM's initial sequence numbers
 * before the SVM's handshake frames need them (lib/colo_rewriter.h).
 */
#include <assert.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "burst.h"
#include "colo_pkt.h"
#include "dp.h"

/* IEEE Std 802 Local Experimental Ethertype 1: never a VM's own traffic. */
#define LINK_ETHERTYPE 0x88B5
#define LINK_MAGIC0 'C'
#define LINK_MAGIC1 'L'
#define LINK_VERSION 1
#define LINK_TYPE_PVM_FRAME 1
/* An encapsulated copy must fit a standard link MTU: longer SYNs (with data) are not sent. */
#define LINK_MAX_FRAME (RTE_ETHER_MAX_LEN - RTE_ETHER_CRC_LEN)

/*
 * The outer header: the inner frame's own MACs (the link is point to point,
 * so they only need to be plausible), our ethertype, then a magic, a
 * version and the kind of frame that follows, whole, from its Ethernet
 * header on.
 */
struct link_hdr {
	struct rte_ether_hdr eth;
	uint8_t magic[2];
	uint8_t version;
	uint8_t type;
};

static_assert(sizeof(struct link_hdr) == 18, "the link header is 18 bytes on the wire");

static struct rte_mbuf *
encap(struct rte_mempool *mp, const struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const uint8_t *frame;
	struct link_hdr *h;
	struct rte_mbuf *c;

	if (len < sizeof(struct rte_ether_hdr) || len + sizeof(*h) > LINK_MAX_FRAME)
		return NULL;
	c = rte_pktmbuf_alloc(mp);
	if (c == NULL)
		return NULL;
	h = (struct link_hdr *)rte_pktmbuf_append(c, sizeof(*h) + len);
	if (h == NULL) {
		rte_pktmbuf_free(c);
		return NULL;
	}
	frame = rte_pktmbuf_read(m, 0, len, h + 1);
	if (frame != (const uint8_t *)(h + 1))
		memcpy(h + 1, frame, len);
	memcpy(&h->eth, h + 1, 2 * RTE_ETHER_ADDR_LEN);
	h->eth.ether_type = rte_cpu_to_be_16(LINK_ETHERTYPE);
	h->magic[0] = LINK_MAGIC0;
	h->magic[1] = LINK_MAGIC1;
	h->version = LINK_VERSION;
	h->type = LINK_TYPE_PVM_FRAME;
	return c;
}

/**
 * Primary role, RX lcore of @p rxq, on frames of the primary VM already
 * classified and not yet handed to a compare shard: send an encapsulated
 * copy of each TCP SYN (SYN or SYN-ACK) over the link, on the RX lcore's
 * own TX queue of the secondary port. Off unless --link-syn-mirror, and
 * after a failover (the secondary is ignored then).
 */
void
colo_link_syn_mirror(struct colo_rxq *rxq, struct rte_mbuf *const *pkts, unsigned int nb,
		struct colo_stats *st)
{
	struct colo_app *app = rxq->app;
	struct rte_mbuf *copies[COLO_BURST];
	unsigned int i, nb_copies = 0;

	if (!app->opts.link_syn_mirror || colo_failover_active(app))
		return;
	for (i = 0; i < nb && nb_copies < RTE_DIM(copies); i++) {
		const struct colo_pkt_meta *pm = colo_pkt_meta(pkts[i]);

		if (likely(!(pm->flags & COLO_PKT_F_TCP_SYN)) || pm->class != COLO_CLASS_IP ||
				pm->l4proto != IPPROTO_TCP)
			continue;
		copies[nb_copies] = encap(app->pool, pkts[i]);
		if (copies[nb_copies] != NULL)
			nb_copies++;
		else
			colo_stat_add(&st->ctr[COLO_SYN_MIRROR_DROP], 1);
	}
	/* A copy the link refuses: the SVM's SYN then waits rewrite_hold and costs one checkpoint
	 * at most. */
	colo_burst_tx(app->port[COLO_ROLE_SECONDARY], rxq->queue, copies, nb_copies, 1,
			&st->ctr[COLO_SYN_MIRROR_TX], &st->ctr[COLO_SYN_MIRROR_DROP]);
}

/**
 * Secondary role: tell what arrived on the link. An encapsulated PVM frame
 * has its encapsulation stripped in place.
 *
 * @return COLO_LINK_CLIENT (a mirrored client frame, untouched),
 *   COLO_LINK_PVM (now the PVM's frame), or COLO_LINK_BAD (our ethertype
 *   with a header we do not know: a newer peer or garbage).
 */
enum colo_link_kind
colo_link_decap(struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth;
	const struct link_hdr *h;

	if (rte_pktmbuf_data_len(m) < sizeof(*eth))
		return COLO_LINK_CLIENT;
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (likely(eth->ether_type != RTE_BE16(LINK_ETHERTYPE)))
		return COLO_LINK_CLIENT;
	/* encap() writes the header in one segment; anything else is not ours. */
	if (rte_pktmbuf_data_len(m) < sizeof(*h) + sizeof(*eth))
		return COLO_LINK_BAD;
	h = rte_pktmbuf_mtod(m, const struct link_hdr *);
	if (h->magic[0] != LINK_MAGIC0 || h->magic[1] != LINK_MAGIC1 ||
			h->version != LINK_VERSION || h->type != LINK_TYPE_PVM_FRAME)
		return COLO_LINK_BAD;
	rte_pktmbuf_adj(m, sizeof(*h));
	return COLO_LINK_PVM;
}
