/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * server.c -- a complete sluice server for the protocol of proto.h, the template to copy
 * for your own (README.md in this folder says how).
 *
 *   proto-server [EAL options] -- [sluice options] [--port N]
 *   proto-server -l 0 --no-pci --huge-unlink -m 256 --vdev net_tap0,iface=sl0 \
 *       -- --ip 198.18.0.2/24
 *
 * The life of the program, in the order sluice needs:
 *
 *   1. rte_eal_init(), then one sl_config_parse() for the library's keys (struct
 *      sl_config: --ip, --mtu, --sndbuf...) and this program's own (--port), so that one
 *      --help lists both and an INI file (--config) may hold both;
 *   2. SIGINT/SIGTERM only set a flag that every polling loop reads;
 *   3. sl_stack_create() with one worker per lcore (the rule is at server_launch());
 *   4. sl_stack_listen_framed() before sl_stack_start();
 *   5. every lcore polls its worker until the flag is set;
 *   6. once every lcore has returned: sl_stack_stop() (the port stops), the counters
 *      (sl_stack_stats()), then sl_stack_destroy(), which frees everything and returns
 *      how many mbufs and framing objects never came back to their pools: the leak
 *      report. Counters are read before destroy, which frees the workers.
 *
 * Requests are answered from on_message through the serializer. When the connection's
 * send queue is full (-EAGAIN, or -ENOBUFS when the worker is out of buffers), the
 * request is not consumed: on_message returns SL_RX_AGAIN, delivery on that connection
 * stops (its receive window closes as bytes wait, which slows the client down), and
 * on_writable, which sluice calls once the queue has drained, calls sl_conn_resume_rx():
 * the same request is delivered again. A request is therefore answered exactly once, and
 * a client that sends faster than it reads cannot make the server buffer without bound.
 */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include <sluice/sluice.h>

#include "proto.h"

/* The program's own options ([app] section), next to the library's struct sl_config. */
struct app_opts {
	uint16_t port;
};

static const struct sl_opt app_opts_table[] = {
	{ .section = "app", .name = "port", .type = SL_OPT_U16,
	  .offset = offsetof(struct app_opts, port), .min = 1, .max = 65535,
	  .help = "TCP port to listen on" },
};

/* Counters of one worker, written only by its lcore (no atomics needed), read by main
 * after every lcore has returned. Cache-aligned so that workers share no line. */
struct app_counters {
	uint64_t requests;		/* requests answered */
	uint64_t paused;		/* SL_RX_AGAIN: the send queue was full */
	uint64_t errors;		/* framing errors answered with PROTO_ERROR */
	uint64_t closed[SL_CLOSE_REASON_MAX + 1];	/* on_close, by reason */
} __rte_cache_aligned;

/* Everything the callbacks need, reached through sl_conn_listen_arg(): no globals. */
struct app {
	struct sl_framing framing;
	struct app_counters w[RTE_MAX_LCORE];	/* indexed by sl_worker_id() */
};

/* The one process-wide variable: a signal handler has no argument to reach anything
 * else. Polling loops on other lcores read it, hence the atomic loads. */
static volatile sig_atomic_t app_stop;

static void
app_on_signal(int sig)
{
	(void)sig;
	app_stop = 1;
}

static bool
app_stopping(void)
{
	return __atomic_load_n(&app_stop, __ATOMIC_RELAXED) != 0;
}

static struct app_counters *
conn_counters(struct sl_conn *c)
{
	struct app *app = sl_conn_listen_arg(c);

	return &app->w[sl_worker_id(sl_conn_worker(c))];
}

/* ---- connection callbacks (they run on the connection's worker lcore) ---- */

static int
on_message(struct sl_conn *c, const struct sl_msg *m)
{
	struct proto_msg reply;
	uint8_t sum_be[4];
	uint32_t sum = 0, i;
	int rc;

	/* m->data is contiguous: a request that spans mbufs was copied once for us (the
	 * framing does not ask for slice lists). It is borrowed until we return. */
	switch (m->type) {
	case PROTO_ECHO:
		reply = (struct proto_msg){ PROTO_ECHO_REPLY, m->data, m->len };
		break;
	case PROTO_SUM:
		for (i = 0; i < m->len; i++)
			sum += m->data[i];
		sum_be[0] = (uint8_t)(sum >> 24);
		sum_be[1] = (uint8_t)(sum >> 16);
		sum_be[2] = (uint8_t)(sum >> 8);
		sum_be[3] = (uint8_t)sum;
		reply = (struct proto_msg){ PROTO_SUM_REPLY, sum_be, sizeof(sum_be) };
		break;
	default:
		/* proto_frame() lets no other type through. */
		return SL_RX_OK;
	}
	rc = sl_conn_send_msg(c, &reply);
	if (rc == 0) {
		conn_counters(c)->requests++;
		return SL_RX_OK;
	}
	if (rc == -EAGAIN || rc == -ENOBUFS) {
		/* Nothing of the reply was queued: keep the request, on_writable resumes. */
		conn_counters(c)->paused++;
		return SL_RX_AGAIN;
	}
	/* -EPIPE: the connection no longer sends (the peer reset it, say): drop. */
	return SL_RX_OK;
}

static void
on_writable(struct sl_conn *c)
{
	sl_conn_resume_rx(c);	/* a no-op unless on_message returned SL_RX_AGAIN */
}

/*
 * The deserializer refused the stream (err from proto_frame(); EPIPE for a FIN inside a
 * message, ETIMEDOUT for a message left incomplete --msg-timeout-ms). off counts from the
 * first byte the client sent on this connection. The framing's policy (SL_FRAMING_CLOSE)
 * applies when this returns: what is queued here leaves before the FIN.
 */
static void
on_error(struct sl_conn *c, int err, uint64_t off)
{
	static const char text_type[] = "unknown request type";
	static const char text_len[] = "length above the limit";
	static const char text_other[] = "bad stream";
	uint8_t payload[64];
	const char *text;
	size_t n;

	(void)off;
	conn_counters(c)->errors++;
	if (err == EPROTO) {
		payload[0] = PROTO_E_TYPE;
		text = text_type;
	} else if (err == EMSGSIZE) {
		payload[0] = PROTO_E_LENGTH;
		text = text_len;
	} else {
		payload[0] = PROTO_E_OTHER;
		text = text_other;
	}
	n = strlen(text);
	memcpy(payload + 1, text, n);
	/* Best effort: a send queue that is full now loses the error reply, not the close. */
	sl_conn_send_msg(c, &(struct proto_msg){ PROTO_ERROR, payload, (uint32_t)(1 + n) });
}

static void
on_eof(struct sl_conn *c)
{
	/* The client has sent everything: close our side once the replies are out. */
	sl_conn_close(c);
}

static void
on_close(struct sl_conn *c, enum sl_close_reason reason)
{
	if ((unsigned int)reason <= SL_CLOSE_REASON_MAX)
		conn_counters(c)->closed[reason]++;
}

static const struct sl_conn_ops app_conn_ops = {
	.on_message = on_message,
	.on_writable = on_writable,
	.on_error = on_error,
	.on_eof = on_eof,
	.on_close = on_close,
};

/* ---- lcores ---- */

static int
worker_loop(void *arg)
{
	struct sl_worker *w = arg;

	while (!app_stopping())
		sl_worker_poll(w);
	return 0;
}

/*
 * One worker per lcore, each polled by exactly one thread: worker i owns queue pair i of
 * the port, its mbuf pool, its connections and timers, and nothing in it is locked, so
 * two threads must never poll the same worker, and a worker nobody polls leaves its
 * connections hanging. The stack was created with rte_lcore_count() workers; the main
 * lcore polls worker 0 and the EAL's worker lcores, in RTE_LCORE_FOREACH_WORKER order,
 * workers 1, 2, ... Connections stay on the worker that accepted them, so the callbacks
 * of one connection always run on one lcore.
 */
static void
server_launch(struct sl_stack *s)
{
	unsigned int lcore, i = 1;

	RTE_LCORE_FOREACH_WORKER(lcore)
		rte_eal_remote_launch(worker_loop, sl_stack_worker(s, i++), lcore);
	worker_loop(sl_stack_worker(s, 0));
	rte_eal_mp_wait_lcore();	/* every lcore has returned: nothing polls any more */
}

static void
server_report(const struct app *app, unsigned int nworkers)
{
	struct app_counters t;
	unsigned int i, r;

	memset(&t, 0, sizeof(t));
	for (i = 0; i < nworkers; i++) {
		t.requests += app->w[i].requests;
		t.paused += app->w[i].paused;
		t.errors += app->w[i].errors;
		for (r = 0; r <= SL_CLOSE_REASON_MAX; r++)
			t.closed[r] += app->w[i].closed[r];
	}
	printf("proto-server: %" PRIu64 " requests answered, %" PRIu64 " paused for a full "
	       "send queue, %" PRIu64 " framing errors answered\n", t.requests, t.paused,
	       t.errors);
	printf("proto-server: connections closed:");
	for (r = 0; r <= SL_CLOSE_REASON_MAX; r++)
		printf(" %s %" PRIu64, sl_close_reason_str((enum sl_close_reason)r), t.closed[r]);
	printf("\n");
}

int
main(int argc, char **argv)
{
	static struct app app;	/* big (per-lcore counters): not on the stack */
	struct app_opts opts = { .port = 7000 };
	struct sl_opt_set sets[2];
	struct sl_config cfg;
	struct sl_stack *s;
	struct sl_stats st;
	char err[256], ip[INET_ADDRSTRLEN];
	unsigned int n, leaked;
	int rc;

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "proto-server: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	sl_config_defaults(&cfg);
	sets[0] = (struct sl_opt_set){ sl_config_opts(&n), 0, &cfg };
	sets[0].n = n;
	sets[1] = (struct sl_opt_set){ app_opts_table, RTE_DIM(app_opts_table), &opts };
	rc = sl_config_parse(argc - rc, argv + rc, sets, RTE_DIM(sets), err, sizeof(err));
	if (rc == -EAGAIN) {		/* --help */
		sl_config_usage(stdout, sets, RTE_DIM(sets));
		rte_eal_cleanup();
		return 0;
	}
	if (rc != 0 || sl_config_validate(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "proto-server: %s\n", err);
		rte_eal_cleanup();
		return 2;
	}
	signal(SIGINT, app_on_signal);
	signal(SIGTERM, app_on_signal);

	s = sl_stack_create(&cfg, rte_lcore_count());
	if (s == NULL) {
		fprintf(stderr, "proto-server: stack: %s\n", rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 1;
	}
	app.framing = (struct sl_framing){
		.ds = &proto_deserializer,
		.ser = &proto_serializer,
		.on_error = SL_FRAMING_CLOSE,	/* on_error's reply, then FIN */
	};
	rc = sl_stack_listen_framed(s, opts.port, &app_conn_ops, &app, &app.framing);
	if (rc == 0)
		rc = sl_stack_start(s);
	if (rc != 0) {
		fprintf(stderr, "proto-server: cannot start: %s\n", strerror(-rc));
		sl_stack_destroy(s);
		rte_eal_cleanup();
		return 1;
	}
	inet_ntop(AF_INET, &cfg.ip.addr, ip, sizeof(ip));
	printf("proto-server: listening on %s:%u, %u worker(s)\n", ip, opts.port,
	       sl_stack_worker_count(s));
	fflush(stdout);

	server_launch(s);

	sl_stack_stop(s);
	sl_stack_stats(s, &st);
	printf("proto-server: stopped; counters:\n");
	sl_stats_print(stdout, &st, 0);
	server_report(&app, sl_stack_worker_count(s));
	leaked = sl_stack_destroy(s);
	rte_eal_cleanup();
	if (leaked != 0) {
		printf("proto-server: LEAK: %u mbufs or framing objects not returned\n", leaked);
		return 3;
	}
	printf("proto-server: pools clean\n");
	return 0;
}
