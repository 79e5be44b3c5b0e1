/* The tcp fabric and domain: util's base objects with util's CQ, counter,
 * EQ, AV and MR implementations plugged into the ops tables; passive
 * endpoints and endpoints are the provider's own. */
#include <stdlib.h>

#include "tcp.h"

static struct fi_ops_fabric tcp_fabric_ops = {
	.size = sizeof(struct fi_ops_fabric),
	.domain = tcp_domain_open,
	.passive_ep = tcp_passive_ep,
	.eq_open = weft_eq_open,
	.wait_open = weft_fabric_wait_open_none,
	.trywait = weft_fabric_trywait,
	.domain2 = weft_fabric_domain2,
};

int tcp_fabric_open(struct fi_fabric_attr *attr, struct fid_fabric **fabric,
		    void *context)
{
	return weft_fabric_open(&tcp_desc, &tcp_fabric_ops, attr, fabric,
				context);
}

/* ---- domain ----------------------------------------------------------- */

static int tcp_endpoint2(struct fid_domain *domain, struct fi_info *info,
			 struct fid_ep **ep, uint64_t flags, void *context)
{
	if (flags)
		return -FI_EBADFLAGS;
	return tcp_endpoint_open(domain, info, ep, context);
}

static struct fi_ops_domain tcp_domain_ops = {
	.size = sizeof(struct fi_ops_domain),
	.av_open = weft_av_open,
	.cq_open = weft_cq_open,
	.endpoint = tcp_endpoint_open,
	.scalable_ep = weft_domain_scalable_ep_none,
	.cntr_open = weft_cntr_open,
	.poll_open = weft_domain_poll_open_none,
	.stx_ctx = weft_domain_stx_ctx_none,
	.srx_ctx = weft_domain_srx_ctx_none,
	.query_atomic = weft_domain_query_atomic,
	.query_collective = weft_domain_query_collective_none,
	.endpoint2 = tcp_endpoint2,
};

int tcp_domain_open(struct fid_fabric *fabric, struct fi_info *info,
		    struct fid_domain **domain, void *context)
{
	struct weft_domain *dom;
	int ret;

	if (!fabric || !info || !domain)
		return -FI_EINVAL;
	if (info->addr_format != FI_SOCKADDR_IN &&
	    info->addr_format != FI_SOCKADDR_IN6 &&
	    info->addr_format != FI_SOCKADDR &&
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
	/* weft_domain_fi_ops (close frees the domain) and the MR ops stay. */
	dom->domain_fid.ops = &tcp_domain_ops;
	*domain = &dom->domain_fid;
	return 0;
}
