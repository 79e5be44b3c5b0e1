/* shm: receive-side matching between two processes: unexpected messages
 * (inline and rendezvous, received in an order other than arrival), tag
 * ignore bits, directed receive with two senders, FI_PEEK / FI_CLAIM /
 * FI_DISCARD, fi_cancel, truncation (FI_ETRUNC with olen). Run with CMA
 * allowed and with FI_SHM_CMA=0. */
#include <stdlib.h>

#include "shm_test.h"

#define BIG (100 * 1024 + 5)
#define CAPS (FI_MSG | FI_TAGGED | FI_DIRECTED_RECV | FI_SOURCE)

/* Rendezvous sends use the buffer until they complete: each message in
 * flight gets its own. */
static char txbufs[8][BIG], rxbuf[BIG];
static unsigned txnext;
static int phase;

/* Keep the receiver's progress going for a while, so that everything the
 * peer sent has arrived (and sits in the unexpected queues). */
static void settle(struct shm_t *t, long ms)
{
	long end = shm_t_now_ms() + ms;

	while (shm_t_now_ms() < end)
		(void)fi_cq_read(t->rx, NULL, 0);
}

static void tsend(struct shm_t *t, size_t len, fi_addr_t dest, uint64_t tag,
		  unsigned seed, void *ctx)
{
	char *txbuf = txbufs[txnext++ % 8];

	shm_t_fill(txbuf, len, seed);
	SHM_T_POST(t->tx, fi_tsenddata(t->ep, txbuf, len, NULL, seed, dest,
				       tag, ctx));
	/* Inline sends complete at once; rendezvous ones when the receiver
	 * took the data (later): collected by drain_tx. */
}

static void drain_tx(struct shm_t *t, int n)
{
	struct fi_cq_tagged_entry c;

	for (int i = 0; i < n; i++) {
		if (shm_t_wait(t->tx, &c, NULL, SHM_T_TIMEOUT_MS) != 1) {
			fprintf(stderr, "send completion %d of %d missing "
					"(phase %d)\n", i + 1, n, phase);
			exit(1);
		}
	}
}

static void expect_tagged(struct shm_t *t, uint64_t tag, size_t len,
			  unsigned seed, void *ctx)
{
	struct fi_cq_tagged_entry c;

	ssize_t ret = shm_t_wait(t->rx, &c, NULL, SHM_T_TIMEOUT_MS);

	if (ret != 1) {
		struct fi_cq_err_entry err = { 0 };

		if (ret == -FI_EAVAIL && fi_cq_readerr(t->rx, &err, 0) == 1)
			fprintf(stderr, "error %d prov_errno %d\n", err.err,
				err.prov_errno);
		fprintf(stderr, "no completion for tag %#llx: %zd\n",
			(unsigned long long)tag, ret);
		exit(1);
	}
	CHECK(c.op_context == ctx);
	CHECK(c.tag == tag);
	CHECK(c.len == len);
	CHECK(c.data == seed);
	CHECK(c.flags & FI_TAGGED);
	CHECK(shm_t_check(rxbuf, len, seed));
}

/* ---- the sender process: two endpoints ------------------------------- */

static void sender(const struct shm_t_pipe *p)
{
	struct shm_t a1, a2;
	fi_addr_t b1, b2;
	int ctx;

	shm_t_open(&a1, CAPS);
	shm_t_open(&a2, CAPS);
	b1 = shm_t_swap(&a1, p);
	b2 = shm_t_swap(&a2, p);
	CHECK(b1 != FI_ADDR_NOTAVAIL && b2 != FI_ADDR_NOTAVAIL);
	/* a2 sends to b1 too: give it b1's name. */
	{
		char name[SHM_T_NAME];
		size_t len = sizeof(name);

		CHECK_OK(fi_av_lookup(a1.av, b1, name, &len));
		b2 = shm_t_insert(&a2, name);
	}

	phase = 1;
	/* 1. unexpected: tags 1..6, alternately inline and rendezvous. */
	shm_t_sync(p);
	for (unsigned i = 1; i <= 6; i++)
		tsend(&a1, (i & 1) ? 100 : BIG, b1, i, i, &ctx);
	/* and two untagged ones */
	shm_t_fill(txbufs[6], 50, 77);
	SHM_T_POST(a1.tx, fi_send(a1.ep, txbufs[6], 50, NULL, b1, &ctx));
	shm_t_fill(txbufs[7], BIG, 78);
	SHM_T_POST(a1.tx, fi_send(a1.ep, txbufs[7], BIG, NULL, b1, &ctx));
	txnext = 0;
	shm_t_sync(p);
	drain_tx(&a1, 8);

	txnext = 0;
	phase = 2;
	/* 2. ignore bits */
	shm_t_sync(p);
	tsend(&a1, 64, b1, 0x1ab, 9, &ctx);
	drain_tx(&a1, 1);

	phase = 3;
	/* 3. directed receive: a1 then a2 send the same tag. */
	shm_t_sync(p);
	tsend(&a1, 64, b1, 0x42, 10, &ctx);
	shm_t_sync(p);
	tsend(&a2, 64, b2, 0x42, 11, &ctx);
	drain_tx(&a1, 1);
	drain_tx(&a2, 1);

	phase = 4;
	/* 4. peek / claim / discard */
	shm_t_sync(p);
	tsend(&a1, 100, b1, 0x77, 12, &ctx);
	tsend(&a1, BIG, b1, 0x78, 13, &ctx);
	tsend(&a1, BIG, b1, 0x79, 14, &ctx);
	tsend(&a1, 100, b1, 0x7a, 15, &ctx);
	shm_t_sync(p);
	drain_tx(&a1, 4);

	phase = 5;
	/* 6. truncation */
	shm_t_sync(p);
	tsend(&a1, 1000, b1, 0x90, 16, &ctx);
	tsend(&a1, BIG, b1, 0x91, 17, &ctx);
	drain_tx(&a1, 2);
	shm_t_sync(p);

	shm_t_close(&a1);
	shm_t_close(&a2);
}

/* ---- the receiver ------------------------------------------------------ */

static void receiver(const struct shm_t_pipe *p)
{
	struct shm_t b1, b2;
	struct fi_cq_tagged_entry c;
	struct fi_cq_err_entry err;
	fi_addr_t a1, a2;
	struct fi_context ctx[8];
	struct iovec iov = { rxbuf, BIG };
	struct fi_msg_tagged m = { .msg_iov = &iov, .iov_count = 1,
				   .addr = FI_ADDR_UNSPEC };

	shm_t_open(&b1, CAPS);
	shm_t_open(&b2, CAPS); /* only to be named: shows the peer's 2nd ep */
	a1 = shm_t_swap(&b1, p);
	a2 = shm_t_swap(&b2, p);
	/* b1 must know a2 to direct receives at it. */
	{
		char name[SHM_T_NAME];
		size_t len = sizeof(name);

		CHECK_OK(fi_av_lookup(b2.av, a2, name, &len));
		a2 = shm_t_insert(&b1, name);
	}

	/* 1. unexpected, received newest first */
	shm_t_sync(p);
	shm_t_sync(p);
	settle(&b1, 200);
	for (unsigned i = 6; i >= 1; i--) {
		SHM_T_POST(b1.rx, fi_trecv(b1.ep, rxbuf, BIG, NULL,
					   FI_ADDR_UNSPEC, i, 0, &ctx[0]));
		expect_tagged(&b1, i, (i & 1) ? 100 : BIG, i, &ctx[0]);
	}
	SHM_T_POST(b1.rx, fi_recv(b1.ep, rxbuf, BIG, NULL, FI_ADDR_UNSPEC,
				  &ctx[1]));
	shm_t_expect(b1.rx, &c, NULL);
	CHECK(c.len == 50 && (c.flags & FI_MSG) && shm_t_check(rxbuf, 50, 77));
	SHM_T_POST(b1.rx, fi_recv(b1.ep, rxbuf, BIG, NULL, FI_ADDR_UNSPEC,
				  &ctx[1]));
	shm_t_expect(b1.rx, &c, NULL);
	CHECK(c.len == BIG && shm_t_check(rxbuf, BIG, 78));

	/* 2. ignore bits: 0x100 with the low byte ignored takes 0x1ab */
	SHM_T_POST(b1.rx, fi_trecv(b1.ep, rxbuf, BIG, NULL, FI_ADDR_UNSPEC,
				   0x100, 0xff, &ctx[2]));
	shm_t_sync(p);
	expect_tagged(&b1, 0x1ab, 64, 9, &ctx[2]);

	/* 3. directed: a receive for a2 is posted first, then one for
	 * anyone; a1's message arrives first and must take the second. */
	SHM_T_POST(b1.rx, fi_trecv(b1.ep, rxbuf, BIG, NULL, a2, 0x42, 0,
				   &ctx[3]));
	shm_t_sync(p);
	settle(&b1, 100);
	shm_t_expect_none(b1.rx, 50);
	SHM_T_POST(b1.rx, fi_trecv(b1.ep, rxbuf, BIG, NULL, FI_ADDR_UNSPEC,
				   0x42, 0, &ctx[4]));
	expect_tagged(&b1, 0x42, 64, 10, &ctx[4]);
	shm_t_sync(p);
	expect_tagged(&b1, 0x42, 64, 11, &ctx[3]);
	(void)a1;

	/* 4. peek / claim / discard */
	shm_t_sync(p);
	shm_t_sync(p);
	settle(&b1, 200);
	m.tag = 0x99;
	m.context = &ctx[5];
	CHECK_OK(fi_trecvmsg(b1.ep, &m, FI_PEEK));
	shm_t_expect_err(b1.rx, &err);
	CHECK(err.err == FI_ENOMSG && err.op_context == &ctx[5]);

	memset(rxbuf, 0, BIG);
	m.tag = 0x77;
	CHECK_OK(fi_trecvmsg(b1.ep, &m, FI_PEEK));
	shm_t_expect(b1.rx, &c, NULL);
	CHECK(c.op_context == &ctx[5] && c.tag == 0x77 && c.len == 100 &&
	      c.data == 12);
	CHECK(c.buf == rxbuf && shm_t_check(rxbuf, 100, 12));

	m.tag = 0x78;
	m.context = &ctx[6];
	CHECK_OK(fi_trecvmsg(b1.ep, &m, FI_PEEK | FI_CLAIM));
	shm_t_expect(b1.rx, &c, NULL);
	CHECK(c.op_context == &ctx[6] && c.tag == 0x78 && c.len == BIG);
	/* A claimed message is no longer visible to peeks or receives. */
	m.context = &ctx[5];
	CHECK_OK(fi_trecvmsg(b1.ep, &m, FI_PEEK));
	shm_t_expect_err(b1.rx, &err);
	CHECK(err.err == FI_ENOMSG);
	m.context = &ctx[6];
	CHECK_OK(fi_trecvmsg(b1.ep, &m, FI_CLAIM));
	expect_tagged(&b1, 0x78, BIG, 13, &ctx[6]);

	/* peek + claim, then claim + discard (the big one) */
	m.tag = 0x79;
	m.context = &ctx[7];
	CHECK_OK(fi_trecvmsg(b1.ep, &m, FI_PEEK | FI_CLAIM));
	shm_t_expect(b1.rx, &c, NULL);
	CHECK(c.tag == 0x79);
	CHECK_OK(fi_trecvmsg(b1.ep, &m, FI_CLAIM | FI_DISCARD));
	shm_t_expect(b1.rx, &c, NULL);
	CHECK(c.op_context == &ctx[7]);

	/* peek + discard */
	m.tag = 0x7a;
	m.context = &ctx[5];
	CHECK_OK(fi_trecvmsg(b1.ep, &m, FI_PEEK | FI_DISCARD));
	shm_t_expect(b1.rx, &c, NULL);
	CHECK(c.tag == 0x7a && c.len == 100);
	m.tag = 0x77; /* peeked earlier without claim: still there */
	CHECK_OK(fi_trecvmsg(b1.ep, &m, 0));
	expect_tagged(&b1, 0x77, 100, 12, &ctx[5]);
	m.tag = 0x7a; /* discarded: gone */
	CHECK_OK(fi_trecvmsg(b1.ep, &m, FI_PEEK));
	shm_t_expect_err(b1.rx, &err);
	CHECK(err.err == FI_ENOMSG);
	CHECK_RET(fi_trecvmsg(b1.ep, &m, FI_DISCARD), -FI_EINVAL);

	/* 5. cancel */
	SHM_T_POST(b1.rx, fi_trecv(b1.ep, rxbuf, BIG, NULL, FI_ADDR_UNSPEC,
				   0xdead, 0, &ctx[0]));
	SHM_T_POST(b1.rx, fi_recv(b1.ep, rxbuf, BIG, NULL, FI_ADDR_UNSPEC,
				  &ctx[1]));
	CHECK_OK(fi_cancel(&b1.ep->fid, &ctx[0]));
	CHECK_OK(fi_cancel(&b1.ep->fid, &ctx[1]));
	CHECK_RET(fi_cancel(&b1.ep->fid, &ctx[2]), -FI_ENOENT);
	shm_t_expect_err(b1.rx, &err);
	CHECK(err.err == FI_ECANCELED && err.op_context == &ctx[0]);
	CHECK(err.flags & FI_TAGGED);
	shm_t_expect_err(b1.rx, &err);
	CHECK(err.err == FI_ECANCELED && err.op_context == &ctx[1]);

	/* 6. truncation: 100-byte buffers */
	SHM_T_POST(b1.rx, fi_trecv(b1.ep, rxbuf, 100, NULL, FI_ADDR_UNSPEC,
				   0x90, 0, &ctx[2]));
	SHM_T_POST(b1.rx, fi_trecv(b1.ep, rxbuf + 200, 100, NULL,
				   FI_ADDR_UNSPEC, 0x91, 0, &ctx[3]));
	shm_t_sync(p);
	shm_t_expect_err(b1.rx, &err);
	CHECK(err.err == FI_ETRUNC && err.op_context == &ctx[2]);
	CHECK(err.len == 100 && err.olen == 900 && err.tag == 0x90);
	CHECK(shm_t_check(rxbuf, 100, 16));
	shm_t_expect_err(b1.rx, &err);
	CHECK(err.err == FI_ETRUNC && err.op_context == &ctx[3]);
	CHECK(err.len == 100 && err.olen == BIG - 100);
	CHECK(shm_t_check(rxbuf + 200, 100, 17));
	shm_t_sync(p);

	shm_t_close(&b1);
	shm_t_close(&b2);
}

static int run_mode(const char *cma)
{
	struct shm_t_pipe p[2];
	pid_t child;

	setenv("FI_SHM_CMA", cma, 1);
	shm_t_pipes(p);
	child = shm_t_fork();
	CHECK(child >= 0);
	if (child == 0) {
		alarm(50);
		close(p[0].rfd);
		close(p[0].wfd);
		sender(&p[1]);
		exit(0);
	}
	close(p[1].rfd);
	close(p[1].wfd);
	receiver(&p[0]);
	CHECK(shm_t_reap(child, 20000) == 0);
	CHECK(shm_t_segments_of(getpid()) == 0);
	return 0;
}

int main(void)
{
	const char *modes[] = { "1", "0" };

	weft_test_require_weft_loaded();
	alarm(110);
	for (int m = 0; m < 2; m++) {
		pid_t pid = shm_t_fork();

		CHECK(pid >= 0);
		if (pid == 0)
			exit(run_mode(modes[m]));
		CHECK(shm_t_reap(pid, 50000) == 0);
		printf("FI_SHM_CMA=%s: matching tests passed\n", modes[m]);
	}
	return 0;
}
