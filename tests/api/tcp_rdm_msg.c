/* tcp FI_EP_RDM between two processes (public API only).
 *
 * - Sends to the endpoint's own address (eager and rendezvous).
 * - The first sends are posted the moment the peer's address is in the
 *   AV, before any connection exists: they must be accepted (never
 *   -FI_EAGAIN for connection setup) and delivered, in order, even though
 *   the receiver posts its receives only later (unexpected eager and
 *   rendezvous messages).
 * - msg and tagged, both directions, every size class from 0 bytes to
 *   4 MiB (eager, at the threshold, rendezvous), byte-for-byte verified;
 *   FI_SOURCE (fi_cq_readfrom gives the sender's fi_addr), remote CQ
 *   data, flags and tags checked; inject, sendv/recvv, sendmsg with
 *   FI_DELIVERY_COMPLETE; truncation (FI_ETRUNC with olen) for eager and
 *   rendezvous messages.
 */
#include "tcp_rdm_test.h"

#define BIG (4u << 20)

static const size_t sizes[] = { 0,     1,     63,	 64,	 1000,
				4096,  65535, 65536, 65537, 200000,
				1u << 20, BIG };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static uint8_t *txb, *rxb;

static void check_rx(struct rt *t, fi_addr_t peer, size_t len, bool tagged,
		     uint64_t tag, uint32_t seed, void *ctx)
{
	struct fi_cq_tagged_entry c;
	fi_addr_t src = FI_ADDR_UNSPEC;

	rt_get(t->rx, &c, &src, NULL);
	CHECK(c.op_context == ctx);
	CHECK(c.len == len);
	CHECK(c.flags == (FI_RECV | (tagged ? FI_TAGGED : FI_MSG)));
	if (tagged)
		CHECK(c.tag == tag);
	CHECK(src == peer);
	rt_verify(rxb, len, seed);
}

static void check_tx(struct rt *t, void *ctx, bool tagged)
{
	struct fi_cq_tagged_entry c;

	rt_get(t->tx, &c, NULL, NULL);
	CHECK(c.op_context == ctx);
	CHECK(c.flags == (FI_SEND | (tagged ? FI_TAGGED : FI_MSG)));
}

/* One round: `first` sends every size (msg, then tagged), `second`
 * receives and echoes each back; both verify. */
static void exchange(struct rt *t, fi_addr_t peer, bool sender, uint32_t base)
{
	for (size_t i = 0; i < NSIZES; i++) {
		for (int tagged = 0; tagged < 2; tagged++) {
			size_t len = sizes[i];
			uint32_t seed = base + (uint32_t)(i * 2 + tagged);
			uint64_t tag = 0x1000 + i;
			int ctx;

			if (sender) {
				rt_fill(txb, len, seed);
				if (tagged)
					RT_POST(t, fi_tsend(t->ep, txb, len,
							    NULL, peer, tag,
							    &ctx));
				else
					RT_POST(t, fi_send(t->ep, txb, len,
							   NULL, peer, &ctx));
				check_tx(t, &ctx, tagged);
				memset(rxb, 0, len);
				if (tagged)
					RT_POST(t, fi_trecv(t->ep, rxb, BIG,
							    NULL, peer, tag,
							    0, &ctx));
				else
					RT_POST(t, fi_recv(t->ep, rxb, BIG,
							   NULL, peer, &ctx));
				check_rx(t, peer, len, tagged, tag, seed + 1,
					 &ctx);
			} else {
				memset(rxb, 0, len);
				if (tagged)
					RT_POST(t, fi_trecv(t->ep, rxb, BIG,
							    NULL, peer, tag,
							    0, &ctx));
				else
					RT_POST(t, fi_recv(t->ep, rxb, BIG,
							   NULL, peer, &ctx));
				check_rx(t, peer, len, tagged, tag, seed,
					 &ctx);
				rt_fill(txb, len, seed + 1);
				if (tagged)
					RT_POST(t, fi_tsend(t->ep, txb, len,
							    NULL, peer, tag,
							    &ctx));
				else
					RT_POST(t, fi_send(t->ep, txb, len,
							   NULL, peer, &ctx));
				check_tx(t, &ctx, tagged);
			}
		}
	}
}

/* Sends posted before the connection exists, received later. */
static uint8_t early[4][300000];

static void early_sends(struct rt *t, fi_addr_t peer)
{
	static const size_t lens[4] = { 10, 70000, 300000, 0 };
	int ctx[4];

	for (int i = 0; i < 4; i++) {
		rt_fill(early[i], lens[i], 500 + (uint32_t)i);
		/* Not RT_POST: the first sends must be taken as is. */
		CHECK_OK(fi_tsend(t->ep, early[i], lens[i], NULL, peer,
				  0x77 + (uint64_t)i, &ctx[i]));
	}
	/* Completions in any order (rendezvous ones wait for the peer). */
	for (int i = 0; i < 4; i++) {
		struct fi_cq_tagged_entry c;
		int k;

		rt_get(t->tx, &c, NULL, NULL);
		CHECK(c.flags == (FI_SEND | FI_TAGGED));
		for (k = 0; k < 4 && c.op_context != &ctx[k]; k++)
			;
		CHECK(k < 4);
		ctx[k] = -1;
	}
}

static void early_recvs(struct rt *t, fi_addr_t peer)
{
	static const size_t lens[4] = { 10, 70000, 300000, 0 };

	/* Let everything arrive first (unexpected), in reverse tag order. */
	rt_spin(t, 300);
	for (int i = 3; i >= 0; i--) {
		int ctx;

		RT_POST(t, fi_trecv(t->ep, rxb, BIG, NULL, FI_ADDR_UNSPEC,
				    0x77 + (uint64_t)i, 0, &ctx));
		check_rx(t, peer, lens[i], true, 0x77 + (uint64_t)i,
			 500 + (uint32_t)i, &ctx);
	}
}

static void forms_send(struct rt *t, fi_addr_t peer)
{
	struct fi_cq_tagged_entry c;
	struct iovec iov[3];
	struct fi_msg msg;
	int ctx;

	/* inject: no completion entry (fi_inject), the data is copied. */
	rt_fill(txb, 100, 900);
	RT_POST(t, fi_inject(t->ep, txb, 100, peer));
	memset(txb, 0, 100);
	/* senddata */
	rt_fill(txb, 5000, 901);
	RT_POST(t, fi_senddata(t->ep, txb, 5000, NULL, 0xdada, peer, &ctx));
	check_tx(t, &ctx, false);
	/* sendv: three pieces, one rendezvous-sized message */
	rt_fill(txb, 300000, 902);
	iov[0].iov_base = txb;
	iov[0].iov_len = 1;
	iov[1].iov_base = txb + 1;
	iov[1].iov_len = 199999;
	iov[2].iov_base = txb + 200000;
	iov[2].iov_len = 100000;
	RT_POST(t, fi_sendv(t->ep, iov, NULL, 3, peer, &ctx));
	check_tx(t, &ctx, false);
	/* sendmsg, delivery complete, eager and rendezvous */
	for (int big = 0; big < 2; big++) {
		iov[0].iov_base = txb;
		iov[0].iov_len = big ? 300000 : 3000;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.iov_count = 1;
		msg.addr = peer;
		msg.context = &ctx;
		msg.data = 0xbeef;
		RT_POST(t, fi_sendmsg(t->ep, &msg,
				      FI_DELIVERY_COMPLETE |
					      FI_REMOTE_CQ_DATA |
					      FI_COMPLETION));
		rt_get(t->tx, &c, NULL, NULL);
		CHECK(c.op_context == &ctx);
		CHECK(c.flags == (FI_SEND | FI_MSG));
	}
	/* truncated at the receiver: eager and rendezvous */
	RT_POST(t, fi_send(t->ep, txb, 1000, NULL, peer, &ctx));
	check_tx(t, &ctx, false);
	RT_POST(t, fi_send(t->ep, txb, 300000, NULL, peer, &ctx));
	check_tx(t, &ctx, false);
}

static void forms_recv(struct rt *t, fi_addr_t peer)
{
	struct fi_cq_tagged_entry c;
	struct fi_cq_err_entry err;
	struct iovec iov[2];
	fi_addr_t src;
	int ctx;

	RT_POST(t, fi_recv(t->ep, rxb, BIG, NULL, FI_ADDR_UNSPEC, &ctx));
	check_rx(t, peer, 100, false, 0, 900, &ctx);
	RT_POST(t, fi_recv(t->ep, rxb, BIG, NULL, FI_ADDR_UNSPEC, &ctx));
	rt_get(t->rx, &c, &src, NULL);
	CHECK(c.len == 5000 && c.data == 0xdada && src == peer);
	CHECK(c.flags == (FI_RECV | FI_MSG | FI_REMOTE_CQ_DATA));
	rt_verify(rxb, 5000, 901);
	/* recvv into two pieces */
	iov[0].iov_base = rxb;
	iov[0].iov_len = 123;
	iov[1].iov_base = rxb + 123;
	iov[1].iov_len = BIG - 123;
	RT_POST(t, fi_recvv(t->ep, iov, NULL, 2, FI_ADDR_UNSPEC, &ctx));
	check_rx(t, peer, 300000, false, 0, 902, &ctx);
	for (int big = 0; big < 2; big++) {
		size_t len = big ? 300000 : 3000;

		memset(rxb, 0, len);
		RT_POST(t, fi_recv(t->ep, rxb, BIG, NULL, FI_ADDR_UNSPEC,
				   &ctx));
		rt_get(t->rx, &c, &src, NULL);
		CHECK(c.len == len && c.data == 0xbeef && src == peer);
		rt_verify(rxb, len, 902);
	}
	/* truncation */
	for (int big = 0; big < 2; big++) {
		size_t len = big ? 300000 : 1000;

		memset(rxb, 0, 600);
		RT_POST(t, fi_recv(t->ep, rxb, 500, NULL, FI_ADDR_UNSPEC,
				   &ctx));
		CHECK_RET(rt_get(t->rx, &c, NULL, &err), -FI_EAVAIL);
		CHECK(err.err == FI_ETRUNC);
		CHECK(err.op_context == &ctx);
		CHECK(err.len == 500 && err.olen == len - 500);
		rt_verify(rxb, 500, 902);
		CHECK(rxb[500] == 0);
	}
}

/* Sends to our own address (FI_LOCAL_COMM): eager and rendezvous. */
static void self_sends(struct rt *t)
{
	fi_addr_t me;
	int ctx;

	CHECK_RET(fi_av_insert(t->av, t->name, 1, &me, 0, NULL), 1);
	for (int big = 0; big < 2; big++) {
		size_t len = big ? 300000 : 100;

		rt_fill(txb, len, 1234 + (uint32_t)big);
		memset(rxb, 0, len);
		RT_POST(t, fi_tsend(t->ep, txb, len, NULL, me, 9, &ctx));
		RT_POST(t, fi_trecv(t->ep, rxb, BIG, NULL, FI_ADDR_UNSPEC, 9,
				    0, &ctx));
		check_tx(t, &ctx, true);
		check_rx(t, me, len, true, 9, 1234 + (uint32_t)big, &ctx);
	}
}

int main(void)
{
	int p2c[2], c2p[2];
	pid_t pid;
	struct rt t;
	fi_addr_t peer;
	bool parent;

	txb = malloc(BIG);
	rxb = malloc(BIG);
	CHECK(txb && rxb);
	CHECK(pipe(p2c) == 0 && pipe(c2p) == 0);
	pid = fork();
	CHECK(pid >= 0);
	parent = pid != 0;
	alarm(60);
	rt_open(&t, FI_MSG | FI_TAGGED | FI_SOURCE, 0);
	if (parent) {
		rt_send_name(p2c[1], &t);
		peer = rt_recv_name(c2p[0], &t);
		early_sends(&t, peer);
		exchange(&t, peer, true, 1);
		exchange(&t, peer, false, 100);
		forms_send(&t, peer);
		rt_wait_signal(c2p[0]);
		self_sends(&t);
	} else {
		peer = rt_recv_name(p2c[0], &t);
		rt_send_name(c2p[1], &t);
		early_recvs(&t, peer);
		exchange(&t, peer, false, 1);
		exchange(&t, peer, true, 100);
		forms_recv(&t, peer);
		rt_signal(c2p[1]);
	}
	rt_close(&t);
	if (parent)
		rt_reap(pid);
	free(txb);
	free(rxb);
	return 0;
}
