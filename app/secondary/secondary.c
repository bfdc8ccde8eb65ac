/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The secondary role (--role secondary): the proxy beside the SVM. Client
 * frames mirrored over the link go to the SVM with their ACKs mapped into
 * its sequence space; the SVM's output is mapped into the PVM's and goes
 * back over the link, or after a failover straight to the clients. One
 * lcore does it all. The sequence logic is lib/colo_rewriter.c; the link
 * format is dp/link.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "colo_log.h"
#include "colo_pkt.h"
#include "colo_rewriter.h"
#include "dp/burst.h"
#include "dp/dp.h"
#include "secondary.h"

/*
 * SVM frames waiting for their connection's offset. A handshake holds one
 * or two frames for the time the PVM's SYN copy takes over the link, so
 * this only fills when something is wrong; then the oldest goes out.
 */
#define HOLD_MAX 256
/* Tries of one TX burst before the rest is dropped: a stuck port must not stop RX. */
#define TX_TRIES 8

/* A FIFO of held SVM frames, oldest at head. */
struct hold {
	struct rte_mbuf *pkts[HOLD_MAX];
	uint64_t since_tsc[HOLD_MAX];
	unsigned int head;
	unsigned int nb;
};

/** State of the secondary role: its lcore only, but for the rewriter's counters. */
struct colo_secondary {
	struct colo_rewriter *rw;
	/*
	 * Invariant: a held frame was never given to the rewriter, or only
	 * got COLO_RW_PENDING (left unchanged), so it may always be given
	 * again; a frame that was mapped is never held.
	 */
	struct hold hold;
	uint64_t hold_tsc;     /**< rewrite_hold in TSC ticks */
	uint64_t hold_learned; /**< offsets learned and resets when the hold was last retried */
	uint64_t scan_tsc;     /**< expired_scan_cycle in TSC ticks */
	uint64_t next_scan_tsc;
	bool failed_over;			     /**< SVM output goes to the outbound port */
	struct rte_mbuf *out[HOLD_MAX + COLO_BURST]; /**< SVM frames to send this loop */
	unsigned int nb_out;
};

/*
 * Complete an L4 checksum the SVM's port left partial (RX_L4_CKSUM_NONE:
 * the field holds the pseudo-header sum, virtio NEEDS_CSUM): the rewriter
 * kept it partial, and the clients' wire wants it whole. As a NIC does it:
 * the sum over the L4 bytes, field included, folded and complemented.
 */
static void
csum_complete(struct rte_mbuf *m)
{
	const struct colo_pkt_meta *pm = colo_pkt_meta(m);
	uint16_t sum, off, *field;

	if (likely((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_NONE))
		return;
	if (pm->class != COLO_CLASS_IP || (pm->flags & COLO_PKT_F_FRAG))
		return;
	if (pm->l4proto == IPPROTO_TCP)
		off = offsetof(struct rte_tcp_hdr, cksum);
	else if (pm->l4proto == IPPROTO_UDP)
		off = offsetof(struct rte_udp_hdr, dgram_cksum);
	else
		return;
	if (rte_pktmbuf_data_len(m) < pm->l4_off + off + sizeof(*field) ||
			rte_raw_cksum_mbuf(m, pm->l4_off, pm->l3_end - pm->l4_off, &sum) != 0)
		return;
	sum = (uint16_t)~sum;
	if (sum == 0 && pm->l4proto == IPPROTO_UDP)
		sum = 0xffff; /* RFC 768: 0 means "no checksum" */
	field = rte_pktmbuf_mtod_offset(m, uint16_t *, pm->l4_off + off);
	*field = sum;
	m->ol_flags = (m->ol_flags & ~RTE_MBUF_F_RX_L4_CKSUM_MASK) | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
}

static void
out_push(struct colo_secondary *sec, struct rte_mbuf *m)
{
	sec->out[sec->nb_out++] = m;
}

/* The SVM frames of this loop go to the link, or to the clients after a failover. */
static void
svm_tx(struct colo_app *app, struct colo_secondary *sec, struct colo_stats *st)
{
	uint16_t port = app->port[sec->failed_over ? COLO_SEC_OUTBOUND : COLO_SEC_LINK];
	enum colo_ctr sent = sec->failed_over ? COLO_SVM_TO_OUTBOUND : COLO_SVM_TO_LINK;
	unsigned int i, nb;

	if (sec->failed_over)
		for (i = 0; i < sec->nb_out; i++)
			csum_complete(sec->out[i]);
	for (i = 0; i < sec->nb_out; i += nb) {
		nb = RTE_MIN(sec->nb_out - i, (unsigned int)COLO_BURST);
		colo_burst_tx(port, 0, &sec->out[i], nb, TX_TRIES, &st->ctr[sent],
				&st->ctr[COLO_SVM_TX_DROP]);
	}
	sec->nb_out = 0;
}

static bool
same_conn(const struct rte_mbuf *a, const struct rte_mbuf *b)
{
	const struct colo_pkt_meta *pa = colo_pkt_meta(a), *pb = colo_pkt_meta(b);

	return pa->hash == pb->hash && memcmp(&pa->key, &pb->key, sizeof(pa->key)) == 0;
}

static struct rte_mbuf *
hold_at(const struct hold *h, unsigned int i)
{
	return h->pkts[(h->head + i) % HOLD_MAX];
}

/* Whether a frame of @p m's connection is held: @p m must then wait behind it. */
static bool
hold_has_conn(const struct hold *h, const struct rte_mbuf *m)
{
	unsigned int i;

	for (i = 0; i < h->nb; i++)
		if (same_conn(hold_at(h, i), m))
			return true;
	return false;
}

static struct rte_mbuf *
hold_pop(struct hold *h, uint64_t *since_tsc)
{
	struct rte_mbuf *m = h->pkts[h->head];

	*since_tsc = h->since_tsc[h->head];
	h->head = (h->head + 1) % HOLD_MAX;
	h->nb--;
	return m;
}

static void
hold_append(struct hold *h, struct rte_mbuf *m, uint64_t since_tsc)
{
	unsigned int tail = (h->head + h->nb) % HOLD_MAX;

	h->pkts[tail] = m;
	h->since_tsc[tail] = since_tsc;
	h->nb++;
}

/* A held frame goes out: mapped if its offset is known by now, else as it is (counted). */
static void
hold_release(struct colo_secondary *sec, struct rte_mbuf *m, uint64_t now_tsc,
		struct colo_stats *st)
{
	if (colo_rewriter_svm_to_client(sec->rw, m, now_tsc) == COLO_RW_PENDING)
		colo_stat_add(&st->ctr[COLO_REWRITE_HOLD_EXPIRED], 1);
	out_push(sec, m);
}

static void
hold_push(struct colo_secondary *sec, struct rte_mbuf *m, uint64_t now_tsc, struct colo_stats *st)
{
	uint64_t since;

	if (unlikely(sec->hold.nb == HOLD_MAX))
		hold_release(sec, hold_pop(&sec->hold, &since), now_tsc, st);
	hold_append(&sec->hold, m, now_tsc);
	colo_stat_add(&st->ctr[COLO_REWRITE_HELD], 1);
}

/* Offsets learned plus resets: held frames can only be mapped once this moves. */
static uint64_t
learned(const struct colo_secondary *sec)
{
	return colo_rewriter_ctr(sec->rw, COLO_RW_CTR_LEARNED) +
	       colo_rewriter_ctr(sec->rw, COLO_RW_CTR_RESETS);
}

/*
 * Retry the held frames, oldest first, when the rewriter learned something
 * since the last retry; otherwise only look at their age. A frame leaves
 * when the rewriter maps it or its rewrite_hold is over (then unmapped:
 * the primary sees a difference and asks for one checkpoint, which makes
 * the SVM a copy again). A frame stays while an older one of its
 * connection stays, so a connection's frames leave in order. @p all:
 * shutdown.
 */
static void
hold_retry(struct colo_secondary *sec, uint64_t now_tsc, bool all, struct colo_stats *st)
{
	struct rte_mbuf *kept[HOLD_MAX], *m;
	unsigned int i, k, n = sec->hold.nb, nb_kept = 0;
	uint64_t since, now_learned = learned(sec);
	bool retry = now_learned != sec->hold_learned;

	if (!retry && !all && now_tsc - sec->hold.since_tsc[sec->hold.head] < sec->hold_tsc)
		return;
	sec->hold_learned = now_learned;
	for (i = 0; i < n; i++) {
		m = hold_pop(&sec->hold, &since);
		for (k = 0; !all && k < nb_kept; k++)
			if (same_conn(kept[k], m))
				break;
		if (!all && k < nb_kept) {
			hold_append(&sec->hold, m, since);
			continue;
		}
		if (all || now_tsc - since >= sec->hold_tsc) {
			hold_release(sec, m, now_tsc, st);
			continue;
		}
		if (retry && colo_rewriter_svm_to_client(sec->rw, m, now_tsc) != COLO_RW_PENDING) {
			out_push(sec, m);
			continue;
		}
		hold_append(&sec->hold, m, since);
		kept[nb_kept++] = m;
	}
}

/* SVM output: map into the PVM's sequence space, or hold until the offset is known. */
static void
svm_rx(struct colo_app *app, struct colo_secondary *sec, uint64_t now_tsc, struct colo_stats *st)
{
	struct rte_mbuf *pkts[COLO_BURST];
	unsigned int i, nb;

	nb = rte_eth_rx_burst(app->port[COLO_SEC_SVM], 0, pkts, COLO_BURST);
	if (nb == 0)
		return;
	colo_stat_add(&st->ctr[COLO_SVM_RX], nb);
	for (i = 0; i < nb; i++) {
		colo_pkt_classify(pkts[i], COLO_SIDE_SECONDARY, 0, now_tsc, st);
		if (unlikely(sec->hold.nb != 0) && hold_has_conn(&sec->hold, pkts[i]))
			hold_push(sec, pkts[i], now_tsc, st);
		else if (colo_rewriter_svm_to_client(sec->rw, pkts[i], now_tsc) == COLO_RW_PENDING)
			hold_push(sec, pkts[i], now_tsc, st);
		else
			out_push(sec, pkts[i]);
	}
	colo_store_u64(&app->rxq[0].last_input_tsc, now_tsc);
	if (unlikely(colo_load_u64(&app->rxq[0].first_rx_tsc) == 0))
		colo_store_u64(&app->rxq[0].first_rx_tsc, now_tsc);
}

/* Client frames to the SVM, their ACK and SACK edges mapped into its space. */
static void
client_frames(struct colo_app *app, struct colo_secondary *sec, struct rte_mbuf **pkts,
		unsigned int nb, uint64_t now_tsc, struct colo_stats *st)
{
	unsigned int i;

	for (i = 0; i < nb; i++) {
		colo_pkt_classify(pkts[i], COLO_SIDE_PRIMARY, 0, now_tsc, st);
		colo_rewriter_client_to_svm(sec->rw, pkts[i], now_tsc);
	}
	colo_burst_tx(app->port[COLO_SEC_SVM], 0, pkts, nb, TX_TRIES, &st->ctr[COLO_CLIENT_TO_SVM],
			&st->ctr[COLO_CLIENT_TX_DROP]);
}

/*
 * The link: mirrored client frames for the SVM, and the PVM's SYN copies
 * the rewriter learns from. After a failover the primary is gone and what
 * still arrives is ignored.
 */
static void
link_rx(struct colo_app *app, struct colo_secondary *sec, uint64_t now_tsc, struct colo_stats *st)
{
	struct rte_mbuf *pkts[COLO_BURST], *client[COLO_BURST];
	unsigned int i, nb, nb_client = 0;

	nb = rte_eth_rx_burst(app->port[COLO_SEC_LINK], 0, pkts, COLO_BURST);
	if (nb == 0)
		return;
	colo_stat_add(&st->ctr[COLO_LINK_RX], nb);
	colo_store_u64(&app->rxq[0].last_input_tsc, now_tsc);
	if (sec->failed_over) {
		colo_stat_add(&st->ctr[COLO_LINK_IGNORED], nb);
		rte_pktmbuf_free_bulk(pkts, nb);
		return;
	}
	for (i = 0; i < nb; i++) {
		switch (colo_link_decap(app, pkts[i], st)) {
		case COLO_LINK_CLIENT:
			client[nb_client++] = pkts[i];
			break;
		case COLO_LINK_PVM:
			colo_pkt_classify(pkts[i], COLO_SIDE_PRIMARY, 0, now_tsc, st);
			colo_rewriter_pvm_to_client(sec->rw, pkts[i], now_tsc);
			colo_stat_add(&st->ctr[COLO_SYN_MIRROR_RX], 1);
			rte_pktmbuf_free(pkts[i]);
			break;
		case COLO_LINK_BAD:
			rte_pktmbuf_free(pkts[i]);
			break;
		}
	}
	if (nb_client != 0)
		client_frames(app, sec, client, nb_client, now_tsc, st);
}

/* Before a failover the clients talk to the primary host: what reaches us here is not ours. */
static void
outbound_rx(struct colo_app *app, struct colo_secondary *sec, uint64_t now_tsc,
		struct colo_stats *st)
{
	struct rte_mbuf *pkts[COLO_BURST];
	unsigned int nb;

	nb = rte_eth_rx_burst(app->port[COLO_SEC_OUTBOUND], 0, pkts, COLO_BURST);
	if (nb == 0)
		return;
	colo_stat_add(&st->ctr[COLO_INGRESS_RX], nb);
	if (!sec->failed_over) {
		colo_stat_add(&st->ctr[COLO_OUTBOUND_IGNORED], nb);
		rte_pktmbuf_free_bulk(pkts, nb);
		return;
	}
	colo_store_u64(&app->rxq[0].last_input_tsc, now_tsc);
	/* This host is the primary now: the same filter as its ingress mirror. */
	nb = colo_link_filter_clients(app, pkts, nb, st);
	if (nb != 0)
		client_frames(app, sec, pkts, nb, now_tsc, st);
}

/*
 * Checkpoint done: the SVM is a copy of the PVM, one sequence space.
 * Failover: become the primary; connections learned so far keep their
 * offset (their clients know the PVM's numbers), new ones pass untouched.
 */
static void
control(struct colo_app *app, struct colo_secondary *sec, struct colo_stats *st)
{
	if (colo_notify_take_done(app->notify) != 0)
		colo_rewriter_reset(sec->rw);
	if (unlikely(colo_failover_due(app))) {
		colo_rewriter_set_learning(sec->rw, false);
		sec->failed_over = true;
		colo_failover_done(app, st);
	}
}

static int
secondary_lcore(void *arg)
{
	struct colo_app *app = arg;
	struct colo_secondary *sec = app->secondary;
	struct colo_stats *st = &app->stats[rte_lcore_id()];
	bool has_outbound = rte_eth_dev_is_valid_port(app->port[COLO_SEC_OUTBOUND]);
	uint64_t now;

	sec->next_scan_tsc = rte_rdtsc() + sec->scan_tsc;
	while (!colo_load_flag(&app->stop_rx)) {
		now = rte_rdtsc();
		control(app, sec, st);
		/* The link first: a PVM SYN copy maps held frames in this same loop. */
		link_rx(app, sec, now, st);
		if (has_outbound)
			outbound_rx(app, sec, now, st);
		if (unlikely(sec->hold.nb != 0))
			hold_retry(sec, now, false, st);
		svm_rx(app, sec, now, st);
		svm_tx(app, sec, st);
		if (unlikely(now >= sec->next_scan_tsc)) {
			colo_rewriter_scan(sec->rw, now);
			sec->next_scan_tsc = now + sec->scan_tsc;
		}
	}
	/* Shutdown: nothing more will map the held frames. */
	hold_retry(sec, rte_rdtsc(), true, st);
	svm_tx(app, sec, st);
	__atomic_fetch_sub(&app->rx_running, 1, __ATOMIC_RELEASE);
	return 0;
}

int
colo_secondary_init(struct colo_app *app)
{
	const struct colo_params *p = &app->opts.params;
	struct colo_rewriter_params rp;
	struct colo_secondary *sec;
	uint64_t ms = rte_get_tsc_hz() / 1000;

	sec = calloc(1, sizeof(*sec));
	if (sec == NULL)
		return -ENOMEM;
	colo_rewriter_params_init(&rp);
	rp.max_entries = p->max_conns;
	rp.idle_timeout_ms = app->opts.rewrite_idle_timeout_ms;
	rp.closing_timeout_ms = p->closing_timeout_ms;
	rp.socket_id = rte_lcore_to_socket_id(app->rxq[0].lcore);
	sec->rw = colo_rewriter_create(&rp);
	if (sec->rw == NULL) {
		COLO_LOG(ERR, app, "cannot create the TCP sequence rewriter: %s",
				rte_strerror(rte_errno));
		free(sec);
		return -rte_errno;
	}
	sec->hold_tsc = ms * app->opts.rewrite_hold_ms;
	sec->scan_tsc = ms * p->expired_scan_cycle_ms;
	app->secondary = sec;
	if (!rte_eth_dev_is_valid_port(app->port[COLO_SEC_OUTBOUND]))
		COLO_LOG(NOTICE, app, "secondary role without --outbound: failover is refused");
	return 0;
}

void
colo_secondary_launch(struct colo_app *app)
{
	unsigned int lcore = app->rxq[0].lcore;

	app->rx_running = 1;
	COLO_LOG(INFO, app, "layout: secondary role on lcore %u", lcore);
	rte_eal_remote_launch(secondary_lcore, app, lcore);
}

void
colo_secondary_fini(struct colo_app *app)
{
	struct colo_secondary *sec = app->secondary;

	if (sec == NULL)
		return;
	app->secondary = NULL;
	colo_rewriter_free(sec->rw);
	free(sec);
}

void
colo_secondary_rewriter_ctrs(const struct colo_app *app, uint64_t ctr[COLO_RW_CTR_MAX])
{
	unsigned int i;

	for (i = 0; i < COLO_RW_CTR_MAX; i++)
		ctr[i] = app->secondary != NULL ? colo_rewriter_ctr(app->secondary->rw, i) : 0;
}
