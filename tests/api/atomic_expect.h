/* Values for the atomic tests (public API only): write a number into, and
 * read it out of, an element of any fi_datatype, and what the target
 * element (6) becomes under each fi_op with operand 3 and compare value 6.
 * Shared by the shm and udp atomic tests so both check against one
 * reference. atomic_get also checks that a complex value has no imaginary
 * part. */
#ifndef WEFT_ATOMIC_EXPECT_H
#define WEFT_ATOMIC_EXPECT_H

#include <complex.h>
#include <stdint.h>

#include <rdma/fi_atomic.h>

#include "testlib.h"

static inline void atomic_put(enum fi_datatype dt, void *p, long double v)
{
	switch (dt) {
	case FI_INT8: *(int8_t *)p = (int8_t)v; break;
	case FI_UINT8: *(uint8_t *)p = (uint8_t)v; break;
	case FI_INT16: *(int16_t *)p = (int16_t)v; break;
	case FI_UINT16: *(uint16_t *)p = (uint16_t)v; break;
	case FI_INT32: *(int32_t *)p = (int32_t)v; break;
	case FI_UINT32: *(uint32_t *)p = (uint32_t)v; break;
	case FI_INT64: *(int64_t *)p = (int64_t)v; break;
	case FI_UINT64: *(uint64_t *)p = (uint64_t)v; break;
	case FI_FLOAT: *(float *)p = (float)v; break;
	case FI_DOUBLE: *(double *)p = (double)v; break;
	case FI_LONG_DOUBLE: *(long double *)p = v; break;
	case FI_FLOAT_COMPLEX: *(float complex *)p = (float)v; break;
	case FI_DOUBLE_COMPLEX: *(double complex *)p = (double)v; break;
	default: *(long double complex *)p = v; break;
	}
}

static inline long double atomic_get(enum fi_datatype dt, const void *p)
{
	switch (dt) {
	case FI_INT8: return *(const int8_t *)p;
	case FI_UINT8: return *(const uint8_t *)p;
	case FI_INT16: return *(const int16_t *)p;
	case FI_UINT16: return *(const uint16_t *)p;
	case FI_INT32: return *(const int32_t *)p;
	case FI_UINT32: return *(const uint32_t *)p;
	case FI_INT64: return (long double)*(const int64_t *)p;
	case FI_UINT64: return (long double)*(const uint64_t *)p;
	case FI_FLOAT: return *(const float *)p;
	case FI_DOUBLE: return *(const double *)p;
	case FI_LONG_DOUBLE: return *(const long double *)p;
	case FI_FLOAT_COMPLEX:
		CHECK(cimagf(*(const float complex *)p) == 0);
		return crealf(*(const float complex *)p);
	case FI_DOUBLE_COMPLEX:
		CHECK(cimag(*(const double complex *)p) == 0);
		return creal(*(const double complex *)p);
	default:
		CHECK(cimagl(*(const long double complex *)p) == 0);
		return creall(*(const long double complex *)p);
	}
}

/* What dst (6) becomes under op with operand 3 and compare 6. */
static inline long double atomic_ref(enum fi_op op)
{
	switch (op) {
	case FI_MIN: return 3;
	case FI_MAX: return 6;
	case FI_SUM: return 9;
	case FI_PROD: return 18;
	case FI_LOR: return 1;
	case FI_LAND: return 1;
	case FI_BOR: return 7;
	case FI_BAND: return 2;
	case FI_LXOR: return 0;
	case FI_BXOR: return 5;
	case FI_ATOMIC_READ: return 6;
	case FI_ATOMIC_WRITE: return 3;
	case FI_CSWAP: return 3;    /* 6 == 6 */
	case FI_CSWAP_NE: return 6;
	case FI_CSWAP_LE: return 3; /* 6 <= 6 */
	case FI_CSWAP_LT: return 6;
	case FI_CSWAP_GE: return 3;
	case FI_CSWAP_GT: return 6;
	case FI_MSWAP: return 2;    /* (3 & 6) | (6 & ~6) */
	default: CHECK(0); return 0;
	}
}

#endif
