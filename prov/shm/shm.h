/* shm provider: FI_EP_RDM between processes of one node through shared
 * memory. Internal types shared by the provider's files.
 *
 * Each endpoint owns one segment (shm_proto.h) whose ring is its receive
 * queue; a sender claims an entry in the receiver's ring and writes the
 * message into it (small messages), or announces it there (larger ones:
 * the receiver then pulls the data with process_vm_readv, or asks for it
 * through bounce buffers in the sender's segment).
 *
 * Objects embed their weft_* base first; shm_*_of() converts back.
 * Locking: the endpoint's data path runs under util.lock (a no-op below
 * FI_THREAD_SAFE). Peers' segments are only touched through the ring
 * protocol and the doorbell atomics.
 */
#ifndef WEFT_SHM_H
#define WEFT_SHM_H

#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_atomic.h>
#include <rdma/fi_rma.h>
#include <rdma/fi_tagged.h>
#include <rdma/providers/fi_log.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "core/prov.h"
#include "lib/atomics.h"
#include "lib/hash.h"
#include "lib/list.h"
#include "shm_proto.h"
#include "util/ep.h"
#include "util/fabric.h"
#include "util/match.h"
#include "util/mrecv.h"

#define SHM_DEF_TX_SIZE 256
#define SHM_DEF_RX_SIZE 256
#define SHM_MAX_QUEUE_SIZE 65536
#define SHM_MAX_MSG_SIZE ((size_t)1 << 32)
#define SHM_NAME_MAX 64
/* Bytes one process_vm_readv moves per progress call for a large
 * message. */
#define SHM_CMA_CHUNK ((size_t)256 * 1024)
#define SHM_ADDR_PREFIX "fi_shm://"

extern struct fi_provider shm_prov;
extern const struct weft_prov_desc shm_desc;
extern const struct fi_info *const shm_infos[];

/* Tunables, read once by shm_init() (help texts in shm_init.c). */
struct shm_params {
	int cma;              /* FI_SHM_CMA: 1 use CMA if it works, 0 never */
	size_t ring_size;     /* FI_SHM_RING_SIZE: entries, power of two */
	size_t bounce_count;  /* FI_SHM_BOUNCE_COUNT: slots (<= 64) */
	size_t bounce_size;   /* FI_SHM_BOUNCE_SIZE: bytes per slot */
	size_t max_peers;     /* FI_SHM_MAX_PEERS: peers per endpoint */
	size_t eager_size;    /* FI_SHM_EAGER_SIZE: largest eager message */
	int coop;             /* FI_SHM_COOP: senders help copy (shm_coop.c) */
	size_t cma_min;       /* FI_SHM_CMA_MIN: smaller RTS go through bounce
				 buffers even with CMA */
};
extern struct shm_params shm_params;
/* Whether process_vm_readv works in this process at all (self-test at
 * init) and the parameter allows it. */
extern bool shm_cma_usable;

int shm_info_fixup(uint32_t version, const char *node, const char *service,
		   uint64_t flags, const struct fi_info *hints,
		   struct fi_info *info, struct fi_info **last);

/* ---- ordering helpers -------------------------------------------------
 * The doorbell needs a store followed by a load of another location to be
 * ordered in both processes (Dekker: the owner stores `armed` then reads
 * the ring; a sender stores an entry's seq then reads `armed`), which
 * acquire/release cannot give. These are the sequentially consistent forms
 * (for src/lib/atomics.h later). */
static inline void shm_store_sc(_Atomic uint64_t *p, uint64_t v)
{
	atomic_store_explicit(p, v, memory_order_seq_cst);
}

static inline uint64_t shm_load_sc(_Atomic uint64_t *p)
{
	return atomic_load_explicit(p, memory_order_seq_cst);
}

static inline uint64_t shm_xchg_sc(_Atomic uint64_t *p, uint64_t v)
{
	return atomic_exchange_explicit(p, v, memory_order_seq_cst);
}

static inline uint64_t shm_add_sc(_Atomic uint64_t *p, uint64_t v)
{
	return atomic_fetch_add_explicit(p, v, memory_order_seq_cst);
}

/* ---- segments (shm_region.c) ------------------------------------------ */

struct shm_region {
	struct shm_seg_hdr *hdr; /* NULL while not mapped */
	size_t size;
	struct shm_entry *ring;
	uint64_t mask;           /* ring_size - 1 */
	uint8_t *bounce;
	uint32_t bounce_count, bounce_size;
	uint64_t reserve;        /* entries kept for answers: ring_size / 2 */
};

/* Create (owner) / map (peer) / unmap a segment. Names: shm_seg_name. */
int shm_region_create(struct shm_region *r, uint32_t pid, uint32_t n);
int shm_region_map(struct shm_region *r, uint32_t pid, uint32_t n);
void shm_region_unmap(struct shm_region *r);
/* Whether the segment file is still there (its owner has not closed). */
bool shm_region_exists(uint32_t pid, uint32_t n);
/* Unlink our segment file (close, exit). */
void shm_region_unlink(uint32_t pid, uint32_t n);
/* Remove segments of dead processes of this user (once per process). */
void shm_region_reclaim(void);
void shm_seg_name(char *buf, size_t len, uint32_t pid, uint32_t n);
void shm_bell_addr(struct sockaddr_un *sun, socklen_t *len, uint32_t pid,
		   uint32_t n);
/* Parse "fi_shm://<pid>:<n>"; 0 or -FI_EINVAL. */
int shm_name_parse(const char *s, size_t len, uint32_t *pid, uint32_t *n);
/* Register / forget a segment for the exit-time unlink. */
void shm_exit_track(uint32_t pid, uint32_t n, bool add);

/* Claim the next entry of r's ring (producer side). NULL when full. On
 * success *pos is the index to publish.
 *
 * Room for replies: a data entry (a message, a chunk, an RMA or atomic
 * request: everything that is not an answer) is only claimed while at
 * least r->reserve entries behind it are free too; answers (CTS, CREDIT,
 * DONE, ATOMIC_RESP) may use the whole ring. The owner bounds the answers
 * it can be owed (shm_ep.max_pending), so they always find room and never
 * wait on the answering side's progress. */
/* The sequence number of the entry at ring position pos, for a producer.
 * The ring is not initialised entry by entry (that would make all of its
 * pages resident at creation): a zero word is entry i's initial seq = i.
 * Zero is never written later (publish stores pos + 1 >= 1, the consumer
 * frees with head + ring_size >= ring_size), and the consumer, waiting
 * for head + 1, never takes it for a published entry. Acquire: pairs with
 * the consumer's release when it freed the entry, so a producer's writes
 * cannot overtake the consumer's reads of the previous lap's contents. */
static inline uint64_t shm_seq_load(const struct shm_region *r, uint64_t pos)
{
	uint64_t seq = weft_load_acquire(&r->ring[pos & r->mask].seq);

	return seq ? seq : pos & r->mask;
}

static inline struct shm_entry *shm_ring_claim_at(struct shm_region *r,
						  uint64_t *pos,
						  uint64_t reserve)
{
	uint64_t p = weft_load_relaxed(&r->hdr->tail);

	for (;;) {
		struct shm_entry *e = &r->ring[p & r->mask];
		/* Acquire: pairs with the consumer's release when it freed
		 * the entry, so our writes below cannot overtake its reads
		 * of the previous lap's contents. */
		uint64_t seq = shm_seq_load(r, p);
		int64_t diff = (int64_t)(seq - p);

		if (diff == 0) {
			/* The consumer frees in order: if the entry reserve
			 * places ahead is free for this lap, so is everything
			 * in between. */
			if (reserve && shm_seq_load(r, p + reserve) !=
					       p + reserve)
				return NULL;
			/* acq_rel: the claim orders nothing by itself, but
			 * the helper is the one CAS we have. */
			if (weft_cas_acq_rel(&r->hdr->tail, &p, p + 1)) {
				*pos = p;
				return e;
			}
			/* p now holds the current tail: retry there. */
		} else if (diff < 0) {
			return NULL; /* not freed by the consumer: full */
		} else {
			/* Another producer took p already. */
			p = weft_load_relaxed(&r->hdr->tail);
		}
	}
}

/* A data entry (see above). */
static inline struct shm_entry *shm_ring_claim(struct shm_region *r,
					       uint64_t *pos)
{
	return shm_ring_claim_at(r, pos, r->reserve);
}

/* An answer: may use the reserve. */
static inline struct shm_entry *shm_ring_claim_reply(struct shm_region *r,
						     uint64_t *pos)
{
	return shm_ring_claim_at(r, pos, 0);
}

/* Publish a claimed entry. Sequentially consistent (not just release) so
 * that the sender's following look at the owner's `armed` flag cannot be
 * ordered before it (see the doorbell in shm_proto.h); release is the part
 * the consumer's acquire load of seq pairs with. */
static inline void shm_ring_publish(struct shm_entry *e, uint64_t pos)
{
	shm_store_sc(&e->seq, pos + 1);
}

/* ---- peers --------------------------------------------------------------- */

/* A control entry that found the peer's ring full, kept for later. */
struct shm_ctrl {
	struct weft_list link;
	struct shm_peer *peer;
	struct shm_entry e; /* seq unused */
};

struct shm_peer {
	uint64_t id;            /* pid << 32 | n */
	uint32_t pid, n;
	struct shm_region seg;  /* mapped on first use */
	fi_addr_t fi_addr;      /* reverse-looked-up source, once known */
	bool addr_known;
	bool cma_denied;        /* CMA from this peer failed with EPERM */
	bool coop_denied;       /* CMA writes to this peer fail: no help */
	bool dead;              /* its process is gone */
	bool out;               /* we address it (counts for max_peers) */
	struct sockaddr_un bell;
	socklen_t bell_len;
	struct weft_list link;  /* ep->peer_list */
};

/* ---- operations -------------------------------------------------------- */

enum shm_tx_state {
	SHM_TX_FREE,
	SHM_TX_WAIT,
	SHM_TX_BOUNCE,
	SHM_TX_COOP, /* helping its receiver copy (shm_coop.c) */
};

/* A send waiting for its receiver (rendezvous). The cookie sent in its RTS
 * is gen << 32 | index, so a stale or forged reply finds no op. */
struct shm_tx_op {
	enum shm_tx_state state;
	uint32_t gen;
	void *context;
	uint64_t flags;         /* op flags | FI_SEND | FI_MSG or FI_TAGGED */
	struct iovec iov[SHM_IOV_LIMIT];
	size_t iov_count;
	size_t len;
	uint64_t tag, data;
	struct shm_peer *peer;
	/* Bounce path: the receiver asked for `want` bytes for its rx_id;
	 * `sent` bytes are out, `inflight` slots not yet credited back. */
	uint64_t rx_id;
	size_t want, sent;
	uint64_t slots;         /* our bounce slots it holds */
	/* RMA through bounce slots (no CMA between us, shm_rma_copy.c):
	 * the remote ranges, the bytes acknowledged by the target, the first
	 * error it reported. Chunk 0 also makes the target check every
	 * range; nothing else is sent before it is acknowledged. */
	struct shm_rma_iov rma[SHM_IOV_LIMIT];
	size_t rma_count;
	size_t acked;
	int status;
	bool verified;
	/* Cooperative copy (shm_coop.c): the receiver's buffers and its
	 * slot; we write chunks from the back while it reads from the
	 * front. */
	struct shm_iov riov[SHM_IOV_LIMIT];
	uint16_t rcount;
	uint32_t coop_slot;
	uint64_t coop_gen;
	size_t coop_chunk;
	struct weft_list link;  /* ep->bounce_tx while pumping */
	struct shm_tx_op *next_free;
};

enum shm_rx_state {
	SHM_RX_FREE,
	SHM_RX_POSTED,
	SHM_RX_ACTIVE,
	SHM_RX_RETIRED, /* multi-receive buffer out of the posted queue,
			   waiting for its messages in flight */
};

/* A posted receive; ACTIVE while a bounce transfer fills it.
 *
 * Multi-receive (FI_MULTI_RECV, shm_mrecv.c): the posted buffer is an
 * entry with `multi` set whose `mrecv` hands out its space; a message
 * that lands at once (inline, eager) completes straight from it, one that
 * needs a transfer gets an entry of its own (`parent` names the buffer)
 * whose end completes through the buffer. */
struct shm_rx {
	struct weft_match m;    /* first: posted queues; tag/ignore/addr */
	enum shm_rx_state state;
	uint32_t gen;
	bool tagged;
	void *context;
	uint64_t flags;         /* op flags */
	struct iovec iov[SHM_IOV_LIMIT];
	size_t iov_count;
	size_t cap;
	/* Active transfer. */
	struct shm_peer *peer;
	uint64_t cookie;
	uint64_t msg_len;       /* what the sender sent */
	size_t want, got;
	uint64_t tag, data;
	uint64_t cflags;        /* completion flags */
	fi_addr_t src;
	bool cma;               /* read with CMA a chunk at a time */
	struct shm_iov siov[SHM_IOV_LIMIT]; /* the sender's buffers (CMA) */
	uint16_t scount;
	struct weft_list active; /* ep->rx_active */
	struct shm_rx *next_free;
	bool posted;            /* counts in ep->rx_nposted */
	bool multi;             /* a multi-receive buffer */
	struct weft_mrecv mrecv; /* ... its bookkeeping */
	struct shm_rx *parent;  /* a message landing in that buffer */
	/* Cooperative copy (shm_coop.c): our slot in self's header page,
	 * its generation and chunk size; `got` counts our own bytes. */
	bool coop;
	int coop_err;
	uint32_t coop_slot;
	uint64_t coop_gen;
	size_t coop_chunk;
};

/* A message that arrived before its receive. */
struct shm_unexp {
	struct weft_match m;    /* tag, addr = sender's fi_addr */
	struct shm_peer *peer;
	uint8_t op;             /* SHM_OP_INLINE or SHM_OP_RTS */
	uint8_t flags;
	uint16_t iov_count;
	uint64_t data, len, cookie;
	void *claim_ctx;        /* FI_CLAIM: the context that claimed it */
	struct shm_iov iov[SHM_IOV_LIMIT];
	uint8_t payload[];      /* INLINE: len bytes */
};

struct shm_ep {
	struct weft_ep util;    /* first */
	uint32_t pid, n;
	char name[SHM_NAME_MAX];
	size_t namelen;         /* with the NUL */
	struct shm_region self;
	uint64_t head;          /* consumer index of our ring (owner only) */
	int bell_fd;            /* doorbell: bound unix datagram socket */
	bool armed;             /* what we last published in self.hdr */
	bool cma;               /* announce and use CMA */
	bool want_source, directed;
	bool source_err;        /* FI_SOURCE_ERR: unknown senders are errors */
	/* Unexpected untagged messages wait for a receive entry to land in
	 * a multi-receive buffer: later ones queue behind them (order). */
	bool mrecv_stalled;
	uint64_t av_gen;        /* the AV's gen when by_addr was filled */

	size_t inject_size, max_msg_size;
	size_t tx_size, rx_size;
	/* Operations that can be owed answers (rendezvous sends, RMA,
	 * atomics) at most in flight: their answers (CTS + DONE each, one
	 * CREDIT per bounce slot) must fit in our ring's reserve. */
	size_t max_pending;

	struct weft_hash peers; /* id -> struct shm_peer * */
	size_t npeers;
	size_t npeers_out;      /* peers with `out`: FI_SHM_MAX_PEERS */
	struct weft_list peer_list; /* every peer, for close */
	struct shm_peer **by_addr; /* AV index -> peer cache */
	size_t by_addr_cap;
	struct shm_peer *last_peer; /* last sender seen */

	struct shm_tx_op *tx_ops;
	struct shm_tx_op *tx_free;
	size_t tx_busy;
	struct weft_list bounce_tx;

	struct shm_rx *rx_ops;      /* rx_pool entries: rx_size for posts,
				       as many for multi-receive transfers */
	struct shm_rx *rx_free;
	size_t rx_pool, rx_nfree;
	size_t rx_nposted;          /* entries of posts (<= rx_size) */
	struct weft_list rx_active;  /* receives in progress: bounce or CMA */
	size_t cma_pending;          /* ... of which CMA (shm_cma_pump) */

	struct weft_match_queue posted_msg, posted_tag;
	struct weft_match_queue unexp_msg, unexp_tag;
	struct weft_list claimed; /* shm_unexp claimed with FI_CLAIM */

	struct weft_list ctrl_q;  /* struct shm_ctrl, oldest first */
	uint64_t bounce_free;     /* bit i: our bounce slot i is free */
	uint64_t eager_slots;     /* bit i: slot i holds an eager message */
	/* RMA chunk in slot i (shm_rma_copy.c): its offset in the op. */
	uint64_t slot_off[64];
	uint32_t slot_len[64];
	/* Cooperative copies (shm_coop.c): free slots of our header page
	 * (bit i), the next generation, and the sends we help copy. */
	uint64_t coop_free;
	uint64_t coop_gen;
	struct weft_list coop_tx;
	struct shm_peer *eager_peer[64]; /* ... sent to this peer */
	size_t eager_max;         /* messages up to this go eager */

	uint64_t next_check_ns;   /* liveness check of peers */
	unsigned check_tick;
	uint64_t rx_bad;          /* malformed entries dropped */
};

static inline struct shm_ep *shm_ep_of(struct fid_ep *e)
{
	return weft_container_of(e, struct shm_ep, util.ep_fid);
}

static inline struct shm_ep *shm_ep_of_fid(struct fid *f)
{
	return shm_ep_of(weft_container_of(f, struct fid_ep, fid));
}

/* ---- fabric, domain, endpoint -------------------------------------------- */

int shm_fabric_open(struct fi_fabric_attr *attr, struct fid_fabric **fabric,
		    void *context);
int shm_domain_open(struct fid_fabric *fabric, struct fi_info *info,
		    struct fid_domain **domain, void *context);
int shm_endpoint_open(struct fid_domain *domain, struct fi_info *info,
		      struct fid_ep **ep, void *context);

/* Peers (shm_ep.c). Caller holds ep->util.lock. */
struct shm_peer *shm_peer_get(struct shm_ep *ep, uint32_t pid, uint32_t n);
/* The peer for an AV address, its segment mapped: NULL and *err set. */
struct shm_peer *shm_peer_of_addr(struct shm_ep *ep, fi_addr_t addr, int *err);
int shm_peer_map(struct shm_ep *ep, struct shm_peer *peer);
/* The sender's fi_addr for FI_SOURCE / directed receive. */
fi_addr_t shm_peer_src(struct shm_ep *ep, struct shm_peer *peer);
bool shm_pid_alive(uint32_t pid);

/* Data path (shm_msg.c) and progress (shm_progress.c). */
extern struct fi_ops_msg shm_msg_ops;
extern struct fi_ops_tagged shm_tagged_ops;
extern struct fi_ops_rma shm_rma_ops;
extern struct fi_ops_atomic shm_atomic_ops;
int shm_query_atomic(struct fid_domain *domain, enum fi_datatype dt,
		     enum fi_op op, struct fi_atomic_attr *attr,
		     uint64_t flags);
/* Atomics (shm_atomic.c): target side, and the answer at the initiator.
 * Caller holds ep->util.lock. */
void shm_rx_atomic(struct shm_ep *ep, struct shm_peer *peer,
		   const struct shm_entry *h, const uint8_t *payload);
void shm_tx_atomic_resp(struct shm_ep *ep, struct shm_peer *peer,
			const struct shm_entry *h, const uint8_t *payload);
/* The send op a reply's cookie names (NULL if stale or forged), and its
 * end: completion or error (shm_progress.c). */
struct shm_tx_op *shm_tx_lookup(struct shm_ep *ep, uint64_t cookie,
				struct shm_peer *peer);
void shm_tx_end(struct shm_ep *ep, struct shm_tx_op *op, int status,
		int prov_errno);
/* Target side of RMA requests (shm_rma.c); caller holds ep->util.lock. */
void shm_rx_rma(struct shm_ep *ep, struct shm_peer *peer,
		const struct shm_entry *h, const uint8_t *payload);
void shm_ep_progress(struct weft_ep *ep);
/* Caller holds ep->util.lock. */
void shm_progress_locked(struct shm_ep *ep);
/* Start a matched receive with an arrived message (inline or RTS). */
void shm_rx_start(struct shm_ep *ep, struct shm_rx *rx, struct shm_peer *peer,
		  uint8_t op, uint8_t flags, uint64_t tag, uint64_t data,
		  uint64_t len, uint64_t cookie, const void *payload,
		  uint16_t iov_count, const struct shm_iov *iov);
/* Tell peer that message `cookie` is over (status: positive FI_E* or 0). */
void shm_send_done(struct shm_ep *ep, struct shm_peer *peer, uint64_t cookie,
		   uint32_t status);
/* Queue or send a control entry to peer. */
void shm_ctrl_send(struct shm_ep *ep, struct shm_peer *peer,
		   const struct shm_entry *tmpl);
/* Send queued control entries while their peers have room. */
void shm_ctrl_flush(struct shm_ep *ep);
/* Ring peer's doorbell: slow part. */
void shm_bell_ring_slow(struct shm_ep *ep, struct shm_peer *peer);
/* After publishing an entry in peer's ring: wake it if it may sleep. The
 * load is sequentially consistent, paired with shm_ring_publish's store
 * and the owner's store of `armed` (see shm_proto.h). */
static inline void shm_bell_ring(struct shm_ep *ep, struct shm_peer *peer)
{
	if (shm_load_sc(&peer->seg.hdr->armed))
		shm_bell_ring_slow(ep, peer);
}
/* Fill header fields common to every entry we send. */
static inline void shm_entry_init(const struct shm_ep *ep, struct shm_entry *e,
				  uint8_t op, uint8_t flags)
{
	e->op = op;
	e->flags = flags;
	e->iov_count = 0;
	e->src_n = ep->n;
	e->src_pid = ep->pid;
}

void shm_rx_free(struct shm_ep *ep, struct shm_rx *rx);
/* A finished receive (shm_progress.c): its completion, then free it. */
void shm_rx_finish(struct shm_ep *ep, struct shm_rx *rx);
void shm_rx_fail(struct shm_ep *ep, struct shm_rx *rx, int err,
		 int prov_errno);

/* Multi-receive buffers (shm_mrecv.c). Caller holds ep->util.lock. */
ssize_t shm_mrecv_post(struct shm_ep *ep, const struct iovec *iov,
		       size_t count, fi_addr_t src, uint64_t flags,
		       void *context);
/* Land a message in the multi-receive buffer rx: false when it needs a
 * receive entry and none is free (the caller queues it as unexpected and
 * sets mrecv_stalled). */
bool shm_mrecv_take(struct shm_ep *ep, struct shm_rx *rx,
		    struct shm_peer *peer, uint8_t op, uint8_t flags,
		    uint64_t data, uint64_t len, uint64_t cookie,
		    const void *payload, uint16_t iov_count,
		    const struct shm_iov *iov);
/* The end of a message that landed in a multi-receive buffer (err 0:
 * success, truncation decided from the lengths). Frees rx, and the
 * buffer once it is released. */
void shm_mrecv_child_end(struct shm_ep *ep, struct shm_rx *rx, int err,
			 int prov_errno);
/* fi_cancel of a multi-receive buffer still posted. */
void shm_mrecv_cancel(struct shm_ep *ep, struct shm_rx *rx);
/* Retry unexpected untagged messages once receive entries are free. */
void shm_mrecv_unstall(struct shm_ep *ep);

/* FI_SOURCE_ERR (shm_mrecv.c): a completed message from a sender the AV
 * does not hold, reported with the sender's name as err_data. */
void shm_rx_source_error(struct shm_ep *ep, struct shm_peer *peer,
			 void *context, uint64_t flags, void *buf, size_t len,
			 uint64_t data, uint64_t tag);

/* RMA through bounce slots (shm_rma_copy.c). */
void shm_rma_copy_start(struct shm_ep *ep, struct shm_tx_op *op);
bool shm_rma_copy_pump(struct shm_ep *ep, struct shm_tx_op *op);
void shm_rx_rma_chunk(struct shm_ep *ep, struct shm_peer *peer,
		      const struct shm_entry *h, const uint8_t *payload);
void shm_tx_rma_ack(struct shm_ep *ep, struct shm_peer *peer,
		    const struct shm_entry *h, const uint8_t *payload);
/* RMA target: events after a write or read landed (shm_rma.c). */
void shm_rma_events(struct shm_ep *ep, struct shm_peer *peer, bool write,
		    uint8_t flags, uint64_t data, size_t len);
struct shm_rx *shm_rx_alloc(struct shm_ep *ep);
struct shm_rx *shm_rx_alloc_post(struct shm_ep *ep);
void shm_tx_free(struct shm_ep *ep, struct shm_tx_op *op);
/* Fail every op that waits on a dead peer. */
void shm_peer_failed(struct shm_ep *ep, struct shm_peer *peer);

/* Cooperative CMA copies of large messages (shm_coop.c). Caller holds
 * ep->util.lock. shm_coop_start: rx (matched with a CMA RTS, siov set)
 * is taken over if it is large enough and a slot is free: true, and rx
 * is active (rx->cma, rx->coop) or already ended. shm_coop_rx_step moves
 * more of it (true if it did something or ended it). */
bool shm_coop_start(struct shm_ep *ep, struct shm_rx *rx);
bool shm_coop_rx_step(struct shm_ep *ep, struct shm_rx *rx);
/* Release rx's slot (from shm_rx_free). */
void shm_coop_release(struct shm_ep *ep, struct shm_rx *rx);
/* Sender side: a COOP request, and the chunks we write. */
void shm_tx_coop(struct shm_ep *ep, struct shm_peer *peer,
		 const struct shm_entry *h, const uint8_t *payload);
void shm_coop_tx_pump(struct shm_ep *ep);
/* Move bytes [off, off + len) of a message between local and remote
 * (process pid) buffers with one process_vm_readv/writev per pass: 0 or
 * an errno. */
int shm_cma_xfer(uint32_t pid, const struct iovec *liov, size_t lc,
		 const struct shm_iov *riov, size_t rc, size_t off, size_t len,
		 bool write);

/* Copy helpers (shm_msg.c): scatter src into an iov from offset. */
size_t shm_copy_to_iov(const struct iovec *iov, size_t count, size_t offset,
		       const void *src, size_t len);
size_t shm_copy_from_iov(void *dst, const struct iovec *iov, size_t count,
			 size_t offset, size_t len);

static inline int shm_errno_to_fi(int err)
{
	return -err; /* FI_E* values are the errno values on Linux */
}

#endif
