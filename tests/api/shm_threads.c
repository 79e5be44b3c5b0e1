/* shm: FI_THREAD_SAFE. Four threads of one process send tagged messages
 * (inline and rendezvous) on one shared endpoint and all of them read its
 * transmit CQ; in a second process four threads post receives on one
 * endpoint and read its receive CQ. Every message has its own buffer, so
 * whichever thread reads a completion can check it. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "shm_test.h"

#define NT 4
#define PER 200
#define TOTAL (NT * PER)
#define BIG 8000

static struct shm_t t;
static fi_addr_t peer;
static char *bufs; /* TOTAL x BIG */
static atomic_int done_count;
static atomic_int outstanding[NT];
static atomic_bool seen[TOTAL];

static size_t len_of(unsigned id)
{
	return (id % 3 == 0) ? BIG : 32 + id % 100;
}

/* Read one completion if there is one; on the receive side, check it. */
static void reap(bool rx)
{
	struct fi_cq_tagged_entry c;
	ssize_t r = fi_cq_read(rx ? t.rx : t.tx, &c, 1);
	unsigned id;

	if (r == -FI_EAGAIN)
		return;
	CHECK_RET(r, 1);
	id = (unsigned)(((char *)c.op_context - bufs) / BIG);
	CHECK(id < TOTAL);
	if (rx) {
		CHECK(c.tag == id && c.len == len_of(id));
		CHECK(shm_t_check(c.op_context, c.len, id));
		CHECK(!atomic_exchange(&seen[id], true));
		atomic_fetch_sub(&outstanding[id / PER], 1);
	}
	atomic_fetch_add(&done_count, 1);
}

static void *sender_thread(void *arg)
{
	unsigned th = (unsigned)(uintptr_t)arg;
	long end = shm_t_now_ms() + 60000;

	for (unsigned i = 0; i < PER; i++) {
		unsigned id = th * PER + i;
		char *b = bufs + (size_t)id * BIG;
		ssize_t r;

		shm_t_fill(b, len_of(id), id);
		while ((r = fi_tsend(t.ep, b, len_of(id), NULL, peer, id,
				     b)) == -FI_EAGAIN) {
			CHECK(shm_t_now_ms() < end);
			reap(false);
			sched_yield();
		}
		CHECK_RET(r, 0);
		reap(false);
	}
	while (atomic_load(&done_count) < TOTAL) {
		CHECK(shm_t_now_ms() < end);
		reap(false);
		sched_yield();
	}
	return NULL;
}

static void *receiver_thread(void *arg)
{
	unsigned th = (unsigned)(uintptr_t)arg;
	long end = shm_t_now_ms() + 60000;
	unsigned next = 0;

	while (atomic_load(&done_count) < TOTAL) {
		CHECK(shm_t_now_ms() < end);
		/* Keep up to 8 of this thread's receives posted. */
		if (next < PER && atomic_load(&outstanding[th]) < 8) {
			unsigned id = th * PER + next;
			char *b = bufs + (size_t)id * BIG;
			ssize_t r = fi_trecv(t.ep, b, BIG, NULL,
					     FI_ADDR_UNSPEC, id, 0, b);

			if (r == 0) {
				atomic_fetch_add(&outstanding[th], 1);
				next++;
			} else {
				CHECK_RET(r, -FI_EAGAIN);
			}
		}
		reap(true);
		sched_yield();
	}
	return NULL;
}

static void run(const struct shm_t_pipe *p, bool send)
{
	pthread_t th[NT];

	bufs = malloc((size_t)TOTAL * BIG);
	CHECK(bufs);
	shm_t_open(&t, FI_TAGGED);
	CHECK(t.info->domain_attr->threading == FI_THREAD_SAFE);
	peer = shm_t_swap(&t, p);
	shm_t_sync(p);
	for (uintptr_t i = 0; i < NT; i++)
		CHECK(pthread_create(&th[i], NULL,
				     send ? sender_thread : receiver_thread,
				     (void *)i) == 0);
	for (int i = 0; i < NT; i++)
		CHECK(pthread_join(th[i], NULL) == 0);
	CHECK(atomic_load(&done_count) == TOTAL);
	for (unsigned id = 0; !send && id < TOTAL; id++)
		CHECK(atomic_load(&seen[id]));
	shm_t_sync(p);
	shm_t_close(&t);
	free(bufs);
}

int main(void)
{
	struct shm_t_pipe p[2];
	pid_t child;

	weft_test_require_weft_loaded();
	alarm(100);
	shm_t_pipes(p);
	child = shm_t_fork();
	CHECK(child >= 0);
	if (child == 0) {
		alarm(90);
		close(p[0].rfd);
		close(p[0].wfd);
		run(&p[1], true);
		exit(0);
	}
	close(p[1].rfd);
	close(p[1].wfd);
	run(&p[0], false);
	CHECK(shm_t_reap(child, 30000) == 0);
	return 0;
}
