/* udp endpoints: open/close, bindings, enable (the socket is bound here or
 * at the first fi_getname), names, cancel and the endpoint ops tables. */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "udp.h"
#include "udp_rdm.h"

static int udp_ep_close(struct fid *fid)
{
	struct udp_ep *ep = udp_ep_of_fid(fid);

	if (ep->stats.rx_bad || ep->stats.rx_trunc)
		FI_INFO(&udp_prov, FI_LOG_EP_DATA,
			"endpoint dropped %" PRIu64
			" foreign/malformed datagrams, truncated %" PRIu64 "\n",
			ep->stats.rx_bad, ep->stats.rx_trunc);
	/* Unbind first: that takes the socket out of the CQ/counter wait
	 * sets while it is still open. Receives still posted are dropped
	 * without completions, as fi_close(3) allows. */
	weft_ep_fini(&ep->util);
	if (ep->sock >= 0)
		close(ep->sock);
	free(ep->rxq);
	free(ep);
	return 0;
}

/* Bind the socket to the configured address; the kernel picks the port
 * if it is 0. Done once: at fi_enable, or earlier if the application asks
 * for the name first (so the name it publishes is the one in use). */
int udp_sock_bind(int sock, union udp_sockaddr *addr, socklen_t addrlen,
		  bool *bound)
{
	union udp_sockaddr got;
	socklen_t len = sizeof(got);
	int ret;

	if (*bound)
		return 0;
	if (bind(sock, &addr->sa, addrlen) != 0 ||
	    getsockname(sock, &got.sa, &len) != 0) {
		ret = udp_errno_to_fi(errno);
		FI_WARN(&udp_prov, FI_LOG_EP_CTRL, "bind: %s\n",
			fi_strerror(-ret));
		return ret;
	}
	memcpy(addr, &got, addrlen);
	*bound = true;
	return 0;
}

int udp_sock_setname(union udp_sockaddr *addr, socklen_t addrlen, int family,
		     bool bound, const void *name, size_t namelen)
{
	const struct sockaddr *sa = name;

	/* A UDP socket cannot be rebound. */
	if (bound)
		return -FI_EOPBADSTATE;
	if (!name || namelen < addrlen || sa->sa_family != family)
		return -FI_EINVAL;
	memcpy(addr, name, addrlen);
	return 0;
}

int udp_sock_getname(int sock, union udp_sockaddr *addr, socklen_t addrlen,
		     bool *bound, void *name, size_t *namelen)
{
	int ret;

	if (!namelen)
		return -FI_EINVAL;
	if (!name || *namelen < addrlen) {
		*namelen = addrlen;
		return -FI_ETOOSMALL;
	}
	ret = udp_sock_bind(sock, addr, addrlen, bound);
	if (ret)
		return ret;
	memcpy(name, addr, addrlen);
	*namelen = addrlen;
	return 0;
}

static int udp_ep_bind_socket(struct udp_ep *ep)
{
	return udp_sock_bind(ep->sock, &ep->addr, ep->addrlen, &ep->bound);
}

static int udp_ep_enable(struct udp_ep *ep)
{
	int ret;

	if (ep->util.enabled)
		return 0; /* as util: enabling twice is harmless */
	/* util checks the bindings (CQ or counter per direction, an AV) and
	 * marks the endpoint enabled; hold the data path off (progress and
	 * sends test `enabled`) until the socket is bound and the receive
	 * options are set. */
	ret = weft_ep_control(&ep->util.ep_fid.fid, FI_ENABLE, NULL);
	if (ret)
		return ret;
	ep->util.enabled = false;
	ep->want_source = (ep->util.caps & FI_SOURCE) && ep->util.av;
	ep->source_err = ep->want_source && (ep->util.caps & FI_SOURCE_ERR);
	ret = udp_ep_bind_socket(ep);
	if (ret)
		return ret;
	ep->util.enabled = true;
	return 0;
}

static int udp_ep_control(struct fid *fid, int command, void *arg)
{
	if (command == FI_ENABLE)
		return udp_ep_enable(udp_ep_of_fid(fid));
	return weft_ep_control(fid, command, arg);
}

static struct fi_ops udp_ep_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = udp_ep_close,
	.bind = weft_ep_bind,
	.control = udp_ep_control,
	.ops_open = weft_fid_ops_open_none,
	.tostr = weft_fid_tostr_none,
	.ops_set = weft_fid_ops_set_none,
};

/* ---- fi_ops_ep --------------------------------------------------------- */

static ssize_t udp_ep_cancel(fid_t fid, void *context)
{
	struct udp_ep *ep = udp_ep_of_fid(fid);
	int ret;

	weft_lock_acquire(&ep->util.lock);
	ret = udp_rx_cancel(ep, context);
	weft_lock_release(&ep->util.lock);
	return ret;
}

static int udp_ep_tx_ctx(struct fid_ep *sep, int index, struct fi_tx_attr *attr,
			 struct fid_ep **tx_ep, void *context)
{
	return -FI_ENOSYS;
}

static int udp_ep_rx_ctx(struct fid_ep *sep, int index, struct fi_rx_attr *attr,
			 struct fid_ep **rx_ep, void *context)
{
	return -FI_ENOSYS;
}

static ssize_t udp_ep_rx_size_left(struct fid_ep *fid)
{
	struct udp_ep *ep = udp_ep_of(fid);
	ssize_t left;

	weft_lock_acquire(&ep->util.lock);
	left = (ssize_t)(ep->rx_size - (ep->rx_tail - ep->rx_head));
	weft_lock_release(&ep->util.lock);
	return left;
}

/* Sends complete inside the call, so the whole queue is always free. */
static ssize_t udp_ep_tx_size_left(struct fid_ep *fid)
{
	return (ssize_t)udp_ep_of(fid)->tx_size;
}

static struct fi_ops_ep udp_ep_ops = {
	.size = sizeof(struct fi_ops_ep),
	.cancel = udp_ep_cancel,
	.getopt = weft_ep_getopt,
	.setopt = weft_ep_setopt,
	.tx_ctx = udp_ep_tx_ctx,
	.rx_ctx = udp_ep_rx_ctx,
	.rx_size_left = udp_ep_rx_size_left,
	.tx_size_left = udp_ep_tx_size_left,
};

/* ---- fi_ops_cm: names only (connectionless) ----------------------------- */

static int udp_ep_setname(fid_t fid, void *addr, size_t addrlen)
{
	struct udp_ep *ep = udp_ep_of_fid(fid);

	return udp_sock_setname(&ep->addr, ep->addrlen, ep->family, ep->bound,
				addr, addrlen);
}

/* The bound address (the kernel picked the port if the source address had
 * none). Asking binds the socket if fi_enable has not yet, so the name can
 * be handed to peers before enabling. */
static int udp_ep_getname(fid_t fid, void *addr, size_t *addrlen)
{
	struct udp_ep *ep = udp_ep_of_fid(fid);

	return udp_sock_getname(ep->sock, &ep->addr, ep->addrlen, &ep->bound,
				addr, addrlen);
}

static struct fi_ops_cm udp_ep_cm_ops = {
	.size = sizeof(struct fi_ops_cm),
	.setname = udp_ep_setname,
	.getname = udp_ep_getname,
	.getpeer = weft_cm_getpeer_none,
	.connect = weft_cm_connect_none,
	.listen = weft_cm_listen_none,
	.accept = weft_cm_accept_none,
	.reject = weft_cm_reject_none,
	.shutdown = weft_cm_shutdown_none,
	.join = weft_cm_join_none, /* FI_MULTICAST is not offered */
};

/* ---- open ------------------------------------------------------------- */

static uint32_t udp_roundup_pow2(size_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static int udp_ep_family(const struct fi_info *info,
			 const struct weft_domain *dom)
{
	uint32_t fmt = info->addr_format;

	if (fmt == FI_FORMAT_UNSPEC && dom->info)
		fmt = dom->info->addr_format;
	if (fmt == FI_FORMAT_UNSPEC && info->src_addr &&
	    info->src_addrlen >= sizeof(struct sockaddr))
		return ((const struct sockaddr *)info->src_addr)->sa_family ==
				       AF_INET6
			       ? AF_INET6
			       : AF_INET;
	if (fmt == FI_SOCKADDR_IN6)
		return AF_INET6;
	if (fmt == FI_SOCKADDR_IN || fmt == FI_FORMAT_UNSPEC)
		return AF_INET;
	return -1;
}

static int udp_ep_socket(struct udp_ep *ep)
{
	int one = 1;

	ep->sock = socket(ep->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			  0);
	if (ep->sock < 0)
		return udp_errno_to_fi(errno);
	/* Keep v6 sockets v6-only so every source address we see has the
	 * endpoint's own format (no v4-mapped surprises in the AV). */
	if (ep->family == AF_INET6 &&
	    setsockopt(ep->sock, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))
		return udp_errno_to_fi(errno);
	if (udp_params.sndbuf &&
	    setsockopt(ep->sock, SOL_SOCKET, SO_SNDBUF, &udp_params.sndbuf,
		       sizeof(udp_params.sndbuf)))
		FI_WARN(&udp_prov, FI_LOG_EP_CTRL, "SO_SNDBUF %d refused\n",
			udp_params.sndbuf);
	if (udp_params.rcvbuf &&
	    setsockopt(ep->sock, SOL_SOCKET, SO_RCVBUF, &udp_params.rcvbuf,
		       sizeof(udp_params.rcvbuf)))
		FI_WARN(&udp_prov, FI_LOG_EP_CTRL, "SO_RCVBUF %d refused\n",
			udp_params.rcvbuf);
	return 0;
}

int udp_endpoint_open(struct fid_domain *domain, struct fi_info *info,
		      struct fid_ep **ep_fid, void *context)
{
	struct weft_domain *dom;
	struct udp_ep *ep;
	size_t family_max;
	int family, ret;

	if (!domain || !info || !ep_fid)
		return -FI_EINVAL;
	dom = weft_domain_of(domain);
	if ((info->ep_attr && info->ep_attr->type == FI_EP_RDM) ||
	    ((!info->ep_attr || info->ep_attr->type == FI_EP_UNSPEC) &&
	     dom->info && dom->info->ep_attr &&
	     dom->info->ep_attr->type == FI_EP_RDM))
		return udp_rdm_endpoint_open(domain, info, ep_fid, context);
	if (info->ep_attr && info->ep_attr->type != FI_EP_DGRAM &&
	    info->ep_attr->type != FI_EP_UNSPEC)
		return -FI_EINVAL;
	family = udp_ep_family(info, dom);
	if (family < 0)
		return -FI_EINVAL;
	/* The AV stores the domain's address format: the socket must match. */
	if (dom->info && dom->info->addr_format != FI_FORMAT_UNSPEC &&
	    dom->info->addr_format !=
		    (family == AF_INET6 ? FI_SOCKADDR_IN6 : FI_SOCKADDR_IN))
		return -FI_EINVAL;

	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -FI_ENOMEM;
	ep->sock = -1;
	ep->family = family;
	ep->addrlen = family == AF_INET6 ? sizeof(struct sockaddr_in6)
					 : sizeof(struct sockaddr_in);

	/* Sizes: what the info says, within what a datagram can carry. */
	family_max = udp_max_msg_size(family, 0);
	ep->max_msg_size = info->ep_attr && info->ep_attr->max_msg_size
				   ? info->ep_attr->max_msg_size
				   : family_max;
	if (ep->max_msg_size > family_max)
		ep->max_msg_size = family_max;
	ep->inject_size = info->tx_attr ? info->tx_attr->inject_size
					: ep->max_msg_size;
	if (ep->inject_size > ep->max_msg_size)
		ep->inject_size = ep->max_msg_size;
	ep->tx_size = info->tx_attr && info->tx_attr->size
			      ? info->tx_attr->size
			      : UDP_DEF_QUEUE_SIZE;
	ep->rx_size = info->rx_attr && info->rx_attr->size
			      ? info->rx_attr->size
			      : UDP_DEF_QUEUE_SIZE;
	if (ep->rx_size > UDP_MAX_QUEUE_SIZE)
		ep->rx_size = UDP_MAX_QUEUE_SIZE;
	if ((info->tx_attr && info->tx_attr->iov_limit > UDP_IOV_LIMIT) ||
	    (info->rx_attr && info->rx_attr->iov_limit > UDP_IOV_LIMIT)) {
		ret = -FI_EINVAL;
		goto err_free_ep;
	}
	ep->rx_mask = udp_roundup_pow2(ep->rx_size) - 1;
	ep->rxq = calloc((size_t)ep->rx_mask + 1, sizeof(*ep->rxq));
	if (!ep->rxq) {
		ret = -FI_ENOMEM;
		goto err_free_ep;
	}

	/* Source address: the info's, else the family's wildcard. */
	ep->addr.sa.sa_family = (sa_family_t)family;
	if (info->src_addr && info->src_addrlen >= ep->addrlen &&
	    ((const struct sockaddr *)info->src_addr)->sa_family == family)
		memcpy(&ep->addr, info->src_addr, ep->addrlen);

	ret = udp_ep_socket(ep);
	if (ret)
		goto err_close_socket;

	ret = weft_ep_init(&ep->util, dom, info, udp_ep_progress, context);
	if (ret)
		goto err_close_socket;
	/* Set before any fi_ep_bind: binding a CQ or counter adds this fd to
	 * its wait set, so FI_WAIT_FD waiters wake when a datagram lands. */
	ep->util.wait_fd = ep->sock;

	ep->util.ep_fid.fid.ops = &udp_ep_fi_ops;
	ep->util.ep_fid.ops = &udp_ep_ops;
	ep->util.ep_fid.cm = &udp_ep_cm_ops;
	ep->util.ep_fid.msg = &udp_msg_ops;
	ep->util.ep_fid.rma = &weft_ops_rma_none;
	ep->util.ep_fid.tagged = &weft_ops_tagged_none;
	ep->util.ep_fid.atomic = &weft_ops_atomic_none;
	ep->util.ep_fid.collective = &weft_ops_collective_none;
	*ep_fid = &ep->util.ep_fid;
	return 0;

err_close_socket:
	if (ep->sock >= 0)
		close(ep->sock);
	free(ep->rxq);
err_free_ep:
	free(ep);
	return ret;
}
