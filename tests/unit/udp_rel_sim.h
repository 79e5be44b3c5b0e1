/* A simulated network for the reliability engine's unit tests: no sockets,
 * no clock. Nodes are udp_rel endpoints (peer index = node index); every
 * packet one sends is copied into an event queue ordered by arrival time.
 * The link, driven by a seeded PRNG, drops, duplicates, delays with random
 * jitter (which reorders), and may pass every destination's traffic
 * through a bottleneck of fixed service time and queue length (drop-tail),
 * so that congestion control has something to react to.
 *
 * On top, a message generator/checker: node s sends node d messages
 * numbered 0, 1, 2, ... whose size and bytes are a function of (s, d, gen,
 * idx); the receiver recomputes them, so every byte of every message is
 * checked, and so is the order, without storing anything. `gen` counts
 * restarts, so streams may start over after one.
 *
 * Header-only (static functions) so that each test stays one executable. */
#ifndef WEFT_UDP_REL_SIM_H
#define WEFT_UDP_REL_SIM_H

#include <rdma/fi_errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prov/udp/udp_rel.h"
#include "testlib.h"

#define SIM_MAX_NODES 16

static inline uint64_t sim_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

struct sim_pkt {
	uint64_t t, order; /* arrival time, then sending order: deterministic */
	uint32_t src, dst;
	size_t len;
	uint8_t *data;
};

/* Per (sender, receiver) test stream. */
struct sim_stream {
	/* sender side */
	uint32_t gen, tx_idx;   /* next message to post */
	uint32_t outstanding;   /* posted, not completed */
	uint64_t done_ok, done_err, done_reset, done_dead, done_cancel;
	/* receiver side */
	uint32_t rx_gen, rx_idx; /* next message expected */
	bool rx_in_msg;
	uint64_t rx_off;
	uint64_t delivered, delivered_bytes, aborted;
};

struct sim;

struct sim_node {
	struct sim *sim;
	uint32_t id;
	bool up;
	uint64_t deadline;
	struct udp_rel_ep ep;
	struct sim_stream st[SIM_MAX_NODES]; /* by peer */
};

struct sim {
	uint64_t now, rng, order;
	int nnodes;
	struct sim_node node[SIM_MAX_NODES];
	struct udp_rel_cfg cfg;
	/* link */
	uint32_t drop_ppm, dup_ppm, busy_ppm;
	uint64_t delay_ns, jitter_ns;
	bool cut[SIM_MAX_NODES][SIM_MAX_NODES]; /* src -> dst drops all */
	uint64_t service_ns;   /* bottleneck per packet, 0 = none */
	uint32_t qlimit;       /* packets queued at the bottleneck */
	uint64_t free_at[SIM_MAX_NODES];
	/* traffic */
	uint64_t max_size;     /* largest message generated */
	uint64_t pkts, dropped;
	/* event queue: binary min-heap */
	struct sim_pkt *heap;
	size_t nheap, capheap;
};

static inline uint64_t sim_rand(struct sim *s)
{
	s->rng += 0x9e3779b97f4a7c15ull;
	return sim_mix(s->rng);
}

static inline bool sim_chance(struct sim *s, uint32_t ppm)
{
	return ppm && sim_rand(s) % 1000000 < ppm;
}

static inline bool pkt_before(const struct sim_pkt *a, const struct sim_pkt *b)
{
	return a->t < b->t || (a->t == b->t && a->order < b->order);
}

static inline void heap_push(struct sim *s, struct sim_pkt pk)
{
	size_t i;

	if (s->nheap == s->capheap) {
		s->capheap = s->capheap ? 2 * s->capheap : 1024;
		s->heap = realloc(s->heap, s->capheap * sizeof(*s->heap));
		CHECK(s->heap);
	}
	i = s->nheap++;
	while (i && pkt_before(&pk, &s->heap[(i - 1) / 2])) {
		s->heap[i] = s->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->heap[i] = pk;
}

static inline struct sim_pkt heap_pop(struct sim *s)
{
	struct sim_pkt top = s->heap[0], last = s->heap[--s->nheap];
	size_t i = 0, c;

	while ((c = 2 * i + 1) < s->nheap) {
		if (c + 1 < s->nheap && pkt_before(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!pkt_before(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->nheap)
		s->heap[i] = last;
	return top;
}

/* ---- message content --------------------------------------------------- */

static inline uint64_t msg_seed(uint32_t src, uint32_t dst, uint32_t gen, uint32_t idx)
{
	return sim_mix(((uint64_t)src << 56) ^ ((uint64_t)dst << 48) ^
		       ((uint64_t)gen << 32) ^ idx ^ 0x5eed);
}

static inline uint64_t msg_size(const struct sim *s, uint64_t seed)
{
	uint64_t r = sim_mix(seed + 1), mtu = s->cfg.mtu_payload;

	switch (r % 20) {
	case 0:
		return 0;
	case 1: /* large: many packets */
		return (r >> 8) % (s->max_size + 1);
	case 2: case 3: case 4: /* a few packets, often at the boundaries */
		return ((r >> 8) % 4 + 1) * mtu + (r >> 16) % 3 - 1;
	default:
		return (r >> 8) % (mtu < 512 ? mtu : 512) + 1;
	}
}

static inline uint8_t msg_byte(uint64_t seed, uint64_t off)
{
	return (uint8_t)(sim_mix(seed ^ (off >> 3)) >> ((off & 7) * 8));
}

/* A send in flight: the op, then the message bytes. */
struct sim_msg {
	struct udp_rel_send op;
	uint32_t gen, idx;
	uint64_t len;
	uint8_t data[];
};

/* ---- engine callbacks --------------------------------------------------- */

static inline int sim_xmit(void *ctx, uint32_t peer, const void *hdr, size_t hdr_len,
		    const struct iovec *iov, size_t iov_cnt)
{
	struct sim_node *n = ctx;
	struct sim *s = n->sim;
	struct sim_pkt pk;
	size_t i, len = hdr_len;
	int copies = 1, c;

	CHECK(n->up && peer < (uint32_t)s->nnodes && peer != n->id);
	for (i = 0; i < iov_cnt; i++)
		len += iov[i].iov_len;
	CHECK(len <= UDP_REL_DATA_HDR_SIZE + s->cfg.mtu_payload);
	s->pkts++;
	if (s->cut[n->id][peer] || sim_chance(s, s->drop_ppm)) {
		s->dropped++;
		return 0;
	}
	if (sim_chance(s, s->dup_ppm))
		copies = 2;
	for (c = 0; c < copies; c++) {
		uint64_t t = s->now;

		if (s->service_ns) {
			uint64_t start = s->free_at[peer] > t ? s->free_at[peer] : t;

			if ((start - t) / s->service_ns >= s->qlimit) {
				s->dropped++; /* drop-tail */
				continue;
			}
			s->free_at[peer] = start + s->service_ns;
			t = start + s->service_ns;
		}
		t += s->delay_ns;
		if (s->jitter_ns)
			t += sim_rand(s) % s->jitter_ns;
		pk.t = t;
		pk.order = s->order++;
		pk.src = n->id;
		pk.dst = peer;
		pk.len = len;
		pk.data = malloc(len ? len : 1);
		CHECK(pk.data);
		memcpy(pk.data, hdr, hdr_len);
		len = hdr_len;
		for (i = 0; i < iov_cnt; i++) {
			memcpy(pk.data + len, iov[i].iov_base, iov[i].iov_len);
			len += iov[i].iov_len;
		}
		heap_push(s, pk);
	}
	return 0;
}

static inline int sim_deliver(void *ctx, uint32_t peer, const struct udp_rel_frag *f)
{
	struct sim_node *n = ctx;
	struct sim *s = n->sim;
	struct sim_stream *st = &n->st[peer];
	uint32_t gen = (uint32_t)(f->cq_data >> 32), idx = (uint32_t)f->cq_data;
	uint64_t seed, i;

	CHECK(f->mflags == (UDP_REL_MSG_TAGGED | UDP_REL_MSG_CQ_DATA));
	if (f->offset == 0) {
		CHECK(!st->rx_in_msg);
		if (sim_chance(s, s->busy_ppm))
			return -FI_EAGAIN; /* no buffer: engine must retry */
		if (gen != st->rx_gen) {
			/* The sender's stream started over after a restart. */
			CHECK(gen > st->rx_gen && idx == 0);
			st->rx_gen = gen;
			st->rx_idx = 0;
		}
		/* In order, exactly once. */
		if (idx != st->rx_idx)
			fprintf(stderr, "node %u from %u: got idx %u gen %u, "
				"expected %u\n", n->id, peer, idx, gen,
				st->rx_idx);
		CHECK(idx == st->rx_idx);
		CHECK(f->tag == ((uint64_t)peer << 32 | idx));
		st->rx_in_msg = true;
		st->rx_off = 0;
	}
	CHECK(st->rx_in_msg && gen == st->rx_gen && idx == st->rx_idx);
	CHECK(f->offset == st->rx_off);
	seed = msg_seed(peer, n->id, gen, idx);
	CHECK(f->msg_len == msg_size(s, seed));
	CHECK(f->len <= s->cfg.mtu_payload);
	for (i = 0; i < f->len; i++)
		if (((const uint8_t *)f->data)[i] != msg_byte(seed, f->offset + i)) {
			fprintf(stderr, "byte %" PRIu64 " of msg %u differs\n",
				f->offset + i, idx);
			CHECK(0);
		}
	st->rx_off += f->len;
	st->delivered_bytes += f->len;
	if (st->rx_off == f->msg_len) {
		st->rx_in_msg = false;
		st->rx_idx++;
		st->delivered++;
	}
	return 0;
}

static inline void sim_send_done(void *ctx, uint32_t peer, struct udp_rel_send *op,
			  int err)
{
	struct sim_node *n = ctx;
	struct sim_stream *st = &n->st[peer];
	struct sim_msg *m = (struct sim_msg *)op;

	CHECK(st->outstanding > 0);
	st->outstanding--;
	switch (err) {
	case 0:
		st->done_ok++;
		break;
	case -FI_ECONNRESET:
		st->done_reset++;
		/* Later messages open a new stream for the new incarnation. */
		if (m->gen == st->gen) {
			st->gen++;
			st->tx_idx = 0;
		}
		break;
	case -FI_ETIMEDOUT:
		st->done_dead++;
		break;
	case -FI_ECANCELED:
		st->done_cancel++;
		break;
	default:
		st->done_err++;
		break;
	}
	free(m);
}

static inline void sim_rx_abort(void *ctx, uint32_t peer)
{
	struct sim_node *n = ctx;

	n->st[peer].rx_in_msg = false;
	n->st[peer].aborted++;
}

static const struct udp_rel_ops sim_ops = {
	.xmit = sim_xmit,
	.deliver = sim_deliver,
	.send_done = sim_send_done,
	.rx_abort = sim_rx_abort,
};

/* ---- setup and the event loop ------------------------------------------- */

static inline void sim_node_up(struct sim *s, uint32_t id)
{
	struct sim_node *n = &s->node[id];
	uint32_t epoch;

	do
		epoch = (uint32_t)sim_rand(s);
	while (!epoch);
	n->sim = s;
	n->id = id;
	n->up = true;
	n->deadline = UINT64_MAX;
	CHECK_OK(udp_rel_init(&n->ep, &s->cfg, &sim_ops, n, epoch));
}

/* A crash and restart: the engine forgets everything, draws a new epoch;
 * the test's streams start a new generation. */
static inline void sim_node_restart(struct sim *s, uint32_t id)
{
	struct sim_node *n = &s->node[id];
	int i;

	udp_rel_fini(&n->ep); /* cancels what was outstanding */
	for (i = 0; i < s->nnodes; i++) {
		struct sim_stream *st = &n->st[i];
		uint32_t gen = st->gen > st->rx_gen ? st->gen : st->rx_gen;

		memset(st, 0, sizeof(*st));
		st->gen = gen + 1;
		st->rx_gen = 0; /* accepts any newer generation */
	}
	sim_node_up(s, id);
}

static inline void sim_init(struct sim *s, int nnodes, uint64_t seed)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->rng = seed;
	s->nnodes = nnodes;
	udp_rel_cfg_default(&s->cfg);
	s->cfg.mtu_payload = 1024;
	s->cfg.max_peers = SIM_MAX_NODES;
	s->cfg.rx_pool = 512;
	s->max_size = 64 * 1024;
	s->delay_ns = 10000;
	s->now = 1000000000; /* not zero: times are arbitrary */
	(void)i;
}

static inline void sim_start(struct sim *s)
{
	int i;

	for (i = 0; i < s->nnodes; i++)
		sim_node_up(s, (uint32_t)i);
}

/* Post message tx_idx of stream src -> dst. Returns the engine's answer. */
static inline int sim_post(struct sim *s, uint32_t src, uint32_t dst)
{
	struct sim_node *n = &s->node[src];
	struct sim_stream *st = &n->st[dst];
	uint64_t seed = msg_seed(src, dst, st->gen, st->tx_idx);
	uint64_t len = msg_size(s, seed), i, cut1, cut2;
	struct sim_msg *m = malloc(sizeof(*m) + len + 1);
	int ret;

	CHECK(m);
	memset(&m->op, 0, sizeof(m->op));
	m->gen = st->gen;
	m->idx = st->tx_idx;
	m->len = len;
	for (i = 0; i < len; i++)
		m->data[i] = msg_byte(seed, i);
	/* Up to three iov pieces, to exercise the engine's slicing. */
	cut1 = len ? sim_rand(s) % (len + 1) : 0;
	cut2 = cut1 + (len - cut1 ? sim_rand(s) % (len - cut1 + 1) : 0);
	m->op.iov[0].iov_base = m->data;
	m->op.iov[0].iov_len = cut1;
	m->op.iov[1].iov_base = m->data + cut1;
	m->op.iov[1].iov_len = cut2 - cut1;
	m->op.iov[2].iov_base = m->data + cut2;
	m->op.iov[2].iov_len = len - cut2;
	m->op.iov_cnt = 3;
	m->op.mflags = UDP_REL_MSG_TAGGED | UDP_REL_MSG_CQ_DATA;
	m->op.tag = (uint64_t)src << 32 | st->tx_idx;
	m->op.cq_data = (uint64_t)st->gen << 32 | st->tx_idx;
	ret = udp_rel_send(&n->ep, dst, &m->op, s->now);
	if (ret) {
		free(m);
		return ret;
	}
	st->tx_idx++;
	st->outstanding++;
	n->deadline = 0; /* progress soon */
	return 0;
}

static inline void sim_progress(struct sim *s, struct sim_node *n)
{
	if (n->up)
		n->deadline = udp_rel_progress(&n->ep, s->now);
}

/* Advance to the next event (packet arrival or engine deadline, never
 * later than tmax) and run it. false when nothing is left to happen. */
static inline bool sim_step(struct sim *s, uint64_t tmax)
{
	uint64_t t = UINT64_MAX;
	int i;

	if (s->nheap)
		t = s->heap[0].t;
	for (i = 0; i < s->nnodes; i++)
		if (s->node[i].up && s->node[i].deadline < t)
			t = s->node[i].deadline;
	if (t == UINT64_MAX)
		return false;
	if (t > tmax) {
		s->now = tmax;
		return false;
	}
	if (t > s->now)
		s->now = t;
	while (s->nheap && s->heap[0].t <= s->now) {
		struct sim_pkt pk = heap_pop(s);
		struct sim_node *n = &s->node[pk.dst];

		if (n->up) {
			udp_rel_recv(&n->ep, pk.src, pk.data, pk.len, s->now);
			n->deadline = 0;
		}
		free(pk.data);
	}
	for (i = 0; i < s->nnodes; i++)
		if (s->node[i].deadline <= s->now)
			sim_progress(s, &s->node[i]);
	return true;
}

static inline void sim_fini(struct sim *s)
{
	int i;

	for (i = 0; i < s->nnodes; i++)
		if (s->node[i].up)
			udp_rel_fini(&s->node[i].ep);
	while (s->nheap)
		free(heap_pop(s).data);
	free(s->heap);
}

#endif
