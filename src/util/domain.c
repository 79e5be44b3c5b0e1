/* The domain base object: a deep copy of the info it was opened with, the
 * lock kind chosen from the threading level, the MR key map, and the ops a
 * provider can take as they are (fi_domain_bind, fi_query_atomic, the util
 * CQ/counter/AV/MR constructors). */
#include <stdlib.h>
#include <string.h>

#include <rdma/fi_collective.h>
#include <rdma/fi_errno.h>

#include "util/atomic.h"
#include "util/av.h"
#include "util/cntr.h"
#include "util/cq.h"
#include "util/eq.h"
#include "util/fabric.h"

static bool known_threading(enum fi_threading t)
{
	switch (t) {
	case FI_THREAD_UNSPEC:
	case FI_THREAD_SAFE:
	case FI_THREAD_FID:
	case FI_THREAD_DOMAIN:
	case FI_THREAD_COMPLETION:
	case FI_THREAD_ENDPOINT:
		return true;
	default:
		return false;
	}
}

/* Whether one of the provider's templates could have produced info: the
 * caps asked for are a subset of what the template offers, and when the
 * template fixes a domain name (a provider with one well-known domain),
 * info names that one. Templates without a name (udp and tcp name a
 * domain per interface at fi_getinfo time) accept any. A provider without
 * templates (the unit tests' fake ones) accepts everything. */
static bool info_fits_provider(const struct weft_prov_desc *desc,
			       const struct fi_info *info)
{
	const char *name = info->domain_attr ? info->domain_attr->name : NULL;

	if (!desc || !desc->infos || !desc->infos[0])
		return true;
	for (const struct fi_info *const *t = desc->infos; *t; t++) {
		const char *tname = (*t)->domain_attr ?
					    (*t)->domain_attr->name :
					    NULL;

		if (info->caps & ~(*t)->caps)
			continue;
		if (name && tname && strcmp(name, tname))
			continue;
		return true;
	}
	return false;
}

int weft_domain_init(struct weft_domain *dom, struct weft_fabric *fab,
		     const struct fi_info *info, void *context)
{
	const struct fi_domain_attr *da;
	const char *prov_name = NULL;
	size_t key_size;
	int ret;

	if (!dom || !fab || !info)
		return -FI_EINVAL;
	if (fab->fabric_fid.fid.fclass != FI_CLASS_FABRIC)
		return -FI_EINVAL;

	/* The info must come from this fabric's provider and name the fabric
	 * it is opened in: an info of another provider (or another fabric of
	 * the same one) describes resources this fabric does not have. */
	if (fab->desc && fab->desc->prov)
		prov_name = fab->desc->prov->name;
	if (info->fabric_attr) {
		if (info->fabric_attr->prov_name && prov_name &&
		    strcmp(info->fabric_attr->prov_name, prov_name))
			return -FI_EINVAL;
		if (info->fabric_attr->name && fab->name &&
		    strcmp(info->fabric_attr->name, fab->name))
			return -FI_EINVAL;
	}
	da = info->domain_attr;
	if (da && da->name && !da->name[0])
		return -FI_EINVAL;
	if (da && !known_threading(da->threading))
		return -FI_EINVAL;
	if (!info_fits_provider(fab->desc, info))
		return -FI_ENODATA;

	memset(dom, 0, sizeof(*dom));
	dom->info = fi_dupinfo(info);
	if (!dom->info)
		return -FI_ENOMEM;

	dom->fabric = fab;
	dom->threading = da ? da->threading : FI_THREAD_UNSPEC;
	if (dom->threading == FI_THREAD_UNSPEC)
		dom->threading = FI_THREAD_SAFE;
	dom->data_progress = da && da->data_progress != FI_PROGRESS_UNSPEC ?
				     da->data_progress :
				     FI_PROGRESS_MANUAL;
	dom->mr_mode = da ? (uint64_t)da->mr_mode : 0;
	key_size = da && da->mr_key_size ? da->mr_key_size : sizeof(uint64_t);

	/* The domain lock guards control-path state shared by all endpoints
	 * (MR map, bindings). Under FI_THREAD_ENDPOINT two threads may each
	 * register memory through their own endpoint at the same time, so
	 * only DOMAIN and COMPLETION (one thread owns the whole domain) get
	 * away without it -- the same rule as for CQs and counters. */
	ret = weft_lock_init(&dom->lock,
			     weft_threading_needs_lock(dom->threading));
	if (ret) {
		ret = -FI_ENOMEM;
		goto err_free_info;
	}
	ret = weft_mr_map_init(&dom->mr_map, dom->mr_mode, key_size);
	if (ret)
		goto err_destroy_lock;
	/* The map expands the pre-1.5 FI_MR_BASIC / FI_MR_SCALABLE into mode
	 * bits; providers read the domain's copy, so keep the same form. */
	dom->mr_mode = dom->mr_map.mr_mode;
	atomic_init(&dom->ref, 0);

	dom->domain_fid.fid.fclass = FI_CLASS_DOMAIN;
	dom->domain_fid.fid.context = context;
	dom->domain_fid.fid.ops = &weft_domain_fi_ops;
	dom->domain_fid.ops = &weft_domain_ops_default;
	dom->domain_fid.mr = &weft_domain_mr_ops;

	atomic_fetch_add(&fab->ref, 1);
	return 0;

err_destroy_lock:
	weft_lock_destroy(&dom->lock);
err_free_info:
	fi_freeinfo(dom->info);
	dom->info = NULL;
	return ret;
}

int weft_domain_fini(struct weft_domain *dom)
{
	if (!dom || !dom->fabric)
		return -FI_EINVAL;
	/* Endpoints, CQs, counters, AVs and MRs keep a pointer to the domain
	 * (and to its MR map); fi_domain(3) has the application close them
	 * first. */
	if (atomic_load(&dom->ref) > 0)
		return -FI_EBUSY;
	if (dom->eq) {
		atomic_fetch_sub(&dom->eq->ref, 1);
		dom->eq = NULL;
	}
	weft_mr_map_fini(&dom->mr_map);
	weft_lock_destroy(&dom->lock);
	fi_freeinfo(dom->info);
	dom->info = NULL;
	atomic_fetch_sub(&dom->fabric->ref, 1);
	dom->fabric = NULL;
	dom->domain_fid.fid.fclass = FI_CLASS_UNSPEC;
	return 0;
}

int weft_domain_close(struct fid *fid)
{
	struct weft_domain *dom;
	int ret;

	if (!fid || fid->fclass != FI_CLASS_DOMAIN)
		return -FI_EINVAL;
	dom = weft_container_of(fid, struct weft_domain, domain_fid.fid);
	ret = weft_domain_fini(dom);
	if (ret)
		return ret;
	free(dom);
	return 0;
}

int weft_domain_bind(struct fid *fid, struct fid *bfid, uint64_t flags)
{
	struct weft_domain *dom;
	struct weft_eq *eq;

	if (!fid || fid->fclass != FI_CLASS_DOMAIN || !bfid)
		return -FI_EINVAL;
	dom = weft_container_of(fid, struct weft_domain, domain_fid.fid);
	/* fi_domain(3): only an EQ binds to a domain, and FI_REG_MR is the one
	 * flag (MR registrations then complete through the EQ). */
	if (flags & ~FI_REG_MR)
		return -FI_EINVAL;
	if (bfid->fclass != FI_CLASS_EQ)
		return -FI_EINVAL;
	eq = weft_container_of(bfid, struct weft_eq, eq_fid.fid);
	if (eq->fabric != dom->fabric)
		return -FI_EINVAL;

	weft_lock_acquire(&dom->lock);
	if (dom->eq) {
		weft_lock_release(&dom->lock);
		return -FI_EINVAL;
	}
	dom->eq = eq;
	dom->eq_flags = flags;
	atomic_fetch_add(&eq->ref, 1);
	weft_lock_release(&dom->lock);
	return 0;
}

int weft_domain_query_atomic(struct fid_domain *domain,
			     enum fi_datatype datatype, enum fi_op op,
			     struct fi_atomic_attr *attr, uint64_t flags)
{
	struct weft_domain *dom;
	enum weft_atomic_kind kind;
	size_t size, max_bytes = 0;

	if (!domain || !attr)
		return -FI_EINVAL;
	if (flags & ~(FI_FETCH_ATOMIC | FI_COMPARE_ATOMIC | FI_TAGGED))
		return -FI_EINVAL;
	if ((flags & FI_FETCH_ATOMIC) && (flags & FI_COMPARE_ATOMIC))
		return -FI_EINVAL;
	dom = weft_domain_of(domain);

	/* Atomics into tagged receive buffers are not something weft does. */
	if (flags & FI_TAGGED)
		return -FI_EOPNOTSUPP;
	if (dom->info && !(dom->info->caps & FI_ATOMIC))
		return -FI_EOPNOTSUPP;

	if (flags & FI_FETCH_ATOMIC)
		kind = WEFT_ATOMIC_READWRITE;
	else if (flags & FI_COMPARE_ATOMIC)
		kind = WEFT_ATOMIC_COMPARE;
	else
		kind = WEFT_ATOMIC_WRITE;

	size = weft_datatype_size(datatype);
	if (!size || !weft_atomic_supported(kind, op, datatype))
		return -FI_EOPNOTSUPP;

	/* An atomic moves count elements in one message, so the message size
	 * limit bounds count. */
	if (dom->info && dom->info->ep_attr)
		max_bytes = dom->info->ep_attr->max_msg_size;
	if (!max_bytes)
		max_bytes = SIZE_MAX;
	attr->size = size;
	attr->count = (size_t)max_bytes / size;
	return 0;
}

/* ---- ready tables ------------------------------------------------------- */

struct fi_ops weft_domain_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = weft_domain_close,
	.bind = weft_domain_bind,
	.control = weft_fid_control_none,
	.ops_open = weft_fid_ops_open_none,
	.tostr = weft_fid_tostr_none,
	.ops_set = weft_fid_ops_set_none,
};

struct fi_ops_mr weft_domain_mr_ops = {
	.size = sizeof(struct fi_ops_mr),
	.reg = weft_mr_reg,
	.regv = weft_mr_regv,
	.regattr = weft_mr_regattr,
};

int weft_domain_endpoint_none(struct fid_domain *domain, struct fi_info *info,
			      struct fid_ep **ep, void *context)
{
	(void)domain;
	(void)info;
	(void)ep;
	(void)context;
	return -FI_ENOSYS;
}

int weft_domain_scalable_ep_none(struct fid_domain *domain,
				 struct fi_info *info, struct fid_ep **sep,
				 void *context)
{
	(void)domain;
	(void)info;
	(void)sep;
	(void)context;
	return -FI_ENOSYS;
}

int weft_domain_poll_open_none(struct fid_domain *domain,
			       struct fi_poll_attr *attr,
			       struct fid_poll **pollset)
{
	(void)domain;
	(void)attr;
	(void)pollset;
	return -FI_ENOSYS;
}

int weft_domain_stx_ctx_none(struct fid_domain *domain,
			     struct fi_tx_attr *attr, struct fid_stx **stx,
			     void *context)
{
	(void)domain;
	(void)attr;
	(void)stx;
	(void)context;
	return -FI_ENOSYS;
}

int weft_domain_srx_ctx_none(struct fid_domain *domain,
			     struct fi_rx_attr *attr, struct fid_ep **rx_ep,
			     void *context)
{
	(void)domain;
	(void)attr;
	(void)rx_ep;
	(void)context;
	return -FI_ENOSYS;
}

int weft_domain_query_atomic_none(struct fid_domain *domain,
				  enum fi_datatype datatype, enum fi_op op,
				  struct fi_atomic_attr *attr, uint64_t flags)
{
	(void)domain;
	(void)datatype;
	(void)op;
	(void)attr;
	(void)flags;
	return -FI_ENOSYS;
}

int weft_domain_query_collective_none(struct fid_domain *domain,
				      enum fi_collective_op coll,
				      struct fi_collective_attr *attr,
				      uint64_t flags)
{
	(void)domain;
	(void)coll;
	(void)attr;
	(void)flags;
	return -FI_ENOSYS;
}

int weft_domain_endpoint2_none(struct fid_domain *domain, struct fi_info *info,
			       struct fid_ep **ep, uint64_t flags,
			       void *context)
{
	(void)domain;
	(void)info;
	(void)ep;
	(void)flags;
	(void)context;
	return -FI_ENOSYS;
}

struct fi_ops_domain weft_domain_ops_default = {
	.size = sizeof(struct fi_ops_domain),
	.av_open = weft_av_open,
	.cq_open = weft_cq_open,
	.endpoint = weft_domain_endpoint_none,
	.scalable_ep = weft_domain_scalable_ep_none,
	.cntr_open = weft_cntr_open,
	.poll_open = weft_domain_poll_open_none,
	.stx_ctx = weft_domain_stx_ctx_none,
	.srx_ctx = weft_domain_srx_ctx_none,
	.query_atomic = weft_domain_query_atomic,
	.query_collective = weft_domain_query_collective_none,
	.endpoint2 = weft_domain_endpoint2_none,
};
