/* shm: FI_ATOMIC between two processes. For every datatype (integers,
 * floating point, complex) and every operation fi_query_atomic reports for
 * fi_atomic, fi_fetch_atomic and fi_compare_atomic, the initiator puts a
 * known value (6) at a fresh place in the target's registered memory,
 * applies the operation with operand 3 (compare value 6), checks the old
 * value returned and reads the new one back against a reference. Also:
 * inject, the v and msg forms, a wrong key and a read-only region refused
 * with the memory untouched, and bad input. The target only drives
 * progress. Runs with CMA and without (FI_SHM_CMA=0: the reads that check
 * the results then go through bounce slots too). */
#include <complex.h>
#include <poll.h>
#include <stdlib.h>

#include <rdma/fi_atomic.h>
#include <rdma/fi_rma.h>

#include "atomic_expect.h"
#include "shm_test.h"

#define REGION (1 << 20)
#define SLOT 64
#define KEY_RW 0x4321
#define KEY_RO 0x77
#define CAPS (FI_MSG | FI_RMA | FI_ATOMIC)

static char *region, *ro_region;

static void target(const struct shm_t_pipe *p)
{
	struct shm_t t;
	struct fid_mr *rw, *ro;
	uint64_t keys[2];
	struct pollfd pfd = { .fd = p->rfd, .events = POLLIN };

	shm_t_open(&t, CAPS);
	(void)shm_t_swap(&t, p);
	memset(region, 0, REGION);
	memset(ro_region, 0x11, 4096);
	CHECK_OK(fi_mr_reg(t.domain, region, REGION,
			   FI_REMOTE_READ | FI_REMOTE_WRITE, 0, KEY_RW, 0, &rw,
			   NULL));
	CHECK_OK(fi_mr_reg(t.domain, ro_region, 4096, FI_REMOTE_READ, 0,
			   KEY_RO, 0, &ro, NULL));
	keys[0] = fi_mr_key(rw);
	keys[1] = fi_mr_key(ro);
	shm_t_send_bytes(p, keys, sizeof(keys));
	/* Serve until the initiator says it is done (the pipe is looked at
	 * now and then: a syscall per progress call would slow us down). */
	for (unsigned i = 1;; i++) {
		(void)fi_cq_read(t.rx, NULL, 0);
		if (!(i & 255) && poll(&pfd, 1, 0) != 0)
			break;
	}
	shm_t_sync(p);
	for (int i = 0; i < 4096; i++)
		CHECK(ro_region[i] == 0x11);
	CHECK_OK(fi_close(&rw->fid));
	CHECK_OK(fi_close(&ro->fid));
	shm_t_close(&t);
}

/* ---- the initiator ------------------------------------------------------ */

static struct shm_t t;
static fi_addr_t peer;
static uint64_t key_rw, key_ro;
static size_t next_off;

static void wait_ok(void *ctx, uint64_t kind)
{
	struct fi_cq_tagged_entry c;

	shm_t_expect(t.tx, &c, NULL);
	CHECK(c.op_context == ctx);
	CHECK((c.flags & kind) == kind);
}

static void wait_err(void *ctx, int err)
{
	struct fi_cq_err_entry e;

	shm_t_expect_err(t.tx, &e);
	CHECK(e.op_context == ctx);
	if (e.err != err)
		fprintf(stderr, "error %d, expected %d\n", e.err, err);
	CHECK(e.err == err);
}

static void rma_put(size_t off, const void *b, size_t len)
{
	int ctx;

	CHECK_OK(fi_write(t.ep, b, len, NULL, peer, off, key_rw, &ctx));
	wait_ok(&ctx, FI_RMA | FI_WRITE);
}

static void rma_get(size_t off, void *b, size_t len)
{
	int ctx;

	CHECK_OK(fi_read(t.ep, b, len, NULL, peer, off, key_rw, &ctx));
	wait_ok(&ctx, FI_RMA | FI_READ);
}

/* One (kind, op, dt) case on 2 elements. */
static void one(int kind, enum fi_op op, enum fi_datatype dt, size_t sz)
{
	_Alignas(16) uint8_t init[2 * 32], operand[2 * 32], cmp[2 * 32],
		result[2 * 32], after[2 * 32];
	size_t off = next_off, n = 2;
	int ctx;

	next_off += SLOT;
	CHECK(next_off <= REGION);
	memset(init, 0, sizeof(init));
	memset(result, 0, sizeof(result));
	for (size_t i = 0; i < n; i++) {
		atomic_put(dt, init + i * sz, 6);
		atomic_put(dt, operand + i * sz, 3);
		atomic_put(dt, cmp + i * sz, 6);
	}
	rma_put(off, init, n * sz);
	switch (kind) {
	case 0:
		CHECK_OK(fi_atomic(t.ep, operand, n, NULL, peer, off, key_rw,
				   dt, op, &ctx));
		wait_ok(&ctx, FI_ATOMIC | FI_WRITE);
		break;
	case 1:
		CHECK_OK(fi_fetch_atomic(t.ep, operand, n, NULL, result, NULL,
					 peer, off, key_rw, dt, op, &ctx));
		wait_ok(&ctx, FI_ATOMIC | FI_READ);
		break;
	default:
		CHECK_OK(fi_compare_atomic(t.ep, operand, n, NULL, cmp, NULL,
					   result, NULL, peer, off, key_rw,
					   dt, op, &ctx));
		wait_ok(&ctx, FI_ATOMIC | FI_READ);
		break;
	}
	rma_get(off, after, n * sz);
	for (size_t i = 0; i < n; i++) {
		long double got = atomic_get(dt, after + i * sz);

		if (got != atomic_ref(op)) {
			fprintf(stderr, "kind %d op %d dt %d: %Lg, expected "
					"%Lg\n", kind, (int)op, (int)dt, got,
				atomic_ref(op));
			CHECK(0);
		}
		if (kind)
			CHECK(atomic_get(dt, result + i * sz) == 6);
	}
}

static void all_ops(void)
{
	static const enum fi_datatype dts[] = {
		FI_INT8, FI_UINT8, FI_INT16, FI_UINT16, FI_INT32, FI_UINT32,
		FI_INT64, FI_UINT64, FI_FLOAT, FI_DOUBLE, FI_LONG_DOUBLE,
		FI_FLOAT_COMPLEX, FI_DOUBLE_COMPLEX, FI_LONG_DOUBLE_COMPLEX,
	};
	static const uint64_t qflags[3] = { 0, FI_FETCH_ATOMIC,
					    FI_COMPARE_ATOMIC };
	int cases = 0;

	for (size_t d = 0; d < sizeof(dts) / sizeof(dts[0]); d++) {
		for (int kind = 0; kind < 3; kind++) {
			for (int op = FI_MIN; op <= FI_MSWAP; op++) {
				struct fi_atomic_attr a;
				size_t cnt;
				int q = fi_query_atomic(t.domain, dts[d], op,
							&a, qflags[kind]);
				int v = kind == 0   ? fi_atomicvalid(t.ep,
							dts[d], op, &cnt)
					: kind == 1 ? fi_fetch_atomicvalid(
							t.ep, dts[d], op, &cnt)
						    : fi_compare_atomicvalid(
							t.ep, dts[d], op, &cnt);

				CHECK(!q == !v);
				if (q)
					continue;
				CHECK(cnt == a.count && cnt >= 2);
				one(kind, op, dts[d], a.size);
				cases++;
			}
		}
		/* Every type has at least a sum. */
		{
			struct fi_atomic_attr a;

			CHECK_OK(fi_query_atomic(t.domain, dts[d], FI_SUM, &a,
						 0));
		}
	}
	printf("%d atomic cases checked\n", cases);
}

static void misc(void)
{
	uint64_t v = 6, o = 3, res[2] = { 0 }, back[2];
	size_t off = next_off;
	int ctx;

	next_off += SLOT;
	/* inject */
	rma_put(off, &v, 8);
	CHECK_OK(fi_inject_atomic(t.ep, &o, 1, peer, off, key_rw, FI_UINT64,
				  FI_SUM));
	rma_get(off, back, 8); /* ordered after the inject */
	CHECK(back[0] == 9);
	/* v forms: two pieces of one element each */
	{
		uint64_t a = 1, b = 2, init[2] = { 10, 20 };
		struct fi_ioc iov[2] = { { &a, 1 }, { &b, 1 } };
		struct fi_ioc rv[2] = { { &res[0], 1 }, { &res[1], 1 } };
		struct fi_rma_ioc r = { off, 2, key_rw };
		struct fi_msg_atomic m = {
			.msg_iov = iov, .iov_count = 2, .addr = peer,
			.rma_iov = &r, .rma_iov_count = 1,
			.datatype = FI_UINT64, .op = FI_SUM, .context = &ctx,
		};

		rma_put(off, init, 16);
		CHECK_OK(fi_atomicv(t.ep, iov, NULL, 2, peer, off, key_rw,
				    FI_UINT64, FI_SUM, &ctx));
		wait_ok(&ctx, FI_ATOMIC);
		rma_get(off, back, 16);
		CHECK(back[0] == 11 && back[1] == 22);
		CHECK_OK(fi_fetch_atomicmsg(t.ep, &m, rv, NULL, 2,
					    FI_COMPLETION));
		wait_ok(&ctx, FI_ATOMIC | FI_READ);
		CHECK(res[0] == 11 && res[1] == 22);
		CHECK_OK(fi_atomicmsg(t.ep, &m, FI_COMPLETION));
		wait_ok(&ctx, FI_ATOMIC | FI_WRITE);
		rma_get(off, back, 16);
		CHECK(back[0] == 13 && back[1] == 26);
	}
	/* refused at the target, memory untouched */
	CHECK_OK(fi_atomic(t.ep, &o, 1, NULL, peer, off, key_rw + 5,
			   FI_UINT64, FI_SUM, &ctx));
	wait_err(&ctx, FI_EKEYREJECTED);
	CHECK_OK(fi_atomic(t.ep, &o, 1, NULL, peer, 0, key_ro, FI_UINT64,
			   FI_SUM, &ctx));
	wait_err(&ctx, FI_EACCES);
	CHECK_OK(fi_fetch_atomic(t.ep, &o, 1, NULL, res, NULL, peer,
				 REGION - 4, key_rw, FI_UINT64, FI_SUM, &ctx));
	wait_err(&ctx, FI_EINVAL);
	rma_get(off, back, 16);
	CHECK(back[0] == 13 && back[1] == 26);
	/* bad input at the initiator */
	CHECK_RET(fi_atomic(t.ep, &o, 1000, NULL, peer, off, key_rw,
			    FI_UINT64, FI_SUM, &ctx), -FI_EINVAL);
	CHECK_RET(fi_atomic(t.ep, &o, 1, NULL, peer, off, key_rw, FI_DOUBLE,
			    FI_BOR, &ctx), -FI_EOPNOTSUPP);
	CHECK_RET(fi_atomic(t.ep, &o, 1, NULL, peer, off, key_rw, FI_UINT64,
			    FI_CSWAP, &ctx), -FI_EOPNOTSUPP);
	CHECK_RET(fi_atomic(t.ep, NULL, 1, NULL, peer, off, key_rw, FI_UINT64,
			    FI_SUM, &ctx), -FI_EINVAL);
	CHECK_RET(fi_atomic(t.ep, &o, 1, NULL, 999, off, key_rw, FI_UINT64,
			    FI_SUM, &ctx), -FI_EINVAL);
}

static void initiator(const struct shm_t_pipe *p)
{
	uint64_t keys[2];

	shm_t_open(&t, CAPS);
	peer = shm_t_swap(&t, p);
	shm_t_recv_bytes(p, keys, sizeof(keys));
	key_rw = keys[0];
	key_ro = keys[1];
	all_ops();
	misc();
	shm_t_sync(p);
	shm_t_close(&t);
}

static int run_mode(const char *cma)
{
	struct shm_t_pipe p[2];
	pid_t child;

	setenv("FI_SHM_CMA", cma, 1);
	region = malloc(REGION);
	ro_region = malloc(4096);
	CHECK(region && ro_region);
	shm_t_pipes(p);
	child = shm_t_fork();
	CHECK(child >= 0);
	if (child == 0) {
		alarm(60);
		close(p[0].rfd);
		close(p[0].wfd);
		initiator(&p[1]);
		exit(0);
	}
	close(p[1].rfd);
	close(p[1].wfd);
	target(&p[0]);
	CHECK(shm_t_reap(child, 30000) == 0);
	free(region);
	free(ro_region);
	return 0;
}

int main(void)
{
	const char *modes[] = { "1", "0" };

	weft_test_require_weft_loaded();
	alarm(100);
	for (int m = 0; m < 2; m++) {
		pid_t pid = shm_t_fork();

		CHECK(pid >= 0);
		if (pid == 0)
			exit(run_mode(modes[m]));
		CHECK(shm_t_reap(pid, 45000) == 0);
	}
	return 0;
}
