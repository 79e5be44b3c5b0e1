/* Counters (see cntr.h for the ordering between updates and waiters). */
#include "util/fid.h"
#include "util/cntr.h"

#include <stdlib.h>

#include <rdma/fi_errno.h>

#include "util/fabric.h"

/* ---- provider side ---------------------------------------------------- */

void weft_cntr_add_n(struct weft_cntr *cntr, uint64_t n)
{
	/* seq_cst RMW, then weft_wait_signal's seq_cst look at sleepers. */
	atomic_fetch_add(&cntr->value, n);
	weft_wait_signal(&cntr->wait);
}

void weft_cntr_inc(struct weft_cntr *cntr)
{
	weft_cntr_add_n(cntr, 1);
}

void weft_cntr_inc_err(struct weft_cntr *cntr)
{
	atomic_fetch_add(&cntr->err, 1);
	weft_wait_signal(&cntr->wait);
}

int weft_cntr_add_ep(struct weft_cntr *cntr, struct weft_ep *ep)
{
	int ret = weft_progress_set_add(&cntr->progress, ep);

	if (!ret)
		atomic_fetch_add(&cntr->ref, 1);
	return ret;
}

void weft_cntr_remove_ep(struct weft_cntr *cntr, struct weft_ep *ep)
{
	weft_progress_set_remove(&cntr->progress, ep);
	atomic_fetch_sub(&cntr->ref, 1);
}

int weft_cntr_trywait(struct weft_cntr *cntr)
{
	uint64_t v, e;
	bool changed;

	if (!weft_wait_has_fd(&cntr->wait))
		return -FI_EINVAL;
	atomic_store(&cntr->wait.exported, true);
	weft_wait_clear(&cntr->wait); /* before progress and look: wait.h */
	weft_progress_set_run(&cntr->progress);
	v = atomic_load(&cntr->value);
	e = atomic_load(&cntr->err);
	changed = v != atomic_load_explicit(&cntr->seen_value,
					    memory_order_relaxed) ||
		  e != atomic_load_explicit(&cntr->seen_err,
					    memory_order_relaxed);
	atomic_store_explicit(&cntr->seen_value, v, memory_order_relaxed);
	atomic_store_explicit(&cntr->seen_err, e, memory_order_relaxed);
	return changed ? -FI_EAGAIN : 0;
}

/* ---- fi_ops_cntr ------------------------------------------------------ */

static uint64_t weft_cntr_read(struct fid_cntr *cntr_fid)
{
	struct weft_cntr *cntr = weft_cntr_of(cntr_fid);
	uint64_t v;

	weft_progress_set_run(&cntr->progress);
	v = atomic_load(&cntr->value);
	atomic_store_explicit(&cntr->seen_value, v, memory_order_relaxed);
	return v;
}

static uint64_t weft_cntr_readerr(struct fid_cntr *cntr_fid)
{
	struct weft_cntr *cntr = weft_cntr_of(cntr_fid);
	uint64_t e;

	weft_progress_set_run(&cntr->progress);
	e = atomic_load(&cntr->err);
	atomic_store_explicit(&cntr->seen_err, e, memory_order_relaxed);
	return e;
}

static int weft_cntr_add(struct fid_cntr *cntr_fid, uint64_t value)
{
	weft_cntr_add_n(weft_cntr_of(cntr_fid), value);
	return 0;
}

static int weft_cntr_adderr(struct fid_cntr *cntr_fid, uint64_t value)
{
	struct weft_cntr *cntr = weft_cntr_of(cntr_fid);

	atomic_fetch_add(&cntr->err, value);
	weft_wait_signal(&cntr->wait);
	return 0;
}

static int weft_cntr_set(struct fid_cntr *cntr_fid, uint64_t value)
{
	struct weft_cntr *cntr = weft_cntr_of(cntr_fid);

	/* An exchange, not a store: the same seq_cst RMW as an add, so the
	 * waiter protocol holds for set too. */
	atomic_exchange(&cntr->value, value);
	weft_wait_signal(&cntr->wait);
	return 0;
}

static int weft_cntr_seterr(struct fid_cntr *cntr_fid, uint64_t value)
{
	struct weft_cntr *cntr = weft_cntr_of(cntr_fid);

	atomic_exchange(&cntr->err, value);
	weft_wait_signal(&cntr->wait);
	return 0;
}

/* fi_cntr_wait: drive progress, look, count ourselves a sleeper, look
 * again, sleep; until value >= threshold (0), the error count changes
 * (-FI_EAVAIL: fi_cntr(3) says any error change unblocks the wait) or the
 * timeout passes (-FI_ETIMEDOUT). */
static int weft_cntr_wait(struct fid_cntr *cntr_fid, uint64_t threshold,
			  int timeout)
{
	struct weft_cntr *cntr = weft_cntr_of(cntr_fid);
	uint64_t deadline = weft_wait_deadline(timeout);
	uint64_t err0 = atomic_load(&cntr->err);
	int ret, left;

	for (;;) {
		weft_progress_set_run(&cntr->progress);
		atomic_fetch_add(&cntr->wait.sleepers, 1);
		if (atomic_load(&cntr->value) >= threshold) {
			ret = 0;
			break;
		}
		if (atomic_load(&cntr->err) != err0) {
			ret = -FI_EAVAIL;
			break;
		}
		left = weft_wait_remaining(deadline);
		if (!left) {
			ret = -FI_ETIMEDOUT;
			break;
		}
		ret = weft_wait_sleep(&cntr->wait,
				      weft_progress_set_slice(&cntr->progress,
							      left));
		atomic_fetch_sub(&cntr->wait.sleepers, 1);
		weft_wait_clear(&cntr->wait);
		if (ret && ret != -FI_ETIMEDOUT && ret != -FI_EINTR)
			return ret;
	}
	atomic_fetch_sub(&cntr->wait.sleepers, 1);
	/* Others may sleep for a threshold we also reached; our clear may have
	 * eaten the wakeup meant for them. */
	if (atomic_load(&cntr->wait.sleepers))
		weft_wait_signal_force(&cntr->wait);
	return ret;
}

/* ---- fi_ops ----------------------------------------------------------- */

static int weft_cntr_close(struct fid *fid)
{
	struct weft_cntr *cntr =
		weft_container_of(fid, struct weft_cntr, cntr_fid.fid);

	if (atomic_load(&cntr->ref))
		return -FI_EBUSY;
	weft_progress_set_fini(&cntr->progress);
	weft_wait_fini(&cntr->wait);
	atomic_fetch_sub(&cntr->domain->ref, 1);
	free(cntr);
	return 0;
}

static int weft_cntr_control(struct fid *fid, int command, void *arg)
{
	struct weft_cntr *cntr =
		weft_container_of(fid, struct weft_cntr, cntr_fid.fid);

	switch (command) {
	case FI_GETOPSFLAG:
		if (!arg)
			return -FI_EINVAL;
		*(uint64_t *)arg = cntr->ops_flags;
		return 0;
	case FI_SETOPSFLAG:
		if (!arg)
			return -FI_EINVAL;
		cntr->ops_flags = *(uint64_t *)arg;
		return 0;
	default:
		return weft_wait_control(&cntr->wait, command, arg);
	}
}

static struct fi_ops weft_cntr_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = weft_cntr_close,
	.bind = weft_fid_bind_none,
	.control = weft_cntr_control,
	.ops_open = weft_fid_ops_open_none,
	.tostr = weft_fid_tostr_none,
	.ops_set = weft_fid_ops_set_none,
};

static struct fi_ops_cntr weft_cntr_ops = {
	.size = sizeof(struct fi_ops_cntr),
	.read = weft_cntr_read,
	.readerr = weft_cntr_readerr,
	.add = weft_cntr_add,
	.set = weft_cntr_set,
	.wait = weft_cntr_wait,
	.adderr = weft_cntr_adderr,
	.seterr = weft_cntr_seterr,
};

int weft_cntr_open(struct fid_domain *domain_fid, struct fi_cntr_attr *attr,
		   struct fid_cntr **cntr_out, void *context)
{
	struct weft_domain *domain;
	struct weft_cntr *cntr;
	bool locked;
	int ret;

	if (!domain_fid || !attr || !cntr_out)
		return -FI_EINVAL;
	if (attr->events != FI_CNTR_EVENTS_COMP || attr->flags)
		return -FI_EINVAL;
	switch (attr->wait_obj) {
	case FI_WAIT_NONE:
	case FI_WAIT_UNSPEC:
	case FI_WAIT_FD:
	case FI_WAIT_YIELD:
		break;
	case FI_WAIT_SET:
	case FI_WAIT_MUTEX_COND:
	case FI_WAIT_POLLFD:
		return -FI_ENOSYS;
	default:
		return -FI_EINVAL;
	}
	domain = weft_domain_of(domain_fid);

	cntr = calloc(1, sizeof(*cntr));
	if (!cntr)
		return -FI_ENOMEM;
	locked = weft_threading_needs_lock(domain->threading);
	ret = weft_wait_init(&cntr->wait, attr->wait_obj);
	if (ret)
		goto err_free;
	ret = weft_progress_set_init(&cntr->progress, locked, &cntr->wait);
	if (ret)
		goto err_fini_wait;

	cntr->cntr_fid.fid.fclass = FI_CLASS_CNTR;
	cntr->cntr_fid.fid.context = context;
	cntr->cntr_fid.fid.ops = &weft_cntr_fi_ops;
	cntr->cntr_fid.ops = &weft_cntr_ops;
	cntr->domain = domain;
	atomic_init(&cntr->value, 0);
	atomic_init(&cntr->err, 0);
	atomic_init(&cntr->seen_value, 0);
	atomic_init(&cntr->seen_err, 0);
	atomic_init(&cntr->ref, 0);
	atomic_fetch_add(&domain->ref, 1);
	*cntr_out = &cntr->cntr_fid;
	return 0;

err_fini_wait:
	weft_wait_fini(&cntr->wait);
err_free:
	free(cntr);
	return ret;
}
