/* shm: a large transfer in progress never blocks later small messages
 * (no head-of-line blocking). Order of completions at the receiver only,
 * no timing; data checked byte for byte. In fresh processes with CMA and
 * the cooperative copy (FI_SHM_COOP=1), CMA alone (FI_SHM_COOP=0), and
 * without CMA (FI_SHM_CMA=0, bounce buffers):
 *  1. same peer: A sends one BIG message, then small ones; they complete
 *     at the receiver before the big one;
 *  2. other peer: while A's BIG message to R is being copied, B's small
 *     messages to R complete before it;
 *  3. the big message unexpected (its receive posted only after the small
 *     ones were received): the small ones do not wait for it.
 *
 * "In progress" is made certain without timing: the processes step in
 * lock-step over pipes. After A posts the big send, A and R each make at
 * most STEPS progress calls (each moves at most 256 KiB of one message,
 * or 64 bounce slots of 8 KiB), far from BIG; then both stop while the
 * small sends are posted, so the big message is still mostly uncopied
 * when the small ones are in the receiver's ring. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdlib.h>

#include "shm_test.h"

#define BIG ((size_t)64 << 20)
#define STEPS 32
#define TAG_BIG 1
#define TAG_SMALL 100

/* Inline, eager (bounce slot), the eager limit, and past it (rendezvous
 * through bounce buffers: only where the big one moves by the same
 * sender's pump, FI_SHM_CMA=0 in scenario 1, and in scenario 3). */
static const size_t small_len[] = { 8, 192, 1000, 4096, 8192, 16384 };
#define NSMALL_ALL 6
#define NSMALL_EAGER 5

static bool cma_on;

static void say(const struct shm_t_pipe *p, char c)
{
	shm_t_send_bytes(p, &c, 1);
}

static void hear(const struct shm_t_pipe *p, char want)
{
	char c = 0;

	shm_t_recv_bytes(p, &c, 1);
	CHECK(c == want);
}

static bool heard(const struct shm_t_pipe *p, char want)
{
	struct pollfd pfd = { .fd = p->rfd, .events = POLLIN };

	if (poll(&pfd, 1, 0) != 1)
		return false;
	hear(p, want);
	return true;
}

struct bufs {
	char *big;
	char *small[NSMALL_ALL];
};

static void bufs_alloc(struct bufs *b, bool fill)
{
	b->big = malloc(BIG);
	CHECK(b->big);
	if (fill)
		shm_t_fill(b->big, BIG, 7);
	else
		memset(b->big, 0, BIG);
	for (int i = 0; i < NSMALL_ALL; i++) {
		b->small[i] = malloc(small_len[i]);
		CHECK(b->small[i]);
		if (fill)
			shm_t_fill(b->small[i], small_len[i], 20 + i);
		else
			memset(b->small[i], 0, small_len[i]);
	}
}

static void bufs_free(struct bufs *b)
{
	free(b->big);
	for (int i = 0; i < NSMALL_ALL; i++)
		free(b->small[i]);
}

static void post_small_recvs(struct shm_t *t, struct bufs *b, int n)
{
	for (int i = 0; i < n; i++)
		SHM_T_POST(t->rx, fi_trecv(t->ep, b->small[i], small_len[i],
					   NULL, FI_ADDR_UNSPEC,
					   TAG_SMALL + i, 0, NULL));
}

static void post_big_recv(struct shm_t *t, struct bufs *b)
{
	SHM_T_POST(t->rx, fi_trecv(t->ep, b->big, BIG, NULL, FI_ADDR_UNSPEC,
				   TAG_BIG, 0, NULL));
}

static void send_smalls(struct shm_t *t, struct bufs *b, fi_addr_t to, int n)
{
	for (int i = 0; i < n; i++)
		SHM_T_POST(t->tx, fi_tsend(t->ep, b->small[i], small_len[i],
					   NULL, to, TAG_SMALL + i, NULL));
}

/* Collect want completions from rx; *order gets their tags. */
static void collect(struct shm_t *t, uint64_t *order, int want)
{
	struct fi_cq_tagged_entry c;

	for (int got = 0; got < want; got++) {
		shm_t_expect(t->rx, &c, NULL);
		order[got] = c.tag;
	}
}

static void check_data(struct bufs *b, int nsmall, bool big)
{
	for (int i = 0; i < nsmall; i++)
		CHECK(shm_t_check(b->small[i], small_len[i], 20 + i));
	if (big)
		CHECK(shm_t_check(b->big, BIG, 7));
}

/* The big completion comes last, after every small one. */
static void check_order(const uint64_t *order, int n, const char *what)
{
	for (int i = 0; i < n - 1; i++)
		if (order[i] == TAG_BIG) {
			fprintf(stderr, "%s: the big message completed at "
					"position %d of %d\n", what, i, n);
			CHECK(order[i] != TAG_BIG);
		}
	CHECK(order[n - 1] == TAG_BIG);
}

/* At most STEPS progress calls, stopping early when told to (c). */
static void step(struct shm_t *t, struct fid_cq *cq, const struct shm_t_pipe *p,
		 char c)
{
	struct fi_cq_tagged_entry e;
	int i;

	for (i = 0; i < STEPS; i++) {
		CHECK_RET(fi_cq_read(cq, &e, 1), -FI_EAGAIN);
		if (p && heard(p, c))
			return;
	}
	(void)t;
	if (p)
		hear(p, c);
}

static void wait_tx(struct shm_t *t, int n)
{
	struct fi_cq_tagged_entry c;

	for (int i = 0; i < n; i++)
		shm_t_expect(t->tx, &c, NULL);
}

/* ---- 1. same peer ----------------------------------------------------- */

static int nsmall_same(void)
{
	return cma_on ? NSMALL_EAGER : NSMALL_ALL;
}

static int same_sender(const struct shm_t_pipe *p)
{
	struct shm_t t;
	struct bufs b;
	fi_addr_t r;
	int n = nsmall_same();

	bufs_alloc(&b, true);
	shm_t_open(&t, FI_TAGGED);
	r = shm_t_swap(&t, p);
	shm_t_sync(p);
	SHM_T_POST(t.tx, fi_tsend(t.ep, b.big, BIG, NULL, r, TAG_BIG, NULL));
	say(p, 'L');
	step(&t, t.tx, p, 'G');    /* the big one moves */
	send_smalls(&t, &b, r, n); /* behind it */
	say(p, 'P');
	wait_tx(&t, n + 1);
	shm_t_sync(p);
	shm_t_close(&t);
	bufs_free(&b);
	return 0;
}

static void same_receiver(const struct shm_t_pipe *p)
{
	struct shm_t t;
	struct bufs b;
	uint64_t order[NSMALL_ALL + 1];
	int n = nsmall_same();

	bufs_alloc(&b, false);
	shm_t_open(&t, FI_TAGGED);
	(void)shm_t_swap(&t, p);
	post_big_recv(&t, &b);
	post_small_recvs(&t, &b, n);
	shm_t_sync(p);
	hear(p, 'L');
	step(&t, t.rx, NULL, 0); /* the big one starts and moves */
	say(p, 'G');
	hear(p, 'P');
	collect(&t, order, n + 1);
	check_order(order, n + 1, "same peer");
	check_data(&b, n, true);
	shm_t_sync(p);
	shm_t_close(&t);
	bufs_free(&b);
}

/* ---- 2. other peer ---------------------------------------------------- */

static int other_big(const struct shm_t_pipe *p)
{
	struct shm_t t;
	struct bufs b;
	fi_addr_t r;

	bufs_alloc(&b, true);
	shm_t_open(&t, FI_TAGGED);
	r = shm_t_swap(&t, p);
	shm_t_sync(p);
	SHM_T_POST(t.tx, fi_tsend(t.ep, b.big, BIG, NULL, r, TAG_BIG, NULL));
	say(p, 'L');
	step(&t, t.tx, p, 'G');
	hear(p, 'R'); /* B's small ones are in R's ring */
	wait_tx(&t, 1);
	shm_t_sync(p);
	shm_t_close(&t);
	bufs_free(&b);
	return 0;
}

static int other_small(const struct shm_t_pipe *p)
{
	struct shm_t t;
	struct bufs b;
	fi_addr_t r;

	bufs_alloc(&b, true);
	shm_t_open(&t, FI_TAGGED);
	r = shm_t_swap(&t, p);
	shm_t_sync(p);
	hear(p, 'G');
	send_smalls(&t, &b, r, NSMALL_EAGER);
	say(p, 'P');
	wait_tx(&t, NSMALL_EAGER);
	shm_t_sync(p);
	shm_t_close(&t);
	bufs_free(&b);
	return 0;
}

static void other_receiver(const struct shm_t_pipe *pa,
			   const struct shm_t_pipe *pb)
{
	struct shm_t t;
	struct bufs b;
	uint64_t order[NSMALL_EAGER + 1];

	bufs_alloc(&b, false);
	shm_t_open(&t, FI_TAGGED);
	(void)shm_t_swap(&t, pa);
	(void)shm_t_swap(&t, pb);
	post_big_recv(&t, &b);
	post_small_recvs(&t, &b, NSMALL_EAGER);
	shm_t_sync(pa);
	shm_t_sync(pb);
	hear(pa, 'L');
	step(&t, t.rx, NULL, 0);
	say(pa, 'G');
	say(pb, 'G');
	hear(pb, 'P');
	say(pa, 'R');
	collect(&t, order, NSMALL_EAGER + 1);
	check_order(order, NSMALL_EAGER + 1, "other peer");
	check_data(&b, NSMALL_EAGER, true);
	shm_t_sync(pa);
	shm_t_sync(pb);
	shm_t_close(&t);
	bufs_free(&b);
}

/* ---- 3. the big one unexpected ---------------------------------------- */

static int unexp_sender(const struct shm_t_pipe *p)
{
	struct shm_t t;
	struct bufs b;
	fi_addr_t r;

	bufs_alloc(&b, true);
	shm_t_open(&t, FI_TAGGED);
	r = shm_t_swap(&t, p);
	shm_t_sync(p);
	SHM_T_POST(t.tx, fi_tsend(t.ep, b.big, BIG, NULL, r, TAG_BIG, NULL));
	send_smalls(&t, &b, r, NSMALL_ALL);
	say(p, 'P');
	wait_tx(&t, NSMALL_ALL + 1);
	shm_t_sync(p);
	shm_t_close(&t);
	bufs_free(&b);
	return 0;
}

static void unexp_receiver(const struct shm_t_pipe *p)
{
	struct shm_t t;
	struct bufs b;
	struct fi_cq_tagged_entry c;
	uint64_t order[NSMALL_ALL];

	bufs_alloc(&b, false);
	shm_t_open(&t, FI_TAGGED);
	(void)shm_t_swap(&t, p);
	post_small_recvs(&t, &b, NSMALL_ALL);
	shm_t_sync(p);
	hear(p, 'P');
	/* The big one sits in the unexpected queue meanwhile. */
	collect(&t, order, NSMALL_ALL);
	for (int i = 0; i < NSMALL_ALL; i++)
		CHECK(order[i] >= TAG_SMALL && order[i] < TAG_SMALL + NSMALL_ALL);
	check_data(&b, NSMALL_ALL, false);
	post_big_recv(&t, &b);
	shm_t_expect(t.rx, &c, NULL);
	CHECK(c.tag == TAG_BIG && c.len == BIG);
	check_data(&b, 0, true);
	shm_t_sync(p);
	shm_t_close(&t);
	bufs_free(&b);
}

/* ---- driver ----------------------------------------------------------- */

/* Close one end of a pipe pair, so that a process that fails makes the
 * other's pipe reads end (EOF) instead of blocking forever. */
static void drop(const struct shm_t_pipe *p)
{
	close(p->rfd);
	close(p->wfd);
}

static void two(int (*sender)(const struct shm_t_pipe *),
		void (*receiver)(const struct shm_t_pipe *))
{
	struct shm_t_pipe p[2];
	pid_t pid;

	shm_t_pipes(p);
	pid = shm_t_fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		drop(&p[0]);
		exit(sender(&p[1]));
	}
	drop(&p[1]);
	receiver(&p[0]);
	CHECK(shm_t_reap(pid, 30000) == 0);
}

static void three(void)
{
	struct shm_t_pipe pa[2], pb[2];
	pid_t a, b;

	shm_t_pipes(pa);
	shm_t_pipes(pb);
	a = shm_t_fork();
	CHECK(a >= 0);
	if (a == 0) {
		drop(&pa[0]);
		drop(&pb[0]);
		drop(&pb[1]);
		exit(other_big(&pa[1]));
	}
	drop(&pa[1]);
	b = shm_t_fork();
	CHECK(b >= 0);
	if (b == 0) {
		drop(&pa[0]);
		drop(&pb[0]);
		exit(other_small(&pb[1]));
	}
	drop(&pb[1]);
	other_receiver(&pa[0], &pb[0]);
	CHECK(shm_t_reap(a, 30000) == 0);
	CHECK(shm_t_reap(b, 30000) == 0);
}

static int run_mode(const char *cma, const char *coop)
{
	setenv("FI_SHM_CMA", cma, 1);
	setenv("FI_SHM_COOP", coop, 1);
	cma_on = cma[0] == '1';
	two(same_sender, same_receiver);
	three();
	two(unexp_sender, unexp_receiver);
	return 0;
}

int main(void)
{
	static const char *modes[][2] = { { "1", "1" }, { "1", "0" },
					  { "0", "0" } };

	weft_test_require_weft_loaded();
	alarm(110);
	for (int m = 0; m < 3; m++) {
		pid_t pid = shm_t_fork();

		CHECK(pid >= 0);
		if (pid == 0)
			exit(run_mode(modes[m][0], modes[m][1]));
		CHECK(shm_t_reap(pid, 60000) == 0);
		printf("FI_SHM_CMA=%s FI_SHM_COOP=%s: passed\n", modes[m][0],
		       modes[m][1]);
	}
	return 0;
}
