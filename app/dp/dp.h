/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane: worker lcores (lcores.c), RX and shard dispatch (rx.c),
 * the compare step with the bypass filter (compare.c), the checkpoint
 * hand-off (checkpoint.c), TX of released primaries (tx.c), the ingress
 * mirror (ingress.c), the link between the two hosts (link.c), the
 * failover switch (failover.c) and the compare shards (shard.c). Frames go
 * one way: port -> RX lcore -> SP/SC ring -> compare lcore -> release ring
 * -> TX. These files include only this header, burst.h, app.h and libcolo.
 */
#ifndef COLO_APP_DP_H
#define COLO_APP_DP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "app.h"

/* lcores.c */
/**
 * Choose the layout from the worker lcores (run to completion, or RX and
 * compare lcores). Runs before the shards are created; ctl/ports.c may
 * lower nb_rxq to the RX queues the VM ports have.
 *
 * @return 0, or -EINVAL when there are fewer workers than compare lcores.
 */
int colo_lcores_plan(struct colo_app *app);
/** Launch the primary role's RX and compare lcores. */
void colo_lcores_launch(struct colo_app *app);
/** Stop every RX, let the compare lcores drain and transmit, and wait for all. */
void colo_lcores_stop(struct colo_app *app);

/* shard.c */
int colo_shards_create(struct colo_app *app);
void colo_shards_free(struct colo_app *app);
/** Earliest first frame of any RX lcore, or 0 before the first; any thread. */
uint64_t colo_app_first_rx_tsc(struct colo_app *app);
/** Latest input of any RX lcore (VM ports or ingress); any thread. */
uint64_t colo_app_last_input_tsc(struct colo_app *app);
/** Latest release of any shard; any thread. */
uint64_t colo_app_last_release_tsc(struct colo_app *app);

/* rx.c */
unsigned int colo_lcore_rx_poll(struct colo_rxq *rxq, struct colo_stats *st);
int colo_lcore_rx_run(void *arg);

/* ingress.c */
unsigned int colo_ingress_poll(struct colo_rxq *rxq, struct colo_stats *st);

/* compare.c */
unsigned int colo_lcore_compare_poll(struct colo_shard *sh, struct colo_stats *st,
		uint64_t now_tsc);
void colo_lcore_compare_finish(struct colo_shard *sh, struct colo_stats *st);
int colo_lcore_compare_run(void *arg);

/* checkpoint.c */
void colo_checkpoint_poll(struct colo_shard *sh, uint64_t now_tsc);

/* tx.c */
void colo_tx_poll(struct colo_shard *sh, struct colo_stats *st, uint64_t now_tsc);
void colo_tx_finish(struct colo_shard *sh, struct colo_stats *st);

/* failover.c */
bool colo_failover_due(struct colo_app *app);
void colo_failover_done(struct colo_app *app, struct colo_stats *st);
int colo_failover_primary_poll(struct colo_shard *sh, struct colo_stats *st, uint64_t now_tsc);

/* link.c */
/** What a frame received on the link is (secondary role). */
enum colo_link_kind {
	COLO_LINK_CLIENT = 0, /**< a mirrored client frame, as it was */
	COLO_LINK_PVM = 1,    /**< a copy of a PVM frame, encapsulation stripped */
	COLO_LINK_BAD = 2,    /**< our ethertype, refused and counted: the caller frees it */
};
int colo_link_init(struct colo_app *app);
void colo_link_fini(struct colo_app *app);
unsigned int colo_link_filter_clients(struct colo_app *app, struct rte_mbuf **pkts,
		unsigned int nb, struct colo_stats *st);
void colo_link_syn_mirror(struct colo_rxq *rxq, struct rte_mbuf *const *pkts, unsigned int nb,
		struct colo_stats *st);
enum colo_link_kind colo_link_decap(struct colo_app *app, struct rte_mbuf *m,
		struct colo_stats *st);

#endif /* COLO_APP_DP_H */
