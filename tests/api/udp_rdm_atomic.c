/* udp FI_EP_RDM: FI_ATOMIC between two processes (public API only). For
 * every datatype (integers, floating point, complex) and every operation
 * fi_query_atomic reports for fi_atomic, fi_fetch_atomic and
 * fi_compare_atomic, the initiator puts a known value (6) at a fresh place
 * in the target's registered memory, applies the operation with operand 3
 * (compare value 6), checks the old value returned and reads the new one
 * back against a reference; fi_*atomicvalid must agree with
 * fi_query_atomic, and the count both give must be usable. Also: inject,
 * the v and msg forms with several pieces, a wrong key, a read-only region
 * and a range past the end refused with the memory untouched, and bad
 * input. The target only drives progress. */
#include <complex.h>

#include "atomic_expect.h"
#include "udp_rdm_test.h"

#define REGION (1 << 20)
#define SLOT 64
#define KEY_RW 0x4321
#define KEY_RO 0x77
#define CAPS (FI_MSG | FI_RMA | FI_ATOMIC)

static char *region, *ro_region;

static void target(struct rdm_side *s)
{
	struct fid_mr *rw, *ro;
	struct pollfd pfd = {.fd = s->rfd, .events = POLLIN};

	rdm_t_open(s, CAPS);
	rdm_t_enable(s);
	memset(region, 0, REGION);
	memset(ro_region, 0x11, 4096);
	CHECK_OK(fi_mr_reg(s->t.domain, region, REGION,
			   FI_REMOTE_READ | FI_REMOTE_WRITE, 0, KEY_RW, 0, &rw,
			   NULL));
	CHECK_OK(fi_mr_reg(s->t.domain, ro_region, 4096, FI_REMOTE_READ, 0,
			   KEY_RO, 0, &ro, NULL));
	rdm_t_sync(s);
	/* Serve until the initiator says it is done. */
	for (unsigned i = 1;; i++) {
		(void)fi_cq_read(s->e.rx, NULL, 0);
		if (!(i & 63) && poll(&pfd, 1, 0) != 0)
			break;
	}
	rdm_t_sync(s);
	for (int i = 0; i < 4096; i++)
		CHECK(ro_region[i] == 0x11);
	CHECK_OK(fi_close(&rw->fid));
	CHECK_OK(fi_close(&ro->fid));
	rdm_t_close(s);
}

/* ---- the initiator ------------------------------------------------------- */

static struct rdm_side *S;
static size_t next_off;

static void wait_ok(void *ctx, uint64_t kind)
{
	rdm_t_ok(S->e.tx, ctx, kind, NULL);
}

static void rma_put(size_t off, const void *b, size_t len)
{
	int ctx;

	CHECK_OK(fi_write(S->e.ep, b, len, NULL, S->peer, off, KEY_RW, &ctx));
	wait_ok(&ctx, FI_RMA | FI_WRITE);
}

static void rma_get(size_t off, void *b, size_t len)
{
	int ctx;

	CHECK_OK(fi_read(S->e.ep, b, len, NULL, S->peer, off, KEY_RW, &ctx));
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
		CHECK_OK(fi_atomic(S->e.ep, operand, n, NULL, S->peer, off,
				   KEY_RW, dt, op, &ctx));
		wait_ok(&ctx, FI_ATOMIC | FI_WRITE);
		break;
	case 1:
		CHECK_OK(fi_fetch_atomic(S->e.ep, operand, n, NULL, result,
					 NULL, S->peer, off, KEY_RW, dt, op,
					 &ctx));
		wait_ok(&ctx, FI_ATOMIC | FI_READ);
		break;
	default:
		CHECK_OK(fi_compare_atomic(S->e.ep, operand, n, NULL, cmp, NULL,
					   result, NULL, S->peer, off, KEY_RW,
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
	static const uint64_t qflags[3] = {0, FI_FETCH_ATOMIC,
					   FI_COMPARE_ATOMIC};
	int cases = 0;

	for (size_t d = 0; d < sizeof(dts) / sizeof(dts[0]); d++) {
		for (int kind = 0; kind < 3; kind++) {
			for (int op = FI_MIN; op <= FI_MSWAP; op++) {
				struct fi_atomic_attr a;
				size_t cnt;
				int q = fi_query_atomic(S->t.domain, dts[d], op,
							&a, qflags[kind]);
				int v = kind == 0   ? fi_atomicvalid(S->e.ep,
							dts[d], op, &cnt)
					: kind == 1 ? fi_fetch_atomicvalid(
							S->e.ep, dts[d], op,
							&cnt)
						    : fi_compare_atomicvalid(
							S->e.ep, dts[d], op,
							&cnt);

				CHECK(!q == !v);
				if (q)
					continue;
				CHECK(cnt == a.count && cnt >= 2);
				CHECK(a.count * a.size <= 1024);
				one(kind, op, dts[d], a.size);
				cases++;
			}
		}
		{
			struct fi_atomic_attr a;

			CHECK_OK(fi_query_atomic(S->t.domain, dts[d], FI_SUM,
						 &a, 0));
		}
	}
	CHECK(cases > 300);
	printf("%d atomic cases checked\n", cases);
}

/* The largest count atomicvalid reports, in one call. */
static void max_count(void)
{
	static uint32_t a[256], o[256], res[256];
	size_t cnt, off = next_off;
	int ctx;

	next_off += sizeof(a);
	CHECK_OK(fi_fetch_atomicvalid(S->e.ep, FI_UINT32, FI_SUM, &cnt));
	CHECK(cnt == 256);
	for (int i = 0; i < 256; i++) {
		a[i] = (uint32_t)i;
		o[i] = 1000;
	}
	rma_put(off, a, sizeof(a));
	CHECK_OK(fi_fetch_atomic(S->e.ep, o, cnt, NULL, res, NULL, S->peer,
				 off, KEY_RW, FI_UINT32, FI_SUM, &ctx));
	wait_ok(&ctx, FI_ATOMIC | FI_READ);
	rma_get(off, a, sizeof(a));
	for (int i = 0; i < 256; i++)
		CHECK(res[i] == (uint32_t)i && a[i] == (uint32_t)i + 1000);
	CHECK_RET(fi_atomic(S->e.ep, o, cnt + 1, NULL, S->peer, off, KEY_RW,
			    FI_UINT32, FI_SUM, &ctx), -FI_EINVAL);
}

static void misc(void)
{
	uint64_t v = 6, o = 3, res[2] = {0}, back[2];
	size_t off = next_off;
	int ctx;

	next_off += SLOT;
	/* inject */
	rma_put(off, &v, 8);
	CHECK_OK(fi_inject_atomic(S->e.ep, &o, 1, S->peer, off, KEY_RW,
				  FI_UINT64, FI_SUM));
	rma_get(off, back, 8); /* ordered after the inject */
	CHECK(back[0] == 9);
	/* v and msg forms: two pieces of one element each */
	{
		uint64_t a = 1, b = 2, init[2] = {10, 20}, c1 = 11, c2 = 99;
		uint64_t n1 = 5, n2 = 6;
		struct fi_ioc iov[2] = {{&a, 1}, {&b, 1}};
		struct fi_ioc rv[2] = {{&res[0], 1}, {&res[1], 1}};
		struct fi_ioc cv[2] = {{&c1, 1}, {&c2, 1}};
		struct fi_ioc nv[2] = {{&n1, 1}, {&n2, 1}};
		struct fi_rma_ioc r = {off, 2, KEY_RW};
		struct fi_msg_atomic m = {
			.msg_iov = iov, .iov_count = 2, .addr = S->peer,
			.rma_iov = &r, .rma_iov_count = 1,
			.datatype = FI_UINT64, .op = FI_SUM, .context = &ctx,
		};

		rma_put(off, init, 16);
		CHECK_OK(fi_atomicv(S->e.ep, iov, NULL, 2, S->peer, off,
				    KEY_RW, FI_UINT64, FI_SUM, &ctx));
		wait_ok(&ctx, FI_ATOMIC);
		rma_get(off, back, 16);
		CHECK(back[0] == 11 && back[1] == 22);
		CHECK_OK(fi_fetch_atomicmsg(S->e.ep, &m, rv, NULL, 2,
					    FI_COMPLETION));
		wait_ok(&ctx, FI_ATOMIC | FI_READ);
		CHECK(res[0] == 11 && res[1] == 22);
		CHECK_OK(fi_atomicmsg(S->e.ep, &m, FI_COMPLETION));
		wait_ok(&ctx, FI_ATOMIC | FI_WRITE);
		rma_get(off, back, 16);
		CHECK(back[0] == 13 && back[1] == 26);
		/* compare-swap: the first element matches, the second not */
		c1 = 13;
		m.msg_iov = nv;
		m.op = FI_CSWAP;
		CHECK_OK(fi_compare_atomicmsg(S->e.ep, &m, cv, NULL, 2, rv,
					      NULL, 2, FI_COMPLETION));
		wait_ok(&ctx, FI_ATOMIC | FI_READ);
		CHECK(res[0] == 13 && res[1] == 26);
		rma_get(off, back, 16);
		CHECK(back[0] == 5 && back[1] == 26);
		/* FI_ATOMIC_READ needs no operand */
		CHECK_OK(fi_fetch_atomic(S->e.ep, NULL, 2, NULL, res, NULL,
					 S->peer, off, KEY_RW, FI_UINT64,
					 FI_ATOMIC_READ, &ctx));
		wait_ok(&ctx, FI_ATOMIC | FI_READ);
		CHECK(res[0] == 5 && res[1] == 26);
	}
	/* refused at the target, memory untouched */
	CHECK_OK(fi_atomic(S->e.ep, &o, 1, NULL, S->peer, off, KEY_RW + 5,
			   FI_UINT64, FI_SUM, &ctx));
	rdm_t_err(S->e.tx, &ctx, FI_EKEYREJECTED);
	CHECK_OK(fi_atomic(S->e.ep, &o, 1, NULL, S->peer, 0, KEY_RO,
			   FI_UINT64, FI_SUM, &ctx));
	rdm_t_err(S->e.tx, &ctx, FI_EACCES);
	CHECK_OK(fi_fetch_atomic(S->e.ep, &o, 1, NULL, res, NULL, S->peer, 0,
				 KEY_RO, FI_UINT64, FI_SUM, &ctx));
	rdm_t_err(S->e.tx, &ctx, FI_EACCES);
	CHECK_OK(fi_fetch_atomic(S->e.ep, &o, 1, NULL, res, NULL, S->peer,
				 REGION - 4, KEY_RW, FI_UINT64, FI_SUM, &ctx));
	rdm_t_err(S->e.tx, &ctx, FI_EINVAL);
	rma_get(off, back, 16);
	CHECK(back[0] == 5 && back[1] == 26);
	/* reading a read-only region is fine */
	CHECK_OK(fi_fetch_atomic(S->e.ep, NULL, 1, NULL, res, NULL, S->peer,
				 0, KEY_RO, FI_UINT64, FI_ATOMIC_READ, &ctx));
	wait_ok(&ctx, FI_ATOMIC | FI_READ);
	CHECK(res[0] == 0x1111111111111111ull);
	/* bad input at the initiator */
	CHECK_RET(fi_atomic(S->e.ep, &o, 1000, NULL, S->peer, off, KEY_RW,
			    FI_UINT64, FI_SUM, &ctx), -FI_EINVAL);
	CHECK_RET(fi_atomic(S->e.ep, &o, 1, NULL, S->peer, off, KEY_RW,
			    FI_DOUBLE, FI_BOR, &ctx), -FI_EOPNOTSUPP);
	CHECK_RET(fi_atomic(S->e.ep, &o, 1, NULL, S->peer, off, KEY_RW,
			    FI_UINT64, FI_CSWAP, &ctx), -FI_EOPNOTSUPP);
	CHECK_RET(fi_atomic(S->e.ep, NULL, 1, NULL, S->peer, off, KEY_RW,
			    FI_UINT64, FI_SUM, &ctx), -FI_EINVAL);
	CHECK_RET(fi_atomic(S->e.ep, &o, 1, NULL, 999, off, KEY_RW, FI_UINT64,
			    FI_SUM, &ctx), -FI_EINVAL);
	CHECK_RET(fi_fetch_atomic(S->e.ep, &o, 1, NULL, NULL, NULL, S->peer,
				  off, KEY_RW, FI_UINT64, FI_SUM, &ctx),
		  -FI_EINVAL);
}

static void initiator(struct rdm_side *s)
{
	S = s;
	rdm_t_open(s, CAPS);
	rdm_t_enable(s);
	rdm_t_sync(s);
	all_ops();
	max_count();
	misc();
	rdm_t_sync(s); /* ends the target's serving loop */
	rdm_t_close(s);
}

int main(void)
{
	struct rdm_side s;
	pid_t pid;

	weft_test_require_weft_loaded();
	alarm(100);
	region = malloc(REGION);
	ro_region = malloc(4096);
	CHECK(region && ro_region);
	pid = rdm_t_fork(&s);
	if (pid == 0) {
		alarm(60);
		initiator(&s);
		fflush(NULL);
		_exit(0);
	}
	target(&s);
	CHECK(rdm_t_reap(pid, 30000) == 0);
	free(region);
	free(ro_region);
	return 0;
}
