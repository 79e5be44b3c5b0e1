/* The -FI_ENOSYS ops tables: no slot is NULL, each table's size field is
 * its struct's size, and every call through the public inline wrappers
 * answers -FI_ENOSYS (so an application gets an error, not a crash). */
#include <rdma/fi_atomic.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_collective.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_rma.h>
#include <rdma/fi_tagged.h>

#include "testlib.h"
#include "util/ep.h"

/* Every slot after the size field is a function pointer; read each as
 * bytes (no call through a converted type) and check it is set. */
static void check_no_null_slots(const void *table, size_t size)
{
	const unsigned char *p = table;
	size_t nslots = (size - sizeof(size_t)) / sizeof(void (*)(void));

	CHECK((size - sizeof(size_t)) % sizeof(void (*)(void)) == 0);
	for (size_t i = 0; i < nslots; i++) {
		void (*fn)(void);
		memcpy(&fn, p + sizeof(size_t) + i * sizeof(fn), sizeof(fn));
		if (!fn) {
			fprintf(stderr, "slot %zu is NULL\n", i);
			exit(1);
		}
	}
}

int main(void)
{
	struct fid_ep ep = {0};
	struct fid_pep pep = {0};
	struct fi_msg msg = {0};
	struct fi_msg_tagged tmsg = {0};
	struct fi_msg_rma rmsg = {0};
	struct fi_msg_atomic amsg = {0};
	struct fi_ioc ioc = {0};
	struct iovec iov = {0};
	char buf[16], res[16], cmp[16];
	size_t count = 0, len = sizeof(buf);
	struct fid_mc *mc = NULL;

	CHECK(weft_ops_cm_none.size == sizeof(struct fi_ops_cm));
	CHECK(weft_ops_msg_none.size == sizeof(struct fi_ops_msg));
	CHECK(weft_ops_tagged_none.size == sizeof(struct fi_ops_tagged));
	CHECK(weft_ops_rma_none.size == sizeof(struct fi_ops_rma));
	CHECK(weft_ops_atomic_none.size == sizeof(struct fi_ops_atomic));
	CHECK(weft_ops_collective_none.size ==
	      sizeof(struct fi_ops_collective));
	check_no_null_slots(&weft_ops_cm_none, sizeof(weft_ops_cm_none));
	check_no_null_slots(&weft_ops_msg_none, sizeof(weft_ops_msg_none));
	check_no_null_slots(&weft_ops_tagged_none,
			    sizeof(weft_ops_tagged_none));
	check_no_null_slots(&weft_ops_rma_none, sizeof(weft_ops_rma_none));
	check_no_null_slots(&weft_ops_atomic_none,
			    sizeof(weft_ops_atomic_none));
	check_no_null_slots(&weft_ops_collective_none,
			    sizeof(weft_ops_collective_none));
	check_no_null_slots(&weft_ep_ops_default, sizeof(weft_ep_ops_default));
	check_no_null_slots(&weft_ep_fi_ops, sizeof(weft_ep_fi_ops));
	check_no_null_slots(&weft_fabric_fi_ops, sizeof(weft_fabric_fi_ops));
	check_no_null_slots(&weft_domain_fi_ops, sizeof(weft_domain_fi_ops));
	check_no_null_slots(&weft_domain_mr_ops, sizeof(weft_domain_mr_ops));
	check_no_null_slots(&weft_domain_ops_default,
			    sizeof(weft_domain_ops_default));

	ep.fid.fclass = FI_CLASS_EP;
	ep.cm = &weft_ops_cm_none;
	ep.msg = &weft_ops_msg_none;
	ep.tagged = &weft_ops_tagged_none;
	ep.rma = &weft_ops_rma_none;
	ep.atomic = &weft_ops_atomic_none;
	ep.collective = &weft_ops_collective_none;
	ep.ops = &weft_ep_ops_default;
	pep.fid.fclass = FI_CLASS_PEP;
	pep.cm = &weft_ops_cm_none;

	/* cm */
	CHECK_RET(fi_setname(&ep.fid, buf, len), -FI_ENOSYS);
	CHECK_RET(fi_getname(&ep.fid, buf, &len), -FI_ENOSYS);
	CHECK_RET(fi_getpeer(&ep, buf, &len), -FI_ENOSYS);
	CHECK_RET(fi_connect(&ep, buf, NULL, 0), -FI_ENOSYS);
	CHECK_RET(fi_listen(&pep), -FI_ENOSYS);
	CHECK_RET(fi_accept(&ep, NULL, 0), -FI_ENOSYS);
	CHECK_RET(fi_reject(&pep, &ep.fid, NULL, 0), -FI_ENOSYS);
	CHECK_RET(fi_shutdown(&ep, 0), -FI_ENOSYS);
	CHECK_RET(fi_join(&ep, buf, 0, &mc, NULL), -FI_ENOSYS);

	/* msg */
	CHECK_RET(fi_recv(&ep, buf, 1, NULL, 0, NULL), -FI_ENOSYS);
	CHECK_RET(fi_recvv(&ep, &iov, NULL, 1, 0, NULL), -FI_ENOSYS);
	CHECK_RET(fi_recvmsg(&ep, &msg, 0), -FI_ENOSYS);
	CHECK_RET(fi_send(&ep, buf, 1, NULL, 0, NULL), -FI_ENOSYS);
	CHECK_RET(fi_sendv(&ep, &iov, NULL, 1, 0, NULL), -FI_ENOSYS);
	CHECK_RET(fi_sendmsg(&ep, &msg, 0), -FI_ENOSYS);
	CHECK_RET(fi_inject(&ep, buf, 1, 0), -FI_ENOSYS);
	CHECK_RET(fi_senddata(&ep, buf, 1, NULL, 7, 0, NULL), -FI_ENOSYS);
	CHECK_RET(fi_injectdata(&ep, buf, 1, 7, 0), -FI_ENOSYS);

	/* tagged */
	CHECK_RET(fi_trecv(&ep, buf, 1, NULL, 0, 1, 0, NULL), -FI_ENOSYS);
	CHECK_RET(fi_trecvv(&ep, &iov, NULL, 1, 0, 1, 0, NULL), -FI_ENOSYS);
	CHECK_RET(fi_trecvmsg(&ep, &tmsg, 0), -FI_ENOSYS);
	CHECK_RET(fi_tsend(&ep, buf, 1, NULL, 0, 1, NULL), -FI_ENOSYS);
	CHECK_RET(fi_tsendv(&ep, &iov, NULL, 1, 0, 1, NULL), -FI_ENOSYS);
	CHECK_RET(fi_tsendmsg(&ep, &tmsg, 0), -FI_ENOSYS);
	CHECK_RET(fi_tinject(&ep, buf, 1, 0, 1), -FI_ENOSYS);
	CHECK_RET(fi_tsenddata(&ep, buf, 1, NULL, 7, 0, 1, NULL), -FI_ENOSYS);
	CHECK_RET(fi_tinjectdata(&ep, buf, 1, 7, 0, 1), -FI_ENOSYS);

	/* rma */
	CHECK_RET(fi_read(&ep, buf, 1, NULL, 0, 0, 0, NULL), -FI_ENOSYS);
	CHECK_RET(fi_readv(&ep, &iov, NULL, 1, 0, 0, 0, NULL), -FI_ENOSYS);
	CHECK_RET(fi_readmsg(&ep, &rmsg, 0), -FI_ENOSYS);
	CHECK_RET(fi_write(&ep, buf, 1, NULL, 0, 0, 0, NULL), -FI_ENOSYS);
	CHECK_RET(fi_writev(&ep, &iov, NULL, 1, 0, 0, 0, NULL), -FI_ENOSYS);
	CHECK_RET(fi_writemsg(&ep, &rmsg, 0), -FI_ENOSYS);
	CHECK_RET(fi_inject_write(&ep, buf, 1, 0, 0, 0), -FI_ENOSYS);
	CHECK_RET(fi_writedata(&ep, buf, 1, NULL, 7, 0, 0, 0, NULL),
		  -FI_ENOSYS);
	CHECK_RET(fi_inject_writedata(&ep, buf, 1, 7, 0, 0, 0), -FI_ENOSYS);

	/* atomic */
	CHECK_RET(fi_atomic(&ep, buf, 1, NULL, 0, 0, 0, FI_UINT32, FI_SUM,
			    NULL),
		  -FI_ENOSYS);
	CHECK_RET(fi_atomicv(&ep, &ioc, NULL, 1, 0, 0, 0, FI_UINT32, FI_SUM,
			     NULL),
		  -FI_ENOSYS);
	CHECK_RET(fi_atomicmsg(&ep, &amsg, 0), -FI_ENOSYS);
	CHECK_RET(fi_inject_atomic(&ep, buf, 1, 0, 0, 0, FI_UINT32, FI_SUM),
		  -FI_ENOSYS);
	CHECK_RET(fi_fetch_atomic(&ep, buf, 1, NULL, res, NULL, 0, 0, 0,
				  FI_UINT32, FI_SUM, NULL),
		  -FI_ENOSYS);
	CHECK_RET(fi_fetch_atomicv(&ep, &ioc, NULL, 1, &ioc, NULL, 1, 0, 0,
				   0, FI_UINT32, FI_SUM, NULL),
		  -FI_ENOSYS);
	CHECK_RET(fi_fetch_atomicmsg(&ep, &amsg, &ioc, NULL, 1, 0),
		  -FI_ENOSYS);
	CHECK_RET(fi_compare_atomic(&ep, buf, 1, NULL, cmp, NULL, res, NULL,
				    0, 0, 0, FI_UINT32, FI_CSWAP, NULL),
		  -FI_ENOSYS);
	CHECK_RET(fi_compare_atomicv(&ep, &ioc, NULL, 1, &ioc, NULL, 1, &ioc,
				     NULL, 1, 0, 0, 0, FI_UINT32, FI_CSWAP,
				     NULL),
		  -FI_ENOSYS);
	CHECK_RET(fi_compare_atomicmsg(&ep, &amsg, &ioc, NULL, 1, &ioc, NULL,
				       1, 0),
		  -FI_ENOSYS);
	CHECK_RET(fi_atomicvalid(&ep, FI_UINT32, FI_SUM, &count), -FI_ENOSYS);
	CHECK_RET(fi_fetch_atomicvalid(&ep, FI_UINT32, FI_SUM, &count),
		  -FI_ENOSYS);
	CHECK_RET(fi_compare_atomicvalid(&ep, FI_UINT32, FI_CSWAP, &count),
		  -FI_ENOSYS);

	/* collective */
	CHECK_RET(fi_barrier(&ep, 0, NULL), -FI_ENOSYS);
	CHECK_RET(fi_barrier2(&ep, 0, 0, NULL), -FI_ENOSYS);
	CHECK_RET(fi_broadcast(&ep, buf, 1, NULL, 0, 0, FI_UINT8, 0, NULL),
		  -FI_ENOSYS);
	CHECK_RET(fi_alltoall(&ep, buf, 1, NULL, res, NULL, 0, FI_UINT8, 0,
			      NULL),
		  -FI_ENOSYS);
	CHECK_RET(fi_allreduce(&ep, buf, 1, NULL, res, NULL, 0, FI_UINT8,
			       FI_SUM, 0, NULL),
		  -FI_ENOSYS);
	CHECK_RET(fi_allgather(&ep, buf, 1, NULL, res, NULL, 0, FI_UINT8, 0,
			       NULL),
		  -FI_ENOSYS);
	CHECK_RET(fi_reduce_scatter(&ep, buf, 1, NULL, res, NULL, 0,
				    FI_UINT8, FI_SUM, 0, NULL),
		  -FI_ENOSYS);
	CHECK_RET(fi_reduce(&ep, buf, 1, NULL, res, NULL, 0, 0, FI_UINT8,
			    FI_SUM, 0, NULL),
		  -FI_ENOSYS);
	CHECK_RET(fi_scatter(&ep, buf, 1, NULL, res, NULL, 0, 0, FI_UINT8, 0,
			     NULL),
		  -FI_ENOSYS);
	CHECK_RET(fi_gather(&ep, buf, 1, NULL, res, NULL, 0, 0, FI_UINT8, 0,
			    NULL),
		  -FI_ENOSYS);

	/* fi_ops_ep stubs */
	CHECK_RET(fi_cancel(&ep.fid, NULL), -FI_ENOSYS);
	CHECK_RET(fi_tx_context(&ep, 0, NULL, NULL, NULL), -FI_ENOSYS);
	CHECK_RET(fi_rx_context(&ep, 0, NULL, NULL, NULL), -FI_ENOSYS);
	/* fi_rx/tx_size_left are deprecated wrappers; call the slots. */
	CHECK_RET(ep.ops->rx_size_left(&ep), -FI_ENOSYS);
	CHECK_RET(ep.ops->tx_size_left(&ep), -FI_ENOSYS);
	return 0;
}
