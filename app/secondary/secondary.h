/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The secondary role (--role secondary): the proxy beside the SVM, on one
 * lcore. It names the port slots of colo_app.port[] after what they
 * connect: the SVM, the link to the primary host, and the clients
 * (outbound, used after a failover).
 */
#ifndef COLO_APP_SECONDARY_H
#define COLO_APP_SECONDARY_H

#include <stdint.h>

#include "app.h"
#include "colo_rewriter.h"

/** Port slots in the secondary role (--svm, --link, --outbound). */
enum colo_sec_port {
	COLO_SEC_SVM = COLO_ROLE_PRIMARY,	/**< the SVM's port */
	COLO_SEC_LINK = COLO_ROLE_SECONDARY,	/**< the link to the primary host's proxy */
	COLO_SEC_OUTBOUND = COLO_ROLE_OUTBOUND, /**< the clients, after a failover */
};

/**
 * Create the rewriter. Main lcore, after the ports.
 *
 * @return 0, or -errno (logged).
 */
int colo_secondary_init(struct colo_app *app);
/** Run the secondary role on the first worker lcore; the others stay idle. */
void colo_secondary_launch(struct colo_app *app);
/** Free the rewriter; the lcore has stopped and telemetry is closed. */
void colo_secondary_fini(struct colo_app *app);
/** Copy the rewriter's counters into @p ctr (zeros in the primary role); any thread. */
void colo_secondary_rewriter_ctrs(const struct colo_app *app, uint64_t ctr[COLO_RW_CTR_MAX]);

#endif /* COLO_APP_SECONDARY_H */
