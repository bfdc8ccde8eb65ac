/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NUMA placement as pure functions of the topology: pools on the ports'
 * sockets, tables on the compare lcores' sockets, warnings for whatever
 * makes frames or table lines cross the socket interconnect.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "colo_numa.h"

static bool
topo_valid(const struct colo_numa_topo *t)
{
	unsigned int i;

	if (t->nb_ports == 0 || t->nb_ports > COLO_NUMA_MAX_PORTS || t->port_socket == NULL ||
			t->nb_shards == 0 || t->nb_shards > COLO_NUMA_MAX_SHARDS ||
			t->shard_lcore == NULL || t->lcore_socket == NULL ||
			(t->nb_rx != 0 && t->rx == NULL) || (t->nb_tx != 0 && t->tx == NULL))
		return false;
	for (i = 0; i < t->nb_rx; i++)
		if (t->rx[i].lcore >= t->nb_lcores || t->rx[i].port >= t->nb_ports)
			return false;
	for (i = 0; i < t->nb_tx; i++)
		if (t->tx[i].lcore >= t->nb_lcores || t->tx[i].port >= t->nb_ports)
			return false;
	for (i = 0; i < t->nb_shards; i++)
		if (t->shard_lcore[i] >= t->nb_lcores)
			return false;
	return true;
}

/* Whether the known sockets of ports and used lcores are more than one. */
static bool
multi_socket(const struct colo_numa_topo *t)
{
	int seen = SOCKET_ID_ANY;
	unsigned int i;

#define SEE(s)                                          \
	do {                                            \
		int s_ = (s);                           \
		if (s_ == SOCKET_ID_ANY)                \
			break;                          \
		if (seen != SOCKET_ID_ANY && s_ != seen) \
			return true;                    \
		seen = s_;                              \
	} while (0)
	for (i = 0; i < t->nb_ports; i++)
		SEE(t->port_socket[i]);
	for (i = 0; i < t->nb_rx; i++)
		SEE(t->lcore_socket[t->rx[i].lcore]);
	for (i = 0; i < t->nb_tx; i++)
		SEE(t->lcore_socket[t->tx[i].lcore]);
	for (i = 0; i < t->nb_shards; i++)
		SEE(t->lcore_socket[t->shard_lcore[i]]);
#undef SEE
	return false;
}

static void
warn(struct colo_numa_plan *p, const struct colo_numa_warning *w)
{
	unsigned int i;

	/* Once each: several queues of one port on one lcore are one mistake. */
	for (i = 0; i < p->nb_warnings; i++) {
		const struct colo_numa_warning *o = &p->warning[i];

		if (o->kind == w->kind && o->lcore == w->lcore && o->port == w->port &&
				o->shard == w->shard)
			return;
	}
	if (p->nb_warnings == COLO_NUMA_MAX_WARNINGS) {
		p->nb_warnings_dropped++;
		return;
	}
	p->warning[p->nb_warnings++] = *w;
}

static struct colo_numa_warning
warning_new(enum colo_numa_warning_kind kind)
{
	return (struct colo_numa_warning){
		.kind = kind,
		.lcore = -1,
		.lcore_socket = -1,
		.port = -1,
		.queue = -1,
		.port_socket = -1,
		.shard = -1,
		.shard_socket = -1,
	};
}

/* Remote use of a port by an lcore, both sockets known. */
static void
check_queues(const struct colo_numa_topo *t, const struct colo_numa_queue *q, unsigned int nb,
		enum colo_numa_warning_kind kind, struct colo_numa_plan *p)
{
	unsigned int i;

	for (i = 0; i < nb; i++) {
		int ls = t->lcore_socket[q[i].lcore], ps = t->port_socket[q[i].port];
		struct colo_numa_warning w = warning_new(kind);

		if (ls == SOCKET_ID_ANY || ps == SOCKET_ID_ANY || ls == ps)
			continue;
		w.lcore = (int)q[i].lcore;
		w.lcore_socket = ls;
		w.port = q[i].port;
		w.queue = q[i].queue;
		w.port_socket = ps;
		warn(p, &w);
	}
}

static void
place_pools(const struct colo_numa_topo *t, bool multi, struct colo_numa_plan *p)
{
	unsigned int port, i, k;

	for (port = 0; port < t->nb_ports; port++) {
		int s = t->port_socket[port];

		for (i = 0; s == SOCKET_ID_ANY && i < t->nb_rx; i++)
			if (t->rx[i].port == port)
				s = t->lcore_socket[t->rx[i].lcore];
		if (s == SOCKET_ID_ANY)
			s = t->fallback_socket;
		if (t->port_socket[port] == SOCKET_ID_ANY && multi) {
			struct colo_numa_warning w = warning_new(COLO_NUMA_W_PORT_UNKNOWN);

			w.port = (int)port;
			w.port_socket = s;
			warn(p, &w);
		}
		p->port_pool_socket[port] = s;
		for (k = 0; k < p->nb_pools && p->pool_socket[k] != s; k++)
			;
		if (k == p->nb_pools)
			p->pool_socket[p->nb_pools++] = s;
		p->port_pool[port] = k;
	}
}

static void
place_shards(const struct colo_numa_topo *t, struct colo_numa_plan *p)
{
	unsigned int s, i;

	for (s = 0; s < t->nb_shards; s++) {
		int ss = t->lcore_socket[t->shard_lcore[s]];

		p->shard_table_socket[s] = ss == SOCKET_ID_ANY ? t->fallback_socket : ss;
		/* Every RX lcore hands frames to every shard (dispatch by hash). */
		for (i = 0; ss != SOCKET_ID_ANY && i < t->nb_rx; i++) {
			int rs = t->lcore_socket[t->rx[i].lcore];
			struct colo_numa_warning w = warning_new(COLO_NUMA_W_SHARD_REMOTE);

			if (rs == SOCKET_ID_ANY || rs == ss)
				continue;
			w.lcore = (int)t->rx[i].lcore;
			w.lcore_socket = rs;
			w.shard = (int)s;
			w.shard_socket = ss;
			warn(p, &w);
		}
	}
}

/* Used lcores whose socket is unknown. */
static void
check_lcores(const struct colo_numa_topo *t, struct colo_numa_plan *p)
{
	unsigned int i, nb = t->nb_rx + t->nb_tx + t->nb_shards;

	for (i = 0; i < nb; i++) {
		unsigned int lcore = i < t->nb_rx	       ? t->rx[i].lcore
				     : i < t->nb_rx + t->nb_tx ? t->tx[i - t->nb_rx].lcore
							       : t->shard_lcore[i - t->nb_rx - t->nb_tx];
		struct colo_numa_warning w = warning_new(COLO_NUMA_W_LCORE_UNKNOWN);

		if (t->lcore_socket[lcore] != SOCKET_ID_ANY)
			continue;
		w.lcore = (int)lcore;
		warn(p, &w);
	}
}

int
colo_numa_plan(const struct colo_numa_topo *t, struct colo_numa_plan *plan)
{
	bool multi;

	if (t == NULL || plan == NULL || !topo_valid(t))
		return -EINVAL;
	memset(plan, 0, sizeof(*plan));
	multi = multi_socket(t);
	if (multi)
		check_lcores(t, plan);
	place_pools(t, multi, plan);
	place_shards(t, plan);
	check_queues(t, t->rx, t->nb_rx, COLO_NUMA_W_RX_REMOTE, plan);
	check_queues(t, t->tx, t->nb_tx, COLO_NUMA_W_TX_REMOTE, plan);
	return 0;
}

int
colo_numa_warning_format(const struct colo_numa_warning *w, char *buf, size_t len)
{
	switch (w->kind) {
	case COLO_NUMA_W_RX_REMOTE:
		return snprintf(buf, len,
				"lcore %d (socket %d) polls port %d queue %d on socket %d: every "
				"frame crosses sockets; poll it from an lcore of socket %d",
				w->lcore, w->lcore_socket, w->port, w->queue, w->port_socket,
				w->port_socket);
	case COLO_NUMA_W_TX_REMOTE:
		return snprintf(buf, len,
				"lcore %d (socket %d) transmits on port %d queue %d on socket %d: "
				"every released frame crosses sockets",
				w->lcore, w->lcore_socket, w->port, w->queue, w->port_socket);
	case COLO_NUMA_W_SHARD_REMOTE:
		return snprintf(buf, len,
				"RX lcore %d (socket %d) hands frames to shard %d on socket %d: "
				"each frame's header and metadata cross sockets; put RX and "
				"compare lcores on one socket",
				w->lcore, w->lcore_socket, w->shard, w->shard_socket);
	case COLO_NUMA_W_PORT_UNKNOWN:
		return snprintf(buf, len,
				"port %d: socket unknown on a multi-socket host; its mbuf pool "
				"goes on socket %d (its first RX lcore's, else the main lcore's)",
				w->port, w->port_socket);
	case COLO_NUMA_W_LCORE_UNKNOWN:
		return snprintf(buf, len,
				"lcore %d: its CPUs span sockets (socket unknown); pin each lcore "
				"to CPUs of one socket",
				w->lcore);
	}
	return snprintf(buf, len, "unknown NUMA warning %d", (int)w->kind);
}
