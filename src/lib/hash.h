/* A small open-addressing hash table from 64-bit keys to 64-bit values.
 *
 * Keys need not be unique: the AV stores (hash of address bytes -> slot)
 * pairs and walks every entry with a given key to compare the bytes
 * itself; the MR map stores (key -> region) with unique keys. Lookups never
 * allocate; inserts may grow the table (allocation), removals leave a
 * tombstone that the next growth or rehash sweeps away.
 *
 * Not thread-safe: the owner serialises access with its own lock.
 */
#ifndef WEFT_LIB_HASH_H
#define WEFT_LIB_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct weft_hash_slot {
	uint64_t key;
	uint64_t value;
	uint8_t state; /* WEFT_HASH_EMPTY, _USED or _DELETED (hash.c) */
};

struct weft_hash {
	struct weft_hash_slot *slots; /* capacity is a power of two */
	size_t mask;                  /* capacity - 1 */
	size_t used;                  /* live entries */
	size_t deleted;               /* tombstones */
};

/* hint: expected number of entries (0 for a small default). 0 or
 * -FI_ENOMEM. */
int weft_hash_init(struct weft_hash *h, size_t hint);
void weft_hash_fini(struct weft_hash *h);

/* Add (key, value); duplicates of key (and of the pair) are allowed.
 * 0 or -FI_ENOMEM (the table is unchanged then). */
int weft_hash_insert(struct weft_hash *h, uint64_t key, uint64_t value);
/* Remove one entry equal to (key, value); false if there is none. */
bool weft_hash_remove(struct weft_hash *h, uint64_t key, uint64_t value);
/* The first value stored under key, in *value; false if none. */
bool weft_hash_find(const struct weft_hash *h, uint64_t key, uint64_t *value);

/* Iterate over all values stored under key. Start with *cursor = 0; each
 * true return gives the next value. The table must not change between
 * calls. */
bool weft_hash_next(const struct weft_hash *h, uint64_t key, size_t *cursor,
		    uint64_t *value);

static inline size_t weft_hash_count(const struct weft_hash *h)
{
	return h->used;
}

/* Hash functions for building keys: a 64-bit integer mixer and a byte
 * string hash (FNV-1a folded through the mixer). Not cryptographic. */
uint64_t weft_hash_u64(uint64_t x);
uint64_t weft_hash_bytes(const void *buf, size_t len);

#endif
