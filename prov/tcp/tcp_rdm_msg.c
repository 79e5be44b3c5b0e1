/* FI_EP_RDM msg and tagged posting.
 *
 * Send: an entry from the tx pool (allocated at open) names its peer; it
 * joins the peer's queue, and the queue is written at once when the
 * connection is up, or when it comes up (tcp_rdm_tx_submit starts it):
 * -FI_EAGAIN only means the pool is empty. Up to eager_max bytes go as
 * one message; above, an RTS announces the message and the payload
 * follows when the receiver asks (CTS). FI_DELIVERY_COMPLETE sends ask the
 * receiver for an ACK and complete on it.
 *
 * Receive: matched first against unexpected messages (oldest first; a
 * rendezvous one gets its CTS), else queued. FI_MULTI_RECV buffers take
 * messages until they retire (util/mrecv.h). FI_DIRECTED_RECV matches
 * the sender's fi_addr when the endpoint has the capability.
 *
 * Everything under util.lock.
 */
#include <stdlib.h>
#include <string.h>

#include "tcp_rdm.h"

#define TCP_RDM_TX_FLAGS                                                       \
	(FI_COMPLETION | FI_INJECT | FI_REMOTE_CQ_DATA | FI_INJECT_COMPLETE |  \
	 FI_TRANSMIT_COMPLETE | FI_DELIVERY_COMPLETE | FI_MORE | FI_FENCE)
#define TCP_RDM_RX_FLAGS (FI_COMPLETION | FI_MORE | FI_MULTI_RECV)

/* ---- send ------------------------------------------------------------- */

static ssize_t tcp_rdm_send_common(struct tcp_rdm_ep *ep, bool tagged,
				   const struct iovec *iov, size_t count,
				   fi_addr_t dest, uint64_t tag,
				   uint64_t data, uint64_t flags,
				   void *context, bool report)
{
	struct tcp_rdm_peer *p;
	struct tcp_rdm_tx *e;
	struct weft_list *l;
	uint16_t hflags;
	size_t len;
	ssize_t ret;
	int err = 0;

	ret = weft_ep_check_iov(iov, count, ep->util.tx_iov_limit,
				ep->util.max_msg_size, &len);
	if (ret)
		return ret;
	if ((flags & FI_INJECT) && len > ep->inject_size)
		return -FI_EINVAL;

	weft_lock_acquire(&ep->util.lock);
	if (!ep->util.enabled) {
		ret = -FI_EOPBADSTATE;
		goto out;
	}
	p = tcp_rdm_peer_get(ep, dest, &err);
	if (!p) {
		ret = err;
		goto out;
	}
	l = weft_list_pop_front(&ep->tx_free);
	if (!l) {
		weft_lock_release(&ep->util.lock);
		tcp_rdm_progress(&ep->util);
		weft_lock_acquire(&ep->util.lock);
		l = weft_list_pop_front(&ep->tx_free);
		if (!l) {
			ret = -FI_EAGAIN;
			goto out;
		}
	}
	e = weft_container_of(l, struct tcp_rdm_tx, link);
	e->busy = true;
	e->peer = p;
	e->wait = TCP_RDM_TXW_NONE;
	e->context = context;
	e->report = report;
	e->len = len;
	e->flags = (flags & ~FI_REMOTE_CQ_DATA) | FI_SEND |
		   (tagged ? FI_TAGGED : FI_MSG);
	e->idx = 0;
	hflags = (flags & FI_REMOTE_CQ_DATA) ? TCP_HDR_CQ_DATA : 0;
	e->iov[0].iov_base = &e->hdr;
	e->iov[0].iov_len = sizeof(e->hdr);
	e->iov_count = 1;
	if (len > ep->eager_max && !(flags & FI_INJECT)) {
		e->kind = TCP_RDM_TX_RNDV;
		if (tagged)
			hflags |= TCP_HDR_TAGGED;
		tcp_hdr_init(&e->hdr, TCP_OP_RTS, hflags, 0, tag, data);
		memset(&e->rma, 0, sizeof(e->rma));
		e->rma.len = htole64(len);
		e->iov[1].iov_base = &e->rma;
		e->iov[1].iov_len = sizeof(e->rma);
		e->iov_count = 2;
		e->src_count = 0;
		for (size_t i = 0; i < count; i++)
			if (iov[i].iov_len)
				e->src[e->src_count++] = iov[i];
	} else {
		e->kind = TCP_RDM_TX_SEND;
		if (flags & FI_DELIVERY_COMPLETE)
			hflags |= TCP_HDR_ACK;
		tcp_hdr_init(&e->hdr, tagged ? TCP_OP_TAGGED : TCP_OP_MSG,
			     hflags, len, tagged ? tag : 0, data);
		e->iov_count = tcp_send_payload(e->iov, e->inject, iov, count,
						len, flags);
	}
	tcp_hdr_set_id(&e->hdr, e->id);
	tcp_rdm_tx_submit(ep, e);
	ret = 0;
out:
	weft_lock_release(&ep->util.lock);
	return ret;
}

static ssize_t tcp_rdm_send(struct fid_ep *fid, const void *buf, size_t len,
			    void *desc, fi_addr_t dest, void *context)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of(fid);
	struct iovec iov = { (void *)buf, len };

	return tcp_rdm_send_common(ep, false, &iov, 1, dest, 0, 0,
				   ep->util.tx_op_flags, context, true);
}

static ssize_t tcp_rdm_sendv(struct fid_ep *fid, const struct iovec *iov,
			     void **desc, size_t count, fi_addr_t dest,
			     void *context)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of(fid);

	return tcp_rdm_send_common(ep, false, iov, count, dest, 0, 0,
				   ep->util.tx_op_flags, context, true);
}

static ssize_t tcp_rdm_sendmsg(struct fid_ep *fid, const struct fi_msg *msg,
			       uint64_t flags)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of(fid);

	if (!msg)
		return -FI_EINVAL;
	if (flags & ~TCP_RDM_TX_FLAGS)
		return -FI_EBADFLAGS;
	return tcp_rdm_send_common(ep, false, msg->msg_iov, msg->iov_count,
				   msg->addr, 0, msg->data, flags,
				   msg->context, true);
}

static ssize_t tcp_rdm_inject(struct fid_ep *fid, const void *buf, size_t len,
			      fi_addr_t dest)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of(fid);
	struct iovec iov = { (void *)buf, len };

	return tcp_rdm_send_common(ep, false, &iov, 1, dest, 0, 0,
				   (ep->util.tx_op_flags | FI_INJECT) &
					   ~FI_DELIVERY_COMPLETE,
				   NULL, false);
}

static ssize_t tcp_rdm_senddata(struct fid_ep *fid, const void *buf,
				size_t len, void *desc, uint64_t data,
				fi_addr_t dest, void *context)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of(fid);
	struct iovec iov = { (void *)buf, len };

	return tcp_rdm_send_common(ep, false, &iov, 1, dest, 0, data,
				   ep->util.tx_op_flags | FI_REMOTE_CQ_DATA,
				   context, true);
}

static ssize_t tcp_rdm_injectdata(struct fid_ep *fid, const void *buf,
				  size_t len, uint64_t data, fi_addr_t dest)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of(fid);
	struct iovec iov = { (void *)buf, len };

	return tcp_rdm_send_common(ep, false, &iov, 1, dest, 0, data,
				   ((ep->util.tx_op_flags | FI_INJECT) &
				    ~FI_DELIVERY_COMPLETE) |
					   FI_REMOTE_CQ_DATA,
				   NULL, false);
}

/* ---- receive ---------------------------------------------------------- */

static void tcp_rdm_conn_flush(struct tcp_rdm_conn *c)
{
	if (c && !c->dead && c->state == TCP_RDM_UP && c->peer &&
	    !weft_list_empty(&c->peer->txq))
		tcp_rdm_tx_write(c);
}

/* Offer unexpected messages to multi-receive buffer e while it is open;
 * queue it if it still is. */
static int tcp_rdm_mrecv_post(struct tcp_rdm_ep *ep, struct tcp_rdm_rx *e)
{
	struct weft_match *m;

	weft_match_queue_push(&ep->posted_msg, &e->match);
	while (weft_mrecv_open(&e->mrecv) &&
	       (m = weft_match_unexpected(&ep->unexp_msg, 0, 0,
					  e->match.addr))) {
		struct tcp_rdm_unexp *u =
			weft_container_of(m, struct tcp_rdm_unexp, match);
		struct tcp_rdm_conn *c = u->rts ? u->conn : NULL;

		/* A rendezvous needs a receive entry and a control entry:
		 * without them it waits for a later post. */
		if (u->rts && (weft_list_empty(&ep->rx_free) ||
			       weft_list_empty(&ep->ctrl_free)))
			break;
		weft_match_remove(m);
		tcp_rdm_deliver_unexp(ep, e, u);
		tcp_rdm_conn_flush(c);
	}
	return 0;
}

static ssize_t tcp_rdm_recv_common(struct tcp_rdm_ep *ep, bool tagged,
				   const struct iovec *iov, size_t count,
				   fi_addr_t src, uint64_t tag,
				   uint64_t ignore, uint64_t flags,
				   void *context)
{
	struct tcp_rdm_rx *e;
	struct weft_match *m;
	struct weft_list *l;
	size_t len;
	ssize_t ret;

	ret = weft_ep_check_iov(iov, count, ep->util.rx_iov_limit, SIZE_MAX,
				&len);
	if (ret)
		return ret;
	if (flags & FI_MULTI_RECV) {
		if (tagged)
			return -FI_EBADFLAGS;
		ret = weft_mrecv_check(iov, count);
		if (ret)
			return ret;
	}
	weft_lock_acquire(&ep->util.lock);
	if (!ep->util.enabled) {
		ret = -FI_EOPBADSTATE;
		goto out;
	}
	l = weft_list_pop_front(&ep->rx_free);
	if (!l) {
		ret = -FI_EAGAIN;
		goto out;
	}
	e = weft_container_of(l, struct tcp_rdm_rx, free_link);
	e->kind = TCP_RDM_RXE_POSTED;
	e->context = context;
	e->flags = flags;
	e->tagged = tagged;
	e->parent = NULL;
	e->conn = NULL;
	e->iov_count = 0;
	for (size_t i = 0; i < count; i++)
		if (iov[i].iov_len)
			e->iov[e->iov_count++] = iov[i];
	e->capacity = len;
	e->match.tag = tagged ? tag : 0;
	e->match.ignore = tagged ? ignore : 0;
	e->match.addr = (ep->util.caps & FI_DIRECTED_RECV) &&
					src != FI_ADDR_UNSPEC && ep->util.av
				? (src & ep->util.av->index_mask)
				: FI_ADDR_UNSPEC;
	e->multi = (flags & FI_MULTI_RECV) != 0;
	if (e->multi) {
		weft_mrecv_init(&e->mrecv, iov, context, flags,
				ep->util.min_multi_recv);
		ret = tcp_rdm_mrecv_post(ep, e);
		goto unstall;
	}
	m = weft_match_unexpected_take(tagged ? &ep->unexp_tag : &ep->unexp_msg,
				       e->match.tag, e->match.ignore,
				       e->match.addr);
	if (m) {
		struct tcp_rdm_unexp *u =
			weft_container_of(m, struct tcp_rdm_unexp, match);
		struct tcp_rdm_conn *c = u->rts ? u->conn : NULL;

		ret = tcp_rdm_deliver_unexp(ep, e, u);
		if (ret) {
			/* No control entry for the CTS: try later. */
			weft_match_queue_push(tagged ? &ep->unexp_tag
						     : &ep->unexp_msg,
					      m);
			tcp_rdm_rx_put(ep, e);
			goto out;
		}
		tcp_rdm_conn_flush(c);
	} else {
		weft_match_queue_push(tagged ? &ep->posted_tag
					     : &ep->posted_msg,
				      &e->match);
	}
unstall:
	if (!weft_list_empty(&ep->stalled))
		tcp_rdm_rx_unstall(ep);
	ret = 0;
out:
	weft_lock_release(&ep->util.lock);
	return ret;
}

static ssize_t tcp_rdm_recv(struct fid_ep *fid, void *buf, size_t len,
			    void *desc, fi_addr_t src, void *context)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of(fid);
	struct iovec iov = { buf, len };

	return tcp_rdm_recv_common(ep, false, &iov, 1, src, 0, 0,
				   ep->util.rx_op_flags, context);
}

static ssize_t tcp_rdm_recvv(struct fid_ep *fid, const struct iovec *iov,
			     void **desc, size_t count, fi_addr_t src,
			     void *context)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of(fid);

	return tcp_rdm_recv_common(ep, false, iov, count, src, 0, 0,
				   ep->util.rx_op_flags, context);
}

static ssize_t tcp_rdm_recvmsg(struct fid_ep *fid, const struct fi_msg *msg,
			       uint64_t flags)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of(fid);

	if (!msg)
		return -FI_EINVAL;
	if (flags & ~TCP_RDM_RX_FLAGS)
		return -FI_EBADFLAGS;
	return tcp_rdm_recv_common(ep, false, msg->msg_iov, msg->iov_count,
				   msg->addr, 0, 0, flags, msg->context);
}

struct fi_ops_msg tcp_rdm_msg_ops = {
	.size = sizeof(struct fi_ops_msg),
	.recv = tcp_rdm_recv,
	.recvv = tcp_rdm_recvv,
	.recvmsg = tcp_rdm_recvmsg,
	.send = tcp_rdm_send,
	.sendv = tcp_rdm_sendv,
	.sendmsg = tcp_rdm_sendmsg,
	.inject = tcp_rdm_inject,
	.senddata = tcp_rdm_senddata,
	.injectdata = tcp_rdm_injectdata,
};

/* ---- peek and claim ----------------------------------------------------- */

/* What a peek found (or a discard): always a completion, whatever
 * selective completion says: it is the peek's only answer. */
static void tcp_rdm_peek_report(struct tcp_rdm_ep *ep, void *context,
				const struct tcp_rdm_unexp *u)
{
	uint64_t flags = FI_RECV | FI_TAGGED | FI_COMPLETION |
			 ((u->hflags & TCP_HDR_CQ_DATA) ? FI_REMOTE_CQ_DATA : 0);

	weft_ep_rx_complete(&ep->util, context, flags, u->size, NULL,
			    (u->hflags & TCP_HDR_CQ_DATA) ? u->data : 0,
			    u->match.tag, tcp_rdm_peer_src(ep, u->peer));
}

/* Drop u: a rendezvous one tells its sender (a CTS asking for nothing). */
static int tcp_rdm_discard(struct tcp_rdm_ep *ep, struct tcp_rdm_unexp *u)
{
	struct tcp_rdm_conn *c = u->conn;

	if (u->rts) {
		int ret = tcp_rdm_rndv_accept(ep, u, NULL);

		if (!ret)
			tcp_rdm_conn_flush(c);
		return ret;
	}
	tcp_rdm_unexp_free(ep, u);
	return 0;
}

static ssize_t tcp_rdm_peek(struct tcp_rdm_ep *ep,
			    const struct fi_msg_tagged *msg, uint64_t flags)
{
	fi_addr_t src = (ep->util.caps & FI_DIRECTED_RECV) &&
					msg->addr != FI_ADDR_UNSPEC &&
					ep->util.av
				? (msg->addr & ep->util.av->index_mask)
				: FI_ADDR_UNSPEC;
	struct weft_match *m;
	struct tcp_rdm_unexp *u;

	weft_lock_release(&ep->util.lock);
	tcp_rdm_progress(&ep->util);
	weft_lock_acquire(&ep->util.lock);
	m = weft_match_unexpected(&ep->unexp_tag, msg->tag, msg->ignore, src);
	if (!m) {
		weft_ep_rx_error(&ep->util, msg->context,
				 FI_RECV | FI_TAGGED | FI_COMPLETION,
				 FI_ENOMSG, FI_ENOMSG, NULL, 0, 0, 0,
				 msg->tag);
		return 0;
	}
	u = weft_container_of(m, struct tcp_rdm_unexp, match);
	if ((flags & FI_DISCARD) && u->rts &&
	    weft_list_empty(&ep->ctrl_free))
		return -FI_EAGAIN;
	tcp_rdm_peek_report(ep, msg->context, u);
	if (flags & FI_DISCARD) {
		weft_match_remove(m);
		tcp_rdm_discard(ep, u);
	} else if (flags & FI_CLAIM) {
		weft_match_remove(m);
		weft_list_push_back(&ep->claimed, &m->link);
		((struct fi_context *)msg->context)->internal[0] = u;
	}
	return 0;
}

static ssize_t tcp_rdm_claim(struct tcp_rdm_ep *ep,
			     const struct fi_msg_tagged *msg, uint64_t flags)
{
	struct fi_context *fc = msg->context;
	struct tcp_rdm_unexp *u = fc->internal[0];
	struct tcp_rdm_conn *c;
	struct tcp_rdm_rx *e;
	struct weft_list *l;
	size_t len;
	ssize_t ret;

	if (!u)
		return -FI_EINVAL;
	for (l = ep->claimed.next; l != &ep->claimed; l = l->next)
		if (l == &u->match.link)
			break;
	if (l == &ep->claimed)
		return -FI_EINVAL;
	c = u->rts ? u->conn : NULL;
	if (flags & FI_DISCARD) {
		if (u->rts && weft_list_empty(&ep->ctrl_free))
			return -FI_EAGAIN;
		weft_list_remove(&u->match.link);
		fc->internal[0] = NULL;
		tcp_rdm_peek_report(ep, fc, u);
		tcp_rdm_discard(ep, u);
		return 0;
	}
	ret = weft_ep_check_iov(msg->msg_iov, msg->iov_count,
				ep->util.rx_iov_limit, SIZE_MAX, &len);
	if (ret)
		return ret;
	if (u->rts && weft_list_empty(&ep->ctrl_free))
		return -FI_EAGAIN;
	l = weft_list_pop_front(&ep->rx_free);
	if (!l)
		return -FI_EAGAIN;
	e = weft_container_of(l, struct tcp_rdm_rx, free_link);
	e->kind = TCP_RDM_RXE_POSTED;
	e->context = fc;
	e->flags = flags;
	e->tagged = true;
	e->multi = false;
	e->parent = NULL;
	e->iov_count = 0;
	for (size_t i = 0; i < msg->iov_count; i++)
		if (msg->msg_iov[i].iov_len)
			e->iov[e->iov_count++] = msg->msg_iov[i];
	e->capacity = len;
	weft_list_remove(&u->match.link);
	fc->internal[0] = NULL;
	tcp_rdm_deliver_unexp(ep, e, u);
	tcp_rdm_conn_flush(c);
	return 0;
}

/* ---- tagged ----------------------------------------------------------- */

static ssize_t tcp_rdm_trecv(struct fid_ep *fid, void *buf, size_t len,
			     void *desc, fi_addr_t src, uint64_t tag,
			     uint64_t ignore, void *context)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of(fid);
	struct iovec iov = { buf, len };

	return tcp_rdm_recv_common(ep, true, &iov, 1, src, tag, ignore,
				   ep->util.rx_op_flags & ~FI_MULTI_RECV,
				   context);
}

static ssize_t tcp_rdm_trecvv(struct fid_ep *fid, const struct iovec *iov,
			      void **desc, size_t count, fi_addr_t src,
			      uint64_t tag, uint64_t ignore, void *context)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of(fid);

	return tcp_rdm_recv_common(ep, true, iov, count, src, tag, ignore,
				   ep->util.rx_op_flags & ~FI_MULTI_RECV,
				   context);
}

static ssize_t tcp_rdm_trecvmsg(struct fid_ep *fid,
				const struct fi_msg_tagged *msg,
				uint64_t flags)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of(fid);
	ssize_t ret;

	if (!msg)
		return -FI_EINVAL;
	if (flags & ~(TCP_RDM_RX_FLAGS | FI_PEEK | FI_CLAIM | FI_DISCARD))
		return -FI_EBADFLAGS;
	if (!(flags & (FI_PEEK | FI_CLAIM)))
		return (flags & FI_DISCARD)
			       ? -FI_EINVAL
			       : tcp_rdm_recv_common(ep, true, msg->msg_iov,
						     msg->iov_count, msg->addr,
						     msg->tag, msg->ignore,
						     flags, msg->context);
	if (!msg->context && (flags & FI_CLAIM))
		return -FI_EINVAL;
	weft_lock_acquire(&ep->util.lock);
	if (!ep->util.enabled)
		ret = -FI_EOPBADSTATE;
	else if (flags & FI_PEEK)
		ret = tcp_rdm_peek(ep, msg, flags);
	else
		ret = tcp_rdm_claim(ep, msg, flags);
	weft_lock_release(&ep->util.lock);
	return ret;
}

static ssize_t tcp_rdm_tsend(struct fid_ep *fid, const void *buf, size_t len,
			     void *desc, fi_addr_t dest, uint64_t tag,
			     void *context)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of(fid);
	struct iovec iov = { (void *)buf, len };

	return tcp_rdm_send_common(ep, true, &iov, 1, dest, tag, 0,
				   ep->util.tx_op_flags, context, true);
}

static ssize_t tcp_rdm_tsendv(struct fid_ep *fid, const struct iovec *iov,
			      void **desc, size_t count, fi_addr_t dest,
			      uint64_t tag, void *context)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of(fid);

	return tcp_rdm_send_common(ep, true, iov, count, dest, tag, 0,
				   ep->util.tx_op_flags, context, true);
}

static ssize_t tcp_rdm_tsendmsg(struct fid_ep *fid,
				const struct fi_msg_tagged *msg,
				uint64_t flags)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of(fid);

	if (!msg)
		return -FI_EINVAL;
	if (flags & ~TCP_RDM_TX_FLAGS)
		return -FI_EBADFLAGS;
	return tcp_rdm_send_common(ep, true, msg->msg_iov, msg->iov_count,
				   msg->addr, msg->tag, msg->data, flags,
				   msg->context, true);
}

static ssize_t tcp_rdm_tinject(struct fid_ep *fid, const void *buf,
			       size_t len, fi_addr_t dest, uint64_t tag)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of(fid);
	struct iovec iov = { (void *)buf, len };

	return tcp_rdm_send_common(ep, true, &iov, 1, dest, tag, 0,
				   (ep->util.tx_op_flags | FI_INJECT) &
					   ~FI_DELIVERY_COMPLETE,
				   NULL, false);
}

static ssize_t tcp_rdm_tsenddata(struct fid_ep *fid, const void *buf,
				 size_t len, void *desc, uint64_t data,
				 fi_addr_t dest, uint64_t tag, void *context)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of(fid);
	struct iovec iov = { (void *)buf, len };

	return tcp_rdm_send_common(ep, true, &iov, 1, dest, tag, data,
				   ep->util.tx_op_flags | FI_REMOTE_CQ_DATA,
				   context, true);
}

static ssize_t tcp_rdm_tinjectdata(struct fid_ep *fid, const void *buf,
				   size_t len, uint64_t data, fi_addr_t dest,
				   uint64_t tag)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of(fid);
	struct iovec iov = { (void *)buf, len };

	return tcp_rdm_send_common(ep, true, &iov, 1, dest, tag, data,
				   ((ep->util.tx_op_flags | FI_INJECT) &
				    ~FI_DELIVERY_COMPLETE) |
					   FI_REMOTE_CQ_DATA,
				   NULL, false);
}

struct fi_ops_tagged tcp_rdm_tagged_ops = {
	.size = sizeof(struct fi_ops_tagged),
	.recv = tcp_rdm_trecv,
	.recvv = tcp_rdm_trecvv,
	.recvmsg = tcp_rdm_trecvmsg,
	.send = tcp_rdm_tsend,
	.sendv = tcp_rdm_tsendv,
	.sendmsg = tcp_rdm_tsendmsg,
	.inject = tcp_rdm_tinject,
	.senddata = tcp_rdm_tsenddata,
	.injectdata = tcp_rdm_tinjectdata,
};
