/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_isn.c -- initial sequence numbers (RFC 6528) and SYN cookies.
 *
 * ISN = M + F(local address, local port, remote address, remote port, secret), with M a
 * 4 microsecond clock and F SipHash-2-4 keyed with a per-worker secret drawn at start, so
 * sequence numbers are unpredictable off-path and still increase for a given 4-tuple.
 *
 * When a listener's backlog of half-open connections is full, its SYNs are answered
 * statelessly: the SYN-ACK's sequence number is a cookie
 *
 *     bits 31..27  t: a 64-second time counter
 *     bits 26..24  index of the MSS in cookie_mss[]
 *     bits 23..0   SipHash(secret, 4-tuple, t, the peer's ISN)
 *
 * and the connection is created only when an ACK comes back with cookie + 1, at most two
 * periods old and with the right hash. When the SYN carried timestamps, the peer's window
 * scale, SACK-permitted and whether we agreed to ECN are kept in the low 6 bits of our
 * TSval and come back in the ACK's TSecr, so such connections keep those options (Linux
 * does the same, bit for bit). Without timestamps a cookie's SYN-ACK agrees to none.
 */

#include <stdint.h>
#include <string.h>

#include "core/siphash.h"
#include "core/worker.h"
#include "tcp/flow.h"
#include "tcp/tcp_ecn.h"
#include "tcp/tcp_in.h"
#include "tcp/tcp_isn.h"
#include "tcp/tcp_opt.h"
#include "tcp/tcp_out.h"
#include "tcp/tcp_seq.h"

#define COOKIE_PERIOD_US (64ull * 1000 * 1000)
#define COOKIE_HASH_MASK 0x00ffffffu

/* The low bits of a cookie SYN-ACK's TSval: the window scale (0xf: none), SACK, ECN. */
#define COOKIE_TS_WSCALE 0x0fu
#define COOKIE_TS_SACK 0x10u
#define COOKIE_TS_ECN 0x20u
#define COOKIE_TS_BITS 0x3fu

static const uint16_t cookie_mss[8] = { 48, 216, 536, 1220, 1360, 1440, 1460, 8960 };

struct isn_input {
	rte_be32_t laddr, raddr;
	rte_be16_t lport, rport;
	uint32_t t;
	uint32_t peer_isn;
};

uint32_t
tcp_isn(struct sl_worker *w, const struct flow_key *k)
{
	struct isn_input in = {
		.laddr = k->laddr, .raddr = k->raddr, .lport = k->lport, .rport = k->rport,
	};

	if (unlikely(w->tcp.isn_pinned))
		return w->tcp.isn_pin;	/* unit tests: sequence space chosen by the test */
	return (uint32_t)siphash(&w->tcp.isn_key, &in, sizeof(in)) +
	       (uint32_t)(w->clock.now_us / 4);
}

static uint32_t
cookie_hash(struct sl_worker *w, const struct flow_key *k, uint32_t t, uint32_t peer_isn)
{
	struct isn_input in = {
		.laddr = k->laddr, .raddr = k->raddr, .lport = k->lport, .rport = k->rport,
		.t = t, .peer_isn = peer_isn,
	};

	return (uint32_t)siphash(&w->tcp.cookie_key, &in, sizeof(in)) & COOKIE_HASH_MASK;
}

uint32_t
tcp_cookie_make(struct sl_worker *w, const struct tcp_seg *s, uint16_t *mss)
{
	uint32_t t = (uint32_t)(w->clock.now_us / COOKIE_PERIOD_US) & 31;
	uint16_t peer = (s->opts.has & TO_MSS) ? s->opts.mss : 536;
	uint32_t i = 0;

	while (i + 1 < RTE_DIM(cookie_mss) && cookie_mss[i + 1] <= peer)
		i++;
	*mss = cookie_mss[i];
	return t << 27 | i << 24 | cookie_hash(w, &s->key, t, s->seq);
}

int
tcp_cookie_check(struct sl_worker *w, const struct tcp_seg *s, uint16_t *mss)
{
	uint32_t cookie = s->ack - 1;
	uint32_t t = cookie >> 27;
	uint32_t now = (uint32_t)(w->clock.now_us / COOKIE_PERIOD_US) & 31;

	if (((now - t) & 31) > 1)
		return -1;
	if ((cookie & COOKIE_HASH_MASK) != cookie_hash(w, &s->key, t, s->seq - 1))
		return -1;
	*mss = cookie_mss[(cookie >> 24) & 7];
	return 0;
}

uint32_t
tcp_ts_offset(struct sl_worker *w, const struct flow_key *k)
{
	/* RFC 7323 §5.4: a random offset per connection, derived from the 4-tuple so that
	 * a connection created from a SYN cookie gets the same one its SYN-ACK used. */
	return (uint32_t)(siphash(&w->tcp.isn_key, k, sizeof(*k)) >> 32);
}

uint32_t
tcp_cookie_tsval(struct sl_worker *w, const struct tcp_seg *syn)
{
	struct tcp_flow tmp = { .ts_off = tcp_ts_offset(w, &syn->key) };
	uint32_t now, ts, opt;

	now = tcp_ts_now(w, &tmp);
	opt = (syn->opts.has & TO_WSCALE) ? syn->opts.wscale : COOKIE_TS_WSCALE;
	if (syn->opts.has & TO_SACK_OK)
		opt |= COOKIE_TS_SACK;
	if (tcp_ecn_syn_ok(w, w->tcp.cc, syn->flags))
		opt |= COOKIE_TS_ECN;
	ts = (now & ~COOKIE_TS_BITS) | opt;
	/* Never ahead of the clock, or the peer's PAWS would reject what follows. */
	if (seq_gt(ts, now))
		ts -= COOKIE_TS_BITS + 1;
	return ts;
}

void
tcp_cookie_ts_decode(uint32_t tsecr, bool *sack, int *wscale, bool *ecn)
{
	*sack = (tsecr & COOKIE_TS_SACK) != 0;
	*ecn = (tsecr & COOKIE_TS_ECN) != 0;
	*wscale = (tsecr & COOKIE_TS_WSCALE) == COOKIE_TS_WSCALE ? -1 :
		  (int)(tsecr & COOKIE_TS_WSCALE);
}
