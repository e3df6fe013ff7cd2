/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * harness.c -- see harness.h.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "harness.h"
#include "tcp/flow.h"

const struct rte_ether_addr th_peer_mac = { .addr_bytes = { 0x02, 0, 0, 0, 0, 0x01 } };
const struct rte_ether_addr th_other_mac = { .addr_bytes = { 0x02, 0, 0, 0, 0, 0x03 } };
const struct rte_ether_addr th_bcast_mac = {
	.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };

/* Ring ports need unique names within the process. */
static unsigned int th_port_seq;

void
th_eal_init(const char *prog)
{
	const char *args[] = {
		prog, "-l", "0", "--no-huge", "--no-shconf", "--no-pci", "-m", "512",
		"--file-prefix", NULL, "--log-level", "lib.eal:error", "--no-telemetry",
	};
	char prefix[64], buf[RTE_DIM(args)][64];
	char *argv[RTE_DIM(args)];
	unsigned int i;

	snprintf(prefix, sizeof(prefix), "sl-%s-%d", prog, (int)getpid());
	args[9] = prefix;
	/* rte_eal_init() wants writable strings. */
	for (i = 0; i < RTE_DIM(args); i++) {
		snprintf(buf[i], sizeof(buf[i]), "%s", args[i]);
		argv[i] = buf[i];
	}
	if (rte_eal_init((int)RTE_DIM(args), argv) < 0) {
		fprintf(stderr, "EAL init failed: %s\n", rte_strerror(rte_errno));
		abort();
	}
}

void
th_config(struct sl_config *cfg)
{
	sl_config_defaults(cfg);
	cfg->ip.addr = TH_STACK_IP;
	cfg->ip.len = 24;
	cfg->mbufs = 2047;
	cfg->mbuf_cache = 32;
	cfg->rx_desc = 64;
	cfg->tx_desc = 64;
	cfg->tx_queue_max = 256;
	cfg->arp_entries = 16;
	cfg->arp_pending = 4;
	cfg->max_flows = 256;
	cfg->seed = 0x5eed;
}

int
th_setup(struct th *t, const struct sl_config *cfg)
{
	return th_setup_ring(t, cfg, 4096);
}

int
th_setup_ring(struct th *t, const struct sl_config *cfg, unsigned int tx_ring_size)
{
	return th_setup_hook(t, cfg, tx_ring_size, NULL, NULL);
}

static int
th_setup_n(struct th *t, const struct sl_config *cfg, unsigned int tx_ring_size,
	   unsigned int nworkers, th_hook_fn before_start, void *arg)
{
	struct sl_config def;
	char name[RTE_RING_NAMESIZE];
	unsigned int seq = th_port_seq++, i;
	int port;

	assert_true(nworkers >= 1 && nworkers <= TH_MAX_WORKERS);
	memset(t, 0, sizeof(*t));
	if (cfg == NULL) {
		th_config(&def);
		cfg = &def;
	}
	t->nworkers = nworkers;
	for (i = 0; i < nworkers; i++) {
		snprintf(name, sizeof(name), "th_rx%u_%u", seq, i);
		t->rxq[i] = rte_ring_create(name, 4096, SOCKET_ID_ANY,
					    RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "th_tx%u_%u", seq, i);
		t->txq[i] = rte_ring_create(name, tx_ring_size, SOCKET_ID_ANY,
					    RING_F_SP_ENQ | RING_F_SC_DEQ);
		assert_non_null(t->rxq[i]);
		assert_non_null(t->txq[i]);
	}
	t->rx = t->rxq[0];
	t->tx = t->txq[0];
	snprintf(name, sizeof(name), "net_ring_th%u", seq);
	port = rte_eth_from_rings(name, t->rxq, nworkers, t->txq, nworkers, SOCKET_ID_ANY);
	assert_true(port >= 0);
	t->port_id = (uint16_t)port;

	def = *cfg;
	def.port_id = t->port_id;
	t->s = sl_stack_create(&def, nworkers);
	assert_non_null(t->s);
	t->w = sl_stack_worker(t->s, 0);
	for (i = 0; i < nworkers; i++) {
		struct sl_worker *w = sl_stack_worker(t->s, i);

		w->clock.virtual_time = true;
		w->clock.now_us = 1000000;  /* start at 1 s so "0" never means "just now" */
	}
	if (before_start != NULL)
		before_start(t, arg);
	assert_int_equal(sl_stack_start(t->s), 0);
	t->mac = t->w->mac;
	t->baseline = th_in_use(t);
	return 0;
}

int
th_setup_hook(struct th *t, const struct sl_config *cfg, unsigned int tx_ring_size,
	      th_hook_fn before_start, void *arg)
{
	return th_setup_n(t, cfg, tx_ring_size, 1, before_start, arg);
}

int
th_setup_workers(struct th *t, const struct sl_config *cfg, unsigned int nworkers,
		 th_hook_fn before_start, void *arg)
{
	return th_setup_n(t, cfg, 4096, nworkers, before_start, arg);
}

void
th_teardown(struct th *t)
{
	unsigned int in_use, i;

	th_quiesce(t);
	th_tx_drain(t);
	in_use = th_in_use(t);
	if (in_use != t->baseline)
		fprintf(stderr, "mbuf leak: %u in use, baseline %u\n", in_use, t->baseline);
	/* The stack's own check at destroy must agree. */
	assert_int_equal(sl_stack_destroy(t->s), 0);
	t->s = NULL;
	th_tx_drain(t);
	for (i = 0; i < t->nworkers; i++) {
		rte_ring_free(t->rxq[i]);
		rte_ring_free(t->txq[i]);
	}
	assert_int_equal(in_use, t->baseline);
}

/* Static, so that a test leaving by longjmp (a failed assertion) does not take the
 * fixture's memory with it: the teardown still finds the stack to destroy. */
static struct th th_fixture;

int
th_fixture_setup(void **state)
{
	return th_fixture_setup_cfg(state, NULL, 4096);
}

int
th_fixture_setup_cfg(void **state, const struct sl_config *cfg, unsigned int tx_ring_size)
{
	th_setup_ring(&th_fixture, cfg, tx_ring_size);
	*state = &th_fixture;
	return 0;
}

int
th_fixture_teardown(void **state)
{
	th_teardown(*state);
	return 0;
}

struct th *
th_fixture_renew(void **state, const struct sl_config *cfg, unsigned int tx_ring_size)
{
	th_teardown(*state);
	th_fixture_setup_cfg(state, cfg, tx_ring_size);
	return *state;
}

struct rte_mbuf *
th_mbuf_rx_like(struct rte_mempool *mp, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, (uint16_t)(54 + len)));
	assert_non_null(rte_pktmbuf_adj(m, 54));
	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD |
		       RTE_MBUF_F_RX_RSS_HASH | RTE_MBUF_F_RX_VLAN_STRIPPED | RTE_MBUF_F_RX_VLAN;
	m->packet_type = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_TCP;
	m->l2_len = 14;
	m->l3_len = 20;
	m->l4_len = 32;
	m->tso_segsz = 1448;
	m->vlan_tci = 7;
	m->vlan_tci_outer = 9;
	m->port = 3;
	m->hash.rss = 0x12345678;
	return m;
}

struct rte_mbuf *
th_frame(struct th *t, const void *frame, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(t->w->pool);
	char *p;

	assert_non_null(m);
	p = rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(p);
	memcpy(p, frame, len);
	return m;
}

void
th_wire_put(struct th *t, struct rte_mbuf *m)
{
	assert_int_equal(rte_ring_enqueue(t->rx, m), 0);
}

void
th_wire_put_q(struct th *t, unsigned int q, struct rte_mbuf *m)
{
	assert_true(q < t->nworkers);
	assert_int_equal(rte_ring_enqueue(t->rxq[q], m), 0);
}

void
th_inject(struct th *t, struct rte_mbuf *m)
{
	th_wire_put(t, m);
	th_poll(t);
}

void
th_inject_bytes(struct th *t, const void *frame, size_t len)
{
	th_inject(t, th_frame(t, frame, len));
}

/* The fast paths' gate flags (flow.h tcp_flow_gate_ok) of every live flow of w agree
 * with the fields they mirror: run after every poll, so that every test checks them
 * through whatever transitions it drives (a writer that forgot its flag fails here). */
void
th_gate_check(struct sl_worker *w)
{
	const struct tcp_worker *tw = &w->tcp;
	uint32_t i;

	if (tw->by_idx == NULL)
		return;
	for (i = 0; i < tw->max_flows; i++) {
		const struct tcp_flow *f = tw->by_idx[i];

		if (f != NULL && f->w == w && !tcp_flow_gate_ok(f)) {
			fail_msg("flow %u: gate flags %#x disagree (state %u, ooo %u/%d, "
				 "dsack_out %d, undo_ok %d, tlp_out %d)", i, f->flags, f->state,
				 f->ooo.nsegs, f->ooo.fin, f->dsack_out, f->rec.undo_ok,
				 f->rec.tlp_out);
		}
	}
}

void
th_poll(struct th *t)
{
	unsigned int i;

	for (i = 1; i < t->nworkers; i++)
		sl_stack_worker(t->s, i)->clock.now_us = t->w->clock.now_us;
	sl_worker_poll(t->w);
	/* A second round, so a segment handed off during this round is processed by its
	 * owner in the same call (worker 0 may receive what worker 1 handed it). */
	for (i = 1; i < t->nworkers; i++)
		sl_worker_poll(sl_stack_worker(t->s, i));
	if (t->nworkers > 1)
		sl_worker_poll(t->w);
	th_gate_check(t->w);
	for (i = 1; i < t->nworkers; i++)
		th_gate_check(sl_stack_worker(t->s, i));
}

void
th_advance(struct th *t, uint64_t us)
{
	uint64_t end = t->w->clock.now_us + us;

	while (t->w->clock.now_us < end) {
		uint64_t step = RTE_MIN(end - t->w->clock.now_us, (uint64_t)WORKER_SLOW_TICK_US);

		t->w->clock.now_us += step;
		th_poll(t);
	}
}

struct rte_mbuf *
th_tx_pop(struct th *t)
{
	unsigned int i;
	void *m;

	for (i = 0; i < RTE_MAX(t->nworkers, 1u); i++)
		if (rte_ring_dequeue(t->txq[i], &m) == 0)
			return m;
	return NULL;
}

void
th_tx_merge(struct th *t)
{
	unsigned int i;
	void *m;

	for (i = 1; i < t->nworkers; i++)
		while (rte_ring_dequeue(t->txq[i], &m) == 0)
			assert_int_equal(rte_ring_enqueue(t->tx, m), 0);
}

unsigned int
th_tx_count(struct th *t)
{
	unsigned int i, n = 0;

	for (i = 0; i < RTE_MAX(t->nworkers, 1u); i++)
		n += rte_ring_count(t->txq[i]);
	return n;
}

unsigned int
th_tx_drain(struct th *t)
{
	struct rte_mbuf *m;
	unsigned int n = 0;

	while ((m = th_tx_pop(t)) != NULL) {
		rte_pktmbuf_free(m);
		n++;
	}
	return n;
}

static unsigned int
th_nflows(struct th *t)
{
	unsigned int i, n = 0;

	for (i = 0; i < t->nworkers; i++)
		n += sl_stack_worker(t->s, i)->tcp.nflows;
	return n;
}

void
th_quiesce(struct th *t)
{
	unsigned int i;

	/* Run simulated time forward (ten minutes, then up to two hours while connections
	 * remain: retransmission backoff can take that long), draining the wire as we go,
	 * so every timer has fired and every TIME-WAIT has ended. */
	for (i = 0; i < 720 && (i < 60 || th_nflows(t) > 0); i++) {
		th_advance(t, 10 * 1000 * 1000);
		th_tx_drain(t);
	}
}

unsigned int
th_in_use(struct th *t)
{
	unsigned int i, n = 0;

	for (i = 0; i < t->nworkers; i++)
		n += rte_mempool_in_use_count(sl_stack_worker(t->s, i)->pool);
	return n;
}

/* ---- frame builders ---- */

size_t
fb_eth(uint8_t *p, const struct rte_ether_addr *dst, const struct rte_ether_addr *src,
       uint16_t ethertype)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)p;

	rte_ether_addr_copy(dst, &eh->dst_addr);
	rte_ether_addr_copy(src, &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(ethertype);
	return sizeof(*eh);
}

size_t
fb_arp(uint8_t *p, uint16_t op, const struct rte_ether_addr *sha, rte_be32_t sip,
       const struct rte_ether_addr *tha, rte_be32_t tip)
{
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)p;

	ah->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(sha, &ah->arp_data.arp_sha);
	ah->arp_data.arp_sip = sip;
	rte_ether_addr_copy(tha, &ah->arp_data.arp_tha);
	ah->arp_data.arp_tip = tip;
	return sizeof(*ah);
}

size_t
fb_ipv4(uint8_t *p, rte_be32_t src, rte_be32_t dst, uint8_t proto, uint16_t l4_len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;

	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + l4_len));
	ip->packet_id = RTE_BE16(0x1234);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = src;
	ip->dst_addr = dst;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return sizeof(*ip);
}

size_t
fb_icmp_echo(uint8_t *p, uint8_t type, uint16_t id, uint16_t seq, const void *data,
	     size_t dlen)
{
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)p;

	ic->icmp_type = type;
	ic->icmp_code = 0;
	ic->icmp_cksum = 0;
	ic->icmp_ident = rte_cpu_to_be_16(id);
	ic->icmp_seq_nb = rte_cpu_to_be_16(seq);
	if (dlen > 0)
		memcpy(ic + 1, data, dlen);
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, sizeof(*ic) + dlen);
	return sizeof(*ic) + dlen;
}

size_t
fb_ping(uint8_t *p, const struct th *t, uint16_t id, uint16_t seq, const void *data,
	size_t dlen)
{
	size_t n = fb_eth(p, &t->mac, &th_peer_mac, RTE_ETHER_TYPE_IPV4);

	n += fb_ipv4(p + n, TH_PEER_IP, TH_STACK_IP, IPPROTO_ICMP,
		     (uint16_t)(sizeof(struct rte_icmp_hdr) + dlen));
	n += fb_icmp_echo(p + n, RTE_IP_ICMP_ECHO_REQUEST, id, seq, data, dlen);
	return n;
}

size_t
fb_icmp_error(uint8_t *p, const struct th *t, uint8_t type, uint8_t code, uint16_t lport,
	      uint16_t rport, uint32_t seq, uint16_t qlen, uint16_t mtu)
{
	const size_t l4 = sizeof(struct rte_icmp_hdr) + sizeof(struct rte_ipv4_hdr) + 8;
	struct rte_ipv4_hdr *qip;
	uint8_t *ic, *qt;
	rte_be16_t port;
	rte_be32_t s = rte_cpu_to_be_32(seq);
	size_t n = fb_eth(p, &t->mac, &th_peer_mac, RTE_ETHER_TYPE_IPV4);

	n += fb_ipv4(p + n, TH_OTHER_IP, TH_STACK_IP, IPPROTO_ICMP, (uint16_t)l4);
	ic = p + n;
	memset(ic, 0, l4);
	ic[0] = type;
	ic[1] = code;
	ic[6] = (uint8_t)(mtu >> 8);	/* next-hop MTU (RFC 1191 §4) */
	ic[7] = (uint8_t)mtu;
	qip = (struct rte_ipv4_hdr *)(ic + sizeof(struct rte_icmp_hdr));
	fb_ipv4((uint8_t *)qip, TH_STACK_IP, TH_PEER_IP, IPPROTO_TCP,
		(uint16_t)(qlen - sizeof(*qip)));
	qip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	qip->hdr_checksum = 0;
	qip->hdr_checksum = rte_ipv4_cksum(qip);
	qt = (uint8_t *)(qip + 1);
	port = rte_cpu_to_be_16(lport);
	memcpy(qt, &port, 2);
	port = rte_cpu_to_be_16(rport);
	memcpy(qt + 2, &port, 2);
	memcpy(qt + 4, &s, 4);
	((struct rte_icmp_hdr *)ic)->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, l4);
	return n + l4;
}

size_t
fb_frag_needed(uint8_t *p, const struct th *t, uint16_t lport, uint16_t rport, uint32_t seq,
	       uint16_t qlen, uint16_t mtu)
{
	return fb_icmp_error(p, t, 3, 4, lport, rport, seq, qlen, mtu);
}
