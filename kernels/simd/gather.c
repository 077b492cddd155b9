/* simd/gather: indexed sums (a[idx[i]]) and what blocks their vectorization.
 *
 * Sizes: an item is one element summed.  test 1003, train 20011, ref 65536:
 *   the index array, the int table and the float table are 256 KiB each, 768
 *   KiB together, in L2 (1 MiB per core).  Indices are uniform over the
 *   table, so the indexed loads hit L2, not L1d (32 KiB): the indexed sums are
 *   bound by L1-miss throughput, not by arithmetic.
 * Sensitive to: march (gathers exist from AVX2 on), -mtune and compiler
 *   (gather cost models), opt (GCC -O2 vectorizes none of the autovec loops,
 *   -O3 the int ones), -ffast-math (float autovec).
 * Correctness: integer sums (uint32, wrapping) are compared exactly with a
 *   plain loop; float sums with the summation bound
 *   gamma(n) * sum|v_i|, gamma(n) = n*u/(1-n*u), u = 2^-24 (all values are
 *   positive, so this is tight enough to catch a missing element); the
 *   checksum hashes the result's bits.
 * Notes (what each variant shows, what to expect): docs/kernels/simd.md.
 */
#include "harness.h"
#include "lib/simd_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

typedef struct {
    size_t n;
    int32_t *idx;
    uint32_t *ti;
    float *tf;
    uint32_t isum;
    float fsum;
} state;

/* ---- sequential ------------------------------------------------------------ */

NO_VECTORIZE FB_HOT uint32_t gather_seq_int_scalar(const uint32_t *v, size_t n)
{
    uint32_t s = 0;
    NO_VECTORIZE_LOOP
    for (size_t i = 0; i < n; i++) s += v[i];
    return s;
}

FB_HOT uint32_t gather_seq_int_autovec(const uint32_t *v, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++) s += v[i];
    return s;
}

FB_HOT float gather_seq_float_autovec(const float *v, size_t n)
{
    float s = 0.0f;
    for (size_t i = 0; i < n; i++) s += v[i];
    return s;
}

/* ---- the x86 gather variants --------------------------------------------- */
#if defined(__x86_64__)
/* The main loop of the gather variants: two W-lane gathers a step into two
 * accumulators; GATHER(v) loads t at the lanes of v. */
#define GATHER_2X(V, ZERO, IV, W, LOAD_IDX, GATHER, ADD)                                       \
    V s0 = ZERO(), s1 = ZERO();                                                                \
    size_t i = 0;                                                                              \
    for (; i + 2 * (W) <= n; i += 2 * (W)) {                                                   \
        IV i0 = LOAD_IDX(idx + i), i1 = LOAD_IDX(idx + i + (W));                               \
        s0 = ADD(s0, GATHER(i0));                                                              \
        s1 = ADD(s1, GATHER(i1));                                                              \
    }

/* AVX2: the main loop, SUM(r) declaring r as the sum of s0 and s1, then a
 * scalar tail. */
#define GATHER_AVX2(T, type, V, ZERO, GATHER, ADD, SUM)                                               \
    __attribute__((target("avx2"))) FB_HOT T gather_idx_##type##_avx2(const T *t, const int32_t *idx, \
                                                                      size_t n)                       \
    {                                                                                                 \
        GATHER_2X(V, ZERO, __m256i, 8, LOADU_SI256, GATHER, ADD)                                      \
        SUM(r)                                                                                        \
        for (; i < n; i++) r += t[idx[i]];                                                            \
        return r;                                                                                     \
    }

/* AVX-512: the main loop, then the tail as masked gathers (masked-off lanes
 * load nothing). */
#define GATHER_AVX512(T, type, V, ZERO, GATHER, MASK_GATHER, ADD, HSUM)                        \
    __attribute__((target("avx512f"))) FB_HOT T gather_idx_##type##_avx512(const T *t,         \
                                                                           const int32_t *idx, \
                                                                           size_t n)           \
    {                                                                                          \
        GATHER_2X(V, ZERO, __m512i, 16, _mm512_loadu_si512, GATHER, ADD)                       \
        for (; i < n; i += 16) {                                                               \
            __mmask16 m = TAIL_MASK16(n - i);                                                  \
            __m512i ii = _mm512_maskz_loadu_epi32(m, idx + i);                                 \
            s0 = ADD(s0, MASK_GATHER(ZERO(), m, ii, t, 4));                                    \
        }                                                                                      \
        return HSUM(ADD(s0, s1));                                                              \
    }
#endif

/* ---- indexed, int -------------------------------------------------------- */

NO_VECTORIZE FB_HOT uint32_t gather_idx_int_scalar(const uint32_t *t, const int32_t *idx, size_t n)
{
    uint32_t s = 0;
    NO_VECTORIZE_LOOP
    for (size_t i = 0; i < n; i++) s += t[idx[i]];
    return s;
}

FB_HOT uint32_t gather_idx_int_autovec(const uint32_t *t, const int32_t *idx, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++) s += t[idx[i]];
    return s;
}

NO_VECTORIZE FB_HOT uint32_t gather_idx_int_unrolled(const uint32_t *t, const int32_t *idx, size_t n)
{
    uint32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    NO_VECTORIZE_LOOP
    for (; i + 4 <= n; i += 4) {
        s0 += t[idx[i]];
        s1 += t[idx[i + 1]];
        s2 += t[idx[i + 2]];
        s3 += t[idx[i + 3]];
    }
    for (; i < n; i++) s0 += t[idx[i]];
    return (s0 + s1) + (s2 + s3);
}

#if defined(__x86_64__)
/* SUM8_*(r): the horizontal sums of the avx2 variants, as statements; as an
 * inline function GCC 12 schedules the avx2 loop's exit differently. */
#define SUM8_U32(r)                                                                            \
    __m256i s = _mm256_add_epi32(s0, s1);                                                      \
    __m128i h = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));      \
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));                                          \
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));                                          \
    uint32_t r = (uint32_t)_mm_cvtsi128_si32(h);

/* Not _mm512_reduce_add_epi32: GCC's version adds in signed int, which UBSan
 * reports as overflow; the vector adds below wrap (unsigned). */
__attribute__((target("avx512f"))) static inline uint32_t hsum16_u32(__m512i s)
{
    __m256i s8 = _mm256_add_epi32(_mm512_castsi512_si256(s), _mm512_extracti64x4_epi64(s, 1));
    __m128i h = _mm_add_epi32(_mm256_castsi256_si128(s8), _mm256_extracti128_si256(s8, 1));
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
    return (uint32_t)_mm_cvtsi128_si32(h);
}

#define GATHER8_INT(v) _mm256_i32gather_epi32((const int *)t, v, 4)
#define GATHER16_INT(v) _mm512_i32gather_epi32(v, t, 4)
GATHER_AVX2(uint32_t, int, __m256i, _mm256_setzero_si256, GATHER8_INT, _mm256_add_epi32, SUM8_U32)
GATHER_AVX512(uint32_t, int, __m512i, _mm512_setzero_si512, GATHER16_INT, _mm512_mask_i32gather_epi32,
              _mm512_add_epi32, hsum16_u32)
#endif

/* ---- indexed, float ------------------------------------------------------ */

FB_HOT float gather_idx_float_autovec(const float *t, const int32_t *idx, size_t n)
{
    float s = 0.0f;
    for (size_t i = 0; i < n; i++) s += t[idx[i]];
    return s;
}

FB_HOT float gather_idx_float_unrolled(const float *t, const int32_t *idx, size_t n)
{
    float acc[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) acc[l] += t[idx[i + l]];
    float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++) s += t[idx[i]];
    return s;
}

#if defined(__x86_64__)
#define SUM8_F32(r)                                                                            \
    __m256 s = _mm256_add_ps(s0, s1);                                                          \
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));             \
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));                                                    \
    h = _mm_add_ss(h, _mm_movehdup_ps(h));                                                     \
    float r = _mm_cvtss_f32(h);

#define GATHER8_FLOAT(v) _mm256_i32gather_ps(t, v, 4)
#define GATHER16_FLOAT(v) _mm512_i32gather_ps(v, t, 4)
GATHER_AVX2(float, float, __m256, _mm256_setzero_ps, GATHER8_FLOAT, _mm256_add_ps, SUM8_F32)
GATHER_AVX512(float, float, __m512, _mm512_setzero_ps, GATHER16_FLOAT, _mm512_mask_i32gather_ps, _mm512_add_ps,
              _mm512_reduce_add_ps)
#endif

/* ---- runners ------------------------------------------------------------- */

static void run_seq_int_scalar(void *p)
{
    state *st = p;
    st->isum = gather_seq_int_scalar(st->ti, st->n);
}
static void run_seq_int_autovec(void *p)
{
    state *st = p;
    st->isum = gather_seq_int_autovec(st->ti, st->n);
}
static void run_seq_float_autovec(void *p)
{
    state *st = p;
    st->fsum = gather_seq_float_autovec(st->tf, st->n);
}
#define IRUN(variant)                                                                          \
    static void run_idx_int_##variant(void *p)                                                 \
    {                                                                                          \
        state *st = p;                                                                         \
        st->isum = gather_idx_int_##variant(st->ti, st->idx, st->n);                           \
    }
#define FRUN(variant)                                                                          \
    static void run_idx_float_##variant(void *p)                                               \
    {                                                                                          \
        state *st = p;                                                                         \
        st->fsum = gather_idx_float_##variant(st->tf, st->idx, st->n);                         \
    }
IRUN(scalar) IRUN(autovec) IRUN(unrolled) FRUN(autovec) FRUN(unrolled)
ON_X86(IRUN(avx2) IRUN(avx512) FRUN(avx2) FRUN(avx512))

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    size_t n = ctx->n;
    st->n = n;
    st->idx = fb_alloc(n * sizeof *st->idx);
    st->ti = fb_alloc(n * sizeof *st->ti);
    st->tf = fb_alloc(n * sizeof *st->tf);
    fb_rng rng = fb_rng_seeded(ctx->seed);
    for (size_t i = 0; i < n; i++) {
        st->idx[i] = (int32_t)fb_rng_below(&rng, n);
        st->ti[i] = (uint32_t)fb_rng_next(&rng);
        st->tf[i] = fb_rng_float(&rng, 0.0f, 1.0f);
    }
    return st;
}

static void prepare(void *p, const fb_variant *v)
{
    (void)v;
    state *st = p;
    st->isum = 0;
    st->fsum = NAN;
}

static bool is_float(const fb_variant *v) { return strstr(v->name, "float") != NULL; }
static bool is_indexed(const fb_variant *v) { return !strncmp(v->name, "idx_", 4); }

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    state *st = p;
    if (!is_float(v)) {
        uint32_t want = 0;
        for (size_t i = 0; i < st->n; i++) want += is_indexed(v) ? st->ti[st->idx[i]] : st->ti[i];
        if (st->isum == want) return true;
        snprintf(why, len, "sum = %u, reference %u", st->isum, want);
        return false;
    }
    double exact = 0, mag = 0;
    for (size_t i = 0; i < st->n; i++) {
        double t = is_indexed(v) ? st->tf[st->idx[i]] : st->tf[i];
        exact += t;
        mag += fabs(t);
    }
    double u = 0x1.0p-24, k = (double)st->n;
    double bound = k * u / (1 - k * u) * mag;
    double err = fabs((double)st->fsum - exact);
    if (err <= bound) return true;
    snprintf(why, len, "sum = %.9g, reference %.9g, error %.3g exceeds the summation bound %.3g", (double)st->fsum,
             exact, err, bound);
    return false;
}

static uint64_t checksum(void *p)
{
    state *st = p;
    uint64_t h = fb_hash_bytes(&st->isum, sizeof st->isum, FB_HASH_INIT);
    return fb_hash_bytes(&st->fsum, sizeof st->fsum, h);
}

static void report(void *p, const fb_variant *v, fb_json *out)
{
    state *st = p;
    if (is_float(v)) fb_json_num(out, "result", st->fsum);
    else fb_json_int(out, "result", st->isum);
}

static void teardown(void *p)
{
    state *st = p;
    free(st->idx);
    free(st->ti);
    free(st->tf);
    free(st);
}

static const fb_variant variants[] = {
    {"seq_int_scalar", run_seq_int_scalar, 0, "sequential uint32 sum, vectorizer off"},
    {"seq_int_autovec", run_seq_int_autovec, 0, "sequential uint32 sum: integer reduction vectorizes"},
    {"seq_float_autovec", run_seq_float_autovec, 0, "sequential float sum: needs reassociation, stays scalar"},
    {"idx_int_scalar", run_idx_int_scalar, 0, "indexed uint32 sum, vectorizer off"},
    {"idx_int_autovec", run_idx_int_autovec, 0, "indexed uint32 sum left to the compiler (gather?)"},
    {"idx_int_unrolled", run_idx_int_unrolled, 0, "indexed uint32 sum, 4 scalar accumulators"},
    ON_X86({"idx_int_avx2", run_idx_int_avx2, FB_ISA_AVX2, "vpgatherdd, 2 x 8 lanes"},
           {"idx_int_avx512", run_idx_int_avx512, FB_ISA_AVX512F, "AVX-512 vpgatherdd, 2 x 16 lanes, masked tail"},)
    {"idx_float_autovec", run_idx_float_autovec, 0, "indexed float sum: blocked by the reduction"},
    {"idx_float_unrolled", run_idx_float_unrolled, 0, "indexed float sum, 8 accumulators in the source"},
    ON_X86({"idx_float_avx2", run_idx_float_avx2, FB_ISA_AVX2, "vgatherdps, 2 x 8 lanes"},
           {"idx_float_avx512", run_idx_float_avx512, FB_ISA_AVX512F, "AVX-512 vgatherdps, 2 x 16 lanes, masked tail"},)
};

static const fb_kernel kernel = {
    .family = "simd",
    .name = "gather",
    .summary = "indexed and sequential sums: gathers, and int vs float reductions",
    SIMD_ARRAY_SIZES,
    FB_HOOKS(setup, prepare, check, checksum, NULL, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
