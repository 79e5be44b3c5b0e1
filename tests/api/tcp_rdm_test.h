/* Shared scaffolding for the tcp provider's FI_EP_RDM API tests (public
 * API only).
 *
 * Each test runs two or more processes (fork). A side opens a fabric,
 * domain, AV, tagged-format CQs and an RDM endpoint on the loopback
 * address (port 0, or a given one), and trades its name with the other
 * sides through pipes. Every wait has a deadline, and alarm() bounds each
 * process, so nothing outlives the test.
 */
#ifndef WEFT_TEST_TCP_RDM_TEST_H
#define WEFT_TEST_TCP_RDM_TEST_H

#include <rdma/fabric.h>
#include <rdma/fi_atomic.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_rma.h>
#include <rdma/fi_tagged.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define RT_TMO 15000

struct rt {
	struct fi_info *info;
	struct fid_fabric *fabric;
	struct fid_domain *domain;
	struct fid_av *av;
	struct fid_ep *ep;
	struct fid_cq *tx, *rx;
	struct fid_cntr *rcntr;
	char name[64];
	size_t namelen;
};

static inline long rt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* fi_getinfo for tcp RDM on 127.0.0.1, local port `port` (0: any). */
static inline struct fi_info *rt_getinfo(uint64_t caps, unsigned port)
{
	struct fi_info *hints = fi_allocinfo(), *info = NULL;
	char service[16];

	CHECK(hints);
	hints->ep_attr->type = FI_EP_RDM;
	hints->caps = caps;
	hints->addr_format = FI_SOCKADDR_IN;
	hints->fabric_attr->prov_name = strdup("tcp");
	hints->domain_attr->mr_mode = 0;
	snprintf(service, sizeof(service), "%u", port);
	CHECK_OK(fi_getinfo(FI_VERSION(1, 17), "127.0.0.1", service, FI_SOURCE,
			    hints, &info));
	fi_freeinfo(hints);
	CHECK(info && !strcmp(info->fabric_attr->prov_name, "tcp"));
	CHECK(info->ep_attr->type == FI_EP_RDM);
	return info;
}

static inline void rt_open_info(struct rt *t, struct fi_info *info)
{
	struct fi_cq_attr cq_attr = { .format = FI_CQ_FORMAT_TAGGED,
				      .size = 4096 };
	struct fi_av_attr av_attr = { .type = FI_AV_TABLE };

	memset(t, 0, sizeof(*t));
	t->info = info;
	CHECK_OK(fi_fabric(info->fabric_attr, &t->fabric, NULL));
	CHECK_OK(fi_domain(t->fabric, info, &t->domain, NULL));
	CHECK_OK(fi_av_open(t->domain, &av_attr, &t->av, NULL));
	CHECK_OK(fi_endpoint(t->domain, info, &t->ep, NULL));
	CHECK_OK(fi_cq_open(t->domain, &cq_attr, &t->tx, NULL));
	CHECK_OK(fi_cq_open(t->domain, &cq_attr, &t->rx, NULL));
	CHECK_OK(fi_ep_bind(t->ep, &t->av->fid, 0));
	CHECK_OK(fi_ep_bind(t->ep, &t->tx->fid, FI_TRANSMIT));
	CHECK_OK(fi_ep_bind(t->ep, &t->rx->fid, FI_RECV));
	CHECK_OK(fi_enable(t->ep));
	t->namelen = sizeof(t->name);
	CHECK_OK(fi_getname(&t->ep->fid, t->name, &t->namelen));
}

static inline void rt_open(struct rt *t, uint64_t caps, unsigned port)
{
	rt_open_info(t, rt_getinfo(caps, port));
}

static inline void rt_close(struct rt *t)
{
	CHECK_OK(fi_close(&t->ep->fid));
	CHECK_OK(fi_close(&t->tx->fid));
	CHECK_OK(fi_close(&t->rx->fid));
	if (t->rcntr)
		CHECK_OK(fi_close(&t->rcntr->fid));
	CHECK_OK(fi_close(&t->av->fid));
	CHECK_OK(fi_close(&t->domain->fid));
	CHECK_OK(fi_close(&t->fabric->fid));
	fi_freeinfo(t->info);
}

static inline unsigned rt_port(const struct rt *t)
{
	return ntohs(((const struct sockaddr_in *)(const void *)t->name)
			     ->sin_port);
}

/* Names through pipes. */
static inline void rt_send_name(int fd, const struct rt *t)
{
	CHECK(write(fd, &t->namelen, sizeof(t->namelen)) ==
	      (ssize_t)sizeof(t->namelen));
	CHECK(write(fd, t->name, t->namelen) == (ssize_t)t->namelen);
}

static inline fi_addr_t rt_recv_name(int fd, struct rt *t)
{
	char peer[64];
	size_t n;
	fi_addr_t a;

	CHECK(read(fd, &n, sizeof(n)) == (ssize_t)sizeof(n) &&
	      n <= sizeof(peer));
	CHECK(read(fd, peer, n) == (ssize_t)n);
	CHECK_RET(fi_av_insert(t->av, peer, 1, &a, 0, NULL), 1);
	return a;
}

static inline void rt_signal(int fd)
{
	char c = 'x';

	CHECK(write(fd, &c, 1) == 1);
}

static inline void rt_wait_signal(int fd)
{
	char c;

	CHECK(read(fd, &c, 1) == 1);
}

/* One entry from cq (error entries into *err when err is given, else a
 * failure), within the deadline; other CQs are progressed too so the
 * endpoint keeps moving. 1 entry, -FI_EAVAIL error read into err. */
static inline ssize_t rt_get(struct fid_cq *cq, struct fi_cq_tagged_entry *c,
			     fi_addr_t *src, struct fi_cq_err_entry *err)
{
	long end = rt_now_ms() + RT_TMO;
	fi_addr_t dummy;
	ssize_t r;

	do {
		r = fi_cq_readfrom(cq, c, 1, src ? src : &dummy);
		if (r == 1)
			return 1;
		if (r == -FI_EAVAIL) {
			struct fi_cq_err_entry e;

			memset(&e, 0, sizeof(e));
			CHECK_RET(fi_cq_readerr(cq, &e, 0), 1);
			if (err) {
				*err = e;
				return -FI_EAVAIL;
			}
			fprintf(stderr, "%d: error completion: %s (%d)\n",
				(int)getpid(), fi_strerror(e.err), e.err);
			CHECK(0);
		}
		CHECK_RET(r, -FI_EAGAIN);
	} while (rt_now_ms() < end);
	fprintf(stderr, "%d: timed out waiting for a completion\n",
		(int)getpid());
	CHECK(0);
	return 0;
}

/* Drive t's progress for ms milliseconds (no completion expected). */
static inline void rt_spin(struct rt *t, long ms)
{
	long end = rt_now_ms() + ms;
	struct fi_cq_tagged_entry c;

	while (rt_now_ms() < end)
		CHECK_RET(fi_cq_read(t->rx, &c, 0), -FI_EAGAIN);
}

static inline uint8_t rt_pat(uint32_t seed, size_t i)
{
	return (uint8_t)((i * 131u + seed * 7u + (i >> 9)) & 0xff);
}

static inline void rt_fill(uint8_t *b, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		b[i] = rt_pat(seed, i);
}

static inline void rt_verify(const uint8_t *b, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		if (b[i] != rt_pat(seed, i)) {
			fprintf(stderr, "byte %zu of %zu (seed %u) differs\n",
				i, len, seed);
			CHECK(0);
		}
}

/* Retry a post while it answers -FI_EAGAIN (progressing the CQs). */
#define RT_POST(t, call)                                                       \
	do {                                                                   \
		long _end = rt_now_ms() + RT_TMO;                              \
		ssize_t _rp;                                                   \
		while ((_rp = (call)) == -FI_EAGAIN && rt_now_ms() < _end) {   \
			struct fi_cq_tagged_entry _c;                          \
			(void)fi_cq_read((t)->tx, &_c, 0);                     \
		}                                                              \
		CHECK_RET(_rp, 0);                                             \
	} while (0)

/* Reap a child: it must have exited 0. */
static inline void rt_reap(pid_t pid)
{
	int st;

	CHECK(waitpid(pid, &st, 0) == pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "child %d: status 0x%x\n", (int)pid, st);
		CHECK(0);
	}
}

#endif
