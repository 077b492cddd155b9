/* channels/lib/chan_list.c: an unbounded lock-free MPMC channel on a linked
 * list of blocks, after the design of crossbeam-channel's list flavour
 * (re-implemented in C11 from its published description).
 *
 * Blocks hold BLOCK_CAP = 31 slots; head and tail are (index, block) pairs
 * whose index counts positions in laps of 32, position 31 of each lap being a
 * sentinel for "the next block is being installed".  A sender claims a slot
 * with one CAS on the tail index, writes and sets the slot's WRITE bit; a
 * receiver claims one with a CAS on the head index, waits for WRITE, reads
 * and sets READ.  One allocation per 31 messages.  Bit 0 of an index is
 * MARK: in the tail it means "disconnected", in the head "the tail is in a
 * later block" (which lets receivers skip comparing with the tail).
 *
 * Reclamation: the last reader of a block frees it.  The receiver of the
 * last slot walks the other slots; a slot still being read gets DESTROY
 * instead and its reader, seeing DESTROY when it sets READ, continues the
 * walk.  Nobody dereferences a block before its claiming CAS succeeded, and
 * a claimed but unread slot keeps its block alive, so no hazard pointers or
 * epochs are needed.
 *
 * Blocking: senders never block; receivers park as in lib/park.h, the
 * seq_cst CAS on the tail index being the operation their re-check sees.
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "lib/chan.h"
#include "lib/park.h"

enum {
    LAP = 32,
    BLOCK_CAP = LAP - 1,
    SHIFT = 1,
    MARK = 1,
    WRITE = 1,
    READ = 2,
    DESTROY = 4,
};

typedef struct slot {
    chan_msg msg;      /* plain: handed over by the WRITE bit */
    atomic_uint state; /* WRITE | READ | DESTROY */
} slot;

typedef struct block {
    _Atomic(struct block *) next;
    slot slots[BLOCK_CAP];
} block;

typedef struct end {
    _Alignas(64) atomic_size_t index;
    _Atomic(block *) block;
} end;

struct chan_list {
    end head;
    end tail;
    _Alignas(64) atomic_int senders;
    eventcount receivers;
};

static block *new_block(void)
{
    /* calloc: states 0 and next NULL before the block is published. */
    block *b = calloc(1, sizeof *b);
    if (!b) {
        fprintf(stderr, "chan_list: out of memory\n");
        abort();
    }
    return b;
}

chan_list *chan_list_new(size_t capacity_ignored, int senders)
{
    (void)capacity_ignored;
    chan_list *c = fb_calloc(1, sizeof *c);
    block *b = new_block();
    atomic_init(&c->head.index, 0);
    atomic_init(&c->head.block, b);
    atomic_init(&c->tail.index, 0);
    atomic_init(&c->tail.block, b);
    atomic_init(&c->senders, senders);
    ec_init(&c->receivers);
    return c;
}

/* Only when no thread uses the channel: frees the blocks from head on (the
 * earlier ones were freed by their last readers). */
void chan_list_free(chan_list *c)
{
    block *b = atomic_load_explicit(&c->head.block, memory_order_relaxed);
    while (b) {
        block *next = atomic_load_explicit(&b->next, memory_order_relaxed);
        free(b);
        b = next;
    }
    free(c);
}

/* Marks slots start..BLOCK_CAP-2 that are still being read with DESTROY and
 * frees the block if none is.  acquire: every reader's read happens-before
 * the free. */
static void destroy(block *b, int start)
{
    for (int i = start; i < BLOCK_CAP - 1; i++) {
        slot *s = &b->slots[i];
        if ((atomic_load_explicit(&s->state, memory_order_acquire) & READ) == 0 &&
            (atomic_fetch_or_explicit(&s->state, DESTROY, memory_order_acq_rel) & READ) == 0)
            return;
    }
    free(b);
}

void chan_list_send(chan_list *c, chan_msg m)
{
    unsigned step = 0;
    /* acquire on the index, then the block: a new block's pointer is
     * stored before the index that enters it. */
    size_t tail = atomic_load_explicit(&c->tail.index, memory_order_acquire);
    block *b = atomic_load_explicit(&c->tail.block, memory_order_acquire);
    block *next_block = NULL;
    for (;;) {
        if (tail & MARK) break; /* disconnected: nobody sends after that here */
        size_t offset = (tail >> SHIFT) % LAP;
        if (offset == BLOCK_CAP) {
            spin_snooze(&step);
            tail = atomic_load_explicit(&c->tail.index, memory_order_acquire);
            b = atomic_load_explicit(&c->tail.block, memory_order_acquire);
            continue;
        }
        if (offset + 1 == BLOCK_CAP && next_block == NULL) next_block = new_block();
        size_t new_tail = tail + (1u << SHIFT);
        /* seq_cst: the receivers' parking handshake (lib/park.h). */
        if (atomic_compare_exchange_weak_explicit(&c->tail.index, &tail, new_tail, memory_order_seq_cst,
                                                  memory_order_acquire)) {
            if (offset + 1 == BLOCK_CAP) {
                size_t next_index = new_tail + (1u << SHIFT);
                atomic_store_explicit(&c->tail.block, next_block, memory_order_release);
                atomic_store_explicit(&c->tail.index, next_index, memory_order_release);
                atomic_store_explicit(&b->next, next_block, memory_order_release);
                next_block = NULL;
            }
            slot *s = &b->slots[offset];
            s->msg = m;
            atomic_fetch_or_explicit(&s->state, WRITE, memory_order_release);
            break;
        }
        b = atomic_load_explicit(&c->tail.block, memory_order_acquire);
        spin_snooze(&step);
    }
    free(next_block);
    ec_notify(&c->receivers);
}

enum { OK, WOULD_BLOCK, DISCONNECTED };

static int try_recv(chan_list *c, chan_msg *m)
{
    unsigned step = 0;
    size_t head = atomic_load_explicit(&c->head.index, memory_order_acquire);
    block *b = atomic_load_explicit(&c->head.block, memory_order_acquire);
    for (;;) {
        size_t offset = (head >> SHIFT) % LAP;
        if (offset == BLOCK_CAP) {
            spin_snooze(&step);
            head = atomic_load_explicit(&c->head.index, memory_order_acquire);
            b = atomic_load_explicit(&c->head.block, memory_order_acquire);
            continue;
        }
        size_t new_head = head + (1u << SHIFT);
        if ((new_head & MARK) == 0) {
            /* pairs with the senders' seq_cst CAS on the tail */
            atomic_thread_fence(memory_order_seq_cst);
            size_t tail = atomic_load_explicit(&c->tail.index, memory_order_relaxed);
            if (head >> SHIFT == tail >> SHIFT) return tail & MARK ? DISCONNECTED : WOULD_BLOCK;
            if ((head >> SHIFT) / LAP != (tail >> SHIFT) / LAP) new_head |= MARK;
        }
        if (atomic_compare_exchange_weak_explicit(&c->head.index, &head, new_head, memory_order_seq_cst,
                                                  memory_order_acquire)) {
            if (offset + 1 == BLOCK_CAP) {
                block *next;
                unsigned wait = 0;
                while ((next = atomic_load_explicit(&b->next, memory_order_acquire)) == NULL)
                    spin_snooze(&wait);
                size_t next_index = (new_head & ~(size_t)MARK) + (1u << SHIFT);
                if (atomic_load_explicit(&next->next, memory_order_relaxed) != NULL) next_index |= MARK;
                atomic_store_explicit(&c->head.block, next, memory_order_release);
                atomic_store_explicit(&c->head.index, next_index, memory_order_release);
            }
            slot *s = &b->slots[offset];
            unsigned wait = 0;
            while ((atomic_load_explicit(&s->state, memory_order_acquire) & WRITE) == 0)
                spin_snooze(&wait);
            *m = s->msg;
            if (offset + 1 == BLOCK_CAP)
                destroy(b, 0);
            else if (atomic_fetch_or_explicit(&s->state, READ, memory_order_acq_rel) & DESTROY)
                destroy(b, (int)offset + 1);
            return OK;
        }
        b = atomic_load_explicit(&c->head.block, memory_order_acquire);
        spin_snooze(&step);
    }
}

/* After registering: is there a message, or a disconnect, to act on? */
static bool can_recv(chan_list *c)
{
    size_t head = atomic_load_explicit(&c->head.index, memory_order_seq_cst);
    size_t tail = atomic_load_explicit(&c->tail.index, memory_order_seq_cst);
    return (tail & MARK) || head >> SHIFT != tail >> SHIFT;
}

bool chan_list_recv(chan_list *c, chan_msg *m)
{
    int r;
    CH_WAIT_UNTIL(&c->receivers, (r = try_recv(c, m)) != WOULD_BLOCK, can_recv(c));
    return r == OK;
}

void chan_list_sender_done(chan_list *c)
{
    if (atomic_fetch_sub_explicit(&c->senders, 1, memory_order_acq_rel) == 1) {
        atomic_fetch_or_explicit(&c->tail.index, MARK, memory_order_seq_cst);
        ec_wake_all(&c->receivers);
    }
}
