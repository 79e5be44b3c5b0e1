/* Multi-receive buffers (FI_MULTI_RECV, fi_msg(3)): one posted region that
 * successive messages fill, each completing with its own CQ entry whose buf
 * points at its bytes inside the region.
 *
 * The buffer is retired (takes no more messages) once the space left falls
 * below the endpoint's FI_OPT_MIN_MULTI_RECV; it is released when it is
 * retired and every message placed in it has completed. The completion that
 * releases it carries FI_MULTI_RECV, so the application sees exactly one
 * entry with that flag per buffer, and it is the last entry for the buffer.
 *
 * Messages may land in any order and overlap in time (a large message still
 * arriving while a small one behind it has completed): a claim reserves the
 * space up front, so regions never overlap.
 *
 * Not thread safe: the provider calls these under the endpoint's lock. No
 * allocation; the struct lives in the provider's receive entry.
 */
#ifndef WEFT_UTIL_MRECV_H
#define WEFT_UTIL_MRECV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "util/ep.h"

struct weft_mrecv {
	void *context;    /* the post's context, in every completion */
	uint8_t *base;
	size_t size;      /* bytes in the region */
	size_t used;      /* bytes claimed so far */
	size_t min_free;  /* retire when size - used < min_free */
	uint64_t flags;   /* the post's op flags (FI_COMPLETION, ...) */
	uint32_t inflight;/* claimed, not yet completed */
	bool retired;     /* takes no more claims */
};

/* Set m up for a posted buffer of one iov (fi_recvmsg with FI_MULTI_RECV
 * accepts exactly one: checked by weft_mrecv_check). min_free is
 * ep->min_multi_recv at post time. */
void weft_mrecv_init(struct weft_mrecv *m, const struct iovec *iov,
		     void *context, uint64_t flags, size_t min_free);

/* Argument check for a multi-receive post: -FI_EINVAL unless count == 1
 * with a non-NULL base and a nonzero length. */
int weft_mrecv_check(const struct iovec *iov, size_t count);

/* Reserve room for a message of len bytes. Returns the address where it
 * lands and sets *room to the bytes reserved: len, or less when the message
 * is longer than what is left (the caller then delivers *room bytes and
 * reports FI_ETRUNC with olen = len - *room). Counts the message in
 * flight; retires the buffer when what is left drops below min_free.
 * Must not be called on a retired buffer. */
void *weft_mrecv_claim(struct weft_mrecv *m, size_t len, size_t *room);

/* Whether the buffer can take another message. */
static inline bool weft_mrecv_open(const struct weft_mrecv *m)
{
	return !m->retired;
}

/* A claimed message has fully landed: writes its completion (FI_RECV |
 * FI_MSG | op_flags, buf/len as claimed, plus FI_MULTI_RECV when this
 * completion releases the buffer) through weft_ep_rx_complete. Returns
 * true when the buffer is released: the provider then frees its entry. */
bool weft_mrecv_complete(struct weft_ep *ep, struct weft_mrecv *m,
			 uint64_t op_flags, void *buf, size_t len,
			 uint64_t data, fi_addr_t src);

/* Same for a claimed message that failed (truncated, peer died): an error
 * completion (err > 0 or < 0, olen as weft_ep_rx_error) that carries
 * FI_MULTI_RECV when it releases the buffer. */
bool weft_mrecv_error(struct weft_ep *ep, struct weft_mrecv *m,
		      uint64_t op_flags, int err, void *buf, size_t len,
		      size_t olen, uint64_t data);

/* Same for a claimed message that landed whole but came from an address
 * the AV does not hold, on an endpoint with FI_SOURCE_ERR: the error
 * completion of weft_ep_rx_source_error (FI_EADDRNOTAVAIL, err_data = the
 * sender's raw address), carrying FI_MULTI_RECV when it releases the
 * buffer. */
bool weft_mrecv_source_error(struct weft_ep *ep, struct weft_mrecv *m,
			     uint64_t op_flags, void *buf, size_t len,
			     uint64_t data, const void *addr, size_t addrlen);

/* fi_cancel of a multi-receive buffer: retires it. With nothing in flight
 * it is released at once with an FI_ECANCELED error completion carrying
 * FI_MULTI_RECV (returns true: free the entry); otherwise the last
 * in-flight completion releases it (returns false). */
bool weft_mrecv_cancel(struct weft_ep *ep, struct weft_mrecv *m);

#endif
