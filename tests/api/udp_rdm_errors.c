/* udp FI_EP_RDM, what can go wrong (public API only):
 * - datagrams that are not weft's RDM protocol (random bytes, truncated
 *   headers, a header with bad lengths, a DGRAM packet) sent at an RDM
 *   endpoint from a plain socket are dropped: no completion, no crash, and
 *   the endpoint keeps working;
 * - a peer process that exits with sends outstanding to it: the sends
 *   complete in error with FI_ETIMEDOUT after FI_UDP_RDM_DEAD_MS (set to
 *   300 ms here), not before; new sends to it fail with -FI_EHOSTUNREACH;
 * - a send to an fi_addr not in the AV is -FI_EINVAL; a receive cancelled
 *   completes with FI_ECANCELED. */
#include <netinet/in.h>
#include <rdma/fi_tagged.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "udp_test.h"

#define DEAD_MS 300

static struct fi_info *rdm_getinfo(void)
{
	struct fi_info *hints = fi_allocinfo(), *info = NULL;

	CHECK(hints);
	hints->ep_attr->type = FI_EP_RDM;
	hints->caps = FI_MSG | FI_TAGGED;
	hints->addr_format = FI_SOCKADDR_IN;
	hints->fabric_attr->prov_name = strdup("udp");
	CHECK_OK(fi_getinfo(FI_VERSION(1, 17), "127.0.0.1", NULL, FI_SOURCE,
			    hints, &info));
	fi_freeinfo(hints);
	CHECK(info && info->ep_attr->type == FI_EP_RDM);
	return info;
}

static void ep_open(struct udp_t *t, struct udp_t_ep *e)
{
	struct fi_cq_attr cq_attr = {.format = FI_CQ_FORMAT_TAGGED, .size = 64};

	memset(e, 0, sizeof(*e));
	CHECK_OK(fi_endpoint(t->domain, t->info, &e->ep, e));
	CHECK_OK(fi_cq_open(t->domain, &cq_attr, &e->tx, NULL));
	CHECK_OK(fi_cq_open(t->domain, &cq_attr, &e->rx, NULL));
	CHECK_OK(fi_ep_bind(e->ep, &t->av->fid, 0));
	CHECK_OK(fi_ep_bind(e->ep, &e->tx->fid, FI_TRANSMIT));
	CHECK_OK(fi_ep_bind(e->ep, &e->rx->fid, FI_RECV));
	CHECK_OK(fi_enable(e->ep));
	e->namelen = sizeof(e->name);
	CHECK_OK(fi_getname(&e->ep->fid, e->name, &e->namelen));
	CHECK_RET(fi_av_insert(t->av, e->name, 1, &e->addr, 0, NULL), 1);
}

static ssize_t wait_cq(struct fid_cq *cq, struct fi_cq_tagged_entry *c,
		       long ms)
{
	long end = udp_t_now_ms() + ms;
	ssize_t r;

	do {
		r = fi_cq_read(cq, c, 1);
		if (r != -FI_EAGAIN)
			return r;
	} while (udp_t_now_ms() < end);
	return -FI_EAGAIN;
}

static void garbage(void)
{
	struct udp_t t;
	struct udp_t_ep a, b;
	struct fi_cq_tagged_entry c;
	struct sockaddr_in dst;
	uint8_t pkt[200];
	char buf[64];
	int s, i;

	udp_t_open(&t, rdm_getinfo());
	ep_open(&t, &a);
	ep_open(&t, &b);
	memcpy(&dst, b.name, sizeof(dst));
	s = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(s >= 0);
	{
		/* The garbage comes from an address that is in the AV, so it
		 * reaches the packet decoder rather than the unknown-sender
		 * filter in front of it. */
		struct sockaddr_in me = {.sin_family = AF_INET};
		socklen_t ml = sizeof(me);
		fi_addr_t fa;

		me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		CHECK(bind(s, (struct sockaddr *)&me, sizeof(me)) == 0);
		CHECK(getsockname(s, (struct sockaddr *)&me, &ml) == 0);
		CHECK_RET(fi_av_insert(t.av, &me, 1, &fa, 0, NULL), 1);
	}
	CHECK_OK(fi_recv(b.ep, buf, sizeof(buf), NULL, FI_ADDR_UNSPEC, NULL));
	srand(5);
	for (i = 0; i < 2000; i++) {
		size_t len = (size_t)rand() % sizeof(pkt);

		for (size_t k = 0; k < len; k++)
			pkt[k] = (uint8_t)rand();
		if (i % 2) { /* mostly a valid prefix, then damage */
			static const uint8_t head[8] = {1, 2, 0, 0, 'W', 'F',
							'T', 'U'};
			memcpy(pkt, head, len < 8 ? len : 8);
			if (i % 4 == 1 && len > 8)
				memset(pkt + 8, 0, len - 8 < 32 ? len - 8 : 32);
		}
		sendto(s, pkt, len, 0, (struct sockaddr *)&dst, sizeof(dst));
		if (i % 100 == 0)
			CHECK_RET(fi_cq_read(b.rx, &c, 1), -FI_EAGAIN);
	}
	/* Nothing was delivered; a real message still is. */
	CHECK_RET(wait_cq(b.rx, &c, 100), -FI_EAGAIN);
	CHECK_OK(fi_send(a.ep, "hello", 6, NULL, b.addr, NULL));
	CHECK_RET(wait_cq(b.rx, &c, 5000), 1);
	CHECK(c.len == 6 && !strcmp(buf, "hello"));
	CHECK_RET(wait_cq(a.tx, &c, 5000), 1);
	close(s);

	/* Not in the AV. */
	CHECK_RET(fi_send(a.ep, "x", 1, NULL, 12345, NULL), -FI_EINVAL);
	/* Cancel. */
	CHECK_OK(fi_trecv(b.ep, buf, sizeof(buf), NULL, FI_ADDR_UNSPEC, 7, 0,
			  &t));
	CHECK_OK(fi_cancel(&b.ep->fid, &t));
	CHECK_RET(wait_cq(b.rx, &c, 100), -FI_EAVAIL);
	{
		struct fi_cq_err_entry e = {0};

		CHECK_RET(fi_cq_readerr(b.rx, &e, 0), 1);
		CHECK(e.err == FI_ECANCELED && e.op_context == &t);
	}
	CHECK_RET(fi_cancel(&b.ep->fid, &t), -FI_ENOENT);
	udp_t_ep_close(&a);
	udp_t_ep_close(&b);
	udp_t_close(&t);
}

static void dead_peer(void)
{
	static char big[1 << 20];
	struct udp_t t;
	struct udp_t_ep a;
	struct fi_cq_tagged_entry c;
	struct fi_cq_err_entry e;
	int p2c[2], c2p[2], status, n;
	char name[64], ctx[4];
	size_t namelen;
	fi_addr_t peer;
	long t0, dt;
	pid_t pid;

	CHECK(pipe(p2c) == 0 && pipe(c2p) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* The peer: open, say hello, exit without a word. */
		struct udp_t tc;
		struct udp_t_ep b;

		alarm(30);
		udp_t_open(&tc, rdm_getinfo());
		ep_open(&tc, &b);
		CHECK(write(c2p[1], &b.namelen, sizeof(size_t)) == sizeof(size_t));
		CHECK(write(c2p[1], b.name, b.namelen) == (ssize_t)b.namelen);
		/* Packets from addresses not in the AV are dropped: insert
		 * the parent's. */
		CHECK(read(p2c[0], &namelen, sizeof(namelen)) == sizeof(namelen));
		CHECK(namelen <= sizeof(name));
		CHECK(read(p2c[0], name, namelen) == (ssize_t)namelen);
		CHECK_RET(fi_av_insert(tc.av, name, 1, &peer, 0, NULL), 1);
		CHECK_OK(fi_recv(b.ep, big, sizeof(big), NULL, FI_ADDR_UNSPEC,
				 NULL));
		CHECK_RET(wait_cq(b.rx, &c, 5000), 1);
		_exit(0); /* no close: as if killed */
	}
	udp_t_open(&t, rdm_getinfo());
	ep_open(&t, &a);
	CHECK(read(c2p[0], &namelen, sizeof(namelen)) == sizeof(namelen));
	CHECK(namelen <= sizeof(name));
	CHECK(read(c2p[0], name, namelen) == (ssize_t)namelen);
	CHECK_RET(fi_av_insert(t.av, name, 1, &peer, 0, NULL), 1);
	CHECK(write(p2c[1], &a.namelen, sizeof(size_t)) == sizeof(size_t));
	CHECK(write(p2c[1], a.name, a.namelen) == (ssize_t)a.namelen);
	CHECK_OK(fi_send(a.ep, "hi", 3, NULL, peer, NULL));
	CHECK_RET(wait_cq(a.tx, &c, 5000), 1);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0);

	/* The peer is gone: four sends stay unacknowledged. */
	t0 = udp_t_now_ms();
	for (n = 0; n < 4; n++)
		CHECK_OK(fi_send(a.ep, big, sizeof(big), NULL, peer, &ctx[n]));
	for (n = 0; n < 4; n++) {
		CHECK_RET(wait_cq(a.tx, &c, 10 * DEAD_MS), -FI_EAVAIL);
		memset(&e, 0, sizeof(e));
		CHECK_RET(fi_cq_readerr(a.tx, &e, 0), 1);
		CHECK(e.err == FI_ETIMEDOUT && e.op_context == &ctx[n]);
		CHECK(e.flags & FI_SEND);
	}
	dt = udp_t_now_ms() - t0;
	printf("sends to a dead peer failed after %ld ms (dead time %d ms)\n",
	       dt, DEAD_MS);
	CHECK(dt >= DEAD_MS - 10 && dt < 5 * DEAD_MS);
	CHECK_RET(fi_send(a.ep, "x", 1, NULL, peer, NULL), -FI_EHOSTUNREACH);
	udp_t_ep_close(&a);
	udp_t_close(&t);
}

int main(void)
{
	char v[16];

	snprintf(v, sizeof(v), "%d", DEAD_MS);
	setenv("FI_UDP_RDM_DEAD_MS", v, 1);
	weft_test_require_weft_loaded();
	alarm(60);
	garbage();
	dead_peer();
	return 0;
}
