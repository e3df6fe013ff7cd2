/* SPDX-License-Identifier: BSD-3-Clause */
/* A producer serving many connections from one thread (producer.c: sl_producer_wait,
 * sl_producer_fd, sl_producer_abort, sl_producer_backlog): a refusal followed by a drain
 * before the wait is not lost; a wait without room times out; the fd polls readable
 * exactly when a wait would return, also when opened after the wake; a wrapped wake-up
 * sequence does not hide a wake; room in the channel wakes too; a reset requested by a
 * producer reaches only the connection it named, and is not held behind a record the
 * worker cannot queue; and, on real threads, a producer
 * that never waits on one connection keeps every other one fed, in order, while one
 * connection is never acknowledged, with no wait running into its timeout (a lost
 * wake-up). The channel-level protocol is also tested without DPDK, under
 * ThreadSanitizer: tests/unit/chan/test_chan_notify.c. */

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "unit.h"

#include <sluice/producer.h>

#include "send_kit.h"
#include "api/producer_priv.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool
fd_readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

/* A connection at its high mark (marks 1000/4000/8000) and a producer refused on it. */
static struct sl_conn *
refused_conn(struct tt *x, struct sl_producer **pr, struct sl_conn_ref *ref)
{
	const uint8_t *d = sk_pattern(4000, 21);
	struct sl_conn *c = tpeer_connect(&x->p);

	assert_int_equal(sl_conn_set_sndbuf(c, 1000, 4000, 8000), 0);
	*ref = sl_conn_ref(c);
	*pr = sl_producer_create(x->t.s, 65536);
	assert_non_null(*pr);
	assert_int_equal(sl_producer_wait(*pr, 0), -EALREADY);	/* nothing refused yet */
	assert_int_equal(sl_producer_send(*pr, *ref, d, 4000, 0, 0), 0);
	assert_int_equal(sl_producer_send(*pr, *ref, d, 10, 0, 0), -EAGAIN);
	th_poll(&x->t);			/* the record into the send queue, segments out */
	th_tx_drain(&x->t);
	return c;
}

static void
test_drain_between_refusal_and_wait_returns_at_once(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_producer_stats st;
	struct sl_producer *pr;
	struct sl_conn_ref ref;
	double t0;

	refused_conn(x, &pr, &ref);
	/* The worker drains the connection to its low mark before the producer waits:
	 * the wake-up it sends then must not be lost. */
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, 3000), NULL, 0);
	assert_int_equal(sk_queued(x), 1000);
	t0 = now_s();
	assert_int_equal(sl_producer_wait(pr, 5000000), 0);
	assert_true(now_s() - t0 < 1.0);
	/* Nothing refused since: nothing to wait for. */
	assert_int_equal(sl_producer_wait(pr, 1000000), -EALREADY);
	assert_int_equal(sl_producer_send(pr, ref, "x", 1, 0, 0), 0);
	sl_producer_stats(pr, &st);
	assert_int_equal(st.refused, 1);
	assert_int_equal(st.wakes, 1);
	assert_int_equal(st.waits, 0);		/* it never slept */
	sl_producer_destroy(pr);
	th_poll(&x->t);
}

static void
test_wait_without_room_times_out(void **state)
{
	struct tt *x = *state;
	struct sl_producer_stats st;
	struct sl_producer *pr;
	struct sl_conn_ref ref;
	double t0;

	refused_conn(x, &pr, &ref);
	t0 = now_s();
	assert_int_equal(sl_producer_wait(pr, 20000), -ETIMEDOUT);
	assert_true(now_s() - t0 >= 0.019);
	/* Still refused: still waiting for the same drain. */
	assert_int_equal(sl_producer_wait(pr, 0), -ETIMEDOUT);
	assert_int_equal(sl_producer_send(pr, ref, "x", 1, 0, 0), -EAGAIN);
	sl_producer_stats(pr, &st);
	assert_int_equal(st.waits, 1);
	assert_int_equal(st.wakes, 0);
	sl_producer_destroy(pr);
	th_poll(&x->t);
}

static void
test_fd_polls_readable_when_a_wait_would_return(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_producer *pr;
	struct sl_conn_ref ref;
	int fd;

	refused_conn(x, &pr, &ref);
	fd = sl_producer_fd(pr);
	assert_true(fd >= 0);
	assert_int_equal(sl_producer_fd(pr), fd);
	assert_false(fd_readable(fd));
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, 3000), NULL, 0);
	assert_true(fd_readable(fd));
	assert_int_equal(sl_producer_wait(pr, 0), 0);
	assert_false(fd_readable(fd));		/* emptied by the wait */
	/* A refusal and no drain: the fd stays quiet, however often the worker polls. */
	assert_int_equal(sl_producer_send(pr, ref, sk_pattern(4000, 22), 3500, 0, 0), 0);
	assert_int_equal(sl_producer_send(pr, ref, "x", 1, 0, 0), -EAGAIN);
	th_poll(&x->t);
	th_poll(&x->t);
	assert_false(fd_readable(fd));
	sl_producer_destroy(pr);
	th_poll(&x->t);
}

/* The fd opened after a refusal whose drain came first: that wake wrote to no fd, so
 * sl_producer_fd itself makes it readable (the promise of sluice/producer.h). */
static void
test_fd_opened_after_the_wake_is_readable(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_producer *pr;
	struct sl_conn_ref ref;
	int fd;

	refused_conn(x, &pr, &ref);
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, 3000), NULL, 0);
	assert_int_equal(sk_queued(x), 1000);	/* drained to the low mark: woken */
	fd = sl_producer_fd(pr);
	assert_true(fd >= 0);
	assert_true(fd_readable(fd));
	assert_int_equal(sl_producer_wait(pr, 0), 0);
	assert_false(fd_readable(fd));
	/* Opening it again (nothing refused now) does not make it readable. */
	assert_int_equal(sl_producer_fd(pr), fd);
	assert_false(fd_readable(fd));
	sl_producer_destroy(pr);
	th_poll(&x->t);
}

/* The channel (of this test's only producer) on the worker. */
static struct producer_chan *
only_pchan(struct tt *x)
{
	struct producer_chan *found = NULL;
	unsigned int i;

	for (i = 0; i < WORKER_MAX_PRODUCERS; i++) {
		struct producer_chan *pc = x->t.w->pchans[i];

		if (pc != NULL && !pc->closing) {
			assert_null(found);
			found = pc;
		}
	}
	assert_non_null(found);
	return found;
}

/* The first refusal's 31-bit sequence is kept: after a wake and a later refusal, the
 * sequence coming back to that value (a wrap, forced here) must not make the wait sleep
 * through the wake that already came (ABA). */
static void
test_wake_survives_a_sequence_wrap(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct producer_chan *pc;
	struct sl_producer *pr;
	struct sl_conn_ref ref;
	uint32_t w0;
	double t0;

	refused_conn(x, &pr, &ref);
	pc = only_pchan(x);
	w0 = atomic_load(&pc->pn->nt.wake);	/* the first refusal's sequence, armed */
	assert_true(w0 & 1);
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, 3000), NULL, 0);
	assert_int_equal(sk_queued(x), 1000);	/* woken: the sequence moved */
	assert_true(atomic_load(&pc->pn->nt.wake) >> 1 != w0 >> 1);
	/* Refused again before waiting: it arms the moved sequence. */
	assert_int_equal(sl_producer_send(pr, ref, sk_pattern(4000, 23), 3500, 0, 0), 0);
	assert_int_equal(sl_producer_send(pr, ref, "x", 1, 0, 0), -EAGAIN);
	/* 2^31 wakes later the sequence is back where the first refusal armed it. */
	atomic_store(&pc->pn->nt.wake, w0);
	t0 = now_s();
	assert_int_equal(sl_producer_wait(pr, 200000), 0);
	assert_true(now_s() - t0 < 0.1);
	sl_producer_destroy(pr);
	th_poll(&x->t);
	th_tx_drain(&x->t);
}

static void
test_room_in_the_channel_wakes(void **state)
{
	struct tt *x = *state;
	struct sl_producer *pr;
	struct sl_conn_ref ref;
	struct sl_conn *c;
	uint8_t rec[500];
	unsigned int n = 0;
	int rc;

	c = tpeer_connect(&x->p);
	assert_int_equal(sl_conn_set_sndbuf(c, 100000, 200000, 400000), 0);
	ref = sl_conn_ref(c);
	pr = sl_producer_create(x->t.s, 4096);	/* halves of 2 KiB */
	assert_non_null(pr);
	memset(rec, 'r', sizeof(rec));
	while ((rc = sl_producer_send(pr, ref, rec, sizeof(rec), 0, 0)) == 0)
		n++;
	assert_int_equal(rc, -EAGAIN);		/* the channel, not the water marks */
	assert_true(n >= 4 && n < 10);
	assert_int_equal(sl_producer_wait(pr, 0), -ETIMEDOUT);
	th_poll(&x->t);				/* drains and clears a half */
	assert_int_equal(sl_producer_wait(pr, 1000000), 0);
	assert_int_equal(sl_producer_send(pr, ref, rec, sizeof(rec), 0, 0), 0);
	sl_producer_destroy(pr);
	th_poll(&x->t);
	th_tx_drain(&x->t);
}

static void
test_abort_resets_the_named_connection_only(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_producer_backlog bl;
	struct sl_producer *pr;
	struct sl_conn_ref ref, stale, bad;
	struct tconn *tc;
	struct tp_out o;
	bool rst = false;

	refused_conn(x, &pr, &ref);
	assert_int_equal(sl_producer_backlog(pr, ref, &bl), 0);
	assert_int_equal(bl.queued, 4000);
	assert_int_equal(bl.high, 4000);
	assert_int_equal(bl.max, 8000);
	assert_true(bl.refusing);
	bad = ref;
	bad.worker = 7;
	assert_int_equal(sl_producer_backlog(pr, bad, &bl), -EINVAL);
	assert_int_equal(sl_producer_abort(pr, bad), -EINVAL);
	/* A reference of an older generation: the worker leaves the connection alone. */
	stale = ref;
	stale.gen--;
	assert_int_equal(sl_producer_abort(pr, stale), 0);
	th_poll(&x->t);
	assert_int_equal(th_stats(&x->t)->prod_aborts, 0);
	assert_int_equal(sl_producer_backlog(pr, ref, &bl), 0);
	/* The connection's own reference: reset, on_close(ABORTED). */
	assert_int_equal(sl_producer_abort(pr, ref), 0);
	th_poll(&x->t);
	while (tpeer_recv(p, &o))
		if (o.flags & TH_RST)
			rst = true;
	assert_true(rst);
	assert_int_equal(th_stats(&x->t)->prod_aborts, 1);
	th_poll(&x->t);			/* on_close in the next delivery phase */
	tc = tapp_find(&x->app, p->port);
	assert_non_null(tc);
	assert_int_equal(tc->closes, 1);
	assert_int_equal(tc->reason, SL_CLOSE_ABORTED);
	assert_int_equal(sl_producer_backlog(pr, ref, &bl), -EPIPE);
	assert_int_equal(sl_producer_send(pr, ref, "x", 1, 0, 0), -EPIPE);
	/* The refusal was answered by the reset: the wait returns. */
	assert_int_equal(sl_producer_wait(pr, 1000000), 0);
	sl_producer_destroy(pr);
	th_poll(&x->t);
}

/* A record the worker cannot queue yet stops the drain of its channel (order per flow);
 * a reset requested after it must not wait behind it: the subscriber it frees may be
 * what holds the send-queue mbufs the record waits for. Here the worker has no mbuf to
 * spare (prod_stall), the reset still goes out, and the held record is then dropped as
 * closed. */
static void
test_abort_is_not_held_behind_a_stuck_record(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_worker *w = x->t.w;
	uint32_t max = w->tcp.txbuf_mbufs_max;
	struct producer_chan *pc;
	struct sl_producer *pr;
	struct sl_conn_ref ref;
	struct sl_conn *c;
	struct tp_out o;
	bool rst = false;

	c = tpeer_connect(p);
	assert_int_equal(sl_conn_set_sndbuf(c, 10000, 40000, 80000), 0);
	ref = sl_conn_ref(c);
	assert_int_equal(sl_conn_send(c, sk_pattern(4000, 24), 4000), 0);
	w->tcp.txbuf_mbufs_max = w->tcp.txbuf_mbufs;	/* no mbuf for another chunk */
	pr = sl_producer_create(x->t.s, 65536);
	assert_non_null(pr);
	pc = only_pchan(x);
	assert_int_equal(sl_producer_send(pr, ref, sk_pattern(3000, 25), 3000, 0, 0), 0);
	th_poll(&x->t);
	assert_false(chan_empty(pc->ch));	/* held: no mbuf for it */
	assert_true(th_stats(&x->t)->prod_stall > 0);
	assert_int_equal(sl_producer_abort(pr, ref), 0);
	th_poll(&x->t);
	while (tpeer_recv(p, &o))
		if (o.flags & TH_RST)
			rst = true;
	assert_true(rst);
	assert_int_equal(th_stats(&x->t)->prod_aborts, 1);
	assert_true(chan_empty(pc->ch));	/* and the held record dropped */
	assert_int_equal(th_stats(&x->t)->prod_drop_closed, 1);
	assert_int_equal(th_stats(&x->t)->prod_records, 0);
	assert_int_equal(sl_producer_send(pr, ref, "x", 1, 0, 0), -EPIPE);
	w->tcp.txbuf_mbufs_max = max;
	sl_producer_destroy(pr);
	th_poll(&x->t);
}

/* ---- one producer thread, several connections, one never acknowledged ---- */

#define FW_FLOWS	4		/* the last one is stalled */
#define FW_MSGS		3000		/* per healthy flow */
#define FW_LOST_US	5000000		/* a wait this long means a lost wake-up */

struct fw_producer {
	pthread_t th;
	struct sl_stack *s;
	struct sl_conn_ref refs[FW_FLOWS];
	uint32_t next[FW_FLOWS];	/* next sequence per flow */
	unsigned int lost, waits;
	int failed;
	struct sl_producer_stats st;
	int stop;			/* atomic: the main thread gave up */
};

/* Record: len(1) flow(1) 0 0 seq(4), then filler bytes (seq + i + flow). */
static uint32_t
fw_format(uint8_t *b, unsigned int f, uint32_t seq)
{
	uint32_t len = 8 + seq % 40, i;

	b[0] = (uint8_t)len;
	b[1] = (uint8_t)f;
	b[2] = b[3] = 0;
	memcpy(b + 4, &seq, 4);
	for (i = 8; i < len; i++)
		b[i] = (uint8_t)(seq + i + f);
	return len;
}

static void *
fw_producer_main(void *arg)
{
	struct fw_producer *fp = arg;
	struct sl_producer *pr = sl_producer_create(fp->s, 8192);
	uint8_t buf[64];

	if (pr == NULL) {
		fp->failed = -ENOMEM;
		return NULL;
	}
	while (!__atomic_load_n(&fp->stop, __ATOMIC_RELAXED)) {
		bool took = false, healthy_done = true;
		unsigned int f, b;

		for (f = 0; f < FW_FLOWS; f++) {
			if (f + 1 < FW_FLOWS && fp->next[f] < FW_MSGS)
				healthy_done = false;
			for (b = 0; b < 16 && fp->next[f] < FW_MSGS; b++) {
				uint32_t len = fw_format(buf, f, fp->next[f]);
				int rc = sl_producer_send(pr, fp->refs[f], buf, len, 0, 0);

				if (rc == -EAGAIN)
					break;		/* keep it; on to the next flow */
				if (rc != 0) {
					fp->failed = rc;
					goto out;
				}
				fp->next[f]++;
				took = true;
			}
		}
		if (healthy_done)
			break;
		if (took)
			continue;
		/* Nobody took anything: sleep until any refused one may take more. */
		fp->waits++;
		if (sl_producer_wait(pr, FW_LOST_US) == -ETIMEDOUT)
			fp->lost++;
	}
out:
	sl_producer_stats(pr, &fp->st);
	sl_producer_destroy(pr);
	return NULL;
}

struct fw_flow {
	uint8_t partial[64];
	uint32_t plen;
	uint32_t next;
};

static void
fw_parse(struct fw_flow *sf, unsigned int fidx, const uint8_t *d, uint32_t n)
{
	while (n > 0) {
		uint32_t need, k, seq, i;

		need = sf->plen == 0 ? 1 : (sf->plen < 8 ? 8 : sf->partial[0]) - sf->plen;
		k = RTE_MIN(need, n);
		memcpy(sf->partial + sf->plen, d, k);
		sf->plen += k;
		d += k;
		n -= k;
		if (sf->plen < 8 || sf->plen < sf->partial[0])
			continue;
		memcpy(&seq, sf->partial + 4, 4);
		assert_int_equal(sf->partial[1], fidx);
		assert_int_equal(seq, sf->next);	/* in order, nothing lost */
		for (i = 8; i < sf->partial[0]; i++)
			assert_int_equal(sf->partial[i], (uint8_t)(seq + i + fidx));
		sf->next++;
		sf->plen = 0;
	}
}

static void
test_one_thread_feeds_every_flow_but_the_stalled_one(void **state)
{
	static struct tpeer peers[FW_FLOWS];
	static struct fw_flow flows[FW_FLOWS];
	static struct fw_producer fp;
	struct tt *x = *state;
	struct sl_producer_backlog bl;
	struct sl_producer *pr;
	unsigned int f, iter, done = 0;
	struct tp_out o;

	memset(flows, 0, sizeof(flows));
	memset(&fp, 0, sizeof(fp));
	fp.s = x->t.s;
	for (f = 0; f < FW_FLOWS; f++) {
		struct sl_conn *c;

		tpeer_init(&peers[f], &x->t, &x->app, (uint16_t)(TP_PEER_PORT + 1 + f), TP_PORT,
			   TP_PEER_ISS + f * 1000000u);
		c = tpeer_connect(&peers[f]);
		assert_int_equal(sl_conn_set_sndbuf(c, 1000, 4000, 6000), 0);
		fp.refs[f] = sl_conn_ref(c);
	}
	assert_int_equal(pthread_create(&fp.th, NULL, fw_producer_main, &fp), 0);
	/* The worker and the peers: the healthy ones read and acknowledge, the last one
	 * never does. Bounded. */
	for (iter = 0; iter < 3000000 && done < FW_FLOWS - 1; iter++) {
		th_poll(&x->t);
		while (tp_pop(&x->t, &o)) {
			struct tpeer *p;

			f = (unsigned int)(o.dport - TP_PEER_PORT - 1);
			assert_true(f < FW_FLOWS);
			p = &peers[f];
			if (f == FW_FLOWS - 1 || o.len == 0 || o.seq != p->rcv_nxt)
				continue;
			fw_parse(&flows[f], f, o.data, o.len);
			p->rcv_nxt += o.len;
		}
		if (iter % 4 == 0)
			for (f = 0; f + 1 < FW_FLOWS; f++)
				tpeer_ack(&peers[f]);
		done = 0;
		for (f = 0; f + 1 < FW_FLOWS; f++)
			if (flows[f].next == FW_MSGS)
				done++;
	}
	__atomic_store_n(&fp.stop, 1, __ATOMIC_RELAXED);
	pthread_join(fp.th, NULL);
	print_message("one producer, %u flows (one stalled): %u waits, %" PRIu64 " refusals, "
		      "%" PRIu64 " wakes, stalled flow took %u records\n", FW_FLOWS, fp.waits,
		      fp.st.refused, fp.st.wakes, fp.next[FW_FLOWS - 1]);
	assert_int_equal(fp.failed, 0);
	for (f = 0; f + 1 < FW_FLOWS; f++)
		assert_int_equal(flows[f].next, FW_MSGS);
	assert_int_equal(fp.lost, 0);		/* no wait ran into its timeout */
	assert_true(fp.st.wakes > 0);		/* it did sleep and was woken */
	/* The stalled flow holds what its water marks allow, no more. */
	assert_true(fp.next[FW_FLOWS - 1] < FW_MSGS);
	pr = sl_producer_create(x->t.s, 8192);
	assert_non_null(pr);
	assert_int_equal(sl_producer_backlog(pr, fp.refs[FW_FLOWS - 1], &bl), 0);
	assert_true(bl.queued >= 4000 && bl.queued <= 6000);
	assert_true(bl.refusing);
	sl_producer_destroy(pr);
	th_poll(&x->t);
	for (f = 0; f < WORKER_MAX_PRODUCERS; f++)
		assert_null(x->t.w->pchans[f]);
}

static const struct CMUnitTest tests[] = {
	SK_TEST(test_drain_between_refusal_and_wait_returns_at_once),
	SK_TEST(test_wait_without_room_times_out),
	SK_TEST(test_fd_polls_readable_when_a_wait_would_return),
	SK_TEST(test_fd_opened_after_the_wake_is_readable),
	SK_TEST(test_wake_survives_a_sequence_wrap),
	SK_TEST(test_room_in_the_channel_wakes),
	SK_TEST(test_abort_resets_the_named_connection_only),
	SK_TEST(test_abort_is_not_held_behind_a_stuck_record),
	SK_TEST(test_one_thread_feeds_every_flow_but_the_stalled_one),
};

UNIT_MAIN("test_producer_wait", tests)
