/* Address vectors: FI_AV_MAP and FI_AV_TABLE over fixed-length provider
 * addresses (sockaddr_in/in6 for udp and tcp, a string name for shm).
 *
 * fi_addr_t values are table indices for both types (fi_av(3) lets FI_AV_MAP
 * hand out any value). Removed slots are not reused while... see av.c.
 * A hash from address bytes to index answers reverse lookups for FI_SOURCE.
 * With a bound EQ, inserts complete asynchronously with FI_AV_COMPLETE.
 */
#ifndef WEFT_UTIL_AV_H
#define WEFT_UTIL_AV_H

#include <rdma/fabric.h>
#include <rdma/fi_domain.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/list.h"
#include "lib/lock.h"

struct weft_domain;
struct weft_eq;

struct weft_av {
	struct fid_av av_fid; /* first */
	struct weft_domain *domain;
	enum fi_av_type type;
	uint32_t addr_format; /* FI_SOCKADDR_IN, FI_SOCKADDR_IN6, FI_ADDR_STR, ... */
	size_t addrlen;       /* bytes stored per entry */
	uint64_t flags;
	struct weft_lock lock;
	uint8_t *addrs;       /* count * addrlen */
	bool *used;           /* slot in use */
	size_t count, cap;
	void *index;          /* implementation-private hash: bytes -> slot */
	struct weft_eq *eq;
	atomic_int ref;       /* endpoints bound */
};

static inline struct weft_av *weft_av_of(struct fid_av *a)
{
	return weft_container_of(a, struct weft_av, av_fid);
}

/* fi_ops_domain->av_open, usable as is. The address format and length come
 * from the domain's info (addr_format); sockaddrs are compared on family,
 * port and address only. */
int weft_av_open(struct fid_domain *domain, struct fi_av_attr *attr,
		 struct fid_av **av, void *context);

/* The stored address of fi_addr, or NULL if it is not a valid entry.
 * Lock-free for readers in the data path: slots never move once written
 * (the array grows by allocating a new one and keeping the old alive
 * until close) -- see av.c. */
const void *weft_av_addr(struct weft_av *av, fi_addr_t fi_addr);
/* Reverse lookup for FI_SOURCE: FI_ADDR_NOTAVAIL when unknown. */
fi_addr_t weft_av_reverse(struct weft_av *av, const void *addr, size_t addrlen);

#endif
