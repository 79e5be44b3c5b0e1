/* Provider descriptors and the registry.
 *
 * A provider states what it offers as static data (struct weft_prov_desc) and
 * registers itself with WEFT_PROVIDER(desc): the descriptor's address lands in
 * the "weft_provs" linker section, which the core walks. Nothing in src/
 * names a provider.
 */
#ifndef WEFT_CORE_PROV_H
#define WEFT_CORE_PROV_H

#include <rdma/fabric.h>
#include <rdma/providers/fi_prov.h>
#include <rdma/providers/fi_log.h>

#define WEFT_EXPORT __attribute__((visibility("default")))

/* 1.17 is the API weft implements; providers report version 117.0 like
 * libfabric's own so that applications comparing versions see no change. */
#define WEFT_FI_VERSION FI_VERSION(1, 17)
#define WEFT_PROV_VERSION FI_VERSION(117, 0)

struct weft_prov_desc {
	/* name, version, fi_version, fabric(), cleanup(). getinfo is filled by
	 * the core's matcher and may be left NULL by the provider. */
	struct fi_provider *prov;

	/* What the provider offers, one fi_info template per endpoint type /
	 * address format, NULL terminated. The core matches hints against these
	 * and hands out deep copies. */
	const struct fi_info *const *infos;

	/* Called once, before the first fi_getinfo/fi_getparams: define
	 * parameters (fi_param_define), probe the system. Nonzero disables
	 * the provider. May be NULL. */
	int (*init)(void);

	/* Fill per-call fields of a matched copy: src_addr/dest_addr for the
	 * given node/service/flags, the domain name of the interface, ...
	 * Return 0, -FI_ENODATA to drop this info, or another -FI_E* error.
	 * May append more infos after *info (e.g. one per interface): it
	 * returns the last one it added through *last. May be NULL. */
	int (*fixup)(uint32_t version, const char *node, const char *service,
		     uint64_t flags, const struct fi_info *hints,
		     struct fi_info *info, struct fi_info **last);
};

#define WEFT_PROVIDER(desc)                                                    \
	static const struct weft_prov_desc *const weft_prov_ptr_##desc         \
		__attribute__((used, section("weft_provs"))) = &(desc)

/* The registry, in registration (link) order. */
size_t weft_prov_count(void);
const struct weft_prov_desc *weft_prov_at(size_t i);
/* Look a provider up by its fi_provider (for params/logging) or by name. */
const struct weft_prov_desc *weft_prov_by_name(const char *name);

/* The core's own fi_provider: logging and parameters of the framework
 * (FI_LOG_LEVEL, FI_PROVIDER, ...) are attributed to it. */
extern struct fi_provider weft_core_prov;

/* Address helper for fixup hooks of providers that use socket addresses
 * (info->addr_format FI_SOCKADDR, FI_SOCKADDR_IN or FI_SOCKADDR_IN6).
 * Fills info->src_addr/dest_addr per fi_getinfo(3):
 *  - node and/or service given: resolved with getaddrinfo (family from
 *    addr_format; FI_NUMERICHOST means no name lookup). With FI_SOURCE
 *    they name the local (source) address, a NULL node meaning the
 *    wildcard address; without it they name the destination, a NULL node
 *    meaning this host.
 *  - the other address (or both, when node and service are NULL) is
 *    copied from hints->src_addr / hints->dest_addr when present.
 * An address whose family does not fit info->addr_format means this info
 * cannot serve the request: -FI_ENODATA (the fixup should drop it). Also
 * -FI_ENODATA when the name does not resolve, -FI_ENOMEM, -FI_EINVAL.
 * On error info is unchanged. The core calls this itself for providers
 * without a fixup hook whose template uses a socket address format. */
int weft_info_resolve_sockaddr(const char *node, const char *service,
			       uint64_t flags, const struct fi_info *hints,
			       struct fi_info *info);

#endif
