/* FI_EP_RDM endpoints: open (the listening socket is bound and listening
 * from fi_endpoint on, so fi_getname works at once), close, enable,
 * names, cancel, and the endpoint ops tables. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "tcp_rdm.h"

/* ---- listener ---------------------------------------------------------- */

static int tcp_rdm_listen(struct tcp_rdm_ep *ep)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ep };
	union tcp_sockaddr bound;
	socklen_t len = sizeof(bound);
	int one = 1, sock, ret;

	sock = socket(ep->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		      0);
	if (sock < 0)
		return tcp_errno_to_fi(errno);
	setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ep->family == AF_INET6)
		setsockopt(sock, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(sock, &ep->addr.sa, tcp_addrlen(ep->family)) ||
	    listen(sock, tcp_params.backlog) ||
	    getsockname(sock, &bound.sa, &len)) {
		ret = tcp_errno_to_fi(errno);
		FI_WARN(&tcp_prov, FI_LOG_EP_CTRL, "RDM listen: %s\n",
			strerror(errno));
		close(sock);
		return ret;
	}
	if (epoll_ctl(ep->epfd, EPOLL_CTL_ADD, sock, &ev)) {
		ret = tcp_errno_to_fi(errno);
		close(sock);
		return ret;
	}
	if (ep->lsock >= 0) {
		epoll_ctl(ep->epfd, EPOLL_CTL_DEL, ep->lsock, NULL);
		close(ep->lsock);
	}
	ep->lsock = sock;
	memcpy(&ep->addr, &bound, tcp_addrlen(ep->family));
	tcp_public_name(&ep->addr, &ep->name);
	return 0;
}

/* ---- fi_ops ------------------------------------------------------------ */

static void tcp_rdm_free_unexp(struct tcp_rdm_ep *ep)
{
	struct weft_list *qs[] = { &ep->unexp_msg.list, &ep->unexp_tag.list,
				   &ep->claimed };
	struct weft_list *l;

	for (size_t i = 0; i < 3; i++)
		while ((l = weft_list_pop_front(qs[i])))
			tcp_rdm_unexp_free(ep,
					   weft_container_of(
						   l, struct tcp_rdm_unexp,
						   match.link));
}

static void tcp_rdm_ep_free(struct tcp_rdm_ep *ep)
{
	struct weft_list *l;

	for (l = ep->conns.next; l != &ep->conns; l = l->next) {
		struct tcp_rdm_conn *c =
			weft_container_of(l, struct tcp_rdm_conn, link);

		if (c->rx_unexp) {
			tcp_rdm_unexp_free(ep, c->rx_unexp);
			c->rx_unexp = NULL;
		}
	}
	tcp_rdm_free_all(ep);
	tcp_rdm_free_unexp(ep);
	if (ep->lsock >= 0)
		close(ep->lsock);
	if (ep->epfd >= 0)
		close(ep->epfd);
	weft_hash_fini(&ep->peer_index);
	free(ep->by_addr);
	free(ep->tx_pool);
	free(ep->ctrl_pool);
	free(ep->rx_pool);
	free(ep->atomic_buf);
	free(ep);
}

static int tcp_rdm_close(struct fid *fid)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of_fid(fid);

	/* Unbind first: no progress runs on the endpoint after this.
	 * Outstanding operations are dropped without completions, as
	 * fi_close(3) allows; peers see their connections close. */
	weft_ep_fini(&ep->util);
	tcp_rdm_ep_free(ep);
	return 0;
}

static int tcp_rdm_control(struct fid *fid, int command, void *arg)
{
	return weft_ep_control(fid, command, arg);
}

static struct fi_ops tcp_rdm_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = tcp_rdm_close,
	.bind = weft_ep_bind,
	.control = tcp_rdm_control,
	.ops_open = weft_fid_ops_open_none,
	.tostr = weft_fid_tostr_none,
	.ops_set = weft_fid_ops_set_none,
};

/* ---- fi_ops_ep --------------------------------------------------------- */

static ssize_t tcp_rdm_cancel(fid_t fid, void *context)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of_fid(fid);
	struct weft_match_queue *qs[] = { &ep->posted_msg, &ep->posted_tag };
	ssize_t ret = -FI_ENOENT;

	weft_lock_acquire(&ep->util.lock);
	for (size_t q = 0; q < 2 && ret; q++) {
		struct weft_list *h = &qs[q]->list;

		for (struct weft_list *l = h->next; l != h; l = l->next) {
			struct tcp_rdm_rx *e = weft_container_of(
				l, struct tcp_rdm_rx, match.link);

			if ((e->multi ? e->mrecv.context : e->context) !=
			    context)
				continue;
			weft_match_remove(&e->match);
			if (e->multi) {
				if (weft_mrecv_cancel(&ep->util, &e->mrecv))
					tcp_rdm_rx_put(ep, e);
			} else {
				tcp_rdm_rx_fail(ep, e, FI_ECANCELED);
			}
			ret = 0;
			break;
		}
	}
	weft_lock_release(&ep->util.lock);
	return ret;
}

static ssize_t tcp_rdm_rx_size_left(struct fid_ep *fid)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of(fid);
	ssize_t left;

	weft_lock_acquire(&ep->util.lock);
	left = (ssize_t)weft_list_length(&ep->rx_free);
	weft_lock_release(&ep->util.lock);
	return left;
}

static ssize_t tcp_rdm_tx_size_left(struct fid_ep *fid)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of(fid);
	ssize_t left;

	weft_lock_acquire(&ep->util.lock);
	left = (ssize_t)weft_list_length(&ep->tx_free);
	weft_lock_release(&ep->util.lock);
	return left;
}

static struct fi_ops_ep tcp_rdm_ep_ops = {
	.size = sizeof(struct fi_ops_ep),
	.cancel = tcp_rdm_cancel,
	.getopt = weft_ep_getopt,
	.setopt = weft_ep_setopt,
	.tx_ctx = weft_ep_tx_ctx_none,
	.rx_ctx = weft_ep_rx_ctx_none,
	.rx_size_left = tcp_rdm_rx_size_left,
	.tx_size_left = tcp_rdm_tx_size_left,
};

/* ---- names ------------------------------------------------------------- */

static int tcp_rdm_setname(fid_t fid, void *addr, size_t addrlen)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of_fid(fid);
	union tcp_sockaddr old;
	int ret;

	if (!addr || addrlen < tcp_addrlen(ep->family) ||
	    ((struct sockaddr *)addr)->sa_family != ep->family)
		return -FI_EINVAL;
	weft_lock_acquire(&ep->util.lock);
	if (ep->util.enabled || !weft_list_empty(&ep->conns)) {
		ret = -FI_EOPBADSTATE;
	} else {
		memcpy(&old, &ep->addr, sizeof(old));
		memcpy(&ep->addr, addr, tcp_addrlen(ep->family));
		ret = tcp_rdm_listen(ep);
		if (ret)
			memcpy(&ep->addr, &old, sizeof(old));
	}
	weft_lock_release(&ep->util.lock);
	return ret;
}

static int tcp_rdm_getname(fid_t fid, void *addr, size_t *addrlen)
{
	struct tcp_rdm_ep *ep = tcp_rdm_ep_of_fid(fid);
	size_t len = tcp_addrlen(ep->family);
	int ret = 0;

	if (!addrlen)
		return -FI_EINVAL;
	if (!addr || *addrlen < len)
		ret = -FI_ETOOSMALL;
	else
		memcpy(addr, &ep->name, len);
	*addrlen = len;
	return ret;
}

static struct fi_ops_cm tcp_rdm_cm_ops = {
	.size = sizeof(struct fi_ops_cm),
	.setname = tcp_rdm_setname,
	.getname = tcp_rdm_getname,
	.getpeer = weft_cm_getpeer_none,
	.connect = weft_cm_connect_none,
	.listen = weft_cm_listen_none,
	.accept = weft_cm_accept_none,
	.reject = weft_cm_reject_none,
	.shutdown = weft_cm_shutdown_none,
	.join = weft_cm_join_none,
};

/* ---- open -------------------------------------------------------------- */

static int tcp_rdm_pools(struct tcp_rdm_ep *ep, const struct fi_info *info)
{
	ep->tx_size = info->tx_attr && info->tx_attr->size
			      ? info->tx_attr->size
			      : TCP_DEF_QUEUE_SIZE;
	ep->rx_size = info->rx_attr && info->rx_attr->size
			      ? info->rx_attr->size
			      : TCP_DEF_QUEUE_SIZE;
	if (ep->tx_size > TCP_MAX_QUEUE_SIZE)
		ep->tx_size = TCP_MAX_QUEUE_SIZE;
	if (ep->rx_size > TCP_MAX_QUEUE_SIZE)
		ep->rx_size = TCP_MAX_QUEUE_SIZE;
	ep->tx_pool = calloc(ep->tx_size, sizeof(*ep->tx_pool));
	ep->ctrl_pool = calloc(TCP_RDM_CTRL_POOL, sizeof(*ep->ctrl_pool));
	/* One more receive entry per posted one for rendezvous into
	 * multi-receive buffers. */
	ep->rx_pool = calloc(ep->rx_size, sizeof(*ep->rx_pool));
	if (!ep->tx_pool || !ep->ctrl_pool || !ep->rx_pool)
		return -FI_ENOMEM;
	if (info->caps & FI_ATOMIC) {
		ep->atomic_buf = malloc(2 * WEFT_ATOMIC_MAX_BYTES);
		if (!ep->atomic_buf)
			return -FI_ENOMEM;
	}
	weft_list_init(&ep->tx_free);
	weft_list_init(&ep->ctrl_free);
	weft_list_init(&ep->rx_free);
	for (size_t i = 0; i < ep->tx_size; i++) {
		ep->tx_pool[i].id = (uint32_t)i;
		weft_list_push_back(&ep->tx_free, &ep->tx_pool[i].link);
	}
	for (size_t i = 0; i < TCP_RDM_CTRL_POOL; i++) {
		ep->ctrl_pool[i].tx.kind = TCP_RDM_TX_CTRL;
		weft_list_push_back(&ep->ctrl_free,
				    &ep->ctrl_pool[i].tx.link);
	}
	for (size_t i = 0; i < ep->rx_size; i++) {
		ep->rx_pool[i].id = (uint32_t)i;
		ep->rx_pool[i].kind = TCP_RDM_RXE_FREE;
		weft_list_push_back(&ep->rx_free, &ep->rx_pool[i].free_link);
	}
	return 0;
}

static uint64_t tcp_rdm_new_incarnation(void)
{
	uint64_t v = 0;
	struct timespec ts;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		v = weft_hash_u64((uint64_t)ts.tv_nsec ^
				  ((uint64_t)ts.tv_sec << 30) ^
				  ((uint64_t)getpid() << 48));
	}
	return v ? v : 1; /* 0 means "unknown" */
}

int tcp_rdm_endpoint_open(struct fid_domain *domain, struct fi_info *info,
			  struct fid_ep **ep_fid, void *context)
{
	struct tcp_rdm_ep *ep;
	int family, ret;
	bool directed;

	if (!domain || !info || !ep_fid)
		return -FI_EINVAL;
	if ((info->tx_attr && info->tx_attr->iov_limit > TCP_IOV_LIMIT) ||
	    (info->rx_attr && info->rx_attr->iov_limit > TCP_IOV_LIMIT) ||
	    (info->tx_attr &&
	     info->tx_attr->inject_size > TCP_RDM_INJECT_SIZE))
		return -FI_EINVAL;
	family = tcp_info_family(info);
	if (family != AF_INET && family != AF_INET6)
		return -FI_EINVAL;

	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -FI_ENOMEM;
	ep->family = family;
	ep->lsock = -1;
	weft_list_init(&ep->conns);
	weft_list_init(&ep->peers);
	weft_list_init(&ep->stalled);
	weft_list_init(&ep->dead);
	weft_list_init(&ep->retry);
	weft_list_init(&ep->claimed);
	ep->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ep->epfd < 0) {
		ret = tcp_errno_to_fi(errno);
		free(ep);
		return ret;
	}
	ret = weft_hash_init(&ep->peer_index, 0);
	if (ret) {
		close(ep->epfd);
		free(ep);
		return ret;
	}
	ret = tcp_rdm_pools(ep, info);
	if (ret)
		goto err_free;
	ep->incarnation = tcp_rdm_new_incarnation();
	ep->eager_max = tcp_params.rdm_eager;
	ep->inject_size = info->tx_attr && info->tx_attr->inject_size
				  ? info->tx_attr->inject_size
				  : TCP_RDM_INJECT_SIZE;
	ep->addr.sa.sa_family = (sa_family_t)family;
	if (info->src_addr && info->src_addrlen >= tcp_addrlen(family) &&
	    ((const struct sockaddr *)info->src_addr)->sa_family == family)
		memcpy(&ep->addr, info->src_addr, tcp_addrlen(family));
	ret = tcp_rdm_listen(ep);
	if (ret)
		goto err_free;

	ret = weft_ep_init(&ep->util, weft_domain_of(domain), info,
			   tcp_rdm_progress, context);
	if (ret)
		goto err_free;
	if (!ep->util.max_msg_size || ep->util.max_msg_size > TCP_MAX_MSG_SIZE)
		ep->util.max_msg_size = TCP_MAX_MSG_SIZE;
	if (!ep->util.tx_iov_limit)
		ep->util.tx_iov_limit = TCP_IOV_LIMIT;
	if (!ep->util.rx_iov_limit)
		ep->util.rx_iov_limit = TCP_IOV_LIMIT;
	ep->util.wait_fd = ep->epfd;
	directed = (ep->util.caps & FI_DIRECTED_RECV) != 0;
	weft_match_queue_init(&ep->posted_msg, directed);
	weft_match_queue_init(&ep->posted_tag, directed);
	weft_match_queue_init(&ep->unexp_msg, directed);
	weft_match_queue_init(&ep->unexp_tag, directed);

	ep->util.ep_fid.fid.ops = &tcp_rdm_fi_ops;
	ep->util.ep_fid.ops = &tcp_rdm_ep_ops;
	ep->util.ep_fid.cm = &tcp_rdm_cm_ops;
	ep->util.ep_fid.msg = &tcp_rdm_msg_ops;
	ep->util.ep_fid.tagged = &tcp_rdm_tagged_ops;
	ep->util.ep_fid.rma = &tcp_rma_ops;
	ep->util.ep_fid.atomic = &tcp_atomic_ops;
	ep->util.ep_fid.collective = &weft_ops_collective_none;
	*ep_fid = &ep->util.ep_fid;
	return 0;

err_free:
	tcp_rdm_ep_free(ep);
	return ret;
}
