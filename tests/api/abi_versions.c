/* The versioned entry points of the 1.17 ABI resolve in weft's library and
 * behave alike: every symbol version Debian's libfabric.so.1 exports (see
 * tests/compat/abi_exports.sh for the exact table) is found with dlvsym(),
 * and the compat fi_getinfo/fi_freeinfo/fi_dupinfo of each old ABI agree
 * with the current ones on what is available. Public API only. */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "testlib.h"

typedef int (*getinfo_fn)(uint32_t, const char *, const char *, uint64_t,
			  const struct fi_info *, struct fi_info **);
typedef void (*freeinfo_fn)(struct fi_info *);
typedef struct fi_info *(*dupinfo_fn)(const struct fi_info *);

static void *lib;

static void *sym(const char *name, const char *version)
{
	void *p = dlvsym(lib, name, version);

	if (!p) {
		fprintf(stderr, "%s@%s not exported\n", name, version);
		exit(1);
	}
	return p;
}

static int count(const struct fi_info *info)
{
	int n = 0;

	for (; info; info = info->next)
		n++;
	return n;
}

int main(void)
{
	static const char *const current[][2] = {
		{ "fi_getparams", "FABRIC_1.0" }, { "fi_freeparams", "FABRIC_1.0" },
		{ "fi_param_define", "FABRIC_1.0" }, { "fi_param_get", "FABRIC_1.0" },
		{ "fi_log", "FABRIC_1.0" },       { "fi_log_enabled", "FABRIC_1.0" },
		{ "fi_strerror", "FABRIC_1.0" },  { "fi_tostr", "FABRIC_1.0" },
		{ "fi_version", "FABRIC_1.0" },   { "fi_fabric", "FABRIC_1.1" },
		{ "fi_getinfo", "FABRIC_1.3" },   { "fi_freeinfo", "FABRIC_1.3" },
		{ "fi_dupinfo", "FABRIC_1.3" },   { "fi_tostr_r", "FABRIC_1.4" },
		{ "fi_open", "FABRIC_1.5" },      { "fi_log_ready", "FABRIC_1.6" },
	};
	static const char *const old[] = { "FABRIC_1.0", "FABRIC_1.1", "FABRIC_1.2" };
	struct fi_info *info = NULL;
	int ret, n;

	weft_test_require_weft_loaded();
	CHECK(fi_version() == FI_VERSION(1, 17));

	lib = dlopen("libfabric.so.1", RTLD_NOW | RTLD_NOLOAD);
	CHECK(lib != NULL);

	for (size_t i = 0; i < sizeof(current) / sizeof(current[0]); i++)
		sym(current[i][0], current[i][1]);
	/* The default version is what a program linked today binds to. */
	CHECK(sym("fi_getinfo", "FABRIC_1.3") == dlsym(lib, "fi_getinfo"));
	sym("fi_fabric", "FABRIC_1.0");

	ret = fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, NULL, &info);
	CHECK(ret == 0 || ret == -FI_ENODATA);
	n = ret ? 0 : count(info);
	fi_freeinfo(info);

	/* A program built against an older ABI gets the same answer from its
	 * own fi_getinfo, and can copy and free what it got with the
	 * functions of the same version. */
	for (size_t v = 0; v < sizeof(old) / sizeof(old[0]); v++) {
		getinfo_fn getinfo = (getinfo_fn)sym("fi_getinfo", old[v]);
		freeinfo_fn freeinfo = (freeinfo_fn)sym("fi_freeinfo", old[v]);
		dupinfo_fn dupinfo = (dupinfo_fn)sym("fi_dupinfo", old[v]);
		struct fi_info *copy;

		info = NULL;
		ret = getinfo(FI_VERSION(1, 0), NULL, NULL, 0, NULL, &info);
		if (ret) {
			fprintf(stderr, "fi_getinfo@%s: %d, fi_getinfo: %d infos\n",
				old[v], ret, n);
			CHECK(ret == -FI_ENODATA && n == 0);
			continue;
		}
		CHECK(info != NULL);
		copy = dupinfo(info);
		CHECK(copy != NULL);
		freeinfo(copy);
		freeinfo(info);
	}
	dlclose(lib);
	return 0;
}
