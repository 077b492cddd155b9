/* sched/false_sharing: per-thread counters packed into one cache line vs padded to their own.
 *
 * flagbench-sources: ../common/team.c
 *
 * What it shows
 *   Each thread increments only its own counter; no counter is shared, yet
 *   when the counters sit in the same 64-byte line every store needs that
 *   line in the storing core's cache in Modified state, so the line
 *   ping-pongs between cores exactly as if the data were shared: false
 *   sharing.  An increment is a relaxed atomic load and store of the
 *   thread's own slot: plain `mov`s (x86) or `ldr`/`str` (aarch64), the way
 *   a single-writer counter is written; the atomics are there only so the
 *   compiler keeps one load and one store per increment instead of folding
 *   the loop into one add.  The hot loop of packed, padded and aligned is the
 *   same code; only the addresses differ.
 *   - packed:  uint64_t counters[threads], contiguous: up to eight threads'
 *              counters share one line.  Expect it to be many times slower
 *              than padded as soon as two threads run on different cores:
 *              each store must win the line back (a read-for-ownership), and
 *              on x86 a load the core already executed speculatively from a
 *              line that another core then writes must be replayed (a
 *              memory-ordering machine clear), which flushes the pipeline.
 *   - padded:  each counter followed by 56 bytes of explicit padding
 *              (struct { counter; char pad[56]; }), array 64-byte aligned:
 *              each line stays in its owner's cache, and the loop runs at
 *              the speed of store-to-load forwarding.
 *   - aligned: struct { alignas(64) counter; }: the compiler pads the struct
 *              to 64 bytes.  Same layout as padded, so expect the same time:
 *              two spellings of one fix.
 *   - packed_atomic, padded_atomic: the two layouts again, but each
 *              increment is a relaxed fetch_add (`lock add` on x86; on
 *              aarch64 `ldadd` with LSE, else an outline-atomic call or an
 *              LL/SC loop).  A locked RMW is slow even on a private line (on
 *              x86 it drains the store buffer and cannot overlap the next
 *              one), so padded_atomic is far slower than padded, and sharing
 *              the line adds proportionally less: expect a smaller ratio
 *              between the two than between packed and padded.
 *   - local:   the real fix: count in a register and store the total once
 *              at the end.  The loop keeps one add per increment (an empty
 *              asm makes the value opaque to the optimizer) but touches no
 *              memory: the ceiling for the others.
 *   With one thread (--threads 1) packed equals padded: nothing to share.
 *   Threads are created in setup and pinned to distinct CPUs when there are
 *   enough (common/team.h: unpinned threads can take turns on one CPU,
 *   which hides false sharing entirely); with more threads than CPUs
 *   they are unpinned and the effect shrinks, since only threads running at
 *   the same moment on different cores fight over the line.  The timed part
 *   includes waking the threads and waiting for the last.
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

static uint64_t checksum(void *p)
{
    state *st = p;
    return fb_hash_bytes(&st->total, sizeof st->total, FB_HASH_INIT);
}

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
    .sizes = {100003, 1000003, 4000000},
    .reps = {1, 5, 5},
    .concurrent = true,
    .setup = setup,
    .prepare = prepare,
    .check = check,
    .checksum = checksum,
    .report = report,
    .teardown = teardown,
    .variants = variants,
    .variant_count = FB_COUNT(variants),
};

FB_KERNEL_MAIN(kernel)
