/* Reliability engine, peer failure: a peer that goes silent is declared
 * dead after cfg.dead_ns (not before), its outstanding sends fail with
 * -FI_ETIMEDOUT and new ones with -FI_EHOSTUNREACH, while other peers and
 * idle peers are untouched; a peer that restarts (new epoch) is told apart
 * from its old incarnation: sends outstanding to the old one fail with
 * -FI_ECONNRESET, its packets still in flight are dropped as stale, and
 * fresh streams in both directions then run exactly once and in order. */
#include "udp_rel_sim.h"

#define MS 1000000ull

/* Keep `window` messages outstanding on a -> b while the peer is usable. */
static void backlog(struct sim *s, uint32_t a, uint32_t b, uint32_t window)
{
	struct sim_stream *st = &s->node[a].st[b];
	struct udp_rel_peer *p = udp_rel_peer_get(&s->node[a].ep, b);

	if (p && p->state == UDP_REL_PEER_DEAD)
		return;
	while (st->outstanding < window)
		CHECK_OK(sim_post(s, a, b));
}

static void run(struct sim *s, uint64_t ns, const uint32_t (*pairs)[2],
		int npairs)
{
	uint64_t tmax = s->now + ns;
	int i;

	while (s->now < tmax) {
		for (i = 0; i < npairs; i++)
			backlog(s, pairs[i][0], pairs[i][1], 8);
		if (!sim_step(s, tmax))
			s->now = tmax;
	}
}

/* Stop posting; run until nothing is outstanding anywhere. */
static void drain(struct sim *s)
{
	uint64_t tmax = s->now + 30000 * MS;
	int a, b;
	bool busy;

	do {
		busy = false;
		for (a = 0; a < s->nnodes; a++)
			for (b = 0; b < s->nnodes; b++)
				if (s->node[a].st[b].outstanding)
					busy = true;
	} while (busy && sim_step(s, tmax));
	CHECK(!busy);
}

static void test_dead(uint64_t seed)
{
	static const uint32_t both[][2] = {{0, 1}, {0, 2}, {1, 0}};
	static const uint32_t to_c[][2] = {{0, 2}};
	struct sim s;
	struct sim_stream *ab, *ac;
	uint64_t cut_at, out;
	struct udp_rel_send op;

	sim_init(&s, 3, seed);
	s.cfg.dead_ns = 50 * MS;
	s.jitter_ns = 5000;
	s.drop_ppm = 10000;
	sim_start(&s);
	ab = &s.node[0].st[1];
	ac = &s.node[0].st[2];

	run(&s, 5 * MS, both, 3);
	drain(&s);
	CHECK(ab->done_ok > 0 && ab->done_dead == 0);

	/* Cut A <-> B; A keeps sending to B and C. */
	cut_at = s.now;
	s.cut[0][1] = s.cut[1][0] = true;
	while (ab->outstanding < 8)
		CHECK_OK(sim_post(&s, 0, 1));
	out = ab->outstanding;
	run(&s, s.cfg.dead_ns - 2 * MS, to_c, 1);
	CHECK(ab->done_dead == 0 && ab->outstanding == out);
	CHECK(s.node[0].ep.stats.peers_dead == 0);
	run(&s, 4 * MS, to_c, 1);
	printf("dead after %.3f ms (dead_ns %.3f ms)\n",
	       (s.now - cut_at) / 1e6, s.cfg.dead_ns / 1e6);
	CHECK(ab->done_dead == out && ab->outstanding == 0);
	CHECK(s.node[0].ep.stats.peers_dead == 1);
	CHECK(ac->done_dead == 0 && ac->done_err == 0);

	/* New sends to the dead peer fail at once. */
	memset(&op, 0, sizeof(op));
	CHECK_RET(udp_rel_send(&s.node[0].ep, 1, &op, s.now), -FI_EHOSTUNREACH);

	/* An idle peer is never declared dead, however long the silence;
	 * B, silent too but owed nothing, is not declared dead by A's side
	 * twice, and B (which sends nothing) declares no one dead. */
	drain(&s);
	run(&s, 10 * s.cfg.dead_ns, NULL, 0);
	CHECK(s.node[0].ep.stats.peers_dead == 1);
	CHECK(s.node[1].ep.stats.peers_dead == 0);
	CHECK(s.node[2].ep.stats.peers_dead == 0);
	CHECK(ac->done_ok == ac->tx_idx);

	/* B restarts and the link heals: A takes the new incarnation, and
	 * streams start over in both directions. */
	s.cut[0][1] = s.cut[1][0] = false;
	sim_node_restart(&s, 1);
	ab->gen++; /* the application starts a new stream */
	ab->tx_idx = 0;
	{
		static const uint32_t ab_ba[][2] = {{1, 0}, {0, 1}};

		/* B speaks first, so A learns the new epoch. */
		CHECK_OK(sim_post(&s, 1, 0));
		run(&s, 1 * MS, ab_ba, 1);
		run(&s, 5 * MS, ab_ba, 2);
	}
	drain(&s);
	CHECK(s.node[0].ep.stats.peers_restarted == 1);
	CHECK(s.node[1].st[0].delivered == ab->tx_idx && ab->tx_idx > 0);
	CHECK(s.node[0].st[1].rx_idx == s.node[1].st[0].tx_idx);
	sim_fini(&s);
}

static void test_restart(uint32_t victim, uint64_t seed)
{
	static const uint32_t both[][2] = {{0, 1}, {1, 0}};
	uint32_t other = 1 - victim;
	struct sim s;
	struct sim_stream *o2v, *v2o;
	uint64_t stale;

	sim_init(&s, 2, seed);
	s.jitter_ns = 20000;
	s.drop_ppm = 20000;
	s.dup_ppm = 10000;
	sim_start(&s);
	run(&s, 5 * MS, both, 2);

	/* The victim crashes and comes back at once with a new epoch;
	 * packets of both incarnations are still in the network. */
	sim_node_restart(&s, victim);
	run(&s, 10 * MS, both, 2);
	/* And once more: the other side has now retired two epochs. */
	sim_node_restart(&s, victim);
	run(&s, 10 * MS, both, 2);
	drain(&s);

	o2v = &s.node[other].st[victim];
	v2o = &s.node[victim].st[other];
	stale = s.node[0].ep.stats.rx_stale + s.node[1].ep.stats.rx_stale;
	printf("restart of %u: other saw %" PRIu64 " restarts, %" PRIu64
	       " sends reset, %" PRIu64 " partial messages aborted, %" PRIu64
	       " stale packets dropped\n",
	       victim, s.node[other].ep.stats.peers_restarted, o2v->done_reset,
	       s.node[other].st[victim].aborted, stale);
	CHECK(s.node[other].ep.stats.peers_restarted == 2);
	CHECK(o2v->done_reset > 0 && o2v->done_err == 0 && o2v->done_dead == 0);
	CHECK(stale > 0);
	/* Current generation: exactly once, in order, both ways. */
	CHECK(o2v->gen == s.node[victim].st[other].rx_gen);
	CHECK(s.node[victim].st[other].delivered == o2v->tx_idx);
	CHECK(o2v->tx_idx > 100);
	CHECK(v2o->gen == s.node[other].st[victim].rx_gen);
	CHECK(s.node[other].st[victim].rx_idx == v2o->tx_idx);
	CHECK(v2o->done_ok == v2o->tx_idx && v2o->done_reset == 0);
	CHECK(s.node[0].ep.stats.rx_bad + s.node[1].ep.stats.rx_bad == 0);
	CHECK(s.node[0].ep.stats.peers_dead + s.node[1].ep.stats.peers_dead == 0);
	sim_fini(&s);
}

int main(void)
{
	const char *env = getenv("WEFT_TEST_SEED");
	uint64_t base = env ? strtoull(env, NULL, 0) * 1000 : 0;

	test_dead(base + 7);
	test_restart(1, base + 11);
	test_restart(0, base + 12);
	return 0;
}
