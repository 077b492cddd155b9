/* common/ws_deque.h: the Chase-Lev work-stealing deque, in the C11 version
 * of Lê, Pop, Cohen and Zappa Nardelli, "Correct and Efficient Work-Stealing
 * for Weak Memory Models" (PPoPP 2013), with a growable circular array.
 *
 * The owner pushes and takes at bottom, thieves steal at top.  Indices only
 * grow (int64_t never wraps in practice); slot i lives at i & (cap-1).
 * Orderings follow Lê et al. (Fig. 1 of the paper) except where noted.
 * Replaced arrays are kept on a list until ws_free, because a thief may
 * still be reading one.
 *
 * ThreadSanitizer does not model standalone fences: every happens-before
 * edge that orders plain memory (what a pushed pointer points to, a new
 * array) goes through a release store or RMW paired with an acquire load;
 * the seq_cst fences only settle the contest for the last element, which
 * involves atomics only.
 */
#ifndef FB_COMMON_WS_DEQUE_H
#define FB_COMMON_WS_DEQUE_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h" /* fb_stress_point */

typedef struct ws_array {
    int64_t cap;              /* a power of two */
    struct ws_array *retired; /* the array this one replaced (freed by ws_free) */
    _Atomic(void *) slot[];
} ws_array;

/* top is CASed by thieves, bottom and array are written only by the owner;
 * each index on its own line so thieves hammering top do not steal the
 * owner's bottom line. */
typedef struct ws_deque {
    alignas(64) _Atomic int64_t top;
    alignas(64) _Atomic int64_t bottom;
    _Atomic(ws_array *) array;
} ws_deque;

enum { WS_STEAL_EMPTY, WS_STEAL_LOST, WS_STEAL_OK };

static inline ws_array *ws_array_new(int64_t cap)
{
    ws_array *a = NULL;
    size_t bytes = sizeof *a + (size_t)cap * sizeof a->slot[0];
    if (posix_memalign((void **)&a, 64, (bytes + 63) & ~(size_t)63) != 0) {
        fprintf(stderr, "ws_deque: out of memory\n");
        abort();
    }
    a->cap = cap;
    a->retired = NULL;
    for (int64_t i = 0; i < cap; i++) atomic_init(&a->slot[i], NULL);
    return a;
}

/* Before any other thread sees the deque.  cap: a power of two. */
static inline void ws_init(ws_deque *d, int64_t cap)
{
    atomic_init(&d->top, 0);
    atomic_init(&d->bottom, 0);
    atomic_init(&d->array, ws_array_new(cap));
}

/* Only while no thread uses the deque: frees its arrays, retired ones too. */
static inline void ws_free(ws_deque *d)
{
    ws_array *a = atomic_load_explicit(&d->array, memory_order_relaxed);
    while (a) {
        ws_array *older = a->retired;
        free(a);
        a = older;
    }
}

/* Owner only.  Copies the live range [t, b) into an array twice the size. */
static inline ws_array *ws_grow(ws_deque *d, ws_array *a, int64_t t, int64_t b)
{
    ws_array *na = ws_array_new(a->cap * 2);
    for (int64_t i = t; i < b; i++)
        atomic_store_explicit(&na->slot[i & (na->cap - 1)],
                              atomic_load_explicit(&a->slot[i & (a->cap - 1)], memory_order_relaxed),
                              memory_order_relaxed);
    /* The old array is not freed: a thief that loaded it before the switch
     * may still read a slot (its CAS on top then decides, as always).  Sizes
     * double, so the retired arrays together are smaller than the live one. */
    na->retired = a;
    /* release: a thief that loads the new array (acquire) sees the copied
     * slots and cap. */
    atomic_store_explicit(&d->array, na, memory_order_release);
    return na;
}

/* Owner only.  True when the array had to grow. */
static inline bool ws_push(ws_deque *d, void *x)
{
    bool grew = false;
    /* relaxed: only the owner writes bottom and array. */
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed);
    /* acquire: pairs with the release half of the thieves' CAS on top.  A
     * thief read slot t before its CAS moved top past t; acquiring that CAS
     * orders our reuse of the slot (when the ring wraps) after its read, so
     * the thief can never have read the new value (write-after-read). */
    int64_t t = atomic_load_explicit(&d->top, memory_order_acquire);
    ws_array *a = atomic_load_explicit(&d->array, memory_order_relaxed);
    if (b - t > a->cap - 1) {
        a = ws_grow(d, a, t, b);
        grew = true;
    }
    /* relaxed: published by the release store of bottom below. */
    atomic_store_explicit(&a->slot[b & (a->cap - 1)], x, memory_order_relaxed);
    fb_stress_point();
    /* release: a thief that reads the new bottom (acquire) sees the slot and
     * everything the owner wrote before.  Lê et al. write fence(release) +
     * relaxed store; a release store is equivalent for the only readers that
     * need it (acquire loads of bottom) and, unlike a fence, TSan models it. */
    atomic_store_explicit(&d->bottom, b + 1, memory_order_release);
    return grew;
}

/* Owner only: the newest element, or NULL if empty or a thief won the last. */
static inline void *ws_take(ws_deque *d)
{
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed) - 1;
    ws_array *a = atomic_load_explicit(&d->array, memory_order_relaxed);
    /* Reserve slot b before looking at top.  Lê et al. use a relaxed store
     * here and for the restores below and rely on C11 release sequences (a
     * later plain store by the same thread continues the release sequence of
     * the push's store); C++20 narrowed release sequences to RMWs, so every
     * store of bottom is a release store (a plain MOV on x86, STLR on
     * AArch64). */
    atomic_store_explicit(&d->bottom, b, memory_order_release);
    fb_stress_point();
    /* seq_cst fence: pairs with the fence in ws_steal (store bottom; fence;
     * load top here, load top; fence; load bottom there).  In the total order
     * of the two fences, if ours is first the thief sees the reserved bottom
     * and leaves slot b alone; if the thief's is first we see its top, so a
     * contest for the last element is caught below and settled by a CAS.
     * Without it, both sides could read the other's stale index (a
     * store->load reordering that even x86 performs) and take the same one. */
    atomic_thread_fence(memory_order_seq_cst);
    int64_t t = atomic_load_explicit(&d->top, memory_order_relaxed);
    void *x = NULL;
    if (t <= b) {
        /* relaxed: our own slot write (program order). */
        x = atomic_load_explicit(&a->slot[b & (a->cap - 1)], memory_order_relaxed);
        if (t == b) {
            /* The last element: thieves may be going for it too.  seq_cst
             * (as in the paper) so the CAS that decides the contest is in the
             * same total order as the fences.  Failure: relaxed, nothing is
             * read. */
            if (!atomic_compare_exchange_strong_explicit(&d->top, &t, t + 1, memory_order_seq_cst,
                                                         memory_order_relaxed))
                x = NULL; /* a thief got it */
            atomic_store_explicit(&d->bottom, b + 1, memory_order_release);
        }
    } else {
        atomic_store_explicit(&d->bottom, b + 1, memory_order_release); /* was empty */
    }
    return x;
}

/* Any thread but the owner: the oldest element in *out (WS_STEAL_OK), or
 * WS_STEAL_EMPTY, or WS_STEAL_LOST (another thread took it: try again). */
static inline int ws_steal(ws_deque *d, void **out)
{
    /* acquire (as in the paper): pairs with the release half of the CAS that
     * last moved top, so what we read next is no older than what that thread
     * had seen when it validated. */
    int64_t t = atomic_load_explicit(&d->top, memory_order_acquire);
    /* seq_cst fence: the other half of the Dekker pair with ws_take. */
    atomic_thread_fence(memory_order_seq_cst);
    /* acquire: pairs with the owner's release stores of bottom, making the
     * slot, what it points to, and the array it was pushed into visible. */
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_acquire);
    if (t >= b) return WS_STEAL_EMPTY;
    fb_stress_point();
    /* acquire (the paper's consume): a grown array's slots and cap.  Since
     * slot t was pushed before the bottom we acquired, this array holds it. */
    ws_array *a = atomic_load_explicit(&d->array, memory_order_acquire);
    /* relaxed: the value may be stale if we were slow, but then top has moved
     * past t and the CAS below fails, so a stale value is never used. */
    void *x = atomic_load_explicit(&a->slot[t & (a->cap - 1)], memory_order_relaxed);
    /* seq_cst: the linearization point that gives slot t to exactly one
     * thread; its release half is what ws_push's acquire of top pairs with. */
    if (!atomic_compare_exchange_strong_explicit(&d->top, &t, t + 1, memory_order_seq_cst,
                                                 memory_order_relaxed))
        return WS_STEAL_LOST;
    *out = x;
    return WS_STEAL_OK;
}

/* Relaxed: nonzero when the deque looked non-empty (a hint, e.g. for a
 * thread deciding whether to sleep after its own fence). */
static inline bool ws_looks_nonempty(ws_deque *d)
{
    int64_t t = atomic_load_explicit(&d->top, memory_order_relaxed);
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed);
    return b > t;
}

#endif
