/* Replays inputs through the udp RDM fuzz target (tests/fuzz/
 * udp_rel_fuzz.c) in every build, so CI exercises it without clang or
 * libFuzzer: the stored corpus (tests/fuzz/corpus/udp_rel/), packets a real
 * engine produces in a lossy simulated exchange, and a few hundred
 * thousand deterministic mutations of those (bit flips, byte overwrites
 * with boundary values, truncation, extension). Any memory error, contract
 * violation (the target aborts) or crash fails the test.
 *
 * With WEFT_WRITE_CORPUS=dir set it also writes the seed packets there
 * (how the stored corpus was made). */
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>

#include "../fuzz/udp_rel_fuzz.c"
#include "corpus_replay.h"
#include "udp_rel_sim.h"

#define MAX_SEEDS 256

static uint8_t seeds[MAX_SEEDS][UDP_REL_DATA_HDR_SIZE + 1100];
static size_t seed_len[MAX_SEEDS];
static int nseeds;
static int (*real_xmit)(void *, uint32_t, const void *, size_t,
			const struct iovec *, size_t);

/* Capture a spread of real packets (data of all sizes, acks with SACK
 * bits) while a lossy simulated exchange runs. */
static int capture_xmit(void *ctx, uint32_t peer, const void *hdr,
			size_t hdr_len, const struct iovec *iov, size_t cnt)
{
	struct sim_node *n = ctx;
	size_t i, len = hdr_len;

	if (nseeds < MAX_SEEDS && sim_rand(n->sim) % 16 == 0) {
		uint8_t *b = seeds[nseeds];

		/* ctl byte: peer 1 or 2 (ctl % 5), timers on (bit 3) */
		b[0] = n->id ? 12 : 11;
		memcpy(b + 1, hdr, hdr_len);
		/* Address the fuzz target's engine: unknown or its epoch. */
		memcpy(b + 1 + offsetof(struct udp_rel_hdr, dst_epoch),
		       nseeds % 2 ? "\0\0\0\0" : "\xfe\xca\x0d\x60", 4);
		for (i = 0; i < cnt; i++) {
			memcpy(b + 1 + len, iov[i].iov_base, iov[i].iov_len);
			len += iov[i].iov_len;
		}
		seed_len[nseeds++] = len + 1;
	}
	return real_xmit(ctx, peer, hdr, hdr_len, iov, cnt);
}

static void make_seeds(void)
{
	struct udp_rel_ops ops = sim_ops;
	struct sim s;
	int i, j;

	sim_init(&s, 2, 99);
	s.drop_ppm = 100000;
	s.jitter_ns = 20000;
	s.max_size = 3000;
	real_xmit = ops.xmit;
	ops.xmit = capture_xmit;
	for (i = 0; i < 2; i++) {
		s.node[i].sim = &s;
		s.node[i].id = (uint32_t)i;
		s.node[i].up = true;
		s.node[i].deadline = UINT64_MAX;
		CHECK_OK(udp_rel_init(&s.node[i].ep, &s.cfg, &ops, &s.node[i],
				      0x1000u + (uint32_t)i));
	}
	for (j = 0; j < 400 && nseeds < MAX_SEEDS; j++) {
		for (i = 0; i < 2; i++)
			while (s.node[i].st[1 - i].outstanding < 4)
				CHECK_OK(sim_post(&s, (uint32_t)i, 1 - (uint32_t)i));
		for (i = 0; i < 50 && sim_step(&s, UINT64_MAX); i++)
			;
	}
	sim_fini(&s);
	CHECK(nseeds > 50);
}

int main(void)
{
	static const uint8_t special[] = {0, 1, 0x7f, 0x80, 0xfe, 0xff};
	char here[4096], dir[4200];
	const char *out = getenv("WEFT_WRITE_CORPUS");
	uint64_t rng = 12345;
	uint8_t buf[sizeof(seeds[0]) + 64];
	int i, n, stored;

	make_seeds();
	if (out) {
		for (i = 0; i < nseeds; i += 5) { /* a sample is enough */
			FILE *f;

			snprintf(dir, sizeof(dir), "%s/seed-%03d", out, i);
			f = fopen(dir, "wb");
			CHECK(f);
			CHECK(fwrite(seeds[i], 1, seed_len[i], f) == seed_len[i]);
			fclose(f);
		}
	}
	snprintf(here, sizeof(here), "%s", __FILE__);
	snprintf(dir, sizeof(dir), "%s/../fuzz/corpus/udp_rel", dirname(here));
	stored = corpus_replay_dir(dir, LLVMFuzzerTestOneInput);
	for (i = 0; i < nseeds; i++)
		LLVMFuzzerTestOneInput(seeds[i], seed_len[i]);
	for (n = 0; n < 300000; n++) {
		int s = (int)(sim_mix(++rng) % (uint64_t)nseeds);
		size_t len = seed_len[s], k, m;
		uint64_t r = sim_mix(++rng);

		memcpy(buf, seeds[s], len);
		for (m = 1 + r % 4; m; m--) {
			r = sim_mix(r);
			k = (size_t)(r >> 8) % len;
			switch (r % 5) {
			case 0:
				buf[k] ^= (uint8_t)(1u << (r >> 40) % 8);
				break;
			case 1:
				buf[k] = special[(r >> 40) % sizeof(special)];
				break;
			case 2:
				len = k + 1; /* truncate */
				break;
			case 3:
				if (len < sizeof(buf))
					buf[len++] = (uint8_t)(r >> 32);
				break;
			default: /* a header field from another packet */
				memcpy(buf + k / 4 * 4, seeds[(r >> 32) % nseeds] +
				       k / 4 * 4, k / 4 * 4 + 4 <= len ? 4 : 0);
				break;
			}
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("replayed %d stored inputs, %d seeds, %d mutations; engine "
	       "since its last reset: %" PRIu64 " bad, %" PRIu64 " data, %"
	       PRIu64 " acks, %" PRIu64 " early, %" PRIu64 " restarts\n",
	       stored, nseeds, n, fz.ep.stats.rx_bad, fz.ep.stats.rx_data,
	       fz.ep.stats.rx_ack, fz.ep.stats.rx_early,
	       fz.ep.stats.peers_restarted);
	return 0;
}
