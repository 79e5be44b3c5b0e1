/* FI_EP_RDM connection management: peers, connections on demand, the
 * handshake in both directions, simultaneous connects, restarts, and
 * failures.
 *
 * Outgoing: CONNECTING (nonblocking connect(2)) -> REQ_SENT (our
 * TCP_CM_RDM_REQ written, reading the answer) -> UP. Incoming: the
 * listener accepts, ACCEPTING (reading the REQ) -> UP or rejected.
 *
 * Deciding an incoming REQ from peer P (listening address X, incarnation
 * I) at this endpoint (listening address M):
 * - P's incarnation changed: P restarted; whatever we had with the old P
 *   fails (FI_ECONNRESET) and the new connection is accepted.
 * - No connection to P: accept.
 * - Our own outgoing connection to P, not up yet: the lower address's
 *   connection wins. M < X: reject P's (P accepts ours); M > X: accept
 *   P's and close ours (P rejects it anyway); sends queued on the peer go
 *   out on whichever wins.
 * - A connection to P that is up: if we made it and M < X, it is the
 *   winner of a race P has not seen the end of yet: reject. Otherwise P
 *   only connects again because it lost the old one: replace it.
 * Both sides compare the same two advertised addresses, so they agree.
 *
 * All under util.lock.
 */
#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "tcp_rdm.h"

#define TCP_RDM_HS_LEN (sizeof(struct tcp_cm_hdr) + sizeof(struct tcp_rdm_cm))

/* ---- peers ------------------------------------------------------------ */

static size_t tcp_rdm_addr_canon(const union tcp_sockaddr *a, uint8_t out[20])
{
	memset(out, 0, 20);
	if (a->sa.sa_family == AF_INET6) {
		memcpy(out, &a->sin6.sin6_port, 2);
		memcpy(out + 2, &a->sin6.sin6_addr, 16);
		return 18;
	}
	memcpy(out, &a->sin.sin_port, 2);
	memcpy(out + 2, &a->sin.sin_addr, 4);
	return 6;
}

static bool tcp_rdm_addr_eq(const union tcp_sockaddr *a,
			    const union tcp_sockaddr *b)
{
	uint8_t ca[20], cb[20];

	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	tcp_rdm_addr_canon(a, ca);
	tcp_rdm_addr_canon(b, cb);
	return memcmp(ca, cb, 20) == 0;
}

/* Total order on listening addresses: address bytes, then port. */
static int tcp_rdm_addr_cmp(const union tcp_sockaddr *a,
			    const union tcp_sockaddr *b)
{
	uint8_t ca[20], cb[20];
	int r;

	tcp_rdm_addr_canon(a, ca);
	tcp_rdm_addr_canon(b, cb);
	r = memcmp(ca + 2, cb + 2, 16);
	if (r)
		return r;
	return memcmp(ca, cb, 2);
}

static uint64_t tcp_rdm_addr_hash(const union tcp_sockaddr *a)
{
	uint8_t c[20];

	tcp_rdm_addr_canon(a, c);
	return weft_hash_bytes(c, 20);
}

static struct tcp_rdm_peer *tcp_rdm_peer_find(struct tcp_rdm_ep *ep,
					      const union tcp_sockaddr *a)
{
	uint64_t key = tcp_rdm_addr_hash(a), v;
	size_t cur = 0;

	while (weft_hash_next(&ep->peer_index, key, &cur, &v)) {
		struct tcp_rdm_peer *p = (struct tcp_rdm_peer *)(uintptr_t)v;

		if (tcp_rdm_addr_eq(&p->addr, a))
			return p;
	}
	return NULL;
}

static struct tcp_rdm_peer *tcp_rdm_peer_new(struct tcp_rdm_ep *ep,
					     const union tcp_sockaddr *a)
{
	struct tcp_rdm_peer *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	memcpy(&p->addr, a, tcp_addrlen(a->sa.sa_family));
	p->key = tcp_rdm_addr_hash(a);
	p->fi_addr = FI_ADDR_NOTAVAIL;
	weft_list_init(&p->txq);
	if (weft_hash_insert(&ep->peer_index, p->key, (uintptr_t)p)) {
		free(p);
		return NULL;
	}
	weft_list_push_back(&ep->peers, &p->link);
	return p;
}

struct tcp_rdm_peer *tcp_rdm_peer_get(struct tcp_rdm_ep *ep, fi_addr_t dest,
				      int *err)
{
	const union tcp_sockaddr *a;
	struct tcp_rdm_peer *p;
	size_t len;

	if (!ep->util.av) {
		*err = -FI_ENOAV;
		return NULL;
	}
	a = weft_av_addr_len(ep->util.av, dest, &len);
	if (!a || len < tcp_addrlen(ep->family) ||
	    a->sa.sa_family != ep->family) {
		*err = -FI_EINVAL;
		return NULL;
	}
	dest &= ep->util.av->index_mask;
	/* The cache is checked against the AV's bytes: a slot that was
	 * removed and reused names another peer. */
	if (dest < ep->by_addr_len && ep->by_addr[dest] &&
	    tcp_rdm_addr_eq(&ep->by_addr[dest]->addr, a))
		return ep->by_addr[dest];
	p = tcp_rdm_peer_find(ep, a);
	if (!p)
		p = tcp_rdm_peer_new(ep, a);
	if (!p) {
		*err = -FI_ENOMEM;
		return NULL;
	}
	if (dest >= ep->by_addr_len) {
		size_t n = ep->by_addr_len ? ep->by_addr_len : 64;
		struct tcp_rdm_peer **t;

		while (n <= dest)
			n *= 2;
		t = realloc(ep->by_addr, n * sizeof(*t));
		if (!t) {
			*err = -FI_ENOMEM;
			return NULL;
		}
		memset(t + ep->by_addr_len, 0,
		       (n - ep->by_addr_len) * sizeof(*t));
		ep->by_addr = t;
		ep->by_addr_len = n;
	}
	ep->by_addr[dest] = p;
	p->fi_addr = dest;
	return p;
}

fi_addr_t tcp_rdm_peer_src(struct tcp_rdm_ep *ep, struct tcp_rdm_peer *p)
{
	if (!p)
		return FI_ADDR_NOTAVAIL;
	/* A peer that connected before the application inserted it: look
	 * it up again (it may have been inserted since). */
	if (p->fi_addr == FI_ADDR_NOTAVAIL && ep->util.av)
		p->fi_addr = weft_av_reverse(ep->util.av, &p->addr,
					     tcp_addrlen(p->addr.sa.sa_family));
	if (p->fi_addr == FI_ADDR_NOTAVAIL)
		return FI_ADDR_NOTAVAIL;
	return weft_av_report_addr(ep->util.av, p->fi_addr);
}

/* ---- connections ------------------------------------------------------- */

int tcp_rdm_conn_pollout(struct tcp_rdm_conn *c, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0),
				  .data.ptr = c };

	if (c->pollout == on)
		return 0;
	if (epoll_ctl(c->ep->epfd, EPOLL_CTL_MOD, c->sock, &ev))
		return tcp_errno_to_fi(errno);
	c->pollout = on;
	return 0;
}

static struct tcp_rdm_conn *tcp_rdm_conn_new(struct tcp_rdm_ep *ep, int sock,
					     enum tcp_rdm_conn_state state)
{
	struct tcp_rdm_conn *c = calloc(1, sizeof(*c));
	struct epoll_event ev = { .data.ptr = NULL };

	if (!c)
		return NULL;
	c->stage = malloc(TCP_RDM_STAGE_SIZE);
	if (!c->stage) {
		free(c);
		return NULL;
	}
	c->ep = ep;
	c->sock = sock;
	c->state = state;
	weft_list_init(&c->rma_pending);
	ev.data.ptr = c;
	ev.events = EPOLLIN | (state == TCP_RDM_CONNECTING ? EPOLLOUT : 0);
	c->pollout = state == TCP_RDM_CONNECTING;
	if (epoll_ctl(ep->epfd, EPOLL_CTL_ADD, sock, &ev)) {
		free(c->stage);
		free(c);
		return NULL;
	}
	weft_list_push_back(&ep->conns, &c->link);
	return c;
}

/* Close and free c; it must not hold anything the application waits on
 * (see tcp_rdm_conn_fail). */
static void tcp_rdm_conn_close(struct tcp_rdm_conn *c)
{
	struct tcp_rdm_ep *ep = c->ep;

	if (c->dead)
		return;
	epoll_ctl(ep->epfd, EPOLL_CTL_DEL, c->sock, NULL);
	close(c->sock);
	c->sock = -1;
	if (c->stalled)
		weft_list_remove(&c->stall_link);
	c->stalled = false;
	if (c->state == TCP_RDM_ACCEPTING)
		ep->accepting--;
	if (ep->hot == c)
		ep->hot = NULL;
	if (c->peer && c->peer->conn == c)
		c->peer->conn = NULL;
	weft_list_remove(&c->link);
	/* Freed by the next progress call: events already taken from epoll
	 * may still point at it. */
	c->dead = true;
	weft_list_push_back(&ep->dead, &c->link);
}

void tcp_rdm_conn_reap(struct tcp_rdm_ep *ep)
{
	struct weft_list *l;

	while ((l = weft_list_pop_front(&ep->dead))) {
		struct tcp_rdm_conn *c =
			weft_container_of(l, struct tcp_rdm_conn, link);

		free(c->stage);
		free(c);
	}
}

/* Fail everything queued on p (none of it can be written any more). */
static void tcp_rdm_peer_flush(struct tcp_rdm_ep *ep, struct tcp_rdm_peer *p,
			       int err)
{
	struct weft_list *l;

	while ((l = weft_list_pop_front(&p->txq)))
		tcp_rdm_tx_done(ep, weft_container_of(l, struct tcp_rdm_tx,
						      link),
				err);
	/* Entries written and waiting for an ACK or a CTS from p. */
	for (size_t i = 0; i < ep->tx_size; i++) {
		struct tcp_rdm_tx *e = &ep->tx_pool[i];

		if (e->busy && e->peer == p &&
		    (e->wait == TCP_RDM_TXW_ACK || e->wait == TCP_RDM_TXW_CTS))
			tcp_rdm_tx_done(ep, e, err);
	}
}

void tcp_rdm_conn_fail(struct tcp_rdm_conn *c, int err)
{
	struct tcp_rdm_ep *ep = c->ep;
	struct tcp_rdm_peer *p = c->peer;

	if (c->dead)
		return;
	tcp_rdm_rx_abort(c, err);
	tcp_rdm_rma_flush(c, err);
	if (p && p->conn == c) {
		tcp_rdm_peer_flush(ep, p, err);
		/* Receives waiting for rendezvous data from it. */
		for (size_t i = 0; i < ep->rx_size; i++) {
			struct tcp_rdm_rx *e = &ep->rx_pool[i];

			if (e->kind == TCP_RDM_RXE_RNDV && e->conn == c)
				tcp_rdm_rx_fail(ep, e, err);
		}
		/* Unexpected announcements it can no longer serve. */
		for (int q = 0; q < 3; q++) {
			struct weft_list *h = q == 0   ? &ep->unexp_msg.list
					      : q == 1 ? &ep->unexp_tag.list
						       : &ep->claimed;
			struct weft_list *l, *n;

			for (l = h->next; l != h; l = n) {
				struct tcp_rdm_unexp *u = weft_container_of(
					l, struct tcp_rdm_unexp, match.link);

				n = l->next;
				if (u->rts && u->conn == c) {
					weft_list_remove(&u->match.link);
					tcp_rdm_unexp_free(ep, u);
				}
			}
		}
	}
	tcp_rdm_conn_close(c);
}

/* Make c the connection to p and write what waits. */
static void tcp_rdm_conn_up(struct tcp_rdm_conn *c)
{
	if (c->state == TCP_RDM_ACCEPTING)
		c->ep->accepting--;
	c->state = TCP_RDM_UP;
	c->rx_state = TCP_RDM_RX_HDR;
	c->peer->conn = c;
	if (c->peer->retry_pending) {
		weft_list_remove(&c->peer->retry_link);
		c->peer->retry_pending = false;
	}
	if (!weft_list_empty(&c->peer->txq))
		tcp_rdm_tx_write(c);
}

static void tcp_rdm_cm_fill(struct tcp_rdm_ep *ep, uint8_t op, uint8_t *out)
{
	struct tcp_cm_hdr *h = (struct tcp_cm_hdr *)out;
	struct tcp_rdm_cm cm;

	tcp_cm_hdr_init(h, op, sizeof(cm));
	memset(&cm, 0, sizeof(cm));
	cm.incarnation = htole64(ep->incarnation);
	if (ep->name.sa.sa_family == AF_INET6) {
		cm.family = htole16(6);
		cm.port = htole16(ntohs(ep->name.sin6.sin6_port));
		memcpy(cm.addr, &ep->name.sin6.sin6_addr, 16);
	} else {
		cm.family = htole16(4);
		cm.port = htole16(ntohs(ep->name.sin.sin_port));
		memcpy(cm.addr, &ep->name.sin.sin_addr, 4);
	}
	memcpy(out + sizeof(*h), &cm, sizeof(cm));
}

/* Decode a peer's tcp_rdm_cm (untrusted). */
static bool tcp_rdm_cm_parse(struct tcp_rdm_ep *ep, const uint8_t *in,
			     union tcp_sockaddr *addr, uint64_t *inc)
{
	struct tcp_rdm_cm cm;

	memcpy(&cm, in, sizeof(cm));
	memset(addr, 0, sizeof(*addr));
	*inc = le64toh(cm.incarnation);
	if (le16toh(cm.family) == 6 && ep->family == AF_INET6) {
		addr->sin6.sin6_family = AF_INET6;
		addr->sin6.sin6_port = htons(le16toh(cm.port));
		memcpy(&addr->sin6.sin6_addr, cm.addr, 16);
		return *inc != 0;
	}
	if (le16toh(cm.family) == 4 && ep->family == AF_INET) {
		addr->sin.sin_family = AF_INET;
		addr->sin.sin_port = htons(le16toh(cm.port));
		memcpy(&addr->sin.sin_addr, cm.addr, 4);
		return *inc != 0;
	}
	return false;
}

/* A short write of a fresh socket's first 48 bytes does not happen in
 * practice; treat it as a failed connection. */
static int tcp_rdm_hs_send(struct tcp_rdm_conn *c, uint8_t op)
{
	uint8_t buf[TCP_RDM_HS_LEN];
	size_t len = op == TCP_CM_REJECT ? sizeof(struct tcp_cm_hdr)
					 : TCP_RDM_HS_LEN;
	ssize_t n;

	if (op == TCP_CM_REJECT)
		tcp_cm_hdr_init((struct tcp_cm_hdr *)buf, op, 0);
	else
		tcp_rdm_cm_fill(c->ep, op, buf);
	do
		n = send(c->sock, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -FI_ECONNRESET;
}

/* Read handshake bytes up to `want`. 1 whole, 0 not yet, < 0 gone. */
static int tcp_rdm_hs_read(struct tcp_rdm_conn *c, size_t want)
{
	while (c->hs_got < want) {
		ssize_t n = recv(c->sock, c->hs + c->hs_got, want - c->hs_got,
				 MSG_DONTWAIT);

		if (n > 0) {
			c->hs_got += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return -FI_ECONNRESET;
	}
	return 1;
}

/* Start connecting to p. Failures fail p's queue. */
static void tcp_rdm_connect(struct tcp_rdm_ep *ep, struct tcp_rdm_peer *p)
{
	struct tcp_rdm_conn *c;
	int sock, ret;

	sock = socket(ep->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		      0);
	if (sock < 0) {
		ret = tcp_errno_to_fi(errno);
		goto fail;
	}
	ret = tcp_socket_setup(sock, ep->family);
	if (!ret && connect(sock, &p->addr.sa, tcp_addrlen(ep->family)) &&
	    errno != EINPROGRESS)
		ret = tcp_errno_to_fi(errno);
	if (ret) {
		close(sock);
		goto fail;
	}
	c = tcp_rdm_conn_new(ep, sock, TCP_RDM_CONNECTING);
	if (!c) {
		close(sock);
		ret = -FI_ENOMEM;
		goto fail;
	}
	c->peer = p;
	c->outgoing = true;
	p->conn = c;
	return;
fail:
	FI_INFO(&tcp_prov, FI_LOG_EP_CTRL, "connect: %s\n", fi_strerror(-ret));
	tcp_rdm_peer_flush(ep, p, -ret);
}

void tcp_rdm_tx_submit(struct tcp_rdm_ep *ep, struct tcp_rdm_tx *e)
{
	struct tcp_rdm_peer *p = e->peer;

	weft_list_push_back(&p->txq, &e->link);
	if (!p->conn && !p->retry_pending)
		tcp_rdm_connect(ep, p);
	else if (p->conn->state == TCP_RDM_UP)
		tcp_rdm_tx_write(p->conn);
}

/* ---- outgoing handshake ------------------------------------------------ */

static void tcp_rdm_connector_event(struct tcp_rdm_conn *c)
{
	struct tcp_rdm_ep *ep = c->ep;
	const struct tcp_cm_hdr *h = (const struct tcp_cm_hdr *)c->hs;
	union tcp_sockaddr addr;
	uint64_t inc;
	int ret;

	if (c->state == TCP_RDM_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(c->sock, SOL_SOCKET, SO_ERROR, &err, &len))
			err = errno;
		if (err == EINPROGRESS || err == EALREADY)
			return;
		if (err) {
			tcp_rdm_conn_fail(c, err);
			return;
		}
		if (tcp_rdm_hs_send(c, TCP_CM_RDM_REQ)) {
			tcp_rdm_conn_fail(c, FI_ECONNRESET);
			return;
		}
		c->state = TCP_RDM_REQ_SENT;
		tcp_rdm_conn_pollout(c, false);
	}
	/* REQ_SENT: the answer. A rejection is a bare header. */
	ret = tcp_rdm_hs_read(c, sizeof(struct tcp_cm_hdr));
	if (ret > 0 && h->op == TCP_CM_RDM_ACCEPT)
		ret = tcp_rdm_hs_read(c, TCP_RDM_HS_LEN);
	if (ret == 0)
		return;
	if (ret < 0) {
		tcp_rdm_conn_fail(c, FI_ECONNRESET);
		return;
	}
	if (tcp_cm_hdr_valid(h, TCP_CM_REJECT) && h->cm_len == 0) {
		/* Lost a simultaneous connect: the peer's connection to us
		 * carries the traffic. If that one is already here, our
		 * queue moved to it; otherwise it is on its way: wait for
		 * it a while (connecting again at once would only lose
		 * again), then try again (tcp_rdm_conn_timeouts). */
		struct tcp_rdm_peer *p = c->peer;

		c->peer = NULL;
		if (p && p->conn == c)
			p->conn = NULL;
		tcp_rdm_conn_close(c);
		if (p && !p->conn && !p->retry_pending) {
			p->retry_pending = true;
			p->retry_ms = tcp_now_ms() + TCP_RDM_RETRY_MS;
			weft_list_push_back(&ep->retry, &p->retry_link);
		}
		return;
	}
	if (!tcp_cm_hdr_valid(h, TCP_CM_RDM_ACCEPT) ||
	    le16toh(h->cm_len) != sizeof(struct tcp_rdm_cm) ||
	    !tcp_rdm_cm_parse(ep, c->hs + sizeof(*h), &addr, &inc)) {
		FI_WARN(&tcp_prov, FI_LOG_EP_CTRL,
			"peer's answer is not a weft tcp RDM handshake: "
			"closing the connection\n");
		tcp_rdm_conn_fail(c, FI_EIO);
		return;
	}
	c->peer->incarnation = inc;
	tcp_rdm_conn_up(c);
}

/* ---- incoming handshake ------------------------------------------------ */

void tcp_rdm_accept_all(struct tcp_rdm_ep *ep)
{
	for (;;) {
		struct tcp_rdm_conn *c;
		int sock = accept4(ep->lsock, NULL, NULL,
				   SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (sock < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				FI_WARN(&tcp_prov, FI_LOG_EP_CTRL,
					"accept: %s\n", strerror(errno));
			return;
		}
		tcp_socket_setup(sock, ep->family);
		c = tcp_rdm_conn_new(ep, sock, TCP_RDM_ACCEPTING);
		if (!c) {
			close(sock);
			continue;
		}
		c->deadline_ms = tcp_now_ms() + (uint64_t)tcp_params.handshake_ms;
		ep->accepting++;
		/* The REQ usually arrived with the connection. */
		tcp_rdm_conn_cm_event(c, EPOLLIN);
	}
}

static void tcp_rdm_acceptor_event(struct tcp_rdm_conn *c)
{
	struct tcp_rdm_ep *ep = c->ep;
	const struct tcp_cm_hdr *h = (const struct tcp_cm_hdr *)c->hs;
	struct tcp_rdm_peer *p;
	union tcp_sockaddr addr;
	uint64_t inc;
	int ret = tcp_rdm_hs_read(c, sizeof(struct tcp_cm_hdr));

	if (ret > 0) {
		if (!tcp_cm_hdr_valid(h, TCP_CM_RDM_REQ) ||
		    le16toh(h->cm_len) != sizeof(struct tcp_rdm_cm))
			goto foreign;
		ret = tcp_rdm_hs_read(c, TCP_RDM_HS_LEN);
	}
	if (ret == 0)
		return;
	if (ret < 0) {
		tcp_rdm_conn_close(c); /* nobody waits on it */
		return;
	}
	if (!tcp_rdm_cm_parse(ep, c->hs + sizeof(*h), &addr, &inc))
		goto foreign;
	p = tcp_rdm_peer_find(ep, &addr);
	if (!p)
		p = tcp_rdm_peer_new(ep, &addr);
	if (!p) {
		tcp_rdm_conn_close(c);
		return;
	}
	if (inc == ep->incarnation && tcp_rdm_addr_eq(&addr, &ep->name)) {
		/* Our own connection to ourselves (a send to our own
		 * address): the outgoing half carries the traffic and
		 * stays the peer's connection; this half only receives. */
		if (tcp_rdm_hs_send(c, TCP_CM_RDM_ACCEPT)) {
			tcp_rdm_conn_close(c);
			return;
		}
		ep->accepting--;
		c->peer = p;
		c->state = TCP_RDM_UP;
		c->rx_state = TCP_RDM_RX_HDR;
		return;
	}
	if (p->incarnation && p->incarnation != inc && p->conn) {
		/* The peer restarted: the old connection is stale. */
		FI_INFO(&tcp_prov, FI_LOG_EP_CTRL,
			"peer restarted: dropping its old connection\n");
		tcp_rdm_conn_fail(p->conn, FI_ECONNRESET);
	}
	p->incarnation = inc;
	if (p->conn) {
		struct tcp_rdm_conn *old = p->conn;
		bool ours_wins = tcp_rdm_addr_cmp(&ep->name, &addr) < 0;

		if (old->state != TCP_RDM_UP) {
			/* Both connecting at once. */
			if (ours_wins) {
				tcp_rdm_hs_send(c, TCP_CM_REJECT);
				tcp_rdm_conn_close(c);
				return;
			}
			old->peer = NULL;
			p->conn = NULL;
			tcp_rdm_conn_close(old);
		} else if (ours_wins && old->outgoing) {
			/* Ours won a race P has not finished seeing. */
			tcp_rdm_hs_send(c, TCP_CM_REJECT);
			tcp_rdm_conn_close(c);
			return;
		} else {
			tcp_rdm_conn_fail(old, FI_ECONNRESET);
		}
	}
	if (tcp_rdm_hs_send(c, TCP_CM_RDM_ACCEPT)) {
		tcp_rdm_conn_close(c);
		return;
	}
	c->peer = p;
	tcp_rdm_conn_up(c);
	return;
foreign:
	FI_WARN(&tcp_prov, FI_LOG_EP_CTRL,
		"closing incoming connection: not a weft tcp RDM handshake\n");
	tcp_rdm_conn_close(c);
}

void tcp_rdm_conn_cm_event(struct tcp_rdm_conn *c, uint32_t events)
{
	(void)events;
	if (c->state == TCP_RDM_ACCEPTING)
		tcp_rdm_acceptor_event(c);
	else
		tcp_rdm_connector_event(c);
}

void tcp_rdm_conn_timeouts(struct tcp_rdm_ep *ep)
{
	struct weft_list *l, *n;
	uint64_t now = 0;

	for (l = ep->retry.next; l != &ep->retry; l = n) {
		struct tcp_rdm_peer *p =
			weft_container_of(l, struct tcp_rdm_peer, retry_link);

		n = l->next;
		if (!now)
			now = tcp_now_ms();
		if (now < p->retry_ms && !p->conn)
			continue;
		weft_list_remove(&p->retry_link);
		p->retry_pending = false;
		if (!p->conn && !weft_list_empty(&p->txq))
			tcp_rdm_connect(ep, p);
	}
	for (l = ep->conns.next; l != &ep->conns; l = n) {
		struct tcp_rdm_conn *c =
			weft_container_of(l, struct tcp_rdm_conn, link);

		n = l->next;
		if (c->state != TCP_RDM_ACCEPTING)
			continue;
		if (!now)
			now = tcp_now_ms();
		if (now > c->deadline_ms)
			tcp_rdm_conn_close(c);
	}
}

void tcp_rdm_free_all(struct tcp_rdm_ep *ep)
{
	struct weft_list *l;

	while ((l = weft_list_pop_front(&ep->conns))) {
		struct tcp_rdm_conn *c =
			weft_container_of(l, struct tcp_rdm_conn, link);

		close(c->sock);
		free(c->stage);
		free(c);
	}
	tcp_rdm_conn_reap(ep);
	while ((l = weft_list_pop_front(&ep->peers)))
		free(weft_container_of(l, struct tcp_rdm_peer, link));
}
