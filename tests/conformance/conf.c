/* The conformance runner and the helpers every case shares (conf.h).
 *
 * Process tree: the runner (never touches libfabric, so every case starts
 * from an uninitialised library and sees its own environment) forks one
 * case process A per case, in its own process group, and kills the group
 * at the deadline. A pair case forks B from A; B dies with A
 * (PR_SET_PDEATHSIG) and A reports B's status with its own.
 */
#define _GNU_SOURCE
#include "conf.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CONF_SKIPS_FILE
#define CONF_SKIPS_FILE "skips.txt"
#endif

static pid_t conf_peer_pid = -1; /* B, in A; -1 elsewhere */

long conf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void conf_skip(struct conf_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	printf("  %s: SKIP%s: ", ctx->name, ctx->role ? " (B)" : "");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (conf_peer_pid > 0)
		kill(conf_peer_pid, SIGKILL);
	_exit(WEFT_TEST_SKIP);
}

/* ---- skip list ---------------------------------------------------------- */

/* Returns the reason when skips.txt lists (prov, ep, test.case); the line
 * format is `prov ep test.case reason...`, `*` matching any ep, `#` a
 * comment. */
static const char *conf_listed_skip(const char *prov, const char *ep,
				    const char *test, const char *name)
{
	static char line[1024];
	const char *path = getenv("CONF_SKIPS") ? getenv("CONF_SKIPS")
						 : CONF_SKIPS_FILE;
	char want[256], p[64], e[64], c[256];
	const char *found = NULL;
	FILE *f = fopen(path, "r");
	int off;

	if (!f) {
		fprintf(stderr, "cannot open skip list %s\n", path);
		exit(1);
	}
	snprintf(want, sizeof(want), "%s.%s", test, name);
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (sscanf(line, "%63s %63s %255s %n", p, e, c, &off) < 3)
			continue;
		if (strcmp(p, prov) || (strcmp(e, "*") && strcmp(e, ep)) ||
		    strcmp(c, want))
			continue;
		found = line + off;
	}
	fclose(f);
	return found;
}

/* ---- runner ------------------------------------------------------------- */

static int conf_wait_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* In A: run the case, then collect B. */
static void conf_run_case(struct conf_ctx *ctx, const struct conf_case *c)
{
	int sv[2], status;

	setpgid(0, 0);
	/* A peer that died shows as "peer gone" on write, not SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (!c->pair) {
		ctx->oob = -1;
		c->run(ctx);
		_exit(0);
	}
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	conf_peer_pid = fork();
	CHECK(conf_peer_pid >= 0);
	if (conf_peer_pid == 0) {
		conf_peer_pid = -1;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sv[0]);
		ctx->oob = sv[1];
		ctx->role = 1;
		c->run(ctx);
		_exit(0);
	}
	close(sv[1]);
	ctx->oob = sv[0];
	ctx->role = 0;
	c->run(ctx);
	CHECK(waitpid(conf_peer_pid, &status, 0) == conf_peer_pid);
	status = conf_wait_status(status);
	if (status != 0) {
		printf("  %s: peer B exited with %d\n", c->name, status);
		_exit(status == WEFT_TEST_SKIP ? WEFT_TEST_SKIP : 1);
	}
	_exit(0);
}

int conf_main(int argc, char **argv, const char *test,
	      const struct conf_case *cases)
{
	int pass = 0, skip = 0, fail = 0;
	long timeout_ms = 30000;
	struct conf_ctx base = { 0 };
	bool run_skipped = getenv("CONF_RUN_SKIPPED") != NULL;

	if (argc < 3) {
		fprintf(stderr, "usage: %s <prov> <msg|rdm|dgram> [case ...]\n",
			argv[0]);
		return 2;
	}
	base.prov = argv[1];
	base.ep_name = argv[2];
	base.test = test;
	if (!strcmp(argv[2], "msg"))
		base.ep_type = FI_EP_MSG;
	else if (!strcmp(argv[2], "rdm"))
		base.ep_type = FI_EP_RDM;
	else if (!strcmp(argv[2], "dgram"))
		base.ep_type = FI_EP_DGRAM;
	else {
		fprintf(stderr, "unknown endpoint type %s\n", argv[2]);
		return 2;
	}
	if (getenv("CONF_TIMEOUT_S"))
		timeout_ms = atol(getenv("CONF_TIMEOUT_S")) * 1000;
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (const struct conf_case *c = cases; c->name; c++) {
		struct conf_ctx ctx = base;
		const char *reason;
		long deadline;
		pid_t pid, w;
		int status = 0, i;

		if (argc > 3) {
			for (i = 3; i < argc && strcmp(argv[i], c->name); i++)
				;
			if (i == argc)
				continue;
		}
		ctx.name = c->name;
		reason = conf_listed_skip(base.prov, base.ep_name, test,
					  c->name);
		if (reason && !run_skipped) {
			printf("%s.%s: SKIP (skips.txt): %s\n", test, c->name,
			       reason);
			skip++;
			continue;
		}
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0)
			conf_run_case(&ctx, c);
		setpgid(pid, pid); /* also in the child: no race either way */
		deadline = conf_now_ms() + timeout_ms;
		while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
		       conf_now_ms() < deadline)
			usleep(2000);
		if (w == 0) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			printf("%s.%s: FAIL (timeout after %ld s)\n", test,
			       c->name, timeout_ms / 1000);
			fail++;
			continue;
		}
		kill(-pid, SIGKILL); /* leftovers of the group, if any */
		status = conf_wait_status(status);
		if (status == 0) {
			printf("%s.%s: %s\n", test, c->name,
			       reason ? "PASS (listed in skips.txt: stale?)"
				      : "PASS");
			pass++;
		} else if (status == WEFT_TEST_SKIP) {
			printf("%s.%s: SKIP\n", test, c->name);
			skip++;
		} else {
			printf("%s.%s: FAIL (exit %d)\n", test, c->name, status);
			fail++;
		}
	}
	printf("%s %s %s: %d passed, %d skipped, %d failed\n", test,
	       base.prov, base.ep_name, pass, skip, fail);
	if (fail)
		return 1;
	return pass ? 0 : WEFT_TEST_SKIP;
}

/* ---- getinfo ------------------------------------------------------------ */

int conf_getinfo_hints(struct conf_ctx *ctx, struct fi_info *hints,
		       bool source, struct fi_info **info)
{
	struct fi_info *probe = NULL;
	bool sock_in = false;
	int ret;

	free(hints->fabric_attr->prov_name);
	hints->fabric_attr->prov_name = strdup(ctx->prov);
	hints->ep_attr->type = ctx->ep_type;
	/* Socket-addressed providers: stay on the loopback, so the pair
	 * never depends on the machine's other interfaces. */
	if (hints->addr_format == FI_FORMAT_UNSPEC &&
	    fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &probe) == 0) {
		for (struct fi_info *i = probe; i; i = i->next)
			sock_in |= i->addr_format == FI_SOCKADDR_IN;
		fi_freeinfo(probe);
	}
	if (sock_in || hints->addr_format == FI_SOCKADDR_IN) {
		hints->addr_format = FI_SOCKADDR_IN;
		ret = fi_getinfo(FI_VERSION(1, 17), "127.0.0.1", "0",
				 source ? FI_SOURCE : 0, hints, info);
	} else {
		ret = fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, info);
	}
	return ret;
}

struct fi_info *conf_getinfo(struct conf_ctx *ctx, uint64_t caps,
			     uint64_t mr_mode, bool source)
{
	struct fi_info *hints, *info = NULL;
	int ret;

	/* Is the combination there at all? */
	hints = fi_allocinfo();
	CHECK(hints);
	ret = conf_getinfo_hints(ctx, hints, source, &info);
	fi_freeinfo(hints);
	if (ret == -FI_ENODATA)
		conf_skip(ctx, "%s offers no %s endpoint", ctx->prov,
			  ctx->ep_name);
	CHECK_OK(ret);
	fi_freeinfo(info);
	info = NULL;

	hints = fi_allocinfo();
	CHECK(hints);
	hints->caps = caps;
	hints->domain_attr->mr_mode = (int)mr_mode;
	ret = conf_getinfo_hints(ctx, hints, source, &info);
	fi_freeinfo(hints);
	if (ret == -FI_ENODATA) {
		char *s = fi_tostr(&caps, FI_TYPE_CAPS);

		conf_skip(ctx, "%s %s does not offer %s", ctx->prov,
			  ctx->ep_name, s);
	}
	CHECK_OK(ret);
	CHECK(info != NULL);
	CHECK(!strcmp(info->fabric_attr->prov_name, ctx->prov));
	CHECK(info->ep_attr->type == ctx->ep_type);
	CHECK((info->caps & caps) == caps);
	return info;
}

/* ---- completions -------------------------------------------------------- */

static size_t conf_cq_esize(enum fi_cq_format f)
{
	switch (f) {
	case FI_CQ_FORMAT_CONTEXT:
		return sizeof(struct fi_cq_entry);
	case FI_CQ_FORMAT_MSG:
		return sizeof(struct fi_cq_msg_entry);
	case FI_CQ_FORMAT_DATA:
		return sizeof(struct fi_cq_data_entry);
	default:
		return sizeof(struct fi_cq_tagged_entry);
	}
}

void conf_cq_open(struct conf_ctx *ctx, struct conf_cq *c,
		  enum fi_cq_format format, enum fi_wait_obj wait)
{
	struct fi_cq_attr attr = { .size = 1024, .format = format,
				   .wait_obj = wait };

	memset(c, 0, sizeof(*c));
	c->format = format;
	c->esize = conf_cq_esize(format);
	CHECK_OK(fi_cq_open(ctx->domain, &attr, &c->cq, NULL));
}

/* The entry as read, in the tagged layout (absent fields zero). */
static void conf_cq_widen(const struct conf_cq *c, const void *raw,
			  struct fi_cq_tagged_entry *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out, raw, c->esize);
}

/* One fi_cq_read of one entry: 1, -FI_EAGAIN or -FI_EAVAIL. */
static ssize_t conf_cq_read1(struct conf_cq *c, struct fi_cq_tagged_entry *e)
{
	struct fi_cq_tagged_entry raw;
	ssize_t n = fi_cq_read(c->cq, &raw, 1);

	if (n == 1)
		conf_cq_widen(c, &raw, e);
	else if (n == -FI_EAVAIL)
		c->err_pending = true;
	else
		CHECK_RET(n, -FI_EAGAIN);
	return n;
}

static void conf_cq_progress(struct conf_cq *c)
{
	struct fi_cq_tagged_entry e;

	while (c->cq && !c->err_pending && c->tail - c->head < CONF_STASH &&
	       conf_cq_read1(c, &e) == 1)
		c->stash[c->tail++ % CONF_STASH] = e;
}

void conf_progress(struct conf_ctx *ctx)
{
	conf_cq_progress(&ctx->tx);
	conf_cq_progress(&ctx->rx);
	if (ctx->txcntr)
		(void)fi_cntr_read(ctx->txcntr);
	if (ctx->rxcntr)
		(void)fi_cntr_read(ctx->rxcntr);
}

static void conf_report_err(struct conf_cq *c)
{
	struct fi_cq_err_entry err = { 0 };

	if (fi_cq_readerr(c->cq, &err, 0) == 1)
		fprintf(stderr, "error completion: err %d (%s) prov_errno %d "
				"(%s) len %zu olen %zu flags 0x%llx\n",
			err.err, fi_strerror(err.err), err.prov_errno,
			fi_cq_strerror(c->cq, err.prov_errno, err.err_data,
				       NULL, 0),
			err.len, err.olen, (unsigned long long)err.flags);
}

void conf_cq_wait(struct conf_ctx *ctx, struct conf_cq *c,
		  struct fi_cq_tagged_entry *out)
{
	long deadline = conf_now_ms() + CONF_WAIT_MS;

	for (;;) {
		if (c->head != c->tail) {
			*out = c->stash[c->head++ % CONF_STASH];
			return;
		}
		if (c->err_pending) {
			conf_report_err(c);
			fprintf(stderr, "%s: unexpected error completion\n",
				ctx->name);
			exit(1);
		}
		if (conf_cq_read1(c, out) == 1)
			return;
		if (!c->err_pending && conf_now_ms() > deadline) {
			fprintf(stderr, "%s (%c): no completion within %d ms\n",
				ctx->name, ctx->role ? 'B' : 'A', CONF_WAIT_MS);
			exit(1);
		}
		if (c != &ctx->tx && c != &ctx->rx)
			conf_progress(ctx);
	}
}

void conf_cq_wait_err(struct conf_ctx *ctx, struct conf_cq *c,
		      struct fi_cq_err_entry *err)
{
	static char err_data[1024];
	long deadline = conf_now_ms() + CONF_WAIT_MS;
	struct fi_cq_tagged_entry e;

	while (!c->err_pending) {
		if (c->head != c->tail || conf_cq_read1(c, &e) == 1) {
			if (c->head != c->tail)
				e = c->stash[c->head % CONF_STASH];
			fprintf(stderr, "%s: success completion (flags 0x%llx "
					"len %zu) where an error was due\n",
				ctx->name, (unsigned long long)e.flags, e.len);
			exit(1);
		}
		CHECK(conf_now_ms() < deadline);
	}
	memset(err, 0, sizeof(*err));
	err->err_data = err_data;
	err->err_data_size = sizeof(err_data);
	CHECK_RET(fi_cq_readerr(c->cq, err, 0), 1);
	c->err_pending = false;
}

void conf_cq_expect_empty(struct conf_ctx *ctx, struct conf_cq *c)
{
	struct fi_cq_tagged_entry e;
	ssize_t n;

	conf_progress(ctx);
	if (c->head != c->tail) {
		e = c->stash[c->head % CONF_STASH];
		fprintf(stderr, "%s: unexpected completion flags 0x%llx len "
				"%zu ctx %p\n",
			ctx->name, (unsigned long long)e.flags, e.len,
			e.op_context);
		exit(1);
	}
	if (c->err_pending) {
		conf_report_err(c);
		exit(1);
	}
	n = conf_cq_read1(c, &e);
	if (n == 1)
		fprintf(stderr, "%s: unexpected completion flags 0x%llx\n",
			ctx->name, (unsigned long long)e.flags);
	if (n == -FI_EAVAIL)
		conf_report_err(c);
	CHECK_RET(n, -FI_EAGAIN);
}

void conf_cntr_wait(struct conf_ctx *ctx, struct fid_cntr *cntr,
		    uint64_t want)
{
	long deadline = conf_now_ms() + CONF_WAIT_MS;

	while (fi_cntr_read(cntr) < want) {
		if (fi_cntr_readerr(cntr) != 0) {
			fprintf(stderr, "%s: counter error count %llu\n",
				ctx->name,
				(unsigned long long)fi_cntr_readerr(cntr));
			exit(1);
		}
		if (conf_now_ms() > deadline) {
			fprintf(stderr, "%s: counter at %llu, want %llu\n",
				ctx->name,
				(unsigned long long)fi_cntr_read(cntr),
				(unsigned long long)want);
			exit(1);
		}
		conf_progress(ctx);
	}
}

/* ---- out of band -------------------------------------------------------- */

void conf_oob_send(struct conf_ctx *ctx, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(ctx->oob, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "%s: peer gone (oob write)\n",
				ctx->name);
			exit(1);
		}
		p += n;
		len -= (size_t)n;
	}
}

/* The peer closed the socketpair: it finished, skipped or failed. */
static void conf_oob_eof(struct conf_ctx *ctx)
{
	int status;

	if (conf_peer_pid > 0 && waitpid(conf_peer_pid, &status, 0) > 0) {
		status = conf_wait_status(status);
		if (status == WEFT_TEST_SKIP)
			_exit(WEFT_TEST_SKIP);
		fprintf(stderr, "%s: peer B exited with %d\n", ctx->name,
			status);
		exit(1);
	}
	/* In B: A is gone (skipped or failed); its status is the case's. */
	_exit(3);
}

void conf_oob_recv(struct conf_ctx *ctx, void *buf, size_t len)
{
	char *p = buf;
	long deadline = conf_now_ms() + 4 * CONF_WAIT_MS;

	while (len) {
		struct pollfd pfd = { .fd = ctx->oob, .events = POLLIN };
		ssize_t n;

		/* Keep the endpoint moving while the peer works. */
		conf_progress(ctx);
		if (poll(&pfd, 1, ctx->ep ? 1 : 50) == 0) {
			if (conf_now_ms() > deadline) {
				fprintf(stderr, "%s (%c): peer silent\n",
					ctx->name, ctx->role ? 'B' : 'A');
				exit(1);
			}
			continue;
		}
		n = read(ctx->oob, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			conf_oob_eof(ctx);
		p += n;
		len -= (size_t)n;
	}
}

void conf_barrier(struct conf_ctx *ctx)
{
	char c = 'b';

	conf_oob_send(ctx, &c, 1);
	conf_oob_recv(ctx, &c, 1);
	CHECK(c == 'b');
}

/* ---- pair setup --------------------------------------------------------- */

static void conf_eq_expect(struct conf_ctx *ctx, uint32_t want,
			   struct fi_info **conn_info)
{
	struct fi_eq_cm_entry e;
	long deadline = conf_now_ms() + CONF_WAIT_MS;
	uint32_t event;
	ssize_t n;

	for (;;) {
		n = fi_eq_read(ctx->eq, &event, &e, sizeof(e), 0);
		if (n > 0)
			break;
		if (n == -FI_EAVAIL) {
			struct fi_eq_err_entry err = { 0 };

			CHECK(fi_eq_readerr(ctx->eq, &err, 0) > 0);
			fprintf(stderr, "%s: EQ error %d (%s) waiting for %u\n",
				ctx->name, err.err, fi_strerror(err.err), want);
			exit(1);
		}
		CHECK_RET(n, -FI_EAGAIN);
		CHECK(conf_now_ms() < deadline);
		usleep(500);
	}
	if (event != want)
		fprintf(stderr, "%s: EQ event %u, expected %u\n", ctx->name,
			event, want);
	CHECK(event == want);
	CHECK(n == sizeof(e));
	if (conn_info) {
		CHECK(e.info != NULL);
		*conn_info = e.info;
	} else {
		CHECK(e.fid == &ctx->ep->fid);
	}
}

void conf_eq_wait(struct conf_ctx *ctx, uint32_t event)
{
	conf_eq_expect(ctx, event, NULL);
}

static void conf_ep_bind_all(struct conf_ctx *ctx,
			     const struct conf_pair_opts *o)
{
	struct fi_cntr_attr cattr = { .events = FI_CNTR_EVENTS_COMP,
				      .wait_obj = o->cntr_wait };

	if (ctx->av)
		CHECK_OK(fi_ep_bind(ctx->ep, &ctx->av->fid, 0));
	if (ctx->eq)
		CHECK_OK(fi_ep_bind(ctx->ep, &ctx->eq->fid, 0));
	CHECK_OK(fi_ep_bind(ctx->ep, &ctx->tx.cq->fid,
			    FI_TRANSMIT | o->tx_bind));
	CHECK_OK(fi_ep_bind(ctx->ep, &ctx->rx.cq->fid, FI_RECV | o->rx_bind));
	if (o->cntrs) {
		uint64_t txf = FI_SEND, rxf = FI_RECV | o->rx_cntr_flags;

		if (ctx->info->caps & FI_RMA)
			txf |= FI_WRITE | FI_READ;
		if (ctx->info->caps & FI_ATOMIC)
			txf |= FI_WRITE | FI_READ;
		CHECK_OK(fi_cntr_open(ctx->domain, &cattr, &ctx->txcntr, NULL));
		CHECK_OK(fi_cntr_open(ctx->domain, &cattr, &ctx->rxcntr, NULL));
		CHECK_OK(fi_ep_bind(ctx->ep, &ctx->txcntr->fid, txf));
		CHECK_OK(fi_ep_bind(ctx->ep, &ctx->rxcntr->fid, rxf));
	}
	if (o->min_multi_recv)
		CHECK_OK(fi_setopt(&ctx->ep->fid, FI_OPT_ENDPOINT,
				   FI_OPT_MIN_MULTI_RECV, &o->min_multi_recv,
				   sizeof(o->min_multi_recv)));
	CHECK_OK(fi_enable(ctx->ep));
}

void conf_pair_open(struct conf_ctx *ctx, const struct conf_pair_opts *o)
{
	enum fi_cq_format fmt = o->format ? o->format : FI_CQ_FORMAT_TAGGED;
	enum fi_wait_obj wait = o->wait ? o->wait : FI_WAIT_NONE;
	uint64_t caps = o->caps ? o->caps : FI_MSG;
	bool msg = ctx->ep_type == FI_EP_MSG;
	/* A listens on MSG; RDM/DGRAM sides are both "sources". */
	bool server = ctx->role == 0;
	struct fi_eq_attr eq_attr = { .size = 16, .wait_obj = FI_WAIT_UNSPEC };
	struct fi_info *info;
	char name[256];
	size_t len = sizeof(name);
	uint64_t n;

	info = conf_getinfo(ctx, caps, o->mr_mode, !msg || server);
	info->tx_attr->op_flags = o->tx_op_flags;
	info->rx_attr->op_flags = o->rx_op_flags;
	ctx->info = info;
	CHECK_OK(fi_fabric(info->fabric_attr, &ctx->fabric, NULL));
	CHECK_OK(fi_domain(ctx->fabric, info, &ctx->domain, NULL));
	conf_cq_open(ctx, &ctx->tx, fmt, wait);
	conf_cq_open(ctx, &ctx->rx, fmt, wait);
	ctx->peer = FI_ADDR_UNSPEC;

	if (!msg) {
		struct fi_av_attr av_attr = { .type = FI_AV_TABLE };

		CHECK_OK(fi_av_open(ctx->domain, &av_attr, &ctx->av, NULL));
		CHECK_OK(fi_endpoint(ctx->domain, info, &ctx->ep, ctx));
		conf_ep_bind_all(ctx, o);
		CHECK_OK(fi_getname(&ctx->ep->fid, name, &len));
		conf_oob_send_u64(ctx, len);
		conf_oob_send(ctx, name, len);
		n = conf_oob_recv_u64(ctx);
		CHECK(n <= sizeof(name));
		conf_oob_recv(ctx, name, n);
		CHECK_RET(fi_av_insert(ctx->av, name, 1, &ctx->peer, 0, NULL),
			  1);
		CHECK(ctx->peer != FI_ADDR_NOTAVAIL);
		conf_barrier(ctx);
		return;
	}

	CHECK_OK(fi_eq_open(ctx->fabric, &eq_attr, &ctx->eq, NULL));
	if (server) {
		struct fi_info *conn = NULL;

		CHECK_OK(fi_passive_ep(ctx->fabric, info, &ctx->pep, NULL));
		CHECK_OK(fi_pep_bind(ctx->pep, &ctx->eq->fid, 0));
		CHECK_OK(fi_listen(ctx->pep));
		CHECK_OK(fi_getname(&ctx->pep->fid, name, &len));
		conf_oob_send_u64(ctx, len);
		conf_oob_send(ctx, name, len);
		conf_eq_expect(ctx, FI_CONNREQ, &conn);
		conn->tx_attr->op_flags = o->tx_op_flags;
		conn->rx_attr->op_flags = o->rx_op_flags;
		CHECK_OK(fi_endpoint(ctx->domain, conn, &ctx->ep, ctx));
		conf_ep_bind_all(ctx, o);
		CHECK_OK(fi_accept(ctx->ep, NULL, 0));
		conf_eq_expect(ctx, FI_CONNECTED, NULL);
		fi_freeinfo(conn);
	} else {
		CHECK_OK(fi_endpoint(ctx->domain, info, &ctx->ep, ctx));
		conf_ep_bind_all(ctx, o);
		n = conf_oob_recv_u64(ctx);
		CHECK(n <= sizeof(name));
		conf_oob_recv(ctx, name, n);
		CHECK_OK(fi_connect(ctx->ep, name, NULL, 0));
		conf_eq_expect(ctx, FI_CONNECTED, NULL);
	}
	conf_barrier(ctx);
}

void conf_pair_close(struct conf_ctx *ctx)
{
	/* Both sides are done with the data path before either closes, so
	 * a close never races the peer's last completion. */
	conf_barrier(ctx);
	CHECK_OK(fi_close(&ctx->ep->fid));
	ctx->ep = NULL;
	if (ctx->pep)
		CHECK_OK(fi_close(&ctx->pep->fid));
	if (ctx->txcntr)
		CHECK_OK(fi_close(&ctx->txcntr->fid));
	if (ctx->rxcntr)
		CHECK_OK(fi_close(&ctx->rxcntr->fid));
	CHECK_OK(fi_close(&ctx->tx.cq->fid));
	CHECK_OK(fi_close(&ctx->rx.cq->fid));
	ctx->tx.cq = ctx->rx.cq = NULL;
	ctx->txcntr = ctx->rxcntr = NULL;
	if (ctx->av)
		CHECK_OK(fi_close(&ctx->av->fid));
	if (ctx->eq)
		CHECK_OK(fi_close(&ctx->eq->fid));
	CHECK_OK(fi_close(&ctx->domain->fid));
	CHECK_OK(fi_close(&ctx->fabric->fid));
	fi_freeinfo(ctx->info);
	ctx->info = NULL;
}

void conf_domain_open(struct conf_ctx *ctx, uint64_t caps)
{
	ctx->info = conf_getinfo(ctx, caps ? caps : FI_MSG, 0, true);
	CHECK_OK(fi_fabric(ctx->info->fabric_attr, &ctx->fabric, NULL));
	CHECK_OK(fi_domain(ctx->fabric, ctx->info, &ctx->domain, NULL));
}

void conf_domain_close(struct conf_ctx *ctx)
{
	CHECK_OK(fi_close(&ctx->domain->fid));
	CHECK_OK(fi_close(&ctx->fabric->fid));
	fi_freeinfo(ctx->info);
	ctx->info = NULL;
}

/* ---- memory registration ---------------------------------------------- */

struct fid_mr *conf_mr_reg(struct conf_ctx *ctx, void *buf, size_t len,
			   uint64_t access, uint64_t key)
{
	int mode = ctx->info->domain_attr->mr_mode;
	struct fid_mr *mr;

	if (ctx->info->domain_attr->mr_key_size < 8)
		key &= (1ull << (8 * ctx->info->domain_attr->mr_key_size)) - 1;
	CHECK_OK(fi_mr_reg(ctx->domain, buf, len, access, 0,
			   (mode & FI_MR_PROV_KEY) ? 0 : key, 0, &mr, NULL));
	if (mode & FI_MR_ENDPOINT) {
		CHECK_OK(fi_mr_bind(mr, &ctx->ep->fid, 0));
		CHECK_OK(fi_mr_enable(mr));
	}
	if (!(mode & FI_MR_PROV_KEY))
		CHECK(fi_mr_key(mr) == key);
	return mr;
}

void *conf_mr_desc(struct conf_ctx *ctx, struct fid_mr *mr)
{
	return (ctx->info->domain_attr->mr_mode & FI_MR_LOCAL) ? fi_mr_desc(mr)
								: NULL;
}

uint64_t conf_rma_addr(struct conf_ctx *ctx, const void *base,
		       const void *buf)
{
	if (ctx->info->domain_attr->mr_mode & FI_MR_VIRT_ADDR)
		return (uint64_t)(uintptr_t)buf;
	return (uint64_t)((const char *)buf - (const char *)base);
}

/* ---- data --------------------------------------------------------------- */

static uint8_t conf_byte(size_t off, unsigned seed)
{
	uint32_t x = (uint32_t)off * 2654435761u + seed * 40503u + 17u;

	return (uint8_t)(x >> 13 ^ x);
}

void conf_fill(void *buf, size_t len, unsigned seed)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = conf_byte(i, seed);
}

long conf_verify(const void *buf, size_t len, unsigned seed)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		if (p[i] != conf_byte(i, seed))
			return (long)i;
	return -1;
}
