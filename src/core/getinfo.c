/* STUB: replaced by the core-getinfo work. */
#include <rdma/fabric.h>
#include <rdma/fi_errno.h>
#include "core/prov.h"

WEFT_EXPORT int fi_getinfo(uint32_t version, const char *node,
			   const char *service, uint64_t flags,
			   const struct fi_info *hints, struct fi_info **info)
{
	return -FI_ENODATA;
}
WEFT_EXPORT void fi_freeinfo(struct fi_info *info) {}
WEFT_EXPORT struct fi_info *fi_dupinfo(const struct fi_info *info)
{
	return NULL;
}
WEFT_EXPORT int fi_fabric(struct fi_fabric_attr *attr,
			  struct fid_fabric **fabric, void *context)
{
	return -FI_ENOSYS;
}
WEFT_EXPORT uint32_t fi_version(void)
{
	return WEFT_FI_VERSION;
}
#include "core/core.h"
void weft_core_init(void) {}
int weft_prov_enabled(const struct weft_prov_desc *desc) { return 1; }
