/* The FABRIC_1.0/1.1/1.2 fi_getinfo, fi_dupinfo, fi_freeinfo and the
 * FABRIC_1.0 fi_fabric, called the way an application built against an
 * old libfabric calls them: with structs of the old, shorter layouts,
 * allocated at exactly their old sizes (under ASan any read past them
 * fails the test). Public API only, through dlvsym(). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

#include "testlib.h"

typedef int (*getinfo_fn)(uint32_t, const char *, const char *, uint64_t,
			  const void *, struct fi_info **);
typedef void (*freeinfo_fn)(struct fi_info *);
typedef struct fi_info *(*dupinfo_fn)(const void *);
typedef int (*fabric_fn)(const void *, struct fid_fabric **, void *);

/* Bytes an application of each ABI owns, per struct (1.17 headers'
 * offsets of the first field that ABI did not have). */
struct abi {
	const char *name;
	size_t info, tx, ep, domain, fabric;
};

static const struct abi abis[] = {
	{ "FABRIC_1.0", offsetof(struct fi_info, nic),
	  offsetof(struct fi_tx_attr, tclass),
	  offsetof(struct fi_ep_attr, auth_key_size),
	  offsetof(struct fi_domain_attr, cntr_cnt),
	  offsetof(struct fi_fabric_attr, api_version) },
	{ "FABRIC_1.1", offsetof(struct fi_info, nic),
	  offsetof(struct fi_tx_attr, tclass), sizeof(struct fi_ep_attr),
	  offsetof(struct fi_domain_attr, tclass),
	  sizeof(struct fi_fabric_attr) },
	{ "FABRIC_1.2", sizeof(struct fi_info),
	  offsetof(struct fi_tx_attr, tclass), sizeof(struct fi_ep_attr),
	  offsetof(struct fi_domain_attr, tclass),
	  sizeof(struct fi_fabric_attr) },
};

static void *lib;

static void *sym(const char *name, const char *version)
{
	void *p = dlvsym(lib, name, version);

	if (!p) {
		fprintf(stderr, "%s@%s not found\n", name, version);
		exit(1);
	}
	return p;
}

/* Old-layout hints, each struct malloc'ed at its old size. */
struct old_hints {
	struct fi_info *info; /* only the first a->info bytes exist */
	struct fi_tx_attr *tx;
	struct fi_rx_attr *rx;
	struct fi_ep_attr *ep;
	struct fi_domain_attr *dom;
	struct fi_fabric_attr *fab;
};

static void *zalloc(size_t n)
{
	void *p = malloc(n);

	CHECK(p);
	memset(p, 0, n);
	return p;
}

static struct old_hints old_hints_new(const struct abi *a)
{
	struct old_hints h;

	h.info = zalloc(a->info);
	h.tx = zalloc(a->tx);
	h.rx = zalloc(sizeof(struct fi_rx_attr));
	h.ep = zalloc(a->ep);
	h.dom = zalloc(a->domain);
	h.fab = zalloc(a->fabric);
	h.info->tx_attr = h.tx;
	h.info->rx_attr = h.rx;
	h.info->ep_attr = h.ep;
	h.info->domain_attr = h.dom;
	h.info->fabric_attr = h.fab;
	return h;
}

static void old_hints_free(struct old_hints *h)
{
	free(h->info);
	free(h->tx);
	free(h->rx);
	free(h->ep);
	free(h->dom);
	free(h->fab);
}

static int count(const struct fi_info *i)
{
	int n = 0;

	for (; i; i = i->next)
		n++;
	return n;
}

static void test_abi(const struct abi *a, int n_current)
{
	getinfo_fn getinfo = (getinfo_fn)sym("fi_getinfo", a->name);
	freeinfo_fn freeinfo = (freeinfo_fn)sym("fi_freeinfo", a->name);
	dupinfo_fn dupinfo = (dupinfo_fn)sym("fi_dupinfo", a->name);
	struct old_hints h = old_hints_new(a);
	struct fi_info *info = NULL, *dup;

	/* Distinct from the current entry points. */
	CHECK((void *)getinfo != dlvsym(lib, "fi_getinfo", "FABRIC_1.3"));

	/* Whatever lies beyond the old layout must not be read: fill the
	 * hints like an old application would, asking for everything the
	 * current API finds with empty hints. */
	h.info->mode = ~0ULL;
	h.dom->mr_mode = FI_MR_UNSPEC; /* old apps: basic or scalable */
	CHECK_OK(getinfo(FI_VERSION(1, 4), NULL, NULL, 0, h.info, &info));
	CHECK(count(info) >= 1);
	CHECK(info->fabric_attr->prov_name != NULL);
	CHECK(info->domain_attr->mr_mode == FI_MR_SCALABLE ||
	      info->domain_attr->mr_mode == FI_MR_BASIC);
	CHECK(count(info) <= n_current);

	/* fi_dupinfo of an old-layout struct reads only its old size. */
	h.fab->prov_name = info->fabric_attr->prov_name;
	h.dom->threading = FI_THREAD_DOMAIN;
	h.tx->size = 5;
	dup = dupinfo(h.info);
	CHECK(dup && dup->tx_attr && dup->tx_attr->size == 5);
	CHECK(dup->tx_attr->tclass == 0);
	CHECK(dup->domain_attr->threading == FI_THREAD_DOMAIN);
	CHECK(dup->fabric_attr->prov_name != h.fab->prov_name);
	CHECK(strcmp(dup->fabric_attr->prov_name, h.fab->prov_name) == 0);
	CHECK(dup->nic == NULL);
	freeinfo(dup);
	dup = dupinfo(NULL); /* fi_allocinfo of an old application */
	CHECK(dup && dup->domain_attr && dup->fabric_attr);
	freeinfo(dup);

	/* Hints select through the old layout as through the new. */
	h.dom->threading = FI_THREAD_UNSPEC;
	h.tx->size = 0;
	h.info->caps = FI_ATOMIC | FI_TAGGED | FI_RMA | FI_MULTICAST |
		       FI_COLLECTIVE;
	freeinfo(info);
	info = (struct fi_info *)0x1;
	CHECK_RET(getinfo(FI_VERSION(1, 4), NULL, NULL, 0, h.info, &info),
		  -FI_ENODATA);
	h.info->caps = 0;
	h.fab->prov_name = (char *)"no-such-provider";
	CHECK_RET(getinfo(FI_VERSION(1, 4), NULL, NULL, 0, h.info, &info),
		  -FI_ENODATA);
	h.fab->prov_name = NULL;
	CHECK_OK(getinfo(FI_VERSION(1, 4), NULL, NULL, 0, NULL, &info));
	freeinfo(info);
	old_hints_free(&h);
}

/* fi_fabric_attr as of FABRIC_1.0: no api_version. */
struct fabric_attr_v10 {
	struct fid_fabric *fabric;
	char *name;
	char *prov_name;
	uint32_t prov_version;
};

static void test_fabric_1_0(struct fi_info *cur)
{
	fabric_fn fabric10 = (fabric_fn)sym("fi_fabric", "FABRIC_1.0");
	struct fabric_attr_v10 *attr = zalloc(sizeof(*attr));
	struct fid_fabric *fab = NULL;

	CHECK_RET(fabric10(NULL, &fab, NULL), -FI_EINVAL);
	CHECK_RET(fabric10(attr, &fab, NULL), -FI_EINVAL); /* no prov_name */
	attr->prov_name = (char *)"no-such-provider";
	CHECK_RET(fabric10(attr, &fab, NULL), -FI_ENODATA);
	attr->name = cur->fabric_attr->name;
	attr->prov_name = cur->fabric_attr->prov_name;
	attr->prov_version = cur->fabric_attr->prov_version;
	CHECK_OK(fabric10(attr, &fab, NULL));
	CHECK(fab != NULL);
	CHECK_OK(fi_close(&fab->fid));
	free(attr);
}

int main(void)
{
	struct fi_info *cur = NULL;
	int n;

	weft_test_require_weft_loaded();
	lib = dlopen("libfabric.so.1", RTLD_NOW | RTLD_NOLOAD);
	CHECK(lib != NULL);

	if (fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, NULL, &cur) != 0)
		weft_test_skip("no provider available to list");
	n = count(cur);
	for (size_t i = 0; i < sizeof(abis) / sizeof(abis[0]); i++)
		test_abi(&abis[i], n);
	test_fabric_1_0(cur);
	fi_freeinfo(cur);
	dlclose(lib);
	return 0;
}
