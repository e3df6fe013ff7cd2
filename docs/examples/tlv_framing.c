/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tlv_framing.c -- the worked example of docs/framing.md: a deserializer/serializer pair
 * for a binary protocol sluice does not have built in.
 *
 * Every message is a 6-byte header and a payload:
 *
 *    0        1        2        3        4        5        6
 *   +--------+--------+--------+--------+--------+--------+-------- - -
 *   |  type  |   0    |  length (BE)    | Fletcher-16 (BE)| payload (length bytes)
 *   +--------+--------+--------+--------+--------+--------+-------- - -
 *
 * The checksum covers the payload. Errors, at the offset of the offending field:
 *   EPROTO    the reserved byte is not 0 (offset 1);
 *   EMSGSIZE  length above TLV_MAX_PAYLOAD (offset 2);
 *   EBADMSG   the checksum does not match (offset 4).
 * The application gets the payload as the message and the type as sl_msg.type.
 *
 * Use:
 *	static struct sl_deserializer ds = TLV_DESERIALIZER;
 *	static struct sl_serializer ser = TLV_SERIALIZER;
 *	static const struct sl_framing fr = { .ds = &ds, .ser = &ser,
 *					      .on_error = SL_FRAMING_ABORT };
 *	sl_stack_listen_framed(stack, port, &ops, arg, &fr);
 *	...
 *	struct tlv_msg m = { .type = 7, .data = buf, .len = n };
 *	sl_conn_send_msg(conn, &m);
 *
 * tests/unit/framing/test_framing_tlv.c runs it through the plug-in test kit.
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <sluice/framing.h>

#define TLV_HDR_LEN		6u
#define TLV_MAX_PAYLOAD		16384u

/* What the application gives sl_conn_send_msg(). */
struct tlv_msg {
	uint8_t type;
	const void *data;
	uint32_t len;
};

/* Fletcher-16 (RFC 1146), resumable over pieces. */
struct fletcher16 {
	uint32_t a, b;
};

static void
fletcher16_add(struct fletcher16 *f, const uint8_t *p, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		f->a = (f->a + p[i]) % 255;
		f->b = (f->b + f->a) % 255;
	}
}

static uint16_t
fletcher16_get(const struct fletcher16 *f)
{
	return (uint16_t)(f->b << 8 | f->a);
}

/* The checksum of len bytes at off, read in place slice by slice: no copy. */
static uint16_t
tlv_cursor_sum(const struct sl_cursor *in, uint32_t off, uint32_t len)
{
	struct fletcher16 f = { 0, 0 };
	struct sl_slice s[8];
	unsigned int i, n;

	while (len > 0) {
		n = sl_cursor_slices(in, off, len, s, 8);
		for (i = 0; i < n; i++) {
			fletcher16_add(&f, s[i].data, s[i].len);
			off += s[i].len;
			len -= s[i].len;
		}
	}
	return fletcher16_get(&f);
}

/*
 * frame(): everything is at fixed offsets, so this deserializer needs no state and never
 * rescans: it asks for the header, then for the whole message, and looks at it once.
 */
static enum sl_ds_verdict
tlv_frame(void *state, const void *arg, const struct sl_cursor *in, uint32_t resume,
	  struct sl_ds_result *r)
{
	uint64_t type, zero, len, sum;

	(void)state;
	(void)arg;
	(void)resume;
	if (sl_cursor_avail(in) < TLV_HDR_LEN) {
		r->need = TLV_HDR_LEN;
		return SL_DS_NEED;
	}
	sl_cursor_read_be(in, 0, 1, &type);
	sl_cursor_read_be(in, 1, 1, &zero);
	sl_cursor_read_be(in, 2, 2, &len);
	sl_cursor_read_be(in, 4, 2, &sum);
	if (zero != 0) {
		r->err = EPROTO;
		r->err_off = 1;
		return SL_DS_ERROR;
	}
	if (len > TLV_MAX_PAYLOAD) {
		r->err = EMSGSIZE;
		r->err_off = 2;
		return SL_DS_ERROR;
	}
	if (sl_cursor_avail(in) < TLV_HDR_LEN + len) {
		r->need = TLV_HDR_LEN + (uint32_t)len;	/* the whole message at once */
		return SL_DS_NEED;
	}
	if (tlv_cursor_sum(in, TLV_HDR_LEN, (uint32_t)len) != sum) {
		r->err = EBADMSG;
		r->err_off = 4;
		return SL_DS_ERROR;
	}
	r->consumed = TLV_HDR_LEN + (uint32_t)len;
	r->msg_off = TLV_HDR_LEN;
	r->msg_len = (uint32_t)len;
	r->msg_type = (uint32_t)type;
	return SL_DS_FRAME;
}

/*
 * encode(): the header goes into a hole that is patched once the payload is written,
 * the way an encoder that learns the length only at the end would do it. An error
 * returned here withdraws the whole message; nothing reaches the wire.
 */
static int
tlv_encode(const void *arg, const void *msg, struct sl_writer *wr)
{
	const struct tlv_msg *m = msg;
	struct fletcher16 f = { 0, 0 };
	uint8_t hdr[TLV_HDR_LEN];
	struct sl_hole h;
	uint16_t sum;
	int rc;

	(void)arg;
	if (m->len > TLV_MAX_PAYLOAD)
		return -EMSGSIZE;	/* never truncate a length */
	rc = sl_writer_hole(wr, TLV_HDR_LEN, &h);
	if (rc != 0)
		return rc;
	rc = sl_writer_write(wr, m->data, m->len);
	if (rc != 0)
		return rc;
	fletcher16_add(&f, m->data, m->len);
	sum = fletcher16_get(&f);
	hdr[0] = m->type;
	hdr[1] = 0;
	hdr[2] = (uint8_t)(m->len >> 8);
	hdr[3] = (uint8_t)m->len;
	hdr[4] = (uint8_t)(sum >> 8);
	hdr[5] = (uint8_t)sum;
	sl_writer_patch(wr, h, hdr);
	return 0;
}

#define TLV_DESERIALIZER { \
	.name = "tlv", \
	.state_size = 0, \
	.max_msg = TLV_HDR_LEN + TLV_MAX_PAYLOAD, \
	.frame = tlv_frame, \
}

#define TLV_SERIALIZER { \
	.name = "tlv", \
	.encode = tlv_encode, \
}
