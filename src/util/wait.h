/* Wait objects for CQs, counters and EQs.
 *
 * FI_WAIT_FD and FI_WAIT_UNSPEC both use an epoll fd ("the wait fd") that
 * contains an eventfd (signalled by weft_wait_signal: a completion written
 * from another thread, fi_cq_signal, an EQ event) plus every fd the bound
 * endpoints asked to be woken by (their sockets). The wait fd becomes
 * readable when any of them is, so an application that gets it through
 * fi_control(FI_GETWAIT) can sleep in its own epoll, and a blocking read
 * (fi_cq_sread) sleeps in poll() on it and then drives progress.
 *
 * FI_WAIT_NONE and FI_WAIT_YIELD have no fd: blocking reads on them spin
 * (drive progress, sched_yield) until the condition, a signal or the
 * timeout. fi_cq(3) calls sread on FI_WAIT_NONE invalid; weft accepts it
 * because applications (fabtests' counter waits) rely on it.
 *
 * Endpoint fds are edge-triggered: the wait fd wakes when new data arrives
 * on an endpoint's socket, not for as long as unconsumed data sits there
 * (a udp endpoint leaves datagrams in the kernel until a receive is
 * posted; level-triggered, every waiter would spin). weft_wait_clear
 * harvests those edges. What progress leaves behind is picked up by the
 * progress every read/trywait runs first, and every WEFT_PROGRESS_SLICE_MS
 * while a thread blocks (cq.h).
 *
 * Keeping the data path free of syscalls: weft_wait_signal writes the
 * eventfd only if somebody may be looking at it (a thread sleeping in
 * weft_wait_sleep, counted in `sleepers`, or an application that took the
 * fd with FI_GETWAIT, `exported`), and only once until the next
 * weft_wait_clear (`pending`). Invariant: pending == true implies the
 * eventfd is readable or is about to be written by the thread that set it.
 */
#ifndef WEFT_UTIL_WAIT_H
#define WEFT_UTIL_WAIT_H

#include <rdma/fabric.h>
#include <rdma/fi_eq.h>
#include <stdatomic.h>
#include <stdbool.h>

struct weft_wait {
	enum fi_wait_obj type; /* FI_WAIT_NONE, _UNSPEC, _FD or _YIELD */
	int epfd;              /* -1 without an fd */
	int evfd;              /* eventfd inside epfd, -1 without an fd */
	atomic_int sleepers;   /* threads inside a blocking call that may
				  sleep on epfd; see weft_wait_signal */
	atomic_bool exported;  /* the fd was handed out by FI_GETWAIT */
	atomic_bool pending;   /* eventfd written since the last clear */
	atomic_int nfds;       /* endpoint fds added (edges to harvest) */
};

/* type FI_WAIT_UNSPEC is stored as is but behaves as FI_WAIT_FD.
 * Anything else (FI_WAIT_SET, FI_WAIT_MUTEX_COND, FI_WAIT_POLLFD...) answers
 * -FI_ENOSYS; an out-of-range value -FI_EINVAL. */
int weft_wait_init(struct weft_wait *w, enum fi_wait_obj type);
void weft_wait_fini(struct weft_wait *w);

static inline bool weft_wait_has_fd(const struct weft_wait *w)
{
	return w->epfd >= 0;
}

/* Add/remove an fd whose readability should wake waiters (an endpoint's
 * socket). Control path only. Adding an fd twice or removing one that is
 * not there is not an error. 0 without an fd (nothing to wake). */
int weft_wait_add_fd(struct weft_wait *w, int fd);
int weft_wait_del_fd(struct weft_wait *w, int fd);

/* Wake anyone sleeping on w (write the eventfd) if someone may be sleeping
 * or watching the fd; free when nobody is. The caller has made the reason
 * (a queued entry, a counter update) visible before calling: see the owning
 * object for the ordering it relies on. */
void weft_wait_signal(struct weft_wait *w);
/* Whether a signal is needed now: a thread sleeps or the fd is out. A
 * queue with a lock reads this under it (see weft_cq_write) and calls
 * weft_wait_signal_force after unlocking. */
static inline bool weft_wait_should_signal(struct weft_wait *w)
{
	return w->epfd >= 0 &&
	       (atomic_load(&w->sleepers) || atomic_load(&w->exported));
}
/* Same as weft_wait_signal, even if nobody seems to be looking
 * (fi_cq_signal, or after weft_wait_should_signal). */
void weft_wait_signal_force(struct weft_wait *w);
/* Drain the eventfd and harvest endpoint-fd edges, so that the fd only
 * becomes readable again on a new signal or new data. Callers clear, then
 * drive progress and check their queue, never the other way round, so a
 * signal or datagram racing with the clear is never lost. */
void weft_wait_clear(struct weft_wait *w);

/* Sleep until w is readable or timeout_ms passes (-1: forever).
 * 0 when readable, -FI_ETIMEDOUT, -FI_EINTR, or another -FI_E*.
 * Without an fd: sched_yield() and 0. The caller counts itself in
 * w->sleepers (under the owning object's lock) before its last check of
 * the condition. */
int weft_wait_sleep(struct weft_wait *w, int timeout_ms);

/* fi_control(FI_GETWAIT / FI_GETWAITOBJ) for the object owning w. */
int weft_wait_control(struct weft_wait *w, int command, void *arg);

/* Deadlines for the blocking calls: a timeout in ms (<0: forever) turned
 * into an absolute monotonic time and back into the ms left. */
uint64_t weft_wait_deadline(int timeout_ms);
/* -1 for no deadline, 0 once passed. */
int weft_wait_remaining(uint64_t deadline);

#endif
