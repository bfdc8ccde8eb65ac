/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What crosses the link between the two hosts' proxies. Client frames and
 * SVM output cross as they are; copies of the PVM's SYN and SYN-ACK frames
 * cross as link control frames (lib/colo_link.h: link ethertype, stream
 * counter, HMAC with --link-key), so that the secondary host tells them
 * from client frames and learns the PVM's initial sequence numbers before
 * the SVM's handshake frames need them (lib/colo_rewriter.h). A client
 * frame that looks like link control never enters the link
 * (docs/security.md).
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "burst.h"
#include "colo_link.h"
#include "colo_log.h"
#include "colo_pkt.h"
#include "dp.h"

/* An RX lcore seals with the stream of its TX queue on the link. */
static_assert(COLO_MAX_RXQ <= COLO_LINK_TX_STREAMS, "a counter stream per RX queue");

/* A control frame must fit a standard link MTU: longer SYNs (with data) are not sent. */
#define LINK_MAX_FRAME (RTE_ETHER_MAX_LEN - RTE_ETHER_CRC_LEN)
/* Enough of a client frame to walk its VLAN tags: 60 of them. */
#define CLIENT_PEEK 256
static struct rte_mbuf *
encap(struct colo_link_auth *la, struct rte_mempool *mp, const struct rte_mbuf *m,
		uint16_t stream)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const uint8_t *frame;
	uint8_t *h;
	struct rte_mbuf *c;

	if (len < RTE_ETHER_HDR_LEN || len + COLO_LINK_HDR_LEN > LINK_MAX_FRAME)
		return NULL;
	c = rte_pktmbuf_alloc(mp);
	if (c == NULL)
		return NULL;
	h = (uint8_t *)rte_pktmbuf_append(c, COLO_LINK_HDR_LEN + len);
	if (h == NULL) {
		rte_pktmbuf_free(c);
		return NULL;
	}
	frame = rte_pktmbuf_read(m, 0, len, h + COLO_LINK_HDR_LEN);
	if (frame != h + COLO_LINK_HDR_LEN)
		memcpy(h + COLO_LINK_HDR_LEN, frame, len);
	/* The inner frame's destination; the source is ours (--link-peer-mac at the peer). */
	memcpy(h, frame, RTE_ETHER_ADDR_LEN);
	colo_link_seal(la, h, COLO_LINK_HDR_LEN + len, (uint8_t)stream);
	return c;
}

/**
 * Set up the link's trust (docs/security.md): the key of --link-key, the
 * peer of --link-peer-mac, the source MAC of our control frames. Main
 * lcore, after the ports. Without a key, a loud warning: the link must
 * then be a private point-to-point segment.
 *
 * @return 0, or -errno (one line logged).
 */
int
colo_link_init(struct colo_app *app)
{
	const struct colo_opts *o = &app->opts;
	uint8_t key[COLO_LINK_KEY_LEN];
	struct colo_link_auth *la;
	struct timespec ts;
	char err[PATH_MAX + 128];
	int ret;

	/* Hostile senders choose how often these fire: one line a second at most. */
	app->link_client_log = (struct colo_log_limit){ .interval = rte_get_tsc_hz(), .burst = 1 };
	app->link_refused_log = app->link_client_log;
	if (o->role != COLO_HOST_SECONDARY && !o->link_syn_mirror)
		return 0; /* no control frames either way */
	la = calloc(1, sizeof(*la));
	if (la == NULL)
		return -ENOMEM;
	if (o->link_key[0] != '\0') {
		ret = colo_link_key_load(o->link_key, key, err, sizeof(err));
		if (ret != 0) {
			COLO_LOG(ERR, app, "--link-key: %s", err);
			free(la);
			return ret;
		}
	} else {
		COLO_LOG(WARNING, app,
				"link: no --link-key: PVM SYN copies are NOT authenticated; the link "
				"must be a private point-to-point segment no client or guest can "
				"reach (docs/security.md)");
	}
	/* Counters start at the clock, so a restarted primary keeps counting upward. */
	clock_gettime(CLOCK_REALTIME, &ts);
	ret = colo_link_auth_init(la, o->link_key[0] != '\0' ? key : NULL,
			(uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
	memset(key, 0, sizeof(key));
	if (ret != 0) {
		COLO_LOG(ERR, app, "link: cannot set up HMAC-SHA-256: %s", strerror(-ret));
		free(la);
		return ret;
	}
	if (o->link_peer_mac[0] != '\0') {
		if (rte_ether_unformat_addr(o->link_peer_mac, &la->peer) != 0) {
			COLO_LOG(ERR, app, "--link-peer-mac: '%s' is not a MAC address",
					o->link_peer_mac);
			colo_link_auth_fini(la);
			free(la);
			return -EINVAL;
		}
		la->check_peer = true;
	}
	if (rte_eth_macaddr_get(app->port[COLO_ROLE_SECONDARY], &la->self) != 0)
		memset(&la->self, 0, sizeof(la->self));
	if (o->role == COLO_HOST_PRIMARY)
		COLO_LOG(NOTICE, app,
				"link: control frames %s, from " RTE_ETHER_ADDR_PRT_FMT
				" (the secondary's --link-peer-mac)",
				la->keyed ? "authenticated" : "NOT authenticated",
				RTE_ETHER_ADDR_BYTES(&la->self));
	app->link = la;
	return 0;
}

/** Free the link state; lcores have stopped. */
void
colo_link_fini(struct colo_app *app)
{
	if (app->link == NULL)
		return;
	colo_link_auth_fini(app->link);
	free(app->link);
	app->link = NULL;
}

/**
 * Client frames on their way to a VM, from the outbound port: drop and
 * count those that would be taken for link control (the link ethertype,
 * after any VLAN tags). Compacts @p pkts in place, order kept; one lcore
 * per process calls it.
 *
 * @return the frames left.
 */
unsigned int
colo_link_filter_clients(struct colo_app *app, struct rte_mbuf **pkts, unsigned int nb,
		struct colo_stats *st)
{
	uint8_t buf[CLIENT_PEEK];
	const uint8_t *frame;
	unsigned int i, n = 0;
	uint32_t len;
	uint64_t nb_log;

	for (i = 0; i < nb; i++) {
		len = RTE_MIN(rte_pktmbuf_pkt_len(pkts[i]), (uint32_t)sizeof(buf));
		frame = rte_pktmbuf_read(pkts[i], 0, len, buf);
		if (likely(frame == NULL || !colo_link_is_control(frame, len))) {
			pkts[n++] = pkts[i];
			continue;
		}
		colo_stat_add(&st->ctr[COLO_INGRESS_DROP_LINK_CONTROL], 1);
		if (colo_log_limit_pass(&app->link_client_log, rte_rdtsc(), &nb_log))
			COLO_LOG(WARNING, app,
					"client frame from " RTE_ETHER_ADDR_PRT_FMT
					" with the link ethertype dropped (%" PRIu64
					" more since the last line; ingress_drop_link_control)",
					RTE_ETHER_ADDR_BYTES(&rte_pktmbuf_mtod(pkts[i],
							const struct rte_ether_hdr *)->src_addr),
					nb_log);
		rte_pktmbuf_free(pkts[i]);
	}
	return n;
}

/**
 * Primary role, RX lcore of @p rxq, on frames of the primary VM already
 * classified and not yet handed to a compare shard: send a control frame
 * copy of each TCP SYN (SYN or SYN-ACK) over the link, on the RX lcore's
 * own TX queue of the secondary port (its own counter stream). Off unless
 * --link-syn-mirror, and after a failover (the secondary is ignored then).
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
		copies[nb_copies] = encap(app->link, app->pool, pkts[i], rxq->queue);
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
 * Secondary role: tell what arrived on the link. A control frame that
 * passes every check has its encapsulation stripped in place; one that
 * fails is counted (link_ignored, link_control_forged or
 * link_control_replayed) and logged at most once a second.
 *
 * @return COLO_LINK_CLIENT (a mirrored client frame, untouched),
 *   COLO_LINK_PVM (now the PVM's frame), or COLO_LINK_BAD (counted; the
 *   caller frees it).
 */
enum colo_link_kind
colo_link_decap(struct colo_app *app, struct rte_mbuf *m, struct colo_stats *st)
{
	enum colo_link_verdict v;
	enum colo_ctr ctr;
	const char *why;
	uint64_t nb_log;
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);

	if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN ||
			likely(((struct rte_ether_hdr *)frame)->ether_type !=
					RTE_BE16(COLO_LINK_ETHERTYPE)))
		return COLO_LINK_CLIENT;
	/* The tag covers the whole frame, which encap() writes in one segment. */
	if (!rte_pktmbuf_is_contiguous(m))
		v = COLO_LINK_V_BAD;
	else
		v = colo_link_open(app->link, frame, rte_pktmbuf_data_len(m));
	switch (v) {
	case COLO_LINK_V_CLIENT:
		return COLO_LINK_CLIENT;
	case COLO_LINK_V_PVM:
		rte_pktmbuf_adj(m, COLO_LINK_HDR_LEN);
		return COLO_LINK_PVM;
	case COLO_LINK_V_FORGED:
		ctr = COLO_LINK_CONTROL_FORGED;
		why = "not from the peer, or its authenticator is wrong or missing "
		      "(link_control_forged)";
		break;
	case COLO_LINK_V_REPLAYED:
		ctr = COLO_LINK_CONTROL_REPLAYED;
		why = "counter already seen (link_control_replayed)";
		break;
	default:
		ctr = COLO_LINK_IGNORED;
		why = "unknown header (link_ignored)";
		break;
	}
	colo_stat_add(&st->ctr[ctr], 1);
	if (colo_log_limit_pass(&app->link_refused_log, rte_rdtsc(), &nb_log))
		COLO_LOG(WARNING, app,
				"link control frame from " RTE_ETHER_ADDR_PRT_FMT " refused: %s "
				"(%" PRIu64 " more refused since the last line)",
				RTE_ETHER_ADDR_BYTES(&((struct rte_ether_hdr *)frame)->src_addr),
				why, nb_log);
	return COLO_LINK_BAD;
}
