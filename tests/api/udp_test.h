/* Shared scaffolding for the udp provider's API tests (public API only):
 * open a fabric/domain/AV on one address family's loopback, open endpoints
 * with their CQs, wait for completions with a deadline. */
#ifndef WEFT_TEST_UDP_TEST_H
#define WEFT_TEST_UDP_TEST_H

#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_eq.h>
#include <rdma/fi_errno.h>
#include <stdbool.h>
#include <time.h>

#include "testlib.h"

#define UDP_T_TIMEOUT_MS 5000

struct udp_t {
	struct fi_info *info;
	struct fid_fabric *fabric;
	struct fid_domain *domain;
	struct fid_av *av;
};

struct udp_t_ep {
	struct fid_ep *ep;
	struct fid_cq *tx, *rx;
	struct fid_cntr *txc, *rxc;
	char name[64];
	size_t namelen;
	fi_addr_t addr; /* its entry in the shared AV */
};

static inline long udp_t_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* fi_getinfo for udp on the loopback address of the family (source address
 * given with FI_SOURCE). Skips the test when the family is unavailable. */
static inline struct fi_info *udp_t_getinfo(int ipv6, uint64_t caps)
{
	struct fi_info *hints = fi_allocinfo(), *info = NULL;
	int ret;

	CHECK(hints);
	hints->ep_attr->type = FI_EP_DGRAM;
	hints->caps = caps;
	hints->addr_format = ipv6 ? FI_SOCKADDR_IN6 : FI_SOCKADDR_IN;
	hints->fabric_attr->prov_name = strdup("udp");
	ret = fi_getinfo(FI_VERSION(1, 17), ipv6 ? "::1" : "127.0.0.1", NULL,
			 FI_SOURCE, hints, &info);
	fi_freeinfo(hints);
	if (ret == -FI_ENODATA && ipv6)
		weft_test_skip("no IPv6 loopback for udp");
	CHECK_OK(ret);
	CHECK(info != NULL);
	CHECK(!strcmp(info->fabric_attr->prov_name, "udp"));
	return info;
}

static inline void udp_t_open(struct udp_t *t, struct fi_info *info)
{
	struct fi_av_attr av_attr = { .type = FI_AV_TABLE };

	memset(t, 0, sizeof(*t));
	t->info = info;
	CHECK_OK(fi_fabric(info->fabric_attr, &t->fabric, NULL));
	CHECK_OK(fi_domain(t->fabric, info, &t->domain, NULL));
	CHECK_OK(fi_av_open(t->domain, &av_attr, &t->av, NULL));
}

/* Open an endpoint with its own tx/rx CQs (format DATA, the given wait
 * object), bind, enable, learn its name and insert it in the AV. */
static inline void udp_t_ep_open_ex(struct udp_t *t, struct udp_t_ep *e,
				    enum fi_wait_obj wait, uint64_t txflags,
				    bool cntrs)
{
	struct fi_cq_attr cq_attr = {
		.format = FI_CQ_FORMAT_DATA,
		.wait_obj = wait,
		.size = 64,
	};
	struct fi_cntr_attr cntr_attr = { .events = FI_CNTR_EVENTS_COMP };

	memset(e, 0, sizeof(*e));
	CHECK_OK(fi_endpoint(t->domain, t->info, &e->ep, e));
	CHECK_OK(fi_cq_open(t->domain, &cq_attr, &e->tx, NULL));
	CHECK_OK(fi_cq_open(t->domain, &cq_attr, &e->rx, NULL));
	CHECK_OK(fi_ep_bind(e->ep, &t->av->fid, 0));
	CHECK_OK(fi_ep_bind(e->ep, &e->tx->fid, FI_TRANSMIT | txflags));
	CHECK_OK(fi_ep_bind(e->ep, &e->rx->fid, FI_RECV));
	if (cntrs) {
		CHECK_OK(fi_cntr_open(t->domain, &cntr_attr, &e->txc, NULL));
		CHECK_OK(fi_cntr_open(t->domain, &cntr_attr, &e->rxc, NULL));
		CHECK_OK(fi_ep_bind(e->ep, &e->txc->fid, FI_SEND));
		CHECK_OK(fi_ep_bind(e->ep, &e->rxc->fid, FI_RECV));
	}
	CHECK_OK(fi_enable(e->ep));
	e->namelen = sizeof(e->name);
	CHECK_OK(fi_getname(&e->ep->fid, e->name, &e->namelen));
	CHECK_RET(fi_av_insert(t->av, e->name, 1, &e->addr, 0, NULL), 1);
}

static inline void udp_t_ep_open(struct udp_t *t, struct udp_t_ep *e)
{
	udp_t_ep_open_ex(t, e, FI_WAIT_NONE, 0, false);
}

static inline void udp_t_ep_close(struct udp_t_ep *e)
{
	CHECK_OK(fi_close(&e->ep->fid));
	CHECK_OK(fi_close(&e->tx->fid));
	CHECK_OK(fi_close(&e->rx->fid));
	if (e->txc)
		CHECK_OK(fi_close(&e->txc->fid));
	if (e->rxc)
		CHECK_OK(fi_close(&e->rxc->fid));
}

static inline void udp_t_close(struct udp_t *t)
{
	CHECK_OK(fi_close(&t->av->fid));
	CHECK_OK(fi_close(&t->domain->fid));
	CHECK_OK(fi_close(&t->fabric->fid));
	fi_freeinfo(t->info);
}

/* Read one completion (fi_cq_readfrom), waiting up to timeout_ms. Returns
 * 1, -FI_EAVAIL (an error is queued), or -FI_EAGAIN on timeout. */
static inline ssize_t udp_t_wait(struct fid_cq *cq, struct fi_cq_data_entry *c,
				 fi_addr_t *src, long timeout_ms)
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

/* Like udp_t_wait, and the completion must succeed. */
static inline void udp_t_expect(struct fid_cq *cq, struct fi_cq_data_entry *c,
				fi_addr_t *src)
{
	ssize_t ret = udp_t_wait(cq, c, src, UDP_T_TIMEOUT_MS);

	if (ret == -FI_EAVAIL) {
		struct fi_cq_err_entry err = { 0 };

		CHECK(fi_cq_readerr(cq, &err, 0) == 1);
		fprintf(stderr, "unexpected error completion: %d (%s)\n",
			err.err, fi_strerror(err.err));
	}
	CHECK_RET(ret, 1);
}

/* The next error completion, waiting up to the default timeout. */
static inline void udp_t_expect_err(struct fid_cq *cq,
				    struct fi_cq_err_entry *err)
{
	struct fi_cq_data_entry c;

	CHECK_RET(udp_t_wait(cq, &c, NULL, UDP_T_TIMEOUT_MS), -FI_EAVAIL);
	memset(err, 0, sizeof(*err));
	CHECK_RET(fi_cq_readerr(cq, err, 0), 1);
}

/* Nothing more within ms. */
static inline void udp_t_expect_none(struct fid_cq *cq, long ms)
{
	struct fi_cq_data_entry c;

	CHECK_RET(udp_t_wait(cq, &c, NULL, ms), -FI_EAGAIN);
}

static inline void udp_t_fill(void *buf, size_t len, unsigned seed)
{
	unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 31u + i * 7u + (i >> 8));
}

static inline int udp_t_check(const void *buf, size_t len, unsigned seed)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		if (p[i] != (unsigned char)(seed * 31u + i * 7u + (i >> 8)))
			return 0;
	return 1;
}

#endif
