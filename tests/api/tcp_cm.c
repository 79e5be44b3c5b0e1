/* tcp provider, connection management (two processes): connect/accept
 * with the largest CM data both ways, names and peers, fi_shutdown giving
 * FI_SHUTDOWN on both sides and canceling a posted receive, fi_reject with
 * the server's data reaching the client as an FI_ECONNREFUSED error event,
 * a connection to a port nobody listens on, and bad arguments. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tcp_test.h"

#define CM_MAX 256

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static uint16_t port_of(const void *addr)
{
	const struct sockaddr *sa = addr;

	return sa->sa_family == AF_INET6
		       ? ((const struct sockaddr_in6 *)addr)->sin6_port
		       : ((const struct sockaddr_in *)addr)->sin_port;
}

static void server(struct tcp_t_pair *p)
{
	struct tcp_t t;
	uint8_t addr[128], peer_name[128], peer[128];
	uint8_t req[512], want[CM_MAX], resp[CM_MAX];
	size_t addrlen = sizeof(addr), reqlen, optlen, cm_size = 0;
	size_t peerlen = sizeof(peer), namelen;
	struct fi_cq_tagged_entry ce;
	struct fi_cq_err_entry err;
	char buf[64];

	tcp_t_open(&t, tcp_t_getinfo(0, true));
	tcp_t_listen(&t, addr, &addrlen);
	CHECK(port_of(addr) != 0);
	optlen = sizeof(cm_size);
	CHECK_OK(fi_getopt(&t.pep->fid, FI_OPT_ENDPOINT, FI_OPT_CM_DATA_SIZE,
			   &cm_size, &optlen));
	CHECK(cm_size == CM_MAX);
	tcp_t_pair_send_addr(p, addr, addrlen);

	/* 1: accept, data both ways, names, shutdown by the client. */
	fill(want, CM_MAX, 1);
	fill(resp, CM_MAX, 2);
	reqlen = sizeof(req);
	tcp_t_accept(&t, req, &reqlen, resp, CM_MAX, 0);
	CHECK(reqlen == CM_MAX);
	CHECK(!memcmp(req, want, CM_MAX));
	CHECK_OK(fi_getpeer(t.ep, peer, &peerlen));
	tcp_t_recv_bytes(p->to_server[0], &namelen, sizeof(namelen));
	tcp_t_recv_bytes(p->to_server[0], peer_name, namelen);
	CHECK(namelen == peerlen);
	CHECK(!memcmp(peer, peer_name, peerlen));
	optlen = sizeof(cm_size);
	CHECK_OK(fi_getopt(&t.ep->fid, FI_OPT_ENDPOINT, FI_OPT_CM_DATA_SIZE,
			   &cm_size, &optlen));
	CHECK(cm_size == CM_MAX);
	CHECK_OK(fi_recv(t.ep, buf, sizeof(buf), NULL, 0, buf));
	tcp_t_signal(p->to_client[1]); /* now shut it down */
	tcp_t_eq_expect(&t, FI_SHUTDOWN, NULL, NULL);
	/* The receive still posted is canceled, not lost. */
	CHECK(tcp_t_cq_wait(t.rx, &ce, &err) == -FI_ECANCELED);
	CHECK(err.op_context == buf);
	CHECK(fi_send(t.ep, buf, 1, NULL, 0, NULL) == -FI_ENOTCONN);
	tcp_t_ep_close(&t);
	tcp_t_signal(p->to_client[1]);

	/* 2: reject with data. */
	reqlen = sizeof(req);
	tcp_t_eq_expect(&t, FI_CONNREQ, req, &reqlen);
	CHECK(reqlen == 10 && !memcmp(req, "reject me", 10));
	CHECK(fi_reject(t.pep, t.conn_info->handle, "no thanks!", 11) == 0);
	fi_freeinfo(t.conn_info);
	t.conn_info = NULL;

	/* 3: a request with no data, accepted with none. */
	reqlen = sizeof(req);
	tcp_t_accept(&t, req, &reqlen, NULL, 0, 0);
	CHECK(reqlen == 0);
	tcp_t_eq_expect(&t, FI_SHUTDOWN, NULL, NULL);
	tcp_t_ep_close(&t);

	tcp_t_close(&t);
	exit(0);
}

static void client(struct tcp_t_pair *p)
{
	struct tcp_t t;
	uint8_t addr[128], name[128], peer[128], data[512], req[CM_MAX],
		want[CM_MAX];
	size_t addrlen, namelen = sizeof(name), peerlen = sizeof(peer),
			datalen;
	struct sockaddr_in closed;
	socklen_t clen = sizeof(closed);
	int s;

	addrlen = tcp_t_pair_recv_addr(p, addr, sizeof(addr));
	tcp_t_open(&t, tcp_t_getinfo(0, false));

	/* 1 */
	fill(req, CM_MAX, 1);
	fill(want, CM_MAX, 2);
	datalen = sizeof(data);
	tcp_t_ep_open(&t, t.info, 0);
	CHECK(fi_connect(t.ep, addr, req, CM_MAX + 1) == -FI_EINVAL);
	CHECK(fi_getpeer(t.ep, peer, &peerlen) == -FI_ENOTCONN);
	CHECK_OK(fi_connect(t.ep, addr, req, CM_MAX));
	CHECK(fi_connect(t.ep, addr, req, CM_MAX) == -FI_EOPBADSTATE);
	tcp_t_eq_expect(&t, FI_CONNECTED, data, &datalen);
	CHECK(datalen == CM_MAX);
	CHECK(!memcmp(data, want, CM_MAX));
	peerlen = sizeof(peer);
	CHECK_OK(fi_getpeer(t.ep, peer, &peerlen));
	CHECK(peerlen == addrlen && port_of(peer) == port_of(addr));
	CHECK_OK(fi_getname(&t.ep->fid, name, &namelen));
	CHECK(port_of(name) != 0);
	tcp_t_send_bytes(p->to_server[1], &namelen, sizeof(namelen));
	tcp_t_send_bytes(p->to_server[1], name, namelen);
	tcp_t_wait_signal(p->to_client[0]);
	CHECK_OK(fi_shutdown(t.ep, 0));
	tcp_t_eq_expect(&t, FI_SHUTDOWN, NULL, NULL);
	tcp_t_ep_close(&t);
	tcp_t_wait_signal(p->to_client[0]);

	/* 2 */
	tcp_t_ep_open(&t, t.info, 0);
	CHECK_OK(fi_connect(t.ep, addr, "reject me", 10));
	datalen = sizeof(data);
	CHECK(tcp_t_eq_expect_err(&t, data, &datalen) == FI_ECONNREFUSED);
	CHECK(datalen == 11 && !memcmp(data, "no thanks!", 11));
	tcp_t_ep_close(&t);

	/* 3 */
	tcp_t_ep_open(&t, t.info, 0);
	CHECK_OK(fi_connect(t.ep, addr, NULL, 0));
	datalen = sizeof(data);
	tcp_t_eq_expect(&t, FI_CONNECTED, data, &datalen);
	CHECK(datalen == 0);
	tcp_t_ep_close(&t);

	/* 4: nobody listens on that port. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(s >= 0);
	memset(&closed, 0, sizeof(closed));
	closed.sin_family = AF_INET;
	closed.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(s, (struct sockaddr *)&closed, sizeof(closed)) == 0);
	CHECK(getsockname(s, (struct sockaddr *)&closed, &clen) == 0);
	tcp_t_ep_open(&t, t.info, 0);
	/* Bound but not listening: connections to it are refused. */
	CHECK_OK(fi_connect(t.ep, &closed, NULL, 0));
	datalen = sizeof(data);
	CHECK(tcp_t_eq_expect_err(&t, data, &datalen) == FI_ECONNREFUSED);
	CHECK(datalen == 0);
	close(s);
	tcp_t_ep_close(&t);

	tcp_t_close(&t);
	tcp_t_pair_join(p);
}

int main(void)
{
	struct tcp_t_pair p;

	weft_test_require_weft_loaded();
	if (tcp_t_fork(&p))
		server(&p);
	client(&p);
	printf("PASS\n");
	return 0;
}
