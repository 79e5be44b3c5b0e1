/* Shared pieces of weft's benchmarks: options, the out-of-band TCP socket,
 * fabric setup and teardown, the operation pool, CQ polling, timing and
 * statistics.
 *
 * The benchmarks use only the public fi_* API so that one binary runs on
 * weft and on any other libfabric 1.x (switch with LD_LIBRARY_PATH). Every
 * program prints which libfabric.so it actually loaded, so a result can
 * never be credited to the wrong library.
 */
#ifndef WEFT_BENCH_COMMON_H
#define WEFT_BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <rdma/fabric.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>

enum bench_kind { BENCH_LAT, BENCH_BW, BENCH_RATE };
enum bench_xfer { XFER_MSG, XFER_TAGGED, XFER_WRITE, XFER_READ };
enum bench_role { ROLE_FORK, ROLE_SERVER, ROLE_CLIENT };

#define BENCH_MAX_SIZES 64

struct bench_opts {
	enum bench_kind kind;
	enum bench_xfer xfer;
	enum fi_ep_type ep_type;
	enum bench_role role;
	const char *prov;      /* NULL: let fi_getinfo choose */
	const char *host;      /* client: server's host name or address */
	const char *domain;    /* optional domain name (interface) */
	int port;              /* out-of-band TCP port */
	int cpu;               /* -1: no pinning */
	int cpu_server;        /* fork mode "-c S,C": the server's CPU */
	long iters;            /* lat: round trips; bw/rate: windows */
	long warmup;           /* same unit as iters, not timed */
	int window;            /* bw/rate: messages in flight per window */
	int timeout_ms;        /* lost datagram / ack timeout */
	int no_inject;         /* never use fi_inject* */
	int verbose;
	size_t sizes[BENCH_MAX_SIZES];
	int nsizes;
};

/* One posted operation. The fi_context2 comes first because the provider
 * may use it as scratch space when FI_CONTEXT/FI_CONTEXT2 is in its mode
 * bits; we hand out &op->ctx as the operation context either way. */
enum bench_op_kind { OP_RX, OP_TX };
struct bench_op {
	struct fi_context2 ctx;
	enum bench_op_kind kind;
	char *buf;             /* this op's slot in the registered buffer */
	size_t len;            /* rx: bytes received (from the CQ entry) */
	uint64_t tag;          /* rx: tag received */
	struct bench_op *next; /* free list (tx) or ready list (rx) */
};

struct bench {
	struct bench_opts *o;
	const char *lib_path;  /* the libfabric.so that fi_getinfo lives in */
	int oob;               /* connected out-of-band socket */
	char local_ip[64];     /* our side of the OOB connection */

	struct fi_info *info;
	struct fid_fabric *fabric;
	struct fid_domain *domain;
	struct fid_eq *eq;
	struct fid_pep *pep;
	struct fid_ep *ep;
	struct fid_av *av;
	struct fid_cq *cq;
	struct fid_mr *mr;
	void *desc;            /* fi_mr_desc when FI_MR_LOCAL, else NULL */
	fi_addr_t peer;
	uint64_t mr_mode;
	size_t inject_size;
	size_t max_msg_size;
	int lossy;             /* FI_EP_DGRAM: loss is expected, not fatal */

	/* Remote RMA target (server's buffer) as the server advertised it. */
	uint64_t rma_addr;
	uint64_t rma_key;

	char *buf;             /* nrx rx slots then ntx tx slots */
	size_t buf_len;
	size_t slot;           /* bytes per slot */
	struct bench_op *ops;
	int nrx, ntx;
	struct bench_op *tx_free;
	int tx_busy;
	struct bench_op *rx_ready, *rx_ready_tail;
	uint64_t cq_errors;
};

/* Payload header: the first min(size, 8) bytes of every data message. It
 * lets a receiver tell a late datagram from an earlier run or round trip
 * from the one it waits for. */
struct bench_hdr {
	uint32_t epoch;
	uint32_t seq;
};

/* Control messages on the OOB socket; the client drives every run. */
enum { CMD_RUN = 1, CMD_END = 2, CMD_QUIT = 3 };
struct bench_cmd {
	uint32_t cmd;
	uint32_t kind;
	uint32_t epoch;
	uint32_t window;
	uint64_t size;
	uint64_t warmup;       /* windows (bw/rate) not to count */
};
struct bench_report {
	uint64_t rx_msgs;      /* counted data messages (after warmup) */
	uint64_t rx_total;     /* every data message */
	uint64_t stale;        /* messages from another epoch */
	uint64_t acks;
};

/* Options and identity. */
void bench_usage(const char *prog, enum bench_kind kind);
int bench_parse(struct bench_opts *o, enum bench_kind kind, int argc,
		char **argv);
const char *bench_kind_name(enum bench_kind k);
const char *bench_xfer_name(enum bench_xfer x);
const char *bench_ep_name(enum fi_ep_type t);
const char *bench_loaded_lib(void);

/* Time. */
double bench_now_us(void);

/* Statistics over n samples (sorted in place). */
double bench_percentile(double *v, size_t n, double pct);
double bench_mean(const double *v, size_t n);

/* Out-of-band socket. */
int oob_open(struct bench *b);
int oob_send(struct bench *b, const void *buf, size_t len);
int oob_recv(struct bench *b, void *buf, size_t len);
/* 1 if at least len bytes are readable now, 0 if not, <0 on error. */
int oob_ready(struct bench *b, size_t len);

/* Fabric objects. Returns 0, -FI_ENODATA when the provider cannot offer
 * what was asked (the caller prints a SKIP line), or another error. */
int bench_setup(struct bench *b, size_t max_size, int nrx, int ntx);
void bench_teardown(struct bench *b);

/* Data path. */
int bench_post_rx(struct bench *b, struct bench_op *op);
struct bench_op *bench_tx_get(struct bench *b);   /* progresses until free */
int bench_tx_post(struct bench *b, struct bench_op *op, size_t len,
		  uint64_t tag, int inject);
int bench_rma_post(struct bench *b, struct bench_op *op, size_t len,
		   int inject);
/* Reads the CQ once; tx ops go back to the free list, rx ops to the ready
 * list. Returns completions seen or a negative error. */
int bench_progress(struct bench *b);
struct bench_op *bench_rx_pop(struct bench *b);
int bench_tx_drain(struct bench *b, double timeout_us);

void bench_hdr_put(char *buf, size_t size, uint32_t epoch, uint32_t seq);
/* Returns how many header bytes were present (0, 4 or 8). */
int bench_hdr_get(const char *buf, size_t len, uint32_t *epoch,
		  uint32_t *seq);

/* Entry point shared by bench_lat, bench_bw and bench_rate. */
int bench_main(int argc, char **argv, enum bench_kind kind);

#define BENCH_TAG_DATA 0x5eedULL
#define BENCH_TAG_ACK 0xacedULL

#endif
