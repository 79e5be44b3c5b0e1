/* Endpoint base: what every provider endpoint has (bound CQs, counters, AV,
 * EQ, op flags, enable state) and the completion helpers that apply
 * selective completion and update counters, so providers report an
 * operation's end in one call. */
#ifndef WEFT_UTIL_EP_H
#define WEFT_UTIL_EP_H

#include <rdma/fabric.h>
#include <rdma/fi_endpoint.h>
#include <stdbool.h>

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
};

static inline struct weft_ep *weft_ep_of(struct fid_ep *e)
{
	return weft_container_of(e, struct weft_ep, ep_fid);
}

/* Validates info (ep_type, caps against the domain's), sets defaults. */
int weft_ep_init(struct weft_ep *ep, struct weft_domain *dom,
		 const struct fi_info *info, weft_ep_progress_fn progress,
		 void *context);
/* Unbinds everything; -FI_EBUSY never: endpoints close unconditionally. */
void weft_ep_fini(struct weft_ep *ep);

/* fi_ep_bind for the common objects: CQ (FI_TRANSMIT, FI_RECV,
 * FI_SELECTIVE_COMPLETION), counter (FI_SEND, FI_RECV, FI_READ, FI_WRITE,
 * FI_REMOTE_READ, FI_REMOTE_WRITE), AV, EQ. Validates flags and that the
 * object belongs to the same domain; adds the ep to the progress sets and
 * wait_fd to the wait sets. */
int weft_ep_bind(struct fid *ep_fid, struct fid *bfid, uint64_t flags);
/* fi_control FI_GETOPSFLAG / FI_SETOPSFLAG / FI_ENABLE bookkeeping. For
 * FI_ENABLE, checks the required bindings (a CQ or counter for each
 * direction the caps need, an AV for connectionless types) and returns
 * -FI_ENOCQ / -FI_ENOAV; the provider then starts its data path. */
int weft_ep_control(struct fid *fid, int command, void *arg);
/* fi_getopt/fi_setopt: FI_OPT_MIN_MULTI_RECV, FI_OPT_CM_DATA_SIZE, ...
 * answers -FI_ENOPROTOOPT for what the endpoint does not have. */
int weft_ep_getopt(fid_t fid, int level, int optname, void *optval,
		   size_t *optlen);
int weft_ep_setopt(fid_t fid, int level, int optname, const void *optval,
		   size_t optlen);

/* Report a transmit-side operation finished: writes a CQ entry unless
 * selective completion suppresses it (flags lacks FI_COMPLETION while the
 * CQ was bound with FI_SELECTIVE_COMPLETION), and bumps the send / read /
 * write counter chosen by op_flags (FI_SEND, FI_READ, FI_WRITE). */
int weft_ep_tx_complete(struct weft_ep *ep, void *context, uint64_t op_flags,
			size_t len, void *buf, uint64_t data, uint64_t tag);
int weft_ep_tx_error(struct weft_ep *ep, void *context, uint64_t op_flags,
		     int err, int prov_errno, size_t len, size_t olen);
/* Same for the receive side; src is the sender's fi_addr (FI_ADDR_NOTAVAIL
 * when unknown). */
int weft_ep_rx_complete(struct weft_ep *ep, void *context, uint64_t op_flags,
			size_t len, void *buf, uint64_t data, uint64_t tag,
			fi_addr_t src);
int weft_ep_rx_error(struct weft_ep *ep, void *context, uint64_t op_flags,
		     int err, int prov_errno, void *buf, size_t len, size_t olen,
		     uint64_t data, uint64_t tag);

/* Stubs of the right type for ops a provider does not implement: each
 * returns -FI_ENOSYS. Every ops table slot is either real or one of these. */
extern struct fi_ops_cm weft_ops_cm_none;
extern struct fi_ops_msg weft_ops_msg_none;
extern struct fi_ops_tagged weft_ops_tagged_none;
extern struct fi_ops_rma weft_ops_rma_none;
extern struct fi_ops_atomic weft_ops_atomic_none;
extern struct fi_ops_collective weft_ops_collective_none;

#endif
