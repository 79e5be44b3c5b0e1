#define _GNU_SOURCE
#include "testlib.h"

#include <dlfcn.h>
#include <link.h>

void weft_test_skip(const char *why)
{
	printf("SKIP: %s\n", why);
	fflush(stdout);
	exit(WEFT_TEST_SKIP);
}

void weft_test_require_weft_loaded(void)
{
	Dl_info info;
	void *sym = dlsym(RTLD_DEFAULT, "fi_getinfo");

	CHECK(sym != NULL);
	CHECK(dladdr(sym, &info) != 0);
	if (strstr(info.dli_fname, "/usr/lib") != NULL) {
		fprintf(stderr, "libfabric loaded from %s, not weft's\n",
			info.dli_fname);
		exit(1);
	}
}
