/* FI_RMA and FI_ATOMIC over a connection, both halves.
 *
 * The fi_ops_rma / fi_ops_atomic entry points below serve FI_EP_RDM
 * endpoints too: they check the arguments and describe the request
 * (struct tcp_rma_req, with the target's fi_addr), and tcp_rma_post
 * hands an RDM endpoint's request to tcp_rdm_rma_post (tcp_rdm_rma.c).
 *
 * Initiator: a request (TCP_OP_WRITE / READ / ATOMIC, a struct
 * tcp_rma_hdr after the header, operands as payload) goes through the tx
 * queue like a send; once written it waits on rma_pending for the
 * target's TCP_OP_RESP. Answers come back in request order (one stream,
 * processed in order), so the oldest pending request is the one answered.
 * The operation completes when its answer arrives: successfully, or with
 * the target's error (bad key, range or access), so a bad access fails
 * at the initiator. Read data and fetched values land straight in the
 * application's buffers.
 *
 * Target: every access is checked with weft_mr_verify (key, range,
 * access) before a byte is touched; a write that fails the check has its
 * payload read and dropped. Atomics are applied with util's software
 * atomics under the domain lock. The answer is queued from a small
 * per-endpoint pool; when the pool is empty, requests wait in the stream
 * (rx stalls) until an answer has been written.
 *
 * All under util.lock.
 */
#include <string.h>

#include "tcp.h"

#define TCP_RMA_FLAGS                                                          \
	(FI_COMPLETION | FI_INJECT | FI_REMOTE_CQ_DATA | FI_INJECT_COMPLETE |  \
	 FI_TRANSMIT_COMPLETE | FI_DELIVERY_COMPLETE | FI_MORE | FI_FENCE)


size_t tcp_iov_total(const struct iovec *iov, size_t count)
{
	size_t n = 0;

	for (size_t i = 0; i < count; i++)
		n += iov[i].iov_len;
	return n;
}

/* Lay request r out for the wire, for the MSG and RDM initiators alike:
 * the headers in hdr and rma, iov = { hdr, rma, payload... } (with
 * FI_INJECT the payload is copied into inject, else the caller's non-empty
 * iovs are referenced), and in land the non-empty iovs the answer's
 * payload lands in. Returns iov's count; *land_count gets land's. */
size_t tcp_rma_req_frame(const struct tcp_rma_req *r, size_t plen,
			 struct tcp_hdr *hdr, struct tcp_rma_hdr *rma,
			 uint8_t *inject, struct iovec *iov,
			 struct iovec *land, size_t *land_count)
{
	size_t n = 2;

	tcp_hdr_init(hdr, r->op,
		     (r->flags & FI_REMOTE_CQ_DATA) ? TCP_HDR_CQ_DATA : 0, plen,
		     0, r->data);
	memset(rma, 0, sizeof(*rma));
	rma->addr = htole64(r->addr);
	rma->key = htole64(r->key);
	rma->len = htole64(r->len);
	rma->datatype = r->datatype;
	rma->atomic_op = r->atomic_op;
	rma->kind = r->kind;
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(*hdr);
	iov[1].iov_base = rma;
	iov[1].iov_len = sizeof(*rma);
	if (r->flags & FI_INJECT) {
		size_t off = 0;

		for (size_t i = 0; i < r->src_count; i++) {
			memcpy(inject + off, r->src[i].iov_base, r->src[i].iov_len);
			off += r->src[i].iov_len;
		}
		for (size_t i = 0; i < r->src2_count; i++) {
			memcpy(inject + off, r->src2[i].iov_base,
			       r->src2[i].iov_len);
			off += r->src2[i].iov_len;
		}
		if (plen) {
			iov[2].iov_base = inject;
			iov[2].iov_len = plen;
			n = 3;
		}
	} else {
		for (size_t i = 0; i < r->src_count; i++)
			if (r->src[i].iov_len)
				iov[n++] = r->src[i];
		for (size_t i = 0; i < r->src2_count; i++)
			if (r->src2[i].iov_len)
				iov[n++] = r->src2[i];
	}
	*land_count = 0;
	for (size_t i = 0; i < r->dst_count; i++)
		if (r->dst[i].iov_len)
			land[(*land_count)++] = r->dst[i];
	return n;
}

static ssize_t tcp_rma_post(struct weft_ep *wep, const struct tcp_rma_req *r)
{
	struct tcp_ep *ep;
	size_t plen = tcp_iov_total(r->src, r->src_count) +
		      tcp_iov_total(r->src2, r->src2_count);
	struct tcp_tx_entry *e;
	struct weft_list *l;
	ssize_t ret = 0;

	/* Checks common to both endpoint types; the inject size is each
	 * type's own. */
	if (r->src_count + r->src2_count > TCP_IOV_LIMIT ||
	    r->dst_count > TCP_IOV_LIMIT)
		return -FI_EINVAL;
	if (plen > wep->max_msg_size || r->len > wep->max_msg_size)
		return -FI_EMSGSIZE;
	if (wep->type == FI_EP_RDM)
		return tcp_rdm_rma_post(wep, r, plen);
	ep = weft_container_of(wep, struct tcp_ep, util);
	if ((r->flags & FI_INJECT) && plen > ep->inject_size)
		return -FI_EINVAL;

	weft_lock_acquire(&ep->util.lock);
	if (ep->state != TCP_EP_CONNECTED) {
		ret = -FI_ENOTCONN;
		goto out;
	}
	l = tcp_tx_alloc(ep);
	if (!l) {
		tcp_tx_progress(ep);
		l = tcp_tx_alloc(ep);
		if (!l) {
			ret = -FI_EAGAIN;
			goto out;
		}
	}
	e = weft_container_of(l, struct tcp_tx_entry, link);
	e->kind = TCP_TX_RMA;
	e->context = r->context;
	e->report = r->report;
	e->len = r->op == TCP_OP_READ ? r->len : plen;
	e->tag = 0;
	e->flags = (r->flags & ~FI_REMOTE_CQ_DATA) | r->comp;
	e->iov_count = tcp_rma_req_frame(r, plen, &e->hdr, &e->rma, e->inject,
					 e->iov, e->dst, &e->dst_count);
	e->idx = 0;
	weft_list_push_back(&ep->tx_queue, &e->link);
	tcp_tx_progress(ep);
out:
	weft_lock_release(&ep->util.lock);
	return ret;
}

/* ---- fi_ops_rma ------------------------------------------------------- */

static ssize_t tcp_rma_read(struct fid_ep *ep_fid, void *buf, size_t len,
			    void *desc, fi_addr_t src_addr, uint64_t addr,
			    uint64_t key, void *context)
{
	struct weft_ep *ep = weft_ep_of(ep_fid);
	struct iovec iov = { buf, len };
	struct tcp_rma_req r = { .op = TCP_OP_READ, .dest = src_addr,
				 .addr = addr, .key = key,
				 .len = len, .dst = &iov, .dst_count = 1,
				 .flags = ep->tx_op_flags,
				 .comp = FI_RMA | FI_READ, .context = context,
				 .report = true };

	if (len && !buf)
		return -FI_EINVAL;
	return tcp_rma_post(ep, &r);
}

static ssize_t tcp_rma_readv(struct fid_ep *ep_fid, const struct iovec *iov,
			     void **desc, size_t count, fi_addr_t src_addr,
			     uint64_t addr, uint64_t key, void *context)
{
	struct weft_ep *ep = weft_ep_of(ep_fid);
	struct tcp_rma_req r = { .op = TCP_OP_READ, .dest = src_addr,
				 .addr = addr, .key = key,
				 .dst = iov, .dst_count = count,
				 .flags = ep->tx_op_flags,
				 .comp = FI_RMA | FI_READ, .context = context,
				 .report = true };
	size_t len;
	int ret = weft_ep_check_iov(iov, count, ep->tx_iov_limit,
				    ep->max_msg_size, &len);

	if (ret)
		return ret;
	r.len = len;
	return tcp_rma_post(ep, &r);
}

static ssize_t tcp_rma_readmsg(struct fid_ep *ep_fid,
			       const struct fi_msg_rma *msg, uint64_t flags)
{
	struct weft_ep *ep = weft_ep_of(ep_fid);
	struct tcp_rma_req r = { .op = TCP_OP_READ, .dest = msg ? msg->addr : 0,
				 .flags = flags,
				 .comp = FI_RMA | FI_READ,
				 .report = true };
	size_t len;
	int ret;

	if (!msg || (flags & ~TCP_RMA_FLAGS) || msg->rma_iov_count != 1 ||
	    !msg->rma_iov)
		return -FI_EINVAL;
	ret = weft_ep_check_iov(msg->msg_iov, msg->iov_count,
				ep->tx_iov_limit, ep->max_msg_size,
				&len);
	if (ret)
		return ret;
	if (len != msg->rma_iov[0].len)
		return -FI_EINVAL;
	r.addr = msg->rma_iov[0].addr;
	r.key = msg->rma_iov[0].key;
	r.len = len;
	r.dst = msg->msg_iov;
	r.dst_count = msg->iov_count;
	r.context = msg->context;
	return tcp_rma_post(ep, &r);
}

static ssize_t tcp_rma_write_common(struct weft_ep *ep, fi_addr_t dest,
				    const struct iovec *iov, size_t count,
				    uint64_t addr, uint64_t key,
				    uint64_t data, uint64_t flags,
				    void *context, bool report)
{
	struct tcp_rma_req r = { .op = TCP_OP_WRITE, .dest = dest,
				 .addr = addr, .key = key,
				 .src = iov, .src_count = count, .data = data,
				 .flags = flags, .comp = FI_RMA | FI_WRITE,
				 .context = context, .report = report };
	size_t len;
	int ret = weft_ep_check_iov(iov, count, ep->tx_iov_limit,
				    ep->max_msg_size, &len);

	if (ret)
		return ret;
	r.len = len;
	return tcp_rma_post(ep, &r);
}

static ssize_t tcp_rma_write(struct fid_ep *ep_fid, const void *buf,
			     size_t len, void *desc, fi_addr_t dest_addr,
			     uint64_t addr, uint64_t key, void *context)
{
	struct weft_ep *ep = weft_ep_of(ep_fid);
	struct iovec iov = { (void *)buf, len };

	return tcp_rma_write_common(ep, dest_addr, &iov, 1, addr, key, 0,
				    ep->tx_op_flags, context, true);
}

static ssize_t tcp_rma_writev(struct fid_ep *ep_fid, const struct iovec *iov,
			      void **desc, size_t count, fi_addr_t dest_addr,
			      uint64_t addr, uint64_t key, void *context)
{
	struct weft_ep *ep = weft_ep_of(ep_fid);

	return tcp_rma_write_common(ep, dest_addr, iov, count, addr, key, 0,
				    ep->tx_op_flags, context, true);
}

static ssize_t tcp_rma_writemsg(struct fid_ep *ep_fid,
				const struct fi_msg_rma *msg, uint64_t flags)
{
	struct weft_ep *ep = weft_ep_of(ep_fid);

	if (!msg || (flags & ~TCP_RMA_FLAGS) || msg->rma_iov_count != 1 ||
	    !msg->rma_iov)
		return -FI_EINVAL;
	return tcp_rma_write_common(ep, msg->addr, msg->msg_iov, msg->iov_count,
				    msg->rma_iov[0].addr, msg->rma_iov[0].key,
				    msg->data, flags, msg->context, true);
}

static ssize_t tcp_rma_inject(struct fid_ep *ep_fid, const void *buf,
			      size_t len, fi_addr_t dest_addr, uint64_t addr,
			      uint64_t key)
{
	struct weft_ep *ep = weft_ep_of(ep_fid);
	struct iovec iov = { (void *)buf, len };

	return tcp_rma_write_common(ep, dest_addr, &iov, 1, addr, key, 0,
				    ep->tx_op_flags | FI_INJECT, NULL,
				    false);
}

static ssize_t tcp_rma_writedata(struct fid_ep *ep_fid, const void *buf,
				 size_t len, void *desc, uint64_t data,
				 fi_addr_t dest_addr, uint64_t addr,
				 uint64_t key, void *context)
{
	struct weft_ep *ep = weft_ep_of(ep_fid);
	struct iovec iov = { (void *)buf, len };

	return tcp_rma_write_common(ep, dest_addr, &iov, 1, addr, key, data,
				    ep->tx_op_flags | FI_REMOTE_CQ_DATA,
				    context, true);
}

static ssize_t tcp_rma_injectdata(struct fid_ep *ep_fid, const void *buf,
				  size_t len, uint64_t data,
				  fi_addr_t dest_addr, uint64_t addr,
				  uint64_t key)
{
	struct weft_ep *ep = weft_ep_of(ep_fid);
	struct iovec iov = { (void *)buf, len };

	return tcp_rma_write_common(ep, dest_addr, &iov, 1, addr, key, data,
				    ep->tx_op_flags | FI_INJECT |
					    FI_REMOTE_CQ_DATA,
				    NULL, false);
}

struct fi_ops_rma tcp_rma_ops = {
	.size = sizeof(struct fi_ops_rma),
	.read = tcp_rma_read,
	.readv = tcp_rma_readv,
	.readmsg = tcp_rma_readmsg,
	.write = tcp_rma_write,
	.writev = tcp_rma_writev,
	.writemsg = tcp_rma_writemsg,
	.inject = tcp_rma_inject,
	.writedata = tcp_rma_writedata,
	.injectdata = tcp_rma_injectdata,
};

/* ---- fi_ops_atomic ---------------------------------------------------- */

/* Check an atomic request and turn counts into byte lengths. */
static int tcp_atomic_check(enum weft_atomic_kind kind, enum fi_datatype dt,
			    enum fi_op op, size_t count, size_t *len)
{
	size_t size = weft_datatype_size(dt);

	if (!size || !weft_atomic_supported(kind, op, dt))
		return -FI_EOPNOTSUPP;
	if (count == 0 || count > WEFT_ATOMIC_MAX_BYTES / size)
		return -FI_EINVAL;
	*len = count * size;
	return 0;
}

static ssize_t tcp_atomic_post(struct weft_ep *ep, fi_addr_t dest,
			       enum weft_atomic_kind kind,
			       const void *buf, const void *compare,
			       void *result, size_t count, uint64_t addr,
			       uint64_t key, enum fi_datatype dt,
			       enum fi_op op, uint64_t flags, void *context,
			       bool report)
{
	struct iovec src, cmp, dst;
	struct tcp_rma_req r = { .op = TCP_OP_ATOMIC, .dest = dest, .addr = addr,
				 .key = key, .datatype = (uint8_t)dt,
				 .atomic_op = (uint8_t)op,
				 .flags = flags, .context = context,
				 .report = report };
	size_t len;
	int ret = tcp_atomic_check(kind, dt, op, count, &len);

	if (ret)
		return ret;
	if ((!buf && op != FI_ATOMIC_READ) ||
	    (kind != WEFT_ATOMIC_WRITE && !result) ||
	    (kind == WEFT_ATOMIC_COMPARE && !compare))
		return -FI_EINVAL;
	r.len = len;
	if (op != FI_ATOMIC_READ) {
		src.iov_base = (void *)buf;
		src.iov_len = len;
		r.src = &src;
		r.src_count = 1;
	}
	switch (kind) {
	case WEFT_ATOMIC_WRITE:
		r.kind = TCP_ATOMIC_WRITE;
		r.comp = FI_ATOMIC | FI_WRITE;
		break;
	case WEFT_ATOMIC_READWRITE:
		r.kind = TCP_ATOMIC_FETCH;
		r.comp = FI_ATOMIC | FI_READ;
		break;
	default:
		r.kind = TCP_ATOMIC_COMPARE;
		r.comp = FI_ATOMIC | FI_READ;
		cmp.iov_base = (void *)compare;
		cmp.iov_len = len;
		r.src2 = &cmp;
		r.src2_count = 1;
		break;
	}
	if (kind != WEFT_ATOMIC_WRITE) {
		dst.iov_base = result;
		dst.iov_len = len;
		r.dst = &dst;
		r.dst_count = 1;
	}
	return tcp_rma_post(ep, &r);
}

static ssize_t tcp_atomic_write(struct fid_ep *ep_fid, const void *buf,
				size_t count, void *desc, fi_addr_t dest_addr,
				uint64_t addr, uint64_t key,
				enum fi_datatype datatype, enum fi_op op,
				void *context)
{
	struct weft_ep *ep = weft_ep_of(ep_fid);

	return tcp_atomic_post(ep, dest_addr, WEFT_ATOMIC_WRITE, buf, NULL,
			       NULL, count,
			       addr, key, datatype, op, ep->tx_op_flags,
			       context, true);
}

static ssize_t tcp_atomic_writev(struct fid_ep *ep_fid,
				 const struct fi_ioc *iov, void **desc,
				 size_t count, fi_addr_t dest_addr,
				 uint64_t addr, uint64_t key,
				 enum fi_datatype datatype, enum fi_op op,
				 void *context)
{
	if (count != 1 || !iov)
		return -FI_EINVAL;
	return tcp_atomic_write(ep_fid, iov[0].addr, iov[0].count, NULL,
				dest_addr, addr, key, datatype, op, context);
}

static ssize_t tcp_atomic_writemsg(struct fid_ep *ep_fid,
				   const struct fi_msg_atomic *msg,
				   uint64_t flags)
{
	struct weft_ep *ep = weft_ep_of(ep_fid);

	if (!msg || msg->iov_count != 1 || !msg->msg_iov ||
	    msg->rma_iov_count != 1 || !msg->rma_iov ||
	    (flags & ~TCP_RMA_FLAGS))
		return -FI_EINVAL;
	return tcp_atomic_post(ep, msg->addr, WEFT_ATOMIC_WRITE, msg->msg_iov[0].addr,
			       NULL, NULL, msg->msg_iov[0].count,
			       msg->rma_iov[0].addr, msg->rma_iov[0].key,
			       msg->datatype, msg->op, flags, msg->context,
			       true);
}

static ssize_t tcp_atomic_inject(struct fid_ep *ep_fid, const void *buf,
				 size_t count, fi_addr_t dest_addr,
				 uint64_t addr, uint64_t key,
				 enum fi_datatype datatype, enum fi_op op)
{
	struct weft_ep *ep = weft_ep_of(ep_fid);

	return tcp_atomic_post(ep, dest_addr, WEFT_ATOMIC_WRITE, buf, NULL,
			       NULL, count,
			       addr, key, datatype, op,
			       ep->tx_op_flags | FI_INJECT, NULL, false);
}

static ssize_t tcp_atomic_readwrite(struct fid_ep *ep_fid, const void *buf,
				    size_t count, void *desc, void *result,
				    void *result_desc, fi_addr_t dest_addr,
				    uint64_t addr, uint64_t key,
				    enum fi_datatype datatype, enum fi_op op,
				    void *context)
{
	struct weft_ep *ep = weft_ep_of(ep_fid);

	return tcp_atomic_post(ep, dest_addr, WEFT_ATOMIC_READWRITE, buf, NULL, result,
			       count, addr, key, datatype, op,
			       ep->tx_op_flags, context, true);
}

static ssize_t tcp_atomic_readwritev(struct fid_ep *ep_fid,
				     const struct fi_ioc *iov, void **desc,
				     size_t count, struct fi_ioc *resultv,
				     void **result_desc, size_t result_count,
				     fi_addr_t dest_addr, uint64_t addr,
				     uint64_t key, enum fi_datatype datatype,
				     enum fi_op op, void *context)
{
	if (count != 1 || !iov || result_count != 1 || !resultv ||
	    resultv[0].count != iov[0].count)
		return -FI_EINVAL;
	return tcp_atomic_readwrite(ep_fid, iov[0].addr, iov[0].count, NULL,
				    resultv[0].addr, NULL, dest_addr, addr,
				    key, datatype, op, context);
}

static ssize_t tcp_atomic_readwritemsg(struct fid_ep *ep_fid,
				       const struct fi_msg_atomic *msg,
				       struct fi_ioc *resultv,
				       void **result_desc,
				       size_t result_count, uint64_t flags)
{
	struct weft_ep *ep = weft_ep_of(ep_fid);

	if (!msg || msg->iov_count != 1 || !msg->msg_iov ||
	    msg->rma_iov_count != 1 || !msg->rma_iov || result_count != 1 ||
	    !resultv || resultv[0].count != msg->msg_iov[0].count ||
	    (flags & ~TCP_RMA_FLAGS))
		return -FI_EINVAL;
	return tcp_atomic_post(ep, msg->addr, WEFT_ATOMIC_READWRITE,
			       msg->msg_iov[0].addr, NULL, resultv[0].addr,
			       msg->msg_iov[0].count, msg->rma_iov[0].addr,
			       msg->rma_iov[0].key, msg->datatype, msg->op,
			       flags, msg->context, true);
}

static ssize_t tcp_atomic_compwrite(struct fid_ep *ep_fid, const void *buf,
				    size_t count, void *desc,
				    const void *compare, void *compare_desc,
				    void *result, void *result_desc,
				    fi_addr_t dest_addr, uint64_t addr,
				    uint64_t key, enum fi_datatype datatype,
				    enum fi_op op, void *context)
{
	struct weft_ep *ep = weft_ep_of(ep_fid);

	return tcp_atomic_post(ep, dest_addr, WEFT_ATOMIC_COMPARE, buf,
			       compare, result,
			       count, addr, key, datatype, op,
			       ep->tx_op_flags, context, true);
}

static ssize_t tcp_atomic_compwritev(
	struct fid_ep *ep_fid, const struct fi_ioc *iov, void **desc,
	size_t count, const struct fi_ioc *comparev, void **compare_desc,
	size_t compare_count, struct fi_ioc *resultv, void **result_desc,
	size_t result_count, fi_addr_t dest_addr, uint64_t addr, uint64_t key,
	enum fi_datatype datatype, enum fi_op op, void *context)
{
	if (count != 1 || !iov || compare_count != 1 || !comparev ||
	    result_count != 1 || !resultv ||
	    comparev[0].count != iov[0].count ||
	    resultv[0].count != iov[0].count)
		return -FI_EINVAL;
	return tcp_atomic_compwrite(ep_fid, iov[0].addr, iov[0].count, NULL,
				    comparev[0].addr, NULL, resultv[0].addr,
				    NULL, dest_addr, addr, key, datatype, op,
				    context);
}

static ssize_t tcp_atomic_compwritemsg(
	struct fid_ep *ep_fid, const struct fi_msg_atomic *msg,
	const struct fi_ioc *comparev, void **compare_desc,
	size_t compare_count, struct fi_ioc *resultv, void **result_desc,
	size_t result_count, uint64_t flags)
{
	struct weft_ep *ep = weft_ep_of(ep_fid);

	if (!msg || msg->iov_count != 1 || !msg->msg_iov ||
	    msg->rma_iov_count != 1 || !msg->rma_iov || compare_count != 1 ||
	    !comparev || result_count != 1 || !resultv ||
	    comparev[0].count != msg->msg_iov[0].count ||
	    resultv[0].count != msg->msg_iov[0].count ||
	    (flags & ~TCP_RMA_FLAGS))
		return -FI_EINVAL;
	return tcp_atomic_post(ep, msg->addr, WEFT_ATOMIC_COMPARE,
			       msg->msg_iov[0].addr,
			       comparev[0].addr, resultv[0].addr,
			       msg->msg_iov[0].count, msg->rma_iov[0].addr,
			       msg->rma_iov[0].key, msg->datatype, msg->op,
			       flags, msg->context, true);
}

static int tcp_atomic_valid(enum weft_atomic_kind kind, enum fi_datatype dt,
			    enum fi_op op, size_t *count)
{
	struct fi_atomic_attr attr;
	int ret;

	if (!count)
		return -FI_EINVAL;
	ret = weft_atomic_query(op, dt, kind, &attr);
	if (ret)
		return ret;
	*count = attr.count;
	return 0;
}

static int tcp_atomic_writevalid(struct fid_ep *ep, enum fi_datatype datatype,
				 enum fi_op op, size_t *count)
{
	return tcp_atomic_valid(WEFT_ATOMIC_WRITE, datatype, op, count);
}

static int tcp_atomic_readwritevalid(struct fid_ep *ep,
				     enum fi_datatype datatype, enum fi_op op,
				     size_t *count)
{
	return tcp_atomic_valid(WEFT_ATOMIC_READWRITE, datatype, op, count);
}

static int tcp_atomic_compwritevalid(struct fid_ep *ep,
				     enum fi_datatype datatype, enum fi_op op,
				     size_t *count)
{
	return tcp_atomic_valid(WEFT_ATOMIC_COMPARE, datatype, op, count);
}

struct fi_ops_atomic tcp_atomic_ops = {
	.size = sizeof(struct fi_ops_atomic),
	.write = tcp_atomic_write,
	.writev = tcp_atomic_writev,
	.writemsg = tcp_atomic_writemsg,
	.inject = tcp_atomic_inject,
	.readwrite = tcp_atomic_readwrite,
	.readwritev = tcp_atomic_readwritev,
	.readwritemsg = tcp_atomic_readwritemsg,
	.compwrite = tcp_atomic_compwrite,
	.compwritev = tcp_atomic_compwritev,
	.compwritemsg = tcp_atomic_compwritemsg,
	.writevalid = tcp_atomic_writevalid,
	.readwritevalid = tcp_atomic_readwritevalid,
	.compwritevalid = tcp_atomic_compwritevalid,
};

/* ---- target and answers ----------------------------------------------- */

/* Resolve the current request's target range under the domain lock. */
static int tcp_rma_verify(struct tcp_ep *ep, uint64_t access,
			  struct iovec *out, size_t *count)
{
	struct weft_domain *dom = ep->util.domain;
	int ret;

	weft_lock_acquire(&dom->lock);
	ret = weft_mr_verify(&dom->mr_map, ep->rx_rma.key, ep->rx_rma.addr,
			     (size_t)ep->rx_rma.len, access, out, count);
	weft_lock_release(&dom->lock);
	return ret;
}

static void tcp_rma_count(struct tcp_ep *ep, uint64_t access)
{
	struct weft_domain *dom = ep->util.domain;

	weft_lock_acquire(&dom->lock);
	weft_mr_count_access(&dom->mr_map, ep->rx_rma.key, access);
	weft_lock_release(&dom->lock);
}

/* Queue the answer to the current request: status, then `len` bytes from
 * iov (read data) or from the entry's result buffer (fetched values). */
static void tcp_resp_queue(struct tcp_ep *ep, int status,
			   const struct iovec *iov, size_t count, size_t len,
			   bool from_result)
{
	struct weft_list *l = weft_list_pop_front(&ep->resp_free);
	struct tcp_resp_entry *r;
	struct tcp_tx_entry *e;

	/* Reserved when the request started: never NULL here. */
	r = weft_container_of(l, struct tcp_resp_entry, tx.link);
	e = &r->tx;
	e->kind = TCP_TX_RESP;
	e->report = false;
	e->context = NULL;
	if (status)
		len = 0;
	tcp_hdr_init(&e->hdr, TCP_OP_RESP, 0, len, 0, 0);
	memset(&e->rma, 0, sizeof(e->rma));
	e->rma.status = (int32_t)htole32((uint32_t)status);
	e->iov[0].iov_base = &e->hdr;
	e->iov[0].iov_len = sizeof(e->hdr);
	e->iov[1].iov_base = &e->rma;
	e->iov[1].iov_len = sizeof(e->rma);
	e->iov_count = 2;
	e->idx = 0;
	if (len && from_result) {
		e->iov[2].iov_base = r->result;
		e->iov[2].iov_len = len;
		e->iov_count = 3;
	} else if (len) {
		for (size_t i = 0; i < count; i++)
			e->iov[e->iov_count++] = iov[i];
	}
	weft_list_push_back(&ep->tx_queue, &e->link);
}

static void tcp_rma_protocol_error(struct tcp_ep *ep, const char *why)
{
	FI_WARN(&tcp_prov, FI_LOG_EP_DATA,
		"peer broke the RMA protocol (%s): closing the connection\n",
		why);
	tcp_ep_down(ep, FI_EIO);
}

/* The checks a request (WRITE, READ, ATOMIC) must pass before its body is
 * read, shared by the MSG and RDM targets. Returns NULL, or why the peer
 * broke the protocol. For an atomic it also aims `cur` at atomic_buf (the
 * operands land there); a write's target is left to the caller, which
 * verifies it against its own MR domain. */
const char *tcp_rma_request_check(const struct tcp_hdr *h,
				  const struct tcp_rma_hdr *m,
				  size_t max_msg_size,
				  struct tcp_iov_cursor *cur, void *atomic_buf)
{
	size_t size = (size_t)h->size;
	size_t expect;

	switch (h->op) {
	case TCP_OP_WRITE:
		return m->len != size ? "write length" : NULL;
	case TCP_OP_READ:
		return size != 0 || m->len > max_msg_size ? "read request" : NULL;
	case TCP_OP_ATOMIC:
		expect = m->kind == TCP_ATOMIC_COMPARE ? 2 * m->len
		       : m->atomic_op == FI_ATOMIC_READ ? 0
							: m->len;
		if (m->kind >= TCP_ATOMIC_KINDS ||
		    m->len > WEFT_ATOMIC_MAX_BYTES || size != expect)
			return "atomic request";
		if (size) {
			cur->iov[0].iov_base = atomic_buf;
			cur->iov[0].iov_len = size;
			cur->count = 1;
		}
		return NULL;
	default:
		return "unknown op";
	}
}

void tcp_rma_rx_start(struct tcp_ep *ep)
{
	const struct tcp_hdr *h = &ep->rx_hdr;
	const struct tcp_rma_hdr *m = &ep->rx_rma;
	size_t size = (size_t)h->size;
	struct tcp_iov_cursor *c = &ep->rx_cursor;
	const char *bad;

	c->count = c->idx = 0;
	ep->rx_status = 0;
	ep->rx_left = 0;
	ep->rx_discard = 0;
	if (h->op == TCP_OP_RESP) {
		struct weft_list *l = weft_list_pop_front(&ep->rma_pending);
		struct tcp_tx_entry *e;
		size_t want;

		if (!l) {
			tcp_rma_protocol_error(ep, "answer to no request");
			return;
		}
		e = weft_container_of(l, struct tcp_tx_entry, link);
		ep->rx_pending = e;
		ep->rx_status = m->status;
		want = tcp_iov_total(e->dst, e->dst_count);
		if (ep->rx_status == 0 && size != want)
			ep->rx_status = -FI_EIO;
		if (ep->rx_status == 0) {
			tcp_cursor_set(c, e->dst, e->dst_count, size);
			ep->rx_left = size;
		} else {
			ep->rx_discard = size;
		}
		ep->rx_state = TCP_RX_BODY;
		return;
	}
	/* A request: only served with the capabilities, and its answer
	 * needs a pool entry. */
	if (!ep->resp_pool ||
	    (h->op == TCP_OP_ATOMIC && !ep->atomic_buf)) {
		tcp_rma_protocol_error(ep, "RMA/atomics not enabled here");
		return;
	}
	if (weft_list_empty(&ep->resp_free)) {
		ep->rx_state = TCP_RX_STALLED;
		return;
	}
	bad = tcp_rma_request_check(h, m, ep->util.max_msg_size, c,
				    ep->atomic_buf);
	if (bad) {
		tcp_rma_protocol_error(ep, bad);
		return;
	}
	if (h->op == TCP_OP_WRITE) {
		struct iovec out[TCP_IOV_LIMIT];
		size_t n = TCP_IOV_LIMIT;

		ep->rx_status = tcp_rma_verify(ep, FI_REMOTE_WRITE, out, &n);
		if (ep->rx_status == 0) {
			tcp_cursor_set(c, out, n, size);
			ep->rx_left = size;
		} else {
			ep->rx_discard = size;
		}
	} else if (h->op == TCP_OP_ATOMIC) {
		ep->rx_left = size;
	}
	ep->rx_state = TCP_RX_BODY;
}

static void tcp_rma_answered(struct tcp_ep *ep)
{
	struct tcp_tx_entry *e = ep->rx_pending;

	ep->rx_pending = NULL;
	if (ep->rx_status == 0) {
		if (e->report)
			weft_ep_tx_complete(&ep->util, e->context, e->flags,
					    e->len, NULL, 0, 0);
		else
			weft_ep_cntr_inc(&ep->util,
					 weft_ep_tx_cntr_kind(e->flags));
	} else {
		int err = -ep->rx_status;

		if (err <= 0 || err > 0xffff)
			err = FI_EIO;
		weft_ep_tx_error(&ep->util, e->context, e->flags, err, err,
				 e->len, 0);
	}
	weft_list_push_back(&ep->tx_free, &e->link);
}

static void tcp_atomic_apply(struct tcp_ep *ep)
{
	const struct tcp_rma_hdr *m = &ep->rx_rma;
	static const enum weft_atomic_kind kinds[TCP_ATOMIC_KINDS] = {
		[TCP_ATOMIC_WRITE] = WEFT_ATOMIC_WRITE,
		[TCP_ATOMIC_FETCH] = WEFT_ATOMIC_READWRITE,
		[TCP_ATOMIC_COMPARE] = WEFT_ATOMIC_COMPARE,
	};
	enum weft_atomic_kind kind = kinds[m->kind];
	enum fi_datatype dt = (enum fi_datatype)m->datatype;
	enum fi_op op = (enum fi_op)m->atomic_op;
	size_t dsize = weft_datatype_size(dt);
	struct weft_domain *dom = ep->util.domain;
	struct tcp_resp_entry *r;
	struct iovec out[1];
	size_t n = 1, len = (size_t)m->len;
	uint64_t access = FI_REMOTE_WRITE |
			  (kind != WEFT_ATOMIC_WRITE ? FI_REMOTE_READ : 0);
	int status;

	/* The answer's result buffer: the entry tcp_resp_queue will take. */
	r = weft_container_of(ep->resp_free.next, struct tcp_resp_entry,
			      tx.link);
	if (!dsize || !weft_atomic_supported(kind, op, dt) || len % dsize ||
	    !len) {
		status = -FI_EOPNOTSUPP;
		goto answer;
	}
	weft_lock_acquire(&dom->lock);
	status = weft_mr_verify(&dom->mr_map, m->key, m->addr, len, access,
				out, &n);
	if (status == -FI_E2BIG)
		status = -FI_EINVAL; /* must be one contiguous range */
	if (status == 0) {
		switch (kind) {
		case WEFT_ATOMIC_WRITE:
			status = weft_atomic_write(op, dt, out[0].iov_base,
						   ep->atomic_buf, len / dsize);
			break;
		case WEFT_ATOMIC_READWRITE:
			status = weft_atomic_readwrite(
				op, dt, out[0].iov_base, ep->atomic_buf,
				r->result, len / dsize);
			break;
		default:
			status = weft_atomic_compare(
				op, dt, out[0].iov_base, ep->atomic_buf,
				ep->atomic_buf + len, r->result, len / dsize);
			break;
		}
	}
	if (status == 0)
		weft_mr_count_access(&dom->mr_map, m->key, FI_REMOTE_WRITE);
	weft_lock_release(&dom->lock);
	if (status == 0)
		weft_ep_rx_complete(&ep->util, NULL,
				    FI_ATOMIC | FI_REMOTE_WRITE, 0, NULL, 0, 0,
				    FI_ADDR_NOTAVAIL);
answer:
	tcp_resp_queue(ep, status, NULL, 0,
		       kind == WEFT_ATOMIC_WRITE ? 0 : len, true);
}

void tcp_rma_rx_finish(struct tcp_ep *ep)
{
	const struct tcp_hdr *h = &ep->rx_hdr;

	switch (h->op) {
	case TCP_OP_RESP:
		tcp_rma_answered(ep);
		break;
	case TCP_OP_WRITE:
		if (ep->rx_status == 0) {
			uint64_t flags = FI_RMA | FI_REMOTE_WRITE;

			tcp_rma_count(ep, FI_REMOTE_WRITE);
			if (h->flags & TCP_HDR_CQ_DATA)
				flags |= FI_REMOTE_CQ_DATA;
			weft_ep_rx_complete(&ep->util, NULL, flags,
					    (size_t)h->size, NULL,
					    (h->flags & TCP_HDR_CQ_DATA)
						    ? h->data
						    : 0,
					    0, FI_ADDR_NOTAVAIL);
		}
		tcp_resp_queue(ep, ep->rx_status, NULL, 0, 0, false);
		break;
	case TCP_OP_READ: {
		struct iovec out[TCP_IOV_LIMIT];
		size_t n = TCP_IOV_LIMIT;
		int status = tcp_rma_verify(ep, FI_REMOTE_READ, out, &n);

		if (status == 0) {
			tcp_rma_count(ep, FI_REMOTE_READ);
			weft_ep_rx_complete(&ep->util, NULL,
					    FI_RMA | FI_REMOTE_READ,
					    (size_t)ep->rx_rma.len, NULL, 0, 0,
					    FI_ADDR_NOTAVAIL);
		}
		tcp_resp_queue(ep, status, out, status ? 0 : n,
			       (size_t)ep->rx_rma.len, false);
		break;
	}
	case TCP_OP_ATOMIC:
		tcp_atomic_apply(ep);
		break;
	default:
		break;
	}
}

void tcp_rma_flush(struct tcp_ep *ep, int err)
{
	struct weft_list *l;

	if (ep->rx_pending) {
		weft_list_push_front(&ep->rma_pending, &ep->rx_pending->link);
		ep->rx_pending = NULL;
	}
	while ((l = weft_list_pop_front(&ep->rma_pending))) {
		struct tcp_tx_entry *e =
			weft_container_of(l, struct tcp_tx_entry, link);

		if (e->report)
			weft_ep_tx_error(&ep->util, e->context, e->flags, err,
					 err, e->len, 0);
		else if (ep->util.cntrs[weft_ep_tx_cntr_kind(e->flags)])
			weft_cntr_inc_err(
				ep->util.cntrs[weft_ep_tx_cntr_kind(e->flags)]);
		weft_list_push_back(&ep->tx_free, &e->link);
	}
}
