/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-server -- a sluice stack on one DPDK port, serving one application mode.
 *
 *   sluice-server [EAL args] -- [options]
 *   sluice-server -l 1 --no-pci --vdev net_tap0,iface=sl0 -- --ip 198.18.0.2/24
 *
 * Every lcore given to the EAL runs one worker (the main lcore runs worker 0). The
 * program runs until a signal or --duration-s, then stops the port, prints the counters
 * and frees everything. What it serves is the --mode's business: main.c only runs the
 * hooks of its struct server_mode (server.h), in order: setup, start, (drain), report,
 * teardown.
 *
 * Signals, as service managers expect (systemd's KillSignal=SIGTERM, Kubernetes'
 * terminationGracePeriodSeconds, docs/deploy.md):
 *
 *   SIGTERM   graceful drain (sl_stack_drain): stop accepting, let every connection send
 *             what it has queued and close with a FIN, reset what is still open after
 *             --drain-s, report, exit 0
 *   SIGINT    stop at once (an operator's Ctrl-C), as does any second signal during a
 *             drain; connections are simply abandoned
 */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include <sluice/sluice.h>

#include "server.h"

/* The only process-wide state: what a signal handler can reach. */
static volatile sig_atomic_t server_stop_requested;
static volatile sig_atomic_t server_drain_requested;

/* The first SIGTERM asks for a drain, which the main loop begins; SIGINT, or any signal
 * once a drain was asked for, stops at once. */
static void
server_on_signal(int sig)
{
	if (sig == SIGTERM && !server_drain_requested)
		server_drain_requested = 1;
	else
		server_stop_requested = 1;
}

void
server_request_stop(void)
{
	server_stop_requested = 1;
}

static const char *const server_verify_names[] = { "echo", "none", NULL };
static const char *const server_pubsub_slow_names[] = { "disconnect", "drop", NULL };

#define APP_OPT(nm, ty, field, lo, hi, hlp) { \
	.section = "app", .name = nm, .type = ty, \
	.offset = offsetof(struct server_opts, field), .min = lo, .max = hi, .help = hlp }

static const struct sl_opt server_opts_table[] = {
	{ .section = "app", .name = "mode", .type = SL_OPT_CUSTOM,
	  .offset = offsetof(struct server_opts, mode), .parse = server_mode_opt_parse,
	  .format = server_mode_opt_format, .help = "what the server does" },
	APP_OPT("port", SL_OPT_U16, port, 0, 65535,
		"TCP port to listen on (0: the mode's default)"),
	APP_OPT("ports", SL_OPT_U32, ports, 1, 1024,
		"listening modes: listen on --port and the ports above it, this many "
		"(clients beyond one port's 4-tuples: sluice-bench --ports)"),
	APP_OPT("duration-s", SL_OPT_U32, duration_s, 0, 86400 * 365,
		"stop after this many seconds (0: run until SIGINT/SIGTERM)"),
	APP_OPT("stats-interval-s", SL_OPT_U32, stats_interval_s, 0, 3600,
		"print counters every N seconds (0: only at exit)"),
	APP_OPT("remote", SL_OPT_IPV4, remote, 0, 0,
		"client modes: address to connect to (--port is the remote port)"),
	APP_OPT("bytes", SL_OPT_U64, bytes, 0, UINT64_MAX >> 1,
		"client modes: bytes to send on each connection"),
	APP_OPT("connections", SL_OPT_U32, connections, 1, 1000000,
		"client modes: number of connections"),
	APP_OPT("write-size", SL_OPT_U32, write_size, 1, 16384,
		"source mode: bytes per send (small writes show coalescing)"),
	APP_OPT("start-delay-ms", SL_OPT_U32, start_delay_ms, 0, 3600000,
		"client modes: wait this long after start before connecting"),
	{ .section = "app", .name = "verify", .type = SL_OPT_ENUM,
	  .offset = offsetof(struct server_opts, verify), .choices = server_verify_names,
	  .help = "source mode: echo (every byte must come back) or none" },
	APP_OPT("max-msg", SL_OPT_U32, max_msg, 0, 64 << 20,
		"framed modes: largest message in bytes (0: the mode's default)"),
	APP_OPT("line-crlf", SL_OPT_BOOL, line_crlf, 0, 1,
		"echo-line: lines end with CRLF only (a bare LF is an error)"),
	APP_OPT("lenpfx-width", SL_OPT_U32, lenpfx_width, 1, 4,
		"echo-lenpfx: bytes in the length field (1, 2 or 4)"),
	APP_OPT("lenpfx-le", SL_OPT_BOOL, lenpfx_le, 0, 1,
		"echo-lenpfx: the length is little-endian"),
	APP_OPT("lenpfx-incl", SL_OPT_BOOL, lenpfx_incl, 0, 1,
		"echo-lenpfx: the length counts the length field itself"),
	APP_OPT("kv-max-keys", SL_OPT_U64, kv_max_keys, 1, 1ull << 32,
		"kv: most keys the store holds (each worker's part)"),
	APP_OPT("kv-fwd-records", SL_OPT_U32, kv_fwd_records, 16, 1 << 20,
		"kv, several workers: 64 KB records for requests between workers"),
	APP_OPT("kv-inbox", SL_OPT_U32, kv_inbox, 2, 1 << 20,
		"kv, several workers: records a worker's inbox ring holds"),
	APP_OPT("http-body-len", SL_OPT_U32, http_body_len, 0, 1 << 20,
		"http: bytes in the fixed response body"),
	APP_OPT("producers", SL_OPT_U32, producers, 1, 64,
		"pubsub: producer threads publishing to every subscriber"),
	APP_OPT("messages", SL_OPT_U64, messages, 0, UINT64_MAX >> 1,
		"pubsub: messages per producer to each subscriber (0: until stopped)"),
	APP_OPT("msg-min", SL_OPT_U32, msg_min, 24, 4096,
		"pubsub: smallest message (bytes, the whole line)"),
	APP_OPT("msg-max", SL_OPT_U32, msg_max, 24, 4096,
		"pubsub: largest message"),
	{ .section = "app", .name = "pubsub-slow", .type = SL_OPT_ENUM,
	  .offset = offsetof(struct server_opts, pubsub_slow),
	  .choices = server_pubsub_slow_names,
	  .help = "pubsub: a subscriber over its limit is reset (disconnect) or its "
		  "messages are skipped while it is over, the gap counted (drop)" },
	{ .section = "app", .name = "pubsub-limit", .type = SL_OPT_CUSTOM,
	  .offset = offsetof(struct server_opts, pubsub_limit),
	  .parse = pubsub_limit_opt_parse, .format = pubsub_limit_opt_format,
	  .help = "pubsub: HARD[,SOFT,SECONDS] backlog bytes (k/m suffixes): over the limit "
		  "at HARD (0: none), or at SOFT or above for SECONDS (SOFT 0: taking "
		  "nothing at its high mark)" },
};

static void
server_opts_defaults(struct server_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = &mode_echo;
	o->bytes = 1 << 20;
	o->connections = 1;
	o->ports = 1;
	o->write_size = 16384;
	o->verify = SOURCE_VERIFY_ECHO;
	o->lenpfx_width = 4;
	o->kv_max_keys = 1 << 20;
	o->kv_fwd_records = 1023;
	o->kv_inbox = 1024;
	o->http_body_len = 13;
	o->producers = 2;
	o->messages = 0;
	o->msg_min = 24;
	o->msg_max = 120;
	o->pubsub_slow = PUBSUB_SLOW_DISCONNECT;
	o->pubsub_limit = (struct pubsub_limit){ .hard = 0, .soft = 0, .soft_ms = 5000 };
}

/* What a worker lcore's loop needs: its worker and the mode's context. */
struct server_lcore_arg {
	struct sl_worker *w;
	struct server_ctx *ctx;
};

static int
server_worker_loop(void *arg)
{
	const struct server_lcore_arg *a = arg;
	void (*mode_poll)(struct sl_worker *w, struct server_ctx *ctx) = a->ctx->opts->mode->poll;

	if (mode_poll == NULL) {
		while (!server_stop_requested)
			sl_worker_poll(a->w);
		return 0;
	}
	while (!server_stop_requested) {
		sl_worker_poll(a->w);
		mode_poll(a->w, a->ctx);
	}
	return 0;
}

/* SIGTERM: the stack drains (every worker in its own poll loop, lib/api/drain.c); the mode
 * stops producing new data (pubsub's producers), so that the drain can end. */
static void
server_drain_begin(struct sl_stack *s, struct server_ctx *ctx)
{
	const struct server_mode *mode = ctx->opts->mode;

	ctx->drain_start = rte_rdtsc();
	printf("sluice-server: SIGTERM: draining (connections still open after %u s are "
	       "reset; a second signal stops at once)\n", sl_stack_config(s)->drain_s);
	fflush(stdout);
	if (mode->drain != NULL)
		mode->drain(s, ctx);
	sl_stack_drain(s);
}

/* What the drain did, from the workers' counters. */
static void
server_print_drain(struct sl_stack *s, const struct server_ctx *ctx, const struct sl_stats *st)
{
	double secs = (double)(rte_rdtsc() - ctx->drain_start) / (double)rte_get_tsc_hz();

	if (ctx->drain_start == 0)
		return;
	if (!sl_stack_drained(s)) {
		printf("sluice-server: drain interrupted after %.2f s by a second signal: %"
		       PRIu64 " connection(s) open when it began with %" PRIu64 " bytes queued, %"
		       PRIu64 " reset; those still open were abandoned\n", secs,
		       st->tcp_drain_conns, st->tcp_drain_queued, st->tcp_drain_reset);
		return;
	}
	printf("sluice-server: drain complete after %.2f s: %" PRIu64 " connection(s) open with %"
	       PRIu64 " bytes queued, %" PRIu64 " closed cleanly, %" PRIu64 " reset\n",
	       secs, st->tcp_drain_conns,
	       st->tcp_drain_queued,
	       st->tcp_drain_conns - RTE_MIN(st->tcp_drain_conns, st->tcp_drain_reset),
	       st->tcp_drain_reset);
}

/* The main lcore polls worker 0 and also keeps the time: duration, periodic stats, and
 * the start of client modes (which connect from worker 0, i.e. from this thread). */
static int
server_main_loop(struct sl_stack *s, struct server_ctx *ctx)
{
	const struct server_opts *o = ctx->opts;
	const struct server_mode *mode = o->mode;
	struct sl_worker *w = sl_stack_worker(s, 0);
	uint64_t hz = rte_get_tsc_hz();
	uint64_t start = rte_rdtsc();
	uint64_t end = o->duration_s ? start + (uint64_t)o->duration_s * hz : UINT64_MAX;
	uint64_t next_stats = o->stats_interval_s ? start + o->stats_interval_s * hz :
			      UINT64_MAX;
	uint64_t mode_at = start + (uint64_t)o->start_delay_ms * hz / 1000;
	bool mode_started = false;
	unsigned int iter = 0;
	int rc = 0;

	while (!server_stop_requested) {
		sl_worker_poll(w);
		if (mode->poll != NULL)
			mode->poll(w, ctx);
		if (unlikely(server_drain_requested)) {
			if (ctx->drain_start == 0)
				server_drain_begin(s, ctx);
			if (sl_stack_drained(s))	/* every worker, this one included */
				server_stop_requested = 1;
		}
		if ((++iter & 1023) != 0)
			continue;
		uint64_t now = rte_rdtsc();

		if (!mode_started && now >= mode_at) {
			mode_started = true;
			rc = mode->start != NULL ? mode->start(s, ctx) : 0;
			if (rc != 0) {
				fprintf(stderr, "sluice-server: mode start failed: %s\n",
					strerror(-rc));
				server_stop_requested = 1;
			}
		}

		if (now >= end)
			server_stop_requested = 1;
		if (now >= next_stats) {
			struct sl_stats st;

			next_stats = now + o->stats_interval_s * hz;
			sl_stack_stats(s, &st);
			printf("--- counters at %.0f s\n", (double)(now - start) / (double)hz);
			sl_stats_print(stdout, &st, 0);
			fflush(stdout);
		}
	}
	return rc;
}

/* The send path in a few ratios: how well writes coalesced, how full the bursts were. */
static void
server_print_send_path(const struct sl_stats *st)
{
	if (st->tcp_tx_data_segs == 0)
		return;
	printf("sluice-server: send path: %" PRIu64 " writes, %" PRIu64 " data segments "
	       "(%.1f%% full), %.2f writes/segment, %.1f packets/TX burst, %" PRIu64
	       " retransmitted\n", st->tcp_app_writes, st->tcp_tx_data_segs,
	       100.0 * (double)st->tcp_tx_full_segs / (double)st->tcp_tx_data_segs,
	       (double)st->tcp_app_writes / (double)st->tcp_tx_data_segs,
	       st->tx_bursts ? (double)st->tx_packets / (double)st->tx_bursts : 0.0,
	       st->tcp_retransmit_segs);
}

static void
server_print_banner(struct sl_stack *s, const struct server_opts *o)
{
	const struct sl_config *cfg = sl_stack_config(s);
	char mac[RTE_ETHER_ADDR_FMT_SIZE], ip[INET_ADDRSTRLEN];
	struct sl_port_info info;

	sl_stack_port_info(s, &info);
	rte_ether_format_addr(mac, sizeof(mac), &info.mac);
	inet_ntop(AF_INET, &cfg->ip.addr, ip, sizeof(ip));
	printf("sluice-server: port %u (%s) mac %s ip %s/%u mtu %u, %u worker(s), mode %s\n",
	       info.port_id, info.driver, mac, ip, cfg->ip.len, info.mtu,
	       sl_stack_worker_count(s), o->mode->name);
	printf("sluice-server: checksum offload tx ip=%s tcp=%s, rx ip=%s tcp=%s; tso %s; "
	       "link %s %u Mbps\n",
	       info.tx_ip_csum ? "on" : "off", info.tx_tcp_csum ? "on" : "off",
	       info.rx_ip_csum ? "on" : "off", info.rx_tcp_csum ? "on" : "off",
	       info.tx_tso ? "on" : "off",
	       info.link_up ? "up" : "down", info.link_speed_mbps);
	if (sl_stack_worker_count(s) > 1)
		printf("sluice-server: flows steered by %s\n", info.rss_steering ?
		       "RSS (key and RETA set by sluice)" : "software ownership with handoff");
	/* The runtime directory ends with the EAL's --file-prefix, which dpdk-dumpcap needs. */
	if (info.capture) {
		const char *prefix = strrchr(rte_eal_get_runtime_dir(), '/');

		printf("sluice-server: capture with: dpdk-dumpcap --file-prefix %s -i %u -w "
		       "FILE.pcapng\n", prefix != NULL ? prefix + 1 : rte_eal_get_runtime_dir(),
		       info.port_id);
	}
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	const struct server_mode *mode;
	struct server_lcore_arg largs[RTE_MAX_LCORE];
	struct server_ctx *ctx;
	struct server_opts opts;
	struct sl_config cfg;
	struct sl_opt_set sets[2];
	struct sl_stack *s;
	struct sl_stats st;
	unsigned int nstack, lcore, i, leaked;
	int status;
	char err[512];
	int rc;

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "sluice-server: EAL initialisation failed: %s (no hugepages? run "
			"scripts/setup.sh, or pass --no-huge -m <MB> to the EAL)\n",
			rte_strerror(rte_errno));
		return 1;
	}
	argc -= rc;
	argv += rc;

	sl_config_defaults(&cfg);
	server_opts_defaults(&opts);
	sets[0] = (struct sl_opt_set){ sl_config_opts(&nstack), 0, &cfg };
	sets[0].n = nstack;
	sets[1] = (struct sl_opt_set){ server_opts_table, RTE_DIM(server_opts_table), &opts };
	rc = sl_config_parse(argc, argv, sets, RTE_DIM(sets), err, sizeof(err));
	if (rc == -EAGAIN) {
		printf("usage: sluice-server [EAL options] -- [options]\n\n");
		sl_config_usage(stdout, sets, RTE_DIM(sets));
		rte_eal_cleanup();
		return 0;
	}
	if (rc != 0) {
		fprintf(stderr, "sluice-server: %s\n", err);
		rte_eal_cleanup();
		return 2;
	}
	if (sl_config_validate(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "sluice-server: %s\n", err);
		rte_eal_cleanup();
		return 2;
	}

	signal(SIGINT, server_on_signal);
	signal(SIGTERM, server_on_signal);

	s = sl_stack_create(&cfg, rte_lcore_count());
	if (s == NULL) {
		fprintf(stderr, "sluice-server: cannot create the stack: %s (see the log above)\n",
			rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 1;
	}
	rc = sl_stack_telemetry_register(s);
	if (rc != 0)
		fprintf(stderr, "sluice-server: telemetry unavailable: %s\n", strerror(-rc));
	mode = opts.mode;
	ctx = rte_zmalloc("sl_server_ctx", sizeof(*ctx), RTE_CACHE_LINE_SIZE);
	if (ctx == NULL) {
		rc = -ENOMEM;
	} else {
		ctx->opts = &opts;
		ctx->port = opts.port != 0 ? opts.port : mode->port;
		rc = mode->setup != NULL ? mode->setup(s, ctx) : 0;
	}
	if (rc == 0)
		rc = sl_stack_start(s);
	if (rc != 0) {
		fprintf(stderr, "sluice-server: cannot start: %s\n", strerror(-rc));
		if (ctx != NULL && mode->teardown != NULL)
			mode->teardown(ctx);
		rte_free(ctx);
		sl_stack_destroy(s);
		rte_eal_cleanup();
		return 1;
	}
	server_print_banner(s, &opts);

	i = 1;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		largs[i] = (struct server_lcore_arg){ .w = sl_stack_worker(s, i), .ctx = ctx };
		rte_eal_remote_launch(server_worker_loop, &largs[i], lcore);
		i++;
	}
	rc = server_main_loop(s, ctx);
	rte_eal_mp_wait_lcore();

	sl_stack_stop(s);
	sl_stack_stats(s, &st);
	printf("sluice-server: stopped; counters:\n");
	sl_stats_print(stdout, &st, 0);
	server_print_send_path(&st);
	server_print_drain(s, ctx, &st);
	if (mode->port != 0)
		server_print_summary(s, ctx);
	status = mode->report != NULL ? mode->report(s, ctx) : 0;
	if (rc != 0)
		status = 1;
	fflush(stdout);
	if (mode->teardown != NULL)
		mode->teardown(ctx);
	rte_free(ctx);
	leaked = sl_stack_destroy(s);
	rte_eal_cleanup();
	if (leaked != 0) {
		printf("sluice-server: LEAK: %u mbufs or framing objects were not returned to their pools\n", leaked);
		return 3;
	}
	printf("sluice-server: mbuf pools clean\n");
	return status;
}
