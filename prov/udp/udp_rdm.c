/* udp provider, FI_EP_RDM: endpoint, data path and progress over the
 * reliability engine (see udp_rdm.h for the model and the locking).
 *
 * Send: a tx entry from the endpoint's pool (tx_attr->size of them) is
 * handed to the engine, which cuts it into packets and keeps it until the
 * receiver has cumulatively acknowledged every packet, i.e. the receiving
 * provider has the whole message (matched to a receive or buffered as
 * unexpected). Only then is the completion written: every send is
 * delivery-complete. fi_inject* copy the data into the entry first.
 *
 * Receive: fragments reach deliver() in order per peer. The first one is
 * matched against the posted receives (tagged or not, FI_DIRECTED_RECV
 * honoured); without a match it starts an unexpected message, buffered
 * whole. A receive posted later takes the oldest matching unexpected
 * message, including one still arriving (it then collects the rest).
 *
 * Progress is manual: CQ and counter reads (and a full tx pool) run it. It
 * reads what the socket holds, feeds the engine, and runs the engine's
 * timers when due.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rdma/fi_tagged.h>

#include "udp_rdm.h"

#define UDP_RDM_TX_FLAGS                                                       \
	(FI_COMPLETION | FI_INJECT | FI_REMOTE_CQ_DATA | FI_INJECT_COMPLETE |  \
	 FI_TRANSMIT_COMPLETE | FI_DELIVERY_COMPLETE | FI_MORE)
#define UDP_RDM_RX_FLAGS (FI_COMPLETION | FI_MORE)
/* Datagrams read per progress call, so one call stays short. */
#define UDP_RDM_RX_BATCH 64

static inline struct udp_rdm_ep *udp_rdm_ep_of(struct fid_ep *e)
{
	return weft_container_of(e, struct udp_rdm_ep, util.ep_fid);
}

static inline struct udp_rdm_ep *udp_rdm_ep_of_fid(struct fid *f)
{
	return udp_rdm_ep_of(weft_container_of(f, struct fid_ep, fid));
}

static uint64_t udp_rdm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- engine callbacks (util.lock held) ----------------------------------- */

static int udp_rdm_xmit(void *ctx, uint32_t peer, const void *hdr,
			size_t hdr_len, const struct iovec *iov, size_t cnt)
{
	struct udp_rdm_ep *ep = ctx;
	struct iovec v[1 + UDP_REL_IOV_MAX];
	struct msghdr mh;
	size_t addrlen;
	const void *addr;
	size_t i;

	addr = weft_av_addr_len(ep->util.av, peer, &addrlen);
	if (!addr)
		return 0; /* removed from the AV: as good as lost */
	if (udp_params.rdm_drop_ppm) {
		/* Test-only fault injection: a xorshift coin per packet. */
		ep->drop_rng ^= ep->drop_rng << 13;
		ep->drop_rng ^= ep->drop_rng >> 7;
		ep->drop_rng ^= ep->drop_rng << 17;
		if (ep->drop_rng % 1000000 < (uint64_t)udp_params.rdm_drop_ppm) {
			ep->stats.tx_dropped++;
			return 0;
		}
	}
	v[0].iov_base = (void *)hdr;
	v[0].iov_len = hdr_len;
	for (i = 0; i < cnt; i++)
		v[1 + i] = iov[i];
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = (void *)addr;
	mh.msg_namelen = (socklen_t)addrlen;
	mh.msg_iov = v;
	mh.msg_iovlen = 1 + cnt;
	if (sendmsg(ep->sock, &mh, MSG_DONTWAIT) >= 0)
		return 0;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
		ep->stats.tx_full++;
		return -FI_EAGAIN;
	}
	ep->stats.tx_err++;
	FI_WARN_SPARSE(&udp_prov, FI_LOG_EP_DATA, "sendmsg: %s\n",
		       strerror(errno));
	return 0; /* counted as lost; the engine retransmits */
}

static struct udp_rdm_rx *udp_rdm_rx_get(struct udp_rdm_ep *ep)
{
	struct udp_rdm_rx *rx = ep->rx_free;

	if (!rx)
		return NULL;
	ep->rx_free = rx->next_free;
	ep->rx_used++;
	memset(rx, 0, sizeof(*rx));
	return rx;
}

static void udp_rdm_rx_put(struct udp_rdm_ep *ep, struct udp_rdm_rx *rx)
{
	if (rx->ux_buf) {
		ep->unexp_bytes -= rx->msg_len;
		free(rx->ux_buf);
		rx->ux_buf = NULL;
	}
	rx->next_free = ep->rx_free;
	ep->rx_free = rx;
	ep->rx_used--;
}

static uint64_t udp_rdm_rx_kind(const struct udp_rdm_rx *rx)
{
	uint64_t f = FI_RECV | (rx->tagged ? FI_TAGGED : FI_MSG);

	if (rx->mflags & UDP_REL_MSG_CQ_DATA)
		f |= FI_REMOTE_CQ_DATA;
	return f;
}

/* Copy len bytes at off of the message into a posted receive's buffers;
 * whatever lies beyond its capacity is dropped (reported as truncation). */
static void udp_rdm_rx_copy(struct udp_rdm_rx *rx, uint64_t off,
			    const uint8_t *data, size_t len)
{
	size_t i;

	for (i = 0; i < rx->iov_cnt && len; i++) {
		size_t l = rx->iov[i].iov_len, n;

		if (off >= l) {
			off -= l;
			continue;
		}
		n = l - off < len ? l - off : len;
		memcpy((uint8_t *)rx->iov[i].iov_base + off, data, n);
		data += n;
		len -= n;
		off = 0;
	}
}

/* A posted receive has its whole message: report it, free the entry. */
static void udp_rdm_rx_finish(struct udp_rdm_ep *ep, struct udp_rdm_rx *rx)
{
	uint64_t flags = udp_rdm_rx_kind(rx) | (rx->flags & FI_COMPLETION);
	void *buf = rx->iov_cnt ? rx->iov[0].iov_base : NULL;
	fi_addr_t src = weft_av_report_addr(ep->util.av, rx->peer);

	if (rx->msg_len > rx->capacity)
		weft_ep_rx_error(&ep->util, rx->context, flags, FI_ETRUNC,
				 FI_ETRUNC, buf, rx->capacity,
				 rx->msg_len - rx->capacity, rx->cq_data,
				 rx->match.tag);
	else
		weft_ep_rx_complete(&ep->util, rx->context, flags, rx->msg_len,
				    buf, rx->cq_data, rx->tagged ? rx->match.tag : 0,
				    src);
	udp_rdm_rx_put(ep, rx);
}

static int udp_rdm_deliver(void *ctx, uint32_t peer,
			   const struct udp_rel_frag *f)
{
	struct udp_rdm_ep *ep = ctx;
	struct udp_rel_peer *p = udp_rel_peer_get(&ep->rel, peer);
	bool tagged = f->mflags & UDP_REL_MSG_TAGGED;
	struct udp_rdm_rx *rx;
	struct weft_match *m;

	if (f->offset == 0) {
		m = weft_match_posted_take(tagged ? &ep->posted_tag
						  : &ep->posted_msg,
					   tagged ? f->tag : 0, peer);
		if (m) {
			rx = weft_container_of(m, struct udp_rdm_rx, match);
			rx->match.tag = f->tag;
		} else {
			/* Unexpected: buffer it whole, within limits; beyond
			 * them, refuse and let the sender retry. */
			if (ep->unexp_bytes + f->msg_len > UDP_RDM_UNEXP_LIMIT ||
			    !ep->rx_free)
				return -FI_EAGAIN;
			rx = udp_rdm_rx_get(ep);
			rx->ux_buf = malloc(f->msg_len ? f->msg_len : 1);
			if (!rx->ux_buf) {
				udp_rdm_rx_put(ep, rx);
				return -FI_EAGAIN;
			}
			ep->unexp_bytes += f->msg_len;
			rx->unexpected = true;
			rx->tagged = tagged;
			rx->match.tag = tagged ? f->tag : 0;
			rx->match.addr = peer;
			weft_match_queue_push(tagged ? &ep->unexp_tag
						     : &ep->unexp_msg,
					      &rx->match);
		}
		rx->peer = peer;
		rx->msg_len = f->msg_len;
		rx->cq_data = f->cq_data;
		rx->mflags = f->mflags;
		rx->got = 0;
		rx->arriving = true;
		p->user = rx;
	}
	rx = p->user;
	if (!rx)
		return 0; /* the receive was cancelled mid-message */
	if (rx->unexpected)
		memcpy(rx->ux_buf + f->offset, f->data, f->len);
	else
		udp_rdm_rx_copy(rx, f->offset, f->data, f->len);
	rx->got += f->len;
	if (rx->got == rx->msg_len) {
		rx->arriving = false;
		p->user = NULL;
		if (!rx->unexpected)
			udp_rdm_rx_finish(ep, rx);
	}
	return 0;
}

static void udp_rdm_rx_abort(void *ctx, uint32_t peer)
{
	struct udp_rdm_ep *ep = ctx;
	struct udp_rel_peer *p = udp_rel_peer_get(&ep->rel, peer);
	struct udp_rdm_rx *rx = p ? p->user : NULL;

	if (!rx)
		return;
	p->user = NULL;
	if (rx->unexpected) {
		weft_match_remove(&rx->match);
		udp_rdm_rx_put(ep, rx);
	} else {
		/* The sender restarted mid-message: the receive fails. */
		weft_ep_rx_error(&ep->util, rx->context,
				 udp_rdm_rx_kind(rx) | (rx->flags & FI_COMPLETION),
				 FI_ECONNRESET, FI_ECONNRESET, NULL, 0, 0, 0, 0);
		udp_rdm_rx_put(ep, rx);
	}
}

static void udp_rdm_send_done(void *ctx, uint32_t peer,
			      struct udp_rel_send *op, int err)
{
	struct udp_rdm_ep *ep = ctx;
	struct udp_rdm_tx *tx = weft_container_of(op, struct udp_rdm_tx, rel);

	if (err)
		weft_ep_tx_error(&ep->util, tx->context, tx->flags, -err, -err,
				 tx->len, 0);
	else if (tx->report)
		weft_ep_tx_complete(&ep->util, tx->context, tx->flags, tx->len,
				    NULL, 0, 0);
	else
		weft_ep_cntr_inc(&ep->util, WEFT_CNTR_SEND);
	tx->next_free = ep->tx_free;
	ep->tx_free = tx;
	ep->tx_used--;
}

static const struct udp_rel_ops udp_rdm_rel_ops = {
	.xmit = udp_rdm_xmit,
	.deliver = udp_rdm_deliver,
	.send_done = udp_rdm_send_done,
	.rx_abort = udp_rdm_rx_abort,
};

/* ---- progress -------------------------------------------------------------- */

/* Caller holds util.lock. */
static void udp_rdm_progress_locked(struct udp_rdm_ep *ep)
{
	uint64_t now = udp_rdm_now();
	socklen_t slen;
	fi_addr_t src;
	ssize_t n;
	int i;

	for (i = 0; i < UDP_RDM_RX_BATCH; i++) {
		slen = sizeof(ep->rsrc);
		n = recvfrom(ep->sock, ep->rbuf, ep->rbuf_len, MSG_DONTWAIT,
			     &ep->rsrc.sa, &slen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (slen < ep->addrlen || ep->rsrc.sa.sa_family != ep->family) {
			ep->stats.rx_short++;
			continue;
		}
		src = weft_av_reverse(ep->util.av, &ep->rsrc, ep->addrlen);
		if (src == FI_ADDR_NOTAVAIL || src >= UDP_RDM_MAX_PEERS) {
			ep->stats.rx_unknown++;
			continue;
		}
		udp_rel_recv(&ep->rel, (uint32_t)src, ep->rbuf, (size_t)n, now);
		ep->next_deadline = 0;
		ep->last_rx_ns = now;
	}
	/* Nothing more to read: acks go out now, one per peer per batch. */
	udp_rel_flush_acks(&ep->rel, now);
	if (now >= ep->next_deadline)
		ep->next_deadline = udp_rel_progress(&ep->rel, now);
}

static void udp_rdm_progress(struct weft_ep *wep)
{
	struct udp_rdm_ep *ep = weft_container_of(wep, struct udp_rdm_ep, util);

	if (!wep->enabled)
		return;
	weft_lock_acquire(&wep->lock);
	udp_rdm_progress_locked(ep);
	weft_lock_release(&wep->lock);
}

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
	if (!ep->tx_free) {
		udp_rdm_progress_locked(ep);
		if (!ep->tx_free) {
			weft_lock_release(&ep->util.lock);
			return -FI_EAGAIN;
		}
	}
	tx = ep->tx_free;
	ep->tx_free = tx->next_free;
	memset(&tx->rel, 0, sizeof(tx->rel));
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
	ret = udp_rel_send(&ep->rel, (uint32_t)dest, &tx->rel, udp_rdm_now());
	if (ret) {
		tx->next_free = ep->tx_free;
		ep->tx_free = tx;
		weft_lock_release(&ep->util.lock);
		return ret;
	}
	ep->tx_used++;
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

static ssize_t udp_rdm_rx_post(struct udp_rdm_ep *ep, const struct iovec *iov,
			       size_t count, fi_addr_t src, uint64_t tag,
			       uint64_t ignore, bool tagged, uint64_t flags,
			       void *context)
{
	struct udp_rdm_rx *rx, *ux;
	struct weft_match *m;
	size_t len, i;
	int ret;

	if (!ep->util.enabled)
		return -FI_EOPBADSTATE;
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
	m = weft_match_unexpected_take(tagged ? &ep->unexp_tag : &ep->unexp_msg,
				       tagged ? tag : 0, tagged ? ignore : 0,
				       src);
	if (!m) {
		rx->match.tag = tagged ? tag : 0;
		rx->match.ignore = tagged ? ignore : 0;
		rx->match.addr = src;
		weft_match_queue_push(tagged ? &ep->posted_tag : &ep->posted_msg,
				      &rx->match);
		weft_lock_release(&ep->util.lock);
		return 0;
	}
	/* An unexpected message matches: take over what has arrived. */
	ux = weft_container_of(m, struct udp_rdm_rx, match);
	rx->match.tag = ux->match.tag;
	rx->peer = ux->peer;
	rx->msg_len = ux->msg_len;
	rx->cq_data = ux->cq_data;
	rx->mflags = ux->mflags;
	rx->got = ux->got;
	udp_rdm_rx_copy(rx, 0, ux->ux_buf, ux->got);
	if (ux->arriving) {
		/* The rest lands straight in the application's buffers. */
		udp_rel_peer_get(&ep->rel, ux->peer)->user = rx;
		rx->arriving = true;
		udp_rdm_rx_put(ep, ux);
	} else {
		udp_rdm_rx_put(ep, ux);
		udp_rdm_rx_finish(ep, rx);
	}
	weft_lock_release(&ep->util.lock);
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
	if (flags & ~UDP_RDM_RX_FLAGS)
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
	if (!msg)
		return -FI_EINVAL;
	if (flags & ~UDP_RDM_RX_FLAGS)
		return -FI_EBADFLAGS; /* FI_PEEK/FI_CLAIM not offered */
	return udp_rdm_rx_post(udp_rdm_ep_of(fid), msg->msg_iov,
			       msg->iov_count, msg->addr, msg->tag,
			       msg->ignore, true, flags, msg->context);
}

static struct fi_ops_msg udp_rdm_msg_ops = {
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

static struct fi_ops_tagged udp_rdm_tagged_ops = {
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

/* ---- fi_ops_ep ----------------------------------------------------------- */

/* Cancel a posted receive (not one already collecting a message). */
static ssize_t udp_rdm_cancel(fid_t fid, void *context)
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

static ssize_t udp_rdm_rx_size_left(struct fid_ep *fid)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);
	ssize_t left;

	weft_lock_acquire(&ep->util.lock);
	left = (ssize_t)(ep->rx_size - ep->rx_used);
	weft_lock_release(&ep->util.lock);
	return left < 0 ? 0 : left;
}

static ssize_t udp_rdm_tx_size_left(struct fid_ep *fid)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);
	ssize_t left;

	weft_lock_acquire(&ep->util.lock);
	left = (ssize_t)(ep->tx_size - ep->tx_used);
	weft_lock_release(&ep->util.lock);
	return left;
}

static int udp_rdm_tx_ctx(struct fid_ep *sep, int index,
			  struct fi_tx_attr *attr, struct fid_ep **tx_ep,
			  void *context)
{
	return -FI_ENOSYS;
}

static int udp_rdm_rx_ctx(struct fid_ep *sep, int index,
			  struct fi_rx_attr *attr, struct fid_ep **rx_ep,
			  void *context)
{
	return -FI_ENOSYS;
}

static struct fi_ops_ep udp_rdm_ep_ops = {
	.size = sizeof(struct fi_ops_ep),
	.cancel = udp_rdm_cancel,
	.getopt = weft_ep_getopt,
	.setopt = weft_ep_setopt,
	.tx_ctx = udp_rdm_tx_ctx,
	.rx_ctx = udp_rdm_rx_ctx,
	.rx_size_left = udp_rdm_rx_size_left,
	.tx_size_left = udp_rdm_tx_size_left,
};

/* ---- names --------------------------------------------------------------- */

static int udp_rdm_bind_socket(struct udp_rdm_ep *ep)
{
	return udp_sock_bind(ep->sock, &ep->addr, ep->addrlen, &ep->bound);
}

static int udp_rdm_setname(fid_t fid, void *addr, size_t addrlen)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of_fid(fid);

	return udp_sock_setname(&ep->addr, ep->addrlen, ep->family, ep->bound,
				addr, addrlen);
}

static int udp_rdm_getname(fid_t fid, void *addr, size_t *addrlen)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of_fid(fid);

	return udp_sock_getname(ep->sock, &ep->addr, ep->addrlen, &ep->bound,
				addr, addrlen);
}

static struct fi_ops_cm udp_rdm_cm_ops = {
	.size = sizeof(struct fi_ops_cm),
	.setname = udp_rdm_setname,
	.getname = udp_rdm_getname,
	.getpeer = weft_cm_getpeer_none,
	.connect = weft_cm_connect_none,
	.listen = weft_cm_listen_none,
	.accept = weft_cm_accept_none,
	.reject = weft_cm_reject_none,
	.shutdown = weft_cm_shutdown_none,
	.join = weft_cm_join_none,
};

/* ---- open, enable, close ------------------------------------------------- */

static void udp_rdm_free(struct udp_rdm_ep *ep)
{
	size_t i;

	if (ep->rel.peers) {
		/* Outstanding sends end with -FI_ECANCELED completions that
		 * nobody will read; the CQs are unbound by now. */
		udp_rel_fini(&ep->rel);
	}
	for (i = 0; ep->rx_pool && i < 2 * ep->rx_size; i++)
		free(ep->rx_pool[i].ux_buf);
	if (ep->sock >= 0)
		close(ep->sock);
	free(ep->tx_pool);
	free(ep->rx_pool);
	free(ep->rbuf);
	free(ep);
}

/* Drops the engine's callbacks into the void once the endpoint is closing:
 * completions must not reach CQs that were unbound. */
static void udp_rdm_done_quiet(void *ctx, uint32_t peer,
			       struct udp_rel_send *op, int err)
{
}

static int udp_rdm_deliver_refuse(void *ctx, uint32_t peer,
				  const struct udp_rel_frag *f)
{
	return -FI_EAGAIN;
}

#define UDP_RDM_LINGER_NS 250000000ull /* at most, and only if recently busy */
#define UDP_RDM_QUIET_NS 20000000ull   /* this long without a datagram */

/* Before the socket closes, keep answering for a moment: if our last ack
 * to a peer was lost, its retransmission must still find someone to ack
 * it, or the peer's send (delivered here!) would end in FI_ETIMEDOUT.
 * New messages are refused (not acknowledged) and no completion is
 * written: the callbacks are swapped for silent ones. Bounded: only when
 * a datagram came in the last UDP_RDM_LINGER_NS, and until the socket has
 * been quiet for UDP_RDM_QUIET_NS. */
static void udp_rdm_linger(struct udp_rdm_ep *ep)
{
	uint64_t start = udp_rdm_now(), t;
	struct pollfd pfd = {.fd = ep->sock, .events = POLLIN};

	ep->rel.ops.deliver = udp_rdm_deliver_refuse;
	ep->rel.ops.send_done = udp_rdm_done_quiet;
	ep->rel.ops.rx_abort = NULL;
	if (!ep->util.enabled || !ep->last_rx_ns ||
	    start - ep->last_rx_ns > UDP_RDM_LINGER_NS)
		return;
	weft_lock_acquire(&ep->util.lock);
	while ((t = udp_rdm_now()) - start < UDP_RDM_LINGER_NS &&
	       t - ep->last_rx_ns < UDP_RDM_QUIET_NS) {
		udp_rdm_progress_locked(ep);
		poll(&pfd, 1, 1);
	}
	weft_lock_release(&ep->util.lock);
}

static int udp_rdm_close(struct fid *fid)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of_fid(fid);

	FI_INFO(&udp_prov, FI_LOG_EP_DATA,
		"rdm endpoint: sent %" PRIu64 " data packets, %" PRIu64
		" retransmitted (%" PRIu64 " fast, %" PRIu64 " timeouts), %"
		PRIu64 " acks; received %" PRIu64 " data packets, %" PRIu64
		" duplicates, %" PRIu64 " early, %" PRIu64 " refused (busy); "
		"dropped %" PRIu64 " from unknown peers, %" PRIu64
		" malformed; socket full %" PRIu64 " times; %" PRIu64
		" dropped on purpose\n",
		ep->rel.stats.tx_data, ep->rel.stats.tx_retx,
		ep->rel.stats.tx_fast_retx, ep->rel.stats.tx_timeouts,
		ep->rel.stats.tx_ack, ep->rel.stats.rx_data,
		ep->rel.stats.rx_dup, ep->rel.stats.rx_early,
		ep->rel.stats.rx_busy, ep->stats.rx_unknown,
		ep->rel.stats.rx_bad, ep->stats.tx_full,
		ep->stats.tx_dropped);
	udp_rdm_linger(ep);
	weft_ep_fini(&ep->util);
	udp_rdm_free(ep);
	return 0;
}

static int udp_rdm_enable(struct udp_rdm_ep *ep)
{
	int ret;

	if (ep->util.enabled)
		return 0;
	ret = weft_ep_control(&ep->util.ep_fid.fid, FI_ENABLE, NULL);
	if (ret)
		return ret;
	ep->util.enabled = false;
	ret = udp_rdm_bind_socket(ep);
	if (ret)
		return ret;
	ep->util.enabled = true;
	return 0;
}

static int udp_rdm_control(struct fid *fid, int command, void *arg)
{
	if (command == FI_ENABLE)
		return udp_rdm_enable(udp_rdm_ep_of_fid(fid));
	return weft_ep_control(fid, command, arg);
}

static struct fi_ops udp_rdm_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = udp_rdm_close,
	.bind = weft_ep_bind,
	.control = udp_rdm_control,
	.ops_open = weft_fid_ops_open_none,
	.tostr = weft_fid_tostr_none,
	.ops_set = weft_fid_ops_set_none,
};

static bool udp_rdm_is_loopback(const union udp_sockaddr *a)
{
	if (a->sa.sa_family == AF_INET)
		return (ntohl(a->sin.sin_addr.s_addr) >> 24) == 127;
	return !memcmp(&a->sin6.sin6_addr, &in6addr_loopback,
		       sizeof(in6addr_loopback));
}

int udp_rdm_endpoint_open(struct fid_domain *domain, struct fi_info *info,
			  struct fid_ep **ep_fid, void *context)
{
	struct weft_domain *dom = weft_domain_of(domain);
	struct udp_rel_cfg cfg;
	struct udp_rdm_ep *ep;
	uint32_t epoch;
	int family, ret, one = 1;
	int rcvbuf = udp_params.rcvbuf ? udp_params.rcvbuf : 8 << 20;
	int sndbuf = udp_params.sndbuf ? udp_params.sndbuf : 8 << 20;
	size_t i;

	family = info->addr_format == FI_SOCKADDR_IN6 ||
				 (dom->info &&
				  dom->info->addr_format == FI_SOCKADDR_IN6)
			 ? AF_INET6
			 : AF_INET;
	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -FI_ENOMEM;
	ep->sock = -1;
	ep->family = family;
	ep->addrlen = family == AF_INET6 ? sizeof(struct sockaddr_in6)
					 : sizeof(struct sockaddr_in);
	if ((info->tx_attr && info->tx_attr->iov_limit > UDP_IOV_LIMIT) ||
	    (info->rx_attr && info->rx_attr->iov_limit > UDP_IOV_LIMIT)) {
		ret = -FI_EINVAL;
		goto err_free;
	}
	ep->tx_size = info->tx_attr && info->tx_attr->size ? info->tx_attr->size
							   : UDP_DEF_QUEUE_SIZE;
	ep->rx_size = info->rx_attr && info->rx_attr->size ? info->rx_attr->size
							   : UDP_DEF_QUEUE_SIZE;
	if (ep->tx_size > UDP_MAX_QUEUE_SIZE)
		ep->tx_size = UDP_MAX_QUEUE_SIZE;
	if (ep->rx_size > UDP_MAX_QUEUE_SIZE)
		ep->rx_size = UDP_MAX_QUEUE_SIZE;
	ep->addr.sa.sa_family = (sa_family_t)family;
	if (info->src_addr && info->src_addrlen >= ep->addrlen &&
	    ((const struct sockaddr *)info->src_addr)->sa_family == family)
		memcpy(&ep->addr, info->src_addr, ep->addrlen);

	/* Pools: one tx entry per tx_attr->size, one rx entry per posted
	 * receive and as many again for unexpected messages. */
	ep->tx_pool = calloc(ep->tx_size, sizeof(*ep->tx_pool));
	ep->rx_pool = calloc(2 * ep->rx_size, sizeof(*ep->rx_pool));
	ep->rbuf_len = family == AF_INET6 ? UDP_IPV6_MAX_PAYLOAD
					  : UDP_IPV4_MAX_PAYLOAD;
	ep->rbuf = malloc(ep->rbuf_len);
	if (!ep->tx_pool || !ep->rx_pool || !ep->rbuf) {
		ret = -FI_ENOMEM;
		goto err_free;
	}
	for (i = 0; i < ep->tx_size; i++) {
		ep->tx_pool[i].next_free = ep->tx_free;
		ep->tx_free = &ep->tx_pool[i];
	}
	for (i = 0; i < 2 * ep->rx_size; i++) {
		ep->rx_pool[i].next_free = ep->rx_free;
		ep->rx_free = &ep->rx_pool[i];
	}

	ep->sock = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ep->sock < 0) {
		ret = udp_errno_to_fi(errno);
		goto err_free;
	}
	if (family == AF_INET6)
		setsockopt(ep->sock, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			   sizeof(one));
	/* Room for a window of packets from many peers; the kernel caps it
	 * at rmem_max, which is fine. */
	setsockopt(ep->sock, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(ep->sock, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));

	udp_rel_cfg_default(&cfg);
	/* Loopback carries big datagrams cheaply; elsewhere one packet must
	 * fit an Ethernet frame without IP fragmentation. */
	if (udp_rdm_is_loopback(&ep->addr))
		cfg.mtu_payload = 16384;
	else
		cfg.mtu_payload = (uint32_t)(1500 -
					     (family == AF_INET6 ? UDP_IPV6_OVERHEAD
								 : UDP_IPV4_OVERHEAD) -
					     UDP_REL_DATA_HDR_SIZE);
	cfg.max_peers = UDP_RDM_MAX_PEERS;
	/* Early packets wait here; one window's worth, shared by all peers. */
	cfg.rx_pool = 256;
	if (udp_params.rdm_mtu)
		cfg.mtu_payload = (uint32_t)udp_params.rdm_mtu;
	/* Peers on other interfaces may use other packet sizes: take any
	 * datagram's worth (early ones are held only up to our own size). */
	cfg.max_rx_payload = (uint32_t)(ep->rbuf_len - UDP_REL_DATA_HDR_SIZE);
	cfg.max_msg_size = UDP_RDM_MAX_MSG_SIZE;
	/* Progress is manual: the peer acknowledges only when its
	 * application drives it, so the floor leaves room for that. */
	cfg.rto_min_ns = (uint64_t)udp_params.rdm_rto_min_us * 1000;
	cfg.rto_init_ns = cfg.rto_min_ns > 1000000 ? cfg.rto_min_ns : 1000000;
	cfg.dead_ns = (uint64_t)udp_params.rdm_dead_ms * 1000000;
	/* A random incarnation id, so that peers tell this endpoint from
	 * an earlier one at the same address. */
	if (getrandom(&epoch, sizeof(epoch), GRND_NONBLOCK) != sizeof(epoch)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		epoch = (uint32_t)((uint64_t)ts.tv_nsec * 2654435761u ^
				   (uint64_t)ts.tv_sec ^ (uint64_t)getpid() << 16);
	}
	if (!epoch)
		epoch = 1;
	ep->drop_rng = 0x9e3779b97f4a7c15ull ^ epoch;
	ret = udp_rel_init(&ep->rel, &cfg, &udp_rdm_rel_ops, ep, epoch);
	if (ret)
		goto err_free;

	ret = weft_ep_init(&ep->util, dom, info, udp_rdm_progress, context);
	if (ret)
		goto err_free;
	ep->util.wait_fd = ep->sock;
	weft_match_queue_init(&ep->posted_msg, true);
	weft_match_queue_init(&ep->posted_tag, true);
	weft_match_queue_init(&ep->unexp_msg, true);
	weft_match_queue_init(&ep->unexp_tag, true);

	ep->util.ep_fid.fid.ops = &udp_rdm_fi_ops;
	ep->util.ep_fid.ops = &udp_rdm_ep_ops;
	ep->util.ep_fid.cm = &udp_rdm_cm_ops;
	ep->util.ep_fid.msg = &udp_rdm_msg_ops;
	ep->util.ep_fid.tagged = &udp_rdm_tagged_ops;
	ep->util.ep_fid.rma = &weft_ops_rma_none;
	ep->util.ep_fid.atomic = &weft_ops_atomic_none;
	ep->util.ep_fid.collective = &weft_ops_collective_none;
	*ep_fid = &ep->util.ep_fid;
	return 0;

err_free:
	udp_rdm_free(ep);
	return ret;
}
