/* Every fi_op x fi_datatype x call kind: validity per fi_atomic(3) and,
 * for the valid ones, every element of a vector of operand triples checked
 * against an expected value computed here independently (integers in
 * 128-bit arithmetic with explicit masking, reals and complex numbers
 * component-wise in long double on exactly representable values). */
#include <complex.h>
#include <stdint.h>

#include "testlib.h"
#include "util/atomic.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

enum fam { F_INT, F_REAL, F_CPLX };

struct dtinfo {
	enum fi_datatype dt;
	const char *name;
	enum fam fam;
	unsigned bits;  /* integers */
	bool is_signed; /* integers */
	size_t size;
};

static const struct dtinfo dts[] = {
	{ FI_INT8, "int8", F_INT, 8, true, 1 },
	{ FI_UINT8, "uint8", F_INT, 8, false, 1 },
	{ FI_INT16, "int16", F_INT, 16, true, 2 },
	{ FI_UINT16, "uint16", F_INT, 16, false, 2 },
	{ FI_INT32, "int32", F_INT, 32, true, 4 },
	{ FI_UINT32, "uint32", F_INT, 32, false, 4 },
	{ FI_INT64, "int64", F_INT, 64, true, 8 },
	{ FI_UINT64, "uint64", F_INT, 64, false, 8 },
	{ FI_INT128, "int128", F_INT, 128, true, 16 },
	{ FI_UINT128, "uint128", F_INT, 128, false, 16 },
	{ FI_FLOAT, "float", F_REAL, 0, true, sizeof(float) },
	{ FI_DOUBLE, "double", F_REAL, 0, true, sizeof(double) },
	{ FI_LONG_DOUBLE, "long double", F_REAL, 0, true, sizeof(long double) },
	{ FI_FLOAT_COMPLEX, "float complex", F_CPLX, 0, true, 2 * sizeof(float) },
	{ FI_DOUBLE_COMPLEX, "double complex", F_CPLX, 0, true, 2 * sizeof(double) },
	{ FI_LONG_DOUBLE_COMPLEX, "long double complex", F_CPLX, 0, true,
	  2 * sizeof(long double) },
};
#define NDT (sizeof(dts) / sizeof(dts[0]))

static const char *op_names[] = {
	"MIN", "MAX", "SUM", "PROD", "LOR", "LAND", "BOR", "BAND", "LXOR",
	"BXOR", "READ", "WRITE", "CSWAP", "CSWAP_NE", "CSWAP_LE", "CSWAP_LT",
	"CSWAP_GE", "CSWAP_GT", "MSWAP",
};

/* fi_atomic(3): which ops each call family takes, and which datatypes each
 * op is defined on. Written out as lists, not derived. */
static bool expect_supported(enum weft_atomic_kind kind, enum fi_op op,
			     enum fam fam)
{
	static const enum fi_op base[] = { FI_MIN, FI_MAX, FI_SUM, FI_PROD,
		FI_LOR, FI_LAND, FI_BOR, FI_BAND, FI_LXOR, FI_BXOR,
		FI_ATOMIC_WRITE };
	static const enum fi_op fetch[] = { FI_MIN, FI_MAX, FI_SUM, FI_PROD,
		FI_LOR, FI_LAND, FI_BOR, FI_BAND, FI_LXOR, FI_BXOR,
		FI_ATOMIC_READ, FI_ATOMIC_WRITE };
	static const enum fi_op cmp[] = { FI_CSWAP, FI_CSWAP_NE, FI_CSWAP_LE,
		FI_CSWAP_LT, FI_CSWAP_GE, FI_CSWAP_GT, FI_MSWAP };
	const enum fi_op *list = kind == WEFT_ATOMIC_WRITE ? base :
				 kind == WEFT_ATOMIC_READWRITE ? fetch : cmp;
	size_t n = kind == WEFT_ATOMIC_WRITE ? 11 :
		   kind == WEFT_ATOMIC_READWRITE ? 12 : 7;
	bool in = false;

	for (size_t i = 0; i < n; i++)
		in |= list[i] == op;
	if (!in)
		return false;
	if (op == FI_BOR || op == FI_BAND || op == FI_BXOR || op == FI_MSWAP)
		return fam == F_INT;
	if (op == FI_MIN || op == FI_MAX || op == FI_CSWAP_LE ||
	    op == FI_CSWAP_LT || op == FI_CSWAP_GE || op == FI_CSWAP_GT)
		return fam != F_CPLX;
	return true;
}

/* ---- integer model: w-bit values kept as the low bits of a u128 ---- */

static u128 mask_of(unsigned bits)
{
	return bits == 128 ? ~(u128)0 : (((u128)1 << bits) - 1);
}

static s128 as_signed(u128 v, unsigned bits)
{
	if (bits < 128 && (v >> (bits - 1)) & 1)
		v |= ~mask_of(bits);
	return (s128)v;
}

static bool lt(const struct dtinfo *d, u128 a, u128 b)
{
	return d->is_signed ? as_signed(a, d->bits) < as_signed(b, d->bits) :
			      a < b;
}

static u128 int_expect(const struct dtinfo *d, enum fi_op op, u128 x, u128 s,
		       u128 c)
{
	u128 m = mask_of(d->bits);

	switch (op) {
	case FI_MIN: return lt(d, s, x) ? s : x;
	case FI_MAX: return lt(d, x, s) ? s : x;
	case FI_SUM: return (x + s) & m;
	case FI_PROD: return (x * s) & m;
	case FI_LOR: return x != 0 || s != 0;
	case FI_LAND: return x != 0 && s != 0;
	case FI_LXOR: return (x != 0) != (s != 0);
	case FI_BOR: return x | s;
	case FI_BAND: return x & s;
	case FI_BXOR: return x ^ s;
	case FI_ATOMIC_READ: return x;
	case FI_ATOMIC_WRITE: return s;
	case FI_CSWAP: return c == x ? s : x;
	case FI_CSWAP_NE: return c != x ? s : x;
	case FI_CSWAP_LE: return !lt(d, x, c) ? s : x;
	case FI_CSWAP_LT: return lt(d, c, x) ? s : x;
	case FI_CSWAP_GE: return !lt(d, c, x) ? s : x;
	case FI_CSWAP_GT: return lt(d, x, c) ? s : x;
	case FI_MSWAP: return ((s & c) | (x & ~c)) & m;
	default: CHECK(0); return 0;
	}
}

/* ---- real/complex model: (re, im) in long double ---- */
struct cv {
	long double re, im;
};

static bool cv_true(struct cv v)
{
	return v.re != 0 || v.im != 0;
}

static struct cv cv_expect(enum fi_op op, struct cv x, struct cv s,
			   struct cv c)
{
	struct cv one = { 1, 0 }, zero = { 0, 0 }, r;

	switch (op) {
	case FI_MIN: return s.re < x.re ? s : x;
	case FI_MAX: return s.re > x.re ? s : x;
	case FI_SUM:
		r.re = x.re + s.re;
		r.im = x.im + s.im;
		return r;
	case FI_PROD:
		r.re = x.re * s.re - x.im * s.im;
		r.im = x.re * s.im + x.im * s.re;
		return r;
	case FI_LOR: return cv_true(x) || cv_true(s) ? one : zero;
	case FI_LAND: return cv_true(x) && cv_true(s) ? one : zero;
	case FI_LXOR: return cv_true(x) != cv_true(s) ? one : zero;
	case FI_ATOMIC_READ: return x;
	case FI_ATOMIC_WRITE: return s;
	case FI_CSWAP: return (c.re == x.re && c.im == x.im) ? s : x;
	case FI_CSWAP_NE: return !(c.re == x.re && c.im == x.im) ? s : x;
	case FI_CSWAP_LE: return c.re <= x.re ? s : x;
	case FI_CSWAP_LT: return c.re < x.re ? s : x;
	case FI_CSWAP_GE: return c.re >= x.re ? s : x;
	case FI_CSWAP_GT: return c.re > x.re ? s : x;
	default: CHECK(0); return zero;
	}
}

/* Encode / decode one element of datatype d at p (p may be unaligned). */
static void put_int(const struct dtinfo *d, void *p, u128 v)
{
	/* x86-64 is little-endian: the low bytes of v are the element. */
	memcpy(p, &v, d->size);
}

static u128 get_int(const struct dtinfo *d, const void *p)
{
	u128 v = 0;
	memcpy(&v, p, d->size);
	return v;
}

static void put_cv(const struct dtinfo *d, void *p, struct cv v)
{
	switch (d->dt) {
	case FI_FLOAT: { float f = (float)v.re; memcpy(p, &f, sizeof(f)); break; }
	case FI_DOUBLE: { double f = (double)v.re; memcpy(p, &f, sizeof(f)); break; }
	case FI_LONG_DOUBLE: memcpy(p, &v.re, sizeof(v.re)); break;
	case FI_FLOAT_COMPLEX: {
		float f[2] = { (float)v.re, (float)v.im };
		memcpy(p, f, sizeof(f));
		break;
	}
	case FI_DOUBLE_COMPLEX: {
		double f[2] = { (double)v.re, (double)v.im };
		memcpy(p, f, sizeof(f));
		break;
	}
	case FI_LONG_DOUBLE_COMPLEX: {
		long double f[2] = { v.re, v.im };
		memcpy(p, f, sizeof(f));
		break;
	}
	default: CHECK(0);
	}
}

static struct cv get_cv(const struct dtinfo *d, const void *p)
{
	struct cv v = { 0, 0 };

	switch (d->dt) {
	case FI_FLOAT: { float f; memcpy(&f, p, sizeof(f)); v.re = f; break; }
	case FI_DOUBLE: { double f; memcpy(&f, p, sizeof(f)); v.re = f; break; }
	case FI_LONG_DOUBLE: memcpy(&v.re, p, sizeof(v.re)); break;
	case FI_FLOAT_COMPLEX: {
		float f[2];
		memcpy(f, p, sizeof(f));
		v.re = f[0];
		v.im = f[1];
		break;
	}
	case FI_DOUBLE_COMPLEX: {
		double f[2];
		memcpy(f, p, sizeof(f));
		v.re = f[0];
		v.im = f[1];
		break;
	}
	case FI_LONG_DOUBLE_COMPLEX: {
		long double f[2];
		memcpy(f, p, sizeof(f));
		v.re = f[0];
		v.im = f[1];
		break;
	}
	default: CHECK(0);
	}
	return v;
}

/* Operand pools. Integer values are truncated to the type's width, which
 * gives each width its own edge cases (sign bit, all ones, wrap). */
static const u128 int_pool[] = {
	0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xfffe,
	0x7fffffffu, 0x80000000u, 0xdeadbeefu, 0x7fffffffffffffffull,
	0x8000000000000000ull, 0x0123456789abcdefull,
	~(u128)0, ~(u128)0 - 5, (u128)1 << 127, ((u128)1 << 100) + 77,
};
#define NINT (sizeof(int_pool) / sizeof(int_pool[0]))

static const struct cv real_pool[] = {
	{ 0, 0 }, { 1, 0 }, { -1, 0 }, { 2.5, 0 }, { -3, 0 }, { 0.5, 0 },
	{ 4, 0 }, { 1, 0 },
};
static const struct cv cplx_pool[] = {
	{ 0, 0 }, { 1, 0 }, { 0, 1 }, { 2, -1 }, { -1.5, 3 }, { 1, 1 },
	{ 0, -2 }, { 2, -1 },
};
#define NFP 8

/* Run one (kind, op, dt) over every operand triple at once (count = the
 * number of triples), with buffers deliberately misaligned by one byte. */
static void check_combo(enum weft_atomic_kind kind, enum fi_op op,
			const struct dtinfo *d)
{
	size_t npool = d->fam == F_INT ? NINT : NFP;
	size_t n = npool * npool * npool, sz = d->size;
	unsigned char *dst = calloc(n * sz + 1, 1), *src = calloc(n * sz + 1, 1);
	unsigned char *cmp = calloc(n * sz + 1, 1), *res = calloc(n * sz + 1, 1);
	unsigned char *D = dst + 1, *S = src + 1, *C = cmp + 1, *R = res + 1;
	size_t i = 0;
	int ret;

	CHECK(dst && src && cmp && res);
	for (size_t a = 0; a < npool; a++)
		for (size_t b = 0; b < npool; b++)
			for (size_t c = 0; c < npool; c++, i++) {
				if (d->fam == F_INT) {
					u128 m = mask_of(d->bits);
					put_int(d, D + i * sz, int_pool[a] & m);
					put_int(d, S + i * sz, int_pool[b] & m);
					put_int(d, C + i * sz, int_pool[c] & m);
				} else {
					const struct cv *pool = d->fam == F_REAL ?
						real_pool : cplx_pool;
					put_cv(d, D + i * sz, pool[a]);
					put_cv(d, S + i * sz, pool[b]);
					put_cv(d, C + i * sz, pool[c]);
				}
			}
	unsigned char *orig = malloc(n * sz);
	CHECK(orig);
	memcpy(orig, D, n * sz);

	if (kind == WEFT_ATOMIC_WRITE)
		ret = weft_atomic_write(op, d->dt, D, S, n);
	else if (kind == WEFT_ATOMIC_READWRITE)
		ret = weft_atomic_readwrite(op, d->dt, D,
					    op == FI_ATOMIC_READ ? NULL : S, R, n);
	else
		ret = weft_atomic_compare(op, d->dt, D, S, C, R, n);

	if (!expect_supported(kind, op, d->fam)) {
		if (ret != -FI_EOPNOTSUPP) {
			fprintf(stderr, "%s %s kind %d: got %d, want EOPNOTSUPP\n",
				op_names[op], d->name, kind, ret);
			exit(1);
		}
		CHECK(!weft_atomic_supported(kind, op, d->dt));
		CHECK(memcmp(orig, D, n * sz) == 0);
		goto out;
	}
	if (ret != 0) {
		fprintf(stderr, "%s %s kind %d: got %d\n", op_names[op], d->name,
			kind, ret);
		exit(1);
	}
	CHECK(weft_atomic_supported(kind, op, d->dt));
	for (i = 0; i < n; i++) {
		bool ok;
		if (d->fam == F_INT) {
			u128 x = get_int(d, orig + i * sz);
			u128 want = int_expect(d, op, x, get_int(d, S + i * sz),
					       get_int(d, C + i * sz));
			ok = get_int(d, D + i * sz) == want;
			if (kind != WEFT_ATOMIC_WRITE)
				ok = ok && get_int(d, R + i * sz) == x;
		} else {
			struct cv x = get_cv(d, orig + i * sz);
			struct cv want = cv_expect(op, x, get_cv(d, S + i * sz),
						   get_cv(d, C + i * sz));
			struct cv got = get_cv(d, D + i * sz);
			ok = got.re == want.re && got.im == want.im;
			if (kind != WEFT_ATOMIC_WRITE) {
				struct cv r = get_cv(d, R + i * sz);
				ok = ok && r.re == x.re && r.im == x.im;
			}
		}
		if (!ok) {
			fprintf(stderr, "%s %s kind %d: element %zu wrong\n",
				op_names[op], d->name, kind, i);
			exit(1);
		}
	}
out:
	free(orig);
	free(dst);
	free(src);
	free(cmp);
	free(res);
}

static void check_sizes_and_query(void)
{
	struct fi_atomic_attr attr;
	enum weft_atomic_kind kind;

	for (size_t i = 0; i < NDT; i++)
		CHECK(weft_datatype_size(dts[i].dt) == dts[i].size);
	CHECK(weft_datatype_size(FI_VOID) == 0);
	CHECK(weft_datatype_size((enum fi_datatype)99) == 0);

	CHECK_OK(weft_atomic_query(FI_SUM, FI_UINT32, WEFT_ATOMIC_WRITE, &attr));
	CHECK(attr.size == 4 && attr.count == WEFT_ATOMIC_MAX_BYTES / 4);
	CHECK_OK(weft_atomic_query(FI_ATOMIC_READ, FI_LONG_DOUBLE,
				   WEFT_ATOMIC_READWRITE, &attr));
	CHECK(attr.size == sizeof(long double) && attr.count >= 1);
	memset(&attr, 0xa5, sizeof(attr));
	CHECK_RET(weft_atomic_query(FI_ATOMIC_READ, FI_INT8, WEFT_ATOMIC_WRITE,
				    &attr), -FI_EOPNOTSUPP);
	CHECK(attr.size == (size_t)0xa5a5a5a5a5a5a5a5ull); /* untouched */
	CHECK_RET(weft_atomic_query(FI_BOR, FI_FLOAT, WEFT_ATOMIC_WRITE, &attr),
		  -FI_EOPNOTSUPP);
	CHECK_RET(weft_atomic_query(FI_SUM, FI_VOID, WEFT_ATOMIC_WRITE, &attr),
		  -FI_EOPNOTSUPP);
	CHECK_RET(weft_atomic_query(FI_NOOP, FI_INT8, WEFT_ATOMIC_WRITE, &attr),
		  -FI_EOPNOTSUPP);
	CHECK_RET(weft_atomic_query(FI_SUM, FI_INT8, WEFT_ATOMIC_WRITE, NULL),
		  -FI_EINVAL);

	CHECK_OK(weft_atomic_kind_from_flags(0, &kind));
	CHECK(kind == WEFT_ATOMIC_WRITE);
	CHECK_OK(weft_atomic_kind_from_flags(FI_FETCH_ATOMIC | FI_TAGGED, &kind));
	CHECK(kind == WEFT_ATOMIC_READWRITE);
	CHECK_OK(weft_atomic_kind_from_flags(FI_COMPARE_ATOMIC, &kind));
	CHECK(kind == WEFT_ATOMIC_COMPARE);
	CHECK_RET(weft_atomic_kind_from_flags(FI_FETCH_ATOMIC | FI_COMPARE_ATOMIC,
					      &kind), -FI_EINVAL);
}

static void check_bad_args(void)
{
	uint64_t d = 5, s = 7, c = 5, r = 0;

	/* count 0 is a no-op; NULL buffers the op needs are refused. */
	CHECK_OK(weft_atomic_write(FI_SUM, FI_UINT64, NULL, NULL, 0));
	CHECK_RET(weft_atomic_write(FI_SUM, FI_UINT64, NULL, &s, 1), -FI_EINVAL);
	CHECK_RET(weft_atomic_write(FI_SUM, FI_UINT64, &d, NULL, 1), -FI_EINVAL);
	CHECK_RET(weft_atomic_readwrite(FI_SUM, FI_UINT64, &d, &s, NULL, 1),
		  -FI_EINVAL);
	CHECK_RET(weft_atomic_compare(FI_CSWAP, FI_UINT64, &d, &s, NULL, &r, 1),
		  -FI_EINVAL);
	CHECK(d == 5);
	/* Out-of-range enums. */
	CHECK_RET(weft_atomic_write((enum fi_op)FI_ATOMIC_OP_LAST, FI_UINT64,
				    &d, &s, 1), -FI_EOPNOTSUPP);
	CHECK_RET(weft_atomic_write(FI_SUM, (enum fi_datatype)-1, &d, &s, 1),
		  -FI_EOPNOTSUPP);
	CHECK_OK(weft_atomic_compare(FI_CSWAP, FI_UINT64, &d, &s, &c, &r, 1));
	CHECK(d == 7 && r == 5);
}

int main(void)
{
	size_t combos = 0;

	check_sizes_and_query();
	check_bad_args();
	for (int k = WEFT_ATOMIC_WRITE; k <= WEFT_ATOMIC_COMPARE; k++)
		for (int op = FI_MIN; op < FI_ATOMIC_OP_LAST; op++)
			for (size_t i = 0; i < NDT; i++) {
				check_combo((enum weft_atomic_kind)k,
					    (enum fi_op)op, &dts[i]);
				combos++;
			}
	CHECK(combos == 3 * 19 * 16);
	return 0;
}
