/* udp: FI_SOURCE_ERR. A datagram from a sender that is not in the AV
 * completes in error with FI_EADDRNOTAVAIL and the sender's raw address in
 * err_data; once inserted, the same sender completes normally with its
 * fi_addr. */
#include <netinet/in.h>

#include "udp_test.h"

static char txbuf[256], rxbuf[256];

int main(void)
{
	struct udp_t t;
	struct udp_t_ep a, b;
	struct fi_cq_data_entry comp;
	struct fi_cq_err_entry err;
	fi_addr_t src, a_addr;
	int rctx;

	weft_test_require_weft_loaded();
	udp_t_open(&t, udp_t_getinfo(0, FI_MSG | FI_SOURCE | FI_SOURCE_ERR));
	CHECK(t.info->caps & FI_SOURCE_ERR);
	udp_t_ep_open(&t, &a);
	udp_t_ep_open(&t, &b);
	CHECK_OK(fi_av_remove(t.av, &a.addr, 1, 0));

	CHECK_OK(fi_recv(b.ep, rxbuf, sizeof(rxbuf), NULL, FI_ADDR_UNSPEC,
			 &rctx));
	udp_t_fill(txbuf, 40, 2);
	CHECK_OK(fi_injectdata(a.ep, txbuf, 40, 9, b.addr));
	udp_t_expect_err(b.rx, &err);
	CHECK(err.err == FI_EADDRNOTAVAIL);
	CHECK(err.op_context == &rctx);
	CHECK(err.len == 40);
	CHECK(err.data == 9);
	CHECK(err.err_data && err.err_data_size == a.namelen);
	CHECK(!memcmp(err.err_data, a.name, a.namelen));
	CHECK(udp_t_check(rxbuf, 40, 2));

	/* Insert the reported address: now it is known. */
	CHECK_RET(fi_av_insert(t.av, err.err_data, 1, &a_addr, 0, NULL), 1);
	CHECK_OK(fi_recv(b.ep, rxbuf, sizeof(rxbuf), NULL, FI_ADDR_UNSPEC,
			 &rctx));
	CHECK_OK(fi_inject(a.ep, txbuf, 40, b.addr));
	udp_t_expect(b.rx, &comp, &src);
	CHECK(src == a_addr);

	udp_t_ep_close(&a);
	udp_t_ep_close(&b);
	udp_t_close(&t);
	return 0;
}
