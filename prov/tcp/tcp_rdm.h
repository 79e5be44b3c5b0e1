/* tcp provider, FI_EP_RDM: reliable unconnected endpoints over TCP.
 *
 * An RDM endpoint listens on its own socket and makes one TCP connection
 * per peer on demand, the first time it sends to that peer (or when the
 * peer connects first). Sends posted before the connection is up wait on
 * the peer's queue: the application never sees -FI_EAGAIN for connection
 * setup. The handshake (TCP_CM_RDM_REQ / _ACCEPT) carries each side's
 * listening address and incarnation: the address names the peer (its AV
 * entry, FI_SOURCE), the incarnation tells a restarted peer from the old
 * one. When two peers connect to each other at once, the connection made
 * by the one with the lower listening address wins; the other is rejected
 * (TCP_CM_REJECT) and closed, and its queued sends go out on the winner.
 *
 * After the handshake a connection carries the same message stream as an
 * FI_EP_MSG connection (tcp_proto.h), plus rendezvous (RTS / CTS / DATA)
 * for messages above the eager threshold and ACK for delivery-complete
 * sends. Receives are matched endpoint-wide (posted and unexpected queues
 * on the endpoint, FI_DIRECTED_RECV by the sender's fi_addr).
 *
 * Files: tcp_rdm_ep.c (open, close, names, ops tables), tcp_rdm_conn.c
 * (peers, connecting, accepting, handshakes, failures), tcp_rdm_msg.c
 * (posting sends and receives, peek/claim, multi-receive),
 * tcp_rdm_tx.c (writing, transmit completions, control messages),
 * tcp_rdm_progress.c (reading, matching, rendezvous, the progress call),
 * tcp_rdm_rma.c (RMA and atomics, both halves).
 *
 * Locking: everything here is under the endpoint's util.lock (a no-op
 * below the threading levels that need it), taken by every API entry
 * point and by the progress function.
 */
#ifndef WEFT_TCP_RDM_H
#define WEFT_TCP_RDM_H

#include "tcp.h"
#include "lib/hash.h"
#include "util/mrecv.h"

/* Messages up to this many bytes are sent eagerly (buffered by the
 * receiver when unexpected); larger ones use rendezvous, so an unexpected
 * large message costs the receiver a small record, not its payload. */
#define TCP_RDM_EAGER_DEF (64 * 1024)
#define TCP_RDM_INJECT_SIZE 128
/* Staging buffer per connection (headers and small messages). */
#define TCP_RDM_STAGE_SIZE (16 * 1024)
/* What one unexpected rendezvous record counts against unexp_limit. */
#define TCP_RDM_RTS_COST 256
/* Control entries (CTS, ACK, RMA answers) per endpoint. */
#define TCP_RDM_CTRL_POOL 256
/* How long the loser of a simultaneous connect waits for the winner's
 * connection before trying again itself. */
#define TCP_RDM_RETRY_MS 1000
/* Progress calls between two full epoll passes (tcp_rdm_progress). */
#define TCP_RDM_EPOLL_EVERY 16
/* Most events one progress call takes from epoll. */
#define TCP_RDM_EVENTS 64
/* Id of "no receive entry": a CTS that asks for nothing (discard). */
#define TCP_RDM_NO_ID UINT32_MAX

struct tcp_rdm_ep;
struct tcp_rdm_peer;

enum tcp_rdm_conn_state {
	TCP_RDM_CONNECTING, /* outgoing: connect(2) in flight */
	TCP_RDM_REQ_SENT,   /* outgoing: waiting for ACCEPT / REJECT */
	TCP_RDM_ACCEPTING,  /* incoming: waiting for the REQ */
	TCP_RDM_UP,
};

enum tcp_rdm_rx_state {
	TCP_RDM_RX_HDR,     /* collecting a header */
	TCP_RDM_RX_STALLED, /* header read; no buffer or control entry yet */
	TCP_RDM_RX_BODY,    /* payload into the cursor, then `discard` */
};

/* One TCP connection. Owned by the endpoint (ep->conns); bound to its
 * peer (peer->conn) from the handshake on, or while connecting. */
struct tcp_rdm_conn {
	struct weft_list link;        /* ep->conns */
	struct weft_list stall_link;  /* ep->stalled while RX_STALLED */
	struct tcp_rdm_ep *ep;
	struct tcp_rdm_peer *peer;    /* NULL while accepting */
	int sock;
	enum tcp_rdm_conn_state state;
	bool pollout;                 /* EPOLLOUT armed */
	bool stalled;                 /* on ep->stalled */
	bool outgoing;                /* we connected (not accepted) */
	bool dead;                    /* closed: on ep->dead until reaped */
	bool drained;                 /* the last read emptied the socket */
	uint64_t deadline_ms;         /* ACCEPTING: handshake deadline */
	/* Handshake bytes (header + tcp_rdm_cm), either direction. */
	uint8_t hs[sizeof(struct tcp_cm_hdr) + sizeof(struct tcp_rdm_cm)];
	size_t hs_got;

	/* Requests written and waiting for their answer, in order. */
	struct weft_list rma_pending;

	/* Receive state machine (one message at a time). */
	enum tcp_rdm_rx_state rx_state;
	struct tcp_hdr rx_hdr;        /* host order once whole */
	struct tcp_rma_hdr rx_rma;
	size_t rx_hdr_got;
	int rx_status;                /* RMA: the verdict */
	struct tcp_rdm_tx *rx_pending;/* RESP: the request it answers */
	struct tcp_rdm_rx *rx_cur;    /* where the body goes, or NULL */
	struct tcp_rdm_unexp *rx_unexp; /* or this unexpected buffer */
	void *rx_mbuf;                /* multi-recv: where the message lands */
	struct tcp_iov_cursor rx_cursor;
	size_t rx_left, rx_discard;
	size_t rx_land;               /* bytes of the body that land */
	uint8_t *stage;               /* TCP_RDM_STAGE_SIZE bytes */
	size_t stage_pos, stage_len;
};

/* A peer: one listening address (its key). fi_addr is the AV entry that
 * names it (FI_ADDR_NOTAVAIL until one does). */
struct tcp_rdm_peer {
	struct weft_list link;        /* ep->peers */
	union tcp_sockaddr addr;
	uint64_t key;                 /* hash of addr */
	uint64_t incarnation;         /* 0: not known yet */
	fi_addr_t fi_addr;
	struct tcp_rdm_conn *conn;    /* connecting or up, or NULL */
	struct weft_list txq;         /* entries to write, in order */
	/* Lost a simultaneous connect: the peer's connection is on its way;
	 * connect again only if it has not come by retry_ms. */
	struct weft_list retry_link;  /* ep->retry while retry_pending */
	bool retry_pending;
	uint64_t retry_ms;
};

enum tcp_rdm_tx_kind {
	TCP_RDM_TX_SEND,  /* completes when written (or acked) */
	TCP_RDM_TX_RNDV,  /* RTS; then DATA once the CTS arrives */
	TCP_RDM_TX_RMA,   /* completes when the answer arrives */
	TCP_RDM_TX_CTRL,  /* CTS, ACK or an RMA answer (ctrl pool) */
};

enum tcp_rdm_tx_wait {
	TCP_RDM_TXW_NONE,   /* queued or being written */
	TCP_RDM_TXW_ACK,    /* written, waiting for TCP_OP_ACK */
	TCP_RDM_TXW_CTS,    /* RTS written, waiting for TCP_OP_CTS */
	TCP_RDM_TXW_RESP,   /* on conn->rma_pending */
};

struct tcp_rdm_tx {
	struct weft_list link;        /* free list, peer->txq, rma_pending */
	struct tcp_rdm_peer *peer;
	void *context;
	uint64_t flags;               /* completion flags + op flags */
	enum tcp_rdm_tx_kind kind;
	enum tcp_rdm_tx_wait wait;
	bool report;                  /* false for fi_inject*: counter only */
	bool busy;                    /* allocated (ids are validated) */
	uint32_t id;                  /* index in the pool */
	size_t len;                   /* payload bytes */
	struct tcp_hdr hdr;
	struct tcp_rma_hdr rma;
	size_t iov_count, idx;
	struct iovec iov[2 + TCP_IOV_LIMIT];
	/* RNDV: the payload, for the DATA message. RMA: where the answer's
	 * payload lands. */
	size_t src_count;
	struct iovec src[TCP_IOV_LIMIT];
	uint8_t inject[TCP_RDM_INJECT_SIZE];
};

/* A control entry with room for fetched atomic values. */
struct tcp_rdm_ctrl {
	struct tcp_rdm_tx tx;         /* first */
	uint8_t result[WEFT_ATOMIC_MAX_BYTES];
};

enum tcp_rdm_rx_kind {
	TCP_RDM_RXE_POSTED,  /* in a posted queue */
	TCP_RDM_RXE_RNDV,    /* CTS sent, waiting for DATA */
	TCP_RDM_RXE_FREE,
};

/* A posted receive (or, for a rendezvous into a multi-receive buffer, the
 * record of one message landing in it). */
struct tcp_rdm_rx {
	struct weft_match match;      /* first; tag/ignore/src */
	struct weft_list free_link;
	enum tcp_rdm_rx_kind kind;
	uint32_t id;                  /* index in the pool */
	void *context;
	uint64_t flags;               /* op flags: FI_COMPLETION, ... */
	bool tagged;
	bool multi;                   /* FI_MULTI_RECV buffer */
	size_t iov_count;
	struct iovec iov[TCP_IOV_LIMIT];
	size_t capacity;
	struct weft_mrecv mrecv;      /* multi */
	struct tcp_rdm_rx *parent;    /* rendezvous into parent's buffer */
	/* The message being received by rendezvous. */
	struct tcp_rdm_conn *conn;
	uint32_t peer_id;             /* the sender's entry (for its ACK) */
	size_t msg_len;
	uint16_t hflags;
	uint64_t tag, data;
	fi_addr_t src;
};

/* A message that arrived before its receive: eager payload buffered, or a
 * rendezvous announcement (rts: no payload here yet). */
struct tcp_rdm_unexp {
	struct weft_match match;      /* first; tag and sender */
	struct tcp_rdm_peer *peer;
	struct tcp_rdm_conn *conn;    /* rts: where to send the CTS */
	bool tagged, rts;
	uint16_t hflags;
	uint32_t id;                  /* rts / ack: the sender's id */
	uint64_t data;
	size_t size;                  /* the message's length */
	size_t cost;                  /* counted in ep->unexp_bytes */
	uint8_t *buf;                 /* eager: size bytes */
};

struct tcp_rdm_ep {
	struct weft_ep util;          /* first */
	int family;
	int epfd;                     /* listener + connections: wait_fd */
	int lsock;                    /* listening socket, -1 before enable */
	union tcp_sockaddr addr;      /* configured, then bound */
	union tcp_sockaddr name;      /* advertised (fi_getname) */
	bool have_addr;
	uint64_t incarnation;
	size_t eager_max;
	size_t inject_size;

	struct weft_list conns;       /* every tcp_rdm_conn */
	struct weft_list peers;       /* every tcp_rdm_peer */
	struct weft_hash peer_index;  /* hash(addr) -> peer */
	struct tcp_rdm_peer **by_addr;/* fi_addr -> peer cache */
	size_t by_addr_len;
	struct weft_list stalled;     /* conns in RX_STALLED */
	struct weft_list dead;        /* closed conns, freed by progress */
	struct weft_list retry;       /* peers waiting for the race's winner */
	struct tcp_rdm_conn *hot;     /* read first by progress (fast path) */
	unsigned fast_calls;          /* progress calls since the epoll pass */
	size_t accepting;             /* conns in ACCEPTING */

	struct tcp_rdm_tx *tx_pool;
	struct weft_list tx_free;
	size_t tx_size;
	struct tcp_rdm_ctrl *ctrl_pool;
	struct weft_list ctrl_free;
	struct tcp_rdm_rx *rx_pool;
	struct weft_list rx_free;
	size_t rx_size;
	struct weft_match_queue posted_msg, posted_tag;
	struct weft_match_queue unexp_msg, unexp_tag;
	struct weft_list claimed;     /* unexp claimed by FI_PEEK|FI_CLAIM */
	size_t unexp_bytes;
	uint8_t *atomic_buf;          /* 2 * WEFT_ATOMIC_MAX_BYTES operands */
};

static inline struct tcp_rdm_ep *tcp_rdm_ep_of(struct fid_ep *e)
{
	return weft_container_of(e, struct tcp_rdm_ep, util.ep_fid);
}

static inline struct tcp_rdm_ep *tcp_rdm_ep_of_fid(struct fid *f)
{
	return tcp_rdm_ep_of(weft_container_of(f, struct fid_ep, fid));
}

/* tcp_rdm_ep.c */
int tcp_rdm_endpoint_open(struct fid_domain *domain, struct fi_info *info,
			  struct fid_ep **ep, void *context);
extern struct fi_ops_msg tcp_rdm_msg_ops;
extern struct fi_ops_tagged tcp_rdm_tagged_ops;

/* tcp_rdm_conn.c: connection management. */
/* The peer dest names (an AV entry), created on first use; NULL and *err
 * set for an address the AV does not hold. */
struct tcp_rdm_peer *tcp_rdm_peer_get(struct tcp_rdm_ep *ep, fi_addr_t dest,
				      int *err);
/* Queue e on its peer and write what the connection takes; starts the
 * connection when there is none. */
void tcp_rdm_tx_submit(struct tcp_rdm_ep *ep, struct tcp_rdm_tx *e);
/* The listener is readable: accept and start handshakes. */
void tcp_rdm_accept_all(struct tcp_rdm_ep *ep);
/* An epoll event on a connection that is not up yet. */
void tcp_rdm_conn_cm_event(struct tcp_rdm_conn *c, uint32_t events);
/* The connection is gone (err > 0): fail what was outstanding to its
 * peer, close and free it. */
void tcp_rdm_conn_fail(struct tcp_rdm_conn *c, int err);
/* Close handshakes past their deadline; reconnect peers whose winning
 * connection did not come. */
void tcp_rdm_conn_timeouts(struct tcp_rdm_ep *ep);
int tcp_rdm_conn_pollout(struct tcp_rdm_conn *c, bool on);
void tcp_rdm_free_all(struct tcp_rdm_ep *ep);
/* Free closed connections (no pointer to them survives a progress
 * call). */
void tcp_rdm_conn_reap(struct tcp_rdm_ep *ep);
/* What a completion from peer reports as its source. */
fi_addr_t tcp_rdm_peer_src(struct tcp_rdm_ep *ep, struct tcp_rdm_peer *p);

/* tcp_rdm_tx.c and tcp_rdm_progress.c */
void tcp_rdm_progress(struct weft_ep *ep);
void tcp_rdm_tx_write(struct tcp_rdm_conn *c);
void tcp_rdm_rx_read(struct tcp_rdm_conn *c);
/* Receives were posted: retry stalled connections. */
void tcp_rdm_rx_unstall(struct tcp_rdm_ep *ep);
struct tcp_rdm_tx *tcp_rdm_ctrl_get(struct tcp_rdm_ep *ep);
void tcp_rdm_tx_release(struct tcp_rdm_ep *ep, struct tcp_rdm_tx *e);
/* Report a transmit entry finished (err 0) or failed, and free it. */
void tcp_rdm_tx_done(struct tcp_rdm_ep *ep, struct tcp_rdm_tx *e, int err);
/* Send a CTS for rendezvous message u into receive e (e NULL: discard);
 * frees u. -FI_EAGAIN when no control entry is free (u kept). */
int tcp_rdm_rndv_accept(struct tcp_rdm_ep *ep, struct tcp_rdm_unexp *u,
			struct tcp_rdm_rx *e);
/* Deliver unexpected u into receive e (eager copy or rendezvous).
 * Returns true if e was consumed (for a multi-receive buffer: see
 * tcp_rdm_rx_match_unexp). */
int tcp_rdm_deliver_unexp(struct tcp_rdm_ep *ep, struct tcp_rdm_rx *e,
			  struct tcp_rdm_unexp *u);
void tcp_rdm_unexp_free(struct tcp_rdm_ep *ep, struct tcp_rdm_unexp *u);
void tcp_rdm_rx_fail(struct tcp_rdm_ep *ep, struct tcp_rdm_rx *e, int err);
void tcp_rdm_rx_put(struct tcp_rdm_ep *ep, struct tcp_rdm_rx *e);
/* A multi-receive buffer's share of one message finished. */
void tcp_rdm_mrecv_done(struct tcp_rdm_ep *ep, struct tcp_rdm_rx *e,
			int err, void *buf, size_t len, size_t olen,
			uint16_t hflags, uint64_t data, fi_addr_t src);
/* Queue a control message (CTS with addr/len, ACK) on c's peer and write
 * it. -FI_EAGAIN when no control entry is free. */
int tcp_rdm_ctrl_send(struct tcp_rdm_conn *c, uint8_t op, uint32_t id,
		      uint64_t addr, uint64_t len);
/* Send an ACK for id on c (best effort: without a control entry the
 * conn stalls until one frees). */
int tcp_rdm_send_ack(struct tcp_rdm_conn *c, uint32_t id);
/* Drop what the connection was receiving (it failed). */
void tcp_rdm_rx_abort(struct tcp_rdm_conn *c, int err);

/* tcp_rdm_rma.c (the API entry points are tcp_rma.c's, which call
 * tcp_rdm_rma_post for RDM endpoints) */
void tcp_rdm_rma_rx_start(struct tcp_rdm_conn *c);
void tcp_rdm_rma_rx_finish(struct tcp_rdm_conn *c);
void tcp_rdm_rma_flush(struct tcp_rdm_conn *c, int err);

#endif
