/* The completion helpers against util's real CQs and counters: selective
 * completion, counter choice by op type, error entries with every field,
 * flag filtering, RMA target events, and progress driven by CQ reads. */
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_eq.h>

#include "testlib.h"
#include "util/ep.h"

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

static int progress_calls;
static void count_progress(struct weft_ep *ep)
{
	(void)ep;
	progress_calls++;
}

static uint64_t cval(struct fid_cntr *c)
{
	return fi_cntr_read(c);
}

static uint64_t cerr(struct fid_cntr *c)
{
	return fi_cntr_readerr(c);
}

static void expect_empty(struct fid_cq *cq)
{
	struct fi_cq_tagged_entry e;

	CHECK_RET(fi_cq_read(cq, &e, 1), -FI_EAGAIN);
}

int main(void)
{
	struct weft_fabric *fab = calloc(1, sizeof(*fab));
	struct weft_domain *dom = calloc(1, sizeof(*dom));
	struct weft_ep *ep = calloc(1, sizeof(*ep));
	struct fi_info *info;
	struct fi_cq_attr cq_attr = {.format = FI_CQ_FORMAT_TAGGED,
				     .size = 32};
	struct fi_cntr_attr cntr_attr = {.events = FI_CNTR_EVENTS_COMP};
	struct fid_cq *txcq, *rxcq;
	struct fid_cntr *csend, *crecv, *cread, *cwrite, *crr, *crw;
	struct fi_cq_tagged_entry e;
	struct fi_cq_err_entry err;
	fi_addr_t src;
	char buf[8];
	int ret;

	CHECK(fab && dom && ep);
	CHECK_OK(weft_fabric_init(fab, NULL, NULL, NULL, &fake_ops));
	info = fi_allocinfo();
	CHECK(info);
	info->caps = FI_MSG | FI_TAGGED | FI_RMA | FI_ATOMIC | FI_RMA_EVENT;
	info->domain_attr->threading = FI_THREAD_SAFE;
	info->ep_attr->type = FI_EP_RDM;
	CHECK_OK(weft_domain_init(dom, fab, info, NULL));

	ret = fi_cq_open(&dom->domain_fid, &cq_attr, &txcq, NULL);
	if (ret == -FI_ENOSYS)
		weft_test_skip("util CQ not implemented yet");
	CHECK_OK(ret);
	CHECK_OK(fi_cq_open(&dom->domain_fid, &cq_attr, &rxcq, NULL));
	ret = fi_cntr_open(&dom->domain_fid, &cntr_attr, &csend, NULL);
	if (ret == -FI_ENOSYS)
		weft_test_skip("util counter not implemented yet");
	CHECK_OK(ret);
	CHECK_OK(fi_cntr_open(&dom->domain_fid, &cntr_attr, &crecv, NULL));
	CHECK_OK(fi_cntr_open(&dom->domain_fid, &cntr_attr, &cread, NULL));
	CHECK_OK(fi_cntr_open(&dom->domain_fid, &cntr_attr, &cwrite, NULL));
	CHECK_OK(fi_cntr_open(&dom->domain_fid, &cntr_attr, &crr, NULL));
	CHECK_OK(fi_cntr_open(&dom->domain_fid, &cntr_attr, &crw, NULL));

	CHECK_OK(weft_ep_init(ep, dom, info, count_progress, NULL));
	CHECK_OK(fi_ep_bind(&ep->ep_fid, &txcq->fid,
			    FI_TRANSMIT | FI_SELECTIVE_COMPLETION));
	CHECK_OK(fi_ep_bind(&ep->ep_fid, &rxcq->fid, FI_RECV));
	CHECK_OK(fi_ep_bind(&ep->ep_fid, &csend->fid, FI_SEND));
	CHECK_OK(fi_ep_bind(&ep->ep_fid, &crecv->fid, FI_RECV));
	CHECK_OK(fi_ep_bind(&ep->ep_fid, &cread->fid, FI_READ));
	CHECK_OK(fi_ep_bind(&ep->ep_fid, &cwrite->fid, FI_WRITE));
	CHECK_OK(fi_ep_bind(&ep->ep_fid, &crr->fid, FI_REMOTE_READ));
	CHECK_OK(fi_ep_bind(&ep->ep_fid, &crw->fid, FI_REMOTE_WRITE));

	/* Reads drive the bound endpoint's progress. */
	progress_calls = 0;
	expect_empty(txcq);
	CHECK(progress_calls > 0);

	/* Selective tx CQ: a send without FI_COMPLETION counts but writes
	 * nothing. */
	CHECK_OK(weft_ep_tx_complete(ep, (void *)1, FI_SEND | FI_MSG, 10, NULL,
				     0, 0));
	expect_empty(txcq);
	CHECK(cval(csend) == 1);
	/* With FI_COMPLETION it writes, and op-only flags are stripped. */
	CHECK_OK(weft_ep_tx_complete(ep, (void *)2,
				     FI_SEND | FI_TAGGED | FI_COMPLETION |
					     FI_INJECT | FI_TRANSMIT_COMPLETE,
				     11, NULL, 0, 99));
	CHECK(fi_cq_read(txcq, &e, 1) == 1);
	CHECK(e.op_context == (void *)2);
	CHECK(e.flags == (FI_SEND | FI_TAGGED));
	CHECK(e.len == 11);
	CHECK(cval(csend) == 2);

	/* The counter follows the op type. */
	CHECK_OK(weft_ep_tx_complete(ep, (void *)3,
				     FI_RMA | FI_READ | FI_COMPLETION, 4, NULL,
				     0, 0));
	CHECK_OK(weft_ep_tx_complete(ep, (void *)4, FI_RMA | FI_WRITE, 4, NULL,
				     0, 0));
	CHECK_OK(weft_ep_tx_complete(ep, (void *)5, FI_ATOMIC | FI_WRITE, 4,
				     NULL, 0, 0));
	CHECK(cval(cread) == 1 && cval(cwrite) == 2 && cval(csend) == 2);
	CHECK(fi_cq_read(txcq, &e, 1) == 1);
	CHECK(e.op_context == (void *)3 && e.flags == (FI_RMA | FI_READ));
	expect_empty(txcq);

	/* Errors are written even without FI_COMPLETION, with the error
	 * positive and the counter's error count bumped. */
	CHECK_OK(weft_ep_tx_error(ep, (void *)6, FI_SEND | FI_MSG,
				  -FI_ETRUNC, 42, 100, 60));
	CHECK_RET(fi_cq_read(txcq, &e, 1), -FI_EAVAIL);
	memset(&err, 0, sizeof(err));
	CHECK(fi_cq_readerr(txcq, &err, 0) == 1);
	CHECK(err.op_context == (void *)6);
	CHECK(err.flags == (FI_SEND | FI_MSG));
	CHECK(err.len == 100 && err.olen == 60);
	CHECK(err.err == FI_ETRUNC && err.prov_errno == 42);
	CHECK(cerr(csend) == 1 && cval(csend) == 2);
	CHECK_OK(weft_ep_tx_error(ep, (void *)7, FI_RMA | FI_READ, FI_EIO, 0,
				  0, 0));
	CHECK(fi_cq_readerr(txcq, &err, 0) == 1);
	CHECK(err.err == FI_EIO && err.op_context == (void *)7);
	CHECK(cerr(cread) == 1);
	/* A zero error code would read as success: reported as FI_EOTHER. */
	CHECK_OK(weft_ep_tx_error(ep, NULL, FI_SEND, 0, 0, 0, 0));
	CHECK(fi_cq_readerr(txcq, &err, 0) == 1);
	CHECK(err.err == FI_EOTHER);

	/* Receive side, not selective: every completion is written, with
	 * the source address. */
	CHECK_OK(weft_ep_rx_complete(ep, (void *)8,
				     FI_RECV | FI_TAGGED | FI_REMOTE_CQ_DATA,
				     5, buf, 0xabc, 0x77, 3));
	CHECK(fi_cq_readfrom(rxcq, &e, 1, &src) == 1);
	CHECK(e.op_context == (void *)8);
	CHECK(e.flags == (FI_RECV | FI_TAGGED | FI_REMOTE_CQ_DATA));
	CHECK(e.len == 5 && e.buf == buf && e.data == 0xabc && e.tag == 0x77);
	CHECK(src == 3);
	CHECK(cval(crecv) == 1);

	/* RMA arriving at the target: counter only, unless it carries CQ
	 * data. */
	CHECK_OK(weft_ep_rx_complete(ep, NULL, FI_RMA | FI_REMOTE_WRITE, 8,
				     NULL, 0, 0, FI_ADDR_NOTAVAIL));
	expect_empty(rxcq);
	CHECK(cval(crw) == 1);
	CHECK_OK(weft_ep_rx_complete(ep, NULL, FI_RMA | FI_REMOTE_READ, 8,
				     NULL, 0, 0, FI_ADDR_NOTAVAIL));
	expect_empty(rxcq);
	CHECK(cval(crr) == 1);
	CHECK_OK(weft_ep_rx_complete(ep, NULL,
				     FI_RMA | FI_REMOTE_WRITE |
					     FI_REMOTE_CQ_DATA,
				     8, NULL, 0x55, 0, FI_ADDR_NOTAVAIL));
	CHECK(fi_cq_read(rxcq, &e, 1) == 1);
	CHECK(e.data == 0x55 && (e.flags & FI_REMOTE_WRITE));
	CHECK(cval(crw) == 2);

	/* Receive errors carry buf, data, tag, olen. */
	CHECK_OK(weft_ep_rx_error(ep, (void *)9, FI_RECV | FI_TAGGED,
				  FI_ETRUNC, -7, buf, 8, 12, 0x1, 0x2));
	CHECK_RET(fi_cq_read(rxcq, &e, 1), -FI_EAVAIL);
	CHECK(fi_cq_readerr(rxcq, &err, 0) == 1);
	CHECK(err.op_context == (void *)9);
	CHECK(err.flags == (FI_RECV | FI_TAGGED));
	CHECK(err.buf == buf && err.len == 8 && err.olen == 12);
	CHECK(err.data == 0x1 && err.tag == 0x2);
	CHECK(err.err == FI_ETRUNC && err.prov_errno == -7);
	CHECK(cerr(crecv) == 1 && cval(crecv) == 1);

	/* fi_inject-style: counter only. */
	weft_ep_cntr_inc(ep, WEFT_CNTR_SEND);
	CHECK(cval(csend) == 3);

	/* Closing the endpoint unbinds it everywhere: the queues close. */
	CHECK_RET(fi_close(&txcq->fid), -FI_EBUSY);
	CHECK_RET(fi_close(&csend->fid), -FI_EBUSY);
	{
		uint64_t sends = cval(csend);

		/* A send posted with FI_REMOTE_CQ_DATA (fi_senddata)
		 * completes as a plain send: the flag describes received
		 * immediate data only. */
		CHECK_OK(weft_ep_tx_complete(ep, (void *)21,
					     FI_SEND | FI_MSG | FI_COMPLETION |
						     FI_REMOTE_CQ_DATA,
					     4, NULL, 0x77, 0));
		CHECK(fi_cq_read(txcq, &e, 1) == 1);
		CHECK(e.op_context == (void *)21);
		CHECK(e.flags == (FI_SEND | FI_MSG));
		CHECK(cval(csend) == sends + 1);
	}
	CHECK_OK(fi_close(&ep->ep_fid.fid));
	progress_calls = 0;
	expect_empty(txcq);
	CHECK(progress_calls == 0);
	CHECK_OK(fi_close(&txcq->fid));
	CHECK_OK(fi_close(&rxcq->fid));
	CHECK_OK(fi_close(&csend->fid));
	CHECK_OK(fi_close(&crecv->fid));
	CHECK_OK(fi_close(&cread->fid));
	CHECK_OK(fi_close(&cwrite->fid));
	CHECK_OK(fi_close(&crr->fid));
	CHECK_OK(fi_close(&crw->fid));

	/* An endpoint with no CQ still counts, and a non-selective tx CQ
	 * writes every completion. */
	ep = calloc(1, sizeof(*ep));
	CHECK(ep);
	CHECK_OK(fi_cq_open(&dom->domain_fid, &cq_attr, &txcq, NULL));
	CHECK_OK(fi_cntr_open(&dom->domain_fid, &cntr_attr, &csend, NULL));
	CHECK_OK(weft_ep_init(ep, dom, info, count_progress, NULL));
	CHECK_OK(fi_ep_bind(&ep->ep_fid, &csend->fid, FI_SEND));
	CHECK_OK(weft_ep_tx_complete(ep, NULL, FI_SEND, 1, NULL, 0, 0));
	CHECK_OK(weft_ep_tx_error(ep, NULL, FI_SEND, FI_EIO, 0, 1, 0));
	CHECK(cval(csend) == 1 && cerr(csend) == 1);
	CHECK_OK(weft_ep_rx_complete(ep, NULL, FI_RECV, 1, NULL, 0, 0,
				     FI_ADDR_NOTAVAIL));
	CHECK_OK(fi_ep_bind(&ep->ep_fid, &txcq->fid, FI_TRANSMIT));
	CHECK_OK(weft_ep_tx_complete(ep, (void *)10, FI_SEND | FI_MSG, 1, NULL,
				     0, 0));
	CHECK(fi_cq_read(txcq, &e, 1) == 1 && e.op_context == (void *)10);
	CHECK_OK(fi_close(&ep->ep_fid.fid));
	CHECK_OK(fi_close(&txcq->fid));
	CHECK_OK(fi_close(&csend->fid));

	/* A selective rx CQ suppresses posted receives without
	 * FI_COMPLETION, but remote CQ data at the target is not a posted
	 * operation: fi_rma(3) says it always generates a completion. */
	ep = calloc(1, sizeof(*ep));
	CHECK(ep);
	CHECK_OK(fi_cq_open(&dom->domain_fid, &cq_attr, &rxcq, NULL));
	CHECK_OK(weft_ep_init(ep, dom, info, count_progress, NULL));
	CHECK_OK(fi_ep_bind(&ep->ep_fid, &rxcq->fid,
			    FI_RECV | FI_SELECTIVE_COMPLETION));
	CHECK_OK(weft_ep_rx_complete(ep, (void *)11, FI_RECV | FI_MSG, 1,
				     NULL, 0, 0, FI_ADDR_NOTAVAIL));
	expect_empty(rxcq);
	CHECK_OK(weft_ep_rx_complete(ep, (void *)12,
				     FI_RECV | FI_MSG | FI_COMPLETION, 1,
				     NULL, 0, 0, FI_ADDR_NOTAVAIL));
	CHECK(fi_cq_read(rxcq, &e, 1) == 1 && e.op_context == (void *)12);
	CHECK_OK(weft_ep_rx_complete(ep, NULL,
				     FI_RMA | FI_REMOTE_WRITE |
					     FI_REMOTE_CQ_DATA,
				     8, NULL, 0x66, 0, FI_ADDR_NOTAVAIL));
	CHECK(fi_cq_read(rxcq, &e, 1) == 1);
	CHECK(e.data == 0x66 && (e.flags & FI_REMOTE_CQ_DATA));
	CHECK_OK(fi_close(&ep->ep_fid.fid));
	CHECK_OK(fi_close(&rxcq->fid));

	CHECK_OK(fi_close(&dom->domain_fid.fid));
	fi_freeinfo(info);
	CHECK_OK(fi_close(&fab->fabric_fid.fid));
	return 0;
}
