/* weft_domain: validation of the info against the fabric and provider,
 * deep copy, lock kind from threading, MR map setup, reference counting,
 * fi_domain_bind, fi_query_atomic. */
#include <rdma/fi_atomic.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_eq.h>

#include "testlib.h"
#include "util/eq.h"
#include "util/fabric.h"

static int fake_domain(struct fid_fabric *fabric, struct fi_info *info,
		       struct fid_domain **dom, void *context)
{
	(void)fabric;
	(void)info;
	(void)dom;
	(void)context;
	return -FI_ENOSYS;
}

static struct fi_ops_fabric fake_ops = {
	.size = sizeof(struct fi_ops_fabric),
	.domain = fake_domain,
	.passive_ep = weft_fabric_passive_ep_none,
	.eq_open = weft_eq_open,
	.wait_open = weft_fabric_wait_open_none,
	.trywait = weft_fabric_trywait,
	.domain2 = weft_fabric_domain2_none,
};

static struct fi_provider fake_prov = {.name = (char *)"fakeprov"};
static struct fi_ep_attr tmpl_ep = {.type = FI_EP_DGRAM};
static struct fi_info tmpl = {
	.caps = FI_MSG | FI_ATOMIC | FI_SEND | FI_RECV | FI_READ | FI_WRITE,
	.ep_attr = &tmpl_ep,
};
/* A second template with a fixed domain name and tagged messages. */
static struct fi_domain_attr tmpl2_dom = {.name = (char *)"fixeddom"};
static struct fi_info tmpl2 = {
	.caps = FI_TAGGED | FI_SEND | FI_RECV,
	.ep_attr = &tmpl_ep,
	.domain_attr = &tmpl2_dom,
};
static const struct fi_info *const tmpls[] = {&tmpl, &tmpl2, NULL};
static const struct weft_prov_desc fake_desc = {.prov = &fake_prov,
						.infos = tmpls};

static struct fi_info *make_info(void)
{
	struct fi_info *info = fi_allocinfo();

	CHECK(info);
	info->caps = FI_MSG | FI_ATOMIC;
	info->fabric_attr->name = strdup("fakefab");
	info->fabric_attr->prov_name = strdup("fakeprov");
	info->domain_attr->name = strdup("fakedom");
	info->domain_attr->threading = FI_THREAD_SAFE;
	info->domain_attr->mr_mode = FI_MR_PROV_KEY | FI_MR_VIRT_ADDR;
	info->domain_attr->mr_key_size = 4;
	info->ep_attr->type = FI_EP_DGRAM;
	info->ep_attr->max_msg_size = 1024;
	return info;
}

static struct weft_domain *open_dom(struct weft_fabric *fab,
				    const struct fi_info *info, int *ret)
{
	struct weft_domain *dom = calloc(1, sizeof(*dom));

	CHECK(dom);
	*ret = weft_domain_init(dom, fab, info, NULL);
	if (*ret) {
		free(dom);
		return NULL;
	}
	return dom;
}

static void check_threading(struct weft_fabric *fab, struct fi_info *info,
			    enum fi_threading t, bool locked,
			    enum fi_threading stored)
{
	struct weft_domain *dom;
	int ret;

	info->domain_attr->threading = t;
	dom = open_dom(fab, info, &ret);
	CHECK_OK(ret);
	CHECK(dom->lock.enabled == locked);
	CHECK(dom->threading == stored);
	CHECK_OK(fi_close(&dom->domain_fid.fid));
}

static void check_query_atomic(struct weft_domain *dom)
{
	struct fid_domain *d = &dom->domain_fid;
	struct fi_atomic_attr aa;

	CHECK_RET(fi_query_atomic(d, FI_UINT32, FI_SUM, NULL, 0), -FI_EINVAL);
	CHECK_RET(fi_query_atomic(d, FI_UINT32, FI_SUM, &aa,
				  FI_FETCH_ATOMIC | FI_COMPARE_ATOMIC),
		  -FI_EINVAL);
	CHECK_RET(fi_query_atomic(d, FI_UINT32, FI_SUM, &aa, FI_SEND),
		  -FI_EINVAL);
	CHECK_RET(fi_query_atomic(d, FI_UINT32, FI_SUM, &aa, FI_TAGGED),
		  -FI_EOPNOTSUPP);

	memset(&aa, 0, sizeof(aa));
	CHECK_OK(fi_query_atomic(d, FI_UINT32, FI_SUM, &aa, 0));
	CHECK(aa.size == 4);
	CHECK(aa.count == 1024 / 4); /* bounded by max_msg_size */
	CHECK_OK(fi_query_atomic(d, FI_DOUBLE, FI_SUM, &aa, 0));
	CHECK(aa.size == sizeof(double));
	CHECK(aa.count == 1024 / sizeof(double));

	/* The kind follows the flags. */
	CHECK_OK(fi_query_atomic(d, FI_UINT64, FI_ATOMIC_READ, &aa,
				 FI_FETCH_ATOMIC));
	CHECK(aa.size == 8);
	CHECK_RET(fi_query_atomic(d, FI_UINT64, FI_ATOMIC_READ, &aa, 0),
		  -FI_EOPNOTSUPP);
	CHECK_OK(fi_query_atomic(d, FI_UINT64, FI_CSWAP, &aa,
				 FI_COMPARE_ATOMIC));
	CHECK_RET(fi_query_atomic(d, FI_UINT64, FI_CSWAP, &aa, 0),
		  -FI_EOPNOTSUPP);
	CHECK_RET(fi_query_atomic(d, FI_UINT64, FI_CSWAP, &aa,
				  FI_FETCH_ATOMIC),
		  -FI_EOPNOTSUPP);
	/* Bit operations make no sense on floats; unknown values neither. */
	CHECK_RET(fi_query_atomic(d, FI_FLOAT, FI_BOR, &aa, 0),
		  -FI_EOPNOTSUPP);
	CHECK_RET(fi_query_atomic(d, (enum fi_datatype)999, FI_SUM, &aa, 0),
		  -FI_EOPNOTSUPP);
	CHECK_RET(fi_query_atomic(d, FI_UINT32, (enum fi_op)999, &aa, 0),
		  -FI_EOPNOTSUPP);
}

int main(void)
{
	struct fi_fabric_attr fattr = {.name = (char *)"fakefab",
				       .prov_name = (char *)"fakeprov"};
	struct weft_fabric *fab, *fab2;
	struct weft_domain *dom;
	struct fi_info *info;
	struct fid_eq *eq = NULL, *eq2 = NULL;
	struct fi_eq_attr eq_attr = {.wait_obj = FI_WAIT_NONE, .size = 8};
	struct fi_atomic_attr aa;
	int ret;

	fab = calloc(1, sizeof(*fab));
	fab2 = calloc(1, sizeof(*fab2));
	CHECK(fab && fab2);
	CHECK_OK(weft_fabric_init(fab, &fake_desc, &fattr, NULL, &fake_ops));
	fattr.name = (char *)"otherfab";
	CHECK_OK(weft_fabric_init(fab2, &fake_desc, &fattr, NULL, &fake_ops));

	info = make_info();
	{
		struct fi_info *probe = fi_dupinfo(info);
		if (!probe)
			weft_test_skip("core fi_dupinfo not available yet");
		fi_freeinfo(probe);
	}

	/* Bad arguments. */
	CHECK(open_dom(NULL, info, &ret) == NULL && ret == -FI_EINVAL);
	CHECK(open_dom(fab, NULL, &ret) == NULL && ret == -FI_EINVAL);

	/* An info of another provider, another fabric, caps the provider
	 * does not have, an unknown threading level. */
	free(info->fabric_attr->prov_name);
	info->fabric_attr->prov_name = strdup("udp");
	CHECK(open_dom(fab, info, &ret) == NULL && ret == -FI_EINVAL);
	free(info->fabric_attr->prov_name);
	info->fabric_attr->prov_name = strdup("fakeprov");
	CHECK(open_dom(fab2, info, &ret) == NULL && ret == -FI_EINVAL);
	info->caps |= FI_TAGGED;
	CHECK(open_dom(fab, info, &ret) == NULL && ret == -FI_ENODATA);
	/* Tagged alone fits only the template with a fixed domain name. */
	info->caps = FI_TAGGED;
	CHECK(open_dom(fab, info, &ret) == NULL && ret == -FI_ENODATA);
	free(info->domain_attr->name);
	info->domain_attr->name = strdup("fixeddom");
	dom = open_dom(fab, info, &ret);
	CHECK_OK(ret);
	CHECK_OK(fi_close(&dom->domain_fid.fid));
	free(info->domain_attr->name);
	info->domain_attr->name = strdup("fakedom");
	info->caps = FI_MSG | FI_ATOMIC;
	info->domain_attr->threading = (enum fi_threading)77;
	CHECK(open_dom(fab, info, &ret) == NULL && ret == -FI_EINVAL);
	info->domain_attr->threading = FI_THREAD_SAFE;
	CHECK(atomic_load(&fab->ref) == 0);

	dom = open_dom(fab, info, &ret);
	CHECK_OK(ret);
	CHECK(dom->domain_fid.fid.fclass == FI_CLASS_DOMAIN);
	CHECK(dom->domain_fid.fid.ops == &weft_domain_fi_ops);
	CHECK(dom->domain_fid.ops == &weft_domain_ops_default);
	CHECK(dom->domain_fid.mr == &weft_domain_mr_ops);
	CHECK(dom->fabric == fab);
	CHECK(dom->threading == FI_THREAD_SAFE);
	CHECK(dom->lock.enabled);
	CHECK(dom->mr_mode == (FI_MR_PROV_KEY | FI_MR_VIRT_ADDR));
	CHECK(dom->mr_map.mr_mode == dom->mr_mode);
	CHECK(dom->mr_map.key_size == 4);
	CHECK(atomic_load(&fab->ref) == 1);
	/* A deep copy: the caller's info may be freed. */
	CHECK(dom->info && dom->info != info);
	CHECK(dom->info->domain_attr != info->domain_attr);
	CHECK(strcmp(dom->info->domain_attr->name, "fakedom") == 0);
	CHECK(dom->info->domain_attr->name != info->domain_attr->name);

	/* The fabric stays open while the domain lives. */
	CHECK_RET(fi_close(&fab->fabric_fid.fid), -FI_EBUSY);

	check_query_atomic(dom);

	/* fi_domain_bind. */
	CHECK_RET(fi_domain_bind(&dom->domain_fid, NULL, 0), -FI_EINVAL);
	CHECK_RET(fi_domain_bind(&dom->domain_fid, &fab->fabric_fid.fid, 0),
		  -FI_EINVAL);
	ret = fi_eq_open(&fab->fabric_fid, &eq_attr, &eq, NULL);
	if (ret == 0) {
		CHECK_OK(fi_eq_open(&fab2->fabric_fid, &eq_attr, &eq2, NULL));
		CHECK_RET(fi_domain_bind(&dom->domain_fid, &eq->fid, FI_SEND),
			  -FI_EINVAL);
		/* An EQ of another fabric. */
		CHECK_RET(fi_domain_bind(&dom->domain_fid, &eq2->fid, 0),
			  -FI_EINVAL);
		CHECK_OK(fi_domain_bind(&dom->domain_fid, &eq->fid,
					FI_REG_MR));
		CHECK(dom->eq == weft_eq_of(eq));
		CHECK(dom->eq_flags == FI_REG_MR);
		CHECK(atomic_load(&weft_eq_of(eq)->ref) == 1);
		CHECK_RET(fi_domain_bind(&dom->domain_fid, &eq->fid, 0),
			  -FI_EINVAL);
	} else {
		CHECK_RET(ret, -FI_ENOSYS);
	}

	/* Open children keep the domain alive. */
	atomic_fetch_add(&dom->ref, 1);
	CHECK_RET(fi_close(&dom->domain_fid.fid), -FI_EBUSY);
	CHECK(dom->info != NULL);
	atomic_fetch_sub(&dom->ref, 1);
	CHECK_OK(fi_close(&dom->domain_fid.fid));
	if (eq) {
		CHECK(atomic_load(&weft_eq_of(eq)->ref) == 0);
		CHECK_OK(fi_close(&eq->fid));
		CHECK_OK(fi_close(&eq2->fid));
	}
	CHECK(atomic_load(&fab->ref) == 0);

	/* Threading decides the lock kind. */
	check_threading(fab, info, FI_THREAD_SAFE, true, FI_THREAD_SAFE);
	check_threading(fab, info, FI_THREAD_UNSPEC, true, FI_THREAD_SAFE);
	check_threading(fab, info, FI_THREAD_FID, true, FI_THREAD_FID);
	check_threading(fab, info, FI_THREAD_ENDPOINT, true,
			FI_THREAD_ENDPOINT);
	check_threading(fab, info, FI_THREAD_COMPLETION, false,
			FI_THREAD_COMPLETION);
	check_threading(fab, info, FI_THREAD_DOMAIN, false, FI_THREAD_DOMAIN);

	/* The pre-1.5 mode FI_MR_BASIC is kept as the bits it stands for. */
	info->domain_attr->mr_mode = FI_MR_BASIC;
	dom = open_dom(fab, info, &ret);
	CHECK_OK(ret);
	CHECK(dom->mr_mode & FI_MR_PROV_KEY);
	CHECK(dom->mr_mode & FI_MR_VIRT_ADDR);
	CHECK(dom->mr_mode == dom->mr_map.mr_mode);
	CHECK_OK(fi_close(&dom->domain_fid.fid));
	info->domain_attr->mr_mode = FI_MR_PROV_KEY | FI_MR_VIRT_ADDR;

	/* A domain without FI_ATOMIC answers no atomics. */
	info->caps = FI_MSG;
	dom = open_dom(fab, info, &ret);
	CHECK_OK(ret);
	CHECK_RET(fi_query_atomic(&dom->domain_fid, FI_UINT32, FI_SUM, &aa, 0),
		  -FI_EOPNOTSUPP);
	CHECK_OK(fi_close(&dom->domain_fid.fid));

	fi_freeinfo(info);
	CHECK_OK(fi_close(&fab->fabric_fid.fid));
	CHECK_OK(fi_close(&fab2->fabric_fid.fid));
	return 0;
}
