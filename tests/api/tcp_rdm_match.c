/* tcp FI_EP_RDM receive-side matching, three processes (public API only):
 * - FI_DIRECTED_RECV: a receive for one sender's fi_addr takes only that
 *   sender's message, whether it was posted before the messages arrived
 *   or after (the other sender's message with the same tag waits for its
 *   own receive); FI_SOURCE names the sender;
 * - FI_MULTI_RECV: messages of many sizes (0 B to rendezvous-sized)
 *   filling two posted buffers, each completion pointing at its bytes in
 *   the buffer with its remote CQ data, and exactly one completion per
 *   buffer (its last) carrying FI_MULTI_RECV;
 * - FI_PEEK (FI_ENOMSG when nothing matches), FI_PEEK|FI_CLAIM with the
 *   claiming receive, FI_PEEK|FI_DISCARD, for eager and rendezvous
 *   messages; the sender of a discarded rendezvous message completes.
 */
#include "tcp_rdm_test.h"

#define CAPS (FI_MSG | FI_TAGGED | FI_SOURCE | FI_DIRECTED_RECV | FI_MULTI_RECV)

static const size_t msizes[] = { 0, 1, 100, 1000, 5000, 70000, 3, 20000 };
#define NM 24

struct kid {
	pid_t pid;
	int rfd, wfd; /* parent's ends */
	fi_addr_t addr;
};

static void kid_send(struct rt *t, fi_addr_t to, const void *buf, size_t len,
		     uint64_t tag)
{
	struct fi_cq_tagged_entry c;

	RT_POST(t, fi_tsend(t->ep, buf, len, NULL, to, tag, NULL));
	rt_get(t->tx, &c, NULL, NULL);
}

/* Child: serve the parent's commands (one byte each). */
static void kid_main(int rfd, int wfd, char who)
{
	struct rt t;
	fi_addr_t parent;
	uint8_t *buf = malloc(2 << 20);
	char cmd;

	CHECK(buf);
	alarm(60);
	rt_open(&t, CAPS, 0);
	rt_send_name(wfd, &t);
	parent = rt_recv_name(rfd, &t);
	while (read(rfd, &cmd, 1) == 1) {
		struct fi_cq_tagged_entry c;

		switch (cmd) {
		case 'd': /* directed: one message, tag 7, payload = who */
			buf[0] = (uint8_t)who;
			kid_send(&t, parent, buf, 1, 7);
			break;
		case 'm': /* multi-recv stream */
			/* Each send keeps its buffer until it completes. */
			for (int i = 0; i < NM; i++) {
				size_t len = msizes[i % 8];
				uint8_t *p = buf + (size_t)i * 70000;

				rt_fill(p, len, (uint32_t)i);
				RT_POST(&t, fi_senddata(t.ep, p, len, NULL,
							(uint64_t)i, parent,
							NULL));
			}
			for (int i = 0; i < NM; i++)
				rt_get(t.tx, &c, NULL, NULL);
			break;
		case 'p': /* peek targets: tags 1..5 */
			for (uint64_t tag = 1; tag <= 5; tag++) {
				size_t len = tag >= 4 ? 200000 : 100 * tag;
				uint8_t *p = buf + tag * 200000;

				rt_fill(p, len, (uint32_t)tag);
				RT_POST(&t, fi_tsend(t.ep, p, len, NULL,
						     parent, tag, NULL));
			}
			for (int i = 0; i < 5; i++)
				rt_get(t.tx, &c, NULL, NULL);
			break;
		case 'q':
			rt_signal(wfd);
			rt_close(&t);
			free(buf);
			_exit(0);
		}
		rt_signal(wfd);
	}
	_exit(1);
}

static void command(struct kid *k, char cmd)
{
	CHECK(write(k->wfd, &cmd, 1) == 1);
}

/* Wait for the kid's "done" while progressing our endpoint. */
static void done(struct rt *t, struct kid *k)
{
	long end = rt_now_ms() + RT_TMO;

	for (;;) {
		char c;
		ssize_t n;

		rt_spin(t, 2);
		n = recv(k->rfd, &c, 1, MSG_DONTWAIT);
		if (n == 1)
			return;
		CHECK(rt_now_ms() < end);
	}
}

static void directed(struct rt *t, struct kid *b, struct kid *c)
{
	uint8_t x = 0;
	struct fi_cq_tagged_entry e;
	fi_addr_t src;
	int ctx;

	/* Arrived first, taken by source in the other order. */
	command(b, 'd');
	done(t, b);
	command(c, 'd');
	done(t, c);
	rt_spin(t, 50);
	RT_POST(t, fi_trecv(t->ep, &x, 1, NULL, c->addr, 7, 0, &ctx));
	rt_get(t->rx, &e, &src, NULL);
	CHECK(x == 'C' && src == c->addr);
	RT_POST(t, fi_trecv(t->ep, &x, 1, NULL, b->addr, 7, 0, &ctx));
	rt_get(t->rx, &e, &src, NULL);
	CHECK(x == 'B' && src == b->addr);
	/* Posted first: B's message must not take C's receive. */
	RT_POST(t, fi_trecv(t->ep, &x, 1, NULL, c->addr, 7, 0, &ctx));
	command(b, 'd');
	done(t, b);
	rt_spin(t, 50);
	CHECK_RET(fi_cq_read(t->rx, &e, 1), -FI_EAGAIN);
	command(c, 'd');
	done(t, c);
	rt_get(t->rx, &e, &src, NULL);
	CHECK(x == 'C' && src == c->addr);
	RT_POST(t, fi_trecv(t->ep, &x, 1, NULL, FI_ADDR_UNSPEC, 7, 0, &ctx));
	rt_get(t->rx, &e, &src, NULL);
	CHECK(x == 'B' && src == b->addr);
}

static void multi(struct rt *t, struct kid *b)
{
	enum { BUFSZ = 200000 };
	uint8_t *bufs[2];
	struct fi_msg msg;
	struct iovec iov;
	size_t min = 70000; /* the largest message: none truncated */
	int ctx[2], seen[NM] = { 0 }, last[2] = { 0, 0 }, got = 0;

	CHECK_OK(fi_setopt(&t->ep->fid, FI_OPT_ENDPOINT, FI_OPT_MIN_MULTI_RECV,
			   &min, sizeof(min)));
	for (int i = 0; i < 2; i++) {
		bufs[i] = malloc(BUFSZ);
		CHECK(bufs[i]);
		iov.iov_base = bufs[i];
		iov.iov_len = BUFSZ;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.iov_count = 1;
		msg.addr = FI_ADDR_UNSPEC;
		msg.context = &ctx[i];
		RT_POST(t, fi_recvmsg(t->ep, &msg, FI_MULTI_RECV));
	}
	command(b, 'm');
	while (got < NM) {
		struct fi_cq_tagged_entry e;
		fi_addr_t src;
		int k;

		rt_get(t->rx, &e, &src, NULL);
		k = e.op_context == &ctx[0] ? 0 : 1;
		CHECK(e.op_context == &ctx[k]);
		CHECK(!last[k]);
		if (e.flags & FI_MULTI_RECV)
			last[k] = 1;
		if (!(e.flags & FI_REMOTE_CQ_DATA)) {
			/* Only the releasing completion may carry no
			 * message (a buffer released when emptied). */
			CHECK(e.flags & FI_MULTI_RECV);
			CHECK(e.len == 0);
			continue;
		}
		CHECK((e.flags & ~FI_MULTI_RECV) ==
		      (FI_RECV | FI_MSG | FI_REMOTE_CQ_DATA));
		CHECK(e.data < NM && !seen[e.data]);
		seen[e.data] = 1;
		CHECK(src == b->addr);
		CHECK(e.len == msizes[e.data % 8]);
		if (e.len) {
			CHECK((uint8_t *)e.buf >= bufs[k] &&
			      (uint8_t *)e.buf + e.len <= bufs[k] + BUFSZ);
			rt_verify(e.buf, e.len, (uint32_t)e.data);
		}
		got++;
	}
	CHECK(last[0] && !last[1]);
	done(t, b);
	/* The second buffer is not full: cancelling releases it, with
	 * FI_MULTI_RECV on that (error) completion. */
	CHECK_OK(fi_cancel(&t->ep->fid, &ctx[1]));
	{
		struct fi_cq_tagged_entry e;
		struct fi_cq_err_entry err;

		CHECK_RET(rt_get(t->rx, &e, NULL, &err), -FI_EAVAIL);
		CHECK(err.err == FI_ECANCELED && err.op_context == &ctx[1]);
		CHECK(err.flags & FI_MULTI_RECV);
	}
	free(bufs[0]);
	free(bufs[1]);
}

static void peek(struct rt *t, struct kid *b)
{
	uint8_t *buf = malloc(200000);
	struct fi_cq_tagged_entry e;
	struct fi_cq_err_entry err;
	struct fi_msg_tagged msg;
	struct fi_context fctx;
	struct iovec iov;
	fi_addr_t src;

	CHECK(buf);
	command(b, 'p');
	rt_spin(t, 100);
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = 200000;
	msg.msg_iov = &iov;
	msg.iov_count = 1;
	msg.addr = FI_ADDR_UNSPEC;
	msg.context = &fctx;
	/* Nothing with tag 9. */
	msg.tag = 9;
	CHECK_OK(fi_trecvmsg(t->ep, &msg, FI_PEEK));
	CHECK_RET(rt_get(t->rx, &e, NULL, &err), -FI_EAVAIL);
	CHECK(err.err == FI_ENOMSG && err.op_context == &fctx);
	/* Tag 1: peek only. */
	msg.tag = 1;
	CHECK_OK(fi_trecvmsg(t->ep, &msg, FI_PEEK));
	rt_get(t->rx, &e, &src, NULL);
	CHECK(e.len == 100 && e.tag == 1 && src == b->addr);
	/* Tag 2 and tag 4 (rendezvous): peek + claim, then the claim. */
	for (uint64_t tag = 2; tag <= 4; tag += 2) {
		size_t len = tag == 4 ? 200000 : 200;

		msg.tag = tag;
		CHECK_OK(fi_trecvmsg(t->ep, &msg, FI_PEEK | FI_CLAIM));
		rt_get(t->rx, &e, NULL, NULL);
		CHECK(e.len == len && e.tag == tag);
		memset(buf, 0, len);
		CHECK_OK(fi_trecvmsg(t->ep, &msg, FI_CLAIM));
		rt_get(t->rx, &e, &src, NULL);
		CHECK(e.len == len && e.op_context == &fctx &&
		      src == b->addr);
		rt_verify(buf, len, (uint32_t)tag);
	}
	/* Tags 3 (eager) and 5 (rendezvous): discarded. */
	for (uint64_t tag = 3; tag <= 5; tag += 2) {
		msg.tag = tag;
		CHECK_OK(fi_trecvmsg(t->ep, &msg, FI_PEEK | FI_DISCARD));
		rt_get(t->rx, &e, NULL, NULL);
		CHECK(e.tag == tag);
		msg.tag = tag;
		CHECK_OK(fi_trecvmsg(t->ep, &msg, FI_PEEK));
		CHECK_RET(rt_get(t->rx, &e, NULL, &err), -FI_EAVAIL);
		CHECK(err.err == FI_ENOMSG);
	}
	/* Tag 1 is still there for a plain receive. */
	RT_POST(t, fi_trecv(t->ep, buf, 200000, NULL, FI_ADDR_UNSPEC, 1, 0,
			    NULL));
	rt_get(t->rx, &e, NULL, NULL);
	rt_verify(buf, 100, 1);
	/* The sender's five sends all completed (the discarded rendezvous
	 * included). */
	done(t, b);
	free(buf);
}

static void spawn(struct kid *k, char who)
{
	int p2c[2], c2p[2];

	CHECK(pipe(p2c) == 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, c2p) == 0);
	k->pid = fork();
	CHECK(k->pid >= 0);
	if (k->pid == 0) {
		close(p2c[1]);
		close(c2p[0]);
		kid_main(p2c[0], c2p[1], who);
	}
	close(p2c[0]);
	close(c2p[1]);
	k->wfd = p2c[1];
	k->rfd = c2p[0];
}

int main(void)
{
	struct kid b, c;
	struct rt t;

	alarm(60);
	spawn(&b, 'B');
	spawn(&c, 'C');
	rt_open(&t, CAPS, 0);
	rt_send_name(b.wfd, &t);
	rt_send_name(c.wfd, &t);
	b.addr = rt_recv_name(b.rfd, &t);
	c.addr = rt_recv_name(c.rfd, &t);
	directed(&t, &b, &c);
	multi(&t, &b);
	peek(&t, &b);
	command(&b, 'q');
	command(&c, 'q');
	done(&t, &b);
	done(&t, &c);
	rt_reap(b.pid);
	rt_reap(c.pid);
	rt_close(&t);
	return 0;
}
