/* weft_fabric: init/fini, name copy, the fi_close reference rule, the
 * ready fid ops, and fi_trywait's argument checks and dispatch. */
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_eq.h>

#include "testlib.h"
#include "util/cntr.h"
#include "util/cq.h"
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

static struct fi_provider fake_prov = {
	.name = (char *)"fakeprov",
};
static const struct weft_prov_desc fake_desc = {.prov = &fake_prov};

/* fi_trywait dispatch to CQs and counters of the fabric's domains. */
static void check_trywait_queues(struct weft_fabric *fab,
				 struct weft_fabric *other)
{
	struct weft_domain *dom = calloc(1, sizeof(*dom));
	struct fi_info *info = fi_allocinfo();
	struct fi_cq_attr cq_attr = {.format = FI_CQ_FORMAT_CONTEXT,
				     .wait_obj = FI_WAIT_FD};
	struct fi_cntr_attr cntr_attr = {.events = FI_CNTR_EVENTS_COMP,
					 .wait_obj = FI_WAIT_FD};
	struct fi_cq_entry e;
	struct fid_cq *cq;
	struct fid_cntr *cntr;
	struct fid *fids[2];

	CHECK(dom && info);
	info->ep_attr->type = FI_EP_DGRAM;
	CHECK_OK(weft_domain_init(dom, fab, info, NULL));
	CHECK_OK(fi_cq_open(&dom->domain_fid, &cq_attr, &cq, NULL));
	CHECK_OK(fi_cntr_open(&dom->domain_fid, &cntr_attr, &cntr, NULL));
	fids[0] = &cq->fid;
	fids[1] = &cntr->fid;
	CHECK_OK(fi_trywait(&fab->fabric_fid, fids, 2));
	/* Queues of another fabric's domain are refused. */
	CHECK_RET(fi_trywait(&other->fabric_fid, fids, 1), -FI_EINVAL);
	CHECK_RET(fi_trywait(&other->fabric_fid, fids + 1, 1), -FI_EINVAL);
	/* Something to read: not safe to sleep. */
	CHECK_OK(weft_cq_write(weft_cq_of(cq), NULL, FI_SEND, 0, NULL, 0, 0,
			       FI_ADDR_NOTAVAIL));
	CHECK_RET(fi_trywait(&fab->fabric_fid, fids, 2), -FI_EAGAIN);
	CHECK(fi_cq_read(cq, &e, 1) == 1);
	CHECK_OK(fi_trywait(&fab->fabric_fid, fids, 2));
	weft_cntr_inc(weft_cntr_of(cntr));
	CHECK_RET(fi_trywait(&fab->fabric_fid, fids + 1, 1), -FI_EAGAIN);
	CHECK_OK(fi_close(&cntr->fid));
	CHECK_OK(fi_close(&cq->fid));
	CHECK_OK(fi_close(&dom->domain_fid.fid));
	fi_freeinfo(info);
}

int main(void)
{
	char name[] = "fakefab";
	struct fi_fabric_attr attr = {.name = name, .prov_name = NULL};
	struct weft_fabric *fab, *fab2;
	struct fid *fids[2];
	struct fid_eq *eq = NULL;
	struct fi_eq_attr eq_attr = {
		.wait_obj = FI_WAIT_FD, .size = 8, .flags = FI_WRITE};
	struct fi_eq_entry entry = {0};
	int ret;

	fab = calloc(1, sizeof(*fab));
	CHECK(fab);
	CHECK_RET(weft_fabric_init(NULL, &fake_desc, &attr, NULL, &fake_ops),
		  -FI_EINVAL);
	CHECK_RET(weft_fabric_init(fab, &fake_desc, &attr, NULL, NULL),
		  -FI_EINVAL);

	/* Another provider's attributes are refused. */
	attr.prov_name = (char *)"udp";
	CHECK_RET(weft_fabric_init(fab, &fake_desc, &attr, NULL, &fake_ops),
		  -FI_EINVAL);
	attr.prov_name = (char *)"fakeprov";

	CHECK_OK(weft_fabric_init(fab, &fake_desc, &attr, (void *)0x1234,
				  &fake_ops));
	CHECK(fab->fabric_fid.fid.fclass == FI_CLASS_FABRIC);
	CHECK(fab->fabric_fid.fid.context == (void *)0x1234);
	CHECK(fab->fabric_fid.fid.ops == &weft_fabric_fi_ops);
	CHECK(fab->fabric_fid.ops == &fake_ops);
	CHECK(fab->fabric_fid.api_version == WEFT_FI_VERSION);
	CHECK(fab->desc == &fake_desc);
	/* The name is a copy: the caller's buffer may go away. */
	CHECK(fab->name && strcmp(fab->name, "fakefab") == 0);
	CHECK(fab->name != name);
	name[0] = 'X';
	CHECK(strcmp(fab->name, "fakefab") == 0);
	CHECK(atomic_load(&fab->ref) == 0);

	/* The generic fid ops answer -FI_ENOSYS. */
	CHECK_RET(fi_control(&fab->fabric_fid.fid, FI_GETWAIT, NULL),
		  -FI_ENOSYS);
	CHECK_RET(fab->fabric_fid.fid.ops->bind(&fab->fabric_fid.fid, NULL, 0),
		  -FI_ENOSYS);
	CHECK_RET(fi_open_ops(&fab->fabric_fid.fid, "x", 0, NULL, NULL),
		  -FI_ENOSYS);
	CHECK_RET(fi_wait_open(&fab->fabric_fid, NULL, NULL), -FI_ENOSYS);
	CHECK_RET(fi_passive_ep(&fab->fabric_fid, NULL, NULL, NULL),
		  -FI_ENOSYS);

	/* fi_trywait argument checks. */
	CHECK_OK(fi_trywait(&fab->fabric_fid, NULL, 0));
	CHECK_RET(fi_trywait(&fab->fabric_fid, NULL, 1), -FI_EINVAL);
	fids[0] = NULL;
	CHECK_RET(fi_trywait(&fab->fabric_fid, fids, 1), -FI_EINVAL);
	fids[0] = &fab->fabric_fid.fid; /* not a queue */
	CHECK_RET(fi_trywait(&fab->fabric_fid, fids, 1), -FI_EINVAL);

	/* Without a name the provider's name is used. */
	fab2 = calloc(1, sizeof(*fab2));
	CHECK(fab2);
	CHECK_OK(weft_fabric_init(fab2, &fake_desc, NULL, NULL, &fake_ops));
	CHECK(strcmp(fab2->name, "fakeprov") == 0);

	/* An EQ of fab, then trywait dispatch (needs the real EQ). */
	ret = fi_eq_open(&fab->fabric_fid, &eq_attr, &eq, NULL);
	if (ret == 0) {
		fids[0] = &eq->fid;
		CHECK_OK(fi_trywait(&fab->fabric_fid, fids, 1));
		/* fab2 does not own this EQ. */
		CHECK_RET(fi_trywait(&fab2->fabric_fid, fids, 1), -FI_EINVAL);
		CHECK(fi_eq_write(eq, FI_NOTIFY, &entry, sizeof(entry), 0) ==
		      (ssize_t)sizeof(entry));
		CHECK_RET(fi_trywait(&fab->fabric_fid, fids, 1), -FI_EAGAIN);
		/* The EQ holds a reference: the fabric refuses to close. */
		CHECK(atomic_load(&fab->ref) == 1);
		CHECK_RET(fi_close(&fab->fabric_fid.fid), -FI_EBUSY);
		CHECK_OK(fi_close(&eq->fid));
	} else {
		CHECK_RET(ret, -FI_ENOSYS); /* util EQ not there yet */
	}

	check_trywait_queues(fab, fab2);

	/* The reference rule, independently of the EQ. */
	atomic_fetch_add(&fab->ref, 1);
	CHECK_RET(fi_close(&fab->fabric_fid.fid), -FI_EBUSY);
	CHECK(fab->name != NULL); /* still intact */
	atomic_fetch_sub(&fab->ref, 1);
	CHECK_OK(fi_close(&fab->fabric_fid.fid)); /* frees fab */

	CHECK_OK(weft_fabric_fini(fab2));
	CHECK(fab2->name == NULL);
	free(fab2);
	return 0;
}
