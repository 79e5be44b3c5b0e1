/* udp FI_EP_RDM: FI_RMA between two processes (public API only).
 *
 * The initiator writes patterns of 0 B to 4 MiB (many packets) into the
 * target's registered memory and reads them back with every call form
 * (write, writev, writemsg, writedata, inject_write, injectdata, read,
 * readv, readmsg), checking every byte, completion flag and context.
 * Remote CQ data arrives at the target as FI_RMA | FI_REMOTE_WRITE |
 * FI_REMOTE_CQ_DATA entries with the right data; the target's remote
 * write/read counters (FI_RMA_EVENT) count every access that succeeded.
 * Bad keys, ranges outside a region and missing access rights fail at the
 * initiator with FI_EKEYREJECTED, FI_EINVAL and FI_EACCES, the target's
 * memory untouched. FI_DELIVERY_COMPLETE: once a write's completion is
 * seen, the target finds the data in its memory without driving progress.
 * The target only drives progress and answers commands on the pipe. */
#include "udp_rdm_test.h"

#define REGION ((size_t)8 << 20)
#define KEY_RW 0x1234
#define KEY_RO 0x55
#define KEY_WO 0x66
#define CAPS (FI_MSG | FI_RMA | FI_RMA_EVENT)
#define MAX_CQD 16

static uint8_t *region, *ro_region, *wo_region;

/* Pipe commands from the initiator. */
struct cmd {
	char op;          /* 'c' check memory, 'd' done */
	uint64_t off, len;
	uint32_t seed;
	/* 'd': what the target must have seen */
	uint64_t writes, reads, ncqd;
	uint64_t cqd[MAX_CQD];
};

static void target(struct rdm_side *s)
{
	struct fi_cntr_attr ca = {.events = FI_CNTR_EVENTS_COMP};
	struct fid_mr *rw, *ro, *wo;
	struct fid_cntr *wc, *rc;
	struct pollfd pfd = {.fd = s->rfd, .events = POLLIN};
	struct fi_cq_tagged_entry seen[MAX_CQD];
	size_t nseen = 0;
	struct cmd c;

	rdm_t_open(s, CAPS);
	CHECK_OK(fi_cntr_open(s->t.domain, &ca, &wc, NULL));
	CHECK_OK(fi_cntr_open(s->t.domain, &ca, &rc, NULL));
	CHECK_OK(fi_ep_bind(s->e.ep, &wc->fid, FI_REMOTE_WRITE));
	CHECK_OK(fi_ep_bind(s->e.ep, &rc->fid, FI_REMOTE_READ));
	rdm_t_enable(s);
	memset(region, 0xee, REGION);
	memset(ro_region, 0x11, 4096);
	memset(wo_region, 0x22, 4096);
	CHECK_OK(fi_mr_reg(s->t.domain, region, REGION,
			   FI_REMOTE_READ | FI_REMOTE_WRITE, 0, KEY_RW, 0, &rw,
			   NULL));
	CHECK_OK(fi_mr_reg(s->t.domain, ro_region, 4096, FI_REMOTE_READ, 0,
			   KEY_RO, 0, &ro, NULL));
	CHECK_OK(fi_mr_reg(s->t.domain, wo_region, 4096, FI_REMOTE_WRITE, 0,
			   KEY_WO, 0, &wo, NULL));
	rdm_t_sync(s);
	for (unsigned i = 1;; i++) {
		struct fi_cq_tagged_entry e;

		if (fi_cq_read(s->e.rx, &e, 1) == 1) {
			CHECK(nseen < MAX_CQD);
			seen[nseen++] = e;
		}
		if ((i & 63) || poll(&pfd, 1, 0) == 0)
			continue;
		rdm_t_recv(s, &c, sizeof(c));
		if (c.op == 'd')
			break;
		/* 'c': no progress since the completion: the bytes must be
		 * in place already (FI_DELIVERY_COMPLETE). */
		rdm_t_verify(region + c.off, c.len, c.seed);
		rdm_t_send(s, "k", 1);
	}
	CHECK(fi_cntr_read(wc) == c.writes);
	CHECK(fi_cntr_read(rc) == c.reads);
	CHECK(fi_cntr_readerr(wc) == 0 && fi_cntr_readerr(rc) == 0);
	CHECK(nseen == c.ncqd);
	for (size_t i = 0; i < nseen; i++) {
		CHECK(seen[i].flags ==
		      (FI_RMA | FI_REMOTE_WRITE | FI_REMOTE_CQ_DATA));
		CHECK(seen[i].data == c.cqd[i]);
	}
	for (int i = 0; i < 4096; i++)
		CHECK(ro_region[i] == 0x11 && wo_region[i] == 0x22);
	rdm_t_sync(s);
	CHECK_OK(fi_close(&rw->fid));
	CHECK_OK(fi_close(&ro->fid));
	CHECK_OK(fi_close(&wo->fid));
	udp_t_ep_close(&s->e);
	CHECK_OK(fi_close(&wc->fid));
	CHECK_OK(fi_close(&rc->fid));
	udp_t_close(&s->t);
}

/* ---- the initiator ------------------------------------------------------- */

static struct rdm_side *S;
static uint8_t *src, *dst;
static struct cmd done = {.op = 'd'};

static void put(uint64_t off, const void *b, size_t len)
{
	int ctx;

	CHECK_OK(fi_write(S->e.ep, b, len, NULL, S->peer, off, KEY_RW, &ctx));
	rdm_t_ok(S->e.tx, &ctx, FI_RMA | FI_WRITE, NULL);
	done.writes++;
}

static void get(uint64_t off, void *b, size_t len)
{
	int ctx;

	CHECK_OK(fi_read(S->e.ep, b, len, NULL, S->peer, off, KEY_RW, &ctx));
	rdm_t_ok(S->e.tx, &ctx, FI_RMA | FI_READ, NULL);
	done.reads++;
}

static void sizes(void)
{
	static const size_t lens[] = {0, 1, 13, 1000, 4096, 16391, 65536,
				      (1 << 20) + 3, 4 << 20};
	uint64_t off = 5;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i];

		rdm_t_fill(src, len, (uint32_t)i + 1);
		memset(dst, 0, len + 1);
		put(off, src, len);
		get(off, dst, len);
		rdm_t_verify(dst, len, (uint32_t)i + 1);
		CHECK(dst[len] == 0); /* nothing beyond */
		off = (off + len + 4095) & ~(uint64_t)4095;
		if (off + (4 << 20) > REGION)
			off = 17;
	}
}

static void forms(void)
{
	struct fi_cq_tagged_entry c;
	struct iovec v[4];
	struct fi_rma_iov rv = {.addr = 100000, .len = 3000, .key = KEY_RW};
	struct fi_msg_rma m = {.msg_iov = v, .iov_count = 4,
			       .addr = S->peer, .rma_iov = &rv,
			       .rma_iov_count = 1};
	int ctx;

	/* writev from 4 pieces, readv into 3 */
	rdm_t_fill(src, 3000, 40);
	v[0] = (struct iovec){src, 1};
	v[1] = (struct iovec){src + 1, 999};
	v[2] = (struct iovec){src + 1000, 0};
	v[3] = (struct iovec){src + 1000, 2000};
	CHECK_OK(fi_writev(S->e.ep, v, NULL, 4, S->peer, 100000, KEY_RW,
			   &ctx));
	rdm_t_ok(S->e.tx, &ctx, FI_RMA | FI_WRITE, NULL);
	done.writes++;
	memset(dst, 0, 3000);
	v[0] = (struct iovec){dst, 1500};
	v[1] = (struct iovec){dst + 1500, 500};
	v[2] = (struct iovec){dst + 2000, 1000};
	CHECK_OK(fi_readv(S->e.ep, v, NULL, 3, S->peer, 100000, KEY_RW,
			  &ctx));
	rdm_t_ok(S->e.tx, &ctx, FI_RMA | FI_READ, NULL);
	done.reads++;
	rdm_t_verify(dst, 3000, 40);

	/* writemsg with remote CQ data, readmsg */
	rdm_t_fill(src, 3000, 41);
	v[0] = (struct iovec){src, 1000};
	v[1] = (struct iovec){src + 1000, 1000};
	v[2] = (struct iovec){src + 2000, 500};
	v[3] = (struct iovec){src + 2500, 500};
	m.context = &ctx;
	m.data = 0xabcdef01;
	CHECK_OK(fi_writemsg(S->e.ep, &m,
			     FI_COMPLETION | FI_REMOTE_CQ_DATA |
				     FI_DELIVERY_COMPLETE));
	rdm_t_ok(S->e.tx, &ctx, FI_RMA | FI_WRITE, &c);
	CHECK(c.flags == (FI_RMA | FI_WRITE));
	done.writes++;
	done.cqd[done.ncqd++] = 0xabcdef01;
	memset(dst, 0, 3000);
	v[0] = (struct iovec){dst, 3000};
	m.iov_count = 1;
	CHECK_OK(fi_readmsg(S->e.ep, &m, FI_COMPLETION));
	rdm_t_ok(S->e.tx, &ctx, FI_RMA | FI_READ, &c);
	CHECK(c.flags == (FI_RMA | FI_READ));
	done.reads++;
	rdm_t_verify(dst, 3000, 41);
	/* the lengths of a msg call must agree */
	rv.len = 2999;
	CHECK_RET(fi_readmsg(S->e.ep, &m, FI_COMPLETION), -FI_EINVAL);
	m.rma_iov_count = 2;
	CHECK_RET(fi_writemsg(S->e.ep, &m, 0), -FI_EINVAL);

	/* writedata */
	rdm_t_fill(src, 777, 42);
	CHECK_OK(fi_writedata(S->e.ep, src, 777, NULL, 0x42, S->peer, 200000,
			      KEY_RW, &ctx));
	rdm_t_ok(S->e.tx, &ctx, FI_RMA | FI_WRITE, NULL);
	done.writes++;
	done.cqd[done.ncqd++] = 0x42;

	/* inject_write and injectdata: no completion, the buffer is free at
	 * once; the read after them sees their data (in order). */
	rdm_t_fill(src, 500, 43);
	CHECK_OK(fi_inject_write(S->e.ep, src, 500, S->peer, 300000, KEY_RW));
	memset(src, 0, 500);
	rdm_t_fill(src + 500, 64, 44);
	CHECK_OK(fi_inject_writedata(S->e.ep, src + 500, 64, 0x4444, S->peer,
				     301000, KEY_RW));
	memset(src + 500, 0, 64);
	done.writes += 2;
	done.cqd[done.ncqd++] = 0x4444;
	CHECK_RET(fi_inject_write(S->e.ep, src, 1025, S->peer, 300000, KEY_RW),
		  -FI_EMSGSIZE);
	get(300000, dst, 500);
	rdm_t_verify(dst, 500, 43);
	get(301000, dst, 64);
	rdm_t_verify(dst, 64, 44);
	udp_t_expect_none(S->e.tx, 50); /* no entries for the injects */
}

static void refused(void)
{
	int ctx;

	/* unknown key, outside the region, no access: error at the
	 * initiator, the target's memory untouched */
	rdm_t_fill(src, 1 << 20, 50);
	CHECK_OK(fi_write(S->e.ep, src, 100, NULL, S->peer, 0, KEY_RW + 99,
			  &ctx));
	rdm_t_err(S->e.tx, &ctx, FI_EKEYREJECTED);
	CHECK_OK(fi_write(S->e.ep, src, 1 << 20, NULL, S->peer, 0,
			  KEY_RW + 99, &ctx));
	rdm_t_err(S->e.tx, &ctx, FI_EKEYREJECTED);
	CHECK_OK(fi_read(S->e.ep, dst, 100, NULL, S->peer, 0, KEY_RW + 99,
			 &ctx));
	rdm_t_err(S->e.tx, &ctx, FI_EKEYREJECTED);
	CHECK_OK(fi_write(S->e.ep, src, 100, NULL, S->peer, REGION - 10,
			  KEY_RW, &ctx));
	rdm_t_err(S->e.tx, &ctx, FI_EINVAL);
	CHECK_OK(fi_read(S->e.ep, dst, 4097, NULL, S->peer, 0, KEY_RO, &ctx));
	rdm_t_err(S->e.tx, &ctx, FI_EINVAL);
	CHECK_OK(fi_write(S->e.ep, src, 100, NULL, S->peer, 0, KEY_RO, &ctx));
	rdm_t_err(S->e.tx, &ctx, FI_EACCES);
	CHECK_OK(fi_writedata(S->e.ep, src, 100, NULL, 7, S->peer, 0, KEY_RO,
			      &ctx));
	rdm_t_err(S->e.tx, &ctx, FI_EACCES);
	CHECK_OK(fi_read(S->e.ep, dst, 100, NULL, S->peer, 0, KEY_WO, &ctx));
	rdm_t_err(S->e.tx, &ctx, FI_EACCES);
	/* what is allowed still works, and the refused write left the end
	 * of the region as the target set it */
	get(REGION - 10, dst, 10);
	for (int i = 0; i < 10; i++)
		CHECK(dst[i] == 0xee);
	get(0, dst, 0);
	CHECK_OK(fi_read(S->e.ep, dst, 4096, NULL, S->peer, 0, KEY_RO, &ctx));
	rdm_t_ok(S->e.tx, &ctx, FI_RMA | FI_READ, NULL);
	done.reads++;
	for (int i = 0; i < 4096; i++)
		CHECK(dst[i] == 0x11);
	/* bad input at the initiator */
	CHECK_RET(fi_write(S->e.ep, src, 10, NULL, 9999, 0, KEY_RW, &ctx),
		  -FI_EINVAL);
	CHECK_RET(fi_write(S->e.ep, NULL, 10, NULL, S->peer, 0, KEY_RW, &ctx),
		  -FI_EINVAL);
}

/* FI_DELIVERY_COMPLETE: after the completion the target checks its
 * memory without making progress. */
static void delivery(void)
{
	struct iovec v;
	struct fi_rma_iov rv = {.key = KEY_RW};
	struct fi_msg_rma m = {.msg_iov = &v, .iov_count = 1,
			       .addr = S->peer, .rma_iov = &rv,
			       .rma_iov_count = 1};
	struct cmd c = {.op = 'c'};
	char k;
	int ctx;

	for (uint32_t i = 0; i < 6; i++) {
		size_t len = i % 2 ? 65536 + i : 100 + i;

		rdm_t_fill(src, len, 60 + i);
		v = (struct iovec){src, len};
		rv.addr = rv.len = 0;
		rv.addr = 500000 + i * 70000;
		rv.len = len;
		m.context = &ctx;
		CHECK_OK(fi_writemsg(S->e.ep, &m,
				     FI_COMPLETION |
					     (i < 3 ? FI_DELIVERY_COMPLETE
						    : FI_TRANSMIT_COMPLETE)));
		rdm_t_ok(S->e.tx, &ctx, FI_RMA | FI_WRITE, NULL);
		done.writes++;
		c.off = rv.addr;
		c.len = len;
		c.seed = 60 + i;
		rdm_t_send(S, &c, sizeof(c));
		rdm_t_recv(S, &k, 1);
		CHECK(k == 'k');
	}
}

static void initiator(struct rdm_side *s)
{
	S = s;
	src = malloc((4 << 20) + 1);
	dst = malloc((4 << 20) + 1);
	CHECK(src && dst);
	rdm_t_open(s, CAPS);
	rdm_t_enable(s);
	rdm_t_sync(s);
	sizes();
	forms();
	refused();
	delivery();
	rdm_t_send(s, &done, sizeof(done));
	rdm_t_sync(s);
	rdm_t_close(s);
	free(src);
	free(dst);
}

int main(void)
{
	struct rdm_side s;
	pid_t pid;

	weft_test_require_weft_loaded();
	alarm(100);
	region = malloc(REGION);
	ro_region = malloc(4096);
	wo_region = malloc(4096);
	CHECK(region && ro_region && wo_region);
	pid = rdm_t_fork(&s);
	if (pid == 0) {
		alarm(60);
		initiator(&s);
		_exit(0);
	}
	target(&s);
	CHECK(rdm_t_reap(pid, 30000) == 0);
	free(region);
	free(ro_region);
	free(wo_region);
	return 0;
}
