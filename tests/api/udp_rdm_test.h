/* Scaffolding for the udp RDM operation tests (public API only): two
 * processes joined by a pair of pipes, each with one FI_EP_RDM endpoint on
 * 127.0.0.1 with tagged-format CQs, the peer in its AV. Progress is manual,
 * so a side that only serves (an RMA target) keeps reading its CQ while it
 * watches the pipe for commands. */
#ifndef WEFT_TEST_UDP_RDM_TEST_H
#define WEFT_TEST_UDP_RDM_TEST_H

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rdma/fi_atomic.h>
#include <rdma/fi_rma.h>
#include <rdma/fi_tagged.h>

#include "udp_test.h"

#define RDM_T_TMO 10000

struct rdm_side {
	struct udp_t t;
	struct udp_t_ep e;
	fi_addr_t peer;
	int rfd, wfd;
};

static inline struct fi_info *rdm_t_getinfo(uint64_t caps)
{
	struct fi_info *hints = fi_allocinfo(), *info = NULL;

	CHECK(hints);
	hints->ep_attr->type = FI_EP_RDM;
	hints->caps = caps;
	hints->addr_format = FI_SOCKADDR_IN;
	hints->fabric_attr->prov_name = strdup("udp");
	CHECK_OK(fi_getinfo(FI_VERSION(1, 17), "127.0.0.1", NULL, FI_SOURCE,
			    hints, &info));
	fi_freeinfo(hints);
	CHECK(info && !strcmp(info->fabric_attr->prov_name, "udp"));
	CHECK(info->ep_attr->type == FI_EP_RDM);
	CHECK((info->caps & caps) == caps);
	return info;
}

static inline void rdm_t_send(struct rdm_side *s, const void *b, size_t n)
{
	CHECK(write(s->wfd, b, n) == (ssize_t)n);
}

static inline void rdm_t_recv(struct rdm_side *s, void *b, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(s->rfd, (char *)b + got, n - got);

		CHECK(r > 0);
		got += (size_t)r;
	}
}

static inline void rdm_t_sync(struct rdm_side *s)
{
	char c = 's';

	rdm_t_send(s, &c, 1);
	rdm_t_recv(s, &c, 1);
	CHECK(c == 's');
}

/* Wait until the pipe has something to read, driving the endpoint's
 * progress meanwhile (the peer may be waiting for us to take or
 * acknowledge its messages). Reads no CQ entry. */
static inline void rdm_t_progress_until_pipe(struct rdm_side *s)
{
	struct pollfd pfd = {.fd = s->rfd, .events = POLLIN};

	do {
		(void)fi_cq_read(s->e.rx, NULL, 0);
		(void)fi_cq_read(s->e.tx, NULL, 0);
	} while (poll(&pfd, 1, 0) == 0);
}

/* rdm_t_sync, with progress while waiting. */
static inline void rdm_t_psync(struct rdm_side *s)
{
	char c = 's';

	rdm_t_send(s, &c, 1);
	rdm_t_progress_until_pipe(s);
	rdm_t_recv(s, &c, 1);
	CHECK(c == 's');
}

/* Open the endpoint with tx and rx CQs (tagged format), not enabled yet
 * (the caller may bind more). */
static inline void rdm_t_open(struct rdm_side *s, uint64_t caps)
{
	struct fi_cq_attr cq_attr = {.format = FI_CQ_FORMAT_TAGGED,
				     .size = 1024};
	struct udp_t_ep *e = &s->e;

	udp_t_open(&s->t, rdm_t_getinfo(caps));
	memset(e, 0, sizeof(*e));
	CHECK_OK(fi_endpoint(s->t.domain, s->t.info, &e->ep, e));
	CHECK_OK(fi_cq_open(s->t.domain, &cq_attr, &e->tx, NULL));
	CHECK_OK(fi_cq_open(s->t.domain, &cq_attr, &e->rx, NULL));
	CHECK_OK(fi_ep_bind(e->ep, &s->t.av->fid, 0));
	CHECK_OK(fi_ep_bind(e->ep, &e->tx->fid, FI_TRANSMIT));
	CHECK_OK(fi_ep_bind(e->ep, &e->rx->fid, FI_RECV));
}

/* After any extra bindings: enable, swap names, insert the peer. */
static inline void rdm_t_enable(struct rdm_side *s)
{
	struct udp_t_ep *e = &s->e;
	char peer[64];
	size_t n;

	CHECK_OK(fi_enable(e->ep));
	e->namelen = sizeof(e->name);
	CHECK_OK(fi_getname(&e->ep->fid, e->name, &e->namelen));
	rdm_t_send(s, &e->namelen, sizeof(n));
	rdm_t_send(s, e->name, e->namelen);
	rdm_t_recv(s, &n, sizeof(n));
	CHECK(n <= sizeof(peer));
	rdm_t_recv(s, peer, n);
	CHECK_RET(fi_av_insert(s->t.av, peer, 1, &s->peer, 0, NULL), 1);
}

static inline void rdm_t_close(struct rdm_side *s)
{
	udp_t_ep_close(&s->e);
	udp_t_close(&s->t);
}

/* One completion within RDM_T_TMO: 1, -FI_EAVAIL or -FI_EAGAIN. */
static inline ssize_t rdm_t_wait(struct fid_cq *cq,
				 struct fi_cq_tagged_entry *c, fi_addr_t *src,
				 long timeout_ms)
{
	long end = udp_t_now_ms() + timeout_ms;
	fi_addr_t dummy;
	ssize_t ret;

	do {
		ret = fi_cq_readfrom(cq, c, 1, src ? src : &dummy);
		if (ret != -FI_EAGAIN)
			return ret;
	} while (udp_t_now_ms() < end);
	return -FI_EAGAIN;
}

/* The next completion must succeed, for ctx, with flags including kind. */
static inline void rdm_t_ok(struct fid_cq *cq, void *ctx, uint64_t kind,
			    struct fi_cq_tagged_entry *out)
{
	struct fi_cq_tagged_entry c;
	ssize_t r = rdm_t_wait(cq, &c, NULL, RDM_T_TMO);

	if (r == -FI_EAVAIL) {
		struct fi_cq_err_entry e = {0};

		CHECK(fi_cq_readerr(cq, &e, 0) == 1);
		fprintf(stderr, "error completion: %s (%d)\n",
			fi_strerror(e.err), e.err);
	}
	CHECK_RET(r, 1);
	if (c.op_context != ctx || (c.flags & kind) != kind)
		fprintf(stderr, "completion ctx %p flags %#lx, want %p %#lx\n",
			c.op_context, (unsigned long)c.flags, ctx,
			(unsigned long)kind);
	CHECK(c.op_context == ctx);
	CHECK((c.flags & kind) == kind);
	if (out)
		*out = c;
}

/* The next completion must be an error err for ctx. */
static inline void rdm_t_err(struct fid_cq *cq, void *ctx, int err)
{
	struct fi_cq_tagged_entry c;
	struct fi_cq_err_entry e = {0};

	CHECK_RET(rdm_t_wait(cq, &c, NULL, RDM_T_TMO), -FI_EAVAIL);
	CHECK_RET(fi_cq_readerr(cq, &e, 0), 1);
	if (e.err != err)
		fprintf(stderr, "error %d (%s), expected %d\n", e.err,
			fi_strerror(e.err), err);
	CHECK(e.err == err);
	CHECK(e.op_context == ctx);
}

/* Fork with pipes both ways: returns the child's pid in the parent, 0 in
 * the child; s->rfd/wfd are set up on both sides. */
static inline pid_t rdm_t_fork(struct rdm_side *s)
{
	int p2c[2], c2p[2];
	pid_t pid;

	memset(s, 0, sizeof(*s));
	CHECK(pipe(p2c) == 0 && pipe(c2p) == 0);
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(p2c[1]);
		close(c2p[0]);
		s->rfd = p2c[0];
		s->wfd = c2p[1];
	} else {
		close(p2c[0]);
		close(c2p[1]);
		s->rfd = c2p[0];
		s->wfd = p2c[1];
	}
	return pid;
}

/* The child's exit status (0 = passed), killing it after timeout_ms. */
static inline int rdm_t_reap(pid_t pid, long timeout_ms)
{
	long end = udp_t_now_ms() + timeout_ms;
	int st;

	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (udp_t_now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		usleep(10000);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static inline uint8_t rdm_t_pat(uint32_t seed, size_t i)
{
	return (uint8_t)((i * 131u + seed * 7u + (i >> 9)) & 0xff);
}

static inline void rdm_t_fill(uint8_t *b, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		b[i] = rdm_t_pat(seed, i);
}

static inline void rdm_t_verify(const uint8_t *b, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		if (b[i] != rdm_t_pat(seed, i)) {
			fprintf(stderr, "byte %zu of %zu (seed %u) differs\n",
				i, len, seed);
			CHECK(0);
		}
}

#endif
