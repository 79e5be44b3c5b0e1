/* fi_cq_readerr from several threads at once (FI_THREAD_SAFE): each error
 * is handed to exactly one reader, and copying it out must not race with
 * another reader's readerr freeing the previously taken error (a
 * use-after-free ASan catches). */
#include <pthread.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_eq.h>

#include "testlib.h"
#include "util/cq.h"
#include "util/fabric.h"

#define ERRS 20000
#define READERS 3

static struct weft_domain dom;
static struct fid_cq *cq_fid;
static atomic_int taken;
static atomic_bool bad;

static void *reader(void *arg)
{
	struct fi_cq_err_entry e;
	char data[64];

	(void)arg;
	while (atomic_load(&taken) < ERRS) {
		memset(&e, 0, sizeof(e));
		e.err_data = data;
		e.err_data_size = sizeof(data);
		ssize_t r = fi_cq_readerr(cq_fid, &e, 0);
		if (r == -FI_EAGAIN)
			continue;
		if (r != 1 || e.err != FI_EIO || e.prov_errno != 7 ||
		    e.err_data_size != 6 || memcmp(data, "hello", 6))
			atomic_store(&bad, true);
		atomic_fetch_add(&taken, 1);
	}
	return NULL;
}

int main(void)
{
	struct fi_cq_attr attr = { .format = FI_CQ_FORMAT_CONTEXT, .size = 16 };
	pthread_t t[READERS];
	struct weft_cq *cq;

	dom.threading = FI_THREAD_SAFE;
	CHECK_OK(weft_cq_open(&dom.domain_fid, &attr, &cq_fid, NULL));
	cq = weft_cq_of(cq_fid);
	for (int i = 0; i < READERS; i++)
		CHECK(pthread_create(&t[i], NULL, reader, NULL) == 0);
	for (int i = 0; i < ERRS; i++) {
		struct fi_cq_err_entry e = {
			.op_context = (void *)(uintptr_t)(i + 1), .err = FI_EIO,
			.prov_errno = 7, .err_data = "hello",
			.err_data_size = 6,
		};
		CHECK_OK(weft_cq_write_error(cq, &e, FI_ADDR_NOTAVAIL));
	}
	for (int i = 0; i < READERS; i++)
		pthread_join(t[i], NULL);
	CHECK(!atomic_load(&bad));
	CHECK(atomic_load(&taken) == ERRS);
	CHECK_OK(fi_close(&cq_fid->fid));
	return 0;
}
