/* The udp fabric: util's base object plus the provider's fabric ops. */
#include <stdlib.h>

#include "udp.h"

static struct fi_ops_fabric udp_fabric_ops = {
	.size = sizeof(struct fi_ops_fabric),
	.domain = udp_domain_open,
	.passive_ep = weft_fabric_passive_ep_none, /* connectionless */
	.eq_open = weft_eq_open,
	.wait_open = weft_fabric_wait_open_none,
	.trywait = weft_fabric_trywait,
	.domain2 = weft_fabric_domain2,
};

int udp_fabric_open(struct fi_fabric_attr *attr, struct fid_fabric **fabric,
		    void *context)
{
	return weft_fabric_open(&udp_desc, &udp_fabric_ops, attr, fabric,
				context);
}
