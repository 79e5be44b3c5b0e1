/* FI_ATOMIC: operations executed by the target.
 *
 * An atomic is an ATOMIC request entry in the target's ring carrying the
 * remote range (key, address, bytes), the operand(s) inline and the
 * operation (slot = op | datatype << 8 | kind << 16). The target's
 * progress checks the range with weft_mr_verify (FI_REMOTE_WRITE, plus
 * FI_REMOTE_READ when the old value is fetched), applies the operation
 * with util/atomic.c under the domain lock (which serialises every atomic
 * on the domain's memory), and answers ATOMIC_RESP with the status and
 * the old values inline: the initiator scatters them into its result
 * buffers and completes. Nothing needs CMA. Operands are limited to
 * SHM_ATOMIC_MAX_BYTES per call (fi_query_atomic's count says so); the
 * target range must lie in one registered iov.
 */
#include <string.h>

#include <rdma/fi_atomic.h>

#include "shm.h"
#include "util/atomic.h"

#define SHM_ATOMIC_FLAGS                                                       \
	(FI_COMPLETION | FI_INJECT | FI_INJECT_COMPLETE |                      \
	 FI_TRANSMIT_COMPLETE | FI_DELIVERY_COMPLETE | FI_MORE | FI_FENCE)

/* A reply is not wanted (fi_inject_atomic). */
#define SHM_NO_REPLY UINT64_MAX

/* ---- initiator ---------------------------------------------------------- */

/* Gather an fi_ioc array of count elements of size sz into dst. */
static int shm_ioc_gather(uint8_t *dst, const struct fi_ioc *ioc, size_t n,
			  size_t sz, size_t *count)
{
	size_t total = 0;

	if (n && !ioc)
		return -FI_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!ioc[i].addr && ioc[i].count)
			return -FI_EINVAL;
		if (ioc[i].count > SHM_ATOMIC_MAX_BYTES / sz - total)
			return -FI_EINVAL;
		memcpy(dst + total * sz, ioc[i].addr, ioc[i].count * sz);
		total += ioc[i].count;
	}
	*count = total;
	return 0;
}

static ssize_t shm_atomic(struct shm_ep *ep, enum weft_atomic_kind kind,
			  const struct fi_msg_atomic *msg,
			  const struct fi_ioc *comparev, size_t compare_count,
			  struct fi_ioc *resultv, size_t result_count,
			  uint64_t flags, bool report)
{
	uint8_t operand[SHM_ATOMIC_MAX_BYTES], compare[SHM_ATOMIC_MAX_BYTES];
	struct shm_rma_iov ri;
	struct shm_peer *peer;
	struct shm_entry *e;
	struct shm_tx_op *op = NULL;
	size_t sz, count = 0, ccount = 0, rcount = 0, bytes;
	uint64_t pos;
	int err = 0;

	if (!msg)
		return -FI_EINVAL;
	if (!ep->util.enabled)
		return -FI_EOPBADSTATE;
	memset(operand, 0, sizeof(operand));
	sz = weft_datatype_size(msg->datatype);
	if (!sz || !weft_atomic_supported(kind, msg->op, msg->datatype))
		return -FI_EOPNOTSUPP;
	if (!msg->rma_iov || msg->rma_iov_count != 1)
		return -FI_EINVAL;
	/* FI_ATOMIC_READ takes no operand. */
	if (!(kind == WEFT_ATOMIC_READWRITE && msg->op == FI_ATOMIC_READ)) {
		err = shm_ioc_gather(operand, msg->msg_iov, msg->iov_count, sz,
				     &count);
		if (err)
			return err;
	}
	if (kind == WEFT_ATOMIC_COMPARE) {
		err = shm_ioc_gather(compare, comparev, compare_count, sz,
				     &ccount);
		if (err)
			return err;
		if (ccount != count)
			return -FI_EINVAL;
	}
	if (kind != WEFT_ATOMIC_WRITE) {
		if (!resultv || !result_count || result_count > SHM_IOV_LIMIT)
			return -FI_EINVAL;
		for (size_t i = 0; i < result_count; i++) {
			if (!resultv[i].addr && resultv[i].count)
				return -FI_EINVAL;
			rcount += resultv[i].count;
		}
		if (msg->op == FI_ATOMIC_READ)
			count = rcount;
		if (rcount != count)
			return -FI_EINVAL;
	}
	if (!count || count > SHM_ATOMIC_MAX_BYTES / sz ||
	    msg->rma_iov[0].count != count)
		return -FI_EINVAL;
	bytes = count * sz;

	weft_lock_acquire(&ep->util.lock);
	/* FI_FENCE: not before every earlier operation is done. */
	if ((flags & FI_FENCE) && ep->tx_busy)
		goto again;
	peer = shm_peer_of_addr(ep, msg->addr, &err);
	if (!peer) {
		weft_lock_release(&ep->util.lock);
		return err;
	}
	if (peer->dead) {
		weft_lock_release(&ep->util.lock);
		return -FI_EHOSTUNREACH;
	}
	if (report) {
		op = ep->tx_busy < ep->max_pending ? ep->tx_free : NULL;
		if (!op)
			goto again;
	}
	e = shm_ring_claim(&peer->seg, &pos);
	if (!e)
		goto again;
	shm_entry_init(ep, e, SHM_OP_ATOMIC, 0);
	e->slot = (uint32_t)msg->op | (uint32_t)msg->datatype << 8 |
		  (uint32_t)kind << 16;
	e->len = bytes;
	ri.addr = msg->rma_iov[0].addr;
	ri.len = bytes;
	ri.key = msg->rma_iov[0].key;
	memcpy(e->payload, &ri, sizeof(ri));
	memcpy(e->payload + sizeof(ri), operand, bytes);
	if (kind == WEFT_ATOMIC_COMPARE)
		memcpy(e->payload + sizeof(ri) + bytes, compare, bytes);
	if (op) {
		ep->tx_free = op->next_free;
		ep->tx_busy++;
		op->state = SHM_TX_WAIT;
		op->context = msg->context;
		op->flags = flags | FI_ATOMIC |
			    (kind == WEFT_ATOMIC_WRITE ? FI_WRITE : FI_READ);
		op->iov_count = 0;
		for (size_t i = 0; kind != WEFT_ATOMIC_WRITE &&
				   i < result_count; i++) {
			op->iov[i].iov_base = resultv[i].addr;
			op->iov[i].iov_len = resultv[i].count * sz;
			op->iov_count++;
		}
		op->len = bytes;
		op->peer = peer;
		op->slots = 0;
		e->cookie = (uint64_t)op->gen << 32 |
			    (uint64_t)(op - ep->tx_ops);
	} else {
		e->cookie = SHM_NO_REPLY;
		weft_ep_cntr_inc(&ep->util, WEFT_CNTR_WRITE);
	}
	shm_ring_publish(e, pos);
	shm_bell_ring(ep, peer);
	weft_lock_release(&ep->util.lock);
	return 0;

again:
	shm_progress_locked(ep);
	weft_lock_release(&ep->util.lock);
	return -FI_EAGAIN;
}

static void shm_msg_atomic_init(struct fi_msg_atomic *m, struct fi_ioc *ioc,
				struct fi_rma_ioc *rma, const void *buf,
				size_t count, fi_addr_t dest, uint64_t addr,
				uint64_t key, enum fi_datatype dt,
				enum fi_op op, void *context)
{
	ioc->addr = (void *)buf;
	ioc->count = count;
	rma->addr = addr;
	rma->count = count;
	rma->key = key;
	memset(m, 0, sizeof(*m));
	m->msg_iov = ioc;
	m->iov_count = 1;
	m->addr = dest;
	m->rma_iov = rma;
	m->rma_iov_count = 1;
	m->datatype = dt;
	m->op = op;
	m->context = context;
}

static size_t shm_ioc_count(const struct fi_ioc *ioc, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; ioc && i < n; i++)
		c += ioc[i].count;
	return c;
}

static ssize_t shm_atomic_write(struct fid_ep *fid, const void *buf,
				size_t count, void *desc, fi_addr_t dest,
				uint64_t addr, uint64_t key,
				enum fi_datatype dt, enum fi_op op,
				void *context)
{
	struct shm_ep *ep = shm_ep_of(fid);
	struct fi_msg_atomic m;
	struct fi_ioc ioc;
	struct fi_rma_ioc rma;

	shm_msg_atomic_init(&m, &ioc, &rma, buf, count, dest, addr, key, dt,
			    op, context);
	return shm_atomic(ep, WEFT_ATOMIC_WRITE, &m, NULL, 0, NULL, 0,
			  ep->util.tx_op_flags, true);
}

static ssize_t shm_atomic_writev(struct fid_ep *fid, const struct fi_ioc *iov,
				 void **desc, size_t count, fi_addr_t dest,
				 uint64_t addr, uint64_t key,
				 enum fi_datatype dt, enum fi_op op,
				 void *context)
{
	struct shm_ep *ep = shm_ep_of(fid);
	struct fi_rma_ioc rma = { addr, shm_ioc_count(iov, count), key };
	struct fi_msg_atomic m = {
		.msg_iov = iov, .iov_count = count, .addr = dest,
		.rma_iov = &rma, .rma_iov_count = 1, .datatype = dt,
		.op = op, .context = context,
	};

	return shm_atomic(ep, WEFT_ATOMIC_WRITE, &m, NULL, 0, NULL, 0,
			  ep->util.tx_op_flags, true);
}

static ssize_t shm_atomic_writemsg(struct fid_ep *fid,
				   const struct fi_msg_atomic *msg,
				   uint64_t flags)
{
	if (flags & ~SHM_ATOMIC_FLAGS)
		return -FI_EBADFLAGS;
	/* FI_INJECT here only frees the buffers at once (they are copied
	 * into the entry anyway); the operation still completes. */
	return shm_atomic(shm_ep_of(fid), WEFT_ATOMIC_WRITE, msg, NULL, 0,
			  NULL, 0, flags, true);
}

static ssize_t shm_atomic_inject(struct fid_ep *fid, const void *buf,
				 size_t count, fi_addr_t dest, uint64_t addr,
				 uint64_t key, enum fi_datatype dt,
				 enum fi_op op)
{
	struct fi_msg_atomic m;
	struct fi_ioc ioc;
	struct fi_rma_ioc rma;

	shm_msg_atomic_init(&m, &ioc, &rma, buf, count, dest, addr, key, dt,
			    op, NULL);
	return shm_atomic(shm_ep_of(fid), WEFT_ATOMIC_WRITE, &m, NULL, 0, NULL,
			  0, FI_INJECT, false);
}

static ssize_t shm_atomic_readwrite(struct fid_ep *fid, const void *buf,
				    size_t count, void *desc, void *result,
				    void *result_desc, fi_addr_t dest,
				    uint64_t addr, uint64_t key,
				    enum fi_datatype dt, enum fi_op op,
				    void *context)
{
	struct shm_ep *ep = shm_ep_of(fid);
	struct fi_msg_atomic m;
	struct fi_ioc ioc, res = { result, count };
	struct fi_rma_ioc rma;

	shm_msg_atomic_init(&m, &ioc, &rma, buf, count, dest, addr, key, dt,
			    op, context);
	return shm_atomic(ep, WEFT_ATOMIC_READWRITE, &m, NULL, 0, &res, 1,
			  ep->util.tx_op_flags, true);
}

static ssize_t shm_atomic_readwritev(struct fid_ep *fid,
				     const struct fi_ioc *iov, void **desc,
				     size_t count, struct fi_ioc *resultv,
				     void **result_desc, size_t result_count,
				     fi_addr_t dest, uint64_t addr,
				     uint64_t key, enum fi_datatype dt,
				     enum fi_op op, void *context)
{
	struct shm_ep *ep = shm_ep_of(fid);
	struct fi_rma_ioc rma = { addr,
				  shm_ioc_count(resultv, result_count), key };
	struct fi_msg_atomic m = {
		.msg_iov = iov, .iov_count = count, .addr = dest,
		.rma_iov = &rma, .rma_iov_count = 1, .datatype = dt,
		.op = op, .context = context,
	};

	return shm_atomic(ep, WEFT_ATOMIC_READWRITE, &m, NULL, 0, resultv,
			  result_count, ep->util.tx_op_flags, true);
}

static ssize_t shm_atomic_readwritemsg(struct fid_ep *fid,
				       const struct fi_msg_atomic *msg,
				       struct fi_ioc *resultv,
				       void **result_desc, size_t result_count,
				       uint64_t flags)
{
	if (flags & ~SHM_ATOMIC_FLAGS || (flags & FI_INJECT))
		return -FI_EBADFLAGS;
	return shm_atomic(shm_ep_of(fid), WEFT_ATOMIC_READWRITE, msg, NULL, 0,
			  resultv, result_count, flags, true);
}

static ssize_t shm_atomic_compwrite(struct fid_ep *fid, const void *buf,
				    size_t count, void *desc,
				    const void *compare, void *compare_desc,
				    void *result, void *result_desc,
				    fi_addr_t dest, uint64_t addr,
				    uint64_t key, enum fi_datatype dt,
				    enum fi_op op, void *context)
{
	struct shm_ep *ep = shm_ep_of(fid);
	struct fi_msg_atomic m;
	struct fi_ioc ioc, cmp = { (void *)compare, count },
			   res = { result, count };
	struct fi_rma_ioc rma;

	shm_msg_atomic_init(&m, &ioc, &rma, buf, count, dest, addr, key, dt,
			    op, context);
	return shm_atomic(ep, WEFT_ATOMIC_COMPARE, &m, &cmp, 1, &res, 1,
			  ep->util.tx_op_flags, true);
}

static ssize_t shm_atomic_compwritev(struct fid_ep *fid,
				     const struct fi_ioc *iov, void **desc,
				     size_t count,
				     const struct fi_ioc *comparev,
				     void **compare_desc, size_t compare_count,
				     struct fi_ioc *resultv,
				     void **result_desc, size_t result_count,
				     fi_addr_t dest, uint64_t addr,
				     uint64_t key, enum fi_datatype dt,
				     enum fi_op op, void *context)
{
	struct shm_ep *ep = shm_ep_of(fid);
	struct fi_rma_ioc rma = { addr, shm_ioc_count(iov, count), key };
	struct fi_msg_atomic m = {
		.msg_iov = iov, .iov_count = count, .addr = dest,
		.rma_iov = &rma, .rma_iov_count = 1, .datatype = dt,
		.op = op, .context = context,
	};

	return shm_atomic(ep, WEFT_ATOMIC_COMPARE, &m, comparev,
			  compare_count, resultv, result_count,
			  ep->util.tx_op_flags, true);
}

static ssize_t shm_atomic_compwritemsg(struct fid_ep *fid,
				       const struct fi_msg_atomic *msg,
				       const struct fi_ioc *comparev,
				       void **compare_desc,
				       size_t compare_count,
				       struct fi_ioc *resultv,
				       void **result_desc, size_t result_count,
				       uint64_t flags)
{
	if (flags & ~SHM_ATOMIC_FLAGS || (flags & FI_INJECT))
		return -FI_EBADFLAGS;
	return shm_atomic(shm_ep_of(fid), WEFT_ATOMIC_COMPARE, msg, comparev,
			  compare_count, resultv, result_count, flags, true);
}

/* fi_query_atomic and the *valid calls: util's answer, with the count
 * capped to what one request carries. */
static int shm_atomic_query(enum weft_atomic_kind kind, enum fi_datatype dt,
			    enum fi_op op, struct fi_atomic_attr *attr)
{
	int ret = weft_atomic_query(op, dt, kind, attr);

	if (!ret && attr->size)
		attr->count = SHM_ATOMIC_MAX_BYTES / attr->size;
	return ret;
}

int shm_query_atomic(struct fid_domain *domain, enum fi_datatype dt,
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
	return shm_atomic_query(kind, dt, op, attr);
}

static int shm_atomic_valid(enum weft_atomic_kind kind, enum fi_datatype dt,
			    enum fi_op op, size_t *count)
{
	struct fi_atomic_attr attr;
	int ret;

	if (!count)
		return -FI_EINVAL;
	ret = shm_atomic_query(kind, dt, op, &attr);
	if (!ret)
		*count = attr.count;
	return ret;
}

static int shm_atomic_writevalid(struct fid_ep *ep, enum fi_datatype dt,
				 enum fi_op op, size_t *count)
{
	return shm_atomic_valid(WEFT_ATOMIC_WRITE, dt, op, count);
}

static int shm_atomic_readwritevalid(struct fid_ep *ep, enum fi_datatype dt,
				     enum fi_op op, size_t *count)
{
	return shm_atomic_valid(WEFT_ATOMIC_READWRITE, dt, op, count);
}

static int shm_atomic_compwritevalid(struct fid_ep *ep, enum fi_datatype dt,
				     enum fi_op op, size_t *count)
{
	return shm_atomic_valid(WEFT_ATOMIC_COMPARE, dt, op, count);
}

struct fi_ops_atomic shm_atomic_ops = {
	.size = sizeof(struct fi_ops_atomic),
	.write = shm_atomic_write,
	.writev = shm_atomic_writev,
	.writemsg = shm_atomic_writemsg,
	.inject = shm_atomic_inject,
	.readwrite = shm_atomic_readwrite,
	.readwritev = shm_atomic_readwritev,
	.readwritemsg = shm_atomic_readwritemsg,
	.compwrite = shm_atomic_compwrite,
	.compwritev = shm_atomic_compwritev,
	.compwritemsg = shm_atomic_compwritemsg,
	.writevalid = shm_atomic_writevalid,
	.readwritevalid = shm_atomic_readwritevalid,
	.compwritevalid = shm_atomic_compwritevalid,
};

/* ---- target ---------------------------------------------------------------- */

void shm_rx_atomic(struct shm_ep *ep, struct shm_peer *peer,
		   const struct shm_entry *h, const uint8_t *payload)
{
	struct weft_domain *dom = ep->util.domain;
	enum fi_op op = (enum fi_op)(h->slot & 0xff);
	enum fi_datatype dt = (enum fi_datatype)((h->slot >> 8) & 0xff);
	enum weft_atomic_kind kind = (enum weft_atomic_kind)(h->slot >> 16);
	struct shm_entry resp;
	struct shm_rma_iov ri;
	struct iovec tgt[1];
	size_t nt = 1, sz = weft_datatype_size(dt), count;
	uint8_t result[SHM_ATOMIC_MAX_BYTES];
	const uint8_t *operand = payload + sizeof(ri);
	int err;

	memset(&resp, 0, offsetof(struct shm_entry, payload));
	memcpy(&ri, payload, sizeof(ri));
	if (!(ep->util.caps & FI_ATOMIC) || kind > WEFT_ATOMIC_COMPARE ||
	    !sz || !weft_atomic_supported(kind, op, dt) ||
	    h->len > SHM_ATOMIC_MAX_BYTES || h->len % sz || !h->len ||
	    ri.len != h->len) {
		err = -FI_EOPNOTSUPP;
		goto reply;
	}
	count = (size_t)h->len / sz;

	weft_lock_acquire(&dom->lock);
	/* Writing needs FI_REMOTE_WRITE, fetching the old value also
	 * FI_REMOTE_READ; FI_ATOMIC_READ only reads. */
	err = weft_mr_verify(&dom->mr_map, ri.key, ri.addr, (size_t)ri.len,
			     op == FI_ATOMIC_READ ? FI_REMOTE_READ
						  : FI_REMOTE_WRITE,
			     tgt, &nt);
	if (!err && kind != WEFT_ATOMIC_WRITE && op != FI_ATOMIC_READ) {
		size_t n2 = 1;
		struct iovec t2;

		err = weft_mr_verify(&dom->mr_map, ri.key, ri.addr,
				     (size_t)ri.len, FI_REMOTE_READ, &t2, &n2);
	}
	if (err == -FI_E2BIG)
		err = -FI_EINVAL; /* spans registered iovs: not supported */
	if (!err) {
		switch (kind) {
		case WEFT_ATOMIC_WRITE:
			err = weft_atomic_write(op, dt, tgt[0].iov_base,
						operand, count);
			break;
		case WEFT_ATOMIC_READWRITE:
			err = weft_atomic_readwrite(op, dt, tgt[0].iov_base,
						    operand, result, count);
			break;
		default:
			err = weft_atomic_compare(op, dt, tgt[0].iov_base,
						  operand, operand + h->len,
						  result, count);
			break;
		}
	}
	if (!err)
		/* FI_RMA_EVENT: a counter bound to the region. */
		weft_mr_count_access(&dom->mr_map, ri.key,
				     kind == WEFT_ATOMIC_WRITE
					     ? FI_REMOTE_WRITE
					     : FI_REMOTE_READ);
	weft_lock_release(&dom->lock);
	if (!err)
		weft_ep_cntr_inc(&ep->util, kind == WEFT_ATOMIC_WRITE
						    ? WEFT_CNTR_REMOTE_WRITE
						    : WEFT_CNTR_REMOTE_READ);
reply:
	if (h->cookie == SHM_NO_REPLY || shm_peer_map(ep, peer))
		return;
	shm_entry_init(ep, &resp, SHM_OP_ATOMIC_RESP, 0);
	resp.cookie = h->cookie;
	resp.slot = (uint32_t)-err;
	resp.len = 0;
	if (!err && kind != WEFT_ATOMIC_WRITE) {
		resp.len = h->len;
		memcpy(resp.payload, result, (size_t)h->len);
	}
	shm_ctrl_send(ep, peer, &resp);
}

/* ATOMIC_RESP at the initiator: old values, then the completion. */
void shm_tx_atomic_resp(struct shm_ep *ep, struct shm_peer *peer,
			const struct shm_entry *h, const uint8_t *payload)
{
	struct shm_tx_op *op = shm_tx_lookup(ep, h->cookie, peer);
	int status = (int)h->slot;

	if (!op || h->len > SHM_ATOMIC_MAX_BYTES) {
		ep->rx_bad++;
		return;
	}
	if (status < 0 || status > 4096)
		status = FI_EIO;
	if (!status && op->iov_count)
		shm_copy_to_iov(op->iov, op->iov_count, 0, payload,
				h->len < op->len ? (size_t)h->len : op->len);
	shm_tx_end(ep, op, status, status);
}
