/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checkpoint policy, on the compare lcore after every compare step: send a
 * new request to the notify peer, flush when the peer reports a checkpoint
 * done, and decide what a request means while no peer is connected. The
 * socket I/O itself is on the notify control thread (notify.c).
 */
#include <inttypes.h>

#include "app.h"
#include "colo_log.h"

static void
flush(struct colo_app *app, uint64_t now_tsc)
{
	colo_ctx_flush(app->ctx, now_tsc);
	app->ckpt.sent = false;
}

/** Act on checkpoint requests and "done" records; compare lcore. */
void
colo_checkpoint_poll(struct colo_app *app, uint64_t now_tsc)
{
	struct colo_ckpt *ck = colo_ctx_ckpt(app->ctx);
	struct colo_ckpt_state *cs = &app->ckpt;
	struct colo_notify_stats nst;
	uint64_t nb;

	/* COLO_CHECKPOINT: the VMs are in sync again, whatever we asked for. */
	if (colo_notify_take_done(app->notify) != 0)
		flush(app, now_tsc);
	if (!colo_ckpt_outstanding(ck))
		return;

	nb = colo_ckpt_nb_requests(ck);
	if (nb != cs->seen_requests) {
		cs->seen_requests = nb;
		cs->sent = false;
	}
	if (colo_notify_has_peer(app->notify)) {
		/* A peer that connected after we sent has not seen the request. */
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
		flush(app, now_tsc);
	}
}
