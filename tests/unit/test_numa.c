/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit suite of lib/colo_numa.c on fake topologies (these machines have one
 * NUMA node): pools on the ports' sockets, tables on the compare lcores',
 * the warnings for remote polling, transmission and hand-off, and
 * SOCKET_ID_ANY for ports and lcores. Needs no EAL.
 */
#include <errno.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include <rte_common.h>

#include "colo_numa.h"
#include "unit.h"

/* Ports: 0 primary, 1 secondary, 2 outbound. */
static int port_socket[3];
/* Lcores 0 .. 7; 0 is the main lcore. */
static int lcore_socket[8];
static struct colo_numa_queue rx[8], tx[8];
static unsigned int shard_lcore[4];
static struct colo_numa_topo topo;
static struct colo_numa_plan plan;

/* Every port and lcore on socket 0; lcore 1 polls queue 0 of ports 0 and 1,
 * compares shard 0 and transmits on queue 0 of port 2 (run to completion). */
static void
topo_reset(void)
{
	memset(port_socket, 0, sizeof(port_socket));
	memset(lcore_socket, 0, sizeof(lcore_socket));
	rx[0] = (struct colo_numa_queue){ .lcore = 1, .port = 0, .queue = 0 };
	rx[1] = (struct colo_numa_queue){ .lcore = 1, .port = 1, .queue = 0 };
	tx[0] = (struct colo_numa_queue){ .lcore = 1, .port = 2, .queue = 0 };
	shard_lcore[0] = 1;
	topo = (struct colo_numa_topo){
		.port_socket = port_socket,
		.nb_ports = 3,
		.lcore_socket = lcore_socket,
		.nb_lcores = 8,
		.rx = rx,
		.nb_rx = 2,
		.tx = tx,
		.nb_tx = 1,
		.shard_lcore = shard_lcore,
		.nb_shards = 1,
		.fallback_socket = 0,
	};
}

/* Warnings of @p kind in the plan. */
static unsigned int
count(enum colo_numa_warning_kind kind)
{
	unsigned int i, n = 0;

	for (i = 0; i < plan.nb_warnings; i++)
		n += plan.warning[i].kind == kind;
	return n;
}

static const struct colo_numa_warning *
find(enum colo_numa_warning_kind kind)
{
	unsigned int i;

	for (i = 0; i < plan.nb_warnings; i++)
		if (plan.warning[i].kind == kind)
			return &plan.warning[i];
	return NULL;
}

static void
test_one_socket(void)
{
	topo_reset();
	CU_ASSERT_EQUAL_FATAL(colo_numa_plan(&topo, &plan), 0);
	CU_ASSERT_EQUAL(plan.nb_warnings, 0);
	CU_ASSERT_EQUAL(plan.nb_pools, 1);
	CU_ASSERT_EQUAL(plan.pool_socket[0], 0);
	CU_ASSERT_EQUAL(plan.port_pool_socket[0], 0);
	CU_ASSERT_EQUAL(plan.port_pool_socket[1], 0);
	CU_ASSERT_EQUAL(plan.port_pool[1], 0);
	CU_ASSERT_EQUAL(plan.shard_table_socket[0], 0);
}

/* A single-socket host whose virtual devices answer SOCKET_ID_ANY: nothing to warn. */
static void
test_one_socket_vdevs(void)
{
	topo_reset();
	port_socket[0] = port_socket[1] = port_socket[2] = SOCKET_ID_ANY;
	CU_ASSERT_EQUAL_FATAL(colo_numa_plan(&topo, &plan), 0);
	CU_ASSERT_EQUAL(plan.nb_warnings, 0);
	CU_ASSERT_EQUAL(plan.port_pool_socket[0], 0);
	CU_ASSERT_EQUAL(plan.port_pool_socket[2], 0);
	CU_ASSERT_EQUAL(plan.nb_pools, 1);
}

/* Two sockets, each VM port on its own, polled from socket 1 lcores. */
static void
test_pools_follow_ports(void)
{
	const struct colo_numa_warning *w;
	char line[256];

	topo_reset();
	port_socket[0] = 0;
	port_socket[1] = 1;
	port_socket[2] = 1;
	lcore_socket[1] = 1;
	CU_ASSERT_EQUAL_FATAL(colo_numa_plan(&topo, &plan), 0);
	CU_ASSERT_EQUAL(plan.port_pool_socket[0], 0);
	CU_ASSERT_EQUAL(plan.port_pool_socket[1], 1);
	CU_ASSERT_EQUAL(plan.port_pool_socket[2], 1);
	CU_ASSERT_EQUAL(plan.nb_pools, 2);
	CU_ASSERT_EQUAL(plan.pool_socket[plan.port_pool[0]], 0);
	CU_ASSERT_EQUAL(plan.pool_socket[plan.port_pool[1]], 1);
	CU_ASSERT_EQUAL(plan.port_pool[1], plan.port_pool[2]);
	CU_ASSERT_EQUAL(plan.shard_table_socket[0], 1);
	/* Lcore 1 polls port 0, which is on socket 0: one warning, nothing else. */
	CU_ASSERT_EQUAL(plan.nb_warnings, 1);
	w = find(COLO_NUMA_W_RX_REMOTE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(w->lcore, 1);
	CU_ASSERT_EQUAL(w->lcore_socket, 1);
	CU_ASSERT_EQUAL(w->port, 0);
	CU_ASSERT_EQUAL(w->queue, 0);
	CU_ASSERT_EQUAL(w->port_socket, 0);
	CU_ASSERT(colo_numa_warning_format(w, line, sizeof(line)) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "lcore 1 (socket 1) polls port 0 queue 0 on socket 0"));
}

/* Split layout: RX lcores 1 (socket 0) and 2 (socket 1), shards on lcores 3 (0) and 4 (1). */
static void
test_split_shards(void)
{
	unsigned int i, n;

	topo_reset();
	port_socket[0] = port_socket[1] = port_socket[2] = 0;
	lcore_socket[1] = 0;
	lcore_socket[2] = 1;
	lcore_socket[3] = 0;
	lcore_socket[4] = 1;
	rx[0] = (struct colo_numa_queue){ .lcore = 1, .port = 0, .queue = 0 };
	rx[1] = (struct colo_numa_queue){ .lcore = 1, .port = 1, .queue = 0 };
	rx[2] = (struct colo_numa_queue){ .lcore = 2, .port = 0, .queue = 1 };
	rx[3] = (struct colo_numa_queue){ .lcore = 2, .port = 1, .queue = 1 };
	topo.nb_rx = 4;
	tx[0] = (struct colo_numa_queue){ .lcore = 3, .port = 2, .queue = 0 };
	tx[1] = (struct colo_numa_queue){ .lcore = 4, .port = 2, .queue = 1 };
	topo.nb_tx = 2;
	shard_lcore[0] = 3;
	shard_lcore[1] = 4;
	topo.nb_shards = 2;
	CU_ASSERT_EQUAL_FATAL(colo_numa_plan(&topo, &plan), 0);
	CU_ASSERT_EQUAL(plan.shard_table_socket[0], 0);
	CU_ASSERT_EQUAL(plan.shard_table_socket[1], 1);
	CU_ASSERT_EQUAL(plan.nb_pools, 1);
	/* Lcore 2 polls two queues of socket-0 ports: one warning per port, not per queue side. */
	CU_ASSERT_EQUAL(count(COLO_NUMA_W_RX_REMOTE), 2);
	CU_ASSERT_EQUAL(count(COLO_NUMA_W_TX_REMOTE), 1);
	CU_ASSERT_EQUAL(find(COLO_NUMA_W_TX_REMOTE)->lcore, 4);
	/* RX 1 -> shard 1 and RX 2 -> shard 0 cross sockets. */
	CU_ASSERT_EQUAL(count(COLO_NUMA_W_SHARD_REMOTE), 2);
	for (i = 0, n = 0; i < plan.nb_warnings; i++) {
		const struct colo_numa_warning *w = &plan.warning[i];

		if (w->kind != COLO_NUMA_W_SHARD_REMOTE)
			continue;
		CU_ASSERT_NOT_EQUAL(w->lcore_socket, w->shard_socket);
		CU_ASSERT((w->lcore == 1 && w->shard == 1) || (w->lcore == 2 && w->shard == 0));
		n++;
	}
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(plan.nb_warnings, 5);
}

/* Two sockets; a vhost port with no socket takes its pool from its RX lcore's socket. */
static void
test_port_any_multi_socket(void)
{
	const struct colo_numa_warning *w;

	topo_reset();
	port_socket[0] = SOCKET_ID_ANY;
	port_socket[1] = 1;
	port_socket[2] = 1;
	lcore_socket[1] = 1;
	topo.fallback_socket = 0;
	CU_ASSERT_EQUAL_FATAL(colo_numa_plan(&topo, &plan), 0);
	CU_ASSERT_EQUAL(plan.port_pool_socket[0], 1);
	CU_ASSERT_EQUAL(plan.nb_pools, 1);
	/* Only socket 1 is known anywhere: a single-socket view, no warning. */
	CU_ASSERT_EQUAL(plan.nb_warnings, 0);

	port_socket[2] = 0; /* now two sockets are known */
	CU_ASSERT_EQUAL_FATAL(colo_numa_plan(&topo, &plan), 0);
	CU_ASSERT_EQUAL(plan.port_pool_socket[0], 1);
	w = find(COLO_NUMA_W_PORT_UNKNOWN);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(w->port, 0);
	CU_ASSERT_EQUAL(w->port_socket, 1);
	CU_ASSERT_EQUAL(count(COLO_NUMA_W_TX_REMOTE), 1);
	CU_ASSERT_EQUAL(plan.nb_pools, 2);
}

/* A port nobody polls and whose socket is unknown: the fallback socket. */
static void
test_port_any_unpolled(void)
{
	topo_reset();
	port_socket[2] = SOCKET_ID_ANY;
	topo.fallback_socket = 3;
	CU_ASSERT_EQUAL_FATAL(colo_numa_plan(&topo, &plan), 0);
	CU_ASSERT_EQUAL(plan.port_pool_socket[2], 3);
	CU_ASSERT_EQUAL(plan.nb_pools, 2);
	CU_ASSERT_EQUAL(plan.pool_socket[plan.port_pool[2]], 3);
}

/* An lcore whose CPUs span sockets. */
static void
test_lcore_any(void)
{
	const struct colo_numa_warning *w;

	topo_reset();
	lcore_socket[1] = SOCKET_ID_ANY;
	topo.fallback_socket = 0;
	/* One socket known: the table follows the fallback, nothing to say. */
	CU_ASSERT_EQUAL_FATAL(colo_numa_plan(&topo, &plan), 0);
	CU_ASSERT_EQUAL(plan.shard_table_socket[0], 0);
	CU_ASSERT_EQUAL(plan.nb_warnings, 0);

	port_socket[1] = 1;
	topo.fallback_socket = 1;
	CU_ASSERT_EQUAL_FATAL(colo_numa_plan(&topo, &plan), 0);
	CU_ASSERT_EQUAL(plan.shard_table_socket[0], 1);
	CU_ASSERT_EQUAL(count(COLO_NUMA_W_LCORE_UNKNOWN), 1);
	w = find(COLO_NUMA_W_LCORE_UNKNOWN);
	CU_ASSERT_EQUAL(w->lcore, 1);
	/* Nothing remote can be told about an lcore of no socket. */
	CU_ASSERT_EQUAL(count(COLO_NUMA_W_RX_REMOTE), 0);
	CU_ASSERT_EQUAL(count(COLO_NUMA_W_SHARD_REMOTE), 0);
}

static void
test_invalid(void)
{
	topo_reset();
	CU_ASSERT_EQUAL(colo_numa_plan(NULL, &plan), -EINVAL);
	CU_ASSERT_EQUAL(colo_numa_plan(&topo, NULL), -EINVAL);
	rx[1].port = 3;
	CU_ASSERT_EQUAL(colo_numa_plan(&topo, &plan), -EINVAL);
	topo_reset();
	rx[0].lcore = 8;
	CU_ASSERT_EQUAL(colo_numa_plan(&topo, &plan), -EINVAL);
	topo_reset();
	tx[0].port = 7;
	CU_ASSERT_EQUAL(colo_numa_plan(&topo, &plan), -EINVAL);
	topo_reset();
	shard_lcore[0] = 9;
	CU_ASSERT_EQUAL(colo_numa_plan(&topo, &plan), -EINVAL);
	topo_reset();
	topo.nb_shards = 0;
	CU_ASSERT_EQUAL(colo_numa_plan(&topo, &plan), -EINVAL);
	topo_reset();
	topo.nb_ports = COLO_NUMA_MAX_PORTS + 1;
	CU_ASSERT_EQUAL(colo_numa_plan(&topo, &plan), -EINVAL);
	topo_reset();
	CU_ASSERT_EQUAL(colo_numa_plan(&topo, &plan), 0);
}

/* More remote queues than warnings fit: the rest are counted, not lost silently. */
static void
test_warning_overflow(void)
{
	static struct colo_numa_queue many[COLO_NUMA_MAX_WARNINGS + 8];
	static int sockets[COLO_NUMA_MAX_WARNINGS + 9];
	unsigned int i;

	topo_reset();
	for (i = 0; i < RTE_DIM(many); i++) {
		sockets[i + 1] = 1;
		many[i] = (struct colo_numa_queue){ .lcore = i + 1, .port = 0, .queue = 0 };
	}
	topo.lcore_socket = sockets;
	topo.nb_lcores = RTE_DIM(sockets);
	topo.rx = many;
	topo.nb_rx = RTE_DIM(many);
	topo.nb_tx = 0;
	shard_lcore[0] = 0;
	CU_ASSERT_EQUAL_FATAL(colo_numa_plan(&topo, &plan), 0);
	CU_ASSERT_EQUAL(plan.nb_warnings, COLO_NUMA_MAX_WARNINGS);
	CU_ASSERT(plan.nb_warnings_dropped > 0);
}

static void
test_format_every_kind(void)
{
	static const enum colo_numa_warning_kind kinds[] = {
		COLO_NUMA_W_RX_REMOTE,
		COLO_NUMA_W_TX_REMOTE,
		COLO_NUMA_W_SHARD_REMOTE,
		COLO_NUMA_W_PORT_UNKNOWN,
		COLO_NUMA_W_LCORE_UNKNOWN,
	};
	struct colo_numa_warning w = { .lcore = 5, .port = 1, .shard = 2 };
	char line[256];
	unsigned int i;

	for (i = 0; i < RTE_DIM(kinds); i++) {
		w.kind = kinds[i];
		CU_ASSERT(colo_numa_warning_format(&w, line, sizeof(line)) > 0);
		CU_ASSERT_PTR_NULL(strstr(line, "unknown NUMA warning"));
	}
}

static const struct unit_case cases[] = {
	{ "one socket", test_one_socket },
	{ "one socket, vdevs of no socket", test_one_socket_vdevs },
	{ "pools follow ports", test_pools_follow_ports },
	{ "split layout, shards on two sockets", test_split_shards },
	{ "port of no socket, two sockets", test_port_any_multi_socket },
	{ "port of no socket, not polled", test_port_any_unpolled },
	{ "lcore of no socket", test_lcore_any },
	{ "invalid topologies", test_invalid },
	{ "warning overflow", test_warning_overflow },
	{ "format every kind", test_format_every_kind },
};

int
main(void)
{
	return unit_run("numa", cases, RTE_DIM(cases));
}
