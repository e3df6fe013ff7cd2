/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kv_store.c -- the table behind `--mode kv` (kv_store.h).
 *
 * An open-addressing table (linear probing, backward-shift deletion, so no tombstones)
 * keyed by SipHash-1-3 with a random key (a client cannot aim keys at one probe run
 * without it), holding pointers to entries allocated with rte_malloc (key and value in
 * one block). The table has at least twice as many slots as max_keys, so it is at most
 * half full and a free slot ends every probe. Keys with a TTL are removed when they are
 * next touched (there is no background expiry) and count against max_keys until then.
 */

#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "kv_store.h"

#define KV_MIN_SLOTS 16

/* A key and its value, in one rte_malloc block. */
struct kv_entry {
	uint64_t expire_ms;		/* absolute, 0: none */
	uint32_t klen;
	uint32_t vlen;
	uint32_t vcap;			/* room for the value */
	uint8_t data[];			/* key, then value */
};

struct kv_slot {
	uint32_t hash;
	struct kv_entry *e;		/* NULL: free */
};

struct kv_store {
	struct kv_slot *slots;
	uint64_t mask;
	uint64_t count;			/* keys held */
	uint64_t reserved;		/* new keys reserved, not yet put */
	uint64_t max_keys;
	uint64_t mem;			/* bytes of entries allocated */
	uint64_t expired;
	uint64_t hkey[2];		/* SipHash key, random per store */
} __rte_cache_aligned;

static inline uint64_t
sip_rotl(uint64_t x, unsigned int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void
sip_round(uint64_t v[4])
{
	v[0] += v[1]; v[1] = sip_rotl(v[1], 13); v[1] ^= v[0]; v[0] = sip_rotl(v[0], 32);
	v[2] += v[3]; v[3] = sip_rotl(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = sip_rotl(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = sip_rotl(v[1], 17); v[1] ^= v[2]; v[2] = sip_rotl(v[2], 32);
}

/* SipHash-1-3 of the key (byte loads through memcpy: keys sit at any alignment inside
 * received messages, and nothing past their end is read). */
static uint32_t
kv_hash(const struct kv_store *st, const uint8_t *k, uint32_t klen)
{
	uint64_t v[4] = {
		st->hkey[0] ^ 0x736f6d6570736575ULL, st->hkey[1] ^ 0x646f72616e646f6dULL,
		st->hkey[0] ^ 0x6c7967656e657261ULL, st->hkey[1] ^ 0x7465646279746573ULL,
	};
	uint64_t m, b = (uint64_t)klen << 56;
	uint32_t i, left = klen & 7;

	for (i = 0; i + 8 <= klen; i += 8) {
		memcpy(&m, k + i, 8);
		v[3] ^= m;
		sip_round(v);
		v[0] ^= m;
	}
	for (m = 0; left > 0; left--)
		m |= (uint64_t)k[i + left - 1] << (8 * (left - 1));
	b |= m;
	v[3] ^= b;
	sip_round(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	sip_round(v);
	sip_round(v);
	sip_round(v);
	m = v[0] ^ v[1] ^ v[2] ^ v[3];
	return (uint32_t)(m ^ (m >> 32));
}

static struct kv_entry *
kv_entry_alloc(struct kv_store *st, const uint8_t *k, uint32_t klen, uint32_t vcap)
{
	size_t sz = sizeof(struct kv_entry) + (size_t)klen + vcap;
	struct kv_entry *e = rte_malloc("sl_kv", sz, 0);

	if (e == NULL)
		return NULL;
	e->expire_ms = 0;
	e->klen = klen;
	e->vlen = 0;
	e->vcap = vcap;
	memcpy(e->data, k, klen);
	st->mem += sz;
	return e;
}

static void
kv_entry_free(struct kv_store *st, struct kv_entry *e)
{
	st->mem -= sizeof(struct kv_entry) + (size_t)e->klen + e->vcap;
	rte_free(e);
}

/* Can e take a value of vlen bytes in place (without wasting much room)? */
static bool
kv_fits(const struct kv_entry *e, uint32_t vlen)
{
	return e->vcap >= vlen && e->vcap <= 2 * (uint64_t)vlen + 64;
}

/* Slot of key k (hash h), or of the free slot where it would go. */
static uint64_t
kv_probe(const struct kv_store *st, uint32_t h, const uint8_t *k, uint32_t klen)
{
	uint64_t i = h & st->mask;

	for (;;) {
		const struct kv_slot *s = &st->slots[i];

		if (s->e == NULL || (s->hash == h && s->e->klen == klen &&
				     memcmp(s->e->data, k, klen) == 0))
			return i;
		i = (i + 1) & st->mask;
	}
}

/* Remove the entry at slot i: backward-shift the run after it (no tombstones). */
static void
kv_slot_remove(struct kv_store *st, uint64_t i)
{
	uint64_t j = i;

	kv_entry_free(st, st->slots[i].e);
	st->count--;
	for (;;) {
		uint64_t home;

		j = (j + 1) & st->mask;
		if (st->slots[j].e == NULL)
			break;
		home = st->slots[j].hash & st->mask;
		/* Move j back to i unless its home lies cyclically in (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			st->slots[i] = st->slots[j];
			i = j;
		}
	}
	st->slots[i].e = NULL;
	st->slots[i].hash = 0;
}

/* The live entry of key k at *slot (an expired one is removed on the way), or NULL with
 * *slot the free slot for it. */
static struct kv_entry *
kv_find(struct kv_store *st, uint64_t now_ms, const uint8_t *k, uint32_t klen, uint32_t h,
	uint64_t *slot)
{
	uint64_t i = kv_probe(st, h, k, klen);
	struct kv_entry *e = st->slots[i].e;

	if (e != NULL && e->expire_ms != 0 && e->expire_ms <= now_ms) {
		kv_slot_remove(st, i);
		st->expired++;
		i = kv_probe(st, h, k, klen);
		e = NULL;
	}
	*slot = i;
	return e;
}

struct kv_store *
kv_store_create(uint64_t max_keys)
{
	struct kv_store *st;
	uint64_t n = KV_MIN_SLOTS;

	while (n < 2 * max_keys)
		n <<= 1;
	st = rte_zmalloc("sl_kv_store", sizeof(*st), RTE_CACHE_LINE_SIZE);
	if (st == NULL)
		goto fail;
	st->slots = rte_zmalloc("sl_kv_table", n * sizeof(st->slots[0]), RTE_CACHE_LINE_SIZE);
	if (st->slots == NULL)
		goto fail;
	st->mask = n - 1;
	st->max_keys = max_keys;
	st->hkey[0] = rte_rand();
	st->hkey[1] = rte_rand();
	return st;
fail:
	rte_free(st);
	rte_errno = ENOMEM;
	return NULL;
}

uint64_t
kv_store_destroy(struct kv_store *st, uint64_t *bytes_left)
{
	uint64_t i, n = 0;

	*bytes_left = 0;
	if (st == NULL)
		return 0;
	for (i = 0; i <= st->mask; i++) {
		if (st->slots[i].e != NULL) {
			kv_entry_free(st, st->slots[i].e);
			n++;
		}
	}
	*bytes_left = st->mem;
	rte_free(st->slots);
	rte_free(st);
	return n;
}

void
kv_store_stats(const struct kv_store *st, struct kv_store_stats *out)
{
	out->keys = st->count;
	out->bytes = st->mem;
	out->expired = st->expired;
}

bool
kv_store_get(struct kv_store *st, uint64_t now_ms, const uint8_t *k, uint32_t klen,
	     struct kv_value *v)
{
	uint64_t slot;
	struct kv_entry *e = kv_find(st, now_ms, k, klen, kv_hash(st, k, klen), &slot);

	if (e == NULL)
		return false;
	v->data = e->data + e->klen;
	v->len = e->vlen;
	return true;
}

int
kv_store_reserve(struct kv_store *st, uint64_t now_ms, struct kv_put *p)
{
	uint64_t slot;
	struct kv_entry *e = kv_find(st, now_ms, p->key, p->klen,
				     kv_hash(st, p->key, p->klen), &slot);

	p->spare = NULL;
	p->fresh = e == NULL;
	if (e != NULL && kv_fits(e, p->vlen))
		return 0;
	if (p->fresh && st->count + st->reserved >= st->max_keys)
		return -ENOMEM;
	p->spare = kv_entry_alloc(st, p->key, p->klen, p->vlen);
	if (p->spare == NULL)
		return -ENOMEM;
	if (p->fresh)
		st->reserved++;
	return 0;
}

void
kv_store_unreserve(struct kv_store *st, struct kv_put *p)
{
	if (p->spare != NULL)
		kv_entry_free(st, p->spare);
	if (p->fresh && p->spare != NULL)
		st->reserved--;
	p->spare = NULL;
	p->fresh = false;
}

void
kv_store_put(struct kv_store *st, uint64_t now_ms, struct kv_put *p)
{
	uint32_t h = kv_hash(st, p->key, p->klen);
	uint64_t slot;
	struct kv_entry *e = kv_find(st, now_ms, p->key, p->klen, h, &slot);
	struct kv_entry *n = p->spare;

	if (p->fresh && n != NULL)
		st->reserved--;
	if (n == NULL) {
		/* The reservation found e, and it takes the value in place. */
		memcpy(e->data + e->klen, p->val, p->vlen);
		e->vlen = p->vlen;
		if (!p->keepttl)
			e->expire_ms = p->expire_ms;
		return;
	}
	memcpy(n->data + n->klen, p->val, p->vlen);
	n->vlen = p->vlen;
	n->expire_ms = p->expire_ms;
	if (e != NULL) {
		if (p->keepttl)
			n->expire_ms = e->expire_ms;
		kv_entry_free(st, e);
	} else {
		st->count++;
		st->slots[slot].hash = h;
	}
	st->slots[slot].e = n;
	p->spare = NULL;
}

bool
kv_store_del(struct kv_store *st, uint64_t now_ms, const uint8_t *k, uint32_t klen)
{
	uint64_t slot;

	if (kv_find(st, now_ms, k, klen, kv_hash(st, k, klen), &slot) == NULL)
		return false;
	kv_slot_remove(st, slot);
	return true;
}
