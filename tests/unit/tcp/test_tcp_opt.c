/* SPDX-License-Identifier: BSD-3-Clause */
/* tcp_opt.c: the option parser on well-formed and hostile input (it must terminate and
 * never read past the bytes it is given: inputs are placed against a PROT_NONE page, so
 * an over-read crashes the test), the writers, and what the stack does with SYNs whose
 * options are extreme or malformed (MSS floored at mss_min, window scale capped at 14).
 * Also the TCP header checks of tcp_input. */

#include <sys/mman.h>
#include <unistd.h>

#include "unit.h"

#include <rte_ip.h>

#include "tcp_helper.h"

/* ---- inputs at the edge of readable memory ---- */

static uint8_t *edge;		/* first byte of a PROT_NONE page */

static void
edge_init(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *m;

	if (edge != NULL)
		return;
	m = mmap(NULL, 2 * (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	assert_true(m != MAP_FAILED);
	assert_int_equal(mprotect(m + pg, (size_t)pg, PROT_NONE), 0);
	edge = m + pg;
}

/* Parse bytes[0..len) copied so that the byte after the last one is unreadable. */
static int
parse_edge(const uint8_t *bytes, size_t len, struct tcp_opts *o)
{
	edge_init();
	memcpy(edge - len, bytes, len);
	return tcp_opt_parse(edge - len, len, o);
}

#define PARSE(o, ...) ({ \
	static const uint8_t b_[] = { __VA_ARGS__ }; \
	parse_edge(b_, sizeof(b_), (o)); })

/* ---- well-formed ---- */

static void
test_opt_parse_linux_syn_options(void **state)
{
	struct tcp_opts o;

	(void)state;
	/* MSS 1460, SACK-permitted, TS 0x01020304/0, NOP, WS 7: what Linux sends. */
	assert_int_equal(PARSE(&o, 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0,
			       1, 3, 3, 7), 0);
	assert_int_equal(o.has, TO_MSS | TO_SACK_OK | TO_TS | TO_WSCALE);
	assert_int_equal(o.mss, 1460);
	assert_int_equal(o.wscale, 7);
	assert_int_equal(o.tsval, 0x01020304);
	assert_int_equal(o.tsecr, 0);
}

static void
test_opt_parse_empty_and_nop_only(void **state)
{
	uint8_t nops[TCP_OPT_MAX];
	struct tcp_opts o;

	(void)state;
	memset(nops, 1, sizeof(nops));
	assert_int_equal(parse_edge(nops, 0, &o), 0);
	assert_int_equal(o.has, 0);
	assert_int_equal(parse_edge(nops, sizeof(nops), &o), 0);
	assert_int_equal(o.has, 0);
}

static void
test_opt_parse_sack_one_to_four_blocks(void **state)
{
	uint8_t b[TCP_OPT_MAX];
	struct tcp_opts o;
	unsigned int n, k;

	(void)state;
	for (n = 1; n <= 4; n++) {
		size_t len = 0;

		b[len++] = 5;
		b[len++] = (uint8_t)(2 + 8 * n);
		for (k = 0; k < 2 * n; k++) {
			rte_be32_t v = rte_cpu_to_be_32(0x10000000u * (k + 1) + n);

			memcpy(b + len, &v, 4);
			len += 4;
		}
		assert_int_equal(parse_edge(b, len, &o), 0);
		assert_int_equal(o.has, TO_SACK);
		assert_int_equal(o.nsack, n);
		for (k = 0; k < n; k++) {
			assert_int_equal(o.sack[k].start, 0x10000000u * (2 * k + 1) + n);
			assert_int_equal(o.sack[k].end, 0x10000000u * (2 * k + 2) + n);
		}
	}
}

static void
test_opt_parse_unknown_kinds_skipped_by_length(void **state)
{
	struct tcp_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, 254, 4, 0xaa, 0xbb, 30, 2, 2, 4, 0x02, 0x00), 0);
	assert_int_equal(o.has, TO_MSS);
	assert_int_equal(o.mss, 512);
}

/* ---- malformed ---- */

static void
test_opt_parse_zero_and_one_byte_lengths_rejected(void **state)
{
	struct tcp_opts o;

	(void)state;
	/* A length below 2 would never advance: the parser must stop, not loop. */
	assert_int_equal(PARSE(&o, 2, 0, 0x05, 0xb4), -1);
	assert_int_equal(o.has, 0);
	assert_int_equal(PARSE(&o, 99, 0), -1);
	assert_int_equal(PARSE(&o, 99, 1, 1, 1), -1);
	/* What came before is kept. */
	assert_int_equal(PARSE(&o, 3, 3, 5, 200, 0), -1);
	assert_int_equal(o.has, TO_WSCALE);
	assert_int_equal(o.wscale, 5);
}

static void
test_opt_parse_overlong_length_rejected(void **state)
{
	struct tcp_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, 2, 4, 0x05, 0xb4, 8, 10, 1, 2, 3, 4), -1);
	assert_int_equal(o.has, TO_MSS);
	assert_int_equal(PARSE(&o, 99, 40, 1, 1), -1);
	assert_int_equal(PARSE(&o, 5, 255, 0, 0), -1);
}

static void
test_opt_parse_truncated_kind_without_length_rejected(void **state)
{
	struct tcp_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, 1, 1, 1, 2), -1);
	assert_int_equal(PARSE(&o, 1, 1, 1, 8), -1);
	assert_int_equal(PARSE(&o, 99), -1);
	assert_int_equal(o.has, 0);
}

static void
test_opt_parse_wrong_length_for_kind_rejected(void **state)
{
	struct tcp_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, 2, 3, 5, 1), -1);			/* MSS, 3 */
	assert_int_equal(PARSE(&o, 2, 5, 5, 180, 0, 0), -1);		/* MSS, 5 */
	assert_int_equal(PARSE(&o, 3, 2, 1, 1), -1);			/* WS, 2 */
	assert_int_equal(PARSE(&o, 3, 4, 7, 0), -1);			/* WS, 4 */
	assert_int_equal(PARSE(&o, 4, 3, 0, 1), -1);			/* SACK-OK, 3 */
	assert_int_equal(PARSE(&o, 8, 8, 1, 2, 3, 4, 5, 6), -1);	/* TS, 8 */
	assert_int_equal(PARSE(&o, 8, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), -1);
	assert_int_equal(PARSE(&o, 5, 2, 1, 1), -1);			/* SACK, none */
	assert_int_equal(PARSE(&o, 5, 9, 0, 0, 0, 1, 0, 0, 0, 2), -1);
	assert_int_equal(PARSE(&o, 5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0), -1);
	assert_int_equal(o.has, 0);
}

static void
test_opt_parse_duplicates_keep_first(void **state)
{
	struct tcp_opts o;

	(void)state;
	assert_int_equal(PARSE(&o,
			       2, 4, 0x03, 0xe8,		/* MSS 1000 */
			       3, 3, 3,				/* WS 3 */
			       8, 10, 0, 0, 0, 1, 0, 0, 0, 2,	/* TS 1, 2 */
			       2, 4, 0x01, 0xf4,		/* MSS 500 */
			       3, 3, 9,				/* WS 9 */
			       8, 10, 0, 0, 0, 3, 0, 0, 0, 4,	/* TS 3, 4 */
			       1), 0);
	assert_int_equal(o.mss, 1000);
	assert_int_equal(o.wscale, 3);
	assert_int_equal(o.tsval, 1);
	assert_int_equal(o.tsecr, 2);
	assert_int_equal(PARSE(&o, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2,
			       5, 10, 0, 0, 0, 7, 0, 0, 0, 8), 0);
	assert_int_equal(o.nsack, 1);
	assert_int_equal(o.sack[0].start, 1);
	assert_int_equal(o.sack[0].end, 2);
}

static void
test_opt_parse_eol_ends_options_trailing_garbage_ignored(void **state)
{
	struct tcp_opts o;

	(void)state;
	/* After EOL comes padding, whatever it holds (even a malformed option). */
	assert_int_equal(PARSE(&o, 2, 4, 0x05, 0xb4, 0, 2, 0, 99, 1, 8, 200, 3, 3), 0);
	assert_int_equal(o.has, TO_MSS);
	assert_int_equal(PARSE(&o, 0, 3, 3, 7), 0);
	assert_int_equal(o.has, 0);
}

static void
test_opt_parse_extreme_mss_and_wscale_values(void **state)
{
	struct tcp_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, 2, 4, 0, 0), 0);
	assert_int_equal(o.mss, 0);
	assert_int_equal(PARSE(&o, 2, 4, 0, 1), 0);
	assert_int_equal(o.mss, 1);
	assert_int_equal(PARSE(&o, 2, 4, 0xff, 0xff), 0);
	assert_int_equal(o.mss, 65535);
	/* RFC 7323 §2.3: a shift above 14 is used as 14. */
	assert_int_equal(PARSE(&o, 3, 3, 14, 0), 0);
	assert_int_equal(o.wscale, 14);
	assert_int_equal(PARSE(&o, 3, 3, 15, 0), 0);
	assert_int_equal(o.wscale, 14);
	assert_int_equal(PARSE(&o, 3, 3, 255, 0), 0);
	assert_int_equal(o.wscale, 14);
}

/* ---- termination and bounds on arbitrary input ---- */

static void
test_opt_parse_every_prefix_stays_in_bounds(void **state)
{
	static const uint8_t vectors[][TCP_OPT_MAX] = {
		{ 2, 4, 5, 180, 4, 2, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 3, 3, 7 },
		{ 1, 1, 5, 34, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5,
		  0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0, 8, 1, 1, 1, 1 },
		{ 99, 38, 0 },
		{ 8, 10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 3, 3, 255 },
	};
	struct tcp_opts o;
	unsigned int v;
	size_t len;

	(void)state;
	for (v = 0; v < RTE_DIM(vectors); v++) {
		for (len = 0; len <= TCP_OPT_MAX; len++) {
			int rc = parse_edge(vectors[v], len, &o);

			assert_true(rc == 0 || rc == -1);
			assert_true(o.nsack <= 4);
		}
	}
}

static void
test_opt_parse_all_short_inputs_terminate_in_bounds(void **state)
{
	uint8_t b[3];
	struct tcp_opts o;
	uint32_t i;

	(void)state;
	/* Every input of one, two and three bytes. */
	for (i = 0; i < 256; i++) {
		b[0] = (uint8_t)i;
		(void)parse_edge(b, 1, &o);
	}
	for (i = 0; i < 65536; i++) {
		b[0] = (uint8_t)i;
		b[1] = (uint8_t)(i >> 8);
		(void)parse_edge(b, 2, &o);
	}
	for (i = 0; i < (1u << 24); i++) {
		b[0] = (uint8_t)i;
		b[1] = (uint8_t)(i >> 8);
		b[2] = (uint8_t)(i >> 16);
		assert_true(parse_edge(b, 3, &o) >= -1);
	}
}

static void
test_opt_parse_random_inputs_terminate_in_bounds(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	uint8_t b[TCP_OPT_MAX];
	struct tcp_opts o;
	unsigned int i, k;

	(void)state;
	for (i = 0; i < 200000; i++) {
		size_t len = i % (TCP_OPT_MAX + 1);

		for (k = 0; k < len; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* Bias towards small kinds and lengths, where the parser decides. */
			b[k] = (uint8_t)((x & 3) == 0 ? x >> 8 : (x >> 8) % 12);
		}
		assert_true(parse_edge(b, len, &o) >= -1);
		assert_true(o.nsack <= 4);
		assert_true(o.wscale <= 14);
	}
}

/* ---- writers ---- */

static void
test_opt_write_syn_round_trips(void **state)
{
	uint8_t b[TCP_OPT_MAX];
	struct tcp_opts o;
	int ws, sack, ts;

	(void)state;
	for (ws = -1; ws <= 14; ws += 5) {
		for (sack = 0; sack <= 1; sack++) {
			for (ts = 0; ts <= 1; ts++) {
				size_t n = tcp_opt_write_syn(b, 1460, ws, sack, ts, 77, 88);
				uint8_t want = TO_MSS;

				assert_int_equal(n % 4, 0);
				assert_true(n <= 20);
				assert_int_equal(parse_edge(b, n, &o), 0);
				want |= ws >= 0 ? TO_WSCALE : 0;
				want |= sack ? TO_SACK_OK : 0;
				want |= ts ? TO_TS : 0;
				assert_int_equal(o.has, want);
				assert_int_equal(o.mss, 1460);
				if (ws >= 0)
					assert_int_equal(o.wscale, ws);
				if (ts) {
					assert_int_equal(o.tsval, 77);
					assert_int_equal(o.tsecr, 88);
				}
			}
		}
	}
}

static void
test_opt_write_sack_blocks_fit_in_option_space(void **state)
{
	const struct tcp_sack_block blocks[4] = {
		{ 10, 20 }, { 30, 40 }, { 50, 60 }, { 70, 80 },
	};
	uint8_t b[TCP_OPT_MAX];
	struct tcp_opts o;
	size_t n;
	int ts;

	(void)state;
	for (ts = 0; ts <= 1; ts++) {
		n = tcp_opt_write(b, ts, 5, 6, blocks, 4);
		assert_int_equal(n, tcp_opt_len(ts, 4));
		assert_true(n <= TCP_OPT_MAX);
		assert_int_equal(n % 4, 0);
		assert_int_equal(parse_edge(b, n, &o), 0);
		/* Three blocks beside a timestamp, four without. */
		assert_int_equal(o.nsack, ts ? 3 : 4);
		assert_int_equal(o.sack[0].start, 10);
		assert_int_equal(o.sack[o.nsack - 1].end, 20u * o.nsack);
		assert_int_equal(!!(o.has & TO_TS), ts);
	}
}

/* ---- the stack given extreme or malformed SYN options ---- */

/* A SYN from the peer with raw options; returns the SYN-ACK. */
static void
syn_with_opts(struct tpeer *p, const uint8_t *opts, size_t olen)
{
	tpeer_xmit_opts(p, TH_SYN, p->iss, 0, 65535, opts, olen, NULL, 0);
	p->snd_nxt = p->iss + 1;
	tpeer_expect(p, &p->syn);
	assert_int_equal(p->syn.flags, TH_SYN | TH_ACK);
	p->ts_on = false;
}

static void
test_listen_syn_tiny_mss_floored_at_mss_min(void **state)
{
	static const uint16_t tiny[] = { 0, 1, 47 };
	static uint8_t d[200];
	struct tt *x = *state;
	unsigned int i;

	for (i = 0; i < RTE_DIM(tiny); i++) {
		struct tpeer p;
		struct tp_out o;
		uint8_t opt[4];
		size_t n = 0;
		uint32_t got = 0;

		tpeer_init(&p, &x->t, &x->app, (uint16_t)(TP_PEER_PORT + i), TP_PORT,
			   TP_PEER_ISS + i * 100000);
		tp_opt_mss(opt, &n, tiny[i]);
		syn_with_opts(&p, opt, n);
		tpeer_ack(&p);
		p.tc = tapp_find(&x->app, p.port);
		assert_non_null(p.tc);
		assert_int_equal(tpeer_flow(&p)->peer_mss, x->t.w->cfg->mss_min);
		/* 200 bytes leave in segments of mss_min (48) bytes. */
		assert_int_equal(sl_conn_send(p.tc->c, d, sizeof(d)), 0);
		th_poll(&x->t);
		while (tpeer_recv(&p, &o)) {
			assert_true(o.len <= 48);
			got += o.len;
		}
		assert_int_equal(got, 200);
		tpeer_ack(&p);
	}
}

static void
test_listen_syn_huge_mss_limited_by_our_mtu(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	p->mss = 65535;
	tpeer_connect(p);
	assert_int_equal(tpeer_flow(p)->mss, 1500 - 40 - 12);
}

static void
test_listen_syn_wscale_above_14_used_as_14(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tcp_flow *f;

	p->wscale = 255;
	p->wnd = 1;
	tpeer_connect(p);
	f = tpeer_flow(p);
	assert_int_equal(f->snd_ws, 14);
	assert_int_equal(f->snd_wnd, 1u << 14);
}

static void
test_listen_syn_malformed_options_keeps_those_before(void **state)
{
	/* MSS 1000, SACK-permitted, then a window scale of length 0, then TS: parsing
	 * stops at the bad option, as Linux does. */
	static const uint8_t opts[] = {
		2, 4, 0x03, 0xe8, 4, 2, 3, 0, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1,
	};
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tcp_flow *f;

	syn_with_opts(p, opts, sizeof(opts));
	assert_int_equal(th_stats(&x->t)->tcp_opt_malformed, 1);
	assert_int_equal(p->syn.opts.has, TO_MSS | TO_SACK_OK);
	tpeer_ack(p);
	f = tpeer_flow(p);
	assert_int_equal(f->state, SL_TCP_ESTABLISHED);
	assert_int_equal(f->mss, 1000);
	assert_int_equal(f->flags & (TF_TS | TF_SACK | TF_WSCALE), TF_SACK);
}

static void
test_established_data_with_malformed_options_still_delivered(void **state)
{
	static const uint8_t opts[] = { 1, 1, 1, 8 };
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	p->ts = false;
	tpeer_connect(p);
	tpeer_xmit_opts(p, TH_ACK | TH_PSH, p->snd_nxt, p->rcv_nxt, 65535, opts, sizeof(opts),
			"data", 4);
	assert_int_equal(p->tc->rx_bytes, 4);
	assert_int_equal(th_stats(&x->t)->tcp_opt_malformed, 1);
}

/* ---- header checks in tcp_input ---- */

/* A valid data segment of the connection, as a frame the test may corrupt. */
static size_t
data_frame(struct tt *x, uint8_t *f)
{
	struct tpeer *p = &x->p;
	struct tseg s = {
		.sport = p->port, .dport = p->lport, .seq = p->snd_nxt, .ack = p->rcv_nxt,
		.flags = TH_ACK | TH_PSH, .wnd = 65535, .data = "abcd", .len = 4,
	};

	return tp_build(f, &x->t, &s);
}

static struct rte_tcp_hdr *
tcp_of(uint8_t *f)
{
	return (struct rte_tcp_hdr *)(f + RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr));
}

static void
test_established_bad_tcp_header_dropped_and_counted(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct rte_ipv4_hdr *ip;
	uint8_t f[128];
	size_t n;

	p->ts = false;
	tpeer_connect(p);
	/* Bad checksum. */
	n = data_frame(x, f);
	tcp_of(f)->cksum ^= 0x0101;
	th_inject_bytes(&x->t, f, n);
	assert_int_equal(th_stats(&x->t)->tcp_drop_cksum, 1);
	/* Data offset beyond the segment, and below the header. */
	n = data_frame(x, f);
	tcp_of(f)->data_off = 15 << 4;
	th_inject_bytes(&x->t, f, n);
	n = data_frame(x, f);
	tcp_of(f)->data_off = 4 << 4;
	th_inject_bytes(&x->t, f, n);
	assert_int_equal(th_stats(&x->t)->tcp_drop_doff, 2);
	/* An IP packet with only 10 bytes of TCP header in it. */
	n = data_frame(x, f);
	ip = (struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + 10);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th_inject_bytes(&x->t, f, n);
	assert_int_equal(th_stats(&x->t)->tcp_drop_short, 1);
	tpeer_expect_nothing(p);
	assert_int_equal(p->tc->rx_bytes, 0);
	/* The untouched frame is fine. */
	n = data_frame(x, f);
	th_inject_bytes(&x->t, f, n);
	assert_int_equal(p->tc->rx_bytes, 4);
}

static void
test_listen_port_zero_dropped(void **state)
{
	struct tt *x = *state;
	struct tseg s = {
		.sport = 0, .dport = TP_PORT, .seq = 1, .flags = TH_SYN, .wnd = 65535,
	};
	struct tp_out o;

	tp_inject(&x->t, &s);
	assert_false(tp_pop(&x->t, &o));
	assert_int_equal(th_stats(&x->t)->tcp_drop_port0, 1);
	assert_int_equal(x->t.w->tcp.nflows, 0);
}

/* Port 0 is tested where the flow cache misses (tcp_seg_port0), after the flags and the
 * options: the counters must still be those of testing it first. With a connection up
 * (the cache holds its flow), segments with port 0 as either port, with no options, the
 * timestamps, malformed options or SYN+FIN, each go to tcp_drop_port0 alone. */
static void
test_port_zero_counted_before_flags_and_options(void **state)
{
	static const uint8_t bad[] = { 1, 1, 1, 8 };
	static const uint8_t ts[] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2 };
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	unsigned int i;

	p->ts = false;
	tpeer_connect(p);
	for (i = 0; i < 8; i++) {
		struct tseg s = {
			.sport = (i & 1) ? 0 : p->port, .dport = (i & 1) ? p->lport : 0,
			.seq = p->snd_nxt, .ack = p->rcv_nxt, .wnd = 65535,
			.flags = (i >> 1) == 3 ? TH_SYN | TH_FIN : TH_ACK | TH_PSH,
			.opts = (i >> 1) == 1 ? ts : (i >> 1) == 2 ? bad : NULL,
			.olen = (i >> 1) == 1 ? sizeof(ts) : (i >> 1) == 2 ? sizeof(bad) : 0,
			.data = "abcd", .len = 4,
		};

		tp_inject(&x->t, &s);
		assert_int_equal(th_stats(&x->t)->tcp_drop_port0, i + 1);
	}
	assert_int_equal(th_stats(&x->t)->tcp_opt_malformed, 0);
	assert_int_equal(th_stats(&x->t)->tcp_drop_flags, 0);
	assert_int_equal(p->tc->rx_bytes, 0);
	tpeer_expect_nothing(p);
	/* The connection's own segments still pass. */
	tpeer_xmit_opts(p, TH_ACK | TH_PSH, p->snd_nxt, p->rcv_nxt, 65535, bad, sizeof(bad),
			"data", 4);
	assert_int_equal(p->tc->rx_bytes, 4);
	assert_int_equal(th_stats(&x->t)->tcp_opt_malformed, 1);
}

/* b parsed to the same fields as a. */
static void
opts_assert_same_ts(const struct tcp_opts *a, const struct tcp_opts *b)
{
	assert_int_equal(a->has, b->has);
	assert_int_equal(a->wscale, b->wscale);
	assert_int_equal(a->nsack, b->nsack);
	assert_int_equal(a->mss, b->mss);
	assert_int_equal(a->tsval, b->tsval);
	assert_int_equal(a->tsecr, b->tsecr);
}

/* The one-compare path for NOP, NOP, timestamps (12 bytes) against the walk, given the
 * same timestamps in layouts the walk takes (TS, NOP, NOP; NOP, NOP, TS, EOL padding):
 * the same fields, whatever *o held before, for random values. */
static void
test_opt_parse_nop_nop_ts_fast_path_agrees_with_walk(void **state)
{
	unsigned int i;

	(void)state;
	srand(77);
	for (i = 0; i < 10000; i++) {
		const uint32_t tsval = (uint32_t)rand() << 16 ^ (uint32_t)rand();
		const uint32_t tsecr = (uint32_t)rand() << 16 ^ (uint32_t)rand();
		uint8_t fast[12] = { 1, 1, 8, 10 }, tail[12] = { 8, 10 }, padded[16] = { 1, 1, 8, 10 };
		struct tcp_opts a, b, c;
		uint32_t v;

		v = rte_cpu_to_be_32(tsval);
		memcpy(fast + 4, &v, 4);
		memcpy(tail + 2, &v, 4);
		memcpy(padded + 4, &v, 4);
		v = rte_cpu_to_be_32(tsecr);
		memcpy(fast + 8, &v, 4);
		memcpy(tail + 6, &v, 4);
		memcpy(padded + 8, &v, 4);
		tail[10] = tail[11] = 1;
		memset(&a, (int)(i & 0xff), sizeof(a));
		memset(&b, 0x5a, sizeof(b));
		memset(&c, 0xa5, sizeof(c));
		assert_int_equal(tcp_opt_parse(fast, sizeof(fast), &a), 0);
		assert_int_equal(tcp_opt_parse(tail, sizeof(tail), &b), 0);
		assert_int_equal(tcp_opt_parse(padded, sizeof(padded), &c), 0);
		assert_int_equal(a.has, TO_TS);
		assert_int_equal(a.tsval, tsval);
		assert_int_equal(a.tsecr, tsecr);
		opts_assert_same_ts(&a, &b);
		opts_assert_same_ts(&a, &c);
		/* tcp_seg_parse's inline test (tcp_opt_parse_ts) gives the same, and for any
		 * other layout says no without writing. */
		memset(&b, (int)(~i & 0xff), sizeof(b));
		assert_true(tcp_opt_parse_ts(fast, &b));
		opts_assert_same_ts(&a, &b);
		memset(&c, 0x3c, sizeof(c));
		b = c;
		assert_false(tcp_opt_parse_ts(tail, &c));
		assert_memory_equal(&b, &c, sizeof(b));
		fast[i % 4] ^= (uint8_t)(1u << (i / 4 % 8));
		assert_false(tcp_opt_parse_ts(fast, &c));
		assert_memory_equal(&b, &c, sizeof(b));
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_opt_parse_nop_nop_ts_fast_path_agrees_with_walk),
	cmocka_unit_test(test_opt_parse_linux_syn_options),
	cmocka_unit_test(test_opt_parse_empty_and_nop_only),
	cmocka_unit_test(test_opt_parse_sack_one_to_four_blocks),
	cmocka_unit_test(test_opt_parse_unknown_kinds_skipped_by_length),
	cmocka_unit_test(test_opt_parse_zero_and_one_byte_lengths_rejected),
	cmocka_unit_test(test_opt_parse_overlong_length_rejected),
	cmocka_unit_test(test_opt_parse_truncated_kind_without_length_rejected),
	cmocka_unit_test(test_opt_parse_wrong_length_for_kind_rejected),
	cmocka_unit_test(test_opt_parse_duplicates_keep_first),
	cmocka_unit_test(test_opt_parse_eol_ends_options_trailing_garbage_ignored),
	cmocka_unit_test(test_opt_parse_extreme_mss_and_wscale_values),
	cmocka_unit_test(test_opt_parse_every_prefix_stays_in_bounds),
	cmocka_unit_test(test_opt_parse_all_short_inputs_terminate_in_bounds),
	cmocka_unit_test(test_opt_parse_random_inputs_terminate_in_bounds),
	cmocka_unit_test(test_opt_write_syn_round_trips),
	cmocka_unit_test(test_opt_write_sack_blocks_fit_in_option_space),
	TT_TEST(test_listen_syn_tiny_mss_floored_at_mss_min),
	TT_TEST(test_listen_syn_huge_mss_limited_by_our_mtu),
	TT_TEST(test_listen_syn_wscale_above_14_used_as_14),
	TT_TEST(test_listen_syn_malformed_options_keeps_those_before),
	TT_TEST(test_established_data_with_malformed_options_still_delivered),
	TT_TEST(test_established_bad_tcp_header_dropped_and_counted),
	TT_TEST(test_listen_port_zero_dropped),
	TT_TEST(test_port_zero_counted_before_flags_and_options),
};

UNIT_MAIN("test_tcp_opt", tests)
