/* parallel/map_reduce: sum of f(x[i]) over an array, split coarse and fine.
 *
 * flagbench-sources: lib/pool.c lib/naive.c
 * flagbench-needs: openmp
 *
 * What it shows
 *   The foundation of the family: a parallel map + reduce, where the only
 *   question is how to cut the range.  f is four rounds of a 64-bit
 *   multiply-xorshift mix (a few ns per element, compute-bound), summed with
 *   wrapping uint64 additions.  Every variant runs the same leaf loop,
 *   map_reduce_chunk, over pieces of the range, so the variants differ only
 *   in how the pieces are made and handed out.
 *   - serial:     one map_reduce_chunk over everything: the baseline.
 *   - pool_coarse: work-stealing par_reduce, about 8 pieces per thread:
 *                 enough to even out a late thread while a join's cost stays
 *                 far below a piece's work.  Expect close to threads-fold
 *                 speed-up on idle cores.
 *   - pool_fine:  the same with 8-element pieces: each piece then does about
 *                 as much work as one join costs (two seq_cst fences, indirect
 *                 calls, the combine).  Expect it clearly slower than
 *                 pool_coarse, possibly no faster than serial.
 *   - omp_static: `parallel for schedule(static)`, one piece per thread: the
 *                 least overhead possible for this balanced loop.
 *   - omp_dynamic_coarse / omp_dynamic_fine: `schedule(dynamic, 1)` over the
 *                 same pieces, from one shared counter whose line bounces:
 *                 expect omp_dynamic_fine to lose more than pool_fine.
 *   - threads:    pthread_create/join per piece, per call: thread start-up is
 *                 timed on purpose (small at ref, dominant at test).
 *   The pool and the OpenMP threads start in setup.  Compare variants one per
 *   process (--variant, as the sweep does): idle OpenMP threads keep spinning
 *   after a region and take cores from the next variant.  setup fills the
 *   input with the pool in parallel, so its pages are first touched by all
 *   the threads.
 * Sizes (elements of 8 bytes): test 10007 (an odd tail), train 300007,
 *   ref 1048576 (8 MiB).  Compute-bound at every size.
 * Sensitive to: opt/march/features (the leaf vectorizes; 64-bit multiplies
 *   need AVX-512DQ vpmullq to be cheap in vectors, so x86-64-v4 vs v3 shows),
 *   compiler (libgomp with gcc vs libomp with clang: different dynamic
 *   scheduling and barrier costs), inline/lto (how much of pool.c's join
 *   path is inlined into its recursion; map_reduce_chunk itself is noinline).
 * Correctness: every variant's sum is compared exactly with a plain serial
 *   loop over f (wrapping integer addition is associative, so any split and
 *   any combining order give the same bits, and the checksum is the same for
 *   every variant, thread count and build).
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "lib/naive.h"
#include "lib/pool.h"
#include "lib/report.h"
#include "lib/runners.h"

#if FB_HAVE_OPENMP
#include <omp.h>
#endif

enum { FINE_GRAIN = 8, ROUNDS = 4 };

typedef struct {
    size_t n;
    int threads;
    uint64_t seed;
    uint64_t *x;
    uint64_t sum;
    uint64_t reference;
    bool have_reference;
    pool *pool;
    par_counters counters;
    uint64_t partial[]; /* threads: one per naive thread (own cache line each) */
} state;

static inline uint64_t f(uint64_t x)
{
    for (int r = 0; r < ROUNDS; r++) FB_XMX64(x, 31, 0x7fb5d329728ea185ull, 27, 0x81dadef4bc2dd44dull, 33);
    return x;
}

/* The leaf every variant runs. */
FB_HOT uint64_t map_reduce_chunk(const uint64_t *x, size_t lo, size_t hi)
{
    uint64_t s = 0;
    for (size_t i = lo; i < hi; i++) s += f(x[i]);
    return s;
}

static size_t coarse_grain(const state *st)
{
    size_t pieces = (size_t)st->threads * 8;
    size_t g = (st->n + pieces - 1) / pieces;
    return g ? g : 1;
}

FB_HOT uint64_t map_reduce_serial(const uint64_t *x, size_t n) { return map_reduce_chunk(x, 0, n); }

static void pool_leaf(void *ctx, size_t lo, size_t hi, void *acc)
{
    *(uint64_t *)acc = map_reduce_chunk(ctx, lo, hi);
}

static void pool_combine(void *ctx, void *acc, const void *rhs)
{
    (void)ctx;
    *(uint64_t *)acc += *(const uint64_t *)rhs;
}

FB_HOT uint64_t map_reduce_pool_coarse(pool *p, const uint64_t *x, size_t n, size_t grain)
{
    uint64_t s;
    par_reduce(p, 0, n, grain, sizeof s, pool_leaf, pool_combine, (void *)x, &s);
    return s;
}

FB_HOT uint64_t map_reduce_pool_fine(pool *p, const uint64_t *x, size_t n)
{
    uint64_t s;
    par_reduce(p, 0, n, FINE_GRAIN, sizeof s, pool_leaf, pool_combine, (void *)x, &s);
    return s;
}

#if FB_HAVE_OPENMP
FB_HOT uint64_t map_reduce_omp_static(const uint64_t *x, size_t n, int threads)
{
    uint64_t s = 0;
#pragma omp parallel for num_threads(threads) schedule(static) reduction(+ : s)
    for (int t = 0; t < threads; t++)
        s += map_reduce_chunk(x, (size_t)t * n / (size_t)threads, (size_t)(t + 1) * n / (size_t)threads);
    return s;
}

static uint64_t omp_dynamic(const uint64_t *x, size_t n, size_t grain, int threads)
{
    uint64_t s = 0;
    long pieces = (long)((n + grain - 1) / grain);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) reduction(+ : s)
    for (long c = 0; c < pieces; c++) {
        size_t lo = (size_t)c * grain, hi = lo + grain < n ? lo + grain : n;
        s += map_reduce_chunk(x, lo, hi);
    }
    return s;
}

FB_HOT uint64_t map_reduce_omp_dynamic_coarse(const uint64_t *x, size_t n, size_t grain, int threads)
{
    return omp_dynamic(x, n, grain, threads);
}

FB_HOT uint64_t map_reduce_omp_dynamic_fine(const uint64_t *x, size_t n, int threads)
{
    return omp_dynamic(x, n, FINE_GRAIN, threads);
}
#endif

static void naive_leaf(void *ctx, int t, size_t lo, size_t hi)
{
    state *st = ctx;
    st->partial[(size_t)t * 8] = map_reduce_chunk(st->x, lo, hi);
}

FB_HOT uint64_t map_reduce_threads(state *st)
{
    naive_threads_for(st->threads, st->n, naive_leaf, st);
    uint64_t s = 0;
    for (int t = 0; t < st->threads; t++) s += st->partial[(size_t)t * 8];
    return s;
}

static void run_serial(void *p)
{
    state *st = p;
    st->counters.calls++;
    st->sum = map_reduce_serial(st->x, st->n);
}
static void run_pool_coarse(void *p)
{
    state *st = p;
    st->counters.calls++;
    st->sum = map_reduce_pool_coarse(st->pool, st->x, st->n, coarse_grain(st));
}
static void run_pool_fine(void *p)
{
    state *st = p;
    st->counters.calls++;
    st->sum = map_reduce_pool_fine(st->pool, st->x, st->n);
}
#if FB_HAVE_OPENMP
static void run_omp_static(void *p)
{
    state *st = p;
    st->counters.calls++;
    st->sum = map_reduce_omp_static(st->x, st->n, st->threads);
}
static void run_omp_dynamic_coarse(void *p)
{
    state *st = p;
    st->counters.calls++;
    st->sum = map_reduce_omp_dynamic_coarse(st->x, st->n, coarse_grain(st), st->threads);
}
static void run_omp_dynamic_fine(void *p)
{
    state *st = p;
    st->counters.calls++;
    st->sum = map_reduce_omp_dynamic_fine(st->x, st->n, st->threads);
}
#endif
static void run_threads(void *p)
{
    state *st = p;
    st->counters.calls++;
    st->sum = map_reduce_threads(st);
}

/* Input i is a hash of (seed, i): any thread can fill any piece, so the
 * fill can be parallel (first touch) and stays deterministic. */
static void fill_piece(void *p, size_t lo, size_t hi)
{
    state *st = p;
    for (size_t i = lo; i < hi; i++) st->x[i] = par_input_hash(st->seed, i);
}

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st + (size_t)ctx->threads * 8 * sizeof(uint64_t));
    st->n = ctx->n;
    st->threads = ctx->threads;
    st->seed = ctx->seed;
    st->pool = pool_create(ctx->threads);
    st->x = fb_alloc(st->n * sizeof *st->x); /* untouched: the pool touches it first */
    par_for(st->pool, 0, st->n, coarse_grain(st), fill_piece, st);
    par_setup_done(st->pool, st->threads, &st->counters);
    return st;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    if (!st->have_reference) {
        uint64_t s = 0;
        /* From the seed, not from x: the parallel fill is checked too. */
        for (size_t i = 0; i < st->n; i++) s += f(par_input_hash(st->seed, i));
        st->reference = s;
        st->have_reference = true;
    }
    return fb_check_u64("sum", st->sum, st->reference, why, len);
}

static uint64_t checksum(void *p) { return fb_hash_u64(((state *)p)->sum); }

static void report(void *p, const fb_variant *v, fb_json *out)
{
    state *st = p;
    par_report(out, v, st->pool, &st->counters);
    if (!strcmp(v->name, "pool_coarse") || !strcmp(v->name, "omp_dynamic_coarse"))
        fb_json_int(out, "grain", (long long)coarse_grain(st));
    else if (strstr(v->name, "fine"))
        fb_json_int(out, "grain", FINE_GRAIN);
}

static void teardown(void *p)
{
    state *st = p;
    pool_destroy(st->pool);
    free(st->x);
    free(st);
}

static const fb_variant variants[] = {
    {"serial", run_serial, 0, "one thread, the whole range in one leaf call"},
    {"pool_coarse", run_pool_coarse, 0, "work-stealing par_reduce, ~8 pieces per thread"},
    {"pool_fine", run_pool_fine, 0, "work-stealing par_reduce, 8-element pieces: overhead-bound"},
    ON_OPENMP({"omp_static", run_omp_static, 0, "OpenMP schedule(static), one piece per thread"},
              {"omp_dynamic_coarse", run_omp_dynamic_coarse, 0, "OpenMP schedule(dynamic), ~8 pieces per thread"},
              {"omp_dynamic_fine", run_omp_dynamic_fine, 0,
               "OpenMP schedule(dynamic), 8-element pieces: shared counter"},)
    {"threads", run_threads, 0, "pthread_create/join per call, one piece per thread"},
};

static const fb_kernel kernel = {
    .family = "parallel",
    .name = "map_reduce",
    .summary = "parallel map+reduce (sum of a hash) at coarse and fine task sizes",
    .unit = "elements",
    .concurrent = true,
    .sizes = {10007, 300007, 1048576},
    .reps = {1, 10, 10},
    FB_HOOKS(setup, NULL, check, checksum, NULL, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
