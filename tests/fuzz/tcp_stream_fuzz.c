/* libFuzzer target for the tcp provider's wire decoder: every input is
 * the byte stream a peer sends on one connection. The real receive engine
 * decodes it (handshake, message headers, RMA headers, payload into
 * posted buffers, unexpected buffering, RMA and atomics executed against
 * registered memory, answers written back), so hostile headers, sizes,
 * keys, addresses, datatypes and opcodes reach every check the provider
 * makes on untrusted bytes.
 *
 * Setup, once per process: a passive endpoint on 127.0.0.1 with one CQ
 * and two registered regions inside guard bytes (KEY_RW read-write,
 * KEY_RO read-only). Per input: a raw client socket connects, the
 * endpoint is opened from the FI_CONNREQ, receives are posted as the
 * first input byte says, the endpoint accepts, the rest of the input is
 * written and the client half-closes. Progress then runs (draining the
 * client's side so answers never block) until the endpoint reports
 * FI_SHUTDOWN; a stream stalled on a missing receive gets big receives
 * of both kinds, one more pair every FZ_UNSTALL_MS, and anything still
 * stuck after FZ_HANG_MS is a hang. Control byte bit 7 sends the
 * input raw, handshake included, so the listener's handshake reader is
 * fuzzed as well.
 *
 * Aborts on: memory errors and undefined behaviour (the sanitizers), a
 * completion that claims more bytes than its buffer, a changed guard
 * byte or read-only byte, a hang, or an endpoint that never reports the
 * end of its connection.
 *
 * The fuzz build compiles the whole library into the target (tests/fuzz/
 * CMakeLists.txt) so the engine carries coverage instrumentation; the
 * unit test tcp_stream_corpus replays the corpus and generated streams
 * through this entry point in every build. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_eq.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_tagged.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_KEY_RW 0x1234
#define FZ_KEY_RO 0x99
#define FZ_REGION 4096
#define FZ_GUARD 256
#define FZ_RX_MAX 8
#define FZ_RX_BUF 2048
/* Bytes of unexpected messages the endpoint buffers (FI_TCP_UNEXP_LIMIT):
 * small, so a header claiming a huge message stalls instead of making
 * the process allocate it. */
#define FZ_UNEXP_LIMIT "65536"
/* fz_eq_poll's answer for an error event. */
#define FZ_EQ_ERROR 0xffffffffu
/* How long progress may go without the connection ending before the
 * harness posts big receives (a stream stalled on a message nobody
 * receives), and before it calls it a hang. */
#define FZ_UNSTALL_MS 20
#define FZ_HANG_MS 10000

struct tcp_fuzz {
	bool ready;
	struct fi_info *info;
	struct fid_fabric *fabric;
	struct fid_domain *domain;
	struct fid_eq *eq;
	struct fid_pep *pep;
	struct fid_cq *cq;
	struct fid_mr *mr_rw, *mr_ro;
	struct sockaddr_in addr;
	/* guard | rw region | guard | ro region | guard */
	uint8_t mem[3 * FZ_GUARD + 2 * FZ_REGION];
	uint8_t rx[FZ_RX_MAX][FZ_RX_BUF + FZ_GUARD];
	size_t rx_cap[FZ_RX_MAX];
	struct fi_context ctx[FZ_RX_MAX];
	uint64_t runs, shutdowns, refused;
};

static struct tcp_fuzz fz;

static void fz_require(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "tcp_stream fuzz: %s\n", what);
		abort();
	}
}

static long fz_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static uint8_t *fz_rw(void)
{
	return fz.mem + FZ_GUARD;
}

static uint8_t *fz_ro(void)
{
	return fz.mem + 2 * FZ_GUARD + FZ_REGION;
}

static void fz_setup(void)
{
	struct fi_info *hints = fi_allocinfo();
	struct fi_eq_attr eq_attr = { .size = 64, .wait_obj = FI_WAIT_NONE };
	struct fi_cq_attr cq_attr = { .format = FI_CQ_FORMAT_TAGGED,
				      .wait_obj = FI_WAIT_NONE,
				      .size = 4096 };
	size_t len = sizeof(fz.addr);

	setenv("FI_TCP_UNEXP_LIMIT", FZ_UNEXP_LIMIT, 1);
	setenv("FI_TCP_HANDSHAKE_TIMEOUT", "2000", 1);
	fz_require(hints != NULL, "fi_allocinfo");
	hints->ep_attr->type = FI_EP_MSG;
	hints->caps = FI_MSG | FI_TAGGED | FI_RMA | FI_ATOMIC;
	hints->addr_format = FI_SOCKADDR_IN;
	hints->fabric_attr->prov_name = strdup("tcp");
	fz_require(fi_getinfo(FI_VERSION(1, 17), "127.0.0.1", "0", FI_SOURCE,
			      hints, &fz.info) == 0,
		   "fi_getinfo tcp");
	fi_freeinfo(hints);
	fz_require(fi_fabric(fz.info->fabric_attr, &fz.fabric, NULL) == 0,
		   "fi_fabric");
	fz_require(fi_domain(fz.fabric, fz.info, &fz.domain, NULL) == 0,
		   "fi_domain");
	fz_require(fi_eq_open(fz.fabric, &eq_attr, &fz.eq, NULL) == 0,
		   "fi_eq_open");
	fz_require(fi_cq_open(fz.domain, &cq_attr, &fz.cq, NULL) == 0,
		   "fi_cq_open");
	memset(fz.mem, 0xee, sizeof(fz.mem));
	memset(fz_rw(), 0, FZ_REGION);
	memset(fz_ro(), 0x5a, FZ_REGION);
	fz_require(fi_mr_reg(fz.domain, fz_rw(), FZ_REGION,
			     FI_REMOTE_READ | FI_REMOTE_WRITE, 0, FZ_KEY_RW, 0,
			     &fz.mr_rw, NULL) == 0,
		   "fi_mr_reg rw");
	fz_require(fi_mr_reg(fz.domain, fz_ro(), FZ_REGION, FI_REMOTE_READ, 0,
			     FZ_KEY_RO, 0, &fz.mr_ro, NULL) == 0,
		   "fi_mr_reg ro");
	fz_require(fi_passive_ep(fz.fabric, fz.info, &fz.pep, NULL) == 0,
		   "fi_passive_ep");
	fz_require(fi_pep_bind(fz.pep, &fz.eq->fid, 0) == 0, "fi_pep_bind");
	fz_require(fi_listen(fz.pep) == 0, "fi_listen");
	fz_require(fi_getname(&fz.pep->fid, &fz.addr, &len) == 0 &&
			   fz.addr.sin_family == AF_INET,
		   "fi_getname");
	fz.ready = true;
}

/* Everything on the client socket is read and dropped (answers to RMA
 * requests, the accept). Returns false once the listener or endpoint has
 * closed it. */
static bool fz_drain(int sock)
{
	uint8_t buf[65536];

	for (;;) {
		ssize_t n = recv(sock, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
	}
}

static void fz_check_memory(void)
{
	for (size_t i = 0; i < FZ_GUARD; i++) {
		fz_require(fz.mem[i] == 0xee, "guard before rw region");
		fz_require(fz.mem[FZ_GUARD + FZ_REGION + i] == 0xee,
			   "guard between regions");
		fz_require(fz.mem[2 * FZ_GUARD + 2 * FZ_REGION + i] == 0xee,
			   "guard after ro region");
	}
	for (size_t i = 0; i < FZ_REGION; i++)
		fz_require(fz_ro()[i] == 0x5a, "read-only region written");
	for (int r = 0; r < FZ_RX_MAX; r++)
		for (size_t i = fz.rx_cap[r]; i < FZ_RX_BUF + FZ_GUARD; i++)
			fz_require(fz.rx[r][i] == 0xee,
				   "receive buffer overrun");
}

/* Read the CQ dry; every completion checked against what was posted. */
static void fz_cq_drain(void)
{
	struct fi_cq_tagged_entry e[16];
	ssize_t n;

	for (;;) {
		n = fi_cq_read(fz.cq, e, 16);
		if (n == -FI_EAVAIL) {
			struct fi_cq_err_entry err = { 0 };

			fz_require(fi_cq_readerr(fz.cq, &err, 0) == 1,
				   "cq_readerr");
			fz_require(err.err > 0, "error completion without err");
			continue;
		}
		if (n <= 0) {
			fz_require(n == -FI_EAGAIN, "fi_cq_read failed");
			return;
		}
		for (ssize_t i = 0; i < n; i++) {
			int r = -1;

			for (int k = 0; k < FZ_RX_MAX; k++)
				if (e[i].op_context == &fz.ctx[k])
					r = k;
			if (r < 0) /* a target-side RMA/atomic event */
				continue;
			fz_require(e[i].len <= fz.rx_cap[r],
				   "receive longer than its buffer");
			fz_require(!e[i].len || e[i].buf == fz.rx[r],
				   "receive completion names another buffer");
		}
	}
}

/* Post the receives the control byte asks for: bits 0-2 how many, bit 3
 * tagged (tags 0..n-1, bit 4 ignore all), bit 5 small buffers. */
static int fz_post(struct fid_ep *ep, uint8_t ctl)
{
	int n = ctl & 7, r;

	for (r = 0; r < n; r++) {
		size_t cap = (ctl & 0x20) ? 16u * (size_t)(r + 1) : FZ_RX_BUF;
		ssize_t ret;

		fz.rx_cap[r] = cap;
		memset(fz.rx[r], 0xee, sizeof(fz.rx[r]));
		if (ctl & 0x08)
			ret = fi_trecv(ep, fz.rx[r], cap, NULL, 0, (uint64_t)r,
				       (ctl & 0x10) ? ~0ull : 0, &fz.ctx[r]);
		else
			ret = fi_recv(ep, fz.rx[r], cap, NULL, 0, &fz.ctx[r]);
		fz_require(ret == 0, "posting a receive");
	}
	for (; r < FZ_RX_MAX; r++)
		fz.rx_cap[r] = FZ_RX_BUF + FZ_GUARD; /* nothing to check */
	return n;
}

/* One EQ event, or 0 when there is none yet (drives listener and
 * endpoint connection management). */
static uint32_t fz_eq_poll(struct fi_info **connreq)
{
	/* An entry and the CM data after it. */
	uint64_t buf[(sizeof(struct fi_eq_cm_entry) + 512) / 8];
	struct fi_eq_cm_entry *e = (struct fi_eq_cm_entry *)buf;
	uint32_t event;
	ssize_t n = fi_eq_read(fz.eq, &event, buf, sizeof(buf), 0);

	if (n == -FI_EAVAIL) {
		struct fi_eq_err_entry err = { 0 };

		fz_require(fi_eq_readerr(fz.eq, &err, 0) > 0, "eq_readerr");
		return FZ_EQ_ERROR;
	}
	if (n < 0) {
		fz_require(n == -FI_EAGAIN, "fi_eq_read failed");
		return 0;
	}
	if (event == FI_CONNREQ && connreq) {
		*connreq = e->info;
	} else if (event == FI_CONNREQ) {
		fi_reject(fz.pep, e->info->handle, NULL, 0);
		fi_freeinfo(e->info);
	}
	return event;
}

static void fz_send_all(int sock, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = send(sock, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* the listener closed it: fine */
		p += n;
		len -= (size_t)n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A weft handshake request: "WFTT", version 1, op REQ, no data. */
	static const uint8_t req[16] = { 'W', 'F', 'T', 'T', 1, 1, 0, 0 };
	struct fi_info *connreq = NULL;
	struct fid_ep *ep = NULL;
	uint8_t ctl;
	bool raw, shut = false;
	int unstalled = 0;
	long deadline, start;
	int sock;

	if (!fz.ready)
		fz_setup();
	if (size < 1 || size > 1 << 16)
		return 0;
	ctl = data[0];
	raw = ctl & 0x80;
	data++;
	size--;
	fz.runs++;

	sock = socket(AF_INET, SOCK_STREAM, 0);
	fz_require(sock >= 0, "socket");
	fz_require(connect(sock, (struct sockaddr *)&fz.addr,
			   sizeof(fz.addr)) == 0,
		   "connect to the listener");
	if (raw) {
		fz_send_all(sock, data, size);
		shutdown(sock, SHUT_WR);
	} else {
		fz_send_all(sock, req, sizeof(req));
	}

	/* Wait for the request (raw: it may never come: the listener closes
	 * a bad handshake, which shows as end of stream on sock). */
	deadline = fz_now_ms() + FZ_HANG_MS;
	while (!connreq) {
		uint32_t ev = fz_eq_poll(&connreq);

		fz_require(ev == 0 || ev == FI_CONNREQ, "unexpected EQ event");
		if (connreq)
			break;
		if (raw && !fz_drain(sock)) {
			fz.refused++;
			close(sock);
			return 0;
		}
		fz_require(fz_now_ms() < deadline, "no FI_CONNREQ");
	}
	fz_require(fi_endpoint(fz.domain, connreq, &ep, NULL) == 0,
		   "fi_endpoint from the request");
	fz_require(fi_ep_bind(ep, &fz.cq->fid, FI_TRANSMIT | FI_RECV) == 0 &&
			   fi_ep_bind(ep, &fz.eq->fid, 0) == 0 &&
			   fi_enable(ep) == 0,
		   "endpoint setup");
	fz_post(ep, ctl);
	fz_require(fi_accept(ep, NULL, 0) == 0, "fi_accept");
	if (!raw) {
		fz_send_all(sock, data, size);
		shutdown(sock, SHUT_WR);
	}

	/* Run until the endpoint reports the end of the connection. */
	start = fz_now_ms();
	while (!shut) {
		uint32_t ev;

		fz_cq_drain();
		fz_drain(sock);
		ev = fz_eq_poll(NULL);
		if (ev == FI_SHUTDOWN || ev == FZ_EQ_ERROR)
			shut = true;
		if (!shut && unstalled < 64 &&
		    fz_now_ms() > start + FZ_UNSTALL_MS * (unstalled + 1)) {
			/* Stalled waiting for a receive (or buffer room):
			 * give it big ones of both kinds, one more pair each
			 * time (buffered messages take them first). */
			static uint8_t big[2][1 << 17];

			unstalled++;
			fi_recv(ep, big[0], sizeof(big[0]), NULL, 0, NULL);
			fi_trecv(ep, big[1], sizeof(big[1]), NULL, 0, 0, ~0ull,
				 NULL);
		}
		fz_require(fz_now_ms() < start + FZ_HANG_MS,
			   "connection never reported as ended (hang)");
	}
	fz.shutdowns++;
	fz_cq_drain();
	fz_require(fi_close(&ep->fid) == 0, "fi_close ep");
	fi_freeinfo(connreq);
	fz_cq_drain();
	close(sock);
	fz_check_memory();
	return 0;
}
