/* Memory registration through the fi_ops_mr entries: requested keys
 * (taken -> -FI_ENOKEY, too wide for mr_key_size -> -FI_EKEYREJECTED),
 * provider keys (FI_MR_PROV_KEY, FI_MR_BASIC), argument and access-bit
 * validation, fi_mr_desc/fi_mr_key, close removing the key, domain
 * references, the FI_MR_RMA_EVENT and FI_MR_ENDPOINT enable flows with
 * counter/endpoint binding, refresh, raw keys (-FI_ENOSYS), and
 * FI_MR_COMPLETE events with a domain EQ bound with FI_REG_MR. */
#include <rdma/fi_eq.h>

#include "av_fake_domain.h"
#include "util/cntr.h"
#include "util/ep.h"
#include "util/eq.h"
#include "util/mr.h"

static char buf[4096];

static struct fid_mr *reg(struct fake_domain *f, uint64_t access, uint64_t key,
			  uint64_t flags)
{
	struct fid_mr *mr = NULL;

	CHECK_OK(weft_mr_reg(&f->dom.domain_fid.fid, buf, sizeof(buf), access,
			     0, key, flags, &mr, (void *)0x77));
	CHECK(mr && mr->fid.fclass == FI_CLASS_MR && mr->fid.context == (void *)0x77);
	return mr;
}

static void test_requested_keys(void)
{
	struct fake_domain f;
	struct fid_mr *m1, *m2, *out = (struct fid_mr *)0x1;
	struct iovec iov[2] = { { buf, 10 }, { buf + 100, 20 } };
	struct fi_mr_attr attr;

	fake_domain_init(&f, FI_SOCKADDR_IN, FI_AV_TABLE, 0, 2);
	m1 = reg(&f, FI_REMOTE_READ, 5, 0);
	CHECK(fi_mr_key(m1) == 5);
	CHECK(fi_mr_desc(m1) == weft_container_of(m1, struct weft_mr, mr_fid));
	CHECK(weft_mr_find(&f.dom.mr_map, 5) == fi_mr_desc(m1));
	CHECK(atomic_load(&f.dom.ref) == 1);

	/* Taken key; key wider than the 2-byte mr_key_size; FI_KEY_NOTAVAIL. */
	CHECK_RET(weft_mr_reg(&f.dom.domain_fid.fid, buf, 1, FI_READ, 0, 5, 0,
			      &out, NULL), -FI_ENOKEY);
	CHECK_RET(weft_mr_reg(&f.dom.domain_fid.fid, buf, 1, FI_READ, 0, 0x10000,
			      0, &out, NULL), -FI_EKEYREJECTED);
	CHECK_RET(weft_mr_reg(&f.dom.domain_fid.fid, buf, 1, FI_READ, 0,
			      FI_KEY_NOTAVAIL, 0, &out, NULL), -FI_EKEYREJECTED);
	CHECK(out == (struct fid_mr *)0x1);

	/* regv and regattr. */
	CHECK_OK(weft_mr_regv(&f.dom.domain_fid.fid, iov, 2, FI_REMOTE_WRITE, 0,
			      0xffff, 0, &m2, NULL));
	CHECK(fi_mr_key(m2) == 0xffff);
	CHECK(weft_container_of(m2, struct weft_mr, mr_fid)->len == 30);
	CHECK_OK(fi_close(&m2->fid));
	memset(&attr, 0, sizeof(attr));
	attr.mr_iov = iov;
	attr.iov_count = 2;
	attr.access = FI_SEND | FI_RECV;
	attr.requested_key = 0xffff; /* free again after close */
	attr.context = (void *)0x99;
	CHECK_OK(weft_mr_regattr(&f.dom.domain_fid.fid, &attr, 0, &m2));
	CHECK(m2->fid.context == (void *)0x99 && fi_mr_key(m2) == 0xffff);

	/* Bad arguments. */
	CHECK_RET(weft_mr_reg(&f.dom.domain_fid.fid, buf, 0, FI_READ, 0, 9, 0,
			      &out, NULL), -FI_EINVAL); /* len 0 */
	CHECK_RET(weft_mr_reg(&f.dom.domain_fid.fid, buf, 1, FI_READ | FI_TAGGED,
			      0, 9, 0, &out, NULL), -FI_EINVAL); /* access bit */
	CHECK_RET(weft_mr_reg(&f.dom.domain_fid.fid, buf, 1, FI_READ, 0, 9,
			      FI_MORE, &out, NULL), -FI_EBADFLAGS);
	CHECK_RET(weft_mr_reg(&f.dom.domain_fid.fid, buf, 1, FI_READ, 0, 9, 0,
			      NULL, NULL), -FI_EINVAL);
	CHECK_RET(weft_mr_reg(&m1->fid, buf, 1, FI_READ, 0, 9, 0, &out, NULL),
		  -FI_EINVAL); /* not a domain */
	CHECK_RET(weft_mr_reg(NULL, buf, 1, FI_READ, 0, 9, 0, &out, NULL),
		  -FI_EINVAL);
	CHECK_RET(weft_mr_regv(&f.dom.domain_fid.fid, iov, 0, FI_READ, 0, 9, 0,
			      &out, NULL), -FI_EINVAL);
	CHECK_RET(weft_mr_regv(&f.dom.domain_fid.fid, NULL, 1, FI_READ, 0, 9, 0,
			      &out, NULL), -FI_EINVAL);
	CHECK_RET(weft_mr_reg(&f.dom.domain_fid.fid, NULL, 8, FI_READ, 0, 9, 0,
			      &out, NULL), -FI_EINVAL); /* NULL buffer */
	/* A range that wraps around the address space. */
	CHECK_RET(weft_mr_reg(&f.dom.domain_fid.fid, (void *)(UINTPTR_MAX - 3),
			      8, FI_READ, 0, 9, 0, &out, NULL), -FI_EINVAL);
	/* mr_iov_limit is honoured. */
	f.attr.mr_iov_limit = 1;
	CHECK_RET(weft_mr_regv(&f.dom.domain_fid.fid, iov, 2, FI_READ, 0, 9, 0,
			      &out, NULL), -FI_EINVAL);
	CHECK(out == (struct fid_mr *)0x1);
	/* Raw keys are not offered. */
	uint64_t base;
	uint8_t raw[8];
	size_t rsize = sizeof(raw);
	CHECK_RET(fi_mr_raw_attr(m1, &base, raw, &rsize, 0), -FI_ENOSYS);

	CHECK_OK(fi_close(&m1->fid));
	CHECK(weft_mr_find(&f.dom.mr_map, 5) == NULL);
	CHECK_OK(fi_close(&m2->fid));
	fake_domain_fini(&f);
}

static void test_prov_keys(void)
{
	struct fake_domain f;
	struct fid_mr *m[3];

	fake_domain_init(&f, FI_SOCKADDR_IN, FI_AV_TABLE, FI_MR_PROV_KEY, 0);
	for (int i = 0; i < 3; i++)
		m[i] = reg(&f, FI_REMOTE_READ, 1234 /* ignored */, 0);
	CHECK(fi_mr_key(m[0]) != fi_mr_key(m[1]));
	CHECK(fi_mr_key(m[1]) != fi_mr_key(m[2]));
	CHECK(fi_mr_key(m[0]) != fi_mr_key(m[2]));
	for (int i = 0; i < 3; i++) {
		CHECK(weft_mr_find(&f.dom.mr_map, fi_mr_key(m[i])) ==
		      fi_mr_desc(m[i]));
		CHECK_OK(fi_close(&m[i]->fid));
	}
	fake_domain_fini(&f);

	/* FI_MR_BASIC means provider keys and virtual addresses. */
	fake_domain_init(&f, FI_SOCKADDR_IN, FI_AV_TABLE, FI_MR_BASIC, 0);
	CHECK(f.dom.mr_map.mr_mode & FI_MR_PROV_KEY);
	CHECK(f.dom.mr_map.mr_mode & FI_MR_VIRT_ADDR);
	m[0] = reg(&f, FI_REMOTE_READ, 0, 0);
	m[1] = reg(&f, FI_REMOTE_READ, 0, 0);
	CHECK(fi_mr_key(m[0]) != fi_mr_key(m[1]));
	CHECK_OK(fi_close(&m[0]->fid));
	CHECK_OK(fi_close(&m[1]->fid));
	fake_domain_fini(&f);

	/* One-byte keys: provider keys wrap and skip the ones in use. */
	fake_domain_init(&f, FI_SOCKADDR_IN, FI_AV_TABLE, FI_MR_PROV_KEY, 1);
	static struct fid_mr *many[255];
	for (int i = 0; i < 255; i++) {
		many[i] = reg(&f, FI_REMOTE_READ, 0, 0);
		CHECK(fi_mr_key(many[i]) >= 1 && fi_mr_key(many[i]) <= 255);
	}
	struct fid_mr *none = (struct fid_mr *)0x1;
	CHECK_RET(weft_mr_reg(&f.dom.domain_fid.fid, buf, 1, FI_READ, 0, 0, 0,
			      &none, NULL), -FI_ENOKEY); /* key space full */
	CHECK(none == (struct fid_mr *)0x1);
	CHECK_OK(fi_close(&many[100]->fid));
	many[100] = reg(&f, FI_REMOTE_READ, 0, 0);
	CHECK(weft_mr_find(&f.dom.mr_map, fi_mr_key(many[100])) ==
	      fi_mr_desc(many[100]));
	for (int i = 0; i < 255; i++)
		CHECK_OK(fi_close(&many[i]->fid));
	fake_domain_fini(&f);
}

static void test_enable_flows(void)
{
	struct fake_domain f, other;
	struct weft_cntr cntr;
	struct weft_ep ep;
	struct fid_mr *mr;
	struct iovec out[1];
	size_t n = 1;

	memset(&cntr, 0, sizeof(cntr));
	memset(&ep, 0, sizeof(ep));

	/* FI_MR_RMA_EVENT + FI_RMA_EVENT: disabled until fi_mr_enable, bind
	 * before, not after. */
	fake_domain_init(&f, FI_SOCKADDR_IN, FI_AV_TABLE, FI_MR_RMA_EVENT, 0);
	fake_domain_init(&other, FI_SOCKADDR_IN, FI_AV_TABLE, 0, 0);
	cntr.cntr_fid.fid.fclass = FI_CLASS_CNTR;
	cntr.domain = &f.dom;
	atomic_init(&cntr.ref, 0);
	mr = reg(&f, FI_REMOTE_WRITE, 1, FI_RMA_EVENT);
	CHECK_RET(weft_mr_verify(&f.dom.mr_map, 1, 0, 8, FI_REMOTE_WRITE, out, &n),
		  -FI_EKEYREJECTED);
	CHECK_RET(fi_mr_bind(mr, &cntr.cntr_fid.fid, FI_SEND), -FI_EINVAL);
	CHECK_RET(fi_mr_bind(mr, &cntr.cntr_fid.fid, 0), -FI_EINVAL);
	cntr.domain = &other.dom;
	CHECK_RET(fi_mr_bind(mr, &cntr.cntr_fid.fid, FI_REMOTE_WRITE), -FI_EINVAL);
	cntr.domain = &f.dom;
	CHECK_OK(fi_mr_bind(mr, &cntr.cntr_fid.fid, FI_REMOTE_WRITE));
	CHECK(atomic_load(&cntr.ref) == 1);
	CHECK(weft_container_of(mr, struct weft_mr, mr_fid)->cntr == &cntr);
	CHECK_RET(fi_mr_bind(mr, &cntr.cntr_fid.fid, FI_REMOTE_WRITE), -FI_EINVAL);
	CHECK_OK(fi_mr_enable(mr));
	CHECK_OK(weft_mr_verify(&f.dom.mr_map, 1, 0, 8, FI_REMOTE_WRITE, out, &n));
	CHECK(n == 1 && out[0].iov_base == buf && out[0].iov_len == 8);
	CHECK_RET(fi_mr_bind(mr, &cntr.cntr_fid.fid, FI_REMOTE_WRITE), -FI_EBUSY);
	CHECK_OK(fi_mr_refresh(mr, NULL, 0, 0));
	CHECK_RET(fi_control(&mr->fid, 12345, NULL), -FI_ENOSYS);
	CHECK_OK(fi_close(&mr->fid));
	CHECK(atomic_load(&cntr.ref) == 0);
	/* Without FI_RMA_EVENT at registration the region starts enabled. */
	mr = reg(&f, FI_REMOTE_WRITE, 2, 0);
	n = 1;
	CHECK_OK(weft_mr_verify(&f.dom.mr_map, 2, 0, 8, FI_REMOTE_WRITE, out, &n));
	CHECK_OK(fi_close(&mr->fid));
	fake_domain_fini(&f);

	/* FI_MR_ENDPOINT: enable needs an endpoint bound first. */
	fake_domain_init(&f, FI_SOCKADDR_IN, FI_AV_TABLE, FI_MR_ENDPOINT, 0);
	ep.ep_fid.fid.fclass = FI_CLASS_EP;
	ep.domain = &f.dom;
	mr = reg(&f, FI_REMOTE_READ, 3, 0);
	CHECK_RET(fi_mr_enable(mr), -FI_EINVAL);
	CHECK_RET(fi_mr_bind(mr, &ep.ep_fid.fid, FI_REMOTE_READ), -FI_EINVAL);
	CHECK_OK(fi_mr_bind(mr, &ep.ep_fid.fid, 0));
	n = 1;
	CHECK_RET(weft_mr_verify(&f.dom.mr_map, 3, 0, 8, FI_REMOTE_READ, out, &n),
		  -FI_EKEYREJECTED);
	CHECK_OK(fi_mr_enable(mr));
	CHECK_OK(weft_mr_verify(&f.dom.mr_map, 3, 0, 8, FI_REMOTE_READ, out, &n));
	CHECK_OK(fi_close(&mr->fid));
	fake_domain_fini(&f);
	fake_domain_fini(&other);
}

/* A real counter (weft_cntr_open on the fake domain) counts the remote
 * accesses the region was bound for, and only those. */
static void test_rma_event_counter(void)
{
	struct fake_domain f;
	struct fi_cntr_attr cattr = { .events = FI_CNTR_EVENTS_COMP,
				      .wait_obj = FI_WAIT_NONE };
	struct fid_cntr *cntr;
	struct fid_mr *mr;

	fake_domain_init(&f, FI_SOCKADDR_IN, FI_AV_TABLE, FI_MR_RMA_EVENT, 0);
	CHECK_OK(weft_cntr_open(&f.dom.domain_fid, &cattr, &cntr, NULL));
	mr = reg(&f, FI_REMOTE_WRITE | FI_REMOTE_READ, 5, FI_RMA_EVENT);
	CHECK_OK(fi_mr_bind(mr, &cntr->fid, FI_REMOTE_WRITE));
	CHECK_OK(fi_mr_enable(mr));
	weft_mr_count_access(&f.dom.mr_map, 5, FI_REMOTE_WRITE);
	weft_mr_count_access(&f.dom.mr_map, 5, FI_REMOTE_WRITE);
	weft_mr_count_access(&f.dom.mr_map, 5, FI_REMOTE_READ); /* not bound */
	weft_mr_count_access(&f.dom.mr_map, 6, FI_REMOTE_WRITE); /* no key */
	CHECK(fi_cntr_read(cntr) == 2);
	CHECK_RET(fi_close(&cntr->fid), -FI_EBUSY); /* the MR holds it */
	CHECK_OK(fi_close(&mr->fid));
	CHECK_OK(fi_close(&cntr->fid));
	fake_domain_fini(&f);
}

static void test_async_reg(void)
{
	struct weft_fabric fab;
	struct fake_domain f;
	struct fi_eq_attr eq_attr = { .wait_obj = FI_WAIT_NONE };
	struct fid_eq *eq;
	struct fid_mr *mr;
	struct fi_eq_entry ev;
	uint32_t event;
	int ret;

	memset(&fab, 0, sizeof(fab));
	atomic_init(&fab.ref, 0);
	fake_domain_init(&f, FI_SOCKADDR_IN, FI_AV_TABLE, 0, 0);
	f.dom.fabric = &fab;
	ret = weft_eq_open(&fab.fabric_fid, &eq_attr, &eq, NULL);
	if (ret == -FI_ENOSYS) {
		fake_domain_fini(&f);
		return;
	}
	CHECK_OK(ret);
	f.dom.eq = weft_eq_of(eq);
	f.dom.eq_flags = FI_REG_MR;
	mr = reg(&f, FI_REMOTE_READ, 44, 0);
	CHECK_RET(fi_eq_read(eq, &event, &ev, sizeof(ev), 0), sizeof(ev));
	CHECK(event == FI_MR_COMPLETE && ev.fid == &mr->fid &&
	      ev.context == (void *)0x77);
	/* A failed registration queues nothing. */
	CHECK_RET(weft_mr_reg(&f.dom.domain_fid.fid, buf, 1, FI_READ, 0, 44, 0,
			      &mr, NULL), -FI_ENOKEY);
	CHECK_RET(fi_eq_read(eq, &event, &ev, sizeof(ev), 0), -FI_EAGAIN);
	CHECK_OK(fi_close(&mr->fid));
	f.dom.eq = NULL;
	CHECK_OK(fi_close(&eq->fid));
	fake_domain_fini(&f);
}

int main(void)
{
	test_requested_keys();
	test_prov_keys();
	test_enable_flows();
	test_rma_event_counter();
	test_async_reg();
	return 0;
}
