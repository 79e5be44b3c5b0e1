/* Shared scaffolding for the tcp provider's API tests (public API only).
 *
 * Each test runs a server and a client in two processes (fork): the
 * server opens a passive endpoint on the loopback address of a family,
 * port 0, and hands its name to the client through a pipe. Every wait has
 * a deadline; both processes arm alarm() so nothing outlives the test.
 */
#ifndef WEFT_TEST_TCP_TEST_H
#define WEFT_TEST_TCP_TEST_H

#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_eq.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_tagged.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define TCP_T_TIMEOUT_MS 10000

struct tcp_t {
	struct fi_info *info;
	struct fid_fabric *fabric;
	struct fid_domain *domain;
	struct fid_eq *eq;
	struct fid_pep *pep;
	struct fid_ep *ep;
	struct fid_cq *tx, *rx;
	struct fi_info *conn_info; /* the FI_CONNREQ's, server side */
};

static inline long tcp_t_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* fi_getinfo for tcp MSG endpoints on the family's loopback; with
 * `source` the address is the local one (a server), port 0. Skips the
 * test when the family is unavailable. */
static inline struct fi_info *tcp_t_getinfo(int ipv6, bool source)
{
	struct fi_info *hints = fi_allocinfo(), *info = NULL;
	int ret;

	CHECK(hints);
	hints->ep_attr->type = FI_EP_MSG;
	hints->caps = FI_MSG | FI_TAGGED;
	hints->addr_format = ipv6 ? FI_SOCKADDR_IN6 : FI_SOCKADDR_IN;
	hints->fabric_attr->prov_name = strdup("tcp");
	ret = fi_getinfo(FI_VERSION(1, 17), ipv6 ? "::1" : "127.0.0.1", "0",
			 source ? FI_SOURCE : 0, hints, &info);
	fi_freeinfo(hints);
	if (ret == -FI_ENODATA && ipv6)
		weft_test_skip("no IPv6 loopback for tcp");
	CHECK_OK(ret);
	CHECK(info != NULL);
	CHECK(!strcmp(info->fabric_attr->prov_name, "tcp"));
	return info;
}

static inline void tcp_t_open(struct tcp_t *t, struct fi_info *info)
{
	struct fi_eq_attr eq_attr = { .size = 64, .wait_obj = FI_WAIT_UNSPEC };

	memset(t, 0, sizeof(*t));
	t->info = info;
	CHECK_OK(fi_fabric(info->fabric_attr, &t->fabric, NULL));
	CHECK_OK(fi_domain(t->fabric, info, &t->domain, NULL));
	CHECK_OK(fi_eq_open(t->fabric, &eq_attr, &t->eq, NULL));
}

/* Server: passive endpoint listening on port 0; its name into addr. */
static inline void tcp_t_listen(struct tcp_t *t, void *addr, size_t *addrlen)
{
	CHECK_OK(fi_passive_ep(t->fabric, t->info, &t->pep, NULL));
	CHECK_OK(fi_pep_bind(t->pep, &t->eq->fid, 0));
	CHECK_OK(fi_listen(t->pep));
	CHECK_OK(fi_getname(&t->pep->fid, addr, addrlen));
}

/* Open t->ep from info with a tx and an rx CQ (tagged format), bound to
 * t->eq, enabled. */
static inline void tcp_t_ep_open(struct tcp_t *t, struct fi_info *info,
				 uint64_t cq_flags)
{
	struct fi_cq_attr cq_attr = { .format = FI_CQ_FORMAT_TAGGED,
				      .wait_obj = FI_WAIT_UNSPEC,
				      .size = 1024 };

	CHECK_OK(fi_endpoint(t->domain, info, &t->ep, NULL));
	CHECK_OK(fi_cq_open(t->domain, &cq_attr, &t->tx, NULL));
	CHECK_OK(fi_cq_open(t->domain, &cq_attr, &t->rx, NULL));
	CHECK_OK(fi_ep_bind(t->ep, &t->tx->fid, FI_TRANSMIT | cq_flags));
	CHECK_OK(fi_ep_bind(t->ep, &t->rx->fid, FI_RECV | cq_flags));
	CHECK_OK(fi_ep_bind(t->ep, &t->eq->fid, 0));
	CHECK_OK(fi_enable(t->ep));
}

/* Wait for the next EQ event, which must be `want`; its CM data (if any)
 * into data/datalen. An error event fails the test. */
static inline void tcp_t_eq_expect(struct tcp_t *t, uint32_t want,
				   void *data, size_t *datalen)
{
	struct {
		struct fi_eq_cm_entry e;
		uint8_t data[512];
	} ev;
	long deadline = tcp_t_now_ms() + TCP_T_TIMEOUT_MS;
	uint32_t event;
	ssize_t n;

	for (;;) {
		n = fi_eq_sread(t->eq, &event, &ev, sizeof(ev), 100, 0);
		if (n > 0)
			break;
		if (n == -FI_EAVAIL) {
			struct fi_eq_err_entry err = { 0 };

			CHECK(fi_eq_readerr(t->eq, &err, 0) > 0);
			fprintf(stderr, "EQ error %d (%s) waiting for event %u\n",
				err.err, fi_strerror(err.err), want);
			exit(1);
		}
		CHECK(n == -FI_EAGAIN || n == -FI_ETIMEDOUT);
		CHECK(tcp_t_now_ms() < deadline);
	}
	if (event != want)
		fprintf(stderr, "EQ event %u, expected %u\n", event, want);
	CHECK(event == want);
	CHECK((size_t)n >= sizeof(struct fi_eq_cm_entry));
	if (want == FI_CONNREQ) {
		CHECK(ev.e.info != NULL);
		CHECK(ev.e.info->handle != NULL);
		t->conn_info = ev.e.info;
	}
	if (datalen) {
		size_t got = (size_t)n > sizeof(ev.e) ? (size_t)n - sizeof(ev.e)
						      : 0;

		CHECK(got <= *datalen);
		if (got)
			memcpy(data, ev.data, got);
		*datalen = got;
	}
}

/* Wait for an EQ error event; the entry (err_data copied into data). */
static inline int tcp_t_eq_expect_err(struct tcp_t *t, void *data,
				      size_t *datalen)
{
	long deadline = tcp_t_now_ms() + TCP_T_TIMEOUT_MS;
	struct fi_eq_err_entry err;
	uint8_t buf[512];
	uint32_t event;
	ssize_t n;

	for (;;) {
		n = fi_eq_sread(t->eq, &event, buf, sizeof(buf), 100, 0);
		if (n == -FI_EAVAIL)
			break;
		if (n > 0)
			fprintf(stderr, "EQ event %u, expected an error\n",
				event);
		CHECK(n == -FI_EAGAIN || n == -FI_ETIMEDOUT);
		CHECK(tcp_t_now_ms() < deadline);
	}
	memset(&err, 0, sizeof(err));
	CHECK(fi_eq_readerr(t->eq, &err, 0) > 0);
	if (datalen) {
		CHECK(err.err_data_size <= *datalen);
		if (err.err_data_size)
			memcpy(data, err.err_data, err.err_data_size);
		*datalen = err.err_data_size;
	}
	return err.err;
}

/* Server: wait for the request, open the endpoint from it, accept with
 * `param`, wait for FI_CONNECTED. The request's data lands in req. */
static inline void tcp_t_accept(struct tcp_t *t, void *req, size_t *reqlen,
				const void *param, size_t paramlen,
				uint64_t cq_flags)
{
	tcp_t_eq_expect(t, FI_CONNREQ, req, reqlen);
	tcp_t_ep_open(t, t->conn_info, cq_flags);
	CHECK_OK(fi_accept(t->ep, param, paramlen));
	tcp_t_eq_expect(t, FI_CONNECTED, NULL, NULL);
}

/* Client: open an endpoint, connect to addr with param, wait for
 * FI_CONNECTED (its data into resp). */
static inline void tcp_t_connect(struct tcp_t *t, const void *addr,
				 const void *param, size_t paramlen,
				 void *resp, size_t *resplen,
				 uint64_t cq_flags)
{
	tcp_t_ep_open(t, t->info, cq_flags);
	CHECK_OK(fi_connect(t->ep, addr, param, paramlen));
	tcp_t_eq_expect(t, FI_CONNECTED, resp, resplen);
}

/* One completion from cq within the deadline: 1 for an entry, or the
 * negative error of an error completion (entry in *err if given). */
static inline int tcp_t_cq_wait(struct fid_cq *cq,
				struct fi_cq_tagged_entry *entry,
				struct fi_cq_err_entry *err)
{
	long deadline = tcp_t_now_ms() + TCP_T_TIMEOUT_MS;
	struct fi_cq_tagged_entry tmp;
	ssize_t n;

	for (;;) {
		n = fi_cq_read(cq, entry ? entry : &tmp, 1);
		if (n == 1)
			return 1;
		if (n == -FI_EAVAIL) {
			struct fi_cq_err_entry e = { 0 };

			CHECK(fi_cq_readerr(cq, &e, 0) == 1);
			if (err)
				*err = e;
			return -e.err;
		}
		CHECK(n == -FI_EAGAIN);
		if (tcp_t_now_ms() > deadline) {
			fprintf(stderr, "no completion within %d ms\n",
				TCP_T_TIMEOUT_MS);
			exit(1);
		}
	}
}

/* Close the endpoint and its CQs (and the CONNREQ info it came from). */
static inline void tcp_t_ep_close(struct tcp_t *t)
{
	if (t->ep)
		CHECK_OK(fi_close(&t->ep->fid));
	if (t->tx)
		CHECK_OK(fi_close(&t->tx->fid));
	if (t->rx)
		CHECK_OK(fi_close(&t->rx->fid));
	if (t->conn_info)
		fi_freeinfo(t->conn_info);
	t->ep = NULL;
	t->tx = t->rx = NULL;
	t->conn_info = NULL;
}

static inline void tcp_t_close(struct tcp_t *t)
{
	if (t->ep)
		CHECK_OK(fi_close(&t->ep->fid));
	if (t->tx)
		CHECK_OK(fi_close(&t->tx->fid));
	if (t->rx)
		CHECK_OK(fi_close(&t->rx->fid));
	if (t->pep)
		CHECK_OK(fi_close(&t->pep->fid));
	if (t->conn_info)
		fi_freeinfo(t->conn_info);
	CHECK_OK(fi_close(&t->eq->fid));
	CHECK_OK(fi_close(&t->domain->fid));
	CHECK_OK(fi_close(&t->fabric->fid));
	fi_freeinfo(t->info);
	memset(t, 0, sizeof(*t));
}

/* ---- two processes ---------------------------------------------------- */

struct tcp_t_pair {
	int to_client[2]; /* server -> client: the address, then bytes */
	int to_server[2]; /* client -> server */
	pid_t child;
};

/* Fork: the child runs as the server (returns true), the parent as the
 * client (false). Both get an alarm so that neither can hang. */
static inline bool tcp_t_fork(struct tcp_t_pair *p)
{
	CHECK(pipe(p->to_client) == 0);
	CHECK(pipe(p->to_server) == 0);
	fflush(stdout);
	fflush(stderr);
	p->child = fork();
	CHECK(p->child >= 0);
	alarm(60);
	if (p->child == 0) {
		close(p->to_client[0]);
		close(p->to_server[1]);
		return true;
	}
	close(p->to_client[1]);
	close(p->to_server[0]);
	return false;
}

static inline void tcp_t_send_bytes(int fd, const void *buf, size_t len)
{
	CHECK(write(fd, buf, len) == (ssize_t)len);
}

static inline void tcp_t_recv_bytes(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		CHECK(n > 0);
		got += (size_t)n;
	}
}

/* Server side: hand its address (and length) to the client. */
static inline void tcp_t_pair_send_addr(struct tcp_t_pair *p,
					const void *addr, size_t len)
{
	tcp_t_send_bytes(p->to_client[1], &len, sizeof(len));
	tcp_t_send_bytes(p->to_client[1], addr, len);
}

static inline size_t tcp_t_pair_recv_addr(struct tcp_t_pair *p, void *addr,
					  size_t cap)
{
	size_t len;

	tcp_t_recv_bytes(p->to_client[0], &len, sizeof(len));
	CHECK(len <= cap);
	tcp_t_recv_bytes(p->to_client[0], addr, len);
	return len;
}

/* A one-byte barrier in either direction. */
static inline void tcp_t_signal(int fd)
{
	char c = 'x';

	tcp_t_send_bytes(fd, &c, 1);
}

static inline void tcp_t_wait_signal(int fd)
{
	char c;

	tcp_t_recv_bytes(fd, &c, 1);
}

/* Parent: the child's exit status must be 0. */
static inline void tcp_t_pair_join(struct tcp_t_pair *p)
{
	int status;

	CHECK(waitpid(p->child, &status, 0) == p->child);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "server process: status 0x%x\n", status);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

#endif
