/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mode_http.c -- `--mode http`: a minimal HTTP/1.1 origin server (port 80).
 *
 *   GET, HEAD  200 with a fixed text/plain body of --http-body-len bytes ("Hello,
 *              world\n" repeated and cut to length; HEAD sends the head only), on any
 *              target;
 *   others     405 with `Allow: GET, HEAD` (the request, body included, was read whole,
 *              so the connection stays usable);
 *   errors     the deserializer's verdict as a status (400, 413, 414, 431, 501, 505,
 *              sl_http_error_status()) with `Connection: close`, then FIN.
 *
 * Requests are framed by the HTTP deserializer (sluice/http.h) with the default head
 * limits and bodies up to --max-msg bytes (default 65536). Pipelined requests are
 * answered in order, one on_message each. Keep-alive follows the request (HTTP/1.1
 * unless `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`); after a
 * response that ends the connection it is closed and whatever followed is discarded.
 * The two normal responses are prepared once at setup (sl_http_fixed_create()), so a
 * response is one copy into the send queue. When the queue is full the request is left
 * in place (SL_RX_AGAIN) and delivery resumes on on_writable.
 *
 * At exit the mode prints its own counters (requests, responses by status).
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include <sluice/http.h>
#include <sluice/sluice.h>

#include "server.h"

#define HTTP_DEFAULT_MAX_BODY	65536u

/* What the mode counts, per worker (each written only by its worker). */
struct http_counters {
	uint64_t requests;
	uint64_t ok;			/* 200 (GET and HEAD) */
	uint64_t not_allowed;		/* 405 */
	uint64_t errors;		/* error responses queued (4xx/5xx from on_error) */
	uint64_t unsent;		/* responses that could not be queued */
	uint64_t by_status[7];		/* 400, 413, 414, 431, 501, 505, other */
} __rte_cache_aligned;

/* Everything a framing references must outlive the connections: it lives here, in
 * ctx->mode_state, until teardown. */
struct http_mode {
	struct sl_http_cfg cfg;
	struct sl_deserializer ds;
	struct sl_serializer ser;
	struct sl_framing fr;
	struct sl_http_fixed *ok;	/* 200 with the fixed body */
	struct sl_http_fixed *not_allowed;	/* 405 */
	uint8_t *body;
	struct http_counters per_worker[RTE_MAX_LCORE];
};

static const uint16_t http_err_status[] = { 400, 413, 414, 431, 501, 505 };

static struct http_counters *
http_counters(struct sl_conn *c)
{
	struct http_mode *h = server_ctx_of(c)->mode_state;

	return &h->per_worker[sl_worker_id(sl_conn_worker(c))];
}

static int
http_on_message(struct sl_conn *c, const struct sl_msg *m)
{
	struct server_ctx *ctx = server_ctx_of(c);
	struct http_mode *h = ctx->mode_state;
	struct http_counters *k = http_counters(c);
	uint32_t flags = sl_http_resp_flags(m->type);
	const struct sl_http_fixed *resp;
	bool get;
	int rc;

	switch (sl_http_method(m)) {
	case SL_HTTP_GET:
	case SL_HTTP_HEAD:
		resp = h->ok;
		get = true;
		break;
	default:
		resp = h->not_allowed;
		get = false;
		break;
	}
	rc = sl_conn_send_http_fixed(c, resp, flags);
	if (rc == -EAGAIN || rc == -ENOBUFS)
		return SL_RX_AGAIN;	/* answered again after on_writable */
	k->requests++;
	server_counters(ctx, c)->bytes += m->len;
	if (rc != 0) {
		/* Larger than the send queue can ever take, or closed: give up. */
		k->unsent++;
		sl_conn_abort(c);
		return SL_RX_OK;
	}
	if (get)
		k->ok++;
	else
		k->not_allowed++;
	if (flags & SL_HTTP_RESP_CLOSE)
		sl_conn_close(c);
	return SL_RX_OK;
}

/* A bad request: answer with its status; the CLOSE policy sends it before FIN. */
static void
http_on_error(struct sl_conn *c, int err, uint64_t off)
{
	static const struct sl_http_header hdrs[] = {
		{ "Content-Type", "text/plain" },
		{ "Server", "sluice" },
	};
	struct http_counters *k = http_counters(c);
	uint16_t status = sl_http_error_status(err);
	char body[64];
	struct sl_http_response resp = {
		.status = status,
		.headers = hdrs,
		.nheaders = RTE_DIM(hdrs),
		.body = body,
		.flags = SL_HTTP_RESP_CLOSE,
	};
	unsigned int i;

	server_on_error(c, err, off);
	resp.body_len = (uint32_t)snprintf(body, sizeof(body), "%s\n", sl_http_reason(status));
	if (sl_conn_send_msg(c, &resp) != 0) {
		k->unsent++;
		return;
	}
	k->errors++;
	for (i = 0; i < RTE_DIM(http_err_status); i++)
		if (http_err_status[i] == status)
			break;
	k->by_status[i]++;
}

static const struct sl_conn_ops http_ops = {
	.on_accept = server_on_accept,
	.on_message = http_on_message,
	.on_eof = server_on_eof,
	.on_writable = server_on_writable,
	.on_error = http_on_error,
	.on_close = server_on_close,
};

static int
http_prepare(struct http_mode *h, uint32_t body_len)
{
	static const char text[] = "Hello, world\n";
	static const char na[] = "Method Not Allowed\n";
	static const struct sl_http_header ok_hdrs[] = {
		{ "Content-Type", "text/plain" },
		{ "Server", "sluice" },
	};
	static const struct sl_http_header na_hdrs[] = {
		{ "Allow", "GET, HEAD" },
		{ "Content-Type", "text/plain" },
		{ "Server", "sluice" },
	};
	struct sl_http_response r = {
		.status = 200,
		.headers = ok_hdrs,
		.nheaders = RTE_DIM(ok_hdrs),
		.body_len = body_len,
	};
	uint32_t i;

	h->body = rte_malloc("sl_http_body", RTE_MAX(body_len, 1u), 0);
	if (h->body == NULL)
		return -ENOMEM;
	for (i = 0; i < body_len; i++)
		h->body[i] = (uint8_t)text[i % (sizeof(text) - 1)];
	r.body = h->body;
	h->ok = sl_http_fixed_create(&r);
	r = (struct sl_http_response){
		.status = 405,
		.headers = na_hdrs,
		.nheaders = RTE_DIM(na_hdrs),
		.body = na,
		.body_len = sizeof(na) - 1,
	};
	h->not_allowed = sl_http_fixed_create(&r);
	if (h->ok == NULL || h->not_allowed == NULL)
		return -rte_errno;
	return 0;
}

static int
http_setup(struct sl_stack *s, struct server_ctx *ctx)
{
	const struct server_opts *o = ctx->opts;
	struct http_mode *h;
	int rc;

	h = rte_zmalloc("sl_http_mode", sizeof(*h), RTE_CACHE_LINE_SIZE);
	if (h == NULL)
		return -ENOMEM;
	ctx->mode_state = h;
	sl_http_cfg_defaults(&h->cfg);
	h->cfg.max_body = o->max_msg != 0 ? o->max_msg : HTTP_DEFAULT_MAX_BODY;
	rc = sl_http_init(&h->ds, &h->ser, &h->cfg);
	if (rc != 0) {
		fprintf(stderr, "sluice-server: --max-msg %u is too large for HTTP bodies\n",
			o->max_msg);
		return rc;
	}
	rc = http_prepare(h, o->http_body_len);
	if (rc != 0)
		return rc;
	h->fr.ds = &h->ds;
	h->fr.ser = &h->ser;
	h->fr.on_error = SL_FRAMING_CLOSE;
	return server_listen(s, ctx, &http_ops, &h->fr);
}

static int
http_report(struct sl_stack *s, struct server_ctx *ctx)
{
	const struct http_mode *h = ctx->mode_state;
	struct http_counters sum = { 0 };
	unsigned int i, k;

	for (i = 0; i < sl_stack_worker_count(s); i++) {
		const struct http_counters *c = &h->per_worker[i];

		sum.requests += c->requests;
		sum.ok += c->ok;
		sum.not_allowed += c->not_allowed;
		sum.errors += c->errors;
		sum.unsent += c->unsent;
		for (k = 0; k < RTE_DIM(sum.by_status); k++)
			sum.by_status[k] += c->by_status[k];
	}
	printf("sluice-server: http requests %" PRIu64 ", 200 %" PRIu64 ", 405 %" PRIu64
	       ", error responses %" PRIu64 " (", sum.requests, sum.ok, sum.not_allowed,
	       sum.errors);
	for (k = 0; k < RTE_DIM(http_err_status); k++)
		printf("%s%u %" PRIu64, k > 0 ? ", " : "", http_err_status[k],
		       sum.by_status[k]);
	printf(", other %" PRIu64 "), unsent %" PRIu64 "\n",
	       sum.by_status[RTE_DIM(http_err_status)], sum.unsent);
	return 0;
}

static void
http_teardown(struct server_ctx *ctx)
{
	struct http_mode *h = ctx->mode_state;

	if (h == NULL)
		return;
	sl_http_fixed_free(h->ok);
	sl_http_fixed_free(h->not_allowed);
	rte_free(h->body);
	rte_free(h);
	ctx->mode_state = NULL;
}

const struct server_mode mode_http = {
	.name = "http",
	.port = 80,
	.setup = http_setup,
	.report = http_report,
	.teardown = http_teardown,
};
