/* Conformance: fi_tagged between two processes (man fi_tagged, fi_cq).
 * Skips where the combination offers no FI_TAGGED. A sends, B receives;
 * B says "ready" out of band once its receives are posted. */
#include "conf.h"

#include <unistd.h>

static const struct conf_pair_opts topts = { .caps = FI_TAGGED };

static void post_trecv(struct conf_ctx *ctx, void *buf, size_t len,
		       fi_addr_t src, uint64_t tag, uint64_t ignore, void *c)
{
	CHECK_OK(CONF_POST(ctx, fi_trecv(ctx->ep, buf, len, NULL, src, tag,
					 ignore, c)));
}

static void post_tsend(struct conf_ctx *ctx, void *buf, size_t len,
		       uint64_t tag, void *c)
{
	CHECK_OK(CONF_POST(ctx, fi_tsend(ctx->ep, buf, len, NULL, ctx->peer,
					 tag, c)));
}

static void expect_ttx(struct conf_ctx *ctx, void *c)
{
	struct fi_cq_tagged_entry e;

	conf_cq_wait(ctx, &ctx->tx, &e);
	CHECK(e.op_context == c);
	if (e.flags != (FI_SEND | FI_TAGGED))
		fprintf(stderr, "tsend flags 0x%llx\n",
			(unsigned long long)e.flags);
	CHECK(e.flags == (FI_SEND | FI_TAGGED));
}

/* The next receive completion: its context, length and tag. */
static void expect_trx(struct conf_ctx *ctx, void *c, size_t len, uint64_t tag)
{
	struct fi_cq_tagged_entry e;

	conf_cq_wait(ctx, &ctx->rx, &e);
	if (e.op_context != c || e.tag != tag || e.len != len)
		fprintf(stderr, "trecv ctx %p (want %p) tag 0x%llx (want "
				"0x%llx) len %zu (want %zu)\n",
			e.op_context, c, (unsigned long long)e.tag,
			(unsigned long long)tag, e.len, len);
	CHECK(e.op_context == c);
	CHECK(e.flags == (FI_RECV | FI_TAGGED));
	CHECK(e.len == len);
	CHECK(e.tag == tag);
}

/* Receives for tags 1 and 2 posted; A sends tag 2 first: each message
 * lands in the receive of its tag, with the tag in the completion. */
static void exact(struct conf_ctx *ctx)
{
	char b1[64], b2[64], s1[64], s2[64];
	int c1, c2, t1, t2;

	conf_pair_open(ctx, &topts);
	if (ctx->role == 1) {
		post_trecv(ctx, b1, sizeof(b1), FI_ADDR_UNSPEC, 1, 0, &c1);
		post_trecv(ctx, b2, sizeof(b2), FI_ADDR_UNSPEC, 2, 0, &c2);
		conf_oob_send_u64(ctx, 1);
		expect_trx(ctx, &c2, 40, 2);
		expect_trx(ctx, &c1, 24, 1);
		CONF_CHECK_DATA(b2, 40, 2);
		CONF_CHECK_DATA(b1, 24, 1);
	} else {
		conf_fill(s1, sizeof(s1), 1);
		conf_fill(s2, sizeof(s2), 2);
		conf_oob_recv_u64(ctx);
		post_tsend(ctx, s2, 40, 2, &t2);
		expect_ttx(ctx, &t2);
		post_tsend(ctx, s1, 24, 1, &t1);
		expect_ttx(ctx, &t1);
	}
	conf_pair_close(ctx);
}

/* Ignore bits: tag 0x5500/ignore 0xff does not match 0x12cd, tag
 * 0x1200/ignore 0xff does; the completion carries the sent tag. Full
 * 64-bit tags match exactly. */
static void ignore_bits(struct conf_ctx *ctx)
{
	const uint64_t big = 0x8000000000000001ull;
	char b1[32], b2[32], b3[32], s[32];
	int c1, c2, c3, t;

	conf_pair_open(ctx, &topts);
	if (ctx->role == 1) {
		post_trecv(ctx, b1, sizeof(b1), FI_ADDR_UNSPEC, 0x5500, 0xff,
			   &c1);
		post_trecv(ctx, b2, sizeof(b2), FI_ADDR_UNSPEC, 0x1200, 0xff,
			   &c2);
		post_trecv(ctx, b3, sizeof(b3), FI_ADDR_UNSPEC, big, 0, &c3);
		conf_oob_send_u64(ctx, 1);
		expect_trx(ctx, &c2, 16, 0x12cd);
		CONF_CHECK_DATA(b2, 16, 3);
		expect_trx(ctx, &c3, 16, big);
		CONF_CHECK_DATA(b3, 16, 4);
		/* 0x5500 still waits: cancel it. */
		CHECK_OK(fi_cancel(&ctx->ep->fid, &c1));
		{
			struct fi_cq_err_entry err;

			conf_cq_wait_err(ctx, &ctx->rx, &err);
			CHECK(err.op_context == &c1);
			CHECK(err.err == FI_ECANCELED);
		}
	} else {
		conf_oob_recv_u64(ctx);
		conf_fill(s, sizeof(s), 3);
		post_tsend(ctx, s, 16, 0x12cd, &t);
		expect_ttx(ctx, &t);
		conf_fill(s, sizeof(s), 4);
		post_tsend(ctx, s, 16, big, &t);
		expect_ttx(ctx, &t);
	}
	conf_pair_close(ctx);
}

/* A receive from FI_ADDR_UNSPEC matches any sender; with
 * FI_DIRECTED_RECV, a receive naming another address does not match,
 * one naming the sender does. */
static void source_match(struct conf_ctx *ctx)
{
	char b1[32], b2[32], b3[32], s[32];
	int c1, c2, c3, t;

	if (ctx->ep_type == FI_EP_MSG)
		conf_skip(ctx, "source addresses are for connectionless "
			       "endpoints");
	conf_pair_open(ctx, &topts);
	if (ctx->role == 1) {
		bool directed = conf_has(ctx, FI_DIRECTED_RECV);
		fi_addr_t self = FI_ADDR_NOTAVAIL;

		if (directed) {
			char name[256];
			size_t len = sizeof(name);

			CHECK_OK(fi_getname(&ctx->ep->fid, name, &len));
			CHECK_RET(fi_av_insert(ctx->av, name, 1, &self, 0,
					       NULL),
				  1);
			CHECK(self != ctx->peer);
			post_trecv(ctx, b1, sizeof(b1), self, 7, 0, &c1);
			post_trecv(ctx, b2, sizeof(b2), ctx->peer, 7, 0, &c2);
		}
		post_trecv(ctx, b3, sizeof(b3), FI_ADDR_UNSPEC, 8, 0, &c3);
		conf_oob_send_u64(ctx, directed);
		if (directed) {
			struct fi_cq_err_entry err;

			expect_trx(ctx, &c2, 20, 7);
			CONF_CHECK_DATA(b2, 20, 9);
			CHECK_OK(fi_cancel(&ctx->ep->fid, &c1));
			conf_cq_wait_err(ctx, &ctx->rx, &err);
			CHECK(err.op_context == &c1);
			CHECK(err.err == FI_ECANCELED);
		}
		expect_trx(ctx, &c3, 20, 8);
		CONF_CHECK_DATA(b3, 20, 10);
	} else {
		if (conf_oob_recv_u64(ctx)) {
			conf_fill(s, sizeof(s), 9);
			post_tsend(ctx, s, 20, 7, &t);
			expect_ttx(ctx, &t);
		}
		conf_fill(s, sizeof(s), 10);
		post_tsend(ctx, s, 20, 8, &t);
		expect_ttx(ctx, &t);
	}
	conf_pair_close(ctx);
}

/* Sent before any receive is posted, received in another tag order. */
static void unexpected(struct conf_ctx *ctx)
{
	enum { N = 4 };
	size_t len[N] = { 0, 100, 5000, 70000 };
	char *buf[N];
	int c[N];

	if (ctx->ep_type == FI_EP_DGRAM)
		conf_skip(ctx, "DGRAM may drop a message with no receive");
	conf_pair_open(ctx, &topts);
	for (int i = 0; i < N; i++) {
		if (len[i] > ctx->info->ep_attr->max_msg_size)
			len[i] = ctx->info->ep_attr->max_msg_size;
		buf[i] = malloc(len[i] + 1);
		CHECK(buf[i]);
	}
	if (ctx->role == 1) {
		long until;

		conf_oob_recv_u64(ctx);
		until = conf_now_ms() + 100;
		while (conf_now_ms() < until)
			conf_progress(ctx);
		for (int i = N - 1; i >= 0; i--) {
			post_trecv(ctx, buf[i], len[i], FI_ADDR_UNSPEC,
				   100u + (unsigned)i, 0, &c[i]);
			expect_trx(ctx, &c[i], len[i], 100u + (unsigned)i);
			CONF_CHECK_DATA(buf[i], len[i], 11u + (unsigned)i);
		}
	} else {
		for (int i = 0; i < N; i++) {
			conf_fill(buf[i], len[i], 11u + (unsigned)i);
			post_tsend(ctx, buf[i], len[i], 100u + (unsigned)i,
				   &c[i]);
		}
		conf_oob_send_u64(ctx, 1);
		for (int i = 0; i < N; i++) {
			struct fi_cq_tagged_entry e;

			/* Large messages may complete out of order. */
			conf_cq_wait(ctx, &ctx->tx, &e);
			CHECK(e.flags == (FI_SEND | FI_TAGGED));
		}
	}
	for (int i = 0; i < N; i++)
		free(buf[i]);
	conf_pair_close(ctx);
}

/* Same tag, several messages: matched in send order. */
static void same_tag_order(struct conf_ctx *ctx)
{
	enum { N = 8 };
	char buf[N][32], s[N][32];
	int c[N], t[N];

	conf_pair_open(ctx, &topts);
	if (!(ctx->info->tx_attr->msg_order & FI_ORDER_SAS))
		conf_skip(ctx, "no FI_ORDER_SAS");
	if (ctx->role == 1) {
		for (int i = 0; i < N; i++)
			post_trecv(ctx, buf[i], sizeof(buf[i]), FI_ADDR_UNSPEC,
				   5, 0, &c[i]);
		conf_oob_send_u64(ctx, 1);
		for (int i = 0; i < N; i++) {
			expect_trx(ctx, &c[i], sizeof(buf[i]), 5);
			CONF_CHECK_DATA(buf[i], sizeof(buf[i]),
					20u + (unsigned)i);
		}
	} else {
		conf_oob_recv_u64(ctx);
		for (int i = 0; i < N; i++) {
			conf_fill(s[i], sizeof(s[i]), 20u + (unsigned)i);
			post_tsend(ctx, s[i], sizeof(s[i]), 5, &t[i]);
		}
		for (int i = 0; i < N; i++)
			expect_ttx(ctx, &t[i]);
	}
	conf_pair_close(ctx);
}

/* fi_tinject: no send completion; fi_tsenddata: the data and
 * FI_REMOTE_CQ_DATA with the tag. */
static void tinject_data(struct conf_ctx *ctx)
{
	char b1[32], b2[32], s[32];
	int c1, c2, t;

	conf_pair_open(ctx, &topts);
	if (ctx->info->domain_attr->cq_data_size < 4)
		conf_skip(ctx, "cq_data_size < 4");
	if (ctx->info->tx_attr->inject_size < sizeof(s))
		conf_skip(ctx, "inject_size < 32");
	if (ctx->role == 1) {
		struct fi_cq_tagged_entry e;

		post_trecv(ctx, b1, sizeof(b1), FI_ADDR_UNSPEC, 31, 0, &c1);
		post_trecv(ctx, b2, sizeof(b2), FI_ADDR_UNSPEC, 32, 0, &c2);
		conf_oob_send_u64(ctx, 1);
		expect_trx(ctx, &c1, sizeof(b1), 31);
		CONF_CHECK_DATA(b1, sizeof(b1), 31);
		conf_cq_wait(ctx, &ctx->rx, &e);
		CHECK(e.op_context == &c2);
		CHECK(e.flags == (FI_RECV | FI_TAGGED | FI_REMOTE_CQ_DATA));
		CHECK(e.tag == 32);
		CHECK(e.data == 0xabcd1234);
		CONF_CHECK_DATA(b2, sizeof(b2), 32);
	} else {
		conf_oob_recv_u64(ctx);
		conf_fill(s, sizeof(s), 31);
		CHECK_OK(CONF_POST(ctx, fi_tinject(ctx->ep, s, sizeof(s),
						   ctx->peer, 31)));
		memset(s, 0, sizeof(s));
		conf_fill(s, sizeof(s), 32);
		CHECK_OK(CONF_POST(ctx, fi_tsenddata(ctx->ep, s, sizeof(s),
						     NULL, 0xabcd1234,
						     ctx->peer, 32, &t)));
		expect_ttx(ctx, &t);
		conf_cq_expect_empty(ctx, &ctx->tx);
	}
	conf_pair_close(ctx);
}

/* FI_PEEK before anything arrived: FI_ENOMSG; after: the length and tag,
 * the message stays; FI_PEEK|FI_CLAIM then FI_CLAIM gets the data;
 * FI_PEEK|FI_DISCARD drops the message. */
static void peek_claim(struct conf_ctx *ctx)
{
	char s[48], b[48];
	int t;

	if (ctx->ep_type == FI_EP_DGRAM)
		conf_skip(ctx, "DGRAM may drop a message with no receive");
	conf_pair_open(ctx, &topts);
	if (ctx->role == 1) {
		struct fi_context fctx[3];
		struct iovec iov = { b, sizeof(b) };
		struct fi_msg_tagged m = { .msg_iov = &iov,
					   .iov_count = 1,
					   .addr = FI_ADDR_UNSPEC,
					   .tag = 40 };
		struct fi_cq_err_entry err;
		struct fi_cq_tagged_entry e;
		long deadline;
		ssize_t ret;

		m.context = &fctx[0];
		CHECK_OK(CONF_POST(ctx, fi_trecvmsg(ctx->ep, &m, FI_PEEK)));
		conf_cq_wait_err(ctx, &ctx->rx, &err);
		CHECK(err.op_context == &fctx[0]);
		CHECK(err.err == FI_ENOMSG);
		conf_oob_send_u64(ctx, 1);
		conf_oob_recv_u64(ctx); /* tags 40 and 41 sent */
		/* Peek until the message has arrived (it is in flight). */
		deadline = conf_now_ms() + CONF_WAIT_MS;
		for (;;) {
			CHECK_OK(CONF_POST(ctx, fi_trecvmsg(ctx->ep, &m,
							     FI_PEEK)));
			ret = 0;
			while (ret == 0) {
				conf_progress(ctx);
				if (ctx->rx.head != ctx->rx.tail)
					ret = 1;
				else if (ctx->rx.err_pending)
					ret = -1;
			}
			if (ret == 1)
				break;
			conf_cq_wait_err(ctx, &ctx->rx, &err);
			CHECK(err.err == FI_ENOMSG);
			CHECK(conf_now_ms() < deadline);
			usleep(1000);
		}
		conf_cq_wait(ctx, &ctx->rx, &e);
		CHECK(e.op_context == &fctx[0]);
		CHECK(e.tag == 40);
		CHECK(e.len == 30);
		CHECK(e.flags & FI_RECV);
		/* Still there: peek again, claiming it. */
		m.context = &fctx[1];
		CHECK_OK(CONF_POST(ctx, fi_trecvmsg(ctx->ep, &m,
						     FI_PEEK | FI_CLAIM)));
		conf_cq_wait(ctx, &ctx->rx, &e);
		CHECK(e.op_context == &fctx[1]);
		CHECK(e.tag == 40 && e.len == 30);
		/* A plain receive for tag 40 does not get the claimed one;
		 * FI_CLAIM with the same context does. */
		memset(b, 0, sizeof(b));
		CHECK_OK(CONF_POST(ctx, fi_trecvmsg(ctx->ep, &m, FI_CLAIM)));
		conf_cq_wait(ctx, &ctx->rx, &e);
		CHECK(e.op_context == &fctx[1]);
		CHECK(e.tag == 40 && e.len == 30);
		CONF_CHECK_DATA(b, 30, 40);
		/* Tag 41: peek and discard; a later peek finds nothing. */
		m.tag = 41;
		m.context = &fctx[2];
		deadline = conf_now_ms() + CONF_WAIT_MS;
		for (;;) {
			CHECK_OK(CONF_POST(ctx, fi_trecvmsg(ctx->ep, &m,
							     FI_PEEK |
								     FI_DISCARD)));
			ret = 0;
			while (ret == 0) {
				conf_progress(ctx);
				if (ctx->rx.head != ctx->rx.tail)
					ret = 1;
				else if (ctx->rx.err_pending)
					ret = -1;
			}
			if (ret == 1)
				break;
			conf_cq_wait_err(ctx, &ctx->rx, &err);
			CHECK(err.err == FI_ENOMSG);
			CHECK(conf_now_ms() < deadline);
			usleep(1000);
		}
		conf_cq_wait(ctx, &ctx->rx, &e);
		CHECK(e.op_context == &fctx[2]);
		CHECK(e.tag == 41);
		CHECK_OK(CONF_POST(ctx, fi_trecvmsg(ctx->ep, &m, FI_PEEK)));
		conf_cq_wait_err(ctx, &ctx->rx, &err);
		CHECK(err.err == FI_ENOMSG);
	} else {
		conf_oob_recv_u64(ctx);
		conf_fill(s, sizeof(s), 40);
		post_tsend(ctx, s, 30, 40, &t);
		expect_ttx(ctx, &t);
		post_tsend(ctx, s, 20, 41, &t);
		expect_ttx(ctx, &t);
		conf_oob_send_u64(ctx, 1);
	}
	conf_pair_close(ctx);
}

/* Tagged and untagged traffic do not match each other. */
static void separate_queues(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = { .caps = FI_TAGGED | FI_MSG };
	char bm[32], bt[32], s[32];
	int cm, ct, t;

	conf_pair_open(ctx, &o);
	if (ctx->role == 1) {
		CHECK_OK(CONF_POST(ctx, fi_recv(ctx->ep, bm, sizeof(bm), NULL,
						FI_ADDR_UNSPEC, &cm)));
		post_trecv(ctx, bt, sizeof(bt), FI_ADDR_UNSPEC, 0, ~0ull, &ct);
		conf_oob_send_u64(ctx, 1);
		expect_trx(ctx, &ct, 12, 77);
		CONF_CHECK_DATA(bt, 12, 50);
		{
			struct fi_cq_tagged_entry e;

			conf_cq_wait(ctx, &ctx->rx, &e);
			CHECK(e.op_context == &cm);
			CHECK(e.flags == (FI_RECV | FI_MSG));
			CHECK(e.len == 13);
			CONF_CHECK_DATA(bm, 13, 51);
		}
	} else {
		conf_oob_recv_u64(ctx);
		conf_fill(s, sizeof(s), 50);
		post_tsend(ctx, s, 12, 77, &t);
		expect_ttx(ctx, &t);
		conf_fill(s, sizeof(s), 51);
		CHECK_OK(CONF_POST(ctx, fi_send(ctx->ep, s, 13, NULL,
						ctx->peer, &t)));
		conf_cq_wait(ctx, &ctx->tx, &(struct fi_cq_tagged_entry){ 0 });
	}
	conf_pair_close(ctx);
}

static const struct conf_case cases[] = {
	{ "exact", exact, true },
	{ "ignore_bits", ignore_bits, true },
	{ "source_match", source_match, true },
	{ "unexpected", unexpected, true },
	{ "same_tag_order", same_tag_order, true },
	{ "tinject_data", tinject_data, true },
	{ "peek_claim", peek_claim, true },
	{ "separate_queues", separate_queues, true },
	{ NULL },
};

int main(int argc, char **argv)
{
	return conf_main(argc, argv, "tagged", cases);
}
