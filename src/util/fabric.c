/* The fabric base object: name, reference count of what is open inside it,
 * and the fabric-level ops every provider shares (fi_close, fi_eq_open,
 * fi_trywait). */
#include <stdlib.h>
#include <string.h>

#include <rdma/fi_errno.h>

#include "util/cntr.h"
#include "util/cq.h"
#include "util/eq.h"
#include "util/fabric.h"

/* ---- struct fi_ops stubs shared by every util object ------------------- */

int weft_fid_bind_none(struct fid *fid, struct fid *bfid, uint64_t flags)
{
	(void)fid;
	(void)bfid;
	(void)flags;
	return -FI_ENOSYS;
}

int weft_fid_control_none(struct fid *fid, int command, void *arg)
{
	(void)fid;
	(void)command;
	(void)arg;
	return -FI_ENOSYS;
}

int weft_fid_ops_open_none(struct fid *fid, const char *name, uint64_t flags,
			   void **ops, void *context)
{
	(void)fid;
	(void)name;
	(void)flags;
	(void)ops;
	(void)context;
	return -FI_ENOSYS;
}

int weft_fid_tostr_none(const struct fid *fid, char *buf, size_t len)
{
	(void)fid;
	(void)buf;
	(void)len;
	return -FI_ENOSYS;
}

int weft_fid_ops_set_none(struct fid *fid, const char *name, uint64_t flags,
			  void *ops, void *context)
{
	(void)fid;
	(void)name;
	(void)flags;
	(void)ops;
	(void)context;
	return -FI_ENOSYS;
}

/* ---- fabric ------------------------------------------------------------ */

int weft_fabric_close(struct fid *fid)
{
	struct weft_fabric *fab;
	int ret;

	if (!fid || fid->fclass != FI_CLASS_FABRIC)
		return -FI_EINVAL;
	fab = weft_container_of(fid, struct weft_fabric, fabric_fid.fid);
	ret = weft_fabric_fini(fab);
	if (ret)
		return ret;
	free(fab);
	return 0;
}

struct fi_ops weft_fabric_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = weft_fabric_close,
	.bind = weft_fid_bind_none,
	.control = weft_fid_control_none,
	.ops_open = weft_fid_ops_open_none,
	.tostr = weft_fid_tostr_none,
	.ops_set = weft_fid_ops_set_none,
};

int weft_fabric_init(struct weft_fabric *fab, const struct weft_prov_desc *desc,
		     const struct fi_fabric_attr *attr, void *context,
		     struct fi_ops_fabric *ops)
{
	const char *name = NULL;

	if (!fab || !ops)
		return -FI_EINVAL;
	/* The core picked the provider from attr->prov_name already; a
	 * mismatch here means the application handed another provider's
	 * attributes to this one. */
	if (attr && attr->prov_name && desc && desc->prov &&
	    desc->prov->name && strcmp(attr->prov_name, desc->prov->name))
		return -FI_EINVAL;

	if (attr && attr->name)
		name = attr->name;
	else if (desc && desc->prov && desc->prov->name)
		name = desc->prov->name;
	else
		name = "weft";

	memset(fab, 0, sizeof(*fab));
	fab->name = strdup(name);
	if (!fab->name)
		return -FI_ENOMEM;
	fab->desc = desc;
	atomic_init(&fab->ref, 0);

	fab->fabric_fid.fid.fclass = FI_CLASS_FABRIC;
	fab->fabric_fid.fid.context = context;
	fab->fabric_fid.fid.ops = &weft_fabric_fi_ops;
	fab->fabric_fid.ops = ops;
	fab->fabric_fid.api_version =
		attr && attr->api_version ? attr->api_version : WEFT_FI_VERSION;
	return 0;
}

int weft_fabric_open(const struct weft_prov_desc *desc,
		     struct fi_ops_fabric *ops, struct fi_fabric_attr *attr,
		     struct fid_fabric **fabric, void *context)
{
	struct weft_fabric *fab;
	int ret;

	if (!attr || !fabric)
		return -FI_EINVAL;
	fab = calloc(1, sizeof(*fab));
	if (!fab)
		return -FI_ENOMEM;
	ret = weft_fabric_init(fab, desc, attr, context, ops);
	if (ret) {
		free(fab);
		return ret;
	}
	/* weft_fabric_fi_ops (set by init): close = fini + free. */
	*fabric = &fab->fabric_fid;
	return 0;
}

int weft_fabric_fini(struct weft_fabric *fab)
{
	if (!fab)
		return -FI_EINVAL;
	/* Domains, EQs and passive endpoints point back at the fabric; closing
	 * it under them would leave them dangling. fi_fabric(3) asks the
	 * application to close them first, and says so with -FI_EBUSY. */
	if (atomic_load(&fab->ref) > 0)
		return -FI_EBUSY;
	free(fab->name);
	fab->name = NULL;
	fab->fabric_fid.fid.fclass = FI_CLASS_UNSPEC;
	return 0;
}

/* ---- fi_ops_fabric pieces ---------------------------------------------- */

int weft_fabric_wait_open_none(struct fid_fabric *fabric,
			       struct fi_wait_attr *attr,
			       struct fid_wait **waitset)
{
	(void)fabric;
	(void)attr;
	(void)waitset;
	return -FI_ENOSYS;
}

int weft_fabric_passive_ep_none(struct fid_fabric *fabric,
				struct fi_info *info, struct fid_pep **pep,
				void *context)
{
	(void)fabric;
	(void)info;
	(void)pep;
	(void)context;
	return -FI_ENOSYS;
}

int weft_fabric_domain2(struct fid_fabric *fabric, struct fi_info *info,
			struct fid_domain **dom, uint64_t flags, void *context)
{
	if (!fabric)
		return -FI_EINVAL;
	if (flags)
		return -FI_EBADFLAGS;
	return fabric->ops->domain(fabric, info, dom, context);
}

int weft_fabric_domain2_none(struct fid_fabric *fabric, struct fi_info *info,
			     struct fid_domain **dom, uint64_t flags,
			     void *context)
{
	(void)fabric;
	(void)info;
	(void)dom;
	(void)flags;
	(void)context;
	return -FI_ENOSYS;
}

/* One queue's trywait. The fid must be of this fabric: a CQ or counter of
 * one of its domains, or one of its EQs. */
static int trywait_one(struct weft_fabric *fab, struct fid *fid)
{
	switch (fid->fclass) {
	case FI_CLASS_CQ: {
		struct weft_cq *cq = weft_container_of(fid, struct weft_cq,
						       cq_fid.fid);
		if (!cq->domain || cq->domain->fabric != fab)
			return -FI_EINVAL;
		return weft_cq_trywait(cq);
	}
	case FI_CLASS_CNTR: {
		struct weft_cntr *cntr = weft_container_of(
			fid, struct weft_cntr, cntr_fid.fid);
		if (!cntr->domain || cntr->domain->fabric != fab)
			return -FI_EINVAL;
		return weft_cntr_trywait(cntr);
	}
	case FI_CLASS_EQ: {
		struct weft_eq *eq = weft_container_of(fid, struct weft_eq,
						       eq_fid.fid);
		if (eq->fabric != fab)
			return -FI_EINVAL;
		return weft_eq_trywait(eq);
	}
	case FI_CLASS_WAIT:
	case FI_CLASS_POLL:
		/* weft opens no wait sets or poll sets (wait_open and
		 * poll_open answer -FI_ENOSYS), so none can be passed. */
		return -FI_ENOSYS;
	default:
		return -FI_EINVAL;
	}
}

int weft_fabric_trywait(struct fid_fabric *fabric, struct fid **fids,
			int count)
{
	struct weft_fabric *fab;
	int i, ret;

	if (!fabric || count < 0 || (count > 0 && !fids))
		return -FI_EINVAL;
	fab = weft_fabric_of(fabric);
	/* Validate every fid first, so a bad array is refused as a whole and
	 * never half-processed. */
	for (i = 0; i < count; i++) {
		if (!fids[i])
			return -FI_EINVAL;
	}
	for (i = 0; i < count; i++) {
		ret = trywait_one(fab, fids[i]);
		if (ret)
			return ret;
	}
	return 0;
}
