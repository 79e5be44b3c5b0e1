/* udp provider, FI_EP_RDM: the endpoint object (open, enable, close,
 * names, queue sizes) and its progress (see udp_rdm.h for the model, the
 * file layout and the locking).
 *
 * Progress is manual: CQ and counter reads (and a full tx pool) run it. It
 * reads what the socket holds, feeds the engine, and runs the engine's
 * timers when due.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "udp_rdm.h"

/* Datagrams read per progress call, so one call stays short. */
#define UDP_RDM_RX_BATCH 64

uint64_t udp_rdm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- progress -------------------------------------------------------------- */

/* ---- senders outside the AV (FI_SOURCE_ERR) ------------------------------- */

static bool udp_rdm_addr_same(const union udp_sockaddr *a,
			      const union udp_sockaddr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->sin.sin_port == b->sin.sin_port &&
		       a->sin.sin_addr.s_addr == b->sin.sin_addr.s_addr;
	return a->sin6.sin6_port == b->sin6.sin6_port &&
	       !memcmp(&a->sin6.sin6_addr, &b->sin6.sin6_addr,
		       sizeof(a->sin6.sin6_addr));
}

static int udp_rdm_unknown_find(struct udp_rdm_ep *ep,
				const union udp_sockaddr *a)
{
	int i;

	for (i = 0; ep->n_unknown && i < UDP_RDM_UNKNOWN_SLOTS; i++)
		if (ep->unknown[i].used &&
		    udp_rdm_addr_same(&ep->unknown[i].addr, a))
			return i;
	return -1;
}

/* The slot of a sender outside the AV, taking a free one for a new
 * sender; -1 without FI_SOURCE_ERR or when all are taken. */
static int udp_rdm_unknown_slot(struct udp_rdm_ep *ep,
				const union udp_sockaddr *a)
{
	int i = udp_rdm_unknown_find(ep, a);

	if (i >= 0 || !(ep->util.caps & FI_SOURCE_ERR))
		return i;
	for (i = 0; i < UDP_RDM_UNKNOWN_SLOTS; i++) {
		if (ep->unknown[i].used)
			continue;
		memset(&ep->unknown[i].addr, 0, sizeof(ep->unknown[i].addr));
		memcpy(&ep->unknown[i].addr, a, ep->addrlen);
		ep->unknown[i].used = true;
		ep->n_unknown++;
		return i;
	}
	return -1;
}

/* The address of slot peer `from` is now AV entry `to`, whose engine
 * state does not exist yet: move the conversation there, and rename the
 * peer in what is queued or arriving. */
static void udp_rdm_unknown_move(struct udp_rdm_ep *ep, int slot,
				 uint32_t to)
{
	uint32_t from = UDP_RDM_MAX_PEERS + (uint32_t)slot;
	size_t i;

	ep->unknown[slot].used = false;
	ep->n_unknown--;
	if (udp_rel_peer_move(&ep->rel, from, to))
		return; /* no state was made for it: nothing to move */
	/* Messages queued, arriving or claimed; requests waiting for an
	 * answer. A rare event: a scan of the pools is fine. */
	for (i = 0; i < 2 * ep->rx_size; i++) {
		struct udp_rdm_rx *rx = &ep->rx_pool[i];

		if (rx->in_kind && rx->peer == from) {
			rx->peer = to;
			if (rx->unexpected)
				rx->match.addr = to;
		}
	}
	for (i = 0; i < ep->tx_size; i++)
		if (ep->tx_pool[i].op != UDP_RDM_OP_SEND &&
		    ep->tx_pool[i].peer == from)
			ep->tx_pool[i].peer = to;
	for (i = 0; i < ep->tgt_n; i++)
		if (ep->tgt_pool[i].in_kind && ep->tgt_pool[i].peer == from)
			ep->tgt_pool[i].peer = to;
}

static void udp_rdm_unknown_adopt(struct udp_rdm_ep *ep,
				  const union udp_sockaddr *a, uint32_t to)
{
	int slot = udp_rdm_unknown_find(ep, a);

	if (slot >= 0)
		udp_rdm_unknown_move(ep, slot, to);
}

void udp_rdm_peer_prepare(struct udp_rdm_ep *ep, fi_addr_t dest)
{
	const union udp_sockaddr *a;

	if (!ep->n_unknown || udp_rel_peer_get(&ep->rel, (uint32_t)dest))
		return;
	a = weft_av_addr(ep->util.av, dest);
	if (a)
		udp_rdm_unknown_adopt(ep, a, (uint32_t)dest);
}

fi_addr_t udp_rdm_src_addr(struct udp_rdm_ep *ep, uint32_t peer)
{
	if (udp_rdm_peer_unknown(peer))
		return FI_ADDR_NOTAVAIL;
	return weft_av_report_addr(ep->util.av, peer);
}

/* Caller holds util.lock. */
void udp_rdm_progress_locked(struct udp_rdm_ep *ep)
{
	uint64_t now = udp_rdm_now();
	socklen_t slen;
	fi_addr_t src;
	ssize_t n;
	int i;

	for (i = 0; i < UDP_RDM_RX_BATCH; i++) {
		slen = sizeof(ep->rsrc);
		n = recvfrom(ep->sock, ep->rbuf, ep->rbuf_len, MSG_DONTWAIT,
			     &ep->rsrc.sa, &slen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (slen < ep->addrlen || ep->rsrc.sa.sa_family != ep->family) {
			ep->stats.rx_short++;
			continue;
		}
		src = weft_av_reverse(ep->util.av, &ep->rsrc, ep->addrlen);
		if (src == FI_ADDR_NOTAVAIL || src >= UDP_RDM_MAX_PEERS) {
			int slot = udp_rdm_unknown_slot(ep, &ep->rsrc);

			if (slot < 0) {
				ep->stats.rx_unknown++;
				continue;
			}
			src = UDP_RDM_MAX_PEERS + (fi_addr_t)slot;
		} else if (ep->n_unknown &&
			   !udp_rel_peer_get(&ep->rel, (uint32_t)src)) {
			udp_rdm_unknown_adopt(ep, &ep->rsrc, (uint32_t)src);
		}
		udp_rel_recv(&ep->rel, (uint32_t)src, ep->rbuf, (size_t)n, now);
		ep->next_deadline = 0;
		ep->last_rx_ns = now;
	}
	/* Nothing more to read: acks go out now, one per peer per batch. */
	udp_rel_flush_acks(&ep->rel, now);
	if (now >= ep->next_deadline)
		ep->next_deadline = udp_rel_progress(&ep->rel, now);
}

static void udp_rdm_progress(struct weft_ep *wep)
{
	struct udp_rdm_ep *ep = weft_container_of(wep, struct udp_rdm_ep, util);

	if (!wep->enabled)
		return;
	weft_lock_acquire(&wep->lock);
	udp_rdm_progress_locked(ep);
	weft_lock_release(&wep->lock);
}

static ssize_t udp_rdm_rx_size_left(struct fid_ep *fid)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);
	ssize_t left;

	weft_lock_acquire(&ep->util.lock);
	left = (ssize_t)(ep->rx_size - ep->rx_used);
	weft_lock_release(&ep->util.lock);
	return left < 0 ? 0 : left;
}

static ssize_t udp_rdm_tx_size_left(struct fid_ep *fid)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of(fid);
	ssize_t left;

	weft_lock_acquire(&ep->util.lock);
	left = (ssize_t)(ep->tx_size - ep->tx_used);
	weft_lock_release(&ep->util.lock);
	return left;
}

static int udp_rdm_tx_ctx(struct fid_ep *sep, int index,
			  struct fi_tx_attr *attr, struct fid_ep **tx_ep,
			  void *context)
{
	return -FI_ENOSYS;
}

static int udp_rdm_rx_ctx(struct fid_ep *sep, int index,
			  struct fi_rx_attr *attr, struct fid_ep **rx_ep,
			  void *context)
{
	return -FI_ENOSYS;
}

static struct fi_ops_ep udp_rdm_ep_ops = {
	.size = sizeof(struct fi_ops_ep),
	.cancel = udp_rdm_cancel,
	.getopt = weft_ep_getopt,
	.setopt = weft_ep_setopt,
	.tx_ctx = udp_rdm_tx_ctx,
	.rx_ctx = udp_rdm_rx_ctx,
	.rx_size_left = udp_rdm_rx_size_left,
	.tx_size_left = udp_rdm_tx_size_left,
};

/* ---- names --------------------------------------------------------------- */

static int udp_rdm_bind_socket(struct udp_rdm_ep *ep)
{
	return udp_sock_bind(ep->sock, &ep->addr, ep->addrlen, &ep->bound);
}

static int udp_rdm_setname(fid_t fid, void *addr, size_t addrlen)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of_fid(fid);

	return udp_sock_setname(&ep->addr, ep->addrlen, ep->family, ep->bound,
				addr, addrlen);
}

static int udp_rdm_getname(fid_t fid, void *addr, size_t *addrlen)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of_fid(fid);

	return udp_sock_getname(ep->sock, &ep->addr, ep->addrlen, &ep->bound,
				addr, addrlen);
}

static struct fi_ops_cm udp_rdm_cm_ops = {
	.size = sizeof(struct fi_ops_cm),
	.setname = udp_rdm_setname,
	.getname = udp_rdm_getname,
	.getpeer = weft_cm_getpeer_none,
	.connect = weft_cm_connect_none,
	.listen = weft_cm_listen_none,
	.accept = weft_cm_accept_none,
	.reject = weft_cm_reject_none,
	.shutdown = weft_cm_shutdown_none,
	.join = weft_cm_join_none,
};

/* ---- open, enable, close ------------------------------------------------- */

static void udp_rdm_free(struct udp_rdm_ep *ep)
{
	if (ep->rel.peers) {
		/* Outstanding sends end with -FI_ECANCELED completions that
		 * nobody will read; the CQs are unbound by now. */
		udp_rel_fini(&ep->rel);
	}
	if (ep->ux_mem)
		munmap(ep->ux_mem, (size_t)ep->ux_nslots * UDP_RDM_UNEXP_SLOT);
	free(ep->ux_map);
	free(ep->tgt_pool);
	if (ep->sock >= 0)
		close(ep->sock);
	free(ep->tx_pool);
	free(ep->rx_pool);
	free(ep->rbuf);
	free(ep);
}

/* Drops the engine's callbacks into the void once the endpoint is closing:
 * completions must not reach CQs that were unbound. */
static void udp_rdm_done_quiet(void *ctx, uint32_t peer,
			       struct udp_rel_send *op, int err)
{
}

static int udp_rdm_deliver_refuse(void *ctx, uint32_t peer,
				  const struct udp_rel_frag *f)
{
	return -FI_EAGAIN;
}

#define UDP_RDM_LINGER_NS 250000000ull /* at most, and only if recently busy */
#define UDP_RDM_QUIET_NS 20000000ull   /* this long without a datagram */

/* Before the socket closes, keep answering for a moment: if our last ack
 * to a peer was lost, its retransmission must still find someone to ack
 * it, or the peer's send (delivered here!) would end in FI_ETIMEDOUT.
 * New messages are refused (not acknowledged) and no completion is
 * written: the callbacks are swapped for silent ones. Bounded: only when
 * a datagram came in the last UDP_RDM_LINGER_NS, and until the socket has
 * been quiet for UDP_RDM_QUIET_NS. */
static void udp_rdm_linger(struct udp_rdm_ep *ep)
{
	uint64_t start = udp_rdm_now(), t;
	struct pollfd pfd = {.fd = ep->sock, .events = POLLIN};

	ep->rel.ops.deliver = udp_rdm_deliver_refuse;
	ep->rel.ops.send_done = udp_rdm_done_quiet;
	ep->rel.ops.rx_abort = NULL;
	if (!ep->util.enabled || !ep->last_rx_ns ||
	    start - ep->last_rx_ns > UDP_RDM_LINGER_NS)
		return;
	weft_lock_acquire(&ep->util.lock);
	while ((t = udp_rdm_now()) - start < UDP_RDM_LINGER_NS &&
	       t - ep->last_rx_ns < UDP_RDM_QUIET_NS) {
		udp_rdm_progress_locked(ep);
		poll(&pfd, 1, 1);
	}
	weft_lock_release(&ep->util.lock);
}

static int udp_rdm_close(struct fid *fid)
{
	struct udp_rdm_ep *ep = udp_rdm_ep_of_fid(fid);

	FI_INFO(&udp_prov, FI_LOG_EP_DATA,
		"rdm endpoint: sent %" PRIu64 " data packets, %" PRIu64
		" retransmitted (%" PRIu64 " fast, %" PRIu64 " timeouts), %"
		PRIu64 " acks; received %" PRIu64 " data packets, %" PRIu64
		" duplicates, %" PRIu64 " early, %" PRIu64 " refused (busy); "
		"dropped %" PRIu64 " from unknown peers, %" PRIu64
		" malformed, %" PRIu64 " operations breaking the protocol; "
		"%" PRIu64 " unexpected messages refused for room; socket "
		"full %" PRIu64 " times; %" PRIu64 " dropped on purpose\n",
		ep->rel.stats.tx_data, ep->rel.stats.tx_retx,
		ep->rel.stats.tx_fast_retx, ep->rel.stats.tx_timeouts,
		ep->rel.stats.tx_ack, ep->rel.stats.rx_data,
		ep->rel.stats.rx_dup, ep->rel.stats.rx_early,
		ep->rel.stats.rx_busy, ep->stats.rx_unknown,
		ep->rel.stats.rx_bad, ep->stats.rx_proto,
		ep->stats.rx_unexp_full, ep->stats.tx_full,
		ep->stats.tx_dropped);
	udp_rdm_linger(ep);
	weft_ep_fini(&ep->util);
	udp_rdm_free(ep);
	return 0;
}

static int udp_rdm_enable(struct udp_rdm_ep *ep)
{
	int ret;

	if (ep->util.enabled)
		return 0;
	ret = weft_ep_control(&ep->util.ep_fid.fid, FI_ENABLE, NULL);
	if (ret)
		return ret;
	ep->util.enabled = false;
	ret = udp_rdm_bind_socket(ep);
	if (ret)
		return ret;
	ep->util.enabled = true;
	return 0;
}

static int udp_rdm_control(struct fid *fid, int command, void *arg)
{
	if (command == FI_ENABLE)
		return udp_rdm_enable(udp_rdm_ep_of_fid(fid));
	return weft_ep_control(fid, command, arg);
}

static struct fi_ops udp_rdm_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = udp_rdm_close,
	.bind = weft_ep_bind,
	.control = udp_rdm_control,
	.ops_open = weft_fid_ops_open_none,
	.tostr = weft_fid_tostr_none,
	.ops_set = weft_fid_ops_set_none,
};

static bool udp_rdm_is_loopback(const union udp_sockaddr *a)
{
	if (a->sa.sa_family == AF_INET)
		return (ntohl(a->sin.sin_addr.s_addr) >> 24) == 127;
	return !memcmp(&a->sin6.sin6_addr, &in6addr_loopback,
		       sizeof(in6addr_loopback));
}

/* Bytes of the unexpected pool (FI_UDP_RDM_UNEXP_MB). */
static size_t udp_rdm_unexp_bytes(void)
{
	return udp_params.rdm_unexp_mb ? (size_t)udp_params.rdm_unexp_mb << 20
				       : UDP_RDM_UNEXP_BYTES_DEF;
}

int udp_rdm_endpoint_open(struct fid_domain *domain, struct fi_info *info,
			  struct fid_ep **ep_fid, void *context)
{
	struct weft_domain *dom = weft_domain_of(domain);
	struct udp_rel_cfg cfg;
	struct udp_rdm_ep *ep;
	uint32_t epoch;
	int family, ret, one = 1;
	int rcvbuf = udp_params.rcvbuf ? udp_params.rcvbuf : 16 << 20;
	int sndbuf = udp_params.sndbuf ? udp_params.sndbuf : 16 << 20;
	socklen_t optlen;
	size_t i;

	family = info->addr_format == FI_SOCKADDR_IN6 ||
				 (dom->info &&
				  dom->info->addr_format == FI_SOCKADDR_IN6)
			 ? AF_INET6
			 : AF_INET;
	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -FI_ENOMEM;
	ep->sock = -1;
	ep->family = family;
	ep->addrlen = family == AF_INET6 ? sizeof(struct sockaddr_in6)
					 : sizeof(struct sockaddr_in);
	if ((info->tx_attr && info->tx_attr->iov_limit > UDP_IOV_LIMIT) ||
	    (info->rx_attr && info->rx_attr->iov_limit > UDP_IOV_LIMIT)) {
		ret = -FI_EINVAL;
		goto err_free;
	}
	ep->tx_size = info->tx_attr && info->tx_attr->size ? info->tx_attr->size
							   : UDP_DEF_QUEUE_SIZE;
	ep->rx_size = info->rx_attr && info->rx_attr->size ? info->rx_attr->size
							   : UDP_DEF_QUEUE_SIZE;
	if (ep->tx_size > UDP_MAX_QUEUE_SIZE)
		ep->tx_size = UDP_MAX_QUEUE_SIZE;
	if (ep->rx_size > UDP_MAX_QUEUE_SIZE)
		ep->rx_size = UDP_MAX_QUEUE_SIZE;
	ep->addr.sa.sa_family = (sa_family_t)family;
	if (info->src_addr && info->src_addrlen >= ep->addrlen &&
	    ((const struct sockaddr *)info->src_addr)->sa_family == family)
		memcpy(&ep->addr, info->src_addr, ep->addrlen);

	/* Pools: one tx entry per tx_attr->size, one rx entry per posted
	 * receive and as many again for unexpected messages. */
	ep->tx_pool = calloc(ep->tx_size, sizeof(*ep->tx_pool));
	ep->rx_pool = calloc(2 * ep->rx_size, sizeof(*ep->rx_pool));
	ep->rbuf_len = family == AF_INET6 ? UDP_IPV6_MAX_PAYLOAD
					  : UDP_IPV4_MAX_PAYLOAD;
	ep->rbuf = malloc(ep->rbuf_len);
	if (!ep->tx_pool || !ep->rx_pool || !ep->rbuf) {
		ret = -FI_ENOMEM;
		goto err_free;
	}
	for (i = 0; i < ep->tx_size; i++) {
		ep->tx_pool[i].next_free = ep->tx_free;
		ep->tx_free = &ep->tx_pool[i];
	}
	for (i = 0; i < 2 * ep->rx_size; i++) {
		ep->rx_pool[i].next_free = ep->rx_free;
		ep->rx_free = &ep->rx_pool[i];
	}
	/* The unexpected pool: reserved address space, backed by memory only
	 * where messages have been buffered (untouched pages cost nothing). */
	ep->ux_nslots = (uint32_t)(udp_rdm_unexp_bytes() / UDP_RDM_UNEXP_SLOT);
	ep->ux_mem = mmap(NULL, (size_t)ep->ux_nslots * UDP_RDM_UNEXP_SLOT,
			  PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ep->ux_mem == MAP_FAILED) {
		ep->ux_mem = NULL;
		ret = -FI_ENOMEM;
		goto err_free;
	}
	ep->ux_map = calloc(ep->ux_nslots, 1);
	if (!ep->ux_map) {
		ret = -FI_ENOMEM;
		goto err_free;
	}
	/* Targets of RMA and atomics answer from a pool of their own; an
	 * endpoint without those capabilities keeps two entries, to refuse
	 * requests with an answer (FI_EOPNOTSUPP) rather than silence. */
	{
		size_t n = info->caps & (FI_RMA | FI_ATOMIC) ? UDP_RDM_TGT_POOL
							     : 2;

		ep->tgt_pool = calloc(n, sizeof(*ep->tgt_pool));
		if (!ep->tgt_pool) {
			ret = -FI_ENOMEM;
			goto err_free;
		}
		ep->tgt_n = n;
		for (i = 0; i < n; i++) {
			ep->tgt_pool[i].next_free = ep->tgt_free;
			ep->tgt_free = &ep->tgt_pool[i];
		}
	}

	ep->sock = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ep->sock < 0) {
		ret = udp_errno_to_fi(errno);
		goto err_free;
	}
	if (family == AF_INET6)
		setsockopt(ep->sock, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			   sizeof(one));
	/* Room for a window of packets from many peers; the kernel caps it
	 * at rmem_max, which is fine. */
	/* Room for a full window (engine's choice below): the FORCE variants
	 * pass net.core.[rw]mem_max when we may (CAP_NET_ADMIN); otherwise
	 * the kernel caps the request there and the window shrinks. */
	if (setsockopt(ep->sock, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)))
		setsockopt(ep->sock, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			   sizeof(rcvbuf));
	if (setsockopt(ep->sock, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf,
		       sizeof(sndbuf)))
		setsockopt(ep->sock, SOL_SOCKET, SO_SNDBUF, &sndbuf,
			   sizeof(sndbuf));
	optlen = sizeof(rcvbuf);
	if (getsockopt(ep->sock, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &optlen))
		rcvbuf = 0;

	udp_rel_cfg_default(&cfg);
	/* Loopback carries big datagrams cheaply; elsewhere one packet must
	 * fit an Ethernet frame without IP fragmentation. */
	if (udp_rdm_is_loopback(&ep->addr))
		cfg.mtu_payload = 16384;
	else
		cfg.mtu_payload = (uint32_t)(1500 -
					     (family == AF_INET6 ? UDP_IPV6_OVERHEAD
								 : UDP_IPV4_OVERHEAD) -
					     UDP_REL_DATA_HDR_SIZE);
	cfg.max_peers = UDP_RDM_MAX_PEERS +
			(info->caps & FI_SOURCE_ERR ? UDP_RDM_UNKNOWN_SLOTS : 0);
	if (udp_params.rdm_mtu)
		cfg.mtu_payload = (uint32_t)udp_params.rdm_mtu;
	udp_rel_cfg_windows(&cfg, (size_t)rcvbuf);
	/* Early packets wait in udp_rel_cfg_windows()'s pool: one window's
	 * worth (within 4 MiB), shared by all peers. */
	/* Peers on other interfaces may use other packet sizes: take any
	 * datagram's worth (early ones are held only up to our own size). */
	cfg.max_rx_payload = (uint32_t)(ep->rbuf_len - UDP_REL_DATA_HDR_SIZE);
	cfg.max_msg_size = UDP_RDM_MAX_MSG_SIZE;
	/* Progress is manual: the peer acknowledges only when its
	 * application drives it, so the floor leaves room for that. */
	cfg.rto_min_ns = (uint64_t)udp_params.rdm_rto_min_us * 1000;
	cfg.rto_init_ns = cfg.rto_min_ns > 1000000 ? cfg.rto_min_ns : 1000000;
	cfg.dead_ns = (uint64_t)udp_params.rdm_dead_ms * 1000000;
	/* A random incarnation id, so that peers tell this endpoint from
	 * an earlier one at the same address. */
	if (getrandom(&epoch, sizeof(epoch), GRND_NONBLOCK) != sizeof(epoch)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		epoch = (uint32_t)((uint64_t)ts.tv_nsec * 2654435761u ^
				   (uint64_t)ts.tv_sec ^ (uint64_t)getpid() << 16);
	}
	if (!epoch)
		epoch = 1;
	ep->drop_rng = 0x9e3779b97f4a7c15ull ^ epoch;
	ret = udp_rel_init(&ep->rel, &cfg, &udp_rdm_rel_ops, ep, epoch);
	if (ret)
		goto err_free;

	ret = weft_ep_init(&ep->util, dom, info, udp_rdm_progress, context);
	if (ret)
		goto err_free;
	ep->util.wait_fd = ep->sock;
	weft_match_queue_init(&ep->posted_msg, true);
	weft_match_queue_init(&ep->posted_tag, true);
	weft_match_queue_init(&ep->unexp_msg, true);
	weft_match_queue_init(&ep->unexp_tag, true);
	weft_list_init(&ep->claimed);

	ep->util.ep_fid.fid.ops = &udp_rdm_fi_ops;
	ep->util.ep_fid.ops = &udp_rdm_ep_ops;
	ep->util.ep_fid.cm = &udp_rdm_cm_ops;
	ep->util.ep_fid.msg = &udp_rdm_msg_ops;
	ep->util.ep_fid.tagged = &udp_rdm_tagged_ops;
	ep->util.ep_fid.rma = &udp_rdm_rma_ops;
	ep->util.ep_fid.atomic = &udp_rdm_atomic_ops;
	ep->util.ep_fid.collective = &weft_ops_collective_none;
	*ep_fid = &ep->util.ep_fid;
	return 0;

err_free:
	udp_rdm_free(ep);
	return ret;
}
