/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checkpoint policy, after every compare step. The lcore of shard 0 speaks
 * for the application: it sends one request to the notify peer for all
 * shards, orders a flush when the peer reports a checkpoint done, and
 * decides what a request means while no peer is connected. Every shard
 * applies each ordered flush to its own context. The socket I/O itself is
 * on the notify control thread (ctl/notify.c); this side only touches the
 * channel's atomics (notify.h).
 */
#include <inttypes.h>

#include "colo_log.h"
#include "dp.h"

/* Lcore of shard 0: every shard flushes once it sees the new generation. */
static void
order_flush(struct colo_app *app)
{
	__atomic_store_n(&app->flush_gen, app->flush_gen + 1, __ATOMIC_RELEASE);
	app->ckpt.sent = false;
}

/*
 * Requests of every shard: outstanding if any is, and how many were issued.
 * A shard that has not applied the last ordered flush yet still shows the
 * request that flush answers: it is not asked for again.
 */
static bool
outstanding(struct colo_app *app, uint64_t *nb)
{
	uint64_t gen = app->flush_gen;
	bool any = false;
	unsigned int s;

	*nb = 0;
	for (s = 0; s < app->nb_shards; s++) {
		const struct colo_ckpt *ck = colo_ctx_ckpt(app->shard[s].ctx);

		*nb += colo_ckpt_nb_requests(ck);
		if (__atomic_load_n(&app->shard[s].flush_seen, __ATOMIC_ACQUIRE) == gen)
			any |= colo_ckpt_outstanding(ck);
	}
	return any;
}

/* Lcore of shard 0: act on "done" records and on outstanding requests. */
static void
lead(struct colo_app *app)
{
	struct colo_ckpt_state *cs = &app->ckpt;
	uint64_t nb;

	/* COLO_CHECKPOINT: the VMs are in sync again, whatever we asked for. */
	if (colo_notify_take_done(app->notify) != 0)
		order_flush(app);
	if (!outstanding(app, &nb))
		return;
	if (colo_notify_has_peer(app->notify)) {
		/*
		 * One DO_CHECKPOINT per round, whichever shards asked: a flush
		 * starts the next round. A peer that connected after we sent
		 * has not seen the request.
		 */
		struct colo_notify_stats nst;

		colo_notify_get_stats(app->notify, &nst);
		if (!cs->sent || cs->sent_peer != nst.connects) {
			colo_notify_request(app->notify);
			cs->sent = true;
			cs->sent_peer = nst.connects;
			COLO_LOG(INFO, app,
					"checkpoint request %" PRIu64 " sent to the notify peer",
					nb);
		}
	} else if (app->opts.no_peer_policy == COLO_NO_PEER_FLUSH) {
		/* Monitor mode: keep traffic flowing; the request stays in the history. */
		order_flush(app);
	}
}

/** Act on checkpoint requests and "done" records; the compare lcore of @p sh. */
void
colo_checkpoint_poll(struct colo_shard *sh, uint64_t now_tsc)
{
	struct colo_app *app = sh->app;
	uint64_t gen;

	if (sh->id == 0)
		lead(app);
	gen = __atomic_load_n(&app->flush_gen, __ATOMIC_ACQUIRE);
	if (gen != sh->flush_seen) {
		colo_ctx_flush(sh->ctx, now_tsc);
		/* After the flush: shard 0 then sees only requests made since. */
		__atomic_store_n(&sh->flush_seen, gen, __ATOMIC_RELEASE);
	}
}
