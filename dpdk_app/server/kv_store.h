/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SLUICE_KV_STORE_H
#define SLUICE_KV_STORE_H

/*
 * kv_store.h -- an in-memory table of keys and values with optional expiry, for
 * `--mode kv` (mode_kv.c speaks RESP on top of it; nothing here knows RESP).
 *
 * Threading: one store per worker, used only by that worker's thread.
 *
 * Time: every call takes now_ms, the caller's clock in milliseconds; an entry whose
 * expire_ms is at or before it is gone (removed when it is next touched).
 *
 * Changes are all or nothing in two steps, so that a caller can check everything, answer,
 * and only then change the store: kv_store_reserve() takes what a write needs (room under
 * the key limit, memory for the entry) and changes nothing visible; kv_store_put() then
 * applies it and cannot fail, or kv_store_unreserve() gives it back.
 */

#include <stdbool.h>
#include <stdint.h>

struct kv_store;
struct kv_entry;

/* A value held by the store: valid until the next put, delete or destroy. */
struct kv_value {
	const uint8_t *data;
	uint32_t len;
};

/* One write: filled by the caller, then by kv_store_reserve(). The key and value bytes
 * are copied by kv_store_put(), and must stay valid until then. */
struct kv_put {
	const uint8_t *key;
	uint32_t klen;
	const uint8_t *val;
	uint32_t vlen;
	uint64_t expire_ms;		/* absolute, 0: none */
	bool keepttl;			/* an existing key keeps its expiry instead */
	/* reserve's, for put: */
	struct kv_entry *spare;		/* the entry to take the value, NULL: in place */
	bool fresh;			/* the key is new: it takes one of max_keys */
};

struct kv_store_stats {
	uint64_t keys;			/* held, expired ones not yet removed included */
	uint64_t bytes;			/* allocated for entries */
	uint64_t expired;		/* removed on expiry */
};

/*
 * A store for at most max_keys keys, its table sized for them (at most half full).
 *
 * @return
 *   The store, or NULL with rte_errno ENOMEM.
 */
struct kv_store *
kv_store_create(uint64_t max_keys);

/*
 * Free every entry and the store.
 *
 * @param bytes_left
 *   Set to the bytes the store's accounting still holds once every entry is freed: 0
 *   unless an entry leaked.
 * @return
 *   The number of entries freed (kv_store_stats().keys just before, when nothing leaked).
 */
uint64_t
kv_store_destroy(struct kv_store *st, uint64_t *bytes_left);

void
kv_store_stats(const struct kv_store *st, struct kv_store_stats *out);

/* The value of key k. false when there is none (or it expired). */
bool
kv_store_get(struct kv_store *st, uint64_t now_ms, const uint8_t *k, uint32_t klen,
	     struct kv_value *v);

/*
 * Take what putting p->vlen bytes under p->key needs: room under max_keys for a new key
 * (reservations of new keys count until they are put or given back) and memory for an
 * entry unless the current one takes the value in place.
 *
 * @return
 *   0, or -ENOMEM (the store holds max_keys, or no memory); on error nothing is taken.
 */
int
kv_store_reserve(struct kv_store *st, uint64_t now_ms, struct kv_put *p);

/*
 * Apply a write reserved by kv_store_reserve(), with the same now_ms and no other change
 * to that key in between. Cannot fail.
 */
void
kv_store_put(struct kv_store *st, uint64_t now_ms, struct kv_put *p);

/* Give back what kv_store_reserve() took for p, which will not be put. */
void
kv_store_unreserve(struct kv_store *st, struct kv_put *p);

/* Remove key k. false when there was none (or it had expired). */
bool
kv_store_del(struct kv_store *st, uint64_t now_ms, const uint8_t *k, uint32_t klen);

#endif /* SLUICE_KV_STORE_H */
