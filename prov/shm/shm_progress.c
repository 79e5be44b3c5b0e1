/* Progress: the receive ring (arrivals, replies), queued control entries,
 * the bounce-buffer pump, the doorbell and the liveness of peers.
 *
 * Progress is manual: util calls shm_ep_progress when the application
 * reads a bound CQ or counter (and the data path calls it when a post
 * finds no room). Everything here runs under util.lock.
 *
 * Protocol (shm_proto.h has the entries):
 *   small:   INLINE                       -> the send completed at publish
 *   CMA:     RTS(iovs) ; receiver reads    ; DONE -> sender completes
 *   copies:  RTS ; CTS(want) ; DATA(slot)* / CREDIT(slot)* ; DONE
 * A receiver that finds CMA refused (EPERM) answers an RTS with CTS
 * instead, and remembers to do so for that peer.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shm.h"

#define SHM_RX_BUDGET 64
#define SHM_CHECK_PERIOD_NS 100000000ull /* liveness check: 100 ms */

/* ---- doorbell ------------------------------------------------------------ */

void shm_bell_ring_slow(struct shm_ep *ep, struct shm_peer *peer)
{
	char b = 0;

	/* Only the producer that flips bell 0 -> 1 writes: one datagram per
	 * sleep of the owner, however many entries arrive meanwhile. */
	if (shm_xchg_sc(&peer->seg.hdr->bell, 1))
		return;
	if (sendto(ep->bell_fd, &b, 1, MSG_DONTWAIT,
		   (struct sockaddr *)&peer->bell, peer->bell_len) < 0 &&
	    errno != EAGAIN && errno != ECONNREFUSED)
		FI_WARN_SPARSE(&shm_prov, FI_LOG_EP_DATA,
			       "doorbell of %" PRIu32 ":%" PRIu32 ": %s\n",
			       peer->pid, peer->n, strerror(errno));
}

static bool shm_cq_may_sleep(struct weft_cq *cq)
{
	/* A thread inside fi_cq_sread (it drives progress before counting
	 * itself a sleeper), or an application holding the fd. */
	return cq && weft_wait_has_fd(&cq->wait) &&
	       (atomic_load(&cq->in_sread) || weft_wait_should_signal(&cq->wait));
}

static bool shm_cntr_may_sleep(struct weft_cntr *c)
{
	/* fi_cntr_wait counts its sleeper only after driving progress, so a
	 * counter with an fd is always treated as possibly asleep. */
	return c && weft_wait_has_fd(&c->wait);
}

/* Publish whether we may sleep, and take in a doorbell. Called before
 * looking at the ring, so an entry published after this look rings. */
static void shm_bell_service(struct shm_ep *ep)
{
	struct shm_seg_hdr *h = ep->self.hdr;
	bool want = shm_cq_may_sleep(ep->util.rx_cq) ||
		    shm_cq_may_sleep(ep->util.tx_cq);

	for (int k = 0; k < WEFT_CNTR_KINDS && !want; k++)
		want = shm_cntr_may_sleep(ep->util.cntrs[k]);
	if (want != ep->armed) {
		/* seq_cst: our following look at the ring cannot move
		 * before this store (Dekker with shm_bell_ring). */
		shm_store_sc(&h->armed, want);
		ep->armed = want;
	}
	if (weft_load_relaxed(&h->bell)) {
		char buf[64];

		while (recv(ep->bell_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
		/* An RMW, so a producer's exchange that saw 1 (and did not
		 * ring) is ordered before our ring look below. */
		shm_xchg_sc(&h->bell, 0);
	}
}

/* ---- control entries ----------------------------------------------------- */

static void shm_entry_copy_hdr(struct shm_entry *dst,
			       const struct shm_entry *src)
{
	/* Everything after seq in the header; control entries carry no
	 * payload. */
	memcpy((uint8_t *)dst + sizeof(dst->seq),
	       (const uint8_t *)src + sizeof(src->seq),
	       offsetof(struct shm_entry, payload) - sizeof(src->seq));
}

static bool shm_ctrl_try(struct shm_ep *ep, struct shm_peer *peer,
			 const struct shm_entry *tmpl)
{
	struct shm_entry *e;
	uint64_t pos;

	e = shm_ring_claim_reply(&peer->seg, &pos);
	if (!e)
		return false;
	shm_entry_copy_hdr(e, tmpl);
	/* The control entries with a payload: an atomic's old values, a
	 * cooperative copy's receive buffers. */
	if (tmpl->op == SHM_OP_ATOMIC_RESP && tmpl->len <= SHM_INLINE_SIZE)
		memcpy(e->payload, tmpl->payload, (size_t)tmpl->len);
	else if (tmpl->op == SHM_OP_COOP && tmpl->iov_count <= SHM_IOV_LIMIT)
		memcpy(e->payload, tmpl->payload,
		       tmpl->iov_count * sizeof(struct shm_iov));
	shm_ring_publish(e, pos);
	shm_bell_ring(ep, peer);
	return true;
}

void shm_ctrl_send(struct shm_ep *ep, struct shm_peer *peer,
		   const struct shm_entry *tmpl)
{
	struct shm_ctrl *c;

	if (peer->dead || !peer->seg.hdr)
		return;
	/* Keep order behind entries already waiting. */
	if (weft_list_empty(&ep->ctrl_q) && shm_ctrl_try(ep, peer, tmpl))
		return;
	/* The peer's ring is full: keep it for the next progress. Rare, so
	 * allocated. */
	c = malloc(sizeof(*c));
	if (!c) {
		FI_WARN(&shm_prov, FI_LOG_EP_DATA,
			"control entry to %" PRIu32 ":%" PRIu32 " lost: no "
			"memory\n", peer->pid, peer->n);
		return;
	}
	c->peer = peer;
	c->e = *tmpl;
	weft_list_push_back(&ep->ctrl_q, &c->link);
}

void shm_ctrl_flush(struct shm_ep *ep)
{
	while (!weft_list_empty(&ep->ctrl_q)) {
		struct shm_ctrl *c = weft_container_of(ep->ctrl_q.next,
						       struct shm_ctrl, link);

		if (!c->peer->dead && !shm_ctrl_try(ep, c->peer, &c->e))
			return;
		weft_list_remove(&c->link);
		free(c);
	}
}

void shm_send_done(struct shm_ep *ep, struct shm_peer *peer, uint64_t cookie,
		   uint32_t status)
{
	struct shm_entry e;

	memset(&e, 0, offsetof(struct shm_entry, payload));
	shm_entry_init(ep, &e, SHM_OP_DONE, 0);
	e.cookie = cookie;
	e.slot = status;
	shm_ctrl_send(ep, peer, &e);
}

/* ---- receive side -------------------------------------------------------- */

void shm_rx_finish(struct shm_ep *ep, struct shm_rx *rx)
{
	void *buf = rx->iov_count ? rx->iov[0].iov_base : NULL;

	if (rx->parent) {
		shm_mrecv_child_end(ep, rx, 0, 0);
		return;
	}
	if (rx->msg_len > rx->cap)
		weft_ep_rx_error(&ep->util, rx->context, rx->cflags, FI_ETRUNC,
				 FI_ETRUNC, buf, rx->cap,
				 rx->msg_len - rx->cap, rx->data, rx->tag);
	else if (ep->source_err && rx->src == FI_ADDR_NOTAVAIL)
		shm_rx_source_error(ep, rx->peer, rx->context, rx->cflags, buf,
				    (size_t)rx->msg_len, rx->data, rx->tag);
	else
		weft_ep_rx_complete(&ep->util, rx->context, rx->cflags,
				    rx->msg_len, buf, rx->data, rx->tag,
				    rx->src);
	shm_rx_free(ep, rx);
}

void shm_rx_fail(struct shm_ep *ep, struct shm_rx *rx, int err,
		 int prov_errno)
{
	if (rx->parent) {
		shm_mrecv_child_end(ep, rx, err, prov_errno);
		return;
	}
	weft_ep_rx_error(&ep->util, rx->context, rx->cflags, err, prov_errno,
			 rx->iov_count ? rx->iov[0].iov_base : NULL, 0, 0,
			 rx->data, rx->tag);
	shm_rx_free(ep, rx);
}

/* Pull bytes [rx->got, to) of the message from the sender's iovs
 * (rx->siov) into rx with process_vm_readv; rx->got follows. 0, or the
 * errno of the failure. */
static int shm_cma_read(struct shm_rx *rx, uint32_t pid, size_t to)
{
	struct iovec local[SHM_IOV_LIMIT], remote[SHM_IOV_LIMIT];
	const struct shm_iov *siov = rx->siov;
	size_t scount = rx->scount;
	size_t done = rx->got;

	while (done < to) {
		size_t nl = 0, nr = 0, off, left;
		ssize_t n;

		/* Build both sides from `done` on, trimmed to `to`. */
		off = done;
		left = to - done;
		for (size_t i = 0; i < rx->iov_count && left; i++) {
			size_t l = rx->iov[i].iov_len;

			if (off >= l) {
				off -= l;
				continue;
			}
			l -= off;
			if (l > left)
				l = left;
			local[nl].iov_base = (uint8_t *)rx->iov[i].iov_base + off;
			local[nl++].iov_len = l;
			left -= l;
			off = 0;
		}
		off = done;
		left = to - done;
		for (size_t i = 0; i < scount && left; i++) {
			uint64_t l = siov[i].len;

			if (off >= l) {
				off -= l;
				continue;
			}
			l -= off;
			if (l > left)
				l = left;
			remote[nr].iov_base =
				(void *)(uintptr_t)(siov[i].addr + off);
			remote[nr++].iov_len = (size_t)l;
			left -= (size_t)l;
			off = 0;
		}
		if (!nl || !nr)
			return EINVAL; /* the sender's iovs are short */
		n = process_vm_readv((pid_t)pid, local, nl, remote, nr, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return EFAULT;
		done += (size_t)n;
		rx->got = done;
	}
	return 0;
}

void shm_rx_start(struct shm_ep *ep, struct shm_rx *rx, struct shm_peer *peer,
		  uint8_t op, uint8_t flags, uint64_t tag, uint64_t data,
		  uint64_t len, uint64_t cookie, const void *payload,
		  uint16_t iov_count, const struct shm_iov *iov)
{
	struct shm_entry cts;
	int err;

	rx->cflags = FI_RECV | ((flags & SHM_F_TAGGED) ? FI_TAGGED : FI_MSG) |
		     ((flags & SHM_F_CQ_DATA) ? FI_REMOTE_CQ_DATA : 0) |
		     (rx->flags & FI_COMPLETION);
	rx->src = ep->want_source ? shm_peer_src(ep, peer) : FI_ADDR_NOTAVAIL;
	rx->msg_len = len;
	rx->want = len < rx->cap ? (size_t)len : rx->cap;
	rx->got = 0;
	rx->tag = tag;
	rx->data = (flags & SHM_F_CQ_DATA) ? data : 0;
	rx->peer = peer;
	rx->cookie = cookie;

	if (op == SHM_OP_INLINE) {
		shm_copy_to_iov(rx->iov, rx->iov_count, 0, payload, rx->want);
		shm_rx_finish(ep, rx);
		/* Delivery complete asked: the data is in place. */
		if ((flags & SHM_F_ACK) && !shm_peer_map(ep, peer))
			shm_send_done(ep, peer, cookie, 0);
		return;
	}

	/* Rendezvous: we must be able to answer. */
	if (shm_peer_map(ep, peer)) {
		shm_rx_fail(ep, rx, FI_EIO, FI_EHOSTUNREACH);
		return;
	}
	if (!rx->want) {
		shm_rx_finish(ep, rx);
		shm_send_done(ep, peer, cookie, 0);
		return;
	}
	if ((flags & SHM_F_CMA) && ep->cma && !peer->cma_denied) {
		/* The first chunk now; the rest, a chunk per progress call
		 * (shm_cma_pump), so that a large message does not hold up
		 * the small ones behind it. */
		memcpy(rx->siov, iov, iov_count * sizeof(*iov));
		rx->scount = iov_count;
		/* Large: the sender helps copy (shm_coop.c). */
		if (shm_coop_start(ep, rx))
			return;
		err = shm_cma_read(rx, peer->pid,
				   rx->want < SHM_CMA_CHUNK ? rx->want
							    : SHM_CMA_CHUNK);
		if (!err && rx->got == rx->want) {
			shm_rx_finish(ep, rx);
			shm_send_done(ep, peer, cookie, 0);
			return;
		}
		if (!err) {
			rx->cma = true;
			rx->state = SHM_RX_ACTIVE;
			weft_list_push_back(&ep->rx_active, &rx->active);
			ep->cma_pending++;
			return;
		}
		if (err == EPERM || err == EACCES || err == ENOSYS) {
			FI_INFO(&shm_prov, FI_LOG_EP_DATA,
				"CMA from %" PRIu32 " refused (%s): using "
				"bounce buffers\n", peer->pid, strerror(err));
			peer->cma_denied = true;
		} else {
			if (err == ESRCH)
				peer->dead = true;
			shm_rx_fail(ep, rx, FI_EIO, err);
			shm_send_done(ep, peer, cookie, FI_EIO);
			return;
		}
	}

	/* Copy path: ask the sender for the bytes. */
	rx->state = SHM_RX_ACTIVE;
	weft_list_push_back(&ep->rx_active, &rx->active);
	memset(&cts, 0, offsetof(struct shm_entry, payload));
	shm_entry_init(ep, &cts, SHM_OP_CTS, 0);
	cts.cookie = cookie;
	cts.rx_id = (uint64_t)rx->gen << 32 | (uint64_t)(rx - ep->rx_ops);
	cts.len = rx->want;
	shm_ctrl_send(ep, peer, &cts);
}

/* Move the next chunk of the oldest large CMA receive. */
static void shm_cma_pump(struct shm_ep *ep)
{
	for (struct weft_list *l = ep->rx_active.next; l != &ep->rx_active;
	     l = l->next) {
		struct shm_rx *rx = weft_container_of(l, struct shm_rx, active);
		size_t to;
		int err;

		if (!rx->cma)
			continue;
		if (rx->coop) {
			/* One waiting on its sender's chunks lets the next
			 * one move. */
			if (shm_coop_rx_step(ep, rx))
				return;
			continue;
		}
		to = rx->want - rx->got > SHM_CMA_CHUNK ? rx->got + SHM_CMA_CHUNK
							: rx->want;
		err = shm_cma_read(rx, rx->peer->pid, to);
		if (!err && rx->got < rx->want)
			return;
		weft_list_remove(&rx->active);
		ep->cma_pending--;
		if (err) {
			uint64_t cookie = rx->cookie;
			struct shm_peer *peer = rx->peer;

			if (err == ESRCH)
				peer->dead = true;
			shm_rx_fail(ep, rx, FI_EIO, err);
			shm_send_done(ep, peer, cookie, FI_EIO);
		} else {
			uint64_t cookie = rx->cookie;
			struct shm_peer *peer = rx->peer;

			shm_rx_finish(ep, rx);
			shm_send_done(ep, peer, cookie, 0);
		}
		return;
	}
}

/* A message (op INLINE with its bytes at data, or RTS): match a posted
 * receive or queue it as unexpected. */
static void shm_rx_deliver(struct shm_ep *ep, struct shm_peer *peer,
			   const struct shm_entry *h, uint8_t op,
			   const uint8_t *data)
{
	bool tagged = h->flags & SHM_F_TAGGED;
	struct weft_match_queue *q = tagged ? &ep->posted_tag : &ep->posted_msg;
	struct shm_iov iov[SHM_IOV_LIMIT];
	const struct shm_iov *iovp = NULL;
	uint64_t tag = tagged ? h->tag : 0;
	struct weft_match *m;
	struct shm_unexp *u;
	fi_addr_t src;

	if (op == SHM_OP_RTS) {
		/* Out of shared memory once (the peer may scribble). */
		memcpy(iov, data, h->iov_count * sizeof(iov[0]));
		iovp = iov;
	}
	src = (ep->want_source || ep->directed) ? shm_peer_src(ep, peer)
						: FI_ADDR_NOTAVAIL;
	/* Behind untagged messages that wait for a multi-receive entry,
	 * untagged messages wait too (shm_mrecv.c). */
	m = tagged || !ep->mrecv_stalled ? weft_match_posted(q, tag, src)
					 : NULL;
	if (m && weft_container_of(m, struct shm_rx, m)->multi) {
		if (shm_mrecv_take(ep, weft_container_of(m, struct shm_rx, m),
				   peer, op, h->flags, h->data, h->len,
				   h->cookie, data, h->iov_count, iovp))
			return;
		ep->mrecv_stalled = true;
		m = NULL;
	}
	if (m) {
		struct shm_rx *rx = weft_container_of(m, struct shm_rx, m);

		weft_match_remove(m);
		shm_rx_start(ep, rx, peer, op, h->flags, tag, h->data, h->len,
			     h->cookie, data, h->iov_count, iovp);
		return;
	}
	/* Unexpected: kept until a receive asks (allocated: the
	 * application has not given us a buffer). */
	u = malloc(sizeof(*u) + (op == SHM_OP_INLINE ? h->len : 0));
	if (!u) {
		FI_WARN_SPARSE(&shm_prov, FI_LOG_EP_DATA,
			       "unexpected message dropped: no memory\n");
		if (op == SHM_OP_RTS && !shm_peer_map(ep, peer))
			shm_send_done(ep, peer, h->cookie, FI_ENOMEM);
		return;
	}
	u->m.tag = tag;
	u->m.ignore = 0;
	u->m.addr = src;
	u->peer = peer;
	u->op = op;
	u->flags = h->flags;
	u->iov_count = op == SHM_OP_RTS ? h->iov_count : 0;
	u->data = h->data;
	u->len = h->len;
	u->cookie = h->cookie;
	u->claim_ctx = NULL;
	if (iovp)
		memcpy(u->iov, iovp, h->iov_count * sizeof(iov[0]));
	else
		memcpy(u->payload, data, h->len);
	weft_match_queue_push(tagged ? &ep->unexp_tag : &ep->unexp_msg, &u->m);
}

/* INLINE or RTS. */
static void shm_rx_msg(struct shm_ep *ep, struct shm_peer *peer,
		       const struct shm_entry *h, const uint8_t *payload)
{
	if (h->op == SHM_OP_INLINE ? h->len > SHM_INLINE_SIZE
				   : h->iov_count > SHM_IOV_LIMIT) {
		ep->rx_bad++;
		return;
	}
	shm_rx_deliver(ep, peer, h, h->op, payload);
}

/* EAGER: the message sits in the sender's bounce slot. It is copied out
 * at once (into the receive, or into an unexpected record), and the slot
 * goes back. */
static void shm_rx_eager(struct shm_ep *ep, struct shm_peer *peer,
			 const struct shm_entry *h, const uint8_t *payload)
{
	struct shm_entry credit;

	if (shm_peer_map(ep, peer) || h->slot >= peer->seg.bounce_count) {
		ep->rx_bad++;
		return;
	}
	if (h->len <= peer->seg.bounce_size)
		shm_rx_deliver(ep, peer, h, SHM_OP_INLINE,
			       peer->seg.bounce +
				       (size_t)h->slot * peer->seg.bounce_size);
	else
		ep->rx_bad++;
	memset(&credit, 0, offsetof(struct shm_entry, payload));
	shm_entry_init(ep, &credit, SHM_OP_CREDIT, 0);
	credit.slot = h->slot;
	credit.cookie = SHM_EAGER_COOKIE;
	shm_ctrl_send(ep, peer, &credit);
}

static struct shm_rx *shm_rx_lookup(struct shm_ep *ep, uint64_t id,
				    struct shm_peer *peer)
{
	uint64_t idx = id & UINT32_MAX;
	struct shm_rx *rx;

	if (idx >= ep->rx_pool)
		return NULL;
	rx = &ep->rx_ops[idx];
	if (rx->gen != (uint32_t)(id >> 32) || rx->state != SHM_RX_ACTIVE ||
	    rx->peer != peer)
		return NULL;
	return rx;
}

/* DATA: a chunk in the sender's bounce slot. */
static void shm_rx_data(struct shm_ep *ep, struct shm_peer *peer,
			const struct shm_entry *h, const uint8_t *payload)
{
	struct shm_rx *rx = shm_rx_lookup(ep, h->rx_id, peer);
	struct shm_entry credit;

	if (!peer->seg.hdr || h->slot >= peer->seg.bounce_count) {
		ep->rx_bad++;
		return;
	}
	if (rx && !rx->cma && h->len <= peer->seg.bounce_size &&
	    h->data == rx->got &&
	    h->len <= rx->want - rx->got) {
		shm_copy_to_iov(rx->iov, rx->iov_count, rx->got,
				peer->seg.bounce +
					(size_t)h->slot * peer->seg.bounce_size,
				h->len);
		rx->got += h->len;
	} else {
		ep->rx_bad++;
	}
	/* The slot goes back whatever became of the receive. */
	memset(&credit, 0, offsetof(struct shm_entry, payload));
	shm_entry_init(ep, &credit, SHM_OP_CREDIT, 0);
	credit.slot = h->slot;
	credit.cookie = h->cookie;
	shm_ctrl_send(ep, peer, &credit);

	if (rx && rx->got == rx->want) {
		uint64_t cookie = rx->cookie;

		weft_list_remove(&rx->active);
		shm_rx_finish(ep, rx);
		shm_send_done(ep, peer, cookie, 0);
	}
}

/* ---- send side ----------------------------------------------------------- */

struct shm_tx_op *shm_tx_lookup(struct shm_ep *ep, uint64_t cookie,
				struct shm_peer *peer)
{
	uint64_t idx = cookie & UINT32_MAX;
	struct shm_tx_op *op;

	if (idx >= ep->tx_size)
		return NULL;
	op = &ep->tx_ops[idx];
	if (op->gen != (uint32_t)(cookie >> 32) || op->state == SHM_TX_FREE ||
	    op->peer != peer)
		return NULL;
	return op;
}

void shm_tx_end(struct shm_ep *ep, struct shm_tx_op *op, int status,
		int prov_errno)
{
	if (op->state == SHM_TX_BOUNCE || op->state == SHM_TX_COOP)
		weft_list_remove(&op->link);
	/* Slots a dead or confused receiver never credited come back. */
	ep->bounce_free |= op->slots;
	if (status)
		weft_ep_tx_error(&ep->util, op->context, op->flags, status,
				 prov_errno, 0, 0);
	else
		weft_ep_tx_complete(&ep->util, op->context, op->flags, op->len,
				    NULL, 0, 0);
	shm_tx_free(ep, op);
}

static void shm_tx_cts(struct shm_ep *ep, struct shm_peer *peer,
		       const struct shm_entry *h, const uint8_t *payload)
{
	struct shm_tx_op *op = shm_tx_lookup(ep, h->cookie, peer);

	if (!op || op->state != SHM_TX_WAIT) {
		ep->rx_bad++;
		return;
	}
	op->rx_id = h->rx_id;
	op->want = h->len < op->len ? (size_t)h->len : op->len;
	op->sent = 0;
	op->state = SHM_TX_BOUNCE;
	weft_list_push_back(&ep->bounce_tx, &op->link);
}

static void shm_tx_credit(struct shm_ep *ep, struct shm_peer *peer,
			  const struct shm_entry *h, const uint8_t *payload)
{
	struct shm_tx_op *op;
	uint64_t bit;

	if (h->slot >= ep->self.bounce_count) {
		ep->rx_bad++;
		return;
	}
	bit = (uint64_t)1 << h->slot;
	if (h->cookie == SHM_EAGER_COOKIE) {
		/* An eager message's slot. */
		if (ep->eager_slots & bit) {
			ep->eager_slots &= ~bit;
			ep->bounce_free |= bit;
		}
		return;
	}
	op = shm_tx_lookup(ep, h->cookie, peer);
	if (!op) {
		ep->rx_bad++;
		return;
	}
	if (op->slots & bit) {
		op->slots &= ~bit;
		ep->bounce_free |= bit;
	}
}

static void shm_tx_done(struct shm_ep *ep, struct shm_peer *peer,
			const struct shm_entry *h, const uint8_t *payload)
{
	struct shm_tx_op *op = shm_tx_lookup(ep, h->cookie, peer);
	int status = (int)h->slot;

	if (!op) {
		ep->rx_bad++;
		return;
	}
	if (status < 0 || status > 4096)
		status = FI_EIO;
	if (status == FI_ENOSYS && (op->flags & FI_RMA) &&
	    op->state == SHM_TX_WAIT && !op->slots) {
		/* The kernel refused CMA between us (nothing moved): this
		 * peer's RMA goes through bounce slots from now on. */
		peer->cma_denied = true;
		shm_rma_copy_start(ep, op);
		return;
	}
	shm_tx_end(ep, op, status, status);
}

/* Copy the next chunks of the messages being sent through bounce buffers
 * that have at most max_left bytes left, as slots and room in the
 * receivers' rings allow. */
static void shm_bounce_pump_some(struct shm_ep *ep, size_t max_left)
{
	struct weft_list *l, *next;

	for (l = ep->bounce_tx.next; l != &ep->bounce_tx && ep->bounce_free;
	     l = next) {
		struct shm_tx_op *op =
			weft_container_of(l, struct shm_tx_op, link);
		struct shm_peer *peer = op->peer;

		next = l->next;
		if (op->flags & FI_RMA) {
			/* RMA without CMA (shm_rma_copy.c). */
			if (max_left == SIZE_MAX && shm_rma_copy_pump(ep, op)) {
				weft_list_remove(&op->link);
				op->state = SHM_TX_WAIT;
			}
			continue;
		}
		if (op->want - op->sent > max_left)
			continue;
		while (op->sent < op->want && ep->bounce_free) {
			unsigned slot = (unsigned)__builtin_ctzll(ep->bounce_free);
			size_t n = op->want - op->sent;
			struct shm_entry *e;
			uint64_t pos;

			e = shm_ring_claim(&peer->seg, &pos);
			if (!e)
				break;
			if (n > ep->self.bounce_size)
				n = ep->self.bounce_size;
			shm_copy_from_iov(ep->self.bounce +
						  (size_t)slot *
							  ep->self.bounce_size,
					  op->iov, op->iov_count, op->sent, n);
			shm_entry_init(ep, e, SHM_OP_DATA, 0);
			e->slot = slot;
			e->rx_id = op->rx_id;
			e->cookie = (uint64_t)op->gen << 32 |
				    (uint64_t)(op - ep->tx_ops);
			e->data = op->sent;
			e->len = n;
			shm_ring_publish(e, pos);
			shm_bell_ring(ep, peer);
			ep->bounce_free &= ~((uint64_t)1 << slot);
			op->slots |= (uint64_t)1 << slot;
			op->sent += n;
		}
		if (op->sent == op->want) {
			/* All out: the receiver's DONE completes it. */
			weft_list_remove(&op->link);
			op->state = SHM_TX_WAIT;
		}
	}
}

/* First the messages with at most SHM_BOUNCE_SHORT bytes left, then all
 * in order. A large message takes every slot as it comes back, so a small
 * one posted behind it would otherwise wait for its last chunk
 * (head-of-line blocking, tests/api/shm_hol.c). Giving every message a
 * chunk in turn instead cost about a third of the 1 MiB streaming
 * bandwidth (bench_bw, FI_SHM_CMA=0): a window of large messages is best
 * copied one after the other. */
#define SHM_BOUNCE_SHORT ((size_t)64 * 1024)
static void shm_bounce_pump(struct shm_ep *ep)
{
	shm_bounce_pump_some(ep, SHM_BOUNCE_SHORT);
	shm_bounce_pump_some(ep, SIZE_MAX);
}

/* ---- peers that die --------------------------------------------------- */

void shm_peer_failed(struct shm_ep *ep, struct shm_peer *peer)
{
	struct weft_match_queue *uq[2] = { &ep->unexp_msg, &ep->unexp_tag };
	struct weft_list *l, *next;

	peer->dead = true;
	FI_WARN(&shm_prov, FI_LOG_EP_DATA,
		"peer %" PRIu32 ":%" PRIu32 " is gone (exited or closed its "
		"endpoint): failing its operations\n", peer->pid, peer->n);
	for (size_t i = 0; i < ep->tx_size; i++) {
		struct shm_tx_op *op = &ep->tx_ops[i];

		if (op->state != SHM_TX_FREE && op->peer == peer)
			shm_tx_end(ep, op, FI_EIO, FI_ECONNABORTED);
	}
	for (l = ep->rx_active.next; l != &ep->rx_active; l = next) {
		struct shm_rx *rx = weft_container_of(l, struct shm_rx, active);

		next = l->next;
		if (rx->peer != peer)
			continue;
		weft_list_remove(&rx->active);
		if (rx->cma)
			ep->cma_pending--;
		shm_rx_fail(ep, rx, FI_EIO, FI_ECONNABORTED);
	}
	/* Eager messages it will never copy out: their slots come back. */
	for (unsigned i = 0; i < 64; i++) {
		uint64_t bit = (uint64_t)1 << i;

		if ((ep->eager_slots & bit) && ep->eager_peer[i] == peer) {
			ep->eager_slots &= ~bit;
			ep->bounce_free |= bit;
		}
	}
	/* Announced large messages from it can never be read. */
	for (int q = 0; q < 2; q++) {
		for (l = uq[q]->list.next; l != &uq[q]->list; l = next) {
			struct shm_unexp *u =
				weft_container_of(l, struct shm_unexp, m.link);

			next = l->next;
			if (u->peer == peer && u->op == SHM_OP_RTS) {
				weft_match_remove(&u->m);
				free(u);
			}
		}
	}
}

/* Gone: its process died, or it closed the endpoint (its segment file
 * was removed) while we wait on it. */
static void shm_check_peer(struct shm_ep *ep, struct shm_peer *peer)
{
	if (!peer->dead && (!shm_pid_alive(peer->pid) ||
			    !shm_region_exists(peer->pid, peer->n)))
		shm_peer_failed(ep, peer);
}

/* Every SHM_CHECK_PERIOD_NS while operations wait on peers: is each
 * such peer's process still there? */
static void shm_liveness(struct shm_ep *ep)
{
	struct timespec ts;
	uint64_t now;
	struct weft_list *l, *next;

	if ((ep->check_tick++ & 63) != 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (now < ep->next_check_ns)
		return;
	ep->next_check_ns = now + SHM_CHECK_PERIOD_NS;
	for (size_t i = 0; i < ep->tx_size; i++) {
		struct shm_tx_op *op = &ep->tx_ops[i];

		if (op->state != SHM_TX_FREE)
			shm_check_peer(ep, op->peer);
	}
	for (l = ep->rx_active.next; l != &ep->rx_active; l = next) {
		next = l->next;
		shm_check_peer(ep, weft_container_of(l, struct shm_rx,
						     active)->peer);
	}
}

/* ---- the ring ------------------------------------------------------------ */

typedef void (*shm_rx_handler)(struct shm_ep *ep, struct shm_peer *peer,
			       const struct shm_entry *h,
			       const uint8_t *payload);

static const shm_rx_handler shm_rx_handlers[SHM_OP_COUNT] = {
	[SHM_OP_INVALID] = NULL,
	[SHM_OP_INLINE] = shm_rx_msg,
	[SHM_OP_RTS] = shm_rx_msg,
	[SHM_OP_CTS] = shm_tx_cts,
	[SHM_OP_DATA] = shm_rx_data,
	[SHM_OP_CREDIT] = shm_tx_credit,
	[SHM_OP_DONE] = shm_tx_done,
	[SHM_OP_RMA_WRITE] = shm_rx_rma,
	[SHM_OP_RMA_READ] = shm_rx_rma,
	[SHM_OP_RMA_INLINE] = shm_rx_rma,
	[SHM_OP_ATOMIC] = shm_rx_atomic,
	[SHM_OP_ATOMIC_RESP] = shm_tx_atomic_resp,
	[SHM_OP_EAGER] = shm_rx_eager,
	[SHM_OP_COOP] = shm_tx_coop,
	[SHM_OP_RMA_WCHUNK] = shm_rx_rma_chunk,
	[SHM_OP_RMA_RCHUNK] = shm_rx_rma_chunk,
	[SHM_OP_RMA_ACK] = shm_tx_rma_ack,
};

static void shm_rx_poll(struct shm_ep *ep)
{
	struct shm_region *r = &ep->self;

	for (int budget = SHM_RX_BUDGET; budget; budget--) {
		struct shm_entry *e = &r->ring[ep->head & r->mask];
		struct shm_entry h;
		struct shm_peer *peer;

		/* Acquire: pairs with the producer's publish, so the entry's
		 * contents are visible. */
		if (weft_load_acquire(&e->seq) != ep->head + 1)
			break;
		/* The header is read once into our memory: a peer that
		 * scribbles on the entry cannot change what we checked. */
		shm_entry_copy_hdr(&h, e);
		if (h.op && h.op < SHM_OP_COUNT && !(h.flags & ~SHM_F_KNOWN) &&
		    (peer = shm_peer_get(ep, h.src_pid, h.src_n)) &&
		    !peer->dead)
			shm_rx_handlers[h.op](ep, peer, &h, e->payload);
		else
			ep->rx_bad++;
		/* Release: our reads of the entry happen before a producer
		 * that sees the new seq reuses it. */
		weft_store_release(&e->seq, ep->head + r->mask + 1);
		ep->head++;
	}
}

void shm_progress_locked(struct shm_ep *ep)
{
	shm_bell_service(ep);
	if (!weft_list_empty(&ep->ctrl_q))
		shm_ctrl_flush(ep);
	shm_rx_poll(ep);
	if (ep->mrecv_stalled && ep->rx_nfree > ep->rx_size - ep->rx_nposted)
		shm_mrecv_unstall(ep);
	if (ep->cma_pending)
		shm_cma_pump(ep);
	if (!weft_list_empty(&ep->coop_tx))
		shm_coop_tx_pump(ep);
	if (!weft_list_empty(&ep->bounce_tx))
		shm_bounce_pump(ep);
	if (ep->tx_busy || !weft_list_empty(&ep->rx_active))
		shm_liveness(ep);
}

void shm_ep_progress(struct weft_ep *wep)
{
	struct shm_ep *ep = weft_container_of(wep, struct shm_ep, util);

	if (!wep->enabled)
		return;
	weft_lock_acquire(&wep->lock);
	shm_progress_locked(ep);
	weft_lock_release(&wep->lock);
}
