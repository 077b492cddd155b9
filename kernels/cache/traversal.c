/* cache/traversal: row vs column order over a 2-D array; naive vs tiled transpose.
 *
 * Sizes: an item is one matrix element; n is N (the side).  test 37 (odd: a
 *   partial tile), train 1000, ref 1536: one matrix is 9 MiB (2.4M
 *   elements), so the sums run from L3 (32 MiB); a transpose reads 9 MiB and
 *   writes 9 MiB, still L3 on a quiet machine.  (ref is kept at 9 MiB so the
 *   slow variants stay within the sweep's time budget.)  Use --size to move
 *   the matrix between levels: 64 (16 KiB: L1), 256 (256 KiB: L2), 2048
 *   (16 MiB: L3, the worst set conflicts), 4096 (64 MiB: DRAM).
 * Sensitive to: opt (-O3 unrolling and loop interchange), march (vector width
 *   of row and of the tiled transpose's inner loop), compiler; LTO and PGO
 *   should not matter.  The effect itself is the memory hierarchy's.
 * Correctness: sums are compared with a plain row-order sum; a transpose is
 *   compared element by element (b[j][i] == a[i][j]).  The checksum hashes
 *   the sum or the whole transposed matrix.
 * Notes (what each variant shows, what to expect): docs/kernels/cache.md.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

enum { TILE = 8, LINE = 16 /* uint32 elements per 64-byte line */ };

/* The padded copy's row length: whole lines, an odd number of them, so that
 * consecutive rows start in different cache sets and a column's lines cycle
 * through every set (gcd(lines, sets) = 1 for any power-of-two set count). */
static size_t padded_pitch(size_t n)
{
    size_t lines = (n + LINE - 1) / LINE;
    if (lines % 2 == 0) lines++;
    return lines * LINE;
}

typedef struct {
    size_t n, pitch;
    uint32_t *a, *a_padded, *b;
    uint64_t sum;
    bool transposed; /* the last repetition wrote b */
} state;

FB_HOT uint64_t traversal_row(const uint32_t *a, size_t n)
{
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) s += a[i * n + j];
    return s;
}

FB_HOT uint64_t traversal_col(const uint32_t *a, size_t n)
{
    uint64_t s = 0;
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < n; i++) s += a[i * n + j];
    return s;
}

/* The same loop as col, over rows of `pitch` elements. */
FB_HOT uint64_t traversal_col_padded(const uint32_t *a, size_t n, size_t pitch)
{
    uint64_t s = 0;
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < n; i++) s += a[i * pitch + j];
    return s;
}

FB_HOT void traversal_transpose_naive(uint32_t *restrict b, const uint32_t *restrict a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) b[j * n + i] = a[i * n + j];
}

/* Tiles of TILE x TILE, walked in destination order: each destination row is
 * written sequentially (TILE streams the prefetcher can follow), and the
 * source lines of a tile column (a strip TILE elements wide, half a line)
 * are reused for the next strip while still in L2. */
FB_HOT void traversal_transpose_tiled(uint32_t *restrict b, const uint32_t *restrict a, size_t n)
{
    for (size_t jj = 0; jj < n; jj += TILE) {
        size_t je = jj + TILE < n ? jj + TILE : n;
        for (size_t ii = 0; ii < n; ii += TILE) {
            size_t ie = ii + TILE < n ? ii + TILE : n;
            for (size_t j = jj; j < je; j++)
                for (size_t i = ii; i < ie; i++) b[j * n + i] = a[i * n + j];
        }
    }
}

static void run_row(void *p)
{
    state *st = p;
    st->sum = traversal_row(st->a, st->n);
    st->transposed = false;
}
static void run_col(void *p)
{
    state *st = p;
    st->sum = traversal_col(st->a, st->n);
    st->transposed = false;
}
static void run_col_padded(void *p)
{
    state *st = p;
    st->sum = traversal_col_padded(st->a_padded, st->n, st->pitch);
    st->transposed = false;
}
static void run_transpose_naive(void *p)
{
    state *st = p;
    traversal_transpose_naive(st->b, st->a, st->n);
    st->transposed = true;
}
static void run_transpose_tiled(void *p)
{
    state *st = p;
    traversal_transpose_tiled(st->b, st->a, st->n);
    st->transposed = true;
}

/* Only a is built in setup; the padded copy and the transpose's destination
 * are built before the first repetition of a variant that uses them
 * (untimed), so a process that runs one variant builds only what it needs. */
static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    size_t n = st->n = ctx->n;
    st->pitch = padded_pitch(n);
    st->a = fb_alloc_prefaulted(n * n * sizeof(uint32_t));
    fb_rng rng = fb_rng_seeded(ctx->seed);
    for (size_t k = 0; k < n * n; k++) st->a[k] = (uint32_t)fb_rng_next(&rng);
    return st;
}

static void build_padded(state *st)
{
    size_t n = st->n, pitch = st->pitch;
    st->a_padded = fb_alloc_prefaulted(n * pitch * sizeof(uint32_t));
    for (size_t i = 0; i < n; i++) {
        memcpy(st->a_padded + i * pitch, st->a + i * n, n * sizeof(uint32_t));
        memset(st->a_padded + i * pitch + n, 0, (pitch - n) * sizeof(uint32_t));
    }
}

static void prepare(void *p, const fb_variant *v)
{
    state *st = p;
    st->sum = 0;
    if (!strcmp(v->name, "col_padded") && !st->a_padded) build_padded(st);
    if (!strncmp(v->name, "transpose", 9) && !st->b) {
        st->b = fb_alloc_prefaulted(st->n * st->n * sizeof(uint32_t));
        /* Touch b so its pages exist before the first timed transpose. */
        memset(st->b, 0, st->n * st->n * sizeof(uint32_t));
    }
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    size_t n = st->n;
    if (st->transposed) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                if (st->b[j * n + i] != st->a[i * n + j]) {
                    snprintf(why, len, "b[%zu][%zu] = %u, a[%zu][%zu] = %u", j, i,
                             st->b[j * n + i], i, j, st->a[i * n + j]);
                    return false;
                }
        return true;
    }
    uint64_t want = 0;
    for (size_t k = 0; k < n * n; k++) want += st->a[k];
    if (st->sum == want) return true;
    snprintf(why, len, "sum %llu, reference %llu", (unsigned long long)st->sum,
             (unsigned long long)want);
    return false;
}

static uint64_t checksum(void *p)
{
    state *st = p;
    if (st->transposed) return fb_hash_bytes(st->b, st->n * st->n * sizeof(uint32_t), FB_HASH_INIT);
    return fb_hash_u64(st->sum);
}

static double items(void *p)
{
    state *st = p;
    return (double)st->n * (double)st->n;
}

static void teardown(void *p)
{
    state *st = p;
    free(st->a), free(st->a_padded), free(st->b);
    free(st);
}

static const fb_variant variants[] = {
    {"row", run_row, 0, "sum in row order: unit stride, whole lines, prefetched"},
    {"col", run_col, 0, "sum in column order: a line (and a page) per element"},
    {"col_padded", run_col_padded, 0, "column order, rows padded to an odd number of lines: no set conflicts"},
    {"transpose_naive", run_transpose_naive, 0, "transpose: rows in, columns out"},
    {"transpose_tiled", run_transpose_tiled, 0, "transpose in 8x8 tiles, destination rows written in order"},
};

static const fb_kernel kernel = {
    .family = "cache",
    .name = "traversal",
    .summary = "row vs column order over a 2-D array; naive vs tiled transpose",
    .unit = "elements",
    .sizes = {37, 1000, 1536},
    .reps = {1, 5, 10},
    FB_HOOKS(setup, prepare, check, checksum, items, NULL, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
