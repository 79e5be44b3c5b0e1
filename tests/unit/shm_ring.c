/* shm internals: endpoint names, segment creation/mapping with header
 * validation, and the multi-producer ring (4 producer threads through a
 * second mapping, one consumer: every entry arrives once, in each
 * producer's order; a full ring refuses claims). */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "prov/shm/shm.h"
#include "testlib.h"

#define PRODUCERS 4
#define PER_PRODUCER 20000

static struct shm_region consumer_view;
static uint32_t self_pid, self_n = 4000000000u;

static void *producer(void *arg)
{
	uint32_t id = (uint32_t)(uintptr_t)arg;
	struct shm_region r;

	/* Each producer maps the segment itself, as a peer would. */
	CHECK_OK(shm_region_map(&r, self_pid, self_n));
	for (uint64_t i = 0; i < PER_PRODUCER; i++) {
		struct shm_entry *e;
		uint64_t pos;

		while (!(e = shm_ring_claim(&r, &pos)))
			sched_yield();
		e->op = SHM_OP_INLINE;
		e->src_n = id;
		e->tag = i;
		e->len = 8;
		memcpy(e->payload, &i, sizeof(i));
		shm_ring_publish(e, pos);
	}
	shm_region_unmap(&r);
	return NULL;
}

static void test_names(void)
{
	uint32_t pid, n;

	CHECK_OK(shm_name_parse("fi_shm://12:3", 14, &pid, &n));
	CHECK(pid == 12 && n == 3);
	CHECK_OK(shm_name_parse("fi_shm://4294967295:0", 64, &pid, &n));
	CHECK(pid == 4294967295u && n == 0);
	CHECK(shm_name_parse("fi_shm://4294967296:0", 64, &pid, &n));
	CHECK(shm_name_parse("fi_shm://0:1", 64, &pid, &n));
	CHECK(shm_name_parse("fi_shm://12", 64, &pid, &n));
	CHECK(shm_name_parse("fi_shm://12:", 64, &pid, &n));
	CHECK(shm_name_parse("fi_shm://12:3x", 64, &pid, &n));
	CHECK(shm_name_parse("fi_sock://12:3", 64, &pid, &n));
	CHECK(shm_name_parse("fi_shm://12:34", 12, &pid, &n)); /* cut */
	CHECK(shm_name_parse(NULL, 0, &pid, &n));
}

static void test_full(void)
{
	struct shm_region *r = &consumer_view;
	uint64_t pos, size = r->mask + 1;

	/* Data entries leave half the ring to answers... */
	CHECK(r->reserve == size / 2);
	for (uint64_t i = 0; i < size; i++) {
		struct shm_entry *e = i < size - r->reserve
					      ? shm_ring_claim(r, &pos)
					      : shm_ring_claim_reply(r, &pos);

		CHECK(e && pos == i);
		shm_ring_publish(e, pos);
		/* ...which may use all of it. */
		if (i == size - r->reserve - 1)
			CHECK(shm_ring_claim(r, &pos) == NULL);
	}
	CHECK(shm_ring_claim(r, &pos) == NULL);
	CHECK(shm_ring_claim_reply(r, &pos) == NULL);
	/* Consume everything, as the owner does. */
	for (uint64_t h = 0; h < size; h++) {
		struct shm_entry *e = &r->ring[h & r->mask];

		CHECK(weft_load_acquire(&e->seq) == h + 1);
		weft_store_release(&e->seq, h + size);
	}
}

static void test_threads(void)
{
	struct shm_region *r = &consumer_view;
	pthread_t th[PRODUCERS];
	uint64_t next[PRODUCERS] = { 0 };
	uint64_t head = r->mask + 1; /* test_full went one lap */
	uint64_t total = 0;

	for (uintptr_t i = 0; i < PRODUCERS; i++)
		CHECK(pthread_create(&th[i], NULL, producer, (void *)i) == 0);
	while (total < (uint64_t)PRODUCERS * PER_PRODUCER) {
		struct shm_entry *e = &r->ring[head & r->mask];
		uint64_t v;

		if (weft_load_acquire(&e->seq) != head + 1) {
			sched_yield();
			continue;
		}
		CHECK(e->op == SHM_OP_INLINE && e->src_n < PRODUCERS);
		memcpy(&v, e->payload, sizeof(v));
		CHECK(e->tag == next[e->src_n] && v == e->tag);
		next[e->src_n]++;
		weft_store_release(&e->seq, head + r->mask + 1);
		head++;
		total++;
	}
	for (int i = 0; i < PRODUCERS; i++)
		CHECK(pthread_join(th[i], NULL) == 0);
}

static void test_bad_header(void)
{
	struct shm_region r;
	uint32_t magic = consumer_view.hdr->magic;
	uint64_t off = consumer_view.hdr->bounce_off;

	consumer_view.hdr->magic = 0x12345678;
	CHECK_RET(shm_region_map(&r, self_pid, self_n), -FI_EHOSTUNREACH);
	consumer_view.hdr->magic = magic;
	consumer_view.hdr->bounce_off = ~0ull;
	CHECK_RET(shm_region_map(&r, self_pid, self_n), -FI_EHOSTUNREACH);
	consumer_view.hdr->bounce_off = off;
	CHECK_RET(shm_region_map(&r, self_pid, self_n + 1), -FI_EHOSTUNREACH);
	CHECK_OK(shm_region_map(&r, self_pid, self_n));
	shm_region_unmap(&r);
}

int main(void)
{
	self_pid = (uint32_t)getpid();
	shm_params.ring_size = 64;
	test_names();
	CHECK_OK(shm_region_create(&consumer_view, self_pid, self_n));
	CHECK(consumer_view.mask == 63);
	test_full();
	test_threads();
	test_bad_header();
	shm_region_unmap(&consumer_view);
	shm_region_unlink(self_pid, self_n);
	printf("shm ring: %d x %d entries through a 64-entry ring\n",
	       PRODUCERS, PER_PRODUCER);
	return 0;
}
