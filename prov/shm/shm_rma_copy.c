/* RMA without CMA: reads and writes through the initiator's bounce slots.
 *
 * When process_vm_readv/writev cannot be used between the two processes
 * (FI_SHM_CMA=0, a failed self-test, or the kernel refused it for this
 * peer), every RMA the initiator posts is cut into chunks, each at most a
 * bounce slot and inside one remote range. A chunk is an RMA_WCHUNK or
 * RMA_RCHUNK entry in the target's ring naming one of the initiator's
 * slots and the remote range it covers; the target checks the range with
 * weft_mr_verify under its domain lock and copies between the slot (in
 * the initiator's segment, which it maps) and its registered memory, then
 * answers RMA_ACK with the status. The target keeps no state: each chunk
 * stands alone.
 *
 * All or nothing on bad input: the first chunk carries every range of the
 * operation (SHM_F_VERIFY) and the target checks them all before it
 * writes a byte; the initiator sends nothing more until that chunk is
 * acknowledged, so a wrong key or range anywhere fails the operation with
 * the target's memory untouched. The last chunk carries them again
 * (SHM_F_LAST | SHM_F_VERIFY): the target then raises the operation's
 * events once (remote CQ data, counters, FI_RMA_EVENT region counters).
 * Chunks of one operation are consumed in ring order, so the last one is
 * handled after all the others.
 *
 * The initiator completes when every chunk is acknowledged (the data is in
 * the target's memory, or in ours for a read: delivery complete), or, after
 * an error, when the chunks in flight are back. Answers owed: one ACK per
 * slot lent, within the ring reserve (shm_ep.max_pending).
 *
 * Runs under ep->util.lock; the target's copies under the domain lock.
 */
#include <string.h>

#include "shm.h"

static inline uint64_t shm_op_cookie(struct shm_ep *ep, struct shm_tx_op *op)
{
	return (uint64_t)op->gen << 32 | (uint64_t)(op - ep->tx_ops);
}

/* ---- initiator ---------------------------------------------------------- */

void shm_rma_copy_start(struct shm_ep *ep, struct shm_tx_op *op)
{
	op->state = SHM_TX_BOUNCE;
	op->sent = 0;
	op->acked = 0;
	op->status = 0;
	op->verified = false;
	op->want = 0; /* chunks sent */
	weft_list_push_back(&ep->bounce_tx, &op->link);
	(void)shm_rma_copy_pump(ep, op);
	if (op->sent == op->len && op->want) {
		weft_list_remove(&op->link);
		op->state = SHM_TX_WAIT;
	}
}

/* The remote range holding byte `off` of the operation: its index, and
 * the offset inside it. Zero-length ranges are skipped. */
static size_t shm_rma_range_at(const struct shm_tx_op *op, size_t off,
			       size_t *in)
{
	size_t k = 0;

	while (k + 1 < op->rma_count &&
	       (op->rma[k].len == 0 || off >= op->rma[k].len)) {
		off -= (size_t)op->rma[k].len;
		k++;
	}
	*in = off;
	return k;
}

/* Send the next chunks of op as slots and ring room allow. True when
 * everything is out (the op then waits for its acknowledgements). */
bool shm_rma_copy_pump(struct shm_ep *ep, struct shm_tx_op *op)
{
	struct shm_peer *peer = op->peer;
	bool write = op->flags & FI_WRITE;

	while ((op->sent < op->len || !op->want) && ep->bounce_free &&
	       !op->status && (op->verified || !op->want)) {
		unsigned slot = (unsigned)__builtin_ctzll(ep->bounce_free);
		uint8_t *mem = ep->self.bounce +
			       (size_t)slot * ep->self.bounce_size;
		size_t in, k = shm_rma_range_at(op, op->sent, &in);
		size_t n = op->len - op->sent;
		struct shm_rma_iov ri;
		struct shm_entry *e;
		uint8_t flags = 0;
		uint64_t pos;

		if (n > ep->self.bounce_size)
			n = ep->self.bounce_size;
		if (n > op->rma[k].len - in)
			n = (size_t)op->rma[k].len - in;
		e = shm_ring_claim(&peer->seg, &pos);
		if (!e)
			break;
		if (write)
			shm_copy_from_iov(mem, op->iov, op->iov_count, op->sent,
					  n);
		if (!op->want)
			flags |= SHM_F_VERIFY;
		if (op->sent + n == op->len)
			flags |= SHM_F_LAST | SHM_F_VERIFY;
		if (write)
			flags |= (uint8_t)(op->tag & SHM_F_CQ_DATA);
		shm_entry_init(ep, e,
			       write ? SHM_OP_RMA_WCHUNK : SHM_OP_RMA_RCHUNK,
			       flags);
		e->slot = slot;
		e->cookie = shm_op_cookie(ep, op);
		e->tag = op->sent;
		e->len = n;
		e->rx_id = op->len;
		e->data = op->data;
		ri.addr = op->rma[k].addr + in;
		ri.len = n;
		ri.key = op->rma[k].key;
		memcpy(e->payload, &ri, sizeof(ri));
		if (flags & SHM_F_VERIFY) {
			e->iov_count = (uint16_t)op->rma_count;
			memcpy(e->payload + sizeof(ri), op->rma,
			       op->rma_count * sizeof(op->rma[0]));
		}
		shm_ring_publish(e, pos);
		shm_bell_ring(ep, peer);
		ep->bounce_free &= ~((uint64_t)1 << slot);
		op->slots |= (uint64_t)1 << slot;
		ep->slot_off[slot] = op->sent;
		ep->slot_len[slot] = (uint32_t)n;
		op->sent += n;
		op->want++;
	}
	return op->want && op->sent == op->len;
}

void shm_tx_rma_ack(struct shm_ep *ep, struct shm_peer *peer,
		    const struct shm_entry *h, const uint8_t *payload)
{
	struct shm_tx_op *op = shm_tx_lookup(ep, h->cookie, peer);
	uint64_t bit;
	int status;

	(void)payload;
	if (!op || !(op->flags & FI_RMA) || h->slot >= ep->self.bounce_count ||
	    !(op->slots & ((uint64_t)1 << h->slot))) {
		ep->rx_bad++;
		return;
	}
	bit = (uint64_t)1 << h->slot;
	status = h->data > 4096 ? FI_EIO : (int)h->data;
	if (!status && (op->flags & FI_READ))
		/* The target filled our slot: offset and length are ours,
		 * not read from the entry. */
		shm_copy_to_iov(op->iov, op->iov_count, ep->slot_off[h->slot],
				ep->self.bounce +
					(size_t)h->slot * ep->self.bounce_size,
				ep->slot_len[h->slot]);
	op->slots &= ~bit;
	ep->bounce_free |= bit;
	if (status) {
		if (!op->status)
			op->status = status;
	} else {
		op->acked += ep->slot_len[h->slot];
		op->verified = true;
	}
	if (op->slots)
		return;
	if (op->status || (op->want && op->acked == op->len))
		shm_tx_end(ep, op, op->status, op->status);
}

/* ---- target ---------------------------------------------------------------- */

void shm_rx_rma_chunk(struct shm_ep *ep, struct shm_peer *peer,
		      const struct shm_entry *h, const uint8_t *payload)
{
	struct weft_domain *dom = ep->util.domain;
	bool write = h->op == SHM_OP_RMA_WCHUNK;
	uint64_t access = write ? FI_REMOTE_WRITE : FI_REMOTE_READ;
	struct shm_rma_iov ri, all[SHM_IOV_LIMIT];
	struct iovec tgt[2 * SHM_IOV_LIMIT];
	size_t rc = 0, nt;
	uint8_t *mem;
	struct shm_entry ack;
	int err = 0;

	if (shm_peer_map(ep, peer) || h->slot >= peer->seg.bounce_count ||
	    h->len > peer->seg.bounce_size ||
	    ((h->flags & SHM_F_VERIFY) &&
	     (!h->iov_count || h->iov_count > SHM_IOV_LIMIT))) {
		ep->rx_bad++;
		return;
	}
	memcpy(&ri, payload, sizeof(ri));
	if (h->flags & SHM_F_VERIFY) {
		rc = h->iov_count;
		memcpy(all, payload + sizeof(ri), rc * sizeof(all[0]));
	}
	mem = peer->seg.bounce + (size_t)h->slot * peer->seg.bounce_size;
	if (!(ep->util.caps & FI_RMA) || ri.len != h->len) {
		err = -FI_EINVAL;
		if (!(ep->util.caps & FI_RMA))
			err = -FI_EOPNOTSUPP;
		goto reply;
	}

	weft_lock_acquire(&dom->lock);
	/* Every range of the operation first (chunk 0 and the last). */
	for (size_t i = 0; i < rc && !err; i++) {
		nt = 2 * SHM_IOV_LIMIT;
		err = weft_mr_verify(&dom->mr_map, all[i].key, all[i].addr,
				     (size_t)all[i].len, access, tgt, &nt);
	}
	nt = 2 * SHM_IOV_LIMIT;
	if (!err)
		err = weft_mr_verify(&dom->mr_map, ri.key, ri.addr,
				     (size_t)ri.len, access, tgt, &nt);
	if (!err) {
		/* mem is shared with the initiator, which may scribble on
		 * it: only its own data can come out wrong. */
		if (write)
			shm_copy_to_iov(tgt, nt, 0, mem, (size_t)h->len);
		else
			shm_copy_from_iov(mem, tgt, nt, 0, (size_t)h->len);
	}
	if (!err && (h->flags & SHM_F_LAST)) {
		/* FI_RMA_EVENT counters bound to the regions, once per key
		 * per operation. */
		for (size_t i = 0; i < rc; i++) {
			bool seen = false;

			for (size_t j = 0; j < i; j++)
				seen = seen || all[j].key == all[i].key;
			if (!seen)
				weft_mr_count_access(&dom->mr_map, all[i].key,
						     access);
		}
	}
	weft_lock_release(&dom->lock);
	if (!err && (h->flags & SHM_F_LAST))
		shm_rma_events(ep, peer, write, h->flags, h->data,
			       (size_t)h->rx_id);
reply:
	memset(&ack, 0, offsetof(struct shm_entry, payload));
	shm_entry_init(ep, &ack, SHM_OP_RMA_ACK, 0);
	ack.slot = h->slot;
	ack.cookie = h->cookie;
	ack.tag = h->tag;
	ack.data = (uint64_t)-err;
	shm_ctrl_send(ep, peer, &ack);
}
