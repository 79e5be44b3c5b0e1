/* Completion queues in every format, with an error queue and wait objects.
 *
 * Entries are stored in one internal form (struct weft_cq_entry) in a ring of
 * the size the application asked for (rounded to a power of two); the read
 * calls convert to the CQ's format. When the ring is full, further entries
 * go to an overflow list (allocated: the ring size is the contract; a
 * provider that honours FI_RM_ENABLED checks weft_cq_has_room() first).
 *
 * Progress: endpoints bound to the CQ are kept in a progress set; every read
 * (fi_cq_read*, sread*, fi_trywait via the wait) first calls each bound
 * endpoint's progress function. This is manual progress as fi_domain(3)
 * defines it, and it is also what makes auto progress prompt.
 */
#ifndef WEFT_UTIL_CQ_H
#define WEFT_UTIL_CQ_H

#include <rdma/fabric.h>
#include <rdma/fi_eq.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "lib/list.h"
#include "lib/lock.h"
#include "util/wait.h"

struct weft_domain;
struct weft_ep;

struct weft_cq_entry {
	void *op_context;
	uint64_t flags;
	size_t len;
	void *buf;
	uint64_t data;
	uint64_t tag;
	fi_addr_t src;   /* FI_ADDR_NOTAVAIL when unknown */
};

/* A set of endpoints whose progress functions a reader drives. Shared by
 * CQs and counters. Grows at bind time only. */
struct weft_progress_set {
	struct weft_ep **eps;
	size_t count, cap;
};
int weft_progress_set_add(struct weft_progress_set *set, struct weft_ep *ep);
void weft_progress_set_remove(struct weft_progress_set *set, struct weft_ep *ep);
void weft_progress_set_run(struct weft_progress_set *set);
void weft_progress_set_fini(struct weft_progress_set *set);

struct weft_cq {
	struct fid_cq cq_fid; /* first */
	struct weft_domain *domain;
	enum fi_cq_format format;
	size_t entry_size;    /* sizeof the user-visible entry for format */
	struct weft_lock lock;
	struct weft_cq_entry *ring;
	uint64_t ring_mask, head, tail; /* free-running, under lock */
	struct weft_list overflow;      /* entries past the ring (rare) */
	struct weft_list errors;        /* struct fi_cq_err_entry copies */
	atomic_size_t err_count;
	struct weft_wait wait;
	enum fi_cq_wait_cond wait_cond;
	atomic_bool signaled;           /* fi_cq_signal: wake one sread */
	struct weft_progress_set progress;
	atomic_int ref;                 /* endpoints bound */
};

static inline struct weft_cq *weft_cq_of(struct fid_cq *c)
{
	return weft_container_of(c, struct weft_cq, cq_fid);
}

/* fi_ops_domain->cq_open, usable as is by every provider. */
int weft_cq_open(struct fid_domain *domain, struct fi_cq_attr *attr,
		 struct fid_cq **cq, void *context);

/* Write one completion. Thread-safe per the CQ's lock choice. Signals the
 * wait object. 0 or -FI_ENOMEM. */
int weft_cq_write(struct weft_cq *cq, void *context, uint64_t flags,
		  size_t len, void *buf, uint64_t data, uint64_t tag,
		  fi_addr_t src);
/* Write an error completion: err is copied; err->err_data (err_data_size
 * bytes) is copied too and stays valid until the next fi_cq_readerr. err is
 * a positive FI_E* code, prov_errno the provider's own. */
int weft_cq_write_error(struct weft_cq *cq, const struct fi_cq_err_entry *err,
			fi_addr_t src);
bool weft_cq_has_room(struct weft_cq *cq);

/* Bind an endpoint's progress to this CQ (fi_ep_bind calls this). */
int weft_cq_add_ep(struct weft_cq *cq, struct weft_ep *ep);
void weft_cq_remove_ep(struct weft_cq *cq, struct weft_ep *ep);

#endif
