/* The udp provider's reliability engine: reliable, ordered, segmented
 * messages over an unreliable datagram service, as a pure state machine.
 *
 * The engine owns no socket and reads no clock. Its user (the RDM endpoint,
 * or a unit test's simulated link) hands it every arrived packet with
 * udp_rel_recv(), calls udp_rel_progress() when the deadline it returned
 * has passed, and passes the current time (nanoseconds, any origin,
 * monotonic) into every call. The engine answers through callbacks:
 * xmit() to put one packet on the wire, deliver() for each fragment of a
 * message, in order, and send_done() when a send is acknowledged or fails.
 *
 * Per peer (a uint32_t index the user chooses, below cfg.max_peers) the
 * engine keeps, lazily allocated:
 *   - a send side: 32-bit sequence numbers, a ring of tx_window packet
 *     slots, a congestion window (slow start, then additive increase; halved
 *     once per loss event, reset to one packet on a timeout), the credit the
 *     receiver advertises, an RTT estimate (SRTT/RTTVAR, Karn's rule) that
 *     sets the retransmit timeout, doubled on every consecutive timeout.
 *     A packet counts as lost when three packets sent after it have been
 *     acknowledged (cumulatively or selectively), or on timeout.
 *   - a receive side: the next expected sequence number, and a ring of
 *     rx_window slots holding packets that arrived early (copied into the
 *     endpoint's fixed pool of packet buffers); duplicates are dropped.
 *     Fragments leave the engine strictly in sequence order, so a message's
 *     fragments reach deliver() consecutively with rising offsets.
 *
 * Threading: none. The caller serialises every call on one udp_rel_ep
 * (the provider holds its endpoint lock). Callbacks run inside those calls
 * and must not call back into the engine for the same endpoint, except
 * udp_rel_send()/udp_rel_send_copy() from deliver() (an RMA answer): the
 * send is queued and goes out after the delivery (see in_deliver).
 */
#ifndef WEFT_UDP_REL_H
#define WEFT_UDP_REL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "udp_proto.h"

/* A send's buffers: a header and up to 2 x 4 application iovs (atomic
 * operands and compare values). */
#define UDP_REL_IOV_MAX 9
#define UDP_REL_SACK_BITS 64
/* A packet is lost once this many packets sent after it are acknowledged. */
#define UDP_REL_DUPTHRESH 3

struct udp_rel_cfg {
	uint32_t mtu_payload;  /* payload bytes per data packet we send */
	uint32_t max_rx_payload; /* largest payload accepted from a peer (its
				    MTU may differ); 0 = mtu_payload. Early
				    packets above mtu_payload are not held. */
	uint32_t tx_window;    /* packets in flight per peer; power of two */
	uint32_t tx_ring_init; /* send ring slots at first; doubled on demand
				  up to tx_window (0: tx_window) */
	uint32_t rx_window;    /* credit advertised; power of two */
	uint32_t rx_pool;      /* buffers for early packets, whole endpoint */
	uint32_t tx_copy_pool; /* buffers (mtu_payload bytes) holding the
				  in-flight packets of copied sends
				  (udp_rel_send_copy), whole endpoint */
	uint32_t max_peers;    /* peer indices are below this */
	uint32_t cwnd_init;    /* initial congestion window, packets */
	uint32_t ack_every;    /* ack at once after this many in-order packets */
	uint32_t initial_seq;  /* first sequence number; both ends agree (0) */
	uint64_t max_msg_size; /* larger incoming messages are protocol errors */
	uint64_t rto_init_ns;  /* retransmit timeout before any RTT sample */
	uint64_t rto_min_ns;   /* floor of the computed timeout */
	uint64_t rto_max_ns;   /* ceiling, backoff included */
	uint64_t ack_delay_ns; /* longest an ack waits for company */
	uint64_t dead_ns;      /* silence, with sends outstanding, that kills */
};

/* Fill in the defaults (documented in docs/prov/udp.md). */
void udp_rel_cfg_default(struct udp_rel_cfg *cfg);

/* Windows for a socket whose receive buffer (SO_RCVBUF as the kernel
 * reports it) is rcvbuf bytes: the credit we advertise (rx_window) is what
 * fits it, between UDP_REL_WND_MIN_AUTO and _MAX_AUTO packets of
 * cfg->mtu_payload; our own sends may have up to _MAX_AUTO in flight (the
 * peer's credit limits them further); the early-packet pool (rx_pool)
 * holds a window of packets, within UDP_REL_POOL_BYTES. Set mtu_payload
 * first. */
#define UDP_REL_WND_MIN_AUTO 64u
#define UDP_REL_WND_MAX_AUTO 1024u
#define UDP_REL_POOL_BYTES ((size_t)4 << 20) /* early-packet pool, at most */
void udp_rel_cfg_windows(struct udp_rel_cfg *cfg, size_t rcvbuf);

/* One fragment handed to deliver(). */
struct udp_rel_frag {
	uint32_t msg_id;
	uint32_t mflags;  /* UDP_REL_MSG_* */
	uint64_t msg_len;
	uint64_t offset;
	uint64_t tag;
	uint64_t cq_data;
	const void *data;
	size_t len;
};

/* A send, owned by the caller from udp_rel_send() until send_done() (the
 * engine keeps pointers to it and to the buffers its iov names). The
 * caller fills the first group of fields; the rest is the engine's. */
struct udp_rel_send {
	struct iovec iov[UDP_REL_IOV_MAX];
	size_t iov_cnt;
	uint32_t mflags;  /* UDP_REL_MSG_TAGGED / _CQ_DATA */
	uint64_t tag;
	uint64_t cq_data;

	/* engine private */
	struct udp_rel_send *next;
	uint64_t len;      /* sum of iov */
	uint64_t seg_off;  /* bytes cut into packets so far */
	uint32_t pkts_out; /* packets not yet acknowledged (even selectively) */
	uint32_t last_seq; /* of its last packet, once segmented */
	uint32_t msg_id;
	bool segmented;    /* every packet of the message exists */
	bool copy;         /* udp_rel_send_copy(): packets sent from copies */
};

struct udp_rel_ops {
	/* Send one packet: hdr_len header bytes, then the payload iov (may be
	 * empty). 0 when handed to the network (lost or not); -FI_EAGAIN when
	 * it could not be sent now: the engine retries at the next progress. */
	int (*xmit)(void *ctx, uint32_t peer, const void *hdr, size_t hdr_len,
		    const struct iovec *iov, size_t iov_cnt);
	/* The next fragment from this peer, in order. 0: consumed (the data
	 * pointer is valid only during the call). -FI_EAGAIN: not now (no
	 * buffer); the packet is dropped unacknowledged and resent later. */
	int (*deliver)(void *ctx, uint32_t peer, const struct udp_rel_frag *f);
	/* op is acknowledged (err 0) or failed: -FI_ETIMEDOUT (peer declared
	 * dead), -FI_ECONNRESET (peer restarted), -FI_ECANCELED (engine
	 * closed). The engine forgets op before calling. */
	void (*send_done)(void *ctx, uint32_t peer, struct udp_rel_send *op,
			  int err);
	/* Optional: a partly delivered message from this peer will never be
	 * finished (the peer restarted or broke the protocol). */
	void (*rx_abort)(void *ctx, uint32_t peer);
};

/* Counters: everything dropped or repeated is counted here. */
struct udp_rel_stats {
	uint64_t tx_data, tx_retx, tx_ack, tx_timeouts, tx_fast_retx;
	uint64_t rx_data, rx_ack, rx_dup, rx_early, rx_beyond_wnd, rx_nobuf;
	uint64_t rx_busy;     /* deliver() said -FI_EAGAIN */
	uint64_t rx_bad;      /* failed udp_rel_decode() or engine limits */
	uint64_t rx_bad_ack;  /* ack of something never sent */
	uint64_t tx_rto_undo; /* timeouts found spurious and undone */
	uint64_t rx_proto;    /* fragment out of place in its message */
	uint64_t rx_stale;    /* addressed to or from an old incarnation */
	uint64_t peers_dead, peers_restarted;
};

enum udp_rel_peer_state {
	UDP_REL_PEER_ALIVE = 0,
	UDP_REL_PEER_DEAD, /* sends fail until the peer shows a new epoch */
};

enum udp_rel_txpkt_state {
	UDP_REL_PKT_FREE = 0,
	UDP_REL_PKT_INFLIGHT, /* sent, not acked, not given up on */
	UDP_REL_PKT_LOST,     /* waiting for retransmission */
	UDP_REL_PKT_ACKED,    /* selectively acked, cumulative ack pending */
};

struct udp_rel_txpkt {
	struct udp_rel_send *op;
	uint8_t *copy;    /* copied send: its payload (tx copy pool), or NULL */
	uint64_t off;     /* of the fragment in op's message */
	uint64_t sent_ns; /* of the latest transmission */
	uint64_t order;   /* transmission counter at the latest transmission */
	uint32_t len;
	uint8_t state;    /* enum udp_rel_txpkt_state */
	uint8_t retx;     /* sent more than once: no RTT sample (Karn) */
};

#define UDP_REL_RETIRED 2

struct udp_rel_peer {
	uint32_t id;
	uint32_t epoch;    /* the peer's incarnation, 0 until heard */
	uint32_t retired[UDP_REL_RETIRED]; /* its earlier ones, dropped */
	uint8_t state;     /* enum udp_rel_peer_state */
	bool active;       /* on the endpoint's active list */
	struct udp_rel_peer *act_next, *act_prev;
	uint64_t last_heard; /* time of the last valid packet from it */
	void *user;        /* the engine's user's: never touched here */

	/* send side */
	struct udp_rel_txpkt *txr; /* txr_mask + 1 slots, indexed seq & mask */
	uint32_t txr_mask; /* ring slots - 1: tx_ring_init, doubled on demand */
	uint32_t snd_una;  /* oldest unacknowledged seq */
	uint32_t snd_nxt;  /* next new seq */
	uint32_t peer_wnd; /* credit: seqs below snd_una + peer_wnd */
	uint32_t inflight; /* packets INFLIGHT */
	uint32_t nlost;    /* packets LOST */
	uint32_t lost_hint; /* no LOST packet has a seq below this */
	uint32_t cwnd_fp;  /* congestion window, packets * 256 */
	uint32_t ssthresh; /* packets */
	uint32_t recover;  /* no further decrease for losses below this seq */
	uint32_t retx_credit; /* fast-detected losses to resend past cwnd */
	uint64_t order;    /* transmissions so far */
	uint64_t acked_order; /* highest order acknowledged */
	struct udp_rel_send *q_head, *q_tail; /* unfinished sends, FIFO */
	struct udp_rel_send *seg;  /* first send not fully segmented */
	uint32_t tx_msg_id;
	uint64_t busy_since; /* when sends became outstanding */
	uint64_t srtt, rttvar, rto; /* ns */
	bool have_rtt;
	uint32_t backoff;  /* consecutive timeouts */
	/* Spurious-timeout undo: `order` when the last timeout fired (0: none
	 * to undo) and the congestion state it replaced. */
	uint64_t rto_order;
	uint32_t undo_cwnd_fp, undo_ssthresh;

	/* receive side */
	void **rxr;        /* rx_window early packets, indexed seq & mask */
	uint32_t rx_held;  /* occupied rxr slots */
	uint32_t rcv_nxt;  /* next seq to deliver */
	bool rx_in_msg;    /* a message is partly delivered */
	uint32_t rx_msg_id;
	uint64_t rx_msg_len, rx_off;
	bool ack_pending;
	bool ack_msg_done; /* the pending ack covers a message's end */
	uint32_t rx_unacked; /* in-order packets since the last ack */
	uint64_t ack_deadline;
};

struct udp_rel_ep {
	struct udp_rel_cfg cfg;
	struct udp_rel_ops ops;
	void *ctx;
	uint32_t epoch;              /* ours, nonzero */
	struct udp_rel_peer **peers; /* cfg.max_peers slots, NULL until used */
	struct udp_rel_peer *act_head; /* peers with work or timers */
	uint8_t *pool_mem;           /* rx_pool buffers of pool_buf_size */
	void **pool_free;
	uint32_t pool_nfree;
	size_t pool_buf_size;
	uint8_t *copy_mem;           /* tx_copy_pool buffers of mtu_payload */
	uint8_t **copy_free;
	uint32_t copy_nfree;
	/* Inside deliver(): a send queued by the callback (an RMA answer)
	 * is not transmitted at once but by the pump that follows the
	 * delivery, once the delivered packet counts as received, so its
	 * header acknowledges the request it answers (no separate ack, and
	 * the requester's completion does not wait for one). */
	bool in_deliver;
	struct udp_rel_stats stats;
};

/* A packet as decoded: host byte order, every field checked. */
struct udp_rel_pkt {
	uint8_t op;
	uint32_t src_epoch, dst_epoch, seq, ack, wnd;
	uint64_t sack;
	uint32_t msg_id, mflags;
	uint64_t msg_len, offset, tag, cq_data;
	const void *payload;
	size_t paylen;
};

/* Why udp_rel_decode() refused a packet. */
enum udp_rel_bad {
	UDP_REL_BAD_SHORT = 1,  /* shorter than its header */
	UDP_REL_BAD_MAGIC,
	UDP_REL_BAD_VERSION,
	UDP_REL_BAD_OP,
	UDP_REL_BAD_FLAGS,      /* unknown flag bits or nonzero reserved */
	UDP_REL_BAD_EPOCH,      /* src_epoch 0 */
	UDP_REL_BAD_LEN,        /* datagram length disagrees with paylen */
	UDP_REL_BAD_WND,
	UDP_REL_BAD_MSG,        /* offset/length/mflags inconsistent */
	UDP_REL_BAD_COUNT
};

/* Check every field of a received datagram and fill *out. 0, or a
 * positive enum udp_rel_bad. Pure: touches nothing else. */
int udp_rel_decode(const void *pkt, size_t len, struct udp_rel_pkt *out);

/* Set up ep. epoch: a random nonzero incarnation id. 0 or -FI_E*. */
int udp_rel_init(struct udp_rel_ep *ep, const struct udp_rel_cfg *cfg,
		 const struct udp_rel_ops *ops, void *ctx, uint32_t epoch);
/* Fail every outstanding send with -FI_ECANCELED, free everything. */
void udp_rel_fini(struct udp_rel_ep *ep);

/* Queue op (caller fills iov, iov_cnt, mflags, tag, cq_data) to peer.
 * 0; -FI_EINVAL (bad peer, iov, size); -FI_EHOSTUNREACH (peer dead);
 * -FI_ENOMEM (peer state). */
int udp_rel_send(struct udp_rel_ep *ep, uint32_t peer,
		 struct udp_rel_send *op, uint64_t now);
/* The same, but the engine reads op's buffers only while cutting a packet
 * for its first transmission, and copies it into a buffer of its own
 * (cfg.tx_copy_pool; none free: the packet waits, polled by progress) that
 * every retransmission uses. The caller may then free or unmap the
 * buffers once every packet has gone out once, before send_done: needed
 * where the buffers are not the sender's to keep (an RMA read answer
 * comes from a registered region that the application may close once the
 * initiator has its data). Costs one copy per packet. */
int udp_rel_send_copy(struct udp_rel_ep *ep, uint32_t peer,
		      struct udp_rel_send *op, uint64_t now);

/* One datagram arrived from peer. 0 if it was taken (possibly as a
 * duplicate), a positive enum udp_rel_bad if dropped as malformed,
 * -FI_E* if dropped for another reason (counted in stats either way). */
int udp_rel_recv(struct udp_rel_ep *ep, uint32_t peer, const void *pkt,
		 size_t len, uint64_t now);

/* Run timers (retransmits, delayed acks, dead peers) and send what the
 * windows allow. Returns the earliest time progress has work again
 * (UINT64_MAX: none until something arrives or is sent). */
uint64_t udp_rel_progress(struct udp_rel_ep *ep, uint64_t now);

/* Send the pending acks that cover the end of a message or whose delay
 * (cfg.ack_delay_ns) is over; cheaper than udp_rel_progress(). The
 * provider calls it after every read batch, before returning to the
 * application. Acks owed for ack_every packets, gaps or duplicates are
 * sent at once anyway; the rest wait for the delay or ride on data. */
void udp_rel_flush_acks(struct udp_rel_ep *ep, uint64_t now);

/* The peer's state, NULL if never used. */
static inline struct udp_rel_peer *udp_rel_peer_get(struct udp_rel_ep *ep,
						    uint32_t peer)
{
	return peer < ep->cfg.max_peers ? ep->peers[peer] : NULL;
}

/* Current retransmit timeout to peer, backoff included (ns). */
uint64_t udp_rel_peer_rto(const struct udp_rel_ep *ep,
			  const struct udp_rel_peer *p);

/* Bytes of state held for peer p right now (for the docs' memory figure). */
size_t udp_rel_peer_mem(const struct udp_rel_ep *ep,
			const struct udp_rel_peer *p);

/* Give peer `from`'s whole state (streams, queued sends, timers) the index
 * `to`, which must be unused: the provider learned the peer's real index
 * (an address first heard from outside the AV was inserted). Later
 * callbacks name `to`. 0 or -FI_EINVAL. */
int udp_rel_peer_move(struct udp_rel_ep *ep, uint32_t from, uint32_t to);

#endif
