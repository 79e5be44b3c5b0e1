/* The benchmark engine shared by bench_lat, bench_bw and bench_rate.
 *
 * Roles. The client drives: for every message size it sends CMD_RUN over
 * the out-of-band socket, runs the measurement over the fabric, then
 * sends CMD_END and reads the server's counts (CMD_END travels over TCP,
 * so it also works when datagrams were lost). The server adopts the
 * client's settings from a hello message, keeps its receives posted, and
 * between completions looks at the OOB socket about once a millisecond.
 *
 * Loss. On FI_EP_DGRAM a ping or pong may vanish: the client waits
 * timeout_ms, counts a timeout and goes on with the next sequence number;
 * a late pong is recognised by its header and counted as stale. In the
 * streaming tests the server acks the last message of every window; a
 * missing ack costs one timeout, and delivered messages are what the
 * server counted, not what the client sent.
 */
#include "bench_common.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rdma/fi_errno.h>

#define HELLO_MAGIC 0x77656674u /* "weft" */

struct bench_hello {
	uint32_t magic;
	uint32_t kind;
	uint32_t xfer;
	uint32_t ep_type;
	uint32_t window;
	uint32_t no_inject;
	uint64_t max_size;
	char prov[64];
	char domain[64];
};

static int is_rma_xfer(enum bench_xfer x)
{
	return x == XFER_WRITE || x == XFER_READ;
}

static double timeout_us(const struct bench *b)
{
	if (b->o->timeout_ms > 0)
		return b->o->timeout_ms * 1e3;
	return b->lossy ? 100e3 : 10e6;
}

static int use_inject(const struct bench *b, size_t size)
{
	return !b->o->no_inject && size <= b->inject_size;
}

static const char *prov_name(const struct bench *b)
{
	return b->info->fabric_attr->prov_name ?
	       b->info->fabric_attr->prov_name : "?";
}

static void print_prefix(const struct bench *b, const char *what,
			 size_t size)
{
	printf("%s bench=%s prov=%s ep=%s mode=%s size=%zu", what,
	       bench_kind_name(b->o->kind), b->info ? prov_name(b) :
	       (b->o->prov ? b->o->prov : "any"),
	       bench_ep_name(b->o->ep_type), bench_xfer_name(b->o->xfer),
	       size);
}

static int post_all_rx(struct bench *b)
{
	if (is_rma_xfer(b->o->xfer))
		return 0; /* RMA tests have no receives (nor FI_MSG) */
	for (int i = 0; i < b->nrx; i++) {
		int ret = bench_post_rx(b, &b->ops[i]);

		if (ret)
			return ret;
	}
	return 0;
}

/* ---- server ---------------------------------------------------------- */

/* An ack: the header names the window, then how many of its messages
 * arrived, so the client can compute each window's delivered rate. */
#define ACK_LEN 12
static int send_ack(struct bench *b, uint32_t epoch, uint32_t window,
		    uint32_t count)
{
	struct bench_op *op = bench_tx_get(b);

	if (!op)
		return -FI_EIO;
	bench_hdr_put(op->buf, ACK_LEN, epoch, window);
	memcpy(op->buf + sizeof(struct bench_hdr), &count, sizeof(count));
	return bench_tx_post(b, op, ACK_LEN, BENCH_TAG_ACK,
			     use_inject(b, ACK_LEN));
}

static int serve_run(struct bench *b, const struct bench_cmd *cmd)
{
	struct bench_report rep = { 0 };
	struct bench_cmd end;
	double last_oob = bench_now_us();
	uint32_t cur_w = 0, cur_count = 0; /* messages seen of window cur_w */
	unsigned spins = 0;
	int ret;

	for (;;) {
		struct bench_op *op;

		if ((ret = bench_progress(b)) < 0)
			return ret;
		while ((op = bench_rx_pop(b))) {
			uint32_t epoch = 0, seq = 0;
			int hl = bench_hdr_get(op->buf, op->len, &epoch, &seq);

			if (hl == 8 && epoch != cmd->epoch) {
				rep.stale++;
			} else if (op->len == 0) {
				/* failed receive (error completion) */
			} else if (cmd->kind == BENCH_LAT) {
				struct bench_op *tx = bench_tx_get(b);

				if (!tx)
					return -FI_EIO;
				/* Echo: only the header has to travel back
				 * intact, the rest of the slot is filler. */
				memcpy(tx->buf, op->buf, (size_t)hl);
				ret = bench_tx_post(b, tx, op->len,
						    BENCH_TAG_DATA,
						    use_inject(b, op->len));
				if (ret)
					return ret;
				rep.rx_total++;
				rep.rx_msgs++;
			} else {
				uint32_t w = seq / cmd->window;

				rep.rx_total++;
				if (w >= cmd->warmup)
					rep.rx_msgs++;
				if (w != cur_w) {
					cur_w = w;
					cur_count = 0;
				}
				cur_count++;
				if (hl && seq % cmd->window == cmd->window - 1) {
					ret = send_ack(b, cmd->epoch, w,
						       cur_count);
					if (ret)
						return ret;
					rep.acks++;
				}
			}
			if ((ret = bench_post_rx(b, op)))
				return ret;
		}
		/* Reading the clock is cheap (vDSO); the OOB peek is a
		 * syscall, so it runs at most once per millisecond. */
		if ((++spins & 63) == 0) {
			double now = bench_now_us();

			if (now - last_oob >= 1000.0) {
				last_oob = now;
				ret = oob_ready(b, sizeof(end));
				if (ret < 0)
					return ret;
				if (ret)
					break;
			}
		}
	}
	if ((ret = oob_recv(b, &end, sizeof(end))))
		return ret;
	if (end.cmd != CMD_END)
		return -FI_EOTHER;
	if ((ret = bench_tx_drain(b, 10e6)))
		return ret;
	return oob_send(b, &rep, sizeof(rep));
}

static int serve(struct bench *b)
{
	struct bench_cmd cmd;
	uint32_t ready = 1;
	int ret;

	if ((ret = post_all_rx(b)))
		return ret;
	for (;;) {
		if (oob_recv(b, &cmd, sizeof(cmd)) || cmd.cmd == CMD_QUIT)
			return 0;
		if (cmd.cmd != CMD_RUN || cmd.window == 0)
			return -FI_EOTHER;
		if ((ret = oob_send(b, &ready, sizeof(ready))))
			return ret;
		if ((ret = serve_run(b, &cmd))) {
			fprintf(stderr, "server: run failed: %s\n",
				fi_strerror(-ret));
			return ret;
		}
	}
}

/* ---- client ---------------------------------------------------------- */

static int start_run(struct bench *b, struct bench_cmd *cmd)
{
	uint32_t ready;
	int ret = oob_send(b, cmd, sizeof(*cmd));

	return ret ? ret : oob_recv(b, &ready, sizeof(ready));
}

static int end_run(struct bench *b, struct bench_report *rep)
{
	struct bench_cmd end = { .cmd = CMD_END };
	int ret = oob_send(b, &end, sizeof(end));

	return ret ? ret : oob_recv(b, rep, sizeof(*rep));
}

/* Waits for the rx completion whose header says (epoch, seq); everything
 * else is stale. Returns 1 when it came, 0 on timeout, <0 on error, the
 * arrival time in *t_end and, when the message has one, the 32-bit word
 * after the header in *word (an ack's count). */
static int wait_match(struct bench *b, uint32_t epoch, uint32_t seq,
		      double t_start, double tmo, uint64_t *stale,
		      double *t_end, uint32_t *word)
{
	unsigned spins = 0;
	int ret;

	for (;;) {
		struct bench_op *op;

		if ((ret = bench_progress(b)) < 0)
			return ret;
		while ((op = bench_rx_pop(b))) {
			uint32_t e = epoch, s = ~seq;
			int hl = bench_hdr_get(op->buf, op->len, &e, &s);
			int match = op->len && (hl == 0 || (e == epoch &&
							    s == seq));

			if (match) {
				*t_end = bench_now_us();
				if (word && op->len >= ACK_LEN)
					memcpy(word, op->buf + 8,
					       sizeof(*word));
			} else {
				(*stale)++;
			}
			if ((ret = bench_post_rx(b, op)))
				return ret;
			if (match)
				return 1;
		}
		if ((++spins & 15) == 0 && bench_now_us() - t_start > tmo)
			return 0;
	}
}

static int lat_client(struct bench *b, size_t size, uint32_t epoch)
{
	struct bench_opts *o = b->o;
	long total = o->warmup + o->iters, n = 0, consec = 0;
	uint64_t timeouts = 0, stale = 0;
	int inject = use_inject(b, size), rma = is_rma_xfer(o->xfer);
	double *lat = malloc(sizeof(double) * (size_t)o->iters);
	struct bench_cmd cmd = { .cmd = CMD_RUN, .kind = BENCH_LAT,
				 .epoch = epoch, .window = 1, .size = size };
	struct bench_report rep;
	int ret;

	if (!lat)
		return -FI_ENOMEM;
	if ((ret = start_run(b, &cmd)))
		goto out;
	for (long i = 0; i < total; i++) {
		struct bench_op *op = bench_tx_get(b);
		double t0, t1 = 0;
		int got;

		if (!op) {
			ret = -FI_EIO;
			goto out;
		}
		bench_hdr_put(op->buf, size, epoch, (uint32_t)i);
		t0 = bench_now_us();
		if (rma) {
			/* RMA: time until the initiator's completion; the
			 * target only progresses. Not halved. */
			ret = bench_rma_post(b, op, size, 0);
			if (!ret)
				ret = bench_tx_drain(b, timeout_us(b));
			got = ret == 0;
			t1 = bench_now_us();
		} else {
			ret = bench_tx_post(b, op, size, BENCH_TAG_DATA,
					    inject);
			if (ret)
				goto out;
			got = wait_match(b, epoch, (uint32_t)i, t0,
					 timeout_us(b), &stale, &t1, NULL);
			ret = got < 0 ? got : 0;
		}
		if (ret)
			goto out;
		if (!got) {
			timeouts++;
			if (!b->lossy || ++consec > 50) {
				fprintf(stderr, "lat: %s after %lu timeouts\n",
					b->lossy ? "giving up" : "no reply",
					(unsigned long)timeouts);
				ret = -FI_ETIMEDOUT;
				goto out;
			}
			continue;
		}
		consec = 0;
		if (i >= o->warmup)
			lat[n++] = rma ? t1 - t0 : (t1 - t0) / 2.0;
	}
	if ((ret = bench_tx_drain(b, 10e6)) || (ret = end_run(b, &rep)))
		goto out;

	double mean = bench_mean(lat, (size_t)n);
	double p50 = bench_percentile(lat, (size_t)n, 50.0);
	double p99 = bench_percentile(lat, (size_t)n, 99.0);

	print_prefix(b, "RESULT", size);
	printf(" iters=%ld samples=%ld lat_us_median=%.3f lat_us_p99=%.3f "
	       "lat_us_min=%.3f lat_us_mean=%.3f lat_kind=%s timeouts=%lu "
	       "stale=%lu inject=%d lib=%s\n",
	       o->iters, n, p50, p99, n ? lat[0] : 0.0, mean,
	       rma ? "completion" : "half_rtt", (unsigned long)timeouts,
	       (unsigned long)stale, rma ? 0 : inject, b->lib_path);
	fflush(stdout);
out:
	free(lat);
	return ret;
}

static int stream_client(struct bench *b, size_t size, uint32_t epoch)
{
	struct bench_opts *o = b->o;
	uint32_t W = (uint32_t)o->window;
	long total = o->warmup + o->iters, nw = 0;
	int rma = is_rma_xfer(o->xfer);
	/* bw measures plain sends with completions; rate uses inject
	 * wherever the provider allows it. RMA never injects: an injected
	 * write has no completion, so nothing would close the window. */
	int inject = o->kind == BENCH_RATE && use_inject(b, size) && !rma;
	struct bench_cmd cmd = { .cmd = CMD_RUN, .kind = o->kind,
				 .epoch = epoch, .window = W, .size = size,
				 .warmup = (uint64_t)o->warmup };
	struct bench_report rep;
	uint64_t timeouts = 0, stale = 0;
	/* Per-window delivered rate (msg/s): its median resists the
	 * preemptions of a shared machine better than the overall mean. */
	double *wrate = malloc(sizeof(double) * (size_t)o->iters);
	double t0 = bench_now_us(), t1;
	int ret;

	if (!wrate)
		return -FI_ENOMEM;
	if ((ret = start_run(b, &cmd)))
		goto out;
	for (long w = 0; w < total; w++) {
		double ws = bench_now_us(), we = 0;
		uint32_t count = W;

		if (w == o->warmup)
			t0 = ws;
		for (uint32_t j = 0; j < W; j++) {
			struct bench_op *op = bench_tx_get(b);

			if (!op) {
				ret = -FI_EIO;
				goto out;
			}
			bench_hdr_put(op->buf, size, epoch,
				      (uint32_t)w * W + j);
			ret = rma ? bench_rma_post(b, op, size, 0) :
				    bench_tx_post(b, op, size, BENCH_TAG_DATA,
						  inject);
			if (ret)
				goto out;
		}
		if (rma) {
			/* The initiator's completions close the window. */
			if ((ret = bench_tx_drain(b, timeout_us(b))))
				goto out;
			we = bench_now_us();
			ret = 1;
		} else {
			ret = wait_match(b, epoch, (uint32_t)w, ws,
					 timeout_us(b), &stale, &we, &count);
			if (ret < 0)
				goto out;
		}
		if (ret == 0) {
			timeouts++;
			if (!b->lossy) {
				fprintf(stderr, "stream: no ack\n");
				ret = -FI_ETIMEDOUT;
				goto out;
			}
		} else if (w >= o->warmup && we > ws) {
			wrate[nw++] = (double)count * 1e6 / (we - ws);
		}
	}
	t1 = bench_now_us();
	if ((ret = bench_tx_drain(b, 10e6)) || (ret = end_run(b, &rep)))
		goto out;

	uint64_t sent = (uint64_t)o->iters * W;
	uint64_t delivered = rma ? sent : rep.rx_msgs;
	double us = t1 - t0;
	double wmed = bench_percentile(wrate, (size_t)nw, 50.0);

	print_prefix(b, "RESULT", size);
	printf(" window=%u windows=%ld sent=%lu delivered=%lu loss_pct=%.3f "
	       "mbytes_s=%.3f msgs_s=%.1f msgs_s_wmedian=%.1f "
	       "mbytes_s_wmedian=%.3f elapsed_s=%.4f timeouts=%lu "
	       "stale=%lu inject=%d lib=%s\n",
	       W, o->iters, (unsigned long)sent, (unsigned long)delivered,
	       sent ? 100.0 * (double)(sent - (delivered > sent ? sent :
						delivered)) / (double)sent : 0,
	       (double)delivered * (double)size / us,
	       (double)delivered * 1e6 / us, wmed, wmed * (double)size / 1e6,
	       us / 1e6, (unsigned long)timeouts, (unsigned long)stale,
	       inject, b->lib_path);
	fflush(stdout);
	ret = 0;
out:
	free(wrate);
	return ret;
}

static int client(struct bench *b)
{
	struct bench_cmd quit = { .cmd = CMD_QUIT };
	/* Epochs differ between runs and processes, so that a datagram
	 * from an earlier size (or an earlier process on the same port)
	 * is never mistaken for a current one. */
	uint32_t base = ((uint32_t)getpid() << 8) ^ (uint32_t)bench_now_us();
	int ret;

	if ((ret = post_all_rx(b)))
		return ret;
	for (int i = 0; i < b->o->nsizes; i++) {
		size_t size = b->o->sizes[i];
		uint32_t epoch = base + (uint32_t)i;

		if (size > b->max_msg_size || size > b->slot) {
			print_prefix(b, "SKIP", size);
			printf(" reason=size_exceeds_max_msg_size(%zu) lib=%s\n",
			       b->max_msg_size, b->lib_path);
			continue;
		}
		ret = b->o->kind == BENCH_LAT ? lat_client(b, size, epoch) :
						stream_client(b, size, epoch);
		if (ret) {
			fprintf(stderr, "client: size %zu failed: %s\n", size,
				fi_strerror(-ret));
			return ret;
		}
	}
	oob_send(b, &quit, sizeof(quit));
	return 0;
}

/* ---- main ------------------------------------------------------------ */

static int hello(struct bench *b)
{
	struct bench_opts *o = b->o;
	struct bench_hello h = { 0 };
	int ret;

	if (o->role == ROLE_CLIENT) {
		h.magic = HELLO_MAGIC;
		h.kind = o->kind;
		h.xfer = o->xfer;
		h.ep_type = o->ep_type;
		h.window = (uint32_t)o->window;
		h.no_inject = (uint32_t)o->no_inject;
		for (int i = 0; i < o->nsizes; i++)
			if (o->sizes[i] > h.max_size)
				h.max_size = o->sizes[i];
		snprintf(h.prov, sizeof(h.prov), "%s", o->prov ? o->prov : "");
		snprintf(h.domain, sizeof(h.domain), "%s",
			 o->domain ? o->domain : "");
		return oob_send(b, &h, sizeof(h));
	}
	if ((ret = oob_recv(b, &h, sizeof(h))))
		return ret;
	if (h.magic != HELLO_MAGIC)
		return -FI_EOTHER;
	/* The server follows the client, like fi_pingpong expects both
	 * sides to agree, but without having to repeat every option. */
	static char prov[64], domain[64];

	memcpy(prov, h.prov, sizeof(prov));
	memcpy(domain, h.domain, sizeof(domain));
	prov[63] = domain[63] = '\0';
	o->kind = (enum bench_kind)h.kind;
	o->xfer = (enum bench_xfer)h.xfer;
	o->ep_type = (enum fi_ep_type)h.ep_type;
	o->window = (int)h.window;
	o->no_inject = (int)h.no_inject;
	o->prov = prov[0] ? prov : NULL;
	o->domain = domain[0] ? domain : NULL;
	o->sizes[0] = h.max_size;
	o->nsizes = 1;
	return 0;
}

static int run_role(struct bench_opts *o)
{
	struct bench b = { .o = o, .oob = -1 };
	size_t max_size = 0;
	int nrx, ntx, ret;

	b.lib_path = bench_loaded_lib();
	if (o->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			perror("sched_setaffinity");
	}
	printf("# %s lib=%s pid=%d\n",
	       o->role == ROLE_SERVER ? "server" : "client", b.lib_path,
	       (int)getpid());
	fflush(stdout);
	if ((ret = oob_open(&b)) || (ret = hello(&b))) {
		fprintf(stderr, "oob: %s\n", strerror(-ret));
		bench_teardown(&b);
		return 1;
	}
	for (int i = 0; i < o->nsizes; i++)
		if (o->sizes[i] > max_size)
			max_size = o->sizes[i];
	if (max_size < 8)
		max_size = 8; /* room for acks */
	if (o->role == ROLE_SERVER) {
		nrx = o->window * 2 > 64 ? o->window * 2 : 64;
		ntx = 64;
	} else {
		nrx = 8;
		ntx = o->kind == BENCH_LAT ? 8 : o->window * 2;
	}
	ret = bench_setup(&b, max_size, nrx, ntx);
	if (ret == -FI_ENODATA || ret == -FI_ENOSYS) {
		if (o->role == ROLE_CLIENT)
			for (int i = 0; i < o->nsizes; i++) {
				print_prefix(&b, "SKIP", o->sizes[i]);
				printf(" reason=%s lib=%s\n",
				       is_rma_xfer(o->xfer) ?
				       "provider_lacks_FI_RMA_for_this_ep_type" :
				       "no_matching_provider",
				       b.lib_path);
			}
		bench_teardown(&b);
		return 0;
	}
	if (ret) {
		fprintf(stderr, "setup failed: %s\n", fi_strerror(-ret));
		bench_teardown(&b);
		return 1;
	}
	printf("# %s provider=%s fabric=%s domain=%s ep=%s mode=%s "
	       "inject_size=%zu max_msg_size=%zu mr_mode=0x%lx mode=0x%lx\n",
	       o->role == ROLE_SERVER ? "server" : "client", prov_name(&b),
	       b.info->fabric_attr->name ? b.info->fabric_attr->name : "?",
	       b.info->domain_attr->name ? b.info->domain_attr->name : "?",
	       bench_ep_name(o->ep_type), bench_xfer_name(o->xfer),
	       b.inject_size, b.max_msg_size, (unsigned long)b.mr_mode,
	       (unsigned long)b.info->mode);
	fflush(stdout);
	ret = o->role == ROLE_SERVER ? serve(&b) : client(&b);
	bench_teardown(&b);
	return ret ? 1 : 0;
}

int bench_main(int argc, char **argv, enum bench_kind kind)
{
	struct bench_opts o;
	pid_t pid;
	int status, ret;

	if (bench_parse(&o, kind, argc, argv))
		return 2;
	if (o.role != ROLE_FORK)
		return run_role(&o);
	/* Self-contained run on loopback: the child serves. */
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		o.role = ROLE_SERVER;
		o.cpu = o.cpu_server;
		_exit(run_role(&o));
	}
	o.role = ROLE_CLIENT;
	o.host = "127.0.0.1";
	ret = run_role(&o);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return 1;
	return ret ? ret : WEXITSTATUS(status);
}
