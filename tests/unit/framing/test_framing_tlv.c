/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_framing_tlv.c -- the worked example of docs/framing.md (docs/examples/
 * tlv_framing.c) is real code: its deserializer goes through the plug-in test kit
 * (every segmentation), and its serializer writes on a real connection bytes that the
 * deserializer frames back.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "framing_kit.h"
#include "harness.h"
#include "tcp_helper.h"
#include "tlv_framing.c"

static struct sl_deserializer tlv_ds = TLV_DESERIALIZER;
static const struct sl_framing tlv_fr = { .ds = &tlv_ds, .on_error = SL_FRAMING_ABORT };

/* A message as the protocol puts it on the wire. */
static size_t
tlv_wire(uint8_t *out, uint8_t type, const void *p, uint16_t len, uint16_t bad_sum)
{
	struct fletcher16 f = { 0, 0 };
	uint16_t sum;

	fletcher16_add(&f, p, len);
	sum = (uint16_t)(fletcher16_get(&f) ^ bad_sum);
	out[0] = type;
	out[1] = 0;
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	out[4] = (uint8_t)(sum >> 8);
	out[5] = (uint8_t)sum;
	memcpy(out + TLV_HDR_LEN, p, len);
	return TLV_HDR_LEN + len;
}

static void
test_tlv_messages_every_split(void **state)
{
	static uint8_t in[256];
	const struct slk_emsg want[] = {
		{ SLK_STR("hello"), 1, 0, NULL },
		{ SLK_STR(""), 2, 0, NULL },
		{ SLK_STR("a longer payload across cuts"), 255, 0, NULL },
	};
	size_t n = 0;
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(want); i++)
		n += tlv_wire(in + n, (uint8_t)want[i].type, want[i].data,
			      (uint16_t)want[i].len, 0);
	struct slk_case c = { .name = "tlv three", .fr = &tlv_fr, .in = in, .len = n,
			      .fin = true };
	slk_check(&c, want, RTE_DIM(want), 0, 0, SLK_END_EOF);
}

static void
test_tlv_errors(void **state)
{
	static uint8_t in[64];
	const struct slk_emsg ok[] = { { SLK_STR("ok"), 3, 0, NULL } };
	size_t n;

	(void)state;
	/* a bad checksum after a good message: blamed on the checksum field */
	n = tlv_wire(in, 3, "ok", 2, 0);
	n += tlv_wire(in + n, 3, "bad", 3, 0x0101);
	struct slk_case c1 = { .name = "checksum", .fr = &tlv_fr, .in = in, .len = n };
	slk_check(&c1, ok, 1, EBADMSG, n - 9 + 4, SLK_END_ABORT);

	/* reserved byte */
	n = tlv_wire(in, 3, "ok", 2, 0);
	n += tlv_wire(in + n, 3, "x", 1, 0);
	in[n - 7 + 1] = 1;
	struct slk_case c2 = { .name = "reserved", .fr = &tlv_fr, .in = in, .len = n };
	slk_check(&c2, ok, 1, EPROTO, n - 7 + 1, SLK_END_ABORT);

	/* a length one over the limit: refused from the header alone */
	n = tlv_wire(in, 3, "ok", 2, 0);
	in[n] = 9;
	in[n + 1] = 0;
	in[n + 2] = (uint8_t)((TLV_MAX_PAYLOAD + 1) >> 8);
	in[n + 3] = (uint8_t)(TLV_MAX_PAYLOAD + 1);
	in[n + 4] = in[n + 5] = 0;
	struct slk_case c3 = { .name = "too long", .fr = &tlv_fr, .in = in, .len = n + 6 };
	slk_check(&c3, ok, 1, EMSGSIZE, n + 2, SLK_END_ABORT);

	/* FIN inside a message: the driver's EPIPE */
	n = tlv_wire(in, 3, "ok", 2, 0);
	n += tlv_wire(in + n, 3, "cut", 3, 0) - 2;
	struct slk_case c4 = { .name = "fin inside", .fr = &tlv_fr, .in = in, .len = n,
			       .fin = true };
	struct slk_transcript tr;

	slk_run(&c4, &tr);
	assert_int_equal(tr.nmsgs, 1);
	assert_int_equal(tr.nerrs, 1);
	assert_int_equal(tr.errs[0].err, EPIPE);
	slk_transcript_free(&tr);
}

/* The exact limit frames; the serializer refuses limit + 1 without writing anything. */
static void
test_tlv_limit_and_round_trip(void **state)
{
	static uint8_t payload[TLV_MAX_PAYLOAD + 1], wire[TLV_HDR_LEN + TLV_MAX_PAYLOAD + 64];
	static struct sl_serializer ser = TLV_SERIALIZER;
	struct tt *x = tt_setup(NULL);
	struct tlv_msg m = { .type = 42, .data = payload, .len = TLV_MAX_PAYLOAD };
	struct sl_writer *wr;
	struct sl_conn *c;
	struct tp_out o;
	size_t n = 0;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 13 + 5);
	c = tpeer_connect(&x->p);
	wr = sl_conn_writer_begin(c);
	assert_non_null(wr);
	m.len = TLV_MAX_PAYLOAD + 1;
	assert_int_equal(ser.encode(ser.arg, &m, wr), -EMSGSIZE);
	sl_writer_abort(wr);
	th_poll(&x->t);
	tpeer_expect_nothing(&x->p);

	m.len = TLV_MAX_PAYLOAD;
	wr = sl_conn_writer_begin(c);
	assert_int_equal(ser.encode(ser.arg, &m, wr), 0);
	assert_int_equal(sl_writer_end(wr), 0);
	for (i = 0; i < 64 && n < TLV_HDR_LEN + TLV_MAX_PAYLOAD; i++) {
		th_poll(&x->t);
		while (tpeer_recv(&x->p, &o)) {
			assert_true(n + o.len <= sizeof(wire));
			memcpy(wire + n, o.data, o.len);
			n += o.len;
		}
		tpeer_ack(&x->p);
	}
	assert_int_equal(n, TLV_HDR_LEN + TLV_MAX_PAYLOAD);
	tt_teardown(x);

	/* What went on the wire frames back to the same message, however it is cut. */
	const struct slk_emsg want[] = { { payload, TLV_MAX_PAYLOAD, 42, 0, NULL } };
	struct slk_case back = { .name = "round trip at the limit", .fr = &tlv_fr, .in = wire,
				 .len = n, .fin = true, .flags = SLK_F_NO_PAIRS,
				 .random_runs = 20 };
	slk_check(&back, want, 1, 0, 0, SLK_END_EOF);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlv_messages_every_split),
		cmocka_unit_test(test_tlv_errors),
		cmocka_unit_test(test_tlv_limit_and_round_trip),
	};

	(void)argc;
	(void)argv;
	th_eal_init("test_framing_tlv");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
