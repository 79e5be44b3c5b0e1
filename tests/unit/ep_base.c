/* weft_ep: init validation, defaults, bind validation (flags, foreign
 * objects, double binds, bind after enable), FI_ENABLE requirements,
 * op flags, options, and the shared iov check. Uses util's real CQs and
 * counters when they are available. */
#include <rdma/fi_cm.h>
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

#define TMPL_CAPS                                                              \
	(FI_MSG | FI_TAGGED | FI_RMA | FI_SEND | FI_RECV | FI_READ |          \
	 FI_WRITE | FI_REMOTE_READ | FI_REMOTE_WRITE | FI_RMA_EVENT)

static struct fi_provider fake_prov = {.name = (char *)"fakeprov"};
static struct fi_ep_attr dgram_ep = {.type = FI_EP_DGRAM};
static struct fi_ep_attr msg_ep = {.type = FI_EP_MSG};
static struct fi_info tmpl_dgram = {.caps = TMPL_CAPS, .ep_attr = &dgram_ep};
static struct fi_info tmpl_msg = {.caps = TMPL_CAPS, .ep_attr = &msg_ep};
static const struct fi_info *const tmpls[] = {&tmpl_dgram, &tmpl_msg, NULL};
static const struct weft_prov_desc fake_desc = {.prov = &fake_prov,
						.infos = tmpls};

static int progress_calls;
static void fake_progress(struct weft_ep *ep)
{
	(void)ep;
	progress_calls++;
}

static struct fi_info *make_info(enum fi_ep_type type, uint64_t caps)
{
	struct fi_info *info = fi_allocinfo();

	CHECK(info);
	info->caps = caps;
	info->domain_attr->threading = FI_THREAD_SAFE;
	info->ep_attr->type = type;
	info->ep_attr->max_msg_size = 1000;
	info->tx_attr->op_flags = FI_TRANSMIT_COMPLETE;
	info->tx_attr->iov_limit = 4;
	info->tx_attr->inject_size = 64;
	info->rx_attr->op_flags = FI_COMPLETION;
	info->rx_attr->iov_limit = 2;
	return info;
}

static struct weft_domain *open_dom(struct weft_fabric *fab,
				    const struct fi_info *info)
{
	struct weft_domain *dom = calloc(1, sizeof(*dom));

	CHECK(dom);
	CHECK_OK(weft_domain_init(dom, fab, info, NULL));
	return dom;
}

static struct weft_ep *open_ep(struct weft_domain *dom,
			       const struct fi_info *info, int *ret)
{
	struct weft_ep *ep = calloc(1, sizeof(*ep));

	CHECK(ep);
	*ret = weft_ep_init(ep, dom, info, fake_progress, NULL);
	if (*ret) {
		free(ep);
		return NULL;
	}
	return ep;
}

/* A stand-in for an object whose only bind-relevant state is its class
 * and owner (AV bind touches nothing else). */
static struct weft_av *fake_av(struct weft_domain *dom)
{
	struct weft_av *av = calloc(1, sizeof(*av));

	CHECK(av);
	av->av_fid.fid.fclass = FI_CLASS_AV;
	av->domain = dom;
	return av;
}

static struct weft_eq *open_eq(struct weft_fabric *fab)
{
	struct fi_eq_attr attr = {.wait_obj = FI_WAIT_NONE, .size = 8};
	struct fid_eq *eq;

	CHECK_OK(fi_eq_open(&fab->fabric_fid, &attr, &eq, NULL));
	return weft_eq_of(eq);
}

static void test_init(struct weft_domain *dom, struct weft_domain *msgdom)
{
	struct fi_info *info = make_info(FI_EP_DGRAM, FI_MSG | FI_SEND);
	struct weft_ep *ep;
	int ret;

	CHECK_RET(weft_ep_init(NULL, dom, info, fake_progress, NULL),
		  -FI_EINVAL);
	ep = calloc(1, sizeof(*ep));
	CHECK_RET(weft_ep_init(ep, NULL, info, fake_progress, NULL),
		  -FI_EINVAL);
	CHECK_RET(weft_ep_init(ep, dom, NULL, fake_progress, NULL),
		  -FI_EINVAL);
	CHECK_RET(weft_ep_init(ep, dom, info, NULL, NULL), -FI_EINVAL);
	free(ep);

	/* A type the domain was not opened for / the provider lacks. */
	info->ep_attr->type = FI_EP_MSG;
	CHECK(!open_ep(dom, info, &ret) && ret == -FI_EINVAL);
	info->ep_attr->type = FI_EP_RDM;
	CHECK(!open_ep(dom, info, &ret) && ret == -FI_EINVAL);
	info->ep_attr->type = FI_EP_DGRAM;
	/* Caps wider than the domain's. */
	info->caps = FI_MSG | FI_TAGGED;
	CHECK(!open_ep(dom, info, &ret) && ret == -FI_EINVAL);
	CHECK(atomic_load(&dom->ref) == 0);

	/* Defaults. */
	info->caps = FI_MSG | FI_SEND;
	ep = open_ep(dom, info, &ret);
	CHECK_OK(ret);
	CHECK(atomic_load(&dom->ref) == 1);
	CHECK(ep->domain == dom);
	CHECK(ep->type == FI_EP_DGRAM);
	CHECK(ep->caps == (FI_MSG | FI_SEND));
	CHECK(ep->tx_op_flags == FI_TRANSMIT_COMPLETE);
	CHECK(ep->rx_op_flags == FI_COMPLETION);
	CHECK(ep->max_msg_size == 1000);
	CHECK(ep->tx_iov_limit == 4 && ep->rx_iov_limit == 2);
	CHECK(ep->inject_size == 64);
	CHECK(ep->wait_fd == -1);
	CHECK(!ep->enabled);
	CHECK(ep->lock.enabled); /* FI_THREAD_SAFE */
	CHECK(ep->progress == fake_progress);
	CHECK(ep->ep_fid.fid.fclass == FI_CLASS_EP);
	CHECK(ep->ep_fid.fid.ops == &weft_ep_fi_ops);
	CHECK(ep->ep_fid.ops == &weft_ep_ops_default);
	CHECK(ep->ep_fid.msg == &weft_ops_msg_none);
	CHECK(ep->ep_fid.cm == &weft_ops_cm_none);
	CHECK(ep->ep_fid.rma == &weft_ops_rma_none);
	CHECK(ep->ep_fid.tagged == &weft_ops_tagged_none);
	CHECK(ep->ep_fid.atomic == &weft_ops_atomic_none);
	CHECK(ep->ep_fid.collective == &weft_ops_collective_none);
	/* The domain cannot close under it. */
	CHECK_RET(fi_close(&dom->domain_fid.fid), -FI_EBUSY);
	CHECK_OK(fi_close(&ep->ep_fid.fid));
	CHECK(atomic_load(&dom->ref) == 0);

	/* Caps 0 means "the domain's". */
	info->caps = 0;
	ep = open_ep(dom, info, &ret);
	CHECK_OK(ret);
	CHECK(ep->caps == dom->info->caps);
	CHECK_OK(fi_close(&ep->ep_fid.fid));

	/* ep_attr type UNSPEC takes the domain's. */
	info->ep_attr->type = FI_EP_UNSPEC;
	ep = open_ep(msgdom, info, &ret);
	CHECK_OK(ret);
	CHECK(ep->type == FI_EP_MSG);
	CHECK_OK(fi_close(&ep->ep_fid.fid));
	fi_freeinfo(info);

	CHECK(weft_ep_needs_lock(FI_THREAD_SAFE));
	CHECK(weft_ep_needs_lock(FI_THREAD_FID));
	/* CQ reads on other threads drive the endpoint's progress. */
	CHECK(weft_ep_needs_lock(FI_THREAD_ENDPOINT));
	CHECK(!weft_ep_needs_lock(FI_THREAD_DOMAIN));
	CHECK(!weft_ep_needs_lock(FI_THREAD_COMPLETION));
}

/* Bindings that need no CQ/counter implementation, and FI_ENABLE. */
static void test_bind_av_eq(struct weft_fabric *fab, struct weft_fabric *fab2,
			    struct weft_domain *dom, struct weft_domain *dom2,
			    struct weft_domain *msgdom)
{
	/* Target-only RMA: nothing initiated or received, so enabling
	 * needs no CQ -- only the AV every connectionless ep needs. */
	struct fi_info *info = make_info(
		FI_EP_DGRAM, FI_RMA | FI_REMOTE_READ | FI_REMOTE_WRITE);
	struct weft_av *av = fake_av(dom), *av2 = fake_av(dom2);
	struct weft_eq *eq = open_eq(fab), *eq2 = open_eq(fab2);
	struct fid srx = {.fclass = FI_CLASS_SRX_CTX};
	struct weft_ep *ep;
	int ret;

	ep = open_ep(dom, info, &ret);
	CHECK_OK(ret);
	CHECK_RET(fi_ep_bind(&ep->ep_fid, NULL, 0), -FI_EINVAL);
	CHECK_RET(weft_ep_bind(NULL, &av->av_fid.fid, 0), -FI_EINVAL);
	/* The first argument must be an endpoint. */
	CHECK_RET(weft_ep_bind(&dom->domain_fid.fid, &av->av_fid.fid, 0),
		  -FI_EINVAL);
	/* Not a bindable class. */
	CHECK_RET(fi_ep_bind(&ep->ep_fid, &dom->domain_fid.fid, 0),
		  -FI_EINVAL);
	CHECK_RET(fi_ep_bind(&ep->ep_fid, &fab->fabric_fid.fid, 0),
		  -FI_EINVAL);
	CHECK_RET(fi_ep_bind(&ep->ep_fid, &srx, 0), -FI_ENOSYS);

	/* AV: no flags, same domain, once. */
	CHECK_RET(fi_ep_bind(&ep->ep_fid, &av->av_fid.fid, FI_SEND),
		  -FI_EINVAL);
	CHECK_RET(fi_ep_bind(&ep->ep_fid, &av2->av_fid.fid, 0), -FI_EINVAL);
	CHECK_RET(fi_enable(&ep->ep_fid), -FI_ENOAV);
	CHECK(!ep->enabled);
	CHECK_OK(fi_ep_bind(&ep->ep_fid, &av->av_fid.fid, 0));
	CHECK(ep->av == av && atomic_load(&av->ref) == 1);
	CHECK_RET(fi_ep_bind(&ep->ep_fid, &av->av_fid.fid, 0), -FI_EINVAL);

	/* EQ: no flags, same fabric, once. */
	CHECK_RET(fi_ep_bind(&ep->ep_fid, &eq->eq_fid.fid, FI_RECV),
		  -FI_EINVAL);
	CHECK_RET(fi_ep_bind(&ep->ep_fid, &eq2->eq_fid.fid, 0), -FI_EINVAL);
	CHECK_OK(fi_ep_bind(&ep->ep_fid, &eq->eq_fid.fid, 0));
	CHECK(ep->eq == eq && atomic_load(&eq->ref) == 1);
	CHECK_RET(fi_ep_bind(&ep->ep_fid, &eq->eq_fid.fid, 0), -FI_EINVAL);

	CHECK_OK(fi_enable(&ep->ep_fid));
	CHECK(ep->enabled);
	CHECK_OK(fi_enable(&ep->ep_fid)); /* idempotent */
	/* Bindings are fixed once enabled. */
	CHECK_RET(fi_ep_bind(&ep->ep_fid, &av2->av_fid.fid, 0),
		  -FI_EOPBADSTATE);

	CHECK_OK(fi_close(&ep->ep_fid.fid));
	CHECK(atomic_load(&av->ref) == 0 && atomic_load(&eq->ref) == 0);

	/* Connected endpoints need an EQ for their CM events. */
	info->ep_attr->type = FI_EP_MSG;
	ep = open_ep(msgdom, info, &ret);
	CHECK_OK(ret);
	CHECK_RET(fi_enable(&ep->ep_fid), -FI_ENOEQ);
	CHECK_OK(fi_ep_bind(&ep->ep_fid, &eq->eq_fid.fid, 0));
	CHECK_OK(fi_enable(&ep->ep_fid));
	CHECK_OK(fi_close(&ep->ep_fid.fid));

	/* An initiator without any CQ or counter cannot be enabled. */
	info->ep_attr->type = FI_EP_DGRAM;
	info->caps = FI_MSG | FI_SEND;
	ep = open_ep(dom, info, &ret);
	CHECK_OK(ret);
	CHECK_OK(fi_ep_bind(&ep->ep_fid, &av->av_fid.fid, 0));
	CHECK_RET(fi_enable(&ep->ep_fid), -FI_ENOCQ);
	CHECK_OK(fi_close(&ep->ep_fid.fid));
	info->caps = FI_MSG | FI_RECV;
	ep = open_ep(dom, info, &ret);
	CHECK_OK(ret);
	CHECK_OK(fi_ep_bind(&ep->ep_fid, &av->av_fid.fid, 0));
	CHECK_RET(fi_enable(&ep->ep_fid), -FI_ENOCQ);
	CHECK_OK(fi_close(&ep->ep_fid.fid));

	free(av);
	free(av2);
	CHECK_OK(fi_close(&eq->eq_fid.fid));
	CHECK_OK(fi_close(&eq2->eq_fid.fid));
	fi_freeinfo(info);
}

static void test_bind_cq_cntr(struct weft_domain *dom,
			      struct weft_domain *dom2)
{
	struct fi_info *info = make_info(FI_EP_DGRAM, FI_MSG | FI_RMA |
						      FI_SEND | FI_RECV |
						      FI_READ | FI_WRITE);
	struct fi_cq_attr cq_attr = {.format = FI_CQ_FORMAT_CONTEXT,
				     .size = 16};
	struct fi_cntr_attr cntr_attr = {.events = FI_CNTR_EVENTS_COMP};
	struct fid_cq *cq, *cq2, *cq_other;
	struct fid_cntr *cntr, *cntr_other;
	struct weft_av *av = fake_av(dom);
	struct weft_ep *ep;
	int ret;

	ret = fi_cq_open(&dom->domain_fid, &cq_attr, &cq, NULL);
	if (ret == -FI_ENOSYS) {
		fprintf(stderr, "util CQ not available: CQ binds untested\n");
		goto out;
	}
	CHECK_OK(ret);
	CHECK_OK(fi_cq_open(&dom->domain_fid, &cq_attr, &cq2, NULL));
	CHECK_OK(fi_cq_open(&dom2->domain_fid, &cq_attr, &cq_other, NULL));

	ep = open_ep(dom, info, &ret);
	CHECK_OK(ret);
	CHECK_OK(fi_ep_bind(&ep->ep_fid, &av->av_fid.fid, 0));

	CHECK_RET(fi_ep_bind(&ep->ep_fid, &cq->fid, 0), -FI_EINVAL);
	CHECK_RET(fi_ep_bind(&ep->ep_fid, &cq->fid, FI_SELECTIVE_COMPLETION),
		  -FI_EINVAL);
	CHECK_RET(fi_ep_bind(&ep->ep_fid, &cq->fid, FI_TRANSMIT | FI_READ),
		  -FI_EINVAL);
	CHECK_RET(fi_ep_bind(&ep->ep_fid, &cq_other->fid, FI_TRANSMIT),
		  -FI_EINVAL);
	CHECK(atomic_load(&weft_cq_of(cq)->ref) == 0);

	CHECK_OK(fi_ep_bind(&ep->ep_fid, &cq->fid,
			    FI_TRANSMIT | FI_SELECTIVE_COMPLETION));
	CHECK(ep->tx_cq == weft_cq_of(cq) && ep->tx_selective);
	CHECK_RET(fi_ep_bind(&ep->ep_fid, &cq2->fid, FI_TRANSMIT),
		  -FI_EINVAL);
	/* The same CQ may take the other direction too. */
	CHECK_OK(fi_ep_bind(&ep->ep_fid, &cq->fid, FI_RECV));
	CHECK(ep->rx_cq == weft_cq_of(cq) && !ep->rx_selective);
	CHECK(atomic_load(&weft_cq_of(cq)->ref) == 2);
	CHECK_RET(fi_ep_bind(&ep->ep_fid, &cq2->fid, FI_RECV), -FI_EINVAL);
	/* A CQ with endpoints refuses to close. */
	CHECK_RET(fi_close(&cq->fid), -FI_EBUSY);

	ret = fi_cntr_open(&dom->domain_fid, &cntr_attr, &cntr, NULL);
	if (ret == -FI_ENOSYS) {
		fprintf(stderr, "util cntr not available: cntr binds untested\n");
	} else {
		CHECK_OK(ret);
		CHECK_OK(fi_cntr_open(&dom2->domain_fid, &cntr_attr,
				      &cntr_other, NULL));
		CHECK_RET(fi_ep_bind(&ep->ep_fid, &cntr->fid, 0), -FI_EINVAL);
		CHECK_RET(fi_ep_bind(&ep->ep_fid, &cntr->fid,
				     FI_SEND | FI_SELECTIVE_COMPLETION),
			  -FI_EINVAL);
		CHECK_RET(fi_ep_bind(&ep->ep_fid, &cntr_other->fid, FI_SEND),
			  -FI_EINVAL);
		/* Remote events need FI_RMA_EVENT, which ep lacks. */
		CHECK_RET(fi_ep_bind(&ep->ep_fid, &cntr->fid, FI_REMOTE_WRITE),
			  -FI_EINVAL);
		CHECK_OK(fi_ep_bind(&ep->ep_fid, &cntr->fid, FI_SEND | FI_RECV));
		CHECK_RET(fi_ep_bind(&ep->ep_fid, &cntr->fid, FI_SEND),
			  -FI_EINVAL);
		CHECK_OK(fi_ep_bind(&ep->ep_fid, &cntr->fid, FI_READ));
		CHECK(ep->cntrs[WEFT_CNTR_SEND] == weft_cntr_of(cntr));
		CHECK(ep->cntrs[WEFT_CNTR_RECV] == weft_cntr_of(cntr));
		CHECK(ep->cntrs[WEFT_CNTR_READ] == weft_cntr_of(cntr));
		CHECK(!ep->cntrs[WEFT_CNTR_WRITE]);
		CHECK(atomic_load(&weft_cntr_of(cntr)->ref) == 3);
	}

	CHECK_OK(fi_enable(&ep->ep_fid));
	CHECK_OK(fi_close(&ep->ep_fid.fid));
	CHECK(atomic_load(&weft_cq_of(cq)->ref) == 0);
	if (ret == 0) {
		CHECK(atomic_load(&weft_cntr_of(cntr)->ref) == 0);
		CHECK_OK(fi_close(&cntr->fid));
		CHECK_OK(fi_close(&cntr_other->fid));
	}
	CHECK_OK(fi_close(&cq->fid));
	CHECK_OK(fi_close(&cq2->fid));
	CHECK_OK(fi_close(&cq_other->fid));
out:
	free(av);
	fi_freeinfo(info);
}

static void test_control(struct weft_domain *dom)
{
	struct fi_info *info = make_info(FI_EP_DGRAM, FI_MSG);
	struct weft_ep *ep;
	uint64_t flags;
	int fd, ret;

	ep = open_ep(dom, info, &ret);
	CHECK_OK(ret);

	CHECK_RET(fi_control(&ep->ep_fid.fid, FI_GETOPSFLAG, NULL),
		  -FI_EINVAL);
	flags = 0;
	CHECK_RET(fi_control(&ep->ep_fid.fid, FI_GETOPSFLAG, &flags),
		  -FI_EINVAL);
	flags = FI_TRANSMIT | FI_RECV;
	CHECK_RET(fi_control(&ep->ep_fid.fid, FI_GETOPSFLAG, &flags),
		  -FI_EINVAL);
	flags = FI_TRANSMIT;
	CHECK_OK(fi_control(&ep->ep_fid.fid, FI_GETOPSFLAG, &flags));
	CHECK(flags == FI_TRANSMIT_COMPLETE);
	flags = FI_RECV;
	CHECK_OK(fi_control(&ep->ep_fid.fid, FI_GETOPSFLAG, &flags));
	CHECK(flags == FI_COMPLETION);

	flags = FI_TRANSMIT | FI_COMPLETION | FI_INJECT_COMPLETE;
	CHECK_OK(fi_control(&ep->ep_fid.fid, FI_SETOPSFLAG, &flags));
	CHECK(ep->tx_op_flags == (FI_COMPLETION | FI_INJECT_COMPLETE));
	CHECK(ep->rx_op_flags == FI_COMPLETION);
	flags = FI_RECV | FI_MULTI_RECV;
	CHECK_OK(fi_control(&ep->ep_fid.fid, FI_SETOPSFLAG, &flags));
	CHECK(ep->rx_op_flags == FI_MULTI_RECV);
	flags = FI_TRANSMIT | FI_MULTI_RECV;
	CHECK_RET(fi_control(&ep->ep_fid.fid, FI_SETOPSFLAG, &flags),
		  -FI_EINVAL);
	flags = FI_TRANSMIT | FI_TAGGED; /* not an op flag */
	CHECK_RET(fi_control(&ep->ep_fid.fid, FI_SETOPSFLAG, &flags),
		  -FI_EINVAL);
	flags = FI_COMPLETION; /* no direction */
	CHECK_RET(fi_control(&ep->ep_fid.fid, FI_SETOPSFLAG, &flags),
		  -FI_EINVAL);
	CHECK(ep->tx_op_flags == (FI_COMPLETION | FI_INJECT_COMPLETE));

	CHECK_RET(fi_control(&ep->ep_fid.fid, FI_GETWAIT, &fd), -FI_ENOSYS);
	ep->wait_fd = 5;
	CHECK_OK(fi_control(&ep->ep_fid.fid, FI_GETWAIT, &fd));
	CHECK(fd == 5);
	CHECK_RET(fi_control(&ep->ep_fid.fid, FI_GETWAIT, NULL), -FI_EINVAL);
	ep->wait_fd = -1;
	CHECK_RET(fi_control(&ep->ep_fid.fid, FI_BACKLOG, &fd), -FI_ENOSYS);
	CHECK_RET(fi_control(&ep->ep_fid.fid, 12345, NULL), -FI_ENOSYS);
	CHECK_RET(weft_ep_control(NULL, FI_ENABLE, NULL), -FI_EINVAL);
	CHECK_RET(weft_ep_control(&dom->domain_fid.fid, FI_ENABLE, NULL),
		  -FI_EINVAL);

	CHECK_OK(fi_close(&ep->ep_fid.fid));
	fi_freeinfo(info);
}

static void test_options(struct weft_domain *dom, struct weft_domain *msgdom)
{
	struct fi_info *info = make_info(FI_EP_DGRAM, FI_MSG);
	struct weft_ep *ep;
	size_t val, len;
	int small, ret;

	ep = open_ep(dom, info, &ret);
	CHECK_OK(ret);

	len = sizeof(val);
	CHECK_RET(fi_getopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT + 1,
			    FI_OPT_MIN_MULTI_RECV, &val, &len),
		  -FI_ENOPROTOOPT);
	CHECK_RET(fi_getopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT,
			    FI_OPT_MIN_MULTI_RECV, &val, NULL),
		  -FI_EINVAL);
	CHECK_OK(fi_getopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT,
			   FI_OPT_MIN_MULTI_RECV, &val, &len));
	CHECK(val == WEFT_EP_MIN_MULTI_RECV && len == sizeof(size_t));
	len = sizeof(small);
	CHECK_RET(fi_getopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT,
			    FI_OPT_MIN_MULTI_RECV, &small, &len),
		  -FI_ETOOSMALL);
	CHECK(len == sizeof(size_t));

	val = 0;
	CHECK_RET(fi_setopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT,
			    FI_OPT_MIN_MULTI_RECV, &val, sizeof(val)),
		  -FI_EINVAL);
	val = 4096;
	CHECK_RET(fi_setopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT,
			    FI_OPT_MIN_MULTI_RECV, &val, sizeof(int)),
		  -FI_EINVAL);
	CHECK_RET(fi_setopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT,
			    FI_OPT_MIN_MULTI_RECV, NULL, sizeof(val)),
		  -FI_EINVAL);
	CHECK_OK(fi_setopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT,
			   FI_OPT_MIN_MULTI_RECV, &val, sizeof(val)));
	len = sizeof(val);
	val = 0;
	CHECK_OK(fi_getopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT,
			   FI_OPT_MIN_MULTI_RECV, &val, &len));
	CHECK(val == 4096);

	/* CM data only exists on connected endpoints, and is read-only. */
	CHECK_RET(fi_getopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT,
			    FI_OPT_CM_DATA_SIZE, &val, &len),
		  -FI_ENOPROTOOPT);
	CHECK_RET(fi_setopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT,
			    FI_OPT_CM_DATA_SIZE, &val, sizeof(val)),
		  -FI_ENOPROTOOPT);
	/* Buffered receive options need FI_BUFFERED_RECV mode. */
	CHECK_RET(fi_getopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT,
			    FI_OPT_BUFFERED_LIMIT, &val, &len),
		  -FI_ENOPROTOOPT);
	CHECK_RET(fi_setopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT,
			    FI_OPT_BUFFERED_MIN, &val, sizeof(val)),
		  -FI_ENOPROTOOPT);
	CHECK_RET(fi_getopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT,
			    FI_OPT_FI_HMEM_P2P, &val, &len),
		  -FI_ENOPROTOOPT);
	CHECK_RET(fi_setopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT, 9999, &val,
			    sizeof(val)),
		  -FI_ENOPROTOOPT);
	CHECK_OK(fi_close(&ep->ep_fid.fid));

	info->rx_attr->mode = FI_BUFFERED_RECV;
	ep = open_ep(dom, info, &ret);
	CHECK_OK(ret);
	len = sizeof(val);
	CHECK_OK(fi_getopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT,
			   FI_OPT_BUFFERED_LIMIT, &val, &len));
	CHECK(val == 1000); /* provider default: max_msg_size */
	val = 2000;
	CHECK_RET(fi_setopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT,
			    FI_OPT_BUFFERED_LIMIT, &val, sizeof(val)),
		  -FI_EMSGSIZE);
	val = 100;
	CHECK_OK(fi_setopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT,
			   FI_OPT_BUFFERED_LIMIT, &val, sizeof(val)));
	val = 200; /* min above limit */
	CHECK_RET(fi_setopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT,
			    FI_OPT_BUFFERED_MIN, &val, sizeof(val)),
		  -FI_EINVAL);
	val = 50;
	CHECK_OK(fi_setopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT,
			   FI_OPT_BUFFERED_MIN, &val, sizeof(val)));
	CHECK_OK(fi_getopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT,
			   FI_OPT_BUFFERED_MIN, &val, &len));
	CHECK(val == 50);
	val = SIZE_MAX;
	CHECK_OK(fi_setopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT,
			   FI_OPT_BUFFERED_LIMIT, &val, sizeof(val)));
	CHECK_OK(fi_getopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT,
			   FI_OPT_BUFFERED_LIMIT, &val, &len));
	CHECK(val == 1000);
	ep->enabled = true; /* as if enabled: the limit is now fixed */
	CHECK_RET(fi_setopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT,
			    FI_OPT_BUFFERED_LIMIT, &val, sizeof(val)),
		  -FI_EOPBADSTATE);
	CHECK_OK(fi_close(&ep->ep_fid.fid));

	info->ep_attr->type = FI_EP_MSG;
	ep = open_ep(msgdom, info, &ret);
	CHECK_OK(ret);
	ep->cm_data_size = 256;
	len = sizeof(val);
	CHECK_OK(fi_getopt(&ep->ep_fid.fid, FI_OPT_ENDPOINT,
			   FI_OPT_CM_DATA_SIZE, &val, &len));
	CHECK(val == 256);
	CHECK_OK(fi_close(&ep->ep_fid.fid));
	fi_freeinfo(info);
}

static void test_iov_check(void)
{
	char a[10], b[20];
	struct iovec iov[3] = {{a, sizeof(a)}, {b, sizeof(b)}, {NULL, 0}};
	struct iovec huge[2] = {{a, SIZE_MAX}, {b, 2}};
	size_t total = 0;

	CHECK_OK(weft_ep_check_iov(iov, 3, 4, 100, &total));
	CHECK(total == 30);
	CHECK_OK(weft_ep_check_iov(NULL, 0, 4, 100, &total));
	CHECK(total == 0);
	CHECK_RET(weft_ep_check_iov(NULL, 1, 4, 100, &total), -FI_EINVAL);
	CHECK_RET(weft_ep_check_iov(iov, 3, 2, 100, &total), -FI_EINVAL);
	CHECK_RET(weft_ep_check_iov(iov, 3, 4, 29, &total), -FI_EMSGSIZE);
	CHECK_RET(weft_ep_check_iov(huge, 2, 4, 0, &total), -FI_EMSGSIZE);
	iov[2].iov_len = 1; /* NULL base with a length */
	CHECK_RET(weft_ep_check_iov(iov, 3, 4, 100, &total), -FI_EINVAL);

	CHECK(weft_ep_tx_cntr_kind(FI_SEND | FI_MSG) == WEFT_CNTR_SEND);
	CHECK(weft_ep_tx_cntr_kind(FI_TAGGED | FI_SEND) == WEFT_CNTR_SEND);
	CHECK(weft_ep_tx_cntr_kind(FI_RMA | FI_READ) == WEFT_CNTR_READ);
	CHECK(weft_ep_tx_cntr_kind(FI_ATOMIC | FI_WRITE) == WEFT_CNTR_WRITE);
	CHECK(weft_ep_rx_cntr_kind(FI_RECV | FI_MSG) == WEFT_CNTR_RECV);
	CHECK(weft_ep_rx_cntr_kind(FI_RMA | FI_REMOTE_READ) ==
	      WEFT_CNTR_REMOTE_READ);
	CHECK(weft_ep_rx_cntr_kind(FI_RMA | FI_REMOTE_WRITE) ==
	      WEFT_CNTR_REMOTE_WRITE);
}

int main(void)
{
	struct fi_fabric_attr fattr = {.name = (char *)"fakefab",
				       .prov_name = (char *)"fakeprov"};
	struct weft_fabric *fab = calloc(1, sizeof(*fab));
	struct weft_fabric *fab2 = calloc(1, sizeof(*fab2));
	struct weft_domain *dom, *dom2, *msgdom;
	struct fi_info *dinfo, *minfo;

	CHECK(fab && fab2);
	CHECK_OK(weft_fabric_init(fab, &fake_desc, &fattr, NULL, &fake_ops));
	CHECK_OK(weft_fabric_init(fab2, &fake_desc, NULL, NULL, &fake_ops));
	dinfo = make_info(FI_EP_DGRAM, FI_MSG | FI_RMA | FI_SEND | FI_RECV |
					       FI_READ | FI_WRITE |
					       FI_REMOTE_READ |
					       FI_REMOTE_WRITE);
	minfo = make_info(FI_EP_MSG, FI_MSG | FI_RMA | FI_SEND | FI_RECV |
					     FI_REMOTE_READ | FI_REMOTE_WRITE);
	dom = open_dom(fab, dinfo);
	dom2 = open_dom(fab, dinfo);
	msgdom = open_dom(fab, minfo);

	test_init(dom, msgdom);
	test_bind_av_eq(fab, fab2, dom, dom2, msgdom);
	test_bind_cq_cntr(dom, dom2);
	test_control(dom);
	test_options(dom, msgdom);
	test_iov_check();

	CHECK_OK(fi_close(&dom->domain_fid.fid));
	CHECK_OK(fi_close(&dom2->domain_fid.fid));
	CHECK_OK(fi_close(&msgdom->domain_fid.fid));
	fi_freeinfo(dinfo);
	fi_freeinfo(minfo);
	CHECK_OK(fi_close(&fab->fabric_fid.fid));
	CHECK_OK(fi_close(&fab2->fabric_fid.fid));
	(void)progress_calls;
	return 0;
}
