/* libFuzzer target for the udp provider's RDM packet path: every input is
 * one datagram as it might arrive from the network. It goes through the
 * decoder (udp_rel_decode) and then into a live reliability engine
 * (udp_rel_recv) that has sends outstanding to several peers, so that
 * hostile acks, sequence numbers, epochs, offsets and lengths reach the
 * state machine too. The first input byte picks the sending peer and
 * whether timers run. Memory errors, undefined behaviour, a fragment
 * outside its message, or a callback out of contract abort.
 *
 * Built with -DWEFT_FUZZ=ON under clang (tests/fuzz/CMakeLists.txt); the
 * unit test udp_rel_corpus replays the corpus and generated inputs
 * through the same entry point in every build. */
#include <rdma/fi_errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prov/udp/udp_rel.h"

#define FUZZ_PEERS 4
#define FUZZ_OPS 3

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_require(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "udp_rel fuzz: %s\n", what);
		abort();
	}
}

struct fuzz_state {
	struct udp_rel_ep ep;
	struct udp_rel_send ops[FUZZ_PEERS][FUZZ_OPS];
	int busy[FUZZ_PEERS][FUZZ_OPS];
	uint64_t now;
	uint8_t payload[3000];
	uint8_t sink;
	int up;
};

static struct fuzz_state fz;

static int fuzz_xmit(void *ctx, uint32_t peer, const void *hdr, size_t len,
		     const struct iovec *iov, size_t cnt)
{
	struct udp_rel_pkt k;
	static uint8_t buf[UDP_REL_DATA_HDR_SIZE + 1024]; /* our MTU */
	size_t i, n = len;

	fuzz_require(peer < FUZZ_PEERS, "xmit to a peer never named");
	fuzz_require(len <= UDP_REL_DATA_HDR_SIZE, "header size");
	memcpy(buf, hdr, len);
	for (i = 0; i < cnt; i++) {
		fuzz_require(n + iov[i].iov_len <= sizeof(buf), "packet size");
		memcpy(buf + n, iov[i].iov_base, iov[i].iov_len);
		n += iov[i].iov_len;
	}
	/* What we send must pass our own decoder. */
	fuzz_require(udp_rel_decode(buf, n, &k) == 0, "own packet invalid");
	return 0;
}

static int fuzz_deliver(void *ctx, uint32_t peer, const struct udp_rel_frag *f)
{
	size_t i;

	fuzz_require(peer < FUZZ_PEERS, "deliver from a peer never named");
	fuzz_require(f->offset <= f->msg_len &&
			     f->len <= f->msg_len - f->offset,
		     "fragment outside its message");
	fuzz_require(f->len <= fz.ep.cfg.max_rx_payload, "fragment too big");
	for (i = 0; i < f->len; i++) /* touch every byte: ASan checks */
		fz.sink ^= ((const uint8_t *)f->data)[i];
	return (f->msg_id & 7) == 7 ? -FI_EAGAIN : 0; /* sometimes busy */
}

static void fuzz_done(void *ctx, uint32_t peer, struct udp_rel_send *op,
		      int err)
{
	size_t i = (size_t)(op - &fz.ops[0][0]);

	fuzz_require(peer < FUZZ_PEERS && i < FUZZ_PEERS * FUZZ_OPS,
		     "completion of an unknown send");
	fuzz_require(fz.busy[i / FUZZ_OPS][i % FUZZ_OPS],
		     "completion of a send not outstanding");
	fz.busy[i / FUZZ_OPS][i % FUZZ_OPS] = 0;
}

static void fuzz_setup(void)
{
	static const struct udp_rel_ops ops = {
		.xmit = fuzz_xmit, .deliver = fuzz_deliver,
		.send_done = fuzz_done,
	};
	struct udp_rel_cfg cfg;

	udp_rel_cfg_default(&cfg);
	cfg.mtu_payload = 1024;
	cfg.max_rx_payload = 2048; /* peers may send bigger packets */
	cfg.tx_window = 16;
	cfg.rx_window = 16;
	cfg.rx_pool = 8;
	cfg.max_peers = FUZZ_PEERS;
	cfg.max_msg_size = 1 << 20;
	cfg.dead_ns = 1000000000;
	fuzz_require(udp_rel_init(&fz.ep, &cfg, &ops, NULL, 0x600dcafe) == 0,
		     "init");
	memset(fz.payload, 0x5a, sizeof(fz.payload));
	fz.now = 1;
	fz.up = 1;
}

/* Keep every peer owed some data: sizes 0, 1 and 3000 (three packets). */
static void fuzz_repost(void)
{
	static const size_t sizes[FUZZ_OPS] = {0, 1, 3000};
	uint32_t p;
	int i;

	for (p = 0; p < FUZZ_PEERS; p++)
		for (i = 0; i < FUZZ_OPS; i++) {
			struct udp_rel_send *op = &fz.ops[p][i];

			if (fz.busy[p][i])
				continue;
			memset(op, 0, sizeof(*op));
			op->iov[0].iov_base = fz.payload;
			op->iov[0].iov_len = sizes[i];
			op->iov_cnt = 1;
			op->mflags = UDP_REL_MSG_TAGGED;
			op->tag = i;
			if (udp_rel_send(&fz.ep, p, op, fz.now) == 0)
				fz.busy[p][i] = 1;
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct udp_rel_pkt k;
	uint8_t ctl;

	if (!fz.up)
		fuzz_setup();
	/* The decoder alone, on the whole input. */
	if (udp_rel_decode(data, size, &k) == 0)
		fuzz_require(k.src_epoch != 0 && k.wnd != 0, "decoder let through");
	if (size < 1)
		return 0;
	ctl = data[0];
	fuzz_repost();
	udp_rel_recv(&fz.ep, ctl % (FUZZ_PEERS + 1), data + 1, size - 1,
		     fz.now);
	fz.now += 1000 + (uint64_t)(ctl >> 4) * 100000;
	if (ctl & 0x08)
		udp_rel_progress(&fz.ep, fz.now);
	if (ctl == 0xff) {
		/* Now and then start over, so restarts of our own side and
		 * freshly created peers are explored too. */
		udp_rel_fini(&fz.ep);
		memset(&fz, 0, sizeof(fz));
	}
	return 0;
}
