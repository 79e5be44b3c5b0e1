/* Conformance: fi_msg between two processes (man fi_msg, fi_cq, fi_cntr).
 * A sends to B unless a case says otherwise; B posts its receives and
 * says "ready" out of band before A sends, so the cases hold for DGRAM
 * endpoints (which may drop what arrives with no receive posted) too. */
#define _GNU_SOURCE
#include "conf.h"

#include <poll.h>
#include <sys/uio.h>
#include <unistd.h>

#define CANARY 64

static char *xalloc(size_t len)
{
	char *p = aligned_alloc(4096, (len + CANARY + 4095) & ~(size_t)4095);

	CHECK(p);
	memset(p, 0xa5, len + CANARY);
	return p;
}

/* The CANARY bytes past len are untouched. */
static void check_canary(const char *p, size_t len)
{
	for (size_t i = 0; i < CANARY; i++)
		CHECK((unsigned char)p[len + i] == 0xa5);
}

static size_t max_msg(struct conf_ctx *ctx)
{
	return ctx->info->ep_attr->max_msg_size;
}

static void post_recv(struct conf_ctx *ctx, void *buf, size_t len, void *c)
{
	CHECK_OK(CONF_POST(ctx, fi_recv(ctx->ep, buf, len, NULL,
					FI_ADDR_UNSPEC, c)));
}

static void post_send(struct conf_ctx *ctx, void *buf, size_t len, void *c)
{
	CHECK_OK(CONF_POST(ctx, fi_send(ctx->ep, buf, len, NULL, ctx->peer,
					c)));
}

static void expect_tx(struct conf_ctx *ctx, void *c)
{
	struct fi_cq_tagged_entry e;

	conf_cq_wait(ctx, &ctx->tx, &e);
	CHECK(e.op_context == c);
	if (ctx->tx.format != FI_CQ_FORMAT_CONTEXT) {
		if (e.flags != (FI_SEND | FI_MSG))
			fprintf(stderr, "send flags 0x%llx\n",
				(unsigned long long)e.flags);
		CHECK(e.flags == (FI_SEND | FI_MSG));
	}
}

static void expect_rx(struct conf_ctx *ctx, void *c, size_t len,
		      uint64_t extra_flags)
{
	struct fi_cq_tagged_entry e;

	conf_cq_wait(ctx, &ctx->rx, &e);
	CHECK(e.op_context == c);
	if (ctx->rx.format != FI_CQ_FORMAT_CONTEXT) {
		if (e.flags != (FI_RECV | FI_MSG | extra_flags))
			fprintf(stderr, "recv flags 0x%llx\n",
				(unsigned long long)e.flags);
		CHECK(e.flags == (FI_RECV | FI_MSG | extra_flags));
		CHECK(e.len == len);
	}
}

/* One message of `len` bytes from `from` to the other side, verified. */
static void xfer(struct conf_ctx *ctx, int from, size_t len, unsigned seed)
{
	char *buf = xalloc(len);
	int c;

	if (ctx->role != from) {
		post_recv(ctx, buf, len, &c);
		conf_oob_send_u64(ctx, len);
		expect_rx(ctx, &c, len, 0);
		CONF_CHECK_DATA(buf, len, seed);
		check_canary(buf, len);
	} else {
		CHECK(conf_oob_recv_u64(ctx) == len);
		conf_fill(buf, len, seed);
		post_send(ctx, buf, len, &c);
		expect_tx(ctx, &c);
	}
	free(buf);
}

/* 0, 1, inject_size, 4 KiB, 64 KiB, min(1 MiB, max_msg_size), and
 * max_msg_size itself when that is smaller. */
static void sizes(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = { 0 };
	size_t s[8], n = 0, top;

	conf_pair_open(ctx, &o);
	top = max_msg(ctx) < (1u << 20) ? max_msg(ctx) : (1u << 20);
	s[n++] = 0;
	s[n++] = 1;
	s[n++] = ctx->info->tx_attr->inject_size;
	s[n++] = 4096;
	s[n++] = 65536;
	s[n++] = top;
	for (size_t i = 0; i < n; i++) {
		if (s[i] > max_msg(ctx))
			continue;
		xfer(ctx, 0, s[i], (unsigned)i + 1);
	}
	/* And back. */
	xfer(ctx, 1, top < 4096 ? top : 4096, 99);
	xfer(ctx, 1, top, 98);
	conf_pair_close(ctx);
}

/* sendv/recvv with iov_limit segments each side, split differently. */
static void vectors(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = { 0 };
	size_t total, tx_n, rx_n, off;
	struct iov_w {
		struct iovec iov[64];
	} v;
	char *buf, *seg;
	int c;

	conf_pair_open(ctx, &o);
	tx_n = ctx->info->tx_attr->iov_limit;
	rx_n = ctx->info->rx_attr->iov_limit;
	tx_n = tx_n > 64 ? 64 : tx_n;
	rx_n = rx_n > 64 ? 64 : rx_n;
	total = 3000 < max_msg(ctx) ? 3000 : max_msg(ctx);
	buf = xalloc(total);
	/* Segments are carved from one buffer with a gap after each, so a
	 * wrong segment length shows as a data or canary difference. */
	seg = xalloc(2 * total + 64 * 16);
	if (ctx->role == 1) {
		size_t n = rx_n, per = total / n;

		off = 0;
		for (size_t i = 0; i < n; i++) {
			size_t l = i == n - 1 ? total - per * (n - 1) : per;

			v.iov[i].iov_base = seg + off + i * 16;
			v.iov[i].iov_len = l;
			off += l;
		}
		CHECK_OK(CONF_POST(ctx, fi_recvv(ctx->ep, v.iov, NULL, n,
						 FI_ADDR_UNSPEC, &c)));
		conf_oob_send_u64(ctx, 1);
		expect_rx(ctx, &c, total, 0);
		off = 0;
		for (size_t i = 0; i < n; i++) {
			memcpy(buf + off, v.iov[i].iov_base, v.iov[i].iov_len);
			for (size_t k = 0; k < 16; k++)
				CHECK((unsigned char)((char *)v.iov[i].iov_base)
					      [v.iov[i].iov_len + k] == 0xa5);
			off += v.iov[i].iov_len;
		}
		CONF_CHECK_DATA(buf, total, 7);
	} else {
		size_t n = tx_n;

		conf_fill(buf, total, 7);
		/* Uneven split: a small head, the rest equal. */
		off = 0;
		for (size_t i = 0; i < n; i++) {
			size_t l = n == 1 ? total
				   : i == 0 ? 5
				   : i == n - 1 ? total - off
						: (total - 5) / (n - 1);

			v.iov[i].iov_base = buf + off;
			v.iov[i].iov_len = l;
			off += l;
		}
		CHECK(off == total);
		conf_oob_recv_u64(ctx);
		CHECK_OK(CONF_POST(ctx, fi_sendv(ctx->ep, v.iov, NULL, n,
						 ctx->peer, &c)));
		expect_tx(ctx, &c);
	}
	free(buf);
	free(seg);
	conf_pair_close(ctx);
}

/* fi_senddata / fi_injectdata: FI_REMOTE_CQ_DATA and the data at B. */
static void cq_data(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = { .format = FI_CQ_FORMAT_DATA };
	size_t dsz;
	uint64_t data = 0x1122334455667788ull, mask;
	char buf[64];
	int c;

	conf_pair_open(ctx, &o);
	dsz = ctx->info->domain_attr->cq_data_size;
	if (dsz == 0)
		conf_skip(ctx, "cq_data_size is 0");
	mask = dsz >= 8 ? ~0ull : (1ull << (8 * dsz)) - 1;
	for (int round = 0; round < 2; round++) {
		if (ctx->role == 1) {
			struct fi_cq_tagged_entry e;

			post_recv(ctx, buf, sizeof(buf), &c);
			conf_oob_send_u64(ctx, 1);
			conf_cq_wait(ctx, &ctx->rx, &e);
			CHECK(e.op_context == &c);
			CHECK(e.flags == (FI_RECV | FI_MSG | FI_REMOTE_CQ_DATA));
			CHECK(e.len == sizeof(buf) / 2);
			CHECK(e.data == ((data + (uint64_t)round) & mask));
			CONF_CHECK_DATA(buf, sizeof(buf) / 2, 3);
		} else {
			conf_fill(buf, sizeof(buf), 3);
			conf_oob_recv_u64(ctx);
			if (round == 0) {
				CHECK_OK(CONF_POST(ctx, fi_senddata(
					ctx->ep, buf, sizeof(buf) / 2, NULL,
					data & mask, ctx->peer, &c)));
				expect_tx(ctx, &c);
			} else {
				if (ctx->info->tx_attr->inject_size <
				    sizeof(buf) / 2) {
					/* Still deliver something. */
					conf_skip(ctx, "inject_size too small");
				}
				CHECK_OK(CONF_POST(ctx, fi_injectdata(
					ctx->ep, buf, sizeof(buf) / 2,
					(data + 1) & mask, ctx->peer)));
			}
		}
	}
	if (ctx->role == 0)
		conf_cq_expect_empty(ctx, &ctx->tx);
	conf_pair_close(ctx);
}

/* fi_inject: the buffer is reusable on return, no CQ entry, the send
 * counter counts it. */
static void inject(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = { .cntrs = true };
	size_t len;
	char *buf;
	int c[4];

	conf_pair_open(ctx, &o);
	len = ctx->info->tx_attr->inject_size;
	if (len == 0)
		conf_skip(ctx, "inject_size is 0");
	buf = xalloc(len);
	if (ctx->role == 1) {
		char *rb[4];

		for (int i = 0; i < 4; i++) {
			rb[i] = xalloc(len);
			post_recv(ctx, rb[i], len, &c[i]);
		}
		conf_oob_send_u64(ctx, 1);
		/* Each message carries its index in its first byte (DGRAM
		 * endpoints need not keep order): 0-2 are inject_size long,
		 * 3 is one byte. */
		for (int i = 0; i < 4; i++) {
			struct fi_cq_tagged_entry e;
			int k, idx;

			conf_cq_wait(ctx, &ctx->rx, &e);
			k = (int)((int *)e.op_context - c);
			CHECK(k >= 0 && k < 4);
			idx = (unsigned char)rb[k][0];
			CHECK(idx < 4);
			CHECK(e.flags == (FI_RECV | FI_MSG));
			CHECK(e.len == (idx == 3 ? 1 : len));
			if (idx < 3)
				CONF_CHECK_DATA(rb[k] + 1, len - 1, idx + 10);
		}
		for (int i = 0; i < 4; i++)
			free(rb[i]);
		conf_cntr_wait(ctx, ctx->rxcntr, 4);
		CHECK(fi_cntr_read(ctx->rxcntr) == 4);
	} else {
		conf_oob_recv_u64(ctx);
		for (int i = 0; i < 3; i++) {
			buf[0] = (char)i;
			conf_fill(buf + 1, len - 1, (unsigned)i + 10);
			CHECK_OK(CONF_POST(ctx, fi_inject(ctx->ep, buf, len,
							  ctx->peer)));
			/* Reusable at once: scribble over it. */
			memset(buf, 0xee, len);
		}
		buf[0] = 3;
		CHECK_OK(CONF_POST(ctx, fi_inject(ctx->ep, buf, 1, ctx->peer)));
		conf_cntr_wait(ctx, ctx->txcntr, 4);
		CHECK(fi_cntr_read(ctx->txcntr) == 4);
		CHECK(fi_cntr_readerr(ctx->txcntr) == 0);
		conf_cq_expect_empty(ctx, &ctx->tx);
	}
	free(buf);
	conf_barrier(ctx);
	if (ctx->role == 0)
		conf_cq_expect_empty(ctx, &ctx->tx);
	conf_pair_close(ctx);
}

/* A message longer than the posted buffer: an error completion with
 * FI_ETRUNC, olen = the bytes that did not fit, the head delivered; the
 * sender's completion is a success; the next message is unaffected. */
static void truncation(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = { 0 };
	size_t sent, posted;
	char *buf;
	int c, c2;

	conf_pair_open(ctx, &o);
	sent = 1000 < max_msg(ctx) ? 1000 : max_msg(ctx);
	posted = sent / 4;
	buf = xalloc(sent);
	if (ctx->role == 1) {
		struct fi_cq_err_entry err;

		post_recv(ctx, buf, posted, &c);
		conf_oob_send_u64(ctx, 1);
		conf_cq_wait_err(ctx, &ctx->rx, &err);
		printf("  truncated: err %d len %zu olen %zu flags 0x%llx\n",
		       err.err, err.len, err.olen,
		       (unsigned long long)err.flags);
		CHECK(err.op_context == &c);
		CHECK(err.err == FI_ETRUNC);
		CHECK(err.olen == sent - posted);
		CHECK(err.flags & FI_RECV);
		CHECK(fi_cq_strerror(ctx->rx.cq, err.prov_errno, err.err_data,
				     NULL, 0) != NULL);
		CONF_CHECK_DATA(buf, posted, 5);
		check_canary(buf, posted);
		/* The endpoint still receives. */
		post_recv(ctx, buf, sent, &c2);
		conf_oob_send_u64(ctx, 2);
		expect_rx(ctx, &c2, 16, 0);
		CONF_CHECK_DATA(buf, 16, 6);
	} else {
		conf_fill(buf, sent, 5);
		conf_oob_recv_u64(ctx);
		post_send(ctx, buf, sent, &c);
		expect_tx(ctx, &c);
		conf_oob_recv_u64(ctx);
		conf_fill(buf, 16, 6);
		post_send(ctx, buf, 16, &c2);
		expect_tx(ctx, &c2);
	}
	free(buf);
	conf_pair_close(ctx);
}

/* fi_cancel of a posted receive: an error completion FI_ECANCELED with
 * its context; the next message lands in the receive posted after it. */
static void cancel(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = { 0 };
	char a[64], b[64];
	int ca, cb, cs;

	conf_pair_open(ctx, &o);
	if (ctx->role == 1) {
		struct fi_cq_err_entry err;

		memset(a, 0x5a, sizeof(a));
		post_recv(ctx, a, sizeof(a), &ca);
		post_recv(ctx, b, sizeof(b), &cb);
		CHECK_OK(fi_cancel(&ctx->ep->fid, &ca));
		conf_cq_wait_err(ctx, &ctx->rx, &err);
		CHECK(err.op_context == &ca);
		CHECK(err.err == FI_ECANCELED);
		CHECK(err.flags & FI_RECV);
		conf_oob_send_u64(ctx, 1);
		expect_rx(ctx, &cb, 32, 0);
		CONF_CHECK_DATA(b, 32, 8);
		for (size_t i = 0; i < sizeof(a); i++)
			CHECK((unsigned char)a[i] == 0x5a);
		/* Cancelling it again, or an unknown context, reports no
		 * second completion. */
		(void)fi_cancel(&ctx->ep->fid, &ca);
		conf_cq_expect_empty(ctx, &ctx->rx);
	} else {
		conf_fill(a, 32, 8);
		conf_oob_recv_u64(ctx);
		post_send(ctx, a, 32, &cs);
		expect_tx(ctx, &cs);
	}
	conf_pair_close(ctx);
}

/* FI_SELECTIVE_COMPLETION on both sides: only operations posted with
 * FI_COMPLETION write CQ entries; counters count every operation. */
static void selective(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = {
		.tx_bind = FI_SELECTIVE_COMPLETION,
		.rx_bind = FI_SELECTIVE_COMPLETION,
		.cntrs = true,
	};
	char buf[2][32];
	int c[2];

	conf_pair_open(ctx, &o);
	for (int i = 0; i < 2; i++) {
		struct iovec iov = { buf[i], sizeof(buf[i]) };
		struct fi_msg m = { .msg_iov = &iov,
				    .iov_count = 1,
				    .addr = ctx->role ? FI_ADDR_UNSPEC
						      : ctx->peer,
				    .context = &c[i] };
		uint64_t flags = i == 1 ? FI_COMPLETION : 0;

		if (ctx->role == 1) {
			CHECK_OK(CONF_POST(ctx, fi_recvmsg(ctx->ep, &m, flags)));
		} else {
			conf_fill(buf[i], sizeof(buf[i]), 20u + (unsigned)i);
			CHECK(conf_oob_recv_u64(ctx) == (uint64_t)i);
			CHECK_OK(CONF_POST(ctx, fi_sendmsg(ctx->ep, &m, flags)));
			conf_cntr_wait(ctx, ctx->txcntr, (uint64_t)i + 1);
		}
		if (ctx->role == 1) {
			conf_oob_send_u64(ctx, (uint64_t)i);
			conf_cntr_wait(ctx, ctx->rxcntr, (uint64_t)i + 1);
			CONF_CHECK_DATA(buf[i], sizeof(buf[i]), 20u + (unsigned)i);
		}
	}
	if (ctx->role == 1) {
		expect_rx(ctx, &c[1], sizeof(buf[1]), 0);
		conf_cq_expect_empty(ctx, &ctx->rx);
	} else {
		expect_tx(ctx, &c[1]);
		conf_cq_expect_empty(ctx, &ctx->tx);
	}
	conf_pair_close(ctx);
}

/* Counters: N sends and receives counted exactly; fi_cntr_add/set. */
static void counters(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = { .cntrs = true };
	enum { N = 8 };
	char buf[N][16];
	int c[N];

	conf_pair_open(ctx, &o);
	CHECK(fi_cntr_read(ctx->txcntr) == 0);
	CHECK(fi_cntr_read(ctx->rxcntr) == 0);
	if (ctx->role == 1) {
		for (int i = 0; i < N; i++)
			post_recv(ctx, buf[i], sizeof(buf[i]), &c[i]);
		conf_oob_send_u64(ctx, 1);
		conf_cntr_wait(ctx, ctx->rxcntr, N);
		for (int i = 0; i < N; i++)
			expect_rx(ctx, &c[i], sizeof(buf[i]), 0);
		CHECK(fi_cntr_read(ctx->rxcntr) == N);
		CHECK(fi_cntr_read(ctx->txcntr) == 0);
	} else {
		conf_oob_recv_u64(ctx);
		for (int i = 0; i < N; i++)
			post_send(ctx, buf[i], sizeof(buf[i]), &c[i]);
		conf_cntr_wait(ctx, ctx->txcntr, N);
		for (int i = 0; i < N; i++)
			expect_tx(ctx, &c[i]);
		CHECK(fi_cntr_read(ctx->txcntr) == N);
		CHECK(fi_cntr_read(ctx->rxcntr) == 0);
	}
	CHECK(fi_cntr_readerr(ctx->txcntr) == 0);
	CHECK(fi_cntr_readerr(ctx->rxcntr) == 0);
	CHECK_OK(fi_cntr_add(ctx->txcntr, 5));
	CHECK(fi_cntr_read(ctx->txcntr) == (ctx->role ? 0 : N) + 5);
	CHECK_OK(fi_cntr_set(ctx->txcntr, 2));
	CHECK(fi_cntr_read(ctx->txcntr) == 2);
	CHECK_OK(fi_cntr_adderr(ctx->txcntr, 3));
	CHECK(fi_cntr_readerr(ctx->txcntr) == 3);
	CHECK_OK(fi_cntr_seterr(ctx->txcntr, 0));
	CHECK(fi_cntr_readerr(ctx->txcntr) == 0);
	conf_pair_close(ctx);
}

/* Each CQ format carries its fields: context only; + flags, len; + buf,
 * data; + tag. */
static void cq_formats(struct conf_ctx *ctx)
{
	static const enum fi_cq_format fmts[] = {
		FI_CQ_FORMAT_CONTEXT, FI_CQ_FORMAT_MSG, FI_CQ_FORMAT_DATA,
		FI_CQ_FORMAT_TAGGED
	};

	for (size_t f = 0; f < 4; f++) {
		struct conf_pair_opts o = { .format = fmts[f] };
		char buf[48];
		int c;

		conf_pair_open(ctx, &o);
		if (ctx->role == 1) {
			struct fi_cq_tagged_entry e;

			post_recv(ctx, buf, sizeof(buf), &c);
			conf_oob_send_u64(ctx, 1);
			conf_cq_wait(ctx, &ctx->rx, &e);
			CHECK(e.op_context == &c);
			if (fmts[f] != FI_CQ_FORMAT_CONTEXT) {
				CHECK(e.flags == (FI_RECV | FI_MSG));
				CHECK(e.len == 40);
			}
			if (fmts[f] == FI_CQ_FORMAT_DATA ||
			    fmts[f] == FI_CQ_FORMAT_TAGGED)
				CHECK(e.data == 0); /* no FI_REMOTE_CQ_DATA */
			CONF_CHECK_DATA(buf, 40, 30u + (unsigned)f);
		} else {
			conf_fill(buf, sizeof(buf), 30u + (unsigned)f);
			conf_oob_recv_u64(ctx);
			post_send(ctx, buf, 40, &c);
			expect_tx(ctx, &c);
		}
		conf_pair_close(ctx);
	}
}

/* fi_cq_sread with nothing to read returns -FI_EAGAIN after its timeout;
 * fi_cq_signal wakes it early with the same code. */
static void sread_timeout(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = { .wait = FI_WAIT_UNSPEC };
	struct fi_cq_tagged_entry e;
	long t0;

	conf_pair_open(ctx, &o);
	t0 = conf_now_ms();
	CHECK_RET(fi_cq_sread(ctx->rx.cq, &e, 1, NULL, 100), -FI_EAGAIN);
	CHECK(conf_now_ms() - t0 >= 90);
	CHECK_OK(fi_cq_signal(ctx->rx.cq));
	CHECK_RET(fi_cq_sread(ctx->rx.cq, &e, 1, NULL, 5000), -FI_EAGAIN);
	conf_pair_close(ctx);
}

/* A blocking fi_cq_sread returns when the peer's message arrives. */
static void sread_wakeup(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = { .wait = FI_WAIT_UNSPEC };
	char buf[64];
	int c;

	conf_pair_open(ctx, &o);
	if (ctx->role == 1) {
		struct fi_cq_tagged_entry e;
		long deadline = conf_now_ms() + CONF_WAIT_MS;
		ssize_t n;

		post_recv(ctx, buf, sizeof(buf), &c);
		conf_oob_send_u64(ctx, 1);
		while ((n = fi_cq_sread(ctx->rx.cq, &e, 1, NULL, 1000)) ==
			       -FI_EAGAIN &&
		       conf_now_ms() < deadline)
			;
		CHECK_RET(n, 1);
		CHECK(e.op_context == &c);
		CHECK(e.len == sizeof(buf));
		CONF_CHECK_DATA(buf, sizeof(buf), 40);
	} else {
		conf_fill(buf, sizeof(buf), 40);
		conf_oob_recv_u64(ctx);
		usleep(50000); /* B is (likely) asleep in sread now */
		post_send(ctx, buf, sizeof(buf), &c);
		expect_tx(ctx, &c);
	}
	conf_pair_close(ctx);
}

/* FI_WAIT_FD: the CQ's fd (FI_GETWAIT) polls readable when the peer's
 * message arrives, after fi_trywait said sleeping is safe. */
static void wait_fd(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = { .wait = FI_WAIT_FD };
	char buf[64];
	int c;

	conf_pair_open(ctx, &o);
	if (ctx->role == 1) {
		struct fi_cq_tagged_entry e;
		struct fid *fids[1] = { &ctx->rx.cq->fid };
		long deadline = conf_now_ms() + CONF_WAIT_MS;
		int fd = -1, woke = 0;
		ssize_t n;

		CHECK_OK(fi_control(&ctx->rx.cq->fid, FI_GETWAIT, &fd));
		CHECK(fd >= 0);
		post_recv(ctx, buf, sizeof(buf), &c);
		conf_oob_send_u64(ctx, 1);
		for (;;) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			int ret;

			n = fi_cq_read(ctx->rx.cq, &e, 1);
			if (n == 1)
				break;
			CHECK_RET(n, -FI_EAGAIN);
			CHECK(conf_now_ms() < deadline);
			ret = fi_trywait(ctx->fabric, fids, 1);
			if (ret == -FI_EAGAIN)
				continue;
			CHECK_OK(ret);
			/* Sleep on the fd alone: only the provider can wake
			 * us. */
			ret = poll(&pfd, 1, CONF_WAIT_MS);
			CHECK(ret == 1);
			woke++;
		}
		CHECK(e.op_context == &c);
		CHECK(e.len == sizeof(buf));
		CONF_CHECK_DATA(buf, sizeof(buf), 41);
		printf("  woke %d time(s) from poll\n", woke);
	} else {
		conf_fill(buf, sizeof(buf), 41);
		conf_oob_recv_u64(ctx);
		usleep(50000);
		post_send(ctx, buf, sizeof(buf), &c);
		expect_tx(ctx, &c);
	}
	conf_pair_close(ctx);
}

/* A message sent before the receive is posted is delivered to the later
 * receive (reliable endpoints). */
static void unexpected(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = { 0 };
	size_t len[2] = { 64, 65536 };
	char *buf[2];
	int c[2];

	if (ctx->ep_type == FI_EP_DGRAM)
		conf_skip(ctx, "DGRAM may drop a message with no receive");
	conf_pair_open(ctx, &o);
	for (int i = 0; i < 2; i++) {
		if (len[i] > max_msg(ctx))
			len[i] = max_msg(ctx);
		buf[i] = xalloc(len[i]);
	}
	if (ctx->role == 1) {
		long until;

		conf_oob_recv_u64(ctx); /* both sends are posted */
		until = conf_now_ms() + 100;
		while (conf_now_ms() < until)
			conf_progress(ctx);
		for (int i = 0; i < 2; i++)
			post_recv(ctx, buf[i], len[i], &c[i]);
		for (int i = 0; i < 2; i++) {
			expect_rx(ctx, &c[i], len[i], 0);
			CONF_CHECK_DATA(buf[i], len[i], 50u + (unsigned)i);
		}
	} else {
		for (int i = 0; i < 2; i++) {
			conf_fill(buf[i], len[i], 50u + (unsigned)i);
			post_send(ctx, buf[i], len[i], &c[i]);
		}
		conf_oob_send_u64(ctx, 1);
		for (int i = 0; i < 2; i++)
			expect_tx(ctx, &c[i]);
	}
	for (int i = 0; i < 2; i++)
		free(buf[i]);
	conf_pair_close(ctx);
}

/* Many messages of mixed sizes in flight; with FI_ORDER_SAS they match
 * the receives in order (and complete in order with FI_ORDER_STRICT
 * completions), otherwise each arrives once. */
static void many(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = { 0 };
	enum { N = 48 };
	size_t len[N], cap;
	char *buf[N];
	int c[N], seen[N] = { 0 };
	bool sas;

	conf_pair_open(ctx, &o);
	cap = max_msg(ctx) < 20000 ? max_msg(ctx) : 20000;
	/* DGRAM: the kernel drops what its socket buffer cannot hold (a
	 * few hundred KiB by default): keep the burst under 48 KiB. */
	if (ctx->ep_type == FI_EP_DGRAM && cap > 1024)
		cap = 1024;
	sas = (ctx->info->tx_attr->msg_order & FI_ORDER_SAS) &&
	      (ctx->info->rx_attr->msg_order & FI_ORDER_SAS);
	for (int i = 0; i < N; i++) {
		len[i] = 8 + (size_t)(i * 977) % (cap - 8);
		buf[i] = xalloc(cap);
	}
	if (ctx->role == 1) {
		for (int i = 0; i < N; i++)
			post_recv(ctx, buf[i], cap, &c[i]);
		conf_oob_send_u64(ctx, 1);
		for (int i = 0; i < N; i++) {
			struct fi_cq_tagged_entry e;
			int k, idx;

			conf_cq_wait(ctx, &ctx->rx, &e);
			k = (int)((int *)e.op_context - c);
			CHECK(k >= 0 && k < N);
			idx = (unsigned char)buf[k][0];
			CHECK(idx < N);
			/* SAS: message idx matched receive idx; the
			 * completions are in order only with a strict
			 * completion order. */
			if (sas)
				CHECK(idx == k);
			if (sas && (ctx->info->rx_attr->comp_order &
				    FI_ORDER_STRICT))
				CHECK(k == i);
			CHECK(!seen[idx]);
			seen[idx] = 1;
			CHECK(e.len == len[idx]);
			CONF_CHECK_DATA(buf[k] + 1, len[idx] - 1,
					60u + (unsigned)idx);
		}
	} else {
		conf_oob_recv_u64(ctx);
		for (int i = 0; i < N; i++) {
			buf[i][0] = (char)i;
			conf_fill(buf[i] + 1, len[i] - 1, 60u + (unsigned)i);
			post_send(ctx, buf[i], len[i], &c[i]);
		}
		for (int i = 0; i < N; i++) {
			struct fi_cq_tagged_entry e;

			conf_cq_wait(ctx, &ctx->tx, &e);
			CHECK(e.flags == (FI_SEND | FI_MSG));
		}
	}
	for (int i = 0; i < N; i++)
		free(buf[i]);
	conf_pair_close(ctx);
}

/* With FI_SOURCE, fi_cq_readfrom names the sender by its AV address. */
static void source(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = { .caps = FI_MSG | FI_SOURCE };
	char buf[32];
	int c;

	if (ctx->ep_type == FI_EP_MSG)
		conf_skip(ctx, "FI_SOURCE is for connectionless endpoints");
	conf_pair_open(ctx, &o);
	if (ctx->role == 1) {
		struct fi_cq_tagged_entry e;
		fi_addr_t from = FI_ADDR_NOTAVAIL;
		long deadline = conf_now_ms() + CONF_WAIT_MS;
		ssize_t n;

		post_recv(ctx, buf, sizeof(buf), &c);
		conf_oob_send_u64(ctx, 1);
		while ((n = fi_cq_readfrom(ctx->rx.cq, &e, 1, &from)) ==
			       -FI_EAGAIN &&
		       conf_now_ms() < deadline)
			;
		CHECK_RET(n, 1);
		CHECK(e.op_context == &c);
		CHECK(from == ctx->peer);
	} else {
		conf_fill(buf, sizeof(buf), 70);
		conf_oob_recv_u64(ctx);
		post_send(ctx, buf, sizeof(buf), &c);
		expect_tx(ctx, &c);
	}
	conf_pair_close(ctx);
}

/* FI_MULTI_RECV: three 1000-byte messages land in one 4 KiB buffer, each
 * completion pointing (buf) at its data inside it; with
 * FI_OPT_MIN_MULTI_RECV 1200 the buffer is released after the third,
 * flagged FI_MULTI_RECV on that completion or on a separate one. */
static void multi_recv(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = {
		.caps = FI_MSG | FI_MULTI_RECV,
		.format = FI_CQ_FORMAT_DATA,
		.min_multi_recv = 1200,
	};
	char *buf = xalloc(4096), s[1000];
	int c;

	conf_pair_open(ctx, &o);
	if (ctx->role == 1) {
		struct iovec iov = { buf, 4096 };
		struct fi_msg m = { .msg_iov = &iov, .iov_count = 1,
				    .addr = FI_ADDR_UNSPEC, .context = &c };
		char *seen_end = buf;
		bool released = false;

		CHECK_OK(CONF_POST(ctx, fi_recvmsg(ctx->ep, &m,
						   FI_MULTI_RECV)));
		conf_oob_send_u64(ctx, 1);
		for (int i = 0; i < 3; i++) {
			struct fi_cq_tagged_entry e;
			char *at;

			conf_cq_wait(ctx, &ctx->rx, &e);
			CHECK(e.op_context == &c);
			CHECK((e.flags & ~FI_MULTI_RECV) == (FI_RECV | FI_MSG));
			CHECK(e.len == 1000);
			at = e.buf;
			/* Packed in order, inside the buffer, after the
			 * previous message. */
			CHECK(at >= seen_end && at + 1000 <= buf + 4096);
			seen_end = at + 1000;
			CONF_CHECK_DATA(at, 1000, 80u + (unsigned)i);
			released = e.flags & FI_MULTI_RECV;
			CHECK(!released || i == 2);
		}
		if (!released) {
			struct fi_cq_tagged_entry e;

			conf_cq_wait(ctx, &ctx->rx, &e);
			CHECK(e.op_context == &c);
			CHECK(e.flags & FI_MULTI_RECV);
			CHECK(e.len == 0);
		}
		conf_cq_expect_empty(ctx, &ctx->rx);
	} else {
		conf_oob_recv_u64(ctx);
		for (int i = 0; i < 3; i++) {
			conf_fill(s, sizeof(s), 80u + (unsigned)i);
			post_send(ctx, s, sizeof(s), &c);
			expect_tx(ctx, &c);
		}
	}
	free(buf);
	conf_pair_close(ctx);
}

/* MSG: fi_shutdown at A gives B an FI_SHUTDOWN event for its endpoint. */
static void shutdown_event(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = { 0 };

	if (ctx->ep_type != FI_EP_MSG)
		conf_skip(ctx, "connection management is for MSG endpoints");
	conf_pair_open(ctx, &o);
	if (ctx->role == 0) {
		CHECK_OK(fi_shutdown(ctx->ep, 0));
		conf_oob_send_u64(ctx, 1);
	} else {
		conf_oob_recv_u64(ctx);
		conf_eq_wait(ctx, FI_SHUTDOWN);
	}
	conf_pair_close(ctx);
}

/* Post sends without reading the CQ until -FI_EAGAIN (or 4 x tx size):
 * every accepted send completes and arrives, in order with
 * FI_ORDER_SAS; -FI_EAGAIN lost nothing. */
static void flow_control(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = { 0 };
	enum { LEN = 256, MAXN = 2048 };
	char (*s)[LEN] = NULL;
	int c;

	if (ctx->ep_type == FI_EP_DGRAM)
		conf_skip(ctx, "DGRAM has no flow control");
	conf_pair_open(ctx, &o);
	if (ctx->role == 0) {
		size_t n = 0, lim = 4 * ctx->info->tx_attr->size;
		ssize_t ret = 0;

		lim = lim > MAXN ? MAXN : lim;
		s = malloc(MAXN * LEN);
		CHECK(s);
		while (n < lim) {
			memcpy(s[n], &n, sizeof(n));
			conf_fill(s[n] + sizeof(n), LEN - sizeof(n),
				  (unsigned)n);
			ret = fi_send(ctx->ep, s[n], LEN, NULL, ctx->peer, &c);
			if (ret == -FI_EAGAIN)
				break;
			CHECK_OK(ret);
			n++;
		}
		printf("  %zu sends accepted before %s\n", n,
		       ret == -FI_EAGAIN ? "-FI_EAGAIN" : "the limit");
		CHECK(n > 0);
		conf_oob_send_u64(ctx, n);
		for (size_t i = 0; i < n; i++)
			expect_tx(ctx, &c);
		conf_cq_expect_empty(ctx, &ctx->tx);
	} else {
		size_t n = conf_oob_recv_u64(ctx), got = 0, posted = 0;
		bool sas = ctx->info->tx_attr->msg_order & FI_ORDER_SAS;
		char (*r)[LEN] = malloc(64 * LEN);
		int rc[64];

		CHECK(r);
		/* A ring of 64 receives, reposted as they complete. */
		while (posted < 64 && posted < n) {
			post_recv(ctx, r[posted], LEN, &rc[posted]);
			posted++;
		}
		while (got < n) {
			struct fi_cq_tagged_entry e;
			size_t k, seq;

			conf_cq_wait(ctx, &ctx->rx, &e);
			k = (size_t)((int *)e.op_context - rc);
			CHECK(k < 64 && e.len == LEN);
			memcpy(&seq, r[k], sizeof(seq));
			CHECK(seq < n);
			if (sas)
				CHECK(seq == got);
			CONF_CHECK_DATA(r[k] + sizeof(seq), LEN - sizeof(seq),
					(unsigned)seq);
			got++;
			if (posted < n) {
				post_recv(ctx, r[k], LEN, &rc[k]);
				posted++;
			}
		}
		free(r);
	}
	free(s);
	conf_pair_close(ctx);
}

/* fi_cntr_wait: -FI_ETIMEDOUT with nothing arriving, 0 once the peer's
 * message is counted. */
static void cntr_wait(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = { .cntrs = true,
						 .cntr_wait = FI_WAIT_UNSPEC };
	char buf[64];
	int c;

	conf_pair_open(ctx, &o);
	if (ctx->role == 1) {
		post_recv(ctx, buf, sizeof(buf), &c);
		CHECK_RET(fi_cntr_wait(ctx->rxcntr, 1, 50), -FI_ETIMEDOUT);
		CHECK(fi_cntr_readerr(ctx->rxcntr) == 0);
		conf_oob_send_u64(ctx, 1);
		CHECK_OK(fi_cntr_wait(ctx->rxcntr, 1, CONF_WAIT_MS));
		CHECK(fi_cntr_read(ctx->rxcntr) == 1);
		expect_rx(ctx, &c, sizeof(buf), 0);
		CONF_CHECK_DATA(buf, sizeof(buf), 85);
	} else {
		conf_fill(buf, sizeof(buf), 85);
		conf_oob_recv_u64(ctx);
		post_send(ctx, buf, sizeof(buf), &c);
		CHECK_OK(fi_cntr_wait(ctx->txcntr, 1, CONF_WAIT_MS));
		expect_tx(ctx, &c);
	}
	conf_pair_close(ctx);
}

static const struct conf_case cases[] = {
	{ "sizes", sizes, true },
	{ "vectors", vectors, true },
	{ "cq_data", cq_data, true },
	{ "inject", inject, true },
	{ "truncation", truncation, true },
	{ "cancel", cancel, true },
	{ "selective", selective, true },
	{ "counters", counters, true },
	{ "cq_formats", cq_formats, true },
	{ "sread_timeout", sread_timeout, true },
	{ "sread_wakeup", sread_wakeup, true },
	{ "wait_fd", wait_fd, true },
	{ "unexpected", unexpected, true },
	{ "many", many, true },
	{ "source", source, true },
	{ "multi_recv", multi_recv, true },
	{ "shutdown", shutdown_event, true },
	{ "flow_control", flow_control, true },
	{ "cntr_wait", cntr_wait, true },
	{ NULL },
};

int main(int argc, char **argv)
{
	return conf_main(argc, argv, "msg", cases);
}
