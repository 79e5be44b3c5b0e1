/* shm: a peer that dies does not hang the survivor.
 *  1. A rendezvous send to a receiver that is killed before it takes the
 *     message completes with an error (bounded), and the endpoint still
 *     works with another peer afterwards.
 *  2. A receiver whose sender is killed in the middle of a transfer
 *     through bounce buffers gets an error completion (bounded).
 *  3. The segments the killed processes left in /dev/shm are removed by
 *     the next process that opens an shm endpoint. */
#include <stdlib.h>

#include "shm_test.h"

#define BIG (8 << 20)

static char *buf;
static int victims_fd = -1; /* victims' pids go to main */

/* Child: open, tell the parent its name, then wait to be killed. */
static void victim_receiver(const struct shm_t_pipe *p)
{
	struct shm_t t;

	shm_t_open(&t, FI_MSG);
	(void)shm_t_swap(&t, p);
	shm_t_sync(p);
	pause();
}

static void case_dead_receiver(void)
{
	struct shm_t_pipe p[2], q[2];
	struct shm_t t;
	struct fi_cq_err_entry err;
	struct fi_cq_tagged_entry c;
	fi_addr_t dead, alive;
	pid_t v, w;
	long t0;
	int ctx;

	shm_t_open(&t, FI_MSG);
	shm_t_pipes(p);
	v = shm_t_fork();
	CHECK(v >= 0);
	if (v == 0) {
		alarm(30);
		victim_receiver(&p[1]);
		exit(0);
	}
	dead = shm_t_swap(&t, &p[0]);
	shm_t_sync(&p[0]);

	shm_t_fill(buf, BIG, 1);
	CHECK_OK(fi_send(t.ep, buf, BIG, NULL, dead, &ctx));
	CHECK(kill(v, SIGKILL) == 0);
	CHECK(shm_t_reap(v, 5000) == 128 + SIGKILL);
	t0 = shm_t_now_ms();
	shm_t_expect_err(t.tx, &err);
	CHECK(err.op_context == &ctx && err.err == FI_EIO);
	CHECK(shm_t_now_ms() - t0 < 5000);
	/* New sends to it fail at once, or go nowhere harmlessly. */
	(void)fi_send(t.ep, buf, 8, NULL, dead, &ctx);
	(void)fi_cq_read(t.tx, &c, 1);

	/* The endpoint still talks to a live peer. */
	shm_t_pipes(q);
	w = shm_t_fork();
	CHECK(w >= 0);
	if (w == 0) {
		struct shm_t u;
		fi_addr_t back;

		alarm(30);
		shm_t_open(&u, FI_MSG);
		back = shm_t_swap(&u, &q[1]);
		SHM_T_POST(u.rx, fi_recv(u.ep, buf, BIG, NULL, FI_ADDR_UNSPEC,
					 &ctx));
		shm_t_sync(&q[1]);
		shm_t_expect(u.rx, &c, NULL);
		CHECK(c.len == BIG && shm_t_check(buf, BIG, 2));
		(void)back;
		shm_t_sync(&q[1]);
		shm_t_close(&u);
		exit(0);
	}
	alive = shm_t_swap(&t, &q[0]);
	shm_t_sync(&q[0]);
	shm_t_fill(buf, BIG, 2);
	CHECK_OK(fi_send(t.ep, buf, BIG, NULL, alive, &ctx));
	shm_t_expect(t.tx, &c, NULL);
	shm_t_sync(&q[0]);
	CHECK(shm_t_reap(w, 10000) == 0);
	shm_t_close(&t);
	/* The live peer, a new process, removed what the victim left. */
	CHECK(shm_t_segments_of(v) == 0);
	CHECK(write(victims_fd, &v, sizeof(v)) == sizeof(v));
}

static void case_dead_sender(void)
{
	struct shm_t_pipe p[2];
	struct shm_t t;
	struct fi_cq_err_entry err;
	pid_t v;
	long t0;
	int ctx;

	shm_t_open(&t, FI_MSG);
	shm_t_pipes(p);
	v = shm_t_fork();
	CHECK(v >= 0);
	if (v == 0) {
		struct shm_t u;
		fi_addr_t to;

		alarm(30);
		shm_t_open(&u, FI_MSG);
		to = shm_t_swap(&u, &p[1]);
		shm_t_sync(&p[1]);
		shm_t_fill(buf, BIG, 3);
		CHECK_OK(fi_send(u.ep, buf, BIG, NULL, to, &ctx));
		/* Move a few chunks, then die with the transfer half done. */
		for (int i = 0; i < 50; i++) {
			(void)fi_cq_read(u.tx, NULL, 0);
			usleep(1000);
		}
		raise(SIGKILL);
	}
	(void)shm_t_swap(&t, &p[0]);
	SHM_T_POST(t.rx, fi_recv(t.ep, buf, BIG, NULL, FI_ADDR_UNSPEC, &ctx));
	shm_t_sync(&p[0]);
	CHECK(shm_t_reap(v, 10000) == 128 + SIGKILL);
	t0 = shm_t_now_ms();
	shm_t_expect_err(t.rx, &err);
	CHECK(err.op_context == &ctx && err.err == FI_EIO);
	CHECK(shm_t_now_ms() - t0 < 5000);
	shm_t_close(&t);
	CHECK(shm_t_segments_of(v) == 1);
	CHECK(write(victims_fd, &v, sizeof(v)) == sizeof(v));
	/* 3. A new process reclaims both victims' segments. */
	v = shm_t_fork();
	CHECK(v >= 0);
	if (v == 0) {
		struct shm_t u;

		shm_t_open(&u, FI_MSG);
		shm_t_close(&u);
		exit(0);
	}
	CHECK(shm_t_reap(v, 10000) == 0);
}

/* A receiver that closes its endpoint (and lives on) without taking a
 * rendezvous message: the send fails instead of waiting forever. */
static void case_closed_receiver(void)
{
	struct shm_t_pipe p[2];
	struct shm_t t;
	struct fi_cq_err_entry err;
	fi_addr_t to;
	pid_t v;
	int ctx;

	shm_t_open(&t, FI_MSG);
	shm_t_pipes(p);
	v = shm_t_fork();
	CHECK(v >= 0);
	if (v == 0) {
		struct shm_t u;

		alarm(30);
		shm_t_open(&u, FI_MSG);
		(void)shm_t_swap(&u, &p[1]);
		shm_t_sync(&p[1]);
		shm_t_sync(&p[1]);
		shm_t_close(&u);
		shm_t_sync(&p[1]);
		shm_t_sync(&p[1]);
		exit(0);
	}
	to = shm_t_swap(&t, &p[0]);
	shm_t_sync(&p[0]);
	shm_t_fill(buf, BIG, 4);
	CHECK_OK(fi_send(t.ep, buf, BIG, NULL, to, &ctx));
	shm_t_sync(&p[0]);
	shm_t_sync(&p[0]); /* closed now */
	shm_t_expect_err(t.tx, &err);
	CHECK(err.op_context == &ctx && err.err == FI_EIO);
	CHECK_RET(fi_send(t.ep, buf, 8, NULL, to, &ctx), -FI_EHOSTUNREACH);
	shm_t_sync(&p[0]);
	CHECK(shm_t_reap(v, 10000) == 0);
	shm_t_close(&t);
}

static int run(void (*fn)(void), const char *cma)
{
	pid_t pid = shm_t_fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		setenv("FI_SHM_CMA", cma, 1);
		alarm(50);
		fn();
		exit(0);
	}
	return shm_t_reap(pid, 60000);
}

int main(void)
{
	int vp[2];
	pid_t victims[2];

	weft_test_require_weft_loaded();
	alarm(110);
	buf = malloc(BIG);
	CHECK(buf);
	CHECK(pipe(vp) == 0);
	victims_fd = vp[1];
	CHECK(run(case_dead_receiver, "1") == 0);
	printf("dead receiver: sender failed its send, went on\n");
	CHECK(run(case_closed_receiver, "1") == 0);
	printf("closed receiver: sender failed its send\n");
	CHECK(run(case_dead_sender, "0") == 0);
	printf("dead sender: receiver failed its receive\n");
	CHECK(read(vp[0], victims, sizeof(victims)) == sizeof(victims));
	CHECK(shm_t_segments_of(victims[0]) == 0);
	CHECK(shm_t_segments_of(victims[1]) == 0);
	printf("stale segments reclaimed\n");
	free(buf);
	return 0;
}
