/* Conformance: fi_rma between two processes (man fi_rma, fi_mr, fi_cq).
 * B is the target: it registers a region (as the domain's mr_mode asks:
 * FI_MR_PROV_KEY, FI_MR_VIRT_ADDR, FI_MR_LOCAL, FI_MR_ENDPOINT handled),
 * sends its address and key out of band, and checks its memory; A
 * initiates. A target checks written data by polling its memory (while
 * driving progress) because a transmit completion at A need not mean the
 * data is visible at B. */
#include "conf.h"

#define OFF 64	      /* where transfers land in the target region */
#define FILL 0x5a     /* target bytes nobody wrote */
#define CANARY 0xa5   /* initiator bytes nobody read into */

static const struct conf_pair_opts ropts = { .caps = FI_RMA,
					     .mr_mode = CONF_MR_MODES };

struct region {
	char *buf;
	size_t len;
	struct fid_mr *mr;
	void *desc;
	uint64_t raddr, rkey; /* at A: the peer's region */
};

static size_t top_size(struct conf_ctx *ctx)
{
	size_t m = ctx->info->ep_attr->max_msg_size;

	return m < (1u << 20) ? m : (1u << 20);
}

/* Both sides: B's target region (len bytes + slack), A's local buffer,
 * the target's address and key carried to A. */
static void setup(struct conf_ctx *ctx, struct region *r)
{
	memset(r, 0, sizeof(*r));
	r->len = top_size(ctx) + 2 * OFF;
	r->buf = aligned_alloc(4096, (r->len + 4095) & ~(size_t)4095);
	CHECK(r->buf);
	if (ctx->role == 1) {
		memset(r->buf, FILL, r->len);
		r->mr = conf_mr_reg(ctx, r->buf, r->len,
				    FI_REMOTE_READ | FI_REMOTE_WRITE, 0xc0ffee);
		conf_oob_send_u64(ctx, conf_rma_addr(ctx, r->buf, r->buf));
		conf_oob_send_u64(ctx, fi_mr_key(r->mr));
	} else {
		memset(r->buf, CANARY, r->len);
		r->mr = conf_mr_reg(ctx, r->buf, r->len, FI_READ | FI_WRITE,
				    0xbeef);
		r->desc = conf_mr_desc(ctx, r->mr);
		r->raddr = conf_oob_recv_u64(ctx);
		r->rkey = conf_oob_recv_u64(ctx);
	}
}

static void teardown(struct conf_ctx *ctx, struct region *r)
{
	conf_barrier(ctx);
	CHECK_OK(fi_close(&r->mr->fid));
	free(r->buf);
	conf_pair_close(ctx);
}

static void expect_rma_tx(struct conf_ctx *ctx, void *c, uint64_t flags)
{
	struct fi_cq_tagged_entry e;

	conf_cq_wait(ctx, &ctx->tx, &e);
	CHECK(e.op_context == c);
	if (e.flags != flags)
		fprintf(stderr, "rma flags 0x%llx want 0x%llx\n",
			(unsigned long long)e.flags,
			(unsigned long long)flags);
	CHECK(e.flags == flags);
}

/* At B: wait until [OFF, OFF+n) holds the pattern (driving progress). */
static void wait_landed(struct conf_ctx *ctx, struct region *r, size_t n,
			unsigned seed)
{
	long deadline = conf_now_ms() + CONF_WAIT_MS;

	while (conf_verify(r->buf + OFF, n, seed) >= 0) {
		if (conf_now_ms() > deadline)
			CONF_CHECK_DATA(r->buf + OFF, n, seed);
		conf_progress(ctx);
	}
}

/* At B: every byte outside [OFF, OFF+n) is still FILL. */
static void check_untouched(struct region *r, size_t off, size_t n)
{
	for (size_t i = 0; i < r->len; i++) {
		if (i >= off && i < off + n)
			continue;
		if ((unsigned char)r->buf[i] != FILL) {
			fprintf(stderr, "target byte %zu changed (0x%02x)\n",
				i, (unsigned char)r->buf[i]);
			exit(1);
		}
	}
}

static void sizes_of(struct conf_ctx *ctx, size_t s[4])
{
	size_t top = top_size(ctx);

	s[0] = 1;
	s[1] = 4096 < top ? 4096 : top;
	s[2] = 65536 < top ? 65536 : top;
	s[3] = top;
}

/* fi_write at 1, 4 KiB, 64 KiB and min(1 MiB, max_msg_size). */
static void rma_write(struct conf_ctx *ctx)
{
	struct region r;
	size_t s[4];
	int c;

	conf_pair_open(ctx, &ropts);
	setup(ctx, &r);
	sizes_of(ctx, s);
	for (unsigned i = 0; i < 4; i++) {
		if (ctx->role == 0) {
			conf_fill(r.buf, s[i], i + 1);
			CHECK_OK(CONF_POST(ctx, fi_write(ctx->ep, r.buf, s[i],
							 r.desc, ctx->peer,
							 r.raddr + OFF, r.rkey,
							 &c)));
			expect_rma_tx(ctx, &c, FI_RMA | FI_WRITE);
			conf_oob_send_u64(ctx, s[i]);
			conf_oob_recv_u64(ctx);
		} else {
			CHECK(conf_oob_recv_u64(ctx) == s[i]);
			wait_landed(ctx, &r, s[i], i + 1);
			check_untouched(&r, OFF, s[i]);
			memset(r.buf, FILL, r.len);
			/* No completion at the target without
			 * FI_REMOTE_CQ_DATA or FI_RMA_EVENT. */
			conf_cq_expect_empty(ctx, &ctx->rx);
			conf_oob_send_u64(ctx, 1);
		}
	}
	teardown(ctx, &r);
}

/* fi_read at the same sizes. */
static void rma_read(struct conf_ctx *ctx)
{
	struct region r;
	size_t s[4];
	int c;

	conf_pair_open(ctx, &ropts);
	setup(ctx, &r);
	sizes_of(ctx, s);
	for (unsigned i = 0; i < 4; i++) {
		if (ctx->role == 1) {
			conf_fill(r.buf + OFF, s[i], 10 + i);
			conf_oob_send_u64(ctx, s[i]);
			conf_oob_recv_u64(ctx); /* A is done reading */
			CONF_CHECK_DATA(r.buf + OFF, s[i], 10 + i);
		} else {
			CHECK(conf_oob_recv_u64(ctx) == s[i]);
			memset(r.buf, CANARY, r.len);
			CHECK_OK(CONF_POST(ctx, fi_read(ctx->ep, r.buf, s[i],
							r.desc, ctx->peer,
							r.raddr + OFF, r.rkey,
							&c)));
			expect_rma_tx(ctx, &c, FI_RMA | FI_READ);
			CONF_CHECK_DATA(r.buf, s[i], 10 + i);
			for (size_t k = s[i]; k < s[i] + OFF; k++)
				CHECK((unsigned char)r.buf[k] == CANARY);
			conf_oob_send_u64(ctx, 1);
		}
	}
	teardown(ctx, &r);
}

/* fi_writedata: the data lands and B's receive CQ reports the write with
 * FI_REMOTE_CQ_DATA and the value. */
static void writedata(struct conf_ctx *ctx)
{
	struct region r;
	int c;

	conf_pair_open(ctx, &ropts);
	if (ctx->info->domain_attr->cq_data_size < 4)
		conf_skip(ctx, "cq_data_size < 4");
	setup(ctx, &r);
	if (ctx->role == 0) {
		conf_fill(r.buf, 300, 20);
		CHECK_OK(CONF_POST(ctx, fi_writedata(ctx->ep, r.buf, 300,
						     r.desc, 0x5eed,
						     ctx->peer, r.raddr + OFF,
						     r.rkey, &c)));
		expect_rma_tx(ctx, &c, FI_RMA | FI_WRITE);
	} else {
		struct fi_cq_tagged_entry e;

		conf_cq_wait(ctx, &ctx->rx, &e);
		printf("  remote write completion: flags 0x%llx len %zu\n",
		       (unsigned long long)e.flags, e.len);
		CHECK(e.flags ==
		      (FI_RMA | FI_REMOTE_WRITE | FI_REMOTE_CQ_DATA));
		CHECK(e.data == 0x5eed);
		/* The completion means the data is there. */
		CONF_CHECK_DATA(r.buf + OFF, 300, 20);
		check_untouched(&r, OFF, 300);
	}
	teardown(ctx, &r);
}

/* fi_writemsg/fi_readmsg with iov_limit local segments and up to two
 * remote ones. */
static void vectors(struct conf_ctx *ctx)
{
	struct region r;
	int c;

	conf_pair_open(ctx, &ropts);
	setup(ctx, &r);
	if (ctx->role == 0) {
		size_t n = ctx->info->tx_attr->iov_limit;
		size_t rn = ctx->info->tx_attr->rma_iov_limit;
		struct iovec iov[4];
		void *desc[4];
		struct fi_rma_iov riov[2];
		struct fi_msg_rma m = { .msg_iov = iov,
					.desc = desc,
					.addr = ctx->peer,
					.rma_iov = riov,
					.context = &c };

		n = n > 4 ? 4 : n;
		rn = rn > 2 ? 2 : rn;
		CHECK(rn >= 1);
		/* 1000 bytes from n local pieces (with gaps between them in
		 * the buffer) to rn remote pieces: [OFF, OFF+600) and
		 * [OFF+700, OFF+1100) when rn is 2. */
		conf_fill(r.buf + 8192, 1000, 30);
		for (size_t i = 0, off = 0; i < n; i++) {
			size_t l = i == n - 1 ? 1000 - off : 1000 / n;

			memcpy(r.buf + i * 2048, r.buf + 8192 + off, l);
			iov[i].iov_base = r.buf + i * 2048;
			iov[i].iov_len = l;
			desc[i] = r.desc;
			off += l;
		}
		m.iov_count = n;
		riov[0] = (struct fi_rma_iov){ r.raddr + OFF,
					       rn == 2 ? 600 : 1000, r.rkey };
		riov[1] = (struct fi_rma_iov){ r.raddr + OFF + 700, 400,
					       r.rkey };
		m.rma_iov_count = rn;
		CHECK_OK(CONF_POST(ctx, fi_writemsg(ctx->ep, &m, 0)));
		expect_rma_tx(ctx, &c, FI_RMA | FI_WRITE);
		conf_oob_send_u64(ctx, rn);
		conf_oob_recv_u64(ctx);
		/* Read it back the same way into fresh pieces. */
		for (size_t i = 0; i < n; i++)
			memset(iov[i].iov_base, CANARY, iov[i].iov_len);
		CHECK_OK(CONF_POST(ctx, fi_readmsg(ctx->ep, &m, 0)));
		expect_rma_tx(ctx, &c, FI_RMA | FI_READ);
		for (size_t i = 0, off = 0; i < n; i++) {
			CHECK(!memcmp(iov[i].iov_base, r.buf + 8192 + off,
				      iov[i].iov_len));
			off += iov[i].iov_len;
		}
	} else {
		size_t rn = conf_oob_recv_u64(ctx);
		char want[1000];

		conf_fill(want, 1000, 30);
		if (rn == 1) {
			wait_landed(ctx, &r, 1000, 30);
		} else {
			long deadline = conf_now_ms() + CONF_WAIT_MS;

			while (memcmp(r.buf + OFF, want, 600) ||
			       memcmp(r.buf + OFF + 700, want + 600, 400)) {
				CHECK(conf_now_ms() < deadline);
				conf_progress(ctx);
			}
			for (size_t i = OFF + 600; i < OFF + 700; i++)
				CHECK((unsigned char)r.buf[i] == FILL);
		}
		conf_oob_send_u64(ctx, 1);
	}
	teardown(ctx, &r);
}

/* fi_inject_write: no completion at A; the data lands. */
static void inject_write(struct conf_ctx *ctx)
{
	struct region r;
	size_t n;

	conf_pair_open(ctx, &ropts);
	n = ctx->info->tx_attr->inject_size;
	if (n == 0)
		conf_skip(ctx, "inject_size is 0");
	setup(ctx, &r);
	n = n > r.len - 2 * OFF ? r.len - 2 * OFF : n;
	if (ctx->role == 0) {
		conf_fill(r.buf, n, 40);
		CHECK_OK(CONF_POST(ctx, fi_inject_write(ctx->ep, r.buf, n,
							ctx->peer,
							r.raddr + OFF,
							r.rkey)));
		memset(r.buf, 0, n); /* reusable at once */
		conf_oob_send_u64(ctx, n);
		conf_oob_recv_u64(ctx);
		conf_cq_expect_empty(ctx, &ctx->tx);
	} else {
		CHECK(conf_oob_recv_u64(ctx) == n);
		wait_landed(ctx, &r, n, 40);
		check_untouched(&r, OFF, n);
		conf_oob_send_u64(ctx, 1);
	}
	teardown(ctx, &r);
}

/* A write or read naming a key B never registered, or reaching past the
 * end of B's region, completes in error at A; B's memory is untouched and
 * A's read buffer too. */
static void bad_key(struct conf_ctx *ctx)
{
	struct region r;

	conf_pair_open(ctx, &ropts);
	setup(ctx, &r);
	if (ctx->role == 0) {
		struct fi_cq_err_entry err;
		struct {
			uint64_t addr, key;
			bool read;
		} bad[] = {
			{ r.raddr + OFF, r.rkey ^ 0x5a5a00, false },
			{ r.raddr + OFF, r.rkey ^ 0x5a5a00, true },
			{ r.raddr + r.len - 10, r.rkey, false },
			{ r.raddr + r.len + 4096, r.rkey, true },
		};
		int c;

		conf_fill(r.buf, 64, 50);
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			ssize_t ret;

			if (bad[i].read) {
				memset(r.buf + 4096, CANARY, 64);
				ret = CONF_POST(ctx, fi_read(ctx->ep,
							     r.buf + 4096, 64,
							     r.desc, ctx->peer,
							     bad[i].addr,
							     bad[i].key, &c));
			} else {
				ret = CONF_POST(ctx, fi_write(ctx->ep, r.buf,
							      64, r.desc,
							      ctx->peer,
							      bad[i].addr,
							      bad[i].key, &c));
			}
			/* The initiator cannot know the target's keys:
			 * the error comes back as a completion. */
			CHECK_OK(ret);
			conf_cq_wait_err(ctx, &ctx->tx, &err);
			printf("  bad %s %zu: err %d (%s)\n",
			       bad[i].read ? "read" : "write", i, err.err,
			       fi_strerror(err.err));
			CHECK(err.op_context == &c);
			CHECK(err.err != 0);
			CHECK(err.flags & FI_RMA);
			if (bad[i].read)
				for (size_t k = 0; k < 64; k++)
					CHECK((unsigned char)r.buf[4096 + k] ==
					      CANARY);
		}
		conf_oob_send_u64(ctx, 1);
		conf_oob_recv_u64(ctx);
		/* The endpoint still works. */
		CHECK_OK(CONF_POST(ctx, fi_write(ctx->ep, r.buf, 64, r.desc,
						 ctx->peer, r.raddr + OFF,
						 r.rkey, &c)));
		expect_rma_tx(ctx, &c, FI_RMA | FI_WRITE);
		conf_oob_send_u64(ctx, 2);
	} else {
		long until;

		conf_oob_recv_u64(ctx);
		until = conf_now_ms() + 50;
		while (conf_now_ms() < until)
			conf_progress(ctx);
		check_untouched(&r, 0, 0);
		conf_oob_send_u64(ctx, 1);
		CHECK(conf_oob_recv_u64(ctx) == 2);
		wait_landed(ctx, &r, 64, 50);
		check_untouched(&r, OFF, 64);
	}
	teardown(ctx, &r);
}

/* Writes count on the initiator's counter. */
static void counters(struct conf_ctx *ctx)
{
	struct conf_pair_opts o = ropts;
	struct region r;

	o.cntrs = true;
	conf_pair_open(ctx, &o);
	setup(ctx, &r);
	if (ctx->role == 0) {
		int c[3];

		for (int i = 0; i < 3; i++)
			CHECK_OK(CONF_POST(ctx, fi_write(ctx->ep, r.buf, 100,
							 r.desc, ctx->peer,
							 r.raddr + OFF, r.rkey,
							 &c[i])));
		conf_cntr_wait(ctx, ctx->txcntr, 3);
		for (int i = 0; i < 3; i++)
			expect_rma_tx(ctx, &c[i], FI_RMA | FI_WRITE);
		CHECK(fi_cntr_read(ctx->txcntr) == 3);
	}
	teardown(ctx, &r);
}

/* FI_RMA_EVENT: a counter bound at the target with FI_REMOTE_WRITE |
 * FI_REMOTE_READ counts two writes and a read from the peer (the region
 * bound to it first when the domain asks for FI_MR_RMA_EVENT); no CQ
 * entry at the target. */
static void rma_event(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = {
		.caps = FI_RMA | FI_RMA_EVENT,
		.mr_mode = CONF_MR_MODES | FI_MR_RMA_EVENT,
		.cntrs = true,
		.rx_cntr_flags = FI_REMOTE_WRITE | FI_REMOTE_READ,
	};
	char *buf = aligned_alloc(4096, 4096);
	struct fid_mr *mr;
	int c;

	CHECK(buf);
	memset(buf, FILL, 4096);
	conf_pair_open(ctx, &o);
	if (ctx->role == 1) {
		int mode = ctx->info->domain_attr->mr_mode;
		uint64_t key = 0xe7e;

		if (mode & FI_MR_RMA_EVENT) {
			CHECK_OK(fi_mr_reg(ctx->domain, buf, 4096,
					   FI_REMOTE_READ | FI_REMOTE_WRITE, 0,
					   (mode & FI_MR_PROV_KEY) ? 0 : key,
					   FI_RMA_EVENT, &mr, NULL));
			CHECK_OK(fi_mr_bind(mr, &ctx->rxcntr->fid,
					    FI_REMOTE_WRITE | FI_REMOTE_READ));
			if (mode & FI_MR_ENDPOINT)
				CHECK_OK(fi_mr_bind(mr, &ctx->ep->fid, 0));
			CHECK_OK(fi_mr_enable(mr));
		} else {
			mr = conf_mr_reg(ctx, buf, 4096,
					 FI_REMOTE_READ | FI_REMOTE_WRITE, key);
		}
		conf_oob_send_u64(ctx, conf_rma_addr(ctx, buf, buf));
		conf_oob_send_u64(ctx, fi_mr_key(mr));
		conf_cntr_wait(ctx, ctx->rxcntr, 3);
		CONF_CHECK_DATA(buf + OFF, 100, 60);
		conf_oob_recv_u64(ctx);
		CHECK(fi_cntr_read(ctx->rxcntr) == 3);
		conf_cq_expect_empty(ctx, &ctx->rx);
	} else {
		uint64_t raddr, rkey;
		void *desc;

		mr = conf_mr_reg(ctx, buf, 4096, FI_READ | FI_WRITE, 0xe7f);
		desc = conf_mr_desc(ctx, mr);
		raddr = conf_oob_recv_u64(ctx);
		rkey = conf_oob_recv_u64(ctx);
		conf_fill(buf, 100, 60);
		for (int i = 0; i < 2; i++) {
			CHECK_OK(CONF_POST(ctx, fi_write(ctx->ep, buf, 100, desc,
							 ctx->peer, raddr + OFF,
							 rkey, &c)));
			expect_rma_tx(ctx, &c, FI_RMA | FI_WRITE);
		}
		CHECK_OK(CONF_POST(ctx, fi_read(ctx->ep, buf + 2048, 100, desc,
						ctx->peer, raddr + OFF, rkey,
						&c)));
		expect_rma_tx(ctx, &c, FI_RMA | FI_READ);
		CONF_CHECK_DATA(buf + 2048, 100, 60);
		conf_oob_send_u64(ctx, 1);
	}
	conf_barrier(ctx);
	CHECK_OK(fi_close(&mr->fid));
	free(buf);
	conf_pair_close(ctx);
}

/* Access rights: a region registered for remote reads refuses a write
 * (error completion, memory untouched), one for remote writes refuses a
 * read; the allowed direction works on each. */
static void access_rights(struct conf_ctx *ctx)
{
	char *buf = aligned_alloc(4096, 8192);
	struct fid_mr *mr[2];

	CHECK(buf);
	memset(buf, FILL, 8192);
	conf_pair_open(ctx, &ropts);
	if (ctx->role == 1) {
		mr[0] = conf_mr_reg(ctx, buf, 4096, FI_REMOTE_READ, 0xacc0);
		mr[1] = conf_mr_reg(ctx, buf + 4096, 4096, FI_REMOTE_WRITE,
				    0xacc1);
		conf_fill(buf + OFF, 64, 70);
		for (int i = 0; i < 2; i++) {
			conf_oob_send_u64(ctx, conf_rma_addr(ctx, buf + 4096 * i,
							     buf + 4096 * i));
			conf_oob_send_u64(ctx, fi_mr_key(mr[i]));
		}
		conf_oob_recv_u64(ctx);
		/* Region 0: only the pattern B put there. */
		CONF_CHECK_DATA(buf + OFF, 64, 70);
		for (int i = 0; i < 4096; i++)
			if (i < OFF || i >= OFF + 64)
				CHECK((unsigned char)buf[i] == FILL);
		/* Region 1: A's allowed write. */
		CONF_CHECK_DATA(buf + 4096 + OFF, 64, 71);
	} else {
		struct fi_cq_err_entry err;
		uint64_t raddr[2], rkey[2];
		void *desc;
		int c;

		mr[0] = conf_mr_reg(ctx, buf, 8192, FI_READ | FI_WRITE, 0xacc2);
		mr[1] = NULL;
		desc = conf_mr_desc(ctx, mr[0]);
		for (int i = 0; i < 2; i++) {
			raddr[i] = conf_oob_recv_u64(ctx);
			rkey[i] = conf_oob_recv_u64(ctx);
		}
		memset(buf, 0x11, 64);
		CHECK_OK(CONF_POST(ctx, fi_write(ctx->ep, buf, 64, desc,
						 ctx->peer, raddr[0] + OFF,
						 rkey[0], &c)));
		conf_cq_wait_err(ctx, &ctx->tx, &err);
		printf("  write to a read-only region: err %d (%s)\n", err.err,
		       fi_strerror(err.err));
		CHECK(err.op_context == &c && err.err != 0);
		memset(buf + 4096, CANARY, 64);
		CHECK_OK(CONF_POST(ctx, fi_read(ctx->ep, buf + 4096, 64, desc,
						ctx->peer, raddr[1] + OFF,
						rkey[1], &c)));
		conf_cq_wait_err(ctx, &ctx->tx, &err);
		printf("  read of a write-only region: err %d (%s)\n", err.err,
		       fi_strerror(err.err));
		CHECK(err.op_context == &c && err.err != 0);
		for (int i = 0; i < 64; i++)
			CHECK((unsigned char)buf[4096 + i] == CANARY);
		CHECK_OK(CONF_POST(ctx, fi_read(ctx->ep, buf + 4096, 64, desc,
						ctx->peer, raddr[0] + OFF,
						rkey[0], &c)));
		expect_rma_tx(ctx, &c, FI_RMA | FI_READ);
		CONF_CHECK_DATA(buf + 4096, 64, 70);
		conf_fill(buf, 64, 71);
		CHECK_OK(CONF_POST(ctx, fi_write(ctx->ep, buf, 64, desc,
						 ctx->peer, raddr[1] + OFF,
						 rkey[1], &c)));
		expect_rma_tx(ctx, &c, FI_RMA | FI_WRITE);
		conf_oob_send_u64(ctx, 1);
	}
	conf_barrier(ctx);
	for (int i = 0; i < 2; i++)
		if (mr[i])
			CHECK_OK(fi_close(&mr[i]->fid));
	free(buf);
	conf_pair_close(ctx);
}

/* A requested key already in use: -FI_ENOKEY; free again once the first
 * region is closed (man fi_mr ERRORS). */
static void dup_key(struct conf_ctx *ctx)
{
	static char a[256], b[256];
	struct fid_mr *m1, *m2;

	conf_domain_open(ctx, FI_RMA);
	if (ctx->info->domain_attr->mr_mode & FI_MR_PROV_KEY)
		conf_skip(ctx, "FI_MR_PROV_KEY: the provider picks keys");
	CHECK_OK(fi_mr_reg(ctx->domain, a, sizeof(a), FI_REMOTE_WRITE, 0, 42,
			   0, &m1, NULL));
	CHECK(fi_mr_key(m1) == 42);
	CHECK_RET(fi_mr_reg(ctx->domain, b, sizeof(b), FI_REMOTE_WRITE, 0, 42,
			    0, &m2, NULL),
		  -FI_ENOKEY);
	CHECK_OK(fi_mr_reg(ctx->domain, b, sizeof(b), FI_REMOTE_WRITE, 0, 43,
			   0, &m2, NULL));
	CHECK_OK(fi_close(&m1->fid));
	CHECK_OK(fi_mr_reg(ctx->domain, a, sizeof(a), FI_REMOTE_WRITE, 0, 42,
			   0, &m1, NULL));
	CHECK_OK(fi_close(&m1->fid));
	CHECK_OK(fi_close(&m2->fid));
	conf_domain_close(ctx);
}

static const struct conf_case cases[] = {
	{ "write", rma_write, true },
	{ "read", rma_read, true },
	{ "writedata", writedata, true },
	{ "vectors", vectors, true },
	{ "inject_write", inject_write, true },
	{ "bad_key", bad_key, true },
	{ "counters", counters, true },
	{ "rma_event", rma_event, true },
	{ "access", access_rights, true },
	{ "dup_key", dup_key },
	{ NULL },
};

int main(int argc, char **argv)
{
	return conf_main(argc, argv, "rma", cases);
}
