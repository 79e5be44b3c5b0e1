/* The shm domain: util's base domain with util's AV (string addresses),
 * CQ, counter and MR implementations; endpoints are the provider's. */
#include <stdlib.h>

#include "shm.h"

static int shm_endpoint2(struct fid_domain *domain, struct fi_info *info,
			 struct fid_ep **ep, uint64_t flags, void *context)
{
	if (flags)
		return -FI_EBADFLAGS;
	return shm_endpoint_open(domain, info, ep, context);
}

static struct fi_ops_domain shm_domain_ops = {
	.size = sizeof(struct fi_ops_domain),
	.av_open = weft_av_open,
	.cq_open = weft_cq_open,
	.endpoint = shm_endpoint_open,
	.scalable_ep = weft_domain_scalable_ep_none,
	.cntr_open = weft_cntr_open,
	.poll_open = weft_domain_poll_open_none,
	.stx_ctx = weft_domain_stx_ctx_none,
	.srx_ctx = weft_domain_srx_ctx_none,
	.query_atomic = shm_query_atomic,
	.query_collective = weft_domain_query_collective_none,
	.endpoint2 = shm_endpoint2,
};

int shm_domain_open(struct fid_fabric *fabric, struct fi_info *info,
		    struct fid_domain **domain, void *context)
{
	struct weft_domain *dom;
	int ret;

	if (!fabric || !info || !domain)
		return -FI_EINVAL;
	if (info->addr_format != FI_ADDR_STR &&
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
	/* Addresses are always strings here, even if the info left the
	 * format open: the AV takes its format from the domain's info. */
	dom->info->addr_format = FI_ADDR_STR;
	/* weft_domain_fi_ops: close = fini + free of this calloc'ed base. */
	dom->domain_fid.fid.ops = &weft_domain_fi_ops;
	dom->domain_fid.ops = &shm_domain_ops;
	dom->domain_fid.mr = &weft_domain_mr_ops;
	*domain = &dom->domain_fid;
	return 0;
}
