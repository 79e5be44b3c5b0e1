/* Counters: success and error counts, fi_cntr_wait with timeout, wait
 * objects, and the progress set of the endpoints bound to them. */
#ifndef WEFT_UTIL_CNTR_H
#define WEFT_UTIL_CNTR_H

#include <rdma/fabric.h>
#include <rdma/fi_domain.h>
#include <stdatomic.h>

#include "lib/list.h"
#include "util/cq.h"
#include "util/wait.h"

struct weft_cntr {
	struct fid_cntr cntr_fid; /* first */
	struct weft_domain *domain;
	_Atomic uint64_t value;
	_Atomic uint64_t err;
	struct weft_wait wait;
	struct weft_lock lock;    /* protects progress set */
	struct weft_progress_set progress;
	atomic_int ref;           /* endpoints / MRs bound */
};

static inline struct weft_cntr *weft_cntr_of(struct fid_cntr *c)
{
	return weft_container_of(c, struct weft_cntr, cntr_fid);
}

/* fi_ops_domain->cntr_open, usable as is. */
int weft_cntr_open(struct fid_domain *domain, struct fi_cntr_attr *attr,
		   struct fid_cntr **cntr, void *context);

/* Data-path updates from providers: add 1 (or n) and wake waiters. */
void weft_cntr_inc(struct weft_cntr *cntr);
void weft_cntr_add_n(struct weft_cntr *cntr, uint64_t n);
void weft_cntr_inc_err(struct weft_cntr *cntr);

int weft_cntr_add_ep(struct weft_cntr *cntr, struct weft_ep *ep);
void weft_cntr_remove_ep(struct weft_cntr *cntr, struct weft_ep *ep);

#endif
