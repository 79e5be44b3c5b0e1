/* tcp provider under FI_THREAD_SAFE (two processes, three threads each):
 * on both sides one thread sends N messages (sizes up to 64 KiB, with
 * FI_REMOTE_CQ_DATA) and reads the tx CQ, another keeps a window of
 * receives posted and reads the rx CQ, and the main thread reads the EQ
 * meanwhile (which drives the same endpoint's progress). Every message
 * arrives once, in order, intact. */
#include <pthread.h>

#include "tcp_test.h"

#define N 3000
#define WINDOW 32
#define MAXMSG 65536

static size_t size_of(uint32_t i)
{
	return (i * 2654435761u) % MAXMSG + 4;
}

static void fill(uint8_t *p, uint32_t i)
{
	size_t n = size_of(i);

	memcpy(p, &i, 4);
	for (size_t k = 4; k < n; k++)
		p[k] = (uint8_t)(i + k);
}

struct side {
	struct tcp_t *t;
	volatile int done; /* threads finished (read by main after join) */
};

static void *sender(void *arg)
{
	struct side *s = arg;
	static __thread uint8_t buf[WINDOW][MAXMSG + 4];
	uint32_t posted = 0, completed = 0;
	long deadline = tcp_t_now_ms() + 4 * TCP_T_TIMEOUT_MS;

	while (completed < N) {
		struct fi_cq_tagged_entry e;
		ssize_t n;

		if (posted < N && posted - completed < WINDOW) {
			uint8_t *b = buf[posted % WINDOW];

			fill(b, posted);
			n = fi_senddata(s->t->ep, b, size_of(posted), NULL,
					posted, 0, b);
			if (n == 0)
				posted++;
			else
				CHECK(n == -FI_EAGAIN);
		}
		n = fi_cq_read(s->t->tx, &e, 1);
		if (n == 1)
			completed++;
		else
			CHECK(n == -FI_EAGAIN);
		CHECK(tcp_t_now_ms() < deadline);
	}
	return NULL;
}

static void *receiver(void *arg)
{
	struct side *s = arg;
	static __thread uint8_t buf[WINDOW][MAXMSG + 4];
	uint32_t posted = 0, got = 0;
	long deadline = tcp_t_now_ms() + 4 * TCP_T_TIMEOUT_MS;

	while (got < N) {
		struct fi_cq_tagged_entry e;
		ssize_t n;

		while (posted < N && posted - got < WINDOW) {
			CHECK_OK(fi_recv(s->t->ep, buf[posted % WINDOW],
					 MAXMSG + 4, NULL, 0,
					 buf[posted % WINDOW]));
			posted++;
		}
		n = fi_cq_read(s->t->rx, &e, 1);
		if (n == 1) {
			uint8_t *b = e.op_context;
			uint32_t seq;

			CHECK(b == buf[got % WINDOW]);
			memcpy(&seq, b, 4);
			CHECK(seq == got);
			CHECK(e.len == size_of(got));
			CHECK(e.data == got);
			for (size_t k = 4; k < e.len; k++) {
				if (b[k] != (uint8_t)(got + k)) {
					fprintf(stderr, "msg %u len %zu: byte %zu "
						"is %u, want %u\n", got, e.len, k,
						b[k], (uint8_t)(got + k));
					exit(1);
				}
			}
			got++;
		} else {
			CHECK(n == -FI_EAGAIN);
		}
		CHECK(tcp_t_now_ms() < deadline);
	}
	return NULL;
}

static void traffic(struct tcp_t *t)
{
	struct side s = { .t = t };
	pthread_t ts, tr;
	void *rs, *rr;

	CHECK(pthread_create(&tr, NULL, receiver, &s) == 0);
	CHECK(pthread_create(&ts, NULL, sender, &s) == 0);
	/* Read the EQ meanwhile: nothing should come, but each read runs the
	 * endpoint's progress concurrently with the other two threads. */
	for (int i = 0; i < 2000; i++) {
		struct fi_eq_cm_entry ev;
		uint32_t event;

		CHECK(fi_eq_read(t->eq, &event, &ev, sizeof(ev), 0) ==
		      -FI_EAGAIN);
	}
	CHECK(pthread_join(ts, &rs) == 0);
	CHECK(pthread_join(tr, &rr) == 0);
}

static void server(struct tcp_t_pair *p)
{
	struct tcp_t t;
	uint8_t addr[128];
	size_t addrlen = sizeof(addr);

	tcp_t_open(&t, tcp_t_getinfo(0, true));
	CHECK(t.info->domain_attr->threading == FI_THREAD_SAFE);
	tcp_t_listen(&t, addr, &addrlen);
	tcp_t_pair_send_addr(p, addr, addrlen);
	tcp_t_accept(&t, NULL, NULL, NULL, 0, 0);
	traffic(&t);
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

	tcp_t_pair_recv_addr(p, addr, sizeof(addr));
	tcp_t_open(&t, tcp_t_getinfo(0, false));
	tcp_t_connect(&t, addr, NULL, 0, NULL, NULL, 0);
	traffic(&t);
	tcp_t_wait_signal(p->to_client[0]);
	CHECK_OK(fi_shutdown(t.ep, 0));
	tcp_t_ep_close(&t);
	tcp_t_close(&t);
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
