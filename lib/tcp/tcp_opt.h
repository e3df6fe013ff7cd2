/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TCP_OPT_H
#define SL_TCP_OPT_H

/* tcp_opt.c: TCP options in and out. The parser takes (pointer, length) only, so it can be
 * fuzzed on its own; it terminates on any input (every step consumes at least one byte)
 * and never reads past the length it is given. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>

#define TCP_OPT_MAX 40		/* bytes of options a header can carry */

#define TO_MSS		(1u << 0)
#define TO_WSCALE	(1u << 1)
#define TO_SACK_OK	(1u << 2)
#define TO_TS		(1u << 3)
#define TO_SACK		(1u << 4)

struct tcp_sack_block {
	uint32_t start, end;
};

struct tcp_opts {
	uint8_t has;		/* TO_* present */
	uint8_t wscale;		/* clamped to 14 (RFC 7323 §2.3) */
	uint8_t nsack;
	uint16_t mss;
	uint32_t tsval, tsecr;
	struct tcp_sack_block sack[4];
};

/* Parse the options p[0..len). Returns 0, or -1 when they are malformed (a length that
 * is too short, too long for the space left or wrong for its kind); the options parsed
 * before that point are kept in *o, the rest ignored, as Linux does. A repeated option
 * keeps its first value. */
int
tcp_opt_parse(const uint8_t *p, size_t len, struct tcp_opts *o);

/* Options of a SYN or SYN-ACK: MSS, then SACK-permitted + timestamps, then window scale
 * (wscale < 0: not offered), each only when asked for. Returns the length written, a
 * multiple of 4 (at most 20). */
size_t
tcp_opt_write_syn(uint8_t *p, uint16_t mss, int wscale, int sack_ok, int ts, uint32_t tsval,
		  uint32_t tsecr);

/* Options of any other segment: timestamps when ts, then up to `nsack` SACK blocks (as
 * many as fit). Returns the length written, a multiple of 4. */
size_t
tcp_opt_write(uint8_t *p, int ts, uint32_t tsval, uint32_t tsecr,
	      const struct tcp_sack_block *sack, unsigned int nsack);

/* The options of nearly every segment after the handshake (RFC 7323 Appendix A layout):
 * NOP, NOP, timestamps; TCP_OPT_TS_LEN bytes, what tcp_opt_write(p, 1, .., 0) writes. */
#define TCP_OPT_TS_LEN 12

/* Its first word (NOP, NOP, kind 8, length 10) in memory order, as a checksum adds it. */
#define TCP_OPT_TS_LEAD RTE_BE32(1u << 24 | 1u << 16 | 8u << 8 | 10u)

/* tcp_opt_parse of the TCP_OPT_TS_LEN option bytes at p when they are that layout, the
 * one every segment of an established connection carries: returns true with *o filled
 * as tcp_opt_parse fills it, false (nothing written) for any other bytes. Inline: the
 * receive path (tcp_in.c tcp_seg_parse) makes this test before any call, and compares
 * the lead word in network order, as it lies in the segment (no byte swap). */
static inline bool
tcp_opt_parse_ts(const uint8_t *p, struct tcp_opts *o)
{
	/* has, wscale, nsack and mss (and the padding among them) as one store. */
	static const struct tcp_opts ts_only = { .has = TO_TS };
	uint32_t lead, tsval, tsecr;

	memcpy(&lead, p, 4);
	if (lead != TCP_OPT_TS_LEAD)
		return false;
	memcpy(o, &ts_only, offsetof(struct tcp_opts, tsval));
	memcpy(&tsval, p + 4, 4);
	memcpy(&tsecr, p + 8, 4);
	o->tsval = rte_be_to_cpu_32(tsval);
	o->tsecr = rte_be_to_cpu_32(tsecr);
	return true;
}

/* The same from values already in network order. */
static inline void
tcp_opt_write_ts_be(uint8_t *p, rte_be32_t tsval, rte_be32_t tsecr)
{
	const uint32_t lead = TCP_OPT_TS_LEAD;

	memcpy(p, &lead, 4);
	memcpy(p + 4, &tsval, 4);
	memcpy(p + 8, &tsecr, 4);
}

static inline void
tcp_opt_write_ts(uint8_t *p, uint32_t tsval, uint32_t tsecr)
{
	tcp_opt_write_ts_be(p, rte_cpu_to_be_32(tsval), rte_cpu_to_be_32(tsecr));
}

/* Length tcp_opt_write() would produce. */
static inline size_t
tcp_opt_len(int ts, unsigned int nsack)
{
	size_t n = ts ? 12 : 0;
	unsigned int max = ts ? 3 : 4;

	if (nsack > max)
		nsack = max;
	return n + (nsack ? 4 + 8 * nsack : 0);
}

#endif /* SL_TCP_OPT_H */
