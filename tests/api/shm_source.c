/* shm: FI_SOURCE, FI_SOURCE_ERR and fi_av_remove.
 *
 * The receiver R has FI_SOURCE | FI_SOURCE_ERR and an empty AV. Messages
 * from S1 (inline, eager and rendezvous sizes) complete as errors with
 * FI_EADDRNOTAVAIL whose err_data is S1's name, the data in the buffer.
 * R inserts that name: later messages complete normally with that fi_addr
 * as source. R sends to S1 (its peer is now cached by AV index), removes
 * S1 from its AV: sends to the removed address fail, S1's messages are
 * source errors again; R inserts S2, which takes the freed index, and a
 * send to that index reaches S2, not S1. R inserts S1 again: its messages
 * carry the new fi_addr. An unknown sender's message in a multi-receive
 * buffer is a source error too. Runs with CMA and with FI_SHM_CMA=0. */
#include <stdlib.h>

#include "shm_test.h"

#define CAPS (FI_MSG | FI_SOURCE | FI_SOURCE_ERR)

static const size_t sizes[3] = { 100, 4000, 50000 };
static char *sbuf, *rbuf;

static void s_send(struct shm_t *t, fi_addr_t to, size_t len, unsigned seed)
{
	struct fi_cq_tagged_entry c;

	shm_t_fill(sbuf, len, seed);
	SHM_T_POST(t->tx, fi_send(t->ep, sbuf, len, NULL, to, sbuf));
	shm_t_expect(t->tx, &c, NULL);
	CHECK(c.op_context == sbuf);
}

static void senders(const struct shm_t_pipe *p)
{
	struct shm_t s1, s2;
	char rname[SHM_T_NAME];
	struct fi_cq_tagged_entry c;
	fi_addr_t r;
	char got[64];

	shm_t_open(&s1, FI_MSG);
	shm_t_open(&s2, FI_MSG);
	shm_t_send_bytes(p, s1.name, SHM_T_NAME);
	shm_t_send_bytes(p, s2.name, SHM_T_NAME);
	shm_t_recv_bytes(p, rname, SHM_T_NAME);
	rname[SHM_T_NAME - 1] = 0;
	r = shm_t_insert(&s1, rname);

	/* 1: unknown to R */
	shm_t_sync(p);
	for (int i = 0; i < 3; i++)
		s_send(&s1, r, sizes[i], 10 + (unsigned)i);
	/* 2: known; R answers */
	CHECK_OK(fi_recv(s1.ep, got, sizeof(got), NULL, FI_ADDR_UNSPEC, got));
	shm_t_sync(p);
	s_send(&s1, r, 100, 20);
	shm_t_expect(s1.rx, &c, NULL);
	CHECK(c.len == 6 && !memcmp(got, "to s1", 6));
	/* 3: removed at R */
	shm_t_sync(p);
	s_send(&s1, r, 100, 30);
	/* 3b: still unknown, into a multi-receive buffer */
	shm_t_sync(p);
	s_send(&s1, r, 100, 35);
	/* 4: R sends to the index that now names S2 */
	CHECK_OK(fi_recv(s1.ep, got, sizeof(got), NULL, FI_ADDR_UNSPEC, got));
	CHECK_OK(fi_recv(s2.ep, got + 32, 32, NULL, FI_ADDR_UNSPEC, got + 32));
	shm_t_sync(p);
	shm_t_expect(s2.rx, &c, NULL);
	CHECK(c.len == 6 && !memcmp(got + 32, "to s2", 6));
	shm_t_expect_none(s1.rx, 50);
	/* 5: inserted again */
	shm_t_sync(p);
	s_send(&s1, r, 100, 50);
	shm_t_sync(p);
	CHECK_OK(fi_cancel(&s1.ep->fid, got));
	shm_t_close(&s1);
	shm_t_close(&s2);
}

static void expect_source_err(struct shm_t *t, const char *name, size_t len,
			      unsigned seed)
{
	struct fi_cq_err_entry e;

	shm_t_expect_err(t->rx, &e);
	CHECK(e.err == FI_EADDRNOTAVAIL);
	CHECK(e.flags & FI_RECV);
	CHECK(e.len == len);
	CHECK(e.buf == rbuf);
	CHECK(shm_t_check(e.buf, len, seed));
	CHECK(e.err_data && e.err_data_size == strlen(name) + 1);
	CHECK(!memcmp(e.err_data, name, e.err_data_size));
}

static void expect_from(struct shm_t *t, fi_addr_t from, unsigned seed)
{
	struct fi_cq_tagged_entry c;
	fi_addr_t src = FI_ADDR_UNSPEC;

	shm_t_expect(t->rx, &c, &src);
	CHECK(c.len == 100 && shm_t_check(c.buf, 100, seed));
	CHECK(src == from);
}

static void receiver(const struct shm_t_pipe *p)
{
	struct shm_t t;
	char s1[SHM_T_NAME], s2[SHM_T_NAME];
	struct fi_cq_err_entry e;
	struct fi_cq_tagged_entry c;
	fi_addr_t a1, a2, a3;
	char name[SHM_T_NAME];

	shm_t_open(&t, CAPS | FI_MULTI_RECV);
	CHECK((t.info->caps & (FI_SOURCE | FI_SOURCE_ERR)) ==
	      (FI_SOURCE | FI_SOURCE_ERR));
	CHECK(t.info->domain_attr->max_err_data >= strlen(t.name) + 1);
	shm_t_recv_bytes(p, s1, SHM_T_NAME);
	shm_t_recv_bytes(p, s2, SHM_T_NAME);
	s1[SHM_T_NAME - 1] = s2[SHM_T_NAME - 1] = 0;
	shm_t_send_bytes(p, t.name, SHM_T_NAME);

	/* 1: every size from an unknown sender is a source error */
	for (int i = 0; i < 3; i++)
		CHECK_OK(fi_recv(t.ep, rbuf + 65536 * i, sizes[i], NULL,
				 FI_ADDR_UNSPEC, rbuf));
	shm_t_sync(p);
	for (int i = 0; i < 3; i++) {
		shm_t_expect_err(t.rx, &e);
		CHECK(e.err == FI_EADDRNOTAVAIL);
		CHECK((e.flags & (FI_RECV | FI_MSG)) == (FI_RECV | FI_MSG));
		CHECK(e.len == sizes[i]);
		CHECK(e.buf == rbuf + 65536 * i);
		CHECK(shm_t_check(e.buf, e.len, 10 + (unsigned)i));
		CHECK(e.err_data && e.err_data_size == strlen(s1) + 1);
		memcpy(name, e.err_data, e.err_data_size);
		CHECK(!strcmp(name, s1));
	}
	/* 2: insert what err_data gave (the bytes, as fi_getname returns
	 * them) */
	CHECK_RET(fi_av_insert(t.av, name, 1, &a1, 0, NULL), 1);
	CHECK_OK(fi_recv(t.ep, rbuf, 100, NULL, FI_ADDR_UNSPEC, rbuf));
	shm_t_sync(p);
	expect_from(&t, a1, 20);
	SHM_T_POST(t.tx, fi_send(t.ep, "to s1", 6, NULL, a1, NULL));
	shm_t_expect(t.tx, &c, NULL);

	/* 3: removed: sends fail, its messages are unknown again */
	CHECK_OK(fi_av_remove(t.av, &a1, 1, 0));
	CHECK_RET(fi_send(t.ep, "x", 2, NULL, a1, NULL), -FI_EINVAL);
	CHECK_OK(fi_recv(t.ep, rbuf, 100, NULL, FI_ADDR_UNSPEC, rbuf));
	shm_t_sync(p);
	expect_source_err(&t, s1, 100, 30);
	/* 3b: a multi-receive buffer with room for one message: the source
	 * error is its last completion, so it carries FI_MULTI_RECV. */
	{
		struct iovec iov = { rbuf, 150 };
		struct fi_msg msg = { .msg_iov = &iov, .iov_count = 1,
				      .addr = FI_ADDR_UNSPEC,
				      .context = rbuf };

		CHECK_OK(fi_recvmsg(t.ep, &msg, FI_MULTI_RECV));
		shm_t_sync(p);
		shm_t_expect_err(t.rx, &e);
		CHECK(e.err == FI_EADDRNOTAVAIL && e.op_context == rbuf);
		CHECK(e.flags & FI_MULTI_RECV);
		CHECK(e.buf == rbuf && e.len == 100);
		CHECK(shm_t_check(e.buf, 100, 35));
		CHECK(e.err_data && e.err_data_size == strlen(s1) + 1);
		CHECK(!memcmp(e.err_data, s1, e.err_data_size));
	}

	/* 4: the freed index now names S2 */
	a2 = shm_t_insert(&t, s2);
	CHECK(a2 == a1);
	SHM_T_POST(t.tx, fi_send(t.ep, "to s2", 6, NULL, a2, NULL));
	shm_t_expect(t.tx, &c, NULL);
	shm_t_sync(p);

	/* 5: S1 again, at another index */
	a3 = shm_t_insert(&t, s1);
	CHECK(a3 != a2);
	CHECK_OK(fi_recv(t.ep, rbuf, 100, NULL, FI_ADDR_UNSPEC, rbuf));
	shm_t_sync(p);
	expect_from(&t, a3, 50);
	shm_t_sync(p);
	shm_t_close(&t);
}

int main(void)
{
	weft_test_require_weft_loaded();
	alarm(100);
	sbuf = malloc(65536);
	rbuf = malloc(3 * 65536);
	CHECK(sbuf && rbuf);
	shm_t_each_cma(receiver, senders, 20000, 40000);
	free(sbuf);
	free(rbuf);
	return 0;
}
