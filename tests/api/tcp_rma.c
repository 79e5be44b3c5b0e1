/* tcp provider, FI_RMA and FI_ATOMIC executed at the target (two
 * processes). The server registers a read-write region (key KEY_RW) and a
 * read-only one (KEY_RO) and only drives progress; the client:
 *  - writes, reads back, writedata (the server sees FI_REMOTE_CQ_DATA),
 *    inject_write, writev/readv, a 2 MiB write and read;
 *  - fails at the initiator with an error completion for an unknown key,
 *    a range past the region and a write to the read-only region, and
 *    the server checks those bytes were never touched;
 *  - atomics: sum, fetch-and-add, compare-and-swap, atomic read, a bad
 *    key; fi_atomicvalid / fi_query_atomic. */
#include <poll.h>
#include <rdma/fi_atomic.h>
#include <rdma/fi_rma.h>

#include "tcp_test.h"

#define REGION (4u << 20)
#define KEY_RW 0x1234
#define KEY_RO 0x99
#define ATOM_OFF 65536

static struct fi_info *rma_getinfo(bool source)
{
	struct fi_info *hints = fi_allocinfo(), *info = NULL;

	CHECK(hints);
	hints->ep_attr->type = FI_EP_MSG;
	hints->caps = FI_MSG | FI_RMA | FI_ATOMIC;
	hints->addr_format = FI_SOCKADDR_IN;
	hints->fabric_attr->prov_name = strdup("tcp");
	CHECK_OK(fi_getinfo(FI_VERSION(1, 17), "127.0.0.1", "0",
			    source ? FI_SOURCE : 0, hints, &info));
	fi_freeinfo(hints);
	CHECK(info->caps & FI_RMA);
	CHECK(info->caps & FI_ATOMIC);
	return info;
}

static void server(struct tcp_t_pair *p)
{
	struct tcp_t t;
	uint8_t addr[128];
	size_t addrlen = sizeof(addr);
	uint8_t *rw = calloc(1, REGION), *ro = malloc(4096);
	struct fid_mr *mr_rw, *mr_ro;
	struct fi_cq_tagged_entry e;
	bool got_data = false;
	uint64_t v;

	CHECK(rw && ro);
	memset(ro, 0x5a, 4096);
	tcp_t_open(&t, rma_getinfo(true));
	CHECK_OK(fi_mr_reg(t.domain, rw, REGION,
			   FI_REMOTE_READ | FI_REMOTE_WRITE, 0, KEY_RW, 0,
			   &mr_rw, NULL));
	CHECK_OK(fi_mr_reg(t.domain, ro, 4096, FI_REMOTE_READ, 0, KEY_RO, 0,
			   &mr_ro, NULL));
	CHECK(fi_mr_key(mr_rw) == KEY_RW);
	tcp_t_listen(&t, addr, &addrlen);
	tcp_t_pair_send_addr(p, addr, addrlen);
	tcp_t_accept(&t, NULL, NULL, NULL, 0, 0);

	/* Drive progress until the client says it is done. */
	for (;;) {
		struct pollfd pfd = { .fd = p->to_server[0], .events = POLLIN };
		ssize_t n = fi_cq_read(t.rx, &e, 1);

		if (n == 1) {
			/* Only writedata announces itself. */
			CHECK(e.flags == (FI_RMA | FI_REMOTE_WRITE |
					  FI_REMOTE_CQ_DATA));
			CHECK(e.data == 0xdada && e.len == 100);
			got_data = true;
		} else {
			CHECK(n == -FI_EAGAIN);
		}
		if (poll(&pfd, 1, 0) == 1)
			break;
	}
	tcp_t_wait_signal(p->to_server[0]);
	CHECK(got_data);
	/* What the client wrote, and nothing it was refused. */
	for (size_t i = 0; i < 4096; i++)
		CHECK(rw[i] == (uint8_t)(i + 1));
	for (size_t i = 0; i < 100; i++)
		CHECK(rw[4096 + i] == 0xd0);
	for (size_t i = 0; i < 4096; i++)
		CHECK(ro[i] == 0x5a);
	for (size_t i = REGION - 4096; i < REGION; i++)
		CHECK(rw[i] == 0);
	memcpy(&v, rw + ATOM_OFF, sizeof(v));
	CHECK(v == 100);

	tcp_t_eq_expect(&t, FI_SHUTDOWN, NULL, NULL);
	tcp_t_ep_close(&t);
	CHECK_OK(fi_close(&mr_rw->fid));
	CHECK_OK(fi_close(&mr_ro->fid));
	tcp_t_close(&t);
	free(rw);
	free(ro);
	exit(0);
}

static void expect_ok(struct tcp_t *t, void *ctx, uint64_t flags)
{
	struct fi_cq_tagged_entry e;
	struct fi_cq_err_entry err;
	int r = tcp_t_cq_wait(t->tx, &e, &err);

	if (r != 1)
		fprintf(stderr, "error completion %d (%s)\n", r,
			fi_strerror(-r));
	CHECK(r == 1);
	CHECK(e.op_context == ctx);
	CHECK((e.flags & flags) == flags);
}

static void expect_err(struct tcp_t *t, void *ctx, int want)
{
	struct fi_cq_err_entry err = { 0 };
	struct fi_cq_tagged_entry e = { 0 };
	int r = tcp_t_cq_wait(t->tx, &e, &err);

	if (r != -want)
		fprintf(stderr, "got %d, expected %d (flags %#lx len %zu)\n",
			r, -want, (unsigned long)e.flags, e.len);
	CHECK(r == -want);
	CHECK(err.op_context == ctx);
}

static void client(struct tcp_t_pair *p)
{
	struct tcp_t t;
	uint8_t addr[128], out[4096], in[4096], d[100], inj[16];
	uint8_t *big = malloc(2u << 20), *back = malloc(2u << 20);
	uint64_t one = 5, res = 0, cmp = 16, swap = 100, inc = 1;
	struct iovec wv[2] = { { out, 1000 }, { out + 1000, 3096 } };
	struct iovec rv[2] = { { in, 96 }, { in + 96, 4000 } };
	struct fi_atomic_attr aattr;
	size_t count = 0;
	int ctx;

	CHECK(big && back);
	tcp_t_pair_recv_addr(p, addr, sizeof(addr));
	tcp_t_open(&t, rma_getinfo(false));
	tcp_t_connect(&t, addr, NULL, 0, NULL, NULL, 0);

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i + 1);
	CHECK_OK(fi_write(t.ep, out, sizeof(out), NULL, 0, 0, KEY_RW, &ctx));
	expect_ok(&t, &ctx, FI_RMA | FI_WRITE);
	CHECK_OK(fi_read(t.ep, in, sizeof(in), NULL, 0, 0, KEY_RW, &ctx));
	expect_ok(&t, &ctx, FI_RMA | FI_READ);
	CHECK(!memcmp(in, out, sizeof(in)));

	memset(d, 0xd0, sizeof(d));
	CHECK_OK(fi_writedata(t.ep, d, sizeof(d), NULL, 0xdada, 0, 4096,
			      KEY_RW, &ctx));
	expect_ok(&t, &ctx, FI_RMA | FI_WRITE);

	memset(inj, 0xee, sizeof(inj));
	CHECK_OK(fi_inject_write(t.ep, inj, sizeof(inj), 0, 8192, KEY_RW));
	memset(inj, 0, sizeof(inj));
	CHECK_OK(fi_read(t.ep, inj, sizeof(inj), NULL, 0, 8192, KEY_RW, &ctx));
	expect_ok(&t, &ctx, FI_RMA | FI_READ);
	for (size_t i = 0; i < sizeof(inj); i++)
		CHECK(inj[i] == 0xee);

	/* writev then readv, at an offset, across iov boundaries */
	CHECK_OK(fi_writev(t.ep, wv, NULL, 2, 0, 3u << 20, KEY_RW, &ctx));
	expect_ok(&t, &ctx, FI_RMA | FI_WRITE);
	memset(in, 0, sizeof(in));
	CHECK_OK(fi_readv(t.ep, rv, NULL, 2, 0, 3u << 20, KEY_RW, &ctx));
	expect_ok(&t, &ctx, FI_RMA | FI_READ);
	CHECK(!memcmp(in, out, sizeof(in)));

	for (size_t i = 0; i < (2u << 20); i++)
		big[i] = (uint8_t)(i * 7 + (i >> 13));
	CHECK_OK(fi_write(t.ep, big, 2u << 20, NULL, 0, 1u << 20, KEY_RW,
			  &ctx));
	CHECK_OK(fi_read(t.ep, back, 2u << 20, NULL, 0, 1u << 20, KEY_RW,
			 &ctx));
	expect_ok(&t, &ctx, FI_RMA | FI_WRITE);
	expect_ok(&t, &ctx, FI_RMA | FI_READ);
	CHECK(!memcmp(big, back, 2u << 20));

	/* Refused at the target, reported at the initiator. */
	CHECK_OK(fi_write(t.ep, out, 64, NULL, 0, 0, 0x777, &ctx));
	expect_err(&t, &ctx, FI_EKEYREJECTED);
	CHECK_OK(fi_write(t.ep, out, 4096, NULL, 0, REGION - 2048, KEY_RW,
			  &ctx));
	expect_err(&t, &ctx, FI_EINVAL);
	CHECK_OK(fi_write(t.ep, out, 64, NULL, 0, 0, KEY_RO, &ctx));
	expect_err(&t, &ctx, FI_EACCES);
	CHECK_OK(fi_read(t.ep, in, 64, NULL, 0, 4090, KEY_RO, &ctx));
	expect_err(&t, &ctx, FI_EINVAL);
	CHECK_OK(fi_read(t.ep, in, 64, NULL, 0, 0, KEY_RO, &ctx));
	expect_ok(&t, &ctx, FI_RMA | FI_READ);
	CHECK(in[0] == 0x5a && in[63] == 0x5a);

	/* Atomics on one uint64 at ATOM_OFF. */
	CHECK_OK(fi_atomicvalid(t.ep, FI_UINT64, FI_SUM, &count));
	CHECK(count >= 1);
	CHECK_OK(fi_query_atomic(t.domain, FI_UINT64, FI_CSWAP, &aattr,
				 FI_COMPARE_ATOMIC));
	CHECK(aattr.size == 8);
	for (int i = 0; i < 3; i++) {
		CHECK_OK(fi_atomic(t.ep, &one, 1, NULL, 0, ATOM_OFF, KEY_RW,
				   FI_UINT64, FI_SUM, &ctx));
		expect_ok(&t, &ctx, FI_ATOMIC | FI_WRITE);
	}
	CHECK_OK(fi_fetch_atomic(t.ep, &inc, 1, NULL, &res, NULL, 0, ATOM_OFF,
				 KEY_RW, FI_UINT64, FI_SUM, &ctx));
	expect_ok(&t, &ctx, FI_ATOMIC | FI_READ);
	CHECK(res == 15);
	CHECK_OK(fi_compare_atomic(t.ep, &swap, 1, NULL, &cmp, NULL, &res,
				   NULL, 0, ATOM_OFF, KEY_RW, FI_UINT64,
				   FI_CSWAP, &ctx));
	expect_ok(&t, &ctx, FI_ATOMIC | FI_READ);
	CHECK(res == 16);
	res = 0;
	CHECK_OK(fi_fetch_atomic(t.ep, NULL, 1, NULL, &res, NULL, 0, ATOM_OFF,
				 KEY_RW, FI_UINT64, FI_ATOMIC_READ, &ctx));
	expect_ok(&t, &ctx, FI_ATOMIC | FI_READ);
	CHECK(res == 100);
	CHECK_OK(fi_atomic(t.ep, &one, 1, NULL, 0, ATOM_OFF, 0x777, FI_UINT64,
			   FI_SUM, &ctx));
	expect_err(&t, &ctx, FI_EKEYREJECTED);
	CHECK_OK(fi_atomic(t.ep, &one, 1, NULL, 0, 0, KEY_RO, FI_UINT64,
			   FI_SUM, &ctx));
	expect_err(&t, &ctx, FI_EACCES);
	CHECK(fi_atomic(t.ep, &one, 1, NULL, 0, 0, KEY_RW, FI_FLOAT, FI_BOR,
			&ctx) == -FI_EOPNOTSUPP);

	tcp_t_signal(p->to_server[1]);
	CHECK_OK(fi_shutdown(t.ep, 0));
	tcp_t_ep_close(&t);
	tcp_t_close(&t);
	free(big);
	free(back);
	tcp_t_pair_join(p);
}

int main(void)
{
	struct tcp_t_pair p;

	weft_test_require_weft_loaded();
	if (tcp_t_fork(&p))
		server(&p);
	client(&p);
	printf("PASS\n");
	return 0;
}
