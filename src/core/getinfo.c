/* fi_getinfo, fi_fabric, fi_version: the entry points that pick providers.
 *
 * fi_getinfo runs the shared matcher (info_match.c) over every enabled
 * provider's templates in registry order, lets the provider's fixup hook
 * fill per-call fields (addresses, interface names, one info per
 * interface), then keeps the results whose names match the hints.
 */
#include <stdlib.h>
#include <string.h>

#include <rdma/fabric.h>
#include <rdma/fi_errno.h>
#include <rdma/providers/fi_log.h>

#include "core/core.h"

#define WEFT_GETINFO_FLAGS (FI_NUMERICHOST | FI_SOURCE | FI_PROV_ATTR_ONLY)

static int is_sockaddr_format(uint32_t fmt)
{
	return fmt == FI_SOCKADDR || fmt == FI_SOCKADDR_IN ||
	       fmt == FI_SOCKADDR_IN6;
}

static int check_args(uint32_t version, const char *node, const char *service,
		      uint64_t flags, const struct fi_info *hints,
		      struct fi_info **info)
{
	if (!info)
		return -FI_EINVAL;
	/* Like libfabric, a version newer than the library is "not
	 * implemented" (applications retry with an older one); a version
	 * that never existed is invalid. */
	if (FI_MAJOR(version) < 1)
		return -FI_EINVAL;
	if (version > WEFT_FI_VERSION)
		return -FI_ENOSYS;
	if (flags & ~WEFT_GETINFO_FLAGS)
		return -FI_EINVAL;
	/* fi_getinfo(3): with FI_SOURCE, node and/or service must be given. */
	if ((flags & FI_SOURCE) && !node && !service)
		return -FI_EINVAL;
	if (hints && ((hints->src_addr && !hints->src_addrlen) ||
		      (hints->dest_addr && !hints->dest_addrlen)))
		return -FI_EINVAL;
	return 0;
}

/* FI_PROV_ATTR_ONLY: one all-default info per provider, naming it. */
static int prov_attr_info(const struct weft_prov_desc *d, uint32_t version,
			  struct fi_info **out)
{
	struct fi_info *info = weft_info_alloc();

	if (!info)
		return -FI_ENOMEM;
	info->fabric_attr->prov_name = strdup(d->prov->name);
	if (!info->fabric_attr->prov_name) {
		weft_fi_freeinfo(info);
		return -FI_ENOMEM;
	}
	info->fabric_attr->prov_version = d->prov->version;
	info->fabric_attr->api_version = version;
	*out = info;
	return 0;
}

/* Match one template and run the provider's fixup. On success *head is
 * the chain of results (possibly several, possibly none after the name
 * filter). */
static int getinfo_one(const struct weft_prov_desc *d,
		       const struct fi_info *tmpl, uint32_t version,
		       const char *node, const char *service, uint64_t flags,
		       const struct fi_info *hints, struct fi_info **head)
{
	struct fi_info *m, *last, *cur, *next, *keep = NULL, **tail = &keep;
	int ret;

	ret = weft_info_match(version, d->prov, tmpl, hints, &m);
	if (ret)
		return ret;
	last = m;
	if (d->fixup)
		ret = d->fixup(version, node, service, flags, hints, m, &last);
	else if (is_sockaddr_format(m->addr_format))
		ret = weft_info_resolve_sockaddr(node, service, flags, hints,
						 m);
	if (ret) {
		/* On failure the hook owns nothing: the chain from m is
		 * ours to free. */
		weft_fi_freeinfo(m);
		return ret;
	}
	/* The fixup may have named the fabric and domain (per interface):
	 * only now can the hint names be compared. */
	for (cur = m; cur; cur = next) {
		next = cur->next;
		cur->next = NULL;
		if (weft_info_names_match(cur, hints)) {
			*tail = cur;
			tail = &cur->next;
		} else {
			weft_fi_freeinfo(cur);
		}
	}
	*head = keep;
	return 0;
}

int weft_getinfo_descs(const struct weft_prov_desc *const *descs, size_t n,
		       uint32_t version, const char *node, const char *service,
		       uint64_t flags, const struct fi_info *hints,
		       struct fi_info **info)
{
	struct fi_info *list = NULL, **tail = &list, *got;
	int ret, first_err = 0;

	ret = check_args(version, node, service, flags, hints, info);
	if (ret)
		return ret;

	for (size_t i = 0; i < n; i++) {
		const struct weft_prov_desc *d = descs[i];

		if (flags & FI_PROV_ATTR_ONLY) {
			const struct fi_fabric_attr *fa =
				hints ? hints->fabric_attr : NULL;
			const char *want = fa ? fa->prov_name : NULL;

			if (want && !weft_prov_name_match(want, d->prov->name,
							  NULL))
				continue;
			ret = prov_attr_info(d, version, &got);
			if (ret)
				goto err;
			*tail = got;
			tail = &got->next;
			continue;
		}
		for (const struct fi_info *const *t = d->infos; *t; t++) {
			got = NULL;
			ret = getinfo_one(d, *t, version, node, service, flags,
					  hints, &got);
			if (ret == -FI_ENOMEM)
				goto err;
			if (ret && ret != -FI_ENODATA) {
				FI_INFO(&weft_core_prov, FI_LOG_CORE,
					"%s: %s\n", d->prov->name,
					fi_strerror(-ret));
				if (!first_err)
					first_err = ret;
				continue;
			}
			while (got) {
				*tail = got;
				tail = &got->next;
				got = got->next;
			}
		}
	}
	if (!list) {
		/* fi_getinfo(3) promises info = NULL with -FI_ENODATA (the
		 * one output written on failure). */
		if (!first_err)
			*info = NULL;
		return first_err ? first_err : -FI_ENODATA;
	}
	*info = list;
	return 0;
err:
	weft_fi_freeinfo(list);
	return ret;
}

/* The current entry points carry internal names and are bound to their
 * default symbol versions with .symver, because the same public names also
 * exist at older versions (abi_compat.c) and the version script must list
 * them in those older nodes too. */
__asm__(".symver weft_fi_getinfo, fi_getinfo@@FABRIC_1.3");
__asm__(".symver weft_fi_fabric, fi_fabric@@FABRIC_1.1");

WEFT_EXPORT int weft_fi_getinfo(uint32_t version, const char *node,
				const char *service, uint64_t flags,
				const struct fi_info *hints,
				struct fi_info **info)
{
	const struct weft_prov_desc **descs;
	size_t n = 0, count;
	int ret;

	weft_core_init();
	count = weft_prov_count();
	descs = calloc(count ? count : 1, sizeof(*descs));
	if (!descs)
		return -FI_ENOMEM;
	for (size_t i = 0; i < count; i++) {
		const struct weft_prov_desc *d = weft_prov_at(i);
		int use = (flags & FI_PROV_ATTR_ONLY) ? weft_prov_allowed(d)
						      : weft_prov_enabled(d);
		if (use)
			descs[n++] = d;
	}
	ret = weft_getinfo_descs(descs, n, version, node, service, flags, hints,
				 info);
	free(descs);
	return ret;
}

WEFT_EXPORT int weft_fi_fabric(struct fi_fabric_attr *attr,
			       struct fid_fabric **fabric, void *context)
{
	if (!attr || !fabric || !attr->prov_name)
		return -FI_EINVAL;
	weft_core_init();
	for (size_t i = 0; i < weft_prov_count(); i++) {
		const struct weft_prov_desc *d = weft_prov_at(i);

		if (!d || !d->prov || !d->prov->name ||
		    !weft_prov_name_match(attr->prov_name, d->prov->name,
					  NULL))
			continue;
		if (!weft_prov_enabled(d))
			return -FI_ENODATA;
		return d->prov->fabric(attr, fabric, context);
	}
	FI_INFO(&weft_core_prov, FI_LOG_CORE, "no provider named %s\n",
		attr->prov_name);
	return -FI_ENODATA;
}

WEFT_EXPORT uint32_t fi_version(void)
{
	return WEFT_FI_VERSION;
}
