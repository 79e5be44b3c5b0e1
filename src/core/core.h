/* Core internals shared between the core's files (not for providers). */
#ifndef WEFT_CORE_CORE_H
#define WEFT_CORE_CORE_H

#include <rdma/fabric.h>

#include "core/prov.h"

/* One-time initialisation of the framework, idempotent and thread-safe
 * (pthread_once): defines the core's parameters (FI_PROVIDER, FI_LOG_*),
 * reads the logging settings, then runs every registered provider's init().
 * Every exported entry point that needs providers or parameters calls it
 * first (fi_getinfo, fi_fabric, fi_getparams, fi_log*, fi_param_get). */
void weft_core_init(void);

/* Whether provider `name` survived init and is not excluded by
 * FI_PROVIDER ("a,b" include list, "^a,b" exclude list). */
int weft_prov_enabled(const struct weft_prov_desc *desc);

/* Whether FI_PROVIDER lets `desc` through, whatever its init() said
 * (FI_PROV_ATTR_ONLY lists providers "regardless of whether usable"). */
int weft_prov_allowed(const struct weft_prov_desc *desc);

/* Provided by log.c: define FI_LOG_LEVEL/FI_LOG_PROV/FI_LOG_SUBSYS/
 * FI_LOG_INTERVAL as core parameters and read them. Called by
 * weft_core_init() before any provider init. */
void weft_log_init(void);

/* ---- logging and parameters internals (log.c, param.c, open.c) ------- */

/* "warn", "trace", ... / "core", "fabric", ...: the names FI_LOG_LEVEL and
 * FI_LOG_SUBSYS accept and the log line shows; NULL when out of range. */
const char *weft_log_level_str(int level);
const char *weft_log_subsys_str(int subsys);

/* fi_log_enabled() without triggering log initialisation: 0 until
 * weft_log_init() has finished. For code that runs during that
 * initialisation (fi_param_get reporting what it read). */
int weft_log_enabled_noinit(const struct fi_provider *prov, int level,
			    int subsys);

/* Route fi_log_enabled/fi_log_ready/fi_log through an application's
 * callbacks (fi_import_log, via fi_open("logging")). The table is copied.
 * -FI_EALREADY if callbacks were imported before, -FI_EINVAL if a
 * callback is missing. */
struct fi_ops_log;
int weft_log_import(const struct fi_ops_log *ops);

/* The implementations behind fi_getinfo/fi_freeinfo/fi_dupinfo (bound to
 * FABRIC_1.3) and fi_fabric (FABRIC_1.1) with .symver; the same public
 * names also exist at older versions (abi_compat.c). Core code calls
 * these directly. */
int weft_fi_getinfo(uint32_t version, const char *node, const char *service,
		    uint64_t flags, const struct fi_info *hints,
		    struct fi_info **info);
void weft_fi_freeinfo(struct fi_info *info);
struct fi_info *weft_fi_dupinfo(const struct fi_info *info);
int weft_fi_fabric(struct fi_fabric_attr *attr, struct fid_fabric **fabric,
		   void *context);

/* ---- fi_info handling (getinfo.c, info_match.c, info_dup.c) ---------- */

/* A zeroed fi_info with every attribute struct allocated (nic stays NULL):
 * what fi_allocinfo() returns. NULL when out of memory. */
struct fi_info *weft_info_alloc(void);

/* Match the application's hints against one provider template. On a
 * match, *out is a deep copy of the template narrowed to what was asked
 * (caps, modes, threading, progress, av_type, queue sizes, mr_mode in the
 * form the caller's version understands), with fabric_attr->prov_name,
 * prov_version and api_version filled in from `prov`. Names that a fixup
 * hook may fill in later (fabric and domain name) are checked separately
 * by weft_info_names_match(). Returns 0, -FI_ENODATA (no match) or
 * -FI_ENOMEM. hints may be NULL. */
int weft_info_match(uint32_t version, const struct fi_provider *prov,
		    const struct fi_info *tmpl, const struct fi_info *hints,
		    struct fi_info **out);

/* Whether a finished info (after the provider's fixup) carries the fabric
 * and domain names the hints ask for (a NULL hint name matches any). */
int weft_info_names_match(const struct fi_info *info,
			  const struct fi_info *hints);

/* Whether a provider name given by the application (hints prov_name,
 * fi_fabric attr, an FI_PROVIDER entry) selects provider `name`.
 * Case-insensitive. A layered name "udp;ofi_rxd" selects "udp": weft's
 * providers implement RDM themselves, so the utility layer an application
 * names after ';' must be one of libfabric's RDM layers (ofi_rxm,
 * ofi_rxd), and *rdm_only (if given) is set to tell the caller that only
 * FI_EP_RDM endpoints should be offered. */
int weft_prov_name_match(const char *want, const char *name, int *rdm_only);

/* Whether the FI_PROVIDER value `filter` ("a,b", "^a,b", NULL or "" for
 * no filter) lets provider `name` through. */
int weft_prov_filter_allows(const char *filter, const char *name);

/* fi_getinfo's work over an explicit descriptor table (fi_getinfo passes
 * the enabled registered providers; unit tests pass fake ones): validate
 * the arguments, match every template, run the fixup hooks, filter by
 * name, and link the results in table order. Same contract as
 * fi_getinfo(). */
int weft_getinfo_descs(const struct weft_prov_desc *const *descs, size_t n,
		       uint32_t version, const char *node, const char *service,
		       uint64_t flags, const struct fi_info *hints,
		       struct fi_info **info);

#endif
