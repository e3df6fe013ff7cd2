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
 * Each worker has its own store: an open-addressing table (linear probing, backward-
 * shift deletion, so no tombstones) keyed by SipHash-1-3 with a random key (a client
 * cannot aim keys at one probe run without it), holding pointers to
 * entries allocated with rte_malloc (key and value in one block). With several workers
 * each connection only sees the store of the worker RSS gave it to: this is a sharded
 * cache, not one database (the default run has one worker). --kv-max-keys bounds each
 * store; a write that would need a new key beyond it, or memory rte_malloc cannot give,
 * is answered with an -OOM error. Keys with a TTL are removed when they are next
 * touched (there is no background expiry), and count against the bound until then.
 *
 * Pipelining: requests are answered in order, one reply per request, straight into the
 * send queue. When the queue is full the request is left unconsumed (SL_RX_AGAIN) —
 * before anything is executed — and delivery resumes on on_writable. A reply that
 * cannot be written once the command ran (no mbuf left) aborts the connection: the
 * client sees a reset, as after a crash between execution and reply.
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
#include <rte_random.h>

#include <sluice/resp.h>
#include <sluice/sluice.h>

#include "server.h"

#define KV_MAX_ARGS 1024		/* arguments per request (the fields a message has) */
#define KV_MIN_SLOTS 16
/* A handler's answer meaning: nothing was changed, replace the reply by -OOM. */
#define KV_OOM (-ENOSPC)

/* A key and its value, in one rte_malloc block. */
struct kv_entry {
	uint64_t expire_ms;		/* absolute (kv_now_ms clock), 0: none */
	uint32_t klen;
	uint32_t vlen;
	uint32_t vcap;			/* room for the value */
	uint8_t data[];			/* key, then value */
};

struct kv_slot {
	uint32_t hash;
	struct kv_entry *e;		/* NULL: free */
};

/* One worker's store and counters (written only by that worker). */
struct kv_store {
	struct kv_slot *slots;
	uint64_t mask;
	uint64_t count;			/* keys held */
	uint64_t max_keys;
	uint64_t mem;			/* bytes of entries allocated */
	uint64_t hkey[2];		/* SipHash key, random per store */
	uint64_t cmds, err_replies, oom, proto_errors, reply_fail, expired, paused;
} __rte_cache_aligned;

struct kv_mode {
	struct sl_resp_cfg cfg;
	struct sl_deserializer ds;
	struct sl_framing fr;
	uint32_t sndbuf;
	unsigned int nstores;
	struct kv_store stores[];
};

/* A request being executed. */
struct kv_req {
	const struct kv_mode *kv;
	struct kv_store *st;
	struct sl_writer *wr;
	const uint8_t *base;
	const struct sl_field *f;
	uint32_t argc;
	uint64_t now_ms;
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

/* ---- the store ---- */

static inline uint64_t
sip_rotl(uint64_t x, unsigned int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void
sip_round(uint64_t v[4])
{
	v[0] += v[1]; v[1] = sip_rotl(v[1], 13); v[1] ^= v[0]; v[0] = sip_rotl(v[0], 32);
	v[2] += v[3]; v[3] = sip_rotl(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = sip_rotl(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = sip_rotl(v[1], 17); v[1] ^= v[2]; v[2] = sip_rotl(v[2], 32);
}

/* SipHash-1-3 of the key (byte loads through memcpy: keys sit at any alignment inside
 * received messages, and nothing past their end is read). */
static uint32_t
kv_hash(const struct kv_store *st, const uint8_t *k, uint32_t klen)
{
	uint64_t v[4] = {
		st->hkey[0] ^ 0x736f6d6570736575ULL, st->hkey[1] ^ 0x646f72616e646f6dULL,
		st->hkey[0] ^ 0x6c7967656e657261ULL, st->hkey[1] ^ 0x7465646279746573ULL,
	};
	uint64_t m, b = (uint64_t)klen << 56;
	uint32_t i, left = klen & 7;

	for (i = 0; i + 8 <= klen; i += 8) {
		memcpy(&m, k + i, 8);
		v[3] ^= m;
		sip_round(v);
		v[0] ^= m;
	}
	for (m = 0; left > 0; left--)
		m |= (uint64_t)k[i + left - 1] << (8 * (left - 1));
	b |= m;
	v[3] ^= b;
	sip_round(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	sip_round(v);
	sip_round(v);
	sip_round(v);
	m = v[0] ^ v[1] ^ v[2] ^ v[3];
	return (uint32_t)(m ^ (m >> 32));
}

static struct kv_entry *
kv_entry_alloc(struct kv_store *st, const uint8_t *k, uint32_t klen, uint32_t vcap)
{
	size_t sz = sizeof(struct kv_entry) + (size_t)klen + vcap;
	struct kv_entry *e = rte_malloc("sl_kv", sz, 0);

	if (e == NULL)
		return NULL;
	e->expire_ms = 0;
	e->klen = klen;
	e->vlen = 0;
	e->vcap = vcap;
	memcpy(e->data, k, klen);
	st->mem += sz;
	return e;
}

static void
kv_entry_free(struct kv_store *st, struct kv_entry *e)
{
	st->mem -= sizeof(struct kv_entry) + (size_t)e->klen + e->vcap;
	rte_free(e);
}

/* Slot of key k (hash h), or of the free slot where it would go. */
static uint64_t
kv_probe(const struct kv_store *st, uint32_t h, const uint8_t *k, uint32_t klen)
{
	uint64_t i = h & st->mask;

	/* The table is at most half full, so a free slot ends every probe. */
	for (;;) {
		const struct kv_slot *s = &st->slots[i];

		if (s->e == NULL || (s->hash == h && s->e->klen == klen &&
				     memcmp(s->e->data, k, klen) == 0))
			return i;
		i = (i + 1) & st->mask;
	}
}

/* Remove the entry at slot i: backward-shift the run after it (no tombstones). */
static void
kv_slot_remove(struct kv_store *st, uint64_t i)
{
	uint64_t j = i;

	kv_entry_free(st, st->slots[i].e);
	st->count--;
	for (;;) {
		uint64_t home;

		j = (j + 1) & st->mask;
		if (st->slots[j].e == NULL)
			break;
		home = st->slots[j].hash & st->mask;
		/* Move j back to i unless its home lies cyclically in (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			st->slots[i] = st->slots[j];
			i = j;
		}
	}
	st->slots[i].e = NULL;
	st->slots[i].hash = 0;
}

/* The live entry of key k at *slot (expired ones are removed on the way), or NULL with
 * *slot the free slot for it. */
static struct kv_entry *
kv_find(struct kv_store *st, uint64_t now_ms, const uint8_t *k, uint32_t klen, uint32_t h,
	uint64_t *slot)
{
	uint64_t i = kv_probe(st, h, k, klen);
	struct kv_entry *e = st->slots[i].e;

	if (e != NULL && e->expire_ms != 0 && e->expire_ms <= now_ms) {
		kv_slot_remove(st, i);
		st->expired++;
		i = kv_probe(st, h, k, klen);
		e = NULL;
	}
	*slot = i;
	return e;
}

static struct kv_entry *
kv_get(struct kv_req *q, uint32_t ai)
{
	const uint8_t *k = arg_ptr(q, ai);
	uint64_t slot;

	return kv_find(q->st, q->now_ms, k, arg_len(q, ai), kv_hash(q->st, k, arg_len(q, ai)),
		       &slot);
}

/* Can e take a value of vlen bytes in place (without wasting much room)? */
static bool
kv_fits(const struct kv_entry *e, uint32_t vlen)
{
	return e->vcap >= vlen && e->vcap <= 2 * (uint64_t)vlen + 64;
}

/*
 * Store value v under key k. spare: an entry allocated beforehand for this key (room
 * for the value), used when the current one is too small or the key is new, freed
 * otherwise; NULL: allocate here. expire_ms is set unless keepttl. Returns 0 or -ENOMEM
 * (store full or no memory); nothing changes on error.
 */
static int
kv_put(struct kv_store *st, uint64_t now_ms, const uint8_t *k, uint32_t klen,
       const uint8_t *v, uint32_t vlen, uint64_t expire_ms, bool keepttl,
       struct kv_entry *spare)
{
	uint32_t h = kv_hash(st, k, klen);
	uint64_t slot;
	struct kv_entry *e = kv_find(st, now_ms, k, klen, h, &slot);
	struct kv_entry *n;

	/* Overwrite in place when the value fits and does not waste much. */
	if (e != NULL && kv_fits(e, vlen)) {
		if (spare != NULL)
			kv_entry_free(st, spare);
		memcpy(e->data + klen, v, vlen);
		e->vlen = vlen;
		if (!keepttl)
			e->expire_ms = expire_ms;
		return 0;
	}
	if (e == NULL && st->count >= st->max_keys) {
		if (spare != NULL)
			kv_entry_free(st, spare);
		return -ENOMEM;
	}
	n = spare != NULL ? spare : kv_entry_alloc(st, k, klen, vlen);
	if (n == NULL)
		return -ENOMEM;
	memcpy(n->data + klen, v, vlen);
	n->vlen = vlen;
	n->expire_ms = expire_ms;
	if (e != NULL) {
		if (keepttl)
			n->expire_ms = e->expire_ms;
		kv_entry_free(st, e);
	} else {
		st->count++;
		st->slots[slot].hash = h;
	}
	st->slots[slot].e = n;
	return 0;
}

static bool
kv_delete(struct kv_req *q, uint32_t ai)
{
	const uint8_t *k = arg_ptr(q, ai);
	uint32_t klen = arg_len(q, ai);
	uint64_t slot;

	if (kv_find(q->st, q->now_ms, k, klen, kv_hash(q->st, k, klen), &slot) == NULL)
		return false;
	kv_slot_remove(q->st, slot);
	return true;
}

static int
kv_store_init(struct kv_store *st, uint64_t max_keys)
{
	uint64_t n = KV_MIN_SLOTS;

	while (n < 2 * max_keys)
		n <<= 1;
	st->slots = rte_zmalloc("sl_kv_table", n * sizeof(st->slots[0]), RTE_CACHE_LINE_SIZE);
	if (st->slots == NULL)
		return -ENOMEM;
	st->mask = n - 1;
	st->max_keys = max_keys;
	st->hkey[0] = rte_rand();
	st->hkey[1] = rte_rand();
	return 0;
}

/* Free every entry; returns how many there were. */
static uint64_t
kv_store_fini(struct kv_store *st)
{
	uint64_t i, n = 0;

	if (st->slots == NULL)
		return 0;
	for (i = 0; i <= st->mask; i++) {
		if (st->slots[i].e != NULL) {
			kv_entry_free(st, st->slots[i].e);
			st->slots[i].e = NULL;
			n++;
		}
	}
	rte_free(st->slots);
	st->slots = NULL;
	return n;
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
	q->st->err_replies++;
	return sl_resp_write_error(q->wr, buf, (uint32_t)n);
}

static int
reply_oom(struct kv_req *q)
{
	q->st->oom++;
	return reply_err(q, "OOM command not allowed: the store holds its limit of keys "
			 "(--kv-max-keys) or is out of memory");
}

static int
reply_not_int(struct kv_req *q)
{
	return reply_err(q, "ERR value is not an integer or out of range");
}

static int
reply_value(struct kv_req *q, const struct kv_entry *e)
{
	if (e == NULL)
		return sl_resp_write_null(q->wr);
	return sl_resp_write_bulk(q->wr, e->data + e->klen, e->vlen);
}

/* ---- commands ---- */

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
	return reply_value(q, kv_get(q, 1));
}

/* SET key value [NX|XX] [GET] [EX s|PX ms|KEEPTTL] */
static int
cmd_set(struct kv_req *q)
{
	bool nx = false, xx = false, get = false, keepttl = false, has_exp = false;
	uint64_t expire_ms = 0;
	struct kv_entry *old;
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
	old = kv_get(q, 1);
	if ((nx && old != NULL) || (xx && old == NULL))
		return get ? reply_value(q, old) : sl_resp_write_null(q->wr);
	if (get) {
		/* The old value goes out before it is overwritten. */
		rc = reply_value(q, old);
		if (rc != 0)
			return rc;
	}
	if (kv_put(q->st, q->now_ms, arg_ptr(q, 1), arg_len(q, 1), arg_ptr(q, 2), arg_len(q, 2),
		   expire_ms, keepttl, NULL) != 0)
		return get ? KV_OOM : reply_oom(q);	/* the old value is in the reply */
	return get ? 0 : reply_str(q, "OK");
}

static int
cmd_del(struct kv_req *q)
{
	int64_t n = 0;
	uint32_t i;

	for (i = 1; i < q->argc; i++)
		n += kv_delete(q, i);
	return sl_resp_write_integer(q->wr, n);
}

static int
cmd_exists(struct kv_req *q)
{
	int64_t n = 0;
	uint32_t i;

	for (i = 1; i < q->argc; i++)
		n += kv_get(q, i) != NULL;
	return sl_resp_write_integer(q->wr, n);
}

static int
cmd_incr(struct kv_req *q)
{
	struct kv_entry *e = kv_get(q, 1);
	char buf[24];
	int64_t v = 0;
	int n;

	if (e != NULL && !kv_parse_i64(e->data + e->klen, e->vlen, &v))
		return reply_not_int(q);
	if (v == INT64_MAX)
		return reply_err(q, "ERR increment or decrement would overflow");
	v++;
	n = snprintf(buf, sizeof(buf), "%" PRId64, v);
	if (e != NULL && e->vcap >= (uint32_t)n) {
		memcpy(e->data + e->klen, buf, (size_t)n);
		e->vlen = (uint32_t)n;
	} else if (kv_put(q->st, q->now_ms, arg_ptr(q, 1), arg_len(q, 1), (const uint8_t *)buf,
			  (uint32_t)n, 0, true, NULL) != 0) {
		return reply_oom(q);
	}
	return sl_resp_write_integer(q->wr, v);
}

static int
cmd_mget(struct kv_req *q)
{
	uint32_t i;
	int rc = sl_resp_write_array(q->wr, q->argc - 1);

	for (i = 1; rc == 0 && i < q->argc; i++)
		rc = reply_value(q, kv_get(q, i));
	return rc;
}

/* MSET is all or nothing: room and memory for every pair first, then the writes, which
 * then cannot fail. A key repeated in the request gets a spare entry for each later
 * occurrence (its first write may replace the entry checked here) and is counted as new
 * each time it is absent (conservative near the limit). */
static int
cmd_mset(struct kv_req *q)
{
	struct kv_entry *spare[KV_MAX_ARGS / 2];
	uint32_t hash[KV_MAX_ARGS / 2];
	uint32_t npairs = (q->argc - 1) / 2, i, j;
	uint64_t fresh = 0;

	if ((q->argc - 1) % 2 != 0)
		return reply_err(q, "ERR wrong number of arguments for 'mset' command");
	for (i = 0; i < npairs; i++) {
		const uint8_t *k = arg_ptr(q, 1 + 2 * i);
		uint32_t klen = arg_len(q, 1 + 2 * i), vlen = arg_len(q, 2 + 2 * i);
		struct kv_entry *e = kv_get(q, 1 + 2 * i);
		bool need = e == NULL || !kv_fits(e, vlen);

		hash[i] = kv_hash(q->st, k, klen);
		for (j = 0; j < i && !need; j++)
			need = hash[j] == hash[i] && arg_len(q, 1 + 2 * j) == klen &&
			       memcmp(arg_ptr(q, 1 + 2 * j), k, klen) == 0;
		fresh += e == NULL;
		spare[i] = need ? kv_entry_alloc(q->st, k, klen, vlen) : NULL;
		if ((need && spare[i] == NULL) || q->st->count + fresh > q->st->max_keys) {
			for (j = 0; j <= i; j++)
				if (spare[j] != NULL)
					kv_entry_free(q->st, spare[j]);
			return reply_oom(q);
		}
	}
	for (i = 0; i < npairs; i++)
		kv_put(q->st, q->now_ms, arg_ptr(q, 1 + 2 * i), arg_len(q, 1 + 2 * i),
		       arg_ptr(q, 2 + 2 * i), arg_len(q, 2 + 2 * i), 0, false, spare[i]);
	return reply_str(q, "OK");
}

static int
cmd_dbsize(struct kv_req *q)
{
	return sl_resp_write_integer(q->wr, (int64_t)q->st->count);
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
	int (*fn)(struct kv_req *q);
};

static const struct kv_cmd kv_cmds[] = {
	{ "get", 2, cmd_get },
	{ "set", -3, cmd_set },
	{ "ping", -1, cmd_ping },
	{ "incr", 2, cmd_incr },
	{ "mget", -2, cmd_mget },
	{ "mset", -3, cmd_mset },
	{ "del", -2, cmd_del },
	{ "exists", -2, cmd_exists },
	{ "echo", 2, cmd_echo },
	{ "dbsize", 1, cmd_dbsize },
	{ "command", -1, cmd_command },
	{ "config", -2, cmd_config },
	{ "quit", -1, cmd_quit },
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

/* Run one request, writing its reply. 0 or the writer's error. */
static int
kv_exec(struct kv_req *q)
{
	const struct kv_cmd *cmd = NULL;
	unsigned int i;

	q->st->cmds++;
	for (i = 0; i < RTE_DIM(kv_cmds); i++) {
		if (arg_is(q, 0, kv_cmds[i].name)) {
			cmd = &kv_cmds[i];
			break;
		}
	}
	if (cmd == NULL)
		return reply_unknown(q);
	if ((cmd->arity > 0 && q->argc != (uint32_t)cmd->arity) ||
	    (cmd->arity < 0 && q->argc < (uint32_t)-cmd->arity))
		return reply_err(q, "ERR wrong number of arguments for '%s' command", cmd->name);
	return cmd->fn(q);
}

/* ---- connection events ---- */

static struct kv_store *
kv_store_of(struct sl_conn *c)
{
	struct kv_mode *kv = server_ctx_of(c)->mode_state;

	return &kv->stores[sl_worker_id(sl_conn_worker(c))];
}

static int
kv_on_message(struct sl_conn *c, const struct sl_msg *m)
{
	struct server_ctx *ctx = server_ctx_of(c);
	struct kv_req q = {
		.kv = ctx->mode_state,
		.st = kv_store_of(c),
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
		q.st->paused++;
		return SL_RX_AGAIN;
	}
	q.now_ms = kv_now_ms();
	rc = kv_exec(&q);
	if (rc == -EAGAIN) {
		/* The reply fits the send queue's hard cap but not now: only replies
		 * larger than the cap less the high mark do, and those come from
		 * read-only commands, so running the request again on on_writable is
		 * exact. */
		sl_writer_abort(q.wr);
		q.st->paused++;
		return SL_RX_AGAIN;
	}
	if (rc == -EMSGSIZE || rc == KV_OOM) {
		/* Nothing was changed (a reply larger than the send queue may hold comes
		 * from read-only commands: MGET or GET of large values), so answering with
		 * an error instead is exact. */
		sl_writer_abort(q.wr);
		q.wr = sl_conn_writer_begin(c);
		if (q.wr == NULL)
			rc = -rte_errno;
		else if (rc == KV_OOM)
			rc = reply_oom(&q);
		else
			rc = reply_err(&q, "ERR reply too large for the send buffer (--sndbuf %u)",
				       q.kv->sndbuf);
	}
	if (rc != 0) {
		if (q.wr != NULL)
			sl_writer_abort(q.wr);
		q.st->reply_fail++;
		sl_conn_abort(c);
		return SL_RX_OK;
	}
	sl_writer_end(q.wr);
	server_counters(ctx, c)->bytes += m->len;
	if (q.quit)
		sl_conn_close(c);
	return SL_RX_OK;
}

/* A bad request: answer like Redis, then the CLOSE policy sends FIN after the reply. */
static void
kv_on_error(struct sl_conn *c, int err, uint64_t off)
{
	struct kv_mode *kv = server_ctx_of(c)->mode_state;
	struct kv_req q = { .kv = kv, .st = kv_store_of(c) };
	int rc;

	q.st->proto_errors++;
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

static int
kv_setup(struct sl_stack *s, struct server_ctx *ctx)
{
	const struct sl_config *cfg = sl_stack_config(s);
	unsigned int nw = sl_stack_worker_count(s), i;
	uint32_t mss = cfg->mtu - 40;
	struct kv_mode *kv;
	int rc;

	kv = rte_zmalloc("sl_kv_mode", sizeof(*kv) + nw * sizeof(kv->stores[0]),
			 RTE_CACHE_LINE_SIZE);
	if (kv == NULL)
		return -ENOMEM;
	ctx->mode_state = kv;
	kv->nstores = nw;
	kv->sndbuf = cfg->sndbuf;
	/* Default: the largest request the receive budget allows (see sl_stack_listen_framed). */
	kv->cfg.max_msg = ctx->opts->max_msg != 0 ? ctx->opts->max_msg :
			  (cfg->rcvbuf > mss ? cfg->rcvbuf - mss : 1);
	kv->cfg.max_args = KV_MAX_ARGS;
	kv->cfg.max_bulk = kv->cfg.max_msg;
	sl_resp_init(&kv->ds, NULL, &kv->cfg);
	kv->fr = (struct sl_framing){ .ds = &kv->ds, .on_error = SL_FRAMING_CLOSE };
	for (i = 0; i < nw; i++) {
		rc = kv_store_init(&kv->stores[i], ctx->opts->kv_max_keys);
		if (rc != 0) {
			fprintf(stderr, "sluice-server: kv: no memory for a table of %" PRIu64
				" keys on worker %u\n", ctx->opts->kv_max_keys, i);
			return rc;
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
	uint64_t cmds = 0, errs = 0, proto = 0, oom = 0, fail = 0, paused = 0, expired = 0;
	unsigned int i;

	for (i = 0; i < kv->nstores; i++) {
		const struct kv_store *st = &kv->stores[i];

		cmds += st->cmds;
		errs += st->err_replies;
		proto += st->proto_errors;
		oom += st->oom;
		fail += st->reply_fail;
		paused += st->paused;
		expired += st->expired;
	}
	printf("sluice-server: kv: commands %" PRIu64 ", error replies %" PRIu64
	       ", protocol errors %" PRIu64 ", oom %" PRIu64 ", expired %" PRIu64
	       ", paused on a full send queue %" PRIu64 ", replies lost %" PRIu64 "\n",
	       cmds, errs, proto, oom, expired, paused, fail);
	return 0;
}

/* Free the stores; their memory must balance. */
static void
kv_teardown(struct server_ctx *ctx)
{
	struct kv_mode *kv = ctx->mode_state;
	uint64_t keys = 0, freed = 0, mem = 0;
	unsigned int i;

	if (kv == NULL)
		return;
	for (i = 0; i < kv->nstores; i++) {
		struct kv_store *st = &kv->stores[i];

		keys += st->count;
		freed += kv_store_fini(st);
		mem += st->mem;		/* what is left after freeing every entry */
	}
	if (freed != keys || mem != 0)
		printf("sluice-server: kv: LEAK: %" PRIu64 " keys counted, %" PRIu64
		       " freed, %" PRIu64 " bytes unaccounted\n", keys, freed, mem);
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
