/* Counters: success and error counts, fi_cntr_wait with timeout, wait
 * objects, and the progress set of the endpoints bound to them.
 *
 * The values are atomics, so providers update them without a lock from
 * any thread (weft_cntr_inc...). Ordering for waiters: an update is a
 * seq_cst read-modify-write followed by a seq_cst look at the wait's
 * sleepers; a waiter counts itself a sleeper (seq_cst) before its last
 * seq_cst load of the value, so one of the two always sees the other.
 */
#ifndef WEFT_UTIL_CNTR_H
#define WEFT_UTIL_CNTR_H

#include <rdma/fabric.h>
#include <rdma/fi_domain.h>
#include <stdatomic.h>

#include "lib/list.h"
#include "lib/lock.h"
#include "util/cq.h"
#include "util/wait.h"

struct weft_cntr {
	struct fid_cntr cntr_fid; /* first */
	struct weft_domain *domain;
	_Atomic uint64_t value;
	_Atomic uint64_t err;
	/* Values last seen by fi_cntr_read / readerr / trywait: fi_trywait
	 * reports "changed since" (fi_poll(3)). Relaxed: a hint only. */
	_Atomic uint64_t seen_value, seen_err;
	uint64_t ops_flags;       /* FI_GETOPSFLAG / FI_SETOPSFLAG */
	struct weft_wait wait;
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

/* Data-path updates from providers: add 1 (or n) and wake waiters. Lock
 * free, callable from any thread with any lock held; a syscall only when a
 * thread sleeps in fi_cntr_wait or the application holds the wait fd. */
void weft_cntr_inc(struct weft_cntr *cntr);
void weft_cntr_add_n(struct weft_cntr *cntr, uint64_t n);
void weft_cntr_inc_err(struct weft_cntr *cntr);

/* Bind/unbind an endpoint (counted like weft_cq_add_ep: one call per
 * binding, cntr->ref follows, ep->wait_fd joins the wait fd). Do not hold
 * ep->lock while calling. A memory region bound to a counter bumps
 * cntr->ref itself (atomic_fetch_add) and drops it on close. */
int weft_cntr_add_ep(struct weft_cntr *cntr, struct weft_ep *ep);
void weft_cntr_remove_ep(struct weft_cntr *cntr, struct weft_ep *ep);

/* For fi_trywait: drives progress; -FI_EAGAIN if the counter or its error
 * count changed since the last read/readerr/trywait, else 0 (safe to sleep
 * on the wait fd). -FI_EINVAL without a wait fd. */
int weft_cntr_trywait(struct weft_cntr *cntr);

#endif
