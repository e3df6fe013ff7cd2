/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cursor.c -- a deserializer's view of a connection's received, in-order bytes.
 *
 * framing_pump -> deserializer frame() -> sl_cursor_*.
 *
 * The bytes are the rxbuf FIFO: single-segment mbufs whose data pointers start at the
 * first unconsumed byte. Every function walks that list from the head; deserializers
 * ask for what they need near their position and the lists are short (small payloads
 * are merged into one mbuf on arrival), so no index is kept. Nothing here reads beyond
 * `avail` or writes anywhere but the caller's scratch buffer.
 */

#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_mbuf.h>

#include "framing/framing_priv.h"
#include "net/mbuf_dyn.h"
#include "tcp/rxbuf.h"
#include "core/worker.h"

void
cursor_init(struct sl_cursor *c, struct sl_worker *w, struct rxbuf *rb)
{
	c->head = rb->q.head;
	c->avail = rb->bytes;
	c->mdyn = w->tcp.mdyn;
}

static inline struct rte_mbuf *
cur_next(const struct sl_cursor *c, struct rte_mbuf *m)
{
	return mdyn(m, c->mdyn)->link;
}

/* The slice holding offset off (< avail), and the offset of its first byte. */
static struct rte_mbuf *
cur_seek(const struct sl_cursor *c, uint32_t off, uint32_t *base)
{
	struct rte_mbuf *m = c->head;
	uint32_t b = 0;

	while (off >= b + m->data_len) {
		b += m->data_len;
		m = cur_next(c, m);
	}
	*base = b;
	return m;
}

uint32_t
sl_cursor_avail(const struct sl_cursor *c)
{
	return c->avail;
}

uint8_t
sl_cursor_byte(const struct sl_cursor *c, uint32_t off)
{
	struct rte_mbuf *m;
	uint32_t base;

	if (off >= c->avail)
		return 0;
	m = cur_seek(c, off, &base);
	return *rte_pktmbuf_mtod_offset(m, const uint8_t *, off - base);
}

const void *
sl_cursor_peek(const struct sl_cursor *c, uint32_t off, uint32_t len, void *scratch)
{
	struct rte_mbuf *m;
	uint32_t base, done = 0;
	uint8_t *d = scratch;

	if ((uint64_t)off + len > c->avail)
		return NULL;
	if (len == 0)
		return scratch;
	m = cur_seek(c, off, &base);
	if (off + len <= base + m->data_len)
		return rte_pktmbuf_mtod_offset(m, const uint8_t *, off - base);
	while (done < len) {
		uint32_t in = off + done - base;
		uint32_t k = RTE_MIN(len - done, (uint32_t)m->data_len - in);

		memcpy(d + done, rte_pktmbuf_mtod_offset(m, const uint8_t *, in), k);
		done += k;
		base += m->data_len;
		m = cur_next(c, m);
	}
	return scratch;
}

int64_t
sl_cursor_memchr(const struct sl_cursor *c, uint32_t from, uint32_t to, uint8_t b)
{
	struct rte_mbuf *m;
	uint32_t base;

	to = RTE_MIN(to, c->avail);
	if (from >= to)
		return -ENOENT;
	m = cur_seek(c, from, &base);
	while (m != NULL && base < to) {
		uint32_t s = from > base ? from - base : 0;
		uint32_t e = RTE_MIN((uint32_t)m->data_len, to - base);
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
		const uint8_t *hit = s < e ? memchr(p + s, b, e - s) : NULL;

		if (hit != NULL)
			return base + (uint32_t)(hit - p);
		base += m->data_len;
		m = cur_next(c, m);
	}
	return -ENOENT;
}

int64_t
sl_cursor_memmem(const struct sl_cursor *c, uint32_t from, uint32_t to, const void *pat,
		 uint32_t plen)
{
	const uint8_t *p = pat;
	uint8_t buf[64];
	int64_t at;

	if (plen == 0 || plen > sizeof(buf))
		return -EINVAL;
	to = RTE_MIN(to, c->avail);
	/* Candidates are occurrences of the first byte; each is checked whole (through
	 * peek, so a pattern split across slices is found too). */
	while (from < to && (uint64_t)from + plen <= c->avail) {
		const void *q;

		at = sl_cursor_memchr(c, from, to, p[0]);
		if (at < 0 || (uint64_t)at + plen > c->avail)
			return -ENOENT;
		q = sl_cursor_peek(c, (uint32_t)at, plen, buf);
		if (q != NULL && memcmp(q, p, plen) == 0)
			return at;
		from = (uint32_t)at + 1;
	}
	return -ENOENT;
}

static bool
cursor_read(const struct sl_cursor *c, uint32_t off, unsigned int n, uint64_t *v, bool be)
{
	uint8_t buf[8];
	const uint8_t *p;
	uint64_t x = 0;
	unsigned int i;

	if (n == 0 || n > 8)
		return false;
	p = sl_cursor_peek(c, off, n, buf);
	if (p == NULL)
		return false;
	for (i = 0; i < n; i++)
		x |= (uint64_t)p[be ? i : n - 1 - i] << (8 * (n - 1 - i));
	*v = x;
	return true;
}

bool
sl_cursor_read_be(const struct sl_cursor *c, uint32_t off, unsigned int n, uint64_t *v)
{
	return cursor_read(c, off, n, v, true);
}

bool
sl_cursor_read_le(const struct sl_cursor *c, uint32_t off, unsigned int n, uint64_t *v)
{
	return cursor_read(c, off, n, v, false);
}

unsigned int
sl_cursor_slices(const struct sl_cursor *c, uint32_t off, uint32_t len, struct sl_slice *out,
		 unsigned int max)
{
	struct rte_mbuf *m;
	uint32_t base, end;
	unsigned int n = 0;

	if (off >= c->avail || len == 0)
		return 0;
	end = (uint32_t)RTE_MIN((uint64_t)off + len, (uint64_t)c->avail);
	m = cur_seek(c, off, &base);
	while (m != NULL && base < end && n < max) {
		uint32_t s = off > base ? off - base : 0;
		uint32_t e = RTE_MIN((uint32_t)m->data_len, end - base);

		out[n].data = rte_pktmbuf_mtod_offset(m, const uint8_t *, s);
		out[n].len = e - s;
		n++;
		base += m->data_len;
		m = cur_next(c, m);
	}
	return n;
}
