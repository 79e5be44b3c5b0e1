/* One reliability endpoint driven by hand: a capture of what the engine
 * transmits (each packet decoded into cap.last, counted in cap.n), delivers
 * and completes, and the peer's side made by hand (put_hdr builds a header
 * from PEER with epoch PEER_EPOCH, ack_in feeds an ack with a SACK bitmap).
 * Shared by the timer and tuning tests; include once per test program. */
#ifndef WEFT_UDP_REL_CAP_H
#define WEFT_UDP_REL_CAP_H

#include "udp_rel_sim.h"

#define US 1000ull
#define PEER 1
#define PEER_EPOCH 0x77777777u

struct cap {
	int n;
	struct udp_rel_pkt last;
	uint8_t buf[4096];
	int delivered, done_ok, done_err;
};

static struct cap cap; /* what the engine sent, delivered, completed */

static inline int cap_xmit(void *ctx, uint32_t peer, const void *hdr, size_t hdr_len,
		    const struct iovec *iov, size_t iov_cnt)
{
	size_t i, len = hdr_len;

	CHECK(peer == PEER);
	memcpy(cap.buf, hdr, hdr_len);
	for (i = 0; i < iov_cnt; i++) {
		memcpy(cap.buf + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	CHECK(udp_rel_decode(cap.buf, len, &cap.last) == 0);
	cap.n++;
	return 0;
}

static inline int cap_deliver(void *ctx, uint32_t peer, const struct udp_rel_frag *f)
{
	cap.delivered++;
	return 0;
}

static inline void cap_done(void *ctx, uint32_t peer, struct udp_rel_send *op, int err)
{
	if (err)
		cap.done_err++;
	else
		cap.done_ok++;
}

static const struct udp_rel_ops cap_ops = {
	.xmit = cap_xmit, .deliver = cap_deliver, .send_done = cap_done,
};

static inline void put_hdr(uint8_t *b, uint8_t op, uint32_t dst_epoch, uint32_t seq,
		    uint32_t ack, uint64_t sack, uint32_t paylen)
{
	struct udp_rel_hdr h;

	memset(&h, 0, sizeof(h));
	h.version = UDP_PROTO_VERSION;
	h.op = op;
	h.magic = htole32(UDP_PROTO_MAGIC);
	h.src_epoch = htole32(PEER_EPOCH);
	h.dst_epoch = htole32(dst_epoch);
	h.seq = htole32(seq);
	h.ack = htole32(ack);
	h.sack = htole64(sack);
	h.wnd = htole32(256);
	h.paylen = htole32(paylen);
	memcpy(b, &h, sizeof(h));
}

static inline int ack_in(struct udp_rel_ep *ep, uint32_t ack, uint64_t sack,
		  uint64_t now)
{
	uint8_t b[UDP_REL_ACK_SIZE];

	put_hdr(b, UDP_OP_REL_ACK, ep->epoch, 0, ack, sack, 0);
	return udp_rel_recv(ep, PEER, b, sizeof(b), now);
}

#endif
