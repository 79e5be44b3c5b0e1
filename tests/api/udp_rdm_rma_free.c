/* udp FI_EP_RDM: after an RMA or atomic operation completes, the provider
 * no longer reads the application's memory (public API only).
 *
 * With 10% of the packets dropped on purpose (FI_UDP_RDM_DROP_PPM), acks
 * get lost and packets are retransmitted. The initiator makes each
 * operation's source buffer (write data, writedata, atomic operand)
 * inaccessible (mprotect PROT_NONE, from fresh pages never reused) right
 * after the operation's completion; the target does the same to each
 * region it served reads from, right after fi_close() of its MR, once the
 * initiator reports the read complete. A retransmission that still read
 * such memory would make sendmsg fail with EFAULT, which the provider
 * logs ("sendmsg: Bad address") at FI_LOG_LEVEL=warn; in an ASan build a
 * freed buffer would be reported instead, this catches the same reads on
 * any build. A supervisor process runs the target and the initiator with
 * their stderr in a file, then checks the exit status and that no such
 * line was logged. Every byte written, read and fetched is verified. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>

#include "udp_rdm_test.h"

#define CAPS (FI_MSG | FI_RMA | FI_ATOMIC)
#define ROUNDS 48
#define SLOT ((size_t)64 << 10)   /* write slot in the target's region */
#define WREGION (ROUNDS * SLOT)
#define KEY_W 0x77
#define KEY_READ0 0x1000
#define ATOMIC_OFF (WREGION - 64) /* last slot's tail: writes stop short */
#define PAGE 4096

/* Length of round i's write and read: 1 B to ~60 KB (up to 4 packets of
 * the loopback MTU, more of a smaller one). */
static size_t round_len(int i)
{
	return (size_t)(i * 7919 % 60000) + 1;
}

struct cmd {
	char op;       /* 'r': serve a read region, 'f': close it, 'd': done */
	uint64_t len;
	uint32_t seed;
	uint64_t writes, sum; /* 'd': what the target must find */
};

/* Fresh pages, never reused in this process: once made inaccessible
 * they stay so. */
static uint8_t *arena;
static size_t arena_len, arena_off;

static void *fresh(size_t len)
{
	size_t n = (len + PAGE - 1) / PAGE * PAGE;
	void *p;

	CHECK(arena_off + n <= arena_len);
	p = arena + arena_off;
	arena_off += n;
	return p;
}

static void poison(void *p, size_t len)
{
	CHECK(mprotect(p, (len + PAGE - 1) / PAGE * PAGE, PROT_NONE) == 0);
}

static void arena_init(size_t len)
{
	arena_len = len;
	arena = mmap(NULL, len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(arena != MAP_FAILED);
}

/* ---- the target ----------------------------------------------------------- */

static void target(struct rdm_side *s)
{
	struct fid_mr *wmr, *rmr = NULL;
	uint8_t *wregion, *rregion = NULL;
	size_t rlen = 0;
	uint64_t key = KEY_READ0, val;
	struct cmd c;

	arena_init((size_t)ROUNDS * (SLOT + PAGE) + PAGE);
	wregion = malloc(WREGION);
	CHECK(wregion);
	memset(wregion, 0xee, WREGION);
	memset(wregion + ATOMIC_OFF, 0, 8);
	rdm_t_open(s, CAPS);
	rdm_t_enable(s);
	CHECK_OK(fi_mr_reg(s->t.domain, wregion, WREGION,
			   FI_REMOTE_READ | FI_REMOTE_WRITE, 0, KEY_W, 0, &wmr,
			   NULL));
	rdm_t_sync(s);
	for (;;) {
		rdm_t_progress_until_pipe(s);
		rdm_t_recv(s, &c, sizeof(c));
		if (c.op == 'd')
			break;
		if (c.op == 'r') {
			CHECK(!rmr);
			rlen = c.len;
			rregion = fresh(rlen);
			rdm_t_fill(rregion, rlen, c.seed);
			CHECK_OK(fi_mr_reg(s->t.domain, rregion, rlen,
					   FI_REMOTE_READ, 0, key, 0, &rmr,
					   NULL));
			rdm_t_send(s, &key, sizeof(key));
			key++;
		} else {
			/* The initiator has its data: the region is idle, the
			 * application may close it and free the memory. */
			CHECK(c.op == 'f' && rmr);
			CHECK_OK(fi_close(&rmr->fid));
			rmr = NULL;
			poison(rregion, rlen);
			/* Before anything new goes out (its packets would
			 * carry the initiator's acks), give lost acks of the
			 * answer time to cause retransmissions (RTO 1 ms). */
			for (long end = udp_t_now_ms() + 10;
			     udp_t_now_ms() < end;) {
				(void)fi_cq_read(s->e.rx, NULL, 0);
				(void)fi_cq_read(s->e.tx, NULL, 0);
			}
			rdm_t_send(s, "k", 1);
		}
	}
	for (int i = 0; i < (int)c.writes; i++)
		rdm_t_verify(wregion + i * SLOT, round_len(i), 100 + i);
	memcpy(&val, wregion + ATOMIC_OFF, 8);
	CHECK(val == c.sum);
	rdm_t_psync(s);
	CHECK_OK(fi_close(&wmr->fid));
	free(wregion); /* fi_close(ep)'s linger must not read it either */
	rdm_t_close(s);
}

/* ---- the initiator -------------------------------------------------------- */

static void initiator(struct rdm_side *s)
{
	struct cmd c = {0};
	uint8_t *dst = malloc(SLOT);
	uint64_t sum = 0, key, fetched;
	char k;
	int ctx;

	CHECK(dst);
	arena_init((size_t)ROUNDS * (SLOT + 2 * PAGE) + PAGE);
	rdm_t_open(s, CAPS);
	rdm_t_enable(s);
	rdm_t_sync(s);
	for (int i = 0; i < ROUNDS; i++) {
		size_t len = round_len(i);
		uint8_t *src = fresh(len);
		uint64_t *op = fresh(8);

		/* write or writedata: the source becomes inaccessible at
		 * once after the completion */
		rdm_t_fill(src, len, 100 + i);
		if (i % 3 == 2)
			CHECK_OK(fi_writedata(s->e.ep, src, len, NULL, i,
					      s->peer, (uint64_t)i * SLOT,
					      KEY_W, &ctx));
		else
			CHECK_OK(fi_write(s->e.ep, src, len, NULL, s->peer,
					  (uint64_t)i * SLOT, KEY_W, &ctx));
		rdm_t_ok(s->e.tx, &ctx, FI_RMA | FI_WRITE, NULL);
		poison(src, len);
		c.writes++;

		/* fetching atomic, operand poisoned after the completion */
		*op = (uint64_t)i * 1000 + 1;
		CHECK_OK(fi_fetch_atomic(s->e.ep, op, 1, NULL, &fetched, NULL,
					 s->peer, ATOMIC_OFF, KEY_W, FI_UINT64,
					 FI_SUM, &ctx));
		rdm_t_ok(s->e.tx, &ctx, FI_ATOMIC | FI_READ, NULL);
		poison(op, 8);
		CHECK(fetched == sum);
		sum += (uint64_t)i * 1000 + 1;

		/* read from a region the target closes and poisons as soon
		 * as we say we are done */
		c.op = 'r';
		c.len = len;
		c.seed = 500 + i;
		rdm_t_send(s, &c, sizeof(c));
		rdm_t_recv(s, &key, sizeof(key));
		memset(dst, 0, len);
		CHECK_OK(fi_read(s->e.ep, dst, len, NULL, s->peer, 0, key,
				 &ctx));
		rdm_t_ok(s->e.tx, &ctx, FI_RMA | FI_READ, NULL);
		rdm_t_verify(dst, len, 500 + i);
		c.op = 'f';
		rdm_t_send(s, &c, sizeof(c));
		rdm_t_progress_until_pipe(s);
		rdm_t_recv(s, &k, 1);
		CHECK(k == 'k');
	}
	c.op = 'd';
	c.sum = sum;
	rdm_t_send(s, &c, sizeof(c));
	rdm_t_psync(s);
	rdm_t_close(s);
	free(dst);
}

/* ---- the supervisor ------------------------------------------------------- */

static int run_pair(void)
{
	struct rdm_side s;
	pid_t pid;
	int st;

	pid = rdm_t_fork(&s);
	if (pid == 0) {
		alarm(60);
		initiator(&s);
		_exit(0);
	}
	target(&s);
	st = rdm_t_reap(pid, 30000);
	if (st)
		fprintf(stderr, "initiator exit status %d\n", st);
	return st;
}

int main(void)
{
	char path[] = "/tmp/weft_udp_rma_free_XXXXXX", line[1024];
	int fd, st, bad = 0;
	pid_t pid;
	FILE *f;

	weft_test_require_weft_loaded();
	alarm(100);
	setenv("FI_UDP_RDM_DROP_PPM", "100000", 1);
	/* Retransmit timers well above the pipe's latency: a side learns
	 * that the memory is gone before any retransmission of it is due,
	 * so every ack lost at the end of an operation exposes the bug. */
	setenv("FI_UDP_RDM_RTO_MIN_US", "1000", 1);
	setenv("FI_LOG_LEVEL", "warn", 1);
	fd = mkstemp(path);
	CHECK(fd >= 0);
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* Both sides log into the file (the initiator inherits it). */
		CHECK(dup2(fd, 2) == 2);
		_exit(run_pair());
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	f = fdopen(fd, "r");
	CHECK(f);
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		fputs(line, stderr);
		if (strstr(line, "sendmsg"))
			bad++;
	}
	fclose(f);
	unlink(path);
	if (bad)
		fprintf(stderr, "%d sendmsg failures: memory read after its "
				"operation completed or its MR closed\n", bad);
	CHECK(bad == 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return 0;
}
