/* Passive endpoints: fi_passive_ep, fi_listen, accepting sockets, reading
 * their handshake requests into FI_CONNREQ events, fi_reject.
 *
 * Progress runs when the application reads the EQ the passive endpoint is
 * bound to (pep->hook is in the EQ's progress set): accept(2) everything
 * the kernel has queued, then read the requests that arrived. A socket
 * whose first bytes are not a weft handshake is closed with a log line;
 * nothing else is disturbed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "tcp.h"

static struct tcp_pep *tcp_pep_of_fid(struct fid *fid)
{
	return weft_container_of(fid, struct tcp_pep, pep_fid.fid);
}

/* ---- connection request handles --------------------------------------- */

void tcp_conn_free(struct tcp_conn *conn)
{
	if (!conn)
		return;
	if (conn->sock >= 0)
		close(conn->sock);
	free(conn);
}

static int tcp_conn_close(struct fid *fid)
{
	tcp_conn_free(weft_container_of(fid, struct tcp_conn, fid));
	return 0;
}

static struct fi_ops tcp_conn_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = tcp_conn_close,
	.bind = weft_fid_bind_none,
	.control = weft_fid_control_none,
	.ops_open = weft_fid_ops_open_none,
	.tostr = weft_fid_tostr_none,
	.ops_set = weft_fid_ops_set_none,
};

/* ---- progress --------------------------------------------------------- */

static void tcp_pep_drop(struct tcp_pep *pep, struct tcp_conn *conn)
{
	weft_list_remove(&conn->link);
	tcp_epoll_del(pep->epfd, conn->sock);
	tcp_conn_free(conn);
}

static void tcp_pep_log_foreign(struct tcp_pep *pep, struct tcp_conn *conn,
				const char *why)
{
	char host[INET6_ADDRSTRLEN] = "?";
	const void *a = conn->peer.sa.sa_family == AF_INET6
				? (const void *)&conn->peer.sin6.sin6_addr
				: (const void *)&conn->peer.sin.sin_addr;
	unsigned port = ntohs(conn->peer.sa.sa_family == AF_INET6
				      ? conn->peer.sin6.sin6_port
				      : conn->peer.sin.sin_port);

	inet_ntop(conn->peer.sa.sa_family, a, host, sizeof(host));
	pep->rejected_foreign++;
	FI_WARN(&tcp_prov, FI_LOG_EP_CTRL,
		"closing connection from %s port %u: %s (%" PRIu64
		" so far)\n",
		host, port, why, pep->rejected_foreign);
}

/* The request is complete: hand it to the application as FI_CONNREQ. */
static void tcp_pep_connreq(struct tcp_pep *pep, struct tcp_conn *conn)
{
	size_t cm_len = le16toh(conn->hdr.cm_len);
	struct fi_eq_cm_entry *entry;
	union tcp_sockaddr local;
	socklen_t len = sizeof(local);
	socklen_t alen = tcp_addrlen(pep->family);
	struct fi_info *info;

	weft_list_remove(&conn->link);
	tcp_epoll_del(pep->epfd, conn->sock);

	info = fi_dupinfo(pep->info);
	entry = malloc(sizeof(*entry) + cm_len);
	if (!info || !entry ||
	    getsockname(conn->sock, &local.sa, &len) != 0)
		goto err;
	free(info->src_addr);
	free(info->dest_addr);
	info->src_addr = malloc(alen);
	info->dest_addr = malloc(alen);
	if (!info->src_addr || !info->dest_addr)
		goto err;
	memcpy(info->src_addr, &local, alen);
	info->src_addrlen = alen;
	memcpy(info->dest_addr, &conn->peer, alen);
	info->dest_addrlen = alen;
	info->addr_format =
		pep->family == AF_INET6 ? FI_SOCKADDR_IN6 : FI_SOCKADDR_IN;
	info->handle = &conn->fid;

	memset(entry, 0, sizeof(*entry));
	entry->fid = &pep->pep_fid.fid;
	entry->info = info;
	memcpy(entry->data, conn->cm_data, cm_len);
	if (weft_eq_write_event(pep->eq, FI_CONNREQ, entry,
				sizeof(*entry) + cm_len, 0))
		goto err;
	free(entry);
	return;
err:
	FI_WARN(&tcp_prov, FI_LOG_EP_CTRL,
		"out of memory queuing a connection request: dropped\n");
	if (info)
		info->handle = NULL;
	fi_freeinfo(info);
	free(entry);
	tcp_conn_free(conn);
}

/* Read more of conn's request. */
static void tcp_pep_read_req(struct tcp_pep *pep, struct tcp_conn *conn)
{
	size_t need, total;
	ssize_t n;

	for (;;) {
		if (conn->got < sizeof(conn->hdr)) {
			need = sizeof(conn->hdr) - conn->got;
			n = recv(conn->sock, (uint8_t *)&conn->hdr + conn->got,
				 need, 0);
		} else {
			total = sizeof(conn->hdr) + le16toh(conn->hdr.cm_len);
			if (conn->got == total) {
				tcp_pep_connreq(pep, conn);
				return;
			}
			n = recv(conn->sock,
				 conn->cm_data + (conn->got - sizeof(conn->hdr)),
				 total - conn->got, 0);
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			tcp_pep_drop(pep, conn);
			return;
		}
		if (n == 0) { /* gave up before finishing its request */
			tcp_pep_drop(pep, conn);
			return;
		}
		conn->got += (size_t)n;
		if (conn->got == sizeof(conn->hdr) &&
		    !tcp_cm_hdr_valid(&conn->hdr, TCP_CM_REQ)) {
			tcp_pep_log_foreign(pep, conn,
					    "not a weft tcp handshake");
			tcp_pep_drop(pep, conn);
			return;
		}
	}
}

/* accept(2) found no fd (err EMFILE or ENFILE) for the connection at the
 * head of the backlog. Left there it would keep the listener readable (so
 * every EQ read retries) and its peer waiting for an answer forever: give
 * up the spare fd, take the connection and close it (the peer's
 * fi_connect fails with an error event), take the spare back, and tell
 * the application with an FI_EMFILE / FI_ENFILE error event on the EQ.
 * false when nothing could be dropped (no spare fd): try again later. */
static bool tcp_pep_out_of_fds(struct tcp_pep *pep, int err)
{
	int sock;

	FI_WARN_SPARSE(&tcp_prov, FI_LOG_EP_CTRL,
		       "accept: %s: dropping connection requests\n",
		       strerror(err));
	if (pep->reserve_fd < 0)
		pep->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (pep->reserve_fd < 0)
		return false;
	close(pep->reserve_fd);
	sock = accept4(pep->sock, NULL, NULL, SOCK_CLOEXEC);
	if (sock >= 0)
		close(sock);
	pep->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (sock < 0)
		return false;
	weft_eq_write_error(pep->eq, &pep->pep_fid.fid,
			    pep->pep_fid.fid.context, 0, err, err, NULL, 0);
	return true;
}

static void tcp_pep_accept_all(struct tcp_pep *pep)
{
	for (;;) {
		union tcp_sockaddr peer;
		socklen_t len = sizeof(peer);
		struct tcp_conn *conn;
		int sock;

		sock = accept4(pep->sock, &peer.sa, &len,
			       SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (sock < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if ((errno == EMFILE || errno == ENFILE) &&
			    tcp_pep_out_of_fds(pep, errno))
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				FI_WARN_SPARSE(&tcp_prov, FI_LOG_EP_CTRL,
					       "accept: %s\n", strerror(errno));
			return;
		}
		conn = calloc(1, sizeof(*conn));
		if (!conn || tcp_socket_setup(sock, pep->family) ||
		    tcp_epoll_add(pep->epfd, sock, EPOLLIN)) {
			FI_WARN(&tcp_prov, FI_LOG_EP_CTRL,
				"cannot take an incoming connection\n");
			free(conn);
			close(sock);
			continue;
		}
		conn->fid.fclass = FI_CLASS_CONNREQ;
		conn->fid.ops = &tcp_conn_fi_ops;
		conn->sock = sock;
		conn->deadline_ms = tcp_now_ms() +
				    (uint64_t)tcp_params.handshake_ms;
		memcpy(&conn->peer, &peer, sizeof(peer));
		weft_list_push_back(&pep->pending, &conn->link);
	}
}

static void tcp_pep_progress(struct weft_ep *hook)
{
	struct tcp_pep *pep = weft_container_of(hook, struct tcp_pep, hook);
	struct weft_list *e, *next;

	pthread_mutex_lock(&pep->lock);
	if (pep->listening && pep->eq) {
		uint64_t now;

		tcp_pep_accept_all(pep);
		for (e = pep->pending.next; e != &pep->pending; e = next) {
			next = e->next;
			tcp_pep_read_req(pep, weft_container_of(
						      e, struct tcp_conn, link));
		}
		/* Sockets that never finish their request: oldest first,
		 * so stop at the first one still in time. */
		now = tcp_now_ms();
		while (!weft_list_empty(&pep->pending)) {
			struct tcp_conn *conn = weft_container_of(
				pep->pending.next, struct tcp_conn, link);

			if (conn->deadline_ms > now)
				break;
			tcp_pep_log_foreign(pep, conn,
					    "no connection request in time");
			tcp_pep_drop(pep, conn);
		}
	}
	pthread_mutex_unlock(&pep->lock);
}

/* ---- fid ops ---------------------------------------------------------- */

static int tcp_pep_close(struct fid *fid)
{
	struct tcp_pep *pep = tcp_pep_of_fid(fid);
	struct weft_list *e;

	/* Out of the EQ's progress set first: no progress call can run on
	 * this object once that returns. */
	if (pep->eq)
		weft_eq_remove_ep(pep->eq, &pep->hook);
	while ((e = weft_list_pop_front(&pep->pending)))
		tcp_conn_free(weft_container_of(e, struct tcp_conn, link));
	if (pep->sock >= 0)
		close(pep->sock);
	if (pep->reserve_fd >= 0)
		close(pep->reserve_fd);
	close(pep->epfd);
	fi_freeinfo(pep->info);
	pthread_mutex_destroy(&pep->lock);
	atomic_fetch_sub(&pep->fabric->ref, 1);
	free(pep);
	return 0;
}

static int tcp_pep_bind(struct fid *fid, struct fid *bfid, uint64_t flags)
{
	struct tcp_pep *pep = tcp_pep_of_fid(fid);
	struct weft_eq *eq;
	int ret;

	if (!bfid || bfid->fclass != FI_CLASS_EQ || flags)
		return -FI_EINVAL;
	eq = weft_eq_of(weft_container_of(bfid, struct fid_eq, fid));
	if (eq->fabric != pep->fabric)
		return -FI_EINVAL;
	pthread_mutex_lock(&pep->lock);
	if (pep->eq) {
		pthread_mutex_unlock(&pep->lock);
		return -FI_EINVAL;
	}
	pthread_mutex_unlock(&pep->lock);
	/* Not under pep->lock: the progress set lock is taken outside it. */
	ret = weft_eq_add_ep(eq, &pep->hook);
	if (ret)
		return ret;
	pthread_mutex_lock(&pep->lock);
	pep->eq = eq;
	pthread_mutex_unlock(&pep->lock);
	return 0;
}

static int tcp_pep_control(struct fid *fid, int command, void *arg)
{
	struct tcp_pep *pep = tcp_pep_of_fid(fid);

	switch (command) {
	case FI_GETWAIT:
		if (!arg)
			return -FI_EINVAL;
		*(int *)arg = pep->epfd;
		return 0;
	default:
		return -FI_ENOSYS;
	}
}

static struct fi_ops tcp_pep_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = tcp_pep_close,
	.bind = tcp_pep_bind,
	.control = tcp_pep_control,
	.ops_open = weft_fid_ops_open_none,
	.tostr = weft_fid_tostr_none,
	.ops_set = weft_fid_ops_set_none,
};

static int tcp_pep_getopt(fid_t fid, int level, int optname, void *optval,
			  size_t *optlen)
{
	if (level != FI_OPT_ENDPOINT)
		return -FI_ENOPROTOOPT;
	if (optname != FI_OPT_CM_DATA_SIZE)
		return -FI_ENOPROTOOPT;
	if (!optlen)
		return -FI_EINVAL;
	if (!optval || *optlen < sizeof(size_t)) {
		*optlen = sizeof(size_t);
		return -FI_ETOOSMALL;
	}
	*(size_t *)optval = TCP_CM_DATA_MAX;
	*optlen = sizeof(size_t);
	return 0;
}

static int tcp_pep_setopt(fid_t fid, int level, int optname,
			  const void *optval, size_t optlen)
{
	return -FI_ENOPROTOOPT;
}

static struct fi_ops_ep tcp_pep_ops = {
	.size = sizeof(struct fi_ops_ep),
	.cancel = weft_ep_cancel_none,
	.getopt = tcp_pep_getopt,
	.setopt = tcp_pep_setopt,
	.tx_ctx = weft_ep_tx_ctx_none,
	.rx_ctx = weft_ep_rx_ctx_none,
	.rx_size_left = weft_ep_size_left_none,
	.tx_size_left = weft_ep_size_left_none,
};

/* ---- fi_ops_cm -------------------------------------------------------- */

static int tcp_pep_setname(fid_t fid, void *addr, size_t addrlen)
{
	struct tcp_pep *pep = tcp_pep_of_fid(fid);
	const struct sockaddr *sa = addr;
	int ret = 0;

	if (!addr || addrlen < tcp_addrlen(pep->family) ||
	    sa->sa_family != pep->family)
		return -FI_EINVAL;
	pthread_mutex_lock(&pep->lock);
	if (pep->listening)
		ret = -FI_EOPBADSTATE;
	else
		memcpy(&pep->addr, addr, tcp_addrlen(pep->family));
	pthread_mutex_unlock(&pep->lock);
	return ret;
}

static bool tcp_addr_is_wildcard(const union tcp_sockaddr *a)
{
	if (a->sa.sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&a->sin6.sin6_addr);
	return a->sin.sin_addr.s_addr == htonl(INADDR_ANY);
}

/* A listener bound to the wildcard accepts on every interface, but its
 * name goes to peers (fi_getname, then out of band), for whom "0.0.0.0"
 * means their own host. Name it by the first interface that is up and not
 * loopback (IPv6: not link-local either), as a peer on another host needs;
 * a host without one keeps the wildcard, which reaches this host. Shared
 * with RDM endpoints' listeners. */
void tcp_public_name(const union tcp_sockaddr *bound, union tcp_sockaddr *out)
{
	int family = bound->sa.sa_family;
	struct ifaddrs *list, *ifa;

	memcpy(out, bound, sizeof(*out));
	if (!tcp_addr_is_wildcard(bound) || getifaddrs(&list))
		return;
	for (ifa = list; ifa; ifa = ifa->ifa_next) {
		if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != family ||
		    !(ifa->ifa_flags & IFF_UP) ||
		    (ifa->ifa_flags & IFF_LOOPBACK))
			continue;
		if (family == AF_INET6) {
			const struct sockaddr_in6 *a6 =
				(const struct sockaddr_in6 *)ifa->ifa_addr;

			if (IN6_IS_ADDR_LINKLOCAL(&a6->sin6_addr))
				continue;
			out->sin6.sin6_addr = a6->sin6_addr;
		} else {
			out->sin.sin_addr =
				((const struct sockaddr_in *)ifa->ifa_addr)
					->sin_addr;
		}
		break;
	}
	freeifaddrs(list);
}

static int tcp_pep_getname(fid_t fid, void *addr, size_t *addrlen)
{
	struct tcp_pep *pep = tcp_pep_of_fid(fid);
	size_t len = tcp_addrlen(pep->family);
	union tcp_sockaddr name;
	int ret = 0;

	if (!addrlen)
		return -FI_EINVAL;
	pthread_mutex_lock(&pep->lock);
	if (!addr || *addrlen < len) {
		ret = -FI_ETOOSMALL;
	} else {
		tcp_public_name(&pep->addr, &name);
		memcpy(addr, &name, len);
	}
	pthread_mutex_unlock(&pep->lock);
	*addrlen = len;
	return ret;
}

static int tcp_pep_listen(struct fid_pep *pep_fid)
{
	struct tcp_pep *pep = tcp_pep_of_fid(&pep_fid->fid);
	union tcp_sockaddr bound;
	socklen_t len = sizeof(bound);
	int one = 1, sock, ret;

	pthread_mutex_lock(&pep->lock);
	if (pep->listening) {
		ret = -FI_EOPBADSTATE;
		goto out;
	}
	if (!pep->eq) {
		ret = -FI_ENOEQ;
		goto out;
	}
	sock = socket(pep->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		      0);
	if (sock < 0) {
		ret = tcp_errno_to_fi(errno);
		goto out;
	}
	setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (pep->family == AF_INET6)
		setsockopt(sock, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(sock, &pep->addr.sa, tcp_addrlen(pep->family)) ||
	    listen(sock, tcp_params.backlog) ||
	    getsockname(sock, &bound.sa, &len)) {
		ret = tcp_errno_to_fi(errno);
		FI_WARN(&tcp_prov, FI_LOG_EP_CTRL, "listen: %s\n",
			strerror(errno));
		close(sock);
		goto out;
	}
	ret = tcp_epoll_add(pep->epfd, sock, EPOLLIN);
	if (ret) {
		close(sock);
		goto out;
	}
	memcpy(&pep->addr, &bound, tcp_addrlen(pep->family));
	pep->sock = sock;
	pep->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pep->listening = true;
out:
	pthread_mutex_unlock(&pep->lock);
	return ret;
}

static int tcp_pep_reject(struct fid_pep *pep_fid, fid_t handle,
			  const void *param, size_t paramlen)
{
	struct tcp_conn *conn;
	struct {
		struct tcp_cm_hdr hdr;
		uint8_t data[TCP_CM_DATA_MAX];
	} msg;

	if (!pep_fid || !handle || handle->fclass != FI_CLASS_CONNREQ ||
	    paramlen > TCP_CM_DATA_MAX || (paramlen && !param))
		return -FI_EINVAL;
	conn = weft_container_of(handle, struct tcp_conn, fid);
	if (conn->sock < 0)
		return -FI_EINVAL; /* already taken by an endpoint */
	tcp_cm_hdr_init(&msg.hdr, TCP_CM_REJECT, (uint16_t)paramlen);
	if (paramlen)
		memcpy(msg.data, param, paramlen);
	/* A fresh socket's send buffer takes these few bytes at once; if
	 * the peer is gone already there is nobody left to tell. */
	if (send(conn->sock, &msg, sizeof(msg.hdr) + paramlen,
		 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		FI_INFO(&tcp_prov, FI_LOG_EP_CTRL, "reject: %s\n",
			strerror(errno));
	tcp_conn_free(conn);
	return 0;
}

static int tcp_pep_connect_none(struct fid_ep *ep, const void *addr,
				const void *param, size_t paramlen)
{
	return -FI_ENOSYS;
}

static int tcp_pep_accept_none(struct fid_ep *ep, const void *param,
			       size_t paramlen)
{
	return -FI_ENOSYS;
}

static int tcp_pep_getpeer_none(struct fid_ep *ep, void *addr,
				size_t *addrlen)
{
	return -FI_ENOSYS;
}

static int tcp_pep_shutdown_none(struct fid_ep *ep, uint64_t flags)
{
	return -FI_ENOSYS;
}

static int tcp_pep_join_none(struct fid_ep *ep, const void *addr,
			     uint64_t flags, struct fid_mc **mc, void *context)
{
	return -FI_ENOSYS;
}

static struct fi_ops_cm tcp_pep_cm_ops = {
	.size = sizeof(struct fi_ops_cm),
	.setname = tcp_pep_setname,
	.getname = tcp_pep_getname,
	.getpeer = tcp_pep_getpeer_none,
	.connect = tcp_pep_connect_none,
	.listen = tcp_pep_listen,
	.accept = tcp_pep_accept_none,
	.reject = tcp_pep_reject,
	.shutdown = tcp_pep_shutdown_none,
	.join = tcp_pep_join_none,
};

int tcp_passive_ep(struct fid_fabric *fabric, struct fi_info *info,
		   struct fid_pep **pep_fid, void *context)
{
	struct tcp_pep *pep;
	int family;

	if (!fabric || !info || !pep_fid)
		return -FI_EINVAL;
	if (info->ep_attr && info->ep_attr->type != FI_EP_MSG &&
	    info->ep_attr->type != FI_EP_UNSPEC)
		return -FI_EINVAL;
	family = tcp_info_family(info);
	if (family < 0)
		return -FI_EINVAL;
	pep = calloc(1, sizeof(*pep));
	if (!pep)
		return -FI_ENOMEM;
	pep->info = fi_dupinfo(info);
	pep->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!pep->info || pep->epfd < 0) {
		if (pep->epfd >= 0)
			close(pep->epfd);
		fi_freeinfo(pep->info);
		free(pep);
		return -FI_ENOMEM;
	}
	/* The CONNREQ infos are built from this copy: drop what belongs to
	 * the listener only. */
	pep->info->handle = NULL;
	pthread_mutex_init(&pep->lock, NULL);
	weft_list_init(&pep->pending);
	pep->sock = -1;
	pep->reserve_fd = -1;
	pep->family = family;
	pep->addr.sa.sa_family = (sa_family_t)family;
	if (info->src_addr && info->src_addrlen >= tcp_addrlen(family) &&
	    ((const struct sockaddr *)info->src_addr)->sa_family == family)
		memcpy(&pep->addr, info->src_addr, tcp_addrlen(family));
	pep->fabric = weft_fabric_of(fabric);
	pep->hook.progress = tcp_pep_progress;
	pep->hook.wait_fd = pep->epfd;
	pep->pep_fid.fid.fclass = FI_CLASS_PEP;
	pep->pep_fid.fid.context = context;
	pep->pep_fid.fid.ops = &tcp_pep_fi_ops;
	pep->pep_fid.ops = &tcp_pep_ops;
	pep->pep_fid.cm = &tcp_pep_cm_ops;
	atomic_fetch_add(&pep->fabric->ref, 1);
	*pep_fid = &pep->pep_fid;
	return 0;
}
