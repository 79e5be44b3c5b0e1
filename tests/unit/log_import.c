/* fi_open: unknown names and bad arguments are refused; "logging" plus
 * fi_import_log routes fi_log_enabled/fi_log_ready/fi_log through the
 * application's callbacks, with FI_LOG_PROV_FILTERED telling them about
 * FI_LOG_PROV; a second import is refused. */
#include <stdlib.h>
#include <string.h>

#include <rdma/fabric.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_ext.h>

#include "testlib.h"

static struct fi_provider alpha = { .name = "alpha" };
static struct fi_provider beta = { .name = "beta" };

static struct {
	int enabled_calls, ready_calls, log_calls;
	uint64_t last_flags;
	const struct fi_provider *last_prov;
	char msg[256], func[64];
	int line, level, subsys;
} seen;

static int cb_enabled(const struct fi_provider *prov, enum fi_log_level level,
		      enum fi_log_subsys subsys, uint64_t flags)
{
	seen.enabled_calls++;
	seen.last_prov = prov;
	seen.last_flags = flags;
	return level <= FI_LOG_INFO && subsys != FI_LOG_MR &&
	       !(flags & FI_LOG_PROV_FILTERED);
}

static int cb_ready(const struct fi_provider *prov, enum fi_log_level level,
		    enum fi_log_subsys subsys, uint64_t flags, uint64_t *showtime)
{
	seen.ready_calls++;
	*showtime += 1;
	return cb_enabled(prov, level, subsys, flags);
}

static void cb_log(const struct fi_provider *prov, enum fi_log_level level,
		   enum fi_log_subsys subsys, const char *func, int line,
		   const char *msg)
{
	seen.log_calls++;
	seen.last_prov = prov;
	seen.level = level;
	seen.subsys = subsys;
	seen.line = line;
	snprintf(seen.func, sizeof(seen.func), "%s", func);
	snprintf(seen.msg, sizeof(seen.msg), "%s", msg);
}

static void check_open_args(void)
{
	struct fid *fid = NULL;

	CHECK_RET(fi_open(FI_VERSION(1, 17), "no-such-object", NULL, 0, 0, &fid,
			  NULL),
		  -FI_ENOSYS);
	CHECK(fid == NULL);
	CHECK_RET(fi_open(FI_VERSION(1, 17), "mr_cache", NULL, 0, 0, &fid, NULL),
		  -FI_ENOSYS);
	CHECK_RET(fi_open(FI_VERSION(1, 17), NULL, NULL, 0, 0, &fid, NULL),
		  -FI_EINVAL);
	CHECK_RET(fi_open(FI_VERSION(1, 17), "logging", NULL, 0, 0, NULL, NULL),
		  -FI_EINVAL);
	CHECK_RET(fi_open(FI_VERSION(1, 17), "logging", NULL, 8, 0, &fid, NULL),
		  -FI_EINVAL);

	/* open and close without importing anything */
	CHECK_OK(fi_open(FI_VERSION(1, 17), "logging", NULL, 0, 0, &fid, &seen));
	CHECK(fid && fid->fclass == FI_CLASS_LOG && fid->context == &seen);
	CHECK_RET(fi_control(fid, 0, NULL), -FI_ENOSYS);
	CHECK_OK(fi_close(fid));
}

static void check_import(void)
{
	struct fi_ops_log ops = {
		.enabled = cb_enabled, .ready = cb_ready, .log = cb_log
	};
	struct fi_ops_log half = { .enabled = cb_enabled };
	struct fid_logging lf = { .ops = &ops };
	struct fid_logging bad = { .ops = &half };
	uint64_t showtime = 0;

	/* an incomplete table is refused and leaves stderr logging alone */
	CHECK_RET(fi_import_log(FI_VERSION(1, 17), 0, &bad), -FI_EINVAL);
	CHECK_RET(fi_import_log(FI_VERSION(1, 17), 1, &lf), -FI_EBADFLAGS);
	CHECK(!fi_log_enabled(&alpha, FI_LOG_WARN, FI_LOG_CQ));

	CHECK_OK(fi_import_log(FI_VERSION(1, 17), 0, &lf));

	CHECK(fi_log_enabled(&alpha, FI_LOG_INFO, FI_LOG_CQ));
	CHECK(seen.last_prov == &alpha && seen.last_flags == 0);
	CHECK(!fi_log_enabled(&alpha, FI_LOG_DEBUG, FI_LOG_CQ));
	CHECK(!fi_log_enabled(&alpha, FI_LOG_WARN, FI_LOG_MR));
	/* FI_LOG_PROV=^beta (set in main) marks beta as filtered */
	CHECK(!fi_log_enabled(&beta, FI_LOG_WARN, FI_LOG_CQ));
	CHECK(seen.last_prov == &beta &&
	      seen.last_flags == FI_LOG_PROV_FILTERED);
	/* the core stands in for a NULL provider */
	CHECK(fi_log_enabled(NULL, FI_LOG_WARN, FI_LOG_CORE));
	CHECK(seen.last_prov && strcmp(seen.last_prov->name, "core") == 0);

	CHECK(fi_log_ready(&alpha, FI_LOG_WARN, FI_LOG_CQ, &showtime));
	CHECK(seen.ready_calls == 1 && showtime == 1);

	FI_INFO(&alpha, FI_LOG_CQ, "value %d of %s\n", 42, "x");
	CHECK(seen.log_calls == 1);
	CHECK(strcmp(seen.msg, "value 42 of x\n") == 0);
	CHECK(strcmp(seen.func, "check_import") == 0 && seen.line > 0);
	CHECK(seen.level == FI_LOG_INFO && seen.subsys == FI_LOG_CQ);
	FI_INFO(&beta, FI_LOG_CQ, "filtered\n");
	CHECK(seen.log_calls == 1);

	/* only one import per process */
	CHECK_RET(fi_import_log(FI_VERSION(1, 17), 0, &lf), -FI_EALREADY);
}

int main(void)
{
	setenv("FI_LOG_PROV", "^beta", 1);
	unsetenv("FI_LOG_LEVEL");
	check_open_args();
	check_import();
	return 0;
}
