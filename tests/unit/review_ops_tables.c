/* The ops tables of the objects src/util hands out from its open calls
 * (CQ, counter, EQ, AV, MR): every slot set, each size field the size of
 * its struct. ep_stubs.c covers the exported tables; these are static in
 * their files and only reachable through an opened object. */
#include <rdma/fi_domain.h>
#include <rdma/fi_eq.h>

#include "testlib.h"
#include "av_fake_domain.h"
#include "util/av.h"
#include "util/cntr.h"
#include "util/cq.h"
#include "util/eq.h"
#include "util/fabric.h"
#include "util/mr.h"

#define CHECK_TABLE(t) check_table((t), sizeof(*(t)), #t)

/* Read each slot after the size field as bytes (no call through a
 * converted pointer type) and check it is set. */
static void check_table(const void *table, size_t size, const char *what)
{
	const unsigned char *p = table;
	size_t declared;

	CHECK(table);
	memcpy(&declared, p, sizeof(declared));
	if (declared != size) {
		fprintf(stderr, "%s: size field %zu, struct %zu\n", what,
			declared, size);
		exit(1);
	}
	CHECK((size - sizeof(size_t)) % sizeof(void (*)(void)) == 0);
	for (size_t off = sizeof(size_t); off < size;
	     off += sizeof(void (*)(void))) {
		void (*fn)(void);
		memcpy(&fn, p + off, sizeof(fn));
		if (!fn) {
			fprintf(stderr, "%s: slot at %zu is NULL\n", what, off);
			exit(1);
		}
	}
}

static struct fi_ops_fabric fabric_ops = {
	.size = sizeof(struct fi_ops_fabric),
	.eq_open = weft_eq_open,
};

int main(void)
{
	struct weft_fabric fab;
	struct fake_domain f;
	struct fi_cq_attr cq_attr = { .format = FI_CQ_FORMAT_DATA };
	struct fi_cntr_attr cntr_attr = { .events = FI_CNTR_EVENTS_COMP };
	struct fi_eq_attr eq_attr = { .wait_obj = FI_WAIT_UNSPEC };
	struct fi_av_attr av_attr = { .type = FI_AV_TABLE };
	struct fid_cq *cq;
	struct fid_cntr *cntr;
	struct fid_eq *eq;
	struct fid_av *av;
	struct fid_mr *mr;
	static char buf[64];

	CHECK_OK(weft_fabric_init(&fab, NULL, NULL, NULL, &fabric_ops));
	fake_domain_init(&f, FI_SOCKADDR_IN, FI_AV_TABLE, FI_MR_PROV_KEY, 8);
	f.dom.fabric = &fab;

	CHECK_OK(weft_cq_open(&f.dom.domain_fid, &cq_attr, &cq, NULL));
	CHECK_TABLE(cq->fid.ops);
	CHECK_TABLE(cq->ops);
	CHECK_OK(weft_cntr_open(&f.dom.domain_fid, &cntr_attr, &cntr, NULL));
	CHECK_TABLE(cntr->fid.ops);
	CHECK_TABLE(cntr->ops);
	CHECK_OK(weft_eq_open(&fab.fabric_fid, &eq_attr, &eq, NULL));
	CHECK_TABLE(eq->fid.ops);
	CHECK_TABLE(eq->ops);
	CHECK_OK(weft_av_open(&f.dom.domain_fid, &av_attr, &av, NULL));
	CHECK_TABLE(av->fid.ops);
	CHECK_TABLE(av->ops);
	CHECK_OK(weft_mr_reg(&f.dom.domain_fid.fid, buf, sizeof(buf),
			     FI_SEND | FI_RECV, 0, 0, 0, &mr, NULL));
	CHECK_TABLE(mr->fid.ops);

	CHECK_OK(fi_close(&mr->fid));
	CHECK_OK(fi_close(&av->fid));
	CHECK_OK(fi_close(&eq->fid));
	CHECK_OK(fi_close(&cntr->fid));
	CHECK_OK(fi_close(&cq->fid));
	fake_domain_fini(&f);
	CHECK_OK(weft_fabric_fini(&fab));
	return 0;
}
