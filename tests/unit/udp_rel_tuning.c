/* Reliability engine, one endpoint driven by hand-made packets and an
 * explicit clock: the tuning that keeps a stream going on a loaded
 * machine and a lossy link. A timeout found spurious is undone; a loss
 * detected from SACKs is resent at once even when the (halved) window is
 * full, and only packets the SACK can see are judged; the send ring starts small and grows; acks are delayed except at
 * the end of a message; the windows follow the socket buffer. */
#include "udp_rel_cap.h"

static void send_small(struct udp_rel_ep *ep, struct udp_rel_send *op,
		       uint64_t now)
{
	static char payload[16];

	memset(op, 0, sizeof(*op));
	op->iov[0].iov_base = payload;
	op->iov[0].iov_len = sizeof(payload);
	op->iov_cnt = 1;
	CHECK_OK(udp_rel_send(ep, PEER, op, now));
}


/* A fragment [off, off + len) of message msg_id (msg_len bytes) as
 * packet seq. */
static int frag_in(struct udp_rel_ep *ep, uint32_t seq, uint32_t msg_id,
		   uint64_t off, uint32_t len, uint64_t msg_len, uint64_t now)
{
	uint8_t b[UDP_REL_DATA_HDR_SIZE + 64];
	struct udp_rel_msg_hdr m;

	CHECK(len <= 64);
	put_hdr(b, UDP_OP_REL_DATA, ep->epoch, seq, 0, 0, len);
	memset(&m, 0, sizeof(m));
	m.msg_id = htole32(msg_id);
	m.msg_len = htole64(msg_len);
	m.offset = htole64(off);
	memcpy(b + sizeof(struct udp_rel_hdr), &m, sizeof(m));
	memset(b + UDP_REL_DATA_HDR_SIZE, 0xcd, len);
	return udp_rel_recv(ep, PEER, b, UDP_REL_DATA_HDR_SIZE + len, now);
}

static struct udp_rel_send ops[512];

static void test_undo(void)
{
	struct udp_rel_cfg cfg;
	struct udp_rel_ep ep;
	struct udp_rel_peer *p;
	uint64_t t = 1000000;
	uint32_t cwnd_before;
	int i;

	udp_rel_cfg_default(&cfg);
	memset(&cap, 0, sizeof(cap));
	CHECK_OK(udp_rel_init(&ep, &cfg, &cap_ops, NULL, 0x1111));
	for (i = 0; i < 8; i++)
		send_small(&ep, &ops[i], t);
	CHECK(cap.n == 8);
	p = udp_rel_peer_get(&ep, PEER);
	cwnd_before = p->cwnd_fp;
	/* The peer is slow, not gone: the timeout fires, everything in
	 * flight is presumed lost, one packet goes out again. */
	udp_rel_progress(&ep, t + cfg.rto_init_ns);
	CHECK(ep.stats.tx_timeouts == 1 && cap.n == 9 && cap.last.seq == 0);
	CHECK(p->cwnd_fp == 1 << 8 && p->backoff == 1 && p->nlost == 7);
	/* Then its ack of the originals 0..3 arrives: 1..3 were never
	 * resent, so the timeout was spurious. Undone: window and backoff
	 * back, 4..7 in flight again, not resent. */
	CHECK_OK(ack_in(&ep, 4, 0, t + cfg.rto_init_ns + 10 * US));
	CHECK(ep.stats.tx_rto_undo == 1);
	CHECK(p->cwnd_fp >= cwnd_before && p->backoff == 0);
	CHECK(p->nlost == 0 && p->inflight == 4 && cap.done_ok == 4);
	udp_rel_progress(&ep, t + cfg.rto_init_ns + 20 * US);
	CHECK(cap.n == 9 && ep.stats.tx_retx == 1);
	CHECK_OK(ack_in(&ep, 8, 0, t + cfg.rto_init_ns + 30 * US));
	CHECK(cap.done_ok == 8 && p->inflight == 0);

	/* A real loss: after a timeout, the ack covers only the packet that
	 * was resent: no undo, the backoff stays until a valid sample. */
	t += 10000 * US;
	for (i = 0; i < 4; i++)
		send_small(&ep, &ops[8 + i], t);
	udp_rel_progress(&ep, t + udp_rel_peer_rto(&ep, p));
	CHECK(ep.stats.tx_timeouts == 2 && p->backoff == 1);
	CHECK(cap.last.seq == 8);
	CHECK_OK(ack_in(&ep, 9, 0, t + udp_rel_peer_rto(&ep, p) + 10 * US));
	CHECK(ep.stats.tx_rto_undo == 1 && p->backoff == 1);
	udp_rel_fini(&ep);
}

static void test_fast_retx_past_cwnd(void)
{
	struct udp_rel_cfg cfg;
	struct udp_rel_ep ep;
	struct udp_rel_peer *p;
	uint64_t t = 2000000;
	int i, n;

	udp_rel_cfg_default(&cfg);
	memset(&cap, 0, sizeof(cap));
	CHECK_OK(udp_rel_init(&ep, &cfg, &cap_ops, NULL, 0x2222));
	for (i = 0; i < 20; i++)
		send_small(&ep, &ops[i], t);
	CHECK(cap.n == 16); /* the initial congestion window */
	p = udp_rel_peer_get(&ep, PEER);
	n = cap.n;
	/* 1..3 arrive, 0 does not: 0 is lost; the window (16 + 3 acked in
	 * slow start) halves to 9 while 12 packets are still in flight; 0
	 * goes out again at once all the same. */
	CHECK_OK(ack_in(&ep, 0, 0x7, t + 10 * US));
	CHECK(ep.stats.tx_fast_retx == 1 && p->cwnd_fp >> 8 == 9);
	CHECK(p->inflight >= 9);
	CHECK(cap.n == n + 1 && cap.last.seq == 0);
	CHECK(ep.stats.tx_timeouts == 0);
	udp_rel_fini(&ep);
}

/* Packets beyond the SACK's 64-packet reach may be held by the receiver:
 * the ack of a retransmission (the newest transmission of all) must not
 * make them look lost. */
static void test_sack_reach(void)
{
	struct udp_rel_cfg cfg;
	struct udp_rel_ep ep;
	uint64_t t = 2500000;
	int i;

	udp_rel_cfg_default(&cfg);
	cfg.cwnd_init = 256;
	memset(&cap, 0, sizeof(cap));
	CHECK_OK(udp_rel_init(&ep, &cfg, &cap_ops, NULL, 0x2525));
	for (i = 0; i < 200; i++)
		send_small(&ep, &ops[i], t);
	CHECK(cap.n == 200);
	CHECK_OK(ack_in(&ep, 0, 0x7, t + 10 * US)); /* 0 lost */
	CHECK(ep.stats.tx_fast_retx == 1 && cap.n == 201 && cap.last.seq == 0);
	/* 0 repaired; 70 missing; 71..134 reported, 135..199 held but out
	 * of the bitmap's reach. Only 70 is lost. */
	CHECK_OK(ack_in(&ep, 70, ~0ull, t + 20 * US));
	CHECK(ep.stats.tx_fast_retx == 2 && cap.n == 202 && cap.last.seq == 70);
	CHECK(cap.done_ok == 70);
	CHECK_OK(ack_in(&ep, 200, 0, t + 30 * US));
	CHECK(cap.done_ok == 200 && ep.stats.tx_retx == 2);
	udp_rel_fini(&ep);
}

static void test_ring_growth(void)
{
	struct udp_rel_cfg cfg;
	struct udp_rel_ep ep;
	struct udp_rel_peer *p;
	uint64_t t = 3000000;
	int i;

	udp_rel_cfg_default(&cfg);
	cfg.cwnd_init = 200;
	cfg.tx_window = 256;
	cfg.tx_ring_init = 16;
	memset(&cap, 0, sizeof(cap));
	CHECK_OK(udp_rel_init(&ep, &cfg, &cap_ops, NULL, 0x3333));
	send_small(&ep, &ops[0], t);
	p = udp_rel_peer_get(&ep, PEER);
	CHECK(p->txr_mask + 1 == 16);
	CHECK(udp_rel_peer_mem(&ep, p) ==
	      sizeof(*p) + 16 * sizeof(struct udp_rel_txpkt));
	for (i = 1; i < 150; i++)
		send_small(&ep, &ops[i], t);
	/* 150 in flight: 16 -> 32 -> 64 -> 128 -> 256 slots, order kept. */
	CHECK(cap.n == 150 && cap.last.seq == 149);
	CHECK(p->txr_mask + 1 == 256);
	CHECK_OK(ack_in(&ep, 75, 0, t + 10 * US));
	CHECK(cap.done_ok == 75);
	CHECK_OK(ack_in(&ep, 150, 0, t + 20 * US));
	CHECK(cap.done_ok == 150 && p->inflight == 0);
	/* Never beyond tx_window. */
	for (i = 0; i < 300; i++)
		send_small(&ep, &ops[150 + i], t + 30 * US);
	CHECK(p->txr_mask + 1 == 256 && cap.n == 150 + 256);
	udp_rel_fini(&ep);
}

static void test_ack_policy(void)
{
	struct udp_rel_cfg cfg;
	struct udp_rel_ep ep;
	uint64_t t = 4000000;

	udp_rel_cfg_default(&cfg);
	memset(&cap, 0, sizeof(cap));
	CHECK_OK(udp_rel_init(&ep, &cfg, &cap_ops, NULL, 0x4444));
	/* The first half of a message: the ack waits (a reply or the rest
	 * of the message may carry it) ... */
	CHECK_OK(frag_in(&ep, 0, 0, 0, 32, 64, t));
	udp_rel_flush_acks(&ep, t);
	CHECK(cap.n == 0 && cap.delivered == 1);
	/* ... its end: acked before the progress call returns. */
	CHECK_OK(frag_in(&ep, 1, 0, 32, 32, 64, t + 1 * US));
	udp_rel_flush_acks(&ep, t + 1 * US);
	CHECK(cap.n == 1 && cap.last.op == UDP_OP_REL_ACK && cap.last.ack == 2);
	/* A partial message again: the delay runs out, then it is acked. */
	CHECK_OK(frag_in(&ep, 2, 1, 0, 32, 64, t + 2 * US));
	udp_rel_flush_acks(&ep, t + 2 * US);
	CHECK(cap.n == 1);
	udp_rel_flush_acks(&ep, t + 2 * US + cfg.ack_delay_ns);
	CHECK(cap.n == 2 && cap.last.ack == 3);
	/* ack_every in-order packets: acked at once. */
	for (uint32_t s = 3; s < 3 + cfg.ack_every; s++)
		CHECK_OK(frag_in(&ep, s, 1, 32 + (s - 3), 1, 64, t + 3 * US));
	CHECK(cap.n == 3 && cap.last.ack == 3 + cfg.ack_every);
	udp_rel_fini(&ep);
}

static void test_windows(void)
{
	struct udp_rel_cfg cfg;

	udp_rel_cfg_default(&cfg);
	cfg.mtu_payload = 16384; /* loopback */
	udp_rel_cfg_windows(&cfg, 212992); /* a default SO_RCVBUF */
	CHECK(cfg.rx_window == UDP_REL_WND_MIN_AUTO);
	udp_rel_cfg_windows(&cfg, 8u << 20); /* rmem_max 4 MiB, doubled */
	CHECK(cfg.rx_window == 256 && cfg.tx_window == UDP_REL_WND_MAX_AUTO);
	CHECK(cfg.rx_pool == UDP_REL_POOL_BYTES / (80 + 16384));
	udp_rel_cfg_windows(&cfg, 32u << 20);
	CHECK(cfg.rx_window == 1024);
	cfg.mtu_payload = 1392; /* Ethernet */
	udp_rel_cfg_windows(&cfg, 8u << 20);
	CHECK(cfg.rx_window == 1024 && cfg.rx_pool == 1024);
}

int main(void)
{
	test_undo();
	test_fast_retx_past_cwnd();
	test_sack_reach();
	test_ring_growth();
	test_ack_policy();
	test_windows();
	return 0;
}
