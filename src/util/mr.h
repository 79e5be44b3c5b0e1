/* Memory registration: a per-domain map from keys to registered regions, and
 * the one check every remote access goes through (key, range, access). */
#ifndef WEFT_UTIL_MR_H
#define WEFT_UTIL_MR_H

#include <rdma/fabric.h>
#include <rdma/fi_domain.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct weft_domain;
struct weft_cntr;

struct weft_mr {
	struct fid_mr mr_fid;     /* first; mr_fid.key and mr_fid.mem_desc set */
	struct weft_domain *domain;
	uint64_t access;          /* FI_READ|FI_WRITE|FI_REMOTE_READ|... */
	uint64_t flags;
	uint64_t offset;          /* requested_key offset / FI_MR_VIRT_ADDR base */
	size_t iov_count;
	struct iovec *iov;        /* the registered ranges (copied) */
	size_t len;               /* sum of iov lengths */
	struct weft_cntr *cntr;   /* FI_RMA_EVENT: bound with fi_mr_bind */
	struct weft_cq *cq;       /* FI_RMA_EVENT: bound with fi_mr_bind */
	bool enabled;             /* FI_MR_ENDPOINT / FI_RMA_EVENT need fi_mr_enable */
};

/* Keys -> struct weft_mr *. Owned by the domain, under the domain lock. */
struct weft_mr_map {
	uint64_t mr_mode;         /* the domain's (FI_MR_PROV_KEY, FI_MR_VIRT_ADDR, ...) */
	size_t key_size;          /* mr_key_size advertised */
	uint64_t next_key;        /* provider-chosen keys (FI_MR_PROV_KEY) */
	void *buckets;            /* implementation-private hash table */
	size_t count, nbuckets;
};

int weft_mr_map_init(struct weft_mr_map *map, uint64_t mr_mode, size_t key_size);
void weft_mr_map_fini(struct weft_mr_map *map);

/* fi_ops_mr entries a provider can use as is. */
int weft_mr_reg(struct fid *fid, const void *buf, size_t len, uint64_t access,
		uint64_t offset, uint64_t requested_key, uint64_t flags,
		struct fid_mr **mr, void *context);
int weft_mr_regv(struct fid *fid, const struct iovec *iov, size_t count,
		 uint64_t access, uint64_t offset, uint64_t requested_key,
		 uint64_t flags, struct fid_mr **mr, void *context);
int weft_mr_regattr(struct fid *fid, const struct fi_mr_attr *attr,
		    uint64_t flags, struct fid_mr **mr);

/* Resolve a remote access. addr is the target address as the initiator gave
 * it (a virtual address with FI_MR_VIRT_ADDR, an offset otherwise); len may
 * span several registered iovs. access is the one needed (FI_REMOTE_READ or
 * FI_REMOTE_WRITE). On success fills out[] with at most *out_count local
 * ranges covering [addr, addr+len) and returns 0, with *out_count updated.
 * Errors: -FI_EKEYREJECTED (unknown key), -FI_EACCES (access not granted),
 * -FI_EINVAL (range outside the region), -FI_E2BIG (out[] too small).
 * Caller holds the domain lock. */
int weft_mr_verify(struct weft_mr_map *map, uint64_t key, uint64_t addr,
		   size_t len, uint64_t access, struct iovec *out,
		   size_t *out_count);

/* The region registered under key, or NULL. Caller holds the domain lock. */
struct weft_mr *weft_mr_find(struct weft_mr_map *map, uint64_t key);

#endif
