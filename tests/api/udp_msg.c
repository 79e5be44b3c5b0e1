/* udp: every send form (send, sendv, sendmsg, inject, senddata, injectdata,
 * sendmsg+FI_INJECT) into every receive form (recv, recvv, recvmsg), at
 * several sizes up to max_msg_size, between two endpoints on 127.0.0.1:
 * payload, length, context, flags, remote CQ data and the FI_SOURCE
 * address of every completion are checked. */
#include "udp_test.h"

enum send_form { S_SEND, S_SENDV, S_SENDMSG, S_INJECT, S_SENDDATA,
		 S_INJECTDATA, S_SENDMSG_INJECT, S_FORMS };
enum recv_form { R_RECV, R_RECVV, R_RECVMSG, R_FORMS };

static const char *send_names[] = { "send", "sendv", "sendmsg", "inject",
				    "senddata", "injectdata",
				    "sendmsg+inject" };
static const char *recv_names[] = { "recv", "recvv", "recvmsg" };

static char txbuf[70000], rxbuf[70000];

/* Split len bytes of buf into n iovs of uneven size. */
static void split(char *buf, size_t len, struct iovec *iov, size_t n)
{
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		size_t part = i + 1 == n ? len - off : len / (n + i);

		iov[i].iov_base = buf + off;
		iov[i].iov_len = part;
		off += part;
	}
}

static void post_recv(struct fid_ep *ep, enum recv_form r, size_t cap,
		      void *ctx)
{
	struct iovec iov[3];
	struct fi_msg msg;

	switch (r) {
	case R_RECV:
		CHECK_OK(fi_recv(ep, rxbuf, cap, NULL, FI_ADDR_UNSPEC, ctx));
		break;
	case R_RECVV:
		split(rxbuf, cap, iov, 3);
		CHECK_OK(fi_recvv(ep, iov, NULL, 3, FI_ADDR_UNSPEC, ctx));
		break;
	default:
		split(rxbuf, cap, iov, 2);
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.iov_count = 2;
		msg.addr = FI_ADDR_UNSPEC;
		msg.context = ctx;
		CHECK_OK(fi_recvmsg(ep, &msg, FI_COMPLETION));
		break;
	}
}

/* Returns whether the form reports a send completion. */
static bool do_send(struct fid_ep *ep, enum send_form s, size_t len,
		    fi_addr_t dest, uint64_t data, void *ctx)
{
	struct iovec iov[3];
	struct fi_msg msg;

	memset(&msg, 0, sizeof(msg));
	switch (s) {
	case S_SEND:
		CHECK_OK(fi_send(ep, txbuf, len, NULL, dest, ctx));
		return true;
	case S_SENDV:
		split(txbuf, len, iov, 3);
		CHECK_OK(fi_sendv(ep, iov, NULL, 3, dest, ctx));
		return true;
	case S_SENDMSG:
		split(txbuf, len, iov, 2);
		msg.msg_iov = iov;
		msg.iov_count = 2;
		msg.addr = dest;
		msg.context = ctx;
		msg.data = data;
		CHECK_OK(fi_sendmsg(ep, &msg,
				    FI_COMPLETION | FI_REMOTE_CQ_DATA |
					    FI_TRANSMIT_COMPLETE));
		return true;
	case S_INJECT:
		CHECK_OK(fi_inject(ep, txbuf, len, dest));
		return false;
	case S_SENDDATA:
		CHECK_OK(fi_senddata(ep, txbuf, len, NULL, data, dest, ctx));
		return true;
	case S_INJECTDATA:
		CHECK_OK(fi_injectdata(ep, txbuf, len, data, dest));
		return false;
	default:
		iov[0].iov_base = txbuf;
		iov[0].iov_len = len;
		msg.msg_iov = iov;
		msg.iov_count = 1;
		msg.addr = dest;
		msg.context = ctx;
		CHECK_OK(fi_sendmsg(ep, &msg,
				    FI_INJECT | FI_COMPLETION |
					    FI_INJECT_COMPLETE));
		/* fi_sendmsg with FI_INJECT still completes (the flag only
		 * frees the buffer at once). */
		return true;
	}
}

static bool has_data(enum send_form s)
{
	return s == S_SENDMSG || s == S_SENDDATA || s == S_INJECTDATA;
}

int main(void)
{
	struct udp_t t;
	struct udp_t_ep a, b, c;
	struct fi_cq_data_entry comp;
	fi_addr_t src;
	int sctx, rctx;
	size_t max, sizes[5];
	unsigned seed = 1;

	weft_test_require_weft_loaded();
	udp_t_open(&t, udp_t_getinfo(0, FI_MSG | FI_SOURCE));
	CHECK(t.info->ep_attr->type == FI_EP_DGRAM);
	CHECK(t.info->caps & FI_SOURCE);
	CHECK(!(t.info->caps & FI_SOURCE_ERR)); /* not asked for */
	CHECK(t.info->domain_attr->cq_data_size >= 8);
	CHECK(t.info->tx_attr->iov_limit >= 3);
	CHECK(t.info->rx_attr->iov_limit >= 3);
	max = t.info->ep_attr->max_msg_size;
	CHECK(max >= 1024 && max < sizeof(txbuf));
	CHECK(t.info->tx_attr->inject_size <= max);
	sizes[0] = 0;
	sizes[1] = 1;
	sizes[2] = 64;
	sizes[3] = 1000;
	sizes[4] = max;

	udp_t_ep_open(&t, &a);
	udp_t_ep_open(&t, &b);

	for (int s = 0; s < S_FORMS; s++) {
		for (int r = 0; r < R_FORMS; r++) {
			for (int k = 0; k < 5; k++) {
				size_t len = sizes[k];
				uint64_t data = 0xfeedf00d00000000ull + seed;
				bool report;

				if ((s == S_INJECT || s == S_INJECTDATA ||
				     s == S_SENDMSG_INJECT) &&
				    len > t.info->tx_attr->inject_size)
					continue;
				fprintf(stderr, "%s -> %s, %zu bytes\n",
					send_names[s], recv_names[r], len);
				memset(rxbuf, 0xee, max);
				udp_t_fill(txbuf, len, seed);
				post_recv(b.ep, (enum recv_form)r, max, &rctx);
				report = do_send(a.ep, (enum send_form)s, len,
						 b.addr, data, &sctx);
				/* The buffer is the app's again at once. */
				memset(txbuf, 0, len);
				if (report) {
					udp_t_expect(a.tx, &comp, NULL);
					CHECK(comp.op_context == &sctx);
					CHECK(comp.flags & FI_SEND);
					CHECK(comp.flags & FI_MSG);
				}
				src = 12345;
				udp_t_expect(b.rx, &comp, &src);
				CHECK(comp.op_context == &rctx);
				CHECK(comp.len == len);
				CHECK(comp.flags & FI_RECV);
				CHECK(comp.flags & FI_MSG);
				CHECK(!(comp.flags & FI_SEND));
				if (has_data((enum send_form)s)) {
					CHECK(comp.flags & FI_REMOTE_CQ_DATA);
					CHECK(comp.data == data);
				} else {
					CHECK(!(comp.flags &
						FI_REMOTE_CQ_DATA));
				}
				CHECK(src == a.addr);
				CHECK(udp_t_check(rxbuf, len, seed));
				/* Nothing beyond the message was written. */
				CHECK(len == max ||
				      (unsigned char)rxbuf[len] == 0xee);
				seed++;
			}
		}
	}
	/* Injects left no send completions behind. */
	udp_t_expect_none(a.tx, 50);
	udp_t_expect_none(b.rx, 50);

	/* FI_SOURCE for a sender that is not in the AV: FI_ADDR_NOTAVAIL,
	 * and (no FI_SOURCE_ERR) still a successful completion. */
	udp_t_ep_open(&t, &c);
	CHECK_OK(fi_av_remove(t.av, &c.addr, 1, 0));
	CHECK_OK(fi_recv(b.ep, rxbuf, 100, NULL, FI_ADDR_UNSPEC, &rctx));
	udp_t_fill(txbuf, 100, 99);
	CHECK_OK(fi_send(c.ep, txbuf, 100, NULL, b.addr, &sctx));
	udp_t_expect(c.tx, &comp, NULL);
	src = 0;
	udp_t_expect(b.rx, &comp, &src);
	CHECK(src == FI_ADDR_NOTAVAIL);
	CHECK(comp.len == 100 && udp_t_check(rxbuf, 100, 99));

	/* Both directions, and an endpoint sending to itself. */
	CHECK_OK(fi_recv(a.ep, rxbuf, max, NULL, FI_ADDR_UNSPEC, &rctx));
	udp_t_fill(txbuf, 300, 7);
	CHECK_OK(fi_inject(b.ep, txbuf, 300, a.addr));
	udp_t_expect(a.rx, &comp, &src);
	CHECK(src == b.addr && comp.len == 300 && udp_t_check(rxbuf, 300, 7));
	CHECK_OK(fi_recv(a.ep, rxbuf, max, NULL, FI_ADDR_UNSPEC, &rctx));
	CHECK_OK(fi_inject(a.ep, txbuf, 300, a.addr));
	udp_t_expect(a.rx, &comp, &src);
	CHECK(src == a.addr && comp.len == 300);

	/* Receives complete in posting order. */
	{
		int ctx[4];
		char bufs[4][64];

		for (int i = 0; i < 4; i++)
			CHECK_OK(fi_recv(b.ep, bufs[i], 64, NULL,
					 FI_ADDR_UNSPEC, &ctx[i]));
		for (int i = 0; i < 4; i++) {
			memset(txbuf, 'A' + i, 10);
			CHECK_OK(fi_inject(a.ep, txbuf, 10, b.addr));
		}
		for (int i = 0; i < 4; i++) {
			udp_t_expect(b.rx, &comp, NULL);
			CHECK(comp.op_context == &ctx[i]);
			/* UDP on loopback keeps order; the ring must too. */
			CHECK(bufs[i][0] == 'A' + i);
		}
	}

	udp_t_ep_close(&c);
	udp_t_ep_close(&a);
	udp_t_ep_close(&b);
	udp_t_close(&t);
	return 0;
}
