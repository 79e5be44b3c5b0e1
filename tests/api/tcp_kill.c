/* tcp provider, a peer process killed mid-transfer (SIGKILL), bounded:
 *  A. the sender survives: its queued sends (far more than the socket
 *     buffers hold; the dead peer never read) all finish, successfully or
 *     with an error completion, and FI_SHUTDOWN arrives;
 *  B. the receiver survives: the receive the payload was landing in gets
 *     an error completion, the other posted receive is canceled, and
 *     FI_SHUTDOWN arrives. */
#include "tcp_test.h"

#define MSG (1u << 20)
#define N_SENDS 64
#define HUGE (64u << 20)

/* Server that accepts and then never reads: killed by the parent. */
static void server_idle(struct tcp_t_pair *p)
{
	struct tcp_t t;
	uint8_t addr[128];
	size_t addrlen = sizeof(addr);

	tcp_t_open(&t, tcp_t_getinfo(0, true));
	tcp_t_listen(&t, addr, &addrlen);
	tcp_t_pair_send_addr(p, addr, addrlen);
	tcp_t_accept(&t, NULL, NULL, NULL, 0, 0);
	tcp_t_signal(p->to_client[1]);
	for (;;)
		pause();
}

/* Server that streams one huge message until it is killed. */
static void server_streaming(struct tcp_t_pair *p)
{
	struct tcp_t t;
	uint8_t addr[128], *buf = calloc(1, HUGE);
	size_t addrlen = sizeof(addr);
	struct fi_cq_tagged_entry e;

	CHECK(buf);
	tcp_t_open(&t, tcp_t_getinfo(0, true));
	tcp_t_listen(&t, addr, &addrlen);
	tcp_t_pair_send_addr(p, addr, addrlen);
	tcp_t_accept(&t, NULL, NULL, NULL, 0, 0);
	CHECK_OK(fi_send(t.ep, buf, HUGE, NULL, 0, NULL));
	tcp_t_signal(p->to_client[1]);
	for (;;)
		fi_cq_read(t.tx, &e, 1); /* progress, until killed */
}

static void kill_child(struct tcp_t_pair *p)
{
	int status;

	CHECK(kill(p->child, SIGKILL) == 0);
	CHECK(waitpid(p->child, &status, 0) == p->child);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/* Read the EQ without blocking; true once FI_SHUTDOWN came. */
static bool shutdown_seen(struct tcp_t *t)
{
	struct fi_eq_cm_entry ev;
	uint32_t event;
	ssize_t n = fi_eq_read(t->eq, &event, &ev, sizeof(ev), 0);

	if (n == -FI_EAVAIL) {
		struct fi_eq_err_entry err = { 0 };

		CHECK(fi_eq_readerr(t->eq, &err, 0) > 0);
		return false;
	}
	return n > 0 && event == FI_SHUTDOWN;
}

static void round_sender_survives(void)
{
	struct tcp_t_pair p;
	struct tcp_t t;
	uint8_t addr[128], *buf = calloc(1, MSG);
	int done = 0, errors = 0;
	bool down = false;
	long deadline;

	CHECK(buf);
	if (tcp_t_fork(&p))
		server_idle(&p);
	tcp_t_pair_recv_addr(&p, addr, sizeof(addr));
	tcp_t_open(&t, tcp_t_getinfo(0, false));
	tcp_t_connect(&t, addr, NULL, 0, NULL, NULL, 0);
	tcp_t_wait_signal(p.to_client[0]);
	for (int i = 0; i < N_SENDS; i++)
		CHECK_OK(fi_send(t.ep, buf, MSG, NULL, 0, buf));
	/* Let what fits reach the kernel, then kill the peer. */
	deadline = tcp_t_now_ms() + 200;
	while (tcp_t_now_ms() < deadline) {
		struct fi_cq_tagged_entry e;

		if (fi_cq_read(t.tx, &e, 1) == 1)
			done++;
	}
	CHECK(done < N_SENDS);
	kill_child(&p);

	deadline = tcp_t_now_ms() + TCP_T_TIMEOUT_MS;
	while (done + errors < N_SENDS || !down) {
		struct fi_cq_tagged_entry e;
		ssize_t n = fi_cq_read(t.tx, &e, 1);

		if (n == 1) {
			done++;
		} else if (n == -FI_EAVAIL) {
			struct fi_cq_err_entry err = { 0 };

			CHECK(fi_cq_readerr(t.tx, &err, 0) == 1);
			CHECK(err.op_context == buf && err.err != 0);
			errors++;
		} else {
			CHECK(n == -FI_EAGAIN);
		}
		if (!down)
			down = shutdown_seen(&t);
		CHECK(tcp_t_now_ms() < deadline);
	}
	CHECK(errors > 0);
	CHECK(fi_send(t.ep, buf, 1, NULL, 0, buf) == -FI_ENOTCONN);
	tcp_t_ep_close(&t);
	tcp_t_close(&t);
	free(buf);
}

static void round_receiver_survives(void)
{
	struct tcp_t_pair p;
	struct tcp_t t;
	uint8_t addr[128], *buf = malloc(HUGE), small[16];
	struct fi_cq_err_entry err;
	bool down = false, got_big = false, got_small = false;
	long deadline;

	CHECK(buf);
	if (tcp_t_fork(&p))
		server_streaming(&p);
	tcp_t_pair_recv_addr(&p, addr, sizeof(addr));
	tcp_t_open(&t, tcp_t_getinfo(0, false));
	tcp_t_connect(&t, addr, NULL, 0, NULL, NULL, 0);
	CHECK_OK(fi_recv(t.ep, buf, HUGE, NULL, 0, buf));
	CHECK_OK(fi_recv(t.ep, small, sizeof(small), NULL, 0, small));
	tcp_t_wait_signal(p.to_client[0]);
	/* Take part of the message, then kill the sender. */
	deadline = tcp_t_now_ms() + 5;
	while (tcp_t_now_ms() < deadline && !got_big) {
		struct fi_cq_tagged_entry e;
		ssize_t n = fi_cq_read(t.rx, &e, 1);

		/* 64 MiB in 5 ms is unlikely but not impossible. */
		if (n == 1 && e.op_context == buf)
			got_big = true;
		else
			CHECK(n == -FI_EAGAIN);
	}
	kill_child(&p);

	deadline = tcp_t_now_ms() + TCP_T_TIMEOUT_MS;
	while (!got_big || !got_small || !down) {
		struct fi_cq_tagged_entry e;
		ssize_t n = fi_cq_read(t.rx, &e, 1);

		if (n == -FI_EAVAIL) {
			memset(&err, 0, sizeof(err));
			CHECK(fi_cq_readerr(t.rx, &err, 0) == 1);
			CHECK(err.err != 0);
			if (err.op_context == buf)
				got_big = true;
			else if (err.op_context == small)
				got_small = true;
			else
				CHECK(0);
		} else if (n == 1) {
			/* It finished before the kill (rare): fine too. */
			CHECK(e.op_context == buf && !got_big);
			got_big = true;
		} else {
			CHECK(n == -FI_EAGAIN);
		}
		if (!down)
			down = shutdown_seen(&t);
		CHECK(tcp_t_now_ms() < deadline);
	}
	tcp_t_ep_close(&t);
	tcp_t_close(&t);
	free(buf);
}

int main(void)
{
	weft_test_require_weft_loaded();
	round_sender_survives();
	round_receiver_survives();
	printf("PASS\n");
	return 0;
}
