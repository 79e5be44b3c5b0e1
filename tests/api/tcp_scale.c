/* tcp provider at scale (two processes): 1024 connected MSG endpoints on
 * one passive endpoint over loopback.
 *
 *  1. The file-descriptor limit is raised to the hard limit (each
 *     endpoint costs two fds per side: its socket and its epoll fd); a
 *     hard limit too low for 1024 skips the test with the numbers.
 *  2. The client opens 1024 endpoints on one CQ and connects them all at
 *     once: the listener's backlog (FI_TCP_BACKLOG, capped by
 *     net.core.somaxconn) takes the burst. Every connection carries a
 *     1 KiB message whose bytes depend on its index, verified byte for
 *     byte, and the server echoes each one back over the connection it
 *     came on, verified again by the client.
 *  3. Resident memory per connection (RSS after the 1024 connections
 *     minus before, divided by 1024) is printed for both sides, with the
 *     connection rate.
 *  4. fd exhaustion: the server lowers its soft fd limit to what it
 *     already uses; new connection attempts then meet EMFILE in accept(2)
 *     or in fi_endpoint. The server sees -FI_EMFILE from fi_endpoint (and
 *     rejects that request) or an FI_EMFILE error event on its EQ (the
 *     listener dropped a connection it could not take); each client
 *     endpoint ends with an error event, none hangs. The client's own
 *     fi_endpoint with no fd left answers -FI_EMFILE. With the limit
 *     restored, a new connection works.
 *  5. Everything is shut down: FI_SHUTDOWN for all 1024 on the server. */
#include <dirent.h>
#include <sys/resource.h>

#include "tcp_test.h"

#define N_CONN 1024
#define N_EMFILE 6
#define MSG_LEN 1024

struct side {
	struct tcp_t t;
	struct fid_ep **eps;
	uint8_t (*bufs)[MSG_LEN];
	struct fi_context *ctx;
};

static long rss_kib(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	CHECK(f);
	CHECK(fscanf(f, "%ld %ld", &pages, &resident) == 2);
	fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int fds_in_use(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	CHECK(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
}

static void set_fd_limit(rlim_t soft)
{
	struct rlimit rl;

	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	rl.rlim_cur = soft;
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
}

static void fill(uint8_t *b, uint32_t id)
{
	memcpy(b, &id, sizeof(id));
	for (size_t k = sizeof(id); k < MSG_LEN; k++)
		b[k] = (uint8_t)(id * 7u + k);
}

static uint32_t check_msg(const uint8_t *b)
{
	uint32_t id;

	memcpy(&id, b, sizeof(id));
	CHECK(id < N_CONN + 1);
	for (size_t k = sizeof(id); k < MSG_LEN; k++)
		if (b[k] != (uint8_t)(id * 7u + k)) {
			fprintf(stderr, "connection %u: byte %zu is %u\n", id,
				k, b[k]);
			exit(1);
		}
	return id;
}

static void side_open(struct side *s, bool server)
{
	struct fi_cq_attr attr = { .format = FI_CQ_FORMAT_TAGGED,
				   .wait_obj = FI_WAIT_UNSPEC,
				   .size = 4 * N_CONN };

	tcp_t_open(&s->t, tcp_t_getinfo(0, server));
	CHECK_OK(fi_cq_open(s->t.domain, &attr, &s->t.tx, NULL));
	CHECK_OK(fi_cq_open(s->t.domain, &attr, &s->t.rx, NULL));
	s->eps = calloc(N_CONN + 1, sizeof(*s->eps));
	s->bufs = calloc(N_CONN + 1, sizeof(*s->bufs));
	s->ctx = calloc(N_CONN + 1, sizeof(*s->ctx));
	CHECK(s->eps && s->bufs && s->ctx);
}

static void side_free(struct side *s)
{
	free(s->eps);
	free(s->bufs);
	free(s->ctx);
}

static int ep_open(struct side *s, struct fi_info *info, struct fid_ep **ep)
{
	int ret = fi_endpoint(s->t.domain, info, ep, NULL);

	if (ret)
		return ret;
	CHECK_OK(fi_ep_bind(*ep, &s->t.tx->fid, FI_TRANSMIT));
	CHECK_OK(fi_ep_bind(*ep, &s->t.rx->fid, FI_RECV));
	CHECK_OK(fi_ep_bind(*ep, &s->t.eq->fid, 0));
	CHECK_OK(fi_enable(*ep));
	return 0;
}

/* Next EQ event within the deadline: its type, or for an error event
 * FI_NOTIFY with the error in *err. */
static uint32_t next_event(struct tcp_t *t, struct fi_eq_cm_entry *ev,
			   int *err, fid_t *fid)
{
	long deadline = tcp_t_now_ms() + 3 * TCP_T_TIMEOUT_MS;
	uint32_t event;
	ssize_t n;

	for (;;) {
		n = fi_eq_sread(t->eq, &event, ev, sizeof(*ev), 100, 0);
		if (n > 0) {
			if (fid)
				*fid = ev->fid;
			return event;
		}
		if (n == -FI_EAVAIL) {
			struct fi_eq_err_entry e = { 0 };

			CHECK(fi_eq_readerr(t->eq, &e, 0) > 0);
			if (!err) {
				fprintf(stderr, "EQ error %d (%s)\n", e.err,
					fi_strerror(e.err));
				exit(1);
			}
			*err = e.err;
			if (fid)
				*fid = e.fid;
			return FI_NOTIFY;
		}
		CHECK(n == -FI_EAGAIN || n == -FI_ETIMEDOUT);
		if (tcp_t_now_ms() > deadline) {
			fprintf(stderr, "no EQ event in %d ms\n",
				3 * TCP_T_TIMEOUT_MS);
			exit(1);
		}
	}
}

/* Accept requests until `want` endpoints are connected. */
static void serve_connects(struct side *s, int *opened, int want)
{
	int connected = 0;

	while (connected < want) {
		struct fi_eq_cm_entry ev;
		uint32_t event = next_event(&s->t, &ev, NULL, NULL);
		int i = *opened;

		if (event == FI_CONNREQ) {
			CHECK(i <= N_CONN);
			CHECK_OK(ep_open(s, ev.info, &s->eps[i]));
			CHECK_OK(fi_recv(s->eps[i], s->bufs[i], MSG_LEN, NULL,
					 0, &s->ctx[i]));
			CHECK_OK(fi_accept(s->eps[i], NULL, 0));
			fi_freeinfo(ev.info);
			(*opened)++;
		} else {
			CHECK(event == FI_CONNECTED);
			connected++;
		}
	}
}

/* Receive `n` messages, verify them, echo each back on its connection. */
static void serve_echo(struct side *s, int n)
{
	for (int k = 0; k < n; k++) {
		struct fi_cq_tagged_entry e;
		int i;

		CHECK(tcp_t_cq_wait(s->t.rx, &e, NULL) == 1);
		i = (int)((struct fi_context *)e.op_context - s->ctx);
		CHECK(i >= 0 && i <= N_CONN);
		CHECK(e.len == MSG_LEN);
		check_msg(s->bufs[i]);
		CHECK_OK(fi_send(s->eps[i], s->bufs[i], MSG_LEN, NULL, 0,
				 NULL));
	}
	for (int k = 0; k < n; k++)
		CHECK(tcp_t_cq_wait(s->t.tx, NULL, NULL) == 1);
}

/* Step 4, server half: take connection attempts with no fd to spare
 * until the client says it is done. */
static void serve_emfile(struct side *s, struct tcp_t_pair *p)
{
	struct rlimit rl;
	int ep_emfile = 0, eq_emfile = 0;

	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	set_fd_limit((rlim_t)fds_in_use() + 1);
	tcp_t_signal(p->to_client[1]);
	for (;;) {
		struct pollfd pfd = { .fd = p->to_server[0], .events = POLLIN };
		struct fi_eq_cm_entry ev;
		uint32_t event;
		int err = 0;
		fid_t fid = NULL;
		ssize_t n = fi_eq_read(s->t.eq, &event, &ev, sizeof(ev), 0);

		if (n == -FI_EAGAIN) {
			if (poll(&pfd, 1, 1) == 1)
				break;
			continue;
		}
		if (n == -FI_EAVAIL) {
			struct fi_eq_err_entry e = { 0 };

			CHECK(fi_eq_readerr(s->t.eq, &e, 0) > 0);
			err = e.err;
			fid = e.fid;
			/* The listener could not take a connection. */
			CHECK(err == FI_EMFILE || err == ENFILE);
			CHECK(fid == &s->t.pep->fid);
			eq_emfile++;
			continue;
		}
		CHECK(n > 0);
		CHECK(event == FI_CONNREQ);
		{
			struct fid_ep *ep;
			int ret = fi_endpoint(s->t.domain, ev.info, &ep, NULL);

			if (ret == 0) { /* an fd was free after all: refuse */
				CHECK_OK(fi_close(&ep->fid));
				CHECK_OK(fi_reject(s->t.pep, ev.info->handle,
						   NULL, 0));
			} else {
				CHECK(ret == -FI_EMFILE);
				ep_emfile++;
				CHECK_OK(fi_reject(s->t.pep, ev.info->handle,
						   NULL, 0));
			}
			fi_freeinfo(ev.info);
		}
		(void)fid;
	}
	tcp_t_wait_signal(p->to_server[0]);
	set_fd_limit(rl.rlim_cur);
	printf("server: fd limit reached: %d requests refused by "
	       "fi_endpoint (-FI_EMFILE), %d FI_EMFILE events from the "
	       "listener\n",
	       ep_emfile, eq_emfile);
	CHECK(ep_emfile + eq_emfile > 0);
}

static void server(struct tcp_t_pair *p)
{
	struct side s;
	uint8_t addr[128];
	size_t addrlen = sizeof(addr);
	int opened = 0, down = 0;
	long rss0, rss1;

	side_open(&s, true);
	tcp_t_listen(&s.t, addr, &addrlen);
	rss0 = rss_kib();
	tcp_t_pair_send_addr(p, addr, addrlen);
	serve_connects(&s, &opened, N_CONN);
	rss1 = rss_kib();
	printf("server: %d endpoints, RSS %ld -> %ld KiB: %.1f KiB per "
	       "connection\n",
	       N_CONN, rss0, rss1, (double)(rss1 - rss0) / N_CONN);
	serve_echo(&s, N_CONN);
	printf("server: after one 1 KiB message each way per connection: "
	       "RSS %ld KiB, %.1f KiB per connection\n",
	       rss_kib(), (double)(rss_kib() - rss0) / N_CONN);

	serve_emfile(&s, p);

	/* One more connection, with the limit restored. */
	serve_connects(&s, &opened, 1);
	serve_echo(&s, 1);

	while (down < N_CONN + 1) {
		struct fi_eq_cm_entry ev;

		CHECK(next_event(&s.t, &ev, NULL, NULL) == FI_SHUTDOWN);
		down++;
	}
	for (int i = 0; i < opened; i++)
		CHECK_OK(fi_close(&s.eps[i]->fid));
	tcp_t_close(&s.t);
	side_free(&s);
	exit(0);
}

/* Connect eps[from, to) and wait until each is connected. */
static void connect_range(struct side *s, const void *addr, int from, int to)
{
	int connected = 0;

	for (int i = from; i < to; i++)
		CHECK_OK(fi_connect(s->eps[i], addr, NULL, 0));
	while (connected < to - from) {
		struct fi_eq_cm_entry ev;

		CHECK(next_event(&s->t, &ev, NULL, NULL) == FI_CONNECTED);
		connected++;
	}
}

/* Send the message of each connection in [from, to), check the echoes. */
static void exchange(struct side *s, int from, int to)
{
	for (int i = from; i < to; i++) {
		CHECK_OK(fi_recv(s->eps[i], s->bufs[i], MSG_LEN, NULL, 0,
				 &s->ctx[i]));
	}
	for (int i = from; i < to; i++) {
		static uint8_t out[N_CONN + 1][MSG_LEN];

		fill(out[i], (uint32_t)i);
		CHECK_OK(fi_send(s->eps[i], out[i], MSG_LEN, NULL, 0, NULL));
	}
	for (int k = from; k < to; k++)
		CHECK(tcp_t_cq_wait(s->t.tx, NULL, NULL) == 1);
	for (int k = from; k < to; k++) {
		struct fi_cq_tagged_entry e;
		int i;

		CHECK(tcp_t_cq_wait(s->t.rx, &e, NULL) == 1);
		i = (int)((struct fi_context *)e.op_context - s->ctx);
		CHECK(i >= from && i < to && e.len == MSG_LEN);
		/* The echo of this connection's own message. */
		CHECK(check_msg(s->bufs[i]) == (uint32_t)i);
	}
}

/* Step 4, client half. */
static void client_emfile(struct side *s, struct tcp_t_pair *p,
			  const void *addr)
{
	struct fid_ep *eps[N_EMFILE], *ep;
	int refused = 0;
	struct rlimit rl;

	tcp_t_wait_signal(p->to_client[0]);
	for (int i = 0; i < N_EMFILE; i++) {
		CHECK_OK(ep_open(s, s->t.info, &eps[i]));
		CHECK_OK(fi_connect(eps[i], addr, NULL, 0));
	}
	for (int k = 0; k < N_EMFILE; k++) {
		struct fi_eq_cm_entry ev;
		int err = 0;
		uint32_t event = next_event(&s->t, &ev, &err, NULL);

		/* Refused (fi_reject) or closed by a listener out of fds. */
		CHECK(event == FI_NOTIFY);
		CHECK(err == FI_ECONNREFUSED || err == FI_ECONNRESET ||
		      err == FI_EIO);
		refused++;
	}
	for (int i = 0; i < N_EMFILE; i++)
		CHECK_OK(fi_close(&eps[i]->fid));
	tcp_t_signal(p->to_server[1]);

	/* Our own side out of fds: fi_endpoint says so. */
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	set_fd_limit((rlim_t)fds_in_use());
	CHECK(fi_endpoint(s->t.domain, s->t.info, &ep, NULL) == -FI_EMFILE);
	set_fd_limit(rl.rlim_cur);
	printf("client: %d connection attempts ended with an error event; "
	       "fi_endpoint with no fd left: -FI_EMFILE\n",
	       refused);
}

static void client(struct tcp_t_pair *p)
{
	struct side s;
	uint8_t addr[128];
	long rss0, rss1, t0, t1;

	tcp_t_pair_recv_addr(p, addr, sizeof(addr));
	side_open(&s, false);
	rss0 = rss_kib();
	for (int i = 0; i < N_CONN; i++)
		CHECK_OK(ep_open(&s, s.t.info, &s.eps[i]));
	t0 = tcp_t_now_ms();
	connect_range(&s, addr, 0, N_CONN);
	t1 = tcp_t_now_ms();
	rss1 = rss_kib();
	printf("client: %d connections in %ld ms (%.0f/s), RSS %ld -> %ld "
	       "KiB: %.1f KiB per connection\n",
	       N_CONN, t1 - t0,
	       N_CONN * 1000.0 / (double)(t1 > t0 ? t1 - t0 : 1),
	       rss0, rss1, (double)(rss1 - rss0) / N_CONN);
	exchange(&s, 0, N_CONN);
	printf("client: after one 1 KiB message each way per connection: "
	       "RSS %ld KiB, %.1f KiB per connection\n",
	       rss_kib(), (double)(rss_kib() - rss0) / N_CONN);

	client_emfile(&s, p, addr);

	CHECK_OK(ep_open(&s, s.t.info, &s.eps[N_CONN]));
	connect_range(&s, addr, N_CONN, N_CONN + 1);
	exchange(&s, N_CONN, N_CONN + 1);

	for (int i = 0; i <= N_CONN; i++) {
		CHECK_OK(fi_shutdown(s.eps[i], 0));
		CHECK_OK(fi_close(&s.eps[i]->fid));
	}
	tcp_t_close(&s.t);
	side_free(&s);
	tcp_t_pair_join(p);
}

int main(void)
{
	struct tcp_t_pair p;
	struct rlimit rl;
	rlim_t need = 2 * (N_CONN + N_EMFILE + 1) + 64;

	weft_test_require_weft_loaded();
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		char why[160];

		snprintf(why, sizeof(why),
			 "RLIMIT_NOFILE hard limit %lu < %lu fds needed for "
			 "%d connections",
			 (unsigned long)rl.rlim_max, (unsigned long)need,
			 N_CONN);
		weft_test_skip(why);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need)
		set_fd_limit(rl.rlim_max == RLIM_INFINITY ? need : rl.rlim_max);
	if (tcp_t_fork(&p))
		server(&p);
	client(&p);
	printf("PASS\n");
	return 0;
}
