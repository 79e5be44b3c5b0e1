/* Multi-receive buffers (FI_MULTI_RECV on fi_recvmsg, fi_msg(3)) and
 * FI_SOURCE_ERR reports.
 *
 * A multi-receive buffer is a posted untagged receive entry with `multi`
 * set; util/mrecv.h keeps its books (space handed out, messages in flight,
 * retirement below FI_OPT_MIN_MULTI_RECV, FI_MULTI_RECV on exactly the
 * last completion). It stays in the posted queue, at its place, while it
 * is open, so messages match it in the order receives were posted.
 *
 * A message that lands at once (inline or eager: its bytes are in shared
 * memory now) is copied into the claimed space and completes there. One
 * that needs a transfer (an RTS: CMA or bounce buffers) gets a receive
 * entry of its own whose iov is the claimed space and whose `parent` is
 * the buffer; its end comes back here (shm_mrecv_child_end) from
 * shm_rx_finish / shm_rx_fail.
 *
 * If no receive entry is free for such a message, it is queued as
 * unexpected and `mrecv_stalled` makes every later untagged arrival queue
 * behind it, so the order holds; progress retries once entries are free
 * (shm_mrecv_unstall). Receives posted meanwhile take unexpected messages
 * oldest first, as always.
 *
 * Everything runs under ep->util.lock.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shm.h"

/* ---- FI_SOURCE_ERR --------------------------------------------------------- */

/* The peer's name as fi_getname gives it, with its NUL; returns the
 * length counting the NUL. err_data carries it so that the application can
 * fi_av_insert it as is (util copies it). */
static size_t shm_peer_name(const struct shm_peer *peer,
			    char name[SHM_NAME_MAX])
{
	int k = snprintf(name, SHM_NAME_MAX,
			 SHM_ADDR_PREFIX "%" PRIu32 ":%" PRIu32, peer->pid,
			 peer->n);

	return (size_t)k + 1;
}

void shm_rx_source_error(struct shm_ep *ep, struct shm_peer *peer,
			 void *context, uint64_t flags, void *buf, size_t len,
			 uint64_t data, uint64_t tag)
{
	char name[SHM_NAME_MAX];
	size_t n = shm_peer_name(peer, name);

	weft_ep_rx_source_error(&ep->util, context, flags, buf, len, data, tag,
				name, n);
}

/* A whole message in a multi-receive buffer: a normal completion, or a
 * source error for an unknown sender under FI_SOURCE_ERR. */
static bool shm_mrecv_done(struct shm_ep *ep, struct weft_mrecv *m,
			   struct shm_peer *peer, uint64_t cq_flags, void *buf,
			   size_t len, uint64_t data, fi_addr_t src)
{
	char name[SHM_NAME_MAX];

	if (ep->source_err && src == FI_ADDR_NOTAVAIL)
		return weft_mrecv_source_error(&ep->util, m, cq_flags, buf,
					       len, data, name,
					       shm_peer_name(peer, name));
	return weft_mrecv_complete(&ep->util, m, cq_flags, buf, len, data,
				   src);
}

/* ---- multi-receive buffers ------------------------------------------------- */

/* Hand out space; a buffer that retires leaves the posted queue at once
 * (it takes no more messages) but lives until its last message ends. */
static void *shm_mrecv_claim(struct shm_rx *rx, size_t len, size_t *room)
{
	void *at = weft_mrecv_claim(&rx->mrecv, len, room);

	if (!weft_mrecv_open(&rx->mrecv) && rx->state == SHM_RX_POSTED) {
		weft_match_remove(&rx->m);
		rx->state = SHM_RX_RETIRED;
	}
	return at;
}

bool shm_mrecv_take(struct shm_ep *ep, struct shm_rx *rx,
		    struct shm_peer *peer, uint8_t op, uint8_t flags,
		    uint64_t data, uint64_t len, uint64_t cookie,
		    const void *payload, uint16_t iov_count,
		    const struct shm_iov *iov)
{
	uint64_t cq_flags = (flags & SHM_F_CQ_DATA) ? FI_REMOTE_CQ_DATA : 0;
	struct shm_rx *child;
	size_t room;
	void *at;

	if (!(flags & SHM_F_CQ_DATA))
		data = 0;
	if (op == SHM_OP_INLINE) {
		fi_addr_t src = ep->want_source ? shm_peer_src(ep, peer)
						: FI_ADDR_NOTAVAIL;
		bool released;

		at = shm_mrecv_claim(rx, (size_t)len, &room);
		memcpy(at, payload, room);
		if (room < len)
			released = weft_mrecv_error(&ep->util, &rx->mrecv,
						    cq_flags, FI_ETRUNC, at,
						    room, (size_t)len - room,
						    data);
		else
			released = shm_mrecv_done(ep, &rx->mrecv, peer,
						  cq_flags, at, room, data,
						  src);
		if (released)
			shm_rx_free(ep, rx);
		if ((flags & SHM_F_ACK) && !shm_peer_map(ep, peer))
			shm_send_done(ep, peer, cookie, 0);
		return true;
	}

	/* A transfer: it needs an entry of its own, from the part of the
	 * pool the application's posts cannot claim (shm_rx_alloc_post). */
	child = ep->rx_nfree > ep->rx_size - ep->rx_nposted ? shm_rx_alloc(ep)
							     : NULL;
	if (!child)
		return false;
	at = shm_mrecv_claim(rx, (size_t)len, &room);
	child->parent = rx;
	child->multi = false;
	child->tagged = false;
	child->context = rx->context;
	child->flags = rx->mrecv.flags;
	child->iov[0].iov_base = at;
	child->iov[0].iov_len = room;
	child->iov_count = 1;
	child->cap = room;
	shm_rx_start(ep, child, peer, op, flags, 0, data, len, cookie,
		     payload, iov_count, iov);
	return true;
}

void shm_mrecv_child_end(struct shm_ep *ep, struct shm_rx *rx, int err,
			 int prov_errno)
{
	struct shm_rx *parent = rx->parent;
	uint64_t cq_flags = rx->cflags & FI_REMOTE_CQ_DATA;
	void *buf = rx->iov[0].iov_base;
	bool released;

	(void)prov_errno;
	if (err)
		released = weft_mrecv_error(&ep->util, &parent->mrecv,
					    cq_flags, err, buf, 0, 0,
					    rx->data);
	else if (rx->msg_len > rx->cap)
		released = weft_mrecv_error(&ep->util, &parent->mrecv,
					    cq_flags, FI_ETRUNC, buf, rx->cap,
					    (size_t)rx->msg_len - rx->cap,
					    rx->data);
	else
		released = shm_mrecv_done(ep, &parent->mrecv, rx->peer,
					  cq_flags, buf, (size_t)rx->msg_len,
					  rx->data, rx->src);
	rx->parent = NULL;
	shm_rx_free(ep, rx);
	if (released)
		shm_rx_free(ep, parent);
}

/* Land unexpected messages in buffer rx, oldest first, while it is open. */
static void shm_mrecv_drain(struct shm_ep *ep, struct shm_rx *rx)
{
	while (rx->state == SHM_RX_POSTED) {
		struct weft_match *m = weft_match_unexpected(
			&ep->unexp_msg, 0, 0, rx->m.addr);
		struct shm_unexp *u;

		if (!m)
			return;
		u = weft_container_of(m, struct shm_unexp, m);
		if (!shm_mrecv_take(ep, rx, u->peer, u->op, u->flags, u->data,
				    u->len, u->cookie, u->payload,
				    u->iov_count, u->iov)) {
			ep->mrecv_stalled = true;
			return;
		}
		weft_match_remove(m);
		free(u);
	}
}

ssize_t shm_mrecv_post(struct shm_ep *ep, const struct iovec *iov,
		       size_t count, fi_addr_t src, uint64_t flags,
		       void *context)
{
	struct shm_rx *rx;
	int ret = weft_mrecv_check(iov, count);

	if (ret)
		return ret;
	rx = shm_rx_alloc_post(ep);
	if (!rx) {
		shm_progress_locked(ep);
		return -FI_EAGAIN;
	}
	rx->multi = true;
	rx->parent = NULL;
	rx->tagged = false;
	rx->context = context;
	rx->flags = flags;
	rx->iov[0] = iov[0];
	rx->iov_count = 1;
	rx->cap = iov[0].iov_len;
	rx->m.tag = 0;
	rx->m.ignore = 0;
	rx->m.addr = src;
	weft_mrecv_init(&rx->mrecv, iov, context, flags,
			ep->util.min_multi_recv);
	rx->state = SHM_RX_POSTED;
	weft_match_queue_push(&ep->posted_msg, &rx->m);
	if (!ep->mrecv_stalled)
		shm_mrecv_drain(ep, rx);
	return 0;
}

void shm_mrecv_cancel(struct shm_ep *ep, struct shm_rx *rx)
{
	weft_match_remove(&rx->m);
	rx->state = SHM_RX_RETIRED;
	/* Nothing in flight: released now with FI_ECANCELED (and
	 * FI_MULTI_RECV); else the last message's completion releases it. */
	if (weft_mrecv_cancel(&ep->util, &rx->mrecv))
		shm_rx_free(ep, rx);
}

void shm_mrecv_unstall(struct shm_ep *ep)
{
	struct weft_list *l, *next;

	ep->mrecv_stalled = false;
	for (l = ep->unexp_msg.list.next; l != &ep->unexp_msg.list; l = next) {
		struct shm_unexp *u =
			weft_container_of(l, struct shm_unexp, m.link);
		struct weft_match *m;
		struct shm_rx *rx;

		next = l->next;
		m = weft_match_posted(&ep->posted_msg, 0, u->m.addr);
		if (!m)
			continue;
		rx = weft_container_of(m, struct shm_rx, m);
		if (rx->multi) {
			if (!shm_mrecv_take(ep, rx, u->peer, u->op, u->flags,
					    u->data, u->len, u->cookie,
					    u->payload, u->iov_count,
					    u->iov)) {
				ep->mrecv_stalled = true;
				return;
			}
		} else {
			weft_match_remove(m);
			shm_rx_start(ep, rx, u->peer, u->op, u->flags, 0,
				     u->data, u->len, u->cookie, u->payload,
				     u->iov_count, u->iov);
		}
		weft_match_remove(&u->m);
		free(u);
	}
}
