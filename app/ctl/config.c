/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration key table and its parsers. One table feeds the
 * defaults, the INI file (rte_cfgfile), the command line (args.c), --help
 * and /colo/config, so a key is added in one place. Keys keep QEMU's
 * colo-compare names where QEMU has the knob.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_cfgfile.h>
#include <rte_common.h>

#include "colo_bypass.h"
#include "colo_rewriter.h"
#include "ctl.h"

#define OPT(f) offsetof(struct colo_opts, f), sizeof(((struct colo_opts *)0)->f)
#define PARAM(f) offsetof(struct colo_opts, params.f), sizeof(((struct colo_opts *)0)->params.f)

/* Mbufs: RX descriptors of three ports, both RX rings and the connection queues. */
#define DEFAULT_NB_MBUFS 16383
#define DEFAULT_RING_SIZE 4096

const struct colo_config_key colo_config_keys[] = {
	{ "ports", "primary", COLO_KEY_STR, OPT(port[COLO_ROLE_PRIMARY]), 0, 0, "PORT", "0",
			"port of the primary VM (id or device name, e.g. net_vhost0)" },
	{ "ports", "secondary", COLO_KEY_STR, OPT(port[COLO_ROLE_SECONDARY]), 0, 0, "PORT", "1",
			"port of the secondary VM (frames from the secondary host)" },
	{ "ports", "outbound", COLO_KEY_STR, OPT(port[COLO_ROLE_OUTBOUND]), 0, 0, "PORT", "2",
			"port towards the clients: released primaries leave here" },
	{ "ports", "ingress_mirror", COLO_KEY_BOOL, OPT(ingress_mirror), 0, 0, "BOOL", "on",
			"send outbound-port RX to the primary and a clone to the secondary" },
	{ "ports", "role", COLO_KEY_ROLE, OPT(role), 0, 0, "primary|secondary", "primary",
			"this host's proxy: compare and release (primary), or map the SVM's "
			"TCP sequence numbers beside it (secondary)" },
	{ "ports", "svm", COLO_KEY_STR, OPT(svm), 0, 0, "PORT", "0",
			"secondary role: port of the SVM (vhost-user)" },
	{ "ports", "link", COLO_KEY_STR, OPT(link), 0, 0, "PORT", "1",
			"secondary role: port towards the primary host's proxy (its --secondary)" },
	{ "ports", "link_syn_mirror", COLO_KEY_BOOL, OPT(link_syn_mirror), 0, 0, "BOOL", "off",
			"primary role: send copies of the PVM's SYN and SYN-ACK frames to a "
			"secondary-role proxy over the secondary port" },
	{ "ports", "link_key", COLO_KEY_STR, OPT(link_key), 0, 0, "FILE", "",
			"key of the link's control frames (64 hex digits, mode 0600), the same "
			"file on both hosts; without it the link must be private "
			"(docs/security.md)" },
	{ "ports", "link_peer_mac", COLO_KEY_STR, OPT(link_peer_mac), 0, 0, "MAC", "",
			"secondary role: take link control frames only from this source MAC "
			"(the primary's link port)" },
	{ "compare", "compare_timeout", COLO_KEY_U32, PARAM(compare_timeout_ms), 1, UINT32_MAX,
			"MS", RTE_STR(COLO_DEFAULT_COMPARE_TIMEOUT_MS),
			"age at which an unmatched frame triggers a checkpoint" },
	{ "compare", "expired_scan_cycle", COLO_KEY_U32, PARAM(expired_scan_cycle_ms), 1,
			UINT32_MAX, "MS", RTE_STR(COLO_DEFAULT_SCAN_CYCLE_MS),
			"period of the timeout and connection aging scan" },
	{ "compare", "max_queue", COLO_KEY_U32, PARAM(max_queue), 1, UINT32_MAX, "N",
			RTE_STR(COLO_DEFAULT_MAX_QUEUE), "frames queued per connection and side" },
	{ "compare", "max_conns", COLO_KEY_U32, PARAM(max_conns), 8, UINT32_MAX, "N",
			RTE_STR(COLO_DEFAULT_MAX_CONNS), "size of the connection table" },
	{ "compare", "idle_timeout", COLO_KEY_U32, PARAM(idle_timeout_ms), 1, UINT32_MAX, "MS",
			RTE_STR(COLO_DEFAULT_IDLE_TIMEOUT_MS),
			"an idle, empty connection is removed after" },
	{ "compare", "closing_timeout", COLO_KEY_U32, PARAM(closing_timeout_ms), 1, UINT32_MAX,
			"MS", RTE_STR(COLO_DEFAULT_CLOSING_TIMEOUT_MS),
			"a finished (FIN/RST) connection lingers this long" },
	{ "compare", "compare_nonip", COLO_KEY_BOOL, PARAM(compare_nonip), 0, 0, "BOOL", "off",
			"compare non-IP frames instead of passing primaries through" },
	{ "compare", "bypass", COLO_KEY_STR, OPT(bypass), 0, 0, "RULES", "",
			"flows sent uncompared: rules separated by ';', e.g. "
			"proto=tcp,dport=5000-5100;proto=udp,dst=10.0.0.0/8" },
	{ "checkpoint", "notify", COLO_KEY_STR, OPT(notify), 0, 0, "unix:PATH", "",
			"listen for the COLO frame's notify_dev connection (mode 0600)" },
	{ "checkpoint", "notify_connect", COLO_KEY_STR, OPT(notify_connect), 0, 0,
			"unix:PATH|tcp:HOST:PORT", "",
			"connect (and reconnect) to the notify peer" },
	{ "checkpoint", "no_peer_policy", COLO_KEY_POLICY, OPT(no_peer_policy), 0, 0, "flush|hold",
			"flush", "with no notify peer: flush the queues at once, or hold them" },
	{ "rewriter", "rewrite_hold", COLO_KEY_U32, OPT(rewrite_hold_ms), 1, 60000, "MS", "100",
			"secondary role: an SVM frame waits this long for its TCP offset, "
			"then leaves unmapped" },
	{ "rewriter", "rewrite_idle_timeout", COLO_KEY_U32, OPT(rewrite_idle_timeout_ms), 1,
			UINT32_MAX, "MS", RTE_STR(COLO_RW_DEFAULT_IDLE_TIMEOUT_MS),
			"secondary role: the offset of a connection idle this long is forgotten" },
	{ "capture", "divergence_pcap", COLO_KEY_STR, OPT(divergence_pcap), 0, 0, "FILE", "",
			"write each mismatching primary/secondary pair, with comments and the "
			"connection's earlier frames, to this pcapng file" },
	{ "capture", "divergence_max_bytes", COLO_KEY_U32, OPT(divergence_max_bytes), 4096,
			UINT32_MAX, "BYTES", "67108864",
			"cap on the divergence file; later divergences are counted, not written" },
	{ "capture", "divergence_context", COLO_KEY_U32, OPT(divergence_context), 0, 16, "N",
			"4", "earlier frames of the connection written per side before each pair" },
	{ "capture", "divergence_snaplen", COLO_KEY_U32, OPT(divergence_snaplen), 64, 65535,
			"BYTES", "2048", "bytes kept of each frame in the divergence file" },
	{ "runtime", "exit_on_idle", COLO_KEY_U32, OPT(exit_on_idle_ms), 0, UINT32_MAX, "MS", "0",
			"exit once no input came for MS and the queues are empty (0: never)" },
	{ "runtime", "stats_json", COLO_KEY_STR, OPT(stats_json), 0, 0, "FILE", "",
			"write the final counters to FILE as JSON" },
	{ "runtime", "nb_mbufs", COLO_KEY_U32, OPT(nb_mbufs), 1023, 1u << 24, "N",
			RTE_STR(DEFAULT_NB_MBUFS), "mbufs in the packet pool" },
	{ "runtime", "ring_size", COLO_KEY_U32, OPT(ring_size), 64, 1u << 20, "N",
			RTE_STR(DEFAULT_RING_SIZE), "slots of each RX -> compare ring" },
	{ "runtime", "compare_lcores", COLO_KEY_U32, OPT(compare_lcores), 1, COLO_MAX_SHARDS, "N",
			"1", "compare lcores; connections are sharded across them by key hash" },
};

const unsigned int colo_config_nb_keys = RTE_DIM(colo_config_keys);

static const char *const policy_names[] = {
	[COLO_NO_PEER_FLUSH] = "flush",
	[COLO_NO_PEER_HOLD] = "hold",
};

static const char *const role_names[] = {
	[COLO_HOST_PRIMARY] = "primary",
	[COLO_HOST_SECONDARY] = "secondary",
};

static int
parse_u32(const struct colo_config_key *k, const char *value, uint32_t *out, char *err,
		size_t err_len)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(value, &end, 0);
	if (value[0] == '\0' || value[0] == '-' || *end != '\0' || errno != 0) {
		snprintf(err, err_len, "'%s' is not a number", value);
		return -EINVAL;
	}
	if (v < k->min || v > k->max) {
		snprintf(err, err_len, "%llu is out of range [%u, %u]", v, k->min, k->max);
		return -ERANGE;
	}
	*out = (uint32_t)v;
	return 0;
}

static int
parse_bool(const char *value, bool *out, char *err, size_t err_len)
{
	static const char *const yes[] = { "1", "on", "yes", "true" };
	static const char *const no[] = { "0", "off", "no", "false" };
	unsigned int i;

	for (i = 0; i < RTE_DIM(yes); i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(value, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	snprintf(err, err_len, "'%s' is not on/off", value);
	return -EINVAL;
}

/* @p value as the index of one of the two @p names. */
static int
parse_pair(const char *value, const char *const names[2], uint32_t *out, char *err, size_t err_len)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (strcmp(value, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	snprintf(err, err_len, "'%s' is not %s or %s", value, names[0], names[1]);
	return -EINVAL;
}

/** Parse @p value into the field of @p k; on error @p err says why (without the key name). */
int
colo_config_set(struct colo_opts *o, const struct colo_config_key *k, const char *value, char *err,
		size_t err_len)
{
	void *field = (char *)o + k->off;

	switch (k->type) {
	case COLO_KEY_U32:
		return parse_u32(k, value, field, err, err_len);
	case COLO_KEY_BOOL:
		return parse_bool(value, field, err, err_len);
	case COLO_KEY_POLICY:
		return parse_pair(value, policy_names, field, err, err_len);
	case COLO_KEY_ROLE:
		return parse_pair(value, role_names, field, err, err_len);
	case COLO_KEY_STR:
		if (strlen(value) >= k->size) {
			snprintf(err, err_len, "value longer than %zu characters", k->size - 1);
			return -ENAMETOOLONG;
		}
		strcpy(field, value);
		return 0;
	}
	return -EINVAL;
}

/** Write the current value of @p k as text; the inverse of colo_config_set(). */
void
colo_config_format(
		const struct colo_opts *o, const struct colo_config_key *k, char *buf, size_t len)
{
	const void *field = (const char *)o + k->off;

	switch (k->type) {
	case COLO_KEY_U32:
		snprintf(buf, len, "%u", *(const uint32_t *)field);
		break;
	case COLO_KEY_BOOL:
		snprintf(buf, len, "%s", *(const bool *)field ? "on" : "off");
		break;
	case COLO_KEY_POLICY:
		snprintf(buf, len, "%s", policy_names[*(const uint32_t *)field]);
		break;
	case COLO_KEY_ROLE:
		snprintf(buf, len, "%s", role_names[*(const uint32_t *)field]);
		break;
	case COLO_KEY_STR:
		snprintf(buf, len, "%s", (const char *)field);
		break;
	}
}

void
colo_config_defaults(struct colo_opts *o)
{
	char err[128];
	unsigned int i;

	memset(o, 0, sizeof(*o));
	colo_params_init(&o->params);
	/* The table's defaults are constants that parse: a failure is a bug in the table. */
	for (i = 0; i < colo_config_nb_keys; i++)
		if (colo_config_set(o, &colo_config_keys[i], colo_config_keys[i].defval, err,
				    sizeof(err)) != 0)
			rte_panic("default of %s: %s\n", colo_config_keys[i].name, err);
}

static const struct colo_config_key *
key_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < colo_config_nb_keys; i++)
		if (strcmp(colo_config_keys[i].name, name) == 0)
			return &colo_config_keys[i];
	return NULL;
}

static int
load_section(struct colo_opts *o, struct rte_cfgfile *cfg, const char *path, const char *section,
		char *err, size_t err_len)
{
	struct rte_cfgfile_entry *entries;
	const struct colo_config_key *k;
	char why[128];
	int i, n, ret = 0;

	n = rte_cfgfile_section_num_entries(cfg, section);
	if (n <= 0)
		return 0;
	entries = calloc(n, sizeof(*entries));
	if (entries == NULL) {
		snprintf(err, err_len, "%s: out of memory", path);
		return -ENOMEM;
	}
	n = rte_cfgfile_section_entries(cfg, section, entries, n);
	for (i = 0; i < n && ret == 0; i++) {
		k = key_find(entries[i].name);
		if (k == NULL) {
			snprintf(err, err_len, "%s: [%s] %s: unknown key", path, section,
					entries[i].name);
			ret = -EINVAL;
		} else if (strcmp(k->section, section) != 0) {
			snprintf(err, err_len, "%s: [%s] %s: key belongs in section [%s]", path,
					section, k->name, k->section);
			ret = -EINVAL;
		} else if (colo_config_set(o, k, entries[i].value, why, sizeof(why)) != 0) {
			snprintf(err, err_len, "%s: [%s] %s: %s", path, section, k->name, why);
			ret = -EINVAL;
		}
	}
	free(entries);
	return ret;
}

/** Apply the INI file @p path over @p o. */
int
colo_config_load(struct colo_opts *o, const char *path, char *err, size_t err_len)
{
	struct rte_cfgfile *cfg;
	char **sections = NULL;
	int i, n, ret = 0;

	cfg = rte_cfgfile_load(path, CFG_FLAG_GLOBAL_SECTION | CFG_FLAG_EMPTY_VALUES);
	if (cfg == NULL) {
		snprintf(err, err_len, "%s: cannot read or parse the INI file", path);
		return -EINVAL;
	}
	n = rte_cfgfile_num_sections(cfg, NULL, 0);
	if (n > 0) {
		sections = calloc(n, sizeof(*sections));
		for (i = 0; sections != NULL && i < n; i++) {
			sections[i] = malloc(CFG_NAME_LEN);
			if (sections[i] == NULL)
				break;
		}
		if (sections == NULL || i < n) {
			snprintf(err, err_len, "%s: out of memory", path);
			ret = -ENOMEM;
			goto out;
		}
		n = rte_cfgfile_sections(cfg, sections, n);
	}
	/* [eal] holds EAL options, read before rte_eal_init() (eal_ini.c). */
	for (i = 0; i < n && ret == 0; i++)
		if (strcmp(sections[i], "eal") != 0)
			ret = load_section(o, cfg, path, sections[i], err, err_len);
	if (ret == 0)
		snprintf(o->config_file, sizeof(o->config_file), "%s", path);
out:
	if (sections != NULL) {
		for (i = 0; i < n; i++)
			free(sections[i]);
		free(sections);
	}
	rte_cfgfile_close(cfg);
	return ret;
}

/** Checks across keys, once everything is applied. */
int
colo_config_check(const struct colo_opts *o, char *err, size_t err_len)
{
	struct colo_bypass_set *set;
	char why[200];
	int ret;

	ret = colo_params_validate(&o->params, err, err_len);
	if (ret != 0)
		return ret;
	if (o->notify[0] != '\0' && strncmp(o->notify, "unix:", 5) != 0) {
		snprintf(err, err_len, "notify: '%s' must be unix:PATH", o->notify);
		return -EINVAL;
	}
	if (o->notify_connect[0] != '\0' && strncmp(o->notify_connect, "unix:", 5) != 0 &&
			strncmp(o->notify_connect, "tcp:", 4) != 0) {
		snprintf(err, err_len, "notify_connect: '%s' must be unix:PATH or tcp:HOST:PORT",
				o->notify_connect);
		return -EINVAL;
	}
	if (o->notify[0] != '\0' && o->notify_connect[0] != '\0') {
		snprintf(err, err_len, "notify and notify_connect exclude each other");
		return -EINVAL;
	}
	if (o->role == COLO_HOST_SECONDARY && o->compare_lcores != 1) {
		snprintf(err, err_len, "compare_lcores: must be 1 in the secondary role");
		return -EINVAL;
	}
	/* Syntax only: ctl/bypass.c publishes the rules once the shards exist. */
	set = colo_bypass_set_parse(o->bypass, why, sizeof(why));
	if (set == NULL) {
		snprintf(err, err_len, "bypass: %s", why);
		return -EINVAL;
	}
	colo_bypass_set_free(set);
	return 0;
}
