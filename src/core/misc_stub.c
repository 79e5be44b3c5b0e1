/* STUB: replaced by the core-misc work (tostr.c, strerror.c, param.c,
 * log.c, open.c). Delete this file when those exist. */
#include <rdma/fabric.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_ext.h>
#include "core/prov.h"

WEFT_EXPORT const char *fi_strerror(int errnum) { return "stub"; }
WEFT_EXPORT char *fi_tostr(const void *data, enum fi_type datatype) { return (char *)""; }
WEFT_EXPORT char *fi_tostr_r(char *buf, size_t len, const void *data,
			     enum fi_type datatype) { return buf; }
WEFT_EXPORT int fi_param_define(const struct fi_provider *provider,
				const char *param_name,
				enum fi_param_type type,
				const char *help_string_fmt, ...) { return 0; }
WEFT_EXPORT int fi_param_get(struct fi_provider *provider,
			     const char *param_name, void *value) { return -FI_ENODATA; }
WEFT_EXPORT int fi_getparams(struct fi_param **params, int *count) { return -FI_ENOSYS; }
WEFT_EXPORT void fi_freeparams(struct fi_param *params) {}
WEFT_EXPORT int fi_log_enabled(const struct fi_provider *prov,
			       enum fi_log_level level,
			       enum fi_log_subsys subsys) { return 0; }
WEFT_EXPORT int fi_log_ready(const struct fi_provider *prov,
			     enum fi_log_level level, enum fi_log_subsys subsys,
			     uint64_t *showtime) { return 0; }
WEFT_EXPORT void fi_log(const struct fi_provider *prov, enum fi_log_level level,
			enum fi_log_subsys subsys, const char *func, int line,
			const char *fmt, ...) {}
WEFT_EXPORT int fi_open(uint32_t version, const char *name, void *attr,
			size_t attr_len, uint64_t flags, struct fid **fid,
			void *context) { return -FI_ENOSYS; }
#include "core/core.h"
void weft_log_init(void) {}
