/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /colo/ports: each port under its colo-proxy role, with its link, its
 * ethdev counters and the colo-proxy counters of what moved through it.
 * /ethdev/stats has the same ethdev counters by port id; this puts the
 * roles and both views side by side.
 */
#include <errno.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "ctl/ctl.h"
#include "obs.h"

/* colo-proxy counters of a role: what it received, sent, or refused. */
static const struct {
	enum colo_role role;
	const char *name;
	enum colo_ctr ctr;
} role_ctrs[] = {
	{ COLO_ROLE_PRIMARY, "colo_rx", COLO_PRIMARY_RX },
	{ COLO_ROLE_PRIMARY, "colo_ingress_tx", COLO_INGRESS_TO_PRIMARY },
	{ COLO_ROLE_SECONDARY, "colo_rx", COLO_SECONDARY_RX },
	{ COLO_ROLE_SECONDARY, "colo_ingress_tx", COLO_INGRESS_TO_SECONDARY },
	{ COLO_ROLE_OUTBOUND, "colo_tx", COLO_RELEASED },
	{ COLO_ROLE_OUTBOUND, "colo_tx_retry", COLO_TX_RETRY },
	{ COLO_ROLE_OUTBOUND, "colo_ingress_rx", COLO_INGRESS_RX },
};

static struct rte_tel_data *
port_dict(enum colo_role r, uint16_t port, const struct colo_stats *sum)
{
	struct rte_tel_data *p = rte_tel_data_alloc();
	struct rte_eth_dev_info info;
	struct rte_eth_stats es;
	struct rte_eth_link link;
	char name[RTE_ETH_NAME_MAX_LEN];
	unsigned int i;

	if (p == NULL)
		return NULL;
	rte_tel_data_start_dict(p);
	rte_tel_data_add_dict_u64(p, "port_id", port);
	if (rte_eth_dev_get_name_by_port(port, name) == 0)
		rte_tel_data_add_dict_string(p, "name", name);
	if (rte_eth_dev_info_get(port, &info) == 0)
		rte_tel_data_add_dict_string(p, "driver", info.driver_name);
	if (rte_eth_link_get_nowait(port, &link) == 0) {
		rte_tel_data_add_dict_u64(p, "link_up", link.link_status);
		rte_tel_data_add_dict_u64(p, "link_speed_mbps", link.link_speed);
	}
	if (rte_eth_stats_get(port, &es) == 0) {
		rte_tel_data_add_dict_u64(p, "ipackets", es.ipackets);
		rte_tel_data_add_dict_u64(p, "opackets", es.opackets);
		rte_tel_data_add_dict_u64(p, "ibytes", es.ibytes);
		rte_tel_data_add_dict_u64(p, "obytes", es.obytes);
		rte_tel_data_add_dict_u64(p, "imissed", es.imissed);
		rte_tel_data_add_dict_u64(p, "ierrors", es.ierrors);
		rte_tel_data_add_dict_u64(p, "oerrors", es.oerrors);
		rte_tel_data_add_dict_u64(p, "rx_nombuf", es.rx_nombuf);
	}
	for (i = 0; i < RTE_DIM(role_ctrs); i++)
		if (role_ctrs[i].role == r)
			rte_tel_data_add_dict_u64(p, role_ctrs[i].name, sum->ctr[role_ctrs[i].ctr]);
	return p;
}

/* /colo/ports: one dict per role, "primary", "secondary", "outbound". */
static int
ports_cmd(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct colo_app *app = colo_obs_app();
	struct colo_stats sum = { 0 };
	struct rte_tel_data *p;
	unsigned int r;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	/* The ports close at shutdown: read them inside the telemetry gate. */
	if (!colo_obs_enter())
		return -EAGAIN;
	colo_stats_sum(&sum, app->stats, RTE_DIM(app->stats));
	rte_tel_data_start_dict(d);
	for (r = 0; r < COLO_ROLE_MAX; r++) {
		if (!rte_eth_dev_is_valid_port(app->port[r]))
			continue;
		p = port_dict(r, app->port[r], &sum);
		if (p == NULL)
			break;
		if (rte_tel_data_add_dict_container(d, colo_ports_role_name(app, r), p, 0) != 0)
			rte_tel_data_free(p);
	}
	colo_obs_leave();
	return 0;
}

/** Register /colo/ports. */
int
colo_telemetry_ports_init(void)
{
	return rte_telemetry_register_cmd("/colo/ports", ports_cmd,
			"Each port by role (primary, secondary, outbound): link, ethdev counters "
			"and the colo-proxy counters of that port");
}
