/* weft's conformance suite: one set of cases written against the public
 * API, run for every provider/endpoint-type combination (see
 * docs/testing.md).
 *
 * A test file is one executable holding a table of cases; it is started as
 * `conf_<test> <prov> <ep>` (ep: msg, rdm, dgram) and runs each case in a
 * process of its own with a deadline (the runner in conf.c). A case whose
 * table entry has `pair` set runs in two processes, A and B (a fork), that
 * share a socketpair for out-of-band messages (addresses, "ready" marks);
 * conf_pair_open() then gives both a connected or address-exchanged
 * endpoint. Cases that need a capability the combination does not offer
 * skip (exit 77) with a printed reason; tests/conformance/skips.txt lists
 * the known provider defects, which the runner skips by name.
 */
#ifndef WEFT_TEST_CONF_H
#define WEFT_TEST_CONF_H

#include <rdma/fabric.h>
#include <rdma/fi_atomic.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_eq.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_rma.h>
#include <rdma/fi_tagged.h>
#include <stdbool.h>
#include <stdint.h>

#include "testlib.h"

/* One wait for one completion/event: generous, the machine is loaded. */
#define CONF_WAIT_MS 8000

#define CONF_STASH 64

/* A CQ plus the completions read early. Waiting on the out-of-band socket
 * keeps driving progress (manual-progress providers move data only inside
 * fi_cq_read and friends); what that reading returns is stashed here and
 * handed out first by conf_cq_wait(). An error entry is never read early:
 * `err_pending` stops the early reads until the case calls readerr. */
struct conf_cq {
	struct fid_cq *cq;
	enum fi_cq_format format;
	size_t esize;
	unsigned head, tail;
	bool err_pending;
	struct fi_cq_tagged_entry stash[CONF_STASH];
};

struct conf_pair_opts {
	uint64_t caps;	   /* required caps (0 = FI_MSG) */
	uint64_t mr_mode;  /* hints->domain_attr->mr_mode, 0: leave unset */
	enum fi_cq_format format; /* 0 = FI_CQ_FORMAT_TAGGED */
	enum fi_wait_obj wait;	  /* CQ wait object, 0 = FI_WAIT_NONE */
	uint64_t tx_bind, rx_bind; /* extra bind flags (FI_SELECTIVE_COMPLETION) */
	uint64_t tx_op_flags, rx_op_flags; /* info->tx_attr/rx_attr->op_flags */
	bool cntrs;		   /* bind a send and a recv counter */
	enum fi_wait_obj cntr_wait; /* their wait object, 0 = FI_WAIT_NONE */
	uint64_t rx_cntr_flags;	   /* more bind flags for the recv counter */
	size_t min_multi_recv;	   /* FI_OPT_MIN_MULTI_RECV, 0: leave */
};

struct conf_ctx {
	const char *prov, *ep_name, *test, *name;
	enum fi_ep_type ep_type;
	int role; /* 0 = A (the runner's child), 1 = B (A's peer) */
	int oob;  /* socketpair end, -1 for single-process cases */

	struct fi_info *info; /* what the endpoint was opened with */
	struct fid_fabric *fabric;
	struct fid_domain *domain;
	struct fid_eq *eq;
	struct fid_av *av;
	struct fid_pep *pep;
	struct fid_ep *ep;
	struct conf_cq tx, rx;
	struct fid_cntr *txcntr, *rxcntr;
	fi_addr_t peer; /* FI_ADDR_UNSPEC on MSG endpoints */
};

struct conf_case {
	const char *name;
	void (*run)(struct conf_ctx *ctx);
	bool pair; /* run in two processes */
};

/* The runner: argv = <prov> <ep> [case ...]. Returns the exit status. */
int conf_main(int argc, char **argv, const char *test,
	      const struct conf_case *cases);

/* Skip the current case with a reason (exit 77). */
void conf_skip(struct conf_ctx *ctx, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

/* fi_getinfo for this combination with at least `caps` (and the given
 * mr_mode bits offered), on the loopback when the format is a socket
 * address; `source`: the address is local (a listener). Skips when the
 * combination is not offered at all, or not with these caps. The list is
 * the caller's to free. */
struct fi_info *conf_getinfo(struct conf_ctx *ctx, uint64_t caps,
			     uint64_t mr_mode, bool source);
/* The same with hints the caller filled (prov_name and ep type are set
 * here); returns fi_getinfo's code instead of skipping. */
int conf_getinfo_hints(struct conf_ctx *ctx, struct fi_info *hints,
		       bool source, struct fi_info **info);

/* Open both sides of a pair (call from both processes): fabric, domain,
 * CQs (and counters), endpoint; connect through a passive endpoint and the
 * EQ (MSG) or exchange names over the socketpair into an AV (RDM, DGRAM).
 * Ends with a barrier. */
void conf_pair_open(struct conf_ctx *ctx, const struct conf_pair_opts *o);
void conf_pair_close(struct conf_ctx *ctx);
/* Wait for the next event on ctx->eq, which must be `event` for ctx->ep. */
void conf_eq_wait(struct conf_ctx *ctx, uint32_t event);

/* Single-process cases: ctx->info (with `caps`, a local address), fabric
 * and domain; conf_domain_close() undoes it. */
void conf_domain_open(struct conf_ctx *ctx, uint64_t caps);
void conf_domain_close(struct conf_ctx *ctx);

/* Out of band: small messages over the socketpair. While waiting, the
 * endpoint's CQs are progressed (see struct conf_cq). */
void conf_oob_send(struct conf_ctx *ctx, const void *buf, size_t len);
void conf_oob_recv(struct conf_ctx *ctx, void *buf, size_t len);
void conf_barrier(struct conf_ctx *ctx);
static inline void conf_oob_send_u64(struct conf_ctx *ctx, uint64_t v)
{
	conf_oob_send(ctx, &v, sizeof(v));
}
static inline uint64_t conf_oob_recv_u64(struct conf_ctx *ctx)
{
	uint64_t v;

	conf_oob_recv(ctx, &v, sizeof(v));
	return v;
}

/* Drive progress once: read what the CQs have into their stashes, read the
 * counters. */
void conf_progress(struct conf_ctx *ctx);

/* Wait for the next completion of `cq` (fails on an error entry or after
 * CONF_WAIT_MS). The entry is returned in the tagged layout whatever the
 * format: the fields the format lacks are zero. */
void conf_cq_wait(struct conf_ctx *ctx, struct conf_cq *cq,
		  struct fi_cq_tagged_entry *out);
/* Wait for an error entry and read it (err_data goes to a static buffer). */
void conf_cq_wait_err(struct conf_ctx *ctx, struct conf_cq *cq,
		      struct fi_cq_err_entry *err);
/* Fail if a completion or error is queued on `cq` (drives progress first). */
void conf_cq_expect_empty(struct conf_ctx *ctx, struct conf_cq *cq);
/* Wait until fi_cntr_read(cntr) >= want; fails on a counter error or the
 * deadline. */
void conf_cntr_wait(struct conf_ctx *ctx, struct fid_cntr *cntr,
		    uint64_t want);

/* Open `c` on ctx->domain with the format and wait object. */
void conf_cq_open(struct conf_ctx *ctx, struct conf_cq *c,
		  enum fi_cq_format format, enum fi_wait_obj wait);

/* Post with retry on -FI_EAGAIN (driving progress in between); returns the
 * first other code. */
#define CONF_POST(ctx, call)                                                   \
	({                                                                     \
		ssize_t _conf_r;                                               \
		long _conf_dl = conf_now_ms() + CONF_WAIT_MS;                  \
		while ((_conf_r = (call)) == -FI_EAGAIN &&                     \
		       conf_now_ms() < _conf_dl)                               \
			conf_progress(ctx);                                    \
		_conf_r;                                                       \
	})

long conf_now_ms(void);

/* Fill/check a buffer with a pattern that depends on the seed and offset. */
void conf_fill(void *buf, size_t len, unsigned seed);
/* Returns the first differing offset, or -1 when buf matches. */
long conf_verify(const void *buf, size_t len, unsigned seed);
#define CONF_CHECK_DATA(buf, len, seed)                                        \
	do {                                                                   \
		long _off = conf_verify(buf, len, seed);                       \
		if (_off >= 0) {                                               \
			fprintf(stderr, "%s:%d: data differs at offset %ld "   \
					"of %zu\n",                             \
				__FILE__, __LINE__, _off, (size_t)(len));      \
			exit(1);                                               \
		}                                                              \
	} while (0)

/* The mr_mode bits the suite can work with (pass as conf_pair_opts
 * mr_mode for RMA and atomics; the provider returns the ones it needs). */
#define CONF_MR_MODES                                                          \
	(FI_MR_LOCAL | FI_MR_VIRT_ADDR | FI_MR_ALLOCATED | FI_MR_PROV_KEY |   \
	 FI_MR_ENDPOINT)

/* Register buf on ctx->domain as the domain's mr_mode asks (requested key
 * `key` unless FI_MR_PROV_KEY, bound to ctx->ep and enabled under
 * FI_MR_ENDPOINT). */
struct fid_mr *conf_mr_reg(struct conf_ctx *ctx, void *buf, size_t len,
			   uint64_t access, uint64_t key);
/* The descriptor to pass for a local buffer (NULL unless FI_MR_LOCAL). */
void *conf_mr_desc(struct conf_ctx *ctx, struct fid_mr *mr);
/* The address a peer names buf by in RMA: its virtual address under
 * FI_MR_VIRT_ADDR, otherwise its offset in the region at base. */
uint64_t conf_rma_addr(struct conf_ctx *ctx, const void *base,
		       const void *buf);

/* Whether the combination's info offers `caps`. */
static inline bool conf_has(const struct conf_ctx *ctx, uint64_t caps)
{
	return ctx->info && (ctx->info->caps & caps) == caps;
}

#endif
