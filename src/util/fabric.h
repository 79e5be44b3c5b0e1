/* Fabric and domain base objects. Providers embed these as the first member
 * of their own fabric/domain and fill the ops they implement. */
#ifndef WEFT_UTIL_FABRIC_H
#define WEFT_UTIL_FABRIC_H

#include <rdma/fabric.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_eq.h>
#include <stdatomic.h>

#include "core/prov.h"
#include "lib/list.h"
#include "lib/lock.h"
#include "util/mr.h"

struct weft_eq;

struct weft_fabric {
	struct fid_fabric fabric_fid; /* first: fid_fabric* <-> weft_fabric* */
	const struct weft_prov_desc *desc;
	char *name;
	atomic_int ref; /* domains, eqs, passive eps open in it */
};

/* fid_fabric ops a provider can use as is: fi_close (refuses while ref>0
 * with -FI_EBUSY), fi_eq_open (weft_eq_open). ops_fabric->domain and the
 * rest are the provider's. */
int weft_fabric_init(struct weft_fabric *fab, const struct weft_prov_desc *desc,
		     const struct fi_fabric_attr *attr, void *context,
		     struct fi_ops_fabric *ops);
int weft_fabric_fini(struct weft_fabric *fab); /* -FI_EBUSY if ref > 0 */

static inline struct weft_fabric *weft_fabric_of(struct fid_fabric *f)
{
	return weft_container_of(f, struct weft_fabric, fabric_fid);
}

struct weft_domain {
	struct fid_domain domain_fid; /* first */
	struct weft_fabric *fabric;
	struct fi_info *info;         /* deep copy of the info it was opened with */
	enum fi_threading threading;
	enum fi_progress data_progress;
	uint64_t mr_mode;
	struct weft_lock lock;        /* protects mr_map and lists below */
	struct weft_mr_map mr_map;
	struct weft_eq *eq;           /* bound with fi_domain_bind, may be NULL */
	atomic_int ref;               /* eps, cqs, cntrs, avs, mrs open in it */
};

/* Validates info against the fabric (provider, fabric name) and the
 * provider's template; copies info; chooses the lock kind from threading.
 * The caller sets domain_fid.ops/mr and fid.ops afterwards. */
int weft_domain_init(struct weft_domain *dom, struct weft_fabric *fab,
		     const struct fi_info *info, void *context);
int weft_domain_fini(struct weft_domain *dom); /* -FI_EBUSY if ref > 0 */

static inline struct weft_domain *weft_domain_of(struct fid_domain *d)
{
	return weft_container_of(d, struct weft_domain, domain_fid);
}

/* Generic domain ops usable directly in a provider's fi_ops_domain /
 * fi_ops_mr / fi_ops: cq_open, cntr_open, av_open, mr_reg/regv/regattr,
 * fi_domain_bind (EQ), query_atomic. */
int weft_domain_bind(struct fid *fid, struct fid *bfid, uint64_t flags);
int weft_domain_query_atomic(struct fid_domain *domain,
			     enum fi_datatype datatype, enum fi_op op,
			     struct fi_atomic_attr *attr, uint64_t flags);

#endif
