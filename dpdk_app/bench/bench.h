/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SLUICE_BENCH_H
#define SLUICE_BENCH_H

/*
 * sluice-bench: one client logic (workload.c), two backends that carry it (the sluice
 * stack, backend_sluice.c; kernel sockets with epoll, backend_kernel.c), the raw PMD
 * floor with no stack at all (raw.c), and main.c for options, the run, the live progress
 * line, the summary and the JSON.
 *
 * A backend owns the connections' transport and calls the workload's bw_on_* functions
 * as things happen; the workload calls back through struct bench_io to send, close and
 * connect. A workload and its transport run on one thread; the sluice backend with several
 * workers runs one workload per worker lcore and sums their results (backend_sluice.c).
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>

#include "hist.h"

enum bench_workload {
	WL_RR, WL_STREAM, WL_CRR,		/* TCP, either backend */
	WL_TXONLY, WL_RXONLY,			/* raw frames: the packet-rate floor */
	WL_PINGPONG, WL_REFLECT,		/* raw frames: the round-trip floor */
	WL_COUNT
};

/* The workloads of raw.c: frames on the port, no stack. */
static inline bool
bench_workload_raw(enum bench_workload wl)
{
	return wl == WL_TXONLY || wl == WL_RXONLY || wl == WL_PINGPONG || wl == WL_REFLECT;
}
enum bench_backend { BE_SLUICE, BE_KERNEL, BE_COUNT };
enum bench_link { LINK_PORT, LINK_RING, LINK_COUNT };

#define BENCH_MAX_CONNS		65536
#define BENCH_MAX_DEPTH		256
#define BENCH_MAX_SIZE		(1u << 20)

struct bench_opts {
	unsigned int workload;		/* enum bench_workload */
	unsigned int backend;		/* enum bench_backend */
	unsigned int link;		/* enum bench_link (sluice backend) */
	bool serve;			/* kernel backend: be the server */
	rte_be32_t remote;		/* the server */
	uint16_t port;			/* its TCP port (0: 7 for rr/crr, 9 for stream) */
	uint32_t ports;			/* connection i goes to port + i % ports */
	uint32_t conns;
	uint32_t depth;			/* rr: requests in flight per connection */
	uint32_t size;			/* bytes per request (rr, crr), per write (stream),
					 * per frame (txonly) */
	uint32_t duration_s;		/* 0: until --requests */
	uint64_t requests;		/* 0: until --duration-s */
	uint32_t warmup_ms;		/* not measured at the start */
	bool progress;			/* a line every second */
	bool stats;			/* sluice backend: print the stack's counters at exit */
	char json[256];			/* write the results there ("" none) */
	char label[64];			/* free text, copied into the JSON */
	unsigned int workers;		/* sluice backend: workers per stack (EAL lcores);
					 * set by main, not an option */
};

/* What one run measured. */
struct bench_result {
	double seconds;			/* measured interval */
	uint64_t ops;			/* responses (rr), connections (crr), frames */
	uint64_t bytes;			/* payload bytes moved (stream: acknowledged) */
	uint64_t errors;		/* failed connects, resets, short echoes */
	uint64_t retransmits;		/* sluice backend: segments retransmitted */
	struct hist lat;		/* ns: request to response (rr), connect to close (crr) */
};

/* ---- the transport, as the workload sees it ---- */

struct bench_io {
	/* Queue len bytes on connection id: len if all taken, 0 if none (full: the
	 * backend calls bw_on_writable later), < 0 on error. All or nothing. */
	int (*send)(void *be, uint32_t id, const uint8_t *data, uint32_t len);
	/* Close id gracefully (bw_on_closed follows). */
	void (*close)(void *be, uint32_t id);
	/* Open connection id (bw_on_open or bw_on_closed with an error follows). */
	int (*connect)(void *be, uint32_t id);
	void *be;
};

/* ---- workload.c ---- */

struct bench_wl;

struct bench_wl *bw_create(const struct bench_opts *o, const struct bench_io *io);
void bw_free(struct bench_wl *wl);
/* Open every connection. */
int bw_start(struct bench_wl *wl);
void bw_on_open(struct bench_wl *wl, uint32_t id);
void bw_on_data(struct bench_wl *wl, uint32_t id, uint32_t len);
void bw_on_writable(struct bench_wl *wl, uint32_t id);
void bw_on_closed(struct bench_wl *wl, uint32_t id, bool error);
/* Stop issuing work (the run is over); true once every connection has closed. */
void bw_stop(struct bench_wl *wl);
bool bw_idle(const struct bench_wl *wl);
/* Start measuring now (end of the warm-up); read what was measured so far. */
void bw_measure(struct bench_wl *wl);
void bw_snapshot(const struct bench_wl *wl, uint64_t *ops, uint64_t *bytes, uint64_t *errors);
void bw_result(const struct bench_wl *wl, struct bench_result *r);
/* Periodic work of the run loop: crr reopens slots that found no free local port;
 * stream goes on writing where a batch stopped. */
void bw_tick(struct bench_wl *wl);
uint64_t bw_port_waits(const struct bench_wl *wl);
/* The run is over by count (--requests). */
bool bw_done(const struct bench_wl *wl);

/* Nanoseconds of CLOCK_MONOTONIC, from the TSC once bench_clock_init() (after the EAL
 * is up) has measured its rate (workload.c); inline, read twice per rr request. */
struct bench_clock {
	uint64_t tsc0, ns0;
	uint64_t mult;			/* ns per TSC tick, << 32; 0: use clock_gettime */
};
extern struct bench_clock bench_clk;

void bench_clock_init(void);
uint64_t bench_clock_gettime_ns(void);

static inline uint64_t
bench_now_ns(void)
{
	if (likely(bench_clk.mult != 0))
		return bench_clk.ns0 + (uint64_t)(((unsigned __int128)(rte_rdtsc() -
				bench_clk.tsc0) * bench_clk.mult) >> 32);
	return bench_clock_gettime_ns();
}

/* ---- backends: run the whole measurement, fill r. 0 or -errno. ---- */

struct sl_config;

int backend_sluice_run(const struct bench_opts *o, struct sl_config *cfg,
		       struct bench_result *r);
int backend_kernel_run(const struct bench_opts *o, struct bench_result *r);
int backend_kernel_serve(const struct bench_opts *o);
int raw_run(const struct bench_opts *o, struct bench_result *r);

/* main.c: the shared run loop of the backends. poll() does one round of work (returns
 * how much); the loop handles warm-up, progress, duration and the final drain. */
struct bench_run {
	const struct bench_opts *o;
	struct bench_wl *wl;
	unsigned int (*poll)(void *arg);
	uint64_t (*retransmits)(void *arg);
	void *arg;
	unsigned int nlanes;		/* > 1: this loop carries 1/nlanes of the run; its
					 * progress line says so */
};
int bench_run_loop(struct bench_run *run, struct bench_result *r);
bool bench_stop_requested(void);
/* Stop every run loop at its next clock check (as SIGINT does). */
void bench_request_stop(void);

#endif /* SLUICE_BENCH_H */
