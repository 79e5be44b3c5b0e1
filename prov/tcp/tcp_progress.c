/* Progress of connected endpoints, split by phase: transmit (write the tx
 * queue), receive (headers, then payload into the matched buffer), and
 * the failure path (flush outstanding operations).
 *
 * Receive: bytes come off the socket into the endpoint's staging buffer
 * (one recv() may carry several small messages); a header is parsed from
 * it, validated (tcp_hdr_valid: anything else closes the connection), and
 * matched against the posted receives. Payload already staged is copied;
 * the rest is read with one readv() straight into the posted buffer, with
 * the staging buffer as the last iov to pick up what follows. A message
 * nobody has posted for is buffered while the endpoint's unexpected bytes
 * stay under tcp_params.unexp_limit; past that the stream stalls (nothing
 * more is read) until a receive is posted, so TCP's flow control holds
 * the sender back instead of this process running out of memory.
 *
 * All functions run under util.lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "tcp.h"

/* ---- helpers ---------------------------------------------------------- */

void tcp_cursor_set(struct tcp_iov_cursor *c, const struct iovec *iov,
		    size_t count, size_t limit)
{
	c->count = 0;
	c->idx = 0;
	for (size_t i = 0; i < count && limit; i++) {
		size_t n = iov[i].iov_len < limit ? iov[i].iov_len : limit;

		c->iov[c->count].iov_base = iov[i].iov_base;
		c->iov[c->count].iov_len = n;
		c->count++;
		limit -= n;
	}
}

/* Move n bytes through the cursor, copying from src when not NULL. */
void tcp_cursor_advance(struct tcp_iov_cursor *c, const uint8_t *src, size_t n)
{
	while (n && c->idx < c->count) {
		struct iovec *v = &c->iov[c->idx];
		size_t k = v->iov_len < n ? v->iov_len : n;

		if (src) {
			memcpy(v->iov_base, src, k);
			src += k;
		}
		v->iov_base = (uint8_t *)v->iov_base + k;
		v->iov_len -= k;
		n -= k;
		if (!v->iov_len)
			c->idx++;
	}
}

size_t tcp_iov_consume(struct iovec *iov, size_t count, size_t *idx, size_t n)
{
	while (n && *idx < count) {
		struct iovec *v = &iov[*idx];
		size_t k = v->iov_len < n ? v->iov_len : n;

		v->iov_base = (uint8_t *)v->iov_base + k;
		v->iov_len -= k;
		n -= k;
		if (!v->iov_len)
			(*idx)++;
	}
	return n;
}

size_t tcp_copy_to_iov(const struct iovec *iov, size_t count,
		       const uint8_t *src, size_t len)
{
	size_t done = 0;

	for (size_t i = 0; i < count && done < len; i++) {
		size_t k = iov[i].iov_len < len - done ? iov[i].iov_len
						       : len - done;

		memcpy(iov[i].iov_base, src + done, k);
		done += k;
	}
	return done;
}

static uint64_t tcp_rx_flags(const struct tcp_rx_entry *e, uint16_t hflags)
{
	return FI_RECV | (e->tagged ? FI_TAGGED : FI_MSG) |
	       ((hflags & TCP_HDR_CQ_DATA) ? FI_REMOTE_CQ_DATA : 0) |
	       (e->flags & FI_COMPLETION);
}

/* Report receive e done with a message of size bytes (of which the first
 * min(size, capacity) landed), and recycle e. */
static void tcp_rx_report(struct tcp_ep *ep, struct tcp_rx_entry *e,
			  uint16_t hflags, size_t size, uint64_t tag,
			  uint64_t data)
{
	uint64_t flags = tcp_rx_flags(e, hflags);
	void *buf = e->iov_count ? e->iov[0].iov_base : NULL;

	if (!(hflags & TCP_HDR_CQ_DATA))
		data = 0;
	if (size > e->capacity)
		weft_ep_rx_error(&ep->util, e->context, flags, FI_ETRUNC,
				 FI_ETRUNC, buf, e->capacity,
				 size - e->capacity, data, tag);
	else
		weft_ep_rx_complete(&ep->util, e->context, flags, size, buf,
				    data, e->tagged ? tag : 0,
				    FI_ADDR_NOTAVAIL);
	weft_list_push_back(&ep->rx_free, &e->free_link);
}

void tcp_rx_deliver_unexp(struct tcp_ep *ep, struct tcp_rx_entry *e,
			  struct tcp_unexp *u)
{
	tcp_copy_to_iov(e->iov, e->iov_count, u->buf, u->size);
	tcp_rx_report(ep, e, u->flags, u->size, u->match.tag, u->data);
	ep->unexp_bytes -= u->size;
	free(u->buf);
	free(u);
}

/* ---- transmit --------------------------------------------------------- */

void tcp_tx_written(struct tcp_ep *ep, struct tcp_tx_entry *e)
{
	weft_list_remove(&e->link);
	switch (e->kind) {
	case TCP_TX_RESP:
		weft_list_push_back(&ep->resp_free, &e->link);
		return;
	case TCP_TX_RMA:
		/* Completes when the target answers. */
		weft_list_push_back(&ep->rma_pending, &e->link);
		return;
	case TCP_TX_SEND:
		break;
	}
	if (e->report)
		weft_ep_tx_complete(&ep->util, e->context, e->flags, e->len,
				    NULL, 0, 0);
	else
		weft_ep_cntr_inc(&ep->util, WEFT_CNTR_SEND);
	weft_list_push_back(&ep->tx_free, &e->link);
}

/* Write as much of the tx queue as the socket takes. Consecutive entries
 * go out in one sendmsg() (small sends coalesce). */
void tcp_tx_progress(struct tcp_ep *ep)
{
	enum { TCP_TX_GATHER = 64 };
	struct iovec iov[TCP_TX_GATHER];

	while (ep->state == TCP_EP_CONNECTED && !weft_list_empty(&ep->tx_queue)) {
		struct msghdr mh;
		struct weft_list *l;
		size_t n_iov = 0;
		ssize_t n;

		for (l = ep->tx_queue.next; l != &ep->tx_queue; l = l->next) {
			struct tcp_tx_entry *e =
				weft_container_of(l, struct tcp_tx_entry, link);

			if (n_iov + (e->iov_count - e->idx) > TCP_TX_GATHER)
				break;
			for (size_t i = e->idx; i < e->iov_count; i++)
				iov[n_iov++] = e->iov[i];
		}
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = n_iov;
		n = sendmsg(ep->sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				tcp_ep_set_pollout(ep, true);
				return;
			}
			FI_INFO(&tcp_prov, FI_LOG_EP_DATA, "send: %s\n",
				strerror(errno));
			tcp_ep_down(ep, FI_ECONNRESET);
			return;
		}
		/* Walk the entries the bytes covered. */
		while (n > 0) {
			struct tcp_tx_entry *e = weft_container_of(
				ep->tx_queue.next, struct tcp_tx_entry, link);

			n = (ssize_t)tcp_iov_consume(e->iov, e->iov_count,
						     &e->idx, (size_t)n);
			if (e->idx == e->iov_count)
				tcp_tx_written(ep, e);
		}
		/* Entries with nothing left (a zero-length iov tail). */
		while (!weft_list_empty(&ep->tx_queue)) {
			struct tcp_tx_entry *e = weft_container_of(
				ep->tx_queue.next, struct tcp_tx_entry, link);

			if (e->idx < e->iov_count)
				break;
			tcp_tx_written(ep, e);
		}
	}
	tcp_ep_set_pollout(ep, false);
}

/* ---- receive ---------------------------------------------------------- */

/* Refill the (empty) staging buffer. > 0 bytes read, 0 nothing now, < 0
 * the connection is gone (already handled). */
static ssize_t tcp_stage_fill(struct tcp_ep *ep)
{
	ssize_t n;

	for (;;) {
		n = recv(ep->sock, ep->stage, TCP_RX_STAGE_SIZE, MSG_DONTWAIT);
		if (n > 0) {
			ep->stage_pos = 0;
			ep->stage_len = (size_t)n;
			return n;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			FI_INFO(&tcp_prov, FI_LOG_EP_DATA, "recv: %s\n",
				strerror(errno));
		tcp_ep_down(ep, FI_ECONNRESET);
		return -1;
	}
}

/* A whole message header is in ep->rx_hdr (host order): find the receive
 * its payload goes to, or buffer it, or stall. */
static void tcp_rx_start_msg(struct tcp_ep *ep)
{
	const struct tcp_hdr *h = &ep->rx_hdr;
	bool tagged = h->op == TCP_OP_TAGGED;
	size_t size = (size_t)h->size;
	struct weft_match *m;
	struct tcp_unexp *u;

	m = weft_match_posted_take(tagged ? &ep->posted_tag : &ep->posted_msg,
				   tagged ? h->tag : 0, FI_ADDR_UNSPEC);
	if (m) {
		struct tcp_rx_entry *e =
			weft_container_of(m, struct tcp_rx_entry, match);
		size_t land = size < e->capacity ? size : e->capacity;

		ep->rx_cur = e;
		tcp_cursor_set(&ep->rx_cursor, e->iov, e->iov_count, land);
		ep->rx_left = land;
		ep->rx_discard = size - land;
		ep->rx_state = TCP_RX_BODY;
		return;
	}
	if (ep->unexp_bytes + size > tcp_params.unexp_limit)
		goto stall;
	u = calloc(1, sizeof(*u));
	if (!u)
		goto stall;
	u->buf = size ? malloc(size) : NULL;
	if (size && !u->buf) {
		free(u);
		goto stall;
	}
	u->op = h->op;
	u->flags = h->flags;
	u->data = h->data;
	u->size = size;
	u->match.tag = tagged ? h->tag : 0;
	u->match.ignore = 0;
	u->match.addr = FI_ADDR_NOTAVAIL;
	ep->unexp_bytes += size;
	ep->rx_unexp = u;
	ep->rx_cursor.count = 0;
	ep->rx_cursor.idx = 0;
	if (size) {
		ep->rx_cursor.iov[0].iov_base = u->buf;
		ep->rx_cursor.iov[0].iov_len = size;
		ep->rx_cursor.count = 1;
	}
	ep->rx_left = size;
	ep->rx_discard = 0;
	ep->rx_state = TCP_RX_BODY;
	return;
stall:
	ep->rx_state = TCP_RX_STALLED;
}

static void tcp_rx_finish_msg(struct tcp_ep *ep);

/* Per wire opcode (bounds-checked by tcp_hdr_valid before use): what to
 * do once the header is whole, and once the payload has landed. */
static void (*const tcp_rx_start_ops[TCP_OP_COUNT])(struct tcp_ep *) = {
	[TCP_OP_MSG] = tcp_rx_start_msg,
	[TCP_OP_TAGGED] = tcp_rx_start_msg,
	[TCP_OP_WRITE] = tcp_rma_rx_start,
	[TCP_OP_READ] = tcp_rma_rx_start,
	[TCP_OP_ATOMIC] = tcp_rma_rx_start,
	[TCP_OP_RESP] = tcp_rma_rx_start,
};

static void (*const tcp_rx_finish_ops[TCP_OP_COUNT])(struct tcp_ep *) = {
	[TCP_OP_MSG] = tcp_rx_finish_msg,
	[TCP_OP_TAGGED] = tcp_rx_finish_msg,
	[TCP_OP_WRITE] = tcp_rma_rx_finish,
	[TCP_OP_READ] = tcp_rma_rx_finish,
	[TCP_OP_ATOMIC] = tcp_rma_rx_finish,
	[TCP_OP_RESP] = tcp_rma_rx_finish,
};

static void tcp_rx_start(struct tcp_ep *ep)
{
	tcp_rx_start_ops[ep->rx_hdr.op](ep);
}

void tcp_rx_posted(struct tcp_ep *ep)
{
	tcp_rx_start(ep);
	if (ep->rx_state == TCP_RX_BODY)
		tcp_rx_progress(ep);
}

/* The payload of the current message has landed. */
static void tcp_rx_finish(struct tcp_ep *ep)
{
	ep->rx_state = TCP_RX_HDR;
	ep->rx_hdr_got = 0;
	tcp_rx_finish_ops[ep->rx_hdr.op](ep);
}

static void tcp_rx_finish_msg(struct tcp_ep *ep)
{
	const struct tcp_hdr *h = &ep->rx_hdr;
	struct tcp_unexp *u = ep->rx_unexp;

	if (ep->rx_cur) {
		struct tcp_rx_entry *e = ep->rx_cur;

		ep->rx_cur = NULL;
		tcp_rx_report(ep, e, h->flags, (size_t)h->size, h->tag,
			      h->data);
		return;
	}
	ep->rx_unexp = NULL;
	if (!u)
		return;
	/* A receive may have been posted while the payload was arriving:
	 * it was queued behind this message, so it takes it now. */
	{
		struct weft_match *m = weft_match_posted_take(
			u->op == TCP_OP_TAGGED ? &ep->posted_tag
					       : &ep->posted_msg,
			u->match.tag, FI_ADDR_UNSPEC);

		if (m) {
			tcp_rx_deliver_unexp(
				ep,
				weft_container_of(m, struct tcp_rx_entry,
						  match),
				u);
			return;
		}
	}
	weft_match_queue_push(u->op == TCP_OP_TAGGED ? &ep->unexp_tag
						     : &ep->unexp_msg,
			      &u->match);
}

static void tcp_rx_bad_header(struct tcp_ep *ep)
{
	FI_WARN(&tcp_prov, FI_LOG_EP_DATA,
		"peer sent bytes that are not a weft tcp message (version %u, "
		"op %u): closing the connection\n",
		ep->rx_hdr.version, ep->rx_hdr.op);
	tcp_ep_down(ep, FI_EIO);
}

/* Body bytes with nothing staged: one readv() into the destination, with
 * the staging buffer behind it. false when nothing more can be read now
 * (or the connection went down). */
static bool tcp_rx_read_direct(struct tcp_ep *ep)
{
	struct iovec iov[TCP_IOV_LIMIT + 1];
	struct tcp_iov_cursor *c = &ep->rx_cursor;
	size_t n_iov = 0, body;
	ssize_t n;

	for (size_t i = c->idx; i < c->count; i++)
		iov[n_iov++] = c->iov[i];
	iov[n_iov].iov_base = ep->stage;
	iov[n_iov].iov_len = TCP_RX_STAGE_SIZE;
	n_iov++;
	for (;;) {
		n = readv(ep->sock, iov, (int)n_iov);
		if (n > 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (n < 0)
			FI_INFO(&tcp_prov, FI_LOG_EP_DATA, "recv: %s\n",
				strerror(errno));
		tcp_ep_down(ep, FI_ECONNRESET);
		return false;
	}
	body = (size_t)n < ep->rx_left ? (size_t)n : ep->rx_left;
	tcp_cursor_advance(c, NULL, body);
	ep->rx_left -= body;
	ep->stage_pos = 0;
	ep->stage_len = (size_t)n - body;
	return true;
}

void tcp_rx_progress(struct tcp_ep *ep)
{
	unsigned budget = TCP_RX_BUDGET;

	while (ep->state == TCP_EP_CONNECTED && budget) {
		size_t avail = ep->stage_len - ep->stage_pos;
		const uint8_t *p = ep->stage + ep->stage_pos;

		switch (ep->rx_state) {
		case TCP_RX_STALLED:
			/* Waiting for a receive, buffer room or an answer
			 * entry: try again, the reason may be gone. */
			tcp_rx_start(ep);
			if (ep->rx_state == TCP_RX_STALLED)
				return;
			continue;
		case TCP_RX_HDR: {
			size_t need = sizeof(ep->rx_hdr);
			size_t k;
			uint8_t *dst;

			if (ep->rx_hdr_got >= sizeof(ep->rx_hdr))
				need += sizeof(ep->rx_rma);
			if (!avail) {
				if (tcp_stage_fill(ep) <= 0)
					return;
				continue;
			}
			k = need - ep->rx_hdr_got;
			if (k > avail)
				k = avail;
			dst = ep->rx_hdr_got < sizeof(ep->rx_hdr)
				      ? (uint8_t *)&ep->rx_hdr + ep->rx_hdr_got
				      : (uint8_t *)&ep->rx_rma +
						(ep->rx_hdr_got -
						 sizeof(ep->rx_hdr));
			memcpy(dst, p, k);
			ep->rx_hdr_got += k;
			ep->stage_pos += k;
			if (ep->rx_hdr_got < need)
				continue;
			if (need == sizeof(ep->rx_hdr)) {
				if (!tcp_hdr_valid(&ep->rx_hdr,
						   ep->util.max_msg_size)) {
					tcp_rx_bad_header(ep);
					return;
				}
				ep->rx_hdr.flags = le16toh(ep->rx_hdr.flags);
				ep->rx_hdr.size = le64toh(ep->rx_hdr.size);
				ep->rx_hdr.tag = le64toh(ep->rx_hdr.tag);
				ep->rx_hdr.data = le64toh(ep->rx_hdr.data);
				if (tcp_op_has_rma(ep->rx_hdr.op))
					continue; /* its RMA header next */
			} else {
				ep->rx_rma.addr = le64toh(ep->rx_rma.addr);
				ep->rx_rma.key = le64toh(ep->rx_rma.key);
				ep->rx_rma.len = le64toh(ep->rx_rma.len);
				ep->rx_rma.status = (int32_t)le32toh(
					(uint32_t)ep->rx_rma.status);
			}
			tcp_rx_start(ep);
			continue;
		}
		case TCP_RX_BODY:
			if (ep->rx_left) {
				if (avail) {
					size_t k = avail < ep->rx_left
							   ? avail
							   : ep->rx_left;

					tcp_cursor_advance(&ep->rx_cursor, p, k);
					ep->rx_left -= k;
					ep->stage_pos += k;
				} else if (!tcp_rx_read_direct(ep)) {
					return;
				}
				continue;
			}
			if (ep->rx_discard) {
				size_t k;

				if (!avail) {
					if (tcp_stage_fill(ep) <= 0)
						return;
					continue;
				}
				k = avail < ep->rx_discard ? avail
							   : ep->rx_discard;
				ep->rx_discard -= k;
				ep->stage_pos += k;
				continue;
			}
			tcp_rx_finish(ep);
			budget--;
			continue;
		}
	}
}

/* ---- failure ---------------------------------------------------------- */

static void tcp_rx_fail(struct tcp_ep *ep, struct tcp_rx_entry *e, int err)
{
	weft_ep_rx_error(&ep->util, e->context,
			 FI_RECV | (e->tagged ? FI_TAGGED : FI_MSG) |
				 (e->flags & FI_COMPLETION),
			 err, err, e->iov_count ? e->iov[0].iov_base : NULL, 0,
			 0, 0, e->match.tag);
	weft_list_push_back(&ep->rx_free, &e->free_link);
}

static void tcp_rx_fail_queue(struct tcp_ep *ep, struct weft_match_queue *q,
			      int err)
{
	struct weft_list *l;

	while ((l = weft_list_pop_front(&q->list)))
		tcp_rx_fail(ep, weft_container_of(l, struct tcp_rx_entry,
						  match.link),
			    err);
}

void tcp_ep_flush(struct tcp_ep *ep, int err)
{
	struct weft_list *l;

	while ((l = weft_list_pop_front(&ep->tx_queue))) {
		struct tcp_tx_entry *e =
			weft_container_of(l, struct tcp_tx_entry, link);

		if (e->kind == TCP_TX_RESP) {
			weft_list_push_back(&ep->resp_free, &e->link);
			continue;
		}
		if (e->report)
			weft_ep_tx_error(&ep->util, e->context, e->flags, err,
					 err, e->len, 0);
		else if (ep->util.cntrs[weft_ep_tx_cntr_kind(e->flags)])
			weft_cntr_inc_err(
				ep->util.cntrs[weft_ep_tx_cntr_kind(e->flags)]);
		weft_list_push_back(&ep->tx_free, &e->link);
	}
	tcp_rma_flush(ep, err);
	if (ep->rx_cur) {
		tcp_rx_fail(ep, ep->rx_cur, err);
		ep->rx_cur = NULL;
	}
	if (ep->rx_unexp) {
		ep->unexp_bytes -= ep->rx_unexp->size;
		free(ep->rx_unexp->buf);
		free(ep->rx_unexp);
		ep->rx_unexp = NULL;
	}
	tcp_rx_fail_queue(ep, &ep->posted_msg, FI_ECANCELED);
	tcp_rx_fail_queue(ep, &ep->posted_tag, FI_ECANCELED);
	ep->rx_state = TCP_RX_HDR;
	ep->rx_hdr_got = 0;
	ep->stage_pos = ep->stage_len = 0;
}

static int tcp_rx_cancel_in(struct tcp_ep *ep, struct weft_match_queue *q,
			    void *context)
{
	for (struct weft_list *l = q->list.next; l != &q->list; l = l->next) {
		struct tcp_rx_entry *e =
			weft_container_of(l, struct tcp_rx_entry, match.link);

		if (e->context == context) {
			weft_match_remove(&e->match);
			tcp_rx_fail(ep, e, FI_ECANCELED);
			return 0;
		}
	}
	return -FI_ENOENT;
}

int tcp_rx_cancel(struct tcp_ep *ep, void *context)
{
	if (tcp_rx_cancel_in(ep, &ep->posted_msg, context) == 0)
		return 0;
	return tcp_rx_cancel_in(ep, &ep->posted_tag, context);
}

void tcp_ep_free_unexp(struct tcp_ep *ep)
{
	struct weft_list *qs[] = { &ep->unexp_msg.list, &ep->unexp_tag.list,
				   &ep->claimed };
	struct weft_list *l;

	for (size_t i = 0; i < 3; i++) {
		while ((l = weft_list_pop_front(qs[i]))) {
			struct tcp_unexp *u =
				weft_container_of(l, struct tcp_unexp,
						  match.link);

			free(u->buf);
			free(u);
		}
	}
	if (ep->rx_unexp) {
		free(ep->rx_unexp->buf);
		free(ep->rx_unexp);
		ep->rx_unexp = NULL;
	}
	ep->unexp_bytes = 0;
}

/* ---- readiness across the domain's endpoints (struct tcp_domain) ------ */

/* Up to this many endpoints in a domain, each progress call simply tries
 * its socket (one syscall, the fewest for a busy-polled connection);
 * beyond it, calls go through the domain's readiness poll. */
#define TCP_POLL_DIRECT_EPS 4
#define TCP_POLL_EVENTS 256

int tcp_domain_add_ep(struct tcp_domain *dom, struct tcp_ep *ep)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ep };
	int ret;

	atomic_init(&ep->ready, false);
	atomic_init(&ep->again, false);
	atomic_init(&ep->seen_seq, 0);
	pthread_mutex_lock(&dom->poll_lock);
	ret = epoll_ctl(dom->epfd, EPOLL_CTL_ADD, ep->epfd, &ev) ? -errno : 0;
	if (!ret) {
		ep->in_domain = true;
		atomic_fetch_add_explicit(&dom->neps, 1, memory_order_relaxed);
	}
	pthread_mutex_unlock(&dom->poll_lock);
	if (!ret && dom->auto_progress) {
		ret = weft_progress_thread_add(&dom->pt, &ep->util);
		if (ret)
			tcp_domain_remove_ep(dom, ep);
	}
	return ret;
}

void tcp_domain_remove_ep(struct tcp_domain *dom, struct tcp_ep *ep)
{
	if (dom->auto_progress)
		weft_progress_thread_remove(&dom->pt, &ep->util);
	/* Under poll_lock no poller is marking endpoints: once out of epfd,
	 * ep is never touched by another endpoint's progress again. */
	pthread_mutex_lock(&dom->poll_lock);
	if (ep->in_domain) {
		epoll_ctl(dom->epfd, EPOLL_CTL_DEL, ep->epfd, NULL);
		ep->in_domain = false;
		atomic_fetch_sub_explicit(&dom->neps, 1, memory_order_relaxed);
	}
	pthread_mutex_unlock(&dom->poll_lock);
}

/* Ask the domain's epfd once which endpoints are ready and mark them. If
 * another thread is polling, its marks will do. */
static void tcp_domain_poll(struct tcp_domain *dom)
{
	struct epoll_event ev[TCP_POLL_EVENTS];
	int n;

	if (pthread_mutex_trylock(&dom->poll_lock))
		return;
	n = epoll_wait(dom->epfd, ev, TCP_POLL_EVENTS, 0);
	for (int i = 0; i < n; i++) {
		struct tcp_ep *ep = ev[i].data.ptr;

		atomic_store_explicit(&ep->ready, true, memory_order_relaxed);
	}
	/* Release: an endpoint that sees the new sequence number also sees
	 * the marks made before it. */
	atomic_fetch_add_explicit(&dom->poll_seq, 1, memory_order_release);
	pthread_mutex_unlock(&dom->poll_lock);
}

/* Whether this progress call has socket work to do: marked ready by the
 * latest poll, or work left that no fd event announces. An endpoint that
 * has seen the latest poll polls again, so each round of progress calls
 * over a CQ's or EQ's endpoints costs one epoll_wait plus the I/O of the
 * endpoints that are ready, not one syscall per endpoint. Called without
 * util.lock (a skipped endpoint costs no lock either): `again` is read
 * relaxed, a stale value costs one round. */
static bool tcp_ep_due(struct tcp_domain *dom, struct tcp_ep *ep)
{
	uint64_t seq;

	if (!ep->in_domain ||
	    atomic_load_explicit(&dom->neps, memory_order_relaxed) <=
		    TCP_POLL_DIRECT_EPS ||
	    atomic_load_explicit(&ep->again, memory_order_relaxed) ||
	    (dom->auto_progress && weft_progress_thread_self()))
		return true;
	if (atomic_exchange_explicit(&ep->ready, false, memory_order_relaxed))
		return true;
	seq = atomic_load_explicit(&dom->poll_seq, memory_order_acquire);
	if (atomic_load_explicit(&ep->seen_seq, memory_order_relaxed) != seq) {
		/* A poll since our last look did not mark us. */
		atomic_store_explicit(&ep->seen_seq, seq,
				      memory_order_relaxed);
		return false;
	}
	tcp_domain_poll(dom);
	atomic_store_explicit(&ep->seen_seq,
			      atomic_load_explicit(&dom->poll_seq,
						   memory_order_acquire),
			      memory_order_relaxed);
	return atomic_exchange_explicit(&ep->ready, false,
					memory_order_relaxed);
}

/* Work left after a progress call that no fd event will announce. */
static bool tcp_ep_more(const struct tcp_ep *ep)
{
	if (ep->state != TCP_EP_CONNECTED)
		return false;
	return ep->stage_pos < ep->stage_len ||
	       ep->rx_state == TCP_RX_STALLED ||
	       (!weft_list_empty(&ep->tx_queue) && !ep->pollout);
}

/* ---- the endpoint's progress function --------------------------------- */

void tcp_ep_progress(struct weft_ep *wep)
{
	struct tcp_ep *ep = weft_container_of(wep, struct tcp_ep, util);
	struct tcp_domain *dom = tcp_domain_of(wep->domain);

	if (dom->auto_progress)
		weft_progress_note_app(&dom->pt);
	if (!tcp_ep_due(dom, ep))
		return;
	weft_lock_acquire(&wep->lock);
	switch (ep->state) {
	case TCP_EP_CONNECTING:
	case TCP_EP_REQ_SENDING:
	case TCP_EP_REQ_SENT:
		tcp_ep_cm_progress(ep);
		if (ep->state != TCP_EP_CONNECTED)
			break;
		/* data may follow the accept */
		__attribute__((fallthrough));
	case TCP_EP_CONNECTED:
		if (!weft_list_empty(&ep->tx_queue))
			tcp_tx_progress(ep);
		tcp_rx_progress(ep);
		/* Answers to the requests just read. */
		if (!weft_list_empty(&ep->tx_queue))
			tcp_tx_progress(ep);
		break;
	default:
		break;
	}
	atomic_store_explicit(&ep->again, tcp_ep_more(ep),
			      memory_order_relaxed);
	weft_lock_release(&wep->lock);
}
