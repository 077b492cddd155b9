/* simd/mandelbrot: escape-time Mandelbrot with per-lane masks.
 *
 * Sizes: n is the image height; the width is 6n/5 rounded up to odd (a
 *   vector tail in every row), an item is a pixel, MAX_ITER = 256, the view
 *   [-2.25, 0.75] x [-1.25, 1.25].  test 23 rows (27 x 23), train 101, ref
 *   160 (193 x 160 = 30880 pixels).  The output (uint16 per pixel, 60 KiB at
 *   ref) and the coordinate tables fit in L2; the kernel is compute-bound
 *   (hundreds of flops per byte).
 * Sensitive to: march (vecext width), compiler and extra flags that change
 *   float semantics (-ffast-math, -ffp-contract=fast would be caught by the
 *   check's tolerance and the checksum), little else.
 * Correctness: the iteration counts are compared with a scalar reference
 *   (same operations, contraction off).  The check passes when at most
 *   ceil(pixels / 400) pixels (0.25%) differ, by any amount: an allowance for
 *   builds that change float semantics (FB_EXTRA_CFLAGS=-ffast-math makes
 *   each variant reassociate differently: up to 40 of 30880 pixels, 0.13%,
 *   differ at ref with GCC 12 and Clang 14/19), small enough that a wrong
 *   lane or tail (one pixel per row is 0.5% at ref, and more at test) still
 *   fails.  In every standard configuration no pixel differs.  The JSON
 *   field differing_pixels reports how many did, and the checksum (hash of
 *   the counts) changes as soon as one does.
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

FB_PRAGMA_NO_CONTRACT

enum { MAX_ITER = 256, PAD = 32 };

typedef struct {
    size_t w, h, stride; /* stride: w rounded up to PAD; extra lanes escape at once */
    float *cx, *cy;
    uint16_t *out;
    long differing;
} state;

NO_CONTRACT static inline uint16_t escape_count(float cx, float cy)
{
    float zx = 0.0f, zy = 0.0f;
    int it = 0;
    for (; it < MAX_ITER; it++) {
        float x2 = zx * zx, y2 = zy * zy;
        if (!(x2 + y2 <= 4.0f)) break;
        zy = (zx + zx) * zy + cy; /* 2*zx*zy + cy: a product used once, fusable */
        zx = x2 - y2 + cx;
    }
    return (uint16_t)it;
}

NO_CONTRACT FB_HOT void mandelbrot_scalar(const float *cx, const float *cy, uint16_t *out, size_t w, size_t h,
                                          size_t stride)
{
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++) out[y * stride + x] = escape_count(cx[x], cy[y]);
}

NO_CONTRACT FB_HOT void mandelbrot_vecext(const float *cx, const float *cy, uint16_t *out, size_t w, size_t h,
                                          size_t stride)
{
    const vnf four = (vnf){0} + 4.0f;
    for (size_t y = 0; y < h; y++) {
        const vnf ci = (vnf){0} + cy[y];
        for (size_t x = 0; x < w; x += 2 * VNF_LANES) {
            vnf cr0, cr1;
            VLOAD(cr0, cx + x), VLOAD(cr1, cx + x + VNF_LANES);
            vnf zx0 = {0}, zy0 = {0}, zx1 = {0}, zy1 = {0};
            vni live0 = ~(vni){0}, live1 = ~(vni){0}, n0 = {0}, n1 = {0};
            for (int it = 0; it < MAX_ITER; it++) {
                vnf x20 = zx0 * zx0, y20 = zy0 * zy0, x21 = zx1 * zx1, y21 = zy1 * zy1;
                live0 &= (x20 + y20 <= four);
                live1 &= (x21 + y21 <= four);
                vni any = live0 | live1;
                int32_t t = 0;
                for (int l = 0; l < VNF_LANES; l++) t |= any[l];
                if (!t) break;
                n0 -= live0, n1 -= live1;
                zy0 = (zx0 + zx0) * zy0 + ci, zy1 = (zx1 + zx1) * zy1 + ci;
                zx0 = x20 - y20 + cr0, zx1 = x21 - y21 + cr1;
            }
            for (int l = 0; l < VNF_LANES; l++) {
                out[y * stride + x + (size_t)l] = (uint16_t)n0[l];
                out[y * stride + x + VNF_LANES + (size_t)l] = (uint16_t)n1[l];
            }
        }
    }
}

#if defined(__x86_64__)
/* sse and avx2: two W-lane vectors of pixels, all-ones lanes while a pixel
 * has not escaped, and counts that grow by subtracting the -1 of a live lane.
 * P is the intrinsics' prefix (_mm, _mm256) and SI their integer vector
 * suffix (si128, si256); BREAK_IF_NONE_LIVE leaves the iteration once no
 * lane of live0 | live1 is set, STORE_COUNTS narrows n0, n1 to 16 bits. */
#define MANDEL_2X(isa, ATTR, V, VI, W, P, SI, LE, BREAK_IF_NONE_LIVE, STORE_COUNTS)                \
    NO_CONTRACT ATTR FB_HOT void mandelbrot_##isa(const float *cx, const float *cy, uint16_t *out, \
                                                  size_t w, size_t h, size_t stride)               \
    {                                                                                              \
        const V four = P##_set1_ps(4.0f);                                                          \
        for (size_t y = 0; y < h; y++) {                                                           \
            const V ci = P##_set1_ps(cy[y]);                                                       \
            for (size_t x = 0; x < w; x += 2 * (W)) {                                              \
                const V cr0 = P##_loadu_ps(cx + x), cr1 = P##_loadu_ps(cx + x + (W));              \
                V zx0 = P##_setzero_ps(), zy0 = zx0, zx1 = zx0, zy1 = zx0;                         \
                V live0 = P##_cast##SI##_ps(P##_set1_epi32(-1)), live1 = live0;                    \
                VI n0 = P##_setzero_##SI(), n1 = n0;                                               \
                for (int it = 0; it < MAX_ITER; it++) {                                            \
                    V x20 = P##_mul_ps(zx0, zx0), y20 = P##_mul_ps(zy0, zy0);                      \
                    V x21 = P##_mul_ps(zx1, zx1), y21 = P##_mul_ps(zy1, zy1);                      \
                    live0 = P##_and_ps(live0, LE(P##_add_ps(x20, y20), four));                     \
                    live1 = P##_and_ps(live1, LE(P##_add_ps(x21, y21), four));                     \
                    BREAK_IF_NONE_LIVE                                                             \
                    n0 = P##_sub_epi32(n0, P##_castps_##SI(live0));                                \
                    n1 = P##_sub_epi32(n1, P##_castps_##SI(live1));                                \
                    zy0 = P##_add_ps(P##_mul_ps(P##_add_ps(zx0, zx0), zy0), ci);                   \
                    zy1 = P##_add_ps(P##_mul_ps(P##_add_ps(zx1, zx1), zy1), ci);                   \
                    zx0 = P##_add_ps(P##_sub_ps(x20, y20), cr0);                                   \
                    zx1 = P##_add_ps(P##_sub_ps(x21, y21), cr1);                                   \
                }                                                                                  \
                STORE_COUNTS                                                                       \
            }                                                                                      \
        }                                                                                          \
    }

#define LE_SSE(a, b) _mm_cmple_ps(a, b)
#define BREAK_IF_NONE_LIVE_SSE                                                                 \
    if (!_mm_movemask_ps(_mm_or_ps(live0, live1))) break;
#define STORE_COUNTS_SSE                                                                       \
    uint32_t c[8];                                                                             \
    _mm_storeu_si128((__m128i *)c, n0);                                                        \
    _mm_storeu_si128((__m128i *)(c + 4), n1);                                                  \
    for (int l = 0; l < 8; l++) out[y * stride + x + (size_t)l] = (uint16_t)c[l];
MANDEL_2X(sse, , __m128, __m128i, 4, _mm, si128, LE_SSE, BREAK_IF_NONE_LIVE_SSE, STORE_COUNTS_SSE)

#define LE_AVX(a, b) _mm256_cmp_ps(a, b, _CMP_LE_OQ)
#define BREAK_IF_NONE_LIVE_AVX                                                                 \
    __m256 any = _mm256_or_ps(live0, live1);                                                   \
    if (_mm256_testz_ps(any, any)) break;
/* 32-bit counts to 16-bit, in order: vpackusdw works per 128-bit half. */
#define STORE_COUNTS_AVX2                                                                      \
    __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(n0, n1), 0xd8);              \
    _mm256_storeu_si256((__m256i *)(out + y * stride + x), packed);
MANDEL_2X(avx2, __attribute__((target("avx2"))), __m256, __m256i, 8, _mm256, si256, LE_AVX,
          BREAK_IF_NONE_LIVE_AVX, STORE_COUNTS_AVX2)

NO_CONTRACT __attribute__((target("avx512f"))) FB_HOT void mandelbrot_avx512(const float *cx, const float *cy,
                                                                             uint16_t *out, size_t w, size_t h,
                                                                             size_t stride)
{
    const __m512 four = _mm512_set1_ps(4.0f);
    const __m512i one = _mm512_set1_epi32(1);
    for (size_t y = 0; y < h; y++) {
        const __m512 ci = _mm512_set1_ps(cy[y]);
        for (size_t x = 0; x < w; x += 32) {
            const __m512 cr0 = _mm512_loadu_ps(cx + x), cr1 = _mm512_loadu_ps(cx + x + 16);
            __m512 zx0 = _mm512_setzero_ps(), zy0 = zx0, zx1 = zx0, zy1 = zx0;
            __mmask16 live0 = 0xffff, live1 = 0xffff;
            __m512i n0 = _mm512_setzero_si512(), n1 = n0;
            for (int it = 0; it < MAX_ITER; it++) {
                __m512 x20 = _mm512_mul_ps(zx0, zx0), y20 = _mm512_mul_ps(zy0, zy0);
                __m512 x21 = _mm512_mul_ps(zx1, zx1), y21 = _mm512_mul_ps(zy1, zy1);
                /* Compare only live lanes: dead lanes stay 0 in the mask. */
                live0 = _mm512_mask_cmp_ps_mask(live0, _mm512_add_ps(x20, y20), four, _CMP_LE_OQ);
                live1 = _mm512_mask_cmp_ps_mask(live1, _mm512_add_ps(x21, y21), four, _CMP_LE_OQ);
                if (!(live0 | live1)) break;
                n0 = _mm512_mask_add_epi32(n0, live0, n0, one);
                n1 = _mm512_mask_add_epi32(n1, live1, n1, one);
                /* Masked updates: an escaped lane keeps its last z. */
                zy0 = _mm512_mask_add_ps(zy0, live0, _mm512_mul_ps(_mm512_add_ps(zx0, zx0), zy0), ci);
                zy1 = _mm512_mask_add_ps(zy1, live1, _mm512_mul_ps(_mm512_add_ps(zx1, zx1), zy1), ci);
                zx0 = _mm512_mask_add_ps(zx0, live0, _mm512_sub_ps(x20, y20), cr0);
                zx1 = _mm512_mask_add_ps(zx1, live1, _mm512_sub_ps(x21, y21), cr1);
            }
            _mm256_storeu_si256((__m256i *)(out + y * stride + x), _mm512_cvtepi32_epi16(n0));
            _mm256_storeu_si256((__m256i *)(out + y * stride + x + 16), _mm512_cvtepi32_epi16(n1));
        }
    }
}
#endif

#if defined(__aarch64__)
NO_CONTRACT FB_HOT void mandelbrot_neon(const float *cx, const float *cy, uint16_t *out, size_t w, size_t h,
                                        size_t stride)
{
    const float32x4_t four = vdupq_n_f32(4.0f);
    for (size_t y = 0; y < h; y++) {
        const float32x4_t ci = vdupq_n_f32(cy[y]);
        for (size_t x = 0; x < w; x += 8) {
            const float32x4_t cr0 = vld1q_f32(cx + x), cr1 = vld1q_f32(cx + x + 4);
            float32x4_t zx0 = vdupq_n_f32(0), zy0 = zx0, zx1 = zx0, zy1 = zx0;
            uint32x4_t live0 = vdupq_n_u32(~0u), live1 = live0, n0 = vdupq_n_u32(0), n1 = n0;
            for (int it = 0; it < MAX_ITER; it++) {
                float32x4_t x20 = vmulq_f32(zx0, zx0), y20 = vmulq_f32(zy0, zy0);
                float32x4_t x21 = vmulq_f32(zx1, zx1), y21 = vmulq_f32(zy1, zy1);
                live0 = vandq_u32(live0, vcleq_f32(vaddq_f32(x20, y20), four));
                live1 = vandq_u32(live1, vcleq_f32(vaddq_f32(x21, y21), four));
                if (!vmaxvq_u32(vorrq_u32(live0, live1))) break;
                n0 = vsubq_u32(n0, live0), n1 = vsubq_u32(n1, live1);
                zy0 = vaddq_f32(vmulq_f32(vaddq_f32(zx0, zx0), zy0), ci);
                zy1 = vaddq_f32(vmulq_f32(vaddq_f32(zx1, zx1), zy1), ci);
                zx0 = vaddq_f32(vsubq_f32(x20, y20), cr0), zx1 = vaddq_f32(vsubq_f32(x21, y21), cr1);
            }
            vst1_u16(out + y * stride + x, vmovn_u32(n0));
            vst1_u16(out + y * stride + x + 4, vmovn_u32(n1));
        }
    }
}
#endif

#define RUNNER(variant)                                                                        \
    static void run_##variant(void *p)                                                         \
    {                                                                                          \
        state *st = p;                                                                         \
        mandelbrot_##variant(st->cx, st->cy, st->out, st->w, st->h, st->stride);               \
    }
RUNNER(scalar) RUNNER(vecext)
SIMD_INTRINSIC_VARIANTS(RUNNER)

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->h = ctx->n;
    st->w = (ctx->n * 6 + 4) / 5 | 1;
    st->stride = (st->w + PAD - 1) / PAD * PAD;
    st->cx = fb_alloc(st->stride * sizeof(float));
    st->cy = fb_alloc(st->h * sizeof(float));
    st->out = fb_calloc(st->stride * st->h, sizeof(uint16_t));
    st->differing = -1;
    /* Pixel centres, in double then rounded once, so every build gets the
     * same float coordinates. */
    for (size_t x = 0; x < st->stride; x++)
        st->cx[x] = x < st->w ? (float)(-2.25 + 3.0 * ((double)x + 0.5) / (double)st->w) : 4.0f;
    for (size_t y = 0; y < st->h; y++) st->cy[y] = (float)(-1.25 + 2.5 * ((double)y + 0.5) / (double)st->h);
    return st;
}

static void prepare(void *p, const fb_variant *v)
{
    (void)v;
    state *st = p;
    memset(st->out, 0xff, st->stride * st->h * sizeof(uint16_t)); /* 65535: never a valid count */
    st->differing = -1;
}

/* NO_CONTRACT here too: escape_count inlined into check must round like the variants. */
NO_CONTRACT static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    long differing = 0;
    size_t first_x = 0, first_y = 0;
    unsigned got0 = 0, want0 = 0;
    for (size_t y = 0; y < st->h; y++)
        for (size_t x = 0; x < st->w; x++) {
            unsigned want = escape_count(st->cx[x], st->cy[y]), got = st->out[y * st->stride + x];
            if (got != want && differing++ == 0) first_x = x, first_y = y, got0 = got, want0 = want;
        }
    st->differing = differing;
    long allowed = (long)((st->w * st->h + 399) / 400);
    if (differing <= allowed) return true;
    snprintf(why, len,
             "%ld pixels differ from the reference (at most %ld allowed); first at (%zu, %zu): %u, reference %u",
             differing, allowed, first_x, first_y, got0, want0);
    return false;
}

static uint64_t checksum(void *p)
{
    state *st = p;
    uint64_t h = FB_HASH_INIT;
    for (size_t y = 0; y < st->h; y++) h = fb_hash_bytes(st->out + y * st->stride, st->w * sizeof(uint16_t), h);
    return h;
}

static void report(void *p, const fb_variant *v, fb_json *out)
{
    (void)v;
    state *st = p;
    uint64_t iters = 0;
    for (size_t y = 0; y < st->h; y++)
        for (size_t x = 0; x < st->w; x++) iters += st->out[y * st->stride + x];
    fb_json_int(out, "iterations", (long long)iters);
    if (st->differing >= 0) fb_json_int(out, "differing_pixels", st->differing);
}

static double items(void *p)
{
    state *st = p;
    return (double)(st->w * st->h);
}

static void teardown(void *p)
{
    state *st = p;
    free(st->cx);
    free(st->cy);
    free(st->out);
    free(st);
}

static const fb_variant variants[] = {
    {"scalar", run_scalar, 0, "one pixel at a time, latency-bound"},
    {"vecext", run_vecext, 0, "vector-extension lane masks, 2 native vectors in flight"},
    ON_X86({"sse", run_sse, 0, "SSE cmpleps + movmskps masks, 2 x 4 lanes"},
           {"avx2", run_avx2, FB_ISA_AVX2, "AVX vcmpps + vtestps masks, 2 x 8 lanes"},
           {"avx512", run_avx512, FB_ISA_AVX512F, "AVX-512 mask registers, masked updates, 2 x 16 lanes"},)
    ON_ARM64({"neon", run_neon, FB_ISA_NEON, "NEON vcleq masks + vmaxvq any(), 2 x 4 lanes"},)
};

static const fb_kernel kernel = {
    .family = "simd",
    .name = "mandelbrot",
    .summary = "escape-time Mandelbrot: per-lane compare masks, contraction kept off",
    .unit = "pixels",
    .sizes = {23, 101, 160},
    .reps = {1, 3, 10},
    FB_HOOKS(setup, prepare, check, checksum, items, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
