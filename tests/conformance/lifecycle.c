/* Conformance: endpoint and resource lifecycle (man fi_endpoint, fi_cq,
 * fi_av, fi_cntr, fi_domain, fi_cm). Single process, no traffic. */
#include "conf.h"

static bool connectionless(struct conf_ctx *ctx)
{
	return ctx->ep_type != FI_EP_MSG;
}

struct objs {
	struct fid_ep *ep;
	struct fid_cq *cq;
	struct fid_av *av;
	struct fid_eq *eq;
	struct fid_cntr *cntr;
};

static void open_objs(struct conf_ctx *ctx, struct objs *o)
{
	struct fi_cq_attr cq_attr = { .size = 64, .format = FI_CQ_FORMAT_MSG };
	struct fi_av_attr av_attr = { .type = FI_AV_TABLE };
	struct fi_eq_attr eq_attr = { .size = 16 };
	struct fi_cntr_attr cntr_attr = { .events = FI_CNTR_EVENTS_COMP };

	memset(o, 0, sizeof(*o));
	CHECK_OK(fi_endpoint(ctx->domain, ctx->info, &o->ep, NULL));
	CHECK_OK(fi_cq_open(ctx->domain, &cq_attr, &o->cq, NULL));
	CHECK_OK(fi_cntr_open(ctx->domain, &cntr_attr, &o->cntr, NULL));
	if (connectionless(ctx))
		CHECK_OK(fi_av_open(ctx->domain, &av_attr, &o->av, NULL));
	else
		CHECK_OK(fi_eq_open(ctx->fabric, &eq_attr, &o->eq, NULL));
}

static void bind_objs(struct objs *o)
{
	CHECK_OK(fi_ep_bind(o->ep, &o->cq->fid, FI_TRANSMIT | FI_RECV));
	CHECK_OK(fi_ep_bind(o->ep, &o->cntr->fid, FI_SEND | FI_RECV));
	if (o->av)
		CHECK_OK(fi_ep_bind(o->ep, &o->av->fid, 0));
	if (o->eq)
		CHECK_OK(fi_ep_bind(o->ep, &o->eq->fid, 0));
}

static void close_objs(struct objs *o)
{
	if (o->ep)
		CHECK_OK(fi_close(&o->ep->fid));
	CHECK_OK(fi_close(&o->cq->fid));
	CHECK_OK(fi_close(&o->cntr->fid));
	if (o->av)
		CHECK_OK(fi_close(&o->av->fid));
	if (o->eq)
		CHECK_OK(fi_close(&o->eq->fid));
}

/* Open and close an endpoint that was never bound or enabled. */
static void open_close(struct conf_ctx *ctx)
{
	struct fid_ep *ep;

	conf_domain_open(ctx, 0);
	for (int i = 0; i < 3; i++) {
		CHECK_OK(fi_endpoint(ctx->domain, ctx->info, &ep, NULL));
		CHECK_OK(fi_close(&ep->fid));
	}
	conf_domain_close(ctx);
}

/* Bound but never enabled, then closed; the resources close after. */
static void bind_close(struct conf_ctx *ctx)
{
	struct objs o;

	conf_domain_open(ctx, 0);
	open_objs(ctx, &o);
	bind_objs(&o);
	close_objs(&o);
	conf_domain_close(ctx);
}

/* The full order, twice on one domain (resources are reusable). */
static void enable_close(struct conf_ctx *ctx)
{
	struct objs o;

	conf_domain_open(ctx, 0);
	for (int i = 0; i < 2; i++) {
		open_objs(ctx, &o);
		bind_objs(&o);
		CHECK_OK(fi_enable(o.ep));
		close_objs(&o);
	}
	conf_domain_close(ctx);
}

/* Resources still associated with an endpoint refuse to close with
 * -FI_EBUSY (CQ, counter, AV) and close once it is gone; a domain with
 * open objects refuses too. */
static void close_busy(struct conf_ctx *ctx)
{
	struct objs o;

	conf_domain_open(ctx, 0);
	open_objs(ctx, &o);
	bind_objs(&o);
	CHECK_OK(fi_enable(o.ep));
	CHECK_RET(fi_close(&o.cq->fid), -FI_EBUSY);
	CHECK_RET(fi_close(&o.cntr->fid), -FI_EBUSY);
	if (o.av)
		CHECK_RET(fi_close(&o.av->fid), -FI_EBUSY);
	CHECK_RET(fi_close(&ctx->domain->fid), -FI_EBUSY);
	close_objs(&o);
	conf_domain_close(ctx);
}

/* The same for a bound endpoint that was never enabled. */
static void close_busy_unenabled(struct conf_ctx *ctx)
{
	struct objs o;

	conf_domain_open(ctx, 0);
	open_objs(ctx, &o);
	bind_objs(&o);
	CHECK_RET(fi_close(&o.cq->fid), -FI_EBUSY);
	close_objs(&o);
	conf_domain_close(ctx);
}

/* Binding after fi_enable is refused (man fi_endpoint: bound "before they
 * are enabled"; the man page names no code, so any FI_E* passes) and the
 * endpoint still closes. */
static void bind_after_enable(struct conf_ctx *ctx)
{
	struct fi_cq_attr cq_attr = { .size = 64, .format = FI_CQ_FORMAT_MSG };
	struct fid_cq *late;
	struct objs o;
	int ret;

	conf_domain_open(ctx, 0);
	open_objs(ctx, &o);
	bind_objs(&o);
	CHECK_OK(fi_enable(o.ep));
	CHECK_OK(fi_cq_open(ctx->domain, &cq_attr, &late, NULL));
	ret = fi_ep_bind(o.ep, &late->fid, FI_RECV);
	printf("  bind after enable: %d (%s)\n", ret, fi_strerror(-ret));
	CHECK(ret < 0);
	/* The refused bind left no association behind. */
	CHECK_OK(fi_close(&late->fid));
	close_objs(&o);
	conf_domain_close(ctx);
}

/* Connectionless endpoints need an AV before fi_enable. */
static void enable_needs_av(struct conf_ctx *ctx)
{
	struct fi_cq_attr cq_attr = { .size = 64, .format = FI_CQ_FORMAT_MSG };
	struct fid_ep *ep;
	struct fid_cq *cq;
	int ret;

	if (!connectionless(ctx))
		conf_skip(ctx, "MSG endpoints use no AV");
	conf_domain_open(ctx, 0);
	CHECK_OK(fi_endpoint(ctx->domain, ctx->info, &ep, NULL));
	CHECK_OK(fi_cq_open(ctx->domain, &cq_attr, &cq, NULL));
	CHECK_OK(fi_ep_bind(ep, &cq->fid, FI_TRANSMIT | FI_RECV));
	ret = fi_enable(ep);
	printf("  enable without AV: %d (%s)\n", ret, fi_strerror(-ret));
	CHECK(ret < 0);
	CHECK_OK(fi_close(&ep->fid));
	CHECK_OK(fi_close(&cq->fid));
	conf_domain_close(ctx);
}

/* fi_getname: too small a buffer gives -FI_ETOOSMALL and the needed
 * length; the needed length gives the same name as a large buffer. */
static void check_getname(fid_t fid)
{
	char big[512], exact[512], tiny[1];
	size_t biglen = sizeof(big), need = 0, len;

	CHECK_OK(fi_getname(fid, big, &biglen));
	CHECK(biglen > 0 && biglen <= sizeof(big));
	CHECK_RET(fi_getname(fid, NULL, &need), -FI_ETOOSMALL);
	CHECK(need == biglen);
	len = 1;
	CHECK_RET(fi_getname(fid, tiny, &len), -FI_ETOOSMALL);
	CHECK(len == biglen);
	len = biglen - 1;
	CHECK_RET(fi_getname(fid, exact, &len), -FI_ETOOSMALL);
	CHECK(len == biglen);
	len = biglen;
	CHECK_OK(fi_getname(fid, exact, &len));
	CHECK(len == biglen);
	CHECK(!memcmp(exact, big, biglen));
}

static void getname(struct conf_ctx *ctx)
{
	struct objs o;

	conf_domain_open(ctx, 0);
	if (!connectionless(ctx)) {
		struct fid_pep *pep;
		struct fi_eq_attr eq_attr = { .size = 16 };
		struct fid_eq *eq;

		CHECK_OK(fi_eq_open(ctx->fabric, &eq_attr, &eq, NULL));
		CHECK_OK(fi_passive_ep(ctx->fabric, ctx->info, &pep, NULL));
		CHECK_OK(fi_pep_bind(pep, &eq->fid, 0));
		CHECK_OK(fi_listen(pep));
		check_getname(&pep->fid);
		CHECK_OK(fi_close(&pep->fid));
		CHECK_OK(fi_close(&eq->fid));
		conf_domain_close(ctx);
		return;
	}
	open_objs(ctx, &o);
	bind_objs(&o);
	CHECK_OK(fi_enable(o.ep));
	check_getname(&o.ep->fid);
	close_objs(&o);
	conf_domain_close(ctx);
}

/* Two enabled endpoints on one domain sharing one CQ and AV have distinct
 * names, and each name inserts into the AV. */
static void two_endpoints(struct conf_ctx *ctx)
{
	struct objs o;
	struct fid_ep *ep2;
	char n1[256], n2[256];
	size_t l1 = sizeof(n1), l2 = sizeof(n2);
	fi_addr_t a[2];

	if (!connectionless(ctx))
		conf_skip(ctx, "needs connectionless endpoints");
	conf_domain_open(ctx, 0);
	open_objs(ctx, &o);
	bind_objs(&o);
	CHECK_OK(fi_endpoint(ctx->domain, ctx->info, &ep2, NULL));
	CHECK_OK(fi_ep_bind(ep2, &o.cq->fid, FI_TRANSMIT | FI_RECV));
	CHECK_OK(fi_ep_bind(ep2, &o.av->fid, 0));
	CHECK_OK(fi_enable(o.ep));
	CHECK_OK(fi_enable(ep2));
	CHECK_OK(fi_getname(&o.ep->fid, n1, &l1));
	CHECK_OK(fi_getname(&ep2->fid, n2, &l2));
	CHECK(l1 != l2 || memcmp(n1, n2, l1) != 0);
	CHECK_RET(fi_av_insert(o.av, n1, 1, &a[0], 0, NULL), 1);
	CHECK_RET(fi_av_insert(o.av, n2, 1, &a[1], 0, NULL), 1);
	CHECK(a[0] != a[1]);
	CHECK_OK(fi_close(&ep2->fid));
	close_objs(&o);
	conf_domain_close(ctx);
}

/* Closing an endpoint with receives still posted discards them silently
 * (man fi_endpoint: no completions); its CQ then closes and reads
 * nothing. */
static void close_pending(struct conf_ctx *ctx)
{
	struct fi_cq_msg_entry e;
	char buf[4][64];
	struct objs o;

	conf_domain_open(ctx, 0);
	open_objs(ctx, &o);
	bind_objs(&o);
	CHECK_OK(fi_enable(o.ep));
	for (int i = 0; i < 4; i++)
		CHECK_OK(fi_recv(o.ep, buf[i], sizeof(buf[i]), NULL,
				 FI_ADDR_UNSPEC, buf[i]));
	CHECK_OK(fi_close(&o.ep->fid));
	o.ep = NULL;
	CHECK_RET(fi_cq_read(o.cq, &e, 1), -FI_EAGAIN);
	close_objs(&o);
	conf_domain_close(ctx);
}

static const struct conf_case cases[] = {
	{ "open_close", open_close },
	{ "bind_close", bind_close },
	{ "enable_close", enable_close },
	{ "close_busy", close_busy },
	{ "close_busy_unenabled", close_busy_unenabled },
	{ "bind_after_enable", bind_after_enable },
	{ "enable_needs_av", enable_needs_av },
	{ "getname", getname },
	{ "two_endpoints", two_endpoints },
	{ "close_pending", close_pending },
	{ NULL },
};

int main(int argc, char **argv)
{
	return conf_main(argc, argv, "lifecycle", cases);
}
