/* A lock whose kind is chosen once, at object creation, from the threading
 * level: a real mutex for FI_THREAD_SAFE (and whenever objects may be
 * touched from several threads), nothing at all for FI_THREAD_DOMAIN /
 * FI_THREAD_COMPLETION / FI_THREAD_ENDPOINT where the application serialises
 * access. The choice is one predictable branch, not an indirect call. */
#ifndef WEFT_LIB_LOCK_H
#define WEFT_LIB_LOCK_H

#include <pthread.h>
#include <stdbool.h>

struct weft_lock {
	pthread_mutex_t mutex;
	bool enabled;
};

static inline int weft_lock_init(struct weft_lock *l, bool enabled)
{
	l->enabled = enabled;
	return pthread_mutex_init(&l->mutex, NULL) ? -1 : 0;
}

static inline void weft_lock_destroy(struct weft_lock *l)
{
	pthread_mutex_destroy(&l->mutex);
}

static inline void weft_lock_acquire(struct weft_lock *l)
{
	if (l->enabled)
		pthread_mutex_lock(&l->mutex);
}

static inline void weft_lock_release(struct weft_lock *l)
{
	if (l->enabled)
		pthread_mutex_unlock(&l->mutex);
}

#endif
