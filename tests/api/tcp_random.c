/* tcp provider, randomized untrusted streams (two processes). 200 raw
 * clients each complete a correct handshake and then send a random mix
 * of well-formed and malformed messages (msg, tagged, RMA writes and
 * reads against a registered key, atomics of random types, answers to
 * nothing, junk bytes), and close. The server endpoint must neither
 * crash nor touch memory outside what it registered (the sanitizer build
 * checks), must end every connection with FI_SHUTDOWN within the
 * deadline, and its guard bytes around the region must stay intact. */
#include <netinet/in.h>
#include <rdma/fi_atomic.h>
#include <sys/socket.h>

#include "tcp_test.h"

#define N_CLIENTS 200
#define REGION 4096
#define GUARD 4096

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static struct fi_info *getinfo_rma(bool source)
{
	struct fi_info *hints = fi_allocinfo(), *info = NULL;

	CHECK(hints);
	hints->ep_attr->type = FI_EP_MSG;
	hints->caps = FI_MSG | FI_TAGGED | FI_RMA | FI_ATOMIC;
	hints->addr_format = FI_SOCKADDR_IN;
	hints->fabric_attr->prov_name = strdup("tcp");
	CHECK_OK(fi_getinfo(FI_VERSION(1, 17), "127.0.0.1", "0",
			    source ? FI_SOURCE : 0, hints, &info));
	fi_freeinfo(hints);
	return info;
}

static void server(struct tcp_t_pair *p)
{
	struct tcp_t t, t2;
	uint8_t addr[128];
	size_t addrlen = sizeof(addr);
	uint8_t *mem = calloc(1, GUARD + REGION + GUARD);
	uint8_t bufs[4][256];
	struct fid_mr *mr;

	CHECK(mem);
	memset(mem, 0xa5, GUARD + REGION + GUARD);
	tcp_t_open(&t, getinfo_rma(true));
	CHECK_OK(fi_mr_reg(t.domain, mem + GUARD, REGION,
			   FI_REMOTE_READ | FI_REMOTE_WRITE, 0, 1, 0, &mr,
			   NULL));
	tcp_t_listen(&t, addr, &addrlen);
	tcp_t_pair_send_addr(p, addr, addrlen);
	for (int c = 0; c < N_CLIENTS; c++) {
		long deadline;

		t2 = t;
		t2.ep = NULL;
		t2.tx = t2.rx = NULL;
		t2.conn_info = NULL;
		t2.pep = NULL;
		tcp_t_accept(&t2, NULL, NULL, NULL, 0, 0);
		CHECK_OK(fi_recv(t2.ep, bufs[0], 256, NULL, 0, NULL));
		CHECK_OK(fi_recv(t2.ep, bufs[1], 16, NULL, 0, NULL));
		CHECK_OK(fi_trecv(t2.ep, bufs[2], 256, NULL, 0, 0, ~0ull,
				  NULL));
		CHECK_OK(fi_trecv(t2.ep, bufs[3], 256, NULL, 0, 5, 0, NULL));
		tcp_t_signal(p->to_client[1]);
		tcp_t_eq_expect(&t2, FI_SHUTDOWN, NULL, NULL);
		/* Drain whatever completed or failed. */
		deadline = tcp_t_now_ms() + 1000;
		while (tcp_t_now_ms() < deadline) {
			struct fi_cq_tagged_entry e;
			struct fi_cq_err_entry err = { 0 };
			ssize_t n = fi_cq_read(t2.rx, &e, 1);

			if (n == -FI_EAVAIL)
				CHECK(fi_cq_readerr(t2.rx, &err, 0) == 1);
			else if (n == -FI_EAGAIN)
				break;
			else
				CHECK(n == 1);
		}
		tcp_t_ep_close(&t2);
		tcp_t_signal(p->to_client[1]); /* next one */
	}
	for (size_t i = 0; i < GUARD; i++)
		CHECK(mem[i] == 0xa5 && mem[GUARD + REGION + i] == 0xa5);
	CHECK_OK(fi_close(&mr->fid));
	tcp_t_close(&t);
	free(mem);
	exit(0);
}

static size_t put_hdr(uint8_t *b, uint8_t op, uint16_t flags, uint64_t size,
		      uint64_t tag)
{
	memset(b, 0, 32);
	b[0] = 1;
	b[1] = op;
	b[2] = (uint8_t)flags;
	b[3] = (uint8_t)(flags >> 8);
	for (int i = 0; i < 8; i++) {
		b[8 + i] = (uint8_t)(size >> (8 * i));
		b[16 + i] = (uint8_t)(tag >> (8 * i));
	}
	return 32;
}

static size_t put_rma(uint8_t *b, uint64_t addr, uint64_t key, uint64_t len,
		      uint8_t dt, uint8_t op, uint8_t kind)
{
	memset(b, 0, 32);
	for (int i = 0; i < 8; i++) {
		b[i] = (uint8_t)(addr >> (8 * i));
		b[8 + i] = (uint8_t)(key >> (8 * i));
		b[16 + i] = (uint8_t)(len >> (8 * i));
	}
	b[24] = dt;
	b[25] = op;
	b[26] = kind;
	return 32;
}

/* A random stream of at most cap bytes. */
static size_t random_stream(uint8_t *b, size_t cap)
{
	size_t n = 0;

	while (n + 64 + 512 < cap) {
		size_t s = rnd() % 300;
		uint64_t addr = rnd() % (REGION + 600);
		uint64_t key = (rnd() % 4) ? 1 : rnd();

		/* Mostly well-formed, so streams get deep; now and then
		 * something that must close the connection. */
		uint64_t r = rnd() % 24;
		int kind = r < 8 ? 0 : r < 12 ? 1 : r < 15 ? 2 : r < 20 ? 3
			 : (int)(r - 16);

		switch (kind) {
		case 0:
			n += put_hdr(b + n, 1 + rnd() % 2, rnd() % 2, s,
				     rnd() % 8);
			break;
		case 1:
			n += put_hdr(b + n, 3, rnd() % 2, s, 0);
			n += put_rma(b + n, addr, key, s, 0, 0, 0);
			break;
		case 2:
			n += put_hdr(b + n, 4, 0, 0, 0);
			n += put_rma(b + n, addr, key, s, 0, 0, 0);
			s = 0;
			break;
		case 3: {
			uint8_t akind = (uint8_t)(rnd() % 4);
			uint64_t len = rnd() % 65;

			s = akind == 2 ? 2 * len : len;
			n += put_hdr(b + n, 5, 0, s, 0);
			n += put_rma(b + n, addr, key, len,
				     (uint8_t)(rnd() % 20),
				     (uint8_t)(rnd() % 32), akind);
			break;
		}
		case 4:
			n += put_hdr(b + n, 6, 0, s % 16, 0);
			n += put_rma(b + n, 0, 0, 0, 0, 0, 0);
			s %= 16;
			break;
		case 5:
			s = 1 + rnd() % 40; /* junk */
			break;
		default:
			n += put_hdr(b + n, (uint8_t)(rnd() % 9),
				     (uint16_t)rnd(), rnd() % 512, rnd());
			s = 0;
			break;
		}
		for (size_t i = 0; i < s; i++)
			b[n++] = (uint8_t)rnd();
	}
	return n;
}

static void client(struct tcp_t_pair *p)
{
	static const uint8_t req[16] = { 'W', 'F', 'T', 'T', 1, 1, 0, 0 };
	uint8_t addr[128], resp[16], stream[8192];
	size_t addrlen = tcp_t_pair_recv_addr(p, addr, sizeof(addr));

	for (int c = 0; c < N_CLIENTS; c++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		size_t len;

		rng = 0x9e3779b97f4a7c15ull * (uint64_t)(c + 1);
		len = random_stream(stream, sizeof(stream));
		CHECK(s >= 0);
		CHECK(connect(s, (struct sockaddr *)addr,
			      (socklen_t)addrlen) == 0);
		CHECK(send(s, req, sizeof(req), 0) == (ssize_t)sizeof(req));
		tcp_t_recv_bytes(s, resp, sizeof(resp));
		tcp_t_wait_signal(p->to_client[0]);
		/* The server may close first: ignore send errors. */
		(void)!send(s, stream, len, MSG_NOSIGNAL);
		close(s);
		tcp_t_wait_signal(p->to_client[0]);
	}
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
