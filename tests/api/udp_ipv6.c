/* udp over IPv6 (::1): FI_SOCKADDR_IN6 names, send/recv with CQ data and
 * FI_SOURCE, truncation. Skips when the host has no IPv6 loopback. */
#include <netinet/in.h>

#include "udp_test.h"

static char txbuf[70000], rxbuf[70000];

int main(void)
{
	struct udp_t t;
	struct udp_t_ep a, b;
	struct fi_cq_data_entry comp;
	struct fi_cq_err_entry err;
	struct sockaddr_in6 sin6;
	fi_addr_t src;
	size_t max;
	int rctx, sctx;

	weft_test_require_weft_loaded();
	udp_t_open(&t, udp_t_getinfo(1, FI_MSG | FI_SOURCE));
	CHECK(t.info->addr_format == FI_SOCKADDR_IN6);
	CHECK(!strcmp(t.info->domain_attr->name, "lo"));
	max = t.info->ep_attr->max_msg_size;
	CHECK(max >= 1024 && max < sizeof(txbuf));
	udp_t_ep_open(&t, &a);
	udp_t_ep_open(&t, &b);
	CHECK(a.namelen == sizeof(sin6));
	memcpy(&sin6, a.name, sizeof(sin6));
	CHECK(sin6.sin6_family == AF_INET6);
	CHECK(IN6_IS_ADDR_LOOPBACK(&sin6.sin6_addr));
	CHECK(sin6.sin6_port != 0);

	for (size_t len = 0; len <= max; len = len ? len * 4 : 1) {
		udp_t_fill(txbuf, len, (unsigned)len);
		CHECK_OK(fi_recv(b.ep, rxbuf, max, NULL, FI_ADDR_UNSPEC,
				 &rctx));
		CHECK_OK(fi_senddata(a.ep, txbuf, len, NULL, len, b.addr,
				     &sctx));
		udp_t_expect(a.tx, &comp, NULL);
		udp_t_expect(b.rx, &comp, &src);
		CHECK(comp.len == len && comp.data == len);
		CHECK(src == a.addr);
		CHECK(udp_t_check(rxbuf, len, (unsigned)len));
	}
	CHECK_OK(fi_recv(b.ep, rxbuf, max, NULL, FI_ADDR_UNSPEC, &rctx));
	udp_t_fill(txbuf, max, 1);
	CHECK_OK(fi_inject(a.ep, txbuf, max, b.addr));
	udp_t_expect(b.rx, &comp, NULL);
	CHECK(comp.len == max && udp_t_check(rxbuf, max, 1));
	CHECK_RET(fi_send(a.ep, txbuf, max + 1, NULL, b.addr, &sctx),
		  -FI_EMSGSIZE);

	CHECK_OK(fi_recv(b.ep, rxbuf, 3, NULL, FI_ADDR_UNSPEC, &rctx));
	CHECK_OK(fi_inject(a.ep, txbuf, 30, b.addr));
	udp_t_expect_err(b.rx, &err);
	CHECK(err.err == FI_ETRUNC && err.len == 3 && err.olen == 27);

	udp_t_ep_close(&a);
	udp_t_ep_close(&b);
	udp_t_close(&t);
	return 0;
}
