/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PROTO_H
#define PROTO_H

/*
 * proto.h -- the wire format of this server, as a deserializer/serializer pair for sluice.
 * Rename "proto" and change this file and proto.c to make the template your own.
 *
 * Every message, in both directions, is a 3-byte header and a payload:
 *
 *    0        1        2        3
 *   +--------+--------+--------+-------- - -
 *   |  type  |  length (BE)    | payload (length bytes, 0..PROTO_MAX_PAYLOAD)
 *   +--------+--------+--------+-------- - -
 *
 * Requests:  PROTO_ECHO  the reply carries the same payload (type PROTO_ECHO_REPLY);
 *            PROTO_SUM   the reply (PROTO_SUM_REPLY) is the sum of the payload's bytes,
 *                        4 bytes big-endian.
 * Errors:    a request of another type (EPROTO, at offset 0 of the message) or with a
 *            length above PROTO_MAX_PAYLOAD (EMSGSIZE, offset 1) is answered with one
 *            PROTO_ERROR message, whose payload is the error code (1 byte: PROTO_E_*)
 *            and a text, and the server closes the connection.
 */

#include <stdint.h>

#include <sluice/framing.h>

#define PROTO_HDR_LEN		3u
#define PROTO_MAX_PAYLOAD	4096u

enum proto_type {
	PROTO_ECHO = 0x01,
	PROTO_SUM = 0x02,
	PROTO_ECHO_REPLY = 0x81,
	PROTO_SUM_REPLY = 0x82,
	PROTO_ERROR = 0xff,
};

/* First payload byte of a PROTO_ERROR message. */
enum proto_error {
	PROTO_E_TYPE = 1,	/* unknown request type */
	PROTO_E_LENGTH = 2,	/* length above PROTO_MAX_PAYLOAD */
	PROTO_E_OTHER = 3,	/* anything else the connection failed on */
};

/* What the application gives sl_conn_send_msg(): the serializer's input. */
struct proto_msg {
	uint8_t type;
	const void *data;
	uint32_t len;
};

/* The pair. Both are static configuration: sluice references them, never copies them. */
extern const struct sl_deserializer proto_deserializer;
extern const struct sl_serializer proto_serializer;

#endif /* PROTO_H */
