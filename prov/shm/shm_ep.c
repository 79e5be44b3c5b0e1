/* shm endpoints: open/close, enable, peers (found by id, mapped on first
 * use), names, cancel and the endpoint ops tables. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shm.h"

/* Endpoint numbers within this process; with the pid they name the
 * endpoint on the node. */
static atomic_uint shm_next_n = 1;

/* ---- peers --------------------------------------------------------------- */

struct shm_peer *shm_peer_get(struct shm_ep *ep, uint32_t pid, uint32_t n)
{
	uint64_t id = (uint64_t)pid << 32 | n;
	struct shm_peer *peer;
	uint64_t v;

	if (ep->last_peer && ep->last_peer->id == id)
		return ep->last_peer;
	if (weft_hash_find(&ep->peers, id, &v)) {
		peer = (struct shm_peer *)(uintptr_t)v;
		ep->last_peer = peer;
		return peer;
	}
	/* First contact: control path, once per peer. */
	peer = calloc(1, sizeof(*peer));
	if (!peer)
		return NULL;
	peer->id = id;
	peer->pid = pid;
	peer->n = n;
	peer->fi_addr = FI_ADDR_NOTAVAIL;
	shm_bell_addr(&peer->bell, &peer->bell_len, pid, n);
	if (weft_hash_insert(&ep->peers, id, (uint64_t)(uintptr_t)peer)) {
		free(peer);
		return NULL;
	}
	weft_list_push_back(&ep->peer_list, &peer->link);
	ep->npeers++;
	ep->last_peer = peer;
	return peer;
}

int shm_peer_map(struct shm_ep *ep, struct shm_peer *peer)
{
	int ret;

	if (peer->seg.hdr)
		return 0;
	if (peer->dead)
		return -FI_EHOSTUNREACH;
	ret = shm_region_map(&peer->seg, peer->pid, peer->n);
	if (ret)
		FI_WARN_SPARSE(&shm_prov, FI_LOG_EP_DATA,
			       "cannot map peer %" PRIu32 ":%" PRIu32 ": %s\n",
			       peer->pid, peer->n, fi_strerror(-ret));
	return ret;
}

/* What we derived from AV entries (peers cached by AV index, senders'
 * fi_addrs) is dropped when an fi_av_remove happened since: the index may
 * now name another endpoint, or none. One acquire load per call; the
 * cache is rebuilt on demand. */
static void shm_av_sync(struct shm_ep *ep)
{
	uint64_t gen = atomic_load_explicit(&ep->util.av->gen,
					    memory_order_acquire);

	if (gen == ep->av_gen)
		return;
	ep->av_gen = gen;
	if (ep->by_addr)
		memset(ep->by_addr, 0, ep->by_addr_cap * sizeof(*ep->by_addr));
	for (struct weft_list *l = ep->peer_list.next; l != &ep->peer_list;
	     l = l->next) {
		struct shm_peer *peer =
			weft_container_of(l, struct shm_peer, link);

		peer->addr_known = false;
		peer->fi_addr = FI_ADDR_NOTAVAIL;
	}
}

struct shm_peer *shm_peer_of_addr(struct shm_ep *ep, fi_addr_t addr, int *err)
{
	struct shm_peer *peer;
	const char *name;
	uint32_t pid, n;
	uint64_t idx;
	int ret;

	if (ep->util.av)
		shm_av_sync(ep);
	idx = ep->util.av ? (addr & ep->util.av->index_mask) : addr;
	if (idx < ep->by_addr_cap && ep->by_addr[idx])
		return ep->by_addr[idx];

	name = ep->util.av ? weft_av_addr(ep->util.av, addr) : NULL;
	if (!name || shm_name_parse(name, WEFT_AV_STR_MAX, &pid, &n)) {
		*err = -FI_EINVAL;
		return NULL;
	}
	/* FI_SHM_MAX_PEERS bounds the peers we address (and map) through
	 * the AV; a sender that contacts us is always answered. */
	if (ep->npeers_out >= shm_params.max_peers) {
		uint64_t v;

		if (!weft_hash_find(&ep->peers, (uint64_t)pid << 32 | n, &v) ||
		    !((struct shm_peer *)(uintptr_t)v)->out) {
			FI_WARN_ONCE(&shm_prov, FI_LOG_EP_DATA,
				     "peer limit FI_SHM_MAX_PEERS=%zu "
				     "reached\n", shm_params.max_peers);
			*err = -FI_ENOSPC;
			return NULL;
		}
	}
	peer = shm_peer_get(ep, pid, n);
	if (!peer) {
		*err = -FI_ENOMEM;
		return NULL;
	}
	if (!peer->out) {
		peer->out = true;
		ep->npeers_out++;
	}
	ret = shm_peer_map(ep, peer);
	if (ret) {
		*err = ret;
		return NULL;
	}
	/* Cache by AV index, growing on demand (a peer table with no fixed
	 * cap). */
	if (idx >= ep->by_addr_cap && idx < SIZE_MAX / 2) {
		size_t cap = ep->by_addr_cap ? ep->by_addr_cap : 64;
		struct shm_peer **p;

		while (cap <= idx)
			cap *= 2;
		p = realloc(ep->by_addr, cap * sizeof(*p));
		if (p) {
			memset(p + ep->by_addr_cap, 0,
			       (cap - ep->by_addr_cap) * sizeof(*p));
			ep->by_addr = p;
			ep->by_addr_cap = cap;
		}
	}
	if (idx < ep->by_addr_cap)
		ep->by_addr[idx] = peer;
	return peer;
}

fi_addr_t shm_peer_src(struct shm_ep *ep, struct shm_peer *peer)
{
	char name[SHM_NAME_MAX];
	fi_addr_t a;
	int k;

	if (!ep->util.av)
		return peer->fi_addr;
	shm_av_sync(ep);
	if (peer->addr_known)
		return peer->fi_addr;
	k = snprintf(name, sizeof(name), SHM_ADDR_PREFIX "%" PRIu32 ":%" PRIu32,
		     peer->pid, peer->n);
	a = weft_av_reverse(ep->util.av, name, (size_t)k + 1);
	/* Only a hit is cached: the application may insert the peer
	 * later. */
	if (a != FI_ADDR_NOTAVAIL) {
		peer->fi_addr = weft_av_report_addr(ep->util.av, a);
		peer->addr_known = true;
		return peer->fi_addr;
	}
	return FI_ADDR_NOTAVAIL;
}

/* ---- close / enable ------------------------------------------------------ */

static void shm_free_unexp_queue(struct weft_match_queue *q)
{
	struct weft_list *e;

	while ((e = weft_list_pop_front(&q->list)))
		free(weft_container_of(e, struct shm_unexp, m.link));
}

static int shm_ep_close(struct fid *fid)
{
	struct shm_ep *ep = shm_ep_of_fid(fid);
	struct weft_list *e;

	/* Unbind first: that takes the doorbell out of the CQ/counter wait
	 * sets while it is still open, and no progress runs afterwards.
	 * Operations still pending are dropped without completions, as
	 * fi_close(3) allows. */
	weft_ep_fini(&ep->util);
	if (ep->bell_fd >= 0)
		close(ep->bell_fd);
	/* Answers still queued (their peers' rings were full) are owed to
	 * operations of live peers: give them a moment to get through. */
	for (int i = 0; i < 1000 && !weft_list_empty(&ep->ctrl_q); i++) {
		shm_ctrl_flush(ep);
		if (!weft_list_empty(&ep->ctrl_q))
			usleep(100);
	}

	shm_free_unexp_queue(&ep->unexp_msg);
	shm_free_unexp_queue(&ep->unexp_tag);
	while ((e = weft_list_pop_front(&ep->claimed)))
		free(weft_container_of(e, struct shm_unexp, m.link));
	while ((e = weft_list_pop_front(&ep->ctrl_q)))
		free(weft_container_of(e, struct shm_ctrl, link));

	while ((e = weft_list_pop_front(&ep->peer_list))) {
		struct shm_peer *peer =
			weft_container_of(e, struct shm_peer, link);

		shm_region_unmap(&peer->seg);
		free(peer);
	}
	weft_hash_fini(&ep->peers);
	free(ep->by_addr);
	free(ep->tx_ops);
	free(ep->rx_ops);

	shm_region_unmap(&ep->self);
	shm_region_unlink(ep->pid, ep->n);
	shm_exit_track(ep->pid, ep->n, false);
	free(ep);
	return 0;
}

static int shm_ep_enable(struct shm_ep *ep)
{
	int ret;

	if (ep->util.enabled)
		return -FI_EOPBADSTATE;
	/* util checks the bindings (CQ or counter per direction, an AV). */
	ret = weft_ep_control(&ep->util.ep_fid.fid, FI_ENABLE, NULL);
	if (ret)
		return ret;
	ep->want_source = (ep->util.caps & FI_SOURCE) && ep->util.av;
	ep->directed = (ep->util.caps & FI_DIRECTED_RECV) && ep->util.av;
	ep->source_err = ep->want_source && (ep->util.caps & FI_SOURCE_ERR);
	ep->posted_msg.directed = ep->directed;
	ep->posted_tag.directed = ep->directed;
	ep->unexp_msg.directed = ep->directed;
	ep->unexp_tag.directed = ep->directed;
	return 0;
}

static int shm_ep_control(struct fid *fid, int command, void *arg)
{
	if (command == FI_ENABLE)
		return shm_ep_enable(shm_ep_of_fid(fid));
	return weft_ep_control(fid, command, arg);
}

static struct fi_ops shm_ep_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = shm_ep_close,
	.bind = weft_ep_bind,
	.control = shm_ep_control,
	.ops_open = weft_fid_ops_open_none,
	.tostr = weft_fid_tostr_none,
	.ops_set = weft_fid_ops_set_none,
};

/* ---- fi_ops_ep --------------------------------------------------------- */

/* Cancel a posted receive (fi_cancel(3)): it completes with FI_ECANCELED.
 * Sends are not cancelable once in a peer's ring. */
static ssize_t shm_ep_cancel(fid_t fid, void *context)
{
	struct shm_ep *ep = shm_ep_of_fid(fid);
	struct weft_match_queue *qs[2] = { &ep->posted_msg, &ep->posted_tag };
	ssize_t ret = -FI_ENOENT;

	weft_lock_acquire(&ep->util.lock);
	for (int q = 0; q < 2 && ret; q++) {
		for (struct weft_list *e = qs[q]->list.next;
		     e != &qs[q]->list; e = e->next) {
			struct shm_rx *rx =
				weft_container_of(e, struct shm_rx, m.link);

			if (rx->context != context)
				continue;
			ret = 0;
			if (rx->multi) {
				shm_mrecv_cancel(ep, rx);
				break;
			}
			weft_match_remove(&rx->m);
			weft_ep_rx_error(&ep->util, rx->context,
					 FI_RECV | (rx->tagged ? FI_TAGGED
							       : FI_MSG),
					 FI_ECANCELED, FI_ECANCELED,
					 rx->iov_count ? rx->iov[0].iov_base
						       : NULL,
					 0, 0, 0, rx->m.tag);
			shm_rx_free(ep, rx);
			ret = 0;
			break;
		}
	}
	weft_lock_release(&ep->util.lock);
	return ret;
}

static ssize_t shm_ep_rx_size_left(struct fid_ep *fid)
{
	struct shm_ep *ep = shm_ep_of(fid);
	ssize_t n = 0;

	weft_lock_acquire(&ep->util.lock);
	n = (ssize_t)(ep->rx_size - ep->rx_nposted);
	if ((size_t)n > ep->rx_nfree)
		n = (ssize_t)ep->rx_nfree;
	weft_lock_release(&ep->util.lock);
	return n;
}

static ssize_t shm_ep_tx_size_left(struct fid_ep *fid)
{
	struct shm_ep *ep = shm_ep_of(fid);

	return (ssize_t)(ep->max_pending - ep->tx_busy);
}

static struct fi_ops_ep shm_ep_ops = {
	.size = sizeof(struct fi_ops_ep),
	.cancel = shm_ep_cancel,
	.getopt = weft_ep_getopt,
	.setopt = weft_ep_setopt,
	.tx_ctx = weft_ep_tx_ctx_none,
	.rx_ctx = weft_ep_rx_ctx_none,
	.rx_size_left = shm_ep_rx_size_left,
	.tx_size_left = shm_ep_tx_size_left,
};

/* ---- fi_ops_cm: names only (connectionless) ---------------------------- */

static int shm_ep_setname(fid_t fid, void *addr, size_t addrlen)
{
	/* The name is tied to the segment created at fi_endpoint. */
	return -FI_ENOSYS;
}

static int shm_ep_getname(fid_t fid, void *addr, size_t *addrlen)
{
	struct shm_ep *ep = shm_ep_of_fid(fid);

	if (!addrlen)
		return -FI_EINVAL;
	if (!addr || *addrlen < ep->namelen) {
		*addrlen = ep->namelen;
		return -FI_ETOOSMALL;
	}
	memcpy(addr, ep->name, ep->namelen);
	*addrlen = ep->namelen;
	return 0;
}

static struct fi_ops_cm shm_ep_cm_ops = {
	.size = sizeof(struct fi_ops_cm),
	.setname = shm_ep_setname,
	.getname = shm_ep_getname,
	.getpeer = weft_cm_getpeer_none,
	.connect = weft_cm_connect_none,
	.listen = weft_cm_listen_none,
	.accept = weft_cm_accept_none,
	.reject = weft_cm_reject_none,
	.shutdown = weft_cm_shutdown_none,
	.join = weft_cm_join_none,
};

/* ---- open ------------------------------------------------------------- */

static int shm_ep_bell_open(struct shm_ep *ep)
{
	struct sockaddr_un sun;
	socklen_t len;

	ep->bell_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			     0);
	if (ep->bell_fd < 0)
		return shm_errno_to_fi(errno);
	shm_bell_addr(&sun, &len, ep->pid, ep->n);
	if (bind(ep->bell_fd, (struct sockaddr *)&sun, len) != 0) {
		int ret = shm_errno_to_fi(errno);

		FI_WARN(&shm_prov, FI_LOG_EP_CTRL, "doorbell bind: %s\n",
			strerror(errno));
		return ret;
	}
	return 0;
}

static int shm_ep_pools(struct shm_ep *ep)
{
	ep->tx_ops = calloc(ep->tx_size, sizeof(*ep->tx_ops));
	ep->rx_pool = 2 * ep->rx_size;
	ep->rx_nfree = ep->rx_pool;
	ep->rx_ops = calloc(ep->rx_pool, sizeof(*ep->rx_ops));
	if (!ep->tx_ops || !ep->rx_ops)
		return -FI_ENOMEM;
	for (size_t i = ep->tx_size; i-- > 0;) {
		ep->tx_ops[i].next_free = ep->tx_free;
		ep->tx_free = &ep->tx_ops[i];
		weft_list_init(&ep->tx_ops[i].link);
	}
	for (size_t i = ep->rx_pool; i-- > 0;) {
		ep->rx_ops[i].next_free = ep->rx_free;
		ep->rx_free = &ep->rx_ops[i];
		weft_list_init(&ep->rx_ops[i].active);
		weft_list_init(&ep->rx_ops[i].m.link);
	}
	return 0;
}

static size_t shm_attr_size(size_t v, size_t def)
{
	if (!v)
		return def;
	return v > SHM_MAX_QUEUE_SIZE ? SHM_MAX_QUEUE_SIZE : v;
}

int shm_endpoint_open(struct fid_domain *domain, struct fi_info *info,
		      struct fid_ep **ep_fid, void *context)
{
	struct weft_domain *dom;
	struct shm_ep *ep;
	int ret;

	if (!domain || !info || !ep_fid)
		return -FI_EINVAL;
	if (info->ep_attr && info->ep_attr->type != FI_EP_RDM &&
	    info->ep_attr->type != FI_EP_UNSPEC)
		return -FI_EINVAL;
	if ((info->tx_attr && info->tx_attr->iov_limit > SHM_IOV_LIMIT) ||
	    (info->rx_attr && info->rx_attr->iov_limit > SHM_IOV_LIMIT) ||
	    (info->tx_attr && info->tx_attr->inject_size > SHM_RMA_INLINE_SIZE))
		return -FI_EINVAL;
	dom = weft_domain_of(domain);
	shm_region_reclaim();

	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -FI_ENOMEM;
	ep->bell_fd = -1;
	ep->pid = (uint32_t)getpid();
	ep->n = atomic_fetch_add(&shm_next_n, 1);
	ep->namelen = (size_t)snprintf(ep->name, sizeof(ep->name),
				       SHM_ADDR_PREFIX "%" PRIu32 ":%" PRIu32,
				       ep->pid, ep->n) + 1;
	ep->inject_size = info->tx_attr ? info->tx_attr->inject_size
					: SHM_RMA_INLINE_SIZE;
	ep->max_msg_size = info->ep_attr && info->ep_attr->max_msg_size
				   ? info->ep_attr->max_msg_size
				   : SHM_MAX_MSG_SIZE;
	if (ep->max_msg_size > SHM_MAX_MSG_SIZE)
		ep->max_msg_size = SHM_MAX_MSG_SIZE;
	ep->tx_size = shm_attr_size(info->tx_attr ? info->tx_attr->size : 0,
				    SHM_DEF_TX_SIZE);
	ep->rx_size = shm_attr_size(info->rx_attr ? info->rx_attr->size : 0,
				    SHM_DEF_RX_SIZE);
	ep->cma = shm_cma_usable;
	ep->eager_max = shm_params.eager_size;
	weft_list_init(&ep->bounce_tx);
	weft_list_init(&ep->coop_tx);
	ep->coop_free = ~(uint64_t)0; /* SHM_COOP_SLOTS == 64 */
	weft_list_init(&ep->rx_active);
	weft_list_init(&ep->claimed);
	weft_list_init(&ep->ctrl_q);
	weft_list_init(&ep->peer_list);
	weft_match_queue_init(&ep->posted_msg, false);
	weft_match_queue_init(&ep->posted_tag, false);
	weft_match_queue_init(&ep->unexp_msg, false);
	weft_match_queue_init(&ep->unexp_tag, false);

	ret = weft_hash_init(&ep->peers, 0);
	if (ret)
		goto err_free;
	ret = shm_ep_pools(ep);
	if (ret)
		goto err_hash;
	ret = shm_region_create(&ep->self, ep->pid, ep->n);
	if (ret)
		goto err_hash;
	shm_exit_track(ep->pid, ep->n, true);
	/* Answers we can be owed: CTS + DONE per op, a CREDIT per slot;
	 * they must fit in the half of our ring kept for answers. */
	ep->max_pending = (ep->self.reserve - ep->self.bounce_count) / 2;
	if (ep->max_pending > ep->tx_size)
		ep->max_pending = ep->tx_size;
	if (!ep->max_pending)
		ep->max_pending = 1;
	ep->bounce_free = ep->self.bounce_count >= 64
				  ? ~(uint64_t)0
				  : ((uint64_t)1 << ep->self.bounce_count) - 1;
	ret = shm_ep_bell_open(ep);
	if (ret)
		goto err_region;

	ret = weft_ep_init(&ep->util, dom, info, shm_ep_progress, context);
	if (ret)
		goto err_region;
	/* Set before any fi_ep_bind: binding a CQ or counter adds the
	 * doorbell to its wait set, so FI_WAIT_FD waiters wake when a peer
	 * rings. */
	ep->util.wait_fd = ep->bell_fd;
	if (!ep->util.max_msg_size || ep->util.max_msg_size > ep->max_msg_size)
		ep->util.max_msg_size = ep->max_msg_size;

	ep->util.ep_fid.fid.ops = &shm_ep_fi_ops;
	ep->util.ep_fid.ops = &shm_ep_ops;
	ep->util.ep_fid.cm = &shm_ep_cm_ops;
	/* Interfaces the endpoint was not opened for answer -FI_ENOSYS. */
	ep->util.ep_fid.msg = (ep->util.caps & FI_MSG) ? &shm_msg_ops
						       : &weft_ops_msg_none;
	ep->util.ep_fid.tagged = (ep->util.caps & FI_TAGGED)
					 ? &shm_tagged_ops
					 : &weft_ops_tagged_none;
	ep->util.ep_fid.rma = (ep->util.caps & FI_RMA) ? &shm_rma_ops
						       : &weft_ops_rma_none;
	ep->util.ep_fid.atomic = (ep->util.caps & FI_ATOMIC)
					 ? &shm_atomic_ops
					 : &weft_ops_atomic_none;
	ep->util.ep_fid.collective = &weft_ops_collective_none;
	*ep_fid = &ep->util.ep_fid;
	return 0;

err_region:
	if (ep->bell_fd >= 0)
		close(ep->bell_fd);
	shm_region_unmap(&ep->self);
	shm_region_unlink(ep->pid, ep->n);
	shm_exit_track(ep->pid, ep->n, false);
err_hash:
	weft_hash_fini(&ep->peers);
err_free:
	free(ep->tx_ops);
	free(ep->rx_ops);
	free(ep);
	return ret;
}
