/* queues/lib/segq.h: an unbounded MPMC queue of linked blocks, after the
 * design of crossbeam's SegQueue (re-implemented here in C11 from its
 * published description).
 *
 * The queue is a linked list of blocks of SEG_CAP = 31 slots.  head and tail
 * are (index, block) pairs; an index counts slots in laps of SEG_LAP = 32,
 * the 32nd position of every lap being a sentinel meaning "the next block is
 * being installed".  A producer claims a slot with one CAS on the tail index,
 * writes the value and sets the slot's WRITE bit; a consumer claims one with a
 * CAS on the head index, waits for WRITE, reads, and sets READ.  So producers
 * and consumers each contend on one counter, and memory is allocated and
 * freed once per 31 items instead of once per item as in the Michael-Scott
 * queue.
 *
 * Reclamation needs no hazard pointers or epochs: a block is freed by the
 * last reader out.  The reader of the block's last slot walks the other slots
 * and frees the block if all are READ; a slot still being read gets the
 * DESTROY bit instead, and its reader, on seeing DESTROY as it sets READ,
 * continues the walk from there.  No thread dereferences a block before its
 * claiming CAS succeeds, and a claimed slot keeps the block alive.
 *
 * The low bit of the head index (HAS_NEXT) caches "the tail is in a later
 * block", which lets consumers skip the emptiness check against the tail.
 */
#ifndef QUEUES_SEGQ_H
#define QUEUES_SEGQ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/park.h"

enum {
    SEG_LAP = 32,
    SEG_CAP = SEG_LAP - 1,
    SEG_SHIFT = 1,          /* index = position << SEG_SHIFT | flags */
    SEG_HAS_NEXT = 1,       /* head index flag */
    SLOT_WRITE = 1,
    SLOT_READ = 2,
    SLOT_DESTROY = 4,
};

typedef struct seg_slot {
    uint64_t value;     /* plain: handed over by the WRITE bit */
    atomic_uint state;  /* SLOT_* bits */
} seg_slot;

typedef struct seg_block {
    _Atomic(struct seg_block *) next;
    seg_slot slots[SEG_CAP];
} seg_block;

typedef struct seg_end {
    _Alignas(64) atomic_size_t index;
    _Atomic(seg_block *) block;
} seg_end;

typedef struct segq {
    seg_end head;
    seg_end tail;
} segq;

static inline seg_block *seg_new_block(void)
{
    /* calloc: every state 0, next NULL, before the block is published. */
    seg_block *b = calloc(1, sizeof *b);
    if (!b) {
        fprintf(stderr, "segq: out of memory\n");
        abort();
    }
    return b;
}

static inline void segq_init(segq *q)
{
    seg_block *b = seg_new_block();
    atomic_store_explicit(&q->head.index, 0, memory_order_relaxed);
    atomic_store_explicit(&q->head.block, b, memory_order_relaxed);
    atomic_store_explicit(&q->tail.index, 0, memory_order_relaxed);
    atomic_store_explicit(&q->tail.block, b, memory_order_relaxed);
}

/* Only while no thread operates on the queue: frees the blocks still linked
 * from head (the ones before it were freed by their last readers). */
static inline void segq_destroy(segq *q)
{
    seg_block *b = atomic_load_explicit(&q->head.block, memory_order_relaxed);
    while (b) {
        seg_block *next = atomic_load_explicit(&b->next, memory_order_relaxed);
        free(b);
        b = next;
    }
    atomic_store_explicit(&q->head.block, NULL, memory_order_relaxed);
    atomic_store_explicit(&q->tail.block, NULL, memory_order_relaxed);
}

/* Sets DESTROY on slots start..SEG_CAP-2 that are still being read; frees
 * the block if none is (the last slot's reader began the walk, so it needs
 * no bit).  acquire on the state loads: every reader's read of its value
 * happens-before the free. */
static inline void seg_destroy(seg_block *b, int start)
{
    for (int i = start; i < SEG_CAP - 1; i++) {
        seg_slot *s = &b->slots[i];
        if ((atomic_load_explicit(&s->state, memory_order_acquire) & SLOT_READ) == 0 &&
            (atomic_fetch_or_explicit(&s->state, SLOT_DESTROY, memory_order_acq_rel) & SLOT_READ) == 0)
            return; /* that slot's reader will continue from i + 1 */
    }
    free(b);
}

Q_ALWAYS_INLINE void segq_push(segq *q, uint64_t v)
{
    unsigned step = 0;
    /* acquire on the index, then the block: an index in a new block was
     * stored after that block pointer (see the install below). */
    size_t tail = atomic_load_explicit(&q->tail.index, memory_order_acquire);
    seg_block *block = atomic_load_explicit(&q->tail.block, memory_order_acquire);
    seg_block *next_block = NULL;
    for (;;) {
        size_t offset = (tail >> SEG_SHIFT) % SEG_LAP;
        if (offset == SEG_CAP) {
            /* the producer of the last slot is installing the next block */
            spin_snooze(&step);
            tail = atomic_load_explicit(&q->tail.index, memory_order_acquire);
            block = atomic_load_explicit(&q->tail.block, memory_order_acquire);
            continue;
        }
        /* About to take the last slot: allocate the successor outside the
         * critical window, so the install below is short. */
        if (offset + 1 == SEG_CAP && next_block == NULL) next_block = seg_new_block();
        size_t new_tail = tail + (1u << SEG_SHIFT);
        /* seq_cst: pairs with the consumers' fence before they compare the
         * head with the tail (the emptiness check). */
        if (atomic_compare_exchange_weak_explicit(&q->tail.index, &tail, new_tail, memory_order_seq_cst,
                                                  memory_order_acquire)) {
            if (offset + 1 == SEG_CAP) {
                /* Install the successor: block pointer first, then the index
                 * that leaves the sentinel position (release, so a reader of
                 * the index sees the block), then the link consumers follow. */
                size_t next_index = new_tail + (1u << SEG_SHIFT);
                atomic_store_explicit(&q->tail.block, next_block, memory_order_release);
                atomic_store_explicit(&q->tail.index, next_index, memory_order_release);
                atomic_store_explicit(&block->next, next_block, memory_order_release);
                next_block = NULL;
            }
            seg_slot *s = &block->slots[offset];
            s->value = v;
            /* release: the value is visible to whoever sees WRITE. */
            atomic_fetch_or_explicit(&s->state, SLOT_WRITE, memory_order_release);
            break;
        }
        block = atomic_load_explicit(&q->tail.block, memory_order_acquire);
        spin_snooze(&step);
    }
    if (next_block) free(next_block); /* allocated, then someone else took the last slot */
}

/* False when the queue is empty. */
Q_ALWAYS_INLINE bool segq_try_pop(segq *q, uint64_t *out)
{
    unsigned step = 0;
    size_t head = atomic_load_explicit(&q->head.index, memory_order_acquire);
    seg_block *block = atomic_load_explicit(&q->head.block, memory_order_acquire);
    for (;;) {
        size_t offset = (head >> SEG_SHIFT) % SEG_LAP;
        if (offset == SEG_CAP) {
            /* the consumer of the last slot is moving head to the next block */
            spin_snooze(&step);
            head = atomic_load_explicit(&q->head.index, memory_order_acquire);
            block = atomic_load_explicit(&q->head.block, memory_order_acquire);
            continue;
        }
        size_t new_head = head + (1u << SEG_SHIFT);
        if ((new_head & SEG_HAS_NEXT) == 0) {
            /* Not known to have a later block: compare with the tail.  The
             * fence pairs with the producers' seq_cst CAS on the tail. */
            atomic_thread_fence(memory_order_seq_cst);
            size_t tail = atomic_load_explicit(&q->tail.index, memory_order_relaxed);
            if (head >> SEG_SHIFT == tail >> SEG_SHIFT) return false;
            if ((head >> SEG_SHIFT) / SEG_LAP != (tail >> SEG_SHIFT) / SEG_LAP) new_head |= SEG_HAS_NEXT;
        }
        if (atomic_compare_exchange_weak_explicit(&q->head.index, &head, new_head, memory_order_seq_cst,
                                                  memory_order_acquire)) {
            if (offset + 1 == SEG_CAP) {
                /* We took the last slot: move head to the next block, which
                 * its producer may still be linking. */
                seg_block *next;
                unsigned wait = 0;
                while ((next = atomic_load_explicit(&block->next, memory_order_acquire)) == NULL)
                    spin_snooze(&wait);
                size_t next_index = (new_head & ~(size_t)SEG_HAS_NEXT) + (1u << SEG_SHIFT);
                if (atomic_load_explicit(&next->next, memory_order_relaxed) != NULL)
                    next_index |= SEG_HAS_NEXT;
                atomic_store_explicit(&q->head.block, next, memory_order_release);
                atomic_store_explicit(&q->head.index, next_index, memory_order_release);
            }
            seg_slot *s = &block->slots[offset];
            /* The producer has claimed the slot; wait for its value. */
            unsigned wait = 0;
            while ((atomic_load_explicit(&s->state, memory_order_acquire) & SLOT_WRITE) == 0)
                spin_snooze(&wait);
            *out = s->value;
            if (offset + 1 == SEG_CAP)
                seg_destroy(block, 0);
            else if (atomic_fetch_or_explicit(&s->state, SLOT_READ, memory_order_acq_rel) & SLOT_DESTROY)
                seg_destroy(block, (int)offset + 1);
            return true;
        }
        block = atomic_load_explicit(&q->head.block, memory_order_acquire);
        spin_snooze(&step);
    }
}

#endif
