/* tcp provider over IPv6 (two processes, ::1): FI_SOCKADDR_IN6 names,
 * connect/accept with CM data, messages and tagged messages both ways.
 * Skipped when the host has no IPv6 loopback. */
#include <netinet/in.h>
#include <sys/socket.h>

#include "tcp_test.h"

static void exchange(struct tcp_t *t, bool first)
{
	uint8_t out[70000], in[70000];
	struct fi_cq_tagged_entry e;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 3 + first);
	CHECK_OK(fi_trecv(t->ep, in, sizeof(in), NULL, 0, 7, 0, in));
	CHECK_OK(fi_tsend(t->ep, out, sizeof(out), NULL, 0, 7, out));
	CHECK(tcp_t_cq_wait(t->rx, &e, NULL) == 1);
	CHECK(e.len == sizeof(in) && e.tag == 7);
	for (size_t i = 0; i < sizeof(in); i++)
		CHECK(in[i] == (uint8_t)(i * 3 + !first));
	CHECK(tcp_t_cq_wait(t->tx, &e, NULL) == 1);
}

static void server(struct tcp_t_pair *p)
{
	struct tcp_t t;
	struct sockaddr_in6 addr;
	size_t addrlen = sizeof(addr);
	char req[16];
	size_t reqlen = sizeof(req);

	tcp_t_open(&t, tcp_t_getinfo(1, true));
	tcp_t_listen(&t, &addr, &addrlen);
	CHECK(addrlen == sizeof(addr) && addr.sin6_family == AF_INET6);
	tcp_t_pair_send_addr(p, &addr, addrlen);
	tcp_t_accept(&t, req, &reqlen, "v6 yes", 7, 0);
	CHECK(reqlen == 7 && !strcmp(req, "v6 hi?"));
	exchange(&t, false);
	tcp_t_eq_expect(&t, FI_SHUTDOWN, NULL, NULL);
	tcp_t_ep_close(&t);
	tcp_t_close(&t);
	exit(0);
}

static void client(struct tcp_t_pair *p)
{
	struct tcp_t t;
	struct sockaddr_in6 addr, name, peer;
	size_t namelen = sizeof(name), peerlen = sizeof(peer);
	char resp[16];
	size_t resplen = sizeof(resp);

	tcp_t_pair_recv_addr(p, &addr, sizeof(addr));
	tcp_t_open(&t, tcp_t_getinfo(1, false));
	tcp_t_connect(&t, &addr, "v6 hi?", 7, resp, &resplen, 0);
	CHECK(resplen == 7 && !strcmp(resp, "v6 yes"));
	CHECK_OK(fi_getname(&t.ep->fid, &name, &namelen));
	CHECK(namelen == sizeof(name) && name.sin6_family == AF_INET6);
	CHECK(IN6_IS_ADDR_LOOPBACK(&name.sin6_addr));
	CHECK_OK(fi_getpeer(t.ep, &peer, &peerlen));
	CHECK(peer.sin6_port == addr.sin6_port);
	exchange(&t, true);
	CHECK_OK(fi_shutdown(t.ep, 0));
	tcp_t_ep_close(&t);
	tcp_t_close(&t);
	tcp_t_pair_join(p);
}

int main(void)
{
	struct tcp_t_pair p;
	struct fi_info *probe;
	int s;
	struct sockaddr_in6 lo = { .sin6_family = AF_INET6,
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	weft_test_require_weft_loaded();
	/* ::1 must be usable, not just resolvable. */
	s = socket(AF_INET6, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&lo, sizeof(lo)) != 0)
		weft_test_skip("IPv6 loopback (::1) is not available");
	close(s);
	probe = tcp_t_getinfo(1, true); /* skips without IPv6 */
	fi_freeinfo(probe);
	if (tcp_t_fork(&p))
		server(&p);
	client(&p);
	printf("PASS\n");
	return 0;
}
