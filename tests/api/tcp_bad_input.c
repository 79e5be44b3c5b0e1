/* tcp provider, bad input through the public API (one process): every
 * call answers with the documented negative code and changes nothing. */
#include <netinet/in.h>
#include <rdma/fi_atomic.h>
#include <rdma/fi_rma.h>

#include "tcp_test.h"

int main(void)
{
	struct tcp_t t;
	struct fid_pep *pep2;
	struct fid_eq *eq2;
	struct fi_eq_attr eq_attr = { .size = 8, .wait_obj = FI_WAIT_UNSPEC };
	uint8_t addr[128], small[4], buf[64];
	size_t addrlen = sizeof(addr), len;
	struct sockaddr_in6 v6 = { .sin6_family = AF_INET6 };
	struct iovec iov[5] = { { buf, 1 }, { buf, 1 }, { buf, 1 },
				{ buf, 1 }, { buf, 1 } };
	struct fi_msg msg = { .msg_iov = iov, .iov_count = 1 };
	struct fi_cq_tagged_entry e;
	struct fi_cq_err_entry err;
	struct fi_info *info;
	uint64_t v = 0;

	weft_test_require_weft_loaded();
	tcp_t_open(&t, tcp_t_getinfo(0, true));

	/* Passive endpoints. */
	CHECK(fi_passive_ep(t.fabric, NULL, &pep2, NULL) == -FI_EINVAL);
	CHECK_OK(fi_passive_ep(t.fabric, t.info, &pep2, NULL));
	CHECK(fi_listen(pep2) == -FI_ENOEQ);
	CHECK(fi_pep_bind(pep2, &t.domain->fid, 0) == -FI_EINVAL);
	CHECK(fi_pep_bind(pep2, &t.eq->fid, 1) == -FI_EINVAL);
	CHECK_OK(fi_pep_bind(pep2, &t.eq->fid, 0));
	CHECK(fi_pep_bind(pep2, &t.eq->fid, 0) == -FI_EINVAL);
	CHECK_OK(fi_listen(pep2));
	CHECK(fi_listen(pep2) == -FI_EOPBADSTATE);
	len = sizeof(small);
	CHECK(fi_getname(&pep2->fid, small, &len) == -FI_ETOOSMALL);
	CHECK(len == sizeof(struct sockaddr_in));
	CHECK(fi_getname(&pep2->fid, addr, NULL) == -FI_EINVAL);
	CHECK_OK(fi_getname(&pep2->fid, addr, &addrlen));
	CHECK(fi_setname(&pep2->fid, addr, addrlen) == -FI_EOPBADSTATE);
	CHECK(fi_reject(pep2, NULL, NULL, 0) == -FI_EINVAL);
	CHECK(fi_reject(pep2, &pep2->fid, NULL, 0) == -FI_EINVAL);
	CHECK_OK(fi_close(&pep2->fid));

	/* An EQ of this fabric is fine; the pep refused the domain. */
	CHECK_OK(fi_eq_open(t.fabric, &eq_attr, &eq2, NULL));
	CHECK_OK(fi_close(&eq2->fid));

	/* Endpoints, before any connection. */
	info = fi_dupinfo(t.info);
	CHECK(info);
	info->handle = &t.eq->fid; /* not a connection request */
	CHECK(fi_endpoint(t.domain, info, &t.ep, NULL) == -FI_EINVAL);
	info->handle = NULL;
	info->tx_attr->iov_limit = 99;
	CHECK(fi_endpoint(t.domain, info, &t.ep, NULL) == -FI_EINVAL);
	fi_freeinfo(info);

	CHECK_OK(fi_endpoint(t.domain, t.info, &t.ep, NULL));
	CHECK(fi_recv(t.ep, buf, sizeof(buf), NULL, 0, NULL) ==
	      -FI_EOPBADSTATE);
	CHECK(fi_connect(t.ep, addr, NULL, 0) == -FI_ENOEQ);
	tcp_t_ep_close(&t);
	tcp_t_ep_open(&t, t.info, 0);
	CHECK(fi_connect(t.ep, NULL, NULL, 0) == -FI_EINVAL);
	CHECK(fi_connect(t.ep, &v6, NULL, 0) == -FI_EINVAL); /* family */
	CHECK(fi_connect(t.ep, addr, NULL, 300) == -FI_EINVAL);
	CHECK(fi_accept(t.ep, NULL, 0) == -FI_EOPBADSTATE);
	CHECK(fi_shutdown(t.ep, 0) == -FI_EOPBADSTATE);
	CHECK(fi_shutdown(t.ep, 1) == -FI_EBADFLAGS);
	CHECK(fi_getpeer(t.ep, addr, &addrlen) == -FI_ENOTCONN);
	CHECK(fi_send(t.ep, buf, 8, NULL, 0, NULL) == -FI_ENOTCONN);
	CHECK(fi_inject(t.ep, buf, 8, 0) == -FI_ENOTCONN);
	CHECK(fi_write(t.ep, buf, 8, NULL, 0, 0, 1, NULL) == -FI_ENOTCONN);
	CHECK(fi_send(t.ep, NULL, 8, NULL, 0, NULL) == -FI_EINVAL);
	CHECK(fi_sendv(t.ep, iov, NULL, 5, 0, NULL) == -FI_EINVAL);
	CHECK(fi_recvv(t.ep, iov, NULL, 5, 0, NULL) == -FI_EINVAL);
	CHECK(fi_recv(t.ep, NULL, 8, NULL, 0, NULL) == -FI_EINVAL);
	CHECK(fi_sendmsg(t.ep, &msg, 1ull << 62) == -FI_EBADFLAGS);
	CHECK(fi_recvmsg(t.ep, &msg, FI_INJECT) == -FI_EBADFLAGS);
	CHECK(fi_sendmsg(t.ep, NULL, 0) == -FI_EINVAL);
	CHECK(fi_atomic(t.ep, &v, 100000, NULL, 0, 0, 1, FI_UINT64, FI_SUM,
			NULL) == -FI_EINVAL);
	CHECK(fi_atomic(t.ep, &v, 1, NULL, 0, 0, 1, FI_UINT64, FI_CSWAP,
			NULL) == -FI_EOPNOTSUPP);
	CHECK(fi_cancel(&t.ep->fid, buf) == -FI_ENOENT);
	/* A posted receive is canceled with an error completion. */
	CHECK_OK(fi_recv(t.ep, buf, sizeof(buf), NULL, 0, buf));
	CHECK_OK(fi_cancel(&t.ep->fid, buf));
	CHECK(tcp_t_cq_wait(t.rx, &e, &err) == -FI_ECANCELED);
	CHECK(err.op_context == buf);
	CHECK(fi_cancel(&t.ep->fid, buf) == -FI_ENOENT);
	/* Receives beyond rx_attr->size say -FI_EAGAIN. */
	for (size_t i = 0; i < t.info->rx_attr->size; i++)
		CHECK_OK(fi_recv(t.ep, buf, sizeof(buf), NULL, 0, NULL));
	CHECK(fi_recv(t.ep, buf, sizeof(buf), NULL, 0, NULL) == -FI_EAGAIN);
	tcp_t_ep_close(&t);

	tcp_t_close(&t);
	printf("PASS\n");
	return 0;
}
