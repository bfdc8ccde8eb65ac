/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports and packet pools: resolve the three roles to ethdev ports, create
 * the mempools, configure the queues, start the ports, and log link
 * changes. Each queue has one user: RX lcore i reads RX queue i of both VM
 * ports; RX lcore 0 also reads the outbound port and transmits the ingress
 * mirror on the VM ports; compare shard i alone transmits on outbound TX
 * queue i.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "colo_log.h"
#include "colo_pkt.h"
#include "ctl.h"

#define NB_RXD 1024
#define NB_TXD 1024
#define POOL_CACHE 256

/*
 * RSS key that hashes both directions of a flow alike (0x6d5a repeated:
 * Woo and Park, "Scalable TCP Session Monitoring with Symmetric RSS", 2012).
 * The shards do not need it (RX lcores pick the shard themselves); it keeps
 * the two directions of a connection on one RX lcore, hence in order.
 */
/* clang-format off */
static uint8_t rss_sym_key[40] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};
/* clang-format on */

/* Port slot names by host role: also the options that name the ports. */
static const char *const role_names[][COLO_ROLE_MAX] = {
	[COLO_HOST_PRIMARY] = {
		[COLO_ROLE_PRIMARY] = "primary",
		[COLO_ROLE_SECONDARY] = "secondary",
		[COLO_ROLE_OUTBOUND] = "outbound",
	},
	[COLO_HOST_SECONDARY] = {
		[COLO_ROLE_PRIMARY] = "svm",
		[COLO_ROLE_SECONDARY] = "link",
		[COLO_ROLE_OUTBOUND] = "outbound",
	},
};

const char *
colo_ports_role_name(const struct colo_app *app, enum colo_role r)
{
	unsigned int host = app->opts.role == COLO_HOST_SECONDARY;

	return r < COLO_ROLE_MAX ? role_names[host][r] : "unknown";
}

/* The option naming port slot @p r in this host's role, and its value. */
static const char *
port_option(const struct colo_app *app, enum colo_role r, const char **spec)
{
	*spec = app->opts.port[r];
	if (app->opts.role == COLO_HOST_SECONDARY && r == COLO_ROLE_PRIMARY)
		*spec = app->opts.svm;
	else if (app->opts.role == COLO_HOST_SECONDARY && r == COLO_ROLE_SECONDARY)
		*spec = app->opts.link;
	return colo_ports_role_name(app, r);
}

static int
port_resolve(const char *spec, uint16_t *port_id)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(spec, &end, 10);
	if (spec[0] != '\0' && *end == '\0' && errno == 0) {
		if (v >= RTE_MAX_ETHPORTS || !rte_eth_dev_is_valid_port((uint16_t)v))
			return -ENODEV;
		*port_id = (uint16_t)v;
		return 0;
	}
	return rte_eth_dev_get_port_by_name(spec, port_id) == 0 ? 0 : -ENODEV;
}

/* Interrupt or vhost event thread: count, and let the main lcore log it. */
static int
link_event_cb(uint16_t port_id, enum rte_eth_event_type type, void *arg, void *ret_param)
{
	struct colo_app *app = arg;
	unsigned int r;

	RTE_SET_USED(type);
	RTE_SET_USED(ret_param);
	/* Several event threads may call back (vhost, interrupts): add atomically. */
	__atomic_fetch_add(&app->stats[COLO_STATS_CTRL].ctr[COLO_LINK_EVENTS], 1, __ATOMIC_RELAXED);
	for (r = 0; r < COLO_ROLE_MAX; r++)
		if (app->port[r] == port_id)
			__atomic_fetch_or(&app->link_pending, 1u << r, __ATOMIC_RELEASE);
	return 0;
}

/*
 * Exhaustion log lines, at most one per second and cause: frames
 * the PMD could not receive for want of an mbuf (rx_nombuf: the mempool is
 * too small) or of a descriptor (imissed), and frames lost because the
 * RX -> compare ring was full. The counters stay the reference; this only
 * makes the event visible in the log. Main lcore.
 */
static void
log_drops(struct colo_app *app, struct colo_ports_watch *w)
{
	struct colo_stats sum = { 0 };
	struct rte_eth_stats es;
	uint64_t ring, *last_nombuf = w->last_nombuf, *last_missed = w->last_missed;
	unsigned int r;

	if (!colo_log_limit_pass(&w->limit, rte_rdtsc(), NULL))
		return;
	for (r = 0; r < COLO_ROLE_MAX; r++) {
		if (!rte_eth_dev_is_valid_port(app->port[r]) ||
				rte_eth_stats_get(app->port[r], &es) != 0)
			continue;
		if (es.rx_nombuf > last_nombuf[r])
			COLO_LOG(WARNING, app,
					"%s port %u: %" PRIu64 " frames lost for want of an mbuf "
					"(rx_nombuf %" PRIu64 "): mempool too small?",
					colo_ports_role_name(app, r), app->port[r],
					es.rx_nombuf - last_nombuf[r],
					es.rx_nombuf);
		if (es.imissed > last_missed[r])
			COLO_LOG(WARNING, app, "%s port %u: %" PRIu64 " frames missed (imissed %" PRIu64 ")",
					colo_ports_role_name(app, r), app->port[r],
					es.imissed - last_missed[r],
					es.imissed);
		last_nombuf[r] = es.rx_nombuf;
		last_missed[r] = es.imissed;
	}
	colo_stats_sum(&sum, app->stats, RTE_DIM(app->stats));
	ring = sum.drop[COLO_DROP_RING_FULL] + sum.discard[COLO_DISCARD_RING_FULL];
	if (ring > w->last_ring)
		COLO_LOG(WARNING, app,
				"RX -> compare ring full: %" PRIu64 " frames dropped (total %" PRIu64 ")",
				ring - w->last_ring, ring);
	w->last_ring = ring;
}

/**
 * Log the link state of every port whose link changed, and the port drops
 * of the last second; main lcore, with the housekeeping loop's @p w.
 */
void
colo_ports_log_links(struct colo_app *app, struct colo_ports_watch *w)
{
	struct rte_eth_link link;
	uint32_t pending;
	unsigned int r;

	pending = __atomic_exchange_n(&app->link_pending, 0, __ATOMIC_ACQUIRE);
	for (r = 0; r < COLO_ROLE_MAX; r++) {
		if (!(pending & (1u << r)))
			continue;
		if (rte_eth_link_get_nowait(app->port[r], &link) != 0)
			continue;
		COLO_LOG(NOTICE, app, "%s port %u: link %s", colo_ports_role_name(app, r), app->port[r],
				link.link_status ? "up" : "down");
	}
	log_drops(app, w);
}

static int
port_start(struct colo_app *app, enum colo_role r)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t port = app->port[r];
	uint16_t nb_rxd = NB_RXD, nb_txd = NB_TXD;
	/* VM ports: an RX queue per RX lcore; outbound: a TX queue per shard. */
	uint16_t nb_rxq = r == COLO_ROLE_OUTBOUND ? 1 : app->nb_rxq;
	uint16_t nb_txq = r == COLO_ROLE_OUTBOUND ? app->nb_shards : 1;
	int socket, ret;
	uint16_t q;

	/* The link: a TX queue per RX lcore for its PVM SYN copies (dp/link.c). */
	if (r == COLO_ROLE_SECONDARY && app->opts.link_syn_mirror)
		nb_txq = app->nb_rxq;
	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0)
		return ret;
	if (info.dev_flags != NULL && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC))
		conf.intr_conf.lsc = 1;
	if (nb_rxq > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = rss_sym_key;
		conf.rx_adv_conf.rss_conf.rss_key_len = sizeof(rss_sym_key);
		conf.rx_adv_conf.rss_conf.rss_hf =
				info.flow_type_rss_offloads &
				(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
	}
	ret = rte_eth_dev_configure(port, nb_rxq, nb_txq, &conf);
	if (ret != 0)
		return ret;
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (ret != 0)
		return ret;
	socket = rte_eth_dev_socket_id(port);
	for (q = 0; q < nb_rxq; q++) {
		ret = rte_eth_rx_queue_setup(port, q, nb_rxd, socket, NULL, app->pool);
		if (ret != 0)
			return ret;
	}
	for (q = 0; q < nb_txq; q++) {
		ret = rte_eth_tx_queue_setup(port, q, nb_txd, socket, NULL);
		if (ret != 0)
			return ret;
	}
	ret = rte_eth_dev_callback_register(port, RTE_ETH_EVENT_INTR_LSC, link_event_cb, app);
	if (ret != 0)
		return ret;
	ret = rte_eth_dev_start(port);
	if (ret != 0)
		return ret;
	/* The VMs' MACs are not ours: accept every frame. Not every PMD can (pcap). */
	rte_eth_promiscuous_enable(port);
	COLO_LOG(INFO, app, "%s port %u (%s): %u RX / %u TX queues of %u / %u descriptors",
			colo_ports_role_name(app, r), port, info.driver_name, nb_rxq, nb_txq, nb_rxd,
			nb_txd);
	return 0;
}

/*
 * Fit the queues the layout wants to what the devices have: RX lcores past
 * the VM ports' RX queues stay idle (run to completion: they only compare);
 * each shard needs an outbound TX queue of its own.
 */
static int
queues_fit(struct colo_app *app)
{
	struct rte_eth_dev_info info;
	unsigned int r, nb_rxq = app->nb_rxq;

	for (r = 0; r < COLO_ROLE_MAX; r++) {
		/* A secondary role without --outbound. */
		if (!rte_eth_dev_is_valid_port(app->port[r]))
			continue;
		if (rte_eth_dev_info_get(app->port[r], &info) != 0)
			return -ENODEV;
		if (r == COLO_ROLE_SECONDARY && app->opts.link_syn_mirror)
			nb_rxq = RTE_MIN(nb_rxq, (unsigned int)info.max_tx_queues);
		if (r != COLO_ROLE_OUTBOUND) {
			nb_rxq = RTE_MIN(nb_rxq, (unsigned int)info.max_rx_queues);
		} else if (info.max_tx_queues < app->nb_shards) {
			fprintf(stderr,
					"colo-proxy: --compare-lcores %u needs as many TX queues "
					"on the outbound port; %s has %u\n",
					app->nb_shards, info.driver_name, info.max_tx_queues);
			return -EINVAL;
		}
	}
	if (nb_rxq == 0)
		return -EINVAL;
	if (nb_rxq < app->nb_rxq)
		COLO_LOG(NOTICE, app, "the VM ports have %u RX queue(s): %u RX lcore(s) get none",
				nb_rxq, app->nb_rxq - nb_rxq);
	app->nb_rxq = nb_rxq;
	return 0;
}

static int
pools_create(struct colo_app *app)
{
	unsigned int nb = app->opts.nb_mbufs;

	app->pool = rte_pktmbuf_pool_create("colo_pkts", nb, POOL_CACHE, COLO_PKT_PRIV_SIZE,
			RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (app->pool == NULL)
		return -rte_errno;
	/* Clones carry no data and no metadata: they point into the original. */
	app->clone_pool = rte_pktmbuf_pool_create(
			"colo_clones", nb, POOL_CACHE, 0, 0, rte_socket_id());
	if (app->clone_pool == NULL)
		return -rte_errno;
	return 0;
}

/**
 * Resolve the roles, create the pools, configure and start the ports.
 * Errors are logged; a port that does not exist returns -ENODEV.
 */
int
colo_ports_init(struct colo_app *app)
{
	const char *spec, *opt, *other;
	unsigned int r, s;
	int ret;

	for (r = 0; r < COLO_ROLE_MAX; r++) {
		opt = port_option(app, r, &spec);
		/* The secondary role may run without failover: no clients' port. */
		if (app->opts.role == COLO_HOST_SECONDARY && r == COLO_ROLE_OUTBOUND &&
				strcmp(spec, "none") == 0)
			continue;
		if (port_resolve(spec, &app->port[r]) != 0) {
			fprintf(stderr, "colo-proxy: --%s: no port '%s' (%u ports probed)%s\n", opt,
					spec, rte_eth_dev_count_avail(),
					app->opts.role == COLO_HOST_SECONDARY &&
									r == COLO_ROLE_OUTBOUND
							? "; 'none' runs without failover"
							: "");
			return -ENODEV;
		}
		for (s = 0; s < r; s++) {
			if (app->port[s] == app->port[r]) {
				other = port_option(app, s, &spec);
				fprintf(stderr,
						"colo-proxy: --%s: port %u is already the %s "
						"port\n",
						opt, app->port[r], other);
				return -EINVAL;
			}
		}
	}
	ret = queues_fit(app);
	if (ret != 0)
		return ret;
	ret = pools_create(app);
	if (ret != 0) {
		COLO_LOG(ERR, app, "cannot create the mbuf pools (%u mbufs): %s",
				app->opts.nb_mbufs, rte_strerror(-ret));
		return ret;
	}
	for (r = 0; r < COLO_ROLE_MAX; r++) {
		if (!rte_eth_dev_is_valid_port(app->port[r]))
			continue;
		ret = port_start(app, r);
		if (ret != 0) {
			COLO_LOG(ERR, app, "cannot start %s port %u: %s", colo_ports_role_name(app, r),
					app->port[r], rte_strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/** Stop and close the ports, then free the pools; every lcore has stopped. */
void
colo_ports_fini(struct colo_app *app)
{
	unsigned int r;

	for (r = 0; r < COLO_ROLE_MAX; r++) {
		if (!rte_eth_dev_is_valid_port(app->port[r]))
			continue;
		rte_eth_dev_callback_unregister(
				app->port[r], RTE_ETH_EVENT_INTR_LSC, link_event_cb, app);
		rte_eth_dev_stop(app->port[r]);
		rte_eth_dev_close(app->port[r]);
	}
	rte_mempool_free(app->clone_pool);
	rte_mempool_free(app->pool);
	app->clone_pool = NULL;
	app->pool = NULL;
}
