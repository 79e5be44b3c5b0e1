/* shm: FI_RMA_EVENT and FI_FENCE.
 *
 * The target has FI_RMA_EVENT, remote counters bound with FI_REMOTE_WRITE
 * and FI_REMOTE_READ, and a counter bound to its region (fi_mr_bind,
 * FI_REMOTE_WRITE). The initiator writes (small, large, inject), reads,
 * writes with remote CQ data and does an atomic; the target checks the
 * counters' exact values, its CQ entry for the writedata (flags, data,
 * len), and that a refused access moves no counter.
 *
 * FI_FENCE: a large write followed at once by a fenced read of the same
 * bytes returns them as written, and a fenced send after another large
 * write reaches the target only once that write is in its memory (the
 * target checks the bytes when the message arrives). Without CMA the
 * chunks of a write and of a later read or message are otherwise free to
 * pass each other. Runs with CMA and with FI_SHM_CMA=0. */
#include <poll.h>
#include <stdlib.h>

#include <rdma/fi_atomic.h>
#include <rdma/fi_rma.h>

#include "shm_test.h"

#define REGION (1 << 20)
#define BIG 400000
#define CAPS (FI_MSG | FI_RMA | FI_ATOMIC | FI_RMA_EVENT)

static char *region, *buf, *back;

static uint64_t cntr_get(struct fid_cntr *c, uint64_t want)
{
	long end = shm_t_now_ms() + SHM_T_TIMEOUT_MS;

	while (fi_cntr_read(c) < want && shm_t_now_ms() < end)
		(void)fi_cntr_read(c);
	return fi_cntr_read(c);
}

/* Drive progress (the initiator's RMA needs ours) until the other side
 * writes to the pipe; collect what the receive CQ gives meanwhile. */
static int serve(struct shm_t *t, const struct shm_t_pipe *p,
		 struct fi_cq_tagged_entry *got, int max)
{
	struct pollfd pfd = { .fd = p->rfd, .events = POLLIN };
	long end = shm_t_now_ms() + 3 * SHM_T_TIMEOUT_MS;
	int n = 0;

	for (;;) {
		struct fi_cq_tagged_entry c;
		ssize_t r = fi_cq_read(t->rx, &c, 1);

		if (r == 1) {
			CHECK(n < max);
			got[n++] = c;
			continue;
		}
		CHECK_RET(r, -FI_EAGAIN);
		if (poll(&pfd, 1, 0) == 1)
			break;
		CHECK(shm_t_now_ms() < end);
	}
	shm_t_sync(p);
	return n;
}

static void target(const struct shm_t_pipe *p)
{
	struct fi_cq_attr cq_attr = { .format = FI_CQ_FORMAT_TAGGED,
				      .size = 64 };
	struct fi_av_attr av_attr = { .type = FI_AV_TABLE };
	struct fi_cntr_attr ca = { .events = FI_CNTR_EVENTS_COMP };
	struct fid_cntr *rw, *rr, *mrc;
	struct fid_mr *mr;
	struct fi_cq_tagged_entry c, got[4];
	struct shm_t t;
	uint64_t key;
	char rbuf[64];

	memset(&t, 0, sizeof(t));
	t.info = shm_t_getinfo(CAPS, FI_THREAD_SAFE);
	CHECK(t.info->caps & FI_RMA_EVENT);
	CHECK_OK(fi_fabric(t.info->fabric_attr, &t.fabric, NULL));
	CHECK_OK(fi_domain(t.fabric, t.info, &t.domain, NULL));
	CHECK_OK(fi_av_open(t.domain, &av_attr, &t.av, NULL));
	CHECK_OK(fi_endpoint(t.domain, t.info, &t.ep, NULL));
	CHECK_OK(fi_cq_open(t.domain, &cq_attr, &t.tx, NULL));
	CHECK_OK(fi_cq_open(t.domain, &cq_attr, &t.rx, NULL));
	CHECK_OK(fi_cntr_open(t.domain, &ca, &rw, NULL));
	CHECK_OK(fi_cntr_open(t.domain, &ca, &rr, NULL));
	CHECK_OK(fi_cntr_open(t.domain, &ca, &mrc, NULL));
	CHECK_OK(fi_ep_bind(t.ep, &t.av->fid, 0));
	CHECK_OK(fi_ep_bind(t.ep, &t.tx->fid, FI_TRANSMIT));
	CHECK_OK(fi_ep_bind(t.ep, &t.rx->fid, FI_RECV));
	CHECK_OK(fi_ep_bind(t.ep, &rw->fid, FI_REMOTE_WRITE));
	CHECK_OK(fi_ep_bind(t.ep, &rr->fid, FI_REMOTE_READ));
	CHECK_OK(fi_enable(t.ep));
	t.namelen = sizeof(t.name);
	CHECK_OK(fi_getname(&t.ep->fid, t.name, &t.namelen));
	(void)shm_t_swap(&t, p);

	memset(region, 0, REGION);
	CHECK_OK(fi_mr_reg(t.domain, region, REGION,
			   FI_REMOTE_READ | FI_REMOTE_WRITE, 0, 0x77, 0, &mr,
			   NULL));
	CHECK_OK(fi_mr_bind(mr, &mrc->fid, FI_REMOTE_WRITE));
	CHECK_OK(fi_mr_enable(mr));
	key = fi_mr_key(mr);
	shm_t_send_bytes(p, &key, sizeof(key));

	/* Part 1: 2 writes, an inject write, a writedata, an atomic
	 * (remote writes: 5), 2 reads; a refused write counts nothing. */
	CHECK(serve(&t, p, got, 4) == 1);
	CHECK(got[0].flags == (FI_RMA | FI_REMOTE_WRITE | FI_REMOTE_CQ_DATA));
	CHECK(got[0].data == 0xda7a && got[0].len == 3000);
	CHECK(cntr_get(rw, 5) == 5);
	CHECK(cntr_get(rr, 2) == 2);
	CHECK(cntr_get(mrc, 5) == 5);
	shm_t_expect_none(t.rx, 20);
	CHECK(fi_cntr_read(rw) == 5 && fi_cntr_read(rr) == 2);
	CHECK(fi_cntr_readerr(rw) == 0 && fi_cntr_readerr(rr) == 0);
	shm_t_sync(p);

	/* The fenced read, then part 2: a fenced send after a large write:
	 * the write is in our memory when the message arrives. */
	CHECK_OK(fi_recv(t.ep, rbuf, sizeof(rbuf), NULL, FI_ADDR_UNSPEC,
			 rbuf));
	CHECK(serve(&t, p, got, 4) == 0);
	shm_t_expect(t.rx, &c, NULL);
	CHECK(c.op_context == rbuf && !strcmp(rbuf, "fenced"));
	CHECK(shm_t_check(region + 500000, BIG, 9));
	shm_t_sync(p);

	CHECK_OK(fi_close(&mr->fid));
	CHECK_OK(fi_close(&t.ep->fid));
	CHECK_OK(fi_close(&rw->fid));
	CHECK_OK(fi_close(&rr->fid));
	CHECK_OK(fi_close(&mrc->fid));
	t.ep = NULL;
	CHECK_OK(fi_close(&t.tx->fid));
	CHECK_OK(fi_close(&t.rx->fid));
	CHECK_OK(fi_close(&t.av->fid));
	CHECK_OK(fi_close(&t.domain->fid));
	CHECK_OK(fi_close(&t.fabric->fid));
	fi_freeinfo(t.info);
}

static void wait_tx(struct shm_t *t, void *ctx)
{
	struct fi_cq_tagged_entry c;

	shm_t_expect(t->tx, &c, NULL);
	CHECK(c.op_context == ctx);
}

static void initiator(const struct shm_t_pipe *p)
{
	struct shm_t t;
	fi_addr_t peer;
	uint64_t key, operand = 5;
	struct fi_cq_err_entry e;
	int ctx[3];

	shm_t_open(&t, FI_MSG | FI_RMA | FI_ATOMIC);
	peer = shm_t_swap(&t, p);
	shm_t_recv_bytes(p, &key, sizeof(key));

	/* Part 1 */
	shm_t_fill(buf, 100000, 1);
	CHECK_OK(fi_write(t.ep, buf, 64, NULL, peer, 0, key, &ctx[0]));
	wait_tx(&t, &ctx[0]);
	CHECK_OK(fi_write(t.ep, buf, 100000, NULL, peer, 1000, key, &ctx[0]));
	wait_tx(&t, &ctx[0]);
	CHECK_OK(fi_inject_write(t.ep, buf, 8, peer, 200000, key));
	CHECK_OK(fi_read(t.ep, back, 100, NULL, peer, 0, key, &ctx[1]));
	wait_tx(&t, &ctx[1]);
	CHECK_OK(fi_read(t.ep, back, 50000, NULL, peer, 1000, key, &ctx[1]));
	wait_tx(&t, &ctx[1]);
	CHECK(shm_t_check(back, 50000, 1));
	CHECK_OK(fi_writedata(t.ep, buf, 3000, NULL, 0xda7a, peer, 300000, key,
			      &ctx[2]));
	wait_tx(&t, &ctx[2]);
	CHECK_OK(fi_atomic(t.ep, &operand, 1, NULL, peer, 400000, key,
			   FI_UINT64, FI_SUM, &ctx[2]));
	wait_tx(&t, &ctx[2]);
	CHECK_OK(fi_write(t.ep, buf, 64, NULL, peer, 0, key + 1, &ctx[0]));
	shm_t_expect_err(t.tx, &e);
	CHECK(e.err == FI_EKEYREJECTED);
	shm_t_sync(p);
	shm_t_sync(p);

	/* FI_FENCE: read right behind a large write sees it. */
	shm_t_fill(buf, BIG, 8);
	CHECK_OK(fi_write(t.ep, buf, BIG, NULL, peer, 500000, key, &ctx[0]));
	{
		struct iovec v = { back, BIG };
		struct fi_rma_iov r = { 500000, BIG, key };
		struct fi_msg_rma m = { .msg_iov = &v, .iov_count = 1,
					.addr = peer, .rma_iov = &r,
					.rma_iov_count = 1,
					.context = &ctx[1] };

		memset(back, 0, BIG);
		SHM_T_POST(t.tx, fi_readmsg(t.ep, &m,
					    FI_COMPLETION | FI_FENCE));
	}
	wait_tx(&t, &ctx[0]);
	wait_tx(&t, &ctx[1]);
	CHECK(shm_t_check(back, BIG, 8));

	/* Part 2: a fenced send behind a large write. */
	shm_t_sync(p);
	shm_t_fill(buf, BIG, 9);
	CHECK_OK(fi_write(t.ep, buf, BIG, NULL, peer, 500000, key, &ctx[0]));
	{
		struct iovec v = { "fenced", 7 };
		struct fi_msg m = { .msg_iov = &v, .iov_count = 1,
				    .addr = peer, .context = &ctx[1] };

		SHM_T_POST(t.tx, fi_sendmsg(t.ep, &m,
					    FI_COMPLETION | FI_FENCE));
	}
	wait_tx(&t, &ctx[0]);
	wait_tx(&t, &ctx[1]);
	shm_t_sync(p);
	shm_t_close(&t);
}

int main(void)
{
	weft_test_require_weft_loaded();
	alarm(100);
	region = malloc(REGION);
	buf = malloc(REGION);
	back = malloc(REGION);
	CHECK(region && buf && back);
	shm_t_each_cma(target, initiator, 20000, 40000);
	free(region);
	free(buf);
	free(back);
	return 0;
}
