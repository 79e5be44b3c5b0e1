/* Memory registration: a per-domain map from keys to registered regions, and
 * the one check every remote access goes through (key, range, access). */
#ifndef WEFT_UTIL_MR_H
#define WEFT_UTIL_MR_H

#include <rdma/fabric.h>
#include <rdma/fi_domain.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "lib/hash.h"

struct weft_domain;
struct weft_cntr;
struct weft_ep;

/* One registration. Immutable after fi_mr_reg* returns except `enabled`,
 * `cntr` and `ep`, which change under the domain lock. */
struct weft_mr {
	struct fid_mr mr_fid;     /* first; key set, mem_desc = this weft_mr */
	struct weft_domain *domain;
	uint64_t access;          /* FI_READ|FI_WRITE|FI_REMOTE_READ|... */
	uint64_t flags;           /* registration flags (FI_RMA_EVENT) */
	/* Remote address of the region's first byte: iov[0].iov_base with
	 * FI_MR_VIRT_ADDR (each iov is then reached at its own virtual
	 * address), else the `offset` given at registration (normally 0), the
	 * iovs then forming one contiguous offset space in order. */
	uint64_t offset;
	size_t iov_count;
	struct iovec *iov;        /* the registered ranges (copied) */
	size_t len;               /* sum of iov lengths */
	struct weft_cntr *cntr;   /* FI_RMA_EVENT: bound with fi_mr_bind */
	uint64_t cntr_flags;      /* FI_REMOTE_WRITE / FI_REMOTE_READ events */
	struct weft_ep *ep;       /* FI_MR_ENDPOINT: bound with fi_mr_bind */
	bool needs_enable;        /* created disabled (FI_MR_ENDPOINT, or
				     FI_MR_RMA_EVENT + FI_RMA_EVENT) */
	bool enabled;             /* remote access allowed */
};

/* Keys -> struct weft_mr *. Owned by the domain, under the domain lock. */
struct weft_mr_map {
	uint64_t mr_mode;         /* the domain's, FI_MR_BASIC/SCALABLE expanded */
	size_t key_size;          /* mr_key_size advertised (1..8 bytes) */
	uint64_t next_key;        /* provider-chosen keys (FI_MR_PROV_KEY) */
	struct weft_hash keys;    /* key -> (uintptr_t)struct weft_mr * */
};

/* key_size 0 means 8. 0 or -FI_ENOMEM. fini frees only the map: the
 * domain refuses to close while MRs are open (domain->ref). */
int weft_mr_map_init(struct weft_mr_map *map, uint64_t mr_mode, size_t key_size);
void weft_mr_map_fini(struct weft_mr_map *map);

/* fi_ops_mr entries a provider can use as is: fid is the domain's fid.
 * They take the domain lock. The MR's fid ops handle fi_close, fi_mr_bind
 * (counter with FI_REMOTE_WRITE/FI_REMOTE_READ, or endpoint with 0) and
 * fi_control (FI_ENABLE = fi_mr_enable, FI_REFRESH = fi_mr_refresh). With
 * the domain bound to an EQ with FI_REG_MR, a successful registration also
 * queues FI_MR_COMPLETE. */
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
 * ranges covering [addr, addr+len) and returns 0, with *out_count updated
 * (out may be NULL to only validate: *out_count then gets the number of
 * ranges). len 0 only checks key and access.
 * Errors: -FI_EKEYREJECTED (unknown key, or a region not enabled yet),
 * -FI_EACCES (access not granted),
 * -FI_EINVAL (range outside the region), -FI_E2BIG (out[] too small).
 * Caller holds the domain lock. */
int weft_mr_verify(struct weft_mr_map *map, uint64_t key, uint64_t addr,
		   size_t len, uint64_t access, struct iovec *out,
		   size_t *out_count);

/* FI_MR_LOCAL helper: is [buf, buf+len) inside one iov of the region
 * whose descriptor (fi_mr_desc: the struct weft_mr) the application
 * passed, with the access bits given (FI_SEND, FI_RECV, FI_READ,
 * FI_WRITE; 0 checks only the range)? 0, -FI_EACCES or -FI_EINVAL. No
 * lock needed: these fields never change after registration. */
int weft_mr_check_local(const struct weft_mr *mr, const void *buf, size_t len,
			uint64_t access);

/* FI_RMA_EVENT bookkeeping after a remote access to key succeeded: bumps
 * the counter bound to the region if it was bound for that access
 * (FI_REMOTE_WRITE or FI_REMOTE_READ). Caller holds the domain lock. */
void weft_mr_count_access(struct weft_mr_map *map, uint64_t key,
			  uint64_t access);

/* The region registered under key (enabled or not), or NULL. Caller holds
 * the domain lock. */
struct weft_mr *weft_mr_find(struct weft_mr_map *map, uint64_t key);

#endif
