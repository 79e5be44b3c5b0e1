/* Conformance: event and completion queues on their own (man fi_eq,
 * fi_cq), one process, no traffic. */
#include "conf.h"

/* An EQ opened with FI_WRITE takes user events: read back with their
 * data, FI_PEEK leaves an event queued, an empty EQ reads -FI_EAGAIN
 * (also readerr and a timed sread). */
static void eq_user_events(struct conf_ctx *ctx)
{
	struct fi_eq_attr attr = { .size = 8, .flags = FI_WRITE,
				   .wait_obj = FI_WAIT_UNSPEC };
	struct fi_eq_entry in = { .context = &attr, .data = 0x1234 }, out;
	struct fi_eq_err_entry err;
	struct fid_eq *eq;
	uint32_t event = 0;
	long t0;

	conf_domain_open(ctx, 0);
	CHECK_OK(fi_eq_open(ctx->fabric, &attr, &eq, NULL));
	CHECK_RET(fi_eq_read(eq, &event, &out, sizeof(out), 0), -FI_EAGAIN);
	CHECK_RET(fi_eq_readerr(eq, &err, 0), -FI_EAGAIN);
	t0 = conf_now_ms();
	CHECK_RET(fi_eq_sread(eq, &event, &out, sizeof(out), 50, 0),
		  -FI_EAGAIN);
	CHECK(conf_now_ms() - t0 >= 40);
	CHECK_RET(fi_eq_write(eq, FI_NOTIFY, &in, sizeof(in), 0),
		  sizeof(in));
	in.data = 0x5678;
	CHECK_RET(fi_eq_write(eq, FI_NOTIFY, &in, sizeof(in), 0),
		  sizeof(in));
	memset(&out, 0, sizeof(out));
	CHECK_RET(fi_eq_read(eq, &event, &out, sizeof(out), FI_PEEK),
		  sizeof(out));
	CHECK(event == FI_NOTIFY && out.data == 0x1234);
	memset(&out, 0, sizeof(out));
	CHECK_RET(fi_eq_read(eq, &event, &out, sizeof(out), 0), sizeof(out));
	CHECK(event == FI_NOTIFY && out.data == 0x1234);
	CHECK(out.context == &attr);
	CHECK_RET(fi_eq_sread(eq, &event, &out, sizeof(out), 1000, 0),
		  sizeof(out));
	CHECK(event == FI_NOTIFY && out.data == 0x5678);
	CHECK_RET(fi_eq_read(eq, &event, &out, sizeof(out), 0), -FI_EAGAIN);
	CHECK_OK(fi_close(&eq->fid));
	conf_domain_close(ctx);
}

/* An empty CQ: read, readfrom and readerr give -FI_EAGAIN; a timed
 * sread too, after about its timeout. */
static void cq_empty(struct conf_ctx *ctx)
{
	static const enum fi_cq_format fmts[] = {
		FI_CQ_FORMAT_CONTEXT, FI_CQ_FORMAT_MSG, FI_CQ_FORMAT_DATA,
		FI_CQ_FORMAT_TAGGED
	};

	conf_domain_open(ctx, 0);
	for (size_t f = 0; f < 4; f++) {
		struct fi_cq_attr attr = { .size = 16, .format = fmts[f],
					   .wait_obj = FI_WAIT_UNSPEC };
		struct fi_cq_tagged_entry e[4];
		struct fi_cq_err_entry err;
		fi_addr_t src;
		struct fid_cq *cq;
		long t0;

		CHECK_OK(fi_cq_open(ctx->domain, &attr, &cq, NULL));
		CHECK_RET(fi_cq_read(cq, e, 4), -FI_EAGAIN);
		CHECK_RET(fi_cq_readfrom(cq, e, 4, &src), -FI_EAGAIN);
		CHECK_RET(fi_cq_readerr(cq, &err, 0), -FI_EAGAIN);
		t0 = conf_now_ms();
		CHECK_RET(fi_cq_sread(cq, e, 1, NULL, 30), -FI_EAGAIN);
		CHECK(conf_now_ms() - t0 >= 25);
		CHECK_OK(fi_close(&cq->fid));
	}
	conf_domain_close(ctx);
}

/* man fi_cq: sread on an FI_WAIT_NONE CQ is invalid. The page names no
 * code, so this only holds the call to an error return within its
 * timeout, never a hang or a completion. */
static void cq_wait_none(struct conf_ctx *ctx)
{
	struct fi_cq_attr attr = { .size = 16, .format = FI_CQ_FORMAT_MSG,
				   .wait_obj = FI_WAIT_NONE };
	struct fi_cq_msg_entry e;
	struct fid_cq *cq;
	long t0;
	ssize_t ret;

	conf_domain_open(ctx, 0);
	CHECK_OK(fi_cq_open(ctx->domain, &attr, &cq, NULL));
	t0 = conf_now_ms();
	ret = fi_cq_sread(cq, &e, 1, NULL, 300);
	printf("  sread on FI_WAIT_NONE: %zd (%s) after %ld ms\n", ret,
	       fi_strerror((int)-ret), conf_now_ms() - t0);
	CHECK(ret < 0);
	CHECK(conf_now_ms() - t0 < 300 + 3000);
	CHECK_OK(fi_close(&cq->fid));
	conf_domain_close(ctx);
}

/* A counter opened alone: starts at 0, add/set/adderr/seterr, and a wait
 * that cannot be met times out with -FI_ETIMEDOUT. */
static void cntr_alone(struct conf_ctx *ctx)
{
	struct fi_cntr_attr attr = { .events = FI_CNTR_EVENTS_COMP,
				     .wait_obj = FI_WAIT_UNSPEC };
	struct fid_cntr *c;

	conf_domain_open(ctx, 0);
	CHECK_OK(fi_cntr_open(ctx->domain, &attr, &c, NULL));
	CHECK(fi_cntr_read(c) == 0 && fi_cntr_readerr(c) == 0);
	CHECK_OK(fi_cntr_add(c, 7));
	CHECK_OK(fi_cntr_add(c, 3));
	CHECK(fi_cntr_read(c) == 10);
	CHECK_OK(fi_cntr_wait(c, 10, 1000));
	CHECK_RET(fi_cntr_wait(c, 11, 30), -FI_ETIMEDOUT);
	CHECK_OK(fi_cntr_set(c, 1));
	CHECK(fi_cntr_read(c) == 1);
	CHECK_OK(fi_cntr_adderr(c, 2));
	CHECK(fi_cntr_readerr(c) == 2);
	CHECK(fi_cntr_read(c) == 1);
	CHECK_OK(fi_cntr_seterr(c, 0));
	CHECK(fi_cntr_readerr(c) == 0);
	CHECK_OK(fi_close(&c->fid));
	conf_domain_close(ctx);
}

static const struct conf_case cases[] = {
	{ "eq_user_events", eq_user_events },
	{ "cq_empty", cq_empty },
	{ "cq_wait_none", cq_wait_none },
	{ "cntr_alone", cntr_alone },
	{ NULL },
};

int main(int argc, char **argv)
{
	return conf_main(argc, argv, "queues", cases);
}
