/* Reliability engine, one endpoint driven by hand-made packets and an
 * explicit clock: the retransmit timeout (initial value, RFC 6298 update
 * from samples, Karn's rule, floor, exponential backoff and its ceiling),
 * fast retransmit from selective acks, delayed and immediate acks, the
 * SACK bitmap, duplicate suppression and the credit limit. */
#include "udp_rel_cap.h"

/* A one-packet message with sequence number seq. */
static int data_in(struct udp_rel_ep *ep, uint32_t seq, uint64_t now)
{
	uint8_t b[UDP_REL_DATA_HDR_SIZE + 8];
	struct udp_rel_msg_hdr m;

	put_hdr(b, UDP_OP_REL_DATA, ep->epoch, seq, 0, 0, 8);
	memset(&m, 0, sizeof(m));
	m.msg_id = htole32(seq);
	m.msg_len = htole64(8);
	memcpy(b + sizeof(struct udp_rel_hdr), &m, sizeof(m));
	memset(b + UDP_REL_DATA_HDR_SIZE, 0xab, 8);
	return udp_rel_recv(ep, PEER, b, sizeof(b), now);
}

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

static void test_rto(void)
{
	struct udp_rel_cfg cfg;
	struct udp_rel_ep ep;
	struct udp_rel_send ops[64];
	struct udp_rel_peer *p;
	uint64_t t = 1000000, rto;
	int i, n;

	udp_rel_cfg_default(&cfg);
	cfg.rto_init_ns = 500 * US;
	cfg.rto_min_ns = 50 * US;
	cfg.rto_max_ns = 8000 * US;
	memset(&cap, 0, sizeof(cap));
	CHECK_OK(udp_rel_init(&ep, &cfg, &cap_ops, NULL, 0x1234));

	/* No sample yet: the initial timeout, then doubling. */
	send_small(&ep, &ops[0], t);
	CHECK(cap.n == 1 && cap.last.op == UDP_OP_REL_DATA && cap.last.seq == 0);
	CHECK(cap.last.dst_epoch == 0 && cap.last.src_epoch == 0x1234);
	p = udp_rel_peer_get(&ep, PEER);
	CHECK(udp_rel_peer_rto(&ep, p) == 500 * US);
	CHECK(udp_rel_progress(&ep, t + 499 * US) == t + 500 * US);
	CHECK(cap.n == 1);
	udp_rel_progress(&ep, t + 500 * US);
	CHECK(cap.n == 2 && cap.last.seq == 0);
	CHECK(udp_rel_peer_rto(&ep, p) == 1000 * US);
	udp_rel_progress(&ep, t + 1499 * US);
	CHECK(cap.n == 2);
	udp_rel_progress(&ep, t + 1500 * US);
	CHECK(cap.n == 3 && udp_rel_peer_rto(&ep, p) == 2000 * US);
	/* The backoff stops at the ceiling. */
	for (i = 0, t += 1500 * US; i < 10; i++) {
		t += udp_rel_peer_rto(&ep, p);
		udp_rel_progress(&ep, t);
	}
	CHECK(udp_rel_peer_rto(&ep, p) == cfg.rto_max_ns);
	CHECK(ep.stats.tx_timeouts == 12);

	/* Acked at last: Karn's rule, no sample from a retransmitted packet;
	 * the backoff stays until a valid sample (RFC 6298 5.7). */
	CHECK_OK(ack_in(&ep, 1, 0, t + 10 * US));
	CHECK(cap.done_ok == 1 && !p->have_rtt);
	CHECK(udp_rel_peer_rto(&ep, p) == cfg.rto_max_ns);
	CHECK(p->epoch == PEER_EPOCH);

	/* First sample R = 30 us: SRTT = R, RTTVAR = R/2, RTO = R + 4 RTTVAR. */
	t += 1000 * US;
	send_small(&ep, &ops[1], t);
	CHECK(cap.last.dst_epoch == PEER_EPOCH);
	CHECK_OK(ack_in(&ep, 2, 0, t + 30 * US));
	CHECK(p->have_rtt && p->srtt == 30 * US && p->rttvar == 15 * US);
	CHECK(udp_rel_peer_rto(&ep, p) == 90 * US);
	/* Second sample 50 us: RTTVAR = 3/4 15 + 1/4 20, SRTT = 7/8 30 + 1/8 50. */
	t += 1000 * US;
	send_small(&ep, &ops[2], t);
	CHECK_OK(ack_in(&ep, 3, 0, t + 50 * US));
	CHECK(p->rttvar == (3 * 15 * US + 20 * US) / 4);
	CHECK(p->srtt == (7 * 30 * US + 50 * US) / 8);
	/* Many fast samples: the timeout settles on the floor, far below
	 * a millisecond. */
	for (i = 0; i < 60; i++) {
		t += 100 * US;
		send_small(&ep, &ops[3], t);
		CHECK_OK(ack_in(&ep, 4 + (uint32_t)i, 0, t + 10 * US));
	}
	rto = udp_rel_peer_rto(&ep, p);
	printf("rto after 10 us samples: %.1f us\n", rto / 1e3);
	CHECK(rto == cfg.rto_min_ns);

	/* Fast retransmit: 8 packets out, the first lost; acks of 2..4
	 * (selective) mark it lost before any timeout. */
	t += 1000 * US;
	n = cap.n;
	for (i = 0; i < 8; i++)
		send_small(&ep, &ops[10 + i], t);
	CHECK(cap.n == n + 8);
	CHECK(p->snd_una == 63 && p->snd_nxt == 71);
	CHECK_OK(ack_in(&ep, 63, 0x1, t + 10 * US)); /* 64 */
	CHECK(cap.n == n + 8);
	CHECK_OK(ack_in(&ep, 63, 0x7, t + 11 * US)); /* 64..66 */
	CHECK(cap.n == n + 9 && cap.last.seq == 63);
	CHECK(ep.stats.tx_fast_retx == 1 && ep.stats.tx_timeouts == 12);
	CHECK(cap.done_ok == 63); /* held back until the cumulative ack */
	CHECK_OK(ack_in(&ep, 71, 0, t + 20 * US));
	CHECK(cap.done_ok == 71 && p->inflight == 0);
	/* An ack of something never sent is ignored and counted. */
	CHECK_OK(ack_in(&ep, 1000, 0, t + 30 * US));
	CHECK(ep.stats.rx_bad_ack == 1);
	/* Memory for a peer we send to: record + send ring (docs/prov/udp.md). */
	CHECK(udp_rel_peer_mem(&ep, p) == sizeof(*p) +
	      cfg.tx_ring_init * sizeof(struct udp_rel_txpkt));
	printf("peer memory: %zu bytes receiving in order, %zu sending\n",
	       sizeof(*p), udp_rel_peer_mem(&ep, p));
	udp_rel_fini(&ep);
}

static void test_acks(void)
{
	struct udp_rel_cfg cfg;
	struct udp_rel_ep ep;
	uint64_t t = 5000000;
	int n;

	udp_rel_cfg_default(&cfg);
	cfg.ack_every = 4;
	cfg.ack_delay_ns = 20 * US;
	cfg.rx_window = 16;
	memset(&cap, 0, sizeof(cap));
	CHECK_OK(udp_rel_init(&ep, &cfg, &cap_ops, NULL, 0x4321));

	/* In order: delivered at once, acked after ack_delay ... */
	CHECK_OK(data_in(&ep, 0, t));
	CHECK(cap.delivered == 1 && cap.n == 0);
	CHECK(udp_rel_progress(&ep, t + 1) == t + 20 * US);
	udp_rel_progress(&ep, t + 20 * US);
	CHECK(cap.n == 1 && cap.last.op == UDP_OP_REL_ACK && cap.last.ack == 1);
	CHECK(cap.last.dst_epoch == PEER_EPOCH && cap.last.wnd == 16);
	/* ... or after ack_every packets. */
	CHECK_OK(data_in(&ep, 1, t));
	CHECK_OK(data_in(&ep, 2, t));
	CHECK_OK(data_in(&ep, 3, t));
	CHECK(cap.n == 1);
	CHECK_OK(data_in(&ep, 4, t));
	CHECK(cap.n == 2 && cap.last.ack == 5 && cap.delivered == 5);
	/* Early packets: held, acked at once with the SACK bitmap. */
	CHECK_OK(data_in(&ep, 7, t));
	CHECK(cap.n == 3 && cap.last.ack == 5 && cap.last.sack == 0x2);
	CHECK_OK(data_in(&ep, 9, t));
	CHECK(cap.last.sack == 0xa && cap.delivered == 5);
	CHECK(ep.stats.rx_early == 2);
	/* Duplicates: dropped, acked at once. */
	CHECK_OK(data_in(&ep, 7, t));
	CHECK_OK(data_in(&ep, 2, t));
	CHECK(ep.stats.rx_dup == 2 && cap.delivered == 5);
	/* Filling the gap delivers the held packets in order. */
	n = cap.n;
	CHECK_OK(data_in(&ep, 5, t));
	CHECK(cap.delivered == 6);
	CHECK_OK(data_in(&ep, 6, t));
	CHECK(cap.delivered == 8 && cap.n > n); /* 6, 7 */
	CHECK_OK(data_in(&ep, 8, t));
	CHECK(cap.delivered == 10);
	CHECK(udp_rel_peer_get(&ep, PEER)->rx_held == 0);
	/* Beyond the credit: dropped. */
	CHECK_OK(data_in(&ep, 10 + 16, t));
	CHECK(ep.stats.rx_beyond_wnd == 1 && cap.delivered == 10);
	/* A peer we only receive from: record + early-packet ring (it had
	 * early packets), no send ring. */
	CHECK(udp_rel_peer_mem(&ep, udp_rel_peer_get(&ep, PEER)) ==
	      sizeof(struct udp_rel_peer) + cfg.rx_window * sizeof(void *));
	udp_rel_fini(&ep);
}

int main(void)
{
	test_rto();
	test_acks();
	return 0;
}
