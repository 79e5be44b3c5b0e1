/* udp: what goes wrong is reported through the API. Truncated receives
 * (FI_ETRUNC with olen), fi_cancel (FI_ECANCELED, then -FI_ENOENT),
 * oversize sends (-FI_EMSGSIZE), too many iovs (-FI_EINVAL), unknown flags,
 * a full receive queue (-FI_EAGAIN), and datagrams that are not ours (sent
 * from a raw UDP socket): dropped, with later messages still delivered. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "udp_test.h"

static char txbuf[70000], rxbuf[70000];

/* fi_rx_size_left() is deprecated in 1.17 but still an ops slot. */
static ssize_t rx_left(struct fid_ep *ep)
{
	return ep->ops->rx_size_left(ep);
}

static void check_bad_input(struct udp_t *t, struct udp_t_ep *a,
			    struct udp_t_ep *b)
{
	size_t max = t->info->ep_attr->max_msg_size;
	size_t inj = t->info->tx_attr->inject_size;
	size_t lim = t->info->tx_attr->iov_limit;
	struct iovec iov[16];
	struct fi_msg msg;
	int ctx;

	CHECK(lim < 16 && t->info->rx_attr->iov_limit < 16);
	CHECK_RET(fi_send(a->ep, txbuf, max + 1, NULL, b->addr, &ctx),
		  -FI_EMSGSIZE);
	CHECK_RET(fi_inject(a->ep, txbuf, inj + 1, b->addr), -FI_EMSGSIZE);
	CHECK_RET(fi_injectdata(a->ep, txbuf, inj + 1, 1, b->addr),
		  -FI_EMSGSIZE);
	CHECK_RET(fi_senddata(a->ep, txbuf, max + 1, NULL, 1, b->addr, &ctx),
		  -FI_EMSGSIZE);

	for (size_t i = 0; i < 16; i++) {
		iov[i].iov_base = txbuf;
		iov[i].iov_len = 1;
	}
	CHECK_RET(fi_sendv(a->ep, iov, NULL, lim + 1, b->addr, &ctx),
		  -FI_EINVAL);
	CHECK_RET(fi_recvv(b->ep, iov, NULL, t->info->rx_attr->iov_limit + 1,
			   FI_ADDR_UNSPEC, &ctx),
		  -FI_EINVAL);
	/* Split across iovs, the total still counts. */
	iov[0].iov_len = max;
	iov[1].iov_len = 1;
	CHECK_RET(fi_sendv(a->ep, iov, NULL, 2, b->addr, &ctx), -FI_EMSGSIZE);

	memset(&msg, 0, sizeof(msg));
	iov[0].iov_len = 8;
	msg.msg_iov = iov;
	msg.iov_count = 1;
	msg.addr = b->addr;
	msg.context = &ctx;
	{
		ssize_t r = fi_sendmsg(a->ep, &msg, FI_MULTI_RECV);
		CHECK(r == -FI_EBADFLAGS || r == -FI_EINVAL);
		r = fi_recvmsg(b->ep, &msg, FI_MULTI_RECV);
		CHECK(r == -FI_EBADFLAGS || r == -FI_EINVAL);
	}
	msg.iov_count = lim + 1;
	CHECK_RET(fi_sendmsg(a->ep, &msg, 0), -FI_EINVAL);
	/* An address that is not in the AV. */
	CHECK(fi_send(a->ep, txbuf, 8, NULL, (fi_addr_t)4242, &ctx) < 0);
	/* Nothing of the above produced a completion. */
	udp_t_expect_none(a->tx, 50);
	udp_t_expect_none(b->rx, 50);
}

/* A receive buffer the kernel cannot write completes in error (the
 * datagram is lost) instead of blocking the receives behind it. */
static void check_bad_buffer(struct udp_t_ep *a, struct udp_t_ep *b)
{
	struct fi_cq_err_entry err;
	struct fi_cq_data_entry comp;
	int c1, c2;

	CHECK_RET(fi_recv(b->ep, NULL, 10, NULL, FI_ADDR_UNSPEC, &c1),
		  -FI_EINVAL);
	CHECK_OK(fi_recv(b->ep, (void *)16, 64, NULL, FI_ADDR_UNSPEC, &c1));
	CHECK_OK(fi_recv(b->ep, rxbuf, 64, NULL, FI_ADDR_UNSPEC, &c2));
	udp_t_fill(txbuf, 32, 11);
	CHECK_OK(fi_inject(a->ep, txbuf, 32, b->addr));
	udp_t_expect_err(b->rx, &err);
	CHECK(err.err == FI_EFAULT && err.op_context == &c1);
	CHECK_OK(fi_inject(a->ep, txbuf, 32, b->addr));
	udp_t_expect(b->rx, &comp, NULL);
	CHECK(comp.op_context == &c2 && udp_t_check(rxbuf, 32, 11));
}

static void check_truncation(struct udp_t_ep *a, struct udp_t_ep *b)
{
	struct fi_cq_err_entry err;
	struct fi_cq_data_entry comp;
	int rctx, sctx;

	memset(rxbuf, 0, 200);
	CHECK_OK(fi_recv(b->ep, rxbuf, 10, NULL, FI_ADDR_UNSPEC, &rctx));
	udp_t_fill(txbuf, 100, 5);
	CHECK_OK(fi_senddata(a->ep, txbuf, 100, NULL, 77, b->addr, &sctx));
	udp_t_expect(a->tx, &comp, NULL);
	udp_t_expect_err(b->rx, &err);
	CHECK(err.err == FI_ETRUNC);
	CHECK(err.op_context == &rctx);
	CHECK(err.len == 10);
	CHECK(err.olen == 90);
	CHECK(err.flags & FI_RECV);
	CHECK(udp_t_check(rxbuf, 10, 5));
	CHECK(rxbuf[10] == 0);
	CHECK(fi_cq_strerror(b->rx, err.prov_errno, err.err_data, NULL, 0));

	/* The next receive is unaffected. */
	CHECK_OK(fi_recv(b->ep, rxbuf, 200, NULL, FI_ADDR_UNSPEC, &rctx));
	CHECK_OK(fi_inject(a->ep, txbuf, 100, b->addr));
	udp_t_expect(b->rx, &comp, NULL);
	CHECK(comp.len == 100 && udp_t_check(rxbuf, 100, 5));
}

static void check_cancel(struct udp_t_ep *a, struct udp_t_ep *b)
{
	struct fi_cq_err_entry err;
	struct fi_cq_data_entry comp;
	int c1, c2, c3;

	CHECK_OK(fi_recv(b->ep, rxbuf, 100, NULL, FI_ADDR_UNSPEC, &c1));
	CHECK_OK(fi_recv(b->ep, rxbuf + 100, 100, NULL, FI_ADDR_UNSPEC, &c2));
	CHECK_OK(fi_recv(b->ep, rxbuf + 200, 100, NULL, FI_ADDR_UNSPEC, &c3));
	CHECK_OK(fi_cancel(&b->ep->fid, &c2));
	udp_t_expect_err(b->rx, &err);
	CHECK(err.err == FI_ECANCELED);
	CHECK(err.op_context == &c2);
	CHECK(err.flags & FI_RECV);
	CHECK_RET(fi_cancel(&b->ep->fid, &c2), -FI_ENOENT);
	CHECK_RET(fi_cancel(&b->ep->fid, &err), -FI_ENOENT);

	/* The others stay posted, in order. */
	udp_t_fill(txbuf, 50, 1);
	CHECK_OK(fi_inject(a->ep, txbuf, 50, b->addr));
	udp_t_expect(b->rx, &comp, NULL);
	CHECK(comp.op_context == &c1);
	CHECK(udp_t_check(rxbuf, 50, 1));
	udp_t_fill(txbuf, 50, 2);
	CHECK_OK(fi_inject(a->ep, txbuf, 50, b->addr));
	udp_t_expect(b->rx, &comp, NULL);
	CHECK(comp.op_context == &c3);
	CHECK(udp_t_check(rxbuf + 200, 50, 2));
	udp_t_expect_none(b->rx, 50);
}

static void check_queue_full(struct udp_t *t, struct udp_t_ep *a,
			     struct udp_t_ep *b)
{
	size_t n = t->info->rx_attr->size;
	struct fi_cq_data_entry comp;
	int ctx;

	CHECK(n > 0 && n <= 65536);
	CHECK(rx_left(b->ep) == (ssize_t)n);
	for (size_t i = 0; i < n; i++)
		CHECK_OK(fi_recv(b->ep, rxbuf, 8, NULL, FI_ADDR_UNSPEC, &ctx));
	CHECK(rx_left(b->ep) == 0);
	CHECK_RET(fi_recv(b->ep, rxbuf, 8, NULL, FI_ADDR_UNSPEC, &ctx),
		  -FI_EAGAIN);
	/* One arrival frees one slot; the failed post lost nothing. */
	CHECK_OK(fi_inject(a->ep, txbuf, 8, b->addr));
	udp_t_expect(b->rx, &comp, NULL);
	CHECK_OK(fi_recv(b->ep, rxbuf, 8, NULL, FI_ADDR_UNSPEC, &ctx));
	for (size_t i = 0; i < n; i++)
		CHECK_OK(fi_cancel(&b->ep->fid, &ctx));
	for (size_t i = 0; i < n; i++) {
		struct fi_cq_err_entry err;

		udp_t_expect_err(b->rx, &err);
		CHECK(err.err == FI_ECANCELED);
	}
	CHECK(rx_left(b->ep) == (ssize_t)n);
}

static void check_garbage(struct udp_t_ep *a, struct udp_t_ep *b)
{
	struct sockaddr_in to;
	struct fi_cq_data_entry comp;
	unsigned char junk[64];
	int rctx, s;

	CHECK(b->namelen == sizeof(to));
	memcpy(&to, b->name, sizeof(to));
	s = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(s >= 0);

	CHECK_OK(fi_recv(b->ep, rxbuf, 200, NULL, FI_ADDR_UNSPEC, &rctx));
	/* Empty, short, random, and header-shaped-but-wrong datagrams. */
	CHECK(sendto(s, junk, 0, 0, (struct sockaddr *)&to, sizeof(to)) == 0);
	memset(junk, 0x41, sizeof(junk));
	CHECK(sendto(s, junk, 7, 0, (struct sockaddr *)&to, sizeof(to)) == 7);
	CHECK(sendto(s, junk, 64, 0, (struct sockaddr *)&to, sizeof(to)) ==
	      64);
	memset(junk, 0, sizeof(junk));
	CHECK(sendto(s, junk, 16, 0, (struct sockaddr *)&to, sizeof(to)) ==
	      16);
	/* Right magic ("WFTU"), unknown version. */
	junk[0] = 200;
	junk[1] = 1;
	memcpy(junk + 4, "WFTU", 4);
	CHECK(sendto(s, junk, 40, 0, (struct sockaddr *)&to, sizeof(to)) ==
	      40);
	close(s);

	udp_t_expect_none(b->rx, 100);
	udp_t_fill(txbuf, 123, 9);
	CHECK_OK(fi_inject(a->ep, txbuf, 123, b->addr));
	udp_t_expect(b->rx, &comp, NULL);
	CHECK(comp.op_context == &rctx);
	CHECK(comp.len == 123);
	CHECK(udp_t_check(rxbuf, 123, 9));
	udp_t_expect_none(b->rx, 50);
}

/* A 4-entry receive ring: post and complete past the wrap point, cancel
 * in the middle of a wrapped queue, and keep posting order throughout. */
static void check_ring_wrap(struct udp_t *t, struct udp_t_ep *a)
{
	struct fi_info *info = fi_dupinfo(t->info);
	struct udp_t_ep small;
	struct fi_cq_data_entry comp;
	struct fi_cq_err_entry err;
	int ctx[4];

	CHECK(info);
	info->rx_attr->size = 4;
	memset(&small, 0, sizeof(small));
	{
		struct udp_t tmp = *t;

		tmp.info = info;
		udp_t_ep_open(&tmp, &small);
	}
	for (int round = 0; round < 6; round++) {
		for (int i = 0; i < 4; i++)
			CHECK_OK(fi_recv(small.ep, rxbuf + 100 * i, 100, NULL,
					 FI_ADDR_UNSPEC, &ctx[i]));
		CHECK_RET(fi_recv(small.ep, rxbuf, 100, NULL, FI_ADDR_UNSPEC,
				  &ctx[0]),
			  -FI_EAGAIN);
		/* Complete one, cancel the (wrapped) middle one. */
		udp_t_fill(txbuf, 20, (unsigned)round);
		CHECK_OK(fi_inject(a->ep, txbuf, 20, small.addr));
		udp_t_expect(small.rx, &comp, NULL);
		CHECK(comp.op_context == &ctx[0]);
		CHECK_OK(fi_cancel(&small.ep->fid, &ctx[2]));
		udp_t_expect_err(small.rx, &err);
		CHECK(err.err == FI_ECANCELED && err.op_context == &ctx[2]);
		for (int i = 0; i < 2; i++) {
			int want = i == 0 ? 1 : 3;

			udp_t_fill(txbuf, 20, (unsigned)(round * 10 + want));
			CHECK_OK(fi_inject(a->ep, txbuf, 20, small.addr));
			udp_t_expect(small.rx, &comp, NULL);
			CHECK(comp.op_context == &ctx[want]);
			CHECK(udp_t_check(rxbuf + 100 * want, 20,
					  (unsigned)(round * 10 + want)));
		}
		/* Post 1 extra to shift the ring position each round. */
		CHECK_OK(fi_recv(small.ep, rxbuf, 100, NULL, FI_ADDR_UNSPEC,
				 &ctx[0]));
		CHECK_OK(fi_inject(a->ep, txbuf, 20, small.addr));
		udp_t_expect(small.rx, &comp, NULL);
	}
	udp_t_expect_none(small.rx, 20);
	udp_t_ep_close(&small);
	fi_freeinfo(info);
}

int main(void)
{
	struct udp_t t;
	struct udp_t_ep a, b;

	weft_test_require_weft_loaded();
	udp_t_open(&t, udp_t_getinfo(0, FI_MSG));
	CHECK(t.info->ep_attr->max_msg_size < sizeof(txbuf));
	udp_t_ep_open(&t, &a);
	udp_t_ep_open(&t, &b);

	check_bad_input(&t, &a, &b);
	check_truncation(&a, &b);
	check_bad_buffer(&a, &b);
	check_cancel(&a, &b);
	check_queue_full(&t, &a, &b);
	check_garbage(&a, &b);
	check_ring_wrap(&t, &a);

	udp_t_ep_close(&a);
	udp_t_ep_close(&b);
	udp_t_close(&t);
	return 0;
}
