/* Counters: read/add/set and the error side, fi_cntr_wait with a threshold
 * reached from another thread, timeout, error change, FI_GETWAIT fd,
 * trywait, progress, bad attributes, close while bound. */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <rdma/fi_domain.h>
#include <rdma/fi_eq.h>

#include "testlib.h"
#include "util/cntr.h"
#include "util/ep.h"
#include "util/fabric.h"

static struct weft_domain dom;

static struct fid_cntr *open_cntr(enum fi_wait_obj wait)
{
	struct fi_cntr_attr attr = { .events = FI_CNTR_EVENTS_COMP,
				     .wait_obj = wait };
	struct fid_cntr *c;

	CHECK_OK(weft_cntr_open(&dom.domain_fid, &attr, &c, NULL));
	return c;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
}

static void test_values(void)
{
	struct fid_cntr *c = open_cntr(FI_WAIT_NONE);
	struct weft_cntr *wc = weft_cntr_of(c);

	CHECK(fi_cntr_read(c) == 0 && fi_cntr_readerr(c) == 0);
	weft_cntr_inc(wc);
	weft_cntr_add_n(wc, 9);
	CHECK(fi_cntr_read(c) == 10);
	CHECK_OK(fi_cntr_add(c, 5));
	CHECK(fi_cntr_read(c) == 15);
	CHECK_OK(fi_cntr_set(c, 3));
	CHECK(fi_cntr_read(c) == 3);
	weft_cntr_inc_err(wc);
	CHECK_OK(fi_cntr_adderr(c, 2));
	CHECK(fi_cntr_readerr(c) == 3);
	CHECK_OK(fi_cntr_seterr(c, 0));
	CHECK(fi_cntr_readerr(c) == 0);
	CHECK(fi_cntr_read(c) == 3); /* error side separate */

	/* Already there: no wait; NONE still waits by spinning. */
	CHECK_OK(fi_cntr_wait(c, 3, 0));
	{
		double t0 = now_ms();
		CHECK_RET(fi_cntr_wait(c, 4, 50), -FI_ETIMEDOUT);
		CHECK(now_ms() - t0 >= 45);
	}
	{
		uint64_t flags = FI_SEND;
		CHECK_OK(fi_control(&c->fid, FI_SETOPSFLAG, &flags));
		flags = 0;
		CHECK_OK(fi_control(&c->fid, FI_GETOPSFLAG, &flags));
		CHECK(flags == FI_SEND);
	}
	CHECK_OK(fi_close(&c->fid));
}

struct waiter {
	struct fid_cntr *c;
	uint64_t threshold;
	int timeout;
	int ret;
	double waited;
	atomic_int started;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	double t0 = now_ms();

	atomic_store(&w->started, 1);
	w->ret = fi_cntr_wait(w->c, w->threshold, w->timeout);
	w->waited = now_ms() - t0;
	return NULL;
}

static void start_waiter(pthread_t *th, struct waiter *w)
{
	CHECK(pthread_create(th, NULL, wait_thread, w) == 0);
	while (!atomic_load(&w->started))
		sched_yield();
	sleep_ms(30);
}

static void test_wait_threads(enum fi_wait_obj wait)
{
	struct fid_cntr *c = open_cntr(wait);
	struct weft_cntr *wc = weft_cntr_of(c);
	struct waiter w = { .c = c, .threshold = 100, .timeout = 10000 };
	struct waiter w2 = { .c = c, .threshold = 50, .timeout = 10000 };
	pthread_t th, th2;
	double t0;

	/* Two waiters, thresholds reached by another thread's updates. */
	start_waiter(&th, &w);
	start_waiter(&th2, &w2);
	for (int i = 0; i < 100; i++) {
		weft_cntr_inc(wc);
		if (i % 10 == 0)
			sched_yield();
	}
	pthread_join(th, NULL);
	pthread_join(th2, NULL);
	CHECK_OK(w.ret);
	CHECK_OK(w2.ret);
	CHECK(w.waited < 5000);

	/* An error-count change ends a wait with -FI_EAVAIL. */
	w = (struct waiter){ .c = c, .threshold = 1000, .timeout = 10000 };
	start_waiter(&th, &w);
	weft_cntr_inc_err(wc);
	pthread_join(th, NULL);
	CHECK_RET(w.ret, -FI_EAVAIL);
	CHECK(fi_cntr_readerr(c) == 1);

	/* fi_cntr_set from another thread also wakes. */
	w = (struct waiter){ .c = c, .threshold = 500, .timeout = -1 };
	start_waiter(&th, &w);
	CHECK_OK(fi_cntr_set(c, 500));
	pthread_join(th, NULL);
	CHECK_OK(w.ret);

	/* Timeout accuracy. */
	t0 = now_ms();
	CHECK_RET(fi_cntr_wait(c, 501, 100), -FI_ETIMEDOUT);
	CHECK(now_ms() - t0 >= 95 && now_ms() - t0 < 1000);
	CHECK(fi_cntr_readerr(c) == 1); /* unchanged by the timeout */
	CHECK_OK(fi_close(&c->fid));
}

static atomic_int progress_calls;
static struct weft_cntr *progress_cntr;
static void fake_progress(struct weft_ep *ep)
{
	(void)ep;
	if (atomic_fetch_add(&progress_calls, 1) == 5)
		weft_cntr_inc(progress_cntr);
}

static void test_fd_and_progress(void)
{
	struct fid_cntr *c = open_cntr(FI_WAIT_FD);
	struct weft_cntr *wc = weft_cntr_of(c);
	struct weft_ep ep = { .progress = fake_progress, .wait_fd = -1 };
	struct pollfd p = { .events = POLLIN };
	enum fi_wait_obj obj;

	CHECK_OK(fi_control(&c->fid, FI_GETWAIT, &p.fd));
	CHECK_OK(fi_control(&c->fid, FI_GETWAITOBJ, &obj));
	CHECK(obj == FI_WAIT_FD);
	CHECK_OK(weft_cntr_trywait(wc));
	CHECK(poll(&p, 1, 0) == 0);
	weft_cntr_inc(wc);
	CHECK(poll(&p, 1, 1000) == 1);
	CHECK_RET(weft_cntr_trywait(wc), -FI_EAGAIN); /* changed */
	CHECK_OK(weft_cntr_trywait(wc));              /* seen now */
	CHECK(poll(&p, 1, 0) == 0);
	weft_cntr_inc_err(wc);
	CHECK_RET(weft_cntr_trywait(wc), -FI_EAGAIN);

	/* read and wait drive the bound endpoints' progress. */
	progress_cntr = wc;
	CHECK_OK(weft_cntr_add_ep(wc, &ep));
	CHECK_RET(fi_close(&c->fid), -FI_EBUSY);
	atomic_store(&progress_calls, 0);
	CHECK(fi_cntr_read(c) == 1);
	CHECK(atomic_load(&progress_calls) == 1);
	/* The increment comes from the 6th progress call: wait must keep
	 * calling progress, not just sleep. */
	CHECK_OK(fi_cntr_wait(c, 2, 5000));
	weft_cntr_remove_ep(wc, &ep);
	CHECK_OK(fi_close(&c->fid));
}

static void test_bad_attrs(void)
{
	struct fi_cntr_attr attr = { .events = FI_CNTR_EVENTS_COMP };
	struct fid_cntr *c = (struct fid_cntr *)0x1;
	void **slot;

	CHECK_RET(weft_cntr_open(&dom.domain_fid, NULL, &c, NULL), -FI_EINVAL);
	attr.events = (enum fi_cntr_events)3;
	CHECK_RET(weft_cntr_open(&dom.domain_fid, &attr, &c, NULL), -FI_EINVAL);
	attr.events = FI_CNTR_EVENTS_COMP;
	attr.flags = 1;
	CHECK_RET(weft_cntr_open(&dom.domain_fid, &attr, &c, NULL), -FI_EINVAL);
	attr.flags = 0;
	attr.wait_obj = FI_WAIT_SET;
	CHECK_RET(weft_cntr_open(&dom.domain_fid, &attr, &c, NULL), -FI_ENOSYS);
	attr.wait_obj = (enum fi_wait_obj)99;
	CHECK_RET(weft_cntr_open(&dom.domain_fid, &attr, &c, NULL), -FI_EINVAL);
	CHECK(c == (struct fid_cntr *)0x1);
	CHECK(atomic_load(&dom.ref) == 0);

	c = open_cntr(FI_WAIT_UNSPEC);
	CHECK(atomic_load(&dom.ref) == 1);
	CHECK(c->fid.fclass == FI_CLASS_CNTR);
	for (slot = (void **)&c->fid.ops->close;
	     slot <= (void **)&c->fid.ops->ops_set; slot++)
		CHECK(*slot);
	for (slot = (void **)&c->ops->read; slot <= (void **)&c->ops->seterr;
	     slot++)
		CHECK(*slot);
	CHECK_RET(c->fid.ops->bind(&c->fid, NULL, 0), -FI_ENOSYS);
	CHECK_OK(fi_close(&c->fid));
	CHECK(atomic_load(&dom.ref) == 0);
}

int main(void)
{
	dom.threading = FI_THREAD_SAFE;
	test_values();
	test_wait_threads(FI_WAIT_FD);
	test_wait_threads(FI_WAIT_UNSPEC);
	test_wait_threads(FI_WAIT_YIELD);
	test_wait_threads(FI_WAIT_NONE);
	test_fd_and_progress();
	test_bad_attrs();
	return 0;
}
