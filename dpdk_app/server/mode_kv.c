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
 * Each worker has its own store (kv_store.c, which knows nothing of RESP). With several
 * workers each connection only sees the store of the worker RSS gave it to: this is a
 * sharded cache, not one database (the default run has one worker). --kv-max-keys
 * bounds each store; a write that would need a new key beyond it, or memory rte_malloc
 * cannot give, is answered with an -OOM error and changes nothing.
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
};

/* One worker's store, its counters and the change being planned (all used only by that
 * worker). */
struct kv_worker {
	struct kv_store *store;
	struct kv_counters n;
	struct kv_change chg;
} __rte_cache_aligned;

struct kv_mode {
	struct sl_resp_cfg cfg;
	struct sl_deserializer ds;
	struct sl_framing fr;
	uint32_t sndbuf;
	unsigned int nworkers;
	struct kv_worker workers[];
};

struct kv_cmd;

/* A request being executed. */
struct kv_req {
	const struct kv_mode *kv;
	struct kv_worker *kw;
	struct kv_store *st;
	const struct kv_cmd *cmd;	/* NULL: unknown */
	struct kv_change *chg;		/* NULL while a read-only command runs */
	struct sl_writer *wr;
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

/* ---- replies ---- */

static int
reply_str(struct kv_req *q, const char *s)
{
	return sl_resp_write_simple(q->wr, s, (uint32_t)strlen(s));
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
	return sl_resp_write_error(q->wr, buf, (uint32_t)n);
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
		return sl_resp_write_null(q->wr);
	return sl_resp_write_bulk(q->wr, v->data, v->len);
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
		return sl_resp_write_bulk(q->wr, arg_ptr(q, 1), arg_len(q, 1));
	return reply_str(q, "PONG");
}

static int
cmd_echo(struct kv_req *q)
{
	return sl_resp_write_bulk(q->wr, arg_ptr(q, 1), arg_len(q, 1));
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
		return get ? reply_value(q, old) : sl_resp_write_null(q->wr);
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
	return sl_resp_write_integer(q->wr, n);
}

static int
cmd_exists(struct kv_req *q)
{
	struct kv_value v;
	int64_t n = 0;
	uint32_t i;

	for (i = 1; i < q->argc; i++)
		n += arg_get(q, i, &v) != NULL;
	return sl_resp_write_integer(q->wr, n);
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
	return sl_resp_write_integer(q->wr, n);
}

static int
cmd_mget(struct kv_req *q)
{
	struct kv_value v;
	uint32_t i;
	int rc = sl_resp_write_array(q->wr, q->argc - 1);

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
	return sl_resp_write_integer(q->wr, (int64_t)s.keys);
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
	rc = sl_resp_write_array(q->wr, 2 * k);
	for (i = 0; rc == 0 && i < RTE_DIM(known); i++)
		for (uint32_t a = 2; a < q->argc; a++)
			if (arg_is(q, a, known[i][0])) {
				rc = sl_resp_write_bulk(q->wr, known[i][0], strlen(known[i][0]));
				if (rc == 0)
					rc = sl_resp_write_bulk(q->wr, known[i][1],
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
	int (*fn)(struct kv_req *q);
};

static const struct kv_cmd kv_cmds[] = {
	{ .name = "get", .arity = 2, .readonly = true, .fn = cmd_get },
	{ .name = "set", .arity = -3, .readonly = false, .fn = cmd_set },
	{ .name = "ping", .arity = -1, .readonly = true, .fn = cmd_ping },
	{ .name = "incr", .arity = 2, .readonly = false, .fn = cmd_incr },
	{ .name = "mget", .arity = -2, .readonly = true, .fn = cmd_mget },
	{ .name = "mset", .arity = -3, .readonly = false, .fn = cmd_mset },
	{ .name = "del", .arity = -2, .readonly = false, .fn = cmd_del },
	{ .name = "exists", .arity = -2, .readonly = true, .fn = cmd_exists },
	{ .name = "echo", .arity = 2, .readonly = true, .fn = cmd_echo },
	{ .name = "dbsize", .arity = 1, .readonly = true, .fn = cmd_dbsize },
	{ .name = "command", .arity = -1, .readonly = true, .fn = cmd_command },
	{ .name = "config", .arity = -2, .readonly = true, .fn = cmd_config },
	/* The connection closes after the reply: no data changes. */
	{ .name = "quit", .arity = -1, .readonly = true, .fn = cmd_quit },
};

static int
cmd_command(struct kv_req *q)
{
	if (q->argc >= 2 && arg_is(q, 1, "COUNT"))
		return sl_resp_write_integer(q->wr, RTE_DIM(kv_cmds));
	/* COMMAND, COMMAND DOCS (redis-cli asks at start) ...: nothing to describe. */
	return sl_resp_write_array(q->wr, 0);
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

/*
 * Run one request, writing its reply. 0, or the writer's error with the store as it was
 * (a command that changes data gets a plan, applied only when its reply is complete).
 */
static int
kv_exec(struct kv_req *q)
{
	unsigned int i;
	int rc;

	q->kw->n.cmds++;
	for (i = 0; i < RTE_DIM(kv_cmds); i++) {
		if (arg_is(q, 0, kv_cmds[i].name)) {
			q->cmd = &kv_cmds[i];
			break;
		}
	}
	if (q->cmd == NULL)
		return reply_unknown(q);
	if ((q->cmd->arity > 0 && q->argc != (uint32_t)q->cmd->arity) ||
	    (q->cmd->arity < 0 && q->argc < (uint32_t)-q->cmd->arity))
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

	q.wr = sl_conn_writer_begin(c);
	if (q.wr == NULL) {
		/* Full send queue: leave the request for on_writable. Otherwise the
		 * connection can no longer answer: drop what it still sends. */
		if (rte_errno != EAGAIN)
			return SL_RX_OK;
		kw->n.paused++;
		return SL_RX_AGAIN;
	}
	q.now_ms = kv_now_ms();
	rc = kv_exec(&q);
	if (rc == -EAGAIN) {
		/* The reply fits the send queue's hard cap but not now. Nothing changed
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

static const struct sl_conn_ops kv_ops = {
	.on_accept = server_on_accept,
	.on_message = kv_on_message,
	.on_eof = server_on_eof,
	.on_writable = server_on_writable,
	.on_error = kv_on_error,
	.on_close = server_on_close,
};

/* ---- the mode ---- */

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
	rc = server_listen(s, ctx, &kv_ops, &kv->fr);
	if (rc != 0)
		return rc;
	printf("sluice-server: kv: %u store(s) (one per worker, not shared) of at most %" PRIu64
	       " keys; requests up to %u bytes\n", nw, ctx->opts->kv_max_keys, kv->cfg.max_msg);
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
		kv_store_stats(kv->workers[i].store, &st);
		expired += st.expired;
	}
	printf("sluice-server: kv: commands %" PRIu64 ", error replies %" PRIu64
	       ", protocol errors %" PRIu64 ", oom %" PRIu64 ", expired %" PRIu64
	       ", paused on a full send queue %" PRIu64 ", write replies refused %" PRIu64
	       ", replies lost %" PRIu64 "\n", sum.cmds, sum.err_replies, sum.proto_errors,
	       sum.oom, expired, sum.paused, sum.write_refused, sum.reply_fail);
	return 0;
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
	.report = kv_report,
	.teardown = kv_teardown,
};
