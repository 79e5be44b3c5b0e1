/* tcp provider, bounded buffering of unexpected messages (two processes).
 * With FI_TCP_UNEXP_LIMIT=1000 the receiver buffers at most 1000 bytes of
 * messages nobody has posted for; the client sends 64 messages of mixed
 * sizes (100 B and 16 KiB, 0.5 MiB in all) before the server posts
 * anything. The stream stalls instead of buffering, TCP holds the rest,
 * and every message is delivered in order, intact, as receives are
 * posted one at a time. */
#include "tcp_test.h"

#define N 64

static size_t size_of(int i)
{
	return (i % 3 == 2) ? 16384 : 100;
}

static uint8_t byte_of(int i, size_t k)
{
	return (uint8_t)(i * 37 + k * 11 + (k >> 8));
}

static void server(struct tcp_t_pair *p)
{
	struct tcp_t t;
	uint8_t addr[128], buf[16384];
	size_t addrlen = sizeof(addr);

	tcp_t_open(&t, tcp_t_getinfo(0, true));
	tcp_t_listen(&t, addr, &addrlen);
	tcp_t_pair_send_addr(p, addr, addrlen);
	tcp_t_accept(&t, NULL, NULL, NULL, 0, 0);
	tcp_t_wait_signal(p->to_server[0]);
	for (int i = 0; i < N; i++) {
		struct fi_cq_tagged_entry e;

		memset(buf, 0, sizeof(buf));
		CHECK_OK(fi_recv(t.ep, buf, sizeof(buf), NULL, 0, buf));
		CHECK(tcp_t_cq_wait(t.rx, &e, NULL) == 1);
		CHECK(e.len == size_of(i));
		for (size_t k = 0; k < e.len; k++)
			CHECK(buf[k] == byte_of(i, k));
	}
	tcp_t_signal(p->to_client[1]);
	tcp_t_eq_expect(&t, FI_SHUTDOWN, NULL, NULL);
	tcp_t_ep_close(&t);
	tcp_t_close(&t);
	exit(0);
}

static void client(struct tcp_t_pair *p)
{
	struct tcp_t t;
	uint8_t addr[128];
	static uint8_t out[N][16384];

	tcp_t_pair_recv_addr(p, addr, sizeof(addr));
	tcp_t_open(&t, tcp_t_getinfo(0, false));
	tcp_t_connect(&t, addr, NULL, 0, NULL, NULL, 0);
	for (int i = 0; i < N; i++) {
		for (size_t k = 0; k < size_of(i); k++)
			out[i][k] = byte_of(i, k);
		CHECK_OK(fi_send(t.ep, out[i], size_of(i), NULL, 0, NULL));
	}
	/* All of it fits in the kernel's socket buffers on loopback, so the
	 * sends complete although the server reads (almost) nothing. */
	for (int i = 0; i < N; i++)
		CHECK(tcp_t_cq_wait(t.tx, NULL, NULL) == 1);
	tcp_t_signal(p->to_server[1]);
	tcp_t_wait_signal(p->to_client[0]); /* the server has them all */
	CHECK_OK(fi_shutdown(t.ep, 0));
	tcp_t_ep_close(&t);
	tcp_t_close(&t);
	tcp_t_pair_join(p);
}

int main(void)
{
	struct tcp_t_pair p;

	weft_test_require_weft_loaded();
	setenv("FI_TCP_UNEXP_LIMIT", "1000", 1);
	if (tcp_t_fork(&p))
		server(&p);
	client(&p);
	printf("PASS\n");
	return 0;
}
