/* Connection setup rate of FI_EP_MSG endpoints: how many connections per
 * second reach FI_CONNECTED, client and server in two processes on
 * 127.0.0.1. Public API only, so the same binary runs on weft and on any
 * other libfabric 1.x (LD_LIBRARY_PATH picks the library; the library
 * actually loaded is printed on every line).
 *
 *   bench_connect [-p PROV] [-N conns] [-m seq|burst] [-c S,C] [-M]
 *
 * -M asks for FI_PROGRESS_MANUAL (data and control) in the hints; without
 * it the provider's defaults apply.
 *
 * The process forks a server: a passive endpoint listening on an
 * ephemeral port of 127.0.0.1, its EQ busy-polled with fi_eq_read; every
 * FI_CONNREQ is turned into an endpoint (one CQ bound, enabled) and
 * accepted. The client opens its N endpoints first (not timed), then:
 *
 *  - seq:   fi_connect one endpoint, wait for its FI_CONNECTED, next; the
 *           rate is N over the total (one connection's setup latency).
 *  - burst: fi_connect all N at once, then wait for N FI_CONNECTED; the
 *           rate is N over the time from the first fi_connect to the
 *           last FI_CONNECTED (the listener's backlog takes the burst).
 *
 * Output: RESULT bench=connect prov=P ep=msg mode=seq|burst conns=N
 * elapsed_s=... conns_s=... us_per_conn=... lib=PATH. */
#define _GNU_SOURCE /* sched_setaffinity */
#include "bench_common.h"

#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rdma/fi_cm.h>
#include <rdma/fi_eq.h>
#include <rdma/fi_errno.h>

struct side {
	struct fi_info *info;
	struct fid_fabric *fabric;
	struct fid_domain *domain;
	struct fid_eq *eq;
	struct fid_cq *cq;
	struct fid_pep *pep;
	struct fid_ep **eps;
	int neps;
};

static const char *prov = "tcp";
static int nconn = 500;
static int burst;
static int manual; /* -M: ask for FI_PROGRESS_MANUAL, data and control */
static int cpu_server = -1, cpu_client = -1;

#define DIE(what, ret)                                                         \
	do {                                                                   \
		fprintf(stderr, "%s: %d (%s)\n", what, (int)(ret),             \
			fi_strerror((int)-(ret)));                             \
		exit(1);                                                       \
	} while (0)

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("sched_setaffinity");
}

static void side_open(struct side *s, bool server)
{
	struct fi_info *hints = fi_allocinfo();
	struct fi_eq_attr eq_attr = { .size = (size_t)nconn * 2 + 64,
				      .wait_obj = FI_WAIT_NONE };
	struct fi_cq_attr cq_attr = { .format = FI_CQ_FORMAT_CONTEXT,
				      .wait_obj = FI_WAIT_NONE,
				      .size = 1024 };
	int ret;

	if (!hints)
		DIE("fi_allocinfo", -FI_ENOMEM);
	hints->ep_attr->type = FI_EP_MSG;
	hints->caps = FI_MSG;
	hints->mode = FI_CONTEXT | FI_CONTEXT2;
	hints->addr_format = FI_SOCKADDR_IN;
	hints->domain_attr->mr_mode = FI_MR_LOCAL | FI_MR_VIRT_ADDR |
				      FI_MR_ALLOCATED | FI_MR_PROV_KEY |
				      FI_MR_ENDPOINT;
	hints->domain_attr->threading = FI_THREAD_DOMAIN;
	if (manual) {
		hints->domain_attr->data_progress = FI_PROGRESS_MANUAL;
		hints->domain_attr->control_progress = FI_PROGRESS_MANUAL;
	}
	hints->fabric_attr->prov_name = strdup(prov);
	ret = fi_getinfo(FI_VERSION(1, 17), "127.0.0.1", server ? "0" : NULL,
			 server ? FI_SOURCE : 0, hints, &s->info);
	fi_freeinfo(hints);
	if (ret)
		DIE("fi_getinfo", ret);
	if ((ret = fi_fabric(s->info->fabric_attr, &s->fabric, NULL)))
		DIE("fi_fabric", ret);
	if ((ret = fi_domain(s->fabric, s->info, &s->domain, NULL)))
		DIE("fi_domain", ret);
	if ((ret = fi_eq_open(s->fabric, &eq_attr, &s->eq, NULL)))
		DIE("fi_eq_open", ret);
	if ((ret = fi_cq_open(s->domain, &cq_attr, &s->cq, NULL)))
		DIE("fi_cq_open", ret);
	s->eps = calloc((size_t)nconn, sizeof(*s->eps));
	if (!s->eps)
		DIE("calloc", -FI_ENOMEM);
}

static struct fid_ep *ep_open(struct side *s, struct fi_info *info)
{
	struct fid_ep *ep;
	int ret;

	if ((ret = fi_endpoint(s->domain, info, &ep, NULL)))
		DIE("fi_endpoint", ret);
	if ((ret = fi_ep_bind(ep, &s->cq->fid, FI_TRANSMIT | FI_RECV)))
		DIE("fi_ep_bind cq", ret);
	if ((ret = fi_ep_bind(ep, &s->eq->fid, 0)))
		DIE("fi_ep_bind eq", ret);
	if ((ret = fi_enable(ep)))
		DIE("fi_enable", ret);
	return ep;
}

/* Busy-poll the EQ for one event; CQs are read too so a provider that
 * progresses connections through them gets the chance. */
static uint32_t next_event(struct side *s, struct fi_eq_cm_entry *ev)
{
	double deadline = bench_now_us() + 60e6;
	uint32_t event;

	for (;;) {
		struct fi_cq_entry ce;
		ssize_t n = fi_eq_read(s->eq, &event, ev, sizeof(*ev), 0);

		if (n > 0)
			return event;
		if (n == -FI_EAVAIL) {
			struct fi_eq_err_entry err = { 0 };

			fi_eq_readerr(s->eq, &err, 0);
			fprintf(stderr, "EQ error %d (%s)\n", err.err,
				fi_strerror(err.err));
			exit(1);
		}
		if (n != -FI_EAGAIN)
			DIE("fi_eq_read", n);
		(void)fi_cq_read(s->cq, &ce, 1);
		if (bench_now_us() > deadline) {
			fprintf(stderr, "no EQ event within 60 s\n");
			exit(1);
		}
	}
}

static void side_close(struct side *s)
{
	for (int i = 0; i < s->neps; i++)
		fi_close(&s->eps[i]->fid);
	if (s->pep)
		fi_close(&s->pep->fid);
	fi_close(&s->cq->fid);
	fi_close(&s->eq->fid);
	fi_close(&s->domain->fid);
	fi_close(&s->fabric->fid);
	fi_freeinfo(s->info);
	free(s->eps);
}

static void server(int to_client, int from_client)
{
	struct side s = { 0 };
	uint8_t addr[128];
	size_t len = sizeof(addr);
	int ret, connected = 0;
	char done;

	pin(cpu_server);
	side_open(&s, true);
	if ((ret = fi_passive_ep(s.fabric, s.info, &s.pep, NULL)))
		DIE("fi_passive_ep", ret);
	if ((ret = fi_pep_bind(s.pep, &s.eq->fid, 0)))
		DIE("fi_pep_bind", ret);
	if ((ret = fi_listen(s.pep)))
		DIE("fi_listen", ret);
	if ((ret = fi_getname(&s.pep->fid, addr, &len)))
		DIE("fi_getname", ret);
	if (write(to_client, &len, sizeof(len)) != sizeof(len) ||
	    write(to_client, addr, len) != (ssize_t)len)
		exit(1);
	while (connected < nconn) {
		struct fi_eq_cm_entry ev;
		uint32_t event = next_event(&s, &ev);

		if (event == FI_CONNREQ) {
			if (s.neps >= nconn) {
				fprintf(stderr, "more requests than clients\n");
				exit(1);
			}
			s.eps[s.neps] = ep_open(&s, ev.info);
			if ((ret = fi_accept(s.eps[s.neps], NULL, 0)))
				DIE("fi_accept", ret);
			s.neps++;
			fi_freeinfo(ev.info);
		} else if (event == FI_CONNECTED) {
			connected++;
		}
	}
	/* Stay until the client has its results. */
	if (read(from_client, &done, 1) != 1)
		exit(1);
	side_close(&s);
	exit(0);
}

static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	int to_client[2], to_server[2], c, ret, status = 0;
	struct side s = { 0 };
	uint8_t addr[128];
	size_t len;
	double t0, t1;
	pid_t pid;

	while ((c = getopt(argc, argv, "p:N:m:c:Mh")) != -1) {
		switch (c) {
		case 'M': manual = 1; break;
		case 'p': prov = optarg; break;
		case 'N': nconn = atoi(optarg); break;
		case 'm':
			if (!strcmp(optarg, "burst"))
				burst = 1;
			else if (strcmp(optarg, "seq"))
				goto usage;
			break;
		case 'c': {
			char *comma = strchr(optarg, ',');

			cpu_server = atoi(optarg);
			cpu_client = comma ? atoi(comma + 1) : cpu_server;
			break;
		}
		default:
			goto usage;
		}
	}
	if (nconn < 1 || optind != argc)
		goto usage;
	raise_fd_limit();
	printf("# client lib=%s\n", bench_loaded_lib());
	fflush(stdout);
	if (pipe(to_client) || pipe(to_server))
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(to_client[0]);
		close(to_server[1]);
		server(to_client[1], to_server[0]);
	}
	close(to_client[1]);
	close(to_server[0]);
	pin(cpu_client);
	if (read(to_client[0], &len, sizeof(len)) != sizeof(len) ||
	    len > sizeof(addr) ||
	    read(to_client[0], addr, len) != (ssize_t)len) {
		fprintf(stderr, "server did not start\n");
		return 1;
	}
	side_open(&s, false);
	for (s.neps = 0; s.neps < nconn; s.neps++)
		s.eps[s.neps] = ep_open(&s, s.info);

	t0 = bench_now_us();
	for (int i = 0; i < nconn; i++) {
		struct fi_eq_cm_entry ev;

		if ((ret = fi_connect(s.eps[i], addr, NULL, 0)))
			DIE("fi_connect", ret);
		if (burst)
			continue;
		if (next_event(&s, &ev) != FI_CONNECTED) {
			fprintf(stderr, "expected FI_CONNECTED\n");
			return 1;
		}
	}
	for (int i = 0; burst && i < nconn; i++) {
		struct fi_eq_cm_entry ev;

		if (next_event(&s, &ev) != FI_CONNECTED) {
			fprintf(stderr, "expected FI_CONNECTED\n");
			return 1;
		}
	}
	t1 = bench_now_us();
	printf("RESULT bench=connect prov=%s ep=msg mode=%s conns=%d "
	       "elapsed_s=%.4f conns_s=%.1f us_per_conn=%.2f lib=%s\n",
	       s.info->fabric_attr->prov_name, burst ? "burst" : "seq", nconn,
	       (t1 - t0) / 1e6, nconn * 1e6 / (t1 - t0), (t1 - t0) / nconn,
	       bench_loaded_lib());
	fflush(stdout);
	if (write(to_server[1], "x", 1) != 1)
		return 1;
	side_close(&s);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
usage:
	fprintf(stderr, "usage: %s [-p PROV] [-N conns] [-m seq|burst] "
		"[-c S,C] [-M]\n", argv[0]);
	return 2;
}
