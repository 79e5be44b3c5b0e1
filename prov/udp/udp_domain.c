/* The udp domain: util's base domain (MR map, lock, bindings) with util's
 * AV, CQ, counter and MR implementations plugged straight into the ops
 * tables; only endpoints are the provider's own. */
#include <stdlib.h>

#include "udp.h"
#include "udp_rdm.h"

static int udp_domain_close(struct fid *fid)
{
	struct weft_domain *dom =
		weft_domain_of(weft_container_of(fid, struct fid_domain, fid));
	int ret = weft_domain_fini(dom);

	if (ret)
		return ret;
	free(dom);
	return 0;
}

static struct fi_ops udp_domain_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = udp_domain_close,
	.bind = weft_domain_bind,
	.control = weft_fid_control_none,
	.ops_open = weft_fid_ops_open_none,
	.tostr = weft_fid_tostr_none,
	.ops_set = weft_fid_ops_set_none,
};

static int udp_scalable_ep(struct fid_domain *domain, struct fi_info *info,
			   struct fid_ep **sep, void *context)
{
	return -FI_ENOSYS;
}

static int udp_poll_open(struct fid_domain *domain, struct fi_poll_attr *attr,
			 struct fid_poll **pollset)
{
	return -FI_ENOSYS;
}

static int udp_stx_ctx(struct fid_domain *domain, struct fi_tx_attr *attr,
		       struct fid_stx **stx, void *context)
{
	return -FI_ENOSYS;
}

static int udp_srx_ctx(struct fid_domain *domain, struct fi_rx_attr *attr,
		       struct fid_ep **rx_ep, void *context)
{
	return -FI_ENOSYS;
}

/* Atomics exist on RDM endpoints only (udp_rdm_rma.c). */
static int udp_query_atomic(struct fid_domain *domain,
			    enum fi_datatype datatype, enum fi_op op,
			    struct fi_atomic_attr *attr, uint64_t flags)
{
	/* A domain opened for datagrams (or without FI_ATOMIC) has no
	 * atomics to describe; only RDM endpoints carry them. */
	if (!domain)
		return -FI_EINVAL;
	if (weft_domain_of(domain)->info &&
	    !(weft_domain_of(domain)->info->caps & FI_ATOMIC))
		return -FI_EOPNOTSUPP;
	return udp_rdm_query_atomic(domain, datatype, op, attr, flags);
}

static int udp_query_collective(struct fid_domain *domain,
				enum fi_collective_op coll,
				struct fi_collective_attr *attr, uint64_t flags)
{
	return -FI_ENOSYS;
}

static int udp_endpoint2(struct fid_domain *domain, struct fi_info *info,
			 struct fid_ep **ep, uint64_t flags, void *context)
{
	if (flags)
		return -FI_EBADFLAGS;
	return udp_endpoint_open(domain, info, ep, context);
}

static struct fi_ops_domain udp_domain_ops = {
	.size = sizeof(struct fi_ops_domain),
	.av_open = weft_av_open,
	.cq_open = weft_cq_open,
	.endpoint = udp_endpoint_open,
	.scalable_ep = udp_scalable_ep,
	.cntr_open = weft_cntr_open,
	.poll_open = udp_poll_open,
	.stx_ctx = udp_stx_ctx,
	.srx_ctx = udp_srx_ctx,
	.query_atomic = udp_query_atomic,
	.query_collective = udp_query_collective,
	.endpoint2 = udp_endpoint2,
};

static struct fi_ops_mr udp_mr_ops = {
	.size = sizeof(struct fi_ops_mr),
	.reg = weft_mr_reg,
	.regv = weft_mr_regv,
	.regattr = weft_mr_regattr,
};

int udp_domain_open(struct fid_fabric *fabric, struct fi_info *info,
		    struct fid_domain **domain, void *context)
{
	struct weft_domain *dom;
	int ret;

	if (!fabric || !info || !domain)
		return -FI_EINVAL;
	if (info->addr_format != FI_SOCKADDR_IN &&
	    info->addr_format != FI_SOCKADDR_IN6 &&
	    info->addr_format != FI_FORMAT_UNSPEC)
		return -FI_EINVAL;
	dom = calloc(1, sizeof(*dom));
	if (!dom)
		return -FI_ENOMEM;
	ret = weft_domain_init(dom, weft_fabric_of(fabric), info, context);
	if (ret) {
		free(dom);
		return ret;
	}
	dom->domain_fid.fid.ops = &udp_domain_fi_ops;
	dom->domain_fid.ops = &udp_domain_ops;
	dom->domain_fid.mr = &udp_mr_ops;
	*domain = &dom->domain_fid;
	return 0;
}
