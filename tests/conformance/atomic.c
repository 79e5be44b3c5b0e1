/* Conformance: fi_atomic between two processes (man fi_atomic). For every
 * base, fetch and compare operation on the integer and real datatypes,
 * A asks fi_*atomicvalid; what it calls valid must compute the man
 * page's result (checked against a reference here, at B's memory and in
 * A's fetch buffer); what it calls invalid must not succeed (an error
 * return or an error completion, B's memory untouched). Each
 * (kind, op, type) owns one 16-byte slot of B's region. */
#include "conf.h"

#include <math.h>

enum kind { BASE, FETCH, COMPARE, NKIND };

static const enum fi_op ops[NKIND][12] = {
	[BASE] = { FI_MIN, FI_MAX, FI_SUM, FI_PROD, FI_LOR, FI_LAND, FI_BOR,
		   FI_BAND, FI_LXOR, FI_BXOR, FI_ATOMIC_WRITE },
	[FETCH] = { FI_MIN, FI_MAX, FI_SUM, FI_PROD, FI_LOR, FI_LAND, FI_BOR,
		    FI_BAND, FI_LXOR, FI_BXOR, FI_ATOMIC_WRITE,
		    FI_ATOMIC_READ },
	[COMPARE] = { FI_CSWAP, FI_CSWAP_NE, FI_CSWAP_LE, FI_CSWAP_LT,
		      FI_CSWAP_GE, FI_CSWAP_GT, FI_MSWAP },
};
static const int nops[NKIND] = { 11, 12, 7 };

static const enum fi_datatype dts[] = { FI_INT8,   FI_UINT8,  FI_INT16,
					FI_UINT16, FI_INT32,  FI_UINT32,
					FI_INT64,  FI_UINT64, FI_FLOAT,
					FI_DOUBLE };
#define NDT (sizeof(dts) / sizeof(dts[0]))
#define SLOT 16
#define NSLOT (NKIND * 12 * NDT)

static size_t slot_of(int k, int o, size_t d)
{
	return ((size_t)k * 12 + (size_t)o) * NDT + d;
}

/* Operand values: small, so no type overflows; compare equals the
 * initial target value on even slots (the swap happens) and not on odd. */
static int64_t v_init(size_t s)
{
	return (int64_t)(s % 7) + 3;
}
static int64_t v_opnd(size_t s)
{
	return (int64_t)(s % 5) + ((s & 2) ? 0 : 6);
}
static int64_t v_cmp(size_t s)
{
	return (s & 1) ? v_init(s) + 1 - 2 * (int64_t)((s >> 1) & 1)
		       : v_init(s);
}

/* Store/load an integer value as datatype dt. */
static void put(enum fi_datatype dt, void *p, int64_t v)
{
	switch (dt) {
	case FI_INT8: *(int8_t *)p = (int8_t)v; break;
	case FI_UINT8: *(uint8_t *)p = (uint8_t)v; break;
	case FI_INT16: *(int16_t *)p = (int16_t)v; break;
	case FI_UINT16: *(uint16_t *)p = (uint16_t)v; break;
	case FI_INT32: *(int32_t *)p = (int32_t)v; break;
	case FI_UINT32: *(uint32_t *)p = (uint32_t)v; break;
	case FI_INT64: *(int64_t *)p = v; break;
	case FI_UINT64: *(uint64_t *)p = (uint64_t)v; break;
	case FI_FLOAT: *(float *)p = (float)v; break;
	case FI_DOUBLE: *(double *)p = (double)v; break;
	default: CHECK(0);
	}
}

static size_t dt_size(enum fi_datatype dt)
{
	switch (dt) {
	case FI_INT8: case FI_UINT8: return 1;
	case FI_INT16: case FI_UINT16: return 2;
	case FI_INT32: case FI_UINT32: case FI_FLOAT: return 4;
	default: return 8;
	}
}


/* The man page's result for one element, computed in int64 (integer
 * types: the small operands never overflow; bitwise ops on the stored
 * width are exact) or double (real types: small integers are exact). */
static void reference(enum fi_op op, enum fi_datatype dt, int64_t t,
		      int64_t b, int64_t c, void *out)
{
	int64_t r = t;

	switch (op) {
	case FI_MIN: r = b < t ? b : t; break;
	case FI_MAX: r = b > t ? b : t; break;
	case FI_SUM: r = t + b; break;
	case FI_PROD: r = t * b; break;
	case FI_LOR: r = t || b; break;
	case FI_LAND: r = t && b; break;
	case FI_BOR: r = t | b; break;
	case FI_BAND: r = t & b; break;
	case FI_LXOR: r = (t && !b) || (!t && b); break;
	case FI_BXOR: r = t ^ b; break;
	case FI_ATOMIC_WRITE: r = b; break;
	case FI_ATOMIC_READ: r = t; break;
	case FI_CSWAP: r = c == t ? b : t; break;
	case FI_CSWAP_NE: r = c != t ? b : t; break;
	case FI_CSWAP_LE: r = c <= t ? b : t; break;
	case FI_CSWAP_LT: r = c < t ? b : t; break;
	case FI_CSWAP_GE: r = c >= t ? b : t; break;
	case FI_CSWAP_GT: r = c > t ? b : t; break;
	case FI_MSWAP: r = (b & c) | (t & ~c); break;
	default: CHECK(0);
	}
	put(dt, out, r);
}

static const struct conf_pair_opts aopts = { .caps = FI_ATOMIC,
					     .mr_mode = CONF_MR_MODES };

static int valid(struct conf_ctx *ctx, int k, enum fi_op op,
		 enum fi_datatype dt, size_t *count)
{
	*count = 0;
	switch (k) {
	case BASE: return fi_atomicvalid(ctx->ep, dt, op, count);
	case FETCH: return fi_fetch_atomicvalid(ctx->ep, dt, op, count);
	default: return fi_compare_atomicvalid(ctx->ep, dt, op, count);
	}
}

/* Post one operation of `count` elements on B's slot; returns the post's
 * code. */
static ssize_t issue(struct conf_ctx *ctx, int k, enum fi_op op,
		     enum fi_datatype dt, size_t count, void *opnd, void *cmp,
		     void *res, void *desc, uint64_t raddr, uint64_t rkey,
		     void *c)
{
	switch (k) {
	case BASE:
		return CONF_POST(ctx, fi_atomic(ctx->ep, opnd, count, desc,
						ctx->peer, raddr, rkey, dt, op,
						c));
	case FETCH:
		return CONF_POST(ctx, fi_fetch_atomic(ctx->ep, opnd, count,
						      desc, res, desc,
						      ctx->peer, raddr, rkey,
						      dt, op, c));
	default:
		return CONF_POST(ctx, fi_compare_atomic(ctx->ep, opnd, count,
							desc, cmp, desc, res,
							desc, ctx->peer, raddr,
							rkey, dt, op, c));
	}
}

struct abuf {
	char opnd[SLOT], cmp[SLOT], res[SLOT];
};

_Static_assert(sizeof(struct abuf) <= 64, "abuf fits its allocation");

static void ops_sample(struct conf_ctx *ctx)
{
	size_t tlen = NSLOT * SLOT;
	char *tgt;
	struct fid_mr *mr;
	uint8_t done[NSLOT];

	conf_pair_open(ctx, &aopts);
	tgt = aligned_alloc(4096, (tlen + 4095) & ~(size_t)4095);
	CHECK(tgt);
	memset(tgt, 0x5a, tlen);
	if (ctx->role == 1) {
		for (size_t s = 0; s < NSLOT; s++)
			put(dts[s % NDT], tgt + s * SLOT, v_init(s));
		mr = conf_mr_reg(ctx, tgt, tlen,
				 FI_REMOTE_READ | FI_REMOTE_WRITE, 0xa70);
		conf_oob_send_u64(ctx, conf_rma_addr(ctx, tgt, tgt));
		conf_oob_send_u64(ctx, fi_mr_key(mr));
		conf_oob_recv(ctx, done, sizeof(done));
		for (size_t s = 0; s < NSLOT; s++) {
			char want[SLOT];
			size_t k = s / (12 * NDT), o = s / NDT % 12;
			enum fi_datatype dt = dts[s % NDT];

			if ((int)o >= nops[k])
				continue;
			memset(want, 0x5a, SLOT);
			if (done[s])
				reference(ops[k][o], dt, v_init(s), v_opnd(s),
					  v_cmp(s), want);
			else
				put(dt, want, v_init(s));
			if (memcmp(want, tgt + s * SLOT, SLOT)) {
				fprintf(stderr, "slot %zu (kind %zu op %s %s, "
						"%s): target wrong\n",
					s, k, fi_tostr(&ops[k][o], FI_TYPE_ATOMIC_OP),
					fi_tostr(&dt, FI_TYPE_ATOMIC_TYPE),
					done[s] ? "done" : "invalid");
				exit(1);
			}
		}
	} else {
		struct abuf *a = aligned_alloc(64, 64);
		uint64_t raddr, rkey;
		int nvalid = 0, ninvalid = 0;
		void *desc = NULL;

		CHECK(a);
		mr = conf_mr_reg(ctx, a, sizeof(*a), FI_READ | FI_WRITE, 0xa71);
		desc = conf_mr_desc(ctx, mr);
		raddr = conf_oob_recv_u64(ctx);
		rkey = conf_oob_recv_u64(ctx);
		memset(done, 0, sizeof(done));
		for (int k = 0; k < NKIND; k++) {
			for (int o = 0; o < nops[k]; o++) {
				for (size_t d = 0; d < NDT; d++) {
					size_t s = slot_of(k, o, d), count;
					enum fi_datatype dt = dts[d];
					enum fi_op op = ops[k][o];
					struct fi_cq_tagged_entry e;
					char want[SLOT];
					int c, ret;
					ssize_t pr;

					ret = valid(ctx, k, op, dt, &count);
					put(dt, a->opnd, v_opnd(s));
					put(dt, a->cmp, v_cmp(s));
					memset(a->res, 0x33, SLOT);
					pr = issue(ctx, k, op, dt, 1, a->opnd,
						   a->cmp, a->res, desc,
						   raddr + s * SLOT, rkey, &c);
					if (ret != 0 || count == 0) {
						/* Invalid: must not succeed. */
						ninvalid++;
						if (pr == 0) {
							struct fi_cq_err_entry err;

							conf_cq_wait_err(ctx, &ctx->tx,
									 &err);
							CHECK(err.op_context == &c);
						} else {
							CHECK(pr < 0);
						}
						continue;
					}
					nvalid++;
					if (pr != 0)
						fprintf(stderr, "%s %s valid but "
								"post: %zd\n",
							fi_tostr(&op, FI_TYPE_ATOMIC_OP),
							fi_tostr(&dt, FI_TYPE_ATOMIC_TYPE),
							pr);
					CHECK_OK(pr);
					conf_cq_wait(ctx, &ctx->tx, &e);
					CHECK(e.op_context == &c);
					CHECK(e.flags & FI_ATOMIC);
					CHECK((e.flags & ~(FI_ATOMIC | FI_READ |
							   FI_WRITE)) == 0);
					done[s] = 1;
					if (k == BASE)
						continue;
					/* Fetch: the value before. */
					put(dt, want, v_init(s));
					if (memcmp(want, a->res, dt_size(dt))) {
						fprintf(stderr, "%s %s: fetched "
								"wrong value\n",
							fi_tostr(&op, FI_TYPE_ATOMIC_OP),
							fi_tostr(&dt, FI_TYPE_ATOMIC_TYPE));
						exit(1);
					}
				}
			}
		}
		printf("  %d valid combinations checked, %d invalid refused\n",
		       nvalid, ninvalid);
		CHECK(nvalid > 0);
		conf_oob_send(ctx, done, sizeof(done));
		free(a);
	}
	conf_barrier(ctx);
	CHECK_OK(fi_close(&mr->fid));
	free(tgt);
	conf_pair_close(ctx);
}

/* The element count fi_atomicvalid reports works in one call: FI_SUM on
 * UINT64 over `count` elements (up to 64). */
static void count_limit(struct conf_ctx *ctx)
{
	enum { MAXN = 64 };
	uint64_t tgt[MAXN + 2], opnd[MAXN], res[MAXN];
	struct fid_mr *mr;
	size_t count = 0;

	conf_pair_open(ctx, &aopts);
	if (ctx->role == 1) {
		for (size_t i = 0; i < MAXN + 2; i++)
			tgt[i] = 1000 + i;
		mr = conf_mr_reg(ctx, tgt, sizeof(tgt),
				 FI_REMOTE_READ | FI_REMOTE_WRITE, 0xa72);
		conf_oob_send_u64(ctx, conf_rma_addr(ctx, tgt, tgt));
		conf_oob_send_u64(ctx, fi_mr_key(mr));
		count = conf_oob_recv_u64(ctx);
		for (size_t i = 0; i < MAXN + 2; i++) {
			uint64_t want = 1000 + i;

			if (i >= 1 && i <= count)
				want += 2 * (i - 1) + 1; /* fetch_add + add */
			CHECK(tgt[i] == want);
		}
	} else {
		struct fi_cq_tagged_entry e;
		uint64_t raddr, rkey;
		void *desc;
		int c;

		if (fi_atomicvalid(ctx->ep, FI_UINT64, FI_SUM, &count) ||
		    fi_fetch_atomicvalid(ctx->ep, FI_UINT64, FI_SUM, &count)) {
			conf_oob_send_u64(ctx, 0);
			conf_skip(ctx, "no FI_SUM on FI_UINT64");
		}
		CHECK_OK(fi_atomicvalid(ctx->ep, FI_UINT64, FI_SUM, &count));
		{
			size_t fc;

			CHECK_OK(fi_fetch_atomicvalid(ctx->ep, FI_UINT64,
						      FI_SUM, &fc));
			count = fc < count ? fc : count;
		}
		count = count > MAXN ? MAXN : count;
		CHECK(count >= 1);
		mr = conf_mr_reg(ctx, opnd, sizeof(opnd),
				 FI_READ | FI_WRITE, 0xa73);
		desc = conf_mr_desc(ctx, mr);
		raddr = conf_oob_recv_u64(ctx);
		rkey = conf_oob_recv_u64(ctx);
		for (size_t i = 0; i < count; i++)
			opnd[i] = i;
		CHECK_OK(CONF_POST(ctx, fi_atomic(ctx->ep, opnd, count, desc,
						  ctx->peer, raddr + 8, rkey,
						  FI_UINT64, FI_SUM, &c)));
		conf_cq_wait(ctx, &ctx->tx, &e);
		CHECK(e.op_context == &c);
		for (size_t i = 0; i < count; i++)
			opnd[i] = i + 1;
		{
			struct fid_mr *rmr = conf_mr_reg(ctx, res, sizeof(res),
							 FI_READ | FI_WRITE,
							 0xa74);

			CHECK_OK(CONF_POST(ctx, fi_fetch_atomic(
				ctx->ep, opnd, count, desc, res,
				conf_mr_desc(ctx, rmr), ctx->peer, raddr + 8,
				rkey, FI_UINT64, FI_SUM, &c)));
			conf_cq_wait(ctx, &ctx->tx, &e);
			CHECK(e.op_context == &c);
			for (size_t i = 0; i < count; i++)
				CHECK(res[i] == 1000 + (i + 1) + i);
			CHECK_OK(fi_close(&rmr->fid));
		}
		printf("  count %zu\n", count);
		conf_oob_send_u64(ctx, count);
	}
	conf_barrier(ctx);
	CHECK_OK(fi_close(&mr->fid));
	conf_pair_close(ctx);
}

/* A bad key: an error completion at A, B's value untouched. */
static void bad_key(struct conf_ctx *ctx)
{
	uint64_t tgt[2] = { 77, 78 }, opnd = 5;
	struct fid_mr *mr;

	conf_pair_open(ctx, &aopts);
	if (ctx->role == 1) {
		mr = conf_mr_reg(ctx, tgt, sizeof(tgt),
				 FI_REMOTE_READ | FI_REMOTE_WRITE, 0xa75);
		conf_oob_send_u64(ctx, conf_rma_addr(ctx, tgt, tgt));
		conf_oob_send_u64(ctx, fi_mr_key(mr));
		conf_oob_recv_u64(ctx);
		CHECK(tgt[0] == 77 && tgt[1] == 78);
	} else {
		struct fi_cq_err_entry err;
		uint64_t raddr, rkey;
		size_t count;
		int c;

		mr = conf_mr_reg(ctx, &opnd, sizeof(opnd), FI_READ | FI_WRITE,
				 0xa76);
		raddr = conf_oob_recv_u64(ctx);
		rkey = conf_oob_recv_u64(ctx);
		if (fi_atomicvalid(ctx->ep, FI_UINT64, FI_SUM, &count)) {
			conf_oob_send_u64(ctx, 1);
			conf_skip(ctx, "no FI_SUM on FI_UINT64");
		}
		CHECK_OK(CONF_POST(ctx, fi_atomic(ctx->ep, &opnd, 1,
						  conf_mr_desc(ctx, mr),
						  ctx->peer, raddr,
						  rkey ^ 0x5a5a00, FI_UINT64,
						  FI_SUM, &c)));
		conf_cq_wait_err(ctx, &ctx->tx, &err);
		printf("  bad key: err %d (%s)\n", err.err,
		       fi_strerror(err.err));
		CHECK(err.op_context == &c);
		CHECK(err.err != 0);
		conf_oob_send_u64(ctx, 1);
	}
	conf_barrier(ctx);
	CHECK_OK(fi_close(&mr->fid));
	conf_pair_close(ctx);
}

static const struct conf_case cases[] = {
	{ "ops_sample", ops_sample, true },
	{ "count_limit", count_limit, true },
	{ "bad_key", bad_key, true },
	{ NULL },
};

int main(int argc, char **argv)
{
	return conf_main(argc, argv, "atomic", cases);
}
