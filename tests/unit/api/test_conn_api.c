/* SPDX-License-Identifier: BSD-3-Clause */
/* The connection API's accessors (conn.c): sl_conn_listen_arg() returns the listener's
 * argument from every callback of a passively opened connection (raw or framed), one per
 * listener, whatever the user pointer holds, and NULL for an active open; listening is
 * refused once the stack runs. */

#include <errno.h>

#include "unit.h"

#include <sluice/framing.h>

#include "tcp_helper.h"

/* What the recording hook saw: the event letters, in order, whose sl_conn_listen_arg()
 * was the expected argument, and those where it was not. */
static struct {
	const void *want;
	char seen[16];
	unsigned int nseen;
	unsigned int wrong;
} la;

static void
la_reset(const void *want)
{
	memset(&la, 0, sizeof(la));
	la.want = want;
}

static void
la_hook(struct tconn *tc, char ev)
{
	struct sl_conn *c = tc->c;

	assert_non_null(c);
	if (sl_conn_listen_arg(c) != la.want) {
		la.wrong++;
		return;
	}
	if (la.nseen + 1 < sizeof(la.seen))
		la.seen[la.nseen++] = ev;
}

/* A connection to x's listener through accept, a message, a refused send and the
 * writable edge, the peer's FIN (the application closes from on_eof) and on_close. */
static void
la_run_lifetime(struct tt *x)
{
	static const uint8_t big[1200];
	struct tpeer *p = &x->p;
	struct sl_conn *c;
	struct tp_out o;

	x->app.hook = la_hook;
	x->app.close_on_eof = true;
	c = tpeer_connect(p);
	tpeer_send(p, TH_ACK | TH_PSH, "hello", 5);
	assert_int_equal(sl_conn_set_sndbuf(c, 100, 1000, 4000), 0);
	assert_int_equal(sl_conn_send(c, big, sizeof(big)), 0);
	assert_int_equal(sl_conn_send(c, big, 1), -EAGAIN);
	th_poll(&x->t);
	while (tpeer_recv(p, &o))
		;
	tpeer_ack(p);		/* the queue drains: on_writable */
	tpeer_send(p, TH_FIN | TH_ACK, NULL, 0);
	while (tpeer_recv(p, &o))
		;
	tpeer_ack(p);		/* our FIN acknowledged: on_close */
	assert_null(tpeer_flow(p));
	assert_string_equal(p->tc->log, "amwex");
}

static void
test_listen_arg_every_callback_is_listener_arg(void **state)
{
	struct tt *x = *state;

	la_reset(&x->app);
	la_run_lifetime(x);
	assert_int_equal(la.wrong, 0);
	assert_string_equal(la.seen, "amwex");
}

static void
test_listen_arg_framed_listener_every_callback(void **state)
{
	static const struct sl_framing raw = { .ds = &sl_ds_raw, .ser = &sl_ser_raw };
	struct tt *x = tt_setup_framed(NULL, &raw, NULL);

	(void)state;
	la_reset(&x->app);
	la_run_lifetime(x);
	assert_int_equal(la.wrong, 0);
	assert_string_equal(la.seen, "amwex");
	tt_teardown(x);
}

static void
test_listen_arg_active_open_is_null(void **state)
{
	struct tt *x = *state;

	la_reset(NULL);
	x->app.hook = la_hook;
	tpeer_accept(&x->p);
	assert_int_equal(la.wrong, 0);
	assert_string_equal(la.seen, "c");
	assert_null(sl_conn_listen_arg(x->p.tc->c));
}

/* Two listeners, each with its own application record as argument. */
static struct tapp apps[2];

static void
listen_two(struct th *t, void *arg)
{
	(void)arg;
	assert_int_equal(sl_stack_listen(t->s, TP_PORT, &tapp_ops, &apps[0]), 0);
	assert_int_equal(sl_stack_listen(t->s, TP_PORT + 1, &tapp_ops, &apps[1]), 0);
	/* One listener per port. */
	assert_int_equal(sl_stack_listen(t->s, TP_PORT + 1, &tapp_ops, &apps[0]),
			 -EADDRINUSE);
}

static void
test_listen_arg_per_listener(void **state)
{
	struct tpeer peers[2];
	struct sl_config cfg;
	struct th t;
	unsigned int i;

	(void)state;
	memset(apps, 0, sizeof(apps));
	tp_config(&cfg);
	th_setup_hook(&t, &cfg, 4096, listen_two, NULL);
	tp_learn_peer(&t);
	for (i = 0; i < 2; i++) {
		struct sl_conn *c;

		tpeer_init(&peers[i], &t, &apps[i], (uint16_t)(TP_PEER_PORT + i),
			   (uint16_t)(TP_PORT + i), TP_PEER_ISS);
		c = tpeer_connect(&peers[i]);
		assert_ptr_equal(sl_conn_listen_arg(c), &apps[i]);
		assert_ptr_equal(peers[i].tc->app, &apps[i]);
	}
	for (i = 0; i < 2; i++)
		sl_conn_abort(peers[i].tc->c);
	th_poll(&t);
	for (i = 0; i < 2; i++)
		assert_null(peers[i].tc->c);
	th_tx_drain(&t);
	th_teardown(&t);
}

static void
test_listen_after_start_refused(void **state)
{
	struct tt *x = *state;

	assert_int_equal(sl_stack_listen(x->t.s, TP_PORT + 1, &tapp_ops, NULL), -EBUSY);
}

static const struct CMUnitTest tests[] = {
	TT_TEST(test_listen_arg_every_callback_is_listener_arg),
	cmocka_unit_test(test_listen_arg_framed_listener_every_callback),
	TT_TEST(test_listen_arg_active_open_is_null),
	cmocka_unit_test(test_listen_arg_per_listener),
	TT_TEST(test_listen_after_start_refused),
};

UNIT_MAIN("test_conn_api", tests)
