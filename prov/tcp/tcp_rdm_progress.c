/* FI_EP_RDM progress and the receive side: one epoll fd holds the
 * listener and every connection; each progress call takes what is ready
 * (accepting, handshakes, writes the socket did not take at once,
 * reading messages). Writing is tcp_rdm_tx.c's.
 *
 * Per connection the receive side is the FI_EP_MSG engine's state
 * machine (tcp_progress.c): a header collected from a staging buffer,
 * validated (tcp_rdm_hdr_valid), then its payload lands straight in the
 * matched receive (readv into the user's iovs, the staging buffer behind
 * them). Matching is endpoint-wide. A message nobody posted for:
 * - eager (at most eager_max bytes): buffered while the endpoint's
 *   unexpected bytes stay under FI_TCP_UNEXP_LIMIT; past that the
 *   connection stalls (nothing more is read from it until a receive is
 *   posted), so TCP holds the sender back;
 * - rendezvous (larger): only the announcement (RTS) is kept; when a
 *   receive matches it, a CTS asks the sender for the bytes (DATA), which
 *   land straight in the receive.
 * So unexpected traffic costs at most FI_TCP_UNEXP_LIMIT bytes.
 *
 * A connection that fails (reset, end of stream, a header that is not
 * weft's) fails what was outstanding to its peer (tcp_rdm_conn_fail).
 * Connections are freed at once; an event for a freed connection cannot
 * follow in the same batch because tcp_rdm_conn_close defers through
 * `dead` (see tcp_rdm_progress).
 *
 * All under util.lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "tcp_rdm.h"

/* ---- helpers ---------------------------------------------------------- */

void tcp_rdm_rx_put(struct tcp_rdm_ep *ep, struct tcp_rdm_rx *e)
{
	e->kind = TCP_RDM_RXE_FREE;
	e->conn = NULL;
	e->parent = NULL;
	e->multi = false;
	weft_list_push_back(&ep->rx_free, &e->free_link);
}

static uint64_t tcp_rdm_rx_flags(const struct tcp_rdm_rx *e, uint16_t hflags)
{
	return FI_RECV | (e->tagged ? FI_TAGGED : FI_MSG) |
	       ((hflags & TCP_HDR_CQ_DATA) ? FI_REMOTE_CQ_DATA : 0) |
	       (e->flags & FI_COMPLETION);
}

/* Receive e (not multi) got a message of size bytes, min(size, capacity)
 * of them landed: report and recycle. */
static void tcp_rdm_rx_report(struct tcp_rdm_ep *ep, struct tcp_rdm_rx *e,
			      uint16_t hflags, size_t size, uint64_t tag,
			      uint64_t data, fi_addr_t src)
{
	uint64_t flags = tcp_rdm_rx_flags(e, hflags);
	void *buf = e->iov_count ? e->iov[0].iov_base : NULL;

	if (!(hflags & TCP_HDR_CQ_DATA))
		data = 0;
	if (size > e->capacity)
		weft_ep_rx_error(&ep->util, e->context, flags, FI_ETRUNC,
				 FI_ETRUNC, buf, e->capacity,
				 size - e->capacity, data, tag);
	else
		weft_ep_rx_complete(&ep->util, e->context, flags, size, buf,
				    data, e->tagged ? tag : 0, src);
	tcp_rdm_rx_put(ep, e);
}

void tcp_rdm_mrecv_done(struct tcp_rdm_ep *ep, struct tcp_rdm_rx *e,
			int err, void *buf, size_t len, size_t olen,
			uint16_t hflags, uint64_t data, fi_addr_t src)
{
	uint64_t flags = (hflags & TCP_HDR_CQ_DATA) ? FI_REMOTE_CQ_DATA : 0;
	bool released;

	if (!(hflags & TCP_HDR_CQ_DATA))
		data = 0;
	if (err)
		released = weft_mrecv_error(&ep->util, &e->mrecv, flags, err,
					    buf, len, olen, data);
	else
		released = weft_mrecv_complete(&ep->util, &e->mrecv, flags,
					       buf, len, data, src);
	if (released)
		tcp_rdm_rx_put(ep, e);
}

void tcp_rdm_rx_fail(struct tcp_rdm_ep *ep, struct tcp_rdm_rx *e, int err)
{
	if (e->parent) {
		tcp_rdm_mrecv_done(ep, e->parent, err, e->iov[0].iov_base, 0,
				   0, 0, 0, FI_ADDR_NOTAVAIL);
		tcp_rdm_rx_put(ep, e);
		return;
	}
	weft_ep_rx_error(&ep->util, e->context, tcp_rdm_rx_flags(e, 0), err,
			 err, e->iov_count ? e->iov[0].iov_base : NULL, 0, 0, 0,
			 e->match.tag);
	tcp_rdm_rx_put(ep, e);
}

void tcp_rdm_unexp_free(struct tcp_rdm_ep *ep, struct tcp_rdm_unexp *u)
{
	ep->unexp_bytes -= u->cost;
	free(u->buf);
	free(u);
}

/* Claim room for a message of size bytes in multi-receive buffer e
 * (retiring it from the posted queue when it fills). */
static void *tcp_rdm_mrecv_claim(struct tcp_rdm_rx *e, size_t size,
				 size_t *room)
{
	void *buf = weft_mrecv_claim(&e->mrecv, size, room);

	if (!weft_mrecv_open(&e->mrecv))
		weft_match_remove(&e->match);
	return buf;
}

int tcp_rdm_rndv_accept(struct tcp_rdm_ep *ep, struct tcp_rdm_unexp *u,
			struct tcp_rdm_rx *e)
{
	struct tcp_rdm_rx *r = e;
	uint32_t rid = TCP_RDM_NO_ID;

	size_t want = 0;
	int ret;

	if (e && e->multi) {
		struct weft_list *l = weft_list_pop_front(&ep->rx_free);
		size_t room;
		void *buf;

		if (!l)
			return -FI_EAGAIN;
		r = weft_container_of(l, struct tcp_rdm_rx, free_link);
		buf = tcp_rdm_mrecv_claim(e, u->size, &room);
		r->parent = e;
		r->multi = false;
		r->tagged = false;
		r->context = e->mrecv.context;
		r->flags = e->flags;
		r->iov[0].iov_base = buf;
		r->iov[0].iov_len = room;
		r->iov_count = room ? 1 : 0;
		r->capacity = room;
	}
	if (r) {
		want = u->size < r->capacity ? u->size : r->capacity;
		rid = r->id;
	}
	ret = tcp_rdm_ctrl_send(u->conn, TCP_OP_CTS, u->id, rid, want);
	if (ret) {
		if (r && r != e)
			tcp_rdm_rx_put(ep, r); /* rare: claim stays lost */
		return ret;
	}
	if (r && u->conn->dead) {
		/* Writing the CTS failed the connection. */
		tcp_rdm_rx_fail(ep, r, FI_ECONNRESET);
	} else if (r) {
		r->kind = TCP_RDM_RXE_RNDV;
		r->peer_id = u->id;
		r->conn = u->conn;
		r->msg_len = u->size;
		r->hflags = u->hflags;
		r->tag = u->match.tag;
		r->data = u->data;
		r->src = tcp_rdm_peer_src(ep, u->peer);
	}
	tcp_rdm_unexp_free(ep, u);
	return 0;
}

int tcp_rdm_deliver_unexp(struct tcp_rdm_ep *ep, struct tcp_rdm_rx *e,
			  struct tcp_rdm_unexp *u)
{
	fi_addr_t src;

	if (u->rts)
		return tcp_rdm_rndv_accept(ep, u, e);
	src = tcp_rdm_peer_src(ep, u->peer);
	if (e->multi) {
		size_t room;
		void *buf = tcp_rdm_mrecv_claim(e, u->size, &room);

		memcpy(buf, u->buf, room);
		tcp_rdm_mrecv_done(ep, e, room < u->size ? FI_ETRUNC : 0, buf,
				   room, u->size - room, u->hflags, u->data,
				   src);
	} else {
		tcp_copy_to_iov(e->iov, e->iov_count, u->buf, u->size);
		tcp_rdm_rx_report(ep, e, u->hflags, u->size, u->match.tag,
				  u->data, src);
	}
	tcp_rdm_unexp_free(ep, u);
	return 0;
}

/* ---- receive: starting a message ---------------------------------------- */

static void tcp_rdm_stall(struct tcp_rdm_conn *c)
{
	c->rx_state = TCP_RDM_RX_STALLED;
	if (!c->stalled) {
		c->stalled = true;
		weft_list_push_back(&c->ep->stalled, &c->stall_link);
	}
}

static void tcp_rdm_body(struct tcp_rdm_conn *c, size_t left, size_t discard)
{
	c->rx_left = left;
	c->rx_land = left;
	c->rx_discard = discard;
	c->rx_state = TCP_RDM_RX_BODY;
}

static void tcp_rdm_protocol_error(struct tcp_rdm_conn *c, const char *why)
{
	FI_WARN(&tcp_prov, FI_LOG_EP_DATA,
		"peer broke the RDM protocol (%s): closing the connection\n",
		why);
	tcp_rdm_conn_fail(c, FI_EIO);
}

/* Record the current message as unexpected (u->buf sized for eager). */
static struct tcp_rdm_unexp *tcp_rdm_unexp_new(struct tcp_rdm_conn *c,
					       size_t size, size_t cost,
					       bool rts)
{
	struct tcp_rdm_ep *ep = c->ep;
	const struct tcp_hdr *h = &c->rx_hdr;
	struct tcp_rdm_unexp *u;

	/* Over the limit the connection waits; one message always fits
	 * (tcp_rdm_start_msg refused anything over eager_max and the
	 * limit). */
	if (ep->unexp_bytes + cost > tcp_params.unexp_limit && ep->unexp_bytes)
		return NULL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	if (!rts && size) {
		u->buf = malloc(size);
		if (!u->buf) {
			free(u);
			return NULL;
		}
	}
	u->peer = c->peer;
	u->conn = c;
	u->rts = rts;
	u->tagged = h->op == TCP_OP_TAGGED ||
		    (rts && (h->flags & TCP_HDR_TAGGED));
	u->hflags = h->flags;
	u->id = tcp_hdr_id(h);
	u->data = h->data;
	u->size = size;
	u->cost = cost;
	u->match.tag = u->tagged ? h->tag : 0;
	u->match.ignore = 0;
	u->match.addr = c->peer->fi_addr;
	ep->unexp_bytes += cost;
	return u;
}

static void tcp_rdm_start_msg(struct tcp_rdm_conn *c)
{
	struct tcp_rdm_ep *ep = c->ep;
	const struct tcp_hdr *h = &c->rx_hdr;
	bool tagged = h->op == TCP_OP_TAGGED;
	size_t size = (size_t)h->size;
	struct tcp_iov_cursor *cur = &c->rx_cursor;
	struct weft_match *m;
	struct tcp_rdm_unexp *u;

	tcp_rdm_peer_src(ep, c->peer);
	m = weft_match_posted(tagged ? &ep->posted_tag : &ep->posted_msg,
			      tagged ? h->tag : 0, c->peer->fi_addr);
	if (m) {
		struct tcp_rdm_rx *e =
			weft_container_of(m, struct tcp_rdm_rx, match);

		c->rx_cur = e;
		if (e->multi) {
			size_t room;
			struct iovec v;

			v.iov_base = tcp_rdm_mrecv_claim(e, size, &room);
			v.iov_len = room;
			c->rx_mbuf = v.iov_base;
			tcp_cursor_set(cur, &v, 1, room);
			tcp_rdm_body(c, room, size - room);
		} else {
			size_t land = size < e->capacity ? size : e->capacity;

			weft_match_remove(m);
			tcp_cursor_set(cur, e->iov, e->iov_count, land);
			tcp_rdm_body(c, land, size - land);
		}
		return;
	}
	if (size > tcp_params.unexp_limit && size > ep->eager_max) {
		/* Not an eager message we would send ourselves, nor one we
		 * could buffer: a sender that ignores rendezvous. */
		tcp_rdm_protocol_error(c, "unexpected eager message too large");
		return;
	}
	u = tcp_rdm_unexp_new(c, size, size, false);
	if (!u) {
		tcp_rdm_stall(c);
		return;
	}
	c->rx_unexp = u;
	cur->count = cur->idx = 0;
	if (size) {
		cur->iov[0].iov_base = u->buf;
		cur->iov[0].iov_len = size;
		cur->count = 1;
	}
	tcp_rdm_body(c, size, 0);
}

static void tcp_rdm_finish_msg(struct tcp_rdm_conn *c)
{
	struct tcp_rdm_ep *ep = c->ep;
	const struct tcp_hdr *h = &c->rx_hdr;
	struct tcp_rdm_unexp *u = c->rx_unexp;
	fi_addr_t src = tcp_rdm_peer_src(ep, c->peer);
	size_t size = (size_t)h->size;

	if (c->rx_cur) {
		struct tcp_rdm_rx *e = c->rx_cur;

		c->rx_cur = NULL;
		if (e->multi) {
			size_t room = c->rx_land;

			tcp_rdm_mrecv_done(ep, e, room < size ? FI_ETRUNC : 0,
					   c->rx_mbuf, room, size - room,
					   h->flags, h->data, src);
		} else {
			tcp_rdm_rx_report(ep, e, h->flags, size, h->tag,
					  h->data, src);
		}
	} else if (u) {
		struct weft_match *m;

		c->rx_unexp = NULL;
		/* A receive posted while the payload arrived queued behind
		 * this message: it takes it now. */
		m = weft_match_posted(u->tagged ? &ep->posted_tag
						: &ep->posted_msg,
				      u->match.tag, u->match.addr);
		if (m) {
			struct tcp_rdm_rx *e =
				weft_container_of(m, struct tcp_rdm_rx, match);

			if (!e->multi)
				weft_match_remove(m);
			tcp_rdm_deliver_unexp(ep, e, u);
		} else {
			weft_match_queue_push(u->tagged ? &ep->unexp_tag
							: &ep->unexp_msg,
					      &u->match);
		}
	}
	if (h->flags & TCP_HDR_ACK)
		tcp_rdm_send_ack(c, tcp_hdr_id(h));
}

static void tcp_rdm_start_rts(struct tcp_rdm_conn *c)
{
	struct tcp_rdm_ep *ep = c->ep;
	const struct tcp_hdr *h = &c->rx_hdr;
	bool tagged = (h->flags & TCP_HDR_TAGGED) != 0;
	struct tcp_rdm_unexp *u;
	struct weft_match *m;

	if (h->size || c->rx_rma.len > ep->util.max_msg_size) {
		tcp_rdm_protocol_error(c, "rendezvous announcement");
		return;
	}
	if (weft_list_empty(&ep->ctrl_free)) {
		tcp_rdm_stall(c);
		return;
	}
	u = tcp_rdm_unexp_new(c, (size_t)c->rx_rma.len, TCP_RDM_RTS_COST,
			      true);
	if (!u) {
		tcp_rdm_stall(c);
		return;
	}
	tcp_rdm_peer_src(ep, c->peer);
	u->match.addr = c->peer->fi_addr;
	m = weft_match_posted(tagged ? &ep->posted_tag : &ep->posted_msg,
			      u->match.tag, u->match.addr);
	if (m) {
		struct tcp_rdm_rx *e =
			weft_container_of(m, struct tcp_rdm_rx, match);

		if (e->multi && weft_list_empty(&ep->rx_free)) {
			tcp_rdm_unexp_free(ep, u);
			tcp_rdm_stall(c);
			return;
		}
		if (!e->multi)
			weft_match_remove(m);
		tcp_rdm_rndv_accept(ep, u, e);
	} else {
		weft_match_queue_push(tagged ? &ep->unexp_tag : &ep->unexp_msg,
				      &u->match);
	}
	tcp_rdm_body(c, 0, 0);
}

static void tcp_rdm_start_cts(struct tcp_rdm_conn *c)
{
	struct tcp_rdm_ep *ep = c->ep;
	uint32_t id = tcp_hdr_id(&c->rx_hdr);
	uint64_t want = c->rx_rma.len;
	struct tcp_rdm_tx *e;
	size_t n = 0;

	if (id >= ep->tx_size || c->rx_hdr.size)
		goto bad;
	e = &ep->tx_pool[id];
	if (!e->busy || e->kind != TCP_RDM_TX_RNDV ||
	    e->wait != TCP_RDM_TXW_CTS || e->peer != c->peer ||
	    want > e->len)
		goto bad;
	if (c->rx_rma.addr == TCP_RDM_NO_ID) {
		/* Discarded by the receiver. */
		tcp_rdm_tx_done(ep, e, 0);
		tcp_rdm_body(c, 0, 0);
		return;
	}
	e->wait = TCP_RDM_TXW_NONE;
	tcp_hdr_init(&e->hdr, TCP_OP_DATA,
		     (e->flags & FI_DELIVERY_COMPLETE) ? TCP_HDR_ACK : 0, want,
		     0, 0);
	tcp_hdr_set_id(&e->hdr, (uint32_t)c->rx_rma.addr);
	e->iov[0].iov_base = &e->hdr;
	e->iov[0].iov_len = sizeof(e->hdr);
	e->iov_count = 1;
	e->idx = 0;
	for (size_t i = 0; i < e->src_count && n < want; i++) {
		size_t k = e->src[i].iov_len;

		if (k > want - n)
			k = want - n;
		e->iov[e->iov_count].iov_base = e->src[i].iov_base;
		e->iov[e->iov_count].iov_len = k;
		e->iov_count++;
		n += k;
	}
	tcp_rdm_tx_submit(ep, e);
	tcp_rdm_body(c, 0, 0);
	return;
bad:
	tcp_rdm_protocol_error(c, "clear-to-send for no rendezvous");
}

static void tcp_rdm_start_data(struct tcp_rdm_conn *c)
{
	struct tcp_rdm_ep *ep = c->ep;
	uint32_t id = tcp_hdr_id(&c->rx_hdr);
	size_t size = (size_t)c->rx_hdr.size;
	struct tcp_rdm_rx *e;

	(void)0;
	if (id >= ep->rx_size)
		goto bad;
	e = &ep->rx_pool[id];
	if (e->kind != TCP_RDM_RXE_RNDV || e->conn != c || size > e->capacity ||
	    size > e->msg_len)
		goto bad;
	c->rx_cur = e;
	tcp_cursor_set(&c->rx_cursor, e->iov, e->iov_count, size);
	tcp_rdm_body(c, size, 0);
	return;
bad:
	tcp_rdm_protocol_error(c, "rendezvous data for no receive");
}

static void tcp_rdm_finish_data(struct tcp_rdm_conn *c)
{
	struct tcp_rdm_ep *ep = c->ep;
	struct tcp_rdm_rx *e = c->rx_cur;
	size_t size = (size_t)c->rx_hdr.size;
	uint32_t peer_id = e->peer_id;

	c->rx_cur = NULL;
	if (e->parent) {
		struct tcp_rdm_rx *parent = e->parent;

		tcp_rdm_mrecv_done(ep, parent,
				   size < e->msg_len ? FI_ETRUNC : 0,
				   e->iov_count ? e->iov[0].iov_base : NULL,
				   size, e->msg_len - size, e->hflags,
				   e->data, e->src);
		tcp_rdm_rx_put(ep, e);
	} else {
		tcp_rdm_rx_report(ep, e, e->hflags, e->msg_len, e->tag,
				  e->data, e->src);
	}
	if (c->rx_hdr.flags & TCP_HDR_ACK)
		tcp_rdm_send_ack(c, peer_id);
}

static void tcp_rdm_start_ack(struct tcp_rdm_conn *c)
{
	struct tcp_rdm_ep *ep = c->ep;
	uint32_t id = tcp_hdr_id(&c->rx_hdr);
	struct tcp_rdm_tx *e;

	if (id >= ep->tx_size || c->rx_hdr.size)
		goto bad;
	e = &ep->tx_pool[id];
	if (!e->busy || e->wait != TCP_RDM_TXW_ACK || e->peer != c->peer)
		goto bad;
	tcp_rdm_tx_done(ep, e, 0);
	tcp_rdm_body(c, 0, 0);
	return;
bad:
	tcp_rdm_protocol_error(c, "acknowledgement for no send");
}

static void tcp_rdm_finish_none(struct tcp_rdm_conn *c)
{
	(void)c;
}

/* Per wire opcode (bounds-checked by tcp_rdm_hdr_valid first). */
static void (*const tcp_rdm_start_ops[TCP_OP_RDM_COUNT])(
	struct tcp_rdm_conn *) = {
	[TCP_OP_MSG] = tcp_rdm_start_msg,
	[TCP_OP_TAGGED] = tcp_rdm_start_msg,
	[TCP_OP_WRITE] = tcp_rdm_rma_rx_start,
	[TCP_OP_READ] = tcp_rdm_rma_rx_start,
	[TCP_OP_ATOMIC] = tcp_rdm_rma_rx_start,
	[TCP_OP_RESP] = tcp_rdm_rma_rx_start,
	[TCP_OP_RTS] = tcp_rdm_start_rts,
	[TCP_OP_CTS] = tcp_rdm_start_cts,
	[TCP_OP_DATA] = tcp_rdm_start_data,
	[TCP_OP_ACK] = tcp_rdm_start_ack,
};

static void (*const tcp_rdm_finish_ops[TCP_OP_RDM_COUNT])(
	struct tcp_rdm_conn *) = {
	[TCP_OP_MSG] = tcp_rdm_finish_msg,
	[TCP_OP_TAGGED] = tcp_rdm_finish_msg,
	[TCP_OP_WRITE] = tcp_rdm_rma_rx_finish,
	[TCP_OP_READ] = tcp_rdm_rma_rx_finish,
	[TCP_OP_ATOMIC] = tcp_rdm_rma_rx_finish,
	[TCP_OP_RESP] = tcp_rdm_rma_rx_finish,
	[TCP_OP_RTS] = tcp_rdm_finish_none,
	[TCP_OP_CTS] = tcp_rdm_finish_none,
	[TCP_OP_DATA] = tcp_rdm_finish_data,
	[TCP_OP_ACK] = tcp_rdm_finish_none,
};

/* ---- receive: the state machine ----------------------------------------- */

static void tcp_rdm_rx_start(struct tcp_rdm_conn *c)
{
	tcp_rdm_start_ops[c->rx_hdr.op](c);
}

static void tcp_rdm_rx_finish(struct tcp_rdm_conn *c)
{
	c->rx_state = TCP_RDM_RX_HDR;
	c->rx_hdr_got = 0;
	tcp_rdm_finish_ops[c->rx_hdr.op](c);
}

/* Refill the (empty) staging buffer: > 0 read, 0 nothing now, < 0 the
 * connection failed (and is gone). */
static ssize_t tcp_rdm_stage_fill(struct tcp_rdm_conn *c)
{
	for (;;) {
		ssize_t n = recv(c->sock, c->stage, TCP_RDM_STAGE_SIZE,
				 MSG_DONTWAIT);

		if (n > 0) {
			c->stage_pos = 0;
			c->stage_len = (size_t)n;
			c->drained = n < TCP_RDM_STAGE_SIZE;
			return n;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		tcp_rdm_conn_fail(c, FI_ECONNRESET);
		return -1;
	}
}

/* Body bytes with nothing staged: one readv() into the destination, the
 * staging buffer behind it. false: nothing more now (or c failed). */
static bool tcp_rdm_read_direct(struct tcp_rdm_conn *c)
{
	struct iovec iov[TCP_IOV_LIMIT + 1];
	struct tcp_iov_cursor *cur = &c->rx_cursor;
	size_t n_iov = 0, body, want = TCP_RDM_STAGE_SIZE;
	ssize_t n;

	for (size_t i = cur->idx; i < cur->count; i++) {
		iov[n_iov++] = cur->iov[i];
		want += cur->iov[i].iov_len;
	}
	iov[n_iov].iov_base = c->stage;
	iov[n_iov].iov_len = TCP_RDM_STAGE_SIZE;
	n_iov++;
	for (;;) {
		n = readv(c->sock, iov, (int)n_iov);
		if (n > 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		tcp_rdm_conn_fail(c, FI_ECONNRESET);
		return false;
	}
	c->drained = (size_t)n < want;
	body = (size_t)n < c->rx_left ? (size_t)n : c->rx_left;
	tcp_cursor_advance(cur, NULL, body);
	c->rx_left -= body;
	c->stage_pos = 0;
	c->stage_len = (size_t)n - body;
	return true;
}

/* Collect header bytes from the stage; true once the header (and its RMA
 * header) is whole and validated. */
static bool tcp_rdm_hdr_collect(struct tcp_rdm_conn *c, bool *failed)
{
	for (;;) {
		size_t need = sizeof(c->rx_hdr);
		size_t avail = c->stage_len - c->stage_pos;
		size_t k;
		uint8_t *dst;

		if (c->rx_hdr_got >= sizeof(c->rx_hdr))
			need += sizeof(c->rx_rma);
		if (!avail)
			return false;
		k = need - c->rx_hdr_got;
		if (k > avail)
			k = avail;
		dst = c->rx_hdr_got < sizeof(c->rx_hdr)
			      ? (uint8_t *)&c->rx_hdr + c->rx_hdr_got
			      : (uint8_t *)&c->rx_rma +
					(c->rx_hdr_got - sizeof(c->rx_hdr));
		memcpy(dst, c->stage + c->stage_pos, k);
		c->rx_hdr_got += k;
		c->stage_pos += k;
		if (c->rx_hdr_got < need)
			return false;
		if (need == sizeof(c->rx_hdr)) {
			struct tcp_hdr *h = &c->rx_hdr;

			if (!tcp_rdm_hdr_valid(h, c->ep->util.max_msg_size)) {
				FI_WARN(&tcp_prov, FI_LOG_EP_DATA,
					"peer sent bytes that are not a weft "
					"tcp message (version %u, op %u): "
					"closing the connection\n",
					h->version, h->op);
				tcp_rdm_conn_fail(c, FI_EIO);
				*failed = true;
				return false;
			}
			h->flags = le16toh(h->flags);
			h->size = le64toh(h->size);
			h->tag = le64toh(h->tag);
			h->data = le64toh(h->data);
			if (tcp_op_has_rma(h->op))
				continue;
		} else {
			c->rx_rma.addr = le64toh(c->rx_rma.addr);
			c->rx_rma.key = le64toh(c->rx_rma.key);
			c->rx_rma.len = le64toh(c->rx_rma.len);
			c->rx_rma.status =
				(int32_t)le32toh((uint32_t)c->rx_rma.status);
		}
		return true;
	}
}

/* Read and handle what c has. Returns with the stage empty, or stalled,
 * or c failed (gone: do not touch it after a failure). */
void tcp_rdm_rx_read(struct tcp_rdm_conn *c)
{
	unsigned reads = 16; /* socket reads per call: fairness */

	/* A read that returned less than it asked for emptied the socket:
	 * stop there rather than pay a read that finds nothing (epoll,
	 * level-triggered, reports the socket again when more arrives). */
	c->drained = false;
	for (;;) {
		size_t avail = c->stage_len - c->stage_pos;
		bool failed = false;

		switch (c->rx_state) {
		case TCP_RDM_RX_STALLED:
			return;
		case TCP_RDM_RX_HDR:
			if (!avail) {
				if (c->drained || !reads-- ||
				    tcp_rdm_stage_fill(c) <= 0)
					return;
				continue;
			}
			if (!tcp_rdm_hdr_collect(c, &failed)) {
				if (failed)
					return;
				continue;
			}
			tcp_rdm_rx_start(c);
			if (c->dead)
				return;
			continue;
		case TCP_RDM_RX_BODY:
			if (c->rx_left) {
				if (avail) {
					size_t k = avail < c->rx_left
							   ? avail
							   : c->rx_left;

					tcp_cursor_advance(
						&c->rx_cursor,
						c->stage + c->stage_pos, k);
					c->rx_left -= k;
					c->stage_pos += k;
				} else if (c->drained || !reads-- ||
					   !tcp_rdm_read_direct(c)) {
					return;
				}
				continue;
			}
			if (c->rx_discard) {
				size_t k;

				if (!avail) {
					if (c->drained || !reads-- ||
					    tcp_rdm_stage_fill(c) <= 0)
						return;
					continue;
				}
				k = avail < c->rx_discard ? avail
							  : c->rx_discard;
				c->rx_discard -= k;
				c->stage_pos += k;
				continue;
			}
			tcp_rdm_rx_finish(c);
			if (c->dead)
				return;
			continue;
		}
	}
}

void tcp_rdm_rx_unstall(struct tcp_rdm_ep *ep)
{
	struct weft_list *l, *n;

	for (l = ep->stalled.next; l != &ep->stalled; l = n) {
		struct tcp_rdm_conn *c =
			weft_container_of(l, struct tcp_rdm_conn, stall_link);

		n = l->next;
		if (c->dead)
			continue;
		tcp_rdm_rx_start(c);
		if (c->dead || c->rx_state == TCP_RDM_RX_STALLED)
			continue;
		weft_list_remove(&c->stall_link);
		c->stalled = false;
		tcp_rdm_rx_read(c);
	}
}

void tcp_rdm_rx_abort(struct tcp_rdm_conn *c, int err)
{
	struct tcp_rdm_ep *ep = c->ep;
	struct tcp_rdm_rx *e = c->rx_cur;

	c->rx_cur = NULL;
	if (e && c->rx_state == TCP_RDM_RX_BODY) {
		if (e->kind == TCP_RDM_RXE_RNDV)
			; /* failed with the connection's other rendezvous */
		else if (e->multi)
			tcp_rdm_mrecv_done(ep, e, err, c->rx_mbuf, 0, 0, 0, 0,
					   FI_ADDR_NOTAVAIL);
		else
			tcp_rdm_rx_fail(ep, e, err);
	}
	if (c->rx_unexp) {
		tcp_rdm_unexp_free(ep, c->rx_unexp);
		c->rx_unexp = NULL;
	}
	c->rx_state = TCP_RDM_RX_HDR;
}

/* ---- the endpoint's progress function ----------------------------------- */

void tcp_rdm_progress(struct weft_ep *wep)
{
	struct tcp_rdm_ep *ep = weft_container_of(wep, struct tcp_rdm_ep, util);
	struct epoll_event ev[TCP_RDM_EVENTS];
	struct tcp_rdm_conn *hot;
	int n;

	weft_lock_acquire(&wep->lock);
	if (ep->lsock < 0)
		goto out;
	/* Fast path: most calls read the connection that last delivered
	 * straight away, without epoll_wait: a ping-pong then notices the
	 * answer in the one recv() it was spinning on. Every
	 * TCP_RDM_EPOLL_EVERY-th call (and whenever the hot connection is
	 * not simply reading) takes the full epoll pass, so other
	 * connections, new ones and pending writes wait at most that many
	 * calls. */
	hot = ep->hot;
	if (hot && ++ep->fast_calls < TCP_RDM_EPOLL_EVERY &&
	    hot->state == TCP_RDM_UP && !hot->pollout &&
	    hot->rx_state != TCP_RDM_RX_STALLED) {
		tcp_rdm_rx_read(hot);
		goto tail;
	}
	ep->fast_calls = 0;
	n = epoll_wait(ep->epfd, ev, TCP_RDM_EVENTS, 0);
	for (int i = 0; i < n; i++) {
		struct tcp_rdm_conn *c;

		if (ev[i].data.ptr == ep) {
			tcp_rdm_accept_all(ep);
			continue;
		}
		c = ev[i].data.ptr;
		if (c->dead)
			continue;
		if (c->state != TCP_RDM_UP) {
			tcp_rdm_conn_cm_event(c, ev[i].events);
			continue;
		}
		if (ev[i].events & EPOLLOUT) {
			tcp_rdm_tx_write(c);
			if (c->dead)
				continue;
		}
		if (ev[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
			tcp_rdm_rx_read(c);
			if (!c->dead)
				ep->hot = c;
		}
	}
tail:
	/* Connections waiting for a control entry or buffer room: entries
	 * written above may have freed what they need. */
	if (!weft_list_empty(&ep->stalled))
		tcp_rdm_rx_unstall(ep);
	if (ep->accepting || !weft_list_empty(&ep->retry))
		tcp_rdm_conn_timeouts(ep);
	tcp_rdm_conn_reap(ep);
out:
	weft_lock_release(&wep->lock);
}
