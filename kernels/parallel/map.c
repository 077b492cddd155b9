/* parallel/map: an embarrassingly parallel map, out[i] = p(in[i]), coarse tasks.
 *
 * flagbench-sources: lib/pool.c lib/naive.c
 * flagbench-needs: openmp
 *
 * What it shows
 *   The easy case: independent elements, equal cost, a few large pieces.
 *   p is a degree-8 polynomial (Horner, float), a handful of multiply-adds
 *   per 8 bytes moved, so the loop sits between compute- and bandwidth-bound.
 *   Every variant runs the same leaf, map_chunk, on its pieces.
 *   - serial:      map_chunk over the whole range.
 *   - pool:        par_for with ~8 pieces per thread (work stealing): the
 *                  joins are invisible at this grain; expect about omp_static.
 *                  But prepare's untimed memset outlasts the pool's spin
 *                  phase, so each timed call starts with a futex wake-up
 *                  (`parks`), while OpenMP's threads are still spinning: on a
 *                  loaded machine the pool falls behind by the wake-up time.
 *   - omp_static:  `parallel for schedule(static)`, one piece per thread.
 *   - omp_dynamic: `schedule(dynamic, 1)` over the pool's pieces.
 *   - threads:     pthread_create/join per call, one piece per thread,
 *                  thread start-up timed.
 *   The parallel variants approach threads-fold speed-up while the arrays stay
 *   in cache; over DRAM-sized arrays this light map would stop at the memory
 *   bandwidth.  Pool and OpenMP start-up are in setup.  setup fills the
 *   arrays in parallel with the pool (first touch by all the threads);
 *   prepare poisons the output with NaNs so a skipped piece shows.
 * Sizes (elements: one float in, one out): test 10007; train 500009 (4 MB);
 *   ref 2097152 (16 MiB in all).
 * Sensitive to: opt/march/features (the Horner loop vectorizes; FMA with
 *   x86-64-v3 changes both speed and the result's last bits), compiler (and
 *   with it the OpenMP runtime), inline/lto (pool.c's recursion).
 * Correctness: every element against a double-precision evaluation, within
 *   the Horner error bound gamma(2d+1) * sum|a_k||x|^k (u = 2^-24, d = 8),
 *   which covers both fused and unfused evaluation.  The checksum hashes the
 *   output's bits: the same for every variant and thread count (each element
 *   is computed by the same code path), but it may change with FMA.
 */
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/naive.h"
#include "lib/pool.h"
#include "lib/report.h"
#include "lib/runners.h"

#if FB_HAVE_OPENMP
#include <omp.h>
#endif

enum { DEGREE = 8 };
/* Taylor coefficients of exp, highest first: a smooth, bounded p on [-1, 1]. */
static const float coef[DEGREE + 1] = {1.0f / 40320, 1.0f / 5040, 1.0f / 720, 1.0f / 120, 1.0f / 24,
                                       1.0f / 6,     1.0f / 2,    1.0f,       1.0f};

typedef struct {
    size_t n;
    int threads;
    float *in, *out;
    pool *pool;
    par_counters counters;
    uint64_t seed; /* of the inputs, for the parallel fill */
} state;

/* The leaf every variant runs. */
FB_HOT void map_chunk(const float *restrict in, float *restrict out, size_t lo, size_t hi)
{
    for (size_t i = lo; i < hi; i++) {
        float x = in[i], y = coef[0];
        for (int k = 1; k <= DEGREE; k++) y = y * x + coef[k];
        out[i] = y;
    }
}

static size_t coarse_grain(const state *st)
{
    size_t pieces = (size_t)st->threads * 8;
    size_t g = (st->n + pieces - 1) / pieces;
    return g ? g : 1;
}

FB_HOT void map_serial(state *st) { map_chunk(st->in, st->out, 0, st->n); }

static void pool_piece(void *ctx, size_t lo, size_t hi)
{
    state *st = ctx;
    map_chunk(st->in, st->out, lo, hi);
}

FB_HOT void map_pool(state *st) { par_for(st->pool, 0, st->n, coarse_grain(st), pool_piece, st); }

#if FB_HAVE_OPENMP
FB_HOT void map_omp_static(state *st)
{
    int threads = st->threads;
    size_t n = st->n;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int t = 0; t < threads; t++)
        map_chunk(st->in, st->out, (size_t)t * n / (size_t)threads, (size_t)(t + 1) * n / (size_t)threads);
}

FB_HOT void map_omp_dynamic(state *st)
{
    size_t n = st->n, grain = coarse_grain(st);
    long pieces = (long)((n + grain - 1) / grain);
#pragma omp parallel for num_threads(st->threads) schedule(dynamic, 1)
    for (long c = 0; c < pieces; c++) {
        size_t lo = (size_t)c * grain, hi = lo + grain < n ? lo + grain : n;
        map_chunk(st->in, st->out, lo, hi);
    }
}
#endif

static void naive_piece(void *ctx, int t, size_t lo, size_t hi)
{
    (void)t;
    state *st = ctx;
    map_chunk(st->in, st->out, lo, hi);
}

FB_HOT void map_threads(state *st) { naive_threads_for(st->threads, st->n, naive_piece, st); }

PAR_RUNNER(map, serial) PAR_RUNNER(map, pool) PAR_RUNNER(map, threads)
ON_OPENMP(PAR_RUNNER(map, omp_static) PAR_RUNNER(map, omp_dynamic))

/* Input i from a hash of (seed, i), uniform in [-1, 1): any thread can
 * fill any piece, so the fill is parallel (first touch) and deterministic. */
static inline float input_at(uint64_t seed, size_t i)
{
    return (float)(par_input_hash(seed, i) >> 40) * 0x1.0p-23f - 1.0f;
}

static void first_touch(void *p, size_t lo, size_t hi)
{
    state *st = p;
    /* Populating is a first touch by this thread, in one call per array. */
    fb_prefault(st->in + lo, (hi - lo) * sizeof *st->in);
    fb_prefault(st->out + lo, (hi - lo) * sizeof *st->out);
    for (size_t i = lo; i < hi; i++) {
        st->in[i] = input_at(st->seed, i);
        st->out[i] = 0.0f;
    }
}

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    st->threads = ctx->threads;
    st->seed = ctx->seed;
    st->pool = pool_create(ctx->threads);
    /* fb_alloc does not touch the memory; the pool's threads do, first. */
    st->in = fb_alloc(st->n * sizeof *st->in);
    st->out = fb_alloc(st->n * sizeof *st->out);
    par_for(st->pool, 0, st->n, coarse_grain(st), first_touch, st);
    par_setup_done(st->pool, st->threads, &st->counters);
    return st;
}

static void prepare(void *p, const fb_variant *v)
{
    (void)v;
    state *st = p;
    memset(st->out, 0xff, st->n * sizeof *st->out); /* all-ones: a NaN */
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    const double u = 0x1.0p-24, k = 2 * DEGREE + 1, gamma = k * u / (1 - k * u);
    for (size_t i = 0; i < st->n; i++) {
        double x = st->in[i], y = coef[0], mag = fabs((double)coef[0]);
        for (int c = 1; c <= DEGREE; c++) {
            y = y * x + coef[c];
            mag = mag * fabs(x) + fabs((double)coef[c]);
        }
        double got = st->out[i];
        if (!(fabs(got - y) <= gamma * mag)) {
            snprintf(why, len, "out[%zu] = %.9g for x = %.9g, reference %.9g (bound %.3g)", i, got,
                     x, y, gamma * mag);
            return false;
        }
    }
    return true;
}

FB_CHECKSUM(st->out, st->n * sizeof *st->out)

PAR_REPORT_POOL

PAR_TEARDOWN_POOL(free(st->in); free(st->out);)

static const fb_variant variants[] = {
    {"serial", run_serial, 0, "one thread over the whole array"},
    {"pool", run_pool, 0, "work-stealing par_for, ~8 pieces per thread"},
    ON_OPENMP({"omp_static", run_omp_static, 0, "OpenMP schedule(static), one piece per thread"},
              {"omp_dynamic", run_omp_dynamic, 0, "OpenMP schedule(dynamic), ~8 pieces per thread"},)
    {"threads", run_threads, 0, "pthread_create/join per call, one piece per thread"},
};

static const fb_kernel kernel = {
    .family = "parallel",
    .name = "map",
    .summary = "embarrassingly parallel float map (degree-8 polynomial), coarse pieces",
    .unit = "elements",
    .concurrent = true,
    .sizes = {10007, 500009, 2097152},
    .reps = {1, 10, 10},
    FB_HOOKS(setup, prepare, check, checksum, NULL, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
