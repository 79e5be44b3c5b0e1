/* udp provider, FI_EP_RDM: reliable connectionless endpoints over one UDP
 * socket, on top of the reliability engine (udp_rel.h).
 *
 * Peers are AV entries: the engine's peer index is the fi_addr_t slot
 * index, so per-peer state is found without a lookup on send, and by one
 * weft_av_reverse() of the source sockaddr on receive. Datagrams from
 * addresses not in the AV are dropped and counted (the sender retries until
 * the address is inserted or it gives up on us).
 *
 * Locking: everything below is owned by util.lock (a no-op below the
 * threading levels that need it): the engine, the queues and the pools.
 * The engine's callbacks run with it held.
 */
#ifndef WEFT_UDP_RDM_H
#define WEFT_UDP_RDM_H

#include "udp.h"
#include "udp_rel.h"
#include "util/match.h"

#define UDP_RDM_INJECT_SIZE 1024
#define UDP_RDM_MAX_MSG_SIZE ((size_t)1 << 31)
#define UDP_RDM_MAX_PEERS 65536
/* Bytes of unexpected messages an endpoint buffers before it stops
 * accepting new ones (the senders retry: receiver-not-ready). */
#define UDP_RDM_UNEXP_LIMIT ((size_t)64 << 20)

/* A send in flight: owned by the engine from udp_rel_send() to
 * send_done(). */
struct udp_rdm_tx {
	struct udp_rel_send rel; /* first */
	struct udp_rdm_tx *next_free;
	void *context;
	uint64_t flags;  /* completion flags + the op's FI_COMPLETION */
	size_t len;
	bool report;     /* false for fi_inject*: counter only */
	uint8_t inject[UDP_RDM_INJECT_SIZE];
};

/* A receive: posted by the application (posted queue), or a message that
 * arrived before its receive (unexpected queue, data in ux_buf). While a
 * message is arriving, the sending peer's engine state points at the
 * entry that collects it (udp_rel_peer.user). */
struct udp_rdm_rx {
	struct weft_match match; /* posted: tag/ignore/src; arrived: tag/src */
	struct udp_rdm_rx *next_free;
	void *context;
	uint64_t flags;          /* posted: FI_COMPLETION etc. */
	bool tagged;
	bool unexpected;         /* lives in an unexpected queue */
	bool arriving;           /* collecting fragments */
	struct iovec iov[UDP_IOV_LIMIT];
	size_t iov_cnt, capacity;
	/* the message */
	uint32_t peer;
	uint64_t msg_len, got;
	uint64_t cq_data;
	uint32_t mflags;
	uint8_t *ux_buf;         /* unexpected: msg_len bytes */
};

struct udp_rdm_stats {
	uint64_t rx_unknown; /* from addresses not in the AV */
	uint64_t rx_short;   /* shorter than any header */
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
	struct weft_match_queue posted_msg, posted_tag;
	struct weft_match_queue unexp_msg, unexp_tag;
	size_t unexp_bytes;

	uint64_t drop_rng;   /* state of the FI_UDP_RDM_DROP_PPM coin */
	uint8_t *rbuf;       /* one datagram */
	size_t rbuf_len;
	union udp_sockaddr rsrc;
	struct udp_rdm_stats stats;
};

int udp_rdm_endpoint_open(struct fid_domain *domain, struct fi_info *info,
			  struct fid_ep **ep, void *context);

#endif
