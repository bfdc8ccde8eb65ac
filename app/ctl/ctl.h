/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane: options (args.c, config.c), ports (ports.c), the main
 * lcore's housekeeping loop (housekeeping.c), the notify channel's thread
 * (notify.c; its interface is notify.h), and the run-time controls: bypass
 * rules (bypass.c) and failover requests (failover.c). Runs on the main
 * lcore and on control threads; never on the data-plane lcores.
 */
#ifndef COLO_APP_CTL_H
#define COLO_APP_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "app.h"
#include "colo_log.h"

/** Kind of value a configuration key holds. */
enum colo_key_type {
	COLO_KEY_U32,
	COLO_KEY_BOOL,
	COLO_KEY_STR,
	COLO_KEY_POLICY,
	COLO_KEY_ROLE,
};

/** One configuration key: the single table behind the CLI, the INI file, --help and telemetry. */
struct colo_config_key {
	const char *section; /**< INI section */
	const char *name;    /**< INI key; the CLI option is --name with '_' as '-' */
	enum colo_key_type type;
	size_t off;	    /**< offset of the value in struct colo_opts */
	size_t size;	    /**< COLO_KEY_STR: buffer size */
	uint32_t min, max;  /**< COLO_KEY_U32: accepted range */
	const char *arg;    /**< placeholder in --help ("MS", "N", "PORT") */
	const char *defval; /**< default as text, applied through the same parser */
	const char *help;
};

/* config.c */
extern const struct colo_config_key colo_config_keys[];
extern const unsigned int colo_config_nb_keys;
void colo_config_defaults(struct colo_opts *o);
int colo_config_set(struct colo_opts *o, const struct colo_config_key *k, const char *value,
		char *err, size_t err_len);
int colo_config_load(struct colo_opts *o, const char *path, char *err, size_t err_len);
int colo_config_check(const struct colo_opts *o, char *err, size_t err_len);
void colo_config_format(
		const struct colo_opts *o, const struct colo_config_key *k, char *buf, size_t len);

/* args.c */
int colo_args_parse(int argc, char **argv, struct colo_opts *o);
bool colo_args_want_help(int argc, char **argv);
bool colo_args_want_version(int argc, char **argv);
void colo_args_usage(FILE *f, const char *prog);

/* ports.c */
/** What the port-drop log lines last saw; the housekeeping loop owns one. */
struct colo_ports_watch {
	struct colo_log_limit limit; /**< one look a second: interval_tsc = TSC hz, burst = 1 */
	uint64_t last_nombuf[COLO_ROLE_MAX];
	uint64_t last_missed[COLO_ROLE_MAX];
	uint64_t last_ring;
};
int colo_ports_init(struct colo_app *app);
void colo_ports_log_links(struct colo_app *app, struct colo_ports_watch *w);
void colo_ports_fini(struct colo_app *app);
/** Name of port slot @p r in this host's role: primary/secondary/outbound, or svm/link/outbound. */
const char *colo_ports_role_name(const struct colo_app *app, enum colo_role r);

/* housekeeping.c */
void colo_housekeeping_signals(void);
void colo_housekeeping_run(struct colo_app *app);

/* bypass.c */
int colo_bypass_check(const char *text, char *err, size_t err_len);
int colo_bypass_init(struct colo_app *app);
void colo_bypass_fini(struct colo_app *app);

/* failover.c */
int colo_failover_request(struct colo_app *app);
int colo_failover_telemetry_init(void);

/* trust.c */
void colo_trust_runtime_dir(void);

#endif /* COLO_APP_CTL_H */
