/* udp: counters and selective completion. The sender's CQ is bound with
 * FI_SELECTIVE_COMPLETION: only operations flagged FI_COMPLETION report,
 * while the send counter counts every send (injects included). The
 * receiver's counter counts receives, and its error count truncations. */
#include "udp_test.h"

static char txbuf[2048], rxbuf[2048];

static void wait_cntr(struct fid_cntr *c, uint64_t want)
{
	long end = udp_t_now_ms() + UDP_T_TIMEOUT_MS;

	while (fi_cntr_read(c) < want && udp_t_now_ms() < end)
		;
	CHECK(fi_cntr_read(c) == want);
}

int main(void)
{
	struct udp_t t;
	struct udp_t_ep a, b;
	struct fi_cq_data_entry comp;
	struct fi_cq_err_entry err;
	struct iovec iov = { txbuf, 32 };
	struct fi_msg msg = { .msg_iov = &iov, .iov_count = 1 };
	int ctx[8];

	weft_test_require_weft_loaded();
	udp_t_open(&t, udp_t_getinfo(0, FI_MSG));
	udp_t_ep_open_ex(&t, &a, FI_WAIT_NONE, FI_SELECTIVE_COMPLETION, true);
	udp_t_ep_open_ex(&t, &b, FI_WAIT_NONE, 0, true);
	msg.addr = b.addr;

	for (int i = 0; i < 6; i++)
		CHECK_OK(fi_recv(b.ep, rxbuf, sizeof(rxbuf), NULL,
				 FI_ADDR_UNSPEC, &ctx[i]));

	/* No FI_COMPLETION in the default op flags: counted, not reported. */
	CHECK_OK(fi_send(a.ep, txbuf, 32, NULL, b.addr, &ctx[6]));
	CHECK(fi_cntr_read(a.txc) == 1);
	udp_t_expect_none(a.tx, 20);

	/* FI_COMPLETION asked: reported. */
	msg.context = &ctx[7];
	CHECK_OK(fi_sendmsg(a.ep, &msg, FI_COMPLETION));
	udp_t_expect(a.tx, &comp, NULL);
	CHECK(comp.op_context == &ctx[7]);
	CHECK(fi_cntr_read(a.txc) == 2);

	/* sendmsg without FI_COMPLETION: counted only. */
	CHECK_OK(fi_sendmsg(a.ep, &msg, 0));
	CHECK(fi_cntr_read(a.txc) == 3);
	/* inject / injectdata: counted, never reported. */
	CHECK_OK(fi_inject(a.ep, txbuf, 32, b.addr));
	CHECK_OK(fi_injectdata(a.ep, txbuf, 32, 5, b.addr));
	CHECK(fi_cntr_read(a.txc) == 5);
	/* Turn FI_COMPLETION on as a default op flag: fi_send reports. */
	{
		uint64_t flags = FI_TRANSMIT | FI_COMPLETION;

		CHECK_OK(fi_control(&a.ep->fid, FI_SETOPSFLAG, &flags));
	}
	CHECK_OK(fi_send(a.ep, txbuf, 32, NULL, b.addr, &ctx[6]));
	udp_t_expect(a.tx, &comp, NULL);
	CHECK(comp.op_context == &ctx[6]);
	CHECK(fi_cntr_read(a.txc) == 6);
	udp_t_expect_none(a.tx, 20);
	CHECK(fi_cntr_readerr(a.txc) == 0);

	/* The receiver: six receives, counted and (CQ not selective)
	 * reported. */
	wait_cntr(b.rxc, 6);
	for (int i = 0; i < 6; i++) {
		udp_t_expect(b.rx, &comp, NULL);
		CHECK(comp.op_context == &ctx[i]);
		CHECK(comp.len == 32);
	}
	CHECK(fi_cntr_readerr(b.rxc) == 0);

	/* A truncated receive counts as an error. */
	CHECK_OK(fi_recv(b.ep, rxbuf, 4, NULL, FI_ADDR_UNSPEC, &ctx[0]));
	CHECK_OK(fi_inject(a.ep, txbuf, 32, b.addr));
	udp_t_expect_err(b.rx, &err);
	CHECK(err.err == FI_ETRUNC);
	CHECK(fi_cntr_readerr(b.rxc) == 1);
	CHECK(fi_cntr_read(b.rxc) == 6);

	/* Progress through the counter alone (no CQ read). */
	CHECK_OK(fi_recv(b.ep, rxbuf, sizeof(rxbuf), NULL, FI_ADDR_UNSPEC,
			 &ctx[1]));
	CHECK_OK(fi_inject(a.ep, txbuf, 32, b.addr));
	wait_cntr(b.rxc, 7);
	udp_t_expect(b.rx, &comp, NULL);
	CHECK(comp.op_context == &ctx[1]);

	/* fi_cntr_wait drives progress too, and times out when nothing
	 * comes. */
	CHECK_OK(fi_recv(b.ep, rxbuf, sizeof(rxbuf), NULL, FI_ADDR_UNSPEC,
			 &ctx[2]));
	CHECK_RET(fi_cntr_wait(b.rxc, 8, 100), -FI_ETIMEDOUT);
	CHECK_OK(fi_inject(a.ep, txbuf, 32, b.addr));
	CHECK_OK(fi_cntr_wait(b.rxc, 8, UDP_T_TIMEOUT_MS));
	udp_t_expect(b.rx, &comp, NULL);
	CHECK(comp.op_context == &ctx[2]);

	udp_t_ep_close(&a);
	udp_t_ep_close(&b);
	udp_t_close(&t);
	return 0;
}
