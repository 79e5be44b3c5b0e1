/* Wait objects for CQs, counters and EQs.
 *
 * FI_WAIT_FD and FI_WAIT_UNSPEC both use an epoll fd ("the wait fd") that
 * contains an eventfd (signalled by weft_wait_signal: a completion written
 * from another thread, fi_cq_signal, an EQ event) plus every fd the bound
 * endpoints asked to be woken by (their sockets). The wait fd becomes
 * readable when any of them is, so an application that gets it through
 * fi_control(FI_GETWAIT) can sleep in its own epoll, and a blocking read
 * (fi_cq_sread) sleeps in poll() on it and then drives progress.
 * FI_WAIT_NONE has no fd: blocking reads answer -FI_ENOSYS... see cq.c.
 */
#ifndef WEFT_UTIL_WAIT_H
#define WEFT_UTIL_WAIT_H

#include <rdma/fabric.h>
#include <rdma/fi_eq.h>
#include <stdbool.h>

struct weft_wait {
	enum fi_wait_obj type; /* FI_WAIT_NONE, FI_WAIT_UNSPEC or FI_WAIT_FD */
	int epfd;              /* -1 for FI_WAIT_NONE */
	int evfd;              /* eventfd inside epfd, -1 for FI_WAIT_NONE */
};

/* type FI_WAIT_UNSPEC is stored as is but behaves as FI_WAIT_FD.
 * Anything else (FI_WAIT_SET, FI_WAIT_MUTEX_COND, FI_WAIT_YIELD...) answers
 * -FI_ENOSYS. */
int weft_wait_init(struct weft_wait *w, enum fi_wait_obj type);
void weft_wait_fini(struct weft_wait *w);

/* Add/remove an fd whose readability should wake waiters (an endpoint's
 * socket). Control path only. */
int weft_wait_add_fd(struct weft_wait *w, int fd);
int weft_wait_del_fd(struct weft_wait *w, int fd);

/* Wake anyone sleeping on w (write the eventfd). Cheap no-op for
 * FI_WAIT_NONE. */
void weft_wait_signal(struct weft_wait *w);
/* Drain the eventfd, after the waiter has seen why it was woken. */
void weft_wait_clear(struct weft_wait *w);

/* Sleep until w is readable or timeout_ms passes (-1: forever).
 * 0 when readable, -FI_ETIMEDOUT, -FI_EINTR, or another -FI_E*. */
int weft_wait_sleep(struct weft_wait *w, int timeout_ms);

/* fi_control(FI_GETWAIT / FI_GETWAITOBJ) for the object owning w. */
int weft_wait_control(struct weft_wait *w, int command, void *arg);

#endif
