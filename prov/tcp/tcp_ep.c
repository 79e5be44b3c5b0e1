/* tcp endpoints: open (also from a FI_CONNREQ's handle), close, enable,
 * fi_control, cancel and the endpoint ops tables. Connection management
 * lives in tcp_cm.c, the data path in tcp_msg.c and tcp_progress.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tcp.h"


static void tcp_ep_pools_free(struct tcp_ep *ep);

static int tcp_ep_close(struct fid *fid)
{
	struct tcp_ep *ep = tcp_ep_of_fid(fid);

	/* Out of the domain's poll and progress thread, then unbind: no
	 * progress call can run on the endpoint after this, and the epoll
	 * fd leaves the wait sets while still open. Operations still
	 * outstanding are dropped without completions, as fi_close(3)
	 * allows. */
	tcp_domain_remove_ep(tcp_domain_of(ep->util.domain), ep);
	weft_ep_fini(&ep->util);
	if (ep->sock >= 0)
		close(ep->sock);
	close(ep->epfd);
	tcp_ep_free_unexp(ep);
	tcp_conn_free(ep->conn);
	tcp_ep_pools_free(ep);
	free(ep->resp_pool);
	free(ep->atomic_buf);
	free(ep);
	return 0;
}

int tcp_ep_enable(struct tcp_ep *ep)
{
	return weft_ep_control(&ep->util.ep_fid.fid, FI_ENABLE, NULL);
}

static int tcp_ep_control(struct fid *fid, int command, void *arg)
{
	if (command == FI_ENABLE)
		return tcp_ep_enable(tcp_ep_of_fid(fid));
	return weft_ep_control(fid, command, arg);
}

static struct fi_ops tcp_ep_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = tcp_ep_close,
	.bind = weft_ep_bind,
	.control = tcp_ep_control,
	.ops_open = weft_fid_ops_open_none,
	.tostr = weft_fid_tostr_none,
	.ops_set = weft_fid_ops_set_none,
};

/* ---- fi_ops_ep --------------------------------------------------------- */

static ssize_t tcp_ep_cancel(fid_t fid, void *context)
{
	struct tcp_ep *ep = tcp_ep_of_fid(fid);
	int ret;

	weft_lock_acquire(&ep->util.lock);
	ret = tcp_rx_cancel(ep, context);
	weft_lock_release(&ep->util.lock);
	return ret;
}

static ssize_t tcp_ep_rx_size_left(struct fid_ep *fid)
{
	struct tcp_ep *ep = tcp_ep_of(fid);
	ssize_t left;

	weft_lock_acquire(&ep->util.lock);
	left = (ssize_t)(weft_list_length(&ep->rx_free) + ep->rx_size -
			 ep->rx_next);
	weft_lock_release(&ep->util.lock);
	return left;
}

static ssize_t tcp_ep_tx_size_left(struct fid_ep *fid)
{
	struct tcp_ep *ep = tcp_ep_of(fid);
	ssize_t left;

	weft_lock_acquire(&ep->util.lock);
	left = (ssize_t)(weft_list_length(&ep->tx_free) + ep->tx_size -
			 ep->tx_next);
	weft_lock_release(&ep->util.lock);
	return left;
}

static struct fi_ops_ep tcp_ep_ops = {
	.size = sizeof(struct fi_ops_ep),
	.cancel = tcp_ep_cancel,
	.getopt = weft_ep_getopt,
	.setopt = weft_ep_setopt,
	.tx_ctx = weft_ep_tx_ctx_none,
	.rx_ctx = weft_ep_rx_ctx_none,
	.rx_size_left = tcp_ep_rx_size_left,
	.tx_size_left = tcp_ep_tx_size_left,
};

/* ---- open ------------------------------------------------------------- */

static void tcp_ep_pools_free(struct tcp_ep *ep)
{
	if (ep->pool_mem)
		munmap(ep->pool_mem, ep->pool_len);
	ep->pool_mem = NULL;
}

static int tcp_ep_pools(struct tcp_ep *ep, const struct fi_info *info)
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
	{
		/* One mapping: zero pages until touched, and entries are
		 * taken in order (tcp_tx_alloc), so a connection's memory
		 * grows with what it has in flight, not with the queue
		 * sizes. */
		size_t tx_bytes = ep->tx_size * sizeof(*ep->tx_pool);
		size_t rx_bytes = ep->rx_size * sizeof(*ep->rx_pool);
		size_t align = _Alignof(max_align_t);
		size_t rx_off = (tx_bytes + align - 1) / align * align;
		size_t st_off = (rx_off + rx_bytes + 4095) / 4096 * 4096;
		void *m;

		ep->pool_len = st_off + TCP_RX_STAGE_SIZE;
		m = mmap(NULL, ep->pool_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return -FI_ENOMEM;
		ep->pool_mem = m;
		ep->tx_pool = m;
		ep->rx_pool = (void *)((uint8_t *)m + rx_off);
		ep->stage = (uint8_t *)m + st_off;
	}
	/* Only an endpoint that serves remote RMA/atomics answers them. */
	if (info->caps & (FI_RMA | FI_ATOMIC)) {
		ep->resp_pool = calloc(TCP_RESP_POOL, sizeof(*ep->resp_pool));
		if (!ep->resp_pool)
			return -FI_ENOMEM;
	}
	if (info->caps & FI_ATOMIC) {
		ep->atomic_buf = malloc(2 * WEFT_ATOMIC_MAX_BYTES);
		if (!ep->atomic_buf)
			return -FI_ENOMEM;
	}
	weft_list_init(&ep->tx_free);
	weft_list_init(&ep->tx_queue);
	weft_list_init(&ep->rx_free);
	weft_list_init(&ep->rma_pending);
	weft_list_init(&ep->resp_free);
	for (size_t i = 0; ep->resp_pool && i < TCP_RESP_POOL; i++)
		weft_list_push_back(&ep->resp_free, &ep->resp_pool[i].tx.link);
	/* tx_next = rx_next = 0: every entry is taken fresh first. */
	weft_match_queue_init(&ep->posted_msg, false);
	weft_match_queue_init(&ep->posted_tag, false);
	weft_match_queue_init(&ep->unexp_msg, false);
	weft_match_queue_init(&ep->unexp_tag, false);
	weft_list_init(&ep->claimed);
	return 0;
}

int tcp_endpoint_open(struct fid_domain *domain, struct fi_info *info,
		      struct fid_ep **ep_fid, void *context)
{
	struct tcp_conn *conn = NULL;
	struct weft_domain *dom;
	struct tcp_ep *ep;
	int family, ret;

	if (!domain || !info || !ep_fid)
		return -FI_EINVAL;
	if (info->ep_attr && info->ep_attr->type != FI_EP_MSG &&
	    info->ep_attr->type != FI_EP_UNSPEC)
		return -FI_EINVAL;
	if (info->handle) {
		if (info->handle->fclass != FI_CLASS_CONNREQ)
			return -FI_EINVAL;
		conn = weft_container_of(info->handle, struct tcp_conn, fid);
		if (conn->sock < 0)
			return -FI_EINVAL; /* an endpoint took it already */
	}
	if ((info->tx_attr && info->tx_attr->iov_limit > TCP_IOV_LIMIT) ||
	    (info->rx_attr && info->rx_attr->iov_limit > TCP_IOV_LIMIT) ||
	    (info->tx_attr && info->tx_attr->inject_size > TCP_INJECT_SIZE))
		return -FI_EINVAL;
	dom = weft_domain_of(domain);
	family = conn ? conn->peer.sa.sa_family : tcp_info_family(info);
	if (family != AF_INET && family != AF_INET6)
		return -FI_EINVAL;

	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -FI_ENOMEM;
	ep->sock = -1;
	ep->family = family;
	ep->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ep->epfd < 0) {
		ret = tcp_errno_to_fi(errno);
		free(ep);
		return ret;
	}
	ret = tcp_ep_pools(ep, info);
	if (ret)
		goto err_free;
	ep->inject_size = info->tx_attr && info->tx_attr->inject_size
				  ? info->tx_attr->inject_size
				  : TCP_INJECT_SIZE;
	ep->addr.sa.sa_family = (sa_family_t)family;
	if (!conn && info->src_addr &&
	    info->src_addrlen >= tcp_addrlen(family) &&
	    ((const struct sockaddr *)info->src_addr)->sa_family == family) {
		memcpy(&ep->addr, info->src_addr, tcp_addrlen(family));
		ep->have_addr = true;
	}

	ret = weft_ep_init(&ep->util, dom, info, tcp_ep_progress, context);
	if (ret)
		goto err_free;
	if (!ep->util.max_msg_size || ep->util.max_msg_size > TCP_MAX_MSG_SIZE)
		ep->util.max_msg_size = TCP_MAX_MSG_SIZE;
	if (!ep->util.tx_iov_limit)
		ep->util.tx_iov_limit = TCP_IOV_LIMIT;
	if (!ep->util.rx_iov_limit)
		ep->util.rx_iov_limit = TCP_IOV_LIMIT;
	ep->util.cm_data_size = TCP_CM_DATA_MAX;
	/* Set before any fi_ep_bind: the CQ, counter and EQ wait sets take
	 * this fd, which becomes readable when the socket does. */
	ep->util.wait_fd = ep->epfd;

	if (conn) {
		/* Take the accepted socket; the handle stays ours to free. */
		ep->sock = conn->sock;
		conn->sock = -1;
		ep->conn = conn;
		memcpy(&ep->peer, &conn->peer, tcp_addrlen(family));
		ep->have_peer = true;
		ep->state = TCP_EP_ACCEPTING;
	}

	ep->util.ep_fid.fid.ops = &tcp_ep_fi_ops;
	ep->util.ep_fid.ops = &tcp_ep_ops;
	ep->util.ep_fid.cm = &tcp_ep_cm_ops;
	ep->util.ep_fid.msg = &tcp_msg_ops;
	ep->util.ep_fid.tagged = &tcp_tagged_ops;
	ep->util.ep_fid.rma = &tcp_rma_ops;
	ep->util.ep_fid.atomic = &tcp_atomic_ops;
	ep->util.ep_fid.collective = &weft_ops_collective_none;
	ret = tcp_domain_add_ep(tcp_domain_of(dom), ep);
	if (ret) {
		if (conn) { /* the handle keeps its socket */
			conn->sock = ep->sock;
			ep->sock = -1;
			ep->conn = NULL;
		}
		weft_ep_fini(&ep->util);
		goto err_free;
	}
	*ep_fid = &ep->util.ep_fid;
	return 0;

err_free:
	close(ep->epfd);
	tcp_ep_pools_free(ep);
	free(ep->resp_pool);
	free(ep->atomic_buf);
	free(ep);
	return ret;
}
