/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_FUZZ_STACK_H
#define SL_FUZZ_STACK_H

/*
 * The shared body of the libFuzzer targets that feed frames to a whole worker: one stack
 * on a ring port with a virtual clock (tests/support/tcp_helper.c's fixture), listening
 * on TP_PORT with the recording application, kept for the whole run. Each input:
 *
 *   1. opens FZ_CONNS connections from the peer and has the stack queue data on the
 *      first (so ACK processing, SACK and retransmission have something to work on);
 *   2. runs the input as a program of steps, each [op][len lo][len hi][len bytes]:
 *        raw      the bytes are a whole Ethernet frame
 *        ipv4     an Ethernet header to the stack, then the bytes (IPv4 and up)
 *        tcp      the bytes are a TCP header and payload for connection k (the op's high
 *                 bits): ports set, sequence and acknowledgment numbers taken as offsets
 *                 from the peer's next sequence and the stack's, inside a correct IPv4
 *                 header; the checksum is made right unless the op asks otherwise
 *        arp      an Ethernet broadcast header, then the bytes (the ARP packet)
 *        time     the virtual clock moves (up to about 2 s, polling on the way)
 *        app      the application sends, shuts down, closes or aborts a connection
 *      and every frame is copied into a heap buffer of exactly its size, attached to an
 *      mbuf as an external buffer, so AddressSanitizer sees any read past its end;
 *   3. aborts what is left and runs time on until no flow is left and the mbuf pool is
 *      back at its baseline, for at most two hours of virtual time; then every frame's
 *      heap buffer must have been released through its mbuf (else abort(): libFuzzer
 *      keeps the input).
 *
 * A target defines FZ_OPS_FIXED to restrict every step to one op (fuzz_arp.c) or leaves
 * it undefined (fuzz_frame.c), and includes this header once.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "harness.h"
#include "tcp_helper.h"

#define FZ_CONNS	3
#define FZ_STEPS	24
#define FZ_FRAME_MAX	9200

enum fz_op {
	FZ_RAW,
	FZ_IPV4,
	FZ_TCP,
	FZ_ARP,
	FZ_TIME,
	FZ_APP,
	FZ_NOPS
};

static struct tt *fz_x;
static struct tpeer fz_peer[FZ_CONNS];
static uint8_t fz_buf[FZ_FRAME_MAX];
static uint8_t fz_data[4096];
static unsigned long fz_ext_live;	/* heap frames not yet given back by the stack */

int
LLVMFuzzerInitialize(int *argc, char ***argv);
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void
fz_ext_free(void *addr, void *opaque)
{
	free(addr);
	free(opaque);
	fz_ext_live--;
}

/* frame[0..len) in a heap buffer of exactly len bytes, as the data of an mbuf. */
static struct rte_mbuf *
fz_mbuf(const uint8_t *frame, size_t len)
{
	struct rte_mbuf_ext_shared_info *sh;
	struct rte_mbuf *m;
	uint8_t *buf;

	if (len == 0 || len > UINT16_MAX)
		return NULL;
	m = rte_pktmbuf_alloc(fz_x->t.w->pool);
	buf = malloc(len);
	sh = calloc(1, sizeof(*sh));
	if (m == NULL || buf == NULL || sh == NULL)
		abort();
	memcpy(buf, frame, len);
	sh->free_cb = fz_ext_free;
	sh->fcb_opaque = sh;
	rte_mbuf_ext_refcnt_set(sh, 1);
	rte_pktmbuf_attach_extbuf(m, buf, (rte_iova_t)(uintptr_t)buf, (uint16_t)len, sh);
	m->data_off = 0;
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	fz_ext_live++;
	return m;
}

static void
fz_inject(const uint8_t *frame, size_t len)
{
	struct rte_mbuf *m = fz_mbuf(frame, len);

	if (m != NULL)
		th_inject(&fz_x->t, m);
	th_tx_drain(&fz_x->t);
}

/* A TCP header and payload from the input, made to belong to connection p. */
static void
fz_tcp(struct tpeer *p, const uint8_t *b, size_t n, bool keep_cksum)
{
	struct th *t = &fz_x->t;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	size_t off;

	if (n < sizeof(*th))
		return;
	off = fb_eth(fz_buf, &t->mac, &th_peer_mac, RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(fz_buf + off);
	off += fb_ipv4(fz_buf + off, TH_PEER_IP, TH_STACK_IP, IPPROTO_TCP, (uint16_t)n);
	th = (struct rte_tcp_hdr *)(fz_buf + off);
	memcpy(th, b, n);
	th->src_port = rte_cpu_to_be_16(p->port);
	th->dst_port = rte_cpu_to_be_16(p->lport);
	/* Offsets from where the connection is, so most segments land near the window. */
	th->sent_seq = rte_cpu_to_be_32(p->snd_nxt + (uint32_t)(int16_t)
					rte_be_to_cpu_16((uint16_t)th->sent_seq));
	th->recv_ack = rte_cpu_to_be_32(p->rcv_nxt + (uint32_t)(int16_t)
					rte_be_to_cpu_16((uint16_t)th->recv_ack));
	if (!keep_cksum) {
		th->cksum = 0;
		th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	}
	fz_inject(fz_buf, off + n);
}

static void
fz_app(const uint8_t *b, size_t n)
{
	struct tpeer *p;
	struct sl_conn *c;

	if (n < 2)
		return;
	p = &fz_peer[b[0] % FZ_CONNS];
	c = p->tc != NULL ? p->tc->c : NULL;
	if (c == NULL)
		return;
	switch (b[1] % 6) {
	case 0:
	case 1:
		(void)sl_conn_send(c, fz_data, (uint32_t)(n * 97 % sizeof(fz_data)));
		break;
	case 2:
		(void)sl_conn_send_flags(c, fz_data, (uint32_t)n, SL_SEND_MORE);
		break;
	case 3:
		(void)sl_conn_shutdown(c);
		break;
	case 4:
		(void)sl_conn_close(c);
		break;
	default:
		sl_conn_abort(c);
		break;
	}
	th_poll(&fz_x->t);
	th_tx_drain(&fz_x->t);
}

static void
fz_step(unsigned int op, unsigned int arg, const uint8_t *b, size_t n)
{
	struct th *t = &fz_x->t;
	size_t off;

	switch (op) {
	case FZ_RAW:
		fz_inject(b, n);
		break;
	case FZ_IPV4:
		off = fb_eth(fz_buf, &t->mac, &th_peer_mac, RTE_ETHER_TYPE_IPV4);
		memcpy(fz_buf + off, b, n);
		fz_inject(fz_buf, off + n);
		break;
	case FZ_TCP:
		fz_tcp(&fz_peer[(arg >> 1) % FZ_CONNS], b, n, arg & 1);
		break;
	case FZ_ARP:
		off = fb_eth(fz_buf, &th_bcast_mac, &th_peer_mac, RTE_ETHER_TYPE_ARP);
		memcpy(fz_buf + off, b, n);
		fz_inject(fz_buf, off + n);
		break;
	case FZ_TIME:
		tp_advance(t, n == 0 ? 1000 : (uint64_t)b[0] * 8000 + 1, 10000);
		th_tx_drain(t);
		break;
	default:
		fz_app(b, n);
		break;
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sl_config cfg;
	size_t i;

	(void)argc;
	(void)argv;
	/* A failed check aborts (libFuzzer keeps the input) instead of exiting. */
	setenv("CMOCKA_TEST_ABORT", "1", 1);
	th_eal_init("sl-fuzz");
	tp_config(&cfg);
	cfg.init_cwnd = 4;
	fz_x = tt_setup(&cfg);
	for (i = 0; i < sizeof(fz_data); i++)
		fz_data[i] = (uint8_t)(i * 7);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct th *t = &fz_x->t;
	unsigned int i, steps = 0;
	struct tp_out o;

	/* 1. Connections, and data in flight on the first. The last input may have taught
	 * the stack another MAC for the peer (or none): teach it the right one again. */
	tp_learn_peer(t);
	fz_x->app.n = 0;
	for (i = 0; i < FZ_CONNS; i++) {
		tpeer_init(&fz_peer[i], t, &fz_x->app, (uint16_t)(TP_PEER_PORT + i), TP_PORT,
			   TP_PEER_ISS + i * 1000003u);
		(void)tpeer_connect(&fz_peer[i]);
	}
	(void)sl_conn_send(fz_peer[0].tc->c, fz_data, 3000);
	th_poll(t);
	while (tpeer_recv(&fz_peer[0], &o))
		;

	/* 2. The input's steps. */
	while (len >= 3 && steps++ < FZ_STEPS) {
		unsigned int op = data[0], n = (unsigned int)data[1] | (unsigned int)data[2] << 8;

		data += 3;
		len -= 3;
		if (n > len)
			n = (unsigned int)len;
		if (n > FZ_FRAME_MAX - 64)
			n = FZ_FRAME_MAX - 64;
#ifdef FZ_OPS_FIXED
		fz_step(FZ_OPS_FIXED, op, data, n);
#else
		fz_step(op % FZ_NOPS, op / FZ_NOPS, data, n);
#endif
		data += n;
		len -= n;
	}

	/* 3. Back to the baseline. */
	for (i = 0; i < fz_x->app.n; i++)
		if (fz_x->app.conns[i].c != NULL)
			sl_conn_abort(fz_x->app.conns[i].c);
	th_poll(t);
	th_tx_drain(t);
	/* Time runs on in steps of a second (TIME-WAIT, flows the input opened itself, ARP
	 * resolutions holding frames) for at most two hours: th_quiesce's bound, in fewer
	 * polls. */
	for (i = 0; th_in_use(t) != t->baseline || t->w->tcp.nflows != 0; i++) {
		if (i == 7200)
			abort();
		tp_advance(t, 1000000, 1000000);
		th_tx_drain(t);
	}
	/* Every frame's buffer was released through its mbuf's own free callback: an mbuf
	 * that lost RTE_MBUF_F_EXTERNAL would go back to the pool still pointing at it. */
	if (fz_ext_live != 0)
		abort();
	return 0;
}

#endif /* SL_FUZZ_STACK_H */
