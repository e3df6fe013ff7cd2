/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-bench -- packet and message rates of the sluice stack and of the Linux kernel's
 * TCP, with the same client logic over both (docs/bench.md).
 *
 *   sluice-bench [EAL args] -- --workload rr --remote 198.18.1.1 [options]
 *   sluice-bench --backend kernel -- --workload rr --remote 127.0.0.1 [options]
 *   sluice-bench --backend kernel -- --serve --workload rr --port 7
 *   sluice-bench --no-huge --no-pci -- --link ring --workload rr --requests 100000
 *   sluice-bench -l 0,1 --no-pci --vdev net_memif0,... -- --workload rr --conns 64 ...
 *
 * The sluice backend runs one worker per EAL lcore, as sluice-server does
 * (backend_sluice.c: one lcore drives each worker's share of the connections over a port;
 * over --link ring one thread drives every worker of both stacks).
 *
 * The kernel backend does not start DPDK's EAL. Every client run is bounded: --duration-s
 * (default 10), or --requests, whichever comes first. The kernel server (--serve) serves
 * until SIGINT/SIGTERM, or for --duration-s if given.
 */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include <sluice/sluice.h>

#include "bench.h"

static volatile sig_atomic_t bench_stop;

static void
bench_on_signal(int sig __rte_unused)
{
	bench_stop = 1;
}

bool
bench_stop_requested(void)
{
	return bench_stop != 0;
}

void
bench_request_stop(void)
{
	bench_stop = 1;
}

static const char *const wl_names[] = { "rr", "stream", "crr", "txonly", "rxonly", "pingpong",
					"reflect", NULL };
static const char *const be_names[] = { "sluice", "kernel", NULL };
static const char *const link_names[] = { "port", "ring", NULL };

#define BOPT(nm, ty, field, lo, hi, hlp) { \
	.section = "bench", .name = nm, .type = ty, \
	.offset = offsetof(struct bench_opts, field), .min = lo, .max = hi, .help = hlp }

static const struct sl_opt bench_opts_table[] = {
	{ .section = "bench", .name = "workload", .type = SL_OPT_ENUM,
	  .offset = offsetof(struct bench_opts, workload), .choices = wl_names,
	  .help = "rr, stream, crr (TCP); txonly, rxonly, pingpong, reflect (raw frames, no stack)" },
	{ .section = "bench", .name = "backend", .type = SL_OPT_ENUM,
	  .offset = offsetof(struct bench_opts, backend), .choices = be_names,
	  .help = "sluice (DPDK) or kernel (epoll sockets)" },
	{ .section = "bench", .name = "link", .type = SL_OPT_ENUM,
	  .offset = offsetof(struct bench_opts, link), .choices = link_names,
	  .help = "sluice backend: port (the EAL's port) or ring (two stacks in-process)" },
	BOPT("serve", SL_OPT_BOOL, serve, 0, 1,
	     "kernel backend: be the server (echo; discard for stream)"),
	BOPT("remote", SL_OPT_IPV4, remote, 0, 0, "the server's address"),
	BOPT("port", SL_OPT_U16, port, 0, 65535,
	     "the server's TCP port (0: 7 for rr and crr, 9 for stream)"),
	BOPT("ports", SL_OPT_U32, ports, 1, 1024,
	     "spread the connections over this many server ports from --port (one "
	     "port's 4-tuples hold --port-max - --port-min + 1; sluice-server --ports)"),
	BOPT("conns", SL_OPT_U32, conns, 1, BENCH_MAX_CONNS, "connections"),
	BOPT("depth", SL_OPT_U32, depth, 1, BENCH_MAX_DEPTH,
	     "rr: requests in flight per connection (1: ping-pong)"),
	BOPT("size", SL_OPT_U32, size, 1, BENCH_MAX_SIZE,
	     "bytes per request (rr, crr), per write (stream), per frame (txonly)"),
	BOPT("duration-s", SL_OPT_U32, duration_s, 0, 86400,
	     "measure this long (default 10; 0: until --requests; --serve: serve this long, "
	     "by default until a signal)"),
	BOPT("requests", SL_OPT_U64, requests, 0, UINT64_MAX >> 1,
	     "stop after this many requests (0: until --duration-s)"),
	BOPT("warmup-ms", SL_OPT_U32, warmup_ms, 0, 600000,
	     "run this long before measuring"),
	BOPT("progress", SL_OPT_BOOL, progress, 0, 1, "a progress line every second"),
	BOPT("stats", SL_OPT_BOOL, stats, 0, 1,
	     "sluice backend: print the client stack's counters at exit"),
	BOPT("json", SL_OPT_STR, json, 0, sizeof(((struct bench_opts *)0)->json),
	     "write every figure and the configuration to this file"),
	BOPT("label", SL_OPT_STR, label, 0, sizeof(((struct bench_opts *)0)->label),
	     "free text copied into the JSON"),
};

/* --duration-s not given (the option's range ends far below). */
#define BENCH_DURATION_UNSET UINT32_MAX

static void
bench_opts_defaults(struct bench_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->workload = WL_RR;
	o->backend = BE_SLUICE;
	o->link = LINK_PORT;
	o->conns = 1;
	o->ports = 1;
	o->depth = 1;
	o->size = 1;
	o->duration_s = BENCH_DURATION_UNSET;	/* main: 10 s, or none for --serve */
	o->warmup_ms = 500;
	o->progress = true;
	o->workers = 1;
}

static const char *
bench_unit(const struct bench_opts *o)
{
	switch (o->workload) {
	case WL_RR:
	case WL_PINGPONG:
		return "msg/s";
	case WL_STREAM:
		return "Gbit/s";
	case WL_CRR:
		return "conn/s";
	default:
		return "Mpps";
	}
}

/* The headline figure in its unit. */
static double
bench_rate(const struct bench_opts *o, const struct bench_result *r)
{
	if (r->seconds <= 0)
		return 0;
	switch (o->workload) {
	case WL_STREAM:
		return (double)r->bytes * 8 / r->seconds / 1e9;
	case WL_TXONLY:
	case WL_RXONLY:
	case WL_REFLECT:
		return (double)r->ops / r->seconds / 1e6;
	default:
		return (double)r->ops / r->seconds;
	}
}

int
bench_run_loop(struct bench_run *run, struct bench_result *r)
{
	const struct bench_opts *o = run->o;
	uint64_t start = bench_now_ns(), measure_at = start + o->warmup_ms * 1000000ull;
	uint64_t end = o->duration_s ? measure_at + o->duration_s * 1000000000ull : UINT64_MAX;
	uint64_t next = start + 1000000000ull, m_start = 0, last_ops = 0, last_t = start;
	uint64_t rtx0 = 0, drain_end;
	bool measuring = false;
	unsigned int iter = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = bw_start(run->wl);
	if (rc != 0) {
		fprintf(stderr, "sluice-bench: no connection could be opened\n");
		return rc;
	}
	while (!bench_stop_requested()) {
		uint64_t now;

		run->poll(run->arg);
		if (o->workload == WL_STREAM)
			bw_tick(run->wl);	/* the next batch of writes */
		if ((++iter & 63) != 0)
			continue;
		now = bench_now_ns();
		bw_tick(run->wl);
		if (!measuring && now >= measure_at) {
			measuring = true;
			m_start = now;
			rtx0 = run->retransmits != NULL ? run->retransmits(run->arg) : 0;
			bw_measure(run->wl);
		}
		if (o->progress && now >= next) {
			uint64_t ops, bytes, errors;
			double dt = (double)(now - last_t) / 1e9;

			bw_snapshot(run->wl, &ops, &bytes, &errors);
			if (o->workload == WL_STREAM)
				printf("[%3.0fs] %.2f Gbit/s", (double)(now - start) / 1e9,
				       (double)(bytes - last_ops) * 8 / dt / 1e9);
			else
				printf("[%3.0fs] %.0f %s", (double)(now - start) / 1e9,
				       (double)(ops - last_ops) / dt, bench_unit(o));
			printf("  errors %" PRIu64 "  retransmits %" PRIu64 "%s\n", errors,
			       run->retransmits != NULL ? run->retransmits(run->arg) : 0,
			       run->nlanes > 1 ? "  (worker 0's share)" : "");
			fflush(stdout);
			last_ops = o->workload == WL_STREAM ? bytes : ops;
			last_t = now;
			next += 1000000000ull;
		}
		if (now >= end || bw_done(run->wl))
			break;
	}
	if (!measuring) {
		m_start = bench_now_ns();
		bw_measure(run->wl);
	}
	r->seconds = (double)(bench_now_ns() - m_start) / 1e9;
	bw_result(run->wl, r);
	r->retransmits = run->retransmits != NULL ? run->retransmits(run->arg) - rtx0 : 0;
	if (bw_port_waits(run->wl) > 0)
		printf("sluice-bench: %" PRIu64 " connects waited for a free local port "
		       "(TIME-WAIT holds them: lower --msl-ms, widen --port-min/--port-max)\n",
		       bw_port_waits(run->wl));
	/* Close everything and let the closes finish (bounded). */
	bw_stop(run->wl);
	drain_end = bench_now_ns() + 2000000000ull;
	while (!bw_idle(run->wl) && bench_now_ns() < drain_end)
		run->poll(run->arg);
	return 0;
}

static void
bench_print_summary(const struct bench_opts *o, const struct bench_result *r)
{
	static const double qs[] = { 0.5, 0.9, 0.99, 0.999 };
	static const char *const qn[] = { "p50", "p90", "p99", "p99.9" };
	unsigned int i;

	printf("sluice-bench: %s over %s%s, %u conn x depth %u, %u B: %.4g %s "
	       "(%" PRIu64 " in %.2f s), errors %" PRIu64 ", retransmits %" PRIu64 "\n",
	       wl_names[o->workload], be_names[o->backend],
	       o->workers > 1 ? " (workers summed)" : "", o->conns, o->depth, o->size,
	       bench_rate(o, r), bench_unit(o), r->ops, r->seconds, r->errors, r->retransmits);
	if (r->lat.n == 0)
		return;
	printf("sluice-bench: latency (us):");
	for (i = 0; i < RTE_DIM(qs); i++)
		printf(" %s %.2f", qn[i], (double)hist_quantile(&r->lat, qs[i]) / 1e3);
	printf(" max %.2f\n", (double)r->lat.max / 1e3);
}

static int
bench_write_json(const struct bench_opts *o, const struct bench_result *r)
{
	FILE *f = fopen(o->json, "w");
	char ip[INET_ADDRSTRLEN];
	unsigned int i;
	bool first = true;

	if (f == NULL) {
		fprintf(stderr, "sluice-bench: cannot write %s: %s\n", o->json, strerror(errno));
		return -errno;
	}
	inet_ntop(AF_INET, &o->remote, ip, sizeof(ip));
	fprintf(f, "{\n  \"tool\": \"sluice-bench\",\n  \"label\": \"%s\",\n", o->label);
	fprintf(f, "  \"config\": {\"workload\": \"%s\", \"backend\": \"%s\", \"link\": \"%s\", "
		"\"remote\": \"%s\", \"port\": %u, \"conns\": %u, \"depth\": %u, \"size\": %u, "
		"\"duration_s\": %u, \"requests\": %" PRIu64 ", \"warmup_ms\": %u, "
		"\"workers\": %u},\n",
		wl_names[o->workload], be_names[o->backend], link_names[o->link], ip, o->port,
		o->conns, o->depth, o->size, o->duration_s, o->requests, o->warmup_ms,
		o->workers);
	fprintf(f, "  \"result\": {\"rate\": %.6g, \"unit\": \"%s\", \"seconds\": %.6f, "
		"\"ops\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"errors\": %" PRIu64 ", "
		"\"retransmits\": %" PRIu64,
		bench_rate(o, r), bench_unit(o), r->seconds, r->ops, r->bytes, r->errors,
		r->retransmits);
	if (r->lat.n > 0) {
		fprintf(f, ",\n    \"latency_us\": {\"n\": %" PRIu64 ", \"min\": %.3f, "
			"\"mean\": %.3f, \"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, "
			"\"p99.9\": %.3f, \"max\": %.3f},\n    \"histogram_ns\": [",
			r->lat.n, (double)r->lat.min / 1e3,
			(double)r->lat.sum / (double)r->lat.n / 1e3,
			(double)hist_quantile(&r->lat, 0.5) / 1e3,
			(double)hist_quantile(&r->lat, 0.9) / 1e3,
			(double)hist_quantile(&r->lat, 0.99) / 1e3,
			(double)hist_quantile(&r->lat, 0.999) / 1e3, (double)r->lat.max / 1e3);
		for (i = 0; i < HIST_BUCKETS; i++) {
			uint64_t lo, hi;

			if (r->lat.b[i] == 0)
				continue;
			hist_bucket_range(i, &lo, &hi);
			fprintf(f, "%s[%" PRIu64 ", %" PRIu64 "]", first ? "" : ", ", hi,
				r->lat.b[i]);
			first = false;
		}
		fprintf(f, "]");
	}
	fprintf(f, "}\n}\n");
	return fclose(f) == 0 ? 0 : -EIO;
}

/* Is this a kernel-backend command line? Then the EAL is not started. */
static bool
bench_kernel_argv(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if ((strcmp(argv[i], "--backend") == 0 && i + 1 < argc &&
		     strcmp(argv[i + 1], "kernel") == 0) || strcmp(argv[i], "--backend=kernel") == 0)
			return true;
	return false;
}

int
main(int argc, char **argv)
{
	struct bench_opts o;
	struct bench_result r;
	struct sl_config cfg;
	struct sl_opt_set sets[2];
	unsigned int nstack, nsets = 0;
	bool eal = !bench_kernel_argv(argc, argv);
	char err[512];
	int rc, i;

	if (eal) {
		rc = rte_eal_init(argc, argv);
		if (rc < 0) {
			fprintf(stderr, "sluice-bench: EAL initialisation failed: %s\n",
				rte_strerror(rte_errno));
			return 1;
		}
		argc -= rc;
		argv += rc;
		bench_clock_init();
	} else {
		/* No EAL: every argument is ours; drop the "--" separator if given. */
		for (i = 1; i < argc; i++)
			if (strcmp(argv[i], "--") == 0)
				break;
		if (i < argc) {
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof(argv[0]));
			argc--;
		}
	}
	sl_config_defaults(&cfg);
	bench_opts_defaults(&o);
	sets[nsets++] = (struct sl_opt_set){ bench_opts_table, RTE_DIM(bench_opts_table), &o };
	sets[nsets] = (struct sl_opt_set){ sl_config_opts(&nstack), 0, &cfg };
	sets[nsets++].n = nstack;
	rc = sl_config_parse(argc, argv, sets, nsets, err, sizeof(err));
	if (rc == -EAGAIN) {
		o.duration_s = 10;	/* the client's default, for the list */
		printf("usage: sluice-bench [EAL options] -- [options]\n\n");
		sl_config_usage(stdout, sets, nsets);
		return 0;
	}
	if (rc != 0) {
		fprintf(stderr, "sluice-bench: %s\n", err);
		return 2;
	}
	if (o.port == 0)
		o.port = o.workload == WL_STREAM ? 9 : 7;
	if ((uint32_t)o.port + o.ports - 1 > UINT16_MAX || (o.serve && o.ports > 1)) {
		fprintf(stderr, "sluice-bench: --ports %u from port %u: %s\n", o.ports, o.port,
			o.serve ? "the kernel server listens on one port" :
				  "runs past 65535");
		return 2;
	}
	if (o.duration_s == BENCH_DURATION_UNSET)
		o.duration_s = o.serve ? 0 : 10;
	if (o.duration_s == 0 && o.requests == 0 && !o.serve)
		o.duration_s = 10;
	if (o.workload == WL_CRR)
		o.depth = 1;
	signal(SIGINT, bench_on_signal);
	signal(SIGTERM, bench_on_signal);

	if (bench_workload_raw(o.workload)) {
		if (!eal) {
			fprintf(stderr, "sluice-bench: raw workloads need DPDK (no --backend kernel)\n");
			return 2;
		}
		rc = raw_run(&o, &r);
	} else if (o.backend == BE_KERNEL) {
		rc = o.serve ? backend_kernel_serve(&o) : backend_kernel_run(&o, &r);
		if (o.serve)
			return rc == 0 ? 0 : 1;
	} else {
		o.workers = rte_lcore_count();
		rc = backend_sluice_run(&o, &cfg, &r);
	}
	if (rc == 0) {
		bench_print_summary(&o, &r);
		if (o.json[0] != '\0')
			rc = bench_write_json(&o, &r);
	}
	if (eal)
		rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
