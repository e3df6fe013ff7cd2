/* SPDX-License-Identifier: BSD-3-Clause */
/* Producer channels (producer.c): records from another thread reach their connection in
 * order, count against its water marks at submit time, are refused or dropped for stale
 * or closed connections, go out before a shutdown's FIN, and -- on real threads, several
 * producers times several flows -- arrive complete and in order per producer and flow. */

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "unit.h"

#include <sluice/producer.h>

#include "send_kit.h"

static void
test_producer_record_reaches_connection(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = sk_pattern(1000, 10);
	struct sl_producer *pr;
	struct sl_conn_ref ref;
	struct sl_conn *c;
	uint32_t off = 0;

	c = tpeer_connect(p);
	ref = sl_conn_ref(c);
	pr = sl_producer_create(x->t.s, 65536);
	assert_non_null(pr);
	assert_int_equal(sl_producer_send(pr, ref, d, 600, 0, 0), 0);
	assert_int_equal(sl_producer_send(pr, ref, d + 600, 400, 0, 0), 0);
	/* Counted at submit, before the worker drained anything. */
	assert_int_equal(sk_queued(x), 1000);
	th_poll(&x->t);
	assert_int_equal(sk_recv_data(p, d, &off, 1448, NULL), 1);	/* one segment */
	assert_int_equal(off, 1000);
	assert_int_equal(th_stats(&x->t)->prod_records, 2);
	assert_int_equal(th_stats(&x->t)->tcp_app_writes, 2);
	/* Bad references. */
	ref.worker = 5;
	assert_int_equal(sl_producer_send(pr, ref, d, 1, 0, 0), -EINVAL);
	ref = sl_conn_ref(c);
	ref.gen++;
	assert_int_equal(sl_producer_send(pr, ref, d, 1, 0, 0), -EPIPE);
	sl_producer_destroy(pr);
	th_poll(&x->t);		/* the worker frees the drained channel */
	assert_null(x->t.w->pchans[0]);
}

static void
test_producer_water_marks_and_records_for_closed_flow(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = sk_pattern(9000, 11);
	struct sl_producer *pr;
	struct sl_conn_ref ref;
	struct sl_conn *c;

	c = tpeer_connect(p);
	assert_int_equal(sl_conn_set_sndbuf(c, 1000, 4000, 8000), 0);
	ref = sl_conn_ref(c);
	pr = sl_producer_create(x->t.s, 65536);
	assert_non_null(pr);
	assert_int_equal(sl_producer_send(pr, ref, d, 4000, 0, 0), 0);
	/* At the high mark: a producer that does not wait gets -EAGAIN, one that waits
	 * times out (the worker is not polled meanwhile). */
	assert_int_equal(sl_producer_send(pr, ref, d, 10, 0, 0), -EAGAIN);
	assert_int_equal(sl_producer_send(pr, ref, d, 10, 0, 2000), -ETIMEDOUT);
	assert_int_equal(sl_producer_send(pr, ref, d, 9000, 0, 0), -EMSGSIZE);
	/* The worker's own sends see the producer's bytes. */
	assert_int_equal(sl_conn_send(c, d, 1), -EAGAIN);
	th_poll(&x->t);
	th_tx_drain(&x->t);
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, 3000), NULL, 0);
	assert_int_equal(sk_queued(x), 1000);
	assert_int_equal(sl_producer_send(pr, ref, d, 10, 0, 0), 0);
	/* The connection goes before the worker drains the record: dropped, counted, and
	 * its bytes no longer counted. */
	sl_conn_abort(c);
	th_poll(&x->t);
	assert_int_equal(th_stats(&x->t)->prod_drop_closed, 1);
	assert_int_equal(sl_producer_send(pr, ref, d, 10, 0, 0), -EPIPE);
	sl_producer_destroy(pr);
	th_poll(&x->t);
}

/* Records a producer handed off before the application shut the connection down are
 * sent, and the FIN follows them. */
static void
test_shutdown_sends_records_already_handed_off(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = sk_pattern(3000, 15);
	struct sl_producer *pr;
	struct sl_conn_ref ref;
	struct sl_conn *c;
	struct tp_out o;
	uint32_t off = 0;
	bool fin = false;

	c = tpeer_connect(p);
	ref = sl_conn_ref(c);
	pr = sl_producer_create(x->t.s, 65536);
	assert_non_null(pr);
	assert_int_equal(sl_conn_send(c, d, 1000), 0);
	assert_int_equal(sl_producer_send(pr, ref, d + 1000, 700, 0, 0), 0);
	assert_int_equal(sl_producer_send(pr, ref, d + 1700, 300, 0, 0), 0);
	assert_int_equal(sl_conn_shutdown(c), 0);
	assert_int_equal(sl_producer_send(pr, ref, d, 10, 0, 0), -EPIPE);
	th_poll(&x->t);
	while (tpeer_recv(p, &o)) {
		assert_false(fin);		/* nothing after the FIN */
		if (o.len > 0) {
			assert_memory_equal(o.data, d + off, o.len);
			off += o.len;
		}
		if (o.flags & TH_FIN) {
			assert_int_equal(off, 2000);
			fin = true;
		}
	}
	assert_true(fin);
	assert_int_equal(th_stats(&x->t)->prod_drop_closed, 0);
	assert_int_equal(th_stats(&x->t)->prod_records, 2);
	sl_producer_destroy(pr);
	th_poll(&x->t);
}

/* ---- producers x flows, on real threads ---- */

#define ST_PRODUCERS	3
#define ST_FLOWS	4
#define ST_MSGS		2000	/* per producer and flow */

struct st_producer {
	pthread_t th;
	unsigned int id;
	struct sl_stack *s;
	struct sl_conn_ref refs[ST_FLOWS];
	int failed;			/* first error, 0 if none */
	struct sl_producer_stats st;
};

/* Record: len(1) producer(1) flow(2) seq(4), then filler bytes (seq + i) & 0xff. */
static uint32_t
st_format(uint8_t *b, unsigned int p, unsigned int f, uint32_t seq)
{
	uint32_t len = 8 + seq % 40, i;

	b[0] = (uint8_t)len;
	b[1] = (uint8_t)p;
	b[2] = (uint8_t)f;
	b[3] = 0;
	memcpy(b + 4, &seq, 4);
	for (i = 8; i < len; i++)
		b[i] = (uint8_t)(seq + i + p);
	return len;
}

static void *
st_producer_main(void *arg)
{
	struct st_producer *sp = arg;
	struct sl_producer *pr = sl_producer_create(sp->s, 8192);
	uint8_t buf[64];
	uint32_t seq;
	unsigned int f;

	if (pr == NULL) {
		sp->failed = -ENOMEM;
		return NULL;
	}
	for (seq = 0; seq < ST_MSGS && sp->failed == 0; seq++) {
		for (f = 0; f < ST_FLOWS; f++) {
			uint32_t len = st_format(buf, sp->id, f, seq);
			int rc = sl_producer_send(pr, sp->refs[f], buf, len, 0, 10000000);

			if (rc != 0) {
				sp->failed = rc;
				break;
			}
		}
	}
	sl_producer_stats(pr, &sp->st);
	sl_producer_destroy(pr);
	return NULL;
}

/* What one flow's peer has parsed so far. */
struct st_flow {
	uint8_t partial[64];
	uint32_t plen;
	uint32_t next[ST_PRODUCERS];
	uint32_t msgs;
};

static void
st_parse(struct st_flow *sf, unsigned int fidx, const uint8_t *d, uint32_t n)
{
	while (n > 0) {
		uint32_t need, k, seq, i;
		uint8_t p;

		if (sf->plen == 0 || sf->plen < sf->partial[0]) {
			need = sf->plen == 0 ? 1 : sf->partial[0] - sf->plen;
			k = RTE_MIN(need, n);
			memcpy(sf->partial + sf->plen, d, k);
			sf->plen += k;
			d += k;
			n -= k;
			if (sf->plen == 1)
				assert_true(sf->partial[0] >= 8 && sf->partial[0] < 48);
			if (sf->plen < 8 || sf->plen < sf->partial[0])
				continue;
		}
		/* A whole record. */
		p = sf->partial[1];
		memcpy(&seq, sf->partial + 4, 4);
		assert_true(p < ST_PRODUCERS);
		assert_int_equal(sf->partial[2], fidx);
		assert_int_equal(seq, sf->next[p]);	/* FIFO per producer and flow */
		for (i = 8; i < sf->partial[0]; i++)
			assert_int_equal(sf->partial[i], (uint8_t)(seq + i + p));
		sf->next[p]++;
		sf->msgs++;
		sf->plen = 0;
	}
}

static void
test_producers_times_flows_on_threads(void **state)
{
	static struct tpeer peers[ST_FLOWS];
	static struct st_flow flows[ST_FLOWS];
	struct st_producer sp[ST_PRODUCERS];
	struct tt *x = *state;
	unsigned int i, f, iter, total = 0, waits = 0;
	struct tp_out o;

	memset(flows, 0, sizeof(flows));
	for (f = 0; f < ST_FLOWS; f++) {
		struct sl_conn *c;

		tpeer_init(&peers[f], &x->t, &x->app, (uint16_t)(TP_PEER_PORT + 1 + f), TP_PORT,
			   TP_PEER_ISS + f * 1000000u);
		c = tpeer_connect(&peers[f]);
		/* Small marks, so producers wait on the water marks as well as on room. */
		assert_int_equal(sl_conn_set_sndbuf(c, 1000, 4000, 6000), 0);
		for (i = 0; i < ST_PRODUCERS; i++)
			sp[i].refs[f] = sl_conn_ref(c);
	}
	for (i = 0; i < ST_PRODUCERS; i++) {
		sp[i].id = i;
		sp[i].s = x->t.s;
		sp[i].failed = 0;
		assert_int_equal(pthread_create(&sp[i].th, NULL, st_producer_main, &sp[i]), 0);
	}
	/* The worker and the peers on this thread: poll, read, acknowledge. Bounded. */
	for (iter = 0; iter < 2000000 && total < ST_PRODUCERS * ST_FLOWS * ST_MSGS; iter++) {
		th_poll(&x->t);
		while (tp_pop(&x->t, &o)) {
			struct tpeer *p;

			f = (unsigned int)(o.dport - TP_PEER_PORT - 1);
			assert_true(f < ST_FLOWS);
			p = &peers[f];
			if (o.len == 0 || o.seq != p->rcv_nxt)
				continue;
			st_parse(&flows[f], f, o.data, o.len);
			p->rcv_nxt += o.len;
			total = 0;
			for (i = 0; i < ST_FLOWS; i++)
				total += flows[i].msgs;
		}
		if (iter % 4 == 0)
			for (f = 0; f < ST_FLOWS; f++)
				tpeer_ack(&peers[f]);
	}
	for (i = 0; i < ST_PRODUCERS; i++) {
		pthread_join(sp[i].th, NULL);
		assert_int_equal(sp[i].failed, 0);
		waits += (unsigned int)sp[i].st.waits;
	}
	assert_int_equal(total, ST_PRODUCERS * ST_FLOWS * ST_MSGS);
	for (f = 0; f < ST_FLOWS; f++)
		for (i = 0; i < ST_PRODUCERS; i++)
			assert_int_equal(flows[f].next[i], ST_MSGS);
	assert_int_equal(th_stats(&x->t)->prod_records, ST_PRODUCERS * ST_FLOWS * ST_MSGS);
	assert_int_equal(th_stats(&x->t)->prod_drop_closed, 0);
	assert_true(waits > 0);		/* the marks and the channel did push back */
	th_poll(&x->t);			/* the workers free the producers' channels */
	for (i = 0; i < WORKER_MAX_PRODUCERS; i++)
		assert_null(x->t.w->pchans[i]);
}

static const struct CMUnitTest tests[] = {
	SK_TEST(test_producer_record_reaches_connection),
	SK_TEST(test_producer_water_marks_and_records_for_closed_flow),
	SK_TEST(test_shutdown_sends_records_already_handed_off),
	SK_TEST(test_producers_times_flows_on_threads),
};

UNIT_MAIN("test_producer", tests)
