/* shm: 16 processes, all to all, tagged, with data checks. Every process
 * sends every other one a message per round (inline, CMA/rendezvous and
 * multi-chunk sizes) and receives one from each, matching on a tag that
 * names the sender and the round. Odd ranks run with FI_SHM_CMA=0, so
 * pairs mix the CMA and bounce-buffer paths (a sender that offers CMA to a
 * receiver that does not use it is answered with the copy path). Rings
 * are small, so senders meet full rings. 16 busy processes share the
 * machine's cores: waits yield the CPU. */
#include <sched.h>
#include <stdlib.h>

#include "shm_test.h"

#define NP 16
#define ROUNDS 3
#define MAXLEN 100000

static const size_t sizes[ROUNDS] = { 64, 5000, MAXLEN };

static unsigned seed_of(int src, int dst, int round)
{
	return (unsigned)(src * 1000 + dst * 10 + round);
}

/* Read n completions from cq (failing on errors) within the deadline,
 * yielding between empty reads. */
static void collect(struct fid_cq *cq, struct fid_cq *other, int n,
		    long deadline)
{
	struct fi_cq_tagged_entry c;

	while (n > 0) {
		ssize_t r = fi_cq_read(cq, &c, 1);

		if (r == 1) {
			n--;
			continue;
		}
		if (r == -FI_EAVAIL) {
			struct fi_cq_err_entry e = { 0 };

			CHECK(fi_cq_readerr(cq, &e, 0) == 1);
			fprintf(stderr, "error completion %d (%s)\n", e.err,
				fi_strerror(e.err));
			CHECK(0);
		}
		CHECK_RET(r, -FI_EAGAIN);
		CHECK(shm_t_now_ms() < deadline);
		if (other)
			(void)fi_cq_read(other, NULL, 0);
		sched_yield();
	}
}

static void rank_main(int me, const struct shm_t_pipe *p)
{
	static char tx[NP][MAXLEN], rx[NP][MAXLEN];
	char names[NP][SHM_T_NAME];
	fi_addr_t addr[NP];
	struct shm_t t;
	long deadline;

	if (me & 1)
		setenv("FI_SHM_CMA", "0", 1);
	setenv("FI_SHM_RING_SIZE", "32", 1);
	shm_t_open_ex(&t, FI_TAGGED,
		      &(struct shm_t_opts){ .cq_size = 4 * NP });
	shm_t_send_bytes(p, t.name, SHM_T_NAME);
	shm_t_recv_bytes(p, names, sizeof(names));
	for (int i = 0; i < NP; i++) {
		names[i][SHM_T_NAME - 1] = 0;
		addr[i] = shm_t_insert(&t, names[i]);
	}
	shm_t_sync(p);
	deadline = shm_t_now_ms() + 60000;

	for (int round = 0; round < ROUNDS; round++) {
		size_t len = sizes[round];

		for (int src = 0; src < NP; src++) {
			uint64_t tag = (uint64_t)src << 32 | (uint64_t)round;

			if (src == me)
				continue;
			for (;;) {
				ssize_t r = fi_trecv(t.ep, rx[src], MAXLEN,
						     NULL, FI_ADDR_UNSPEC,
						     tag, 0, rx[src]);
				if (r == 0)
					break;
				CHECK_RET(r, -FI_EAGAIN);
				CHECK(shm_t_now_ms() < deadline);
				(void)fi_cq_read(t.tx, NULL, 0);
			}
		}
		for (int k = 1; k < NP; k++) {
			int dst = (me + k) % NP; /* spread the load */
			uint64_t tag = (uint64_t)me << 32 | (uint64_t)round;

			shm_t_fill(tx[dst], len, seed_of(me, dst, round));
			for (;;) {
				ssize_t r = fi_tsend(t.ep, tx[dst], len, NULL,
						     addr[dst], tag, tx[dst]);
				if (r == 0)
					break;
				CHECK_RET(r, -FI_EAGAIN);
				CHECK(shm_t_now_ms() < deadline);
				(void)fi_cq_read(t.rx, NULL, 0);
				sched_yield();
			}
		}
		collect(t.tx, t.rx, NP - 1, deadline);
		collect(t.rx, t.tx, NP - 1, deadline);
		for (int src = 0; src < NP; src++)
			if (src != me)
				CHECK(shm_t_check(rx[src], len,
						  seed_of(src, me, round)));
	}
	/* Everyone done before anyone closes: a late reply must still find
	 * its endpoint. */
	shm_t_sync(p);
	shm_t_close(&t);
}

int main(void)
{
	struct shm_t_pipe p[NP][2];
	char names[NP][SHM_T_NAME];
	pid_t kids[NP];

	weft_test_require_weft_loaded();
	alarm(110);
	for (int r = 0; r < NP; r++) {
		shm_t_pipes(p[r]);
		kids[r] = shm_t_fork();
		CHECK(kids[r] >= 0);
		if (kids[r] == 0) {
			alarm(100);
			rank_main(r, &p[r][1]);
			exit(0);
		}
	}
	for (int r = 0; r < NP; r++)
		shm_t_recv_bytes(&p[r][0], names[r], SHM_T_NAME);
	for (int r = 0; r < NP; r++)
		shm_t_send_bytes(&p[r][0], names, sizeof(names));
	for (int r = 0; r < NP; r++)
		shm_t_sync(&p[r][0]);
	for (int r = 0; r < NP; r++)
		shm_t_sync(&p[r][0]);
	for (int r = 0; r < NP; r++)
		CHECK(shm_t_reap(kids[r], 30000) == 0);
	printf("%d processes x %d rounds all-to-all passed\n", NP, ROUNDS);
	return 0;
}
