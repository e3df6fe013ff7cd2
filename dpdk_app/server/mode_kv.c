/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mode_kv.c -- `sluice-server --mode kv`: an in-memory key-value store speaking RESP2,
 * for redis-cli, redis-benchmark and Redis client libraries (port 6379).
 *
 * on_message (one request, arguments as fields, from lib/framing/resp.c)
 *     -> sl_conn_writer_begin -> kv_exec -> command handler -> sl_resp_write_* -> end
 *
 * Commands: PING [msg], ECHO msg, GET, SET key value [NX|XX] [EX s|PX ms|KEEPTTL] [GET],
 * DEL key..., EXISTS key..., INCR, MGET key..., MSET key value..., DBSIZE, COMMAND
 * (an empty array; COMMAND COUNT the number of commands), CONFIG GET (save and
 * appendonly, as a server that never persists answers; nothing else), QUIT. Errors
 * read like Redis's own ("ERR unknown command ...", "ERR wrong number of arguments
 * ...").
 *
 * One store, partitioned by key over the workers: each worker's table (kv_store.c, which
 * knows nothing of RESP) holds the keys whose hash names it, and a request for keys of
 * another worker is forwarded to it and answered from there ("keys partitioned over
 * workers" below). With one worker nothing is forwarded: a request runs straight
 * against the worker's table, as described next. --kv-max-keys bounds each worker's
 * table; a write that would need a new key beyond it, or memory rte_malloc cannot give,
 * is answered with an -OOM error and changes nothing.
 *
 * Pipelining: requests are answered in order, one reply per request, straight into the
 * send queue. When the queue is at its high mark the request is left unconsumed
 * (SL_RX_AGAIN) before anything runs, and delivery resumes on on_writable. A reply can
 * still be refused once its command ran (-EAGAIN: it would take the queue past its hard
 * cap); the request is then left unconsumed as well and runs again on on_writable. The
 * command table's readonly flag makes that exact: a read-only command changes nothing,
 * and a command that changes data only plans its change while it writes its reply
 * (kv_plan_put/kv_plan_del, which reserve what the change needs); kv_exec applies the
 * plan once the reply is complete and drops it otherwise. A change is thus made once,
 * with the reply that goes out, however often the send queue refuses it. A reply that
 * cannot be written for another reason (no mbuf left) aborts the connection: the client
 * sees a reset, as after a crash between execution and reply.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_random.h>
#include <rte_ring.h>

#include <sluice/resp.h>
#include <sluice/sluice.h>

#include "kv_store.h"
#include "server.h"

#define KV_MAX_ARGS 1024		/* arguments per request (the fields a message has) */

/* The change a command that is not read-only plans (at most one write per key argument,
 * or one delete per distinct key), applied by kv_exec once its reply is complete. */
struct kv_change {
	uint32_t nputs;
	uint32_t ndels;
	struct kv_put puts[KV_MAX_ARGS / 2];
	uint32_t dels[KV_MAX_ARGS];	/* argument index of each key to delete */
};

struct kv_counters {
	uint64_t cmds, err_replies, oom, proto_errors, reply_fail, paused;
	uint64_t write_refused;		/* replies of commands that change data refused by
					 * the send queue: planned, dropped, run again */
	/* Several workers (see "keys partitioned over workers" below): */
	uint64_t fwd;			/* request parts sent to their owner */
	uint64_t returned;		/* replies of those parts back on this worker */
	uint64_t ring_full;		/* records an inbox refused: held, sent again */
	uint64_t pool_empty;		/* requests paused for want of a record */
	uint64_t fwd_wait;		/* requests paused behind a forwarded one */
	uint64_t fwd_dropped;		/* replies for a connection that had closed */
	uint64_t fwd_too_large;		/* requests refused: too large to forward */
};

/*
 * A request (part) travelling to the worker that owns its keys, and back as its reply,
 * in the same record (from kv_mode.pool, so nothing is allocated per request). A
 * request holds argc struct sl_field (offsets from the end of that array), then the
 * argument bytes: copies, since the message's mbufs belong to the connection's worker.
 * The owner overwrites it with the RESP bytes of its reply.
 */
#define KV_FWD_SIZE 65536		/* bytes of a record, header included */
#define KV_FWD_CACHE 32			/* per lcore, when the pool is large enough */
#define KV_POLL_BURST 32

struct kv_fwd {
	struct kv_fwd *next;		/* in an outbox, or in a connection's parts */
	struct sl_conn_ref ref;		/* the connection; ref.worker is its worker */
	uint32_t seq;			/* the connection's request number */
	uint16_t owner;			/* the worker that executes the request */
	bool reply;			/* false: a request */
	uint32_t argc;			/* request: its arguments */
	uint32_t len;			/* bytes used in data */
	uint8_t data[] __rte_aligned(8);
};

#define KV_FWD_DATA ((uint32_t)(KV_FWD_SIZE - offsetof(struct kv_fwd, data)))

/* How the replies of a request's parts make its reply. */
enum kv_merge {
	KV_MERGE_ONE,			/* one part: its reply as it is */
	KV_MERGE_SUM,			/* DEL, EXISTS, DBSIZE: the sum of the integers */
	KV_MERGE_OK,			/* MSET: +OK when every part says so */
	KV_MERGE_MGET,			/* MGET: the values, in the order of the keys */
};

/*
 * The mode's state of a connection, on its worker, when there are several workers: at
 * most one request is out with the owners of its keys (the reorder window is one
 * request: later ones wait, unconsumed, until its reply is written, so replies leave in
 * request order).
 */
struct kv_conn {
	struct sl_conn *c;		/* NULL: closed */
	uint32_t gen;			/* sl_conn_ref().gen, to recognise late replies */
	uint32_t seq;			/* number of the request out (replies must match) */
	uint16_t nparts;		/* parts of the request out; 0: none */
	uint16_t nwait;			/* parts whose reply has not come back */
	uint8_t merge;			/* enum kv_merge */
	bool paused;			/* delivery paused (SL_RX_AGAIN) behind the request */
	bool eof;			/* on_eof came meanwhile: close after the reply */
	bool pool_wait;			/* paused for want of a record */
	struct kv_fwd *parts;		/* replies back, any order */
	struct kv_fwd *map;		/* MGET: the owner of each key (data[i]) */
	/* Kept across connections in this slot: */
	bool in_wait_list;
	uint32_t wait_next;		/* next in the worker's wait list, idx + 1; 0: end */
};

/* One worker's store, its counters and the change being planned (all used only by that
 * worker), and with several workers its inbox (rte_ring, any worker enqueues) and what
 * it needs to forward. */
struct kv_worker {
	struct kv_store *store;
	struct kv_counters n;
	struct kv_change chg;
	struct rte_ring *inbox;
	struct kv_fwd *out_head;	/* records an inbox refused, in order */
	struct kv_fwd *out_tail;
	struct kv_conn *conns;		/* by sl_conn_ref().idx */
	uint32_t wait_head;		/* connections paused for a record, idx + 1 */
	uint8_t *scratch;		/* a reply executed for another worker */
} __rte_cache_aligned;

struct kv_mode {
	struct sl_resp_cfg cfg;
	struct sl_deserializer ds;
	struct sl_framing fr;
	uint32_t sndbuf;
	unsigned int nworkers;
	uint32_t max_flows;
	uint64_t seed;			/* of the hash that gives a key its owner */
	struct rte_mempool *pool;	/* struct kv_fwd records */
	struct kv_worker workers[];
};

struct kv_cmd;
struct kv_buf;

/* A request being executed. */
struct kv_req {
	const struct kv_mode *kv;
	struct kv_worker *kw;
	struct kv_store *st;
	const struct kv_cmd *cmd;	/* NULL: unknown */
	struct kv_change *chg;		/* NULL while a read-only command runs */
	struct sl_writer *wr;
	struct kv_buf *buf;		/* not NULL: the reply goes here, not to wr */
	const uint8_t *base;
	const struct sl_field *f;
	uint32_t argc;
	uint64_t now_ms;
	char num[24];			/* INCR's new value, until the plan is applied */
	bool quit;
};

static inline const uint8_t *
arg_ptr(const struct kv_req *q, uint32_t i)
{
	return q->base + q->f[i].off;
}

static inline uint32_t
arg_len(const struct kv_req *q, uint32_t i)
{
	return q->f[i].len;
}

static bool
arg_is(const struct kv_req *q, uint32_t i, const char *word)
{
	size_t n = strlen(word);

	return arg_len(q, i) == n && strncasecmp((const char *)arg_ptr(q, i), word, n) == 0;
}

static bool
arg_same(const struct kv_req *q, uint32_t i, uint32_t j)
{
	return arg_len(q, i) == arg_len(q, j) &&
	       memcmp(arg_ptr(q, i), arg_ptr(q, j), arg_len(q, i)) == 0;
}

/* The value of key argument i, or NULL. */
static const struct kv_value *
arg_get(struct kv_req *q, uint32_t i, struct kv_value *v)
{
	return kv_store_get(q->st, q->now_ms, arg_ptr(q, i), arg_len(q, i), v) ? v : NULL;
}

static uint64_t
kv_now_ms(void)
{
	return rte_get_tsc_cycles() / (rte_get_tsc_hz() / 1000);
}

/* Redis's string2ll(): optional '-', no '+', no leading zeros, no spaces, in range. */
static bool
kv_parse_i64(const uint8_t *p, uint32_t n, int64_t *out)
{
	uint64_t lim = INT64_MAX, m = 0;
	bool neg = false;
	uint32_t i = 0;

	if (n == 0 || n > 20)
		return false;
	if (n == 1 && p[0] == '0') {
		*out = 0;
		return true;
	}
	if (p[0] == '-') {
		neg = true;
		lim = (uint64_t)INT64_MAX + 1;
		i = 1;
	}
	if (i == n || p[i] < '1' || p[i] > '9')
		return false;
	for (; i < n; i++) {
		uint64_t d;

		if (p[i] < '0' || p[i] > '9')
			return false;
		d = (uint64_t)(p[i] - '0');
		if (m > lim / 10 || m * 10 > lim - d)
			return false;
		m = m * 10 + d;
	}
	*out = neg ? (int64_t)(0 - m) : (int64_t)m;
	return true;
}

/*
 * ---- planned changes ----
 *
 * A command that changes data (readonly false in kv_cmds) gets q->chg and describes its
 * change there while it writes its reply; kv_exec applies it when the reply is complete
 * (kv_change_apply) and drops it otherwise (kv_change_drop). A read-only command has no
 * plan: trying to change data fails with -EROFS, which aborts the connection (a bug
 * shows as "replies lost" at exit, never as a change made twice).
 */

/* Drop the plan: give back what its writes reserved. */
static void
kv_change_drop(struct kv_req *q)
{
	struct kv_change *chg = q->chg;
	uint32_t i;

	for (i = 0; i < chg->nputs; i++)
		kv_store_unreserve(q->st, &chg->puts[i]);
	chg->nputs = 0;
	chg->ndels = 0;
}

/*
 * Plan the write p (key and value as for kv_store_reserve()), reserving what it needs
 * now. All or nothing: when a reservation fails, everything planned so far is dropped,
 * so the command just answers -OOM.
 *
 * @return
 *   0; -ENOMEM (the store is full or out of memory); -EROFS (a read-only command).
 */
static int
kv_plan_put(struct kv_req *q, const struct kv_put *p)
{
	struct kv_change *chg = q->chg;
	struct kv_put *w;
	int rc = -ENOMEM;

	if (chg == NULL)
		return -EROFS;
	if (chg->nputs < RTE_DIM(chg->puts)) {
		w = &chg->puts[chg->nputs];
		*w = *p;
		rc = kv_store_reserve(q->st, q->now_ms, w);
		if (rc == 0) {
			chg->nputs++;
			return 0;
		}
	}
	kv_change_drop(q);
	return rc;
}

/* Plan the deletion of key argument i. 0 or -EROFS (a read-only command). */
static int
kv_plan_del(struct kv_req *q, uint32_t i)
{
	struct kv_change *chg = q->chg;

	if (chg == NULL)
		return -EROFS;
	chg->dels[chg->ndels++] = i;	/* one per argument at most: it fits */
	return 0;
}

/* Apply the plan: nothing here can fail (the writes are reserved). */
static void
kv_change_apply(struct kv_req *q)
{
	struct kv_change *chg = q->chg;
	uint32_t i;

	for (i = 0; i < chg->nputs; i++)
		kv_store_put(q->st, q->now_ms, &chg->puts[i]);
	for (i = 0; i < chg->ndels; i++)
		kv_store_del(q->st, q->now_ms, arg_ptr(q, chg->dels[i]),
			     arg_len(q, chg->dels[i]));
	chg->nputs = 0;
	chg->ndels = 0;
}

/*
 * ---- reply output ----
 *
 * A reply goes to the connection's writer, or, when a worker executes a request for a
 * connection of another worker, into a buffer that travels back in the request's record
 * (q->buf): the same RESP bytes either way.
 */

struct kv_buf {
	uint8_t *p;
	uint32_t len;
	uint32_t cap;
};

static int
buf_put(struct kv_buf *b, const void *src, uint32_t n)
{
	if (n > b->cap - b->len)
		return -EMSGSIZE;
	memcpy(b->p + b->len, src, n);
	b->len += n;
	return 0;
}

/* A type byte, then a line: the simple strings and errors. */
static int
buf_line(struct kv_buf *b, char type, const void *s, uint32_t len)
{
	int rc = buf_put(b, &type, 1);

	if (rc == 0)
		rc = buf_put(b, s, len);
	return rc == 0 ? buf_put(b, "\r\n", 2) : rc;
}

/* A type byte, a decimal number, CRLF: integers, and the heads of bulk strings and
 * arrays. */
static int
buf_num(struct kv_buf *b, char type, int64_t v)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "%c%" PRId64 "\r\n", type, v);

	return buf_put(b, line, (uint32_t)n);
}

static int
out_simple(struct kv_req *q, const char *s, uint32_t len)
{
	if (q->buf == NULL)
		return sl_resp_write_simple(q->wr, s, len);
	return buf_line(q->buf, '+', s, len);
}

static int
out_error(struct kv_req *q, const char *s, uint32_t len)
{
	if (q->buf == NULL)
		return sl_resp_write_error(q->wr, s, len);
	return buf_line(q->buf, '-', s, len);
}

static int
out_integer(struct kv_req *q, int64_t v)
{
	if (q->buf == NULL)
		return sl_resp_write_integer(q->wr, v);
	return buf_num(q->buf, ':', v);
}

static int
out_bulk(struct kv_req *q, const void *data, uint32_t len)
{
	int rc;

	if (q->buf == NULL)
		return sl_resp_write_bulk(q->wr, data, len);
	rc = buf_num(q->buf, '$', len);
	if (rc == 0)
		rc = buf_put(q->buf, data, len);
	return rc == 0 ? buf_put(q->buf, "\r\n", 2) : rc;
}

static int
out_null(struct kv_req *q)
{
	if (q->buf == NULL)
		return sl_resp_write_null(q->wr);
	return buf_put(q->buf, "$-1\r\n", 5);
}

static int
out_array(struct kv_req *q, int64_t n)
{
	if (q->buf == NULL)
		return sl_resp_write_array(q->wr, n);
	return buf_num(q->buf, '*', n);
}

/* ---- replies ---- */

static int
reply_str(struct kv_req *q, const char *s)
{
	return out_simple(q, s, (uint32_t)strlen(s));
}

/* An error reply: `-<text>\r\n`, CR and LF replaced by spaces like Redis does. */
static int
reply_err(struct kv_req *q, const char *fmt, ...) __rte_format_printf(2, 3);

static int
reply_err(struct kv_req *q, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;
	int i;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	for (i = 0; i < n; i++)
		if (buf[i] == '\r' || buf[i] == '\n')
			buf[i] = ' ';
	q->kw->n.err_replies++;
	return out_error(q, buf, (uint32_t)n);
}

static int
reply_oom(struct kv_req *q)
{
	q->kw->n.oom++;
	return reply_err(q, "OOM command not allowed: the store holds its limit of keys "
			 "(--kv-max-keys) or is out of memory");
}

static int
reply_not_int(struct kv_req *q)
{
	return reply_err(q, "ERR value is not an integer or out of range");
}

static int
reply_value(struct kv_req *q, const struct kv_value *v)
{
	if (v == NULL)
		return out_null(q);
	return out_bulk(q, v->data, v->len);
}

/*
 * ---- commands ----
 *
 * A handler checks its arguments and writes the whole reply: 0, or the writer's error.
 * A read-only one only reads the store. One that changes data does it only through
 * kv_plan_put()/kv_plan_del() and writes the reply as if the plan were applied (it is,
 * by kv_exec, once the reply is complete); a reply saying nothing changed (an error,
 * -OOM, a condition not met) comes with an empty plan.
 */

static int
cmd_ping(struct kv_req *q)
{
	if (q->argc > 2)
		return reply_err(q, "ERR wrong number of arguments for 'ping' command");
	if (q->argc == 2)
		return out_bulk(q, arg_ptr(q, 1), arg_len(q, 1));
	return reply_str(q, "PONG");
}

static int
cmd_echo(struct kv_req *q)
{
	return out_bulk(q, arg_ptr(q, 1), arg_len(q, 1));
}

static int
cmd_get(struct kv_req *q)
{
	struct kv_value v;

	return reply_value(q, arg_get(q, 1, &v));
}

/* SET key value [NX|XX] [GET] [EX s|PX ms|KEEPTTL] */
static int
cmd_set(struct kv_req *q)
{
	bool nx = false, xx = false, get = false, keepttl = false, has_exp = false;
	uint64_t expire_ms = 0;
	const struct kv_value *old;
	struct kv_value v;
	struct kv_put p;
	uint32_t i;
	int rc;

	for (i = 3; i < q->argc; i++) {
		if (arg_is(q, i, "NX") && !xx) {
			nx = true;
		} else if (arg_is(q, i, "XX") && !nx) {
			xx = true;
		} else if (arg_is(q, i, "GET")) {
			get = true;
		} else if (arg_is(q, i, "KEEPTTL") && !has_exp) {
			keepttl = true;
		} else if ((arg_is(q, i, "EX") || arg_is(q, i, "PX")) && !has_exp && !keepttl &&
			   i + 1 < q->argc) {
			bool ex = arg_is(q, i, "EX");
			int64_t t;

			if (!kv_parse_i64(arg_ptr(q, i + 1), arg_len(q, i + 1), &t))
				return reply_not_int(q);
			if (t <= 0 || (ex && t > INT64_MAX / 1000) ||
			    (uint64_t)t * (ex ? 1000 : 1) > INT64_MAX - q->now_ms)
				return reply_err(q, "ERR invalid expire time in 'set' command");
			expire_ms = q->now_ms + (uint64_t)t * (ex ? 1000 : 1);
			has_exp = true;
			i++;
		} else {
			return reply_err(q, "ERR syntax error");
		}
	}
	old = arg_get(q, 1, &v);
	if ((nx && old != NULL) || (xx && old == NULL))
		return get ? reply_value(q, old) : out_null(q);
	p = (struct kv_put){
		.key = arg_ptr(q, 1), .klen = arg_len(q, 1),
		.val = arg_ptr(q, 2), .vlen = arg_len(q, 2),
		.expire_ms = expire_ms, .keepttl = keepttl,
	};
	rc = kv_plan_put(q, &p);
	if (rc == -ENOMEM)
		return reply_oom(q);
	if (rc != 0)
		return rc;
	/* The old value stays readable until the plan is applied, after this reply. */
	return get ? reply_value(q, old) : reply_str(q, "OK");
}

/* Counts each existing key once, however often it is named, as deleting in turn would. */
static int
cmd_del(struct kv_req *q)
{
	struct kv_value v;
	uint32_t i, j;
	int64_t n = 0;
	int rc;

	for (i = 1; i < q->argc; i++) {
		if (arg_get(q, i, &v) == NULL)
			continue;
		for (j = 1; j < i && !arg_same(q, j, i); j++)
			;
		if (j < i)
			continue;	/* named before, and counted then */
		rc = kv_plan_del(q, i);
		if (rc != 0)
			return rc;
		n++;
	}
	return out_integer(q, n);
}

static int
cmd_exists(struct kv_req *q)
{
	struct kv_value v;
	int64_t n = 0;
	uint32_t i;

	for (i = 1; i < q->argc; i++)
		n += arg_get(q, i, &v) != NULL;
	return out_integer(q, n);
}

static int
cmd_incr(struct kv_req *q)
{
	struct kv_value v;
	const struct kv_value *cur = arg_get(q, 1, &v);
	struct kv_put p;
	int64_t n = 0;
	int rc;

	if (cur != NULL && !kv_parse_i64(cur->data, cur->len, &n))
		return reply_not_int(q);
	if (n == INT64_MAX)
		return reply_err(q, "ERR increment or decrement would overflow");
	n++;
	p = (struct kv_put){
		.key = arg_ptr(q, 1), .klen = arg_len(q, 1),
		.val = (const uint8_t *)q->num,
		.vlen = (uint32_t)snprintf(q->num, sizeof(q->num), "%" PRId64, n),
		.keepttl = true,
	};
	rc = kv_plan_put(q, &p);
	if (rc == -ENOMEM)
		return reply_oom(q);
	if (rc != 0)
		return rc;
	return out_integer(q, n);
}

static int
cmd_mget(struct kv_req *q)
{
	struct kv_value v;
	uint32_t i;
	int rc = out_array(q, q->argc - 1);

	for (i = 1; rc == 0 && i < q->argc; i++)
		rc = reply_value(q, arg_get(q, i, &v));
	return rc;
}

/* MSET is all or nothing (kv_plan_put). A key named again later is written by its last
 * occurrence only: the same end as writing each pair in turn, one reservation per key. */
static int
cmd_mset(struct kv_req *q)
{
	uint32_t npairs = (q->argc - 1) / 2, i, j;
	int rc;

	if ((q->argc - 1) % 2 != 0)
		return reply_err(q, "ERR wrong number of arguments for 'mset' command");
	for (i = 0; i < npairs; i++) {
		struct kv_put p = {
			.key = arg_ptr(q, 1 + 2 * i), .klen = arg_len(q, 1 + 2 * i),
			.val = arg_ptr(q, 2 + 2 * i), .vlen = arg_len(q, 2 + 2 * i),
		};

		for (j = i + 1; j < npairs && !arg_same(q, 1 + 2 * i, 1 + 2 * j); j++)
			;
		if (j < npairs)
			continue;
		rc = kv_plan_put(q, &p);
		if (rc == -ENOMEM)
			return reply_oom(q);
		if (rc != 0)
			return rc;
	}
	return reply_str(q, "OK");
}

static int
cmd_dbsize(struct kv_req *q)
{
	struct kv_store_stats s;

	kv_store_stats(q->st, &s);
	return out_integer(q, (int64_t)s.keys);
}

static int cmd_command(struct kv_req *q);

static int
cmd_config(struct kv_req *q)
{
	static const char *const known[][2] = {
		{ "save", "" },		/* nothing is ever saved */
		{ "appendonly", "no" },
	};
	uint32_t i, k;
	int rc;

	if (!arg_is(q, 1, "GET"))
		return reply_err(q, "ERR unknown subcommand '%.*s'. Try CONFIG HELP.",
				 (int)RTE_MIN(arg_len(q, 1), 128u), (const char *)arg_ptr(q, 1));
	if (q->argc < 3)
		return reply_err(q, "ERR wrong number of arguments for 'config|get' command");
	/* Two passes: count the pairs, then write them. */
	for (k = 0, i = 0; i < RTE_DIM(known); i++)
		for (uint32_t a = 2; a < q->argc; a++)
			if (arg_is(q, a, known[i][0])) {
				k++;
				break;
			}
	rc = out_array(q, 2 * k);
	for (i = 0; rc == 0 && i < RTE_DIM(known); i++)
		for (uint32_t a = 2; a < q->argc; a++)
			if (arg_is(q, a, known[i][0])) {
				rc = out_bulk(q, known[i][0], strlen(known[i][0]));
				if (rc == 0)
					rc = out_bulk(q, known[i][1],
								strlen(known[i][1]));
				break;
			}
	return rc;
}

static int
cmd_quit(struct kv_req *q)
{
	q->quit = true;
	return reply_str(q, "OK");
}

/* Where a command's keys are, for routing it to their owners (several workers). */
enum kv_keys {
	KV_KEYS_NONE,			/* none: the connection's worker runs it */
	KV_KEYS_FIRST,			/* argument 1: its owner runs the whole request */
	KV_KEYS_ALL,			/* arguments 1..: each owner gets its keys */
	KV_KEYS_PAIRS,			/* key value ...: each owner gets its pairs */
	KV_KEYS_EVERY,			/* every worker runs it (DBSIZE) */
};

struct kv_cmd {
	const char *name;
	int arity;		/* like Redis: N exactly, -N at least N (the name included) */
	/*
	 * true: the command changes no data, so when the send queue refuses its reply it
	 * simply runs again later. false: it changes data, only through its plan, which
	 * kv_exec applies once the reply is complete; a refused reply drops the plan, and
	 * the change is made when the command runs again. Either way, once.
	 */
	bool readonly;
	/* Several workers: which arguments are keys, so which workers run the command. */
	uint8_t keys;			/* enum kv_keys */
	uint8_t merge;			/* enum kv_merge: how their replies make one */
	int (*fn)(struct kv_req *q);
};

static const struct kv_cmd kv_cmds[] = {
	{ .name = "get", .arity = 2, .readonly = true, .keys = KV_KEYS_FIRST,
	  .merge = KV_MERGE_ONE, .fn = cmd_get },
	{ .name = "set", .arity = -3, .readonly = false, .keys = KV_KEYS_FIRST,
	  .merge = KV_MERGE_ONE, .fn = cmd_set },
	{ .name = "ping", .arity = -1, .readonly = true, .fn = cmd_ping },
	{ .name = "incr", .arity = 2, .readonly = false, .keys = KV_KEYS_FIRST,
	  .merge = KV_MERGE_ONE, .fn = cmd_incr },
	{ .name = "mget", .arity = -2, .readonly = true, .keys = KV_KEYS_ALL,
	  .merge = KV_MERGE_MGET, .fn = cmd_mget },
	{ .name = "mset", .arity = -3, .readonly = false, .keys = KV_KEYS_PAIRS,
	  .merge = KV_MERGE_OK, .fn = cmd_mset },
	{ .name = "del", .arity = -2, .readonly = false, .keys = KV_KEYS_ALL,
	  .merge = KV_MERGE_SUM, .fn = cmd_del },
	{ .name = "exists", .arity = -2, .readonly = true, .keys = KV_KEYS_ALL,
	  .merge = KV_MERGE_SUM, .fn = cmd_exists },
	{ .name = "echo", .arity = 2, .readonly = true, .fn = cmd_echo },
	{ .name = "dbsize", .arity = 1, .readonly = true, .keys = KV_KEYS_EVERY,
	  .merge = KV_MERGE_SUM, .fn = cmd_dbsize },
	{ .name = "command", .arity = -1, .readonly = true, .fn = cmd_command },
	{ .name = "config", .arity = -2, .readonly = true, .fn = cmd_config },
	/* The connection closes after the reply: no data changes. */
	{ .name = "quit", .arity = -1, .readonly = true, .fn = cmd_quit },
};

static int
cmd_command(struct kv_req *q)
{
	if (q->argc >= 2 && arg_is(q, 1, "COUNT"))
		return out_integer(q, RTE_DIM(kv_cmds));
	/* COMMAND, COMMAND DOCS (redis-cli asks at start) ...: nothing to describe. */
	return out_array(q, 0);
}

/* Redis's reply to an unknown command: its name and the start of its arguments. */
static int
reply_unknown(struct kv_req *q)
{
	char args[160];
	size_t n = 0;
	uint32_t i;

	args[0] = '\0';
	for (i = 1; i < q->argc && n < 128; i++) {
		int w = snprintf(args + n, sizeof(args) - n, "'%.*s' ",
				 (int)RTE_MIN(arg_len(q, i), (uint32_t)(128 - n)),
				 (const char *)arg_ptr(q, i));

		if (w < 0)
			break;
		n = RTE_MIN(n + (size_t)w, sizeof(args) - 1);
	}
	return reply_err(q, "ERR unknown command '%.*s', with args beginning with: %s",
			 (int)RTE_MIN(arg_len(q, 0), 128u), (const char *)arg_ptr(q, 0), args);
}

/* The command of a request, or NULL. */
static const struct kv_cmd *
kv_cmd_find(const struct kv_req *q)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(kv_cmds); i++)
		if (arg_is(q, 0, kv_cmds[i].name))
			return &kv_cmds[i];
	return NULL;
}

static bool
kv_cmd_arity_ok(const struct kv_req *q)
{
	return !((q->cmd->arity > 0 && q->argc != (uint32_t)q->cmd->arity) ||
		 (q->cmd->arity < 0 && q->argc < (uint32_t)-q->cmd->arity));
}

/*
 * Run one request, writing its reply. 0, or the writer's error with the store as it was
 * (a command that changes data gets a plan, applied only when its reply is complete).
 */
static int
kv_exec(struct kv_req *q)
{
	int rc;

	q->kw->n.cmds++;
	q->cmd = kv_cmd_find(q);
	if (q->cmd == NULL)
		return reply_unknown(q);
	if (!kv_cmd_arity_ok(q))
		return reply_err(q, "ERR wrong number of arguments for '%s' command",
				 q->cmd->name);
	if (q->cmd->readonly)
		return q->cmd->fn(q);
	q->chg = &q->kw->chg;
	rc = q->cmd->fn(q);
	if (rc == 0)
		kv_change_apply(q);
	else
		kv_change_drop(q);
	q->chg = NULL;
	return rc;
}

/*
 * ---- keys partitioned over workers ----
 *
 * With several workers there is still one store, partitioned: a key belongs to the
 * worker kv_owner() names (a seeded hash of the key, the same on every worker), and only
 * that worker's table ever holds it, so no table is shared and none is locked. A request
 * whose keys all belong to the connection's worker runs there as with one worker. Any
 * other is cut into parts, one per owner of some of its keys (the whole request for a
 * command with one key, the owner's keys or pairs for MGET, MSET, DEL and EXISTS, every
 * worker for DBSIZE); each part is copied into a record and enqueued on its owner's inbox
 * (kv_send), the owner runs it against its table in its kv_poll and sends the record back
 * holding the RESP reply, and the connection's worker merges the parts' replies into the
 * request's reply (kv_conn_answer). Seastar's memcached forwards to the owner core the
 * same way.
 *
 * Order: a connection has at most one request out. A later request on it is left
 * unconsumed (SL_RX_AGAIN) until the reply is written, so replies go out in request
 * order whatever the owners' pace; a pipelining client is not stalled by requests whose
 * keys are local, only by those forwarded.
 *
 * Exactly once: the owner runs a part once (kv_exec: plan, reply into the record, apply),
 * and only its reply bytes are kept. When the send queue refuses the merged reply
 * (-EAGAIN), the bytes wait in the records and are written again on on_writable; nothing
 * runs again. A part whose reply would not fit a record is answered with an error by the
 * owner and changes nothing there. MSET over several owners is all or nothing per owner
 * only (like a Redis cluster, which refuses it across slots): the reply is the first
 * part's error if any part failed.
 *
 * Nothing is lost when a ring is full: the record waits in the sender's outbox, in order,
 * and goes at the next kv_poll. A request that finds no free record is paused and
 * resumed at the next kv_poll.
 */

/* The worker that owns a key: a seeded hash every worker computes the same way. Words
 * are loaded through memcpy: keys sit at any alignment inside received messages (which
 * rules out rte_jhash). */
static inline unsigned int
kv_owner(const struct kv_mode *kv, const uint8_t *key, uint32_t len)
{
	uint64_t h = kv->seed ^ ((uint64_t)len * 0x9e3779b97f4a7c15ULL), m;
	uint32_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, key + i, 8);
		h = (h ^ m) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	m = 0;
	memcpy(&m, key + i, len - i);
	h = (h ^ m) * 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	return (unsigned int)((h >> 32) % kv->nworkers);
}

static inline unsigned int
kv_worker_index(const struct kv_mode *kv, const struct kv_worker *kw)
{
	return (unsigned int)(kw - kv->workers);
}

static inline struct sl_field *
fwd_fields(struct kv_fwd *r)
{
	return (struct sl_field *)(void *)r->data;
}

static void
kv_send(struct kv_mode *kv, struct kv_worker *kw, struct kv_fwd *r)
{
	unsigned int to = r->reply ? r->ref.worker : r->owner;

	r->next = NULL;
	if (kw->out_head == NULL && rte_ring_mp_enqueue(kv->workers[to].inbox, r) == 0)
		return;
	kw->n.ring_full++;
	if (kw->out_head == NULL)
		kw->out_head = r;
	else
		kw->out_tail->next = r;
	kw->out_tail = r;
}

/* Send what the inboxes refused, in order, until one refuses again. */
static void
kv_outbox_flush(struct kv_mode *kv, struct kv_worker *kw)
{
	struct kv_fwd *r;

	while ((r = kw->out_head) != NULL) {
		unsigned int to = r->reply ? r->ref.worker : r->owner;
		struct kv_fwd *next = r->next;	/* r is the receiver's once enqueued */

		if (rte_ring_mp_enqueue(kv->workers[to].inbox, r) != 0)
			break;
		kw->out_head = next;
	}
}

/* On the owner: run the request in r against this worker's table; r becomes the reply. */
static void
kv_fwd_exec(struct kv_mode *kv, struct kv_worker *kw, struct kv_fwd *r)
{
	struct kv_buf b = { .p = kw->scratch, .len = 0, .cap = KV_FWD_DATA };
	struct kv_req q = {
		.kv = kv,
		.kw = kw,
		.st = kw->store,
		.buf = &b,
		.base = r->data + r->argc * sizeof(struct sl_field),
		.f = fwd_fields(r),
		.argc = r->argc,
		.now_ms = kv_now_ms(),
	};

	if (kv_exec(&q) != 0) {
		/* Only a reply larger than a record fails here; nothing changed. */
		b.len = 0;
		q.cmd = NULL;
		reply_err(&q, "ERR reply too large to pass between workers (at most %u bytes)",
			  KV_FWD_DATA);
	}
	memcpy(r->data, b.p, b.len);
	r->len = b.len;
	r->argc = 0;
	r->reply = true;
}

/* Give back the parts of a connection's request. */
static void
kv_conn_release(struct kv_mode *kv, struct kv_conn *kc)
{
	struct kv_fwd *r;

	while ((r = kc->parts) != NULL) {
		kc->parts = r->next;
		rte_mempool_put(kv->pool, r);
	}
	if (kc->map != NULL)
		rte_mempool_put(kv->pool, kc->map);
	kc->map = NULL;
	kc->nparts = 0;
	kc->nwait = 0;
}

/* The length of the RESP value at p (one we wrote: a bulk string or null), 0 if bad. */
static uint32_t
resp_item_len(const uint8_t *p, uint32_t avail)
{
	uint32_t i, n = 0;

	if (avail >= 5 && memcmp(p, "$-1\r\n", 5) == 0)
		return 5;
	if (avail < 4 || p[0] != '$')
		return 0;
	for (i = 1; i < avail && p[i] >= '0' && p[i] <= '9' && i < 12; i++)
		n = n * 10 + (uint32_t)(p[i] - '0');
	if (i + 2 > avail || p[i] != '\r' || (uint64_t)i + 2 + n + 2 > avail)
		return 0;
	return i + 2 + n + 2;
}

/* Write the reply of kc's request from its parts' replies. 0 or the writer's error. */
static int
kv_merge_write(struct kv_conn *kc, struct sl_writer *wr)
{
	struct kv_fwd *by[RTE_MAX_LCORE];
	uint32_t cur[RTE_MAX_LCORE];
	struct kv_fwd *r;
	int64_t sum = 0;
	uint32_t i;
	int rc;

	/* One part's error is the request's error. */
	for (r = kc->parts; r != NULL; r = r->next)
		if (r->len == 0 || r->data[0] == '-')
			return r->len != 0 ? sl_writer_write(wr, r->data, r->len) : -EPROTO;
	switch (kc->merge) {
	case KV_MERGE_ONE:
		return sl_writer_write(wr, kc->parts->data, kc->parts->len);
	case KV_MERGE_OK:
		return sl_writer_write(wr, "+OK\r\n", 5);
	case KV_MERGE_SUM:
		for (r = kc->parts; r != NULL; r = r->next) {
			int64_t v = 0;
			bool neg = r->len > 1 && r->data[1] == '-';

			for (i = neg ? 2 : 1; i < r->len && r->data[i] >= '0' && r->data[i] <= '9';
			     i++)
				v = v * 10 + (r->data[i] - '0');
			sum += neg ? -v : v;
		}
		return sl_resp_write_integer(wr, sum);
	case KV_MERGE_MGET:
		break;
	default:
		return -EPROTO;
	}
	/* MGET: each part's reply is an array of its keys' values, in request order. */
	for (r = kc->parts; r != NULL; r = r->next) {
		const uint8_t *eol = memchr(r->data, '\n', r->len);

		if (eol == NULL)
			return -EPROTO;
		by[r->owner] = r;
		cur[r->owner] = (uint32_t)(eol - r->data) + 1;
	}
	rc = sl_resp_write_array(wr, kc->map->argc);
	for (i = 0; rc == 0 && i < kc->map->argc; i++) {
		unsigned int o = kc->map->data[i];
		uint32_t n;

		r = by[o];
		n = resp_item_len(r->data + cur[o], r->len - cur[o]);
		if (n == 0)
			return -EPROTO;
		rc = sl_writer_write(wr, r->data + cur[o], n);
		cur[o] += n;
	}
	return rc;
}

/*
 * Every part of kc's request is back: write its reply, then let the connection's next
 * request in. When the send queue refuses the reply, nothing else happens: on_writable
 * calls this again, and the parts keep the reply until then.
 */
static void
kv_conn_answer(struct kv_mode *kv, struct kv_worker *kw, struct kv_conn *kc)
{
	struct sl_conn *c = kc->c;
	struct sl_writer *wr = sl_conn_writer_begin(c);
	int rc;

	if (wr == NULL) {
		if (rte_errno == EAGAIN || rte_errno == ENOBUFS) {
			kw->n.paused++;
			return;
		}
		/* The connection can no longer answer: drop the reply, and let delivery go
		 * on as kv_on_message does (it drops what still comes). */
		kv_conn_release(kv, kc);
		goto next;
	}
	rc = kv_merge_write(kc, wr);
	if (rc == -EAGAIN || rc == -ENOBUFS) {
		sl_writer_abort(wr);
		kw->n.paused++;
		return;
	}
	if (rc == -EMSGSIZE) {
		sl_writer_abort(wr);
		wr = sl_conn_writer_begin(c);
		rc = wr == NULL ? -rte_errno : 0;
		if (rc == 0) {
			char msg[96];
			int n = snprintf(msg, sizeof(msg), "ERR reply too large for the send "
					 "buffer (--sndbuf %u)", kv->sndbuf);

			kw->n.err_replies++;
			rc = sl_resp_write_error(wr, msg, (uint32_t)n);
		}
		if (rc == -EAGAIN || rc == -ENOBUFS) {
			if (wr != NULL)
				sl_writer_abort(wr);
			kw->n.paused++;
			return;
		}
	}
	kv_conn_release(kv, kc);
	if (rc != 0) {
		if (wr != NULL)
			sl_writer_abort(wr);
		kw->n.reply_fail++;
		sl_conn_abort(c);
		return;
	}
	sl_writer_end(wr);
next:
	if (kc->eof) {
		sl_conn_close(c);
	} else if (kc->paused) {
		kc->paused = false;
		sl_conn_resume_rx(c);
	}
}

/* A part's reply is back on the connection's worker. */
static void
kv_fwd_returned(struct kv_mode *kv, struct kv_worker *kw, struct kv_fwd *r)
{
	struct kv_conn *kc = &kw->conns[r->ref.idx];

	kw->n.returned++;
	if (kc->c == NULL || kc->gen != r->ref.gen || kc->seq != r->seq || kc->nwait == 0) {
		kw->n.fwd_dropped++;		/* the connection closed meanwhile */
		rte_mempool_put(kv->pool, r);
		return;
	}
	r->next = kc->parts;
	kc->parts = r;
	if (--kc->nwait == 0)
		kv_conn_answer(kv, kw, kc);
}

/* Pause kc's request until a record is free (kv_poll resumes it). */
static int
kv_wait_pool(struct kv_mode *kv, struct kv_worker *kw, struct kv_conn *kc)
{
	kw->n.pool_empty++;
	kc->pool_wait = true;
	if (!kc->in_wait_list) {
		kc->in_wait_list = true;
		kc->wait_next = kw->wait_head;
		kw->wait_head = (uint32_t)(kc - kw->conns) + 1;
	}
	RTE_SET_USED(kv);
	return SL_RX_AGAIN;
}

/* Answer a request that is too large to forward with an error (the connection is idle). */
static int
kv_refuse_large(struct sl_conn *c, struct kv_worker *kw)
{
	static const char msg[] = "ERR request too large to pass between workers";
	struct sl_writer *wr = sl_conn_writer_begin(c);
	int rc;

	if (wr == NULL)
		return rte_errno == EAGAIN ? SL_RX_AGAIN : SL_RX_OK;
	rc = sl_resp_write_error(wr, msg, sizeof(msg) - 1);
	if (rc != 0) {
		sl_writer_abort(wr);
		if (rc == -EAGAIN)
			return SL_RX_AGAIN;
		sl_conn_abort(c);
		return SL_RX_OK;
	}
	sl_writer_end(wr);
	kw->n.fwd_too_large++;
	kw->n.err_replies++;
	return SL_RX_OK;
}

/* Is argument i of a request with these routing keys a key? */
static inline bool
kv_arg_is_key(uint8_t keys, uint32_t i)
{
	return keys == KV_KEYS_ALL || (keys == KV_KEYS_PAIRS && (i & 1) == 1);
}

/*
 * Route request q of connection c (several workers). Returns KV_ROUTE_LOCAL when the
 * connection's worker runs it now (kv_on_message goes on as with one worker), else
 * on_message's verdict: SL_RX_OK once its parts are out (the reply follows from
 * kv_conn_answer), SL_RX_AGAIN when it must wait.
 */
#define KV_ROUTE_LOCAL (-1)

static int
kv_route(struct sl_conn *c, struct kv_mode *kv, struct kv_worker *kw, struct kv_req *q)
{
	struct kv_conn *kc = sl_conn_user(c);
	unsigned int me = kv_worker_index(kv, kw), nw = kv->nworkers, o;
	uint8_t owner[KV_MAX_ARGS];
	uint32_t nargs[RTE_MAX_LCORE], bytes[RTE_MAX_LCORE];
	struct kv_fwd *part[RTE_MAX_LCORE];
	struct kv_fwd *map = NULL;
	const struct kv_cmd *cmd;
	struct sl_conn_ref ref;
	uint32_t i, nparts = 0;
	bool remote = false;

	if (kc->nparts != 0) {
		/* A request is out: this one waits for its reply to be written. */
		kc->paused = true;
		kw->n.fwd_wait++;
		return SL_RX_AGAIN;
	}
	cmd = kv_cmd_find(q);
	if (cmd == NULL || cmd->keys == KV_KEYS_NONE)
		return KV_ROUTE_LOCAL;
	q->cmd = cmd;
	if (!kv_cmd_arity_ok(q) || (cmd->keys == KV_KEYS_PAIRS && (q->argc - 1) % 2 != 0))
		return KV_ROUTE_LOCAL;		/* the local run answers the error */
	q->cmd = NULL;

	/* Which worker runs which arguments: nargs[o] arguments (the name included), of
	 * bytes[o] bytes. */
	memset(nargs, 0, nw * sizeof(nargs[0]));
	memset(bytes, 0, nw * sizeof(bytes[0]));
	if (cmd->keys == KV_KEYS_FIRST) {
		o = kv_owner(kv, arg_ptr(q, 1), arg_len(q, 1));
		if (o == me)
			return KV_ROUTE_LOCAL;
		nargs[o] = q->argc;
		for (i = 0; i < q->argc; i++)
			bytes[o] += arg_len(q, i);
		remote = true;
	} else if (cmd->keys == KV_KEYS_EVERY) {
		for (o = 0; o < nw; o++) {
			nargs[o] = q->argc;
			for (i = 0; i < q->argc; i++)
				bytes[o] += arg_len(q, i);
		}
		remote = true;
	} else {
		for (i = 1; i < q->argc; i++) {
			if (!kv_arg_is_key(cmd->keys, i)) {
				owner[i] = owner[i - 1];	/* a value goes with its key */
			} else {
				owner[i] = (uint8_t)kv_owner(kv, arg_ptr(q, i), arg_len(q, i));
				remote |= owner[i] != me;
			}
			nargs[owner[i]]++;
			bytes[owner[i]] += arg_len(q, i);
		}
		if (!remote)
			return KV_ROUTE_LOCAL;
		for (o = 0; o < nw; o++) {
			if (nargs[o] != 0) {
				nargs[o]++;
				bytes[o] += arg_len(q, 0);
			}
		}
	}

	/* One record per part (and the key order for MGET), all or none. */
	memset(part, 0, nw * sizeof(part[0]));	/* the error paths give back all of them */
	for (o = 0; o < nw; o++) {
		if (nargs[o] == 0)
			continue;
		if ((uint64_t)nargs[o] * sizeof(struct sl_field) + bytes[o] > KV_FWD_DATA)
			goto too_large;
		if (rte_mempool_get(kv->pool, (void **)&part[o]) != 0)
			goto no_record;
		nparts++;
	}
	if (cmd->merge == KV_MERGE_MGET && rte_mempool_get(kv->pool, (void **)&map) != 0)
		goto no_record;

	/* Fill and send them. */
	ref = sl_conn_ref(c);
	kc->seq++;
	kc->merge = cmd->merge;
	kc->nparts = (uint16_t)nparts;
	kc->nwait = 0;
	kc->pool_wait = false;
	for (o = 0; o < nw; o++) {
		struct kv_fwd *r = part[o];
		struct sl_field *f;
		uint32_t off = 0, n = 0;
		uint8_t *b;

		if (r == NULL)
			continue;
		r->ref = ref;
		r->seq = kc->seq;
		r->owner = (uint16_t)o;
		r->reply = false;
		r->argc = nargs[o];
		f = fwd_fields(r);
		b = r->data + r->argc * sizeof(struct sl_field);
		for (i = 0; i < q->argc; i++) {
			if (i != 0 && cmd->keys != KV_KEYS_FIRST && cmd->keys != KV_KEYS_EVERY &&
			    owner[i] != o)
				continue;
			f[n].off = off;
			f[n].len = arg_len(q, i);
			memcpy(b + off, arg_ptr(q, i), arg_len(q, i));
			off += arg_len(q, i);
			n++;
		}
		r->len = (uint32_t)(r->argc * sizeof(struct sl_field)) + off;
		if (o == me) {
			/* This worker's own part runs now; its reply waits for the others. */
			kv_fwd_exec(kv, kw, r);
			r->next = kc->parts;
			kc->parts = r;
		} else {
			kc->nwait++;
			kw->n.fwd++;
			kv_send(kv, kw, r);
		}
	}
	if (map != NULL) {
		map->argc = q->argc - 1;
		for (i = 1; i < q->argc; i++)
			map->data[i - 1] = owner[i];
		kc->map = map;
	}
	return SL_RX_OK;

too_large:
	for (o = 0; o < nw; o++)
		if (part[o] != NULL)
			rte_mempool_put(kv->pool, part[o]);
	return kv_refuse_large(c, kw);
no_record:
	for (o = 0; o < nw; o++)
		if (part[o] != NULL)
			rte_mempool_put(kv->pool, part[o]);
	return kv_wait_pool(kv, kw, kc);
}

/* The mode's poll phase (several workers): send what the rings refused, run the requests
 * this worker owns, take back the replies of its connections' requests, and resume the
 * connections that waited for a record. */
static void
kv_poll(struct sl_worker *w, struct server_ctx *ctx)
{
	struct kv_mode *kv = ctx->mode_state;
	struct kv_fwd *recs[KV_POLL_BURST];
	struct kv_worker *kw;
	unsigned int n, i;

	if (kv->nworkers == 1)
		return;
	kw = &kv->workers[sl_worker_id(w)];
	if (kw->out_head != NULL)
		kv_outbox_flush(kv, kw);
	n = rte_ring_sc_dequeue_burst(kw->inbox, (void **)recs, KV_POLL_BURST, NULL);
	for (i = 0; i < n; i++) {
		if (recs[i]->reply) {
			kv_fwd_returned(kv, kw, recs[i]);
		} else {
			kv_fwd_exec(kv, kw, recs[i]);
			kv_send(kv, kw, recs[i]);
		}
	}
	while (kw->wait_head != 0) {
		struct kv_conn *kc = &kw->conns[kw->wait_head - 1];

		kw->wait_head = kc->wait_next;
		kc->in_wait_list = false;
		if (kc->c != NULL && kc->pool_wait) {
			kc->pool_wait = false;
			sl_conn_resume_rx(kc->c);
		}
	}
}

/* ---- connection events ---- */

static struct kv_worker *
kv_worker_of(struct sl_conn *c)
{
	struct kv_mode *kv = server_ctx_of(c)->mode_state;

	return &kv->workers[sl_worker_id(sl_conn_worker(c))];
}

static int
kv_on_message(struct sl_conn *c, const struct sl_msg *m)
{
	struct kv_worker *kw = kv_worker_of(c);
	struct kv_req q = {
		.kv = server_ctx_of(c)->mode_state,
		.kw = kw,
		.st = kw->store,
		.base = m->data,
		.f = m->fields,
		.argc = m->nfields,
	};
	int rc;

	if (q.kv->nworkers > 1) {
		rc = kv_route(c, server_ctx_of(c)->mode_state, kw, &q);
		if (rc != KV_ROUTE_LOCAL) {
			if (rc == SL_RX_OK)
				server_counters(server_ctx_of(c), c)->bytes += m->len;
			return rc;
		}
	}
	q.wr = sl_conn_writer_begin(c);
	if (q.wr == NULL) {
		/* Full send queue, or no mbuf for it now (the pool is low): leave the
		 * request for on_writable. Otherwise the connection can no longer answer:
		 * drop what it still sends. */
		if (rte_errno != EAGAIN && rte_errno != ENOBUFS)
			return SL_RX_OK;
		kw->n.paused++;
		return SL_RX_AGAIN;
	}
	q.now_ms = kv_now_ms();
	rc = kv_exec(&q);
	if (rc == -EAGAIN || rc == -ENOBUFS) {
		/* The reply fits the send queue's hard cap but not now, or found no mbuf
		 * (the pool is low: -ENOBUFS owes on_writable too). Nothing changed
		 * (kv_exec), so the request runs again, whole, after on_writable. */
		sl_writer_abort(q.wr);
		kw->n.paused++;
		if (q.cmd != NULL && !q.cmd->readonly)
			kw->n.write_refused++;
		return SL_RX_AGAIN;
	}
	if (rc == -EMSGSIZE) {
		/* A reply larger than the send queue may ever hold (MGET or GET of large
		 * values, SET ... GET of one): nothing changed, so an error instead is
		 * exact. */
		sl_writer_abort(q.wr);
		q.wr = sl_conn_writer_begin(c);
		if (q.wr == NULL)
			rc = -rte_errno;
		else
			rc = reply_err(&q, "ERR reply too large for the send buffer (--sndbuf %u)",
				       q.kv->sndbuf);
	}
	if (rc != 0) {
		if (q.wr != NULL)
			sl_writer_abort(q.wr);
		kw->n.reply_fail++;
		sl_conn_abort(c);
		return SL_RX_OK;
	}
	sl_writer_end(q.wr);
	server_counters(server_ctx_of(c), c)->bytes += m->len;
	if (q.quit)
		sl_conn_close(c);
	return SL_RX_OK;
}

/* A bad request: answer like Redis, then the CLOSE policy sends FIN after the reply. */
static void
kv_on_error(struct sl_conn *c, int err, uint64_t off)
{
	struct kv_worker *kw = kv_worker_of(c);
	const struct kv_mode *kv = server_ctx_of(c)->mode_state;
	struct kv_req q = { .kv = kv, .kw = kw, .st = kw->store };
	int rc;

	kw->n.proto_errors++;
	server_on_error(c, err, off);
	q.wr = sl_conn_writer_begin(c);
	if (q.wr == NULL)
		return;
	if (err == EMSGSIZE)
		rc = reply_err(&q, "ERR Protocol error: request too large (at most %u bytes, "
			       "%u arguments, bulk strings of %u bytes)", kv->cfg.max_msg,
			       kv->cfg.max_args, kv->cfg.max_bulk);
	else if (err == EPROTO)
		rc = reply_err(&q, "ERR Protocol error: unexpected byte at offset %" PRIu64, off);
	else
		rc = reply_err(&q, "ERR Protocol error: %s at offset %" PRIu64,
			       err == EPIPE ? "connection closed inside a request" :
			       "bad request", off);
	if (rc == 0)
		sl_writer_end(q.wr);
	else
		sl_writer_abort(q.wr);
}

/* Several workers: give the connection its slot of the worker's kv_conn table. */
static int
kv_on_accept(struct sl_conn *c, void *arg)
{
	struct server_ctx *ctx = arg;
	const struct kv_mode *kv = ctx->mode_state;

	if (kv->nworkers > 1) {
		struct kv_worker *kw = kv_worker_of(c);
		struct sl_conn_ref ref = sl_conn_ref(c);
		struct kv_conn *kc = &kw->conns[ref.idx];

		/* The wait list link stays: the slot may still be on the list. */
		kc->c = c;
		kc->gen = ref.gen;
		kc->nparts = 0;
		kc->nwait = 0;
		kc->paused = false;
		kc->eof = false;
		kc->pool_wait = false;
		kc->parts = NULL;
		kc->map = NULL;
		sl_conn_set_user(c, kc);
	}
	return server_on_accept(c, arg);
}

/* The peer is done sending: close, after the reply of a request still out. */
static void
kv_on_eof(struct sl_conn *c)
{
	struct kv_conn *kc = sl_conn_user(c);

	if (kc != NULL && kc->nparts != 0) {
		kc->eof = true;
		return;
	}
	server_on_eof(c);
}

/* SIGTERM: a request out with other workers is answered first (its reply closes the
 * connection, as after on_eof); otherwise close now, after what is queued. */
static int
kv_on_drain(struct sl_conn *c)
{
	struct kv_conn *kc = sl_conn_user(c);

	if (kc != NULL && kc->nparts != 0) {
		kc->eof = true;
		return SL_DRAIN_LATER;
	}
	return SL_DRAIN_CLOSE;
}

static void
kv_on_writable(struct sl_conn *c)
{
	struct kv_conn *kc = sl_conn_user(c);

	if (kc != NULL && kc->nparts != 0) {
		/* A forwarded request's reply was refused: write it now (that resumes
		 * delivery), unless parts are still out. */
		if (kc->nwait == 0)
			kv_conn_answer(server_ctx_of(c)->mode_state, kv_worker_of(c), kc);
		return;
	}
	server_on_writable(c);
}

static void
kv_on_close(struct sl_conn *c, enum sl_close_reason why)
{
	struct kv_conn *kc = sl_conn_user(c);

	if (kc != NULL) {
		/* Replies still out are dropped when they come back (kc->c is NULL). */
		kv_conn_release(server_ctx_of(c)->mode_state, kc);
		kc->c = NULL;
		kc->pool_wait = false;
	}
	server_on_close(c, why);
}

static const struct sl_conn_ops kv_ops = {
	.on_accept = kv_on_accept,
	.on_message = kv_on_message,
	.on_eof = kv_on_eof,
	.on_drain = kv_on_drain,
	.on_writable = kv_on_writable,
	.on_error = kv_on_error,
	.on_close = kv_on_close,
};

/* ---- the mode ---- */

/* Several workers: the records, an inbox per worker, the connection tables. */
static int
kv_setup_workers(struct kv_mode *kv, const struct sl_config *cfg,
		 const struct server_opts *o)
{
	/* A small pool gets no per-lcore cache: the caches of all workers (up to 1.5 times
	 * the cache size each) could hold most of the free records. */
	unsigned int cache = o->kv_fwd_records >= 8 * KV_FWD_CACHE * kv->nworkers ?
			     KV_FWD_CACHE : 0;
	char name[RTE_RING_NAMESIZE];
	unsigned int i;

	/* A command that touches every owner (DBSIZE, MGET) holds one record per worker and
	 * one for its reply; fewer records than a few such commands would wait forever. */
	if (o->kv_fwd_records < 4 * (kv->nworkers + 1)) {
		fprintf(stderr, "sluice-server: --kv-fwd-records %u is too few for %u workers "
			"(at least %u)\n", o->kv_fwd_records, kv->nworkers,
			4 * (kv->nworkers + 1));
		return -EINVAL;
	}

	kv->seed = rte_rand();
	kv->max_flows = cfg->max_flows;
	kv->pool = rte_mempool_create("sl_kv_fwd", o->kv_fwd_records, KV_FWD_SIZE, cache, 0,
				      NULL, NULL, NULL, NULL, SOCKET_ID_ANY, 0);
	if (kv->pool == NULL)
		return -ENOMEM;
	for (i = 0; i < kv->nworkers; i++) {
		struct kv_worker *kw = &kv->workers[i];

		snprintf(name, sizeof(name), "sl_kv_inbox%u", i);
		kw->inbox = rte_ring_create(name, o->kv_inbox, SOCKET_ID_ANY,
					    RING_F_SC_DEQ | RING_F_EXACT_SZ);
		kw->conns = rte_zmalloc("sl_kv_conns", (size_t)cfg->max_flows * sizeof(*kw->conns),
					RTE_CACHE_LINE_SIZE);
		kw->scratch = rte_malloc("sl_kv_scratch", KV_FWD_DATA, RTE_CACHE_LINE_SIZE);
		if (kw->inbox == NULL || kw->conns == NULL || kw->scratch == NULL)
			return -ENOMEM;
	}
	return 0;
}

static int
kv_setup(struct sl_stack *s, struct server_ctx *ctx)
{
	const struct sl_config *cfg = sl_stack_config(s);
	unsigned int nw = sl_stack_worker_count(s), i;
	uint32_t mss = cfg->mtu - 40;
	struct kv_mode *kv;
	int rc;

	kv = rte_zmalloc("sl_kv_mode", sizeof(*kv) + nw * sizeof(kv->workers[0]),
			 RTE_CACHE_LINE_SIZE);
	if (kv == NULL)
		return -ENOMEM;
	ctx->mode_state = kv;
	kv->nworkers = nw;
	kv->sndbuf = cfg->sndbuf;
	/* Default: the largest request the receive budget allows (see sl_stack_listen_framed). */
	kv->cfg.max_msg = ctx->opts->max_msg != 0 ? ctx->opts->max_msg :
			  (cfg->rcvbuf > mss ? cfg->rcvbuf - mss : 1);
	kv->cfg.max_args = KV_MAX_ARGS;
	kv->cfg.max_bulk = kv->cfg.max_msg;
	sl_resp_init(&kv->ds, NULL, &kv->cfg);
	kv->fr = (struct sl_framing){ .ds = &kv->ds, .on_error = SL_FRAMING_CLOSE };
	for (i = 0; i < nw; i++) {
		kv->workers[i].store = kv_store_create(ctx->opts->kv_max_keys);
		if (kv->workers[i].store == NULL) {
			fprintf(stderr, "sluice-server: kv: no memory for a table of %" PRIu64
				" keys on worker %u\n", ctx->opts->kv_max_keys, i);
			return -ENOMEM;
		}
	}
	if (nw > 1) {
		rc = kv_setup_workers(kv, cfg, ctx->opts);
		if (rc != 0) {
			fprintf(stderr, "sluice-server: kv: no memory for the records and rings "
				"between workers\n");
			return rc;
		}
	}
	rc = server_listen(s, ctx, &kv_ops, &kv->fr);
	if (rc != 0)
		return rc;
	if (nw == 1)
		printf("sluice-server: kv: one store of at most %" PRIu64 " keys; requests up "
		       "to %u bytes\n", ctx->opts->kv_max_keys, kv->cfg.max_msg);
	else
		printf("sluice-server: kv: one store partitioned over %u workers by key (each "
		       "part at most %" PRIu64 " keys), requests for another worker's keys "
		       "forwarded to it; requests up to %u bytes, %u bytes per forwarded part\n",
		       nw, ctx->opts->kv_max_keys, kv->cfg.max_msg, KV_FWD_DATA);
	return 0;
}

static int
kv_report(struct sl_stack *s __rte_unused, struct server_ctx *ctx)
{
	const struct kv_mode *kv = ctx->mode_state;
	struct kv_counters sum = { 0 };
	uint64_t expired = 0;
	unsigned int i;

	for (i = 0; i < kv->nworkers; i++) {
		const struct kv_counters *k = &kv->workers[i].n;
		struct kv_store_stats st;

		sum.cmds += k->cmds;
		sum.err_replies += k->err_replies;
		sum.proto_errors += k->proto_errors;
		sum.oom += k->oom;
		sum.reply_fail += k->reply_fail;
		sum.paused += k->paused;
		sum.write_refused += k->write_refused;
		sum.fwd += k->fwd;
		sum.returned += k->returned;
		sum.ring_full += k->ring_full;
		sum.pool_empty += k->pool_empty;
		sum.fwd_wait += k->fwd_wait;
		sum.fwd_dropped += k->fwd_dropped;
		sum.fwd_too_large += k->fwd_too_large;
		kv_store_stats(kv->workers[i].store, &st);
		expired += st.expired;
		if (kv->nworkers > 1)
			printf("sluice-server: kv: worker %u: connections %" PRIu64 ", commands %"
			       PRIu64 " (forwarded parts included), keys %" PRIu64
			       ", parts forwarded %" PRIu64 "\n", i, ctx->per_worker[i].accepted,
			       k->cmds, st.keys, k->fwd);
	}
	if (kv->nworkers > 1)
		printf("sluice-server: kv: between workers: requests forwarded %" PRIu64
		       ", replies returned %" PRIu64 ", ring full %" PRIu64 " (held, sent again)"
		       ", no free record %" PRIu64 " (paused, resumed), waited behind a "
		       "forwarded request %" PRIu64 ", replies for closed connections %" PRIu64
		       ", too large to forward %" PRIu64 "\n", sum.fwd, sum.returned,
		       sum.ring_full, sum.pool_empty, sum.fwd_wait, sum.fwd_dropped,
		       sum.fwd_too_large);
	printf("sluice-server: kv: commands %" PRIu64 ", error replies %" PRIu64
	       ", protocol errors %" PRIu64 ", oom %" PRIu64 ", expired %" PRIu64
	       ", paused on a full send queue %" PRIu64 ", write replies refused %" PRIu64
	       ", replies lost %" PRIu64 "\n", sum.cmds, sum.err_replies, sum.proto_errors,
	       sum.oom, expired, sum.paused, sum.write_refused, sum.reply_fail);
	return 0;
}

/* Several workers: give back every record (outboxes, inboxes, connections' parts), then
 * check that all came back, and free the pool, the rings and the tables. */
static void
kv_teardown_workers(struct kv_mode *kv)
{
	unsigned int i, inuse;
	uint32_t j;
	void *r;

	for (i = 0; i < kv->nworkers; i++) {
		struct kv_worker *kw = &kv->workers[i];

		while (kw->out_head != NULL) {
			r = kw->out_head;
			kw->out_head = kw->out_head->next;
			rte_mempool_put(kv->pool, r);
		}
		while (kw->inbox != NULL && rte_ring_dequeue(kw->inbox, &r) == 0)
			rte_mempool_put(kv->pool, r);
		for (j = 0; kw->conns != NULL && j < kv->max_flows; j++)
			kv_conn_release(kv, &kw->conns[j]);
	}
	if (kv->pool != NULL) {
		inuse = rte_mempool_in_use_count(kv->pool);
		if (inuse != 0)
			printf("sluice-server: kv: LEAK: %u records between workers not returned\n",
			       inuse);
		else
			printf("sluice-server: kv: records between workers clean\n");
	}
	for (i = 0; i < kv->nworkers; i++) {
		rte_ring_free(kv->workers[i].inbox);
		rte_free(kv->workers[i].conns);
		rte_free(kv->workers[i].scratch);
	}
	rte_mempool_free(kv->pool);
}

/* Free the stores; their memory must balance. */
static void
kv_teardown(struct server_ctx *ctx)
{
	struct kv_mode *kv = ctx->mode_state;
	uint64_t keys = 0, freed = 0, left = 0;
	unsigned int i;

	if (kv == NULL)
		return;
	if (kv->nworkers > 1)
		kv_teardown_workers(kv);
	for (i = 0; i < kv->nworkers; i++) {
		struct kv_store_stats st;
		uint64_t bytes;

		if (kv->workers[i].store == NULL)
			continue;
		kv_store_stats(kv->workers[i].store, &st);
		keys += st.keys;
		freed += kv_store_destroy(kv->workers[i].store, &bytes);
		left += bytes;
	}
	if (freed != keys || left != 0)
		printf("sluice-server: kv: LEAK: %" PRIu64 " keys counted, %" PRIu64
		       " freed, %" PRIu64 " bytes unaccounted\n", keys, freed, left);
	else
		printf("sluice-server: kv: store clean (%" PRIu64 " keys freed)\n", freed);
	rte_free(kv);
	ctx->mode_state = NULL;
}

const struct server_mode mode_kv = {
	.name = "kv",
	.port = 6379,
	.setup = kv_setup,
	.poll = kv_poll,
	.report = kv_report,
	.teardown = kv_teardown,
};
