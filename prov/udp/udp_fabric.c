/* The udp fabric: util's base object plus the provider's fabric ops. */
#include <stdlib.h>

#include "udp.h"

static int udp_fabric_close(struct fid *fid)
{
	struct weft_fabric *fab =
		weft_fabric_of(weft_container_of(fid, struct fid_fabric, fid));
	int ret = weft_fabric_fini(fab);

	if (ret)
		return ret;
	free(fab);
	return 0;
}

/* fi_ops slots the udp objects do not implement, shared by all of them. */
int udp_fid_bind_none(struct fid *fid, struct fid *bfid, uint64_t flags)
{
	return -FI_ENOSYS;
}

int udp_fid_control_none(struct fid *fid, int command, void *arg)
{
	return -FI_ENOSYS;
}

int udp_fid_ops_open_none(struct fid *fid, const char *name, uint64_t flags,
			  void **ops, void *context)
{
	return -FI_ENOSYS;
}

int udp_fid_tostr_none(const struct fid *fid, char *buf, size_t len)
{
	return -FI_ENOSYS;
}

int udp_fid_ops_set_none(struct fid *fid, const char *name, uint64_t flags,
			 void *ops, void *context)
{
	return -FI_ENOSYS;
}

static struct fi_ops udp_fabric_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = udp_fabric_close,
	.bind = udp_fid_bind_none,
	.control = udp_fid_control_none,
	.ops_open = udp_fid_ops_open_none,
	.tostr = udp_fid_tostr_none,
	.ops_set = udp_fid_ops_set_none,
};

static int udp_passive_ep(struct fid_fabric *fabric, struct fi_info *info,
			  struct fid_pep **pep, void *context)
{
	return -FI_ENOSYS; /* connectionless: no passive endpoints */
}

static int udp_wait_open(struct fid_fabric *fabric, struct fi_wait_attr *attr,
			 struct fid_wait **waitset)
{
	return -FI_ENOSYS;
}

/* fi_trywait: every object must be quiet before the caller may sleep on
 * the wait fds it got from them. Objects must be this fabric's CQs,
 * counters or EQs. */
static int udp_trywait(struct fid_fabric *fabric, struct fid **fids, int count)
{
	struct weft_fabric *fab = weft_fabric_of(fabric);
	int ret;

	if (count < 0 || (count && !fids))
		return -FI_EINVAL;
	for (int i = 0; i < count; i++) {
		struct weft_cq *cq;
		struct weft_cntr *cntr;
		struct weft_eq *eq;

		if (!fids[i])
			return -FI_EINVAL;
		switch (fids[i]->fclass) {
		case FI_CLASS_CQ:
			cq = weft_cq_of(weft_container_of(fids[i],
							  struct fid_cq, fid));
			if (cq->domain->fabric != fab)
				return -FI_EINVAL;
			ret = weft_cq_trywait(cq);
			break;
		case FI_CLASS_CNTR:
			cntr = weft_cntr_of(weft_container_of(
				fids[i], struct fid_cntr, fid));
			if (cntr->domain->fabric != fab)
				return -FI_EINVAL;
			ret = weft_cntr_trywait(cntr);
			break;
		case FI_CLASS_EQ:
			eq = weft_eq_of(weft_container_of(fids[i],
							  struct fid_eq, fid));
			if (eq->fabric != fab)
				return -FI_EINVAL;
			ret = weft_eq_trywait(eq);
			break;
		default:
			ret = -FI_EINVAL;
			break;
		}
		if (ret)
			return ret;
	}
	return 0;
}

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
	.passive_ep = udp_passive_ep,
	.eq_open = weft_eq_open,
	.wait_open = udp_wait_open,
	.trywait = udp_trywait,
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
	fab->fabric_fid.fid.ops = &udp_fabric_fi_ops;
	*fabric = &fab->fabric_fid;
	return 0;
}
