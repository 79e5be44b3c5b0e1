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

#endif
