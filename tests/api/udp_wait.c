/* udp: FI_WAIT_FD. The receive CQ's wait fd (fi_control FI_GETWAIT) is
 * readable once a datagram for a bound endpoint arrives, before anyone
 * has driven progress; fi_cq_sread times out when nothing comes and wakes
 * when a peer thread sends. */
#include <pthread.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "udp_test.h"

static char txbuf[256], rxbuf[256];
static struct udp_t_ep a, b;

static void *late_sender(void *arg)
{
	usleep(200 * 1000);
	CHECK_OK(fi_inject(a.ep, txbuf, 64, b.addr));
	return NULL;
}

int main(void)
{
	struct udp_t t;
	struct fi_cq_data_entry comp;
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct fid *fids[1];
	pthread_t thr;
	long start;
	int fd = -1, epfd, rctx;

	weft_test_require_weft_loaded();
	udp_t_open(&t, udp_t_getinfo(0, FI_MSG));
	udp_t_ep_open_ex(&t, &a, FI_WAIT_FD, 0, false);
	udp_t_ep_open_ex(&t, &b, FI_WAIT_FD, 0, false);

	CHECK_OK(fi_control(&b.rx->fid, FI_GETWAIT, &fd));
	CHECK(fd >= 0);
	epfd = epoll_create1(0);
	CHECK(epfd >= 0);
	CHECK(epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0);

	/* Quiet: trywait lets us sleep, and the fd stays unreadable. */
	CHECK_OK(fi_recv(b.ep, rxbuf, sizeof(rxbuf), NULL, FI_ADDR_UNSPEC,
			 &rctx));
	fids[0] = &b.rx->fid;
	CHECK_OK(fi_trywait(t.fabric, fids, 1));
	CHECK(epoll_wait(epfd, &out, 1, 100) == 0);

	/* A datagram arrives: the fd wakes without any progress call. */
	udp_t_fill(txbuf, 64, 3);
	CHECK_OK(fi_inject(a.ep, txbuf, 64, b.addr));
	CHECK(epoll_wait(epfd, &out, 1, UDP_T_TIMEOUT_MS) == 1);
	CHECK_RET(fi_trywait(t.fabric, fids, 1), -FI_EAGAIN);
	udp_t_expect(b.rx, &comp, NULL);
	CHECK(comp.op_context == &rctx && comp.len == 64);
	CHECK(udp_t_check(rxbuf, 64, 3));

	/* fi_cq_sread: times out with nothing to read... */
	CHECK_OK(fi_recv(b.ep, rxbuf, sizeof(rxbuf), NULL, FI_ADDR_UNSPEC,
			 &rctx));
	start = udp_t_now_ms();
	CHECK_RET(fi_cq_sread(b.rx, &comp, 1, NULL, 150), -FI_EAGAIN);
	CHECK(udp_t_now_ms() - start >= 100);

	/* ...and wakes when another thread sends. */
	udp_t_fill(txbuf, 64, 4);
	CHECK(pthread_create(&thr, NULL, late_sender, NULL) == 0);
	start = udp_t_now_ms();
	CHECK_RET(fi_cq_sread(b.rx, &comp, 1, NULL, UDP_T_TIMEOUT_MS), 1);
	CHECK(udp_t_now_ms() - start < UDP_T_TIMEOUT_MS);
	CHECK(comp.op_context == &rctx && comp.len == 64);
	CHECK(udp_t_check(rxbuf, 64, 4));
	CHECK(pthread_join(thr, NULL) == 0);

	close(epfd);
	udp_t_ep_close(&a);
	udp_t_ep_close(&b);
	udp_t_close(&t);
	return 0;
}
