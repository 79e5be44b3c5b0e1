/* fi_getinfo / fi_dupinfo / fi_freeinfo / fi_fabric / fi_version through
 * weft's libfabric.so.1: argument checks and the contract every provider
 * shares. Public API only. */
#include <stdlib.h>

#include "testlib.h"

static int count(const struct fi_info *i)
{
	int n = 0;

	for (; i; i = i->next)
		n++;
	return n;
}

int main(void)
{
	struct fi_info *info = (struct fi_info *)0x1, *hints, *c, *dup;
	struct fi_fabric_attr fattr = { 0 };
	struct fid_fabric *fab = NULL;
	int n;

	weft_test_require_weft_loaded();
	CHECK(fi_version() == FI_VERSION(1, 17));

	/* Bad arguments; *info untouched. */
	CHECK_RET(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, NULL, NULL),
		  -FI_EINVAL);
	CHECK_RET(fi_getinfo(FI_VERSION(1, 18), NULL, NULL, 0, NULL, &info),
		  -FI_ENOSYS);
	CHECK_RET(fi_getinfo(FI_VERSION(0, 1), NULL, NULL, 0, NULL, &info),
		  -FI_EINVAL);
	CHECK_RET(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 1ULL << 3, NULL,
			     &info),
		  -FI_EINVAL);
	CHECK_RET(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, FI_SOURCE, NULL,
			     &info),
		  -FI_EINVAL);
	CHECK(info == (struct fi_info *)0x1);

	/* FI_PROV_ATTR_ONLY: one default info per provider. */
	CHECK_OK(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, FI_PROV_ATTR_ONLY,
			    NULL, &info));
	for (c = info; c; c = c->next) {
		CHECK(c->fabric_attr->prov_name != NULL);
		CHECK(c->fabric_attr->prov_version != 0);
		CHECK(c->caps == 0 && c->src_addr == NULL);
	}
	fi_freeinfo(info);

	/* No provider by that name. */
	hints = fi_allocinfo();
	CHECK(hints);
	hints->fabric_attr->prov_name = strdup("no-such-provider");
	info = (struct fi_info *)0x1;
	CHECK_RET(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &info),
		  -FI_ENODATA);
	CHECK(info == NULL); /* fi_getinfo(3): set to NULL */
	fi_freeinfo(hints);

	CHECK_RET(fi_fabric(NULL, &fab, NULL), -FI_EINVAL);
	CHECK_RET(fi_fabric(&fattr, &fab, NULL), -FI_EINVAL);
	fattr.prov_name = (char *)"no-such-provider";
	CHECK_RET(fi_fabric(&fattr, &fab, NULL), -FI_ENODATA);

	if (fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, NULL, &info) != 0)
		weft_test_skip("no provider available");
	n = count(info);
	CHECK(n >= 1);
	for (c = info; c; c = c->next) {
		/* Every info is complete and names its provider. */
		CHECK(c->tx_attr && c->rx_attr && c->ep_attr &&
		      c->domain_attr && c->fabric_attr);
		CHECK(c->fabric_attr->prov_name);
		CHECK(c->fabric_attr->api_version == FI_VERSION(1, 17));
		CHECK(c->ep_attr->type != FI_EP_UNSPEC);
	}

	/* Every returned info can be fed back as hints and finds itself. */
	for (c = info; c; c = c->next) {
		struct fi_info *again = NULL;

		dup = fi_dupinfo(c);
		CHECK(dup && dup->next == NULL);
		dup->mode = ~0ULL;
		CHECK_OK(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, dup,
				    &again));
		CHECK(count(again) >= 1);
		CHECK(strcasecmp(again->fabric_attr->prov_name,
				 c->fabric_attr->prov_name) == 0);
		fi_freeinfo(again);
		fi_freeinfo(dup);
	}

	/* An older caller gets its version's mr_mode form. */
	CHECK_OK(fi_getinfo(FI_VERSION(1, 4), NULL, NULL, 0, NULL, &c));
	for (dup = c; dup; dup = dup->next) {
		CHECK(dup->domain_attr->mr_mode == FI_MR_BASIC ||
		      dup->domain_attr->mr_mode == FI_MR_SCALABLE);
		CHECK(dup->fabric_attr->api_version == FI_VERSION(1, 4));
	}
	fi_freeinfo(c);

	/* fi_fabric on a returned fabric_attr. */
	CHECK_OK(fi_fabric(info->fabric_attr, &fab, NULL));
	CHECK(fab != NULL);
	CHECK_OK(fi_close(&fab->fid));
	fi_freeinfo(info);
	return 0;
}
