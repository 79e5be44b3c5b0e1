/* udp FI_EP_RDM streaming with every byte checked (public API only).
 *
 * A sender keeps WINDOW tagged sends in flight to a receiver, which keeps
 * WINDOW receives posted; message i (tag i) has a length that varies
 * around SIZE and a content that depends on (i, offset), so a lost,
 * duplicated, reordered, truncated or corrupted message fails the check.
 * When every send has completed (delivery-complete: the receiver holds
 * the data), the sender sends a final message and waits for the
 * receiver's verdict, then prints
 *   RESULT bytes=... seconds=... mbytes_s=... msgs=...
 *
 * Two uses:
 *   udp_rdm_stream
 *       the ctest test: forks a receiver, streams on 127.0.0.1.
 *   udp_rdm_stream send|recv LOCAL_IP LOCAL_PORT PEER_IP PEER_PORT COUNT SIZE
 *       one side, for two hosts or network namespaces
 *       (tests/compat/udp_netem.sh, bench/udp_loss). Both addresses are
 *       fixed, so no out-of-band exchange is needed: each side inserts the
 *       other's address in its AV.
 * Exit 0 when every message arrived intact, in order, exactly once.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <rdma/fi_tagged.h>
#include <sys/wait.h>
#include <unistd.h>

#include "udp_test.h"

#define WINDOW 16
#define TAG_FIN (1ull << 40)
#define TAG_VERDICT (1ull << 41)
#define DEADLINE_MS 120000

struct side {
	struct udp_t t;
	struct fid_ep *ep;
	struct fid_cq *tx, *rx;
	fi_addr_t peer;
	uint8_t *buf[WINDOW];
	size_t size;
};

static size_t msg_len(uint64_t i, size_t size)
{
	/* Around SIZE: a few short ones, most full, none empty. */
	if (size < 16)
		return size;
	if (i % 7 == 3)
		return 1 + (size_t)(i * 2654435761u % (size / 2));
	return size - (size_t)(i * 40503u % (size / 16 + 1));
}

static uint64_t word(uint64_t i, size_t j)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t)j * 0xbf58476d1ce4e5b9ull;

	return x ^ (x >> 29);
}

static void fill(uint8_t *p, uint64_t i, size_t len)
{
	size_t j;
	uint64_t w;

	for (j = 0; j + 8 <= len; j += 8) {
		w = word(i, j / 8);
		memcpy(p + j, &w, 8);
	}
	if (j < len) {
		w = word(i, j / 8);
		memcpy(p + j, &w, len - j);
	}
}

static bool verify(const uint8_t *p, uint64_t i, size_t len)
{
	size_t j;
	uint64_t w;

	for (j = 0; j + 8 <= len; j += 8) {
		w = word(i, j / 8);
		if (memcmp(p + j, &w, 8))
			return false;
	}
	if (j < len) {
		w = word(i, j / 8);
		if (memcmp(p + j, &w, len - j))
			return false;
	}
	return true;
}

static void side_open(struct side *s, const char *ip, const char *port,
		      size_t size)
{
	struct fi_info *hints = fi_allocinfo(), *info = NULL;
	struct fi_cq_attr cq_attr = {.format = FI_CQ_FORMAT_TAGGED,
				     .size = 4 * WINDOW};
	struct fi_av_attr av_attr = {.type = FI_AV_TABLE};
	int i;

	CHECK(hints);
	hints->ep_attr->type = FI_EP_RDM;
	hints->caps = FI_MSG | FI_TAGGED;
	hints->addr_format = FI_SOCKADDR_IN;
	hints->fabric_attr->prov_name = strdup("udp");
	CHECK_OK(fi_getinfo(FI_VERSION(1, 17), ip, port, FI_SOURCE, hints,
			    &info));
	fi_freeinfo(hints);
	memset(s, 0, sizeof(*s));
	s->t.info = info;
	CHECK_OK(fi_fabric(info->fabric_attr, &s->t.fabric, NULL));
	CHECK_OK(fi_domain(s->t.fabric, info, &s->t.domain, NULL));
	CHECK_OK(fi_av_open(s->t.domain, &av_attr, &s->t.av, NULL));
	CHECK_OK(fi_endpoint(s->t.domain, info, &s->ep, NULL));
	CHECK_OK(fi_cq_open(s->t.domain, &cq_attr, &s->tx, NULL));
	CHECK_OK(fi_cq_open(s->t.domain, &cq_attr, &s->rx, NULL));
	CHECK_OK(fi_ep_bind(s->ep, &s->t.av->fid, 0));
	CHECK_OK(fi_ep_bind(s->ep, &s->tx->fid, FI_TRANSMIT));
	CHECK_OK(fi_ep_bind(s->ep, &s->rx->fid, FI_RECV));
	CHECK_OK(fi_enable(s->ep));
	s->size = size;
	for (i = 0; i < WINDOW; i++) {
		s->buf[i] = malloc(size > 8 ? size : 8);
		CHECK(s->buf[i]);
	}
}

static void side_peer(struct side *s, const void *name)
{
	CHECK_RET(fi_av_insert(s->t.av, name, 1, &s->peer, 0, NULL), 1);
}

static void side_close(struct side *s)
{
	int i;

	CHECK_OK(fi_close(&s->ep->fid));
	CHECK_OK(fi_close(&s->tx->fid));
	CHECK_OK(fi_close(&s->rx->fid));
	for (i = 0; i < WINDOW; i++)
		free(s->buf[i]);
	udp_t_close(&s->t);
}

/* One completion from cq, failing on an error or the deadline. */
static void next_comp(struct fid_cq *cq, struct fi_cq_tagged_entry *c,
		      long end)
{
	ssize_t r;

	for (;;) {
		r = fi_cq_read(cq, c, 1);
		if (r == 1)
			return;
		if (r == -FI_EAVAIL) {
			struct fi_cq_err_entry e = {0};

			CHECK_RET(fi_cq_readerr(cq, &e, 0), 1);
			fprintf(stderr, "error completion: %s\n",
				fi_strerror(e.err));
			CHECK(0);
		}
		CHECK_RET(r, -FI_EAGAIN);
		if (udp_t_now_ms() > end) {
			fprintf(stderr, "no completion within %d s\n",
				DEADLINE_MS / 1000);
			CHECK(0);
		}
	}
}

/* Post, retrying -FI_EAGAIN (a post that finds its queue full runs
 * progress itself). `other` is unused: kept for the reader. */
#define POST(call, other)                                                      \
	do {                                                                   \
		ssize_t r_;                                                    \
		(void)(other);                                                 \
		while ((r_ = (call)) == -FI_EAGAIN)                            \
			CHECK(udp_t_now_ms() < end);                           \
		CHECK_OK(r_);                                                  \
	} while (0)

static void run_recv(struct side *s, uint64_t count)
{
	struct fi_cq_tagged_entry c;
	long end = udp_t_now_ms() + DEADLINE_MS;
	uint64_t next = 0, verdict;
	int i;

	for (i = 0; i < WINDOW; i++)
		POST(fi_trecv(s->ep, s->buf[i], s->size > 8 ? s->size : 8,
			      NULL, s->peer, 0, ~0ull, (void *)(uintptr_t)i),
		     s->tx);
	for (;;) {
		next_comp(s->rx, &c, end);
		i = (int)(uintptr_t)c.op_context;
		CHECK(i >= 0 && i < WINDOW);
		if (c.tag == TAG_FIN)
			break;
		/* In order, exactly once, the right length and content. */
		if (c.tag != next || c.len != msg_len(next, s->size) ||
		    !verify(s->buf[i], next, c.len)) {
			fprintf(stderr, "message %" PRIu64 ": got tag %" PRIu64
				" len %zu (want %zu)%s\n", next, c.tag, c.len,
				msg_len(next, s->size),
				c.tag == next ? ", bad content" : "");
			CHECK(0);
		}
		next++;
		POST(fi_trecv(s->ep, s->buf[i], s->size > 8 ? s->size : 8,
			      NULL, s->peer, 0, ~0ull, c.op_context),
		     s->tx);
	}
	CHECK(next == count);
	verdict = next;
	POST(fi_tsend(s->ep, &verdict, sizeof(verdict), NULL, s->peer,
		      TAG_VERDICT, NULL),
	     s->rx);
	next_comp(s->tx, &c, end);
	printf("received %" PRIu64 " messages, every byte checked\n", next);
}

static void run_send(struct side *s, uint64_t count)
{
	struct fi_cq_tagged_entry c;
	long end = udp_t_now_ms() + DEADLINE_MS;
	struct timespec t0, t1;
	uint64_t i, done = 0, bytes = 0, verdict = 0, fin = 0;
	int inflight = 0, slot;
	double sec;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < count || done < count;) {
		if (i < count && inflight < WINDOW) {
			size_t len = msg_len(i, s->size);

			slot = (int)(i % WINDOW);
			fill(s->buf[slot], i, len);
			POST(fi_tsend(s->ep, s->buf[slot], len, NULL, s->peer,
				      i, (void *)(uintptr_t)slot),
			     s->rx);
			bytes += len;
			inflight++;
			i++;
			continue;
		}
		next_comp(s->tx, &c, end);
		done++;
		inflight--;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	POST(fi_trecv(s->ep, &verdict, sizeof(verdict), NULL, s->peer,
		      TAG_VERDICT, 0, NULL),
	     s->tx);
	POST(fi_tsend(s->ep, &fin, sizeof(fin), NULL, s->peer, TAG_FIN, NULL),
	     s->rx);
	next_comp(s->tx, &c, end);
	next_comp(s->rx, &c, end);
	CHECK(c.tag == TAG_VERDICT && verdict == count);
	sec = (double)(t1.tv_sec - t0.tv_sec) +
	      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("RESULT bytes=%" PRIu64 " seconds=%.3f mbytes_s=%.1f msgs=%"
	       PRIu64 " size=%zu window=%d\n", bytes, sec,
	       (double)bytes / sec / 1e6, count, s->size, WINDOW);
}

static void sockaddr_of(struct sockaddr_in *sa, const char *ip,
			const char *port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(port));
	CHECK(inet_pton(AF_INET, ip, &sa->sin_addr) == 1);
}

/* The ctest case: both sides on loopback, names swapped through pipes. */
static int self_test(void)
{
	int to_child[2], to_parent[2], status;
	struct sockaddr_in mine, theirs;
	size_t len = sizeof(mine);
	struct side s;
	pid_t pid;

	CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0);
	pid = fork();
	CHECK(pid >= 0);
	side_open(&s, "127.0.0.1", NULL, 300000);
	CHECK_OK(fi_getname(&s.ep->fid, &mine, &len));
	CHECK(len == sizeof(mine));
	if (pid == 0) {
		CHECK(write(to_parent[1], &mine, len) == (ssize_t)len);
		CHECK(read(to_child[0], &theirs, len) == (ssize_t)len);
		side_peer(&s, &theirs);
		run_recv(&s, 200);
		side_close(&s);
		_exit(0);
	}
	CHECK(write(to_child[1], &mine, len) == (ssize_t)len);
	CHECK(read(to_parent[0], &theirs, len) == (ssize_t)len);
	side_peer(&s, &theirs);
	run_send(&s, 200);
	side_close(&s);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in peer;
	struct side s;
	uint64_t count;
	size_t size;

	setvbuf(stdout, NULL, _IOLBF, 0);
	weft_test_require_weft_loaded();
	if (argc == 1)
		return self_test();
	if (argc != 8 || (strcmp(argv[1], "send") && strcmp(argv[1], "recv"))) {
		fprintf(stderr, "usage: %s [send|recv LOCAL_IP LOCAL_PORT "
			"PEER_IP PEER_PORT COUNT SIZE]\n", argv[0]);
		return 2;
	}
	count = strtoull(argv[6], NULL, 0);
	size = strtoull(argv[7], NULL, 0);
	CHECK(count > 0 && size > 0 && size <= ((size_t)1 << 30));
	side_open(&s, argv[2], argv[3], size);
	sockaddr_of(&peer, argv[4], argv[5]);
	side_peer(&s, &peer);
	if (!strcmp(argv[1], "send"))
		run_send(&s, count);
	else
		run_recv(&s, count);
	side_close(&s);
	return 0;
}
