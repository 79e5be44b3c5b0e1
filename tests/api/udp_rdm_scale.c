/* udp FI_EP_RDM at scale (public API only): one hub endpoint whose AV has
 * 10,000 entries exchanges messages with 256 peer endpoints spread over 4
 * child processes (64 endpoints each, sharing one CQ per process). The
 * real peers sit at scattered AV slots among 9,744 addresses that never
 * send (the per-peer state must be created lazily: only active peers may
 * cost memory). Each peer sends NMSG tagged messages (up to 20 KB, so
 * some are several packets) to the hub; the hub checks each one's source
 * (FI_SOURCE), order and bytes and answers it (64 bytes); each peer
 * checks the answers. The hub prints its resident memory growth per active peer:
 *   RESULT peers=256 av_entries=10000 rss_delta_kib=... per_peer_bytes=...
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <rdma/fi_tagged.h>
#include <sys/wait.h>
#include <unistd.h>

#include "udp_test.h"

#define NPROC 4
#define NEP 64
#define NPEER (NPROC * NEP)
#define AV_ENTRIES 10000
#define SPREAD 39 /* real peer k sits at AV slot k * SPREAD */
#define NMSG 4
#define MAXLEN 20000
#define DEADLINE_MS 60000
#define REPLY_LEN 64

static size_t msg_len(int peer, int idx)
{
	return 1 + ((size_t)peer * 131u + (size_t)idx * 977u) % MAXLEN;
}

static uint8_t msg_byte(int peer, int idx, size_t i, int reply)
{
	return (uint8_t)(peer * 7 + idx * 13 + reply * 101 + (int)(i % 249));
}

static struct fi_info *getinfo(void)
{
	struct fi_info *hints = fi_allocinfo(), *info = NULL;

	CHECK(hints);
	hints->ep_attr->type = FI_EP_RDM;
	hints->caps = FI_MSG | FI_TAGGED | FI_SOURCE;
	hints->addr_format = FI_SOCKADDR_IN;
	hints->fabric_attr->prov_name = strdup("udp");
	CHECK_OK(fi_getinfo(FI_VERSION(1, 17), "127.0.0.1", NULL, FI_SOURCE,
			    hints, &info));
	fi_freeinfo(hints);
	return info;
}

static long rss_kib(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	CHECK(f);
	CHECK(fscanf(f, "%ld %ld", &pages, &rss) == 2);
	fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

struct domain {
	struct udp_t t;
	struct fid_cq *cq;
};

static void domain_open(struct domain *d, size_t av_count)
{
	struct fi_cq_attr cq_attr = {.format = FI_CQ_FORMAT_TAGGED,
				     .size = 4096};
	struct fi_av_attr av_attr = {.type = FI_AV_TABLE, .count = av_count};

	memset(d, 0, sizeof(*d));
	d->t.info = getinfo();
	CHECK_OK(fi_fabric(d->t.info->fabric_attr, &d->t.fabric, NULL));
	CHECK_OK(fi_domain(d->t.fabric, d->t.info, &d->t.domain, NULL));
	CHECK_OK(fi_av_open(d->t.domain, &av_attr, &d->t.av, NULL));
	CHECK_OK(fi_cq_open(d->t.domain, &cq_attr, &d->cq, NULL));
}

static struct fid_ep *ep_open(struct domain *d, struct sockaddr_in *name)
{
	struct fid_ep *ep;
	size_t len = sizeof(*name);

	CHECK_OK(fi_endpoint(d->t.domain, d->t.info, &ep, NULL));
	CHECK_OK(fi_ep_bind(ep, &d->t.av->fid, 0));
	CHECK_OK(fi_ep_bind(ep, &d->cq->fid, FI_TRANSMIT | FI_RECV));
	CHECK_OK(fi_enable(ep));
	CHECK_OK(fi_getname(&ep->fid, name, &len));
	CHECK(len == sizeof(*name));
	return ep;
}

static void read_err(struct fid_cq *cq)
{
	struct fi_cq_err_entry e = {0};

	CHECK_RET(fi_cq_readerr(cq, &e, 0), 1);
	fprintf(stderr, "error completion: %s\n", fi_strerror(e.err));
	CHECK(0);
}

/* One child: NEP endpoints, each sends NMSG messages to the hub and
 * checks the NMSG answers. Context values: 2*i = send of ep i,
 * 2*i+1 = receive of ep i. */
static void child(int proc, int to_parent, int from_parent,
		  const struct sockaddr_in *hub_name)
{
	static uint8_t sbuf[NEP][NMSG][MAXLEN], rbuf[NEP][NMSG][MAXLEN];
	struct sockaddr_in names[NEP];
	struct fid_ep *eps[NEP];
	struct fi_cq_tagged_entry c;
	struct domain d;
	fi_addr_t hub;
	int i, k, sends = 0, recvs = 0;
	long end;
	char go;

	domain_open(&d, 4);
	CHECK_RET(fi_av_insert(d.t.av, hub_name, 1, &hub, 0, NULL), 1);
	for (i = 0; i < NEP; i++)
		eps[i] = ep_open(&d, &names[i]);
	CHECK(write(to_parent, names, sizeof(names)) == (ssize_t)sizeof(names));
	CHECK(read(from_parent, &go, 1) == 1);
	for (i = 0; i < NEP; i++) {
		int peer = proc * NEP + i;

		for (k = 0; k < NMSG; k++) {
			size_t len = msg_len(peer, k);

			CHECK_OK(fi_trecv(eps[i], rbuf[i][k], MAXLEN, NULL, hub,
					  (uint64_t)k, 0,
					  (void *)(uintptr_t)(2 * i + 1)));
			for (size_t b = 0; b < len; b++)
				sbuf[i][k][b] = msg_byte(peer, k, b, 0);
			CHECK_OK(fi_tsend(eps[i], sbuf[i][k], len, NULL, hub,
					  (uint64_t)k,
					  (void *)(uintptr_t)(2 * i)));
		}
	}
	end = udp_t_now_ms() + DEADLINE_MS;
	while (sends < NEP * NMSG || recvs < NEP * NMSG) {
		ssize_t r = fi_cq_read(d.cq, &c, 1);

		if (r == -FI_EAVAIL)
			read_err(d.cq);
		if (r != 1) {
			CHECK_RET(r, -FI_EAGAIN);
			CHECK(udp_t_now_ms() < end);
			continue;
		}
		i = (int)((uintptr_t)c.op_context / 2);
		CHECK(i >= 0 && i < NEP);
		if (!((uintptr_t)c.op_context & 1)) {
			CHECK(c.flags & FI_SEND);
			sends++;
			continue;
		}
		/* An answer: tag k, the bytes derived from (peer, k). */
		k = (int)c.tag;
		CHECK(k >= 0 && k < NMSG);
		CHECK(c.len == REPLY_LEN);
		for (size_t b = 0; b < c.len; b++)
			CHECK(rbuf[i][k][b] == msg_byte(proc * NEP + i, k, b, 1));
		recvs++;
	}
	for (i = 0; i < NEP; i++)
		CHECK_OK(fi_close(&eps[i]->fid));
	CHECK_OK(fi_close(&d.cq->fid));
	udp_t_close(&d.t);
}

#define HUB_RX (NPEER * NMSG) /* every message finds a posted receive */

int main(void)
{
	static struct sockaddr_in av_addrs[AV_ENTRIES];
	static fi_addr_t fi_addrs[AV_ENTRIES];
	static uint8_t hub_rbuf[HUB_RX][MAXLEN], hub_sbuf[NPEER][NMSG][REPLY_LEN];
	static int next_idx[NPEER];
	struct sockaddr_in hub_name, names[NEP];
	int to_parent[NPROC][2], from_parent[NPROC][2], p, i, status;
	struct fi_cq_tagged_entry c;
	struct fid_ep *hub;
	struct domain d;
	pid_t pids[NPROC];
	long rss0, rss1, end;
	int got = 0, answered = 0;

	weft_test_require_weft_loaded();
	domain_open(&d, AV_ENTRIES);
	hub = ep_open(&d, &hub_name);
	for (p = 0; p < NPROC; p++) {
		CHECK(pipe(to_parent[p]) == 0 && pipe(from_parent[p]) == 0);
		fflush(NULL);
		pids[p] = fork();
		CHECK(pids[p] >= 0);
		if (pids[p] == 0) {
			/* The parent's fabric objects are not used here. Only
			 * our own pipe ends stay open, so a parent that dies
			 * shows as EOF and we exit. */
			for (i = 0; i <= p; i++) {
				if (i != p) {
					close(to_parent[i][0]);
					close(from_parent[i][1]);
				}
			}
			close(to_parent[p][0]);
			close(from_parent[p][1]);
			child(p, to_parent[p][1], from_parent[p][0], &hub_name);
			_exit(0);
		}
		close(to_parent[p][1]);
		close(from_parent[p][0]);
	}
	/* The AV: 10,000 addresses, the real peers scattered among ones that
	 * never send (127.3.x.y, port 9). */
	for (i = 0; i < AV_ENTRIES; i++) {
		av_addrs[i].sin_family = AF_INET;
		av_addrs[i].sin_port = htons(9);
		av_addrs[i].sin_addr.s_addr =
			htonl((127u << 24) | (3u << 16) | (uint32_t)(i + 1));
	}
	for (p = 0; p < NPROC; p++) {
		CHECK(read(to_parent[p][0], names, sizeof(names)) ==
		      (ssize_t)sizeof(names));
		for (i = 0; i < NEP; i++)
			av_addrs[(p * NEP + i) * SPREAD] = names[i];
	}
	CHECK_RET(fi_av_insert(d.t.av, av_addrs, AV_ENTRIES, fi_addrs, 0,
			       NULL), AV_ENTRIES);
	for (i = 0; i < AV_ENTRIES; i++)
		CHECK(fi_addrs[i] == (fi_addr_t)i); /* FI_AV_TABLE: slot = index */
	for (i = 0; i < HUB_RX; i++)
		CHECK_OK(fi_trecv(hub, hub_rbuf[i], MAXLEN, NULL, FI_ADDR_UNSPEC,
				  0, ~0ull, (void *)(uintptr_t)(i + 1)));
	/* Buffers touched now, so the growth measured below is the
	 * provider's (peer state, rings, packet buffers), not ours. */
	memset(hub_rbuf, 0, sizeof(hub_rbuf));
	memset(hub_sbuf, 0, sizeof(hub_sbuf));
	rss0 = rss_kib();
	for (p = 0; p < NPROC; p++)
		CHECK(write(from_parent[p][1], "g", 1) == 1);

	end = udp_t_now_ms() + DEADLINE_MS;
	while (got < NPEER * NMSG || answered < NPEER * NMSG) {
		fi_addr_t src;
		ssize_t r = fi_cq_readfrom(d.cq, &c, 1, &src);
		int peer, k, slot;

		if (r == -FI_EAVAIL)
			read_err(d.cq);
		if (r != 1) {
			CHECK_RET(r, -FI_EAGAIN);
			CHECK(udp_t_now_ms() < end);
			continue;
		}
		if (c.flags & FI_SEND) {
			answered++;
			continue;
		}
		/* From a real peer's slot, in order per peer, intact. */
		CHECK(src != FI_ADDR_NOTAVAIL && src % SPREAD == 0);
		peer = (int)(src / SPREAD);
		CHECK(peer < NPEER);
		k = (int)c.tag;
		CHECK(k == next_idx[peer]);
		CHECK(c.len == msg_len(peer, k));
		slot = (int)(uintptr_t)c.op_context - 1;
		CHECK(slot >= 0 && slot < HUB_RX);
		for (size_t b = 0; b < c.len; b++)
			CHECK(hub_rbuf[slot][b] == msg_byte(peer, k, b, 0));
		next_idx[peer]++;
		got++;
		CHECK_OK(fi_trecv(hub, hub_rbuf[slot], MAXLEN, NULL,
				  FI_ADDR_UNSPEC, 0, ~0ull, c.op_context));
		for (size_t b = 0; b < REPLY_LEN; b++)
			hub_sbuf[peer][k][b] = msg_byte(peer, k, b, 1);
		for (;;) {
			r = fi_tsend(hub, hub_sbuf[peer][k], REPLY_LEN, NULL, src,
				     (uint64_t)k, NULL);
			if (r != -FI_EAGAIN)
				break;
			CHECK(udp_t_now_ms() < end);
		}
		CHECK_OK(r);
	}
	rss1 = rss_kib();
	printf("RESULT peers=%d av_entries=%d rss_delta_kib=%ld "
	       "per_peer_bytes=%ld\n", NPEER, AV_ENTRIES, rss1 - rss0,
	       (rss1 - rss0) * 1024 / NPEER);
	for (p = 0; p < NPROC; p++) {
		CHECK(waitpid(pids[p], &status, 0) == pids[p]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	CHECK_OK(fi_close(&hub->fid));
	CHECK_OK(fi_close(&d.cq->fid));
	udp_t_close(&d.t);
	return 0;
}
