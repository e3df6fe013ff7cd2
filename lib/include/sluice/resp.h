/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SLUICE_RESP_H
#define SLUICE_RESP_H

/**
 * @file
 * RESP2, the Redis serialization protocol, as a framing plug-in pair.
 *
 * Server side: sl_resp_init() fills a deserializer for **requests** — arrays of bulk
 * strings (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`, what redis-cli and client libraries send)
 * and inline commands (`GET k\r\n` or `GET k\n`, what telnet users type) — and a
 * serializer for **values** (struct sl_resp_value). Each request is one message: the
 * whole request, its arguments reported as fields (sl_msg.fields[i] is argument i, as an
 * offset and length within the message, CRLF excluded), sl_msg.nfields the argument
 * count, sl_msg.type SL_RESP_ARRAY or SL_RESP_INLINE. A request array with a count of 0
 * or less and an empty inline line are skipped, as Redis does.
 *
 * Client side: sl_resp_client_init() fills a deserializer for **replies** (every RESP2
 * type, arrays nested up to SL_RESP_MAX_DEPTH) and the same value serializer (a command
 * is an array of bulk strings). Each reply is one message whose type is the reply's
 * type (enum sl_resp_type; a null bulk string is SL_RESP_NULL, a null array
 * SL_RESP_NULL_ARRAY). A scalar reply (simple string, error, integer, bulk string) has one
 * field, its payload (the digits of an integer); an array has none: sl_resp_read() walks
 * its structure.
 *
 * Both deserializers are incremental: a bulk string arriving in many segments is waited
 * for as a whole (one call when all of it is there) and never scanned twice. Inline
 * words are separated by spaces or tabs; quotes are not interpreted (a quoted word is
 * taken as it is).
 *
 * Errors (the message and the connection's framing end there; RESP cannot resynchronise,
 * so SL_FRAMING_RESYNC acts as SL_FRAMING_CLOSE):
 *   EPROTO    an unexpected byte at err_off: a request element that is not a bulk string
 *             ("expected '$'"), a length that is not a number (sign, leading zero,
 *             non-digit), a missing CRLF after a length, line or bulk payload, an
 *             unknown reply type byte.
 *   EMSGSIZE  a limit of struct sl_resp_cfg exceeded: err_off is the first digit of the
 *             count or length beyond max_args or max_bulk, or the start of the element
 *             (its `$`, `*`, `+`... or the inline line) that does not end within max_msg
 *             bytes; arrays nested deeper than SL_RESP_MAX_DEPTH (at their `*`).
 * Bytes beyond max_msg are never looked at, so the verdict and its offset do not depend
 * on how the stream was segmented.
 * A server typically answers both with `-ERR Protocol error: ...` from on_error and lets
 * the CLOSE policy send it before FIN (see sl_resp_write_error()).
 *
 * Threading: the plug-ins have no shared mutable state; the configuration is read-only.
 */

#include <stdbool.h>
#include <stdint.h>

#include <sluice/export.h>
#include <sluice/framing.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Deepest nesting of reply arrays (and of values the serializer encodes). */
#define SL_RESP_MAX_DEPTH 16

/** RESP value types; the first five are their type bytes. Also sl_msg.type. */
enum sl_resp_type {
	SL_RESP_SIMPLE = '+',		/**< simple string */
	SL_RESP_ERROR = '-',		/**< error */
	SL_RESP_INTEGER = ':',		/**< integer */
	SL_RESP_BULK = '$',		/**< bulk string */
	SL_RESP_ARRAY = '*',		/**< array (for requests: a multibulk request) */
	SL_RESP_NULL = 'n',		/**< null bulk string ($-1) */
	SL_RESP_NULL_ARRAY = 'N',	/**< null array (*-1) */
	SL_RESP_INLINE = 'i',		/**< request only: an inline command */
};

/** Limits of the deserializers. */
struct sl_resp_cfg {
	uint32_t max_msg;	/**< largest request or reply, every byte counted (> 0) */
	uint32_t max_args;	/**< most arguments in a request / elements in one reply
				 *   array (requests: also at most 1024, the fields a message
				 *   may report) */
	uint32_t max_bulk;	/**< longest bulk string */
};

/**
 * Fill ds for RESP requests and ser (may be NULL) for values (struct sl_resp_value).
 * cfg must outlive them (it is referenced, not copied). Limits of 0 are taken as 1.
 */
SL_EXPORT
void
sl_resp_init(struct sl_deserializer *ds, struct sl_serializer *ser,
	     const struct sl_resp_cfg *cfg);

/**
 * Fill ds for RESP replies and ser (may be NULL) for values, for a client. cfg must
 * outlive them.
 */
SL_EXPORT
void
sl_resp_client_init(struct sl_deserializer *ds, struct sl_serializer *ser,
		    const struct sl_resp_cfg *cfg);

/* ---- values ---- */

/**
 * A RESP value for the serializer (sl_conn_send_msg() with a framing from sl_resp_init()
 * or sl_resp_client_init(), or sl_resp_write_value()). Nothing is copied before encode:
 * the strings and element arrays only need to live until the call returns.
 */
struct sl_resp_value {
	enum sl_resp_type type;		/**< not SL_RESP_INLINE */
	union {
		int64_t integer;	/**< SL_RESP_INTEGER */
		struct {
			const void *data;
			uint32_t len;
		} str;			/**< SIMPLE, ERROR (no CR or LF inside), BULK */
		struct {
			const struct sl_resp_value *elems;
			uint32_t n;
		} array;		/**< SL_RESP_ARRAY */
	};
};

/**
 * Encode a value through a writer (what the serializer does). Nothing is truncated.
 *
 * @return
 *   0; -EINVAL (unknown type, CR or LF in a simple string or error, arrays nested deeper
 *   than SL_RESP_MAX_DEPTH); or the writer's errors (-ENOBUFS, -EMSGSIZE, -EPIPE).
 *   On error part of the value may have been written: abort the writer.
 */
SL_EXPORT
int
sl_resp_write_value(struct sl_writer *wr, const struct sl_resp_value *v);

/*
 * Direct writers, for servers that answer from on_message without building values:
 *
 *	wr = sl_conn_writer_begin(c);
 *	rc = sl_resp_write_bulk(wr, val, len);
 *	rc == 0 ? sl_writer_end(wr) : sl_writer_abort(wr);
 *
 * Each returns 0, -EINVAL (CR or LF in a simple string or error), or the writer's errors;
 * after an error the message must be aborted.
 */

/** `+s\r\n`. */
SL_EXPORT
int
sl_resp_write_simple(struct sl_writer *wr, const char *s, uint32_t len);

/** `-s\r\n` (s usually starts with an error code: "ERR ...", "WRONGTYPE ..."). */
SL_EXPORT
int
sl_resp_write_error(struct sl_writer *wr, const char *s, uint32_t len);

/** `:v\r\n`. */
SL_EXPORT
int
sl_resp_write_integer(struct sl_writer *wr, int64_t v);

/** `$len\r\ndata\r\n`. */
SL_EXPORT
int
sl_resp_write_bulk(struct sl_writer *wr, const void *data, uint32_t len);

/** `$-1\r\n`, the null bulk string. */
SL_EXPORT
int
sl_resp_write_null(struct sl_writer *wr);

/** `*n\r\n`; n = -1 writes the null array. The n elements follow, written by the caller. */
SL_EXPORT
int
sl_resp_write_array(struct sl_writer *wr, int64_t n);

/* ---- reading a reply ---- */

/** One item of a RESP message, as sl_resp_read() finds it. */
struct sl_resp_item {
	enum sl_resp_type type;
	int64_t integer;	/**< INTEGER: the value; ARRAY: the element count */
	const uint8_t *str;	/**< SIMPLE, ERROR, BULK: the bytes (inside the message) */
	uint32_t len;		/**< their length */
};

/**
 * Read the item at *pos of a contiguous RESP message (a reply delivered by the
 * sl_resp_client_init() deserializer with a framing that does not ask for slice lists,
 * for instance) and advance *pos past it. For an
 * array only its header is read: its elements are the next items. The bytes are checked
 * again, so any buffer is safe to give.
 *
 * @return
 *   0; -EPROTO (not a valid item there); -ENODATA (the buffer ends inside the item).
 */
SL_EXPORT
int
sl_resp_read(const uint8_t *msg, uint32_t len, uint32_t *pos, struct sl_resp_item *it);

#ifdef __cplusplus
}
#endif

#endif /* SLUICE_RESP_H */
