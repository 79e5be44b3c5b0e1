/* The fi_msg and fi_tagged data path of connected endpoints.
 *
 * Send: an entry from the endpoint's tx pool (tx_attr->size of them,
 * allocated at open) carries the header and the payload iovs (injected
 * data is copied into the entry). It joins the tx queue and the queue is
 * written at once; whatever the socket does not take now is written by
 * later progress, so a posted send is never lost and -FI_EAGAIN only means
 * the pool is empty. The send completes when its last byte is in the
 * kernel (transmit complete for a reliable stream).
 *
 * Receive: an entry from the rx pool is matched first against buffered
 * unexpected messages (oldest first), else queued as posted; progress
 * lands arriving payload straight into it (tcp_progress.c).
 *
 * Everything here runs under util.lock (a no-op unless the threading
 * level lets CQ readers race with posters).
 */
#include <stdlib.h>
#include <string.h>

#include "tcp.h"

#define TCP_TX_FLAGS                                                           \
	(FI_COMPLETION | FI_INJECT | FI_REMOTE_CQ_DATA | FI_INJECT_COMPLETE |  \
	 FI_TRANSMIT_COMPLETE | FI_DELIVERY_COMPLETE | FI_MORE | FI_FENCE)
#define TCP_RX_FLAGS (FI_COMPLETION | FI_MORE)

/* ---- send ------------------------------------------------------------- */

/* Put a send's payload after the header at out[0], for MSG and RDM eager
 * sends alike: with FI_INJECT copied into inject (the caller checked len
 * against its inject size), else the caller's non-empty iovs referenced
 * in place. Returns the wire iov count (1: no payload). */
size_t tcp_send_payload(struct iovec *out, uint8_t *inject,
			const struct iovec *iov, size_t count, size_t len,
			uint64_t flags)
{
	size_t n = 1;

	if (flags & FI_INJECT) {
		size_t off = 0;

		for (size_t i = 0; i < count; i++) {
			memcpy(inject + off, iov[i].iov_base, iov[i].iov_len);
			off += iov[i].iov_len;
		}
		if (len) {
			out[1].iov_base = inject;
			out[1].iov_len = len;
			n = 2;
		}
	} else {
		for (size_t i = 0; i < count; i++)
			if (iov[i].iov_len)
				out[n++] = iov[i];
	}
	return n;
}

static ssize_t tcp_send_common(struct tcp_ep *ep, uint8_t op,
			       const struct iovec *iov, size_t count,
			       uint64_t tag, uint64_t data, uint64_t flags,
			       void *context, bool report)
{
	struct tcp_tx_entry *e;
	struct weft_list *l;
	size_t len;
	ssize_t ret;

	ret = weft_ep_check_iov(iov, count, ep->util.tx_iov_limit,
				ep->util.max_msg_size, &len);
	if (ret)
		return ret;
	if ((flags & FI_INJECT) && len > ep->inject_size)
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
	e->kind = TCP_TX_SEND;
	e->context = context;
	e->report = report;
	e->len = len;
	e->tag = tag;
	e->flags = (flags & ~FI_REMOTE_CQ_DATA) | FI_SEND |
		   (op == TCP_OP_TAGGED ? FI_TAGGED : FI_MSG);
	tcp_hdr_init(&e->hdr, op,
		     (flags & FI_REMOTE_CQ_DATA) ? TCP_HDR_CQ_DATA : 0, len,
		     tag, data);
	e->iov[0].iov_base = &e->hdr;
	e->iov[0].iov_len = sizeof(e->hdr);
	e->iov_count = tcp_send_payload(e->iov, e->inject, iov, count, len,
					flags);
	e->idx = 0;
	weft_list_push_back(&ep->tx_queue, &e->link);
	tcp_tx_progress(ep);
	ret = 0;
out:
	weft_lock_release(&ep->util.lock);
	return ret;
}

static ssize_t tcp_send(struct fid_ep *ep_fid, const void *buf, size_t len,
			void *desc, fi_addr_t dest_addr, void *context)
{
	struct tcp_ep *ep = tcp_ep_of(ep_fid);
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return tcp_send_common(ep, TCP_OP_MSG, &iov, 1, 0, 0,
			       ep->util.tx_op_flags, context, true);
}

static ssize_t tcp_sendv(struct fid_ep *ep_fid, const struct iovec *iov,
			 void **desc, size_t count, fi_addr_t dest_addr,
			 void *context)
{
	struct tcp_ep *ep = tcp_ep_of(ep_fid);

	return tcp_send_common(ep, TCP_OP_MSG, iov, count, 0, 0,
			       ep->util.tx_op_flags, context, true);
}

static ssize_t tcp_sendmsg(struct fid_ep *ep_fid, const struct fi_msg *msg,
			   uint64_t flags)
{
	struct tcp_ep *ep = tcp_ep_of(ep_fid);

	if (!msg)
		return -FI_EINVAL;
	if (flags & ~TCP_TX_FLAGS)
		return -FI_EBADFLAGS;
	return tcp_send_common(ep, TCP_OP_MSG, msg->msg_iov, msg->iov_count,
			       0, msg->data, flags, msg->context, true);
}

static ssize_t tcp_inject(struct fid_ep *ep_fid, const void *buf, size_t len,
			  fi_addr_t dest_addr)
{
	struct tcp_ep *ep = tcp_ep_of(ep_fid);
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return tcp_send_common(ep, TCP_OP_MSG, &iov, 1, 0, 0,
			       ep->util.tx_op_flags | FI_INJECT, NULL, false);
}

static ssize_t tcp_senddata(struct fid_ep *ep_fid, const void *buf,
			    size_t len, void *desc, uint64_t data,
			    fi_addr_t dest_addr, void *context)
{
	struct tcp_ep *ep = tcp_ep_of(ep_fid);
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return tcp_send_common(ep, TCP_OP_MSG, &iov, 1, 0, data,
			       ep->util.tx_op_flags | FI_REMOTE_CQ_DATA,
			       context, true);
}

static ssize_t tcp_injectdata(struct fid_ep *ep_fid, const void *buf,
			      size_t len, uint64_t data, fi_addr_t dest_addr)
{
	struct tcp_ep *ep = tcp_ep_of(ep_fid);
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return tcp_send_common(ep, TCP_OP_MSG, &iov, 1, 0, data,
			       ep->util.tx_op_flags | FI_INJECT |
				       FI_REMOTE_CQ_DATA,
			       NULL, false);
}

/* ---- receive ---------------------------------------------------------- */

static ssize_t tcp_recv_common(struct tcp_ep *ep, bool tagged,
			       const struct iovec *iov, size_t count,
			       uint64_t tag, uint64_t ignore, uint64_t flags,
			       void *context)
{
	struct tcp_rx_entry *e;
	struct weft_match *m;
	struct weft_list *l;
	size_t len;
	ssize_t ret;

	ret = weft_ep_check_iov(iov, count, ep->util.rx_iov_limit, SIZE_MAX,
				&len);
	if (ret)
		return ret;

	weft_lock_acquire(&ep->util.lock);
	if (!ep->util.enabled) {
		ret = -FI_EOPBADSTATE;
		goto out;
	}
	l = tcp_rx_alloc(ep);
	if (!l) {
		ret = -FI_EAGAIN;
		goto out;
	}
	e = weft_container_of(l, struct tcp_rx_entry, free_link);
	e->context = context;
	e->flags = flags;
	e->tagged = tagged;
	e->iov_count = 0;
	for (size_t i = 0; i < count; i++)
		if (iov[i].iov_len)
			e->iov[e->iov_count++] = iov[i];
	e->capacity = len;
	e->match.tag = tagged ? tag : 0;
	e->match.ignore = tagged ? ignore : 0;
	e->match.addr = FI_ADDR_UNSPEC;

	/* Older messages first: the buffered ones, then the one the stream
	 * is waiting on, then whatever arrives. */
	m = weft_match_unexpected_take(tagged ? &ep->unexp_tag : &ep->unexp_msg,
				       e->match.tag, e->match.ignore,
				       FI_ADDR_UNSPEC);
	if (m) {
		tcp_rx_deliver_unexp(ep, e,
				     weft_container_of(m, struct tcp_unexp,
						       match));
		ret = 0;
		goto out;
	}
	if (ep->state == TCP_EP_DOWN) {
		weft_list_push_back(&ep->rx_free, &e->free_link);
		ret = -FI_ENOTCONN;
		goto out;
	}
	weft_match_queue_push(tagged ? &ep->posted_tag : &ep->posted_msg,
			      &e->match);
	if (ep->rx_state == TCP_RX_STALLED)
		tcp_rx_posted(ep);
	ret = 0;
out:
	weft_lock_release(&ep->util.lock);
	return ret;
}

static ssize_t tcp_recv(struct fid_ep *ep_fid, void *buf, size_t len,
			void *desc, fi_addr_t src_addr, void *context)
{
	struct tcp_ep *ep = tcp_ep_of(ep_fid);
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return tcp_recv_common(ep, false, &iov, 1, 0, 0, ep->util.rx_op_flags,
			       context);
}

static ssize_t tcp_recvv(struct fid_ep *ep_fid, const struct iovec *iov,
			 void **desc, size_t count, fi_addr_t src_addr,
			 void *context)
{
	struct tcp_ep *ep = tcp_ep_of(ep_fid);

	return tcp_recv_common(ep, false, iov, count, 0, 0,
			       ep->util.rx_op_flags, context);
}

static ssize_t tcp_recvmsg(struct fid_ep *ep_fid, const struct fi_msg *msg,
			   uint64_t flags)
{
	struct tcp_ep *ep = tcp_ep_of(ep_fid);

	if (!msg)
		return -FI_EINVAL;
	if (flags & ~TCP_RX_FLAGS)
		return -FI_EBADFLAGS;
	return tcp_recv_common(ep, false, msg->msg_iov, msg->iov_count, 0, 0,
			       flags, msg->context);
}

struct fi_ops_msg tcp_msg_ops = {
	.size = sizeof(struct fi_ops_msg),
	.recv = tcp_recv,
	.recvv = tcp_recvv,
	.recvmsg = tcp_recvmsg,
	.send = tcp_send,
	.sendv = tcp_sendv,
	.sendmsg = tcp_sendmsg,
	.inject = tcp_inject,
	.senddata = tcp_senddata,
	.injectdata = tcp_injectdata,
};

/* ---- tagged ----------------------------------------------------------- */

static ssize_t tcp_trecv(struct fid_ep *ep_fid, void *buf, size_t len,
			 void *desc, fi_addr_t src_addr, uint64_t tag,
			 uint64_t ignore, void *context)
{
	struct tcp_ep *ep = tcp_ep_of(ep_fid);
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return tcp_recv_common(ep, true, &iov, 1, tag, ignore,
			       ep->util.rx_op_flags, context);
}

static ssize_t tcp_trecvv(struct fid_ep *ep_fid, const struct iovec *iov,
			  void **desc, size_t count, fi_addr_t src_addr,
			  uint64_t tag, uint64_t ignore, void *context)
{
	struct tcp_ep *ep = tcp_ep_of(ep_fid);

	return tcp_recv_common(ep, true, iov, count, tag, ignore,
			       ep->util.rx_op_flags, context);
}

static ssize_t tcp_trecvmsg(struct fid_ep *ep_fid,
			    const struct fi_msg_tagged *msg, uint64_t flags)
{
	struct tcp_ep *ep = tcp_ep_of(ep_fid);

	ssize_t ret;

	if (!msg)
		return -FI_EINVAL;
	if (flags & ~(TCP_RX_FLAGS | FI_PEEK | FI_CLAIM | FI_DISCARD))
		return -FI_EBADFLAGS;
	if (!(flags & (FI_PEEK | FI_CLAIM)))
		return (flags & FI_DISCARD)
			       ? -FI_EINVAL
			       : tcp_recv_common(ep, true, msg->msg_iov,
						 msg->iov_count, msg->tag,
						 msg->ignore, flags,
						 msg->context);
	if (!msg->context && (flags & FI_CLAIM))
		return -FI_EINVAL; /* the claim lives in its fi_context */
	weft_lock_acquire(&ep->util.lock);
	if (!ep->util.enabled)
		ret = -FI_EOPBADSTATE;
	else if (flags & FI_PEEK)
		ret = tcp_rx_peek(ep, msg, flags);
	else
		ret = tcp_rx_claim(ep, msg, flags);
	weft_lock_release(&ep->util.lock);
	return ret;
}

/* ---- peek and claim --------------------------------------------------- */

/* Report what a peek found (or a discard): always a completion, whatever
 * selective completion says, since it is the peek's only answer. */
static void tcp_peek_report(struct tcp_ep *ep, void *context,
			    const struct tcp_unexp *u)
{
	uint64_t flags = FI_RECV | FI_TAGGED | FI_COMPLETION |
			 ((u->flags & TCP_HDR_CQ_DATA) ? FI_REMOTE_CQ_DATA : 0);

	weft_ep_rx_complete(&ep->util, context, flags, u->size, NULL,
			    (u->flags & TCP_HDR_CQ_DATA) ? u->data : 0,
			    u->match.tag, FI_ADDR_NOTAVAIL);
}

static void tcp_unexp_free(struct tcp_ep *ep, struct tcp_unexp *u)
{
	ep->unexp_bytes -= u->size;
	free(u->buf);
	free(u);
}

/* Only messages buffered whole are seen: one still arriving, or one the
 * stream stalled on (over FI_TCP_UNEXP_LIMIT), is not found yet. */
ssize_t tcp_rx_peek(struct tcp_ep *ep, const struct fi_msg_tagged *msg,
		    uint64_t flags)
{
	struct weft_match *m;
	struct tcp_unexp *u;

	if (ep->state == TCP_EP_CONNECTED)
		tcp_rx_progress(ep);
	m = weft_match_unexpected(&ep->unexp_tag, msg->tag, msg->ignore,
				  FI_ADDR_UNSPEC);
	if (!m) {
		weft_ep_rx_error(&ep->util, msg->context,
				 FI_RECV | FI_TAGGED | FI_COMPLETION,
				 FI_ENOMSG, FI_ENOMSG, NULL, 0, 0, 0,
				 msg->tag);
		return 0;
	}
	u = weft_container_of(m, struct tcp_unexp, match);
	tcp_peek_report(ep, msg->context, u);
	if (flags & FI_DISCARD) {
		weft_match_remove(m);
		tcp_unexp_free(ep, u);
	} else if (flags & FI_CLAIM) {
		/* Out of reach of other receives; the fi_context remembers
		 * it for the paired FI_CLAIM receive. */
		weft_match_remove(m);
		weft_list_push_back(&ep->claimed, &m->link);
		((struct fi_context *)msg->context)->internal[0] = u;
	}
	return 0;
}

ssize_t tcp_rx_claim(struct tcp_ep *ep, const struct fi_msg_tagged *msg,
		     uint64_t flags)
{
	struct fi_context *fc = msg->context;
	struct tcp_unexp *u = fc->internal[0];
	struct tcp_rx_entry *e;
	struct weft_list *l;
	size_t len;
	ssize_t ret;

	/* It must be one of ours, claimed and not yet taken. */
	if (!u)
		return -FI_EINVAL;
	for (l = ep->claimed.next; l != &ep->claimed; l = l->next)
		if (l == &u->match.link)
			break;
	if (l == &ep->claimed)
		return -FI_EINVAL;
	if (flags & FI_DISCARD) {
		weft_list_remove(&u->match.link);
		fc->internal[0] = NULL;
		tcp_peek_report(ep, fc, u);
		tcp_unexp_free(ep, u);
		return 0;
	}
	ret = weft_ep_check_iov(msg->msg_iov, msg->iov_count,
				ep->util.rx_iov_limit, SIZE_MAX, &len);
	if (ret)
		return ret;
	l = tcp_rx_alloc(ep);
	if (!l)
		return -FI_EAGAIN;
	e = weft_container_of(l, struct tcp_rx_entry, free_link);
	e->context = fc;
	e->flags = flags;
	e->tagged = true;
	e->iov_count = 0;
	for (size_t i = 0; i < msg->iov_count; i++)
		if (msg->msg_iov[i].iov_len)
			e->iov[e->iov_count++] = msg->msg_iov[i];
	e->capacity = len;
	weft_list_remove(&u->match.link);
	fc->internal[0] = NULL;
	tcp_rx_deliver_unexp(ep, e, u);
	return 0;
}

static ssize_t tcp_tsend(struct fid_ep *ep_fid, const void *buf, size_t len,
			 void *desc, fi_addr_t dest_addr, uint64_t tag,
			 void *context)
{
	struct tcp_ep *ep = tcp_ep_of(ep_fid);
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return tcp_send_common(ep, TCP_OP_TAGGED, &iov, 1, tag, 0,
			       ep->util.tx_op_flags, context, true);
}

static ssize_t tcp_tsendv(struct fid_ep *ep_fid, const struct iovec *iov,
			  void **desc, size_t count, fi_addr_t dest_addr,
			  uint64_t tag, void *context)
{
	struct tcp_ep *ep = tcp_ep_of(ep_fid);

	return tcp_send_common(ep, TCP_OP_TAGGED, iov, count, tag, 0,
			       ep->util.tx_op_flags, context, true);
}

static ssize_t tcp_tsendmsg(struct fid_ep *ep_fid,
			    const struct fi_msg_tagged *msg, uint64_t flags)
{
	struct tcp_ep *ep = tcp_ep_of(ep_fid);

	if (!msg)
		return -FI_EINVAL;
	if (flags & ~TCP_TX_FLAGS)
		return -FI_EBADFLAGS;
	return tcp_send_common(ep, TCP_OP_TAGGED, msg->msg_iov,
			       msg->iov_count, msg->tag, msg->data, flags,
			       msg->context, true);
}

static ssize_t tcp_tinject(struct fid_ep *ep_fid, const void *buf,
			   size_t len, fi_addr_t dest_addr, uint64_t tag)
{
	struct tcp_ep *ep = tcp_ep_of(ep_fid);
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return tcp_send_common(ep, TCP_OP_TAGGED, &iov, 1, tag, 0,
			       ep->util.tx_op_flags | FI_INJECT, NULL, false);
}

static ssize_t tcp_tsenddata(struct fid_ep *ep_fid, const void *buf,
			     size_t len, void *desc, uint64_t data,
			     fi_addr_t dest_addr, uint64_t tag, void *context)
{
	struct tcp_ep *ep = tcp_ep_of(ep_fid);
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return tcp_send_common(ep, TCP_OP_TAGGED, &iov, 1, tag, data,
			       ep->util.tx_op_flags | FI_REMOTE_CQ_DATA,
			       context, true);
}

static ssize_t tcp_tinjectdata(struct fid_ep *ep_fid, const void *buf,
			       size_t len, uint64_t data, fi_addr_t dest_addr,
			       uint64_t tag)
{
	struct tcp_ep *ep = tcp_ep_of(ep_fid);
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return tcp_send_common(ep, TCP_OP_TAGGED, &iov, 1, tag, data,
			       ep->util.tx_op_flags | FI_INJECT |
				       FI_REMOTE_CQ_DATA,
			       NULL, false);
}

struct fi_ops_tagged tcp_tagged_ops = {
	.size = sizeof(struct fi_ops_tagged),
	.recv = tcp_trecv,
	.recvv = tcp_trecvv,
	.recvmsg = tcp_trecvmsg,
	.send = tcp_tsend,
	.sendv = tcp_tsendv,
	.sendmsg = tcp_tsendmsg,
	.inject = tcp_tinject,
	.senddata = tcp_tsenddata,
	.injectdata = tcp_tinjectdata,
};
