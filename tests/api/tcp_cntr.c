/* tcp provider: counters, selective completion and FI_WAIT_FD (two
 * processes).
 *  - client: tx CQ bound with FI_SELECTIVE_COMPLETION plus a send
 *    counter: plain sends and injects count but write no CQ entry, a
 *    sendmsg with FI_COMPLETION writes exactly one;
 *  - server: a receive counter counts every message; then it sleeps in
 *    poll() on the rx CQ's wait fd (fi_control FI_GETWAIT, fi_trywait)
 *    until a message the client sends late wakes it. */
#include <poll.h>

#include "tcp_test.h"

#define N_PLAIN 3

static void bind_cntr(struct tcp_t *t, struct fid_cntr **c, uint64_t flags)
{
	struct fi_cntr_attr attr = { .events = FI_CNTR_EVENTS_COMP,
				     .wait_obj = FI_WAIT_UNSPEC };

	CHECK_OK(fi_cntr_open(t->domain, &attr, c, NULL));
	CHECK_OK(fi_ep_bind(t->ep, &(*c)->fid, flags));
}

static void server(struct tcp_t_pair *p)
{
	struct tcp_t t;
	uint8_t addr[128], buf[N_PLAIN + 3][64];
	size_t addrlen = sizeof(addr);
	struct fid_cntr *rxc;
	struct fi_cq_attr cq_attr = { .format = FI_CQ_FORMAT_TAGGED,
				      .wait_obj = FI_WAIT_FD, .size = 64 };
	struct fi_cq_tagged_entry e;
	struct fid *fids[1];
	int fd = -1;
	long deadline;

	tcp_t_open(&t, tcp_t_getinfo(0, true));
	tcp_t_listen(&t, addr, &addrlen);
	tcp_t_pair_send_addr(p, addr, addrlen);
	tcp_t_eq_expect(&t, FI_CONNREQ, NULL, NULL);
	CHECK_OK(fi_endpoint(t.domain, t.conn_info, &t.ep, NULL));
	CHECK_OK(fi_cq_open(t.domain, &cq_attr, &t.tx, NULL));
	CHECK_OK(fi_cq_open(t.domain, &cq_attr, &t.rx, NULL));
	CHECK_OK(fi_ep_bind(t.ep, &t.tx->fid, FI_TRANSMIT));
	CHECK_OK(fi_ep_bind(t.ep, &t.rx->fid, FI_RECV));
	CHECK_OK(fi_ep_bind(t.ep, &t.eq->fid, 0));
	bind_cntr(&t, &rxc, FI_RECV);
	CHECK_OK(fi_enable(t.ep));
	CHECK_OK(fi_accept(t.ep, NULL, 0));
	tcp_t_eq_expect(&t, FI_CONNECTED, NULL, NULL);

	for (int i = 0; i < N_PLAIN + 2; i++)
		CHECK_OK(fi_recv(t.ep, buf[i], 64, NULL, 0, buf[i]));
	tcp_t_signal(p->to_client[1]);
	CHECK_OK(fi_cntr_wait(rxc, N_PLAIN + 2, TCP_T_TIMEOUT_MS));
	CHECK(fi_cntr_read(rxc) == N_PLAIN + 2);
	for (int i = 0; i < N_PLAIN + 2; i++) {
		CHECK(tcp_t_cq_wait(t.rx, &e, NULL) == 1);
		CHECK(e.op_context == buf[i] && buf[i][0] == (uint8_t)i);
	}

	/* Sleep on the wait fd until the late message arrives. */
	CHECK_OK(fi_control(&t.rx->fid, FI_GETWAIT, &fd));
	CHECK(fd >= 0);
	CHECK_OK(fi_recv(t.ep, buf[N_PLAIN + 2], 64, NULL, 0, NULL));
	tcp_t_signal(p->to_client[1]);
	fids[0] = &t.rx->fid;
	deadline = tcp_t_now_ms() + TCP_T_TIMEOUT_MS;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n = fi_cq_read(t.rx, &e, 1);

		if (n == 1)
			break;
		CHECK(n == -FI_EAGAIN);
		CHECK(tcp_t_now_ms() < deadline);
		if (fi_trywait(t.fabric, fids, 1) == 0)
			poll(&pfd, 1, 1000);
	}
	CHECK(buf[N_PLAIN + 2][0] == 0x42);
	CHECK(fi_cntr_read(rxc) == N_PLAIN + 3);

	tcp_t_eq_expect(&t, FI_SHUTDOWN, NULL, NULL);
	tcp_t_ep_close(&t);
	CHECK_OK(fi_close(&rxc->fid));
	tcp_t_close(&t);
	exit(0);
}

static void client(struct tcp_t_pair *p)
{
	struct tcp_t t;
	uint8_t addr[128], out[N_PLAIN + 3][64];
	struct fid_cntr *txc;
	struct fi_cq_attr cq_attr = { .format = FI_CQ_FORMAT_TAGGED,
				      .wait_obj = FI_WAIT_UNSPEC, .size = 64 };
	struct fi_cq_tagged_entry e;
	struct iovec iov = { out[N_PLAIN], 64 };
	struct fi_msg msg = { .msg_iov = &iov, .iov_count = 1,
			      .context = &msg };

	tcp_t_pair_recv_addr(p, addr, sizeof(addr));
	tcp_t_open(&t, tcp_t_getinfo(0, false));
	CHECK_OK(fi_endpoint(t.domain, t.info, &t.ep, NULL));
	CHECK_OK(fi_cq_open(t.domain, &cq_attr, &t.tx, NULL));
	CHECK_OK(fi_cq_open(t.domain, &cq_attr, &t.rx, NULL));
	CHECK_OK(fi_ep_bind(t.ep, &t.tx->fid,
			    FI_TRANSMIT | FI_SELECTIVE_COMPLETION));
	CHECK_OK(fi_ep_bind(t.ep, &t.rx->fid, FI_RECV));
	CHECK_OK(fi_ep_bind(t.ep, &t.eq->fid, 0));
	bind_cntr(&t, &txc, FI_SEND);
	CHECK_OK(fi_enable(t.ep));
	CHECK_OK(fi_connect(t.ep, addr, NULL, 0));
	tcp_t_eq_expect(&t, FI_CONNECTED, NULL, NULL);

	for (int i = 0; i < N_PLAIN + 3; i++)
		memset(out[i], i, 64);
	out[N_PLAIN + 2][0] = 0x42;
	tcp_t_wait_signal(p->to_client[0]);
	for (int i = 0; i < N_PLAIN; i++)
		CHECK_OK(fi_send(t.ep, out[i], 64, NULL, 0, out[i]));
	CHECK_OK(fi_sendmsg(t.ep, &msg, FI_COMPLETION));
	CHECK_OK(fi_inject(t.ep, out[N_PLAIN + 1], 64, 0));
	CHECK_OK(fi_cntr_wait(txc, N_PLAIN + 2, TCP_T_TIMEOUT_MS));
	/* Exactly one CQ entry: the FI_COMPLETION one. */
	CHECK(tcp_t_cq_wait(t.tx, &e, NULL) == 1);
	CHECK(e.op_context == &msg);
	CHECK(fi_cq_read(t.tx, &e, 1) == -FI_EAGAIN);

	tcp_t_wait_signal(p->to_client[0]);
	usleep(100 * 1000); /* let the server fall asleep in poll() */
	CHECK_OK(fi_send(t.ep, out[N_PLAIN + 2], 64, NULL, 0, NULL));
	CHECK_OK(fi_cntr_wait(txc, N_PLAIN + 3, TCP_T_TIMEOUT_MS));
	CHECK(fi_cq_read(t.tx, &e, 1) == -FI_EAGAIN);
	CHECK_OK(fi_shutdown(t.ep, 0));
	tcp_t_ep_close(&t);
	CHECK_OK(fi_close(&txc->fid));
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
