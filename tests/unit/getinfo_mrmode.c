/* mr_mode negotiation: the legacy forms (FI_MR_UNSPEC/BASIC/SCALABLE with
 * the FI_LOCAL_MR mode bit) and the 1.5+ bit form, by caller version. */
#include "testlib.h"
#include "core/core.h"

static struct fi_provider fake_prov = {
	.version = 1, .fi_version = FI_VERSION(1, 17), .name = "fake",
};
static struct fi_ep_attr t_ep = { .type = FI_EP_RDM, .max_msg_size = 1024 };
static struct fi_domain_attr t_dom;
static struct fi_info t_info = {
	.caps = FI_MSG | FI_RMA | FI_HMEM,
	.ep_attr = &t_ep,
	.domain_attr = &t_dom,
};

#define V(x) FI_VERSION(1, x)
#define BASIC_BITS (FI_MR_VIRT_ADDR | FI_MR_ALLOCATED | FI_MR_PROV_KEY)

/* Returns the matched mr_mode, or -1 for no match; *mode gets the
 * returned info mode. */
static int mr(uint32_t v, int hint_mr, uint64_t hint_mode, int null_hints,
	      uint64_t *mode)
{
	struct fi_info *h = NULL, *got = NULL;
	int ret, out;

	if (!null_hints) {
		h = fi_allocinfo();
		CHECK(h);
		h->caps = FI_MSG | FI_RMA;
		h->mode = hint_mode;
		h->domain_attr->mr_mode = hint_mr;
	}
	ret = weft_info_match(v, &fake_prov, &t_info, h, &got);
	fi_freeinfo(h);
	if (ret == -FI_ENODATA)
		return -1;
	CHECK_OK(ret);
	out = got->domain_attr->mr_mode;
	if (mode)
		*mode = got->mode;
	fi_freeinfo(got);
	return out;
}

int main(void)
{
	uint64_t mode;

	/* A provider that needs nothing: scalable-capable, not basic. */
	t_dom.mr_mode = 0;
	CHECK(mr(V(4), FI_MR_UNSPEC, 0, 0, &mode) == FI_MR_SCALABLE);
	CHECK(!(mode & FI_LOCAL_MR));
	CHECK(mr(V(4), FI_MR_SCALABLE, 0, 0, NULL) == FI_MR_SCALABLE);
	CHECK(mr(V(4), FI_MR_BASIC, 0, 0, NULL) == -1);
	CHECK(mr(V(4), FI_MR_LOCAL, 0, 0, NULL) == -1); /* 1.4 had no bits */
	CHECK(mr(V(4), 0, 0, 1, NULL) == FI_MR_SCALABLE); /* NULL hints */
	CHECK(mr(V(5), 0, 0, 0, NULL) == 0);
	CHECK(mr(V(17), FI_MR_LOCAL | FI_MR_VIRT_ADDR, 0, 0, NULL) == 0);
	CHECK(mr(V(17), FI_MR_SCALABLE, 0, 0, NULL) == FI_MR_SCALABLE);
	CHECK(mr(V(17), FI_MR_BASIC, 0, 0, NULL) == -1);
	CHECK(mr(V(17), FI_MR_SCALABLE | FI_MR_LOCAL, 0, 0, NULL) == -1);
	CHECK(mr(V(17), 0, 0, 1, NULL) == 0);

	/* A provider with basic registration that needs local MRs. */
	t_dom.mr_mode = FI_MR_LOCAL | BASIC_BITS;
	CHECK(mr(V(4), FI_MR_BASIC, 0, 0, NULL) == -1); /* no FI_LOCAL_MR */
	CHECK(mr(V(4), FI_MR_BASIC, FI_LOCAL_MR, 0, &mode) == FI_MR_BASIC);
	CHECK(mode & FI_LOCAL_MR);
	CHECK(mr(V(4), FI_MR_UNSPEC, FI_LOCAL_MR, 0, NULL) == FI_MR_BASIC);
	CHECK(mr(V(4), FI_MR_SCALABLE, FI_LOCAL_MR, 0, NULL) == -1);
	CHECK(mr(V(4), 0, 0, 1, &mode) == FI_MR_BASIC);
	CHECK(mode & FI_LOCAL_MR);
	/* 1.5+: bits. All required bits must be accepted; only those come
	 * back. FI_LOCAL_MR does not stand in for FI_MR_LOCAL. */
	CHECK(mr(V(17), 0, FI_LOCAL_MR, 0, NULL) == -1);
	CHECK(mr(V(17), BASIC_BITS, FI_LOCAL_MR, 0, NULL) == -1);
	CHECK(mr(V(17), FI_MR_LOCAL, 0, 0, NULL) == -1);
	CHECK(mr(V(17), FI_MR_LOCAL | BASIC_BITS | FI_MR_ENDPOINT | FI_MR_RAW,
		 FI_LOCAL_MR, 0, &mode) == (FI_MR_LOCAL | BASIC_BITS));
	CHECK(!(mode & FI_LOCAL_MR));
	/* ... and the legacy form stays available, kept as asked. */
	CHECK(mr(V(17), FI_MR_BASIC, FI_LOCAL_MR, 0, &mode) == FI_MR_BASIC);
	CHECK(mode & FI_LOCAL_MR);
	CHECK(mr(V(17), FI_MR_BASIC, 0, 0, NULL) == -1);
	CHECK(mr(V(17), FI_MR_BASIC | FI_MR_SCALABLE, FI_LOCAL_MR, 0, NULL) ==
	      FI_MR_BASIC);
	CHECK(mr(V(17), 0, 0, 1, NULL) == (FI_MR_LOCAL | BASIC_BITS));

	/* FI_LOCAL_MR in a template's mode means FI_MR_LOCAL. */
	t_dom.mr_mode = 0;
	t_info.mode = FI_LOCAL_MR;
	CHECK(mr(V(17), 0, 0, 0, NULL) == -1);
	CHECK(mr(V(17), FI_MR_LOCAL, 0, 0, &mode) == FI_MR_LOCAL);
	CHECK(!(mode & FI_LOCAL_MR));
	CHECK(mr(V(4), FI_MR_SCALABLE, FI_LOCAL_MR, 0, NULL) == FI_MR_SCALABLE);
	CHECK(mr(V(4), FI_MR_SCALABLE, 0, 0, NULL) == -1);
	t_info.mode = 0;

	/* Explicit legacy support bits in the template. */
	t_dom.mr_mode = FI_MR_BASIC | FI_MR_PROV_KEY;
	CHECK(mr(V(4), FI_MR_BASIC, 0, 0, NULL) == FI_MR_BASIC);
	CHECK(mr(V(4), FI_MR_SCALABLE, 0, 0, NULL) == -1);
	CHECK(mr(V(17), FI_MR_PROV_KEY, 0, 0, NULL) == FI_MR_PROV_KEY);
	CHECK(mr(V(17), 0, 0, 0, NULL) == -1);

	/* Device-memory registration only binds when FI_HMEM is used. */
	t_dom.mr_mode = FI_MR_HMEM;
	CHECK(mr(V(17), 0, 0, 0, NULL) == 0); /* hints caps lack FI_HMEM */
	CHECK(mr(V(17), FI_MR_HMEM, 0, 1, NULL) == FI_MR_HMEM); /* all caps */
	return 0;
}
