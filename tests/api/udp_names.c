/* udp: fi_getinfo results (one info per interface, names, addresses,
 * limits), fi_getname (-FI_ETOOSMALL with the size needed, the bound port
 * after enable) and fi_setname (before enable only). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rdma/fi_rma.h>
#include <rdma/fi_tagged.h>

#include "udp_test.h"

static struct fi_info *udp_hints(void)
{
	struct fi_info *hints = fi_allocinfo();

	CHECK(hints);
	hints->ep_attr->type = FI_EP_DGRAM;
	hints->caps = FI_MSG;
	hints->fabric_attr->prov_name = strdup("udp");
	return hints;
}

/* A port nobody uses right now. */
static uint16_t free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(s >= 0);
	CHECK(bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CHECK(getsockname(s, (struct sockaddr *)&sin, &len) == 0);
	close(s);
	return ntohs(sin.sin_port);
}

static void check_getinfo(void)
{
	struct fi_info *hints = udp_hints(), *info, *fi;
	struct sockaddr_in *sin;
	int n = 0, lo = 0;

	CHECK_OK(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &info));
	for (fi = info; fi; fi = fi->next) {
		CHECK(!strcmp(fi->fabric_attr->prov_name, "udp"));
		CHECK(fi->fabric_attr->prov_version == FI_VERSION(117, 0));
		CHECK(fi->ep_attr->type == FI_EP_DGRAM);
		CHECK(fi->domain_attr->name && fi->domain_attr->name[0]);
		CHECK(fi->fabric_attr->name &&
		      strchr(fi->fabric_attr->name, '/'));
		CHECK(fi->addr_format == FI_SOCKADDR_IN ||
		      fi->addr_format == FI_SOCKADDR_IN6);
		CHECK(fi->src_addr != NULL);
		CHECK(fi->src_addrlen == (fi->addr_format == FI_SOCKADDR_IN
						  ? sizeof(struct sockaddr_in)
						  : sizeof(struct sockaddr_in6)));
		CHECK(fi->ep_attr->max_msg_size >= 1024);
		CHECK(fi->tx_attr->inject_size <= fi->ep_attr->max_msg_size);
		CHECK(fi->domain_attr->mr_mode == 0 ||
		      fi->domain_attr->mr_mode == FI_MR_LOCAL);
		if (!strcmp(fi->domain_attr->name, "lo") &&
		    fi->addr_format == FI_SOCKADDR_IN) {
			sin = fi->src_addr;
			CHECK(sin->sin_addr.s_addr == htonl(INADDR_LOOPBACK));
			CHECK(!strcmp(fi->fabric_attr->name, "127.0.0.0/8"));
			lo++;
		}
		n++;
	}
	CHECK(n >= 1 && lo == 1);
	fi_freeinfo(info);

	/* node + service, no FI_SOURCE: a destination; loopback picks lo. */
	CHECK_OK(fi_getinfo(FI_VERSION(1, 17), "127.0.0.1", "4444", 0, hints,
			    &info));
	CHECK(info->addr_format == FI_SOCKADDR_IN);
	CHECK(info->dest_addr && info->dest_addrlen == sizeof(*sin));
	sin = info->dest_addr;
	CHECK(sin->sin_addr.s_addr == htonl(INADDR_LOOPBACK));
	CHECK(ntohs(sin->sin_port) == 4444);
	CHECK(!strcmp(info->domain_attr->name, "lo"));
	fi_freeinfo(info);

	/* FI_SOURCE: node/service are the local address. */
	CHECK_OK(fi_getinfo(FI_VERSION(1, 17), "127.0.0.1", "4445", FI_SOURCE,
			    hints, &info));
	sin = info->src_addr;
	CHECK(sin->sin_addr.s_addr == htonl(INADDR_LOOPBACK));
	CHECK(ntohs(sin->sin_port) == 4445);
	CHECK(!strcmp(info->domain_attr->name, "lo"));
	fi_freeinfo(info);

	/* hints->src_addr picks the interface owning it, port kept;
	 * hints->dest_addr is carried through. */
	{
		struct sockaddr_in a = { .sin_family = AF_INET };

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.sin_port = htons(4446);
		hints->src_addr = &a;
		hints->src_addrlen = sizeof(a);
		CHECK_OK(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints,
				    &info));
		hints->src_addr = NULL;
		hints->src_addrlen = 0;
		for (fi = info; fi; fi = fi->next) {
			CHECK(fi->addr_format == FI_SOCKADDR_IN);
			CHECK(!strcmp(fi->domain_attr->name, "lo"));
			sin = fi->src_addr;
			CHECK(ntohs(sin->sin_port) == 4446);
		}
		fi_freeinfo(info);

		hints->dest_addr = &a;
		hints->dest_addrlen = sizeof(a);
		CHECK_OK(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints,
				    &info));
		hints->dest_addr = NULL;
		hints->dest_addrlen = 0;
		CHECK(info->next == NULL);
		CHECK(!strcmp(info->domain_attr->name, "lo"));
		CHECK(info->dest_addrlen == sizeof(a));
		CHECK(!memcmp(info->dest_addr, &a, sizeof(a)));
		fi_freeinfo(info);
	}

	/* A domain name picks the interface. */
	hints->domain_attr->name = strdup("lo");
	CHECK_OK(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &info));
	for (fi = info; fi; fi = fi->next)
		CHECK(!strcmp(fi->domain_attr->name, "lo"));
	fi_freeinfo(info);
	hints->domain_attr->name[0] = 'X';
	CHECK_RET(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &info),
		  -FI_ENODATA);

	/* More than one datagram can carry: nothing. */
	free(hints->domain_attr->name);
	hints->domain_attr->name = NULL;
	hints->ep_attr->max_msg_size = 70000;
	CHECK_RET(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &info),
		  -FI_ENODATA);
	fi_freeinfo(hints);

	/* fi_pingpong's hints: FI_MSG, modes it supports, FI_MR_LOCAL. */
	hints = udp_hints();
	hints->mode = FI_CONTEXT | FI_CONTEXT2 | FI_MSG_PREFIX;
	hints->domain_attr->mr_mode = FI_MR_LOCAL | FI_MR_ALLOCATED |
				      FI_MR_PROV_KEY | FI_MR_VIRT_ADDR;
	CHECK_OK(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &info));
	CHECK((info->mode & ~(FI_CONTEXT | FI_CONTEXT2 | FI_MSG_PREFIX)) == 0);
	fi_freeinfo(info);
	fi_freeinfo(hints);
}

static void check_names(void)
{
	struct udp_t t;
	struct fid_ep *ep;
	struct fid_cq *cq;
	struct fi_cq_attr cq_attr = { .format = FI_CQ_FORMAT_CONTEXT };
	struct sockaddr_in want = { .sin_family = AF_INET }, got;
	char big[128];
	size_t len;

	udp_t_open(&t, udp_t_getinfo(0, FI_MSG));
	CHECK_OK(fi_endpoint(t.domain, t.info, &ep, NULL));
	CHECK_OK(fi_cq_open(t.domain, &cq_attr, &cq, NULL));

	len = 0;
	CHECK_RET(fi_getname(&ep->fid, NULL, &len), -FI_ETOOSMALL);
	CHECK(len == sizeof(struct sockaddr_in));
	len = 4;
	CHECK_RET(fi_getname(&ep->fid, big, &len), -FI_ETOOSMALL);
	CHECK(len == sizeof(struct sockaddr_in));

	want.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	want.sin_port = htons(free_port());
	CHECK_RET(fi_setname(&ep->fid, &want, 4), -FI_EINVAL);
	CHECK_OK(fi_setname(&ep->fid, &want, sizeof(want)));

	/* Enable needs its bindings first. */
	CHECK(fi_enable(ep) < 0);
	CHECK_OK(fi_ep_bind(ep, &t.av->fid, 0));
	CHECK_OK(fi_ep_bind(ep, &cq->fid, FI_TRANSMIT | FI_RECV));
	CHECK_OK(fi_enable(ep));

	len = sizeof(big);
	CHECK_OK(fi_getname(&ep->fid, big, &len));
	CHECK(len == sizeof(got));
	memcpy(&got, big, sizeof(got));
	CHECK(got.sin_family == AF_INET);
	CHECK(got.sin_port == want.sin_port);
	CHECK(got.sin_addr.s_addr == want.sin_addr.s_addr);
	CHECK_RET(fi_setname(&ep->fid, &want, sizeof(want)), -FI_EOPBADSTATE);
	CHECK_OK(fi_close(&ep->fid));

	/* Without setname: the kernel's port, on the info's address. Asking
	 * before fi_enable binds already, and the name stays the same. */
	CHECK_OK(fi_endpoint(t.domain, t.info, &ep, NULL));
	len = sizeof(want);
	CHECK_OK(fi_getname(&ep->fid, &want, &len));
	CHECK(want.sin_port != 0);
	CHECK(want.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
	CHECK_RET(fi_setname(&ep->fid, &want, sizeof(want)), -FI_EOPBADSTATE);
	CHECK_OK(fi_ep_bind(ep, &t.av->fid, 0));
	CHECK_OK(fi_ep_bind(ep, &cq->fid, FI_TRANSMIT | FI_RECV));
	CHECK_OK(fi_enable(ep));
	len = sizeof(got);
	CHECK_OK(fi_getname(&ep->fid, &got, &len));
	CHECK(!memcmp(&got, &want, sizeof(got)));
	/* Unsupported interfaces answer cleanly. */
	CHECK_RET(fi_connect(ep, &got, NULL, 0), -FI_ENOSYS);
	CHECK_RET(fi_tsend(ep, big, 1, NULL, 0, 0, NULL), -FI_ENOSYS);
	CHECK_RET(fi_write(ep, big, 1, NULL, 0, 0, 0, NULL), -FI_ENOSYS);
	CHECK_OK(fi_close(&ep->fid));
	CHECK_OK(fi_close(&cq->fid));
	udp_t_close(&t);
}

int main(void)
{
	weft_test_require_weft_loaded();
	check_getinfo();
	check_names();
	return 0;
}
