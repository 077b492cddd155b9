/* sched/false_sharing: per-thread counters packed into one cache line vs padded to their own.
 *
 * flagbench-sources: ../common/team.c
 *
 * What it shows
 *   Each thread increments only its own counter, yet when the counters sit
 *   in one 64-byte line every store needs that line Modified in the storing
 *   core's cache, so the line ping-pongs between cores as if the data were
 *   shared.  An increment is a relaxed atomic load and store of the thread's
 *   own slot (plain `mov`s or `ldr`/`str`); the atomics only keep the
 *   compiler from folding the loop.  packed, padded and aligned run the same
 *   code at different addresses.
 *   - packed:  uint64_t counters[threads].  Expect it many times slower than
 *              padded once two threads run on different cores (a
 *              read-for-ownership per store, and on x86 memory-ordering
 *              machine clears).
 *   - padded:  each counter followed by 56 bytes of padding, 64-byte aligned:
 *              each line stays in its owner's cache.
 *   - aligned: struct { alignas(64) counter; }: the same layout as padded,
 *              so expect the same time.
 *   - packed_atomic, padded_atomic: each increment a relaxed fetch_add
 *              (`lock add`; `ldadd` with LSE).  A locked RMW is slow even on a
 *              private line, so expect a smaller packed/padded ratio.
 *   - local:   count in a register, store once at the end: the ceiling.
 *   With --threads 1 packed equals padded.  Threads are pinned to distinct
 *   CPUs when there are enough (unpinned threads can take turns on one CPU,
 *   which hides false sharing; common/team.h); with more threads than CPUs
 *   they are unpinned and the effect shrinks.  The timed part includes
 *   waking the threads and waiting for the last.
 * Sizes: n = increments over all threads (split evenly): test 100003, train
 *   1000003, ref 4000000.  The counters are one line (packed) or one line per
 *   thread: L1; what is measured is coherence traffic.
 * Sensitive to: threads and how many cores they really run on; opt (at -O0
 *   `local` keeps its counter in memory, on the stack, still thread-private);
 *   not to march or lto (the loop is a load, an add and a store, or one
 *   locked add).
 * Correctness: every thread's counter must equal its share of n and the
 *   counters must sum to n; the checksum hashes that sum.
 */
#include "harness.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/team.h"

typedef struct {
    _Atomic uint64_t v;
    char pad[64 - sizeof(_Atomic uint64_t)];
} padded_counter;

typedef struct {
    alignas(64) _Atomic uint64_t v;
} aligned_counter;

_Static_assert(sizeof(padded_counter) == 64, "padded_counter is one line");
_Static_assert(sizeof(aligned_counter) == 64, "aligned_counter is one line");

/* ---- hot loops: one slot, owned by the calling thread ----------------------- */
#define SLOT_LOOP(variant)                                                                     \
    FB_HOT void false_sharing_##variant(_Atomic uint64_t *slot, uint64_t iters)                \
    {                                                                                          \
        for (uint64_t i = 0; i < iters; i++) {                                                 \
            uint64_t v = atomic_load_explicit(slot, memory_order_relaxed);                     \
            atomic_store_explicit(slot, v + 1, memory_order_relaxed);                          \
            fb_stress_point();                                                                 \
        }                                                                                      \
    }
SLOT_LOOP(packed)
SLOT_LOOP(padded)
SLOT_LOOP(aligned)

#define RMW_LOOP(variant)                                                                      \
    FB_HOT void false_sharing_##variant(_Atomic uint64_t *slot, uint64_t iters)                \
    {                                                                                          \
        for (uint64_t i = 0; i < iters; i++) {                                                 \
            atomic_fetch_add_explicit(slot, 1, memory_order_relaxed);                          \
            fb_stress_point();                                                                 \
        }                                                                                      \
    }
RMW_LOOP(packed_atomic)
RMW_LOOP(padded_atomic)

FB_HOT void false_sharing_local(_Atomic uint64_t *slot, uint64_t iters)
{
    uint64_t v = 0;
    for (uint64_t i = 0; i < iters; i++) {
        v++;
        __asm__ volatile("" : "+r"(v)); /* keep one add per increment */
        fb_stress_point();
    }
    atomic_store_explicit(slot, v, memory_order_relaxed);
}

/* ---- threads ----------------------------------------------------------------- */
typedef enum { LAYOUT_PACKED, LAYOUT_PADDED, LAYOUT_ALIGNED, LAYOUT_LOCAL } layout;
typedef void (*loop_fn)(_Atomic uint64_t *, uint64_t);

typedef struct {
    uint64_t n;
    int threads;
    team *team;
    layout lay;
    loop_fn loop;
    _Atomic uint64_t *packed;  /* threads counters, contiguous */
    padded_counter *padded;    /* threads lines */
    aligned_counter *aligned;  /* threads lines */
    uint64_t total;
} state;

static uint64_t share(uint64_t n, int tid, int nthreads)
{
    return n / (uint64_t)nthreads + ((uint64_t)tid < n % (uint64_t)nthreads);
}

static _Atomic uint64_t *slot_of(state *st, int tid)
{
    switch (st->lay) {
    case LAYOUT_PACKED: return &st->packed[tid];
    case LAYOUT_PADDED: return &st->padded[tid].v;
    case LAYOUT_ALIGNED: return &st->aligned[tid].v;
    default: return &st->padded[tid].v; /* local publishes into a padded slot */
    }
}

static void work(void *arg, int tid, int nt)
{
    state *st = arg;
    st->loop(slot_of(st, tid), share(st->n, tid, nt));
}

#define RUNNER(variant, lay_value)                                                             \
    static void run_##variant(void *p)                                                         \
    {                                                                                          \
        state *st = p;                                                                         \
        st->lay = lay_value;                                                                   \
        st->loop = false_sharing_##variant;                                                    \
        team_run(st->team, work, st);                                                          \
        uint64_t total = 0;                                                                    \
        for (int t = 0; t < st->threads; t++)                                                  \
            total += atomic_load_explicit(slot_of(st, t), memory_order_relaxed);               \
        st->total = total;                                                                     \
    }
RUNNER(packed, LAYOUT_PACKED)
RUNNER(padded, LAYOUT_PADDED)
RUNNER(aligned, LAYOUT_ALIGNED)
RUNNER(packed_atomic, LAYOUT_PACKED)
RUNNER(padded_atomic, LAYOUT_PADDED)
RUNNER(local, LAYOUT_LOCAL)

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    st->threads = ctx->threads;
    st->packed = fb_calloc((size_t)st->threads, sizeof *st->packed); /* 64-byte aligned start */
    st->padded = fb_calloc((size_t)st->threads, sizeof *st->padded);
    st->aligned = fb_calloc((size_t)st->threads, sizeof *st->aligned);
    st->team = team_create_spread(st->threads);
    return st;
}

static void prepare(void *p, const fb_variant *v)
{
    (void)v;
    state *st = p;
    for (int t = 0; t < st->threads; t++) {
        atomic_store_explicit(&st->packed[t], 0, memory_order_relaxed);
        atomic_store_explicit(&st->padded[t].v, 0, memory_order_relaxed);
        atomic_store_explicit(&st->aligned[t].v, 0, memory_order_relaxed);
    }
    st->total = 0;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    for (int t = 0; t < st->threads; t++) {
        uint64_t got = atomic_load_explicit(slot_of(st, t), memory_order_relaxed);
        uint64_t want = share(st->n, t, st->threads);
        if (got != want) {
            snprintf(why, len, "thread %d counted %llu, expected %llu", t, (unsigned long long)got,
                     (unsigned long long)want);
            return false;
        }
    }
    if (st->total != st->n) {
        snprintf(why, len, "counters sum to %llu, expected %llu", (unsigned long long)st->total,
                 (unsigned long long)st->n);
        return false;
    }
    return true;
}

static uint64_t checksum(void *p) { return fb_hash_u64(((state *)p)->total); }

static void report(void *p, const fb_variant *v, fb_json *out)
{
    (void)v;
    state *st = p;
    fb_json_int(out, "pinned", team_pinned(st->team));
}

static void teardown(void *p)
{
    state *st = p;
    team_destroy(st->team);
    free(st->packed);
    free(st->padded);
    free(st->aligned);
    free(st);
}

static const fb_variant variants[] = {
    {"packed", run_packed, 0, "per-thread counters adjacent in one cache line: it ping-pongs"},
    {"padded", run_padded, 0, "each counter padded to 64 bytes by hand"},
    {"aligned", run_aligned, 0, "each counter in an alignas(64) struct"},
    {"packed_atomic", run_packed_atomic, 0, "adjacent counters, fetch_add (lock add) increments"},
    {"padded_atomic", run_padded_atomic, 0, "padded counters, fetch_add (lock add) increments"},
    {"local", run_local, 0, "count in a register, store once: no memory traffic"},
};

static const fb_kernel kernel = {
    .family = "sched",
    .name = "false_sharing",
    .summary = "per-thread counters: packed in one cache line vs padded vs alignas(64) vs local",
    .unit = "increments",
    .concurrent = true,
    .sizes = {100003, 1000003, 4000000},
    .reps = {1, 5, 5},
    FB_HOOKS(setup, prepare, check, checksum, NULL, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
