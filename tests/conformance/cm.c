/* Conformance: connection management on MSG endpoints (man fi_cm,
 * fi_eq). A listens, B connects; other endpoint types skip. */
#include "conf.h"

struct cm_ev {
	struct fi_eq_cm_entry e;
	char data[256];
};

struct side {
	struct fi_info *info;
	struct fid_fabric *fabric;
	struct fid_domain *domain;
	struct fid_eq *eq;
	struct fid_pep *pep;
	struct fid_ep *ep;
	struct fid_cq *cq;
};

static void side_open(struct conf_ctx *ctx, struct side *s)
{
	struct fi_eq_attr eq_attr = { .size = 16, .wait_obj = FI_WAIT_UNSPEC };

	if (ctx->ep_type != FI_EP_MSG)
		conf_skip(ctx, "connection management is for MSG endpoints");
	memset(s, 0, sizeof(*s));
	s->info = conf_getinfo(ctx, FI_MSG, 0, ctx->role == 0);
	CHECK_OK(fi_fabric(s->info->fabric_attr, &s->fabric, NULL));
	CHECK_OK(fi_domain(s->fabric, s->info, &s->domain, NULL));
	CHECK_OK(fi_eq_open(s->fabric, &eq_attr, &s->eq, NULL));
	if (ctx->role == 0) {
		char name[256];
		size_t len = sizeof(name);

		CHECK_OK(fi_passive_ep(s->fabric, s->info, &s->pep, NULL));
		CHECK_OK(fi_pep_bind(s->pep, &s->eq->fid, 0));
		CHECK_OK(fi_listen(s->pep));
		CHECK_OK(fi_getname(&s->pep->fid, name, &len));
		conf_oob_send_u64(ctx, len);
		conf_oob_send(ctx, name, len);
	}
}

/* Open, bind and enable s->ep from info. */
static void side_ep(struct side *s, struct fi_info *info)
{
	struct fi_cq_attr cq_attr = { .size = 64, .format = FI_CQ_FORMAT_MSG };

	CHECK_OK(fi_endpoint(s->domain, info, &s->ep, NULL));
	CHECK_OK(fi_cq_open(s->domain, &cq_attr, &s->cq, NULL));
	CHECK_OK(fi_ep_bind(s->ep, &s->eq->fid, 0));
	CHECK_OK(fi_ep_bind(s->ep, &s->cq->fid, FI_TRANSMIT | FI_RECV));
	CHECK_OK(fi_enable(s->ep));
}

static void side_close(struct side *s)
{
	if (s->ep)
		CHECK_OK(fi_close(&s->ep->fid));
	if (s->cq)
		CHECK_OK(fi_close(&s->cq->fid));
	if (s->pep)
		CHECK_OK(fi_close(&s->pep->fid));
	CHECK_OK(fi_close(&s->eq->fid));
	CHECK_OK(fi_close(&s->domain->fid));
	CHECK_OK(fi_close(&s->fabric->fid));
	fi_freeinfo(s->info);
}

/* The next event: returns fi_eq_sread's count (>0) or -FI_EAVAIL. */
static ssize_t next_event(struct side *s, uint32_t *event, struct cm_ev *ev)
{
	long deadline = conf_now_ms() + CONF_WAIT_MS;
	ssize_t n;

	while ((n = fi_eq_sread(s->eq, event, ev, sizeof(*ev), 100, 0)) ==
		       -FI_EAGAIN ||
	       n == -FI_ETIMEDOUT)
		CHECK(conf_now_ms() < deadline);
	CHECK(n > 0 || n == -FI_EAVAIL);
	return n;
}

static void expect_event(struct side *s, uint32_t want, struct cm_ev *ev,
			 size_t *datalen)
{
	uint32_t event;
	ssize_t n = next_event(s, &event, ev);

	if (n == -FI_EAVAIL) {
		struct fi_eq_err_entry err = { 0 };

		CHECK(fi_eq_readerr(s->eq, &err, 0) > 0);
		fprintf(stderr, "EQ error %d (%s) waiting for %u\n", err.err,
			fi_strerror(err.err), want);
		exit(1);
	}
	CHECK(event == want);
	CHECK((size_t)n >= sizeof(ev->e));
	*datalen = (size_t)n - sizeof(ev->e);
}

/* Connection data travels both ways: B's in the FI_CONNREQ, A's in B's
 * FI_CONNECTED; A's FI_CONNECTED names its new endpoint. */
static void conn_data(struct conf_ctx *ctx)
{
	static const char req[] = "conformance-request";
	static const char rep[] = "conformance-reply";
	struct side s;
	struct cm_ev ev;
	size_t dlen;

	side_open(ctx, &s);
	if (ctx->role == 0) {
		expect_event(&s, FI_CONNREQ, &ev, &dlen);
		CHECK(ev.e.info && ev.e.info->handle);
		CHECK(ev.e.fid == &s.pep->fid);
		CHECK(dlen >= sizeof(req));
		CHECK(!memcmp(ev.data, req, sizeof(req)));
		side_ep(&s, ev.e.info);
		fi_freeinfo(ev.e.info);
		CHECK_OK(fi_accept(s.ep, rep, sizeof(rep)));
		expect_event(&s, FI_CONNECTED, &ev, &dlen);
		CHECK(ev.e.fid == &s.ep->fid);
	} else {
		char name[256];
		size_t len = conf_oob_recv_u64(ctx);

		CHECK(len <= sizeof(name));
		conf_oob_recv(ctx, name, len);
		side_ep(&s, s.info);
		CHECK_OK(fi_connect(s.ep, name, req, sizeof(req)));
		expect_event(&s, FI_CONNECTED, &ev, &dlen);
		CHECK(ev.e.fid == &s.ep->fid);
		CHECK(dlen >= sizeof(rep));
		CHECK(!memcmp(ev.data, rep, sizeof(rep)));
	}
	conf_barrier(ctx);
	side_close(&s);
}

/* fi_reject: B gets an error event for its endpoint; A's listener keeps
 * listening (a second connect is accepted). */
static void reject(struct conf_ctx *ctx)
{
	struct side s;
	struct cm_ev ev;
	size_t dlen;

	side_open(ctx, &s);
	if (ctx->role == 0) {
		expect_event(&s, FI_CONNREQ, &ev, &dlen);
		CHECK_OK(fi_reject(s.pep, ev.e.info->handle, NULL, 0));
		fi_freeinfo(ev.e.info);
		expect_event(&s, FI_CONNREQ, &ev, &dlen);
		side_ep(&s, ev.e.info);
		fi_freeinfo(ev.e.info);
		CHECK_OK(fi_accept(s.ep, NULL, 0));
		expect_event(&s, FI_CONNECTED, &ev, &dlen);
	} else {
		struct fi_eq_err_entry err = { 0 };
		char name[256];
		size_t len = conf_oob_recv_u64(ctx);
		uint32_t event;

		CHECK(len <= sizeof(name));
		conf_oob_recv(ctx, name, len);
		side_ep(&s, s.info);
		CHECK_OK(fi_connect(s.ep, name, NULL, 0));
		CHECK_RET(next_event(&s, &event, &ev), -FI_EAVAIL);
		CHECK(fi_eq_readerr(s.eq, &err, 0) > 0);
		printf("  rejected: err %d (%s)\n", err.err,
		       fi_strerror(err.err));
		CHECK(err.fid == &s.ep->fid);
		CHECK(err.err == FI_ECONNREFUSED);
		/* A fresh endpoint connects. */
		CHECK_OK(fi_close(&s.ep->fid));
		CHECK_OK(fi_close(&s.cq->fid));
		side_ep(&s, s.info);
		CHECK_OK(fi_connect(s.ep, name, NULL, 0));
		expect_event(&s, FI_CONNECTED, &ev, &len);
	}
	conf_barrier(ctx);
	side_close(&s);
}

/* fi_getpeer on each side names the other: A's view of B equals B's
 * fi_getname, B's view of A equals the listener's name. */
static void getpeer(struct conf_ctx *ctx)
{
	struct side s;
	struct cm_ev ev;
	char mine[256], peer[256], other[256];
	size_t mlen = sizeof(mine), plen = sizeof(peer), olen, dlen;

	side_open(ctx, &s);
	if (ctx->role == 0) {
		CHECK_OK(fi_getname(&s.pep->fid, mine, &mlen));
		expect_event(&s, FI_CONNREQ, &ev, &dlen);
		side_ep(&s, ev.e.info);
		fi_freeinfo(ev.e.info);
		CHECK_OK(fi_accept(s.ep, NULL, 0));
		expect_event(&s, FI_CONNECTED, &ev, &dlen);
	} else {
		mlen = conf_oob_recv_u64(ctx);
		CHECK(mlen <= sizeof(mine));
		conf_oob_recv(ctx, mine, mlen); /* the listener's name */
		side_ep(&s, s.info);
		CHECK_OK(fi_connect(s.ep, mine, NULL, 0));
		expect_event(&s, FI_CONNECTED, &ev, &dlen);
	}
	CHECK_OK(fi_getpeer(s.ep, peer, &plen));
	if (ctx->role == 1) {
		CHECK(plen == mlen);
		CHECK(!memcmp(peer, mine, plen));
		mlen = sizeof(mine);
		CHECK_OK(fi_getname(&s.ep->fid, mine, &mlen));
		conf_oob_send_u64(ctx, mlen);
		conf_oob_send(ctx, mine, mlen);
	} else {
		olen = conf_oob_recv_u64(ctx);
		CHECK(olen <= sizeof(other));
		conf_oob_recv(ctx, other, olen);
		CHECK(plen == olen);
		CHECK(!memcmp(peer, other, plen));
	}
	/* Too small a buffer: -FI_ETOOSMALL and the needed length. */
	{
		size_t small = 1;

		CHECK_RET(fi_getpeer(s.ep, peer, &small), -FI_ETOOSMALL);
		CHECK(small == plen);
	}
	conf_barrier(ctx);
	side_close(&s);
}

static const struct conf_case cases[] = {
	{ "conn_data", conn_data, true },
	{ "reject", reject, true },
	{ "getpeer", getpeer, true },
	{ NULL },
};

int main(int argc, char **argv)
{
	return conf_main(argc, argv, "cm", cases);
}
