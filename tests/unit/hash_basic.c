/* lib/hash: insert/find/remove with growth, duplicate keys iterated with
 * weft_hash_next, tombstones not breaking probe chains, and a randomised
 * run against a brute-force model (array of live pairs). */
#include "testlib.h"
#include "lib/hash.h"

static void test_basic(void)
{
	struct weft_hash h;
	uint64_t v;

	CHECK_OK(weft_hash_init(&h, 0));
	CHECK(!weft_hash_find(&h, 1, &v));
	CHECK(!weft_hash_remove(&h, 1, 1));
	for (uint64_t k = 0; k < 10000; k++)
		CHECK_OK(weft_hash_insert(&h, k, k * 3));
	CHECK(weft_hash_count(&h) == 10000);
	for (uint64_t k = 0; k < 10000; k++) {
		CHECK(weft_hash_find(&h, k, &v) && v == k * 3);
	}
	CHECK(!weft_hash_find(&h, 10000, &v));
	for (uint64_t k = 0; k < 10000; k += 2)
		CHECK(weft_hash_remove(&h, k, k * 3));
	CHECK(!weft_hash_remove(&h, 1, 0)); /* value must match too */
	for (uint64_t k = 0; k < 10000; k++)
		CHECK(weft_hash_find(&h, k, &v) == (k & 1));
	CHECK(weft_hash_count(&h) == 5000);
	weft_hash_fini(&h);
	weft_hash_fini(&h); /* idempotent */
}

static void test_duplicates(void)
{
	struct weft_hash h;
	size_t cursor = 0;
	uint64_t v, seen = 0;

	CHECK_OK(weft_hash_init(&h, 4));
	for (uint64_t i = 0; i < 5; i++)
		CHECK_OK(weft_hash_insert(&h, 42, i));
	CHECK_OK(weft_hash_insert(&h, 43, 100));
	while (weft_hash_next(&h, 42, &cursor, &v)) {
		CHECK(v < 5 && !(seen & (1u << v)));
		seen |= 1u << v;
	}
	CHECK(seen == 0x1f);
	CHECK(!weft_hash_next(&h, 42, &cursor, &v)); /* stays exhausted */
	CHECK(weft_hash_remove(&h, 42, 3));
	seen = 0;
	cursor = 0;
	while (weft_hash_next(&h, 42, &cursor, &v))
		seen |= 1u << v;
	CHECK(seen == 0x17);
	CHECK(weft_hash_find(&h, 43, &v) && v == 100);
	weft_hash_fini(&h);
}

static void test_random(void)
{
	enum { N = 3000 };
	static uint64_t keys[N], vals[N];
	static bool live[N];
	struct weft_hash h;
	uint64_t seed = 99;

	CHECK_OK(weft_hash_init(&h, 0));
	for (int step = 0; step < 200000; step++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		int i = (int)((seed >> 33) % N);
		if (!live[i]) {
			/* Small key space: many duplicates and collisions. */
			keys[i] = (seed >> 20) % 512;
			vals[i] = (uint64_t)i + 1; /* 0 = never inserted */
			CHECK_OK(weft_hash_insert(&h, keys[i], vals[i]));
			live[i] = true;
		} else {
			CHECK(weft_hash_remove(&h, keys[i], vals[i]));
			live[i] = false;
		}
		if (step % 5000 == 0) {
			size_t n = 0;
			for (int j = 0; j < N; j++) {
				size_t cursor = 0;
				uint64_t v;
				bool found = false;
				if (live[j])
					n++;
				while (weft_hash_next(&h, keys[j], &cursor, &v))
					found |= v == vals[j];
				CHECK(found == live[j]);
			}
			CHECK(weft_hash_count(&h) == n);
		}
	}
	weft_hash_fini(&h);
	CHECK(weft_hash_bytes("abc", 3) != weft_hash_bytes("abd", 3));
	CHECK(weft_hash_u64(1) != weft_hash_u64(2));
}

int main(void)
{
	test_basic();
	test_duplicates();
	test_random();
	return 0;
}
