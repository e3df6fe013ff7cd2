/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_UNIT_H
#define SL_UNIT_H

/* Common includes for the cmocka unit tests. A test gets its stack from a cmocka fixture
 * (TH_TEST in harness.h, TT_TEST in tcp_helper.h), whose teardown quiesces the stack and
 * checks for leaks after every test. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

/* Run the tests of one file after initialising the EAL. */
#define UNIT_MAIN(name, tests) \
	int main(int argc, char **argv) \
	{ \
		(void)argc; (void)argv; \
		th_eal_init(name); \
		return cmocka_run_group_tests(tests, NULL, NULL); \
	}

#endif /* SL_UNIT_H */
