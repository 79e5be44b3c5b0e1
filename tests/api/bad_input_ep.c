/* Bad input on endpoints, through the public API on the udp provider:
 * fi_ep_bind (NULL, unknown flags, objects of another domain or fabric,
 * double binds, binds after enable), fi_enable without the bindings it
 * needs, fi_control/fi_getopt/fi_setopt, connection management on a
 * datagram endpoint, and the data path (NULL buffers, sizes and iov counts
 * over the limits, unknown flags and addresses, interfaces udp lacks).
 * Every case must answer a negative FI_E* code without crashing; checks
 * are soft so one run lists every deviation. */
#include <rdma/fi_atomic.h>
#include <rdma/fi_collective.h>
#include <rdma/fi_rma.h>
#include <rdma/fi_tagged.h>
#include <sys/wait.h>
#include <unistd.h>

#include "udp_test.h"
#include "bad_input.h"

struct objs {
	struct fid_cq *cq, *cq_b;       /* of t->domain */
	struct fid_cntr *cntr;          /* of t->domain */
	struct fid_eq *eq;              /* of t->fabric */
	struct fid_domain *dom2;        /* same fabric, other domain */
	struct fid_cq *cq2;             /* of dom2 */
	struct fid_cntr *cntr2;         /* of dom2 */
	struct fid_av *av2;             /* of dom2 */
	struct fid_fabric *fab2;        /* another fabric */
	struct fid_eq *eq2;             /* of fab2 */
};

static void open_objs(struct udp_t *t, struct objs *o)
{
	struct fi_cq_attr cq_attr = {.format = FI_CQ_FORMAT_DATA, .size = 64};
	struct fi_cntr_attr cntr_attr = {.events = FI_CNTR_EVENTS_COMP};
	struct fi_eq_attr eq_attr = {.size = 8};
	struct fi_av_attr av_attr = {.type = FI_AV_TABLE};

	CHECK_OK(fi_cq_open(t->domain, &cq_attr, &o->cq, NULL));
	CHECK_OK(fi_cq_open(t->domain, &cq_attr, &o->cq_b, NULL));
	CHECK_OK(fi_cntr_open(t->domain, &cntr_attr, &o->cntr, NULL));
	CHECK_OK(fi_eq_open(t->fabric, &eq_attr, &o->eq, NULL));
	CHECK_OK(fi_domain(t->fabric, t->info, &o->dom2, NULL));
	CHECK_OK(fi_cq_open(o->dom2, &cq_attr, &o->cq2, NULL));
	CHECK_OK(fi_cntr_open(o->dom2, &cntr_attr, &o->cntr2, NULL));
	CHECK_OK(fi_av_open(o->dom2, &av_attr, &o->av2, NULL));
	CHECK_OK(fi_fabric(t->info->fabric_attr, &o->fab2, NULL));
	CHECK_OK(fi_eq_open(o->fab2, &eq_attr, &o->eq2, NULL));
}

static void close_objs(struct objs *o)
{
	CHECK_OK(fi_close(&o->eq2->fid));
	CHECK_OK(fi_close(&o->fab2->fid));
	CHECK_OK(fi_close(&o->av2->fid));
	CHECK_OK(fi_close(&o->cntr2->fid));
	CHECK_OK(fi_close(&o->cq2->fid));
	CHECK_OK(fi_close(&o->dom2->fid));
	CHECK_OK(fi_close(&o->eq->fid));
	CHECK_OK(fi_close(&o->cntr->fid));
	CHECK_OK(fi_close(&o->cq_b->fid));
	CHECK_OK(fi_close(&o->cq->fid));
}

static void check_bind(struct udp_t *t, struct objs *o)
{
	struct fid_ep *ep;
	char buf[8];
	int ctx;

	CHECK_OK(fi_endpoint(t->domain, t->info, &ep, NULL));

	/* Nothing bound yet: the endpoint cannot be enabled or used. */
	EXPECT_RET(fi_enable(ep), -FI_ENOCQ);
	/* (Receives may be posted before enable: udp keeps them.) */
	EXPECT_RET(fi_send(ep, buf, 1, NULL, 0, &ctx), -FI_EOPBADSTATE);

	EXPECT_RET_FORKED(fi_ep_bind(ep, NULL, 0), -FI_EINVAL);
	/* Not bindable to an endpoint. */
	EXPECT_RET(fi_ep_bind(ep, &t->domain->fid, 0), -FI_EINVAL);
	EXPECT_RET(fi_ep_bind(ep, &t->fabric->fid, 0), -FI_EINVAL);
	EXPECT_RET(fi_ep_bind(ep, &ep->fid, 0), -FI_EINVAL);

	/* CQ flags: a direction is required, nothing unknown. */
	EXPECT_RET(fi_ep_bind(ep, &o->cq->fid, 0), -FI_EINVAL);
	EXPECT_RET(fi_ep_bind(ep, &o->cq->fid, FI_SELECTIVE_COMPLETION),
		   -FI_EINVAL);
	EXPECT_RET(fi_ep_bind(ep, &o->cq->fid, FI_TRANSMIT | (1ULL << 40)),
		   -FI_EINVAL);
	/* Counter flags. */
	EXPECT_RET(fi_ep_bind(ep, &o->cntr->fid, 0), -FI_EINVAL);
	EXPECT_RET(fi_ep_bind(ep, &o->cntr->fid, FI_SEND | (1ULL << 40)),
		   -FI_EINVAL);
	/* Remote counters need FI_RMA_EVENT. */
	EXPECT_RET(fi_ep_bind(ep, &o->cntr->fid, FI_REMOTE_WRITE), -FI_EINVAL);
	/* AV and EQ take no flags. */
	EXPECT_RET(fi_ep_bind(ep, &t->av->fid, FI_SEND), -FI_EINVAL);
	EXPECT_RET(fi_ep_bind(ep, &o->eq->fid, FI_SEND), -FI_EINVAL);

	/* Objects of another domain / fabric. */
	EXPECT_RET(fi_ep_bind(ep, &o->cq2->fid, FI_TRANSMIT), -FI_EINVAL);
	EXPECT_RET(fi_ep_bind(ep, &o->cntr2->fid, FI_SEND), -FI_EINVAL);
	EXPECT_RET(fi_ep_bind(ep, &o->av2->fid, 0), -FI_EINVAL);
	EXPECT_RET(fi_ep_bind(ep, &o->eq2->fid, 0), -FI_EINVAL);

	/* One CQ / counter per kind of operation, one AV, one EQ. */
	CHECK_OK(fi_ep_bind(ep, &o->cq->fid, FI_TRANSMIT | FI_RECV));
	EXPECT_RET(fi_ep_bind(ep, &o->cq_b->fid, FI_TRANSMIT), -FI_EINVAL);
	EXPECT_RET(fi_ep_bind(ep, &o->cq_b->fid, FI_RECV), -FI_EINVAL);
	CHECK_OK(fi_ep_bind(ep, &o->cntr->fid, FI_SEND));
	EXPECT_RET(fi_ep_bind(ep, &o->cntr->fid, FI_SEND), -FI_EINVAL);
	CHECK_OK(fi_ep_bind(ep, &o->eq->fid, 0));
	EXPECT_RET(fi_ep_bind(ep, &o->eq->fid, 0), -FI_EINVAL);

	/* A connectionless endpoint needs its AV. */
	EXPECT_RET(fi_enable(ep), -FI_ENOAV);
	CHECK_OK(fi_ep_bind(ep, &t->av->fid, 0));
	EXPECT_RET(fi_ep_bind(ep, &t->av->fid, 0), -FI_EINVAL);
	CHECK_OK(fi_enable(ep));
	/* Bindings are fixed once enabled. */
	EXPECT_RET(fi_ep_bind(ep, &o->cq_b->fid, FI_TRANSMIT),
		   -FI_EOPBADSTATE);

	/* Bound objects are in use. */
	EXPECT_RET(fi_close(&o->cq->fid), -FI_EBUSY);
	EXPECT_RET(fi_close(&o->cntr->fid), -FI_EBUSY);
	EXPECT_RET(fi_close(&t->av->fid), -FI_EBUSY);
	EXPECT_RET(fi_close(&o->eq->fid), -FI_EBUSY);

	CHECK_OK(fi_close(&ep->fid));
	/* An endpoint with only a receive CQ cannot send... */
	CHECK_OK(fi_endpoint(t->domain, t->info, &ep, NULL));
	CHECK_OK(fi_ep_bind(ep, &o->cq->fid, FI_RECV));
	CHECK_OK(fi_ep_bind(ep, &t->av->fid, 0));
	EXPECT_RET(fi_enable(ep), -FI_ENOCQ);
	CHECK_OK(fi_close(&ep->fid));
}

static void check_control_opts(struct udp_t_ep *a)
{
	uint64_t flags;
	size_t val, len;
	int small;

	EXPECT_RET(fi_control(&a->ep->fid, 12345, NULL), -FI_ENOSYS);
	EXPECT_RET_FORKED(fi_control(&a->ep->fid, FI_GETOPSFLAG, NULL),
			  -FI_EINVAL);
	flags = FI_TRANSMIT | FI_RECV;
	EXPECT_RET(fi_control(&a->ep->fid, FI_GETOPSFLAG, &flags), -FI_EINVAL);
	flags = 0;
	EXPECT_RET(fi_control(&a->ep->fid, FI_GETOPSFLAG, &flags), -FI_EINVAL);
	flags = FI_TRANSMIT | FI_TAGGED;
	EXPECT_RET(fi_control(&a->ep->fid, FI_SETOPSFLAG, &flags), -FI_EINVAL);
	flags = FI_TRANSMIT | FI_MULTI_RECV;
	EXPECT_RET(fi_control(&a->ep->fid, FI_SETOPSFLAG, &flags), -FI_EINVAL);

	len = sizeof(val);
	EXPECT_RET(fi_getopt(&a->ep->fid, 42, FI_OPT_MIN_MULTI_RECV, &val,
			     &len),
		   -FI_ENOPROTOOPT);
	EXPECT_RET(fi_getopt(&a->ep->fid, FI_OPT_ENDPOINT, 4242, &val, &len),
		   -FI_ENOPROTOOPT);
	EXPECT_RET(fi_getopt(&a->ep->fid, FI_OPT_ENDPOINT, FI_OPT_CM_DATA_SIZE,
			     &val, &len),
		   -FI_ENOPROTOOPT);
	len = sizeof(small);
	EXPECT_RET(fi_getopt(&a->ep->fid, FI_OPT_ENDPOINT,
			     FI_OPT_MIN_MULTI_RECV, &small, &len),
		   -FI_ETOOSMALL);
	EXPECT_RET_FORKED(fi_getopt(&a->ep->fid, FI_OPT_ENDPOINT,
				    FI_OPT_MIN_MULTI_RECV, &val, NULL),
			  -FI_EINVAL);
	val = 128;
	EXPECT_RET_FORKED(fi_setopt(&a->ep->fid, FI_OPT_ENDPOINT,
				    FI_OPT_MIN_MULTI_RECV, NULL, sizeof(val)),
			  -FI_EINVAL);
	EXPECT_RET(fi_setopt(&a->ep->fid, FI_OPT_ENDPOINT,
			     FI_OPT_MIN_MULTI_RECV, &val, 1),
		   -FI_EINVAL);
	EXPECT_RET(fi_setopt(&a->ep->fid, FI_OPT_ENDPOINT, FI_OPT_CM_DATA_SIZE,
			     &val, sizeof(val)),
		   -FI_ENOPROTOOPT);
	EXPECT_RET(fi_setopt(&a->ep->fid, 42, FI_OPT_MIN_MULTI_RECV, &val,
			     sizeof(val)),
		   -FI_ENOPROTOOPT);
}

static void check_cm(struct udp_t_ep *a)
{
	char name[4], big[128];
	size_t len = sizeof(name);
	struct fid_mc *mc;

	/* Too small a buffer: the size needed comes back. */
	EXPECT_RET(fi_getname(&a->ep->fid, name, &len), -FI_ETOOSMALL);
	CHECK(len == a->namelen);
	EXPECT_RET_FORKED(fi_getname(&a->ep->fid, big, NULL), -FI_EINVAL);
	/* Connection management has no meaning on datagram endpoints. */
	len = sizeof(big);
	EXPECT_NEG(fi_getpeer(a->ep, big, &len));
	EXPECT_NEG(fi_connect(a->ep, a->name, NULL, 0));
	EXPECT_NEG(fi_accept(a->ep, NULL, 0));
	EXPECT_NEG(fi_shutdown(a->ep, 0));
	EXPECT_NEG(fi_join(a->ep, a->name, 0, &mc, NULL));
	/* The address is fixed once enabled. */
	EXPECT_NEG(fi_setname(&a->ep->fid, a->name, a->namelen));
}

static char txbuf[70000];

/* NULL with a length is "invalid argument" or "bad address". */
#define EXPECT_BADPTR_FORKED(call)                                             \
	do {                                                                   \
		pid_t _pid = fork();                                           \
		int _st = 0;                                                   \
		CHECK(_pid >= 0);                                              \
		if (_pid == 0) {                                               \
			long _r = (long)(call);                                \
			if (_r != -FI_EINVAL && _r != -FI_EFAULT)              \
				fprintf(stderr, "%s:%d: %s returned %ld (%s), " \
					"expected -FI_EINVAL or -FI_EFAULT\n", \
					__FILE__, __LINE__, #call, _r,         \
					fi_strerror((int)-_r));                \
			_exit(_r == -FI_EINVAL || _r == -FI_EFAULT ? 0 : 1);   \
		}                                                              \
		CHECK(waitpid(_pid, &_st, 0) == _pid);                         \
		if (WIFSIGNALED(_st)) {                                        \
			fprintf(stderr, "%s:%d: %s CRASHED (signal %d)\n",     \
				__FILE__, __LINE__, #call, WTERMSIG(_st));     \
			failures++;                                            \
		} else if (WEXITSTATUS(_st)) {                                 \
			failures++;                                            \
		}                                                              \
	} while (0)

/* Runs in a child: 0 when the NULL receive buffer is refused, or accepted
 * and then reported as an error completion once a message arrives. */
static int recv_into_null(struct udp_t_ep *a, struct udp_t_ep *b)
{
	struct fi_cq_data_entry c;
	struct fi_cq_err_entry err = {0};
	ssize_t r;
	int ctx;

	r = fi_recv(b->ep, NULL, 8, NULL, FI_ADDR_UNSPEC, &ctx);
	if (r == -FI_EINVAL || r == -FI_EFAULT)
		return 0;
	fprintf(stderr, "fi_recv(NULL, 8) accepted (%zd)\n", r);
	if (r != 0)
		return 1;
	CHECK_OK(fi_send(a->ep, txbuf, 8, NULL, b->addr, &ctx));
	r = udp_t_wait(b->rx, &c, NULL, 1000);
	fprintf(stderr, "  ... and a message into it gave %zd\n", r);
	if (r != -FI_EAVAIL) {
		/* Does the endpoint still receive at all? */
		static char good[64];
		CHECK_OK(fi_recv(b->ep, good, sizeof(good), NULL,
				 FI_ADDR_UNSPEC, &ctx));
		CHECK_OK(fi_send(a->ep, txbuf, 8, NULL, b->addr, &ctx));
		r = udp_t_wait(b->rx, &c, NULL, 1000);
		fprintf(stderr, "  ... a valid receive posted after it then "
			"gave %zd%s\n", r,
			r == -FI_EAGAIN ? " (receive path wedged)" : "");
		return 1;
	}
	CHECK(fi_cq_readerr(b->rx, &err, 0) == 1);
	fprintf(stderr, "  ... error completion %d (%s)\n", err.err,
		fi_strerror(err.err));
	return 1; /* accepted at post time: still a deviation */
}

static void check_data(struct udp_t *t, struct udp_t_ep *a,
		       struct udp_t_ep *b)
{
	size_t max = t->info->ep_attr->max_msg_size;
	size_t inj = t->info->tx_attr->inject_size;
	size_t txlim = t->info->tx_attr->iov_limit;
	size_t rxlim = t->info->rx_attr->iov_limit;
	struct iovec iov[64];
	struct fi_msg msg;
	int ctx;

	CHECK(max < sizeof(txbuf) && txlim < 63 && rxlim < 63);
	for (size_t i = 0; i < 64; i++) {
		iov[i].iov_base = txbuf;
		iov[i].iov_len = 1;
	}
	/* Over the advertised limits. */
	EXPECT_RET(fi_send(a->ep, txbuf, max + 1, NULL, b->addr, &ctx),
		   -FI_EMSGSIZE);
	EXPECT_RET(fi_inject(a->ep, txbuf, inj + 1, b->addr), -FI_EMSGSIZE);
	EXPECT_RET(fi_sendv(a->ep, iov, NULL, txlim + 1, b->addr, &ctx),
		   -FI_EINVAL);
	EXPECT_RET(fi_recvv(b->ep, iov, NULL, rxlim + 1, FI_ADDR_UNSPEC, &ctx),
		   -FI_EINVAL);
	/* NULL buffers with a length, NULL iov arrays, NULL messages. */
	EXPECT_BADPTR_FORKED(fi_send(a->ep, NULL, 8, NULL, b->addr, &ctx));
	EXPECT_BADPTR_FORKED(fi_inject(a->ep, NULL, 8, b->addr));
	/* A receive into NULL must be refused at post time, or at the very
	 * least end in an error completion when a message lands in it. */
	EXPECT_RET_FORKED(recv_into_null(a, b), 0);
	EXPECT_RET_FORKED(fi_sendv(a->ep, NULL, NULL, 1, b->addr, &ctx),
			  -FI_EINVAL);
	EXPECT_RET_FORKED(fi_recvv(b->ep, NULL, NULL, 1, FI_ADDR_UNSPEC, &ctx),
			  -FI_EINVAL);
	{
		struct iovec nullv = {NULL, 8};
		EXPECT_BADPTR_FORKED(fi_sendv(a->ep, &nullv, NULL, 1, b->addr,
					      &ctx));
		EXPECT_BADPTR_FORKED(fi_recvv(b->ep, &nullv, NULL, 1,
					      FI_ADDR_UNSPEC, &ctx));
	}
	EXPECT_RET_FORKED(fi_sendmsg(a->ep, NULL, 0), -FI_EINVAL);
	EXPECT_RET_FORKED(fi_recvmsg(b->ep, NULL, 0), -FI_EINVAL);
	/* Unknown flags on the message calls. */
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.iov_count = 1;
	msg.addr = b->addr;
	msg.context = &ctx;
	{
		ssize_t r = fi_sendmsg(a->ep, &msg, 1ULL << 40);
		if (r != -FI_EBADFLAGS && r != -FI_EINVAL) {
			fprintf(stderr, "fi_sendmsg unknown flag: %zd\n", r);
			failures++;
		}
	}
	/* fi_msg with a NULL iov array, or more entries than the limit. */
	msg.msg_iov = NULL;
	EXPECT_RET_FORKED(fi_sendmsg(a->ep, &msg, 0), -FI_EINVAL);
	EXPECT_RET_FORKED(fi_recvmsg(b->ep, &msg, 0), -FI_EINVAL);
	msg.msg_iov = iov;
	msg.iov_count = txlim + 1;
	EXPECT_RET(fi_sendmsg(a->ep, &msg, 0), -FI_EINVAL);
	msg.iov_count = rxlim + 1;
	EXPECT_RET(fi_recvmsg(b->ep, &msg, 0), -FI_EINVAL);
	msg.iov_count = 1;
	{
		ssize_t r = fi_recvmsg(b->ep, &msg, 1ULL << 40);
		if (r != -FI_EBADFLAGS && r != -FI_EINVAL) {
			fprintf(stderr, "fi_recvmsg unknown flag: %zd\n", r);
			failures++;
		}
	}
	/* Addresses that are not in the AV. */
	EXPECT_NEG(fi_send(a->ep, txbuf, 8, NULL, (fi_addr_t)4242, &ctx));
	EXPECT_NEG(fi_send(a->ep, txbuf, 8, NULL, FI_ADDR_UNSPEC, &ctx));
	EXPECT_NEG(fi_send(a->ep, txbuf, 8, NULL, FI_ADDR_NOTAVAIL, &ctx));
	EXPECT_NEG(fi_inject(a->ep, txbuf, 8, (fi_addr_t)4242));

	/* Interfaces udp does not offer. */
	EXPECT_RET(fi_tsend(a->ep, txbuf, 8, NULL, b->addr, 1, &ctx),
		   -FI_ENOSYS);
	EXPECT_RET(fi_read(a->ep, txbuf, 8, NULL, b->addr, 0, 0, &ctx),
		   -FI_ENOSYS);
	EXPECT_RET(fi_write(a->ep, txbuf, 8, NULL, b->addr, 0, 0, &ctx),
		   -FI_ENOSYS);
	EXPECT_RET(fi_atomic(a->ep, txbuf, 1, NULL, b->addr, 0, 0, FI_UINT32,
			     FI_SUM, &ctx),
		   -FI_ENOSYS);
	EXPECT_RET(fi_barrier(a->ep, 0, &ctx), -FI_ENOSYS);
	EXPECT_RET(fi_tx_context(a->ep, 0, NULL, NULL, NULL), -FI_ENOSYS);
	EXPECT_RET(fi_rx_context(a->ep, 0, NULL, NULL, NULL), -FI_ENOSYS);

	/* Cancelling what was never posted. */
	EXPECT_RET(fi_cancel(&a->ep->fid, &ctx), -FI_ENOENT);
	EXPECT_NEG(fi_cancel(&a->ep->fid, NULL));

	/* None of the above produced a completion. */
	udp_t_expect_none(a->tx, 50);
	udp_t_expect_none(b->rx, 50);
}

/* After fi_close(ep), what it was bound to must neither reach back into
 * the freed endpoint (reads drive progress of bound endpoints) nor stay
 * pinned by it. Run under ASan this catches use-after-free. */
static void check_closed(struct udp_t *t, struct udp_t_ep *peer)
{
	struct fi_cq_attr cq_attr = {.format = FI_CQ_FORMAT_DATA,
				     .wait_obj = FI_WAIT_FD, .size = 16};
	struct fi_cntr_attr cntr_attr = {.events = FI_CNTR_EVENTS_COMP,
					 .wait_obj = FI_WAIT_FD};
	struct fid_ep *ep;
	struct fid_cq *cq;
	struct fid_cntr *cntr;
	struct fi_cq_data_entry c;
	struct fid *fids[2];
	static char buf[64];
	int ctx;

	CHECK_OK(fi_cq_open(t->domain, &cq_attr, &cq, NULL));
	CHECK_OK(fi_cntr_open(t->domain, &cntr_attr, &cntr, NULL));
	CHECK_OK(fi_endpoint(t->domain, t->info, &ep, NULL));
	CHECK_OK(fi_ep_bind(ep, &cq->fid, FI_TRANSMIT | FI_RECV));
	CHECK_OK(fi_ep_bind(ep, &cntr->fid, FI_SEND | FI_RECV));
	CHECK_OK(fi_ep_bind(ep, &t->av->fid, 0));
	CHECK_OK(fi_enable(ep));
	/* Leave work behind: a posted receive, a send completion. */
	CHECK_OK(fi_recv(ep, buf, sizeof(buf), NULL, FI_ADDR_UNSPEC, &ctx));
	CHECK_OK(fi_send(ep, buf, 8, NULL, peer->addr, &ctx));
	CHECK_OK(fi_close(&ep->fid));

	/* The completion written before the close is still there; nothing
	 * else, and no progress call into the closed endpoint. */
	CHECK_RET(fi_cq_read(cq, &c, 1), 1);
	EXPECT_RET(fi_cq_read(cq, &c, 1), -FI_EAGAIN);
	EXPECT_RET(fi_cq_sread(cq, &c, 1, NULL, 20), -FI_EAGAIN);
	CHECK(fi_cntr_read(cntr) == 1);
	EXPECT_RET(fi_cntr_wait(cntr, 2, 20), -FI_ETIMEDOUT);
	fids[0] = &cq->fid;
	fids[1] = &cntr->fid;
	EXPECT_RET(fi_trywait(t->fabric, fids, 2), 0);
	/* Nothing pins them any more. */
	EXPECT_RET(fi_close(&cq->fid), 0);
	EXPECT_RET(fi_close(&cntr->fid), 0);
}

int main(void)
{
	struct udp_t t;
	struct objs o;
	struct udp_t_ep a, b;

	weft_test_require_weft_loaded();
	udp_t_open(&t, udp_t_getinfo(0, FI_MSG));
	open_objs(&t, &o);
	check_bind(&t, &o);
	udp_t_ep_open(&t, &a);
	udp_t_ep_open(&t, &b);
	check_control_opts(&a);
	check_cm(&a);
	check_data(&t, &a, &b);
	check_closed(&t, &b);
	udp_t_ep_close(&a);
	udp_t_ep_close(&b);
	close_objs(&o);
	udp_t_close(&t);
	if (failures)
		fprintf(stderr, "%d bad-input expectation(s) not met\n",
			failures);
	return failures ? 1 : 0;
}
