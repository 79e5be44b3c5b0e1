/* Replays inputs through the tcp stream fuzz target (tests/fuzz/
 * tcp_stream_fuzz.c) in every build, so CI exercises the tcp receive
 * engine's handling of hostile streams without clang or libFuzzer: the
 * stored corpus (tests/fuzz/corpus/tcp_stream/), well-formed streams
 * built here with the wire format (messages, tagged messages, CQ data,
 * truncation, RMA writes/reads to good and bad keys and ranges, atomics
 * of every kind, an unsolicited answer, a raw handshake with CM data, a
 * header claiming a huge message) and deterministic mutations of those.
 * Any memory error, broken invariant (the target aborts), hang or crash
 * fails the test.
 *
 * With WEFT_WRITE_CORPUS=dir set it also writes the seeds there (how the
 * stored corpus was made). */
#include <dirent.h>
#include <inttypes.h>
#include <libgen.h>
#include <rdma/fi_atomic.h>

#include "../fuzz/tcp_stream_fuzz.c"
#include "prov/tcp/tcp_proto.h"
#include "corpus_replay.h"
#include "testlib.h"

#define MAX_SEEDS 32
#define SEED_MAX 8192

static uint8_t seeds[MAX_SEEDS][SEED_MAX];
static size_t seed_len[MAX_SEEDS];
static int nseeds;

struct seed {
	uint8_t *b;
	size_t len;
};

static struct seed seed_new(uint8_t ctl)
{
	struct seed s = { seeds[nseeds], 0 };

	CHECK(nseeds < MAX_SEEDS);
	s.b[s.len++] = ctl;
	return s;
}

static void seed_end(struct seed *s)
{
	seed_len[nseeds++] = s->len;
}

static void put(struct seed *s, const void *p, size_t n)
{
	CHECK(s->len + n <= SEED_MAX);
	memcpy(s->b + s->len, p, n);
	s->len += n;
}

static void put_fill(struct seed *s, uint8_t v, size_t n)
{
	CHECK(s->len + n <= SEED_MAX);
	memset(s->b + s->len, v, n);
	s->len += n;
}

static void put_hdr(struct seed *s, uint8_t op, uint16_t flags, uint64_t size,
		    uint64_t tag, uint64_t data)
{
	struct tcp_hdr h;

	tcp_hdr_init(&h, op, flags, size, tag, data);
	put(s, &h, sizeof(h));
}

static void put_rma(struct seed *s, uint64_t addr, uint64_t key, uint64_t len,
		    uint8_t dt, uint8_t op, uint8_t kind, int32_t status)
{
	struct tcp_rma_hdr r = { 0 };

	r.addr = htole64(addr);
	r.key = htole64(key);
	r.len = htole64(len);
	r.datatype = dt;
	r.atomic_op = op;
	r.kind = kind;
	r.status = (int32_t)htole32((uint32_t)status);
	put(s, &r, sizeof(r));
}

static void make_seeds(void)
{
	struct seed s;
	uint64_t ops[4] = { 1, 2, 3, 4 };

	/* Messages into posted receives, one with CQ data, one truncated. */
	s = seed_new(3);
	put_hdr(&s, TCP_OP_MSG, 0, 10, 0, 0);
	put_fill(&s, 'a', 10);
	put_hdr(&s, TCP_OP_MSG, TCP_HDR_CQ_DATA, 100, 0, 0xdada);
	put_fill(&s, 'b', 100);
	put_hdr(&s, TCP_OP_MSG, 0, 3000, 0, 0);
	put_fill(&s, 'c', 3000);
	seed_end(&s);
	/* Unexpected messages, one empty. */
	s = seed_new(0);
	for (int i = 0; i < 4; i++) {
		put_hdr(&s, TCP_OP_MSG, 0, (uint64_t)i * 50, 0, 0);
		put_fill(&s, (uint8_t)i, (size_t)i * 50);
	}
	seed_end(&s);
	/* Tagged messages into tagged receives (tags 0..2), out of order,
	 * plus one untagged message left unexpected. */
	s = seed_new(0x0b);
	put_hdr(&s, TCP_OP_TAGGED, 0, 20, 2, 0);
	put_fill(&s, 't', 20);
	put_hdr(&s, TCP_OP_TAGGED, TCP_HDR_CQ_DATA, 20, 0, 7);
	put_fill(&s, 'u', 20);
	put_hdr(&s, TCP_OP_MSG, 0, 5, 0, 0);
	put_fill(&s, 'v', 5);
	put_hdr(&s, TCP_OP_TAGGED, 0, 40, 9, 0);
	put_fill(&s, 'w', 40);
	seed_end(&s);
	/* Small buffers, wildcard tags: truncation on every receive. */
	s = seed_new(0x3c);
	for (int i = 0; i < 4; i++) {
		put_hdr(&s, TCP_OP_TAGGED, 0, 100, (uint64_t)i, 0);
		put_fill(&s, 'x', 100);
	}
	seed_end(&s);
	/* RMA writes: good, read-only key, past the region, unknown key. */
	s = seed_new(0);
	put_hdr(&s, TCP_OP_WRITE, TCP_HDR_CQ_DATA, 50, 0, 1);
	put_rma(&s, 100, FZ_KEY_RW, 50, 0, 0, 0, 0);
	put_fill(&s, 'w', 50);
	put_hdr(&s, TCP_OP_WRITE, 0, 50, 0, 0);
	put_rma(&s, 0, FZ_KEY_RO, 50, 0, 0, 0, 0);
	put_fill(&s, 'r', 50);
	put_hdr(&s, TCP_OP_WRITE, 0, 64, 0, 0);
	put_rma(&s, FZ_REGION - 32, FZ_KEY_RW, 64, 0, 0, 0, 0);
	put_fill(&s, 'o', 64);
	put_hdr(&s, TCP_OP_WRITE, 0, 8, 0, 0);
	put_rma(&s, 0, 0x777, 8, 0, 0, 0, 0);
	put_fill(&s, 'k', 8);
	seed_end(&s);
	/* RMA reads: whole region, read-only region, bad range. */
	s = seed_new(0);
	put_hdr(&s, TCP_OP_READ, 0, 0, 0, 0);
	put_rma(&s, 0, FZ_KEY_RW, FZ_REGION, 0, 0, 0, 0);
	put_hdr(&s, TCP_OP_READ, 0, 0, 0, 0);
	put_rma(&s, 16, FZ_KEY_RO, 100, 0, 0, 0, 0);
	put_hdr(&s, TCP_OP_READ, 0, 0, 0, 0);
	put_rma(&s, UINT64_MAX - 8, FZ_KEY_RW, 16, 0, 0, 0, 0);
	seed_end(&s);
	/* Atomics: sum, fetch-add, compare-swap, atomic read, bad key,
	 * unsupported type. */
	s = seed_new(0);
	put_hdr(&s, TCP_OP_ATOMIC, 0, 16, 0, 0);
	put_rma(&s, 64, FZ_KEY_RW, 16, FI_UINT64, FI_SUM, TCP_ATOMIC_WRITE, 0);
	put(&s, ops, 16);
	put_hdr(&s, TCP_OP_ATOMIC, 0, 8, 0, 0);
	put_rma(&s, 64, FZ_KEY_RW, 8, FI_UINT64, FI_SUM, TCP_ATOMIC_FETCH, 0);
	put(&s, ops, 8);
	put_hdr(&s, TCP_OP_ATOMIC, 0, 16, 0, 0);
	put_rma(&s, 72, FZ_KEY_RW, 8, FI_UINT64, FI_CSWAP,
		TCP_ATOMIC_COMPARE, 0);
	put(&s, ops, 16);
	put_hdr(&s, TCP_OP_ATOMIC, 0, 0, 0, 0);
	put_rma(&s, 64, FZ_KEY_RW, 8, FI_UINT64, FI_ATOMIC_READ,
		TCP_ATOMIC_FETCH, 0);
	put_hdr(&s, TCP_OP_ATOMIC, 0, 4, 0, 0);
	put_rma(&s, 0, FZ_KEY_RO, 4, FI_INT32, FI_MAX, TCP_ATOMIC_WRITE, 0);
	put(&s, ops, 4);
	put_hdr(&s, TCP_OP_ATOMIC, 0, 32, 0, 0);
	put_rma(&s, 0, FZ_KEY_RW, 32, FI_LONG_DOUBLE_COMPLEX, FI_BOR,
		TCP_ATOMIC_WRITE, 0);
	put_fill(&s, 1, 32);
	seed_end(&s);
	/* An answer to no request. */
	s = seed_new(1);
	put_hdr(&s, TCP_OP_RESP, 0, 8, 0, 0);
	put_rma(&s, 0, 0, 8, 0, 0, 0, 0);
	put_fill(&s, 0, 8);
	seed_end(&s);
	/* Not weft's protocol: bad version, then junk. */
	s = seed_new(1);
	put_fill(&s, 2, 1);
	put_fill(&s, 1, 31);
	seed_end(&s);
	/* A header claiming a message bigger than the unexpected limit, and
	 * one claiming more than max_msg_size. */
	s = seed_new(0);
	put_hdr(&s, TCP_OP_MSG, 0, 1u << 20, 0, 0);
	put_fill(&s, 'h', 100);
	seed_end(&s);
	s = seed_new(1);
	put_hdr(&s, TCP_OP_MSG, 0, UINT64_MAX, 0, 0);
	seed_end(&s);
	/* Raw: a handshake with CM data, then a message. */
	s = seed_new(0x81);
	{
		struct tcp_cm_hdr h;

		tcp_cm_hdr_init(&h, TCP_CM_REQ, 5);
		put(&s, &h, sizeof(h));
		put(&s, "hello", 5);
	}
	put_hdr(&s, TCP_OP_MSG, 0, 4, 0, 0);
	put(&s, "data", 4);
	seed_end(&s);
	/* Raw: HTTP at the listener. */
	s = seed_new(0x80);
	put(&s, "GET / HTTP/1.0\r\n\r\n", 18);
	seed_end(&s);
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

int main(int argc, char **argv)
{
	static const uint8_t special[] = { 0, 1, 0x7f, 0x80, 0xfe, 0xff };
	char here[4096], dir[4200];
	const char *out = getenv("WEFT_WRITE_CORPUS");
	uint64_t rng = 4242;
	static uint8_t buf[SEED_MAX + 64];
	int i, n, stored, mutations = argc > 1 ? atoi(argv[1]) : 400;

	make_seeds();
	if (out) {
		for (i = 0; i < nseeds; i++) {
			FILE *f;

			snprintf(dir, sizeof(dir), "%s/seed-%03d", out, i);
			f = fopen(dir, "wb");
			CHECK(f);
			CHECK(fwrite(seeds[i], 1, seed_len[i], f) ==
			      seed_len[i]);
			fclose(f);
		}
	}
	snprintf(here, sizeof(here), "%s", __FILE__);
	snprintf(dir, sizeof(dir), "%s/../fuzz/corpus/tcp_stream",
		 dirname(here));
	stored = corpus_replay_dir(dir, LLVMFuzzerTestOneInput);
	for (i = 0; i < nseeds; i++)
		LLVMFuzzerTestOneInput(seeds[i], seed_len[i]);
	for (n = 0; n < mutations; n++) {
		int s = (int)(mix(++rng) % (uint64_t)nseeds);
		size_t len = seed_len[s], k, m;
		uint64_t r = mix(++rng);

		memcpy(buf, seeds[s], len);
		for (m = 1 + r % 4; m; m--) {
			r = mix(r);
			/* Mostly the header bytes, where the checks are. */
			k = (size_t)(r >> 8) % (len < 100 ? len : 100);
			switch (r % 5) {
			case 0:
				buf[k] ^= (uint8_t)(1u << (r >> 40) % 8);
				break;
			case 1:
				buf[k] = special[(r >> 40) % sizeof(special)];
				break;
			case 2:
				if (k > 0)
					len = k + 1; /* truncate */
				break;
			case 3:
				if (len < sizeof(buf))
					buf[len++] = (uint8_t)(r >> 32);
				break;
			default: { /* 8 bytes from another seed */
				int o = (int)((r >> 32) % (uint64_t)nseeds);

				if (k + 8 <= len && k + 8 <= seed_len[o])
					memcpy(buf + k, seeds[o] + k, 8);
				break;
			}
			}
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("replayed %d stored inputs, %d seeds, %d mutations: %" PRIu64
	       " connections, %" PRIu64 " ended with FI_SHUTDOWN, %" PRIu64
	       " refused at the handshake\n",
	       stored, nseeds, n, fz.runs, fz.shutdowns, fz.refused);
	CHECK(fz.shutdowns + fz.refused == fz.runs);
	return 0;
}
