/* Tag matching per fi_tagged(3): ignore bits in both directions, oldest
 * match first, directed vs wildcard sources (and directed sources ignored
 * without FI_DIRECTED_RECV), take helpers, the untagged convention
 * (tag 0, ignore 0), and a randomised check against a brute-force model. */
#include "testlib.h"
#include "util/match.h"

struct entry {
	struct weft_match m;
	int id;
};

static int id_of(struct weft_match *m)
{
	return m ? weft_container_of(m, struct entry, m)->id : -1;
}

static void post(struct weft_match_queue *q, struct entry *e, int id,
		 uint64_t tag, uint64_t ignore, fi_addr_t addr)
{
	e->id = id;
	e->m.tag = tag;
	e->m.ignore = ignore;
	e->m.addr = addr;
	weft_match_queue_push(q, &e->m);
}

static void test_posted(void)
{
	struct weft_match_queue q;
	struct entry e[5];

	weft_match_queue_init(&q, true);
	CHECK(weft_match_queue_empty(&q));
	CHECK(weft_match_posted(&q, 1, 0) == NULL);
	post(&q, &e[0], 0, 0x1234, 0, 7);              /* exact, from 7 */
	post(&q, &e[1], 1, 0x1200, 0xff, FI_ADDR_UNSPEC); /* low byte wild */
	post(&q, &e[2], 2, 0x1234, 0, FI_ADDR_UNSPEC);
	post(&q, &e[3], 3, 0, ~0ULL, FI_ADDR_UNSPEC);  /* anything */
	post(&q, &e[4], 4, 0x1234, 0, 7);

	/* Oldest first: from 7, entry 0; from 8, the first wildcard. */
	CHECK(id_of(weft_match_posted(&q, 0x1234, 7)) == 0);
	CHECK(id_of(weft_match_posted(&q, 0x1234, 8)) == 1);
	CHECK(id_of(weft_match_posted(&q, 0x12ff, 8)) == 1);
	CHECK(id_of(weft_match_posted(&q, 0x1334, 8)) == 3);
	/* The sender's unknown (FI_ADDR_NOTAVAIL): only wildcards accept. */
	CHECK(id_of(weft_match_posted(&q, 0x1234, FI_ADDR_NOTAVAIL)) == 1);

	/* Taking removes; the search does not. */
	CHECK(id_of(weft_match_posted_take(&q, 0x1234, 7)) == 0);
	CHECK(id_of(weft_match_posted_take(&q, 0x1234, 7)) == 1);
	CHECK(id_of(weft_match_posted_take(&q, 0x1234, 7)) == 2);
	CHECK(id_of(weft_match_posted_take(&q, 0x1234, 7)) == 3);
	CHECK(id_of(weft_match_posted(&q, 0x1234, 7)) == 4);
	CHECK(weft_match_posted_take(&q, 0x1234, 8) == NULL);
	CHECK(id_of(weft_match_posted_take(&q, 0x1234, 7)) == 4);
	CHECK(weft_match_queue_empty(&q));

	/* Without FI_DIRECTED_RECV the posted source is not looked at. */
	weft_match_queue_init(&q, false);
	post(&q, &e[0], 0, 5, 0, 7);
	CHECK(id_of(weft_match_posted(&q, 5, 8)) == 0);
	weft_match_remove(&e[0].m);
	CHECK(weft_match_queue_empty(&q));
}

static void test_unexpected(void)
{
	struct weft_match_queue q;
	struct entry e[4];

	weft_match_queue_init(&q, true);
	/* Arrived messages: tag and sender, ignore 0. */
	post(&q, &e[0], 0, 0xa0, 0, 1);
	post(&q, &e[1], 1, 0xa1, 0, 2);
	post(&q, &e[2], 2, 0xb1, 0, 2);
	post(&q, &e[3], 3, 0xa1, 0, 3);

	CHECK(id_of(weft_match_unexpected(&q, 0xa1, 0, FI_ADDR_UNSPEC)) == 1);
	CHECK(id_of(weft_match_unexpected(&q, 0xa1, 0, 3)) == 3);
	CHECK(id_of(weft_match_unexpected(&q, 0xa0, 0x1, 2)) == 1);
	CHECK(id_of(weft_match_unexpected(&q, 0x01, 0xf0, 2)) == 1);
	CHECK(id_of(weft_match_unexpected(&q, 0x00, ~0ULL, 2)) == 1);
	CHECK(id_of(weft_match_unexpected(&q, 0xb0, 0x0f, FI_ADDR_UNSPEC)) == 2);
	CHECK(weft_match_unexpected(&q, 0xc0, 0x0f, FI_ADDR_UNSPEC) == NULL);
	CHECK(weft_match_unexpected(&q, 0xa0, 0, 2) == NULL);
	/* The posted receive's ignore bits apply to the arrived tag. */
	CHECK(id_of(weft_match_unexpected_take(&q, 0xa3, 0x03, FI_ADDR_UNSPEC)) == 0);
	CHECK(id_of(weft_match_unexpected_take(&q, 0xa3, 0x03, FI_ADDR_UNSPEC)) == 1);
	CHECK(id_of(weft_match_unexpected_take(&q, 0xa3, 0x03, FI_ADDR_UNSPEC)) == 3);
	CHECK(weft_match_unexpected_take(&q, 0xa3, 0x03, FI_ADDR_UNSPEC) == NULL);
	CHECK(id_of(weft_match_unexpected_take(&q, 0, 0, FI_ADDR_UNSPEC)) == -1);
	CHECK(id_of(weft_match_unexpected_take(&q, 0xb1, 0, 2)) == 2);
	CHECK(weft_match_queue_empty(&q));

	/* Untagged traffic: tag 0, ignore 0 on both sides. */
	post(&q, &e[0], 0, 0, 0, 9);
	CHECK(id_of(weft_match_unexpected(&q, 0, 0, FI_ADDR_UNSPEC)) == 0);
	CHECK(id_of(weft_match_unexpected(&q, 0, 0, 9)) == 0);
	CHECK(weft_match_unexpected(&q, 0, 0, 8) == NULL);
	weft_match_remove(&e[0].m);
}

/* Random queues against a model written from the man page's rule. */
static void test_random(void)
{
	enum { N = 64 };
	struct entry e[N];
	struct weft_match_queue q;
	uint64_t seed = 12345;

	for (int round = 0; round < 200; round++) {
		bool directed = round & 1;
		weft_match_queue_init(&q, directed);
		for (int i = 0; i < N; i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			post(&q, &e[i], i, (seed >> 33) & 0xf, (seed >> 40) & 0x3,
			     (seed >> 50) & 1 ? FI_ADDR_UNSPEC : (seed >> 52) & 3);
		}
		for (uint64_t tag = 0; tag < 16; tag++)
			for (fi_addr_t src = 0; src < 4; src++) {
				int want = -1;
				for (int i = 0; i < N && want < 0; i++) {
					bool tag_ok = ((e[i].m.tag ^ tag) &
						       ~e[i].m.ignore) == 0;
					bool src_ok = !directed ||
						      e[i].m.addr == FI_ADDR_UNSPEC ||
						      e[i].m.addr == src;
					if (tag_ok && src_ok)
						want = i;
				}
				CHECK(id_of(weft_match_posted(&q, tag, src)) == want);
			}
	}
}

int main(void)
{
	test_posted();
	test_unexpected();
	test_random();
	return 0;
}
