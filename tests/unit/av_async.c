/* FI_EVENT AVs: inserts before an EQ is bound fail with -FI_ENOEQ; once
 * bound, inserts return 0 and complete through the EQ: one error entry per
 * failed address (data = its index in the call, context = the call's), then
 * one FI_AV_COMPLETE whose data counts the addresses inserted. Also the
 * bind rules (flags, class, once) and that an AV without FI_EVENT stays
 * synchronous with an EQ bound. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <rdma/fi_eq.h>

#include "av_fake_domain.h"
#include "util/av.h"
#include "util/eq.h"

static struct sockaddr_in sin4(const char *ip, uint16_t port)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons(port);
	CHECK(inet_pton(AF_INET, ip, &s.sin_addr) == 1);
	return s;
}

int main(void)
{
	struct weft_fabric fab;
	struct fake_domain f;
	struct fi_eq_attr eq_attr = { .wait_obj = FI_WAIT_NONE };
	struct fi_av_attr attr = { .type = FI_AV_TABLE, .flags = FI_EVENT };
	struct fid_eq *eq, *eq2;
	struct fid_av *av, *sync_av;
	struct weft_av *wav;
	struct sockaddr_in a[3] = { sin4("1.1.1.1", 1), sin4("1.1.1.2", 2),
				    sin4("1.1.1.3", 3) };
	struct fi_eq_entry ev;
	struct fi_eq_err_entry err;
	fi_addr_t fa[3];
	uint32_t event;
	int ret;

	memset(&fab, 0, sizeof(fab));
	atomic_init(&fab.ref, 0);
	fake_domain_init(&f, FI_SOCKADDR_IN, FI_AV_TABLE, 0, 0);
	f.dom.fabric = &fab;
	ret = weft_eq_open(&fab.fabric_fid, &eq_attr, &eq, NULL);
	if (ret == -FI_ENOSYS)
		weft_test_skip("weft_eq_open not implemented yet");
	CHECK_OK(ret);

	CHECK_OK(weft_av_open(&f.dom.domain_fid, &attr, &av, NULL));
	wav = weft_av_of(av);
	CHECK_RET(fi_av_insert(av, a, 1, fa, 0, NULL), -FI_ENOEQ);

	CHECK_RET(fi_av_bind(av, &eq->fid, 1), -FI_EINVAL);
	CHECK_RET(fi_av_bind(av, &av->fid, 0), -FI_EINVAL);
	CHECK_OK(fi_av_bind(av, &eq->fid, 0));
	CHECK(atomic_load(&weft_eq_of(eq)->ref) == 1);
	CHECK_OK(weft_eq_open(&fab.fabric_fid, &eq_attr, &eq2, NULL));
	CHECK_RET(fi_av_bind(av, &eq2->fid, 0), -FI_EINVAL); /* already bound */
	/* The EQ is in use: fi_close of it should refuse. */
	CHECK(fi_close(&eq->fid) == -FI_EBUSY);

	/* Three addresses, the middle one bad. */
	a[1].sin_family = AF_INET6;
	CHECK_RET(fi_av_insert(av, a, 3, fa, 0, (void *)0xc0), 0);
	CHECK(fa[0] == 0 && fa[1] == FI_ADDR_NOTAVAIL && fa[2] == 1);
	/* FI_SYNC_ERR is for synchronous inserts only. */
	int errs[1];
	CHECK_RET(fi_av_insert(av, a, 1, fa, FI_SYNC_ERR, errs), -FI_EINVAL);

	/* The error comes first... */
	CHECK_RET(fi_eq_read(eq, &event, &ev, sizeof(ev), 0), -FI_EAVAIL);
	memset(&err, 0, sizeof(err));
	CHECK_RET(fi_eq_readerr(eq, &err, 0), sizeof(err));
	CHECK(err.fid == &av->fid && err.context == (void *)0xc0);
	CHECK(err.data == 1 && err.err == FI_EINVAL);
	/* ...then the completion, counting the two that went in. */
	CHECK_RET(fi_eq_read(eq, &event, &ev, sizeof(ev), 0), sizeof(ev));
	CHECK(event == FI_AV_COMPLETE);
	CHECK(ev.fid == &av->fid && ev.context == (void *)0xc0 && ev.data == 2);
	CHECK_RET(fi_eq_read(eq, &event, &ev, sizeof(ev), 0), -FI_EAGAIN);

	/* insertsvc goes the same way. */
	CHECK_RET(fi_av_insertsvc(av, "10.0.0.1", "77", fa, 0, (void *)0xd0), 0);
	CHECK_RET(fi_eq_read(eq, &event, &ev, sizeof(ev), 0), sizeof(ev));
	CHECK(event == FI_AV_COMPLETE && ev.context == (void *)0xd0 &&
	      ev.data == 1);
	CHECK(weft_av_addr(wav, fa[0]) != NULL);

	/* Zero addresses still complete once. */
	CHECK_RET(fi_av_insert(av, a, 0, fa, 0, (void *)0xe0), 0);
	CHECK_RET(fi_eq_read(eq, &event, &ev, sizeof(ev), 0), sizeof(ev));
	CHECK(event == FI_AV_COMPLETE && ev.data == 0);

	/* Without FI_EVENT an AV with an EQ bound stays synchronous. */
	attr.flags = 0;
	CHECK_OK(weft_av_open(&f.dom.domain_fid, &attr, &sync_av, NULL));
	CHECK_OK(fi_av_bind(sync_av, &eq2->fid, 0));
	a[1].sin_family = AF_INET;
	CHECK_RET(fi_av_insert(sync_av, a, 3, fa, 0, NULL), 3);
	CHECK_RET(fi_eq_read(eq2, &event, &ev, sizeof(ev), 0), -FI_EAGAIN);

	CHECK_OK(fi_close(&av->fid));
	CHECK_OK(fi_close(&sync_av->fid));
	CHECK(atomic_load(&weft_eq_of(eq)->ref) == 0);
	CHECK_OK(fi_close(&eq->fid));
	CHECK_OK(fi_close(&eq2->fid));
	fake_domain_fini(&f);
	return 0;
}
