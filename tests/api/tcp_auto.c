/* tcp provider, automatic progress (two processes).
 *
 *  - What is offered: with no progress in the hints, fi_getinfo gives
 *    FI_PROGRESS_AUTO for data and control; hints asking for
 *    FI_PROGRESS_MANUAL get it. A domain opened with AUTO runs one more
 *    thread in the process (counted in /proc/self/task), gone after
 *    fi_close; a MANUAL domain runs none.
 *  - Control progress: the client calls fi_connect and then blocks in a
 *    pipe read; the server must still get FI_CONNREQ and FI_CONNECTED
 *    (the client's handshake request is written by its progress thread).
 *  - Data progress: the server posts a 32 MiB send (far more than the
 *    socket buffers hold) and blocks in a pipe read; the client must
 *    receive all of it, verified byte for byte, while the server never
 *    calls into the library. Then the server finds its send completed. */
#include <dirent.h>

#include "tcp_test.h"

#define BIG (32u << 20)

static int threads_now(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	CHECK(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static struct fi_info *getinfo_progress(enum fi_progress p)
{
	struct fi_info *hints = fi_allocinfo(), *info = NULL;

	CHECK(hints);
	hints->ep_attr->type = FI_EP_MSG;
	hints->caps = FI_MSG;
	hints->addr_format = FI_SOCKADDR_IN;
	hints->fabric_attr->prov_name = strdup("tcp");
	hints->domain_attr->data_progress = p;
	hints->domain_attr->control_progress = p;
	CHECK_OK(fi_getinfo(FI_VERSION(1, 17), "127.0.0.1", "0", FI_SOURCE,
			    hints, &info));
	fi_freeinfo(hints);
	return info;
}

/* Advertised progress modes, and the thread that AUTO costs. */
static void check_modes(void)
{
	struct fi_info *info = getinfo_progress(FI_PROGRESS_UNSPEC);
	struct fid_fabric *fabric;
	struct fid_domain *domain;
	int before;

	CHECK(info->domain_attr->data_progress == FI_PROGRESS_AUTO);
	CHECK(info->domain_attr->control_progress == FI_PROGRESS_AUTO);
	CHECK_OK(fi_fabric(info->fabric_attr, &fabric, NULL));
	before = threads_now();
	CHECK_OK(fi_domain(fabric, info, &domain, NULL));
	CHECK(threads_now() == before + 1);
	CHECK_OK(fi_close(&domain->fid));
	CHECK(threads_now() == before);
	CHECK_OK(fi_close(&fabric->fid));
	fi_freeinfo(info);

	info = getinfo_progress(FI_PROGRESS_MANUAL);
	CHECK(info->domain_attr->data_progress == FI_PROGRESS_MANUAL);
	CHECK(info->domain_attr->control_progress == FI_PROGRESS_MANUAL);
	CHECK_OK(fi_fabric(info->fabric_attr, &fabric, NULL));
	before = threads_now();
	CHECK_OK(fi_domain(fabric, info, &domain, NULL));
	CHECK(threads_now() == before);
	CHECK_OK(fi_close(&domain->fid));
	CHECK_OK(fi_close(&fabric->fid));
	fi_freeinfo(info);

	info = getinfo_progress(FI_PROGRESS_AUTO);
	CHECK(info->domain_attr->data_progress == FI_PROGRESS_AUTO);
	fi_freeinfo(info);
}

static void server(struct tcp_t_pair *p)
{
	struct tcp_t t;
	uint8_t addr[128];
	size_t addrlen = sizeof(addr);
	uint8_t *buf = malloc(BIG);
	struct fi_cq_tagged_entry e;
	char c;

	CHECK(buf);
	for (size_t i = 0; i < BIG; i++)
		buf[i] = (uint8_t)(i * 13 + i / 4096);
	tcp_t_open(&t, tcp_t_getinfo(0, true));
	CHECK(t.info->domain_attr->data_progress == FI_PROGRESS_AUTO);
	tcp_t_listen(&t, addr, &addrlen);
	tcp_t_pair_send_addr(p, addr, addrlen);
	/* The client is blocked in read() from here on: only its progress
	 * thread can send the handshake request and read our answer. */
	tcp_t_accept(&t, NULL, NULL, NULL, 0, 0);
	CHECK_OK(fi_send(t.ep, buf, BIG, NULL, 0, buf));
	tcp_t_signal(p->to_client[1]);
	/* Now we block: only our progress thread moves the 32 MiB. */
	CHECK(read(p->to_server[0], &c, 1) == 1);
	CHECK(tcp_t_cq_wait(t.tx, &e, NULL) == 1);
	CHECK(e.op_context == buf);
	CHECK(e.flags == (FI_SEND | FI_MSG));
	tcp_t_signal(p->to_client[1]);
	tcp_t_eq_expect(&t, FI_SHUTDOWN, NULL, NULL);
	tcp_t_ep_close(&t);
	tcp_t_close(&t);
	free(buf);
	exit(0);
}

static void client(struct tcp_t_pair *p)
{
	struct tcp_t t;
	uint8_t addr[128];
	uint8_t *buf = malloc(BIG);
	struct fi_cq_tagged_entry e;
	char c;

	CHECK(buf);
	memset(buf, 0, BIG);
	tcp_t_pair_recv_addr(p, addr, sizeof(addr));
	tcp_t_open(&t, tcp_t_getinfo(0, false));
	tcp_t_ep_open(&t, t.info, 0);
	CHECK_OK(fi_connect(t.ep, addr, NULL, 0));
	/* Blocked outside the library until the server has connected and
	 * posted its send. */
	CHECK(read(p->to_client[0], &c, 1) == 1);
	tcp_t_eq_expect(&t, FI_CONNECTED, NULL, NULL);
	CHECK_OK(fi_recv(t.ep, buf, BIG, NULL, 0, buf));
	CHECK(tcp_t_cq_wait(t.rx, &e, NULL) == 1);
	CHECK(e.op_context == buf && e.len == BIG);
	for (size_t i = 0; i < BIG; i++)
		if (buf[i] != (uint8_t)(i * 13 + i / 4096)) {
			fprintf(stderr, "byte %zu is %u\n", i, buf[i]);
			exit(1);
		}
	tcp_t_signal(p->to_server[1]);
	tcp_t_wait_signal(p->to_client[0]);
	CHECK_OK(fi_shutdown(t.ep, 0));
	tcp_t_ep_close(&t);
	tcp_t_close(&t);
	free(buf);
	tcp_t_pair_join(p);
}

int main(void)
{
	struct tcp_t_pair p;

	weft_test_require_weft_loaded();
	check_modes();
	if (tcp_t_fork(&p))
		server(&p);
	client(&p);
	printf("PASS\n");
	return 0;
}
