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

/* Provided by log.c: define FI_LOG_LEVEL/FI_LOG_PROV/FI_LOG_SUBSYS/
 * FI_LOG_INTERVAL as core parameters and read them. Called by
 * weft_core_init() before any provider init. */
void weft_log_init(void);

#endif
