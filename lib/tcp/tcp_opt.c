/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_opt.c -- TCP option parsing and writing (RFC 9293 §3.1, RFC 7323, RFC 2018).
 *
 * RX: tcp_input -> tcp_opt_parse. TX: tcp_out segment builders -> tcp_opt_write*.
 */

#include <stddef.h>
#include <string.h>

#include <rte_byteorder.h>

#include "tcp/tcp_opt.h"

enum {
	OPT_EOL = 0,
	OPT_NOP = 1,
	OPT_MSS = 2,
	OPT_WSCALE = 3,
	OPT_SACK_OK = 4,
	OPT_SACK = 5,
	OPT_TS = 8,
};

static uint32_t
get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return rte_be_to_cpu_32(v);
}

static void
put32(uint8_t *p, uint32_t v)
{
	v = rte_cpu_to_be_32(v);
	memcpy(p, &v, 4);
}

int
tcp_opt_parse(const uint8_t *p, size_t len, struct tcp_opts *o)
{
	size_t i = 0;

	/* The layout of nearly every segment after the handshake, as Linux and sluice write
	 * it (RFC 7323 Appendix A): NOP, NOP, timestamps. One compare instead of the walk. */
	if (len == TCP_OPT_TS_LEN && tcp_opt_parse_ts(p, o))
		return 0;
	memset(o, 0, sizeof(*o));
	while (i < len) {
		uint8_t kind = p[i], olen;
		const uint8_t *v;

		if (kind == OPT_EOL)
			return 0;	/* what follows EOL is padding, whatever it holds */
		if (kind == OPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2)
			return -1;	/* a kind without its length byte */
		olen = p[i + 1];
		if (olen < 2 || olen > len - i)
			return -1;	/* zero/one-byte lengths would loop; long ones over-read */
		v = p + i + 2;
		switch (kind) {
		case OPT_MSS:
			if (olen != 4)
				return -1;
			if (!(o->has & TO_MSS)) {
				o->mss = (uint16_t)(v[0] << 8 | v[1]);
				o->has |= TO_MSS;
			}
			break;
		case OPT_WSCALE:
			if (olen != 3)
				return -1;
			if (!(o->has & TO_WSCALE)) {
				o->wscale = v[0] > 14 ? 14 : v[0];
				o->has |= TO_WSCALE;
			}
			break;
		case OPT_SACK_OK:
			if (olen != 2)
				return -1;
			o->has |= TO_SACK_OK;
			break;
		case OPT_TS:
			if (olen != 10)
				return -1;
			if (!(o->has & TO_TS)) {
				o->tsval = get32(v);
				o->tsecr = get32(v + 4);
				o->has |= TO_TS;
			}
			break;
		case OPT_SACK: {
			unsigned int n, k;

			if (olen < 10 || (olen - 2) % 8 != 0)
				return -1;
			if (o->has & TO_SACK)
				break;
			n = (olen - 2u) / 8;
			for (k = 0; k < n && k < 4; k++) {
				o->sack[k].start = get32(v + 8 * k);
				o->sack[k].end = get32(v + 8 * k + 4);
			}
			o->nsack = (uint8_t)k;
			o->has |= TO_SACK;
			break;
		}
		default:
			break;		/* unknown kinds are skipped by their length */
		}
		i += olen;
	}
	return 0;
}

size_t
tcp_opt_write_syn(uint8_t *p, uint16_t mss, int wscale, int sack_ok, int ts, uint32_t tsval,
		  uint32_t tsecr)
{
	size_t n = 0;

	p[n++] = OPT_MSS;
	p[n++] = 4;
	p[n++] = (uint8_t)(mss >> 8);
	p[n++] = (uint8_t)mss;
	if (ts) {
		if (sack_ok) {
			p[n++] = OPT_SACK_OK;
			p[n++] = 2;
		} else {
			p[n++] = OPT_NOP;
			p[n++] = OPT_NOP;
		}
		p[n++] = OPT_TS;
		p[n++] = 10;
		put32(p + n, tsval);
		put32(p + n + 4, tsecr);
		n += 8;
	} else if (sack_ok) {
		p[n++] = OPT_NOP;
		p[n++] = OPT_NOP;
		p[n++] = OPT_SACK_OK;
		p[n++] = 2;
	}
	if (wscale >= 0) {
		p[n++] = OPT_NOP;
		p[n++] = OPT_WSCALE;
		p[n++] = 3;
		p[n++] = (uint8_t)wscale;
	}
	return n;
}

size_t
tcp_opt_write(uint8_t *p, int ts, uint32_t tsval, uint32_t tsecr,
	      const struct tcp_sack_block *sack, unsigned int nsack)
{
	size_t n = 0;
	unsigned int k, max = ts ? 3 : 4;

	if (ts) {
		p[n++] = OPT_NOP;
		p[n++] = OPT_NOP;
		p[n++] = OPT_TS;
		p[n++] = 10;
		put32(p + n, tsval);
		put32(p + n + 4, tsecr);
		n += 8;
	}
	if (nsack > max)
		nsack = max;
	if (nsack > 0) {
		p[n++] = OPT_NOP;
		p[n++] = OPT_NOP;
		p[n++] = OPT_SACK;
		p[n++] = (uint8_t)(2 + 8 * nsack);
		for (k = 0; k < nsack; k++) {
			put32(p + n, sack[k].start);
			put32(p + n + 4, sack[k].end);
			n += 8;
		}
	}
	return n;
}
