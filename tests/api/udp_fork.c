/* udp: two processes. Each opens its own fabric, domain and endpoint; they
 * swap fi_getname addresses over a pipe pair, then ping-pong messages of
 * several sizes with data checks, remote CQ data and FI_SOURCE in both
 * directions. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "udp_test.h"

#define ITERS 200

static char txbuf[70000], rxbuf[70000];

static void xfer_name(int wfd, int rfd, struct udp_t_ep *e, char *peer,
		      size_t *peerlen)
{
	uint32_t len = (uint32_t)e->namelen;

	CHECK(write(wfd, &len, sizeof(len)) == sizeof(len));
	CHECK(write(wfd, e->name, len) == (ssize_t)len);
	CHECK(read(rfd, &len, sizeof(len)) == sizeof(len));
	CHECK(len <= 64);
	CHECK(read(rfd, peer, len) == (ssize_t)len);
	*peerlen = len;
}

static int run(int wfd, int rfd, bool first)
{
	struct udp_t t;
	struct udp_t_ep e;
	struct fi_cq_data_entry comp;
	char peer[64];
	size_t peerlen, max;
	fi_addr_t peer_addr, src;
	int rctx, sctx;
	size_t sizes[] = { 1, 64, 512, 0 };

	udp_t_open(&t, udp_t_getinfo(0, FI_MSG | FI_SOURCE));
	max = t.info->ep_attr->max_msg_size;
	sizes[3] = max;
	udp_t_ep_open(&t, &e);
	xfer_name(wfd, rfd, &e, peer, &peerlen);
	CHECK_RET(fi_av_insert(t.av, peer, 1, &peer_addr, 0, NULL), 1);

	/* Always keep one receive posted before telling the peer to go. */
	CHECK_OK(fi_recv(e.ep, rxbuf, max, NULL, FI_ADDR_UNSPEC, &rctx));
	{
		char go = 'g';

		CHECK(write(wfd, &go, 1) == 1);
		CHECK(read(rfd, &go, 1) == 1);
	}
	for (int i = 0; i < ITERS; i++) {
		size_t len = sizes[i % 4];
		unsigned seed = (unsigned)i;

		if (first) {
			udp_t_fill(txbuf, len, seed);
			CHECK_OK(fi_senddata(e.ep, txbuf, len, NULL, i, peer_addr,
					     &sctx));
			udp_t_expect(e.tx, &comp, NULL);
		}
		udp_t_expect(e.rx, &comp, &src);
		CHECK(src == peer_addr);
		CHECK(comp.len == len);
		CHECK(comp.flags & FI_REMOTE_CQ_DATA);
		CHECK(comp.data == (uint64_t)i);
		CHECK(udp_t_check(rxbuf, len, seed));
		CHECK_OK(fi_recv(e.ep, rxbuf, max, NULL, FI_ADDR_UNSPEC,
				 &rctx));
		if (!first) {
			udp_t_fill(txbuf, len, seed);
			CHECK_OK(fi_senddata(e.ep, txbuf, len, NULL, i, peer_addr,
					     &sctx));
			udp_t_expect(e.tx, &comp, NULL);
		}
	}
	CHECK_OK(fi_cancel(&e.ep->fid, &rctx));
	udp_t_ep_close(&e);
	udp_t_close(&t);
	return 0;
}

int main(void)
{
	int p2c[2], c2p[2], status;
	pid_t pid;

	weft_test_require_weft_loaded();
	CHECK(pipe(p2c) == 0 && pipe(c2p) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		alarm(60); /* never outlive the test */
		exit(run(c2p[1], p2c[0], false));
	}
	run(p2c[1], c2p[0], true);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return 0;
}
