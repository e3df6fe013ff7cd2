/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * framing_kit.c -- the segmentation sweep (see framing_kit.h).
 *
 * slk_run -> kit_run (one per segmentation) -> rxbuf_append (one chunk) -> framing_pump
 *     -> kit_deliver / kit_error (the driver's callbacks, which check and record)
 *
 * A run builds a fresh framing_flow and rxbuf on the worker of a real stack, appends the
 * stream chunk by chunk as mbufs from the worker's pool and pumps the driver the way
 * deliver.c does: after each chunk, and again while it answers MORE (budget spent) or
 * PAUSED (resumed at once, or after the next chunk arrived). The first run records the
 * transcript; every later run compares each event with it as it happens, so a sweep of
 * tens of thousands of runs allocates nothing per message. A disagreement stops the run
 * (the callback answers STOP), the run cleans up, and only then the test fails.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "framing/framing_priv.h"
#include "framing_kit.h"
#include "harness.h"
#include "tcp/rxbuf.h"
#include "core/worker.h"

#define KIT_MAX_FRAMINGS 8
#define KIT_ERR_LEN 512

struct kit_framing {
	const struct sl_framing *user;
	struct sl_framing copy;		/* slices = false */
	struct sl_framing sliced;	/* slices = true */
};

struct slk_env {
	struct th t;
	struct kit_framing fr[KIT_MAX_FRAMINGS];
	unsigned int nfr;
	uint32_t seg_max;		/* payload bytes per mbuf */
};

/* How one run cuts and delivers the stream. */
struct kit_plan {
	const uint32_t *ends;		/* chunk i is [ends[i-1], ends[i]); the last is len */
	unsigned int nchunks;
	bool sliced;
	unsigned int budget;
	enum { PAUSE_NONE, PAUSE_ALL, PAUSE_RANDOM } pause;
	bool random_mbufs;		/* tailroom, chains, append-before-resume at random */
	uint64_t seed;			/* for the random choices of this run */
	char what[48];			/* "whole", "one byte per mbuf", ... */
};

/* A run in progress. */
struct kit_run {
	struct slk_env *env;
	const struct slk_case *c;
	const struct kit_plan *p;
	struct framing_flow *ff;
	struct slk_transcript *rec;	/* the reference run records here */
	const struct slk_transcript *ref;	/* the others compare with it */
	unsigned int mi, ei;		/* next message / error of ref */
	uint64_t cpos;			/* bytes delivered so far (SLK_F_CONCAT) */
	uint64_t next_off;		/* a message may not start before this */
	uint64_t rng;
	size_t cap_m, cap_d, cap_f, cap_e;	/* capacities of rec's arrays */
	/* The message refused with SL_RX_AGAIN, which must come back identical. */
	bool pending;
	struct sl_msg pend;
	struct sl_field pend_fields[FRAMING_MAX_FIELDS];
	char err[KIT_ERR_LEN];		/* first problem found ("" when none) */
};

static uint64_t kit_base_seed;
static bool kit_seeded;

/* ---- small helpers ---- */

static uint64_t
kit_rand(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t
kit_below(uint64_t *s, uint32_t n)
{
	return n == 0 ? 0 : (uint32_t)(kit_rand(s) % n);
}

static uint64_t
kit_seed(void)
{
	if (!kit_seeded) {
		const char *e = getenv("SL_KIT_SEED");

		if (e != NULL && *e != '\0')
			kit_base_seed = strtoull(e, NULL, 0);
		else
			kit_base_seed = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^
					((uint64_t)clock() << 40);
		kit_seeded = true;
		fprintf(stderr, "framing kit: SL_KIT_SEED=0x%llx\n",
			(unsigned long long)kit_base_seed);
	}
	return kit_base_seed;
}

/* The seed of a case: the base seed mixed with its bytes, so replaying one case does
 * not depend on which cases ran before it. */
static uint64_t
kit_case_seed(const struct slk_case *c)
{
	const uint8_t *p = c->in;
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < c->len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	if (c->name != NULL)
		for (i = 0; c->name[i] != '\0'; i++)
			h = (h ^ (uint8_t)c->name[i]) * 0x100000001b3ull;
	return kit_seed() ^ h;
}

static void __attribute__((format(printf, 2, 3)))
kit_fail(struct kit_run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->err[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
}

const char *
slk_end_str(enum slk_end e)
{
	static const char *const names[] = {
		[SLK_END_IDLE] = "idle", [SLK_END_EOF] = "eof",
		[SLK_END_CLOSE] = "close", [SLK_END_ABORT] = "abort",
	};

	return (unsigned int)e < RTE_DIM(names) ? names[e] : "?";
}

static void *
kit_grow(void *p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap;

	if (need <= n)
		return p;
	while (n < need)
		n = n < 16 ? 16 : 2 * n;
	p = realloc(p, n * elem);
	if (p == NULL) {
		fprintf(stderr, "framing kit: out of memory\n");
		abort();
	}
	*cap = n;
	return p;
}

/* ---- the environment: a stack with the framings prepared ---- */

static void
kit_env_hook(struct th *t, void *arg)
{
	struct slk_env *env = arg;
	unsigned int i;

	for (i = 0; i < env->nfr; i++) {
		assert_int_equal(sl_stack_add_framing(t->s, &env->fr[i].copy), 0);
		assert_int_equal(sl_stack_add_framing(t->s, &env->fr[i].sliced), 0);
	}
}

struct slk_env *
slk_env_open(const struct sl_framing *const *frs, unsigned int n)
{
	struct slk_env *env = calloc(1, sizeof(*env));
	struct sl_config cfg;
	uint32_t max_msg = 0;
	unsigned int i;

	assert_non_null(env);
	assert_true(n >= 1 && n <= KIT_MAX_FRAMINGS);
	(void)kit_seed();
	for (i = 0; i < n; i++) {
		const struct sl_deserializer *ds = frs[i]->ds != NULL ? frs[i]->ds : &sl_ds_raw;

		env->fr[i].user = frs[i];
		env->fr[i].copy = *frs[i];
		env->fr[i].copy.slices = false;
		env->fr[i].sliced = *frs[i];
		env->fr[i].sliced.slices = true;
		if (ds->max_msg > max_msg)
			max_msg = ds->max_msg;
	}
	env->nfr = n;
	th_config(&cfg);
	/* Enough mbufs for a long stream cut one byte per mbuf, a receive budget that
	 * admits the largest message, and small assembly pools. */
	cfg.mbufs = 32767;
	cfg.framing_asm_mb = 1;
	if ((uint64_t)max_msg + cfg.mtu + 64 > cfg.rcvbuf)
		cfg.rcvbuf = max_msg + cfg.mtu + 64;
	th_setup_hook(&env->t, &cfg, 4096, kit_env_hook, env);
	env->seg_max = rte_pktmbuf_data_room_size(env->t.w->pool) - RTE_PKTMBUF_HEADROOM;
	return env;
}

void
slk_env_close(struct slk_env *env)
{
	th_teardown(&env->t);
	free(env);
}

static struct framing_inst *
kit_inst(struct slk_env *env, const struct sl_framing *fr, bool sliced)
{
	unsigned int i;

	for (i = 0; i < env->nfr; i++)
		if (env->fr[i].user == fr)
			return framing_inst_find(env->t.w, sliced ? &env->fr[i].sliced :
								    &env->fr[i].copy);
	return NULL;
}

/* ---- the driver's callbacks ---- */

static bool
kit_same_fields(const struct sl_field *a, const struct sl_field *b, uint32_t n)
{
	return n == 0 || memcmp(a, b, n * sizeof(*a)) == 0;
}

/* Check what the driver handed over against the mode and the input. */
static bool
kit_check_msg(struct kit_run *r, const struct sl_msg *m)
{
	const struct slk_case *c = r->c;
	const uint8_t *in = c->in;
	const struct sl_deserializer *ds = r->ff->inst->ds;
	uint64_t at;
	uint32_t i;

	if (m->stream_off < r->next_off || m->stream_off > c->len ||
	    m->len > c->len - m->stream_off) {
		kit_fail(r, "message [%llu, +%u) outside the stream (%zu bytes) or before the "
			 "end of the previous one (%llu)", (unsigned long long)m->stream_off,
			 m->len, c->len, (unsigned long long)r->next_off);
		return false;
	}
	if (m->len > ds->max_msg) {
		kit_fail(r, "message of %u bytes > max_msg %u", m->len, ds->max_msg);
		return false;
	}
	if (m->nfields > FRAMING_MAX_FIELDS || (m->nfields > 0 && m->fields == NULL)) {
		kit_fail(r, "message with %u fields", m->nfields);
		return false;
	}
	for (i = 0; i < m->nfields; i++)
		if ((uint64_t)m->fields[i].off + m->fields[i].len > m->len) {
			kit_fail(r, "field %u [%u, +%u) outside the message (%u bytes)", i,
				 m->fields[i].off, m->fields[i].len, m->len);
			return false;
		}
	if (m->len == 0)
		return true;
	if (m->flags & SL_MSG_SLICES) {
		if (!r->p->sliced || (ds->flags & SL_DS_F_CONTIG) || m->data != NULL ||
		    (m->flags & SL_MSG_COPIED) || m->nslices < 2 ||
		    m->nslices > FRAMING_MAX_SLICES) {
			kit_fail(r, "slice list (%u slices, data %p) not allowed here (mode %s)",
				 m->nslices, (const void *)m->data,
				 r->p->sliced ? "slices" : "copy");
			return false;
		}
		at = m->stream_off;
		for (i = 0; i < m->nslices; i++) {
			const struct sl_slice *s = &m->slices[i];

			if (s->len == 0 || s->data == NULL || at + s->len > m->stream_off + m->len ||
			    memcmp(s->data, in + at, s->len) != 0) {
				kit_fail(r, "slice %u of the message at %llu: wrong bytes or length",
					 i, (unsigned long long)m->stream_off);
				return false;
			}
			at += s->len;
		}
		if (at != m->stream_off + m->len) {
			kit_fail(r, "slices cover %llu of %u bytes",
				 (unsigned long long)(at - m->stream_off), m->len);
			return false;
		}
		return true;
	}
	if (m->data == NULL || m->nslices != 1 || m->slices == NULL ||
	    m->slices[0].data != m->data || m->slices[0].len != m->len) {
		kit_fail(r, "contiguous message at %llu with data %p, %u slices",
			 (unsigned long long)m->stream_off, (const void *)m->data, m->nslices);
		return false;
	}
	if ((m->flags & SL_MSG_COPIED) && m->data != r->ff->asm_buf) {
		kit_fail(r, "copied message not in the assembly buffer");
		return false;
	}
	if (memcmp(m->data, in + m->stream_off, m->len) != 0) {
		kit_fail(r, "message at %llu (%u bytes): not the bytes of the stream there",
			 (unsigned long long)m->stream_off, m->len);
		return false;
	}
	return true;
}

static void
kit_record_msg(struct kit_run *r, const struct sl_msg *m)
{
	struct slk_transcript *tr = r->rec;
	struct slk_msg *x;

	tr->msgs = kit_grow(tr->msgs, &r->cap_m, tr->nmsgs + 1, sizeof(*tr->msgs));
	tr->data = kit_grow(tr->data, &r->cap_d, tr->data_len + m->len + 1, 1);
	tr->fields = kit_grow(tr->fields, &r->cap_f, tr->nfields + m->nfields + 1,
			      sizeof(*tr->fields));
	x = &tr->msgs[tr->nmsgs++];
	x->stream_off = m->stream_off;
	x->len = m->len;
	x->type = m->type;
	x->data_off = (uint32_t)tr->data_len;
	x->nfields = m->nfields;
	x->field0 = (uint32_t)tr->nfields;
	if (m->len > 0)
		memcpy(tr->data + tr->data_len, (const uint8_t *)r->c->in + m->stream_off,
		       m->len);
	tr->data_len += m->len;
	if (m->nfields > 0)
		memcpy(tr->fields + tr->nfields, m->fields, m->nfields * sizeof(*m->fields));
	tr->nfields += m->nfields;
}

static void
kit_compare_msg(struct kit_run *r, const struct sl_msg *m)
{
	const struct slk_transcript *ref = r->ref;
	const struct slk_msg *x;

	if (r->c->flags & SLK_F_CONCAT) {
		/* The bytes are the stream's (checked); they must continue the reference's
		 * concatenation exactly where the previous message ended. */
		if (r->cpos + m->len > ref->data_len ||
		    (m->len > 0 && memcmp(ref->data + r->cpos,
					  (const uint8_t *)r->c->in + m->stream_off,
					  m->len) != 0)) {
			kit_fail(r, "bytes [%llu, +%u) differ from the reference's",
				 (unsigned long long)r->cpos, m->len);
			return;
		}
		r->cpos += m->len;
		return;
	}
	if (r->mi >= ref->nmsgs) {
		kit_fail(r, "message %u (at %llu, %u bytes) beyond the reference's %u", r->mi,
			 (unsigned long long)m->stream_off, m->len, ref->nmsgs);
		return;
	}
	x = &ref->msgs[r->mi];
	if (x->stream_off != m->stream_off || x->len != m->len || x->type != m->type ||
	    x->nfields != m->nfields ||
	    !kit_same_fields(ref->fields + x->field0, m->fields, m->nfields)) {
		kit_fail(r, "message %u is (at %llu, %u bytes, type %u, %u fields), the "
			 "reference's (at %llu, %u bytes, type %u, %u fields)%s", r->mi,
			 (unsigned long long)m->stream_off, m->len, m->type, m->nfields,
			 (unsigned long long)x->stream_off, x->len, x->type, x->nfields,
			 x->nfields == m->nfields ? " (fields differ)" : "");
		return;
	}
	r->mi++;
}

static enum framing_cb_rc
kit_deliver(void *arg, const struct sl_msg *m)
{
	struct kit_run *r = arg;
	bool pause = false;

	if (r->err[0] != '\0' || !kit_check_msg(r, m))
		return FRAMING_CB_STOP;
	if (r->pending) {
		/* The message refused last time must be framed again identically (with
		 * SLK_F_CONCAT, from the same offset, and it may have grown with bytes that
		 * arrived in between). */
		bool same = r->c->flags & SLK_F_CONCAT ?
			    r->pend.stream_off == m->stream_off && r->pend.len <= m->len :
			    r->pend.stream_off == m->stream_off && r->pend.len == m->len &&
			    r->pend.type == m->type && r->pend.nfields == m->nfields &&
			    kit_same_fields(r->pend_fields, m->fields, m->nfields);

		if (!same) {
			kit_fail(r, "after SL_RX_AGAIN the message at %llu (%u bytes, type %u, "
				 "%u fields) came back as (at %llu, %u bytes, type %u, %u fields)",
				 (unsigned long long)r->pend.stream_off, r->pend.len, r->pend.type,
				 r->pend.nfields, (unsigned long long)m->stream_off, m->len,
				 m->type, m->nfields);
			return FRAMING_CB_STOP;
		}
		r->pending = false;
	} else if (r->p->pause == PAUSE_ALL) {
		pause = true;
	} else if (r->p->pause == PAUSE_RANDOM) {
		pause = kit_below(&r->rng, 4) == 0;
	}
	if (pause) {
		r->pending = true;
		r->pend = *m;
		memcpy(r->pend_fields, m->fields, m->nfields * sizeof(*m->fields));
		return FRAMING_CB_AGAIN;
	}
	r->next_off = m->stream_off + m->len;
	if (r->rec != NULL)
		kit_record_msg(r, m);
	else
		kit_compare_msg(r, m);
	return r->err[0] != '\0' ? FRAMING_CB_STOP : FRAMING_CB_OK;
}

static enum sl_framing_policy
kit_error(void *arg, int err, uint64_t off)
{
	struct kit_run *r = arg;

	if (r->pending) {
		kit_fail(r, "error %d at %llu right after the message at %llu was refused "
			 "(SL_RX_AGAIN): it was not framed again", err, (unsigned long long)off,
			 (unsigned long long)r->pend.stream_off);
	} else if (r->rec != NULL) {
		struct slk_transcript *tr = r->rec;

		tr->errs = kit_grow(tr->errs, &r->cap_e, tr->nerrs + 1, sizeof(*tr->errs));
		tr->errs[tr->nerrs].err = err;
		tr->errs[tr->nerrs].off = off;
		tr->nerrs++;
	} else if (r->ei >= r->ref->nerrs || r->ref->errs[r->ei].err != err ||
		   r->ref->errs[r->ei].off != off) {
		if (r->ei >= r->ref->nerrs)
			kit_fail(r, "error %d at %llu; the reference had no error %u", err,
				 (unsigned long long)off, r->ei);
		else
			kit_fail(r, "error %d at %llu; the reference's error %u: %d at %llu", err,
				 (unsigned long long)off, r->ei, r->ref->errs[r->ei].err,
				 (unsigned long long)r->ref->errs[r->ei].off);
	} else {
		r->ei++;
	}
	if (off > r->c->len)
		kit_fail(r, "error offset %llu beyond the stream (%zu bytes)",
			 (unsigned long long)off, r->c->len);
	return r->c->fr->on_error;
}

static const struct framing_cb kit_cb = {
	.deliver = kit_deliver,
	.error = kit_error,
};

/* ---- one run ---- */

/* An mbuf chain holding in[0..n): without tailroom (so rxbuf cannot merge the next
 * chunk into it) unless `room`, split in two segments when `chain`. NULL: no mbuf. */
static struct rte_mbuf *
kit_chunk(struct slk_env *env, const uint8_t *in, uint32_t n, bool room, bool chain,
	  uint64_t *rng)
{
	struct rte_mbuf *head = NULL, *tail = NULL;
	uint32_t done = 0, first = n;

	if (chain && n >= 2)
		first = 1 + kit_below(rng, n - 1);
	while (done < n) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(env->t.w->pool);
		uint32_t k = RTE_MIN(done == 0 ? first : n - done, env->seg_max);

		if (m == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		if (!room)
			m->data_off = (uint16_t)(m->buf_len - k);
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), in + done, k);
		m->data_len = (uint16_t)k;
		m->pkt_len = k;
		if (head == NULL) {
			head = m;
		} else {
			tail->next = m;
			head->nb_segs++;
			head->pkt_len += k;
		}
		tail = m;
		done += k;
	}
	return head;
}

static enum slk_end
kit_end(enum framing_rc rc)
{
	switch (rc) {
	case FRAMING_EOF:
		return SLK_END_EOF;
	case FRAMING_CLOSE:
		return SLK_END_CLOSE;
	case FRAMING_ABORT:
		return SLK_END_ABORT;
	default:
		return SLK_END_IDLE;
	}
}

/* Leak check after a run: mbufs back to the baseline, the framing's pools full. */
static void
kit_leak_check(struct kit_run *r, const struct framing_inst *inst)
{
	struct th *t = &r->env->t;
	unsigned int in_use = th_in_use(t);

	if (in_use != t->baseline)
		kit_fail(r, "mbuf leak: %u in use after the run, baseline %u", in_use,
			 t->baseline);
	if (inst->state_pool != NULL && !rte_mempool_full(inst->state_pool))
		kit_fail(r, "state pool leak: %u of %u free",
			 rte_mempool_avail_count(inst->state_pool), inst->state_pool->size);
	if (!rte_mempool_full(inst->asm_pool))
		kit_fail(r, "assembly pool leak: %u of %u free",
			 rte_mempool_avail_count(inst->asm_pool), inst->asm_pool->size);
}

static void
kit_describe(char *buf, size_t sz, const struct slk_case *c, const struct kit_plan *p)
{
	size_t n = 0;
	unsigned int i;

	n += (size_t)snprintf(buf + n, sz - n, "%s, %u chunk(s)", p->what, p->nchunks);
	if (p->nchunks > 1 && p->nchunks <= 12) {
		n += (size_t)snprintf(buf + n, sz - n, " cut at");
		for (i = 0; i + 1 < p->nchunks && n < sz; i++)
			n += (size_t)snprintf(buf + n, sz - n, " %u", p->ends[i]);
	}
	if (n < sz)
		snprintf(buf + n, sz - n, ", %s, budget %u, pauses %s%s, %zu bytes%s",
			 p->sliced ? "slice lists" : "copies", p->budget,
			 p->pause == PAUSE_NONE ? "none" : p->pause == PAUSE_ALL ? "all" : "random",
			 p->random_mbufs ? ", random mbufs" : "", c->len, c->fin ? " + FIN" : "");
}

/* Run the stream cut as p says; record into rec or compare with ref. On a problem, fail
 * the test (after cleaning up) with the case, the plan and the seed. */
static void
kit_run(struct slk_env *env, const struct slk_case *c, const struct kit_plan *p,
	struct slk_transcript *rec, const struct slk_transcript *ref)
{
	struct sl_worker *w = env->t.w;
	struct framing_inst *inst = kit_inst(env, c->fr, p->sliced);
	static struct kit_run r;	/* large (fields of the pending message) */
	const uint8_t *in = c->in;
	struct framing_flow ff;
	struct rxbuf rb;
	enum framing_rc rc = FRAMING_IDLE;
	unsigned int ci = 0, guard;
	uint32_t start = 0;
	bool done = false;

	assert_non_null(inst);
	memset(&r, 0, offsetof(struct kit_run, pend_fields));
	r.err[0] = '\0';
	r.env = env;
	r.c = c;
	r.p = p;
	r.ff = &ff;
	r.rec = rec;
	r.ref = ref;
	r.rng = p->seed;
	memset(&rb, 0, sizeof(rb));
	if (framing_flow_init(&ff, inst) != 0) {
		fail_msg("framing kit %s: no framing state", c->name);
		return;
	}
	/* A driver that loops without progress is a bug too: bound the calls. */
	guard = 4 * (unsigned int)RTE_MIN(c->len, (size_t)1 << 24) + 4 * p->nchunks + 64;
	while (!done) {
		bool append = ci < p->nchunks &&
			      (rc == FRAMING_IDLE ||
			       (p->random_mbufs && kit_below(&r.rng, 4) == 0));

		if (append) {
			uint32_t end = p->ends[ci];
			bool room = p->random_mbufs && kit_below(&r.rng, 2) == 0;
			bool chain = p->random_mbufs && kit_below(&r.rng, 8) == 0;
			struct rte_mbuf *m = kit_chunk(env, in + start, end - start, room, chain,
						       &r.rng);

			if (m == NULL) {
				kit_fail(&r, "mbuf pool exhausted at chunk %u (%u bytes held)", ci,
					 rb.bytes);
				break;
			}
			rxbuf_append(w, &rb, m);
			start = end;
			ci++;
		}
		rc = framing_pump(w, &ff, &rb, ci == p->nchunks && c->fin, p->budget, &kit_cb,
				  &r);
		switch (rc) {
		case FRAMING_IDLE:
			done = ci == p->nchunks;
			break;
		case FRAMING_MORE:
		case FRAMING_PAUSED:
			break;
		case FRAMING_GONE:
			if (r.err[0] == '\0')
				kit_fail(&r, "the driver answered GONE without a STOP");
			done = true;
			break;
		default:
			done = true;
			break;
		}
		if (!done && --guard == 0) {
			kit_fail(&r, "the driver makes no progress (last answer %d, %u bytes "
				 "held, %u of %u chunks)", rc, rb.bytes, ci, p->nchunks);
			break;
		}
	}
	if (r.err[0] == '\0' && r.pending)
		kit_fail(&r, "the message at %llu refused with SL_RX_AGAIN never came back",
			 (unsigned long long)r.pend.stream_off);
	if (r.err[0] == '\0') {
		enum slk_end end = kit_end(rc);

		if (rec != NULL) {
			rec->end = end;
			rec->consumed = rb.consumed;
		} else if (c->flags & SLK_F_CONCAT ? r.cpos != ref->data_len :
			   r.mi != ref->nmsgs) {
			kit_fail(&r, "%llu message bytes / %u messages delivered, the reference "
				 "%zu / %u", (unsigned long long)r.cpos, r.mi, ref->data_len,
				 ref->nmsgs);
		} else if (r.ei != ref->nerrs) {
			kit_fail(&r, "%u errors, the reference %u", r.ei, ref->nerrs);
		} else if (end != ref->end) {
			kit_fail(&r, "ended %s, the reference %s", slk_end_str(end),
				 slk_end_str(ref->end));
		} else if (rb.consumed != ref->consumed) {
			kit_fail(&r, "consumed %llu bytes, the reference %llu",
				 (unsigned long long)rb.consumed,
				 (unsigned long long)ref->consumed);
		}
	}
	rxbuf_free(w, &rb);
	framing_flow_fini(&ff);
	/* The mbufs the consumes kept for segments go back to the pool at the end of the
	 * poll iteration the delivery ran in (seg_spares.h): here, the end of the run. */
	seg_spares_release(&w->tcp.seg_spares);
	kit_leak_check(&r, inst);
	if (r.err[0] != '\0') {
		char how[256];

		kit_describe(how, sizeof(how), c, p);
		fail_msg("framing kit: case '%s', run '%s': %s\n  replay: SL_KIT_SEED=0x%llx "
			 "(run seed 0x%llx)", c->name != NULL ? c->name : "?", how, r.err,
			 (unsigned long long)kit_base_seed, (unsigned long long)p->seed);
	}
}

/* ---- the sweep ---- */

static void
kit_plan_init(struct kit_plan *p, const char *what, const uint32_t *ends, unsigned int n,
	      bool sliced, unsigned int budget, int pause, uint64_t seed)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->what, sizeof(p->what), "%s", what);
	p->ends = ends;
	p->nchunks = n;
	p->sliced = sliced;
	p->budget = budget;
	p->pause = pause;
	p->seed = seed;
}

static unsigned int
kit_env_uint(const char *name, unsigned int def)
{
	const char *e = getenv(name);

	return e != NULL && *e != '\0' ? (unsigned int)strtoul(e, NULL, 0) : def;
}

void
slk_run(const struct slk_case *c, struct slk_transcript *tr)
{
	const struct sl_framing *frs[1] = { c->fr };
	const uint32_t len = (uint32_t)c->len;
	const bool can_slice = !(c->flags & SLK_F_NO_SLICES);
	unsigned int pair_max = c->pair_max != 0 ? c->pair_max : SLK_PAIR_MAX;
	unsigned int nrand = kit_env_uint("SL_KIT_RUNS",
					  c->random_runs != 0 ? c->random_runs : SLK_RANDOM_RUNS);
	uint64_t seed = kit_case_seed(c);
	struct slk_env *env;
	struct kit_plan p;
	uint32_t *ends, whole[1] = { len };
	uint32_t i, j, step;

	memset(tr, 0, sizeof(*tr));
	assert_non_null(c->fr);
	assert_true(c->len < (1u << 24) && (c->in != NULL || c->len == 0));
	env = slk_env_open(frs, 1);
	ends = calloc(len + 1, sizeof(*ends));
	assert_non_null(ends);

	/* 1. The reference: whole, copies, a generous budget, no pauses. */
	kit_plan_init(&p, "whole (reference)", whole, len > 0, false, 64, PAUSE_NONE, seed);
	kit_run(env, c, &p, tr, NULL);
	tr->runs = 1;

	/* 2. Whole again: as slice lists, and with every message refused once. */
	if (can_slice) {
		kit_plan_init(&p, "whole", whole, len > 0, true, 1, PAUSE_NONE, seed);
		kit_run(env, c, &p, NULL, tr);
		tr->runs++;
	}
	kit_plan_init(&p, "whole", whole, len > 0, false, 2, PAUSE_ALL, seed);
	kit_run(env, c, &p, NULL, tr);
	tr->runs++;

	/* 3. One byte per mbuf. */
	for (i = 0; i < len; i++)
		ends[i] = i + 1;
	kit_plan_init(&p, "one byte per mbuf", ends, len, false, 1, PAUSE_NONE, seed);
	kit_run(env, c, &p, NULL, tr);
	kit_plan_init(&p, "one byte per mbuf", ends, len, can_slice, 3, PAUSE_RANDOM, seed ^ 1);
	kit_run(env, c, &p, NULL, tr);
	tr->runs += 2;

	/* 4. Every cut point (sampled beyond SLK_OFFSET_MAX, always the first and last
	 * 64). */
	step = len > SLK_OFFSET_MAX ? len / SLK_OFFSET_MAX : 1;
	for (i = 1; i < len; i++) {
		if (step > 1 && i > 64 && i < len - 64 && i % step != 0)
			continue;
		ends[0] = i;
		ends[1] = len;
		kit_plan_init(&p, "one cut", ends, 2, can_slice && (i & 1), 1 + i % 3,
			      i % 5 == 0 ? PAUSE_RANDOM : PAUSE_NONE, seed + i);
		kit_run(env, c, &p, NULL, tr);
		tr->runs++;
	}

	/* 5. Every pair of cut points, for short streams. */
	if (len <= pair_max && !(c->flags & SLK_F_NO_PAIRS)) {
		for (i = 1; i < len; i++)
			for (j = i + 1; j < len; j++) {
				ends[0] = i;
				ends[1] = j;
				ends[2] = len;
				kit_plan_init(&p, "two cuts", ends, 3, can_slice && ((i + j) & 1),
					      1 + (i * 7 + j) % 4, PAUSE_NONE, seed + i * len + j);
				kit_run(env, c, &p, NULL, tr);
				tr->runs++;
			}
	}

	/* 6. Random multi-way cuts, random budgets, modes, pauses and mbuf shapes. */
	for (i = 0; i < nrand && len > 0; i++) {
		uint64_t s = seed ^ ((uint64_t)(i + 1) << 32), rs = s;
		uint32_t at = 0, n = 0;
		unsigned int budget;

		while (at < len) {
			uint32_t k, kind = kit_below(&rs, 4);

			if (kind <= 1)
				k = 1 + kit_below(&rs, 4);
			else if (kind == 2)
				k = 1 + kit_below(&rs, 64);
			else
				k = 1 + kit_below(&rs, len);
			at = k > len - at ? len : at + k;
			ends[n++] = at;
		}
		budget = kit_below(&rs, 5) == 0 ? 64 : 1 + kit_below(&rs, 4);
		kit_plan_init(&p, "random cuts", ends, n, can_slice && kit_below(&rs, 2) == 0,
			      budget, kit_below(&rs, 2) == 0 ? PAUSE_RANDOM : PAUSE_NONE, s);
		p.random_mbufs = true;
		kit_run(env, c, &p, NULL, tr);
		tr->runs++;
	}

	free(ends);
	slk_env_close(env);
}

void
slk_env_run_split(struct slk_env *env, const struct slk_case *c, const uint32_t *ends,
		  unsigned int n, unsigned int budget, struct slk_transcript *tr)
{
	struct kit_plan p;

	memset(tr, 0, sizeof(*tr));
	assert_true(n == 0 ? c->len == 0 : ends[n - 1] == c->len);
	kit_plan_init(&p, "given cuts", ends, n, false, budget, PAUSE_NONE, kit_case_seed(c));
	kit_run(env, c, &p, tr, NULL);
	tr->runs = 1;
}

void
slk_run_split(const struct slk_case *c, const uint32_t *ends, unsigned int n,
	      unsigned int budget, struct slk_transcript *tr)
{
	const struct sl_framing *frs[1] = { c->fr };
	struct slk_env *env;

	assert_non_null(c->fr);
	env = slk_env_open(frs, 1);
	slk_env_run_split(env, c, ends, n, budget, tr);
	slk_env_close(env);
}

void
slk_transcript_free(struct slk_transcript *tr)
{
	free(tr->msgs);
	free(tr->data);
	free(tr->fields);
	free(tr->errs);
	memset(tr, 0, sizeof(*tr));
}

void
slk_expect(const struct slk_transcript *tr, const struct slk_emsg *want, unsigned int n,
	   int err, uint64_t err_off, enum slk_end end)
{
	unsigned int i;

	for (i = 0; i < n && i < tr->nmsgs; i++) {
		const struct slk_msg *m = &tr->msgs[i];

		if (m->len != want[i].len || memcmp(slk_msg_data(tr, i), want[i].data, m->len))
			fail_msg("message %u: got %u bytes '%.*s', want %u bytes '%.*s'", i, m->len,
				 (int)RTE_MIN(m->len, 80u), (const char *)slk_msg_data(tr, i),
				 want[i].len, (int)RTE_MIN(want[i].len, 80u),
				 (const char *)want[i].data);
		if (want[i].type != SLK_ANY_TYPE && m->type != want[i].type)
			fail_msg("message %u: type %u, want %u", i, m->type, want[i].type);
		if (want[i].fields != NULL) {
			if (m->nfields != want[i].nfields)
				fail_msg("message %u: %u fields, want %u", i, m->nfields,
					 want[i].nfields);
			if (!kit_same_fields(slk_msg_fields(tr, i), want[i].fields, m->nfields))
				fail_msg("message %u: fields differ", i);
		}
	}
	if (tr->nmsgs != n)
		fail_msg("%u messages, want %u", tr->nmsgs, n);
	if (err == 0 && tr->nerrs != 0)
		fail_msg("unexpected error %d at %llu", tr->errs[0].err,
			 (unsigned long long)tr->errs[0].off);
	if (err != 0 && (tr->nerrs != 1 || tr->errs[0].err != err || tr->errs[0].off != err_off))
		fail_msg("want error %d at %llu; got %u errors, first %d at %llu", err,
			 (unsigned long long)err_off, tr->nerrs, tr->nerrs ? tr->errs[0].err : 0,
			 (unsigned long long)(tr->nerrs ? tr->errs[0].off : 0));
	if (tr->end != end)
		fail_msg("ended %s, want %s", slk_end_str(tr->end), slk_end_str(end));
}

void
slk_check(const struct slk_case *c, const struct slk_emsg *want, unsigned int n, int err,
	  uint64_t err_off, enum slk_end end)
{
	struct slk_transcript tr;

	slk_run(c, &tr);
	slk_expect(&tr, want, n, err, err_off, end);
	slk_transcript_free(&tr);
}

/* ---- fuzzing ---- */

void
slk_fuzz_one(struct slk_env *env, const struct sl_framing *fr, unsigned int flags,
	     const uint8_t *data, size_t len)
{
	static uint32_t ends[1u << 16];
	struct slk_case c = { .name = "fuzz", .fr = fr, .fin = true, .flags = flags };
	struct slk_transcript ref;
	struct kit_plan p;
	uint32_t whole[1], at = 0, n = 0;
	uint64_t rs = 0;
	uint8_t opt = 0;

	if (len >= 5) {
		opt = data[0];
		memcpy(&rs, data + 1, 4);
		data += 5;
		len -= 5;
	}
	len = RTE_MIN(len, (size_t)RTE_DIM(ends));
	c.in = data;
	c.len = len;
	c.fin = !(opt & 0x80);
	memset(&ref, 0, sizeof(ref));
	whole[0] = (uint32_t)len;
	kit_plan_init(&p, "whole (reference)", whole, len > 0, false, 64, PAUSE_NONE, rs);
	kit_run(env, &c, &p, &ref, NULL);
	/* The cut: chunk sizes from the seed, small ones more often. */
	while (at < len) {
		uint32_t k = (opt & 0x40) ? 1 + kit_below(&rs, 4) : 1 + kit_below(&rs, 64);

		if (kit_below(&rs, 8) == 0)
			k = 1 + kit_below(&rs, (uint32_t)len);
		at = k > len - at ? (uint32_t)len : at + k;
		ends[n++] = at;
	}
	kit_plan_init(&p, "fuzz cuts", ends, n, (opt & 1) && !(flags & SLK_F_NO_SLICES),
		      1 + ((opt >> 1) & 3), (opt & 8) ? PAUSE_RANDOM : PAUSE_NONE, rs);
	p.random_mbufs = (opt & 0x10) != 0;
	kit_run(env, &c, &p, NULL, &ref);
	slk_transcript_free(&ref);
}
