/* udp FI_EP_RDM receive-side features between two processes (public API
 * only):
 * - FI_MULTI_RECV: messages of many sizes fill two posted buffers, each
 *   completion points at its bytes inside a buffer (checked byte for
 *   byte), exactly one completion per buffer carries FI_MULTI_RECV and it
 *   is that buffer's last; messages that arrived before the buffer was
 *   posted land in it too; fi_cancel releases a buffer.
 * - FI_PEEK, FI_PEEK|FI_CLAIM, FI_CLAIM, FI_PEEK|FI_DISCARD,
 *   FI_CLAIM|FI_DISCARD on tagged messages: lengths, tags, CQ data and
 *   FI_ENOMSG as fi_tagged(3) says; a claimed message is out of reach of
 *   other receives, a discarded one is gone.
 * - FI_DELIVERY_COMPLETE on sends: once the sender has its completion,
 *   the receiver finds the bytes in its posted buffer without driving
 *   progress; FI_TRANSMIT_COMPLETE and FI_INJECT_COMPLETE are accepted.
 * - A flood of unexpected messages larger than the unexpected pool
 *   (FI_UDP_RDM_UNEXP_MB=1, 300 x 16 KiB): nothing crashes, nothing is
 *   lost; receives posted later, in reverse order, get every message
 *   intact. */
#include "udp_rdm_test.h"

#define CAPS (FI_MSG | FI_TAGGED | FI_MULTI_RECV | FI_SOURCE)
#define MBUF (64 * 1024)
#define MINFREE (8 * 1024)
#define NMULTI 40
#define FLOOD 300
#define FLEN (16 * 1024)

static size_t mlen(int i)
{
	return (size_t)(i * 997 % 5000) + 1;
}

/* ---- sender (child) -------------------------------------------------- */

static void send_one(struct rdm_side *s, const void *b, size_t len,
		     uint64_t tag, bool tagged, uint64_t flags)
{
	struct iovec v = {(void *)b, len};
	struct fi_msg_tagged m = {.msg_iov = &v, .iov_count = 1,
				  .addr = s->peer, .tag = tag, .data = tag};
	struct fi_msg um = {.msg_iov = &v, .iov_count = 1, .addr = s->peer,
			    .data = tag};
	int ctx;
	ssize_t r;

	m.context = um.context = &ctx;
	do {
		r = tagged ? fi_tsendmsg(s->e.ep, &m, FI_COMPLETION | flags)
			   : fi_sendmsg(s->e.ep, &um, FI_COMPLETION | flags);
		if (r == -FI_EAGAIN)
			(void)fi_cq_read(s->e.tx, NULL, 0);
	} while (r == -FI_EAGAIN);
	CHECK_OK(r);
	rdm_t_ok(s->e.tx, &ctx, FI_SEND, NULL);
}

static void sender(struct rdm_side *s)
{
	static uint8_t b[65536];
	int i;

	rdm_t_open(s, CAPS);
	rdm_t_enable(s);

	/* multi-receive: 3 before the buffers are posted, then the rest */
	for (i = 0; i < 3; i++) {
		rdm_t_fill(b, mlen(i), (uint32_t)i);
		send_one(s, b, mlen(i), 0, false, 0);
	}
	rdm_t_psync(s);
	rdm_t_psync(s);
	for (; i < NMULTI; i++) {
		rdm_t_fill(b, mlen(i), (uint32_t)i);
		send_one(s, b, mlen(i), 0, false, 0);
	}
	rdm_t_psync(s);

	/* peek and claim */
	rdm_t_fill(b, 300, 100);
	send_one(s, b, 300, 100, true, FI_REMOTE_CQ_DATA);
	rdm_t_fill(b, 10000, 101);
	send_one(s, b, 10000, 101, true, 0);
	rdm_t_fill(b, 10, 102);
	send_one(s, b, 10, 102, true, 0);
	rdm_t_fill(b, 20, 103);
	send_one(s, b, 20, 103, true, 0);
	rdm_t_psync(s);
	rdm_t_psync(s);

	/* completion levels */
	for (i = 0; i < 6; i++) {
		static const uint64_t lv[3] = {FI_DELIVERY_COMPLETE,
					       FI_TRANSMIT_COMPLETE,
					       FI_INJECT_COMPLETE};
		size_t len = i % 2 ? 60000 : 100;
		char k;

		rdm_t_fill(b, len, 200 + (uint32_t)i);
		send_one(s, b, len, 0, false, lv[i % 3]);
		rdm_t_send(s, "c", 1);
		rdm_t_progress_until_pipe(s);
		rdm_t_recv(s, &k, 1);
		CHECK(k == 'k');
	}

	/* the flood: all sent before any receive is posted; sends
	 * complete as the receiver takes them */
	{
		static uint8_t fb[FLOOD][64];
		struct fi_msg_tagged m = {.iov_count = 1, .addr = s->peer};
		struct iovec v[FLOOD];
		int n = 0;

		for (i = 0; i < FLOOD; i++) {
			ssize_t r;

			rdm_t_fill(fb[i], 64, 1000 + (uint32_t)i);
			/* 16 KiB: the pattern of seed 1000+i in its first 64
			 * bytes, the same block after them */
			v[i].iov_base = malloc(FLEN);
			CHECK(v[i].iov_base);
			for (size_t o = 0; o < FLEN; o += 64)
				memcpy((uint8_t *)v[i].iov_base + o, fb[i], 64);
			v[i].iov_len = FLEN;
			m.msg_iov = &v[i];
			m.tag = (uint64_t)i;
			m.context = &v[i];
			do {
				r = fi_tsendmsg(s->e.ep, &m, FI_COMPLETION);
				if (r == -FI_EAGAIN)
					(void)fi_cq_read(s->e.tx, NULL, 0);
			} while (r == -FI_EAGAIN);
			CHECK_OK(r);
		}
		rdm_t_send(s, "f", 1);
		while (n < FLOOD) {
			struct fi_cq_tagged_entry c;

			CHECK_RET(rdm_t_wait(s->e.tx, &c, NULL, RDM_T_TMO), 1);
			n++;
		}
		for (i = 0; i < FLOOD; i++)
			free(v[i].iov_base);
	}
	rdm_t_psync(s);
	rdm_t_close(s);
}

/* ---- receiver (parent) ----------------------------------------------- */

static void multi(struct rdm_side *s)
{
	static uint8_t bufs[2][MBUF];
	struct iovec v[2] = {{bufs[0], MBUF}, {bufs[1], MBUF}};
	struct fi_msg m = {.iov_count = 1, .addr = FI_ADDR_UNSPEC};
	size_t minfree = MINFREE, used[2] = {0, 0};
	bool released[2] = {false, false};
	int ctx[3], i;

	CHECK_OK(fi_setopt(&s->e.ep->fid, FI_OPT_ENDPOINT,
			   FI_OPT_MIN_MULTI_RECV, &minfree, sizeof(minfree)));
	rdm_t_psync(s); /* 3 messages wait as unexpected */
	for (int k = 0; k < 2; k++) {
		m.msg_iov = &v[k];
		m.context = &ctx[k];
		CHECK_OK(fi_recvmsg(s->e.ep, &m, FI_MULTI_RECV));
	}
	/* a multi-receive post takes exactly one iov, untagged */
	m.msg_iov = v;
	m.iov_count = 2;
	CHECK_RET(fi_recvmsg(s->e.ep, &m, FI_MULTI_RECV), -FI_EINVAL);
	m.iov_count = 1;
	rdm_t_psync(s);
	for (i = 0; i < NMULTI; i++) {
		struct fi_cq_tagged_entry c;
		fi_addr_t src;
		int k;

		CHECK_RET(rdm_t_wait(s->e.rx, &c, &src, RDM_T_TMO), 1);
		k = c.op_context == &ctx[0] ? 0 : 1;
		CHECK(c.op_context == &ctx[k]);
		CHECK(!released[k]);
		CHECK((c.flags & ~(uint64_t)FI_MULTI_RECV) == (FI_RECV | FI_MSG));
		CHECK(c.len == mlen(i));
		CHECK((uint8_t *)c.buf == bufs[k] + used[k]);
		CHECK(src == s->peer);
		rdm_t_verify(c.buf, c.len, (uint32_t)i);
		used[k] += c.len;
		if (c.flags & FI_MULTI_RECV) {
			/* released: too little room left */
			CHECK(MBUF - used[k] < MINFREE);
			released[k] = true;
		}
	}
	CHECK(released[0] && !released[1]);
	/* cancel releases the second buffer with FI_MULTI_RECV */
	CHECK_OK(fi_cancel(&s->e.ep->fid, &ctx[1]));
	{
		struct fi_cq_tagged_entry c;
		struct fi_cq_err_entry e = {0};

		CHECK_RET(rdm_t_wait(s->e.rx, &c, NULL, 1000), -FI_EAVAIL);
		CHECK_RET(fi_cq_readerr(s->e.rx, &e, 0), 1);
		CHECK(e.err == FI_ECANCELED && e.op_context == &ctx[1]);
		CHECK(e.flags & FI_MULTI_RECV);
	}
	/* tagged receives cannot be multi-receive */
	{
		struct fi_msg_tagged tm = {.msg_iov = &v[0], .iov_count = 1,
					   .addr = FI_ADDR_UNSPEC};

		CHECK_RET(fi_trecvmsg(s->e.ep, &tm, FI_MULTI_RECV),
			  -FI_EBADFLAGS);
	}
	rdm_t_psync(s);
}

static void peek(struct rdm_side *s)
{
	static uint8_t b[10000];
	struct fi_context fc1, fc2, fc3, fc4;
	struct fi_cq_tagged_entry c;
	struct fi_cq_err_entry e = {0};
	struct iovec v = {b, sizeof(b)};
	struct fi_msg_tagged m = {.msg_iov = &v, .iov_count = 1,
				  .addr = FI_ADDR_UNSPEC};
	int ctx_claim, ctx_disc;

	rdm_t_psync(s); /* the four messages are here (delivery-complete) */
	/* nothing with tag 999 */
	m.tag = 999;
	m.context = &fc1;
	CHECK_OK(fi_trecvmsg(s->e.ep, &m, FI_PEEK));
	CHECK_RET(rdm_t_wait(s->e.rx, &c, NULL, 1000), -FI_EAVAIL);
	CHECK_RET(fi_cq_readerr(s->e.rx, &e, 0), 1);
	CHECK(e.err == FI_ENOMSG && e.op_context == &fc1);
	/* peek 100/101 through the ignore mask: the oldest, 100; it stays */
	m.tag = 100;
	m.ignore = 1;
	m.context = &fc1;
	CHECK_OK(fi_trecvmsg(s->e.ep, &m, FI_PEEK));
	rdm_t_ok(s->e.rx, &fc1, FI_RECV | FI_TAGGED, &c);
	CHECK(c.tag == 100 && c.len == 300 && c.data == 100);
	CHECK(c.flags == (FI_RECV | FI_TAGGED | FI_REMOTE_CQ_DATA));
	m.tag = 101;
	m.ignore = 0;
	CHECK_OK(fi_trecvmsg(s->e.ep, &m, FI_PEEK));
	rdm_t_ok(s->e.rx, &fc1, FI_RECV | FI_TAGGED, &c);
	CHECK(c.tag == 101 && c.len == 10000);
	/* peek + claim 100: a plain receive for 100 does not get it */
	m.tag = 100;
	m.context = &fc2;
	CHECK_OK(fi_trecvmsg(s->e.ep, &m, FI_PEEK | FI_CLAIM));
	rdm_t_ok(s->e.rx, &fc2, FI_RECV | FI_TAGGED, &c);
	CHECK(c.len == 300);
	CHECK_OK(fi_trecv(s->e.ep, b, sizeof(b), NULL, FI_ADDR_UNSPEC, 100, 0,
			  &ctx_claim));
	udp_t_expect_none(s->e.rx, 100);
	/* the paired claim receives it */
	memset(b, 0, sizeof(b));
	CHECK_OK(fi_trecvmsg(s->e.ep, &m, FI_CLAIM));
	rdm_t_ok(s->e.rx, &fc2, FI_RECV | FI_TAGGED, &c);
	CHECK(c.len == 300 && c.tag == 100 && c.data == 100);
	rdm_t_verify(b, 300, 100);
	/* a second claim with the same context finds nothing */
	CHECK_RET(fi_trecvmsg(s->e.ep, &m, FI_CLAIM), -FI_EINVAL);
	/* peek + discard 102: gone */
	m.tag = 102;
	m.context = &fc3;
	CHECK_OK(fi_trecvmsg(s->e.ep, &m, FI_PEEK | FI_DISCARD));
	rdm_t_ok(s->e.rx, &fc3, FI_RECV | FI_TAGGED, &c);
	CHECK(c.len == 10 && c.tag == 102);
	CHECK_OK(fi_trecv(s->e.ep, b, sizeof(b), NULL, FI_ADDR_UNSPEC, 102, 0,
			  &ctx_disc));
	udp_t_expect_none(s->e.rx, 100);
	/* peek + claim 103, then discard the claim */
	m.tag = 103;
	m.context = &fc4;
	CHECK_OK(fi_trecvmsg(s->e.ep, &m, FI_PEEK | FI_CLAIM));
	rdm_t_ok(s->e.rx, &fc4, FI_RECV | FI_TAGGED, &c);
	CHECK(c.len == 20);
	CHECK_OK(fi_trecvmsg(s->e.ep, &m, FI_CLAIM | FI_DISCARD));
	rdm_t_ok(s->e.rx, &fc4, FI_RECV | FI_TAGGED, &c);
	/* 101 is still there for a plain receive */
	memset(b, 0, sizeof(b));
	CHECK_OK(fi_trecv(s->e.ep, b, sizeof(b), NULL, FI_ADDR_UNSPEC, 101, 0,
			  &fc1));
	rdm_t_ok(s->e.rx, &fc1, FI_RECV | FI_TAGGED, &c);
	CHECK(c.len == 10000 && c.tag == 101);
	rdm_t_verify(b, 10000, 101);
	/* bad combinations */
	CHECK_RET(fi_trecvmsg(s->e.ep, &m, FI_DISCARD), -FI_EINVAL);
	m.context = NULL;
	CHECK_RET(fi_trecvmsg(s->e.ep, &m, FI_CLAIM), -FI_EINVAL);
	/* the two receives left waiting are cancelled */
	CHECK_OK(fi_cancel(&s->e.ep->fid, &ctx_claim));
	CHECK_OK(fi_cancel(&s->e.ep->fid, &ctx_disc));
	for (int k = 0; k < 2; k++) {
		CHECK_RET(rdm_t_wait(s->e.rx, &c, NULL, 1000), -FI_EAVAIL);
		CHECK_RET(fi_cq_readerr(s->e.rx, &e, 0), 1);
		CHECK(e.err == FI_ECANCELED);
	}
	rdm_t_psync(s);
}

static void levels(struct rdm_side *s)
{
	static uint8_t b[60000];

	for (int i = 0; i < 6; i++) {
		size_t len = i % 2 ? 60000 : 100;
		struct fi_cq_tagged_entry c;
		int ctx;
		char k;

		memset(b, 0, sizeof(b));
		CHECK_OK(fi_recv(s->e.ep, b, sizeof(b), NULL, FI_ADDR_UNSPEC,
				 &ctx));
		rdm_t_progress_until_pipe(s);
		rdm_t_recv(s, &k, 1); /* the send completed */
		CHECK(k == 'c');
		/* no progress since: the bytes are in place already */
		rdm_t_verify(b, len, 200 + (uint32_t)i);
		rdm_t_ok(s->e.rx, &ctx, FI_RECV | FI_MSG, &c);
		CHECK(c.len == len);
		rdm_t_send(s, "k", 1);
	}
}

static void flood(struct rdm_side *s)
{
	static uint8_t b[FLOOD][FLEN];
	static int ctx[FLOOD];
	long end;
	char f;
	int i, n = 0;

	rdm_t_recv(s, &f, 1); /* all sent */
	CHECK(f == 'f');
	/* take what fits in the pool, refuse the rest for a while */
	end = udp_t_now_ms() + 300;
	while (udp_t_now_ms() < end)
		(void)fi_cq_read(s->e.rx, NULL, 0);
	for (i = FLOOD - 1; i >= 0; i--) {
		ssize_t r;

		do {
			r = fi_trecv(s->e.ep, b[i], FLEN, NULL, FI_ADDR_UNSPEC,
				     (uint64_t)i, 0, &ctx[i]);
		} while (r == -FI_EAGAIN);
		CHECK_OK(r);
	}
	while (n < FLOOD) {
		struct fi_cq_tagged_entry c;
		uint8_t blk[64];
		int t;

		CHECK_RET(rdm_t_wait(s->e.rx, &c, NULL, RDM_T_TMO), 1);
		t = (int)((int *)c.op_context - ctx);
		CHECK(t >= 0 && t < FLOOD && c.tag == (uint64_t)t);
		CHECK(c.len == FLEN);
		rdm_t_fill(blk, 64, 1000 + (uint32_t)t);
		for (size_t o = 0; o < FLEN; o += 64)
			CHECK(!memcmp(b[t] + o, blk, 64));
		n++;
	}
	rdm_t_psync(s);
}

int main(void)
{
	struct rdm_side s;
	pid_t pid;

	weft_test_require_weft_loaded();
	/* A 1 MiB unexpected pool, so that the flood overflows it. */
	setenv("FI_UDP_RDM_UNEXP_MB", "1", 1);
	alarm(100);
	pid = rdm_t_fork(&s);
	if (pid == 0) {
		alarm(60);
		sender(&s);
		_exit(0);
	}
	rdm_t_open(&s, CAPS);
	rdm_t_enable(&s);
	multi(&s);
	peek(&s);
	levels(&s);
	flood(&s);
	CHECK(rdm_t_reap(pid, 30000) == 0);
	rdm_t_close(&s);
	return 0;
}
