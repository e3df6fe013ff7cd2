/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * proto.c -- the deserializer and serializer of proto.h.
 *
 * sluice calls proto_frame() with a cursor on the connection's unconsumed bytes (offset 0
 * is the first byte not yet consumed, whatever TCP segmentation brought them) and never
 * with nothing available. It answers NEED (how many bytes it needs in all), FRAME (a
 * whole message) or ERROR (an errno value and the offset of the offending byte); sluice
 * checks every answer and enforces .max_msg itself. The serializer writes a reply
 * straight into the connection's send queue through the writer: nothing reaches the wire
 * unless proto_encode() returns 0.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto.h"

static bool
proto_type_known(uint64_t type)
{
	return type == PROTO_ECHO || type == PROTO_SUM;
}

/*
 * Every field is at a fixed offset, so no state is needed and nothing is scanned twice:
 * ask for the header, check it at once (a bad type or length is refused before its
 * payload arrives), then ask for the whole message in one NEED.
 */
static enum sl_ds_verdict
proto_frame(void *state, const void *arg, const struct sl_cursor *in, uint32_t resume,
	    struct sl_ds_result *r)
{
	uint32_t avail = sl_cursor_avail(in);
	uint64_t type, len;

	(void)state;
	(void)arg;
	(void)resume;
	if (avail < PROTO_HDR_LEN) {
		r->need = PROTO_HDR_LEN;
		return SL_DS_NEED;
	}
	sl_cursor_read_be(in, 0, 1, &type);
	sl_cursor_read_be(in, 1, 2, &len);
	if (!proto_type_known(type)) {
		r->err = EPROTO;
		r->err_off = 0;
		return SL_DS_ERROR;
	}
	if (len > PROTO_MAX_PAYLOAD) {
		r->err = EMSGSIZE;
		r->err_off = 1;
		return SL_DS_ERROR;
	}
	if (avail < PROTO_HDR_LEN + len) {
		r->need = PROTO_HDR_LEN + (uint32_t)len;
		return SL_DS_NEED;
	}
	r->consumed = PROTO_HDR_LEN + (uint32_t)len;	/* header and payload leave the stream */
	r->msg_off = PROTO_HDR_LEN;			/* the application gets the payload */
	r->msg_len = (uint32_t)len;
	r->msg_type = (uint32_t)type;			/* ... and the type, in sl_msg.type */
	return SL_DS_FRAME;
}

/*
 * The header is written first here because the length is known; an encoder that learns
 * it only at the end would reserve a hole (sl_writer_hole) and patch it
 * (docs/examples/tlv_framing.c). A negative return withdraws the whole message.
 */
static int
proto_encode(const void *arg, const void *msg, struct sl_writer *wr)
{
	const struct proto_msg *m = msg;
	uint8_t hdr[PROTO_HDR_LEN];
	int rc;

	(void)arg;
	if (m->len > PROTO_MAX_PAYLOAD)
		return -EMSGSIZE;	/* never truncate a length */
	hdr[0] = m->type;
	hdr[1] = (uint8_t)(m->len >> 8);
	hdr[2] = (uint8_t)m->len;
	rc = sl_writer_write(wr, hdr, sizeof(hdr));
	if (rc != 0)
		return rc;
	return sl_writer_write(wr, m->data, m->len);
}

const struct sl_deserializer proto_deserializer = {
	.name = "proto",
	.state_size = 0,
	.max_msg = PROTO_HDR_LEN + PROTO_MAX_PAYLOAD,	/* every byte a message consumes */
	.frame = proto_frame,
	/* .eof NULL: a FIN between messages ends the stream, a FIN inside one is EPIPE. */
};

const struct sl_serializer proto_serializer = {
	.name = "proto",
	.encode = proto_encode,
};
