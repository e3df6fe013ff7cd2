/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * framing.c -- drives a connection's deserializer over its received bytes.
 *
 * sl_worker_poll -> worker_deliver -> conn_deliver -> framing_pump -> ds->frame()
 *     -> framing_deliver -> on_message (through the caller's callback)
 *
 * framing_pump calls frame() only when at least `need` bytes are there (a length-prefixed
 * message arriving in 45 segments costs two calls, not 45), passes back how far the last
 * call scanned, and checks every answer before trusting it: a NEED must ask for more than
 * is there and no more than max_msg; a FRAME must consume something that is there and
 * place its message and fields inside what it consumed; SKIP must skip something. A
 * deserializer that breaks these rules ends its own connection (SL_EPLUGIN), nothing
 * else. The maximum message size is enforced here as well (64-bit arithmetic), so a
 * deserializer that forgets it cannot make a connection buffer without bound.
 *
 * Delivery: in place when the message lies in one slice, as a slice list when the
 * framing asks for that, otherwise copied once into an assembly buffer. The buffer is
 * leased from a per-worker hugepage pool for that one delivery and returned right after
 * it, unless sl_conn_hold_msg() took it: the pool is sized by memory (--framing-asm-mb), not by
 * connections, so buffers kept per connection would leave the connections after the
 * first few hundred waiting forever. A connection that finds the pool empty goes on the
 * deferred list and tries again next iteration. After SL_RX_AGAIN the deserializer state
 * is reset to zero (its start state) and the message is framed again when delivery
 * resumes, so nothing about it has to be remembered.
 *
 * The instance pools of a framing are created on every worker before the stack starts:
 * states (one per connection that may use it) and assembly buffers (max_msg bytes each).
 */

#define SL_LOG_MODULE framing	/* sluice.framing (core/log.h) */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "framing/framing_priv.h"
#include "core/log.h"
#include "api/api_priv.h"
#include "tcp/flow.h"
#include "tcp/rxbuf.h"
#include "tcp/tcp_seq.h"
#include "core/util.h"
#include "core/worker.h"

/* ---- instances ---- */

struct framing_inst *
framing_inst_find(struct sl_worker *w, const struct sl_framing *fr)
{
	unsigned int i;

	for (i = 0; i < w->nframings; i++)
		if (w->framings[i].fr == fr)
			return &w->framings[i];
	return NULL;
}

static uint32_t
framing_asm_count(const struct sl_config *cfg, uint32_t max_msg)
{
	uint64_t n = ((uint64_t)cfg->framing_asm_mb << 20) / max_msg;

	/* No more than can be in use at once (one for the message being delivered, one per
	 * held message): tiny messages would otherwise ask for a million of them. */
	n = u64_min(n, (uint64_t)cfg->msg_holds + 1);
	return (uint32_t)u64_max(u64_min(n, 1u << 20), 4);
}

int
framing_prepare(struct sl_stack *s, const struct sl_framing *fr)
{
	const struct sl_config *cfg = &s->cfg;
	const struct sl_deserializer *ds = fr->ds != NULL ? fr->ds : &sl_ds_raw;
	char name[RTE_MEMPOOL_NAMESIZE];
	unsigned int i, k;
	int rc;

	if (s->workers[0] != NULL && framing_inst_find(s->workers[0], fr) != NULL)
		return 0;
	if (s->started)
		return -EBUSY;
	if (ds->frame == NULL || ds->max_msg == 0) {
		SL_LOG(ERR, "deserializer %s: no frame() or max_msg 0", ds->name);
		return -EINVAL;
	}
	/* A maximal message must fit the receive budget with room for one more segment,
	 * or the window closes on a message that can never complete. */
	if ((uint64_t)ds->max_msg + cfg->mtu - 40 > cfg->rcvbuf) {
		SL_LOG(ERR, "deserializer %s: messages up to %u bytes cannot fit the receive "
		       "budget (--rcvbuf %u must be at least max message + MSS = %u)",
		       ds->name, ds->max_msg, cfg->rcvbuf, ds->max_msg + cfg->mtu - 40);
		return -EINVAL;
	}
	for (i = 0; i < s->nb_workers; i++) {
		struct sl_worker *w = s->workers[i];
		struct framing_inst *fi;

		if (w->nframings == FRAMING_MAX) {
			rc = -ENOSPC;
			goto rollback;
		}
		k = w->nframings;
		fi = &w->framings[k];
		memset(fi, 0, sizeof(*fi));
		fi->fr = fr;
		fi->ds = ds;
		if (ds->state_size > 0) {
			snprintf(name, sizeof(name), "sl_fs%u_p%u_w%u", k, w->port_id, w->id);
			fi->state_pool = rte_mempool_create(name, cfg->max_flows, ds->state_size,
							    0, 0, NULL, NULL, NULL, NULL,
							    w->socket, RTE_MEMPOOL_F_SP_PUT |
							    RTE_MEMPOOL_F_SC_GET);
		}
		snprintf(name, sizeof(name), "sl_fa%u_p%u_w%u", k, w->port_id, w->id);
		fi->asm_pool = rte_mempool_create(name, framing_asm_count(cfg, ds->max_msg),
						  ds->max_msg, 0, 0, NULL, NULL, NULL, NULL,
						  w->socket, RTE_MEMPOOL_F_SP_PUT |
						  RTE_MEMPOOL_F_SC_GET);
		if ((ds->state_size > 0 && fi->state_pool == NULL) || fi->asm_pool == NULL) {
			SL_LOG(ERR, "deserializer %s: cannot allocate its pools on worker %u "
			       "(%u states of %u bytes, assembly buffers of %u bytes): %s",
			       ds->name, w->id, cfg->max_flows, ds->state_size, ds->max_msg,
			       rte_strerror(rte_errno));
			rte_mempool_free(fi->state_pool);
			rte_mempool_free(fi->asm_pool);
			memset(fi, 0, sizeof(*fi));
			rc = -ENOMEM;
			goto rollback;
		}
		w->nframings++;
	}
	return 0;
rollback:
	/* All workers or none: the check at the top looks at worker 0 only, so a framing
	 * left there would make a retry succeed while the other workers deliver raw bytes.
	 * Each worker's instance of fr is its last one. */
	while (i-- > 0) {
		struct sl_worker *w = s->workers[i];
		struct framing_inst *fi = &w->framings[--w->nframings];

		rte_mempool_free(fi->state_pool);
		rte_mempool_free(fi->asm_pool);
		memset(fi, 0, sizeof(*fi));
	}
	return rc;
}

/* Objects of pool p still out (0 for no pool), logged as a leak. */
static unsigned int
framing_pool_leaked(struct rte_mempool *p)
{
	unsigned int n = p != NULL ? rte_mempool_in_use_count(p) : 0;

	if (n != 0)
		SL_LOG(ERR, "pool %s: %u objects were not returned", p->name, n);
	return n;
}

unsigned int
framing_fini(struct sl_worker *w)
{
	unsigned int i, leaked = 0;

	for (i = 0; i < w->nframings; i++) {
		leaked += framing_pool_leaked(w->framings[i].state_pool);
		leaked += framing_pool_leaked(w->framings[i].asm_pool);
		rte_mempool_free(w->framings[i].state_pool);
		rte_mempool_free(w->framings[i].asm_pool);
	}
	w->nframings = 0;
	return leaked;
}

int
framing_flow_init(struct framing_flow *ff, struct framing_inst *inst)
{
	void *st = NULL;

	memset(ff, 0, sizeof(*ff));
	if (inst->state_pool != NULL) {
		if (rte_mempool_get(inst->state_pool, &st) != 0)
			return -ENOMEM;
		memset(st, 0, inst->ds->state_size);
	}
	ff->inst = inst;
	ff->state = st;
	ff->need = 1;
	return 0;
}

/* Give the assembly buffer back (when the message did not go with a held reference). */
static void
framing_asm_put(struct framing_flow *ff)
{
	if (ff->asm_buf == NULL)
		return;
	rte_mempool_put(ff->inst->asm_pool, ff->asm_buf);
	ff->asm_buf = NULL;
}

void
framing_flow_fini(struct framing_flow *ff)
{
	if (ff->inst == NULL)
		return;
	if (ff->state != NULL)
		rte_mempool_put(ff->inst->state_pool, ff->state);
	framing_asm_put(ff);
	memset(ff, 0, sizeof(*ff));
}

/* ---- the driver ---- */

/* Result of delivering one framed message. */
enum deliver_rc {
	DELIVER_OK,
	DELIVER_AGAIN,
	DELIVER_STOP,
	DELIVER_NOBUF,		/* no assembly buffer now: try again next iteration */
};

/* The slices of the message, when there are at most FRAMING_MAX_SLICES of them. */
static bool
framing_slice_list(const struct sl_cursor *cur, const struct sl_ds_result *r,
		   struct sl_slice *out, unsigned int *n)
{
	uint64_t total = 0;
	unsigned int i;

	*n = sl_cursor_slices(cur, r->msg_off, r->msg_len, out, FRAMING_MAX_SLICES);
	for (i = 0; i < *n; i++)
		total += out[i].len;
	return total == r->msg_len;
}

static enum deliver_rc
framing_deliver(struct sl_worker *w, struct framing_flow *ff, struct rxbuf *rb,
		const struct sl_cursor *cur, const struct sl_ds_result *r,
		const struct framing_cb *cb, void *arg)
{
	const struct sl_framing *fr = ff->inst->fr;
	struct framing_delivery *d = &w->fr_cur;
	struct sl_msg msg = {
		.len = r->msg_len,
		.type = r->msg_type,
		.stream_off = rb->consumed + r->msg_off,
		.nfields = r->nfields,
		.fields = r->fields,
	};
	enum framing_cb_rc rc;
	unsigned int n;

	if (r->msg_len > 0) {
		n = sl_cursor_slices(cur, r->msg_off, r->msg_len, w->fr_slices, 1);
		if (n == 1 && w->fr_slices[0].len == r->msg_len) {
			/* In place: the common case for small messages. */
			msg.data = w->fr_slices[0].data;
			msg.nslices = 1;
			msg.slices = w->fr_slices;
		} else if (fr != NULL && fr->slices && !(ff->inst->ds->flags & SL_DS_F_CONTIG) &&
			   framing_slice_list(cur, r, w->fr_slices, &n)) {
			msg.flags = SL_MSG_SLICES;
			msg.nslices = n;
			msg.slices = w->fr_slices;
			w->stats.framing_sliced++;
		} else {
			if (ff->asm_buf == NULL) {
				void *b;

				if (rte_mempool_get(ff->inst->asm_pool, &b) != 0) {
					/* Counted once per message, not once per retry. */
					if (!ff->asm_wait)
						w->stats.framing_asm_wait++;
					ff->asm_wait = true;
					return DELIVER_NOBUF;
				}
				ff->asm_buf = b;
			}
			ff->asm_wait = false;
			sl_cursor_peek(cur, r->msg_off, r->msg_len, ff->asm_buf);
			msg.data = ff->asm_buf;
			msg.flags = SL_MSG_COPIED;
			msg.nslices = 1;
			w->fr_slices[0].data = ff->asm_buf;
			w->fr_slices[0].len = r->msg_len;
			msg.slices = w->fr_slices;
			w->stats.framing_copied++;
		}
	}
	/* Remember where the bytes live, for sl_conn_hold_msg() during the callback. */
	d->msg = &msg;
	d->ff = ff;
	d->rb = rb;
	rc = cb->deliver(arg, &msg);
	d->msg = NULL;
	/* The copy is the application's only through sl_conn_hold_msg(), which takes the buffer;
	 * after SL_RX_AGAIN the message is copied again when delivery resumes. */
	framing_asm_put(ff);
	if (rc == FRAMING_CB_STOP)
		return DELIVER_STOP;
	if (rc == FRAMING_CB_AGAIN)
		return DELIVER_AGAIN;
	w->stats.framing_msgs++;
	ff->started = true;
	rxbuf_consume(w, rb, r->consumed);
	return DELIVER_OK;
}

/* A framing error: tell the application, then apply the policy. Returns the pump's
 * result, or FRAMING_IDLE when the stream goes on (resynchronised). */
static enum framing_rc
framing_fail(struct sl_worker *w, struct framing_flow *ff, struct rxbuf *rb, int err,
	     uint32_t off, const struct sl_ds_result *r, const struct framing_cb *cb,
	     void *arg)
{
	enum sl_framing_policy pol;

	ff->failed = true;
	if (err == SL_EPLUGIN)
		w->stats.framing_plugin_errors++;
	else
		w->stats.framing_errors++;
	pol = cb->error(arg, err, rb->consumed + off);
	SL_LOG_RL(DEBUG, "worker %u: deserializer %s: %s at stream offset %" PRIu64 "; %s",
		  w->id, ff->inst->ds->name,
		  err == SL_EPLUGIN ? "broke its contract (SL_EPLUGIN)" : rte_strerror(err),
		  rb->consumed + off,
		  err == SL_EPLUGIN || pol == SL_FRAMING_ABORT ? "connection aborted" :
		  pol == SL_FRAMING_RESYNC && r != NULL && r->resync ? "resynchronised" :
		  "connection closed");
	if (err == SL_EPLUGIN)
		return FRAMING_ABORT;
	if (pol == SL_FRAMING_RESYNC && r != NULL && r->resync) {
		/* Delimiter protocols: drop the bad part and go on. */
		uint32_t d = (uint32_t)RTE_MIN(r->skip, (uint64_t)rb->bytes);

		w->stats.framing_resyncs++;
		rxbuf_consume(w, rb, d);
		ff->discard = r->skip - d;
		ff->failed = false;
		ff->need = 1;
		ff->resume = 0;
		return FRAMING_IDLE;
	}
	return pol == SL_FRAMING_ABORT ? FRAMING_ABORT : FRAMING_CLOSE;
}

/* Check a FRAME answer. 0, or the offset to blame for SL_EPLUGIN / EMSGSIZE. */
static int
framing_check_frame(const struct sl_worker *w, const struct sl_ds_result *r, uint32_t avail,
		    uint32_t max_msg)
{
	uint32_t i;

	if (r->consumed == 0 || r->consumed > avail)
		return SL_EPLUGIN;
	/* fields/max_fields are the stack's: a deserializer that moved or enlarged them
	 * is not believed. */
	if ((uint64_t)r->msg_off + r->msg_len > r->consumed ||
	    r->nfields > FRAMING_MAX_FIELDS ||
	    (r->nfields > 0 && r->fields != w->fr_fields))
		return SL_EPLUGIN;
	for (i = 0; i < r->nfields; i++)
		if ((uint64_t)r->fields[i].off + r->fields[i].len > r->msg_len)
			return SL_EPLUGIN;
	if (r->consumed > max_msg)
		return EMSGSIZE;
	return 0;
}

static void
framing_result_init(struct sl_worker *w, struct sl_ds_result *r)
{
	memset(r, 0, sizeof(*r));
	r->fields = w->fr_fields;
	r->max_fields = FRAMING_MAX_FIELDS;
}

/* FIN is in order: let the deserializer finish (a last message, or an error). */
static enum framing_rc
framing_eof(struct sl_worker *w, struct framing_flow *ff, struct rxbuf *rb, unsigned int budget,
	    const struct framing_cb *cb, void *arg)
{
	const struct sl_deserializer *ds = ff->inst->ds;
	unsigned int n;

	if (ff->discard > 0) {
		/* Skipping a message the peer never finished: nothing more to say. */
		ff->eof_done = true;
		return FRAMING_EOF;
	}
	for (n = 0; n <= budget; n++) {
		struct sl_cursor cur;
		struct sl_ds_result r;
		enum sl_ds_verdict v;
		int bad;

		cursor_init(&cur, w, rb);
		framing_result_init(w, &r);
		ff->framed = true;
		if (ds->eof != NULL) {
			v = ds->eof(ff->state, ds->arg, &cur, &r);
		} else if (rb->bytes == 0) {
			v = SL_DS_DONE;
		} else {
			v = SL_DS_ERROR;
			r.err = EPIPE;	/* FIN inside a message */
		}
		switch (v) {
		case SL_DS_DONE:
			if (rb->bytes > 0)
				rxbuf_consume(w, rb, rb->bytes);
			ff->eof_done = true;
			return FRAMING_EOF;
		case SL_DS_FRAME:
			bad = framing_check_frame(w, &r, rb->bytes, ds->max_msg);
			if (bad != 0)
				return framing_fail(w, ff, rb, bad, 0, NULL, cb, arg);
			switch (framing_deliver(w, ff, rb, &cur, &r, cb, arg)) {
			case DELIVER_OK:
				continue;
			case DELIVER_AGAIN:
				/* As in framing_pump: the state eof() built the message from
				 * was reset by its FRAME, so start the message over with frame()
				 * (and eof()) when delivery resumes. */
				if (ff->state != NULL)
					memset(ff->state, 0, ds->state_size);
				ff->need = 1;
				ff->resume = 0;
				return FRAMING_PAUSED;
			case DELIVER_STOP:
				return FRAMING_GONE;
			case DELIVER_NOBUF:
				if (ff->state != NULL)
					memset(ff->state, 0, ds->state_size);
				ff->need = 1;
				ff->resume = 0;
				return FRAMING_MORE;
			}
			break;
		case SL_DS_ERROR:
			if (r.err <= 0 || r.err_off > rb->bytes)
				return framing_fail(w, ff, rb, SL_EPLUGIN, 0, NULL, cb, arg);
			ff->eof_done = true;
			return framing_fail(w, ff, rb, r.err, r.err_off, NULL, cb, arg);
		default:
			return framing_fail(w, ff, rb, SL_EPLUGIN, 0, NULL, cb, arg);
		}
	}
	return FRAMING_MORE;
}

enum framing_rc
framing_pump(struct sl_worker *w, struct framing_flow *ff, struct rxbuf *rb, bool fin,
	     unsigned int budget, const struct framing_cb *cb, void *arg)
{
	const struct sl_deserializer *ds = ff->inst->ds;
	const uint32_t max_msg = ds->max_msg;
	unsigned int n = 0;

	if (ff->failed)
		return FRAMING_IDLE;
	for (;;) {
		struct sl_cursor cur;
		struct sl_ds_result r;
		enum sl_ds_verdict v;
		uint32_t avail;
		int bad;

		if (ff->discard > 0) {
			uint32_t d = (uint32_t)RTE_MIN(ff->discard, (uint64_t)rb->bytes);

			rxbuf_consume(w, rb, d);
			ff->discard -= d;
			if (ff->discard > 0)
				break;
		}
		avail = rb->bytes;
		if (avail == 0 || avail < ff->need)
			break;
		if (n >= budget)
			return FRAMING_MORE;
		cursor_init(&cur, w, rb);
		framing_result_init(w, &r);
		ff->framed = true;
		v = ds->frame(ff->state, ds->arg, &cur, ff->resume, &r);
		switch (v) {
		case SL_DS_NEED:
			if (r.need <= avail)
				return framing_fail(w, ff, rb, SL_EPLUGIN, avail, NULL, cb, arg);
			if (r.need > max_msg || avail >= max_msg)
				return framing_fail(w, ff, rb, EMSGSIZE, 0, NULL, cb, arg);
			ff->need = r.need;
			ff->resume = RTE_MIN(r.scanned, avail);
			goto waiting;
		case SL_DS_FRAME:
			bad = framing_check_frame(w, &r, avail, max_msg);
			if (bad != 0)
				return framing_fail(w, ff, rb, bad, 0, NULL, cb, arg);
			switch (framing_deliver(w, ff, rb, &cur, &r, cb, arg)) {
			case DELIVER_OK:
				break;
			case DELIVER_AGAIN:
				/* Framed again from the start when delivery resumes. */
				if (ff->state != NULL)
					memset(ff->state, 0, ds->state_size);
				ff->need = 1;
				ff->resume = 0;
				return FRAMING_PAUSED;
			case DELIVER_STOP:
				return FRAMING_GONE;
			case DELIVER_NOBUF:
				if (ff->state != NULL)
					memset(ff->state, 0, ds->state_size);
				ff->need = 1;
				ff->resume = 0;
				return FRAMING_MORE;
			}
			ff->need = 1;
			ff->resume = 0;
			n++;
			break;
		case SL_DS_SKIP: {
			uint32_t d;

			if (r.skip == 0)
				return framing_fail(w, ff, rb, SL_EPLUGIN, 0, NULL, cb, arg);
			d = (uint32_t)RTE_MIN(r.skip, (uint64_t)avail);
			rxbuf_consume(w, rb, d);
			ff->discard = r.skip - d;
			ff->need = 1;
			ff->resume = 0;
			break;
		}
		case SL_DS_ERROR:
			/* A resync that drops nothing would find the same error forever. */
			if (r.err <= 0 || r.err_off > avail || (r.resync && r.skip == 0))
				return framing_fail(w, ff, rb, SL_EPLUGIN, 0, NULL, cb, arg);
			{
				enum framing_rc rc = framing_fail(w, ff, rb, r.err, r.err_off,
								  &r, cb, arg);

				if (rc != FRAMING_IDLE)
					return rc;
			}
			break;
		default:
			return framing_fail(w, ff, rb, SL_EPLUGIN, 0, NULL, cb, arg);
		}
	}
waiting:
	if (!fin || ff->eof_done)
		return FRAMING_IDLE;
	return framing_eof(w, ff, rb, budget, cb, arg);
}

/* ---- holding messages ---- */

struct sl_msg_ref {
	struct sl_msg msg;
	struct sl_slice slices[MSG_REF_SLICES];
	struct sl_field fields[MSG_REF_FIELDS];
	struct rte_mbuf *mbufs[MSG_REF_SLICES];
	uint16_t nmbufs;
	uint8_t *asm_buf;
	struct rte_mempool *asm_pool;
	struct sl_worker *w;
	uint32_t flow_idx, flow_gen;
};

int
msg_ref_pool_init(struct sl_worker *w)
{
	char name[RTE_MEMPOOL_NAMESIZE];

	snprintf(name, sizeof(name), "sl_ref_p%u_w%u", w->port_id, w->id);
	w->ref_pool = rte_mempool_create(name, w->cfg->msg_holds, sizeof(struct sl_msg_ref), 0,
					 0, NULL, NULL, NULL, NULL, w->socket,
					 RTE_MEMPOOL_F_SP_PUT | RTE_MEMPOOL_F_SC_GET);
	return w->ref_pool != NULL ? 0 : -ENOMEM;
}

unsigned int
msg_ref_pool_fini(struct sl_worker *w)
{
	unsigned int leaked = framing_pool_leaked(w->ref_pool);

	rte_mempool_free(w->ref_pool);
	w->ref_pool = NULL;
	return leaked;
}

/* The mbuf holding stream offset off of the current delivery's rxbuf. */
static struct rte_mbuf *
ref_mbuf_at(struct sl_worker *w, const struct framing_delivery *d, const uint8_t *p)
{
	struct rte_mbuf *m = d->rb->q.head;

	while (m != NULL) {
		const uint8_t *s = rte_pktmbuf_mtod(m, const uint8_t *);

		if (p >= s && p < s + m->data_len)
			return m;
		m = mdyn(m, w->tcp.mdyn)->link;
	}
	return NULL;
}

struct sl_msg_ref *
sl_conn_hold_msg(struct sl_conn *c, const struct sl_msg *m)
{
	struct tcp_flow *f = conn_flow(c);
	struct sl_worker *w = f->w;
	struct framing_delivery *d = &w->fr_cur;
	struct sl_msg_ref *ref;
	void *obj;
	uint32_t i;

	/* Only the message being delivered on c, while its bytes are still the
	 * application's: after sl_conn_close() or an abort in this same callback they have
	 * been (or are about to be) freed. A copied message can be held once: its assembly
	 * buffer goes with the first reference. */
	if (d->msg != m || d->rb != &f->rx) {
		rte_errno = EINVAL;
		goto fail;
	}
	if (conn_rx_gone(f)) {
		rte_errno = EPIPE;
		goto fail;
	}
	if ((m->flags & SL_MSG_COPIED) && (d->ff == NULL || d->ff->asm_buf == NULL)) {
		rte_errno = EALREADY;
		goto fail;
	}
	if (m->nslices > MSG_REF_SLICES || m->nfields > MSG_REF_FIELDS) {
		rte_errno = E2BIG;
		goto fail;
	}
	if (rte_mempool_get(w->ref_pool, &obj) != 0) {
		rte_errno = ENOSPC;
		goto fail;
	}
	ref = obj;
	memset(ref, 0, sizeof(*ref));
	ref->w = w;
	ref->flow_idx = f->idx;
	ref->flow_gen = f->gen;
	ref->msg = *m;
	memcpy(ref->fields, m->fields, m->nfields * sizeof(m->fields[0]));
	ref->msg.fields = ref->fields;
	memcpy(ref->slices, m->slices, m->nslices * sizeof(m->slices[0]));
	ref->msg.slices = ref->slices;
	if (m->flags & SL_MSG_COPIED) {
		/* The assembly buffer goes with the reference instead of back to the pool. */
		ref->asm_buf = d->ff->asm_buf;
		ref->asm_pool = d->ff->inst->asm_pool;
		d->ff->asm_buf = NULL;
		ref->msg.data = ref->asm_buf;
		ref->slices[0].data = ref->asm_buf;
	} else {
		for (i = 0; i < m->nslices; i++) {
			struct rte_mbuf *mb = ref_mbuf_at(w, d, m->slices[i].data);

			if (mb == NULL) {
				/* Not in the connection's bytes any more: a reference to it would
				 * dangle. Give back what was taken. */
				while (ref->nmbufs > 0)
					rte_pktmbuf_free(ref->mbufs[--ref->nmbufs]);
				rte_mempool_put(w->ref_pool, ref);
				rte_errno = EINVAL;
				goto fail;
			}
			rte_mbuf_refcnt_update(mb, 1);
			ref->mbufs[ref->nmbufs++] = mb;
		}
	}
	f->rx_held += m->len;
	w->stats.framing_holds++;
	return ref;
fail:
	w->stats.framing_hold_fail++;
	return NULL;
}

const struct sl_msg *
sl_msg_ref_get(const struct sl_msg_ref *ref)
{
	return &ref->msg;
}

void
sl_msg_ref_release(struct sl_msg_ref *ref)
{
	struct sl_worker *w = ref->w;
	struct tcp_flow *f = w->tcp.by_idx[ref->flow_idx];
	uint16_t i;

	for (i = 0; i < ref->nmbufs; i++)
		rte_pktmbuf_free(ref->mbufs[i]);
	if (ref->asm_buf != NULL)
		rte_mempool_put(ref->asm_pool, ref->asm_buf);
	/* The bytes stop counting against the window of a connection still alive. */
	if (f->gen == ref->flow_gen && f->w == w) {
		f->rx_held -= ref->msg.len;
		conn_window_update(w, f);
	}
	rte_mempool_put(w->ref_pool, ref);
}
