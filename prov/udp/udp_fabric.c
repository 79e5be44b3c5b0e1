/* The udp fabric: util's base object plus the provider's fabric ops. */
#include <stdlib.h>

#include "udp.h"

static int udp_domain2(struct fid_fabric *fabric, struct fi_info *info,
		       struct fid_domain **dom, uint64_t flags, void *context)
{
	if (flags)
		return -FI_EBADFLAGS;
	return udp_domain_open(fabric, info, dom, context);
}

static struct fi_ops_fabric udp_fabric_ops = {
	.size = sizeof(struct fi_ops_fabric),
	.domain = udp_domain_open,
	.passive_ep = weft_fabric_passive_ep_none, /* connectionless */
	.eq_open = weft_eq_open,
	.wait_open = weft_fabric_wait_open_none,
	.trywait = weft_fabric_trywait,
	.domain2 = udp_domain2,
};

int udp_fabric_open(struct fi_fabric_attr *attr, struct fid_fabric **fabric,
		    void *context)
{
	struct weft_fabric *fab;
	int ret;

	if (!attr || !fabric)
		return -FI_EINVAL;
	fab = calloc(1, sizeof(*fab));
	if (!fab)
		return -FI_ENOMEM;
	ret = weft_fabric_init(fab, &udp_desc, attr, context, &udp_fabric_ops);
	if (ret) {
		free(fab);
		return ret;
	}
	fab->fabric_fid.fid.ops = &weft_fabric_fi_ops;
	*fabric = &fab->fabric_fid;
	return 0;
}
