/* A zero-initialised struct weft_domain with just what the AV and MR code
 * read (info->addr_format, domain_attr, threading, lock, mr_map, ref), so
 * unit tests can open AVs and MRs without a provider. Shared by the av_*
 * and mr_* tests (a header, since every .c under tests/unit becomes an executable). */
#ifndef WEFT_TEST_FAKE_DOMAIN_H
#define WEFT_TEST_FAKE_DOMAIN_H

#include <rdma/fi_domain.h>

#include "testlib.h"
#include "util/fabric.h"

struct fake_domain {
	struct weft_domain dom;
	struct fi_info info;
	struct fi_domain_attr attr;
};

static inline void fake_domain_init(struct fake_domain *f, uint32_t addr_format,
				    enum fi_av_type av_type, uint64_t mr_mode,
				    size_t key_size)
{
	memset(f, 0, sizeof(*f));
	f->info.addr_format = addr_format;
	f->info.domain_attr = &f->attr;
	f->attr.av_type = av_type;
	f->attr.mr_mode = (int)mr_mode;
	f->attr.mr_key_size = key_size;
	f->attr.threading = FI_THREAD_SAFE;
	f->dom.info = &f->info;
	f->dom.threading = FI_THREAD_SAFE;
	f->dom.mr_mode = mr_mode;
	f->dom.domain_fid.fid.fclass = FI_CLASS_DOMAIN;
	CHECK(weft_lock_init(&f->dom.lock, true) == 0);
	CHECK_OK(weft_mr_map_init(&f->dom.mr_map, mr_mode, key_size));
	atomic_init(&f->dom.ref, 0);
}

static inline void fake_domain_fini(struct fake_domain *f)
{
	CHECK(atomic_load(&f->dom.ref) == 0);
	weft_mr_map_fini(&f->dom.mr_map);
	weft_lock_destroy(&f->dom.lock);
}

#endif
