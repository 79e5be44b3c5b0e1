/* The one matcher: an application's fi_getinfo hints against a provider's
 * static fi_info template (fi_getinfo(3), fi_domain(3), fi_endpoint(3),
 * fi_mr(3)).
 *
 * Rules, in the man pages' words where they are explicit and weft's
 * choices (marked "weft:") where they are not:
 *  - A zero hint is a wildcard, except mode bits: the application lists the
 *    modes it supports, and a template mode bit it does not list means no
 *    match. NULL hints support every mode.
 *  - Limits (sizes, counts, iov limits): a nonzero hint above the
 *    template's value means no match; the template's value is returned,
 *    except queue depths (tx/rx size), which return the requested depth so
 *    a provider can size its queues to what the application asked.
 *  - Bit sets (caps, msg/comp order, op_flags, mem_tag_format): the hint
 *    must be a subset of the template. weft: FI_COMPLETION in op_flags
 *    (completions by default, what every endpoint does) needs no listing.
 *  - Enumerations (threading, progress, resource management, av type) are
 *    ordered by what they demand of the provider; see each helper. The
 *    requested value is returned when the provider can serve it.
 *  - Fields an application of `version` could not know are ignored in its
 *    hints (1.5: domain caps/mode/auth key/cntr_cnt/mr_iov_limit/
 *    max_err_data/mr_cnt, ep auth key; 1.9: tclass).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rdma/fabric.h>
#include <rdma/fi_errno.h>

#include "core/core.h"

#define WEFT_PRIMARY_CAPS                                                      \
	(FI_MSG | FI_RMA | FI_TAGGED | FI_ATOMIC | FI_MULTICAST |              \
	 FI_NAMED_RX_CTX | FI_DIRECTED_RECV | FI_VARIABLE_MSG | FI_HMEM |      \
	 FI_COLLECTIVE)
#define WEFT_MSG_MODS (FI_SEND | FI_RECV)
#define WEFT_RMA_MODS (FI_READ | FI_WRITE | FI_REMOTE_READ | FI_REMOTE_WRITE)
#define WEFT_CAP_MODS (WEFT_MSG_MODS | WEFT_RMA_MODS)
#define WEFT_SECONDARY_CAPS                                                    \
	(FI_MULTI_RECV | FI_SOURCE | FI_RMA_EVENT | FI_SHARED_AV |             \
	 FI_TRIGGER | FI_FENCE | FI_LOCAL_COMM | FI_REMOTE_COMM |              \
	 FI_SOURCE_ERR | FI_RMA_PMEM | FI_AV_USER_ID)
/* weft: secondary caps a provider reports although they were not asked
 * for. fi_getinfo(3) allows this only when it costs nothing; the others
 * (FI_SOURCE, FI_SOURCE_ERR, FI_RMA_EVENT, FI_SHARED_AV, FI_TRIGGER,
 * FI_RMA_PMEM, FI_AV_USER_ID) make the provider do extra work per
 * operation or change what completions carry, so they are returned only
 * when requested. */
#define WEFT_DEFAULT_SECONDARY                                                 \
	(FI_MULTI_RECV | FI_FENCE | FI_LOCAL_COMM | FI_REMOTE_COMM)

/* Caps that say nothing about one direction: applications often copy
 * their info-level caps into tx_attr and rx_attr, so a transmit context
 * asked for FI_RECV (or a receive context for FI_SEND) is not a mismatch;
 * those bits are dropped before comparing. */
#define WEFT_TX_IGNORED                                                        \
	(FI_RECV | FI_REMOTE_READ | FI_REMOTE_WRITE | FI_DIRECTED_RECV |       \
	 FI_VARIABLE_MSG | FI_MULTI_RECV | FI_SOURCE | FI_SOURCE_ERR |         \
	 FI_RMA_EVENT | FI_NAMED_RX_CTX)
#define WEFT_RX_IGNORED (FI_SEND | FI_READ | FI_WRITE | FI_FENCE)

/* Legacy basic registration, spelled in mr_mode bits (fi_mr(3)). */
#define WEFT_MR_BASIC_MAP (FI_MR_VIRT_ADDR | FI_MR_ALLOCATED | FI_MR_PROV_KEY)

#define V1_5 FI_VERSION(1, 5)
#define V1_9 FI_VERSION(1, 9)

/* "If no modifiers are specified for an applicable capability, all
 * relevant modifiers are assumed" (fi_getinfo(3)): spell them out, so
 * both sides compare like with like and providers can test single bits. */
static uint64_t caps_expand(uint64_t caps)
{
	if ((caps & (FI_MSG | FI_TAGGED | FI_MULTICAST | FI_COLLECTIVE |
		     FI_VARIABLE_MSG)) &&
	    !(caps & WEFT_MSG_MODS))
		caps |= WEFT_MSG_MODS;
	if ((caps & (FI_RMA | FI_ATOMIC)) && !(caps & WEFT_RMA_MODS))
		caps |= WEFT_RMA_MODS;
	return caps;
}

/* The caps to return for a template offering `prov` when `req` (expanded)
 * was requested: the requested primary caps and modifiers, the requested
 * secondary caps, and the free secondary caps the provider has. */
static uint64_t caps_narrow(uint64_t prov, uint64_t req)
{
	if (!req)
		return prov;
	return prov & ((req & (WEFT_PRIMARY_CAPS | WEFT_CAP_MODS)) |
		       (req & WEFT_SECONDARY_CAPS) | WEFT_DEFAULT_SECONDARY);
}

static int over(size_t hint, size_t prov)
{
	return hint && hint > prov;
}

static int not_subset(uint64_t hint, uint64_t prov)
{
	return (hint & ~prov) != 0;
}

/* weft: threading levels ordered by how much concurrency the provider must
 * tolerate. The enum's numeric order is not this order (FI_THREAD_ENDPOINT
 * is numerically largest but asks more of the provider than
 * FI_THREAD_DOMAIN). 0 = unknown value. */
static int thread_rank(enum fi_threading t)
{
	switch (t) {
	case FI_THREAD_DOMAIN:
		return 1;
	case FI_THREAD_COMPLETION:
		return 2;
	case FI_THREAD_ENDPOINT:
		return 3;
	case FI_THREAD_FID:
		return 4;
	case FI_THREAD_SAFE:
		return 5;
	default:
		return 0;
	}
}

/* A provider whose template says `prov` serves a request for `req`? The
 * result is the value to return (req, or prov for UNSPEC), -1 if not. */
static int match_threading(enum fi_threading prov, enum fi_threading req)
{
	if (req == FI_THREAD_UNSPEC)
		return prov;
	if (!thread_rank(req))
		return -1;
	/* A template without a level can serve any. */
	if (prov == FI_THREAD_UNSPEC || thread_rank(prov) >= thread_rank(req))
		return req;
	return -1;
}

/* Automatic progress also serves an application that drives progress
 * itself; the reverse is not true. */
static int match_progress(enum fi_progress prov, enum fi_progress req)
{
	if (req == FI_PROGRESS_UNSPEC)
		return prov;
	if (req != FI_PROGRESS_AUTO && req != FI_PROGRESS_MANUAL)
		return -1;
	if (prov == FI_PROGRESS_UNSPEC || prov == req ||
	    prov == FI_PROGRESS_AUTO)
		return req;
	return -1;
}

/* An application that asks for no resource management can live with a
 * provider that has it; the provider's setting is what it does. */
static int match_rm(enum fi_resource_mgmt prov, enum fi_resource_mgmt req)
{
	if (req == FI_RM_UNSPEC)
		return prov;
	if (req != FI_RM_DISABLED && req != FI_RM_ENABLED)
		return -1;
	if (prov == FI_RM_UNSPEC)
		return req;
	if (req == prov || (req == FI_RM_DISABLED && prov == FI_RM_ENABLED))
		return prov;
	return -1;
}

/* FI_AV_UNSPEC in a template means both kinds are supported. */
static int match_av_type(enum fi_av_type prov, enum fi_av_type req)
{
	if (req == FI_AV_UNSPEC)
		return prov;
	if (req != FI_AV_MAP && req != FI_AV_TABLE)
		return -1;
	if (prov == FI_AV_UNSPEC || prov == req)
		return req;
	return -1;
}

/* Memory registration mode (fi_mr(3), fi_domain(3)).
 *
 * A template states, in mr_mode bits, what the provider requires
 * (FI_MR_LOCAL, FI_MR_VIRT_ADDR, ...); FI_LOCAL_MR in the template's mode is
 * read as FI_MR_LOCAL. It supports the legacy forms
 *  - FI_MR_SCALABLE if it says so (that bit set) or requires nothing but
 *    possibly local registration;
 *  - FI_MR_BASIC if it says so or requires virtual addressing and nothing
 *    outside the basic map (VIRT_ADDR, ALLOCATED, PROV_KEY): an
 *    application of the basic kind targets virtual addresses, registers
 *    allocated memory and reads keys back, which such a provider serves.
 * With the legacy forms local registration is negotiated through the
 * FI_LOCAL_MR mode bit; with mr_mode bits (1.5+) through FI_MR_LOCAL, and
 * FI_LOCAL_MR is then ignored.
 *
 * Callers of version < 1.5 speak only FI_MR_UNSPEC/BASIC/SCALABLE and get
 * the legacy form back; from 1.5 an mr_mode of exactly FI_MR_BASIC or
 * FI_MR_SCALABLE is kept as is (the man page: not cleared), anything else
 * is bits: the template's required bits must all be in the hint, and they
 * are what is returned.
 *
 * On a match returns 0 with *mr_out, and *local_mr set when FI_LOCAL_MR
 * must be in the returned mode. */
static int match_mr_mode(uint32_t version, const struct fi_info *tmpl,
			 const struct fi_info *hints, uint64_t caps,
			 int *mr_out, int *local_mr)
{
	int prov = tmpl->domain_attr ? tmpl->domain_attr->mr_mode : 0;
	int needs_local =
		(prov & FI_MR_LOCAL) || (tmpl->mode & FI_LOCAL_MR) != 0;
	int req = (prov & ~(FI_MR_BASIC | FI_MR_SCALABLE)) |
		  (needs_local ? FI_MR_LOCAL : 0);
	int rest = req & ~FI_MR_LOCAL;
	int can_scalable = (prov & FI_MR_SCALABLE) || rest == 0;
	int can_basic = (prov & FI_MR_BASIC) ||
			(!(rest & ~WEFT_MR_BASIC_MAP) &&
			 (rest & FI_MR_VIRT_ADDR));
	int app_local = !hints || (hints->mode & FI_LOCAL_MR);
	int user;

	/* Device-memory and collective registration only matter with the
	 * capability that needs them. */
	if (!(caps & FI_HMEM))
		req &= ~FI_MR_HMEM;
	if (!(caps & FI_COLLECTIVE))
		req &= ~FI_MR_COLLECTIVE;

	if (version < V1_5) {
		user = hints && hints->domain_attr ? hints->domain_attr->mr_mode
						   : FI_MR_UNSPEC;
	} else {
		if (!hints || !hints->domain_attr) {
			*mr_out = req;
			*local_mr = 0;
			return 0;
		}
		user = hints->domain_attr->mr_mode;
		if (!(user & (FI_MR_BASIC | FI_MR_SCALABLE))) {
			if (req & ~user)
				return -FI_ENODATA;
			*mr_out = req;
			*local_mr = 0;
			return 0;
		}
		/* Legacy forms must stand alone. Both legacy bits together
		 * read as FI_MR_UNSPEC did: either will do. */
		if (user & ~(FI_MR_BASIC | FI_MR_SCALABLE))
			return -FI_ENODATA;
		if (user == (FI_MR_BASIC | FI_MR_SCALABLE))
			user = FI_MR_UNSPEC;
	}

	if (needs_local && !app_local)
		return -FI_ENODATA;
	switch (user) {
	case FI_MR_UNSPEC:
		if (can_scalable)
			*mr_out = FI_MR_SCALABLE;
		else if (can_basic)
			*mr_out = FI_MR_BASIC;
		else
			return -FI_ENODATA;
		break;
	case FI_MR_BASIC:
		if (!can_basic)
			return -FI_ENODATA;
		*mr_out = FI_MR_BASIC;
		break;
	case FI_MR_SCALABLE:
		if (!can_scalable)
			return -FI_ENODATA;
		*mr_out = FI_MR_SCALABLE;
		break;
	default:
		return -FI_ENODATA;
	}
	*local_mr = needs_local;
	return 0;
}

/* The mode bits an application accepts on a tx/rx context: its own for
 * the context, else the info-level ones. */
static uint64_t app_ctx_mode(const struct fi_info *hints, uint64_t ctx_mode)
{
	if (!hints)
		return ~0ULL;
	return ctx_mode ? ctx_mode : hints->mode;
}

/* A template without context caps offers, on each context, the
 * endpoint's caps that apply to that direction. */
static int match_tx(uint32_t version, const struct fi_tx_attr *prov,
		    uint64_t tmpl_caps, const struct fi_info *hints,
		    uint64_t info_req, struct fi_tx_attr *out)
{
	const struct fi_tx_attr *h = hints ? hints->tx_attr : NULL;
	uint64_t prov_caps = caps_expand(
		prov->caps ? prov->caps : tmpl_caps & ~WEFT_TX_IGNORED);
	uint64_t app_mode = app_ctx_mode(hints, h ? h->mode : 0);
	uint64_t req = info_req;

	if ((prov->mode & ~FI_LOCAL_MR) & ~app_mode)
		return -FI_ENODATA;
	out->mode = prov->mode & ~FI_LOCAL_MR;
	if (h) {
		if (h->caps) {
			req = caps_expand(h->caps) & ~WEFT_TX_IGNORED;
			if (not_subset(req, prov_caps))
				return -FI_ENODATA;
		}
		if (not_subset(h->op_flags & ~FI_COMPLETION, prov->op_flags) ||
		    not_subset(h->msg_order, prov->msg_order) ||
		    not_subset(h->comp_order, prov->comp_order) ||
		    over(h->inject_size, prov->inject_size) ||
		    over(h->size, prov->size) ||
		    over(h->iov_limit, prov->iov_limit) ||
		    over(h->rma_iov_limit, prov->rma_iov_limit))
			return -FI_ENODATA;
		out->op_flags = h->op_flags;
		if (h->size)
			out->size = h->size;
		if (version >= V1_9 && h->tclass)
			out->tclass = h->tclass;
	}
	out->caps = caps_narrow(prov_caps, req);
	return 0;
}

static int match_rx(const struct fi_rx_attr *prov, uint64_t tmpl_caps,
		    const struct fi_info *hints, uint64_t info_req,
		    struct fi_rx_attr *out)
{
	const struct fi_rx_attr *h = hints ? hints->rx_attr : NULL;
	uint64_t prov_caps = caps_expand(
		prov->caps ? prov->caps : tmpl_caps & ~WEFT_RX_IGNORED);
	uint64_t app_mode = app_ctx_mode(hints, h ? h->mode : 0);
	uint64_t req = info_req;

	if ((prov->mode & ~FI_LOCAL_MR) & ~app_mode)
		return -FI_ENODATA;
	out->mode = prov->mode & ~FI_LOCAL_MR;
	if (h) {
		if (h->caps) {
			req = caps_expand(h->caps) & ~WEFT_RX_IGNORED;
			if (not_subset(req, prov_caps))
				return -FI_ENODATA;
		}
		if (not_subset(h->op_flags & ~FI_COMPLETION, prov->op_flags) ||
		    not_subset(h->msg_order, prov->msg_order) ||
		    not_subset(h->comp_order, prov->comp_order) ||
		    over(h->total_buffered_recv, prov->total_buffered_recv) ||
		    over(h->size, prov->size) ||
		    over(h->iov_limit, prov->iov_limit))
			return -FI_ENODATA;
		out->op_flags = h->op_flags;
		if (h->size)
			out->size = h->size;
	}
	out->caps = caps_narrow(prov_caps, req);
	return 0;
}

/* A requested context count: FI_SHARED_CONTEXT asks for shared contexts,
 * which need the domain's max_ep_stx/srx_ctx to be nonzero. */
static int ctx_cnt_over(size_t hint, size_t prov, size_t shared_max)
{
	if (hint == FI_SHARED_CONTEXT)
		return shared_max == 0;
	return over(hint, prov);
}

static int match_ep(uint32_t version, const struct fi_info *tmpl,
		    const struct fi_info *hints, struct fi_ep_attr *out)
{
	const struct fi_ep_attr *prov = tmpl->ep_attr;
	const struct fi_ep_attr *h = hints ? hints->ep_attr : NULL;
	size_t stx = tmpl->domain_attr ? tmpl->domain_attr->max_ep_stx_ctx : 0;
	size_t srx = tmpl->domain_attr ? tmpl->domain_attr->max_ep_srx_ctx : 0;

	if (!h)
		return 0;
	if (h->type != FI_EP_UNSPEC && h->type != prov->type)
		return -FI_ENODATA;
	if (h->protocol != FI_PROTO_UNSPEC && h->protocol != prov->protocol)
		return -FI_ENODATA;
	if (h->protocol_version &&
	    h->protocol_version > prov->protocol_version)
		return -FI_ENODATA;
	if (over(h->max_msg_size, prov->max_msg_size) ||
	    over(h->msg_prefix_size, prov->msg_prefix_size) ||
	    over(h->max_order_raw_size, prov->max_order_raw_size) ||
	    over(h->max_order_war_size, prov->max_order_war_size) ||
	    over(h->max_order_waw_size, prov->max_order_waw_size) ||
	    not_subset(h->mem_tag_format, prov->mem_tag_format) ||
	    ctx_cnt_over(h->tx_ctx_cnt, prov->tx_ctx_cnt, stx) ||
	    ctx_cnt_over(h->rx_ctx_cnt, prov->rx_ctx_cnt, srx))
		return -FI_ENODATA;
	/* The application's tag layout is the one it will use. */
	if (h->mem_tag_format)
		out->mem_tag_format = h->mem_tag_format;
	if (h->tx_ctx_cnt)
		out->tx_ctx_cnt = h->tx_ctx_cnt;
	if (h->rx_ctx_cnt)
		out->rx_ctx_cnt = h->rx_ctx_cnt;
	if (version >= V1_5 && h->auth_key_size) {
		if (h->auth_key_size > prov->auth_key_size || !h->auth_key)
			return -FI_ENODATA;
		out->auth_key = malloc(h->auth_key_size);
		if (!out->auth_key)
			return -FI_ENOMEM;
		memcpy(out->auth_key, h->auth_key, h->auth_key_size);
		out->auth_key_size = h->auth_key_size;
	}
	return 0;
}

static int match_domain(uint32_t version, const struct fi_info *tmpl,
			const struct fi_info *hints, uint64_t caps,
			struct fi_info *out)
{
	const struct fi_domain_attr *prov = tmpl->domain_attr;
	const struct fi_domain_attr *h = hints ? hints->domain_attr : NULL;
	struct fi_domain_attr *o = out->domain_attr;
	int mr, local_mr, ret, v;

	ret = match_mr_mode(version, tmpl, hints, caps, &mr, &local_mr);
	if (ret)
		return ret;
	o->mr_mode = mr;
	out->mode &= ~FI_LOCAL_MR;
	if (local_mr)
		out->mode |= FI_LOCAL_MR;

	if (!h)
		return 0;
	if ((v = match_threading(prov->threading, h->threading)) < 0)
		return -FI_ENODATA;
	o->threading = (enum fi_threading)v;
	if ((v = match_progress(prov->control_progress,
				h->control_progress)) < 0)
		return -FI_ENODATA;
	o->control_progress = (enum fi_progress)v;
	if ((v = match_progress(prov->data_progress, h->data_progress)) < 0)
		return -FI_ENODATA;
	o->data_progress = (enum fi_progress)v;
	if ((v = match_rm(prov->resource_mgmt, h->resource_mgmt)) < 0)
		return -FI_ENODATA;
	o->resource_mgmt = (enum fi_resource_mgmt)v;
	if ((v = match_av_type(prov->av_type, h->av_type)) < 0)
		return -FI_ENODATA;
	o->av_type = (enum fi_av_type)v;

	if (over(h->mr_key_size, prov->mr_key_size) ||
	    over(h->cq_data_size, prov->cq_data_size) ||
	    over(h->cq_cnt, prov->cq_cnt) || over(h->ep_cnt, prov->ep_cnt) ||
	    over(h->tx_ctx_cnt, prov->tx_ctx_cnt) ||
	    over(h->rx_ctx_cnt, prov->rx_ctx_cnt) ||
	    over(h->max_ep_tx_ctx, prov->max_ep_tx_ctx) ||
	    over(h->max_ep_rx_ctx, prov->max_ep_rx_ctx) ||
	    over(h->max_ep_stx_ctx, prov->max_ep_stx_ctx) ||
	    over(h->max_ep_srx_ctx, prov->max_ep_srx_ctx))
		return -FI_ENODATA;
	/* An opened domain the application wants info relative to. */
	if (h->domain)
		o->domain = h->domain;

	if (version < V1_5)
		return 0;
	if (over(h->cntr_cnt, prov->cntr_cnt) ||
	    over(h->mr_iov_limit, prov->mr_iov_limit) ||
	    over(h->max_err_data, prov->max_err_data) ||
	    over(h->mr_cnt, prov->mr_cnt))
		return -FI_ENODATA;
	if (h->caps) {
		uint64_t req = caps_expand(h->caps);

		if (not_subset(req, caps_expand(prov->caps)))
			return -FI_ENODATA;
		o->caps = caps_narrow(caps_expand(prov->caps), req);
	}
	if (prov->mode & ~app_ctx_mode(hints, h->mode))
		return -FI_ENODATA;
	if (h->auth_key_size) {
		if (h->auth_key_size > prov->auth_key_size || !h->auth_key)
			return -FI_ENODATA;
		o->auth_key = malloc(h->auth_key_size);
		if (!o->auth_key)
			return -FI_ENOMEM;
		memcpy(o->auth_key, h->auth_key, h->auth_key_size);
		o->auth_key_size = h->auth_key_size;
	}
	if (version >= V1_9 && h->tclass)
		o->tclass = h->tclass;
	return 0;
}

/* The parts of fabric_attr known before any fixup: the provider. */
static int match_fabric(const struct fi_provider *prov,
			const struct fi_info *tmpl, const struct fi_info *hints)
{
	const struct fi_fabric_attr *h = hints ? hints->fabric_attr : NULL;
	int rdm_only = 0;

	if (!h)
		return 0;
	if (h->prov_name) {
		if (!weft_prov_name_match(h->prov_name, prov->name, &rdm_only))
			return -FI_ENODATA;
		if (rdm_only && tmpl->ep_attr->type != FI_EP_RDM)
			return -FI_ENODATA;
	}
	if (h->prov_version && h->prov_version > prov->version)
		return -FI_ENODATA;
	return 0;
}

/* Address formats: FI_SOCKADDR in a template stands for both IP families;
 * FI_SOCKADDR in a hint accepts either. Returns the format to report, or
 * -1. */
static int match_addr_format(uint32_t prov, uint32_t req)
{
	if (req == FI_FORMAT_UNSPEC || req == prov)
		return (int)prov;
	if (prov == FI_SOCKADDR &&
	    (req == FI_SOCKADDR_IN || req == FI_SOCKADDR_IN6))
		return (int)req;
	if (req == FI_SOCKADDR &&
	    (prov == FI_SOCKADDR_IN || prov == FI_SOCKADDR_IN6))
		return (int)prov;
	return -1;
}

/* Make sure every attribute struct exists (a template may omit some). */
static int info_complete(struct fi_info *info)
{
	if (!info->tx_attr)
		info->tx_attr = calloc(1, sizeof(*info->tx_attr));
	if (!info->rx_attr)
		info->rx_attr = calloc(1, sizeof(*info->rx_attr));
	if (!info->ep_attr)
		info->ep_attr = calloc(1, sizeof(*info->ep_attr));
	if (!info->domain_attr)
		info->domain_attr = calloc(1, sizeof(*info->domain_attr));
	if (!info->fabric_attr)
		info->fabric_attr = calloc(1, sizeof(*info->fabric_attr));
	return info->tx_attr && info->rx_attr && info->ep_attr &&
	       info->domain_attr && info->fabric_attr;
}

int weft_info_match(uint32_t version, const struct fi_provider *prov,
		    const struct fi_info *tmpl, const struct fi_info *hints,
		    struct fi_info **out)
{
	static const struct fi_tx_attr no_tx;
	static const struct fi_rx_attr no_rx;
	uint64_t prov_caps = caps_expand(tmpl->caps);
	uint64_t req = 0, app_mode = hints ? hints->mode : ~0ULL;
	struct fi_info *info;
	int ret, fmt;

	/* Cheap rejections first, before any allocation. */
	if (hints) {
		req = hints->caps;
		/* Caps named only on the contexts still say what the
		 * endpoint must do. */
		if (!req)
			req = (hints->tx_attr ? hints->tx_attr->caps : 0) |
			      (hints->rx_attr ? hints->rx_attr->caps : 0);
		req = caps_expand(req);
		if (not_subset(req, prov_caps))
			return -FI_ENODATA;
	}
	if ((tmpl->mode & ~FI_LOCAL_MR) & ~app_mode)
		return -FI_ENODATA;
	fmt = match_addr_format(tmpl->addr_format,
				hints ? hints->addr_format : FI_FORMAT_UNSPEC);
	if (fmt < 0)
		return -FI_ENODATA;
	if (!tmpl->ep_attr)
		return -FI_ENODATA; /* a template must say its endpoint type */
	ret = match_fabric(prov, tmpl, hints);
	if (ret)
		return ret;

	info = weft_fi_dupinfo(tmpl);
	if (!info || !info_complete(info)) {
		weft_fi_freeinfo(info);
		return -FI_ENOMEM;
	}
	info->next = NULL;
	info->addr_format = (uint32_t)fmt;
	info->caps = caps_narrow(prov_caps, req);
	info->mode = tmpl->mode & ~FI_LOCAL_MR;

	ret = match_tx(version, tmpl->tx_attr ? tmpl->tx_attr : &no_tx,
		       tmpl->caps, hints, req, info->tx_attr);
	if (!ret)
		ret = match_rx(tmpl->rx_attr ? tmpl->rx_attr : &no_rx,
			       tmpl->caps, hints, req, info->rx_attr);
	if (!ret)
		ret = match_ep(version, tmpl, hints, info->ep_attr);
	if (!ret && !tmpl->domain_attr) {
		/* No domain template: an all-zero one stands in (no limits,
		 * nothing required). */
		struct fi_info t = *tmpl;
		static const struct fi_domain_attr no_dom;

		t.domain_attr = (struct fi_domain_attr *)&no_dom;
		ret = match_domain(version, &t, hints, info->caps, info);
	} else if (!ret) {
		ret = match_domain(version, tmpl, hints, info->caps, info);
	}
	if (ret)
		goto err;

	/* A passive endpoint handed in as hints->handle comes back in the
	 * info, as fi_getinfo(3) promises; other handles are the provider's
	 * business (its fixup sees the hints). */
	if (hints && hints->handle && hints->handle->fclass == FI_CLASS_PEP)
		info->handle = hints->handle;
	if (hints && hints->fabric_attr && hints->fabric_attr->fabric)
		info->fabric_attr->fabric = hints->fabric_attr->fabric;

	free(info->fabric_attr->prov_name);
	info->fabric_attr->prov_name = strdup(prov->name);
	if (!info->fabric_attr->prov_name) {
		ret = -FI_ENOMEM;
		goto err;
	}
	info->fabric_attr->prov_version = prov->version;
	info->fabric_attr->api_version = version;
	*out = info;
	return 0;
err:
	weft_fi_freeinfo(info);
	return ret;
}

int weft_info_names_match(const struct fi_info *info,
			  const struct fi_info *hints)
{
	const char *want;

	if (!hints)
		return 1;
	want = hints->fabric_attr ? hints->fabric_attr->name : NULL;
	if (want && (!info->fabric_attr->name ||
		     strcmp(want, info->fabric_attr->name) != 0))
		return 0;
	want = hints->domain_attr ? hints->domain_attr->name : NULL;
	if (want && (!info->domain_attr->name ||
		     strcmp(want, info->domain_attr->name) != 0))
		return 0;
	return 1;
}

/* weft: the utility layers of libfabric whose name an application may put
 * after ours ("udp;ofi_rxd"): both provide RDM endpoints, which weft's
 * providers offer natively. */
static int is_rdm_layer(const char *s, size_t len)
{
	return (len == 7 && strncasecmp(s, "ofi_rxm", 7) == 0) ||
	       (len == 7 && strncasecmp(s, "ofi_rxd", 7) == 0);
}

int weft_prov_name_match(const char *want, const char *name, int *rdm_only)
{
	const char *semi;
	size_t len;

	if (!want || !name)
		return 0;
	semi = strchr(want, ';');
	len = semi ? (size_t)(semi - want) : strlen(want);
	if (len != strlen(name) || strncasecmp(want, name, len) != 0)
		return 0;
	if (!semi) {
		if (rdm_only)
			*rdm_only = 0;
		return 1;
	}
	/* Every layer after ours must be one we stand in for. */
	while (semi) {
		const char *s = semi + 1;

		semi = strchr(s, ';');
		len = semi ? (size_t)(semi - s) : strlen(s);
		if (!is_rdm_layer(s, len))
			return 0;
	}
	if (rdm_only)
		*rdm_only = 1;
	return 1;
}
