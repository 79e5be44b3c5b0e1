/* tcp provider, untrusted bytes (two processes). Raw sockets reach the
 * server's listener and an established connection with bytes that are
 * not weft's protocol; each such socket is closed, and a real connection
 * made in between keeps working:
 *  - a raw socket sending an HTTP request to the listener is closed;
 *  - a raw socket that connects and stays silent does not block others,
 *    and is closed after FI_TCP_HANDSHAKE_TIMEOUT (set to 1 s here);
 *  - raw clients that complete a correct handshake and then send a bad
 *    stream (bad version, an RMA answer to nothing, an oversized message,
 *    an unknown flag, a message cut off by the peer's close): each such
 *    endpoint gets FI_SHUTDOWN and its posted receive an error
 *    completion; the real connection still carries data both ways. */
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "tcp_test.h"

#define N_CASES 5

static void ping(struct tcp_t *t, bool first, uint8_t seed)
{
	uint8_t out[1000], in[1000];
	struct fi_cq_tagged_entry e;

	memset(out, seed, sizeof(out));
	memset(in, 0, sizeof(in));
	CHECK_OK(fi_recv(t->ep, in, sizeof(in), NULL, 0, in));
	if (first)
		CHECK_OK(fi_send(t->ep, out, sizeof(out), NULL, 0, out));
	CHECK(tcp_t_cq_wait(t->rx, &e, NULL) == 1);
	CHECK(e.len == sizeof(in) && in[0] == seed && in[999] == seed);
	if (!first)
		CHECK_OK(fi_send(t->ep, out, sizeof(out), NULL, 0, out));
	CHECK(tcp_t_cq_wait(t->tx, &e, NULL) == 1);
}

static void server(struct tcp_t_pair *p)
{
	struct tcp_t t, t2;
	uint8_t addr[128], buf[64];
	size_t addrlen = sizeof(addr);
	struct fi_cq_err_entry err;

	tcp_t_open(&t, tcp_t_getinfo(0, true));
	tcp_t_listen(&t, addr, &addrlen);
	tcp_t_pair_send_addr(p, addr, addrlen);
	tcp_t_wait_signal(p->to_server[0]);
	/* The garbage and the silent socket are ahead of the real client. */
	tcp_t_accept(&t, NULL, NULL, NULL, 0, 0);
	ping(&t, false, 1);

	/* Raw clients with a correct handshake, then a bad stream each. */
	for (int c = 0; c < N_CASES; c++) {
		t2 = t;
		t2.ep = NULL;
		t2.tx = t2.rx = NULL;
		t2.conn_info = NULL;
		t2.pep = NULL;
		tcp_t_accept(&t2, NULL, NULL, NULL, 0, 0);
		CHECK_OK(fi_recv(t2.ep, buf, sizeof(buf), NULL, 0, buf));
		tcp_t_signal(p->to_client[1]);
		tcp_t_eq_expect(&t2, FI_SHUTDOWN, NULL, NULL);
		CHECK(tcp_t_cq_wait(t2.rx, NULL, &err) < 0);
		CHECK(err.op_context == buf);
		tcp_t_ep_close(&t2);
	}

	ping(&t, false, 2);
	tcp_t_eq_expect(&t, FI_SHUTDOWN, NULL, NULL);
	tcp_t_ep_close(&t);
	tcp_t_close(&t);
	exit(0);
}

/* Message headers as the wire format defines them (little-endian):
 * version, op, flags, reserved, size, tag, data. */
static size_t put_hdr(uint8_t *b, uint8_t op, uint16_t flags, uint64_t size)
{
	memset(b, 0, 32);
	b[0] = 1;
	b[1] = op;
	b[2] = (uint8_t)flags;
	b[3] = (uint8_t)(flags >> 8);
	for (int i = 0; i < 8; i++)
		b[8 + i] = (uint8_t)(size >> (8 * i));
	return 32;
}

/* What each fake client sends after its handshake:
 *  0: 32 bytes of 0xff (no such version);
 *  1: an RMA answer (op 6) when nothing was asked;
 *  2: a message larger than max_msg_size;
 *  3: an unknown header flag;
 *  4: a 1000-byte message cut off after 10 bytes, then close. */
static size_t bad_stream(int c, uint8_t *b)
{
	switch (c) {
	case 0:
		memset(b, 0xff, 32);
		return 32;
	case 1:
		put_hdr(b, 6, 0, 0);
		memset(b + 32, 0, 32); /* the RMA header */
		return 64;
	case 2:
		return put_hdr(b, 1, 0, 1ull << 40);
	case 3:
		return put_hdr(b, 1, 0x8000, 0);
	default:
		put_hdr(b, 1, 0, 1000);
		memset(b + 32, 7, 10);
		return 42;
	}
}

static int raw_connect(const void *addr, size_t len)
{
	int s = socket(((const struct sockaddr *)addr)->sa_family,
		       SOCK_STREAM, 0);

	CHECK(s >= 0);
	CHECK(connect(s, addr, (socklen_t)len) == 0);
	return s;
}

/* The peer closes s within the deadline (EOF or reset). */
static void expect_closed(int s)
{
	struct pollfd pfd = { .fd = s, .events = POLLIN };
	char c[64];
	long deadline = tcp_t_now_ms() + TCP_T_TIMEOUT_MS;

	for (;;) {
		ssize_t n;

		CHECK(tcp_t_now_ms() < deadline);
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recv(s, c, sizeof(c), 0);
		if (n <= 0)
			return;
	}
}

static void client(struct tcp_t_pair *p)
{
	struct tcp_t t;
	uint8_t addr[128];
	size_t addrlen;
	int garbage, silent, fake;
	static const char http[] = "GET / HTTP/1.0\r\n\r\n";
	/* A weft handshake request as the wire format defines it: magic
	 * "WFTT", version 1, op REQ (1), no data, reserved zero. */
	static const uint8_t req[16] = { 'W', 'F', 'T', 'T', 1, 1, 0, 0 };
	uint8_t resp[16], bad[128];

	addrlen = tcp_t_pair_recv_addr(p, addr, sizeof(addr));
	garbage = raw_connect(addr, addrlen);
	CHECK(send(garbage, http, sizeof(http), 0) == (ssize_t)sizeof(http));
	silent = raw_connect(addr, addrlen);
	tcp_t_signal(p->to_server[1]);

	tcp_t_open(&t, tcp_t_getinfo(0, false));
	tcp_t_connect(&t, addr, NULL, 0, NULL, NULL, 0);
	ping(&t, true, 1);
	expect_closed(garbage);
	close(garbage);

	for (int c = 0; c < N_CASES; c++) {
		size_t len = bad_stream(c, bad);

		fake = raw_connect(addr, addrlen);
		CHECK(send(fake, req, sizeof(req), 0) == (ssize_t)sizeof(req));
		tcp_t_recv_bytes(fake, resp, sizeof(resp)); /* the accept */
		CHECK(resp[0] == 'W' && resp[5] == 2);
		tcp_t_wait_signal(p->to_client[0]);
		CHECK(send(fake, bad, len, 0) == (ssize_t)len);
		if (c != N_CASES - 1)
			expect_closed(fake);
		close(fake); /* the last case: the peer vanishes mid-message */
	}

	ping(&t, true, 2);
	expect_closed(silent); /* the server reads its EQ meanwhile */
	close(silent);
	CHECK_OK(fi_shutdown(t.ep, 0));
	tcp_t_ep_close(&t);
	tcp_t_close(&t);
	tcp_t_pair_join(p);
}

int main(void)
{
	struct tcp_t_pair p;

	weft_test_require_weft_loaded();
	setenv("FI_TCP_HANDSHAKE_TIMEOUT", "1000", 1);
	if (tcp_t_fork(&p))
		server(&p);
	client(&p);
	printf("PASS\n");
	return 0;
}
