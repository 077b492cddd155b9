/* parallel/mandelbrot: an imbalanced loop over image rows; static vs dynamic vs stealing.
 *
 * flagbench-sources: lib/pool.c lib/naive.c
 * flagbench-needs: openmp
 *
 * What it shows
 *   Rows of the Mandelbrot set cost very different amounts: a row through the
 *   set's body runs every pixel to the iteration cap, a row outside it
 *   escapes within a few iterations.  The view, x in [-2, 0.6] and y in
 *   [-0.1, 1.5], is deliberately lopsided: the costly rows are in the first
 *   half, and the top rows are almost free.  Counting iterations at the ref
 *   size, the heaviest of T equal contiguous blocks of rows carries 1.92x
 *   the mean block's work for T = 2 (2.35x for T = 3, 2.67x for T = 5;
 *   the JSON line reports it as static_imbalance for the --threads given),
 *   so a contiguous static split can reach at best 2/1.92 = 1.04x on two
 *   threads.  Every variant runs the same row function, mandelbrot_row.
 *   - serial:      all rows in order.
 *   - pool:        par_for with one-row pieces: idle threads steal the
 *                  largest remaining halves, so the load balances itself;
 *                  expect close to threads-fold speed-up on idle cores.
 *   - omp_static:  `schedule(static)`: contiguous blocks, imbalanced as
 *                  above: barely faster than serial on 2 threads.
 *   - omp_cyclic:  `schedule(static, 1)`: rows dealt round-robin, the cheap
 *                  fix (it fails when cost has a period matching T).
 *   - omp_dynamic: `schedule(dynamic, 1)`: a shared counter hands out rows.
 *                  Expect it level with pool.
 *   - threads:     pthread_create/join per call, contiguous blocks: the
 *                  imbalance of omp_static plus thread start-up (timed).
 *   Pool and OpenMP start-up happen in setup.
 * Sizes (rows; the image is n x 13n/8 pixels, at most 512 iterations a
 *   pixel): test 37 rows; train 110; ref 150 (243 wide).  The loop is pure
 *   floating-point latency; memory plays no part.
 * Sensitive to: opt/march/features (FMA contraction changes the chain's
 *   latency and the iteration counts near the boundary; the pixel loop may
 *   vectorize only with masking tricks compilers rarely apply), compiler
 *   (and the OpenMP runtime with it).
 * Correctness: every row must have been computed exactly once in the last
 *   repetition (a per-row counter, reset by prepare) and the image must
 *   equal, pixel for pixel, a serial pass of the same row function.  The
 *   checksum (the image's bits) is the same for every variant and thread
 *   count, and may change with FMA contraction.
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

enum { MAX_ITER = 512 };
static const double X0 = -2.0, X1 = 0.6, Y0 = -0.1, Y1 = 1.5;

typedef struct {
    size_t rows, width;
    int threads;
    uint16_t *img;
    uint32_t *done; /* per row: times computed in the current repetition */
    uint16_t *reference;
    pool *pool;
    par_counters counters;
} state;

/* One row: iteration counts until |z| > 2, capped at MAX_ITER. */
FB_HOT void mandelbrot_row(state *st, size_t y)
{
    const double ci = Y0 + (Y1 - Y0) * ((double)y + 0.5) / (double)st->rows;
    const double dx = (X1 - X0) / (double)st->width;
    uint16_t *out = st->img + y * st->width;
    for (size_t x = 0; x < st->width; x++) {
        const double cr = X0 + dx * ((double)x + 0.5);
        double zr = 0, zi = 0, zr2 = 0, zi2 = 0;
        int k = 0;
        while (k < MAX_ITER && zr2 + zi2 <= 4.0) {
            zi = 2 * zr * zi + ci;
            zr = zr2 - zi2 + cr;
            zr2 = zr * zr;
            zi2 = zi * zi;
            k++;
        }
        out[x] = (uint16_t)k;
    }
    st->done[y]++; /* rows are disjoint: no two threads touch the same counter */
}

static void rows_serial(state *st, size_t lo, size_t hi)
{
    for (size_t y = lo; y < hi; y++) mandelbrot_row(st, y);
}

FB_HOT void mandelbrot_serial(state *st) { rows_serial(st, 0, st->rows); }

static void pool_rows(void *ctx, size_t lo, size_t hi) { rows_serial(ctx, lo, hi); }

FB_HOT void mandelbrot_pool(state *st) { par_for(st->pool, 0, st->rows, 1, pool_rows, st); }

#if FB_HAVE_OPENMP
FB_HOT void mandelbrot_omp_static(state *st)
{
    long rows = (long)st->rows;
#pragma omp parallel for num_threads(st->threads) schedule(static)
    for (long y = 0; y < rows; y++) mandelbrot_row(st, (size_t)y);
}

FB_HOT void mandelbrot_omp_cyclic(state *st)
{
    long rows = (long)st->rows;
#pragma omp parallel for num_threads(st->threads) schedule(static, 1)
    for (long y = 0; y < rows; y++) mandelbrot_row(st, (size_t)y);
}

FB_HOT void mandelbrot_omp_dynamic(state *st)
{
    long rows = (long)st->rows;
#pragma omp parallel for num_threads(st->threads) schedule(dynamic, 1)
    for (long y = 0; y < rows; y++) mandelbrot_row(st, (size_t)y);
}
#endif

static void naive_rows(void *ctx, int t, size_t lo, size_t hi)
{
    (void)t;
    rows_serial(ctx, lo, hi);
}

FB_HOT void mandelbrot_threads(state *st) { naive_threads_for(st->threads, st->rows, naive_rows, st); }

PAR_RUNNER(mandelbrot, serial) PAR_RUNNER(mandelbrot, pool) PAR_RUNNER(mandelbrot, threads)
ON_OPENMP(PAR_RUNNER(mandelbrot, omp_static) PAR_RUNNER(mandelbrot, omp_cyclic)
          PAR_RUNNER(mandelbrot, omp_dynamic))

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->rows = ctx->n;
    st->width = ctx->n * 13 / 8 ? ctx->n * 13 / 8 : 1;
    st->threads = ctx->threads;
    st->img = fb_calloc(st->rows * st->width, sizeof *st->img);
    st->done = fb_calloc(st->rows, sizeof *st->done);
    st->pool = pool_create(ctx->threads);
    par_setup_done(st->pool, st->threads, &st->counters);
    return st; /* the image has no input: the seed plays no part */
}

static void prepare(void *p, const fb_variant *v)
{
    (void)v;
    state *st = p;
    memset(st->done, 0, st->rows * sizeof *st->done);
    memset(st->img, 0xff, st->rows * st->width * sizeof *st->img);
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    for (size_t y = 0; y < st->rows; y++) {
        if (st->done[y] != 1) {
            snprintf(why, len, "row %zu computed %u times in one repetition", y, st->done[y]);
            return false;
        }
    }
    size_t pixels = st->rows * st->width;
    if (!st->reference) {
        /* A serial pass of the same row function, into a side buffer. */
        uint16_t *img = st->img;
        st->reference = fb_alloc(pixels * sizeof *st->reference);
        st->img = st->reference;
        for (size_t y = 0; y < st->rows; y++) mandelbrot_row(st, y);
        st->img = img;
        for (size_t y = 0; y < st->rows; y++) st->done[y]--;
    }
    for (size_t i = 0; i < pixels; i++) {
        if (st->img[i] != st->reference[i]) {
            snprintf(why, len, "pixel (%zu, %zu) = %u iterations, serial pass %u", i % st->width,
                     i / st->width, st->img[i], st->reference[i]);
            return false;
        }
    }
    return true;
}

FB_CHECKSUM(st->img, st->rows * st->width * sizeof *st->img)

/* The work (iterations) of the heaviest of `threads` contiguous blocks of
 * rows over the mean block's: the slowdown a static split must suffer.  A
 * property of the image, not a timing, so it is the same on every run. */
static double static_imbalance(const state *st)
{
    double total = 0, worst = 0;
    for (int t = 0; t < st->threads; t++) {
        double block = 0;
        size_t lo = naive_split(st->rows, st->threads, t), hi = naive_split(st->rows, st->threads, t + 1);
        for (size_t i = lo * st->width; i < hi * st->width; i++) block += st->img[i];
        total += block;
        if (block > worst) worst = block;
    }
    return total > 0 ? worst / (total / st->threads) : 1.0;
}

static void report(void *p, const fb_variant *v, fb_json *out)
{
    state *st = p;
    par_report(out, v, st->pool, &st->counters);
    fb_json_num(out, "static_imbalance", static_imbalance(st));
}

static void teardown(void *p)
{
    state *st = p;
    pool_destroy(st->pool);
    free(st->img);
    free(st->done);
    free(st->reference);
    free(st);
}

static const fb_variant variants[] = {
    {"serial", run_serial, 0, "all rows in order on one thread"},
    {"pool", run_pool, 0, "work-stealing par_for, one-row pieces: balances itself"},
    ON_OPENMP({"omp_static", run_omp_static, 0, "OpenMP schedule(static): contiguous blocks, imbalanced"},
              {"omp_cyclic", run_omp_cyclic, 0, "OpenMP schedule(static,1): rows dealt round-robin"},
              {"omp_dynamic", run_omp_dynamic, 0, "OpenMP schedule(dynamic,1): shared row counter"},)
    {"threads", run_threads, 0, "pthread_create/join per call, contiguous blocks: imbalanced"},
};

static const fb_kernel kernel = {
    .family = "parallel",
    .name = "mandelbrot",
    .summary = "imbalanced loop over Mandelbrot rows: static vs dynamic vs work stealing",
    .unit = "rows",
    .concurrent = true,
    .sizes = {37, 110, 150},
    .reps = {1, 5, 5},
    FB_HOOKS(setup, prepare, check, checksum, NULL, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
