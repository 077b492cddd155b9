/* common/blocklist.h: an unbounded MPMC queue of linked blocks, after the
 * design of crossbeam's SegQueue and of crossbeam-channel's list flavour
 * (re-implemented here in C11 from their published descriptions).
 *
 * The queue is a linked list of blocks of BL_CAP = 31 slots.  head and tail
 * are (index, block) pairs; an index counts slots in laps of BL_LAP = 32,
 * the 32nd position of every lap being a sentinel meaning "the next block is
 * being installed".  A producer claims a slot with one CAS on the tail index,
 * writes the value and sets the slot's WRITE bit; a consumer claims one with a
 * CAS on the head index, waits for WRITE, reads, and sets READ.  So producers
 * and consumers each contend on one counter, and memory is allocated and
 * freed once per 31 items.
 *
 * Reclamation needs no hazard pointers or epochs: a block is freed by the
 * last reader out.  The reader of the block's last slot walks the other slots
 * and frees the block if all are READ; a slot still being read gets the
 * DESTROY bit instead, and its reader, on seeing DESTROY as it sets READ,
 * continues the walk from there.  No thread dereferences a block before its
 * claiming CAS succeeds, and a claimed slot keeps the block alive.
 *
 * Bit 0 of an index is MARK: in the head it caches "the tail is in a later
 * block" (consumers then skip the emptiness check against the tail); in the
 * tail of a closable list it means "closed" (a channel's disconnect).
 *
 * A template, like Concurrency Kit's CK_RING_PROTOTYPE: define
 *   BLOCKLIST_NAME      prefix of the types and functions (e.g. seg)
 *   BLOCKLIST_VALUE     what a slot holds
 *   BLOCKLIST_CLOSABLE  1 to give the list NAME_close (0 compiles it out)
 * and include this file; it defines NAME, NAME_init, NAME_destroy,
 * NAME_push, NAME_try_pop (BL_OK, BL_EMPTY or BL_CLOSED), NAME_pop_ready
 * and, when closable, NAME_close.  The operations are forced inline.
 */
#ifndef FB_COMMON_BLOCKLIST_H
#define FB_COMMON_BLOCKLIST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/cc.h"
#include "common/spin.h"

enum {
    BL_LAP = 32,
    BL_CAP = BL_LAP - 1,
    BL_SHIFT = 1, /* index = position << BL_SHIFT | MARK */
    BL_MARK = 1,
    BL_SLOT_WRITE = 1,
    BL_SLOT_READ = 2,
    BL_SLOT_DESTROY = 4,
};

/* What NAME_try_pop found; BL_EMPTY is 0, so the result reads as a bool. */
enum { BL_EMPTY = 0, BL_OK = 1, BL_CLOSED = 2 };

#define BL_CAT_(a, b) a##_##b
#define BL_CAT(a, b) BL_CAT_(a, b)
#endif

#if !defined(BLOCKLIST_NAME) || !defined(BLOCKLIST_VALUE) || !defined(BLOCKLIST_CLOSABLE)
#error "common/blocklist.h: define BLOCKLIST_NAME, BLOCKLIST_VALUE and BLOCKLIST_CLOSABLE first"
#endif

#define BL_Q BLOCKLIST_NAME
#define BL_(x) BL_CAT(BLOCKLIST_NAME, x)

typedef struct BL_(slot) {
    BLOCKLIST_VALUE value; /* plain: handed over by the WRITE bit */
    atomic_uint state;     /* BL_SLOT_* bits */
} BL_(slot);

typedef struct BL_(block) {
    _Atomic(struct BL_(block) *) next;
    BL_(slot) slots[BL_CAP];
} BL_(block);

typedef struct BL_(end) {
    _Alignas(64) atomic_size_t index;
    _Atomic(BL_(block) *) block;
} BL_(end);

typedef struct BL_Q {
    BL_(end) head;
    BL_(end) tail;
} BL_Q;

static inline BL_(block) *BL_(new_block)(void)
{
    /* calloc: every state 0, next NULL, before the block is published. */
    BL_(block) *b = calloc(1, sizeof *b);
    if (!b) {
        fprintf(stderr, "list: out of memory\n"); /* the block list's */
        abort();
    }
    return b;
}

static inline void BL_(init)(BL_Q *q)
{
    BL_(block) *b = BL_(new_block)();
    atomic_store_explicit(&q->head.index, 0, memory_order_relaxed);
    atomic_store_explicit(&q->head.block, b, memory_order_relaxed);
    atomic_store_explicit(&q->tail.index, 0, memory_order_relaxed);
    atomic_store_explicit(&q->tail.block, b, memory_order_relaxed);
}

/* Only while no thread operates on the queue: frees the blocks still linked
 * from head (the ones before it were freed by their last readers). */
static inline void BL_(destroy)(BL_Q *q)
{
    BL_(block) *b = atomic_load_explicit(&q->head.block, memory_order_relaxed);
    while (b) {
        BL_(block) *next = atomic_load_explicit(&b->next, memory_order_relaxed);
        free(b);
        b = next;
    }
    atomic_store_explicit(&q->head.block, NULL, memory_order_relaxed);
    atomic_store_explicit(&q->tail.block, NULL, memory_order_relaxed);
}

/* Sets DESTROY on slots start..BL_CAP-2 that are still being read; frees
 * the block if none is (the last slot's reader began the walk, so it needs
 * no bit).  acquire on the state loads: every reader's read of its value
 * happens-before the free. */
static inline void BL_(free_block_from)(BL_(block) *b, int start)
{
    for (int i = start; i < BL_CAP - 1; i++) {
        BL_(slot) *s = &b->slots[i];
        if ((atomic_load_explicit(&s->state, memory_order_acquire) & BL_SLOT_READ) == 0 &&
            (atomic_fetch_or_explicit(&s->state, BL_SLOT_DESTROY, memory_order_acq_rel) & BL_SLOT_READ) == 0)
            return; /* that slot's reader will continue from i + 1 */
    }
    free(b);
}

/* Never blocks.  On a closed list the value is dropped: only a list's
 * producers close it, after their last push. */
FB_PRIM_INLINE void BL_(push)(BL_Q *q, BLOCKLIST_VALUE v)
{
    unsigned step = 0;
    /* acquire on the index, then the block: an index in a new block was
     * stored after that block pointer (see the install below). */
    size_t tail = atomic_load_explicit(&q->tail.index, memory_order_acquire);
    BL_(block) *block = atomic_load_explicit(&q->tail.block, memory_order_acquire);
    BL_(block) *next_block = NULL;
    for (;;) {
        if (BLOCKLIST_CLOSABLE && (tail & BL_MARK)) break;
        size_t offset = (tail >> BL_SHIFT) % BL_LAP;
        if (offset == BL_CAP) {
            /* the producer of the last slot is installing the next block */
            spin_snooze(&step);
            tail = atomic_load_explicit(&q->tail.index, memory_order_acquire);
            block = atomic_load_explicit(&q->tail.block, memory_order_acquire);
            continue;
        }
        /* About to take the last slot: allocate the successor outside the
         * critical window, so the install below is short. */
        if (offset + 1 == BL_CAP && next_block == NULL) next_block = BL_(new_block)();
        size_t new_tail = tail + (1u << BL_SHIFT);
        /* seq_cst: pairs with the consumers' fence before they compare the
         * head with the tail (the emptiness check), and is the operation a
         * parked consumer's seq_cst re-check sees (common/park.h). */
        if (atomic_compare_exchange_weak_explicit(&q->tail.index, &tail, new_tail, memory_order_seq_cst,
                                                  memory_order_acquire)) {
            if (offset + 1 == BL_CAP) {
                /* Install the successor: block pointer first, then the index
                 * that leaves the sentinel position (release, so a reader of
                 * the index sees the block), then the link consumers follow. */
                size_t next_index = new_tail + (1u << BL_SHIFT);
                atomic_store_explicit(&q->tail.block, next_block, memory_order_release);
                atomic_store_explicit(&q->tail.index, next_index, memory_order_release);
                atomic_store_explicit(&block->next, next_block, memory_order_release);
                next_block = NULL;
            }
            BL_(slot) *s = &block->slots[offset];
            s->value = v;
            /* release: the value is visible to whoever sees WRITE. */
            atomic_fetch_or_explicit(&s->state, BL_SLOT_WRITE, memory_order_release);
            break;
        }
        block = atomic_load_explicit(&q->tail.block, memory_order_acquire);
        spin_snooze(&step);
    }
    if (next_block) free(next_block); /* allocated, then someone else took the last slot */
}

/* BL_OK with the oldest value in *out; BL_EMPTY; or BL_CLOSED: empty and
 * closed, so it stays empty. */
FB_PRIM_INLINE int BL_(try_pop)(BL_Q *q, BLOCKLIST_VALUE *out)
{
    unsigned step = 0;
    size_t head = atomic_load_explicit(&q->head.index, memory_order_acquire);
    BL_(block) *block = atomic_load_explicit(&q->head.block, memory_order_acquire);
    for (;;) {
        size_t offset = (head >> BL_SHIFT) % BL_LAP;
        if (offset == BL_CAP) {
            /* the consumer of the last slot is moving head to the next block */
            spin_snooze(&step);
            head = atomic_load_explicit(&q->head.index, memory_order_acquire);
            block = atomic_load_explicit(&q->head.block, memory_order_acquire);
            continue;
        }
        size_t new_head = head + (1u << BL_SHIFT);
        if ((new_head & BL_MARK) == 0) {
            /* Not known to have a later block: compare with the tail.  The
             * fence pairs with the producers' seq_cst CAS on the tail. */
            atomic_thread_fence(memory_order_seq_cst);
            size_t tail = atomic_load_explicit(&q->tail.index, memory_order_relaxed);
            if (head >> BL_SHIFT == tail >> BL_SHIFT)
                return BLOCKLIST_CLOSABLE && (tail & BL_MARK) ? BL_CLOSED : BL_EMPTY;
            if ((head >> BL_SHIFT) / BL_LAP != (tail >> BL_SHIFT) / BL_LAP) new_head |= BL_MARK;
        }
        if (atomic_compare_exchange_weak_explicit(&q->head.index, &head, new_head, memory_order_seq_cst,
                                                  memory_order_acquire)) {
            if (offset + 1 == BL_CAP) {
                /* We took the last slot: move head to the next block, which
                 * its producer may still be linking. */
                BL_(block) *next;
                unsigned wait = 0;
                while ((next = atomic_load_explicit(&block->next, memory_order_acquire)) == NULL)
                    spin_snooze(&wait);
                size_t next_index = (new_head & ~(size_t)BL_MARK) + (1u << BL_SHIFT);
                if (atomic_load_explicit(&next->next, memory_order_relaxed) != NULL)
                    next_index |= BL_MARK;
                atomic_store_explicit(&q->head.block, next, memory_order_release);
                atomic_store_explicit(&q->head.index, next_index, memory_order_release);
            }
            BL_(slot) *s = &block->slots[offset];
            /* The producer has claimed the slot; wait for its value. */
            unsigned wait = 0;
            while ((atomic_load_explicit(&s->state, memory_order_acquire) & BL_SLOT_WRITE) == 0)
                spin_snooze(&wait);
            *out = s->value;
            if (offset + 1 == BL_CAP)
                BL_(free_block_from)(block, 0);
            else if (atomic_fetch_or_explicit(&s->state, BL_SLOT_READ, memory_order_acq_rel) & BL_SLOT_DESTROY)
                BL_(free_block_from)(block, (int)offset + 1);
            return BL_OK;
        }
        block = atomic_load_explicit(&q->head.block, memory_order_acquire);
        spin_snooze(&step);
    }
}

/* The re-check of a parked consumer (common/park.h, seq_cst form): is there
 * a value, or a close, to act on?  seq_cst loads. */
static inline bool BL_(pop_ready)(BL_Q *q)
{
    size_t head = atomic_load_explicit(&q->head.index, memory_order_seq_cst);
    size_t tail = atomic_load_explicit(&q->tail.index, memory_order_seq_cst);
    return (BLOCKLIST_CLOSABLE && (tail & BL_MARK)) || head >> BL_SHIFT != tail >> BL_SHIFT;
}

#if BLOCKLIST_CLOSABLE
/* Marks the list closed (seq_cst: a parked consumer's re-check sees it).
 * Called once, after every producer's last push. */
static inline void BL_(close)(BL_Q *q)
{
    atomic_fetch_or_explicit(&q->tail.index, BL_MARK, memory_order_seq_cst);
}
#endif

#undef BL_
#undef BL_Q
#undef BLOCKLIST_NAME
#undef BLOCKLIST_VALUE
#undef BLOCKLIST_CLOSABLE
