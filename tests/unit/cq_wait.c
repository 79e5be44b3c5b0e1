/* CQ blocking reads and wait objects: sread timeout, a thread blocked in
 * sread woken by a write / by fi_cq_signal, FI_GETWAIT fd readable after a
 * write and after a bound endpoint's fd, fi_trywait per CQ, progress driven
 * while waiting, FI_WAIT_NONE / YIELD spinning, the threshold condition. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <rdma/fi_domain.h>
#include <rdma/fi_eq.h>

#include "testlib.h"
#include "util/cq.h"
#include "util/ep.h"
#include "util/fabric.h"

static struct weft_domain dom;

static struct fid_cq *open_cq(enum fi_wait_obj wait, enum fi_cq_wait_cond c)
{
	struct fi_cq_attr attr = { .format = FI_CQ_FORMAT_MSG, .size = 16,
				   .wait_obj = wait, .wait_cond = c };
	struct fid_cq *cq;

	CHECK_OK(weft_cq_open(&dom.domain_fid, &attr, &cq, NULL));
	return cq;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static bool fd_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

static void test_timeout(enum fi_wait_obj wait)
{
	struct fid_cq *cq = open_cq(wait, FI_CQ_COND_NONE);
	struct fi_cq_msg_entry m;
	double t0 = now_ms(), dt;

	CHECK_RET(fi_cq_sread(cq, &m, 1, NULL, 100), -FI_EAGAIN);
	dt = now_ms() - t0;
	CHECK(dt >= 95 && dt < 1000);
	t0 = now_ms();
	CHECK_RET(fi_cq_sread(cq, &m, 1, NULL, 0), -FI_EAGAIN);
	CHECK(now_ms() - t0 < 50);
	/* Something queued: no wait at all. */
	CHECK_OK(weft_cq_write(weft_cq_of(cq), (void *)9, FI_RECV, 3, NULL, 0,
			       0, 0));
	CHECK_RET(fi_cq_sread(cq, &m, 1, NULL, -1), 1);
	CHECK(m.op_context == (void *)9 && m.len == 3);
	CHECK_RET(fi_cq_sread(cq, NULL, 1, NULL, 0), -FI_EINVAL);
	CHECK_OK(fi_close(&cq->fid));
}

struct sreader {
	struct fid_cq *cq;
	int timeout;
	const void *cond;
	size_t count;
	ssize_t ret;
	struct fi_cq_msg_entry m[8];
	double waited;
	atomic_int started;
};

static void *sread_thread(void *arg)
{
	struct sreader *r = arg;
	double t0 = now_ms();

	atomic_store(&r->started, 1);
	r->ret = fi_cq_sread(r->cq, r->m, r->count ? r->count : 1, r->cond,
			     r->timeout);
	r->waited = now_ms() - t0;
	return NULL;
}

static void start_reader(pthread_t *th, struct sreader *r)
{
	CHECK(pthread_create(th, NULL, sread_thread, r) == 0);
	while (!atomic_load(&r->started))
		sched_yield();
	sleep_ms(50); /* let it reach the sleep */
}

static void test_woken_by_write(enum fi_wait_obj wait)
{
	struct sreader r = { .cq = open_cq(wait, FI_CQ_COND_NONE),
			     .timeout = 5000 };
	pthread_t th;

	start_reader(&th, &r);
	CHECK_OK(weft_cq_write(weft_cq_of(r.cq), (void *)5, FI_SEND, 0, NULL,
			       0, 0, 0));
	pthread_join(th, NULL);
	CHECK_RET(r.ret, 1);
	CHECK(r.m[0].op_context == (void *)5);
	CHECK(r.waited < 2000);

	/* An error entry also ends the wait, with -FI_EAVAIL. */
	r = (struct sreader){ .cq = r.cq, .timeout = 5000 };
	start_reader(&th, &r);
	{
		struct fi_cq_err_entry e = { .err = FI_EIO };
		CHECK_OK(weft_cq_write_error(weft_cq_of(r.cq), &e, 0));
	}
	pthread_join(th, NULL);
	CHECK_RET(r.ret, -FI_EAVAIL);
	CHECK_OK(fi_close(&r.cq->fid));
}

static void test_signal(enum fi_wait_obj wait)
{
	struct sreader r = { .cq = open_cq(wait, FI_CQ_COND_NONE),
			     .timeout = -1 };
	struct sreader r2 = { .cq = r.cq, .timeout = -1 };
	pthread_t th, th2;
	struct fi_cq_msg_entry m;

	/* Two threads blocked forever: one fi_cq_signal unblocks both. */
	start_reader(&th, &r);
	start_reader(&th2, &r2);
	CHECK_OK(fi_cq_signal(r.cq));
	pthread_join(th, NULL);
	pthread_join(th2, NULL);
	CHECK_RET(r.ret, -FI_EAGAIN);
	CHECK_RET(r2.ret, -FI_EAGAIN);

	/* A signal with nobody inside is kept for the next sread (the
	 * thread about to block must not miss it), once. */
	CHECK_OK(fi_cq_signal(r.cq));
	CHECK_RET(fi_cq_sread(r.cq, &m, 1, NULL, -1), -FI_EAGAIN);
	CHECK_RET(fi_cq_sread(r.cq, &m, 1, NULL, 20), -FI_EAGAIN);

	/* fi_cq(3): a signalled sread returns -FI_EAGAIN only when there is
	 * nothing to read; a kept signal must not hide a queued entry. */
	CHECK_OK(weft_cq_write(weft_cq_of(r.cq), (void *)7, FI_SEND, 0, NULL,
			       0, 0, 0));
	CHECK_OK(fi_cq_signal(r.cq));
	CHECK_RET(fi_cq_sread(r.cq, &m, 1, NULL, -1), 1);
	CHECK(m.op_context == (void *)7);
	CHECK_OK(fi_close(&r.cq->fid));
}

static void test_threshold(void)
{
	struct sreader r = { .cq = open_cq(FI_WAIT_FD, FI_CQ_COND_THRESHOLD),
			     .timeout = 5000, .count = 8,
			     .cond = (const void *)(uintptr_t)3 };
	struct weft_cq *cq = weft_cq_of(r.cq);
	pthread_t th;

	start_reader(&th, &r);
	CHECK_OK(weft_cq_write(cq, (void *)1, FI_SEND, 0, NULL, 0, 0, 0));
	sleep_ms(30);
	CHECK_OK(weft_cq_write(cq, (void *)2, FI_SEND, 0, NULL, 0, 0, 0));
	sleep_ms(30);
	CHECK_OK(weft_cq_write(cq, (void *)3, FI_SEND, 0, NULL, 0, 0, 0));
	pthread_join(th, NULL);
	CHECK_RET(r.ret, 3); /* waited for all three */

	/* Below the threshold at the timeout: what is there is returned. */
	CHECK_OK(weft_cq_write(cq, (void *)4, FI_SEND, 0, NULL, 0, 0, 0));
	CHECK_RET(fi_cq_sread(r.cq, r.m, 8, (const void *)(uintptr_t)3, 50),
		  1);
	CHECK_OK(fi_close(&r.cq->fid));
}

/* A fake endpoint: its "socket" is a pipe; progress drains the pipe and
 * turns each byte into a completion, as a provider would. */
struct fake_ep {
	struct weft_ep ep;
	int pipe[2];
	struct weft_cq *cq;
	atomic_int calls;
	atomic_bool hold; /* like udp with no receive posted: leave the data */
};

static void fake_progress(struct weft_ep *ep)
{
	struct fake_ep *f = weft_container_of(ep, struct fake_ep, ep);
	char c;

	atomic_fetch_add(&f->calls, 1);
	if (atomic_load(&f->hold))
		return;
	while (read(f->pipe[0], &c, 1) == 1)
		CHECK_OK(weft_cq_write(f->cq, (void *)(uintptr_t)c, FI_RECV,
				       1, NULL, 0, 0, 0));
}

static void fake_ep_init(struct fake_ep *f, struct weft_cq *cq)
{
	memset(f, 0, sizeof(*f));
	CHECK(pipe2(f->pipe, O_NONBLOCK) == 0);
	f->ep.progress = fake_progress;
	f->ep.wait_fd = f->pipe[0];
	f->cq = cq;
}

static void test_getwait_fd(void)
{
	struct fid_cq *fid = open_cq(FI_WAIT_FD, FI_CQ_COND_NONE);
	struct weft_cq *cq = weft_cq_of(fid);
	struct fi_cq_msg_entry m[4];
	enum fi_wait_obj obj = FI_WAIT_NONE;
	struct fake_ep f;
	int fd = -1;

	CHECK_RET(fi_control(&fid->fid, FI_GETWAIT, NULL), -FI_EINVAL);
	CHECK_OK(fi_control(&fid->fid, FI_GETWAIT, &fd));
	CHECK(fd >= 0);
	CHECK_OK(fi_control(&fid->fid, FI_GETWAITOBJ, &obj));
	CHECK(obj == FI_WAIT_FD);

	/* Empty: trywait says "go to sleep", the fd is quiet. */
	CHECK_OK(weft_cq_trywait(cq));
	CHECK(!fd_readable(fd, 0));

	/* A completion makes the fd readable; trywait then says "read". */
	CHECK_OK(weft_cq_write(cq, (void *)1, FI_SEND, 0, NULL, 0, 0, 0));
	CHECK(fd_readable(fd, 1000));
	CHECK_RET(weft_cq_trywait(cq), -FI_EAGAIN);
	CHECK_RET(fi_cq_read(fid, m, 4), 1);
	CHECK_OK(weft_cq_trywait(cq));
	CHECK(!fd_readable(fd, 0));

	/* A bound endpoint's fd wakes the CQ fd; progress (run by trywait or
	 * read) turns the data into a completion. */
	fake_ep_init(&f, cq);
	CHECK_OK(weft_cq_add_ep(cq, &f.ep));
	CHECK_OK(weft_cq_trywait(cq));
	CHECK(!fd_readable(fd, 0));
	CHECK(write(f.pipe[1], "A", 1) == 1);
	CHECK(fd_readable(fd, 1000));
	CHECK_RET(weft_cq_trywait(cq), -FI_EAGAIN);
	CHECK_RET(fi_cq_read(fid, m, 4), 1);
	CHECK(m[0].op_context == (void *)'A');
	CHECK_OK(weft_cq_trywait(cq));
	CHECK(!fd_readable(fd, 0));

	/* sread is woken by the endpoint fd too, and drives progress. */
	{
		struct sreader r = { .cq = fid, .timeout = 5000 };
		pthread_t th;
		start_reader(&th, &r);
		CHECK(write(f.pipe[1], "B", 1) == 1);
		pthread_join(th, NULL);
		CHECK_RET(r.ret, 1);
		CHECK(r.m[0].op_context == (void *)'B');
		CHECK(r.waited < 2000);
	}

	/* Data progress cannot take yet (no receive posted) wakes the fd
	 * once, not for as long as it sits there: no spinning waiters. */
	atomic_store(&f.hold, true);
	CHECK(write(f.pipe[1], "D", 1) == 1);
	CHECK(fd_readable(fd, 1000));
	CHECK_OK(weft_cq_trywait(cq));
	CHECK(!fd_readable(fd, 0));
	{
		/* A blocked sread does not spin on it either: it wakes once per
		 * progress slice, not thousands of times. */
		struct fi_cq_msg_entry mm;
		int before = atomic_load(&f.calls);
		CHECK_RET(fi_cq_sread(fid, &mm, 1, NULL, 200), -FI_EAGAIN);
		CHECK(atomic_load(&f.calls) - before < 200 / 5);
		CHECK(atomic_load(&f.calls) - before >= 3); /* sliced */
	}
	/* New data is a new edge. */
	CHECK(write(f.pipe[1], "E", 1) == 1);
	CHECK(fd_readable(fd, 1000));
	/* Once the receive is "posted", the next look delivers both. */
	atomic_store(&f.hold, false);
	CHECK_RET(weft_cq_trywait(cq), -FI_EAGAIN);
	CHECK_RET(fi_cq_read(fid, m, 4), 2);
	CHECK(m[0].op_context == (void *)'D' && m[1].op_context == (void *)'E');
	CHECK_OK(weft_cq_trywait(cq));
	CHECK(!fd_readable(fd, 0));

	/* After unbinding, the pipe no longer wakes the CQ. */
	weft_cq_remove_ep(cq, &f.ep);
	CHECK(write(f.pipe[1], "C", 1) == 1);
	CHECK_OK(weft_cq_trywait(cq));
	CHECK(!fd_readable(fd, 50));
	close(f.pipe[0]);
	close(f.pipe[1]);
	CHECK_OK(fi_close(&fid->fid));

	/* No fd for FI_WAIT_NONE; UNSPEC has one. */
	fid = open_cq(FI_WAIT_NONE, FI_CQ_COND_NONE);
	CHECK_RET(fi_control(&fid->fid, FI_GETWAIT, &fd), -FI_ENODATA);
	CHECK_OK(fi_control(&fid->fid, FI_GETWAITOBJ, &obj));
	CHECK(obj == FI_WAIT_NONE);
	CHECK_RET(weft_cq_trywait(weft_cq_of(fid)), -FI_EINVAL);
	CHECK_OK(fi_close(&fid->fid));
	fid = open_cq(FI_WAIT_UNSPEC, FI_CQ_COND_NONE);
	CHECK_OK(fi_control(&fid->fid, FI_GETWAIT, &fd));
	CHECK_OK(fi_close(&fid->fid));
}

/* Manual progress: sread keeps calling progress while waiting; a
 * completion produced by progress (no fd involved) ends it. */
static atomic_int countdown;
static struct weft_cq *progress_cq;
static void countdown_progress(struct weft_ep *ep)
{
	(void)ep;
	if (atomic_fetch_sub(&countdown, 1) == 1)
		CHECK_OK(weft_cq_write(progress_cq, (void *)77, FI_SEND, 0,
				       NULL, 0, 0, 0));
}

static void test_progress_driven(enum fi_wait_obj wait)
{
	struct fid_cq *fid = open_cq(wait, FI_CQ_COND_NONE);
	struct weft_ep ep = { .progress = countdown_progress, .wait_fd = -1 };
	struct fi_cq_msg_entry m;

	progress_cq = weft_cq_of(fid);
	atomic_store(&countdown, 3);
	CHECK_OK(weft_cq_add_ep(progress_cq, &ep));
	/* With an fd, nothing wakes the sleeper but the timeout slices; use
	 * reads in a loop like an application polling. */
	for (int i = 0; i < 2; i++)
		CHECK_RET(fi_cq_read(fid, &m, 1), -FI_EAGAIN);
	CHECK_RET(fi_cq_read(fid, &m, 1), 1);
	CHECK(m.op_context == (void *)77);
	/* No fd (YIELD/NONE): sread spins on progress. */
	if (wait == FI_WAIT_NONE || wait == FI_WAIT_YIELD) {
		atomic_store(&countdown, 50);
		CHECK_RET(fi_cq_sread(fid, &m, 1, NULL, 5000), 1);
		CHECK(atomic_load(&countdown) <= 0);
	}
	weft_cq_remove_ep(progress_cq, &ep);
	CHECK_OK(fi_close(&fid->fid));
}

/* Many writers, one sread consumer: nothing lost, no hang. */
struct writer {
	struct weft_cq *cq;
	int n;
};
static void *writer_thread(void *arg)
{
	struct writer *w = arg;
	for (int i = 0; i < w->n; i++) {
		CHECK_OK(weft_cq_write(w->cq, (void *)(uintptr_t)(i + 1),
				       FI_SEND, 0, NULL, 0, 0, 0));
		if (i % 64 == 0)
			sched_yield();
	}
	return NULL;
}

static void test_stress(void)
{
	struct fid_cq *fid = open_cq(FI_WAIT_FD, FI_CQ_COND_NONE);
	struct writer w = { weft_cq_of(fid), 20000 };
	pthread_t th[2];
	struct fi_cq_msg_entry m[16];
	int got = 0;

	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&th[i], NULL, writer_thread, &w) == 0);
	while (got < 2 * w.n) {
		ssize_t n = fi_cq_sread(fid, m, 16, NULL, 5000);
		CHECK(n > 0);
		got += (int)n;
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK_RET(fi_cq_read(fid, m, 16), -FI_EAGAIN);
	CHECK_OK(fi_close(&fid->fid));
}

int main(void)
{
	dom.threading = FI_THREAD_SAFE;
	test_timeout(FI_WAIT_FD);
	test_timeout(FI_WAIT_NONE);
	test_timeout(FI_WAIT_YIELD);
	test_woken_by_write(FI_WAIT_FD);
	test_woken_by_write(FI_WAIT_UNSPEC);
	test_woken_by_write(FI_WAIT_YIELD);
	test_signal(FI_WAIT_FD);
	test_signal(FI_WAIT_NONE);
	test_threshold();
	test_getwait_fd();
	test_progress_driven(FI_WAIT_FD);
	test_progress_driven(FI_WAIT_NONE);
	test_progress_driven(FI_WAIT_YIELD);
	test_stress();
	return 0;
}
