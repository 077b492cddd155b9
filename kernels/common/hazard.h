/* common/hazard.h: hazard pointers (Maged Michael, 2004), the safe memory
 * reclamation of the Michael-Scott queue (queues/lib/msq.h).
 *
 * A thread that is about to dereference a shared node first publishes its
 * address in one of its hazard slots, then re-reads the pointer it got the
 * node from; if that is unchanged, the node was still reachable after the
 * hazard became visible, so no reclaimer can free it until the slot is
 * cleared.  A node removed from the structure is retired into the remover's
 * private list; when the list reaches a threshold (twice the number of hazard
 * slots, so at least half of it is freed each time and a scan costs O(1) per
 * retired node), hp_scan() frees every retired node no slot points to.
 *
 * Orderings: the slot store and the re-read are seq_cst, and so is the CAS
 * that unlinks a node; the scan loads the slots after a seq_cst fence.  That
 * is the store-buffering (Dekker) pattern: either the scan sees the hazard,
 * or the protecting thread's re-read sees the unlink and retries.  Clearing a
 * slot is a release store and the scan's loads are acquire (seq_cst), so
 * every access to a node happens-before the free that the scan decides; this
 * is also what keeps ThreadSanitizer (which does not model fences) quiet.
 */
#ifndef FB_COMMON_HAZARD_H
#define FB_COMMON_HAZARD_H

#include <stdatomic.h>
#include <stddef.h>

enum { HP_SLOTS = 2 };

typedef struct hp_thread {
    _Alignas(64) _Atomic(void *) slot[HP_SLOTS]; /* written by the owner, read by scans */
    _Alignas(64) void **retired;                 /* owner-private from here on */
    size_t count;
} hp_thread;

typedef struct hp_domain {
    hp_thread *threads;
    int nthreads;
    size_t threshold;
    void (*reclaim)(void *); /* frees one retired node */
} hp_domain;

void hp_init(hp_domain *d, int nthreads, void (*reclaim)(void *));
/* Frees what the retired lists still hold; only while no thread operates. */
void hp_quiesce(hp_domain *d);
void hp_destroy(hp_domain *d);
/* Frees every node in thread tid's retired list that no slot protects. */
void hp_scan(hp_domain *d, int tid);

static inline _Atomic(void *) *hp_slot(hp_domain *d, int tid, int i) { return &d->threads[tid].slot[i]; }

static inline void hp_set(hp_domain *d, int tid, int i, void *p)
{
    atomic_store_explicit(hp_slot(d, tid, i), p, memory_order_seq_cst);
}

static inline void hp_clear(hp_domain *d, int tid, int i)
{
    atomic_store_explicit(hp_slot(d, tid, i), NULL, memory_order_release);
}

static inline void hp_retire(hp_domain *d, int tid, void *node)
{
    hp_thread *t = &d->threads[tid];
    t->retired[t->count++] = node;
    if (t->count == d->threshold) hp_scan(d, tid);
}

#endif
