/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CKSUM_H
#define SL_CKSUM_H

/* Internet checksum over part of a (possibly chained) mbuf.
 *
 * DPDK 22.11's rte_raw_cksum_mbuf() truncates the 32-bit partial sum of a segment to
 * 16 bits before byte-swapping it when the segment starts at an odd offset of the range,
 * which loses carries: chained packets whose segments split at odd offsets get a wrong
 * sum. Here each piece is folded to 16 bits first, then swapped. */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

/* A 64-bit partial sum (of 16-, 32- or 64-bit words in memory order, carries out of bit
 * 63 already added back) folded to 16 bits, not inverted: the value cksum_raw() gives for
 * the bytes those words were taken from. To 32 bits with the end-around carry (2^32 is 1
 * modulo 0xffff), then to 16: t plus t rotated by 16 holds in its upper half the sum of
 * t's halves with their carry added back (Linux's csum_fold). The same value as four
 * folding steps (tests/unit/net/test_cksum.c): congruent to s modulo 0xffff, in
 * [1, 0xffff] unless s is 0. */
static __rte_always_inline uint16_t
cksum_fold64(uint64_t s)
{
	const uint32_t lo = (uint32_t)s;
	uint32_t t = lo + (uint32_t)(s >> 32);

	t += t < lo;
	return (uint16_t)((t + ((t << 16) | (t >> 16))) >> 16);
}

/* Ones'-complement sum (folded, not inverted) of len bytes at buf, in memory byte order,
 * plus s (a partial sum in 64 bits, such as a pseudo-header's, folded in at the end):
 * the same value as rte_raw_cksum(), which adds one 16-bit word per step. Here 64-bit
 * words are added with their carries counted apart and added back at the end (RFC 1071
 * §2: the sum may be taken in wider words and folded), four per step: a few instructions
 * per 8 bytes, and few in all on the headers-plus-a-few-bytes of small segments; software
 * checksums are most of the cost of a port without checksum offload. */
static inline uint16_t
cksum_raw_from(const void *buf, size_t len, uint64_t s)
{
	const uint8_t *p = buf;
	uint64_t cy = 0, x[4];
	uint32_t y;
	uint16_t h;

	for (; len >= sizeof(x); len -= sizeof(x), p += sizeof(x)) {
		memcpy(x, p, sizeof(x));
		s += x[0];
		cy += s < x[0];
		s += x[1];
		cy += s < x[1];
		s += x[2];
		cy += s < x[2];
		s += x[3];
		cy += s < x[3];
	}
	for (; len >= sizeof(x[0]); len -= sizeof(x[0]), p += sizeof(x[0])) {
		memcpy(x, p, sizeof(x[0]));
		s += x[0];
		cy += s < x[0];
	}
	if (len >= sizeof(y)) {
		memcpy(&y, p, sizeof(y));
		s += y;
		cy += s < y;
		p += sizeof(y);
		len -= sizeof(y);
	}
	if (len >= sizeof(h)) {
		memcpy(&h, p, sizeof(h));
		s += h;
		cy += s < h;
		p += sizeof(h);
		len -= sizeof(h);
	}
	if (len != 0) {
		/* The odd last byte is the first byte of a zero-padded word. */
		h = 0;
		memcpy(&h, p, 1);
		s += h;
		cy += s < h;
	}
	/* The carries out of bit 63 go back in at bit 0 (end-around carry). */
	s += cy;
	s += s < cy;
	return cksum_fold64(s);
}

static inline uint16_t
cksum_raw(const void *buf, size_t len)
{
	return cksum_raw_from(buf, len, 0);
}

/* Ones'-complement sum (folded, not inverted) of an IPv4 header without options (20
 * bytes, 4-byte aligned or not): five 32-bit words into 64 bits cannot carry out, so this
 * is cksum_raw's result with no loop and no carry bookkeeping. Every segment sent and
 * received pays for one (without checksum offload). */
static inline uint16_t
cksum_ipv4_hdr20(const void *hdr)
{
	uint32_t x[5];
	uint64_t s;

	memcpy(x, hdr, sizeof(x));
	s = (uint64_t)x[0] + x[1] + x[2] + x[3] + x[4];
	return cksum_fold64(s);
}

/* Ones'-complement sum (folded, not inverted) of bytes [off, off + len) of m. The range
 * must lie within the packet. */
static inline uint16_t
cksum_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	const struct rte_mbuf *seg = m;
	uint32_t sum = 0, done = 0;

	if (likely(off + len <= rte_pktmbuf_data_len(m)))
		return cksum_raw(rte_pktmbuf_mtod_offset(m, const void *, off), len);
	while (seg != NULL && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	while (seg != NULL && done < len) {
		uint32_t n = RTE_MIN((uint32_t)seg->data_len - off, len - done);
		uint32_t part = cksum_raw(rte_pktmbuf_mtod_offset(seg, const void *, off), n);

		/* A piece that starts at an odd position contributes its bytes swapped. */
		if (done & 1)
			part = rte_bswap16((uint16_t)part);
		sum += part;
		done += n;
		off = 0;
		seg = seg->next;
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Sum of the IPv4 pseudo-header (RFC 9293 §3.1) in 64 bits, not folded: the 16-bit
 * words of the pseudo-header in memory order (the zero byte and the protocol make one
 * word, as do the two bytes of the length). */
static inline uint64_t
cksum_ipv4_phdr64(rte_be32_t src, rte_be32_t dst, uint8_t proto, uint32_t l4len)
{
	return (uint64_t)src + dst + rte_cpu_to_be_16((uint16_t)proto) +
	       rte_cpu_to_be_16((uint16_t)l4len);
}

/* Sum of the IPv4 pseudo-header, folded, not inverted. */
static inline uint16_t
cksum_ipv4_phdr(rte_be32_t src, rte_be32_t dst, uint8_t proto, uint32_t l4len)
{
	return cksum_fold64(cksum_ipv4_phdr64(src, dst, proto, l4len));
}

/* Add two folded sums. */
static inline uint16_t
cksum_add(uint16_t a, uint16_t b)
{
	uint32_t sum = (uint32_t)a + b;

	return (uint16_t)((sum & 0xffff) + (sum >> 16));
}

/* The value for the checksum field of a TCP/UDP segment at [off, off + len) of m whose
 * checksum field is zero. */
static inline uint16_t
cksum_l4_ipv4(const struct rte_mbuf *m, rte_be32_t src, rte_be32_t dst, uint8_t proto,
	      uint32_t off, uint32_t len)
{
	/* One segment holds it all (the usual case): the pseudo-header's words start the
	 * sum, which is folded once. */
	if (likely(off + len <= rte_pktmbuf_data_len(m)))
		return (uint16_t)~cksum_raw_from(rte_pktmbuf_mtod_offset(m, const void *, off),
						 len, cksum_ipv4_phdr64(src, dst, proto, len));
	return (uint16_t)~cksum_add(cksum_ipv4_phdr(src, dst, proto, len),
				    cksum_mbuf(m, off, len));
}

/* ---- verification on receipt ----
 *
 * A received header or segment is good when the ones'-complement sum over it (checksum
 * field included) folds to 0xffff. The folded sum of a value is congruent to it modulo
 * 0xffff (2^16 = 1 mod 0xffff) and lies in [1, 0xffff] unless the value is 0, so "folds
 * to 0xffff" is "a nonzero multiple of 0xffff": one multiply and compare (the compiler's
 * divisibility test for an odd divisor) instead of four folding steps. */

/* Is the end-around-carried sum s (carries out of bit 63 already added back) that of a
 * correct checksum? */
static inline bool
cksum_sum_ok(uint64_t s)
{
	/* s % 0xffff == 0, written as that test (s times the inverse of 0xffff modulo
	 * 2^64 is at most (2^64 - 1) / 0xffff) so that no context the compiler judges cold
	 * or small turns it into a division. */
	return s != 0 && s * UINT64_C(0xfffefffefffeffff) <= UINT64_C(0x0001000100010001);
}

/* cksum_sum_ok for a sum known to be nonzero: one of the words summed was (a chain of
 * end-around additions reaches 0 only from all zeros). */
static inline bool
cksum_sum_nz_ok(uint64_t s)
{
	return s * UINT64_C(0xfffefffefffeffff) <= UINT64_C(0x0001000100010001);
}

/* One 64-bit word into the sum s, its carry out of bit 63 counted in cy. */
static __rte_always_inline void
cksum_add64(uint64_t *s, uint64_t *cy, const uint8_t *p)
{
	uint64_t a;

	memcpy(&a, p, sizeof(a));
	*s += a;
	*cy += *s < a;
}

/* cksum_raw_from's sum, not folded: the same 64-bit words with their carries added back
 * at the end, for cksum_sum_ok. A loop over 32-byte blocks for long buffers; below 64
 * bytes (a small segment with its header: the receive path's usual case) the blocks of
 * 32, 16 and 8 bytes are taken by the bits of len, with no loop to set up. */
static inline uint64_t
cksum_raw64_from(const void *buf, size_t len, uint64_t s)
{
	const uint8_t *p = buf;
	uint64_t cy = 0;
	uint32_t y;
	uint16_t h;

	if (len >= 64) {
		for (; len >= 32; len -= 32, p += 32) {
			cksum_add64(&s, &cy, p);
			cksum_add64(&s, &cy, p + 8);
			cksum_add64(&s, &cy, p + 16);
			cksum_add64(&s, &cy, p + 24);
		}
	} else if (len >= 32) {
		cksum_add64(&s, &cy, p);
		cksum_add64(&s, &cy, p + 8);
		cksum_add64(&s, &cy, p + 16);
		cksum_add64(&s, &cy, p + 24);
		len -= 32;
		p += 32;
	}
	/* len < 32 from here. */
	if (len & 16) {
		cksum_add64(&s, &cy, p);
		cksum_add64(&s, &cy, p + 8);
		p += 16;
	}
	if (len & 8) {
		cksum_add64(&s, &cy, p);
		p += 8;
	}
	/* The last 0-7 bytes go into cy, which joins s with an end-around carry below
	 * anyway: no carry to track for them. */
	y = 0;
	if (len & 4) {
		memcpy(&y, p, sizeof(y));
		p += sizeof(y);
	}
	cy += y;
	if (len & 2) {
		memcpy(&h, p, sizeof(h));
		cy += h;
		p += sizeof(h);
	}
	if (len & 1) {
		/* The odd last byte is the first byte of a zero-padded word. */
		h = 0;
		memcpy(&h, p, 1);
		cy += h;
	}
	/* The carries out of bit 63 count 1 each (2^64 = 1 mod 0xffff), as the tail words
	 * do: back in at bit 0, with the end-around carry of that addition. */
	s += cy;
	s += s < cy;
	return s;
}

/* cksum_raw64_from's sum for a buffer of 32 to 40 bytes: a TCP header with the timestamp
 * option and a payload of up to 8 bytes, the receive path's usual segment in a
 * request-response exchange. The four words of the first 32 bytes, then the last len - 32
 * bytes as the 8 bytes that end the buffer with the ones before them (already summed)
 * shifted out: one load and a shift instead of cksum_raw64_from's test per bit of len.
 * The tail starts at an even offset, and the shift leaves its first byte where an even
 * offset's byte sits in a word, so each byte keeps its half of the 16-bit word it belongs
 * to; the result is congruent to cksum_raw64_from's modulo 0xffff, and 0 only when every
 * byte and s are (tests compare the two). */
static __rte_always_inline uint64_t
cksum_raw64_32to40(const void *buf, uint32_t len, uint64_t s)
{
	const uint8_t *p = buf;
	const uint32_t k = len - 32;	/* 0 to 8 payload bytes */
	uint64_t t;

	memcpy(&t, p + len - 8, sizeof(t));
	/* 64 - 8k bits shifted out, in two halves so that k = 0 leaves 0 without a test. */
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	t = (t >> (32 - 4 * k)) >> (32 - 4 * k);
#else
	t = (t << (32 - 4 * k)) << (32 - 4 * k);
#endif
#if defined(__x86_64__)
	/* The five words in one chain of add-with-carry, each carry out of bit 63 added
	 * back by the next addition and the last one by adc $0: six instructions where the
	 * portable code below needs two per word and the sum of its carries at the end.
	 * Congruent to it modulo 2^64 - 1 (so modulo 0xffff), and 0 only when every word
	 * and s are (a chain of end-around additions reaches 0 no other way): the same
	 * verdict from cksum_sum_ok (test_cksum.c compares them). */
	__asm__("addq (%[p]), %[s]\n\t"
		"adcq 8(%[p]), %[s]\n\t"
		"adcq 16(%[p]), %[s]\n\t"
		"adcq 24(%[p]), %[s]\n\t"
		"adcq %[t], %[s]\n\t"
		"adcq $0, %[s]"
		: [s] "+r"(s)
		: [p] "r"(p), [t] "r"(t), "m"(*(const struct { uint8_t b[32]; } *)buf)
		: "cc");
	return s;
#else
	uint64_t cy = 0;

	cksum_add64(&s, &cy, p);
	cksum_add64(&s, &cy, p + 8);
	cksum_add64(&s, &cy, p + 16);
	cksum_add64(&s, &cy, p + 24);
	s += t;
	cy += s < t;
	s += cy;
	s += s < cy;
	return s;
#endif
}

/* The sum cksum_ipv4_hdr20_ok tests: the 20 bytes at hdr (any alignment) as two 64-bit
 * words and a 32-bit one, not folded. */
static __rte_always_inline uint64_t
cksum_ipv4_hdr20_sum(const void *hdr)
{
	uint64_t a, b, s;
	uint32_t c;

	memcpy(&a, hdr, sizeof(a));
	memcpy(&b, (const uint8_t *)hdr + 8, sizeof(b));
	memcpy(&c, (const uint8_t *)hdr + 16, sizeof(c));
#if defined(__x86_64__)
	/* The three words in one add-with-carry chain (cksum_raw64_32to40's reasoning). */
	s = a;
	__asm__("addq %[b], %[s]\n\t"
		"adcq %[c], %[s]\n\t"
		"adcq $0, %[s]"
		: [s] "+r"(s)
		: [b] "r"(b), [c] "r"((uint64_t)c)
		: "cc");
#else
	s = a + b;
	/* Below 2^35 after this: the carry of a + b counts 1 (2^64 = 1 mod 0xffff). */
	s = (s & 0xffffffff) + (s >> 32) + (s < a) + c;
#endif
	return s;
}

/* Is the IPv4 header without options at hdr (20 bytes, any alignment) intact?
 * cksum_ipv4_hdr20's sum without the folding. */
static inline bool
cksum_ipv4_hdr20_ok(const void *hdr)
{
	return cksum_sum_ok(cksum_ipv4_hdr20_sum(hdr));
}

/* cksum_ipv4_hdr20_ok for a header whose first byte is known to be nonzero (its version
 * checked): the sum is then nonzero, and only its congruence is tested. */
static inline bool
cksum_ipv4_hdr20_nz_ok(const void *hdr)
{
	return cksum_sum_nz_ok(cksum_ipv4_hdr20_sum(hdr));
}

/* Is the TCP/UDP segment at [off, off + len) of m, checksum field included, intact? */
static inline bool
cksum_l4_ipv4_ok(const struct rte_mbuf *m, rte_be32_t src, rte_be32_t dst, uint8_t proto,
		 uint32_t off, uint32_t len)
{
	if (likely(off + len <= rte_pktmbuf_data_len(m))) {
		const void *p = rte_pktmbuf_mtod_offset(m, const void *, off);

		if (len - 32 <= 8) {
			/* The protocol and length words as cksum_ipv4_phdr64 adds them,
			 * byte-swapped on a little-endian CPU, are congruent modulo 0xffff to
			 * their sum shifted by 8 (2^16 = 1 mod 0xffff): no swap. Nonzero (the
			 * length is), so the sum is: only the congruence to test. */
			const uint64_t ph32 = (uint64_t)src + dst +
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
				((uint64_t)proto + len) * 256;
#else
				(uint64_t)proto + len;
#endif

			return cksum_sum_nz_ok(cksum_raw64_32to40(p, len, ph32));
		}
		return cksum_sum_ok(cksum_raw64_from(p, len,
						     cksum_ipv4_phdr64(src, dst, proto, len)));
	}
	return cksum_l4_ipv4(m, src, dst, proto, off, len) == 0;
}

#endif /* SL_CKSUM_H */
