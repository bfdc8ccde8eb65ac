/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compare shards (--compare-lcores N): each shard owns a compare context
 * (its own connection table), one SP/SC ring per RX queue and side, a
 * release ring and an outbound TX queue. RX lcores pick a frame's shard by
 * a symmetric hash of its connection key, so no two lcores ever write the
 * same connection, ring end or counter (rx.c). The lcore layout is in
 * lcores.c.
 */
#include <errno.h>
#include <stdio.h>

#include <rte_errno.h>
#include <rte_ring.h>

#include "colo_log.h"
#include "dp.h"

static int
shard_create(struct colo_app *app, struct colo_shard *sh, const struct colo_params *p)
{
	const unsigned int flags = RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ;
	const int socket = rte_lcore_to_socket_id(sh->lcore);
	char name[RTE_RING_NAMESIZE];
	unsigned int q, side;

	for (q = 0; q < app->nb_rxq; q++) {
		for (side = 0; side < 2; side++) {
			snprintf(name, sizeof(name), "colo_rx%u_%u_%c", sh->id, q,
					side == COLO_SIDE_PRIMARY ? 'p' : 's');
			sh->rx_ring[q][side] =
					rte_ring_create(name, app->opts.ring_size, socket, flags);
			if (sh->rx_ring[q][side] == NULL)
				return -rte_errno;
		}
	}
	/* Holds every mbuf of the pool, so the compare context never finds it full. */
	snprintf(name, sizeof(name), "colo_out%u", sh->id);
	sh->out_ring = rte_ring_create(name, app->opts.nb_mbufs, socket, flags);
	if (sh->out_ring == NULL)
		return -rte_errno;
	snprintf(name, sizeof(name), "colo_s%u", sh->id);
	sh->ctx = colo_ctx_create(name, p, sh->out_ring, &app->stats[sh->lcore], socket);
	if (sh->ctx == NULL)
		return -rte_errno;
	return 0;
}

/**
 * Create the rings and the compare context of every shard planned by
 * colo_lcores_plan(). max_conns is the total: each shard gets its share.
 *
 * @return 0, or -errno (logged); colo_shards_free() undoes a partial setup.
 */
int
colo_shards_create(struct colo_app *app)
{
	struct colo_params p = app->opts.params;
	unsigned int s;
	int ret;

	p.max_conns = RTE_MAX((p.max_conns + app->nb_shards - 1) / app->nb_shards, 8u);
	for (s = 0; s < app->nb_shards; s++) {
		struct colo_shard *sh = &app->shard[s];

		sh->app = app;
		sh->id = s;
		ret = shard_create(app, sh, &p);
		if (ret != 0) {
			COLO_LOG(ERR, app, "cannot create compare shard %u: %s", s,
					rte_strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/** Free every shard's context and rings; the lcores have stopped. */
void
colo_shards_free(struct colo_app *app)
{
	unsigned int s, q;

	for (s = 0; s < app->nb_shards; s++) {
		struct colo_shard *sh = &app->shard[s];

		colo_ctx_free(sh->ctx);
		sh->ctx = NULL;
		for (q = 0; q < COLO_MAX_RXQ; q++) {
			rte_ring_free(sh->rx_ring[q][COLO_SIDE_PRIMARY]);
			rte_ring_free(sh->rx_ring[q][COLO_SIDE_SECONDARY]);
			sh->rx_ring[q][COLO_SIDE_PRIMARY] = NULL;
			sh->rx_ring[q][COLO_SIDE_SECONDARY] = NULL;
		}
		rte_ring_free(sh->out_ring);
		sh->out_ring = NULL;
	}
}

/** Earliest first frame of any RX lcore, or 0 before the first. */
uint64_t
colo_app_first_rx_tsc(struct colo_app *app)
{
	uint64_t first = 0, t;
	unsigned int q;

	for (q = 0; q < app->nb_rxq; q++) {
		t = colo_load_u64(&app->rxq[q].first_rx_tsc);
		if (t != 0 && (first == 0 || t < first))
			first = t;
	}
	return first;
}

/** Latest input of any RX lcore (VM ports or ingress). */
uint64_t
colo_app_last_input_tsc(struct colo_app *app)
{
	uint64_t last = 0;
	unsigned int q;

	for (q = 0; q < app->nb_rxq; q++)
		last = RTE_MAX(last, colo_load_u64(&app->rxq[q].last_input_tsc));
	return last;
}

/** Latest release of any shard. */
uint64_t
colo_app_last_release_tsc(struct colo_app *app)
{
	uint64_t last = 0;
	unsigned int s;

	for (s = 0; s < app->nb_shards; s++)
		last = RTE_MAX(last, colo_load_u64(&app->shard[s].last_release_tsc));
	return last;
}
