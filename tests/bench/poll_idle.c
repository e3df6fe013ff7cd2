/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * poll_idle -- a benchmark, not a test: N empty iterations of sl_worker_poll().
 *
 * With one request in flight, each side of an rr exchange spends most of its time polling
 * an empty RX queue, and a frame that arrives waits on average half an empty iteration
 * before worker_rx sees it. This program measures that iteration: a harness stack
 * (tests/support) with one established, idle connection (a request received and
 * answered, every ACK and timer settled), switched to the real clock as a worker runs,
 * then polled N times with nothing on the wire.
 *
 * Run it under callgrind for two values of N; the difference of the totals divided by
 * the difference of N is the instructions of one empty iteration:
 *
 *   valgrind --tool=callgrind build/tests/poll_idle 100000   (and 300000)
 */

#include <stdio.h>
#include <stdlib.h>

#include <rte_cycles.h>

#include "unit.h"

#include "tcp_helper.h"

int
main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 100000;
	unsigned long i, rx = 0;
	uint64_t now;
	struct tp_out o;
	struct tt *x;

	th_eal_init("poll_idle");
	x = tt_setup(NULL);
	tpeer_accept(&x->p);
	/* One request, echoed by the test application, and the peer's ACK of the answer. */
	tpeer_send(&x->p, TH_ACK | TH_PSH, "ping", 4);
	th_poll(&x->t);
	while (tpeer_recv(&x->p, &o))
		;
	tpeer_ack(&x->p);
	tt_flush(x, 1000000);
	while (tpeer_recv(&x->p, &o))
		;
	/* The worker's own clock from here on, as in a real run, going on from the virtual
	 * time the test reached (the timer wheel's position stays meaningful). */
	now = x->t.w->clock.now_us;
	clock_init(&x->t.w->clock);
	x->t.w->clock.tsc_base -= now * rte_get_tsc_hz() / 1000000;
	for (i = 0; i < n; i++)
		rx += sl_worker_poll(x->t.w);
	printf("poll_idle: %lu iterations, %lu frames received\n", n, rx);
	/* The harness's teardown drives the virtual clock again, from where the run ended. */
	x->t.w->clock.virtual_time = true;
	tt_teardown(x);
	return rx == 0 ? 0 : 1;
}
