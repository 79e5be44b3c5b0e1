/* udp provider, FI_EP_RDM: FI_RMA and FI_ATOMIC at the initiator.
 *
 * Every call becomes one engine message to the target: a struct
 * udp_rma_hdr (key, address, length, atomic op/datatype, and a request
 * id naming the tx entry), then the bytes to write or the operands (and
 * compare values). Messages of any size are segmented by the engine.
 * The target checks the access against its registered memory and always
 * answers (UDP_RDM_OP_RESP, udp_rdm_target.c) with a status and, for
 * reads and fetching atomics, the data. The operation completes when the
 * answer has arrived and the engine has finished with the request (every
 * packet acknowledged, or the peer failed), so that no retransmission
 * reads the application's source buffer after the completion: successfully,
 * or with the target's error (FI_EACCES,
 * FI_EKEYREJECTED, FI_EINVAL for a range outside the region), so a bad
 * access fails at the initiator with the target's memory untouched. Every
 * RMA and atomic operation is thus delivery-complete.
 *
 * The tx entry lives, and the completion waits, until both the engine
 * acknowledged the request and the answer came (in either order). Read data and fetched values land
 * straight in the application's buffers.
 */
#include <string.h>

#include "udp_rdm.h"
#include "util/atomic.h"

#define UDP_RDM_RMA_FLAGS                                                      \
	(FI_COMPLETION | FI_INJECT | FI_REMOTE_CQ_DATA | FI_INJECT_COMPLETE |  \
	 FI_TRANSMIT_COMPLETE | FI_DELIVERY_COMPLETE | FI_MORE | FI_FENCE)

/* What one RMA or atomic call asks for. */
struct udp_rdm_req {
	uint8_t op;                    /* UDP_RDM_OP_WRITE / READ / ATOMIC */
	fi_addr_t dest;
	uint64_t addr, key, len;       /* at the target */
	uint8_t atomic_op, datatype, kind;
	const struct iovec *src;       /* payload */
	size_t src_cnt;
	const struct iovec *cmp;       /* compare values (after src) */
	size_t cmp_cnt;
	const struct iovec *dst;       /* where the answer's payload lands */
	size_t dst_cnt;
	uint64_t resp_len;             /* answer payload expected */
	uint64_t data;
	uint64_t flags;
	uint64_t comp;                 /* FI_RMA|FI_WRITE, FI_ATOMIC|FI_READ.. */
	void *context;
	bool report;
};

static size_t udp_rdm_iov_total(const struct iovec *iov, size_t cnt)
{
	size_t n = 0, i;

	for (i = 0; i < cnt; i++)
		n += iov[i].iov_len;
	return n;
}

static ssize_t udp_rdm_req_post(struct udp_rdm_ep *ep,
				const struct udp_rdm_req *r)
{
	size_t plen = udp_rdm_iov_total(r->src, r->src_cnt) +
		      udp_rdm_iov_total(r->cmp, r->cmp_cnt);
	struct udp_rdm_tx *tx;
	size_t i, n;
	int ret;

	if (!ep->util.enabled)
		return -FI_EOPBADSTATE;
	if (r->src_cnt + r->cmp_cnt > 2 * UDP_IOV_LIMIT ||
	    r->dst_cnt > UDP_IOV_LIMIT)
		return -FI_EINVAL;
	if (plen > UDP_RDM_MAX_MSG_SIZE || r->len > UDP_RDM_MAX_MSG_SIZE)
		return -FI_EMSGSIZE;
	if ((r->flags & FI_INJECT) && plen > UDP_RDM_INJECT_SIZE)
		return -FI_EMSGSIZE;
	if (r->dest >= UDP_RDM_MAX_PEERS || !weft_av_addr(ep->util.av, r->dest))
		return -FI_EINVAL;

	weft_lock_acquire(&ep->util.lock);
	tx = udp_rdm_tx_get(ep);
	if (!tx) {
		udp_rdm_progress_locked(ep);
		tx = udp_rdm_tx_get(ep);
		if (!tx) {
			weft_lock_release(&ep->util.lock);
			return -FI_EAGAIN;
		}
	}
	tx->op = r->op;
	tx->peer = (uint32_t)r->dest;
	tx->context = r->context;
	tx->flags = (r->flags & FI_COMPLETION) | r->comp;
	tx->len = r->op == UDP_RDM_OP_WRITE ? plen : r->len;
	tx->report = r->report;
	tx->reported = false;
	tx->resp_len = r->resp_len;
	tx->resp_got = 0;
	tx->dst_cnt = r->dst_cnt;
	for (i = 0; i < r->dst_cnt; i++)
		tx->dst[i] = r->dst[i];

	memset(&tx->hdr, 0, sizeof(tx->hdr));
	tx->hdr.req_id = htole64((uint64_t)tx->gen << 32 |
				 (uint64_t)(tx - ep->tx_pool));
	tx->hdr.addr = htole64(r->addr);
	tx->hdr.key = htole64(r->key);
	tx->hdr.len = htole64(r->len);
	tx->hdr.atomic_op = r->atomic_op;
	tx->hdr.datatype = r->datatype;
	tx->hdr.kind = r->kind;
	tx->rel.iov[0].iov_base = &tx->hdr;
	tx->rel.iov[0].iov_len = sizeof(tx->hdr);
	n = 1;
	if ((r->flags & FI_INJECT) && plen) {
		uint8_t *p = tx->inject;

		for (i = 0; i < r->src_cnt; i++) {
			memcpy(p, r->src[i].iov_base, r->src[i].iov_len);
			p += r->src[i].iov_len;
		}
		for (i = 0; i < r->cmp_cnt; i++) {
			memcpy(p, r->cmp[i].iov_base, r->cmp[i].iov_len);
			p += r->cmp[i].iov_len;
		}
		tx->rel.iov[n].iov_base = tx->inject;
		tx->rel.iov[n++].iov_len = plen;
	} else if (!(r->flags & FI_INJECT)) {
		for (i = 0; i < r->src_cnt; i++)
			if (r->src[i].iov_len)
				tx->rel.iov[n++] = r->src[i];
		for (i = 0; i < r->cmp_cnt; i++)
			if (r->cmp[i].iov_len)
				tx->rel.iov[n++] = r->cmp[i];
	}
	tx->rel.iov_cnt = n;
	tx->rel.mflags = (uint32_t)r->op << UDP_REL_MSG_OP_SHIFT;
	if (r->op == UDP_RDM_OP_WRITE && (r->flags & FI_REMOTE_CQ_DATA)) {
		tx->rel.mflags |= UDP_REL_MSG_CQ_DATA;
		tx->rel.cq_data = r->data;
	}
	udp_rdm_peer_prepare(ep, r->dest);
	ret = udp_rel_send(&ep->rel, tx->peer, &tx->rel, udp_rdm_now());
	if (ret) {
		udp_rdm_tx_put(ep, tx);
		weft_lock_release(&ep->util.lock);
		return ret;
	}
	ep->next_deadline = 0;
	weft_lock_release(&ep->util.lock);
	return 0;
}

/* ---- fi_ops_rma ----------------------------------------------------------- */

static ssize_t udp_rdm_read_common(struct udp_rdm_ep *ep,
				   const struct iovec *iov, size_t count,
				   fi_addr_t src, uint64_t addr, uint64_t key,
				   uint64_t flags, void *context)
{
	struct udp_rdm_req r = {.op = UDP_RDM_OP_READ, .dest = src,
				.addr = addr, .key = key, .dst = iov,
				.dst_cnt = count, .flags = flags,
				.comp = FI_RMA | FI_READ, .context = context,
				.report = true};
	size_t len;
	int ret = weft_ep_check_iov(iov, count, UDP_IOV_LIMIT,
				    UDP_RDM_MAX_MSG_SIZE, &len);

	if (ret)
		return ret;
	if (flags & FI_INJECT)
		return -FI_EINVAL; /* a read has nothing to inject */
	r.len = len;
	r.resp_len = len;
	return udp_rdm_req_post(ep, &r);
}

static ssize_t udp_rdm_read(struct fid_ep *fid, void *buf, size_t len,
			    void *desc, fi_addr_t src, uint64_t addr,
			    uint64_t key, void *context)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);
	struct iovec v = {buf, len};

	return udp_rdm_read_common(ep, &v, 1, src, addr, key,
				   ep->util.tx_op_flags, context);
}

static ssize_t udp_rdm_readv(struct fid_ep *fid, const struct iovec *iov,
			     void **desc, size_t count, fi_addr_t src,
			     uint64_t addr, uint64_t key, void *context)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);

	return udp_rdm_read_common(ep, iov, count, src, addr, key,
				   ep->util.tx_op_flags, context);
}

static ssize_t udp_rdm_readmsg(struct fid_ep *fid, const struct fi_msg_rma *msg,
			       uint64_t flags)
{
	size_t len;

	if (!msg || msg->rma_iov_count != 1 || !msg->rma_iov)
		return -FI_EINVAL;
	if (flags & ~UDP_RDM_RMA_FLAGS)
		return -FI_EBADFLAGS;
	if (weft_ep_check_iov(msg->msg_iov, msg->iov_count, UDP_IOV_LIMIT,
			      UDP_RDM_MAX_MSG_SIZE, &len) == 0 &&
	    len != msg->rma_iov[0].len)
		return -FI_EINVAL;
	return udp_rdm_read_common(udp_rdm_ep_of(fid), msg->msg_iov,
				   msg->iov_count, msg->addr,
				   msg->rma_iov[0].addr, msg->rma_iov[0].key,
				   flags, msg->context);
}

static ssize_t udp_rdm_write_common(struct udp_rdm_ep *ep,
				    const struct iovec *iov, size_t count,
				    fi_addr_t dest, uint64_t addr, uint64_t key,
				    uint64_t data, uint64_t flags,
				    void *context, bool report)
{
	struct udp_rdm_req r = {.op = UDP_RDM_OP_WRITE, .dest = dest,
				.addr = addr, .key = key, .src = iov,
				.src_cnt = count, .data = data, .flags = flags,
				.comp = FI_RMA | FI_WRITE, .context = context,
				.report = report};
	size_t len;
	int ret = weft_ep_check_iov(iov, count, UDP_IOV_LIMIT,
				    UDP_RDM_MAX_MSG_SIZE, &len);

	if (ret)
		return ret;
	r.len = len;
	return udp_rdm_req_post(ep, &r);
}

static ssize_t udp_rdm_write(struct fid_ep *fid, const void *buf, size_t len,
			     void *desc, fi_addr_t dest, uint64_t addr,
			     uint64_t key, void *context)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);
	struct iovec v = {(void *)buf, len};

	return udp_rdm_write_common(ep, &v, 1, dest, addr, key, 0,
				    ep->util.tx_op_flags, context, true);
}

static ssize_t udp_rdm_writev(struct fid_ep *fid, const struct iovec *iov,
			      void **desc, size_t count, fi_addr_t dest,
			      uint64_t addr, uint64_t key, void *context)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);

	return udp_rdm_write_common(ep, iov, count, dest, addr, key, 0,
				    ep->util.tx_op_flags, context, true);
}

static ssize_t udp_rdm_writemsg(struct fid_ep *fid,
				const struct fi_msg_rma *msg, uint64_t flags)
{
	size_t len;

	if (!msg || msg->rma_iov_count != 1 || !msg->rma_iov)
		return -FI_EINVAL;
	if (flags & ~UDP_RDM_RMA_FLAGS)
		return -FI_EBADFLAGS;
	if (weft_ep_check_iov(msg->msg_iov, msg->iov_count, UDP_IOV_LIMIT,
			      UDP_RDM_MAX_MSG_SIZE, &len) == 0 &&
	    len != msg->rma_iov[0].len)
		return -FI_EINVAL;
	return udp_rdm_write_common(udp_rdm_ep_of(fid), msg->msg_iov,
				    msg->iov_count, msg->addr,
				    msg->rma_iov[0].addr, msg->rma_iov[0].key,
				    msg->data, flags, msg->context, true);
}

static ssize_t udp_rdm_rma_inject(struct fid_ep *fid, const void *buf,
				  size_t len, fi_addr_t dest, uint64_t addr,
				  uint64_t key)
{
	struct iovec v = {(void *)buf, len};

	return udp_rdm_write_common(udp_rdm_ep_of(fid), &v, 1, dest, addr, key,
				    0, FI_INJECT, NULL, false);
}

static ssize_t udp_rdm_writedata(struct fid_ep *fid, const void *buf,
				 size_t len, void *desc, uint64_t data,
				 fi_addr_t dest, uint64_t addr, uint64_t key,
				 void *context)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);
	struct iovec v = {(void *)buf, len};

	return udp_rdm_write_common(ep, &v, 1, dest, addr, key, data,
				    ep->util.tx_op_flags | FI_REMOTE_CQ_DATA,
				    context, true);
}

static ssize_t udp_rdm_rma_injectdata(struct fid_ep *fid, const void *buf,
				      size_t len, uint64_t data,
				      fi_addr_t dest, uint64_t addr,
				      uint64_t key)
{
	struct iovec v = {(void *)buf, len};

	return udp_rdm_write_common(udp_rdm_ep_of(fid), &v, 1, dest, addr, key,
				    data, FI_INJECT | FI_REMOTE_CQ_DATA, NULL,
				    false);
}

struct fi_ops_rma udp_rdm_rma_ops = {
	.size = sizeof(struct fi_ops_rma),
	.read = udp_rdm_read,
	.readv = udp_rdm_readv,
	.readmsg = udp_rdm_readmsg,
	.write = udp_rdm_write,
	.writev = udp_rdm_writev,
	.writemsg = udp_rdm_writemsg,
	.inject = udp_rdm_rma_inject,
	.writedata = udp_rdm_writedata,
	.injectdata = udp_rdm_rma_injectdata,
};

/* ---- fi_ops_atomic -------------------------------------------------------- */

/* Check an atomic call and turn its count into bytes. */
static int udp_rdm_atomic_check(enum weft_atomic_kind kind,
				enum fi_datatype dt, enum fi_op op,
				size_t count, size_t *len)
{
	size_t size = weft_datatype_size(dt);

	if (!size || !weft_atomic_supported(kind, op, dt))
		return -FI_EOPNOTSUPP;
	if (count == 0 || count > UDP_RDM_ATOMIC_MAX / size)
		return -FI_EINVAL;
	*len = count * size;
	return 0;
}

/* Turn up to UDP_IOV_LIMIT fi_ioc of dt elements into iovecs and an
 * element count. NULL bases are allowed only when nulls_ok (the operand
 * of FI_ATOMIC_READ, which is not sent). */
static int udp_rdm_ioc_to_iov(const struct fi_ioc *ioc, size_t cnt,
			      size_t size, bool nulls_ok, struct iovec *iov,
			      size_t *count)
{
	size_t i, n = 0;

	if (!ioc || !cnt || cnt > UDP_IOV_LIMIT)
		return -FI_EINVAL;
	for (i = 0; i < cnt; i++) {
		if (!ioc[i].addr && ioc[i].count && !nulls_ok)
			return -FI_EINVAL;
		iov[i].iov_base = ioc[i].addr;
		iov[i].iov_len = ioc[i].count * size;
		n += ioc[i].count;
	}
	*count = n;
	return 0;
}

static ssize_t udp_rdm_atomic_post(struct udp_rdm_ep *ep,
				   enum weft_atomic_kind kind,
				   const struct fi_ioc *src, size_t src_cnt,
				   const struct fi_ioc *cmp, size_t cmp_cnt,
				   const struct fi_ioc *res, size_t res_cnt,
				   fi_addr_t dest, uint64_t addr, uint64_t key,
				   enum fi_datatype dt, enum fi_op op,
				   uint64_t flags, void *context, bool report)
{
	struct iovec sv[UDP_IOV_LIMIT], cv[UDP_IOV_LIMIT], rv[UDP_IOV_LIMIT];
	struct udp_rdm_req r = {.op = UDP_RDM_OP_ATOMIC, .dest = dest,
				.addr = addr, .key = key,
				.datatype = (uint8_t)dt,
				.atomic_op = (uint8_t)op, .kind = (uint8_t)kind,
				.flags = flags, .context = context,
				.report = report};
	size_t size = weft_datatype_size(dt), count, n, len;
	int ret;

	if (!size || !weft_atomic_supported(kind, op, dt))
		return -FI_EOPNOTSUPP;
	ret = udp_rdm_ioc_to_iov(src, src_cnt, size, op == FI_ATOMIC_READ, sv,
				 &count);
	if (ret)
		return ret;
	ret = udp_rdm_atomic_check(kind, dt, op, count, &len);
	if (ret)
		return ret;
	if (flags & FI_REMOTE_CQ_DATA)
		return -FI_EBADFLAGS; /* CQ data rides on writes only */
	r.len = len;
	if (op != FI_ATOMIC_READ) {
		r.src = sv;
		r.src_cnt = src_cnt;
	}
	r.comp = FI_ATOMIC | (kind == WEFT_ATOMIC_WRITE ? FI_WRITE : FI_READ);
	if (kind == WEFT_ATOMIC_COMPARE) {
		ret = udp_rdm_ioc_to_iov(cmp, cmp_cnt, size, false, cv, &n);
		if (ret || n != count)
			return -FI_EINVAL;
		r.cmp = cv;
		r.cmp_cnt = cmp_cnt;
	}
	if (kind != WEFT_ATOMIC_WRITE) {
		ret = udp_rdm_ioc_to_iov(res, res_cnt, size, false, rv, &n);
		if (ret || n != count)
			return -FI_EINVAL;
		r.dst = rv;
		r.dst_cnt = res_cnt;
		r.resp_len = len;
	}
	return udp_rdm_req_post(ep, &r);
}

static ssize_t udp_rdm_atomic_writev(struct fid_ep *fid,
				     const struct fi_ioc *iov, void **desc,
				     size_t count, fi_addr_t dest,
				     uint64_t addr, uint64_t key,
				     enum fi_datatype datatype, enum fi_op op,
				     void *context)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);

	return udp_rdm_atomic_post(ep, WEFT_ATOMIC_WRITE, iov, count, NULL, 0,
				   NULL, 0, dest, addr, key, datatype, op,
				   ep->util.tx_op_flags, context, true);
}

static ssize_t udp_rdm_atomic_write(struct fid_ep *fid, const void *buf,
				    size_t count, void *desc, fi_addr_t dest,
				    uint64_t addr, uint64_t key,
				    enum fi_datatype datatype, enum fi_op op,
				    void *context)
{
	struct fi_ioc v = {(void *)buf, count};

	return udp_rdm_atomic_writev(fid, &v, NULL, 1, dest, addr, key,
				     datatype, op, context);
}

static ssize_t udp_rdm_atomic_writemsg(struct fid_ep *fid,
				       const struct fi_msg_atomic *msg,
				       uint64_t flags)
{
	if (!msg || msg->rma_iov_count != 1 || !msg->rma_iov)
		return -FI_EINVAL;
	if (flags & ~UDP_RDM_RMA_FLAGS)
		return -FI_EBADFLAGS;
	return udp_rdm_atomic_post(udp_rdm_ep_of(fid), WEFT_ATOMIC_WRITE,
				   msg->msg_iov, msg->iov_count, NULL, 0, NULL,
				   0, msg->addr, msg->rma_iov[0].addr,
				   msg->rma_iov[0].key, msg->datatype, msg->op,
				   flags, msg->context, true);
}

static ssize_t udp_rdm_atomic_inject(struct fid_ep *fid, const void *buf,
				     size_t count, fi_addr_t dest,
				     uint64_t addr, uint64_t key,
				     enum fi_datatype datatype, enum fi_op op)
{
	struct fi_ioc v = {(void *)buf, count};

	return udp_rdm_atomic_post(udp_rdm_ep_of(fid), WEFT_ATOMIC_WRITE, &v,
				   1, NULL, 0, NULL, 0, dest, addr, key,
				   datatype, op, FI_INJECT, NULL, false);
}

static ssize_t udp_rdm_atomic_readwritev(
	struct fid_ep *fid, const struct fi_ioc *iov, void **desc,
	size_t count, struct fi_ioc *resultv, void **result_desc,
	size_t result_count, fi_addr_t dest, uint64_t addr, uint64_t key,
	enum fi_datatype datatype, enum fi_op op, void *context)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);

	return udp_rdm_atomic_post(ep, WEFT_ATOMIC_READWRITE, iov, count, NULL,
				   0, resultv, result_count, dest, addr, key,
				   datatype, op, ep->util.tx_op_flags, context,
				   true);
}

static ssize_t udp_rdm_atomic_readwrite(struct fid_ep *fid, const void *buf,
					size_t count, void *desc, void *result,
					void *result_desc, fi_addr_t dest,
					uint64_t addr, uint64_t key,
					enum fi_datatype datatype,
					enum fi_op op, void *context)
{
	struct fi_ioc v = {(void *)buf, count}, r = {result, count};

	return udp_rdm_atomic_readwritev(fid, &v, NULL, 1, &r, NULL, 1, dest,
					 addr, key, datatype, op, context);
}

static ssize_t udp_rdm_atomic_readwritemsg(struct fid_ep *fid,
					   const struct fi_msg_atomic *msg,
					   struct fi_ioc *resultv,
					   void **result_desc,
					   size_t result_count, uint64_t flags)
{
	if (!msg || msg->rma_iov_count != 1 || !msg->rma_iov)
		return -FI_EINVAL;
	if (flags & ~UDP_RDM_RMA_FLAGS)
		return -FI_EBADFLAGS;
	return udp_rdm_atomic_post(udp_rdm_ep_of(fid), WEFT_ATOMIC_READWRITE,
				   msg->msg_iov, msg->iov_count, NULL, 0,
				   resultv, result_count, msg->addr,
				   msg->rma_iov[0].addr, msg->rma_iov[0].key,
				   msg->datatype, msg->op, flags, msg->context,
				   true);
}

static ssize_t udp_rdm_atomic_compwritev(
	struct fid_ep *fid, const struct fi_ioc *iov, void **desc,
	size_t count, const struct fi_ioc *comparev, void **compare_desc,
	size_t compare_count, struct fi_ioc *resultv, void **result_desc,
	size_t result_count, fi_addr_t dest, uint64_t addr, uint64_t key,
	enum fi_datatype datatype, enum fi_op op, void *context)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);

	return udp_rdm_atomic_post(ep, WEFT_ATOMIC_COMPARE, iov, count,
				   comparev, compare_count, resultv,
				   result_count, dest, addr, key, datatype, op,
				   ep->util.tx_op_flags, context, true);
}

static ssize_t udp_rdm_atomic_compwrite(struct fid_ep *fid, const void *buf,
					size_t count, void *desc,
					const void *compare,
					void *compare_desc, void *result,
					void *result_desc, fi_addr_t dest,
					uint64_t addr, uint64_t key,
					enum fi_datatype datatype,
					enum fi_op op, void *context)
{
	struct fi_ioc v = {(void *)buf, count}, c = {(void *)compare, count},
		      r = {result, count};

	return udp_rdm_atomic_compwritev(fid, &v, NULL, 1, &c, NULL, 1, &r,
					 NULL, 1, dest, addr, key, datatype,
					 op, context);
}

static ssize_t udp_rdm_atomic_compwritemsg(
	struct fid_ep *fid, const struct fi_msg_atomic *msg,
	const struct fi_ioc *comparev, void **compare_desc,
	size_t compare_count, struct fi_ioc *resultv, void **result_desc,
	size_t result_count, uint64_t flags)
{
	if (!msg || msg->rma_iov_count != 1 || !msg->rma_iov)
		return -FI_EINVAL;
	if (flags & ~UDP_RDM_RMA_FLAGS)
		return -FI_EBADFLAGS;
	return udp_rdm_atomic_post(udp_rdm_ep_of(fid), WEFT_ATOMIC_COMPARE,
				   msg->msg_iov, msg->iov_count, comparev,
				   compare_count, resultv, result_count,
				   msg->addr, msg->rma_iov[0].addr,
				   msg->rma_iov[0].key, msg->datatype, msg->op,
				   flags, msg->context, true);
}

/* fi_*atomicvalid and fi_query_atomic: util's answer, with the count
 * capped at what one call may carry here (UDP_RDM_ATOMIC_MAX bytes). */
static int udp_rdm_atomic_valid(enum weft_atomic_kind kind,
				enum fi_datatype dt, enum fi_op op,
				struct fi_atomic_attr *attr)
{
	int ret = weft_atomic_query(op, dt, kind, attr);

	if (ret)
		return ret;
	if (attr->count > UDP_RDM_ATOMIC_MAX / attr->size)
		attr->count = UDP_RDM_ATOMIC_MAX / attr->size;
	return 0;
}

static int udp_rdm_valid_count(enum weft_atomic_kind kind,
			       enum fi_datatype dt, enum fi_op op,
			       size_t *count)
{
	struct fi_atomic_attr attr;
	int ret;

	if (!count)
		return -FI_EINVAL;
	ret = udp_rdm_atomic_valid(kind, dt, op, &attr);
	if (ret)
		return ret;
	*count = attr.count;
	return 0;
}

static int udp_rdm_atomic_writevalid(struct fid_ep *ep,
				     enum fi_datatype datatype, enum fi_op op,
				     size_t *count)
{
	return udp_rdm_valid_count(WEFT_ATOMIC_WRITE, datatype, op, count);
}

static int udp_rdm_atomic_readwritevalid(struct fid_ep *ep,
					 enum fi_datatype datatype,
					 enum fi_op op, size_t *count)
{
	return udp_rdm_valid_count(WEFT_ATOMIC_READWRITE, datatype, op, count);
}

static int udp_rdm_atomic_compwritevalid(struct fid_ep *ep,
					 enum fi_datatype datatype,
					 enum fi_op op, size_t *count)
{
	return udp_rdm_valid_count(WEFT_ATOMIC_COMPARE, datatype, op, count);
}

int udp_rdm_query_atomic(struct fid_domain *domain, enum fi_datatype datatype,
			 enum fi_op op, struct fi_atomic_attr *attr,
			 uint64_t flags)
{
	enum weft_atomic_kind kind;
	int ret;

	if (!attr)
		return -FI_EINVAL;
	ret = weft_atomic_kind_from_flags(flags, &kind);
	if (ret)
		return ret;
	return udp_rdm_atomic_valid(kind, datatype, op, attr);
}

struct fi_ops_atomic udp_rdm_atomic_ops = {
	.size = sizeof(struct fi_ops_atomic),
	.write = udp_rdm_atomic_write,
	.writev = udp_rdm_atomic_writev,
	.writemsg = udp_rdm_atomic_writemsg,
	.inject = udp_rdm_atomic_inject,
	.readwrite = udp_rdm_atomic_readwrite,
	.readwritev = udp_rdm_atomic_readwritev,
	.readwritemsg = udp_rdm_atomic_readwritemsg,
	.compwrite = udp_rdm_atomic_compwrite,
	.compwritev = udp_rdm_atomic_compwritev,
	.compwritemsg = udp_rdm_atomic_compwritemsg,
	.writevalid = udp_rdm_atomic_writevalid,
	.readwritevalid = udp_rdm_atomic_readwritevalid,
	.compwritevalid = udp_rdm_atomic_compwritevalid,
};
