/* tcp FI_EP_RDM against bytes that are not weft's protocol (public API
 * plus raw sockets; the wire bytes are written out by hand here, as a
 * foreign peer would). The endpoint under test keeps receiving while a
 * raw client:
 *  - sends HTTP to the listener: closed;
 *  - makes a valid RDM handshake (and must get TCP_CM_RDM_ACCEPT back),
 *    then sends a message header with a bad version, a rendezvous
 *    clear-to-send / data / acknowledgement naming no entry, an RMA answer
 *    to no request, an unknown flag: each connection closed;
 *  - makes a valid handshake and sends a well-formed 100-byte message:
 *    delivered, with FI_SOURCE FI_ADDR_NOTAVAIL (the raw client's address
 *    is in no AV);
 * and after all that a real RDM peer still exchanges messages with it.
 */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include "tcp_rdm_test.h"

struct hdr { /* tcp_hdr, little-endian on the wire (x86: host order) */
	uint8_t version, op;
	uint16_t flags;
	uint32_t id;
	uint64_t size, tag, data;
};

struct rma { /* tcp_rma_hdr */
	uint64_t addr, key, len;
	uint8_t datatype, atomic_op, kind, reserved;
	int32_t status;
};

static int raw_connect(unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };
	int s = socket(AF_INET, SOCK_STREAM, 0);

	CHECK(s >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(connect(s, (struct sockaddr *)&a, sizeof(a)) == 0);
	return s;
}

/* The RDM handshake request; returns 1 when the answer is an accept. */
static int raw_handshake(int s)
{
	uint8_t req[48] = { 'W', 'F', 'T', 'T', 1, 4, 32, 0 };
	uint8_t ans[48];
	uint64_t inc = 0x1234567;
	uint16_t fam = 4, port = 9;
	size_t got = 0;

	memcpy(req + 16, &inc, 8);
	memcpy(req + 24, &fam, 2);
	memcpy(req + 26, &port, 2);
	req[32] = 127;
	req[35] = 1;
	CHECK(write(s, req, sizeof(req)) == (ssize_t)sizeof(req));
	while (got < sizeof(ans)) {
		ssize_t n = read(s, ans + got, sizeof(ans) - got);

		CHECK(n > 0);
		got += (size_t)n;
	}
	CHECK(!memcmp(ans, "WFTT", 4) && ans[4] == 1);
	return ans[5] == 5 && ans[6] == 32;
}

/* The peer must close the connection (end of stream or reset). */
static void expect_closed(int s)
{
	struct pollfd p = { .fd = s, .events = POLLIN };
	char buf[256];

	for (;;) {
		ssize_t n;

		CHECK(poll(&p, 1, RT_TMO) == 1);
		n = read(s, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			break;
		CHECK(n > 0);
	}
	close(s);
}

static void send_hdr(int s, uint8_t version, uint8_t op, uint16_t flags,
		     uint32_t id, uint64_t size, const struct rma *r)
{
	struct hdr h = { version, op, flags, id, size, 0, 0 };

	CHECK(write(s, &h, sizeof(h)) == (ssize_t)sizeof(h));
	if (r)
		CHECK(write(s, r, sizeof(*r)) == (ssize_t)sizeof(*r));
}

static void raw_client(unsigned port, int done_fd)
{
	struct rma r;
	int s;

	/* Not a handshake at all. */
	s = raw_connect(port);
	CHECK(write(s, "GET / HTTP/1.0\r\n\r\n", 18) == 18);
	expect_closed(s);
	/* Bad version after a good handshake. */
	s = raw_connect(port);
	CHECK(raw_handshake(s));
	send_hdr(s, 9, 1, 0, 0, 0, NULL);
	expect_closed(s);
	/* Unknown flag. */
	s = raw_connect(port);
	CHECK(raw_handshake(s));
	send_hdr(s, 1, 1, 0x100, 0, 0, NULL);
	expect_closed(s);
	/* CTS for an entry that waits for nothing. */
	memset(&r, 0, sizeof(r));
	r.len = 10;
	s = raw_connect(port);
	CHECK(raw_handshake(s));
	send_hdr(s, 1, 8, 0, 3, 0, &r);
	expect_closed(s);
	/* DATA for no receive, and far out of range. */
	s = raw_connect(port);
	CHECK(raw_handshake(s));
	send_hdr(s, 1, 9, 0, 0xfffffff0u, 10, NULL);
	expect_closed(s);
	/* ACK for no send. */
	s = raw_connect(port);
	CHECK(raw_handshake(s));
	send_hdr(s, 1, 10, 0, 0, 0, NULL);
	expect_closed(s);
	/* RMA answer to no request. */
	s = raw_connect(port);
	CHECK(raw_handshake(s));
	send_hdr(s, 1, 6, 0, 0, 0, &r);
	expect_closed(s);
	/* A well-formed message: delivered. */
	s = raw_connect(port);
	CHECK(raw_handshake(s));
	{
		uint8_t payload[100];

		rt_fill(payload, sizeof(payload), 77);
		send_hdr(s, 1, 1, 0, 0, sizeof(payload), NULL);
		CHECK(write(s, payload, sizeof(payload)) ==
		      (ssize_t)sizeof(payload));
	}
	rt_signal(done_fd);
	/* Keep the connection until the parent has the message. */
	{
		char c;

		CHECK(read(s, &c, 1) <= 0 || 1);
	}
	close(s);
}

int main(void)
{
	int c2p[2], p2c[2], done[2];
	struct rt t;
	pid_t raw, peer_pid;
	fi_addr_t peer;
	uint8_t buf[256];
	struct fi_cq_tagged_entry c;
	fi_addr_t src;
	int ctx;

	alarm(60);
	CHECK(pipe(c2p) == 0 && pipe(p2c) == 0 && pipe(done) == 0);
	rt_open(&t, FI_MSG | FI_SOURCE, 0);
	RT_POST(&t, fi_recv(t.ep, buf, sizeof(buf), NULL, FI_ADDR_UNSPEC,
			    &ctx));
	raw = fork();
	CHECK(raw >= 0);
	if (raw == 0) {
		raw_client(rt_port(&t), done[1]);
		_exit(0);
	}
	/* Serve the raw client until it has sent its good message. */
	{
		long end = rt_now_ms() + RT_TMO;
		struct pollfd p = { .fd = done[0], .events = POLLIN };

		while (poll(&p, 1, 0) == 0) {
			rt_spin(&t, 2);
			CHECK(rt_now_ms() < end);
		}
	}
	rt_get(t.rx, &c, &src, NULL);
	CHECK(c.op_context == &ctx && c.len == 100);
	CHECK(src == FI_ADDR_NOTAVAIL);
	rt_verify(buf, 100, 77);
	kill(raw, SIGTERM);
	waitpid(raw, NULL, 0);

	/* A real peer still works. */
	peer_pid = fork();
	CHECK(peer_pid >= 0);
	if (peer_pid == 0) {
		struct rt k;
		fi_addr_t p;

		rt_open(&k, FI_MSG | FI_SOURCE, 0);
		rt_send_name(c2p[1], &k);
		p = rt_recv_name(p2c[0], &k);
		rt_fill(buf, 200, 5);
		RT_POST(&k, fi_send(k.ep, buf, 200, NULL, p, NULL));
		rt_get(k.tx, &c, NULL, NULL);
		rt_wait_signal(p2c[0]);
		rt_close(&k);
		_exit(0);
	}
	peer = rt_recv_name(c2p[0], &t);
	rt_send_name(p2c[1], &t);
	RT_POST(&t, fi_recv(t.ep, buf, sizeof(buf), NULL, FI_ADDR_UNSPEC,
			    &ctx));
	rt_get(t.rx, &c, &src, NULL);
	CHECK(c.len == 200 && src == peer);
	rt_verify(buf, 200, 5);
	rt_signal(p2c[1]);
	rt_reap(peer_pid);
	rt_close(&t);
	return 0;
}
