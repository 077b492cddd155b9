/* simd/reduce: dot product of two float32 vectors, seven ways.
 *
 * What it shows
 *   A float reduction is the textbook case where the auto-vectorizer must
 *   refuse: vectorizing reorders the additions, which changes the rounding,
 *   and C forbids that unless told (-ffast-math, -fassociative-math).
 *   - scalar:   one accumulator, vectorizer switched off: bound by the FP add
 *               latency (one element per ~3-4 cycles).
 *   - autovec:  the same plain loop left to the compiler.  Expect scalar code
 *               at every -O level and -march unless the flags allow
 *               reassociation: the assembly shows no packed multiply-adds.
 *   - unrolled: eight independent accumulators written in the source, so the
 *               reassociation is the programmer's: the compiler may now
 *               vectorize (SLP/loop) with any flags, and its width follows -march.
 *   - vecext:   GCC/Clang vector extensions, 8 lanes x 4 accumulators, with a
 *               shuffle-based horizontal sum: portable SIMD, width fixed in
 *               the source.  On the x86-64 baseline (SSE2) the 32-byte type
 *               is wider than any register: Clang splits it into xmm pairs,
 *               GCC 12 keeps the accumulators in memory and reloads them
 *               every iteration, so there vecext loses to "unrolled"; from
 *               x86-64-v3 on it is one ymm per vector.
 *   - avx2:     AVX2+FMA intrinsics (function-level target attribute, so it
 *               exists in every x86 build and is checked against the CPU).
 *   - avx512:   AVX-512F intrinsics, 16 lanes.
 *   - neon:     NEON intrinsics (aarch64 builds only).
 *   - dispatch: picks the best of the above at first call from cpuid
 *               (FLAGBENCH_ISA_MAX forces a lower level to test fallbacks).
 * Sizes: test 1003 (an odd tail), train 100003, ref 32768 elements: two
 *   arrays of 128 KiB, so ref lives in L2 and the loop is compute-bound.
 * Sensitive to: march/features (vector width, FMA), opt (unrolling),
 *   -ffast-math (autovec), compiler (reduction vectorization differs).
 * Correctness: every variant is compared with a double-precision reference.
 *   Reordering float additions is legitimate here, so the tolerance is the
 *   worst-case error bound of float summation, gamma(n+1) * sum|a_i*b_i| with
 *   gamma(k) = k*u/(1-k*u), u = 2^-24; the checksum (the float's bits) shows
 *   any change of rounding between configurations.
 */
#include "harness.h"
#include "lib/simd_util.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

typedef struct {
    size_t n;
    float *a, *b;
    float result;
    const char *dispatched;
} state;

NO_VECTORIZE FB_HOT float reduce_scalar(const float *a, const float *b, size_t n)
{
    float s = 0.0f;
    NO_VECTORIZE_LOOP
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

FB_HOT float reduce_autovec(const float *a, const float *b, size_t n)
{
    float s = 0.0f;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

FB_HOT float reduce_unrolled(const float *restrict a, const float *restrict b, size_t n)
{
    float acc[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) acc[l] += a[i + l] * b[i + l];
    float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

__attribute__((always_inline)) static inline float hsum_v8sf(v8sf v)
{
    v8sf h = v + __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3);
    h = h + __builtin_shufflevector(h, h, 2, 3, 0, 1, 6, 7, 4, 5);
    h = h + __builtin_shufflevector(h, h, 1, 0, 3, 2, 5, 4, 7, 6);
    return h[0];
}

FB_HOT float reduce_vecext(const float *a, const float *b, size_t n)
{
    v8sf s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        v8sf x0, x1, x2, x3, y0, y1, y2, y3;
        /* memcpy is how C spells an unaligned vector load. */
        memcpy(&x0, a + i, 32), memcpy(&y0, b + i, 32);
        memcpy(&x1, a + i + 8, 32), memcpy(&y1, b + i + 8, 32);
        memcpy(&x2, a + i + 16, 32), memcpy(&y2, b + i + 16, 32);
        memcpy(&x3, a + i + 24, 32), memcpy(&y3, b + i + 24, 32);
        s0 += x0 * y0, s1 += x1 * y1, s2 += x2 * y2, s3 += x3 * y3;
    }
    float s = hsum_v8sf((s0 + s1) + (s2 + s3));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

#if defined(__x86_64__)
/* The main loop of avx2 and avx512: four W-lane FMA accumulators, so four
 * independent dependency chains hide the FMA latency. */
#define DOT_4X(V, W, ZERO, LOAD, FMA)                                                          \
    V s0 = ZERO(), s1 = ZERO();                                                                \
    V s2 = ZERO(), s3 = ZERO();                                                                \
    size_t i = 0;                                                                              \
    for (; i + 4 * (W) <= n; i += 4 * (W)) {                                                   \
        s0 = FMA(LOAD(a + i), LOAD(b + i), s0);                                                \
        s1 = FMA(LOAD(a + i + (W)), LOAD(b + i + (W)), s1);                                    \
        s2 = FMA(LOAD(a + i + 2 * (W)), LOAD(b + i + 2 * (W)), s2);                            \
        s3 = FMA(LOAD(a + i + 3 * (W)), LOAD(b + i + 3 * (W)), s3);                            \
    }

__attribute__((target("avx2,fma"))) FB_HOT float reduce_avx2(const float *a, const float *b,
                                                                  size_t n)
{
    DOT_4X(__m256, 8, _mm256_setzero_ps, _mm256_loadu_ps, _mm256_fmadd_ps)
    __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    float r = _mm_cvtss_f32(h);
    for (; i < n; i++) r += a[i] * b[i];
    return r;
}

__attribute__((target("avx512f"))) FB_HOT float reduce_avx512(const float *a, const float *b,
                                                                   size_t n)
{
    DOT_4X(__m512, 16, _mm512_setzero_ps, _mm512_loadu_ps, _mm512_fmadd_ps)
    /* The tail, up to 63 elements, in masked 16-lane steps: no scalar loop. */
    for (; i < n; i += 16) {
        __mmask16 m = TAIL_MASK16(n - i);
        s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}
#endif

#if defined(__aarch64__)
FB_HOT float reduce_neon(const float *a, const float *b, size_t n)
{
    float32x4_t s0 = vdupq_n_f32(0), s1 = vdupq_n_f32(0), s2 = vdupq_n_f32(0), s3 = vdupq_n_f32(0);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = vfmaq_f32(s0, vld1q_f32(a + i), vld1q_f32(b + i));
        s1 = vfmaq_f32(s1, vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
        s2 = vfmaq_f32(s2, vld1q_f32(a + i + 8), vld1q_f32(b + i + 8));
        s3 = vfmaq_f32(s3, vld1q_f32(a + i + 12), vld1q_f32(b + i + 12));
    }
    float r = vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3)));
    for (; i < n; i++) r += a[i] * b[i];
    return r;
}
#endif

/* Runtime dispatch: resolved once, then an indirect call per use. */
typedef float (*dot_fn)(const float *, const float *, size_t);
static dot_fn dispatched_dot;
static const char *dispatched_name;
static const char *dispatched_symbol; /* the hot function's symbol, for fb_note_dispatch */

static void resolve_dispatch(void)
{
#if defined(__x86_64__)
    if (fb_cpu_has(FB_ISA_AVX512F)) {
        dispatched_dot = reduce_avx512, dispatched_name = "avx512";
        dispatched_symbol = "reduce_avx512";
        return;
    }
    if (fb_cpu_has(FB_ISA_AVX2 | FB_ISA_FMA)) {
        dispatched_dot = reduce_avx2, dispatched_name = "avx2";
        dispatched_symbol = "reduce_avx2";
        return;
    }
#elif defined(__aarch64__)
    dispatched_dot = reduce_neon, dispatched_name = "neon";
    dispatched_symbol = "reduce_neon";
    return;
#endif
    dispatched_dot = reduce_vecext, dispatched_name = "vecext";
    dispatched_symbol = "reduce_vecext";
}

FB_HOT float reduce_dispatch(const float *a, const float *b, size_t n)
{
    return dispatched_dot(a, b, n);
}

#define RUNNER(variant)                                                                        \
    static void run_##variant(void *p)                                                         \
    {                                                                                          \
        state *st = p;                                                                         \
        st->result = reduce_##variant(st->a, st->b, st->n);                              \
    }
RUNNER(scalar) RUNNER(autovec) RUNNER(unrolled) RUNNER(vecext) RUNNER(dispatch)
ON_X86(RUNNER(avx2) RUNNER(avx512))
ON_ARM64(RUNNER(neon))

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    st->a = fb_alloc(ctx->n * sizeof(float));
    st->b = fb_alloc(ctx->n * sizeof(float));
    fb_rng rng = fb_rng_seeded(ctx->seed);
    /* Positive inputs: no cancellation, so the error bound below is tight
     * enough to catch a genuinely wrong sum. */
    for (size_t i = 0; i < ctx->n; i++) {
        st->a[i] = fb_rng_float(&rng, 0.0f, 1.0f);
        st->b[i] = fb_rng_float(&rng, 0.0f, 1.0f);
    }
    resolve_dispatch();
    st->dispatched = dispatched_name;
    return st;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    double exact = 0.0, magnitude = 0.0;
    for (size_t i = 0; i < st->n; i++) {
        double t = (double)st->a[i] * (double)st->b[i];
        exact += t;
        magnitude += t < 0 ? -t : t;
    }
    double u = 0x1.0p-24, k = (double)st->n + 1;
    double bound = k * u / (1 - k * u) * magnitude;
    double err = (double)st->result - exact;
    if (err < 0) err = -err;
    if (err <= bound) return true;
    snprintf(why, len, "dot = %.9g, reference %.9g, error %.3g exceeds the float summation bound %.3g",
             (double)st->result, exact, err, bound);
    return false;
}

FB_CHECKSUM(&st->result, sizeof st->result)

static void report(void *p, const fb_variant *v, fb_json *out)
{
    state *st = p;
    fb_json_num(out, "result", st->result);
    if (!strcmp(v->name, "dispatch")) {
        fb_json_str(out, "dispatched", st->dispatched);
        fb_note_dispatch(dispatched_symbol);
    }
}

static void teardown(void *p)
{
    state *st = p;
    free(st->a);
    free(st->b);
    free(st);
}

static const fb_variant variants[] = {
    {"scalar", run_scalar, 0, "one accumulator, vectorizer off: FP-add latency bound"},
    {"autovec", run_autovec, 0, "plain loop; vectorizes only if flags allow reassociation"},
    {"unrolled", run_unrolled, 0, "8 accumulators in the source: vectorizable with any flags"},
    {"vecext", run_vecext, 0, "GCC/Clang vector extensions, 8 lanes x 4 accumulators"},
    ON_X86({"avx2", run_avx2, FB_ISA_AVX2 | FB_ISA_FMA, "AVX2+FMA intrinsics, 4 ymm accumulators"},
           {"avx512", run_avx512, FB_ISA_AVX512F, "AVX-512F intrinsics, masked tail"},)
    ON_ARM64({"neon", run_neon, FB_ISA_NEON, "NEON intrinsics, 4 q-register accumulators"},)
    {"dispatch", run_dispatch, 0, "best available path picked from cpuid at start-up"},
};

static const fb_kernel kernel = {
    .family = "simd",
    .name = "reduce",
    .summary = "float32 dot product: scalar, autovec, vector extensions, intrinsics, dispatch",
    .unit = "elements",
    .sizes = {1003, 100003, 32768},
    .reps = {1, 20, 4000},
    FB_HOOKS(setup, NULL, check, checksum, NULL, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
