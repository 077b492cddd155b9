/* inline/cross_tu: small functions in another file, with and without LTO.
 *
 * flagbench-sources: lib/tu_ops.c
 *
 * What it shows
 *   The hot loop is sum += clamp(scale(a[i], k), lo, hi) over int32: two
 *   tiny functions per element.  The same bodies are called three ways:
 *   - extern:        tu_ops_scale / tu_ops_clamp live in lib/tu_ops.c.  The
 *                    compiler of this file sees only their declarations, so
 *                    each element costs two real calls, and because an
 *                    unknown function may read or write any memory, the loop
 *                    cannot be vectorized.  With LTO (-flto, -flto=thin or
 *                    full) the linker-time optimizer sees both files, inlines
 *                    the bodies and the loop becomes the same vector code as
 *                    static_inline: the biggest single LTO effect a program
 *                    can have, and the reason to build with it.
 *   - static_inline: the same bodies as static inline functions in this file:
 *                    inlined at every -O level above O0.  Clang (-O2 up) and
 *                    GCC -O3 then vectorize the loop (the clamp becomes
 *                    pminsd/pmaxsd from SSE4.1 or AVX2, emulated with compares
 *                    at the x86-64 baseline); GCC 12 at -O2 (its "very cheap"
 *                    vectorizer cost model) keeps a scalar loop with two cmovs,
 *                    which is still free of calls.
 *   - noinline:      the same bodies as static noinline functions in this
 *                    file: still two calls per element, but the compiler
 *                    knows the callees (they touch no memory, and GCC's
 *                    -fipa-ra knows which registers they clobber), so this
 *                    isolates the bare call cost from what an unknown callee
 *                    costs (extern).
 *   Expect extern ~ noinline (a few ns per element: two call/return pairs
 *   and argument moves), static_inline 2-3x faster as scalar code (GCC -O2)
 *   or as SSE2 vector code (min/max and the widening to int64 are emulated
 *   at the x86-64 baseline), 15-25x faster as AVX2 or AVX-512 code, and
 *   extern to become the very same code as static_inline under LTO.
 * Sizes: test 1003, train 100003, ref 131072 int32 (512 KiB): ref lives in L2,
 *   so the vector loop is not memory-bound.  An item is one element.
 * Sensitive to: lto (extern only; the headline effect), inline=none (with
 *   -fno-inline static_inline becomes a call too and joins noinline; LTO
 *   then inlines nothing either), march (vector width, SSE4.1 min/max), opt.
 * Correctness: the 64-bit sum is compared with a plain scalar loop written
 *   with the clamp and scale spelled out; integer arithmetic, so exact.
 */
#include "harness.h"

#include "lib/tu_ops.h"

#include <stdlib.h>

typedef struct {
    size_t n;
    int32_t *a;
    int32_t k, lo, hi; /* run-time values, so the bodies cannot fold them */
    int64_t sum;
} state;

static inline int32_t scale_inline(int32_t x, int32_t k) { TU_OPS_SCALE_BODY(x, k); }
static inline int32_t clamp_inline(int32_t x, int32_t lo, int32_t hi) { TU_OPS_CLAMP_BODY(x, lo, hi); }
static __attribute__((noinline)) int32_t scale_noinline(int32_t x, int32_t k) { TU_OPS_SCALE_BODY(x, k); }
static __attribute__((noinline)) int32_t clamp_noinline(int32_t x, int32_t lo, int32_t hi)
{
    TU_OPS_CLAMP_BODY(x, lo, hi);
}

#define HOT_LOOP(variant, scale, clamp)                                                        \
    FB_HOT int64_t cross_tu_##variant(const int32_t *a, size_t n, int32_t k, int32_t lo,       \
                                      int32_t hi)                                              \
    {                                                                                          \
        int64_t sum = 0;                                                                       \
        for (size_t i = 0; i < n; i++) sum += clamp(scale(a[i], k), lo, hi);                   \
        return sum;                                                                            \
    }
HOT_LOOP(extern, tu_ops_scale, tu_ops_clamp)
HOT_LOOP(static_inline, scale_inline, clamp_inline)
HOT_LOOP(noinline, scale_noinline, clamp_noinline)

#define RUNNER(variant)                                                                        \
    static void run_##variant(void *p)                                                         \
    {                                                                                          \
        state *st = p;                                                                         \
        st->sum = cross_tu_##variant(st->a, st->n, st->k, st->lo, st->hi);                     \
    }
RUNNER(extern) RUNNER(static_inline) RUNNER(noinline)

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    st->a = fb_alloc(ctx->n * sizeof(int32_t));
    fb_rng rng = fb_rng_seeded(ctx->seed);
    /* Values in +-2^20 with k = 3: about a third of the scaled values fall
     * outside [lo, hi], so both clamp arms are taken (unpredictably, which a
     * branchy scalar clamp pays for and a vector select does not). */
    for (size_t i = 0; i < ctx->n; i++) st->a[i] = (int32_t)fb_rng_below(&rng, 1u << 21) - (1 << 20);
    st->k = 3;
    st->lo = -2000000;
    st->hi = 2000000;
    return st;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    int64_t want = 0;
    for (size_t i = 0; i < st->n; i++) {
        int32_t x = st->a[i];
        int32_t y = (int32_t)((uint32_t)x * (uint32_t)st->k + (uint32_t)(x >> 3));
        if (y < st->lo) y = st->lo;
        if (y > st->hi) y = st->hi;
        want += y;
    }
    if (st->sum == want) return true;
    snprintf(why, len, "sum %lld, reference %lld", (long long)st->sum, (long long)want);
    return false;
}

static uint64_t checksum(void *p) { return fb_hash_u64((uint64_t)((state *)p)->sum); }

static void teardown(void *p)
{
    state *st = p;
    free(st->a);
    free(st);
}

static const fb_variant variants[] = {
    {"extern", run_extern, 0, "callees in another file: two calls per element unless LTO inlines"},
    {"static_inline", run_static_inline, 0, "same bodies, static inline here: inlined and vectorized"},
    {"noinline", run_noinline, 0, "same bodies, noinline here: the bare cost of the calls"},
};

static const fb_kernel kernel = {
    .family = "inline",
    .name = "cross_tu",
    .summary = "inlining across translation units: extern calls vs static inline vs noinline, LTO",
    .unit = "elements",
    .sizes = {1003, 100003, 131072},
    .reps = {1, 20, 100},
    FB_HOOKS(setup, NULL, check, checksum, NULL, NULL, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
