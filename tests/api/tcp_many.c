/* tcp provider, many connections on one passive endpoint (two
 * processes): the client opens N endpoints sharing one CQ and connects
 * them all at once (the listener's backlog absorbs the burst); the server
 * accepts each FI_CONNREQ as it comes, with all its endpoints on one
 * shared CQ; then every connection carries one message identifying it,
 * and every one is shut down. Prints the connection rate it saw. */
#include <sys/resource.h>

#include "tcp_test.h"

#define N_MAX 256

static int n_conns(void)
{
	struct rlimit rl;
	int n = N_MAX;

	/* Each endpoint costs two fds (socket, epoll) per side. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)(5 * n + 64) > rl.rlim_cur)
		n = (int)((rl.rlim_cur - 64) / 5);
	if (n < 8)
		weft_test_skip("not enough file descriptors");
	return n;
}

static void open_cqs(struct tcp_t *t)
{
	struct fi_cq_attr attr = { .format = FI_CQ_FORMAT_TAGGED,
				   .wait_obj = FI_WAIT_UNSPEC,
				   .size = 1024 };

	CHECK_OK(fi_cq_open(t->domain, &attr, &t->tx, NULL));
	CHECK_OK(fi_cq_open(t->domain, &attr, &t->rx, NULL));
}

static struct fid_ep *ep_open(struct tcp_t *t, struct fi_info *info,
			      void *ctx)
{
	struct fid_ep *ep;

	CHECK_OK(fi_endpoint(t->domain, info, &ep, ctx));
	CHECK_OK(fi_ep_bind(ep, &t->tx->fid, FI_TRANSMIT));
	CHECK_OK(fi_ep_bind(ep, &t->rx->fid, FI_RECV));
	CHECK_OK(fi_ep_bind(ep, &t->eq->fid, 0));
	CHECK_OK(fi_enable(ep));
	return ep;
}

/* Next EQ event (no errors expected) within the deadline. */
static uint32_t next_event(struct tcp_t *t, struct fi_eq_cm_entry *ev)
{
	long deadline = tcp_t_now_ms() + 3 * TCP_T_TIMEOUT_MS;
	uint32_t event;
	ssize_t n;

	for (;;) {
		n = fi_eq_sread(t->eq, &event, ev, sizeof(*ev), 100, 0);
		if (n > 0)
			return event;
		if (n == -FI_EAVAIL) {
			struct fi_eq_err_entry err = { 0 };

			CHECK(fi_eq_readerr(t->eq, &err, 0) > 0);
			fprintf(stderr, "EQ error %d (%s)\n", err.err,
				fi_strerror(err.err));
			exit(1);
		}
		CHECK(n == -FI_EAGAIN || n == -FI_ETIMEDOUT);
		CHECK(tcp_t_now_ms() < deadline);
	}
}

static void server(struct tcp_t_pair *p, int n)
{
	struct tcp_t t;
	uint8_t addr[128];
	size_t addrlen = sizeof(addr);
	struct fid_ep **eps = calloc((size_t)n, sizeof(*eps));
	uint32_t *bufs = calloc((size_t)n, sizeof(*bufs));
	char *seen = calloc((size_t)n, 1);
	int opened = 0, connected = 0, down = 0;

	CHECK(eps && bufs && seen);
	tcp_t_open(&t, tcp_t_getinfo(0, true));
	open_cqs(&t);
	tcp_t_listen(&t, addr, &addrlen);
	tcp_t_pair_send_addr(p, addr, addrlen);
	while (connected < n) {
		struct fi_eq_cm_entry ev;
		uint32_t event = next_event(&t, &ev);

		if (event == FI_CONNREQ) {
			CHECK(opened < n);
			eps[opened] = ep_open(&t, ev.info, NULL);
			CHECK_OK(fi_recv(eps[opened], &bufs[opened],
					 sizeof(bufs[0]), NULL, 0,
					 &bufs[opened]));
			CHECK_OK(fi_accept(eps[opened], NULL, 0));
			fi_freeinfo(ev.info);
			opened++;
		} else {
			CHECK(event == FI_CONNECTED);
			connected++;
		}
	}
	for (int i = 0; i < n; i++) {
		struct fi_cq_tagged_entry e;
		uint32_t *b;

		CHECK(tcp_t_cq_wait(t.rx, &e, NULL) == 1);
		b = e.op_context;
		CHECK(e.len == sizeof(*b) && *b < (uint32_t)n && !seen[*b]);
		seen[*b] = 1;
	}
	tcp_t_signal(p->to_client[1]);
	while (down < n) {
		struct fi_eq_cm_entry ev;

		CHECK(next_event(&t, &ev) == FI_SHUTDOWN);
		down++;
	}
	for (int i = 0; i < n; i++)
		CHECK_OK(fi_close(&eps[i]->fid));
	tcp_t_close(&t);
	free(eps);
	free(bufs);
	free(seen);
	exit(0);
}

static void client(struct tcp_t_pair *p, int n)
{
	struct tcp_t t;
	uint8_t addr[128];
	struct fid_ep **eps = calloc((size_t)n, sizeof(*eps));
	uint32_t *ids = calloc((size_t)n, sizeof(*ids));
	int connected = 0;
	long t0, t1;

	CHECK(eps && ids);
	tcp_t_pair_recv_addr(p, addr, sizeof(addr));
	tcp_t_open(&t, tcp_t_getinfo(0, false));
	open_cqs(&t);
	for (int i = 0; i < n; i++)
		eps[i] = ep_open(&t, t.info, NULL);
	t0 = tcp_t_now_ms();
	for (int i = 0; i < n; i++)
		CHECK_OK(fi_connect(eps[i], addr, NULL, 0));
	while (connected < n) {
		struct fi_eq_cm_entry ev;

		CHECK(next_event(&t, &ev) == FI_CONNECTED);
		connected++;
	}
	t1 = tcp_t_now_ms();
	printf("%d connections in %ld ms (%.0f/s)\n", n, t1 - t0,
	       n * 1000.0 / (double)(t1 - t0 > 0 ? t1 - t0 : 1));
	for (int i = 0; i < n; i++) {
		ids[i] = (uint32_t)i;
		CHECK_OK(fi_send(eps[i], &ids[i], sizeof(ids[i]), NULL, 0,
				 NULL));
	}
	for (int i = 0; i < n; i++)
		CHECK(tcp_t_cq_wait(t.tx, NULL, NULL) == 1);
	tcp_t_wait_signal(p->to_client[0]);
	for (int i = 0; i < n; i++) {
		CHECK_OK(fi_shutdown(eps[i], 0));
		CHECK_OK(fi_close(&eps[i]->fid));
	}
	tcp_t_close(&t);
	free(eps);
	free(ids);
	tcp_t_pair_join(p);
}

int main(void)
{
	struct tcp_t_pair p;
	int n;

	weft_test_require_weft_loaded();
	n = n_conns();
	if (tcp_t_fork(&p))
		server(&p, n);
	client(&p, n);
	printf("PASS\n");
	return 0;
}
