/* Tag matching: posted-receive and unexpected-message queues.
 *
 * A provider embeds struct weft_match in its receive entries (posted side)
 * and in its unexpected-message records (arrived side). Matching follows
 * fi_tagged(3): a posted receive (tag T, ignore I, source S) matches a
 * message (tag t, from s) when ((T ^ t) & ~I) == 0 and S is FI_ADDR_UNSPEC
 * or S == s (directed receive only when the endpoint has FI_DIRECTED_RECV).
 * Untagged messages use tag 0 / ignore 0 in a queue of their own.
 * Queues keep posting order, so the first match is the oldest.
 */
#ifndef WEFT_UTIL_MATCH_H
#define WEFT_UTIL_MATCH_H

#include <rdma/fabric.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/list.h"

struct weft_match {
	struct weft_list link;
	uint64_t tag;
	uint64_t ignore;   /* posted side only; 0 on the arrived side */
	fi_addr_t addr;    /* posted: FI_ADDR_UNSPEC or source; arrived: sender */
};

struct weft_match_queue {
	struct weft_list list;
	bool directed;     /* honour addr (FI_DIRECTED_RECV) */
};

void weft_match_queue_init(struct weft_match_queue *q, bool directed);
static inline void weft_match_queue_push(struct weft_match_queue *q,
					 struct weft_match *m)
{
	weft_list_push_back(&q->list, &m->link);
}
static inline void weft_match_remove(struct weft_match *m)
{
	weft_list_remove(&m->link);
}

static inline bool weft_tag_matches(uint64_t posted_tag, uint64_t ignore,
				    uint64_t tag)
{
	return ((posted_tag ^ tag) & ~ignore) == 0;
}

/* Arrived message (tag, src) against posted receives: the oldest posted
 * entry that accepts it, or NULL. Does not remove it. */
struct weft_match *weft_match_posted(struct weft_match_queue *posted,
				     uint64_t tag, fi_addr_t src);
/* Posted receive (tag, ignore, src) against unexpected messages: the oldest
 * arrived message it accepts, or NULL. Does not remove it. Used by
 * posting receives and by FI_PEEK/FI_CLAIM. */
struct weft_match *weft_match_unexpected(struct weft_match_queue *unexp,
					 uint64_t tag, uint64_t ignore,
					 fi_addr_t src);

/* The same searches, removing the entry found (the common case: an arrival
 * consumes a posted receive; a posted receive consumes an unexpected
 * message). NULL if none matches, and the queue is unchanged. */
struct weft_match *weft_match_posted_take(struct weft_match_queue *posted,
					  uint64_t tag, fi_addr_t src);
struct weft_match *weft_match_unexpected_take(struct weft_match_queue *unexp,
					      uint64_t tag, uint64_t ignore,
					      fi_addr_t src);

static inline bool weft_match_queue_empty(const struct weft_match_queue *q)
{
	return weft_list_empty(&q->list);
}

/* Locking: the queues are plain lists; the provider holds the lock that
 * guards its receive side (normally the endpoint's lock) around every call
 * here, including push and remove. */

#endif
