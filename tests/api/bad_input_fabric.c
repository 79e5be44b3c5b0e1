/* Bad input at the fabric level, through the public API on the udp
 * provider: fi_getinfo/fi_fabric arguments, fabric ops (fi_domain,
 * fi_eq_open, fi_trywait, fi_wait_open, fi_passive_ep, fi_domain2), and
 * closing a fabric that still has objects open. Every case must answer a
 * negative FI_E* code without crashing. Checks are soft (all run, all
 * failures listed) so one run shows every deviation. */
#include <rdma/fi_cm.h>
#include <sys/wait.h>
#include <unistd.h>

#include "udp_test.h"
#include "bad_input.h"

static void check_getinfo(void)
{
	struct fi_info *hints = fi_allocinfo(), *info = NULL;

	CHECK(hints);
	hints->ep_attr->type = FI_EP_DGRAM;
	hints->fabric_attr->prov_name = strdup("udp");
	/* No place to put the answer. */
	EXPECT_RET(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, NULL),
		   -FI_EINVAL);
	/* A provider that does not exist. */
	free(hints->fabric_attr->prov_name);
	hints->fabric_attr->prov_name = strdup("nosuchprov");
	EXPECT_RET(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &info),
		   -FI_ENODATA);
	CHECK(info == NULL);
	free(hints->fabric_attr->prov_name);
	hints->fabric_attr->prov_name = strdup("udp");
	/* Capabilities udp does not have. */
	hints->caps = FI_ATOMIC | FI_RMA;
	EXPECT_RET(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &info),
		   -FI_ENODATA);
	hints->caps = 0;
	/* Unknown flags. */
	EXPECT_NEG(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 1ULL << 62, hints,
			      &info));
	/* An API version from the future. */
	EXPECT_NEG(fi_getinfo(FI_VERSION(9, 0), NULL, NULL, 0, hints, &info));
	/* A node that does not resolve, a service that is not a port. */
	EXPECT_NEG(fi_getinfo(FI_VERSION(1, 17), "no.such.host.invalid", "9",
			      0, hints, &info));
	EXPECT_NEG(fi_getinfo(FI_VERSION(1, 17), "127.0.0.1", "notaport", 0,
			      hints, &info));
	/* Endpoint types and address formats that do not exist. */
	hints->ep_attr->type = (enum fi_ep_type)99;
	EXPECT_RET(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &info),
		   -FI_ENODATA);
	hints->ep_attr->type = FI_EP_DGRAM;
	hints->addr_format = 9999;
	EXPECT_RET(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &info),
		   -FI_ENODATA);
	hints->addr_format = FI_FORMAT_UNSPEC;
	/* A threading level that does not exist. */
	hints->domain_attr->threading = (enum fi_threading)99;
	EXPECT_RET(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &info),
		   -FI_ENODATA);
	CHECK(info == NULL);
	fi_freeinfo(hints);
}

static void check_fabric_open(struct fi_info *info)
{
	struct fi_fabric_attr attr = *info->fabric_attr;
	struct fid_fabric *fab = NULL;

	EXPECT_RET(fi_fabric(NULL, &fab, NULL), -FI_EINVAL);
	EXPECT_RET(fi_fabric(info->fabric_attr, NULL, NULL), -FI_EINVAL);
	attr.prov_name = (char *)"nosuchprov";
	EXPECT_RET(fi_fabric(&attr, &fab, NULL), -FI_ENODATA);
	CHECK(fab == NULL);
}

static void check_fabric_ops(struct udp_t *t)
{
	struct fi_info *info = fi_dupinfo(t->info);
	struct fid_domain *dom = NULL;
	struct fid_eq *eq = NULL;
	struct fid_cq *cq = NULL;
	struct fid_pep *pep = NULL;
	struct fid_wait *ws = NULL;
	struct fi_eq_attr eq_attr = {.size = 8, .wait_obj = FI_WAIT_NONE};
	struct fi_cq_attr cq_attr = {.format = FI_CQ_FORMAT_CONTEXT,
				     .wait_obj = FI_WAIT_NONE};
	struct fi_wait_attr wait_attr = {.wait_obj = FI_WAIT_FD};
	struct fid *fids[2];

	CHECK(info);
	/* fi_domain: NULL info / out pointer, infos of something else. */
	EXPECT_RET(fi_domain(t->fabric, NULL, &dom, NULL), -FI_EINVAL);
	EXPECT_RET(fi_domain(t->fabric, info, NULL, NULL), -FI_EINVAL);
	free(info->fabric_attr->prov_name);
	info->fabric_attr->prov_name = strdup("tcp");
	EXPECT_RET(fi_domain(t->fabric, info, &dom, NULL), -FI_EINVAL);
	free(info->fabric_attr->prov_name);
	info->fabric_attr->prov_name = strdup("udp");
	free(info->fabric_attr->name);
	info->fabric_attr->name = strdup("10.99.99.0/24"); /* another fabric */
	EXPECT_RET(fi_domain(t->fabric, info, &dom, NULL), -FI_EINVAL);
	CHECK(dom == NULL);
	fi_freeinfo(info);
	EXPECT_NEG(fi_domain2(t->fabric, t->info, &dom, 1ULL << 62, NULL));

	/* Objects udp has no use for. */
	EXPECT_RET(fi_passive_ep(t->fabric, t->info, &pep, NULL), -FI_ENOSYS);
	EXPECT_RET(fi_wait_open(t->fabric, &wait_attr, &ws), -FI_ENOSYS);
	EXPECT_RET(fi_control(&t->fabric->fid, FI_GETWAIT, NULL), -FI_ENOSYS);
	EXPECT_RET(fi_open_ops(&t->fabric->fid, "nosuchops", 0, NULL, NULL),
		   -FI_ENOSYS);

	/* fi_eq_open: NULL attr / out pointer, bad wait objects, unknown
	 * flags. */
	EXPECT_RET(fi_eq_open(t->fabric, NULL, &eq, NULL), -FI_EINVAL);
	EXPECT_RET(fi_eq_open(t->fabric, &eq_attr, NULL, NULL), -FI_EINVAL);
	eq_attr.wait_obj = FI_WAIT_SET; /* without a wait set */
	EXPECT_NEG(fi_eq_open(t->fabric, &eq_attr, &eq, NULL));
	eq_attr.wait_obj = (enum fi_wait_obj)99;
	EXPECT_NEG(fi_eq_open(t->fabric, &eq_attr, &eq, NULL));
	eq_attr.wait_obj = FI_WAIT_NONE;
	eq_attr.flags = FI_TAGGED;
	EXPECT_RET(fi_eq_open(t->fabric, &eq_attr, &eq, NULL), -FI_EINVAL);
	eq_attr.flags = 0;
	CHECK(eq == NULL);

	/* fi_trywait: NULL array, things that are not queues, a queue
	 * without a wait object. */
	EXPECT_RET_FORKED(fi_trywait(t->fabric, NULL, 1), -FI_EINVAL);
	fids[0] = NULL;
	EXPECT_RET_FORKED(fi_trywait(t->fabric, fids, 1), -FI_EINVAL);
	fids[0] = &t->domain->fid;
	EXPECT_RET_FORKED(fi_trywait(t->fabric, fids, 1), -FI_EINVAL);
	fids[0] = &t->av->fid;
	EXPECT_RET_FORKED(fi_trywait(t->fabric, fids, 1), -FI_EINVAL);
	CHECK_OK(fi_cq_open(t->domain, &cq_attr, &cq, NULL));
	fids[0] = &cq->fid;
	EXPECT_RET(fi_trywait(t->fabric, fids, 1), -FI_EINVAL);
	CHECK_OK(fi_close(&cq->fid));

	/* A fabric with objects open refuses to close. */
	CHECK_OK(fi_eq_open(t->fabric, &eq_attr, &eq, NULL));
	EXPECT_RET(fi_close(&t->fabric->fid), -FI_EBUSY);
	CHECK_OK(fi_close(&eq->fid));
	EXPECT_RET(fi_close(&t->fabric->fid), -FI_EBUSY); /* domain open */
}

/* A queue of one fabric handed to another fabric's fi_trywait. */
static void check_foreign_trywait(struct udp_t *t)
{
	struct fid_fabric *fab2;
	struct fid_eq *eq;
	struct fi_eq_attr eq_attr = {.size = 8, .wait_obj = FI_WAIT_FD};
	struct fid *fids[1];

	CHECK_OK(fi_fabric(t->info->fabric_attr, &fab2, NULL));
	CHECK_OK(fi_eq_open(fab2, &eq_attr, &eq, NULL));
	fids[0] = &eq->fid;
	CHECK_OK(fi_trywait(fab2, fids, 1));
	EXPECT_RET_FORKED(fi_trywait(t->fabric, fids, 1), -FI_EINVAL);
	CHECK_OK(fi_close(&eq->fid));
	CHECK_OK(fi_close(&fab2->fid));
}

int main(void)
{
	struct udp_t t;

	weft_test_require_weft_loaded();
	check_getinfo();
	udp_t_open(&t, udp_t_getinfo(0, FI_MSG));
	check_fabric_open(t.info);
	check_fabric_ops(&t);
	check_foreign_trywait(&t);
	udp_t_close(&t);
	if (failures)
		fprintf(stderr, "%d bad-input expectation(s) not met\n",
			failures);
	return failures ? 1 : 0;
}
