/* shm: completion levels as fi_cq(3) defines them.
 *  - FI_INJECT_COMPLETE (4000 bytes): completes while the receiver does
 *    nothing; the sender then overwrites its buffer and the receiver still
 *    gets the original bytes.
 *  - FI_TRANSMIT_COMPLETE, inline (100 bytes): completes while the
 *    receiver does nothing (the data is in the receiver's ring).
 *  - FI_TRANSMIT_COMPLETE, 4000 bytes: once complete, the sender closes
 *    its endpoint at once, and the receiver still gets every byte (the
 *    message no longer depends on the sender's resources).
 *  - FI_DELIVERY_COMPLETE with FI_INJECT, inline: no completion while the
 *    receiver does nothing; it comes once the receiver has taken the
 *    message into its buffer. The same for an inject RMA write: completes
 *    only once the target has written its memory.
 *  - FI_DELIVERY_COMPLETE of a 100000-byte message: complete only after
 *    the receiver has the data.
 * Runs with CMA and with FI_SHM_CMA=0. */
#include <poll.h>
#include <stdlib.h>

#include <rdma/fi_rma.h>

#include "shm_test.h"

#define CAPS (FI_MSG | FI_RMA)
#define BIG 100000

static char *sbuf, *rbuf, *region;

static void sendmsg_flags(struct shm_t *t, fi_addr_t to, void *buf,
			  size_t len, uint64_t flags, void *ctx)
{
	struct iovec v = { buf, len };
	struct fi_msg m = { .msg_iov = &v, .iov_count = 1, .addr = to,
			    .context = ctx };

	SHM_T_POST(t->tx, fi_sendmsg(t->ep, &m, flags | FI_COMPLETION));
}

static void wait_tx(struct shm_t *t, void *ctx)
{
	struct fi_cq_tagged_entry c;

	shm_t_expect(t->tx, &c, NULL);
	CHECK(c.op_context == ctx);
}

static void sender(const struct shm_t_pipe *p)
{
	struct shm_t t;
	fi_addr_t peer;
	uint64_t key;
	int ctx;

	shm_t_open(&t, CAPS);
	peer = shm_t_swap(&t, p);
	shm_t_recv_bytes(p, &key, sizeof(key));

	/* inject complete: the receiver is blocked on the pipe */
	shm_t_fill(sbuf, 4000, 1);
	sendmsg_flags(&t, peer, sbuf, 4000, FI_INJECT_COMPLETE, &ctx);
	wait_tx(&t, &ctx);
	memset(sbuf, 0xee, 4000);
	/* transmit complete, inline */
	shm_t_fill(sbuf + 8192, 100, 2);
	sendmsg_flags(&t, peer, sbuf + 8192, 100, FI_TRANSMIT_COMPLETE, &ctx);
	wait_tx(&t, &ctx);
	shm_t_sync(p);

	/* delivery complete + inject, inline: not before the receiver
	 * took it */
	shm_t_fill(sbuf, 100, 3);
	sendmsg_flags(&t, peer, sbuf, 100, FI_INJECT | FI_DELIVERY_COMPLETE,
		      &ctx);
	memset(sbuf, 0xee, 100);
	shm_t_expect_none(t.tx, 200);
	shm_t_sync(p);
	wait_tx(&t, &ctx);
	/* The receiver may still be inside the progress call that took the
	 * message: let it leave before posting, or it serves the write in
	 * the same pass and the completion comes early. */
	shm_t_sync(p);

	/* the same for an inject RMA write */
	{
		struct iovec v = { sbuf, 64 };
		struct fi_rma_iov r = { 4096, 64, key };
		struct fi_msg_rma m = { .msg_iov = &v, .iov_count = 1,
					.addr = peer, .rma_iov = &r,
					.rma_iov_count = 1, .context = &ctx };

		shm_t_fill(sbuf, 64, 4);
		SHM_T_POST(t.tx, fi_writemsg(t.ep, &m,
					     FI_INJECT | FI_DELIVERY_COMPLETE |
						     FI_COMPLETION));
		memset(sbuf, 0xee, 64);
		shm_t_expect_none(t.tx, 200);
		shm_t_sync(p); /* the target serves now */
		wait_tx(&t, &ctx);
		shm_t_sync(p);
	}

	/* delivery complete, large */
	shm_t_fill(sbuf, BIG, 5);
	sendmsg_flags(&t, peer, sbuf, BIG, FI_DELIVERY_COMPLETE, &ctx);
	shm_t_expect_none(t.tx, 200);
	shm_t_sync(p);
	wait_tx(&t, &ctx);
	shm_t_sync(p);

	/* transmit complete, 4000 bytes, then gone */
	shm_t_fill(sbuf, 4000, 6);
	sendmsg_flags(&t, peer, sbuf, 4000, FI_TRANSMIT_COMPLETE, &ctx);
	wait_tx(&t, &ctx);
	shm_t_close(&t);
	shm_t_sync(p);
}

static void receiver(const struct shm_t_pipe *p)
{
	struct shm_t t;
	struct fid_mr *mr;
	struct fi_cq_tagged_entry c;
	struct pollfd pfd = { .fd = p->rfd, .events = POLLIN };
	uint64_t key;

	shm_t_open(&t, CAPS);
	(void)shm_t_swap(&t, p);
	memset(region, 0, 65536);
	CHECK_OK(fi_mr_reg(t.domain, region, 65536, FI_REMOTE_WRITE, 0, 5, 0,
			   &mr, NULL));
	key = fi_mr_key(mr);
	shm_t_send_bytes(p, &key, sizeof(key));

	shm_t_sync(p);
	CHECK_OK(fi_recv(t.ep, rbuf, 4000, NULL, FI_ADDR_UNSPEC, rbuf));
	shm_t_expect(t.rx, &c, NULL);
	CHECK(c.len == 4000 && shm_t_check(rbuf, 4000, 1));
	CHECK_OK(fi_recv(t.ep, rbuf, 100, NULL, FI_ADDR_UNSPEC, rbuf));
	shm_t_expect(t.rx, &c, NULL);
	CHECK(c.len == 100 && shm_t_check(rbuf, 100, 2));

	shm_t_sync(p);
	CHECK_OK(fi_recv(t.ep, rbuf, 100, NULL, FI_ADDR_UNSPEC, rbuf));
	shm_t_expect(t.rx, &c, NULL);
	CHECK(c.len == 100 && shm_t_check(rbuf, 100, 3));
	shm_t_sync(p); /* out of progress: the sender may post the write */

	/* serve the RMA until the sender saw its completion */
	shm_t_sync(p);
	while (poll(&pfd, 1, 0) == 0)
		(void)fi_cq_read(t.rx, &c, 0);
	shm_t_sync(p);
	CHECK(shm_t_check(region + 4096, 64, 4));

	shm_t_sync(p);
	CHECK_OK(fi_recv(t.ep, rbuf, BIG, NULL, FI_ADDR_UNSPEC, rbuf));
	shm_t_expect(t.rx, &c, NULL);
	CHECK(c.len == BIG && shm_t_check(rbuf, BIG, 5));
	while (poll(&pfd, 1, 0) == 0)
		(void)fi_cq_read(t.rx, &c, 0);
	shm_t_sync(p);

	CHECK_OK(fi_recv(t.ep, rbuf, 4000, NULL, FI_ADDR_UNSPEC, rbuf));
	shm_t_expect(t.rx, &c, NULL);
	CHECK(c.len == 4000 && shm_t_check(rbuf, 4000, 6));
	shm_t_sync(p);
	CHECK_OK(fi_close(&mr->fid));
	shm_t_close(&t);
}

int main(void)
{
	weft_test_require_weft_loaded();
	alarm(100);
	sbuf = malloc(BIG);
	rbuf = malloc(BIG);
	region = malloc(65536);
	CHECK(sbuf && rbuf && region);
	shm_t_each_cma(receiver, sender, 20000, 40000);
	free(sbuf);
	free(rbuf);
	free(region);
	return 0;
}
