/* Stubs of the exact struct fi_ops slot types, shared by every object
 * that has nothing to do for a slot: an ops table is never NULL in a slot
 * and never holds a cast function pointer (DESIGN.md). Defined in
 * fabric.c. */
#ifndef WEFT_UTIL_FID_H
#define WEFT_UTIL_FID_H

#include <rdma/fabric.h>

/* struct fi_ops slots for any object that has nothing to say: each answers
 * -FI_ENOSYS (tostr writes nothing). */
int weft_fid_bind_none(struct fid *fid, struct fid *bfid, uint64_t flags);
int weft_fid_control_none(struct fid *fid, int command, void *arg);
int weft_fid_ops_open_none(struct fid *fid, const char *name, uint64_t flags,
			   void **ops, void *context);
int weft_fid_tostr_none(const struct fid *fid, char *buf, size_t len);
int weft_fid_ops_set_none(struct fid *fid, const char *name, uint64_t flags,
			  void *ops, void *context);

#endif
