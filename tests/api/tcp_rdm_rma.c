/* tcp FI_EP_RDM: FI_RMA and FI_ATOMIC executed at the target (two
 * processes, public API only). The target registers a read-write region
 * (KEY_RW) and a read-only one (KEY_RO) and only drives progress; the
 * initiator, whose first operation also makes the connection:
 *  - writes (eager and 1 MiB), reads back, writedata (the target sees
 *    FI_REMOTE_CQ_DATA with the initiator as FI_SOURCE), inject_write,
 *    writev/readv;
 *  - gets error completions at the initiator for an unknown key, a range
 *    past the region, a write to the read-only region and an atomic with
 *    a bad key; the target checks those bytes were never touched;
 *  - atomics: sum, fetch-and-add, compare-and-swap, atomic read.
 */
#include <poll.h>

#include "tcp_rdm_test.h"

#define REGION (2u << 20)
#define KEY_RW 0x1234
#define KEY_RO 0x99
#define ATOM_OFF 65536
#define CAPS (FI_MSG | FI_RMA | FI_ATOMIC | FI_SOURCE)

static void target(int rfd, int wfd)
{
	struct rt t;
	uint8_t *rw = calloc(1, REGION), *ro = malloc(4096);
	struct fid_mr *mr_rw, *mr_ro;
	struct fi_cq_tagged_entry c;
	fi_addr_t peer, src = FI_ADDR_UNSPEC;
	long end;
	uint64_t v;

	CHECK(rw && ro);
	memset(ro, 0x5a, 4096);
	rt_open(&t, CAPS, 0);
	CHECK_OK(fi_mr_reg(t.domain, rw, REGION,
			   FI_REMOTE_READ | FI_REMOTE_WRITE, 0, KEY_RW, 0,
			   &mr_rw, NULL));
	CHECK_OK(fi_mr_reg(t.domain, ro, 4096, FI_REMOTE_READ, 0, KEY_RO, 0,
			   &mr_ro, NULL));
	rt_send_name(wfd, &t);
	peer = rt_recv_name(rfd, &t);
	/* The writedata's completion, from the initiator. */
	rt_get(t.rx, &c, &src, NULL);
	CHECK(c.flags == (FI_RMA | FI_REMOTE_WRITE | FI_REMOTE_CQ_DATA));
	CHECK(c.data == 0xd00d && c.len == 4096 && src == peer);
	/* Serve until the initiator is done, then check the untouched
	 * bytes: past the bad-range write, the read-only region. */
	end = rt_now_ms() + RT_TMO;
	for (;;) {
		struct pollfd pfd = { .fd = rfd, .events = POLLIN };

		rt_spin(&t, 5);
		if (poll(&pfd, 1, 0) > 0)
			break;
		CHECK(rt_now_ms() < end);
	}
	rt_wait_signal(rfd);
	for (size_t i = 0; i < 4096; i++)
		CHECK(ro[i] == 0x5a);
	for (size_t i = REGION - 16; i < REGION; i++)
		CHECK(rw[i] == 0);
	memcpy(&v, rw + ATOM_OFF, 8);
	CHECK(v == 1000 + 5 + 7);
	memcpy(&v, rw + ATOM_OFF + 8, 8);
	CHECK(v == 42);
	rt_signal(wfd);
	CHECK_OK(fi_close(&mr_rw->fid));
	CHECK_OK(fi_close(&mr_ro->fid));
	rt_close(&t);
	free(rw);
	free(ro);
}

static void expect_ok(struct rt *t, void *ctx, uint64_t flags)
{
	struct fi_cq_tagged_entry c;

	rt_get(t->tx, &c, NULL, NULL);
	CHECK(c.op_context == ctx);
	CHECK(c.flags == flags);
}

static void expect_err(struct rt *t, void *ctx, int err)
{
	struct fi_cq_tagged_entry c;
	struct fi_cq_err_entry e;

	CHECK_RET(rt_get(t->tx, &c, NULL, &e), -FI_EAVAIL);
	CHECK(e.op_context == ctx);
	if (e.err != err) {
		fprintf(stderr, "error %d (%s), expected %d\n", e.err,
			fi_strerror(e.err), err);
		CHECK(0);
	}
}

static void initiator(int rfd, int wfd)
{
	struct rt t;
	fi_addr_t peer;
	uint8_t *buf = malloc(REGION), *back = malloc(REGION);
	struct iovec iov[2];
	uint64_t v, res, cmp;
	int ctx;

	CHECK(buf && back);
	rt_open(&t, CAPS, 0);
	rt_send_name(wfd, &t);
	peer = rt_recv_name(rfd, &t);

	/* First operation: writedata (also makes the connection). */
	rt_fill(buf, 4096, 1);
	RT_POST(&t, fi_writedata(t.ep, buf, 4096, NULL, 0xd00d, peer, 0,
				 KEY_RW, &ctx));
	expect_ok(&t, &ctx, FI_RMA | FI_WRITE);
	RT_POST(&t, fi_read(t.ep, back, 4096, NULL, peer, 0, KEY_RW, &ctx));
	expect_ok(&t, &ctx, FI_RMA | FI_READ);
	rt_verify(back, 4096, 1);

	/* 1 MiB write and read back. */
	rt_fill(buf, 1 << 20, 2);
	RT_POST(&t, fi_write(t.ep, buf, 1 << 20, NULL, peer, 100000, KEY_RW,
			     &ctx));
	expect_ok(&t, &ctx, FI_RMA | FI_WRITE);
	memset(back, 0, 1 << 20);
	RT_POST(&t, fi_read(t.ep, back, 1 << 20, NULL, peer, 100000, KEY_RW,
			    &ctx));
	expect_ok(&t, &ctx, FI_RMA | FI_READ);
	rt_verify(back, 1 << 20, 2);

	/* inject_write, then writev / readv. */
	rt_fill(buf, 64, 3);
	RT_POST(&t, fi_inject_write(t.ep, buf, 64, peer, 8192, KEY_RW));
	rt_fill(buf + 64, 3000, 4);
	iov[0].iov_base = buf + 64;
	iov[0].iov_len = 1000;
	iov[1].iov_base = buf + 1064;
	iov[1].iov_len = 2000;
	RT_POST(&t, fi_writev(t.ep, iov, NULL, 2, peer, 8192 + 64, KEY_RW,
			      &ctx));
	expect_ok(&t, &ctx, FI_RMA | FI_WRITE);
	memset(back, 0, 4000);
	iov[0].iov_base = back;
	iov[0].iov_len = 10;
	iov[1].iov_base = back + 10;
	iov[1].iov_len = 3054;
	RT_POST(&t, fi_readv(t.ep, iov, NULL, 2, peer, 8192, KEY_RW, &ctx));
	expect_ok(&t, &ctx, FI_RMA | FI_READ);
	rt_verify(back, 64, 3);
	rt_verify(back + 64, 3000, 4);

	/* Refused at the target, reported at the initiator. */
	RT_POST(&t, fi_write(t.ep, buf, 100, NULL, peer, 0, 0xbad, &ctx));
	expect_err(&t, &ctx, FI_EKEYREJECTED);
	RT_POST(&t, fi_write(t.ep, buf, 64, NULL, peer, REGION - 16, KEY_RW,
			     &ctx));
	expect_err(&t, &ctx, FI_EINVAL);
	RT_POST(&t, fi_read(t.ep, back, 64, NULL, peer, REGION - 16, KEY_RW,
			    &ctx));
	expect_err(&t, &ctx, FI_EINVAL);
	RT_POST(&t, fi_write(t.ep, buf, 64, NULL, peer, 0, KEY_RO, &ctx));
	expect_err(&t, &ctx, FI_EACCES);
	v = 1;
	RT_POST(&t, fi_atomic(t.ep, &v, 1, NULL, peer, 0, 0xbad, FI_UINT64,
			      FI_SUM, &ctx));
	expect_err(&t, &ctx, FI_EKEYREJECTED);

	/* Atomics. */
	v = 1000;
	RT_POST(&t, fi_atomic(t.ep, &v, 1, NULL, peer, ATOM_OFF, KEY_RW,
			      FI_UINT64, FI_SUM, &ctx));
	expect_ok(&t, &ctx, FI_ATOMIC | FI_WRITE);
	v = 5;
	RT_POST(&t, fi_fetch_atomic(t.ep, &v, 1, NULL, &res, NULL, peer,
				    ATOM_OFF, KEY_RW, FI_UINT64, FI_SUM,
				    &ctx));
	expect_ok(&t, &ctx, FI_ATOMIC | FI_READ);
	CHECK(res == 1000);
	v = 7;
	RT_POST(&t, fi_fetch_atomic(t.ep, &v, 1, NULL, &res, NULL, peer,
				    ATOM_OFF, KEY_RW, FI_UINT64, FI_SUM,
				    &ctx));
	expect_ok(&t, &ctx, FI_ATOMIC | FI_READ);
	CHECK(res == 1005);
	cmp = 0;
	v = 42;
	RT_POST(&t, fi_compare_atomic(t.ep, &v, 1, NULL, &cmp, NULL, &res,
				      NULL, peer, ATOM_OFF + 8, KEY_RW,
				      FI_UINT64, FI_CSWAP, &ctx));
	expect_ok(&t, &ctx, FI_ATOMIC | FI_READ);
	CHECK(res == 0);
	RT_POST(&t, fi_fetch_atomic(t.ep, NULL, 1, NULL, &res, NULL, peer,
				    ATOM_OFF, KEY_RW, FI_UINT64,
				    FI_ATOMIC_READ, &ctx));
	expect_ok(&t, &ctx, FI_ATOMIC | FI_READ);
	CHECK(res == 1012);

	rt_signal(wfd);
	rt_wait_signal(rfd);
	rt_close(&t);
	free(buf);
	free(back);
}

int main(void)
{
	int p2c[2], c2p[2];
	pid_t pid;

	alarm(60);
	CHECK(pipe(p2c) == 0 && pipe(c2p) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		target(p2c[0], c2p[1]);
		_exit(0);
	}
	initiator(c2p[0], p2c[1]);
	rt_reap(pid);
	return 0;
}
