/* udp: FI_UDP_IFACE restricts fi_getinfo to one interface. */
#include <stdlib.h>

#include "udp_test.h"

int main(void)
{
	struct fi_info *hints, *info, *fi;

	weft_test_require_weft_loaded();
	/* Read once, when the provider initialises: set before any call. */
	CHECK(setenv("FI_UDP_IFACE", "lo", 1) == 0);
	hints = fi_allocinfo();
	CHECK(hints);
	hints->ep_attr->type = FI_EP_DGRAM;
	hints->fabric_attr->prov_name = strdup("udp");
	CHECK_OK(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &info));
	for (fi = info; fi; fi = fi->next)
		CHECK(!strcmp(fi->domain_attr->name, "lo"));
	fi_freeinfo(info);
	fi_freeinfo(hints);
	return 0;
}
