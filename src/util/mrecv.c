/* Multi-receive buffer bookkeeping: see mrecv.h. */
#include <rdma/fi_errno.h>

#include "util/mrecv.h"

void weft_mrecv_init(struct weft_mrecv *m, const struct iovec *iov,
		     void *context, uint64_t flags, size_t min_free)
{
	m->context = context;
	m->base = iov->iov_base;
	m->size = iov->iov_len;
	m->used = 0;
	m->min_free = min_free;
	m->flags = flags;
	m->inflight = 0;
	m->retired = false;
}

int weft_mrecv_check(const struct iovec *iov, size_t count)
{
	if (count != 1 || !iov || !iov[0].iov_base || !iov[0].iov_len)
		return -FI_EINVAL;
	return 0;
}

void *weft_mrecv_claim(struct weft_mrecv *m, size_t len, size_t *room)
{
	size_t left = m->size - m->used;
	void *at = m->base + m->used;

	*room = len < left ? len : left;
	m->used += *room;
	m->inflight++;
	/* A buffer always takes at least one message, even one posted
	 * smaller than min_free; after that, too little left retires it. */
	if (m->size - m->used < m->min_free)
		m->retired = true;
	return at;
}

/* Count one claimed message done; true when that releases the buffer. */
static bool mrecv_release(struct weft_mrecv *m)
{
	m->inflight--;
	return m->retired && m->inflight == 0;
}

bool weft_mrecv_complete(struct weft_ep *ep, struct weft_mrecv *m,
			 uint64_t op_flags, void *buf, size_t len,
			 uint64_t data, fi_addr_t src)
{
	bool released = mrecv_release(m);
	uint64_t flags = op_flags | FI_RECV | FI_MSG |
			 (m->flags & FI_COMPLETION);

	if (released)
		flags |= FI_MULTI_RECV;
	weft_ep_rx_complete(ep, m->context, flags, len, buf, data, 0, src);
	return released;
}

bool weft_mrecv_error(struct weft_ep *ep, struct weft_mrecv *m,
		      uint64_t op_flags, int err, void *buf, size_t len,
		      size_t olen, uint64_t data)
{
	bool released = mrecv_release(m);
	uint64_t flags = op_flags | FI_RECV | FI_MSG;

	if (released)
		flags |= FI_MULTI_RECV;
	weft_ep_rx_error(ep, m->context, flags, err, err < 0 ? -err : err,
			 buf, len, olen, data, 0);
	return released;
}

bool weft_mrecv_source_error(struct weft_ep *ep, struct weft_mrecv *m,
			     uint64_t op_flags, void *buf, size_t len,
			     uint64_t data, const void *addr, size_t addrlen)
{
	bool released = mrecv_release(m);
	uint64_t flags = op_flags | FI_RECV | FI_MSG;

	if (released)
		flags |= FI_MULTI_RECV;
	weft_ep_rx_source_error(ep, m->context, flags, buf, len, data, 0, addr,
				addrlen);
	return released;
}

bool weft_mrecv_cancel(struct weft_ep *ep, struct weft_mrecv *m)
{
	m->retired = true;
	if (m->inflight)
		return false;
	weft_ep_rx_error(ep, m->context, FI_RECV | FI_MSG | FI_MULTI_RECV,
			 FI_ECANCELED, FI_ECANCELED, m->base, 0, 0, 0, 0);
	return true;
}
