/* SPDX-License-Identifier: BSD-3-Clause */
/* core/log.h: one rte_log type per module under its expected name, levels set from the
 * EAL command line by name and by pattern, and the rate limiter of SL_LOG_RL (suppresses
 * beyond the burst, says how many with the next message, formats nothing while off). */

#define SL_LOG_MODULE tcp

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "core/log.h"

/* The names README "Logs" documents, and the types the library registered. */
static const struct {
	const char *name;
	const int *type;
} types[] = {
	{ "sluice.core", &sl_logtype_core },
	{ "sluice.port", &sl_logtype_port },
	{ "sluice.eth", &sl_logtype_eth },
	{ "sluice.arp", &sl_logtype_arp },
	{ "sluice.ipv4", &sl_logtype_ipv4 },
	{ "sluice.icmp", &sl_logtype_icmp },
	{ "sluice.tcp", &sl_logtype_tcp },
	{ "sluice.framing", &sl_logtype_framing },
	{ "sluice.api", &sl_logtype_api },
};

static void
test_log_types_registered_under_their_names(void **state)
{
	unsigned int i, j;

	(void)state;
	for (i = 0; i < RTE_DIM(types); i++) {
		int t = *types[i].type;

		/* A dynamic type, not the EAL's fallback for a failed registration. */
		assert_true(t >= RTE_LOGTYPE_FIRST_EXT_ID);
		/* rte_log_register() of a registered name returns its type. */
		assert_int_equal(rte_log_register(types[i].name), t);
		for (j = 0; j < i; j++)
			assert_int_not_equal(*types[j].type, t);
	}
	/* SL_LOG_MODULE picks the type and names the message. */
	assert_int_equal(SL_LOGTYPE(SL_LOG_MODULE), sl_logtype_tcp);
	assert_string_equal(SL_LOGNAME(SL_LOG_MODULE), "sluice.tcp");
}

/* main() gave the EAL --log-level 'sluice.*:warning' --log-level 'sluice.tcp:debug'. */
static void
test_log_levels_set_from_the_eal_command_line(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(types); i++) {
		int want = *types[i].type == sl_logtype_tcp ? RTE_LOG_DEBUG : RTE_LOG_WARNING;

		assert_int_equal(rte_log_get_level(*types[i].type), want);
	}
	assert_true(rte_log_can_log(sl_logtype_tcp, RTE_LOG_DEBUG));
	assert_false(rte_log_can_log(sl_logtype_arp, RTE_LOG_INFO));
	assert_true(rte_log_can_log(sl_logtype_arp, RTE_LOG_WARNING));
}

static void
test_log_rl_suppresses_beyond_burst_and_reports(void **state)
{
	const uint64_t hz = 1000000, t0 = 5 * hz;
	struct sl_log_rl rl;
	uint64_t sup = 99;
	unsigned int i;

	(void)state;
	memset(&rl, 0, sizeof(rl));
	/* The first window: three print (nothing suppressed before them), the rest not. */
	for (i = 0; i < 3; i++) {
		assert_true(sl_log_rl_allow(&rl, t0 + i, hz, 3, &sup));
		assert_int_equal(sup, 0);
	}
	for (i = 0; i < 7; i++)
		assert_false(sl_log_rl_allow(&rl, t0 + 10 + i, hz, 3, &sup));
	/* Still the same window one tick before it ends. */
	assert_false(sl_log_rl_allow(&rl, t0 + hz - 1, hz, 3, &sup));
	/* A new window: the first message says how many were suppressed, once. */
	assert_true(sl_log_rl_allow(&rl, t0 + hz, hz, 3, &sup));
	assert_int_equal(sup, 8);
	assert_true(sl_log_rl_allow(&rl, t0 + hz + 1, hz, 3, &sup));
	assert_int_equal(sup, 0);
	assert_true(sl_log_rl_allow(&rl, t0 + hz + 2, hz, 3, &sup));
	assert_false(sl_log_rl_allow(&rl, t0 + hz + 3, hz, 3, &sup));
	/* Long idle: a fresh window. */
	assert_true(sl_log_rl_allow(&rl, t0 + 100 * hz, hz, 3, &sup));
	assert_int_equal(sup, 1);
}

static unsigned int evaluated;

static int
count_evaluation(int v)
{
	evaluated++;
	return v;
}

/* Lines of buf (the log stream's contents) containing needle. */
static unsigned int
count_lines(const char *buf, const char *needle)
{
	unsigned int n = 0;
	const char *p = buf;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static void
log_burst(unsigned int n)
{
	unsigned int i;

	/* One call site for all n. */
	for (i = 0; i < n; i++)
		SL_LOG_RL(DEBUG, "rl-test message %d", count_evaluation((int)i));
}

static void
test_log_rl_macro_prints_burst_then_reports_suppressed(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	assert_int_equal(rte_openlog_stream(f), 0);

	/* Level off: nothing printed, no argument evaluated. */
	assert_int_equal(rte_log_set_level(sl_logtype_tcp, RTE_LOG_INFO), 0);
	evaluated = 0;
	log_burst(50);
	fflush(f);
	assert_int_equal(evaluated, 0);
	assert_int_equal(count_lines(buf, "rl-test"), 0);

	/* Debug on: SL_LOG_RL_BURST of 3 * SL_LOG_RL_BURST print, prefixed by the type. */
	assert_int_equal(rte_log_set_level(sl_logtype_tcp, RTE_LOG_DEBUG), 0);
	log_burst(3 * SL_LOG_RL_BURST);
	fflush(f);
	assert_int_equal(count_lines(buf, "sluice.tcp: rl-test message"), SL_LOG_RL_BURST);
	assert_int_equal(count_lines(buf, "suppressed"), 0);

	/* The next window's first message reports the rest. */
	usleep(1100 * 1000);
	log_burst(1);
	fflush(f);
	assert_int_equal(count_lines(buf, "rl-test message"), SL_LOG_RL_BURST + 1);
	assert_int_equal(count_lines(buf, "sluice.tcp: rl-test message 0 (+20 suppressed)\n"),
			 1);

	rte_openlog_stream(NULL);
	fclose(f);
	free(buf);
	rte_log_set_level(sl_logtype_tcp, RTE_LOG_DEBUG);
}

int
main(int argc, char **argv)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_types_registered_under_their_names),
		cmocka_unit_test(test_log_levels_set_from_the_eal_command_line),
		cmocka_unit_test(test_log_rl_suppresses_beyond_burst_and_reports),
		cmocka_unit_test(test_log_rl_macro_prints_burst_then_reports_suppressed),
	};
	const char *args[] = {
		argv[0], "-l", "0", "--no-huge", "--no-shconf", "--no-pci", "-m", "64",
		"--no-telemetry", "--file-prefix", NULL, "--log-level", "lib.eal:error",
		"--log-level", "sluice.*:warning", "--log-level", "sluice.tcp:debug",
	};
	char prefix[64], buf[RTE_DIM(args)][64];
	char *eal[RTE_DIM(args)];
	unsigned int i;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "sl-test_log-%d", (int)getpid());
	args[10] = prefix;
	/* rte_eal_init() wants writable strings. */
	for (i = 0; i < RTE_DIM(args); i++) {
		snprintf(buf[i], sizeof(buf[i]), "%s", args[i]);
		eal[i] = buf[i];
	}
	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
