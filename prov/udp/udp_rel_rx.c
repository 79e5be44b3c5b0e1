/* The reliability engine, data in: duplicates, early packets held until
 * the gap fills, in-order delivery of fragments, and the entry point for
 * every received datagram (see udp_rel.h for the model). Runs under the
 * caller's serialisation of the endpoint, like the rest of the engine. */
#include <endian.h>
#include <rdma/fi_errno.h>
#include <stdlib.h>
#include <string.h>

#include "udp_rel_int.h"

/* ---- data in ------------------------------------------------------------ */

/* Hand one in-order fragment to the user. 0, or -FI_EAGAIN. */
static int consume(struct udp_rel_ep *ep, struct udp_rel_peer *p,
		   const struct udp_rel_pkt *k)
{
	struct udp_rel_frag f;
	int ret;

	if (p->rx_in_msg &&
	    (k->msg_id != p->rx_msg_id || k->offset != p->rx_off ||
	     k->msg_len != p->rx_msg_len)) {
		/* The sender broke its own message: abandon it. */
		ep->stats.rx_proto++;
		p->rx_in_msg = false;
		if (ep->ops.rx_abort)
			ep->ops.rx_abort(ep->ctx, p->id);
	}
	if (!p->rx_in_msg && k->offset != 0) {
		ep->stats.rx_proto++;
		return 0; /* a tail without its head: skip it */
	}
	f.msg_id = k->msg_id;
	f.mflags = k->mflags;
	f.msg_len = k->msg_len;
	f.offset = k->offset;
	f.tag = k->tag;
	f.cq_data = k->cq_data;
	f.data = k->payload;
	f.len = k->paylen;
	ep->in_deliver = true;
	ret = ep->ops.deliver(ep->ctx, p->id, &f);
	ep->in_deliver = false;
	if (ret == -FI_EAGAIN) {
		ep->stats.rx_busy++;
		return ret;
	}
	p->rx_in_msg = k->offset + k->paylen < k->msg_len;
	if (!p->rx_in_msg)
		p->ack_msg_done = true;
	p->rx_msg_id = k->msg_id;
	p->rx_msg_len = k->msg_len;
	p->rx_off = k->offset + k->paylen;
	return 0;
}

/* Deliver the early packets that are now in order. */
void udp_rel_drain_early(struct udp_rel_ep *ep, struct udp_rel_peer *p)
{
	uint32_t mask = ep->cfg.rx_window - 1;
	struct udp_rel_pkt k;
	void *buf;

	while (p->rx_held && (buf = p->rxr[p->rcv_nxt & mask])) {
		struct udp_rel_hdr h;

		memcpy(&h, buf, sizeof(h));
		/* Stored whole and decoded once already: cannot fail. */
		if (udp_rel_decode(buf, UDP_REL_DATA_HDR_SIZE +
				   le32toh(h.paylen), &k) ||
		    consume(ep, p, &k))
			return;
		p->rxr[p->rcv_nxt & mask] = NULL;
		p->rx_held--;
		ep->pool_free[ep->pool_nfree++] = buf;
		p->rcv_nxt++;
		p->rx_unacked++;
	}
}

static void data_in(struct udp_rel_ep *ep, struct udp_rel_peer *p,
		    const void *pkt, const struct udp_rel_pkt *k, uint64_t now)
{
	uint32_t mask = ep->cfg.rx_window - 1;
	int32_t d = seq_diff(k->seq, p->rcv_nxt);
	void *buf;

	ep->stats.rx_data++;
	if (d < 0) {
		/* Our ack was lost or late: say it again at once. */
		ep->stats.rx_dup++;
		udp_rel_send_ack(ep, p);
		return;
	}
	if ((uint32_t)d >= ep->cfg.rx_window) {
		ep->stats.rx_beyond_wnd++;
		udp_rel_send_ack(ep, p);
		return;
	}
	if (d == 0) {
		if (p->rxr && p->rxr[k->seq & mask]) {
			/* A held copy that deliver() refused before: this
			 * fresh one replaces it. */
			ep->pool_free[ep->pool_nfree++] = p->rxr[k->seq & mask];
			p->rxr[k->seq & mask] = NULL;
			p->rx_held--;
		}
		if (consume(ep, p, k))
			return; /* busy: unacked, the sender will retry */
		p->rcv_nxt++;
		p->rx_unacked++;
		udp_rel_drain_early(ep, p);
		if (p->rx_held || p->rx_unacked >= ep->cfg.ack_every) {
			udp_rel_send_ack(ep, p);
		} else if (!p->ack_pending) {
			p->ack_pending = true;
			p->ack_deadline = now + ep->cfg.ack_delay_ns;
		}
		return;
	}
	/* Early: hold a copy until the gap before it fills. */
	if (!p->rxr) {
		p->rxr = calloc(ep->cfg.rx_window, sizeof(*p->rxr));
		if (!p->rxr) {
			ep->stats.rx_nobuf++;
			return;
		}
	}
	if (p->rxr[k->seq & mask]) {
		ep->stats.rx_dup++;
	} else if (!ep->pool_nfree ||
		   UDP_REL_DATA_HDR_SIZE + k->paylen > ep->pool_buf_size) {
		ep->stats.rx_nobuf++;
		return;
	} else {
		buf = ep->pool_free[--ep->pool_nfree];
		memcpy(buf, pkt, UDP_REL_DATA_HDR_SIZE + k->paylen);
		p->rxr[k->seq & mask] = buf;
		p->rx_held++;
		ep->stats.rx_early++;
	}
	/* The gap is news for the sender's loss detection: ack at once. */
	udp_rel_send_ack(ep, p);
}

int udp_rel_recv(struct udp_rel_ep *ep, uint32_t peer, const void *pkt,
		 size_t len, uint64_t now)
{
	struct udp_rel_peer *p;
	struct udp_rel_pkt k;
	int ret;

	ret = udp_rel_decode(pkt, len, &k);
	if (ret) {
		ep->stats.rx_bad++;
		return ret;
	}
	if (k.paylen > ep->cfg.max_rx_payload ||
	    k.msg_len > ep->cfg.max_msg_size) {
		ep->stats.rx_bad++;
		return UDP_REL_BAD_LEN;
	}
	p = udp_rel_peer_get_or_create(ep, peer);
	if (!p) {
		ep->stats.rx_bad++;
		return peer >= ep->cfg.max_peers ? -FI_EINVAL : -FI_ENOMEM;
	}
	if (!p->epoch) {
		p->epoch = k.src_epoch;
	} else if (k.src_epoch != p->epoch) {
		if (udp_rel_epoch_retired(p, k.src_epoch)) {
			ep->stats.rx_stale++;
			return -FI_EAGAIN;
		}
		udp_rel_peer_restart(ep, p, k.src_epoch);
	}
	p->last_heard = now;
	if (k.dst_epoch && k.dst_epoch != ep->epoch) {
		/* Meant for an earlier incarnation of this endpoint: drop it,
		 * and answer so the sender learns that we restarted. */
		ep->stats.rx_stale++;
		udp_rel_send_ack(ep, p);
		udp_rel_peer_activate(ep, p);
		return -FI_EAGAIN;
	}
	if (k.op == UDP_OP_REL_ACK)
		ep->stats.rx_ack++;
	udp_rel_ack_in(ep, p, &k, now);
	if (k.op == UDP_OP_REL_DATA)
		data_in(ep, p, pkt, &k, now);
	udp_rel_peer_activate(ep, p);
	udp_rel_pump(ep, p, now);
	return 0;
}

