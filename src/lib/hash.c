/* Open addressing with linear probing. The table keeps at least a quarter
 * of its slots empty (counting tombstones as full), so every probe
 * sequence ends at an empty slot and a miss costs a few cache lines. */
#include <rdma/fi_errno.h>
#include <stdlib.h>

#include "lib/hash.h"

enum {
	WEFT_HASH_EMPTY = 0,
	WEFT_HASH_USED,
	WEFT_HASH_DELETED,
};

#define WEFT_HASH_MIN_CAP 16

uint64_t weft_hash_u64(uint64_t x)
{
	/* splitmix64's finaliser: every input bit affects every output bit,
	 * so sequential keys spread over the table. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t weft_hash_bytes(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return weft_hash_u64(h);
}

static size_t cap_for(size_t entries)
{
	size_t cap = WEFT_HASH_MIN_CAP;

	/* Keep the load at or below one half after sizing. */
	while (cap < entries * 2 && cap < (SIZE_MAX >> 2))
		cap <<= 1;
	return cap;
}

int weft_hash_init(struct weft_hash *h, size_t hint)
{
	size_t cap = cap_for(hint);
	struct weft_hash_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -FI_ENOMEM;
	h->slots = slots;
	h->mask = cap - 1;
	h->used = 0;
	h->deleted = 0;
	return 0;
}

void weft_hash_fini(struct weft_hash *h)
{
	free(h->slots);
	h->slots = NULL;
	h->mask = 0;
	h->used = h->deleted = 0;
}

static void place(struct weft_hash_slot *slots, size_t mask, uint64_t key,
		  uint64_t value)
{
	size_t i = weft_hash_u64(key) & mask;

	while (slots[i].state == WEFT_HASH_USED)
		i = (i + 1) & mask;
	slots[i].key = key;
	slots[i].value = value;
	slots[i].state = WEFT_HASH_USED;
}

/* Rebuild into a table sized for `entries` live entries, dropping the
 * tombstones. */
static int rehash(struct weft_hash *h, size_t entries)
{
	size_t cap = cap_for(entries);
	struct weft_hash_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -FI_ENOMEM;
	for (size_t i = 0; i <= h->mask; i++) {
		if (h->slots[i].state == WEFT_HASH_USED)
			place(slots, cap - 1, h->slots[i].key,
			      h->slots[i].value);
	}
	free(h->slots);
	h->slots = slots;
	h->mask = cap - 1;
	h->deleted = 0;
	return 0;
}

int weft_hash_insert(struct weft_hash *h, uint64_t key, uint64_t value)
{
	size_t cap = h->mask + 1;
	size_t i;

	if (!h->slots)
		return -FI_ENOMEM;
	/* Grow (or just sweep tombstones) before the table passes 3/4. */
	if ((h->used + h->deleted + 1) * 4 > cap * 3) {
		int ret = rehash(h, h->used + 1);
		if (ret)
			return ret;
	}
	/* Reuse the first tombstone on the probe path, else the empty slot
	 * that ends it. */
	i = weft_hash_u64(key) & h->mask;
	while (h->slots[i].state == WEFT_HASH_USED)
		i = (i + 1) & h->mask;
	if (h->slots[i].state == WEFT_HASH_DELETED)
		h->deleted--;
	h->slots[i].key = key;
	h->slots[i].value = value;
	h->slots[i].state = WEFT_HASH_USED;
	h->used++;
	return 0;
}

bool weft_hash_next(const struct weft_hash *h, uint64_t key, size_t *cursor,
		    uint64_t *value)
{
	size_t start, i;

	if (!h->slots)
		return false;
	/* The cursor counts probe steps taken from the key's home slot. */
	start = weft_hash_u64(key) & h->mask;
	for (size_t step = *cursor; step <= h->mask; step++) {
		i = (start + step) & h->mask;
		if (h->slots[i].state == WEFT_HASH_EMPTY)
			break;
		if (h->slots[i].state == WEFT_HASH_USED &&
		    h->slots[i].key == key) {
			*value = h->slots[i].value;
			*cursor = step + 1;
			return true;
		}
	}
	*cursor = h->mask + 1;
	return false;
}

bool weft_hash_find(const struct weft_hash *h, uint64_t key, uint64_t *value)
{
	size_t cursor = 0;

	return weft_hash_next(h, key, &cursor, value);
}

bool weft_hash_remove(struct weft_hash *h, uint64_t key, uint64_t value)
{
	size_t start, i;

	if (!h->slots)
		return false;
	start = weft_hash_u64(key) & h->mask;
	for (size_t step = 0; step <= h->mask; step++) {
		i = (start + step) & h->mask;
		if (h->slots[i].state == WEFT_HASH_EMPTY)
			return false;
		if (h->slots[i].state == WEFT_HASH_USED &&
		    h->slots[i].key == key && h->slots[i].value == value) {
			/* An empty successor means no probe sequence runs
			 * through this slot: it can become empty again. */
			if (h->slots[(i + 1) & h->mask].state ==
			    WEFT_HASH_EMPTY) {
				h->slots[i].state = WEFT_HASH_EMPTY;
			} else {
				h->slots[i].state = WEFT_HASH_DELETED;
				h->deleted++;
			}
			h->used--;
			return true;
		}
	}
	return false;
}
