/* shm: FI_WAIT_FD. A process sleeps in its own epoll on a CQ's wait fd
 * (after fi_trywait said it may) and is woken by its peer's send, inline
 * and rendezvous; the sender sleeps the same way on its transmit CQ until
 * the receiver's reply completes the rendezvous send. Also fi_cq_sread
 * woken by a send. Nothing here polls: without the doorbell, each epoll
 * would run into its timeout and the test fails. */
#include <stdlib.h>
#include <sys/epoll.h>

#include "shm_test.h"

#define ROUNDS 20
#define BIG (256 * 1024)

static char txbuf[BIG], rxbuf[BIG];

/* Sleep in epoll on cq's fd until it has a completion; fail if that takes
 * the whole timeout. */
static void sleep_for(struct shm_t *t, struct fid_cq *cq,
		      struct fi_cq_tagged_entry *c)
{
	struct fid *fids[1] = { &cq->fid };
	struct epoll_event ev = { .events = EPOLLIN }, out;
	long end = shm_t_now_ms() + SHM_T_TIMEOUT_MS;
	int fd, ep;

	CHECK_OK(fi_control(&cq->fid, FI_GETWAIT, &fd));
	ep = epoll_create1(0);
	CHECK(ep >= 0);
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
	for (;;) {
		ssize_t r = fi_cq_read(cq, c, 1);
		int ret;

		if (r == 1)
			break;
		CHECK_RET(r, -FI_EAGAIN);
		CHECK(shm_t_now_ms() < end);
		ret = fi_trywait(t->fabric, fids, 1);
		if (ret == -FI_EAGAIN)
			continue;
		CHECK_OK(ret);
		ret = epoll_wait(ep, &out, 1, (int)(end - shm_t_now_ms()));
		CHECK(ret >= 0);
		/* A timeout means nobody woke us. */
		CHECK(ret == 1);
	}
	close(ep);
}

static void receiver(const struct shm_t_pipe *p)
{
	struct shm_t_opts o = { .wait = FI_WAIT_FD };
	struct shm_t t;
	struct fi_cq_tagged_entry c;
	fi_addr_t peer;
	int ctx;

	shm_t_open_ex(&t, FI_MSG, &o);
	peer = shm_t_swap(&t, p);
	for (int i = 0; i < ROUNDS; i++) {
		size_t len = (i & 1) ? BIG : 16;

		SHM_T_POST(t.rx, fi_recv(t.ep, rxbuf, BIG, NULL, peer, &ctx));
		shm_t_sync(p); /* the sender waits a little, then sends */
		sleep_for(&t, t.rx, &c);
		CHECK(c.len == len && shm_t_check(rxbuf, len, (unsigned)i));
	}
	/* fi_cq_sread, woken by the send. */
	SHM_T_POST(t.rx, fi_recv(t.ep, rxbuf, BIG, NULL, peer, &ctx));
	shm_t_sync(p);
	CHECK_RET(fi_cq_sread(t.rx, &c, 1, NULL, SHM_T_TIMEOUT_MS), 1);
	CHECK(c.len == 16 && shm_t_check(rxbuf, 16, 99));
	shm_t_sync(p);
	shm_t_close(&t);
}

static void sender(const struct shm_t_pipe *p)
{
	struct shm_t_opts o = { .wait = FI_WAIT_FD };
	struct shm_t t;
	struct fi_cq_tagged_entry c;
	fi_addr_t peer;
	int ctx;

	shm_t_open_ex(&t, FI_MSG, &o);
	peer = shm_t_swap(&t, p);
	for (int i = 0; i < ROUNDS; i++) {
		size_t len = (i & 1) ? BIG : 16;

		shm_t_sync(p);
		usleep(20000); /* let the receiver fall asleep */
		shm_t_fill(txbuf, len, (unsigned)i);
		SHM_T_POST(t.tx, fi_send(t.ep, txbuf, len, NULL, peer, &ctx));
		/* Rendezvous: asleep until the receiver's DONE rings us. */
		sleep_for(&t, t.tx, &c);
		CHECK(c.op_context == &ctx);
	}
	shm_t_sync(p);
	usleep(20000);
	shm_t_fill(txbuf, 16, 99);
	SHM_T_POST(t.tx, fi_send(t.ep, txbuf, 16, NULL, peer, &ctx));
	sleep_for(&t, t.tx, &c);
	shm_t_sync(p);
	shm_t_close(&t);
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
		alarm(60);
		close(p[0].rfd);
		close(p[0].wfd);
		sender(&p[1]);
		exit(0);
	}
	close(p[1].rfd);
	close(p[1].wfd);
	receiver(&p[0]);
	CHECK(shm_t_reap(child, 20000) == 0);
	return 0;
}
