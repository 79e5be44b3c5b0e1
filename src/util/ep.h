/* Endpoint base: what every provider endpoint has (bound CQs, counters, AV,
 * EQ, op flags, enable state) and the completion helpers that apply
 * selective completion and update counters, so providers report an
 * operation's end in one call. */
#ifndef WEFT_UTIL_EP_H
#define WEFT_UTIL_EP_H

#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_endpoint.h>
#include <stdbool.h>
#include <sys/uio.h>

#include "util/av.h"
#include "util/cntr.h"
#include "util/cq.h"
#include "util/eq.h"
#include "util/fabric.h"

enum weft_cntr_kind {
	WEFT_CNTR_SEND,
	WEFT_CNTR_RECV,
	WEFT_CNTR_READ,
	WEFT_CNTR_WRITE,
	WEFT_CNTR_REMOTE_READ,
	WEFT_CNTR_REMOTE_WRITE,
	WEFT_CNTR_KINDS
};

struct weft_ep;
/* Drive the endpoint's data path: called by CQ/counter reads. Must not
 * block. The provider takes its own locks. */
typedef void (*weft_ep_progress_fn)(struct weft_ep *ep);

struct weft_ep {
	struct fid_ep ep_fid; /* first */
	struct weft_domain *domain;
	enum fi_ep_type type;
	uint64_t caps;
	uint64_t tx_op_flags, rx_op_flags; /* defaults from attr / fi_control */
	uint64_t tx_msg_order, rx_msg_order;
	struct weft_cq *tx_cq, *rx_cq;
	bool tx_selective, rx_selective; /* bound with FI_SELECTIVE_COMPLETION */
	struct weft_cntr *cntrs[WEFT_CNTR_KINDS];
	struct weft_av *av;
	struct weft_eq *eq;
	weft_ep_progress_fn progress;
	int wait_fd;          /* fd to add to bound CQ/cntr wait sets, or -1 */
	bool enabled;
	struct weft_lock lock; /* the endpoint's data-path lock; kind chosen
				  from threading at init */

	/* Limits from the info, for the provider's argument checks
	 * (weft_ep_check_tx/rx). 0 means "no limit stated". */
	size_t max_msg_size;
	size_t inject_size;
	size_t tx_iov_limit, rx_iov_limit;
	uint64_t rx_mode;     /* rx_attr->mode: FI_BUFFERED_RECV enables the
				 FI_OPT_BUFFERED_* options */
	/* fi_setopt/fi_getopt values (FI_OPT_ENDPOINT level). */
	size_t min_multi_recv;  /* default WEFT_EP_MIN_MULTI_RECV */
	size_t buffered_limit, buffered_min;
	size_t cm_data_size;    /* set by providers with FI_EP_MSG */
};

#define WEFT_EP_MIN_MULTI_RECV 64

static inline struct weft_ep *weft_ep_of(struct fid_ep *e)
{
	return weft_container_of(e, struct weft_ep, ep_fid);
}

/* Whether an endpoint's own data-path lock must be a real mutex at this
 * threading level. In weft a CQ or counter read drives the progress of
 * every endpoint bound to it, so the endpoint's state is touched by the
 * thread reading the CQ as well as by the one posting on the endpoint.
 * Only FI_THREAD_DOMAIN and FI_THREAD_COMPLETION make the application
 * serialise those two; under FI_THREAD_ENDPOINT (one thread per endpoint,
 * but CQs shared freely), FI_THREAD_FID, FI_THREAD_SAFE and UNSPEC they
 * can run at once, so the lock is real. A provider that runs its own
 * progress thread (FI_PROGRESS_AUTO done by a thread rather than inside
 * the application's calls) races with the application at every level and
 * must enable its locks whatever this answers. */
bool weft_ep_needs_lock(enum fi_threading threading);

/* Validates info and sets ep up (memset first: call before touching any
 * weft_ep field). The type is info->ep_attr->type, or the domain's when
 * UNSPEC; it must be the domain's and one the provider's templates offer.
 * caps (the domain's when 0) must be a subset of the domain's. Copies op
 * flags, msg order and limits from tx_attr/rx_attr/ep_attr, wait_fd = -1,
 * lock kind from weft_ep_needs_lock, every ops pointer to a ready table
 * (weft_ep_fi_ops, weft_ep_ops_default, weft_ops_*_none), bumps
 * dom->ref. -FI_EINVAL (NULL arguments, progress NULL, type or caps that do
 * not fit), -FI_ENOMEM. The provider sets wait_fd before any fi_ep_bind. */
int weft_ep_init(struct weft_ep *ep, struct weft_domain *dom,
		 const struct fi_info *info, weft_ep_progress_fn progress,
		 void *context);
/* Unbinds everything (CQs, counters, EQ with one remove per binding, AV
 * ref), drops dom->ref; never fails: endpoints close unconditionally. Call
 * it before closing the fd in wait_fd (unbinding takes it out of the wait
 * sets) and without holding ep->lock. */
void weft_ep_fini(struct weft_ep *ep);

/* fi_ep_bind for the common objects: CQ (FI_TRANSMIT, FI_RECV,
 * FI_SELECTIVE_COMPLETION), counter (FI_SEND, FI_RECV, FI_READ, FI_WRITE,
 * FI_REMOTE_READ, FI_REMOTE_WRITE), AV, EQ. Validates flags and that the
 * object belongs to the same domain; adds the ep to the progress sets and
 * wait_fd to the wait sets (weft_cq_add_ep etc., once per binding).
 * -FI_EINVAL: NULL, unknown flags, no direction for a CQ, remote counters
 * without FI_RMA_EVENT, an object of another domain (EQ: fabric), a second
 * CQ/counter for the same kind of operation, a second AV or EQ, a class
 * that does not bind to endpoints. -FI_EOPBADSTATE once enabled.
 * -FI_ENOSYS for shared contexts and MRs. A failed bind changes nothing. */
int weft_ep_bind(struct fid *ep_fid, struct fid *bfid, uint64_t flags);
/* fi_control FI_GETOPSFLAG / FI_SETOPSFLAG / FI_ENABLE bookkeeping, and
 * FI_GETWAIT (wait_fd as an int, -FI_ENOSYS without one). The opsflag
 * argument names exactly one of FI_TRANSMIT / FI_RECV (else -FI_EINVAL);
 * SETOPSFLAG accepts only operation flags (FI_MULTI_RECV on rx only).
 * FI_ENABLE checks the required bindings (a CQ or counter for each
 * direction the caps need: -FI_ENOCQ; an AV for DGRAM/RDM: -FI_ENOAV; an
 * EQ for MSG: -FI_ENOEQ) and sets enabled (again: 0). A provider wraps it:
 * call it first, then start its data path, and clear enabled if that
 * fails. Other commands: -FI_ENOSYS. */
int weft_ep_control(struct fid *fid, int command, void *arg);
/* fi_getopt/fi_setopt at FI_OPT_ENDPOINT: FI_OPT_MIN_MULTI_RECV (> 0),
 * FI_OPT_CM_DATA_SIZE (read only, MSG endpoints: cm_data_size),
 * FI_OPT_BUFFERED_LIMIT / _MIN (only with FI_BUFFERED_RECV mode, set
 * before enable). Values are size_t: getopt answers -FI_ETOOSMALL with the
 * needed *optlen, setopt -FI_EINVAL for another optlen. Anything else
 * -FI_ENOPROTOOPT. */
int weft_ep_getopt(fid_t fid, int level, int optname, void *optval,
		   size_t *optlen);
int weft_ep_setopt(fid_t fid, int level, int optname, const void *optval,
		   size_t optlen);

/* Report a transmit-side operation finished: writes a CQ entry unless
 * selective completion suppresses it (flags lacks FI_COMPLETION while the
 * CQ was bound with FI_SELECTIVE_COMPLETION), and bumps the send / read /
 * write counter chosen by op_flags (FI_SEND, FI_READ, FI_WRITE).
 * op_flags = the operation's flags (ep->tx_op_flags for the non-msg calls)
 * | what completed (FI_SEND|FI_MSG, FI_RMA|FI_READ, ...); only completion
 * flags (fi_cq(3)) reach the entry, FI_COMPLETION/FI_INJECT/... are
 * stripped. fi_inject-style operations call weft_ep_cntr_inc instead.
 * Errors (_error) are written whatever FI_SELECTIVE_COMPLETION says, with
 * err made positive (0 becomes FI_EOTHER), and bump the counter's error
 * count. Returns weft_cq_write's result (0 or -FI_ENOMEM). */
int weft_ep_tx_complete(struct weft_ep *ep, void *context, uint64_t op_flags,
			size_t len, void *buf, uint64_t data, uint64_t tag);
int weft_ep_tx_error(struct weft_ep *ep, void *context, uint64_t op_flags,
		     int err, int prov_errno, size_t len, size_t olen);
/* Same for the receive side; src is the sender's fi_addr (FI_ADDR_NOTAVAIL
 * when unknown). RMA/atomic events at the target (FI_REMOTE_READ /
 * FI_REMOTE_WRITE) write a CQ entry only with FI_REMOTE_CQ_DATA; they
 * always bump the remote counter. */
int weft_ep_rx_complete(struct weft_ep *ep, void *context, uint64_t op_flags,
			size_t len, void *buf, uint64_t data, uint64_t tag,
			fi_addr_t src);
int weft_ep_rx_error(struct weft_ep *ep, void *context, uint64_t op_flags,
		     int err, int prov_errno, void *buf, size_t len, size_t olen,
		     uint64_t data, uint64_t tag);
/* FI_SOURCE_ERR (fi_getinfo(3)): a message arrived, complete and in buf,
 * from an address the AV does not hold. It is reported as an error
 * completion with err = FI_EADDRNOTAVAIL whose err_data is the sender's raw
 * address (addrlen bytes, copied), so the application can fi_av_insert it.
 * Bumps the receive counter's error count. */
int weft_ep_rx_source_error(struct weft_ep *ep, void *context,
			    uint64_t op_flags, void *buf, size_t len,
			    uint64_t data, uint64_t tag, const void *addr,
			    size_t addrlen);

/* Argument checks every provider's data path makes the same way:
 * -FI_EINVAL for a NULL iov array with count > 0 or a NULL base with a
 * nonzero length, -FI_EINVAL for count > the iov limit, -FI_EMSGSIZE when
 * the total exceeds max_msg_size. On success *total holds the byte count.
 * Cheap: a loop over count entries, no calls. */
int weft_ep_check_iov(const struct iovec *iov, size_t count, size_t iov_limit,
		      size_t max_msg_size, size_t *total);

/* Bump the counter bound for kind, if any (fi_inject and remote RMA events
 * update counters without a CQ entry). */
void weft_ep_cntr_inc(struct weft_ep *ep, enum weft_cntr_kind kind);
/* Which counter an operation's completion flags select: transmit side
 * FI_READ -> READ, FI_WRITE -> WRITE, else SEND; receive side
 * FI_REMOTE_READ -> REMOTE_READ, FI_REMOTE_WRITE -> REMOTE_WRITE, else RECV. */
enum weft_cntr_kind weft_ep_tx_cntr_kind(uint64_t op_flags);
enum weft_cntr_kind weft_ep_rx_cntr_kind(uint64_t op_flags);

/* Ready tables set by weft_ep_init so that no slot is ever NULL; the
 * provider replaces what it implements (usually fid.ops->close and the
 * msg/tagged/cm tables).
 * - weft_ep_fi_ops: close = weft_ep_close (weft_ep_fini + free: only for an
 *   endpoint that owns nothing else), bind = weft_ep_bind, control =
 *   weft_ep_control, the rest -FI_ENOSYS.
 * - weft_ep_ops_default: cancel, tx_ctx, rx_ctx, rx/tx_size_left stubs,
 *   getopt/setopt = weft_ep_getopt/setopt. */
extern struct fi_ops weft_ep_fi_ops;
extern struct fi_ops_ep weft_ep_ops_default;
int weft_ep_close(struct fid *fid);
ssize_t weft_ep_cancel_none(fid_t fid, void *context);
int weft_ep_tx_ctx_none(struct fid_ep *sep, int index, struct fi_tx_attr *attr,
			struct fid_ep **tx_ep, void *context);
int weft_ep_rx_ctx_none(struct fid_ep *sep, int index, struct fi_rx_attr *attr,
			struct fid_ep **rx_ep, void *context);
ssize_t weft_ep_size_left_none(struct fid_ep *ep);

/* Stubs of the right type for ops a provider does not implement: each
 * returns -FI_ENOSYS. Every ops table slot is either real or one of these. */
/* The slots of weft_ops_cm_none, for a provider whose endpoints implement
 * only some CM calls (connectionless endpoints: setname/getname). */
int weft_cm_setname_none(fid_t fid, void *addr, size_t addrlen);
int weft_cm_getname_none(fid_t fid, void *addr, size_t *addrlen);
int weft_cm_getpeer_none(struct fid_ep *ep, void *addr, size_t *addrlen);
int weft_cm_connect_none(struct fid_ep *ep, const void *addr,
			 const void *param, size_t paramlen);
int weft_cm_listen_none(struct fid_pep *pep);
int weft_cm_accept_none(struct fid_ep *ep, const void *param,
			size_t paramlen);
int weft_cm_reject_none(struct fid_pep *pep, fid_t handle, const void *param,
			size_t paramlen);
int weft_cm_shutdown_none(struct fid_ep *ep, uint64_t flags);
int weft_cm_join_none(struct fid_ep *ep, const void *addr, uint64_t flags,
		      struct fid_mc **mc, void *context);

extern struct fi_ops_cm weft_ops_cm_none;
extern struct fi_ops_msg weft_ops_msg_none;
extern struct fi_ops_tagged weft_ops_tagged_none;
extern struct fi_ops_rma weft_ops_rma_none;
extern struct fi_ops_atomic weft_ops_atomic_none;
extern struct fi_ops_collective weft_ops_collective_none;

#endif
