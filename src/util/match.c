/* Tag matching: linear scans of queues kept in posting (or arrival) order,
 * so the first entry that matches is the oldest, which is what fi_tagged(3)
 * requires. Allocation-free; the caller holds the receive-side lock. */
#include "util/match.h"

void weft_match_queue_init(struct weft_match_queue *q, bool directed)
{
	weft_list_init(&q->list);
	q->directed = directed;
}

/* want: the posted receive's source (FI_ADDR_UNSPEC accepts anyone);
 * have: the sender of the arrived message. Without FI_DIRECTED_RECV the
 * posted source is ignored (fi_tagged(3)). */
static bool addr_accepts(const struct weft_match_queue *q, fi_addr_t want,
			 fi_addr_t have)
{
	return !q->directed || want == FI_ADDR_UNSPEC || want == have;
}

struct weft_match *weft_match_posted(struct weft_match_queue *posted,
				     uint64_t tag, fi_addr_t src)
{
	for (struct weft_list *e = posted->list.next; e != &posted->list;
	     e = e->next) {
		struct weft_match *m = weft_container_of(e, struct weft_match, link);
		if (weft_tag_matches(m->tag, m->ignore, tag) &&
		    addr_accepts(posted, m->addr, src))
			return m;
	}
	return NULL;
}

struct weft_match *weft_match_unexpected(struct weft_match_queue *unexp,
					 uint64_t tag, uint64_t ignore,
					 fi_addr_t src)
{
	for (struct weft_list *e = unexp->list.next; e != &unexp->list;
	     e = e->next) {
		struct weft_match *m = weft_container_of(e, struct weft_match, link);
		if (weft_tag_matches(tag, ignore, m->tag) &&
		    addr_accepts(unexp, src, m->addr))
			return m;
	}
	return NULL;
}

struct weft_match *weft_match_posted_take(struct weft_match_queue *posted,
					  uint64_t tag, fi_addr_t src)
{
	struct weft_match *m = weft_match_posted(posted, tag, src);

	if (m)
		weft_match_remove(m);
	return m;
}

struct weft_match *weft_match_unexpected_take(struct weft_match_queue *unexp,
					      uint64_t tag, uint64_t ignore,
					      fi_addr_t src)
{
	struct weft_match *m = weft_match_unexpected(unexp, tag, ignore, src);

	if (m)
		weft_match_remove(m);
	return m;
}
