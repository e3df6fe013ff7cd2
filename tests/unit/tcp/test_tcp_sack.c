/* SPDX-License-Identifier: BSD-3-Clause */
/* The scoreboard (tcp_sack.c) driven directly on a bare control block and worker: what
 * each SACK block does to the transmission records, the D-SACK test of RFC 2883, the
 * blocks RFC 2018 says to ignore, and the bound on memory and work whatever a peer sends
 * (the SACK-panic class: tiny scattered blocks, thousands of ACKs). */

#include "unit.h"

#include "core/worker.h"
#include "tcp/flow.h"
#include "tcp/tcp_in.h"
#include "tcp/tcp_recovery.h"
#include "tcp/tcp_sack.h"
#include "tcp/tcp_seq.h"

#define MSS	1000u
#define ISS	0xfffff000u	/* the sequence space wraps during every test */

static struct sl_worker worker;
static struct tcp_flow flow;

static struct tcp_flow *
flow_fresh(void)
{
	struct tcp_flow *f = &flow;

	memset(&worker, 0, sizeof(worker));
	memset(f, 0, sizeof(*f));
	worker.clock.now_us = 1000000;
	f->w = &worker;
	f->mss = MSS;
	f->snd_una = f->snd_nxt = f->snd_max = ISS;
	f->max_snd_wnd = 1u << 20;
	f->sb.fack = ISS;
	return f;
}

/* n bytes of new data leave at the current time. */
static void
send_new(struct tcp_flow *f, uint32_t n)
{
	tcp_sb_sent(&worker, f, f->snd_max, n, false);
	f->snd_max += n;
	f->snd_nxt = f->snd_max;
}

static void
tick(uint64_t us)
{
	worker.clock.now_us += us;
}

/* One ACK: cumulative at una + ack_off, with SACK blocks given as offsets from ISS. */
static struct tcp_sack_news
ack(struct tcp_flow *f, uint32_t ack_off, const uint32_t *blk, unsigned int nblk)
{
	struct tcp_sack_news n = { 0 };
	struct tcp_sack_block b[4];
	unsigned int i;

	for (i = 0; i < nblk; i++) {
		b[i].start = ISS + blk[2 * i];
		b[i].end = ISS + blk[2 * i + 1];
	}
	tcp_sack_in(&worker, f, ISS + ack_off, b, nblk, &n);
	if (ISS + ack_off != f->snd_una) {
		tcp_sb_ack(f, ISS + ack_off, &n);
		f->snd_una = ISS + ack_off;
	}
	return n;
}

static uint32_t
sacked(const struct tcp_flow *f)
{
	struct tcp_sb_sum s;

	tcp_sb_sum(f, &s);
	return s.sacked;
}

/* The records cover exactly [SND.UNA, end of data sent) in order, none empty. */
static void
check_invariants(const struct tcp_flow *f)
{
	uint32_t prev = f->snd_una;
	unsigned int i;

	assert_true(f->sb.n <= TCP_SB_RECS);
	for (i = 0; i < f->sb.n; i++) {
		assert_true(seq_gt(f->sb.rec[i].end, prev));
		prev = f->sb.rec[i].end;
	}
	if (f->sb.n > 0)
		assert_true(seq_le(prev, f->snd_max));
}

static void
test_sack_new_data_of_one_instant_is_one_record(void **state)
{
	struct tcp_flow *f = flow_fresh();

	(void)state;
	send_new(f, MSS);
	send_new(f, MSS);
	assert_int_equal(f->sb.n, 1);
	tick(10);
	send_new(f, MSS);
	assert_int_equal(f->sb.n, 2);
	assert_int_equal(f->sb.rec[0].end, ISS + 2 * MSS);
	check_invariants(f);
}

static void
test_sack_blocks_split_and_count_once(void **state)
{
	struct tcp_flow *f = flow_fresh();
	const uint32_t b1[] = { 2 * MSS, 4 * MSS };
	const uint32_t b2[] = { 3 * MSS, 6 * MSS, 2 * MSS, 4 * MSS };
	struct tcp_sack_news n;

	(void)state;
	send_new(f, 10 * MSS);
	tick(100);
	n = ack(f, 0, b1, 1);
	assert_int_equal(n.sacked, 2 * MSS);
	assert_true(n.delivered);
	assert_int_equal(n.end, ISS + 4 * MSS);
	assert_int_equal(sacked(f), 2 * MSS);
	/* Overlapping blocks, out of order: only the new bytes count. */
	n = ack(f, 0, b2, 2);
	assert_int_equal(n.sacked, 2 * MSS);
	assert_int_equal(sacked(f), 4 * MSS);
	assert_int_equal(n.dsack, 0);
	check_invariants(f);
	/* The same blocks again: nothing new. */
	n = ack(f, 0, b2, 2);
	assert_int_equal(n.sacked, 0);
	assert_false(n.delivered);
	/* Pipe: 10 sent, 4 SACKed. */
	assert_int_equal(tcp_sb_pipe(f), 6 * MSS);
}

static void
test_sack_blocks_outside_the_window_ignored(void **state)
{
	struct tcp_flow *f = flow_fresh();
	const uint32_t beyond[] = { 8 * MSS, 12 * MSS };	/* past snd_max */
	const uint32_t empty[] = { 5 * MSS, 5 * MSS };
	const uint32_t inverted[] = { 6 * MSS, 5 * MSS };
	const uint32_t ancient[] = { (uint32_t)-(3u << 20), (uint32_t)-(2u << 20) };
	struct tcp_sack_news n;

	(void)state;
	send_new(f, 10 * MSS);
	n = ack(f, 0, beyond, 1);
	n = ack(f, 0, empty, 1);
	n = ack(f, 0, inverted, 1);
	n = ack(f, 0, ancient, 1);
	assert_int_equal(worker.stats.tcp_sack_bad, 4);
	assert_int_equal(sacked(f), 0);
	assert_int_equal(n.sacked, 0);
	check_invariants(f);
}

static void
test_sack_block_straddling_snd_una_is_clipped(void **state)
{
	struct tcp_flow *f = flow_fresh();
	const uint32_t b[] = { 1 * MSS, 5 * MSS, 7 * MSS, 8 * MSS };
	struct tcp_sack_news n;

	(void)state;
	send_new(f, 10 * MSS);
	/* The cumulative ACK is at 3: the part of the first block below it is not
	 * SACKed data (and not a D-SACK either, as it reaches above the ACK). */
	n = ack(f, 3 * MSS, b, 2);
	assert_int_equal(n.dsack, 0);
	assert_int_equal(sacked(f), 3 * MSS);
	check_invariants(f);
}

static void
test_dsack_below_ack_and_inside_second_block(void **state)
{
	struct tcp_flow *f = flow_fresh();
	const uint32_t below[] = { 1 * MSS, 2 * MSS };
	const uint32_t inside[] = { 5 * MSS, 6 * MSS, 4 * MSS, 7 * MSS };
	const uint32_t not_first[] = { 8 * MSS, 9 * MSS, 1 * MSS, 2 * MSS };
	struct tcp_sack_news n;

	(void)state;
	send_new(f, 10 * MSS);
	/* RFC 2883 §4: a first block below the cumulative ACK is a D-SACK. */
	n = ack(f, 3 * MSS, below, 1);
	assert_int_equal(n.dsack, 1);
	assert_int_equal(sacked(f), 0);
	/* A first block inside the second one is a D-SACK too; the second is SACK. */
	n = ack(f, 3 * MSS, inside, 2);
	assert_int_equal(n.dsack, 1);
	assert_int_equal(n.sacked, 3 * MSS);
	/* Only the first block can be one: a later block below the ACK is ignored. */
	n = ack(f, 3 * MSS, not_first, 2);
	assert_int_equal(n.dsack, 0);
	assert_int_equal(sacked(f), 4 * MSS);
	check_invariants(f);
}

static void
test_cumulative_ack_delivers_and_drops_records(void **state)
{
	struct tcp_flow *f = flow_fresh();
	const uint32_t b[] = { 4 * MSS, 6 * MSS };
	struct tcp_sack_news n;

	(void)state;
	send_new(f, 3 * MSS);
	tick(10);
	send_new(f, 3 * MSS);
	tick(10);
	send_new(f, 3 * MSS);
	ack(f, 0, b, 1);
	/* The ACK covers the first two records: the newest delivered is the second
	 * record's, SACKed bytes do not count as delivered again. */
	n = ack(f, 6 * MSS, NULL, 0);
	assert_true(n.delivered);
	assert_int_equal(n.end, ISS + 4 * MSS);
	assert_int_equal(f->sb.n, 1);
	assert_int_equal(f->sb.rec[0].end, ISS + 9 * MSS);
	check_invariants(f);
	n = ack(f, 9 * MSS, NULL, 0);
	assert_int_equal(f->sb.n, 0);
	assert_int_equal(n.end, ISS + 9 * MSS);
}

static void
test_dupthresh_marks_holes_with_three_segments_sacked_above(void **state)
{
	struct tcp_flow *f = flow_fresh();
	const uint32_t b[] = { 1 * MSS, 2 * MSS, 3 * MSS, 6 * MSS };
	uint32_t seq, len;

	(void)state;
	send_new(f, 10 * MSS);
	ack(f, 0, b, 2);
	/* Holes [0,1) and [2,3): above [0,1) 4 SACKed, above [2,3) 3 SACKed (more than
	 * 2 SMSS: RFC 6675 IsLost). [6,10) has nothing above it. */
	assert_int_equal(tcp_sb_mark_dupthresh(f, MSS), 2 * MSS);
	assert_true(tcp_sb_next_lost(f, &seq, &len));
	assert_int_equal(seq, ISS);
	assert_int_equal(len, MSS);
	/* Retransmitting the first hole moves NextSeg to the second. */
	tcp_sb_sent(&worker, f, ISS, MSS, true);
	assert_true(tcp_sb_next_lost(f, &seq, &len));
	assert_int_equal(seq, ISS + 2 * MSS);
	/* Pipe (RFC 6675): 10 out, 4 SACKed, 1 lost and not resent: 5. */
	assert_int_equal(tcp_sb_pipe(f), 5 * MSS);
	tcp_sb_sent(&worker, f, ISS + 2 * MSS, MSS, true);
	assert_false(tcp_sb_next_lost(f, &seq, &len));
	/* A retransmission is not marked lost by IsLost again (RACK's job). */
	assert_int_equal(tcp_sb_mark_dupthresh(f, MSS), 0);
	check_invariants(f);
}

static void
test_timeout_marks_unsacked_lost_and_go_back_n_skips_sacked(void **state)
{
	struct tcp_flow *f = flow_fresh();
	const uint32_t b[] = { 2 * MSS, 4 * MSS };
	uint32_t seq, len = 10 * MSS;
	struct tcp_sb_sum s;

	(void)state;
	send_new(f, 6 * MSS);
	ack(f, 0, b, 1);
	tcp_sb_timeout(f, false);
	tcp_sb_sum(f, &s);
	assert_int_equal(s.lost, 4 * MSS);
	assert_int_equal(s.sacked, 2 * MSS);
	/* Go-back-N: [0,2) may go, then it skips the SACKed [2,4). */
	seq = tcp_sb_rtx_span(f, ISS, &len);
	assert_int_equal(seq, ISS);
	assert_int_equal(len, 2 * MSS);
	len = 10 * MSS;
	seq = tcp_sb_rtx_span(f, ISS + 2 * MSS, &len);
	assert_int_equal(seq, ISS + 4 * MSS);
	assert_int_equal(len, 10 * MSS);
	/* A second timeout forgets the SACKs: the peer may have reneged. */
	tcp_sb_timeout(f, true);
	tcp_sb_sum(f, &s);
	assert_int_equal(s.sacked, 0);
	assert_int_equal(s.lost, 6 * MSS);
	check_invariants(f);
}

static void
test_head_lost_and_clear_lost(void **state)
{
	struct tcp_flow *f = flow_fresh();
	struct tcp_sb_sum s;

	(void)state;
	send_new(f, 5 * MSS);
	assert_int_equal(tcp_sb_mark_head_lost(f, MSS), MSS);
	assert_int_equal(tcp_sb_mark_head_lost(f, MSS), 0);	/* already */
	tcp_sb_sum(f, &s);
	assert_int_equal(s.lost_owed, MSS);
	tcp_sb_clear_lost(f);
	tcp_sb_sum(f, &s);
	assert_int_equal(s.lost, 0);
	assert_int_equal(f->sb.n, 1);	/* merged back into one record */
	check_invariants(f);
}

/* The SACK-panic class: a peer reports thousands of 1-byte blocks scattered over a large
 * window. Memory stays TCP_SB_RECS records, each ACK one pass per block, and nothing the
 * peer did not report is ever SACKed. */
static void
test_hostile_scattered_blocks_bounded(void **state)
{
	struct tcp_flow *f = flow_fresh();
	uint32_t x = 12345, reported = 0, i;
	struct tcp_sb_sum s;

	(void)state;
	for (i = 0; i < 64; i++) {
		send_new(f, 16 * MSS);
		tick(3);
	}
	for (i = 0; i < 5000; i++) {
		uint32_t b[8];
		unsigned int k;

		for (k = 0; k < 4; k++) {
			x = x * 1103515245u + 12345u;
			b[2 * k] = 1 + (x >> 8) % (64 * 16 * MSS - 2);
			b[2 * k + 1] = b[2 * k] + 1;
		}
		ack(f, 0, b, 4);
		check_invariants(f);
		tick(1);
	}
	/* A 1-byte block is no segment a receiver holds: nothing split, nothing SACKed
	 * (Linux rounds to whole segments the same way). */
	tcp_sb_sum(f, &s);
	reported = s.sacked;
	assert_int_equal(reported, 0);
	assert_true(f->sb.n <= 64);
	/* Every record a block covers whole still counts, and the cumulative ACK frees
	 * them all. */
	{
		const uint32_t all[] = { 1, 64 * 16 * MSS };
		struct tcp_sack_news n = ack(f, 0, all, 1);

		tcp_sb_sum(f, &s);
		assert_true(s.sacked >= reported);
		assert_true(n.sacked + reported == s.sacked);
	}
	check_invariants(f);
	ack(f, 64 * 16 * MSS, NULL, 0);
	assert_int_equal(f->sb.n, 0);
}

/* New data keeps flowing into a full list whose records all differ. */
static void
test_full_list_segment_blocks_bounded(void **state)
{
	struct tcp_flow *f = flow_fresh();
	uint32_t x = 777, i;

	(void)state;
	for (i = 0; i < 64; i++) {
		send_new(f, 16 * MSS);
		tick(3);
	}
	/* Whole-segment blocks at random places: the list fills, then keeps less
	 * detail (counted) but never more records. */
	for (i = 0; i < 2000; i++) {
		uint32_t b[2], seg;

		x = x * 1103515245u + 12345u;
		seg = 1 + (x >> 8) % (64 * 16 - 2);
		b[0] = seg * MSS;
		b[1] = b[0] + MSS;
		ack(f, 0, b, 1);
		check_invariants(f);
	}
	assert_true(worker.stats.tcp_sack_full > 0);
	assert_true(sacked(f) <= 2000 * MSS);
}

static void
test_full_list_new_data_still_recorded(void **state)
{
	struct tcp_flow *f = flow_fresh();
	unsigned int i;

	(void)state;
	for (i = 0; i < 3 * TCP_SB_RECS; i++) {
		uint32_t b[2] = { (2 * i + 1) * MSS, (2 * i + 2) * MSS };

		send_new(f, 2 * MSS);
		tick(5);
		ack(f, 0, b, 1);
		check_invariants(f);
	}
	assert_int_equal(f->sb.rec[f->sb.n - 1].end, f->snd_max);
	/* Never more SACKed than was reported. */
	assert_true(sacked(f) <= 3 * TCP_SB_RECS * MSS);
	ack(f, 6 * TCP_SB_RECS * MSS, NULL, 0);
	assert_int_equal(f->sb.n, 0);
}

/* ---- the fast paths give the general paths' results ---- */

static struct sl_worker worker_b;
static struct tcp_flow flow_b;

static uint32_t rng_state;

static uint32_t
rng(uint32_t lim)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 8) % lim;
}

/* The scoreboard of two flows driven by the same random sends, SACKs, ACKs, timeouts and
 * undos: one through tcp_sb_sent (or tcp_sb_sent_new, for new data) / tcp_sb_ack (fast
 * path where it applies), the other
 * through the general paths alone. Records, fack, stamps, what each ACK reports and the
 * counters are the same after every step, and both fast paths ran many times. */
static void
test_sb_fast_paths_match_general_paths(void **state)
{
	struct tcp_flow *a = flow_fresh(), *b = &flow_b;
	unsigned int step, fast_sent = 0, fast_ack = 0;

	(void)state;
	rng_state = 17;
	memcpy(&worker_b, &worker, sizeof(worker));
	memcpy(b, a, sizeof(*a));
	b->w = &worker_b;
	for (step = 0; step < 20000; step++) {
		uint32_t op = rng(100), flight = a->snd_max - a->snd_una;
		struct tcp_sack_news na = { 0 }, nb = { 0 };

		if (op < 40 || flight == 0) {
			/* New data, now or a few microseconds on (same-instant records grow). */
			uint32_t len = 1 + rng(3 * MSS);
			uint64_t dt = rng(4) == 0 ? 0 : rng(300);

			worker.clock.now_us += dt;
			worker_b.clock.now_us += dt;
			if (a->sb.n == 0)
				fast_sent++;
			/* New data ending above SND.UNA: either fast path. */
			if (step % 2 == 0)
				tcp_sb_sent(&worker, a, a->snd_max, len, false);
			else
				tcp_sb_sent_new(&worker, a, a->snd_max, len);
			tcp_sb_sent_general(&worker_b, b, b->snd_max, len, false);
			a->snd_max += len;
			b->snd_max += len;
			a->snd_nxt = a->snd_max;
			b->snd_nxt = b->snd_max;
		} else if (op < 50) {
			/* A retransmission of part of the flight. */
			uint32_t off = rng(flight), len = 1 + rng(flight - off);

			tcp_sb_sent(&worker, a, a->snd_una + off, len, true);
			tcp_sb_sent_general(&worker_b, b, b->snd_una + off, len, true);
		} else if (op < 62) {
			/* A SACK block (both flows take the same function). */
			struct tcp_sack_block blk;
			uint32_t off = rng(flight);

			blk.start = a->snd_una + off;
			blk.end = blk.start + 1 + rng(flight - off);
			tcp_sack_in(&worker, a, a->snd_una, &blk, 1, &na);
			tcp_sack_in(&worker_b, b, b->snd_una, &blk, 1, &nb);
		} else if (op < 64) {
			tcp_sb_timeout(a, rng(2) == 0);
			memcpy(&b->sb, &a->sb, sizeof(a->sb));
		} else if (op < 66) {
			tcp_sb_clear_lost(a);
			tcp_sb_clear_lost(b);
		} else {
			/* A cumulative ACK: often all of the flight, else part of it. */
			uint32_t ackv = a->snd_una + (rng(2) == 0 ? flight : 1 + rng(flight));

			if (a->sb.n == 1 && a->sb.rec[0].flags == 0 &&
			    !seq_lt(ackv, a->sb.rec[0].end) && !seq_gt(a->sb.fack, a->snd_una))
				fast_ack++;
			tcp_sb_ack(a, ackv, &na);
			tcp_sb_ack_general(b, ackv, &nb);
			a->snd_una = b->snd_una = ackv;
			if (seq_lt(a->snd_nxt, ackv))
				a->snd_nxt = b->snd_nxt = ackv;
		}
		assert_memory_equal(&na, &nb, sizeof(na));
		assert_memory_equal(&a->sb, &b->sb, sizeof(a->sb));
		assert_memory_equal(&worker.stats, &worker_b.stats, sizeof(worker.stats));
		assert_int_equal(a->snd_una, b->snd_una);
		if (a->sb.n > 0)
			check_invariants(a);
	}
	assert_true(fast_sent > 1000);
	assert_true(fast_ack > 500);
}

/* tcp_recovery_ack in random states where its fast path applies (no recovery, nothing to
 * undo, no probe out, no D-SACK, no retransmission delivered, nothing SACKed above
 * SND.UNA), against the general path: the same control block and counters after. */
static void
test_recovery_ack_fast_path_matches_general_path(void **state)
{
	struct tcp_seg seg;
	unsigned int i;

	(void)state;
	rng_state = 4242;
	memset(&seg, 0, sizeof(seg));
	for (i = 0; i < 20000; i++) {
		struct tcp_flow *a = flow_fresh(), *b = &flow_b;
		struct tcp_sack_news n = { 0 };
		struct tcp_rec *r = &a->rec;
		uint32_t now, acked;

		worker.clock.now_us += rng(1u << 30);
		now = (uint32_t)worker.clock.now_us;
		a->flags = rng(2) ? TF_SACK : 0;
		a->snd_una += rng(1u << 20);
		a->snd_max = a->snd_nxt = a->snd_una + rng(100000);
		a->sb.fack = a->snd_una - rng(2) * rng(1000);
		a->srtt = rng(4) == 0 ? 0 : rng(1u << 20);
		r->reo_mult = (uint8_t)rng(4);
		r->rack_valid = rng(2);
		r->rack_reord = rng(2);
		r->rack_xmit = now - rng(10000) + 5000;
		r->rack_end = a->snd_una - rng(2) * rng(3000) + rng(3000);
		r->rack_rtt = rng(20000);
		r->rack_min_rtt = rng(3) == 0 ? 0 : rng(20000);
		n.delivered = rng(4) != 0;
		n.reordered = rng(2);
		n.sacked = rng(2) * rng(5000);
		/* xmit sometimes equal to the RACK segment's, sometimes a microsecond ahead
		 * of the clock (tcp_sack.c sb_stamp). */
		switch (rng(3)) {
		case 0:
			n.xmit = r->rack_xmit;
			break;
		case 1:
			n.xmit = now + rng(2);
			break;
		default:
			n.xmit = now - rng(20000);
			break;
		}
		n.end = r->rack_end + rng(3000) - 1500;
		acked = 1 + rng(5000);
		memcpy(&worker_b, &worker, sizeof(worker));
		memcpy(b, a, sizeof(*a));
		b->w = &worker_b;
		tcp_recovery_ack(&worker, a, &seg, acked, &n);
		tcp_recovery_ack_general(&worker_b, b, &seg, acked, &n);
		b->w = &worker;
		assert_memory_equal(a, b, sizeof(*a));
		assert_memory_equal(&worker.stats, &worker_b.stats, sizeof(worker.stats));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sack_new_data_of_one_instant_is_one_record),
		cmocka_unit_test(test_sack_blocks_split_and_count_once),
		cmocka_unit_test(test_sack_blocks_outside_the_window_ignored),
		cmocka_unit_test(test_sack_block_straddling_snd_una_is_clipped),
		cmocka_unit_test(test_dsack_below_ack_and_inside_second_block),
		cmocka_unit_test(test_cumulative_ack_delivers_and_drops_records),
		cmocka_unit_test(test_dupthresh_marks_holes_with_three_segments_sacked_above),
		cmocka_unit_test(test_timeout_marks_unsacked_lost_and_go_back_n_skips_sacked),
		cmocka_unit_test(test_head_lost_and_clear_lost),
		cmocka_unit_test(test_hostile_scattered_blocks_bounded),
		cmocka_unit_test(test_full_list_segment_blocks_bounded),
		cmocka_unit_test(test_full_list_new_data_still_recorded),
		cmocka_unit_test(test_sb_fast_paths_match_general_paths),
		cmocka_unit_test(test_recovery_ack_fast_path_matches_general_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
