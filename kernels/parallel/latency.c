/* parallel/latency: the cost of one small parallel call (fork + join of a trivial loop).
 *
 * flagbench-sources: lib/pool.c lib/naive.c
 * flagbench-needs: openmp
 *
 * What it shows
 *   One item here is one call of a parallel loop over 8 items whose body is
 *   a single increment, so ns_per_item is the round-trip latency of a
 *   parallel call: splitting, handing work to other threads, and waiting for
 *   them.  Each repetition makes n calls back to back.
 *   - serial:      the 8 increments in a plain loop: the floor (a few ns).
 *   - pool:        par_for over 8 items, grain 1: 7 joins.  The pool is
 *                  work-first: the caller pushes each right half and goes on
 *                  with the left at once, so when no worker steals in time it
 *                  runs all 8 itself (tens of ns a join); a steal costs a
 *                  cross-core round trip.  Expect it well below OpenMP; the
 *                  JSON field steals shows how often a worker took part.
 *   - omp_static:  `parallel for schedule(static)`: a fork and a join barrier
 *                  of a started team; every thread must check in on every
 *                  call, at least one cross-core round trip.  libgomp (gcc)
 *                  and libomp (clang) differ.
 *   - omp_dynamic: the same with `schedule(dynamic, 1)`: plus a shared
 *                  counter per item.
 *   - threads:     pthread_create/join per piece per call: tens of µs, the
 *                  price of not keeping threads around (timed on purpose).
 *   Pool and OpenMP start-up happen in setup.  Run the variants one per
 *   process (--variant, as the sweep does): idle OpenMP threads keep spinning
 *   after the omp variants.
 * Sizes (calls per repetition): test 13; train 50; ref 100.  The data is
 *   one line of 8 counters: latency is coherence traffic and scheduling.
 * Sensitive to: compiler (libgomp vs libomp), the machine (core-to-core
 *   latency, SMT, virtualization: the median matters more than the minimum),
 *   --threads; opt, march and lto should hardly move it.
 * Correctness: every call increments each of the 8 counters once, so after a
 *   repetition of n calls each counter must be exactly n (prepare zeroes
 *   them): a lost or duplicated item shows.  Integer and exact, so the
 *   checksum is the same everywhere.
 */
#include "harness.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "lib/naive.h"
#include "lib/pool.h"
#include "lib/report.h"
#include "lib/runners.h"

#if FB_HAVE_OPENMP
#include <omp.h>
#endif

enum { ITEMS = 8 };

typedef struct {
    size_t calls;
    int threads;
    int naive_threads; /* threads for the naive variant: no more than ITEMS */
    alignas(64) uint64_t count[ITEMS];
    pool *pool;
    par_counters counters;
} state;

static void body(void *ctx, size_t lo, size_t hi)
{
    state *st = ctx;
    for (size_t i = lo; i < hi; i++) st->count[i]++;
}

FB_HOT void latency_serial(state *st)
{
    for (size_t c = 0; c < st->calls; c++) {
        for (size_t i = 0; i < ITEMS; i++) st->count[i]++;
        fb_clobber(); /* one call per iteration: no merging of the calls */
    }
}

FB_HOT void latency_pool(state *st)
{
    for (size_t c = 0; c < st->calls; c++) par_for(st->pool, 0, ITEMS, 1, body, st);
}

#if FB_HAVE_OPENMP
FB_HOT void latency_omp_static(state *st)
{
    for (size_t c = 0; c < st->calls; c++) {
#pragma omp parallel for num_threads(st->threads) schedule(static)
        for (int i = 0; i < ITEMS; i++) st->count[i]++;
    }
}

FB_HOT void latency_omp_dynamic(state *st)
{
    for (size_t c = 0; c < st->calls; c++) {
#pragma omp parallel for num_threads(st->threads) schedule(dynamic, 1)
        for (int i = 0; i < ITEMS; i++) st->count[i]++;
    }
}
#endif

static void naive_piece(void *ctx, int t, size_t lo, size_t hi)
{
    (void)t;
    body(ctx, lo, hi);
}

FB_HOT void latency_threads(state *st)
{
    for (size_t c = 0; c < st->calls; c++) naive_threads_for(st->naive_threads, ITEMS, naive_piece, st);
}

PAR_RUNNER(latency, serial) PAR_RUNNER(latency, pool) PAR_RUNNER(latency, threads)
ON_OPENMP(PAR_RUNNER(latency, omp_static) PAR_RUNNER(latency, omp_dynamic))

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->calls = ctx->n;
    st->threads = ctx->threads;
    st->naive_threads = ctx->threads < ITEMS ? ctx->threads : ITEMS;
    st->pool = pool_create(ctx->threads);
    par_setup_done(st->pool, st->threads, &st->counters);
    return st; /* no input: the seed plays no part */
}

static void prepare(void *p, const fb_variant *v)
{
    (void)v;
    state *st = p;
    memset(st->count, 0, sizeof st->count);
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    for (size_t i = 0; i < ITEMS; i++) {
        if (st->count[i] != st->calls) {
            snprintf(why, len, "item %zu was run %llu times in %zu calls", i,
                     (unsigned long long)st->count[i], st->calls);
            return false;
        }
    }
    return true;
}

FB_CHECKSUM(st->count, sizeof st->count)

PAR_REPORT_POOL

PAR_TEARDOWN_POOL()

static const fb_variant variants[] = {
    {"serial", run_serial, 0, "the 8 increments inline: the floor"},
    {"pool", run_pool, 0, "work-stealing par_for over 8 items, grain 1, warm workers"},
    ON_OPENMP({"omp_static", run_omp_static, 0, "OpenMP parallel for, schedule(static), warm team"},
              {"omp_dynamic", run_omp_dynamic, 0, "OpenMP parallel for, schedule(dynamic,1), warm team"},)
    {"threads", run_threads, 0, "pthread_create/join of every thread on every call"},
};

static const fb_kernel kernel = {
    .family = "parallel",
    .name = "latency",
    .summary = "round-trip time of one tiny parallel call: pool vs OpenMP vs thread-per-call",
    .unit = "calls",
    .concurrent = true,
    .sizes = {13, 50, 100},
    .reps = {1, 20, 20},
    FB_HOOKS(setup, prepare, check, checksum, NULL, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
