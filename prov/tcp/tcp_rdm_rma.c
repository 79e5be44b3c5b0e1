/* FI_EP_RDM RMA and atomics. The API entry points are the FI_EP_MSG
 * ones (tcp_rma.c): they describe a request (struct tcp_rma_req) and
 * hand it here for an RDM endpoint.
 *
 * Initiator: the request (TCP_OP_WRITE / READ / ATOMIC) joins the target
 * peer's queue like a send; once written it waits on its connection's
 * rma_pending for the answer (TCP_OP_RESP), which comes back in request
 * order on that connection. It completes on the answer: with the data
 * (reads, fetching atomics, landing straight in the application's
 * buffers) or with the target's error, so a bad key, range or access
 * fails at the initiator and the target's memory stays untouched.
 *
 * Target: weft_mr_verify checks key, range and access before a byte is
 * touched (a refused write's payload is read and dropped); atomics run
 * with util's software atomics under the domain lock. Answers come from
 * the endpoint's control pool; with none free the connection stalls until
 * one is written.
 *
 * All under util.lock.
 */
#include <string.h>

#include "tcp_rdm.h"

ssize_t tcp_rdm_rma_post(struct weft_ep *wep, const struct tcp_rma_req *r,
			 size_t plen)
{
	struct tcp_rdm_ep *ep = weft_container_of(wep, struct tcp_rdm_ep, util);
	struct tcp_rdm_peer *p;
	struct tcp_rdm_tx *e;
	struct weft_list *l;
	ssize_t ret = 0;
	int err = 0;

	if ((r->flags & FI_INJECT) && plen > ep->inject_size)
		return -FI_EINVAL;

	weft_lock_acquire(&ep->util.lock);
	if (!ep->util.enabled) {
		ret = -FI_EOPBADSTATE;
		goto out;
	}
	p = tcp_rdm_peer_get(ep, r->dest, &err);
	if (!p) {
		ret = err;
		goto out;
	}
	l = weft_list_pop_front(&ep->tx_free);
	if (!l) {
		ret = -FI_EAGAIN;
		goto out;
	}
	e = weft_container_of(l, struct tcp_rdm_tx, link);
	e->busy = true;
	e->peer = p;
	e->wait = TCP_RDM_TXW_NONE;
	e->kind = TCP_RDM_TX_RMA;
	e->context = r->context;
	e->report = r->report;
	e->len = r->op == TCP_OP_READ ? r->len : plen;
	e->flags = (r->flags & ~FI_REMOTE_CQ_DATA) | r->comp;
	/* The answer's payload lands in src. */
	e->iov_count = tcp_rma_req_frame(r, plen, &e->hdr, &e->rma, e->inject,
					 e->iov, e->src, &e->src_count);
	e->idx = 0;
	tcp_hdr_set_id(&e->hdr, e->id);
	tcp_rdm_tx_submit(ep, e);
out:
	weft_lock_release(&ep->util.lock);
	return ret;
}

/* ---- target ------------------------------------------------------------ */

static int tcp_rdm_rma_verify(struct tcp_rdm_conn *c, uint64_t access,
			      struct iovec *out, size_t *count)
{
	struct weft_domain *dom = c->ep->util.domain;
	int ret;

	weft_lock_acquire(&dom->lock);
	ret = weft_mr_verify(&dom->mr_map, c->rx_rma.key, c->rx_rma.addr,
			     (size_t)c->rx_rma.len, access, out, count);
	if (ret == 0)
		weft_mr_count_access(&dom->mr_map, c->rx_rma.key, access);
	weft_lock_release(&dom->lock);
	return ret;
}

/* Queue the answer to the current request on c: status, then len bytes
 * from iov (read data) or from the entry's result buffer. The control
 * entry was checked free when the request started. */
static void tcp_rdm_resp_queue(struct tcp_rdm_conn *c,
			       struct tcp_rdm_tx *e, int status,
			       const struct iovec *iov, size_t count,
			       size_t len, bool from_result)
{
	if (status)
		len = 0;
	e->peer = c->peer;
	tcp_hdr_init(&e->hdr, TCP_OP_RESP, 0, len, 0, 0);
	memset(&e->rma, 0, sizeof(e->rma));
	e->rma.status = (int32_t)htole32((uint32_t)status);
	e->iov[0].iov_base = &e->hdr;
	e->iov[0].iov_len = sizeof(e->hdr);
	e->iov[1].iov_base = &e->rma;
	e->iov[1].iov_len = sizeof(e->rma);
	e->iov_count = 2;
	if (len && from_result) {
		e->iov[2].iov_base =
			((struct tcp_rdm_ctrl *)(void *)e)->result;
		e->iov[2].iov_len = len;
		e->iov_count = 3;
	} else if (len) {
		for (size_t i = 0; i < count; i++)
			e->iov[e->iov_count++] = iov[i];
	}
	tcp_rdm_tx_submit(c->ep, e);
}

static void tcp_rdm_rma_protocol_error(struct tcp_rdm_conn *c,
				       const char *why)
{
	FI_WARN(&tcp_prov, FI_LOG_EP_DATA,
		"peer broke the RMA protocol (%s): closing the connection\n",
		why);
	tcp_rdm_conn_fail(c, FI_EIO);
}

void tcp_rdm_rma_rx_start(struct tcp_rdm_conn *c)
{
	struct tcp_rdm_ep *ep = c->ep;
	const struct tcp_hdr *h = &c->rx_hdr;
	const struct tcp_rma_hdr *m = &c->rx_rma;
	size_t size = (size_t)h->size;
	struct tcp_iov_cursor *cur = &c->rx_cursor;
	const char *bad;

	cur->count = cur->idx = 0;
	c->rx_status = 0;
	c->rx_left = c->rx_discard = c->rx_land = 0;
	c->rx_state = TCP_RDM_RX_BODY;
	if (h->op == TCP_OP_RESP) {
		struct weft_list *l = weft_list_pop_front(&c->rma_pending);
		struct tcp_rdm_tx *e;
		size_t want;

		if (!l) {
			tcp_rdm_rma_protocol_error(c, "answer to no request");
			return;
		}
		e = weft_container_of(l, struct tcp_rdm_tx, link);
		c->rx_pending = e;
		c->rx_status = m->status;
		want = tcp_iov_total(e->src, e->src_count);
		if (c->rx_status == 0 && size != want)
			c->rx_status = -FI_EIO;
		if (c->rx_status == 0) {
			tcp_cursor_set(cur, e->src, e->src_count, size);
			c->rx_left = size;
		} else {
			c->rx_discard = size;
		}
		return;
	}
	if (!(ep->util.caps & (FI_RMA | FI_ATOMIC)) ||
	    (h->op == TCP_OP_ATOMIC && !ep->atomic_buf)) {
		tcp_rdm_rma_protocol_error(c, "RMA/atomics not enabled here");
		return;
	}
	/* The answer needs a control entry. */
	if (weft_list_empty(&ep->ctrl_free)) {
		c->rx_state = TCP_RDM_RX_STALLED;
		if (!c->stalled) {
			c->stalled = true;
			weft_list_push_back(&ep->stalled, &c->stall_link);
		}
		return;
	}
	bad = tcp_rma_request_check(h, m, ep->util.max_msg_size, cur,
				    ep->atomic_buf);
	if (bad) {
		tcp_rdm_rma_protocol_error(c, bad);
		return;
	}
	if (h->op == TCP_OP_WRITE) {
		struct iovec out[TCP_IOV_LIMIT];
		size_t n = TCP_IOV_LIMIT;

		c->rx_status = tcp_rdm_rma_verify(c, FI_REMOTE_WRITE, out, &n);
		if (c->rx_status == 0) {
			tcp_cursor_set(cur, out, n, size);
			c->rx_left = size;
		} else {
			c->rx_discard = size;
		}
	} else if (h->op == TCP_OP_ATOMIC) {
		c->rx_left = size;
	}
}

static void tcp_rdm_rma_answered(struct tcp_rdm_conn *c)
{
	struct tcp_rdm_tx *e = c->rx_pending;
	int err = -c->rx_status;

	c->rx_pending = NULL;
	if (err && (err < 0 || err > 0xffff))
		err = FI_EIO;
	e->wait = TCP_RDM_TXW_NONE;
	tcp_rdm_tx_done(c->ep, e, err);
}

static void tcp_rdm_atomic_apply(struct tcp_rdm_conn *c)
{
	struct tcp_rdm_ep *ep = c->ep;
	const struct tcp_rma_hdr *m = &c->rx_rma;
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
	struct tcp_rdm_tx *e = tcp_rdm_ctrl_get(ep);
	uint8_t *result = ((struct tcp_rdm_ctrl *)(void *)e)->result;
	struct iovec out[1];
	size_t n = 1, len = (size_t)m->len;
	uint64_t access = FI_REMOTE_WRITE |
			  (kind != WEFT_ATOMIC_WRITE ? FI_REMOTE_READ : 0);
	int status;

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
			status = weft_atomic_readwrite(op, dt, out[0].iov_base,
						       ep->atomic_buf, result,
						       len / dsize);
			break;
		default:
			status = weft_atomic_compare(
				op, dt, out[0].iov_base, ep->atomic_buf,
				ep->atomic_buf + len, result, len / dsize);
			break;
		}
	}
	if (status == 0)
		weft_mr_count_access(&dom->mr_map, m->key, FI_REMOTE_WRITE);
	weft_lock_release(&dom->lock);
	if (status == 0)
		weft_ep_rx_complete(&ep->util, NULL,
				    FI_ATOMIC | FI_REMOTE_WRITE, 0, NULL, 0, 0,
				    tcp_rdm_peer_src(ep, c->peer));
answer:
	tcp_rdm_resp_queue(c, e, status, NULL, 0,
			   kind == WEFT_ATOMIC_WRITE ? 0 : len, true);
}

void tcp_rdm_rma_rx_finish(struct tcp_rdm_conn *c)
{
	struct tcp_rdm_ep *ep = c->ep;
	const struct tcp_hdr *h = &c->rx_hdr;

	switch (h->op) {
	case TCP_OP_RESP:
		tcp_rdm_rma_answered(c);
		break;
	case TCP_OP_WRITE:
		if (c->rx_status == 0) {
			uint64_t flags = FI_RMA | FI_REMOTE_WRITE;

			if (h->flags & TCP_HDR_CQ_DATA)
				flags |= FI_REMOTE_CQ_DATA;
			weft_ep_rx_complete(&ep->util, NULL, flags,
					    (size_t)h->size, NULL,
					    (h->flags & TCP_HDR_CQ_DATA)
						    ? h->data
						    : 0,
					    0, tcp_rdm_peer_src(ep, c->peer));
		}
		tcp_rdm_resp_queue(c, tcp_rdm_ctrl_get(ep), c->rx_status, NULL,
				   0, 0, false);
		break;
	case TCP_OP_READ: {
		struct iovec out[TCP_IOV_LIMIT];
		size_t n = TCP_IOV_LIMIT;
		int status = tcp_rdm_rma_verify(c, FI_REMOTE_READ, out, &n);

		if (status == 0)
			weft_ep_rx_complete(&ep->util, NULL,
					    FI_RMA | FI_REMOTE_READ,
					    (size_t)c->rx_rma.len, NULL, 0, 0,
					    tcp_rdm_peer_src(ep, c->peer));
		tcp_rdm_resp_queue(c, tcp_rdm_ctrl_get(ep), status, out,
				   status ? 0 : n, (size_t)c->rx_rma.len,
				   false);
		break;
	}
	case TCP_OP_ATOMIC:
		tcp_rdm_atomic_apply(c);
		break;
	default:
		break;
	}
}

void tcp_rdm_rma_flush(struct tcp_rdm_conn *c, int err)
{
	struct weft_list *l;

	if (c->rx_pending) {
		weft_list_push_front(&c->rma_pending, &c->rx_pending->link);
		c->rx_pending = NULL;
	}
	while ((l = weft_list_pop_front(&c->rma_pending))) {
		struct tcp_rdm_tx *e =
			weft_container_of(l, struct tcp_rdm_tx, link);

		e->wait = TCP_RDM_TXW_NONE;
		tcp_rdm_tx_done(c->ep, e, err);
	}
}
