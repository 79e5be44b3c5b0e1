/* Event queues: fi_eq_read/sread/write/readerr with FI_PEEK, wait objects,
 * entries with their data (struct fi_eq_cm_entry + CM data, fi_eq_entry for
 * AV/MR async completions). Control path: entries are allocated. */
#ifndef WEFT_UTIL_EQ_H
#define WEFT_UTIL_EQ_H

#include <rdma/fabric.h>
#include <rdma/fi_eq.h>
#include <stdatomic.h>

#include "lib/list.h"
#include "lib/lock.h"
#include "util/wait.h"

struct weft_fabric;

struct weft_eq {
	struct fid_eq eq_fid; /* first */
	struct weft_fabric *fabric;
	struct weft_lock lock;
	struct weft_list events;  /* queued events, in order */
	struct weft_list errors;  /* queued error events */
	void *last_err_data;      /* kept until the next readerr */
	struct weft_wait wait;
	atomic_int ref;           /* objects bound */
};

static inline struct weft_eq *weft_eq_of(struct fid_eq *e)
{
	return weft_container_of(e, struct weft_eq, eq_fid);
}

/* fi_ops_fabric->eq_open, usable as is. */
int weft_eq_open(struct fid_fabric *fabric, struct fi_eq_attr *attr,
		 struct fid_eq **eq, void *context);

/* Queue an event from inside weft (provider side): buf/len as fi_eq_write
 * takes them; flags may contain UTIL_FLAG_ERROR... use weft_eq_write_error
 * for errors. 0 or -FI_ENOMEM. */
int weft_eq_write_event(struct weft_eq *eq, uint32_t event, const void *buf,
			size_t len, uint64_t flags);
int weft_eq_write_error(struct weft_eq *eq, fid_t fid, void *context,
			uint64_t data, int err, int prov_errno,
			const void *err_data, size_t err_data_size);

#endif
