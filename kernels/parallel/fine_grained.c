/* parallel/fine_grained: a loop too small to parallelize (serial wins).
 *
 * flagbench-sources: lib/pool.c lib/naive.c
 * flagbench-needs: openmp
 *
 * What it shows
 *   y[i] = a * x[i] + y0[i] over about a thousand floats: the whole loop takes
 *   about what it costs to get a second thread started on anything, so every
 *   parallel variant should be slower than serial, ranked by fixed overhead.
 *   With T threads a call costs about overhead + serial/T; try --size to find
 *   the break-even on a given machine.  Every variant runs the same leaf,
 *   fine_grained_chunk.
 *   - serial:      one leaf call: the winner.
 *   - pool:        par_for with ~8 pieces per thread.  Work-first, so a
 *                  spinning worker rarely catches a piece of a call this
 *                  short (see `steals`): it costs serial plus the joins (two
 *                  seq_cst fences each), behind serial but not by much.
 *   - omp_static:  a fork and join barrier of a started team: some hundreds
 *                  of ns even when warm (parallel/latency), more than the
 *                  whole serial loop at ref.
 *   - omp_dynamic: `schedule(dynamic, 1)`: plus a shared counter per piece.
 *   - threads:     pthread_create/join per call (timed on purpose): orders of
 *                  magnitude behind.
 *   Pool and OpenMP start-up happen in setup.
 * Sizes (elements; three float arrays): test 1003; train 2001; ref 1024
 *   (12 KiB: L1).  Small on purpose: at a few thousand elements two threads
 *   already beat an unvectorized serial loop.
 * Sensitive to: opt/march (the serial loop vectorizes: wider vectors make
 *   serial even faster and the parallel overheads relatively larger),
 *   compiler (the OpenMP runtime's fork/barrier cost: libgomp vs libomp),
 *   lto/inline (the pool's join path).
 * Correctness: every element against a double-precision a*x+y0, within two
 *   float roundings: 2u(|a x| + |y0|), u = 2^-24 (covers FMA contraction
 *   and separate multiply and add).  prepare (untimed) poisons y with NaNs
 *   so a skipped piece shows.  The checksum hashes y's bits: the same for
 *   every variant, and it may change with FMA contraction.
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

typedef struct {
    size_t n;
    int threads;
    float a;
    float *x, *y0, *y;
    pool *pool;
    par_counters counters;
} state;

/* The leaf every variant runs. */
FB_HOT void fine_grained_chunk(float a, const float *restrict x, const float *restrict y0,
                               float *restrict y, size_t lo, size_t hi)
{
    for (size_t i = lo; i < hi; i++) y[i] = a * x[i] + y0[i];
}

static size_t coarse_grain(const state *st)
{
    size_t pieces = (size_t)st->threads * 8;
    size_t g = (st->n + pieces - 1) / pieces;
    return g ? g : 1;
}

FB_HOT void fine_grained_serial(state *st) { fine_grained_chunk(st->a, st->x, st->y0, st->y, 0, st->n); }

static void pool_piece(void *ctx, size_t lo, size_t hi)
{
    state *st = ctx;
    fine_grained_chunk(st->a, st->x, st->y0, st->y, lo, hi);
}

FB_HOT void fine_grained_pool(state *st) { par_for(st->pool, 0, st->n, coarse_grain(st), pool_piece, st); }

#if FB_HAVE_OPENMP
FB_HOT void fine_grained_omp_static(state *st)
{
    int threads = st->threads;
    size_t n = st->n;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int t = 0; t < threads; t++)
        fine_grained_chunk(st->a, st->x, st->y0, st->y, (size_t)t * n / (size_t)threads,
                           (size_t)(t + 1) * n / (size_t)threads);
}

FB_HOT void fine_grained_omp_dynamic(state *st)
{
    size_t n = st->n, grain = coarse_grain(st);
    long pieces = (long)((n + grain - 1) / grain);
#pragma omp parallel for num_threads(st->threads) schedule(dynamic, 1)
    for (long c = 0; c < pieces; c++) {
        size_t lo = (size_t)c * grain, hi = lo + grain < n ? lo + grain : n;
        fine_grained_chunk(st->a, st->x, st->y0, st->y, lo, hi);
    }
}
#endif

static void naive_piece(void *ctx, int t, size_t lo, size_t hi)
{
    (void)t;
    state *st = ctx;
    fine_grained_chunk(st->a, st->x, st->y0, st->y, lo, hi);
}

FB_HOT void fine_grained_threads(state *st) { naive_threads_for(st->threads, st->n, naive_piece, st); }

PAR_RUNNER(fine_grained, serial) PAR_RUNNER(fine_grained, pool) PAR_RUNNER(fine_grained, threads)
ON_OPENMP(PAR_RUNNER(fine_grained, omp_static) PAR_RUNNER(fine_grained, omp_dynamic))

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    st->threads = ctx->threads;
    st->x = fb_alloc(st->n * sizeof *st->x);
    st->y0 = fb_alloc(st->n * sizeof *st->y0);
    st->y = fb_calloc(st->n, sizeof *st->y);
    fb_rng rng = fb_rng_seeded(ctx->seed);
    st->a = fb_rng_float(&rng, 0.5f, 2.0f);
    for (size_t i = 0; i < st->n; i++) {
        st->x[i] = fb_rng_float(&rng, -1.0f, 1.0f);
        st->y0[i] = fb_rng_float(&rng, -1.0f, 1.0f);
    }
    st->pool = pool_create(ctx->threads);
    par_setup_done(st->pool, st->threads, &st->counters);
    return st;
}

static void prepare(void *p, const fb_variant *v)
{
    (void)v;
    state *st = p;
    memset(st->y, 0xff, st->n * sizeof *st->y); /* NaN */
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    const double u = 0x1.0p-24;
    for (size_t i = 0; i < st->n; i++) {
        double ax = (double)st->a * st->x[i], want = ax + st->y0[i];
        double bound = 2 * u * (fabs(ax) + fabs((double)st->y0[i]));
        if (!(fabs((double)st->y[i] - want) <= bound)) {
            snprintf(why, len, "y[%zu] = %.9g, reference %.9g (bound %.3g)", i, (double)st->y[i],
                     want, bound);
            return false;
        }
    }
    return true;
}

FB_CHECKSUM(st->y, st->n * sizeof *st->y)

PAR_REPORT_POOL

PAR_TEARDOWN_POOL(free(st->x); free(st->y0); free(st->y);)

static const fb_variant variants[] = {
    {"serial", run_serial, 0, "one thread: wins, the loop is shorter than any hand-off"},
    {"pool", run_pool, 0, "work-stealing par_for, ~8 pieces per thread: overhead-bound"},
    ON_OPENMP({"omp_static", run_omp_static, 0, "OpenMP schedule(static): fork + barrier of a warm team"},
              {"omp_dynamic", run_omp_dynamic, 0, "OpenMP schedule(dynamic): barrier + shared counter"},)
    {"threads", run_threads, 0, "pthread_create/join per call: thread start-up dominates"},
};

static const fb_kernel kernel = {
    .family = "parallel",
    .name = "fine_grained",
    .summary = "saxpy over a few thousand floats: parallel overhead exceeds the work",
    .unit = "elements",
    .concurrent = true,
    .sizes = {1003, 2001, 1024},
    .reps = {1, 1000, 3000},
    FB_HOOKS(setup, prepare, check, checksum, NULL, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
