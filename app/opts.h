/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The options every plane reads: struct colo_opts and the enums of its
 * fields. The control plane (ctl/config.c, ctl/args.c) fills it from the
 * defaults, the INI file and the command line on the main lcore before
 * EAL starts; nothing writes it after that.
 */
#ifndef COLO_APP_OPTS_H
#define COLO_APP_OPTS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>

#include "colo_params.h"

/**
 * A port slot: the index into colo_app.port[]. These are the primary
 * role's names; the secondary role names the same slots after what it
 * connects (secondary/secondary.h: svm, link, outbound).
 */
enum colo_role {
	COLO_ROLE_PRIMARY = 0,
	COLO_ROLE_SECONDARY = 1,
	COLO_ROLE_OUTBOUND = 2,
	COLO_ROLE_MAX,
};

/** What this host's proxy does (--role). */
enum colo_host_role {
	COLO_HOST_PRIMARY = 0,	 /**< compare and release (the default) */
	COLO_HOST_SECONDARY = 1, /**< map the SVM's TCP sequence numbers (secondary/) */
};

/** What to do with a checkpoint request while no notify peer is connected. */
enum colo_no_peer_policy {
	COLO_NO_PEER_FLUSH = 0, /**< monitor mode: flush at once, traffic keeps flowing */
	COLO_NO_PEER_HOLD = 1,	/**< keep the queues until a peer answers */
};

/** Every option; ctl/config.c fills it from defaults, then the INI file, then the CLI. */
struct colo_opts {
	char port[COLO_ROLE_MAX][RTE_ETH_NAME_MAX_LEN]; /**< port id or device name */
	bool ingress_mirror;
	struct colo_params params;
	char notify[PATH_MAX];	       /**< "unix:PATH" to listen on, or "" */
	char notify_connect[PATH_MAX]; /**< "unix:PATH" or "tcp:HOST:PORT", or "" */
	uint32_t no_peer_policy;       /**< enum colo_no_peer_policy */
	uint32_t exit_on_idle_ms;      /**< 0: never */
	char stats_json[PATH_MAX];     /**< "" for none */
	uint32_t nb_mbufs;
	uint32_t ring_size;	    /**< slots of each RX -> compare ring */
	uint32_t compare_lcores;    /**< compare shards (dp/shard.c) */
	uint32_t role;		    /**< enum colo_host_role */
	char svm[RTE_ETH_NAME_MAX_LEN];	 /**< secondary role: the SVM's port */
	char link[RTE_ETH_NAME_MAX_LEN]; /**< secondary role: the link to the primary host */
	bool link_syn_mirror;	    /**< primary role: PVM SYN copies over the link (dp/link.c) */
	char link_key[PATH_MAX];    /**< key file of the link's authenticator, "" for none */
	char link_peer_mac[32];	    /**< secondary role: source MAC of control frames, "" any */
	char bypass[4096];	    /**< bypass rule list (ctl/bypass.c), "" for none */
	uint32_t rewrite_hold_ms;   /**< secondary role: longest hold of an unmapped SVM frame */
	uint32_t rewrite_idle_timeout_ms; /**< secondary role: idle rewriter entries go after */
	char divergence_pcap[PATH_MAX];	   /**< divergence capture file (obs/divergence.c), "" for none */
	uint32_t divergence_max_bytes;	   /**< cap on its size */
	uint32_t divergence_context;	   /**< earlier frames per side with each pair */
	uint32_t divergence_snaplen;	   /**< bytes kept of each frame */
	char config_file[PATH_MAX]; /**< --config, for /colo/config */
};

#endif /* COLO_APP_OPTS_H */
