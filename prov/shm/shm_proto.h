/* The shm provider's shared-memory layout: one segment per endpoint, in
 * /dev/shm, created by the endpoint that owns it (the receiver) and mapped
 * by its peers on first contact.
 *
 *   offset 0                 struct shm_seg_hdr (identity, layout, flags)
 *   hdr.ring_off             ring_size x struct shm_entry (the receive queue)
 *   hdr.bounce_off           bounce_count x bounce_size bytes (copy path)
 *
 * The file is created sparse (ftruncate), so pages of the ring and of the
 * bounce area only take memory once touched.
 *
 * The receive queue is a bounded multi-producer, single-consumer ring with
 * a sequence number per entry (free-running 64-bit indices):
 *  - entry i of the ring starts with seq = i;
 *  - a producer reads tail = p, finds entry p & mask with seq == p (free for
 *    this lap), claims it with a compare-and-swap of tail p -> p + 1, fills
 *    it and publishes it with a release store seq = p + 1;
 *    seq < p means the consumer has not freed it yet: the ring is full;
 *  - the consumer (the owner, alone) waits for seq == head + 1 at
 *    head & mask (acquire), reads the entry and frees it with a release
 *    store seq = head + ring_size.
 * No producer waits for another: a claim either succeeds or reports full.
 *
 * Everything a peer wrote is untrusted: the consumer checks op, lengths,
 * slot numbers and ids before using them (shm_progress.c).
 *
 * All fields are fixed width, little-endian as the host (one node), with
 * no build-dependent members: every build maps the same layout. Values of
 * `op` that are retired stay reserved.
 */
#ifndef WEFT_SHM_PROTO_H
#define WEFT_SHM_PROTO_H

#include <assert.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Bumped on any incompatible change; reported as protocol_version. */
#define SHM_PROTO_VERSION 2
/* "WFTS" read as a little-endian 32-bit value. */
#define SHM_SEG_MAGIC 0x53544657u

#define SHM_CACHELINE 64

enum shm_op {
	SHM_OP_INVALID = 0, /* never sent: a zeroed entry is not a message */
	SHM_OP_INLINE = 1,  /* message, payload in the entry */
	SHM_OP_RTS = 2,     /* message announced; data pulled by the receiver
			       (CMA, payload holds the sender's iovs) or sent
			       on request through bounce buffers */
	SHM_OP_CTS = 3,     /* receiver -> sender: send `len` bytes of message
			       `cookie` through bounce buffers for rx `rx_id` */
	SHM_OP_DATA = 4,    /* sender -> receiver: bounce slot `slot` of the
			       sender's segment holds `len` bytes at message
			       offset `data`, for rx `rx_id` */
	SHM_OP_CREDIT = 5,  /* receiver -> sender: slot `slot` copied out */
	SHM_OP_DONE = 6,    /* receiver -> sender: message `cookie` is
			       finished (status 0 or a positive FI_E* code) */
	SHM_OP_RMA_WRITE = 7, /* initiator -> target: copy the initiator's
				 iovs into the target's registered ranges
				 (payload: shm_iov[lc] then shm_rma_iov[rc];
				 iov_count = lc | rc << 8); DONE answers */
	SHM_OP_RMA_READ = 8,  /* the same, the other way */
	SHM_OP_RMA_INLINE = 9, /* write of len bytes carried in the payload
				  after one shm_rma_iov; no answer */
	SHM_OP_ATOMIC = 10,   /* initiator -> target: payload = shm_rma_iov,
				 operand (len bytes), compare (len bytes);
				 slot = op | datatype << 8 | kind << 16;
				 cookie ~0 = no answer (inject) */
	SHM_OP_ATOMIC_RESP = 11, /* target -> initiator: status in slot, old
				    values (len bytes) in the payload */
	SHM_OP_EAGER = 12,    /* message of len bytes in the sender's bounce
				 slot `slot`; answered by CREDIT with cookie
				 SHM_EAGER_COOKIE */
	SHM_OP_RMA_WCHUNK = 13, /* initiator -> target, RMA without CMA:
				   `len` bytes in the initiator's bounce
				   slot `slot` go to the range in the
				   payload (one shm_rma_iov); `tag` is the
				   chunk's offset in the operation, `rx_id`
				   the operation's length. SHM_F_VERIFY:
				   iov_count more shm_rma_iov follow, every
				   range of the operation, all checked
				   before anything is written.
				   SHM_F_LAST: the operation's last chunk
				   (remote events, CQ data in `data`).
				   Answered by RMA_ACK */
	SHM_OP_RMA_RCHUNK = 14, /* the same for a read: the target copies
				   the range into the initiator's slot */
	SHM_OP_RMA_ACK = 15,    /* target -> initiator: chunk in `slot`
				   done, status (0 or a positive FI_E*)
				   in `data` */
	SHM_OP_COOP = 16,       /* receiver -> sender of an RTS read with
				   CMA: help copy. `slot` names a
				   shm_coop_slot in the receiver's segment
				   (generation in `tag`), `data` is the chunk
				   size, `len` the bytes wanted; the payload
				   holds the receive buffers (iov_count
				   shm_iov). The sender claims chunks from
				   the back and writes them with
				   process_vm_writev; DONE still ends it */
	SHM_OP_COUNT
};

/* The cookie of a CREDIT returning an eager message's slot. */
#define SHM_EAGER_COOKIE UINT64_MAX

/* Entry flags. */
#define SHM_F_TAGGED 0x01u  /* tag is valid, match in the tagged queues */
#define SHM_F_CQ_DATA 0x02u /* data carries remote CQ data */
#define SHM_F_CMA 0x04u     /* RTS: the receiver may read the sender's iovs
			       with process_vm_readv */
#define SHM_F_LAST 0x08u   /* RMA chunk: the operation's last */
#define SHM_F_VERIFY 0x10u /* RMA chunk: check every range first */
#define SHM_F_ACK 0x20u    /* INLINE / RMA_INLINE: answer DONE(cookie) once
			      the data is in place (FI_DELIVERY_COMPLETE
			      with FI_INJECT) */
#define SHM_F_KNOWN                                                            \
	(SHM_F_TAGGED | SHM_F_CQ_DATA | SHM_F_CMA | SHM_F_LAST |              \
	 SHM_F_VERIFY | SHM_F_ACK)

/* Bytes of payload an entry carries. */
#define SHM_INLINE_SIZE 192
/* Sender iovs an RTS can name (payload holds them as shm_iov). */
#define SHM_IOV_LIMIT 4

struct shm_iov {
	uint64_t addr; /* virtual address in the sender */
	uint64_t len;
};
static_assert(sizeof(struct shm_iov) == 16, "shm_iov is 16 bytes");
static_assert(SHM_IOV_LIMIT * sizeof(struct shm_iov) <= SHM_INLINE_SIZE,
	      "an RTS's iovs fit in the payload");

/* A remote range: key and address as the initiator names them. */
struct shm_rma_iov {
	uint64_t addr;
	uint64_t len;
	uint64_t key;
};
static_assert(sizeof(struct shm_rma_iov) == 24, "shm_rma_iov is 24 bytes");
static_assert(SHM_IOV_LIMIT * (sizeof(struct shm_iov) +
			       sizeof(struct shm_rma_iov)) <= SHM_INLINE_SIZE,
	      "an RMA request's iovs fit in the payload");
/* Bytes of operand one atomic request carries (twice for compare). */
#define SHM_ATOMIC_MAX_BYTES 64
static_assert(sizeof(struct shm_rma_iov) + 2 * SHM_ATOMIC_MAX_BYTES <=
		      SHM_INLINE_SIZE,
	      "an atomic request fits in the payload");
static_assert((1 + SHM_IOV_LIMIT) * sizeof(struct shm_rma_iov) <=
		      SHM_INLINE_SIZE,
	      "an RMA chunk with every range to verify fits in the payload");
/* Bytes an inline RMA write carries. */
#define SHM_RMA_INLINE_SIZE (SHM_INLINE_SIZE - sizeof(struct shm_rma_iov))

struct shm_entry {
	_Atomic uint64_t seq; /* ring protocol (see above) */
	uint8_t op;           /* enum shm_op */
	uint8_t flags;        /* SHM_F_* */
	uint16_t iov_count;   /* RTS: shm_iov entries in payload */
	uint32_t src_n;       /* sender endpoint's number in its process */
	uint32_t src_pid;     /* sender's process id */
	uint32_t slot;        /* DATA/CREDIT: bounce slot; DONE: status */
	uint64_t tag;
	uint64_t data;        /* remote CQ data; DATA: offset in the message */
	uint64_t len;         /* message / chunk / wanted length */
	uint64_t cookie;      /* sender's operation id (RTS, CTS, DATA, ...) */
	uint64_t rx_id;       /* receiver's operation id (CTS, DATA, CREDIT) */
	uint8_t payload[SHM_INLINE_SIZE];
};
static_assert(sizeof(struct shm_entry) == 256, "shm_entry is 256 bytes");
static_assert(offsetof(struct shm_entry, seq) == 0, "shm_entry.seq");
static_assert(offsetof(struct shm_entry, op) == 8, "shm_entry.op");
static_assert(offsetof(struct shm_entry, flags) == 9, "shm_entry.flags");
static_assert(offsetof(struct shm_entry, iov_count) == 10, "iov_count");
static_assert(offsetof(struct shm_entry, src_n) == 12, "shm_entry.src_n");
static_assert(offsetof(struct shm_entry, src_pid) == 16, "src_pid");
static_assert(offsetof(struct shm_entry, slot) == 20, "shm_entry.slot");
static_assert(offsetof(struct shm_entry, tag) == 24, "shm_entry.tag");
static_assert(offsetof(struct shm_entry, data) == 32, "shm_entry.data");
static_assert(offsetof(struct shm_entry, len) == 40, "shm_entry.len");
static_assert(offsetof(struct shm_entry, cookie) == 48, "shm_entry.cookie");
static_assert(offsetof(struct shm_entry, rx_id) == 56, "shm_entry.rx_id");
static_assert(offsetof(struct shm_entry, payload) == 64, "payload");

/* The segment header. Written by the owner before `ready` is set (release);
 * a peer reads it after seeing ready (acquire). Immutable afterwards except
 * the atomics in the later cache lines. */
struct shm_seg_hdr {
	uint32_t magic;        /* SHM_SEG_MAGIC */
	uint8_t version;       /* SHM_PROTO_VERSION */
	uint8_t reserved0[3];
	uint32_t pid;          /* owner */
	uint32_t ep_n;         /* owner's endpoint number */
	uint64_t seg_size;     /* bytes of the whole file */
	uint64_t ring_off;     /* offset of the ring */
	uint32_t ring_size;    /* entries, a power of two */
	uint32_t entry_size;   /* sizeof(struct shm_entry) */
	uint64_t bounce_off;   /* offset of the bounce slots */
	uint32_t bounce_count; /* slots */
	uint32_t bounce_size;  /* bytes per slot */
	_Atomic uint64_t ready; /* 1 once everything above is written */

	/* Producers' claim index (cache line of its own: every sender
	 * hits it). */
	_Atomic uint64_t tail;
	uint8_t reserved2[SHM_CACHELINE - 8];

	/* Doorbell (FI_WAIT_FD): the owner sets `armed` while it may sleep
	 * on its wait fd; a producer that published an entry and sees armed
	 * flips `bell` 0 -> 1 and, if it did, writes one datagram to the
	 * owner's doorbell socket. The owner swaps bell back to 0 before it
	 * looks at the ring. */
	_Atomic uint64_t armed;
	_Atomic uint64_t bell;
	uint8_t reserved3[SHM_CACHELINE - 16];
};
static_assert(sizeof(struct shm_seg_hdr) == 3 * SHM_CACHELINE,
	      "shm_seg_hdr is three cache lines");
static_assert(offsetof(struct shm_seg_hdr, magic) == 0, "hdr.magic");
static_assert(offsetof(struct shm_seg_hdr, version) == 4, "hdr.version");
static_assert(offsetof(struct shm_seg_hdr, pid) == 8, "hdr.pid");
static_assert(offsetof(struct shm_seg_hdr, ep_n) == 12, "hdr.ep_n");
static_assert(offsetof(struct shm_seg_hdr, seg_size) == 16, "hdr.seg_size");
static_assert(offsetof(struct shm_seg_hdr, ring_off) == 24, "hdr.ring_off");
static_assert(offsetof(struct shm_seg_hdr, ring_size) == 32, "ring_size");
static_assert(offsetof(struct shm_seg_hdr, entry_size) == 36, "entry_size");
static_assert(offsetof(struct shm_seg_hdr, bounce_off) == 40, "bounce_off");
static_assert(offsetof(struct shm_seg_hdr, bounce_count) == 48, "b_count");
static_assert(offsetof(struct shm_seg_hdr, bounce_size) == 52, "b_size");
static_assert(offsetof(struct shm_seg_hdr, ready) == 56, "hdr.ready");
static_assert(offsetof(struct shm_seg_hdr, tail) == 64, "hdr.tail");
static_assert(offsetof(struct shm_seg_hdr, armed) == 128, "hdr.armed");
static_assert(offsetof(struct shm_seg_hdr, bell) == 136, "hdr.bell");
static_assert(sizeof(_Atomic uint64_t) == 8 &&
		      alignof(_Atomic uint64_t) == 8,
	      "64-bit atomics are plain 8-byte words");

/* Where the ring starts: the header rounded up to a page, so the ring's
 * entries are cache-line aligned. */
#define SHM_RING_OFF 4096u
static_assert(SHM_RING_OFF % SHM_CACHELINE == 0, "ring alignment");

/* Cooperative copies (SHM_OP_COOP): a large message read with CMA is cut
 * into chunks; the receiver takes them from the front, the sender, once
 * told, from the back, so both processes copy at once. The claim word
 * packs gen:24 | back:20 | front:20 (chunk indices; chunks [front, back)
 * are unclaimed); both sides move it with compare-and-swap only, the
 * generation making a late sender's claim on a reused slot fail. `sent`
 * counts the bytes the sender has written (release after its write, so
 * the receiver that acquires it sees the data). The slots live in the
 * rest of the header page, owned (allocated) by the receiver. */
struct shm_coop_slot {
	_Atomic uint64_t claim;
	_Atomic uint64_t sent;
	uint64_t reserved[2];
};
#define SHM_COOP_OFF 2048u
#define SHM_COOP_SLOTS 64u
#define SHM_COOP_IDX_BITS 20
#define SHM_COOP_IDX_MASK ((UINT64_C(1) << SHM_COOP_IDX_BITS) - 1)
#define SHM_COOP_GEN_MASK ((UINT64_C(1) << 24) - 1)
static_assert(sizeof(struct shm_coop_slot) == 32, "shm_coop_slot");
static_assert(SHM_COOP_OFF >= sizeof(struct shm_seg_hdr) &&
		      SHM_COOP_OFF + SHM_COOP_SLOTS *
					     sizeof(struct shm_coop_slot) <=
			      SHM_RING_OFF,
	      "cooperative-copy slots fit in the header page");

#endif
