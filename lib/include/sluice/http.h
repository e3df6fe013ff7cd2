/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SLUICE_HTTP_H
#define SLUICE_HTTP_H

/**
 * @file
 * HTTP/1.1 as a framing plug-in pair: a request deserializer and a response serializer
 * (RFC 9110, RFC 9112), for servers.
 *
 * Requests. sl_http_init() fills a deserializer whose messages are whole requests: the
 * request line, the header fields, the empty line and the Content-Length body, as one
 * contiguous message (SL_DS_F_CONTIG). Empty lines before the request line are skipped
 * (RFC 9112 §2.2): they are consumed but not part of the message. The message reports:
 *
 *   sl_msg.type    the method (enum sl_http_method, SL_HTTP_TYPE_METHOD bits) and the
 *                  SL_HTTP_TYPE_* flags: HTTP/1.1 or later, keep-alive, body present;
 *   sl_msg.fields  [SL_HTTP_FIELD_METHOD]  the method token,
 *                  [SL_HTTP_FIELD_TARGET]  the request target,
 *                  [SL_HTTP_FIELD_VERSION] "HTTP/1.x",
 *                  [SL_HTTP_FIELD_BODY]    the body (length 0 when there is none),
 *                  then for header i: [SL_HTTP_FIELD_HDR0 + 2i] its name and
 *                  [SL_HTTP_FIELD_HDR0 + 2i + 1] its value, leading and trailing
 *                  whitespace removed; in the order received, names as received.
 *
 * Keep-alive (RFC 9112 §9.3): an HTTP/1.1 request keeps the connection unless it has
 * `Connection: close`; an HTTP/1.0 one only with `Connection: keep-alive` (and without
 * close). sl_http_keep_alive() tells; a server closes after answering a request that
 * does not keep the connection (anything pipelined after it is discarded).
 *
 * The deserializer is strict, as a server facing the internet must be: lines end with
 * CRLF (a bare CR or a bare LF is an error), tokens are checked character by character,
 * obs-fold and whitespace before a colon are refused, a request smuggling attempt has no
 * ambiguous reading left. It is incremental: every byte is examined once, in order, by a
 * state machine kept in the connection's framing state, however the bytes were
 * segmented; the body is waited for as a whole (one call when it is all there). Errors
 * are reported at the first offending byte, so the verdict depends only on the bytes,
 * never on how they arrived. Errors (err_off: stream offset within the request):
 *
 *   EBADMSG          malformed: a byte not allowed where it is (err_off: that byte; a
 *                    bare CR: the CR), an unknown version syntax, Content-Length not a
 *                    plain decimal number or repeated, Host missing from an HTTP/1.1
 *                    request (err_off: the empty line) or repeated, Transfer-Encoding
 *                    in an HTTP/1.0 request (err_off: the field line);     -> 400
 *   ENAMETOOLONG     request line longer than max_line (err_off: its first byte past
 *                    the limit);                                            -> 414
 *   EMSGSIZE         header section longer than max_head (err_off: its first byte past
 *                    the limit) or more than max_headers fields (err_off: the first
 *                    field too many); also the stack's own max_msg check;  -> 431
 *   EFBIG            Content-Length above max_body (err_off: its first digit) -> 413
 *   ENOTSUP          Transfer-Encoding (chunked or any other coding) in an HTTP/1.1
 *                    request: not implemented (err_off: the field line);   -> 501
 *   EPROTONOSUPPORT  HTTP major version other than 1 (err_off: its digit);  -> 505
 *   EPIPE            FIN inside a request (err_off: the end of the stream). -> 400
 *
 * HTTP cannot resynchronise after an error (SL_FRAMING_RESYNC acts as CLOSE): a server
 * answers with sl_http_error_status() from on_error, with `Connection: close`, and the
 * CLOSE policy sends that answer before FIN.
 *
 * Responses. The serializer encodes a struct sl_http_response: status line, the given
 * header fields, Content-Length (computed; omitted for 1xx and 204), `Connection:
 * close` or `keep-alive` as asked, the empty line and the body. sl_http_fixed_create()
 * prepares a response once (every variant: keep-alive or close, with or without body)
 * for servers that send the same bytes again and again.
 *
 * Not implemented: chunked request bodies (ENOTSUP, 501), `Expect: 100-continue` (the
 * body is awaited; clients send it after a short wait anyway), trailers, HTTP/2
 * upgrade, the Date header (an application with a clock adds it as a header).
 *
 * Threading: the plug-ins have no shared mutable state; configuration and fixed
 * responses are read-only once created and may be shared by every worker.
 */

#include <stdbool.h>
#include <stdint.h>

#include <sluice/conn.h>
#include <sluice/export.h>
#include <sluice/framing.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Methods, in the low bits of sl_msg.type. */
enum sl_http_method {
	SL_HTTP_OTHER = 0,	/**< any other (extension) method token */
	SL_HTTP_GET,
	SL_HTTP_HEAD,
	SL_HTTP_POST,
	SL_HTTP_PUT,
	SL_HTTP_DELETE,
	SL_HTTP_CONNECT,
	SL_HTTP_OPTIONS,
	SL_HTTP_TRACE,
	SL_HTTP_PATCH,
};

/** Bits of sl_msg.type. */
#define SL_HTTP_TYPE_METHOD	0xffu		/**< enum sl_http_method */
#define SL_HTTP_TYPE_11		(1u << 8)	/**< HTTP/1.1 (or a later 1.x) */
#define SL_HTTP_TYPE_KEEP_ALIVE	(1u << 9)	/**< the connection persists after it */
#define SL_HTTP_TYPE_BODY	(1u << 10)	/**< Content-Length was given (maybe 0) */

/** Fields of a request message (see the file comment). */
enum sl_http_field {
	SL_HTTP_FIELD_METHOD = 0,
	SL_HTTP_FIELD_TARGET,
	SL_HTTP_FIELD_VERSION,
	SL_HTTP_FIELD_BODY,
	SL_HTTP_FIELD_HDR0,	/**< name of the first header; its value follows */
};

/** Most header fields a request may carry (what a message can report as fields). */
#define SL_HTTP_MAX_HEADERS 510u

/** Defaults of sl_http_cfg_defaults(). */
#define SL_HTTP_DEFAULT_MAX_LINE	8192u
#define SL_HTTP_DEFAULT_MAX_HEAD	16384u
#define SL_HTTP_DEFAULT_MAX_HEADERS	100u

/** Limits of the request deserializer. */
struct sl_http_cfg {
	/** Longest request line, CRLF excluded (at least 16). */
	uint32_t max_line;
	/**
	 * Longest header section: from the first byte (leading empty lines included) to the
	 * end of the empty line after the fields (at least 16).
	 */
	uint32_t max_head;
	/** Most header fields (1..SL_HTTP_MAX_HEADERS). */
	uint32_t max_headers;
	/** Largest Content-Length accepted (0: requests may not have a body). */
	uint32_t max_body;
};

/** Fill cfg with the SL_HTTP_DEFAULT_* limits and no request body allowed. */
static inline void
sl_http_cfg_defaults(struct sl_http_cfg *cfg)
{
	cfg->max_line = SL_HTTP_DEFAULT_MAX_LINE;
	cfg->max_head = SL_HTTP_DEFAULT_MAX_HEAD;
	cfg->max_headers = SL_HTTP_DEFAULT_MAX_HEADERS;
	cfg->max_body = 0;
}

/**
 * Fill ds for HTTP requests and ser (either may be NULL) for responses (struct
 * sl_http_response). cfg is referenced, not copied: it must outlive them. The
 * deserializer's max_msg is max_head + max_body + 1, which the receive budget (--rcvbuf)
 * must hold with a segment to spare.
 *
 * @return
 *   0, or -EINVAL (cfg NULL, max_line or max_head below 16, max_headers 0 or above
 *   SL_HTTP_MAX_HEADERS, max_head + max_body + 1 above UINT32_MAX).
 */
SL_EXPORT
int
sl_http_init(struct sl_deserializer *ds, struct sl_serializer *ser,
	     const struct sl_http_cfg *cfg);

/** The method of a request message. */
static inline enum sl_http_method
sl_http_method(const struct sl_msg *m)
{
	return (enum sl_http_method)(m->type & SL_HTTP_TYPE_METHOD);
}

/** Whether the connection persists after this request (see the file comment). */
static inline bool
sl_http_keep_alive(const struct sl_msg *m)
{
	return (m->type & SL_HTTP_TYPE_KEEP_ALIVE) != 0;
}

/** Number of header fields of a request message. */
static inline uint32_t
sl_http_nheaders(const struct sl_msg *m)
{
	return m->nfields > SL_HTTP_FIELD_HDR0 ? (m->nfields - SL_HTTP_FIELD_HDR0) / 2 : 0;
}

/**
 * Find a header of a request message by name (ASCII case-insensitive), from the first.
 *
 * @param m
 *   A message of this deserializer (contiguous: m->data is set).
 * @param name
 *   NUL-terminated field name.
 * @param from
 *   Header index to start at (0 for the first occurrence, then the result + 1).
 * @param value
 *   Set to the value (offsets within the message) when found.
 * @return
 *   The header index (>= 0), -ENOENT when there is none, or -EINVAL when m is not
 *   contiguous (a slice list).
 */
SL_EXPORT
int
sl_http_header_find(const struct sl_msg *m, const char *name, uint32_t from,
		    struct sl_field *value);

/** Status code to answer a deserializer error with (400 for any errno not listed). */
SL_EXPORT
uint16_t
sl_http_error_status(int err);

/** Standard reason phrase of a status code ("Not Found"), or "Unknown". */
SL_EXPORT
const char *
sl_http_reason(uint16_t status);

/* ---- responses ---- */

/** A header field of a response. Both strings NUL-terminated. */
struct sl_http_header {
	const char *name;	/**< a token (checked: -EINVAL otherwise) */
	const char *value;	/**< no CR, LF or other control byte but HTAB (checked) */
};

/** Flags of struct sl_http_response. */
#define SL_HTTP_RESP_CLOSE	(1u << 0)	/**< add `Connection: close` */
#define SL_HTTP_RESP_KEEP_ALIVE	(1u << 1)	/**< add `Connection: keep-alive` (for an
						 *   HTTP/1.0 client that asked for it) */
#define SL_HTTP_RESP_NO_BODY	(1u << 2)	/**< answer to HEAD: Content-Length says
						 *   body_len, the body is not sent */

/**
 * A response, the message type of the serializer. Content-Length is computed from
 * body_len: never give it as a header. Nothing is kept after encoding.
 */
struct sl_http_response {
	uint16_t status;			/**< 100..999 */
	const char *reason;			/**< NULL: sl_http_reason(status) */
	const struct sl_http_header *headers;	/**< may be NULL when nheaders is 0 */
	uint32_t nheaders;
	const void *body;			/**< may be NULL when body_len is 0 */
	uint32_t body_len;
	uint32_t flags;				/**< SL_HTTP_RESP_* */
};

/**
 * The SL_HTTP_RESP_* flags that answer a request of this type properly: CLOSE when it
 * does not keep the connection, KEEP_ALIVE when an HTTP/1.0 request asked to keep it,
 * NO_BODY for HEAD.
 */
static inline uint32_t
sl_http_resp_flags(uint32_t req_type)
{
	uint32_t f = 0;

	if (!(req_type & SL_HTTP_TYPE_KEEP_ALIVE))
		f |= SL_HTTP_RESP_CLOSE;
	else if (!(req_type & SL_HTTP_TYPE_11))
		f |= SL_HTTP_RESP_KEEP_ALIVE;
	if ((req_type & SL_HTTP_TYPE_METHOD) == SL_HTTP_HEAD)
		f |= SL_HTTP_RESP_NO_BODY;
	return f;
}

/**
 * Encode a response through a writer (what the serializer does; also usable with
 * sl_conn_writer_begin() directly).
 *
 * @return
 *   0; -EINVAL (status out of range, a header name that is not a token, a value or
 *   reason with CR/LF or another control byte, a body for 1xx/204); the writer's errors
 *   (-ENOBUFS, -EMSGSIZE, -EPIPE).
 */
SL_EXPORT
int
sl_http_write_response(struct sl_writer *wr, const struct sl_http_response *resp);

/** A response prepared once, sent many times. Opaque. */
struct sl_http_fixed;

/**
 * Prepare resp (copied: resp and what it points to may go once this returns) in every
 * variant the SL_HTTP_RESP_* flags select, so sending is a copy of ready bytes.
 * resp->flags is ignored.
 *
 * @return
 *   The prepared response (free with sl_http_fixed_free()), or NULL with rte_errno
 *   EINVAL (as sl_http_write_response()) or ENOMEM.
 */
SL_EXPORT
struct sl_http_fixed *
sl_http_fixed_create(const struct sl_http_response *resp);

/** Free a prepared response (NULL is allowed). No connection may be sending it. */
SL_EXPORT
void
sl_http_fixed_free(struct sl_http_fixed *f);

/**
 * Queue a prepared response on c, all or nothing (like sl_conn_send()).
 *
 * @param flags
 *   SL_HTTP_RESP_* (typically sl_http_resp_flags() of the request); CLOSE wins over
 *   KEEP_ALIVE.
 * @return
 *   0; -EAGAIN (send queue full: on_writable follows); -EPIPE; -EBUSY (a writer is
 *   open on c); -ENOBUFS (no mbuf: on_writable follows at the next poll iteration);
 *   -EMSGSIZE (larger than the send queue can ever hold).
 */
SL_EXPORT
int
sl_conn_send_http_fixed(struct sl_conn *c, const struct sl_http_fixed *f, uint32_t flags);

/** Bytes sl_conn_send_http_fixed() queues for these flags. */
SL_EXPORT
uint32_t
sl_http_fixed_len(const struct sl_http_fixed *f, uint32_t flags);

#ifdef __cplusplus
}
#endif

#endif /* SLUICE_HTTP_H */
