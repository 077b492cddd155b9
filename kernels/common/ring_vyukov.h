/* common/ring_vyukov.h: Dmitry Vyukov's bounded MPMC array ring.
 *
 * Each cell carries a sequence number that says whose turn it is: for the
 * cell at position pos, seq == pos means "free for the producer that claims
 * ticket pos", seq == pos+1 means "full, for the consumer with ticket pos".
 * A producer claims a ticket with one CAS on the enqueue counter, writes the
 * value, then hands the cell over by storing seq = pos+1; a consumer does the
 * mirror image and stores seq = pos + capacity, which is the next lap's
 * producer ticket.  Producers and consumers meet only on cells, never on
 * each other's counter, and no memory is ever freed, so no reclamation
 * scheme is needed.  FIFO in ticket order: every consumer sees each
 * producer's items in the order they were pushed.
 *
 * The operations never block: NAME_try_push fails when full, NAME_try_pop
 * when empty (or when the next value is claimed but not yet written: the
 * caller waits either way); callers wait with common/park.h.
 *
 * A template, like Concurrency Kit's CK_RING_PROTOTYPE: define
 *   RING_VYUKOV_NAME   prefix of the types and functions (e.g. vy)
 *   RING_VYUKOV_VALUE  what a cell holds
 *   RING_VYUKOV_CLAIM  the memory order of the claiming CASes: relaxed for
 *                      the fence form of common/park.h, seq_cst for its
 *                      seq_cst form (the claim is what a re-check sees)
 * and include this file; it defines NAME_ring, NAME_cell, NAME_init,
 * NAME_try_push, NAME_try_pop, NAME_can_push and NAME_can_pop.
 */
#ifndef FB_COMMON_RING_VYUKOV_H
#define FB_COMMON_RING_VYUKOV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cc.h"

#define RV_CAT_(a, b) a##_##b
#define RV_CAT(a, b) RV_CAT_(a, b)
#endif

#if !defined(RING_VYUKOV_NAME) || !defined(RING_VYUKOV_VALUE) || !defined(RING_VYUKOV_CLAIM)
#error "common/ring_vyukov.h: define RING_VYUKOV_NAME, RING_VYUKOV_VALUE and RING_VYUKOV_CLAIM first"
#endif

#define RV_(x) RV_CAT(RING_VYUKOV_NAME, x)

typedef struct RV_(cell) {
    atomic_size_t seq;
    RING_VYUKOV_VALUE value; /* plain: ownership is handed over by seq */
} RV_(cell);

typedef struct RV_(ring) {
    _Alignas(64) atomic_size_t enq; /* next producer ticket */
    _Alignas(64) atomic_size_t deq; /* next consumer ticket */
    _Alignas(64) RV_(cell) *cells;
    size_t mask; /* capacity - 1; capacity is a power of two */
} RV_(ring);

/* cells: `capacity` cells the caller owns. Not thread-safe. */
static inline void RV_(init)(RV_(ring) *q, RV_(cell) *cells, size_t capacity)
{
    q->cells = cells;
    q->mask = capacity - 1;
    for (size_t i = 0; i < capacity; i++) atomic_store_explicit(&cells[i].seq, i, memory_order_relaxed);
    atomic_store_explicit(&q->enq, 0, memory_order_relaxed);
    atomic_store_explicit(&q->deq, 0, memory_order_relaxed);
}

/* False when the ring is full. */
FB_PRIM_INLINE bool RV_(try_push)(RV_(ring) *q, RING_VYUKOV_VALUE v)
{
    /* relaxed: the ticket itself carries no data; the cell's seq does. */
    size_t pos = atomic_load_explicit(&q->enq, memory_order_relaxed);
    for (;;) {
        RV_(cell) *c = &q->cells[pos & q->mask];
        /* acquire: the previous lap's consumer read the value before it
         * released this seq, so our write cannot overtake its read. */
        size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        intptr_t dif = (intptr_t)seq - (intptr_t)pos;
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&q->enq, &pos, pos + 1, RING_VYUKOV_CLAIM,
                                                      memory_order_relaxed)) {
                c->value = v;
                /* release: the value is visible before the cell says full. */
                atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
                return true;
            }
            /* pos was reloaded by the failed CAS */
        } else if (dif < 0) {
            return false; /* the cell still holds last lap's item: full */
        } else {
            pos = atomic_load_explicit(&q->enq, memory_order_relaxed);
        }
    }
}

/* False when the ring is empty (or the next item is claimed but not yet
 * written: the caller waits either way). */
FB_PRIM_INLINE bool RV_(try_pop)(RV_(ring) *q, RING_VYUKOV_VALUE *v)
{
    size_t pos = atomic_load_explicit(&q->deq, memory_order_relaxed);
    for (;;) {
        RV_(cell) *c = &q->cells[pos & q->mask];
        /* acquire: pairs with the producer's release, the value is there. */
        size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        intptr_t dif = (intptr_t)seq - (intptr_t)(pos + 1);
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&q->deq, &pos, pos + 1, RING_VYUKOV_CLAIM,
                                                      memory_order_relaxed)) {
                *v = c->value;
                /* release: our read is done before the next lap's producer
                 * may write the cell. */
                atomic_store_explicit(&c->seq, pos + q->mask + 1, memory_order_release);
                return true;
            }
        } else if (dif < 0) {
            return false;
        } else {
            pos = atomic_load_explicit(&q->deq, memory_order_relaxed);
        }
    }
}

/* The re-checks of a parked thread in the seq_cst form of common/park.h:
 * seq_cst loads of both tickets.  True when a push (pop) may succeed. */
static inline bool RV_(can_push)(RV_(ring) *q)
{
    size_t deq = atomic_load_explicit(&q->deq, memory_order_seq_cst);
    size_t enq = atomic_load_explicit(&q->enq, memory_order_seq_cst);
    return enq - deq <= q->mask;
}

static inline bool RV_(can_pop)(RV_(ring) *q)
{
    size_t deq = atomic_load_explicit(&q->deq, memory_order_seq_cst);
    size_t enq = atomic_load_explicit(&q->enq, memory_order_seq_cst);
    return enq != deq;
}

#undef RV_
#undef RING_VYUKOV_NAME
#undef RING_VYUKOV_VALUE
#undef RING_VYUKOV_CLAIM
