/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * framing/http.c -- HTTP/1.1 requests in, responses out (RFC 9110, RFC 9112).
 *
 * framing_pump -> http_frame -> http_scan -> http_step (one byte), then http_emit
 * sl_conn_send_msg -> http_encode -> http_response_put -> sl_writer_*
 * sl_conn_send_http_fixed -> sl_conn_send (bytes prepared by sl_http_fixed_create)
 *
 * The request head is read by a byte-at-a-time state machine (http_step) whose state
 * lives in the connection's framing state: every byte is examined once, whatever the
 * segmentation, and the first byte that is not allowed where it stands is the error,
 * so the verdict and its offset depend only on the bytes. The state remembers where the
 * scan stopped (`pos`, the `scanned` it reported), where the request line's parts are and
 * what the fields it cares about said (Content-Length, Connection, Host, version).
 * Once the empty line arrives, a request with a body asks for all of it at once (NEED
 * head + Content-Length) and is never read: the body is the application's.
 *
 * Fields live in a per-worker array that other connections reuse between calls, so they
 * are not collected while scanning: when the request is complete, http_emit walks the
 * validated head once more (memchr for LF and colon per line, a few bytes of trimming)
 * to report them. A head is thus read twice at most, the second time without checks.
 *
 * Responses are written through a small staging buffer (the status line and header
 * fields, then the body straight from the caller), into a writer or, for
 * sl_http_fixed_create(), into memory: the same code produces both.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_common.h>
#include <rte_errno.h>

#include <sluice/conn.h>
#include <sluice/framing.h>
#include <sluice/http.h>

/* ---- characters ---- */

#define CH_TCHAR	1u	/* token character (RFC 9110 §5.6.2) */
#define CH_VCHAR	2u	/* visible character, for the request target */
#define CH_FVALUE	4u	/* allowed in a field value: HTAB, SP, VCHAR, obs-text */

static const uint8_t http_ctab[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	4, 7, 6, 7, 7, 7, 7, 7, 6, 6, 7, 7, 6, 7, 7, 6,
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 6, 6, 6,
	6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 7, 7,
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 7, 6, 7, 0,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};

static inline bool
ch_is(uint8_t c, uint8_t cls)
{
	return (http_ctab[c] & cls) != 0;
}

static inline uint8_t
ch_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
}

static inline bool
ch_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* ---- request state ---- */

/* What the parser expects next. Zero is the start of a request. */
enum http_ps {
	HS_START = 0,	/* a request line, or an empty line before it */
	HS_LEAD_LF,	/* the LF of an empty line before the request line */
	HS_METHOD,	/* more method characters, or the SP after them */
	HS_TARGET0,	/* the first character of the target */
	HS_TARGET,	/* more target characters, or the SP after them */
	HS_VERSION,	/* "HTTP/x.y" (`i` characters matched so far), then CR */
	HS_LINE_LF,	/* the LF ending the request line or a field line */
	HS_FIELD,	/* a field name, or the CR of the empty line */
	HS_NAME,	/* more name characters, or the colon */
	HS_VALUE,	/* value bytes, or the CR ending the line */
	HS_END_LF,	/* the LF of the empty line: the head is complete */
	HS_BODY,	/* the head was read: waiting for the whole body */
};

/* Header fields the parser interprets. */
enum http_hdr {
	HH_OTHER = 0,
	HH_CONTENT_LENGTH,
	HH_TRANSFER_ENCODING,
	HH_CONNECTION,
	HH_HOST,
};

/* Sub-states of a Content-Length value. */
enum { CL_LEAD = 0, CL_DIGITS, CL_TRAIL };
/* Sub-states of a Connection value: inside a token (or before it), after it. */
enum { CT_TOKEN = 0, CT_AFTER };

#define HF_11		(1u << 0)	/* HTTP/1.1 or a later minor version */
#define HF_CL		(1u << 1)	/* Content-Length seen */
#define HF_CLOSE	(1u << 2)	/* Connection: close */
#define HF_KEEP		(1u << 3)	/* Connection: keep-alive */
#define HF_HOST		(1u << 4)	/* Host seen */

#define HTTP_NAME_KEEP	18u	/* name bytes kept: the longest interpreted name + 1 */
#define HTTP_TOK_KEEP	11u	/* Connection token bytes kept: "keep-alive" + 1 */
#define HTTP_METHOD_KEEP 8u	/* method bytes kept: the longest known method + 1 */
#define HTTP_CL_SAT	(1ull << 40)	/* Content-Length values stop growing here */

/* A request being read; all offsets from the first unconsumed byte. */
struct http_state {
	uint8_t ps;		/* enum http_ps */
	uint8_t hdr;		/* enum http_hdr of the field being read */
	uint8_t sub;		/* CL_* or CT_* within a value */
	uint8_t i;		/* HS_VERSION: characters matched */
	uint8_t nlen;		/* name bytes seen (capped at HTTP_NAME_KEEP) */
	uint8_t toklen;		/* Connection token bytes seen (capped at HTTP_TOK_KEEP) */
	uint8_t mlen;		/* method bytes seen (capped at HTTP_METHOD_KEEP) */
	uint8_t flags;		/* HF_* */
	uint32_t pos;		/* bytes examined: where the next call goes on */
	uint32_t msg_off;	/* the request line's first byte (after empty lines) */
	uint32_t method_len;
	uint32_t target_off, target_len;
	uint32_t version_off;
	uint32_t line_off;	/* first byte of the current field line */
	uint32_t num_off;	/* first digit of Content-Length */
	uint32_t nheaders;
	uint32_t head_end;	/* HS_BODY: bytes of the head, empty line included */
	uint64_t cl;		/* Content-Length (saturates at HTTP_CL_SAT) */
	char method[HTTP_METHOD_KEEP];
	char name[HTTP_NAME_KEEP];	/* lowercased */
	char tok[HTTP_TOK_KEEP];	/* lowercased */
};

/* http_step() result besides 0 (go on) and errno values. */
#define HTTP_HEAD_DONE (-1)

static const struct {
	const char *name;
	enum sl_http_method m;
} http_methods[] = {
	{ "GET", SL_HTTP_GET },
	{ "HEAD", SL_HTTP_HEAD },
	{ "POST", SL_HTTP_POST },
	{ "PUT", SL_HTTP_PUT },
	{ "DELETE", SL_HTTP_DELETE },
	{ "CONNECT", SL_HTTP_CONNECT },
	{ "OPTIONS", SL_HTTP_OPTIONS },
	{ "TRACE", SL_HTTP_TRACE },
	{ "PATCH", SL_HTTP_PATCH },
};

static enum sl_http_method
http_method_code(const struct http_state *st)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(http_methods); i++)
		if (strlen(http_methods[i].name) == st->mlen &&
		    memcmp(http_methods[i].name, st->method, st->mlen) == 0)
			return http_methods[i].m;
	return SL_HTTP_OTHER;
}

static bool
http_name_is(const struct http_state *st, const char *lit)
{
	size_t n = strlen(lit);

	return st->nlen == n && memcmp(st->name, lit, n) == 0;
}

/* The colon ends a field name: decide what the value means. */
static int
http_name_end(struct http_state *st, uint32_t *eoff)
{
	st->hdr = HH_OTHER;
	st->sub = 0;
	if (http_name_is(st, "content-length")) {
		/* RFC 9112 §6.3: several Content-Length lines leave the length to guess;
		 * refusing them is the only reading that cannot be smuggled through. */
		if (st->flags & HF_CL)
			goto bad;
		st->flags |= HF_CL;
		st->hdr = HH_CONTENT_LENGTH;
		st->cl = 0;
	} else if (http_name_is(st, "transfer-encoding")) {
		/* RFC 9112 §6.1: an HTTP/1.0 message with it has faulty framing; in 1.1
		 * it means chunked (or another coding), which is not implemented. */
		*eoff = st->line_off;
		return (st->flags & HF_11) ? ENOTSUP : EBADMSG;
	} else if (http_name_is(st, "connection")) {
		st->hdr = HH_CONNECTION;
		st->toklen = 0;
	} else if (http_name_is(st, "host")) {
		/* RFC 9112 §3.2: more than one Host line is a 400. */
		if (st->flags & HF_HOST)
			goto bad;
		st->flags |= HF_HOST;
		st->hdr = HH_HOST;
	}
	return 0;
bad:
	*eoff = st->line_off;
	return EBADMSG;
}

/* A Connection token ended (at a comma or the end of the value). */
static void
http_conn_token(struct http_state *st)
{
	if (st->toklen == 5 && memcmp(st->tok, "close", 5) == 0)
		st->flags |= HF_CLOSE;
	else if (st->toklen == 10 && memcmp(st->tok, "keep-alive", 10) == 0)
		st->flags |= HF_KEEP;
	st->toklen = 0;
	st->sub = CT_TOKEN;
}

/* One byte of a field value the parser interprets (c is an allowed value byte). */
static int
http_value_byte(struct http_state *st, uint8_t c, uint32_t off, uint32_t *eoff)
{
	switch (st->hdr) {
	case HH_CONTENT_LENGTH:
		/* 1*DIGIT with optional whitespace around: no sign, no list. */
		if (c >= '0' && c <= '9' && st->sub != CL_TRAIL) {
			if (st->sub == CL_LEAD) {
				st->sub = CL_DIGITS;
				st->num_off = off;
			}
			if (st->cl < HTTP_CL_SAT)
				st->cl = st->cl * 10 + (uint64_t)(c - '0');
			return 0;
		}
		if (ch_ows(c)) {
			if (st->sub == CL_DIGITS)
				st->sub = CL_TRAIL;
			return 0;
		}
		*eoff = off;
		return EBADMSG;
	case HH_CONNECTION:
		if (c == ',') {
			http_conn_token(st);
		} else if (ch_ows(c)) {
			if (st->toklen > 0)
				st->sub = CT_AFTER;
		} else if (st->sub == CT_AFTER) {
			st->toklen = HTTP_TOK_KEEP;	/* "close x": not a token we know */
		} else if (st->toklen < HTTP_TOK_KEEP) {
			st->tok[st->toklen++] = (char)ch_lower(c);
		}
		return 0;
	default:
		return 0;
	}
}

/* The CR ending a field value. */
static int
http_value_end(struct http_state *st, const struct sl_http_cfg *cfg, uint32_t off,
	       uint32_t *eoff)
{
	switch (st->hdr) {
	case HH_CONTENT_LENGTH:
		if (st->sub == CL_LEAD) {
			*eoff = off;		/* no digits at all */
			return EBADMSG;
		}
		if (st->cl > cfg->max_body) {
			*eoff = st->num_off;
			return EFBIG;
		}
		return 0;
	case HH_CONNECTION:
		http_conn_token(st);
		return 0;
	default:
		return 0;
	}
}

/* Examine byte c at offset off of a request head. Returns 0 to go on, HTTP_HEAD_DONE
 * when c ended the head, or an errno value with *eoff the offending offset. */
static inline int
http_step(struct http_state *st, const struct sl_http_cfg *cfg, uint32_t max_fields,
	  uint8_t c, uint32_t off, uint32_t *eoff)
{
	*eoff = off;
	switch (st->ps) {
	case HS_START:
		if (c == '\r') {
			st->ps = HS_LEAD_LF;
			return 0;
		}
		if (!ch_is(c, CH_TCHAR))
			return EBADMSG;
		st->msg_off = off;
		st->method[0] = (char)c;
		st->mlen = 1;
		st->ps = HS_METHOD;
		return 0;
	case HS_LEAD_LF:
		if (c != '\n') {
			*eoff = off - 1;	/* a bare CR */
			return EBADMSG;
		}
		st->ps = HS_START;
		return 0;
	case HS_METHOD:
	case HS_TARGET0:
	case HS_TARGET:
	case HS_VERSION:
		/* The request line's length, CR excluded, is checked before its syntax:
		 * whatever the byte past the limit is, the line is too long. */
		if (c != '\r' && off - st->msg_off >= cfg->max_line)
			return ENAMETOOLONG;
		break;
	case HS_LINE_LF:
		if (c != '\n') {
			*eoff = off - 1;
			return EBADMSG;
		}
		st->ps = HS_FIELD;
		return 0;
	case HS_FIELD:
		if (c == '\r') {
			st->ps = HS_END_LF;
			return 0;
		}
		/* SP or HTAB here is obs-fold (or whitespace before the first field):
		 * RFC 9112 §5.2 and §2.2 allow refusing both. */
		if (!ch_is(c, CH_TCHAR))
			return EBADMSG;
		if (st->nheaders >= cfg->max_headers ||
		    SL_HTTP_FIELD_HDR0 + 2 * ((uint64_t)st->nheaders + 1) > max_fields)
			return EMSGSIZE;
		st->nheaders++;
		st->line_off = off;
		st->name[0] = (char)ch_lower(c);
		st->nlen = 1;
		st->ps = HS_NAME;
		return 0;
	case HS_NAME:
		if (ch_is(c, CH_TCHAR)) {
			if (st->nlen < HTTP_NAME_KEEP)
				st->name[st->nlen++] = (char)ch_lower(c);
			return 0;
		}
		if (c != ':')
			return EBADMSG;	/* whitespace before the colon included */
		st->ps = HS_VALUE;
		return http_name_end(st, eoff);
	case HS_VALUE:
		if (c == '\r') {
			st->ps = HS_LINE_LF;
			return http_value_end(st, cfg, off, eoff);
		}
		if (!ch_is(c, CH_FVALUE))
			return EBADMSG;		/* a bare LF, NUL, other controls, DEL */
		return st->hdr == HH_OTHER || st->hdr == HH_HOST ? 0 :
		       http_value_byte(st, c, off, eoff);
	case HS_END_LF:
		if (c != '\n') {
			*eoff = off - 1;
			return EBADMSG;
		}
		if ((st->flags & HF_11) && !(st->flags & HF_HOST)) {
			*eoff = off - 1;	/* RFC 9112 §3.2: HTTP/1.1 needs Host */
			return EBADMSG;
		}
		return HTTP_HEAD_DONE;
	default:
		return EBADMSG;
	}

	/* The request line. */
	switch (st->ps) {
	case HS_METHOD:
		if (ch_is(c, CH_TCHAR)) {
			if (st->mlen < HTTP_METHOD_KEEP)
				st->method[st->mlen++] = (char)c;
			return 0;
		}
		if (c != ' ')
			return EBADMSG;
		st->method_len = off - st->msg_off;
		st->ps = HS_TARGET0;
		return 0;
	case HS_TARGET0:
		if (!ch_is(c, CH_VCHAR))
			return EBADMSG;
		st->target_off = off;
		st->ps = HS_TARGET;
		return 0;
	case HS_TARGET:
		if (ch_is(c, CH_VCHAR))
			return 0;
		if (c != ' ')
			return EBADMSG;
		st->target_len = off - st->target_off;
		st->version_off = off + 1;
		st->i = 0;
		st->ps = HS_VERSION;
		return 0;
	default:	/* HS_VERSION: "HTTP/" DIGIT "." DIGIT, case-sensitive */
		if (st->i < 5) {
			if (c != (uint8_t)"HTTP/"[st->i])
				return EBADMSG;
		} else if (st->i == 5) {
			if (c < '0' || c > '9')
				return EBADMSG;
			if (c != '1')
				return EPROTONOSUPPORT;
		} else if (st->i == 6) {
			if (c != '.')
				return EBADMSG;
		} else if (st->i == 7) {
			if (c < '0' || c > '9')
				return EBADMSG;
			/* RFC 9110 §2.5: a later minor version is handled as the
			 * highest one implemented. */
			if (c != '0')
				st->flags |= HF_11;
		} else {
			if (c != '\r')
				return EBADMSG;
			st->ps = HS_LINE_LF;
			return 0;
		}
		st->i++;
		return 0;
	}
}

/* Scan the head from st->pos to the end of what is there. Returns 0 (not complete),
 * HTTP_HEAD_DONE (st->head_end set) or an errno value (*eoff set). */
static int
http_scan(struct http_state *st, const struct sl_http_cfg *cfg, const struct sl_cursor *in,
	  uint32_t avail, uint32_t max_fields, uint32_t *eoff)
{
	uint32_t lim = RTE_MIN(avail, cfg->max_head);
	uint32_t off = st->pos;
	struct sl_slice sl[16];

	while (off < lim) {
		unsigned int n = sl_cursor_slices(in, off, lim - off, sl, RTE_DIM(sl));
		unsigned int k;

		if (n == 0)
			break;
		for (k = 0; k < n; k++) {
			const uint8_t *p = sl[k].data;
			uint32_t j;

			for (j = 0; j < sl[k].len; j++, off++) {
				int rc = http_step(st, cfg, max_fields, p[j], off, eoff);

				if (rc == 0)
					continue;
				st->pos = off + 1;
				if (rc == HTTP_HEAD_DONE)
					st->head_end = off + 1;
				return rc;
			}
		}
	}
	st->pos = off;
	if (off >= cfg->max_head && avail > cfg->max_head) {
		*eoff = cfg->max_head;	/* the first byte past the limit */
		return EMSGSIZE;
	}
	return 0;
}

/* The request is all there: report it and go back to the start state. */
static enum sl_ds_verdict
http_emit(struct http_state *st, const struct sl_cursor *in, struct sl_ds_result *r)
{
	const uint32_t base = st->msg_off;
	const uint32_t end = st->head_end;
	uint64_t body = (st->flags & HF_CL) ? st->cl : 0;
	uint32_t type, p, i;

	type = (uint32_t)http_method_code(st);
	if (st->flags & HF_11)
		type |= SL_HTTP_TYPE_11;
	if ((st->flags & HF_11) ? !(st->flags & HF_CLOSE) :
	    (st->flags & HF_KEEP) && !(st->flags & HF_CLOSE))
		type |= SL_HTTP_TYPE_KEEP_ALIVE;
	if (st->flags & HF_CL)
		type |= SL_HTTP_TYPE_BODY;

	r->fields[SL_HTTP_FIELD_METHOD] = (struct sl_field){ 0, st->method_len };
	r->fields[SL_HTTP_FIELD_TARGET] =
		(struct sl_field){ st->target_off - base, st->target_len };
	r->fields[SL_HTTP_FIELD_VERSION] = (struct sl_field){ st->version_off - base, 8 };
	r->fields[SL_HTTP_FIELD_BODY] = (struct sl_field){ end - base, (uint32_t)body };
	/* Field lines start after "HTTP/x.y\r\n"; the scan validated every one of them. */
	p = st->version_off + 10;
	for (i = 0; i < st->nheaders; i++) {
		int64_t lf = sl_cursor_memchr(in, p, end, '\n');
		int64_t colon = lf > 0 ? sl_cursor_memchr(in, p, (uint32_t)lf, ':') : -1;
		uint32_t v0, v1;

		if (colon < 0) {
			/* Cannot happen after the scan; refuse rather than guess. */
			r->err = EBADMSG;
			r->err_off = p;
			return SL_DS_ERROR;
		}
		v0 = (uint32_t)colon + 1;
		v1 = (uint32_t)lf - 1;		/* the CR */
		while (v0 < v1 && ch_ows(sl_cursor_byte(in, v0)))
			v0++;
		while (v1 > v0 && ch_ows(sl_cursor_byte(in, v1 - 1)))
			v1--;
		r->fields[SL_HTTP_FIELD_HDR0 + 2 * i] =
			(struct sl_field){ p - base, (uint32_t)colon - p };
		r->fields[SL_HTTP_FIELD_HDR0 + 2 * i + 1] =
			(struct sl_field){ v0 - base, v1 - v0 };
		p = (uint32_t)lf + 1;
	}
	r->nfields = SL_HTTP_FIELD_HDR0 + 2 * st->nheaders;
	r->consumed = end + (uint32_t)body;
	r->msg_off = base;
	r->msg_len = r->consumed - base;
	r->msg_type = type;
	memset(st, 0, sizeof(*st));
	return SL_DS_FRAME;
}

static enum sl_ds_verdict
http_frame(void *state, const void *arg, const struct sl_cursor *in, uint32_t resume,
	   struct sl_ds_result *r)
{
	const struct sl_http_cfg *cfg = arg;
	struct http_state *st = state;
	uint32_t avail = sl_cursor_avail(in);
	uint64_t total;

	/* `resume` is st->pos: the state knows where its scan stopped. */
	RTE_SET_USED(resume);
	if (st->ps != HS_BODY) {
		uint32_t eoff = 0;
		int rc = http_scan(st, cfg, in, avail, r->max_fields, &eoff);

		if (rc == 0) {
			r->need = avail + 1;
			r->scanned = avail;
			return SL_DS_NEED;
		}
		if (rc != HTTP_HEAD_DONE) {
			r->err = rc;
			r->err_off = eoff;
			return SL_DS_ERROR;
		}
		st->ps = HS_BODY;
	}
	/* The body is waited for as a whole. max_body <= UINT32_MAX - max_head - 1. */
	total = (uint64_t)st->head_end + ((st->flags & HF_CL) ? st->cl : 0);
	if (total > avail) {
		r->need = (uint32_t)total;
		r->scanned = avail;
		return SL_DS_NEED;
	}
	return http_emit(st, in, r);
}

static enum sl_ds_verdict
http_eof(void *state, const void *arg, const struct sl_cursor *in, struct sl_ds_result *r)
{
	struct http_state *st = state;

	RTE_SET_USED(arg);
	/* Nothing, or only empty lines (and perhaps a last CR), before FIN: done. */
	if (st->ps == HS_START || st->ps == HS_LEAD_LF) {
		memset(st, 0, sizeof(*st));
		return SL_DS_DONE;
	}
	r->err = EPIPE;
	r->err_off = sl_cursor_avail(in);
	return SL_DS_ERROR;
}

/* ---- helpers on requests ---- */

int
sl_http_header_find(const struct sl_msg *m, const char *name, uint32_t from,
		    struct sl_field *value)
{
	size_t n = strlen(name);
	uint32_t i, nh = sl_http_nheaders(m);

	if (m->data == NULL)
		return -EINVAL;
	for (i = from; i < nh; i++) {
		const struct sl_field *f = &m->fields[SL_HTTP_FIELD_HDR0 + 2 * i];

		if (f->len == n && strncasecmp((const char *)m->data + f->off, name, n) == 0) {
			*value = f[1];
			return (int)i;
		}
	}
	return -ENOENT;
}

uint16_t
sl_http_error_status(int err)
{
	switch (err) {
	case ENAMETOOLONG:
		return 414;
	case EMSGSIZE:
		return 431;
	case EFBIG:
		return 413;
	case ENOTSUP:
		return 501;
	case EPROTONOSUPPORT:
		return 505;
	case SL_EPLUGIN:
		return 500;
	default:
		return 400;
	}
}

const char *
sl_http_reason(uint16_t status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 421: return "Misdirected Request";
	case 422: return "Unprocessable Content";
	case 426: return "Upgrade Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

/* ---- responses ---- */

/* Where encoded bytes go: a writer, or memory (buf NULL: only count them). */
struct http_out {
	struct sl_writer *wr;
	uint8_t *buf;
	uint32_t len;			/* bytes produced so far */
	uint32_t staged;		/* bytes waiting in stage[] (writer only) */
	int rc;				/* first error */
	uint8_t stage[512];
};

static void
out_flush(struct http_out *o)
{
	int rc;

	if (o->staged == 0)
		return;
	rc = sl_writer_write(o->wr, o->stage, o->staged);
	if (rc != 0 && o->rc == 0)
		o->rc = rc;
	o->staged = 0;
}

static void
out_put(struct http_out *o, const void *p, uint32_t n)
{
	if (o->rc != 0)
		return;
	if ((uint64_t)o->len + n > UINT32_MAX) {
		o->rc = -EMSGSIZE;
		return;
	}
	if (o->wr == NULL) {
		if (o->buf != NULL)
			memcpy(o->buf + o->len, p, n);
	} else if (n <= sizeof(o->stage) - o->staged) {
		memcpy(o->stage + o->staged, p, n);
		o->staged += n;
	} else {
		/* Large pieces (bodies) go straight from the caller's memory. */
		out_flush(o);
		if (o->rc == 0 && n > sizeof(o->stage)) {
			int rc = sl_writer_write(o->wr, p, n);

			if (rc != 0)
				o->rc = rc;
		} else if (o->rc == 0) {
			memcpy(o->stage, p, n);
			o->staged = n;
		}
	}
	o->len += n;
}

static void
out_str(struct http_out *o, const char *s)
{
	out_put(o, s, (uint32_t)strlen(s));
}

static void
out_u32(struct http_out *o, uint32_t v)
{
	char d[10];
	unsigned int n = 0;

	do {
		d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	out_put(o, d + sizeof(d) - n, n);
}

/* Text that goes on a header line: no CR, LF or other controls (HTAB allowed). */
static bool
http_text_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (!ch_is((uint8_t)*s, CH_FVALUE))
			return false;
	return true;
}

static bool
http_token_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!ch_is((uint8_t)*s, CH_TCHAR))
			return false;
	return true;
}

/* Check a response before anything of it is written. */
static int
http_response_check(const struct sl_http_response *resp)
{
	uint32_t i;

	if (resp->status < 100 || resp->status > 999)
		return -EINVAL;
	if (resp->reason != NULL && !http_text_ok(resp->reason))
		return -EINVAL;
	/* 1xx, 204 and 304 never have content (RFC 9110 §6.4.1). */
	if ((resp->status < 200 || resp->status == 204 || resp->status == 304) &&
	    resp->body_len > 0)
		return -EINVAL;
	if (resp->body_len > 0 && resp->body == NULL)
		return -EINVAL;
	if (resp->nheaders > 0 && resp->headers == NULL)
		return -EINVAL;
	for (i = 0; i < resp->nheaders; i++) {
		const struct sl_http_header *h = &resp->headers[i];

		if (h->name == NULL || h->value == NULL || !http_token_ok(h->name) ||
		    !http_text_ok(h->value))
			return -EINVAL;
		/* The framing of the response is this encoder's business. */
		if (strcasecmp(h->name, "content-length") == 0 ||
		    strcasecmp(h->name, "transfer-encoding") == 0)
			return -EINVAL;
	}
	return 0;
}

/* Status line, fields, empty line (not the body). */
static void
http_head_put(struct http_out *o, const struct sl_http_response *resp, uint32_t flags)
{
	const uint16_t s = resp->status;
	char sl[13] = "HTTP/1.1 000 ";
	uint32_t i;

	sl[9] = (char)('0' + s / 100);
	sl[10] = (char)('0' + s / 10 % 10);
	sl[11] = (char)('0' + s % 10);
	out_put(o, sl, sizeof(sl));
	out_str(o, resp->reason != NULL ? resp->reason : sl_http_reason(s));
	out_put(o, "\r\n", 2);
	for (i = 0; i < resp->nheaders; i++) {
		out_str(o, resp->headers[i].name);
		out_put(o, ": ", 2);
		out_str(o, resp->headers[i].value);
		out_put(o, "\r\n", 2);
	}
	if (s >= 200 && s != 204 && s != 304) {
		out_put(o, "Content-Length: ", 16);
		out_u32(o, resp->body_len);
		out_put(o, "\r\n", 2);
	}
	if (flags & SL_HTTP_RESP_CLOSE)
		out_put(o, "Connection: close\r\n", 19);
	else if (flags & SL_HTTP_RESP_KEEP_ALIVE)
		out_put(o, "Connection: keep-alive\r\n", 24);
	out_put(o, "\r\n", 2);
}

int
sl_http_write_response(struct sl_writer *wr, const struct sl_http_response *resp)
{
	struct http_out o;
	int rc = http_response_check(resp);

	if (rc != 0)
		return rc;
	o.wr = wr;
	o.buf = NULL;
	o.len = 0;
	o.staged = 0;
	o.rc = 0;
	http_head_put(&o, resp, resp->flags);
	if (!(resp->flags & SL_HTTP_RESP_NO_BODY) && resp->body_len > 0)
		out_put(&o, resp->body, resp->body_len);
	out_flush(&o);
	return o.rc;
}

static int
http_encode(const void *arg, const void *msg, struct sl_writer *wr)
{
	RTE_SET_USED(arg);
	return sl_http_write_response(wr, msg);
}

/* ---- prepared responses ---- */

/* Connection variants: none (HTTP/1.1 keep-alive), close, keep-alive (HTTP/1.0). */
enum { FIXED_PLAIN = 0, FIXED_CLOSE, FIXED_KEEP, FIXED_NVAR };

struct sl_http_fixed {
	uint8_t *bytes[FIXED_NVAR];	/* head then body, contiguous */
	uint32_t head_len[FIXED_NVAR];
	uint32_t body_len;
};

static unsigned int
fixed_variant(uint32_t flags)
{
	if (flags & SL_HTTP_RESP_CLOSE)
		return FIXED_CLOSE;
	return (flags & SL_HTTP_RESP_KEEP_ALIVE) ? FIXED_KEEP : FIXED_PLAIN;
}

struct sl_http_fixed *
sl_http_fixed_create(const struct sl_http_response *resp)
{
	static const uint32_t vflags[FIXED_NVAR] = {
		[FIXED_PLAIN] = 0,
		[FIXED_CLOSE] = SL_HTTP_RESP_CLOSE,
		[FIXED_KEEP] = SL_HTTP_RESP_KEEP_ALIVE,
	};
	struct sl_http_fixed *f;
	unsigned int v;

	if (resp == NULL || http_response_check(resp) != 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		goto nomem;
	f->body_len = resp->body_len;
	for (v = 0; v < FIXED_NVAR; v++) {
		struct http_out o = { .wr = NULL, .buf = NULL };

		/* Count, then write for real. */
		http_head_put(&o, resp, vflags[v]);
		if (o.rc != 0 || (uint64_t)o.len + resp->body_len > UINT32_MAX) {
			sl_http_fixed_free(f);
			rte_errno = EINVAL;
			return NULL;
		}
		f->head_len[v] = o.len;
		f->bytes[v] = malloc((size_t)o.len + resp->body_len);
		if (f->bytes[v] == NULL)
			goto nomem;
		o.buf = f->bytes[v];
		o.len = 0;
		http_head_put(&o, resp, vflags[v]);
		if (resp->body_len > 0)
			memcpy(f->bytes[v] + o.len, resp->body, resp->body_len);
	}
	return f;
nomem:
	sl_http_fixed_free(f);
	rte_errno = ENOMEM;
	return NULL;
}

void
sl_http_fixed_free(struct sl_http_fixed *f)
{
	unsigned int v;

	if (f == NULL)
		return;
	for (v = 0; v < FIXED_NVAR; v++)
		free(f->bytes[v]);
	free(f);
}

uint32_t
sl_http_fixed_len(const struct sl_http_fixed *f, uint32_t flags)
{
	unsigned int v = fixed_variant(flags);

	return f->head_len[v] + ((flags & SL_HTTP_RESP_NO_BODY) ? 0 : f->body_len);
}

int
sl_conn_send_http_fixed(struct sl_conn *c, const struct sl_http_fixed *f, uint32_t flags)
{
	return sl_conn_send(c, f->bytes[fixed_variant(flags)], sl_http_fixed_len(f, flags));
}

/* ---- init ---- */

int
sl_http_init(struct sl_deserializer *ds, struct sl_serializer *ser,
	     const struct sl_http_cfg *cfg)
{
	if (cfg == NULL || cfg->max_line < 16 || cfg->max_head < 16 || cfg->max_headers == 0 ||
	    cfg->max_headers > SL_HTTP_MAX_HEADERS ||
	    (uint64_t)cfg->max_head + cfg->max_body + 1 > UINT32_MAX)
		return -EINVAL;
	if (ds != NULL) {
		memset(ds, 0, sizeof(*ds));
		ds->name = "http";
		ds->state_size = sizeof(struct http_state);
		ds->max_msg = cfg->max_head + cfg->max_body + 1;
		ds->flags = SL_DS_F_CONTIG;
		ds->arg = cfg;
		ds->frame = http_frame;
		ds->eof = http_eof;
	}
	if (ser != NULL) {
		memset(ser, 0, sizeof(*ser));
		ser->name = "http";
		ser->arg = cfg;
		ser->encode = http_encode;
	}
	return 0;
}
