/* The udp provider's wire format: every datagram starts with one
 * struct udp_hdr, followed directly by the message payload.
 *
 * All multi-byte fields are little-endian. The magic and version let a
 * receiver tell our datagrams from anything else that reaches the port;
 * a datagram that fails udp_hdr_valid() is dropped and counted, never
 * delivered. Values of `op` and bits of `flags` that are retired stay
 * reserved forever: a new meaning gets a new value.
 */
#ifndef WEFT_UDP_PROTO_H
#define WEFT_UDP_PROTO_H

#include <assert.h>
#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bumped on any incompatible change; also reported as
 * ep_attr->protocol_version. */
#define UDP_PROTO_VERSION 1

/* "WFTU" read as a little-endian 32-bit value. */
#define UDP_PROTO_MAGIC 0x55544657u

enum udp_op {
	UDP_OP_INVALID = 0, /* never sent: a zeroed buffer is not a message */
	UDP_OP_MSG = 1,     /* fi_send family: payload is the message */
	UDP_OP_REL_DATA = 2, /* reliable (RDM) data: udp_rel_hdr + udp_rel_msg_hdr */
	UDP_OP_REL_ACK = 3,  /* reliable (RDM) ack: udp_rel_hdr alone */
	UDP_OP_COUNT
};

/* The header's `data` field holds remote CQ data (FI_REMOTE_CQ_DATA). */
#define UDP_HDR_CQ_DATA 0x01u
#define UDP_HDR_FLAGS_KNOWN (UDP_HDR_CQ_DATA)

struct udp_hdr {
	uint8_t version;  /* UDP_PROTO_VERSION */
	uint8_t op;       /* enum udp_op */
	uint8_t flags;    /* UDP_HDR_* */
	uint8_t reserved; /* zero when sent, ignored when received */
	uint32_t magic;   /* UDP_PROTO_MAGIC */
	uint64_t data;    /* remote CQ data if UDP_HDR_CQ_DATA, else 0 */
};

static_assert(sizeof(struct udp_hdr) == 16, "udp_hdr is 16 bytes on the wire");
static_assert(offsetof(struct udp_hdr, version) == 0, "udp_hdr.version");
static_assert(offsetof(struct udp_hdr, op) == 1, "udp_hdr.op");
static_assert(offsetof(struct udp_hdr, flags) == 2, "udp_hdr.flags");
static_assert(offsetof(struct udp_hdr, reserved) == 3, "udp_hdr.reserved");
static_assert(offsetof(struct udp_hdr, magic) == 4, "udp_hdr.magic");
static_assert(offsetof(struct udp_hdr, data) == 8, "udp_hdr.data");

#define UDP_HDR_SIZE sizeof(struct udp_hdr)

/* Largest UDP payload an IPv4 / IPv6 datagram can carry (without jumbograms),
 * and the IP + UDP header sizes used to turn an MTU into a payload size. */
#define UDP_IPV4_MAX_PAYLOAD 65507u
#define UDP_IPV6_MAX_PAYLOAD 65527u
#define UDP_IPV4_OVERHEAD (20u + 8u)
#define UDP_IPV6_OVERHEAD (40u + 8u)

static inline void udp_hdr_init(struct udp_hdr *h, uint8_t flags, uint64_t data)
{
	h->version = UDP_PROTO_VERSION;
	h->op = UDP_OP_MSG;
	h->flags = flags;
	h->reserved = 0;
	h->magic = htole32(UDP_PROTO_MAGIC);
	h->data = htole64(data);
}

/* Whether `len` received bytes starting with h form one of our messages.
 * Everything read off the socket is untrusted: this is the only gate. */
static inline bool udp_hdr_valid(const struct udp_hdr *h, size_t len)
{
	return len >= UDP_HDR_SIZE && h->magic == htole32(UDP_PROTO_MAGIC) &&
	       h->version == UDP_PROTO_VERSION && h->op == UDP_OP_MSG &&
	       (h->flags & ~UDP_HDR_FLAGS_KNOWN) == 0;
}

/* ---- reliable datagrams (FI_EP_RDM) -----------------------------------
 *
 * The reliability engine (udp_rel.h) puts a 40-byte udp_rel_hdr on every
 * packet. Its first 8 bytes are laid out like udp_hdr's, so a DGRAM
 * endpoint drops RDM packets (op is not UDP_OP_MSG) and the other way round.
 * A data packet follows it with a 40-byte udp_rel_msg_hdr, then `paylen`
 * payload bytes: one fragment of one message. An ack is the udp_rel_hdr
 * alone. Every data packet also carries an ack for the reverse direction.
 *
 * Sequence numbers are 32-bit serial numbers (compared modulo 2^32). `ack`
 * is cumulative: every seq before it has arrived. Bit i of `sack` says that
 * seq ack + 1 + i has arrived too. `wnd` is the receiver's credit: it
 * accepts seqs below ack + wnd.
 *
 * Epochs: each endpoint draws a random nonzero 32-bit incarnation id when
 * it opens. `src_epoch` is the sender's, `dst_epoch` the receiver's as the
 * sender last heard it (0 while it has heard nothing). A packet whose
 * dst_epoch names an earlier incarnation of the receiver, or whose
 * src_epoch differs from the one the receiver knows, shows a restart. */

/* udp_rel_hdr.flags. None are defined yet: must be zero. */
#define UDP_REL_FLAGS_KNOWN 0x00u

struct udp_rel_hdr {
	uint8_t version;    /* UDP_PROTO_VERSION */
	uint8_t op;         /* UDP_OP_REL_DATA or UDP_OP_REL_ACK */
	uint8_t flags;      /* UDP_REL_FLAGS_KNOWN */
	uint8_t reserved;   /* zero */
	uint32_t magic;     /* UDP_PROTO_MAGIC */
	uint32_t src_epoch; /* sender's incarnation, never 0 */
	uint32_t dst_epoch; /* receiver's incarnation as known, 0 = unknown */
	uint32_t seq;       /* data: this packet's sequence number; ack: 0 */
	uint32_t ack;       /* cumulative ack of the reverse direction */
	uint64_t sack;      /* bit i: seq ack + 1 + i arrived */
	uint32_t wnd;       /* credit: seqs below ack + wnd are accepted */
	uint32_t paylen;    /* data: payload bytes after udp_rel_msg_hdr; ack: 0 */
};

static_assert(sizeof(struct udp_rel_hdr) == 40, "udp_rel_hdr is 40 bytes");
static_assert(offsetof(struct udp_rel_hdr, version) == 0, "udp_rel_hdr.version");
static_assert(offsetof(struct udp_rel_hdr, op) == 1, "udp_rel_hdr.op");
static_assert(offsetof(struct udp_rel_hdr, flags) == 2, "udp_rel_hdr.flags");
static_assert(offsetof(struct udp_rel_hdr, reserved) == 3, "udp_rel_hdr.reserved");
static_assert(offsetof(struct udp_rel_hdr, magic) == 4, "udp_rel_hdr.magic");
static_assert(offsetof(struct udp_rel_hdr, src_epoch) == 8, "udp_rel_hdr.src_epoch");
static_assert(offsetof(struct udp_rel_hdr, dst_epoch) == 12, "udp_rel_hdr.dst_epoch");
static_assert(offsetof(struct udp_rel_hdr, seq) == 16, "udp_rel_hdr.seq");
static_assert(offsetof(struct udp_rel_hdr, ack) == 20, "udp_rel_hdr.ack");
static_assert(offsetof(struct udp_rel_hdr, sack) == 24, "udp_rel_hdr.sack");
static_assert(offsetof(struct udp_rel_hdr, wnd) == 32, "udp_rel_hdr.wnd");
static_assert(offsetof(struct udp_rel_hdr, paylen) == 36, "udp_rel_hdr.paylen");

/* udp_rel_msg_hdr.mflags */
#define UDP_REL_MSG_TAGGED 0x01u  /* `tag` is the message's tag */
#define UDP_REL_MSG_CQ_DATA 0x02u /* `cq_data` is remote CQ data */
/* Bits 8..15: what the message is, an enum udp_rdm_op (0: a send). */
#define UDP_REL_MSG_OP_SHIFT 8
#define UDP_REL_MSG_OP_MASK 0xff00u
#define UDP_REL_MSG_OP(mflags) \
	(((mflags) & UDP_REL_MSG_OP_MASK) >> UDP_REL_MSG_OP_SHIFT)
#define UDP_REL_MSG_FLAGS_KNOWN \
	(UDP_REL_MSG_TAGGED | UDP_REL_MSG_CQ_DATA | UDP_REL_MSG_OP_MASK)

/* The RDM operations. A send's message is the application's bytes; the
 * others start with a struct udp_rma_hdr. Only a send may be tagged; CQ
 * data rides on a send or a write. Values are never reused. */
enum udp_rdm_op {
	UDP_RDM_OP_SEND = 0,   /* fi_send / fi_tsend family */
	UDP_RDM_OP_WRITE = 1,  /* hdr + the bytes to write at (key, addr) */
	UDP_RDM_OP_READ = 2,   /* hdr alone: send back hdr.len bytes */
	UDP_RDM_OP_ATOMIC = 3, /* hdr + operands (+ compare values) */
	UDP_RDM_OP_RESP = 4,   /* hdr (status) + read data / fetched values */
	UDP_RDM_OP_COUNT
};

/* Describes the message a data packet is one fragment of. Every fragment
 * repeats it, so any fragment can be checked on its own. */
struct udp_rel_msg_hdr {
	uint32_t msg_id;  /* per (sender, receiver) message counter */
	uint32_t mflags;  /* UDP_REL_MSG_* */
	uint64_t msg_len; /* whole message, bytes */
	uint64_t offset;  /* of this fragment in the message */
	uint64_t tag;     /* if UDP_REL_MSG_TAGGED, else 0 */
	uint64_t cq_data; /* if UDP_REL_MSG_CQ_DATA, else 0 */
};

static_assert(sizeof(struct udp_rel_msg_hdr) == 40, "udp_rel_msg_hdr is 40 bytes");
static_assert(offsetof(struct udp_rel_msg_hdr, msg_id) == 0, "udp_rel_msg_hdr.msg_id");
static_assert(offsetof(struct udp_rel_msg_hdr, mflags) == 4, "udp_rel_msg_hdr.mflags");
static_assert(offsetof(struct udp_rel_msg_hdr, msg_len) == 8, "udp_rel_msg_hdr.msg_len");
static_assert(offsetof(struct udp_rel_msg_hdr, offset) == 16, "udp_rel_msg_hdr.offset");
static_assert(offsetof(struct udp_rel_msg_hdr, tag) == 24, "udp_rel_msg_hdr.tag");
static_assert(offsetof(struct udp_rel_msg_hdr, cq_data) == 32, "udp_rel_msg_hdr.cq_data");

/* Leads the message of every RDM operation but a send. The request's
 * req_id is the initiator's, echoed in the answer (UDP_RDM_OP_RESP), which
 * tells whether the access succeeded. */
struct udp_rma_hdr {
	uint64_t req_id;   /* initiator's request id */
	uint64_t addr;     /* request: target address (offset with mr_mode 0) */
	uint64_t key;      /* request: the region's key */
	uint64_t len;      /* request: bytes at the target; answer: payload */
	int32_t status;    /* answer: 0 or a positive FI_E* code; request 0 */
	uint8_t atomic_op; /* ATOMIC: enum fi_op */
	uint8_t datatype;  /* ATOMIC: enum fi_datatype */
	uint8_t kind;      /* ATOMIC: 0 write, 1 fetch, 2 compare */
	uint8_t reserved;  /* zero */
};

static_assert(sizeof(struct udp_rma_hdr) == 40, "udp_rma_hdr is 40 bytes");
static_assert(offsetof(struct udp_rma_hdr, req_id) == 0, "udp_rma_hdr.req_id");
static_assert(offsetof(struct udp_rma_hdr, addr) == 8, "udp_rma_hdr.addr");
static_assert(offsetof(struct udp_rma_hdr, key) == 16, "udp_rma_hdr.key");
static_assert(offsetof(struct udp_rma_hdr, len) == 24, "udp_rma_hdr.len");
static_assert(offsetof(struct udp_rma_hdr, status) == 32, "udp_rma_hdr.status");
static_assert(offsetof(struct udp_rma_hdr, atomic_op) == 36, "udp_rma_hdr.atomic_op");
static_assert(offsetof(struct udp_rma_hdr, datatype) == 37, "udp_rma_hdr.datatype");
static_assert(offsetof(struct udp_rma_hdr, kind) == 38, "udp_rma_hdr.kind");
static_assert(offsetof(struct udp_rma_hdr, reserved) == 39, "udp_rma_hdr.reserved");

#define UDP_REL_ACK_SIZE sizeof(struct udp_rel_hdr)
#define UDP_REL_DATA_HDR_SIZE \
	(sizeof(struct udp_rel_hdr) + sizeof(struct udp_rel_msg_hdr))
static_assert(UDP_REL_DATA_HDR_SIZE == 80, "data packet header is 80 bytes");

/* Largest credit a receiver may advertise (sanity bound for the decoder). */
#define UDP_REL_MAX_WND 65536u

#endif
