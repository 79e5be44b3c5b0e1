/* tcp FI_EP_RDM connection management between processes (public API
 * only, plus /proc/net/tcp to count connections).
 *
 * - Simultaneous connects: two fresh endpoints send to each other at the
 *   same moment (both connect at once), for several rounds; all messages
 *   arrive, and afterwards exactly one TCP connection joins the two
 *   endpoints' ports.
 * - A peer that restarts on the same address (a new process, a new
 *   endpoint bound to the old port) is reached again: first by the
 *   survivor sending to it, then by the new peer sending first.
 * - A peer killed with SIGKILL while sends to it wait for its receives
 *   (rendezvous): every one of them completes, the ones it never took
 *   with an error (no hang), and later sends to the dead address fail
 *   with an error completion too.
 * - A receive waiting for rendezvous data from a sender that is killed
 *   completes with an error.
 */
#include <errno.h>

#include "tcp_rdm_test.h"

/* Ends of established TCP connections touching listening ports a or b,
 * as lines of /proc/net/tcp (each connection appears once per end). */
static int count_established(unsigned a, unsigned b)
{
	FILE *f = fopen("/proc/net/tcp", "r");
	char line[512];
	int n = 0;

	CHECK(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned la, lp, ra, rp, st;

		if (sscanf(line, " %*d: %x:%x %x:%x %x", &la, &lp, &ra, &rp,
			   &st) != 5)
			continue;
		/* A connection runs from one side's ephemeral port to the
		 * other side's listening port: two lines, one per end. */
		if (st == 1 && (lp == a || rp == a || lp == b || rp == b))
			n++;
	}
	fclose(f);
	return n;
}

static void ping_both(struct rt *t, fi_addr_t peer, uint32_t seed)
{
	uint8_t out[256], in[256];
	struct fi_cq_tagged_entry c;
	int sctx, rctx;

	rt_fill(out, sizeof(out), seed);
	RT_POST(t, fi_recv(t->ep, in, sizeof(in), NULL, FI_ADDR_UNSPEC,
			   &rctx));
	CHECK_OK(fi_send(t->ep, out, sizeof(out), NULL, peer, &sctx));
	rt_get(t->tx, &c, NULL, NULL);
	CHECK(c.op_context == &sctx);
	rt_get(t->rx, &c, NULL, NULL);
	CHECK(c.op_context == &rctx && c.len == sizeof(in));
	rt_verify(in, sizeof(in), seed ^ 1);
}

/* Both sides: fresh endpoints, barrier, send to each other at once. */
static void simultaneous(int rfd, int wfd, bool parent)
{
	for (int round = 0; round < 8; round++) {
		struct rt t;
		fi_addr_t peer;
		unsigned mine, theirs;
		long end;

		rt_open(&t, FI_MSG, 0);
		rt_send_name(wfd, &t);
		peer = rt_recv_name(rfd, &t);
		mine = rt_port(&t);
		CHECK(write(wfd, &mine, sizeof(mine)) == (ssize_t)sizeof(mine));
		CHECK(read(rfd, &theirs, sizeof(theirs)) ==
		      (ssize_t)sizeof(theirs));
		ping_both(&t, peer, (uint32_t)round * 2 + (parent ? 0 : 1));
		/* Let the losing connection's close reach both sides: the
		 * count must settle at one connection (two ends), and stay
		 * there. The loser may wait out its 1 s retry before the
		 * winner's connection settles; a loaded machine stretches
		 * that, so allow 20 s (the loop ends as soon as it holds). */
		end = rt_now_ms() + 20000;
		for (int stable = 0; stable < 10 && rt_now_ms() < end;) {
			rt_spin(&t, 10);
			stable = count_established(mine, theirs) == 2
					 ? stable + 1
					 : 0;
		}
		if (count_established(mine, theirs) != 2) {
			fprintf(stderr, "round %d: %d connection ends\n",
				round, count_established(mine, theirs));
			CHECK(0);
		}
		/* Both done before either closes. */
		rt_signal(wfd);
		rt_wait_signal(rfd);
		ping_both(&t, peer, 200 + (parent ? 0 : 1));
		rt_signal(wfd);
		rt_wait_signal(rfd);
		rt_close(&t);
	}
}

/* The parent's ping partner: echo one 256-byte message. */
static void echo_once(struct rt *t, fi_addr_t peer)
{
	uint8_t buf[256];
	struct fi_cq_tagged_entry c;
	int ctx;

	RT_POST(t, fi_recv(t->ep, buf, sizeof(buf), NULL, FI_ADDR_UNSPEC,
			   &ctx));
	rt_get(t->rx, &c, NULL, NULL);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] ^= 0x5a;
	RT_POST(t, fi_send(t->ep, buf, sizeof(buf), NULL, peer, &ctx));
	rt_get(t->tx, &c, NULL, NULL);
}

static void ping(struct rt *t, fi_addr_t peer, uint32_t seed, bool first)
{
	uint8_t out[256], in[256];
	struct fi_cq_tagged_entry c;
	int ctx;

	(void)first;
	rt_fill(out, sizeof(out), seed);
	RT_POST(t, fi_recv(t->ep, in, sizeof(in), NULL, FI_ADDR_UNSPEC,
			   &ctx));
	RT_POST(t, fi_send(t->ep, out, sizeof(out), NULL, peer, &ctx));
	rt_get(t->tx, &c, NULL, NULL);
	rt_get(t->rx, &c, NULL, NULL);
	for (size_t i = 0; i < sizeof(in); i++)
		CHECK(in[i] == (out[i] ^ 0x5a));
}

/* A child that listens on `port`, reports its name, and serves: mode 0
 * echoes once; mode 1 sends to the parent first, then echoes. */
static pid_t restart_child(int pfd_w, int pfd_r, const char *pname,
			   size_t plen, unsigned port, int mode)
{
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		struct rt t;
		fi_addr_t peer;
		uint8_t hello[16] = "hello";
		struct fi_cq_tagged_entry c;

		alarm(30);
		rt_open(&t, FI_MSG, port);
		rt_send_name(pfd_w, &t);
		CHECK_RET(fi_av_insert(t.av, pname, 1, &peer, 0, NULL), 1);
		(void)plen;
		if (mode == 1) {
			RT_POST(&t, fi_send(t.ep, hello, sizeof(hello), NULL,
					    peer, NULL));
			rt_get(t.tx, &c, NULL, NULL);
		}
		echo_once(&t, peer);
		rt_wait_signal(pfd_r);
		rt_close(&t);
		_exit(0);
	}
	return pid;
}

static void restart(void)
{
	int c2p[2], p2c[2];
	struct rt t;
	fi_addr_t peer, peer2;
	unsigned port;
	pid_t pid;
	char name[64];
	size_t n;
	uint8_t hello[16];
	struct fi_cq_tagged_entry c;
	int ctx;

	CHECK(pipe(c2p) == 0 && pipe(p2c) == 0);
	rt_open(&t, FI_MSG, 0);
	/* First incarnation on an ephemeral port. */
	pid = restart_child(c2p[1], p2c[0], t.name, t.namelen, 0, 0);
	CHECK(read(c2p[0], &n, sizeof(n)) == (ssize_t)sizeof(n));
	CHECK(n <= sizeof(name) && read(c2p[0], name, n) == (ssize_t)n);
	port = ntohs(((struct sockaddr_in *)(void *)name)->sin_port);
	CHECK_RET(fi_av_insert(t.av, name, 1, &peer, 0, NULL), 1);
	ping(&t, peer, 1, true);
	rt_signal(p2c[1]);
	rt_reap(pid);
	/* Notice the old connection's end while nothing is outstanding: no
	 * completion may come of it. */
	rt_spin(&t, 200);

	/* Second incarnation on the same port: we send first. */
	pid = restart_child(c2p[1], p2c[0], t.name, t.namelen, port, 0);
	CHECK(read(c2p[0], &n, sizeof(n)) == (ssize_t)sizeof(n));
	CHECK(n <= sizeof(name) && read(c2p[0], name, n) == (ssize_t)n);
	CHECK_RET(fi_av_insert(t.av, name, 1, &peer2, 0, NULL), 1);
	ping(&t, peer2, 2, true);
	rt_signal(p2c[1]);
	rt_reap(pid);

	/* Third incarnation sends first, before we noticed the second
	 * one's end: its new incarnation replaces the old connection. */
	pid = restart_child(c2p[1], p2c[0], t.name, t.namelen, port, 1);
	CHECK(read(c2p[0], &n, sizeof(n)) == (ssize_t)sizeof(n));
	CHECK(n <= sizeof(name) && read(c2p[0], name, n) == (ssize_t)n);
	RT_POST(&t, fi_recv(&t.ep[0], hello, sizeof(hello), NULL,
			    FI_ADDR_UNSPEC, &ctx));
	rt_get(t.rx, &c, NULL, NULL);
	CHECK(c.len == sizeof(hello) && !strcmp((char *)hello, "hello"));
	ping(&t, peer2, 3, false);
	rt_signal(p2c[1]);
	rt_reap(pid);
	rt_close(&t);
}

/* Sends waiting on a peer that is killed all complete, with errors. */
static void killed_receiver(void)
{
	enum { N = 8, LEN = 1 << 20 };
	int c2p[2];
	struct rt t;
	fi_addr_t peer;
	pid_t pid;
	uint8_t *buf = malloc(LEN);
	int ctx[N], ok = 0, bad = 0;

	CHECK(buf && pipe(c2p) == 0);
	rt_open(&t, FI_TAGGED, 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct rt k;
		fi_addr_t p;
		struct fi_cq_tagged_entry c;

		alarm(30);
		rt_open(&k, FI_TAGGED, 0);
		rt_send_name(c2p[1], &k);
		CHECK_RET(fi_av_insert(k.av, t.name, 1, &p, 0, NULL), 1);
		/* Take exactly one message, then die. */
		RT_POST(&k, fi_trecv(k.ep, buf, LEN, NULL, FI_ADDR_UNSPEC, 0,
				     0, NULL));
		rt_get(k.rx, &c, NULL, NULL);
		rt_verify(buf, LEN, 7);
		raise(SIGKILL);
		_exit(1);
	}
	peer = rt_recv_name(c2p[0], &t);
	rt_fill(buf, LEN, 7);
	for (int i = 0; i < N; i++)
		RT_POST(&t, fi_tsend(t.ep, buf, LEN, NULL, peer, 0, &ctx[i]));
	for (int i = 0; i < N; i++) {
		struct fi_cq_tagged_entry c;
		struct fi_cq_err_entry e;

		if (rt_get(t.tx, &c, NULL, &e) == 1) {
			ok++;
		} else {
			CHECK(e.err == ECONNRESET || e.err == EPIPE ||
			      e.err == ECONNREFUSED);
			CHECK(e.flags & FI_SEND);
			bad++;
		}
	}
	CHECK(ok == 1 && bad == N - 1);
	{
		int st;

		CHECK(waitpid(pid, &st, 0) == pid);
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	}
	/* Nobody listens there any more: a new send fails, no hang. */
	{
		struct fi_cq_tagged_entry c;
		struct fi_cq_err_entry e;

		RT_POST(&t, fi_tsend(t.ep, buf, 100, NULL, peer, 0, &ctx[0]));
		CHECK_RET(rt_get(t.tx, &c, NULL, &e), -FI_EAVAIL);
		CHECK(e.op_context == &ctx[0]);
		CHECK(e.err == ECONNREFUSED || e.err == ECONNRESET);
	}
	rt_close(&t);
	free(buf);
}

/* A receive matched to a rendezvous whose sender dies fails. */
static void killed_sender(void)
{
	enum { LEN = 4 << 20 };
	int c2p[2], p2c[2];
	struct rt t;
	fi_addr_t peer;
	pid_t pid;
	uint8_t *buf = malloc(LEN);
	struct fi_cq_tagged_entry c;
	struct fi_cq_err_entry e;
	int ctx, st;

	CHECK(buf && pipe(c2p) == 0 && pipe(p2c) == 0);
	rt_open(&t, FI_TAGGED, 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct rt k;
		fi_addr_t p;

		alarm(30);
		rt_open(&k, FI_TAGGED, 0);
		rt_send_name(c2p[1], &k);
		CHECK_RET(fi_av_insert(k.av, t.name, 1, &p, 0, NULL), 1);
		/* A small message brings the connection up... */
		RT_POST(&k, fi_tsend(k.ep, buf, 8, NULL, p, 1, NULL));
		rt_get(k.tx, &c, NULL, NULL);
		/* ...then the announcement goes out at once; we never
		 * progress again, so the data never follows. */
		CHECK_OK(fi_tsend(k.ep, buf, LEN, NULL, p, 2, NULL));
		rt_signal(c2p[1]);
		pause();
		_exit(1);
	}
	peer = rt_recv_name(c2p[0], &t);
	(void)peer;
	RT_POST(&t, fi_trecv(t.ep, buf, 8, NULL, FI_ADDR_UNSPEC, 1, 0, NULL));
	rt_get(t.rx, &c, NULL, NULL);
	rt_wait_signal(c2p[0]);
	RT_POST(&t, fi_trecv(t.ep, buf, LEN, NULL, FI_ADDR_UNSPEC, 2, 0, &ctx));
	rt_spin(&t, 200); /* the CTS goes out; no data comes */
	kill(pid, SIGKILL);
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK_RET(rt_get(t.rx, &c, NULL, &e), -FI_EAVAIL);
	CHECK(e.op_context == &ctx);
	CHECK(e.err == ECONNRESET);
	rt_close(&t);
	free(buf);
}

int main(void)
{
	int p2c[2], c2p[2];
	pid_t pid;

	alarm(90);
	CHECK(pipe(p2c) == 0 && pipe(c2p) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		simultaneous(p2c[0], c2p[1], false);
		_exit(0);
	}
	simultaneous(c2p[0], p2c[1], true);
	rt_reap(pid);
	restart();
	killed_receiver();
	killed_sender();
	return 0;
}
