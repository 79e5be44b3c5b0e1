/* FI_RMA: reads and writes of a peer's registered memory.
 *
 * The target validates every access: an RMA is a request entry in the
 * target's ring (the initiator's buffers and the remote ranges with their
 * keys), and the target's progress checks each range against its own
 * registrations with weft_mr_verify (key, range, access) before moving a
 * byte, then moves the data with one process_vm_readv (write) or
 * process_vm_writev (read) between the initiator's buffers and the
 * verified ranges, and answers DONE with the status: the initiator's
 * completion (or error completion: FI_EKEYREJECTED, FI_EACCES, FI_EINVAL)
 * follows. So no process ever writes into another's memory without the
 * owner's check, and a rejected access leaves the target's memory
 * untouched.
 *
 * Writes of up to SHM_RMA_INLINE_SIZE bytes with FI_INJECT travel inside
 * the entry (no CMA needed). Without CMA between the two processes
 * (FI_SHM_CMA=0, or the kernel refuses it: the target answers FI_ENOSYS
 * and the initiator switches that peer over), every other RMA goes
 * through bounce slots (shm_rma_copy.c), with the same checks.
 *
 * FI_FENCE: a fenced operation is not started while earlier operations
 * of the endpoint wait for answers; the post answers -FI_EAGAIN (after
 * driving progress) until they are done.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "shm.h"

#define SHM_RMA_FLAGS                                                          \
	(FI_COMPLETION | FI_INJECT | FI_REMOTE_CQ_DATA | FI_INJECT_COMPLETE |  \
	 FI_TRANSMIT_COMPLETE | FI_DELIVERY_COMPLETE | FI_MORE | FI_FENCE)

#define SHM_RMA_MAX_RANGES (2 * SHM_IOV_LIMIT)

/* ---- initiator ---------------------------------------------------------- */

static ssize_t shm_rma(struct shm_ep *ep, bool write, const struct iovec *iov,
		       size_t count, const struct fi_rma_iov *rma,
		       size_t rma_count, fi_addr_t dest, uint64_t data,
		       uint64_t flags, void *context, bool report)
{
	struct shm_peer *peer;
	struct shm_entry *e;
	struct shm_tx_op *op;
	size_t len = 0, rlen = 0;
	uint64_t pos;
	uint8_t ef = (flags & FI_REMOTE_CQ_DATA) ? SHM_F_CQ_DATA : 0;
	int err = 0;

	if (!ep->util.enabled)
		return -FI_EOPBADSTATE;
	if (weft_ep_check_iov(iov, count, SHM_IOV_LIMIT, ep->max_msg_size,
			      &len))
		return len > ep->max_msg_size ? -FI_EMSGSIZE : -FI_EINVAL;
	if (!rma || !rma_count || rma_count > SHM_IOV_LIMIT)
		return -FI_EINVAL;
	for (size_t i = 0; i < rma_count; i++) {
		if (rma[i].len > SIZE_MAX - rlen)
			return -FI_EINVAL;
		rlen += rma[i].len;
	}
	if (rlen != len)
		return -FI_EINVAL;
	if (!write)
		flags &= ~FI_REMOTE_CQ_DATA; /* only writes carry data */

	weft_lock_acquire(&ep->util.lock);
	if ((flags & FI_FENCE) && ep->tx_busy)
		goto again;
	peer = shm_peer_of_addr(ep, dest, &err);
	if (!peer) {
		weft_lock_release(&ep->util.lock);
		return err;
	}
	if (peer->dead) {
		weft_lock_release(&ep->util.lock);
		return -FI_EHOSTUNREACH;
	}

	if (write && (flags & FI_INJECT)) {
		struct shm_rma_iov ri;
		/* Delivery complete: the target answers DONE (SHM_F_ACK). */
		bool ack = report && (flags & FI_DELIVERY_COMPLETE);

		if (len > SHM_RMA_INLINE_SIZE || rma_count != 1) {
			weft_lock_release(&ep->util.lock);
			return -FI_EMSGSIZE;
		}
		op = NULL;
		if (ack) {
			op = ep->tx_busy < ep->max_pending ? ep->tx_free
							   : NULL;
			if (!op)
				goto again;
		}
		e = shm_ring_claim(&peer->seg, &pos);
		if (!e)
			goto again;
		shm_entry_init(ep, e, SHM_OP_RMA_INLINE,
			       (uint8_t)(ef | (ack ? SHM_F_ACK : 0)));
		if (op) {
			ep->tx_free = op->next_free;
			ep->tx_busy++;
			op->state = SHM_TX_WAIT;
			op->context = context;
			op->flags = (flags & ~FI_REMOTE_CQ_DATA) | FI_RMA |
				    FI_WRITE;
			op->iov_count = 0;
			op->rma_count = 0;
			op->len = len;
			op->peer = peer;
			op->slots = 0;
			op->tag = 0;
			e->cookie = (uint64_t)op->gen << 32 |
				    (uint64_t)(op - ep->tx_ops);
		}
		e->data = data;
		e->len = len;
		ri.addr = rma[0].addr;
		ri.len = rma[0].len;
		ri.key = rma[0].key;
		memcpy(e->payload, &ri, sizeof(ri));
		shm_copy_from_iov(e->payload + sizeof(ri), iov, count, 0, len);
		shm_ring_publish(e, pos);
		shm_bell_ring(ep, peer);
		/* With op, the target's DONE completes it. */
		if (!op && report)
			weft_ep_tx_complete(&ep->util, context,
					    (flags & ~FI_REMOTE_CQ_DATA) |
						    FI_RMA | FI_WRITE,
					    len, NULL, 0, 0);
		else if (!op)
			weft_ep_cntr_inc(&ep->util, WEFT_CNTR_WRITE);
		weft_lock_release(&ep->util.lock);
		return 0;
	}
	op = ep->tx_busy < ep->max_pending ? ep->tx_free : NULL;
	if (!op)
		goto again;
	/* Kept for the copy path, which a refused CMA falls back to. */
	memcpy(op->iov, iov, count * sizeof(*iov));
	op->iov_count = count;
	for (size_t i = 0; i < rma_count; i++) {
		op->rma[i].addr = rma[i].addr;
		op->rma[i].len = rma[i].len;
		op->rma[i].key = rma[i].key;
	}
	op->rma_count = rma_count;
	op->context = context;
	op->flags = (flags & ~FI_REMOTE_CQ_DATA) | FI_RMA |
		    (write ? FI_WRITE : FI_READ);
	op->tag = ef; /* SHM_F_CQ_DATA for the copy path's last chunk */
	op->len = len;
	op->data = data;
	op->peer = peer;
	op->slots = 0;
	if (!ep->cma || peer->cma_denied) {
		ep->tx_free = op->next_free;
		ep->tx_busy++;
		shm_rma_copy_start(ep, op);
		weft_lock_release(&ep->util.lock);
		return 0;
	}
	e = shm_ring_claim(&peer->seg, &pos);
	if (!e)
		goto again;
	ep->tx_free = op->next_free;
	ep->tx_busy++;
	op->state = SHM_TX_WAIT;

	shm_entry_init(ep, e, write ? SHM_OP_RMA_WRITE : SHM_OP_RMA_READ, ef);
	e->iov_count = (uint16_t)(count | rma_count << 8);
	e->data = data;
	e->len = len;
	e->cookie = (uint64_t)op->gen << 32 | (uint64_t)(op - ep->tx_ops);
	for (size_t i = 0; i < count; i++) {
		struct shm_iov si = {
			.addr = (uint64_t)(uintptr_t)iov[i].iov_base,
			.len = iov[i].iov_len,
		};
		memcpy(e->payload + i * sizeof(si), &si, sizeof(si));
	}
	for (size_t i = 0; i < rma_count; i++) {
		struct shm_rma_iov ri = {
			.addr = rma[i].addr, .len = rma[i].len,
			.key = rma[i].key,
		};
		memcpy(e->payload + count * sizeof(struct shm_iov) +
			       i * sizeof(ri),
		       &ri, sizeof(ri));
	}
	shm_ring_publish(e, pos);
	shm_bell_ring(ep, peer);
	weft_lock_release(&ep->util.lock);
	return 0;

again:
	shm_progress_locked(ep);
	weft_lock_release(&ep->util.lock);
	return -FI_EAGAIN;
}

static ssize_t shm_read(struct fid_ep *fid, void *buf, size_t len, void *desc,
			fi_addr_t src, uint64_t addr, uint64_t key,
			void *context)
{
	struct shm_ep *ep = shm_ep_of(fid);
	struct iovec iov = { buf, len };
	struct fi_rma_iov r = { addr, len, key };

	return shm_rma(ep, false, &iov, 1, &r, 1, src, 0,
		       ep->util.tx_op_flags, context, true);
}

static ssize_t shm_readv(struct fid_ep *fid, const struct iovec *iov,
			 void **desc, size_t count, fi_addr_t src,
			 uint64_t addr, uint64_t key, void *context)
{
	struct shm_ep *ep = shm_ep_of(fid);
	struct fi_rma_iov r = { addr, 0, key };

	if (!iov && count)
		return -FI_EINVAL;
	for (size_t i = 0; i < count; i++)
		r.len += iov[i].iov_len;
	return shm_rma(ep, false, iov, count, &r, 1, src, 0,
		       ep->util.tx_op_flags, context, true);
}

static ssize_t shm_rmamsg(struct shm_ep *ep, bool write,
			  const struct fi_msg_rma *msg, uint64_t flags)
{
	if (!msg)
		return -FI_EINVAL;
	if (flags & ~SHM_RMA_FLAGS)
		return -FI_EBADFLAGS;
	return shm_rma(ep, write, msg->msg_iov, msg->iov_count, msg->rma_iov,
		       msg->rma_iov_count, msg->addr, msg->data, flags,
		       msg->context, true);
}

static ssize_t shm_readmsg(struct fid_ep *fid, const struct fi_msg_rma *msg,
			   uint64_t flags)
{
	if (flags & FI_INJECT)
		return -FI_EINVAL;
	return shm_rmamsg(shm_ep_of(fid), false, msg, flags);
}

static ssize_t shm_write(struct fid_ep *fid, const void *buf, size_t len,
			 void *desc, fi_addr_t dest, uint64_t addr,
			 uint64_t key, void *context)
{
	struct shm_ep *ep = shm_ep_of(fid);
	struct iovec iov = { (void *)buf, len };
	struct fi_rma_iov r = { addr, len, key };

	return shm_rma(ep, true, &iov, 1, &r, 1, dest, 0,
		       ep->util.tx_op_flags, context, true);
}

static ssize_t shm_writev(struct fid_ep *fid, const struct iovec *iov,
			  void **desc, size_t count, fi_addr_t dest,
			  uint64_t addr, uint64_t key, void *context)
{
	struct shm_ep *ep = shm_ep_of(fid);
	struct fi_rma_iov r = { addr, 0, key };

	if (!iov && count)
		return -FI_EINVAL;
	for (size_t i = 0; i < count; i++)
		r.len += iov[i].iov_len;
	return shm_rma(ep, true, iov, count, &r, 1, dest, 0,
		       ep->util.tx_op_flags, context, true);
}

static ssize_t shm_writemsg(struct fid_ep *fid, const struct fi_msg_rma *msg,
			    uint64_t flags)
{
	return shm_rmamsg(shm_ep_of(fid), true, msg, flags);
}

static ssize_t shm_rma_inject(struct fid_ep *fid, const void *buf, size_t len,
			      fi_addr_t dest, uint64_t addr, uint64_t key)
{
	struct iovec iov = { (void *)buf, len };
	struct fi_rma_iov r = { addr, len, key };

	return shm_rma(shm_ep_of(fid), true, &iov, 1, &r, 1, dest, 0,
		       FI_INJECT, NULL, false);
}

static ssize_t shm_writedata(struct fid_ep *fid, const void *buf, size_t len,
			     void *desc, uint64_t data, fi_addr_t dest,
			     uint64_t addr, uint64_t key, void *context)
{
	struct shm_ep *ep = shm_ep_of(fid);
	struct iovec iov = { (void *)buf, len };
	struct fi_rma_iov r = { addr, len, key };

	return shm_rma(ep, true, &iov, 1, &r, 1, dest, data,
		       ep->util.tx_op_flags | FI_REMOTE_CQ_DATA, context,
		       true);
}

static ssize_t shm_rma_injectdata(struct fid_ep *fid, const void *buf,
				  size_t len, uint64_t data, fi_addr_t dest,
				  uint64_t addr, uint64_t key)
{
	struct iovec iov = { (void *)buf, len };
	struct fi_rma_iov r = { addr, len, key };

	return shm_rma(shm_ep_of(fid), true, &iov, 1, &r, 1, dest, data,
		       FI_INJECT | FI_REMOTE_CQ_DATA, NULL, false);
}

struct fi_ops_rma shm_rma_ops = {
	.size = sizeof(struct fi_ops_rma),
	.read = shm_read,
	.readv = shm_readv,
	.readmsg = shm_readmsg,
	.write = shm_write,
	.writev = shm_writev,
	.writemsg = shm_writemsg,
	.inject = shm_rma_inject,
	.writedata = shm_writedata,
	.injectdata = shm_rma_injectdata,
};

/* ---- target ---------------------------------------------------------------- */

/* Move len bytes between local ranges and the initiator's (remote) ones:
 * into local (write) or out of local (read). 0 or an errno. */
static int shm_cma_move(bool into_local, uint32_t pid, const struct iovec *lv,
			size_t nl, const struct iovec *rv, size_t nr,
			size_t len)
{
	struct iovec l[SHM_RMA_MAX_RANGES], r[SHM_IOV_LIMIT];
	size_t done = 0;

	while (done < len) {
		size_t a = 0, b = 0, off, left;
		ssize_t n;

		off = done;
		left = len - done;
		for (size_t i = 0; i < nl && left; i++) {
			size_t k = lv[i].iov_len;

			if (off >= k) {
				off -= k;
				continue;
			}
			k -= off;
			if (k > left)
				k = left;
			l[a].iov_base = (uint8_t *)lv[i].iov_base + off;
			l[a++].iov_len = k;
			left -= k;
			off = 0;
		}
		off = done;
		left = len - done;
		for (size_t i = 0; i < nr && left; i++) {
			size_t k = rv[i].iov_len;

			if (off >= k) {
				off -= k;
				continue;
			}
			k -= off;
			if (k > left)
				k = left;
			r[b].iov_base = (uint8_t *)rv[i].iov_base + off;
			r[b++].iov_len = k;
			left -= k;
			off = 0;
		}
		if (!a || !b)
			return EINVAL;
		n = into_local ? process_vm_readv((pid_t)pid, l, a, r, b, 0)
			       : process_vm_writev((pid_t)pid, l, a, r, b, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return EFAULT;
		done += (size_t)n;
	}
	return 0;
}

/* Resolve the request's remote ranges against our registrations. Caller
 * holds the domain lock. 0 or -FI_E*. */
static int shm_rma_verify(struct shm_ep *ep, const struct shm_rma_iov *ri,
			  size_t rc, uint64_t access, struct iovec *out,
			  size_t *nout)
{
	size_t n = 0;

	for (size_t i = 0; i < rc; i++) {
		size_t room = SHM_RMA_MAX_RANGES - n;
		int ret;

		ret = weft_mr_verify(&ep->util.domain->mr_map, ri[i].key,
				     ri[i].addr, (size_t)ri[i].len, access,
				     out + n, &room);
		if (ret)
			return ret;
		n += room;
	}
	*nout = n;
	return 0;
}

/* FI_RMA_EVENT: counters bound to the regions accessed (fi_mr_bind),
 * once per key. Caller holds the domain lock. */
static void shm_rma_count_keys(struct weft_domain *dom,
			       const struct shm_rma_iov *ri, size_t rc,
			       uint64_t access)
{
	for (size_t i = 0; i < rc; i++) {
		bool seen = false;

		for (size_t j = 0; j < i; j++)
			seen = seen || ri[j].key == ri[i].key;
		if (!seen)
			weft_mr_count_access(&dom->mr_map, ri[i].key, access);
	}
}

/* The target's events for a finished write or read (FI_RMA_EVENT): a CQ
 * entry for a write with remote CQ data (it bumps the remote-write
 * counter too), else the remote counter alone. */
void shm_rma_events(struct shm_ep *ep, struct shm_peer *peer, bool write,
		    uint8_t flags, uint64_t data, size_t len)
{
	if (write && (flags & SHM_F_CQ_DATA))
		weft_ep_rx_complete(&ep->util, NULL,
				    FI_RMA | FI_REMOTE_WRITE |
					    FI_REMOTE_CQ_DATA,
				    len, NULL, data, 0,
				    ep->want_source ? shm_peer_src(ep, peer)
						    : FI_ADDR_NOTAVAIL);
	else
		weft_ep_cntr_inc(&ep->util, write ? WEFT_CNTR_REMOTE_WRITE
						  : WEFT_CNTR_REMOTE_READ);
}

void shm_rx_rma(struct shm_ep *ep, struct shm_peer *peer,
		const struct shm_entry *h, const uint8_t *payload)
{
	struct weft_domain *dom = ep->util.domain;
	bool write = h->op != SHM_OP_RMA_READ;
	size_t lc = h->iov_count & 0xff, rc = h->iov_count >> 8;
	struct shm_iov si[SHM_IOV_LIMIT];
	struct shm_rma_iov ri[SHM_IOV_LIMIT];
	struct iovec tgt[SHM_RMA_MAX_RANGES], src[SHM_IOV_LIMIT];
	size_t nt = 0;
	uint64_t total = 0;
	int status = 0, err;

	if (!(ep->util.caps & FI_RMA)) {
		status = FI_EOPNOTSUPP;
		goto reply;
	}
	if (h->op == SHM_OP_RMA_INLINE) {
		/* One range, the data inline; no answer (an inject) unless
		 * SHM_F_ACK asks for one. */
		if (h->len > SHM_RMA_INLINE_SIZE) {
			ep->rx_bad++;
			return;
		}
		memcpy(&ri[0], payload, sizeof(ri[0]));
		if (ri[0].len != h->len) {
			ep->rx_bad++;
			status = FI_EINVAL;
			goto inline_err;
		}
		weft_lock_acquire(&dom->lock);
		err = shm_rma_verify(ep, ri, 1, FI_REMOTE_WRITE, tgt, &nt);
		if (!err) {
			shm_copy_to_iov(tgt, nt, 0, payload + sizeof(ri[0]),
					h->len);
			shm_rma_count_keys(dom, ri, 1, FI_REMOTE_WRITE);
		}
		weft_lock_release(&dom->lock);
		if (err) {
			status = -err;
			goto inline_err;
		}
		goto events;
	}

	if (!lc || lc > SHM_IOV_LIMIT || !rc || rc > SHM_IOV_LIMIT) {
		ep->rx_bad++;
		status = FI_EINVAL;
		goto reply;
	}
	memcpy(si, payload, lc * sizeof(si[0]));
	memcpy(ri, payload + lc * sizeof(si[0]), rc * sizeof(ri[0]));
	for (size_t i = 0; i < lc; i++) {
		src[i].iov_base = (void *)(uintptr_t)si[i].addr;
		src[i].iov_len = (size_t)si[i].len;
		total += si[i].len;
	}
	if (total != h->len) {
		status = FI_EINVAL;
		goto reply;
	}
	total = 0;
	for (size_t i = 0; i < rc; i++)
		total += ri[i].len;
	if (total != h->len) {
		status = FI_EINVAL;
		goto reply;
	}

	/* The check and the copy under the domain lock: a region cannot be
	 * closed between them. */
	weft_lock_acquire(&dom->lock);
	err = shm_rma_verify(ep, ri, rc,
			     write ? FI_REMOTE_WRITE : FI_REMOTE_READ, tgt,
			     &nt);
	if (!err) {
		err = shm_cma_move(write, peer->pid, tgt, nt, src, lc,
				   (size_t)h->len);
		if (err == ESRCH)
			peer->dead = true;
		/* Refused by the kernel (nothing moved): the initiator
		 * retries through bounce slots. */
		if (err == EPERM || err == EACCES || err == ENOSYS)
			err = -FI_ENOSYS;
		else
			err = err ? -FI_EIO : 0;
	}
	if (!err)
		shm_rma_count_keys(dom, ri, rc,
				   write ? FI_REMOTE_WRITE : FI_REMOTE_READ);
	weft_lock_release(&dom->lock);
	if (err) {
		status = -err;
		goto reply;
	}

events:
	shm_rma_events(ep, peer, write, h->flags, h->data, (size_t)h->len);
	if (h->op == SHM_OP_RMA_INLINE && !(h->flags & SHM_F_ACK))
		return;
reply:
	if (!shm_peer_map(ep, peer))
		shm_send_done(ep, peer, h->cookie, (uint32_t)status);
	return;
inline_err:
	/* A refused inject cannot be reported, unless asked for. */
	if (h->flags & SHM_F_ACK)
		goto reply;
	ep->rx_bad++;
}
