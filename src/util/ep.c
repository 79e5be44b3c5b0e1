/* The endpoint base object: bindings (CQs, counters, AV, EQ) with their
 * validation, op flags and options, the FI_ENABLE checks, and the
 * completion helpers that apply selective completion and counters so a
 * provider reports an operation's end in one call.
 *
 * Locking: bind/control/setopt are control-path calls that fi_endpoint(3)
 * requires the application to serialise against everything else on the
 * endpoint, so they take no endpoint lock. The completion helpers run in
 * the provider's data path, under whatever lock the provider holds; the
 * CQ and counter serialise themselves. */
#include <stdlib.h>
#include <string.h>

#include <rdma/fi_errno.h>

#include "util/ep.h"

/* Flags a completion entry may carry (fi_cq(3) "Completion Flags"); op
 * flags outside this set (FI_COMPLETION, FI_INJECT, completion levels...)
 * describe how to complete, not what completed, and are stripped. */
#define CQ_ENTRY_FLAGS                                                        \
	(FI_SEND | FI_RECV | FI_MSG | FI_TAGGED | FI_RMA | FI_ATOMIC |        \
	 FI_MULTICAST | FI_COLLECTIVE | FI_READ | FI_WRITE | FI_REMOTE_READ | \
	 FI_REMOTE_WRITE | FI_REMOTE_CQ_DATA | FI_MULTI_RECV | FI_MORE |      \
	 FI_CLAIM)
/* A transmit completion never carries remote CQ data (fi_cq(3): the flag
 * says the entry's data field holds the peer's immediate data) nor names a
 * multi-receive buffer, whatever flags the operation was posted with. */
#define TX_ENTRY_FLAGS (CQ_ENTRY_FLAGS & ~(FI_REMOTE_CQ_DATA | FI_MULTI_RECV))

/* Default operation flags an application may set with FI_SETOPSFLAG
 * (fi_endpoint(3) "Operation Flags"). */
#define EP_OP_FLAGS                                                            \
	(FI_COMPLETION | FI_INJECT | FI_INJECT_COMPLETE |                     \
	 FI_TRANSMIT_COMPLETE | FI_DELIVERY_COMPLETE | FI_COMMIT_COMPLETE |   \
	 FI_MATCH_COMPLETE | FI_MULTICAST | FI_MULTI_RECV | FI_FENCE)

#define CQ_BIND_FLAGS (FI_TRANSMIT | FI_RECV | FI_SELECTIVE_COMPLETION)
#define CNTR_BIND_FLAGS                                                       \
	(FI_SEND | FI_RECV | FI_READ | FI_WRITE | FI_REMOTE_READ |           \
	 FI_REMOTE_WRITE)

static const uint64_t cntr_bind_flag[WEFT_CNTR_KINDS] = {
	[WEFT_CNTR_SEND] = FI_SEND,
	[WEFT_CNTR_RECV] = FI_RECV,
	[WEFT_CNTR_READ] = FI_READ,
	[WEFT_CNTR_WRITE] = FI_WRITE,
	[WEFT_CNTR_REMOTE_READ] = FI_REMOTE_READ,
	[WEFT_CNTR_REMOTE_WRITE] = FI_REMOTE_WRITE,
};

/* ---- init / fini -------------------------------------------------------- */

bool weft_ep_needs_lock(enum fi_threading threading)
{
	/* The same rule as for CQs and counters (see ep.h for why
	 * FI_THREAD_ENDPOINT is not enough to go without). */
	return weft_threading_needs_lock(threading);
}

static bool provider_has_ep_type(const struct weft_prov_desc *desc,
				 enum fi_ep_type type)
{
	if (!desc || !desc->infos || !desc->infos[0])
		return true;
	for (const struct fi_info *const *t = desc->infos; *t; t++) {
		if ((*t)->ep_attr && (*t)->ep_attr->type == type)
			return true;
	}
	return false;
}

int weft_ep_init(struct weft_ep *ep, struct weft_domain *dom,
		 const struct fi_info *info, weft_ep_progress_fn progress,
		 void *context)
{
	const struct fi_info *dinfo;
	enum fi_ep_type type = FI_EP_UNSPEC;
	uint64_t caps;
	int ret;

	if (!ep || !dom || !info || !progress)
		return -FI_EINVAL;
	if (dom->domain_fid.fid.fclass != FI_CLASS_DOMAIN || !dom->info)
		return -FI_EINVAL;
	dinfo = dom->info;

	if (info->ep_attr)
		type = info->ep_attr->type;
	if (type == FI_EP_UNSPEC && dinfo->ep_attr)
		type = dinfo->ep_attr->type;
	if (type == FI_EP_UNSPEC)
		return -FI_EINVAL;
	/* An info for another endpoint type than the domain was opened for,
	 * or one the provider does not offer, cannot be honoured. */
	if (dinfo->ep_attr && dinfo->ep_attr->type != FI_EP_UNSPEC &&
	    dinfo->ep_attr->type != type)
		return -FI_EINVAL;
	if (!provider_has_ep_type(dom->fabric ? dom->fabric->desc : NULL, type))
		return -FI_EINVAL;

	/* Caps may narrow what the domain was opened with, never widen it. */
	caps = info->caps ? info->caps : dinfo->caps;
	if (caps & ~dinfo->caps)
		return -FI_EINVAL;

	memset(ep, 0, sizeof(*ep));
	ret = weft_lock_init(&ep->lock,
			     weft_ep_needs_lock(dom->threading));
	if (ret)
		return -FI_ENOMEM;

	ep->domain = dom;
	ep->type = type;
	ep->caps = caps;
	ep->progress = progress;
	ep->wait_fd = -1;
	if (info->tx_attr) {
		ep->tx_op_flags = info->tx_attr->op_flags;
		ep->tx_msg_order = info->tx_attr->msg_order;
		ep->inject_size = info->tx_attr->inject_size;
		ep->tx_iov_limit = info->tx_attr->iov_limit;
	}
	if (info->rx_attr) {
		ep->rx_op_flags = info->rx_attr->op_flags;
		ep->rx_msg_order = info->rx_attr->msg_order;
		ep->rx_iov_limit = info->rx_attr->iov_limit;
		ep->rx_mode = info->rx_attr->mode;
	}
	if (info->ep_attr)
		ep->max_msg_size = info->ep_attr->max_msg_size;
	ep->min_multi_recv = WEFT_EP_MIN_MULTI_RECV;
	ep->buffered_limit = ep->max_msg_size;
	ep->buffered_min = 0;

	ep->ep_fid.fid.fclass = FI_CLASS_EP;
	ep->ep_fid.fid.context = context;
	ep->ep_fid.fid.ops = &weft_ep_fi_ops;
	ep->ep_fid.ops = &weft_ep_ops_default;
	ep->ep_fid.cm = &weft_ops_cm_none;
	ep->ep_fid.msg = &weft_ops_msg_none;
	ep->ep_fid.rma = &weft_ops_rma_none;
	ep->ep_fid.tagged = &weft_ops_tagged_none;
	ep->ep_fid.atomic = &weft_ops_atomic_none;
	ep->ep_fid.collective = &weft_ops_collective_none;

	atomic_fetch_add(&dom->ref, 1);
	return 0;
}

/* Each binding (tx CQ, rx CQ, one per counter kind) is one counted
 * weft_*_add_ep on the object, undone by one weft_*_remove_ep: the CQ and
 * counter keep their ref, progress set and wait fds in step with that. */
static void cq_detach(struct weft_ep *ep, struct weft_cq **slot)
{
	if (!*slot)
		return;
	weft_cq_remove_ep(*slot, ep);
	*slot = NULL;
}

static void cntr_detach(struct weft_ep *ep, int kind)
{
	if (!ep->cntrs[kind])
		return;
	weft_cntr_remove_ep(ep->cntrs[kind], ep);
	ep->cntrs[kind] = NULL;
}

void weft_ep_fini(struct weft_ep *ep)
{
	if (!ep || !ep->domain)
		return;
	cq_detach(ep, &ep->tx_cq);
	cq_detach(ep, &ep->rx_cq);
	for (int k = 0; k < WEFT_CNTR_KINDS; k++)
		cntr_detach(ep, k);
	if (ep->av) {
		atomic_fetch_sub(&ep->av->ref, 1);
		ep->av = NULL;
	}
	if (ep->eq) {
		weft_eq_remove_ep(ep->eq, ep);
		ep->eq = NULL;
	}
	weft_lock_destroy(&ep->lock);
	atomic_fetch_sub(&ep->domain->ref, 1);
	ep->domain = NULL;
	ep->enabled = false;
	ep->ep_fid.fid.fclass = FI_CLASS_UNSPEC;
}

int weft_ep_close(struct fid *fid)
{
	struct weft_ep *ep;

	if (!fid || fid->fclass != FI_CLASS_EP)
		return -FI_EINVAL;
	ep = weft_container_of(fid, struct weft_ep, ep_fid.fid);
	weft_ep_fini(ep);
	free(ep);
	return 0;
}

/* ---- bind ---------------------------------------------------------------- */

static int bind_cq(struct weft_ep *ep, struct weft_cq *cq, uint64_t flags)
{
	int ret;

	if (flags & ~CQ_BIND_FLAGS)
		return -FI_EINVAL;
	/* FI_SELECTIVE_COMPLETION qualifies a direction; alone (or no flags
	 * at all) it binds nothing, which is an application mistake. */
	if (!(flags & (FI_TRANSMIT | FI_RECV)))
		return -FI_EINVAL;
	if (cq->domain != ep->domain)
		return -FI_EINVAL;
	/* fi_endpoint(3): a single CQ per type of operation. */
	if (((flags & FI_TRANSMIT) && ep->tx_cq) ||
	    ((flags & FI_RECV) && ep->rx_cq))
		return -FI_EINVAL;

	if (flags & FI_TRANSMIT) {
		ret = weft_cq_add_ep(cq, ep);
		if (ret)
			return ret;
		ep->tx_cq = cq;
		ep->tx_selective = !!(flags & FI_SELECTIVE_COMPLETION);
	}
	if (flags & FI_RECV) {
		ret = weft_cq_add_ep(cq, ep);
		if (ret) {
			/* All or nothing: undo the transmit half. */
			if (flags & FI_TRANSMIT)
				cq_detach(ep, &ep->tx_cq);
			return ret;
		}
		ep->rx_cq = cq;
		ep->rx_selective = !!(flags & FI_SELECTIVE_COMPLETION);
	}
	return 0;
}

static int bind_cntr(struct weft_ep *ep, struct weft_cntr *cntr,
		     uint64_t flags)
{
	int k, ret;

	if (!flags || (flags & ~CNTR_BIND_FLAGS))
		return -FI_EINVAL;
	if (cntr->domain != ep->domain)
		return -FI_EINVAL;
	/* Remote events need FI_RMA_EVENT (fi_endpoint(3)). */
	if ((flags & (FI_REMOTE_READ | FI_REMOTE_WRITE)) &&
	    !(ep->caps & FI_RMA_EVENT))
		return -FI_EINVAL;
	for (k = 0; k < WEFT_CNTR_KINDS; k++) {
		if ((flags & cntr_bind_flag[k]) && ep->cntrs[k])
			return -FI_EINVAL;
	}

	for (k = 0; k < WEFT_CNTR_KINDS; k++) {
		if (!(flags & cntr_bind_flag[k]))
			continue;
		ret = weft_cntr_add_ep(cntr, ep);
		if (ret)
			goto err_undo;
		ep->cntrs[k] = cntr;
	}
	return 0;

err_undo:
	/* All or nothing: the kinds bound by this call, and only those
	 * (the check above made sure none was bound before). */
	while (k-- > 0) {
		if (flags & cntr_bind_flag[k])
			cntr_detach(ep, k);
	}
	return ret;
}

int weft_ep_bind(struct fid *ep_fid, struct fid *bfid, uint64_t flags)
{
	struct weft_ep *ep;

	if (!ep_fid || ep_fid->fclass != FI_CLASS_EP || !bfid)
		return -FI_EINVAL;
	ep = weft_container_of(ep_fid, struct weft_ep, ep_fid.fid);
	if (!ep->domain)
		return -FI_EINVAL;
	/* fi_endpoint(3): everything is bound before the endpoint is
	 * enabled; the data path reads the bindings without locks. */
	if (ep->enabled)
		return -FI_EOPBADSTATE;

	switch (bfid->fclass) {
	case FI_CLASS_CQ:
		return bind_cq(ep, weft_container_of(bfid, struct weft_cq,
						     cq_fid.fid),
			       flags);
	case FI_CLASS_CNTR:
		return bind_cntr(ep, weft_container_of(bfid, struct weft_cntr,
						       cntr_fid.fid),
				 flags);
	case FI_CLASS_AV: {
		struct weft_av *av = weft_container_of(bfid, struct weft_av,
						       av_fid.fid);
		if (flags || av->domain != ep->domain || ep->av)
			return -FI_EINVAL;
		ep->av = av;
		atomic_fetch_add(&av->ref, 1);
		return 0;
	}
	case FI_CLASS_EQ: {
		struct weft_eq *eq = weft_container_of(bfid, struct weft_eq,
						       eq_fid.fid);
		int ret;

		if (flags || eq->fabric != ep->domain->fabric || ep->eq)
			return -FI_EINVAL;
		/* EQ reads then drive the endpoint's progress too, which is
		 * what delivers connection events for manual progress. */
		ret = weft_eq_add_ep(eq, ep);
		if (ret)
			return ret;
		ep->eq = eq;
		return 0;
	}
	case FI_CLASS_STX_CTX:
	case FI_CLASS_SRX_CTX:
	case FI_CLASS_MR:
		/* Shared contexts and endpoint-bound MRs are provider
		 * features weft does not have (yet). */
		return -FI_ENOSYS;
	default:
		return -FI_EINVAL;
	}
}

/* ---- control ------------------------------------------------------------ */

/* Whether the endpoint initiates transfers / receives messages, from its
 * caps: a primary cap without any direction bit means both directions
 * (fi_getinfo(3)). */
static bool ep_initiates(const struct weft_ep *ep)
{
	uint64_t dirs = ep->caps & (FI_SEND | FI_RECV | FI_READ | FI_WRITE |
				    FI_REMOTE_READ | FI_REMOTE_WRITE);

	if (!(ep->caps & (FI_MSG | FI_TAGGED | FI_RMA | FI_ATOMIC)))
		return false;
	return !dirs || (dirs & (FI_SEND | FI_READ | FI_WRITE));
}

static bool ep_receives(const struct weft_ep *ep)
{
	uint64_t dirs = ep->caps & (FI_SEND | FI_RECV | FI_READ | FI_WRITE |
				    FI_REMOTE_READ | FI_REMOTE_WRITE);

	if (!(ep->caps & (FI_MSG | FI_TAGGED)))
		return false;
	return !dirs || (dirs & FI_RECV);
}

static int ep_enable_check(struct weft_ep *ep)
{
	if (ep_initiates(ep) && !ep->tx_cq && !ep->cntrs[WEFT_CNTR_SEND] &&
	    !ep->cntrs[WEFT_CNTR_READ] && !ep->cntrs[WEFT_CNTR_WRITE])
		return -FI_ENOCQ;
	if (ep_receives(ep) && !ep->rx_cq && !ep->cntrs[WEFT_CNTR_RECV])
		return -FI_ENOCQ;
	if ((ep->type == FI_EP_DGRAM || ep->type == FI_EP_RDM) && !ep->av)
		return -FI_ENOAV;
	if (ep->type == FI_EP_MSG && !ep->eq)
		return -FI_ENOEQ;
	return 0;
}

/* FI_GETOPSFLAG / FI_SETOPSFLAG: the argument names one direction with
 * FI_TRANSMIT or FI_RECV, never both. */
static int ep_opsflag(struct weft_ep *ep, bool set, uint64_t *arg)
{
	uint64_t dir, *target;

	if (!arg)
		return -FI_EINVAL;
	dir = *arg & (FI_TRANSMIT | FI_RECV);
	if (dir == FI_TRANSMIT)
		target = &ep->tx_op_flags;
	else if (dir == FI_RECV)
		target = &ep->rx_op_flags;
	else
		return -FI_EINVAL;

	if (!set) {
		*arg = *target;
		return 0;
	}
	if (*arg & ~(dir | EP_OP_FLAGS))
		return -FI_EINVAL;
	/* FI_MULTI_RECV describes receive buffers only. */
	if (dir == FI_TRANSMIT && (*arg & FI_MULTI_RECV))
		return -FI_EINVAL;
	*target = *arg & ~dir;
	return 0;
}

int weft_ep_control(struct fid *fid, int command, void *arg)
{
	struct weft_ep *ep;
	int ret;

	if (!fid || fid->fclass != FI_CLASS_EP)
		return -FI_EINVAL;
	ep = weft_container_of(fid, struct weft_ep, ep_fid.fid);
	if (!ep->domain)
		return -FI_EINVAL;

	switch (command) {
	case FI_GETOPSFLAG:
		return ep_opsflag(ep, false, arg);
	case FI_SETOPSFLAG:
		return ep_opsflag(ep, true, arg);
	case FI_ENABLE:
		if (ep->enabled)
			return 0;
		ret = ep_enable_check(ep);
		if (ret)
			return ret;
		ep->enabled = true;
		return 0;
	case FI_GETWAIT:
		if (!arg)
			return -FI_EINVAL;
		if (ep->wait_fd < 0)
			return -FI_ENOSYS;
		*(int *)arg = ep->wait_fd;
		return 0;
	default:
		return -FI_ENOSYS;
	}
}

/* ---- options ------------------------------------------------------------ */

int weft_ep_getopt(fid_t fid, int level, int optname, void *optval,
		   size_t *optlen)
{
	struct weft_ep *ep;
	size_t val;

	if (!fid || fid->fclass != FI_CLASS_EP || !optlen)
		return -FI_EINVAL;
	ep = weft_container_of(fid, struct weft_ep, ep_fid.fid);
	if (level != FI_OPT_ENDPOINT)
		return -FI_ENOPROTOOPT;

	switch (optname) {
	case FI_OPT_MIN_MULTI_RECV:
		val = ep->min_multi_recv;
		break;
	case FI_OPT_CM_DATA_SIZE:
		if (ep->type != FI_EP_MSG)
			return -FI_ENOPROTOOPT;
		val = ep->cm_data_size;
		break;
	case FI_OPT_BUFFERED_LIMIT:
		if (!(ep->rx_mode & FI_BUFFERED_RECV))
			return -FI_ENOPROTOOPT;
		val = ep->buffered_limit;
		break;
	case FI_OPT_BUFFERED_MIN:
		if (!(ep->rx_mode & FI_BUFFERED_RECV))
			return -FI_ENOPROTOOPT;
		val = ep->buffered_min;
		break;
	default:
		return -FI_ENOPROTOOPT;
	}
	if (*optlen < sizeof(size_t)) {
		/* Tell the caller how much room the value needs. */
		*optlen = sizeof(size_t);
		return -FI_ETOOSMALL;
	}
	if (!optval)
		return -FI_EINVAL;
	memcpy(optval, &val, sizeof(val));
	*optlen = sizeof(size_t);
	return 0;
}

int weft_ep_setopt(fid_t fid, int level, int optname, const void *optval,
		   size_t optlen)
{
	struct weft_ep *ep;
	size_t val;

	if (!fid || fid->fclass != FI_CLASS_EP)
		return -FI_EINVAL;
	ep = weft_container_of(fid, struct weft_ep, ep_fid.fid);
	if (level != FI_OPT_ENDPOINT)
		return -FI_ENOPROTOOPT;

	switch (optname) {
	case FI_OPT_MIN_MULTI_RECV:
	case FI_OPT_BUFFERED_LIMIT:
	case FI_OPT_BUFFERED_MIN:
		break;
	case FI_OPT_CM_DATA_SIZE: /* read only */
	default:
		return -FI_ENOPROTOOPT;
	}
	if (!optval || optlen != sizeof(size_t))
		return -FI_EINVAL;
	memcpy(&val, optval, sizeof(val));

	switch (optname) {
	case FI_OPT_MIN_MULTI_RECV:
		/* Zero would let a multi-receive buffer be consumed down to
		 * nothing without ever being released. */
		if (!val)
			return -FI_EINVAL;
		ep->min_multi_recv = val;
		return 0;
	case FI_OPT_BUFFERED_LIMIT:
		if (!(ep->rx_mode & FI_BUFFERED_RECV))
			return -FI_ENOPROTOOPT;
		/* Both ends must agree on it before traffic starts. */
		if (ep->enabled)
			return -FI_EOPBADSTATE;
		if (val == SIZE_MAX)
			val = ep->max_msg_size;
		else if (ep->max_msg_size && val > ep->max_msg_size)
			return -FI_EMSGSIZE;
		ep->buffered_limit = val;
		return 0;
	default: /* FI_OPT_BUFFERED_MIN */
		if (!(ep->rx_mode & FI_BUFFERED_RECV))
			return -FI_ENOPROTOOPT;
		if (ep->enabled)
			return -FI_EOPBADSTATE;
		if (val > ep->buffered_limit)
			return -FI_EINVAL;
		ep->buffered_min = val;
		return 0;
	}
}

/* ---- ready tables ------------------------------------------------------- */

struct fi_ops weft_ep_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = weft_ep_close,
	.bind = weft_ep_bind,
	.control = weft_ep_control,
	.ops_open = weft_fid_ops_open_none,
	.tostr = weft_fid_tostr_none,
	.ops_set = weft_fid_ops_set_none,
};

struct fi_ops_ep weft_ep_ops_default = {
	.size = sizeof(struct fi_ops_ep),
	.cancel = weft_ep_cancel_none,
	.getopt = weft_ep_getopt,
	.setopt = weft_ep_setopt,
	.tx_ctx = weft_ep_tx_ctx_none,
	.rx_ctx = weft_ep_rx_ctx_none,
	.rx_size_left = weft_ep_size_left_none,
	.tx_size_left = weft_ep_size_left_none,
};

/* ---- data-path helpers -------------------------------------------------- */

int weft_ep_check_iov(const struct iovec *iov, size_t count, size_t iov_limit,
		      size_t max_msg_size, size_t *total)
{
	size_t sum = 0;

	if (count && !iov)
		return -FI_EINVAL;
	if (iov_limit && count > iov_limit)
		return -FI_EINVAL;
	for (size_t i = 0; i < count; i++) {
		if (!iov[i].iov_base && iov[i].iov_len)
			return -FI_EINVAL;
		/* Checked before adding so a wrap-around sum cannot sneak
		 * under the limit. */
		if (iov[i].iov_len > SIZE_MAX - sum)
			return -FI_EMSGSIZE;
		sum += iov[i].iov_len;
	}
	if (max_msg_size && sum > max_msg_size)
		return -FI_EMSGSIZE;
	if (total)
		*total = sum;
	return 0;
}

enum weft_cntr_kind weft_ep_tx_cntr_kind(uint64_t op_flags)
{
	if (op_flags & FI_READ)
		return WEFT_CNTR_READ;
	if (op_flags & FI_WRITE)
		return WEFT_CNTR_WRITE;
	return WEFT_CNTR_SEND;
}

enum weft_cntr_kind weft_ep_rx_cntr_kind(uint64_t op_flags)
{
	if (op_flags & FI_REMOTE_READ)
		return WEFT_CNTR_REMOTE_READ;
	if (op_flags & FI_REMOTE_WRITE)
		return WEFT_CNTR_REMOTE_WRITE;
	return WEFT_CNTR_RECV;
}

void weft_ep_cntr_inc(struct weft_ep *ep, enum weft_cntr_kind kind)
{
	struct weft_cntr *cntr = ep->cntrs[kind];

	if (cntr)
		weft_cntr_inc(cntr);
}

int weft_ep_tx_complete(struct weft_ep *ep, void *context, uint64_t op_flags,
			size_t len, void *buf, uint64_t data, uint64_t tag)
{
	int ret = 0;

	/* Selective completion only suppresses successes that did not ask
	 * for an entry with FI_COMPLETION. */
	if (ep->tx_cq && (!ep->tx_selective || (op_flags & FI_COMPLETION)))
		ret = weft_cq_write(ep->tx_cq, context,
				    op_flags & TX_ENTRY_FLAGS, len, buf, data,
				    tag, FI_ADDR_NOTAVAIL);
	weft_ep_cntr_inc(ep, weft_ep_tx_cntr_kind(op_flags));
	return ret;
}

static int positive_err(int err)
{
	/* Providers pass FI_E* codes in either sign; CQ entries carry them
	 * positive (fi_cq(3)). A zero error would read as success. */
	if (err < 0)
		err = -err;
	return err ? err : FI_EOTHER;
}

int weft_ep_tx_error(struct weft_ep *ep, void *context, uint64_t op_flags,
		     int err, int prov_errno, size_t len, size_t olen)
{
	struct weft_cntr *cntr = ep->cntrs[weft_ep_tx_cntr_kind(op_flags)];
	int ret = 0;

	/* Errors are reported whatever FI_SELECTIVE_COMPLETION says. */
	if (ep->tx_cq) {
		struct fi_cq_err_entry e = {
			.op_context = context,
			.flags = op_flags & TX_ENTRY_FLAGS,
			.len = len,
			.olen = olen,
			.err = positive_err(err),
			.prov_errno = prov_errno,
		};
		ret = weft_cq_write_error(ep->tx_cq, &e, FI_ADDR_NOTAVAIL);
	}
	if (cntr)
		weft_cntr_inc_err(cntr);
	return ret;
}

int weft_ep_rx_complete(struct weft_ep *ep, void *context, uint64_t op_flags,
			size_t len, void *buf, uint64_t data, uint64_t tag,
			fi_addr_t src)
{
	bool remote = op_flags & (FI_REMOTE_READ | FI_REMOTE_WRITE);
	int ret = 0;

	/* An RMA/atomic arriving at the target shows in the CQ only when it
	 * carries remote CQ data (fi_rma(3)), and then always: it is not an
	 * operation the application posted, so FI_SELECTIVE_COMPLETION
	 * (which filters posted receives without FI_COMPLETION) does not
	 * apply. Otherwise only the counter sees it. */
	if (ep->rx_cq && (remote ? !!(op_flags & FI_REMOTE_CQ_DATA) :
				   (!ep->rx_selective ||
				    (op_flags & FI_COMPLETION))))
		ret = weft_cq_write(ep->rx_cq, context,
				    op_flags & CQ_ENTRY_FLAGS, len, buf, data,
				    tag, src);
	weft_ep_cntr_inc(ep, weft_ep_rx_cntr_kind(op_flags));
	return ret;
}

/* Write a receive-side error entry (err made positive) and bump the
 * error count of the counter op_flags selects. */
static int rx_write_error(struct weft_ep *ep, struct fi_cq_err_entry *e,
			  uint64_t op_flags)
{
	struct weft_cntr *cntr = ep->cntrs[weft_ep_rx_cntr_kind(op_flags)];
	int ret = 0;

	e->flags = op_flags & CQ_ENTRY_FLAGS;
	e->err = positive_err(e->err);
	if (ep->rx_cq)
		ret = weft_cq_write_error(ep->rx_cq, e, FI_ADDR_NOTAVAIL);
	if (cntr)
		weft_cntr_inc_err(cntr);
	return ret;
}

int weft_ep_rx_error(struct weft_ep *ep, void *context, uint64_t op_flags,
		     int err, int prov_errno, void *buf, size_t len, size_t olen,
		     uint64_t data, uint64_t tag)
{
	struct fi_cq_err_entry e = {
		.op_context = context,
		.len = len,
		.buf = buf,
		.data = data,
		.tag = tag,
		.olen = olen,
		.err = err,
		.prov_errno = prov_errno,
	};

	return rx_write_error(ep, &e, op_flags);
}

int weft_ep_rx_source_error(struct weft_ep *ep, void *context,
			    uint64_t op_flags, void *buf, size_t len,
			    uint64_t data, uint64_t tag, const void *addr,
			    size_t addrlen)
{
	/* weft_cq_write_error copies err_data, so addr may be the caller's
	 * scratch. */
	struct fi_cq_err_entry e = {
		.op_context = context,
		.len = len,
		.buf = buf,
		.data = data,
		.tag = tag,
		.err = FI_EADDRNOTAVAIL,
		.prov_errno = FI_EADDRNOTAVAIL,
		.err_data = (void *)addr,
		.err_data_size = addrlen,
	};

	return rx_write_error(ep, &e, op_flags);
}
