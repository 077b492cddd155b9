/* alias/restrict: the same loops with and without `restrict`.
 *
 * What it shows
 *   Without `restrict`, two pointers of the same type may point into the
 *   same array, so a store through one may change what the other reads.
 *   The compiler then either proves nothing overlaps at run time (loop
 *   versioning: a few pointer compares before the loop, then the vector
 *   loop, with the scalar loop kept as the fallback) or, when there are too
 *   many pairs to check or the overlap is loop-carried, gives up and emits
 *   scalar code that reloads after every store.  Each pair below is one
 *   loop written twice, `_plain` and `_restrict`:
 *   - triad:   a[i] += b[i] * c[i] (float).  plain: GCC -O3 and Clang
 *              version it (two range checks, then the restrict loop): expect
 *              nearly equal times.
 *   - stencil: out[i] = 0.25*in[i-1] + 0.5*in[i] + 0.25*in[i+1] (float).
 *              plain: versioned the same way (one check).
 *   - accum:   *acc += a[i] over uint32_t, the total behind a pointer.
 *              plain: acc may point into a[], so GCC and Clang 14 store it
 *              back after every element and never vectorize; Clang 19
 *              versions it.  restrict: a vectorized reduction, several times
 *              faster wherever plain is scalar.
 *   - multi:   three outputs from four inputs (x = a*b + c, y = b*c + d,
 *              z = c*d + a): 15 pointer pairs, more than GCC's (10) and Clang
 *              14's (8) versioning limits, so plain is scalar (Clang 19 still
 *              versions it).  Expect several times, growing with the width.
 *   In the assembly (GCC -O3), triad_plain starts with lea/sub/cmp distance
 *   checks and holds a packed and a scalar loop; accum_plain is `add
 *   (%rsi),%eax; mov %eax,(%rdi)` per element.  GCC 12 at -O2 vectorizes
 *   none of them ("very cheap" cost model), so each pair runs the same code.
 * Sizes (an item is an element): test 1003, train 12000, ref 16000 floats
 *   (64 KiB an array, 192-448 KiB in all: L2, compute-bound).
 * Sensitive to: opt (GCC: nothing vectorizes at -O2, see above), compiler
 *   (versioning thresholds and what is versioned: Clang 19 versions accum
 *   and multi, Clang 14 and GCC do not), march (vector width, FMA), and
 *   inline/lto only if the callers were visible (they pass distinct arrays;
 *   the functions are noinline here, so they are not).
 * Correctness: each output element is compared with a double-precision
 *   reference within 4 float ulps of the sum of its terms' magnitudes (the
 *   error bound of two or three rounded operations, FMA or not); accum is an
 *   exact integer sum.  The checksum hashes the output bits, so FMA
 *   contraction (march) shows up as a changed checksum.
 */
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/grid.h"

typedef struct {
    size_t n;
    float *a0, *a, *b, *c, *d; /* a0: the triad's input, copied into a */
    float *x, *y, *z;
    uint32_t *u;
    uint32_t acc;
    int last; /* which loop ran last: 0 triad, 1 stencil, 2 accum, 3 multi */
} state;

/* ---- the loops, each twice ------------------------------------------- */

FB_HOT void restrict_triad_plain(float *a, const float *b, const float *c, size_t n)
{
    for (size_t i = 0; i < n; i++) a[i] += b[i] * c[i];
}

FB_HOT void restrict_triad_restrict(float *restrict a, const float *restrict b,
                                    const float *restrict c, size_t n)
{
    for (size_t i = 0; i < n; i++) a[i] += b[i] * c[i];
}

FB_HOT void restrict_stencil_plain(float *out, const float *in, size_t n)
{
    for (size_t i = 1; i + 1 < n; i++)
        out[i] = 0.25f * in[i - 1] + 0.5f * in[i] + 0.25f * in[i + 1];
}

FB_HOT void restrict_stencil_restrict(float *restrict out, const float *restrict in, size_t n)
{
    for (size_t i = 1; i + 1 < n; i++)
        out[i] = 0.25f * in[i - 1] + 0.5f * in[i] + 0.25f * in[i + 1];
}

FB_HOT void restrict_accum_plain(uint32_t *acc, const uint32_t *a, size_t n)
{
    for (size_t i = 0; i < n; i++) *acc += a[i];
}

FB_HOT void restrict_accum_restrict(uint32_t *restrict acc, const uint32_t *restrict a, size_t n)
{
    for (size_t i = 0; i < n; i++) *acc += a[i];
}

FB_HOT void restrict_multi_plain(float *x, float *y, float *z, const float *a, const float *b,
                                 const float *c, const float *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        x[i] = a[i] * b[i] + c[i];
        y[i] = b[i] * c[i] + d[i];
        z[i] = c[i] * d[i] + a[i];
    }
}

FB_HOT void restrict_multi_restrict(float *restrict x, float *restrict y, float *restrict z,
                                    const float *restrict a, const float *restrict b,
                                    const float *restrict c, const float *restrict d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        x[i] = a[i] * b[i] + c[i];
        y[i] = b[i] * c[i] + d[i];
        z[i] = c[i] * d[i] + a[i];
    }
}

/* ---- runners ------------------------------------------------------------ */

static void run_triad_plain(void *p)
{
    state *st = p;
    restrict_triad_plain(st->a, st->b, st->c, st->n);
    st->last = 0;
}
static void run_triad_restrict(void *p)
{
    state *st = p;
    restrict_triad_restrict(st->a, st->b, st->c, st->n);
    st->last = 0;
}
static void run_stencil_plain(void *p)
{
    state *st = p;
    restrict_stencil_plain(st->x, st->b, st->n);
    st->last = 1;
}
static void run_stencil_restrict(void *p)
{
    state *st = p;
    restrict_stencil_restrict(st->x, st->b, st->n);
    st->last = 1;
}
static void run_accum_plain(void *p)
{
    state *st = p;
    st->acc = 0;
    restrict_accum_plain(&st->acc, st->u, st->n);
    st->last = 2;
}
static void run_accum_restrict(void *p)
{
    state *st = p;
    st->acc = 0;
    restrict_accum_restrict(&st->acc, st->u, st->n);
    st->last = 2;
}
static void run_multi_plain(void *p)
{
    state *st = p;
    restrict_multi_plain(st->x, st->y, st->z, st->a0, st->b, st->c, st->d, st->n);
    st->last = 3;
}
static void run_multi_restrict(void *p)
{
    state *st = p;
    restrict_multi_restrict(st->x, st->y, st->z, st->a0, st->b, st->c, st->d, st->n);
    st->last = 3;
}

/* ---- setup, check ------------------------------------------------------- */

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    fb_rng rng = fb_rng_seeded(ctx->seed);
    size_t n = st->n = ctx->n < 3 ? 3 : ctx->n;
    float **arrays[] = {&st->a0, &st->a, &st->b, &st->c, &st->d, &st->x, &st->y, &st->z};
    for (size_t k = 0; k < FB_COUNT(arrays); k++) *arrays[k] = fb_calloc(n, sizeof(float));
    st->u = fb_alloc(n * sizeof *st->u);
    for (size_t i = 0; i < n; i++) {
        st->a0[i] = grid_float(&rng, -1.0, 1.0, 20);
        st->b[i] = grid_float(&rng, -1.0, 1.0, 20);
        st->c[i] = grid_float(&rng, -1.0, 1.0, 20);
        st->d[i] = grid_float(&rng, -1.0, 1.0, 20);
        st->u[i] = (uint32_t)fb_rng_next(&rng);
    }
    return st;
}

/* The triad updates a in place: every repetition starts from a0. */
static void prepare(void *p, const fb_variant *v)
{
    state *st = p;
    if (!strncmp(v->name, "triad", 5)) memcpy(st->a, st->a0, st->n * sizeof(float));
}

/* |got - want| within 4 float ulps of the magnitude of the terms. */
static bool close_to(float got, double want, double magnitude)
{
    return fabs((double)got - want) <= 4.0 * 0x1.0p-24 * magnitude;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    size_t n = st->n;
    const float *a0 = st->a0, *b = st->b, *c = st->c, *d = st->d;
    if (st->last == 2) {
        uint32_t want = 0;
        for (size_t i = 0; i < n; i++) want += st->u[i];
        if (want == st->acc) return true;
        snprintf(why, len, "sum %u, reference %u", st->acc, want);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (st->last == 0) {
            double t = (double)b[i] * c[i];
            if (!close_to(st->a[i], a0[i] + t, fabs(a0[i]) + fabs(t))) {
                snprintf(why, len, "a[%zu] = %.9g, reference %.9g", i, st->a[i], a0[i] + t);
                return false;
            }
        } else if (st->last == 1) {
            if (i == 0 || i + 1 == n) continue;
            double l = 0.25 * b[i - 1], m = 0.5 * b[i], r = 0.25 * b[i + 1];
            if (!close_to(st->x[i], l + m + r, fabs(l) + fabs(m) + fabs(r))) {
                snprintf(why, len, "out[%zu] = %.9g, reference %.9g", i, st->x[i], l + m + r);
                return false;
            }
        } else {
            double px = (double)a0[i] * b[i], py = (double)b[i] * c[i], pz = (double)c[i] * d[i];
            if (!close_to(st->x[i], px + c[i], fabs(px) + fabs(c[i])) ||
                !close_to(st->y[i], py + d[i], fabs(py) + fabs(d[i])) ||
                !close_to(st->z[i], pz + a0[i], fabs(pz) + fabs(a0[i]))) {
                snprintf(why, len, "element %zu: %.9g %.9g %.9g, reference %.9g %.9g %.9g", i,
                         st->x[i], st->y[i], st->z[i], px + c[i], py + d[i], pz + a0[i]);
                return false;
            }
        }
    }
    return true;
}

static uint64_t checksum(void *p)
{
    state *st = p;
    size_t bytes = st->n * sizeof(float);
    switch (st->last) {
    case 0: return fb_hash_bytes(st->a, bytes, FB_HASH_INIT);
    case 1: return fb_hash_bytes(st->x + 1, bytes - 2 * sizeof(float), FB_HASH_INIT);
    case 2: return fb_hash_bytes(&st->acc, sizeof st->acc, FB_HASH_INIT);
    default: {
        uint64_t h = fb_hash_bytes(st->x, bytes, FB_HASH_INIT);
        h = fb_hash_bytes(st->y, bytes, h);
        return fb_hash_bytes(st->z, bytes, h);
    }
    }
}

static void teardown(void *p)
{
    state *st = p;
    float *arrays[] = {st->a0, st->a, st->b, st->c, st->d, st->x, st->y, st->z};
    for (size_t k = 0; k < FB_COUNT(arrays); k++) free(arrays[k]);
    free(st->u);
    free(st);
}

static const fb_variant variants[] = {
    {"triad_plain", run_triad_plain, 0, "a[i] += b[i]*c[i], may alias: checks, then vector loop"},
    {"triad_restrict", run_triad_restrict, 0, "a[i] += b[i]*c[i] with restrict: vector loop only"},
    {"stencil_plain", run_stencil_plain, 0, "3-point stencil, may alias: check, then vector loop"},
    {"stencil_restrict", run_stencil_restrict, 0, "3-point stencil with restrict"},
    {"accum_plain", run_accum_plain, 0, "*acc += a[i], may alias: a store per element, scalar"},
    {"accum_restrict", run_accum_restrict, 0, "*acc += a[i] with restrict: vectorized reduction"},
    {"multi_plain", run_multi_plain, 0, "3 outputs x 4 inputs, may alias: too many checks, scalar"},
    {"multi_restrict", run_multi_restrict, 0, "3 outputs x 4 inputs with restrict: vectorized"},
};

static const fb_kernel kernel = {
    .family = "alias",
    .name = "restrict",
    .summary = "the same loops with and without restrict: runtime alias checks or scalar code",
    .unit = "elements",
    .sizes = {1003, 12000, 16000},
    .reps = {1, 200, 3000},
    FB_HOOKS(setup, prepare, check, checksum, NULL, NULL, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
