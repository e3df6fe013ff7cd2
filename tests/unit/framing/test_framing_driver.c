/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_framing_driver.c -- the deserializer driver (lib/framing/framing.c) and the cursor
 * (lib/framing/cursor.c), through the framing kit.
 *
 * A small, correct test protocol ("tlv") exercises what a deserializer may legally ask
 * for -- messages at an offset inside what they consume, fields, empty messages, SKIP
 * beyond what has arrived, errors that resynchronise, state kept across NEED -- under
 * every segmentation, both delivery modes and SL_RX_AGAIN pauses. Deliberately broken
 * deserializers then return every kind of impossible answer: the driver must end the
 * stream with SL_EPLUGIN (abort), never crash, loop or leak, whatever the policy.
 */

#include <errno.h>

#include "unit.h"

#include <sluice/framing.h>

#include "framing/framing_priv.h"
#include "framing_kit.h"

/* ---- tlv: a well-behaved test protocol ----
 *
 *   'M' L <L bytes>   a message of L bytes (type 'M'), two fields: its halves
 *   'W' L <4L bytes>  a message of 4L bytes (type 'W'), no fields
 *   'Z'               an empty message (type 'Z')
 *   'S' L <L bytes>   skipped (SKIP 2 + L, usually beyond what has arrived)
 *   'E'               error EBADMSG at the 'E', resynchronising past it
 *   'R' L <L bytes>   error EBADMSG at the 'R', resynchronising past the L bytes
 *   'B' <bytes>       the rest of the stream up to FIN is one message (type 'B'), from
 *                     eof(); its state (in_body) must survive NEED and SL_RX_AGAIN
 *   anything else     error EPROTO, no resynchronising
 *
 * The state remembers a header already read (so NEED asks for the whole body at once).
 * The protocol does not check max_msg: the driver must.
 */

struct tlv_state {
	uint8_t kind;			/* header read: 'M' or 'W' (0: none) */
	uint8_t len;
	bool in_body;			/* after 'B' */
};

static enum sl_ds_verdict
tlv_frame(void *state, const void *arg, const struct sl_cursor *in, uint32_t resume,
	  struct sl_ds_result *r)
{
	struct tlv_state *st = state;
	uint32_t avail = sl_cursor_avail(in), body;
	uint8_t k = sl_cursor_byte(in, 0);

	(void)arg;
	(void)resume;
	if (st->in_body) {
		r->need = avail + 1;
		r->scanned = avail;
		return SL_DS_NEED;
	}
	if (st->kind == 0) {
		switch (k) {
		case 'Z':
			r->consumed = 1;
			r->msg_type = 'Z';
			return SL_DS_FRAME;
		case 'E':
			r->err = EBADMSG;
			r->resync = true;
			r->skip = 1;
			return SL_DS_ERROR;
		case 'B':
			st->in_body = true;
			r->need = avail + 1;
			r->scanned = avail;
			return SL_DS_NEED;
		case 'M':
		case 'W':
		case 'S':
		case 'R':
			if (avail < 2) {
				r->need = 2;
				return SL_DS_NEED;
			}
			break;
		default:
			r->err = EPROTO;
			return SL_DS_ERROR;
		}
		if (k == 'S' || k == 'R') {
			uint64_t skip = 2 + (uint64_t)sl_cursor_byte(in, 1);

			if (k == 'S') {
				r->skip = skip;
				return SL_DS_SKIP;
			}
			r->err = EBADMSG;
			r->resync = true;
			r->skip = skip;
			return SL_DS_ERROR;
		}
		st->kind = k;
		st->len = sl_cursor_byte(in, 1);
	}
	body = st->kind == 'W' ? 4u * st->len : st->len;
	if (avail < 2 + body) {
		r->need = 2 + body;
		r->scanned = avail;
		return SL_DS_NEED;
	}
	r->consumed = 2 + body;
	r->msg_off = 2;
	r->msg_len = body;
	r->msg_type = st->kind;
	if (st->kind == 'M') {
		r->nfields = 2;
		r->fields[0] = (struct sl_field){ 0, body / 2 };
		r->fields[1] = (struct sl_field){ body / 2, body - body / 2 };
	}
	memset(st, 0, sizeof(*st));
	return SL_DS_FRAME;
}

static enum sl_ds_verdict
tlv_eof(void *state, const void *arg, const struct sl_cursor *in, struct sl_ds_result *r)
{
	struct tlv_state *st = state;
	uint32_t avail = sl_cursor_avail(in);

	(void)arg;
	if (st->in_body) {
		r->consumed = avail;
		r->msg_off = 1;
		r->msg_len = avail - 1;
		r->msg_type = 'B';
		memset(st, 0, sizeof(*st));
		return SL_DS_FRAME;
	}
	if (avail == 0)
		return SL_DS_DONE;
	r->err = EPIPE;
	r->err_off = avail;
	return SL_DS_ERROR;
}

static const struct sl_deserializer tlv_ds = {
	.name = "tlv",
	.state_size = sizeof(struct tlv_state),
	.max_msg = 64,
	.frame = tlv_frame,
	.eof = tlv_eof,
};

/* The same, with messages up to 1 KiB (more slices than a slice list may have). */
static const struct sl_deserializer tlv_big_ds = {
	.name = "tlv-big",
	.state_size = sizeof(struct tlv_state),
	.max_msg = 1024,
	.frame = tlv_frame,
	.eof = tlv_eof,
};

/* The same, messages always contiguous, and without eof() (the driver's default). */
static const struct sl_deserializer tlv_contig_ds = {
	.name = "tlv-contig",
	.state_size = sizeof(struct tlv_state),
	.max_msg = 64,
	.flags = SL_DS_F_CONTIG,
	.frame = tlv_frame,
};

static const struct sl_framing tlv_close = { .ds = &tlv_ds, .on_error = SL_FRAMING_CLOSE };
static const struct sl_framing tlv_abort = { .ds = &tlv_ds, .on_error = SL_FRAMING_ABORT };
static const struct sl_framing tlv_resync = { .ds = &tlv_ds, .on_error = SL_FRAMING_RESYNC };
static const struct sl_framing tlv_big = { .ds = &tlv_big_ds, .on_error = SL_FRAMING_CLOSE };
static const struct sl_framing tlv_contig = { .ds = &tlv_contig_ds };

static const struct sl_field f_ab[] = { { 0, 1 }, { 1, 1 } };
static const struct sl_field f_abc[] = { { 0, 1 }, { 1, 2 } };
static const struct sl_field f_empty[] = { { 0, 0 }, { 0, 0 } };

static void
test_tlv_messages(void **state)
{
	static const char in[] = "M\x02" "abZM\x03" "abcM\x00" "Z";
	const struct slk_emsg want[] = {
		{ SLK_STR("ab"), 'M', 2, f_ab },
		{ SLK_STR(""), 'Z', 0, NULL },
		{ SLK_STR("abc"), 'M', 2, f_abc },
		{ SLK_STR(""), 'M', 2, f_empty },
		{ SLK_STR(""), 'Z', 0, NULL },
	};
	struct slk_case c = { .name = "tlv messages", .fr = &tlv_close, SLK_IN(in),
			      .fin = true };
	struct slk_transcript tr;

	(void)state;
	slk_run(&c, &tr);
	slk_expect(&tr, want, RTE_DIM(want), 0, 0, SLK_END_EOF);
	/* Stream offsets: the message is after its 2-byte header. */
	assert_int_equal(tr.msgs[0].stream_off, 2);
	assert_int_equal(tr.msgs[1].stream_off, 4);
	assert_int_equal(tr.msgs[2].stream_off, 7);
	assert_int_equal(tr.consumed, sizeof(in) - 1);
	slk_transcript_free(&tr);
}

/* Exactly max_msg consumed is a message; one more is EMSGSIZE, which the driver finds
 * although the protocol never checks (on the unsplit stream from the FRAME, cut finely
 * from the NEED). */
static void
test_max_msg_enforced(void **state)
{
	uint8_t in[2 + 62 + 2 + 63];
	struct slk_case c = { .name = "max_msg", .fr = &tlv_close, .in = in,
			      .len = sizeof(in), .fin = true, .pair_max = 64 };
	struct slk_transcript tr;

	(void)state;
	in[0] = 'M';
	in[1] = 62;
	memset(in + 2, 'x', 62);
	in[64] = 'M';
	in[65] = 63;
	memset(in + 66, 'y', 63);
	slk_run(&c, &tr);
	assert_int_equal(tr.nmsgs, 1);
	assert_int_equal(tr.msgs[0].len, 62);
	assert_int_equal(tr.nerrs, 1);
	assert_int_equal(tr.errs[0].err, EMSGSIZE);
	assert_int_equal(tr.errs[0].off, 64);
	assert_int_equal(tr.end, SLK_END_CLOSE);
	assert_int_equal(tr.consumed, 64);
	slk_transcript_free(&tr);
}

/* A message up to FIN: eof() frames it from the state frame() left (in_body). Pausing it
 * (SL_RX_AGAIN) must not lose that state. */
static void
test_eof_message(void **state)
{
	const struct slk_emsg want[] = {
		{ SLK_STR("ab"), 'M', 2, f_ab },
		{ SLK_STR("the rest"), 'B', 0, NULL },
	};
	struct slk_case c = { .name = "eof message", .fr = &tlv_close,
			      SLK_IN("M\x02" "abBthe rest"), .fin = true };

	(void)state;
	slk_check(&c, want, RTE_DIM(want), 0, 0, SLK_END_EOF);
	/* Without FIN the body is still pending. */
	c.fin = false;
	slk_check(&c, want, 1, 0, 0, SLK_END_IDLE);
}

/* FIN inside a message: the deserializer's EPIPE; without eof() the driver's own. */
static void
test_fin_inside(void **state)
{
	struct slk_case c = { .name = "fin inside", .fr = &tlv_close, SLK_IN("ZM\x05" "ab"),
			      .fin = true };
	const struct slk_emsg want[] = { { SLK_STR(""), 'Z', 0, NULL } };

	(void)state;
	/* tlv's eof(): the offset is the end of what arrived. */
	slk_check(&c, want, 1, EPIPE, 1 + 4, SLK_END_CLOSE);
	/* The driver's default: the offset is the start of the cut message. */
	c.fr = &tlv_contig;
	slk_check(&c, want, 1, EPIPE, 1, SLK_END_CLOSE);
	/* Nothing left at FIN: a clean end, with or without eof(). */
	c.in = "Z";
	c.len = 1;
	slk_check(&c, want, 1, 0, 0, SLK_END_EOF);
	c.fr = &tlv_close;
	slk_check(&c, want, 1, 0, 0, SLK_END_EOF);
}

/* SKIP beyond what has arrived: the rest is dropped as it comes; SKIP past FIN ends. */
static void
test_skip_beyond(void **state)
{
	uint8_t in[2 + 200 + 3];
	const struct slk_emsg want[] = { { SLK_STR("q"), 'M', 2, NULL } };
	struct slk_case c = { .name = "skip beyond", .fr = &tlv_close, .in = in,
			      .len = sizeof(in), .fin = true, .pair_max = 100 };
	struct slk_transcript tr;

	(void)state;
	in[0] = 'S';
	in[1] = 200;
	memset(in + 2, 'M', 200);	/* would be messages if not skipped */
	memcpy(in + 202, "M\x01q", 3);
	slk_check(&c, want, 1, 0, 0, SLK_END_EOF);
	/* The skip ends past the stream: FIN while skipping is a clean end. */
	c.len = 150;
	slk_run(&c, &tr);
	slk_expect(&tr, NULL, 0, 0, 0, SLK_END_EOF);
	assert_int_equal(tr.consumed, 150);
	slk_transcript_free(&tr);
}

/* Errors under each policy. */
static void
test_error_policies(void **state)
{
	static const char in[] = "M\x01" "aEM\x01" "bR\x03xyzM\x01" "c";
	const struct slk_emsg want[] = {
		{ SLK_STR("a"), 'M', 2, NULL },
		{ SLK_STR("b"), 'M', 2, NULL },
		{ SLK_STR("c"), 'M', 2, NULL },
	};
	struct slk_case c = { .name = "policies", .fr = &tlv_close, SLK_IN(in), .fin = true };
	struct slk_transcript tr;

	(void)state;
	slk_check(&c, want, 1, EBADMSG, 3, SLK_END_CLOSE);
	c.fr = &tlv_abort;
	slk_check(&c, want, 1, EBADMSG, 3, SLK_END_ABORT);
	/* Resync: both bad parts dropped (the second one's skip spans later mbufs). */
	c.fr = &tlv_resync;
	slk_run(&c, &tr);
	assert_int_equal(tr.nmsgs, 3);
	assert_int_equal(tr.nerrs, 2);
	assert_int_equal(tr.errs[0].err, EBADMSG);
	assert_int_equal(tr.errs[0].off, 3);
	assert_int_equal(tr.errs[1].err, EBADMSG);
	assert_int_equal(tr.errs[1].off, 7);
	assert_int_equal(tr.consumed, sizeof(in) - 1);
	slk_transcript_free(&tr);
	/* An error that cannot resync closes even under RESYNC. */
	c.in = "M\x01" "a?M\x01" "b";
	c.len = 7;
	slk_check(&c, want, 1, EPROTO, 3, SLK_END_CLOSE);
}

/* Messages spanning more slices than a slice list may have are copied instead; a
 * SL_DS_F_CONTIG deserializer never gets slice lists (the kit checks the flags). */
static void
test_delivery_modes(void **state)
{
	uint8_t in[2 + 4 * 40 + 3];
	struct slk_case c = { .name = "160-byte message", .fr = &tlv_big, .in = in,
			      .len = sizeof(in), .fin = true, .flags = SLK_F_NO_PAIRS };
	struct slk_transcript tr;
	unsigned int i;

	(void)state;
	in[0] = 'W';
	in[1] = 40;
	for (i = 0; i < 160; i++)
		in[2 + i] = (uint8_t)i;
	memcpy(in + 162, "M\x01z", 3);
	slk_run(&c, &tr);
	assert_int_equal(tr.nmsgs, 2);
	assert_int_equal(tr.msgs[0].len, 160);
	assert_int_equal(tr.msgs[0].type, 'W');
	assert_memory_equal(slk_msg_data(&tr, 0), in + 2, 160);
	slk_transcript_free(&tr);

	c.name = "contiguous only";
	c.fr = &tlv_contig;
	c.in = "M\x08" "abcdefghZ";
	c.len = 11;
	c.flags = 0;
	slk_run(&c, &tr);
	assert_int_equal(tr.nmsgs, 2);
	assert_memory_equal(slk_msg_data(&tr, 0), "abcdefgh", 8);
	slk_transcript_free(&tr);
}

/* Many messages in one segment, more than one pass's budget. */
static void
test_many_in_one_segment(void **state)
{
	uint8_t in[3 * 300];
	struct slk_case c = { .name = "300 messages", .fr = &tlv_close, .in = in,
			      .len = sizeof(in), .fin = true, .flags = SLK_F_NO_PAIRS,
			      .random_runs = 50 };
	struct slk_transcript tr;
	unsigned int i;

	(void)state;
	for (i = 0; i < 300; i++) {
		in[3 * i] = 'M';
		in[3 * i + 1] = 1;
		in[3 * i + 2] = (uint8_t)('a' + i % 26);
	}
	slk_run(&c, &tr);
	assert_int_equal(tr.nmsgs, 300);
	for (i = 0; i < 300; i++) {
		assert_int_equal(tr.msgs[i].stream_off, 3 * i + 2);
		assert_int_equal(slk_msg_data(&tr, i)[0], 'a' + i % 26);
	}
	assert_int_equal(tr.end, SLK_END_EOF);
	slk_transcript_free(&tr);
}

/* ---- broken deserializers ----
 *
 * "bad" frames one-byte messages for 'g' and answers according to its mode on any other
 * byte. Each mode is one way to break the contract.
 */

enum bad_mode {
	BAD_CONSUMED_ZERO,
	BAD_CONSUMED_GT_AVAIL,
	BAD_MSG_OUTSIDE,
	BAD_MSG_OFF_WRAP,
	BAD_FIELD_OUTSIDE,
	BAD_FIELD_WRAP,
	BAD_NFIELDS,
	BAD_NFIELDS_RAISED,
	BAD_FIELDS_MOVED,
	BAD_NEED_LE_AVAIL,
	BAD_NEED_ZERO,
	BAD_SKIP_ZERO,
	BAD_ERR_ZERO,
	BAD_ERR_NEGATIVE,
	BAD_ERR_OFF,
	BAD_VERDICT,
	BAD_DONE_FROM_FRAME,
	BAD_RESYNC_ZERO,
	BAD_EOF_VERDICT,
	BAD_EOF_CONSUMED,
	BAD_EOF_ERR_OFF,
	BAD_EOF_MSG_OUTSIDE,
	BAD_MODES,
};

struct bad_cfg {
	enum bad_mode mode;
	unsigned int calls;		/* frame() calls, to detect a driver that loops */
};

static struct sl_field bad_other_fields[4];

static enum sl_ds_verdict
bad_frame(void *state, const void *arg, const struct sl_cursor *in, uint32_t resume,
	  struct sl_ds_result *r)
{
	struct bad_cfg *cfg = (struct bad_cfg *)(uintptr_t)arg;
	uint32_t avail = sl_cursor_avail(in);

	(void)state;
	(void)resume;
	if (++cfg->calls > 10000) {
		/* The driver keeps calling: stop it so the test can fail instead of hang. */
		r->err = EDEADLK;
		return SL_DS_ERROR;
	}
	if (sl_cursor_byte(in, 0) == 'g') {
		r->consumed = 1;
		r->msg_len = 1;
		return SL_DS_FRAME;
	}
	switch (cfg->mode) {
	case BAD_CONSUMED_ZERO:
		r->consumed = 0;
		return SL_DS_FRAME;
	case BAD_CONSUMED_GT_AVAIL:
		r->consumed = avail + 1;
		r->msg_len = 1;
		return SL_DS_FRAME;
	case BAD_MSG_OUTSIDE:
		r->consumed = avail;
		r->msg_off = 1;
		r->msg_len = avail;
		return SL_DS_FRAME;
	case BAD_MSG_OFF_WRAP:
		r->consumed = avail;
		r->msg_off = UINT32_MAX;
		r->msg_len = 2;
		return SL_DS_FRAME;
	case BAD_FIELD_OUTSIDE:
		r->consumed = avail;
		r->msg_len = avail;
		r->nfields = 1;
		r->fields[0] = (struct sl_field){ avail - 1, 2 };
		return SL_DS_FRAME;
	case BAD_FIELD_WRAP:
		r->consumed = avail;
		r->msg_len = avail;
		r->nfields = 1;
		r->fields[0] = (struct sl_field){ UINT32_MAX, 2 };
		return SL_DS_FRAME;
	case BAD_NFIELDS:
		r->consumed = avail;
		r->msg_len = avail;
		r->nfields = r->max_fields + 1;
		return SL_DS_FRAME;
	case BAD_NFIELDS_RAISED:
		/* Claims more room than the stack gave it. */
		r->consumed = avail;
		r->msg_len = avail;
		r->max_fields = UINT32_MAX;
		r->nfields = FRAMING_MAX_FIELDS + 1;
		return SL_DS_FRAME;
	case BAD_FIELDS_MOVED:
		/* Points the stack at fields of its own. */
		r->consumed = avail;
		r->msg_len = avail;
		r->fields = bad_other_fields;
		r->max_fields = 4;
		r->nfields = 1;
		return SL_DS_FRAME;
	case BAD_NEED_LE_AVAIL:
		r->need = avail;
		return SL_DS_NEED;
	case BAD_NEED_ZERO:
		return SL_DS_NEED;
	case BAD_SKIP_ZERO:
		return SL_DS_SKIP;
	case BAD_ERR_ZERO:
		r->err = 0;
		return SL_DS_ERROR;
	case BAD_ERR_NEGATIVE:
		r->err = -EPROTO;
		return SL_DS_ERROR;
	case BAD_ERR_OFF:
		r->err = EPROTO;
		r->err_off = avail + 1;
		return SL_DS_ERROR;
	case BAD_VERDICT:
		return (enum sl_ds_verdict)77;
	case BAD_DONE_FROM_FRAME:
		return SL_DS_DONE;
	case BAD_RESYNC_ZERO:
		/* "Resync by dropping nothing": the same error again, forever. */
		r->err = EPROTO;
		r->resync = true;
		r->skip = 0;
		return SL_DS_ERROR;
	default:
		/* eof modes: frame() waits for more */
		r->need = avail + 1;
		r->scanned = avail;
		return SL_DS_NEED;
	}
}

static enum sl_ds_verdict
bad_eof(void *state, const void *arg, const struct sl_cursor *in, struct sl_ds_result *r)
{
	const struct bad_cfg *cfg = arg;
	uint32_t avail = sl_cursor_avail(in);

	(void)state;
	if (avail == 0)
		return SL_DS_DONE;
	switch (cfg->mode) {
	case BAD_EOF_VERDICT:
		return SL_DS_NEED;
	case BAD_EOF_CONSUMED:
		r->consumed = avail + 1;
		return SL_DS_FRAME;
	case BAD_EOF_ERR_OFF:
		r->err = EPIPE;
		r->err_off = avail + 1;
		return SL_DS_ERROR;
	case BAD_EOF_MSG_OUTSIDE:
		r->consumed = avail;
		r->msg_len = avail + 1;
		return SL_DS_FRAME;
	default:
		r->err = EPIPE;
		return SL_DS_ERROR;
	}
}

static void
test_broken_deserializers(void **state)
{
	static const char in[] = "ggbad stream";
	static struct bad_cfg cfg;
	static const struct sl_deserializer ds = {
		.name = "bad",
		.max_msg = 64,
		.arg = &cfg,
		.frame = bad_frame,
		.eof = bad_eof,
	};
	static const struct sl_framing frs[] = {
		{ .ds = &ds, .on_error = SL_FRAMING_CLOSE },
		{ .ds = &ds, .on_error = SL_FRAMING_ABORT },
		{ .ds = &ds, .on_error = SL_FRAMING_RESYNC },
	};
	const struct sl_framing *const list[] = { &frs[0], &frs[1], &frs[2] };
	struct slk_env *env = slk_env_open(list, RTE_DIM(list));
	unsigned int mode, pi, cut;

	(void)state;
	for (mode = 0; mode < BAD_MODES; mode++) {
		for (pi = 0; pi < RTE_DIM(frs); pi++) {
			struct slk_case c = { .name = "bad", .fr = &frs[pi], SLK_IN(in),
					      .fin = true };

			/* Whole, then cut after the good messages and one byte per mbuf. */
			for (cut = 0; cut < 3; cut++) {
				uint32_t ends[sizeof(in)];
				unsigned int n = 0, i;
				struct slk_transcript tr;

				if (cut == 0) {
					ends[n++] = sizeof(in) - 1;
				} else if (cut == 1) {
					ends[n++] = 3;
					ends[n++] = sizeof(in) - 1;
				} else {
					for (i = 1; i < sizeof(in); i++)
						ends[n++] = i;
				}
				cfg.mode = mode;
				cfg.calls = 0;
				slk_env_run_split(env, &c, ends, n, 64, &tr);

				if (tr.nerrs != 1 || tr.errs[0].err != SL_EPLUGIN ||
				    tr.end != SLK_END_ABORT || cfg.calls > 20 ||
				    tr.nmsgs != 2 || tr.consumed != 2)
					fail_msg("mode %u, policy %u, cut %u: %u messages, %u "
						 "errors (first %d), end %s, %llu consumed, %u "
						 "frame() calls", mode, pi, cut, tr.nmsgs, tr.nerrs,
						 tr.nerrs ? tr.errs[0].err : 0,
						 slk_end_str(tr.end),
						 (unsigned long long)tr.consumed, cfg.calls);
				slk_transcript_free(&tr);
			}
		}
	}
	slk_env_close(env);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlv_messages),
		cmocka_unit_test(test_max_msg_enforced),
		cmocka_unit_test(test_eof_message),
		cmocka_unit_test(test_fin_inside),
		cmocka_unit_test(test_skip_beyond),
		cmocka_unit_test(test_error_policies),
		cmocka_unit_test(test_delivery_modes),
		cmocka_unit_test(test_many_in_one_segment),
		cmocka_unit_test(test_broken_deserializers),
	};

	th_eal_init("test_framing_driver");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
