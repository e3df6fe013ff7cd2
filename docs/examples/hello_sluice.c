/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hello_sluice -- the smallest program built against an installed libsluice:
 *
 *   cc hello_sluice.c $(pkg-config --cflags --libs sluice) \
 *       -Wl,-rpath,"$(pkg-config --variable=libdir sluice)" -o hello_sluice
 *   ./hello_sluice --no-pci --no-huge -m 256 --vdev net_null0 -- --ip 198.18.0.2/24
 *
 * It brings the stack up on whatever port the EAL was given, polls it for a moment,
 * prints the counters and tears everything down. For a complete server to start from
 * (lcores, signals, a protocol of its own, backpressure), see template/.
 */

#include <stdio.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>

#include <sluice/sluice.h>

int
main(int argc, char **argv)
{
	struct sl_config cfg;
	struct sl_opt_set set;
	struct sl_stack *s;
	struct sl_stats st;
	char err[256];
	unsigned int n, i;
	int rc;

	rc = rte_eal_init(argc, argv);
	if (rc < 0)
		return 1;
	sl_config_defaults(&cfg);
	cfg.mbufs = 4095;
	set.opts = sl_config_opts(&n);
	set.n = n;
	set.base = &cfg;
	if (sl_config_parse(argc - rc, argv + rc, &set, 1, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	s = sl_stack_create(&cfg, 1);
	if (s == NULL || sl_stack_start(s) != 0) {
		fprintf(stderr, "stack: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	for (i = 0; i < 100000; i++)
		sl_worker_poll(sl_stack_worker(s, 0));
	sl_stack_stats(s, &st);
	printf("hello from sluice: %lu frames received\n", (unsigned long)st.rx_packets);
	sl_stats_print(stdout, &st, 0);
	rc = sl_stack_destroy(s) == 0 ? 0 : 3;
	rte_eal_cleanup();
	return rc;
}
