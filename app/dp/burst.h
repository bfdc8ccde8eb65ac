/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The two ends every data-plane path shares: hand a burst to a ring, or to
 * a port, and count and free what did not fit. Frames are never held here:
 * what a ring or port refuses is a counted loss, as on a wire. The release
 * path with retry (frames that must not be lost) is dp/tx.c.
 */
#ifndef COLO_APP_DP_BURST_H
#define COLO_APP_DP_BURST_H

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "colo_pkt.h"
#include "colo_stats.h"

/**
 * Enqueue @p n frames on @p r, whose only producer is the caller; count
 * those that do not fit in @p drop_ctr and free them.
 *
 * @return the frames enqueued.
 */
static __rte_always_inline unsigned int
colo_burst_enqueue(struct rte_ring *r, struct rte_mbuf **pkts, unsigned int n, uint64_t *drop_ctr)
{
	unsigned int nb = rte_ring_sp_enqueue_burst(r, (void **)pkts, n, NULL);

	if (unlikely(nb < n)) {
		colo_stat_add(drop_ctr, n - nb);
		rte_pktmbuf_free_bulk(&pkts[nb], n - nb);
	}
	return nb;
}

/**
 * Transmit @p n frames on TX queue @p queue of @p port with up to @p tries
 * bursts; count what left in @p sent_ctr, and what the port still refuses
 * in @p drop_ctr, and free it.
 *
 * @return the frames sent.
 */
static inline unsigned int
colo_burst_tx(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, unsigned int n,
		unsigned int tries, uint64_t *sent_ctr, uint64_t *drop_ctr)
{
	unsigned int sent = 0;

	while (sent < n && tries-- > 0)
		sent += rte_eth_tx_burst(port, queue, &pkts[sent], n - sent);
	colo_stat_add(sent_ctr, sent);
	if (unlikely(sent < n)) {
		colo_stat_add(drop_ctr, n - sent);
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
	}
	return sent;
}

/** Counter of frames of @p side lost because an RX -> compare ring was full. */
static inline uint64_t *
colo_burst_ring_full_ctr(struct colo_stats *st, enum colo_side side)
{
	return side == COLO_SIDE_PRIMARY ? &st->drop[COLO_DROP_RING_FULL]
					 : &st->discard[COLO_DISCARD_RING_FULL];
}

#endif /* COLO_APP_DP_BURST_H */
