/* The reliability engine (see udp_rel.h for the model): configuration,
 * decoding, setup, peers, the RTT estimate, transmitting, acks in and
 * timers; data in is udp_rel_rx.c. Every function here runs under the
 * caller's serialisation of the endpoint; none reads a clock or touches a
 * socket. */
#include <endian.h>
#include <rdma/fi_errno.h>
#include <stdlib.h>
#include <string.h>

#include "udp_rel_int.h"

/* ---- configuration ----------------------------------------------------- */

void udp_rel_cfg_default(struct udp_rel_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mtu_payload = 1400;
	cfg->tx_window = 256;
	cfg->tx_ring_init = 64;
	cfg->rx_window = 256;
	cfg->rx_pool = 1024;
	cfg->tx_copy_pool = 256;
	cfg->max_peers = 1024;
	cfg->cwnd_init = 16;
	cfg->ack_every = 16;
	cfg->initial_seq = 0;
	cfg->max_msg_size = (uint64_t)1 << 40;
	cfg->rto_init_ns = 500000;  /* 0.5 ms until the first sample */
	cfg->rto_min_ns = 50000;    /* 50 us: loopback RTTs are ~10-20 us */
	cfg->rto_max_ns = 200000000; /* 200 ms */
	cfg->ack_delay_ns = 20000;
	cfg->dead_ns = 5000000000ull; /* 5 s */
}

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

void udp_rel_cfg_windows(struct udp_rel_cfg *cfg, size_t rcvbuf)
{
	/* What one packet costs in the kernel's receive accounting: the
	 * datagram plus the socket buffer's own overhead, generously. */
	size_t per_pkt = UDP_REL_DATA_HDR_SIZE + cfg->mtu_payload + 1024;
	size_t fit = rcvbuf / per_pkt;
	uint32_t w = UDP_REL_WND_MAX_AUTO;

	while (w > UDP_REL_WND_MIN_AUTO && w > fit)
		w >>= 1;
	cfg->rx_window = w;
	cfg->tx_window = UDP_REL_WND_MAX_AUTO;
	/* Early packets (after a loss, everything up to the retransmission)
	 * are held in the pool: a whole window of them where that costs at
	 * most UDP_REL_POOL_BYTES (small packets), else what fits (big
	 * loopback packets, where loss is rare). Untouched until needed. */
	fit = UDP_REL_POOL_BYTES / (UDP_REL_DATA_HDR_SIZE + cfg->mtu_payload);
	cfg->rx_pool = fit < w ? (uint32_t)fit : w;
	if (cfg->rx_pool < UDP_REL_WND_MIN_AUTO)
		cfg->rx_pool = UDP_REL_WND_MIN_AUTO;
	/* Copied sends' packets in flight, within the same byte budget:
	 * what bounds the throughput of copied sends (RMA read answers). */
	cfg->tx_copy_pool = fit < cfg->tx_window ? (uint32_t)fit
						 : cfg->tx_window;
	if (cfg->tx_copy_pool < UDP_REL_WND_MIN_AUTO)
		cfg->tx_copy_pool = UDP_REL_WND_MIN_AUTO;
}

/* ---- decoding: the only gate for bytes off the wire --------------------- */

int udp_rel_decode(const void *pkt, size_t len, struct udp_rel_pkt *out)
{
	struct udp_rel_hdr h;
	struct udp_rel_msg_hdr m;

	if (len < sizeof(h))
		return UDP_REL_BAD_SHORT;
	memcpy(&h, pkt, sizeof(h)); /* no alignment assumed */
	if (le32toh(h.magic) != UDP_PROTO_MAGIC)
		return UDP_REL_BAD_MAGIC;
	if (h.version != UDP_PROTO_VERSION)
		return UDP_REL_BAD_VERSION;
	if (h.op != UDP_OP_REL_DATA && h.op != UDP_OP_REL_ACK)
		return UDP_REL_BAD_OP;
	if ((h.flags & ~UDP_REL_FLAGS_KNOWN) || h.reserved)
		return UDP_REL_BAD_FLAGS;
	memset(out, 0, sizeof(*out));
	out->op = h.op;
	out->src_epoch = le32toh(h.src_epoch);
	out->dst_epoch = le32toh(h.dst_epoch);
	out->seq = le32toh(h.seq);
	out->ack = le32toh(h.ack);
	out->sack = le64toh(h.sack);
	out->wnd = le32toh(h.wnd);
	out->paylen = le32toh(h.paylen);
	if (!out->src_epoch)
		return UDP_REL_BAD_EPOCH;
	if (out->wnd == 0 || out->wnd > UDP_REL_MAX_WND)
		return UDP_REL_BAD_WND;
	if (h.op == UDP_OP_REL_ACK) {
		if (len != UDP_REL_ACK_SIZE || out->paylen || out->seq)
			return UDP_REL_BAD_LEN;
		return 0;
	}
	if (len < UDP_REL_DATA_HDR_SIZE ||
	    len - UDP_REL_DATA_HDR_SIZE != out->paylen)
		return UDP_REL_BAD_LEN;
	memcpy(&m, (const uint8_t *)pkt + sizeof(h), sizeof(m));
	out->msg_id = le32toh(m.msg_id);
	out->mflags = le32toh(m.mflags);
	out->msg_len = le64toh(m.msg_len);
	out->offset = le64toh(m.offset);
	out->tag = le64toh(m.tag);
	out->cq_data = le64toh(m.cq_data);
	if ((out->mflags & ~UDP_REL_MSG_FLAGS_KNOWN) ||
	    UDP_REL_MSG_OP(out->mflags) >= UDP_RDM_OP_COUNT)
		return UDP_REL_BAD_MSG;
	if (!(out->mflags & UDP_REL_MSG_TAGGED) && out->tag)
		return UDP_REL_BAD_MSG;
	if (!(out->mflags & UDP_REL_MSG_CQ_DATA) && out->cq_data)
		return UDP_REL_BAD_MSG;
	/* offset + paylen <= msg_len, written so it cannot overflow; only an
	 * empty message has an empty fragment. */
	if (out->offset > out->msg_len ||
	    out->paylen > out->msg_len - out->offset)
		return UDP_REL_BAD_MSG;
	if (out->paylen == 0 && out->msg_len != 0)
		return UDP_REL_BAD_MSG;
	out->payload = (const uint8_t *)pkt + UDP_REL_DATA_HDR_SIZE;
	return 0;
}

/* ---- setup -------------------------------------------------------------- */

int udp_rel_init(struct udp_rel_ep *ep, const struct udp_rel_cfg *cfg,
		 const struct udp_rel_ops *ops, void *ctx, uint32_t epoch)
{
	uint32_t i;

	if (!epoch || !is_pow2(cfg->tx_window) || !is_pow2(cfg->rx_window) ||
	    (cfg->tx_ring_init && !is_pow2(cfg->tx_ring_init)) ||
	    cfg->rx_window > UDP_REL_MAX_WND || cfg->tx_window > (1u << 20) ||
	    !cfg->mtu_payload || !cfg->max_peers || !cfg->cwnd_init ||
	    !cfg->ack_every || !cfg->rto_min_ns ||
	    cfg->rto_min_ns > cfg->rto_max_ns || !ops->xmit ||
	    !ops->deliver || !ops->send_done)
		return -FI_EINVAL;
	memset(ep, 0, sizeof(*ep));
	ep->cfg = *cfg;
	ep->ops = *ops;
	ep->ctx = ctx;
	ep->epoch = epoch;
	ep->peers = calloc(cfg->max_peers, sizeof(*ep->peers));
	if (!ep->peers)
		return -FI_ENOMEM;
	if (!ep->cfg.max_rx_payload || ep->cfg.max_rx_payload < cfg->mtu_payload)
		ep->cfg.max_rx_payload = cfg->mtu_payload;
	if (!ep->cfg.tx_ring_init || ep->cfg.tx_ring_init > cfg->tx_window)
		ep->cfg.tx_ring_init = cfg->tx_window;
	ep->pool_buf_size = UDP_REL_DATA_HDR_SIZE + cfg->mtu_payload;
	if (cfg->rx_pool) {
		ep->pool_mem = malloc((size_t)cfg->rx_pool * ep->pool_buf_size);
		ep->pool_free = malloc((size_t)cfg->rx_pool * sizeof(void *));
		if (!ep->pool_mem || !ep->pool_free) {
			free(ep->pool_mem);
			free(ep->pool_free);
			free(ep->peers);
			return -FI_ENOMEM;
		}
		for (i = 0; i < cfg->rx_pool; i++)
			ep->pool_free[i] = ep->pool_mem + i * ep->pool_buf_size;
		ep->pool_nfree = cfg->rx_pool;
	}
	if (cfg->tx_copy_pool) {
		/* Address space until used: pages are touched by copies. */
		ep->copy_mem = malloc((size_t)cfg->tx_copy_pool *
				      cfg->mtu_payload);
		ep->copy_free = malloc((size_t)cfg->tx_copy_pool *
				       sizeof(*ep->copy_free));
		if (!ep->copy_mem || !ep->copy_free) {
			free(ep->copy_mem);
			free(ep->copy_free);
			free(ep->pool_mem);
			free(ep->pool_free);
			free(ep->peers);
			return -FI_ENOMEM;
		}
		for (i = 0; i < cfg->tx_copy_pool; i++)
			ep->copy_free[i] =
				ep->copy_mem + (size_t)i * cfg->mtu_payload;
		ep->copy_nfree = cfg->tx_copy_pool;
	}
	return 0;
}

/* A packet slot is done with: its copy (if any) goes back to the pool. */
static void pkt_release(struct udp_rel_ep *ep, struct udp_rel_txpkt *t)
{
	if (t->copy) {
		ep->copy_free[ep->copy_nfree++] = t->copy;
		t->copy = NULL;
	}
}

/* ---- peers -------------------------------------------------------------- */

void udp_rel_peer_activate(struct udp_rel_ep *ep, struct udp_rel_peer *p)
{
	if (p->active)
		return;
	p->active = true;
	p->act_prev = NULL;
	p->act_next = ep->act_head;
	if (ep->act_head)
		ep->act_head->act_prev = p;
	ep->act_head = p;
}

static void peer_deactivate(struct udp_rel_ep *ep, struct udp_rel_peer *p)
{
	if (!p->active)
		return;
	if (p->act_prev)
		p->act_prev->act_next = p->act_next;
	else
		ep->act_head = p->act_next;
	if (p->act_next)
		p->act_next->act_prev = p->act_prev;
	p->active = false;
	p->act_next = p->act_prev = NULL;
}

/* Sequence, window and timer state of a fresh conversation. */
static void peer_reset_streams(struct udp_rel_ep *ep, struct udp_rel_peer *p)
{
	p->snd_una = p->snd_nxt = ep->cfg.initial_seq;
	p->rcv_nxt = ep->cfg.initial_seq;
	p->peer_wnd = ep->cfg.rx_window;
	p->inflight = p->nlost = 0;
	p->lost_hint = ep->cfg.initial_seq;
	p->cwnd_fp = ep->cfg.cwnd_init << 8;
	p->ssthresh = ep->cfg.tx_window;
	p->recover = ep->cfg.initial_seq;
	p->order = p->acked_order = 0;
	p->tx_msg_id = 0;
	p->have_rtt = false;
	p->srtt = p->rttvar = 0;
	p->rto = ep->cfg.rto_init_ns;
	p->backoff = 0;
	p->rto_order = 0;
	p->retx_credit = 0;
	p->rx_in_msg = false;
	p->rx_off = p->rx_msg_len = 0;
	p->ack_pending = false;
	p->rx_unacked = 0;
}

struct udp_rel_peer *udp_rel_peer_get_or_create(struct udp_rel_ep *ep,
					       uint32_t id)
{
	struct udp_rel_peer *p;

	if (id >= ep->cfg.max_peers)
		return NULL;
	p = ep->peers[id];
	if (p)
		return p;
	/* Setup cost on first contact only; the ring buffers come later,
	 * when the peer first sends or first delivers out of order. */
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->id = id;
	peer_reset_streams(ep, p);
	ep->peers[id] = p;
	return p;
}

static bool peer_tx_busy(const struct udp_rel_peer *p)
{
	return p->q_head != NULL;
}

/* Release every early packet held for p. */
static void peer_drop_early(struct udp_rel_ep *ep, struct udp_rel_peer *p)
{
	uint32_t i;

	if (!p->rxr)
		return;
	for (i = 0; i < ep->cfg.rx_window && p->rx_held; i++) {
		if (p->rxr[i]) {
			ep->pool_free[ep->pool_nfree++] = p->rxr[i];
			p->rxr[i] = NULL;
			p->rx_held--;
		}
	}
}

/* Fail every unfinished send to p with err, and forget the packets. */
static void peer_fail_sends(struct udp_rel_ep *ep, struct udp_rel_peer *p,
			    int err)
{
	struct udp_rel_send *op;
	uint32_t seq;

	if (p->txr) {
		for (seq = p->snd_una; seq_lt(seq, p->snd_nxt); seq++)
			pkt_release(ep, &p->txr[seq & p->txr_mask]);
		memset(p->txr, 0, sizeof(*p->txr) * (p->txr_mask + 1));
	}
	p->inflight = p->nlost = 0;
	p->snd_una = p->snd_nxt;
	while ((op = p->q_head)) {
		p->q_head = op->next;
		op->next = NULL;
		ep->ops.send_done(ep->ctx, p->id, op, err);
	}
	p->q_tail = p->seg = NULL;
}

/* The peer shows a new incarnation: everything of the old one ends. */
void udp_rel_peer_restart(struct udp_rel_ep *ep, struct udp_rel_peer *p,
			 uint32_t epoch)
{
	memmove(&p->retired[1], &p->retired[0],
		sizeof(p->retired[0]) * (UDP_REL_RETIRED - 1));
	p->retired[0] = p->epoch;
	p->epoch = epoch;
	ep->stats.peers_restarted++;
	peer_fail_sends(ep, p, -FI_ECONNRESET);
	peer_drop_early(ep, p);
	if (p->rx_in_msg && ep->ops.rx_abort)
		ep->ops.rx_abort(ep->ctx, p->id);
	peer_reset_streams(ep, p);
	p->state = UDP_REL_PEER_ALIVE;
}

bool udp_rel_epoch_retired(const struct udp_rel_peer *p, uint32_t epoch)
{
	int i;

	for (i = 0; i < UDP_REL_RETIRED; i++)
		if (p->retired[i] == epoch)
			return true;
	return false;
}

/* ---- RTT and the retransmit timeout (RFC 6298 arithmetic) --------------- */

uint64_t udp_rel_peer_rto(const struct udp_rel_ep *ep,
			  const struct udp_rel_peer *p)
{
	uint64_t rto = p->rto;
	uint32_t i;

	for (i = 0; i < p->backoff && rto < ep->cfg.rto_max_ns; i++)
		rto <<= 1;
	return min_u64(rto, ep->cfg.rto_max_ns);
}

static void rtt_sample(struct udp_rel_ep *ep, struct udp_rel_peer *p,
		       uint64_t r)
{
	uint64_t err;

	if (!p->have_rtt) {
		p->srtt = r;
		p->rttvar = r / 2;
		p->have_rtt = true;
	} else {
		err = p->srtt > r ? p->srtt - r : r - p->srtt;
		p->rttvar = (3 * p->rttvar + err) / 4;
		p->srtt = (7 * p->srtt + r) / 8;
	}
	p->rto = p->srtt + max_u64(4 * p->rttvar, 1000);
	p->rto = max_u64(p->rto, ep->cfg.rto_min_ns);
	p->rto = min_u64(p->rto, ep->cfg.rto_max_ns);
}

/* ---- transmitting ------------------------------------------------------- */

static uint64_t sack_bits(const struct udp_rel_ep *ep,
			  const struct udp_rel_peer *p)
{
	uint64_t sack = 0;
	uint32_t i, n, mask = ep->cfg.rx_window - 1;

	if (!p->rxr || !p->rx_held)
		return 0;
	n = ep->cfg.rx_window - 1;
	if (n > UDP_REL_SACK_BITS)
		n = UDP_REL_SACK_BITS;
	for (i = 0; i < n; i++)
		if (p->rxr[(p->rcv_nxt + 1 + i) & mask])
			sack |= (uint64_t)1 << i;
	return sack;
}

static void hdr_fill(const struct udp_rel_ep *ep, const struct udp_rel_peer *p,
		     struct udp_rel_hdr *h, uint8_t op)
{
	h->version = UDP_PROTO_VERSION;
	h->op = op;
	h->flags = 0;
	h->reserved = 0;
	h->magic = htole32(UDP_PROTO_MAGIC);
	h->src_epoch = htole32(ep->epoch);
	h->dst_epoch = htole32(p->epoch);
	h->seq = 0;
	h->ack = htole32(p->rcv_nxt);
	h->sack = htole64(sack_bits(ep, p));
	h->wnd = htole32(ep->cfg.rx_window);
	h->paylen = 0;
}

static void ack_sent(struct udp_rel_peer *p)
{
	p->ack_pending = false;
	p->ack_msg_done = false;
	p->rx_unacked = 0;
}

int udp_rel_send_ack(struct udp_rel_ep *ep, struct udp_rel_peer *p)
{
	struct udp_rel_hdr h;
	int ret;

	hdr_fill(ep, p, &h, UDP_OP_REL_ACK);
	ret = ep->ops.xmit(ep->ctx, p->id, &h, sizeof(h), NULL, 0);
	if (ret == -FI_EAGAIN) {
		p->ack_pending = true; /* retried by progress */
		return ret;
	}
	ep->stats.tx_ack++;
	ack_sent(p);
	return 0;
}

/* The iov entries of op covering [off, off + len). */
static size_t iov_slice(const struct udp_rel_send *op, uint64_t off,
			size_t len, struct iovec *out)
{
	size_t i, n = 0;

	for (i = 0; i < op->iov_cnt && len; i++) {
		size_t l = op->iov[i].iov_len;

		if (off >= l) {
			off -= l;
			continue;
		}
		out[n].iov_base = (uint8_t *)op->iov[i].iov_base + off;
		out[n].iov_len = min_u64(l - off, len);
		len -= out[n].iov_len;
		off = 0;
		n++;
	}
	return n;
}

/* Put the packet in slot seq on the wire (first time or again). */
static int xmit_data(struct udp_rel_ep *ep, struct udp_rel_peer *p,
		     uint32_t seq, uint64_t now)
{
	struct udp_rel_txpkt *t = &p->txr[seq & p->txr_mask];
	struct udp_rel_send *op = t->op;
	struct {
		struct udp_rel_hdr h;
		struct udp_rel_msg_hdr m;
	} hdr;
	struct iovec iov[UDP_REL_IOV_MAX];
	size_t n;
	int ret;

	static_assert(sizeof(hdr) == UDP_REL_DATA_HDR_SIZE, "no padding");
	hdr_fill(ep, p, &hdr.h, UDP_OP_REL_DATA);
	hdr.h.seq = htole32(seq);
	hdr.h.paylen = htole32(t->len);
	hdr.m.msg_id = htole32(op->msg_id);
	hdr.m.mflags = htole32(op->mflags);
	hdr.m.msg_len = htole64(op->len);
	hdr.m.offset = htole64(t->off);
	hdr.m.tag = htole64(op->mflags & UDP_REL_MSG_TAGGED ? op->tag : 0);
	hdr.m.cq_data =
		htole64(op->mflags & UDP_REL_MSG_CQ_DATA ? op->cq_data : 0);
	if (t->copy) {
		/* Copied send: never the caller's buffers again. */
		iov[0].iov_base = t->copy;
		iov[0].iov_len = t->len;
		n = t->len ? 1 : 0;
	} else {
		n = iov_slice(op, t->off, t->len, iov);
	}
	ret = ep->ops.xmit(ep->ctx, p->id, &hdr, sizeof(hdr), iov, n);
	if (ret == -FI_EAGAIN)
		return ret;
	/* Any other outcome counts as sent: a lost packet is retransmitted. */
	ack_sent(p); /* the header carried our ack */
	t->sent_ns = now;
	t->order = ++p->order;
	t->state = UDP_REL_PKT_INFLIGHT;
	p->inflight++;
	return 0;
}

/* Cut the next packet off the first unsegmented send into slot snd_nxt. */
static void segment_next(struct udp_rel_ep *ep, struct udp_rel_peer *p)
{
	struct udp_rel_send *op = p->seg;
	struct udp_rel_txpkt *t = &p->txr[p->snd_nxt & p->txr_mask];
	uint64_t left = op->len - op->seg_off;

	t->op = op;
	t->off = op->seg_off;
	t->len = (uint32_t)min_u64(left, ep->cfg.mtu_payload);
	t->copy = NULL;
	if (op->copy && t->len) {
		/* The pump checked that a buffer is free. */
		struct iovec iov[UDP_REL_IOV_MAX];
		size_t n = iov_slice(op, t->off, t->len, iov), i;
		uint8_t *d;

		d = t->copy = ep->copy_free[--ep->copy_nfree];
		for (i = 0; i < n; i++) {
			memcpy(d, iov[i].iov_base, iov[i].iov_len);
			d += iov[i].iov_len;
		}
	}
	t->retx = 0;
	t->order = 0; /* never sent */
	t->state = UDP_REL_PKT_LOST; /* "to be sent"; xmit_data fixes it */
	op->seg_off += t->len;
	op->pkts_out++;
	if (op->seg_off == op->len) {
		op->segmented = true;
		op->last_seq = p->snd_nxt;
		p->seg = op->next;
	}
	if (!p->nlost)
		p->lost_hint = p->snd_nxt;
	lost_hint_lower(&p->lost_hint, p->snd_nxt);
	p->snd_nxt++;
	p->nlost++;
}

/* Send the oldest LOST packet. 0 if one went out, -FI_EAGAIN if the
 * network refused it. */
static int retransmit_one(struct udp_rel_ep *ep, struct udp_rel_peer *p,
			  uint64_t now)
{
	uint32_t seq, from, mask = p->txr_mask;
	int pass;

	from = seq_lt(p->lost_hint, p->snd_una) ? p->snd_una : p->lost_hint;
	for (pass = 0; pass < 2; pass++, from = p->snd_una) {
		for (seq = from; seq_lt(seq, p->snd_nxt); seq++) {
			struct udp_rel_txpkt *t = &p->txr[seq & mask];
			bool again = t->order != 0;

			if (t->state != UDP_REL_PKT_LOST)
				continue;
			if (xmit_data(ep, p, seq, now)) {
				p->lost_hint = seq;
				return -FI_EAGAIN;
			}
			/* xmit_data counted it in flight */
			p->nlost--;
			p->lost_hint = seq + 1;
			if (again) {
				t->retx = 1;
				ep->stats.tx_retx++;
			} else {
				ep->stats.tx_data++;
			}
			return 0;
		}
	}
	/* Unreachable while the counters are right; never spin. */
	p->nlost = 0;
	return -FI_EAGAIN;
}

/* The send ring is full but the windows allow more: double it (up to
 * cfg.tx_window). Peers that only ever have a few packets in flight keep
 * the small initial ring; a streaming peer grows it a few times in its
 * life, which is the only allocation after a peer's first send. */
static int txr_grow(struct udp_rel_ep *ep, struct udp_rel_peer *p)
{
	uint32_t size = (p->txr_mask + 1) * 2, seq;
	struct udp_rel_txpkt *r;

	if (size > ep->cfg.tx_window)
		return -FI_EAGAIN;
	r = calloc(size, sizeof(*r));
	if (!r)
		return -FI_ENOMEM;
	for (seq = p->snd_una; seq_lt(seq, p->snd_nxt); seq++)
		r[seq & (size - 1)] = p->txr[seq & p->txr_mask];
	free(p->txr);
	p->txr = r;
	p->txr_mask = size - 1;
	return 0;
}

/* Send what the congestion window, the peer's credit and the ring allow:
 * retransmissions first, oldest first, then new packets. */
void udp_rel_pump(struct udp_rel_ep *ep, struct udp_rel_peer *p, uint64_t now)
{
	uint32_t cwnd, limit;

	if (p->state != UDP_REL_PEER_ALIVE || !p->txr)
		return;
	for (;;) {
		cwnd = p->cwnd_fp >> 8;
		if (cwnd < 1)
			cwnd = 1;
		if (p->nlost && p->retx_credit) {
			/* A loss just detected is repaired at once, whatever
			 * the window: the packets sent after it that the
			 * receiver holds beyond the SACK's reach still count
			 * as in flight, so waiting for the flight to shrink
			 * below the halved window would wait for a timeout. */
			if (retransmit_one(ep, p, now))
				return;
			p->retx_credit--;
			continue;
		}
		if (p->inflight >= cwnd)
			return;
		if (p->nlost) {
			if (retransmit_one(ep, p, now))
				return;
			continue;
		}
		if (!p->seg)
			return;
		limit = ep->cfg.tx_window;
		if (p->peer_wnd < limit)
			limit = p->peer_wnd;
		if ((uint32_t)(p->snd_nxt - p->snd_una) >= limit)
			return;
		if ((uint32_t)(p->snd_nxt - p->snd_una) > p->txr_mask &&
		    txr_grow(ep, p))
			return;
		if (p->seg->copy && !ep->copy_nfree)
			return; /* progress polls: see peer_timers */
		segment_next(ep, p);
	}
}

/* ---- sending API -------------------------------------------------------- */

static int send_common(struct udp_rel_ep *ep, uint32_t peer,
		       struct udp_rel_send *op, uint64_t now, bool copy)
{
	struct udp_rel_peer *p;
	uint64_t len = 0;
	size_t i;

	if (op->iov_cnt > UDP_REL_IOV_MAX ||
	    (op->mflags & ~UDP_REL_MSG_FLAGS_KNOWN))
		return -FI_EINVAL;
	for (i = 0; i < op->iov_cnt; i++) {
		if (op->iov[i].iov_len && !op->iov[i].iov_base)
			return -FI_EINVAL;
		len += op->iov[i].iov_len;
	}
	if (len > ep->cfg.max_msg_size)
		return -FI_EINVAL;
	if (peer >= ep->cfg.max_peers)
		return -FI_EINVAL;
	p = udp_rel_peer_get_or_create(ep, peer);
	if (!p)
		return -FI_ENOMEM;
	if (p->state == UDP_REL_PEER_DEAD)
		return -FI_EHOSTUNREACH;
	if (!p->txr) {
		p->txr = calloc(ep->cfg.tx_ring_init, sizeof(*p->txr));
		if (!p->txr)
			return -FI_ENOMEM;
		p->txr_mask = ep->cfg.tx_ring_init - 1;
	}
	op->next = NULL;
	op->len = len;
	op->seg_off = 0;
	op->pkts_out = 0;
	op->segmented = false;
	op->copy = copy;
	op->msg_id = p->tx_msg_id++;
	if (!p->q_head) {
		p->q_head = op;
		p->busy_since = now;
	} else {
		p->q_tail->next = op;
	}
	p->q_tail = op;
	if (!p->seg)
		p->seg = op;
	udp_rel_peer_activate(ep, p);
	if (!ep->in_deliver)
		udp_rel_pump(ep, p, now); /* else the caller's pump: see h */
	return 0;
}

int udp_rel_send(struct udp_rel_ep *ep, uint32_t peer,
		 struct udp_rel_send *op, uint64_t now)
{
	return send_common(ep, peer, op, now, false);
}

int udp_rel_send_copy(struct udp_rel_ep *ep, uint32_t peer,
		      struct udp_rel_send *op, uint64_t now)
{
	if (!ep->cfg.tx_copy_pool)
		return -FI_EINVAL;
	return send_common(ep, peer, op, now, true);
}

/* ---- acks in ------------------------------------------------------------ */

/* Sends at the head of the queue whose every packet is cumulatively
 * acknowledged are done. A selective ack is not enough: it says the packet
 * is held, not that the message was delivered (the receiver could still
 * restart), and completion promises delivery. Completing in queue order
 * keeps completions in posting order. */
static void complete_sends(struct udp_rel_ep *ep, struct udp_rel_peer *p)
{
	struct udp_rel_send *op;

	while ((op = p->q_head) && op->segmented &&
	       seq_lt(op->last_seq, p->snd_una)) {
		p->q_head = op->next;
		if (!p->q_head)
			p->q_tail = NULL;
		op->next = NULL;
		ep->ops.send_done(ep->ctx, p->id, op, 0);
	}
}

static void pkt_acked(struct udp_rel_peer *p, struct udp_rel_txpkt *t,
		      uint64_t now, uint64_t *sample, uint64_t *sample_order,
		      bool *spurious)
{
	if (t->state == UDP_REL_PKT_INFLIGHT) {
		p->inflight--;
	} else if (t->state == UDP_REL_PKT_LOST) {
		p->nlost--;
		/* Given up on by the last timeout, yet acknowledged before
		 * being sent again: the original arrived, so the timeout
		 * was premature (the peer or the path was only slow). */
		if (p->rto_order && t->order && t->order <= p->rto_order)
			*spurious = true;
	} else {
		return; /* already acked, or free */
	}
	t->state = UDP_REL_PKT_ACKED;
	t->op->pkts_out--;
	if (t->order > p->acked_order)
		p->acked_order = t->order;
	/* Karn: only packets sent once say how long a round trip takes;
	 * the most recently sent of them says it best. */
	if (!t->retx && t->order > *sample_order && t->order) {
		*sample_order = t->order;
		*sample = now - t->sent_ns;
	}
}

static void on_loss_event(struct udp_rel_ep *ep, struct udp_rel_peer *p,
			  uint32_t seq)
{
	uint32_t cwnd = p->cwnd_fp >> 8;

	/* Halve once per window of data: losses of packets sent before the
	 * last decrease belong to the same event. */
	if (seq_lt(seq, p->recover))
		return;
	p->ssthresh = cwnd / 2 > 2 ? cwnd / 2 : 2;
	p->cwnd_fp = p->ssthresh << 8;
	p->recover = p->snd_nxt;
}

/* The last timeout was premature (see pkt_acked): restore the congestion
 * state it destroyed, and take back what it declared lost but has not
 * resent yet: those packets are most likely delivered too, so they get
 * another full timeout instead of a retransmission. A timeout that hit a
 * real loss at the same time as a slow peer is undone too; fast
 * retransmission still repairs that loss. */
static void rto_undo(struct udp_rel_ep *ep, struct udp_rel_peer *p,
		     uint64_t now)
{
	uint32_t seq, mask = p->txr_mask;

	for (seq = p->snd_una; seq_lt(seq, p->snd_nxt); seq++) {
		struct udp_rel_txpkt *t = &p->txr[seq & mask];

		if (t->state != UDP_REL_PKT_LOST || !t->order ||
		    t->order > p->rto_order)
			continue;
		/* As if sent now: a fresh transmission order, so packets
		 * resent after the timeout do not make it look overtaken
		 * (fast retransmit), and no RTT sample from it. */
		t->state = UDP_REL_PKT_INFLIGHT;
		t->sent_ns = now;
		t->order = ++p->order;
		t->retx = 1;
		p->nlost--;
		p->inflight++;
	}
	if (p->undo_cwnd_fp > p->cwnd_fp)
		p->cwnd_fp = p->undo_cwnd_fp;
	if (p->undo_ssthresh > p->ssthresh)
		p->ssthresh = p->undo_ssthresh;
	p->backoff = 0;
	p->rto_order = 0;
	ep->stats.tx_rto_undo++;
}

void udp_rel_ack_in(struct udp_rel_ep *ep, struct udp_rel_peer *p,
		   const struct udp_rel_pkt *k, uint64_t now)
{
	uint32_t mask = p->txr_mask, seq, i, newly;
	uint64_t sample = 0, sample_order = 0, before = p->acked_order;
	uint32_t inflight_before = p->inflight + p->nlost;
	bool spurious = false;
	uint32_t seen = k->ack; /* below it, this ack tells about every seq */

	if (!p->txr)
		return;
	if (seq_gt(k->ack, p->snd_nxt)) {
		ep->stats.rx_bad_ack++;
		return;
	}
	if (seq_lt(k->ack, p->snd_una))
		return; /* an old ack, overtaken */
	p->peer_wnd = k->wnd;
	for (seq = p->snd_una; seq_lt(seq, k->ack); seq++)
		pkt_acked(p, &p->txr[seq & mask], now, &sample, &sample_order,
			  &spurious);
	for (i = 0; i < UDP_REL_SACK_BITS; i++) {
		if (!(k->sack >> i & 1))
			continue;
		seq = k->ack + 1 + i;
		if (!seq_lt(seq, p->snd_nxt))
			break;
		seen = seq + 1;
		pkt_acked(p, &p->txr[seq & mask], now, &sample, &sample_order,
			  &spurious);
	}
	while (seq_lt(p->snd_una, p->snd_nxt) &&
	       p->txr[p->snd_una & mask].state == UDP_REL_PKT_ACKED) {
		p->txr[p->snd_una & mask].state = UDP_REL_PKT_FREE;
		p->txr[p->snd_una & mask].op = NULL;
		pkt_release(ep, &p->txr[p->snd_una & mask]);
		p->snd_una++;
	}
	if (spurious)
		rto_undo(ep, p, now);
	newly = inflight_before - (p->inflight + p->nlost);
	if (newly) {
		uint32_t cwnd = p->cwnd_fp >> 8;

		p->busy_since = now;
		/* The backoff ends with the first valid sample (RFC 6298
		 * 5.7): an ack of a retransmitted packet says nothing about
		 * the RTT, and forgetting the backoff then would time the
		 * next packet out just as early (a peer slower than the
		 * initial timeout would get every packet sent twice). */
		if (sample_order) {
			p->backoff = 0;
			rtt_sample(ep, p, sample);
		}
		if (cwnd < p->ssthresh)
			p->cwnd_fp += newly << 8; /* slow start */
		else
			p->cwnd_fp += (uint32_t)(((uint64_t)newly << 16) /
						 p->cwnd_fp); /* +1 per RTT */
		if (p->cwnd_fp > ep->cfg.tx_window << 8)
			p->cwnd_fp = ep->cfg.tx_window << 8;
	}
	/* A packet sent before one now acknowledged is lost once
	 * DUPTHRESH packets sent after it are acknowledged, or (RACK's time
	 * rule, which also works when the window is too small to have
	 * DUPTHRESH packets after it) once it has been out for a round trip
	 * and a quarter. */
	if (p->acked_order > before) {
		uint64_t reo = p->have_rtt ? p->srtt + p->srtt / 4 : UINT64_MAX;

		/* Only packets the ack can see: one beyond the SACK's reach
		 * may be held by the receiver, even if it was sent before a
		 * retransmission that was just acknowledged. */
		for (seq = p->snd_una; seq_lt(seq, seen); seq++) {
			struct udp_rel_txpkt *t = &p->txr[seq & mask];

			if (t->state != UDP_REL_PKT_INFLIGHT ||
			    t->order >= p->acked_order)
				continue;
			if (t->order + UDP_REL_DUPTHRESH > p->acked_order &&
			    (reo == UINT64_MAX || now - t->sent_ns < reo))
				continue;
			t->state = UDP_REL_PKT_LOST;
			lost_hint_lower(&p->lost_hint, seq);
			p->inflight--;
			p->nlost++;
			ep->stats.tx_fast_retx++;
			p->retx_credit++;
			on_loss_event(ep, p, seq);
		}
	}
	complete_sends(ep, p);
}

/* ---- timers ------------------------------------------------------------- */

static void on_timeout(struct udp_rel_ep *ep, struct udp_rel_peer *p)
{
	uint32_t seq, mask = p->txr_mask, flight = p->inflight;

	/* Everything in flight is presumed lost; start again from one
	 * packet, slowly, with a doubled timer. */
	for (seq = p->snd_una; seq_lt(seq, p->snd_nxt); seq++) {
		struct udp_rel_txpkt *t = &p->txr[seq & mask];

		if (t->state == UDP_REL_PKT_INFLIGHT) {
			t->state = UDP_REL_PKT_LOST;
			lost_hint_lower(&p->lost_hint, seq);
			p->nlost++;
		}
	}
	p->inflight = 0;
	if (!p->rto_order) {
		/* The state before the first of a run of timeouts. */
		p->undo_cwnd_fp = p->cwnd_fp;
		p->undo_ssthresh = p->ssthresh;
	}
	p->rto_order = p->order;
	p->ssthresh = flight / 2 > 2 ? flight / 2 : 2;
	p->cwnd_fp = 1 << 8;
	p->retx_credit = 0;
	p->recover = p->snd_nxt;
	if (p->backoff < 32)
		p->backoff++;
	ep->stats.tx_timeouts++;
}

/* When the oldest packet in flight to p was sent (UINT64_MAX: none). */
static uint64_t oldest_sent(const struct udp_rel_peer *p)
{
	uint64_t oldest = UINT64_MAX;
	uint32_t seq;

	for (seq = p->snd_una; seq_lt(seq, p->snd_nxt); seq++) {
		const struct udp_rel_txpkt *t = &p->txr[seq & p->txr_mask];

		if (t->state == UDP_REL_PKT_INFLIGHT && t->sent_ns < oldest)
			oldest = t->sent_ns;
	}
	return oldest;
}

/* Timers of one peer; returns its next deadline. */
static uint64_t peer_timers(struct udp_rel_ep *ep, struct udp_rel_peer *p,
			    uint64_t now)
{
	uint64_t next = UINT64_MAX, oldest, rto, dead_at;

	if (peer_tx_busy(p) && p->state == UDP_REL_PEER_ALIVE) {
		dead_at = max_u64(p->busy_since, p->last_heard) +
			  ep->cfg.dead_ns;
		if (now >= dead_at) {
			p->state = UDP_REL_PEER_DEAD;
			ep->stats.peers_dead++;
			peer_fail_sends(ep, p, -FI_ETIMEDOUT);
		} else {
			next = dead_at;
		}
	}
	if (p->inflight) {
		oldest = oldest_sent(p);
		rto = udp_rel_peer_rto(ep, p);
		if (now >= oldest + rto)
			on_timeout(ep, p);
	}
	if (p->rx_held && p->rxr[p->rcv_nxt & (ep->cfg.rx_window - 1)]) {
		/* deliver() refused a packet we already acknowledged
		 * selectively: the sender will not resend it, so retrying is
		 * ours to do. Before the pump: what the deliveries queue
		 * (answers) goes out with it. */
		uint32_t before = p->rcv_nxt;

		udp_rel_drain_early(ep, p);
		if (p->rcv_nxt != before)
			udp_rel_send_ack(ep, p);
		if (p->rx_held && p->rxr[p->rcv_nxt & (ep->cfg.rx_window - 1)])
			next = min_u64(next, now + ep->cfg.rto_min_ns);
	}
	udp_rel_pump(ep, p, now);
	if (p->inflight) {
		oldest = oldest_sent(p);
		next = min_u64(next, oldest + udp_rel_peer_rto(ep, p));
	} else if (p->nlost || (p->seg && p->state == UDP_REL_PEER_ALIVE)) {
		/* Blocked by a full socket (xmit said -FI_EAGAIN): retry. */
		next = min_u64(next, now + ep->cfg.rto_min_ns);
	}
	if (p->ack_pending) {
		if (now >= p->ack_deadline)
			udp_rel_send_ack(ep, p);
		if (p->ack_pending)
			next = min_u64(next, max_u64(p->ack_deadline,
						     now + 1));
	}
	return next;
}

uint64_t udp_rel_progress(struct udp_rel_ep *ep, uint64_t now)
{
	struct udp_rel_peer *p, *nx;
	uint64_t next = UINT64_MAX, t;

	for (p = ep->act_head; p; p = nx) {
		nx = p->act_next;
		t = peer_timers(ep, p, now);
		if (t < next)
			next = t;
		if (t == UINT64_MAX && !peer_tx_busy(p) && !p->ack_pending &&
		    !p->rx_held)
			peer_deactivate(ep, p);
	}
	return next;
}

void udp_rel_flush_acks(struct udp_rel_ep *ep, uint64_t now)
{
	struct udp_rel_peer *p;

	/* Acks whose delay is over, and acks of whole messages. Acking
	 * every batch cost the receiver a syscall (and the sender a read)
	 * per packet or two while a big message streams in; ack_every and the
	 * delay bound what that sender waits for. But once a message is
	 * complete its ack must leave before this call returns: with manual
	 * progress the application may never call again (it got what it
	 * waited for), and the sender's completion needs that ack. */
	for (p = ep->act_head; p; p = p->act_next)
		if (p->ack_pending && (p->ack_msg_done || now >= p->ack_deadline))
			udp_rel_send_ack(ep, p);
}

int udp_rel_peer_move(struct udp_rel_ep *ep, uint32_t from, uint32_t to)
{
	struct udp_rel_peer *p;

	if (from >= ep->cfg.max_peers || to >= ep->cfg.max_peers ||
	    !ep->peers[from] || ep->peers[to])
		return -FI_EINVAL;
	/* The index lives only in the table and in p->id (callbacks). */
	p = ep->peers[from];
	ep->peers[from] = NULL;
	ep->peers[to] = p;
	p->id = to;
	return 0;
}

size_t udp_rel_peer_mem(const struct udp_rel_ep *ep,
			const struct udp_rel_peer *p)
{
	size_t n = sizeof(*p);

	if (p->txr)
		n += sizeof(*p->txr) * (p->txr_mask + 1);
	if (p->rxr)
		n += sizeof(*p->rxr) * ep->cfg.rx_window;
	return n;
}

void udp_rel_fini(struct udp_rel_ep *ep)
{
	uint32_t i;

	if (!ep->peers)
		return;
	for (i = 0; i < ep->cfg.max_peers; i++) {
		struct udp_rel_peer *p = ep->peers[i];

		if (!p)
			continue;
		peer_fail_sends(ep, p, -FI_ECANCELED);
		peer_drop_early(ep, p);
		free(p->txr);
		free(p->rxr);
		free(p);
	}
	free(ep->peers);
	free(ep->pool_mem);
	free(ep->pool_free);
	free(ep->copy_mem);
	free(ep->copy_free);
	memset(ep, 0, sizeof(*ep));
}
