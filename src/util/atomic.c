/* Software atomics for every fi_op x fi_datatype pair of fi_atomic(3).
 *
 * Shape: weft_atomic_supported() is the single validity table; the three
 * public entry points check it, then dispatch once per call (a switch on
 * the datatype) to a typed loop that applies the op element by element.
 * Elements are loaded and stored with memcpy because operands often come
 * straight out of a packet buffer with no alignment guarantee.
 *
 * The typed loops are stamped out by three small macros, one per family
 * (integers, real floating point, complex), each a plain function per
 * type that a debugger can step through. Integer arithmetic goes through
 * an unsigned type at least as wide as the element so that overflow wraps
 * instead of being undefined behaviour.
 */
#include <complex.h>
#include <rdma/fi_errno.h>
#include <stdint.h>
#include <string.h>

#include "util/atomic.h"

typedef __int128 weft_int128;
typedef unsigned __int128 weft_uint128;

enum weft_dt_family {
	WEFT_DT_NONE,
	WEFT_DT_INT,     /* every op */
	WEFT_DT_REAL,    /* no bitwise ops, no FI_MSWAP */
	WEFT_DT_COMPLEX, /* no ordering (min/max, CSWAP_LE..GT), no bitwise */
};

static enum weft_dt_family dt_family(enum fi_datatype dt)
{
	switch (dt) {
	case FI_INT8: case FI_UINT8: case FI_INT16: case FI_UINT16:
	case FI_INT32: case FI_UINT32: case FI_INT64: case FI_UINT64:
	case FI_INT128: case FI_UINT128:
		return WEFT_DT_INT;
	case FI_FLOAT: case FI_DOUBLE: case FI_LONG_DOUBLE:
		return WEFT_DT_REAL;
	case FI_FLOAT_COMPLEX: case FI_DOUBLE_COMPLEX:
	case FI_LONG_DOUBLE_COMPLEX:
		return WEFT_DT_COMPLEX;
	default:
		return WEFT_DT_NONE;
	}
}

size_t weft_datatype_size(enum fi_datatype dt)
{
	switch (dt) {
	case FI_INT8: case FI_UINT8: return 1;
	case FI_INT16: case FI_UINT16: return 2;
	case FI_INT32: case FI_UINT32: return 4;
	case FI_INT64: case FI_UINT64: return 8;
	case FI_INT128: case FI_UINT128: return sizeof(weft_int128);
	case FI_FLOAT: return sizeof(float);
	case FI_DOUBLE: return sizeof(double);
	case FI_LONG_DOUBLE: return sizeof(long double);
	case FI_FLOAT_COMPLEX: return sizeof(float complex);
	case FI_DOUBLE_COMPLEX: return sizeof(double complex);
	case FI_LONG_DOUBLE_COMPLEX: return sizeof(long double complex);
	default: return 0;
	}
}

static bool op_in_kind(enum weft_atomic_kind kind, enum fi_op op)
{
	switch (kind) {
	case WEFT_ATOMIC_WRITE:
		return (op >= FI_MIN && op <= FI_BXOR) || op == FI_ATOMIC_WRITE;
	case WEFT_ATOMIC_READWRITE:
		return (op >= FI_MIN && op <= FI_BXOR) || op == FI_ATOMIC_READ ||
		       op == FI_ATOMIC_WRITE;
	case WEFT_ATOMIC_COMPARE:
		return op >= FI_CSWAP && op <= FI_MSWAP;
	default:
		return false;
	}
}

static bool op_on_family(enum fi_op op, enum weft_dt_family fam)
{
	switch (op) {
	case FI_SUM: case FI_PROD:
	case FI_LOR: case FI_LAND: case FI_LXOR:
	case FI_ATOMIC_READ: case FI_ATOMIC_WRITE:
	case FI_CSWAP: case FI_CSWAP_NE:
		return fam != WEFT_DT_NONE;
	case FI_MIN: case FI_MAX:
	case FI_CSWAP_LE: case FI_CSWAP_LT: case FI_CSWAP_GE: case FI_CSWAP_GT:
		/* Complex numbers have no order. */
		return fam == WEFT_DT_INT || fam == WEFT_DT_REAL;
	case FI_BOR: case FI_BAND: case FI_BXOR: case FI_MSWAP:
		return fam == WEFT_DT_INT;
	default:
		return false;
	}
}

bool weft_atomic_supported(enum weft_atomic_kind kind, enum fi_op op,
			   enum fi_datatype dt)
{
	return op_in_kind(kind, op) && op_on_family(op, dt_family(dt));
}

int weft_atomic_kind_from_flags(uint64_t flags, enum weft_atomic_kind *kind)
{
	uint64_t both = FI_FETCH_ATOMIC | FI_COMPARE_ATOMIC;

	if ((flags & both) == both)
		return -FI_EINVAL;
	if (flags & FI_FETCH_ATOMIC)
		*kind = WEFT_ATOMIC_READWRITE;
	else if (flags & FI_COMPARE_ATOMIC)
		*kind = WEFT_ATOMIC_COMPARE;
	else
		*kind = WEFT_ATOMIC_WRITE;
	return 0;
}

int weft_atomic_query(enum fi_op op, enum fi_datatype dt,
		      enum weft_atomic_kind kind, struct fi_atomic_attr *attr)
{
	size_t size = weft_datatype_size(dt);

	if (!attr)
		return -FI_EINVAL;
	if (!size || !weft_atomic_supported(kind, op, dt))
		return -FI_EOPNOTSUPP;
	attr->size = size;
	attr->count = WEFT_ATOMIC_MAX_BYTES / size;
	return 0;
}

/* ---- typed element loops ------------------------------------------------
 *
 * Each family macro defines, for one C type T named `name`:
 *   name_op(op, old, src, cmp) -> the new target value
 *   name_apply(op, dst, src, cmp, res, n): for each element, save the old
 *     target into res (if res), then store name_op(...) into dst.
 * src and cmp may be NULL (FI_ATOMIC_READ, non-compare kinds): they then
 * read as zero, which the ops that use them never see.
 * Validity was checked before dispatch; an op the family does not define
 * leaves the target unchanged.
 */

#define WEFT_ATOMIC_APPLY(name, T)                                             \
	static void name##_apply(enum fi_op op, void *dst, const void *src,    \
				 const void *cmp, void *res, size_t n)         \
	{                                                                      \
		for (size_t i = 0; i < n; i++) {                               \
			T old, s = 0, c = 0, new;                              \
			memcpy(&old, (char *)dst + i * sizeof(T), sizeof(T));  \
			if (src)                                               \
				memcpy(&s, (const char *)src + i * sizeof(T),  \
				       sizeof(T));                             \
			if (cmp)                                               \
				memcpy(&c, (const char *)cmp + i * sizeof(T),  \
				       sizeof(T));                             \
			new = name##_op(op, old, s, c);                        \
			if (res)                                               \
				memcpy((char *)res + i * sizeof(T), &old,      \
				       sizeof(T));                             \
			memcpy((char *)dst + i * sizeof(T), &new, sizeof(T));  \
		}                                                              \
	}

/* Integers. W is an unsigned type at least as wide as T (and as int), so
 * sums and products wrap modulo 2^bits for signed and unsigned T alike. */
#define WEFT_ATOMIC_INT(name, T, W)                                            \
	static T name##_op(enum fi_op op, T d, T s, T c)                       \
	{                                                                      \
		switch (op) {                                                  \
		case FI_MIN: return s < d ? s : d;                             \
		case FI_MAX: return s > d ? s : d;                             \
		case FI_SUM: return (T)((W)d + (W)s);                          \
		case FI_PROD: return (T)((W)d * (W)s);                         \
		case FI_LOR: return (d || s) ? 1 : 0;                          \
		case FI_LAND: return (d && s) ? 1 : 0;                         \
		case FI_LXOR: return (!d != !s) ? 1 : 0;                       \
		case FI_BOR: return d | s;                                     \
		case FI_BAND: return d & s;                                    \
		case FI_BXOR: return d ^ s;                                    \
		case FI_ATOMIC_WRITE: return s;                                \
		case FI_CSWAP: return c == d ? s : d;                          \
		case FI_CSWAP_NE: return c != d ? s : d;                       \
		case FI_CSWAP_LE: return c <= d ? s : d;                       \
		case FI_CSWAP_LT: return c < d ? s : d;                        \
		case FI_CSWAP_GE: return c >= d ? s : d;                       \
		case FI_CSWAP_GT: return c > d ? s : d;                        \
		case FI_MSWAP: return (T)((s & c) | (d & ~c));                 \
		default: return d; /* FI_ATOMIC_READ */                        \
		}                                                              \
	}                                                                      \
	WEFT_ATOMIC_APPLY(name, T)

/* Real floating point: comparisons exactly as fi_atomic(3) writes them
 * (so a NaN operand never replaces the target in FI_MIN/FI_MAX). */
#define WEFT_ATOMIC_REAL(name, T)                                              \
	static T name##_op(enum fi_op op, T d, T s, T c)                       \
	{                                                                      \
		switch (op) {                                                  \
		case FI_MIN: return s < d ? s : d;                             \
		case FI_MAX: return s > d ? s : d;                             \
		case FI_SUM: return d + s;                                     \
		case FI_PROD: return d * s;                                    \
		case FI_LOR: return (d != 0 || s != 0) ? 1 : 0;                \
		case FI_LAND: return (d != 0 && s != 0) ? 1 : 0;               \
		case FI_LXOR: return ((d != 0) != (s != 0)) ? 1 : 0;           \
		case FI_ATOMIC_WRITE: return s;                                \
		case FI_CSWAP: return c == d ? s : d;                          \
		case FI_CSWAP_NE: return c != d ? s : d;                       \
		case FI_CSWAP_LE: return c <= d ? s : d;                       \
		case FI_CSWAP_LT: return c < d ? s : d;                        \
		case FI_CSWAP_GE: return c >= d ? s : d;                       \
		case FI_CSWAP_GT: return c > d ? s : d;                        \
		default: return d;                                             \
		}                                                              \
	}                                                                      \
	WEFT_ATOMIC_APPLY(name, T)

/* Complex: arithmetic, logic (non-zero is true) and (in)equality only. */
#define WEFT_ATOMIC_COMPLEX(name, T)                                           \
	static T name##_op(enum fi_op op, T d, T s, T c)                       \
	{                                                                      \
		switch (op) {                                                  \
		case FI_SUM: return d + s;                                     \
		case FI_PROD: return d * s;                                    \
		case FI_LOR: return (d != 0 || s != 0) ? 1 : 0;                \
		case FI_LAND: return (d != 0 && s != 0) ? 1 : 0;               \
		case FI_LXOR: return ((d != 0) != (s != 0)) ? 1 : 0;           \
		case FI_ATOMIC_WRITE: return s;                                \
		case FI_CSWAP: return c == d ? s : d;                          \
		case FI_CSWAP_NE: return c != d ? s : d;                       \
		default: return d;                                             \
		}                                                              \
	}                                                                      \
	WEFT_ATOMIC_APPLY(name, T)

WEFT_ATOMIC_INT(i8, int8_t, uint64_t)
WEFT_ATOMIC_INT(u8, uint8_t, uint64_t)
WEFT_ATOMIC_INT(i16, int16_t, uint64_t)
WEFT_ATOMIC_INT(u16, uint16_t, uint64_t)
WEFT_ATOMIC_INT(i32, int32_t, uint64_t)
WEFT_ATOMIC_INT(u32, uint32_t, uint64_t)
WEFT_ATOMIC_INT(i64, int64_t, uint64_t)
WEFT_ATOMIC_INT(u64, uint64_t, uint64_t)
WEFT_ATOMIC_INT(i128, weft_int128, weft_uint128)
WEFT_ATOMIC_INT(u128, weft_uint128, weft_uint128)
WEFT_ATOMIC_REAL(flt, float)
WEFT_ATOMIC_REAL(dbl, double)
WEFT_ATOMIC_REAL(ldbl, long double)
WEFT_ATOMIC_COMPLEX(cflt, float complex)
WEFT_ATOMIC_COMPLEX(cdbl, double complex)
WEFT_ATOMIC_COMPLEX(cldbl, long double complex)

typedef void (*weft_atomic_apply_fn)(enum fi_op op, void *dst,
				     const void *src, const void *cmp,
				     void *res, size_t n);

static weft_atomic_apply_fn apply_fn(enum fi_datatype dt)
{
	switch (dt) {
	case FI_INT8: return i8_apply;
	case FI_UINT8: return u8_apply;
	case FI_INT16: return i16_apply;
	case FI_UINT16: return u16_apply;
	case FI_INT32: return i32_apply;
	case FI_UINT32: return u32_apply;
	case FI_INT64: return i64_apply;
	case FI_UINT64: return u64_apply;
	case FI_INT128: return i128_apply;
	case FI_UINT128: return u128_apply;
	case FI_FLOAT: return flt_apply;
	case FI_DOUBLE: return dbl_apply;
	case FI_LONG_DOUBLE: return ldbl_apply;
	case FI_FLOAT_COMPLEX: return cflt_apply;
	case FI_DOUBLE_COMPLEX: return cdbl_apply;
	case FI_LONG_DOUBLE_COMPLEX: return cldbl_apply;
	default: return NULL;
	}
}

static int run(enum weft_atomic_kind kind, enum fi_op op, enum fi_datatype dt,
	       void *dst, const void *src, const void *cmp, void *res,
	       size_t count)
{
	weft_atomic_apply_fn fn;

	if (!weft_atomic_supported(kind, op, dt))
		return -FI_EOPNOTSUPP;
	fn = apply_fn(dt);
	if (!fn)
		return -FI_EOPNOTSUPP;
	if (!count)
		return 0;
	if (!dst || (!src && op != FI_ATOMIC_READ) ||
	    (kind == WEFT_ATOMIC_COMPARE && !cmp) ||
	    (kind != WEFT_ATOMIC_WRITE && !res))
		return -FI_EINVAL;
	fn(op, dst, src, cmp, res, count);
	return 0;
}

int weft_atomic_write(enum fi_op op, enum fi_datatype dt, void *dst,
		      const void *src, size_t count)
{
	return run(WEFT_ATOMIC_WRITE, op, dt, dst, src, NULL, NULL, count);
}

int weft_atomic_readwrite(enum fi_op op, enum fi_datatype dt, void *dst,
			  const void *src, void *result, size_t count)
{
	return run(WEFT_ATOMIC_READWRITE, op, dt, dst, src, NULL, result,
		   count);
}

int weft_atomic_compare(enum fi_op op, enum fi_datatype dt, void *dst,
			const void *src, const void *compare, void *result,
			size_t count)
{
	return run(WEFT_ATOMIC_COMPARE, op, dt, dst, src, compare, result,
		   count);
}
