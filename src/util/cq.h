/* Completion queues in every format, with an error queue and wait objects.
 *
 * Entries are stored in one internal form (struct weft_cq_entry) in a ring of
 * the size the application asked for (rounded to a power of two); the read
 * calls convert to the CQ's format. When the ring is full, further entries
 * go to an overflow list (allocated: the ring size is the contract; a
 * provider that honours FI_RM_ENABLED checks weft_cq_has_room() first).
 *
 * Errors keep their place in the stream: fi_cq_read returns the entries
 * written before the oldest queued error, then -FI_EAVAIL until
 * fi_cq_readerr takes it.
 *
 * Progress: endpoints bound to the CQ are kept in a progress set; every read
 * (fi_cq_read*, sread*, fi_trywait) first calls each bound endpoint's
 * progress function. This is manual progress as fi_domain(3) defines it,
 * and it is also what makes auto progress prompt. Blocking reads sleep on
 * the wait fd (woken by writes, fi_cq_signal and the endpoints' fds) in
 * slices of WEFT_PROGRESS_SLICE_MS while endpoints are bound.
 *
 * Locks: cq->lock (a mutex unless the threading level makes the
 * application serialise the CQ with its endpoints) covers the ring,
 * overflow and error lists; it is never held while calling progress or
 * making a syscall. The progress set has its own rwlock (below).
 */
#ifndef WEFT_UTIL_CQ_H
#define WEFT_UTIL_CQ_H

#include <rdma/fabric.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_eq.h>
#include <stdatomic.h>
#include <pthread.h>
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

/* A set of endpoints whose progress functions a reader drives, and whose
 * wait fds belong in the owner's wait object. Shared by CQs, counters and
 * EQs. Changes at bind/close time only.
 *
 * Locking: when `locked`, `lock` is a writer-preferring rwlock: readers
 * (weft_progress_set_run) hold it shared while calling ep->progress, so an
 * endpoint cannot be removed (and then freed) under a running progress
 * call; add/remove hold it exclusive. Consequence for providers: never hold
 * an endpoint lock while binding/unbinding (weft_*_add_ep/remove_ep), since
 * progress takes the endpoint lock under the shared set lock. */
struct weft_progress_entry {
	struct weft_ep *ep;
	int fd;         /* ep->wait_fd when added, -1 if none */
	unsigned binds; /* the same ep may be bound twice (tx and rx) */
};

struct weft_progress_set {
	pthread_rwlock_t lock;
	bool locked;
	struct weft_wait *wait; /* fds of the eps go here; may be NULL */
	struct weft_progress_entry *eps;
	atomic_size_t count; /* written under the lock; read unlocked (relaxed)
				as a hint by run/slice */
	size_t cap;
};
int weft_progress_set_init(struct weft_progress_set *set, bool locked,
			   struct weft_wait *wait);
/* Adds a binding of ep (counted: add twice, remove twice). The first
 * binding adds ep->wait_fd (if >= 0) to the wait object. */
int weft_progress_set_add(struct weft_progress_set *set, struct weft_ep *ep);
void weft_progress_set_remove(struct weft_progress_set *set, struct weft_ep *ep);
void weft_progress_set_run(struct weft_progress_set *set);
void weft_progress_set_fini(struct weft_progress_set *set);

/* How long a blocking call may sleep before it must drive progress again:
 * `left` (ms, -1 forever) capped to WEFT_PROGRESS_SLICE_MS while endpoints
 * are bound. Progress that needs no fd to move (retransmit timers, shared
 * memory peers without a wakeup fd) thus runs at least every slice while a
 * thread blocks; fd-driven progress is woken at once by the fd. */
#define WEFT_PROGRESS_SLICE_MS 10
int weft_progress_set_slice(const struct weft_progress_set *set, int left);

struct weft_cq_overflow; /* entries that did not fit the ring */
struct weft_cq_err;      /* a queued error completion, cq.c */

struct weft_cq {
	struct fid_cq cq_fid; /* first */
	struct weft_domain *domain;
	enum fi_cq_format format;
	size_t entry_size;    /* sizeof the user-visible entry for format */
	void (*fill)(void *dst, const struct weft_cq_entry *e); /* by format */
	struct weft_lock lock; /* protects everything up to `wait` */
	struct weft_cq_entry *ring;
	uint64_t ring_mask, head, tail; /* free-running, under lock */
	struct weft_list overflow;      /* entries past the ring (rare) */
	uint64_t written, consumed;     /* entries ever queued / read: an
					   error sits between two of them */
	struct weft_list errors;        /* struct weft_cq_err, in order */
	struct weft_cq_err *last_err;   /* its err_data stays valid until the
					   next readerr */
	struct weft_wait wait;
	enum fi_cq_wait_cond wait_cond;
	atomic_uint signal_gen;         /* bumped by fi_cq_signal */
	atomic_bool signal_sticky;      /* fi_cq_signal with no sread inside */
	atomic_int in_sread;            /* threads inside sread */
	struct weft_progress_set progress;
	atomic_int ref;                 /* endpoint bindings */
};

static inline struct weft_cq *weft_cq_of(struct fid_cq *c)
{
	return weft_container_of(c, struct weft_cq, cq_fid);
}

/* The lock kind for a CQ/counter: real unless the application serialises
 * the object with every endpoint writing to it (FI_THREAD_DOMAIN,
 * FI_THREAD_COMPLETION). */
bool weft_threading_needs_lock(enum fi_threading threading);

/* fi_cq_strerror / fi_eq_strerror text: "<strerror or fi_strerror>
 * (prov_errno N)" into buf, or a thread-local buffer when buf is NULL. */
const char *weft_strerror_prov(int prov_errno, char *buf, size_t len);

/* Whether the application opened the fabric for an API before 1.5, whose
 * fi_cq_err_entry / fi_eq_err_entry end at err_data (no err_data_size). */
struct weft_fabric;
bool weft_api_before_1_5(const struct weft_fabric *fabric);

/* fi_ops_domain->cq_open, usable as is by every provider. */
int weft_cq_open(struct fid_domain *domain, struct fi_cq_attr *attr,
		 struct fid_cq **cq, void *context);

/* Write one completion. Takes the CQ lock (a real mutex unless the domain's
 * threading is FI_THREAD_DOMAIN or FI_THREAD_COMPLETION, where the
 * application serialises the CQ with its endpoints). Wakes a blocked reader
 * or an application watching the wait fd; no syscall when nobody is. Never
 * fails for lack of room: past the ring, entries go to an allocated
 * overflow list. 0 or -FI_ENOMEM. */
int weft_cq_write(struct weft_cq *cq, void *context, uint64_t flags,
		  size_t len, void *buf, uint64_t data, uint64_t tag,
		  fi_addr_t src);
/* Write an error completion: err is copied; err->err_data (err_data_size
 * bytes) is copied too and stays valid until the next fi_cq_readerr. err is
 * a positive FI_E* code, prov_errno the provider's own. */
int weft_cq_write_error(struct weft_cq *cq, const struct fi_cq_err_entry *err,
			fi_addr_t src);
bool weft_cq_has_room(struct weft_cq *cq);

/* Bind an endpoint's progress to this CQ (fi_ep_bind calls this once per
 * binding: tx and rx to the same CQ is two calls, undone by two removes).
 * Counts in cq->ref (fi_close answers -FI_EBUSY while > 0) and adds
 * ep->wait_fd to the CQ's wait fd. Do not hold ep->lock while calling. */
int weft_cq_add_ep(struct weft_cq *cq, struct weft_ep *ep);
void weft_cq_remove_ep(struct weft_cq *cq, struct weft_ep *ep);

/* For the fabric's fi_trywait: drives progress, then answers -FI_EAGAIN if
 * a completion or error is ready (the caller must read instead of sleep),
 * else 0 (safe to sleep on the wait fd). */
int weft_cq_trywait(struct weft_cq *cq);

#endif
