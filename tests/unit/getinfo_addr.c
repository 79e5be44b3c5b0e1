/* weft_info_resolve_sockaddr: node/service resolution and hint addresses
 * for socket-address providers. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "testlib.h"
#include "core/core.h"

static struct fi_info *info_fmt(uint32_t fmt)
{
	struct fi_info *info = fi_allocinfo();

	CHECK(info);
	info->addr_format = fmt;
	return info;
}

static void check_in(const void *addr, size_t len, const char *ip, int port)
{
	const struct sockaddr_in *sin = addr;
	char buf[INET_ADDRSTRLEN];

	CHECK(addr && len == sizeof(*sin));
	CHECK(sin->sin_family == AF_INET);
	CHECK(ntohs(sin->sin_port) == port);
	CHECK(inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)));
	CHECK(strcmp(buf, ip) == 0);
}

int main(void)
{
	struct fi_info *info, *hints;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

	/* Destination from node/service. */
	info = info_fmt(FI_SOCKADDR_IN);
	CHECK_OK(weft_info_resolve_sockaddr("127.0.0.1", "4242", FI_NUMERICHOST,
					    NULL, info));
	check_in(info->dest_addr, info->dest_addrlen, "127.0.0.1", 4242);
	CHECK(info->src_addr == NULL);
	fi_freeinfo(info);

	/* FI_SOURCE: the same names are the local address. */
	info = info_fmt(FI_SOCKADDR_IN);
	CHECK_OK(weft_info_resolve_sockaddr("127.0.0.2", "5000", FI_SOURCE,
					    NULL, info));
	check_in(info->src_addr, info->src_addrlen, "127.0.0.2", 5000);
	CHECK(info->dest_addr == NULL);
	fi_freeinfo(info);

	/* FI_SOURCE with only a service: the wildcard address. */
	info = info_fmt(FI_SOCKADDR_IN);
	CHECK_OK(weft_info_resolve_sockaddr(NULL, "5001", FI_SOURCE, NULL,
					    info));
	check_in(info->src_addr, info->src_addrlen, "0.0.0.0", 5001);
	fi_freeinfo(info);

	/* Without FI_SOURCE, a service alone is on this host. */
	info = info_fmt(FI_SOCKADDR_IN);
	CHECK_OK(weft_info_resolve_sockaddr(NULL, "5002", 0, NULL, info));
	check_in(info->dest_addr, info->dest_addrlen, "127.0.0.1", 5002);
	fi_freeinfo(info);

	/* Family follows the format; FI_SOCKADDR takes either. */
	info = info_fmt(FI_SOCKADDR_IN6);
	CHECK_RET(weft_info_resolve_sockaddr("127.0.0.1", "1", FI_NUMERICHOST,
					     NULL, info),
		  -FI_ENODATA);
	CHECK(info->dest_addr == NULL); /* unchanged on error */
	CHECK_OK(weft_info_resolve_sockaddr("::1", "1", FI_NUMERICHOST, NULL,
					    info));
	CHECK(((struct sockaddr *)info->dest_addr)->sa_family == AF_INET6);
	CHECK(info->dest_addrlen == sizeof(struct sockaddr_in6));
	fi_freeinfo(info);
	info = info_fmt(FI_SOCKADDR);
	CHECK_OK(weft_info_resolve_sockaddr("::1", "1", FI_NUMERICHOST, NULL,
					    info));
	CHECK(((struct sockaddr *)info->dest_addr)->sa_family == AF_INET6);
	fi_freeinfo(info);

	/* FI_NUMERICHOST: no name lookup. */
	info = info_fmt(FI_SOCKADDR_IN);
	CHECK_RET(weft_info_resolve_sockaddr("localhost", "1", FI_NUMERICHOST,
					     NULL, info),
		  -FI_ENODATA);
	CHECK_OK(weft_info_resolve_sockaddr("localhost", "1", 0, NULL, info));
	check_in(info->dest_addr, info->dest_addrlen, "127.0.0.1", 1);
	fi_freeinfo(info);

	/* Hint addresses: src_addr always (unless FI_SOURCE), dest_addr when
	 * node/service do not name the destination. */
	hints = fi_allocinfo();
	CHECK(hints);
	sin.sin_port = htons(77);
	inet_pton(AF_INET, "127.0.0.9", &sin.sin_addr);
	hints->src_addr = malloc(sizeof(sin));
	memcpy(hints->src_addr, &sin, sizeof(sin));
	hints->src_addrlen = sizeof(sin);
	sin.sin_port = htons(88);
	hints->dest_addr = malloc(sizeof(sin));
	memcpy(hints->dest_addr, &sin, sizeof(sin));
	hints->dest_addrlen = sizeof(sin);

	info = info_fmt(FI_SOCKADDR_IN);
	CHECK_OK(weft_info_resolve_sockaddr(NULL, NULL, 0, hints, info));
	check_in(info->src_addr, info->src_addrlen, "127.0.0.9", 77);
	check_in(info->dest_addr, info->dest_addrlen, "127.0.0.9", 88);
	CHECK(info->src_addr != hints->src_addr);
	fi_freeinfo(info);

	info = info_fmt(FI_SOCKADDR_IN);
	CHECK_OK(weft_info_resolve_sockaddr("127.0.0.1", "99", FI_NUMERICHOST,
					    hints, info));
	check_in(info->src_addr, info->src_addrlen, "127.0.0.9", 77);
	check_in(info->dest_addr, info->dest_addrlen, "127.0.0.1", 99);
	fi_freeinfo(info);

	info = info_fmt(FI_SOCKADDR_IN);
	CHECK_OK(weft_info_resolve_sockaddr("127.0.0.1", "99", FI_SOURCE,
					    hints, info));
	check_in(info->src_addr, info->src_addrlen, "127.0.0.1", 99);
	check_in(info->dest_addr, info->dest_addrlen, "127.0.0.9", 88);
	fi_freeinfo(info);

	/* A hint address of the other family: this info cannot serve. */
	info = info_fmt(FI_SOCKADDR_IN6);
	CHECK_RET(weft_info_resolve_sockaddr(NULL, NULL, 0, hints, info),
		  -FI_ENODATA);
	CHECK(!info->src_addr && !info->dest_addr);
	fi_freeinfo(info);

	/* Too short for what it claims to be. */
	free(hints->dest_addr);
	hints->dest_addr = malloc(sizeof(sin6));
	memcpy(hints->dest_addr, &sin6, sizeof(sin6));
	hints->dest_addrlen = sizeof(struct sockaddr_in);
	info = info_fmt(FI_SOCKADDR);
	CHECK_RET(weft_info_resolve_sockaddr(NULL, NULL, 0, hints, info),
		  -FI_EINVAL);
	fi_freeinfo(info);
	fi_freeinfo(hints);

	/* FI_ADDR_STR addresses as the node. */
	info = info_fmt(FI_SOCKADDR_IN);
	CHECK_OK(weft_info_resolve_sockaddr("fi_sockaddr_in://127.0.0.3:6000",
					    NULL, 0, NULL, info));
	check_in(info->dest_addr, info->dest_addrlen, "127.0.0.3", 6000);
	CHECK_OK(weft_info_resolve_sockaddr(
		"fi_sockaddr://127.0.0.4:6001?qos=3", NULL, FI_SOURCE, NULL,
		info));
	check_in(info->src_addr, info->src_addrlen, "127.0.0.4", 6001);
	CHECK_RET(weft_info_resolve_sockaddr("fi_sockaddr_in://127.0.0.3:6000",
					     "6000", 0, NULL, info),
		  -FI_EINVAL);
	CHECK_RET(weft_info_resolve_sockaddr("fi_sockaddr_in6://[::1]:6000",
					     NULL, 0, NULL, info),
		  -FI_ENODATA);
	CHECK_RET(weft_info_resolve_sockaddr("fi_addr_psmx2://1234", NULL, 0,
					     NULL, info),
		  -FI_ENODATA);
	fi_freeinfo(info);
	info = info_fmt(FI_SOCKADDR_IN6);
	CHECK_OK(weft_info_resolve_sockaddr("fi_sockaddr_in6://[::1]:6002/x",
					    NULL, 0, NULL, info));
	{
		const struct sockaddr_in6 *s6 = info->dest_addr;

		CHECK(s6 && s6->sin6_family == AF_INET6);
		CHECK(ntohs(s6->sin6_port) == 6002);
		CHECK(IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr));
	}
	CHECK_RET(weft_info_resolve_sockaddr("fi_sockaddr_in6://[::1", NULL, 0,
					     NULL, info),
		  -FI_EINVAL);
	fi_freeinfo(info);

	/* Not a socket address format. */
	info = info_fmt(FI_ADDR_STR);
	CHECK_RET(weft_info_resolve_sockaddr("x", NULL, 0, NULL, info),
		  -FI_EINVAL);
	fi_freeinfo(info);
	CHECK_RET(weft_info_resolve_sockaddr("x", NULL, 0, NULL, NULL),
		  -FI_EINVAL);
	return 0;
}
