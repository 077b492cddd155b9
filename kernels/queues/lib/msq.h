/* queues/lib/msq.h: the Michael-Scott lock-free queue (PODC 1996) with
 * hazard-pointer reclamation (common/hazard.h).
 *
 * A singly linked list with a dummy node at the head: enqueue links a new
 * node after the last one with a CAS on its `next`, then swings `tail`;
 * dequeue swings `head` to the dummy's successor, whose value it returns, and
 * retires the old dummy.  Any thread that finds `tail` lagging swings it
 * first (helping), so the queue is lock-free.  Without safe reclamation the
 * old dummy could be freed while a slower thread still reads its `next`;
 * hazard pointers make that impossible and the unbounded queue leak-free.
 * Every enqueue allocates a node and every dequeue frees one (eventually):
 * the allocator is part of what this queue costs.
 */
#ifndef QUEUES_MSQ_H
#define QUEUES_MSQ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/cc.h"
#include "common/hazard.h"

typedef struct msq_node {
    _Atomic(struct msq_node *) next;
    uint64_t value; /* plain: written before the node is published */
} msq_node;

typedef struct msq {
    _Alignas(64) _Atomic(msq_node *) head;
    _Alignas(64) _Atomic(msq_node *) tail;
    char pad[64 - sizeof(void *)];
} msq;

static inline msq_node *msq_new_node(uint64_t v)
{
    msq_node *n = malloc(sizeof *n);
    if (!n) {
        fprintf(stderr, "msq: out of memory\n");
        abort();
    }
    n->value = v;
    atomic_init(&n->next, NULL);
    return n;
}

static inline void msq_free_node(void *n) { free(n); }

static inline void msq_init(msq *q)
{
    msq_node *dummy = msq_new_node(0);
    atomic_store_explicit(&q->head, dummy, memory_order_relaxed);
    atomic_store_explicit(&q->tail, dummy, memory_order_relaxed);
}

/* Only while no thread operates on the queue. */
static inline void msq_destroy(msq *q)
{
    msq_node *n = atomic_load_explicit(&q->head, memory_order_relaxed);
    while (n) {
        msq_node *next = atomic_load_explicit(&n->next, memory_order_relaxed);
        free(n);
        n = next;
    }
    atomic_store_explicit(&q->head, NULL, memory_order_relaxed);
    atomic_store_explicit(&q->tail, NULL, memory_order_relaxed);
}

FB_PRIM_INLINE void msq_push(msq *q, hp_domain *d, int tid, uint64_t v)
{
    msq_node *node = msq_new_node(v);
    for (;;) {
        msq_node *t = atomic_load_explicit(&q->tail, memory_order_acquire);
        hp_set(d, tid, 0, t);
        /* seq_cst re-read: the hazard is visible before we trust t. */
        if (atomic_load_explicit(&q->tail, memory_order_seq_cst) != t) continue;
        /* acquire: a successor's value and next are initialised. */
        msq_node *next = atomic_load_explicit(&t->next, memory_order_acquire);
        if (next != NULL) {
            /* tail lags: help swing it, then retry.  release: a thread that
             * reads the new tail also sees the node's contents. */
            atomic_compare_exchange_strong_explicit(&q->tail, &t, next, memory_order_release,
                                                    memory_order_relaxed);
            continue;
        }
        msq_node *expected = NULL;
        /* release: publishes the node's value and next with the link. */
        if (atomic_compare_exchange_weak_explicit(&t->next, &expected, node, memory_order_release,
                                                  memory_order_relaxed)) {
            atomic_compare_exchange_strong_explicit(&q->tail, &t, node, memory_order_release,
                                                    memory_order_relaxed);
            break;
        }
    }
    hp_clear(d, tid, 0);
}

/* False when the queue is empty. */
FB_PRIM_INLINE bool msq_try_pop(msq *q, hp_domain *d, int tid, uint64_t *out)
{
    msq_node *h;
    for (;;) {
        h = atomic_load_explicit(&q->head, memory_order_acquire);
        hp_set(d, tid, 0, h);
        if (atomic_load_explicit(&q->head, memory_order_seq_cst) != h) continue;
        msq_node *t = atomic_load_explicit(&q->tail, memory_order_acquire);
        msq_node *next = atomic_load_explicit(&h->next, memory_order_acquire);
        hp_set(d, tid, 1, next);
        /* head still h: h is not unlinked, so next is reachable and, from
         * now on, protected. */
        if (atomic_load_explicit(&q->head, memory_order_seq_cst) != h) continue;
        if (next == NULL) {
            hp_clear(d, tid, 0);
            hp_clear(d, tid, 1);
            return false;
        }
        if (h == t) {
            /* tail lags behind a node we are about to dequeue: help. */
            atomic_compare_exchange_strong_explicit(&q->tail, &t, next, memory_order_release,
                                                    memory_order_relaxed);
            continue;
        }
        uint64_t v = next->value;
        /* seq_cst: the unlink must precede, in the single total order, the
         * fence of the scan that may free h (hazard.h). */
        if (atomic_compare_exchange_strong_explicit(&q->head, &h, next, memory_order_seq_cst,
                                                    memory_order_relaxed)) {
            *out = v;
            break;
        }
    }
    hp_clear(d, tid, 0);
    hp_clear(d, tid, 1);
    hp_retire(d, tid, h);
    return true;
}

#endif
