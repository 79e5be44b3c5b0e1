/* Connection management of active endpoints: fi_connect, fi_accept,
 * fi_shutdown, names, and the handshake's progress on the connecting
 * side. Also the socket helpers the provider shares.
 *
 * The connecting side moves CONNECTING (connect(2) in flight) ->
 * REQ_SENDING (writing TCP_CM_REQ + data) -> REQ_SENT (reading the answer)
 * -> CONNECTED, or DOWN with an EQ error (refused by the kernel, rejected
 * by the application with its data, or not a weft peer). The accepting
 * side is opened ACCEPTING from a FI_CONNREQ and becomes CONNECTED when
 * fi_accept has written TCP_CM_ACCEPT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "tcp.h"


/* ---- socket helpers ---------------------------------------------------- */

uint64_t tcp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int tcp_socket_setup(int sock, int family)
{
	int one = 1;

	(void)family;
	if (tcp_params.nodelay &&
	    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		return tcp_errno_to_fi(errno);
	return 0;
}

int tcp_epoll_add(int epfd, int sock, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = sock };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, sock, &ev))
		return tcp_errno_to_fi(errno);
	return 0;
}

int tcp_epoll_mod(int epfd, int sock, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = sock };

	if (epoll_ctl(epfd, EPOLL_CTL_MOD, sock, &ev))
		return tcp_errno_to_fi(errno);
	return 0;
}

void tcp_epoll_del(int epfd, int sock)
{
	if (sock >= 0)
		epoll_ctl(epfd, EPOLL_CTL_DEL, sock, NULL);
}

int tcp_info_family(const struct fi_info *info)
{
	const struct sockaddr *sa = NULL;

	if (info->src_addr && info->src_addrlen >= sizeof(struct sockaddr_in))
		sa = info->src_addr;
	else if (info->dest_addr &&
		 info->dest_addrlen >= sizeof(struct sockaddr_in))
		sa = info->dest_addr;
	if (sa)
		return sa->sa_family == AF_INET6  ? AF_INET6
		       : sa->sa_family == AF_INET ? AF_INET
						  : -1;
	switch (info->addr_format) {
	case FI_SOCKADDR_IN6:
		return AF_INET6;
	case FI_SOCKADDR_IN:
	case FI_SOCKADDR:
	case FI_FORMAT_UNSPEC:
		return AF_INET;
	default:
		return -1;
	}
}

int tcp_ep_set_pollout(struct tcp_ep *ep, bool on)
{
	int ret;

	if (ep->pollout == on || ep->sock < 0)
		return 0;
	ret = tcp_epoll_mod(ep->epfd, ep->sock,
			    EPOLLIN | (on ? EPOLLOUT : 0));
	if (!ret)
		ep->pollout = on;
	return ret;
}

/* ---- events ------------------------------------------------------------ */

static void tcp_ep_event(struct tcp_ep *ep, uint32_t event, const void *data,
			 size_t len)
{
	struct {
		struct fi_eq_cm_entry e;
		uint8_t data[TCP_CM_DATA_MAX];
	} ev;

	if (!ep->util.eq)
		return;
	memset(&ev.e, 0, sizeof(ev.e));
	ev.e.fid = &ep->util.ep_fid.fid;
	if (len)
		memcpy(ev.data, data, len);
	if (weft_eq_write_event(ep->util.eq, event, &ev, sizeof(ev.e) + len,
				0))
		FI_WARN(&tcp_prov, FI_LOG_EP_CTRL,
			"out of memory: connection event lost\n");
}

/* The handshake failed: err goes to the EQ (with the peer's data for a
 * rejection), the socket is closed. */
static void tcp_ep_cm_fail(struct tcp_ep *ep, int err, const void *data,
			   size_t len)
{
	ep->state = TCP_EP_DOWN;
	ep->shutdown_reported = true; /* never connected: no FI_SHUTDOWN */
	tcp_epoll_del(ep->epfd, ep->sock);
	close(ep->sock);
	ep->sock = -1;
	ep->pollout = false;
	if (ep->util.eq &&
	    weft_eq_write_error(ep->util.eq, &ep->util.ep_fid.fid,
				ep->util.ep_fid.fid.context, 0, err, err, data,
				len))
		FI_WARN(&tcp_prov, FI_LOG_EP_CTRL,
			"out of memory: connection error lost\n");
}

void tcp_ep_down(struct tcp_ep *ep, int err)
{
	if (ep->state == TCP_EP_DOWN)
		return;
	ep->state = TCP_EP_DOWN;
	if (ep->sock >= 0) {
		tcp_epoll_del(ep->epfd, ep->sock);
		shutdown(ep->sock, SHUT_RDWR);
	}
	ep->pollout = false;
	tcp_ep_flush(ep, err ? err : FI_ECANCELED);
	if (!ep->shutdown_reported) {
		ep->shutdown_reported = true;
		tcp_ep_event(ep, FI_SHUTDOWN, NULL, 0);
	}
}

/* ---- connecting side's progress --------------------------------------- */

static void tcp_ep_connected(struct tcp_ep *ep, const void *data, size_t len)
{
	union tcp_sockaddr local;
	socklen_t alen = sizeof(local);

	if (getsockname(ep->sock, &local.sa, &alen) == 0) {
		memcpy(&ep->addr, &local, tcp_addrlen(ep->family));
		ep->have_addr = true;
	}
	ep->state = TCP_EP_CONNECTED;
	tcp_ep_event(ep, FI_CONNECTED, data, len);
}

void tcp_ep_cm_progress(struct tcp_ep *ep)
{
	struct pollfd pfd;
	socklen_t len;
	ssize_t n;
	int err;

	if (ep->state == TCP_EP_CONNECTING) {
		pfd.fd = ep->sock;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) <= 0)
			return;
		err = 0;
		len = sizeof(err);
		if (getsockopt(ep->sock, SOL_SOCKET, SO_ERROR, &err, &len))
			err = errno;
		if (err) {
			tcp_ep_cm_fail(ep, err, NULL, 0);
			return;
		}
		ep->state = TCP_EP_REQ_SENDING;
	}
	if (ep->state == TCP_EP_REQ_SENDING) {
		while (ep->cm_done < ep->cm_len) {
			bool in_hdr = ep->cm_done < sizeof(ep->cm_hdr);
			const uint8_t *p =
				in_hdr ? (const uint8_t *)&ep->cm_hdr + ep->cm_done
				       : ep->cm_data +
						 (ep->cm_done - sizeof(ep->cm_hdr));
			size_t left = in_hdr ? sizeof(ep->cm_hdr) - ep->cm_done
					     : ep->cm_len - ep->cm_done;

			n = send(ep->sock, p, left, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return;
				tcp_ep_cm_fail(ep, errno, NULL, 0);
				return;
			}
			ep->cm_done += (size_t)n;
		}
		ep->state = TCP_EP_REQ_SENT;
		ep->cm_done = 0;
		ep->cm_len = sizeof(ep->cm_hdr);
		tcp_ep_set_pollout(ep, false);
	}
	if (ep->state != TCP_EP_REQ_SENT)
		return;
	/* Read the answer: header, then its data. cm_len is what we expect
	 * in total so far. */
	while (ep->cm_done < ep->cm_len) {
		uint8_t *p = ep->cm_done < sizeof(ep->cm_hdr)
				     ? (uint8_t *)&ep->cm_hdr + ep->cm_done
				     : ep->cm_data +
					       (ep->cm_done - sizeof(ep->cm_hdr));
		size_t want = ep->cm_done < sizeof(ep->cm_hdr)
				      ? sizeof(ep->cm_hdr) - ep->cm_done
				      : ep->cm_len - ep->cm_done;

		n = recv(ep->sock, p, want, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			tcp_ep_cm_fail(ep, errno, NULL, 0);
			return;
		}
		if (n == 0) {
			tcp_ep_cm_fail(ep, FI_ECONNREFUSED, NULL, 0);
			return;
		}
		ep->cm_done += (size_t)n;
		if (ep->cm_done == sizeof(ep->cm_hdr)) {
			if (!tcp_cm_hdr_valid(&ep->cm_hdr, 0)) {
				FI_WARN(&tcp_prov, FI_LOG_EP_CTRL,
					"peer answered with something that is "
					"not a weft tcp handshake: closing\n");
				tcp_ep_cm_fail(ep, FI_EIO, NULL, 0);
				return;
			}
			ep->cm_len += le16toh(ep->cm_hdr.cm_len);
		}
	}
	len = (socklen_t)(ep->cm_len - sizeof(ep->cm_hdr));
	if (ep->cm_hdr.op == TCP_CM_REJECT) {
		tcp_ep_cm_fail(ep, FI_ECONNREFUSED, ep->cm_data, len);
		return;
	}
	tcp_ep_connected(ep, ep->cm_data, len);
}

/* ---- fi_ops_cm --------------------------------------------------------- */

static int tcp_ep_connect(struct fid_ep *ep_fid, const void *addr,
			  const void *param, size_t paramlen)
{
	struct tcp_ep *ep = tcp_ep_of(ep_fid);
	const struct sockaddr *sa = addr;
	int sock, ret;

	if (!addr || paramlen > TCP_CM_DATA_MAX || (paramlen && !param) ||
	    sa->sa_family != ep->family)
		return -FI_EINVAL;
	if (!ep->util.eq)
		return -FI_ENOEQ;
	if (!ep->util.enabled) {
		ret = tcp_ep_enable(ep);
		if (ret)
			return ret;
	}
	weft_lock_acquire(&ep->util.lock);
	if (ep->state != TCP_EP_IDLE) {
		ret = -FI_EOPBADSTATE;
		goto out;
	}
	sock = socket(ep->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		      0);
	if (sock < 0) {
		ret = tcp_errno_to_fi(errno);
		goto out;
	}
	ret = tcp_socket_setup(sock, ep->family);
	if (!ret && ep->have_addr) {
		/* A source address with port 0: let connect(2) pick the
		 * port, unique per destination, instead of bind reserving
		 * one of the ~28k ephemeral ports for good. */
		int one = 1;
		in_port_t port = ep->family == AF_INET6
					 ? ep->addr.sin6.sin6_port
					 : ep->addr.sin.sin_port;

		if (!port)
			setsockopt(sock, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT,
				   &one, sizeof(one));
		if (bind(sock, &ep->addr.sa, tcp_addrlen(ep->family)))
			ret = tcp_errno_to_fi(errno);
	}
	if (!ret)
		ret = tcp_epoll_add(ep->epfd, sock, EPOLLIN | EPOLLOUT);
	if (ret) {
		close(sock);
		goto out;
	}
	ep->sock = sock;
	ep->pollout = true;
	memcpy(&ep->peer, addr, tcp_addrlen(ep->family));
	ep->have_peer = true;
	tcp_cm_hdr_init(&ep->cm_hdr, TCP_CM_REQ, (uint16_t)paramlen);
	if (paramlen)
		memcpy(ep->cm_data, param, paramlen);
	ep->cm_len = sizeof(ep->cm_hdr) + paramlen;
	ep->cm_done = 0;
	ep->state = TCP_EP_CONNECTING;
	if (connect(sock, &ep->peer.sa, tcp_addrlen(ep->family)) &&
	    errno != EINPROGRESS) {
		/* Refused or unreachable at once: reported like a late
		 * failure, through the EQ. */
		tcp_ep_cm_fail(ep, errno, NULL, 0);
	}
	ret = 0;
out:
	weft_lock_release(&ep->util.lock);
	return ret;
}

static int tcp_ep_accept(struct fid_ep *ep_fid, const void *param,
			 size_t paramlen)
{
	struct tcp_ep *ep = tcp_ep_of(ep_fid);
	struct {
		struct tcp_cm_hdr hdr;
		uint8_t data[TCP_CM_DATA_MAX];
	} msg;
	size_t done = 0, total;
	int ret = 0;

	if (paramlen > TCP_CM_DATA_MAX || (paramlen && !param))
		return -FI_EINVAL;
	if (!ep->util.eq)
		return -FI_ENOEQ;
	if (!ep->util.enabled) {
		ret = tcp_ep_enable(ep);
		if (ret)
			return ret;
	}
	weft_lock_acquire(&ep->util.lock);
	if (ep->state != TCP_EP_ACCEPTING) {
		ret = -FI_EOPBADSTATE;
		goto out;
	}
	tcp_cm_hdr_init(&msg.hdr, TCP_CM_ACCEPT, (uint16_t)paramlen);
	if (paramlen)
		memcpy(msg.data, param, paramlen);
	total = sizeof(msg.hdr) + paramlen;
	/* A fresh connection's send buffer holds these few hundred bytes;
	 * the wait is only there for a pathological socket buffer. */
	while (done < total) {
		ssize_t n = send(ep->sock, (uint8_t *)&msg + done,
				 total - done, MSG_NOSIGNAL);
		if (n < 0) {
			struct pollfd pfd = { .fd = ep->sock, .events = POLLOUT };

			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
			    poll(&pfd, 1, 1000) > 0)
				continue;
			ret = tcp_errno_to_fi(errno == EAGAIN ? ETIMEDOUT
							      : errno);
			goto out;
		}
		done += (size_t)n;
	}
	ret = tcp_epoll_add(ep->epfd, ep->sock, EPOLLIN);
	if (ret)
		goto out;
	ep->state = TCP_EP_CONNECTED;
	tcp_ep_event(ep, FI_CONNECTED, NULL, 0);
out:
	weft_lock_release(&ep->util.lock);
	return ret;
}

static int tcp_ep_shutdown(struct fid_ep *ep_fid, uint64_t flags)
{
	struct tcp_ep *ep = tcp_ep_of(ep_fid);
	int ret = 0;

	if (flags)
		return -FI_EBADFLAGS;
	weft_lock_acquire(&ep->util.lock);
	if (ep->state == TCP_EP_IDLE || ep->state == TCP_EP_ACCEPTING)
		ret = -FI_EOPBADSTATE;
	else
		tcp_ep_down(ep, 0);
	weft_lock_release(&ep->util.lock);
	return ret;
}

static int tcp_ep_setname(fid_t fid, void *addr, size_t addrlen)
{
	struct tcp_ep *ep = tcp_ep_of_fid(fid);
	const struct sockaddr *sa = addr;
	int ret = 0;

	if (!addr || addrlen < tcp_addrlen(ep->family) ||
	    sa->sa_family != ep->family)
		return -FI_EINVAL;
	weft_lock_acquire(&ep->util.lock);
	if (ep->state != TCP_EP_IDLE) {
		ret = -FI_EOPBADSTATE;
	} else {
		memcpy(&ep->addr, addr, tcp_addrlen(ep->family));
		ep->have_addr = true;
	}
	weft_lock_release(&ep->util.lock);
	return ret;
}

static int tcp_ep_getname(fid_t fid, void *addr, size_t *addrlen)
{
	struct tcp_ep *ep = tcp_ep_of_fid(fid);
	size_t len = tcp_addrlen(ep->family);
	union tcp_sockaddr a;
	socklen_t slen = sizeof(a);
	int ret = 0;

	if (!addrlen)
		return -FI_EINVAL;
	weft_lock_acquire(&ep->util.lock);
	if (ep->sock >= 0 && getsockname(ep->sock, &a.sa, &slen) == 0 &&
	    a.sa.sa_family == ep->family) {
		memcpy(&ep->addr, &a, len);
		ep->have_addr = true;
	}
	if (!addr || *addrlen < len)
		ret = -FI_ETOOSMALL;
	else
		memcpy(addr, &ep->addr, len);
	weft_lock_release(&ep->util.lock);
	*addrlen = len;
	return ret;
}

static int tcp_ep_getpeer(struct fid_ep *ep_fid, void *addr, size_t *addrlen)
{
	struct tcp_ep *ep = tcp_ep_of(ep_fid);
	size_t len = tcp_addrlen(ep->family);
	int ret = 0;

	if (!addrlen)
		return -FI_EINVAL;
	weft_lock_acquire(&ep->util.lock);
	if (!ep->have_peer)
		ret = -FI_ENOTCONN;
	else if (!addr || *addrlen < len)
		ret = -FI_ETOOSMALL;
	else
		memcpy(addr, &ep->peer, len);
	weft_lock_release(&ep->util.lock);
	if (ret != -FI_ENOTCONN)
		*addrlen = len;
	return ret;
}

static int tcp_ep_listen_none(struct fid_pep *pep)
{
	return -FI_ENOSYS;
}

static int tcp_ep_reject_none(struct fid_pep *pep, fid_t handle,
			      const void *param, size_t paramlen)
{
	return -FI_ENOSYS;
}

static int tcp_ep_join_none(struct fid_ep *ep, const void *addr,
			    uint64_t flags, struct fid_mc **mc, void *context)
{
	return -FI_ENOSYS;
}

struct fi_ops_cm tcp_ep_cm_ops = {
	.size = sizeof(struct fi_ops_cm),
	.setname = tcp_ep_setname,
	.getname = tcp_ep_getname,
	.getpeer = tcp_ep_getpeer,
	.connect = tcp_ep_connect,
	.listen = tcp_ep_listen_none,
	.accept = tcp_ep_accept,
	.reject = tcp_ep_reject_none,
	.shutdown = tcp_ep_shutdown,
	.join = tcp_ep_join_none,
};
