/* Shared benchmark plumbing: options, OOB socket, fabric setup/teardown,
 * the op pool and CQ polling, timing and statistics. See bench_common.h. */
#include "bench_common.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rdma/fi_cm.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_rma.h>
#include <rdma/fi_tagged.h>

/* ---- identity -------------------------------------------------------- */

const char *bench_kind_name(enum bench_kind k)
{
	switch (k) {
	case BENCH_LAT: return "lat";
	case BENCH_BW: return "bw";
	case BENCH_RATE: return "rate";
	}
	return "?";
}

const char *bench_xfer_name(enum bench_xfer x)
{
	switch (x) {
	case XFER_MSG: return "msg";
	case XFER_TAGGED: return "tagged";
	case XFER_WRITE: return "write";
	case XFER_READ: return "read";
	}
	return "?";
}

const char *bench_ep_name(enum fi_ep_type t)
{
	switch (t) {
	case FI_EP_MSG: return "msg";
	case FI_EP_RDM: return "rdm";
	case FI_EP_DGRAM: return "dgram";
	default: return "?";
	}
}

/* Where fi_getinfo really came from: RUNPATH normally picks weft's build
 * tree, LD_LIBRARY_PATH can substitute another libfabric. Results carry
 * this path so that nobody has to trust the environment. */
const char *bench_loaded_lib(void)
{
	static char path[PATH_MAX];
	Dl_info dl;

	if (path[0])
		return path;
	if (!dladdr((void *)(uintptr_t)&fi_getinfo, &dl) || !dl.dli_fname) {
		snprintf(path, sizeof(path), "unknown");
		return path;
	}
	if (!realpath(dl.dli_fname, path))
		snprintf(path, sizeof(path), "%s", dl.dli_fname);
	return path;
}

/* ---- options --------------------------------------------------------- */

void bench_usage(const char *prog, enum bench_kind kind)
{
	fprintf(stderr,
		"usage: %s [options]            fork a server and a client on 127.0.0.1\n"
		"       %s [options] -D         server: wait for one client\n"
		"       %s [options] -D HOST    client: connect to HOST's server\n"
		"Benchmark: %s (%s)\n"
		"  -p PROV      provider name (fi_getinfo's prov_name hint)\n"
		"  -e EP        endpoint type: msg|rdm|dgram (dgram)\n"
		"  -m MODE      msg|tagged|write|read (msg); write/read need FI_RMA\n"
		"  -S SIZES     list and/or power-of-two ranges: 8,64,256 or 8-1024\n"
		"  -I N         %s (default %s)\n"
		"  -w N         warmup, same unit, not timed\n"
		"  -W N         window: messages in flight before an ack (64)\n"
		"  -T MS        timeout for a lost datagram or ack (dgram 100,\n"
		"               others 10000 and then fatal)\n"
		"  -j           never use fi_inject*\n"
		"  -P PORT      out-of-band TCP port (47600)\n"
		"  -d DOMAIN    domain name hint\n"
		"  -c CPU       pin this process to CPU; without -D, -c S,C pins\n"
		"               the forked server to S and the client to C\n"
		"  -v           verbose\n"
		"Only the client prints RESULT lines; the server adopts the\n"
		"client's benchmark, mode, endpoint, provider and window.\n",
		prog, prog, prog, bench_kind_name(kind),
		kind == BENCH_LAT ? "ping-pong, half round trip" :
		kind == BENCH_BW ? "streaming bandwidth" : "message rate",
		kind == BENCH_LAT ? "round trips" : "windows",
		kind == BENCH_LAT ? "10000" : "2000");
}

static int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (end == s)
		return -1;
	if (*end == 'k' || *end == 'K') {
		v <<= 10;
		end++;
	} else if (*end == 'm' || *end == 'M') {
		v <<= 20;
		end++;
	}
	if (*end || v == 0)
		return -1;
	*out = (size_t)v;
	return 0;
}

/* "8,64,256" or "8-1024" (powers of two from 8 up to 1024) or a mix. */
static int parse_sizes(struct bench_opts *o, const char *arg)
{
	char tmp[512], *save = NULL, *tok;

	snprintf(tmp, sizeof(tmp), "%s", arg);
	o->nsizes = 0;
	for (tok = strtok_r(tmp, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		size_t lo, hi;

		if (dash) {
			*dash = '\0';
			if (parse_size(tok, &lo) || parse_size(dash + 1, &hi) ||
			    lo > hi)
				return -1;
			for (size_t s = lo; s <= hi; s *= 2) {
				if (o->nsizes == BENCH_MAX_SIZES)
					return -1;
				o->sizes[o->nsizes++] = s;
			}
		} else {
			if (parse_size(tok, &lo) || o->nsizes == BENCH_MAX_SIZES)
				return -1;
			o->sizes[o->nsizes++] = lo;
		}
	}
	return o->nsizes ? 0 : -1;
}

int bench_parse(struct bench_opts *o, enum bench_kind kind, int argc,
		char **argv)
{
	int c, explicit_role = 0;

	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->xfer = XFER_MSG;
	o->ep_type = FI_EP_DGRAM;
	o->port = 47600;
	o->cpu = -1;
	o->cpu_server = -1;
	o->iters = -1;
	o->warmup = -1;
	o->window = 64;
	o->timeout_ms = -1;
	parse_sizes(o, kind == BENCH_RATE ? "8,64" : "8,64,256,1024");

	while ((c = getopt(argc, argv, "p:e:m:S:I:w:W:T:jP:d:c:Dvh")) != -1) {
		switch (c) {
		case 'p': o->prov = optarg; break;
		case 'e':
			if (!strcmp(optarg, "msg"))
				o->ep_type = FI_EP_MSG;
			else if (!strcmp(optarg, "rdm"))
				o->ep_type = FI_EP_RDM;
			else if (!strcmp(optarg, "dgram"))
				o->ep_type = FI_EP_DGRAM;
			else
				goto bad;
			break;
		case 'm':
			if (!strcmp(optarg, "msg"))
				o->xfer = XFER_MSG;
			else if (!strcmp(optarg, "tagged"))
				o->xfer = XFER_TAGGED;
			else if (!strcmp(optarg, "write"))
				o->xfer = XFER_WRITE;
			else if (!strcmp(optarg, "read"))
				o->xfer = XFER_READ;
			else
				goto bad;
			break;
		case 'S':
			if (!strcmp(optarg, "all"))
				optarg = "1-65536";
			if (parse_sizes(o, optarg))
				goto bad;
			break;
		case 'I': o->iters = atol(optarg); break;
		case 'w': o->warmup = atol(optarg); break;
		case 'W': o->window = atoi(optarg); break;
		case 'T': o->timeout_ms = atoi(optarg); break;
		case 'j': o->no_inject = 1; break;
		case 'P': o->port = atoi(optarg); break;
		case 'd': o->domain = optarg; break;
		case 'c': {
			char *comma = strchr(optarg, ',');

			/* "S,C": the first CPU is the forked server's. */
			o->cpu_server = atoi(optarg);
			o->cpu = comma ? atoi(comma + 1) : o->cpu_server;
			break;
		}
		case 'D': explicit_role = 1; break;
		case 'v': o->verbose = 1; break;
		case 'h':
		default:
			goto bad;
		}
	}
	if (optind < argc)
		o->host = argv[optind++];
	if (optind < argc || o->window < 1 || o->iters == 0)
		goto bad;
	if (o->host && !explicit_role)
		explicit_role = 1; /* a host always means "client" */
	o->role = !explicit_role ? ROLE_FORK :
		  o->host ? ROLE_CLIENT : ROLE_SERVER;
	if (o->iters < 0)
		o->iters = kind == BENCH_LAT ? 10000 : 2000;
	if (o->warmup < 0)
		o->warmup = kind == BENCH_LAT ? 1000 : 20;
	return 0;
bad:
	bench_usage(argv[0], kind);
	return -1;
}

/* ---- time and statistics --------------------------------------------- */

double bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile; sorts v. pct=50 is the median (upper median
 * for even n, which keeps every reported value an observed sample). */
double bench_percentile(double *v, size_t n, double pct)
{
	size_t rank;

	if (!n)
		return 0.0;
	qsort(v, n, sizeof(*v), cmp_double);
	rank = (size_t)((pct / 100.0) * (double)n);
	if (rank >= n)
		rank = n - 1;
	return v[rank];
}

double bench_mean(const double *v, size_t n)
{
	double s = 0.0;

	for (size_t i = 0; i < n; i++)
		s += v[i];
	return n ? s / (double)n : 0.0;
}

/* ---- out-of-band socket ---------------------------------------------- */

int oob_open(struct bench *b)
{
	struct bench_opts *o = b->o;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t slen = sizeof(sin);
	int one = 1, fd;

	sin.sin_port = htons((uint16_t)o->port);
	if (o->role == ROLE_SERVER) {
		int lfd = socket(AF_INET, SOCK_STREAM, 0);

		if (lfd < 0)
			return -errno;
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		sin.sin_addr.s_addr = htonl(INADDR_ANY);
		if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) ||
		    listen(lfd, 1)) {
			int err = -errno;

			perror("oob bind/listen");
			close(lfd);
			return err;
		}
		fd = accept(lfd, NULL, NULL);
		close(lfd);
		if (fd < 0)
			return -errno;
	} else {
		double deadline = bench_now_us() + 15e6;

		if (inet_pton(AF_INET, o->host, &sin.sin_addr) != 1) {
			fprintf(stderr, "oob: %s is not an IPv4 address\n",
				o->host);
			return -EINVAL;
		}
		/* The server may still be starting: retry for a while. */
		for (;;) {
			fd = socket(AF_INET, SOCK_STREAM, 0);
			if (fd < 0)
				return -errno;
			if (!connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
				break;
			close(fd);
			if (bench_now_us() > deadline) {
				perror("oob connect");
				return -ETIMEDOUT;
			}
			usleep(20000);
		}
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (getsockname(fd, (struct sockaddr *)&sin, &slen) ||
	    !inet_ntop(AF_INET, &sin.sin_addr, b->local_ip,
		       sizeof(b->local_ip))) {
		close(fd);
		return -errno;
	}
	b->oob = fd;
	return 0;
}

int oob_send(struct bench *b, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(b->oob, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int oob_recv(struct bench *b, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = recv(b->oob, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int oob_ready(struct bench *b, size_t len)
{
	char tmp[64];
	ssize_t n;

	if (len > sizeof(tmp))
		len = sizeof(tmp);
	n = recv(b->oob, tmp, len, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
	if (n == 0)
		return -EPIPE; /* peer closed */
	return (size_t)n >= len;
}

/* Both sides learn whether the other one could go on, so that a provider
 * lacking a capability ends both processes with SKIP, not a hang. */
static int oob_exchange_status(struct bench *b, int32_t mine, int32_t *peer)
{
	int ret = oob_send(b, &mine, sizeof(mine));

	return ret ? ret : oob_recv(b, peer, sizeof(*peer));
}

static int oob_exchange_blob(struct bench *b, const void *mine, size_t len,
			     void *peer, size_t cap, size_t *peer_len)
{
	uint32_t l = (uint32_t)len, pl;
	int ret;

	if ((ret = oob_send(b, &l, sizeof(l))) ||
	    (ret = oob_send(b, mine, len)) ||
	    (ret = oob_recv(b, &pl, sizeof(pl))))
		return ret;
	if (pl > cap)
		return -EMSGSIZE;
	*peer_len = pl;
	return oob_recv(b, peer, pl);
}

/* ---- fabric setup ---------------------------------------------------- */

static int is_rma(const struct bench *b)
{
	return b->o->xfer == XFER_WRITE || b->o->xfer == XFER_READ;
}

static struct fi_info *make_hints(struct bench *b)
{
	struct bench_opts *o = b->o;
	struct fi_info *h = fi_allocinfo();

	if (!h)
		return NULL;
	h->ep_attr->type = o->ep_type;
	switch (o->xfer) {
	case XFER_MSG: h->caps = FI_MSG; break;
	case XFER_TAGGED: h->caps = FI_TAGGED; break;
	case XFER_WRITE:
		h->caps = FI_RMA | FI_WRITE | FI_REMOTE_WRITE;
		break;
	case XFER_READ:
		h->caps = FI_RMA | FI_READ | FI_REMOTE_READ;
		break;
	}
	/* We supply a struct fi_context2 with every operation, so both
	 * context modes are honoured; no other mode bit is handled. */
	h->mode = FI_CONTEXT | FI_CONTEXT2;
	/* The memory-registration modes this program copes with: it
	 * registers one buffer, passes descriptors, binds the MR to the
	 * endpoint, uses provider keys and virtual addresses when asked. */
	h->domain_attr->mr_mode = FI_MR_LOCAL | FI_MR_VIRT_ADDR |
				  FI_MR_ALLOCATED | FI_MR_PROV_KEY |
				  FI_MR_ENDPOINT;
	/* One thread touches every object. */
	h->domain_attr->threading = FI_THREAD_DOMAIN;
	if (o->prov)
		h->fabric_attr->prov_name = strdup(o->prov);
	if (o->domain)
		h->domain_attr->name = strdup(o->domain);
	return h;
}

static int is_ip_format(uint32_t fmt)
{
	return fmt == FI_SOCKADDR || fmt == FI_SOCKADDR_IN ||
	       fmt == FI_SOCKADDR_IN6;
}

/* Ask once without an address. A provider that speaks IP is asked again
 * with our side of the OOB connection as the source, so its endpoint
 * listens on the interface the peer can reach; others (shm names) keep
 * their own addressing. */
static int getinfo_source(struct bench *b, struct fi_info **out)
{
	struct fi_info *h = make_hints(b), *any = NULL;
	int ret;

	if (!h)
		return -FI_ENOMEM;
	ret = fi_getinfo(FI_VERSION(FI_MAJOR_VERSION, FI_MINOR_VERSION),
			 NULL, NULL, 0, h, &any);
	if (!ret && is_ip_format(any->addr_format)) {
		fi_freeinfo(any);
		any = NULL;
		ret = fi_getinfo(FI_VERSION(FI_MAJOR_VERSION,
					    FI_MINOR_VERSION),
				 b->local_ip, NULL, FI_SOURCE | FI_NUMERICHOST,
				 h, &any);
	}
	fi_freeinfo(h);
	if (!ret)
		*out = any;
	return ret;
}

/* MSG client: address the server's passive endpoint by its fi_getname. */
static int getinfo_dest(struct bench *b, const void *name, size_t len,
			uint32_t addr_format, struct fi_info **out)
{
	struct fi_info *h = make_hints(b);
	int ret;

	if (!h)
		return -FI_ENOMEM;
	h->addr_format = addr_format;
	h->dest_addr = malloc(len);
	if (!h->dest_addr) {
		fi_freeinfo(h);
		return -FI_ENOMEM;
	}
	memcpy(h->dest_addr, name, len);
	h->dest_addrlen = len;
	ret = fi_getinfo(FI_VERSION(FI_MAJOR_VERSION, FI_MINOR_VERSION),
			 NULL, NULL, 0, h, out);
	fi_freeinfo(h);
	return ret;
}

static int trace_setup; /* -v: name each setup call before making it */

#define CHECK(call)                                                         \
	do {                                                                \
		if (trace_setup)                                            \
			fprintf(stderr, "[%d] %s\n", (int)getpid(), #call); \
		ret = (call);                                               \
		if (ret) {                                                  \
			fprintf(stderr, "%s:%d: %s: %s (%d)\n", __FILE__,  \
				__LINE__, #call, fi_strerror(-ret), ret);   \
			return ret;                                         \
		}                                                           \
	} while (0)

static int wait_eq_event(struct bench *b, uint32_t want,
			 struct fi_eq_cm_entry *entry)
{
	double deadline = bench_now_us() + 15e6;
	uint32_t event;
	ssize_t n;

	/* Polled rather than fi_eq_sread so that providers without wait
	 * objects (and manual control progress) work too. */
	for (;;) {
		n = fi_eq_read(b->eq, &event, entry, sizeof(*entry), 0);
		if (n == -FI_EAGAIN) {
			if (bench_now_us() > deadline) {
				fprintf(stderr, "eq: timed out waiting for "
					"event %u\n", want);
				return -FI_ETIMEDOUT;
			}
			continue;
		}
		if (n == -FI_EAVAIL) {
			struct fi_eq_err_entry err = { 0 };

			fi_eq_readerr(b->eq, &err, 0);
			fprintf(stderr, "eq error: %s (prov_errno %d)\n",
				fi_strerror(err.err), err.prov_errno);
			return -err.err ? -err.err : -FI_EIO;
		}
		if (n < 0)
			return (int)n;
		if (event != want) {
			fprintf(stderr, "eq: got event %u, wanted %u\n",
				event, want);
			return -FI_EOTHER;
		}
		return 0;
	}
}

static int open_cq(struct bench *b)
{
	struct fi_cq_attr attr = {
		.format = FI_CQ_FORMAT_TAGGED,
		.wait_obj = FI_WAIT_NONE, /* we busy-poll fi_cq_read */
		.size = (size_t)(b->nrx + b->ntx) * 2,
	};
	int ret;

	CHECK(fi_cq_open(b->domain, &attr, &b->cq, NULL));
	return 0;
}

static int alloc_buffers(struct bench *b, size_t max_size)
{
	int n = b->nrx + b->ntx;

	/* Cache-line aligned slots, page-aligned buffer: providers that
	 * register (or pin) memory prefer whole pages. */
	b->slot = (max_size + 63) & ~(size_t)63;
	b->buf_len = b->slot * (size_t)n;
	if (posix_memalign((void **)&b->buf, 4096, b->buf_len))
		return -FI_ENOMEM;
	memset(b->buf, 0xa5, b->buf_len);
	b->ops = calloc((size_t)n, sizeof(*b->ops));
	if (!b->ops)
		return -FI_ENOMEM;
	for (int i = 0; i < n; i++) {
		b->ops[i].kind = i < b->nrx ? OP_RX : OP_TX;
		b->ops[i].buf = b->buf + b->slot * (size_t)i;
	}
	for (int i = n - 1; i >= b->nrx; i--) {
		b->ops[i].next = b->tx_free;
		b->tx_free = &b->ops[i];
	}
	return 0;
}

/* Register only when the provider needs it (FI_MR_LOCAL) or the test
 * targets remote memory; with FI_MR_ENDPOINT the MR is bound to the
 * endpoint before the endpoint is enabled. */
static int register_buffers(struct bench *b)
{
	uint64_t access = FI_SEND | FI_RECV;
	int ret;

	if (!(b->mr_mode & FI_MR_LOCAL) && !is_rma(b))
		return 0;
	if (is_rma(b))
		access |= FI_READ | FI_WRITE | FI_REMOTE_READ | FI_REMOTE_WRITE;
	CHECK(fi_mr_reg(b->domain, b->buf, b->buf_len, access, 0,
			(b->mr_mode & FI_MR_PROV_KEY) ? 0 : 0xbe7c, 0, &b->mr,
			NULL));
	if (b->mr_mode & FI_MR_ENDPOINT) {
		CHECK(fi_mr_bind(b->mr, &b->ep->fid, 0));
		CHECK(fi_mr_enable(b->mr));
	}
	if (b->mr_mode & FI_MR_LOCAL)
		b->desc = fi_mr_desc(b->mr);
	return 0;
}

static int open_connectionless(struct bench *b)
{
	struct fi_av_attr av_attr = { .type = b->info->domain_attr->av_type,
				      .count = 2 };
	char name[256], peer[256];
	size_t len = sizeof(name), plen;
	int ret;

	CHECK(fi_fabric(b->info->fabric_attr, &b->fabric, NULL));
	CHECK(fi_domain(b->fabric, b->info, &b->domain, NULL));
	CHECK(open_cq(b));
	CHECK(fi_av_open(b->domain, &av_attr, &b->av, NULL));
	CHECK(fi_endpoint(b->domain, b->info, &b->ep, NULL));
	CHECK(fi_ep_bind(b->ep, &b->av->fid, 0));
	CHECK(fi_ep_bind(b->ep, &b->cq->fid, FI_TRANSMIT | FI_RECV));
	CHECK(register_buffers(b));
	CHECK(fi_enable(b->ep));
	CHECK(fi_getname(&b->ep->fid, name, &len));
	CHECK(oob_exchange_blob(b, name, len, peer, sizeof(peer), &plen));
	ret = fi_av_insert(b->av, peer, 1, &b->peer, 0, NULL);
	if (ret != 1) {
		fprintf(stderr, "fi_av_insert: %d\n", ret);
		return ret < 0 ? ret : -FI_EINVAL;
	}
	return 0;
}

static int open_msg_server(struct bench *b)
{
	struct fi_eq_attr eq_attr = { .wait_obj = FI_WAIT_NONE };
	struct fi_eq_cm_entry entry;
	char name[256];
	size_t len = sizeof(name);
	uint32_t fmt;
	int ret;

	CHECK(fi_fabric(b->info->fabric_attr, &b->fabric, NULL));
	CHECK(fi_eq_open(b->fabric, &eq_attr, &b->eq, NULL));
	CHECK(fi_passive_ep(b->fabric, b->info, &b->pep, NULL));
	CHECK(fi_pep_bind(b->pep, &b->eq->fid, 0));
	CHECK(fi_listen(b->pep));
	CHECK(fi_getname(&b->pep->fid, name, &len));
	fmt = b->info->addr_format;
	CHECK(oob_send(b, &fmt, sizeof(fmt)));
	CHECK(oob_exchange_blob(b, name, len, name, 0, &len));
	CHECK(wait_eq_event(b, FI_CONNREQ, &entry));
	/* The connection request's info describes the new endpoint. */
	fi_freeinfo(b->info);
	b->info = entry.info;
	CHECK(fi_domain(b->fabric, b->info, &b->domain, NULL));
	CHECK(open_cq(b));
	CHECK(fi_endpoint(b->domain, b->info, &b->ep, NULL));
	CHECK(fi_ep_bind(b->ep, &b->eq->fid, 0));
	CHECK(fi_ep_bind(b->ep, &b->cq->fid, FI_TRANSMIT | FI_RECV));
	CHECK(register_buffers(b));
	CHECK(fi_enable(b->ep));
	CHECK(fi_accept(b->ep, NULL, 0));
	CHECK(wait_eq_event(b, FI_CONNECTED, &entry));
	return 0;
}

static int open_msg_client(struct bench *b)
{
	struct fi_eq_attr eq_attr = { .wait_obj = FI_WAIT_NONE };
	struct fi_eq_cm_entry entry;
	char name[256];
	size_t len;
	uint32_t fmt;
	int ret;

	CHECK(oob_recv(b, &fmt, sizeof(fmt)));
	CHECK(oob_exchange_blob(b, NULL, 0, name, sizeof(name), &len));
	fi_freeinfo(b->info);
	b->info = NULL;
	CHECK(getinfo_dest(b, name, len, fmt, &b->info));
	CHECK(fi_fabric(b->info->fabric_attr, &b->fabric, NULL));
	CHECK(fi_eq_open(b->fabric, &eq_attr, &b->eq, NULL));
	CHECK(fi_domain(b->fabric, b->info, &b->domain, NULL));
	CHECK(open_cq(b));
	CHECK(fi_endpoint(b->domain, b->info, &b->ep, NULL));
	CHECK(fi_ep_bind(b->ep, &b->eq->fid, 0));
	CHECK(fi_ep_bind(b->ep, &b->cq->fid, FI_TRANSMIT | FI_RECV));
	CHECK(register_buffers(b));
	CHECK(fi_enable(b->ep));
	CHECK(fi_connect(b->ep, b->info->dest_addr, NULL, 0));
	CHECK(wait_eq_event(b, FI_CONNECTED, &entry));
	b->peer = FI_ADDR_UNSPEC; /* connected: the address is implied */
	return 0;
}

int bench_setup(struct bench *b, size_t max_size, int nrx, int ntx)
{
	int32_t mine, peer = 0;
	int ret;

	trace_setup = b->o->verbose;
	ret = getinfo_source(b, &b->info);
	mine = ret;
	CHECK(oob_exchange_status(b, mine, &peer));
	if (mine || peer) {
		/* The caller prints SKIP; ENODATA is "no provider offers
		 * this", anything else is passed on as an error. */
		return mine ? mine : peer;
	}
	b->max_msg_size = b->info->ep_attr->max_msg_size;
	if (b->info->rx_attr->size && (size_t)nrx > b->info->rx_attr->size)
		nrx = (int)b->info->rx_attr->size;
	if (b->info->tx_attr->size && (size_t)ntx > b->info->tx_attr->size)
		ntx = (int)b->info->tx_attr->size;
	b->nrx = nrx;
	b->ntx = ntx;
	if (max_size > b->max_msg_size)
		max_size = b->max_msg_size;
	CHECK(alloc_buffers(b, max_size));
	b->mr_mode = b->info->domain_attr->mr_mode;
	b->lossy = b->o->ep_type == FI_EP_DGRAM;

	if (b->o->ep_type != FI_EP_MSG)
		ret = open_connectionless(b);
	else if (b->o->role == ROLE_SERVER)
		ret = open_msg_server(b);
	else
		ret = open_msg_client(b);
	if (ret)
		return ret;
	/* Values may differ from the probe's after a CONNREQ. */
	b->inject_size = b->info->tx_attr->inject_size;
	b->max_msg_size = b->info->ep_attr->max_msg_size;

	/* Each side tells the other where its buffer can be reached. */
	{
		uint64_t mine_rma[2] = { 0, 0 }, peer_rma[2];
		size_t plen;

		if (b->mr) {
			mine_rma[0] = (b->mr_mode & FI_MR_VIRT_ADDR) ?
				      (uint64_t)(uintptr_t)b->buf : 0;
			mine_rma[1] = fi_mr_key(b->mr);
		}
		CHECK(oob_exchange_blob(b, mine_rma, sizeof(mine_rma),
					peer_rma, sizeof(peer_rma), &plen));
		b->rma_addr = peer_rma[0];
		b->rma_key = peer_rma[1];
	}
	return 0;
}

void bench_teardown(struct bench *b)
{
	if (b->ep)
		fi_close(&b->ep->fid);
	if (b->pep)
		fi_close(&b->pep->fid);
	if (b->mr)
		fi_close(&b->mr->fid);
	if (b->av)
		fi_close(&b->av->fid);
	if (b->cq)
		fi_close(&b->cq->fid);
	if (b->eq)
		fi_close(&b->eq->fid);
	if (b->domain)
		fi_close(&b->domain->fid);
	if (b->fabric)
		fi_close(&b->fabric->fid);
	if (b->info)
		fi_freeinfo(b->info);
	free(b->ops);
	free(b->buf);
	if (b->oob > 0)
		close(b->oob);
}

/* ---- data path ------------------------------------------------------- */

static void rx_ready_push(struct bench *b, struct bench_op *op)
{
	op->next = NULL;
	if (b->rx_ready_tail)
		b->rx_ready_tail->next = op;
	else
		b->rx_ready = op;
	b->rx_ready_tail = op;
}

struct bench_op *bench_rx_pop(struct bench *b)
{
	struct bench_op *op = b->rx_ready;

	if (op) {
		b->rx_ready = op->next;
		if (!b->rx_ready)
			b->rx_ready_tail = NULL;
	}
	return op;
}

static void tx_put(struct bench *b, struct bench_op *op)
{
	op->next = b->tx_free;
	b->tx_free = op;
}

static int read_cq_error(struct bench *b)
{
	struct fi_cq_err_entry err = { 0 };
	struct bench_op *op;
	ssize_t n = fi_cq_readerr(b->cq, &err, 0);

	if (n < 0)
		return n == -FI_EAGAIN ? 0 : (int)n;
	b->cq_errors++;
	fprintf(stderr, "cq error: %s (%d, prov_errno %d: %s)\n",
		fi_strerror(err.err), err.err, err.prov_errno,
		fi_cq_strerror(b->cq, err.prov_errno, err.err_data, NULL, 0));
	op = err.op_context;
	if (op && op->kind == OP_TX) {
		b->tx_busy--;
		tx_put(b, op);
	} else if (op) {
		/* A failed receive holds no data; hand it back empty so
		 * the owner reposts it. */
		op->len = 0;
		op->tag = 0;
		rx_ready_push(b, op);
	}
	/* Datagrams may fail individually; a reliable endpoint may not. */
	return b->lossy ? 0 : -FI_EIO;
}

int bench_progress(struct bench *b)
{
	struct fi_cq_tagged_entry e[16];
	ssize_t n = fi_cq_read(b->cq, e, 16);

	if (n == -FI_EAGAIN)
		return 0;
	if (n == -FI_EAVAIL)
		return read_cq_error(b);
	if (n < 0)
		return (int)n;
	for (ssize_t i = 0; i < n; i++) {
		struct bench_op *op = e[i].op_context;

		if (op->kind == OP_TX) {
			b->tx_busy--;
			tx_put(b, op);
		} else {
			op->len = e[i].len;
			op->tag = e[i].tag;
			rx_ready_push(b, op);
		}
	}
	return (int)n;
}

int bench_post_rx(struct bench *b, struct bench_op *op)
{
	uint64_t tag = b->o->role == ROLE_SERVER || b->o->kind == BENCH_LAT ?
		       BENCH_TAG_DATA : BENCH_TAG_ACK;
	ssize_t ret;

	for (;;) {
		if (b->o->xfer == XFER_TAGGED)
			ret = fi_trecv(b->ep, op->buf, b->slot, b->desc,
				       FI_ADDR_UNSPEC, tag, 0, &op->ctx);
		else
			ret = fi_recv(b->ep, op->buf, b->slot, b->desc,
				      FI_ADDR_UNSPEC, &op->ctx);
		if (ret != -FI_EAGAIN)
			break;
		if ((ret = bench_progress(b)) < 0)
			break;
	}
	if (ret)
		fprintf(stderr, "post rx: %s\n", fi_strerror((int)-ret));
	return (int)ret;
}

struct bench_op *bench_tx_get(struct bench *b)
{
	double deadline = 0;

	while (!b->tx_free) {
		if (bench_progress(b) < 0)
			return NULL;
		if (deadline == 0)
			deadline = bench_now_us() + 30e6;
		else if (bench_now_us() > deadline) {
			fprintf(stderr, "tx: no completion in 30 s\n");
			return NULL;
		}
	}
	struct bench_op *op = b->tx_free;

	b->tx_free = op->next;
	return op;
}

int bench_tx_post(struct bench *b, struct bench_op *op, size_t len,
		  uint64_t tag, int inject)
{
	int tagged = b->o->xfer == XFER_TAGGED;
	ssize_t ret;

	for (;;) {
		if (inject)
			ret = tagged ? fi_tinject(b->ep, op->buf, len, b->peer,
						  tag) :
				       fi_inject(b->ep, op->buf, len, b->peer);
		else
			ret = tagged ? fi_tsend(b->ep, op->buf, len, b->desc,
						b->peer, tag, &op->ctx) :
				       fi_send(b->ep, op->buf, len, b->desc,
					       b->peer, &op->ctx);
		if (ret != -FI_EAGAIN)
			break;
		if ((ret = bench_progress(b)) < 0)
			break;
	}
	if (ret) {
		fprintf(stderr, "post tx: %s\n", fi_strerror((int)-ret));
		tx_put(b, op);
		return (int)ret;
	}
	if (inject)
		tx_put(b, op); /* the buffer is reusable on return */
	else
		b->tx_busy++;
	return 0;
}

int bench_rma_post(struct bench *b, struct bench_op *op, size_t len,
		   int inject)
{
	ssize_t ret;

	for (;;) {
		if (b->o->xfer == XFER_READ)
			ret = fi_read(b->ep, op->buf, len, b->desc, b->peer,
				      b->rma_addr, b->rma_key, &op->ctx);
		else if (inject)
			ret = fi_inject_write(b->ep, op->buf, len, b->peer,
					      b->rma_addr, b->rma_key);
		else
			ret = fi_write(b->ep, op->buf, len, b->desc, b->peer,
				       b->rma_addr, b->rma_key, &op->ctx);
		if (ret != -FI_EAGAIN)
			break;
		if ((ret = bench_progress(b)) < 0)
			break;
	}
	if (ret) {
		fprintf(stderr, "post rma: %s\n", fi_strerror((int)-ret));
		tx_put(b, op);
		return (int)ret;
	}
	if (inject && b->o->xfer == XFER_WRITE)
		tx_put(b, op);
	else
		b->tx_busy++;
	return 0;
}

int bench_tx_drain(struct bench *b, double timeout_us)
{
	double deadline = bench_now_us() + timeout_us;

	while (b->tx_busy > 0) {
		int ret = bench_progress(b);

		if (ret < 0)
			return ret;
		if (bench_now_us() > deadline) {
			fprintf(stderr, "tx drain: %d sends never completed\n",
				b->tx_busy);
			return -FI_ETIMEDOUT;
		}
	}
	return 0;
}

void bench_hdr_put(char *buf, size_t size, uint32_t epoch, uint32_t seq)
{
	/* seq first when there is room for only one field: it is the one
	 * the ping-pong matches on. */
	if (size >= 8) {
		struct bench_hdr h = { .epoch = epoch, .seq = seq };

		memcpy(buf, &h, sizeof(h));
	} else if (size >= 4) {
		memcpy(buf, &seq, sizeof(seq));
	}
}

int bench_hdr_get(const char *buf, size_t len, uint32_t *epoch,
		  uint32_t *seq)
{
	if (len >= 8) {
		struct bench_hdr h;

		memcpy(&h, buf, sizeof(h));
		*epoch = h.epoch;
		*seq = h.seq;
		return 8;
	}
	if (len >= 4) {
		memcpy(seq, buf, sizeof(*seq));
		return 4;
	}
	return 0;
}
