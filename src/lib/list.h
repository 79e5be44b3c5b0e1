/* Intrusive doubly linked lists: embed a struct weft_list in the element and
 * get back to the element with weft_container_of(). A list head is a
 * struct weft_list whose next/prev point to itself when empty. */
#ifndef WEFT_LIB_LIST_H
#define WEFT_LIB_LIST_H

#include <stdbool.h>
#include <stddef.h>

#define weft_container_of(ptr, type, member)                                   \
	((type *)((char *)(ptr)-offsetof(type, member)))

struct weft_list {
	struct weft_list *next, *prev;
};

static inline void weft_list_init(struct weft_list *head)
{
	head->next = head->prev = head;
}

static inline bool weft_list_empty(const struct weft_list *head)
{
	return head->next == head;
}

static inline void weft_list_insert_between(struct weft_list *e,
					    struct weft_list *prev,
					    struct weft_list *next)
{
	e->next = next;
	e->prev = prev;
	prev->next = e;
	next->prev = e;
}

static inline void weft_list_push_back(struct weft_list *head,
				       struct weft_list *e)
{
	weft_list_insert_between(e, head->prev, head);
}

static inline void weft_list_push_front(struct weft_list *head,
					struct weft_list *e)
{
	weft_list_insert_between(e, head, head->next);
}

static inline void weft_list_remove(struct weft_list *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	e->next = e->prev = e;
}

static inline struct weft_list *weft_list_pop_front(struct weft_list *head)
{
	struct weft_list *e;

	if (weft_list_empty(head))
		return NULL;
	e = head->next;
	weft_list_remove(e);
	return e;
}

static inline size_t weft_list_length(const struct weft_list *head)
{
	size_t n = 0;
	for (const struct weft_list *e = head->next; e != head; e = e->next)
		n++;
	return n;
}

#endif
