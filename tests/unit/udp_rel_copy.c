/* Reliability engine, one endpoint driven by hand-made packets and an
 * explicit clock: copied sends (udp_rel_send_copy) and sends queued from
 * inside deliver().
 *   - A copied send reads the caller's buffers only when each packet is
 *     first cut: after the caller scribbles over them, retransmissions
 *     still carry the original bytes; the copies go back to the pool when
 *     acknowledged.
 *   - With the copy pool exhausted, packets wait (progress keeps a
 *     deadline) and go out as acks return buffers.
 *   - A send queued by deliver() goes out after the delivery, with an ack
 *     that covers the delivered packet. */
#include "udp_rel_sim.h"

#define US 1000ull
#define PEER 1
#define PEER_EPOCH 0x55555555u
#define MTU 1000

struct cap {
	int n;
	struct udp_rel_pkt last;
	uint8_t buf[4096];
	int delivered, done_ok, done_err;
	int sent_in_deliver; /* packets sent while deliver() ran */
	bool in_deliver;
	struct udp_rel_ep *ep;
	struct udp_rel_send *answer; /* queued by deliver() when set */
};

static struct cap cap;

static int cap_xmit(void *ctx, uint32_t peer, const void *hdr, size_t hdr_len,
		    const struct iovec *iov, size_t iov_cnt)
{
	size_t i, len = hdr_len;

	CHECK(peer == PEER);
	memcpy(cap.buf, hdr, hdr_len);
	for (i = 0; i < iov_cnt; i++) {
		CHECK(len + iov[i].iov_len <= sizeof(cap.buf));
		memcpy(cap.buf + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	CHECK(udp_rel_decode(cap.buf, len, &cap.last) == 0);
	if (cap.in_deliver)
		cap.sent_in_deliver++;
	cap.n++;
	return 0;
}

static int cap_deliver(void *ctx, uint32_t peer, const struct udp_rel_frag *f)
{
	cap.delivered++;
	if (cap.answer) {
		cap.in_deliver = true;
		CHECK_OK(udp_rel_send(cap.ep, PEER, cap.answer, 0));
		cap.in_deliver = false;
		cap.answer = NULL;
	}
	return 0;
}

static void cap_done(void *ctx, uint32_t peer, struct udp_rel_send *op, int err)
{
	if (err)
		cap.done_err++;
	else
		cap.done_ok++;
}

static const struct udp_rel_ops cap_ops = {
	.xmit = cap_xmit, .deliver = cap_deliver, .send_done = cap_done,
};

static void put_hdr(uint8_t *b, uint8_t op, uint32_t dst_epoch, uint32_t seq,
		    uint32_t ack, uint32_t paylen)
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
	h.wnd = htole32(256);
	h.paylen = htole32(paylen);
	memcpy(b, &h, sizeof(h));
}

static void ack_in(struct udp_rel_ep *ep, uint32_t ack, uint64_t now)
{
	uint8_t b[UDP_REL_ACK_SIZE];

	put_hdr(b, UDP_OP_REL_ACK, ep->epoch, 0, ack, 0);
	CHECK_OK(udp_rel_recv(ep, PEER, b, sizeof(b), now));
}

/* A one-packet message with sequence number seq (acking nothing). */
static void data_in(struct udp_rel_ep *ep, uint32_t seq, uint64_t now)
{
	uint8_t b[UDP_REL_DATA_HDR_SIZE + 8];
	struct udp_rel_msg_hdr m;

	put_hdr(b, UDP_OP_REL_DATA, ep->epoch, seq, 0, 8);
	memset(&m, 0, sizeof(m));
	m.msg_id = htole32(seq);
	m.msg_len = htole64(8);
	memcpy(b + sizeof(struct udp_rel_hdr), &m, sizeof(m));
	memset(b + UDP_REL_DATA_HDR_SIZE, 0xab, 8);
	CHECK_OK(udp_rel_recv(ep, PEER, b, sizeof(b), now));
}

static uint8_t pat(size_t i)
{
	return (uint8_t)(i * 13 + 7);
}

/* The last captured packet carries the original bytes of its range. */
static void check_payload(void)
{
	const uint8_t *d = cap.last.payload;

	CHECK(cap.last.op == UDP_OP_REL_DATA);
	for (size_t i = 0; i < cap.last.paylen; i++)
		CHECK(d[i] == pat(cap.last.offset + i));
}

static void setup(struct udp_rel_ep *ep, uint32_t pool)
{
	struct udp_rel_cfg cfg;

	udp_rel_cfg_default(&cfg);
	cfg.mtu_payload = MTU;
	cfg.tx_copy_pool = pool;
	cfg.rto_init_ns = 500 * US;
	cfg.rto_min_ns = 50 * US;
	memset(&cap, 0, sizeof(cap));
	cap.ep = ep;
	CHECK_OK(udp_rel_init(ep, &cfg, &cap_ops, NULL, 0x1234));
}

static void test_copy_retransmit(void)
{
	static uint8_t src[3 * MTU];
	struct udp_rel_send op;
	struct udp_rel_ep ep;
	uint64_t t = 1000000;
	int n;

	setup(&ep, 4);
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = pat(i);
	memset(&op, 0, sizeof(op));
	op.iov[0].iov_base = src;
	op.iov[0].iov_len = 1000;
	op.iov[1].iov_base = src + 1000;
	op.iov[1].iov_len = sizeof(src) - 1000;
	op.iov_cnt = 2;
	CHECK_OK(udp_rel_send_copy(&ep, PEER, &op, t));
	CHECK(cap.n == 3);
	CHECK(ep.copy_nfree == 1);
	/* The caller's buffer is gone as far as the engine may know. */
	memset(src, 0xff, sizeof(src));
	n = cap.n;
	t += 1000 * US; /* past the initial timeout: resend */
	udp_rel_progress(&ep, t);
	CHECK(cap.n > n);
	check_payload();
	/* Half acknowledged: one copy back; the rest resent from copies. */
	ack_in(&ep, 2, t);
	CHECK(ep.copy_nfree == 3);
	CHECK(cap.done_ok == 0);
	if (cap.last.seq != 2) {
		t += 100000 * US;
		udp_rel_progress(&ep, t);
	}
	CHECK(cap.last.seq == 2 && cap.last.offset == 2 * MTU);
	check_payload();
	ack_in(&ep, 3, t);
	CHECK(cap.done_ok == 1 && ep.copy_nfree == 4);
	/* An unfinished copied send fails at fini (its copies with it). */
	CHECK_OK(udp_rel_send_copy(&ep, PEER, &op, t));
	udp_rel_fini(&ep);
	CHECK(cap.done_err == 1); /* the unfinished send failed at fini */

	/* No pool: copied sends are refused. */
	setup(&ep, 0);
	CHECK_RET(udp_rel_send_copy(&ep, PEER, &op, t), -FI_EINVAL);
	udp_rel_fini(&ep);
}

static void test_pool_exhausted(void)
{
	static uint8_t src[3 * MTU];
	struct udp_rel_send op;
	struct udp_rel_ep ep;
	uint64_t t = 1000000, next;

	setup(&ep, 2);
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = pat(i);
	memset(&op, 0, sizeof(op));
	op.iov[0].iov_base = src;
	op.iov[0].iov_len = sizeof(src);
	op.iov_cnt = 1;
	CHECK_OK(udp_rel_send_copy(&ep, PEER, &op, t));
	CHECK(cap.n == 2 && ep.copy_nfree == 0);
	next = udp_rel_progress(&ep, t + 1);
	CHECK(next != UINT64_MAX);
	CHECK(cap.n == 2);
	/* One ack returns a buffer: the third packet goes out at once. */
	ack_in(&ep, 1, t + 10 * US);
	CHECK(cap.n == 3 && cap.last.seq == 2);
	check_payload();
	CHECK(ep.copy_nfree == 0);
	ack_in(&ep, 3, t + 20 * US);
	CHECK(cap.done_ok == 1 && ep.copy_nfree == 2);
	udp_rel_fini(&ep);
}

static void test_send_from_deliver(void)
{
	static char payload[16];
	struct udp_rel_send answer;
	struct udp_rel_ep ep;
	uint64_t t = 1000000;

	setup(&ep, 4);
	memset(&answer, 0, sizeof(answer));
	answer.iov[0].iov_base = payload;
	answer.iov[0].iov_len = sizeof(payload);
	answer.iov_cnt = 1;
	cap.answer = &answer;
	data_in(&ep, 0, t);
	CHECK(cap.delivered == 1);
	CHECK(cap.sent_in_deliver == 0);
	/* Sent after the delivery: its ack covers the delivered packet, and
	 * no separate ack was needed. */
	CHECK(cap.n == 1);
	CHECK(cap.last.op == UDP_OP_REL_DATA && cap.last.seq == 0);
	CHECK(cap.last.ack == 1);
	CHECK(ep.stats.tx_ack == 0);
	ack_in(&ep, 1, t + 10 * US);
	CHECK(cap.done_ok == 1);
	udp_rel_fini(&ep);
}

int main(void)
{
	test_copy_retransmit();
	test_pool_exhausted();
	test_send_from_deliver();
	return 0;
}
