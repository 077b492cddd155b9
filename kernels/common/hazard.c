/* common/hazard.c: the cold half of the hazard pointers (see hazard.h).
 * It is a separate translation unit, so without LTO the retire path's scan
 * is a real call. */
#include "common/hazard.h"

#include <stdlib.h>

#include "harness.h"

void hp_init(hp_domain *d, int nthreads, void (*reclaim)(void *))
{
    d->nthreads = nthreads;
    d->reclaim = reclaim;
    size_t hazards = (size_t)nthreads * HP_SLOTS;
    d->threshold = hazards * 2 > 64 ? hazards * 2 : 64;
    d->threads = fb_calloc((size_t)nthreads, sizeof *d->threads);
    for (int i = 0; i < nthreads; i++) {
        for (int s = 0; s < HP_SLOTS; s++) atomic_init(&d->threads[i].slot[s], NULL);
        /* A scan leaves at most `hazards` < threshold nodes behind, so the
         * list never holds more than threshold entries. */
        d->threads[i].retired = fb_alloc(d->threshold * sizeof(void *));
        d->threads[i].count = 0;
    }
}

void hp_scan(hp_domain *d, int tid)
{
    hp_thread *me = &d->threads[tid];
    size_t nh = 0, max = (size_t)d->nthreads * HP_SLOTS;
    void *stack_hz[64];
    void **hz = max <= 64 ? stack_hz : malloc(max * sizeof *hz);
    if (!hz) abort();
    /* The fence orders the unlinking CAS of every node in our list before
     * these loads (see the Dekker argument in hazard.h). */
    atomic_thread_fence(memory_order_seq_cst);
    for (int t = 0; t < d->nthreads; t++)
        for (int s = 0; s < HP_SLOTS; s++) {
            void *p = atomic_load_explicit(&d->threads[t].slot[s], memory_order_seq_cst);
            if (p) hz[nh++] = p;
        }
    size_t kept = 0;
    for (size_t i = 0; i < me->count; i++) {
        void *node = me->retired[i];
        bool hazardous = false;
        for (size_t h = 0; h < nh && !hazardous; h++) hazardous = hz[h] == node;
        if (hazardous) me->retired[kept++] = node;
        else d->reclaim(node);
    }
    me->count = kept;
    if (hz != stack_hz) free(hz);
}

void hp_quiesce(hp_domain *d)
{
    for (int t = 0; t < d->nthreads; t++) {
        hp_thread *th = &d->threads[t];
        for (size_t i = 0; i < th->count; i++) d->reclaim(th->retired[i]);
        th->count = 0;
    }
}

void hp_destroy(hp_domain *d)
{
    hp_quiesce(d);
    for (int t = 0; t < d->nthreads; t++) free(d->threads[t].retired);
    free(d->threads);
}
