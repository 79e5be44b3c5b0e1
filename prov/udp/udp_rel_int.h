/* The reliability engine's internals shared by its files (udp_rel.c:
 * setup, peers, timers, sending and acks in; udp_rel_rx.c: data in). Not
 * for the provider: it uses udp_rel.h. Everything here runs under the
 * caller's serialisation of the endpoint, like the rest of the engine. */
#ifndef WEFT_UDP_REL_INT_H
#define WEFT_UDP_REL_INT_H

#include "udp_rel.h"

/* ---- serial-number arithmetic (RFC 1982 style, 32 bits) -------------- */

static inline int32_t seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}
static inline bool seq_lt(uint32_t a, uint32_t b) { return seq_diff(a, b) < 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return seq_diff(a, b) > 0; }

static inline uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static inline uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* Every LOST packet must have seq >= lost_hint (pump scans from there). */
static inline void lost_hint_lower(uint32_t *hint, uint32_t seq)
{
	if (seq_lt(seq, *hint))
		*hint = seq;
}

struct udp_rel_peer *udp_rel_peer_get_or_create(struct udp_rel_ep *ep,
						uint32_t id);
void udp_rel_peer_activate(struct udp_rel_ep *ep, struct udp_rel_peer *p);
/* The peer shows a new incarnation: everything of the old one ends. */
void udp_rel_peer_restart(struct udp_rel_ep *ep, struct udp_rel_peer *p,
			  uint32_t epoch);
bool udp_rel_epoch_retired(const struct udp_rel_peer *p, uint32_t epoch);
/* An ack-only packet to p now (-FI_EAGAIN: left pending for progress). */
int udp_rel_send_ack(struct udp_rel_ep *ep, struct udp_rel_peer *p);
/* The ack fields of a packet from p (udp_rel.c, "acks in"). */
void udp_rel_ack_in(struct udp_rel_ep *ep, struct udp_rel_peer *p,
		    const struct udp_rel_pkt *k, uint64_t now);
/* Send what p's windows allow. */
void udp_rel_pump(struct udp_rel_ep *ep, struct udp_rel_peer *p,
		  uint64_t now);
/* Deliver p's early packets that are now in order (udp_rel_rx.c). */
void udp_rel_drain_early(struct udp_rel_ep *ep, struct udp_rel_peer *p);

#endif
