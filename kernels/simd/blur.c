/* simd/blur: 5x5 Gaussian (binomial) blur of a uint8 image, separable.
 *
 * Sizes: an item is an image pixel; images are 1021 pixels wide (odd, so
 *   every row has a vector tail) and n/1021 rows high (at least 5).  test
 *   13273 (13 rows), train 99037 (97 rows), ref 261376 (256 rows): input and
 *   output are 255 KiB each, ~510 KiB together, in L2 (1 MiB per core); the
 *   uint16 row buffer (2 KiB) stays in L1d.  Only the interior (two-pixel
 *   border excluded) is written; the border of out stays 0.
 * Sensitive to: march (vector width of autovec/direct2d/vecext), opt (GCC
 *   -O2 vectorizes only the cheapest loops), compiler (over-widening
 *   detection differs: look for 16- vs 32-bit lanes in the autovec assembly).
 * Correctness: exact comparison with the direct 2-D formula over the
 *   interior (integers, no tolerance); the checksum is identical everywhere.
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

enum { WIDTH = 1021 };

typedef struct {
    size_t w, h;
    uint8_t *in, *out;
    uint16_t *row; /* the vertical pass of one output row */
} state;

static const int taps[5] = {1, 4, 6, 4, 1};

FB_HOT void blur_direct2d(const uint8_t *restrict in, uint8_t *restrict out, size_t w, size_t h)
{
    for (size_t y = 2; y + 2 < h; y++) {
        for (size_t x = 2; x + 2 < w; x++) {
            int s = 0;
            for (int j = 0; j < 5; j++) {
                const uint8_t *r = in + (y + j - 2) * w + x - 2;
                s += taps[j] * (r[0] + 4 * r[1] + 6 * r[2] + 4 * r[3] + r[4]);
            }
            out[y * w + x] = (uint8_t)((s + 128) >> 8);
        }
    }
}

NO_VECTORIZE FB_HOT void blur_scalar(const uint8_t *restrict in, uint8_t *restrict out,
                                     uint16_t *restrict row, size_t w, size_t h)
{
    for (size_t y = 2; y + 2 < h; y++) {
        const uint8_t *r0 = in + (y - 2) * w, *r1 = r0 + w, *r2 = r1 + w, *r3 = r2 + w, *r4 = r3 + w;
        NO_VECTORIZE_LOOP
        for (size_t x = 0; x < w; x++)
            row[x] = (uint16_t)(r0[x] + 4 * r1[x] + 6 * r2[x] + 4 * r3[x] + r4[x]);
        uint8_t *o = out + y * w;
        NO_VECTORIZE_LOOP
        for (size_t x = 2; x + 2 < w; x++)
            o[x] = (uint8_t)((row[x - 2] + 4 * row[x - 1] + 6 * row[x] + 4 * row[x + 1] + row[x + 2] + 128) >> 8);
    }
}

FB_HOT void blur_autovec(const uint8_t *restrict in, uint8_t *restrict out, uint16_t *restrict row,
                         size_t w, size_t h)
{
    for (size_t y = 2; y + 2 < h; y++) {
        const uint8_t *r0 = in + (y - 2) * w, *r1 = r0 + w, *r2 = r1 + w, *r3 = r2 + w, *r4 = r3 + w;
        for (size_t x = 0; x < w; x++)
            row[x] = (uint16_t)(r0[x] + 4 * r1[x] + 6 * r2[x] + 4 * r3[x] + r4[x]);
        uint8_t *o = out + y * w;
        for (size_t x = 2; x + 2 < w; x++)
            o[x] = (uint8_t)((row[x - 2] + 4 * row[x - 1] + 6 * row[x] + 4 * row[x + 1] + row[x + 2] + 128) >> 8);
    }
}

/* Bytes of one native uint16 vector's lane count. */
typedef uint8_t vnhb __attribute__((vector_size(VNH_LANES)));

FB_HOT void blur_vecext(const uint8_t *in, uint8_t *out, uint16_t *row, size_t w, size_t h)
{
    for (size_t y = 2; y + 2 < h; y++) {
        const uint8_t *r0 = in + (y - 2) * w, *r1 = r0 + w, *r2 = r1 + w, *r3 = r2 + w, *r4 = r3 + w;
        size_t x = 0;
        for (; x + VNH_LANES <= w; x += VNH_LANES) {
            vnhb b0, b1, b2, b3, b4;
            VLOAD(b0, r0 + x), VLOAD(b1, r1 + x), VLOAD(b2, r2 + x), VLOAD(b3, r3 + x), VLOAD(b4, r4 + x);
            vnh s = __builtin_convertvector(b0, vnh) + __builtin_convertvector(b4, vnh);
            vnh c = __builtin_convertvector(b2, vnh);
            s += (__builtin_convertvector(b1, vnh) + __builtin_convertvector(b3, vnh)) << 2;
            s += (c << 2) + (c << 1);
            VSTORE(row + x, s);
        }
        for (; x < w; x++) row[x] = (uint16_t)(r0[x] + 4 * r1[x] + 6 * r2[x] + 4 * r3[x] + r4[x]);
        uint8_t *o = out + y * w;
        x = 2;
        for (; x + VNH_LANES + 2 <= w; x += VNH_LANES) {
            vnh a, b, c, d, e;
            VLOAD(a, row + x - 2), VLOAD(b, row + x - 1), VLOAD(c, row + x), VLOAD(d, row + x + 1),
                VLOAD(e, row + x + 2);
            vnh s = a + e + ((b + d) << 2) + (c << 2) + (c << 1) + 128;
            vnhb r = __builtin_convertvector(s >> 8, vnhb);
            VSTORE(o + x, r);
        }
        for (; x + 2 < w; x++)
            o[x] = (uint8_t)((row[x - 2] + 4 * row[x - 1] + 6 * row[x] + 4 * row[x + 1] + row[x + 2] + 128) >> 8);
    }
}

/* The row tails every intrinsic variant shares. */
static inline void vertical_tail(const uint8_t *r0, size_t w, uint16_t *row, size_t x)
{
    for (; x < w; x++)
        row[x] = (uint16_t)(r0[x] + 4 * r0[w + x] + 6 * r0[2 * w + x] + 4 * r0[3 * w + x] + r0[4 * w + x]);
}
static inline void horizontal_tail(const uint16_t *row, uint8_t *o, size_t w, size_t x)
{
    for (; x + 2 < w; x++)
        o[x] = (uint8_t)((row[x - 2] + 4 * row[x - 1] + 6 * row[x] + 4 * row[x + 1] + row[x + 2] + 128) >> 8);
}

/* a + 4b + 6c + 4d + e in 16-bit lanes, with shifts instead of multiplies:
 * the same five taps for every ISA. */
#define TAPS(isa, ATTR, V, ADD, SHL)                                                           \
    ATTR static inline V taps_##isa(V a, V b, V c, V d, V e)                                   \
    {                                                                                          \
        V s = ADD(a, e);                                                                       \
        s = ADD(s, SHL(ADD(b, d), 2));                                                         \
        return ADD(s, ADD(SHL(c, 2), SHL(c, 1)));                                              \
    }

/* The horizontal pass of sse and avx2 over one row: two W-lane vectors of
 * 16-bit vertical sums a step, rounded, narrowed to bytes by PACK_STORE. */
#define HORIZONTAL_2X(isa, V, W, LOAD, ADD, SRLI, PACK_STORE)                                  \
    for (x = 2; x + 2 * (W) + 2 <= w; x += 2 * (W)) {                                          \
        V s[2];                                                                                \
        for (int k = 0; k < 2; k++) {                                                          \
            const uint16_t *q = row + x + (W) * k;                                             \
            V t = taps_##isa(LOAD(q - 2), LOAD(q - 1), LOAD(q), LOAD(q + 1), LOAD(q + 2));     \
            s[k] = SRLI(ADD(t, half), 8);                                                      \
        }                                                                                      \
        PACK_STORE(o + x, s[0], s[1]);                                                         \
    }                                                                                          \
    horizontal_tail(row, o, w, x);

#if defined(__x86_64__)
TAPS(sse, , __m128i, _mm_add_epi16, _mm_slli_epi16)
#define PACK_STORE128(p, a, b) _mm_storeu_si128((__m128i *)(p), _mm_packus_epi16(a, b))

FB_HOT void blur_sse(const uint8_t *in, uint8_t *out, uint16_t *row, size_t w, size_t h)
{
    const __m128i z = _mm_setzero_si128(), half = _mm_set1_epi16(128);
    for (size_t y = 2; y + 2 < h; y++) {
        const uint8_t *r0 = in + (y - 2) * w;
        size_t x = 0;
        for (; x + 16 <= w; x += 16) {
            __m128i v[5];
            for (int k = 0; k < 5; k++) v[k] = _mm_loadu_si128((const __m128i *)(r0 + k * w + x));
#define LO(k) _mm_unpacklo_epi8(v[k], z)
#define HI(k) _mm_unpackhi_epi8(v[k], z)
            _mm_storeu_si128((__m128i *)(row + x), taps_sse(LO(0), LO(1), LO(2), LO(3), LO(4)));
            _mm_storeu_si128((__m128i *)(row + x + 8), taps_sse(HI(0), HI(1), HI(2), HI(3), HI(4)));
#undef LO
#undef HI
        }
        vertical_tail(r0, w, row, x);
        uint8_t *o = out + y * w;
        HORIZONTAL_2X(sse, __m128i, 8, LOADU_SI128, _mm_add_epi16, _mm_srli_epi16, PACK_STORE128)
    }
}

TAPS(avx2, __attribute__((target("avx2"))), __m256i, _mm256_add_epi16, _mm256_slli_epi16)
/* vpackuswb packs within 128-bit halves: [a lo, b lo, a hi, b hi]. */
#define PACK_STORE256(p, a, b)                                                                 \
    _mm256_storeu_si256((__m256i *)(p), _mm256_permute4x64_epi64(_mm256_packus_epi16(a, b), 0xd8))

__attribute__((target("avx2"))) FB_HOT void blur_avx2(const uint8_t *in, uint8_t *out, uint16_t *row,
                                                      size_t w, size_t h)
{
    const __m256i half = _mm256_set1_epi16(128);
    for (size_t y = 2; y + 2 < h; y++) {
        const uint8_t *r0 = in + (y - 2) * w;
        size_t x = 0;
        for (; x + 16 <= w; x += 16) {
#define W16(k) _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(r0 + (k) * w + x)))
            _mm256_storeu_si256((__m256i *)(row + x), taps_avx2(W16(0), W16(1), W16(2), W16(3), W16(4)));
#undef W16
        }
        vertical_tail(r0, w, row, x);
        uint8_t *o = out + y * w;
        HORIZONTAL_2X(avx2, __m256i, 16, LOADU_SI256, _mm256_add_epi16, _mm256_srli_epi16, PACK_STORE256)
    }
}

TAPS(avx512, __attribute__((target("avx512bw,avx512vl"))), __m512i, _mm512_add_epi16, _mm512_slli_epi16)

__attribute__((target("avx512bw,avx512vl"))) FB_HOT void blur_avx512(const uint8_t *in, uint8_t *out, uint16_t *row,
                                                            size_t w, size_t h)
{
    const __m512i half = _mm512_set1_epi16(128);
    for (size_t y = 2; y + 2 < h; y++) {
        const uint8_t *r0 = in + (y - 2) * w;
        for (size_t x = 0; x < w; x += 32) {
            __mmask32 m = w - x >= 32 ? ~(__mmask32)0 : (((__mmask32)1 << (w - x)) - 1);
#define W16(k) _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(m, r0 + (k) * w + x))
            _mm512_mask_storeu_epi16(row + x, m, taps_avx512(W16(0), W16(1), W16(2), W16(3), W16(4)));
#undef W16
        }
        uint8_t *o = out + y * w;
        for (size_t x = 2; x + 2 < w; x += 32) {
            size_t left = w - 2 - x; /* outputs still to write in this row */
            __mmask32 m = left >= 32 ? ~(__mmask32)0 : (((__mmask32)1 << left) - 1);
            const uint16_t *q = row + x;
#define L(off) _mm512_maskz_loadu_epi16(m, q + (off))
            __m512i s = _mm512_srli_epi16(_mm512_add_epi16(taps_avx512(L(-2), L(-1), L(0), L(1), L(2)), half), 8);
#undef L
            _mm256_mask_storeu_epi8(o + x, m, _mm512_cvtepi16_epi8(s));
        }
    }
}
#endif

#if defined(__aarch64__)
TAPS(neon, , uint16x8_t, vaddq_u16, vshlq_n_u16)

FB_HOT void blur_neon(const uint8_t *in, uint8_t *out, uint16_t *row, size_t w, size_t h)
{
    for (size_t y = 2; y + 2 < h; y++) {
        const uint8_t *r0 = in + (y - 2) * w;
        size_t x = 0;
        for (; x + 16 <= w; x += 16) {
            uint8x16_t v[5];
            for (int k = 0; k < 5; k++) v[k] = vld1q_u8(r0 + k * w + x);
#define LO(k) vmovl_u8(vget_low_u8(v[k]))
#define HI(k) vmovl_high_u8(v[k])
            vst1q_u16(row + x, taps_neon(LO(0), LO(1), LO(2), LO(3), LO(4)));
            vst1q_u16(row + x + 8, taps_neon(HI(0), HI(1), HI(2), HI(3), HI(4)));
#undef LO
#undef HI
        }
        vertical_tail(r0, w, row, x);
        uint8_t *o = out + y * w;
        for (x = 2; x + 16 + 2 <= w; x += 16) {
            uint8x8_t r[2];
            for (int k = 0; k < 2; k++) {
                const uint16_t *q = row + x + 8 * k;
                /* vrshrn_n_u16(s, 8) = (s + 128) >> 8, narrowed to bytes. */
                r[k] = vrshrn_n_u16(taps_neon(vld1q_u16(q - 2), vld1q_u16(q - 1), vld1q_u16(q),
                                              vld1q_u16(q + 1), vld1q_u16(q + 2)), 8);
            }
            vst1q_u8(o + x, vcombine_u8(r[0], r[1]));
        }
        horizontal_tail(row, o, w, x);
    }
}
#endif

static void run_direct2d(void *p)
{
    state *st = p;
    blur_direct2d(st->in, st->out, st->w, st->h);
}
#define RUNNER(variant)                                                                        \
    static void run_##variant(void *p)                                                         \
    {                                                                                          \
        state *st = p;                                                                         \
        blur_##variant(st->in, st->out, st->row, st->w, st->h);                                \
    }
RUNNER(scalar) RUNNER(autovec) RUNNER(vecext)
SIMD_INTRINSIC_VARIANTS(RUNNER)

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->w = WIDTH;
    st->h = ctx->n / WIDTH < 5 ? 5 : ctx->n / WIDTH;
    size_t pixels = st->w * st->h;
    st->in = fb_alloc(pixels);
    st->out = fb_calloc(pixels, 1);
    st->row = fb_calloc(st->w, sizeof *st->row);
    fb_rng rng = fb_rng_seeded(ctx->seed);
    /* Random bytes, with whole rows of 255 now and then so the 16-bit
     * maximum (65280 + 128) is reached. */
    for (size_t y = 0; y < st->h; y++) {
        bool bright = fb_rng_below(&rng, 8) == 0;
        for (size_t x = 0; x < st->w; x++) st->in[y * st->w + x] = bright ? 255 : (uint8_t)fb_rng_next(&rng);
    }
    /* And one guaranteed all-255 5x5 window (top left). */
    for (size_t y = 0; y < 5; y++) memset(st->in + y * st->w, 255, 40);
    return st;
}

static void prepare(void *p, const fb_variant *v)
{
    (void)v;
    state *st = p;
    memset(st->out, 0, st->w * st->h);
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    size_t w = st->w;
    for (size_t y = 0; y < st->h; y++) {
        for (size_t x = 0; x < w; x++) {
            unsigned want = 0;
            if (y >= 2 && y + 2 < st->h && x >= 2 && x + 2 < w) {
                unsigned s = 0;
                for (int j = 0; j < 5; j++)
                    for (int i = 0; i < 5; i++)
                        s += (unsigned)(taps[j] * taps[i]) * st->in[(y + j - 2) * w + x + i - 2];
                want = (s + 128) >> 8;
            }
            if (st->out[y * w + x] != want) {
                snprintf(why, len, "pixel (%zu, %zu) = %u, reference %u", x, y, st->out[y * w + x], want);
                return false;
            }
        }
    }
    return true;
}

FB_CHECKSUM(st->out, st->w * st->h)

static double items(void *p)
{
    state *st = p;
    return (double)(st->w * st->h);
}

static void teardown(void *p)
{
    state *st = p;
    free(st->in);
    free(st->out);
    free(st->row);
    free(st);
}

static const fb_variant variants[] = {
    {"direct2d", run_direct2d, 0, "direct 5x5 form (25 taps) left to the compiler"},
    {"scalar", run_scalar, 0, "separable, vectorizer off: 10 taps per pixel"},
    {"autovec", run_autovec, 0, "separable plain loops: 16-bit vertical, 32-bit horizontal"},
    {"vecext", run_vecext, 0, "separable, native-width uint16 vector extensions"},
    ON_X86({"sse", run_sse, 0, "SSE2 separable, 16-bit lanes, packuswb"},
           {"avx2", run_avx2, FB_ISA_AVX2, "AVX2 separable, vpmovzxbw + vpackuswb/vpermq"},
           {"avx512", run_avx512, FB_ISA_AVX512BW | FB_ISA_AVX512VL, "AVX-512BW separable, masked row tails"},)
    ON_ARM64({"neon", run_neon, FB_ISA_NEON, "NEON separable, vrshrn rounding narrow"},)
};

static const fb_kernel kernel = {
    .family = "simd",
    .name = "blur",
    .summary = "5x5 binomial blur of a uint8 image: separable, exact in 16-bit lanes",
    .unit = "pixels",
    .sizes = {13 * WIDTH, 97 * WIDTH, 256 * WIDTH},
    .reps = {1, 5, 60},
    FB_HOOKS(setup, prepare, check, checksum, items, NULL, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
