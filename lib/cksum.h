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

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

/* Ones'-complement sum (folded, not inverted) of bytes [off, off + len) of m. The range
 * must lie within the packet. */
static inline uint16_t
cksum_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	const struct rte_mbuf *seg = m;
	uint32_t sum = 0, done = 0;

	if (likely(off + len <= rte_pktmbuf_data_len(m)))
		return rte_raw_cksum(rte_pktmbuf_mtod_offset(m, const void *, off), len);
	while (seg != NULL && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	while (seg != NULL && done < len) {
		uint32_t n = RTE_MIN((uint32_t)seg->data_len - off, len - done);
		uint32_t part = rte_raw_cksum(rte_pktmbuf_mtod_offset(seg, const void *, off), n);

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
	struct {
		rte_be32_t src, dst;
		uint8_t zero, proto;
		rte_be16_t len;
	} __rte_packed ph = { src, dst, 0, proto, rte_cpu_to_be_16((uint16_t)l4len) };

	return rte_raw_cksum(&ph, sizeof(ph));
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
