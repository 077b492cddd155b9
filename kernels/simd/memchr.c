/* simd/memchr: byte search (find, with early exit) and byte count.
 *
 * Sizes: an item is one byte scanned.  test 1003, train 100003, ref 262144:
 *   the 256 KiB buffer lives in L2 (1 MiB per core), not L1d (32 KiB), so the
 *   SIMD variants run at L2 bandwidth.  The buffer holds random bytes other
 *   than the needle (10, '\n') plus 2 + n/4096 needles at random positions
 *   and one in the last byte (a hit in the tail): the average gap between
 *   hits is ~4 KiB, long enough that the per-call overhead is small.
 * Sensitive to: march (width of the autovec count; nothing changes find),
 *   opt (GCC -O2 vs -O3 for count_autovec), compiler (Clang vectorizes
 *   count_autovec at -O2).
 * Correctness: find variants must report exactly the positions of every
 *   needle (compared with a plain scan); count variants the exact count.
 *   Integer results: the checksum (positions or count) is identical in every
 *   build.
 * Notes (what each variant shows, what to expect): docs/kernels/simd.md.
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

enum { NEEDLE = 10 };

typedef struct {
    size_t n;
    uint8_t *buf;
    size_t *found; /* positions found by the last find run */
    size_t cap, nfound;
    uint64_t count; /* result of the last count run */
} state;

/* ---- find ---------------------------------------------------------------- */

FB_HOT const uint8_t *memchr_find_autovec(const uint8_t *p, size_t n, uint8_t c)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == c) return p + i;
    return NULL;
}

FB_HOT const uint8_t *memchr_find_vecext(const uint8_t *p, size_t n, uint8_t c)
{
    const vnb vc = (vnb){0} + c;
    size_t i = 0;
    for (; i + 2 * VNB_LANES <= n; i += 2 * VNB_LANES) {
        vnb a, b;
        VLOAD(a, p + i), VLOAD(b, p + i + VNB_LANES);
        vnq ea = (vnq)(a == vc), eb = (vnq)(b == vc);
        vnq any = ea | eb;
        uint64_t t = 0;
        for (int l = 0; l < VNQ_LANES; l++) t |= any[l];
        if (t) {
            for (int l = 0; l < VNQ_LANES; l++)
                if (ea[l]) return p + i + 8 * l + (size_t)(__builtin_ctzll(ea[l]) >> 3);
            for (int l = 0; l < VNQ_LANES; l++)
                if (eb[l]) return p + i + VNB_LANES + 8 * l + (size_t)(__builtin_ctzll(eb[l]) >> 3);
        }
    }
    for (; i < n; i++)
        if (p[i] == c) return p + i;
    return NULL;
}

#if defined(__x86_64__)
FB_HOT const uint8_t *memchr_find_sse2(const uint8_t *p, size_t n, uint8_t c)
{
    const __m128i vc = _mm_set1_epi8((char)c);
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m128i e0 = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)), vc);
        __m128i e1 = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i + 16)), vc);
        __m128i e2 = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i + 32)), vc);
        __m128i e3 = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i + 48)), vc);
        __m128i any = _mm_or_si128(_mm_or_si128(e0, e1), _mm_or_si128(e2, e3));
        if (_mm_movemask_epi8(any)) {
            uint64_t m = (uint64_t)(unsigned)_mm_movemask_epi8(e0) |
                         (uint64_t)(unsigned)_mm_movemask_epi8(e1) << 16 |
                         (uint64_t)(unsigned)_mm_movemask_epi8(e2) << 32 |
                         (uint64_t)(unsigned)_mm_movemask_epi8(e3) << 48;
            return p + i + __builtin_ctzll(m);
        }
    }
    for (; i + 16 <= n; i += 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)), vc));
        if (m) return p + i + __builtin_ctz(m);
    }
    if (i < n && n >= 16) {
        /* The last 16 bytes, overlapping bytes already known not to match. */
        size_t j = n - 16;
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + j)), vc));
        return m ? p + j + __builtin_ctz(m) : NULL;
    }
    for (; i < n; i++)
        if (p[i] == c) return p + i;
    return NULL;
}

__attribute__((target("avx2"))) FB_HOT const uint8_t *memchr_find_avx2(const uint8_t *p, size_t n,
                                                                         uint8_t c)
{
    const __m256i vc = _mm256_set1_epi8((char)c);
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        __m256i e0 = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i)), vc);
        __m256i e1 = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i + 32)), vc);
        __m256i e2 = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i + 64)), vc);
        __m256i e3 = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i + 96)), vc);
        __m256i any = _mm256_or_si256(_mm256_or_si256(e0, e1), _mm256_or_si256(e2, e3));
        if (!_mm256_testz_si256(any, any)) {
            uint64_t lo = (uint64_t)(unsigned)_mm256_movemask_epi8(e0) |
                          (uint64_t)(unsigned)_mm256_movemask_epi8(e1) << 32;
            if (lo) return p + i + __builtin_ctzll(lo);
            uint64_t hi = (uint64_t)(unsigned)_mm256_movemask_epi8(e2) |
                          (uint64_t)(unsigned)_mm256_movemask_epi8(e3) << 32;
            return p + i + 64 + __builtin_ctzll(hi);
        }
    }
    for (; i + 32 <= n; i += 32) {
        unsigned m = (unsigned)_mm256_movemask_epi8(
            _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i)), vc));
        if (m) return p + i + __builtin_ctz(m);
    }
    if (i < n && n >= 32) {
        size_t j = n - 32;
        unsigned m = (unsigned)_mm256_movemask_epi8(
            _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + j)), vc));
        return m ? p + j + __builtin_ctz(m) : NULL;
    }
    for (; i < n; i++)
        if (p[i] == c) return p + i;
    return NULL;
}

static inline __attribute__((always_inline, target("avx512bw"))) __mmask64 first_bytes(size_t r)
{
    return r >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << r) - 1);
}

__attribute__((target("avx512bw,bmi"))) FB_HOT const uint8_t *memchr_find_avx512(const uint8_t *p,
                                                                                  size_t n, uint8_t c)
{
    const __m512i vc = _mm512_set1_epi8((char)c);
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        __mmask64 m0 = _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(p + i), vc);
        __mmask64 m1 = _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(p + i + 64), vc);
        if (m0 | m1) return m0 ? p + i + _tzcnt_u64(m0) : p + i + 64 + _tzcnt_u64(m1);
    }
    for (; i < n; i += 64) {
        __mmask64 in = first_bytes(n - i);
        __mmask64 m = _mm512_mask_cmpeq_epi8_mask(in, _mm512_maskz_loadu_epi8(in, p + i), vc);
        if (m) return p + i + _tzcnt_u64(m);
    }
    return NULL;
}
#endif

#if defined(__aarch64__)
FB_HOT const uint8_t *memchr_find_neon(const uint8_t *p, size_t n, uint8_t c)
{
    const uint8x16_t vc = vdupq_n_u8(c);
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        uint8x16_t e0 = vceqq_u8(vld1q_u8(p + i), vc), e1 = vceqq_u8(vld1q_u8(p + i + 16), vc);
        uint8x16_t e2 = vceqq_u8(vld1q_u8(p + i + 32), vc), e3 = vceqq_u8(vld1q_u8(p + i + 48), vc);
        if (vmaxvq_u8(vorrq_u8(vorrq_u8(e0, e1), vorrq_u8(e2, e3)))) {
            for (size_t k = 0; k < 4; k++) {
                uint8x16_t e = k == 0 ? e0 : k == 1 ? e1 : k == 2 ? e2 : e3;
                /* Narrow each byte to a nibble: a 64-bit mask, 4 bits per byte. */
                uint64_t m = vget_lane_u64(vreinterpret_u64_u8(vshrn_n_u16(vreinterpretq_u16_u8(e), 4)), 0);
                if (m) return p + i + 16 * k + (__builtin_ctzll(m) >> 2);
            }
        }
    }
    for (; i + 16 <= n; i += 16) {
        uint8x16_t e = vceqq_u8(vld1q_u8(p + i), vc);
        uint64_t m = vget_lane_u64(vreinterpret_u64_u8(vshrn_n_u16(vreinterpretq_u16_u8(e), 4)), 0);
        if (m) return p + i + (__builtin_ctzll(m) >> 2);
    }
    for (; i < n; i++)
        if (p[i] == c) return p + i;
    return NULL;
}
#endif

FB_HOT const uint8_t *memchr_find_libc(const uint8_t *p, size_t n, uint8_t c)
{
    return memchr(p, c, n);
}

/* ---- count --------------------------------------------------------------- */

NO_VECTORIZE FB_HOT uint64_t memchr_count_scalar(const uint8_t *p, size_t n, uint8_t c)
{
    uint64_t k = 0;
    NO_VECTORIZE_LOOP
    for (size_t i = 0; i < n; i++) k += p[i] == c;
    return k;
}

FB_HOT uint64_t memchr_count_autovec(const uint8_t *p, size_t n, uint8_t c)
{
    uint64_t k = 0;
    for (size_t i = 0; i < n; i++) k += p[i] == c;
    return k;
}

FB_HOT uint64_t memchr_count_vecext(const uint8_t *p, size_t n, uint8_t c)
{
    const vnb vc = (vnb){0} + c;
    uint64_t k = 0;
    size_t i = 0;
    while (i + VNB_LANES <= n) {
        /* Byte counters: each lane grows by at most 1 per step, so flush
         * before 255 steps. */
        vnb acc = {0};
        size_t steps = (n - i) / VNB_LANES;
        if (steps > 255) steps = 255;
        for (size_t s = 0; s < steps; s++, i += VNB_LANES) {
            vnb v;
            VLOAD(v, p + i);
            acc -= (vnb)(v == vc);
        }
        for (int l = 0; l < VNB_LANES; l++) k += acc[l];
    }
    for (; i < n; i++) k += p[i] == c;
    return k;
}

#if defined(__x86_64__)
FB_HOT uint64_t memchr_count_sse2(const uint8_t *p, size_t n, uint8_t c)
{
    const __m128i vc = _mm_set1_epi8((char)c), zero = _mm_setzero_si128();
    __m128i total = zero;
    size_t i = 0;
    while (i + 32 <= n) {
        __m128i a0 = zero, a1 = zero;
        size_t steps = (n - i) / 32;
        if (steps > 255) steps = 255;
        for (size_t s = 0; s < steps; s++, i += 32) {
            a0 = _mm_sub_epi8(a0, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)), vc));
            a1 = _mm_sub_epi8(a1, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i + 16)), vc));
        }
        total = _mm_add_epi64(total, _mm_add_epi64(_mm_sad_epu8(a0, zero), _mm_sad_epu8(a1, zero)));
    }
    uint64_t k = (uint64_t)_mm_cvtsi128_si64(total) + (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(total, total));
    for (; i < n; i++) k += p[i] == c;
    return k;
}

__attribute__((target("avx2"))) FB_HOT uint64_t memchr_count_avx2(const uint8_t *p, size_t n, uint8_t c)
{
    const __m256i vc = _mm256_set1_epi8((char)c), zero = _mm256_setzero_si256();
    __m256i total = zero;
    size_t i = 0;
    while (i + 64 <= n) {
        __m256i a0 = zero, a1 = zero;
        size_t steps = (n - i) / 64;
        if (steps > 255) steps = 255;
        for (size_t s = 0; s < steps; s++, i += 64) {
            a0 = _mm256_sub_epi8(a0, _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i)), vc));
            a1 = _mm256_sub_epi8(a1, _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i + 32)), vc));
        }
        total = _mm256_add_epi64(total, _mm256_add_epi64(_mm256_sad_epu8(a0, zero), _mm256_sad_epu8(a1, zero)));
    }
    __m128i t = _mm_add_epi64(_mm256_castsi256_si128(total), _mm256_extracti128_si256(total, 1));
    uint64_t k = (uint64_t)_mm_cvtsi128_si64(t) + (uint64_t)_mm_extract_epi64(t, 1);
    for (; i < n; i++) k += p[i] == c;
    return k;
}

__attribute__((target("avx512bw,popcnt"))) FB_HOT uint64_t memchr_count_avx512(const uint8_t *p,
                                                                              size_t n, uint8_t c)
{
    const __m512i vc = _mm512_set1_epi8((char)c);
    uint64_t k0 = 0, k1 = 0;
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        k0 += (uint64_t)_mm_popcnt_u64(_mm512_cmpeq_epi8_mask(_mm512_loadu_si512(p + i), vc));
        k1 += (uint64_t)_mm_popcnt_u64(_mm512_cmpeq_epi8_mask(_mm512_loadu_si512(p + i + 64), vc));
    }
    for (; i < n; i += 64) {
        __mmask64 in = first_bytes(n - i);
        k0 += (uint64_t)_mm_popcnt_u64(_mm512_mask_cmpeq_epi8_mask(in, _mm512_maskz_loadu_epi8(in, p + i), vc));
    }
    return k0 + k1;
}
#endif

#if defined(__aarch64__)
FB_HOT uint64_t memchr_count_neon(const uint8_t *p, size_t n, uint8_t c)
{
    const uint8x16_t vc = vdupq_n_u8(c);
    uint64_t k = 0;
    size_t i = 0;
    while (i + 32 <= n) {
        uint8x16_t a0 = vdupq_n_u8(0), a1 = vdupq_n_u8(0);
        size_t steps = (n - i) / 32;
        if (steps > 255) steps = 255;
        for (size_t s = 0; s < steps; s++, i += 32) {
            a0 = vsubq_u8(a0, vceqq_u8(vld1q_u8(p + i), vc));
            a1 = vsubq_u8(a1, vceqq_u8(vld1q_u8(p + i + 16), vc));
        }
        k += vaddlvq_u8(a0) + vaddlvq_u8(a1);
    }
    for (; i < n; i++) k += p[i] == c;
    return k;
}
#endif

/* ---- runners --------------------------------------------------------------- */

#define FIND_RUNNER(variant)                                                                   \
    static void run_find_##variant(void *p)                                                    \
    {                                                                                          \
        state *st = p;                                                                         \
        const uint8_t *at = st->buf, *end = st->buf + st->n, *hit;                             \
        size_t k = 0;                                                                          \
        while (at < end && (hit = memchr_find_##variant(at, (size_t)(end - at), NEEDLE))) {    \
            if (k < st->cap) st->found[k] = (size_t)(hit - st->buf);                           \
            k++;                                                                               \
            at = hit + 1;                                                                      \
        }                                                                                      \
        st->nfound = k;                                                                        \
    }
#define COUNT_RUNNER(variant)                                                                  \
    static void run_count_##variant(void *p)                                                   \
    {                                                                                          \
        state *st = p;                                                                         \
        st->count = memchr_count_##variant(st->buf, st->n, NEEDLE);                            \
    }
FIND_RUNNER(autovec) FIND_RUNNER(vecext) FIND_RUNNER(libc)
COUNT_RUNNER(scalar) COUNT_RUNNER(autovec) COUNT_RUNNER(vecext)
ON_X86(FIND_RUNNER(sse2) FIND_RUNNER(avx2) FIND_RUNNER(avx512))
ON_X86(COUNT_RUNNER(sse2) COUNT_RUNNER(avx2) COUNT_RUNNER(avx512))
ON_ARM64(FIND_RUNNER(neon) COUNT_RUNNER(neon))

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    st->buf = fb_alloc(ctx->n);
    fb_rng rng = fb_rng_seeded(ctx->seed);
    for (size_t i = 0; i < ctx->n; i++) {
        uint8_t b = (uint8_t)fb_rng_next(&rng);
        st->buf[i] = b == NEEDLE ? NEEDLE + 1 : b;
    }
    size_t planted = 2 + ctx->n / 4096;
    for (size_t k = 0; k < planted; k++) st->buf[fb_rng_below(&rng, ctx->n)] = NEEDLE;
    st->buf[ctx->n - 1] = NEEDLE;
    st->cap = planted + 1;
    st->found = fb_calloc(st->cap, sizeof *st->found);
    return st;
}

static void prepare(void *p, const fb_variant *v)
{
    (void)v;
    state *st = p;
    st->nfound = 0;
    st->count = 0;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    state *st = p;
    size_t k = 0;
    for (size_t i = 0; i < st->n; i++) {
        if (st->buf[i] != NEEDLE) continue;
        if (!strncmp(v->name, "find_", 5) && (k >= st->nfound || st->found[k] != i)) {
            snprintf(why, len, "needle %zu is at %zu, but find reported %s%zu", k, i,
                     k >= st->nfound ? "only hits: " : "position ", k >= st->nfound ? st->nfound : st->found[k]);
            return false;
        }
        k++;
    }
    if (!strncmp(v->name, "find_", 5) && st->nfound != k) {
        snprintf(why, len, "find reported %zu hits, the buffer has %zu needles", st->nfound, k);
        return false;
    }
    if (!strncmp(v->name, "count_", 6) && st->count != k) {
        snprintf(why, len, "count = %llu, the buffer has %zu needles", (unsigned long long)st->count, k);
        return false;
    }
    return true;
}

static uint64_t checksum(void *p)
{
    state *st = p;
    size_t shown = st->nfound < st->cap ? st->nfound : st->cap;
    uint64_t h = fb_hash_bytes(&st->nfound, sizeof st->nfound, FB_HASH_INIT);
    h = fb_hash_bytes(st->found, shown * sizeof *st->found, h);
    return fb_hash_bytes(&st->count, sizeof st->count, h);
}

static void report(void *p, const fb_variant *v, fb_json *out)
{
    state *st = p;
    if (!strncmp(v->name, "find_", 5)) fb_json_int(out, "hits", (long long)st->nfound);
    else fb_json_int(out, "count", (long long)st->count);
}

static void teardown(void *p)
{
    state *st = p;
    free(st->buf);
    free(st->found);
    free(st);
}

static const fb_variant variants[] = {
    {"find_autovec", run_find_autovec, 0, "early-exit byte loop: no compiler vectorizes it"},
    {"find_vecext", run_find_vecext, 0, "vector extensions: lane masks, OR-reduced exit test"},
    ON_X86({"find_sse2", run_find_sse2, 0, "pcmpeqb + pmovmskb, 64 bytes per test"},
           {"find_avx2", run_find_avx2, FB_ISA_AVX2, "vpcmpeqb + vpmovmskb, 128 bytes per test"},
           {"find_avx512", run_find_avx512, FB_ISA_AVX512BW | FB_ISA_BMI1,
            "vpcmpeqb into kmasks, 128 bytes per test, masked tail"},)
    ON_ARM64({"find_neon", run_find_neon, FB_ISA_NEON, "vceqq + vmaxvq test, shrn nibble mask"},)
    {"find_libc", run_find_libc, 0, "glibc memchr (its own ifunc-selected SIMD)"},
    {"count_scalar", run_count_scalar, 0, "vectorizer off: compare + add per byte"},
    {"count_autovec", run_count_autovec, 0, "plain count loop: vectorized, widened to 64-bit lanes"},
    {"count_vecext", run_count_vecext, 0, "vector extensions: byte counters flushed every 255 steps"},
    ON_X86({"count_sse2", run_count_sse2, 0, "pcmpeqb/psubb byte counters, psadbw flush"},
           {"count_avx2", run_count_avx2, FB_ISA_AVX2, "vpcmpeqb/vpsubb byte counters, vpsadbw flush"},
           {"count_avx512", run_count_avx512, FB_ISA_AVX512BW | FB_ISA_POPCNT,
            "vpcmpeqb mask + popcnt per 64 bytes, masked tail"},)
    ON_ARM64({"count_neon", run_count_neon, FB_ISA_NEON, "vceqq/vsubq byte counters, vaddlvq flush"},)
};

static const fb_kernel kernel = {
    .family = "simd",
    .name = "memchr",
    .summary = "byte find (early exit) and byte count: where autovectorization stops",
    .unit = "bytes",
    .sizes = {1003, 100003, 262144},
    .reps = {1, 50, 800},
    FB_HOOKS(setup, prepare, check, checksum, NULL, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
