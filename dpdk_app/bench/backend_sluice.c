/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * backend_sluice.c -- the workload over the sluice stack.
 *
 *   --link port  one stack on the EAL's port (net_memif, a NIC, ...): the server is
 *                sluice-server (--mode echo for rr/crr, --mode discard for stream) in
 *                another process
 *   --link ring  two stacks in this process joined by two rte_rings (net_ring), the
 *                server's echo or discard built in; one thread polls both. No
 *                hugepages, no second process: what valgrind can run
 *                (scripts/bench.sh --instructions)
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <sluice/sluice.h>

#include "bench.h"

#define BS_RING_SIZE 4096

struct bsluice {
	struct sl_stack *s, *srv;	/* srv: the in-process server (ring link) */
	struct sl_worker *w, *wsrv;
	struct bench_wl *wl;
	const struct bench_opts *o;
	rte_be32_t remote;
	struct rte_ring *ring[2];	/* ring link: the wire, both ways */
	struct sl_conn *conn[BENCH_MAX_CONNS];
};

static struct bsluice bs;

/* ---- the client's transport ---- */

static int
bs_send(void *be, uint32_t id, const uint8_t *data, uint32_t len)
{
	struct bsluice *b = be;
	int rc;

	if (b->conn[id] == NULL)
		return -ENOTCONN;
	rc = sl_conn_send(b->conn[id], data, len);
	if (rc == 0)
		return (int)len;
	return rc == -EAGAIN ? 0 : rc;
}

static void
bs_close(void *be, uint32_t id)
{
	struct bsluice *b = be;

	if (b->conn[id] != NULL)
		sl_conn_close(b->conn[id]);
}

static const struct sl_conn_ops bs_client_ops;

static int
bs_connect(void *be, uint32_t id)
{
	struct bsluice *b = be;
	uint16_t port = b->o->port;

	b->conn[id] = sl_worker_connect(b->w, b->remote, port, &bs_client_ops,
				      (void *)(uintptr_t)id);
	return b->conn[id] != NULL ? 0 : -rte_errno;
}

static uint32_t
bs_id(struct sl_conn *c)
{
	return (uint32_t)(uintptr_t)sl_conn_user(c);
}

static void
bs_on_connect(struct sl_conn *c)
{
	bw_on_open(bs.wl, bs_id(c));
}

static int
bs_on_message(struct sl_conn *c, const struct sl_msg *m)
{
	bw_on_data(bs.wl, bs_id(c), m->len);
	return SL_RX_OK;
}

static void
bs_on_writable(struct sl_conn *c)
{
	bw_on_writable(bs.wl, bs_id(c));
}

static void
bs_on_eof(struct sl_conn *c)
{
	sl_conn_close(c);
}

static void
bs_on_close(struct sl_conn *c, enum sl_close_reason why)
{
	uint32_t id = bs_id(c);

	bs.conn[id] = NULL;
	bw_on_closed(bs.wl, id, why != SL_CLOSE_NORMAL);
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

static int
srv_on_message(struct sl_conn *c, const struct sl_msg *m)
{
	if (bs.o->workload == WL_STREAM)
		return SL_RX_OK;
	return sl_conn_send(c, m->data, m->len) == -EAGAIN ? SL_RX_AGAIN : SL_RX_OK;
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

static const struct sl_conn_ops bs_server_ops = {
	.on_accept = srv_on_accept,
	.on_message = srv_on_message,
	.on_writable = srv_on_writable,
	.on_eof = srv_on_eof,
};

/* A net_ring port on rings (rx, tx), with a MAC (net_ring ports have none). */
static int
bs_ring_port(const char *name, struct rte_ring *rx, struct rte_ring *tx, uint8_t id)
{
	struct rte_ether_addr mac = { .addr_bytes = { 0x02, 0xbe, 0x4c, 0, 0, id } };
	int port = rte_eth_from_rings(name, &rx, 1, &tx, 1, SOCKET_ID_ANY);

	if (port < 0)
		return -rte_errno;
	if (rte_eth_dev_mac_addr_add((uint16_t)port, &mac, 0) != 0)
		return -EIO;
	return port;
}

static int
bs_ring_setup(struct sl_config *cfg)
{
	struct rte_ring *ab = rte_ring_create("bench_ab", BS_RING_SIZE, SOCKET_ID_ANY,
					      RING_F_SP_ENQ | RING_F_SC_DEQ);
	struct rte_ring *ba = rte_ring_create("bench_ba", BS_RING_SIZE, SOCKET_ID_ANY,
					      RING_F_SP_ENQ | RING_F_SC_DEQ);
	struct sl_config scfg;
	int pa, pb, rc;

	if (ab == NULL || ba == NULL)
		return -ENOMEM;
	bs.ring[0] = ab;
	bs.ring[1] = ba;
	pa = bs_ring_port("net_ring_bench_c", ba, ab, 1);
	pb = bs_ring_port("net_ring_bench_s", ab, ba, 2);
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
	bs.remote = scfg.ip.addr;
	bs.srv = sl_stack_create(&scfg, 1);
	if (bs.srv == NULL)
		return -rte_errno;
	bs.wsrv = sl_stack_worker(bs.srv, 0);
	rc = sl_stack_listen(bs.srv, bs.o->port, &bs_server_ops, NULL);
	if (rc == 0)
		rc = sl_stack_start(bs.srv);
	return rc;
}

static unsigned int
bs_poll(void *arg)
{
	struct bsluice *b = arg;
	unsigned int n = sl_worker_poll(b->w);

	if (b->wsrv != NULL)
		n += sl_worker_poll(b->wsrv);
	return n;
}

static uint64_t
bs_retransmits(void *arg)
{
	struct bsluice *b = arg;
	uint64_t n = sl_worker_stats(b->w)->tcp_retransmit_segs;

	if (b->wsrv != NULL)
		n += sl_worker_stats(b->wsrv)->tcp_retransmit_segs;
	return n;
}

int
backend_sluice_run(const struct bench_opts *o, struct sl_config *cfg, struct bench_result *r)
{
	struct bench_io io = { bs_send, bs_close, bs_connect, &bs };
	struct bench_run run = { .o = o, .poll = bs_poll, .retransmits = bs_retransmits,
				 .arg = &bs };
	char err[256];
	unsigned int leaked = 0;
	int rc;

	memset(&bs, 0, sizeof(bs));
	bs.o = o;
	bs.remote = o->remote;
	if (o->link == LINK_RING) {
		rc = bs_ring_setup(cfg);
		if (rc != 0) {
			fprintf(stderr, "sluice-bench: ring link: %s\n", strerror(-rc));
			goto out;
		}
	}
	if (bs.remote == 0) {
		fprintf(stderr, "sluice-bench: --remote a.b.c.d is needed\n");
		rc = -EINVAL;
		goto out;
	}
	if (sl_config_validate(cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "sluice-bench: %s\n", err);
		rc = -EINVAL;
		goto out;
	}
	bs.s = sl_stack_create(cfg, 1);
	if (bs.s == NULL) {
		rc = -rte_errno;
		fprintf(stderr, "sluice-bench: cannot create the stack: %s\n", strerror(-rc));
		goto out;
	}
	bs.w = sl_stack_worker(bs.s, 0);
	rc = sl_stack_start(bs.s);
	if (rc != 0) {
		fprintf(stderr, "sluice-bench: cannot start the stack: %s\n", strerror(-rc));
		goto out;
	}
	bs.wl = bw_create(o, &io);
	if (bs.wl == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	run.wl = bs.wl;
	rc = bench_run_loop(&run, r);
out:
	if (bs.s != NULL && o->stats) {
		printf("sluice-bench: client stack counters:\n");
		sl_stats_print(stdout, sl_worker_stats(bs.w), 0);
	}
	if (bs.s != NULL)
		sl_stack_stop(bs.s);
	if (bs.srv != NULL)
		sl_stack_stop(bs.srv);
	/* Frames still on the wire belong to the pools about to be checked. */
	for (int i = 0; i < 2; i++) {
		void *m;

		while (bs.ring[i] != NULL && rte_ring_dequeue(bs.ring[i], &m) == 0)
			rte_pktmbuf_free(m);
	}
	if (bs.s != NULL)
		leaked += sl_stack_destroy(bs.s);
	if (bs.srv != NULL)
		leaked += sl_stack_destroy(bs.srv);
	rte_ring_free(bs.ring[0]);
	rte_ring_free(bs.ring[1]);
	bw_free(bs.wl);
	if (leaked != 0) {
		fprintf(stderr, "sluice-bench: LEAK: %u mbufs not returned to their pools\n",
			leaked);
		if (rc == 0)
			rc = -EFAULT;
	}
	return rc;
}
