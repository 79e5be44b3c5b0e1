/* The fi_msg and fi_tagged data path: posting sends and receives.
 *
 * Send: a message of up to SHM_INLINE_SIZE bytes is written into an entry
 * of the receiver's ring and is complete when the entry is published (the
 * data sits in the peer's memory: inject and transmit complete). Up to
 * eager_max bytes, while one of our bounce slots is free, it is copied
 * into that slot and announced by an EAGER entry; it is complete at once
 * too, and the receiver returns the slot (CREDIT) once it copied it out.
 * Larger messages, and FI_DELIVERY_COMPLETE ones, are announced by an RTS
 * entry naming the sender's buffers; the receiver pulls the data (CMA) or
 * asks for it through bounce buffers, and its DONE entry completes the
 * send (shm_progress.c).
 *
 * Receive: a posted receive first looks for an unexpected message (the
 * oldest that matches), else joins the posted queue that arrivals search.
 *
 * Everything runs under util.lock (a no-op below FI_THREAD_SAFE), which
 * also serialises the endpoint's use of its peers' rings: a ring claim is
 * lock-free between processes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shm.h"

#define SHM_TX_FLAGS                                                           \
	(FI_COMPLETION | FI_INJECT | FI_REMOTE_CQ_DATA | FI_INJECT_COMPLETE |  \
	 FI_TRANSMIT_COMPLETE | FI_DELIVERY_COMPLETE | FI_MORE | FI_FENCE)
#define SHM_RX_FLAGS (FI_COMPLETION | FI_MORE | FI_MULTI_RECV)
#define SHM_TRX_FLAGS (FI_COMPLETION | FI_MORE | FI_PEEK | FI_CLAIM | FI_DISCARD)

/* ---- copies ------------------------------------------------------------- */

size_t shm_copy_to_iov(const struct iovec *iov, size_t count, size_t offset,
		       const void *src, size_t len)
{
	const uint8_t *s = src;
	size_t done = 0;

	for (size_t i = 0; i < count && done < len; i++) {
		size_t n;

		if (offset >= iov[i].iov_len) {
			offset -= iov[i].iov_len;
			continue;
		}
		n = iov[i].iov_len - offset;
		if (n > len - done)
			n = len - done;
		memcpy((uint8_t *)iov[i].iov_base + offset, s + done, n);
		done += n;
		offset = 0;
	}
	return done;
}

size_t shm_copy_from_iov(void *dst, const struct iovec *iov, size_t count,
			 size_t offset, size_t len)
{
	uint8_t *d = dst;
	size_t done = 0;

	for (size_t i = 0; i < count && done < len; i++) {
		size_t n;

		if (offset >= iov[i].iov_len) {
			offset -= iov[i].iov_len;
			continue;
		}
		n = iov[i].iov_len - offset;
		if (n > len - done)
			n = len - done;
		memcpy(d + done, (const uint8_t *)iov[i].iov_base + offset, n);
		done += n;
		offset = 0;
	}
	return done;
}

/* ---- op pools ------------------------------------------------------------ */

struct shm_rx *shm_rx_alloc(struct shm_ep *ep)
{
	struct shm_rx *rx = ep->rx_free;

	if (rx) {
		ep->rx_free = rx->next_free;
		rx->next_free = NULL;
		ep->rx_nfree--;
	}
	return rx;
}

/* An entry for a receive the application posts: at most rx_size of the
 * pool; the rest is kept for messages landing in multi-receive buffers
 * (shm_mrecv.c), so those never wait on the application's posts. */
struct shm_rx *shm_rx_alloc_post(struct shm_ep *ep)
{
	struct shm_rx *rx;

	if (ep->rx_nposted >= ep->rx_size)
		return NULL;
	rx = shm_rx_alloc(ep);
	if (rx) {
		rx->posted = true;
		ep->rx_nposted++;
	}
	return rx;
}

void shm_rx_free(struct shm_ep *ep, struct shm_rx *rx)
{
	shm_coop_release(ep, rx);
	rx->state = SHM_RX_FREE;
	rx->cma = false;
	rx->multi = false;
	rx->parent = NULL;
	rx->gen++;
	rx->peer = NULL;
	if (rx->posted) {
		rx->posted = false;
		ep->rx_nposted--;
	}
	rx->next_free = ep->rx_free;
	ep->rx_free = rx;
	ep->rx_nfree++;
}

void shm_tx_free(struct shm_ep *ep, struct shm_tx_op *op)
{
	op->state = SHM_TX_FREE;
	op->gen++;
	op->peer = NULL;
	op->next_free = ep->tx_free;
	ep->tx_free = op;
	ep->tx_busy--;
}

/* ---- sends --------------------------------------------------------------- */

static inline ssize_t shm_tx_again(struct shm_ep *ep)
{
	/* -FI_EAGAIN means "progress, then retry": our progress frees ring
	 * room only indirectly (peers drain their own rings), but it moves
	 * replies that free our ops and slots. */
	shm_progress_locked(ep);
	weft_lock_release(&ep->util.lock);
	return -FI_EAGAIN;
}

/* One send of `len` bytes in iov[0..count) to dest. flags: op flags plus
 * FI_MSG or FI_TAGGED; `report` is false for fi_inject*, which produce no
 * completion (only the counter moves). */
static inline ssize_t shm_tx(struct shm_ep *ep, const struct iovec *iov,
			     size_t count, size_t len, fi_addr_t dest,
			     uint64_t tag, uint64_t data, uint64_t flags,
			     void *context, bool report)
{
	struct shm_peer *peer;
	struct shm_entry *e;
	struct shm_tx_op *op;
	uint64_t pos;
	uint8_t ef;
	int err = 0;

	if (!ep->util.enabled)
		return -FI_EOPBADSTATE;
	ef = (uint8_t)(((flags & FI_TAGGED) ? SHM_F_TAGGED : 0) |
		       ((flags & FI_REMOTE_CQ_DATA) ? SHM_F_CQ_DATA : 0));

	weft_lock_acquire(&ep->util.lock);
	/* FI_FENCE: not before every earlier operation is done. */
	if ((flags & FI_FENCE) && ep->tx_busy)
		return shm_tx_again(ep);
	peer = shm_peer_of_addr(ep, dest, &err);
	if (!peer) {
		weft_lock_release(&ep->util.lock);
		return err;
	}
	if (peer->dead) {
		weft_lock_release(&ep->util.lock);
		return -FI_EHOSTUNREACH;
	}

	/* Inline unless the application wants to know the data has been
	 * received (delivery complete): then the receiver's DONE completes
	 * it. Injected data is always copied at once; with delivery complete
	 * too, the entry asks for a DONE (SHM_F_ACK). */
	if (len <= SHM_INLINE_SIZE &&
	    (!(flags & FI_DELIVERY_COMPLETE) || (flags & FI_INJECT))) {
		bool ack = report && (flags & FI_DELIVERY_COMPLETE);

		op = NULL;
		if (ack) {
			op = ep->tx_busy < ep->max_pending ? ep->tx_free
							   : NULL;
			if (!op)
				return shm_tx_again(ep);
		}
		e = shm_ring_claim(&peer->seg, &pos);
		if (!e)
			return shm_tx_again(ep);
		shm_entry_init(ep, e, SHM_OP_INLINE,
			       (uint8_t)(ef | (ack ? SHM_F_ACK : 0)));
		if (op) {
			ep->tx_free = op->next_free;
			ep->tx_busy++;
			op->state = SHM_TX_WAIT;
			op->context = context;
			op->flags = (flags & ~FI_REMOTE_CQ_DATA) | FI_SEND;
			op->iov_count = 0;
			op->len = len;
			op->peer = peer;
			op->slots = 0;
			e->cookie = (uint64_t)op->gen << 32 |
				    (uint64_t)(op - ep->tx_ops);
		}
		e->tag = tag;
		e->data = data;
		e->len = len;
		if (count == 1)
			memcpy(e->payload, iov[0].iov_base, len);
		else
			shm_copy_from_iov(e->payload, iov, count, 0, len);
		shm_ring_publish(e, pos);
		shm_bell_ring(ep, peer);
		/* With op, the receiver's DONE completes it. */
		if (!op && report)
			weft_ep_tx_complete(&ep->util, context,
					    (flags & ~FI_REMOTE_CQ_DATA) |
						    FI_SEND,
					    len, NULL, 0, 0);
		else if (!op)
			weft_ep_cntr_inc(&ep->util, WEFT_CNTR_SEND);
		weft_lock_release(&ep->util.lock);
		return 0;
	}

	/* Medium: eager through one of our bounce slots when one is free
	 * (one copy each side, no system call, completes at once). Not
	 * for FI_TRANSMIT_COMPLETE: the data would still sit in our own
	 * segment, a local resource (fi_cq(3)). */
	if (len <= ep->eager_max && ep->bounce_free &&
	    !(flags & (FI_DELIVERY_COMPLETE | FI_TRANSMIT_COMPLETE))) {
		unsigned slot = (unsigned)__builtin_ctzll(ep->bounce_free);
		uint8_t *dst = ep->self.bounce +
			       (size_t)slot * ep->self.bounce_size;

		e = shm_ring_claim(&peer->seg, &pos);
		if (!e)
			return shm_tx_again(ep);
		shm_copy_from_iov(dst, iov, count, 0, len);
		shm_entry_init(ep, e, SHM_OP_EAGER, ef);
		e->slot = slot;
		e->tag = tag;
		e->data = data;
		e->len = len;
		shm_ring_publish(e, pos);
		shm_bell_ring(ep, peer);
		ep->bounce_free &= ~((uint64_t)1 << slot);
		ep->eager_slots |= (uint64_t)1 << slot;
		ep->eager_peer[slot] = peer;
		if (report)
			weft_ep_tx_complete(&ep->util, context,
					    (flags & ~FI_REMOTE_CQ_DATA) |
						    FI_SEND,
					    len, NULL, 0, 0);
		else
			weft_ep_cntr_inc(&ep->util, WEFT_CNTR_SEND);
		weft_lock_release(&ep->util.lock);
		return 0;
	}

	op = ep->tx_busy < ep->max_pending ? ep->tx_free : NULL;
	if (!op)
		return shm_tx_again(ep);
	e = shm_ring_claim(&peer->seg, &pos);
	if (!e)
		return shm_tx_again(ep);
	ep->tx_free = op->next_free;
	ep->tx_busy++;
	op->state = SHM_TX_WAIT;
	op->context = context;
	op->flags = (flags & ~FI_REMOTE_CQ_DATA) | FI_SEND;
	memcpy(op->iov, iov, count * sizeof(*iov));
	op->iov_count = count;
	op->len = len;
	op->tag = tag;
	op->data = data;
	op->peer = peer;
	op->want = op->sent = 0;
	op->slots = 0;

	shm_entry_init(ep, e, SHM_OP_RTS,
		       (uint8_t)(ef | (ep->cma && len >= shm_params.cma_min
						? SHM_F_CMA
						: 0)));
	e->tag = tag;
	e->data = data;
	e->len = len;
	e->cookie = (uint64_t)op->gen << 32 | (uint64_t)(op - ep->tx_ops);
	e->iov_count = (uint16_t)count;
	for (size_t i = 0; i < count; i++) {
		struct shm_iov si = {
			.addr = (uint64_t)(uintptr_t)iov[i].iov_base,
			.len = iov[i].iov_len,
		};
		memcpy(e->payload + i * sizeof(si), &si, sizeof(si));
	}
	shm_ring_publish(e, pos);
	shm_bell_ring(ep, peer);
	weft_lock_release(&ep->util.lock);
	return 0;
}

static inline int shm_tx_check(struct shm_ep *ep, const struct iovec *iov,
			       size_t count, size_t *len)
{
	return weft_ep_check_iov(iov, count, SHM_IOV_LIMIT, ep->max_msg_size,
				 len);
}

static ssize_t shm_send(struct fid_ep *fid, const void *buf, size_t len,
			void *desc, fi_addr_t dest, void *context)
{
	struct shm_ep *ep = shm_ep_of(fid);
	struct iovec iov = { (void *)buf, len };

	if ((!buf && len) || len > ep->max_msg_size)
		return buf ? -FI_EMSGSIZE : -FI_EINVAL;
	return shm_tx(ep, &iov, 1, len, dest, 0, 0,
		      ep->util.tx_op_flags | FI_MSG, context, true);
}

static ssize_t shm_sendv(struct fid_ep *fid, const struct iovec *iov,
			 void **desc, size_t count, fi_addr_t dest,
			 void *context)
{
	struct shm_ep *ep = shm_ep_of(fid);
	size_t len;
	int ret = shm_tx_check(ep, iov, count, &len);

	if (ret)
		return ret;
	return shm_tx(ep, iov, count, len, dest, 0, 0,
		      ep->util.tx_op_flags | FI_MSG, context, true);
}

static ssize_t shm_sendmsg_common(struct shm_ep *ep, const struct fi_msg *msg,
				  uint64_t tag, uint64_t flags, uint64_t kind)
{
	size_t len;
	int ret;

	if (!msg)
		return -FI_EINVAL;
	if (flags & ~SHM_TX_FLAGS)
		return -FI_EBADFLAGS;
	ret = shm_tx_check(ep, msg->msg_iov, msg->iov_count, &len);
	if (ret)
		return ret;
	if ((flags & FI_INJECT) && len > ep->inject_size)
		return -FI_EMSGSIZE;
	return shm_tx(ep, msg->msg_iov, msg->iov_count, len, msg->addr, tag,
		      msg->data, flags | kind, msg->context, true);
}

static ssize_t shm_sendmsg(struct fid_ep *fid, const struct fi_msg *msg,
			   uint64_t flags)
{
	return shm_sendmsg_common(shm_ep_of(fid), msg, 0, flags, FI_MSG);
}

static ssize_t shm_inject(struct fid_ep *fid, const void *buf, size_t len,
			  fi_addr_t dest)
{
	struct shm_ep *ep = shm_ep_of(fid);
	struct iovec iov = { (void *)buf, len };

	if (len > ep->inject_size)
		return -FI_EMSGSIZE;
	if (!buf && len)
		return -FI_EINVAL;
	return shm_tx(ep, &iov, 1, len, dest, 0, 0, FI_MSG | FI_INJECT, NULL,
		      false);
}

static ssize_t shm_senddata(struct fid_ep *fid, const void *buf, size_t len,
			    void *desc, uint64_t data, fi_addr_t dest,
			    void *context)
{
	struct shm_ep *ep = shm_ep_of(fid);
	struct iovec iov = { (void *)buf, len };

	if ((!buf && len) || len > ep->max_msg_size)
		return buf ? -FI_EMSGSIZE : -FI_EINVAL;
	return shm_tx(ep, &iov, 1, len, dest, 0, data,
		      ep->util.tx_op_flags | FI_MSG | FI_REMOTE_CQ_DATA,
		      context, true);
}

static ssize_t shm_injectdata(struct fid_ep *fid, const void *buf, size_t len,
			      uint64_t data, fi_addr_t dest)
{
	struct shm_ep *ep = shm_ep_of(fid);
	struct iovec iov = { (void *)buf, len };

	if (len > ep->inject_size)
		return -FI_EMSGSIZE;
	if (!buf && len)
		return -FI_EINVAL;
	return shm_tx(ep, &iov, 1, len, dest, 0, data,
		      FI_MSG | FI_INJECT | FI_REMOTE_CQ_DATA, NULL, false);
}

/* ---- receives ---------------------------------------------------------- */

/* Hand an unexpected message to a receive: rx is a fresh entry. */
static void shm_unexp_deliver(struct shm_ep *ep, struct shm_rx *rx,
			      struct shm_unexp *u)
{
	shm_rx_start(ep, rx, u->peer, u->op, u->flags, u->m.tag, u->data,
		     u->len, u->cookie, u->payload, u->iov_count, u->iov);
	free(u);
}

/* Drop an unexpected message (FI_DISCARD): a rendezvous sender is told
 * its message is over. */
static void shm_unexp_discard(struct shm_ep *ep, struct shm_unexp *u)
{
	if (u->op == SHM_OP_RTS ||
	    ((u->flags & SHM_F_ACK) && !shm_peer_map(ep, u->peer)))
		shm_send_done(ep, u->peer, u->cookie, 0);
	free(u);
}

static uint64_t shm_unexp_cflags(const struct shm_unexp *u)
{
	return FI_RECV | FI_TAGGED |
	       ((u->flags & SHM_F_CQ_DATA) ? FI_REMOTE_CQ_DATA : 0);
}

/* FI_PEEK (with FI_CLAIM or FI_DISCARD): report the oldest matching
 * unexpected message without receiving it. Inline data is copied out when
 * a buffer is given (the entry's buf then points to it). */
static void shm_peek(struct shm_ep *ep, const struct iovec *iov,
		     size_t count, fi_addr_t src, uint64_t tag, uint64_t ignore,
		     uint64_t flags, void *context)
{
	struct weft_match *m =
		weft_match_unexpected(&ep->unexp_tag, tag, ignore, src);
	struct shm_unexp *u;
	void *buf = NULL;

	if (!m) {
		weft_ep_rx_error(&ep->util, context, FI_RECV | FI_TAGGED,
				 FI_ENOMSG, FI_ENOMSG, NULL, 0, 0, 0, tag);
		return;
	}
	u = weft_container_of(m, struct shm_unexp, m);
	if (u->op == SHM_OP_INLINE && count && !(flags & FI_DISCARD)) {
		shm_copy_to_iov(iov, count, 0, u->payload, u->len);
		buf = iov[0].iov_base;
	}
	/* A successful peek always reports, whatever selective completion
	 * says: it is the only answer the application gets. */
	weft_ep_rx_complete(&ep->util, context,
			    shm_unexp_cflags(u) | FI_COMPLETION, u->len, buf,
			    u->data, u->m.tag,
			    ep->want_source ? u->m.addr : FI_ADDR_NOTAVAIL);
	if (flags & FI_DISCARD) {
		weft_match_remove(&u->m);
		shm_unexp_discard(ep, u);
	} else if (flags & FI_CLAIM) {
		weft_match_remove(&u->m);
		u->claim_ctx = context;
		weft_list_push_back(&ep->claimed, &u->m.link);
	}
}

/* FI_CLAIM without FI_PEEK: take the message an earlier peek claimed with
 * this context. */
static ssize_t shm_claim(struct shm_ep *ep, const struct iovec *iov,
			 size_t count, size_t cap, uint64_t flags,
			 void *context)
{
	struct shm_unexp *u = NULL;
	struct shm_rx *rx;

	for (struct weft_list *e = ep->claimed.next; e != &ep->claimed;
	     e = e->next) {
		struct shm_unexp *c =
			weft_container_of(e, struct shm_unexp, m.link);

		if (c->claim_ctx == context) {
			u = c;
			break;
		}
	}
	if (!u)
		return -FI_EINVAL;
	if (flags & FI_DISCARD) {
		weft_list_remove(&u->m.link);
		weft_ep_rx_complete(&ep->util, context,
				    shm_unexp_cflags(u) | FI_COMPLETION, 0,
				    NULL, u->data, u->m.tag, FI_ADDR_NOTAVAIL);
		shm_unexp_discard(ep, u);
		return 0;
	}
	rx = shm_rx_alloc_post(ep);
	if (!rx)
		return -FI_EAGAIN;
	weft_list_remove(&u->m.link);
	rx->tagged = true;
	rx->context = context;
	rx->flags = flags;
	memcpy(rx->iov, iov, count * sizeof(*iov));
	rx->iov_count = count;
	rx->cap = cap;
	shm_unexp_deliver(ep, rx, u);
	return 0;
}

static ssize_t shm_rx_post(struct shm_ep *ep, const struct iovec *iov,
			   size_t count, fi_addr_t src, uint64_t tag,
			   uint64_t ignore, uint64_t flags, void *context,
			   bool tagged)
{
	struct weft_match_queue *unexp, *posted;
	struct weft_match *m;
	struct shm_rx *rx;
	size_t cap;
	ssize_t ret;

	ret = weft_ep_check_iov(iov, count, SHM_IOV_LIMIT, 0, &cap);
	if (ret)
		return ret;
	if (!ep->util.enabled)
		return -FI_EOPBADSTATE;
	if (!ep->directed)
		src = FI_ADDR_UNSPEC;
	else if (src != FI_ADDR_UNSPEC && ep->util.av)
		src = weft_av_report_addr(ep->util.av, src);

	weft_lock_acquire(&ep->util.lock);
	if (!tagged && (flags & FI_MULTI_RECV)) {
		ret = shm_mrecv_post(ep, iov, count, src, flags, context);
		weft_lock_release(&ep->util.lock);
		return ret;
	}
	if (tagged && (flags & FI_PEEK)) {
		shm_progress_locked(ep);
		shm_peek(ep, iov, count, src, tag, ignore, flags, context);
		weft_lock_release(&ep->util.lock);
		return 0;
	}
	if (tagged && (flags & FI_CLAIM)) {
		ret = shm_claim(ep, iov, count, cap, flags, context);
		weft_lock_release(&ep->util.lock);
		return ret;
	}
	unexp = tagged ? &ep->unexp_tag : &ep->unexp_msg;
	posted = tagged ? &ep->posted_tag : &ep->posted_msg;
	rx = shm_rx_alloc_post(ep);
	if (!rx) {
		shm_progress_locked(ep);
		weft_lock_release(&ep->util.lock);
		return -FI_EAGAIN;
	}
	rx->tagged = tagged;
	rx->context = context;
	rx->flags = flags;
	memcpy(rx->iov, iov, count * sizeof(*iov));
	rx->iov_count = count;
	rx->cap = cap;
	rx->m.tag = tagged ? tag : 0;
	rx->m.ignore = tagged ? ignore : 0;
	rx->m.addr = src;

	m = weft_match_unexpected(unexp, rx->m.tag, rx->m.ignore, src);
	if (m) {
		weft_match_remove(m);
		shm_unexp_deliver(ep, rx,
				  weft_container_of(m, struct shm_unexp, m));
	} else {
		rx->state = SHM_RX_POSTED;
		weft_match_queue_push(posted, &rx->m);
	}
	weft_lock_release(&ep->util.lock);
	return 0;
}

static ssize_t shm_recv(struct fid_ep *fid, void *buf, size_t len, void *desc,
			fi_addr_t src, void *context)
{
	struct shm_ep *ep = shm_ep_of(fid);
	struct iovec iov = { buf, len };

	return shm_rx_post(ep, &iov, 1, src, 0, 0, ep->util.rx_op_flags,
			   context, false);
}

static ssize_t shm_recvv(struct fid_ep *fid, const struct iovec *iov,
			 void **desc, size_t count, fi_addr_t src,
			 void *context)
{
	struct shm_ep *ep = shm_ep_of(fid);

	return shm_rx_post(ep, iov, count, src, 0, 0, ep->util.rx_op_flags,
			   context, false);
}

static ssize_t shm_recvmsg(struct fid_ep *fid, const struct fi_msg *msg,
			   uint64_t flags)
{
	struct shm_ep *ep = shm_ep_of(fid);

	if (!msg)
		return -FI_EINVAL;
	if (flags & ~SHM_RX_FLAGS)
		return -FI_EBADFLAGS;
	return shm_rx_post(ep, msg->msg_iov, msg->iov_count, msg->addr, 0, 0,
			   flags, msg->context, false);
}

struct fi_ops_msg shm_msg_ops = {
	.size = sizeof(struct fi_ops_msg),
	.recv = shm_recv,
	.recvv = shm_recvv,
	.recvmsg = shm_recvmsg,
	.send = shm_send,
	.sendv = shm_sendv,
	.sendmsg = shm_sendmsg,
	.inject = shm_inject,
	.senddata = shm_senddata,
	.injectdata = shm_injectdata,
};

/* ---- tagged ------------------------------------------------------------- */

static ssize_t shm_trecv(struct fid_ep *fid, void *buf, size_t len, void *desc,
			 fi_addr_t src, uint64_t tag, uint64_t ignore,
			 void *context)
{
	struct shm_ep *ep = shm_ep_of(fid);
	struct iovec iov = { buf, len };

	return shm_rx_post(ep, &iov, 1, src, tag, ignore, ep->util.rx_op_flags,
			   context, true);
}

static ssize_t shm_trecvv(struct fid_ep *fid, const struct iovec *iov,
			  void **desc, size_t count, fi_addr_t src,
			  uint64_t tag, uint64_t ignore, void *context)
{
	struct shm_ep *ep = shm_ep_of(fid);

	return shm_rx_post(ep, iov, count, src, tag, ignore,
			   ep->util.rx_op_flags, context, true);
}

static ssize_t shm_trecvmsg(struct fid_ep *fid,
			    const struct fi_msg_tagged *msg, uint64_t flags)
{
	struct shm_ep *ep = shm_ep_of(fid);

	if (!msg)
		return -FI_EINVAL;
	if (flags & ~SHM_TRX_FLAGS)
		return -FI_EBADFLAGS;
	if ((flags & FI_DISCARD) && !(flags & (FI_PEEK | FI_CLAIM)))
		return -FI_EINVAL;
	return shm_rx_post(ep, msg->msg_iov, msg->iov_count, msg->addr,
			   msg->tag, msg->ignore, flags, msg->context, true);
}

static ssize_t shm_tsend(struct fid_ep *fid, const void *buf, size_t len,
			 void *desc, fi_addr_t dest, uint64_t tag,
			 void *context)
{
	struct shm_ep *ep = shm_ep_of(fid);
	struct iovec iov = { (void *)buf, len };

	if ((!buf && len) || len > ep->max_msg_size)
		return buf ? -FI_EMSGSIZE : -FI_EINVAL;
	return shm_tx(ep, &iov, 1, len, dest, tag, 0,
		      ep->util.tx_op_flags | FI_TAGGED, context, true);
}

static ssize_t shm_tsendv(struct fid_ep *fid, const struct iovec *iov,
			  void **desc, size_t count, fi_addr_t dest,
			  uint64_t tag, void *context)
{
	struct shm_ep *ep = shm_ep_of(fid);
	size_t len;
	int ret = shm_tx_check(ep, iov, count, &len);

	if (ret)
		return ret;
	return shm_tx(ep, iov, count, len, dest, tag, 0,
		      ep->util.tx_op_flags | FI_TAGGED, context, true);
}

static ssize_t shm_tsendmsg(struct fid_ep *fid,
			    const struct fi_msg_tagged *msg, uint64_t flags)
{
	struct fi_msg m;

	if (!msg)
		return -FI_EINVAL;
	m.msg_iov = msg->msg_iov;
	m.desc = msg->desc;
	m.iov_count = msg->iov_count;
	m.addr = msg->addr;
	m.context = msg->context;
	m.data = msg->data;
	return shm_sendmsg_common(shm_ep_of(fid), &m, msg->tag, flags,
				  FI_TAGGED);
}

static ssize_t shm_tinject(struct fid_ep *fid, const void *buf, size_t len,
			   fi_addr_t dest, uint64_t tag)
{
	struct shm_ep *ep = shm_ep_of(fid);
	struct iovec iov = { (void *)buf, len };

	if (len > ep->inject_size)
		return -FI_EMSGSIZE;
	if (!buf && len)
		return -FI_EINVAL;
	return shm_tx(ep, &iov, 1, len, dest, tag, 0, FI_TAGGED | FI_INJECT,
		      NULL, false);
}

static ssize_t shm_tsenddata(struct fid_ep *fid, const void *buf, size_t len,
			     void *desc, uint64_t data, fi_addr_t dest,
			     uint64_t tag, void *context)
{
	struct shm_ep *ep = shm_ep_of(fid);
	struct iovec iov = { (void *)buf, len };

	if ((!buf && len) || len > ep->max_msg_size)
		return buf ? -FI_EMSGSIZE : -FI_EINVAL;
	return shm_tx(ep, &iov, 1, len, dest, tag, data,
		      ep->util.tx_op_flags | FI_TAGGED | FI_REMOTE_CQ_DATA,
		      context, true);
}

static ssize_t shm_tinjectdata(struct fid_ep *fid, const void *buf, size_t len,
			       uint64_t data, fi_addr_t dest, uint64_t tag)
{
	struct shm_ep *ep = shm_ep_of(fid);
	struct iovec iov = { (void *)buf, len };

	if (len > ep->inject_size)
		return -FI_EMSGSIZE;
	if (!buf && len)
		return -FI_EINVAL;
	return shm_tx(ep, &iov, 1, len, dest, tag, data,
		      FI_TAGGED | FI_INJECT | FI_REMOTE_CQ_DATA, NULL, false);
}

struct fi_ops_tagged shm_tagged_ops = {
	.size = sizeof(struct fi_ops_tagged),
	.recv = shm_trecv,
	.recvv = shm_trecvv,
	.recvmsg = shm_trecvmsg,
	.send = shm_tsend,
	.sendv = shm_tsendv,
	.sendmsg = shm_tsendmsg,
	.inject = shm_tinject,
	.senddata = shm_tsenddata,
	.injectdata = shm_tinjectdata,
};
