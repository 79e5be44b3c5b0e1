/* udp FI_EP_RDM: FI_SOURCE_ERR between two processes (public API only).
 * The receiver has not inserted the sender: its messages (one small
 * untagged with CQ data, one tagged of many packets) still arrive whole
 * and complete in error with FI_EADDRNOTAVAIL, the data in the buffer and
 * the sender's raw address in err_data. Once the receiver inserts that
 * address, the conversation moves to the new AV entry: later messages
 * complete normally with its fi_addr as source, and the receiver can send
 * back to it; nothing is lost or repeated on either side. An endpoint
 * without FI_SOURCE_ERR still drops such senders (counted). */
#include "udp_rdm_test.h"

#define CAPS (FI_MSG | FI_TAGGED | FI_SOURCE | FI_SOURCE_ERR)

static uint8_t buf[20000];

static void name_swap(struct rdm_side *s, bool insert, char *peer,
		      size_t *peerlen)
{
	struct udp_t_ep *e = &s->e;
	size_t n;

	CHECK_OK(fi_enable(e->ep));
	e->namelen = sizeof(e->name);
	CHECK_OK(fi_getname(&e->ep->fid, e->name, &e->namelen));
	rdm_t_send(s, &e->namelen, sizeof(n));
	rdm_t_send(s, e->name, e->namelen);
	rdm_t_recv(s, &n, sizeof(n));
	CHECK(n <= 64);
	rdm_t_recv(s, peer, n);
	*peerlen = n;
	if (insert)
		CHECK_RET(fi_av_insert(s->t.av, peer, 1, &s->peer, 0, NULL), 1);
}

static void sender(struct rdm_side *s)
{
	char peer[64];
	size_t n;
	int ctx;

	rdm_t_open(s, CAPS);
	name_swap(s, true, peer, &n);
	rdm_t_fill(buf, 100, 1);
	CHECK_OK(fi_senddata(s->e.ep, buf, 100, NULL, 0x77, s->peer, &ctx));
	rdm_t_fill(buf + 100, 15000, 2);
	CHECK_OK(fi_tsend(s->e.ep, buf + 100, 15000, NULL, s->peer, 9,
			  &ctx + 1));
	rdm_t_ok(s->e.tx, &ctx, FI_SEND | FI_MSG, NULL);
	rdm_t_ok(s->e.tx, &ctx + 1, FI_SEND | FI_TAGGED, NULL);
	rdm_t_psync(s); /* the receiver inserted us */
	rdm_t_fill(buf, 3000, 3);
	CHECK_OK(fi_send(s->e.ep, buf, 3000, NULL, s->peer, &ctx));
	rdm_t_ok(s->e.tx, &ctx, FI_SEND | FI_MSG, NULL);
	/* the answer */
	memset(buf, 0, sizeof(buf));
	CHECK_OK(fi_recv(s->e.ep, buf, sizeof(buf), NULL, FI_ADDR_UNSPEC,
			 &ctx));
	rdm_t_ok(s->e.rx, &ctx, FI_RECV | FI_MSG, NULL);
	rdm_t_verify(buf, 5000, 4);
	rdm_t_psync(s);
	rdm_t_close(s);
}

static void receiver(struct rdm_side *s)
{
	struct fi_cq_tagged_entry c;
	struct fi_cq_err_entry e;
	char peer[64];
	fi_addr_t src, ins;
	size_t n;
	int ctx[2];

	rdm_t_open(s, CAPS);
	CHECK(s->t.info->caps & FI_SOURCE_ERR);
	name_swap(s, false, peer, &n);
	memset(buf, 0, sizeof(buf));
	CHECK_OK(fi_recv(s->e.ep, buf, 100, NULL, FI_ADDR_UNSPEC, &ctx[0]));
	CHECK_OK(fi_trecv(s->e.ep, buf + 100, 15000, NULL, FI_ADDR_UNSPEC, 9,
			  0, &ctx[1]));
	for (int i = 0; i < 2; i++) {
		CHECK_RET(rdm_t_wait(s->e.rx, &c, NULL, RDM_T_TMO),
			  -FI_EAVAIL);
		memset(&e, 0, sizeof(e));
		CHECK_RET(fi_cq_readerr(s->e.rx, &e, 0), 1);
		CHECK(e.err == FI_EADDRNOTAVAIL);
		CHECK(e.err_data && e.err_data_size == n);
		CHECK(!memcmp(e.err_data, peer, n));
		if (i == 0) {
			CHECK(e.op_context == &ctx[0] && e.len == 100);
			CHECK(e.data == 0x77 && (e.flags & FI_REMOTE_CQ_DATA));
			CHECK((e.flags & (FI_RECV | FI_MSG)) ==
			      (FI_RECV | FI_MSG));
		} else {
			CHECK(e.op_context == &ctx[1] && e.len == 15000);
			CHECK(e.tag == 9 && (e.flags & FI_TAGGED));
		}
	}
	rdm_t_verify(buf, 100, 1);
	rdm_t_verify(buf + 100, 15000, 2);
	/* insert what err_data gave: the sender is known from now on */
	CHECK_RET(fi_av_insert(s->t.av, e.err_data, 1, &ins, 0, NULL), 1);
	memset(buf, 0, sizeof(buf));
	CHECK_OK(fi_recv(s->e.ep, buf, sizeof(buf), NULL, FI_ADDR_UNSPEC,
			 &ctx[0]));
	rdm_t_psync(s);
	CHECK_RET(rdm_t_wait(s->e.rx, &c, &src, RDM_T_TMO), 1);
	CHECK(c.op_context == &ctx[0] && c.len == 3000 && src == ins);
	rdm_t_verify(buf, 3000, 3);
	/* and we can answer it */
	rdm_t_fill(buf, 5000, 4);
	CHECK_OK(fi_send(s->e.ep, buf, 5000, NULL, ins, &ctx[1]));
	rdm_t_ok(s->e.tx, &ctx[1], FI_SEND | FI_MSG, NULL);
	rdm_t_psync(s);
	udp_t_expect_none(s->e.rx, 50);
	rdm_t_close(s);
}

int main(void)
{
	struct rdm_side s;
	pid_t pid;

	weft_test_require_weft_loaded();
	alarm(60);
	pid = rdm_t_fork(&s);
	if (pid == 0) {
		alarm(30);
		sender(&s);
		_exit(0);
	}
	receiver(&s);
	CHECK(rdm_t_reap(pid, 20000) == 0);
	return 0;
}
