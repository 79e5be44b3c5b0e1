/* The fi_msg data path.
 *
 * Send: one sendmsg() of [header, application iovs...] to the AV entry's
 * sockaddr (small single buffers: one sendto() of a stack copy). The
 * kernel has copied the data when the call returns, so the operation is
 * complete at every level a datagram can promise (inject and transmit
 * complete) and is reported at once. A full socket buffer gives
 * -FI_EAGAIN with nothing queued.
 *
 * Receive: the buffers are queued in the endpoint's ring; progress
 * (udp_progress.c) fills them with recvmsg().
 *
 * Sends touch no endpoint state that another thread writes (the socket
 * call is atomic, CQs and counters lock themselves), so they take no lock;
 * posting receives takes util.lock, which is a no-op unless the domain is
 * FI_THREAD_SAFE.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "udp.h"

#define UDP_TX_FLAGS                                                           \
	(FI_COMPLETION | FI_INJECT | FI_REMOTE_CQ_DATA | FI_INJECT_COMPLETE |  \
	 FI_TRANSMIT_COMPLETE | FI_MORE)
#define UDP_RX_FLAGS (FI_COMPLETION | FI_MORE)

/* Up to this many payload bytes, a single-buffer send is copied behind the
 * header and sent with sendto() (see udp_tx). */
#define UDP_SMALL_SEND 256

/* sendmsg failed with err: map it, and make -FI_EAGAIN mean what the API
 * says (progress has run, retrying may succeed). */
static ssize_t udp_tx_failed(struct udp_ep *ep, int err)
{
	if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
		udp_ep_progress(&ep->util);
		return -FI_EAGAIN;
	}
	if (err == EMSGSIZE)
		return -FI_EMSGSIZE;
	FI_WARN_SPARSE(&udp_prov, FI_LOG_EP_DATA, "sendmsg: %s\n",
		       strerror(err));
	return udp_errno_to_fi(err);
}

/* Send iov[1..count) with a header in iov[0]. `report`: whether the
 * operation produces a completion (everything but fi_inject*); op_flags
 * then decide it under selective completion. */
static inline ssize_t udp_tx(struct udp_ep *ep, struct iovec *iov,
			     size_t count, size_t len, fi_addr_t dest,
			     uint64_t data, uint64_t op_flags, void *context,
			     bool report)
{
	struct udp_hdr hdr;
	struct msghdr mh;
	const void *addr;

	if (!ep->util.enabled)
		return -FI_EOPBADSTATE;
	if (len > ep->max_msg_size)
		return -FI_EMSGSIZE;
	/* A NULL buffer with a length would fault in the copy below (or
	 * make the kernel answer EFAULT): refuse it as the API input it is.
	 * Vectored calls already checked each iov in udp_iov_load. */
	if (count == 2 && len && !iov[1].iov_base)
		return -FI_EINVAL;
	addr = weft_av_addr(ep->util.av, dest);
	if (!addr)
		return -FI_EINVAL;

	if (count == 2 && len <= UDP_SMALL_SEND) {
		/* Small single-buffer message: one contiguous datagram
		 * through sendto() costs the kernel less than importing a
		 * msghdr and two iovecs, and the copy is a few cache lines. */
		struct {
			struct udp_hdr hdr;
			uint8_t payload[UDP_SMALL_SEND];
		} dgram;

		udp_hdr_init(&dgram.hdr,
			     (op_flags & FI_REMOTE_CQ_DATA) ? UDP_HDR_CQ_DATA
							    : 0,
			     data);
		if (len)
			memcpy(dgram.payload, iov[1].iov_base, len);
		if (sendto(ep->sock, &dgram, sizeof(dgram.hdr) + len, 0,
			   (const struct sockaddr *)addr, ep->addrlen) < 0)
			return udp_tx_failed(ep, errno);
	} else {
		udp_hdr_init(&hdr,
			     (op_flags & FI_REMOTE_CQ_DATA) ? UDP_HDR_CQ_DATA
							    : 0,
			     data);
		iov[0].iov_base = &hdr;
		iov[0].iov_len = sizeof(hdr);
		memset(&mh, 0, sizeof(mh));
		mh.msg_name = (void *)addr;
		mh.msg_namelen = ep->addrlen;
		mh.msg_iov = iov;
		mh.msg_iovlen = count;
		if (sendmsg(ep->sock, &mh, 0) < 0)
			return udp_tx_failed(ep, errno);
	}

	if (!report) {
		if (ep->util.cntrs[WEFT_CNTR_SEND])
			weft_cntr_inc(ep->util.cntrs[WEFT_CNTR_SEND]);
		return 0;
	}
	if (weft_ep_tx_complete(&ep->util, context,
				op_flags | FI_SEND | FI_MSG, len, NULL, 0, 0))
		FI_WARN_SPARSE(&udp_prov, FI_LOG_EP_DATA,
			"send completion lost: CQ out of memory\n");
	return 0;
}

/* Copy an application iov behind the header slot; 0 or -FI_EINVAL. */
static inline int udp_iov_load(struct iovec *dst, const struct iovec *src,
			       size_t count, size_t *len)
{
	size_t total = 0;

	if (count > UDP_IOV_LIMIT || (count && !src))
		return -FI_EINVAL;
	for (size_t i = 0; i < count; i++) {
		if (src[i].iov_len > SIZE_MAX / 2 - total ||
		    (src[i].iov_len && !src[i].iov_base))
			return -FI_EINVAL;
		total += src[i].iov_len;
		dst[i + 1] = src[i];
	}
	*len = total;
	return 0;
}

static ssize_t udp_send(struct fid_ep *fid, const void *buf, size_t len,
			void *desc, fi_addr_t dest, void *context)
{
	struct udp_ep *ep = udp_ep_of(fid);
	struct iovec iov[2] = { [1] = { (void *)buf, len } };

	return udp_tx(ep, iov, 2, len, dest, 0, ep->util.tx_op_flags, context,
		      true);
}

static ssize_t udp_sendv(struct fid_ep *fid, const struct iovec *iov,
			 void **desc, size_t count, fi_addr_t dest,
			 void *context)
{
	struct udp_ep *ep = udp_ep_of(fid);
	struct iovec v[1 + UDP_IOV_LIMIT];
	size_t len;

	if (udp_iov_load(v, iov, count, &len))
		return -FI_EINVAL;
	return udp_tx(ep, v, count + 1, len, dest, 0, ep->util.tx_op_flags,
		      context, true);
}

static ssize_t udp_sendmsg(struct fid_ep *fid, const struct fi_msg *msg,
			   uint64_t flags)
{
	struct udp_ep *ep = udp_ep_of(fid);
	struct iovec v[1 + UDP_IOV_LIMIT];
	size_t len;

	if (!msg)
		return -FI_EINVAL;
	if (flags & ~UDP_TX_FLAGS)
		return -FI_EBADFLAGS;
	if (udp_iov_load(v, msg->msg_iov, msg->iov_count, &len))
		return -FI_EINVAL;
	if ((flags & FI_INJECT) && len > ep->inject_size)
		return -FI_EMSGSIZE;
	return udp_tx(ep, v, msg->iov_count + 1, len, msg->addr, msg->data,
		      flags, msg->context, true);
}

static ssize_t udp_inject(struct fid_ep *fid, const void *buf, size_t len,
			  fi_addr_t dest)
{
	struct udp_ep *ep = udp_ep_of(fid);
	struct iovec iov[2] = { [1] = { (void *)buf, len } };

	if (len > ep->inject_size)
		return -FI_EMSGSIZE;
	return udp_tx(ep, iov, 2, len, dest, 0, FI_INJECT, NULL, false);
}

static ssize_t udp_senddata(struct fid_ep *fid, const void *buf, size_t len,
			    void *desc, uint64_t data, fi_addr_t dest,
			    void *context)
{
	struct udp_ep *ep = udp_ep_of(fid);
	struct iovec iov[2] = { [1] = { (void *)buf, len } };

	return udp_tx(ep, iov, 2, len, dest, data,
		      ep->util.tx_op_flags | FI_REMOTE_CQ_DATA, context, true);
}

static ssize_t udp_injectdata(struct fid_ep *fid, const void *buf, size_t len,
			      uint64_t data, fi_addr_t dest)
{
	struct udp_ep *ep = udp_ep_of(fid);
	struct iovec iov[2] = { [1] = { (void *)buf, len } };

	if (len > ep->inject_size)
		return -FI_EMSGSIZE;
	return udp_tx(ep, iov, 2, len, dest, data,
		      FI_INJECT | FI_REMOTE_CQ_DATA, NULL, false);
}

/* ---- receives --------------------------------------------------------- */

/* Queue one receive; iov[1..count] are already loaded into `v`. */
static ssize_t udp_rx_post(struct udp_ep *ep, const struct iovec *v,
			   size_t count, size_t len, uint64_t flags,
			   void *context)
{
	struct udp_rx_entry *e;

	weft_lock_acquire(&ep->util.lock);
	if (ep->rx_tail - ep->rx_head >= ep->rx_size) {
		/* Full: arrivals waiting in the socket may free entries. */
		if (ep->util.enabled)
			udp_rx_progress(ep);
		if (ep->rx_tail - ep->rx_head >= ep->rx_size) {
			weft_lock_release(&ep->util.lock);
			return -FI_EAGAIN;
		}
	}
	e = &ep->rxq[ep->rx_tail & ep->rx_mask];
	e->context = context;
	e->flags = flags;
	e->capacity = len;
	e->iov_count = count + 1;
	e->iov[0].iov_base = &ep->rx_hdr;
	e->iov[0].iov_len = sizeof(ep->rx_hdr);
	for (size_t i = 1; i <= count; i++)
		e->iov[i] = v[i];
	ep->rx_tail++;
	weft_lock_release(&ep->util.lock);
	return 0;
}

static ssize_t udp_recv(struct fid_ep *fid, void *buf, size_t len, void *desc,
			fi_addr_t src, void *context)
{
	struct udp_ep *ep = udp_ep_of(fid);
	struct iovec v[2] = { [1] = { buf, len } };

	/* A bad buffer would fail every recvmsg() and wedge the queue. */
	if (len > SIZE_MAX / 2 || (len && !buf))
		return -FI_EINVAL;
	return udp_rx_post(ep, v, 1, len, ep->util.rx_op_flags, context);
}

static ssize_t udp_recvv(struct fid_ep *fid, const struct iovec *iov,
			 void **desc, size_t count, fi_addr_t src,
			 void *context)
{
	struct udp_ep *ep = udp_ep_of(fid);
	struct iovec v[1 + UDP_IOV_LIMIT];
	size_t len;

	if (udp_iov_load(v, iov, count, &len))
		return -FI_EINVAL;
	return udp_rx_post(ep, v, count, len, ep->util.rx_op_flags, context);
}

static ssize_t udp_recvmsg(struct fid_ep *fid, const struct fi_msg *msg,
			   uint64_t flags)
{
	struct udp_ep *ep = udp_ep_of(fid);
	struct iovec v[1 + UDP_IOV_LIMIT];
	size_t len;

	if (!msg)
		return -FI_EINVAL;
	if (flags & ~UDP_RX_FLAGS)
		return -FI_EBADFLAGS;
	if (udp_iov_load(v, msg->msg_iov, msg->iov_count, &len))
		return -FI_EINVAL;
	return udp_rx_post(ep, v, msg->iov_count, len, flags, msg->context);
}

struct fi_ops_msg udp_msg_ops = {
	.size = sizeof(struct fi_ops_msg),
	.recv = udp_recv,
	.recvv = udp_recvv,
	.recvmsg = udp_recvmsg,
	.send = udp_send,
	.sendv = udp_sendv,
	.sendmsg = udp_sendmsg,
	.inject = udp_inject,
	.senddata = udp_senddata,
	.injectdata = udp_injectdata,
};
