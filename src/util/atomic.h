/* Software atomics: every operation and datatype of fi_atomic(3), applied
 * to local memory. Providers use these at the target (or locally for shm).
 * All functions operate on `count` elements; they are not atomic with
 * respect to other threads by themselves: the caller serialises accesses to
 * a region (domain or region lock). */
#ifndef WEFT_UTIL_ATOMIC_H
#define WEFT_UTIL_ATOMIC_H

#include <rdma/fi_atomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum weft_atomic_kind {
	WEFT_ATOMIC_WRITE,   /* fi_atomic */
	WEFT_ATOMIC_READWRITE, /* fi_fetch_atomic */
	WEFT_ATOMIC_COMPARE, /* fi_compare_atomic */
};

/* Size in bytes of one element, 0 for an unknown datatype. */
size_t weft_datatype_size(enum fi_datatype dt);
/* Whether op is defined for dt in that kind of call (e.g. FI_BOR on floats
 * is not; FI_CSWAP_* only in COMPARE, FI_ATOMIC_READ only in READWRITE). */
bool weft_atomic_supported(enum weft_atomic_kind kind, enum fi_op op,
			   enum fi_datatype dt);

/* dst[i] = dst[i] op src[i]. */
int weft_atomic_write(enum fi_op op, enum fi_datatype dt, void *dst,
		      const void *src, size_t count);
/* result[i] = dst[i]; dst[i] = dst[i] op src[i] (src unused for
 * FI_ATOMIC_READ). */
int weft_atomic_readwrite(enum fi_op op, enum fi_datatype dt, void *dst,
			  const void *src, void *result, size_t count);
/* result[i] = dst[i]; if (compare[i] cmpop dst[i]) dst[i] = src[i], the
 * operand order of fi_atomic(3) (FI_CSWAP_LT swaps when compare < dst);
 * FI_MSWAP: dst = (src & compare) | (dst & ~compare). */
int weft_atomic_compare(enum fi_op op, enum fi_datatype dt, void *dst,
			const void *src, const void *compare, void *result,
			size_t count);
/* All return 0, -FI_EOPNOTSUPP for an unsupported op/datatype/kind, or
 * -FI_EINVAL for a NULL buffer the op needs (count 0 touches nothing). */

/* The count fi_query_atomic reports: elements per call a provider can
 * promise by default (it may report less, e.g. capped by inject_size). */
#define WEFT_ATOMIC_MAX_BYTES 4096

/* fi_query_atomic / fi_*atomicvalid helper: fills attr->size (bytes per
 * element) and attr->count (WEFT_ATOMIC_MAX_BYTES / size). 0,
 * -FI_EOPNOTSUPP, or -FI_EINVAL for a NULL attr. */
int weft_atomic_query(enum fi_op op, enum fi_datatype dt,
		      enum weft_atomic_kind kind, struct fi_atomic_attr *attr);
/* Map fi_query_atomic flags (FI_FETCH_ATOMIC, FI_COMPARE_ATOMIC, neither)
 * to a kind; -FI_EINVAL if both are set. Other bits are ignored. */
int weft_atomic_kind_from_flags(uint64_t flags, enum weft_atomic_kind *kind);

#endif
