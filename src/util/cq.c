/* Completion queues (see cq.h), and the progress set shared with counters
 * and EQs.
 *
 * Ordering: success entries live in a ring (then an overflow list, in
 * order); error entries in their own list, each remembering how many
 * success entries were queued before it (`seq`). A read returns success
 * entries up to the first error's position, then -FI_EAVAIL until that
 * error is taken with fi_cq_readerr: the application sees completions in
 * the order they were reported.
 */
#include "util/fid.h"
#include "util/cq.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rdma/fi_errno.h>

#include "util/ep.h"
#include "util/fabric.h"

#define WEFT_CQ_DEFAULT_SIZE 1024
#define WEFT_CQ_MAX_SIZE (1u << 22)

struct weft_cq_overflow {
	struct weft_list link;
	struct weft_cq_entry entry;
};

struct weft_cq_err {
	struct weft_list link;
	uint64_t seq;   /* success entries queued before this error */
	fi_addr_t src;
	struct fi_cq_err_entry entry; /* err_data points at data[] or NULL */
	unsigned char data[];
};

/* ---- progress set --------------------------------------------------- */

int weft_progress_set_init(struct weft_progress_set *set, bool locked,
			   struct weft_wait *wait)
{
	pthread_rwlockattr_t attr;
	int ret;

	set->eps = NULL;
	atomic_init(&set->count, 0);
	set->cap = 0;
	set->wait = wait;
	set->locked = locked;
	if (!locked)
		return 0;
	if (pthread_rwlockattr_init(&attr))
		return -FI_ENOMEM;
	/* Writers (bind/close) must not starve behind threads that poll the
	 * CQ in a loop. Readers never nest, so writer preference is safe. */
	pthread_rwlockattr_setkind_np(
		&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	ret = pthread_rwlock_init(&set->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	return ret ? -FI_ENOMEM : 0;
}

static void weft_progress_set_wrlock(struct weft_progress_set *set)
{
	if (set->locked)
		pthread_rwlock_wrlock(&set->lock);
}

static void weft_progress_set_unlock(struct weft_progress_set *set)
{
	if (set->locked)
		pthread_rwlock_unlock(&set->lock);
}

static struct weft_progress_entry *
weft_progress_set_find(struct weft_progress_set *set, struct weft_ep *ep)
{
	for (size_t i = 0; i < set->count; i++)
		if (set->eps[i].ep == ep)
			return &set->eps[i];
	return NULL;
}

static bool weft_progress_set_fd_used(struct weft_progress_set *set, int fd,
				      const struct weft_progress_entry *skip)
{
	for (size_t i = 0; i < set->count; i++)
		if (&set->eps[i] != skip && set->eps[i].fd == fd)
			return true;
	return false;
}

int weft_progress_set_add(struct weft_progress_set *set, struct weft_ep *ep)
{
	struct weft_progress_entry *e;
	int ret = 0;

	if (!ep)
		return -FI_EINVAL;
	weft_progress_set_wrlock(set);
	e = weft_progress_set_find(set, ep);
	if (e) {
		e->binds++;
		goto out;
	}
	if (set->count == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 4;
		void *p = realloc(set->eps, cap * sizeof(*set->eps));
		if (!p) {
			ret = -FI_ENOMEM;
			goto out;
		}
		set->eps = p;
		set->cap = cap;
	}
	/* Two endpoints may share one fd (a provider socket per domain):
	 * epoll holds it once, and it leaves with the last user. */
	if (ep->wait_fd >= 0 && set->wait &&
	    !weft_progress_set_fd_used(set, ep->wait_fd, NULL)) {
		ret = weft_wait_add_fd(set->wait, ep->wait_fd);
		if (ret)
			goto out;
	}
	set->eps[set->count++] = (struct weft_progress_entry){
		.ep = ep, .fd = ep->wait_fd, .binds = 1
	};
out:
	weft_progress_set_unlock(set);
	return ret;
}

void weft_progress_set_remove(struct weft_progress_set *set, struct weft_ep *ep)
{
	struct weft_progress_entry *e;

	weft_progress_set_wrlock(set);
	e = weft_progress_set_find(set, ep);
	if (!e || --e->binds)
		goto out;
	if (e->fd >= 0 && set->wait &&
	    !weft_progress_set_fd_used(set, e->fd, e))
		weft_wait_del_fd(set->wait, e->fd);
	*e = set->eps[--set->count];
out:
	weft_progress_set_unlock(set);
}

void weft_progress_set_run(struct weft_progress_set *set)
{
	/* An unlocked empty check first: most CQs polled in a loop have their
	 * endpoints already, and an empty set costs no lock. A bind racing
	 * with it is just picked up by the next read. */
	if (!atomic_load_explicit(&set->count, memory_order_relaxed))
		return;
	if (set->locked)
		pthread_rwlock_rdlock(&set->lock);
	for (size_t i = 0; i < set->count; i++) {
		struct weft_ep *ep = set->eps[i].ep;
		if (ep->progress)
			ep->progress(ep);
	}
	if (set->locked)
		pthread_rwlock_unlock(&set->lock);
}

void weft_progress_set_fini(struct weft_progress_set *set)
{
	free(set->eps);
	set->eps = NULL;
	set->count = 0;
	set->cap = 0;
	if (set->locked)
		pthread_rwlock_destroy(&set->lock);
	set->locked = false;
}

int weft_progress_set_slice(const struct weft_progress_set *set, int left)
{
	/* Unlocked read of count: a stale value costs one slice at most. */
	if (!atomic_load_explicit(&set->count, memory_order_relaxed))
		return left;
	return left < 0 || left > WEFT_PROGRESS_SLICE_MS ?
		       WEFT_PROGRESS_SLICE_MS : left;
}

/* ---- format conversion ---------------------------------------------- */

static void weft_cq_fill_context(void *dst, const struct weft_cq_entry *e)
{
	struct fi_cq_entry *d = dst;
	d->op_context = e->op_context;
}

static void weft_cq_fill_msg(void *dst, const struct weft_cq_entry *e)
{
	struct fi_cq_msg_entry *d = dst;
	d->op_context = e->op_context;
	d->flags = e->flags;
	d->len = e->len;
}

static void weft_cq_fill_data(void *dst, const struct weft_cq_entry *e)
{
	struct fi_cq_data_entry *d = dst;
	d->op_context = e->op_context;
	d->flags = e->flags;
	d->len = e->len;
	d->buf = e->buf;
	d->data = e->data;
}

static void weft_cq_fill_tagged(void *dst, const struct weft_cq_entry *e)
{
	struct fi_cq_tagged_entry *d = dst;
	d->op_context = e->op_context;
	d->flags = e->flags;
	d->len = e->len;
	d->buf = e->buf;
	d->data = e->data;
	d->tag = e->tag;
}

/* ---- queue internals (all under cq->lock) --------------------------- */

static bool weft_cq_ring_full(const struct weft_cq *cq)
{
	return cq->tail - cq->head > cq->ring_mask;
}

/* Success entries the reader may take now: those queued before the first
 * error. */
static uint64_t weft_cq_readable(const struct weft_cq *cq)
{
	uint64_t limit = cq->written;

	if (!weft_list_empty(&cq->errors)) {
		const struct weft_cq_err *err = weft_container_of(
			cq->errors.next, struct weft_cq_err, link);
		limit = err->seq;
	}
	return limit - cq->consumed;
}

static bool weft_cq_ready(const struct weft_cq *cq)
{
	return cq->written != cq->consumed || !weft_list_empty(&cq->errors);
}

/* Move overflow entries into the ring as it drains, keeping order: while
 * the overflow list is non-empty, every entry in it is newer than every
 * entry in the ring. */
static void weft_cq_refill(struct weft_cq *cq)
{
	while (!weft_list_empty(&cq->overflow) && !weft_cq_ring_full(cq)) {
		struct weft_cq_overflow *o = weft_container_of(
			weft_list_pop_front(&cq->overflow),
			struct weft_cq_overflow, link);
		cq->ring[cq->tail++ & cq->ring_mask] = o->entry;
		free(o);
	}
}

/* Copy up to count entries out; -FI_EAVAIL if an error comes first,
 * -FI_EAGAIN if nothing. src may be NULL. */
static ssize_t weft_cq_take(struct weft_cq *cq, void *buf, size_t count,
			    fi_addr_t *src)
{
	uint64_t n = weft_cq_readable(cq);
	char *out = buf;

	if (!n)
		return weft_list_empty(&cq->errors) ? -FI_EAGAIN : -FI_EAVAIL;
	if (!count)
		return -FI_EAGAIN;
	if (n > count)
		n = count;
	for (uint64_t i = 0; i < n; i++) {
		const struct weft_cq_entry *e;

		/* n may count entries still in the overflow list (a read
		 * larger than the ring): bring them in as the ring drains. */
		if (cq->head == cq->tail)
			weft_cq_refill(cq);
		e = &cq->ring[cq->head++ & cq->ring_mask];
		cq->fill(out, e);
		out += cq->entry_size;
		if (src)
			src[i] = e->src;
	}
	cq->consumed += n;
	weft_cq_refill(cq);
	return (ssize_t)n;
}

/* ---- provider side --------------------------------------------------- */

int weft_cq_write(struct weft_cq *cq, void *context, uint64_t flags,
		  size_t len, void *buf, uint64_t data, uint64_t tag,
		  fi_addr_t src)
{
	struct weft_cq_entry e = {
		.op_context = context, .flags = flags, .len = len, .buf = buf,
		.data = data, .tag = tag, .src = src,
	};
	bool wake;

	weft_lock_acquire(&cq->lock);
	if (weft_list_empty(&cq->overflow) && !weft_cq_ring_full(cq)) {
		cq->ring[cq->tail++ & cq->ring_mask] = e;
	} else {
		struct weft_cq_overflow *o = malloc(sizeof(*o));
		if (!o) {
			weft_lock_release(&cq->lock);
			return -FI_ENOMEM;
		}
		o->entry = e;
		weft_list_push_back(&cq->overflow, &o->link);
	}
	cq->written++;
	/* Read under the lock: a reader counts itself a sleeper in the same
	 * critical section where it found the CQ empty, so either it sees
	 * this entry or we see it sleeping. */
	wake = weft_wait_should_signal(&cq->wait);
	weft_lock_release(&cq->lock);
	if (wake)
		weft_wait_signal_force(&cq->wait);
	return 0;
}

int weft_cq_write_error(struct weft_cq *cq, const struct fi_cq_err_entry *err,
			fi_addr_t src)
{
	struct weft_cq_err *node;
	size_t dlen;
	bool wake;

	if (!err || err->err <= 0)
		return -FI_EINVAL;
	dlen = err->err_data ? err->err_data_size : 0;
	/* Provider error data is small; refuse a size that would wrap. */
	if (dlen > ((size_t)1 << 30))
		return -FI_EINVAL;
	node = malloc(sizeof(*node) + dlen);
	if (!node)
		return -FI_ENOMEM;
	node->entry = *err;
	node->src = src;
	if (dlen)
		memcpy(node->data, err->err_data, dlen);
	node->entry.err_data = dlen ? node->data : NULL;
	node->entry.err_data_size = dlen;

	weft_lock_acquire(&cq->lock);
	node->seq = cq->written;
	weft_list_push_back(&cq->errors, &node->link);
	wake = weft_wait_should_signal(&cq->wait);
	weft_lock_release(&cq->lock);
	if (wake)
		weft_wait_signal_force(&cq->wait);
	return 0;
}

bool weft_cq_has_room(struct weft_cq *cq)
{
	bool room;

	weft_lock_acquire(&cq->lock);
	room = weft_list_empty(&cq->overflow) && !weft_cq_ring_full(cq);
	weft_lock_release(&cq->lock);
	return room;
}

int weft_cq_add_ep(struct weft_cq *cq, struct weft_ep *ep)
{
	int ret = weft_progress_set_add(&cq->progress, ep);

	if (!ret)
		atomic_fetch_add(&cq->ref, 1);
	return ret;
}

void weft_cq_remove_ep(struct weft_cq *cq, struct weft_ep *ep)
{
	weft_progress_set_remove(&cq->progress, ep);
	atomic_fetch_sub(&cq->ref, 1);
}

int weft_cq_trywait(struct weft_cq *cq)
{
	bool ready;

	if (!weft_wait_has_fd(&cq->wait))
		return -FI_EINVAL;
	/* The caller is about to sleep on the fd itself. */
	atomic_store(&cq->wait.exported, true);
	/* Clear, then progress, then look (wait.h): an entry written or a
	 * datagram arriving after the clear signals the fd again. */
	weft_wait_clear(&cq->wait);
	weft_progress_set_run(&cq->progress);
	weft_lock_acquire(&cq->lock);
	ready = weft_cq_ready(cq);
	weft_lock_release(&cq->lock);
	return ready ? -FI_EAGAIN : 0;
}

/* ---- fi_ops_cq ------------------------------------------------------- */

static ssize_t weft_cq_readfrom(struct fid_cq *cq_fid, void *buf, size_t count,
				fi_addr_t *src_addr)
{
	struct weft_cq *cq = weft_cq_of(cq_fid);
	ssize_t ret;

	if (!buf && count)
		return -FI_EINVAL;
	weft_progress_set_run(&cq->progress);
	weft_lock_acquire(&cq->lock);
	ret = weft_cq_take(cq, buf, count, src_addr);
	weft_lock_release(&cq->lock);
	return ret;
}

static ssize_t weft_cq_read(struct fid_cq *cq_fid, void *buf, size_t count)
{
	return weft_cq_readfrom(cq_fid, buf, count, NULL);
}

static ssize_t weft_cq_readerr(struct fid_cq *cq_fid,
			       struct fi_cq_err_entry *buf, uint64_t flags)
{
	struct weft_cq *cq = weft_cq_of(cq_fid);
	struct weft_cq_err *err, *old;
	void *user_data;
	size_t user_size, n;

	if (!buf || flags)
		return -FI_EINVAL;
	weft_lock_acquire(&cq->lock);
	if (weft_list_empty(&cq->errors)) {
		weft_lock_release(&cq->lock);
		return -FI_EAGAIN;
	}
	/* Errors are handed out in order, whatever success entries are
	 * still queued before them: the application asked for errors. */
	err = weft_container_of(weft_list_pop_front(&cq->errors),
				struct weft_cq_err, link);
	old = cq->last_err;
	cq->last_err = err;

	/* Copy out under the lock: once we unlock, a concurrent readerr may
	 * take the next error and free this one as its `old`. */
	if (weft_api_before_1_5(cq->domain->fabric)) {
		/* Applications built for API < 1.5 pass a struct that ends
		 * at err_data: fill only that much, err_data pointing at our
		 * copy. */
		memcpy(buf, &err->entry,
		       offsetof(struct fi_cq_err_entry, err_data_size));
	} else {
		/* fi_cq(3), API >= 1.5: a buffer of err_data_size > 0 gets a
		 * copy and the size copied; otherwise err_data points at our
		 * copy, valid until the next readerr on this CQ. */
		user_data = buf->err_data;
		user_size = buf->err_data_size;
		*buf = err->entry;
		if (user_size && user_data) {
			n = err->entry.err_data_size < user_size ?
				    err->entry.err_data_size : user_size;
			if (n)
				memcpy(user_data, err->data, n);
			buf->err_data = user_data;
			buf->err_data_size = n;
		}
	}
	weft_lock_release(&cq->lock);
	free(old); /* the previous error's data was valid until now */
	return 1;
}

/* One blocking read. Loop: drive progress, look (under the lock, where we
 * also register as a sleeper if there is nothing), sleep on the wait
 * object, clear it, look again. Ends on data, an error entry, fi_cq_signal
 * or the timeout. */
static ssize_t weft_cq_sreadfrom(struct fid_cq *cq_fid, void *buf,
				 size_t count, fi_addr_t *src_addr,
				 const void *cond, int timeout)
{
	struct weft_cq *cq = weft_cq_of(cq_fid);
	uint64_t deadline = weft_wait_deadline(timeout);
	uint64_t threshold = 1;
	unsigned gen;
	ssize_t ret;
	int left;

	if (!buf || !count)
		return -FI_EINVAL;
	if (cq->wait_cond == FI_CQ_COND_THRESHOLD && cond) {
		/* The condition is a size_t passed in the pointer itself. */
		threshold = (uintptr_t)cond;
		if (threshold > count)
			threshold = count;
		if (!threshold)
			threshold = 1;
	}

	/* Read gen before announcing ourselves: fi_cq_signal either sees
	 * us in in_sread and bumps gen after our read, or leaves a sticky
	 * signal we pick up below. */
	gen = atomic_load(&cq->signal_gen);
	atomic_fetch_add(&cq->in_sread, 1);
	/* A kept signal ends the wait at once, but like any signal only
	 * after one look: fi_cq(3) answers -FI_EAGAIN only when nothing is
	 * there to read. */
	if (atomic_exchange(&cq->signal_sticky, false))
		deadline = weft_wait_deadline(0);
	for (;;) {
		bool wake_other;

		weft_progress_set_run(&cq->progress);
		weft_lock_acquire(&cq->lock);
		left = weft_wait_remaining(deadline);
		if (weft_cq_readable(cq) >= threshold ||
		    (weft_cq_readable(cq) && !left) ||
		    !weft_list_empty(&cq->errors)) {
			ret = weft_cq_take(cq, buf, count, src_addr);
			/* Another sleeper may have been woken for what we
			 * left behind and then lost its wakeup to our clear:
			 * pass it on. */
			wake_other = weft_cq_ready(cq) &&
				     atomic_load(&cq->wait.sleepers);
			weft_lock_release(&cq->lock);
			if (wake_other)
				weft_wait_signal_force(&cq->wait);
			goto out;
		}
		if (atomic_load(&cq->signal_gen) != gen || !left) {
			wake_other = atomic_load(&cq->wait.sleepers) > 0;
			weft_lock_release(&cq->lock);
			if (wake_other)
				weft_wait_signal_force(&cq->wait);
			ret = -FI_EAGAIN;
			goto out;
		}
		atomic_fetch_add(&cq->wait.sleepers, 1);
		weft_lock_release(&cq->lock);

		ret = weft_wait_sleep(&cq->wait,
				      weft_progress_set_slice(&cq->progress,
							      left));
		atomic_fetch_sub(&cq->wait.sleepers, 1);
		weft_wait_clear(&cq->wait);
		if (ret && ret != -FI_ETIMEDOUT && ret != -FI_EINTR)
			goto out;
		/* Interrupted by a signal: fi_cq(3) says return, with
		 * -FI_EAGAIN when there is nothing to read. One more look
		 * (with progress) decides. */
		if (ret == -FI_EINTR)
			deadline = weft_wait_deadline(0);
	}
out:
	atomic_fetch_sub(&cq->in_sread, 1);
	return ret;
}

static ssize_t weft_cq_sread(struct fid_cq *cq_fid, void *buf, size_t count,
			     const void *cond, int timeout)
{
	return weft_cq_sreadfrom(cq_fid, buf, count, NULL, cond, timeout);
}

static int weft_cq_signal(struct fid_cq *cq_fid)
{
	struct weft_cq *cq = weft_cq_of(cq_fid);

	/* Nobody inside sread: remember it for the next one (an application
	 * signalling a thread that is just about to block must not lose it).
	 * Otherwise every blocked sread returns once it sees gen move. */
	if (!atomic_load(&cq->in_sread))
		atomic_store(&cq->signal_sticky, true);
	atomic_fetch_add(&cq->signal_gen, 1);
	weft_wait_signal_force(&cq->wait);
	return 0;
}

static const char *weft_cq_strerror(struct fid_cq *cq_fid, int prov_errno,
				    const void *err_data, char *buf, size_t len)
{
	return weft_strerror_prov(prov_errno, buf, len);
}

/* ---- fi_ops ----------------------------------------------------------- */

static int weft_cq_close(struct fid *fid)
{
	struct weft_cq *cq = weft_container_of(fid, struct weft_cq, cq_fid.fid);
	struct weft_list *l;

	if (atomic_load(&cq->ref))
		return -FI_EBUSY;
	while ((l = weft_list_pop_front(&cq->overflow)))
		free(weft_container_of(l, struct weft_cq_overflow, link));
	while ((l = weft_list_pop_front(&cq->errors)))
		free(weft_container_of(l, struct weft_cq_err, link));
	free(cq->last_err);
	weft_progress_set_fini(&cq->progress);
	weft_wait_fini(&cq->wait);
	weft_lock_destroy(&cq->lock);
	atomic_fetch_sub(&cq->domain->ref, 1);
	free(cq->ring);
	free(cq);
	return 0;
}

static int weft_cq_control(struct fid *fid, int command, void *arg)
{
	struct weft_cq *cq = weft_container_of(fid, struct weft_cq, cq_fid.fid);

	return weft_wait_control(&cq->wait, command, arg);
}

static struct fi_ops weft_cq_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = weft_cq_close,
	.bind = weft_fid_bind_none,
	.control = weft_cq_control,
	.ops_open = weft_fid_ops_open_none,
	.tostr = weft_fid_tostr_none,
	.ops_set = weft_fid_ops_set_none,
};

static struct fi_ops_cq weft_cq_ops = {
	.size = sizeof(struct fi_ops_cq),
	.read = weft_cq_read,
	.readfrom = weft_cq_readfrom,
	.readerr = weft_cq_readerr,
	.sread = weft_cq_sread,
	.sreadfrom = weft_cq_sreadfrom,
	.signal = weft_cq_signal,
	.strerror = weft_cq_strerror,
};

/* ---- open ------------------------------------------------------------- */

bool weft_threading_needs_lock(enum fi_threading threading)
{
	/* Only these two make the application serialise a CQ/counter with
	 * every endpoint that writes to it; FI_THREAD_FID and _ENDPOINT let
	 * one thread post on an endpoint while another reads the CQ. */
	return threading != FI_THREAD_DOMAIN &&
	       threading != FI_THREAD_COMPLETION;
}

static int weft_cq_check_attr(const struct fi_cq_attr *attr,
			      enum fi_cq_format *format, size_t *size)
{
	if (attr->flags & ~(uint64_t)FI_AFFINITY)
		return -FI_EINVAL;
	if ((attr->flags & FI_AFFINITY) && attr->signaling_vector < 0)
		return -FI_EINVAL;
	switch (attr->format) {
	case FI_CQ_FORMAT_UNSPEC:
		*format = FI_CQ_FORMAT_CONTEXT;
		break;
	case FI_CQ_FORMAT_CONTEXT:
	case FI_CQ_FORMAT_MSG:
	case FI_CQ_FORMAT_DATA:
	case FI_CQ_FORMAT_TAGGED:
		*format = attr->format;
		break;
	default:
		return -FI_EINVAL;
	}
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
	if (attr->wait_cond != FI_CQ_COND_NONE &&
	    attr->wait_cond != FI_CQ_COND_THRESHOLD)
		return -FI_EINVAL;
	if (attr->size > WEFT_CQ_MAX_SIZE)
		return -FI_EINVAL;
	*size = attr->size ? attr->size : WEFT_CQ_DEFAULT_SIZE;
	return 0;
}

int weft_cq_open(struct fid_domain *domain_fid, struct fi_cq_attr *attr,
		 struct fid_cq **cq_out, void *context)
{
	static const struct {
		size_t size;
		void (*fill)(void *, const struct weft_cq_entry *);
	} formats[] = {
		[FI_CQ_FORMAT_CONTEXT] = { sizeof(struct fi_cq_entry),
					   weft_cq_fill_context },
		[FI_CQ_FORMAT_MSG] = { sizeof(struct fi_cq_msg_entry),
				       weft_cq_fill_msg },
		[FI_CQ_FORMAT_DATA] = { sizeof(struct fi_cq_data_entry),
					weft_cq_fill_data },
		[FI_CQ_FORMAT_TAGGED] = { sizeof(struct fi_cq_tagged_entry),
					  weft_cq_fill_tagged },
	};
	struct weft_domain *domain;
	enum fi_cq_format format;
	struct weft_cq *cq;
	size_t size, ring = 1;
	bool locked;
	int ret;

	if (!domain_fid || !attr || !cq_out)
		return -FI_EINVAL;
	ret = weft_cq_check_attr(attr, &format, &size);
	if (ret)
		return ret;
	domain = weft_domain_of(domain_fid);
	while (ring < size)
		ring <<= 1;

	cq = calloc(1, sizeof(*cq));
	if (!cq)
		return -FI_ENOMEM;
	cq->ring = calloc(ring, sizeof(*cq->ring));
	if (!cq->ring) {
		ret = -FI_ENOMEM;
		goto err_free_cq;
	}
	locked = weft_threading_needs_lock(domain->threading);
	if (weft_lock_init(&cq->lock, locked)) {
		ret = -FI_ENOMEM;
		goto err_free_ring;
	}
	ret = weft_wait_init(&cq->wait, attr->wait_obj);
	if (ret)
		goto err_destroy_lock;
	ret = weft_progress_set_init(&cq->progress, locked, &cq->wait);
	if (ret)
		goto err_fini_wait;

	cq->cq_fid.fid.fclass = FI_CLASS_CQ;
	cq->cq_fid.fid.context = context;
	cq->cq_fid.fid.ops = &weft_cq_fi_ops;
	cq->cq_fid.ops = &weft_cq_ops;
	cq->domain = domain;
	cq->format = format;
	cq->entry_size = formats[format].size;
	cq->fill = formats[format].fill;
	cq->ring_mask = ring - 1;
	weft_list_init(&cq->overflow);
	weft_list_init(&cq->errors);
	cq->wait_cond = attr->wait_cond;
	atomic_init(&cq->signal_gen, 0);
	atomic_init(&cq->signal_sticky, false);
	atomic_init(&cq->in_sread, 0);
	atomic_init(&cq->ref, 0);
	atomic_fetch_add(&domain->ref, 1);
	*cq_out = &cq->cq_fid;
	return 0;

err_fini_wait:
	weft_wait_fini(&cq->wait);
err_destroy_lock:
	weft_lock_destroy(&cq->lock);
err_free_ring:
	free(cq->ring);
err_free_cq:
	free(cq);
	return ret;
}

bool weft_api_before_1_5(const struct weft_fabric *fabric)
{
	uint32_t v = fabric ? fabric->fabric_fid.api_version : 0;

	return v && v < FI_VERSION(1, 5);
}

/* ---- strerror shared by CQs and EQs ----------------------------------- */

const char *weft_strerror_prov(int prov_errno, char *buf, size_t len)
{
	static _Thread_local char tls[160];
	char tmp[128];
	const char *msg;
	int e = prov_errno < 0 ? -prov_errno : prov_errno;

	if (!buf || !len) {
		buf = tls;
		len = sizeof(tls);
	}
	if (!e) {
		snprintf(buf, len, "no provider error");
		return buf;
	}
	/* weft's providers report errno values (a failed socket call) or
	 * FI_E* codes as prov_errno; both have readable names. */
	if (e >= FI_ERRNO_OFFSET)
		msg = fi_strerror(e);
	else
		msg = strerror_r(e, tmp, sizeof(tmp));
	snprintf(buf, len, "%s (prov_errno %d)", msg, prov_errno);
	return buf;
}
