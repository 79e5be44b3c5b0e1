/* Receive progress: move datagrams from the socket into posted receives.
 *
 * Progress is manual: it runs when the application reads a CQ or counter
 * bound to the endpoint (util calls udp_ep_progress), and when a post finds
 * its queue full. Datagrams are read only while a receive is posted; until
 * then they wait in the kernel's socket buffer, which is the one bounded
 * "unexpected" queue (the kernel drops what overflows it, as datagram
 * semantics allow). Each progress call delivers at most one message, and
 * each recvmsg() scatters [header, payload] straight into
 * [endpoint scratch header, application buffers], so there is no copy.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>

#include "udp.h"

/* Complete the receive e with a datagram of n bytes (header included) that
 * passed udp_hdr_valid(). */
static void udp_rx_deliver(struct udp_ep *ep, const struct udp_rx_entry *e,
			   size_t n)
{
	uint64_t flags = FI_RECV | FI_MSG | (e->flags & FI_COMPLETION);
	size_t len = n - UDP_HDR_SIZE;
	void *buf = e->iov_count > 1 ? e->iov[1].iov_base : NULL;
	fi_addr_t src = FI_ADDR_NOTAVAIL;
	uint64_t data = 0;

	if (ep->rx_hdr.flags & UDP_HDR_CQ_DATA) {
		flags |= FI_REMOTE_CQ_DATA;
		data = le64toh(ep->rx_hdr.data);
	}
	if (len > e->capacity) {
		/* The kernel dropped the tail; report what landed. */
		ep->stats.rx_trunc++;
		weft_ep_rx_error(&ep->util, e->context, flags, FI_ETRUNC,
				 FI_ETRUNC, buf, e->capacity, len - e->capacity,
				 data, 0);
		return;
	}
	if (ep->want_source) {
		src = weft_av_reverse(ep->util.av, &ep->rx_src, ep->addrlen);
		if (src == FI_ADDR_NOTAVAIL && ep->source_err) {
			/* FI_SOURCE_ERR: an unknown sender is reported as
			 * an error carrying its raw address, so the
			 * application can insert it and retry. */
			weft_ep_rx_source_error(&ep->util, e->context, flags,
						buf, len, data, 0,
						&ep->rx_src, ep->addrlen);
			return;
		}
	}
	weft_ep_rx_complete(&ep->util, e->context, flags, len, buf, data, 0,
			    src);
}

void udp_rx_progress(struct udp_ep *ep)
{
	struct msghdr mh;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	while (ep->rx_head != ep->rx_tail) {
		struct udp_rx_entry *e = &ep->rxq[ep->rx_head & ep->rx_mask];

		/* The sender's address is only needed for FI_SOURCE; without
		 * it the kernel need not copy it out. */
		if (ep->want_source) {
			mh.msg_name = &ep->rx_src;
			mh.msg_namelen = sizeof(ep->rx_src);
		}
		mh.msg_iov = e->iov;
		mh.msg_iovlen = e->iov_count;
		mh.msg_flags = 0;
		/* MSG_TRUNC: return the datagram's real length, so a
		 * truncated receive can report how much was lost. */
		n = recvmsg(ep->sock, &mh, MSG_TRUNC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EFAULT) {
				/* The kernel dropped the datagram it could not
				 * copy into this receive's buffers: fail the
				 * receive rather than wedge the queue on it. */
				ep->rx_head++;
				weft_ep_rx_error(&ep->util, e->context,
						 FI_RECV | FI_MSG |
							 (e->flags &
							  FI_COMPLETION),
						 FI_EFAULT, FI_EFAULT, NULL, 0,
						 0, 0, 0);
				return;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				FI_WARN_SPARSE(&udp_prov, FI_LOG_EP_DATA,
					"recvmsg: %s\n", strerror(errno));
			return;
		}
		if (!udp_hdr_valid(&ep->rx_hdr, (size_t)n) ||
		    (ep->want_source &&
		     (mh.msg_namelen < ep->addrlen ||
		      ep->rx_src.sa.sa_family != ep->family))) {
			/* Not ours (or not any version we speak): drop it and
			 * keep the receive posted for the next datagram. */
			ep->stats.rx_bad++;
			FI_WARN_SPARSE(&udp_prov, FI_LOG_EP_DATA,
				       "dropped a foreign datagram (%zd bytes); "
				       "%" PRIu64 " so far\n",
				       n, ep->stats.rx_bad);
			continue;
		}
		ep->rx_head++;
		udp_rx_deliver(ep, e, (size_t)n);
		/* One message per call: a reader polling for the next
		 * completion gets it without paying for a recvmsg() that
		 * would only say EAGAIN. More arrivals are taken by the
		 * next read (the socket stays readable for waiters). */
		return;
	}
}

void udp_ep_progress(struct weft_ep *wep)
{
	struct udp_ep *ep = weft_container_of(wep, struct udp_ep, util);

	if (!wep->enabled)
		return;
	weft_lock_acquire(&wep->lock);
	udp_rx_progress(ep);
	weft_lock_release(&wep->lock);
}

int udp_rx_cancel(struct udp_ep *ep, void *context)
{
	struct udp_rx_entry e;
	uint32_t i;

	for (i = ep->rx_head; i != ep->rx_tail; i++)
		if (ep->rxq[i & ep->rx_mask].context == context)
			break;
	if (i == ep->rx_tail)
		return -FI_ENOENT;

	/* Close the gap so the ring keeps posting order. */
	e = ep->rxq[i & ep->rx_mask];
	for (; i + 1 != ep->rx_tail; i++)
		ep->rxq[i & ep->rx_mask] = ep->rxq[(i + 1) & ep->rx_mask];
	ep->rx_tail--;

	weft_ep_rx_error(&ep->util, e.context,
			 FI_RECV | FI_MSG | (e.flags & FI_COMPLETION),
			 FI_ECANCELED, FI_ECANCELED,
			 e.iov_count > 1 ? e.iov[1].iov_base : NULL, 0, 0, 0, 0);
	return 0;
}
