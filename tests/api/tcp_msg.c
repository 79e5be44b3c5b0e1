/* tcp provider, FI_MSG over a connection (two processes), data verified
 * byte for byte:
 *  A. receives posted first: send, sendv -> recvv across iov boundaries,
 *     sendmsg with FI_REMOTE_CQ_DATA, inject, senddata, injectdata, a
 *     zero-byte message, 8 MiB landing in the posted buffer, and a
 *     message longer than its buffer (FI_ETRUNC with the overflow length);
 *  B. unexpected messages: 40 sends of mixed sizes (up to 1 MiB) arrive
 *     before any receive is posted and are delivered in order;
 *  C. the other direction: a window of sends larger than the socket
 *     buffers, queued by the provider, all completing. */
#include "tcp_test.h"

#define BIG (8u << 20)
#define N_UNEXP 40
#define N_WINDOW 200
#define WINDOW_MSG (64 * 1024)

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((seed * 131u) ^ (i * 7u) ^ (i >> 9));
}

static void check_fill(const uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != (uint8_t)((seed * 131u) ^ (i * 7u) ^ (i >> 9))) {
			fprintf(stderr, "seed %u: byte %zu of %zu differs\n",
				seed, i, n);
			exit(1);
		}
	}
}

static size_t unexp_size(int i)
{
	static const size_t sizes[] = { 0, 1, 63, 64, 100, 4096, 65536 + 3,
					1 << 20 };

	return sizes[i % 8];
}

static void expect_recv(struct tcp_t *t, void *ctx, size_t len,
			uint64_t flags, uint64_t data)
{
	struct fi_cq_tagged_entry e;
	struct fi_cq_err_entry err;
	int r = tcp_t_cq_wait(t->rx, &e, &err);

	if (r != 1)
		fprintf(stderr, "recv error %d len %zu\n", r, err.len);
	CHECK(r == 1);
	CHECK(e.op_context == ctx);
	if (e.len != len)
		fprintf(stderr, "len %zu, expected %zu\n", e.len, len);
	CHECK(e.len == len);
	CHECK((e.flags & (FI_RECV | FI_MSG | FI_REMOTE_CQ_DATA)) == flags);
	if (flags & FI_REMOTE_CQ_DATA)
		CHECK(e.data == data);
}

static void server(struct tcp_t_pair *p)
{
	struct tcp_t t;
	uint8_t addr[128];
	size_t addrlen = sizeof(addr);
	uint8_t *big = malloc(BIG), *b1 = malloc(1 << 20);
	uint8_t s1[100], v1[1000], v2[4000], m1[300], inj[64], sd[10], id[8],
		zero[4], trunc[100];
	struct iovec iov[2] = { { v1, sizeof(v1) }, { v2, sizeof(v2) } };
	struct fi_cq_err_entry err;
	int ctx[64];

	CHECK(big && b1);
	tcp_t_open(&t, tcp_t_getinfo(0, true));
	tcp_t_listen(&t, addr, &addrlen);
	tcp_t_pair_send_addr(p, addr, addrlen);
	tcp_t_accept(&t, NULL, NULL, NULL, 0, 0);

	/* A */
	CHECK_OK(fi_recv(t.ep, s1, sizeof(s1), NULL, 0, &ctx[0]));
	CHECK_OK(fi_recvv(t.ep, iov, NULL, 2, 0, &ctx[1]));
	CHECK_OK(fi_recv(t.ep, m1, sizeof(m1), NULL, 0, &ctx[2]));
	CHECK_OK(fi_recv(t.ep, inj, sizeof(inj), NULL, 0, &ctx[3]));
	CHECK_OK(fi_recv(t.ep, sd, sizeof(sd), NULL, 0, &ctx[4]));
	CHECK_OK(fi_recv(t.ep, id, sizeof(id), NULL, 0, &ctx[5]));
	CHECK_OK(fi_recv(t.ep, zero, sizeof(zero), NULL, 0, &ctx[6]));
	CHECK_OK(fi_recv(t.ep, big, BIG, NULL, 0, &ctx[7]));
	CHECK_OK(fi_recv(t.ep, trunc, sizeof(trunc), NULL, 0, &ctx[8]));
	tcp_t_signal(p->to_client[1]);

	expect_recv(&t, &ctx[0], 100, FI_RECV | FI_MSG, 0);
	check_fill(s1, 100, 1);
	expect_recv(&t, &ctx[1], 5000, FI_RECV | FI_MSG, 0);
	{
		uint8_t all[5000];

		memcpy(all, v1, sizeof(v1));
		memcpy(all + sizeof(v1), v2, sizeof(v2));
		check_fill(all, 5000, 2);
	}
	expect_recv(&t, &ctx[2], 300, FI_RECV | FI_MSG | FI_REMOTE_CQ_DATA,
		    0xabcdef0123456789ull);
	check_fill(m1, 300, 3);
	expect_recv(&t, &ctx[3], 64, FI_RECV | FI_MSG, 0);
	check_fill(inj, 64, 4);
	expect_recv(&t, &ctx[4], 10, FI_RECV | FI_MSG | FI_REMOTE_CQ_DATA,
		    0x1234);
	check_fill(sd, 10, 5);
	expect_recv(&t, &ctx[5], 8, FI_RECV | FI_MSG | FI_REMOTE_CQ_DATA,
		    0x55);
	check_fill(id, 8, 6);
	expect_recv(&t, &ctx[6], 0, FI_RECV | FI_MSG, 0);
	expect_recv(&t, &ctx[7], BIG, FI_RECV | FI_MSG, 0);
	check_fill(big, BIG, 7);
	CHECK(tcp_t_cq_wait(t.rx, NULL, &err) == -FI_ETRUNC);
	CHECK(err.op_context == &ctx[8]);
	CHECK(err.len == 100 && err.olen == 100);
	check_fill(trunc, 100, 8);

	/* B: everything is sent before we post anything. */
	tcp_t_wait_signal(p->to_server[0]);
	for (int i = 0; i < N_UNEXP; i++) {
		CHECK_OK(fi_recv(t.ep, b1, 1 << 20, NULL, 0, &ctx[9]));
		expect_recv(&t, &ctx[9], unexp_size(i), FI_RECV | FI_MSG, 0);
		check_fill(b1, unexp_size(i), 100 + (uint32_t)i);
	}

	/* C: send a window far larger than the socket buffers. */
	for (int i = 0; i < N_WINDOW; i++) {
		fill(big + (size_t)(i % 16) * WINDOW_MSG, WINDOW_MSG,
		     1000 + (uint32_t)(i % 16));
		CHECK_OK(fi_send(t.ep, big + (size_t)(i % 16) * WINDOW_MSG,
				 WINDOW_MSG, NULL, 0, &ctx[10]));
	}
	for (int i = 0; i < N_WINDOW; i++) {
		struct fi_cq_tagged_entry e;

		CHECK(tcp_t_cq_wait(t.tx, &e, NULL) == 1);
		CHECK(e.op_context == &ctx[10]);
		CHECK((e.flags & (FI_SEND | FI_MSG)) == (FI_SEND | FI_MSG));
	}
	/* Beyond tx_attr->size the provider says -FI_EAGAIN, never drops. */
	tcp_t_wait_signal(p->to_server[0]);
	tcp_t_eq_expect(&t, FI_SHUTDOWN, NULL, NULL);
	tcp_t_ep_close(&t);
	tcp_t_close(&t);
	free(big);
	free(b1);
	exit(0);
}

static void client(struct tcp_t_pair *p)
{
	struct tcp_t t;
	uint8_t addr[128];
	uint8_t *big = malloc(BIG), *un = malloc((size_t)N_UNEXP << 20);
	uint8_t s1[100], v[5000], m1[300], inj[64], sd[10], id[8], tr[200];
	struct iovec iov[3] = { { v, 10 }, { v + 10, 2990 }, { v + 3000, 2000 } };
	struct iovec miov = { m1, sizeof(m1) };
	struct fi_msg msg = { .msg_iov = &miov, .iov_count = 1,
			      .context = &miov, .data = 0xabcdef0123456789ull };
	int ctx[8], n_tx = 0;

	CHECK(big && un);
	tcp_t_pair_recv_addr(p, addr, sizeof(addr));
	tcp_t_open(&t, tcp_t_getinfo(0, false));
	tcp_t_connect(&t, addr, NULL, 0, NULL, NULL, 0);

	fill(s1, sizeof(s1), 1);
	fill(v, sizeof(v), 2);
	fill(m1, sizeof(m1), 3);
	fill(inj, sizeof(inj), 4);
	fill(sd, sizeof(sd), 5);
	fill(id, sizeof(id), 6);
	fill(big, BIG, 7);
	fill(tr, sizeof(tr), 8);
	tcp_t_wait_signal(p->to_client[0]);

	/* A */
	CHECK_OK(fi_send(t.ep, s1, sizeof(s1), NULL, 0, &ctx[0]));
	CHECK_OK(fi_sendv(t.ep, iov, NULL, 3, 0, &ctx[1]));
	CHECK_OK(fi_sendmsg(t.ep, &msg, FI_REMOTE_CQ_DATA));
	CHECK_OK(fi_inject(t.ep, inj, sizeof(inj), 0));
	memset(inj, 0, sizeof(inj)); /* inject: the buffer is ours again */
	CHECK_OK(fi_senddata(t.ep, sd, sizeof(sd), NULL, 0x1234, 0, &ctx[2]));
	CHECK_OK(fi_injectdata(t.ep, id, sizeof(id), 0x55, 0));
	CHECK_OK(fi_send(t.ep, NULL, 0, NULL, 0, &ctx[3]));
	CHECK_OK(fi_send(t.ep, big, BIG, NULL, 0, &ctx[4]));
	CHECK_OK(fi_send(t.ep, tr, sizeof(tr), NULL, 0, &ctx[5]));
	CHECK(fi_inject(t.ep, big, 4096, 0) == -FI_EINVAL); /* > inject_size */
	{
		void *want[] = { &ctx[0], &ctx[1], &miov, &ctx[2],
				 &ctx[3], &ctx[4], &ctx[5] };

		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			struct fi_cq_tagged_entry e;

			CHECK(tcp_t_cq_wait(t.tx, &e, NULL) == 1);
			CHECK(e.op_context == want[i]);
		}
	}

	/* B */
	for (int i = 0; i < N_UNEXP; i++) {
		uint8_t *b = un + ((size_t)i << 20);

		fill(b, unexp_size(i), 100 + (uint32_t)i);
		CHECK_OK(fi_send(t.ep, b, unexp_size(i), NULL, 0, &ctx[6]));
		n_tx++;
	}
	tcp_t_signal(p->to_server[1]);
	for (int i = 0; i < n_tx; i++)
		CHECK(tcp_t_cq_wait(t.tx, NULL, NULL) == 1);

	/* C: receive the window, in order. */
	for (int i = 0; i < N_WINDOW; i++) {
		struct fi_cq_tagged_entry e;

		CHECK_OK(fi_recv(t.ep, big, WINDOW_MSG, NULL, 0, &ctx[7]));
		CHECK(tcp_t_cq_wait(t.rx, &e, NULL) == 1);
		CHECK(e.len == WINDOW_MSG);
		check_fill(big, WINDOW_MSG, 1000 + (uint32_t)(i % 16));
	}
	/* tx_attr->size sends may be outstanding; more say -FI_EAGAIN. */
	{
		size_t size = t.info->tx_attr->size, posted = 0;
		ssize_t r;

		CHECK(size > 0);
		while ((r = fi_send(t.ep, big, WINDOW_MSG, NULL, 0, NULL)) == 0)
			posted++;
		CHECK(r == -FI_EAGAIN);
		CHECK(posted >= size); /* completed ones free their entries */
	}
	tcp_t_signal(p->to_server[1]);
	CHECK_OK(fi_shutdown(t.ep, 0));
	tcp_t_ep_close(&t);
	tcp_t_close(&t);
	free(big);
	free(un);
	tcp_t_pair_join(p);
}

int main(void)
{
	struct tcp_t_pair p;

	weft_test_require_weft_loaded();
	if (tcp_t_fork(&p))
		server(&p);
	client(&p);
	printf("PASS\n");
	return 0;
}
