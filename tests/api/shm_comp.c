/* shm: completion semantics and bad input between two processes.
 *  - FI_SELECTIVE_COMPLETION on both sides: entries only for operations
 *    with FI_COMPLETION, counters for all (sends, injects, receives);
 *  - FI_TRANSMIT_COMPLETE of a small send completes without the peer
 *    receiving; FI_DELIVERY_COMPLETE does not complete before the peer
 *    has taken the message into a receive buffer;
 *  - bad input on the data path: unknown addresses, sizes and iov counts
 *    over the limits, unknown flags, NULL buffers. */
#include <stdlib.h>

#include "shm_test.h"

static char txbuf[4096], rxbuf[4096];

static void receiver(const struct shm_t_pipe *p)
{
	struct shm_t_opts o = { .rx_bind = FI_SELECTIVE_COMPLETION,
				.cntrs = true };
	struct shm_t t;
	struct fi_cq_tagged_entry c;
	struct iovec iov = { rxbuf, sizeof(rxbuf) };
	struct fi_msg m = { .msg_iov = &iov, .iov_count = 1,
			    .addr = FI_ADDR_UNSPEC };
	fi_addr_t peer;
	int ctx[4];

	shm_t_open_ex(&t, FI_MSG, &o);
	peer = shm_t_swap(&t, p);
	(void)peer;

	/* selective: 3 messages; only the one posted with FI_COMPLETION
	 * makes an entry, the counter sees all three */
	SHM_T_POST(t.rx, fi_recv(t.ep, rxbuf, sizeof(rxbuf), NULL,
				 FI_ADDR_UNSPEC, &ctx[0]));
	m.context = &ctx[1];
	SHM_T_POST(t.rx, fi_recvmsg(t.ep, &m, FI_COMPLETION));
	SHM_T_POST(t.rx, fi_recv(t.ep, rxbuf, sizeof(rxbuf), NULL,
				 FI_ADDR_UNSPEC, &ctx[2]));
	shm_t_sync(p);
	shm_t_expect(t.rx, &c, NULL);
	CHECK(c.op_context == &ctx[1]);
	CHECK_OK(fi_cntr_wait(t.rxc, 3, SHM_T_TIMEOUT_MS));
	shm_t_expect_none(t.rx, 50);
	CHECK(fi_cntr_read(t.rxc) == 3);
	shm_t_sync(p);

	/* delivery complete: hold the message unexpected for a while */
	shm_t_sync(p);
	{
		long end = shm_t_now_ms() + 300;

		while (shm_t_now_ms() < end)
			(void)fi_cq_read(t.rx, NULL, 0);
	}
	shm_t_sync(p); /* the sender saw nothing so far */
	m.context = &ctx[3];
	SHM_T_POST(t.rx, fi_recvmsg(t.ep, &m, FI_COMPLETION));
	shm_t_expect(t.rx, &c, NULL);
	CHECK(c.op_context == &ctx[3] && c.len == 100);
	CHECK(shm_t_check(rxbuf, 100, 5));
	shm_t_sync(p);

	shm_t_close(&t);
}

static void sender(const struct shm_t_pipe *p)
{
	struct shm_t_opts o = { .tx_bind = FI_SELECTIVE_COMPLETION,
				.cntrs = true };
	struct shm_t t;
	struct fi_cq_tagged_entry c;
	struct iovec iov = { txbuf, 64 }, iovs[8];
	struct fi_msg m = { .msg_iov = &iov, .iov_count = 1 };
	fi_addr_t peer;
	int ctx[4];

	shm_t_open_ex(&t, FI_MSG, &o);
	peer = shm_t_swap(&t, p);
	m.addr = peer;

	shm_t_sync(p);
	shm_t_fill(txbuf, 64, 1);
	CHECK_OK(fi_send(t.ep, txbuf, 64, NULL, peer, &ctx[0]));
	m.context = &ctx[1];
	CHECK_OK(fi_sendmsg(t.ep, &m, FI_COMPLETION));
	CHECK_OK(fi_inject(t.ep, txbuf, 64, peer));
	shm_t_expect(t.tx, &c, NULL);
	CHECK(c.op_context == &ctx[1]);
	shm_t_expect_none(t.tx, 50);
	CHECK(fi_cntr_read(t.txc) == 3);
	shm_t_sync(p);

	/* transmit complete: done at once; delivery complete: not before
	 * the receiver took it */
	iov.iov_len = 100;
	shm_t_fill(txbuf, 100, 5);
	m.context = &ctx[2];
	CHECK_OK(fi_sendmsg(t.ep, &m, FI_DELIVERY_COMPLETE | FI_COMPLETION));
	shm_t_sync(p);
	shm_t_expect_none(t.tx, 100);
	shm_t_sync(p);
	shm_t_expect(t.tx, &c, NULL);
	CHECK(c.op_context == &ctx[2]);
	shm_t_sync(p);

	/* bad input */
	for (int i = 0; i < 8; i++) {
		iovs[i].iov_base = txbuf;
		iovs[i].iov_len = 1;
	}
	CHECK_RET(fi_send(t.ep, txbuf, 8, NULL, 12345, &ctx[0]), -FI_EINVAL);
	CHECK_RET(fi_inject(t.ep, txbuf, t.info->tx_attr->inject_size + 1,
			    peer), -FI_EMSGSIZE);
	CHECK_RET(fi_send(t.ep, txbuf, t.info->ep_attr->max_msg_size + 1, NULL,
			  peer, &ctx[0]), -FI_EMSGSIZE);
	CHECK_RET(fi_sendv(t.ep, iovs, NULL, t.info->tx_attr->iov_limit + 1,
			   peer, &ctx[0]), -FI_EINVAL);
	CHECK_RET(fi_recvv(t.ep, iovs, NULL, t.info->rx_attr->iov_limit + 1,
			   FI_ADDR_UNSPEC, &ctx[0]), -FI_EINVAL);
	CHECK_RET(fi_send(t.ep, NULL, 8, NULL, peer, &ctx[0]), -FI_EINVAL);
	CHECK_RET(fi_sendv(t.ep, NULL, NULL, 1, peer, &ctx[0]), -FI_EINVAL);
	CHECK_RET(fi_recv(t.ep, NULL, 8, NULL, FI_ADDR_UNSPEC, &ctx[0]),
		  -FI_EINVAL);
	CHECK_RET(fi_sendmsg(t.ep, &m, 1ull << 60), -FI_EBADFLAGS);
	CHECK_RET(fi_sendmsg(t.ep, NULL, 0), -FI_EINVAL);
	CHECK_RET(fi_recvmsg(t.ep, NULL, 0), -FI_EINVAL);
	/* Opened without FI_TAGGED: the tagged interface is not there. */
	CHECK_RET(fi_tsend(t.ep, txbuf, 8, NULL, peer, 1, &ctx[0]),
		  -FI_ENOSYS);
	shm_t_close(&t);
}

int main(void)
{
	struct shm_t_pipe p[2];
	pid_t child;

	weft_test_require_weft_loaded();
	alarm(100);
	shm_t_pipes(p);
	child = shm_t_fork();
	CHECK(child >= 0);
	if (child == 0) {
		alarm(60);
		close(p[0].rfd);
		close(p[0].wfd);
		sender(&p[1]);
		exit(0);
	}
	close(p[1].rfd);
	close(p[1].wfd);
	receiver(&p[0]);
	CHECK(shm_t_reap(child, 20000) == 0);
	return 0;
}
