/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sim.c -- TCP simulation: two sluice stacks in one process, joined by an in-memory link,
 * with the fault injector of each stack on both its directions.
 *
 *   stack A 198.18.0.1                                        stack B 198.18.0.2 (listens)
 *   net_ring port  tx ring ─► link (pcap, delay line) ─► rx ring  net_ring port
 *                  rx ring ◄─ link (pcap, delay line) ◄─ tx ring
 *
 * Each stack has one worker on a virtual clock (--workers N: N workers on N queue pairs;
 * the link then plays a multi-queue NIC whose queue choice is not sluice's: a per-flow
 * hash of its own, so about half the segments reach a worker that does not own their
 * flow and are handed over, and ARP lands on any queue; A opens flows from every
 * worker). One iteration of the loop polls A, carries A's frames across the link, polls
 * B, carries B's frames back, and moves both clocks forward together: by a small step
 * while anything is moving, or straight to the next deadline when the link is quiet (a
 * TCP timer, the ARP tick, a frame the fault injector holds back or the link delays, a
 * flow due to open, a reader due to resume). Timeouts of seconds therefore cost no wall
 * time, and a run is a pure function of its seed.
 *
 * Traffic: A opens `flows` connections to B; on each, both sides send a pseudo-random byte
 * stream, every byte a function of (seed, flow, direction, offset), in writes of random
 * sizes, continuing from on_writable after -EAGAIN, and shut down after the last byte. The
 * receiver checks every byte against the generator (to name the first wrong offset) and
 * hashes the stream (FNV-1a) to compare with the hash of what was meant to arrive. For
 * variety, some flows write before the handshake completes, every fourth is one-way, some
 * receivers pause delivery now and then (SL_RX_AGAIN) so windows close and persist timers
 * run, some of those close instead of resuming once they have sent everything and read
 * half their stream (the stack drops the rest), and some sides end with sl_conn_close()
 * after their shutdown.
 *
 * A run passes when every flow ended with on_eof on both sides after exactly the expected
 * bytes with matching hashes and on_close(NORMAL) on both sides; no flow remains in either
 * table once TIME-WAIT is over; both mbuf pools are back to their baseline; no TCP timer
 * was ever left overdue; sl_stack_destroy() reports no leak; the retransmission
 * timeouts of both stacks, per MiB the applications received, stay within the profile's
 * limit (max_rto_per_mb, or --max-rto-per-mb): loss recovery (SACK, RACK-TLP) is meant to
 * repair losses without waiting for the RTO, so a rise in timeouts is a regression even
 * when every byte arrives; and where the profile marks CE (ecn, dctcp: ECN asked for by
 * --ecn on or by DCTCP), ECN was in use: some data arrived marked and some window was cut
 * for it. Every run is bounded in virtual time and in iterations; at a bound it prints
 * each unfinished flow's state.
 *
 * Fault profiles give rates per hop. A frame meets two injectors on its way (the sender's
 * TX, the receiver's RX), so each gets 1 - sqrt(1 - p) for a hop rate p.
 *
 * sim --help lists the options; the first line of every run prints the command that
 * replays it exactly.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <sluice/sluice.h>

#include "api/api_priv.h"
#include "core/worker.h"
#include "tcp/flow.h"
#include "tcp/tcp_timer.h"

#define SIM_IP_A		RTE_BE32(0xc6120001)	/* 198.18.0.1 */
#define SIM_IP_B		RTE_BE32(0xc6120002)	/* 198.18.0.2 */
#define SIM_PORT		5001
#define SIM_RING_SIZE		4096		/* each port ring */
#define SIM_LINE_SIZE		8192		/* frames the delay line holds per direction */
#define SIM_CHUNK_MAX		(32 * 1024)	/* largest single sl_conn_send() */
#define SIM_MAX_FLOWS		1024
#define SIM_MAX_WORKERS		4
#define SIM_T0_US		1000000ull	/* start at 1 s so "0" never means "now" */
#define SIM_PPM			1000000.0
/* A timer may fire up to a wheel tick after its deadline; two ticks late is a bug. */
#define SIM_TIMER_SLACK_US	(2 * TCP_WHEEL_TICK_US)

/* ---- fault profiles ---- */

#define SIM_UNCHECKED	(-1.0)		/* max_rto_per_mb: no limit */

struct sim_profile {
	const char *name;
	const char *desc;
	/* Probability per hop, in parts per million (ce: of the ECN-capable frames). */
	uint32_t drop, dup, reorder, corrupt, truncate, ce;
	uint32_t reorder_max_us;	/* 0: the stack's default */
	uint32_t delay_us;		/* one-way link delay */
	uint32_t mbufs;			/* mbufs per stack (0: enough for every window) */
	/* Heavy loss: raise the retry limits, so that the test examines recovery rather
	 * than the (correct) decision to give up after a run of lost retransmissions. */
	bool patient;
	/* Retransmission timeouts (both stacks) per MiB delivered (both directions) above
	 * which the run fails; SIM_UNCHECKED: none. With SACK (RFC 6675) and RACK-TLP
	 * (RFC 8985) a loss is repaired without the RTO unless a retransmission is lost with
	 * nothing sent after it to show it, or a tail loss probe is lost with the tail: at a
	 * few percent of loss per hop that is rare (Linux sees about 0 to 1 per MiB at 1%),
	 * so the limits of the lossy profiles are a fraction of one per MiB, looser where
	 * loss is heavy or the pool is short, and none at 30%. Profiles without loss allow
	 * (almost) none. */
	double max_rto_per_mb;
	bool ecn;			/* both stacks ask for ECN (--ecn on) */
	const char *cc;			/* congestion control of both (NULL: default) */
};

static const struct sim_profile sim_profiles[] = {
	{ .name = "clean", .desc = "no faults", .max_rto_per_mb = 0.0 },
	{ .name = "loss1", .desc = "1% of frames lost per hop", .drop = 10000,
	  .max_rto_per_mb = 0.25 },
	{ .name = "loss10", .desc = "10% of frames lost per hop", .drop = 100000,
	  .max_rto_per_mb = 10.0 },
	{ .name = "loss30", .desc = "30% of frames lost per hop (retry limits raised)",
	  .drop = 300000, .patient = true, .max_rto_per_mb = SIM_UNCHECKED },
	{ .name = "reorder", .desc = "10% of frames held back (up to 8 frames or 2 ms)",
	  .reorder = 100000, .reorder_max_us = 2000, .max_rto_per_mb = 0.1 },
	{ .name = "dup", .desc = "5% of frames duplicated per hop", .dup = 50000,
	  .max_rto_per_mb = 0.1 },
	{ .name = "corrupt", .desc = "2% of frames with one bit flipped per hop",
	  .corrupt = 20000, .max_rto_per_mb = 0.5 },
	{ .name = "truncate", .desc = "2% of frames cut short per hop", .truncate = 20000,
	  .max_rto_per_mb = 0.5 },
	{ .name = "mixed", .desc = "2% loss, 3% reorder, 2% dup, 1% bit flip, 1% truncation",
	  .drop = 20000, .reorder = 30000, .dup = 20000, .corrupt = 10000,
	  .truncate = 10000, .reorder_max_us = 2000, .max_rto_per_mb = 1.0 },
	{ .name = "wan", .desc = "10 ms one-way delay, 1% loss, 1% reorder (up to 5 ms)",
	  .drop = 10000, .reorder = 10000, .reorder_max_us = 5000, .delay_us = 10000,
	  .max_rto_per_mb = 0.25 },
	{ .name = "tight", .desc = "512 mbufs per stack (far less than the windows), 1% loss",
	  .drop = 10000, .mbufs = 512, .max_rto_per_mb = 0.75 },
	{ .name = "ecn", .desc = "ECN on both sides, 5% of ECN-capable frames marked CE, 1% loss",
	  .ce = 50000, .drop = 10000, .ecn = true, .max_rto_per_mb = 0.25 },
	{ .name = "dctcp", .desc = "DCTCP on both sides (precise echo), 5% CE marks, 1% loss, "
	  "1% reorder", .ce = 50000, .drop = 10000, .reorder = 10000, .reorder_max_us = 2000,
	  .cc = "dctcp", .max_rto_per_mb = 0.25 },
};

/* ---- options ---- */

struct sim_opts {
	const struct sim_profile *profile;
	uint64_t seed;
	unsigned int flows;
	uint64_t bytes;			/* longest stream per direction per flow */
	uint32_t step_us;		/* virtual time per busy iteration */
	int64_t delay_us;		/* link delay override (-1: the profile's) */
	uint32_t mbufs;			/* pool size override (0: sized to the flows) */
	int64_t drop_ppm;		/* loss per hop override (-1: the profile's) */
	uint64_t max_vtime_us;		/* bound on virtual time (transfer) */
	uint64_t max_steps;		/* bound on iterations (all phases) */
	uint64_t dump_at_us;		/* print the unfinished flows at this virtual time */
	const char *pcap;		/* capture file */
	bool pauses;			/* some receivers pause delivery now and then */
	bool abandons;			/* some paused receivers close instead of resuming */
	bool keep_going;		/* run on after a failure */
	bool verbose;
	unsigned int workers;		/* per stack (--workers) */
	double max_rto_per_mb;		/* the profile's, unless --max-rto-per-mb */
	bool max_rto_set;
};

/* ---- the application: flows and their two sides ---- */

struct sim;
struct sim_flow;

struct sim_side {
	struct sim *sim;
	struct sim_flow *flow;
	struct sl_conn *c;		/* NULL before open and after on_close */
	char name;			/* 'A' (active opener) or 'B' */
	uint64_t tx_key, rx_key;	/* stream generators */
	uint64_t tx_len, rx_len;	/* bytes to send / to receive */
	uint64_t tx_off;		/* bytes queued with sl_conn_send() */
	uint32_t tx_chunk;		/* size of the write being offered (0: pick one) */
	uint64_t tx_rng;		/* write sizes */
	uint64_t rx_off;		/* bytes received */
	uint64_t rx_hash;
	uint64_t rx_bad;		/* first wrong stream offset, UINT64_MAX if none */
	uint64_t rx_rng;		/* pause decisions */
	uint64_t resume_at;		/* paused until (0: not paused) */
	bool pauses;			/* this receiver pauses now and then */
	bool close_after;		/* sl_conn_close() once eof and tx_done */
	bool abandon;			/* a paused reader may close instead of resuming */
	bool abandoned;			/* ... and did: the rest of its stream is dropped */
	bool opened;
	bool tx_done;			/* shutdown called after the last byte */
	bool eof;
	bool closed;
	uint64_t retry_at;		/* a send found no mbuf: the loop retries then */
	enum sl_close_reason reason;
	uint64_t pauses_done;
};

struct sim_flow {
	unsigned int id;
	uint64_t start_at;		/* virtual time of the connect */
	bool send_early;		/* A writes before the handshake completes */
	uint16_t lport;			/* A's port: how B recognises the flow */
	struct sim_side a, b;
	uint64_t hash_ab, hash_ba;	/* FNV-1a of the intended streams */
};

struct sim_stack {
	const char *name;
	struct sl_stack *s;
	struct sl_worker *w;		/* worker 0 */
	struct rte_ring *rx;		/* the port's receive ring: the link fills it */
	struct rte_ring *tx;		/* the port's transmit ring: the link empties it */
	unsigned int nw;		/* workers (and queue pairs) */
	struct sl_worker *ws[SIM_MAX_WORKERS];
	struct rte_ring *rxq[SIM_MAX_WORKERS];	/* rxq[0] == rx */
	struct rte_ring *txq[SIM_MAX_WORKERS];	/* txq[0] == tx */
	unsigned int rr;		/* round robin for frames without ports (ARP) */
	uint16_t port_id;
	unsigned int baseline;		/* pool in-use count after start */
};

/* One direction of the link: frames on their way, oldest first, with arrival times. */
struct sim_line {
	struct sim_stack *from, *to;
	struct rte_mbuf *m[SIM_LINE_SIZE];
	uint64_t at[SIM_LINE_SIZE];
	unsigned int head, n;
};

struct sim {
	struct sim_opts o;
	struct sim_stack A, B;
	struct sim_line ab, ba;
	uint32_t delay_us;
	FILE *pcap;			/* every frame on the link, when asked for */
	uint64_t now;			/* virtual time of both clocks */
	uint64_t steps, jumps;
	uint64_t last_close;		/* virtual time of the last on_close */
	struct sim_flow *flows;
	unsigned int nflows;
	unsigned int failures;		/* errors seen so far (the first few printed) */
	bool overdue_seen;
	uint64_t nobufs_events;
	uint8_t buf[SIM_CHUNK_MAX];
	uint8_t expect[SIM_CHUNK_MAX];
};

/* ---- deterministic generators ---- */

static uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint64_t
rng_next(uint64_t *x)
{
	*x += 0x9E3779B97F4A7C15ULL;
	return mix64(*x);
}

/* Bytes [off, off + len) of the stream named by key. Each 8-byte block is a function of
 * its index alone, so sender and receiver agree however the stream is cut up. */
static void
stream_fill(uint64_t key, uint64_t off, uint8_t *p, uint32_t len)
{
	while (len > 0) {
		uint64_t blk = mix64(key ^ mix64(off >> 3));
		unsigned int i = (unsigned int)(off & 7);

		for (; i < 8 && len > 0; i++, len--, off++)
			*p++ = (uint8_t)(blk >> (8 * i));
	}
}

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t
fnv1a(uint64_t h, const uint8_t *p, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV_PRIME;
	}
	return h;
}

static uint64_t
stream_hash(struct sim *sim, uint64_t key, uint64_t len)
{
	uint64_t h = FNV_OFFSET, off = 0;

	while (off < len) {
		uint32_t n = (uint32_t)RTE_MIN(len - off, (uint64_t)SIM_CHUNK_MAX);

		stream_fill(key, off, sim->buf, n);
		h = fnv1a(h, sim->buf, n);
		off += n;
	}
	return h;
}

/* ---- reporting ---- */

static double
vsec(uint64_t us)
{
	return us / 1e6;
}

static void __rte_format_printf(2, 3)
sim_fail(struct sim *sim, const char *fmt, ...)
{
	va_list ap;

	/* The first errors tell the story; a cascade after them does not. */
	if (sim->failures++ >= 20)
		return;
	fprintf(stderr, "sim: FAIL at %.6f s: ", vsec(sim->now - SIM_T0_US));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
dump_flow_tcb(const struct tcp_flow *f)
{
	/* Sequence numbers relative to the ISNs, as a trace reader wants them. */
	fprintf(stderr, "      snd_una %u snd_nxt %u snd_max %u (iss %u) rcv_nxt %u rcv_adv %u "
		"(irs %u) flags 0x%x events 0x%x ooo %u segs/%u B fin %d nrtx %u backoff %u "
		"rtx_at %" PRIu64 " delack_at %" PRIu64 " ka_at %" PRIu64 " tw_at %" PRIu64
		" in_wheel %d wheel_at %" PRIu64 "\n",
		f->snd_una - f->iss, f->snd_nxt - f->iss, f->snd_max - f->iss, f->iss,
		f->rcv_nxt - f->irs, f->rcv_adv - f->irs, f->irs, f->flags, f->events,
		f->ooo.nsegs, f->ooo.bytes, f->ooo.fin, f->nrtx, f->backoff, f->rtx_at,
		f->delack_at, f->ka_at, f->tw_at, !!(f->flags & TF_IN_WHEEL), f->wheel_at);
}

static void
dump_side(const struct sim_side *sd)
{
	struct sl_conn_info ci;

	fprintf(stderr, "    %c: sent %" PRIu64 "/%" PRIu64 "%s, received %" PRIu64 "/%" PRIu64
		"%s%s%s%s, pauses %" PRIu64, sd->name, sd->tx_off, sd->tx_len,
		sd->tx_done ? " +FIN" : "", sd->rx_off, sd->rx_len, sd->eof ? " +EOF" : "",
		sd->abandoned ? " (abandoned)" : "",
		sd->resume_at ? " (paused)" : "", sd->retry_at ? " (no mbufs)" : "",
		sd->pauses_done);
	if (sd->closed) {
		fprintf(stderr, ", closed (%s)\n", sl_close_reason_str(sd->reason));
		return;
	}
	if (sd->c == NULL) {
		fprintf(stderr, ", not open\n");
		return;
	}
	sl_conn_info(sd->c, &ci);
	fprintf(stderr, "\n      %s %u->%u mss %u cwnd %u ssthresh %u snd_wnd %u rcv_wnd %u "
		"srtt %u rto %u unacked %u unsent %u rx_queued %u rtx %" PRIu64 "\n",
		sl_tcp_state_str(ci.state), ci.local_port, ci.remote_port, ci.mss, ci.cwnd,
		ci.ssthresh, ci.snd_wnd, ci.rcv_wnd, ci.srtt_us, ci.rto_us, ci.unacked,
		ci.unsent, ci.rx_queued, ci.retransmits);
	dump_flow_tcb(conn_flow(sd->c));
}

static void
dump_stack(const struct sim_stack *st)
{
	unsigned int i;

	for (i = 0; i < st->nw; i++) {
		const struct sl_worker *w = st->ws[i];

		fprintf(stderr, "  stack %s worker %u: flows %u (time-wait %u), mbufs in use %u "
			"(baseline %u for all), txq %u, fault held rx %u tx %u\n", st->name, i,
			w->tcp.nflows, w->tcp.ntimewait, rte_mempool_in_use_count(w->pool),
			st->baseline, w->txq.n, w->fault.rx.nheld, w->fault.tx.nheld);
	}
}

/* Over for the application: both sides closed, or A gave up before B ever saw it. */
static bool
flow_done(const struct sim_flow *fl)
{
	return fl->a.closed && (fl->b.closed || !fl->b.opened);
}

static bool
flow_ok(const struct sim_flow *fl)
{
	return fl->a.closed && fl->b.closed && fl->a.reason == SL_CLOSE_NORMAL &&
	       fl->b.reason == SL_CLOSE_NORMAL;
}

static void
dump_unfinished(struct sim *sim)
{
	unsigned int i, shown = 0, unopened = 0;

	dump_stack(&sim->A);
	dump_stack(&sim->B);
	fprintf(stderr, "  link: A->B %u frames, B->A %u frames\n",
		rte_ring_count(sim->A.tx) + sim->ab.n + rte_ring_count(sim->B.rx),
		rte_ring_count(sim->B.tx) + sim->ba.n + rte_ring_count(sim->A.rx));
	if (sim->A.nw > 1)
		fprintf(stderr, "  (queue 0 only: the other queues are emptied every step)\n");
	for (i = 0; i < sim->nflows; i++) {
		struct sim_flow *fl = &sim->flows[i];

		if (!fl->a.opened) {
			unopened++;
			continue;
		}
		if (flow_ok(fl))
			continue;
		if (shown++ == 16) {
			fprintf(stderr, "  (more flows not shown)\n");
			break;
		}
		fprintf(stderr, "  flow %u (A port %u, opened at %.6f s):\n", fl->id, fl->lport,
			vsec(fl->start_at - SIM_T0_US));
		dump_side(&fl->a);
		dump_side(&fl->b);
	}
	if (unopened > 0)
		fprintf(stderr, "  (%u flows not opened yet)\n", unopened);
}

static void
print_stats(const struct sim_stack *st, bool all)
{
	struct sl_stats sum;
	const struct sl_stats *s = &sum;

	sl_stack_stats(st->s, &sum);

	printf("  %s: frames out %" PRIu64 " in %" PRIu64 "; segments out %" PRIu64
	       ", retransmitted %" PRIu64 " (timeouts %" PRIu64 ", fast %" PRIu64
	       "), out of order in %" PRIu64 ", persist probes %" PRIu64
	       "; faults: drop %" PRIu64 " dup %" PRIu64 " reorder %" PRIu64 " corrupt %" PRIu64
	       " truncate %" PRIu64 "\n", st->name, s->tx_packets, s->rx_packets,
	       s->tcp_tx_segs, s->tcp_retransmit_segs, s->tcp_rto, s->tcp_fast_retransmit,
	       s->tcp_ooo_segs, s->tcp_persist_probes, s->fault_drop, s->fault_dup,
	       s->fault_reorder, s->fault_corrupt, s->fault_truncate);
	printf("  %s: loss recovery: rto %" PRIu64 ", recoveries %" PRIu64 ", rack_lost %" PRIu64
	       ", tlp_sent %" PRIu64 ", tlp_recovered %" PRIu64 ", undo %" PRIu64 ", dsack_rx %"
	       PRIu64 ", retransmit_segs %" PRIu64 "\n", st->name, s->tcp_rto, s->tcp_recoveries,
	       s->tcp_rack_lost, s->tcp_tlp_sent, s->tcp_tlp_recovered, s->tcp_undo,
	       s->tcp_dsack_rx, s->tcp_retransmit_segs);
	if (s->fault_ce != 0 || s->tcp_ecn_ce_rx != 0 || s->tcp_ece_reductions != 0)
		printf("  %s: ECN: frames marked CE %" PRIu64 ", data segments received with CE %"
		       PRIu64 ", window reductions on ECE %" PRIu64 "\n", st->name, s->fault_ce,
		       s->tcp_ecn_ce_rx, s->tcp_ece_reductions);
	if (st->nw > 1)
		printf("  %s: %u workers, segments handed over %" PRIu64 ", ARP copies %" PRIu64
		       ", ring-full drops %" PRIu64 "\n", st->name, st->nw, s->handoff_segs,
		       s->handoff_arp, s->handoff_drop_full);
	if (all) {
		printf("  %s counters:\n", st->name);
		sl_stats_print(stdout, s, 0);
	}
}

/* ---- the application's side of a connection ---- */

static void __rte_format_printf(2, 3)
side_fail(struct sim_side *sd, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sim_fail(sd->sim, "flow %u side %c: %s", sd->flow->id, sd->name, msg);
}

static enum sl_tcp_state
conn_state(const struct sl_conn *c)
{
	struct sl_conn_info ci;

	sl_conn_info(c, &ci);
	return ci.state;
}

/* Both directions are finished on this side: some sides end with sl_conn_close(). */
static void
side_maybe_close(struct sim_side *sd)
{
	if (sd->close_after && sd->tx_done && sd->eof && sd->c != NULL)
		(void)sl_conn_close(sd->c);
}

/* Write until the stream is out or the stack pushes back. */
static void
side_pump(struct sim_side *sd)
{
	struct sim *sim = sd->sim;

	sd->retry_at = 0;
	if (sd->c == NULL || sd->tx_done)
		return;
	while (sd->tx_off < sd->tx_len) {
		uint32_t len;
		int rc;

		if (sd->tx_chunk == 0) {
			/* Mostly large writes, with runs of tiny ones that must coalesce. */
			uint64_t r = rng_next(&sd->tx_rng);

			sd->tx_chunk = (r & 3) == 0 ? 1 + (uint32_t)((r >> 8) % 200) :
				       1 + (uint32_t)((r >> 8) % SIM_CHUNK_MAX);
		}
		len = (uint32_t)RTE_MIN((uint64_t)sd->tx_chunk, sd->tx_len - sd->tx_off);
		stream_fill(sd->tx_key, sd->tx_off, sim->buf, len);
		rc = sl_conn_send(sd->c, sim->buf, len);
		if (rc == -EAGAIN)
			return;		/* on_writable continues */
		if (rc == -ENOBUFS) {
			/* No on_writable follows a pool running dry: the loop retries a little
			 * later, as an application would. Only the stack's own work frees
			 * mbufs, so the retry waits for the next step rather than waking the
			 * simulation by itself. */
			sd->retry_at = sim->now + 100;
			sim->nobufs_events++;
			return;
		}
		if (rc == -EPIPE && conn_state(sd->c) == SL_TCP_CLOSED)
			return;		/* it ended (on_close is on its way and says why) */
		if (rc != 0) {
			side_fail(sd, "sl_conn_send(%u) at offset %" PRIu64 ": %s", len,
				  sd->tx_off, strerror(-rc));
			return;
		}
		sd->tx_off += len;
		sd->tx_chunk = 0;
	}
	sd->tx_done = true;
	if (sl_conn_shutdown(sd->c) != 0)
		side_fail(sd, "sl_conn_shutdown failed");
	side_maybe_close(sd);
}

static int
sim_on_message(struct sl_conn *c, const struct sl_msg *m)
{
	struct sim_side *sd = sl_conn_user(c);
	struct sim *sim = sd->sim;
	uint32_t done = 0;

	if (sd->abandoned)
		side_fail(sd, "a message after sl_conn_close()");
	if (m->stream_off != sd->rx_off) {
		side_fail(sd, "message at stream offset %" PRIu64 ", expected %" PRIu64,
			  m->stream_off, sd->rx_off);
		sd->rx_off = m->stream_off;
	}
	if (sd->pauses && (rng_next(&sd->rx_rng) & 127) == 0) {
		/* A slow reader: leave the bytes in the stack for a while, so the window
		 * closes and the sender has to probe it. */
		sd->resume_at = sim->now + 1000 + rng_next(&sd->rx_rng) % 50000;
		sd->pauses_done++;
		return SL_RX_AGAIN;
	}
	if (sd->rx_off + m->len > sd->rx_len && sd->rx_bad == UINT64_MAX) {
		side_fail(sd, "%u bytes at offset %" PRIu64 " run past the stream end %" PRIu64,
			  m->len, sd->rx_off, sd->rx_len);
		sd->rx_bad = sd->rx_len;
	}
	while (done < m->len) {
		uint32_t n = RTE_MIN(m->len - done, (uint32_t)SIM_CHUNK_MAX);

		stream_fill(sd->rx_key, sd->rx_off + done, sim->expect, n);
		if (sd->rx_bad == UINT64_MAX && memcmp(sim->expect, m->data + done, n) != 0) {
			uint32_t i = 0;

			while (sim->expect[i] == m->data[done + i])
				i++;
			sd->rx_bad = sd->rx_off + done + i;
			side_fail(sd, "wrong byte at stream offset %" PRIu64 ": 0x%02x, expected "
				  "0x%02x (message of %u bytes at %" PRIu64 ")", sd->rx_bad,
				  m->data[done + i], sim->expect[i], m->len, m->stream_off);
		}
		sd->rx_hash = fnv1a(sd->rx_hash, m->data + done, n);
		done += n;
	}
	sd->rx_off += m->len;
	return SL_RX_OK;
}

static void
sim_on_eof(struct sl_conn *c)
{
	struct sim_side *sd = sl_conn_user(c);

	if (sd->eof)
		side_fail(sd, "second on_eof");
	if (sd->abandoned)
		side_fail(sd, "on_eof after sl_conn_close()");
	sd->eof = true;
	if (sd->rx_off != sd->rx_len)
		side_fail(sd, "on_eof after %" PRIu64 " bytes, expected %" PRIu64, sd->rx_off,
			  sd->rx_len);
	side_maybe_close(sd);
}

static void
sim_on_writable(struct sl_conn *c)
{
	side_pump(sl_conn_user(c));
}

static void
sim_on_close(struct sl_conn *c, enum sl_close_reason reason)
{
	struct sim_side *sd = sl_conn_user(c);

	if (sd->closed)
		side_fail(sd, "second on_close");
	sd->closed = true;
	sd->reason = reason;
	sd->c = NULL;
	sd->retry_at = 0;
	sd->sim->last_close = sd->sim->now;
	sd->resume_at = 0;
	if (reason != SL_CLOSE_NORMAL)
		side_fail(sd, "closed: %s (sent %" PRIu64 "/%" PRIu64 ", received %" PRIu64
			  "/%" PRIu64 ")", sl_close_reason_str(reason), sd->tx_off, sd->tx_len,
			  sd->rx_off, sd->rx_len);
	else if (!sd->eof && !sd->abandoned)
		side_fail(sd, "closed normally without on_eof (received %" PRIu64 "/%" PRIu64
			  ")", sd->rx_off, sd->rx_len);
}

static void
sim_on_connect(struct sl_conn *c)
{
	side_pump(sl_conn_user(c));
}

static int
sim_on_accept(struct sl_conn *c, void *arg)
{
	struct sim *sim = arg;
	struct sim_side *sd = NULL;
	struct sl_conn_info ci;
	unsigned int i;

	sl_conn_info(c, &ci);
	for (i = 0; i < sim->nflows; i++)
		if (sim->flows[i].a.opened && sim->flows[i].lport == ci.remote_port) {
			sd = &sim->flows[i].b;
			break;
		}
	if (sd == NULL || sd->opened) {
		sim_fail(sim, "accepted a connection from port %u that is no flow (or a second "
			 "one for it)", ci.remote_port);
		return -1;
	}
	sd->opened = true;
	sd->c = c;
	sl_conn_set_user(c, sd);
	side_pump(sd);
	return 0;
}

static const struct sl_conn_ops sim_ops_a = {
	.on_connect = sim_on_connect,
	.on_message = sim_on_message,
	.on_eof = sim_on_eof,
	.on_writable = sim_on_writable,
	.on_close = sim_on_close,
};

static const struct sl_conn_ops sim_ops_b = {
	.on_accept = sim_on_accept,
	.on_message = sim_on_message,
	.on_eof = sim_on_eof,
	.on_writable = sim_on_writable,
	.on_close = sim_on_close,
};

/* ---- setting up ---- */

static uint32_t
pool_size(const struct sim_opts *o)
{
	/* Room for every flow's send queue and for the peer's receive and out-of-order
	 * queues, which hold our mbufs (each up to the 256 KiB default window), plus the
	 * rings and the TX queue; unless the profile or the command line says otherwise. */
	uint32_t n = o->mbufs != 0 ? o->mbufs : o->profile->mbufs != 0 ? o->profile->mbufs :
		     o->flows * 640u + 4096u;

	n = RTE_MIN(n, 262143u);
	return RTE_MAX(n, 512u);
}

static void
eal_init(const char *prog, const struct sim_opts *o)
{
	const char *args[] = {
		prog, "-l", "0", "--no-huge", "--no-shconf", "--no-pci", "-m", NULL,
		"--file-prefix", NULL, "--log-level", "lib.eal:error", "--no-telemetry",
	};
	char mem[16], prefix[64], buf[RTE_DIM(args)][64];
	char *argv[RTE_DIM(args)];
	unsigned int i;

	/* Two pools of mbufs per worker (2176 bytes of data room, ~2.5 KiB with headers), the
	 * flow tables, and margin. */
	snprintf(mem, sizeof(mem), "%u", 192 + 2 * o->workers * pool_size(o) * 3 / 1024);
	args[7] = mem;
	/* Simulations run in parallel under meson: one prefix per process. */
	snprintf(prefix, sizeof(prefix), "sl-sim-%d", (int)getpid());
	args[9] = prefix;
	for (i = 0; i < RTE_DIM(args); i++) {
		snprintf(buf[i], sizeof(buf[i]), "%s", args[i]);
		argv[i] = buf[i];
	}
	if (rte_eal_init((int)RTE_DIM(args), argv) < 0) {
		fprintf(stderr, "sim: EAL init failed: %s\n", rte_strerror(rte_errno));
		exit(2);
	}
}

/* The per-injector probability that makes ppm per hop over two injectors. */
static uint32_t
per_injector(uint32_t ppm)
{
	if (ppm == 0)
		return 0;
	return (uint32_t)((1.0 - sqrt(1.0 - ppm / SIM_PPM)) * SIM_PPM + 0.5);
}

static void
sim_config(const struct sim *sim, struct sl_config *cfg, rte_be32_t ip, uint16_t port_id,
	   uint64_t salt)
{
	const struct sim_profile *p = sim->o.profile;

	/* The defaults a server would run with, except what --no-huge needs. */
	sl_config_defaults(cfg);
	cfg->port_id = port_id;
	cfg->ip.addr = ip;
	cfg->ip.len = 24;
	cfg->mbufs = pool_size(&sim->o);
	cfg->mbuf_cache = 64;
	cfg->rx_desc = 64;
	cfg->tx_desc = 64;
	cfg->tx_queue_max = RTE_MIN(1024u, cfg->mbufs / 4);
	cfg->arp_entries = 16;
	cfg->max_flows = RTE_MAX(64u, sim->o.flows * 2);
	cfg->seed = mix64(sim->o.seed ^ salt) | 1;
	if (p->patient) {
		/* With most frames lost, backoff can grow until a retransmission waits longer
		 * than the peer's TIME-WAIT (2 MSL), and the last lost ACK then ends the
		 * connection with RST. Correct TCP, but not what these runs examine. */
		cfg->retries = 30;
		cfg->syn_retries = 30;
		cfg->synack_retries = 30;
		cfg->rto_max_us = 4000000;
	}
	cfg->fault.drop = per_injector(sim->o.drop_ppm >= 0 ? (uint32_t)sim->o.drop_ppm : p->drop);
	cfg->fault.dup = per_injector(p->dup);
	cfg->fault.reorder = per_injector(p->reorder);
	cfg->fault.corrupt = per_injector(p->corrupt);
	cfg->fault.truncate = per_injector(p->truncate);
	cfg->fault.ce = per_injector(p->ce);
	if (p->ecn)
		cfg->ecn = SL_ECN_ON;
	if (p->cc != NULL)
		snprintf(cfg->cc, sizeof(cfg->cc), "%s", p->cc);
	if (p->reorder_max_us != 0)
		cfg->fault.reorder_max_us = p->reorder_max_us;
	cfg->fault.seed = mix64(sim->o.seed * 31 + salt) | 1;
	cfg->fault.dir = SL_FAULT_RX | SL_FAULT_TX;
}

static int
sim_stack_create(struct sim *sim, struct sim_stack *st, const char *name, rte_be32_t ip,
		 uint64_t salt)
{
	struct rte_ether_addr mac = { .addr_bytes = { 0x02, 0x5e, 0xed, 0, 0, (uint8_t)salt } };
	struct sl_config cfg;
	char rname[RTE_RING_NAMESIZE];
	unsigned int i;
	int port, rc;

	st->name = name;
	st->nw = sim->o.workers;
	for (i = 0; i < st->nw; i++) {
		snprintf(rname, sizeof(rname), "sim_rx%s%u", name, i);
		st->rxq[i] = rte_ring_create(rname, SIM_RING_SIZE, SOCKET_ID_ANY,
					     RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(rname, sizeof(rname), "sim_tx%s%u", name, i);
		st->txq[i] = rte_ring_create(rname, SIM_RING_SIZE, SOCKET_ID_ANY,
					     RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (st->rxq[i] == NULL || st->txq[i] == NULL) {
			fprintf(stderr, "sim: rings: %s\n", rte_strerror(rte_errno));
			return -1;
		}
	}
	st->rx = st->rxq[0];
	st->tx = st->txq[0];
	snprintf(rname, sizeof(rname), "net_ring_sim%s", name);
	port = rte_eth_from_rings(rname, st->rxq, st->nw, st->txq, st->nw, SOCKET_ID_ANY);
	if (port < 0) {
		fprintf(stderr, "sim: rte_eth_from_rings: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	st->port_id = (uint16_t)port;
	/* net_ring ports come with an all-zero MAC, which ARP rightly refuses to learn, and
	 * cannot change their default address (so cfg.mac does not work). Adding one fills
	 * the empty default slot, which is what the stack reads as its MAC. */
	rc = rte_eth_dev_mac_addr_add(st->port_id, &mac, 0);
	if (rc != 0) {
		fprintf(stderr, "sim: port %u: cannot give it a MAC: %s\n", st->port_id,
			rte_strerror(-rc));
		return -1;
	}
	sim_config(sim, &cfg, ip, st->port_id, salt);
	st->s = sl_stack_create(&cfg, st->nw);
	if (st->s == NULL) {
		fprintf(stderr, "sim: stack %s: %s\n", name, rte_strerror(rte_errno));
		return -1;
	}
	for (i = 0; i < st->nw; i++) {
		st->ws[i] = sl_stack_worker(st->s, i);
		st->ws[i]->clock.virtual_time = true;
		st->ws[i]->clock.now_us = sim->now;
	}
	st->w = st->ws[0];
	return 0;
}

/* Decide every flow's shape from the seed: stream lengths, start time, variants. */
static void
flow_plan(struct sim *sim)
{
	uint64_t r = mix64(sim->o.seed ^ 0xf10f10f1ULL);
	uint64_t spread = sim->o.bytes / 4 + 1;
	unsigned int i;

	for (i = 0; i < sim->nflows; i++) {
		struct sim_flow *fl = &sim->flows[i];
		uint64_t kab = mix64(sim->o.seed * FNV_PRIME + 2 * i + 1);
		uint64_t kba = mix64(sim->o.seed * FNV_PRIME + 2 * i + 2);

		fl->id = i;
		/* Staggered starts: later flows open while earlier ones are in bulk. */
		fl->start_at = SIM_T0_US + (i == 0 ? 0 : rng_next(&r) % 20000);
		fl->send_early = (i & 1) != 0;
		fl->a = (struct sim_side){ .sim = sim, .flow = fl, .name = 'A', .tx_key = kab,
					   .rx_key = kba };
		fl->b = (struct sim_side){ .sim = sim, .flow = fl, .name = 'B', .tx_key = kba,
					   .rx_key = kab };
		fl->a.tx_len = sim->o.bytes - rng_next(&r) % spread;
		/* Every fourth flow is one-way: B answers only with its FIN. */
		fl->b.tx_len = (i % 4 == 3) ? 0 : sim->o.bytes - rng_next(&r) % spread;
		fl->a.rx_len = fl->b.tx_len;
		fl->b.rx_len = fl->a.tx_len;
		fl->a.tx_rng = rng_next(&r);
		fl->b.tx_rng = rng_next(&r);
		fl->a.rx_rng = rng_next(&r);
		fl->b.rx_rng = rng_next(&r);
		fl->a.rx_hash = fl->b.rx_hash = FNV_OFFSET;
		fl->a.rx_bad = fl->b.rx_bad = UINT64_MAX;
		fl->a.pauses = sim->o.pauses && i % 4 == 1;
		fl->b.pauses = sim->o.pauses && i % 4 == 2;
		/* Not at heavy loss: the peer may need longer than the FIN-WAIT-2 limit
		 * (fin_wait2_ms after the close) to deliver the rest, and the connection then
		 * ends with RST as it should. */
		fl->b.abandon = sim->o.abandons && i % 8 == 6 && !sim->o.profile->patient;
		fl->a.close_after = i % 3 == 0;
		fl->b.close_after = i % 3 == 1;
		fl->hash_ab = stream_hash(sim, kab, fl->a.tx_len);
		fl->hash_ba = stream_hash(sim, kba, fl->b.tx_len);
	}
}

/* ---- the link ---- */

/* pcap (libpcap 2.4, Ethernet), timestamps in virtual time. */
static void
pcap_open(struct sim *sim, const char *path)
{
	const uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };

	sim->pcap = fopen(path, "wb");
	if (sim->pcap == NULL || fwrite(hdr, sizeof(hdr), 1, sim->pcap) != 1) {
		fprintf(stderr, "sim: cannot write %s: %s\n", path, strerror(errno));
		exit(2);
	}
}

static void
pcap_frame(struct sim *sim, struct rte_mbuf *m)
{
	uint8_t frame[RTE_MBUF_DEFAULT_BUF_SIZE];
	uint32_t len = RTE_MIN(m->pkt_len, (uint32_t)sizeof(frame));
	const void *p = rte_pktmbuf_read(m, 0, len, frame);
	uint32_t rec[4] = {
		(uint32_t)(sim->now / 1000000), (uint32_t)(sim->now % 1000000), len, m->pkt_len,
	};

	if (p == NULL)
		return;
	if (fwrite(rec, sizeof(rec), 1, sim->pcap) != 1 || fwrite(p, len, 1, sim->pcap) != 1)
		sim_fail(sim, "cannot write the capture");
}

/* Move frames along one direction of the link: take what the sender transmitted into the
 * delay line (capturing it as sent), and deliver what has arrived into the receiver's
 * ring while it has room. A full line or ring pushes back onto the sender's port. */
static void
link_carry(struct sim *sim, struct sim_line *l)
{
	while (l->n < SIM_LINE_SIZE) {
		void *m;
		unsigned int tail;

		if (rte_ring_dequeue(l->from->tx, &m) != 0)
			break;
		if (sim->pcap != NULL)
			pcap_frame(sim, m);
		tail = (l->head + l->n) % SIM_LINE_SIZE;
		l->m[tail] = m;
		l->at[tail] = sim->now + sim->delay_us;
		l->n++;
	}
	while (l->n > 0 && l->at[l->head] <= sim->now) {
		if (rte_ring_enqueue(l->to->rx, l->m[l->head]) != 0)
			break;
		l->head = (l->head + 1) % SIM_LINE_SIZE;
		l->n--;
	}
}

static bool
stack_rings_empty(const struct sim_stack *st)
{
	unsigned int i;

	for (i = 0; i < st->nw; i++)
		if (!rte_ring_empty(st->rxq[i]) || !rte_ring_empty(st->txq[i]))
			return false;
	return true;
}

/* Nothing on the link can move before time does. */
static bool
link_quiet(const struct sim *sim)
{
	return stack_rings_empty(&sim->A) && stack_rings_empty(&sim->B) &&
	       (sim->ab.n == 0 || sim->ab.at[sim->ab.head] > sim->now) &&
	       (sim->ba.n == 0 || sim->ba.at[sim->ba.head] > sim->now);
}

static bool
link_empty(const struct sim *sim)
{
	return link_quiet(sim) && sim->ab.n == 0 && sim->ba.n == 0;
}

static void
line_drain(struct sim_line *l)
{
	while (l->n > 0) {
		rte_pktmbuf_free(l->m[l->head]);
		l->head = (l->head + 1) % SIM_LINE_SIZE;
		l->n--;
	}
}

static void
ring_drain(struct rte_ring *r)
{
	void *m = NULL;

	while (rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
}

/* ---- the loop ---- */

static void
sim_set_time(struct sim *sim, uint64_t t)
{
	unsigned int i;

	sim->now = t;
	for (i = 0; i < sim->A.nw; i++)
		sim->A.ws[i]->clock.now_us = t;
	for (i = 0; i < sim->B.nw; i++)
		sim->B.ws[i]->clock.now_us = t;
}

static void
start_flows(struct sim *sim)
{
	unsigned int i;

	for (i = 0; i < sim->nflows; i++) {
		struct sim_flow *fl = &sim->flows[i];
		struct sl_conn_info ci;

		if (fl->a.opened || fl->start_at > sim->now)
			continue;
		fl->a.c = sl_worker_connect(sim->A.ws[i % sim->A.nw], SIM_IP_B, SIM_PORT,
					    &sim_ops_a, &fl->a);
		if (fl->a.c == NULL && rte_errno == ENOBUFS) {
			/* No mbuf for the SYN: a passing shortage, try again shortly. */
			fl->start_at = sim->now + 1000;
			sim->nobufs_events++;
			continue;
		}
		fl->a.opened = true;
		if (fl->a.c == NULL) {
			side_fail(&fl->a, "sl_worker_connect: %s", rte_strerror(rte_errno));
			fl->a.closed = true;
			fl->a.reason = SL_CLOSE_ERROR;
			continue;
		}
		sl_conn_info(fl->a.c, &ci);
		fl->lport = ci.local_port;
		if (fl->send_early)
			side_pump(&fl->a);
	}
}

/* Application work the loop owes: resume paused readers, retry sends that found no mbuf. */
static void
app_tick(struct sim *sim)
{
	unsigned int i, k;

	for (i = 0; i < sim->nflows; i++) {
		struct sim_side *sides[2] = { &sim->flows[i].a, &sim->flows[i].b };

		for (k = 0; k < 2; k++) {
			struct sim_side *sd = sides[k];

			if (sd->c == NULL)
				continue;
			if (sd->resume_at != 0 && sd->resume_at <= sim->now) {
				sd->resume_at = 0;
				if (sd->abandon && sd->tx_done && sd->rx_off >= sd->rx_len / 2) {
					/* Enough: close without reading the rest (which the
					 * stack must drop, still acknowledging it). */
					sd->abandoned = true;
					(void)sl_conn_close(sd->c);
				} else {
					sl_conn_resume_rx(sd->c);
				}
			}
			if (sd->retry_at != 0 && sd->retry_at <= sim->now)
				side_pump(sd);
		}
	}
}

static bool
worker_idle(const struct sl_worker *w)
{
	return w->txq.n == 0 && TAILQ_EMPTY(&w->tcp.ready) && TAILQ_EMPTY(&w->tcp.dirty) &&
	       (w->handoff == NULL || rte_ring_empty(w->handoff));
}

static bool
stack_idle(const struct sim_stack *st)
{
	unsigned int i;

	for (i = 0; i < st->nw; i++)
		if (!worker_idle(st->ws[i]))
			return false;
	return true;
}

static unsigned int
stack_nflows(const struct sim_stack *st)
{
	unsigned int i, n = 0;

	for (i = 0; i < st->nw; i++)
		n += st->ws[i]->tcp.nflows;
	return n;
}

static unsigned int
stack_in_use(const struct sim_stack *st)
{
	unsigned int i, n = 0;

	for (i = 0; i < st->nw; i++)
		n += rte_mempool_in_use_count(st->ws[i]->pool);
	return n;
}

/* The link's own choice of RX queue, as a multi-queue tap or af_packet fanout makes it:
 * a per-flow hash that is not sluice's Toeplitz hash (FNV-1a of the addresses and ports),
 * so a flow stays on one queue but often not on its owner's. Frames without ports (ARP)
 * go round robin. */
static unsigned int
link_queue(struct sim_stack *st, const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint64_t h = FNV_OFFSET;
	unsigned int i;

	if (m->data_len < 14 + 20 + 4 || p[12] != 0x08 || p[13] != 0x00 || p[14 + 9] != 6)
		return st->rr++ % st->nw;
	for (i = 14 + 12; i < 14 + 20 + 4; i++)
		h = (h ^ p[i]) * FNV_PRIME;
	return (unsigned int)(h >> 32) % st->nw;
}

/* Spread what the link delivered on queue 0 over the stack's queues. */
static void
stack_rx_spread(struct sim_stack *st)
{
	void *ms[SIM_RING_SIZE];
	unsigned int i, n;

	if (st->nw == 1)
		return;
	n = rte_ring_dequeue_burst(st->rx, ms, RTE_DIM(ms), NULL);
	for (i = 0; i < n; i++)
		if (rte_ring_enqueue(st->rxq[link_queue(st, ms[i])], ms[i]) != 0)
			rte_pktmbuf_free(ms[i]);	/* a full queue: the NIC drops */
}

/* Every worker polls once; what queues 1.. sent joins queue 0 for the link. */
static unsigned int
stack_poll(struct sim_stack *st)
{
	unsigned int i, n = 0;
	void *m;

	stack_rx_spread(st);
	for (i = 0; i < st->nw; i++)
		n += sl_worker_poll(st->ws[i]);
	for (i = 1; i < st->nw; i++)
		while (rte_ring_dequeue(st->txq[i], &m) == 0)
			if (rte_ring_enqueue(st->tx, m) != 0)
				rte_pktmbuf_free(m);
	return n;
}

static uint64_t
held_next(const struct fault_dir *d, uint64_t t)
{
	uint16_t i;

	for (i = 0; i < d->nheld; i++)
		t = RTE_MIN(t, d->held_until[i]);
	return t;
}

/* The worker has just run its timers: none may still be waiting past its deadline. A
 * timer that does not fire stalls its connection in real time as well. */
static void
check_overdue(struct sim *sim, struct sim_stack *st, struct sl_worker *w, uint64_t next)
{
	struct tcp_worker *t = &w->tcp;
	struct tcp_flow *f;
	unsigned int i;

	if (next == UINT64_MAX || next + SIM_TIMER_SLACK_US >= sim->now || sim->overdue_seen)
		return;
	sim->overdue_seen = true;
	for (i = 0; i < TCP_WHEEL_SLOTS; i++)
		TAILQ_FOREACH(f, &t->wheel[i], wheel_link)
			if (f->wheel_at == next) {
				sim_fail(sim, "stack %s: timer overdue by %" PRIu64 " us (flow %u->%u "
					 "%s, wheel slot %u, wheel tick %" PRIu64 " = slot %" PRIu64
					 ")", st->name, sim->now - next,
					 rte_be_to_cpu_16(f->key.lport),
					 rte_be_to_cpu_16(f->key.rport), sl_tcp_state_str(f->state),
					 i, t->wheel_tick, t->wheel_tick & (TCP_WHEEL_SLOTS - 1));
				dump_flow_tcb(f);
				return;
			}
}

/* The next moment anything is due: a timer of either stack, a frame an injector holds or
 * the link carries, the ARP tick, or the application (a flow to open, a reader to
 * resume). */
static uint64_t
next_event(struct sim *sim)
{
	struct sim_stack *sts[2] = { &sim->A, &sim->B };
	uint64_t t = UINT64_MAX;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		unsigned int k;

		for (k = 0; k < sts[i]->nw; k++) {
			struct sl_worker *w = sts[i]->ws[k];
			uint64_t tn = tcp_timers_next(w);

			check_overdue(sim, sts[i], w, tn);
			t = RTE_MIN(t, tn);
			t = RTE_MIN(t, w->next_slow_tick_us);
			t = held_next(&w->fault.rx, t);
			t = held_next(&w->fault.tx, t);
		}
	}
	if (sim->ab.n > 0)
		t = RTE_MIN(t, sim->ab.at[sim->ab.head]);
	if (sim->ba.n > 0)
		t = RTE_MIN(t, sim->ba.at[sim->ba.head]);
	for (i = 0; i < sim->nflows; i++) {
		const struct sim_flow *fl = &sim->flows[i];

		if (!fl->a.opened)
			t = RTE_MIN(t, fl->start_at);
		if (fl->a.resume_at != 0)
			t = RTE_MIN(t, fl->a.resume_at);
		if (fl->b.resume_at != 0)
			t = RTE_MIN(t, fl->b.resume_at);

	}
	return t;
}

/* One iteration: both stacks poll at the same virtual time, then time moves on. */
static void
sim_step(struct sim *sim)
{
	unsigned int na, nb;

	start_flows(sim);
	app_tick(sim);
	/* B's frames that have arrived by now reach A before A polls, and A's reach B. */
	link_carry(sim, &sim->ba);
	na = stack_poll(&sim->A);
	link_carry(sim, &sim->ab);
	nb = stack_poll(&sim->B);
	link_carry(sim, &sim->ba);
	sim->steps++;
	if (na != 0 || nb != 0 || !link_quiet(sim) || !stack_idle(&sim->A) ||
	    !stack_idle(&sim->B)) {
		sim_set_time(sim, sim->now + sim->o.step_us);
		return;
	}
	sim->jumps++;
	sim_set_time(sim, RTE_MAX(sim->now + sim->o.step_us, next_event(sim)));
}

static bool
all_flows_done(const struct sim *sim)
{
	unsigned int i;

	for (i = 0; i < sim->nflows; i++)
		if (!flow_done(&sim->flows[i]))
			return false;
	return true;
}

static int
sim_transfer(struct sim *sim)
{
	uint64_t end = sim->now + sim->o.max_vtime_us;

	while (!all_flows_done(sim)) {
		if (sim->o.dump_at_us != 0 && sim->now >= SIM_T0_US + sim->o.dump_at_us) {
			fprintf(stderr, "sim: state at %.6f s:\n", vsec(sim->now - SIM_T0_US));
			dump_unfinished(sim);
			sim->o.dump_at_us = 0;
		}
		if (sim->now >= end || sim->steps >= sim->o.max_steps) {
			sim_fail(sim, "the transfer did not finish within the %s bound (%" PRIu64
				 " steps); unfinished flows:", sim->now >= end ? "virtual time" :
				 "iteration", sim->steps);
			dump_unfinished(sim);
			return -1;
		}
		if (sim->failures > 0 && !sim->o.keep_going) {
			fprintf(stderr, "sim: stopping at the first failure (--keep-going runs on); "
				"unfinished flows:\n");
			dump_unfinished(sim);
			return -1;
		}
		sim_step(sim);
	}
	return 0;
}

/* Run time forward past TIME-WAIT and every timer, until both flow tables are empty. */
static int
sim_quiesce(struct sim *sim)
{
	uint64_t msl2 = 2ull * sim->A.w->cfg->msl_ms * 1000;
	uint64_t end = sim->now + msl2 + 600ull * 1000000;
	uint64_t settle;

	while (stack_nflows(&sim->A) != 0 || stack_nflows(&sim->B) != 0) {
		if (sim->now >= end || sim->steps >= sim->o.max_steps) {
			sim_fail(sim, "connections remain after quiescing (A %u, B %u)",
				 stack_nflows(&sim->A), stack_nflows(&sim->B));
			dump_unfinished(sim);
			return -1;
		}
		sim_step(sim);
	}
	/* A little longer, so that frames an injector or the link still holds arrive and
	 * are answered (they belong to no connection any more). */
	settle = sim->now + 10ull * 1000000;
	while (sim->now < settle && sim->steps < sim->o.max_steps)
		sim_step(sim);
	return 0;
}

/* With CE marks on the link, did neither stack hear a mark or reduce for one? */
static bool
sim_ecn_idle(struct sim *sim)
{
	struct sl_stats a, b;

	sl_stack_stats(sim->A.s, &a);
	sl_stack_stats(sim->B.s, &b);
	return a.tcp_ecn_ce_rx + b.tcp_ecn_ce_rx == 0 ||
	       a.tcp_ece_reductions + b.tcp_ece_reductions == 0;
}

/* Every flow complete and correct, nothing left behind. */
static int
sim_check(struct sim *sim)
{
	struct sim_stack *sts[2] = { &sim->A, &sim->B };
	unsigned int i, bad = 0;

	for (i = 0; i < sim->nflows; i++) {
		struct sim_flow *fl = &sim->flows[i];

		if (!flow_ok(fl) || !fl->a.eof || (!fl->b.eof && !fl->b.abandoned)) {
			bad++;
			continue;
		}
		/* An abandoning reader checked every byte it took, but took only some. */
		if ((fl->b.rx_hash != fl->hash_ab && !fl->b.abandoned) ||
		    fl->a.rx_hash != fl->hash_ba) {
			sim_fail(sim, "flow %u: hash mismatch (A->B %016" PRIx64 ", expected %016"
				 PRIx64 "; B->A %016" PRIx64 ", expected %016" PRIx64 ")", i,
				 fl->b.rx_hash, fl->hash_ab, fl->a.rx_hash, fl->hash_ba);
			bad++;
		}
	}
	if (bad > 0)
		sim_fail(sim, "%u of %u flows incomplete or wrong", bad, sim->nflows);
	for (i = 0; i < 2; i++) {
		unsigned int in_use = stack_in_use(sts[i]), k;

		if (in_use != sts[i]->baseline) {
			sim_fail(sim, "stack %s: %u mbufs in use (baseline %u)", sts[i]->name,
				 in_use, sts[i]->baseline);
			bad++;
		}
		for (k = 0; k < sts[i]->nw; k++) {
			struct sl_worker *w = sts[i]->ws[k];

			if (w->tcp.nflows != 0 || w->txq.n != 0 || !worker_idle(w) ||
			    w->fault.rx.nheld != 0 || w->fault.tx.nheld != 0) {
				sim_fail(sim, "stack %s worker %u not back at rest: %u "
					 "connections, %u frames queued, %u/%u held",
					 sts[i]->name, k, w->tcp.nflows, w->txq.n,
					 w->fault.rx.nheld, w->fault.tx.nheld);
				bad++;
			}
		}
	}
	if (!link_empty(sim)) {
		sim_fail(sim, "frames left on the link");
		bad++;
	}
	if (sim->o.profile->ce != 0 && sim_ecn_idle(sim)) {
		sim_fail(sim, "CE marks, but no stack echoed or reduced: ECN was not in use");
		bad++;
	}
	return bad == 0 && sim->failures == 0 ? 0 : -1;
}

/* The RTO limit as printed: "0.50", or "unchecked". */
static const char *
rto_limit_str(double limit, char *buf, size_t len)
{
	if (limit < 0)
		snprintf(buf, len, "unchecked");
	else
		snprintf(buf, len, "%.2f", limit);
	return buf;
}

/* Retransmission timeouts of both stacks (*fin: those with only a FIN out, apart) per
 * MiB the applications received (both directions). */
static double
sim_rto_per_mb(const struct sim *sim, uint64_t *rto, uint64_t *fin, double *mib)
{
	struct sl_stats a, b;
	uint64_t bytes = 0;
	unsigned int i;

	sl_stack_stats(sim->A.s, &a);
	sl_stack_stats(sim->B.s, &b);
	for (i = 0; i < sim->nflows; i++)
		bytes += sim->flows[i].a.rx_off + sim->flows[i].b.rx_off;
	/* A FIN alone in flight waits for the RTO with any stack (RFC 8985 §7.2 adds the
	 * worst-case delayed ACK to the probe timeout of a one-segment flight): not a
	 * failure of loss recovery, counted apart. */
	*rto = a.tcp_rto - a.tcp_rto_fin + b.tcp_rto - b.tcp_rto_fin;
	*fin = a.tcp_rto_fin + b.tcp_rto_fin;
	*mib = bytes / 1048576.0;
	return *mib > 0 ? *rto / *mib : 0.0;
}

/* Losses are meant to be repaired without the RTO: fail above the limit. */
static int
sim_check_rto(struct sim *sim, double *per_mb)
{
	double limit = sim->o.max_rto_per_mb, mib;
	char lim[32];
	uint64_t rto, fin;

	*per_mb = sim_rto_per_mb(sim, &rto, &fin, &mib);
	printf("  retransmission timeouts: %" PRIu64 " for %.2f MiB delivered, %.2f per MiB "
	       "(limit %s); %" PRIu64 " more with only a FIN out\n", rto, mib, *per_mb,
	       rto_limit_str(limit, lim, sizeof(lim)), fin);
	if (limit < 0 || *per_mb <= limit)
		return 0;
	sim_fail(sim, "%" PRIu64 " retransmission timeouts for %.2f MiB delivered: %.2f per MiB, "
		 "above the limit of %.2f (%s%s; loss recovery should repair losses without "
		 "them)", rto, mib, *per_mb, limit, sim->o.max_rto_set ? "--max-rto-per-mb" :
		 "profile ", sim->o.max_rto_set ? "" : sim->o.profile->name);
	return -1;
}

/* ---- main ---- */

static void
usage(FILE *f, const char *prog)
{
	char lim[32];
	unsigned int i;

	fprintf(f, "usage: %s --profile NAME [options]\n"
		"  --profile NAME     fault profile (below)\n"
		"  --seed N           seed of everything random (default 1)\n"
		"  --flows N          connections (default 16)\n"
		"  --bytes N[k|m]     longest stream per direction per flow (default 1m)\n"
		"  --long             4x the flows and 8x the bytes (also SL_SIM_LONG=1)\n"
		"  --delay-us N       one-way link delay (default: the profile's)\n"
		"  --mbufs N          mbufs per stack (default: sized to the flows)\n"
		"  --drop-ppm N       frames lost per hop, per million (default: the profile's)\n"
		"  --no-pauses        receivers never pause\n"
		"  --no-abandon       paused receivers always resume (never close early)\n"
		"  --keep-going       run on after the first failure\n"
		"  --step-us N        virtual time per busy iteration (default 10)\n"
		"  --max-vtime-s N    virtual time bound of the transfer (default 3600, --long 14400)\n"
		"  --max-steps N      iteration bound (default 100000000)\n"
		"  --dump-at-ms N     print the unfinished flows at virtual time N ms\n"
		"  --pcap FILE        write every frame on the link to FILE, as sent\n"
		"  -v, --verbose      every non-zero counter at the end\n"
		"  --workers N        workers (and queue pairs) per stack, 1 to 4 (default 1)\n"
		"  --max-rto-per-mb X fail above X retransmission timeouts per MiB delivered\n"
		"                     (default: the profile's limit; off: no limit)\n"
		"profiles (rates per hop; RTO limit per MiB):\n", prog);
	for (i = 0; i < RTE_DIM(sim_profiles); i++)
		fprintf(f, "  %-10s %s; %s\n", sim_profiles[i].name, sim_profiles[i].desc,
			rto_limit_str(sim_profiles[i].max_rto_per_mb, lim, sizeof(lim)));
}

static int
parse_u64(const char *s, uint64_t *v)
{
	unsigned long long n;
	char *end;

	errno = 0;
	n = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *s == '-')
		return -1;
	if (*end == 'k' || *end == 'K') {
		n <<= 10;
		end++;
	} else if (*end == 'm' || *end == 'M') {
		n <<= 20;
		end++;
	}
	if (*end != '\0')
		return -1;
	*v = n;
	return 0;
}

static int
parse_opts(int argc, char **argv, struct sim_opts *o)
{
	static const struct option lo[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 's' },
		{ "flows", required_argument, NULL, 'f' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "long", no_argument, NULL, 'L' },
		{ "delay-us", required_argument, NULL, 'd' },
		{ "mbufs", required_argument, NULL, 'm' },
		{ "drop-ppm", required_argument, NULL, 'l' },
		{ "no-pauses", no_argument, NULL, 'P' },
		{ "keep-going", no_argument, NULL, 'K' },
		{ "no-abandon", no_argument, NULL, 'A' },
		{ "step-us", required_argument, NULL, 't' },
		{ "max-vtime-s", required_argument, NULL, 'T' },
		{ "max-steps", required_argument, NULL, 'S' },
		{ "dump-at-ms", required_argument, NULL, 'D' },
		{ "pcap", required_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "workers", required_argument, NULL, 'W' },
		{ "max-rto-per-mb", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv("SL_SIM_LONG");
	bool lng = env != NULL && *env != '\0' && strcmp(env, "0") != 0;
	bool vtime_set = false;
	unsigned int i;
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->flows = 16;
	o->bytes = 1024 * 1024;
	o->step_us = 10;
	o->delay_us = -1;
	o->drop_ppm = -1;
	o->max_vtime_us = 3600ull * 1000000;
	o->max_steps = 100000000;
	o->pauses = true;
	o->abandons = true;
	o->workers = 1;
	while ((c = getopt_long(argc, argv, "vh", lo, NULL)) != -1) {
		switch (c) {
		case 'p':
			for (i = 0; i < RTE_DIM(sim_profiles); i++)
				if (strcmp(optarg, sim_profiles[i].name) == 0)
					o->profile = &sim_profiles[i];
			if (o->profile == NULL) {
				fprintf(stderr, "unknown profile '%s'\n", optarg);
				return -1;
			}
			continue;
		case 'L':
			lng = true;
			continue;
		case 'P':
			o->pauses = false;
			continue;
		case 'K':
			o->keep_going = true;
			continue;
		case 'A':
			o->abandons = false;
			continue;
		case 'C':
			o->pcap = optarg;
			continue;
		case 'v':
			o->verbose = true;
			continue;
		case 'W':
			o->workers = (unsigned int)strtoul(optarg, NULL, 10);
			if (o->workers < 1 || o->workers > SIM_MAX_WORKERS) {
				fprintf(stderr, "--workers: 1 to %u\n", SIM_MAX_WORKERS);
				return -1;
			}
			continue;
		case 'R': {
			char *end;

			o->max_rto_set = true;
			if (strcmp(optarg, "off") == 0) {
				o->max_rto_per_mb = SIM_UNCHECKED;
				continue;
			}
			errno = 0;
			o->max_rto_per_mb = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !(o->max_rto_per_mb >= 0)) {
				fprintf(stderr, "--max-rto-per-mb: a number >= 0, or off\n");
				return -1;
			}
			continue;
		}
		case 'h':
			usage(stdout, argv[0]);
			exit(0);
		case '?':
			return -1;
		default:
			break;
		}
		/* Every other option takes a number. */
		if (parse_u64(optarg, &v) != 0) {
			fprintf(stderr, "bad number '%s'\n", optarg);
			return -1;
		}
		switch (c) {
		case 's':
			o->seed = v;
			break;
		case 'f':
			o->flows = (unsigned int)RTE_MIN(v, (uint64_t)UINT32_MAX);
			break;
		case 'b':
			o->bytes = v;
			break;
		case 'd':
			o->delay_us = (int64_t)RTE_MIN(v, (uint64_t)10000000);
			break;
		case 'l':
			o->drop_ppm = (int64_t)RTE_MIN(v, (uint64_t)SIM_PPM);
			break;
		case 'm':
			o->mbufs = (uint32_t)RTE_MIN(v, (uint64_t)UINT32_MAX);
			break;
		case 't':
			o->step_us = (uint32_t)RTE_MIN(v, (uint64_t)UINT32_MAX);
			break;
		case 'T':
			o->max_vtime_us = v * 1000000;
			vtime_set = true;
			break;
		case 'S':
			o->max_steps = v;
			break;
		case 'D':
			o->dump_at_us = v * 1000;
			break;
		default:
			return -1;
		}
	}
	if (optind != argc || o->profile == NULL) {
		usage(stderr, argv[0]);
		return -1;
	}
	if (!o->max_rto_set)
		o->max_rto_per_mb = o->profile->max_rto_per_mb;
	if (lng) {
		o->flows *= 4;
		o->bytes *= 8;
		/* Heavy loss moves 8x the bytes in about that much more virtual time. */
		if (!vtime_set)
			o->max_vtime_us *= 4;
	}
	if (o->flows == 0 || o->flows > SIM_MAX_FLOWS || o->bytes == 0 || o->step_us == 0) {
		fprintf(stderr, "flows must be 1..%u; bytes and step-us above 0\n",
			SIM_MAX_FLOWS);
		return -1;
	}
	return 0;
}

static double
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static struct sim sim_storage;	/* large (the delay lines): not on the stack */
	struct sim *sim = &sim_storage;
	unsigned int leaked_a, leaked_b, i;
	double t0, rto_per_mb;
	char lim[32], drop[32] = "";
	int rc;

	/* Keep the report in order with the failures printed on stderr. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_opts(argc, argv, &sim->o) != 0)
		return 2;
	eal_init("sim", &sim->o);
	t0 = wall_now();
	sim->flows = calloc(sim->o.flows, sizeof(*sim->flows));
	if (sim->flows == NULL)
		return 2;
	sim->nflows = sim->o.flows;
	sim->now = SIM_T0_US;
	sim->delay_us = sim->o.delay_us >= 0 ? (uint32_t)sim->o.delay_us :
			sim->o.profile->delay_us;
	flow_plan(sim);
	if (sim->o.pcap != NULL)
		pcap_open(sim, sim->o.pcap);
	if (sim_stack_create(sim, &sim->A, "A", SIM_IP_A, 0xa) != 0 ||
	    sim_stack_create(sim, &sim->B, "B", SIM_IP_B, 0xb) != 0)
		return 2;
	sim->ab.from = &sim->A;
	sim->ab.to = &sim->B;
	sim->ba.from = &sim->B;
	sim->ba.to = &sim->A;
	rc = sl_stack_listen(sim->B.s, SIM_PORT, &sim_ops_b, sim);
	if (rc != 0) {
		fprintf(stderr, "sim: sl_stack_listen: %s\n", strerror(-rc));
		return 2;
	}
	if (sl_stack_start(sim->A.s) != 0 || sl_stack_start(sim->B.s) != 0)
		return 2;
	sim->A.baseline = stack_in_use(&sim->A);
	sim->B.baseline = stack_in_use(&sim->B);

	if (sim->o.drop_ppm >= 0)
		snprintf(drop, sizeof(drop), " --drop-ppm %" PRId64, sim->o.drop_ppm);
	printf("sim: profile %s seed %" PRIu64 " flows %u bytes %" PRIu64 " delay %u us "
	       "(replay: %s --profile %s --seed %" PRIu64 " --flows %u --bytes %" PRIu64
	       " --delay-us %u%s%s%s --workers %u)\n", sim->o.profile->name, sim->o.seed,
	       sim->o.flows, sim->o.bytes, sim->delay_us, argv[0], sim->o.profile->name,
	       sim->o.seed, sim->o.flows, sim->o.bytes, sim->delay_us, drop,
	       sim->o.pauses ? "" : " --no-pauses", sim->o.abandons ? "" : " --no-abandon",
	       sim->o.workers);

	rc = sim_transfer(sim);
	if (rc == 0) {
		printf("  transfer done in %.3f s virtual, %" PRIu64 " steps\n",
		       vsec(sim->last_close - SIM_T0_US), sim->steps);
		rc = sim_quiesce(sim);
	}
	if (sim_check(sim) != 0)
		rc = -1;
	print_stats(&sim->A, sim->o.verbose || rc != 0);
	print_stats(&sim->B, sim->o.verbose || rc != 0);
	if (sim_check_rto(sim, &rto_per_mb) != 0)
		rc = -1;
	printf("sim: %s profile %s seed %" PRIu64 " flows %u bytes %" PRIu64 ": transfer %.3f s "
	       "virtual (%.3f s with quiescing), wall %.2f s, %" PRIu64 " steps, %" PRIu64
	       " sends or connects found no mbuf, %.2f RTOs per MiB (limit %s)\n",
	       rc == 0 ? "PASS" : "FAIL", sim->o.profile->name, sim->o.seed, sim->o.flows,
	       sim->o.bytes, vsec(sim->last_close ? sim->last_close - SIM_T0_US : 0),
	       vsec(sim->now - SIM_T0_US), wall_now() - t0, sim->steps, sim->nobufs_events,
	       rto_per_mb, rto_limit_str(sim->o.max_rto_per_mb, lim, sizeof(lim)));
	if (sim->pcap != NULL)
		fclose(sim->pcap);
	if (rc != 0) {
		/* No teardown: with connections still holding the other stack's mbufs, freeing
		 * one pool before the other would only add noise to the report. */
		return 1;
	}

	line_drain(&sim->ab);
	line_drain(&sim->ba);
	for (i = 0; i < sim->A.nw; i++) {
		ring_drain(sim->A.rxq[i]);
		ring_drain(sim->A.txq[i]);
		ring_drain(sim->B.rxq[i]);
		ring_drain(sim->B.txq[i]);
	}
	leaked_a = sl_stack_destroy(sim->A.s);
	leaked_b = sl_stack_destroy(sim->B.s);
	for (i = 0; i < sim->A.nw; i++) {
		rte_ring_free(sim->A.rxq[i]);
		rte_ring_free(sim->A.txq[i]);
		rte_ring_free(sim->B.rxq[i]);
		rte_ring_free(sim->B.txq[i]);
	}
	free(sim->flows);
	rte_eal_cleanup();
	if (leaked_a != 0 || leaked_b != 0) {
		fprintf(stderr, "sim: FAIL sl_stack_destroy reports leaked mbufs: A %u, B %u\n",
			leaked_a, leaked_b);
		return 1;
	}
	return 0;
}
