/* shm: two processes exchange messages in every send form of fi_msg and
 * fi_tagged (send, sendv, sendmsg, inject, senddata, injectdata), at sizes
 * from 0 bytes through inline, rendezvous and multi-chunk sizes, with data
 * checks, remote CQ data, tags and FI_SOURCE; the receiver echoes each
 * message back. Run twice, in fresh processes: with CMA allowed (the
 * default) and with FI_SHM_CMA=0 (copies through bounce buffers). */
#include <stdlib.h>

#include "shm_test.h"

#define TAG_BASE 0x5150000000000000ull

enum form {
	F_SEND, F_SENDV, F_SENDMSG, F_SENDDATA, F_INJECT, F_INJECTDATA,
	F_TSEND, F_TSENDV, F_TSENDMSG, F_TSENDDATA, F_TINJECT, F_TINJECTDATA,
	F_COUNT
};

static const size_t sizes[] = {
	0, 1, 8, 191, 192, 193, 4096, 65536 + 13, (1 << 20) + 7, 4 << 20,
};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))
#define MAXLEN (4 << 20)

static bool is_tagged(int f)
{
	return f >= F_TSEND;
}

static bool is_inject(int f)
{
	return f == F_INJECT || f == F_INJECTDATA || f == F_TINJECT ||
	       f == F_TINJECTDATA;
}

static bool has_data(int f)
{
	return f == F_SENDDATA || f == F_INJECTDATA || f == F_TSENDDATA ||
	       f == F_TINJECTDATA || f == F_SENDMSG || f == F_TSENDMSG;
}

/* Post one send of buf[0..len) in form f. */
static ssize_t post(struct shm_t *t, int f, char *buf, size_t len,
		    fi_addr_t dest, uint64_t tag, uint64_t data, void *ctx)
{
	size_t a = len / 3, b = len / 3;
	struct iovec iov[3] = {
		{ buf, a }, { buf + a, b }, { buf + a + b, len - a - b },
	};
	struct fi_msg msg = {
		.msg_iov = iov, .iov_count = 3, .addr = dest,
		.context = ctx, .data = data,
	};
	struct fi_msg_tagged tmsg = {
		.msg_iov = iov, .iov_count = 3, .addr = dest, .tag = tag,
		.context = ctx, .data = data,
	};

	switch (f) {
	case F_SEND:
		return fi_send(t->ep, buf, len, NULL, dest, ctx);
	case F_SENDV:
		return fi_sendv(t->ep, iov, NULL, 3, dest, ctx);
	case F_SENDMSG:
		return fi_sendmsg(t->ep, &msg,
				  FI_REMOTE_CQ_DATA | FI_COMPLETION);
	case F_SENDDATA:
		return fi_senddata(t->ep, buf, len, NULL, data, dest, ctx);
	case F_INJECT:
		return fi_inject(t->ep, buf, len, dest);
	case F_INJECTDATA:
		return fi_injectdata(t->ep, buf, len, data, dest);
	case F_TSEND:
		return fi_tsend(t->ep, buf, len, NULL, dest, tag, ctx);
	case F_TSENDV:
		return fi_tsendv(t->ep, iov, NULL, 3, dest, tag, ctx);
	case F_TSENDMSG:
		return fi_tsendmsg(t->ep, &tmsg,
				   FI_REMOTE_CQ_DATA | FI_COMPLETION);
	case F_TSENDDATA:
		return fi_tsenddata(t->ep, buf, len, NULL, data, dest, tag,
				    ctx);
	case F_TINJECT:
		return fi_tinject(t->ep, buf, len, dest, tag);
	default:
		return fi_tinjectdata(t->ep, buf, len, data, dest, tag);
	}
}

static char *txbuf, *rxbuf;

/* Wait for the receive of message (f, len, seed) and check everything. */
static void expect_rx(struct shm_t *t, int f, size_t len, unsigned seed,
		      fi_addr_t from, void *ctx)
{
	struct fi_cq_tagged_entry c;
	fi_addr_t src = FI_ADDR_UNSPEC;

	shm_t_expect(t->rx, &c, &src);
	CHECK(c.op_context == ctx);
	CHECK(c.len == len);
	CHECK(c.flags & FI_RECV);
	CHECK(!!(c.flags & FI_TAGGED) == is_tagged(f));
	CHECK(!!(c.flags & FI_MSG) == !is_tagged(f));
	CHECK(src == from);
	if (has_data(f)) {
		CHECK(c.flags & FI_REMOTE_CQ_DATA);
		CHECK(c.data == 0xda7a0000ull + seed);
	} else {
		CHECK(!(c.flags & FI_REMOTE_CQ_DATA));
	}
	if (is_tagged(f))
		CHECK(c.tag == TAG_BASE + seed);
	CHECK(shm_t_check(rxbuf, len, seed));
}

static void post_rx(struct shm_t *t, int f, fi_addr_t from, uint64_t tag,
		    void *ctx)
{
	if (is_tagged(f))
		SHM_T_POST(t->rx, fi_trecv(t->ep, rxbuf, MAXLEN, NULL, from,
					   tag, 0, ctx));
	else
		SHM_T_POST(t->rx, fi_recv(t->ep, rxbuf, MAXLEN, NULL, from,
					  ctx));
}

static void send_one(struct shm_t *t, int f, size_t len, unsigned seed,
		     fi_addr_t dest, void *ctx)
{
	struct fi_cq_tagged_entry c;

	shm_t_fill(txbuf, len, seed);
	SHM_T_POST(t->tx, post(t, f, txbuf, len, dest, TAG_BASE + seed,
			       0xda7a0000ull + seed, ctx));
	if (is_inject(f))
		return;
	shm_t_expect(t->tx, &c, NULL);
	CHECK(c.op_context == ctx);
	CHECK(c.flags & FI_SEND);
	CHECK(!!(c.flags & FI_TAGGED) == is_tagged(f));
}

static void run(const struct shm_t_pipe *p, bool first)
{
	struct shm_t t;
	fi_addr_t peer;
	int ctx_tx, ctx_rx;
	unsigned seed = 0;

	txbuf = malloc(MAXLEN);
	rxbuf = malloc(MAXLEN);
	CHECK(txbuf && rxbuf);
	shm_t_open(&t, FI_MSG | FI_TAGGED | FI_SOURCE);
	peer = shm_t_swap(&t, p);
	shm_t_sync(p);

	for (size_t s = 0; s < NSIZES; s++) {
		for (int f = 0; f < F_COUNT; f++) {
			size_t len = sizes[s];

			if (is_inject(f) && len > t.info->tx_attr->inject_size)
				continue;
			seed++;
			if (first) {
				send_one(&t, f, len, seed, peer, &ctx_tx);
				post_rx(&t, f, peer, TAG_BASE + seed, &ctx_rx);
				expect_rx(&t, f, len, seed, peer, &ctx_rx);
			} else {
				post_rx(&t, f, peer, TAG_BASE + seed, &ctx_rx);
				expect_rx(&t, f, len, seed, peer, &ctx_rx);
				/* Echo it back, in the same form. */
				memcpy(txbuf, rxbuf, len);
				send_one(&t, f, len, seed, peer, &ctx_tx);
			}
		}
	}
	shm_t_sync(p);
	shm_t_close(&t);
	CHECK(shm_t_segments_of(getpid()) == 0);
	free(txbuf);
	free(rxbuf);
}

static int run_mode(const char *cma)
{
	struct shm_t_pipe p[2];
	pid_t child;
	int rc;

	/* Before any fi_* call in this process: parameters are read once. */
	setenv("FI_SHM_CMA", cma, 1);
	shm_t_pipes(p);
	child = shm_t_fork();
	CHECK(child >= 0);
	if (child == 0) {
		alarm(100);
		close(p[0].rfd);
		close(p[0].wfd);
		run(&p[1], false);
		exit(0);
	}
	close(p[1].rfd);
	close(p[1].wfd);
	run(&p[0], true);
	rc = shm_t_reap(child, 30000);
	CHECK(rc == 0);
	return 0;
}

int main(void)
{
	const char *modes[] = { "1", "0" };

	weft_test_require_weft_loaded();
	alarm(110);
	for (int m = 0; m < 2; m++) {
		pid_t pid = shm_t_fork();

		CHECK(pid >= 0);
		if (pid == 0)
			exit(run_mode(modes[m]));
		CHECK(shm_t_reap(pid, 50000) == 0);
		printf("FI_SHM_CMA=%s: all forms and sizes passed\n", modes[m]);
	}
	return 0;
}
