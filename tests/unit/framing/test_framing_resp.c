/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RESP (lib/framing/resp.c): the request and reply deserializers through the framing
 * test kit (every vector whole, one byte per mbuf, split at every offset and pair of
 * offsets, random splits, paused and as slice lists, with a leak check), the incremental
 * contract (a large bulk string in many segments costs a handful of frame() calls), the
 * value serializer and direct writers on a real connection, and sl_resp_read().
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_common.h>

#include <sluice/resp.h>

#include "framing_kit.h"
#include "tcp_helper.h"
#include "unit.h"

/* ---- framings under test ---- */

/* Generous limits for ordinary vectors. */
static const struct sl_resp_cfg cfg_big = {
	.max_msg = 16384, .max_args = 64, .max_bulk = 8192,
};
/* Tight limits for the exact / +1 vectors. */
static const struct sl_resp_cfg cfg_small = {
	.max_msg = 64, .max_args = 3, .max_bulk = 5,
};
/* max_msg tighter than the bulk limit. */
static const struct sl_resp_cfg cfg_msg32 = {
	.max_msg = 32, .max_args = 8, .max_bulk = 100,
};
/* More arguments allowed than a message may report fields. */
static const struct sl_resp_cfg cfg_many = {
	.max_msg = 60000, .max_args = 5000, .max_bulk = 100,
};

static struct sl_deserializer ds_req_big, ds_req_small, ds_req_msg32, ds_req_many;
static struct sl_deserializer ds_rep_big, ds_rep_small;
static struct sl_framing fr_req_big, fr_req_small, fr_req_msg32, fr_req_many;
static struct sl_framing fr_rep_big, fr_rep_small;

static void
framings_init(void)
{
	sl_resp_init(&ds_req_big, NULL, &cfg_big);
	sl_resp_init(&ds_req_small, NULL, &cfg_small);
	sl_resp_init(&ds_req_msg32, NULL, &cfg_msg32);
	sl_resp_init(&ds_req_many, NULL, &cfg_many);
	sl_resp_client_init(&ds_rep_big, NULL, &cfg_big);
	sl_resp_client_init(&ds_rep_small, NULL, &cfg_small);
	fr_req_big = (struct sl_framing){ .ds = &ds_req_big };
	fr_req_small = (struct sl_framing){ .ds = &ds_req_small };
	fr_req_msg32 = (struct sl_framing){ .ds = &ds_req_msg32 };
	fr_req_many = (struct sl_framing){ .ds = &ds_req_many };
	fr_rep_big = (struct sl_framing){ .ds = &ds_rep_big };
	fr_rep_small = (struct sl_framing){ .ds = &ds_rep_small };
}

#define F(o, l) { .off = (o), .len = (l) }
#define NF(a) (uint32_t)RTE_DIM(a), (a)

/* A vector that must produce exactly one framing error and close. */
static void
expect_error(const struct sl_framing *fr, const char *name, const char *in, size_t len,
	     unsigned int nmsgs_before, int err, uint64_t off)
{
	struct slk_case c = { .name = name, .fr = fr, .in = in, .len = len, .fin = true };
	struct slk_transcript tr;

	slk_run(&c, &tr);
	assert_int_equal(tr.nmsgs, nmsgs_before);
	assert_int_equal(tr.nerrs, 1);
	assert_int_equal(tr.errs[0].err, err);
	assert_int_equal(tr.errs[0].off, off);
	assert_int_equal(tr.end, SLK_END_CLOSE);
	slk_transcript_free(&tr);
}

#define EXPECT_ERROR(fr, s, n, err, off) expect_error((fr), #s, (s), sizeof(s) - 1, (n), \
						      (err), (off))

/* ---- requests: valid ---- */

static void
test_req_multibulk_fields_and_pipelining(void **state)
{
	static const struct sl_field f_ping[] = { F(8, 4) };
	static const struct sl_field f_get[] = { F(8, 3), F(17, 1) };
	static const struct sl_field f_set[] = { F(8, 3), F(17, 1), F(24, 5) };
	static const struct slk_emsg want[] = {
		{ SLK_STR("*1\r\n$4\r\nPING\r\n"), SL_RESP_ARRAY, NF(f_ping) },
		{ SLK_STR("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"), SL_RESP_ARRAY, NF(f_get) },
		{ SLK_STR("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n"), SL_RESP_ARRAY,
		  NF(f_set) },
	};
	struct slk_case c = {
		.name = "pipelined multibulk", .fr = &fr_req_big, .fin = true,
		SLK_IN("*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
		       "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n"),
	};

	(void)state;
	slk_check(&c, want, RTE_DIM(want), 0, 0, SLK_END_EOF);
}

static void
test_req_zero_length_bulk_and_binary(void **state)
{
	static const struct sl_field f1[] = { F(8, 4), F(18, 0) };
	static const struct sl_field f2[] = { F(8, 4), F(18, 6) };
	static const struct slk_emsg want[] = {
		{ SLK_STR("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"), SL_RESP_ARRAY, NF(f1) },
		/* CR, LF, NUL and '*' inside a payload are data */
		{ "*2\r\n$4\r\nECHO\r\n$6\r\n\r\n\0*$\n\r\n", 26, SL_RESP_ARRAY, NF(f2) },
	};
	static const char in[] = "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"
				 "*2\r\n$4\r\nECHO\r\n$6\r\n\r\n\0*$\n\r\n";
	struct slk_case c = {
		.name = "zero-length bulk", .fr = &fr_req_big, .in = in, .len = sizeof(in) - 1,
		.fin = true,
	};

	(void)state;
	slk_check(&c, want, RTE_DIM(want), 0, 0, SLK_END_EOF);
}

static void
test_req_inline_words(void **state)
{
	static const struct sl_field f1[] = { F(0, 4) };
	static const struct sl_field f2[] = { F(0, 3), F(4, 1), F(7, 1) };
	static const struct sl_field f3[] = { F(1, 3), F(5, 1) };
	static const struct sl_field f4[] = { F(0, 4), F(5, 4) };
	static const struct slk_emsg want[] = {
		{ SLK_STR("PING\r\n"), SL_RESP_INLINE, NF(f1) },
		{ SLK_STR("SET k  v\n"), SL_RESP_INLINE, NF(f2) },
		{ SLK_STR("\tGET\tk \r\n"), SL_RESP_INLINE, NF(f3) },
		/* quotes are not interpreted */
		{ SLK_STR("ECHO \"a\"b\n"), SL_RESP_INLINE, NF(f4) },
	};
	struct slk_case c = {
		.name = "inline", .fr = &fr_req_big, .fin = true,
		SLK_IN("PING\r\nSET k  v\n\tGET\tk \r\nECHO \"a\"b\n"),
	};

	(void)state;
	slk_check(&c, want, RTE_DIM(want), 0, 0, SLK_END_EOF);
}

static void
test_req_empty_requests_are_skipped(void **state)
{
	static const struct sl_field f1[] = { F(8, 4) };
	static const struct sl_field f2[] = { F(0, 4) };
	static const struct slk_emsg want[] = {
		{ SLK_STR("*1\r\n$4\r\nPING\r\n"), SL_RESP_ARRAY, NF(f1) },
		{ SLK_STR("PING\n"), SL_RESP_INLINE, NF(f2) },
	};
	struct slk_case c = {
		.name = "empty lines, *0, *-1", .fr = &fr_req_big, .fin = true,
		SLK_IN("\r\n\n  \r\n*0\r\n*-1\r\n*-42\r\n*1\r\n$4\r\nPING\r\n\r\nPING\n*0\r\n"),
	};
	struct slk_transcript tr;

	(void)state;
	slk_run(&c, &tr);
	slk_expect(&tr, want, RTE_DIM(want), 0, 0, SLK_END_EOF);
	assert_int_equal(tr.msgs[0].stream_off, 22);
	assert_int_equal(tr.msgs[1].stream_off, 22 + 14 + 2);
	assert_int_equal(tr.consumed, c.len);
	slk_transcript_free(&tr);
}

static void
test_req_unfinished_waits_or_fails_at_fin(void **state)
{
	struct slk_case c = {
		.name = "unfinished, no FIN", .fr = &fr_req_big,
		SLK_IN("*2\r\n$3\r\nGET\r\n$1\r\n"),
	};

	(void)state;
	slk_check(&c, NULL, 0, 0, 0, SLK_END_IDLE);
	/* FIN inside a request: the driver's default eof (EPIPE at the message start) */
	EXPECT_ERROR(&fr_req_big, "*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk", 1, EPIPE, 14);
	EXPECT_ERROR(&fr_req_big, "PING\r\nGET k", 1, EPIPE, 6);
}

/* A 3000-byte payload split everywhere (and a pipelined request after it). */
static void
test_req_large_bulk_every_split(void **state)
{
	enum { PAY = 3000 };
	char *in = malloc(PAY + 64);
	char *m1;
	size_t n = 0, m1len;
	struct sl_field f1[2] = { F(8, 4), F(21, PAY) };
	static const struct sl_field f2[] = { F(8, 4) };
	struct slk_emsg want[2];
	struct slk_case c = { .name = "3000-byte bulk", .fr = &fr_req_big, .fin = true,
			      .flags = SLK_F_NO_PAIRS, .random_runs = 100 };
	int i;

	(void)state;
	assert_non_null(in);
	n += (size_t)sprintf(in + n, "*2\r\n$4\r\nECHO\r\n$%d\r\n", PAY);
	for (i = 0; i < PAY; i++)
		in[n++] = (char)('a' + i % 26);
	n += (size_t)sprintf(in + n, "\r\n");
	m1 = in;
	m1len = n;
	n += (size_t)sprintf(in + n, "*1\r\n$4\r\nPING\r\n");
	want[0] = (struct slk_emsg){ m1, (uint32_t)m1len, SL_RESP_ARRAY, NF(f1) };
	want[1] = (struct slk_emsg){ in + m1len, 14, SL_RESP_ARRAY, NF(f2) };
	c.in = in;
	c.len = n;
	slk_check(&c, want, 2, 0, 0, SLK_END_EOF);
	free(in);
}

/* ---- incremental: frame() calls counted through a wrapper ---- */

static unsigned int wrap_calls;
static const struct sl_deserializer *wrap_inner;

static enum sl_ds_verdict
wrap_frame(void *state, const void *arg, const struct sl_cursor *in, uint32_t resume,
	   struct sl_ds_result *r)
{
	wrap_calls++;
	return wrap_inner->frame(state, arg, in, resume, r);
}

static void
test_req_large_bulk_one_byte_segments_few_calls(void **state)
{
	enum { PAY = 4000 };
	struct sl_deserializer wrap = ds_req_big;
	struct sl_framing fr = { .ds = &wrap };
	static uint32_t ends[PAY + 64];
	char *in = malloc(PAY + 64);
	struct slk_case c = { .name = "1 byte per mbuf", .fr = &fr };
	struct slk_transcript tr;
	size_t n = 0;
	unsigned int i;

	(void)state;
	assert_non_null(in);
	wrap.frame = wrap_frame;
	wrap_inner = &ds_req_big;
	n += (size_t)sprintf(in + n, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n", PAY);
	memset(in + n, 'v', PAY);
	n += PAY;
	n += (size_t)sprintf(in + n, "\r\n");
	for (i = 0; i < n; i++)
		ends[i] = i + 1;
	c.in = in;
	c.len = n;
	wrap_calls = 0;
	slk_run_split(&c, ends, (unsigned int)n, 4, &tr);
	assert_int_equal(tr.nmsgs, 1);
	assert_int_equal(tr.msgs[0].nfields, 3);
	assert_int_equal(slk_msg_fields(&tr, 0)[2].off, 27);
	assert_int_equal(slk_msg_fields(&tr, 0)[2].len, PAY);
	/* One call per header byte at most, then a single call for the whole payload:
	 * the 4000 payload bytes must not cause 4000 calls. */
	assert_in_range(wrap_calls, 2, 27 + 2);
	slk_transcript_free(&tr);
	free(in);
}

/* ---- requests: errors ---- */

static void
test_req_errors_eproto(void **state)
{
	(void)state;
	/* element not a bulk string: Redis's "expected '$', got ':'" */
	EXPECT_ERROR(&fr_req_big, "*1\r\n:5\r\n", 0, EPROTO, 4);
	EXPECT_ERROR(&fr_req_big, "*2\r\n$3\r\nGET\r\n*1\r\n", 0, EPROTO, 13);
	/* counts and lengths that are not numbers */
	EXPECT_ERROR(&fr_req_big, "*x\r\n", 0, EPROTO, 1);
	EXPECT_ERROR(&fr_req_big, "*\r\n", 0, EPROTO, 1);
	EXPECT_ERROR(&fr_req_big, "*01\r\n", 0, EPROTO, 2);
	EXPECT_ERROR(&fr_req_big, "*+1\r\n", 0, EPROTO, 1);
	EXPECT_ERROR(&fr_req_big, "*-0\r\n", 0, EPROTO, 2);
	EXPECT_ERROR(&fr_req_big, "*1 \r\n", 0, EPROTO, 2);
	EXPECT_ERROR(&fr_req_big, "*1\r\n$x\r\n", 0, EPROTO, 5);
	EXPECT_ERROR(&fr_req_big, "*1\r\n$-1\r\n", 0, EPROTO, 5);
	EXPECT_ERROR(&fr_req_big, "*1\r\n$01\r\na\r\n", 0, EPROTO, 6);
	/* missing CR / LF after a header */
	EXPECT_ERROR(&fr_req_big, "*1\n", 0, EPROTO, 2);
	EXPECT_ERROR(&fr_req_big, "*1\r\r", 0, EPROTO, 3);
	EXPECT_ERROR(&fr_req_big, "*1\r\n$1\ra", 0, EPROTO, 7);
	/* payload not followed by CRLF */
	EXPECT_ERROR(&fr_req_big, "*1\r\n$1\r\nab\r\n", 0, EPROTO, 9);
	EXPECT_ERROR(&fr_req_big, "*1\r\n$1\r\na\rx", 0, EPROTO, 10);
	/* after a good request */
	EXPECT_ERROR(&fr_req_big, "PING\r\n*1\r\n$4\r\nPING\r\r", 1, EPROTO, 6 + 13);
}

static void
test_req_limits_exact_and_plus_one(void **state)
{
	static const struct sl_field f3[] = { F(8, 1), F(15, 1), F(22, 1) };
	static const struct slk_emsg want3[] = {
		{ SLK_STR("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"), SL_RESP_ARRAY, NF(f3) },
	};
	static const struct sl_field fb[] = { F(8, 5) };
	static const struct slk_emsg wantb[] = {
		{ SLK_STR("*1\r\n$5\r\nabcde\r\n"), SL_RESP_ARRAY, NF(fb) },
	};
	static const struct sl_field fi[] = { F(0, 1), F(2, 1), F(4, 1) };
	static const struct slk_emsg wanti[] = { { SLK_STR("a b c\n"), SL_RESP_INLINE, NF(fi) } };
	struct slk_case c3 = { .name = "max_args", .fr = &fr_req_small, .fin = true,
			       SLK_IN("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n") };
	struct slk_case cb = { .name = "max_bulk", .fr = &fr_req_small, .fin = true,
			       SLK_IN("*1\r\n$5\r\nabcde\r\n") };
	struct slk_case ci = { .name = "inline max_args", .fr = &fr_req_small, .fin = true,
			       SLK_IN("a b c\n") };

	(void)state;
	slk_check(&c3, want3, 1, 0, 0, SLK_END_EOF);
	EXPECT_ERROR(&fr_req_small, "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n", 0,
		     EMSGSIZE, 1);
	EXPECT_ERROR(&fr_req_small, "*99999999999999999999999\r\n", 0, EMSGSIZE, 1);
	slk_check(&cb, wantb, 1, 0, 0, SLK_END_EOF);
	EXPECT_ERROR(&fr_req_small, "*1\r\n$6\r\nabcdef\r\n", 0, EMSGSIZE, 5);
	slk_check(&ci, wanti, 1, 0, 0, SLK_END_EOF);
	EXPECT_ERROR(&fr_req_small, "a b c d\n", 0, EMSGSIZE, 6);
	/* max_args beyond the 1024 fields a message may report */
	EXPECT_ERROR(&fr_req_many, "*1025\r\n", 0, EMSGSIZE, 1);
}

static void
test_req_max_msg_exact_and_plus_one(void **state)
{
	/* 4 + 5 + 21 + 2 = 32 bytes */
	static const char ok[] = "*1\r\n$21\r\naaaaaaaaaaaaaaaaaaaaa\r\n";
	static const char over[] = "*1\r\n$22\r\naaaaaaaaaaaaaaaaaaaaaa\r\n";
	/* inline: 31 bytes + LF = 32 */
	static const char iok[] = "ECHO aaaaaaaaaaaaaaaaaaaaaaaaaa\n";
	static const char iover[] = "ECHO aaaaaaaaaaaaaaaaaaaaaaaaaaa\n";
	static const struct sl_field fo[] = { F(9, 21) };
	static const struct sl_field fio[] = { F(0, 4), F(5, 26) };
	static const struct slk_emsg want[] = { { ok, 32, SL_RESP_ARRAY, NF(fo) } };
	static const struct slk_emsg wanti[] = { { iok, 32, SL_RESP_INLINE, NF(fio) } };
	struct slk_case c = { .name = "max_msg exact", .fr = &fr_req_msg32, .fin = true,
			      SLK_IN(ok) };
	struct slk_case ci = { .name = "inline max_msg exact", .fr = &fr_req_msg32,
			       .fin = true, SLK_IN(iok) };

	(void)state;
	assert_int_equal(sizeof(ok) - 1, 32);
	assert_int_equal(sizeof(iok) - 1, 32);
	slk_check(&c, want, 1, 0, 0, SLK_END_EOF);
	EXPECT_ERROR(&fr_req_msg32, over, 0, EMSGSIZE, 4);
	slk_check(&ci, wanti, 1, 0, 0, SLK_END_EOF);
	EXPECT_ERROR(&fr_req_msg32, iover, 0, EMSGSIZE, 0);
	/* an element header starting at max_msg, and one cut by it */
	EXPECT_ERROR(&fr_req_msg32, "*3\r\n$1\r\na\r\n$14\r\nbbbbbbbbbbbbbb\r\n$1\r\nc\r\n", 0,
		     EMSGSIZE, 32);
	EXPECT_ERROR(&fr_req_msg32, "*3\r\n$1\r\na\r\n$10\r\nbbbbbbbbbb\r\n$99\r\n", 0,
		     EMSGSIZE, 28);
	/* and after a good message, offsets are stream offsets */
	EXPECT_ERROR(&fr_req_msg32, "PING\n" "ECHO aaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 1,
		     EMSGSIZE, 5);
}

/* ---- replies ---- */

static void
test_reply_scalars(void **state)
{
	static const struct sl_field fs[] = { F(1, 2) };
	static const struct sl_field fe[] = { F(1, 21) };
	static const struct sl_field fi[] = { F(1, 3) };
	static const struct sl_field fb[] = { F(4, 3) };
	static const struct sl_field fz[] = { F(4, 0) };
	static const struct sl_field fe0[] = { F(1, 0) };
	static const struct sl_field fmin[] = { F(1, 20) };
	static const struct slk_emsg want[] = {
		{ SLK_STR("+OK\r\n"), SL_RESP_SIMPLE, NF(fs) },
		{ SLK_STR("-ERR unknown command x\r\n"), SL_RESP_ERROR, NF(fe) },
		{ SLK_STR(":-42\r\n"), SL_RESP_INTEGER, NF(fi) },
		{ SLK_STR("$3\r\nfoo\r\n"), SL_RESP_BULK, NF(fb) },
		{ SLK_STR("$0\r\n\r\n"), SL_RESP_BULK, NF(fz) },
		{ SLK_STR("$-1\r\n"), SL_RESP_NULL, 0, NULL },
		{ SLK_STR("*-1\r\n"), SL_RESP_NULL_ARRAY, 0, NULL },
		{ SLK_STR("*0\r\n"), SL_RESP_ARRAY, 0, NULL },
		{ SLK_STR("+\r\n"), SL_RESP_SIMPLE, NF(fe0) },
		{ SLK_STR(":-9223372036854775808\r\n"), SL_RESP_INTEGER, NF(fmin) },
	};
	struct slk_case c = {
		.name = "scalar replies", .fr = &fr_rep_big, .fin = true,
		SLK_IN("+OK\r\n-ERR unknown command x\r\n:-42\r\n$3\r\nfoo\r\n$0\r\n\r\n$-1\r\n"
		       "*-1\r\n*0\r\n+\r\n:-9223372036854775808\r\n"),
	};

	(void)state;
	slk_check(&c, want, RTE_DIM(want), 0, 0, SLK_END_EOF);
}

static void
test_reply_nested_array_and_read(void **state)
{
	static const char in[] = "*4\r\n$1\r\na\r\n$-1\r\n*2\r\n:1\r\n*1\r\n+x\r\n*0\r\n";
	static const struct slk_emsg want[] = {
		{ SLK_STR("*4\r\n$1\r\na\r\n$-1\r\n*2\r\n:1\r\n*1\r\n+x\r\n*0\r\n"),
		  SL_RESP_ARRAY, 0, NULL },
	};
	struct slk_case c = { .name = "nested", .fr = &fr_rep_big, .fin = true, SLK_IN(in) };
	struct sl_resp_item it;
	uint32_t pos = 0;

	(void)state;
	slk_check(&c, want, 1, 0, 0, SLK_END_EOF);

	/* the structure, with sl_resp_read() */
	assert_int_equal(sl_resp_read((const uint8_t *)in, sizeof(in) - 1, &pos, &it), 0);
	assert_int_equal(it.type, SL_RESP_ARRAY);
	assert_int_equal(it.integer, 4);
	assert_int_equal(sl_resp_read((const uint8_t *)in, sizeof(in) - 1, &pos, &it), 0);
	assert_int_equal(it.type, SL_RESP_BULK);
	assert_int_equal(it.len, 1);
	assert_memory_equal(it.str, "a", 1);
	assert_int_equal(sl_resp_read((const uint8_t *)in, sizeof(in) - 1, &pos, &it), 0);
	assert_int_equal(it.type, SL_RESP_NULL);
	assert_int_equal(sl_resp_read((const uint8_t *)in, sizeof(in) - 1, &pos, &it), 0);
	assert_int_equal(it.type, SL_RESP_ARRAY);
	assert_int_equal(it.integer, 2);
	assert_int_equal(sl_resp_read((const uint8_t *)in, sizeof(in) - 1, &pos, &it), 0);
	assert_int_equal(it.type, SL_RESP_INTEGER);
	assert_int_equal(it.integer, 1);
	assert_int_equal(sl_resp_read((const uint8_t *)in, sizeof(in) - 1, &pos, &it), 0);
	assert_int_equal(it.type, SL_RESP_ARRAY);
	assert_int_equal(sl_resp_read((const uint8_t *)in, sizeof(in) - 1, &pos, &it), 0);
	assert_int_equal(it.type, SL_RESP_SIMPLE);
	assert_memory_equal(it.str, "x", 1);
	assert_int_equal(sl_resp_read((const uint8_t *)in, sizeof(in) - 1, &pos, &it), 0);
	assert_int_equal(it.type, SL_RESP_ARRAY);
	assert_int_equal(it.integer, 0);
	assert_int_equal(pos, sizeof(in) - 1);
	assert_int_equal(sl_resp_read((const uint8_t *)in, sizeof(in) - 1, &pos, &it), -ENODATA);
}

static void
test_reply_errors_and_limits(void **state)
{
	static char deep[(SL_RESP_MAX_DEPTH + 1) * 4 + 8];
	static char ok_deep[SL_RESP_MAX_DEPTH * 4 + 8];
	struct slk_case c = { .name = "depth exact", .fr = &fr_rep_big, .fin = true };
	struct slk_emsg want[1];
	unsigned int i;
	size_t n = 0;

	(void)state;
	EXPECT_ERROR(&fr_rep_big, "?x\r\n", 0, EPROTO, 0);
	EXPECT_ERROR(&fr_rep_big, "+OK\n", 0, EPROTO, 3);
	EXPECT_ERROR(&fr_rep_big, "+\n", 0, EPROTO, 1);
	EXPECT_ERROR(&fr_rep_big, "$-2\r\n", 0, EPROTO, 2);
	EXPECT_ERROR(&fr_rep_big, "*-2\r\n", 0, EPROTO, 2);
	EXPECT_ERROR(&fr_rep_big, ":9223372036854775808\r\n", 0, EPROTO, 1);
	EXPECT_ERROR(&fr_rep_big, ":-9223372036854775809\r\n", 0, EPROTO, 2);
	EXPECT_ERROR(&fr_rep_big, ":1x\r\n", 0, EPROTO, 2);
	EXPECT_ERROR(&fr_rep_big, "$3\r\nfoox\r\n", 0, EPROTO, 7);
	EXPECT_ERROR(&fr_rep_big, "*2\r\n+a\r\n!\r\n", 0, EPROTO, 8);
	EXPECT_ERROR(&fr_rep_big, "*2\r\n+a\r\n", 0, EPIPE, 0);
	/* limits: 3 elements, 5-byte bulks, 64-byte replies */
	EXPECT_ERROR(&fr_rep_small, "*4\r\n", 0, EMSGSIZE, 1);
	EXPECT_ERROR(&fr_rep_small, "$6\r\nabcdef\r\n", 0, EMSGSIZE, 1);
	EXPECT_ERROR(&fr_rep_small,
		     "+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 0,
		     EMSGSIZE, 0);

	/* nesting: SL_RESP_MAX_DEPTH arrays are fine, one more is not */
	for (i = 0; i < SL_RESP_MAX_DEPTH; i++)
		n += (size_t)sprintf(ok_deep + n, "*1\r\n");
	n += (size_t)sprintf(ok_deep + n, ":7\r\n");
	c.in = ok_deep;
	c.len = n;
	want[0] = (struct slk_emsg){ ok_deep, (uint32_t)n, SL_RESP_ARRAY, 0, NULL };
	slk_check(&c, want, 1, 0, 0, SLK_END_EOF);
	n = 0;
	for (i = 0; i < SL_RESP_MAX_DEPTH + 1; i++)
		n += (size_t)sprintf(deep + n, "*1\r\n");
	n += (size_t)sprintf(deep + n, ":7\r\n");
	expect_error(&fr_rep_big, "too deep", deep, n, 0, EMSGSIZE, SL_RESP_MAX_DEPTH * 4);
}

static void
test_read_rejects_bad_input(void **state)
{
	struct sl_resp_item it;
	uint32_t pos = 0;

	(void)state;
	assert_int_equal(sl_resp_read((const uint8_t *)"$3\r\nab", 6, &pos, &it), -ENODATA);
	assert_int_equal(sl_resp_read((const uint8_t *)"$3\r\nabcd\r", 9, &pos, &it), -EPROTO);
	assert_int_equal(sl_resp_read((const uint8_t *)":12", 3, &pos, &it), -ENODATA);
	assert_int_equal(sl_resp_read((const uint8_t *)":1a\r\n", 5, &pos, &it), -EPROTO);
	assert_int_equal(sl_resp_read((const uint8_t *)"+ab", 3, &pos, &it), -ENODATA);
	assert_int_equal(sl_resp_read((const uint8_t *)"x", 1, &pos, &it), -EPROTO);
	assert_int_equal(pos, 0);
	assert_int_equal(sl_resp_read((const uint8_t *)":-5\r\n", 5, &pos, &it), 0);
	assert_int_equal(it.integer, -5);
	assert_int_equal(pos, 5);
}

/* ---- serializer and writers, on a real connection ---- */

/* Everything the stack sent on the fixture's connection, acknowledged. */
static size_t
collect_tx(struct tt *x, uint8_t *buf, size_t cap)
{
	struct tp_out o;
	size_t n = 0;

	th_poll(&x->t);
	while (tpeer_recv(&x->p, &o)) {
		assert_true(n + o.len <= cap);
		memcpy(buf + n, o.data, o.len);
		n += o.len;
	}
	tpeer_ack(&x->p);
	return n;
}

static void
test_serializer_values_and_writers(void **state)
{
	static uint8_t out[16384];
	static char big[5000];
	static const char want_head[] =
		"*7\r\n+OK\r\n-ERR no\r\n:-9223372036854775808\r\n$3\r\nfoo\r\n$-1\r\n*-1\r\n"
		"*2\r\n$0\r\n\r\n*0\r\n";
	const struct sl_resp_value inner[] = {
		{ .type = SL_RESP_BULK, .str = { "", 0 } },
		{ .type = SL_RESP_ARRAY, .array = { NULL, 0 } },
	};
	const struct sl_resp_value elems[] = {
		{ .type = SL_RESP_SIMPLE, .str = { "OK", 2 } },
		{ .type = SL_RESP_ERROR, .str = { "ERR no", 6 } },
		{ .type = SL_RESP_INTEGER, .integer = INT64_MIN },
		{ .type = SL_RESP_BULK, .str = { "foo", 3 } },
		{ .type = SL_RESP_NULL },
		{ .type = SL_RESP_NULL_ARRAY },
		{ .type = SL_RESP_ARRAY, .array = { inner, 2 } },
	};
	const struct sl_resp_value top = { .type = SL_RESP_ARRAY, .array = { elems, 7 } };
	const struct sl_resp_value bad_simple = { .type = SL_RESP_SIMPLE, .str = { "a\r\nb", 4 } };
	const struct sl_resp_value bad_type = { .type = SL_RESP_INLINE };
	struct sl_resp_value nest[SL_RESP_MAX_DEPTH + 2];
	struct tt *x = *state;
	struct sl_writer *wr;
	struct sl_conn *c;
	size_t n, off;
	unsigned int i;

	c = tpeer_connect(&x->p);

	wr = sl_conn_writer_begin(c);
	assert_non_null(wr);
	assert_int_equal(sl_resp_write_value(wr, &top), 0);
	assert_int_equal(sl_writer_end(wr), 0);
	n = collect_tx(x, out, sizeof(out));
	assert_int_equal(n, sizeof(want_head) - 1);
	assert_memory_equal(out, want_head, n);

	/* values that cannot be represented leave nothing on the wire */
	wr = sl_conn_writer_begin(c);
	assert_int_equal(sl_resp_write_value(wr, &bad_simple), -EINVAL);
	sl_writer_abort(wr);
	wr = sl_conn_writer_begin(c);
	assert_int_equal(sl_resp_write_value(wr, &bad_type), -EINVAL);
	sl_writer_abort(wr);
	/* SL_RESP_MAX_DEPTH + 1 arrays around an integer */
	for (i = 0; i <= SL_RESP_MAX_DEPTH; i++)
		nest[i] = (struct sl_resp_value){ .type = SL_RESP_ARRAY,
						  .array = { &nest[i + 1], 1 } };
	nest[SL_RESP_MAX_DEPTH + 1] = (struct sl_resp_value){ .type = SL_RESP_INTEGER };
	wr = sl_conn_writer_begin(c);
	assert_int_equal(sl_resp_write_value(wr, &nest[0]), -EINVAL);
	sl_writer_abort(wr);
	wr = sl_conn_writer_begin(c);
	assert_int_equal(sl_resp_write_value(wr, &nest[1]), 0);	/* exactly the limit */
	sl_writer_abort(wr);
	th_poll(&x->t);
	tpeer_expect_nothing(&x->p);

	/* direct writers, and a bulk string spanning mbufs */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	wr = sl_conn_writer_begin(c);
	assert_int_equal(sl_resp_write_array(wr, 4), 0);
	assert_int_equal(sl_resp_write_bulk(wr, big, sizeof(big)), 0);
	assert_int_equal(sl_resp_write_integer(wr, 0), 0);
	assert_int_equal(sl_resp_write_null(wr), 0);
	assert_int_equal(sl_resp_write_simple(wr, "PONG", 4), 0);
	assert_int_equal(sl_resp_write_error(wr, "ERR\n", 4), -EINVAL);
	assert_int_equal(sl_resp_write_array(wr, -2), -EINVAL);
	assert_int_equal(sl_writer_end(wr), 0);
	n = collect_tx(x, out, sizeof(out));
	off = 0;
	assert_memory_equal(out, "*4\r\n$5000\r\n", 11);
	off = 11;
	assert_memory_equal(out + off, big, sizeof(big));
	off += sizeof(big);
	assert_int_equal(n - off, 2 + 4 + 5 + 7);
	assert_memory_equal(out + off, "\r\n:0\r\n$-1\r\n+PONG\r\n", n - off);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_multibulk_fields_and_pipelining),
		cmocka_unit_test(test_req_zero_length_bulk_and_binary),
		cmocka_unit_test(test_req_inline_words),
		cmocka_unit_test(test_req_empty_requests_are_skipped),
		cmocka_unit_test(test_req_unfinished_waits_or_fails_at_fin),
		cmocka_unit_test(test_req_large_bulk_every_split),
		cmocka_unit_test(test_req_large_bulk_one_byte_segments_few_calls),
		cmocka_unit_test(test_req_errors_eproto),
		cmocka_unit_test(test_req_limits_exact_and_plus_one),
		cmocka_unit_test(test_req_max_msg_exact_and_plus_one),
		cmocka_unit_test(test_reply_scalars),
		cmocka_unit_test(test_reply_nested_array_and_read),
		cmocka_unit_test(test_reply_errors_and_limits),
		cmocka_unit_test(test_read_rejects_bad_input),
		TT_TEST(test_serializer_values_and_writers),
	};

	(void)argc;
	(void)argv;
	th_eal_init("test_framing_resp");
	framings_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
