/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * workload.c -- the client logic of sluice-bench, the same for every backend.
 *
 *   rr      each connection keeps --depth requests of --size bytes in flight; the server
 *           echoes; a response is complete when --size bytes came back; the time from
 *           sending a request to its response goes into the histogram
 *   stream  each connection writes --size bytes at a time for as long as the transport
 *           takes them (the server discards); --requests counts writes
 *   crr     each connection slot connects, sends one request, reads the echo, closes,
 *           and starts over; connect-to-close time goes into the histogram
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_cycles.h>

#include "bench.h"

enum bc_state { BC_IDLE, BC_CONNECTING, BC_OPEN, BC_CLOSING };

/* stream: writes per bw_fill call at most */
#define BENCH_STREAM_BATCH 64

struct bench_conn {
	enum bc_state state;
	uint32_t inflight;		/* rr: requests sent, not answered */
	uint32_t rx_partial;		/* bytes of the response being received */
	uint64_t head, tail;		/* send times ring (never wraps) */
	bool blocked;			/* a send waits for bw_on_writable */
	uint64_t t_connect;		/* crr */
	uint64_t *ts;			/* rr: --depth send times (ts1, or a slice of wl->ts) */
	uint64_t ts1;			/* the one send time of --depth 1 */
} __rte_cache_aligned;			/* one cache line per connection */

struct bench_wl {
	struct bench_opts o;
	struct bench_io io;
	bool stopping, measuring;
	uint32_t open;			/* connections not idle */
	uint64_t ops, bytes, errors;	/* all of the run */
	uint64_t m_ops, m_bytes, m_errors;	/* at the start of the measurement */
	uint64_t issued;		/* requests sent (for --requests) */
	uint64_t connect_errors;
	uint64_t port_waits;		/* connects that found no free local port */
	uint8_t *req;
	uint64_t *ts;			/* conns x depth send times */
	struct hist lat;
	struct bench_conn c[];
};

/*
 * The clock of every measurement: nanoseconds of CLOCK_MONOTONIC. Once calibrated
 * (bench_clock_init, after the EAL is up), it is read from the TSC and counted from
 * CLOCK_MONOTONIC's value at the calibration: the same nanoseconds at a fraction of
 * clock_gettime's cost, which the run loop and rr's two reads per request paid in every
 * measurement. The rate is measured against CLOCK_MONOTONIC itself over 10 ms (a few
 * parts per million), not taken from the EAL's estimate (rounded to 10 MHz), and kept as
 * the stack's clock keeps its own (core/clock.h): a 32.32 fixed-point multiplier.
 * Without the EAL (the kernel backend alone), clock_gettime as before.
 */
struct bench_clock bench_clk;

uint64_t
bench_clock_gettime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
bench_clock_init(void)
{
	const struct timespec d = { .tv_sec = 0, .tv_nsec = 10000000 };
	uint64_t n0, t0, n1, t1;

	n0 = bench_clock_gettime_ns();
	t0 = rte_rdtsc();
	nanosleep(&d, NULL);
	n1 = bench_clock_gettime_ns();
	t1 = rte_rdtsc();
	if (t1 <= t0 || n1 <= n0)
		return;		/* no usable TSC: clock_gettime */
	bench_clk.mult = (uint64_t)(((unsigned __int128)(n1 - n0) << 32) / (t1 - t0));
	bench_clk.ns0 = n1;
	bench_clk.tsc0 = t1;
}

struct bench_wl *
bw_create(const struct bench_opts *o, const struct bench_io *io)
{
	size_t sz = sizeof(struct bench_wl) + o->conns * sizeof(struct bench_conn);
	struct bench_wl *wl = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL(sz, RTE_CACHE_LINE_SIZE));
	uint32_t i;

	if (wl == NULL)
		return NULL;
	memset(wl, 0, sz);
	wl->o = *o;
	wl->io = *io;
	wl->req = malloc(o->size);
	if (o->depth > 1)
		wl->ts = calloc((size_t)o->conns * o->depth, sizeof(wl->ts[0]));
	if (wl->req == NULL || (o->depth > 1 && wl->ts == NULL)) {
		bw_free(wl);
		return NULL;
	}
	for (i = 0; i < o->size; i++)
		wl->req[i] = (uint8_t)('a' + i % 26);
	for (i = 0; i < o->conns; i++)
		wl->c[i].ts = o->depth > 1 ? wl->ts + (size_t)i * o->depth : &wl->c[i].ts1;
	hist_init(&wl->lat);
	return wl;
}

void
bw_free(struct bench_wl *wl)
{
	if (wl != NULL) {
		free(wl->req);
		free(wl->ts);
	}
	free(wl);
}

static bool
bw_may_issue(const struct bench_wl *wl)
{
	return !wl->stopping && (wl->o.requests == 0 || wl->issued < wl->o.requests);
}

static void
bw_connect(struct bench_wl *wl, uint32_t id)
{
	struct bench_conn *c = &wl->c[id];
	int rc;

	memset(c, 0, offsetof(struct bench_conn, ts));
	c->state = BC_CONNECTING;
	c->t_connect = bench_now_ns();
	wl->open++;
	rc = wl->io.connect(wl->io.be, id);
	if (rc != 0) {
		c->state = BC_IDLE;
		wl->open--;
		if (rc == -ENOSPC || rc == -EADDRNOTAVAIL) {
			/* Every local port is taken (TIME-WAIT): bw_tick tries again. */
			wl->port_waits++;
			return;
		}
		if (wl->connect_errors++ == 0)
			fprintf(stderr, "sluice-bench: connect failed: %s (further failures "
				"are only counted)\n", strerror(-rc));
		wl->errors++;
	}
}

int
bw_start(struct bench_wl *wl)
{
	uint32_t i;

	for (i = 0; i < wl->o.conns; i++)
		bw_connect(wl, i);
	return wl->open > 0 ? 0 : -ECONNREFUSED;
}

/* rr and crr: send one request; false if the transport is full. */
static __rte_always_inline bool
bw_send_request(struct bench_wl *wl, uint32_t id)
{
	struct bench_conn *c = &wl->c[id];
	int rc = wl->io.send(wl->io.be, id, wl->req, wl->o.size);

	if (rc == 0) {
		c->blocked = true;
		return false;
	}
	if (rc < 0) {
		wl->errors++;
		wl->io.close(wl->io.be, id);
		c->state = BC_CLOSING;
		return false;
	}
	c->ts[c->head++ % wl->o.depth] = bench_now_ns();
	c->inflight++;
	wl->issued++;
	return true;
}

static __rte_always_inline void
bw_fill(struct bench_wl *wl, uint32_t id)
{
	struct bench_conn *c = &wl->c[id];

	if (c->state != BC_OPEN)
		return;
	c->blocked = false;
	switch (wl->o.workload) {
	case WL_RR:
		while (c->inflight < wl->o.depth && bw_may_issue(wl))
			if (!bw_send_request(wl, id))
				return;
		break;
	case WL_CRR:
		if (c->inflight == 0 && c->head == 0 && bw_may_issue(wl))
			(void)bw_send_request(wl, id);
		break;
	case WL_STREAM:
		/* A bounded batch: a transport that never fills (the kernel's loopback to a
		 * fast reader) must not keep the run loop from its clock. bw_tick goes on. */
		for (unsigned int k = 0; k < BENCH_STREAM_BATCH && bw_may_issue(wl); k++) {
			int rc = wl->io.send(wl->io.be, id, wl->req, wl->o.size);

			if (rc <= 0) {
				if (rc < 0)
					wl->errors++;
				else
					c->blocked = true;
				return;
			}
			wl->bytes += wl->o.size;
			wl->ops++;
			wl->issued++;
		}
		break;
	default:
		break;
	}
}

void
bw_on_open(struct bench_wl *wl, uint32_t id)
{
	struct bench_conn *c = &wl->c[id];

	c->state = BC_OPEN;
	if (wl->stopping) {
		c->state = BC_CLOSING;
		wl->io.close(wl->io.be, id);
		return;
	}
	bw_fill(wl, id);
}

/* rr's usual read: one whole response, nothing more (what bw_on_data's loop does for it,
 * without the loop: its state in memory around a call per turn cost the client more
 * instructions than the bookkeeping itself). */
static __rte_always_inline void
bw_on_response(struct bench_wl *wl, struct bench_conn *c, uint32_t id)
{
	uint64_t now = bench_now_ns();

	c->rx_partial = 0;
	c->inflight--;
	wl->ops++;
	wl->bytes += wl->o.size;
	if (wl->measuring)
		hist_add(&wl->lat, now - c->ts[c->tail % wl->o.depth]);
	c->tail++;
	if (c->state == BC_OPEN && !c->blocked) {
		while (c->inflight < wl->o.depth && bw_may_issue(wl))
			if (!bw_send_request(wl, id))
				return;
	}
}

void
bw_on_data(struct bench_wl *wl, uint32_t id, uint32_t len)
{
	struct bench_conn *c = &wl->c[id];
	uint64_t now = 0;

	if (likely(wl->o.workload == WL_RR && c->rx_partial + len == wl->o.size &&
		   c->inflight > 0)) {
		bw_on_response(wl, c, id);
		return;
	}
	if (wl->o.workload == WL_STREAM)
		return;		/* the server only discards */
	c->rx_partial += len;
	while (c->rx_partial >= wl->o.size && c->inflight > 0) {
		if (now == 0)
			now = bench_now_ns();
		c->rx_partial -= wl->o.size;
		c->inflight--;
		wl->ops++;
		wl->bytes += wl->o.size;
		if (wl->measuring)
			hist_add(&wl->lat, now - (wl->o.workload == WL_CRR ? c->t_connect :
						  c->ts[c->tail % wl->o.depth]));
		c->tail++;
		if (wl->o.workload == WL_CRR) {
			c->state = BC_CLOSING;
			wl->io.close(wl->io.be, id);
			return;
		}
	}
	if (c->rx_partial >= wl->o.size) {
		wl->errors++;	/* more came back than was sent */
		c->rx_partial = 0;
	}
	if (c->state == BC_OPEN && !c->blocked)
		bw_fill(wl, id);
}

void
bw_on_writable(struct bench_wl *wl, uint32_t id)
{
	bw_fill(wl, id);
}

void
bw_on_closed(struct bench_wl *wl, uint32_t id, bool error)
{
	struct bench_conn *c = &wl->c[id];

	if (c->state == BC_IDLE)
		return;
	if (error || (c->state != BC_CLOSING && !wl->stopping))
		wl->errors++;
	c->state = BC_IDLE;
	wl->open--;
	if (wl->o.workload == WL_CRR && bw_may_issue(wl))
		bw_connect(wl, id);
}

void
bw_tick(struct bench_wl *wl)
{
	uint32_t i;

	/* rr issues from its callbacks alone: no walk over (possibly 64k) connections. */
	if (wl->o.workload == WL_RR || !bw_may_issue(wl))
		return;
	for (i = 0; i < wl->o.conns; i++) {
		struct bench_conn *c = &wl->c[i];

		if (wl->o.workload == WL_CRR && c->state == BC_IDLE)
			bw_connect(wl, i);
		else if (wl->o.workload == WL_STREAM && c->state == BC_OPEN && !c->blocked)
			bw_fill(wl, i);
	}
}

uint64_t
bw_port_waits(const struct bench_wl *wl)
{
	return wl->port_waits;
}

void
bw_stop(struct bench_wl *wl)
{
	uint32_t i;

	if (wl->stopping)
		return;
	wl->stopping = true;
	for (i = 0; i < wl->o.conns; i++) {
		if (wl->c[i].state == BC_OPEN) {
			wl->c[i].state = BC_CLOSING;
			wl->io.close(wl->io.be, i);
		}
	}
}

bool
bw_idle(const struct bench_wl *wl)
{
	return wl->open == 0;
}

bool
bw_done(const struct bench_wl *wl)
{
	uint32_t i;

	if (wl->o.requests == 0 || wl->issued < wl->o.requests)
		return false;
	for (i = 0; i < wl->o.conns; i++)
		if (wl->c[i].inflight > 0)
			return false;
	return true;
}

void
bw_measure(struct bench_wl *wl)
{
	wl->measuring = true;
	wl->m_ops = wl->ops;
	wl->m_bytes = wl->bytes;
	wl->m_errors = wl->errors;
	hist_init(&wl->lat);
}

void
bw_snapshot(const struct bench_wl *wl, uint64_t *ops, uint64_t *bytes, uint64_t *errors)
{
	*ops = wl->ops;
	*bytes = wl->bytes;
	*errors = wl->errors;
}

void
bw_result(const struct bench_wl *wl, struct bench_result *r)
{
	r->ops = wl->ops - wl->m_ops;
	r->bytes = wl->bytes - wl->m_bytes;
	r->errors = wl->errors - wl->m_errors;
	r->lat = wl->lat;
}
