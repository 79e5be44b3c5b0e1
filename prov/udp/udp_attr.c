/* What the udp provider offers: one fi_info template per address family,
 * as static data for the core's matcher, and the fixup hook that turns a
 * matched template into one fi_info per usable interface (domain name =
 * interface name, fabric name = its IP network, src_addr = its address,
 * max_msg_size = what its MTU carries in one unfragmented datagram).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "udp.h"
#include "udp_rdm.h"

#define UDP_TX_CAPS (FI_MSG | FI_SEND)
#define UDP_RX_CAPS (FI_MSG | FI_RECV | FI_SOURCE | FI_SOURCE_ERR)
#define UDP_DOMAIN_CAPS (FI_LOCAL_COMM | FI_REMOTE_COMM)
#define UDP_CAPS (UDP_TX_CAPS | UDP_RX_CAPS | UDP_DOMAIN_CAPS)

#define UDP_IPV4_MAX_MSG (UDP_IPV4_MAX_PAYLOAD - UDP_HDR_SIZE)
#define UDP_IPV6_MAX_MSG (UDP_IPV6_MAX_PAYLOAD - UDP_HDR_SIZE)

/* The templates carry the largest sizes any interface could allow; the
 * fixup lowers them to the interface's MTU. */
static struct fi_tx_attr udp_tx_attr_ipv4 = {
	.caps = UDP_TX_CAPS,
	.comp_order = FI_ORDER_STRICT,
	.inject_size = UDP_IPV4_MAX_MSG,
	.size = UDP_DEF_QUEUE_SIZE,
	.iov_limit = UDP_IOV_LIMIT,
};

static struct fi_tx_attr udp_tx_attr_ipv6 = {
	.caps = UDP_TX_CAPS,
	.comp_order = FI_ORDER_STRICT,
	.inject_size = UDP_IPV6_MAX_MSG,
	.size = UDP_DEF_QUEUE_SIZE,
	.iov_limit = UDP_IOV_LIMIT,
};

static struct fi_rx_attr udp_rx_attr = {
	.caps = UDP_RX_CAPS,
	.comp_order = FI_ORDER_STRICT,
	.size = UDP_DEF_QUEUE_SIZE,
	.iov_limit = UDP_IOV_LIMIT,
};

static struct fi_ep_attr udp_ep_attr_ipv4 = {
	.type = FI_EP_DGRAM,
	.protocol = FI_PROTO_UDP,
	.protocol_version = UDP_PROTO_VERSION,
	.max_msg_size = UDP_IPV4_MAX_MSG,
	.tx_ctx_cnt = 1,
	.rx_ctx_cnt = 1,
};

static struct fi_ep_attr udp_ep_attr_ipv6 = {
	.type = FI_EP_DGRAM,
	.protocol = FI_PROTO_UDP,
	.protocol_version = UDP_PROTO_VERSION,
	.max_msg_size = UDP_IPV6_MAX_MSG,
	.tx_ctx_cnt = 1,
	.rx_ctx_cnt = 1,
};

/* Data progress is manual: completions and arrivals are processed when the
 * application reads a bound CQ or counter. Everything on the control path
 * completes inside the call, hence control progress auto. */
static struct fi_domain_attr udp_domain_attr = {
	.threading = FI_THREAD_SAFE,
	.control_progress = FI_PROGRESS_AUTO,
	.data_progress = FI_PROGRESS_MANUAL,
	.resource_mgmt = FI_RM_ENABLED,
	.av_type = FI_AV_UNSPEC,
	.mr_mode = 0,
	.mr_key_size = sizeof(uint64_t),
	.cq_data_size = sizeof(uint64_t),
	.cq_cnt = 256,
	.ep_cnt = 256,
	.tx_ctx_cnt = 256,
	.rx_ctx_cnt = 256,
	.max_ep_tx_ctx = 1,
	.max_ep_rx_ctx = 1,
	.cntr_cnt = 256,
	.mr_iov_limit = 1,
	.caps = UDP_DOMAIN_CAPS,
	.mr_cnt = 65536,
	/* FI_SOURCE_ERR hands back the sender's sockaddr as err_data. */
	.max_err_data = sizeof(struct sockaddr_in6),
};

static struct fi_fabric_attr udp_fabric_attr = {
	.prov_version = WEFT_PROV_VERSION,
};

static const struct fi_info udp_info_ipv4 = {
	.caps = UDP_CAPS,
	.addr_format = FI_SOCKADDR_IN,
	.tx_attr = &udp_tx_attr_ipv4,
	.rx_attr = &udp_rx_attr,
	.ep_attr = &udp_ep_attr_ipv4,
	.domain_attr = &udp_domain_attr,
	.fabric_attr = &udp_fabric_attr,
};

static const struct fi_info udp_info_ipv6 = {
	.caps = UDP_CAPS,
	.addr_format = FI_SOCKADDR_IN6,
	.tx_attr = &udp_tx_attr_ipv6,
	.rx_attr = &udp_rx_attr,
	.ep_attr = &udp_ep_attr_ipv6,
	.domain_attr = &udp_domain_attr,
	.fabric_attr = &udp_fabric_attr,
};

/* FI_EP_RDM: reliable messages, RMA and atomics of any size through the
 * reliability engine (udp_rel.h, udp_rdm*.c). Sizes do not depend on the
 * interface. */
#define UDP_RDM_TX_CAPS                                                        \
	(FI_MSG | FI_TAGGED | FI_RMA | FI_ATOMIC | FI_SEND | FI_READ | FI_WRITE)
#define UDP_RDM_RX_CAPS                                                        \
	(FI_MSG | FI_TAGGED | FI_RMA | FI_ATOMIC | FI_RECV | FI_REMOTE_READ |  \
	 FI_REMOTE_WRITE | FI_SOURCE | FI_SOURCE_ERR | FI_DIRECTED_RECV |      \
	 FI_MULTI_RECV | FI_RMA_EVENT)
#define UDP_RDM_CAPS (UDP_RDM_TX_CAPS | UDP_RDM_RX_CAPS | UDP_DOMAIN_CAPS)

static struct fi_tx_attr udp_rdm_tx_attr = {
	.caps = UDP_RDM_TX_CAPS,
	.op_flags = FI_DELIVERY_COMPLETE,
	.msg_order = FI_ORDER_SAS,
	.comp_order = FI_ORDER_NONE,
	.inject_size = UDP_RDM_INJECT_SIZE,
	.size = UDP_DEF_QUEUE_SIZE,
	.iov_limit = UDP_IOV_LIMIT,
	.rma_iov_limit = 1,
};

static struct fi_rx_attr udp_rdm_rx_attr = {
	.caps = UDP_RDM_RX_CAPS,
	.msg_order = FI_ORDER_SAS,
	.comp_order = FI_ORDER_NONE,
	.size = UDP_DEF_QUEUE_SIZE,
	.iov_limit = UDP_IOV_LIMIT,
};

static struct fi_ep_attr udp_rdm_ep_attr = {
	.type = FI_EP_RDM,
	.protocol = FI_PROTO_UDP,
	.protocol_version = UDP_PROTO_VERSION,
	.max_msg_size = UDP_RDM_MAX_MSG_SIZE,
	.tx_ctx_cnt = 1,
	.rx_ctx_cnt = 1,
};

static const struct fi_info udp_rdm_info_ipv4 = {
	.caps = UDP_RDM_CAPS,
	.addr_format = FI_SOCKADDR_IN,
	.tx_attr = &udp_rdm_tx_attr,
	.rx_attr = &udp_rdm_rx_attr,
	.ep_attr = &udp_rdm_ep_attr,
	.domain_attr = &udp_domain_attr,
	.fabric_attr = &udp_fabric_attr,
};

static const struct fi_info udp_rdm_info_ipv6 = {
	.caps = UDP_RDM_CAPS,
	.addr_format = FI_SOCKADDR_IN6,
	.tx_attr = &udp_rdm_tx_attr,
	.rx_attr = &udp_rdm_rx_attr,
	.ep_attr = &udp_rdm_ep_attr,
	.domain_attr = &udp_domain_attr,
	.fabric_attr = &udp_fabric_attr,
};

const struct fi_info *const udp_infos[] = {
	&udp_info_ipv4,
	&udp_info_ipv6,
	&udp_rdm_info_ipv4,
	&udp_rdm_info_ipv6,
	NULL,
};

size_t udp_max_msg_size(int family, unsigned int mtu)
{
	size_t payload = family == AF_INET6 ? UDP_IPV6_MAX_PAYLOAD
					    : UDP_IPV4_MAX_PAYLOAD;
	size_t overhead = family == AF_INET6 ? UDP_IPV6_OVERHEAD
					     : UDP_IPV4_OVERHEAD;

	if (mtu > overhead + UDP_HDR_SIZE && mtu - overhead < payload)
		payload = mtu - overhead;
	return payload - UDP_HDR_SIZE;
}

/* ---- interfaces ------------------------------------------------------ */

#define UDP_MAX_IFACES 64

struct udp_iface {
	char name[IF_NAMESIZE];
	union udp_sockaddr addr;
	union udp_sockaddr mask;
	size_t max_msg_size;
	bool loopback;
};

static socklen_t udp_addrlen(int family)
{
	return family == AF_INET6 ? sizeof(struct sockaddr_in6)
				  : sizeof(struct sockaddr_in);
}

static bool udp_addr_equal(const union udp_sockaddr *a,
			   const union udp_sockaddr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->sin.sin_addr.s_addr == b->sin.sin_addr.s_addr;
	return memcmp(&a->sin6.sin6_addr, &b->sin6.sin6_addr,
		      sizeof(a->sin6.sin6_addr)) == 0;
}

static bool udp_addr_is_wildcard(const union udp_sockaddr *a)
{
	if (a->sa.sa_family == AF_INET)
		return a->sin.sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&a->sin6.sin6_addr);
}

static bool udp_addr_is_loopback(const union udp_sockaddr *a)
{
	if (a->sa.sa_family == AF_INET)
		return (ntohl(a->sin.sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&a->sin6.sin6_addr);
}

static const uint8_t *udp_addr_bytes(const union udp_sockaddr *a, size_t *len)
{
	if (a->sa.sa_family == AF_INET) {
		*len = sizeof(a->sin.sin_addr);
		return (const uint8_t *)&a->sin.sin_addr;
	}
	*len = sizeof(a->sin6.sin6_addr);
	return (const uint8_t *)&a->sin6.sin6_addr;
}

/* Whether addr lies in the interface's subnet. */
static bool udp_iface_reaches(const struct udp_iface *ifc,
			      const union udp_sockaddr *addr)
{
	size_t n, m;
	const uint8_t *a = udp_addr_bytes(addr, &n);
	const uint8_t *i = udp_addr_bytes(&ifc->addr, &m);
	const uint8_t *k = udp_addr_bytes(&ifc->mask, &m);

	if (addr->sa.sa_family != ifc->addr.sa.sa_family)
		return false;
	for (size_t j = 0; j < n; j++)
		if ((a[j] & k[j]) != (i[j] & k[j]))
			return false;
	return true;
}

/* "network/prefix" of an interface address: the fabric name. */
static int udp_iface_net_name(const struct udp_iface *ifc, char *buf,
			      size_t len)
{
	union udp_sockaddr net = ifc->addr;
	uint8_t *a;
	const uint8_t *k;
	size_t n, m;
	int prefix = 0;
	char str[INET6_ADDRSTRLEN];
	const void *src;

	a = (uint8_t *)udp_addr_bytes(&net, &n);
	k = udp_addr_bytes(&ifc->mask, &m);
	for (size_t j = 0; j < n; j++) {
		a[j] &= k[j];
		prefix += __builtin_popcount(k[j]);
	}
	src = net.sa.sa_family == AF_INET ? (const void *)&net.sin.sin_addr
					  : (const void *)&net.sin6.sin6_addr;
	if (!inet_ntop(net.sa.sa_family, src, str, sizeof(str)))
		return -FI_EINVAL;
	snprintf(buf, len, "%s/%d", str, prefix);
	return 0;
}

/* The interfaces that are up and carry an address of `family`, in
 * getifaddrs order. IPv6 link-local addresses are left out: they need a
 * scope id to be used and a site address is always preferable. */
static int udp_ifaces_get(int family, struct udp_iface *out, size_t cap,
			  size_t *count)
{
	struct ifaddrs *ifa_list, *ifa;
	struct ifreq ifr;
	size_t n = 0;
	int sock;

	if (getifaddrs(&ifa_list) != 0)
		return udp_errno_to_fi(errno);
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	for (ifa = ifa_list; ifa && n < cap; ifa = ifa->ifa_next) {
		struct udp_iface *ifc = &out[n];
		unsigned int mtu = 0;

		if (!ifa->ifa_addr || !ifa->ifa_netmask ||
		    ifa->ifa_addr->sa_family != family ||
		    !(ifa->ifa_flags & IFF_UP))
			continue;
		if (family == AF_INET6 &&
		    IN6_IS_ADDR_LINKLOCAL(
			    &((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr))
			continue;
		if (strlen(ifa->ifa_name) >= sizeof(ifc->name))
			continue;
		if (udp_params.iface && strcmp(udp_params.iface, ifa->ifa_name))
			continue;

		memset(ifc, 0, sizeof(*ifc));
		strcpy(ifc->name, ifa->ifa_name);
		memcpy(&ifc->addr, ifa->ifa_addr, udp_addrlen(family));
		memcpy(&ifc->mask, ifa->ifa_netmask, udp_addrlen(family));
		ifc->loopback = (ifa->ifa_flags & IFF_LOOPBACK) != 0;
		if (sock >= 0) {
			memset(&ifr, 0, sizeof(ifr));
			strcpy(ifr.ifr_name, ifa->ifa_name);
			if (ioctl(sock, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
				mtu = (unsigned int)ifr.ifr_mtu;
		}
		ifc->max_msg_size = udp_max_msg_size(family, mtu);
		n++;
	}
	if (sock >= 0)
		close(sock);
	freeifaddrs(ifa_list);
	*count = n;
	return 0;
}

/* ---- addresses from node/service/hints ------------------------------- */

static int udp_resolve(const char *node, const char *service, int family,
		       bool passive, bool numeric, union udp_sockaddr *out)
{
	struct addrinfo hints = {
		.ai_family = family,
		.ai_socktype = SOCK_DGRAM,
		.ai_flags = (passive ? AI_PASSIVE : 0) |
			    (numeric ? AI_NUMERICHOST : 0),
	};
	struct addrinfo *res;

	if (getaddrinfo(node, service, &hints, &res) != 0 || !res)
		return -FI_ENODATA;
	memset(out, 0, sizeof(*out));
	memcpy(out, res->ai_addr, udp_addrlen(family));
	freeaddrinfo(res);
	return 0;
}

/* An address from the hints, if it is of this family. */
static int udp_hint_addr(int family, const void *addr, size_t len,
			 union udp_sockaddr *out)
{
	const struct sockaddr *sa = addr;

	if (len < udp_addrlen(family) || sa->sa_family != family)
		return -FI_ENODATA;
	memset(out, 0, sizeof(*out));
	memcpy(out, addr, udp_addrlen(family));
	return 0;
}

static uint16_t udp_port(const union udp_sockaddr *a)
{
	return a->sa.sa_family == AF_INET ? a->sin.sin_port : a->sin6.sin6_port;
}

static void udp_set_port(union udp_sockaddr *a, uint16_t port)
{
	if (a->sa.sa_family == AF_INET)
		a->sin.sin_port = port;
	else
		a->sin6.sin6_port = port;
}

static void *udp_memdup(const void *p, size_t len)
{
	void *q = malloc(len);

	if (q)
		memcpy(q, p, len);
	return q;
}

/* Fill one info for one interface. */
static int udp_info_set_iface(struct fi_info *info,
			      const struct udp_iface *ifc, uint16_t src_port,
			      const union udp_sockaddr *dest)
{
	int family = ifc->addr.sa.sa_family;
	union udp_sockaddr src = ifc->addr;
	char net[INET6_ADDRSTRLEN + 8];
	void *src_addr, *dest_addr = NULL;
	char *dom_name, *fab_name;

	udp_set_port(&src, src_port);
	if (family == AF_INET6)
		src.sin6.sin6_flowinfo = 0;
	if (udp_iface_net_name(ifc, net, sizeof(net)))
		return -FI_EINVAL;

	src_addr = udp_memdup(&src, udp_addrlen(family));
	dom_name = strdup(ifc->name);
	fab_name = strdup(net);
	if (dest)
		dest_addr = udp_memdup(dest, udp_addrlen(family));
	if (!src_addr || !dom_name || !fab_name || (dest && !dest_addr)) {
		free(src_addr);
		free(dom_name);
		free(fab_name);
		free(dest_addr);
		return -FI_ENOMEM;
	}

	free(info->src_addr);
	info->src_addr = src_addr;
	info->src_addrlen = udp_addrlen(family);
	if (dest) {
		free(info->dest_addr);
		info->dest_addr = dest_addr;
		info->dest_addrlen = udp_addrlen(family);
	}
	free(info->domain_attr->name);
	info->domain_attr->name = dom_name;
	free(info->fabric_attr->name);
	info->fabric_attr->name = fab_name;
	if (info->ep_attr->type == FI_EP_RDM)
		return 0; /* segmented: sizes do not depend on the MTU */
	if (info->ep_attr->max_msg_size > ifc->max_msg_size ||
	    !info->ep_attr->max_msg_size)
		info->ep_attr->max_msg_size = ifc->max_msg_size;
	if (info->tx_attr->inject_size > ifc->max_msg_size)
		info->tx_attr->inject_size = ifc->max_msg_size;
	return 0;
}

static bool udp_iface_wanted(const struct udp_iface *ifc,
			     const struct fi_info *hints, bool rdm)
{
	char net[INET6_ADDRSTRLEN + 8];

	if (!hints)
		return true;
	if (hints->domain_attr && hints->domain_attr->name &&
	    strcmp(hints->domain_attr->name, ifc->name))
		return false;
	if (hints->fabric_attr && hints->fabric_attr->name &&
	    (udp_iface_net_name(ifc, net, sizeof(net)) ||
	     strcmp(hints->fabric_attr->name, net)))
		return false;
	if (rdm) /* the matcher checked the sizes against the template */
		return true;
	if (hints->ep_attr && hints->ep_attr->max_msg_size > ifc->max_msg_size)
		return false;
	if (hints->tx_attr && hints->tx_attr->inject_size > ifc->max_msg_size)
		return false;
	return true;
}

int udp_info_fixup(uint32_t version, const char *node, const char *service,
		   uint64_t flags, const struct fi_info *hints,
		   struct fi_info *info, struct fi_info **last)
{
	int family = info->addr_format == FI_SOCKADDR_IN6 ? AF_INET6 : AF_INET;
	struct udp_iface ifcs[UDP_MAX_IFACES];
	const struct udp_iface *keep[UDP_MAX_IFACES];
	union udp_sockaddr src, dest;
	bool have_src = false, have_dest = false;
	size_t n = 0, nkeep = 0;
	struct fi_info *base = NULL;
	int ret;

	*last = info;
	if (info->addr_format != FI_SOCKADDR_IN &&
	    info->addr_format != FI_SOCKADDR_IN6)
		return -FI_ENODATA;

	/* fi_getinfo(3): with FI_SOURCE (or no node), node/service name the
	 * local address; otherwise they name the peer. */
	if (node || service) {
		if (flags & FI_SOURCE) {
			ret = udp_resolve(node, service, family, true,
					  flags & FI_NUMERICHOST, &src);
			have_src = true;
		} else {
			ret = udp_resolve(node, service, family, false,
					  flags & FI_NUMERICHOST, &dest);
			have_dest = true;
		}
		if (ret)
			return ret;
	}
	if (hints && hints->src_addr && !have_src) {
		ret = udp_hint_addr(family, hints->src_addr,
				    hints->src_addrlen, &src);
		if (ret)
			return ret;
		have_src = true;
	}
	if (hints && hints->dest_addr && !have_dest) {
		ret = udp_hint_addr(family, hints->dest_addr,
				    hints->dest_addrlen, &dest);
		if (ret)
			return ret;
		have_dest = true;
	}

	ret = udp_ifaces_get(family, ifcs, UDP_MAX_IFACES, &n);
	if (ret)
		return ret;

	/* Which interfaces: the one owning a given source address; else
	 * those whose subnet holds the destination (loopback for a loopback
	 * destination, the others if no subnet matches); else all. Loopback
	 * goes last so that a server that takes the first info is reachable
	 * from other hosts. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			const struct udp_iface *ifc = &ifcs[i];

			if (ifc->loopback != (pass == 1) ||
			    !udp_iface_wanted(ifc, hints,
					      info->ep_attr->type == FI_EP_RDM))
				continue;
			if (have_src && !udp_addr_is_wildcard(&src) &&
			    !udp_addr_equal(&src, &ifc->addr))
				continue;
			keep[nkeep++] = ifc;
		}
	}
	if (have_dest && !(have_src && !udp_addr_is_wildcard(&src))) {
		size_t m = 0;
		bool dest_lo = udp_addr_is_loopback(&dest);

		for (size_t i = 0; i < nkeep; i++)
			if (udp_iface_reaches(keep[i], &dest) ||
			    udp_addr_equal(&keep[i]->addr, &dest))
				keep[m++] = keep[i];
		if (m == 0) {
			for (size_t i = 0; i < nkeep; i++)
				if (keep[i]->loopback == dest_lo)
					keep[m++] = keep[i];
		}
		if (m)
			nkeep = m;
	}
	if (nkeep == 0)
		return -FI_ENODATA;

	if (nkeep > 1) {
		base = fi_dupinfo(info);
		if (!base)
			return -FI_ENOMEM;
		base->next = NULL;
	}
	ret = udp_info_set_iface(info, keep[0], have_src ? udp_port(&src) : 0,
				 have_dest ? &dest : NULL);
	for (size_t i = 1; !ret && i < nkeep; i++) {
		struct fi_info *dup = fi_dupinfo(base);

		if (!dup) {
			ret = -FI_ENOMEM;
			break;
		}
		dup->next = NULL;
		ret = udp_info_set_iface(dup, keep[i],
					 have_src ? udp_port(&src) : 0,
					 have_dest ? &dest : NULL);
		if (ret) {
			fi_freeinfo(dup);
			break;
		}
		dup->next = (*last)->next;
		(*last)->next = dup;
		*last = dup;
	}
	if (base)
		fi_freeinfo(base);
	return ret;
}
