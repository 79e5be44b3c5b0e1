/* Entry points for applications linked against older libfabric ABIs.
 *
 * libfabric grew its structs by appending fields and gave the functions
 * that take them new symbol versions. Debian's libfabric.so.1 still
 * exports the old ones, and so does weft:
 *
 *   ABI          what the application's structs lack (vs. 1.17 headers)
 *   FABRIC_1.0   fi_info.nic; tx_attr.tclass; ep_attr.auth_key_size/
 *                auth_key; domain_attr from cntr_cnt on; fabric_attr.
 *                api_version          (libfabric 1.0 - 1.4)
 *   FABRIC_1.1   fi_info.nic; tx_attr.tclass; domain_attr.tclass
 *   FABRIC_1.2   tx_attr.tclass; domain_attr.tclass
 *   FABRIC_1.3+  nothing: the current layout (default versions)
 *
 * Every old layout is a prefix of the current one (checked below), so:
 *  - what weft allocates is always the current layout, which an old
 *    application reads through its shorter view: returned lists need no
 *    conversion and fi_freeinfo@old is plain fi_freeinfo;
 *  - what the application hands in (hints, fi_dupinfo's argument,
 *    fi_fabric's attr) may be its own memory of the old size, so it is
 *    read only up to the old size, into a zero-extended current-layout
 *    view on the stack.
 */
#include <assert.h>
#include <stddef.h>
#include <string.h>

#include <rdma/fabric.h>
#include <rdma/fi_errno.h>

#include "core/core.h"

/* ---- the historic layouts ----------------------------------------------- */

struct weft_tx_attr_abi10 {
	uint64_t caps;
	uint64_t mode;
	uint64_t op_flags;
	uint64_t msg_order;
	uint64_t comp_order;
	size_t inject_size;
	size_t size;
	size_t iov_limit;
	size_t rma_iov_limit;
};

struct weft_ep_attr_abi10 {
	enum fi_ep_type type;
	uint32_t protocol;
	uint32_t protocol_version;
	size_t max_msg_size;
	size_t msg_prefix_size;
	size_t max_order_raw_size;
	size_t max_order_war_size;
	size_t max_order_waw_size;
	uint64_t mem_tag_format;
	size_t tx_ctx_cnt;
	size_t rx_ctx_cnt;
};

/* FABRIC_1.0 ends after max_ep_srx_ctx; FABRIC_1.1 after mr_cnt. mr_mode
 * was an enum fi_mr_mode in 1.0: the same size as int. */
struct weft_domain_attr_abi10 {
	struct fid_domain *domain;
	char *name;
	enum fi_threading threading;
	enum fi_progress control_progress;
	enum fi_progress data_progress;
	enum fi_resource_mgmt resource_mgmt;
	enum fi_av_type av_type;
	int mr_mode;
	size_t mr_key_size;
	size_t cq_data_size;
	size_t cq_cnt;
	size_t ep_cnt;
	size_t tx_ctx_cnt;
	size_t rx_ctx_cnt;
	size_t max_ep_tx_ctx;
	size_t max_ep_rx_ctx;
	size_t max_ep_stx_ctx;
	size_t max_ep_srx_ctx;
};

struct weft_domain_attr_abi11 {
	struct weft_domain_attr_abi10 base;
	size_t cntr_cnt;
	size_t mr_iov_limit;
	uint64_t caps;
	uint64_t mode;
	uint8_t *auth_key;
	size_t auth_key_size;
	size_t max_err_data;
	size_t mr_cnt;
};

struct weft_fabric_attr_abi10 {
	struct fid_fabric *fabric;
	char *name;
	char *prov_name;
	uint32_t prov_version;
};

/* fi_info of FABRIC_1.0 and 1.1: everything up to fabric_attr (the
 * attribute pointers point to the old attribute layouts). */
struct weft_info_abi10 {
	struct fi_info *next;
	uint64_t caps;
	uint64_t mode;
	uint32_t addr_format;
	size_t src_addrlen;
	size_t dest_addrlen;
	void *src_addr;
	void *dest_addr;
	fid_t handle;
	void *tx_attr;
	void *rx_attr;
	void *ep_attr;
	void *domain_attr;
	void *fabric_attr;
};

/* Each old layout must be exactly the leading part of the current one. */
static_assert(sizeof(struct weft_tx_attr_abi10) ==
		      offsetof(struct fi_tx_attr, tclass),
	      "tx_attr 1.0 is a prefix");
static_assert(sizeof(struct weft_ep_attr_abi10) ==
		      offsetof(struct fi_ep_attr, auth_key_size),
	      "ep_attr 1.0 is a prefix");
static_assert(sizeof(struct weft_domain_attr_abi10) ==
		      offsetof(struct fi_domain_attr, cntr_cnt),
	      "domain_attr 1.0 is a prefix");
static_assert(sizeof(struct weft_domain_attr_abi11) ==
		      offsetof(struct fi_domain_attr, tclass),
	      "domain_attr 1.1 is a prefix");
static_assert(offsetof(struct weft_domain_attr_abi11, mr_cnt) ==
		      offsetof(struct fi_domain_attr, mr_cnt),
	      "domain_attr 1.1 field offsets");
static_assert(offsetof(struct weft_fabric_attr_abi10, prov_version) ==
		      offsetof(struct fi_fabric_attr, prov_version),
	      "fabric_attr 1.0 is a prefix");
static_assert(sizeof(struct weft_info_abi10) ==
		      offsetof(struct fi_info, nic),
	      "fi_info 1.0 is a prefix");
static_assert(offsetof(struct weft_info_abi10, fabric_attr) ==
		      offsetof(struct fi_info, fabric_attr),
	      "fi_info 1.0 field offsets");

/* How many bytes of each struct an application of one ABI owns. The
 * fabric_attr of 1.0 is counted up to its last field, not its size: its
 * tail padding would land on the current api_version. */
struct abi_sizes {
	size_t info, tx, rx, ep, domain, fabric;
};

static const struct abi_sizes abi10 = {
	.info = sizeof(struct weft_info_abi10),
	.tx = sizeof(struct weft_tx_attr_abi10),
	.rx = sizeof(struct fi_rx_attr),
	.ep = sizeof(struct weft_ep_attr_abi10),
	.domain = sizeof(struct weft_domain_attr_abi10),
	.fabric = offsetof(struct fi_fabric_attr, api_version),
};

static const struct abi_sizes abi11 = {
	.info = sizeof(struct weft_info_abi10),
	.tx = sizeof(struct weft_tx_attr_abi10),
	.rx = sizeof(struct fi_rx_attr),
	.ep = sizeof(struct fi_ep_attr),
	.domain = sizeof(struct weft_domain_attr_abi11),
	.fabric = sizeof(struct fi_fabric_attr),
};

static const struct abi_sizes abi12 = {
	.info = sizeof(struct fi_info),
	.tx = sizeof(struct weft_tx_attr_abi10),
	.rx = sizeof(struct fi_rx_attr),
	.ep = sizeof(struct fi_ep_attr),
	.domain = sizeof(struct weft_domain_attr_abi11),
	.fabric = sizeof(struct fi_fabric_attr),
};

/* A current-layout view of one old-layout fi_info: the structs live in
 * the view, the strings, keys and addresses stay the application's. */
struct info_view {
	struct fi_info info;
	struct fi_tx_attr tx;
	struct fi_rx_attr rx;
	struct fi_ep_attr ep;
	struct fi_domain_attr domain;
	struct fi_fabric_attr fabric;
};

static const struct fi_info *view_of(const void *old,
				     const struct abi_sizes *abi,
				     struct info_view *v)
{
	memset(v, 0, sizeof(*v));
	memcpy(&v->info, old, abi->info);
	v->info.next = NULL;
	if (v->info.tx_attr) {
		memcpy(&v->tx, v->info.tx_attr, abi->tx);
		v->info.tx_attr = &v->tx;
	}
	if (v->info.rx_attr) {
		memcpy(&v->rx, v->info.rx_attr, abi->rx);
		v->info.rx_attr = &v->rx;
	}
	if (v->info.ep_attr) {
		memcpy(&v->ep, v->info.ep_attr, abi->ep);
		v->info.ep_attr = &v->ep;
	}
	if (v->info.domain_attr) {
		memcpy(&v->domain, v->info.domain_attr, abi->domain);
		v->info.domain_attr = &v->domain;
	}
	if (v->info.fabric_attr) {
		memcpy(&v->fabric, v->info.fabric_attr, abi->fabric);
		v->info.fabric_attr = &v->fabric;
	}
	return &v->info;
}

static int getinfo_abi(const struct abi_sizes *abi, uint32_t version,
		       const char *node, const char *service, uint64_t flags,
		       const void *hints, struct fi_info **info)
{
	struct info_view v;

	return weft_fi_getinfo(version, node, service, flags,
			       hints ? view_of(hints, abi, &v) : NULL, info);
}

static struct fi_info *dupinfo_abi(const struct abi_sizes *abi,
				   const void *info)
{
	struct info_view v;

	return weft_fi_dupinfo(info ? view_of(info, abi, &v) : NULL);
}

/* ---- the exported old versions ------------------------------------------ */

/* The structs are passed as void *: their old types are internal. Each
 * function is exported under its internal name's default visibility so
 * that its versioned alias is; the version script keeps the internal
 * name itself local. */
WEFT_EXPORT int weft_fi_getinfo_abi10(uint32_t version, const char *node,
				      const char *service, uint64_t flags,
				      const void *hints, struct fi_info **info);
WEFT_EXPORT int weft_fi_getinfo_abi11(uint32_t version, const char *node,
				      const char *service, uint64_t flags,
				      const void *hints, struct fi_info **info);
WEFT_EXPORT int weft_fi_getinfo_abi12(uint32_t version, const char *node,
				      const char *service, uint64_t flags,
				      const void *hints, struct fi_info **info);
WEFT_EXPORT struct fi_info *weft_fi_dupinfo_abi10(const void *info);
WEFT_EXPORT struct fi_info *weft_fi_dupinfo_abi11(const void *info);
WEFT_EXPORT struct fi_info *weft_fi_dupinfo_abi12(const void *info);
WEFT_EXPORT void weft_fi_freeinfo_abi10(struct fi_info *info);
WEFT_EXPORT void weft_fi_freeinfo_abi11(struct fi_info *info);
WEFT_EXPORT void weft_fi_freeinfo_abi12(struct fi_info *info);
WEFT_EXPORT int weft_fi_fabric_abi10(const void *attr,
				     struct fid_fabric **fabric, void *context);

__asm__(".symver weft_fi_getinfo_abi10, fi_getinfo@FABRIC_1.0");
__asm__(".symver weft_fi_getinfo_abi11, fi_getinfo@FABRIC_1.1");
__asm__(".symver weft_fi_getinfo_abi12, fi_getinfo@FABRIC_1.2");
__asm__(".symver weft_fi_dupinfo_abi10, fi_dupinfo@FABRIC_1.0");
__asm__(".symver weft_fi_dupinfo_abi11, fi_dupinfo@FABRIC_1.1");
__asm__(".symver weft_fi_dupinfo_abi12, fi_dupinfo@FABRIC_1.2");
__asm__(".symver weft_fi_freeinfo_abi10, fi_freeinfo@FABRIC_1.0");
__asm__(".symver weft_fi_freeinfo_abi11, fi_freeinfo@FABRIC_1.1");
__asm__(".symver weft_fi_freeinfo_abi12, fi_freeinfo@FABRIC_1.2");
__asm__(".symver weft_fi_fabric_abi10, fi_fabric@FABRIC_1.0");

int weft_fi_getinfo_abi10(uint32_t version, const char *node,
			  const char *service, uint64_t flags,
			  const void *hints, struct fi_info **info)
{
	return getinfo_abi(&abi10, version, node, service, flags, hints, info);
}

int weft_fi_getinfo_abi11(uint32_t version, const char *node,
			  const char *service, uint64_t flags,
			  const void *hints, struct fi_info **info)
{
	return getinfo_abi(&abi11, version, node, service, flags, hints, info);
}

int weft_fi_getinfo_abi12(uint32_t version, const char *node,
			  const char *service, uint64_t flags,
			  const void *hints, struct fi_info **info)
{
	return getinfo_abi(&abi12, version, node, service, flags, hints, info);
}

struct fi_info *weft_fi_dupinfo_abi10(const void *info)
{
	return dupinfo_abi(&abi10, info);
}

struct fi_info *weft_fi_dupinfo_abi11(const void *info)
{
	return dupinfo_abi(&abi11, info);
}

struct fi_info *weft_fi_dupinfo_abi12(const void *info)
{
	return dupinfo_abi(&abi12, info);
}

/* Lists reaching fi_freeinfo were allocated by weft in the current layout
 * (fi_getinfo, fi_dupinfo, fi_allocinfo of any version). */
void weft_fi_freeinfo_abi10(struct fi_info *info)
{
	weft_fi_freeinfo(info);
}

void weft_fi_freeinfo_abi11(struct fi_info *info)
{
	weft_fi_freeinfo(info);
}

void weft_fi_freeinfo_abi12(struct fi_info *info)
{
	weft_fi_freeinfo(info);
}

int weft_fi_fabric_abi10(const void *attr, struct fid_fabric **fabric,
			 void *context)
{
	struct fi_fabric_attr cur;

	if (!attr)
		return -FI_EINVAL;
	memset(&cur, 0, sizeof(cur));
	memcpy(&cur, attr, abi10.fabric);
	/* A 1.0-ABI caller cannot say which API it speaks (1.0 to 1.4):
	 * assume the oldest. */
	cur.api_version = FI_VERSION(1, 0);
	return weft_fi_fabric(&cur, fabric, context);
}
