/* queues/lib/vyukov.h: Dmitry Vyukov's bounded MPMC array queue.
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
 */
#ifndef QUEUES_VYUKOV_H
#define QUEUES_VYUKOV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/park.h"

typedef struct vy_cell {
    atomic_size_t seq;
    uint64_t value; /* plain: ownership is handed over by seq */
} vy_cell;

typedef struct vy_queue {
    _Alignas(64) atomic_size_t enq; /* next producer ticket */
    _Alignas(64) atomic_size_t deq; /* next consumer ticket */
    _Alignas(64) vy_cell *cells;
    size_t mask; /* capacity - 1; capacity is a power of two */
} vy_queue;

/* cells: `capacity` cells the caller owns. Not thread-safe. */
static inline void vy_init(vy_queue *q, vy_cell *cells, size_t capacity)
{
    q->cells = cells;
    q->mask = capacity - 1;
    for (size_t i = 0; i < capacity; i++) atomic_store_explicit(&cells[i].seq, i, memory_order_relaxed);
    atomic_store_explicit(&q->enq, 0, memory_order_relaxed);
    atomic_store_explicit(&q->deq, 0, memory_order_relaxed);
}

/* False when the queue is full. */
Q_ALWAYS_INLINE bool vy_try_push(vy_queue *q, uint64_t v)
{
    /* relaxed: the ticket itself carries no data; the cell's seq does. */
    size_t pos = atomic_load_explicit(&q->enq, memory_order_relaxed);
    for (;;) {
        vy_cell *c = &q->cells[pos & q->mask];
        /* acquire: the previous lap's consumer read the value before it
         * released this seq, so our write cannot overtake its read. */
        size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        intptr_t dif = (intptr_t)seq - (intptr_t)pos;
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&q->enq, &pos, pos + 1, memory_order_relaxed,
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

/* False when the queue is empty (or the next item is claimed but not yet
 * written: the caller waits either way). */
Q_ALWAYS_INLINE bool vy_try_pop(vy_queue *q, uint64_t *v)
{
    size_t pos = atomic_load_explicit(&q->deq, memory_order_relaxed);
    for (;;) {
        vy_cell *c = &q->cells[pos & q->mask];
        /* acquire: pairs with the producer's release, the value is there. */
        size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        intptr_t dif = (intptr_t)seq - (intptr_t)(pos + 1);
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&q->deq, &pos, pos + 1, memory_order_relaxed,
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

#endif
