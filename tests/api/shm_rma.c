/* shm: FI_RMA between two processes. The target registers a read-write
 * and a read-only region; the initiator writes and reads them (write,
 * writev, writemsg with two ranges, read, readv, readmsg, inject_write,
 * writedata with the target's remote-CQ-data completion) with data
 * checks, and gets error completions for a wrong key, a range past the
 * region and a write into the read-only region, with the target's memory
 * untouched, also when only the second of two ranges is bad (nothing of
 * the first is written). Large transfers (many bounce slots' worth) with
 * data checks. The target only drives progress. Everything runs three
 * times: with CMA, without (FI_SHM_CMA=0: RMA through bounce slots), and
 * with CMA allowed by the self-test but refused by the kernel between the
 * two processes (the initiator is not dumpable and the target lacks
 * CAP_SYS_PTRACE): the target answers that it cannot, and the initiator
 * switches to bounce slots for that peer. */
#define _GNU_SOURCE /* process_vm_readv */
#include <linux/capability.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <rdma/fi_rma.h>

#include "shm_test.h"

#define REGION (1 << 20)
#define KEY_RW 0x1234
#define KEY_RO 0x99
#define CAPS (FI_MSG | FI_RMA)

struct keys {
	uint64_t rw, ro;
};

static char *region, *ro_region, *buf, *back;
static bool denied;
static pid_t peer_pid;

/* Drop CAP_SYS_PTRACE from our effective set (root could otherwise read
 * a non-dumpable process). */
static void drop_ptrace_cap(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	CHECK(syscall(SYS_capget, &h, d) == 0);
	d[CAP_SYS_PTRACE / 32].effective &= ~(1u << (CAP_SYS_PTRACE % 32));
	CHECK(syscall(SYS_capset, &h, d) == 0);
}

static void target(const struct shm_t_pipe *p)
{
	struct shm_t t;
	struct fid_mr *rw, *ro;
	struct keys k;
	struct fi_cq_tagged_entry c;
	struct pollfd pfd = { .fd = p->rfd, .events = POLLIN };
	uint64_t events = 0;

	shm_t_open(&t, CAPS);
	(void)shm_t_swap(&t, p);
	if (denied) {
		/* Is CMA really refused between us? (The initiator made
		 * itself non-dumpable before the swap.) */
		char x[8];
		struct iovec l = { x, sizeof(x) }, r = { region, sizeof(x) };

		if (process_vm_readv(peer_pid, &l, 1, &r, 1, 0) >= 0 ||
		    errno != EPERM)
			printf("note: CMA not refused here (%s): the "
			       "fallback is not exercised\n",
			       strerror(errno));
	}
	shm_t_fill(region, REGION, 7);
	memset(ro_region, 0x5a, 4096);
	CHECK_OK(fi_mr_reg(t.domain, region, REGION,
			   FI_REMOTE_READ | FI_REMOTE_WRITE, 0, KEY_RW, 0, &rw,
			   NULL));
	CHECK_OK(fi_mr_reg(t.domain, ro_region, 4096, FI_REMOTE_READ, 0,
			   KEY_RO, 0, &ro, NULL));
	k.rw = fi_mr_key(rw);
	k.ro = fi_mr_key(ro);
	shm_t_send_bytes(p, &k, sizeof(k));
	/* Serve until the initiator says it is done. */
	for (;;) {
		ssize_t r = fi_cq_read(t.rx, &c, 1);

		if (r == 1) {
			CHECK(c.flags & FI_REMOTE_CQ_DATA);
			CHECK(c.flags & FI_REMOTE_WRITE);
			CHECK(c.data == 0xfeed + events);
			events++;
			continue;
		}
		CHECK_RET(r, -FI_EAGAIN);
		if (poll(&pfd, 1, 0) == 1)
			break;
	}
	shm_t_sync(p);
	shm_t_send_bytes(p, &events, sizeof(events));
	/* The half the initiator never wrote still holds our pattern. */
	shm_t_fill(buf, REGION, 7);
	CHECK(!memcmp(region + 600000, buf + 600000, REGION - 600000));
	/* The read-only region was never written. */
	for (int i = 0; i < 4096; i++)
		CHECK(ro_region[i] == 0x5a);
	CHECK_OK(fi_close(&rw->fid));
	CHECK_OK(fi_close(&ro->fid));
	shm_t_close(&t);
}

static void expect_ok(struct shm_t *t, void *ctx, uint64_t kind)
{
	struct fi_cq_tagged_entry c;

	shm_t_expect(t->tx, &c, NULL);
	CHECK(c.op_context == ctx);
	CHECK((c.flags & (FI_RMA | kind)) == (FI_RMA | kind));
}

static void expect_fail(struct shm_t *t, void *ctx, int err)
{
	struct fi_cq_err_entry e;

	shm_t_expect_err(t->tx, &e);
	CHECK(e.op_context == ctx);
	if (e.err != err)
		fprintf(stderr, "error %d (%s), expected %d\n", e.err,
			fi_strerror(e.err), err);
	CHECK(e.err == err);
}

static void initiator(const struct shm_t_pipe *p)
{
	struct shm_t t;
	struct keys k;
	fi_addr_t peer;
	uint64_t events;
	int ctx[4];

	shm_t_open(&t, CAPS);
	peer = shm_t_swap(&t, p);
	shm_t_recv_bytes(p, &k, sizeof(k));

	/* write, read back */
	shm_t_fill(buf, 65536, 1);
	CHECK_OK(fi_write(t.ep, buf, 65536, NULL, peer, 1000, k.rw, &ctx[0]));
	expect_ok(&t, &ctx[0], FI_WRITE);
	memset(back, 0, 65536);
	CHECK_OK(fi_read(t.ep, back, 65536, NULL, peer, 1000, k.rw, &ctx[1]));
	expect_ok(&t, &ctx[1], FI_READ);
	CHECK(shm_t_check(back, 65536, 1));
	/* untouched around it: the target's pattern (seed 7) */
	memset(back, 0, 1000);
	CHECK_OK(fi_read(t.ep, back, 1000, NULL, peer, 0, k.rw, &ctx[1]));
	expect_ok(&t, &ctx[1], FI_READ);
	CHECK(shm_t_check(back, 1000, 7));

	/* writev of 3 pieces, readmsg from 2 ranges */
	{
		struct iovec v[3] = { { buf, 100 }, { buf + 100, 5000 },
				      { buf + 5100, 3 } };
		struct iovec rv[2] = { { back, 5003 }, { back + 5003, 100 } };
		struct fi_rma_iov r[2] = { { 200000 + 100, 5003, k.rw },
					   { 200000, 100, k.rw } };
		struct fi_msg_rma m = { .msg_iov = rv, .iov_count = 2,
					.addr = peer, .rma_iov = r,
					.rma_iov_count = 2,
					.context = &ctx[2] };

		shm_t_fill(buf, 5103, 2);
		CHECK_OK(fi_writev(t.ep, v, NULL, 3, peer, 200000, k.rw,
				   &ctx[0]));
		expect_ok(&t, &ctx[0], FI_WRITE);
		/* read it back rotated: [100..5103) then [0..100) */
		CHECK_OK(fi_readmsg(t.ep, &m, FI_COMPLETION));
		expect_ok(&t, &ctx[2], FI_READ);
		CHECK(!memcmp(back, buf + 100, 5003));
		CHECK(!memcmp(back + 5003, buf, 100));
		/* readv: two local pieces from one range */
		memset(back, 0, 5103);
		CHECK_OK(fi_readv(t.ep, rv, NULL, 2, peer, 200000, k.rw,
				  &ctx[3]));
		expect_ok(&t, &ctx[3], FI_READ);
		CHECK(shm_t_check(back, 5103, 2));
	}

	/* large: many bounce slots' worth, at an odd offset; zero bytes */
	shm_t_fill(buf, 300001, 5);
	CHECK_OK(fi_write(t.ep, buf, 300001, NULL, peer, 5, k.rw, &ctx[0]));
	expect_ok(&t, &ctx[0], FI_WRITE);
	memset(back, 0, 300001);
	CHECK_OK(fi_read(t.ep, back, 300001, NULL, peer, 5, k.rw, &ctx[1]));
	expect_ok(&t, &ctx[1], FI_READ);
	CHECK(shm_t_check(back, 300001, 5));
	CHECK_OK(fi_write(t.ep, buf, 0, NULL, peer, 5, k.rw, &ctx[2]));
	expect_ok(&t, &ctx[2], FI_WRITE);

	/* inject_write: no completion; read after it sees it (in order) */
	shm_t_fill(buf, 100, 3);
	CHECK_OK(fi_inject_write(t.ep, buf, 100, peer, 300000, k.rw));
	memset(buf, 0, 100); /* the buffer is ours again */
	CHECK_OK(fi_read(t.ep, back, 100, NULL, peer, 300000, k.rw, &ctx[1]));
	expect_ok(&t, &ctx[1], FI_READ);
	CHECK(shm_t_check(back, 100, 3));
	shm_t_expect_none(t.tx, 20);

	/* writedata: the target sees remote CQ data */
	shm_t_fill(buf, 4000, 4);
	CHECK_OK(fi_writedata(t.ep, buf, 4000, NULL, 0xfeed, peer, 400000,
			      k.rw, &ctx[0]));
	expect_ok(&t, &ctx[0], FI_WRITE);
	CHECK_OK(fi_writedata(t.ep, buf, 40, NULL, 0xfeed + 1, peer, 400000,
			      k.rw, &ctx[0]));
	expect_ok(&t, &ctx[0], FI_WRITE);

	/* refused at the target */
	memset(buf, 0xee, 4096);
	CHECK_OK(fi_write(t.ep, buf, 64, NULL, peer, 0, k.rw + 77, &ctx[0]));
	expect_fail(&t, &ctx[0], FI_EKEYREJECTED);
	CHECK_OK(fi_write(t.ep, buf, 100, NULL, peer, REGION - 10, k.rw,
			  &ctx[1]));
	expect_fail(&t, &ctx[1], FI_EINVAL);
	CHECK_OK(fi_write(t.ep, buf, 64, NULL, peer, 0, k.ro, &ctx[2]));
	expect_fail(&t, &ctx[2], FI_EACCES);
	CHECK_OK(fi_read(t.ep, back, 64, NULL, peer, 4090, k.ro, &ctx[3]));
	expect_fail(&t, &ctx[3], FI_EINVAL);
	/* two ranges, the second bad: nothing of the first is written */
	{
		struct iovec v = { buf, 2000 };
		struct fi_rma_iov r[2] = { { 500000, 1000, k.rw },
					   { 0, 1000, k.rw + 1 } };
		struct fi_msg_rma m = { .msg_iov = &v, .iov_count = 1,
					.addr = peer, .rma_iov = r,
					.rma_iov_count = 2,
					.context = &ctx[0] };

		CHECK_OK(fi_writemsg(t.ep, &m, FI_COMPLETION));
		expect_fail(&t, &ctx[0], FI_EKEYREJECTED);
		r[1].key = k.rw;
		r[1].addr = REGION - 500;
		CHECK_OK(fi_writemsg(t.ep, &m, FI_COMPLETION));
		expect_fail(&t, &ctx[0], FI_EINVAL);
		memset(back, 0, 1000);
		CHECK_OK(fi_read(t.ep, back, 1000, NULL, peer, 500000, k.rw,
				 &ctx[1]));
		expect_ok(&t, &ctx[1], FI_READ);
		shm_t_fill(buf, REGION, 7);
		CHECK(!memcmp(back, buf + 500000, 1000));
	}
	/* the last bytes of the region are still the target's */
	CHECK_OK(fi_read(t.ep, back, 10, NULL, peer, REGION - 10, k.rw,
			 &ctx[1]));
	expect_ok(&t, &ctx[1], FI_READ);
	shm_t_fill(buf, REGION, 7);
	CHECK(!memcmp(back, buf + REGION - 10, 10));

	/* bad input at the initiator */
	CHECK_RET(fi_inject_write(t.ep, buf, t.info->tx_attr->inject_size + 1,
				  peer, 0, k.rw), -FI_EMSGSIZE);
	CHECK_RET(fi_write(t.ep, NULL, 8, NULL, peer, 0, k.rw, &ctx[0]),
		  -FI_EINVAL);
	CHECK_RET(fi_write(t.ep, buf, 8, NULL, 4242, 0, k.rw, &ctx[0]),
		  -FI_EINVAL);

	/* done: the target stops serving */
	shm_t_sync(p);
	shm_t_recv_bytes(p, &events, sizeof(events));
	CHECK(events == 2);
	shm_t_close(&t);
}

static int run_mode(const char *cma, bool deny)
{
	struct shm_t_pipe p[2];
	pid_t child;

	setenv("FI_SHM_CMA", cma, 1);
	denied = deny;
	if (deny)
		drop_ptrace_cap();
	shm_t_pipes(p);
	child = shm_t_fork();
	CHECK(child >= 0);
	if (child == 0) {
		alarm(60);
		close(p[0].rfd);
		close(p[0].wfd);
		if (deny)
			CHECK(prctl(PR_SET_DUMPABLE, 0) == 0);
		initiator(&p[1]);
		exit(0);
	}
	peer_pid = child;
	close(p[1].rfd);
	close(p[1].wfd);
	target(&p[0]);
	CHECK(shm_t_reap(child, 20000) == 0);
	return 0;
}

int main(void)
{
	const char *modes[] = { "1", "0", "1" };

	weft_test_require_weft_loaded();
	alarm(100);
	region = malloc(REGION);
	ro_region = malloc(4096);
	buf = malloc(REGION);
	back = malloc(REGION);
	CHECK(region && ro_region && buf && back);
	for (int m = 0; m < 3; m++) {
		pid_t pid = shm_t_fork();

		CHECK(pid >= 0);
		if (pid == 0)
			exit(run_mode(modes[m], m == 2));
		CHECK(shm_t_reap(pid, 40000) == 0);
	}
	free(region);
	free(ro_region);
	free(buf);
	free(back);
	return 0;
}
