/* Event queues: fi_eq_read/sread/write/readerr with FI_PEEK, wait objects,
 * entries with their data (struct fi_eq_cm_entry + CM data, fi_eq_entry for
 * AV/MR async completions). Control path: entries are allocated, and the
 * lock is always a real mutex (fi_domain(3): control interfaces are thread
 * safe whatever the threading level).
 *
 * Events and errors are kept in one list, in the order they were queued:
 * fi_eq_read answers -FI_EAVAIL when the next entry is an error, and
 * fi_eq_readerr takes the oldest error.
 */
#ifndef WEFT_UTIL_EQ_H
#define WEFT_UTIL_EQ_H

#include <rdma/fabric.h>
#include <rdma/fi_eq.h>
#include <stdatomic.h>

#include "lib/list.h"
#include "lib/lock.h"
#include "util/cq.h"
#include "util/wait.h"

struct weft_fabric;
struct weft_eq_event; /* eq.c */

struct weft_eq {
	struct fid_eq eq_fid; /* first */
	struct weft_fabric *fabric;
	uint64_t flags;           /* attr->flags: FI_WRITE allows fi_eq_write */
	size_t size;              /* limit for fi_eq_write (app events) */
	struct weft_lock lock;    /* protects events, count, last_err */
	struct weft_list events;  /* queued events and errors, in order */
	size_t count;             /* entries in events */
	struct weft_eq_event *last_err; /* its err_data stays valid until the
					   next readerr */
	struct weft_wait wait;
	struct weft_progress_set progress; /* eps whose progress makes CM
					      events (optional) */
	atomic_int ref;           /* objects bound */
};

static inline struct weft_eq *weft_eq_of(struct fid_eq *e)
{
	return weft_container_of(e, struct weft_eq, eq_fid);
}

/* fi_ops_fabric->eq_open, usable as is. Bumps fabric->ref. */
int weft_eq_open(struct fid_fabric *fabric, struct fi_eq_attr *attr,
		 struct fid_eq **eq, void *context);

/* Queue an event from inside weft (provider side): buf/len as fi_eq_write
 * takes them (buf starts with struct fi_eq_entry or fi_eq_cm_entry; CM
 * data follows the cm entry). The bytes are copied. Never limited by the
 * EQ size (a CM event is never dropped). flags must be 0. For FI_CONNREQ
 * the fi_info inside becomes the application's once read; an unread one
 * is freed with the EQ. Any thread, any lock held. 0 or -FI_ENOMEM. */
int weft_eq_write_event(struct weft_eq *eq, uint32_t event, const void *buf,
			size_t len, uint64_t flags);
/* Queue an error event (fi_eq_readerr's struct fi_eq_err_entry): err is a
 * positive FI_E* code; err_data is copied. 0, -FI_EINVAL or -FI_ENOMEM. */
int weft_eq_write_error(struct weft_eq *eq, fid_t fid, void *context,
			uint64_t data, int err, int prov_errno,
			const void *err_data, size_t err_data_size);

/* Optional: endpoints whose progress produces events for this EQ (a
 * provider whose connection management runs in the application's calls).
 * Counted in eq->ref like CQ bindings. Other objects bound to the EQ
 * (domain, AV, passive endpoints) bump eq->ref themselves. */
int weft_eq_add_ep(struct weft_eq *eq, struct weft_ep *ep);
void weft_eq_remove_ep(struct weft_eq *eq, struct weft_ep *ep);

/* For fi_trywait: drives progress; -FI_EAGAIN if an event or error is
 * queued, else 0. -FI_EINVAL without a wait fd. */
int weft_eq_trywait(struct weft_eq *eq);

#endif
