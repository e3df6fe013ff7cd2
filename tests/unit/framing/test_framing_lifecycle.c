/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_framing_lifecycle.c -- framed connections over their whole life, driven by the TCP
 * test peer: assembly buffers leased per message (more connections than buffers), delivery
 * that goes on after TCP has closed, callbacks that abort, close, hold or switch the
 * framing while their message is being delivered, and a framing whose preparation fails
 * half-way.
 *
 * The framing is length-prefixed (a 4-byte big-endian length) with messages up to 256 KiB,
 * so that a 1 MiB assembly pool (--framing-asm-mb 1) has only four buffers. A "split"
 * message is sent in two segments of more than RXBUF_MERGE_MAX bytes each: it spans two
 * mbufs and is delivered as a copy in an assembly buffer.
 */

#include <errno.h>
#include <stdio.h>

#include "unit.h"

#include <rte_malloc.h>
#include <rte_mempool.h>

#include "api/api_priv.h"
#include "framing/framing_priv.h"
#include "tcp_helper.h"

#define LP_MAX_MSG	(1u << 18)
#define SPLIT_LEN	1200		/* payload of a split message */

static const struct sl_lenpfx_cfg lp_cfg = { .width = 4, .max_len = LP_MAX_MSG - 4 };
static struct sl_deserializer lp_ds;
static const struct sl_framing lp_fr = { .ds = &lp_ds };

static const struct sl_framing lp_abort_fr = { .ds = &lp_ds, .on_error = SL_FRAMING_ABORT };

static const struct sl_line_cfg line_cfg = { .max_len = 100 };
static struct sl_deserializer line_ds;
static const struct sl_framing line_fr = { .ds = &line_ds };

/* What the hooks do and what they saw; reset by lc_setup(). */
static struct {
	enum { DO_NOTHING, DO_HOLD, DO_HOLD_TWICE, DO_ABORT, DO_CLOSE_HOLD, DO_ABORT_HOLD,
	       DO_SET_FRAMING } mode;
	struct sl_msg_ref *refs[2 * TAPP_MAX_CONNS];
	unsigned int nrefs;
	bool held_null;			/* a hold returned NULL */
	int rc;				/* sl_conn_set_framing() from on_message */
	int rc_accept;			/* the same from on_accept (0: not called) */
	bool set_on_accept;
	uint32_t rx_at_accept;		/* bytes queued when on_accept ran */
} lc;

/* Per-connection peers (large: each keeps a parsed segment). */
static struct tpeer lc_peers[TAPP_MAX_CONNS];

static void
lc_config(struct sl_config *cfg)
{
	tp_config(cfg);
	cfg->framing_asm_mb = 1;
	cfg->rcvbuf = 2 * LP_MAX_MSG;	/* a maximal message and a segment must fit */
}

static struct tt *
lc_setup(const struct sl_config *cfg, const struct sl_framing *fr,
	 const struct sl_framing *extra)
{
	struct sl_config def;

	memset(&lc, 0, sizeof(lc));
	if (cfg == NULL) {
		lc_config(&def);
		cfg = &def;
	}
	return tt_setup_framed(cfg, fr, extra);
}

/* Fixtures: the length-prefixed framing on the listener... */
static int
setup_lp(void **state)
{
	*state = lc_setup(NULL, &lp_fr, NULL);
	return 0;
}

/* ... and the line framing prepared for sl_conn_set_framing(). */
static int
setup_lp_extra_line(void **state)
{
	*state = lc_setup(NULL, &lp_fr, &line_fr);
	return 0;
}

/* The line framing with an assembly deadline of 5 s. */
static int
setup_line_msg_timeout_5s(void **state)
{
	struct sl_config cfg;

	lc_config(&cfg);
	cfg.msg_timeout_ms = 5000;
	*state = lc_setup(&cfg, &line_fr, NULL);
	return 0;
}

static struct framing_inst *
lc_inst(struct tt *x, const struct sl_framing *fr)
{
	struct framing_inst *fi = framing_inst_find(x->t.w, fr);

	assert_non_null(fi);
	return fi;
}

static uint8_t
lc_byte(uint8_t seed, uint32_t i)
{
	return (uint8_t)(seed + i * 7);
}

/* A message of len payload bytes (seeded pattern) into buf; returns its size on the wire. */
static uint32_t
lp_msg(uint8_t *buf, uint32_t len, uint8_t seed)
{
	uint32_t i;

	buf[0] = (uint8_t)(len >> 24);
	buf[1] = (uint8_t)(len >> 16);
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	for (i = 0; i < len; i++)
		buf[4 + i] = lc_byte(seed, i);
	return 4 + len;
}

static void
lc_check_bytes(const uint8_t *got, uint32_t len, uint8_t seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		if (got[i] != lc_byte(seed, i))
			fail_msg("byte %u of the message seeded %u: 0x%02x", i, seed, got[i]);
}

/* Connection i: a peer on port TP_PEER_PORT + i, opened. */
static struct tpeer *
lc_open(struct tt *x, unsigned int i)
{
	struct tpeer *p = &lc_peers[i];

	tpeer_init(p, &x->t, &x->app, (uint16_t)(TP_PEER_PORT + i), TP_PORT,
		   TP_PEER_ISS + i * 1000000u);
	tpeer_connect(p);
	return p;
}

/* A SPLIT_LEN-byte message in two segments, so it spans two mbufs. */
static void
lc_send_split(struct tt *x, struct tpeer *p, uint8_t seed)
{
	uint8_t buf[4 + SPLIT_LEN];
	uint32_t n = lp_msg(buf, SPLIT_LEN, seed);

	tpeer_send(p, TH_ACK, buf, n / 2);
	tpeer_send(p, TH_ACK, buf + n / 2, n - n / 2);
	th_tx_drain(&x->t);
}

static void
lc_hook(struct tconn *tc, char ev)
{
	struct sl_msg_ref *ref;

	if (ev == 'a' && lc.set_on_accept) {
		lc.rx_at_accept = conn_flow(tc->c)->rx.bytes;
		lc.rc_accept = sl_conn_set_framing(tc->c, &line_fr);
		return;
	}
	if (ev != 'm')
		return;
	switch (lc.mode) {
	case DO_HOLD_TWICE:
		ref = sl_conn_hold_msg(tc->c, tc->app->msg);
		if (ref != NULL)
			lc.refs[lc.nrefs++] = ref;
		else
			lc.held_null = true;
		/* fall through */
	case DO_HOLD:
		ref = sl_conn_hold_msg(tc->c, tc->app->msg);
		if (ref != NULL)
			lc.refs[lc.nrefs++] = ref;
		else
			lc.held_null = true;
		break;
	case DO_ABORT:
		sl_conn_abort(tc->c);
		break;
	case DO_CLOSE_HOLD:
	case DO_ABORT_HOLD:
		if (lc.mode == DO_CLOSE_HOLD)
			assert_int_equal(sl_conn_close(tc->c), 0);
		else
			sl_conn_abort(tc->c);
		ref = sl_conn_hold_msg(tc->c, tc->app->msg);
		if (ref != NULL)
			lc.refs[lc.nrefs++] = ref;
		else
			lc.held_null = true;
		break;
	case DO_SET_FRAMING:
		if (tc->msgs == 1)
			lc.rc = sl_conn_set_framing(tc->c, &line_fr);
		break;
	default:
		break;
	}
}

static void
lc_release_all(void)
{
	unsigned int i;

	for (i = 0; i < lc.nrefs; i++)
		sl_msg_ref_release(lc.refs[i]);
	lc.nrefs = 0;
}

/* ---- assembly buffers ---- */

/* A buffer goes back to the pool once its message is delivered: more connections than
 * there are buffers all get their split message. When held messages do keep every buffer,
 * the next connection waits on the deferred list (counted once) and gets its message as
 * soon as one is released. */
static void
test_asm_buffers_more_conns_than_buffers_all_delivered(void **state)
{
	struct tt *x = *state;
	const struct sl_stats *st = th_stats(&x->t);
	struct framing_inst *fi = lc_inst(x, &lp_fr);
	unsigned int nbuf = fi->asm_pool->size, i, k, n = 0;
	struct tpeer *p;
	struct tcp_flow *f;

	x->app.hook = lc_hook;
	assert_true(nbuf >= 4 && 2 * nbuf + 3 <= TAPP_MAX_CONNS);
	for (i = 0; i < nbuf + 2; i++, n++) {
		p = lc_open(x, n);
		lc_send_split(x, p, (uint8_t)n);
		if (p->tc->msgs != 1)
			fail_msg("connection %u of %u (%u assembly buffers): %u messages", i + 1,
				 nbuf + 2, nbuf, p->tc->msgs);
		assert_int_equal(p->tc->rx_bytes, SPLIT_LEN);
		lc_check_bytes(p->tc->rx, SPLIT_LEN, (uint8_t)n);
	}
	assert_int_equal(st->framing_copied, nbuf + 2);
	assert_int_equal(st->framing_asm_wait, 0);
	assert_true(rte_mempool_full(fi->asm_pool));

	/* Held copies keep their buffers: all of them. */
	lc.mode = DO_HOLD;
	for (i = 0; i < nbuf; i++, n++)
		lc_send_split(x, lc_open(x, n), (uint8_t)n);
	assert_int_equal(lc.nrefs, nbuf);
	assert_false(lc.held_null);
	assert_int_equal(rte_mempool_avail_count(fi->asm_pool), 0);
	lc.mode = DO_NOTHING;
	p = lc_open(x, n);
	lc_send_split(x, p, (uint8_t)n);
	f = tpeer_flow(p);
	assert_int_equal(p->tc->msgs, 0);
	assert_int_equal(st->framing_asm_wait, 1);
	assert_true(f->flags & TF_DEFERRED);
	/* Retried at every iteration, counted once. */
	for (k = 0; k < 3; k++)
		th_poll(&x->t);
	assert_int_equal(p->tc->msgs, 0);
	assert_int_equal(st->framing_asm_wait, 1);
	/* The held messages are intact, and releasing one lets the waiting one through. */
	for (i = 0; i < nbuf; i++) {
		const struct sl_msg *m = sl_msg_ref_get(lc.refs[i]);

		assert_int_equal(m->len, SPLIT_LEN);
		assert_true(m->flags & SL_MSG_COPIED);
		lc_check_bytes(m->data, SPLIT_LEN, (uint8_t)(nbuf + 2 + i));
	}
	sl_msg_ref_release(lc.refs[0]);
	th_poll(&x->t);
	assert_int_equal(p->tc->msgs, 1);
	lc_check_bytes(p->tc->rx, SPLIT_LEN, (uint8_t)n);
	assert_false(f->flags & (TF_DEFERRED | TF_READY));
	lc.refs[0] = lc.refs[--lc.nrefs];
	lc_release_all();
	assert_true(rte_mempool_full(fi->asm_pool));
}

/* ---- delivery after TCP closed ---- */

/* A paused framed reader whose connection went LAST-ACK -> CLOSED (a normal close): once
 * it resumes, it gets its messages, on_eof and on_close, and the control block is freed.
 * The messages are still the application's: it may hold them beyond the connection. */
static void
test_paused_reader_closed_by_last_ack_gets_messages_eof_close(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	uint8_t buf[64];
	struct sl_conn *c;
	struct tp_out o;
	uint32_t n;

	c = tpeer_connect(p);
	x->app.rx_pause = true;
	n = lp_msg(buf, 10, 1);
	n += lp_msg(buf + n, 20, 2);
	tpeer_send(p, TH_ACK | TH_PSH, buf, n);
	assert_int_equal(p->tc->paused, 1);
	tpeer_send(p, TH_FIN | TH_ACK, NULL, 0);
	tpeer_expect_ack(p, p->snd_nxt);
	assert_int_equal(sl_conn_shutdown(c), 0);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags & TH_FIN, TH_FIN);
	tpeer_ack(p);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_CLOSED);
	assert_int_equal(p->tc->closes, 0);

	x->app.rx_pause = false;
	x->app.hook = lc_hook;
	lc.mode = DO_HOLD;
	sl_conn_resume_rx(c);
	th_poll(&x->t);
	assert_int_equal(p->tc->msgs, 2);
	assert_int_equal(p->tc->rx_bytes, 30);
	lc_check_bytes(p->tc->rx, 10, 1);
	lc_check_bytes(p->tc->rx + 10, 20, 2);
	assert_int_equal(p->tc->eofs, 1);
	assert_int_equal(p->tc->closes, 1);
	assert_int_equal(p->tc->reason, SL_CLOSE_NORMAL);
	assert_string_equal(p->tc->log, "ammex");
	assert_null(tpeer_flow(p));
	assert_int_equal(lc.nrefs, 2);
	lc_check_bytes(sl_msg_ref_get(lc.refs[0])->data, 10, 1);
	lc_check_bytes(sl_msg_ref_get(lc.refs[1])->data, 20, 2);
	lc_release_all();
	assert_true(rte_mempool_full(x->t.w->ref_pool));
}

/* ---- aborting from on_message ---- */

/* A connection in TIME-WAIT with three unread messages (framing batch 2): the first one
 * aborts it. Delivery stops there (raw bytes and framed alike), on_close says ABORTED, and
 * the flow, back on the ready list for its on_close, never joins the deferred list too. */
static void
abort_in_time_wait(const struct sl_framing *fr)
{
	struct sl_config cfg;
	struct tt *x;
	struct tpeer *p;
	struct tcp_flow *f;
	struct sl_conn *c;
	struct tp_out o;
	uint8_t buf[600];
	unsigned int i;

	lc_config(&cfg);
	cfg.framing_batch = 2;
	x = lc_setup(&cfg, fr, NULL);
	p = &x->p;
	c = tpeer_connect(p);
	x->app.rx_pause = true;
	/* One message per mbuf either way: too big to be merged. */
	for (i = 0; i < 3; i++) {
		lp_msg(buf, sizeof(buf) - 4, (uint8_t)i);
		tpeer_send(p, TH_ACK, buf, sizeof(buf));
	}
	th_tx_drain(&x->t);
	assert_int_equal(sl_conn_shutdown(c), 0);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags & TH_FIN, TH_FIN);
	tpeer_ack(p);
	tpeer_send(p, TH_FIN | TH_ACK, NULL, 0);
	tpeer_expect_ack(p, p->snd_nxt);
	f = tpeer_flow(p);
	assert_int_equal(f->state, SL_TCP_TIME_WAIT);
	assert_int_equal(p->tc->paused, 1);
	assert_int_equal(p->tc->closes, 0);

	x->app.rx_pause = false;
	x->app.hook = lc_hook;
	lc.mode = DO_ABORT;
	sl_conn_resume_rx(c);
	th_poll(&x->t);
	assert_int_equal(p->tc->msgs, 1);
	assert_int_equal(p->tc->closes, 1);
	assert_int_equal(p->tc->reason, SL_CLOSE_ABORTED);
	assert_true(TAILQ_EMPTY(&x->t.w->tcp.ready));
	assert_true(TAILQ_EMPTY(&x->t.w->tcp.deferred));
	assert_int_equal(f->flags & (TF_READY | TF_DEFERRED), 0);
	th_poll(&x->t);
	assert_int_equal(p->tc->msgs, 1);
	assert_int_equal(p->tc->closes, 1);
	tt_teardown(x);
}

static void
test_time_wait_abort_in_on_message_stops_delivery(void **state)
{
	(void)state;
	abort_in_time_wait(NULL);
	abort_in_time_wait(&lp_fr);
}

/* Deferring a flow that is already on the ready list keeps it there (the two lists share
 * one link), with the data event added. */
static void
test_defer_ready_flow_stays_on_ready_list(void **state)
{
	struct tt *x = *state;
	struct sl_worker *w = x->t.w;
	struct tcp_flow *f;

	tpeer_connect(&x->p);
	f = tpeer_flow(&x->p);
	flow_mark_ready(w, f, EV_WRITABLE);
	flow_defer(w, f);
	assert_true(f->flags & TF_READY);
	assert_false(f->flags & TF_DEFERRED);
	assert_true(f->events & EV_DATA);
	assert_ptr_equal(TAILQ_FIRST(&w->tcp.ready), f);
	assert_null(TAILQ_NEXT(f, ready_link));
	assert_true(TAILQ_EMPTY(&w->tcp.deferred));
	th_poll(&x->t);
	assert_int_equal(x->p.tc->writables, 1);
	assert_true(TAILQ_EMPTY(&w->tcp.ready));
	assert_int_equal(f->flags & (TF_READY | TF_DEFERRED), 0);
}

/* ---- switching framing ---- */

/* sl_conn_set_framing() refuses while the current framing is in use: from on_message,
 * and once its deserializer has looked at queued bytes. Before that (on_accept, even with
 * bytes already queued) it switches. */
static void
test_set_framing_while_in_use_busy(void **state)
{
	struct tt *x = *state;
	uint8_t buf[128];
	struct tpeer *p;
	uint32_t n;

	x->app.hook = lc_hook;
	/* From the first on_message, two messages in one segment: the second is framed by
	 * the same deserializer. */
	lc.mode = DO_SET_FRAMING;
	lc.rc = 1;
	p = lc_open(x, 0);
	n = lp_msg(buf, 5, 10);
	n += lp_msg(buf + n, 6, 20);
	tpeer_send(p, TH_ACK | TH_PSH, buf, n);
	th_tx_drain(&x->t);
	assert_int_equal(lc.rc, -EBUSY);
	assert_int_equal(p->tc->msgs, 2);
	assert_int_equal(p->tc->rx_bytes, 11);
	lc_check_bytes(p->tc->rx, 5, 10);
	lc_check_bytes(p->tc->rx + 5, 6, 20);
	assert_ptr_equal(tpeer_flow(p)->fr.inst, lc_inst(x, &lp_fr));

	/* A message half there (its header read): the deserializer is in the middle of it. */
	lc.mode = DO_NOTHING;
	p = lc_open(x, 1);
	n = lp_msg(buf, 100, 30);
	tpeer_send(p, TH_ACK | TH_PSH, buf, 10);
	assert_int_equal(p->tc->msgs, 0);
	assert_int_equal(sl_conn_set_framing(p->tc->c, &line_fr), -EBUSY);
	tpeer_send(p, TH_ACK | TH_PSH, buf + 10, n - 10);
	th_tx_drain(&x->t);
	assert_int_equal(p->tc->msgs, 1);
	assert_int_equal(p->tc->rx_bytes, 100);
	lc_check_bytes(p->tc->rx, 100, 30);

	/* on_accept with the first bytes already queued (they came with the handshake's
	 * ACK): nothing was framed yet, so the switch is allowed. */
	lc.set_on_accept = true;
	p = &lc_peers[2];
	tpeer_init(p, &x->t, &x->app, TP_PEER_PORT + 2, TP_PORT, TP_PEER_ISS);
	tpeer_syn(p);
	tpeer_send(p, TH_ACK | TH_PSH, "one\ntwo\n", 8);
	p->tc = tapp_find(&x->app, p->port);
	assert_non_null(p->tc);
	assert_true(lc.rx_at_accept > 0);
	assert_int_equal(lc.rc_accept, 0);
	assert_int_equal(p->tc->msgs, 2);
	assert_int_equal(p->tc->rx_bytes, 6);
	assert_memory_equal(p->tc->rx, "onetwo", 6);
}

/* ---- holding messages ---- */

/* An in-place message can be held twice (the mbuf is shared); a copied one once: its
 * assembly buffer went with the first reference. */
static void
test_hold_twice_copied_second_refused(void **state)
{
	struct tt *x = *state;
	const struct sl_stats *st = th_stats(&x->t);
	struct framing_inst *fi = lc_inst(x, &lp_fr);
	uint8_t buf[64];
	struct tpeer *p;
	unsigned int i;

	x->app.hook = lc_hook;
	lc.mode = DO_HOLD_TWICE;
	p = lc_open(x, 0);
	tpeer_send(p, TH_ACK | TH_PSH, buf, lp_msg(buf, 40, 3));
	assert_int_equal(lc.nrefs, 2);
	assert_false(lc.held_null);
	for (i = 0; i < 2; i++) {
		assert_int_equal(sl_msg_ref_get(lc.refs[i])->len, 40);
		lc_check_bytes(sl_msg_ref_get(lc.refs[i])->data, 40, 3);
	}
	lc_release_all();

	lc_send_split(x, p, 4);
	assert_int_equal(p->tc->msgs, 2);
	assert_true(lc.held_null);
	assert_int_equal(lc.nrefs, 1);
	assert_int_equal(st->framing_hold_fail, 1);
	assert_true(sl_msg_ref_get(lc.refs[0])->flags & SL_MSG_COPIED);
	lc_check_bytes(sl_msg_ref_get(lc.refs[0])->data, SPLIT_LEN, 4);
	lc_release_all();
	assert_true(rte_mempool_full(fi->asm_pool));
	assert_true(rte_mempool_full(x->t.w->ref_pool));
}

/* After sl_conn_close() or sl_conn_abort() in the same callback the message's bytes are
 * no longer the application's: holding it fails, and leaves nothing behind. */
static void
test_hold_after_close_or_abort_refused(void **state)
{
	static const int modes[] = { DO_CLOSE_HOLD, DO_ABORT_HOLD };
	struct tt *x = *state;
	const struct sl_stats *st = th_stats(&x->t);
	uint8_t buf[64];
	struct tpeer *p;
	unsigned int i, split;

	x->app.hook = lc_hook;
	for (i = 0; i < 4; i++) {
		lc.mode = modes[i % 2];
		split = i / 2;
		lc.held_null = false;
		p = lc_open(x, i);
		if (split)
			lc_send_split(x, p, (uint8_t)i);
		else
			tpeer_send(p, TH_ACK | TH_PSH, buf, lp_msg(buf, 40, (uint8_t)i));
		th_tx_drain(&x->t);
		if (p->tc->msgs != 1 || !lc.held_null || lc.nrefs != 0)
			fail_msg("%s, %s message: %u messages, held %s", i % 2 ? "abort" : "close",
				 split ? "copied" : "in-place", p->tc->msgs,
				 lc.nrefs != 0 ? "a reference" : "nothing");
	}
	assert_int_equal(st->framing_hold_fail, 4);
	assert_true(rte_mempool_full(x->t.w->ref_pool));
	assert_true(rte_mempool_full(lc_inst(x, &lp_fr)->asm_pool));
}

/* ---- preparing a framing ---- */

static void
prepare_two_workers(struct th *t, void *arg)
{
	struct sl_stack *s = t->s;
	char name[RTE_MEMPOOL_NAMESIZE];
	struct rte_mempool *clash;
	struct sl_worker *w1;

	(void)arg;
	/* A ring port has no RSS, so stacks on it run one worker. framing_prepare() needs of
	 * a worker only its identity (pool names) and its instance table: a second one is
	 * added by hand for the time of the test. */
	w1 = rte_zmalloc("lc_worker", sizeof(*w1), RTE_CACHE_LINE_SIZE);
	assert_non_null(w1);
	w1->id = 1;
	w1->port_id = t->w->port_id;
	w1->socket = t->w->socket;
	w1->cfg = t->w->cfg;
	s->workers[1] = w1;
	s->nb_workers = 2;
	/* Worker 1's assembly pool cannot be created: its name is taken. */
	snprintf(name, sizeof(name), "sl_fa0_p%u_w1", t->w->port_id);
	clash = rte_mempool_create(name, 1, 64, 0, 0, NULL, NULL, NULL, NULL, SOCKET_ID_ANY, 0);
	assert_non_null(clash);
	assert_int_equal(sl_stack_add_framing(s, &lp_fr), -ENOMEM);
	assert_null(framing_inst_find(t->w, &lp_fr));
	assert_int_equal(t->w->nframings, 0);
	assert_int_equal(w1->nframings, 0);
	/* Retried once the name is free: prepared on both workers. */
	rte_mempool_free(clash);
	assert_int_equal(sl_stack_add_framing(s, &lp_fr), 0);
	assert_non_null(framing_inst_find(t->w, &lp_fr));
	assert_non_null(framing_inst_find(w1, &lp_fr));
	assert_int_equal(framing_fini(w1), 0);
	s->workers[1] = NULL;
	s->nb_workers = 1;
	rte_free(w1);
}

/* A framing that cannot be prepared on every worker is prepared on none, so a retry
 * prepares it everywhere (instead of finding it on worker 0 and stopping there). */
static void
test_prepare_failure_on_second_worker_rolls_back(void **state)
{
	struct sl_config cfg;
	struct th t;

	(void)state;
	lc_config(&cfg);
	th_setup_hook(&t, &cfg, 4096, prepare_two_workers, NULL);
	th_teardown(&t);
}

/* ---- the assembly deadline (msg-timeout-ms) ---- */

/* Messages that each complete within the deadline never trip it, however long bytes
 * have been waiting; a message left incomplete past it is a framing error (ETIMEDOUT)
 * and, under the CLOSE policy, the connection is closed with a FIN. */
static void
test_slow_message_times_out_trickled_messages_do_not(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;
	bool fin = false;
	int i;

	tpeer_connect(p);
	for (i = 0; i < 4; i++) {
		tpeer_send(p, TH_ACK | TH_PSH, "slow", 4);
		tt_flush(x, 4000000);
		tpeer_send(p, TH_ACK | TH_PSH, "ly\n", 3);
		th_tx_drain(&x->t);
	}
	assert_int_equal(p->tc->msgs, 4);
	assert_int_equal(th_stats(&x->t)->framing_timeouts, 0);

	/* Half a line, then silence past the deadline. */
	tpeer_send(p, TH_ACK | TH_PSH, "never end", 9);
	tt_flush(x, 3000000);
	tpeer_send(p, TH_ACK | TH_PSH, "s", 1);	/* bytes, but no message completes */
	th_tx_drain(&x->t);
	tt_flush(x, 2100000);
	th_poll(&x->t);		/* the timer phase hands it to the delivery phase */
	assert_int_equal(th_stats(&x->t)->framing_timeouts, 1);
	assert_int_equal(p->tc->msgs, 4);
	while (tpeer_recv(p, &o))
		fin |= (o.flags & TH_FIN) != 0;
	assert_true(fin);
	/* The peer closes too: a normal TCP close, but on_close says why it began. */
	tpeer_send(p, TH_FIN | TH_ACK, NULL, 0);
	th_poll(&x->t);
	assert_int_equal(p->tc->closes, 1);
	assert_int_equal(p->tc->reason, SL_CLOSE_FRAMING);
}

/* ---- how a framing error ends a connection (on_close's reason) ---- */

static int
setup_lp_abort(void **state)
{
	*state = lc_setup(NULL, &lp_abort_fr, NULL);
	return 0;
}

/* A length above the limit, under SL_FRAMING_CLOSE: on_error, FIN from the stack, and once
 * the peer's FIN completes the close (an ordinary TCP close), on_close reports
 * SL_CLOSE_FRAMING, not SL_CLOSE_NORMAL: the application must learn that the stream was
 * bad. */
static void
test_framing_error_close_policy_on_close_reports_framing(void **state)
{
	static const uint8_t bad[4] = { 0x7f, 0xff, 0xff, 0xff };
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;
	bool fin = false;

	tpeer_connect(p);
	tpeer_send(p, TH_ACK | TH_PSH, bad, sizeof(bad));
	th_poll(&x->t);
	assert_int_equal(th_stats(&x->t)->framing_errors, 1);
	while (tpeer_recv(p, &o))
		fin |= (o.flags & TH_FIN) != 0;
	assert_true(fin);
	assert_int_equal(p->tc->closes, 0);
	tpeer_send(p, TH_FIN | TH_ACK, NULL, 0);
	th_poll(&x->t);
	assert_int_equal(p->tc->closes, 1);
	assert_int_equal(p->tc->reason, SL_CLOSE_FRAMING);
	assert_string_equal(sl_close_reason_str(SL_CLOSE_FRAMING), "framing");
}

/* The same error under SL_FRAMING_ABORT: RST at once, on_close SL_CLOSE_FRAMING. */
static void
test_framing_error_abort_policy_rst_on_close_reports_framing(void **state)
{
	static const uint8_t bad[4] = { 0x7f, 0xff, 0xff, 0xff };
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;
	bool rst = false;

	tpeer_connect(p);
	tpeer_send(p, TH_ACK | TH_PSH, bad, sizeof(bad));
	th_poll(&x->t);
	while (tpeer_recv(p, &o))
		rst |= (o.flags & TH_RST) != 0;
	assert_true(rst);
	assert_int_equal(p->tc->closes, 1);
	assert_int_equal(p->tc->reason, SL_CLOSE_FRAMING);
}

/* ---- frame() is never called with nothing available; eof() may be ---- */

static struct {
	unsigned int frames, frames_empty, eofs, eofs_empty;
	unsigned int search_bad;	/* cursor searches that broke the error convention */
} zc;

/* Two-byte records, counting how it is called. */
static enum sl_ds_verdict
zc_frame(void *state, const void *arg, const struct sl_cursor *in, uint32_t resume,
	 struct sl_ds_result *r)
{
	uint32_t avail = sl_cursor_avail(in);

	(void)state;
	(void)arg;
	(void)resume;
	zc.frames++;
	if (avail == 0)
		zc.frames_empty++;
	if (avail < 2) {
		r->need = 2;
		return SL_DS_NEED;
	}
	/* The searches: an offset, or a negative errno (sluice/sluice.h). */
	if (sl_cursor_memchr(in, 0, avail, sl_cursor_byte(in, 1)) != 1 ||
	    sl_cursor_memchr(in, 0, avail, 0xee) != -ENOENT ||
	    sl_cursor_memchr(in, 2, 1, sl_cursor_byte(in, 0)) != -ENOENT ||
	    sl_cursor_memmem(in, 0, avail, "\xee\xee", 2) != -ENOENT ||
	    sl_cursor_memmem(in, 0, avail, "x", 0) != -EINVAL)
		zc.search_bad++;
	r->consumed = 2;
	r->msg_len = 2;
	return SL_DS_FRAME;
}

static enum sl_ds_verdict
zc_eof(void *state, const void *arg, const struct sl_cursor *in, struct sl_ds_result *r)
{
	(void)state;
	(void)arg;
	zc.eofs++;
	if (sl_cursor_avail(in) == 0) {
		zc.eofs_empty++;
		return SL_DS_DONE;
	}
	r->err = EPIPE;
	return SL_DS_ERROR;
}

static const struct sl_deserializer zc_ds = {
	.name = "pairs",
	.max_msg = 2,
	.frame = zc_frame,
	.eof = zc_eof,
};
static const struct sl_framing zc_fr = { .ds = &zc_ds };

static int
setup_zc(void **state)
{
	memset(&zc, 0, sizeof(zc));
	*state = lc_setup(NULL, &zc_fr, NULL);
	return 0;
}

/* docs/framing.md, "The zero-bytes case": pure ACKs, a message that consumes every byte
 * there is, and a FIN between messages never make the driver call frame() with an empty
 * cursor, nor again before the `need` it asked for has arrived; eof() is called with an
 * empty cursor when the FIN comes between messages. */
static void
test_frame_never_called_empty_eof_may_be(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_connect(p);
	tpeer_send(p, TH_ACK, NULL, 0);			/* a pure ACK: nothing to frame */
	th_poll(&x->t);
	assert_int_equal(zc.frames, 0);
	tpeer_send(p, TH_ACK | TH_PSH, "ab", 2);		/* one record, nothing left */
	assert_int_equal(zc.frames, 1);
	tpeer_send(p, TH_ACK | TH_PSH, "c", 1);		/* NEED 2 */
	assert_int_equal(zc.frames, 2);
	tpeer_send(p, TH_ACK, NULL, 0);			/* nothing new: no call */
	th_poll(&x->t);
	assert_int_equal(zc.frames, 2);
	tpeer_send(p, TH_ACK | TH_PSH, "d", 1);		/* the NEED is met */
	assert_int_equal(zc.frames, 3);
	assert_int_equal(p->tc->msgs, 2);
	tpeer_send(p, TH_FIN | TH_ACK, NULL, 0);
	th_poll(&x->t);
	assert_int_equal(zc.frames_empty, 0);
	assert_int_equal(zc.eofs, 1);
	assert_int_equal(zc.eofs_empty, 1);
	assert_int_equal(p->tc->eofs, 1);
	assert_int_equal(zc.frames, 3);
	assert_int_equal(zc.search_bad, 0);
}

static int
lc_group_setup(void **state)
{
	(void)state;
	if (sl_lenpfx_init(&lp_ds, NULL, &lp_cfg) != 0 ||
	    sl_line_init(&line_ds, NULL, &line_cfg) != 0)
		return -1;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TT_TEST_SETUP(test_asm_buffers_more_conns_than_buffers_all_delivered, setup_lp),
		TT_TEST_SETUP(test_paused_reader_closed_by_last_ack_gets_messages_eof_close,
			      setup_lp),
		cmocka_unit_test(test_time_wait_abort_in_on_message_stops_delivery),
		TT_TEST(test_defer_ready_flow_stays_on_ready_list),
		TT_TEST_SETUP(test_set_framing_while_in_use_busy, setup_lp_extra_line),
		TT_TEST_SETUP(test_hold_twice_copied_second_refused, setup_lp),
		TT_TEST_SETUP(test_hold_after_close_or_abort_refused, setup_lp),
		cmocka_unit_test(test_prepare_failure_on_second_worker_rolls_back),
		TT_TEST_SETUP(test_slow_message_times_out_trickled_messages_do_not,
			      setup_line_msg_timeout_5s),
		TT_TEST_SETUP(test_framing_error_close_policy_on_close_reports_framing,
			      setup_lp),
		TT_TEST_SETUP(test_framing_error_abort_policy_rst_on_close_reports_framing,
			      setup_lp_abort),
		TT_TEST_SETUP(test_frame_never_called_empty_eof_may_be, setup_zc),
	};

	th_eal_init("test_framing_lifecycle");
	return cmocka_run_group_tests(tests, lc_group_setup, NULL);
}

