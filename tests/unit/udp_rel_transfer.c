/* Reliability engine, two and several endpoints over the simulated link:
 * thousands of messages of random sizes (0 bytes to 64 KiB, split over up
 * to three iovs) in every direction, through loss, duplication, reordering
 * and a receiver that sometimes has no buffer. Every message must arrive
 * exactly once, in order, byte for byte (checked in sim_deliver), and
 * every send must complete successfully exactly once. */
#include "udp_rel_sim.h"

/* Keep `window` messages outstanding on every stream until `count` are
 * posted, then run until every stream is complete. */
static void run_all_to_all(struct sim *s, uint32_t count, uint32_t window,
			   uint64_t limit_ns)
{
	uint64_t tmax = s->now + limit_ns;
	int a, b;
	bool done;

	for (;;) {
		done = true;
		for (a = 0; a < s->nnodes; a++)
			for (b = 0; b < s->nnodes; b++) {
				struct sim_stream *st = &s->node[a].st[b];

				if (a == b)
					continue;
				while (st->tx_idx < count &&
				       st->outstanding < window)
					CHECK_OK(sim_post(s, (uint32_t)a,
							  (uint32_t)b));
				if (st->done_ok < count ||
				    s->node[b].st[a].delivered < count)
					done = false;
			}
		if (done)
			break;
		if (!sim_step(s, tmax)) {
			fprintf(stderr, "stalled at t=%" PRIu64 "\n", s->now);
			for (a = 0; a < s->nnodes; a++) {
				const struct udp_rel_stats *t = &s->node[a].ep.stats;

				fprintf(stderr, "node %d dead=%" PRIu64 " rto=%" PRIu64
					" retx=%" PRIu64 " data=%" PRIu64 " busy=%" PRIu64 "\n",
					a, t->peers_dead, t->tx_timeouts, t->tx_retx,
					t->tx_data, t->rx_busy);
				fprintf(stderr, " bad=%" PRIu64 " badack=%" PRIu64 " beyond=%" PRIu64
					" nobuf=%" PRIu64 " proto=%" PRIu64 " dup=%" PRIu64 " early=%" PRIu64 "\n",
					t->rx_bad, t->rx_bad_ack, t->rx_beyond_wnd, t->rx_nobuf,
					t->rx_proto, t->rx_dup, t->rx_early);
				for (b = 0; b < s->nnodes; b++) {
					struct udp_rel_peer *p = s->node[a].ep.peers[b];
					if (p)
						fprintf(stderr, "  peer %d una=%u nxt=%u rcv_nxt=%u inflight=%u nlost=%u cwnd=%u held=%u wnd=%u\n",
							b, p->snd_una, p->snd_nxt, p->rcv_nxt, p->inflight, p->nlost, p->cwnd_fp >> 8, p->rx_held, p->peer_wnd);
				}
				for (b = 0; b < s->nnodes; b++)
					fprintf(stderr, "  ->%d posted=%u ok=%" PRIu64
						" dead=%" PRIu64 " delivered=%" PRIu64 "\n",
						b, s->node[a].st[b].tx_idx,
						s->node[a].st[b].done_ok,
						s->node[a].st[b].done_dead,
						s->node[b].st[a].delivered);
			}
			CHECK(0);
		}
	}
	for (a = 0; a < s->nnodes; a++)
		for (b = 0; b < s->nnodes; b++) {
			struct sim_stream *st = &s->node[a].st[b];

			if (a == b)
				continue;
			CHECK(st->done_ok == count && st->outstanding == 0);
			CHECK(st->done_err + st->done_reset + st->done_dead +
				      st->done_cancel == 0);
			CHECK(s->node[b].st[a].delivered == count);
			CHECK(s->node[b].st[a].aborted == 0);
		}
}

static void report(const char *name, const struct sim *s)
{
	const struct udp_rel_stats *t = &s->node[0].ep.stats;

	printf("%-22s t=%8.3f ms pkts=%" PRIu64 " dropped=%" PRIu64
	       " | node0: data=%" PRIu64 " retx=%" PRIu64 " fast=%" PRIu64
	       " rto=%" PRIu64 " acks=%" PRIu64 " dup=%" PRIu64
	       " early=%" PRIu64 " busy=%" PRIu64 "\n",
	       name, (s->now - 1000000000) / 1e6, s->pkts, s->dropped,
	       t->tx_data, t->tx_retx, t->tx_fast_retx, t->tx_timeouts,
	       t->tx_ack, t->rx_dup, t->rx_early, t->rx_busy);
}

static void no_bad(const struct sim *s)
{
	int i;

	for (i = 0; i < s->nnodes; i++) {
		const struct udp_rel_stats *t = &s->node[i].ep.stats;

		CHECK(t->rx_bad == 0 && t->rx_bad_ack == 0 &&
		      t->rx_proto == 0 && t->rx_stale == 0);
		CHECK(t->peers_dead == 0 && t->peers_restarted == 0);
	}
}

int main(void)
{
	/* WEFT_TEST_SEED=n reruns every scenario with other random choices
	 * (a soak: for n in $(seq 100); do ...; done). */
	const char *env = getenv("WEFT_TEST_SEED");
	uint64_t base = env ? strtoull(env, NULL, 0) * 1000 : 0;
	struct sim s;

	/* Clean link: nothing retransmitted. */
	sim_init(&s, 2, base + 1);
	sim_start(&s);
	run_all_to_all(&s, 2000, 16, 60000000000ull);
	report("clean", &s);
	CHECK(s.node[0].ep.stats.tx_retx == 0 && s.node[1].ep.stats.tx_retx == 0);
	no_bad(&s);
	sim_fini(&s);

	/* Lossy, duplicating, reordering link; receivers short of buffers. */
	sim_init(&s, 2, base + 2);
	s.drop_ppm = 50000;
	s.dup_ppm = 30000;
	s.jitter_ns = 30000;
	s.busy_ppm = 20000;
	sim_start(&s);
	run_all_to_all(&s, 5000, 16, 600000000000ull);
	report("loss5 dup3 reorder", &s);
	CHECK(s.node[0].ep.stats.tx_retx > 0 && s.node[0].ep.stats.rx_dup > 0);
	CHECK(s.node[0].ep.stats.rx_early > 0 && s.node[0].ep.stats.rx_busy > 0);
	no_bad(&s);
	sim_fini(&s);

	/* Heavy loss. */
	sim_init(&s, 2, base + 3);
	s.drop_ppm = 250000;
	s.jitter_ns = 5000;
	s.max_size = 16 * 1024;
	sim_start(&s);
	run_all_to_all(&s, 1000, 8, 600000000000ull);
	report("loss25", &s);
	no_bad(&s);
	sim_fini(&s);

	/* Sequence numbers wrap around 2^32 mid-run. */
	sim_init(&s, 2, base + 4);
	s.cfg.initial_seq = 0xfffffc00u;
	s.drop_ppm = 20000;
	s.jitter_ns = 20000;
	sim_start(&s);
	run_all_to_all(&s, 1500, 16, 600000000000ull);
	report("seq wrap", &s);
	CHECK(s.node[0].ep.peers[1]->snd_nxt < 0x10000000u);
	no_bad(&s);
	sim_fini(&s);

	/* Small windows and MTU: the credit, not the congestion window,
	 * limits; many packets per message. */
	sim_init(&s, 2, base + 5);
	s.cfg.mtu_payload = 100;
	s.cfg.tx_window = 8;
	s.cfg.rx_window = 4;
	s.max_size = 4000;
	s.drop_ppm = 30000;
	s.jitter_ns = 20000;
	sim_start(&s);
	run_all_to_all(&s, 800, 4, 600000000000ull);
	report("small windows", &s);
	no_bad(&s);
	sim_fini(&s);

	/* Five endpoints, all to all. */
	sim_init(&s, 5, base + 6);
	s.drop_ppm = 20000;
	s.dup_ppm = 10000;
	s.jitter_ns = 20000;
	s.max_size = 16 * 1024;
	sim_start(&s);
	run_all_to_all(&s, 500, 8, 600000000000ull);
	report("5 nodes all-to-all", &s);
	no_bad(&s);
	sim_fini(&s);
	return 0;
}
