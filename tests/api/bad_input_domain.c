/* Bad input at the domain level, through the public API on the udp
 * provider: fi_domain with infos that do not fit, fi_domain_bind,
 * fi_query_atomic/collective, fi_endpoint arguments, the objects udp does
 * not offer, and closing a domain with children open. Every case must
 * answer a negative FI_E* code without crashing; checks are soft so one run
 * lists every deviation. */
#include <rdma/fi_atomic.h>
#include <rdma/fi_collective.h>
#include <sys/wait.h>
#include <unistd.h>

#include "udp_test.h"
#include "bad_input.h"

static void check_domain_bind(struct udp_t *t, struct fid_eq **bound)
{
	struct fid_fabric *fab2;
	struct fid_eq *eq, *eq2;
	struct fid_cq *cq;
	struct fi_eq_attr eq_attr = {.size = 8, .wait_obj = FI_WAIT_NONE};
	struct fi_cq_attr cq_attr = {.format = FI_CQ_FORMAT_CONTEXT};

	CHECK_OK(fi_fabric(t->info->fabric_attr, &fab2, NULL));
	CHECK_OK(fi_eq_open(t->fabric, &eq_attr, &eq, NULL));
	CHECK_OK(fi_eq_open(fab2, &eq_attr, &eq2, NULL));
	CHECK_OK(fi_cq_open(t->domain, &cq_attr, &cq, NULL));

	EXPECT_RET_FORKED(fi_domain_bind(t->domain, NULL, 0), -FI_EINVAL);
	/* Only an EQ binds to a domain. */
	EXPECT_RET(fi_domain_bind(t->domain, &cq->fid, 0), -FI_EINVAL);
	EXPECT_RET(fi_domain_bind(t->domain, &t->av->fid, 0), -FI_EINVAL);
	/* FI_REG_MR is the only flag. */
	EXPECT_RET(fi_domain_bind(t->domain, &eq->fid, FI_SEND), -FI_EINVAL);
	/* An EQ of another fabric. */
	EXPECT_RET(fi_domain_bind(t->domain, &eq2->fid, 0), -FI_EINVAL);
	CHECK_OK(fi_domain_bind(t->domain, &eq->fid, 0));
	/* Once. */
	EXPECT_RET(fi_domain_bind(t->domain, &eq->fid, 0), -FI_EINVAL);
	/* The EQ is in use by the domain. */
	EXPECT_RET(fi_close(&eq->fid), -FI_EBUSY);

	CHECK_OK(fi_close(&cq->fid));
	CHECK_OK(fi_close(&eq2->fid));
	CHECK_OK(fi_close(&fab2->fid));
	/* eq is closed after the domain, in main. */
	*bound = eq;
}

static void check_domain_ops(struct udp_t *t)
{
	struct fi_info *info = fi_dupinfo(t->info);
	struct fid_ep *ep = NULL;
	struct fid_poll *ps = NULL;
	struct fid_stx *stx = NULL;
	struct fi_poll_attr poll_attr = {0};
	struct fi_tx_attr tx_attr = {0};
	struct fi_rx_attr rx_attr = {0};
	struct fi_atomic_attr aattr;
	struct fi_collective_attr cattr = {0};

	CHECK(info);
	/* No atomics over udp: "not supported" or "not implemented". */
	{
		int r = fi_query_atomic(t->domain, FI_UINT32, FI_SUM, &aattr,
					0);
		if (r != -FI_EOPNOTSUPP && r != -FI_ENOSYS) {
			fprintf(stderr, "fi_query_atomic on udp: %d\n", r);
			failures++;
		}
	}
	EXPECT_NEG(fi_query_atomic(t->domain, FI_UINT32, FI_SUM, NULL, 0));
	EXPECT_NEG(fi_query_collective(t->domain, FI_BARRIER, &cattr, 0));

	/* fi_endpoint: NULL info / out pointer; an info udp cannot honour. */
	EXPECT_RET_FORKED(fi_endpoint(t->domain, NULL, &ep, NULL), -FI_EINVAL);
	EXPECT_RET_FORKED(fi_endpoint(t->domain, t->info, NULL, NULL),
			  -FI_EINVAL);
	info->ep_attr->type = FI_EP_MSG;
	EXPECT_RET(fi_endpoint(t->domain, info, &ep, NULL), -FI_EINVAL);
	info->ep_attr->type = FI_EP_RDM;
	EXPECT_RET(fi_endpoint(t->domain, info, &ep, NULL), -FI_EINVAL);
	info->ep_attr->type = FI_EP_DGRAM;
	info->caps |= FI_RMA | FI_ATOMIC; /* beyond the domain's caps */
	EXPECT_RET(fi_endpoint(t->domain, info, &ep, NULL), -FI_EINVAL);
	info->caps = t->info->caps;
	info->tx_attr->iov_limit = 1000000; /* beyond the provider's */
	EXPECT_NEG(fi_endpoint(t->domain, info, &ep, NULL));
	info->tx_attr->iov_limit = t->info->tx_attr->iov_limit;
	CHECK(ep == NULL);
	EXPECT_NEG(fi_endpoint2(t->domain, t->info, &ep, 1ULL << 62, NULL));
	CHECK(ep == NULL);

	/* Objects udp does not have. */
	EXPECT_RET(fi_scalable_ep(t->domain, t->info, &ep, NULL), -FI_ENOSYS);
	EXPECT_RET(fi_poll_open(t->domain, &poll_attr, &ps), -FI_ENOSYS);
	EXPECT_RET(fi_stx_context(t->domain, &tx_attr, &stx, NULL),
		   -FI_ENOSYS);
	EXPECT_RET(fi_srx_context(t->domain, &rx_attr, &ep, NULL), -FI_ENOSYS);
	EXPECT_RET(fi_control(&t->domain->fid, FI_GETWAIT, NULL), -FI_ENOSYS);
	EXPECT_RET(fi_open_ops(&t->domain->fid, "nosuchops", 0, NULL, NULL),
		   -FI_ENOSYS);
	fi_freeinfo(info);
}

/* fi_domain with infos that do not describe this fabric's resources. */
static void check_domain_open(struct udp_t *t)
{
	struct fi_info *info = fi_dupinfo(t->info);
	struct fid_domain *dom = NULL;

	CHECK(info);
	info->domain_attr->threading = (enum fi_threading)99;
	EXPECT_RET(fi_domain(t->fabric, info, &dom, NULL), -FI_EINVAL);
	info->domain_attr->threading = t->info->domain_attr->threading;
	/* A capability no udp endpoint type offers (RDM now has atomics). */
	info->caps |= FI_COLLECTIVE;
	EXPECT_NEG(fi_domain(t->fabric, info, &dom, NULL));
	info->caps = t->info->caps;
	info->addr_format = FI_ADDR_STR;
	EXPECT_NEG(fi_domain(t->fabric, info, &dom, NULL));
	info->addr_format = t->info->addr_format;
	CHECK(dom == NULL);
	fi_freeinfo(info);
}

/* A domain with children open refuses to close, whatever the child. */
static void check_domain_busy(struct udp_t *t)
{
	struct fi_cq_attr cq_attr = {.format = FI_CQ_FORMAT_CONTEXT};
	struct fi_cntr_attr cntr_attr = {.events = FI_CNTR_EVENTS_COMP};
	struct fid_cq *cq;
	struct fid_cntr *cntr;
	struct fid_ep *ep;
	struct fid_mr *mr;
	static char buf[64];

	/* The AV from udp_t_open is open now. */
	EXPECT_RET(fi_close(&t->domain->fid), -FI_EBUSY);

	CHECK_OK(fi_cq_open(t->domain, &cq_attr, &cq, NULL));
	CHECK_OK(fi_cntr_open(t->domain, &cntr_attr, &cntr, NULL));
	CHECK_OK(fi_endpoint(t->domain, t->info, &ep, NULL));
	CHECK_OK(fi_mr_reg(t->domain, buf, sizeof(buf), FI_SEND, 0, 1, 0, &mr,
			   NULL));
	EXPECT_RET(fi_close(&t->domain->fid), -FI_EBUSY);
	CHECK_OK(fi_close(&mr->fid));
	EXPECT_RET(fi_close(&t->domain->fid), -FI_EBUSY);
	CHECK_OK(fi_close(&ep->fid));
	EXPECT_RET(fi_close(&t->domain->fid), -FI_EBUSY);
	CHECK_OK(fi_close(&cntr->fid));
	EXPECT_RET(fi_close(&t->domain->fid), -FI_EBUSY);
	CHECK_OK(fi_close(&cq->fid));
	EXPECT_RET(fi_close(&t->domain->fid), -FI_EBUSY); /* AV still */
}

int main(void)
{
	struct udp_t t;
	struct fid_eq *eq;

	weft_test_require_weft_loaded();
	udp_t_open(&t, udp_t_getinfo(0, FI_MSG));
	check_domain_open(&t);
	check_domain_ops(&t);
	check_domain_busy(&t);
	check_domain_bind(&t, &eq);
	CHECK_OK(fi_close(&t.av->fid));
	CHECK_OK(fi_close(&t.domain->fid));
	/* Closing the domain released the EQ. */
	CHECK_OK(fi_close(&eq->fid));
	CHECK_OK(fi_close(&t.fabric->fid));
	fi_freeinfo(t.info);
	if (failures)
		fprintf(stderr, "%d bad-input expectation(s) not met\n",
			failures);
	return failures ? 1 : 0;
}
