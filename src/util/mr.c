/* Memory registration: the key map, fi_mr_reg/regv/regattr, the MR fid
 * (close, bind, enable, refresh) and the access checks of the data path.
 *
 * Locking: the map lives in the domain and is guarded by domain->lock;
 * registration and close take it, weft_mr_verify/weft_mr_find expect the
 * caller to hold it. A region's iovs, access and offset never change after
 * registration, so weft_mr_check_local needs no lock.
 */
#include <rdma/fi_eq.h>
#include <rdma/fi_errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/fid.h"
#include "util/cntr.h"
#include "util/ep.h"
#include "util/eq.h"
#include "util/fabric.h"
#include "util/mr.h"

#define MR_ACCESS_ALL                                                          \
	(FI_SEND | FI_RECV | FI_READ | FI_WRITE | FI_REMOTE_READ |             \
	 FI_REMOTE_WRITE | FI_COLLECTIVE)

/* ---- the key map --------------------------------------------------------- */

int weft_mr_map_init(struct weft_mr_map *map, uint64_t mr_mode, size_t key_size)
{
	struct weft_mr_map m;
	int ret;

	memset(&m, 0, sizeof(m));
	/* The pre-1.5 modes stand for sets of mode bits (fi_mr(3)). */
	if (mr_mode == FI_MR_BASIC)
		mr_mode = FI_MR_VIRT_ADDR | FI_MR_ALLOCATED | FI_MR_PROV_KEY |
			  FI_MR_LOCAL;
	else if (mr_mode == FI_MR_SCALABLE)
		mr_mode = 0;
	m.mr_mode = mr_mode;
	m.key_size = key_size && key_size < sizeof(uint64_t) ? key_size :
							      sizeof(uint64_t);
	/* Provider keys start at 1 so a zeroed key is never valid by luck. */
	m.next_key = 1;
	ret = weft_hash_init(&m.keys, 0);
	if (ret)
		return ret;
	*map = m;
	return 0;
}

void weft_mr_map_fini(struct weft_mr_map *map)
{
	weft_hash_fini(&map->keys);
}

struct weft_mr *weft_mr_find(struct weft_mr_map *map, uint64_t key)
{
	uint64_t v;

	if (!weft_hash_find(&map->keys, key, &v))
		return NULL;
	return (struct weft_mr *)(uintptr_t)v;
}

static bool key_fits(const struct weft_mr_map *map, uint64_t key)
{
	if (key == FI_KEY_NOTAVAIL)
		return false;
	return map->key_size >= sizeof(uint64_t) ||
	       key < ((uint64_t)1 << (8 * map->key_size));
}

/* Choose or claim the key and enter mr in the map. Under domain->lock. */
static int map_add(struct weft_mr_map *map, struct weft_mr *mr,
		   uint64_t requested_key)
{
	uint64_t key;
	int ret;

	if (map->mr_mode & FI_MR_PROV_KEY) {
		/* Next unused key, wrapping within key_size; keys start at 1.
		 * With a small key_size the space can fill up: then no key. */
		uint64_t space = map->key_size >= sizeof(uint64_t) ?
					 UINT64_MAX - 1 :
					 ((uint64_t)1 << (8 * map->key_size)) - 1;
		if (weft_hash_count(&map->keys) >= space)
			return -FI_ENOKEY;
		for (;;) {
			key = map->next_key++;
			if (!key_fits(map, key) || key == 0) {
				map->next_key = 1;
				continue;
			}
			if (!weft_mr_find(map, key))
				break;
		}
	} else {
		key = requested_key;
		if (!key_fits(map, key))
			return -FI_EKEYREJECTED;
		if (weft_mr_find(map, key))
			return -FI_ENOKEY;
	}
	ret = weft_hash_insert(&map->keys, key, (uintptr_t)mr);
	if (ret)
		return ret;
	mr->mr_fid.key = key;
	return 0;
}

/* ---- the data-path checks ------------------------------------------------ */

static int emit(struct iovec *out, size_t cap, size_t *n, void *base,
		size_t len)
{
	if (out) {
		if (*n == cap)
			return -FI_E2BIG;
		out[*n].iov_base = base;
		out[*n].iov_len = len;
	}
	(*n)++;
	return 0;
}

/* FI_MR_VIRT_ADDR: each piece of [addr, addr+len) must lie in some iov at
 * its own virtual address; pieces may continue into another iov that
 * starts exactly where the previous one ended. */
static int resolve_virt(const struct weft_mr *mr, uint64_t addr, size_t len,
			struct iovec *out, size_t cap, size_t *n)
{
	while (len) {
		size_t i, piece;
		uint64_t base = 0, end = 0;
		int ret;

		for (i = 0; i < mr->iov_count; i++) {
			base = (uintptr_t)mr->iov[i].iov_base;
			end = base + mr->iov[i].iov_len; /* no wrap: checked at reg */
			if (addr >= base && addr < end)
				break;
		}
		if (i == mr->iov_count)
			return -FI_EINVAL;
		piece = end - addr < len ? (size_t)(end - addr) : len;
		ret = emit(out, cap, n, (char *)mr->iov[i].iov_base +
						(addr - base), piece);
		if (ret)
			return ret;
		addr += piece;
		len -= piece;
	}
	return 0;
}

/* Offset addressing: the iovs in order form [0, mr->len). */
static int resolve_offset(const struct weft_mr *mr, uint64_t pos, size_t len,
			  struct iovec *out, size_t cap, size_t *n)
{
	if (pos > mr->len || len > mr->len - pos)
		return -FI_EINVAL;
	for (size_t i = 0; i < mr->iov_count && len; i++) {
		size_t ilen = mr->iov[i].iov_len, piece;
		int ret;

		if (pos >= ilen) {
			pos -= ilen;
			continue;
		}
		piece = ilen - pos < len ? ilen - pos : len;
		ret = emit(out, cap, n, (char *)mr->iov[i].iov_base + pos,
			   piece);
		if (ret)
			return ret;
		pos = 0;
		len -= piece;
	}
	return 0;
}

int weft_mr_verify(struct weft_mr_map *map, uint64_t key, uint64_t addr,
		   size_t len, uint64_t access, struct iovec *out,
		   size_t *out_count)
{
	struct weft_mr *mr;
	size_t n = 0, cap;
	int ret;

	if (!map || !out_count)
		return -FI_EINVAL;
	cap = *out_count;
	mr = weft_mr_find(map, key);
	if (!mr || !mr->enabled)
		return -FI_EKEYREJECTED;
	if ((mr->access & access) != access)
		return -FI_EACCES;
	/* [addr, addr + len) must not wrap around the address space. */
	if (len && len - 1 > UINT64_MAX - addr)
		return -FI_EINVAL;
	if (map->mr_mode & FI_MR_VIRT_ADDR) {
		ret = resolve_virt(mr, addr, len, out, cap, &n);
	} else {
		if (addr < mr->offset)
			return -FI_EINVAL;
		ret = resolve_offset(mr, addr - mr->offset, len, out, cap, &n);
	}
	if (ret)
		return ret;
	*out_count = n;
	return 0;
}

void weft_mr_count_access(struct weft_mr_map *map, uint64_t key,
			  uint64_t access)
{
	struct weft_mr *mr = weft_mr_find(map, key);

	if (mr && mr->cntr && (mr->cntr_flags & access))
		weft_cntr_inc(mr->cntr);
}

int weft_mr_check_local(const struct weft_mr *mr, const void *buf, size_t len,
			uint64_t access)
{
	uint64_t addr = (uintptr_t)buf;

	if (!mr || mr->mr_fid.fid.fclass != FI_CLASS_MR)
		return -FI_EINVAL;
	if (access && (mr->access & access) != access)
		return -FI_EACCES;
	if (len && len - 1 > UINT64_MAX - addr)
		return -FI_EINVAL;
	/* Local buffers are plain virtual addresses whatever the mode; a
	 * descriptor covers one buffer, so it must fit in a single iov. */
	for (size_t i = 0; i < mr->iov_count; i++) {
		uint64_t base = (uintptr_t)mr->iov[i].iov_base;
		if (addr >= base && addr - base <= mr->iov[i].iov_len &&
		    len <= mr->iov[i].iov_len - (addr - base))
			return 0;
	}
	return -FI_EINVAL;
}

/* ---- the MR fid ---------------------------------------------------------- */

static struct weft_mr *mr_of_fid(struct fid *fid)
{
	if (!fid || fid->fclass != FI_CLASS_MR)
		return NULL;
	return weft_container_of(fid, struct weft_mr, mr_fid.fid);
}

static void mr_free(struct weft_mr *mr)
{
	free(mr->iov);
	free(mr);
}

static int mr_close(struct fid *fid)
{
	struct weft_mr *mr = mr_of_fid(fid);
	struct weft_domain *dom;

	if (!mr)
		return -FI_EINVAL;
	dom = mr->domain;
	weft_lock_acquire(&dom->lock);
	weft_hash_remove(&dom->mr_map.keys, mr->mr_fid.key, (uintptr_t)mr);
	if (mr->cntr)
		atomic_fetch_sub(&mr->cntr->ref, 1);
	weft_lock_release(&dom->lock);
	atomic_fetch_sub(&dom->ref, 1);
	mr->mr_fid.fid.fclass = FI_CLASS_UNSPEC;
	mr_free(mr);
	return 0;
}

static int mr_bind(struct fid *fid, struct fid *bfid, uint64_t flags)
{
	struct weft_mr *mr = mr_of_fid(fid);
	struct weft_domain *dom;
	int ret = 0;

	if (!mr || !bfid)
		return -FI_EINVAL;
	dom = mr->domain;
	weft_lock_acquire(&dom->lock);
	/* fi_mr(3): no bindings once fi_mr_enable has run. */
	if (mr->needs_enable && mr->enabled) {
		ret = -FI_EBUSY;
		goto out;
	}
	switch (bfid->fclass) {
	case FI_CLASS_CNTR: {
		struct weft_cntr *cntr = weft_container_of(bfid, struct weft_cntr,
							   cntr_fid.fid);
		if (!flags || (flags & ~(FI_REMOTE_WRITE | FI_REMOTE_READ)) ||
		    cntr->domain != dom || mr->cntr) {
			ret = -FI_EINVAL;
			break;
		}
		mr->cntr = cntr;
		mr->cntr_flags = flags;
		atomic_fetch_add(&cntr->ref, 1);
		break;
	}
	case FI_CLASS_EP: {
		struct weft_ep *ep = weft_container_of(bfid, struct weft_ep,
						       ep_fid.fid);
		if (flags || ep->domain != dom) {
			ret = -FI_EINVAL;
			break;
		}
		mr->ep = ep;
		break;
	}
	default:
		ret = -FI_EINVAL;
		break;
	}
out:
	weft_lock_release(&dom->lock);
	return ret;
}

static int mr_control(struct fid *fid, int command, void *arg)
{
	struct weft_mr *mr = mr_of_fid(fid);
	int ret = 0;

	if (!mr)
		return -FI_EINVAL;
	switch (command) {
	case FI_ENABLE:
		weft_lock_acquire(&mr->domain->lock);
		if ((mr->domain->mr_map.mr_mode & FI_MR_ENDPOINT) && !mr->ep)
			ret = -FI_EINVAL; /* fi_mr(3): bind an endpoint first */
		else
			mr->enabled = true;
		weft_lock_release(&mr->domain->lock);
		return ret;
	case FI_REFRESH:
		/* Software providers read memory through the page tables
		 * directly: there is nothing to re-pin. */
		return arg ? 0 : -FI_EINVAL;
	default:
		/* FI_GET_RAW_MR (fi_mr_raw_attr) among others. */
		return -FI_ENOSYS;
	}
}

static struct fi_ops mr_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = mr_close,
	.bind = mr_bind,
	.control = mr_control,
	.ops_open = weft_fid_ops_open_none,
	.tostr = weft_fid_tostr_none,
	.ops_set = weft_fid_ops_set_none,
};

/* ---- registration -------------------------------------------------------- */

static struct weft_domain *domain_of_fid(struct fid *fid)
{
	if (!fid || fid->fclass != FI_CLASS_DOMAIN)
		return NULL;
	return weft_container_of(fid, struct weft_domain, domain_fid.fid);
}

static int mr_register(struct weft_domain *dom, const struct fi_mr_attr *attr,
		       uint64_t flags, struct fid_mr **mr_out)
{
	const struct fi_domain_attr *da =
		dom->info ? dom->info->domain_attr : NULL;
	uint64_t mode = dom->mr_map.mr_mode;
	struct weft_mr *mr;
	size_t total = 0;
	int ret;

	if (!mr_out || !attr || !attr->iov_count || !attr->mr_iov)
		return -FI_EINVAL;
	if (attr->access & ~MR_ACCESS_ALL)
		return -FI_EINVAL;
	if (flags & ~FI_RMA_EVENT)
		return -FI_EBADFLAGS;
	if (da && da->mr_iov_limit && attr->iov_count > da->mr_iov_limit)
		return -FI_EINVAL;
	/* Only host memory; the field counts only with FI_HMEM. */
	if (dom->info && (dom->info->caps & FI_HMEM) &&
	    attr->iface != FI_HMEM_SYSTEM)
		return -FI_EOPNOTSUPP;
	if (attr->auth_key_size)
		return -FI_EINVAL; /* no per-region authorization keys */
	for (size_t i = 0; i < attr->iov_count; i++) {
		uint64_t base = (uintptr_t)attr->mr_iov[i].iov_base;
		size_t len = attr->mr_iov[i].iov_len;

		/* A NULL base is a bug, not a range anyone means to expose;
		 * ranges must not wrap, so verify's end arithmetic is exact. */
		if (len && (!base || len - 1 > UINT64_MAX - base))
			return -FI_EINVAL;
		if (__builtin_add_overflow(total, len, &total))
			return -FI_EINVAL;
	}
	if (!total)
		return -FI_EINVAL; /* fi_mr(3): len must be > 0 */

	mr = calloc(1, sizeof(*mr));
	if (!mr)
		return -FI_ENOMEM;
	mr->iov = calloc(attr->iov_count, sizeof(*mr->iov));
	if (!mr->iov) {
		free(mr);
		return -FI_ENOMEM;
	}
	memcpy(mr->iov, attr->mr_iov, attr->iov_count * sizeof(*mr->iov));
	mr->iov_count = attr->iov_count;
	mr->len = total;
	mr->domain = dom;
	mr->access = attr->access;
	mr->flags = flags;
	mr->offset = (mode & FI_MR_VIRT_ADDR) ?
			     (uintptr_t)attr->mr_iov[0].iov_base :
			     attr->offset;
	mr->needs_enable = (mode & FI_MR_ENDPOINT) ||
			   ((mode & FI_MR_RMA_EVENT) && (flags & FI_RMA_EVENT));
	mr->enabled = !mr->needs_enable;
	mr->mr_fid.fid.fclass = FI_CLASS_MR;
	mr->mr_fid.fid.context = attr->context;
	mr->mr_fid.fid.ops = &mr_fi_ops;
	mr->mr_fid.mem_desc = mr;

	weft_lock_acquire(&dom->lock);
	ret = map_add(&dom->mr_map, mr, attr->requested_key);
	weft_lock_release(&dom->lock);
	if (ret) {
		mr_free(mr);
		return ret;
	}
	atomic_fetch_add(&dom->ref, 1);
	/* fi_mr(3): *mr is written before the event can be read. */
	*mr_out = &mr->mr_fid;
	if (dom->eq && (dom->eq_flags & FI_REG_MR)) {
		struct fi_eq_entry ev = {
			.fid = &mr->mr_fid.fid,
			.context = attr->context,
		};
		(void)weft_eq_write_event(dom->eq, FI_MR_COMPLETE, &ev,
					  sizeof(ev), 0);
	}
	return 0;
}

int weft_mr_regattr(struct fid *fid, const struct fi_mr_attr *attr,
		    uint64_t flags, struct fid_mr **mr)
{
	struct weft_domain *dom = domain_of_fid(fid);

	if (!dom)
		return -FI_EINVAL;
	return mr_register(dom, attr, flags, mr);
}

int weft_mr_regv(struct fid *fid, const struct iovec *iov, size_t count,
		 uint64_t access, uint64_t offset, uint64_t requested_key,
		 uint64_t flags, struct fid_mr **mr, void *context)
{
	struct fi_mr_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.mr_iov = iov;
	attr.iov_count = count;
	attr.access = access;
	attr.offset = offset;
	attr.requested_key = requested_key;
	attr.context = context;
	attr.iface = FI_HMEM_SYSTEM;
	return weft_mr_regattr(fid, &attr, flags, mr);
}

int weft_mr_reg(struct fid *fid, const void *buf, size_t len, uint64_t access,
		uint64_t offset, uint64_t requested_key, uint64_t flags,
		struct fid_mr **mr, void *context)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return weft_mr_regv(fid, &iov, 1, access, offset, requested_key,
			    flags, mr, context);
}
