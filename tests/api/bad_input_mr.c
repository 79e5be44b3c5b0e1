/* Bad input on memory registration, through the public API on the udp
 * provider: NULL buffers and out pointers, zero lengths, unknown access
 * bits and flags, iov counts over mr_iov_limit, keys already in use,
 * fi_mr_bind to foreign or unbindable objects. Every case must answer a
 * negative FI_E* code without crashing; checks are soft so one run lists
 * every deviation. */
#include <sys/wait.h>
#include <unistd.h>

#include "udp_test.h"
#include "bad_input.h"

static char region[4096];

static void check_mr(struct udp_t *t)
{
	struct fi_cntr_attr cntr_attr = {.events = FI_CNTR_EVENTS_COMP};
	struct fid_mr *mr = NULL, *mr2 = NULL;
	struct fid_domain *dom2;
	struct fid_cntr *cntr2;
	struct fi_mr_attr attr;
	struct iovec iov[4];
	uint64_t key;

	/* NULL buffers and out pointers, unknown access bits and flags. */
	EXPECT_RET_FORKED(fi_mr_reg(t->domain, NULL, 64, FI_SEND, 0, 1, 0,
				    &mr, NULL),
			  -FI_EINVAL);
	EXPECT_RET_FORKED(fi_mr_reg(t->domain, region, 64, FI_SEND, 0, 1, 0,
				    NULL, NULL),
			  -FI_EINVAL);
	EXPECT_RET(fi_mr_reg(t->domain, region, 64, 1ULL << 40, 0, 1, 0, &mr,
			     NULL),
		   -FI_EINVAL);
	{
		int r = fi_mr_reg(t->domain, region, 64, FI_SEND, 0, 1,
				  1ULL << 40, &mr, NULL);
		if (r != -FI_EBADFLAGS && r != -FI_EINVAL) {
			fprintf(stderr, "fi_mr_reg unknown flag: %d\n", r);
			failures++;
		}
	}
	/* Zero length (fi_mr(3): len must be > 0). */
	EXPECT_RET(fi_mr_reg(t->domain, region, 0, FI_SEND, 0, 1, 0, &mr,
			     NULL),
		   -FI_EINVAL);

	/* Vectors: NULL array, more than mr_iov_limit, NULL entries. */
	for (int i = 0; i < 4; i++) {
		iov[i].iov_base = region + i * 64;
		iov[i].iov_len = 64;
	}
	EXPECT_RET_FORKED(fi_mr_regv(t->domain, NULL, 1, FI_SEND, 0, 2, 0,
				     &mr, NULL),
			  -FI_EINVAL);
	EXPECT_RET(fi_mr_regv(t->domain, iov,
			      t->info->domain_attr->mr_iov_limit + 1, FI_SEND,
			      0, 2, 0, &mr, NULL),
		   -FI_EINVAL);
	iov[0].iov_base = NULL;
	EXPECT_RET_FORKED(fi_mr_regv(t->domain, iov, 1, FI_SEND, 0, 2, 0, &mr,
				     NULL),
			  -FI_EINVAL);
	iov[0].iov_base = region;
	EXPECT_RET_FORKED(fi_mr_regattr(t->domain, NULL, 0, &mr), -FI_EINVAL);
	memset(&attr, 0, sizeof(attr));
	attr.mr_iov = iov;
	attr.iov_count = 0;
	attr.access = FI_SEND;
	EXPECT_RET(fi_mr_regattr(t->domain, &attr, 0, &mr), -FI_EINVAL);
	CHECK(mr == NULL);

	/* Keys: udp leaves them to the application (no FI_MR_PROV_KEY), so
	 * a key already in use is refused. */
	CHECK_OK(fi_mr_reg(t->domain, region, 64, FI_SEND | FI_REMOTE_READ, 0,
			   77, 0, &mr, NULL));
	key = fi_mr_key(mr);
	CHECK(key == 77);
	EXPECT_RET(fi_mr_reg(t->domain, region + 64, 64, FI_SEND, 0, 77, 0,
			     &mr2, NULL),
		   -FI_ENOKEY);
	CHECK(mr2 == NULL);

	/* Binding to things that are not of this domain or not bindable. */
	CHECK_OK(fi_domain(t->fabric, t->info, &dom2, NULL));
	CHECK_OK(fi_cntr_open(dom2, &cntr_attr, &cntr2, NULL));
	EXPECT_RET_FORKED(fi_mr_bind(mr, NULL, 0), -FI_EINVAL);
	EXPECT_NEG(fi_mr_bind(mr, &cntr2->fid, FI_REMOTE_WRITE));
	EXPECT_NEG(fi_mr_bind(mr, &t->domain->fid, 0));
	EXPECT_NEG(fi_mr_bind(mr, &t->av->fid, 0));
	EXPECT_RET(fi_control(&mr->fid, 12345, NULL), -FI_ENOSYS);
	CHECK_OK(fi_close(&cntr2->fid));
	CHECK_OK(fi_close(&dom2->fid));
	CHECK_OK(fi_close(&mr->fid));
	/* Its key is free again. */
	CHECK_OK(fi_mr_reg(t->domain, region + 64, 64, FI_SEND, 0, 77, 0, &mr2,
			   NULL));
	CHECK_OK(fi_close(&mr2->fid));
}

int main(void)
{
	struct udp_t t;

	weft_test_require_weft_loaded();
	udp_t_open(&t, udp_t_getinfo(0, FI_MSG));
	check_mr(&t);
	udp_t_close(&t);
	if (failures)
		fprintf(stderr, "%d bad-input expectation(s) not met\n",
			failures);
	return failures ? 1 : 0;
}
