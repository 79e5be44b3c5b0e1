/* Conformance: bad arguments to the data path are refused with an error
 * code, never a crash, a completion, or a consumed receive (DESIGN.md "Bad
 * input"; man fi_msg/fi_tagged/fi_rma/fi_atomic name -FI_EINVAL for
 * invalid arguments; a length over a limit may also be -FI_EMSGSIZE).
 * Each case ends with one good message that must land in B's first
 * posted receive, proving the refused calls left nothing behind. */
#include "conf.h"

#include <sys/uio.h>

static void expect_refused(const char *what, ssize_t ret, bool size_error)
{
	if (ret == -FI_EINVAL || (size_error && ret == -FI_EMSGSIZE))
		return;
	fprintf(stderr, "%s returned %zd (%s), expected -FI_EINVAL%s\n", what,
		ret, fi_strerror((int)-ret),
		size_error ? " or -FI_EMSGSIZE" : "");
	exit(1);
}

/* The closing good message (tagged or not), and nothing else queued. */
/* Atomics: man fi_atomic names -FI_EOPNOTSUPP for an operation (or
 * type) the endpoint does not support and -FI_EMSGSIZE for too many
 * elements; -FI_EINVAL (fi_msg's invalid argument) is taken too. */
static void expect_atomic_refused(const char *what, ssize_t ret, int want)
{
	if (ret == want || ret == -FI_EINVAL)
		return;
	fprintf(stderr, "%s returned %zd (%s), expected %d or -FI_EINVAL\n",
		what, ret, fi_strerror((int)-ret), want);
	exit(1);
}

static void good_message(struct conf_ctx *ctx, bool tagged)
{
	char buf[32];
	int c;

	if (ctx->role == 1) {
		struct fi_cq_tagged_entry e;

		if (tagged)
			CHECK_OK(CONF_POST(ctx, fi_trecv(ctx->ep, buf,
							 sizeof(buf), NULL,
							 FI_ADDR_UNSPEC, 9, 0,
							 &c)));
		else
			CHECK_OK(CONF_POST(ctx, fi_recv(ctx->ep, buf,
							sizeof(buf), NULL,
							FI_ADDR_UNSPEC, &c)));
		conf_oob_send_u64(ctx, 1);
		conf_cq_wait(ctx, &ctx->rx, &e);
		CHECK(e.op_context == &c);
		CHECK(e.len == 20);
		CONF_CHECK_DATA(buf, 20, 90);
		conf_cq_expect_empty(ctx, &ctx->rx);
	} else {
		struct fi_cq_tagged_entry e;

		conf_fill(buf, sizeof(buf), 90);
		conf_oob_recv_u64(ctx);
		if (tagged)
			CHECK_OK(CONF_POST(ctx, fi_tsend(ctx->ep, buf, 20, NULL,
							 ctx->peer, 9, &c)));
		else
			CHECK_OK(CONF_POST(ctx, fi_send(ctx->ep, buf, 20, NULL,
							ctx->peer, &c)));
		conf_cq_wait(ctx, &ctx->tx, &e);
		CHECK(e.op_context == &c);
		conf_cq_expect_empty(ctx, &ctx->tx);
	}
}

static struct iovec *iovs(size_t n, char *buf)
{
	struct iovec *v = calloc(n, sizeof(*v));

	CHECK(v);
	for (size_t i = 0; i < n; i++) {
		v[i].iov_base = buf + i;
		v[i].iov_len = 1;
	}
	return v;
}

static void msg_args(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = { 0 };
	char buf[256];
	int c;

	conf_pair_open(ctx, &o);
	if (ctx->role == 1) {
		size_t n = ctx->info->rx_attr->iov_limit + 1;
		struct iovec *v = iovs(n, buf);

		expect_refused("fi_recv(NULL, 64)",
			       fi_recv(ctx->ep, NULL, 64, NULL, FI_ADDR_UNSPEC,
				       &c),
			       false);
		expect_refused("fi_recvv(iov_limit + 1)",
			       fi_recvv(ctx->ep, v, NULL, n, FI_ADDR_UNSPEC,
					&c),
			       true);
		free(v);
	} else {
		size_t n = ctx->info->tx_attr->iov_limit + 1;
		size_t max = ctx->info->ep_attr->max_msg_size;
		size_t inj = ctx->info->tx_attr->inject_size;
		struct iovec *v = iovs(n, buf);
		char *big = malloc(inj + 1);

		CHECK(big);
		expect_refused("fi_send(NULL, 64)",
			       fi_send(ctx->ep, NULL, 64, NULL, ctx->peer, &c),
			       false);
		expect_refused("fi_sendv(iov_limit + 1)",
			       fi_sendv(ctx->ep, v, NULL, n, ctx->peer, &c),
			       true);
		expect_refused("fi_send(max_msg_size + 1)",
			       fi_send(ctx->ep, buf, max + 1, NULL, ctx->peer,
				       &c),
			       true);
		expect_refused("fi_inject(inject_size + 1)",
			       fi_inject(ctx->ep, big, inj + 1, ctx->peer),
			       true);
		expect_refused("fi_inject(NULL, 8)",
			       fi_inject(ctx->ep, NULL, 8, ctx->peer), false);
		if (ctx->info->domain_attr->cq_data_size)
			expect_refused("fi_injectdata(inject_size + 1)",
				       fi_injectdata(ctx->ep, big, inj + 1, 1,
						     ctx->peer),
				       true);
		free(v);
		free(big);
	}
	good_message(ctx, false);
	conf_pair_close(ctx);
}

static void tagged_args(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = { .caps = FI_TAGGED };
	char buf[256];
	int c;

	conf_pair_open(ctx, &o);
	if (ctx->role == 1) {
		size_t n = ctx->info->rx_attr->iov_limit + 1;
		struct iovec *v = iovs(n, buf);

		expect_refused("fi_trecv(NULL, 64)",
			       fi_trecv(ctx->ep, NULL, 64, NULL, FI_ADDR_UNSPEC,
					9, 0, &c),
			       false);
		expect_refused("fi_trecvv(iov_limit + 1)",
			       fi_trecvv(ctx->ep, v, NULL, n, FI_ADDR_UNSPEC, 9,
					 0, &c),
			       true);
		free(v);
	} else {
		size_t n = ctx->info->tx_attr->iov_limit + 1;
		size_t max = ctx->info->ep_attr->max_msg_size;
		size_t inj = ctx->info->tx_attr->inject_size;
		struct iovec *v = iovs(n, buf);
		char *big = malloc(inj + 1);

		CHECK(big);
		expect_refused("fi_tsend(NULL, 64)",
			       fi_tsend(ctx->ep, NULL, 64, NULL, ctx->peer, 9,
					&c),
			       false);
		expect_refused("fi_tsendv(iov_limit + 1)",
			       fi_tsendv(ctx->ep, v, NULL, n, ctx->peer, 9, &c),
			       true);
		expect_refused("fi_tsend(max_msg_size + 1)",
			       fi_tsend(ctx->ep, buf, max + 1, NULL, ctx->peer,
					9, &c),
			       true);
		expect_refused("fi_tinject(inject_size + 1)",
			       fi_tinject(ctx->ep, big, inj + 1, ctx->peer, 9),
			       true);
		free(v);
		free(big);
	}
	good_message(ctx, true);
	conf_pair_close(ctx);
}

static void rma_args(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = {
		.caps = FI_RMA | FI_MSG, .mr_mode = CONF_MR_MODES
	};
	char *buf = aligned_alloc(4096, 8192);
	struct fid_mr *mr;

	CHECK(buf);
	memset(buf, 0x5a, 8192);
	conf_pair_open(ctx, &o);
	if (ctx->role == 1) {
		mr = conf_mr_reg(ctx, buf, 8192,
				 FI_REMOTE_READ | FI_REMOTE_WRITE, 0xbad);
		conf_oob_send_u64(ctx, conf_rma_addr(ctx, buf, buf));
		conf_oob_send_u64(ctx, fi_mr_key(mr));
		conf_oob_recv_u64(ctx);
		for (int i = 0; i < 8192; i++)
			CHECK((unsigned char)buf[i] == 0x5a);
	} else {
		size_t max = ctx->info->ep_attr->max_msg_size;
		size_t inj = ctx->info->tx_attr->inject_size;
		size_t rn = ctx->info->tx_attr->rma_iov_limit + 1;
		struct fi_rma_iov *riov = calloc(rn, sizeof(*riov));
		struct iovec iov = { buf, 1 };
		struct fi_msg_rma m = { .msg_iov = &iov,
					.iov_count = 1,
					.addr = ctx->peer,
					.rma_iov = riov,
					.rma_iov_count = rn };
		uint64_t raddr, rkey;
		void *desc;
		int c;

		CHECK(riov);
		mr = conf_mr_reg(ctx, buf, 8192, FI_READ | FI_WRITE, 0xbae);
		desc = conf_mr_desc(ctx, mr);
		raddr = conf_oob_recv_u64(ctx);
		rkey = conf_oob_recv_u64(ctx);
		for (size_t i = 0; i < rn; i++)
			riov[i] = (struct fi_rma_iov){ raddr + i, 1, rkey };
		m.context = &c;
		expect_refused("fi_write(NULL, 64)",
			       fi_write(ctx->ep, NULL, 64, desc, ctx->peer,
					raddr, rkey, &c),
			       false);
		expect_refused("fi_read(NULL, 64)",
			       fi_read(ctx->ep, NULL, 64, desc, ctx->peer, raddr,
				       rkey, &c),
			       false);
		expect_refused("fi_write(max_msg_size + 1)",
			       fi_write(ctx->ep, buf, max + 1, desc, ctx->peer,
					raddr, rkey, &c),
			       true);
		expect_refused("fi_read(max_msg_size + 1)",
			       fi_read(ctx->ep, buf, max + 1, desc, ctx->peer,
				       raddr, rkey, &c),
			       true);
		expect_refused("fi_writemsg(rma_iov_limit + 1)",
			       fi_writemsg(ctx->ep, &m, 0), true);
		expect_refused("fi_inject_write(inject_size + 1)",
			       fi_inject_write(ctx->ep, buf, inj + 1, ctx->peer,
					       raddr, rkey),
			       true);
		free(riov);
		conf_cq_expect_empty(ctx, &ctx->tx);
		conf_oob_send_u64(ctx, 1);
	}
	good_message(ctx, false);
	conf_barrier(ctx);
	CHECK_OK(fi_close(&mr->fid));
	free(buf);
	conf_pair_close(ctx);
}

static void atomic_args(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = {
		.caps = FI_ATOMIC | FI_MSG, .mr_mode = CONF_MR_MODES
	};
	uint64_t tgt[4] = { 1, 2, 3, 4 }, opnd[4] = { 0 };
	struct fid_mr *mr;

	conf_pair_open(ctx, &o);
	if (ctx->role == 1) {
		mr = conf_mr_reg(ctx, tgt, sizeof(tgt),
				 FI_REMOTE_READ | FI_REMOTE_WRITE, 0xbaf);
		conf_oob_send_u64(ctx, conf_rma_addr(ctx, tgt, tgt));
		conf_oob_send_u64(ctx, fi_mr_key(mr));
		conf_oob_recv_u64(ctx);
		for (int i = 0; i < 4; i++)
			CHECK(tgt[i] == (uint64_t)i + 1);
	} else {
		uint64_t raddr, rkey;
		size_t count = 0;
		void *desc;
		int c;

		mr = conf_mr_reg(ctx, opnd, sizeof(opnd), FI_READ | FI_WRITE,
				 0xbb0);
		desc = conf_mr_desc(ctx, mr);
		raddr = conf_oob_recv_u64(ctx);
		rkey = conf_oob_recv_u64(ctx);
		/* (FI_DATATYPE_LAST is FI_INT128 in 1.17: use values no
		 * version defines.) */
		expect_atomic_refused("fi_atomic(datatype 1000)",
				      fi_atomic(ctx->ep, opnd, 1, desc,
						ctx->peer, raddr, rkey,
						(enum fi_datatype)1000, FI_SUM,
						&c),
				      -FI_EOPNOTSUPP);
		expect_atomic_refused("fi_atomic(op 1000)",
				      fi_atomic(ctx->ep, opnd, 1, desc,
						ctx->peer, raddr, rkey,
						FI_UINT64, (enum fi_op)1000,
						&c),
				      -FI_EOPNOTSUPP);
		expect_atomic_refused("fi_atomic(FI_CSWAP) (a compare op)",
				      fi_atomic(ctx->ep, opnd, 1, desc,
						ctx->peer, raddr, rkey,
						FI_UINT64, FI_CSWAP, &c),
				      -FI_EOPNOTSUPP);
		expect_refused("fi_atomic(NULL, 1)",
			       fi_atomic(ctx->ep, NULL, 1, desc, ctx->peer,
					 raddr, rkey, FI_UINT64, FI_SUM, &c),
			       false);
		if (fi_atomicvalid(ctx->ep, FI_UINT64, FI_SUM, &count) == 0) {
			size_t n = count + 1;
			uint64_t *many = calloc(n, sizeof(*many));

			CHECK(many);
			expect_atomic_refused(
				"fi_atomic(count + 1)",
				fi_atomic(ctx->ep, many, n, NULL, ctx->peer,
					  raddr, rkey, FI_UINT64, FI_SUM, &c),
				-FI_EMSGSIZE);
			free(many);
		}
		conf_cq_expect_empty(ctx, &ctx->tx);
		conf_oob_send_u64(ctx, 1);
	}
	good_message(ctx, false);
	conf_barrier(ctx);
	CHECK_OK(fi_close(&mr->fid));
	conf_pair_close(ctx);
}

/* A destination that is not in the AV: refused, or an error completion;
 * never a success. */
static void bad_dest(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = { 0 };
	char buf[16] = { 0 };
	int c;

	if (ctx->ep_type == FI_EP_MSG)
		conf_skip(ctx, "connected endpoints ignore dest_addr");
	conf_pair_open(ctx, &o);
	if (ctx->role == 0) {
		fi_addr_t bad = ctx->peer + 1000;
		ssize_t ret = fi_send(ctx->ep, buf, sizeof(buf), NULL, bad, &c);

		printf("  send to unknown fi_addr: %zd\n", ret);
		if (ret == 0) {
			struct fi_cq_err_entry err;

			conf_cq_wait_err(ctx, &ctx->tx, &err);
			CHECK(err.op_context == &c);
		} else {
			CHECK(ret < 0 && ret != -FI_EAGAIN);
		}
		ret = fi_inject(ctx->ep, buf, 8, bad);
		printf("  inject to unknown fi_addr: %zd\n", ret);
		CHECK(ret != -FI_EAGAIN);
		if (ret == 0) {
			struct fi_cq_err_entry err;

			/* An inject that fails later has only an error
			 * completion to report it. */
			conf_cq_wait_err(ctx, &ctx->tx, &err);
		} else {
			CHECK(ret < 0);
		}
	}
	good_message(ctx, false);
	conf_pair_close(ctx);
}

static const struct conf_case cases[] = {
	{ "msg_args", msg_args, true },
	{ "tagged_args", tagged_args, true },
	{ "rma_args", rma_args, true },
	{ "atomic_args", atomic_args, true },
	{ "bad_dest", bad_dest, true },
	{ NULL },
};

int main(int argc, char **argv)
{
	return conf_main(argc, argv, "bad_input", cases);
}
