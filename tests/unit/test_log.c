/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit suite of lib/colo_log.c: --log-level=colo:LEVEL reaches the "colo"
 * log type only, until colo_log_inherit() hands it on to every colo.<module>
 * log type still at its default; a module given its own level keeps it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "colo_log.h"
#include "frames.h"
#include "unit.h"

static void
test_colo_level_reaches_modules(void)
{
	/* What EAL did with the two options alone. */
	CU_ASSERT_EQUAL(rte_log_get_level(colo_logtype), RTE_LOG_DEBUG);
	CU_ASSERT_EQUAL(rte_log_get_level(colo_logtype_compare), RTE_LOG_NOTICE);
	CU_ASSERT_EQUAL(rte_log_get_level(colo_logtype_ckpt), RTE_LOG_WARNING);

	colo_log_inherit();
	CU_ASSERT_EQUAL(rte_log_get_level(colo_logtype_compare), RTE_LOG_DEBUG);
	CU_ASSERT_EQUAL(rte_log_get_level(colo_logtype_app), RTE_LOG_DEBUG);
	CU_ASSERT_EQUAL(rte_log_get_level(colo_logtype_pkt), RTE_LOG_DEBUG);
	CU_ASSERT_TRUE(rte_log_can_log(colo_logtype_conn, RTE_LOG_DEBUG));
	/* Given its own level on the command line: kept. */
	CU_ASSERT_EQUAL(rte_log_get_level(colo_logtype_ckpt), RTE_LOG_WARNING);
}

static void
test_names(void)
{
	char buf[4096] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	rte_log_list_types(f, "> ");
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "> colo\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "> colo.compare\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "> colo.app\n"));
}

static const struct unit_case cases[] = {
	{ "colo:debug reaches every module still at its default", test_colo_level_reaches_modules },
	{ "the log types are colo and colo.<module>", test_names },
};

int
main(void)
{
	char *argv[] = {
		"unit_test",
		"--no-huge",
		"--no-pci",
		"--no-shconf",
		"--no-telemetry",
		"-m",
		"64",
		"--file-prefix=unit_log",
		"--log-level=lib.eal:error",
		"--log-level=colo:debug",
		"--log-level=colo.ckpt:warning",
	};
	char runtime_dir[256];
	unsigned int failed;

	if (rte_eal_init(RTE_DIM(argv), argv) < 0)
		return frames_skip("log", rte_strerror(rte_errno));
	failed = unit_run("log", cases, RTE_DIM(cases));
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	/* Even with --no-shconf, EAL makes /var/run/dpdk/unit_log: leave nothing behind. */
	rmdir(runtime_dir);
	return failed != 0;
}
