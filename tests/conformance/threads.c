/* Conformance: FI_THREAD_SAFE domains used from several threads (man
 * fi_domain "threading"). Skips when the domain offers less. */
#include "conf.h"

#include <pthread.h>
#include <stdatomic.h>

#define NT 2   /* threads */
#define M 100  /* messages per sending thread */
#define LEN 64

static void require_thread_safe(struct conf_ctx *ctx)
{
	if (ctx->info->domain_attr->threading != FI_THREAD_SAFE)
		conf_skip(ctx, "domain threading is not FI_THREAD_SAFE");
}

struct sender {
	struct conf_ctx *ctx;
	int t;
	char buf[M][LEN];
	int c[M];
};

/* Posts M sends; on -FI_EAGAIN drives progress through the counter
 * (fi_cntr_read consumes nothing another thread needs). */
static void *send_thread(void *arg)
{
	struct sender *s = arg;
	struct conf_ctx *ctx = s->ctx;

	for (int i = 0; i < M; i++) {
		long deadline = conf_now_ms() + CONF_WAIT_MS;
		ssize_t ret;

		s->buf[i][0] = (char)s->t;
		s->buf[i][1] = (char)i;
		conf_fill(s->buf[i] + 2, LEN - 2, (unsigned)(s->t * M + i));
		while ((ret = fi_send(ctx->ep, s->buf[i], LEN, NULL, ctx->peer,
				      &s->c[i])) == -FI_EAGAIN) {
			CHECK(conf_now_ms() < deadline);
			(void)fi_cntr_read(ctx->txcntr);
		}
		CHECK_OK(ret);
	}
	return NULL;
}

/* Two threads send M messages each on one endpoint: all arrive intact,
 * each thread's in its order when the endpoint keeps FI_ORDER_SAS; every
 * send completes once. */
static void concurrent_send(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = { .cntrs = true };

	if (ctx->ep_type == FI_EP_DGRAM)
		conf_skip(ctx, "DGRAM may drop what outruns the receives");
	conf_pair_open(ctx, &o);
	require_thread_safe(ctx);
	if (ctx->role == 0) {
		static struct sender s[NT];
		static uint8_t seen[NT][M];
		pthread_t th[NT];

		conf_oob_recv_u64(ctx);
		for (int t = 0; t < NT; t++) {
			s[t].ctx = ctx;
			s[t].t = t;
			CHECK(pthread_create(&th[t], NULL, send_thread, &s[t]) ==
			      0);
		}
		for (int t = 0; t < NT; t++)
			CHECK(pthread_join(th[t], NULL) == 0);
		conf_cntr_wait(ctx, ctx->txcntr, NT * M);
		for (int n = 0; n < NT * M; n++) {
			struct fi_cq_tagged_entry e;
			int t, i;

			conf_cq_wait(ctx, &ctx->tx, &e);
			CHECK(e.flags == (FI_SEND | FI_MSG));
			for (t = 0; t < NT; t++)
				if ((int *)e.op_context >= s[t].c &&
				    (int *)e.op_context < s[t].c + M)
					break;
			CHECK(t < NT);
			i = (int)((int *)e.op_context - s[t].c);
			CHECK(!seen[t][i]);
			seen[t][i] = 1;
		}
		conf_cq_expect_empty(ctx, &ctx->tx);
	} else {
		enum { RING = 64 };
		static char r[RING][LEN];
		int rc[RING], next[NT] = { 0 };
		size_t posted = 0, got = 0;
		bool sas = ctx->info->tx_attr->msg_order & FI_ORDER_SAS;

		for (; posted < RING; posted++)
			CHECK_OK(CONF_POST(ctx, fi_recv(ctx->ep, r[posted], LEN,
							NULL, FI_ADDR_UNSPEC,
							&rc[posted])));
		conf_oob_send_u64(ctx, 1);
		while (got < NT * M) {
			struct fi_cq_tagged_entry e;
			int k, t, i;

			conf_cq_wait(ctx, &ctx->rx, &e);
			k = (int)((int *)e.op_context - rc);
			CHECK(k >= 0 && k < RING && e.len == LEN);
			t = (unsigned char)r[k][0];
			i = (unsigned char)r[k][1];
			CHECK(t < NT && i < M);
			if (sas)
				CHECK(i == next[t]);
			CHECK(i >= next[t]);
			next[t] = i + 1;
			CONF_CHECK_DATA(r[k] + 2, LEN - 2,
					(unsigned)(t * M + i));
			got++;
			if (posted < NT * M) {
				CHECK_OK(CONF_POST(ctx, fi_recv(ctx->ep, r[k],
								LEN, NULL,
								FI_ADDR_UNSPEC,
								&rc[k])));
				posted++;
			}
		}
	}
	conf_pair_close(ctx);
}

struct reader {
	struct conf_ctx *ctx;
	atomic_int *left;
	atomic_uchar *seen;
	int *rc;
	int n;
};

/* Reads the shared CQ until all completions are taken by someone. */
static void *read_thread(void *arg)
{
	struct reader *r = arg;
	long deadline = conf_now_ms() + 2 * CONF_WAIT_MS;

	while (atomic_load(r->left) > 0) {
		struct fi_cq_tagged_entry e;
		ssize_t n = fi_cq_read(r->ctx->rx.cq, &e, 1);
		int k;

		if (n == -FI_EAGAIN) {
			CHECK(conf_now_ms() < deadline);
			continue;
		}
		CHECK_RET(n, 1);
		k = (int)((int *)e.op_context - r->rc);
		CHECK(k >= 0 && k < r->n);
		CHECK(atomic_exchange(&r->seen[k], 1) == 0);
		atomic_fetch_sub(r->left, 1);
	}
	return NULL;
}

/* Two threads read one receive CQ while the peer sends: every completion
 * is read exactly once. */
static void concurrent_cq(struct conf_ctx *ctx)
{
	static const struct conf_pair_opts o = { 0 };
	enum { MAXN = 200 };
	static char bufs[MAXN][LEN];
	int n;

	conf_pair_open(ctx, &o);
	require_thread_safe(ctx);
	n = (int)ctx->info->rx_attr->size < MAXN ? (int)ctx->info->rx_attr->size
						   : MAXN;
	if (ctx->role == 1) {
		static int rc[MAXN];
		static atomic_uchar seen[MAXN];
		atomic_int left = n;
		struct reader r[NT];
		pthread_t th[NT];

		for (int i = 0; i < n; i++)
			CHECK_OK(CONF_POST(ctx, fi_recv(ctx->ep, bufs[i], LEN,
							NULL, FI_ADDR_UNSPEC,
							&rc[i])));
		for (int t = 0; t < NT; t++) {
			r[t] = (struct reader){ ctx, &left, seen, rc, n };
			CHECK(pthread_create(&th[t], NULL, read_thread, &r[t]) ==
			      0);
		}
		conf_oob_send_u64(ctx, (uint64_t)n);
		for (int t = 0; t < NT; t++)
			CHECK(pthread_join(th[t], NULL) == 0);
		for (int i = 0; i < n; i++) {
			uint16_t idx;

			CHECK(atomic_load(&seen[i]) == 1);
			memcpy(&idx, bufs[i], sizeof(idx));
			CHECK(idx < n);
			CONF_CHECK_DATA(bufs[i] + 2, LEN - 2, idx);
		}
		conf_cq_expect_empty(ctx, &ctx->rx);
	} else {
		int count = (int)conf_oob_recv_u64(ctx), c;

		for (int i = 0; i < count; i++) {
			uint16_t idx = (uint16_t)i;

			memcpy(bufs[i], &idx, sizeof(idx));
			conf_fill(bufs[i] + 2, LEN - 2, (unsigned)i);
			CHECK_OK(CONF_POST(ctx, fi_send(ctx->ep, bufs[i], LEN,
							NULL, ctx->peer, &c)));
			/* Keep the burst under what a DGRAM socket holds. */
			if (i % 32 == 31)
				for (int k = 0; k < 32; k++)
					conf_cq_wait(ctx, &ctx->tx,
						     &(struct fi_cq_tagged_entry){ 0 });
		}
		for (int k = 0; k < count % 32; k++)
			conf_cq_wait(ctx, &ctx->tx,
				     &(struct fi_cq_tagged_entry){ 0 });
	}
	conf_pair_close(ctx);
}

static const struct conf_case cases[] = {
	{ "concurrent_send", concurrent_send, true },
	{ "concurrent_cq", concurrent_cq, true },
	{ NULL },
};

int main(int argc, char **argv)
{
	return conf_main(argc, argv, "threads", cases);
}
