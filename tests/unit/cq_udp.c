/* CQ wait fds with a real provider (udp): datagrams that wait in the
 * socket because no receive is posted must not make waiters spin, neither
 * a thread in fi_cq_sread nor an application sleeping in its own epoll on
 * the FI_GETWAIT fd after fi_trywait; posting a receive then delivers. */
#include <pthread.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "api/udp_test.h"

static char txbuf[256], rxbuf[4][256];

static double thread_cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(void)
{
	struct udp_t t;
	struct udp_t_ep a, b;
	struct fi_cq_data_entry comp[4];
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct fid *fids[1];
	double cpu0, wall0, cpu, wall;
	int fd, epfd, ctx[4];

	udp_t_open(&t, udp_t_getinfo(0, FI_MSG));
	udp_t_ep_open_ex(&t, &a, FI_WAIT_FD, 0, false);
	udp_t_ep_open_ex(&t, &b, FI_WAIT_FD, 0, false);

	/* Three datagrams, no receive posted: they stay in b's socket. */
	for (int i = 0; i < 3; i++) {
		udp_t_fill(txbuf, 32, (unsigned)i);
		CHECK_OK(fi_inject(a.ep, txbuf, 32, b.addr));
	}
	usleep(20 * 1000);

	/* A blocked sread sleeps (in slices that run progress) instead of
	 * spinning on the readable socket. */
	cpu0 = thread_cpu_ms();
	wall0 = (double)udp_t_now_ms();
	CHECK_RET(fi_cq_sread(b.rx, comp, 1, NULL, 300), -FI_EAGAIN);
	cpu = thread_cpu_ms() - cpu0;
	wall = (double)udp_t_now_ms() - wall0;
	CHECK(wall >= 290);
	CHECK(cpu < wall / 3);

	/* An application's own epoll on the wait fd: trywait lets it sleep,
	 * and it is not woken again by data nobody can take yet. */
	CHECK_OK(fi_control(&b.rx->fid, FI_GETWAIT, &fd));
	epfd = epoll_create1(0);
	CHECK(epfd >= 0);
	CHECK(epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0);
	fids[0] = &b.rx->fid;
	CHECK_OK(fi_trywait(t.fabric, fids, 1));
	CHECK(epoll_wait(epfd, &out, 1, 100) == 0);

	/* Receives posted: the held datagrams are delivered by the next
	 * progress (trywait says "read", reads get them, in order). */
	for (int i = 0; i < 3; i++)
		CHECK_OK(fi_recv(b.ep, rxbuf[i], sizeof(rxbuf[i]), NULL,
				 FI_ADDR_UNSPEC, &ctx[i]));
	CHECK_RET(fi_trywait(t.fabric, fids, 1), -FI_EAGAIN);
	for (int i = 0; i < 3; i++) {
		CHECK_RET(fi_cq_sread(b.rx, comp, 1, NULL, UDP_T_TIMEOUT_MS),
			  1);
		CHECK(comp[0].op_context == &ctx[i] && comp[0].len == 32);
		CHECK(udp_t_check(rxbuf[i], 32, (unsigned)i));
	}
	CHECK_OK(fi_trywait(t.fabric, fids, 1));
	CHECK(epoll_wait(epfd, &out, 1, 50) == 0);

	/* A new datagram with a receive posted wakes the application's
	 * epoll. */
	CHECK_OK(fi_recv(b.ep, rxbuf[3], sizeof(rxbuf[3]), NULL,
			 FI_ADDR_UNSPEC, &ctx[3]));
	CHECK_OK(fi_inject(a.ep, txbuf, 16, b.addr));
	CHECK(epoll_wait(epfd, &out, 1, UDP_T_TIMEOUT_MS) == 1);
	CHECK_RET(fi_trywait(t.fabric, fids, 1), -FI_EAGAIN);
	CHECK_RET(fi_cq_read(b.rx, comp, 4), 1);
	CHECK(comp[0].op_context == &ctx[3]);

	close(epfd);
	udp_t_ep_close(&a);
	udp_t_ep_close(&b);
	udp_t_close(&t);
	return 0;
}
