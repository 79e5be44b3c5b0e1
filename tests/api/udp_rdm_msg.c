/* udp FI_EP_RDM between two processes (public API only): every send form
 * of fi_msg and fi_tagged, at sizes from 0 bytes to 4 MiB (many packets),
 * into matching receives; then unexpected tagged messages claimed out of
 * order by tag, a directed receive, and a stream of 3000 messages of
 * random sizes kept in flight. Every payload byte, length, flag, tag,
 * remote CQ datum and FI_SOURCE address is checked, and every send
 * completes only once the peer has the message (FI_DELIVERY_COMPLETE). */
#include <rdma/fi_tagged.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "udp_test.h"

#define BIG (4u << 20)
#define TMO 10000

struct side {
	struct udp_t t;
	struct udp_t_ep e;
	fi_addr_t peer;
	int rfd, wfd;
};

static uint8_t *txb, *rxb;
static char where[128]; /* for failure messages */

static uint8_t pat(uint32_t seed, size_t i)
{
	return (uint8_t)((i * 131u + seed * 7u + (i >> 9)) & 0xff);
}

static void fill(uint8_t *b, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		b[i] = pat(seed, i);
}

static void verify(const uint8_t *b, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		if (b[i] != pat(seed, i)) {
			fprintf(stderr, "byte %zu of %zu (seed %u) differs\n",
				i, len, seed);
			CHECK(0);
		}
}

static struct fi_info *rdm_getinfo(void)
{
	struct fi_info *hints = fi_allocinfo(), *info = NULL;

	CHECK(hints);
	hints->ep_attr->type = FI_EP_RDM;
	hints->caps = FI_MSG | FI_TAGGED | FI_SOURCE | FI_DIRECTED_RECV;
	hints->addr_format = FI_SOCKADDR_IN;
	hints->fabric_attr->prov_name = strdup("udp");
	CHECK_OK(fi_getinfo(FI_VERSION(1, 17), "127.0.0.1", NULL, FI_SOURCE,
			    hints, &info));
	fi_freeinfo(hints);
	CHECK(info && !strcmp(info->fabric_attr->prov_name, "udp"));
	CHECK(info->ep_attr->type == FI_EP_RDM);
	CHECK(info->ep_attr->max_msg_size >= BIG);
	return info;
}

/* Like udp_t_ep_open, with tagged-format CQs. */
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
}

static ssize_t wait_cq(struct fid_cq *cq, struct fi_cq_tagged_entry *c,
		       fi_addr_t *src, long timeout_ms)
{
	long end = udp_t_now_ms() + timeout_ms;
	fi_addr_t dummy;
	ssize_t ret;

	do {
		ret = fi_cq_readfrom(cq, c, 1, src ? src : &dummy);
		if (ret != -FI_EAGAIN)
			return ret;
	} while (udp_t_now_ms() < end);
	return -FI_EAGAIN;
}

static void side_open(struct side *s)
{
	char peer[64];
	size_t n;

	udp_t_open(&s->t, rdm_getinfo());
	ep_open(&s->t, &s->e);
	CHECK(write(s->wfd, &s->e.namelen, sizeof(n)) == sizeof(n));
	CHECK(write(s->wfd, s->e.name, s->e.namelen) == (ssize_t)s->e.namelen);
	CHECK(read(s->rfd, &n, sizeof(n)) == sizeof(n) && n <= sizeof(peer));
	CHECK(read(s->rfd, peer, n) == (ssize_t)n);
	CHECK_RET(fi_av_insert(s->t.av, peer, 1, &s->peer, 0, NULL), 1);
}

/* One completion from cq; fails on error or timeout. */
static void pipe_read(struct side *s, char *b);

static void get(struct fid_cq *cq, struct fi_cq_tagged_entry *c, fi_addr_t *src)
{
	ssize_t r = wait_cq(cq, c, src, TMO);

	if (r == -FI_EAVAIL) {
		struct fi_cq_err_entry e = {0};

		fi_cq_readerr(cq, &e, 0);
		fprintf(stderr, "error completion: %s (%d)\n",
			fi_strerror(e.err), e.err);
	}
	if (r != 1)
		fprintf(stderr, "%d: waiting in %s\n", (int)getpid(), where);
	CHECK_RET(r, 1);
}

/* Keep the other side's progress going while we wait for ours: each side
 * only ever waits on its own CQs, which drive its own endpoint. */

enum form { F_SEND, F_SENDV, F_SENDMSG, F_INJECT, F_SENDDATA, F_INJECTDATA,
	    F_TSEND, F_TSENDV, F_TSENDMSG, F_TINJECT, F_TSENDDATA,
	    F_TINJECTDATA, F_FORMS };

static bool form_tagged(enum form f) { return f >= F_TSEND; }
static bool form_inject(enum form f)
{
	return f == F_INJECT || f == F_INJECTDATA || f == F_TINJECT ||
	       f == F_TINJECTDATA;
}
static bool form_data(enum form f)
{
	return f == F_SENDDATA || f == F_INJECTDATA || f == F_TSENDDATA ||
	       f == F_TINJECTDATA || f == F_SENDMSG || f == F_TSENDMSG;
}

static ssize_t do_send(struct side *s, enum form f, size_t len, uint64_t tag,
		       uint64_t data, void *ctx)
{
	struct fid_ep *ep = s->e.ep;
	struct iovec iov[2] = {{txb, len / 3}, {txb + len / 3, len - len / 3}};
	struct fi_msg m = {.msg_iov = iov, .iov_count = 2, .addr = s->peer,
			   .context = ctx, .data = data};
	struct fi_msg_tagged tm = {.msg_iov = iov, .iov_count = 2,
				   .addr = s->peer, .tag = tag,
				   .context = ctx, .data = data};

	switch (f) {
	case F_SEND: return fi_send(ep, txb, len, NULL, s->peer, ctx);
	case F_SENDV: return fi_sendv(ep, iov, NULL, 2, s->peer, ctx);
	case F_SENDMSG:
		return fi_sendmsg(ep, &m, FI_COMPLETION | FI_REMOTE_CQ_DATA);
	case F_INJECT: return fi_inject(ep, txb, len, s->peer);
	case F_SENDDATA:
		return fi_senddata(ep, txb, len, NULL, data, s->peer, ctx);
	case F_INJECTDATA: return fi_injectdata(ep, txb, len, data, s->peer);
	case F_TSEND: return fi_tsend(ep, txb, len, NULL, s->peer, tag, ctx);
	case F_TSENDV: return fi_tsendv(ep, iov, NULL, 2, s->peer, tag, ctx);
	case F_TSENDMSG:
		return fi_tsendmsg(ep, &tm, FI_COMPLETION | FI_REMOTE_CQ_DATA);
	case F_TINJECT: return fi_tinject(ep, txb, len, s->peer, tag);
	case F_TSENDDATA:
		return fi_tsenddata(ep, txb, len, NULL, data, s->peer, tag, ctx);
	default:
		return fi_tinjectdata(ep, txb, len, data, s->peer, tag);
	}
}

static const size_t sizes[] = {0, 1, 100, 1024, 16384, 16385, 100000, BIG};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

/* Phase 1: client sends every form at every size; server receives. */
static void forms_client(struct side *s)
{
	struct fi_cq_tagged_entry c;
	char ctx;

	for (int f = 0; f < F_FORMS; f++)
		for (size_t i = 0; i < NSIZES; i++) {
			size_t len = sizes[i];

			if (form_inject(f) &&
			    len > s->t.info->tx_attr->inject_size)
				continue;
			fill(txb, len, (uint32_t)(f * 16 + i));
			snprintf(where, sizeof(where), "send form %d size %zu", f, len);
			CHECK_OK(do_send(s, f, len, 0x1000 + i, 0xd0 + i, &ctx));
			if (!form_inject(f)) {
				get(s->e.tx, &c, NULL);
				CHECK(c.op_context == &ctx);
				CHECK(c.flags == (FI_SEND | (form_tagged(f) ?
							     FI_TAGGED : FI_MSG)));
			}
		}
	/* The last inject must have landed before the next phase starts:
	 * the server tells us. */
}

static void forms_server(struct side *s)
{
	struct fi_cq_tagged_entry c;
	fi_addr_t src;
	char ctx;

	for (int f = 0; f < F_FORMS; f++)
		for (size_t i = 0; i < NSIZES; i++) {
			size_t len = sizes[i];
			uint64_t want;

			if (form_inject(f) &&
			    len > s->t.info->tx_attr->inject_size)
				continue;
			memset(rxb, 0xee, len + 1);
			snprintf(where, sizeof(where), "recv form %d size %zu", f, len);
			if (form_tagged(f))
				CHECK_OK(fi_trecv(s->e.ep, rxb, BIG, NULL,
						  FI_ADDR_UNSPEC, 0x1000 + i, 0,
						  &ctx));
			else
				CHECK_OK(fi_recv(s->e.ep, rxb, BIG, NULL,
						 FI_ADDR_UNSPEC, &ctx));
			get(s->e.rx, &c, &src);
			want = FI_RECV | (form_tagged(f) ? FI_TAGGED : FI_MSG);
			if (form_data(f))
				want |= FI_REMOTE_CQ_DATA;
			CHECK(c.op_context == &ctx && c.flags == want);
			CHECK(c.len == len && src == s->peer);
			if (form_data(f))
				CHECK(c.data == 0xd0 + i);
			verify(rxb, len, (uint32_t)(f * 16 + i));
			CHECK(rxb[len] == 0xee);
		}
}

/* Phase 2: unexpected tagged messages, claimed in reverse order, with a
 * directed receive; and a truncated receive. */
#define NUX 20
static void unexp_client(struct side *s)
{
	struct fi_cq_tagged_entry c;

	for (int i = 0; i < NUX; i++) {
		size_t len = 1000u * (size_t)i;

		fill(txb, len, 500u + (uint32_t)i);
		CHECK_OK(fi_tsend(s->e.ep, txb, len, NULL, s->peer,
				  0x5000 + (uint64_t)i, NULL));
		get(s->e.tx, &c, NULL); /* acked: buffered as unexpected */
	}
	fill(txb, 3000, 9);
	CHECK_OK(fi_send(s->e.ep, txb, 3000, NULL, s->peer, NULL));
	get(s->e.tx, &c, NULL);
}

static void unexp_server(struct side *s)
{
	struct fi_cq_tagged_entry c;
	struct fi_cq_err_entry e;
	fi_addr_t src;
	char b;

	/* Wait for all of it to be buffered: the client sends a byte on the
	 * pipe once its last send completed. */
	pipe_read(s, &b);
	for (int i = NUX - 1; i >= 0; i--) {
		size_t len = 1000u * (size_t)i;

		CHECK_OK(fi_trecv(s->e.ep, rxb, BIG, NULL, s->peer,
				  0x5000 + (uint64_t)i, 0, NULL));
		get(s->e.rx, &c, &src);
		CHECK(c.len == len && c.tag == 0x5000 + (uint64_t)i);
		CHECK(c.flags == (FI_RECV | FI_TAGGED) && src == s->peer);
		verify(rxb, len, 500u + (uint32_t)i);
	}
	/* 3000 bytes into 1000: FI_ETRUNC with the overflow length. */
	CHECK_OK(fi_recv(s->e.ep, rxb, 1000, NULL, FI_ADDR_UNSPEC, NULL));
	CHECK_RET(wait_cq(s->e.rx, &c, &src, TMO), -FI_EAVAIL);
	memset(&e, 0, sizeof(e));
	CHECK_RET(fi_cq_readerr(s->e.rx, &e, 0), 1);
	CHECK(e.err == FI_ETRUNC && e.olen == 2000 && e.len == 1000);
	verify(rxb, 1000, 9);
}

/* Phase 3: a stream of messages of random sizes, 16 in flight. */
#define NSTREAM 3000
static size_t stream_len(int i)
{
	uint32_t x = (uint32_t)i * 2654435761u;

	return x % 7 == 0 ? (x >> 8) % 200000 : (x >> 8) % 2000;
}

static void stream_client(struct side *s)
{
	static uint8_t bufs[16][200000];
	struct fi_cq_tagged_entry c;
	int posted = 0, done = 0;

	while (done < NSTREAM) {
		while (posted < NSTREAM && posted - done < 16) {
			uint8_t *b = bufs[posted % 16];
			ssize_t r;

			fill(b, stream_len(posted), 7000u + (uint32_t)posted);
			r = fi_tsend(s->e.ep, b, stream_len(posted), NULL,
				     s->peer, (uint64_t)posted, NULL);
			if (r == -FI_EAGAIN)
				break;
			CHECK_OK(r);
			posted++;
		}
		get(s->e.tx, &c, NULL);
		done++;
	}
}

static void stream_server(struct side *s)
{
	struct fi_cq_tagged_entry c;

	for (int i = 0; i < NSTREAM; i++) {
		/* Any tag: order alone must put message i here. */
		CHECK_OK(fi_trecv(s->e.ep, rxb, BIG, NULL, FI_ADDR_UNSPEC, 0,
				  ~0ull, NULL));
		get(s->e.rx, &c, NULL);
		CHECK(c.tag == (uint64_t)i && c.len == stream_len(i));
		verify(rxb, c.len, 7000u + (uint32_t)i);
	}
}

/* Read one byte from the other process, driving our endpoint's progress
 * meanwhile (it may owe the other side acknowledgements). No completion
 * is expected while we wait. */
static void pipe_read(struct side *s, char *b)
{
	struct fi_cq_tagged_entry c;
	long end = udp_t_now_ms() + TMO;
	struct pollfd pfd = {.fd = s->rfd, .events = POLLIN};

	while (poll(&pfd, 1, 1) == 0) {
		CHECK_RET(fi_cq_read(s->e.rx, &c, 1), -FI_EAGAIN);
		CHECK_RET(fi_cq_read(s->e.tx, &c, 1), -FI_EAGAIN);
		CHECK(udp_t_now_ms() < end);
	}
	CHECK(read(s->rfd, b, 1) == 1);
}

static void sync_pipe(struct side *s, bool first)
{
	char b = 1;

	snprintf(where, sizeof(where), "sync");
	if (first) {
		CHECK(write(s->wfd, &b, 1) == 1);
		pipe_read(s, &b);
	} else {
		pipe_read(s, &b);
		CHECK(write(s->wfd, &b, 1) == 1);
	}
}

int main(void)
{
	int p2c[2], c2p[2], status;
	struct fi_cq_tagged_entry c;
	struct side s;
	pid_t pid;

	weft_test_require_weft_loaded();
	txb = malloc(BIG + 1);
	rxb = malloc(BIG + 1);
	CHECK(txb && rxb);
	CHECK(pipe(p2c) == 0 && pipe(c2p) == 0);
	alarm(100);
	pid = fork();
	CHECK(pid >= 0);
	memset(&s, 0, sizeof(s));
	if (pid == 0) {
		alarm(100);
		close(p2c[1]);
		close(c2p[0]);
		s.rfd = p2c[0];
		s.wfd = c2p[1];
		side_open(&s);
		forms_client(&s);
		sync_pipe(&s, true);
		unexp_client(&s);
		CHECK(write(s.wfd, "x", 1) == 1);
		sync_pipe(&s, true);
		stream_client(&s);
		sync_pipe(&s, true);
		udp_t_ep_close(&s.e);
		udp_t_close(&s.t);
		_exit(0);
	}
	close(p2c[0]);
	close(c2p[1]);
	s.rfd = c2p[0];
	s.wfd = p2c[1];
	side_open(&s);
	forms_server(&s);
	sync_pipe(&s, false);
	unexp_server(&s);
	sync_pipe(&s, false);
	stream_server(&s);
	sync_pipe(&s, false);
	CHECK_RET(fi_cq_read(s.e.rx, &c, 1), -FI_EAGAIN);
	udp_t_ep_close(&s.e);
	udp_t_close(&s.t);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(txb);
	free(rxb);
	return 0;
}
