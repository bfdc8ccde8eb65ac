/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports and packet pools: resolve the three roles to ethdev ports, create
 * the mempools, configure one RX and one TX queue per port, start them, and
 * log link changes. Each queue has one user: the RX lcore reads every port
 * and transmits the ingress mirror on the VM ports; the compare lcore alone
 * transmits on the outbound port.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "app.h"
#include "colo_log.h"
#include "colo_pkt.h"

#define NB_RXD 1024
#define NB_TXD 1024
#define POOL_CACHE 256

static const char *const role_names[COLO_ROLE_MAX] = {
	[COLO_ROLE_PRIMARY] = "primary",
	[COLO_ROLE_SECONDARY] = "secondary",
	[COLO_ROLE_OUTBOUND] = "outbound",
};

const char *
colo_ports_role_name(enum colo_role r)
{
	return r < COLO_ROLE_MAX ? role_names[r] : "unknown";
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

/** Log the link state of every port whose link changed; main lcore. */
void
colo_ports_log_links(struct colo_app *app)
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
		COLO_LOG(NOTICE, app, "%s port %u: link %s", role_names[r], app->port[r],
				link.link_status ? "up" : "down");
	}
}

static int
port_start(struct colo_app *app, enum colo_role r)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t port = app->port[r];
	uint16_t nb_rxd = NB_RXD, nb_txd = NB_TXD;
	int socket, ret;

	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0)
		return ret;
	if (info.dev_flags != NULL && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC))
		conf.intr_conf.lsc = 1;
	ret = rte_eth_dev_configure(port, 1, 1, &conf);
	if (ret != 0)
		return ret;
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (ret != 0)
		return ret;
	socket = rte_eth_dev_socket_id(port);
	ret = rte_eth_rx_queue_setup(port, 0, nb_rxd, socket, NULL, app->pool);
	if (ret != 0)
		return ret;
	ret = rte_eth_tx_queue_setup(port, 0, nb_txd, socket, NULL);
	if (ret != 0)
		return ret;
	ret = rte_eth_dev_callback_register(port, RTE_ETH_EVENT_INTR_LSC, link_event_cb, app);
	if (ret != 0)
		return ret;
	ret = rte_eth_dev_start(port);
	if (ret != 0)
		return ret;
	/* The VMs' MACs are not ours: accept every frame. Not every PMD can (pcap). */
	rte_eth_promiscuous_enable(port);
	COLO_LOG(INFO, app, "%s port %u (%s): %u RX / %u TX descriptors", role_names[r], port,
			info.driver_name, nb_rxd, nb_txd);
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
	unsigned int r, s;
	int ret;

	for (r = 0; r < COLO_ROLE_MAX; r++) {
		if (port_resolve(app->opts.port[r], &app->port[r]) != 0) {
			fprintf(stderr, "colo-proxy: --%s: no port '%s' (%u ports probed)\n",
					role_names[r], app->opts.port[r],
					rte_eth_dev_count_avail());
			return -ENODEV;
		}
		for (s = 0; s < r; s++) {
			if (app->port[s] == app->port[r]) {
				fprintf(stderr,
						"colo-proxy: --%s: port %u is already the %s "
						"port\n",
						role_names[r], app->port[r], role_names[s]);
				return -EINVAL;
			}
		}
	}
	ret = pools_create(app);
	if (ret != 0) {
		COLO_LOG(ERR, app, "cannot create the mbuf pools (%u mbufs): %s",
				app->opts.nb_mbufs, rte_strerror(-ret));
		return ret;
	}
	for (r = 0; r < COLO_ROLE_MAX; r++) {
		ret = port_start(app, r);
		if (ret != 0) {
			COLO_LOG(ERR, app, "cannot start %s port %u: %s", role_names[r],
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
