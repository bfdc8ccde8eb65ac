/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checkpoint notify channel, speaking QEMU's notify_dev protocol
 * (lib/colo_notify_proto.h; docs/usage.md, "Checkpoints") on a control
 * thread (ctl/notify.c). Part of the core that the planes talk through: the
 * lead lcore never blocks on it, it posts requests and polls for
 * "checkpoint done" and failover records through atomic counters.
 */
#ifndef COLO_APP_NOTIFY_H
#define COLO_APP_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/** How the notify channel reaches its peer. */
struct colo_notify_conf {
	const char *listen_path;  /**< "unix:PATH" given to --notify, or NULL */
	const char *connect_addr; /**< "unix:PATH" or "tcp:HOST:PORT" for --notify-connect, or NULL */
};

/** Counters of the notify channel; written by its thread, read by anyone. */
struct colo_notify_stats {
	uint64_t requests_sent;	  /**< DO_CHECKPOINT records written */
	uint64_t done_received;	  /**< COLO_CHECKPOINT records received */
	uint64_t init_received;	  /**< COLO_USERSPACE_PROXY_INIT handshakes */
	uint64_t bad_records;	  /**< unknown, oversized or partial records */
	uint64_t connects;	  /**< peers accepted or connections made */
	uint64_t disconnects;	  /**< peers lost */
	uint64_t requests_unsent; /**< requests made while no peer was ready; never queued */
	uint64_t out_dropped;	  /**< pending records dropped because the peer did not read */
	uint64_t peers_refused;	  /**< clients refused because another peer was active */
	uint64_t failover_received; /**< COLO_FAILOVER records from a ready peer */
};

struct colo_notify;

/**
 * Start the channel on a control thread. With both fields of @p conf NULL the
 * channel exists but never has a peer (monitor mode).
 *
 * @return the channel, or NULL with rte_errno set; the error is logged.
 */
struct colo_notify *colo_notify_start(const struct colo_notify_conf *conf);

/** Stop the thread, close the sockets, unlink the listening socket, free. */
void colo_notify_stop(struct colo_notify *n);

/**
 * Whether a peer is connected now and has sent COLO_USERSPACE_PROXY_INIT;
 * only such a peer is sent DO_CHECKPOINT. Safe from any thread.
 */
bool colo_notify_has_peer(const struct colo_notify *n);

/** Ask the thread to send DO_CHECKPOINT. Never blocks; callable from the compare lcore. */
void colo_notify_request(struct colo_notify *n);

/**
 * Number of COLO_CHECKPOINT records received since the previous call.
 * Called by the compare lcore only; never blocks.
 */
uint64_t colo_notify_take_done(struct colo_notify *n);

/**
 * Number of COLO_FAILOVER records received since the previous call.
 * Called by the lcore that owns the failover (one lcore only); never blocks.
 */
uint64_t colo_notify_take_failover(struct colo_notify *n);

/** Copy the channel's counters. Safe from any thread. */
void colo_notify_get_stats(const struct colo_notify *n, struct colo_notify_stats *st);

#endif /* COLO_APP_NOTIFY_H */
