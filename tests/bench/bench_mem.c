/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which memory colo-bench runs on. Hugepages when the machine has enough
 * of them free (/proc/meminfo) for the run: what colo-proxy gets on a real
 * host, and TLB misses at 1M connections are part of what is measured.
 * 4 KiB pages (--no-huge) when asked for, when too few are free, or when
 * EAL init with hugepages fails (another process took them meanwhile): then
 * colo-bench runs itself again with --no-huge. Either way the amount is
 * reserved up front (-m), so that a run does not fail halfway for memory,
 * and the output says which memory it was and why.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/* colo-bench runs itself again with this set to why hugepages failed. */
#define MAX_EAL_ARGS 256

#define FALLBACK_ENV "COLO_BENCH_MEM_FALLBACK"

static bool
has_arg(int argc, char **argv, const char *name)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

/* The megabytes of a "-m N" or "-mN" EAL option, or 0. */
static uint64_t
arg_mb(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-m") == 0 && i + 1 < argc)
			return strtoull(argv[i + 1], NULL, 10);
		if (strncmp(argv[i], "-m", 2) == 0 && argv[i][2] >= '0' && argv[i][2] <= '9')
			return strtoull(argv[i] + 2, NULL, 10);
	}
	return 0;
}

/* HugePages_Free and Hugepagesize (kB) from /proc/meminfo. */
static void
meminfo(uint64_t *free_pages, uint64_t *page_kb)
{
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	*free_pages = *page_kb = 0;
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		sscanf(line, "HugePages_Free: %" SCNu64, free_pages);
		sscanf(line, "Hugepagesize: %" SCNu64, page_kb);
	}
	if (f != NULL)
		fclose(f);
}

char **
bench_mem_choose(int argc, char **argv, uint64_t need_mb, struct bench_mem *mem, int *new_argc)
{
	static char mb_arg[24];
	static char *out[MAX_EAL_ARGS + 5];
	const char *fallback = getenv(FALLBACK_ENV);
	uint64_t free_pages, page_kb, free_mb, given_mb = arg_mb(argc, argv);
	bool no_huge = has_arg(argc, argv, "--no-huge");
	int n = 0, i;

	if (argc > MAX_EAL_ARGS) {
		fprintf(stderr, "colo-bench: more than %d EAL options\n", MAX_EAL_ARGS);
		return NULL;
	}
	meminfo(&free_pages, &page_kb);
	free_mb = free_pages * page_kb / 1024;
	if (given_mb != 0)
		need_mb = given_mb;
	memset(mem, 0, sizeof(*mem));
	if (no_huge && fallback != NULL) {
		mem->kind = "4k";
		snprintf(mem->why, sizeof(mem->why), "4 KiB pages (--no-huge), %" PRIu64 " MB: %s",
				need_mb, fallback);
	} else if (no_huge) {
		mem->kind = "4k";
		snprintf(mem->why, sizeof(mem->why),
				"4 KiB pages (--no-huge given), %" PRIu64 " MB", need_mb);
	} else if (free_mb >= need_mb) {
		mem->kind = "hugepages";
		mem->hugepage_kb = page_kb;
		snprintf(mem->why, sizeof(mem->why),
				"hugepages of %" PRIu64 " kB, %" PRIu64 " MB reserved (%" PRIu64
				" MB were free)",
				page_kb, need_mb, free_mb);
	} else {
		mem->kind = "4k";
		no_huge = true;
		snprintf(mem->why, sizeof(mem->why),
				"4 KiB pages (--no-huge), %" PRIu64 " MB: the run needs %" PRIu64
				" MB, %" PRIu64 " MB of hugepages are free",
				need_mb, need_mb, free_mb);
	}
	for (i = 0; i < argc; i++)
		out[n++] = argv[i];
	if (no_huge && !has_arg(argc, argv, "--no-huge"))
		out[n++] = (char *)(uintptr_t)"--no-huge";
	/* Nothing left in /dev/hugepages, however the run ends. */
	if (!no_huge && !has_arg(argc, argv, "--huge-unlink"))
		out[n++] = (char *)(uintptr_t)"--huge-unlink";
	if (given_mb == 0) {
		snprintf(mb_arg, sizeof(mb_arg), "%" PRIu64, need_mb);
		out[n++] = (char *)(uintptr_t)"-m";
		out[n++] = mb_arg;
	}
	out[n] = NULL;
	*new_argc = n;
	return out;
}

void
bench_mem_fallback(char **argv, const char *reason)
{
	char **out;
	int argc = 0, i;

	if (getenv(FALLBACK_ENV) != NULL)
		return;
	while (argv[argc] != NULL)
		argc++;
	out = calloc((size_t)argc + 2, sizeof(*out));
	if (out == NULL)
		return;
	out[0] = argv[0];
	out[1] = (char *)(uintptr_t)"--no-huge";
	for (i = 1; i <= argc; i++)
		out[i + 1] = argv[i];
	setenv(FALLBACK_ENV, reason, 1);
	fprintf(stderr, "colo-bench: %s; running again with --no-huge\n", reason);
	fflush(NULL);
	execv("/proc/self/exe", out);
	free(out);
}
