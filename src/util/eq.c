/* Event queues (see eq.h). */
#include "util/fid.h"
#include "util/eq.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rdma/fi_cm.h>
#include <rdma/fi_errno.h>

#include "util/ep.h"
#include "util/fabric.h"

#define WEFT_EQ_DEFAULT_SIZE 256
/* Bytes one event may carry: far above any CM data or entry, and low
 * enough that sizeof(event) + len cannot wrap. */
#define WEFT_EQ_MAX_DATA ((size_t)1 << 30)

struct weft_eq_event {
	struct weft_list link;
	uint32_t event;
	bool is_err;
	struct fi_eq_err_entry err; /* is_err: err_data points at data[] */
	size_t len;                 /* bytes in data[] */
	unsigned char data[];
};

static bool weft_eq_is_cm_event(uint32_t event)
{
	return event == FI_CONNREQ || event == FI_CONNECTED ||
	       event == FI_SHUTDOWN;
}

static void weft_eq_event_free(struct weft_eq_event *ev)
{
	struct fi_eq_cm_entry cm;

	/* An FI_CONNREQ nobody read still owns its fi_info. */
	if (ev && !ev->is_err && ev->event == FI_CONNREQ &&
	    ev->len >= sizeof(cm)) {
		memcpy(&cm, ev->data, sizeof(cm));
		if (cm.info)
			fi_freeinfo(cm.info);
	}
	free(ev);
}

/* Queue ev and wake a sleeper (or an application holding the fd).
 * `limit`: refuse (-FI_EAGAIN) when the EQ already holds that many
 * entries, checked in the same critical section as the push; 0 for no
 * limit. */
static int weft_eq_push(struct weft_eq *eq, struct weft_eq_event *ev,
			size_t limit)
{
	bool wake;

	weft_lock_acquire(&eq->lock);
	if (limit && eq->count >= limit) {
		weft_lock_release(&eq->lock);
		return -FI_EAGAIN;
	}
	weft_list_push_back(&eq->events, &ev->link);
	eq->count++;
	/* Under the lock: see weft_cq_write. */
	wake = weft_wait_should_signal(&eq->wait);
	weft_lock_release(&eq->lock);
	if (wake)
		weft_wait_signal_force(&eq->wait);
	return 0;
}

int weft_eq_write_event(struct weft_eq *eq, uint32_t event, const void *buf,
			size_t len, uint64_t flags)
{
	struct weft_eq_event *ev;

	if (flags || (len && !buf) || len > WEFT_EQ_MAX_DATA)
		return -FI_EINVAL;
	ev = malloc(sizeof(*ev) + len);
	if (!ev)
		return -FI_ENOMEM;
	memset(ev, 0, sizeof(*ev));
	ev->event = event;
	ev->len = len;
	if (len)
		memcpy(ev->data, buf, len);
	(void)weft_eq_push(eq, ev, 0); /* no limit: cannot fail */
	return 0;
}

int weft_eq_write_error(struct weft_eq *eq, fid_t fid, void *context,
			uint64_t data, int err, int prov_errno,
			const void *err_data, size_t err_data_size)
{
	struct weft_eq_event *ev;
	size_t dlen = err_data ? err_data_size : 0;

	if (err <= 0 || dlen > WEFT_EQ_MAX_DATA)
		return -FI_EINVAL;
	ev = malloc(sizeof(*ev) + dlen);
	if (!ev)
		return -FI_ENOMEM;
	memset(ev, 0, sizeof(*ev));
	ev->is_err = true;
	ev->len = dlen;
	if (dlen)
		memcpy(ev->data, err_data, dlen);
	ev->err = (struct fi_eq_err_entry){
		.fid = fid, .context = context, .data = data, .err = err,
		.prov_errno = prov_errno,
		.err_data = dlen ? ev->data : NULL, .err_data_size = dlen,
	};
	(void)weft_eq_push(eq, ev, 0); /* no limit: cannot fail */
	return 0;
}

int weft_eq_add_ep(struct weft_eq *eq, struct weft_ep *ep)
{
	int ret = weft_progress_set_add(&eq->progress, ep);

	if (!ret)
		atomic_fetch_add(&eq->ref, 1);
	return ret;
}

void weft_eq_remove_ep(struct weft_eq *eq, struct weft_ep *ep)
{
	weft_progress_set_remove(&eq->progress, ep);
	atomic_fetch_sub(&eq->ref, 1);
}

int weft_eq_trywait(struct weft_eq *eq)
{
	bool ready;

	if (!weft_wait_has_fd(&eq->wait))
		return -FI_EINVAL;
	atomic_store(&eq->wait.exported, true);
	weft_wait_clear(&eq->wait); /* before progress and look: wait.h */
	weft_progress_set_run(&eq->progress);
	weft_lock_acquire(&eq->lock);
	ready = !weft_list_empty(&eq->events);
	weft_lock_release(&eq->lock);
	return ready ? -FI_EAGAIN : 0;
}

/* ---- fi_ops_eq -------------------------------------------------------- */

/* Take (or peek at) the head event, under eq->lock. */
static ssize_t weft_eq_take(struct weft_eq *eq, uint32_t *event, void *buf,
			    size_t len, uint64_t flags)
{
	struct weft_eq_event *ev;
	size_t n;

	if (weft_list_empty(&eq->events))
		return -FI_EAGAIN;
	ev = weft_container_of(eq->events.next, struct weft_eq_event, link);
	if (ev->is_err)
		return -FI_EAVAIL;
	n = ev->len;
	if (len < n) {
		/* fi_eq(3): CM data is limited to the space the application
		 * gives; anything else must fit whole. */
		if (!weft_eq_is_cm_event(ev->event) ||
		    len < sizeof(struct fi_eq_cm_entry))
			return -FI_ETOOSMALL;
		n = len;
	}
	if (n)
		memcpy(buf, ev->data, n);
	*event = ev->event;
	if (!(flags & FI_PEEK)) {
		weft_list_remove(&ev->link);
		eq->count--;
		free(ev); /* an FI_CONNREQ's fi_info is the reader's now */
	}
	return (ssize_t)n;
}

static ssize_t weft_eq_read(struct fid_eq *eq_fid, uint32_t *event, void *buf,
			    size_t len, uint64_t flags)
{
	struct weft_eq *eq = weft_eq_of(eq_fid);
	ssize_t ret;

	if (!event || (len && !buf) || (flags & ~(uint64_t)FI_PEEK))
		return -FI_EINVAL;
	weft_progress_set_run(&eq->progress);
	weft_lock_acquire(&eq->lock);
	ret = weft_eq_take(eq, event, buf, len, flags);
	weft_lock_release(&eq->lock);
	return ret;
}

static ssize_t weft_eq_readerr(struct fid_eq *eq_fid,
			       struct fi_eq_err_entry *buf, uint64_t flags)
{
	struct weft_eq *eq = weft_eq_of(eq_fid);
	struct weft_eq_event *ev = NULL, *old = NULL;
	void *user_data;
	size_t user_size, n;
	struct weft_list *l;

	if (!buf || (flags & ~(uint64_t)FI_PEEK))
		return -FI_EINVAL;
	weft_lock_acquire(&eq->lock);
	for (l = eq->events.next; l != &eq->events; l = l->next) {
		struct weft_eq_event *e =
			weft_container_of(l, struct weft_eq_event, link);
		if (e->is_err) {
			ev = e;
			break;
		}
	}
	if (!ev) {
		weft_lock_release(&eq->lock);
		return -FI_EAGAIN;
	}
	if (!(flags & FI_PEEK)) {
		weft_list_remove(&ev->link);
		eq->count--;
		old = eq->last_err;
		eq->last_err = ev;
	}
	/* Copy out under the lock: with FI_PEEK the entry stays queued and a
	 * concurrent readerr could free it once we unlock. */
	if (weft_api_before_1_5(eq->fabric)) {
		/* The pre-1.5 struct ends at err_data (see weft_cq_readerr). */
		memcpy(buf, &ev->err,
		       offsetof(struct fi_eq_err_entry, err_data_size));
		weft_lock_release(&eq->lock);
		free(old);
		return offsetof(struct fi_eq_err_entry, err_data_size);
	}
	user_data = buf->err_data;
	user_size = buf->err_data_size;
	*buf = ev->err;
	if (user_size && user_data) {
		/* API >= 1.5 with a buffer: copy, report the size copied. */
		n = ev->len < user_size ? ev->len : user_size;
		if (n)
			memcpy(user_data, ev->data, n);
		buf->err_data = user_data;
		buf->err_data_size = n;
	}
	/* Otherwise err_data points at our copy, valid until the next
	 * readerr (for FI_PEEK: until the entry is read). */
	weft_lock_release(&eq->lock);
	free(old);
	return sizeof(*buf);
}

static ssize_t weft_eq_write(struct fid_eq *eq_fid, uint32_t event,
			     const void *buf, size_t len, uint64_t flags)
{
	struct weft_eq *eq = weft_eq_of(eq_fid);
	struct weft_eq_event *ev;

	/* fi_eq(3): only an EQ opened with FI_WRITE takes application
	 * events. The application has no way to write an error event. */
	if (!(eq->flags & FI_WRITE) || flags || (len && !buf) ||
	    len > WEFT_EQ_MAX_DATA)
		return -FI_EINVAL;
	ev = malloc(sizeof(*ev) + len);
	if (!ev)
		return -FI_ENOMEM;
	memset(ev, 0, sizeof(*ev));
	ev->event = event;
	ev->len = len;
	if (len)
		memcpy(ev->data, buf, len);

	/* The size bounds what an application can queue; provider events are
	 * never refused (see weft_eq_write_event). */
	if (weft_eq_push(eq, ev, eq->size)) {
		free(ev);
		return -FI_EAGAIN;
	}
	return (ssize_t)len;
}

static ssize_t weft_eq_sread(struct fid_eq *eq_fid, uint32_t *event, void *buf,
			     size_t len, int timeout, uint64_t flags)
{
	struct weft_eq *eq = weft_eq_of(eq_fid);
	uint64_t deadline = weft_wait_deadline(timeout);
	ssize_t ret;
	int left;

	if (!event || (len && !buf) || (flags & ~(uint64_t)FI_PEEK))
		return -FI_EINVAL;
	for (;;) {
		weft_progress_set_run(&eq->progress);
		weft_lock_acquire(&eq->lock);
		ret = weft_eq_take(eq, event, buf, len, flags);
		left = weft_wait_remaining(deadline);
		if (ret != -FI_EAGAIN || !left) {
			/* Pass on a wakeup our clear may have eaten. */
			bool wake = !weft_list_empty(&eq->events) &&
				    atomic_load(&eq->wait.sleepers);
			weft_lock_release(&eq->lock);
			if (wake)
				weft_wait_signal_force(&eq->wait);
			return ret;
		}
		atomic_fetch_add(&eq->wait.sleepers, 1);
		weft_lock_release(&eq->lock);

		ret = weft_wait_sleep(&eq->wait,
				      weft_progress_set_slice(&eq->progress,
							      left));
		atomic_fetch_sub(&eq->wait.sleepers, 1);
		weft_wait_clear(&eq->wait);
		if (ret && ret != -FI_ETIMEDOUT && ret != -FI_EINTR)
			return ret;
		/* fi_eq(3): a signal ends the wait; one more look decides. */
		if (ret == -FI_EINTR)
			deadline = weft_wait_deadline(0);
	}
}

static const char *weft_eq_strerror(struct fid_eq *eq_fid, int prov_errno,
				    const void *err_data, char *buf,
				    size_t len)
{
	return weft_strerror_prov(prov_errno, buf, len);
}

/* ---- fi_ops ----------------------------------------------------------- */

static int weft_eq_close(struct fid *fid)
{
	struct weft_eq *eq = weft_container_of(fid, struct weft_eq, eq_fid.fid);
	struct weft_list *l;

	if (atomic_load(&eq->ref))
		return -FI_EBUSY;
	while ((l = weft_list_pop_front(&eq->events)))
		weft_eq_event_free(
			weft_container_of(l, struct weft_eq_event, link));
	free(eq->last_err);
	weft_progress_set_fini(&eq->progress);
	weft_wait_fini(&eq->wait);
	weft_lock_destroy(&eq->lock);
	atomic_fetch_sub(&eq->fabric->ref, 1);
	free(eq);
	return 0;
}

static int weft_eq_control(struct fid *fid, int command, void *arg)
{
	struct weft_eq *eq = weft_container_of(fid, struct weft_eq, eq_fid.fid);

	return weft_wait_control(&eq->wait, command, arg);
}

static struct fi_ops weft_eq_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = weft_eq_close,
	.bind = weft_fid_bind_none,
	.control = weft_eq_control,
	.ops_open = weft_fid_ops_open_none,
	.tostr = weft_fid_tostr_none,
	.ops_set = weft_fid_ops_set_none,
};

static struct fi_ops_eq weft_eq_ops = {
	.size = sizeof(struct fi_ops_eq),
	.read = weft_eq_read,
	.readerr = weft_eq_readerr,
	.write = weft_eq_write,
	.sread = weft_eq_sread,
	.strerror = weft_eq_strerror,
};

int weft_eq_open(struct fid_fabric *fabric_fid, struct fi_eq_attr *attr,
		 struct fid_eq **eq_out, void *context)
{
	struct weft_fabric *fabric;
	struct weft_eq *eq;
	int ret;

	if (!fabric_fid || !attr || !eq_out)
		return -FI_EINVAL;
	if (attr->flags & ~(uint64_t)(FI_WRITE | FI_AFFINITY))
		return -FI_EINVAL;
	if ((attr->flags & FI_AFFINITY) && attr->signaling_vector < 0)
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
	fabric = weft_fabric_of(fabric_fid);

	eq = calloc(1, sizeof(*eq));
	if (!eq)
		return -FI_ENOMEM;
	if (weft_lock_init(&eq->lock, true)) {
		ret = -FI_ENOMEM;
		goto err_free;
	}
	ret = weft_wait_init(&eq->wait, attr->wait_obj);
	if (ret)
		goto err_destroy_lock;
	ret = weft_progress_set_init(&eq->progress, true, &eq->wait);
	if (ret)
		goto err_fini_wait;

	eq->eq_fid.fid.fclass = FI_CLASS_EQ;
	eq->eq_fid.fid.context = context;
	eq->eq_fid.fid.ops = &weft_eq_fi_ops;
	eq->eq_fid.ops = &weft_eq_ops;
	eq->fabric = fabric;
	eq->flags = attr->flags;
	eq->size = attr->size ? attr->size : WEFT_EQ_DEFAULT_SIZE;
	weft_list_init(&eq->events);
	atomic_init(&eq->ref, 0);
	atomic_fetch_add(&fabric->ref, 1);
	*eq_out = &eq->eq_fid;
	return 0;

err_fini_wait:
	weft_wait_fini(&eq->wait);
err_destroy_lock:
	weft_lock_destroy(&eq->lock);
err_free:
	free(eq);
	return ret;
}
