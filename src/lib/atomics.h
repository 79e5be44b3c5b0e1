/* Intent-named helpers over <stdatomic.h>. Each says which ordering it gives;
 * callers say in a comment why that ordering is enough. No volatile, no
 * hand-written fences elsewhere in weft. */
#ifndef WEFT_LIB_ATOMICS_H
#define WEFT_LIB_ATOMICS_H

#include <stdatomic.h>
#include <stdint.h>

/* Read a value another thread/process publishes with weft_store_release:
 * everything written before that store is visible after this load. */
static inline uint64_t weft_load_acquire(const _Atomic uint64_t *p)
{
	return atomic_load_explicit(p, memory_order_acquire);
}

/* Publish a value: all earlier writes become visible to a thread that
 * reads it with weft_load_acquire. */
static inline void weft_store_release(_Atomic uint64_t *p, uint64_t v)
{
	atomic_store_explicit(p, v, memory_order_release);
}

/* A value only this thread writes, or a statistic: no ordering needed. */
static inline uint64_t weft_load_relaxed(const _Atomic uint64_t *p)
{
	return atomic_load_explicit(p, memory_order_relaxed);
}

static inline void weft_store_relaxed(_Atomic uint64_t *p, uint64_t v)
{
	atomic_store_explicit(p, v, memory_order_relaxed);
}

/* Counters (fi_cntr values, reference counts): the increment itself is
 * atomic; a waiter that must see data written before the increment uses
 * the acq_rel form. */
static inline uint64_t weft_add_relaxed(_Atomic uint64_t *p, uint64_t v)
{
	return atomic_fetch_add_explicit(p, v, memory_order_relaxed);
}

static inline uint64_t weft_add_acq_rel(_Atomic uint64_t *p, uint64_t v)
{
	return atomic_fetch_add_explicit(p, v, memory_order_acq_rel);
}

static inline int weft_cas_acq_rel(_Atomic uint64_t *p, uint64_t *expected,
				   uint64_t desired)
{
	return atomic_compare_exchange_strong_explicit(
		p, expected, desired, memory_order_acq_rel,
		memory_order_acquire);
}

#endif
