/* SPDX-License-Identifier: BSD-3-Clause */
#include <CUnit/Basic.h>

#include "unit.h"

int
unit_run(const char *suite, const struct unit_case *cases, unsigned int nb_cases)
{
	unsigned int i, failed = 1;
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite(suite, NULL, NULL);
	if (s == NULL)
		goto out;
	for (i = 0; i < nb_cases; i++)
		if (CU_add_test(s, cases[i].name, cases[i].fn) == NULL)
			goto out;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	/* Read before the cleanup, which resets the run summary. */
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
out:
	CU_cleanup_registry();
	return failed != 0;
}
