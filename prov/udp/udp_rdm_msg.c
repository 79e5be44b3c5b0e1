/* udp provider, FI_EP_RDM: posting sends and receives (fi_msg, fi_tagged),
 * FI_PEEK / FI_CLAIM / FI_DISCARD, FI_MULTI_RECV buffers and fi_cancel.
 * See udp_rdm.h for the model and the locking.
 *
 * A send takes a tx entry from the endpoint's pool (tx_attr->size of them)
 * and hands it to the engine, which cuts it into packets; fi_inject* copy
 * the data into the entry first. The completion comes from send_done
 * (udp_rdm_rx.c) once the receiver acknowledged the whole message.
 */
#include <string.h>

#include <rdma/fi_tagged.h>

#include "udp_rdm.h"

#define UDP_RDM_TX_FLAGS                                                       \
	(FI_COMPLETION | FI_INJECT | FI_REMOTE_CQ_DATA | FI_INJECT_COMPLETE |  \
	 FI_TRANSMIT_COMPLETE | FI_DELIVERY_COMPLETE | FI_MORE)
#define UDP_RDM_RX_FLAGS (FI_COMPLETION | FI_MORE)

/* ---- sending ------------------------------------------------------------- */

static ssize_t udp_rdm_tx(struct udp_rdm_ep *ep, const struct iovec *iov,
			  size_t count, fi_addr_t dest, uint64_t data,
			  uint64_t tag, bool tagged, uint64_t op_flags,
			  void *context, bool inject, bool report)
{
	struct udp_rdm_tx *tx;
	size_t len, i;
	int ret;

	if (!ep->util.enabled)
		return -FI_EOPBADSTATE;
	ret = weft_ep_check_iov(iov, count, UDP_IOV_LIMIT,
				UDP_RDM_MAX_MSG_SIZE, &len);
	if (ret)
		return ret;
	if (inject && len > UDP_RDM_INJECT_SIZE)
		return -FI_EMSGSIZE;
	if (dest >= UDP_RDM_MAX_PEERS || !weft_av_addr(ep->util.av, dest))
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
	if (inject) {
		uint8_t *p = tx->inject;

		for (i = 0; i < count; i++) {
			memcpy(p, iov[i].iov_base, iov[i].iov_len);
			p += iov[i].iov_len;
		}
		tx->rel.iov[0].iov_base = tx->inject;
		tx->rel.iov[0].iov_len = len;
		tx->rel.iov_cnt = 1;
	} else {
		for (i = 0; i < count; i++)
			tx->rel.iov[i] = iov[i];
		tx->rel.iov_cnt = count;
	}
	tx->rel.mflags = (tagged ? UDP_REL_MSG_TAGGED : 0) |
			 (op_flags & FI_REMOTE_CQ_DATA ? UDP_REL_MSG_CQ_DATA : 0);
	tx->rel.tag = tagged ? tag : 0;
	tx->rel.cq_data = op_flags & FI_REMOTE_CQ_DATA ? data : 0;
	tx->context = context;
	tx->flags = FI_SEND | (tagged ? FI_TAGGED : FI_MSG) |
		    (op_flags & FI_COMPLETION);
	tx->len = len;
	tx->report = report;
	udp_rdm_peer_prepare(ep, dest);
	ret = udp_rel_send(&ep->rel, (uint32_t)dest, &tx->rel, udp_rdm_now());
	if (ret) {
		udp_rdm_tx_put(ep, tx);
		weft_lock_release(&ep->util.lock);
		return ret;
	}
	ep->next_deadline = 0;
	weft_lock_release(&ep->util.lock);
	return 0;
}

static ssize_t udp_rdm_send(struct fid_ep *fid, const void *buf, size_t len,
			    void *desc, fi_addr_t dest, void *context)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);
	struct iovec v = {(void *)buf, len};

	return udp_rdm_tx(ep, &v, 1, dest, 0, 0, false, ep->util.tx_op_flags,
			  context, false, true);
}

static ssize_t udp_rdm_sendv(struct fid_ep *fid, const struct iovec *iov,
			     void **desc, size_t count, fi_addr_t dest,
			     void *context)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);

	return udp_rdm_tx(ep, iov, count, dest, 0, 0, false,
			  ep->util.tx_op_flags, context, false, true);
}

static ssize_t udp_rdm_sendmsg(struct fid_ep *fid, const struct fi_msg *msg,
			       uint64_t flags)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);

	if (!msg || (flags & ~UDP_RDM_TX_FLAGS))
		return msg ? -FI_EBADFLAGS : -FI_EINVAL;
	return udp_rdm_tx(ep, msg->msg_iov, msg->iov_count, msg->addr,
			  msg->data, 0, false, flags, msg->context,
			  flags & FI_INJECT, true);
}

static ssize_t udp_rdm_inject(struct fid_ep *fid, const void *buf, size_t len,
			      fi_addr_t dest)
{
	struct iovec v = {(void *)buf, len};

	return udp_rdm_tx(udp_rdm_ep_of(fid), &v, 1, dest, 0, 0, false, 0,
			  NULL, true, false);
}

static ssize_t udp_rdm_senddata(struct fid_ep *fid, const void *buf,
				size_t len, void *desc, uint64_t data,
				fi_addr_t dest, void *context)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);
	struct iovec v = {(void *)buf, len};

	return udp_rdm_tx(ep, &v, 1, dest, data, 0, false,
			  ep->util.tx_op_flags | FI_REMOTE_CQ_DATA, context,
			  false, true);
}

static ssize_t udp_rdm_injectdata(struct fid_ep *fid, const void *buf,
				  size_t len, uint64_t data, fi_addr_t dest)
{
	struct iovec v = {(void *)buf, len};

	return udp_rdm_tx(udp_rdm_ep_of(fid), &v, 1, dest, data, 0, false,
			  FI_REMOTE_CQ_DATA, NULL, true, false);
}

static ssize_t udp_rdm_tsend(struct fid_ep *fid, const void *buf, size_t len,
			     void *desc, fi_addr_t dest, uint64_t tag,
			     void *context)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);
	struct iovec v = {(void *)buf, len};

	return udp_rdm_tx(ep, &v, 1, dest, 0, tag, true, ep->util.tx_op_flags,
			  context, false, true);
}

static ssize_t udp_rdm_tsendv(struct fid_ep *fid, const struct iovec *iov,
			      void **desc, size_t count, fi_addr_t dest,
			      uint64_t tag, void *context)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);

	return udp_rdm_tx(ep, iov, count, dest, 0, tag, true,
			  ep->util.tx_op_flags, context, false, true);
}

static ssize_t udp_rdm_tsendmsg(struct fid_ep *fid,
				const struct fi_msg_tagged *msg, uint64_t flags)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);

	if (!msg || (flags & ~UDP_RDM_TX_FLAGS))
		return msg ? -FI_EBADFLAGS : -FI_EINVAL;
	return udp_rdm_tx(ep, msg->msg_iov, msg->iov_count, msg->addr,
			  msg->data, msg->tag, true, flags, msg->context,
			  flags & FI_INJECT, true);
}

static ssize_t udp_rdm_tinject(struct fid_ep *fid, const void *buf,
			       size_t len, fi_addr_t dest, uint64_t tag)
{
	struct iovec v = {(void *)buf, len};

	return udp_rdm_tx(udp_rdm_ep_of(fid), &v, 1, dest, 0, tag, true, 0,
			  NULL, true, false);
}

static ssize_t udp_rdm_tsenddata(struct fid_ep *fid, const void *buf,
				 size_t len, void *desc, uint64_t data,
				 fi_addr_t dest, uint64_t tag, void *context)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);
	struct iovec v = {(void *)buf, len};

	return udp_rdm_tx(ep, &v, 1, dest, data, tag, true,
			  ep->util.tx_op_flags | FI_REMOTE_CQ_DATA, context,
			  false, true);
}

static ssize_t udp_rdm_tinjectdata(struct fid_ep *fid, const void *buf,
				   size_t len, uint64_t data, fi_addr_t dest,
				   uint64_t tag)
{
	struct iovec v = {(void *)buf, len};

	return udp_rdm_tx(udp_rdm_ep_of(fid), &v, 1, dest, data, tag, true,
			  FI_REMOTE_CQ_DATA, NULL, true, false);
}

/* ---- receiving ----------------------------------------------------------- */

/* A multi-receive buffer takes unexpected messages while it is open; the
 * rest of it waits in the posted queue. */
static void udp_rdm_mrecv_post(struct udp_rdm_ep *ep, struct udp_rdm_rx *rx)
{
	struct weft_match *m;

	weft_match_queue_push(&ep->posted_msg, &rx->match);
	while (weft_mrecv_open(&rx->mrecv) &&
	       (m = weft_match_unexpected(&ep->unexp_msg, 0, 0,
					  rx->match.addr))) {
		struct udp_rdm_rx *ux =
			weft_container_of(m, struct udp_rdm_rx, match);
		struct udp_rdm_rx *child =
			udp_rdm_mrecv_child(ep, rx, ux->msg_len);

		if (!child)
			break; /* no entry: arrivals or later posts retry */
		weft_match_remove(m);
		udp_rdm_rx_take_unexp(ep, child, ux);
	}
}

static ssize_t udp_rdm_rx_post(struct udp_rdm_ep *ep, const struct iovec *iov,
			       size_t count, fi_addr_t src, uint64_t tag,
			       uint64_t ignore, bool tagged, uint64_t flags,
			       void *context)
{
	struct udp_rdm_rx *rx;
	struct weft_match *m;
	size_t len, i;
	int ret;

	if (!ep->util.enabled)
		return -FI_EOPBADSTATE;
	if (tagged)
		flags &= ~FI_MULTI_RECV; /* from rx op_flags: untagged only */
	if (flags & FI_MULTI_RECV) {
		if (!(ep->util.caps & FI_MULTI_RECV))
			return -FI_EBADFLAGS;
		ret = weft_mrecv_check(iov, count);
		if (ret)
			return ret;
	}
	ret = weft_ep_check_iov(iov, count, UDP_IOV_LIMIT, 0, &len);
	if (ret)
		return ret;
	if (!(ep->util.caps & FI_DIRECTED_RECV))
		src = FI_ADDR_UNSPEC;
	weft_lock_acquire(&ep->util.lock);
	rx = udp_rdm_rx_get(ep);
	if (!rx) {
		udp_rdm_progress_locked(ep);
		rx = udp_rdm_rx_get(ep);
		if (!rx) {
			weft_lock_release(&ep->util.lock);
			return -FI_EAGAIN;
		}
	}
	for (i = 0; i < count; i++)
		rx->iov[i] = iov[i];
	rx->iov_cnt = count;
	rx->capacity = len;
	rx->context = context;
	rx->flags = flags;
	rx->tagged = tagged;
	rx->match.tag = tagged ? tag : 0;
	rx->match.ignore = tagged ? ignore : 0;
	rx->match.addr = src;
	if (flags & FI_MULTI_RECV) {
		rx->multi = true;
		weft_mrecv_init(&rx->mrecv, iov, context, flags,
				ep->util.min_multi_recv);
		udp_rdm_mrecv_post(ep, rx);
		weft_lock_release(&ep->util.lock);
		return 0;
	}
	m = weft_match_unexpected_take(tagged ? &ep->unexp_tag : &ep->unexp_msg,
				       tagged ? tag : 0, tagged ? ignore : 0,
				       src);
	if (!m) {
		weft_match_queue_push(tagged ? &ep->posted_tag : &ep->posted_msg,
				      &rx->match);
		weft_lock_release(&ep->util.lock);
		return 0;
	}
	/* An unexpected message matches: take over what has arrived. */
	udp_rdm_rx_take_unexp(ep, rx,
			      weft_container_of(m, struct udp_rdm_rx, match));
	weft_lock_release(&ep->util.lock);
	return 0;
}

/* ---- peek and claim ------------------------------------------------------- */

/* What a peek found (or a discard): always reported, whatever selective
 * completion says, since it is the peek's only answer. */
static void udp_rdm_peek_report(struct udp_rdm_ep *ep, void *context,
				const struct udp_rdm_rx *ux)
{
	uint64_t flags = udp_rdm_rx_kind(ux) | FI_COMPLETION;

	weft_ep_rx_complete(&ep->util, context, flags, ux->msg_len, NULL,
			    ux->mflags & UDP_REL_MSG_CQ_DATA ? ux->cq_data : 0,
			    ux->match.tag, udp_rdm_src_addr(ep, ux->peer));
}

/* FI_PEEK (+ FI_CLAIM or FI_DISCARD). Only messages that arrived whole are
 * found: one still arriving is not there yet. */
static void udp_rdm_peek(struct udp_rdm_ep *ep,
			 const struct fi_msg_tagged *msg, fi_addr_t src,
			 uint64_t flags)
{
	struct weft_list *it;

	udp_rdm_progress_locked(ep);
	for (it = ep->unexp_tag.list.next; it != &ep->unexp_tag.list;
	     it = it->next) {
		struct weft_match *m =
			weft_container_of(it, struct weft_match, link);
		struct udp_rdm_rx *ux =
			weft_container_of(m, struct udp_rdm_rx, match);

		if (ux->arriving ||
		    !weft_tag_matches(msg->tag, msg->ignore, m->tag) ||
		    (src != FI_ADDR_UNSPEC && src != m->addr))
			continue;
		udp_rdm_peek_report(ep, msg->context, ux);
		if (flags & FI_DISCARD) {
			weft_match_remove(m);
			udp_rdm_rx_put(ep, ux);
		} else if (flags & FI_CLAIM) {
			/* Out of reach of other receives; the fi_context
			 * remembers it for the paired FI_CLAIM receive. */
			weft_match_remove(m);
			ux->claimed = true;
			weft_list_push_back(&ep->claimed, &m->link);
			((struct fi_context *)msg->context)->internal[0] = ux;
		}
		return;
	}
	weft_ep_rx_error(&ep->util, msg->context,
			 FI_RECV | FI_TAGGED | FI_COMPLETION, FI_ENOMSG,
			 FI_ENOMSG, NULL, 0, 0, 0, msg->tag);
}

/* FI_CLAIM without FI_PEEK: receive (or FI_DISCARD) what a peek claimed. */
static ssize_t udp_rdm_claim(struct udp_rdm_ep *ep,
			     const struct fi_msg_tagged *msg, uint64_t flags)
{
	struct fi_context *fc = msg->context;
	struct udp_rdm_rx *ux = fc->internal[0], *rx;
	struct weft_list *it;
	size_t len, i;
	ssize_t ret;

	/* It must be one of ours, claimed and not yet taken. */
	for (it = ep->claimed.next; it != &ep->claimed; it = it->next)
		if (ux && it == &ux->match.link)
			break;
	if (!ux || it == &ep->claimed)
		return -FI_EINVAL;
	if (flags & FI_DISCARD) {
		weft_list_remove(&ux->match.link);
		fc->internal[0] = NULL;
		udp_rdm_peek_report(ep, fc, ux);
		udp_rdm_rx_put(ep, ux);
		return 0;
	}
	ret = weft_ep_check_iov(msg->msg_iov, msg->iov_count, UDP_IOV_LIMIT, 0,
				&len);
	if (ret)
		return ret;
	rx = udp_rdm_rx_get(ep);
	if (!rx)
		return -FI_EAGAIN;
	for (i = 0; i < msg->iov_count; i++)
		rx->iov[i] = msg->msg_iov[i];
	rx->iov_cnt = msg->iov_count;
	rx->capacity = len;
	rx->context = fc;
	rx->flags = flags;
	weft_list_remove(&ux->match.link);
	fc->internal[0] = NULL;
	udp_rdm_rx_take_unexp(ep, rx, ux);
	return 0;
}

static ssize_t udp_rdm_recv(struct fid_ep *fid, void *buf, size_t len,
			    void *desc, fi_addr_t src, void *context)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);
	struct iovec v = {buf, len};

	return udp_rdm_rx_post(ep, &v, 1, src, 0, 0, false,
			       ep->util.rx_op_flags, context);
}

static ssize_t udp_rdm_recvv(struct fid_ep *fid, const struct iovec *iov,
			     void **desc, size_t count, fi_addr_t src,
			     void *context)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);

	return udp_rdm_rx_post(ep, iov, count, src, 0, 0, false,
			       ep->util.rx_op_flags, context);
}

static ssize_t udp_rdm_recvmsg(struct fid_ep *fid, const struct fi_msg *msg,
			       uint64_t flags)
{
	if (!msg)
		return -FI_EINVAL;
	if (flags & ~(UDP_RDM_RX_FLAGS | FI_MULTI_RECV))
		return -FI_EBADFLAGS;
	return udp_rdm_rx_post(udp_rdm_ep_of(fid), msg->msg_iov,
			       msg->iov_count, msg->addr, 0, 0, false, flags,
			       msg->context);
}

static ssize_t udp_rdm_trecv(struct fid_ep *fid, void *buf, size_t len,
			     void *desc, fi_addr_t src, uint64_t tag,
			     uint64_t ignore, void *context)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);
	struct iovec v = {buf, len};

	return udp_rdm_rx_post(ep, &v, 1, src, tag, ignore, true,
			       ep->util.rx_op_flags, context);
}

static ssize_t udp_rdm_trecvv(struct fid_ep *fid, const struct iovec *iov,
			      void **desc, size_t count, fi_addr_t src,
			      uint64_t tag, uint64_t ignore, void *context)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);

	return udp_rdm_rx_post(ep, iov, count, src, tag, ignore, true,
			       ep->util.rx_op_flags, context);
}

static ssize_t udp_rdm_trecvmsg(struct fid_ep *fid,
				const struct fi_msg_tagged *msg, uint64_t flags)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);
	fi_addr_t src;
	ssize_t ret;

	if (!msg)
		return -FI_EINVAL;
	if (flags & ~(UDP_RDM_RX_FLAGS | FI_PEEK | FI_CLAIM | FI_DISCARD))
		return -FI_EBADFLAGS;
	if (!(flags & (FI_PEEK | FI_CLAIM)))
		return flags & FI_DISCARD
			       ? -FI_EINVAL
			       : udp_rdm_rx_post(ep, msg->msg_iov,
						 msg->iov_count, msg->addr,
						 msg->tag, msg->ignore, true,
						 flags, msg->context);
	if (!msg->context && (flags & FI_CLAIM))
		return -FI_EINVAL; /* the claim lives in its fi_context */
	if (!ep->util.enabled)
		return -FI_EOPBADSTATE;
	src = ep->util.caps & FI_DIRECTED_RECV ? msg->addr : FI_ADDR_UNSPEC;
	weft_lock_acquire(&ep->util.lock);
	ret = 0;
	if (flags & FI_PEEK)
		udp_rdm_peek(ep, msg, src, flags);
	else
		ret = udp_rdm_claim(ep, msg, flags);
	weft_lock_release(&ep->util.lock);
	return ret;
}

struct fi_ops_msg udp_rdm_msg_ops = {
	.size = sizeof(struct fi_ops_msg),
	.recv = udp_rdm_recv,
	.recvv = udp_rdm_recvv,
	.recvmsg = udp_rdm_recvmsg,
	.send = udp_rdm_send,
	.sendv = udp_rdm_sendv,
	.sendmsg = udp_rdm_sendmsg,
	.inject = udp_rdm_inject,
	.senddata = udp_rdm_senddata,
	.injectdata = udp_rdm_injectdata,
};

struct fi_ops_tagged udp_rdm_tagged_ops = {
	.size = sizeof(struct fi_ops_tagged),
	.recv = udp_rdm_trecv,
	.recvv = udp_rdm_trecvv,
	.recvmsg = udp_rdm_trecvmsg,
	.send = udp_rdm_tsend,
	.sendv = udp_rdm_tsendv,
	.sendmsg = udp_rdm_tsendmsg,
	.inject = udp_rdm_tinject,
	.senddata = udp_rdm_tsenddata,
	.injectdata = udp_rdm_tinjectdata,
};

/* ---- fi_cancel ---------------------------------------------------------- */

/* Cancel a posted receive (not one already collecting a message; a
 * multi-receive buffer is retired, and released by its last message). */
ssize_t udp_rdm_cancel(fid_t fid, void *context)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of_fid(fid);
	struct weft_match_queue *qs[2] = {&ep->posted_msg, &ep->posted_tag};
	struct weft_list *it;
	int q;

	weft_lock_acquire(&ep->util.lock);
	for (q = 0; q < 2; q++) {
		for (it = qs[q]->list.next; it != &qs[q]->list; it = it->next) {
			struct udp_rdm_rx *rx = weft_container_of(
				weft_container_of(it, struct weft_match, link),
				struct udp_rdm_rx, match);

			if (rx->context != context)
				continue;
			weft_match_remove(&rx->match);
			if (rx->multi) {
				if (weft_mrecv_cancel(&ep->util, &rx->mrecv))
					udp_rdm_rx_put(ep, rx);
				weft_lock_release(&ep->util.lock);
				return 0;
			}
			weft_ep_rx_error(&ep->util, context,
					 FI_RECV | (rx->tagged ? FI_TAGGED : FI_MSG) |
						 (rx->flags & FI_COMPLETION),
					 FI_ECANCELED, FI_ECANCELED,
					 rx->iov_cnt ? rx->iov[0].iov_base : NULL,
					 0, 0, 0, 0);
			udp_rdm_rx_put(ep, rx);
			weft_lock_release(&ep->util.lock);
			return 0;
		}
	}
	weft_lock_release(&ep->util.lock);
	return -FI_ENOENT;
}
