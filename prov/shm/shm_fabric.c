/* The shm fabric: util's base object and fabric ops. */
#include <stdlib.h>

#include "shm.h"

static struct fi_ops_fabric shm_fabric_ops = {
	.size = sizeof(struct fi_ops_fabric),
	.domain = shm_domain_open,
	.passive_ep = weft_fabric_passive_ep_none,
	.eq_open = weft_eq_open,
	.wait_open = weft_fabric_wait_open_none,
	.trywait = weft_fabric_trywait,
	.domain2 = weft_fabric_domain2,
};

int shm_fabric_open(struct fi_fabric_attr *attr, struct fid_fabric **fabric,
		    void *context)
{
	return weft_fabric_open(&shm_desc, &shm_fabric_ops, attr, fabric,
				context);
}
