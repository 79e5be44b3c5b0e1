/* bench_shm_mem: shared-memory footprint of the shm provider with N peers.
 *
 * A coordinator process (no libfabric) forks one hub and N peers, each
 * with its own FI_EP_RDM endpoint on `-p` (default shm). Names go through
 * pipes: every peer inserts the hub, the hub inserts every peer. Each peer
 * sends the hub `-k` messages of every size in `-S`, the hub answers each
 * peer the same, and every process waits for all its sends to complete
 * and all its receives to arrive. Then all of them stop (blocked on a
 * pipe, endpoints open) while the coordinator measures:
 *
 *  - /dev/shm: every file under /dev/shm that any of them maps (from
 *    /proc/PID/maps), its apparent size (st_size) and the blocks the
 *    filesystem holds for it (st_blocks * 512: the files are sparse);
 *  - memory: for the hub and each peer, the Size, Rss and Pss of its
 *    mappings of /dev/shm files (/proc/PID/smaps), deleted files too.
 *
 * Output: one RESULT line. Per endpoint figures divide the totals by
 * N + 1. Only the public fi_* API; the library is the one loaded (the
 * `lib=` field), so the same binary measures weft and any libfabric.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"

#define MEM_MAX_PEERS 1024
#define MEM_MAX_SIZES 8
#define MEM_NAME_MAX 256
#define MEM_MAX_FILES 8192

struct mem_opts {
	const char *prov;
	int peers;
	size_t sizes[MEM_MAX_SIZES];
	int nsizes;
	int k;
	double timeout_s;
};

struct mem_ep {
	struct fi_info *info;
	struct fid_fabric *fabric;
	struct fid_domain *domain;
	struct fid_av *av;
	struct fid_cq *cq;
	struct fid_ep *ep;
	struct fid_mr *mr;
	void *desc;
	uint8_t *buf;  /* send area, then receive slots */
	size_t slot;   /* bytes per receive slot */
	int nslots;
	struct fi_context2 *ctx;
};

static void die(const char *what, int ret)
{
	fprintf(stderr, "bench_shm_mem[%d]: %s: %d (%s)\n", (int)getpid(),
		what, ret, ret < 0 ? fi_strerror(-ret) : "");
	_exit(2);
}

static void xwrite(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t r = write(fd, c, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("pipe write", -errno);
		c += r;
		n -= (size_t)r;
	}
}

static void xread(int fd, void *p, size_t n)
{
	char *c = p;

	while (n) {
		ssize_t r = read(fd, c, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("pipe read", r < 0 ? -errno : -FI_EIO);
		c += r;
		n -= (size_t)r;
	}
}

static size_t max_size(const struct mem_opts *o)
{
	size_t m = 8;

	for (int i = 0; i < o->nsizes; i++)
		if (o->sizes[i] > m)
			m = o->sizes[i];
	return m;
}

static void ep_open(struct mem_ep *e, const struct mem_opts *o, int nslots)
{
	struct fi_info *hints = fi_allocinfo();
	struct fi_cq_attr cqa = { .format = FI_CQ_FORMAT_TAGGED,
				  .wait_obj = FI_WAIT_NONE };
	struct fi_av_attr ava = { .type = FI_AV_TABLE };
	size_t bytes;
	int ret;

	if (!hints)
		die("fi_allocinfo", -FI_ENOMEM);
	hints->ep_attr->type = FI_EP_RDM;
	hints->caps = FI_MSG;
	hints->mode = FI_CONTEXT | FI_CONTEXT2;
	hints->domain_attr->mr_mode = FI_MR_LOCAL | FI_MR_VIRT_ADDR |
				      FI_MR_ALLOCATED | FI_MR_PROV_KEY;
	hints->domain_attr->threading = FI_THREAD_DOMAIN;
	hints->fabric_attr->prov_name = strdup(o->prov);
	ret = fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &e->info);
	fi_freeinfo(hints);
	if (ret)
		die("fi_getinfo", ret);
	if ((ret = fi_fabric(e->info->fabric_attr, &e->fabric, NULL)))
		die("fi_fabric", ret);
	if ((ret = fi_domain(e->fabric, e->info, &e->domain, NULL)))
		die("fi_domain", ret);
	if ((ret = fi_av_open(e->domain, &ava, &e->av, NULL)))
		die("fi_av_open", ret);
	cqa.size = 4096;
	if ((ret = fi_cq_open(e->domain, &cqa, &e->cq, NULL)))
		die("fi_cq_open", ret);
	if ((ret = fi_endpoint(e->domain, e->info, &e->ep, NULL)))
		die("fi_endpoint", ret);
	if ((ret = fi_ep_bind(e->ep, &e->av->fid, 0)))
		die("bind av", ret);
	if ((ret = fi_ep_bind(e->ep, &e->cq->fid, FI_SEND | FI_RECV)))
		die("bind cq", ret);
	if ((ret = fi_enable(e->ep)))
		die("fi_enable", ret);

	e->slot = max_size(o);
	e->nslots = nslots;
	bytes = e->slot * (size_t)(nslots + 1);
	e->buf = aligned_alloc(4096, (bytes + 4095) & ~(size_t)4095);
	e->ctx = calloc((size_t)nslots + 1, sizeof(*e->ctx));
	if (!e->buf || !e->ctx)
		die("malloc", -FI_ENOMEM);
	memset(e->buf, 0x5a, bytes);
	if (e->info->domain_attr->mr_mode & FI_MR_LOCAL) {
		if ((ret = fi_mr_reg(e->domain, e->buf, bytes,
				     FI_SEND | FI_RECV, 0, 0, 0, &e->mr,
				     NULL)))
			die("fi_mr_reg", ret);
		e->desc = fi_mr_desc(e->mr);
	}
}

/* Close everything, so that each library removes its /dev/shm files. */
static void ep_close(struct mem_ep *e)
{
	fi_close(&e->ep->fid);
	if (e->mr)
		fi_close(&e->mr->fid);
	fi_close(&e->cq->fid);
	fi_close(&e->av->fid);
	fi_close(&e->domain->fid);
	fi_close(&e->fabric->fid);
	fi_freeinfo(e->info);
	free(e->buf);
	free(e->ctx);
}

static void ep_name(struct mem_ep *e, char *name, size_t *len)
{
	int ret;

	*len = MEM_NAME_MAX;
	if ((ret = fi_getname(&e->ep->fid, name, len)))
		die("fi_getname", ret);
}

static fi_addr_t ep_insert(struct mem_ep *e, const char *name)
{
	fi_addr_t a;
	int ret = fi_av_insert(e->av, name, 1, &a, 0, NULL);

	if (ret != 1)
		die("fi_av_insert", ret < 0 ? ret : -FI_EINVAL);
	return a;
}

static void post_recv(struct mem_ep *e, int i)
{
	int ret;

	while ((ret = (int)fi_recv(e->ep, e->buf + e->slot * (size_t)(i + 1),
				   e->slot, e->desc, FI_ADDR_UNSPEC,
				   &e->ctx[i + 1])) == -FI_EAGAIN) {
		struct fi_cq_tagged_entry c;

		(void)fi_cq_read(e->cq, &c, 0);
	}
	if (ret)
		die("fi_recv", ret);
}

/* Read completions: counts receives (reposted) and sends. */
static void poll_cq(struct mem_ep *e, long *rx, long *tx)
{
	struct fi_cq_tagged_entry c[16];
	ssize_t n = fi_cq_read(e->cq, c, 16);

	if (n == -FI_EAGAIN) {
		sched_yield();
		return;
	}
	if (n < 0) {
		struct fi_cq_err_entry err = { 0 };

		fi_cq_readerr(e->cq, &err, 0);
		die("completion error", -err.err);
	}
	for (ssize_t i = 0; i < n; i++) {
		if (c[i].flags & FI_RECV) {
			(*rx)++;
			post_recv(e, (int)((struct fi_context2 *)c[i].op_context -
					   e->ctx) - 1);
		} else {
			(*tx)++;
		}
	}
}

static void send_all(struct mem_ep *e, const struct mem_opts *o, fi_addr_t to,
		     long *rx, long *tx)
{
	for (int s = 0; s < o->nsizes; s++)
		for (int j = 0; j < o->k; j++) {
			int ret;

			while ((ret = (int)fi_send(e->ep, e->buf, o->sizes[s],
						   e->desc, to, &e->ctx[0])) ==
			       -FI_EAGAIN)
				poll_cq(e, rx, tx);
			if (ret)
				die("fi_send", ret);
		}
}

/* Hub: up = its pipe to the coordinator, down = from it. */
static void run_hub(const struct mem_opts *o, int up, int down)
{
	static char names[MEM_MAX_PEERS][MEM_NAME_MAX];
	long per = (long)o->nsizes * o->k, rx = 0, tx = 0;
	fi_addr_t addr[MEM_MAX_PEERS];
	struct mem_ep e = { 0 };
	char name[MEM_NAME_MAX];
	size_t len;
	char go;

	ep_open(&e, o, 64);
	for (int i = 0; i < e.nslots; i++)
		post_recv(&e, i);
	ep_name(&e, name, &len);
	xwrite(up, &len, sizeof(len));
	xwrite(up, name, len);
	for (int p = 0; p < o->peers; p++) {
		xread(down, &len, sizeof(len));
		xread(down, names[p], len);
		addr[p] = ep_insert(&e, names[p]);
	}
	xread(down, &go, 1); /* peers have inserted us */
	/* Everything the peers send, then our answers to each. */
	while (rx < per * o->peers)
		poll_cq(&e, &rx, &tx);
	for (int p = 0; p < o->peers; p++)
		send_all(&e, o, addr[p], &rx, &tx);
	while (tx < per * o->peers)
		poll_cq(&e, &rx, &tx);
	xwrite(up, "r", 1);
	xread(down, &go, 1);
	ep_close(&e);
	exit(0);
}

static void run_peer(const struct mem_opts *o, int up, int down)
{
	long per = (long)o->nsizes * o->k, rx = 0, tx = 0;
	struct mem_ep e = { 0 };
	char name[MEM_NAME_MAX];
	fi_addr_t hub;
	size_t len;
	char go;

	ep_open(&e, o, (int)per);
	for (int i = 0; i < e.nslots; i++)
		post_recv(&e, i);
	xread(down, &len, sizeof(len));
	xread(down, name, len);
	hub = ep_insert(&e, name);
	ep_name(&e, name, &len);
	xwrite(up, &len, sizeof(len));
	xwrite(up, name, len);
	xread(down, &go, 1); /* the hub knows us */
	send_all(&e, o, hub, &rx, &tx);
	while (tx < per || rx < per)
		poll_cq(&e, &rx, &tx);
	xwrite(up, "r", 1);
	xread(down, &go, 1);
	ep_close(&e);
	exit(0);
}

/* ---- measuring ----------------------------------------------------------- */

struct mem_files {
	char *path[MEM_MAX_FILES];
	int n;
};

static void files_add(struct mem_files *f, const char *p)
{
	for (int i = 0; i < f->n; i++)
		if (!strcmp(f->path[i], p))
			return;
	if (f->n < MEM_MAX_FILES)
		f->path[f->n++] = strdup(p);
}

struct mem_use {
	long size_kb, rss_kb, pss_kb;
};

/* Sum the /dev/shm mappings of pid; record the files. */
static void smaps_scan(pid_t pid, struct mem_files *f, struct mem_use *u)
{
	char path[64], line[1024];
	bool in_shm = false;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	fp = fopen(path, "r");
	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp)) {
		unsigned long lo, hi;
		char perms[8];
		long v;

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3) {
			/* A mapping's first line: is it a /dev/shm file? */
			char *p = strstr(line, " /dev/shm/"), *end;

			in_shm = p != NULL;
			if (!p)
				continue;
			if ((end = strchr(p, '\n')))
				*end = 0;
			if (!strstr(p, " (deleted)"))
				files_add(f, p + 1);
			continue;
		}
		if (!in_shm)
			continue;
		if (sscanf(line, "Size: %ld kB", &v) == 1)
			u->size_kb += v;
		else if (sscanf(line, "Rss: %ld kB", &v) == 1)
			u->rss_kb += v;
		else if (sscanf(line, "Pss: %ld kB", &v) == 1)
			u->pss_kb += v;
	}
	fclose(fp);
}

static int parse_sizes(struct mem_opts *o, const char *s)
{
	char *dup = strdup(s), *save = NULL;

	o->nsizes = 0;
	for (char *t = strtok_r(dup, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		if (o->nsizes == MEM_MAX_SIZES)
			return -1;
		o->sizes[o->nsizes++] = strtoull(t, NULL, 0);
	}
	free(dup);
	return o->nsizes ? 0 : -1;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-p PROV] [-n PEERS] [-S SIZES] [-k MSGS]\n"
		"  forks a hub and PEERS peers (default 2), each peer sends the "
		"hub MSGS (2)\n  messages of every size in SIZES "
		"(8,4096,65536,1048576) and the hub answers the same;\n"
		"  then /dev/shm and the processes' shm mappings are measured.\n",
		prog);
}

int main(int argc, char **argv)
{
	struct mem_opts o = { .prov = "shm", .peers = 2, .k = 2 };
	int hub_up[2], hub_down[2];
	int (*peer_up)[2], (*peer_down)[2];
	pid_t hub, *peers;
	struct mem_files files = { .n = 0 };
	struct mem_use hu = { 0 }, pu = { 0 };
	long long app = 0, alloc = 0;
	char name[MEM_NAME_MAX];
	size_t len;
	int c, status, fail = 0;

	parse_sizes(&o, "8,4096,65536,1048576");
	while ((c = getopt(argc, argv, "p:n:S:k:h")) != -1) {
		switch (c) {
		case 'p': o.prov = optarg; break;
		case 'n': o.peers = atoi(optarg); break;
		case 'S':
			if (parse_sizes(&o, optarg)) {
				usage(argv[0]);
				return 2;
			}
			break;
		case 'k': o.k = atoi(optarg); break;
		default: usage(argv[0]); return 2;
		}
	}
	if (o.peers < 1 || o.peers > MEM_MAX_PEERS || o.k < 1 ||
	    (long)o.k * o.nsizes > 4096) {
		usage(argv[0]);
		return 2;
	}
	printf("# client lib=%s\n", bench_loaded_lib());
	fflush(stdout);

	peers = calloc((size_t)o.peers, sizeof(*peers));
	peer_up = calloc((size_t)o.peers, sizeof(*peer_up));
	peer_down = calloc((size_t)o.peers, sizeof(*peer_down));
	if (!peers || !peer_up || !peer_down || pipe(hub_up) || pipe(hub_down))
		die("setup", -FI_ENOMEM);
	hub = fork();
	if (hub == 0) {
		close(hub_up[0]);
		close(hub_down[1]);
		run_hub(&o, hub_up[1], hub_down[0]);
	}
	close(hub_up[1]);
	close(hub_down[0]);
	xread(hub_up[0], &len, sizeof(len));
	xread(hub_up[0], name, len);
	for (int p = 0; p < o.peers; p++) {
		if (pipe(peer_up[p]) || pipe(peer_down[p]))
			die("pipe", -errno);
		peers[p] = fork();
		if (peers[p] == 0) {
			close(peer_up[p][0]);
			close(peer_down[p][1]);
			run_peer(&o, peer_up[p][1], peer_down[p][0]);
		}
		close(peer_up[p][1]);
		close(peer_down[p][0]);
		xwrite(peer_down[p][1], &len, sizeof(len));
		xwrite(peer_down[p][1], name, len);
	}
	for (int p = 0; p < o.peers; p++) {
		char pn[MEM_NAME_MAX];
		size_t pl;

		xread(peer_up[p][0], &pl, sizeof(pl));
		xread(peer_up[p][0], pn, pl);
		xwrite(hub_down[1], &pl, sizeof(pl));
		xwrite(hub_down[1], pn, pl);
	}
	xwrite(hub_down[1], "g", 1);
	for (int p = 0; p < o.peers; p++)
		xwrite(peer_down[p][1], "g", 1);

	/* Everyone finished its traffic and waits: measure. */
	for (int p = 0; p < o.peers; p++) {
		char r;

		xread(peer_up[p][0], &r, 1);
	}
	{
		char r;

		xread(hub_up[0], &r, 1);
	}
	smaps_scan(hub, &files, &hu);
	for (int p = 0; p < o.peers; p++)
		smaps_scan(peers[p], &files, &pu);
	for (int i = 0; i < files.n; i++) {
		struct stat st;

		if (stat(files.path[i], &st) == 0) {
			app += st.st_size;
			alloc += (long long)st.st_blocks * 512;
		}
	}
	if (getenv("BENCH_SHM_MEM_LIST"))
		for (int i = 0; i < files.n; i++)
			printf("# file %s\n", files.path[i]);

	xwrite(hub_down[1], "g", 1);
	for (int p = 0; p < o.peers; p++)
		xwrite(peer_down[p][1], "g", 1);
	if (waitpid(hub, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		fail = 1;
	for (int p = 0; p < o.peers; p++)
		if (waitpid(peers[p], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			fail = 1;

	printf("RESULT bench=shm_mem prov=%s peers=%d endpoints=%d "
	       "shm_files=%d shm_apparent_kib=%lld shm_alloc_kib=%lld "
	       "per_ep_apparent_kib=%lld per_ep_alloc_kib=%lld "
	       "hub_map_kib=%ld hub_rss_kib=%ld hub_pss_kib=%ld "
	       "peer_map_kib=%ld peer_rss_kib=%ld peer_pss_kib=%ld "
	       "all_pss_kib=%ld lib=%s\n",
	       o.prov, o.peers, o.peers + 1, files.n, app / 1024,
	       alloc / 1024, app / 1024 / (o.peers + 1),
	       alloc / 1024 / (o.peers + 1), hu.size_kb, hu.rss_kb,
	       hu.pss_kb, pu.size_kb / o.peers, pu.rss_kb / o.peers,
	       pu.pss_kb / o.peers, hu.pss_kb + pu.pss_kb,
	       bench_loaded_lib());
	for (int i = 0; i < files.n; i++)
		free(files.path[i]);
	free(peers);
	free(peer_up);
	free(peer_down);
	return fail;
}
