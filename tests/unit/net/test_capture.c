/* SPDX-License-Identifier: BSD-3-Clause */
/* capture.c: rte_pdump is initialised once per process while any stack asks for it
 * ([port] pdump, on by default) and undone with the last such stack; a stack without it
 * leaves it alone, and a stack whose rte_pdump_init() fails runs without capture.
 * rte_pdump_init() reserves the "rte_pdump_stats" memzone and
 * rte_pdump_uninit() frees it, which makes the state visible here. */

#include "unit.h"

#include <rte_memzone.h>
#include <rte_pdump.h>

#define PDUMP_MZ "rte_pdump_stats"

static void
test_capture_initialised_while_a_stack_asks(void **state)
{
	struct sl_port_info info;
	struct sl_config cfg;
	struct th a, b, c;

	(void)state;
	assert_null(rte_memzone_lookup(PDUMP_MZ));
	th_config(&cfg);
	assert_true(cfg.pdump);		/* the default */
	th_setup(&a, &cfg);
	assert_non_null(rte_memzone_lookup(PDUMP_MZ));
	/* The unit tests run without hugepages: no secondary process can attach. */
	sl_stack_port_info(a.s, &info);
	assert_false(info.capture);

	th_setup(&b, &cfg);
	th_teardown(&a);
	assert_non_null(rte_memzone_lookup(PDUMP_MZ));	/* b still has it */

	cfg.pdump = false;
	th_setup(&c, &cfg);
	th_teardown(&b);
	assert_null(rte_memzone_lookup(PDUMP_MZ));	/* c never asked */
	th_teardown(&c);
	assert_null(rte_memzone_lookup(PDUMP_MZ));

	/* And again from nothing: uninit left rte_pdump ready to be initialised. */
	cfg.pdump = true;
	th_setup(&a, &cfg);
	assert_non_null(rte_memzone_lookup(PDUMP_MZ));
	th_teardown(&a);
	assert_null(rte_memzone_lookup(PDUMP_MZ));
}

/* An application that initialised rte_pdump itself: DPDK 22.11 refuses a second
 * rte_pdump_init(); the stack still runs, without claiming capture, and leaves the
 * application's rte_pdump alone. */
static void
test_capture_init_failure_leaves_the_stack_running(void **state)
{
	struct sl_port_info info;
	struct sl_config cfg;
	struct th t;

	(void)state;
	assert_int_equal(rte_pdump_init(), 0);
	th_config(&cfg);
	assert_int_equal(th_setup(&t, &cfg), 0);
	sl_stack_port_info(t.s, &info);
	assert_false(info.capture);
	th_teardown(&t);
	assert_non_null(rte_memzone_lookup(PDUMP_MZ));	/* still the application's */
	assert_int_equal(rte_pdump_uninit(), 0);
	assert_null(rte_memzone_lookup(PDUMP_MZ));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_capture_initialised_while_a_stack_asks),
	cmocka_unit_test(test_capture_init_failure_leaves_the_stack_running),
};

UNIT_MAIN("test_capture", tests)
