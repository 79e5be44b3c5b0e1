/* tcp provider, FI_TAGGED over a connection (two processes): receives
 * matched by tag with ignore bits, out of posting order; messages that
 * arrive before their receive (unexpected) matched later by tag; tagged
 * and untagged traffic on the same connection kept apart; remote CQ data
 * and the tag reported in the completion; injected tagged sends; a
 * multi-megabyte tagged message; truncation; FI_PEEK (FI_ENOMSG when
 * nothing matches), FI_PEEK|FI_CLAIM then the paired FI_CLAIM receive,
 * FI_PEEK|FI_DISCARD. */
#include "tcp_test.h"

#define BIG (4u << 20)

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 29u + i * 13u + (i >> 11));
}

static void check_fill(const uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		CHECK(p[i] == (uint8_t)(seed * 29u + i * 13u + (i >> 11)));
}

/* Wait for one receive completion and check what it says. */
static void expect(struct tcp_t *t, void *ctx, size_t len, uint64_t tag,
		   uint64_t flags)
{
	struct fi_cq_tagged_entry e;

	CHECK(tcp_t_cq_wait(t->rx, &e, NULL) == 1);
	if (e.op_context != ctx || e.len != len || e.tag != tag)
		fprintf(stderr, "got ctx %p len %zu tag %#lx, want %p %zu %#lx\n",
			e.op_context, e.len, (unsigned long)e.tag, ctx, len,
			(unsigned long)tag);
	CHECK(e.op_context == ctx);
	CHECK(e.len == len);
	CHECK((e.flags & (FI_RECV | FI_MSG | FI_TAGGED | FI_REMOTE_CQ_DATA)) ==
	      flags);
	if (flags & FI_TAGGED)
		CHECK(e.tag == tag);
}

/* fi_trecvmsg with flags; returns the completion (1) or -error. */
static int peek(struct tcp_t *t, uint64_t tag, uint64_t flags,
		struct fi_context *ctx, struct fi_cq_tagged_entry *e)
{
	struct fi_msg_tagged m = { .tag = tag, .context = ctx };
	struct fi_cq_err_entry err;

	CHECK_OK(fi_trecvmsg(t->ep, &m, flags));
	return tcp_t_cq_wait(t->rx, e, &err);
}

static void peek_claim(struct tcp_t *t)
{
	struct fi_context ctx, ctx2;
	struct fi_cq_tagged_entry e;
	uint8_t buf[64];
	struct iovec iov = { buf, sizeof(buf) };
	struct fi_msg_tagged m = { .msg_iov = &iov, .iov_count = 1,
				   .context = &ctx };
	long deadline = tcp_t_now_ms() + TCP_T_TIMEOUT_MS;

	CHECK(peek(t, 0x999, FI_PEEK, &ctx, &e) == -FI_ENOMSG);
	/* Wait for 0x700, the last one sent: then all three are here. */
	while (peek(t, 0x700, FI_PEEK, &ctx, &e) == -FI_ENOMSG)
		CHECK(tcp_t_now_ms() < deadline);
	CHECK(e.len == 30 && e.tag == 0x700);
	CHECK(peek(t, 0x500, FI_PEEK, &ctx, &e) == 1);
	CHECK(e.len == 40 && e.tag == 0x500 && e.data == 0x77);
	CHECK(e.flags & FI_REMOTE_CQ_DATA);
	/* Claim it: a wildcard receive now gets 0x600 instead. */
	CHECK(peek(t, 0x500, FI_PEEK | FI_CLAIM, &ctx, &e) == 1);
	CHECK(e.op_context == &ctx && e.len == 40);
	CHECK(peek(t, 0x500, FI_PEEK, &ctx2, &e) == -FI_ENOMSG);
	CHECK_OK(fi_trecv(t->ep, buf, sizeof(buf), NULL, 0, 0, ~0ull, buf));
	CHECK(tcp_t_cq_wait(t->rx, &e, NULL) == 1);
	CHECK(e.tag == 0x600 && e.len == 20);
	check_fill(buf, 20, 0x600);
	/* The paired FI_CLAIM receive takes it. */
	memset(buf, 0, sizeof(buf));
	CHECK_OK(fi_trecvmsg(t->ep, &m, FI_CLAIM));
	CHECK(tcp_t_cq_wait(t->rx, &e, NULL) == 1);
	CHECK(e.op_context == &ctx && e.len == 40 && e.tag == 0x500);
	check_fill(buf, 40, 0x500);
	CHECK(fi_trecvmsg(t->ep, &m, FI_CLAIM) == -FI_EINVAL); /* taken */
	/* Peek + discard drops 0x700. */
	CHECK(peek(t, 0x700, FI_PEEK | FI_DISCARD, &ctx, &e) == 1);
	CHECK(e.len == 30);
	CHECK(peek(t, 0x700, FI_PEEK, &ctx, &e) == -FI_ENOMSG);
}

static void server(struct tcp_t_pair *p)
{
	struct tcp_t t;
	uint8_t addr[128];
	size_t addrlen = sizeof(addr);
	uint8_t a[256], b[256], c[256], d[256], m[256], *big = malloc(BIG);
	struct fi_cq_err_entry err;
	int ctx[16];

	CHECK(big);
	tcp_t_open(&t, tcp_t_getinfo(0, true));
	tcp_t_listen(&t, addr, &addrlen);
	tcp_t_pair_send_addr(p, addr, addrlen);
	tcp_t_accept(&t, NULL, NULL, NULL, 0, 0);

	/* 1: posted out of order. The client sends tags 0x10, 0x20, 0x30
	 * (in that order) and one untagged message. We post 0x30 first,
	 * then "0x2? with low nibble ignored", then exactly 0x10, then an
	 * untagged receive. */
	CHECK_OK(fi_trecv(t.ep, c, sizeof(c), NULL, 0, 0x30, 0, &ctx[2]));
	CHECK_OK(fi_trecv(t.ep, b, sizeof(b), NULL, 0, 0x2f, 0xf, &ctx[1]));
	CHECK_OK(fi_trecv(t.ep, a, sizeof(a), NULL, 0, 0x10, 0, &ctx[0]));
	CHECK_OK(fi_recv(t.ep, m, sizeof(m), NULL, 0, &ctx[3]));
	tcp_t_signal(p->to_client[1]);
	expect(&t, &ctx[0], 16, 0x10, FI_RECV | FI_TAGGED);
	check_fill(a, 16, 1);
	expect(&t, &ctx[1], 32, 0x20, FI_RECV | FI_TAGGED);
	check_fill(b, 32, 2);
	expect(&t, &ctx[2], 48, 0x30, FI_RECV | FI_TAGGED);
	check_fill(c, 48, 3);
	expect(&t, &ctx[3], 64, 0, FI_RECV | FI_MSG);
	check_fill(m, 64, 4);

	/* 2: unexpected. The client has sent tags 0x100..0x104 (with data)
	 * and an untagged one before we post; take them out of order. */
	tcp_t_wait_signal(p->to_server[0]);
	CHECK_OK(fi_trecv(t.ep, d, sizeof(d), NULL, 0, 0x103, 0, &ctx[4]));
	expect(&t, &ctx[4], 103, 0x103,
	       FI_RECV | FI_TAGGED | FI_REMOTE_CQ_DATA);
	check_fill(d, 103, 0x103);
	CHECK_OK(fi_recv(t.ep, m, sizeof(m), NULL, 0, &ctx[5]));
	expect(&t, &ctx[5], 7, 0, FI_RECV | FI_MSG);
	check_fill(m, 7, 77);
	/* Any tag: the oldest remaining (0x100, then 0x101, ...). */
	for (uint64_t tag = 0x100; tag <= 0x104; tag++) {
		if (tag == 0x103)
			continue;
		CHECK_OK(fi_trecv(t.ep, d, sizeof(d), NULL, 0, 0, ~0ull,
				  &ctx[6]));
		expect(&t, &ctx[6], (size_t)tag - 0x100 + 100, tag,
		       FI_RECV | FI_TAGGED | FI_REMOTE_CQ_DATA);
		check_fill(d, (size_t)tag - 0x100 + 100, (uint32_t)tag);
	}

	/* 3: big tagged, injected tagged, truncated tagged. */
	CHECK_OK(fi_trecv(t.ep, big, BIG, NULL, 0, 0xb16, 0, &ctx[7]));
	CHECK_OK(fi_trecv(t.ep, a, sizeof(a), NULL, 0, 0x1, 0, &ctx[8]));
	CHECK_OK(fi_trecv(t.ep, b, 10, NULL, 0, 0x2, 0, &ctx[9]));
	tcp_t_signal(p->to_client[1]);
	expect(&t, &ctx[7], BIG, 0xb16, FI_RECV | FI_TAGGED);
	check_fill(big, BIG, 9);
	expect(&t, &ctx[8], 20, 0x1, FI_RECV | FI_TAGGED);
	check_fill(a, 20, 10);
	CHECK(tcp_t_cq_wait(t.rx, NULL, &err) == -FI_ETRUNC);
	CHECK(err.op_context == &ctx[9] && err.len == 10 && err.olen == 90);
	CHECK(err.tag == 0x2);

	/* 4: peek, claim, discard. The client sends 0x500 (40 bytes, data
	 * 0x77), 0x600 and 0x700. */
	tcp_t_signal(p->to_client[1]);
	peek_claim(&t);

	tcp_t_signal(p->to_client[1]);
	tcp_t_eq_expect(&t, FI_SHUTDOWN, NULL, NULL);
	tcp_t_ep_close(&t);
	tcp_t_close(&t);
	free(big);
	exit(0);
}

static void client(struct tcp_t_pair *p)
{
	struct tcp_t t;
	uint8_t addr[128], buf[8][256], *big = malloc(BIG);
	int ctx;
	int n = 0;

	CHECK(big);
	tcp_t_pair_recv_addr(p, addr, sizeof(addr));
	tcp_t_open(&t, tcp_t_getinfo(0, false));
	tcp_t_connect(&t, addr, NULL, 0, NULL, NULL, 0);

	tcp_t_wait_signal(p->to_client[0]);
	fill(buf[0], 16, 1);
	fill(buf[1], 32, 2);
	fill(buf[2], 48, 3);
	fill(buf[3], 64, 4);
	CHECK_OK(fi_tsend(t.ep, buf[0], 16, NULL, 0, 0x10, &ctx));
	CHECK_OK(fi_tsend(t.ep, buf[1], 32, NULL, 0, 0x20, &ctx));
	CHECK_OK(fi_tsend(t.ep, buf[2], 48, NULL, 0, 0x30, &ctx));
	CHECK_OK(fi_send(t.ep, buf[3], 64, NULL, 0, &ctx));
	for (int i = 0; i < 4; i++)
		CHECK(tcp_t_cq_wait(t.tx, NULL, NULL) == 1);

	for (uint64_t tag = 0x100; tag <= 0x104; tag++) {
		uint8_t *b = buf[4] + 0; /* reused: wait for each one */
		struct fi_cq_tagged_entry e;

		fill(b, (size_t)tag - 0x100 + 100, (uint32_t)tag);
		CHECK_OK(fi_tsenddata(t.ep, b, (size_t)tag - 0x100 + 100, NULL,
				      tag * 3, 0, tag, &ctx));
		CHECK(tcp_t_cq_wait(t.tx, &e, NULL) == 1);
		CHECK((e.flags & (FI_SEND | FI_TAGGED)) ==
		      (FI_SEND | FI_TAGGED));
	}
	fill(buf[5], 7, 77);
	CHECK_OK(fi_send(t.ep, buf[5], 7, NULL, 0, &ctx));
	n++;
	for (int i = 0; i < n; i++)
		CHECK(tcp_t_cq_wait(t.tx, NULL, NULL) == 1);
	tcp_t_signal(p->to_server[1]);

	tcp_t_wait_signal(p->to_client[0]);
	fill(big, BIG, 9);
	fill(buf[6], 20, 10);
	fill(buf[7], 100, 11);
	CHECK_OK(fi_tsend(t.ep, big, BIG, NULL, 0, 0xb16, &ctx));
	CHECK_OK(fi_tinject(t.ep, buf[6], 20, 0, 0x1));
	CHECK_OK(fi_tsend(t.ep, buf[7], 100, NULL, 0, 0x2, &ctx));
	CHECK(tcp_t_cq_wait(t.tx, NULL, NULL) == 1);
	CHECK(tcp_t_cq_wait(t.tx, NULL, NULL) == 1);
	tcp_t_wait_signal(p->to_client[0]);
	fill(buf[0], 40, 0x500);
	fill(buf[1], 20, 0x600);
	fill(buf[2], 30, 0x700);
	CHECK_OK(fi_tsenddata(t.ep, buf[0], 40, NULL, 0x77, 0, 0x500, &ctx));
	CHECK_OK(fi_tsend(t.ep, buf[1], 20, NULL, 0, 0x600, &ctx));
	CHECK_OK(fi_tsend(t.ep, buf[2], 30, NULL, 0, 0x700, &ctx));
	for (int i = 0; i < 3; i++)
		CHECK(tcp_t_cq_wait(t.tx, NULL, NULL) == 1);
	tcp_t_wait_signal(p->to_client[0]); /* the server is done */
	CHECK_OK(fi_shutdown(t.ep, 0));
	tcp_t_ep_close(&t);
	tcp_t_close(&t);
	free(big);
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
