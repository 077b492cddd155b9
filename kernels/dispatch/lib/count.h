/* Shared code of the dispatch family (header only; not a kernel).
 *
 * Every dispatch kernel computes the same function, count_bytes(p, n, c):
 * how many bytes of p[0..n) equal c.  It is exact, so every path and every
 * build must give the same total, and the checksum is the same everywhere.
 *
 * The paths:
 *   portable  plain C, written in 64-byte and then 16-byte blocks whose inner
 *             loops have a constant trip count (so even GCC 12 -O2's
 *             very-cheap cost model vectorizes them for whatever target it is
 *             compiled for), then a scalar tail of at most 15 bytes
 *   sse2      the x86-64 baseline: pcmpeqb/psubb byte counters, psadbw, and an
 *             overlapping last vector masked from a table instead of a scalar
 *             tail
 *   avx2      the same with 32-byte vectors (function-level target attribute);
 *             16..31 bytes as two overlapping 16-byte vectors
 *   avx512    vpcmpeqb into a 64-bit mask + popcnt, masked load for the tail
 *   neon      aarch64: vceqq/vsubq byte counters, vaddlvq, masked overlap tail
 * and count_select() picks the best path for a feature set: the ONE place
 * the preference order is written, used by every dispatcher that can call a
 * function (cpuid, lazy, the harness-checked paths of ifunc and clones).
 *
 * The workload: a buffer of bytes from a 16-letter alphabet, cut into
 * consecutive segments of 16..112 bytes (64 on average), each with its own
 * needle.  One repetition counts every segment with one call, so the cost of
 * reaching the function (direct call, pointer, PLT/ifunc) is paid once per
 * ~64 bytes and is visible next to the ~10-30 cycles a SIMD count takes.
 */
#ifndef FLAGBENCH_DISPATCH_COUNT_H
#define FLAGBENCH_DISPATCH_COUNT_H

#include "harness.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

typedef size_t (*count_fn)(const uint8_t *p, size_t n, uint8_t c);

/* The block accumulators are unsigned int, not uint8_t: GCC 12.2 at
 * -O3 -march=x86-64-v4 miscompiles the uint8_t form (its SLP vectorizer sums
 * the 0/-1 vpcmpeqb lanes with vpsadbw and forgets to negate, so one match
 * counts 255); the unsigned form is compiled correctly and still
 * vectorizes at -O2. */
static inline size_t count_portable(const uint8_t *p, size_t n, uint8_t c)
{
    size_t k = 0, i = 0;
    for (; i + 64 <= n; i += 64) {
        unsigned acc = 0;
        for (int j = 0; j < 64; j++) acc += p[i + j] == c;
        k += acc;
    }
    for (; i + 16 <= n; i += 16) { /* short inputs: 16-byte blocks, then <= 15 bytes */
        unsigned acc = 0;
        for (int j = 0; j < 16; j++) acc += p[i + j] == c;
        k += acc;
    }
    for (; i < n; i++) k += p[i] == c;
    return k;
}

/* 0x00 x 64 then 0xff x 64: a W-byte load at offset 64 - W + r gives a mask
 * whose last r bytes are set (0 <= r <= W). */
static const uint8_t count_tail_mask[128] __attribute__((unused)) = {
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

#if defined(__x86_64__)
/* The block loop of sse2 and avx2, over W-byte vectors V: up to 255 vectors
 * into byte counters (acc - (-1) per match), an overlapping last vector
 * masked from the table instead of a scalar tail when OVERLAP holds, then a
 * sum of absolute differences flushes the counters into total's 64-bit
 * lanes.  Expects p, n, i, vc, zero and total in scope. */
#define COUNT_BLOCKS(V, W, LOAD, CMPEQ, SUB, AND, ADD64, SAD, OVERLAP)                         \
    while (i + (W) <= n) {                                                                     \
        V acc = zero;                                                                          \
        size_t steps = (n - i) / (W);                                                          \
        if (steps > 255) steps = 255;                                                          \
        for (size_t s = 0; s < steps; s++, i += (W))                                           \
            acc = SUB(acc, CMPEQ(LOAD((const V *)(p + i)), vc));                               \
        if (OVERLAP) {                                                                         \
            V m = LOAD((const V *)(count_tail_mask + (64 - (W)) + (n - i)));                   \
            V e = CMPEQ(LOAD((const V *)(p + n - (W))), vc);                                   \
            acc = SUB(acc, AND(e, m));                                                         \
            i = n;                                                                             \
        }                                                                                      \
        total = ADD64(total, SAD(acc, zero));                                                  \
    }

static inline size_t count_sse2(const uint8_t *p, size_t n, uint8_t c)
{
    const __m128i vc = _mm_set1_epi8((char)c), zero = _mm_setzero_si128();
    __m128i total = zero;
    size_t i = 0;
    COUNT_BLOCKS(__m128i, 16, _mm_loadu_si128, _mm_cmpeq_epi8, _mm_sub_epi8, _mm_and_si128, _mm_add_epi64,
                 _mm_sad_epu8, i < n && i + 16 > n && n >= 16)
    size_t k = (size_t)_mm_cvtsi128_si64(total) + (size_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(total, total));
    for (; i < n; i++) k += p[i] == c;
    return k;
}

__attribute__((target("avx2"))) static inline size_t count_avx2(const uint8_t *p, size_t n, uint8_t c)
{
    const __m256i vc = _mm256_set1_epi8((char)c), zero = _mm256_setzero_si256();
    __m256i total = zero;
    size_t i = 0;
    COUNT_BLOCKS(__m256i, 32, _mm256_loadu_si256, _mm256_cmpeq_epi8, _mm256_sub_epi8, _mm256_and_si256,
                 _mm256_add_epi64, _mm256_sad_epu8, i < n && i + 32 > n)
    __m128i t = _mm_add_epi64(_mm256_castsi256_si128(total), _mm256_extracti128_si256(total, 1));
    if (i < n && n >= 16) {
        /* 16 <= n < 32: one 16-byte vector and an overlapping masked one. */
        const __m128i vc16 = _mm256_castsi256_si128(vc), z16 = _mm_setzero_si128();
        __m128i e0 = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)p), vc16);
        __m128i m = _mm_loadu_si128((const __m128i *)(count_tail_mask + 48 + (n - 16)));
        __m128i e1 = _mm_and_si128(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + n - 16)), vc16), m);
        t = _mm_add_epi64(t, _mm_sad_epu8(_mm_sub_epi8(_mm_sub_epi8(z16, e0), e1), z16));
        i = n;
    }
    size_t k = (size_t)_mm_cvtsi128_si64(t) + (size_t)_mm_extract_epi64(t, 1);
    for (; i < n; i++) k += p[i] == c; /* only when n < 16 */
    return k;
}

__attribute__((target("avx512bw,popcnt"))) static inline size_t count_avx512(const uint8_t *p, size_t n,
                                                                            uint8_t c)
{
    const __m512i vc = _mm512_set1_epi8((char)c);
    size_t k = 0, i = 0;
    for (; i + 64 <= n; i += 64)
        k += (size_t)_mm_popcnt_u64(_mm512_cmpeq_epi8_mask(_mm512_loadu_si512(p + i), vc));
    if (i < n) {
        __mmask64 m = ((__mmask64)1 << (n - i)) - 1; /* n - i < 64 */
        k += (size_t)_mm_popcnt_u64(_mm512_mask_cmpeq_epi8_mask(m, _mm512_maskz_loadu_epi8(m, p + i), vc));
    }
    return k;
}
#endif

#if defined(__aarch64__)
static inline size_t count_neon(const uint8_t *p, size_t n, uint8_t c)
{
    const uint8x16_t vc = vdupq_n_u8(c);
    size_t k = 0, i = 0;
    while (i + 16 <= n) {
        uint8x16_t acc = vdupq_n_u8(0);
        size_t steps = (n - i) / 16;
        if (steps > 255) steps = 255;
        for (size_t s = 0; s < steps; s++, i += 16) acc = vsubq_u8(acc, vceqq_u8(vld1q_u8(p + i), vc));
        if (i < n && i + 16 > n) {
            uint8x16_t m = vld1q_u8(count_tail_mask + 48 + (n - i));
            acc = vsubq_u8(acc, vandq_u8(vceqq_u8(vld1q_u8(p + n - 16), vc), m));
            i = n;
        }
        k += vaddlvq_u8(acc);
    }
    for (; i < n; i++) k += p[i] == c;
    return k;
}
#endif

/* Out-of-line copies, so every path has an address (pointer and ifunc
 * dispatch) and a symbol in the assembly. */
static __attribute__((noinline, unused)) size_t count_portable_fn(const uint8_t *p, size_t n, uint8_t c)
{
    return count_portable(p, n, c);
}

typedef struct {
    const char *name;
    count_fn fn;
    fb_isa isa;
    const char *symbol; /* fn's symbol in the binary, for fb_note_dispatch */
} count_path;

/* Best first; the last entry needs nothing. */
static const count_path count_paths[] __attribute__((unused)) = {
#if defined(__x86_64__)
    {"avx512", count_avx512, FB_ISA_AVX512BW | FB_ISA_POPCNT, "count_avx512"},
    {"avx2", count_avx2, FB_ISA_AVX2, "count_avx2"},
    {"sse2", count_sse2, 0, "count_sse2"},
#elif defined(__aarch64__)
    {"neon", count_neon, FB_ISA_NEON, "count_neon"},
    {"portable", count_portable_fn, 0, "count_portable_fn"},
#else
    {"portable", count_portable_fn, 0, "count_portable_fn"},
#endif
};

static inline const count_path *count_select(fb_isa features)
{
    for (size_t i = 0; i < FB_COUNT(count_paths); i++)
        if ((count_paths[i].isa & features) == count_paths[i].isa) return &count_paths[i];
    return &count_paths[FB_COUNT(count_paths) - 1];
}

/* ---- the workload ------------------------------------------------------ */

typedef struct {
    uint32_t off;
    uint8_t len;
    uint8_t needle;
} count_segment;

typedef struct {
    size_t n, nseg;
    uint8_t *buf;
    count_segment *seg;
    uint64_t total;   /* the last repetition's result */
    const char *path; /* the path a dispatching variant used, for the check and the report */
    const char *note; /* kernel-specific remark for the report */
} count_state;

static inline count_state *count_setup(const fb_ctx *ctx)
{
    count_state *st = fb_calloc(1, sizeof *st);
    size_t n = ctx->n;
    st->n = n;
    st->buf = fb_alloc(n);
    st->seg = fb_alloc((n / 16 + 1) * sizeof *st->seg);
    fb_rng rng = fb_rng_seeded(ctx->seed);
    for (size_t i = 0; i < n; i++) st->buf[i] = (uint8_t)('a' + fb_rng_below(&rng, 16));
    size_t off = 0, k = 0;
    while (off < n) {
        size_t len = 16 + (size_t)fb_rng_below(&rng, 97);
        if (len > n - off) len = n - off;
        st->seg[k].off = (uint32_t)off;
        st->seg[k].len = (uint8_t)len;
        st->seg[k].needle = (uint8_t)('a' + fb_rng_below(&rng, 16));
        off += len, k++;
    }
    st->nseg = k;
    return st;
}

static inline void count_prepare(void *p, const fb_variant *v)
{
    (void)v;
    count_state *st = p;
    st->total = ~(uint64_t)0;
}

/* The total must match a plain byte loop; a dispatching variant must also
 * have used the path count_select() gives for the harness's features, so
 * FLAGBENCH_ISA_MAX=baseline proves the fallback ran (and was correct). */
static inline bool count_check(count_state *st, const char *expected_path, char *why, size_t len)
{
    uint64_t want = 0;
    for (size_t s = 0; s < st->nseg; s++)
        for (size_t i = 0; i < st->seg[s].len; i++) want += st->buf[st->seg[s].off + i] == st->seg[s].needle;
    if (st->total != want) {
        snprintf(why, len, "total = %llu, reference %llu (path %s)", (unsigned long long)st->total,
                 (unsigned long long)want, st->path ? st->path : "-");
        return false;
    }
    if (expected_path && (!st->path || strcmp(st->path, expected_path) != 0)) {
        snprintf(why, len, "dispatched to %s, but the best path for the usable features is %s",
                 st->path ? st->path : "(none)", expected_path);
        return false;
    }
    return true;
}

static inline uint64_t count_checksum(void *p) { return fb_hash_u64(((count_state *)p)->total); }

static inline void count_teardown(void *p)
{
    count_state *st = p;
    free(st->buf);
    free(st->seg);
    free(st);
}

/* The segment loop, the same in every variant; CALL is how it reaches the
 * counting function. */
#define COUNT_SEGMENTS(st, CALL)                                                               \
    do {                                                                                       \
        uint64_t total_ = 0;                                                                   \
        const count_segment *seg_ = (st)->seg;                                                 \
        for (size_t s_ = 0; s_ < (st)->nseg; s_++)                                             \
            total_ += CALL((st)->buf + seg_[s_].off, seg_[s_].len, seg_[s_].needle);           \
        (st)->total = total_;                                                                  \
    } while (0)

/* ---- harness glue ------------------------------------------------------- */

/* run_<variant>: runs the hot function prefix_<variant>(st) and records
 * path_name as the path it used, for the check and the report. */
#define COUNT_RUNNER(prefix, variant, path_name)                                               \
    static void run_##variant(void *p)                                                         \
    {                                                                                          \
        count_state *st = p;                                                                   \
        prefix##_##variant(st);                                                                \
        st->path = (path_name);                                                                \
    }

/* The descriptor fields every dispatch kernel shares: the count workload's
 * unit, sizes and repetitions, and its hooks (setup, check and report are
 * each kernel's own, around count_setup/count_check/count_report_path). */
#define COUNT_KERNEL_FIELDS                                                                    \
    .unit = "bytes", .sizes = {1003, 60013, 262144}, .reps = {1, 50, 1500},                    \
    FB_HOOKS(setup, count_prepare, check, count_checksum, NULL, report, count_teardown)

/* The path a variant used, in its JSON line: as "dispatched" for a variant
 * that dispatches at run time (and its function's symbol noted as the
 * harness's "dispatch", looked up in `paths` by name), as "path" for one that
 * calls a fixed path. */
static inline void count_report_path(const count_state *st, bool dispatching, const count_path *paths,
                                     size_t npaths, fb_json *out)
{
    if (!st->path) return;
    fb_json_str(out, dispatching ? "dispatched" : "path", st->path);
    for (size_t i = 0; dispatching && i < npaths; i++)
        if (!strcmp(paths[i].name, st->path)) fb_note_dispatch(paths[i].symbol);
}

#endif
