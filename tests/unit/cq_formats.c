/* CQ: every format, readfrom, overflow past the ring, attribute checks,
 * close while bound, complete ops tables. */
#include <rdma/fi_domain.h>
#include <rdma/fi_eq.h>

#include "testlib.h"
#include "util/cq.h"
#include "util/ep.h"
#include "util/fabric.h"

static struct weft_domain dom;

static struct fid_cq *open_cq(enum fi_cq_format format, size_t size)
{
	struct fi_cq_attr attr = { .format = format, .size = size };
	struct fid_cq *cq = NULL;

	CHECK_OK(weft_cq_open(&dom.domain_fid, &attr, &cq, NULL));
	CHECK(cq);
	return cq;
}

static void write_n(struct fid_cq *cq, int from, int n)
{
	for (int i = from; i < from + n; i++)
		CHECK_OK(weft_cq_write(weft_cq_of(cq), (void *)(uintptr_t)(i + 1),
				       FI_RECV | FI_MSG, 100 + i,
				       (void *)(uintptr_t)(0x1000 + i), 7 + i,
				       0xabc0 + i, (fi_addr_t)i));
}

static void test_formats(void)
{
	struct fi_cq_tagged_entry t[4];
	struct fi_cq_data_entry d[4];
	struct fi_cq_msg_entry m[4];
	struct fi_cq_entry c[4];
	struct fid_cq *cq;

	/* UNSPEC is CONTEXT: only op_context is written. */
	cq = open_cq(FI_CQ_FORMAT_UNSPEC, 8);
	CHECK(weft_cq_of(cq)->entry_size == sizeof(struct fi_cq_entry));
	write_n(cq, 0, 2);
	CHECK_RET(fi_cq_read(cq, c, 4), 2);
	CHECK(c[0].op_context == (void *)1 && c[1].op_context == (void *)2);
	CHECK_RET(fi_cq_read(cq, c, 4), -FI_EAGAIN);
	CHECK_OK(fi_close(&cq->fid));

	cq = open_cq(FI_CQ_FORMAT_CONTEXT, 8);
	write_n(cq, 0, 1);
	CHECK_RET(fi_cq_read(cq, c, 1), 1);
	CHECK(c[0].op_context == (void *)1);
	CHECK_OK(fi_close(&cq->fid));

	cq = open_cq(FI_CQ_FORMAT_MSG, 8);
	write_n(cq, 0, 3);
	CHECK_RET(fi_cq_read(cq, m, 4), 3);
	for (int i = 0; i < 3; i++) {
		CHECK(m[i].op_context == (void *)(uintptr_t)(i + 1));
		CHECK(m[i].flags == (FI_RECV | FI_MSG));
		CHECK(m[i].len == (size_t)(100 + i));
	}
	CHECK_OK(fi_close(&cq->fid));

	cq = open_cq(FI_CQ_FORMAT_DATA, 8);
	write_n(cq, 0, 2);
	CHECK_RET(fi_cq_read(cq, d, 4), 2);
	CHECK(d[1].op_context == (void *)2 && d[1].len == 101);
	CHECK(d[1].buf == (void *)0x1001 && d[1].data == 8);
	CHECK_OK(fi_close(&cq->fid));

	cq = open_cq(FI_CQ_FORMAT_TAGGED, 8);
	write_n(cq, 0, 4);
	CHECK_RET(fi_cq_read(cq, t, 2), 2); /* count limits */
	CHECK(t[0].tag == 0xabc0 && t[1].tag == 0xabc1);
	CHECK_RET(fi_cq_read(cq, t, 4), 2);
	CHECK(t[0].op_context == (void *)3 && t[1].op_context == (void *)4);
	CHECK(t[1].buf == (void *)0x1003 && t[1].data == 10 &&
	      t[1].tag == 0xabc3 && t[1].len == 103 &&
	      t[1].flags == (FI_RECV | FI_MSG));
	/* count 0 only drives progress. */
	CHECK_RET(fi_cq_read(cq, t, 0), -FI_EAGAIN);
	CHECK_RET(fi_cq_read(cq, NULL, 1), -FI_EINVAL);
	CHECK_OK(fi_close(&cq->fid));
}

static void test_readfrom(void)
{
	struct fi_cq_msg_entry m[4];
	fi_addr_t src[4] = { 99, 99, 99, 99 };
	struct fid_cq *cq = open_cq(FI_CQ_FORMAT_MSG, 4);

	write_n(cq, 5, 2);
	CHECK_OK(weft_cq_write(weft_cq_of(cq), NULL, FI_SEND, 0, NULL, 0, 0,
			       FI_ADDR_NOTAVAIL));
	CHECK_RET(fi_cq_readfrom(cq, m, 4, src), 3);
	CHECK(src[0] == 5 && src[1] == 6 && src[2] == FI_ADDR_NOTAVAIL);
	CHECK(src[3] == 99);
	/* Nothing read: outputs untouched. */
	src[0] = 42;
	CHECK_RET(fi_cq_readfrom(cq, m, 4, src), -FI_EAGAIN);
	CHECK(src[0] == 42);
	CHECK_OK(fi_close(&cq->fid));
}

static void test_overflow(void)
{
	struct fi_cq_tagged_entry t[64];
	struct fid_cq *cq = open_cq(FI_CQ_FORMAT_TAGGED, 5); /* ring of 8 */
	int next = 0;

	CHECK(weft_cq_has_room(weft_cq_of(cq)));
	write_n(cq, 0, 8);
	CHECK(!weft_cq_has_room(weft_cq_of(cq)));
	write_n(cq, 8, 40); /* 40 past the ring: overflow list */
	CHECK_RET(fi_cq_read(cq, t, 3), 3);
	/* Interleave writes with reads: order must hold across the ring and
	 * the overflow list. */
	write_n(cq, 48, 5);
	for (int i = 0; i < 3; i++)
		CHECK(t[i].op_context == (void *)(uintptr_t)(++next));
	for (;;) {
		ssize_t n = fi_cq_read(cq, t, 7);
		if (n == -FI_EAGAIN)
			break;
		CHECK(n > 0);
		for (ssize_t i = 0; i < n; i++) {
			CHECK(t[i].op_context == (void *)(uintptr_t)(++next));
			CHECK(t[i].tag == (uint64_t)(0xabc0 + next - 1));
		}
	}
	CHECK(next == 53);
	CHECK(weft_cq_has_room(weft_cq_of(cq)));
	CHECK_OK(fi_close(&cq->fid));

	/* One read asking for more than the ring holds while entries wait in
	 * the overflow list: all of them, once each, in order (not ring
	 * slots read twice). */
	cq = open_cq(FI_CQ_FORMAT_TAGGED, 8);
	write_n(cq, 0, 20);
	CHECK_RET(fi_cq_read(cq, t, 64), 20);
	for (int i = 0; i < 20; i++) {
		CHECK(t[i].op_context == (void *)(uintptr_t)(i + 1));
		CHECK(t[i].tag == (uint64_t)(0xabc0 + i));
	}
	CHECK_RET(fi_cq_read(cq, t, 64), -FI_EAGAIN);
	CHECK(weft_cq_has_room(weft_cq_of(cq)));
	write_n(cq, 20, 3);
	CHECK_RET(fi_cq_read(cq, t, 64), 3);
	CHECK(t[0].op_context == (void *)(uintptr_t)21);
	CHECK_OK(fi_close(&cq->fid));

	/* Size 0 picks a default. */
	cq = open_cq(FI_CQ_FORMAT_CONTEXT, 0);
	CHECK(weft_cq_of(cq)->ring_mask + 1 >= 64);
	CHECK_OK(fi_close(&cq->fid));
}

static void test_bad_attrs(void)
{
	struct fi_cq_attr attr = { .format = FI_CQ_FORMAT_MSG };
	struct fid_cq *cq = (struct fid_cq *)0x1;

	CHECK_RET(weft_cq_open(&dom.domain_fid, NULL, &cq, NULL), -FI_EINVAL);
	CHECK_RET(weft_cq_open(&dom.domain_fid, &attr, NULL, NULL), -FI_EINVAL);
	attr.format = (enum fi_cq_format)77;
	CHECK_RET(weft_cq_open(&dom.domain_fid, &attr, &cq, NULL), -FI_EINVAL);
	attr.format = FI_CQ_FORMAT_MSG;
	attr.wait_obj = (enum fi_wait_obj)42;
	CHECK_RET(weft_cq_open(&dom.domain_fid, &attr, &cq, NULL), -FI_EINVAL);
	attr.wait_obj = FI_WAIT_SET;
	CHECK_RET(weft_cq_open(&dom.domain_fid, &attr, &cq, NULL), -FI_ENOSYS);
	attr.wait_obj = FI_WAIT_MUTEX_COND;
	CHECK_RET(weft_cq_open(&dom.domain_fid, &attr, &cq, NULL), -FI_ENOSYS);
	attr.wait_obj = FI_WAIT_FD;
	attr.wait_cond = (enum fi_cq_wait_cond)9;
	CHECK_RET(weft_cq_open(&dom.domain_fid, &attr, &cq, NULL), -FI_EINVAL);
	attr.wait_cond = FI_CQ_COND_NONE;
	attr.flags = FI_SEND;
	CHECK_RET(weft_cq_open(&dom.domain_fid, &attr, &cq, NULL), -FI_EINVAL);
	attr.flags = FI_AFFINITY;
	attr.signaling_vector = -1;
	CHECK_RET(weft_cq_open(&dom.domain_fid, &attr, &cq, NULL), -FI_EINVAL);
	attr.flags = 0;
	attr.size = (size_t)1 << 40;
	CHECK_RET(weft_cq_open(&dom.domain_fid, &attr, &cq, NULL), -FI_EINVAL);
	CHECK(cq == (struct fid_cq *)0x1); /* never written on failure */
	CHECK(atomic_load(&dom.ref) == 0);

	/* FI_AFFINITY with a valid vector is a hint we accept. */
	attr.size = 16;
	attr.flags = FI_AFFINITY;
	attr.signaling_vector = 0;
	CHECK_OK(weft_cq_open(&dom.domain_fid, &attr, &cq, NULL));
	CHECK_OK(fi_close(&cq->fid));
}

static int progress_calls;
static void fake_progress(struct weft_ep *ep)
{
	(void)ep;
	progress_calls++;
}

static void test_bound_close_and_ops(void)
{
	struct fid_cq *cq = open_cq(FI_CQ_FORMAT_CONTEXT, 8);
	struct weft_ep ep = { .progress = fake_progress, .wait_fd = -1 };
	struct fi_cq_entry c;
	void **slot;

	CHECK(atomic_load(&dom.ref) == 1);
	/* Bound twice (tx and rx): two removes needed before close. */
	CHECK_OK(weft_cq_add_ep(weft_cq_of(cq), &ep));
	CHECK_OK(weft_cq_add_ep(weft_cq_of(cq), &ep));
	CHECK(weft_cq_of(cq)->progress.count == 1);
	progress_calls = 0;
	CHECK_RET(fi_cq_read(cq, &c, 1), -FI_EAGAIN);
	CHECK(progress_calls == 1); /* one ep, run once */
	CHECK_RET(fi_close(&cq->fid), -FI_EBUSY);
	weft_cq_remove_ep(weft_cq_of(cq), &ep);
	CHECK_RET(fi_close(&cq->fid), -FI_EBUSY);
	weft_cq_remove_ep(weft_cq_of(cq), &ep);
	CHECK(weft_cq_of(cq)->progress.count == 0);

	/* Every slot of both ops tables is a function. */
	CHECK(cq->fid.fclass == FI_CLASS_CQ);
	CHECK(cq->fid.ops->size == sizeof(struct fi_ops));
	CHECK(cq->ops->size == sizeof(struct fi_ops_cq));
	for (slot = (void **)&cq->fid.ops->close;
	     slot <= (void **)&cq->fid.ops->ops_set; slot++)
		CHECK(*slot);
	for (slot = (void **)&cq->ops->read;
	     slot <= (void **)&cq->ops->strerror; slot++)
		CHECK(*slot);
	CHECK_RET(cq->fid.ops->bind(&cq->fid, NULL, 0), -FI_ENOSYS);
	{
		void *ops = NULL;
		char s[8];
		CHECK_RET(fi_open_ops(&cq->fid, "x", 0, &ops, NULL),
			  -FI_ENOSYS);
		CHECK_RET(cq->fid.ops->tostr(&cq->fid, s, sizeof(s)),
			  -FI_ENOSYS);
		CHECK_RET(cq->fid.ops->ops_set(&cq->fid, "x", 0, NULL, NULL),
			  -FI_ENOSYS);
	}
	CHECK_RET(fi_control(&cq->fid, 12345, NULL), -FI_ENOSYS);

	CHECK_OK(fi_close(&cq->fid));
	CHECK(atomic_load(&dom.ref) == 0);
}

int main(void)
{
	dom.threading = FI_THREAD_SAFE;
	test_formats();
	test_readfrom();
	test_overflow();
	test_bad_attrs();
	test_bound_close_and_ops();

	/* The same, with the lock compiled out (FI_THREAD_DOMAIN). */
	dom.threading = FI_THREAD_DOMAIN;
	test_formats();
	test_overflow();
	return 0;
}
