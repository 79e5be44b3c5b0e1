/* Fabric and domain base objects. Providers embed these as the first member
 * of their own fabric/domain and fill the ops they implement. */
#ifndef WEFT_UTIL_FABRIC_H
#define WEFT_UTIL_FABRIC_H

#include <rdma/fabric.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_eq.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "core/prov.h"
#include "lib/list.h"
#include "lib/lock.h"
#include "util/fid.h"
#include "util/mr.h"

struct weft_eq;

struct weft_fabric {
	struct fid_fabric fabric_fid; /* first: fid_fabric* <-> weft_fabric* */
	const struct weft_prov_desc *desc;
	char *name;
	atomic_int ref; /* domains, eqs, passive eps open in it */
};

/* Sets up fab: class FI_CLASS_FABRIC, fid.ops = &weft_fabric_fi_ops,
 * fabric_fid.ops = ops (the provider's fi_ops_fabric, required), a copy of
 * attr->name (the provider's name when attr or its name is NULL), ref 0.
 * -FI_EINVAL for NULL fab/ops or an attr->prov_name of another provider;
 * -FI_ENOMEM. Objects opened in the fabric (domains via weft_domain_init,
 * EQs, passive endpoints) bump ref and drop it when they close. */
int weft_fabric_init(struct weft_fabric *fab, const struct weft_prov_desc *desc,
		     const struct fi_fabric_attr *attr, void *context,
		     struct fi_ops_fabric *ops);
int weft_fabric_fini(struct weft_fabric *fab); /* -FI_EBUSY if ref > 0 */
/* The whole of a provider's fabric open: checks arguments (-FI_EINVAL),
 * callocs a weft_fabric, weft_fabric_init with desc and ops, and hands it
 * back; closing it runs weft_fabric_close. */
int weft_fabric_open(const struct weft_prov_desc *desc,
		     struct fi_ops_fabric *ops, struct fi_fabric_attr *attr,
		     struct fid_fabric **fabric, void *context);

/* The fabric's struct fi_ops, set by weft_fabric_init: close runs
 * weft_fabric_fini and then free()s the fabric, so a provider whose fabric
 * is calloc'ed with struct weft_fabric first can keep it; bind, control,
 * ops_open, tostr, ops_set answer -FI_ENOSYS. */
extern struct fi_ops weft_fabric_fi_ops;
int weft_fabric_close(struct fid *fid);

/* fi_ops_fabric slots a provider can use as is. eq_open is weft_eq_open
 * (util/eq.h). fi_trywait: dispatches on each fid's class to the CQ,
 * counter or EQ trywait; -FI_EAGAIN as soon as one has something to
 * read, -FI_EINVAL for a fid that is not a queue of this fabric. */
int weft_fabric_trywait(struct fid_fabric *fabric, struct fid **fids,
			int count);
int weft_fabric_wait_open_none(struct fid_fabric *fabric,
			       struct fi_wait_attr *attr,
			       struct fid_wait **waitset);
int weft_fabric_passive_ep_none(struct fid_fabric *fabric,
				struct fi_info *info, struct fid_pep **pep,
				void *context);
/* fi_domain2 for providers with no domain2 flags: -FI_EBADFLAGS for any
 * flag, else the fabric's own domain open. */
int weft_fabric_domain2(struct fid_fabric *fabric, struct fi_info *info,
			struct fid_domain **dom, uint64_t flags, void *context);
int weft_fabric_domain2_none(struct fid_fabric *fabric, struct fi_info *info,
			     struct fid_domain **dom, uint64_t flags,
			     void *context);

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
	uint64_t mr_mode;             /* bits; FI_MR_BASIC/SCALABLE expanded */
	struct weft_lock lock;        /* protects mr_map and eq/eq_flags; a
				       * real mutex unless DOMAIN/COMPLETION */
	struct weft_mr_map mr_map;
	struct weft_eq *eq;           /* bound with fi_domain_bind, may be NULL */
	uint64_t eq_flags;            /* bind flags of eq: FI_REG_MR = async MRs */
	atomic_int ref;               /* eps, cqs, cntrs, avs, mrs open in it */
};

/* Validates info against the fabric and the provider, deep-copies it
 * (fi_dupinfo), chooses the lock kind from threading, sets up the MR map
 * (mr_mode, mr_key_size: 8 when 0), bumps fab->ref. Stored normalised:
 * threading UNSPEC -> SAFE, data_progress UNSPEC -> MANUAL.
 * Errors: -FI_EINVAL for NULL arguments, an info of another provider
 * (fabric_attr->prov_name) or another fabric (fabric_attr->name), an
 * unknown threading level or an empty domain name; -FI_ENODATA when no
 * template of the provider offers info->caps (or, for templates that fix
 * a domain name, that name); -FI_ENOMEM.
 * Defaults installed so no ops slot is NULL: fid.ops = weft_domain_fi_ops,
 * ops = weft_domain_ops_default (endpoint -> -FI_ENOSYS), mr =
 * weft_domain_mr_ops; the provider replaces them afterwards. Objects
 * opened in the domain bump dom->ref themselves. */
int weft_domain_init(struct weft_domain *dom, struct weft_fabric *fab,
		     const struct fi_info *info, void *context);
int weft_domain_fini(struct weft_domain *dom); /* -FI_EBUSY if ref > 0 */

static inline struct weft_domain *weft_domain_of(struct fid_domain *d)
{
	return weft_container_of(d, struct weft_domain, domain_fid);
}

/* Generic domain ops usable directly in a provider's fi_ops_domain /
 * fi_ops_mr / fi_ops: cq_open, cntr_open, av_open, mr_reg/regv/regattr,
 * fi_domain_bind (EQ), query_atomic.
 * weft_domain_bind: an EQ of the same fabric, once, flags 0 or FI_REG_MR
 * (stored in eq_flags: MR registrations then complete through the EQ);
 * bumps eq->ref until the domain closes. Anything else -FI_EINVAL.
 * weft_domain_query_atomic: flags 0 / FI_FETCH_ATOMIC / FI_COMPARE_ATOMIC
 * select the kind (both, or unknown bits: -FI_EINVAL); -FI_EOPNOTSUPP for
 * FI_TAGGED, a domain without FI_ATOMIC, or a pair util/atomic.h does not
 * support; on success size = datatype size, count = max_msg_size / size. */
int weft_domain_bind(struct fid *fid, struct fid *bfid, uint64_t flags);
int weft_domain_query_atomic(struct fid_domain *domain,
			     enum fi_datatype datatype, enum fi_op op,
			     struct fi_atomic_attr *attr, uint64_t flags);

/* Ready tables, set by weft_domain_init as defaults so no slot is ever
 * NULL; a provider replaces what it implements.
 * - weft_domain_fi_ops: close = weft_domain_close (weft_domain_fini, then
 *   free() of the domain: usable when the provider's domain is calloc'ed
 *   with struct weft_domain first and owns nothing else), bind =
 *   weft_domain_bind, the rest -FI_ENOSYS.
 * - weft_domain_mr_ops: weft_mr_reg / weft_mr_regv / weft_mr_regattr.
 * - weft_domain_ops_default: av_open, cq_open, cntr_open from util,
 *   query_atomic = weft_domain_query_atomic, everything else (endpoint
 *   included) -FI_ENOSYS through the *_none functions below. */
extern struct fi_ops weft_domain_fi_ops;
extern struct fi_ops_mr weft_domain_mr_ops;
extern struct fi_ops_domain weft_domain_ops_default;
int weft_domain_close(struct fid *fid);

int weft_domain_endpoint_none(struct fid_domain *domain, struct fi_info *info,
			      struct fid_ep **ep, void *context);
int weft_domain_scalable_ep_none(struct fid_domain *domain,
				 struct fi_info *info, struct fid_ep **sep,
				 void *context);
int weft_domain_poll_open_none(struct fid_domain *domain,
			       struct fi_poll_attr *attr,
			       struct fid_poll **pollset);
int weft_domain_stx_ctx_none(struct fid_domain *domain,
			     struct fi_tx_attr *attr, struct fid_stx **stx,
			     void *context);
int weft_domain_srx_ctx_none(struct fid_domain *domain,
			     struct fi_rx_attr *attr, struct fid_ep **rx_ep,
			     void *context);
int weft_domain_query_atomic_none(struct fid_domain *domain,
				  enum fi_datatype datatype, enum fi_op op,
				  struct fi_atomic_attr *attr, uint64_t flags);
int weft_domain_query_collective_none(struct fid_domain *domain,
				      enum fi_collective_op coll,
				      struct fi_collective_attr *attr,
				      uint64_t flags);
int weft_domain_endpoint2_none(struct fid_domain *domain, struct fi_info *info,
			       struct fid_ep **ep, uint64_t flags,
			       void *context);

#endif
