/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * resp.c -- RESP2 (the Redis protocol): requests and replies in, values out.
 *
 * framing_pump -> resp_req_frame (server) or resp_reply_frame (client) -> sl_cursor_*
 * sl_conn_send_msg -> resp_encode -> sl_resp_write_value -> sl_writer_*
 *
 * Both deserializers are switch-on-state machines whose zeroed state means "at the start
 * of a message". The state remembers where the next element starts, so a call never
 * re-reads what a previous call accepted: a request `*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$65536
 * \r\n...` arriving in 45 segments costs one call per header plus one when the payload
 * is complete (the NEED for a payload asks for all of it plus its CRLF). The only bytes
 * ever read twice are the at most 32 bytes of an unfinished `$len\r\n` line.
 *
 * Fields (request arguments) live in a per-worker array that other connections reuse
 * between calls, so they cannot be collected across calls: when a request completes in a
 * call that did not start it, its headers are walked once more from the start to fill
 * the fields (payloads are jumped over, never read).
 *
 * Numbers follow Redis's string2ll(): optional '-', no '+', no leading zeros, no spaces.
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>

#include <sluice/framing.h>
#include <sluice/resp.h>

/* Longest number line: type, sign, 20 digits, CRLF, with room to spare. A line that is
 * longer is not a number, whatever follows. */
#define RESP_NUM_LINE 32u

/* ---- numbers ---- */

enum num_rc {
	NUM_OK,
	NUM_SHORT,	/* the bytes end inside the line */
	NUM_BAD,	/* not a number (at `bad`) */
	NUM_OVER,	/* beyond the limit (blame `bad`, the first digit) */
};

struct resp_num {
	bool neg;
	uint64_t mag;
	uint32_t end;	/* bytes of the line, CRLF included */
	uint32_t bad;
};

/* Parse "<type>[-]digits\r\n" in p[0..n). Positive values may reach pos_lim, negative
 * ones neg_lim (their magnitude); neg_lim 0 forbids the sign. */
static enum num_rc
num_parse(const uint8_t *p, uint32_t n, uint64_t pos_lim, uint64_t neg_lim,
	  struct resp_num *out)
{
	uint32_t i = 1, d0;
	uint64_t lim;

	out->neg = false;
	out->mag = 0;
	if (i < n && p[i] == '-' && neg_lim > 0) {
		out->neg = true;
		i++;
	}
	lim = out->neg ? neg_lim : pos_lim;
	d0 = i;
	if (i == n)
		return NUM_SHORT;
	if (p[i] < '0' || p[i] > '9' || (p[i] == '0' && out->neg)) {
		out->bad = i;
		return NUM_BAD;
	}
	if (p[i] == '0') {
		i++;
	} else {
		for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
			uint64_t dg = (uint64_t)(p[i] - '0');

			if (out->mag > lim / 10 || out->mag * 10 + dg > lim) {
				/* A negative number is only ever a marker (-1) or an
				 * integer: beyond its range it is malformed, not big. */
				out->bad = d0;
				return out->neg ? NUM_BAD : NUM_OVER;
			}
			out->mag = out->mag * 10 + dg;
		}
	}
	if (i == n)
		return n >= RESP_NUM_LINE ? (out->bad = i, NUM_BAD) : NUM_SHORT;
	if (p[i] != '\r') {
		out->bad = i;
		return NUM_BAD;
	}
	if (i + 1 == n)
		return NUM_SHORT;
	if (p[i + 1] != '\n') {
		out->bad = i + 1;
		return NUM_BAD;
	}
	out->end = i + 2;
	return NUM_OK;
}

/* The number line at pos of the cursor: SL_DS_FRAME when parsed (num), SL_DS_NEED, or
 * SL_DS_ERROR with r filled (over_err for a value beyond the limit). */
static enum sl_ds_verdict
cur_num(const struct sl_cursor *in, uint32_t pos, uint32_t avail, uint64_t pos_lim,
	uint64_t neg_lim, int over_err, struct resp_num *num, struct sl_ds_result *r)
{
	uint8_t buf[RESP_NUM_LINE];
	uint32_t n = RTE_MIN(avail - pos, RESP_NUM_LINE);
	const uint8_t *p = sl_cursor_peek(in, pos, n, buf);

	switch (num_parse(p, n, pos_lim, neg_lim, num)) {
	case NUM_OK:
		num->end += pos;
		return SL_DS_FRAME;
	case NUM_SHORT:
		return SL_DS_NEED;
	case NUM_BAD:
		r->err = EPROTO;
		r->err_off = pos + num->bad;
		return SL_DS_ERROR;
	case NUM_OVER:
	default:
		r->err = over_err;
		r->err_off = pos + num->bad;
		return SL_DS_ERROR;
	}
}

static enum sl_ds_verdict
ds_need(struct sl_ds_result *r, uint32_t need, uint32_t avail)
{
	r->need = need;
	r->scanned = avail;
	return SL_DS_NEED;
}

static enum sl_ds_verdict
ds_error(struct sl_ds_result *r, int err, uint32_t off)
{
	r->err = err;
	r->err_off = off;
	return SL_DS_ERROR;
}

/* The element (header or line) at elem is not complete in the bytes there: wait for
 * more, unless max_msg bytes are there already (it can then never fit: bytes beyond
 * max_msg are never looked at, so the verdict does not depend on the segmentation). */
static enum sl_ds_verdict
need_more(struct sl_ds_result *r, uint32_t elem, uint32_t avail, uint32_t max_msg)
{
	if (avail >= max_msg)
		return ds_error(r, EMSGSIZE, elem);
	return ds_need(r, avail + 1, avail);
}

/* The CRLF that must follow a payload at off (both bytes are there). */
static enum sl_ds_verdict
cur_crlf(const struct sl_cursor *in, uint32_t off, struct sl_ds_result *r)
{
	uint8_t buf[2];
	const uint8_t *p = sl_cursor_peek(in, off, 2, buf);

	if (p[0] != '\r')
		return ds_error(r, EPROTO, off);
	if (p[1] != '\n')
		return ds_error(r, EPROTO, off + 1);
	return SL_DS_FRAME;
}

static uint32_t
cfg_lim(uint32_t v)
{
	return v > 0 ? v : 1;
}

/* ---- requests ---- */

enum rq_state {
	RQ_START = 0,	/* expecting '*' (multibulk) or anything else (inline) */
	RQ_INLINE,	/* expecting the LF of an inline line */
	RQ_ELEM,	/* expecting "$len\r\n" of the next argument */
	RQ_BULK,	/* expecting an argument's payload and CRLF */
};

struct resp_rq {
	uint8_t st;
	uint32_t pos;		/* ELEM: header offset; BULK: payload offset */
	uint32_t blen;		/* BULK: payload length */
	uint32_t nargs;		/* declared argument count */
	uint32_t argi;		/* arguments complete */
	uint32_t scan;		/* INLINE: bytes already searched for LF */
};

static bool
rq_is_space(uint8_t b)
{
	return b == ' ' || b == '\t' || b == '\r' || b == '\v' || b == '\f';
}

/* Split an inline line [0, len) into words (fields). */
static enum sl_ds_verdict
rq_inline_split(const struct sl_cursor *in, uint32_t len, uint32_t max_args,
		struct sl_ds_result *r)
{
	struct sl_slice sl[16];
	uint32_t base = 0, nw = 0, wstart = 0;
	bool in_word = false;

	while (base < len) {
		unsigned int ns = sl_cursor_slices(in, base, len - base, sl, RTE_DIM(sl));
		unsigned int k;

		for (k = 0; k < ns; k++) {
			uint32_t j;

			for (j = 0; j < sl[k].len; j++) {
				bool sp = rq_is_space(sl[k].data[j]);

				if (!sp && !in_word) {
					if (nw == max_args)
						return ds_error(r, EMSGSIZE, base + j);
					in_word = true;
					wstart = base + j;
				} else if (sp && in_word) {
					r->fields[nw].off = wstart;
					r->fields[nw].len = base + j - wstart;
					nw++;
					in_word = false;
				}
			}
			base += sl[k].len;
		}
	}
	if (in_word) {
		r->fields[nw].off = wstart;
		r->fields[nw].len = len - wstart;
		nw++;
	}
	r->nfields = nw;
	return SL_DS_FRAME;
}

/* Run the request machine from s over [0, avail). fields: where to record the
 * arguments of a multibulk request, or NULL (they are then found by a second walk). */
static enum sl_ds_verdict
rq_run(struct resp_rq *s, const struct sl_resp_cfg *cfg, const struct sl_cursor *in,
       uint32_t avail, struct sl_field *fields, struct sl_ds_result *r)
{
	const uint32_t max_msg = cfg_lim(cfg->max_msg);
	const uint32_t max_args = RTE_MIN(cfg_lim(cfg->max_args), r->max_fields);
	const uint32_t lim = RTE_MIN(avail, max_msg);
	struct resp_num num;
	enum sl_ds_verdict v;
	uint64_t end;
	int64_t lf;

	for (;;) {
		switch (s->st) {
		case RQ_START:
			if (sl_cursor_byte(in, 0) != '*') {
				s->st = RQ_INLINE;
				s->scan = 0;
				break;
			}
			/* Any negative count is an empty request, like Redis. */
			v = cur_num(in, 0, lim, max_args, INT64_MAX, EMSGSIZE, &num, r);
			if (v == SL_DS_NEED)
				return need_more(r, 0, avail, max_msg);
			if (v == SL_DS_ERROR)
				return v;
			if (num.neg || num.mag == 0) {
				r->skip = num.end;
				return SL_DS_SKIP;
			}
			s->nargs = (uint32_t)num.mag;
			s->argi = 0;
			s->pos = num.end;
			s->st = RQ_ELEM;
			break;
		case RQ_ELEM:
			if (s->pos >= max_msg)
				return ds_error(r, EMSGSIZE, s->pos);
			if (s->pos >= avail)
				return ds_need(r, s->pos + 1, avail);
			if (sl_cursor_byte(in, s->pos) != '$')
				return ds_error(r, EPROTO, s->pos);
			v = cur_num(in, s->pos, lim, cfg_lim(cfg->max_bulk), 0, EMSGSIZE, &num, r);
			if (v == SL_DS_NEED)
				return need_more(r, s->pos, avail, max_msg);
			if (v == SL_DS_ERROR)
				return v;
			end = (uint64_t)num.end + num.mag + 2;
			if (end > max_msg)
				return ds_error(r, EMSGSIZE, s->pos);
			s->blen = (uint32_t)num.mag;
			s->pos = num.end;
			s->st = RQ_BULK;
			break;
		case RQ_BULK:
			end = (uint64_t)s->pos + s->blen + 2;
			if (end > avail)
				return ds_need(r, (uint32_t)end, avail);
			if (cur_crlf(in, s->pos + s->blen, r) == SL_DS_ERROR)
				return SL_DS_ERROR;
			if (fields != NULL) {
				fields[s->argi].off = s->pos;
				fields[s->argi].len = s->blen;
			}
			s->argi++;
			s->pos = (uint32_t)end;
			if (s->argi < s->nargs) {
				s->st = RQ_ELEM;
				break;
			}
			r->consumed = s->pos;
			r->msg_len = s->pos;
			r->msg_type = SL_RESP_ARRAY;
			r->nfields = s->nargs;
			memset(s, 0, sizeof(*s));
			return SL_DS_FRAME;
		case RQ_INLINE:
			lf = sl_cursor_memchr(in, s->scan, lim, '\n');
			if (lf < 0) {
				s->scan = lim;
				return need_more(r, 0, avail, max_msg);
			}
			v = rq_inline_split(in, (uint32_t)lf, max_args, r);
			if (v != SL_DS_FRAME)
				return v;
			memset(s, 0, sizeof(*s));
			if (r->nfields == 0) {
				r->skip = (uint64_t)lf + 1;
				return SL_DS_SKIP;
			}
			r->consumed = (uint32_t)lf + 1;
			r->msg_len = r->consumed;
			r->msg_type = SL_RESP_INLINE;
			return SL_DS_FRAME;
		default:
			return ds_error(r, EPROTO, 0);
		}
	}
}

static enum sl_ds_verdict
resp_req_frame(void *state, const void *arg, const struct sl_cursor *in,
	       uint32_t resume __rte_unused, struct sl_ds_result *r)
{
	struct resp_rq *s = state;
	const uint32_t avail = sl_cursor_avail(in);
	const bool fresh = s->st == RQ_START;
	enum sl_ds_verdict v;

	v = rq_run(s, arg, in, avail, fresh ? r->fields : NULL, r);
	if (v == SL_DS_FRAME && !fresh && r->msg_type == SL_RESP_ARRAY) {
		/* Started in an earlier call: collect the fields with a walk over the
		 * headers, which are all there and valid now. */
		struct resp_rq again = { 0 };

		v = rq_run(&again, arg, in, avail, r->fields, r);
	}
	return v;
}

/* ---- replies ---- */

enum rp_state {
	RP_ITEM = 0,	/* expecting a type byte */
	RP_LINE,	/* expecting the LF of a simple string or error */
	RP_BULK,	/* expecting a bulk payload and CRLF */
};

struct resp_rp {
	uint8_t st;
	uint8_t depth;		/* arrays open */
	uint8_t top;		/* type of the reply */
	uint32_t pos;		/* ITEM/LINE: item offset; BULK: payload offset */
	uint32_t blen;
	uint32_t scan;		/* LINE: bytes already searched for LF */
	uint32_t left[SL_RESP_MAX_DEPTH];	/* elements still expected per open array */
};

/* An item ended just before `end`. Returns true when the reply is complete. */
static bool
rp_item_done(struct resp_rp *s, uint32_t end)
{
	s->pos = end;
	s->st = RP_ITEM;
	while (s->depth > 0) {
		if (--s->left[s->depth - 1] > 0)
			return false;
		s->depth--;
	}
	return true;
}

/* The reply is complete. A scalar reply (one item) reports its payload, [f_off,
 * f_off + f_len), as its only field. */
static enum sl_ds_verdict
rp_frame_done(struct resp_rp *s, struct sl_ds_result *r, uint32_t f_off, uint32_t f_len)
{
	r->consumed = s->pos;
	r->msg_len = s->pos;
	r->msg_type = s->top;
	if (s->top == SL_RESP_SIMPLE || s->top == SL_RESP_ERROR || s->top == SL_RESP_INTEGER ||
	    s->top == SL_RESP_BULK) {
		r->fields[0].off = f_off;
		r->fields[0].len = f_len;
		r->nfields = 1;
	}
	memset(s, 0, sizeof(*s));
	return SL_DS_FRAME;
}

static enum sl_ds_verdict
resp_reply_frame(void *state, const void *arg, const struct sl_cursor *in,
		 uint32_t resume __rte_unused, struct sl_ds_result *r)
{
	const struct sl_resp_cfg *cfg = arg;
	const uint32_t max_msg = cfg_lim(cfg->max_msg);
	const uint32_t avail = sl_cursor_avail(in);
	const uint32_t lim = RTE_MIN(avail, max_msg);
	struct resp_rp *s = state;
	struct resp_num num;
	enum sl_ds_verdict v;
	uint64_t end;
	int64_t lf;
	uint8_t t;

	for (;;) {
		switch (s->st) {
		case RP_ITEM:
			if (s->pos >= max_msg)
				return ds_error(r, EMSGSIZE, s->pos);
			if (s->pos >= avail)
				return ds_need(r, s->pos + 1, avail);
			t = sl_cursor_byte(in, s->pos);
			if (t == '+' || t == '-') {
				if (s->pos == 0)
					s->top = t;
				s->st = RP_LINE;
				s->scan = s->pos + 1;
				break;
			}
			if (t == ':')
				v = cur_num(in, s->pos, lim, INT64_MAX, (uint64_t)INT64_MAX + 1,
					    EPROTO, &num, r);
			else if (t == '$')
				v = cur_num(in, s->pos, lim, cfg_lim(cfg->max_bulk), 1, EMSGSIZE,
					    &num, r);
			else if (t == '*')
				v = cur_num(in, s->pos, lim, cfg_lim(cfg->max_args), 1, EMSGSIZE,
					    &num, r);
			else
				return ds_error(r, EPROTO, s->pos);
			if (v == SL_DS_NEED)
				return need_more(r, s->pos, avail, max_msg);
			if (v == SL_DS_ERROR)
				return v;
			if (s->pos == 0)
				s->top = !num.neg || t == ':' ? t :
					 t == '$' ? SL_RESP_NULL : SL_RESP_NULL_ARRAY;
			if (t == '$' && !num.neg) {
				end = (uint64_t)num.end + num.mag + 2;
				if (end > max_msg)
					return ds_error(r, EMSGSIZE, s->pos);
				s->blen = (uint32_t)num.mag;
				s->pos = num.end;
				s->st = RP_BULK;
				break;
			}
			if (t == '*' && !num.neg && num.mag > 0) {
				if (s->depth == SL_RESP_MAX_DEPTH)
					return ds_error(r, EMSGSIZE, s->pos);
				s->left[s->depth++] = (uint32_t)num.mag;
				s->pos = num.end;
				break;
			}
			/* An integer, a null, or an empty array: complete already. */
			if (rp_item_done(s, num.end))
				return rp_frame_done(s, r, 1, num.end - 3);
			break;
		case RP_LINE:
			lf = sl_cursor_memchr(in, s->scan, lim, '\n');
			if (lf < 0) {
				s->scan = lim;
				return need_more(r, s->pos, avail, max_msg);
			}
			if ((uint32_t)lf == s->pos + 1 ||
			    sl_cursor_byte(in, (uint32_t)lf - 1) != '\r')
				return ds_error(r, EPROTO, (uint32_t)lf);
			if (rp_item_done(s, (uint32_t)lf + 1))
				return rp_frame_done(s, r, 1, (uint32_t)lf - 2);
			break;
		case RP_BULK:
			end = (uint64_t)s->pos + s->blen + 2;
			if (end > avail)
				return ds_need(r, (uint32_t)end, avail);
			if (cur_crlf(in, s->pos + s->blen, r) == SL_DS_ERROR)
				return SL_DS_ERROR;
			{
				uint32_t off = s->pos, len = s->blen;

				if (rp_item_done(s, (uint32_t)end))
					return rp_frame_done(s, r, off, len);
			}
			break;
		default:
			return ds_error(r, EPROTO, 0);
		}
	}
}

/* ---- values out ---- */

/* Decimal digits of v into buf (>= 21 bytes); returns the length. */
static uint32_t
resp_fmt_i64(char *buf, int64_t v)
{
	char tmp[21];
	uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	uint32_t n = 0, k = 0;

	do {
		tmp[n++] = (char)('0' + m % 10);
		m /= 10;
	} while (m > 0);
	if (v < 0)
		buf[k++] = '-';
	while (n > 0)
		buf[k++] = tmp[--n];
	return k;
}

/* "<t><v>\r\n" */
static int
resp_write_num_line(struct sl_writer *wr, char t, int64_t v)
{
	char buf[24];
	uint32_t n;

	buf[0] = t;
	n = 1 + resp_fmt_i64(buf + 1, v);
	buf[n++] = '\r';
	buf[n++] = '\n';
	return sl_writer_write(wr, buf, n);
}

static int
resp_write_line(struct sl_writer *wr, char t, const void *s, uint32_t len)
{
	int rc;

	if (len > 0 && (memchr(s, '\r', len) != NULL || memchr(s, '\n', len) != NULL))
		return -EINVAL;
	rc = sl_writer_write(wr, &t, 1);
	if (rc == 0 && len > 0)
		rc = sl_writer_write(wr, s, len);
	if (rc == 0)
		rc = sl_writer_write(wr, "\r\n", 2);
	return rc;
}

int
sl_resp_write_simple(struct sl_writer *wr, const char *s, uint32_t len)
{
	return resp_write_line(wr, '+', s, len);
}

int
sl_resp_write_error(struct sl_writer *wr, const char *s, uint32_t len)
{
	return resp_write_line(wr, '-', s, len);
}

int
sl_resp_write_integer(struct sl_writer *wr, int64_t v)
{
	return resp_write_num_line(wr, ':', v);
}

int
sl_resp_write_bulk(struct sl_writer *wr, const void *data, uint32_t len)
{
	int rc = resp_write_num_line(wr, '$', len);

	if (rc == 0 && len > 0)
		rc = sl_writer_write(wr, data, len);
	if (rc == 0)
		rc = sl_writer_write(wr, "\r\n", 2);
	return rc;
}

int
sl_resp_write_null(struct sl_writer *wr)
{
	return sl_writer_write(wr, "$-1\r\n", 5);
}

int
sl_resp_write_array(struct sl_writer *wr, int64_t n)
{
	if (n < -1)
		return -EINVAL;
	return resp_write_num_line(wr, '*', n);
}

static int
resp_write_depth(struct sl_writer *wr, const struct sl_resp_value *v, unsigned int depth)
{
	uint32_t i;
	int rc;

	switch (v->type) {
	case SL_RESP_SIMPLE:
	case SL_RESP_ERROR:
		if (v->str.len > 0 && v->str.data == NULL)
			return -EINVAL;
		return resp_write_line(wr, (char)v->type, v->str.data, v->str.len);
	case SL_RESP_INTEGER:
		return sl_resp_write_integer(wr, v->integer);
	case SL_RESP_BULK:
		if (v->str.len > 0 && v->str.data == NULL)
			return -EINVAL;
		return sl_resp_write_bulk(wr, v->str.data, v->str.len);
	case SL_RESP_NULL:
		return sl_resp_write_null(wr);
	case SL_RESP_NULL_ARRAY:
		return sl_resp_write_array(wr, -1);
	case SL_RESP_ARRAY:
		if (depth == SL_RESP_MAX_DEPTH || (v->array.n > 0 && v->array.elems == NULL))
			return -EINVAL;
		rc = sl_resp_write_array(wr, v->array.n);
		for (i = 0; rc == 0 && i < v->array.n; i++)
			rc = resp_write_depth(wr, &v->array.elems[i], depth + 1);
		return rc;
	case SL_RESP_INLINE:
	default:
		return -EINVAL;
	}
}

int
sl_resp_write_value(struct sl_writer *wr, const struct sl_resp_value *v)
{
	if (v == NULL)
		return -EINVAL;
	return resp_write_depth(wr, v, 0);
}

static int
resp_encode(const void *arg __rte_unused, const void *msg, struct sl_writer *wr)
{
	return sl_resp_write_value(wr, msg);
}

/* ---- reading a contiguous message ---- */

int
sl_resp_read(const uint8_t *msg, uint32_t len, uint32_t *pos, struct sl_resp_item *it)
{
	uint32_t p = *pos;
	struct resp_num num;
	const uint8_t *lf;
	uint64_t end;
	uint8_t t;

	if (p >= len)
		return -ENODATA;
	t = msg[p];
	memset(it, 0, sizeof(*it));
	switch (t) {
	case '+':
	case '-':
		lf = memchr(msg + p + 1, '\n', len - p - 1);
		if (lf == NULL)
			return -ENODATA;
		if (lf == msg + p + 1 || lf[-1] != '\r')
			return -EPROTO;
		it->type = (enum sl_resp_type)t;
		it->str = msg + p + 1;
		it->len = (uint32_t)(lf - 1 - it->str);
		*pos = (uint32_t)(lf + 1 - msg);
		return 0;
	case ':':
	case '$':
	case '*':
		switch (num_parse(msg + p, RTE_MIN(len - p, RESP_NUM_LINE), INT64_MAX,
				  t == ':' ? (uint64_t)INT64_MAX + 1 : 1, &num)) {
		case NUM_OK:
			break;
		case NUM_SHORT:
			return len - p >= RESP_NUM_LINE ? -EPROTO : -ENODATA;
		default:
			return -EPROTO;
		}
		break;
	default:
		return -EPROTO;
	}
	it->type = (enum sl_resp_type)t;
	it->integer = num.neg ? (int64_t)(0 - num.mag) : (int64_t)num.mag;
	if (t == '$' && num.neg) {
		it->type = SL_RESP_NULL;
	} else if (t == '*' && num.neg) {
		it->type = SL_RESP_NULL_ARRAY;
	} else if (t == '$') {
		end = (uint64_t)p + num.end + num.mag + 2;
		if (end > len)
			return -ENODATA;
		if (msg[end - 2] != '\r' || msg[end - 1] != '\n')
			return -EPROTO;
		it->str = msg + p + num.end;
		it->len = (uint32_t)num.mag;
		*pos = (uint32_t)end;
		return 0;
	}
	*pos = p + num.end;
	return 0;
}

/* ---- set-up ---- */

static const struct sl_serializer resp_ser = {
	.name = "resp",
	.encode = resp_encode,
};

void
sl_resp_init(struct sl_deserializer *ds, struct sl_serializer *ser,
	     const struct sl_resp_cfg *cfg)
{
	*ds = (struct sl_deserializer){
		.name = "resp-request",
		.state_size = sizeof(struct resp_rq),
		.max_msg = cfg_lim(cfg->max_msg),
		.arg = cfg,
		.frame = resp_req_frame,
	};
	if (ser != NULL)
		*ser = resp_ser;
}

void
sl_resp_client_init(struct sl_deserializer *ds, struct sl_serializer *ser,
		    const struct sl_resp_cfg *cfg)
{
	*ds = (struct sl_deserializer){
		.name = "resp-reply",
		.state_size = sizeof(struct resp_rp),
		.max_msg = cfg_lim(cfg->max_msg),
		.arg = cfg,
		.frame = resp_reply_frame,
	};
	if (ser != NULL)
		*ser = resp_ser;
}
