/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_helper.c -- see tcp_helper.h.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <rte_arp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_tcp.h>

#include "tcp_helper.h"
#include "tcp/tcp_timer.h"

#define TP_FRAME_MAX (RTE_ETHER_HDR_LEN + 9600)

void
tp_config(struct sl_config *cfg)
{
	th_config(cfg);
	cfg->arp_timeout_ms = 86400000;
	/* The tests of one mechanism see only that one: RTO tests see the RTO, not a tail
	 * loss probe before it. test_tcp_recovery.c turns probes on. */
	cfg->tlp = false;
}

/* ---- wire level ---- */

size_t
tp_build(uint8_t *p, const struct th *t, const struct tseg *s)
{
	size_t olen = RTE_ALIGN_CEIL(s->olen, 4);
	size_t l4 = sizeof(struct rte_tcp_hdr) + olen + s->len;
	rte_be32_t src = s->src != 0 ? s->src : TH_PEER_IP;
	rte_be32_t dst = s->dst != 0 ? s->dst : TH_STACK_IP;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	uint8_t *o;
	size_t n;

	assert_true(olen <= TCP_OPT_MAX);
	assert_true(RTE_ETHER_HDR_LEN + sizeof(*ip) + l4 <= TP_FRAME_MAX);
	n = fb_eth(p, &t->mac, &th_peer_mac, RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(p + n);
	n += fb_ipv4(p + n, src, dst, IPPROTO_TCP, (uint16_t)l4);
	if (s->tos != 0) {
		ip->type_of_service = s->tos;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	th = (struct rte_tcp_hdr *)(p + n);
	memset(th, 0, sizeof(*th));
	th->src_port = rte_cpu_to_be_16(s->sport);
	th->dst_port = rte_cpu_to_be_16(s->dport);
	th->sent_seq = rte_cpu_to_be_32(s->seq);
	th->recv_ack = rte_cpu_to_be_32(s->ack);
	th->data_off = (uint8_t)(((sizeof(*th) + olen) / 4) << 4);
	th->tcp_flags = s->flags;
	th->rx_win = rte_cpu_to_be_16(s->wnd);
	o = (uint8_t *)(th + 1);
	memset(o, 0, olen);		/* padding is EOL */
	if (s->olen > 0)
		memcpy(o, s->opts, s->olen);
	if (s->len > 0)
		memcpy(o + olen, s->data, s->len);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	return n + l4;
}

void
tp_inject(struct th *t, const struct tseg *s)
{
	static uint8_t frame[TP_FRAME_MAX];
	size_t n = tp_build(frame, t, s);

	th_inject_bytes(t, frame, n);
}

/* Ones'-complement sum over the pseudo-header and the segment (checksum included): all
 * ones when the checksum is right. */
static uint16_t
tp_l4_sum(const struct rte_ipv4_hdr *ip, const void *l4, uint32_t len)
{
	uint32_t sum = (uint32_t)rte_ipv4_phdr_cksum(ip, 0) + rte_raw_cksum(l4, len);

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

void
tp_parse(const struct rte_mbuf *m, const struct th *t, struct tp_out *o)
{
	static uint8_t buf[TP_FRAME_MAX];
	const struct rte_ether_hdr *eh;
	const struct rte_ipv4_hdr *ip;
	const struct rte_tcp_hdr *th;
	const uint8_t *p;
	uint32_t tot, l4;

	assert_true(m->pkt_len <= sizeof(buf));
	p = rte_pktmbuf_read(m, 0, m->pkt_len, buf);
	assert_non_null(p);
	assert_true(m->pkt_len >= RTE_ETHER_HDR_LEN + sizeof(*ip) + sizeof(*th));
	eh = (const struct rte_ether_hdr *)p;
	assert_int_equal(eh->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV4));
	assert_true(rte_is_same_ether_addr(&eh->dst_addr, &th_peer_mac));
	assert_true(rte_is_same_ether_addr(&eh->src_addr, &t->mac));
	ip = (const struct rte_ipv4_hdr *)(eh + 1);
	assert_int_equal(ip->version_ihl, RTE_IPV4_VHL_DEF);
	assert_int_equal(ip->next_proto_id, IPPROTO_TCP);
	/* The ring port offloads nothing: both checksums must be in the frame. */
	assert_int_equal(rte_raw_cksum(ip, sizeof(*ip)), 0xffff);
	tot = rte_be_to_cpu_16(ip->total_length);
	assert_true(tot <= m->pkt_len - RTE_ETHER_HDR_LEN);
	th = (const struct rte_tcp_hdr *)(ip + 1);
	l4 = tot - (uint32_t)sizeof(*ip);
	assert_int_equal(tp_l4_sum(ip, th, l4), 0xffff);
	memset(o, 0, offsetof(struct tp_out, data));
	o->src = ip->src_addr;
	o->dst = ip->dst_addr;
	o->ttl = ip->time_to_live;
	o->tos = ip->type_of_service;
	o->df = (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG)) != 0;
	o->sport = rte_be_to_cpu_16(th->src_port);
	o->dport = rte_be_to_cpu_16(th->dst_port);
	o->seq = rte_be_to_cpu_32(th->sent_seq);
	o->ack = rte_be_to_cpu_32(th->recv_ack);
	o->flags = th->tcp_flags;
	o->wnd = rte_be_to_cpu_16(th->rx_win);
	o->hlen = (uint8_t)((th->data_off >> 4) * 4);
	assert_true(o->hlen >= sizeof(*th) && o->hlen <= l4);
	o->olen = o->hlen - sizeof(*th);
	memcpy(o->raw_opts, th + 1, o->olen);
	o->opt_rc = tcp_opt_parse(o->raw_opts, o->olen, &o->opts);
	/* What we send must always parse. */
	assert_int_equal(o->opt_rc, 0);
	o->len = l4 - o->hlen;
	assert_true(o->len <= TP_DATA_MAX);
	memcpy(o->data, (const uint8_t *)th + o->hlen, o->len);
}

/* Drop ARP frames at the head of the wire; true when a frame remains. */
static bool
tp_skip_arp(struct th *t)
{
	struct rte_mbuf *m;

	th_tx_merge(t);
	while (rte_ring_dequeue(t->tx, (void **)&m) == 0) {
		const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

		if (eh->ether_type != RTE_BE16(RTE_ETHER_TYPE_ARP)) {
			/* Put it back at the head: ring order must be kept, so requeue
			 * everything behind it. */
			struct rte_mbuf *rest[4096];
			unsigned int n = rte_ring_dequeue_burst(t->tx, (void **)rest,
								RTE_DIM(rest), NULL);

			assert_int_equal(rte_ring_enqueue(t->tx, m), 0);
			assert_int_equal(rte_ring_enqueue_bulk(t->tx, (void **)rest, n, NULL), n);
			return true;
		}
		rte_pktmbuf_free(m);
	}
	return false;
}

bool
tp_pop(struct th *t, struct tp_out *o)
{
	struct rte_mbuf *m;

	if (!tp_skip_arp(t))
		return false;
	m = th_tx_pop(t);
	assert_non_null(m);
	tp_parse(m, t, o);
	rte_pktmbuf_free(m);
	return true;
}

unsigned int
tp_pending(struct th *t)
{
	struct rte_mbuf *all[4096];
	unsigned int n, i, k = 0;

	th_tx_merge(t);
	n = rte_ring_dequeue_burst(t->tx, (void **)all, RTE_DIM(all), NULL);
	for (i = 0; i < n; i++) {
		const struct rte_ether_hdr *eh =
			rte_pktmbuf_mtod(all[i], const struct rte_ether_hdr *);

		if (eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP))
			rte_pktmbuf_free(all[i]);
		else
			all[k++] = all[i];
	}
	assert_int_equal(rte_ring_enqueue_bulk(t->tx, (void **)all, k, NULL), k);
	return k;
}

void
tp_learn_peer(struct th *t)
{
	static const struct rte_ether_addr zero;
	uint8_t f[60] = { 0 };
	size_t n = fb_eth(f, &th_bcast_mac, &th_peer_mac, RTE_ETHER_TYPE_ARP);

	fb_arp(f + n, RTE_ARP_OP_REQUEST, &th_peer_mac, TH_PEER_IP, &zero, TH_STACK_IP);
	th_inject_bytes(t, f, sizeof(f));
	th_tx_drain(t);
}

void
tp_advance(struct th *t, uint64_t us, uint64_t step_us)
{
	uint64_t end = t->w->clock.now_us + us;

	while (t->w->clock.now_us < end) {
		t->w->clock.now_us += RTE_MIN(step_us, end - t->w->clock.now_us);
		th_poll(t);
	}
}

uint64_t
tp_run_until_tx(struct th *t, uint64_t limit_us)
{
	uint64_t start = t->w->clock.now_us, end = start + limit_us;

	while (tp_pending(t) == 0) {
		uint64_t next = tcp_timers_next(t->w), now = t->w->clock.now_us;

		if (next == UINT64_MAX || next > end) {
			t->w->clock.now_us = RTE_MAX(now, end);
			th_poll(t);
			return tp_pending(t) > 0 ? t->w->clock.now_us - start : UINT64_MAX;
		}
		/* A deadline already passed waits for the wheel's next tick. */
		t->w->clock.now_us = next > now ? next : now + TCP_WHEEL_TICK_US;
		th_poll(t);
	}
	return t->w->clock.now_us - start;
}

void
tp_opt_nop(uint8_t *buf, size_t *n)
{
	buf[(*n)++] = 1;
}

void
tp_opt_mss(uint8_t *buf, size_t *n, uint16_t mss)
{
	buf[(*n)++] = 2;
	buf[(*n)++] = 4;
	buf[(*n)++] = (uint8_t)(mss >> 8);
	buf[(*n)++] = (uint8_t)mss;
}

void
tp_opt_wscale(uint8_t *buf, size_t *n, uint8_t shift)
{
	buf[(*n)++] = 3;
	buf[(*n)++] = 3;
	buf[(*n)++] = shift;
}

void
tp_opt_sack_ok(uint8_t *buf, size_t *n)
{
	buf[(*n)++] = 4;
	buf[(*n)++] = 2;
}

void
tp_opt_ts(uint8_t *buf, size_t *n, uint32_t tsval, uint32_t tsecr)
{
	rte_be32_t v = rte_cpu_to_be_32(tsval), e = rte_cpu_to_be_32(tsecr);

	buf[(*n)++] = 8;
	buf[(*n)++] = 10;
	memcpy(buf + *n, &v, 4);
	memcpy(buf + *n + 4, &e, 4);
	*n += 8;
}

void
tp_opt_sack(uint8_t *buf, size_t *n, const struct tcp_sack_block *b, unsigned int nb)
{
	unsigned int i;

	buf[(*n)++] = 5;
	buf[(*n)++] = (uint8_t)(2 + 8 * nb);
	for (i = 0; i < nb; i++) {
		rte_be32_t s = rte_cpu_to_be_32(b[i].start), e = rte_cpu_to_be_32(b[i].end);

		memcpy(buf + *n, &s, 4);
		memcpy(buf + *n + 4, &e, 4);
		*n += 8;
	}
}

/* ---- the application ---- */

static void
tconn_log(struct tconn *tc, char ev)
{
	if (tc->nlog + 1 < sizeof(tc->log))
		tc->log[tc->nlog++] = ev;
	if (tc->app->hook != NULL)
		tc->app->hook(tc, ev);
}

struct tconn *
tapp_new_conn(struct tapp *app)
{
	struct tconn *tc;

	assert_true(app->n < TAPP_MAX_CONNS);
	tc = &app->conns[app->n++];
	memset(tc, 0, offsetof(struct tconn, rx));
	memset(tc->log, 0, sizeof(tc->log));
	tc->nlog = 0;
	tc->app = app;
	return tc;
}

struct tconn *
tapp_find(struct tapp *app, uint16_t rport)
{
	unsigned int i;

	for (i = app->n; i > 0; i--)
		if (app->conns[i - 1].rport == rport)
			return &app->conns[i - 1];
	return NULL;
}

static void
tconn_ports(struct tconn *tc, const struct sl_conn *c)
{
	struct sl_conn_info info;

	sl_conn_info(c, &info);
	tc->lport = info.local_port;
	tc->rport = info.remote_port;
}

static int
tapp_on_accept(struct sl_conn *c, void *arg)
{
	struct tapp *app = arg;
	struct tconn *tc = tapp_new_conn(app);

	tc->c = c;
	tconn_ports(tc, c);
	sl_conn_set_user(c, tc);
	tc->accepted++;
	if (app->accept_rc < 0) {
		/* Refused: the stack resets it and on_close will not follow. */
		tc->refused = true;
		tc->c = NULL;
	}
	tconn_log(tc, 'a');
	return app->accept_rc;
}

static void
tapp_on_connect(struct sl_conn *c)
{
	struct tconn *tc = sl_conn_user(c);

	tconn_ports(tc, c);
	tc->connected++;
	tconn_log(tc, 'c');
}

static int
tapp_on_message(struct sl_conn *c, const struct sl_msg *m)
{
	struct tconn *tc = sl_conn_user(c);

	if (tc->app->rx_pause) {
		tc->paused++;
		return SL_RX_AGAIN;
	}
	if (m->stream_off != tc->rx_bytes)
		tc->stream_gap = true;
	if (tc->rx_bytes < TCONN_RX_MAX) {
		uint64_t k = RTE_MIN((uint64_t)m->len, TCONN_RX_MAX - tc->rx_bytes);

		memcpy(tc->rx + tc->rx_bytes, m->data, k);
	}
	tc->rx_bytes += m->len;
	tc->msgs++;
	tc->app->msg = m;
	tconn_log(tc, 'm');
	tc->app->msg = NULL;
	return SL_RX_OK;
}

static void
tapp_on_eof(struct sl_conn *c)
{
	struct tconn *tc = sl_conn_user(c);

	tc->eofs++;
	tconn_log(tc, 'e');
	if (tc->app->close_on_eof && tc->c != NULL)
		assert_int_equal(sl_conn_close(c), 0);
}

static void
tapp_on_writable(struct sl_conn *c)
{
	struct tconn *tc = sl_conn_user(c);

	tc->writables++;
	tconn_log(tc, 'w');
}

static int
tapp_on_drain(struct sl_conn *c)
{
	struct tconn *tc = sl_conn_user(c);

	tc->drains++;
	tconn_log(tc, 'd');
	return tc->app->drain_rc;
}

static void
tapp_on_close(struct sl_conn *c, enum sl_close_reason reason)
{
	struct tconn *tc = sl_conn_user(c);

	tc->closes++;
	tc->reason = reason;
	tconn_log(tc, 'x');
	tc->c = NULL;
}

const struct sl_conn_ops tapp_ops = {
	.on_accept = tapp_on_accept,
	.on_connect = tapp_on_connect,
	.on_message = tapp_on_message,
	.on_eof = tapp_on_eof,
	.on_writable = tapp_on_writable,
	.on_close = tapp_on_close,
	.on_drain = tapp_on_drain,
};

/* ---- the peer ---- */

void
tpeer_init(struct tpeer *p, struct th *t, struct tapp *app, uint16_t port, uint16_t lport,
	   uint32_t iss)
{
	memset(p, 0, offsetof(struct tpeer, syn));
	p->t = t;
	p->app = app;
	p->port = port;
	p->lport = lport;
	p->iss = iss;
	p->snd_nxt = iss;
	p->wnd = 65535;
	p->mss = 1460;
	p->wscale = 7;
	p->sack_ok = true;
	p->ts = true;
	p->tsval = 100000;
	p->tc = NULL;
}

/* The options of the peer's SYN (reply: a SYN-ACK, answering only what the stack's SYN in
 * p->syn offered), in Linux's order. */
static size_t
tpeer_syn_opts(const struct tpeer *p, uint8_t *o, bool reply)
{
	const struct tcp_opts *them = &p->syn.opts;
	bool sack = p->sack_ok && (!reply || (them->has & TO_SACK_OK));
	bool ts = p->ts && (!reply || (them->has & TO_TS));
	bool ws = p->wscale >= 0 && (!reply || (them->has & TO_WSCALE));
	size_t n = 0;

	if (p->mss != 0)
		tp_opt_mss(o, &n, p->mss);
	if (sack && ts) {
		tp_opt_sack_ok(o, &n);
	} else if (sack) {
		tp_opt_nop(o, &n);
		tp_opt_nop(o, &n);
		tp_opt_sack_ok(o, &n);
	} else if (ts) {
		tp_opt_nop(o, &n);
		tp_opt_nop(o, &n);
	}
	if (ts)
		tp_opt_ts(o, &n, p->tsval, reply ? p->ts_recent : 0);
	if (ws) {
		tp_opt_nop(o, &n);
		tp_opt_wscale(o, &n, (uint8_t)p->wscale);
	}
	return n;
}

void
tpeer_xmit_opts(struct tpeer *p, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd,
		const uint8_t *opts, size_t olen, const void *data, size_t len)
{
	struct tseg s = {
		.sport = p->port, .dport = p->lport, .seq = seq, .ack = ack, .flags = flags,
		.tos = p->tos, .wnd = wnd, .opts = opts, .olen = olen, .data = data, .len = len,
	};

	tp_inject(p->t, &s);
}

void
tpeer_xmit(struct tpeer *p, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
	   size_t len)
{
	uint8_t o[TCP_OPT_MAX];
	size_t n = 0;

	if (flags & TH_SYN) {
		n = tpeer_syn_opts(p, o, (flags & TH_ACK) != 0);
	} else if (p->ts_on) {
		tp_opt_nop(o, &n);
		tp_opt_nop(o, &n);
		tp_opt_ts(o, &n, p->tsval, p->ts_recent);
	}
	tpeer_xmit_opts(p, flags, seq, ack, p->wnd, o, n, data, len);
	p->tsval++;
}

void
tpeer_send(struct tpeer *p, uint8_t flags, const void *data, size_t len)
{
	uint32_t seq = p->snd_nxt;

	p->snd_nxt += (uint32_t)len + !!(flags & TH_SYN) + !!(flags & TH_FIN);
	tpeer_xmit(p, flags, seq, (flags & TH_ACK) ? p->rcv_nxt : 0, data, len);
}

void
tpeer_ack(struct tpeer *p)
{
	tpeer_xmit(p, TH_ACK, p->snd_nxt, p->rcv_nxt, NULL, 0);
}

bool
tpeer_recv(struct tpeer *p, struct tp_out *o)
{
	if (!tp_pop(p->t, o))
		return false;
	assert_int_equal(o->dport, p->port);
	if (p->lport != 0)
		assert_int_equal(o->sport, p->lport);
	if (o->opts.has & TO_TS)
		p->ts_recent = o->opts.tsval;
	if (o->flags & TH_SYN) {
		p->irs = o->seq;
		p->rcv_nxt = o->seq + 1;
	} else if (o->seq == p->rcv_nxt && !(o->flags & TH_RST) && p->wnd != 0) {
		p->rcv_nxt += o->len + !!(o->flags & TH_FIN);
	}
	return true;
}

void
tpeer_expect(struct tpeer *p, struct tp_out *o)
{
	if (!tpeer_recv(p, o))
		fail_msg("the stack sent nothing (expected a segment to port %u)", p->port);
}

void
tpeer_expect_ack(struct tpeer *p, uint32_t ack)
{
	struct tp_out o;

	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_ACK);
	assert_int_equal(o.len, 0);
	assert_int_equal(o.ack, ack);
}

void
tpeer_expect_nothing(struct tpeer *p)
{
	struct tp_out o;

	if (tp_pop(p->t, &o))
		fail_msg("unexpected segment: flags 0x%02x seq %u ack %u len %u", o.flags, o.seq,
			 o.ack, o.len);
}

void
tpeer_syn(struct tpeer *p)
{
	p->snd_nxt = p->iss;
	tpeer_send(p, TH_SYN | p->syn_flags, NULL, 0);
	tpeer_expect(p, &p->syn);
	assert_int_equal(p->syn.flags & ~(TH_ECE | TH_CWR), TH_SYN | TH_ACK);
	assert_int_equal(p->syn.ack, p->iss + 1);
	p->ts_on = p->ts && (p->syn.opts.has & TO_TS);
}

struct sl_conn *
tpeer_connect(struct tpeer *p)
{
	tpeer_syn(p);
	tpeer_ack(p);
	/* The handshake completes silently: nothing to send. */
	tpeer_expect_nothing(p);
	p->tc = tapp_find(p->app, p->port);
	assert_non_null(p->tc);
	assert_int_equal(p->tc->accepted, 1);
	assert_non_null(p->tc->c);
	return p->tc->c;
}

struct sl_conn *
tpeer_await_syn(struct tpeer *p)
{
	struct tconn *tc = tapp_new_conn(p->app);
	struct sl_conn *c;

	c = sl_worker_connect(p->t->w, TH_PEER_IP, p->port, &tapp_ops, tc);
	assert_non_null(c);
	tc->c = c;
	tc->rport = p->port;
	p->tc = tc;
	th_poll(p->t);
	p->lport = 0;
	tpeer_expect(p, &p->syn);
	assert_int_equal(p->syn.flags & ~(TH_ECE | TH_CWR), TH_SYN);
	p->lport = p->syn.sport;
	tc->lport = p->lport;
	return c;
}

void
tpeer_synack(struct tpeer *p)
{
	p->snd_nxt = p->iss;
	p->ts_on = p->ts && (p->syn.opts.has & TO_TS);
	tpeer_send(p, TH_SYN | TH_ACK | p->syn_flags, NULL, 0);
}

struct sl_conn *
tpeer_accept(struct tpeer *p)
{
	struct sl_conn *c = tpeer_await_syn(p);

	tpeer_synack(p);
	tpeer_expect_ack(p, p->snd_nxt);
	assert_int_equal(p->tc->connected, 1);
	return c;
}

struct sl_conn *
tpeer_open_in_state(struct tpeer *p, enum sl_tcp_state st)
{
	struct sl_conn *c = tpeer_connect(p);
	struct tp_out o;

	switch (st) {
	case SL_TCP_ESTABLISHED:
		break;
	case SL_TCP_FIN_WAIT_1:
	case SL_TCP_FIN_WAIT_2:
	case SL_TCP_CLOSING:
	case SL_TCP_TIME_WAIT:
		assert_int_equal(sl_conn_shutdown(c), 0);
		th_poll(p->t);
		tpeer_expect(p, &o);
		assert_int_equal(o.flags & (TH_FIN | TH_ACK), TH_FIN | TH_ACK);
		if (st == SL_TCP_FIN_WAIT_1)
			break;
		if (st == SL_TCP_CLOSING) {
			/* The peer's FIN does not acknowledge ours yet. */
			tpeer_xmit(p, TH_FIN | TH_ACK, p->snd_nxt, p->rcv_nxt - 1, NULL, 0);
			p->snd_nxt++;
			tpeer_expect_ack(p, p->snd_nxt);
			break;
		}
		tpeer_ack(p);
		tpeer_expect_nothing(p);
		if (st == SL_TCP_FIN_WAIT_2)
			break;
		tpeer_send(p, TH_FIN | TH_ACK, NULL, 0);
		tpeer_expect_ack(p, p->snd_nxt);
		break;
	case SL_TCP_CLOSE_WAIT:
	case SL_TCP_LAST_ACK:
		tpeer_send(p, TH_FIN | TH_ACK, NULL, 0);
		tpeer_expect_ack(p, p->snd_nxt);
		if (st == SL_TCP_CLOSE_WAIT)
			break;
		assert_int_equal(sl_conn_close(c), 0);
		th_poll(p->t);
		tpeer_expect(p, &o);
		assert_int_equal(o.flags & (TH_FIN | TH_ACK), TH_FIN | TH_ACK);
		break;
	default:
		fail_msg("cannot drive a connection to state %s", sl_tcp_state_str(st));
	}
	assert_non_null(tpeer_flow(p));
	assert_int_equal(tpeer_flow(p)->state, st);
	return c;
}

struct tcp_flow *
tpeer_flow(const struct tpeer *p)
{
	struct flow_key k = {
		.raddr = TH_PEER_IP,
		.laddr = TH_STACK_IP,
		.rport = rte_cpu_to_be_16(p->port),
		.lport = rte_cpu_to_be_16(p->lport),
	};

	return flow_lookup(p->t->w, &k);
}

/* ---- fixture ---- */

static void
tt_listen(struct th *t, void *arg)
{
	struct tt *x = arg;

	if (x->fr_extra != NULL)
		assert_int_equal(sl_stack_add_framing(t->s, x->fr_extra), 0);
	if (x->fr != NULL)
		assert_int_equal(sl_stack_listen_framed(t->s, TP_PORT, &tapp_ops, &x->app, x->fr),
		    0);
	else
		assert_int_equal(sl_stack_listen(t->s, TP_PORT, &tapp_ops, &x->app), 0);
}

/* One fixture at a time, static so that a test failing half-way (cmocka leaves by
 * longjmp) does not leak it. */
static struct tt tt_fixture;

struct tt *
tt_setup(const struct sl_config *cfg)
{
	return tt_setup_framed(cfg, NULL, NULL);
}

struct tt *
tt_setup_framed(const struct sl_config *cfg, const struct sl_framing *fr,
		const struct sl_framing *extra)
{
	return tt_setup_ring(cfg, fr, extra, 4096);
}

struct tt *
tt_setup_ring(const struct sl_config *cfg, const struct sl_framing *fr,
	      const struct sl_framing *extra, unsigned int tx_ring_size)
{
	struct sl_config def;
	struct tt *x = &tt_fixture;

	memset(x, 0, sizeof(*x));
	x->fr = fr;
	x->fr_extra = extra;
	if (cfg == NULL) {
		tp_config(&def);
		cfg = &def;
	}
	th_setup_hook(&x->t, cfg, tx_ring_size, tt_listen, x);
	tp_learn_peer(&x->t);
	tpeer_init(&x->p, &x->t, &x->app, TP_PEER_PORT, TP_PORT, TP_PEER_ISS);
	return x;
}

void
tt_teardown(struct tt *x)
{
	unsigned int i;

	x->app.hook = NULL;
	/* An idle connection never ends by itself: quiesce would run its full two hours. */
	for (i = 0; i < x->app.n; i++)
		if (x->app.conns[i].c != NULL)
			sl_conn_abort(x->app.conns[i].c);
	th_poll(&x->t);
	th_teardown(&x->t);
}

void
tt_flush(struct tt *x, uint64_t us)
{
	tp_advance(&x->t, us, us);
}

/* ---- cmocka fixtures ---- */

int
tt_fixture_setup(void **state)
{
	return tt_fixture_setup_cfg(state, NULL);
}

int
tt_fixture_setup_cfg(void **state, const struct sl_config *cfg)
{
	*state = tt_setup(cfg);
	return 0;
}

int
tt_fixture_teardown(void **state)
{
	tt_teardown(*state);
	return 0;
}

struct tt *
tt_fixture_renew(void **state, const struct sl_config *cfg)
{
	tt_teardown(*state);
	*state = tt_setup(cfg);
	return *state;
}
