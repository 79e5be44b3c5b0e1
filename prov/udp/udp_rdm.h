/* udp provider, FI_EP_RDM: reliable connectionless endpoints over one UDP
 * socket, on top of the reliability engine (udp_rel.h).
 *
 * Peers are AV entries: the engine's peer index is the fi_addr_t slot
 * index, so per-peer state is found without a lookup on send, and by one
 * weft_av_reverse() of the source sockaddr on receive. Datagrams from
 * addresses not in the AV are dropped and counted (the sender retries until
 * the address is inserted or it gives up on us), unless the endpoint has
 * FI_SOURCE_ERR: see UDP_RDM_UNKNOWN_SLOTS.
 *
 * Every engine message is one operation; its kind travels in the op byte
 * of udp_rel_msg_hdr.mflags (enum udp_rdm_op, udp_proto.h). Sends carry
 * the application's bytes alone; RMA and atomic requests and their
 * answers start with a struct udp_rma_hdr.
 *
 * Files: udp_rdm.c (endpoint object, names, progress, socket),
 * udp_rdm_msg.c (posting sends and receives, peek/claim, multi-receive),
 * udp_rdm_rx.c (the engine's callbacks: arrival dispatch, receive
 * completion), udp_rdm_rma.c (RMA and atomic initiator calls),
 * udp_rdm_target.c (RMA/atomic requests at the target, answers at the
 * initiator).
 *
 * Locking: everything below is owned by util.lock (a no-op below the
 * threading levels that need it): the engine, the queues and the pools.
 * The engine's callbacks run with it held. Registered memory is resolved
 * and atomics applied under the domain lock, taken inside util.lock.
 */
#ifndef WEFT_UDP_RDM_H
#define WEFT_UDP_RDM_H

#include "udp.h"
#include "udp_rel.h"
#include "util/match.h"
#include "util/mrecv.h"

#define UDP_RDM_INJECT_SIZE 1024
#define UDP_RDM_MAX_MSG_SIZE ((size_t)1 << 31)
#define UDP_RDM_MAX_PEERS 65536
/* Unexpected messages are buffered in a pool allocated when the endpoint
 * opens: UDP_RDM_UNEXP_SLOTS slots of UDP_RDM_UNEXP_SLOT bytes; a message
 * takes as many consecutive-free slots as it needs (first fit). An
 * unexpected message that finds no room is refused: its packets are not
 * acknowledged, and the sender retransmits until a receive is posted or
 * room frees up (receiver not ready). See docs/prov/udp.md. */
#define UDP_RDM_UNEXP_SLOT 4096
#define UDP_RDM_UNEXP_BYTES_DEF ((size_t)64 << 20)
/* Largest atomic operand (bytes per call): fits one inject. */
#define UDP_RDM_ATOMIC_MAX UDP_RDM_INJECT_SIZE
/* RMA/atomic requests served at once at the target. */
#define UDP_RDM_TGT_POOL 64

/* FI_SOURCE_ERR: a sender not in the AV gets an engine peer index above
 * the AV's (UDP_RDM_MAX_PEERS + slot) so that its messages can be
 * acknowledged and reported; once the application inserts its address,
 * the first packet or send that names the new AV entry moves the engine
 * state there (udp_rel_peer_move). Slots are not reclaimed otherwise. */
#define UDP_RDM_UNKNOWN_SLOTS 64

struct udp_rdm_unknown {
	union udp_sockaddr addr;
	bool used;
};

enum udp_rdm_in_kind {
	UDP_RDM_IN_RECV = 1, /* struct udp_rdm_rx: a message to match */
	UDP_RDM_IN_TARGET,   /* struct udp_rdm_tgt: an RMA/atomic request */
	UDP_RDM_IN_RESP,     /* struct udp_rdm_tx: the answer to our request */
};

/* A send or an RMA/atomic request in flight: owned by the engine from
 * udp_rel_send() to send_done(); a request also waits for its answer
 * (it is freed when both have happened). */
struct udp_rdm_tx {
	struct udp_rel_send rel; /* first */
	uint8_t in_kind;         /* UDP_RDM_IN_RESP: the peer's user pointer */
	struct udp_rdm_tx *next_free;
	void *context;
	uint64_t flags;  /* completion flags + the op's FI_COMPLETION */
	size_t len;
	bool report;     /* false for fi_inject*: counter only */
	/* RMA and atomics */
	uint8_t op;      /* enum udp_rdm_op */
	bool acked;      /* send_done() came */
	bool answered;   /* the answer came (or never will) */
	bool reported;   /* its completion is written */
	int status;      /* positive FI_E* of the answer */
	uint32_t gen;    /* bumped at each use: stale answers are refused */
	uint32_t peer;
	uint64_t resp_len;  /* answer payload expected */
	uint64_t resp_got, resp_total; /* answer payload seen / coming */
	struct iovec dst[UDP_IOV_LIMIT]; /* where the answer's payload lands */
	size_t dst_cnt;
	struct udp_rma_hdr hdr;  /* wire order: iov[0] of a request */
	uint8_t inject[UDP_RDM_INJECT_SIZE];
};

/* A receive: posted by the application (posted queue), or a message that
 * arrived before its receive (unexpected queue, data in the unexpected
 * pool). While a message is arriving, the sending peer's engine state
 * points at the entry that collects it (udp_rel_peer.user = &in_kind). */
struct udp_rdm_rx {
	struct weft_match match; /* posted: tag/ignore/src; arrived: tag/src */
	uint8_t in_kind;         /* UDP_RDM_IN_RECV */
	struct udp_rdm_rx *next_free;
	void *context;
	uint64_t flags;          /* posted: FI_COMPLETION, FI_MULTI_RECV etc. */
	bool tagged;
	bool unexpected;         /* lives in an unexpected queue */
	bool claimed;            /* unexpected, claimed by FI_PEEK|FI_CLAIM */
	bool arriving;           /* collecting fragments */
	bool multi;              /* a posted FI_MULTI_RECV buffer */
	struct udp_rdm_rx *parent; /* the multi-receive buffer it lands in */
	struct weft_mrecv mrecv; /* multi */
	struct iovec iov[UDP_IOV_LIMIT];
	size_t iov_cnt, capacity;
	/* the message */
	uint32_t peer;
	uint64_t msg_len, got;
	uint64_t cq_data;
	uint32_t mflags;
	uint8_t *ux_buf;         /* unexpected: inside the unexpected pool */
	uint32_t ux_slot, ux_nslots;
};

/* An RMA or atomic request at the target, and the answer it sends (owned
 * by the engine from udp_rel_send() to send_done()). */
struct udp_rdm_tgt {
	struct udp_rel_send rel; /* first: the answer */
	uint8_t in_kind;         /* UDP_RDM_IN_TARGET */
	struct udp_rdm_tgt *next_free;
	uint32_t peer;
	uint8_t op;              /* enum udp_rdm_op of the request */
	uint32_t mflags;
	uint64_t cq_data;
	struct udp_rma_hdr req;  /* host order */
	struct udp_rma_hdr resp; /* wire order: iov[0] of the answer */
	int status;              /* positive FI_E* once a check failed */
	struct iovec iov[UDP_IOV_LIMIT]; /* the target ranges */
	size_t iov_cnt;
	uint64_t need, got;      /* payload bytes after the header */
	uint8_t operand[2 * UDP_RDM_ATOMIC_MAX];
	uint8_t result[UDP_RDM_ATOMIC_MAX];
};

struct udp_rdm_stats {
	uint64_t rx_unknown; /* from addresses not in the AV */
	uint64_t rx_short;   /* shorter than any header */
	uint64_t rx_proto;   /* operations that broke the RDM protocol */
	uint64_t rx_unexp_full; /* unexpected messages refused for room */
	uint64_t tx_err;     /* sendmsg errors other than a full buffer */
	uint64_t tx_full;    /* sendmsg found the socket buffer full */
	uint64_t tx_dropped; /* thrown away on purpose (FI_UDP_RDM_DROP_PPM) */
};

struct udp_rdm_ep {
	struct weft_ep util; /* first */
	int sock, family;
	socklen_t addrlen;
	union udp_sockaddr addr;
	bool bound;
	size_t tx_size, rx_size;

	struct udp_rel_ep rel;
	uint64_t next_deadline;
	uint64_t last_rx_ns;  /* when a datagram last arrived (for close) */

	struct udp_rdm_tx *tx_pool, *tx_free;
	size_t tx_used;
	struct udp_rdm_rx *rx_pool, *rx_free;
	size_t rx_used;
	struct udp_rdm_tgt *tgt_pool, *tgt_free;
	size_t tgt_n;
	struct weft_match_queue posted_msg, posted_tag;
	struct weft_match_queue unexp_msg, unexp_tag;
	struct weft_list claimed; /* FI_CLAIMed unexpected messages */

	/* The unexpected pool: ux_nslots slots of UDP_RDM_UNEXP_SLOT bytes,
	 * ux_map[i] nonzero while slot i is taken. */
	uint8_t *ux_mem, *ux_map;
	uint32_t ux_nslots, ux_used, ux_hint;

	struct udp_rdm_unknown unknown[UDP_RDM_UNKNOWN_SLOTS];
	uint32_t n_unknown;  /* slots in use */

	uint64_t drop_rng;   /* state of the FI_UDP_RDM_DROP_PPM coin */
	uint8_t *rbuf;       /* one datagram */
	size_t rbuf_len;
	union udp_sockaddr rsrc;
	struct udp_rdm_stats stats;
};

static inline struct udp_rdm_ep *udp_rdm_ep_of(struct fid_ep *e)
{
	return weft_container_of(e, struct udp_rdm_ep, util.ep_fid);
}

static inline struct udp_rdm_ep *udp_rdm_ep_of_fid(struct fid *f)
{
	return udp_rdm_ep_of(weft_container_of(f, struct fid_ep, fid));
}

int udp_rdm_endpoint_open(struct fid_domain *domain, struct fi_info *info,
			  struct fid_ep **ep, void *context);

/* udp_rdm.c */
uint64_t udp_rdm_now(void);
void udp_rdm_progress_locked(struct udp_rdm_ep *ep);
/* Before the first send to dest: if its address spoke to us from outside
 * the AV, take over that conversation. util.lock held. */
void udp_rdm_peer_prepare(struct udp_rdm_ep *ep, fi_addr_t dest);
/* The source to report for an engine peer (FI_ADDR_NOTAVAIL for a sender
 * outside the AV). */
fi_addr_t udp_rdm_src_addr(struct udp_rdm_ep *ep, uint32_t peer);
static inline bool udp_rdm_peer_unknown(uint32_t peer)
{
	return peer >= UDP_RDM_MAX_PEERS;
}
extern const struct udp_rel_ops udp_rdm_rel_ops;

/* udp_rdm_msg.c */
extern struct fi_ops_msg udp_rdm_msg_ops;
extern struct fi_ops_tagged udp_rdm_tagged_ops;
ssize_t udp_rdm_cancel(fid_t fid, void *context);

/* udp_rdm_rx.c (all with util.lock held) */
int udp_rdm_xmit(void *ctx, uint32_t peer, const void *hdr, size_t hdr_len,
		 const struct iovec *iov, size_t cnt);
struct udp_rdm_rx *udp_rdm_rx_get(struct udp_rdm_ep *ep);
void udp_rdm_rx_put(struct udp_rdm_ep *ep, struct udp_rdm_rx *rx);
void udp_rdm_rx_copy(struct udp_rdm_rx *rx, uint64_t off, const uint8_t *data,
		     size_t len);
void udp_rdm_rx_finish(struct udp_rdm_ep *ep, struct udp_rdm_rx *rx);
/* A receive (posted, or a multi-receive child) takes over unexpected
 * message ux: copies what arrived, finishes or keeps collecting. */
void udp_rdm_rx_take_unexp(struct udp_rdm_ep *ep, struct udp_rdm_rx *rx,
			   struct udp_rdm_rx *ux);
/* Claim room in multi-receive buffer parent for a message of msg_len
 * bytes: a child entry collecting into it, or NULL (no rx entry). */
struct udp_rdm_rx *udp_rdm_mrecv_child(struct udp_rdm_ep *ep,
				       struct udp_rdm_rx *parent,
				       uint64_t msg_len);
uint64_t udp_rdm_rx_kind(const struct udp_rdm_rx *rx);
struct udp_rdm_tx *udp_rdm_tx_get(struct udp_rdm_ep *ep);
void udp_rdm_tx_put(struct udp_rdm_ep *ep, struct udp_rdm_tx *tx);

/* udp_rdm_rma.c */
extern struct fi_ops_rma udp_rdm_rma_ops;
extern struct fi_ops_atomic udp_rdm_atomic_ops;
int udp_rdm_query_atomic(struct fid_domain *domain, enum fi_datatype datatype,
			 enum fi_op op, struct fi_atomic_attr *attr,
			 uint64_t flags);

/* udp_rdm_target.c (util.lock held) */
int udp_rdm_target_deliver(struct udp_rdm_ep *ep, struct udp_rel_peer *p,
			   uint32_t peer, const struct udp_rel_frag *f);
void udp_rdm_target_abort(struct udp_rdm_ep *ep, struct udp_rel_peer *p,
			  uint32_t peer);
void udp_rdm_target_sent(struct udp_rdm_ep *ep, struct udp_rdm_tgt *t);
/* A request's send or answer finished: complete and free it when both. */
void udp_rdm_request_done(struct udp_rdm_ep *ep, struct udp_rdm_tx *tx);

#endif
