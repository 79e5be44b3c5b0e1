/* Reliability engine, congestion control: several senders stream to one
 * receiver through a drop-tail bottleneck (the simulated receiver's link:
 * fixed service time per packet, short queue). Each sender keeps a backlog
 * of messages. Checked: every message still arrives exactly once and
 * intact; the senders share the bottleneck fairly (Jain's index over the
 * bytes each delivered in the measured interval); the link stays busy;
 * and a late joiner gets its share. */
#include "udp_rel_sim.h"

#define NSEND 4
#define RECV 0

static void post_backlog(struct sim *s, int first, int last, uint32_t window)
{
	int a;

	for (a = first; a <= last; a++) {
		struct sim_stream *st = &s->node[a].st[RECV];

		while (st->outstanding < window)
			CHECK_OK(sim_post(s, (uint32_t)a, RECV));
	}
}

static void run_for(struct sim *s, uint64_t ns, int first, int last)
{
	uint64_t tmax = s->now + ns;

	while (s->now < tmax) {
		post_backlog(s, first, last, 32);
		if (!sim_step(s, tmax))
			break;
	}
}

static double jain(const double *x, int n)
{
	double sum = 0, sq = 0;
	int i;

	for (i = 0; i < n; i++) {
		sum += x[i];
		sq += x[i] * x[i];
	}
	return sq > 0 ? sum * sum / (n * sq) : 0;
}

static void measure(struct sim *s, int first, int last, uint64_t ns,
		    double min_jain, const char *what)
{
	uint64_t before[SIM_MAX_NODES];
	double got[SIM_MAX_NODES], total = 0, cap, j;
	int a, n = last - first + 1;

	for (a = first; a <= last; a++)
		before[a] = s->node[RECV].st[a].delivered_bytes;
	run_for(s, ns, first, last);
	for (a = first; a <= last; a++) {
		got[a - first] = (double)(s->node[RECV].st[a].delivered_bytes -
					  before[a]);
		total += got[a - first];
	}
	/* The bottleneck moves one packet of at most mtu_payload per
	 * service_ns; small messages fill packets less, so ask for half. */
	cap = (double)ns / s->service_ns * s->cfg.mtu_payload;
	j = jain(got, n);
	printf("%s: jain=%.3f utilisation=%.2f", what, j, total / cap);
	for (a = 0; a < n; a++)
		printf(" %.0f", got[a]);
	printf("\n");
	CHECK(j >= min_jain);
	CHECK(total >= 0.4 * cap);
}

int main(void)
{
	struct sim s;
	uint64_t tmax;
	int a;
	bool done;

	sim_init(&s, NSEND + 1, getenv("WEFT_TEST_SEED") ?
				   strtoull(getenv("WEFT_TEST_SEED"), NULL, 0) : 42);
	s.service_ns = 2000; /* 1 KiB per 2 us: 512 MB/s */
	s.qlimit = 48;
	s.jitter_ns = 2000;
	s.max_size = 32 * 1024;
	sim_start(&s);

	/* Three senders first, then the fourth joins. */
	run_for(&s, 20000000, 1, 3);
	measure(&s, 1, 3, 100000000, 0.9, "3 senders");
	run_for(&s, 20000000, 1, NSEND);
	measure(&s, 1, NSEND, 100000000, 0.9, "4 senders");
	CHECK(s.dropped > 0); /* the queue overflowed: CC had work */

	/* Drain: stop posting, everything completes exactly once. */
	tmax = s.now + 10000000000ull;
	do {
		done = true;
		for (a = 1; a <= NSEND; a++) {
			struct sim_stream *st = &s.node[a].st[RECV];

			if (st->outstanding ||
			    s.node[RECV].st[a].delivered != st->tx_idx)
				done = false;
		}
	} while (!done && sim_step(&s, tmax));
	CHECK(done);
	for (a = 1; a <= NSEND; a++) {
		struct sim_stream *st = &s.node[a].st[RECV];

		CHECK(st->done_ok == st->tx_idx);
		CHECK(st->done_err + st->done_reset + st->done_dead == 0);
		CHECK(s.node[a].ep.stats.tx_fast_retx +
			      s.node[a].ep.stats.tx_timeouts > 0);
		printf("sender %d: %u msgs, retx=%" PRIu64 " fast=%" PRIu64
		       " rto=%" PRIu64 "\n",
		       a, st->tx_idx, s.node[a].ep.stats.tx_retx,
		       s.node[a].ep.stats.tx_fast_retx,
		       s.node[a].ep.stats.tx_timeouts);
	}
	CHECK(s.node[RECV].ep.stats.rx_bad == 0);
	sim_fini(&s);
	return 0;
}
