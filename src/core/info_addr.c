/* Socket addresses for fi_getinfo: node/service resolution and the
 * addresses an application passes in its hints (weft_info_resolve_sockaddr,
 * declared in core/prov.h for the providers' fixup hooks). */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <rdma/fabric.h>
#include <rdma/fi_errno.h>
#include <rdma/providers/fi_log.h>

#include "core/core.h"

/* The address family an addr_format stands for; -1 if not a socket one. */
static int format_family(uint32_t fmt)
{
	switch (fmt) {
	case FI_SOCKADDR:
		return AF_UNSPEC;
	case FI_SOCKADDR_IN:
		return AF_INET;
	case FI_SOCKADDR_IN6:
		return AF_INET6;
	default:
		return -1;
	}
}

/* Whether an address the application supplied fits the format: 0, or
 * -FI_ENODATA for another family (another info may take it), or
 * -FI_EINVAL when it is too short to be what it says. */
static int addr_check(uint32_t fmt, const void *addr, size_t len)
{
	const struct sockaddr *sa = addr;
	int want = format_family(fmt);

	if (len < sizeof(sa_family_t))
		return -FI_EINVAL;
	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
		return -FI_ENODATA;
	if (want != AF_UNSPEC && sa->sa_family != want)
		return -FI_ENODATA;
	if (len < (sa->sa_family == AF_INET ? sizeof(struct sockaddr_in)
					    : sizeof(struct sockaddr_in6)))
		return -FI_EINVAL;
	return 0;
}

static int gai_to_fi(int rc)
{
	switch (rc) {
	case EAI_MEMORY:
		return -FI_ENOMEM;
	case EAI_BADFLAGS:
		return -FI_EINVAL;
	default:
		/* No such name, service or family, or a lookup that failed:
		 * nothing to offer for this node. */
		return -FI_ENODATA;
	}
}

static int resolve(const char *node, const char *service, uint64_t flags,
		   int family, void **addr, size_t *len)
{
	struct addrinfo hints, *res = NULL;
	void *copy;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	/* One entry per address, not one per socket type. */
	hints.ai_socktype = SOCK_DGRAM;
	if (flags & FI_NUMERICHOST)
		hints.ai_flags |= AI_NUMERICHOST;
	/* A local address without a node is the wildcard address. */
	if (flags & FI_SOURCE)
		hints.ai_flags |= AI_PASSIVE;

	rc = getaddrinfo(node, service, &hints, &res);
	if (rc) {
		FI_INFO(&weft_core_prov, FI_LOG_CORE,
			"cannot resolve node %s service %s: %s\n",
			node ? node : "(none)", service ? service : "(none)",
			gai_strerror(rc));
		return gai_to_fi(rc);
	}
	copy = malloc(res->ai_addrlen);
	if (!copy) {
		freeaddrinfo(res);
		return -FI_ENOMEM;
	}
	memcpy(copy, res->ai_addr, res->ai_addrlen);
	*addr = copy;
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int hint_addr_dup(uint32_t fmt, const void *addr, size_t len,
			 void **out, size_t *out_len)
{
	int ret = addr_check(fmt, addr, len);

	if (ret)
		return ret;
	*out = malloc(len);
	if (!*out)
		return -FI_ENOMEM;
	memcpy(*out, addr, len);
	*out_len = len;
	return 0;
}

/* A node given as an FI_ADDR_STR address (fi_getinfo(3)):
 * "fi_sockaddr_in://10.0.0.1:7471", "fi_sockaddr_in6://[fe80::1]:7471",
 * "fi_sockaddr://host:port?key=value". Splits it into host and port
 * (either may come back empty) and checks that its format fits `fmt`.
 * Returns 1 if node is not such a string, 0 when parsed, -FI_ENODATA for
 * another format, -FI_EINVAL when malformed or too long. */
static int split_addr_str(const char *node, uint32_t fmt, char *host,
			  size_t host_len, char *port, size_t port_len)
{
	const char *sep = strstr(node, "://"), *p, *end, *colon = NULL;
	size_t plen, hlen;
	uint32_t str_fmt;

	if (!sep)
		return 1;
	plen = (size_t)(sep - node);
	if (plen == 14 && strncasecmp(node, "fi_sockaddr_in", plen) == 0)
		str_fmt = FI_SOCKADDR_IN;
	else if (plen == 15 && strncasecmp(node, "fi_sockaddr_in6", plen) == 0)
		str_fmt = FI_SOCKADDR_IN6;
	else if (plen == 11 && strncasecmp(node, "fi_sockaddr", plen) == 0)
		str_fmt = FI_SOCKADDR;
	else
		return -FI_ENODATA;
	if (str_fmt != fmt && str_fmt != FI_SOCKADDR && fmt != FI_SOCKADDR)
		return -FI_ENODATA;

	p = sep + 3;
	end = p + strcspn(p, "/?"); /* fields and options do not matter */
	if (*p == '[') { /* bracketed IPv6 literal */
		const char *close = memchr(p, ']', (size_t)(end - p));

		if (!close)
			return -FI_EINVAL;
		hlen = (size_t)(close - p - 1);
		if (hlen >= host_len)
			return -FI_EINVAL;
		memcpy(host, p + 1, hlen);
		host[hlen] = '\0';
		if (close + 1 < end && close[1] != ':')
			return -FI_EINVAL;
		colon = close + 1 < end ? close + 1 : NULL;
	} else {
		for (const char *c = p; c < end; c++)
			if (*c == ':')
				colon = c;
		hlen = (size_t)((colon ? colon : end) - p);
		if (hlen >= host_len)
			return -FI_EINVAL;
		memcpy(host, p, hlen);
		host[hlen] = '\0';
	}
	port[0] = '\0';
	if (colon) {
		size_t len = (size_t)(end - colon - 1);

		if (len >= port_len)
			return -FI_EINVAL;
		memcpy(port, colon + 1, len);
		port[len] = '\0';
	}
	return 0;
}

int weft_info_resolve_sockaddr(const char *node, const char *service,
			       uint64_t flags, const struct fi_info *hints,
			       struct fi_info *info)
{
	void *src = NULL, *dst = NULL;
	size_t src_len = 0, dst_len = 0;
	char host[256], port[64];
	int family, given = node || service, ret = 0;

	if (!info)
		return -FI_EINVAL;
	family = format_family(info->addr_format);
	if (family < 0)
		return -FI_EINVAL;
	if (node) {
		ret = split_addr_str(node, info->addr_format, host,
				     sizeof(host), port, sizeof(port));
		if (ret < 0)
			return ret;
		if (ret == 0) {
			/* The string carries the service itself. */
			if (service)
				return -FI_EINVAL;
			node = host[0] ? host : NULL;
			service = port[0] ? port : NULL;
			given = node || service;
		}
		ret = 0;
	}

	if (given)
		ret = resolve(node, service, flags, family,
			      (flags & FI_SOURCE) ? &src : &dst,
			      (flags & FI_SOURCE) ? &src_len : &dst_len);
	/* fi_getinfo(3): hints->src_addr is ignored with FI_SOURCE (node and
	 * service name the source then); hints->dest_addr is used when there
	 * is no node/service or they named the source. */
	if (!ret && hints && hints->src_addr && !(flags & FI_SOURCE))
		ret = hint_addr_dup(info->addr_format, hints->src_addr,
				    hints->src_addrlen, &src, &src_len);
	if (!ret && hints && hints->dest_addr &&
	    (!given || (flags & FI_SOURCE)))
		ret = hint_addr_dup(info->addr_format, hints->dest_addr,
				    hints->dest_addrlen, &dst, &dst_len);
	if (ret) {
		free(src);
		free(dst);
		return ret;
	}
	if (src) {
		free(info->src_addr);
		info->src_addr = src;
		info->src_addrlen = src_len;
	}
	if (dst) {
		free(info->dest_addr);
		info->dest_addr = dst;
		info->dest_addrlen = dst_len;
	}
	return 0;
}
