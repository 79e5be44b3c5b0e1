/* A progress thread: FI_PROGRESS_AUTO for a provider whose progress is
 * otherwise driven by the application's calls (CQ, counter and EQ reads).
 *
 * One thread per owner (a provider starts one per domain that asked for
 * automatic progress). Endpoints are added with their wait fd (an fd that
 * becomes readable when the endpoint has something to do: a socket, or an
 * epoll fd holding its sockets) and their progress function; the thread
 * sleeps in epoll_wait on those fds and calls the progress function of
 * each endpoint whose fd is ready. So a process that posted a send and
 * then blocked outside the library (a pipe read, a sleep) still gets its
 * data moved and its peer's data received.
 *
 * The application's own calls keep driving progress as before (CQ reads
 * run the progress set), so the thread stays out of the way of an
 * application that polls: the provider calls weft_progress_note_app() from
 * its progress function, and while those calls keep coming the thread
 * only looks every WEFT_PROGRESS_IDLE_US instead of competing for the
 * endpoint locks. When they stop, the thread takes over within that time.
 *
 * Locks: the endpoint's progress function takes the endpoint's own lock,
 * which must therefore be a real mutex whatever the threading level
 * (weft_ep_needs_lock's comment); so must every lock that function takes
 * (CQ, counter, domain). `lock` below serialises the thread's progress
 * calls with weft_progress_thread_remove(): once remove returns, the
 * thread will never call that endpoint again. Never call add/remove while
 * holding an endpoint lock.
 */
#ifndef WEFT_UTIL_PROGRESS_H
#define WEFT_UTIL_PROGRESS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct weft_ep;

/* How long the thread leaves progress to an application that is driving
 * it itself before looking again (microseconds). */
#define WEFT_PROGRESS_IDLE_US 1000

struct weft_progress_thread {
	pthread_t thread;
	int epfd;                 /* the endpoints' wait fds, and wake_fd */
	int wake_fd;              /* eventfd: added endpoints, stop */
	bool running;             /* between start and stop (owner's view) */
	atomic_bool stop;
	pthread_mutex_t lock;     /* held by the thread around progress calls,
				   * and by remove */
	uint64_t gen;             /* under lock: bumped by every remove, so
				   * events fetched before it are dropped */
	size_t count;             /* under lock: endpoints added */
	/* Bumped (relaxed) by the application's progress calls; the thread
	 * reads it to tell whether the application is polling. */
	atomic_uint_fast64_t app_calls;
	/* Statistics (the thread writes, anyone may read relaxed). */
	atomic_uint_fast64_t wakeups, rounds;
};

/* Start the thread. 0, or a negative FI_E* (no fds, no thread). */
int weft_progress_thread_start(struct weft_progress_thread *pt);
/* Stop and join the thread (every endpoint should have been removed; any
 * left are forgotten, not progressed). Safe on a thread never started. */
void weft_progress_thread_stop(struct weft_progress_thread *pt);
/* Watch ep->wait_fd; call ep->progress(ep) when it is ready. Wakes the
 * thread so the new endpoint is looked at at once. 0 or -FI_E*. */
int weft_progress_thread_add(struct weft_progress_thread *pt,
			     struct weft_ep *ep);
/* Stop watching ep. When it returns, no progress call on ep is running
 * or will start from the thread. */
void weft_progress_thread_remove(struct weft_progress_thread *pt,
				 struct weft_ep *ep);
/* Whether the calling thread is a progress thread. */
bool weft_progress_thread_self(void);

/* Called by a provider's progress function: when the caller is the
 * application (not the thread), note that the application is driving
 * progress. One relaxed load and store. */
static inline void weft_progress_note_app(struct weft_progress_thread *pt)
{
	if (pt && !weft_progress_thread_self()) {
		uint_fast64_t n = atomic_load_explicit(&pt->app_calls,
						       memory_order_relaxed);

		/* A lost increment between two application threads does
		 * not matter: any change means "the application polls". */
		atomic_store_explicit(&pt->app_calls, n + 1,
				      memory_order_relaxed);
	}
}

#endif
