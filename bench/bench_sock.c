/* The plain-socket baseline for the tcp provider: what two processes get
 * from a TCP connection over 127.0.0.1 with no library in between, run
 * the way bench_lat and bench_bw run a provider, so their figures can sit
 * side by side.
 *
 *   bench_sock lat [-S sizes] [-I iters] [-w warmup] [-c S,C]
 *   bench_sock bw  [-S sizes] [-I windows] [-W window] [-w warmup] [-c S,C]
 *
 * The process forks: the server listens on an ephemeral port of
 * 127.0.0.1, the client connects. Both sockets are nonblocking with
 * TCP_NODELAY and busy-polled (send/recv retried on EAGAIN, no poll(2)),
 * as a provider's manual progress does. A message is `size` bytes of the
 * stream, written with one send(2) per message and read into its own
 * buffer (the receive the application posted), so the receiver copies
 * nothing twice.
 *
 *  - lat: ping-pong; the run's figure is the median half round trip.
 *  - bw: windows of W messages; the server answers the last message of
 *    every window with a 12-byte ack; a window's rate is W messages over
 *    the time from its first send to its ack, the run's figure the median
 *    over windows (mbytes_s_wmedian), as in bench_bw.
 *
 * Output: one RESULT line per size with the same keys as bench_lat and
 * bench_bw, prov=sock ep=stream and lib=none (no libfabric is loaded). */
#define _GNU_SOURCE /* sched_setaffinity */
#include "bench_common.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define ACK_LEN 12

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("sched_setaffinity");
}

static int sock_setup(int s)
{
	int one = 1, fl;

	if (setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		return -1;
	fl = fcntl(s, F_GETFL);
	return fl < 0 ? -1 : fcntl(s, F_SETFL, fl | O_NONBLOCK);
}

/* Busy-polled full send / receive of len bytes. */
static int send_all(int s, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(s, p, len, MSG_NOSIGNAL);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			perror("send");
			return -1;
		}
	}
	return 0;
}

static int recv_all(int s, char *p, size_t len)
{
	while (len) {
		ssize_t n = recv(s, p, len, 0);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n == 0) {
			return -1;
		} else if (errno != EAGAIN && errno != EINTR) {
			perror("recv");
			return -1;
		}
	}
	return 0;
}

/* The server: for each size (the client sends it first as 8 bytes),
 * echo (lat) or count and ack (bw), until the client closes. */
static int server(int s, const struct bench_opts *o, char *buf, char *ack)
{
	for (;;) {
		uint64_t size, count;

		if (recv_all(s, (char *)&size, sizeof(size)) ||
		    recv_all(s, (char *)&count, sizeof(count)))
			return 0;
		for (uint64_t i = 0; i < count; i++) {
			if (recv_all(s, buf, size))
				return -1;
			if (o->kind == BENCH_LAT) {
				if (send_all(s, buf, size))
					return -1;
			} else if ((i + 1) % (uint64_t)o->window == 0) {
				uint32_t w =
					(uint32_t)(i / (uint64_t)o->window);
				uint32_t c = (uint32_t)o->window;

				memcpy(ack, &w, sizeof(w));
				memset(ack + 4, 0, 4);
				memcpy(ack + 8, &c, sizeof(c));
				if (send_all(s, ack, ACK_LEN))
					return -1;
			}
		}
	}
}

static void result_prefix(const struct bench_opts *o, size_t size)
{
	printf("RESULT bench=%s prov=sock ep=stream mode=msg size=%zu",
	       bench_kind_name(o->kind), size);
}

static int lat_client(int s, const struct bench_opts *o, size_t size,
		      char *buf)
{
	long total = o->warmup + o->iters, n = 0;
	uint64_t hdr[2] = { size, (uint64_t)total };
	double *lat = malloc(sizeof(double) * (size_t)o->iters);

	if (!lat || send_all(s, (char *)hdr, sizeof(hdr)))
		return -1;
	for (long i = 0; i < total; i++) {
		double t0 = bench_now_us(), t1;

		if (send_all(s, buf, size) || recv_all(s, buf, size))
			return -1;
		t1 = bench_now_us();
		if (i >= o->warmup)
			lat[n++] = (t1 - t0) / 2.0;
	}
	double mean = bench_mean(lat, (size_t)n);
	double p50 = bench_percentile(lat, (size_t)n, 50.0);
	double p99 = bench_percentile(lat, (size_t)n, 99.0);

	result_prefix(o, size);
	printf(" iters=%ld samples=%ld lat_us_median=%.3f lat_us_p99=%.3f "
	       "lat_us_min=%.3f lat_us_mean=%.3f lat_kind=half_rtt "
	       "timeouts=0 stale=0 inject=0 lib=none\n",
	       o->iters, n, p50, p99, n ? lat[0] : 0.0, mean);
	fflush(stdout);
	free(lat);
	return 0;
}

static int bw_client(int s, const struct bench_opts *o, size_t size,
		     char *buf)
{
	long total = o->warmup + o->iters, nw = 0;
	uint32_t W = (uint32_t)o->window;
	uint64_t hdr[2] = { size, (uint64_t)total * W };
	double *wrate = malloc(sizeof(double) * (size_t)o->iters);
	double t0 = bench_now_us(), t1;
	char ack[ACK_LEN];

	if (!wrate || send_all(s, (char *)hdr, sizeof(hdr)))
		return -1;
	for (long w = 0; w < total; w++) {
		double ws = bench_now_us(), we;
		uint32_t got;

		if (w == o->warmup)
			t0 = ws;
		for (uint32_t j = 0; j < W; j++)
			if (send_all(s, buf, size))
				return -1;
		if (recv_all(s, ack, ACK_LEN))
			return -1;
		we = bench_now_us();
		memcpy(&got, ack, sizeof(got));
		if (got != (uint32_t)w) {
			fprintf(stderr, "bw: ack for window %u, expected %ld\n",
				got, w);
			return -1;
		}
		if (w >= o->warmup && we > ws)
			wrate[nw++] = (double)W * 1e6 / (we - ws);
	}
	t1 = bench_now_us();

	uint64_t sent = (uint64_t)o->iters * W;
	double us = t1 - t0;
	double wmed = bench_percentile(wrate, (size_t)nw, 50.0);

	result_prefix(o, size);
	printf(" window=%u windows=%ld sent=%lu delivered=%lu loss_pct=0.000 "
	       "mbytes_s=%.3f msgs_s=%.1f msgs_s_wmedian=%.1f "
	       "mbytes_s_wmedian=%.3f elapsed_s=%.4f timeouts=0 stale=0 "
	       "inject=0 lib=none\n",
	       W, o->iters, (unsigned long)sent, (unsigned long)sent,
	       (double)sent * (double)size / us, (double)sent * 1e6 / us,
	       wmed, wmed * (double)size / 1e6, us / 1e6);
	fflush(stdout);
	free(wrate);
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	enum bench_kind kind;
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t alen = sizeof(addr);
	size_t max = 0;
	char *buf, ack[ACK_LEN];
	int ls, s, status = 0, ret = 0;
	pid_t pid;

	if (argc < 2 || (strcmp(argv[1], "lat") && strcmp(argv[1], "bw"))) {
		fprintf(stderr,
			"usage: %s lat|bw [-S sizes] [-I iters] [-w warmup] "
			"[-W window] [-c S,C]\n",
			argv[0]);
		return 2;
	}
	kind = strcmp(argv[1], "lat") ? BENCH_BW : BENCH_LAT;
	if (bench_parse(&o, kind, argc - 1, argv + 1))
		return 2;
	for (int i = 0; i < o.nsizes; i++)
		if (o.sizes[i] > max)
			max = o.sizes[i];
	buf = calloc(1, max ? max : 1);
	if (!buf)
		return 1;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(ls, 1) || getsockname(ls, (struct sockaddr *)&addr, &alen)) {
		perror("listen");
		return 1;
	}
	printf("# plain TCP socket over 127.0.0.1 (no libfabric loaded), "
	       "nonblocking, TCP_NODELAY, busy-polled\n");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		pin(o.cpu_server);
		s = accept(ls, NULL, NULL);
		close(ls);
		if (s < 0 || sock_setup(s))
			_exit(1);
		_exit(server(s, &o, buf, ack) ? 1 : 0);
	}
	close(ls);
	pin(o.cpu);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof(addr)) ||
	    sock_setup(s)) {
		perror("connect");
		kill(pid, SIGKILL);
		return 1;
	}
	for (int i = 0; i < o.nsizes && !ret; i++)
		ret = kind == BENCH_LAT ? lat_client(s, &o, o.sizes[i], buf)
					: bw_client(s, &o, o.sizes[i], buf);
	close(s);
	waitpid(pid, &status, 0);
	free(buf);
	if (ret || !WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	return 0;
}
