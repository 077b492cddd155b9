/* simd/matmul: C = A * B for square float32 matrices, from naive to a
 * register-tiled SIMD micro-kernel.
 *
 * Sizes: n is the matrix order N; an item is one multiply-add (N^3).  test
 *   37 (not a multiple of any tile: every remainder path runs), train 100, ref
 *   192: A, B and C are 144 KiB each, 432 KiB in all, in L2 (1 MiB per core);
 *   a 16-column B panel (12 KiB) is in L1d.  192 is a multiple of every tile
 *   (4 x 16, 4 x 32) and deliberately not a power of two: at N = 256 the
 *   naive variant's column walk (stride 1 KiB) maps every B line to the same
 *   4 of L1d's 64 sets and misses on each access (try --size 256).
 * Sensitive to: opt and compiler (ikj/blocked vectorization), march (vecext
 *   width, FMA contraction of ikj/blocked/vecext), nothing else.
 * Correctness: every C[i][j] is compared with a double-precision reference
 *   within the dot-product error bound gamma(N) * sum_k |A[i][k]*B[k][j]|,
 *   gamma(N) = N*u/(1-N*u), u = 2^-24, which holds for any summation order
 *   and with or without FMA.  The checksum hashes C's bits, so it differs
 *   between variants (different summation orders) and between builds that
 *   fuse or not.
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
    float *a, *b, *c;
} state;

FB_HOT void matmul_naive(const float *a, const float *b, float *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            float s = 0.0f;
            for (size_t k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
            c[i * n + j] = s;
        }
}

FB_HOT void matmul_ikj(const float *restrict a, const float *restrict b, float *restrict c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float *ci = c + i * n;
        for (size_t j = 0; j < n; j++) ci[j] = 0.0f;
        for (size_t k = 0; k < n; k++) {
            const float aik = a[i * n + k];
            const float *bk = b + k * n;
            for (size_t j = 0; j < n; j++) ci[j] += aik * bk[j];
        }
    }
}

enum { BJ = 64, BK = 128 };

FB_HOT void matmul_blocked(const float *restrict a, const float *restrict b, float *restrict c, size_t n)
{
    for (size_t i = 0; i < n * n; i++) c[i] = 0.0f;
    for (size_t j0 = 0; j0 < n; j0 += BJ) {
        size_t j1 = j0 + BJ < n ? j0 + BJ : n;
        for (size_t k0 = 0; k0 < n; k0 += BK) {
            size_t k1 = k0 + BK < n ? k0 + BK : n;
            for (size_t i = 0; i < n; i++) {
                float *ci = c + i * n;
                for (size_t k = k0; k < k1; k++) {
                    const float aik = a[i * n + k];
                    const float *bk = b + k * n;
                    for (size_t j = j0; j < j1; j++) ci[j] += aik * bk[j];
                }
            }
        }
    }
}

/* Columns [from, n) of every row, for the variants whose tiles do not cover
 * the right edge: plain dot products. */
static void edge_columns(const float *a, const float *b, float *c, size_t n, size_t from)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = from; j < n; j++) {
            float s = 0.0f;
            for (size_t k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
            c[i * n + j] = s;
        }
}

/* ---- vector extensions: 4 rows x 2 native vectors ---------------------- */
#define VX_NR (2 * VNF_LANES)

static inline void tile4_vecext(const float *a, const float *b, float *c, size_t n)
{
    vnf c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0}, c30 = {0}, c31 = {0};
    for (size_t k = 0; k < n; k++) {
        vnf b0, b1;
        VLOAD(b0, b + k * n), VLOAD(b1, b + k * n + VNF_LANES);
        vnf a0 = (vnf){0} + a[k], a1 = (vnf){0} + a[n + k];
        vnf a2 = (vnf){0} + a[2 * n + k], a3 = (vnf){0} + a[3 * n + k];
        c00 += a0 * b0, c01 += a0 * b1, c10 += a1 * b0, c11 += a1 * b1;
        c20 += a2 * b0, c21 += a2 * b1, c30 += a3 * b0, c31 += a3 * b1;
    }
    VSTORE(c, c00), VSTORE(c + VNF_LANES, c01);
    VSTORE(c + n, c10), VSTORE(c + n + VNF_LANES, c11);
    VSTORE(c + 2 * n, c20), VSTORE(c + 2 * n + VNF_LANES, c21);
    VSTORE(c + 3 * n, c30), VSTORE(c + 3 * n + VNF_LANES, c31);
}

static inline void tile1_vecext(const float *a, const float *b, float *c, size_t n)
{
    vnf c0 = {0}, c1 = {0};
    for (size_t k = 0; k < n; k++) {
        vnf b0, b1;
        VLOAD(b0, b + k * n), VLOAD(b1, b + k * n + VNF_LANES);
        vnf a0 = (vnf){0} + a[k];
        c0 += a0 * b0, c1 += a0 * b1;
    }
    VSTORE(c, c0), VSTORE(c + VNF_LANES, c1);
}

/* The driver every tiled variant shares: NR-column panels of 4-row and
 * 1-row tiles, then the columns no panel covers. */
#define TILED_MATMUL(isa, NR, ATTR)                                                            \
    ATTR FB_HOT void matmul_##isa(const float *a, const float *b, float *c, size_t n)          \
    {                                                                                          \
        size_t j0 = 0;                                                                         \
        for (; j0 + (NR) <= n; j0 += (NR)) {                                                   \
            size_t i = 0;                                                                      \
            for (; i + 4 <= n; i += 4) tile4_##isa(a + i * n, b + j0, c + i * n + j0, n);      \
            for (; i < n; i++) tile1_##isa(a + i * n, b + j0, c + i * n + j0, n);              \
        }                                                                                      \
        edge_columns(a, b, c, n, j0);                                                          \
    }
TILED_MATMUL(vecext, VX_NR, )

/* ---- AVX2 + FMA and AVX-512F: 4 rows x 2 vectors ----------------------- */
/* One register tile for both ISAs: 8 accumulators of W lanes; B is loaded
 * once per k and every A element broadcast. */
#define FMA_TILES(isa, ATTR, V, W, ZERO, LOAD, STORE, BCAST, FMA)                              \
    ATTR static inline void tile4_##isa(const float *a, const float *b, float *c, size_t n)    \
    {                                                                                          \
        V c00 = ZERO(), c01 = ZERO(), c10 = ZERO(), c11 = ZERO(), c20 = ZERO(), c21 = ZERO();  \
        V c30 = ZERO(), c31 = ZERO();                                                          \
        for (size_t k = 0; k < n; k++) {                                                       \
            V b0 = LOAD(b + k * n), b1 = LOAD(b + k * n + (W));                                \
            V a0 = BCAST(a + k), a1 = BCAST(a + n + k);                                        \
            V a2 = BCAST(a + 2 * n + k), a3 = BCAST(a + 3 * n + k);                            \
            c00 = FMA(a0, b0, c00), c01 = FMA(a0, b1, c01);                                    \
            c10 = FMA(a1, b0, c10), c11 = FMA(a1, b1, c11);                                    \
            c20 = FMA(a2, b0, c20), c21 = FMA(a2, b1, c21);                                    \
            c30 = FMA(a3, b0, c30), c31 = FMA(a3, b1, c31);                                    \
        }                                                                                      \
        STORE(c, c00), STORE(c + (W), c01);                                                    \
        STORE(c + n, c10), STORE(c + n + (W), c11);                                            \
        STORE(c + 2 * n, c20), STORE(c + 2 * n + (W), c21);                                    \
        STORE(c + 3 * n, c30), STORE(c + 3 * n + (W), c31);                                    \
    }                                                                                          \
    ATTR static inline void tile1_##isa(const float *a, const float *b, float *c, size_t n)    \
    {                                                                                          \
        V c0 = ZERO(), c1 = ZERO();                                                            \
        for (size_t k = 0; k < n; k++) {                                                       \
            V a0 = BCAST(a + k);                                                               \
            c0 = FMA(a0, LOAD(b + k * n), c0);                                                 \
            c1 = FMA(a0, LOAD(b + k * n + (W)), c1);                                           \
        }                                                                                      \
        STORE(c, c0), STORE(c + (W), c1);                                                      \
    }                                                                                          \
    TILED_MATMUL(isa, 2 * (W), ATTR)

#if defined(__x86_64__)
#define SET1_512(p) _mm512_set1_ps(*(p))
FMA_TILES(avx2, __attribute__((target("avx2,fma"))), __m256, 8, _mm256_setzero_ps, _mm256_loadu_ps,
          _mm256_storeu_ps, _mm256_broadcast_ss, _mm256_fmadd_ps)
FMA_TILES(avx512, __attribute__((target("avx512f"))), __m512, 16, _mm512_setzero_ps, _mm512_loadu_ps,
          _mm512_storeu_ps, SET1_512, _mm512_fmadd_ps)
#endif

/* ---- NEON: 4 rows x 16 columns ---------------------------------------- */
#if defined(__aarch64__)
static inline void tile4_neon(const float *a, const float *b, float *c, size_t n)
{
    float32x4_t acc[4][4];
    for (int r = 0; r < 4; r++)
        for (int q = 0; q < 4; q++) acc[r][q] = vdupq_n_f32(0);
    for (size_t k = 0; k < n; k++) {
        float32x4_t bv[4] = {vld1q_f32(b + k * n), vld1q_f32(b + k * n + 4), vld1q_f32(b + k * n + 8),
                             vld1q_f32(b + k * n + 12)};
        for (int r = 0; r < 4; r++) {
            const float ar = a[r * n + k];
            for (int q = 0; q < 4; q++) acc[r][q] = vfmaq_n_f32(acc[r][q], bv[q], ar);
        }
    }
    for (int r = 0; r < 4; r++)
        for (int q = 0; q < 4; q++) vst1q_f32(c + r * n + 4 * q, acc[r][q]);
}

static inline void tile1_neon(const float *a, const float *b, float *c, size_t n)
{
    float32x4_t c0 = vdupq_n_f32(0), c1 = c0, c2 = c0, c3 = c0;
    for (size_t k = 0; k < n; k++) {
        const float ak = a[k];
        c0 = vfmaq_n_f32(c0, vld1q_f32(b + k * n), ak);
        c1 = vfmaq_n_f32(c1, vld1q_f32(b + k * n + 4), ak);
        c2 = vfmaq_n_f32(c2, vld1q_f32(b + k * n + 8), ak);
        c3 = vfmaq_n_f32(c3, vld1q_f32(b + k * n + 12), ak);
    }
    vst1q_f32(c, c0), vst1q_f32(c + 4, c1), vst1q_f32(c + 8, c2), vst1q_f32(c + 12, c3);
}

TILED_MATMUL(neon, 16, )
#endif

#define RUNNER(variant)                                                                        \
    static void run_##variant(void *p)                                                         \
    {                                                                                          \
        state *st = p;                                                                         \
        matmul_##variant(st->a, st->b, st->c, st->n);                                          \
    }
RUNNER(naive) RUNNER(ikj) RUNNER(blocked) RUNNER(vecext)
ON_X86(RUNNER(avx2) RUNNER(avx512))
ON_ARM64(RUNNER(neon))

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    size_t n = ctx->n;
    st->n = n;
    st->a = fb_alloc(n * n * sizeof(float));
    st->b = fb_alloc(n * n * sizeof(float));
    st->c = fb_alloc(n * n * sizeof(float));
    fb_rng rng = fb_rng_seeded(ctx->seed);
    for (size_t i = 0; i < n * n; i++) st->a[i] = fb_rng_float(&rng, -1.0f, 1.0f);
    for (size_t i = 0; i < n * n; i++) st->b[i] = fb_rng_float(&rng, -1.0f, 1.0f);
    return st;
}

static void prepare(void *p, const fb_variant *v)
{
    (void)v;
    state *st = p;
    /* NaN everywhere: an element a variant forgets to write fails the check. */
    for (size_t i = 0; i < st->n * st->n; i++) st->c[i] = NAN;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    size_t n = st->n;
    const double u = 0x1.0p-24, gamma = (double)n * u / (1 - (double)n * u);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double exact = 0, mag = 0;
            for (size_t k = 0; k < n; k++) {
                double t = (double)st->a[i * n + k] * (double)st->b[k * n + j];
                exact += t;
                mag += fabs(t);
            }
            double got = st->c[i * n + j], bound = gamma * mag;
            if (!(fabs(got - exact) <= bound)) {
                snprintf(why, len, "C[%zu][%zu] = %.9g, reference %.9g, error %.3g exceeds gamma(%zu) bound %.3g",
                         i, j, got, exact, fabs(got - exact), n, bound);
                return false;
            }
        }
    return true;
}

FB_CHECKSUM(st->c, st->n * st->n * sizeof(float))

static double items(void *p)
{
    state *st = p;
    return (double)st->n * (double)st->n * (double)st->n;
}

static void teardown(void *p)
{
    state *st = p;
    free(st->a);
    free(st->b);
    free(st->c);
    free(st);
}

static const fb_variant variants[] = {
    {"naive", run_naive, 0, "i-j-k dot products: strided B, float reduction, not vectorized"},
    {"ikj", run_ikj, 0, "loop interchange: unit-stride axpy rows, auto-vectorized"},
    {"blocked", run_blocked, 0, "ikj on 64 x 128 cache tiles, plain C"},
    {"vecext", run_vecext, 0, "4 x 2-vector register tile, native-width vector extensions"},
    ON_X86({"avx2", run_avx2, FB_ISA_AVX2 | FB_ISA_FMA, "4 x 16 register tile, AVX2 FMA, 8 accumulators"},
           {"avx512", run_avx512, FB_ISA_AVX512F, "4 x 32 register tile, AVX-512 FMA, 8 accumulators"},)
    ON_ARM64({"neon", run_neon, FB_ISA_NEON, "4 x 16 register tile, NEON vfmaq_n_f32, 16 accumulators"},)
};

static const fb_kernel kernel = {
    .family = "simd",
    .name = "matmul",
    .summary = "float32 matrix multiply: naive, interchanged, blocked, register-tiled SIMD",
    .unit = "multiply-adds",
    .sizes = {37, 100, 192},
    .reps = {1, 3, 8},
    FB_HOOKS(setup, prepare, check, checksum, items, NULL, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
