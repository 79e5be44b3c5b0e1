/* The RDM packet decoder: every field of a received datagram is checked,
 * and a packet failing any check is refused with its reason; the engine
 * counts what it refuses and changes no state for it. Also: the byte
 * layout on the wire, and that DGRAM and RDM packets never pass for each
 * other. */
#include "testlib.h"
#include "prov/udp/udp.h"
#include "prov/udp/udp_rel.h"

static uint8_t pkt[UDP_REL_DATA_HDR_SIZE + 64];

static struct udp_rel_hdr *H(void) { return (struct udp_rel_hdr *)pkt; }
static struct udp_rel_msg_hdr *M(void)
{
	return (struct udp_rel_msg_hdr *)(pkt + sizeof(struct udp_rel_hdr));
}

/* A valid data packet with `paylen` payload bytes of a 100-byte message
 * at offset 40. */
static size_t good_data(uint32_t paylen)
{
	memset(pkt, 0, sizeof(pkt));
	H()->version = UDP_PROTO_VERSION;
	H()->op = UDP_OP_REL_DATA;
	H()->magic = htole32(UDP_PROTO_MAGIC);
	H()->src_epoch = htole32(7);
	H()->seq = htole32(5);
	H()->wnd = htole32(64);
	H()->paylen = htole32(paylen);
	M()->msg_id = htole32(3);
	M()->mflags = htole32(UDP_REL_MSG_TAGGED | UDP_REL_MSG_CQ_DATA);
	M()->msg_len = htole64(100);
	M()->offset = htole64(40);
	M()->tag = htole64(0x1122334455667788ull);
	M()->cq_data = htole64(9);
	return UDP_REL_DATA_HDR_SIZE + paylen;
}

static size_t good_ack(void)
{
	good_data(0);
	H()->op = UDP_OP_REL_ACK;
	H()->seq = 0;
	H()->ack = htole32(77);
	H()->sack = htole64(0x8000000000000001ull);
	return UDP_REL_ACK_SIZE;
}

static int stub_calls;

static int stub_xmit(void *ctx, uint32_t peer, const void *hdr, size_t len,
		     const struct iovec *iov, size_t cnt)
{
	stub_calls++;
	return 0;
}

static int stub_deliver(void *ctx, uint32_t peer, const struct udp_rel_frag *f)
{
	stub_calls++;
	return 0;
}

static void stub_done(void *ctx, uint32_t peer, struct udp_rel_send *op,
		      int err)
{
	stub_calls++;
}

#define REFUSED(len, why)                                                      \
	do {                                                                   \
		struct udp_rel_pkt _k;                                         \
		CHECK(udp_rel_decode(pkt, (len), &_k) == (why));               \
	} while (0)

int main(void)
{
	struct udp_rel_pkt k;
	size_t n, i;

	/* A good data packet decodes to host-order fields. */
	n = good_data(60);
	CHECK(udp_rel_decode(pkt, n, &k) == 0);
	CHECK(k.op == UDP_OP_REL_DATA && k.src_epoch == 7 && k.seq == 5);
	CHECK(k.wnd == 64 && k.paylen == 60 && k.msg_id == 3);
	CHECK(k.msg_len == 100 && k.offset == 40 && k.cq_data == 9);
	CHECK(k.tag == 0x1122334455667788ull);
	CHECK(k.payload == pkt + UDP_REL_DATA_HDR_SIZE);
	/* Little-endian on the wire, at the asserted offsets. */
	CHECK(pkt[0] == UDP_PROTO_VERSION && pkt[1] == UDP_OP_REL_DATA);
	CHECK(!memcmp(pkt + 4, "WFTU", 4) && pkt[8] == 7 && pkt[16] == 5);
	CHECK(pkt[36] == 60 && pkt[40] == 3 && pkt[48] == 100 && pkt[56] == 40);
	CHECK(pkt[64] == 0x88 && pkt[71] == 0x11 && pkt[72] == 9);

	/* Every prefix is too short, or (for the ack-sized prefix) a data
	 * packet of the wrong length. */
	for (i = 0; i < sizeof(struct udp_rel_hdr); i++)
		REFUSED(i, UDP_REL_BAD_SHORT);
	for (i = sizeof(struct udp_rel_hdr); i < n; i++)
		REFUSED(i, UDP_REL_BAD_LEN);
	REFUSED(n + 1, UDP_REL_BAD_LEN);

	n = good_data(60);
	H()->magic ^= 1;
	REFUSED(n, UDP_REL_BAD_MAGIC);
	n = good_data(60);
	H()->version = UDP_PROTO_VERSION + 1;
	REFUSED(n, UDP_REL_BAD_VERSION);
	H()->version = 0;
	REFUSED(n, UDP_REL_BAD_VERSION);
	n = good_data(60);
	for (i = 0; i < 256; i++) {
		H()->op = (uint8_t)i;
		if (i != UDP_OP_REL_DATA && i != UDP_OP_REL_ACK)
			REFUSED(n, UDP_REL_BAD_OP);
	}
	n = good_data(60);
	H()->flags = 1;
	REFUSED(n, UDP_REL_BAD_FLAGS);
	n = good_data(60);
	H()->reserved = 1;
	REFUSED(n, UDP_REL_BAD_FLAGS);
	n = good_data(60);
	H()->src_epoch = 0;
	REFUSED(n, UDP_REL_BAD_EPOCH);
	n = good_data(60);
	H()->wnd = 0;
	REFUSED(n, UDP_REL_BAD_WND);
	H()->wnd = htole32(UDP_REL_MAX_WND + 1);
	REFUSED(n, UDP_REL_BAD_WND);
	/* paylen disagreeing with the datagram, including huge values that
	 * would overflow a naive sum. */
	n = good_data(60);
	H()->paylen = htole32(61);
	REFUSED(n, UDP_REL_BAD_LEN);
	H()->paylen = htole32(0xffffffffu);
	REFUSED(n, UDP_REL_BAD_LEN);
	/* Message fields. */
	n = good_data(60);
	M()->mflags = htole32(0x4);
	REFUSED(n, UDP_REL_BAD_MSG);
	/* The op byte: every RDM operation is accepted (its header is the
	 * provider's to check), values past the last one are not. */
	for (uint32_t op = 0; op < UDP_RDM_OP_COUNT; op++) {
		n = good_data(60);
		M()->mflags = htole32(le32toh(M()->mflags) |
				      op << UDP_REL_MSG_OP_SHIFT);
		CHECK(udp_rel_decode(pkt, n, &k) == 0 &&
		      UDP_REL_MSG_OP(k.mflags) == op);
	}
	n = good_data(60);
	M()->mflags = htole32(le32toh(M()->mflags) |
			      (uint32_t)UDP_RDM_OP_COUNT << UDP_REL_MSG_OP_SHIFT);
	REFUSED(n, UDP_REL_BAD_MSG);
	M()->mflags = htole32(le32toh(M()->mflags) | UDP_REL_MSG_OP_MASK);
	REFUSED(n, UDP_REL_BAD_MSG);
	n = good_data(60);
	M()->mflags = htole32(UDP_REL_MSG_CQ_DATA); /* tag set, not tagged */
	REFUSED(n, UDP_REL_BAD_MSG);
	n = good_data(60);
	M()->mflags = htole32(UDP_REL_MSG_TAGGED); /* cq_data set, not flagged */
	REFUSED(n, UDP_REL_BAD_MSG);
	n = good_data(60);
	M()->offset = htole64(41); /* 41 + 60 > 100 */
	REFUSED(n, UDP_REL_BAD_MSG);
	M()->offset = htole64(101);
	REFUSED(n, UDP_REL_BAD_MSG);
	M()->offset = htole64(UINT64_MAX - 10); /* offset + paylen wraps */
	M()->msg_len = htole64(UINT64_MAX);
	REFUSED(n, UDP_REL_BAD_MSG);
	n = good_data(60);
	M()->msg_len = htole64(99);
	REFUSED(n, UDP_REL_BAD_MSG);
	n = good_data(0); /* empty fragment of a non-empty message */
	REFUSED(n, UDP_REL_BAD_MSG);
	M()->msg_len = 0;
	M()->offset = 0;
	CHECK(udp_rel_decode(pkt, n, &k) == 0 && k.msg_len == 0);

	/* Acks: the header alone, no payload, no seq. */
	n = good_ack();
	CHECK(udp_rel_decode(pkt, n, &k) == 0);
	CHECK(k.op == UDP_OP_REL_ACK && k.ack == 77 &&
	      k.sack == 0x8000000000000001ull);
	REFUSED(n + 1, UDP_REL_BAD_LEN);
	H()->paylen = htole32(1);
	REFUSED(n, UDP_REL_BAD_LEN);
	n = good_ack();
	H()->seq = htole32(1);
	REFUSED(n, UDP_REL_BAD_LEN);

	/* DGRAM and RDM packets never pass for each other. */
	n = good_data(60);
	CHECK(!udp_hdr_valid((const struct udp_hdr *)pkt, n));
	n = good_ack();
	CHECK(!udp_hdr_valid((const struct udp_hdr *)pkt, n));
	{
		struct udp_hdr d;

		udp_hdr_init(&d, 0, 0);
		memcpy(pkt, &d, sizeof(d));
		memset(pkt + sizeof(d), 0, sizeof(pkt) - sizeof(d));
		REFUSED(sizeof(pkt), UDP_REL_BAD_OP);
	}

	/* The engine counts refusals, and enforces its own limits (payload
	 * above the MTU, message above max_msg_size, peer out of range),
	 * creating no peer state for what it refuses. */
	{
		struct udp_rel_cfg cfg;
		struct udp_rel_ep ep;
		static const struct udp_rel_ops none;
		const struct udp_rel_ops ops = {
			.xmit = stub_xmit, .deliver = stub_deliver,
			.send_done = stub_done,
		};

		udp_rel_cfg_default(&cfg);
		cfg.mtu_payload = 32;
		cfg.max_msg_size = 64;
		cfg.max_peers = 4;
		CHECK(udp_rel_init(&ep, &cfg, &none, NULL, 1) == -FI_EINVAL);
		CHECK(udp_rel_init(&ep, &cfg, &ops, NULL, 0) == -FI_EINVAL);
		CHECK_OK(udp_rel_init(&ep, &cfg, &ops, NULL, 1));
		n = good_data(60);
		CHECK(udp_rel_recv(&ep, 0, pkt, n, 1) == UDP_REL_BAD_LEN);
		n = good_data(20); /* 20 bytes, but of a 100-byte message */
		CHECK(udp_rel_recv(&ep, 0, pkt, n, 1) == UDP_REL_BAD_LEN);
		H()->magic = 0;
		CHECK(udp_rel_recv(&ep, 0, pkt, n, 1) == UDP_REL_BAD_MAGIC);
		n = good_ack();
		CHECK(udp_rel_recv(&ep, 4, pkt, n, 1) == -FI_EINVAL);
		CHECK(ep.stats.rx_bad == 4 && !udp_rel_peer_get(&ep, 0));
		CHECK(stub_calls == 0);
		CHECK_OK(udp_rel_recv(&ep, 0, pkt, n, 1));
		CHECK(udp_rel_peer_get(&ep, 0) && ep.stats.rx_bad_ack == 0);
		udp_rel_fini(&ep);

		/* A peer with bigger packets: accepted up to max_rx_payload;
		 * early, it cannot be held in our smaller buffers. */
		cfg.max_rx_payload = 48;
		CHECK_OK(udp_rel_init(&ep, &cfg, &ops, NULL, 1));
		stub_calls = 0;
		n = good_data(40);
		M()->msg_len = htole64(40);
		M()->offset = 0;
		CHECK_OK(udp_rel_recv(&ep, 0, pkt, n, 1)); /* seq 5: early */
		CHECK(ep.stats.rx_nobuf == 1 && ep.stats.rx_bad == 0);
		CHECK(stub_calls == 0); /* dropped unacknowledged */
		H()->seq = 0; /* in order: delivered */
		CHECK_OK(udp_rel_recv(&ep, 0, pkt, n, 1));
		CHECK(stub_calls == 1 && ep.stats.rx_bad == 0); /* deliver */
		n = good_data(49);
		M()->msg_len = htole64(49);
		M()->offset = 0;
		CHECK(udp_rel_recv(&ep, 0, pkt, n, 1) == UDP_REL_BAD_LEN);
		udp_rel_fini(&ep);
	}
	return 0;
}
