/* Wait objects: kinds, signal only when someone looks, clear, extra fds,
 * sleep timeout, deadlines, control. */
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "util/wait.h"

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, 0) == 1;
}

int main(void)
{
	struct weft_wait w;
	enum fi_wait_obj obj;
	int fd, pfd[2];

	CHECK_OK(weft_wait_init(&w, FI_WAIT_NONE));
	CHECK(!weft_wait_has_fd(&w));
	weft_wait_signal(&w);
	weft_wait_signal_force(&w);
	weft_wait_clear(&w);
	CHECK_OK(weft_wait_add_fd(&w, 0)); /* nothing to add to */
	CHECK_OK(weft_wait_sleep(&w, 0));  /* a yield */
	CHECK_RET(weft_wait_control(&w, FI_GETWAIT, &fd), -FI_ENODATA);
	CHECK_OK(weft_wait_control(&w, FI_GETWAITOBJ, &obj));
	CHECK(obj == FI_WAIT_NONE);
	weft_wait_fini(&w);

	CHECK_RET(weft_wait_init(&w, FI_WAIT_SET), -FI_ENOSYS);
	CHECK_RET(weft_wait_init(&w, FI_WAIT_MUTEX_COND), -FI_ENOSYS);
	CHECK_RET(weft_wait_init(&w, FI_WAIT_POLLFD), -FI_ENOSYS);
	CHECK_RET(weft_wait_init(&w, (enum fi_wait_obj)50), -FI_EINVAL);

	CHECK_OK(weft_wait_init(&w, FI_WAIT_FD));
	CHECK(weft_wait_has_fd(&w));
	/* Nobody looking: a signal is free and leaves the fd quiet. */
	weft_wait_signal(&w);
	CHECK(!readable(w.epfd));
	/* A sleeper counted: the signal writes. */
	atomic_fetch_add(&w.sleepers, 1);
	weft_wait_signal(&w);
	CHECK(readable(w.epfd));
	CHECK_OK(weft_wait_sleep(&w, 1000));
	atomic_fetch_sub(&w.sleepers, 1);
	weft_wait_clear(&w);
	CHECK(!readable(w.epfd));
	{
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		CHECK_RET(weft_wait_sleep(&w, 50), -FI_ETIMEDOUT);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		CHECK((t1.tv_sec - t0.tv_sec) * 1000 +
			      (t1.tv_nsec - t0.tv_nsec) / 1000000 >=
		      49);
	}
	/* Handing the fd out makes every signal count. */
	CHECK_OK(weft_wait_control(&w, FI_GETWAIT, &fd));
	CHECK(fd == w.epfd);
	weft_wait_signal(&w);
	weft_wait_signal(&w); /* second one: no syscall, still readable */
	CHECK(readable(fd));
	weft_wait_clear(&w);
	CHECK(!readable(fd));
	weft_wait_signal_force(&w);
	CHECK(readable(fd));
	weft_wait_clear(&w);

	/* Extra fds: readable pipe wakes the wait fd; twice-added is fine,
	 * removed is quiet again. */
	CHECK(pipe2(pfd, O_NONBLOCK) == 0);
	CHECK_OK(weft_wait_add_fd(&w, pfd[0]));
	CHECK_OK(weft_wait_add_fd(&w, pfd[0]));
	CHECK(!readable(fd));
	CHECK(write(pfd[1], "x", 1) == 1);
	CHECK(readable(fd));
	CHECK_OK(weft_wait_del_fd(&w, pfd[0]));
	CHECK_OK(weft_wait_del_fd(&w, pfd[0]));
	CHECK(!readable(fd));
	CHECK_RET(weft_wait_add_fd(&w, -1), -FI_EINVAL);
	CHECK_RET(weft_wait_control(&w, FI_GETWAIT, NULL), -FI_EINVAL);
	CHECK_RET(weft_wait_control(&w, 9999, &fd), -FI_ENOSYS);
	close(pfd[0]);
	close(pfd[1]);
	weft_wait_fini(&w);

	/* UNSPEC behaves as FD. */
	CHECK_OK(weft_wait_init(&w, FI_WAIT_UNSPEC));
	CHECK(weft_wait_has_fd(&w));
	CHECK_OK(weft_wait_control(&w, FI_GETWAITOBJ, &obj));
	CHECK(obj == FI_WAIT_FD);
	weft_wait_fini(&w);

	/* Deadlines. */
	CHECK(weft_wait_remaining(weft_wait_deadline(-1)) == -1);
	CHECK(weft_wait_remaining(weft_wait_deadline(0)) == 0);
	{
		int left = weft_wait_remaining(weft_wait_deadline(500));
		CHECK(left > 400 && left <= 500);
	}
	return 0;
}
