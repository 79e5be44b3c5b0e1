/* The progress thread (progress.h). */
#include <errno.h>
#include <rdma/fi_errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "util/ep.h"
#include "util/progress.h"

#define WEFT_PROGRESS_EVENTS 64
/* When the fds stay ready round after round (an endpoint waiting for a
 * receive to be posted keeps its socket readable), the thread backs off
 * from BACKOFF_MIN_US, doubling, up to WEFT_PROGRESS_IDLE_US. */
#define WEFT_PROGRESS_BUSY_ROUNDS 16
#define WEFT_PROGRESS_BACKOFF_MIN_US 20

static _Thread_local bool on_progress_thread;

bool weft_progress_thread_self(void)
{
	return on_progress_thread;
}

static void sleep_us(long us)
{
	struct timespec ts = { .tv_sec = us / 1000000,
			       .tv_nsec = (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void drain_wake(struct weft_progress_thread *pt)
{
	uint64_t v;

	while (read(pt->wake_fd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

/* epoll_wait, noting the removal generation first: events fetched while
 * an endpoint is removed are dropped (run_batch). */
static int fetch(struct weft_progress_thread *pt, struct epoll_event *ev,
		 int timeout, uint64_t *gen)
{
	pthread_mutex_lock(&pt->lock);
	*gen = pt->gen;
	pthread_mutex_unlock(&pt->lock);
	return epoll_wait(pt->epfd, ev, WEFT_PROGRESS_EVENTS, timeout);
}

static void run_batch(struct weft_progress_thread *pt, struct epoll_event *ev,
		      int n, uint64_t gen)
{
	pthread_mutex_lock(&pt->lock);
	/* An endpoint removed since epoll_wait began may be gone: drop this
	 * batch (level-triggered: nothing is lost). */
	if (pt->gen == gen) {
		for (int i = 0; i < n; i++) {
			struct weft_ep *ep = ev[i].data.ptr;

			if (ep) /* NULL: wake_fd */
				ep->progress(ep);
		}
		atomic_fetch_add_explicit(&pt->rounds, 1,
					  memory_order_relaxed);
	}
	pthread_mutex_unlock(&pt->lock);
	for (int i = 0; i < n; i++)
		if (!ev[i].data.ptr)
			drain_wake(pt);
}

static void *progress_main(void *arg)
{
	struct weft_progress_thread *pt = arg;
	struct epoll_event ev[WEFT_PROGRESS_EVENTS];
	uint_fast64_t seen = atomic_load(&pt->app_calls);
	unsigned busy = 0;
	long backoff = WEFT_PROGRESS_BACKOFF_MIN_US;

	on_progress_thread = true;
	while (!atomic_load_explicit(&pt->stop, memory_order_acquire)) {
		uint_fast64_t now_calls;
		uint64_t gen;
		int n = fetch(pt, ev, busy ? 0 : -1, &gen);

		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0) {
			busy = 0;
			backoff = WEFT_PROGRESS_BACKOFF_MIN_US;
			continue;
		}
		atomic_fetch_add_explicit(&pt->wakeups, 1,
					  memory_order_relaxed);
		/* The application is polling: it does the work; the thread
		 * only covers what it might not reach (endpoints bound to a
		 * CQ nobody reads), once per WEFT_PROGRESS_IDLE_US, instead
		 * of competing for the endpoint locks. */
		now_calls = atomic_load_explicit(&pt->app_calls,
						 memory_order_relaxed);
		if (now_calls != seen) {
			seen = now_calls;
			busy = 0;
			backoff = WEFT_PROGRESS_BACKOFF_MIN_US;
			sleep_us(WEFT_PROGRESS_IDLE_US);
			if (atomic_load_explicit(&pt->stop,
						 memory_order_acquire))
				break;
			n = fetch(pt, ev, 0, &gen);
			if (n <= 0)
				continue;
		}
		run_batch(pt, ev, n, gen);
		/* Ready again at once, round after round: an endpoint that
		 * cannot consume what is ready (no receive posted). Back off
		 * instead of spinning. */
		if (++busy >= WEFT_PROGRESS_BUSY_ROUNDS) {
			sleep_us(backoff);
			if (backoff < WEFT_PROGRESS_IDLE_US)
				backoff *= 2;
		}
	}
	return NULL;
}

int weft_progress_thread_start(struct weft_progress_thread *pt)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	int ret;

	memset(pt, 0, sizeof(*pt));
	pt->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (pt->epfd < 0)
		return -errno;
	pt->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (pt->wake_fd < 0) {
		ret = -errno;
		goto err_epfd;
	}
	if (epoll_ctl(pt->epfd, EPOLL_CTL_ADD, pt->wake_fd, &ev)) {
		ret = -errno;
		goto err_wake;
	}
	if (pthread_mutex_init(&pt->lock, NULL)) {
		ret = -FI_ENOMEM;
		goto err_wake;
	}
	atomic_init(&pt->stop, false);
	atomic_init(&pt->app_calls, 0);
	atomic_init(&pt->wakeups, 0);
	atomic_init(&pt->rounds, 0);
	ret = pthread_create(&pt->thread, NULL, progress_main, pt);
	if (ret) {
		ret = -ret;
		goto err_lock;
	}
	pt->running = true;
	return 0;
err_lock:
	pthread_mutex_destroy(&pt->lock);
err_wake:
	close(pt->wake_fd);
err_epfd:
	close(pt->epfd);
	return ret;
}

static void wake(struct weft_progress_thread *pt)
{
	uint64_t one = 1;

	while (write(pt->wake_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

void weft_progress_thread_stop(struct weft_progress_thread *pt)
{
	if (!pt->running)
		return;
	/* Release: the thread's acquire load of stop sees it set after its
	 * next wake-up, which the eventfd write guarantees. */
	atomic_store_explicit(&pt->stop, true, memory_order_release);
	wake(pt);
	pthread_join(pt->thread, NULL);
	pthread_mutex_destroy(&pt->lock);
	close(pt->wake_fd);
	close(pt->epfd);
	pt->running = false;
}

int weft_progress_thread_add(struct weft_progress_thread *pt,
			     struct weft_ep *ep)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ep };

	if (!pt->running || !ep || ep->wait_fd < 0 || !ep->progress)
		return -FI_EINVAL;
	pthread_mutex_lock(&pt->lock);
	if (epoll_ctl(pt->epfd, EPOLL_CTL_ADD, ep->wait_fd, &ev)) {
		int ret = -errno;

		pthread_mutex_unlock(&pt->lock);
		return ret;
	}
	pt->count++;
	pthread_mutex_unlock(&pt->lock);
	wake(pt);
	return 0;
}

void weft_progress_thread_remove(struct weft_progress_thread *pt,
				 struct weft_ep *ep)
{
	if (!pt->running || !ep || ep->wait_fd < 0)
		return;
	/* Under the lock the thread is not inside a progress call; the gen
	 * bump makes it drop events it fetched before the removal. */
	pthread_mutex_lock(&pt->lock);
	if (epoll_ctl(pt->epfd, EPOLL_CTL_DEL, ep->wait_fd, NULL) == 0)
		pt->count--;
	pt->gen++;
	pthread_mutex_unlock(&pt->lock);
}
