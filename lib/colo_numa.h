/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NUMA placement: from the sockets of the ports and lcores and from which
 * lcore polls which queue and compares which shard, where each port's RX
 * mbuf pool and each shard's connection table go, and what to warn about
 * at start. Pure functions of the topology handed in (no EAL): the caller
 * asks rte_eth_dev_socket_id() and rte_lcore_to_socket_id(), which may
 * answer SOCKET_ID_ANY (a virtual device, an lcore on CPUs of several
 * sockets).
 */
#ifndef COLO_NUMA_H
#define COLO_NUMA_H

#include <stddef.h>
#include <stdint.h>

#include <rte_memory.h>

#define COLO_NUMA_MAX_PORTS 8
#define COLO_NUMA_MAX_SHARDS 64
#define COLO_NUMA_MAX_WARNINGS 64

/** One queue of a port and the lcore that polls (RX) or transmits on (TX) it. */
struct colo_numa_queue {
	unsigned int lcore; /**< index into colo_numa_topo::lcore_socket */
	uint16_t port;	    /**< index into colo_numa_topo::port_socket */
	uint16_t queue;
};

/** What the caller knows; every array belongs to the caller. */
struct colo_numa_topo {
	const int *port_socket;	 /**< by port index: socket, or SOCKET_ID_ANY */
	unsigned int nb_ports;	 /**< 1 .. COLO_NUMA_MAX_PORTS */
	const int *lcore_socket; /**< by lcore id: socket, or SOCKET_ID_ANY */
	unsigned int nb_lcores;	 /**< entries of lcore_socket */
	const struct colo_numa_queue *rx; /**< every polled RX queue */
	unsigned int nb_rx;
	const struct colo_numa_queue *tx; /**< every TX queue in use */
	unsigned int nb_tx;
	const unsigned int *shard_lcore; /**< by shard: its compare lcore */
	unsigned int nb_shards;		 /**< 1 .. COLO_NUMA_MAX_SHARDS */
	/** Socket for what nothing places (no known socket anywhere): the main lcore's. */
	int fallback_socket;
};

enum colo_numa_warning_kind {
	/** An lcore polls an RX queue of a port on another socket. */
	COLO_NUMA_W_RX_REMOTE,
	/** An lcore transmits on a port on another socket. */
	COLO_NUMA_W_TX_REMOTE,
	/** An RX lcore hands frames to a shard whose compare lcore is on another socket. */
	COLO_NUMA_W_SHARD_REMOTE,
	/** A port's socket is unknown on a multi-socket host: its pool follows its first RX lcore. */
	COLO_NUMA_W_PORT_UNKNOWN,
	/** An lcore's socket is unknown (its CPUs span sockets) on a multi-socket host. */
	COLO_NUMA_W_LCORE_UNKNOWN,
};

/** One thing to warn about at start; fields that do not apply are -1. */
struct colo_numa_warning {
	enum colo_numa_warning_kind kind;
	int lcore, lcore_socket;
	int port, queue, port_socket;
	int shard, shard_socket;
};

/** Where things go, and the warnings. */
struct colo_numa_plan {
	/** By port: the socket of the mbuf pool its RX queues take from. */
	int port_pool_socket[COLO_NUMA_MAX_PORTS];
	/** By port: index into pool_socket of that pool. */
	unsigned int port_pool[COLO_NUMA_MAX_PORTS];
	/** The distinct sockets that need an mbuf pool, in order of first use. */
	int pool_socket[COLO_NUMA_MAX_PORTS];
	unsigned int nb_pools;
	/** By shard: the socket of its connection table, rings and context. */
	int shard_table_socket[COLO_NUMA_MAX_SHARDS];
	struct colo_numa_warning warning[COLO_NUMA_MAX_WARNINGS];
	unsigned int nb_warnings;
	unsigned int nb_warnings_dropped; /**< beyond COLO_NUMA_MAX_WARNINGS */
};

/**
 * Place pools and tables for topology @p t into @p plan.
 *
 * A port's pool goes on the port's socket; on its first RX lcore's socket
 * when the port's is unknown; else on the fallback. A shard's table goes on
 * its compare lcore's socket; on the fallback when that is unknown. Remote
 * polling, transmission and hand-off are warned about; unknown sockets
 * only when the known ones span more than one socket (a single-socket host
 * has nothing to place).
 *
 * @return 0, or -EINVAL when @p t is out of range (an index past its array,
 *   no port, no shard, too many).
 */
int colo_numa_plan(const struct colo_numa_topo *t, struct colo_numa_plan *plan);

/**
 * One line for the log: what is remote, what it costs, what to change.
 *
 * @return as snprintf().
 */
int colo_numa_warning_format(const struct colo_numa_warning *w, char *buf, size_t len);

#endif /* COLO_NUMA_H */
