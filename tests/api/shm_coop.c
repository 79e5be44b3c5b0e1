/* shm: large messages copied by both processes at once (cooperative CMA:
 * the receiver reads chunks from the front, the sender writes chunks from
 * the back). Checked byte for byte, in fresh processes with FI_SHM_COOP=1
 * and with FI_SHM_COOP=0 (FI_SHM_CMA_MIN=0: every size on CMA):
 *  - a sender that makes no progress while its message is received: the
 *    receiver completes alone;
 *  - scattered buffers (sender 2 iovs, receiver 4 of other lengths) at
 *    sizes around the chunk boundaries;
 *  - a truncated receive: the first bytes arrive, FI_ETRUNC, and nothing
 *    is written past the receive buffer (the sender writes into it);
 *  - a window of 24 large messages in flight, both sides progressing
 *    (more transfers at once than the pipeline depth of either side).
 * Skipped when CMA does not work between two processes here. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/uio.h>

#include "shm_test.h"

#define BIG ((size_t)1 << 20)
#define WIN 24
#define WLEN ((size_t)256 * 1024 + 100)
#define GUARD 4096

static void recv_check_at(struct shm_t *t, char *buf, size_t len,
			  unsigned seed, int line)
{
	struct fi_cq_tagged_entry c;

	shm_t_expect_at(t->rx, &c, NULL, line);
	CHECK(c.len == len);
	if (!shm_t_check(buf, len, seed))
		fprintf(stderr, "data mismatch, check at line %d\n", line);
	CHECK(shm_t_check(buf, len, seed));
}

static int run_receiver(const struct shm_t_pipe *p)
{
	static char guard_pat[GUARD];
	struct shm_t t;
	fi_addr_t peer;
	char *buf = malloc(BIG + GUARD), *win = malloc(WIN * WLEN);
	struct fi_cq_tagged_entry c;
	struct fi_cq_err_entry err;

	CHECK(buf && win);
	shm_t_open(&t, FI_MSG | FI_TAGGED);
	peer = shm_t_swap(&t, p);

	/* 1. The sender sleeps in a pipe read while we receive. */
	memset(buf, 0, BIG);
	SHM_T_POST(t.rx, fi_trecv(t.ep, buf, BIG, NULL, peer, 1, 0, NULL));
	shm_t_sync(p);
	recv_check_at(&t, buf, BIG, 1, __LINE__);
	shm_t_sync(p);

	/* 2. Scattered buffers, sizes around chunk boundaries. */
	{
		static const size_t lens[] = {
			32 * 1024, 64 * 1024 - 1, 64 * 1024 + 1,
			(1 << 20) - 4096 + 3, 1 << 20,
		};

		for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			size_t len = lens[i], q = len / 7;
			struct iovec iov[4] = {
				{ buf, q }, { buf + q, 3 * q },
				{ buf + 4 * q, 1 }, { buf + 4 * q + 1,
						      len - 4 * q - 1 },
			};
			struct fi_msg_tagged m = {
				.msg_iov = iov, .iov_count = 4, .addr = peer,
				.tag = 2,
			};

			memset(buf, 0, len);
			SHM_T_POST(t.rx, fi_trecvmsg(t.ep, &m, FI_COMPLETION));
			recv_check_at(&t, buf, len, 10 + i, __LINE__);
		}
	}

	/* 3. Truncated: 600 KiB of a 1 MiB message, guard untouched. */
	memset(guard_pat, 0xa5, GUARD);
	memset(buf, 0, BIG);
	memcpy(buf + 600 * 1024, guard_pat, GUARD);
	SHM_T_POST(t.rx, fi_trecv(t.ep, buf, 600 * 1024, NULL, peer, 3, 0,
				  NULL));
	shm_t_expect_err(t.rx, &err);
	CHECK_RET(err.err, FI_ETRUNC);
	CHECK(err.olen == BIG - 600 * 1024);
	CHECK(shm_t_check(buf, 600 * 1024, 3));
	CHECK(!memcmp(buf + 600 * 1024, guard_pat, GUARD));

	/* 4. A window in flight. */
	for (int i = 0; i < WIN; i++)
		SHM_T_POST(t.rx, fi_trecv(t.ep, win + i * WLEN, WLEN, NULL,
					  peer, 4, 0, NULL));
	shm_t_sync(p);
	for (int i = 0; i < WIN; i++) {
		shm_t_expect(t.rx, &c, NULL);
		CHECK(c.len == WLEN);
	}
	for (int i = 0; i < WIN; i++)
		CHECK(shm_t_check(win + i * WLEN, WLEN, 100 + (unsigned)i));
	shm_t_sync(p);

	shm_t_close(&t);
	free(buf);
	free(win);
	return 0;
}

static int run_sender(const struct shm_t_pipe *p)
{
	struct shm_t t;
	fi_addr_t peer;
	char *buf = malloc(BIG), *win = malloc(WIN * WLEN);
	struct fi_cq_tagged_entry c;
	char s;

	CHECK(buf && win);
	shm_t_open(&t, FI_MSG | FI_TAGGED);
	peer = shm_t_swap(&t, p);

	/* 1. Post, then no progress until the receiver has it all. */
	shm_t_fill(buf, BIG, 1);
	shm_t_sync(p);
	SHM_T_POST(t.tx, fi_tsend(t.ep, buf, BIG, NULL, peer, 1, NULL));
	shm_t_recv_bytes(p, &s, 1);
	shm_t_send_bytes(p, &s, 1);
	shm_t_expect(t.tx, &c, NULL);

	/* 2. */
	{
		static const size_t lens[] = {
			32 * 1024, 64 * 1024 - 1, 64 * 1024 + 1,
			(1 << 20) - 4096 + 3, 1 << 20,
		};

		for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			size_t len = lens[i], h = len / 3;
			struct iovec iov[2] = { { buf, h },
						{ buf + h, len - h } };

			shm_t_fill(buf, len, 10 + i);
			SHM_T_POST(t.tx, fi_tsendv(t.ep, iov, NULL, 2, peer, 2,
						   NULL));
			shm_t_expect(t.tx, &c, NULL);
		}
	}

	/* 3. */
	shm_t_fill(buf, BIG, 3);
	SHM_T_POST(t.tx, fi_tsend(t.ep, buf, BIG, NULL, peer, 3, NULL));
	shm_t_expect(t.tx, &c, NULL);

	/* 4. */
	for (int i = 0; i < WIN; i++)
		shm_t_fill(win + i * WLEN, WLEN, 100 + (unsigned)i);
	shm_t_sync(p);
	for (int i = 0; i < WIN; i++)
		SHM_T_POST(t.tx, fi_tsend(t.ep, win + i * WLEN, WLEN, NULL,
					  peer, 4, NULL));
	for (int i = 0; i < WIN; i++)
		shm_t_expect(t.tx, &c, NULL);
	shm_t_sync(p);

	shm_t_close(&t);
	free(buf);
	free(win);
	return 0;
}

static int run_mode(const char *coop)
{
	struct shm_t_pipe p[2];
	pid_t pid;
	int rc;

	setenv("FI_SHM_COOP", coop, 1);
	/* Every rendezvous size on CMA (by default the ones below 256 KiB
	 * go through bounce buffers). */
	setenv("FI_SHM_CMA_MIN", "0", 1);
	shm_t_pipes(p);
	pid = shm_t_fork();
	CHECK(pid >= 0);
	if (pid == 0)
		exit(run_sender(&p[1]));
	rc = run_receiver(&p[0]);
	CHECK(shm_t_reap(pid, 50000) == 0);
	return rc;
}

int main(void)
{
	const char *modes[] = { "1", "0" };
	char a[8] = "weft", b[8] = { 0 };
	struct iovec l = { b, sizeof(b) }, r = { a, sizeof(a) };

	weft_test_require_weft_loaded();
	if (process_vm_readv(getpid(), &l, 1, &r, 1, 0) != (ssize_t)sizeof(b))
		weft_test_skip("process_vm_readv does not work here");
	alarm(110);
	for (int m = 0; m < 2; m++) {
		pid_t pid = shm_t_fork();

		CHECK(pid >= 0);
		if (pid == 0)
			exit(run_mode(modes[m]));
		CHECK(shm_t_reap(pid, 50000) == 0);
		printf("FI_SHM_COOP=%s: passed\n", modes[m]);
	}
	return 0;
}
