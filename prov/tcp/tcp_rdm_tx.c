/* FI_EP_RDM transmit side: writing a peer's queue to its connection
 * (consecutive entries gathered into one sendmsg), what happens to an
 * entry once written (completes, or waits for an ACK, a CTS or an RMA
 * answer), completions of transmit entries, and the control messages
 * (CTS, ACK) a receiver sends.
 *
 * All under util.lock.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "tcp_rdm.h"

struct tcp_rdm_tx *tcp_rdm_ctrl_get(struct tcp_rdm_ep *ep)
{
	struct weft_list *l = weft_list_pop_front(&ep->ctrl_free);
	struct tcp_rdm_tx *e;

	if (!l)
		return NULL;
	e = weft_container_of(l, struct tcp_rdm_tx, link);
	e->kind = TCP_RDM_TX_CTRL;
	e->wait = TCP_RDM_TXW_NONE;
	e->report = false;
	e->context = NULL;
	e->idx = 0;
	return e;
}

void tcp_rdm_tx_release(struct tcp_rdm_ep *ep, struct tcp_rdm_tx *e)
{
	if (e->kind == TCP_RDM_TX_CTRL) {
		weft_list_push_back(&ep->ctrl_free, &e->link);
		return;
	}
	e->busy = false;
	e->wait = TCP_RDM_TXW_NONE;
	e->peer = NULL;
	weft_list_push_back(&ep->tx_free, &e->link);
}

void tcp_rdm_tx_done(struct tcp_rdm_ep *ep, struct tcp_rdm_tx *e, int err)
{
	if (e->kind != TCP_RDM_TX_CTRL) {
		enum weft_cntr_kind k = weft_ep_tx_cntr_kind(e->flags);

		if (err && e->report)
			weft_ep_tx_error(&ep->util, e->context, e->flags, err,
					 err, e->len, 0);
		else if (err && ep->util.cntrs[k])
			weft_cntr_inc_err(ep->util.cntrs[k]);
		else if (!err && e->report)
			weft_ep_tx_complete(&ep->util, e->context, e->flags,
					    e->len, NULL, 0, 0);
		else if (!err)
			weft_ep_cntr_inc(&ep->util, k);
	}
	tcp_rdm_tx_release(ep, e);
}

/* A control message (CTS, ACK) on c: header only, or header + rma. */
int tcp_rdm_ctrl_send(struct tcp_rdm_conn *c, uint8_t op, uint32_t id,
			     uint64_t addr, uint64_t len)
{
	struct tcp_rdm_tx *e = tcp_rdm_ctrl_get(c->ep);

	if (!e)
		return -FI_EAGAIN;
	e->peer = c->peer;
	tcp_hdr_init(&e->hdr, op, 0, 0, 0, 0);
	tcp_hdr_set_id(&e->hdr, id);
	e->iov[0].iov_base = &e->hdr;
	e->iov[0].iov_len = sizeof(e->hdr);
	e->iov_count = 1;
	if (tcp_op_has_rma(op)) {
		memset(&e->rma, 0, sizeof(e->rma));
		e->rma.addr = htole64(addr);
		e->rma.len = htole64(len);
		e->iov[1].iov_base = &e->rma;
		e->iov[1].iov_len = sizeof(e->rma);
		e->iov_count = 2;
	}
	tcp_rdm_tx_submit(c->ep, e);
	return 0;
}

int tcp_rdm_send_ack(struct tcp_rdm_conn *c, uint32_t id)
{
	return tcp_rdm_ctrl_send(c, TCP_OP_ACK, id, 0, 0);
}

/* ---- transmit --------------------------------------------------------- */

/* e's last byte is in the kernel. */
static void tcp_rdm_tx_written(struct tcp_rdm_conn *c, struct tcp_rdm_tx *e)
{
	struct tcp_rdm_ep *ep = c->ep;

	weft_list_remove(&e->link);
	switch (e->kind) {
	case TCP_RDM_TX_CTRL:
		tcp_rdm_tx_release(ep, e);
		return;
	case TCP_RDM_TX_RMA:
		e->wait = TCP_RDM_TXW_RESP;
		weft_list_push_back(&c->rma_pending, &e->link);
		return;
	case TCP_RDM_TX_RNDV:
		if (e->hdr.op == TCP_OP_RTS) {
			e->wait = TCP_RDM_TXW_CTS;
			return;
		}
		break;
	case TCP_RDM_TX_SEND:
		break;
	}
	if (le16toh(e->hdr.flags) & TCP_HDR_ACK) {
		e->wait = TCP_RDM_TXW_ACK;
		return;
	}
	tcp_rdm_tx_done(ep, e, 0);
}

/* Write as much of the peer's queue as the socket takes; consecutive
 * entries go out in one sendmsg() (small sends coalesce). */
void tcp_rdm_tx_write(struct tcp_rdm_conn *c)
{
	enum { GATHER = 64 };
	struct tcp_rdm_peer *p = c->peer;
	struct iovec iov[GATHER];

	while (!weft_list_empty(&p->txq)) {
		struct msghdr mh;
		struct weft_list *l;
		size_t n_iov = 0;
		ssize_t n;

		for (l = p->txq.next; l != &p->txq; l = l->next) {
			struct tcp_rdm_tx *e =
				weft_container_of(l, struct tcp_rdm_tx, link);

			if (n_iov + (e->iov_count - e->idx) > GATHER)
				break;
			for (size_t i = e->idx; i < e->iov_count; i++)
				iov[n_iov++] = e->iov[i];
		}
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = n_iov;
		n = sendmsg(c->sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				tcp_rdm_conn_pollout(c, true);
				return;
			}
			FI_INFO(&tcp_prov, FI_LOG_EP_DATA, "send: %s\n",
				strerror(errno));
			tcp_rdm_conn_fail(c, FI_ECONNRESET);
			return;
		}
		while (!weft_list_empty(&p->txq)) {
			struct tcp_rdm_tx *e = weft_container_of(
				p->txq.next, struct tcp_rdm_tx, link);

			n = (ssize_t)tcp_iov_consume(e->iov, e->iov_count,
						     &e->idx, (size_t)n);
			/* Skip empty iovs so an entry ends exactly. */
			while (e->idx < e->iov_count && !e->iov[e->idx].iov_len)
				e->idx++;
			if (e->idx < e->iov_count)
				break;
			tcp_rdm_tx_written(c, e);
		}
	}
	tcp_rdm_conn_pollout(c, false);
}
