/* Multi-receive buffer bookkeeping against util's real CQ: messages fill
 * the buffer back to back, the buffer retires below FI_OPT_MIN_MULTI_RECV,
 * FI_MULTI_RECV appears exactly once and on the last completion even when
 * messages complete out of order, truncation, cancel, and source errors. */
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_eq.h>
#include <string.h>

#include "testlib.h"
#include "util/ep.h"
#include "util/mrecv.h"

static int fake_domain_open(struct fid_fabric *fabric, struct fi_info *info,
			    struct fid_domain **dom, void *context)
{
	(void)fabric;
	(void)info;
	(void)dom;
	(void)context;
	return -FI_ENOSYS;
}

static struct fi_ops_fabric fake_ops = {
	.size = sizeof(struct fi_ops_fabric),
	.domain = fake_domain_open,
	.passive_ep = weft_fabric_passive_ep_none,
	.eq_open = weft_eq_open,
	.wait_open = weft_fabric_wait_open_none,
	.trywait = weft_fabric_trywait,
	.domain2 = weft_fabric_domain2_none,
};

static void no_progress(struct weft_ep *ep)
{
	(void)ep;
}

static void read_one(struct fid_cq *cq, struct fi_cq_data_entry *e)
{
	CHECK_RET(fi_cq_read(cq, e, 1), 1);
}

int main(void)
{
	struct weft_fabric *fab = calloc(1, sizeof(*fab));
	struct weft_domain *dom = calloc(1, sizeof(*dom));
	struct weft_ep *ep = calloc(1, sizeof(*ep));
	struct fi_cq_attr cq_attr = {.format = FI_CQ_FORMAT_DATA, .size = 32};
	struct fi_cntr_attr cntr_attr = {.events = FI_CNTR_EVENTS_COMP};
	static char buf[256];
	struct iovec iov = {buf, sizeof(buf)};
	struct fi_cq_data_entry e;
	struct fi_cq_err_entry err;
	struct weft_mrecv m;
	struct fid_cntr *crecv;
	struct fid_cq *cq;
	struct fi_info *info;
	char addr[16], errbuf[16];
	size_t room;
	void *a, *b, *c;

	CHECK(fab && dom && ep);
	CHECK_OK(weft_fabric_init(fab, NULL, NULL, NULL, &fake_ops));
	info = fi_allocinfo();
	CHECK(info);
	info->caps = FI_MSG | FI_MULTI_RECV | FI_SOURCE | FI_SOURCE_ERR;
	info->domain_attr->threading = FI_THREAD_DOMAIN;
	info->ep_attr->type = FI_EP_RDM;
	CHECK_OK(weft_domain_init(dom, fab, info, NULL));
	CHECK_OK(fi_cq_open(&dom->domain_fid, &cq_attr, &cq, NULL));
	CHECK_OK(fi_cntr_open(&dom->domain_fid, &cntr_attr, &crecv, NULL));
	CHECK_OK(weft_ep_init(ep, dom, info, no_progress, NULL));
	CHECK_OK(fi_ep_bind(&ep->ep_fid, &cq->fid, FI_RECV | FI_TRANSMIT));
	CHECK_OK(fi_ep_bind(&ep->ep_fid, &crecv->fid, FI_RECV));

	/* Only one non-empty iov is accepted. */
	CHECK_RET(weft_mrecv_check(&iov, 1), 0);
	CHECK_RET(weft_mrecv_check(&iov, 2), -FI_EINVAL);
	CHECK_RET(weft_mrecv_check(NULL, 1), -FI_EINVAL);
	{
		struct iovec zero = {buf, 0};

		CHECK_RET(weft_mrecv_check(&zero, 1), -FI_EINVAL);
	}

	/* 256 bytes, min 64: 100 + 100 leaves 56 < 64, so two messages
	 * retire it. They complete in reverse order; only the last one
	 * carries FI_MULTI_RECV. */
	weft_mrecv_init(&m, &iov, (void *)7, FI_COMPLETION, 64);
	a = weft_mrecv_claim(&m, 100, &room);
	CHECK(a == buf && room == 100 && weft_mrecv_open(&m));
	b = weft_mrecv_claim(&m, 100, &room);
	CHECK(b == buf + 100 && room == 100 && !weft_mrecv_open(&m));
	CHECK(!weft_mrecv_complete(ep, &m, 0, b, 100, 0, 3));
	read_one(cq, &e);
	CHECK(e.op_context == (void *)7 && e.buf == b && e.len == 100);
	CHECK(e.flags == (FI_RECV | FI_MSG));
	CHECK(weft_mrecv_complete(ep, &m, FI_REMOTE_CQ_DATA, a, 100, 0x55, 3));
	read_one(cq, &e);
	CHECK(e.buf == a && e.data == 0x55);
	CHECK(e.flags == (FI_RECV | FI_MSG | FI_MULTI_RECV | FI_REMOTE_CQ_DATA));
	CHECK(fi_cntr_read(crecv) == 2);

	/* A message longer than what is left is cut to fit: the caller
	 * reports the truncation, which releases the buffer. */
	weft_mrecv_init(&m, &iov, (void *)8, FI_COMPLETION, 16);
	a = weft_mrecv_claim(&m, 200, &room);
	CHECK(room == 200 && weft_mrecv_open(&m));
	b = weft_mrecv_claim(&m, 100, &room);
	CHECK(b == buf + 200 && room == 56 && !weft_mrecv_open(&m));
	CHECK(!weft_mrecv_complete(ep, &m, 0, a, 200, 0, 1));
	read_one(cq, &e);
	CHECK(!(e.flags & FI_MULTI_RECV));
	CHECK(weft_mrecv_error(ep, &m, 0, FI_ETRUNC, b, 56, 44, 0));
	CHECK_RET(fi_cq_read(cq, &e, 1), -FI_EAVAIL);
	memset(&err, 0, sizeof(err));
	CHECK_RET(fi_cq_readerr(cq, &err, 0), 1);
	CHECK(err.err == FI_ETRUNC && err.olen == 44 && err.len == 56);
	CHECK(err.op_context == (void *)8 && (err.flags & FI_MULTI_RECV));
	CHECK(fi_cntr_readerr(crecv) == 1);

	/* A buffer smaller than min_free still takes one message. */
	weft_mrecv_init(&m, &(struct iovec){buf, 8}, (void *)9, FI_COMPLETION,
			64);
	c = weft_mrecv_claim(&m, 4, &room);
	CHECK(c == buf && room == 4 && !weft_mrecv_open(&m));
	CHECK(weft_mrecv_complete(ep, &m, 0, c, 4, 0, 1));
	read_one(cq, &e);
	CHECK(e.flags & FI_MULTI_RECV);

	/* Cancel: idle buffer is released at once with FI_ECANCELED. */
	weft_mrecv_init(&m, &iov, (void *)10, FI_COMPLETION, 64);
	CHECK(weft_mrecv_cancel(ep, &m));
	CHECK_RET(fi_cq_readerr(cq, &err, 0), 1);
	CHECK(err.err == FI_ECANCELED && err.op_context == (void *)10);
	CHECK(err.flags & FI_MULTI_RECV);
	/* With a message in flight, that message's completion releases it. */
	weft_mrecv_init(&m, &iov, (void *)11, FI_COMPLETION, 64);
	a = weft_mrecv_claim(&m, 10, &room);
	CHECK(!weft_mrecv_cancel(ep, &m) && !weft_mrecv_open(&m));
	CHECK_RET(fi_cq_read(cq, &e, 1), -FI_EAGAIN);
	CHECK(weft_mrecv_complete(ep, &m, 0, a, 10, 0, 1));
	read_one(cq, &e);
	CHECK(e.op_context == (void *)11 && (e.flags & FI_MULTI_RECV));

	/* An unknown sender's message in a multi-receive buffer: the source
	 * error releases the buffer when it is the last one. */
	weft_mrecv_init(&m, &iov, (void *)13, FI_COMPLETION, 250);
	a = weft_mrecv_claim(&m, 10, &room);
	CHECK(!weft_mrecv_open(&m));
	memset(addr, 0xcd, sizeof(addr));
	CHECK(weft_mrecv_source_error(ep, &m, 0, a, 10, 0, addr,
				      sizeof(addr)));
	memset(&err, 0, sizeof(err));
	err.err_data = errbuf;
	err.err_data_size = sizeof(errbuf);
	CHECK_RET(fi_cq_readerr(cq, &err, 0), 1);
	CHECK(err.err == FI_EADDRNOTAVAIL && err.op_context == (void *)13);
	CHECK(err.buf == a && err.len == 10 && (err.flags & FI_MULTI_RECV));
	CHECK(memcmp(errbuf, addr, sizeof(addr)) == 0);

	/* FI_SOURCE_ERR: the raw address comes back as err_data. */
	memset(addr, 0xab, sizeof(addr));
	CHECK_OK(weft_ep_rx_source_error(ep, (void *)12, FI_RECV | FI_MSG, buf,
					 5, 0, 0, addr, sizeof(addr)));
	memset(&err, 0, sizeof(err));
	err.err_data = errbuf;
	err.err_data_size = sizeof(errbuf);
	CHECK_RET(fi_cq_readerr(cq, &err, 0), 1);
	CHECK(err.err == FI_EADDRNOTAVAIL && err.len == 5);
	CHECK(err.err_data_size == sizeof(addr));
	CHECK(memcmp(errbuf, addr, sizeof(addr)) == 0);

	CHECK_OK(fi_close(&ep->ep_fid.fid));
	CHECK_OK(fi_close(&cq->fid));
	CHECK_OK(fi_close(&crecv->fid));
	CHECK_OK(fi_close(&dom->domain_fid.fid));
	fi_freeinfo(info);
	CHECK_OK(fi_close(&fab->fabric_fid.fid));
	return 0;
}
