/* tcp provider: FI_EP_MSG endpoints with connection management over TCP
 * sockets. Internal types shared by the provider's files.
 *
 * Objects embed their weft_* base first and convert back with the small
 * tcp_*_of() helpers. Progress is manual and runs inside the application's
 * calls: CQ and counter reads drive the data path of the endpoints bound
 * to them, EQ reads drive connection management (passive endpoints
 * accepting and reading handshakes, active endpoints connecting). Each
 * endpoint and passive endpoint owns an epoll fd holding its sockets; that
 * fd is the wait_fd util puts in the CQ/EQ wait sets, so FI_WAIT_FD
 * waiters wake when a socket becomes readable.
 */
#ifndef WEFT_TCP_H
#define WEFT_TCP_H

#include <netinet/in.h>
#include <pthread.h>
#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_tagged.h>
#include <rdma/providers/fi_log.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "core/prov.h"
#include "tcp_proto.h"
#include "util/ep.h"
#include "util/fabric.h"
#include "util/atomic.h"
#include "util/match.h"
#include "util/progress.h"

/* Advertised limits. */
#define TCP_IOV_LIMIT 4
#define TCP_INJECT_SIZE 128
#define TCP_DEF_QUEUE_SIZE 256
#define TCP_MAX_QUEUE_SIZE 65536
#define TCP_MAX_MSG_SIZE ((size_t)1 << 31)
/* Bytes read from the socket at once into the endpoint's staging buffer:
 * small messages (header and payload) arrive with one recv() each, or
 * several per recv(). Payload beyond what is staged is read straight into
 * the posted buffer. */
#define TCP_RX_STAGE_SIZE (64 * 1024)
/* Messages one progress call delivers at most, so one busy connection
 * cannot starve the others bound to the same CQ. */
#define TCP_RX_BUDGET 64

extern struct fi_provider tcp_prov;
extern const struct weft_prov_desc tcp_desc;
extern const struct fi_info *const tcp_infos[];

/* Tunables, read once by tcp_init() (help texts in tcp_init.c). */
struct tcp_params {
	int backlog;          /* FI_TCP_BACKLOG: listen(2) backlog */
	size_t unexp_limit;   /* FI_TCP_UNEXP_LIMIT: bytes buffered per ep */
	bool nodelay;         /* FI_TCP_NODELAY */
	int handshake_ms;     /* FI_TCP_HANDSHAKE_TIMEOUT */
	size_t rdm_eager;     /* FI_TCP_RDM_EAGER: RDM eager/rendezvous */
};
extern struct tcp_params tcp_params;

union tcp_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

static inline socklen_t tcp_addrlen(int family)
{
	return family == AF_INET6 ? sizeof(struct sockaddr_in6)
				  : sizeof(struct sockaddr_in);
}

/* errno -> -FI_E*, once, in the wrapper around the syscall. */
static inline int tcp_errno_to_fi(int err)
{
	return -err; /* FI_E* values are the errno values on Linux */
}

/* CLOCK_MONOTONIC in milliseconds (tcp_cm.c). */
uint64_t tcp_now_ms(void);

/* Socket helpers (tcp_cm.c). */
int tcp_socket_setup(int sock, int family);
int tcp_epoll_add(int epfd, int sock, uint32_t events);
int tcp_epoll_mod(int epfd, int sock, uint32_t events);
void tcp_epoll_del(int epfd, int sock);
/* The name a listener bound to `bound` gives peers: itself, or for the
 * wildcard the first interface that is up and not loopback (tcp_pep.c). */
void tcp_public_name(const union tcp_sockaddr *bound, union tcp_sockaddr *out);
/* The address family an info asks for (AF_INET / AF_INET6), -1 if none. */
int tcp_info_family(const struct fi_info *info);

/* ---- fabric, domain --------------------------------------------------- */

struct tcp_ep;

/* The domain: util's, plus what lets progress scale with the number of
 * connections (tcp_progress.c) and, with FI_PROGRESS_AUTO, the progress
 * thread (util/progress.h).
 *
 * Readiness: every MSG endpoint's epoll fd (holding its socket) is in
 * `epfd`. A CQ or EQ read calls the progress function of every endpoint
 * bound to it; with many endpoints, trying each socket would cost a
 * syscall per endpoint per read. Instead the first endpoint of a round
 * asks `epfd` once (tcp_domain_poll) and marks the endpoints that are
 * ready; the others only do socket work when marked, or when they have
 * work no fd event announces (tcp_ep.again). */
struct tcp_domain {
	struct weft_domain util;      /* first */
	int epfd;
	pthread_mutex_t poll_lock;    /* one poller at a time; held while
				       * marking endpoints and by removal */
	atomic_uint_fast64_t poll_seq; /* bumped by every poll */
	atomic_size_t neps;           /* MSG endpoints in epfd */
	bool auto_progress;           /* the thread below runs */
	struct weft_progress_thread pt;
};

static inline struct tcp_domain *tcp_domain_of(struct weft_domain *d)
{
	return weft_container_of(d, struct tcp_domain, util);
}

/* Endpoints in epfd and, in an auto-progress domain, in the progress
 * thread (tcp_progress.c). Never with the endpoint's lock held. */
int tcp_domain_add_ep(struct tcp_domain *dom, struct tcp_ep *ep);
void tcp_domain_remove_ep(struct tcp_domain *dom, struct tcp_ep *ep);

int tcp_fabric_open(struct fi_fabric_attr *attr, struct fid_fabric **fabric,
		    void *context);
int tcp_domain_open(struct fid_fabric *fabric, struct fi_info *info,
		    struct fid_domain **domain, void *context);

/* ---- connection requests and passive endpoints ------------------------ */

struct tcp_pep;

/* An accepted socket, from the moment accept(2) returns until its
 * handshake is answered. While the request is being read it sits on the
 * passive endpoint's pending list; once FI_CONNREQ is queued, its fid is
 * info->handle and the application owns it: fi_endpoint takes the socket
 * (the endpoint frees the handle at close), or fi_reject answers and frees
 * it. */
struct tcp_conn {
	struct fid fid;               /* FI_CLASS_CONNREQ: info->handle */
	struct weft_list link;        /* pep->pending while reading */
	int sock;                     /* -1 once taken by an endpoint */
	union tcp_sockaddr peer;
	struct tcp_cm_hdr hdr;        /* the request, as read */
	uint8_t cm_data[TCP_CM_DATA_MAX];
	size_t got;                   /* bytes of hdr + cm data read */
	uint64_t deadline_ms;         /* closed if the request is not whole */
};

struct tcp_pep {
	struct fid_pep pep_fid;       /* first */
	/* Not a real endpoint: only `progress` and `wait_fd` are set, so the
	 * bound EQ's reads drive accepting and handshakes through util's
	 * progress set. */
	struct weft_ep hook;
	struct weft_fabric *fabric;
	struct fi_info *info;         /* copy of the info it was opened with */
	pthread_mutex_t lock;         /* everything below */
	struct weft_eq *eq;
	int family;
	union tcp_sockaddr addr;      /* configured, then bound */
	int sock;                     /* listening socket, -1 before fi_listen */
	int epfd;                     /* listening + pending sockets */
	bool listening;
	struct weft_list pending;     /* struct tcp_conn reading their REQ */
	uint64_t rejected_foreign;    /* handshakes that were not weft's */
	/* A spare fd (/dev/null), given up when accept(2) finds the process
	 * out of fds so the connection at the head of the backlog can be
	 * taken and closed instead of waiting there forever; -1 if none. */
	int reserve_fd;
};

int tcp_passive_ep(struct fid_fabric *fabric, struct fi_info *info,
		   struct fid_pep **pep, void *context);
void tcp_conn_free(struct tcp_conn *conn);

/* ---- endpoints -------------------------------------------------------- */

enum tcp_ep_state {
	TCP_EP_IDLE,        /* opened, not connected */
	TCP_EP_CONNECTING,  /* connect(2) in progress */
	TCP_EP_REQ_SENDING, /* sending the handshake request */
	TCP_EP_REQ_SENT,    /* waiting for accept / reject */
	TCP_EP_ACCEPTING,   /* opened from a FI_CONNREQ, fi_accept not yet */
	TCP_EP_CONNECTED,
	TCP_EP_DOWN,        /* shut down, refused, or peer gone */
};

/* Where incoming payload goes: a cursor over up to TCP_IOV_LIMIT iovs. */
struct tcp_iov_cursor {
	struct iovec iov[TCP_IOV_LIMIT];
	size_t count, idx;
};

/* A posted receive (msg or tagged). The posted queues hold these. */
struct tcp_rx_entry {
	struct weft_match match;      /* first; tag/ignore for tagged */
	struct weft_list free_link;
	void *context;
	uint64_t flags;               /* op flags: FI_COMPLETION, ... */
	bool tagged;
	size_t iov_count;
	struct iovec iov[TCP_IOV_LIMIT];
	size_t capacity;
};

/* A message that arrived with no receive posted for it: its payload is
 * buffered (the endpoint's total is bounded by tcp_params.unexp_limit). */
struct tcp_unexp {
	struct weft_match match;      /* first; tag of the message */
	uint8_t op;
	uint16_t flags;
	uint64_t data;
	size_t size;
	uint8_t *buf;                 /* size bytes */
};

enum tcp_tx_kind {
	TCP_TX_SEND,   /* completes when written */
	TCP_TX_RMA,    /* completes when the target's TCP_OP_RESP arrives */
	TCP_TX_RESP,   /* our answer to a peer's request (resp pool) */
};

/* A send in flight. iov[0] is the header, iov[1] the RMA header for RMA
 * and atomic ops; then the payload iovs (the application's, or `inject`
 * for injected data). idx walks what is still to be written. */
struct tcp_tx_entry {
	struct weft_list link;        /* free list, tx queue, rma_pending */
	void *context;
	uint64_t flags;               /* completion flags + op flags */
	enum tcp_tx_kind kind;
	bool report;                  /* false for fi_inject*: counter only */
	size_t len;                   /* payload bytes */
	uint64_t tag;
	struct tcp_hdr hdr;
	struct tcp_rma_hdr rma;
	size_t iov_count, idx;
	struct iovec iov[2 + TCP_IOV_LIMIT];
	/* TCP_TX_RMA: where the answer's payload lands (read data, fetched
	 * values). */
	size_t dst_count;
	struct iovec dst[TCP_IOV_LIMIT];
	uint8_t inject[TCP_INJECT_SIZE];
};

/* Answers to the peer's RMA/atomic requests: a small pool per endpoint;
 * when it is empty the endpoint stops reading requests until one is
 * written. */
#define TCP_RESP_POOL 32
struct tcp_resp_entry {
	struct tcp_tx_entry tx;       /* first */
	uint8_t result[WEFT_ATOMIC_MAX_BYTES]; /* fetched values */
};

enum tcp_rx_state {
	TCP_RX_HDR,     /* collecting a header */
	TCP_RX_STALLED, /* header read, no receive posted, no buffer room */
	TCP_RX_BODY,    /* payload into cursor, then `discard` bytes dropped */
};

struct tcp_ep {
	struct weft_ep util;          /* first */
	int family;
	int sock;                     /* -1 until connect / from a CONNREQ */
	int epfd;                     /* holds sock: util.wait_fd */
	union tcp_sockaddr addr;      /* source (configured / bound) */
	bool have_addr;
	union tcp_sockaddr peer;
	bool have_peer;
	struct tcp_conn *conn;        /* the CONNREQ handle we took */

	/* Readiness marks (struct tcp_domain): `ready` is set by whoever
	 * polled the domain, taken by this endpoint's progress; `again` is
	 * set by progress (under util.lock) when work is left that no fd
	 * event will announce (staged bytes, a stalled stream, queued
	 * sends). in_domain: in the domain's epfd. */
	atomic_bool ready, again;
	/* The domain poll this endpoint last looked at (relaxed: two
	 * progress calls racing on it cost at most one poll or one round). */
	atomic_uint_fast64_t seen_seq;
	bool in_domain;

	/* Everything below is under util.lock. */
	enum tcp_ep_state state;
	bool pollout;                 /* EPOLLOUT armed on sock */
	bool shutdown_reported;       /* FI_SHUTDOWN queued already */

	/* Handshake buffers (both directions). */
	struct tcp_cm_hdr cm_hdr;
	uint8_t cm_data[TCP_CM_DATA_MAX];
	size_t cm_len, cm_done;       /* bytes of hdr+data to send / sent */

	/* Transmit: tx_size entries, allocated at open. Entries
	 * [tx_next, tx_size) were never used: they are taken from there
	 * when tx_free is empty (tcp_tx_alloc), so an idle connection
	 * touches none of the pool's pages. Same for rx_next. */
	struct tcp_tx_entry *tx_pool;
	struct weft_list tx_free, tx_queue;
	size_t tx_size, tx_next;
	size_t inject_size;

	/* Receive. */
	struct weft_list rma_pending; /* TCP_TX_RMA written, awaiting RESP */
	struct tcp_resp_entry *resp_pool;
	struct weft_list resp_free;
	struct tcp_rx_entry *rx_pool;
	struct weft_list rx_free;
	size_t rx_size, rx_next;
	struct weft_match_queue posted_msg, posted_tag;
	struct weft_match_queue unexp_msg, unexp_tag;
	struct weft_list claimed;     /* tcp_unexp claimed by FI_PEEK|FI_CLAIM */
	size_t unexp_bytes;
	enum tcp_rx_state rx_state;
	struct tcp_hdr rx_hdr;        /* converted to host order once whole */
	struct tcp_rma_hdr rx_rma;    /* follows rx_hdr for RMA ops */
	size_t rx_hdr_got;            /* bytes of rx_hdr (+ rx_rma) */
	int rx_status;                /* RMA request: the target's verdict */
	struct tcp_tx_entry *rx_pending; /* RESP: the request it answers */
	uint8_t *atomic_buf;          /* 2 * WEFT_ATOMIC_MAX_BYTES operands */
	struct tcp_rx_entry *rx_cur;  /* receive the body goes to, or NULL */
	struct tcp_unexp *rx_unexp;   /* or the unexpected buffer */
	struct tcp_iov_cursor rx_cursor;
	size_t rx_left;               /* payload bytes still to land */
	size_t rx_discard;            /* then bytes to drop (truncation) */
	uint8_t *stage;               /* TCP_RX_STAGE_SIZE bytes */
	/* tx_pool, rx_pool and stage live in one anonymous mapping of
	 * pool_len bytes (tcp_ep.c): its pages cost memory only once used. */
	void *pool_mem;
	size_t pool_len;
	size_t stage_pos, stage_len;
};

static inline struct tcp_ep *tcp_ep_of(struct fid_ep *e)
{
	return weft_container_of(e, struct tcp_ep, util.ep_fid);
}

static inline struct tcp_ep *tcp_ep_of_fid(struct fid *f)
{
	return tcp_ep_of(weft_container_of(f, struct fid_ep, fid));
}

/* A free transmit / receive entry (its link), or NULL when all are in
 * use. Caller holds util.lock. */
static inline struct weft_list *tcp_tx_alloc(struct tcp_ep *ep)
{
	struct weft_list *l = weft_list_pop_front(&ep->tx_free);

	if (!l && ep->tx_next < ep->tx_size)
		l = &ep->tx_pool[ep->tx_next++].link;
	return l;
}

static inline struct weft_list *tcp_rx_alloc(struct tcp_ep *ep)
{
	struct weft_list *l = weft_list_pop_front(&ep->rx_free);

	if (!l && ep->rx_next < ep->rx_size)
		l = &ep->rx_pool[ep->rx_next++].free_link;
	return l;
}

int tcp_endpoint_open(struct fid_domain *domain, struct fi_info *info,
		      struct fid_ep **ep, void *context);
extern struct fi_ops_cm tcp_ep_cm_ops;

/* Connection management of an active endpoint (tcp_cm.c). Caller holds
 * util.lock. */
void tcp_ep_cm_progress(struct tcp_ep *ep);
/* The connection is gone (err 0: local fi_shutdown or orderly close by the
 * peer): stop polling the socket, fail what is outstanding, queue
 * FI_SHUTDOWN once. */
void tcp_ep_down(struct tcp_ep *ep, int err);

/* Data path (tcp_msg.c, tcp_rma.c) and progress (tcp_progress.c). */
extern struct fi_ops_msg tcp_msg_ops;
extern struct fi_ops_tagged tcp_tagged_ops;
extern struct fi_ops_rma tcp_rma_ops;
extern struct fi_ops_atomic tcp_atomic_ops;
/* One RMA or atomic request as the fi_ops_rma / fi_ops_atomic entry
 * points (tcp_rma.c, shared by MSG and RDM endpoints) describe it. */
struct tcp_rma_req {
	fi_addr_t dest;                 /* RDM: the target */
	uint8_t op;
	uint64_t addr, key, len;        /* target side */
	uint8_t datatype, atomic_op, kind;
	const struct iovec *src;        /* payload */
	size_t src_count;
	const struct iovec *src2;       /* compare values (after src) */
	size_t src2_count;
	const struct iovec *dst;        /* where the answer's payload lands */
	size_t dst_count;
	uint64_t data;
	uint64_t flags;
	uint64_t comp;                  /* FI_RMA|FI_WRITE, FI_ATOMIC|FI_READ.. */
	void *context;
	bool report;
};

/* A send's payload iovs after the header at out[0] (tcp_msg.c, shared
 * by MSG and RDM); returns the wire iov count. */
size_t tcp_send_payload(struct iovec *out, uint8_t *inject,
			const struct iovec *iov, size_t count, size_t len,
			uint64_t flags);
/* Bytes in iov[0..count) (tcp_rma.c). */
size_t tcp_iov_total(const struct iovec *iov, size_t count);
/* Frame request r (headers, payload iovs, answer landing iovs) for the
 * MSG and RDM initiators (tcp_rma.c); returns the iov count. */
size_t tcp_rma_req_frame(const struct tcp_rma_req *r, size_t plen,
			 struct tcp_hdr *hdr, struct tcp_rma_hdr *rma,
			 uint8_t *inject, struct iovec *iov,
			 struct iovec *land, size_t *land_count);
/* The RDM half of posting a request (tcp_rdm_rma.c), once tcp_rma_post
 * checked iov counts and sizes; plen: the payload's bytes. */
ssize_t tcp_rdm_rma_post(struct weft_ep *ep, const struct tcp_rma_req *r,
			 size_t plen);
/* Set an iov cursor over iov[0..count) limited to `limit` bytes. */
void tcp_cursor_set(struct tcp_iov_cursor *c, const struct iovec *iov,
		    size_t count, size_t limit);
/* Move n bytes through the cursor, copying from src when not NULL. */
void tcp_cursor_advance(struct tcp_iov_cursor *c, const uint8_t *src, size_t n);
/* Step iov[*idx..count) past n bytes written (a sent entry's progress);
 * returns the part of n beyond the last iov. */
size_t tcp_iov_consume(struct iovec *iov, size_t count, size_t *idx, size_t n);
/* Copy len bytes of src over iov[0..count); returns the bytes copied. */
size_t tcp_copy_to_iov(const struct iovec *iov, size_t count,
		       const uint8_t *src, size_t len);
/* Target and initiator halves of RMA and atomics (tcp_rma.c), called by
 * the receive engine once rx_hdr and rx_rma are whole (start: set up where
 * the payload goes, or stall) and once the payload has landed (finish). */
void tcp_rma_rx_start(struct tcp_ep *ep);
/* Shape checks of an incoming RMA/atomic request, shared by MSG and RDM:
 * NULL, or the protocol error's reason; aims cur at atomic_buf for an
 * atomic's operands. */
const char *tcp_rma_request_check(const struct tcp_hdr *h,
				  const struct tcp_rma_hdr *m,
				  size_t max_msg_size,
				  struct tcp_iov_cursor *cur, void *atomic_buf);
void tcp_rma_rx_finish(struct tcp_ep *ep);
/* Fail the RMA operations awaiting an answer (connection gone). */
void tcp_rma_flush(struct tcp_ep *ep, int err);
/* A transmit entry's last byte was written. */
void tcp_tx_written(struct tcp_ep *ep, struct tcp_tx_entry *e);
void tcp_ep_progress(struct weft_ep *ep);
/* Caller holds util.lock. */
void tcp_tx_progress(struct tcp_ep *ep);
void tcp_rx_progress(struct tcp_ep *ep);
/* A receive was posted while the stream waits (RX_STALLED): try it. */
void tcp_rx_posted(struct tcp_ep *ep);
/* Complete receive e from the buffered message u (frees u, recycles e). */
void tcp_rx_deliver_unexp(struct tcp_ep *ep, struct tcp_rx_entry *e,
			  struct tcp_unexp *u);
int tcp_ep_enable(struct tcp_ep *ep);
/* Fail everything queued (tx with err, posted rx with FI_ECANCELED). */
void tcp_ep_flush(struct tcp_ep *ep, int err);
int tcp_rx_cancel(struct tcp_ep *ep, void *context);
/* fi_trecvmsg with FI_PEEK, or FI_CLAIM without it (tcp_msg.c). Caller
 * holds util.lock. */
ssize_t tcp_rx_peek(struct tcp_ep *ep, const struct fi_msg_tagged *msg,
		    uint64_t flags);
ssize_t tcp_rx_claim(struct tcp_ep *ep, const struct fi_msg_tagged *msg,
		     uint64_t flags);
void tcp_ep_free_unexp(struct tcp_ep *ep);
int tcp_ep_set_pollout(struct tcp_ep *ep, bool on);

#endif
