/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CKSUM_H
#define SL_CKSUM_H

/* Internet checksum over part of a (possibly chained) mbuf.
 *
 * DPDK 22.11's rte_raw_cksum_mbuf() truncates the 32-bit partial sum of a segment to
 * 16 bits before byte-swapping it when the segment starts at an odd offset of the range,
 * which loses carries: chained packets whose segments split at odd offsets get a wrong
 * sum. Here each piece is folded to 16 bits first, then swapped. */

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

/* Ones'-complement sum (folded, not inverted) of len bytes at buf, in memory byte order:
 * the same value as rte_raw_cksum(), which adds one 16-bit word per step. Here 32-bit
 * words go into a 64-bit accumulator, eight per step (RFC 1071 §2: the sum may be taken
 * in wider words and folded), about four times fewer instructions on a full segment;
 * software checksums are most of the cost of a port without checksum offload. */
static inline uint16_t
cksum_raw(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t s0 = 0, s1 = 0;
	uint32_t v[8];
	uint16_t h;

	for (; len >= sizeof(v); len -= sizeof(v), p += sizeof(v)) {
		memcpy(v, p, sizeof(v));
		s0 += (uint64_t)v[0] + v[2] + v[4] + v[6];
		s1 += (uint64_t)v[1] + v[3] + v[5] + v[7];
	}
	/* Fewer than 32 bytes left: 16, 8 and 4 at most once each (headers are 20 to 60). */
	if (len >= 4 * sizeof(v[0])) {
		memcpy(v, p, 4 * sizeof(v[0]));
		s0 += (uint64_t)v[0] + v[2];
		s1 += (uint64_t)v[1] + v[3];
		len -= 4 * sizeof(v[0]);
		p += 4 * sizeof(v[0]);
	}
	s0 += s1;
	if (len >= 2 * sizeof(v[0])) {
		memcpy(v, p, 2 * sizeof(v[0]));
		s0 += (uint64_t)v[0] + v[1];
		len -= 2 * sizeof(v[0]);
		p += 2 * sizeof(v[0]);
	}
	if (len >= sizeof(v[0])) {
		memcpy(v, p, sizeof(v[0]));
		s0 += v[0];
		len -= sizeof(v[0]);
		p += sizeof(v[0]);
	}
	if (len >= sizeof(h)) {
		memcpy(&h, p, sizeof(h));
		s0 += h;
		p += sizeof(h);
		len -= sizeof(h);
	}
	if (len != 0) {
		/* The odd last byte is the first byte of a zero-padded word. */
		h = 0;
		memcpy(&h, p, 1);
		s0 += h;
	}
	s0 = (s0 & 0xffffffff) + (s0 >> 32);
	s0 = (s0 & 0xffffffff) + (s0 >> 32);
	s0 = (s0 & 0xffff) + (s0 >> 16);
	s0 = (s0 & 0xffff) + (s0 >> 16);
	s0 = (s0 & 0xffff) + (s0 >> 16);
	return (uint16_t)s0;
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

/* Sum of the IPv4 pseudo-header (RFC 9293 §3.1), folded, not inverted. */
static inline uint16_t
cksum_ipv4_phdr(rte_be32_t src, rte_be32_t dst, uint8_t proto, uint32_t l4len)
{
	/* The 16-bit words of the pseudo-header in memory order: the zero byte and the
	 * protocol make one word, as do the two bytes of the length. */
	uint64_t sum = (uint64_t)src + dst + rte_cpu_to_be_16((uint16_t)proto) +
		       rte_cpu_to_be_16((uint16_t)l4len);

	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
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
	return (uint16_t)~cksum_add(cksum_ipv4_phdr(src, dst, proto, len),
				    cksum_mbuf(m, off, len));
}

#endif /* SL_CKSUM_H */
