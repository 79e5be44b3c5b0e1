/* shm: no fixed peer cap. 8 processes open 128 endpoints each (1024
 * peers, rings of 64 entries to keep /dev/shm small) and, released at the
 * same moment, each endpoint sends an inline and an eager message to one
 * receiving endpoint, whose 1024-entry ring fills many times over (first
 * contact under back-pressure). The receiver checks that every one of the
 * 2048 messages arrives, byte for byte, in order per sender. It prints the
 * /dev/shm bytes the segments occupy (allocated blocks).
 *
 * Then FI_SHM_MAX_PEERS=4: an endpoint sends to 4 peers, the 5th answers
 * -FI_ENOSPC (and nothing breaks: the first 4 still work), while 5 peers
 * that contact it are all answered. */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "shm_test.h"

#define NPROC 8
#define NEP 128
#define NPEER (NPROC * NEP)
#define SMALL 64
#define MEDIUM 1000
#define NRX 256

struct hdr {
	uint32_t proc, ep, seq;
};

static void fill(char *b, size_t len, uint32_t proc, uint32_t ep,
		 uint32_t seq)
{
	struct hdr h = { proc, ep, seq };

	memcpy(b, &h, sizeof(h));
	shm_t_fill(b + sizeof(h), len - sizeof(h), proc * NEP + ep + seq);
}

/* Bytes allocated in /dev/shm by weft's segments of this test (pid 0:
 * all weft-shm-* files whose pid is in pids[]). */
static long long shm_bytes(const pid_t *pids, int n)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *de;
	long long sum = 0;

	CHECK(d);
	while ((de = readdir(d))) {
		int pid;
		char path[300];
		struct stat st;

		if (sscanf(de->d_name, "weft-shm-%d-", &pid) != 1)
			continue;
		for (int i = 0; i < n; i++) {
			if (pids[i] != pid)
				continue;
			snprintf(path, sizeof(path), "/dev/shm/%s", de->d_name);
			if (stat(path, &st) == 0)
				sum += (long long)st.st_blocks * 512;
		}
	}
	closedir(d);
	return sum;
}

static void sender_proc(uint32_t proc, const struct shm_t_pipe *p)
{
	struct fi_info *info;
	struct fid_fabric *fabric;
	struct fid_domain *domain;
	struct fid_av *av;
	struct fid_cq *cq;
	struct fid_ep *ep[NEP];
	struct fi_cq_attr cq_attr = { .format = FI_CQ_FORMAT_TAGGED,
				      .size = 4 * NEP };
	struct fi_av_attr av_attr = { .type = FI_AV_TABLE };
	static char small[NEP][SMALL], medium[NEP][MEDIUM];
	char rname[SHM_T_NAME], c = 0;
	const char *v[1] = { rname };
	fi_addr_t r;
	int done = 0;

	setenv("FI_SHM_RING_SIZE", "64", 1);
	info = shm_t_getinfo(FI_MSG, FI_THREAD_DOMAIN);
	CHECK_OK(fi_fabric(info->fabric_attr, &fabric, NULL));
	CHECK_OK(fi_domain(fabric, info, &domain, NULL));
	CHECK_OK(fi_av_open(domain, &av_attr, &av, NULL));
	CHECK_OK(fi_cq_open(domain, &cq_attr, &cq, NULL));
	for (int i = 0; i < NEP; i++) {
		CHECK_OK(fi_endpoint(domain, info, &ep[i], NULL));
		CHECK_OK(fi_ep_bind(ep[i], &av->fid, 0));
		CHECK_OK(fi_ep_bind(ep[i], &cq->fid, FI_TRANSMIT | FI_RECV));
		CHECK_OK(fi_enable(ep[i]));
		fill(small[i], SMALL, proc, (uint32_t)i, 0);
		fill(medium[i], MEDIUM, proc, (uint32_t)i, 1);
	}
	shm_t_recv_bytes(p, rname, SHM_T_NAME);
	rname[SHM_T_NAME - 1] = 0;
	CHECK_RET(fi_av_insert(av, v, 1, &r, 0, NULL), 1);
	shm_t_send_bytes(p, &c, 1); /* ready */
	shm_t_recv_bytes(p, &c, 1); /* go */
	for (int i = 0; i < NEP; i++)
		SHM_T_POST(cq, fi_send(ep[i], small[i], SMALL, NULL, r, NULL));
	for (int i = 0; i < NEP; i++)
		SHM_T_POST(cq, fi_send(ep[i], medium[i], MEDIUM, NULL, r, NULL));
	while (done < 2 * NEP) {
		struct fi_cq_tagged_entry e;

		shm_t_expect(cq, &e, NULL);
		done++;
	}
	shm_t_send_bytes(p, &c, 1); /* sent */
	shm_t_recv_bytes(p, &c, 1); /* the receiver has everything */
	for (int i = 0; i < NEP; i++)
		CHECK_OK(fi_close(&ep[i]->fid));
	CHECK_OK(fi_close(&cq->fid));
	CHECK_OK(fi_close(&av->fid));
	CHECK_OK(fi_close(&domain->fid));
	CHECK_OK(fi_close(&fabric->fid));
	fi_freeinfo(info);
}

static void scale(void)
{
	struct shm_t_pipe p[NPROC][2];
	pid_t pids[NPROC + 1];
	static char bufs[NRX][MEDIUM + 64];
	static uint32_t next_seq[NPEER];
	struct shm_t_opts o = { .cq_size = 4096 };
	struct shm_t t;
	long long bytes;
	long t0;
	int got = 0;
	char c = 0;

	/* Children first: each reads its parameters at its own init. */
	for (int i = 0; i < NPROC; i++) {
		shm_t_pipes(p[i]);
		pids[i] = shm_t_fork();
		CHECK(pids[i] >= 0);
		if (pids[i] == 0) {
			alarm(60);
			sender_proc((uint32_t)i, &p[i][1]);
			exit(0);
		}
		close(p[i][1].rfd);
		close(p[i][1].wfd);
	}
	pids[NPROC] = getpid();
	shm_t_open_ex(&t, FI_MSG, &o);
	for (int i = 0; i < NPROC; i++)
		shm_t_send_bytes(&p[i][0], t.name, SHM_T_NAME);
	for (int i = 0; i < NPROC; i++)
		shm_t_recv_bytes(&p[i][0], &c, 1);
	bytes = shm_bytes(pids, NPROC + 1);
	printf("%d endpoints (+1 receiver): %lld bytes allocated in /dev/shm "
	       "(%lld per endpoint)\n", NPEER, bytes, bytes / (NPEER + 1));
	for (int i = 0; i < NRX; i++)
		CHECK_OK(fi_recv(t.ep, bufs[i], sizeof(bufs[i]), NULL,
				 FI_ADDR_UNSPEC, bufs[i]));
	t0 = shm_t_now_ms();
	for (int i = 0; i < NPROC; i++)
		shm_t_send_bytes(&p[i][0], &c, 1);
	while (got < 2 * NPEER) {
		struct fi_cq_tagged_entry e;
		struct hdr h;
		uint32_t id;

		shm_t_expect(t.rx, &e, NULL);
		CHECK(e.len == SMALL || e.len == MEDIUM);
		memcpy(&h, e.op_context, sizeof(h));
		CHECK(h.proc < NPROC && h.ep < NEP && h.seq < 2);
		id = h.proc * NEP + h.ep;
		CHECK(next_seq[id] == h.seq); /* in order per sender */
		next_seq[id]++;
		CHECK(e.len == (h.seq ? MEDIUM : SMALL));
		CHECK(shm_t_check((char *)e.op_context + sizeof(h),
				  e.len - sizeof(h), id + h.seq));
		got++;
		CHECK_OK(fi_recv(t.ep, e.op_context, MEDIUM + 64, NULL,
				 FI_ADDR_UNSPEC, e.op_context));
	}
	printf("%d messages from %d peers in %ld ms\n", got, NPEER,
	       shm_t_now_ms() - t0);
	for (int i = 0; i < NPEER; i++)
		CHECK(next_seq[i] == 2);
	for (int i = 0; i < NPROC; i++)
		shm_t_recv_bytes(&p[i][0], &c, 1);
	for (int i = 0; i < NPROC; i++)
		shm_t_send_bytes(&p[i][0], &c, 1);
	for (int i = 0; i < NPROC; i++) {
		CHECK(shm_t_reap(pids[i], 30000) == 0);
		CHECK(shm_t_segments_of(pids[i]) == 0);
	}
	/* Receives still posted are dropped at close. */
	shm_t_close(&t);
}

/* FI_SHM_MAX_PEERS=4, in one process. */
static int limit(void)
{
	struct shm_t a, b[5];
	fi_addr_t to[5], back;
	struct fi_cq_tagged_entry e;
	char buf[16];

	setenv("FI_SHM_MAX_PEERS", "4", 1);
	shm_t_open(&a, FI_MSG);
	for (int i = 0; i < 5; i++) {
		shm_t_open(&b[i], FI_MSG);
		to[i] = shm_t_insert(&a, b[i].name);
		back = shm_t_insert(&b[i], a.name);
		CHECK_OK(fi_recv(b[i].ep, buf, sizeof(buf), NULL,
				 FI_ADDR_UNSPEC, NULL));
	}
	for (int i = 0; i < 4; i++) {
		CHECK_OK(fi_send(a.ep, "hi", 3, NULL, to[i], NULL));
		shm_t_expect(a.tx, &e, NULL);
		shm_t_expect(b[i].rx, &e, NULL);
	}
	CHECK_RET(fi_send(a.ep, "hi", 3, NULL, to[4], NULL), -FI_ENOSPC);
	CHECK_RET(fi_inject(a.ep, "hi", 3, to[4]), -FI_ENOSPC);
	shm_t_expect_none(b[4].rx, 20);
	/* the first ones still work */
	CHECK_OK(fi_recv(b[0].ep, buf, sizeof(buf), NULL, FI_ADDR_UNSPEC,
			 NULL));
	CHECK_OK(fi_send(a.ep, "hi", 3, NULL, to[0], NULL));
	shm_t_expect(a.tx, &e, NULL);
	shm_t_expect(b[0].rx, &e, NULL);
	/* five peers contacting it are all answered */
	for (int i = 0; i < 5; i++) {
		char in[16];

		CHECK_OK(fi_recv(a.ep, in, sizeof(in), NULL, FI_ADDR_UNSPEC,
				 NULL));
		CHECK_OK(fi_send(b[i].ep, "yo", 3, NULL, back, NULL));
		shm_t_expect(b[i].tx, &e, NULL);
		shm_t_expect(a.rx, &e, NULL);
		CHECK(!strcmp(in, "yo"));
	}
	for (int i = 0; i < 5; i++)
		shm_t_close(&b[i]);
	shm_t_close(&a);
	return 0;
}

int main(void)
{
	pid_t pid;

	weft_test_require_weft_loaded();
	alarm(100);
	pid = shm_t_fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		scale();
		exit(0);
	}
	CHECK(shm_t_reap(pid, 60000) == 0);
	pid = shm_t_fork();
	CHECK(pid >= 0);
	if (pid == 0)
		exit(limit());
	CHECK(shm_t_reap(pid, 20000) == 0);
	return 0;
}
