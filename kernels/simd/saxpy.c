/* simd/saxpy: y = a*x + y on float32, where auto-vectorization succeeds.
 *
 * Sizes: an item is one element.  test 1003 (odd tails), train 20011, ref
 *   65536: x and y are 256 KiB each, 512 KiB together, so ref lives in L2
 *   (1 MiB per core), well outside L1d (32 KiB): the vector variants are
 *   L2-bandwidth-bound, the scalar one is bound by its load/store rate.
 *   `prepare` restores y before every repetition (untimed) so each rep
 *   computes the same thing.
 * Sensitive to: opt (GCC -O2 vs -O3), march/features (width, FMA fusion),
 *   compiler (GCC -O2 very-cheap model vs Clang -O2).  LTO, PGO and inlining
 *   should not matter.
 * Correctness: each y[i] is compared with a*x[i] + y0[i] computed in double.
 *   One product and one sum, fused or not, err at most
 *   gamma(2) * (|a*x[i]| + |y0[i]|) with gamma(2) = 2u/(1-2u), u = 2^-24;
 *   that is the per-element tolerance.  The checksum hashes y's bits, so it
 *   differs between builds that fuse (FMA) and builds that do not.
 * Notes (what each variant shows, what to expect): docs/kernels/simd.md.
 */
#include "harness.h"
#include "lib/simd_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

typedef struct {
    size_t n;
    float a;
    float *x, *y, *y0;
} state;

NO_VECTORIZE FB_HOT void saxpy_scalar(float a, const float *x, float *y, size_t n)
{
    NO_VECTORIZE_LOOP
    for (size_t i = 0; i < n; i++) y[i] = a * x[i] + y[i];
}

FB_HOT void saxpy_autovec(float a, const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = a * x[i] + y[i];
}

FB_HOT void saxpy_vecext(float a, const float *x, float *y, size_t n)
{
    const vnf va = (vnf){0} + a; /* scalar op vector broadcasts */
    size_t i = 0;
    for (; i + 2 * VNF_LANES <= n; i += 2 * VNF_LANES) {
        vnf x0, x1, y0, y1;
        VLOAD(x0, x + i), VLOAD(x1, x + i + VNF_LANES);
        VLOAD(y0, y + i), VLOAD(y1, y + i + VNF_LANES);
        y0 = va * x0 + y0;
        y1 = va * x1 + y1;
        VSTORE(y + i, y0), VSTORE(y + i + VNF_LANES, y1);
    }
    for (; i < n; i++) y[i] = a * x[i] + y[i];
}

#if defined(__x86_64__)
/* The main loop of sse, avx2 and avx512: two W-lane multiply-adds a step,
 * each an FMA where the ISA has one. */
#define SAXPY_2X(V, W, SET1, LOAD, STORE, MULADD)                                              \
    const V va = SET1(a);                                                                      \
    size_t i = 0;                                                                              \
    for (; i + 2 * (W) <= n; i += 2 * (W)) {                                                   \
        V y0 = MULADD(va, LOAD(x + i), LOAD(y + i));                                           \
        V y1 = MULADD(va, LOAD(x + i + (W)), LOAD(y + i + (W)));                               \
        STORE(y + i, y0);                                                                      \
        STORE(y + i + (W), y1);                                                                \
    }
#define SSE_MULADD(a, x, y) _mm_add_ps(_mm_mul_ps(a, x), y)

FB_HOT void saxpy_sse(float a, const float *x, float *y, size_t n)
{
    SAXPY_2X(__m128, 4, _mm_set1_ps, _mm_loadu_ps, _mm_storeu_ps, SSE_MULADD)
    for (; i < n; i++) y[i] = a * x[i] + y[i];
}

__attribute__((target("avx2,fma"))) FB_HOT void saxpy_avx2(float a, const float *x, float *y,
                                                             size_t n)
{
    SAXPY_2X(__m256, 8, _mm256_set1_ps, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_fmadd_ps)
    for (; i < n; i++) y[i] = fmaf(a, x[i], y[i]);
}

__attribute__((target("avx512f"))) FB_HOT void saxpy_avx512(float a, const float *x, float *y,
                                                              size_t n)
{
    SAXPY_2X(__m512, 16, _mm512_set1_ps, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_fmadd_ps)
    for (; i < n; i += 16) {
        __mmask16 m = TAIL_MASK16(n - i);
        __m512 v = _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i));
        _mm512_mask_storeu_ps(y + i, m, v);
    }
}
#endif

#if defined(__aarch64__)
FB_HOT void saxpy_neon(float a, const float *x, float *y, size_t n)
{
    const float32x4_t va = vdupq_n_f32(a);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        float32x4_t y0 = vfmaq_f32(vld1q_f32(y + i), va, vld1q_f32(x + i));
        float32x4_t y1 = vfmaq_f32(vld1q_f32(y + i + 4), va, vld1q_f32(x + i + 4));
        float32x4_t y2 = vfmaq_f32(vld1q_f32(y + i + 8), va, vld1q_f32(x + i + 8));
        float32x4_t y3 = vfmaq_f32(vld1q_f32(y + i + 12), va, vld1q_f32(x + i + 12));
        vst1q_f32(y + i, y0), vst1q_f32(y + i + 4, y1);
        vst1q_f32(y + i + 8, y2), vst1q_f32(y + i + 12, y3);
    }
    for (; i < n; i++) y[i] = fmaf(a, x[i], y[i]);
}
#endif

#define RUNNER(variant)                                                                        \
    static void run_##variant(void *p)                                                         \
    {                                                                                          \
        state *st = p;                                                                         \
        saxpy_##variant(st->a, st->x, st->y, st->n);                                           \
    }
RUNNER(scalar) RUNNER(autovec) RUNNER(vecext)
SIMD_INTRINSIC_VARIANTS(RUNNER)

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    st->x = fb_alloc(ctx->n * sizeof(float));
    st->y = fb_alloc(ctx->n * sizeof(float));
    st->y0 = fb_alloc(ctx->n * sizeof(float));
    fb_rng rng = fb_rng_seeded(ctx->seed);
    st->a = fb_rng_float(&rng, 0.5f, 2.0f);
    for (size_t i = 0; i < ctx->n; i++) {
        st->x[i] = fb_rng_float(&rng, -1.0f, 1.0f);
        st->y0[i] = fb_rng_float(&rng, -1.0f, 1.0f);
    }
    memcpy(st->y, st->y0, ctx->n * sizeof(float));
    return st;
}

static void prepare(void *p, const fb_variant *v)
{
    (void)v;
    state *st = p;
    memcpy(st->y, st->y0, st->n * sizeof(float));
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    const double u = 0x1.0p-24, gamma2 = 2 * u / (1 - 2 * u);
    for (size_t i = 0; i < st->n; i++) {
        double ax = (double)st->a * (double)st->x[i]; /* exact: 48-bit product */
        double want = ax + (double)st->y0[i];
        double bound = gamma2 * (fabs(ax) + fabs((double)st->y0[i])) + 0x1.0p-52 * fabs(want);
        double err = fabs((double)st->y[i] - want);
        if (!(err <= bound)) {
            snprintf(why, len, "y[%zu] = %.9g, reference %.9g, error %.3g exceeds gamma(2) bound %.3g",
                     i, (double)st->y[i], want, err, bound);
            return false;
        }
    }
    return true;
}

FB_CHECKSUM(st->y, st->n * sizeof(float))

static void teardown(void *p)
{
    state *st = p;
    free(st->x);
    free(st->y);
    free(st->y0);
    free(st);
}

static const fb_variant variants[] = {
    {"scalar", run_scalar, 0, "vectorizer off: one element per iteration"},
    {"autovec", run_autovec, 0, "plain loop: vectorized behind a run-time alias check"},
    {"vecext", run_vecext, 0, "GCC/Clang vector extensions, native width x 2"},
    ON_X86({"sse", run_sse, 0, "SSE intrinsics, mulps+addps, 4 lanes x 2"},
           {"avx2", run_avx2, FB_ISA_AVX2 | FB_ISA_FMA, "AVX2+FMA intrinsics, 8 lanes x 2"},
           {"avx512", run_avx512, FB_ISA_AVX512F, "AVX-512F intrinsics, 16 lanes x 2, masked tail"},)
    ON_ARM64({"neon", run_neon, FB_ISA_NEON, "NEON vfmaq_f32, 4 lanes x 4"},)
};

static const fb_kernel kernel = {
    .family = "simd",
    .name = "saxpy",
    .summary = "y = a*x + y (float32): the loop auto-vectorization gets right",
    SIMD_ARRAY_SIZES,
    FB_HOOKS(setup, prepare, check, checksum, NULL, NULL, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
