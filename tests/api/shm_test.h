/* Shared scaffolding for the shm provider's API tests (public API only):
 * open a fabric/domain/AV/endpoint with tagged-format CQs, swap names
 * between processes over pipes, wait for completions with a deadline, run
 * children with a bound on their lifetime. */
#ifndef WEFT_TEST_SHM_TEST_H
#define WEFT_TEST_SHM_TEST_H

#include <dirent.h>
#include <errno.h>
#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_eq.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_tagged.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define SHM_T_TIMEOUT_MS 10000
#define SHM_T_NAME 64

struct shm_t {
	struct fi_info *info;
	struct fid_fabric *fabric;
	struct fid_domain *domain;
	struct fid_av *av;
	struct fid_ep *ep;
	struct fid_cq *tx, *rx;
	struct fid_cntr *txc, *rxc;
	char name[SHM_T_NAME];
	size_t namelen;
};

static inline long shm_t_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static inline struct fi_info *shm_t_getinfo(uint64_t caps,
					    enum fi_threading threading)
{
	struct fi_info *hints = fi_allocinfo(), *info = NULL;

	CHECK(hints);
	hints->ep_attr->type = FI_EP_RDM;
	hints->caps = caps;
	hints->addr_format = FI_ADDR_STR;
	hints->domain_attr->threading = threading;
	hints->fabric_attr->prov_name = strdup("shm");
	CHECK_OK(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &info));
	fi_freeinfo(hints);
	CHECK(info != NULL);
	CHECK(!strcmp(info->fabric_attr->prov_name, "shm"));
	return info;
}

struct shm_t_opts {
	enum fi_wait_obj wait;
	uint64_t tx_bind;  /* extra FI_TRANSMIT bind flags */
	uint64_t rx_bind;  /* extra FI_RECV bind flags */
	bool cntrs;
	size_t cq_size;
	size_t rx_size;    /* rx_attr->size, if not 0 */
};

/* Open everything, enable, learn the endpoint's name. */
static inline void shm_t_open_ex(struct shm_t *t, uint64_t caps,
				 const struct shm_t_opts *o)
{
	struct fi_cq_attr cq_attr = {
		.format = FI_CQ_FORMAT_TAGGED,
		.wait_obj = o ? o->wait : FI_WAIT_NONE,
		.size = o && o->cq_size ? o->cq_size : 256,
	};
	struct fi_av_attr av_attr = { .type = FI_AV_TABLE };
	struct fi_cntr_attr cntr_attr = { .events = FI_CNTR_EVENTS_COMP };

	memset(t, 0, sizeof(*t));
	t->info = shm_t_getinfo(caps, FI_THREAD_SAFE);
	CHECK_OK(fi_fabric(t->info->fabric_attr, &t->fabric, NULL));
	CHECK_OK(fi_domain(t->fabric, t->info, &t->domain, NULL));
	CHECK_OK(fi_av_open(t->domain, &av_attr, &t->av, NULL));
	if (o && o->rx_size)
		t->info->rx_attr->size = o->rx_size;
	CHECK_OK(fi_endpoint(t->domain, t->info, &t->ep, NULL));
	CHECK_OK(fi_cq_open(t->domain, &cq_attr, &t->tx, NULL));
	CHECK_OK(fi_cq_open(t->domain, &cq_attr, &t->rx, NULL));
	CHECK_OK(fi_ep_bind(t->ep, &t->av->fid, 0));
	CHECK_OK(fi_ep_bind(t->ep, &t->tx->fid,
			    FI_TRANSMIT | (o ? o->tx_bind : 0)));
	CHECK_OK(fi_ep_bind(t->ep, &t->rx->fid, FI_RECV | (o ? o->rx_bind : 0)));
	if (o && o->cntrs) {
		CHECK_OK(fi_cntr_open(t->domain, &cntr_attr, &t->txc, NULL));
		CHECK_OK(fi_cntr_open(t->domain, &cntr_attr, &t->rxc, NULL));
		CHECK_OK(fi_ep_bind(t->ep, &t->txc->fid, FI_SEND));
		CHECK_OK(fi_ep_bind(t->ep, &t->rxc->fid, FI_RECV));
	}
	CHECK_OK(fi_enable(t->ep));
	t->namelen = sizeof(t->name);
	CHECK_OK(fi_getname(&t->ep->fid, t->name, &t->namelen));
	CHECK(t->namelen == strlen(t->name) + 1);
}

static inline void shm_t_open(struct shm_t *t, uint64_t caps)
{
	shm_t_open_ex(t, caps, NULL);
}

static inline void shm_t_close(struct shm_t *t)
{
	CHECK_OK(fi_close(&t->ep->fid));
	CHECK_OK(fi_close(&t->tx->fid));
	CHECK_OK(fi_close(&t->rx->fid));
	if (t->txc)
		CHECK_OK(fi_close(&t->txc->fid));
	if (t->rxc)
		CHECK_OK(fi_close(&t->rxc->fid));
	CHECK_OK(fi_close(&t->av->fid));
	CHECK_OK(fi_close(&t->domain->fid));
	CHECK_OK(fi_close(&t->fabric->fid));
	fi_freeinfo(t->info);
}

/* Insert one name (as the array of strings fi_av(3) describes). */
static inline fi_addr_t shm_t_insert(struct shm_t *t, const char *name)
{
	fi_addr_t a = FI_ADDR_NOTAVAIL;
	const char *v[1] = { name };

	CHECK_RET(fi_av_insert(t->av, v, 1, &a, 0, NULL), 1);
	return a;
}

/* ---- pipes between processes ---------------------------------------- */

struct shm_t_pipe {
	int rfd, wfd;
};

/* Two pipes: a[0] is the parent's end, a[1] the child's. */
static inline void shm_t_pipes(struct shm_t_pipe p[2])
{
	int ab[2], ba[2];

	CHECK(pipe(ab) == 0 && pipe(ba) == 0);
	p[0].rfd = ba[0];
	p[0].wfd = ab[1];
	p[1].rfd = ab[0];
	p[1].wfd = ba[1];
}

static inline void shm_t_send_bytes(const struct shm_t_pipe *p,
				    const void *b, size_t n)
{
	CHECK(write(p->wfd, b, n) == (ssize_t)n);
}

static inline void shm_t_recv_bytes(const struct shm_t_pipe *p, void *b,
				    size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(p->rfd, (char *)b + got, n - got);

		CHECK(r > 0);
		got += (size_t)r;
	}
}

static inline void shm_t_sync(const struct shm_t_pipe *p)
{
	char c = 's';

	shm_t_send_bytes(p, &c, 1);
	shm_t_recv_bytes(p, &c, 1);
	CHECK(c == 's');
}

/* Swap names; returns the peer's fi_addr in t's AV. */
static inline fi_addr_t shm_t_swap(struct shm_t *t, const struct shm_t_pipe *p)
{
	char peer[SHM_T_NAME];

	shm_t_send_bytes(p, t->name, SHM_T_NAME);
	shm_t_recv_bytes(p, peer, SHM_T_NAME);
	peer[SHM_T_NAME - 1] = 0;
	return shm_t_insert(t, peer);
}

/* ---- completions ------------------------------------------------------ */

/* One completion within timeout_ms: 1, -FI_EAVAIL or -FI_EAGAIN. */
static inline ssize_t shm_t_wait(struct fid_cq *cq,
				 struct fi_cq_tagged_entry *c, fi_addr_t *src,
				 long timeout_ms)
{
	long end = shm_t_now_ms() + timeout_ms;
	fi_addr_t dummy;
	ssize_t ret;

	do {
		ret = fi_cq_readfrom(cq, c, 1, src ? src : &dummy);
		if (ret != -FI_EAGAIN)
			return ret;
	} while (shm_t_now_ms() < end);
	return -FI_EAGAIN;
}

/* Drive cq while waiting for another (e.g. the sender's progress). */
static inline ssize_t shm_t_wait2(struct fid_cq *cq,
				  struct fi_cq_tagged_entry *c, fi_addr_t *src,
				  struct fid_cq *other, long timeout_ms)
{
	long end = shm_t_now_ms() + timeout_ms;
	fi_addr_t dummy;
	ssize_t ret;

	do {
		ret = fi_cq_readfrom(cq, c, 1, src ? src : &dummy);
		if (ret != -FI_EAGAIN)
			return ret;
		if (other)
			(void)fi_cq_read(other, NULL, 0);
	} while (shm_t_now_ms() < end);
	return -FI_EAGAIN;
}

#define shm_t_expect(cq, c, src) shm_t_expect_at(cq, c, src, __LINE__)
static inline void shm_t_expect_at(struct fid_cq *cq,
				   struct fi_cq_tagged_entry *c, fi_addr_t *src,
				   int line)
{
	ssize_t ret = shm_t_wait(cq, c, src, SHM_T_TIMEOUT_MS);

	if (ret != 1)
		fprintf(stderr, "pid %d: completion expected at line %d\n",
			(int)getpid(), line);

	if (ret == -FI_EAVAIL) {
		struct fi_cq_err_entry err = { 0 };

		CHECK(fi_cq_readerr(cq, &err, 0) == 1);
		fprintf(stderr, "unexpected error completion: %d (%s) "
				"prov_errno %d\n",
			err.err, fi_strerror(err.err), err.prov_errno);
	}
	CHECK_RET(ret, 1);
}

#define shm_t_expect_err(cq, err) shm_t_expect_err_at(cq, err, __LINE__)
static inline void shm_t_expect_err_at(struct fid_cq *cq,
				       struct fi_cq_err_entry *err, int line)
{
	struct fi_cq_tagged_entry c;
	ssize_t ret = shm_t_wait(cq, &c, NULL, SHM_T_TIMEOUT_MS);

	if (ret != -FI_EAVAIL)
		fprintf(stderr, "pid %d: error completion expected at line "
				"%d, got %zd\n", (int)getpid(), line, ret);
	CHECK_RET(ret, -FI_EAVAIL);
	memset(err, 0, sizeof(*err));
	CHECK_RET(fi_cq_readerr(cq, err, 0), 1);
}

static inline void shm_t_expect_none(struct fid_cq *cq, long ms)
{
	struct fi_cq_tagged_entry c;

	CHECK_RET(shm_t_wait(cq, &c, NULL, ms), -FI_EAGAIN);
}

/* Retry a post while it says -FI_EAGAIN (driving cq), bounded. */
#define SHM_T_POST(cq, call)                                                   \
	do {                                                                   \
		long _end = shm_t_now_ms() + SHM_T_TIMEOUT_MS;                 \
		ssize_t _pr;                                                    \
		while ((_pr = (call)) == -FI_EAGAIN) {                          \
			CHECK(shm_t_now_ms() < _end);                          \
			(void)fi_cq_read((cq), NULL, 0);                       \
		}                                                              \
		CHECK_RET(_pr, 0);                                            \
	} while (0)

static inline void shm_t_fill(void *buf, size_t len, unsigned seed)
{
	unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 131u + i * 7u + (i >> 9));
}

static inline int shm_t_check(const void *buf, size_t len, unsigned seed)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		if (p[i] != (unsigned char)(seed * 131u + i * 7u + (i >> 9)))
			return 0;
	return 1;
}

/* ---- processes -------------------------------------------------------- */

/* fork() with stdio flushed, so that a child's exit() does not print the
 * parent's pending output again. Children exit() (not _exit) so that the
 * sanitizer build checks them for leaks too. */
static inline pid_t shm_t_fork(void)
{
	fflush(NULL);
	return fork();
}

/* Wait for a child up to timeout_ms; kill it past that. Its exit code, or
 * 128 + signal. */
static inline int shm_t_reap(pid_t pid, long timeout_ms)
{
	long end = shm_t_now_ms() + timeout_ms;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			break;
		CHECK(r == 0);
		if (shm_t_now_ms() > end) {
			kill(pid, SIGKILL);
			CHECK(waitpid(pid, &st, 0) == pid);
			fprintf(stderr, "child %d timed out\n", (int)pid);
			return 124;
		}
		usleep(2000);
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

/* How many /dev/shm segments of this process (pid) exist. */
static inline int shm_t_segments_of(pid_t pid)
{
	char prefix[64];
	DIR *d = opendir("/dev/shm");
	struct dirent *de;
	int n = 0;

	CHECK(d);
	snprintf(prefix, sizeof(prefix), "weft-shm-%d-", (int)pid);
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, prefix, strlen(prefix)))
			n++;
	closedir(d);
	return n;
}

/* A two-process test plays one role per process, talking over the pipes. */
typedef void (*shm_t_role)(const struct shm_t_pipe *p);

/* One run: a forked child (alarm 60 s) plays child_role on p[1], this
 * process plays parent_role on p[0]; the child must then exit 0 within
 * reap_ms. */
static inline void shm_t_run_pair(shm_t_role parent_role,
				  shm_t_role child_role, long reap_ms)
{
	struct shm_t_pipe p[2];
	pid_t child;

	shm_t_pipes(p);
	child = shm_t_fork();
	CHECK(child >= 0);
	if (child == 0) {
		alarm(60);
		close(p[0].rfd);
		close(p[0].wfd);
		child_role(&p[1]);
		exit(0);
	}
	close(p[1].rfd);
	close(p[1].wfd);
	parent_role(&p[0]);
	CHECK(shm_t_reap(child, reap_ms) == 0);
}

/* shm_t_run_pair once with FI_SHM_CMA=1 and once with FI_SHM_CMA=0, each
 * in a forked process of its own (the provider reads the variable when it
 * starts) that must exit 0 within mode_ms. */
static inline void shm_t_each_cma(shm_t_role parent_role,
				  shm_t_role child_role, long reap_ms,
				  long mode_ms)
{
	static const char *const modes[] = { "1", "0" };

	for (int m = 0; m < 2; m++) {
		pid_t pid = shm_t_fork();

		CHECK(pid >= 0);
		if (pid == 0) {
			setenv("FI_SHM_CMA", modes[m], 1);
			shm_t_run_pair(parent_role, child_role, reap_ms);
			exit(0);
		}
		CHECK(shm_t_reap(pid, mode_ms) == 0);
	}
}

#endif
