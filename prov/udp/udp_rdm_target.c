/* udp provider, FI_EP_RDM: RMA and atomic requests at the target, and
 * their answers at the initiator (see udp_rdm_rma.c for the protocol).
 * All with util.lock held (engine callbacks).
 *
 * Target: the first fragment of a request brings its struct udp_rma_hdr.
 * It takes an entry from the target pool (none free: -FI_EAGAIN, the
 * request is not acknowledged and the initiator's engine resends it
 * later). Writes and reads are checked with weft_mr_verify (key, range,
 * access) before a byte is touched, and write data is copied fragment by
 * fragment into the registered ranges; a write that fails the check has
 * its data dropped. Atomic operands are collected whole (at most
 * 2 x UDP_RDM_ATOMIC_MAX bytes), then checked and applied with util's
 * software atomics in one go under the domain lock, which serialises
 * atomics from every endpoint of the domain. The answer (UDP_RDM_OP_RESP)
 * goes back through the engine from the same entry: status, then read
 * data or fetched values (kept in the entry). Read data is read from the
 * registered memory once, as each packet first goes out; the engine keeps
 * a copy for retransmissions (udp_rel_send_copy), so no retransmission
 * reads a region the application closed and freed after the initiator's
 * read completed.
 *
 * Initiator: the answer names its tx entry by index and generation; an
 * answer to nothing in flight, from another peer or with the wrong length
 * is a protocol error (dropped, counted; a wrong length fails the
 * operation with FI_EIO).
 */
#include <endian.h>
#include <string.h>

#include "udp_rdm.h"
#include "util/atomic.h"

#define UDP_RMA_HDR_SIZE sizeof(struct udp_rma_hdr)

/* Copy len bytes to offset off of the ranges iov[0..cnt). */
static void udp_rdm_iov_put(const struct iovec *iov, size_t cnt, uint64_t off,
			    const uint8_t *data, size_t len)
{
	size_t i;

	for (i = 0; i < cnt && len; i++) {
		size_t l = iov[i].iov_len, n;

		if (off >= l) {
			off -= l;
			continue;
		}
		n = l - off < len ? l - off : len;
		memcpy((uint8_t *)iov[i].iov_base + off, data, n);
		data += n;
		len -= n;
		off = 0;
	}
}

static void udp_rdm_hdr_read(struct udp_rma_hdr *h, const void *data)
{
	memcpy(h, data, sizeof(*h)); /* no alignment assumed */
	h->req_id = le64toh(h->req_id);
	h->addr = le64toh(h->addr);
	h->key = le64toh(h->key);
	h->len = le64toh(h->len);
	h->status = (int32_t)le32toh((uint32_t)h->status);
}

static void udp_rdm_proto_error(struct udp_rdm_ep *ep, struct udp_rel_peer *p,
				const char *why)
{
	ep->stats.rx_proto++;
	p->user = NULL; /* the rest of the message is dropped */
	FI_WARN_SPARSE(&udp_prov, FI_LOG_EP_DATA,
		       "peer broke the RDM protocol (%s): message dropped\n",
		       why);
}

/* ---- target --------------------------------------------------------------- */

/* Resolve the request's range under the domain lock: 0 or a positive
 * FI_E* for the answer. */
static int udp_rdm_tgt_verify(struct udp_rdm_ep *ep, struct udp_rdm_tgt *t,
			      uint64_t access)
{
	struct weft_domain *dom = ep->util.domain;
	size_t cnt = UDP_IOV_LIMIT;
	int ret;

	weft_lock_acquire(&dom->lock);
	ret = weft_mr_verify(&dom->mr_map, t->req.key, t->req.addr,
			     (size_t)t->req.len, access, t->iov, &cnt);
	weft_lock_release(&dom->lock);
	if (ret == -FI_E2BIG)
		ret = -FI_EINVAL; /* spans more regions than we carry */
	t->iov_cnt = ret ? 0 : cnt;
	return -ret;
}

static void udp_rdm_tgt_count(struct udp_rdm_ep *ep, struct udp_rdm_tgt *t,
			      uint64_t access)
{
	struct weft_domain *dom = ep->util.domain;

	weft_lock_acquire(&dom->lock);
	weft_mr_count_access(&dom->mr_map, t->req.key, access);
	weft_lock_release(&dom->lock);
}

static void udp_rdm_tgt_free(struct udp_rdm_ep *ep, struct udp_rdm_tgt *t)
{
	t->in_kind = 0;
	t->next_free = ep->tgt_free;
	ep->tgt_free = t;
}

void udp_rdm_target_sent(struct udp_rdm_ep *ep, struct udp_rdm_tgt *t)
{
	udp_rdm_tgt_free(ep, t);
}

/* An atomic request has all its operands: check, apply, keep the result.
 * Returns the status for the answer and sets *rlen to the result bytes. */
static int udp_rdm_tgt_atomic(struct udp_rdm_ep *ep, struct udp_rdm_tgt *t,
			      size_t *rlen)
{
	struct weft_domain *dom = ep->util.domain;
	enum weft_atomic_kind kind = (enum weft_atomic_kind)t->req.kind;
	enum fi_datatype dt = (enum fi_datatype)t->req.datatype;
	enum fi_op op = (enum fi_op)t->req.atomic_op;
	size_t size = weft_datatype_size(dt);
	size_t len = (size_t)t->req.len, cnt = 1, count = len / size;
	uint64_t access = kind == WEFT_ATOMIC_WRITE ? FI_REMOTE_WRITE
			  : op == FI_ATOMIC_READ ? FI_REMOTE_READ
						 : FI_REMOTE_READ | FI_REMOTE_WRITE;
	struct iovec dst;
	int ret;

	*rlen = 0;
	weft_lock_acquire(&dom->lock);
	ret = weft_mr_verify(&dom->mr_map, t->req.key, t->req.addr, len,
			     access, &dst, &cnt);
	if (ret == -FI_E2BIG)
		ret = -FI_EINVAL; /* not one contiguous range */
	if (!ret) {
		switch (kind) {
		case WEFT_ATOMIC_WRITE:
			ret = weft_atomic_write(op, dt, dst.iov_base,
						t->operand, count);
			break;
		case WEFT_ATOMIC_READWRITE:
			ret = weft_atomic_readwrite(op, dt, dst.iov_base,
						    t->operand, t->result,
						    count);
			break;
		default:
			ret = weft_atomic_compare(op, dt, dst.iov_base,
						  t->operand,
						  t->operand + len, t->result,
						  count);
			break;
		}
	}
	if (!ret)
		weft_mr_count_access(&dom->mr_map, t->req.key,
				     access & FI_REMOTE_WRITE ? FI_REMOTE_WRITE
							      : FI_REMOTE_READ);
	weft_lock_release(&dom->lock);
	if (ret)
		return -ret;
	if (kind != WEFT_ATOMIC_WRITE)
		*rlen = len;
	weft_ep_rx_complete(&ep->util, NULL,
			    FI_ATOMIC | (access & FI_REMOTE_WRITE
						 ? FI_REMOTE_WRITE
						 : FI_REMOTE_READ),
			    len, dst.iov_base, 0, 0,
			    udp_rdm_src_addr(ep, t->peer));
	return 0;
}

/* The whole request is in: do what is left and answer. */
static void udp_rdm_tgt_finish(struct udp_rdm_ep *ep, struct udp_rdm_tgt *t)
{
	fi_addr_t src = udp_rdm_src_addr(ep, t->peer);
	size_t n = 1, rlen = 0, i;

	t->rel.iov[0].iov_base = &t->resp;
	t->rel.iov[0].iov_len = sizeof(t->resp);
	switch (t->op) {
	case UDP_RDM_OP_WRITE:
		if (t->status)
			break;
		udp_rdm_tgt_count(ep, t, FI_REMOTE_WRITE);
		weft_ep_rx_complete(
			&ep->util, NULL,
			FI_RMA | FI_REMOTE_WRITE |
				(t->mflags & UDP_REL_MSG_CQ_DATA
					 ? FI_REMOTE_CQ_DATA
					 : 0),
			(size_t)t->req.len,
			t->iov_cnt ? t->iov[0].iov_base : NULL,
			t->mflags & UDP_REL_MSG_CQ_DATA ? t->cq_data : 0, 0,
			src);
		break;
	case UDP_RDM_OP_READ:
		if (t->status)
			break;
		udp_rdm_tgt_count(ep, t, FI_REMOTE_READ);
		weft_ep_rx_complete(&ep->util, NULL, FI_RMA | FI_REMOTE_READ,
				    (size_t)t->req.len,
				    t->iov_cnt ? t->iov[0].iov_base : NULL, 0,
				    0, src);
		/* The answer reads the registered memory once per packet,
		 * when that packet first goes out; retransmissions use the
		 * engine's copy (udp_rel_send_copy): the initiator completes
		 * only once it has every byte, so all of them have gone out
		 * once before its application can tell ours that the region
		 * is idle, and fi_close(mr) may be followed by a free. */
		for (i = 0; i < t->iov_cnt; i++)
			if (t->iov[i].iov_len)
				t->rel.iov[n++] = t->iov[i];
		rlen = (size_t)t->req.len;
		break;
	default: /* UDP_RDM_OP_ATOMIC */
		if (t->status)
			break;
		t->status = udp_rdm_tgt_atomic(ep, t, &rlen);
		if (rlen) {
			t->rel.iov[n].iov_base = t->result;
			t->rel.iov[n++].iov_len = rlen;
		}
		break;
	}
	if (t->status) {
		n = 1;
		rlen = 0;
	}
	memset(&t->resp, 0, sizeof(t->resp));
	t->resp.req_id = htole64(t->req.req_id);
	t->resp.len = htole64(rlen);
	t->resp.status = (int32_t)htole32((uint32_t)t->status);
	t->rel.iov_cnt = n;
	t->rel.mflags = (uint32_t)UDP_RDM_OP_RESP << UDP_REL_MSG_OP_SHIFT;
	t->rel.tag = 0;
	t->rel.cq_data = 0;
	if ((rlen && t->op == UDP_RDM_OP_READ
		     ? udp_rel_send_copy(&ep->rel, t->peer, &t->rel,
					 udp_rdm_now())
		     : udp_rel_send(&ep->rel, t->peer, &t->rel,
				    udp_rdm_now()))) {
		/* The initiator is gone (declared dead): nobody to answer. */
		udp_rdm_tgt_free(ep, t);
		return;
	}
	ep->next_deadline = 0;
}

static int udp_rdm_tgt_data(struct udp_rdm_ep *ep, struct udp_rel_peer *p,
			    struct udp_rdm_tgt *t, const uint8_t *data,
			    size_t len)
{
	if (len && !t->status) {
		if (t->op == UDP_RDM_OP_WRITE)
			udp_rdm_iov_put(t->iov, t->iov_cnt, t->got, data, len);
		else /* ATOMIC: need is at most sizeof(operand) */
			memcpy(t->operand + t->got, data, len);
	}
	t->got += len;
	if (t->got == t->need) {
		p->user = NULL;
		udp_rdm_tgt_finish(ep, t);
	}
	return 0;
}

/* Check an atomic request's header: 0 or a positive FI_E*; *need gets
 * the operand bytes that follow it. */
static int udp_rdm_tgt_atomic_check(const struct udp_rma_hdr *h,
				    uint64_t *need)
{
	size_t size = weft_datatype_size((enum fi_datatype)h->datatype);

	if (h->kind > WEFT_ATOMIC_COMPARE || !size ||
	    !weft_atomic_supported((enum weft_atomic_kind)h->kind,
				   (enum fi_op)h->atomic_op,
				   (enum fi_datatype)h->datatype))
		return FI_EOPNOTSUPP;
	if (!h->len || h->len % size || h->len > UDP_RDM_ATOMIC_MAX)
		return FI_EINVAL;
	*need = h->atomic_op == FI_ATOMIC_READ ? 0 : h->len;
	if (h->kind == WEFT_ATOMIC_COMPARE)
		*need *= 2;
	return 0;
}

static int udp_rdm_tgt_start(struct udp_rdm_ep *ep, struct udp_rel_peer *p,
			     uint32_t peer, const struct udp_rel_frag *f,
			     const struct udp_rma_hdr *h)
{
	uint8_t op = (uint8_t)UDP_REL_MSG_OP(f->mflags);
	uint64_t need = f->msg_len - UDP_RMA_HDR_SIZE, want = 0;
	struct udp_rdm_tgt *t;
	int status = 0;

	t = ep->tgt_free;
	if (!t)
		return -FI_EAGAIN; /* busy: resent by the initiator */
	ep->tgt_free = t->next_free;
	t->in_kind = UDP_RDM_IN_TARGET;
	t->peer = peer;
	t->op = op;
	t->mflags = f->mflags;
	t->cq_data = f->cq_data;
	t->req = *h;
	t->iov_cnt = 0;
	t->got = 0;
	t->need = need;
	switch (op) {
	case UDP_RDM_OP_WRITE:
		status = h->len != need ? FI_EINVAL
					: udp_rdm_tgt_verify(ep, t,
							     FI_REMOTE_WRITE);
		break;
	case UDP_RDM_OP_READ:
		status = need ? FI_EINVAL
			      : udp_rdm_tgt_verify(ep, t, FI_REMOTE_READ);
		break;
	default: /* UDP_RDM_OP_ATOMIC: checked when the operands are in */
		status = udp_rdm_tgt_atomic_check(h, &want);
		if (!status && want != need)
			status = FI_EINVAL;
		break;
	}
	if (!(ep->util.caps & (op == UDP_RDM_OP_ATOMIC ? FI_ATOMIC : FI_RMA)))
		status = FI_EOPNOTSUPP; /* not a target of these */
	t->status = status;
	p->user = &t->in_kind;
	return udp_rdm_tgt_data(ep, p, t,
				(const uint8_t *)f->data + UDP_RMA_HDR_SIZE,
				f->len - UDP_RMA_HDR_SIZE);
}

void udp_rdm_target_abort(struct udp_rdm_ep *ep, struct udp_rel_peer *p,
			  uint32_t peer)
{
	uint8_t *in = p->user;

	p->user = NULL;
	if (*in == UDP_RDM_IN_TARGET) {
		/* The initiator restarted: nobody waits for the answer. */
		udp_rdm_tgt_free(ep, weft_container_of(in, struct udp_rdm_tgt,
						       in_kind));
	} else {
		struct udp_rdm_tx *tx =
			weft_container_of(in, struct udp_rdm_tx, in_kind);

		tx->status = FI_ECONNRESET;
		tx->answered = true;
		udp_rdm_request_done(ep, tx);
	}
}

/* ---- answers at the initiator --------------------------------------------- */

void udp_rdm_request_done(struct udp_rdm_ep *ep, struct udp_rdm_tx *tx)
{
	/* Complete only when the engine is done with the request too (acked
	 * or failed): until then a lost segment is retransmitted from the
	 * application's source buffer, which it may free as soon as it sees
	 * the completion. The answer alone does not say so: it may overtake
	 * the ack of the request's last packets. */
	if (tx->answered && tx->acked && !tx->reported) {
		tx->reported = true;
		if (tx->status)
			weft_ep_tx_error(&ep->util, tx->context, tx->flags,
					 tx->status, tx->status, 0, 0);
		else if (tx->report)
			weft_ep_tx_complete(&ep->util, tx->context, tx->flags,
					    0, NULL, 0, 0);
		else
			weft_ep_cntr_inc(&ep->util,
					 weft_ep_tx_cntr_kind(tx->flags));
	}
	if (tx->answered && tx->acked)
		udp_rdm_tx_put(ep, tx);
}

static int udp_rdm_resp_data(struct udp_rdm_ep *ep, struct udp_rel_peer *p,
			     struct udp_rdm_tx *tx, const uint8_t *data,
			     size_t len)
{
	if (len && !tx->status)
		udp_rdm_iov_put(tx->dst, tx->dst_cnt, tx->resp_got, data, len);
	tx->resp_got += len;
	if (tx->resp_got == tx->resp_total) {
		p->user = NULL;
		tx->answered = true;
		udp_rdm_request_done(ep, tx);
	}
	return 0;
}

static int udp_rdm_resp_start(struct udp_rdm_ep *ep, struct udp_rel_peer *p,
			      uint32_t peer, const struct udp_rel_frag *f,
			      const struct udp_rma_hdr *h)
{
	uint64_t idx = h->req_id & 0xffffffffu;
	uint64_t payload = f->msg_len - UDP_RMA_HDR_SIZE;
	struct udp_rdm_tx *tx;

	if (idx >= ep->tx_size) {
		udp_rdm_proto_error(ep, p, "answer to no request");
		return 0;
	}
	tx = &ep->tx_pool[idx];
	if (tx->gen != (uint32_t)(h->req_id >> 32) ||
	    tx->op == UDP_RDM_OP_SEND || tx->answered || tx->peer != peer ||
	    !ep->tx_used) {
		udp_rdm_proto_error(ep, p, "answer to no request");
		return 0;
	}
	tx->status = h->status;
	if (tx->status < 0 || tx->status > 4096)
		tx->status = FI_EIO; /* not an error code we know */
	if (!tx->status && (payload != tx->resp_len || h->len != payload))
		tx->status = FI_EIO; /* not what we asked for */
	tx->resp_got = 0;
	tx->resp_total = payload;
	p->user = &tx->in_kind;
	return udp_rdm_resp_data(ep, p, tx,
				 (const uint8_t *)f->data + UDP_RMA_HDR_SIZE,
				 f->len - UDP_RMA_HDR_SIZE);
}

/* ---- dispatch ------------------------------------------------------------- */

int udp_rdm_target_deliver(struct udp_rdm_ep *ep, struct udp_rel_peer *p,
			   uint32_t peer, const struct udp_rel_frag *f)
{
	struct udp_rma_hdr h;
	uint8_t *in;
	uint32_t op;

	if (f->offset == 0) {
		op = UDP_REL_MSG_OP(f->mflags);
		if ((f->mflags & UDP_REL_MSG_TAGGED) ||
		    ((f->mflags & UDP_REL_MSG_CQ_DATA) &&
		     op != UDP_RDM_OP_WRITE)) {
			udp_rdm_proto_error(ep, p, "flags on an RMA message");
			return 0;
		}
		/* The header is in the first fragment: packets carry at
		 * least 64 payload bytes (FI_UDP_RDM_MTU's floor). */
		if (f->msg_len < UDP_RMA_HDR_SIZE || f->len < UDP_RMA_HDR_SIZE) {
			udp_rdm_proto_error(ep, p, "short RMA header");
			return 0;
		}
		udp_rdm_hdr_read(&h, f->data);
		if (h.reserved || (op != UDP_RDM_OP_ATOMIC &&
				   (h.atomic_op || h.datatype || h.kind))) {
			udp_rdm_proto_error(ep, p, "RMA header fields");
			return 0;
		}
		if (op == UDP_RDM_OP_RESP)
			return udp_rdm_resp_start(ep, p, peer, f, &h);
		return udp_rdm_tgt_start(ep, p, peer, f, &h);
	}
	in = p->user;
	if (*in == UDP_RDM_IN_TARGET)
		return udp_rdm_tgt_data(
			ep, p, weft_container_of(in, struct udp_rdm_tgt, in_kind),
			f->data, f->len);
	return udp_rdm_resp_data(ep, p,
				 weft_container_of(in, struct udp_rdm_tx, in_kind),
				 f->data, f->len);
}
