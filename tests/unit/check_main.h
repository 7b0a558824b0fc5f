/* SPDX-License-Identifier: GPL-2.0-only */
/* The main() of every Check suite: a failure, or no test run at all, is a
 * non-zero exit. */
#ifndef CHECK_MAIN_H
#define CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

static inline int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed, run;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	run = srunner_ntests_run(sr);
	srunner_free(sr);
	return failed != 0 || run == 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* CHECK_MAIN_H */
