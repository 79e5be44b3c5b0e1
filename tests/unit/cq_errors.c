/* CQ error entries: -FI_EAVAIL in order, fi_cq_readerr with err_data both
 * ways (copy into the caller's buffer / pointer to ours), strerror. */
#include <errno.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_eq.h>

#include "testlib.h"
#include "util/cq.h"
#include "util/fabric.h"

static struct weft_domain dom;

static struct weft_cq *open_cq(struct fid_cq **fid)
{
	struct fi_cq_attr attr = { .format = FI_CQ_FORMAT_TAGGED, .size = 4 };

	CHECK_OK(weft_cq_open(&dom.domain_fid, &attr, fid, NULL));
	return weft_cq_of(*fid);
}

static void write_err(struct weft_cq *cq, void *ctx, int err, int prov,
		      const char *data)
{
	struct fi_cq_err_entry e = {
		.op_context = ctx, .flags = FI_RECV, .len = 10, .olen = 5,
		.tag = 0x77, .err = err, .prov_errno = prov,
		.err_data = (void *)data,
		.err_data_size = data ? strlen(data) + 1 : 0,
	};
	CHECK_OK(weft_cq_write_error(cq, &e, FI_ADDR_NOTAVAIL));
}

static void test_order(void)
{
	struct fid_cq *fid;
	struct weft_cq *cq = open_cq(&fid);
	struct fi_cq_tagged_entry t[8];
	struct fi_cq_err_entry e;

	CHECK_RET(fi_cq_readerr(fid, &e, 0), -FI_EAGAIN);
	CHECK_OK(weft_cq_write(cq, (void *)1, FI_SEND, 0, NULL, 0, 0, 0));
	CHECK_OK(weft_cq_write(cq, (void *)2, FI_SEND, 0, NULL, 0, 0, 0));
	write_err(cq, (void *)3, FI_ETRUNC, 0, NULL);
	CHECK_OK(weft_cq_write(cq, (void *)4, FI_SEND, 0, NULL, 0, 0, 0));
	write_err(cq, (void *)5, FI_EIO, 0, NULL);
	write_err(cq, (void *)6, FI_ECANCELED, 0, NULL);

	/* Entries before the first error come out, then -FI_EAVAIL. */
	CHECK_RET(fi_cq_read(fid, t, 8), 2);
	CHECK(t[0].op_context == (void *)1 && t[1].op_context == (void *)2);
	CHECK_RET(fi_cq_read(fid, t, 8), -FI_EAVAIL);
	CHECK_RET(fi_cq_read(fid, t, 8), -FI_EAVAIL); /* until taken */
	memset(&e, 0, sizeof(e));
	CHECK_RET(fi_cq_readerr(fid, &e, 0), 1);
	CHECK(e.op_context == (void *)3 && e.err == FI_ETRUNC);
	CHECK(e.olen == 5 && e.len == 10 && e.tag == 0x77 &&
	      e.flags == FI_RECV);
	CHECK(e.err_data == NULL && e.err_data_size == 0);
	CHECK_RET(fi_cq_read(fid, t, 8), 1);
	CHECK(t[0].op_context == (void *)4);
	CHECK_RET(fi_cq_read(fid, t, 8), -FI_EAVAIL);
	CHECK_RET(fi_cq_readerr(fid, &e, 0), 1);
	CHECK(e.op_context == (void *)5 && e.err == FI_EIO);
	CHECK_RET(fi_cq_read(fid, t, 8), -FI_EAVAIL);
	CHECK_RET(fi_cq_readerr(fid, &e, 0), 1);
	CHECK(e.op_context == (void *)6);
	CHECK_RET(fi_cq_read(fid, t, 8), -FI_EAGAIN);
	CHECK_RET(fi_cq_readerr(fid, &e, 0), -FI_EAGAIN);

	/* readerr takes an error even when success entries precede it. */
	CHECK_OK(weft_cq_write(cq, (void *)7, FI_SEND, 0, NULL, 0, 0, 0));
	write_err(cq, (void *)8, FI_EIO, 0, NULL);
	CHECK_RET(fi_cq_readerr(fid, &e, 0), 1);
	CHECK(e.op_context == (void *)8);
	CHECK_RET(fi_cq_read(fid, t, 8), 1);
	CHECK(t[0].op_context == (void *)7);

	/* Bad input. */
	CHECK_RET(fi_cq_readerr(fid, NULL, 0), -FI_EINVAL);
	CHECK_RET(fi_cq_readerr(fid, &e, FI_SEND), -FI_EINVAL);
	e.err = -1;
	CHECK_RET(weft_cq_write_error(cq, &e, 0), -FI_EINVAL);
	CHECK_RET(weft_cq_write_error(cq, NULL, 0), -FI_EINVAL);
	CHECK_OK(fi_close(&fid->fid));
}

static void test_err_data(void)
{
	struct fid_cq *fid;
	struct weft_cq *cq = open_cq(&fid);
	struct fi_cq_err_entry e;
	char mine[8];
	const char *p1;

	write_err(cq, NULL, FI_EIO, ECONNREFUSED, "peer-went-away");
	write_err(cq, NULL, FI_EIO, 0, "second");
	write_err(cq, NULL, FI_EIO, 0, "third");

	/* Caller's buffer (err_data_size > 0): copy, truncated, size out. */
	memset(&e, 0, sizeof(e));
	memset(mine, 'x', sizeof(mine));
	e.err_data = mine;
	e.err_data_size = 4;
	CHECK_RET(fi_cq_readerr(fid, &e, 0), 1);
	CHECK(e.err_data == mine && e.err_data_size == 4);
	CHECK(memcmp(mine, "peer", 4) == 0 && mine[4] == 'x');
	CHECK(e.prov_errno == ECONNREFUSED);
	/* strerror: something readable about prov_errno. */
	{
		char buf[128];
		const char *s = fi_cq_strerror(fid, e.prov_errno, e.err_data,
					       buf, sizeof(buf));
		CHECK(s == buf);
		CHECK(strstr(s, strerror(ECONNREFUSED)));
		s = fi_cq_strerror(fid, e.prov_errno, NULL, NULL, 0);
		CHECK(s && strstr(s, strerror(ECONNREFUSED)));
		s = fi_cq_strerror(fid, FI_ETRUNC, NULL, buf, sizeof(buf));
		CHECK(strlen(s) > 0);
		s = fi_cq_strerror(fid, 0, NULL, buf, 4); /* tiny buffer */
		CHECK(strlen(s) == 3);
	}

	/* err_data_size 0: err_data points at the CQ's copy, valid until the
	 * next readerr. */
	memset(&e, 0, sizeof(e));
	e.err_data = mine; /* ignored on input when size is 0 */
	CHECK_RET(fi_cq_readerr(fid, &e, 0), 1);
	CHECK(e.err_data != mine && e.err_data_size == 7);
	CHECK(strcmp(e.err_data, "second") == 0);
	p1 = e.err_data;
	CHECK(strcmp(p1, "second") == 0); /* still valid after more writes */
	CHECK_OK(weft_cq_write(cq, NULL, FI_SEND, 0, NULL, 0, 0, 0));
	CHECK(strcmp(p1, "second") == 0);
	memset(&e, 0, sizeof(e));
	CHECK_RET(fi_cq_readerr(fid, &e, 0), 1);
	CHECK(strcmp(e.err_data, "third") == 0);
	/* Closing frees the last one too (ASan checks). */
	CHECK_OK(fi_close(&fid->fid));
}

/* An application built for API 1.4 has no err_data_size in its struct:
 * readerr must not write there, and err_data points at the CQ's copy. */
static void test_old_api(void)
{
	struct weft_fabric fab = { 0 };
	struct fid_cq *fid;
	struct weft_cq *cq;
	struct {
		struct fi_cq_err_entry e;
	} out;

	fab.fabric_fid.api_version = FI_VERSION(1, 4);
	dom.fabric = &fab;
	cq = open_cq(&fid);
	write_err(cq, (void *)1, FI_EIO, 5, "old");
	memset(&out, 0, sizeof(out));
	out.e.err_data_size = 0xdead; /* beyond the old struct: untouched */
	CHECK_RET(fi_cq_readerr(fid, &out.e, 0), 1);
	CHECK(out.e.op_context == (void *)1 && out.e.err == FI_EIO &&
	      out.e.prov_errno == 5);
	CHECK(out.e.err_data && strcmp(out.e.err_data, "old") == 0);
	CHECK(out.e.err_data_size == 0xdead);
	CHECK_OK(fi_close(&fid->fid));
	dom.fabric = NULL;
}

int main(void)
{
	dom.threading = FI_THREAD_SAFE;
	test_order();
	test_err_data();
	dom.threading = FI_THREAD_COMPLETION;
	test_order();
	test_err_data();
	test_old_api();
	return 0;
}
