/* EQ: read / FI_PEEK / fi_eq_write (FI_WRITE only, size limit) / readerr
 * with err_data both ways / -FI_EAVAIL order / -FI_ETOOSMALL / CM entries
 * with data (truncation rule) / sread timeout and wakeup from another
 * thread / FI_GETWAIT / bad input / close rules. */
#include <errno.h>
#include <stddef.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_eq.h>

#include "testlib.h"
#include "util/ep.h"
#include "util/eq.h"
#include "util/fabric.h"

static struct weft_fabric fab;

static struct fid_eq *open_eq(enum fi_wait_obj wait, uint64_t flags,
			      size_t size)
{
	struct fi_eq_attr attr = { .size = size, .flags = flags,
				   .wait_obj = wait };
	struct fid_eq *eq;

	CHECK_OK(weft_eq_open(&fab.fabric_fid, &attr, &eq, NULL));
	return eq;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_read_peek_write(void)
{
	struct fid_eq *eq = open_eq(FI_WAIT_NONE, FI_WRITE, 2);
	struct fi_eq_entry in = { .fid = (fid_t)0x10, .context = (void *)0x20,
				  .data = 0x30 }, out;
	uint32_t ev = 0;

	CHECK_RET(fi_eq_read(eq, &ev, &out, sizeof(out), 0), -FI_EAGAIN);
	CHECK_RET(fi_eq_write(eq, FI_MR_COMPLETE, &in, sizeof(in), 0),
		  sizeof(in));
	in.data = 0x31;
	CHECK_RET(fi_eq_write(eq, FI_AV_COMPLETE, &in, sizeof(in), 0),
		  sizeof(in));
	/* Size 2 bounds application writes; provider events still go in. */
	CHECK_RET(fi_eq_write(eq, FI_AV_COMPLETE, &in, sizeof(in), 0),
		  -FI_EAGAIN);

	memset(&out, 0, sizeof(out));
	CHECK_RET(fi_eq_read(eq, &ev, &out, sizeof(out), FI_PEEK),
		  sizeof(out));
	CHECK(ev == FI_MR_COMPLETE && out.data == 0x30);
	CHECK_RET(fi_eq_read(eq, &ev, &out, sizeof(out), FI_PEEK),
		  sizeof(out)); /* still there */
	CHECK(ev == FI_MR_COMPLETE);
	/* Too small: nothing consumed, nothing written. */
	ev = 0;
	CHECK_RET(fi_eq_read(eq, &ev, &out, sizeof(out) - 1, 0),
		  -FI_ETOOSMALL);
	CHECK(ev == 0);
	CHECK_RET(fi_eq_read(eq, &ev, &out, sizeof(out), 0), sizeof(out));
	CHECK(ev == FI_MR_COMPLETE && out.fid == (fid_t)0x10 &&
	      out.context == (void *)0x20);
	CHECK_RET(fi_eq_read(eq, &ev, &out, sizeof(out), 0), sizeof(out));
	CHECK(ev == FI_AV_COMPLETE && out.data == 0x31);
	CHECK_RET(fi_eq_read(eq, &ev, &out, sizeof(out), 0), -FI_EAGAIN);

	/* Bad input. */
	CHECK_RET(fi_eq_read(eq, NULL, &out, sizeof(out), 0), -FI_EINVAL);
	CHECK_RET(fi_eq_read(eq, &ev, NULL, sizeof(out), 0), -FI_EINVAL);
	CHECK_RET(fi_eq_read(eq, &ev, &out, sizeof(out), FI_SEND),
		  -FI_EINVAL);
	CHECK_RET(fi_eq_write(eq, FI_MR_COMPLETE, &in, sizeof(in), FI_SEND),
		  -FI_EINVAL);
	CHECK_RET(fi_eq_write(eq, FI_MR_COMPLETE, NULL, sizeof(in), 0),
		  -FI_EINVAL);
	CHECK_OK(fi_close(&eq->fid));

	/* Without FI_WRITE the application may not write. */
	eq = open_eq(FI_WAIT_NONE, 0, 0);
	CHECK_RET(fi_eq_write(eq, FI_MR_COMPLETE, &in, sizeof(in), 0),
		  -FI_EINVAL);
	CHECK_OK(weft_eq_write_event(weft_eq_of(eq), FI_MR_COMPLETE, &in,
				     sizeof(in), 0));
	CHECK_RET(fi_eq_read(eq, &ev, &out, sizeof(out), 0), sizeof(out));
	CHECK_OK(fi_close(&eq->fid));
}

static void test_cm_events(void)
{
	struct fid_eq *eq = open_eq(FI_WAIT_UNSPEC, 0, 0);
	struct weft_eq *weq = weft_eq_of(eq);
	struct {
		struct fi_eq_cm_entry cm;
		char data[16];
	} in = { .cm = { .fid = (fid_t)0x40 } }, out;
	uint32_t ev;

	memcpy(in.data, "hello-cm-data!!", 16);
	CHECK_OK(weft_eq_write_event(weq, FI_CONNECTED, &in, sizeof(in), 0));
	CHECK_OK(weft_eq_write_event(weq, FI_CONNECTED, &in, sizeof(in), 0));
	CHECK_OK(weft_eq_write_event(weq, FI_SHUTDOWN, &in.cm, sizeof(in.cm),
				     0));
	/* Whole event with its data. */
	memset(&out, 0, sizeof(out));
	CHECK_RET(fi_eq_read(eq, &ev, &out, sizeof(out), 0), sizeof(in));
	CHECK(ev == FI_CONNECTED && out.cm.fid == (fid_t)0x40);
	CHECK(memcmp(out.data, "hello-cm-data!!", 16) == 0);
	/* CM data is cut to the buffer (fi_eq(3)); the entry itself is not. */
	memset(&out, 0, sizeof(out));
	CHECK_RET(fi_eq_read(eq, &ev, &out, sizeof(out.cm) + 4, 0),
		  sizeof(out.cm) + 4);
	CHECK(memcmp(out.data, "hell", 4) == 0 && out.data[4] == 0);
	CHECK_RET(fi_eq_read(eq, &ev, &out, sizeof(out.cm) - 1, 0),
		  -FI_ETOOSMALL);
	CHECK_RET(fi_eq_read(eq, &ev, &out, sizeof(out), 0), sizeof(in.cm));
	CHECK(ev == FI_SHUTDOWN);

	/* An unread FI_CONNREQ's fi_info is freed with the EQ (ASan). */
	in.cm.info = fi_allocinfo();
	if (in.cm.info)
		CHECK_OK(weft_eq_write_event(weq, FI_CONNREQ, &in.cm,
					     sizeof(in.cm), 0));
	CHECK_RET(weft_eq_write_event(weq, FI_CONNREQ, &in, sizeof(in), 1),
		  -FI_EINVAL);
	CHECK_OK(fi_close(&eq->fid));
}

static void test_errors(void)
{
	struct fid_eq *eq = open_eq(FI_WAIT_NONE, FI_WRITE, 0);
	struct weft_eq *weq = weft_eq_of(eq);
	struct fi_eq_entry ent = { .data = 1 };
	struct fi_eq_err_entry err;
	char mine[8];
	uint32_t ev;

	CHECK_RET(fi_eq_readerr(eq, &err, 0), -FI_EAGAIN);
	CHECK_OK(weft_eq_write_event(weq, FI_AV_COMPLETE, &ent, sizeof(ent), 0));
	CHECK_OK(weft_eq_write_error(weq, (fid_t)0x50, (void *)0x60, 7,
				     FI_ECONNREFUSED, ECONNREFUSED,
				     "refused-by-peer", 16));
	CHECK_OK(weft_eq_write_error(weq, NULL, NULL, 0, FI_EIO, 0, "x", 2));
	CHECK_OK(weft_eq_write_error(weq, NULL, NULL, 0, FI_EIO, 0, NULL, 0));
	CHECK_RET(weft_eq_write_error(weq, NULL, NULL, 0, 0, 0, NULL, 0),
		  -FI_EINVAL);

	/* The event before the error first, then -FI_EAVAIL. */
	CHECK_RET(fi_eq_read(eq, &ev, &ent, sizeof(ent), 0), sizeof(ent));
	CHECK_RET(fi_eq_read(eq, &ev, &ent, sizeof(ent), 0), -FI_EAVAIL);
	CHECK_RET(fi_eq_sread(eq, &ev, &ent, sizeof(ent), 100, 0),
		  -FI_EAVAIL);

	/* Peek leaves it; a buffer gets a copy. */
	memset(&err, 0, sizeof(err));
	memset(mine, 'x', sizeof(mine));
	err.err_data = mine;
	err.err_data_size = 7;
	CHECK_RET(fi_eq_readerr(eq, &err, FI_PEEK), sizeof(err));
	CHECK_RET(fi_eq_readerr(eq, &err, 0), sizeof(err));
	CHECK(err.fid == (fid_t)0x50 && err.context == (void *)0x60 &&
	      err.data == 7 && err.err == FI_ECONNREFUSED &&
	      err.prov_errno == ECONNREFUSED);
	CHECK(err.err_data == mine && err.err_data_size == 7 &&
	      memcmp(mine, "refused", 7) == 0 && mine[7] == 'x');
	{
		char buf[64];
		const char *s = fi_eq_strerror(eq, err.prov_errno,
					       err.err_data, buf, sizeof(buf));
		CHECK(s == buf && strstr(s, strerror(ECONNREFUSED)));
	}
	/* Size 0: pointer to the EQ's copy. */
	memset(&err, 0, sizeof(err));
	CHECK_RET(fi_eq_readerr(eq, &err, 0), sizeof(err));
	CHECK(err.err == FI_EIO && err.err_data_size == 2 &&
	      strcmp(err.err_data, "x") == 0);
	memset(&err, 0, sizeof(err));
	CHECK_RET(fi_eq_readerr(eq, &err, 0), sizeof(err));
	CHECK(err.err_data == NULL && err.err_data_size == 0);
	CHECK_RET(fi_eq_read(eq, &ev, &ent, sizeof(ent), 0), -FI_EAGAIN);
	CHECK_RET(fi_eq_readerr(eq, NULL, 0), -FI_EINVAL);
	CHECK_OK(fi_close(&eq->fid));
}

struct reader {
	struct fid_eq *eq;
	ssize_t ret;
	uint32_t ev;
	struct fi_eq_entry ent;
	atomic_int started;
};

static void *sread_thread(void *arg)
{
	struct reader *r = arg;
	atomic_store(&r->started, 1);
	r->ret = fi_eq_sread(r->eq, &r->ev, &r->ent, sizeof(r->ent), 10000, 0);
	return NULL;
}

static void test_sread(enum fi_wait_obj wait)
{
	struct fid_eq *eq = open_eq(wait, FI_WRITE, 0);
	struct reader r = { .eq = eq };
	struct fi_eq_entry ent = { .data = 42 };
	struct timespec ts = { 0, 50 * 1000000L };
	uint32_t ev;
	double t0 = now_ms();

	CHECK_RET(fi_eq_sread(eq, &ev, &ent, sizeof(ent), 100, 0), -FI_EAGAIN);
	CHECK(now_ms() - t0 >= 95 && now_ms() - t0 < 1000);

	pthread_t th;
	CHECK(pthread_create(&th, NULL, sread_thread, &r) == 0);
	while (!atomic_load(&r.started))
		sched_yield();
	nanosleep(&ts, NULL);
	CHECK_RET(fi_eq_write(eq, FI_MR_COMPLETE, &ent, sizeof(ent), 0),
		  sizeof(ent));
	pthread_join(th, NULL);
	CHECK_RET(r.ret, sizeof(ent));
	CHECK(r.ev == FI_MR_COMPLETE && r.ent.data == 42);

	/* Peek with sread leaves the event. */
	CHECK_OK(weft_eq_write_event(weft_eq_of(eq), FI_AV_COMPLETE, &ent,
				     sizeof(ent), 0));
	CHECK_RET(fi_eq_sread(eq, &ev, &ent, sizeof(ent), 0, FI_PEEK),
		  sizeof(ent));
	CHECK_RET(fi_eq_sread(eq, &ev, &ent, sizeof(ent), -1, 0), sizeof(ent));
	CHECK(ev == FI_AV_COMPLETE);
	CHECK_OK(fi_close(&eq->fid));
}

static void test_fd_and_close(void)
{
	struct fid_eq *eq = open_eq(FI_WAIT_FD, 0, 0);
	struct weft_eq *weq = weft_eq_of(eq);
	struct pollfd p = { .events = POLLIN };
	struct fi_eq_entry ent;
	struct weft_ep ep = { .wait_fd = -1 };
	uint32_t ev;
	void **slot;

	CHECK(atomic_load(&fab.ref) == 1);
	CHECK_OK(fi_control(&eq->fid, FI_GETWAIT, &p.fd));
	CHECK_OK(weft_eq_trywait(weq));
	CHECK(poll(&p, 1, 0) == 0);
	CHECK_OK(weft_eq_write_error(weq, NULL, NULL, 0, FI_EIO, 0, NULL, 0));
	CHECK(poll(&p, 1, 1000) == 1);
	CHECK_RET(weft_eq_trywait(weq), -FI_EAGAIN);
	CHECK_RET(fi_eq_read(eq, &ev, &ent, sizeof(ent), 0), -FI_EAVAIL);

	/* Bound: close refuses. */
	CHECK_OK(weft_eq_add_ep(weq, &ep));
	CHECK_RET(fi_close(&eq->fid), -FI_EBUSY);
	weft_eq_remove_ep(weq, &ep);

	CHECK(eq->fid.fclass == FI_CLASS_EQ);
	for (slot = (void **)&eq->fid.ops->close;
	     slot <= (void **)&eq->fid.ops->ops_set; slot++)
		CHECK(*slot);
	for (slot = (void **)&eq->ops->read; slot <= (void **)&eq->ops->strerror;
	     slot++)
		CHECK(*slot);
	CHECK_OK(fi_close(&eq->fid)); /* unread error freed (ASan) */
	CHECK(atomic_load(&fab.ref) == 0);

	/* Bad attributes. */
	{
		struct fi_eq_attr attr = { .wait_obj = FI_WAIT_SET };
		struct fid_eq *e = (struct fid_eq *)0x1;
		CHECK_RET(weft_eq_open(&fab.fabric_fid, &attr, &e, NULL),
			  -FI_ENOSYS);
		attr.wait_obj = (enum fi_wait_obj)77;
		CHECK_RET(weft_eq_open(&fab.fabric_fid, &attr, &e, NULL),
			  -FI_EINVAL);
		attr.wait_obj = FI_WAIT_NONE;
		attr.flags = FI_SEND;
		CHECK_RET(weft_eq_open(&fab.fabric_fid, &attr, &e, NULL),
			  -FI_EINVAL);
		CHECK_RET(weft_eq_open(&fab.fabric_fid, NULL, &e, NULL),
			  -FI_EINVAL);
		CHECK(e == (struct fid_eq *)0x1);
	}
}

static void test_old_api(void)
{
	struct fid_eq *eq;
	struct fi_eq_err_entry err;

	fab.fabric_fid.api_version = FI_VERSION(1, 4);
	eq = open_eq(FI_WAIT_NONE, 0, 0);
	CHECK_OK(weft_eq_write_error(weft_eq_of(eq), NULL, (void *)3, 0,
				     FI_EIO, 0, "old", 4));
	memset(&err, 0, sizeof(err));
	err.err_data_size = 0xbeef;
	CHECK_RET(fi_eq_readerr(eq, &err, 0),
		  offsetof(struct fi_eq_err_entry, err_data_size));
	CHECK(err.context == (void *)3 && strcmp(err.err_data, "old") == 0);
	CHECK(err.err_data_size == 0xbeef);
	CHECK_OK(fi_close(&eq->fid));
	fab.fabric_fid.api_version = 0;
}

int main(void)
{
	test_read_peek_write();
	test_cm_events();
	test_errors();
	test_sread(FI_WAIT_FD);
	test_sread(FI_WAIT_UNSPEC);
	test_sread(FI_WAIT_YIELD);
	test_sread(FI_WAIT_NONE);
	test_fd_and_close();
	test_old_api();
	return 0;
}
