/* Bad input on completion queues, through the public API on the udp
 * provider: fi_cq_open attributes (format, wait object, flags, condition,
 * size), reads into NULL, blocking reads without a wait object, timeouts,
 * fi_control, fi_cq_strerror. Every case must answer a negative FI_E* code
 * (or, where noted, just not crash); checks are soft so one run lists every
 * deviation. */
#include <sys/wait.h>
#include <unistd.h>

#include "udp_test.h"
#include "bad_input.h"

/* Put one successful completion in a's tx CQ (a send to b). */
static void make_completion(struct udp_t_ep *a, struct udp_t_ep *b)
{
	static char buf[8];
	struct fi_cq_data_entry c;

	CHECK_OK(fi_send(a->ep, buf, sizeof(buf), NULL, b->addr, NULL));
	/* udp completes sends inside the call; wait for b's receive side
	 * anyway so nothing is left in flight. */
	(void)c;
}

static void check_cq_open(struct udp_t *t)
{
	struct fi_cq_attr attr = {.format = FI_CQ_FORMAT_CONTEXT, .size = 16};
	struct fid_cq *cq = NULL;

	EXPECT_RET_FORKED(fi_cq_open(t->domain, NULL, &cq, NULL), -FI_EINVAL);
	EXPECT_RET_FORKED(fi_cq_open(t->domain, &attr, NULL, NULL),
			  -FI_EINVAL);
	attr.format = (enum fi_cq_format)99;
	EXPECT_RET(fi_cq_open(t->domain, &attr, &cq, NULL), -FI_EINVAL);
	attr.format = FI_CQ_FORMAT_CONTEXT;
	attr.wait_obj = (enum fi_wait_obj)99;
	EXPECT_NEG(fi_cq_open(t->domain, &attr, &cq, NULL));
	attr.wait_obj = FI_WAIT_SET; /* with no wait set */
	EXPECT_NEG(fi_cq_open(t->domain, &attr, &cq, NULL));
	attr.wait_obj = FI_WAIT_NONE;
	attr.flags = 1ULL << 40;
	EXPECT_RET(fi_cq_open(t->domain, &attr, &cq, NULL), -FI_EINVAL);
	attr.flags = 0;
	attr.wait_cond = (enum fi_cq_wait_cond)99;
	EXPECT_NEG(fi_cq_open(t->domain, &attr, &cq, NULL));
	attr.wait_cond = FI_CQ_COND_NONE;
	attr.size = SIZE_MAX; /* cannot be allocated */
	EXPECT_NEG_FORKED(fi_cq_open(t->domain, &attr, &cq, NULL));
	CHECK(cq == NULL);
}

static void check_cq_ops(struct udp_t *t, struct udp_t_ep *a,
			 struct udp_t_ep *b)
{
	struct fi_cq_attr attr = {.format = FI_CQ_FORMAT_DATA,
				  .wait_obj = FI_WAIT_FD, .size = 16};
	struct fid_cq *wcq;
	struct fi_cq_data_entry c;
	struct fi_cq_err_entry err;
	fi_addr_t src;
	char sbuf[64];
	int fd;

	/* Empty: -FI_EAGAIN, and no error to read. */
	EXPECT_RET(fi_cq_read(a->tx, &c, 1), -FI_EAGAIN);
	EXPECT_RET(fi_cq_readerr(a->tx, &err, 0), -FI_EAGAIN);

	/* NULL output buffers with something to read. */
	make_completion(a, b);
	EXPECT_RET_FORKED(fi_cq_read(a->tx, NULL, 1), -FI_EINVAL);
	EXPECT_NOCRASH_FORKED(fi_cq_readfrom(a->tx, &c, 1, NULL));
	EXPECT_RET_FORKED(fi_cq_readerr(a->tx, NULL, 0), -FI_EINVAL);
	CHECK_RET(fi_cq_read(a->tx, &c, 1), 1);
	{
		/* Let b's receive side settle: the receive was never posted,
		 * so the datagram is dropped, nothing to read. */
		struct fi_cq_data_entry rc;
		(void)fi_cq_read(b->rx, &rc, 1);
	}

	/* Blocking reads on a CQ without a wait object must not block. */
	EXPECT_NEG(fi_cq_sread(a->tx, &c, 1, NULL, 100));
	EXPECT_NEG(fi_cq_sreadfrom(a->tx, &c, 1, &src, NULL, 100));
	/* FI_GETWAIT on it has nothing to give. */
	EXPECT_NEG(fi_control(&a->tx->fid, FI_GETWAIT, &fd));
	EXPECT_RET(fi_control(&a->tx->fid, 12345, NULL), -FI_ENOSYS);

	/* With a wait object: timeout means -FI_EAGAIN (fi_cq(3)). */
	CHECK_OK(fi_cq_open(t->domain, &attr, &wcq, NULL));
	EXPECT_RET(fi_cq_sread(wcq, &c, 1, NULL, 50), -FI_EAGAIN);
	EXPECT_RET(fi_cq_sreadfrom(wcq, &c, 1, &src, NULL, 50), -FI_EAGAIN);
	EXPECT_RET_FORKED(fi_control(&wcq->fid, FI_GETWAIT, NULL), -FI_EINVAL);
	CHECK_OK(fi_close(&wcq->fid));

	/* fi_cq_strerror with odd arguments. */
	EXPECT_NOCRASH_FORKED(fi_cq_strerror(a->tx, 12345, NULL, NULL, 0));
	EXPECT_NOCRASH_FORKED(fi_cq_strerror(a->tx, -1, NULL, sbuf, 1));
}

int main(void)
{
	struct udp_t t;
	struct udp_t_ep a, b;

	weft_test_require_weft_loaded();
	udp_t_open(&t, udp_t_getinfo(0, FI_MSG));
	udp_t_ep_open(&t, &a);
	udp_t_ep_open(&t, &b);
	check_cq_open(&t);
	check_cq_ops(&t, &a, &b);
	udp_t_ep_close(&a);
	udp_t_ep_close(&b);
	udp_t_close(&t);
	if (failures)
		fprintf(stderr, "%d bad-input expectation(s) not met\n",
			failures);
	return failures ? 1 : 0;
}
