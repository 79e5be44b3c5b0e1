/* Ops tables for endpoint interfaces a provider does not offer. Every slot
 * is a function of the slot's exact type that answers -FI_ENOSYS, so an
 * application calling, say, fi_read on a provider without RMA gets a clear
 * error instead of a jump through NULL. Providers point ep_fid.rma (etc.)
 * at these tables, or borrow single functions for partial tables. */
#include <rdma/fi_atomic.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_collective.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_rma.h>
#include <rdma/fi_tagged.h>

#include "util/ep.h"

/* ---- fi_ops_ep pieces ------------------------------------------------- */

ssize_t weft_ep_cancel_none(fid_t fid, void *context)
{
	(void)fid;
	(void)context;
	return -FI_ENOSYS;
}

int weft_ep_tx_ctx_none(struct fid_ep *sep, int index, struct fi_tx_attr *attr,
			struct fid_ep **tx_ep, void *context)
{
	(void)sep;
	(void)index;
	(void)attr;
	(void)tx_ep;
	(void)context;
	return -FI_ENOSYS;
}

int weft_ep_rx_ctx_none(struct fid_ep *sep, int index, struct fi_rx_attr *attr,
			struct fid_ep **rx_ep, void *context)
{
	(void)sep;
	(void)index;
	(void)attr;
	(void)rx_ep;
	(void)context;
	return -FI_ENOSYS;
}

ssize_t weft_ep_size_left_none(struct fid_ep *ep)
{
	(void)ep;
	return -FI_ENOSYS;
}

/* ---- fi_ops_cm --------------------------------------------------------- */

int weft_cm_setname_none(fid_t fid, void *addr, size_t addrlen)
{
	(void)fid;
	(void)addr;
	(void)addrlen;
	return -FI_ENOSYS;
}

int weft_cm_getname_none(fid_t fid, void *addr, size_t *addrlen)
{
	(void)fid;
	(void)addr;
	(void)addrlen;
	return -FI_ENOSYS;
}

int weft_cm_getpeer_none(struct fid_ep *ep, void *addr, size_t *addrlen)
{
	(void)ep;
	(void)addr;
	(void)addrlen;
	return -FI_ENOSYS;
}

int weft_cm_connect_none(struct fid_ep *ep, const void *addr,
			   const void *param, size_t paramlen)
{
	(void)ep;
	(void)addr;
	(void)param;
	(void)paramlen;
	return -FI_ENOSYS;
}

int weft_cm_listen_none(struct fid_pep *pep)
{
	(void)pep;
	return -FI_ENOSYS;
}

int weft_cm_accept_none(struct fid_ep *ep, const void *param,
			  size_t paramlen)
{
	(void)ep;
	(void)param;
	(void)paramlen;
	return -FI_ENOSYS;
}

int weft_cm_reject_none(struct fid_pep *pep, fid_t handle, const void *param,
			  size_t paramlen)
{
	(void)pep;
	(void)handle;
	(void)param;
	(void)paramlen;
	return -FI_ENOSYS;
}

int weft_cm_shutdown_none(struct fid_ep *ep, uint64_t flags)
{
	(void)ep;
	(void)flags;
	return -FI_ENOSYS;
}

int weft_cm_join_none(struct fid_ep *ep, const void *addr, uint64_t flags,
			struct fid_mc **mc, void *context)
{
	(void)ep;
	(void)addr;
	(void)flags;
	(void)mc;
	(void)context;
	return -FI_ENOSYS;
}

struct fi_ops_cm weft_ops_cm_none = {
	.size = sizeof(struct fi_ops_cm),
	.setname = weft_cm_setname_none,
	.getname = weft_cm_getname_none,
	.getpeer = weft_cm_getpeer_none,
	.connect = weft_cm_connect_none,
	.listen = weft_cm_listen_none,
	.accept = weft_cm_accept_none,
	.reject = weft_cm_reject_none,
	.shutdown = weft_cm_shutdown_none,
	.join = weft_cm_join_none,
};

/* ---- fi_ops_msg -------------------------------------------------------- */

static ssize_t msg_recv_none(struct fid_ep *ep, void *buf, size_t len,
			     void *desc, fi_addr_t src_addr, void *context)
{
	(void)ep;
	(void)buf;
	(void)len;
	(void)desc;
	(void)src_addr;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t msg_recvv_none(struct fid_ep *ep, const struct iovec *iov,
			      void **desc, size_t count, fi_addr_t src_addr,
			      void *context)
{
	(void)ep;
	(void)iov;
	(void)desc;
	(void)count;
	(void)src_addr;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t msg_recvmsg_none(struct fid_ep *ep, const struct fi_msg *msg,
				uint64_t flags)
{
	(void)ep;
	(void)msg;
	(void)flags;
	return -FI_ENOSYS;
}

static ssize_t msg_send_none(struct fid_ep *ep, const void *buf, size_t len,
			     void *desc, fi_addr_t dest_addr, void *context)
{
	(void)ep;
	(void)buf;
	(void)len;
	(void)desc;
	(void)dest_addr;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t msg_sendv_none(struct fid_ep *ep, const struct iovec *iov,
			      void **desc, size_t count, fi_addr_t dest_addr,
			      void *context)
{
	(void)ep;
	(void)iov;
	(void)desc;
	(void)count;
	(void)dest_addr;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t msg_sendmsg_none(struct fid_ep *ep, const struct fi_msg *msg,
				uint64_t flags)
{
	(void)ep;
	(void)msg;
	(void)flags;
	return -FI_ENOSYS;
}

static ssize_t msg_inject_none(struct fid_ep *ep, const void *buf, size_t len,
			       fi_addr_t dest_addr)
{
	(void)ep;
	(void)buf;
	(void)len;
	(void)dest_addr;
	return -FI_ENOSYS;
}

static ssize_t msg_senddata_none(struct fid_ep *ep, const void *buf,
				 size_t len, void *desc, uint64_t data,
				 fi_addr_t dest_addr, void *context)
{
	(void)ep;
	(void)buf;
	(void)len;
	(void)desc;
	(void)data;
	(void)dest_addr;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t msg_injectdata_none(struct fid_ep *ep, const void *buf,
				   size_t len, uint64_t data,
				   fi_addr_t dest_addr)
{
	(void)ep;
	(void)buf;
	(void)len;
	(void)data;
	(void)dest_addr;
	return -FI_ENOSYS;
}

struct fi_ops_msg weft_ops_msg_none = {
	.size = sizeof(struct fi_ops_msg),
	.recv = msg_recv_none,
	.recvv = msg_recvv_none,
	.recvmsg = msg_recvmsg_none,
	.send = msg_send_none,
	.sendv = msg_sendv_none,
	.sendmsg = msg_sendmsg_none,
	.inject = msg_inject_none,
	.senddata = msg_senddata_none,
	.injectdata = msg_injectdata_none,
};

/* ---- fi_ops_tagged ----------------------------------------------------- */

static ssize_t tagged_recv_none(struct fid_ep *ep, void *buf, size_t len,
				void *desc, fi_addr_t src_addr, uint64_t tag,
				uint64_t ignore, void *context)
{
	(void)ep;
	(void)buf;
	(void)len;
	(void)desc;
	(void)src_addr;
	(void)tag;
	(void)ignore;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t tagged_recvv_none(struct fid_ep *ep, const struct iovec *iov,
				 void **desc, size_t count, fi_addr_t src_addr,
				 uint64_t tag, uint64_t ignore, void *context)
{
	(void)ep;
	(void)iov;
	(void)desc;
	(void)count;
	(void)src_addr;
	(void)tag;
	(void)ignore;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t tagged_recvmsg_none(struct fid_ep *ep,
				   const struct fi_msg_tagged *msg,
				   uint64_t flags)
{
	(void)ep;
	(void)msg;
	(void)flags;
	return -FI_ENOSYS;
}

static ssize_t tagged_send_none(struct fid_ep *ep, const void *buf, size_t len,
				void *desc, fi_addr_t dest_addr, uint64_t tag,
				void *context)
{
	(void)ep;
	(void)buf;
	(void)len;
	(void)desc;
	(void)dest_addr;
	(void)tag;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t tagged_sendv_none(struct fid_ep *ep, const struct iovec *iov,
				 void **desc, size_t count,
				 fi_addr_t dest_addr, uint64_t tag,
				 void *context)
{
	(void)ep;
	(void)iov;
	(void)desc;
	(void)count;
	(void)dest_addr;
	(void)tag;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t tagged_sendmsg_none(struct fid_ep *ep,
				   const struct fi_msg_tagged *msg,
				   uint64_t flags)
{
	(void)ep;
	(void)msg;
	(void)flags;
	return -FI_ENOSYS;
}

static ssize_t tagged_inject_none(struct fid_ep *ep, const void *buf,
				  size_t len, fi_addr_t dest_addr,
				  uint64_t tag)
{
	(void)ep;
	(void)buf;
	(void)len;
	(void)dest_addr;
	(void)tag;
	return -FI_ENOSYS;
}

static ssize_t tagged_senddata_none(struct fid_ep *ep, const void *buf,
				    size_t len, void *desc, uint64_t data,
				    fi_addr_t dest_addr, uint64_t tag,
				    void *context)
{
	(void)ep;
	(void)buf;
	(void)len;
	(void)desc;
	(void)data;
	(void)dest_addr;
	(void)tag;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t tagged_injectdata_none(struct fid_ep *ep, const void *buf,
				      size_t len, uint64_t data,
				      fi_addr_t dest_addr, uint64_t tag)
{
	(void)ep;
	(void)buf;
	(void)len;
	(void)data;
	(void)dest_addr;
	(void)tag;
	return -FI_ENOSYS;
}

struct fi_ops_tagged weft_ops_tagged_none = {
	.size = sizeof(struct fi_ops_tagged),
	.recv = tagged_recv_none,
	.recvv = tagged_recvv_none,
	.recvmsg = tagged_recvmsg_none,
	.send = tagged_send_none,
	.sendv = tagged_sendv_none,
	.sendmsg = tagged_sendmsg_none,
	.inject = tagged_inject_none,
	.senddata = tagged_senddata_none,
	.injectdata = tagged_injectdata_none,
};

/* ---- fi_ops_rma -------------------------------------------------------- */

static ssize_t rma_read_none(struct fid_ep *ep, void *buf, size_t len,
			     void *desc, fi_addr_t src_addr, uint64_t addr,
			     uint64_t key, void *context)
{
	(void)ep;
	(void)buf;
	(void)len;
	(void)desc;
	(void)src_addr;
	(void)addr;
	(void)key;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t rma_readv_none(struct fid_ep *ep, const struct iovec *iov,
			      void **desc, size_t count, fi_addr_t src_addr,
			      uint64_t addr, uint64_t key, void *context)
{
	(void)ep;
	(void)iov;
	(void)desc;
	(void)count;
	(void)src_addr;
	(void)addr;
	(void)key;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t rma_readmsg_none(struct fid_ep *ep, const struct fi_msg_rma *msg,
				uint64_t flags)
{
	(void)ep;
	(void)msg;
	(void)flags;
	return -FI_ENOSYS;
}

static ssize_t rma_write_none(struct fid_ep *ep, const void *buf, size_t len,
			      void *desc, fi_addr_t dest_addr, uint64_t addr,
			      uint64_t key, void *context)
{
	(void)ep;
	(void)buf;
	(void)len;
	(void)desc;
	(void)dest_addr;
	(void)addr;
	(void)key;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t rma_writev_none(struct fid_ep *ep, const struct iovec *iov,
			       void **desc, size_t count, fi_addr_t dest_addr,
			       uint64_t addr, uint64_t key, void *context)
{
	(void)ep;
	(void)iov;
	(void)desc;
	(void)count;
	(void)dest_addr;
	(void)addr;
	(void)key;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t rma_writemsg_none(struct fid_ep *ep,
				 const struct fi_msg_rma *msg, uint64_t flags)
{
	(void)ep;
	(void)msg;
	(void)flags;
	return -FI_ENOSYS;
}

static ssize_t rma_inject_none(struct fid_ep *ep, const void *buf, size_t len,
			       fi_addr_t dest_addr, uint64_t addr,
			       uint64_t key)
{
	(void)ep;
	(void)buf;
	(void)len;
	(void)dest_addr;
	(void)addr;
	(void)key;
	return -FI_ENOSYS;
}

static ssize_t rma_writedata_none(struct fid_ep *ep, const void *buf,
				  size_t len, void *desc, uint64_t data,
				  fi_addr_t dest_addr, uint64_t addr,
				  uint64_t key, void *context)
{
	(void)ep;
	(void)buf;
	(void)len;
	(void)desc;
	(void)data;
	(void)dest_addr;
	(void)addr;
	(void)key;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t rma_injectdata_none(struct fid_ep *ep, const void *buf,
				   size_t len, uint64_t data,
				   fi_addr_t dest_addr, uint64_t addr,
				   uint64_t key)
{
	(void)ep;
	(void)buf;
	(void)len;
	(void)data;
	(void)dest_addr;
	(void)addr;
	(void)key;
	return -FI_ENOSYS;
}

struct fi_ops_rma weft_ops_rma_none = {
	.size = sizeof(struct fi_ops_rma),
	.read = rma_read_none,
	.readv = rma_readv_none,
	.readmsg = rma_readmsg_none,
	.write = rma_write_none,
	.writev = rma_writev_none,
	.writemsg = rma_writemsg_none,
	.inject = rma_inject_none,
	.writedata = rma_writedata_none,
	.injectdata = rma_injectdata_none,
};

/* ---- fi_ops_atomic ----------------------------------------------------- */

static ssize_t atomic_write_none(struct fid_ep *ep, const void *buf,
				 size_t count, void *desc, fi_addr_t dest_addr,
				 uint64_t addr, uint64_t key,
				 enum fi_datatype datatype, enum fi_op op,
				 void *context)
{
	(void)ep;
	(void)buf;
	(void)count;
	(void)desc;
	(void)dest_addr;
	(void)addr;
	(void)key;
	(void)datatype;
	(void)op;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t atomic_writev_none(struct fid_ep *ep, const struct fi_ioc *iov,
				  void **desc, size_t count,
				  fi_addr_t dest_addr, uint64_t addr,
				  uint64_t key, enum fi_datatype datatype,
				  enum fi_op op, void *context)
{
	(void)ep;
	(void)iov;
	(void)desc;
	(void)count;
	(void)dest_addr;
	(void)addr;
	(void)key;
	(void)datatype;
	(void)op;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t atomic_writemsg_none(struct fid_ep *ep,
				    const struct fi_msg_atomic *msg,
				    uint64_t flags)
{
	(void)ep;
	(void)msg;
	(void)flags;
	return -FI_ENOSYS;
}

static ssize_t atomic_inject_none(struct fid_ep *ep, const void *buf,
				  size_t count, fi_addr_t dest_addr,
				  uint64_t addr, uint64_t key,
				  enum fi_datatype datatype, enum fi_op op)
{
	(void)ep;
	(void)buf;
	(void)count;
	(void)dest_addr;
	(void)addr;
	(void)key;
	(void)datatype;
	(void)op;
	return -FI_ENOSYS;
}

static ssize_t atomic_readwrite_none(struct fid_ep *ep, const void *buf,
				     size_t count, void *desc, void *result,
				     void *result_desc, fi_addr_t dest_addr,
				     uint64_t addr, uint64_t key,
				     enum fi_datatype datatype, enum fi_op op,
				     void *context)
{
	(void)ep;
	(void)buf;
	(void)count;
	(void)desc;
	(void)result;
	(void)result_desc;
	(void)dest_addr;
	(void)addr;
	(void)key;
	(void)datatype;
	(void)op;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t atomic_readwritev_none(struct fid_ep *ep,
				      const struct fi_ioc *iov, void **desc,
				      size_t count, struct fi_ioc *resultv,
				      void **result_desc, size_t result_count,
				      fi_addr_t dest_addr, uint64_t addr,
				      uint64_t key, enum fi_datatype datatype,
				      enum fi_op op, void *context)
{
	(void)ep;
	(void)iov;
	(void)desc;
	(void)count;
	(void)resultv;
	(void)result_desc;
	(void)result_count;
	(void)dest_addr;
	(void)addr;
	(void)key;
	(void)datatype;
	(void)op;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t atomic_readwritemsg_none(struct fid_ep *ep,
					const struct fi_msg_atomic *msg,
					struct fi_ioc *resultv,
					void **result_desc,
					size_t result_count, uint64_t flags)
{
	(void)ep;
	(void)msg;
	(void)resultv;
	(void)result_desc;
	(void)result_count;
	(void)flags;
	return -FI_ENOSYS;
}

static ssize_t atomic_compwrite_none(struct fid_ep *ep, const void *buf,
				     size_t count, void *desc,
				     const void *compare, void *compare_desc,
				     void *result, void *result_desc,
				     fi_addr_t dest_addr, uint64_t addr,
				     uint64_t key, enum fi_datatype datatype,
				     enum fi_op op, void *context)
{
	(void)ep;
	(void)buf;
	(void)count;
	(void)desc;
	(void)compare;
	(void)compare_desc;
	(void)result;
	(void)result_desc;
	(void)dest_addr;
	(void)addr;
	(void)key;
	(void)datatype;
	(void)op;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t atomic_compwritev_none(
	struct fid_ep *ep, const struct fi_ioc *iov, void **desc, size_t count,
	const struct fi_ioc *comparev, void **compare_desc,
	size_t compare_count, struct fi_ioc *resultv, void **result_desc,
	size_t result_count, fi_addr_t dest_addr, uint64_t addr, uint64_t key,
	enum fi_datatype datatype, enum fi_op op, void *context)
{
	(void)ep;
	(void)iov;
	(void)desc;
	(void)count;
	(void)comparev;
	(void)compare_desc;
	(void)compare_count;
	(void)resultv;
	(void)result_desc;
	(void)result_count;
	(void)dest_addr;
	(void)addr;
	(void)key;
	(void)datatype;
	(void)op;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t atomic_compwritemsg_none(struct fid_ep *ep,
					const struct fi_msg_atomic *msg,
					const struct fi_ioc *comparev,
					void **compare_desc,
					size_t compare_count,
					struct fi_ioc *resultv,
					void **result_desc,
					size_t result_count, uint64_t flags)
{
	(void)ep;
	(void)msg;
	(void)comparev;
	(void)compare_desc;
	(void)compare_count;
	(void)resultv;
	(void)result_desc;
	(void)result_count;
	(void)flags;
	return -FI_ENOSYS;
}

static int atomic_valid_none(struct fid_ep *ep, enum fi_datatype datatype,
			     enum fi_op op, size_t *count)
{
	(void)ep;
	(void)datatype;
	(void)op;
	(void)count;
	return -FI_ENOSYS;
}

struct fi_ops_atomic weft_ops_atomic_none = {
	.size = sizeof(struct fi_ops_atomic),
	.write = atomic_write_none,
	.writev = atomic_writev_none,
	.writemsg = atomic_writemsg_none,
	.inject = atomic_inject_none,
	.readwrite = atomic_readwrite_none,
	.readwritev = atomic_readwritev_none,
	.readwritemsg = atomic_readwritemsg_none,
	.compwrite = atomic_compwrite_none,
	.compwritev = atomic_compwritev_none,
	.compwritemsg = atomic_compwritemsg_none,
	.writevalid = atomic_valid_none,
	.readwritevalid = atomic_valid_none,
	.compwritevalid = atomic_valid_none,
};

/* ---- fi_ops_collective ------------------------------------------------- */

static ssize_t coll_barrier_none(struct fid_ep *ep, fi_addr_t coll_addr,
				 void *context)
{
	(void)ep;
	(void)coll_addr;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t coll_broadcast_none(struct fid_ep *ep, void *buf, size_t count,
				   void *desc, fi_addr_t coll_addr,
				   fi_addr_t root_addr,
				   enum fi_datatype datatype, uint64_t flags,
				   void *context)
{
	(void)ep;
	(void)buf;
	(void)count;
	(void)desc;
	(void)coll_addr;
	(void)root_addr;
	(void)datatype;
	(void)flags;
	(void)context;
	return -FI_ENOSYS;
}

/* alltoall and allgather share a signature. */
static ssize_t coll_gatherlike_none(struct fid_ep *ep, const void *buf,
				    size_t count, void *desc, void *result,
				    void *result_desc, fi_addr_t coll_addr,
				    enum fi_datatype datatype, uint64_t flags,
				    void *context)
{
	(void)ep;
	(void)buf;
	(void)count;
	(void)desc;
	(void)result;
	(void)result_desc;
	(void)coll_addr;
	(void)datatype;
	(void)flags;
	(void)context;
	return -FI_ENOSYS;
}

/* allreduce and reduce_scatter share a signature. */
static ssize_t coll_reducelike_none(struct fid_ep *ep, const void *buf,
				    size_t count, void *desc, void *result,
				    void *result_desc, fi_addr_t coll_addr,
				    enum fi_datatype datatype, enum fi_op op,
				    uint64_t flags, void *context)
{
	(void)ep;
	(void)buf;
	(void)count;
	(void)desc;
	(void)result;
	(void)result_desc;
	(void)coll_addr;
	(void)datatype;
	(void)op;
	(void)flags;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t coll_reduce_none(struct fid_ep *ep, const void *buf,
				size_t count, void *desc, void *result,
				void *result_desc, fi_addr_t coll_addr,
				fi_addr_t root_addr, enum fi_datatype datatype,
				enum fi_op op, uint64_t flags, void *context)
{
	(void)ep;
	(void)buf;
	(void)count;
	(void)desc;
	(void)result;
	(void)result_desc;
	(void)coll_addr;
	(void)root_addr;
	(void)datatype;
	(void)op;
	(void)flags;
	(void)context;
	return -FI_ENOSYS;
}

/* scatter and gather share a signature. */
static ssize_t coll_rooted_none(struct fid_ep *ep, const void *buf,
				size_t count, void *desc, void *result,
				void *result_desc, fi_addr_t coll_addr,
				fi_addr_t root_addr, enum fi_datatype datatype,
				uint64_t flags, void *context)
{
	(void)ep;
	(void)buf;
	(void)count;
	(void)desc;
	(void)result;
	(void)result_desc;
	(void)coll_addr;
	(void)root_addr;
	(void)datatype;
	(void)flags;
	(void)context;
	return -FI_ENOSYS;
}

static ssize_t coll_msg_none(struct fid_ep *ep,
			     const struct fi_msg_collective *msg,
			     struct fi_ioc *resultv, void **result_desc,
			     size_t result_count, uint64_t flags)
{
	(void)ep;
	(void)msg;
	(void)resultv;
	(void)result_desc;
	(void)result_count;
	(void)flags;
	return -FI_ENOSYS;
}

static ssize_t coll_barrier2_none(struct fid_ep *ep, fi_addr_t coll_addr,
				  uint64_t flags, void *context)
{
	(void)ep;
	(void)coll_addr;
	(void)flags;
	(void)context;
	return -FI_ENOSYS;
}

struct fi_ops_collective weft_ops_collective_none = {
	.size = sizeof(struct fi_ops_collective),
	.barrier = coll_barrier_none,
	.broadcast = coll_broadcast_none,
	.alltoall = coll_gatherlike_none,
	.allreduce = coll_reducelike_none,
	.allgather = coll_gatherlike_none,
	.reduce_scatter = coll_reducelike_none,
	.reduce = coll_reduce_none,
	.scatter = coll_rooted_none,
	.gather = coll_rooted_none,
	.msg = coll_msg_none,
	.barrier2 = coll_barrier2_none,
};
