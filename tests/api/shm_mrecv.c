/* shm: FI_MULTI_RECV. A sender streams messages of mixed sizes (inline,
 * eager, rendezvous), some before the receiver has posted anything (they
 * wait as unexpected messages and land in the first buffer). The receiver
 * keeps two multi-receive buffers posted with fi_recvmsg(FI_MULTI_RECV)
 * and FI_OPT_MIN_MULTI_RECV set to the largest message, and checks for
 * every completion: the buffer (context) and the offset it predicts from
 * the order messages were sent, the length, the bytes, and that exactly
 * one completion per buffer carries FI_MULTI_RECV and that it is the last
 * for that buffer; a released buffer is posted again and traffic goes on.
 * Then fi_cancel of a posted buffer (FI_ECANCELED with FI_MULTI_RECV),
 * and argument checks. Runs with CMA and with FI_SHM_CMA=0, and both
 * again with a receive queue of 2 entries (rx_attr->size), so that
 * messages wait for an entry to land in a buffer (in order). */
#include <stdlib.h>

#include "shm_test.h"

#define CAPS (FI_MSG | FI_MULTI_RECV)
#define NMSG 240
#define NEARLY 8 /* sent before the receiver posts a buffer */
#define BUFSZ (64 * 1024)
#define NPHYS 3
#define MAXINST 64

static size_t rx_size;
static const size_t sizes[] = { 8, 100, 192, 700, 4000, 9000, 20000, 64 };
#define MAXMSG 20000

static size_t msg_size(unsigned i)
{
	return sizes[i % (sizeof(sizes) / sizeof(sizes[0]))];
}

static void sender(const struct shm_t_pipe *p)
{
	struct shm_t t;
	fi_addr_t peer;
	char *bufs[NMSG];
	unsigned done = 0;

	shm_t_open(&t, CAPS);
	peer = shm_t_swap(&t, p);
	for (unsigned i = 0; i < NMSG; i++) {
		size_t s = msg_size(i);

		bufs[i] = malloc(s);
		CHECK(bufs[i]);
		memcpy(bufs[i], &i, 4);
		shm_t_fill(bufs[i] + 4, s - 4, i);
	}
	for (unsigned i = 0; i < NMSG; i++) {
		struct fi_cq_tagged_entry c;

		if (i == NEARLY)
			shm_t_sync(p); /* the receiver posts now */
		SHM_T_POST(t.tx, fi_send(t.ep, bufs[i], msg_size(i), NULL, peer,
					 bufs[i]));
		while (fi_cq_read(t.tx, &c, 1) == 1)
			done++;
	}
	while (done < NMSG) {
		struct fi_cq_tagged_entry c;

		shm_t_expect(t.tx, &c, NULL);
		done++;
	}
	shm_t_sync(p);
	for (unsigned i = 0; i < NMSG; i++)
		free(bufs[i]);
	shm_t_close(&t);
}

struct inst {
	int phys;          /* which buffer */
	unsigned nmsg;     /* messages the model puts in it */
	unsigned got;      /* completions seen */
	bool released;
};

static char *mem[NPHYS];
static int ctx[NPHYS];
static struct inst inst[MAXINST];
static unsigned ninst;
static int phys_inst[NPHYS]; /* instance currently posted in each */

static void post(struct shm_t *t, int b)
{
	struct iovec iov = { mem[b], BUFSZ };
	struct fi_msg m = { .msg_iov = &iov, .iov_count = 1,
			    .addr = FI_ADDR_UNSPEC, .context = &ctx[b] };

	CHECK(ninst < MAXINST);
	memset(mem[b], 0, BUFSZ);
	inst[ninst].phys = b;
	phys_inst[b] = (int)ninst++;
	CHECK_OK(fi_recvmsg(t->ep, &m, FI_MULTI_RECV));
}

static void receiver(const struct shm_t_pipe *p)
{
	struct shm_t t;
	size_t min = MAXMSG, used = 0;
	unsigned pred_inst[NMSG];
	size_t pred_off[NMSG];
	bool seen[NMSG] = { false };
	unsigned k = 0, completed = 0;
	struct fi_cq_tagged_entry c;
	struct fi_cq_err_entry err;
	size_t optlen = sizeof(size_t), got = 0;
	struct shm_t_opts o = { .rx_size = rx_size };

	shm_t_open_ex(&t, CAPS, &o);
	CHECK(t.info->caps & FI_MULTI_RECV);
	(void)shm_t_swap(&t, p);
	CHECK_OK(fi_setopt(&t.ep->fid, FI_OPT_ENDPOINT, FI_OPT_MIN_MULTI_RECV,
			   &min, sizeof(min)));
	CHECK_OK(fi_getopt(&t.ep->fid, FI_OPT_ENDPOINT, FI_OPT_MIN_MULTI_RECV,
			   &got, &optlen));
	CHECK(got == MAXMSG);

	/* The model: instance k takes messages in send order until less
	 * than min bytes are left. */
	for (unsigned i = 0; i < NMSG; i++) {
		pred_inst[i] = k;
		pred_off[i] = used;
		used += msg_size(i);
		inst[k].nmsg++;
		if (BUFSZ - used < min) {
			k++;
			used = 0;
		}
	}
	CHECK(k + 2 < MAXINST);

	for (int b = 0; b < NPHYS; b++) {
		mem[b] = malloc(BUFSZ);
		CHECK(mem[b]);
	}
	/* The first messages arrive with nothing posted. */
	shm_t_sync(p);
	for (int i = 0; i < 50; i++) {
		CHECK_RET(fi_cq_read(t.rx, &c, 1), -FI_EAGAIN);
		usleep(1000);
	}
	post(&t, 0);
	post(&t, 1);

	while (completed < NMSG) {
		unsigned idx;
		int b;
		struct inst *in;

		shm_t_expect(t.rx, &c, NULL);
		b = (int)((int *)c.op_context - ctx);
		CHECK(b >= 0 && b < NPHYS);
		in = &inst[phys_inst[b]];
		CHECK(!in->released);
		CHECK((c.flags & (FI_RECV | FI_MSG)) == (FI_RECV | FI_MSG));
		CHECK((char *)c.buf >= mem[b] &&
		      (char *)c.buf + c.len <= mem[b] + BUFSZ);
		memcpy(&idx, c.buf, 4);
		CHECK(idx < NMSG && !seen[idx]);
		seen[idx] = true;
		CHECK(c.len == msg_size(idx));
		CHECK(shm_t_check((char *)c.buf + 4, c.len - 4, idx));
		CHECK(pred_inst[idx] == (unsigned)phys_inst[b]);
		CHECK((char *)c.buf == mem[b] + pred_off[idx]);
		in->got++;
		completed++;
		if (c.flags & FI_MULTI_RECV) {
			/* the last entry of this buffer, and only once */
			CHECK(in->got == in->nmsg);
			in->released = true;
			/* replaced: traffic continues into it */
			post(&t, b);
		} else {
			CHECK(in->got < in->nmsg || phys_inst[b] == (int)k);
		}
	}
	shm_t_sync(p);
	/* Everything released but the instance the model left open (k)
	 * and the one posted behind it. */
	for (unsigned i = 0; i < ninst; i++)
		CHECK(inst[i].released == (i < k));

	/* fi_cancel: both posted buffers end with FI_ECANCELED and
	 * FI_MULTI_RECV (nothing in flight). */
	for (int b = 0; b < NPHYS; b++) {
		if (inst[phys_inst[b]].released || phys_inst[b] < (int)k)
			continue;
		CHECK_OK(fi_cancel(&t.ep->fid, &ctx[b]));
		shm_t_expect_err(t.rx, &err);
		CHECK(err.op_context == &ctx[b]);
		CHECK(err.err == FI_ECANCELED);
		CHECK(err.flags & FI_MULTI_RECV);
		CHECK_RET(fi_cancel(&t.ep->fid, &ctx[b]), -FI_ENOENT);
	}
	shm_t_expect_none(t.rx, 20);

	/* Bad arguments: one iov with a base and a length. */
	{
		struct iovec v[2] = { { mem[0], 100 }, { mem[1], 100 } };
		struct fi_msg m = { .msg_iov = v, .iov_count = 2,
				    .addr = FI_ADDR_UNSPEC,
				    .context = &ctx[0] };

		CHECK_RET(fi_recvmsg(t.ep, &m, FI_MULTI_RECV), -FI_EINVAL);
		v[0].iov_len = 0;
		m.iov_count = 1;
		CHECK_RET(fi_recvmsg(t.ep, &m, FI_MULTI_RECV), -FI_EINVAL);
	}
	for (int b = 0; b < NPHYS; b++)
		free(mem[b]);
	shm_t_close(&t);
}

static int run_mode(const char *cma, size_t rxs)
{
	struct shm_t_pipe p[2];
	pid_t child;

	setenv("FI_SHM_CMA", cma, 1);
	rx_size = rxs;
	shm_t_pipes(p);
	child = shm_t_fork();
	CHECK(child >= 0);
	if (child == 0) {
		alarm(60);
		close(p[0].rfd);
		close(p[0].wfd);
		sender(&p[1]);
		exit(0);
	}
	close(p[1].rfd);
	close(p[1].wfd);
	receiver(&p[0]);
	CHECK(shm_t_reap(child, 20000) == 0);
	return 0;
}

int main(void)
{
	const char *modes[] = { "1", "0", "1", "0" };

	weft_test_require_weft_loaded();
	alarm(100);
	for (int m = 0; m < 4; m++) {
		pid_t pid = shm_t_fork();

		CHECK(pid >= 0);
		if (pid == 0)
			exit(run_mode(modes[m], m < 2 ? 0 : 2));
		CHECK(shm_t_reap(pid, 40000) == 0);
	}
	return 0;
}
