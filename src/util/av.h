/* Address vectors: FI_AV_MAP and FI_AV_TABLE over fixed-length provider
 * addresses (sockaddr_in/in6 for udp and tcp, a string name for shm).
 *
 * fi_addr_t values are slot indices for both types (fi_av(3) lets FI_AV_MAP
 * hand out any value). A removed slot is free again and the next insert
 * takes the lowest free slot, as fi_av(3) describes for FI_AV_TABLE.
 *
 * Storage never moves: slots live in chunks that double in size (chunk k
 * holds base << k slots), allocated on demand and freed only at close. So
 * the data path reads a slot without a lock (weft_av_addr); a slot is
 * published with a release store of its state after its bytes are written.
 *
 * FI_ADDR_STR inserts take either form applications use: the array of
 * char * that fi_av(3) describes, or the bytes fi_getname returned (NUL-
 * terminated strings one after the other, as libfabric's shm provider and
 * fabtests' fi_pingpong pass them). The two are told apart by the first 8
 * bytes: every string address starts with 8 printable characters
 * ("fi_shm://", ...), which no user-space pointer can be (av.c,
 * str_packed).
 *
 * A hash from the address's canonical bytes (sockaddrs: family, port and
 * address only) to the slot answers reverse lookups for FI_SOURCE.
 * With FI_EVENT (fi_av_open flags) and a bound EQ, inserts complete
 * asynchronously: per-address error entries, then one FI_AV_COMPLETE.
 *
 * Locking: av->lock (a real mutex unless the domain's threading level makes
 * the application serialise: FI_THREAD_DOMAIN / FI_THREAD_COMPLETION)
 * guards inserts, removals and the hash. Providers call weft_av_addr and
 * weft_av_report_addr without any lock, and weft_av_reverse without any
 * lock (it takes av->lock itself).
 */
#ifndef WEFT_UTIL_AV_H
#define WEFT_UTIL_AV_H

#include <rdma/fabric.h>
#include <rdma/fi_domain.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/hash.h"
#include "lib/list.h"
#include "lib/lock.h"

struct weft_domain;
struct weft_eq;

/* Longest FI_ADDR_STR address stored, terminating NUL included. */
#define WEFT_AV_STR_MAX 256
/* Chunks of slots; chunk k holds (1 << base_shift) << k slots, so 40
 * chunks are far more than any index an fi_addr_t can name in practice. */
#define WEFT_AV_CHUNKS 40

struct weft_av {
	struct fid_av av_fid; /* first */
	struct weft_domain *domain;
	enum fi_av_type type;
	uint32_t addr_format; /* FI_SOCKADDR_IN, FI_SOCKADDR_IN6, FI_SOCKADDR,
				 FI_ADDR_STR */
	size_t addrlen;       /* most bytes one entry stores */
	uint64_t flags;       /* open flags: FI_EVENT, FI_SYMMETRIC */
	struct weft_lock lock;
	/* Slot storage (see above). chunks[] entries are published with a
	 * release store and read with acquire loads; everything else below
	 * is under lock. */
	_Atomic(unsigned char *) chunks[WEFT_AV_CHUNKS];
	unsigned base_shift;  /* chunk 0 holds 1 << base_shift slots */
	size_t stride;        /* bytes per slot (header + addrlen, aligned) */
	uint64_t high;        /* slots [0, high) have been used at least once */
	uint64_t free_hint;   /* no free slot below this index */
	size_t nfree;         /* free slots below high */
	size_t count;         /* live entries */
	struct weft_hash index; /* hash(canonical address) -> slot index */
	int rx_ctx_bits;
	uint64_t index_mask;  /* strips the receive-context bits */
	struct weft_eq *eq;   /* bound with fi_av_bind */
	/* Bumped (release) by every fi_av_remove. A provider that caches
	 * what it derived from an fi_addr (a peer by AV index, a sender's
	 * reverse-looked-up fi_addr) compares it with an acquire load and
	 * drops its cache when it moved. */
	_Atomic uint64_t gen;
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

/* The stored address of fi_addr (receive-context bits ignored), or NULL if
 * it is not a valid entry. Lock-free, allocation-free; the pointer stays
 * readable until the AV closes (its bytes change only if the entry is
 * removed and the slot reused, which fi_av(3) makes the application's
 * problem). */
const void *weft_av_addr(struct weft_av *av, fi_addr_t fi_addr);
/* The same, also giving the entry's length (sizeof the sockaddr of its
 * family, or the string length + 1 for FI_ADDR_STR); *len is written only
 * when the result is not NULL. */
const void *weft_av_addr_len(struct weft_av *av, fi_addr_t fi_addr,
			     size_t *len);
/* Reverse lookup for FI_SOURCE: FI_ADDR_NOTAVAIL when unknown. Takes
 * av->lock; allocation-free. addrlen is the size of addr (a sockaddr_in or
 * sockaddr_in6 for sockaddr formats, the string for FI_ADDR_STR, whose
 * NUL is optional within addrlen). */
fi_addr_t weft_av_reverse(struct weft_av *av, const void *addr, size_t addrlen);
/* What a completion reports as the source of fi_addr: the user id given
 * with FI_AV_USER_ID at insert time, or fi_addr itself. Lock-free. */
fi_addr_t weft_av_report_addr(struct weft_av *av, fi_addr_t fi_addr);

/* fi_av_insertsym's node naming: the name `step` nodes after `node`.
 * IPv4/IPv6 literals count up as integers (carrying across octets); other
 * names need a numeric suffix, which keeps its width ("node07" + 1 ->
 * "node08", "n9" + 1 -> "n10"). step 0 is node itself. 0, -FI_EINVAL (no
 * suffix, past the top of the address space) or -FI_ETOOSMALL. */
int weft_av_sym_node_name(const char *node, size_t step, char *out,
			  size_t outlen);

/* The receive-context index fi_rx_addr() put into fi_addr. */
static inline unsigned weft_av_rx_index(const struct weft_av *av,
					fi_addr_t fi_addr)
{
	return av->rx_ctx_bits ?
		       (unsigned)(fi_addr >> (64 - av->rx_ctx_bits)) : 0;
}

#endif
