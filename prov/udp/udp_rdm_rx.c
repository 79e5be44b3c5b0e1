/* udp provider, FI_EP_RDM: the reliability engine's callbacks (see
 * udp_rdm.h for the model and the locking; all run with util.lock held).
 *
 * xmit puts one packet on the socket. deliver receives the fragments of
 * each peer's messages in order: the first fragment says what the
 * message is (the op byte of its mflags). A send is matched against the
 * posted receives (tagged or not, FI_DIRECTED_RECV honoured, multi-receive
 * buffers carved up); without a match it starts an unexpected message,
 * buffered whole in the endpoint's unexpected pool. A receive posted
 * later takes the oldest matching unexpected message, including one still
 * arriving (it then collects the rest). RMA and atomic requests and the
 * answers to ours go to udp_rdm_target.c.
 *
 * send_done: a send is complete when the receiver has cumulatively
 * acknowledged every packet, i.e. its provider has the whole message
 * (matched or buffered): every send is delivery-complete. An RMA/atomic
 * request completes when its answer has come and it is acknowledged.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "udp_rdm.h"

/* ---- the socket ----------------------------------------------------------- */

int udp_rdm_xmit(void *ctx, uint32_t peer, const void *hdr, size_t hdr_len,
		 const struct iovec *iov, size_t cnt)
{
	struct udp_rdm_ep *ep = ctx;
	struct iovec v[1 + UDP_REL_IOV_MAX];
	struct msghdr mh;
	size_t addrlen;
	const void *addr;
	size_t i;

	if (udp_rdm_peer_unknown(peer)) {
		/* A sender outside the AV (FI_SOURCE_ERR): its slot. */
		addr = &ep->unknown[peer - UDP_RDM_MAX_PEERS].addr;
		addrlen = ep->addrlen;
	} else {
		addr = weft_av_addr_len(ep->util.av, peer, &addrlen);
		if (!addr)
			return 0; /* removed from the AV: as good as lost */
	}
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

/* ---- pools ---------------------------------------------------------------- */

struct udp_rdm_tx *udp_rdm_tx_get(struct udp_rdm_ep *ep)
{
	struct udp_rdm_tx *tx = ep->tx_free;

	if (!tx)
		return NULL;
	ep->tx_free = tx->next_free;
	ep->tx_used++;
	memset(&tx->rel, 0, sizeof(tx->rel));
	tx->gen++;
	tx->op = UDP_RDM_OP_SEND;
	tx->acked = tx->answered = false;
	tx->status = 0;
	tx->in_kind = UDP_RDM_IN_RESP;
	return tx;
}

void udp_rdm_tx_put(struct udp_rdm_ep *ep, struct udp_rdm_tx *tx)
{
	tx->gen++; /* an answer that still comes finds a stale id */
	tx->next_free = ep->tx_free;
	ep->tx_free = tx;
	ep->tx_used--;
}

struct udp_rdm_rx *udp_rdm_rx_get(struct udp_rdm_ep *ep)
{
	struct udp_rdm_rx *rx = ep->rx_free;

	if (!rx)
		return NULL;
	ep->rx_free = rx->next_free;
	ep->rx_used++;
	memset(rx, 0, sizeof(*rx));
	rx->in_kind = UDP_RDM_IN_RECV;
	return rx;
}

/* Room for an unexpected message of len bytes in the pool: the first run
 * of free slots long enough, searched from where the last one ended (next
 * fit: messages are mostly freed in arrival order). */
static uint8_t *udp_rdm_ux_alloc(struct udp_rdm_ep *ep, uint64_t len,
				 uint32_t *slot, uint32_t *nslots)
{
	uint64_t need64 = (len + UDP_RDM_UNEXP_SLOT - 1) / UDP_RDM_UNEXP_SLOT;
	uint32_t need, start, run = 0, i, n = ep->ux_nslots;

	if (len == 0) {
		*slot = 0;
		*nslots = 0;
		return NULL;
	}
	if (need64 > n - ep->ux_used)
		return NULL;
	need = (uint32_t)need64;
	start = ep->ux_hint < n ? ep->ux_hint : 0;
	/* Two passes over the map at most: from the hint to the end, then
	 * from 0 (a run does not wrap). */
	for (i = start; i < n; i++) {
		run = ep->ux_map[i] ? 0 : run + 1;
		if (run == need)
			goto found;
	}
	run = 0;
	for (i = 0; i < n && i < start + need; i++) {
		run = ep->ux_map[i] ? 0 : run + 1;
		if (run == need)
			goto found;
	}
	return NULL;
found:
	*slot = i + 1 - need;
	*nslots = need;
	memset(ep->ux_map + *slot, 1, need);
	ep->ux_used += need;
	ep->ux_hint = i + 1;
	return ep->ux_mem + (size_t)*slot * UDP_RDM_UNEXP_SLOT;
}

void udp_rdm_rx_put(struct udp_rdm_ep *ep, struct udp_rdm_rx *rx)
{
	if (rx->ux_nslots) {
		memset(ep->ux_map + rx->ux_slot, 0, rx->ux_nslots);
		ep->ux_used -= rx->ux_nslots;
		rx->ux_nslots = 0;
		rx->ux_buf = NULL;
	}
	rx->in_kind = 0;
	rx->next_free = ep->rx_free;
	ep->rx_free = rx;
	ep->rx_used--;
}

/* ---- receive completion --------------------------------------------------- */

uint64_t udp_rdm_rx_kind(const struct udp_rdm_rx *rx)
{
	uint64_t f = FI_RECV | (rx->tagged ? FI_TAGGED : FI_MSG);

	if (rx->mflags & UDP_REL_MSG_CQ_DATA)
		f |= FI_REMOTE_CQ_DATA;
	return f;
}

/* Copy len bytes at off of the message into a posted receive's buffers;
 * whatever lies beyond its capacity is dropped (reported as truncation). */
void udp_rdm_rx_copy(struct udp_rdm_rx *rx, uint64_t off, const uint8_t *data,
		     size_t len)
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

/* A posted receive (or a multi-receive child) has its whole message:
 * report it, free the entry. */
void udp_rdm_rx_finish(struct udp_rdm_ep *ep, struct udp_rdm_rx *rx)
{
	uint64_t flags = udp_rdm_rx_kind(rx) | (rx->flags & FI_COMPLETION);
	void *buf = rx->iov_cnt ? rx->iov[0].iov_base : NULL;
	fi_addr_t src = udp_rdm_src_addr(ep, rx->peer);
	uint64_t data = rx->mflags & UDP_REL_MSG_CQ_DATA ? rx->cq_data : 0;

	if (rx->parent) {
		struct udp_rdm_rx *parent = rx->parent;
		uint64_t of = rx->mflags & UDP_REL_MSG_CQ_DATA
				      ? FI_REMOTE_CQ_DATA
				      : 0;
		bool released;

		if (rx->msg_len > rx->capacity)
			released = weft_mrecv_error(
				&ep->util, &parent->mrecv, of, FI_ETRUNC, buf,
				rx->capacity, rx->msg_len - rx->capacity, data);
		else
			released = weft_mrecv_complete(&ep->util,
						       &parent->mrecv, of,
						       buf, rx->msg_len, data,
						       src);
		if (released)
			udp_rdm_rx_put(ep, parent);
	} else if (rx->msg_len > rx->capacity) {
		weft_ep_rx_error(&ep->util, rx->context, flags, FI_ETRUNC,
				 FI_ETRUNC, buf, rx->capacity,
				 rx->msg_len - rx->capacity, data,
				 rx->tagged ? rx->match.tag : 0);
	} else if (udp_rdm_peer_unknown(rx->peer)) {
		/* FI_SOURCE_ERR: the message is in buf; the sender's address
		 * goes back as err_data, for fi_av_insert. */
		weft_ep_rx_source_error(
			&ep->util, rx->context, flags, buf, rx->msg_len, data,
			rx->tagged ? rx->match.tag : 0,
			&ep->unknown[rx->peer - UDP_RDM_MAX_PEERS].addr,
			ep->addrlen);
	} else {
		weft_ep_rx_complete(&ep->util, rx->context, flags, rx->msg_len,
				    buf, data, rx->tagged ? rx->match.tag : 0,
				    src);
	}
	udp_rdm_rx_put(ep, rx);
}

struct udp_rdm_rx *udp_rdm_mrecv_child(struct udp_rdm_ep *ep,
				       struct udp_rdm_rx *parent,
				       uint64_t msg_len)
{
	struct udp_rdm_rx *rx = udp_rdm_rx_get(ep);
	size_t room;
	void *at;

	if (!rx)
		return NULL;
	at = weft_mrecv_claim(&parent->mrecv,
			      msg_len > SIZE_MAX ? SIZE_MAX : (size_t)msg_len,
			      &room);
	rx->parent = parent;
	rx->context = parent->context;
	rx->flags = parent->flags;
	rx->iov[0].iov_base = at;
	rx->iov[0].iov_len = room;
	rx->iov_cnt = 1;
	rx->capacity = room;
	if (!weft_mrecv_open(&parent->mrecv))
		weft_match_remove(&parent->match); /* retired: no more */
	return rx;
}

void udp_rdm_rx_take_unexp(struct udp_rdm_ep *ep, struct udp_rdm_rx *rx,
			   struct udp_rdm_rx *ux)
{
	rx->match.tag = ux->match.tag;
	rx->tagged = ux->tagged;
	rx->peer = ux->peer;
	rx->msg_len = ux->msg_len;
	rx->cq_data = ux->cq_data;
	rx->mflags = ux->mflags;
	rx->got = ux->got;
	if (ux->got)
		udp_rdm_rx_copy(rx, 0, ux->ux_buf, ux->got);
	if (ux->arriving) {
		/* The rest lands straight in the application's buffers. */
		udp_rel_peer_get(&ep->rel, ux->peer)->user = &rx->in_kind;
		rx->arriving = true;
		udp_rdm_rx_put(ep, ux);
	} else {
		udp_rdm_rx_put(ep, ux);
		udp_rdm_rx_finish(ep, rx);
	}
}

/* ---- arrivals ------------------------------------------------------------- */

/* The first fragment of a send: find its receive, or buffer it. */
static int udp_rdm_msg_start(struct udp_rdm_ep *ep, struct udp_rel_peer *p,
			     uint32_t peer, const struct udp_rel_frag *f)
{
	bool tagged = f->mflags & UDP_REL_MSG_TAGGED;
	struct weft_match_queue *q = tagged ? &ep->posted_tag : &ep->posted_msg;
	struct udp_rdm_rx *rx = NULL;
	struct weft_match *m;

	m = weft_match_posted(q, tagged ? f->tag : 0, peer);
	if (m) {
		rx = weft_container_of(m, struct udp_rdm_rx, match);
		if (rx->multi) {
			rx = udp_rdm_mrecv_child(ep, rx, f->msg_len);
			if (!rx)
				return -FI_EAGAIN; /* no entry: retry later */
		} else {
			weft_match_remove(m);
		}
		rx->match.tag = tagged ? f->tag : 0;
	} else {
		/* Unexpected: buffer it whole in the pool; without room,
		 * refuse it and let the sender retry. */
		uint32_t slot = 0, nslots = 0;
		uint8_t *buf = NULL;

		if (!ep->rx_free)
			return -FI_EAGAIN;
		if (f->msg_len) {
			buf = udp_rdm_ux_alloc(ep, f->msg_len, &slot, &nslots);
			if (!buf) {
				ep->stats.rx_unexp_full++;
				return -FI_EAGAIN;
			}
		}
		rx = udp_rdm_rx_get(ep);
		rx->ux_buf = buf;
		rx->ux_slot = slot;
		rx->ux_nslots = nslots;
		rx->unexpected = true;
		rx->match.tag = tagged ? f->tag : 0;
		rx->match.addr = peer;
		weft_match_queue_push(tagged ? &ep->unexp_tag : &ep->unexp_msg,
				      &rx->match);
	}
	rx->tagged = tagged;
	rx->peer = peer;
	rx->msg_len = f->msg_len;
	rx->cq_data = f->cq_data;
	rx->mflags = f->mflags;
	rx->got = 0;
	rx->arriving = true;
	p->user = &rx->in_kind;
	return 0;
}

static int udp_rdm_deliver(void *ctx, uint32_t peer,
			   const struct udp_rel_frag *f)
{
	struct udp_rdm_ep *ep = ctx;
	struct udp_rel_peer *p = udp_rel_peer_get(&ep->rel, peer);
	struct udp_rdm_rx *rx;
	uint8_t *in;
	int ret;

	if (f->offset == 0) {
		if (UDP_REL_MSG_OP(f->mflags) != UDP_RDM_OP_SEND)
			return udp_rdm_target_deliver(ep, p, peer, f);
		ret = udp_rdm_msg_start(ep, p, peer, f);
		if (ret)
			return ret;
	}
	in = p->user;
	if (!in)
		return 0; /* dropped: cancelled, or broke the protocol */
	if (*in != UDP_RDM_IN_RECV)
		return udp_rdm_target_deliver(ep, p, peer, f);
	rx = weft_container_of(in, struct udp_rdm_rx, in_kind);
	if (f->len) {
		if (rx->unexpected)
			memcpy(rx->ux_buf + f->offset, f->data, f->len);
		else
			udp_rdm_rx_copy(rx, f->offset, f->data, f->len);
	}
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
	uint8_t *in = p ? p->user : NULL;
	struct udp_rdm_rx *rx;

	if (!in)
		return;
	if (*in != UDP_RDM_IN_RECV) {
		udp_rdm_target_abort(ep, p, peer);
		return;
	}
	rx = weft_container_of(in, struct udp_rdm_rx, in_kind);
	p->user = NULL;
	if (rx->unexpected) {
		weft_match_remove(&rx->match);
		udp_rdm_rx_put(ep, rx);
	} else if (rx->parent) {
		if (weft_mrecv_error(&ep->util, &rx->parent->mrecv, 0,
				     FI_ECONNRESET, rx->iov[0].iov_base, 0, 0,
				     0))
			udp_rdm_rx_put(ep, rx->parent);
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
	struct udp_rdm_tx *tx;

	if (UDP_REL_MSG_OP(op->mflags) == UDP_RDM_OP_RESP) {
		udp_rdm_target_sent(
			ep, weft_container_of(op, struct udp_rdm_tgt, rel));
		return;
	}
	tx = weft_container_of(op, struct udp_rdm_tx, rel);
	if (tx->op != UDP_RDM_OP_SEND) {
		tx->acked = true;
		if (err && !tx->answered) {
			/* The request never got through: no answer comes. */
			tx->status = -err;
			tx->answered = true;
		}
		udp_rdm_request_done(ep, tx);
		return;
	}
	if (err)
		weft_ep_tx_error(&ep->util, tx->context, tx->flags, -err, -err,
				 tx->len, 0);
	else if (tx->report)
		weft_ep_tx_complete(&ep->util, tx->context, tx->flags, tx->len,
				    NULL, 0, 0);
	else
		weft_ep_cntr_inc(&ep->util, WEFT_CNTR_SEND);
	udp_rdm_tx_put(ep, tx);
}

const struct udp_rel_ops udp_rdm_rel_ops = {
	.xmit = udp_rdm_xmit,
	.deliver = udp_rdm_deliver,
	.send_done = udp_rdm_send_done,
	.rx_abort = udp_rdm_rx_abort,
};
