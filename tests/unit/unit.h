/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one CUnit runner of the unit suites: a table of cases in, an exit
 * status out. Meson counts a suite as passed on exit status 0 only, so the
 * status says whether any test failed.
 */
#ifndef COLO_TEST_UNIT_H
#define COLO_TEST_UNIT_H

#include <CUnit/CUnit.h>

/** One test of a suite. */
struct unit_case {
	const char *name; /**< what it proves, as CUnit prints it */
	CU_TestFunc fn;
};

/**
 * Register @p cases as the suite @p suite, run them verbosely and clean up
 * CUnit's registry.
 *
 * @return 0 when every test passed, 1 when one failed or CUnit could not
 *   register them.
 */
int unit_run(const char *suite, const struct unit_case *cases, unsigned int nb_cases);

#endif /* COLO_TEST_UNIT_H */
