/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TEST_FRAMING_KIT_H
#define SL_TEST_FRAMING_KIT_H

/*
 * The framing test kit: a segmentation sweep for any deserializer.
 *
 * A test vector (struct slk_case) is a byte stream, whether the peer's FIN follows it,
 * and a framing (deserializer, error policy). slk_run() feeds the stream through the
 * REAL driver -- framing_pump() over an rxbuf of mbufs from a real stack's worker pool,
 * exactly what a connection runs -- many times, each time cut differently:
 *
 *   1. whole (the reference run: its transcript is what slk_run() returns)
 *   2. whole again, as slice lists, and with every message paused once (SL_RX_AGAIN)
 *   3. one byte per mbuf (once assembled by copy, once as slice lists)
 *   4. split at every offset (two mbufs)
 *   5. split at every pair of offsets, for streams up to pair_max bytes (three mbufs)
 *   6. random multi-way splits (random_runs of them), seeded: the seed is printed on
 *      failure and SL_KIT_SEED=<seed> replays it
 *
 * Every run after the reference must produce the same transcript: the same messages
 * (stream offset, bytes, type, fields), the same framing errors (errno and stream offset),
 * the same end (EOF delivered or not, closed, aborted) and the same number of consumed
 * bytes. The runs vary, beyond the cut:
 *   - the delivery mode: assembly copy, or slice lists (a copy of the framing with
 *     slices = true), checking the message flags against the mode;
 *   - the per-pass budget (1..4 messages per framing_pump() call, so the leftover is
 *     resumed, sometimes only after the next mbuf arrived);
 *   - SL_RX_AGAIN pauses: the delivery callback refuses a message once at random, and
 *     the driver must frame exactly the same message again on the next call;
 *   - mbufs without tailroom (so every cut stays a slice boundary) or with tailroom (so
 *     rxbuf's small-payload merge runs), and two-segment chains.
 *
 * Whatever the run, each message must be the bytes of the input at its stream offset,
 * lie inside the stream, have its fields inside it, and be delivered in stream order.
 * Every run ends with a leak check: the worker's mbuf pool back to its baseline, the
 * framing's state and assembly pools back to full.
 *
 * Failures are cmocka failures (fail_msg) naming the case, the run, the cut and the seed.
 * slk_run() must be called from inside a cmocka test: it creates its own stack (on a
 * fresh net_ring port, with the framing prepared) and destroys it before returning.
 *
 * Typical use:
 *
 *	static const struct slk_emsg want[] = { { SLK_STR("a") }, { SLK_STR("bc") } };
 *	struct slk_case c = { .name = "two lines", .fr = &fr, SLK_IN("a\nbc\n"), .fin = true };
 *	struct slk_transcript tr;
 *
 *	slk_run(&c, &tr);
 *	slk_expect(&tr, want, 2, 0, 0, SLK_END_EOF);
 *	slk_transcript_free(&tr);
 *
 * Threading: single-threaded (one test at a time); nothing here is thread-safe.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/conn.h>
#include <sluice/framing.h>

/* Defaults of struct slk_case. */
#define SLK_PAIR_MAX		300	/* pairs of cuts for streams up to this many bytes */
#define SLK_RANDOM_RUNS		200	/* random multi-way splits */
#define SLK_OFFSET_MAX		4096	/* every offset up to this; sampled beyond */

/* Flags of struct slk_case. */
#define SLK_F_CONCAT	(1u << 0)	/* message boundaries follow the segmentation (e.g.
					 * sl_ds_raw): compare only the concatenated bytes,
					 * errors and end, not the message list */
#define SLK_F_NO_PAIRS	(1u << 1)	/* skip the pair sweep (long streams) */
#define SLK_F_NO_SLICES	(1u << 2)	/* never run as slice lists */

/** A test vector. */
struct slk_case {
	const char *name;		/**< printed on failure */
	/**
	 * The framing under test: its ds (NULL: the driver's raw deserializer) and its
	 * on_error policy are used; its slices flag is not (both modes are run). Must
	 * stay valid during slk_run(). ds->max_msg decides the stack's --rcvbuf.
	 */
	const struct sl_framing *fr;
	const void *in;			/**< the byte stream (may be NULL when len is 0) */
	size_t len;
	bool fin;			/**< the peer's FIN follows the last byte */
	unsigned int flags;		/**< SLK_F_* */
	unsigned int pair_max;		/**< 0: SLK_PAIR_MAX */
	unsigned int random_runs;	/**< 0: SLK_RANDOM_RUNS (env SL_KIT_RUNS overrides) */
};

/** Initialiser helpers: .in and .len from a string literal. */
#define SLK_IN(s)	.in = (s), .len = sizeof(s) - 1
/** data and len of struct slk_emsg from a string literal. */
#define SLK_STR(s)	(s), (uint32_t)(sizeof(s) - 1)

/** How a run ended once the whole stream (and FIN, if any) was offered. */
enum slk_end {
	SLK_END_IDLE = 0,	/**< waiting for more bytes (no FIN, or FIN not reached) */
	SLK_END_EOF,		/**< FIN reached, every message delivered (on_eof would run) */
	SLK_END_CLOSE,		/**< a framing error with policy CLOSE (or RESYNC refused) */
	SLK_END_ABORT,		/**< a framing error with policy ABORT, or SL_EPLUGIN */
};

/** One delivered message; its bytes and fields are in the transcript's arrays. */
struct slk_msg {
	uint64_t stream_off;	/**< sl_msg.stream_off */
	uint32_t len;
	uint32_t type;
	uint32_t data_off;	/**< its bytes: tr->data + data_off */
	uint32_t nfields;
	uint32_t field0;	/**< its fields: tr->fields + field0 (offsets in the message) */
};

/** One framing error (several only under SL_FRAMING_RESYNC). */
struct slk_err {
	int err;		/**< errno value given to on_error (SL_EPLUGIN for a broken
				 *   deserializer) */
	uint64_t off;		/**< stream offset given to on_error */
};

/**
 * What the reference (unsplit) run delivered. Owned by the caller after slk_run(); free
 * with slk_transcript_free().
 */
struct slk_transcript {
	struct slk_msg *msgs;
	unsigned int nmsgs;
	uint8_t *data;		/**< every message's bytes, concatenated */
	size_t data_len;
	struct sl_field *fields;
	size_t nfields;
	struct slk_err *errs;
	unsigned int nerrs;
	enum slk_end end;
	uint64_t consumed;	/**< stream bytes the driver consumed (framed, skipped) */
	unsigned int runs;	/**< runs slk_run() made (all agreed) */
};

/** An expected message, for slk_expect(). */
struct slk_emsg {
	const void *data;
	uint32_t len;
	uint32_t type;			/**< compared unless SLK_ANY_TYPE */
	uint32_t nfields;		/**< compared when fields != NULL */
	const struct sl_field *fields;	/**< NULL: fields not checked */
};

#define SLK_ANY_TYPE UINT32_MAX

/**
 * Run a test vector through every segmentation (see the file comment) and return the
 * reference run's transcript. Fails the current cmocka test when any run disagrees with
 * the reference, breaks an invariant or leaks.
 *
 * @param c
 *   The vector (read only, not kept).
 * @param tr
 *   Filled with the reference transcript; free it with slk_transcript_free().
 */
void
slk_run(const struct slk_case *c, struct slk_transcript *tr);

/**
 * One run only, cut as given (chunk i is [ends[i-1], ends[i]), ends[n-1] = c->len), as
 * copies, at most budget messages per driver call, no pauses; with the same per-message
 * invariants and leak check as slk_run(). For deserializers whose answers depend on the
 * segmentation on purpose (the driver's tests of broken plug-ins).
 *
 * @param tr
 *   Filled with this run's transcript; free it with slk_transcript_free().
 */
void
slk_run_split(const struct slk_case *c, const uint32_t *ends, unsigned int n,
	      unsigned int budget, struct slk_transcript *tr);

/** Free what slk_run() allocated in tr (tr itself is the caller's). */
void
slk_transcript_free(struct slk_transcript *tr);

/** Bytes of message i of tr (i < tr->nmsgs). */
static inline const uint8_t *
slk_msg_data(const struct slk_transcript *tr, unsigned int i)
{
	return tr->data + tr->msgs[i].data_off;
}

/** Fields of message i of tr. */
static inline const struct sl_field *
slk_msg_fields(const struct slk_transcript *tr, unsigned int i)
{
	return tr->fields + tr->msgs[i].field0;
}

/**
 * Assert a transcript: exactly the n messages of want (bytes, type unless SLK_ANY_TYPE,
 * fields when given), then exactly one framing error err at stream offset err_off (or none
 * when err is 0), and the end. For several errors (resync), check tr->errs directly.
 */
void
slk_expect(const struct slk_transcript *tr, const struct slk_emsg *want, unsigned int n,
	   int err, uint64_t err_off, enum slk_end end);

/** slk_run() then slk_expect(), freeing the transcript. */
void
slk_check(const struct slk_case *c, const struct slk_emsg *want, unsigned int n, int err,
	  uint64_t err_off, enum slk_end end);

/** Name of an end, for messages. */
const char *
slk_end_str(enum slk_end e);

/* ---- lower level: the fuzz targets' entry points ---- */

/** A stack with framings prepared, to run many streams against (see slk_env_open()). */
struct slk_env;

/**
 * Create a stack (a fresh net_ring port on the already initialised EAL) with each of the
 * n framings prepared, both as given and as slice lists. Outside a cmocka test a failure
 * exits (set CMOCKA_TEST_ABORT=1 to abort instead).
 *
 * @return
 *   The environment (freed by slk_env_close()); never NULL.
 */
struct slk_env *
slk_env_open(const struct sl_framing *const *frs, unsigned int n);

/** Destroy the stack, checking for leaks. */
void
slk_env_close(struct slk_env *env);

/** slk_run_split() on an open environment (c->fr must be one of its framings). */
void
slk_env_run_split(struct slk_env *env, const struct slk_case *c, const uint32_t *ends,
		  unsigned int n, unsigned int budget, struct slk_transcript *tr);

/**
 * One fuzz input: the first bytes of data choose a segmentation (cut points, budget,
 * delivery mode, pauses), the rest is the stream, with FIN. Runs the stream whole, then
 * as chosen, and checks that both agree and that every invariant and the leak check
 * hold (fails as slk_run() does). fr must be one of the framings given to
 * slk_env_open(). flags: SLK_F_CONCAT for framings whose boundaries follow the cuts.
 */
void
slk_fuzz_one(struct slk_env *env, const struct sl_framing *fr, unsigned int flags,
	     const uint8_t *data, size_t len);

#endif /* SL_TEST_FRAMING_KIT_H */
