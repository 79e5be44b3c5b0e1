/* tcp FI_EP_RDM flow control (two processes, public API only): unexpected
 * messages cannot exhaust the receiver's memory.
 * - 48 rendezvous-sized messages of 4 MiB (192 MiB) sent to a receiver
 *   that has posted nothing: the receiver's resident memory grows by less
 *   than 16 MiB while all 48 wait (they are announcements only); then the
 *   receives are posted in reverse order and every byte arrives.
 * - 1200 eager messages of 60 KiB (70 MiB) to a receiver that has posted
 *   nothing: buffering stops at FI_TCP_UNEXP_LIMIT (16 MiB by default)
 *   and the stream waits (the receiver's memory grows by less than
 *   40 MiB); then every message is received, in order, intact.
 */
#include <stdio.h>

#include "tcp_rdm_test.h"

#define BIGN 48
#define BIG (4u << 20)
#define SMALLN 1200
#define SMALL (60u * 1024)

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	CHECK(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	CHECK(kib > 0);
	return kib;
}

static void sender(int rfd, int wfd)
{
	struct rt t;
	fi_addr_t peer;
	uint8_t *big = malloc(BIG), *small = malloc(SMALL);
	struct fi_cq_tagged_entry c;

	CHECK(big && small);
	rt_open(&t, FI_TAGGED, 0);
	rt_send_name(wfd, &t);
	peer = rt_recv_name(rfd, &t);
	rt_fill(big, BIG, 3);
	for (int i = 0; i < BIGN; i++)
		RT_POST(&t, fi_tsend(t.ep, big, BIG, NULL, peer, (uint64_t)i,
				     NULL));
	for (int i = 0; i < BIGN; i++)
		rt_get(t.tx, &c, NULL, NULL);
	rt_fill(small, SMALL, 4);
	for (int i = 0; i < SMALLN; i++)
		RT_POST(&t, fi_tsend(t.ep, small, SMALL, NULL, peer,
				     1000 + (uint64_t)i, NULL));
	for (int i = 0; i < SMALLN; i++)
		rt_get(t.tx, &c, NULL, NULL);
	rt_wait_signal(rfd);
	rt_close(&t);
	free(big);
	free(small);
}

/* Spin until a message with `tag` is waiting (peek). */
static void wait_for_tag(struct rt *t, uint64_t tag)
{
	long end = rt_now_ms() + RT_TMO;
	struct fi_msg_tagged msg;
	struct fi_context ctx;

	memset(&msg, 0, sizeof(msg));
	msg.addr = FI_ADDR_UNSPEC;
	msg.tag = tag;
	msg.context = &ctx;
	for (;;) {
		struct fi_cq_tagged_entry c;
		struct fi_cq_err_entry e;

		CHECK_OK(fi_trecvmsg(t->ep, &msg, FI_PEEK));
		if (rt_get(t->rx, &c, NULL, &e) == 1)
			return;
		CHECK(e.err == FI_ENOMSG);
		CHECK(rt_now_ms() < end);
		rt_spin(t, 5);
	}
}

static void receiver(int rfd, int wfd)
{
	struct rt t;
	uint8_t *buf = malloc(BIG);
	struct fi_cq_tagged_entry c;
	long base, grown;

	CHECK(buf);
	memset(buf, 1, BIG); /* resident before the baseline */
	rt_open(&t, FI_TAGGED, 0);
	rt_send_name(wfd, &t);
	(void)rt_recv_name(rfd, &t);
	base = rss_kib();

	wait_for_tag(&t, BIGN - 1);
	grown = rss_kib() - base;
	printf("rendezvous: %d x 4 MiB waiting, RSS grew by %ld KiB\n", BIGN,
	       grown);
	CHECK(grown < 16 * 1024);
	for (int i = BIGN - 1; i >= 0; i--) {
		memset(buf, 0, BIG);
		RT_POST(&t, fi_trecv(t.ep, buf, BIG, NULL, FI_ADDR_UNSPEC,
				     (uint64_t)i, 0, NULL));
		rt_get(t.rx, &c, NULL, NULL);
		CHECK(c.len == BIG && c.tag == (uint64_t)i);
		rt_verify(buf, BIG, 3);
	}

	/* Eager: let the sender fill what we are willing to buffer. */
	rt_spin(&t, 1500);
	grown = rss_kib() - base;
	printf("eager: %d x 60 KiB sent, RSS grew by %ld KiB\n", SMALLN,
	       grown);
	CHECK(grown < 40 * 1024);
	for (int i = 0; i < SMALLN; i++) {
		memset(buf, 0, 64);
		RT_POST(&t, fi_trecv(t.ep, buf, SMALL, NULL, FI_ADDR_UNSPEC,
				     1000 + (uint64_t)i, 0, NULL));
		rt_get(t.rx, &c, NULL, NULL);
		CHECK(c.len == SMALL && c.tag == 1000 + (uint64_t)i);
		rt_verify(buf, SMALL, 4);
	}
	rt_signal(wfd);
	rt_close(&t);
	free(buf);
}

int main(void)
{
	int p2c[2], c2p[2];
	pid_t pid;

	alarm(60);
	setvbuf(stdout, NULL, _IONBF, 0);
	CHECK(pipe(p2c) == 0 && pipe(c2p) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		sender(p2c[0], c2p[1]);
		_exit(0);
	}
	receiver(c2p[0], p2c[1]);
	rt_reap(pid);
	return 0;
}
