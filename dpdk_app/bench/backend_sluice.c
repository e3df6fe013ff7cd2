/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * backend_sluice.c -- the workload over the sluice stack.
 *
 *   --link port  one stack on the EAL's port (net_memif, a NIC, ...): the server is
 *                sluice-server (--mode echo for rr/crr, --mode discard for stream) in
 *                another process
 *   --link ring  two stacks in this process joined by rte_rings (net_ring), the server's
 *                echo or discard built in; one thread polls both. No hugepages, no second
 *                process: what valgrind can run (scripts/bench.sh --instructions)
 *
 * Several workers: N lcores given to the EAL give each stack N workers (N queues on the
 * port). The run is split into lanes, one workload (bench_wl) each, driven by one thread:
 *
 *   --link port  one lane per worker, on that worker's lcore: lane i opens its share of
 *                --conns (and of --requests) from worker i and polls worker i only, as
 *                sluice-server's lcores do. The lanes' results are summed.
 *   --link ring  one lane on the main lcore that polls every worker of both stacks in
 *                turn; connection i opens from worker i mod N. One thread keeps the run
 *                deterministic, so that callgrind's count per request is repeatable; the
 *                net_ring wire joins client queue i to server queue i, and each stack
 *                hands a segment that reached the wrong queue to its owner, which is the
 *                handoff path a port like memif exercises.
 *
 * A worker whose lane is done (or that opened no connection) goes on polling until every
 * lane is done: with software ownership it still receives other workers' segments and
 * hands them over, the closes included.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_ring.h>

#include <sluice/sluice.h>

#include "bench.h"

#define BS_RING_SIZE 4096

struct bs_lane;

/* A client connection; its sl_conn's user pointer, so that callbacks find their lane. */
struct bs_slot {
	struct bs_lane *lane;
	struct sl_conn *c;
	uint32_t id;			/* in the lane's workload */
};

/* One workload and the thread that drives it (see the head of the file). */
struct bs_lane {
	struct bsluice *b;
	struct bench_opts o;		/* this lane's share of --conns and --requests */
	struct bench_wl *wl;
	struct sl_worker **open;	/* connection id opens from open[id % nopen] */
	unsigned int nopen;
	struct sl_worker **poll;	/* what this lane's thread polls */
	unsigned int npoll;
	struct bench_result r;
	int rc;
	struct bs_slot *slot;
};

struct bsluice {
	struct sl_stack *s, *srv;	/* srv: the in-process server (ring link) */
	const struct bench_opts *o;
	rte_be32_t remote;
	unsigned int nw;		/* workers per stack */
	unsigned int nlanes;
	unsigned int lanes_done;	/* atomic: lanes whose run is over */
	struct rte_ring *ring[2][RTE_MAX_LCORE];	/* ring link: the wire, both ways */
	struct sl_worker *cw[RTE_MAX_LCORE];	/* the client stack's workers */
	struct sl_worker *all[2 * RTE_MAX_LCORE];	/* ring link: both stacks' workers */
	struct bs_lane lane[RTE_MAX_LCORE];
};

/* ---- the client's transport ---- */

static int
bs_send(void *be, uint32_t id, const uint8_t *data, uint32_t len)
{
	struct bs_lane *l = be;
	int rc;

	if (l->slot[id].c == NULL)
		return -ENOTCONN;
	rc = sl_conn_send(l->slot[id].c, data, len);
	if (rc == 0)
		return (int)len;
	return rc == -EAGAIN ? 0 : rc;
}

static void
bs_close(void *be, uint32_t id)
{
	struct bs_lane *l = be;

	if (l->slot[id].c != NULL)
		sl_conn_close(l->slot[id].c);
}

static const struct sl_conn_ops bs_client_ops;

static int
bs_connect(void *be, uint32_t id)
{
	struct bs_lane *l = be;
	struct bs_slot *sl = &l->slot[id];

	sl->c = sl_worker_connect(l->open[id % l->nopen], l->b->remote,
				  (uint16_t)(l->o.port + id % l->o.ports), &bs_client_ops, sl);
	return sl->c != NULL ? 0 : -rte_errno;
}

static struct bs_slot *
bs_slot_of(struct sl_conn *c)
{
	return sl_conn_user(c);
}

static void
bs_on_connect(struct sl_conn *c)
{
	struct bs_slot *sl = bs_slot_of(c);

	bw_on_open(sl->lane->wl, sl->id);
}

static int
bs_on_message(struct sl_conn *c, const struct sl_msg *m)
{
	struct bs_slot *sl = bs_slot_of(c);

	bw_on_data(sl->lane->wl, sl->id, m->len);
	return SL_RX_OK;
}

static void
bs_on_writable(struct sl_conn *c)
{
	struct bs_slot *sl = bs_slot_of(c);

	bw_on_writable(sl->lane->wl, sl->id);
}

static void
bs_on_eof(struct sl_conn *c)
{
	sl_conn_close(c);
}

static void
bs_on_close(struct sl_conn *c, enum sl_close_reason why)
{
	struct bs_slot *sl = bs_slot_of(c);

	sl->c = NULL;
	bw_on_closed(sl->lane->wl, sl->id, why != SL_CLOSE_NORMAL);
}

static const struct sl_conn_ops bs_client_ops = {
	.on_connect = bs_on_connect,
	.on_message = bs_on_message,
	.on_writable = bs_on_writable,
	.on_eof = bs_on_eof,
	.on_close = bs_on_close,
};

/* ---- the in-process server (ring link): echo or discard ---- */

static int
srv_on_accept(struct sl_conn *c, void *arg)
{
	(void)c;
	(void)arg;
	return 0;
}

/* The server echoes (rr, crr) or discards (stream): ops of their own for each, chosen
 * at listen time, so that a message costs no test of the workload. */
static int
srv_on_message_echo(struct sl_conn *c, const struct sl_msg *m)
{
	return sl_conn_send(c, m->data, m->len) == -EAGAIN ? SL_RX_AGAIN : SL_RX_OK;
}

static int
srv_on_message_discard(struct sl_conn *c, const struct sl_msg *m)
{
	(void)c;
	(void)m;
	return SL_RX_OK;
}

static void
srv_on_writable(struct sl_conn *c)
{
	sl_conn_resume_rx(c);
}

static void
srv_on_eof(struct sl_conn *c)
{
	sl_conn_close(c);
}

static const struct sl_conn_ops bs_server_echo_ops = {
	.on_accept = srv_on_accept,
	.on_message = srv_on_message_echo,
	.on_writable = srv_on_writable,
	.on_eof = srv_on_eof,
};

static const struct sl_conn_ops bs_server_discard_ops = {
	.on_accept = srv_on_accept,
	.on_message = srv_on_message_discard,
	.on_writable = srv_on_writable,
	.on_eof = srv_on_eof,
};

/* A net_ring port with nq queue pairs on rings rx[], tx[], with a MAC (net_ring ports have
 * none). */
static int
bs_ring_port(const char *name, struct rte_ring *const *rx, struct rte_ring *const *tx,
	     unsigned int nq, uint8_t id)
{
	struct rte_ether_addr mac = { .addr_bytes = { 0x02, 0xbe, 0x4c, 0, 0, id } };
	int port = rte_eth_from_rings(name, rx, nq, tx, nq, SOCKET_ID_ANY);

	if (port < 0)
		return -rte_errno;
	if (rte_eth_dev_mac_addr_add((uint16_t)port, &mac, 0) != 0)
		return -EIO;
	return port;
}

static int
bs_ring_setup(struct bsluice *b, struct sl_config *cfg)
{
	struct sl_config scfg;
	char name[RTE_RING_NAMESIZE];
	unsigned int i, d;
	int pa, pb, rc = 0;

	/* ring[0][i]: client queue i -> server queue i; ring[1][i]: the way back. */
	for (d = 0; d < 2; d++) {
		for (i = 0; i < b->nw; i++) {
			snprintf(name, sizeof(name), "bench_%s%u", d == 0 ? "ab" : "ba", i);
			b->ring[d][i] = rte_ring_create(name, BS_RING_SIZE, SOCKET_ID_ANY,
							RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (b->ring[d][i] == NULL)
				return -ENOMEM;
		}
	}
	pa = bs_ring_port("net_ring_bench_c", b->ring[1], b->ring[0], b->nw, 1);
	pb = bs_ring_port("net_ring_bench_s", b->ring[0], b->ring[1], b->nw, 2);
	if (pa < 0 || pb < 0)
		return pa < 0 ? pa : pb;
	if (cfg->ip.addr == 0) {
		cfg->ip.addr = RTE_BE32(0xc6120201);	/* 198.18.2.1 */
		cfg->ip.len = 24;
	}
	scfg = *cfg;
	cfg->port_id = (uint16_t)pa;
	scfg.port_id = (uint16_t)pb;
	scfg.ip.addr = rte_cpu_to_be_32(rte_be_to_cpu_32(cfg->ip.addr) + 1);
	b->remote = scfg.ip.addr;
	b->srv = sl_stack_create(&scfg, b->nw);
	if (b->srv == NULL)
		return -rte_errno;
	for (i = 0; i < b->o->ports && rc == 0; i++)
		rc = sl_stack_listen(b->srv, (uint16_t)(b->o->port + i),
				     b->o->workload == WL_STREAM ? &bs_server_discard_ops :
				     &bs_server_echo_ops, b);
	if (rc == 0)
		rc = sl_stack_start(b->srv);
	return rc;
}

static unsigned int
bs_poll(void *arg)
{
	const struct bs_lane *l = arg;
	unsigned int i, n = 0;

	for (i = 0; i < l->npoll; i++)
		n += sl_worker_poll(l->poll[i]);
	return n;
}

static uint64_t
bs_retransmits(void *arg)
{
	const struct bs_lane *l = arg;
	unsigned int i;
	uint64_t n = 0;

	for (i = 0; i < l->npoll; i++)
		n += sl_worker_stats(l->poll[i])->tcp_retransmit_segs;
	return n;
}

/* Lane i's share of a total split over n lanes: the first (total mod n) get one more. */
static uint64_t
bs_share(uint64_t total, unsigned int i, unsigned int n)
{
	return total / n + (i < total % n ? 1 : 0);
}

/* Run one lane, then poll its workers until every lane is done. */
static int
bs_lane_main(void *arg)
{
	struct bs_lane *l = arg;
	struct bsluice *b = l->b;
	struct bench_io io = { bs_send, bs_close, bs_connect, l };
	struct bench_run run = { .o = &l->o, .poll = bs_poll, .retransmits = bs_retransmits,
				 .arg = l, .nlanes = b->nlanes };

	if (l->o.conns > 0) {
		l->wl = bw_create(&l->o, &io);
		if (l->wl == NULL) {
			l->rc = -ENOMEM;
		} else {
			run.wl = l->wl;
			l->rc = bench_run_loop(&run, &l->r);
		}
	}
	__atomic_fetch_add(&b->lanes_done, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&b->lanes_done, __ATOMIC_ACQUIRE) < b->nlanes)
		bs_poll(l);
	return 0;
}

/* Set the lanes up (see the head of the file). */
static int
bs_lanes_setup(struct bsluice *b)
{
	const struct bench_opts *o = b->o;
	unsigned int i;

	b->nlanes = o->link == LINK_RING ? 1 : b->nw;
	for (i = 0; i < b->nw; i++) {
		b->cw[i] = sl_stack_worker(b->s, i);
		b->all[i] = b->cw[i];
		if (b->srv != NULL)
			b->all[b->nw + i] = sl_stack_worker(b->srv, i);
	}
	for (i = 0; i < b->nlanes; i++) {
		struct bs_lane *l = &b->lane[i];
		uint32_t k;

		l->b = b;
		l->o = *o;
		if (o->link == LINK_RING) {
			l->open = b->cw;
			l->nopen = b->nw;
			l->poll = b->all;
			l->npoll = 2 * b->nw;
		} else {
			l->o.conns = (uint32_t)bs_share(o->conns, i, b->nlanes);
			if (o->requests != 0)
				l->o.requests = bs_share(o->requests, i, b->nlanes);
			/* Only the main lcore prints a progress line for the whole run. */
			l->o.progress = o->progress && i == 0;
			l->open = &b->cw[i];
			l->nopen = 1;
			l->poll = &b->cw[i];
			l->npoll = 1;
		}
		l->slot = calloc(RTE_MAX(l->o.conns, 1u), sizeof(l->slot[0]));
		if (l->slot == NULL)
			return -ENOMEM;
		for (k = 0; k < l->o.conns; k++)
			l->slot[k] = (struct bs_slot){ .lane = l, .id = k };
	}
	return 0;
}

/* Lane 0 on the main lcore, lane i on the i-th worker lcore; results summed into r. */
static int
bs_lanes_run(struct bsluice *b, struct bench_result *r)
{
	unsigned int lcore, i = 1;
	int rc = 0;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (i >= b->nlanes)
			break;
		rc = rte_eal_remote_launch(bs_lane_main, &b->lane[i], lcore);
		if (rc != 0) {
			fprintf(stderr, "sluice-bench: cannot launch lane %u: %s\n", i,
				strerror(-rc));
			bench_request_stop();
			/* None of the lanes from i on will run. */
			__atomic_fetch_add(&b->lanes_done, b->nlanes - i, __ATOMIC_RELEASE);
			break;
		}
		i++;
	}
	bs_lane_main(&b->lane[0]);
	rte_eal_mp_wait_lcore();

	memset(r, 0, sizeof(*r));
	hist_init(&r->lat);
	for (i = 0; i < b->nlanes; i++) {
		const struct bs_lane *l = &b->lane[i];

		if (l->rc != 0 && rc == 0)
			rc = l->rc;
		if (l->wl == NULL)
			continue;
		/* The lanes measure about the same interval, each by its own clock: the
		 * longest one makes the summed rate a lower bound. */
		if (l->r.seconds > r->seconds)
			r->seconds = l->r.seconds;
		r->ops += l->r.ops;
		r->bytes += l->r.bytes;
		r->errors += l->r.errors;
		r->retransmits += l->r.retransmits;
		hist_merge(&r->lat, &l->r.lat);
		if (b->nlanes > 1)
			printf("sluice-bench: worker %u: %" PRIu64 " in %.2f s, errors %" PRIu64
			       "\n", i, l->r.ops, l->r.seconds, l->r.errors);
	}
	return rc;
}

/*
 * Over the ring link each stack holds the other's mbufs while they travel: on the wire, and
 * with several workers in a handoff ring (a final ACK handed to its owner after the client
 * saw its last close). Poll both stacks until nothing is received for a few rounds (a
 * segment drained from a handoff ring shows up as a receive on the other side one round
 * later, if it is answered), so that each stack's pool check finds its mbufs home.
 */
static void
bs_ring_settle(struct bs_lane *l)
{
	uint64_t end = bench_now_ns() + 100000000ull;
	unsigned int quiet = 0;

	while (quiet < 4 && bench_now_ns() < end)
		quiet = bs_poll(l) == 0 ? quiet + 1 : 0;
}

/* Several workers: how many received segments went through the handoff. */
static void
bs_print_handoff(const char *who, const struct sl_stack *s)
{
	struct sl_stats st;

	if (s == NULL || sl_stack_worker_count(s) < 2)
		return;
	sl_stack_stats(s, &st);
	printf("sluice-bench: %s: %u workers, %" PRIu64 " of %" PRIu64 " TCP segments "
	       "received were handed to their owner (%.0f%%), %" PRIu64 " dropped on a full "
	       "ring\n", who, sl_stack_worker_count(s), st.handoff_segs, st.tcp_rx_segs,
	       st.tcp_rx_segs ? 100.0 * (double)st.handoff_segs / (double)st.tcp_rx_segs : 0.0,
	       st.handoff_drop_full);
}

int
backend_sluice_run(const struct bench_opts *o, struct sl_config *cfg, struct bench_result *r)
{
	struct bsluice *b = calloc(1, sizeof(*b));
	char err[256];
	unsigned int leaked = 0, i, d;
	int rc;

	if (b == NULL)
		return -ENOMEM;
	b->o = o;
	b->remote = o->remote;
	b->nw = rte_lcore_count();
	if (o->link == LINK_RING) {
		rc = bs_ring_setup(b, cfg);
		if (rc != 0) {
			fprintf(stderr, "sluice-bench: ring link: %s\n", strerror(-rc));
			goto out;
		}
	}
	if (b->remote == 0) {
		fprintf(stderr, "sluice-bench: --remote a.b.c.d is needed\n");
		rc = -EINVAL;
		goto out;
	}
	if (sl_config_validate(cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "sluice-bench: %s\n", err);
		rc = -EINVAL;
		goto out;
	}
	b->s = sl_stack_create(cfg, b->nw);
	if (b->s == NULL) {
		rc = -rte_errno;
		fprintf(stderr, "sluice-bench: cannot create the stack: %s\n", strerror(-rc));
		goto out;
	}
	rc = sl_stack_start(b->s);
	if (rc != 0) {
		fprintf(stderr, "sluice-bench: cannot start the stack: %s\n", strerror(-rc));
		goto out;
	}
	if (b->nw > 1) {
		struct sl_port_info info;

		sl_stack_port_info(b->s, &info);
		printf("sluice-bench: %u workers (%s), flows steered by %s\n", b->nw,
		       o->link == LINK_RING ? "every worker of both stacks polled by one thread" :
		       "one lcore each", info.rss_steering ? "RSS (key and RETA set by sluice)" :
		       "software ownership with handoff");
	}
	rc = bs_lanes_setup(b);
	if (rc == 0)
		rc = bs_lanes_run(b, r);
	if (b->srv != NULL && b->nlanes > 0)
		bs_ring_settle(&b->lane[0]);
out:
	if (b->s != NULL && o->stats) {
		struct sl_stats st;

		sl_stack_stats(b->s, &st);
		printf("sluice-bench: client stack counters:\n");
		sl_stats_print(stdout, &st, 0);
	}
	if (rc == 0) {
		bs_print_handoff("client", b->s);
		bs_print_handoff("server", b->srv);
	}
	if (b->s != NULL)
		sl_stack_stop(b->s);
	if (b->srv != NULL)
		sl_stack_stop(b->srv);
	/* Frames still on the wire belong to the pools about to be checked. */
	for (d = 0; d < 2; d++) {
		for (i = 0; i < b->nw; i++) {
			void *m;

			while (b->ring[d][i] != NULL && rte_ring_dequeue(b->ring[d][i], &m) == 0)
				rte_pktmbuf_free(m);
		}
	}
	if (b->s != NULL)
		leaked += sl_stack_destroy(b->s);
	if (b->srv != NULL)
		leaked += sl_stack_destroy(b->srv);
	for (d = 0; d < 2; d++)
		for (i = 0; i < b->nw; i++)
			rte_ring_free(b->ring[d][i]);
	for (i = 0; i < b->nlanes; i++) {
		bw_free(b->lane[i].wl);
		free(b->lane[i].slot);
	}
	free(b);
	if (leaked != 0) {
		fprintf(stderr, "sluice-bench: LEAK: %u mbufs not returned to their pools\n",
			leaked);
		if (rc == 0)
			rc = -EFAULT;
	}
	return rc;
}
