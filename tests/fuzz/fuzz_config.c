/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness of colo-proxy's option parsing: the command
 * line (app/ctl/args.c: colo_args_parse()) and the INI file (app/ctl/config.c:
 * colo_config_load(), colo_config_check()). Neither needs EAL, so both files
 * are compiled into this translation unit as they are.
 *
 * Input: the first byte picks the mode, the rest is the text.
 *   even: command line, split at NUL bytes into up to 64 arguments
 *   odd:  INI file contents, written to a memfd and loaded by path
 * Checked: no crash, no sanitizer report, no leak; an accepted
 * configuration formats every key to text that colo_config_set() takes
 * back to the same value (the /colo/config and --config round trip).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../app/ctl/args.c"
#include "../../app/ctl/config.c"

#define MAX_ARGS 64

static void
check_roundtrip(const struct colo_opts *o)
{
	char text[512], again[512], err[256];
	struct colo_opts copy;
	unsigned int i;

	for (i = 0; i < colo_config_nb_keys; i++) {
		const struct colo_config_key *k = &colo_config_keys[i];

		colo_config_format(o, k, text, sizeof(text));
		copy = *o;
		if (colo_config_set(&copy, k, text, err, sizeof(err)) != 0) {
			/* An empty string option reads back as "unset". */
			if (text[0] == '\0')
				continue;
			fprintf(stderr, "%s/%s: formatted '%s' is refused: %s\n", k->section,
					k->name, text, err);
			abort();
		}
		colo_config_format(&copy, k, again, sizeof(again));
		if (strcmp(text, again) != 0) {
			fprintf(stderr, "%s/%s: '%s' reads back as '%s'\n", k->section, k->name,
					text, again);
			abort();
		}
	}
}

static void
run_cli(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2];
	struct colo_opts o;
	int argc = 0;
	size_t i, start = 0;

	if (buf == NULL)
		return;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = (char *)"colo-proxy";
	for (i = 0; i <= size && argc < MAX_ARGS + 1; i++) {
		if (buf[i] != '\0')
			continue;
		argv[argc++] = &buf[start];
		start = i + 1;
	}
	argv[argc] = NULL;
	/* --config names a file: the INI mode covers the file; a fuzzed path
	 * could be /dev/zero. --help exits. */
	for (i = 1; i < (size_t)argc; i++)
		if (strstr(argv[i], "config") != NULL || strstr(argv[i], "-h") != NULL)
			goto out;
	colo_config_defaults(&o);
	optind = 0; /* glibc: full reinitialisation of getopt_long() */
	if (colo_args_parse(argc, argv, &o) == 0)
		check_roundtrip(&o);
out:
	free(buf);
}

static void
run_ini(const uint8_t *data, size_t size)
{
	char path[64], err[256];
	struct colo_opts o;
	int fd;

	fd = memfd_create("fuzz_config", 0);
	if (fd < 0)
		return;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	colo_config_defaults(&o);
	if (colo_config_load(&o, path, err, sizeof(err)) == 0 &&
			colo_config_check(&o, err, sizeof(err)) == 0)
		check_roundtrip(&o);
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		run_ini(data + 1, size - 1);
	else
		run_cli(data + 1, size - 1);
	return 0;
}
