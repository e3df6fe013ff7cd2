/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/1.1 (lib/framing/http.c): the request deserializer through the framing test kit
 * (every vector whole, one byte per mbuf, split at every offset and pair of offsets --
 * so every "\r" | "\n" split is among them -- at random, paused and as slice lists, with
 * a leak check), every error with its errno and offset, the limits exactly and +1, the
 * incremental contract (a body in 1-byte segments costs one frame() call), and the
 * response serializer and prepared responses on a real connection.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_common.h>
#include <rte_errno.h>

#include <sluice/http.h>

#include "framing_kit.h"
#include "tcp_helper.h"
#include "unit.h"

/* ---- framings under test ---- */

/* Generous limits for ordinary vectors. */
static const struct sl_http_cfg cfg_big = {
	.max_line = 256, .max_head = 1024, .max_headers = 16, .max_body = 4096,
};
/* Tight limits for the exact / +1 vectors. */
static const struct sl_http_cfg cfg_small = {
	.max_line = 32, .max_head = 64, .max_headers = 2, .max_body = 5,
};

static struct sl_deserializer ds_big, ds_small;
static struct sl_framing fr_big, fr_small;

static void
framings_init(void)
{
	assert_int_equal(sl_http_init(&ds_big, NULL, &cfg_big), 0);
	assert_int_equal(sl_http_init(&ds_small, NULL, &cfg_small), 0);
	fr_big = (struct sl_framing){ .ds = &ds_big };
	fr_small = (struct sl_framing){ .ds = &ds_small };
}

#define F(o, l) { .off = (o), .len = (l) }
#define NF(a) (uint32_t)RTE_DIM(a), (a)

#define T_GET11 (SL_HTTP_GET | SL_HTTP_TYPE_11 | SL_HTTP_TYPE_KEEP_ALIVE)

/* A vector that must produce exactly one framing error (after nmsgs messages), then
 * close. */
static void
expect_error(const struct sl_framing *fr, const char *name, const char *in, size_t len,
	     unsigned int nmsgs_before, int err, uint64_t off)
{
	struct slk_case c = { .name = name, .fr = fr, .in = in, .len = len, .fin = true };
	struct slk_transcript tr;

	slk_run(&c, &tr);
	if (tr.nmsgs != nmsgs_before || tr.nerrs != 1 || tr.errs[0].err != err ||
	    tr.errs[0].off != off)
		print_error("vector \"%s\": %u messages, %u errors (first %d at %" PRIu64 "), "
			    "expected %u messages then error %d at %" PRIu64 "\n", name,
			    tr.nmsgs, tr.nerrs, tr.nerrs > 0 ? tr.errs[0].err : 0,
			    tr.nerrs > 0 ? tr.errs[0].off : 0, nmsgs_before, err, off);
	assert_int_equal(tr.nmsgs, nmsgs_before);
	assert_int_equal(tr.nerrs, 1);
	assert_int_equal(tr.errs[0].err, err);
	assert_int_equal(tr.errs[0].off, off);
	assert_int_equal(tr.end, SLK_END_CLOSE);
	slk_transcript_free(&tr);
}

#define EXPECT_ERROR(fr, s, n, err, off) expect_error((fr), #s, (s), sizeof(s) - 1, (n), \
						      (err), (off))

/* A vector that must frame exactly one message of the given type and reach EOF. */
static void
expect_one(const struct sl_framing *fr, const char *name, const char *in, size_t len,
	   uint32_t type)
{
	struct slk_case c = { .name = name, .fr = fr, .in = in, .len = len, .fin = true };
	struct slk_transcript tr;

	slk_run(&c, &tr);
	if (tr.nmsgs != 1 || tr.nerrs != 0)
		print_error("vector \"%s\": %u messages, %u errors (first %d at %" PRIu64 ")\n",
			    name, tr.nmsgs, tr.nerrs, tr.nerrs > 0 ? tr.errs[0].err : 0,
			    tr.nerrs > 0 ? tr.errs[0].off : 0);
	assert_int_equal(tr.nmsgs, 1);
	assert_int_equal(tr.nerrs, 0);
	assert_int_equal(tr.msgs[0].type, type);
	assert_int_equal(tr.msgs[0].len, len);
	assert_int_equal(tr.end, SLK_END_EOF);
	slk_transcript_free(&tr);
}

#define EXPECT_ONE(fr, s, type) expect_one((fr), #s, (s), sizeof(s) - 1, (type))

/* ---- configuration ---- */

static void
test_init_limits(void **state)
{
	struct sl_http_cfg cfg;
	struct sl_deserializer ds;
	struct sl_serializer ser;

	(void)state;
	assert_int_equal(sl_http_init(&ds, &ser, NULL), -EINVAL);
	sl_http_cfg_defaults(&cfg);
	assert_int_equal(cfg.max_line, SL_HTTP_DEFAULT_MAX_LINE);
	assert_int_equal(cfg.max_body, 0);
	assert_int_equal(sl_http_init(&ds, &ser, &cfg), 0);
	assert_int_equal(ds.max_msg, SL_HTTP_DEFAULT_MAX_HEAD + 1);
	assert_true(ds.flags & SL_DS_F_CONTIG);
	assert_non_null(ds.eof);
	assert_non_null(ser.encode);
	cfg.max_headers = SL_HTTP_MAX_HEADERS + 1;
	assert_int_equal(sl_http_init(&ds, NULL, &cfg), -EINVAL);
	cfg.max_headers = 0;
	assert_int_equal(sl_http_init(&ds, NULL, &cfg), -EINVAL);
	sl_http_cfg_defaults(&cfg);
	cfg.max_line = 15;
	assert_int_equal(sl_http_init(&ds, NULL, &cfg), -EINVAL);
	sl_http_cfg_defaults(&cfg);
	cfg.max_body = UINT32_MAX - cfg.max_head;
	assert_int_equal(sl_http_init(&ds, NULL, &cfg), -EINVAL);
	cfg.max_body--;
	assert_int_equal(sl_http_init(NULL, NULL, &cfg), 0);
	/* head + body + 1: the byte past a maximal head is the deserializer's to judge */
	assert_int_equal(ds_small.max_msg, 64 + 5 + 1);
}

/* ---- valid requests ---- */

static void
test_get_fields(void **state)
{
	/* offsets: GET 0, target 4, version 9, Host 19/25, User-Agent 28/41, end 52 */
	static const struct sl_field f[] = {
		F(0, 3), F(4, 4), F(9, 8), F(52, 0), F(19, 4), F(25, 1), F(28, 10), F(41, 6),
	};
	static const struct slk_emsg want[] = {
		{ SLK_STR("GET /a?b HTTP/1.1\r\nHost: x\r\nUser-Agent:  curl/8 \r\n\r\n"),
		  T_GET11, NF(f) },
	};
	struct slk_case c = {
		.name = "GET with fields", .fr = &fr_big, .fin = true,
		SLK_IN("GET /a?b HTTP/1.1\r\nHost: x\r\nUser-Agent:  curl/8 \r\n\r\n"),
	};
	struct slk_transcript tr;
	struct sl_msg m;
	struct sl_field v;

	(void)state;
	slk_run(&c, &tr);
	slk_expect(&tr, want, RTE_DIM(want), 0, 0, SLK_END_EOF);
	/* every cut was tried: at least one run per pair of offsets */
	assert_true(tr.runs > c.len * c.len / 2);
	/* The helpers on a message rebuilt from the transcript. */
	memset(&m, 0, sizeof(m));
	m.data = slk_msg_data(&tr, 0);
	m.len = tr.msgs[0].len;
	m.type = tr.msgs[0].type;
	m.nfields = tr.msgs[0].nfields;
	m.fields = slk_msg_fields(&tr, 0);
	assert_int_equal(sl_http_method(&m), SL_HTTP_GET);
	assert_true(sl_http_keep_alive(&m));
	assert_int_equal(sl_http_nheaders(&m), 2);
	assert_int_equal(sl_http_header_find(&m, "user-agent", 0, &v), 1);
	assert_memory_equal(m.data + v.off, "curl/8", v.len);
	assert_int_equal(sl_http_header_find(&m, "HOST", 0, &v), 0);
	assert_int_equal(sl_http_header_find(&m, "host", 1, &v), -ENOENT);
	assert_int_equal(sl_http_header_find(&m, "accept", 0, &v), -ENOENT);
	slk_transcript_free(&tr);
}

static void
test_post_body_then_pipelined_get(void **state)
{
	/* POST 0, /p 5, version 8, Host 18/24, Content-Length 27/43, body 48 */
	static const struct sl_field f1[] = {
		F(0, 4), F(5, 2), F(8, 8), F(48, 5), F(18, 4), F(24, 1), F(27, 14), F(43, 1),
	};
	static const struct sl_field f2[] = { F(0, 3), F(4, 1), F(6, 8), F(18, 0) };
	static const struct slk_emsg want[] = {
		{ SLK_STR("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"),
		  SL_HTTP_POST | SL_HTTP_TYPE_11 | SL_HTTP_TYPE_KEEP_ALIVE | SL_HTTP_TYPE_BODY,
		  NF(f1) },
		{ SLK_STR("GET / HTTP/1.0\r\n\r\n"), SL_HTTP_GET, NF(f2) },
	};
	struct slk_case c = {
		.name = "POST then GET", .fr = &fr_big, .fin = true,
		SLK_IN("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
		       "GET / HTTP/1.0\r\n\r\n"),
	};
	struct slk_transcript tr;

	(void)state;
	slk_run(&c, &tr);
	slk_expect(&tr, want, RTE_DIM(want), 0, 0, SLK_END_EOF);
	assert_int_equal(tr.msgs[1].stream_off, 53);
	assert_int_equal(tr.consumed, c.len);
	slk_transcript_free(&tr);
}

static void
test_pipelined_gets_and_leading_empty_lines(void **state)
{
	static const struct slk_emsg want[] = {
		{ SLK_STR("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"), T_GET11 },
		{ SLK_STR("HEAD /2 HTTP/1.1\r\nHost: a\r\n\r\n"),
		  SL_HTTP_HEAD | SL_HTTP_TYPE_11 | SL_HTTP_TYPE_KEEP_ALIVE },
		{ SLK_STR("GET /3 HTTP/1.1\r\nHost: a\r\n\r\n"), T_GET11 },
	};
	/* RFC 9112 §2.2: empty lines before a request line are ignored (not part of the
	 * message); those after the last request are consumed at FIN. */
	struct slk_case c = {
		.name = "pipelined", .fr = &fr_big, .fin = true,
		SLK_IN("\r\n\r\nGET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
		       "HEAD /2 HTTP/1.1\r\nHost: a\r\n\r\n\r\n"
		       "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n\r\n"),
	};
	struct slk_case idle = {
		.name = "half a request, no FIN", .fr = &fr_big,
		SLK_IN("GET / HTTP/1.1\r\nHost: a\r\n"),
	};
	struct slk_transcript tr;

	(void)state;
	slk_run(&c, &tr);
	slk_expect(&tr, want, RTE_DIM(want), 0, 0, SLK_END_EOF);
	assert_int_equal(tr.msgs[0].stream_off, 4);
	assert_int_equal(tr.msgs[1].stream_off, 4 + 28);
	assert_int_equal(tr.msgs[2].stream_off, 4 + 28 + 29 + 2);
	assert_int_equal(tr.consumed, c.len);
	slk_transcript_free(&tr);
	slk_check(&idle, NULL, 0, 0, 0, SLK_END_IDLE);
}

static void
test_keep_alive_rules(void **state)
{
	(void)state;
	/* HTTP/1.1: persistent unless "close" is one of the Connection tokens */
	EXPECT_ONE(&fr_big, "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n",
		   T_GET11);
	EXPECT_ONE(&fr_big, "GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n",
		   SL_HTTP_GET | SL_HTTP_TYPE_11);
	EXPECT_ONE(&fr_big, "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade ,\tclose \r\n\r\n",
		   SL_HTTP_GET | SL_HTTP_TYPE_11);
	EXPECT_ONE(&fr_big, "GET / HTTP/1.1\r\nHost: a\r\nConnection: closed, xclose\r\n\r\n",
		   T_GET11);
	EXPECT_ONE(&fr_big, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close x\r\n\r\n",
		   T_GET11);
	/* HTTP/1.0: closing unless keep-alive (and no close) */
	EXPECT_ONE(&fr_big, "GET / HTTP/1.0\r\n\r\n", SL_HTTP_GET);
	EXPECT_ONE(&fr_big, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
		   SL_HTTP_GET | SL_HTTP_TYPE_KEEP_ALIVE);
	EXPECT_ONE(&fr_big, "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
		   SL_HTTP_GET);
	/* a later 1.x minor version is handled as 1.1 (RFC 9110 §2.5) */
	EXPECT_ONE(&fr_big, "GET / HTTP/1.9\r\nHost: a\r\n\r\n", T_GET11);
	assert_int_equal(sl_http_resp_flags(T_GET11), 0);
	assert_int_equal(sl_http_resp_flags(SL_HTTP_GET), SL_HTTP_RESP_CLOSE);
	assert_int_equal(sl_http_resp_flags(SL_HTTP_HEAD | SL_HTTP_TYPE_KEEP_ALIVE),
			 SL_HTTP_RESP_KEEP_ALIVE | SL_HTTP_RESP_NO_BODY);
}

static void
test_methods_and_values(void **state)
{
	(void)state;
	EXPECT_ONE(&fr_big, "PURGE * HTTP/1.1\r\nHost: a\r\n\r\n",
		   SL_HTTP_OTHER | SL_HTTP_TYPE_11 | SL_HTTP_TYPE_KEEP_ALIVE);
	EXPECT_ONE(&fr_big, "OPTIONSX / HTTP/1.1\r\nHost: a\r\n\r\n",
		   SL_HTTP_OTHER | SL_HTTP_TYPE_11 | SL_HTTP_TYPE_KEEP_ALIVE);
	EXPECT_ONE(&fr_big, "DELETE /x HTTP/1.1\r\nHost: a\r\n\r\n",
		   SL_HTTP_DELETE | SL_HTTP_TYPE_11 | SL_HTTP_TYPE_KEEP_ALIVE);
	EXPECT_ONE(&fr_big, "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n",
		   SL_HTTP_CONNECT | SL_HTTP_TYPE_11 | SL_HTTP_TYPE_KEEP_ALIVE);
	/* Content-Length with whitespace and leading zeros; 0 is a body of 0 bytes */
	EXPECT_ONE(&fr_big, "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: \t007 \r\n\r\nabcdefg",
		   SL_HTTP_PUT | SL_HTTP_TYPE_11 | SL_HTTP_TYPE_KEEP_ALIVE | SL_HTTP_TYPE_BODY);
	EXPECT_ONE(&fr_big, "PATCH / HTTP/1.1\r\nHost: a\r\ncontent-length:0\r\n\r\n",
		   SL_HTTP_PATCH | SL_HTTP_TYPE_11 | SL_HTTP_TYPE_KEEP_ALIVE | SL_HTTP_TYPE_BODY);
	/* obs-text and HTAB inside a value, empty values, odd token characters in names */
	EXPECT_ONE(&fr_big, "GET / HTTP/1.1\r\nHost: a\r\nX-T: a\tb \xc3\xa9\r\nX-E:\r\n"
		   "!#$%&'*+-.^_`|~: v\r\n\r\n", T_GET11);
}

/* Empty values and trimmed ones: the fields say where the value is. */
static void
test_value_trimming(void **state)
{
	/* GET 0, / 4, version 6, end 43; Host 16/22; X 25/27 (empty); Y 29/34 */
	static const struct sl_field f[] = {
		F(0, 3), F(4, 1), F(6, 8), F(43, 0), F(16, 4), F(22, 1), F(25, 1), F(27, 0),
		F(29, 1), F(34, 3),
	};
	static const struct slk_emsg want[] = {
		{ SLK_STR("GET / HTTP/1.1\r\nHost: a\r\nX:\r\nY:\t  a b \t\r\n\r\n"), T_GET11,
		  NF(f) },
	};
	struct slk_case c = {
		.name = "trimming", .fr = &fr_big, .fin = true,
		SLK_IN("GET / HTTP/1.1\r\nHost: a\r\nX:\r\nY:\t  a b \t\r\n\r\n"),
	};

	(void)state;
	slk_check(&c, want, RTE_DIM(want), 0, 0, SLK_END_EOF);
}

/* ---- errors ---- */

static void
test_errors_request_line(void **state)
{
	(void)state;
	EXPECT_ERROR(&fr_big, "GARBAGE\r\n\r\n", 0, EBADMSG, 7);
	EXPECT_ERROR(&fr_big, " GET / HTTP/1.1\r\n", 0, EBADMSG, 0);
	EXPECT_ERROR(&fr_big, "\nGET / HTTP/1.1\r\n", 0, EBADMSG, 0);
	EXPECT_ERROR(&fr_big, "\rGET / HTTP/1.1\r\n", 0, EBADMSG, 0);
	EXPECT_ERROR(&fr_big, "G(T / HTTP/1.1\r\n", 0, EBADMSG, 1);
	EXPECT_ERROR(&fr_big, "GET  / HTTP/1.1\r\n", 0, EBADMSG, 4);
	EXPECT_ERROR(&fr_big, "GET /\x7f HTTP/1.1\r\n", 0, EBADMSG, 5);
	EXPECT_ERROR(&fr_big, "GET /\xc3\xa9 HTTP/1.1\r\n", 0, EBADMSG, 5);
	EXPECT_ERROR(&fr_big, "GET /\r\n", 0, EBADMSG, 5);
	EXPECT_ERROR(&fr_big, "GET / http/1.1\r\n", 0, EBADMSG, 6);
	EXPECT_ERROR(&fr_big, "GET / HTTP/1.x\r\n", 0, EBADMSG, 13);
	EXPECT_ERROR(&fr_big, "GET / HTTP/1,1\r\n", 0, EBADMSG, 12);
	EXPECT_ERROR(&fr_big, "GET / HTTP/x.1\r\n", 0, EBADMSG, 11);
	EXPECT_ERROR(&fr_big, "GET / HTTP/1.1 \r\n", 0, EBADMSG, 14);
	EXPECT_ERROR(&fr_big, "GET / HTTP/1.10\r\n", 0, EBADMSG, 14);
	EXPECT_ERROR(&fr_big, "GET / HTTP/1.1\n\n", 0, EBADMSG, 14);	/* bare LF */
	EXPECT_ERROR(&fr_big, "GET / HTTP/1.1\rX", 0, EBADMSG, 14);	/* bare CR */
	EXPECT_ERROR(&fr_big, "GET / HTTP/2.0\r\n\r\n", 0, EPROTONOSUPPORT, 11);
	EXPECT_ERROR(&fr_big, "GET / HTTP/0.9\r\n\r\n", 0, EPROTONOSUPPORT, 11);
	/* empty lines before: a bare CR among them is still an error */
	EXPECT_ERROR(&fr_big, "\r\n\rGET / HTTP/1.1\r\n", 0, EBADMSG, 2);
}

static void
test_errors_fields(void **state)
{
	(void)state;
	/* obs-fold (RFC 9112 §5.2) and whitespace before the first field (§2.2) */
	EXPECT_ERROR(&fr_big, "GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n", 0, EBADMSG, 25);
	EXPECT_ERROR(&fr_big, "GET / HTTP/1.1\r\n\tHost: a\r\n\r\n", 0, EBADMSG, 16);
	/* whitespace before the colon, empty name, no colon */
	EXPECT_ERROR(&fr_big, "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 0, EBADMSG, 20);
	EXPECT_ERROR(&fr_big, "GET / HTTP/1.1\r\n: a\r\n\r\n", 0, EBADMSG, 16);
	EXPECT_ERROR(&fr_big, "GET / HTTP/1.1\r\nHost\r\n\r\n", 0, EBADMSG, 20);
	EXPECT_ERROR(&fr_big, "GET / HTTP/1.1\r\nHo(st: a\r\n\r\n", 0, EBADMSG, 18);
	/* bad bytes in values: controls, DEL, bare LF, bare CR */
	EXPECT_ERROR(&fr_big, "GET / HTTP/1.1\r\nHost: a\x01z\r\n\r\n", 0, EBADMSG, 23);
	EXPECT_ERROR(&fr_big, "GET / HTTP/1.1\r\nHost: a\x7fz\r\n\r\n", 0, EBADMSG, 23);
	EXPECT_ERROR(&fr_big, "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", 0, EBADMSG, 23);
	EXPECT_ERROR(&fr_big, "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 0, EBADMSG, 23);
	EXPECT_ERROR(&fr_big, "GET / HTTP/1.1\r\nHost: a\r\n\rX", 0, EBADMSG, 25);
	/* the head ends with CRLF CRLF, not LF LF */
	EXPECT_ERROR(&fr_big, "GET / HTTP/1.1\r\nHost: a\r\n\n", 0, EBADMSG, 25);
	/* Host: required once in HTTP/1.1 (RFC 9112 §3.2), optional in 1.0 */
	EXPECT_ERROR(&fr_big, "GET / HTTP/1.1\r\n\r\n", 0, EBADMSG, 16);
	EXPECT_ERROR(&fr_big, "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 0, EBADMSG, 25);
	EXPECT_ERROR(&fr_big, "GET / HTTP/1.0\r\nHost: a\r\nHOST: a\r\n\r\n", 0, EBADMSG, 25);
	/* an error after a good request: the good one is delivered first */
	EXPECT_ERROR(&fr_big, "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nBad Name: x\r\n",
		     1, EBADMSG, 27 + 19);
}

static void
test_errors_framing(void **state)
{
	(void)state;
	/* Content-Length: repeated (even equal), a list, signed, not a number, empty */
	EXPECT_ERROR(&fr_big, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
		     "content-length: 1\r\n\r\nx", 0, EBADMSG, 45);
	EXPECT_ERROR(&fr_big, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\nx",
		     0, EBADMSG, 43);
	EXPECT_ERROR(&fr_big, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\nx",
		     0, EBADMSG, 42);
	EXPECT_ERROR(&fr_big, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\nx",
		     0, EBADMSG, 42);
	EXPECT_ERROR(&fr_big, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1a\r\n\r\nx",
		     0, EBADMSG, 43);
	EXPECT_ERROR(&fr_big, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\nx",
		     0, EBADMSG, 44);
	EXPECT_ERROR(&fr_big, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:  \r\n\r\nx",
		     0, EBADMSG, 43);
	/* too large: at its first digit, however many digits follow */
	EXPECT_ERROR(&fr_big, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4097\r\n\r\n",
		     0, EFBIG, 42);
	EXPECT_ERROR(&fr_big, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: "
		     "99999999999999999999999999999\r\n\r\n", 0, EFBIG, 42);
	/* Transfer-Encoding: not implemented in 1.1 (501), faulty framing in 1.0 (400),
	 * with or without Content-Length (request smuggling has no reading here) */
	EXPECT_ERROR(&fr_big, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "0\r\n\r\n", 0, ENOTSUP, 26);
	EXPECT_ERROR(&fr_big, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
		     "transfer-encoding: chunked\r\n\r\n", 0, ENOTSUP, 45);
	EXPECT_ERROR(&fr_big, "POST / HTTP/1.0\r\nTransfer-Encoding: gzip\r\n\r\n",
		     0, EBADMSG, 17);
	/* FIN inside a request: in the head, in the body */
	EXPECT_ERROR(&fr_big, "GET / HTTP/1.1\r\nHost: a\r\n", 0, EPIPE, 25);
	EXPECT_ERROR(&fr_big, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab",
		     0, EPIPE, 49);
	EXPECT_ERROR(&fr_big, "GET / HTTP/1.1\r\nHost: a\r\n\r\nG", 1, EPIPE, 28);
}

static void
test_fin_after_empty_lines_is_clean(void **state)
{
	struct slk_case c = { .name = "empty lines then FIN", .fr = &fr_big, .fin = true,
			      SLK_IN("\r\n\r\n\r") };
	struct slk_case e = { .name = "nothing then FIN", .fr = &fr_big, .fin = true };
	struct slk_transcript tr;

	(void)state;
	slk_run(&c, &tr);
	slk_expect(&tr, NULL, 0, 0, 0, SLK_END_EOF);
	assert_int_equal(tr.consumed, c.len);
	slk_transcript_free(&tr);
	slk_check(&e, NULL, 0, 0, 0, SLK_END_EOF);
}

/* ---- limits: exactly, and one more ---- */

static void
test_limit_request_line(void **state)
{
	/* "GET /" + 18 + " HTTP/1.1" = 32 = max_line */
	(void)state;
	EXPECT_ONE(&fr_small, "GET /aaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: a\r\n\r\n", T_GET11);
	EXPECT_ERROR(&fr_small, "GET /aaaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: a\r\n\r\n",
		     0, ENAMETOOLONG, 32);
	/* a long method counts the same; empty lines before do not */
	EXPECT_ERROR(&fr_small, "GETGETGETGETGETGETGETGETGETGETGETGET / HTTP/1.1\r\n",
		     0, ENAMETOOLONG, 32);
	EXPECT_ERROR(&fr_small, "\r\nGET /aaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n", 0, ENAMETOOLONG,
		     34);
	/* the length is judged before the byte past the limit, whatever it is */
	EXPECT_ERROR(&fr_small, "GET /aaaaaaaaaaaaaaaaaa HTTP/1.1X", 0, ENAMETOOLONG, 32);
}

static void
test_limit_head_and_headers(void **state)
{
	/* 16 + 9 + (5 + 32) + 2 = 64 = max_head */
	(void)state;
	EXPECT_ONE(&fr_small, "GET / HTTP/1.1\r\nHost: a\r\nX: "
		   "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n\r\n", T_GET11);
	EXPECT_ERROR(&fr_small, "GET / HTTP/1.1\r\nHost: a\r\nX: "
		     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n\r\n", 0, EMSGSIZE, 64);
	/* a head that never ends: at the first byte past the limit */
	EXPECT_ERROR(&fr_small, "GET / HTTP/1.1\r\nHost: a\r\nX: "
		     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
		     0, EMSGSIZE, 64);
	/* empty lines before the request count */
	EXPECT_ERROR(&fr_small, "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
		     "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
		     "GET / HTTP/1.1\r\n", 0, EMSGSIZE, 64);
	/* two fields allowed, the third is one too many */
	EXPECT_ONE(&fr_small, "GET / HTTP/1.1\r\nHost: a\r\nA: b\r\n\r\n", T_GET11);
	EXPECT_ERROR(&fr_small, "GET / HTTP/1.1\r\nHost: a\r\nA: b\r\nC: d\r\n\r\n",
		     0, EMSGSIZE, 31);
}

static void
test_limit_body(void **state)
{
	(void)state;
	EXPECT_ONE(&fr_small, "PUT / HTTP/1.0\r\nContent-Length: 5\r\n\r\n12345",
		   SL_HTTP_PUT | SL_HTTP_TYPE_BODY);
	EXPECT_ERROR(&fr_small, "PUT / HTTP/1.0\r\nContent-Length: 6\r\n\r\n123456",
		     0, EFBIG, 32);
}

/* ---- the incremental contract ---- */

static unsigned int wrap_calls;
static const struct sl_deserializer *wrap_inner;

static enum sl_ds_verdict
wrap_frame(void *state, const void *arg, const struct sl_cursor *in, uint32_t resume,
	   struct sl_ds_result *r)
{
	wrap_calls++;
	return wrap_inner->frame(state, arg, in, resume, r);
}

/* A 4000-byte body arriving a byte per segment is asked for whole: one call when it is
 * all there, not one per byte. */
static void
test_body_one_byte_segments_few_calls(void **state)
{
	enum { BODY = 4000 };
	struct sl_deserializer wrap = ds_big;
	struct sl_framing fr = { .ds = &wrap };
	static uint32_t ends[BODY + 128];
	char *in = malloc(BODY + 128);
	struct slk_case c = { .name = "1 byte per mbuf", .fr = &fr };
	struct slk_transcript tr;
	size_t n, head;
	unsigned int i;

	(void)state;
	assert_non_null(in);
	wrap.frame = wrap_frame;
	wrap_inner = &ds_big;
	n = (size_t)sprintf(in, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n", BODY);
	head = n;
	memset(in + n, 'b', BODY);
	n += BODY;
	for (i = 0; i < n; i++)
		ends[i] = i + 1;
	c.in = in;
	c.len = n;
	wrap_calls = 0;
	slk_run_split(&c, ends, (unsigned int)n, 4, &tr);
	assert_int_equal(tr.nmsgs, 1);
	assert_int_equal(tr.msgs[0].nfields, SL_HTTP_FIELD_HDR0 + 4);
	assert_int_equal(slk_msg_fields(&tr, 0)[SL_HTTP_FIELD_BODY].off, head);
	assert_int_equal(slk_msg_fields(&tr, 0)[SL_HTTP_FIELD_BODY].len, BODY);
	/* one call per head byte, then one for the whole body */
	assert_in_range(wrap_calls, 2, head + 1);
	slk_transcript_free(&tr);
	free(in);
}

/* Many header fields, every split: the fields are reported however the bytes came. */
static void
test_many_fields_every_split(void **state)
{
	char in[1024];
	struct sl_field f[SL_HTTP_FIELD_HDR0 + 2 * 16];
	struct slk_emsg want;
	struct slk_case c = { .name = "16 fields", .fr = &fr_big, .fin = true,
			      .flags = SLK_F_NO_PAIRS, .random_runs = 100 };
	size_t n;
	unsigned int i;

	(void)state;
	n = (size_t)sprintf(in, "GET /many HTTP/1.1\r\n");
	f[SL_HTTP_FIELD_METHOD] = (struct sl_field)F(0, 3);
	f[SL_HTTP_FIELD_TARGET] = (struct sl_field)F(4, 5);
	f[SL_HTTP_FIELD_VERSION] = (struct sl_field)F(10, 8);
	for (i = 0; i < 16; i++) {
		uint32_t at = (uint32_t)n;
		int k;

		if (i == 0)
			k = sprintf(in + n, "Host: h%02u\r\n", i);
		else
			k = sprintf(in + n, "X-Field-%02u:  v%02u \r\n", i, i);

		f[SL_HTTP_FIELD_HDR0 + 2 * i] = (struct sl_field)F(at, i == 0 ? 4 : 10);
		f[SL_HTTP_FIELD_HDR0 + 2 * i + 1] =
			(struct sl_field)F(at + (i == 0 ? 6 : 13), 3);
		n += (size_t)k;
	}
	n += (size_t)sprintf(in + n, "\r\n");
	f[SL_HTTP_FIELD_BODY] = (struct sl_field)F((uint32_t)n, 0);
	want = (struct slk_emsg){ in, (uint32_t)n, T_GET11, RTE_DIM(f), f };
	c.in = in;
	c.len = n;
	slk_check(&c, &want, 1, 0, 0, SLK_END_EOF);
}

/* ---- responses, on a real connection ---- */

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

/* Write resp through a writer on c; expect rc, and on success exactly want. */
static void
write_expect(struct tt *x, struct sl_conn *c, const struct sl_http_response *resp, int rc,
	     const void *want, size_t wlen)
{
	static uint8_t out[16384];
	struct sl_writer *wr = sl_conn_writer_begin(c);
	size_t n;

	assert_non_null(wr);
	assert_int_equal(sl_http_write_response(wr, resp), rc);
	if (rc != 0) {
		sl_writer_abort(wr);
		th_poll(&x->t);
		tpeer_expect_nothing(&x->p);
		return;
	}
	assert_int_equal(sl_writer_end(wr), 0);
	n = collect_tx(x, out, sizeof(out));
	if (n != wlen || memcmp(out, want, n) != 0)
		print_error("got %zu bytes: %.*s\n", n, (int)RTE_MIN(n, (size_t)300), out);
	assert_int_equal(n, wlen);
	assert_memory_equal(out, want, n);
}

#define WRITE_EXPECT(x, c, r, s) write_expect((x), (c), (r), 0, (s), sizeof(s) - 1)

static void
test_response_serializer(void **state)
{
	static const struct sl_http_header h1[] = { { "Content-Type", "text/plain" } };
	static const struct sl_http_header bad_val[] = { { "X", "a\r\nSet-Cookie: y" } };
	static const struct sl_http_header bad_name[] = { { "X Y", "a" } };
	static const struct sl_http_header cl[] = { { "content-length", "3" } };
	static const struct sl_http_header te[] = { { "Transfer-Encoding", "chunked" } };
	static char big[5000];
	static uint8_t out[16384];
	struct sl_http_response r = {
		.status = 200, .headers = h1, .nheaders = 1, .body = "hello", .body_len = 5,
	};
	struct tt *x = *state;
	struct sl_writer *wr;
	struct sl_conn *c;
	unsigned int i;
	size_t n;

	c = tpeer_connect(&x->p);
	WRITE_EXPECT(x, c, &r, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
		     "Content-Length: 5\r\n\r\nhello");
	r.flags = SL_HTTP_RESP_NO_BODY | SL_HTTP_RESP_KEEP_ALIVE;
	WRITE_EXPECT(x, c, &r, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
		     "Content-Length: 5\r\nConnection: keep-alive\r\n\r\n");
	r = (struct sl_http_response){ .status = 404, .reason = "Nope",
				       .flags = SL_HTTP_RESP_CLOSE };
	WRITE_EXPECT(x, c, &r, "HTTP/1.1 404 Nope\r\nContent-Length: 0\r\n"
		     "Connection: close\r\n\r\n");
	r = (struct sl_http_response){ .status = 204 };
	WRITE_EXPECT(x, c, &r, "HTTP/1.1 204 No Content\r\n\r\n");
	r = (struct sl_http_response){ .status = 799 };
	WRITE_EXPECT(x, c, &r, "HTTP/1.1 799 Unknown\r\nContent-Length: 0\r\n\r\n");

	/* what cannot be represented leaves nothing on the wire */
	r = (struct sl_http_response){ .status = 99 };
	write_expect(x, c, &r, -EINVAL, NULL, 0);
	r.status = 1000;
	write_expect(x, c, &r, -EINVAL, NULL, 0);
	r = (struct sl_http_response){ .status = 204, .body = "a", .body_len = 1 };
	write_expect(x, c, &r, -EINVAL, NULL, 0);
	r = (struct sl_http_response){ .status = 200, .reason = "O\nK" };
	write_expect(x, c, &r, -EINVAL, NULL, 0);
	r = (struct sl_http_response){ .status = 200, .headers = bad_val, .nheaders = 1 };
	write_expect(x, c, &r, -EINVAL, NULL, 0);
	r.headers = bad_name;
	write_expect(x, c, &r, -EINVAL, NULL, 0);
	r.headers = cl;
	write_expect(x, c, &r, -EINVAL, NULL, 0);
	r.headers = te;
	write_expect(x, c, &r, -EINVAL, NULL, 0);
	r = (struct sl_http_response){ .status = 200, .body_len = 3 };	/* no body pointer */
	write_expect(x, c, &r, -EINVAL, NULL, 0);

	/* a body spanning mbufs, after a head written through the staging buffer */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	r = (struct sl_http_response){ .status = 200, .body = big, .body_len = sizeof(big) };
	wr = sl_conn_writer_begin(c);
	assert_int_equal(sl_http_write_response(wr, &r), 0);
	assert_int_equal(sl_writer_end(wr), 0);
	n = collect_tx(x, out, sizeof(out));
	assert_int_equal(n, 41 + sizeof(big));
	assert_memory_equal(out, "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n", 41);
	assert_memory_equal(out + 41, big, sizeof(big));
}

static void
test_fixed_responses(void **state)
{
	static const struct sl_http_header h[] = {
		{ "Content-Type", "text/plain" }, { "Server", "t" },
	};
	static const struct sl_http_header bad[] = { { "X", "a\rb" } };
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nServer: t\r\n"
				   "Content-Length: 13\r\n";
	static const uint32_t flags[] = {
		0, SL_HTTP_RESP_CLOSE, SL_HTTP_RESP_KEEP_ALIVE, SL_HTTP_RESP_NO_BODY,
		SL_HTTP_RESP_CLOSE | SL_HTTP_RESP_NO_BODY,
		SL_HTTP_RESP_CLOSE | SL_HTTP_RESP_KEEP_ALIVE,
	};
	static const char *const conn_hdr[] = {
		"", "Connection: close\r\n", "Connection: keep-alive\r\n", "",
		"Connection: close\r\n", "Connection: close\r\n",
	};
	static uint8_t out[4096];
	static char want[512];
	struct sl_http_response r = {
		.status = 200, .headers = h, .nheaders = 2, .body = "Hello, world\n",
		.body_len = 13, .flags = SL_HTTP_RESP_CLOSE,	/* ignored */
	};
	struct tt *x = *state;
	struct sl_http_fixed *f, *fb;
	struct sl_conn *c;
	unsigned int i;
	size_t n;
	int wl;

	r.headers = bad;
	r.nheaders = 1;
	assert_null(sl_http_fixed_create(&r));
	assert_int_equal(rte_errno, EINVAL);
	assert_null(sl_http_fixed_create(NULL));
	r.headers = h;
	r.nheaders = 2;
	f = sl_http_fixed_create(&r);
	assert_non_null(f);

	c = tpeer_connect(&x->p);
	for (i = 0; i < RTE_DIM(flags); i++) {
		wl = snprintf(want, sizeof(want), "%s%s\r\n%s", head, conn_hdr[i],
			      (flags[i] & SL_HTTP_RESP_NO_BODY) ? "" : "Hello, world\n");
		assert_int_equal(sl_http_fixed_len(f, flags[i]), wl);
		assert_int_equal(sl_conn_send_http_fixed(c, f, flags[i]), 0);
		n = collect_tx(x, out, sizeof(out));
		assert_int_equal(n, wl);
		assert_memory_equal(out, want, n);
	}
	/* the same bytes as the serializer's */
	r.flags = SL_HTTP_RESP_KEEP_ALIVE | SL_HTTP_RESP_NO_BODY;
	wl = snprintf(want, sizeof(want), "%sConnection: keep-alive\r\n\r\n", head);
	assert_int_equal(sl_http_fixed_len(f, r.flags), wl);
	write_expect(x, c, &r, 0, want, (size_t)wl);
	sl_http_fixed_free(f);

	/* an empty body */
	r = (struct sl_http_response){ .status = 503 };
	fb = sl_http_fixed_create(&r);
	assert_non_null(fb);
	assert_int_equal(sl_http_fixed_len(fb, 0),
			 strlen("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"));
	sl_http_fixed_free(fb);
	sl_http_fixed_free(NULL);
}

static void
test_error_status_and_reasons(void **state)
{
	(void)state;
	assert_int_equal(sl_http_error_status(EBADMSG), 400);
	assert_int_equal(sl_http_error_status(EPIPE), 400);
	assert_int_equal(sl_http_error_status(ENAMETOOLONG), 414);
	assert_int_equal(sl_http_error_status(EMSGSIZE), 431);
	assert_int_equal(sl_http_error_status(EFBIG), 413);
	assert_int_equal(sl_http_error_status(ENOTSUP), 501);
	assert_int_equal(sl_http_error_status(EPROTONOSUPPORT), 505);
	assert_int_equal(sl_http_error_status(SL_EPLUGIN), 500);
	assert_string_equal(sl_http_reason(431), "Request Header Fields Too Large");
	assert_string_equal(sl_http_reason(405), "Method Not Allowed");
	assert_string_equal(sl_http_reason(299), "Unknown");
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_limits),
		cmocka_unit_test(test_get_fields),
		cmocka_unit_test(test_post_body_then_pipelined_get),
		cmocka_unit_test(test_pipelined_gets_and_leading_empty_lines),
		cmocka_unit_test(test_keep_alive_rules),
		cmocka_unit_test(test_methods_and_values),
		cmocka_unit_test(test_value_trimming),
		cmocka_unit_test(test_errors_request_line),
		cmocka_unit_test(test_errors_fields),
		cmocka_unit_test(test_errors_framing),
		cmocka_unit_test(test_fin_after_empty_lines_is_clean),
		cmocka_unit_test(test_limit_request_line),
		cmocka_unit_test(test_limit_head_and_headers),
		cmocka_unit_test(test_limit_body),
		cmocka_unit_test(test_body_one_byte_segments_few_calls),
		cmocka_unit_test(test_many_fields_every_split),
		TT_TEST(test_response_serializer),
		TT_TEST(test_fixed_responses),
		cmocka_unit_test(test_error_status_and_reasons),
	};

	(void)argc;
	(void)argv;
	th_eal_init("test_framing_http");
	framings_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
