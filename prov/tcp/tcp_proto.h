/* The tcp provider's wire format.
 *
 * A connection starts with a handshake: the connecting side sends one
 * struct tcp_cm_hdr (op TCP_CM_REQ) followed by cm_len bytes of the
 * application's connection data; the listening side answers with one
 * tcp_cm_hdr (TCP_CM_ACCEPT or TCP_CM_REJECT) plus its own data. The magic
 * and version let either side tell a weft peer from anything else that
 * reaches the port: a handshake that fails tcp_cm_hdr_valid() closes that
 * socket (and logs), nothing else.
 *
 * After an accept, the stream is a sequence of messages, each one
 * struct tcp_hdr followed by exactly `size` payload bytes. A header that
 * fails tcp_hdr_valid() means the peer does not speak this protocol: the
 * connection is closed (FI_SHUTDOWN and error completions locally).
 *
 * All multi-byte fields are little-endian. Retired values of `op` and
 * retired flag bits stay reserved forever: a new meaning gets a new value.
 */
#ifndef WEFT_TCP_PROTO_H
#define WEFT_TCP_PROTO_H

#include <assert.h>
#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bumped on any incompatible change; reported as
 * ep_attr->protocol_version. Both the handshake and every message carry
 * it. */
#define TCP_PROTO_VERSION 1

/* "WFTT" read as a little-endian 32-bit value. */
#define TCP_PROTO_MAGIC 0x54544657u

/* Most connection data either side may send (FI_OPT_CM_DATA_SIZE). */
#define TCP_CM_DATA_MAX 256

enum tcp_cm_op {
	TCP_CM_INVALID = 0, /* never sent */
	TCP_CM_REQ = 1,     /* connector -> listener */
	TCP_CM_ACCEPT = 2,  /* listener -> connector: fi_accept */
	TCP_CM_REJECT = 3,  /* listener -> connector: fi_reject; RDM: the
			     * connection lost a simultaneous-connect race */
	/* FI_EP_RDM endpoints: both carry one struct tcp_rdm_cm (cm_len
	 * is its size), so each side learns the other's listening address
	 * and incarnation. */
	TCP_CM_RDM_REQ = 4,    /* connector -> listener */
	TCP_CM_RDM_ACCEPT = 5, /* listener -> connector */
	TCP_CM_COUNT
};

struct tcp_cm_hdr {
	uint32_t magic;    /* TCP_PROTO_MAGIC */
	uint8_t version;   /* TCP_PROTO_VERSION */
	uint8_t op;        /* enum tcp_cm_op */
	uint16_t cm_len;   /* connection data bytes that follow */
	uint64_t reserved; /* zero when sent, ignored when received */
};

static_assert(sizeof(struct tcp_cm_hdr) == 16, "tcp_cm_hdr is 16 bytes");
static_assert(offsetof(struct tcp_cm_hdr, magic) == 0, "tcp_cm_hdr.magic");
static_assert(offsetof(struct tcp_cm_hdr, version) == 4, "tcp_cm_hdr.version");
static_assert(offsetof(struct tcp_cm_hdr, op) == 5, "tcp_cm_hdr.op");
static_assert(offsetof(struct tcp_cm_hdr, cm_len) == 6, "tcp_cm_hdr.cm_len");
static_assert(offsetof(struct tcp_cm_hdr, reserved) == 8,
	      "tcp_cm_hdr.reserved");

static inline void tcp_cm_hdr_init(struct tcp_cm_hdr *h, uint8_t op,
				   uint16_t cm_len)
{
	h->magic = htole32(TCP_PROTO_MAGIC);
	h->version = TCP_PROTO_VERSION;
	h->op = op;
	h->cm_len = htole16(cm_len);
	h->reserved = 0;
}

/* Whether h is a handshake message of kind `want` (REQ on the listening
 * side; ACCEPT or REJECT, want 0, on the connecting side). */
static inline bool tcp_cm_hdr_valid(const struct tcp_cm_hdr *h, uint8_t want)
{
	if (h->magic != htole32(TCP_PROTO_MAGIC) ||
	    h->version != TCP_PROTO_VERSION ||
	    le16toh(h->cm_len) > TCP_CM_DATA_MAX)
		return false;
	if (want)
		return h->op == want;
	return h->op == TCP_CM_ACCEPT || h->op == TCP_CM_REJECT;
}

enum tcp_op {
	TCP_OP_INVALID = 0, /* never sent: a zeroed buffer is not a message */
	TCP_OP_MSG = 1,     /* fi_send family: payload is the message */
	TCP_OP_TAGGED = 2,  /* fi_tsend family: `tag` is the message's tag */
	/* RMA and atomics: a struct tcp_rma_hdr follows the header. Every
	 * request is answered, in order, by one TCP_OP_RESP carrying the
	 * target's verdict (and the data for reads and fetching atomics),
	 * so a bad key or range fails at the initiator. */
	TCP_OP_WRITE = 3,   /* payload (size bytes) lands at addr */
	TCP_OP_READ = 4,    /* no payload; answered with rma.len bytes */
	TCP_OP_ATOMIC = 5,  /* payload: operands (then compare values) */
	TCP_OP_RESP = 6,    /* payload: read data or fetched values */
	TCP_OP_COUNT
};

/* Atomic kinds in tcp_rma_hdr.kind. */
enum tcp_atomic_kind {
	TCP_ATOMIC_WRITE = 0,   /* fi_atomic */
	TCP_ATOMIC_FETCH = 1,   /* fi_fetch_atomic: old values returned */
	TCP_ATOMIC_COMPARE = 2, /* fi_compare_atomic: operands, then compare */
	TCP_ATOMIC_KINDS
};

struct tcp_rma_hdr {
	uint64_t addr;     /* target address (virtual or offset, per mr_mode) */
	uint64_t key;      /* the target's MR key */
	uint64_t len;      /* bytes at the target the operation touches */
	uint8_t datatype;  /* atomics: enum fi_datatype */
	uint8_t atomic_op; /* atomics: enum fi_op */
	uint8_t kind;      /* atomics: enum tcp_atomic_kind */
	uint8_t reserved;  /* zero */
	int32_t status;    /* RESP: 0 or a negative FI_E* code */
};

static_assert(sizeof(struct tcp_rma_hdr) == 32, "tcp_rma_hdr is 32 bytes");
static_assert(offsetof(struct tcp_rma_hdr, addr) == 0, "tcp_rma_hdr.addr");
static_assert(offsetof(struct tcp_rma_hdr, key) == 8, "tcp_rma_hdr.key");
static_assert(offsetof(struct tcp_rma_hdr, len) == 16, "tcp_rma_hdr.len");
static_assert(offsetof(struct tcp_rma_hdr, datatype) == 24,
	      "tcp_rma_hdr.datatype");
static_assert(offsetof(struct tcp_rma_hdr, atomic_op) == 25,
	      "tcp_rma_hdr.atomic_op");
static_assert(offsetof(struct tcp_rma_hdr, kind) == 26, "tcp_rma_hdr.kind");
static_assert(offsetof(struct tcp_rma_hdr, status) == 28,
	      "tcp_rma_hdr.status");

/* FI_EP_RDM connections carry these ops too (never sent on FI_EP_MSG
 * connections, whose receivers reject them through tcp_hdr_valid). On RDM
 * connections the header's 32-bit `reserved` field is an id (see
 * tcp_hdr_id) naming a transmit or receive entry of one side. */
enum tcp_rdm_op {
	/* Rendezvous for a message above the eager threshold: a struct
	 * tcp_rma_hdr follows, rma.len = the message's length; no payload.
	 * id: the sender's entry. TCP_HDR_TAGGED says tagged. */
	TCP_OP_RTS = TCP_OP_COUNT,
	/* Receiver matched an RTS: a struct tcp_rma_hdr follows, id = the
	 * sender's entry, rma.addr = the receiver's entry, rma.len = bytes
	 * wanted (<= the message: a shorter receive truncates). */
	TCP_OP_CTS,
	/* Rendezvous payload: id = the receiver's entry (rma.addr of the
	 * CTS), size bytes follow. */
	TCP_OP_DATA,
	/* FI_DELIVERY_COMPLETE: the message with TCP_HDR_ACK and this id
	 * reached the receiver. No payload. */
	TCP_OP_ACK,
	TCP_OP_RDM_COUNT
};

/* Whether messages of this op carry a struct tcp_rma_hdr. */
static inline bool tcp_op_has_rma(uint8_t op)
{
	return (op >= TCP_OP_WRITE && op <= TCP_OP_RESP) || op == TCP_OP_RTS ||
	       op == TCP_OP_CTS;
}

/* The header's `data` field holds remote CQ data (FI_REMOTE_CQ_DATA). */
#define TCP_HDR_CQ_DATA 0x0001u
#define TCP_HDR_FLAGS_KNOWN (TCP_HDR_CQ_DATA)
/* RDM connections only. */
#define TCP_HDR_TAGGED 0x0002u /* RTS: the message is tagged */
#define TCP_HDR_ACK 0x0004u    /* answer with TCP_OP_ACK (same id) once
				* the message has been received */
#define TCP_HDR_RDM_FLAGS_KNOWN (TCP_HDR_CQ_DATA | TCP_HDR_TAGGED | TCP_HDR_ACK)

struct tcp_hdr {
	uint8_t version;   /* TCP_PROTO_VERSION */
	uint8_t op;        /* enum tcp_op */
	uint16_t flags;    /* TCP_HDR_* */
	uint32_t reserved; /* zero when sent, ignored when received */
	uint64_t size;     /* payload bytes following this header */
	uint64_t tag;      /* TCP_OP_TAGGED: the tag; else 0 */
	uint64_t data;     /* remote CQ data if TCP_HDR_CQ_DATA, else 0 */
};

static_assert(sizeof(struct tcp_hdr) == 32, "tcp_hdr is 32 bytes on the wire");
static_assert(offsetof(struct tcp_hdr, version) == 0, "tcp_hdr.version");
static_assert(offsetof(struct tcp_hdr, op) == 1, "tcp_hdr.op");
static_assert(offsetof(struct tcp_hdr, flags) == 2, "tcp_hdr.flags");
static_assert(offsetof(struct tcp_hdr, reserved) == 4, "tcp_hdr.reserved");
static_assert(offsetof(struct tcp_hdr, size) == 8, "tcp_hdr.size");
static_assert(offsetof(struct tcp_hdr, tag) == 16, "tcp_hdr.tag");
static_assert(offsetof(struct tcp_hdr, data) == 24, "tcp_hdr.data");

static inline void tcp_hdr_init(struct tcp_hdr *h, uint8_t op, uint16_t flags,
				uint64_t size, uint64_t tag, uint64_t data)
{
	h->version = TCP_PROTO_VERSION;
	h->op = op;
	h->flags = htole16(flags);
	h->reserved = 0;
	h->size = htole64(size);
	h->tag = htole64(tag);
	h->data = htole64(data);
}

/* Whether h (read off the socket: untrusted) is a message header we can
 * act on, with a payload of at most max_size bytes. The only gate. */
static inline bool tcp_hdr_valid(const struct tcp_hdr *h, uint64_t max_size)
{
	return h->version == TCP_PROTO_VERSION && h->op > TCP_OP_INVALID &&
	       h->op < TCP_OP_COUNT &&
	       (le16toh(h->flags) & ~TCP_HDR_FLAGS_KNOWN) == 0 &&
	       le64toh(h->size) <= max_size;
}

/* The same gate for RDM connections: RDM ops and flags allowed. */
static inline bool tcp_rdm_hdr_valid(const struct tcp_hdr *h,
				     uint64_t max_size)
{
	return h->version == TCP_PROTO_VERSION && h->op > TCP_OP_INVALID &&
	       h->op < TCP_OP_RDM_COUNT &&
	       (le16toh(h->flags) & ~TCP_HDR_RDM_FLAGS_KNOWN) == 0 &&
	       le64toh(h->size) <= max_size;
}

/* RDM: the id carried in the header's reserved field (host order). */
static inline uint32_t tcp_hdr_id(const struct tcp_hdr *h)
{
	return le32toh(h->reserved);
}

static inline void tcp_hdr_set_id(struct tcp_hdr *h, uint32_t id)
{
	h->reserved = htole32(id);
}

/* The payload of TCP_CM_RDM_REQ and TCP_CM_RDM_ACCEPT: who the sender is.
 * `addr` is its listening address (what fi_getname answers: the peer's
 * key for its AV and for breaking simultaneous connects); `incarnation`
 * is a random value drawn when the endpoint opened, so a peer that
 * restarted on the same address is told apart from the old one. */
struct tcp_rdm_cm {
	uint64_t incarnation;
	uint16_t family;   /* 4 or 6 */
	uint16_t port;     /* host order, little-endian on the wire */
	uint32_t reserved; /* zero */
	uint8_t addr[16];  /* IPv4: first 4 bytes, network order */
};

static_assert(sizeof(struct tcp_rdm_cm) == 32, "tcp_rdm_cm is 32 bytes");
static_assert(offsetof(struct tcp_rdm_cm, incarnation) == 0,
	      "tcp_rdm_cm.incarnation");
static_assert(offsetof(struct tcp_rdm_cm, family) == 8, "tcp_rdm_cm.family");
static_assert(offsetof(struct tcp_rdm_cm, port) == 10, "tcp_rdm_cm.port");
static_assert(offsetof(struct tcp_rdm_cm, addr) == 16, "tcp_rdm_cm.addr");

#endif
