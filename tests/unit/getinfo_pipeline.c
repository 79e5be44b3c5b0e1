/* weft_getinfo_descs, fi_getinfo's engine, over fake providers: argument
 * checks, order, fixup hooks (expansion, drop, errors), the name filter
 * after fixups, FI_PROV_ATTR_ONLY, the default socket-address fixup; and
 * the FI_PROVIDER filter. */
#include <netinet/in.h>

#include "testlib.h"
#include "core/core.h"

static struct fi_ep_attr ep_rdm = { .type = FI_EP_RDM, .max_msg_size = 100 };
static struct fi_ep_attr ep_dgram = { .type = FI_EP_DGRAM,
				      .max_msg_size = 100 };
static struct fi_domain_attr dom = { .threading = FI_THREAD_SAFE };
static const struct fi_info a_rdm = {
	.caps = FI_MSG, .addr_format = FI_SOCKADDR_IN,
	.ep_attr = &ep_rdm, .domain_attr = &dom,
};
static const struct fi_info a_dgram = {
	.caps = FI_MSG, .addr_format = FI_SOCKADDR_IN,
	.ep_attr = &ep_dgram, .domain_attr = &dom,
};
static const struct fi_info *const a_infos[] = { &a_rdm, &a_dgram, NULL };
static const struct fi_info b_rdm = {
	.caps = FI_MSG | FI_TAGGED, .addr_format = FI_ADDR_STR,
	.ep_attr = &ep_rdm, .domain_attr = &dom,
};
static const struct fi_info *const b_infos[] = { &b_rdm, NULL };

static struct fi_provider prov_a = { .version = 1, .name = "alpha" };
static struct fi_provider prov_b = { .version = 2, .name = "beta" };

static int b_mode; /* 0: two domains; 1: drop; 2: error */

/* One info per "interface", as a real provider's fixup would. */
static int b_fixup(uint32_t version, const char *node, const char *service,
		   uint64_t flags, const struct fi_info *hints,
		   struct fi_info *info, struct fi_info **last)
{
	struct fi_info *second;

	if (b_mode == 1)
		return -FI_ENODATA;
	if (b_mode == 2)
		return -FI_EIO;
	info->domain_attr->name = strdup("if0");
	second = fi_dupinfo(info);
	CHECK(second);
	free(second->domain_attr->name);
	second->domain_attr->name = strdup("if1");
	info->next = second;
	*last = second;
	return 0;
}

static const struct weft_prov_desc desc_a = { .prov = &prov_a,
					      .infos = a_infos };
static const struct weft_prov_desc desc_b = { .prov = &prov_b,
					      .infos = b_infos,
					      .fixup = b_fixup };
static const struct weft_prov_desc *const descs[] = { &desc_a, &desc_b };

static int run(const char *node, const char *service, uint64_t flags,
	       const struct fi_info *hints, struct fi_info **info)
{
	return weft_getinfo_descs(descs, 2, FI_VERSION(1, 17), node, service,
				  flags, hints, info);
}

static int count(const struct fi_info *i)
{
	int n = 0;

	for (; i; i = i->next)
		n++;
	return n;
}

static void test_args(void)
{
	struct fi_info *info = (struct fi_info *)0x1, *hints;

	CHECK_RET(run(NULL, NULL, 0, NULL, NULL), -FI_EINVAL);
	CHECK_RET(weft_getinfo_descs(descs, 2, FI_VERSION(1, 18), NULL, NULL,
				     0, NULL, &info),
		  -FI_ENOSYS);
	CHECK_RET(weft_getinfo_descs(descs, 2, FI_VERSION(2, 0), NULL, NULL, 0,
				     NULL, &info),
		  -FI_ENOSYS);
	CHECK_RET(weft_getinfo_descs(descs, 2, FI_VERSION(0, 9), NULL, NULL, 0,
				     NULL, &info),
		  -FI_EINVAL);
	CHECK_RET(run(NULL, NULL, FI_MSG, NULL, &info), -FI_EINVAL);
	CHECK_RET(run(NULL, NULL, FI_SOURCE, NULL, &info), -FI_EINVAL);
	hints = fi_allocinfo();
	hints->src_addr = calloc(1, 16);
	CHECK_RET(run(NULL, NULL, 0, hints, &info), -FI_EINVAL);
	CHECK(info == (struct fi_info *)0x1);
	fi_freeinfo(hints);
}

static void test_list(void)
{
	struct fi_info *info, *hints;

	b_mode = 0;
	CHECK_OK(run(NULL, NULL, 0, NULL, &info));
	/* alpha's two templates in order, then beta's fixup expansion. */
	CHECK(count(info) == 4);
	CHECK(strcmp(info->fabric_attr->prov_name, "alpha") == 0);
	CHECK(info->ep_attr->type == FI_EP_RDM);
	CHECK(info->next->ep_attr->type == FI_EP_DGRAM);
	CHECK(strcmp(info->next->next->fabric_attr->prov_name, "beta") == 0);
	CHECK(strcmp(info->next->next->domain_attr->name, "if0") == 0);
	CHECK(strcmp(info->next->next->next->domain_attr->name, "if1") == 0);
	CHECK(info->next->next->fabric_attr->prov_version == 2);
	fi_freeinfo(info);

	/* Domain names are compared after the fixup. */
	hints = fi_allocinfo();
	hints->domain_attr->name = strdup("if1");
	CHECK_OK(run(NULL, NULL, 0, hints, &info));
	CHECK(count(info) == 1);
	CHECK(strcmp(info->domain_attr->name, "if1") == 0);
	fi_freeinfo(info);
	free(hints->domain_attr->name);
	hints->domain_attr->name = strdup("if9");
	info = (struct fi_info *)0x1;
	CHECK_RET(run(NULL, NULL, 0, hints, &info), -FI_ENODATA);
	CHECK(info == NULL);
	free(hints->domain_attr->name);
	hints->domain_attr->name = NULL;

	/* Other hints select across providers. */
	hints->caps = FI_TAGGED;
	CHECK_OK(run(NULL, NULL, 0, hints, &info));
	CHECK(count(info) == 2);
	CHECK(strcmp(info->fabric_attr->prov_name, "beta") == 0);
	fi_freeinfo(info);
	hints->caps = 0;
	hints->ep_attr->type = FI_EP_DGRAM;
	CHECK_OK(run(NULL, NULL, 0, hints, &info));
	CHECK(count(info) == 1 && info->ep_attr->type == FI_EP_DGRAM);
	fi_freeinfo(info);
	hints->ep_attr->type = FI_EP_UNSPEC;
	hints->fabric_attr->prov_name = strdup("beta");
	CHECK_OK(run(NULL, NULL, 0, hints, &info));
	CHECK(count(info) == 2);
	fi_freeinfo(info);

	/* Fixup dropping or failing: nothing from beta; an error is
	 * reported only if nothing at all matched. */
	b_mode = 1;
	CHECK_RET(run(NULL, NULL, 0, hints, &info), -FI_ENODATA);
	b_mode = 2;
	CHECK_RET(run(NULL, NULL, 0, hints, &info), -FI_EIO);
	free(hints->fabric_attr->prov_name);
	hints->fabric_attr->prov_name = NULL;
	CHECK_OK(run(NULL, NULL, 0, hints, &info));
	CHECK(count(info) == 2); /* alpha's */
	fi_freeinfo(info);
	b_mode = 0;
	fi_freeinfo(hints);
}

static void test_prov_attr_only_and_addr(void)
{
	struct fi_info *info, *hints;
	const struct sockaddr_in *sin;

	CHECK_OK(run(NULL, NULL, FI_PROV_ATTR_ONLY, NULL, &info));
	CHECK(count(info) == 2);
	CHECK(strcmp(info->fabric_attr->prov_name, "alpha") == 0);
	CHECK(info->fabric_attr->prov_version == 1);
	CHECK(info->fabric_attr->api_version == FI_VERSION(1, 17));
	CHECK(info->caps == 0 && info->ep_attr && info->ep_attr->type == 0);
	CHECK(strcmp(info->next->fabric_attr->prov_name, "beta") == 0);
	fi_freeinfo(info);
	hints = fi_allocinfo();
	hints->fabric_attr->prov_name = strdup("BETA");
	CHECK_OK(run(NULL, NULL, FI_PROV_ATTR_ONLY, hints, &info));
	CHECK(count(info) == 1);
	fi_freeinfo(info);
	fi_freeinfo(hints);

	/* alpha has no fixup: the core resolves socket addresses itself;
	 * beta's FI_ADDR_STR is left to its fixup. */
	CHECK_OK(run("127.0.0.1", "7000", FI_NUMERICHOST, NULL, &info));
	CHECK(count(info) == 4);
	sin = info->dest_addr;
	CHECK(sin && sin->sin_family == AF_INET &&
	      ntohs(sin->sin_port) == 7000);
	CHECK(info->next->next->dest_addr == NULL);
	fi_freeinfo(info);
	/* An unresolvable numeric node drops alpha's infos. */
	CHECK_OK(run("::1", "7000", FI_NUMERICHOST, NULL, &info));
	CHECK(count(info) == 2);
	CHECK(strcmp(info->fabric_attr->prov_name, "beta") == 0);
	fi_freeinfo(info);
}

static void test_filter(void)
{
	CHECK(weft_prov_filter_allows(NULL, "udp"));
	CHECK(weft_prov_filter_allows("", "udp"));
	CHECK(weft_prov_filter_allows("udp", "udp"));
	CHECK(weft_prov_filter_allows("UDP", "udp"));
	CHECK(!weft_prov_filter_allows("tcp", "udp"));
	CHECK(weft_prov_filter_allows("tcp,udp", "udp"));
	CHECK(weft_prov_filter_allows("tcp, udp ", "udp"));
	CHECK(!weft_prov_filter_allows("tcp,shm", "udp"));
	CHECK(!weft_prov_filter_allows("^udp", "udp"));
	CHECK(weft_prov_filter_allows("^udp", "tcp"));
	CHECK(!weft_prov_filter_allows("^tcp,udp", "udp"));
	CHECK(weft_prov_filter_allows("^tcp,shm", "udp"));
	CHECK(weft_prov_filter_allows("udp;ofi_rxd", "udp"));
	CHECK(!weft_prov_filter_allows("udpx", "udp"));
	CHECK(!weft_prov_filter_allows("ud", "udp"));
	CHECK(!weft_prov_filter_allows(",", "udp"));
}

int main(void)
{
	test_args();
	test_list();
	test_prov_attr_only_and_addr();
	test_filter();
	return 0;
}
