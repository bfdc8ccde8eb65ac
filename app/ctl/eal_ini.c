/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The [eal] section of the INI file turned into EAL arguments (eal_ini.h).
 * The strings are copied: rte_cfgfile is closed before rte_eal_init(), and
 * EAL may keep pointers into its argument vector for the process's life.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cfgfile.h>

#include "eal_ini.h"

#define EAL_SECTION "eal"

/* The vector handed to EAL; reachable until exit. */
static char **eal_vec;

int
colo_eal_ini_argv(int argc, char **argv, const char *config_path, char ***eal_argv)
{
	struct rte_cfgfile_entry *entries = NULL;
	struct rte_cfgfile *cfg;
	int i, n, k = 0;

	*eal_argv = argv;
	if (config_path == NULL || config_path[0] == '\0')
		return argc;
	cfg = rte_cfgfile_load(config_path, CFG_FLAG_GLOBAL_SECTION | CFG_FLAG_EMPTY_VALUES);
	if (cfg == NULL) {
		fprintf(stderr, "colo-proxy: --config: %s: cannot read or parse the INI file\n",
				config_path);
		return -1;
	}
	n = rte_cfgfile_section_num_entries(cfg, EAL_SECTION);
	if (n <= 0) {
		rte_cfgfile_close(cfg);
		return argc;
	}
	entries = calloc(n, sizeof(*entries));
	/* Each entry gives at most two words; the program name and NULL. */
	eal_vec = calloc((size_t)argc + 2 * (size_t)n + 1, sizeof(*eal_vec));
	if (entries == NULL || eal_vec == NULL)
		goto nomem;
	n = rte_cfgfile_section_entries(cfg, EAL_SECTION, entries, n);
	eal_vec[k++] = argv[0];
	for (i = 0; i < n; i++) {
		size_t len = strlen(entries[i].name);
		char *opt = malloc(len + 3);

		if (opt == NULL)
			goto nomem;
		snprintf(opt, len + 3, "%s%s", len == 1 ? "-" : "--", entries[i].name);
		eal_vec[k++] = opt;
		if (entries[i].value[0] != '\0') {
			eal_vec[k] = strdup(entries[i].value);
			if (eal_vec[k++] == NULL)
				goto nomem;
		}
	}
	for (i = 1; i < argc; i++)
		eal_vec[k++] = argv[i];
	eal_vec[k] = NULL;
	free(entries);
	rte_cfgfile_close(cfg);
	*eal_argv = eal_vec;
	return k;
nomem:
	fprintf(stderr, "colo-proxy: --config: %s: [eal]: out of memory\n", config_path);
	free(entries);
	rte_cfgfile_close(cfg);
	return -1;
}
