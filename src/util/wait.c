/* Wait objects: an epoll fd holding an eventfd and the endpoints' fds.
 * See wait.h for the signalling protocol (sleepers / exported / pending). */
#include "util/wait.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <rdma/fi_errno.h>

static int weft_errno_to_fi(int e)
{
	return e ? -e : -FI_EOTHER; /* FI_E* values mirror errno values */
}

int weft_wait_init(struct weft_wait *w, enum fi_wait_obj type)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ret;

	w->epfd = -1;
	w->evfd = -1;
	atomic_init(&w->sleepers, 0);
	atomic_init(&w->exported, false);
	atomic_init(&w->pending, false);
	atomic_init(&w->nfds, 0);

	switch (type) {
	case FI_WAIT_NONE:
	case FI_WAIT_YIELD:
		w->type = type;
		return 0;
	case FI_WAIT_UNSPEC:
	case FI_WAIT_FD:
		break;
	case FI_WAIT_SET:
	case FI_WAIT_MUTEX_COND:
	case FI_WAIT_POLLFD:
		return -FI_ENOSYS;
	default:
		return -FI_EINVAL;
	}

	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0)
		return weft_errno_to_fi(errno);
	w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->evfd < 0) {
		ret = weft_errno_to_fi(errno);
		goto err_close_epfd;
	}
	ev.data.fd = w->evfd;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev)) {
		ret = weft_errno_to_fi(errno);
		goto err_close_evfd;
	}
	w->type = type;
	return 0;

err_close_evfd:
	close(w->evfd);
	w->evfd = -1;
err_close_epfd:
	close(w->epfd);
	w->epfd = -1;
	return ret;
}

void weft_wait_fini(struct weft_wait *w)
{
	if (w->evfd >= 0)
		close(w->evfd);
	if (w->epfd >= 0)
		close(w->epfd);
	w->evfd = w->epfd = -1;
}

int weft_wait_add_fd(struct weft_wait *w, int fd)
{
	/* Edge-triggered: see wait.h. */
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.fd = fd };

	if (fd < 0)
		return -FI_EINVAL;
	if (!weft_wait_has_fd(w))
		return 0;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		if (errno != EEXIST)
			return weft_errno_to_fi(errno);
		return 0;
	}
	atomic_fetch_add(&w->nfds, 1);
	return 0;
}

int weft_wait_del_fd(struct weft_wait *w, int fd)
{
	if (fd < 0)
		return -FI_EINVAL;
	if (!weft_wait_has_fd(w))
		return 0;
	if (epoll_ctl(w->epfd, EPOLL_CTL_DEL, fd, NULL)) {
		if (errno != ENOENT && errno != EBADF)
			return weft_errno_to_fi(errno);
		/* EBADF: the owner closed the fd, which removed it too. */
		if (errno == ENOENT)
			return 0;
	}
	atomic_fetch_sub(&w->nfds, 1);
	return 0;
}

void weft_wait_signal_force(struct weft_wait *w)
{
	uint64_t one = 1;

	if (!weft_wait_has_fd(w))
		return;
	/* Only the thread that flips pending to true writes: later signallers
	 * see true and know the eventfd is (about to be) readable. seq_cst
	 * pairs with the store in weft_wait_clear (see there). */
	if (atomic_exchange(&w->pending, true))
		return;
	/* EAGAIN (counter at its maximum) still leaves the fd readable. */
	while (write(w->evfd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

void weft_wait_signal(struct weft_wait *w)
{
	/* Nobody sleeping and the fd never handed out: nobody to wake, and a
	 * thread that starts sleeping later counts itself in sleepers before
	 * its last look at the condition (seq_cst on both sides: either it
	 * sees our update or we see it). */
	if (weft_wait_should_signal(w))
		weft_wait_signal_force(w);
}

void weft_wait_clear(struct weft_wait *w)
{
	struct epoll_event evs[16];
	uint64_t v;
	int n;

	if (!weft_wait_has_fd(w))
		return;
	if (atomic_load(&w->pending)) {
		/* Drain first, then allow new writes: a signaller that finds
		 * pending still true between the two made its reason visible
		 * before its exchange, which precedes our store, and our
		 * caller checks the condition after the store, so it sees
		 * that reason. */
		while (read(w->evfd, &v, sizeof(v)) < 0 && errno == EINTR)
			;
		atomic_store(&w->pending, false);
	}
	/* Taking the edge-triggered endpoint events off epoll's ready list
	 * is what makes the fd quiet again; the caller's progress that
	 * follows handles whatever data they announced. */
	if (atomic_load_explicit(&w->nfds, memory_order_relaxed) > 0) {
		do {
			n = epoll_wait(w->epfd, evs, 16, 0);
		} while (n == 16 || (n < 0 && errno == EINTR));
	}
}

int weft_wait_sleep(struct weft_wait *w, int timeout_ms)
{
	struct pollfd pfd;
	int n;

	if (!weft_wait_has_fd(w)) {
		sched_yield();
		return 0;
	}
	pfd.fd = w->epfd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	n = poll(&pfd, 1, timeout_ms < 0 ? -1 : timeout_ms);
	if (n < 0)
		return errno == EINTR ? -FI_EINTR : weft_errno_to_fi(errno);
	return n ? 0 : -FI_ETIMEDOUT;
}

int weft_wait_control(struct weft_wait *w, int command, void *arg)
{
	switch (command) {
	case FI_GETWAIT:
		if (!arg)
			return -FI_EINVAL;
		if (!weft_wait_has_fd(w))
			return -FI_ENODATA;
		/* From now on the application may sleep on the fd itself, so
		 * every signal must really write the eventfd. */
		atomic_store(&w->exported, true);
		*(int *)arg = w->epfd;
		return 0;
	case FI_GETWAITOBJ:
		if (!arg)
			return -FI_EINVAL;
		*(enum fi_wait_obj *)arg =
			weft_wait_has_fd(w) ? FI_WAIT_FD : w->type;
		return 0;
	default:
		return -FI_ENOSYS;
	}
}

static uint64_t weft_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t weft_wait_deadline(int timeout_ms)
{
	if (timeout_ms < 0)
		return UINT64_MAX;
	return weft_now_ns() + (uint64_t)timeout_ms * 1000000u;
}

int weft_wait_remaining(uint64_t deadline)
{
	uint64_t now, left;

	if (deadline == UINT64_MAX)
		return -1;
	now = weft_now_ns();
	if (now >= deadline)
		return 0;
	/* Round up so that a sleep never ends just before the deadline and
	 * leaves the caller spinning on a 0 ms poll. */
	left = (deadline - now + 999999u) / 1000000u;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}
