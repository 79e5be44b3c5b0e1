/* Cooperative CMA copies of large messages.
 *
 * A message read with process_vm_readv costs the receiver one kernel copy
 * while its sender, waiting for DONE, usually just polls. For messages of
 * at least two chunks the receiver hands the sender the addresses of its
 * receive buffers (SHM_OP_COOP, an answer like CTS: one per RTS, so the
 * ring reserve argument of shm.h is unchanged) and a slot in its own
 * header page (shm_proto.h: struct shm_coop_slot). Both then claim chunks
 * with compare-and-swap on the slot's claim word: the receiver from the
 * front (reading), the sender from the back (writing with
 * process_vm_writev), so the copy runs on both CPUs.
 *
 * Nothing depends on the sender's help: a sender that never makes
 * progress, or whose writes fail (EPERM under a ptrace policy that allows
 * only one direction), leaves its chunks unclaimed or gives a failed one
 * back, and the receiver copies the rest alone. The receive ends when no
 * chunk is unclaimed and the sender's byte count covers every chunk it
 * claimed; then the receiver completes and sends DONE as for any RTS.
 *
 * The receiver writes its own receive buffers' addresses into the
 * sender's ring; the sender only ever writes there, within the range it
 * was given, the bytes of the message it sent: no process writes memory
 * its owner did not name.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/uio.h>

#include "shm.h"

static_assert(SHM_COOP_SLOTS == 64, "coop_free is a 64-bit mask");

/* Bytes each side moves per progress call for one transfer. */
#define SHM_COOP_BUDGET ((size_t)256 * 1024)
#define SHM_COOP_CHUNK_MIN ((size_t)16 * 1024)
#define SHM_COOP_CHUNK_MAX ((size_t)128 * 1024)

static inline uint64_t coop_front(uint64_t w)
{
	return w & SHM_COOP_IDX_MASK;
}

static inline uint64_t coop_back(uint64_t w)
{
	return (w >> SHM_COOP_IDX_BITS) & SHM_COOP_IDX_MASK;
}

static inline uint64_t coop_gen(uint64_t w)
{
	return w >> (2 * SHM_COOP_IDX_BITS);
}

static inline uint64_t coop_word(uint64_t gen, uint64_t back, uint64_t front)
{
	return gen << (2 * SHM_COOP_IDX_BITS) | back << SHM_COOP_IDX_BITS |
	       front;
}

static inline struct shm_coop_slot *coop_slot(const struct shm_region *r,
					      uint32_t i)
{
	return (struct shm_coop_slot *)((uint8_t *)r->hdr + SHM_COOP_OFF) + i;
}

/* Build the slices [off, off + len) of an iov list (at most
 * SHM_IOV_LIMIT). Returns how many. */
static size_t coop_slice_local(struct iovec *out, const struct iovec *iov,
			       size_t count, size_t off, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < count && len; i++) {
		size_t l = iov[i].iov_len;

		if (off >= l) {
			off -= l;
			continue;
		}
		l -= off;
		if (l > len)
			l = len;
		out[n].iov_base = (uint8_t *)iov[i].iov_base + off;
		out[n++].iov_len = l;
		len -= l;
		off = 0;
	}
	return len ? 0 : n;
}

static size_t coop_slice_remote(struct iovec *out, const struct shm_iov *iov,
				size_t count, size_t off, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < count && len; i++) {
		uint64_t l = iov[i].len;

		if (off >= l) {
			off -= l;
			continue;
		}
		l -= off;
		if (l > len)
			l = len;
		out[n].iov_base = (void *)(uintptr_t)(iov[i].addr + off);
		out[n++].iov_len = (size_t)l;
		len -= (size_t)l;
		off = 0;
	}
	return len ? 0 : n;
}

int shm_cma_xfer(uint32_t pid, const struct iovec *liov, size_t lc,
		 const struct shm_iov *riov, size_t rc, size_t off, size_t len,
		 bool write)
{
	struct iovec local[SHM_IOV_LIMIT], remote[SHM_IOV_LIMIT];

	while (len) {
		size_t nl = coop_slice_local(local, liov, lc, off, len);
		size_t nr = coop_slice_remote(remote, riov, rc, off, len);
		ssize_t n;

		if (!nl || !nr)
			return EINVAL; /* an iov list is shorter than named */
		n = write ? process_vm_writev((pid_t)pid, local, nl, remote,
					      nr, 0)
			  : process_vm_readv((pid_t)pid, local, nl, remote,
					     nr, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return EFAULT;
		off += (size_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- receiver ------------------------------------------------------------ */

static size_t coop_chunk_for(size_t want)
{
	size_t c = want / 16;

	if (c < SHM_COOP_CHUNK_MIN)
		c = SHM_COOP_CHUNK_MIN;
	if (c > SHM_COOP_CHUNK_MAX)
		c = SHM_COOP_CHUNK_MAX;
	return c & ~(size_t)4095;
}

bool shm_coop_start(struct shm_ep *ep, struct shm_rx *rx)
{
	struct shm_peer *peer = rx->peer;
	size_t chunk = coop_chunk_for(rx->want);
	uint64_t nchunks = (rx->want + chunk - 1) / chunk;
	struct shm_coop_slot *s;
	struct shm_entry e;
	unsigned i;
	int err;

	if (!shm_params.coop || nchunks < 2 || nchunks > SHM_COOP_IDX_MASK ||
	    !ep->coop_free ||
	    peer->coop_denied || rx->iov_count > SHM_IOV_LIMIT)
		return false;
	/* The first chunk before telling the sender: if it fails (the
	 * kernel refuses CMA from this peer, the peer is gone), the caller
	 * takes its usual path, which meets the same error and handles it,
	 * with nothing sent yet (an RTS gets COOP or CTS, never both). */
	err = shm_cma_xfer(peer->pid, rx->iov, rx->iov_count, rx->siov,
			   rx->scount, 0, chunk, false);
	if (err)
		return false;

	i = (unsigned)__builtin_ctzll(ep->coop_free);
	ep->coop_free &= ~((uint64_t)1 << i);
	rx->coop = true;
	rx->coop_err = 0;
	rx->coop_slot = i;
	rx->coop_gen = ep->coop_gen++ & SHM_COOP_GEN_MASK;
	rx->coop_chunk = chunk;
	rx->got = chunk;
	rx->cma = true;
	rx->state = SHM_RX_ACTIVE;
	weft_list_push_back(&ep->rx_active, &rx->active);
	ep->cma_pending++;

	s = coop_slot(&ep->self, i);
	weft_store_relaxed(&s->sent, 0);
	/* Release: the sender that reads this word (after the COOP entry,
	 * itself published with release) sees sent = 0. Chunk 0 is ours. */
	weft_store_release(&s->claim, coop_word(rx->coop_gen, nchunks, 1));

	memset(&e, 0, offsetof(struct shm_entry, payload));
	shm_entry_init(ep, &e, SHM_OP_COOP, 0);
	e.slot = i;
	e.tag = rx->coop_gen;
	e.data = chunk;
	e.len = rx->want;
	e.cookie = rx->cookie;
	e.iov_count = (uint16_t)rx->iov_count;
	for (size_t k = 0; k < rx->iov_count; k++) {
		struct shm_iov si = {
			.addr = (uint64_t)(uintptr_t)rx->iov[k].iov_base,
			.len = rx->iov[k].iov_len,
		};
		memcpy(e.payload + k * sizeof(si), &si, sizeof(si));
	}
	shm_ctrl_send(ep, peer, &e);
	return true;
}

bool shm_coop_rx_step(struct shm_ep *ep, struct shm_rx *rx)
{
	struct shm_coop_slot *s = coop_slot(&ep->self, rx->coop_slot);
	struct shm_peer *peer = rx->peer;
	size_t chunk = rx->coop_chunk, budget = SHM_COOP_BUDGET;
	bool did = false;
	uint64_t w, back, end;

	while (budget) {
		uint64_t front;
		size_t off, len;
		int err;

		w = weft_load_acquire(&s->claim);
		front = coop_front(w);
		back = coop_back(w);
		if (coop_gen(w) != rx->coop_gen || front >= back)
			break;
		if (rx->coop_err) {
			/* Take every chunk left: the sender stops. */
			if (weft_cas_acq_rel(&s->claim, &w,
					     coop_word(rx->coop_gen, back,
						       back)))
				did = true;
			continue;
		}
		if (!weft_cas_acq_rel(&s->claim, &w, w + 1))
			continue;
		off = (size_t)front * chunk;
		len = rx->want - off < chunk ? rx->want - off : chunk;
		err = shm_cma_xfer(peer->pid, rx->iov, rx->iov_count,
				   rx->siov, rx->scount, off, len, false);
		did = true;
		if (err) {
			rx->coop_err = err;
			if (err == ESRCH) {
				/* The sender is gone: nothing of it is in
				 * flight any more. */
				peer->dead = true;
				break;
			}
			continue;
		}
		rx->got += len;
		budget = budget > len ? budget - len : 0;
	}

	/* Over when nothing is unclaimed and the sender wrote all it took:
	 * chunks [back, n), i.e. want - back * chunk bytes. */
	w = weft_load_acquire(&s->claim);
	back = coop_back(w);
	end = back * chunk < rx->want ? rx->want - back * chunk : 0;
	if (!(rx->coop_err == ESRCH ||
	      (coop_gen(w) == rx->coop_gen && coop_front(w) == back &&
	       shm_load_sc(&s->sent) == end)))
		return did;

	weft_list_remove(&rx->active);
	ep->cma_pending--;
	{
		uint64_t cookie = rx->cookie;
		int err = rx->coop_err;

		if (err) {
			shm_rx_fail(ep, rx, FI_EIO, err);
			shm_send_done(ep, peer, cookie, FI_EIO);
		} else {
			shm_rx_finish(ep, rx);
			shm_send_done(ep, peer, cookie, 0);
		}
	}
	return true;
}

void shm_coop_release(struct shm_ep *ep, struct shm_rx *rx)
{
	if (!rx->coop)
		return;
	/* A new generation before reuse keeps a late sender out. */
	ep->coop_free |= (uint64_t)1 << rx->coop_slot;
	rx->coop = false;
}

/* ---- sender -------------------------------------------------------------- */

void shm_tx_coop(struct shm_ep *ep, struct shm_peer *peer,
		 const struct shm_entry *h, const uint8_t *payload)
{
	struct shm_tx_op *op = shm_tx_lookup(ep, h->cookie, peer);

	/* Only a message send (not an RMA or atomic waiting on this peer):
	 * its buffers hold what the receiver may have. */
	if (!op || op->state != SHM_TX_WAIT || !(op->flags & FI_SEND) ||
	    h->iov_count > SHM_IOV_LIMIT ||
	    h->slot >= SHM_COOP_SLOTS || h->len > op->len ||
	    h->data < 4096 || h->data > SHM_COOP_CHUNK_MAX ||
	    h->tag > SHM_COOP_GEN_MASK || !peer->seg.hdr) {
		ep->rx_bad++;
		return;
	}
	if (peer->coop_denied)
		return; /* the receiver copies alone */
	memcpy(op->riov, payload, h->iov_count * sizeof(op->riov[0]));
	op->rcount = h->iov_count;
	op->coop_slot = h->slot;
	op->coop_gen = h->tag;
	op->coop_chunk = (size_t)h->data;
	op->want = (size_t)h->len;
	op->state = SHM_TX_COOP;
	weft_list_push_back(&ep->coop_tx, &op->link);
}

/* Give back chunk idx after a failed write, so the receiver takes it. */
static void coop_unclaim(struct shm_coop_slot *s, uint64_t gen, uint64_t idx)
{
	uint64_t w = weft_load_acquire(&s->claim);

	while (coop_gen(w) == gen && coop_back(w) == idx)
		if (weft_cas_acq_rel(&s->claim, &w,
				     coop_word(gen, idx + 1, coop_front(w))))
			return;
}

static void coop_tx_leave(struct shm_tx_op *op)
{
	weft_list_remove(&op->link);
	op->state = SHM_TX_WAIT; /* the receiver's DONE ends it */
}

void shm_coop_tx_pump(struct shm_ep *ep)
{
	struct weft_list *l, *next;

	for (l = ep->coop_tx.next; l != &ep->coop_tx; l = next) {
		struct shm_tx_op *op =
			weft_container_of(l, struct shm_tx_op, link);
		struct shm_peer *peer = op->peer;
		struct shm_coop_slot *s = coop_slot(&peer->seg, op->coop_slot);
		size_t budget = SHM_COOP_BUDGET;
		bool moved = false;

		next = l->next;
		while (budget) {
			uint64_t w = weft_load_acquire(&s->claim);
			uint64_t back = coop_back(w), idx;
			size_t off, len;
			int err;

			if (coop_gen(w) != op->coop_gen ||
			    coop_front(w) >= back) {
				coop_tx_leave(op);
				break;
			}
			if (!weft_cas_acq_rel(&s->claim, &w,
					      coop_word(op->coop_gen, back - 1,
							coop_front(w))))
				continue;
			idx = back - 1;
			off = (size_t)idx * op->coop_chunk;
			if (off >= op->want) {
				/* A receiver's bad count: not ours to fix. */
				coop_unclaim(s, op->coop_gen, idx);
				coop_tx_leave(op);
				break;
			}
			len = op->want - off < op->coop_chunk ? op->want - off
							      : op->coop_chunk;
			err = shm_cma_xfer(peer->pid, op->iov, op->iov_count,
					   op->riov, op->rcount, off, len, true);
			moved = true;
			if (err) {
				coop_unclaim(s, op->coop_gen, idx);
				if (err == EPERM || err == EACCES ||
				    err == ENOSYS) {
					FI_INFO(&shm_prov, FI_LOG_EP_DATA,
						"CMA writes to %" PRIu32
						" refused (%s): not helping "
						"its copies\n",
						peer->pid, strerror(err));
					peer->coop_denied = true;
				}
				coop_tx_leave(op);
				break;
			}
			/* Release: the receiver that loads `sent` sees the
			 * bytes the kernel wrote for us. seq_cst, before our
			 * look at the receiver's `armed` below (Dekker, as for
			 * ring entries): a receiver that armed and then saw
			 * too little in `sent` is rung. */
			shm_add_sc(&s->sent, len);
			budget = budget > len ? budget - len : 0;
		}
		/* A receiver asleep in epoll waits for our bytes (or for a
		 * chunk we gave back): wake it. */
		if (moved)
			shm_bell_ring(ep, peer);
	}
}
