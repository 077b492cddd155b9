/* simd/prefix_sum: inclusive prefix sum (scan) of uint32, in registers.
 *
 * What it shows
 *   out[i] = in[0] + ... + in[i] carries a dependency from every element to
 *   the next, and the auto-vectorizers of GCC 12 and Clang 14/19 do not
 *   recognise scans: the plain loop stays scalar, one add per element on the
 *   critical path.  By hand, a vector is scanned in log2(lanes) steps of
 *   "shift the vector up by k lanes (zeros in) and add" (Hillis-Steele), then
 *   the running total of the previous vectors, broadcast to all lanes, is
 *   added; only that broadcast-and-add is serial, once per vector instead of
 *   once per element.  uint32 wraps, so the sums are exact in any order and
 *   every variant gives identical bits.
 *   - scalar:  vectorizer off: one add per element (~1 cycle/element).
 *   - autovec: the plain loop; expect the same scalar code in every build
 *              (the assembly has no packed adds).
 *   - vecext:  native-width vectors (4, 8 or 16 lanes by -march, see
 *              lib/simd_util.h), shifts as __builtin_shufflevector with a zero
 *              vector (GCC >= 12 and Clang), carry broadcast by shuffle.
 *   - sse:     SSE2 pslldq (byte shift) + paddd, 2 steps per 4 lanes; two
 *              vectors per iteration so only one broadcast+add is serial per
 *              8 elements.
 *   - avx2:    in-lane vpslldq scan (2 steps), then the low 128-bit half's
 *              total is added to the high half (vpshufd + vperm2i128), carry
 *              broadcast with vpermd.
 *   - avx512:  valignd with a zero vector as a 1/2/4/8-lane shift, 4 steps,
 *              carry broadcast with vpermd.
 *   - neon:    vextq_u32 with a zero vector as the lane shift (aarch64 only).
 *   Expect every SIMD variant to beat scalar, by ~1.5-2.5x rather than by the
 *   lane count: a scan does log2(lanes) shuffles and adds per vector instead
 *   of one add, the shuffles compete for the few shuffle ports, and wider
 *   vectors help less and less (more steps, slower cross-lane shuffles); at
 *   ref the traffic to L2 takes some of the rest.
 * Sizes: an item is one element.  test 1003, train 20011, ref 65536: in and
 *   out are 256 KiB each (512 KiB), in L2 (1 MiB per core), not L1d.
 * Sensitive to: march (vecext width; nothing else changes code), compiler
 *   (how each lowers the vecext shuffles; no compiler vectorizes autovec).
 * Correctness: exact comparison with a sequential reference scan; the
 *   checksum (hash of out) is identical in every build.
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
    uint32_t *in, *out;
} state;

NO_VECTORIZE FB_HOT void prefix_sum_scalar(const uint32_t *in, uint32_t *out, size_t n)
{
    uint32_t s = 0;
    NO_VECTORIZE_LOOP
    for (size_t i = 0; i < n; i++) out[i] = s += in[i];
}

FB_HOT void prefix_sum_autovec(const uint32_t *in, uint32_t *out, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++) out[i] = s += in[i];
}

/* Scan of one native vector: shifts by 1, 2, 4, ... lanes with zeros in. */
static inline vnu scan_vnu(vnu x)
{
    const vnu z = {0};
#if VNU_LANES == 4
    x += __builtin_shufflevector(z, x, 0, 4, 5, 6);
    x += __builtin_shufflevector(z, x, 0, 1, 4, 5);
#elif VNU_LANES == 8
    x += __builtin_shufflevector(z, x, 0, 8, 9, 10, 11, 12, 13, 14);
    x += __builtin_shufflevector(z, x, 0, 1, 8, 9, 10, 11, 12, 13);
    x += __builtin_shufflevector(z, x, 0, 1, 2, 3, 8, 9, 10, 11);
#elif VNU_LANES == 16
    x += __builtin_shufflevector(z, x, 0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
    x += __builtin_shufflevector(z, x, 0, 1, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29);
    x += __builtin_shufflevector(z, x, 0, 1, 2, 3, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27);
    x += __builtin_shufflevector(z, x, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
#else
#error "unexpected native vector width"
#endif
    return x;
}

static inline vnu last_lane(vnu x)
{
#if VNU_LANES == 4
    return __builtin_shufflevector(x, x, 3, 3, 3, 3);
#elif VNU_LANES == 8
    return __builtin_shufflevector(x, x, 7, 7, 7, 7, 7, 7, 7, 7);
#else
    return __builtin_shufflevector(x, x, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15);
#endif
}

FB_HOT void prefix_sum_vecext(const uint32_t *in, uint32_t *out, size_t n)
{
    vnu carry = {0};
    size_t i = 0;
    for (; i + 2 * VNU_LANES <= n; i += 2 * VNU_LANES) {
        vnu a, b;
        VLOAD(a, in + i), VLOAD(b, in + i + VNU_LANES);
        a = scan_vnu(a) + carry;
        b = scan_vnu(b) + last_lane(a);
        carry = last_lane(b);
        VSTORE(out + i, a), VSTORE(out + i + VNU_LANES, b);
    }
    uint32_t s = carry[0];
    for (; i < n; i++) out[i] = s += in[i];
}

#if defined(__x86_64__)
static inline __m128i scan_sse(__m128i x)
{
    x = _mm_add_epi32(x, _mm_slli_si128(x, 4));
    return _mm_add_epi32(x, _mm_slli_si128(x, 8));
}

FB_HOT void prefix_sum_sse(const uint32_t *in, uint32_t *out, size_t n)
{
    __m128i carry = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i a = scan_sse(_mm_loadu_si128((const __m128i *)(in + i)));
        __m128i b = scan_sse(_mm_loadu_si128((const __m128i *)(in + i + 4)));
        /* b gets a's total before the carry arrives: the serial chain is one
         * add and one shuffle per 8 elements. */
        b = _mm_add_epi32(b, _mm_shuffle_epi32(a, 0xff));
        a = _mm_add_epi32(a, carry);
        b = _mm_add_epi32(b, carry);
        carry = _mm_shuffle_epi32(b, 0xff);
        _mm_storeu_si128((__m128i *)(out + i), a);
        _mm_storeu_si128((__m128i *)(out + i + 4), b);
    }
    uint32_t s = (uint32_t)_mm_cvtsi128_si32(carry);
    for (; i < n; i++) out[i] = s += in[i];
}

__attribute__((target("avx2"))) static inline __m256i scan_avx2(__m256i x)
{
    x = _mm256_add_epi32(x, _mm256_slli_si256(x, 4)); /* within each 128-bit half */
    x = _mm256_add_epi32(x, _mm256_slli_si256(x, 8));
    __m256i low_total = _mm256_shuffle_epi32(x, 0xff);                    /* lane 3 of each half */
    return _mm256_add_epi32(x, _mm256_permute2x128_si256(low_total, low_total, 0x08)); /* 0 | low */
}

__attribute__((target("avx2"))) FB_HOT void prefix_sum_avx2(const uint32_t *in, uint32_t *out, size_t n)
{
    const __m256i last = _mm256_set1_epi32(7);
    __m256i carry = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i a = scan_avx2(_mm256_loadu_si256((const __m256i *)(in + i)));
        __m256i b = scan_avx2(_mm256_loadu_si256((const __m256i *)(in + i + 8)));
        b = _mm256_add_epi32(b, _mm256_permutevar8x32_epi32(a, last));
        a = _mm256_add_epi32(a, carry);
        b = _mm256_add_epi32(b, carry);
        carry = _mm256_permutevar8x32_epi32(b, last);
        _mm256_storeu_si256((__m256i *)(out + i), a);
        _mm256_storeu_si256((__m256i *)(out + i + 8), b);
    }
    uint32_t s = (uint32_t)_mm256_cvtsi256_si32(carry);
    for (; i < n; i++) out[i] = s += in[i];
}

__attribute__((target("avx512f"))) static inline __m512i scan_avx512(__m512i x)
{
    const __m512i z = _mm512_setzero_si512();
    /* alignr(x, z, 16-k) = (x:z) >> (16-k) lanes = x shifted up by k lanes. */
    x = _mm512_add_epi32(x, _mm512_alignr_epi32(x, z, 15));
    x = _mm512_add_epi32(x, _mm512_alignr_epi32(x, z, 14));
    x = _mm512_add_epi32(x, _mm512_alignr_epi32(x, z, 12));
    return _mm512_add_epi32(x, _mm512_alignr_epi32(x, z, 8));
}

__attribute__((target("avx512f"))) FB_HOT void prefix_sum_avx512(const uint32_t *in, uint32_t *out,
                                                                   size_t n)
{
    const __m512i last = _mm512_set1_epi32(15);
    __m512i carry = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512i a = scan_avx512(_mm512_loadu_si512(in + i));
        __m512i b = scan_avx512(_mm512_loadu_si512(in + i + 16));
        b = _mm512_add_epi32(b, _mm512_permutexvar_epi32(last, a));
        a = _mm512_add_epi32(a, carry);
        b = _mm512_add_epi32(b, carry);
        carry = _mm512_permutexvar_epi32(last, b);
        _mm512_storeu_si512(out + i, a);
        _mm512_storeu_si512(out + i + 16, b);
    }
    uint32_t s = (uint32_t)_mm512_cvtsi512_si32(carry);
    for (; i < n; i++) out[i] = s += in[i];
}
#endif

#if defined(__aarch64__)
static inline uint32x4_t scan_neon(uint32x4_t x)
{
    const uint32x4_t z = vdupq_n_u32(0);
    x = vaddq_u32(x, vextq_u32(z, x, 3)); /* [0, x0, x1, x2] */
    return vaddq_u32(x, vextq_u32(z, x, 2));
}

FB_HOT void prefix_sum_neon(const uint32_t *in, uint32_t *out, size_t n)
{
    uint32x4_t carry = vdupq_n_u32(0);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint32x4_t a = scan_neon(vld1q_u32(in + i));
        uint32x4_t b = scan_neon(vld1q_u32(in + i + 4));
        b = vaddq_u32(b, vdupq_laneq_u32(a, 3));
        a = vaddq_u32(a, carry);
        b = vaddq_u32(b, carry);
        carry = vdupq_laneq_u32(b, 3);
        vst1q_u32(out + i, a);
        vst1q_u32(out + i + 4, b);
    }
    uint32_t s = vgetq_lane_u32(carry, 0);
    for (; i < n; i++) out[i] = s += in[i];
}
#endif

#define RUNNER(variant)                                                                        \
    static void run_##variant(void *p)                                                         \
    {                                                                                          \
        state *st = p;                                                                         \
        prefix_sum_##variant(st->in, st->out, st->n);                                          \
    }
RUNNER(scalar) RUNNER(autovec) RUNNER(vecext)
SIMD_INTRINSIC_VARIANTS(RUNNER)

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    st->in = fb_alloc(ctx->n * sizeof *st->in);
    st->out = fb_alloc(ctx->n * sizeof *st->out);
    fb_rng rng = fb_rng_seeded(ctx->seed);
    /* Full 32-bit values: the sums wrap, which uint32 defines. */
    for (size_t i = 0; i < ctx->n; i++) st->in[i] = (uint32_t)fb_rng_next(&rng);
    return st;
}

static void prepare(void *p, const fb_variant *v)
{
    (void)v;
    state *st = p;
    memset(st->out, 0, st->n * sizeof *st->out);
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    uint32_t s = 0;
    for (size_t i = 0; i < st->n; i++) {
        s += st->in[i];
        if (st->out[i] != s) {
            snprintf(why, len, "out[%zu] = %u, reference %u", i, st->out[i], s);
            return false;
        }
    }
    return true;
}

FB_CHECKSUM(st->out, st->n * sizeof *st->out)

static void teardown(void *p)
{
    state *st = p;
    free(st->in);
    free(st->out);
    free(st);
}

static const fb_variant variants[] = {
    {"scalar", run_scalar, 0, "vectorizer off: one dependent add per element"},
    {"autovec", run_autovec, 0, "plain loop: no compiler vectorizes a scan"},
    {"vecext", run_vecext, 0, "vector extensions: shufflevector shift-and-add, native width"},
    ON_X86({"sse", run_sse, 0, "SSE2 pslldq shift-and-add, 2 x 4 lanes per step"},
           {"avx2", run_avx2, FB_ISA_AVX2, "AVX2 in-lane scan + cross-half fix-up, 2 x 8 lanes"},
           {"avx512", run_avx512, FB_ISA_AVX512F, "AVX-512 valignd shift-and-add, 2 x 16 lanes"},)
    ON_ARM64({"neon", run_neon, FB_ISA_NEON, "NEON vextq shift-and-add, 2 x 4 lanes"},)
};

static const fb_kernel kernel = {
    .family = "simd",
    .name = "prefix_sum",
    .summary = "inclusive uint32 prefix sum: a scan the vectorizer refuses, done in registers",
    SIMD_ARRAY_SIZES,
    FB_HOOKS(setup, prepare, check, checksum, NULL, NULL, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
