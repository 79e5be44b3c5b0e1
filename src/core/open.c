/* fi_open: named library objects.
 *
 * The only name weft knows is "logging" (fi_import_log in fi_ext.h): the
 * application opens it, binds its struct fid_logging to it (fi_import_fid
 * is fi_ops.bind), and closes it. Binding copies the application's
 * callbacks; from then on fi_log_enabled/fi_log_ready/fi_log go through
 * them. Other names (e.g. "mr_cache", which needs an MR cache weft does
 * not have) are -FI_ENOSYS.
 */
#include <stdlib.h>
#include <string.h>

#include <rdma/fabric.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_ext.h>

#include "core/core.h"

struct log_fid {
	struct fid fid;
};

static int log_fid_close(struct fid *fid)
{
	free(fid);
	return 0;
}

static int log_fid_bind(struct fid *fid, struct fid *bfid, uint64_t flags)
{
	const struct fid_logging *app = (const struct fid_logging *)bfid;

	(void)fid;
	if (flags)
		return -FI_EBADFLAGS;
	if (!bfid || bfid->fclass != FI_CLASS_LOG || !app->ops ||
	    app->ops->size < sizeof(struct fi_ops_log))
		return -FI_EINVAL;
	return weft_log_import(app->ops);
}

static int log_fid_control(struct fid *fid, int command, void *arg)
{
	(void)fid;
	(void)command;
	(void)arg;
	return -FI_ENOSYS;
}

static int log_fid_ops_open(struct fid *fid, const char *name, uint64_t flags,
			    void **ops, void *context)
{
	(void)fid;
	(void)name;
	(void)flags;
	(void)ops;
	(void)context;
	return -FI_ENOSYS;
}

static int log_fid_tostr(const struct fid *fid, char *buf, size_t len)
{
	(void)fid;
	(void)buf;
	(void)len;
	return -FI_ENOSYS;
}

static int log_fid_ops_set(struct fid *fid, const char *name, uint64_t flags,
			   void *ops, void *context)
{
	(void)fid;
	(void)name;
	(void)flags;
	(void)ops;
	(void)context;
	return -FI_ENOSYS;
}

static struct fi_ops log_fid_ops = {
	.size = sizeof(struct fi_ops),
	.close = log_fid_close,
	.bind = log_fid_bind,
	.control = log_fid_control,
	.ops_open = log_fid_ops_open,
	.tostr = log_fid_tostr,
	.ops_set = log_fid_ops_set,
};

static int open_logging(void *context, struct fid **fid)
{
	struct log_fid *lf = calloc(1, sizeof(*lf));

	if (!lf)
		return -FI_ENOMEM;
	lf->fid.fclass = FI_CLASS_LOG;
	lf->fid.context = context;
	lf->fid.ops = &log_fid_ops;
	*fid = &lf->fid;
	return 0;
}

WEFT_EXPORT int fi_open(uint32_t version, const char *name, void *attr,
			size_t attr_len, uint64_t flags, struct fid **fid,
			void *context)
{
	(void)version;
	(void)attr;

	if (!name || !fid || (attr_len && !attr))
		return -FI_EINVAL;
	if (strcmp(name, "logging") == 0) {
		if (flags)
			return -FI_EBADFLAGS;
		return open_logging(context, fid);
	}
	return -FI_ENOSYS;
}
