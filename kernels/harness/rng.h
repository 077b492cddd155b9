/* Deterministic pseudo-random numbers for kernel inputs (xoshiro256**). */
#ifndef FLAGBENCH_RNG_H
#define FLAGBENCH_RNG_H

#include <stdint.h>

typedef struct fb_rng {
    uint64_t s[4];
} fb_rng;

void fb_rng_seed(fb_rng *r, uint64_t seed);
/* A generator seeded with `seed`: fb_rng rng = fb_rng_seeded(ctx->seed). */
static inline fb_rng fb_rng_seeded(uint64_t seed)
{
    fb_rng r;
    fb_rng_seed(&r, seed);
    return r;
}
/* An xor-shift-multiply finalizer (murmur3's fmix64 and its kin) applied
 * to the variable x in place: a bijection on 64-bit integers for odd m1,
 * m2; the constants are all that tell these mixers apart.  A macro, not a
 * function: as an inline function GCC 12 allocates registers differently in
 * the loops that use it. */
#define FB_XMX64(x, a, m1, b, m2, c)                                                           \
    ((x) ^= (x) >> (a), (x) *= (m1), (x) ^= (x) >> (b), (x) *= (m2), (x) ^= (x) >> (c))
/* splitmix64's finalizer, the same mixer with its constants: it spreads
 * every input bit over the output, so mix(seed-dependent base + i) gives a
 * seeded value for item i with no generator state (kernels that fill in
 * parallel).  Spelled as expressions rather than with FB_XMX64, which GCC
 * 12 compiles to other code where the measured loops use it. */
static inline uint64_t fb_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static inline uint64_t fb_rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static inline uint64_t fb_rng_next(fb_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = fb_rotl64(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = fb_rotl64(s[3], 45);
    return result;
}
/* Uniform in [0, bound) without modulo bias (Lemire's method). */
static inline uint64_t fb_rng_below(fb_rng *r, uint64_t bound)
{
    __uint128_t m = (__uint128_t)fb_rng_next(r) * bound;
    uint64_t lo = (uint64_t)m;
    if (lo < bound) {
        uint64_t threshold = -bound % bound;
        while (lo < threshold) {
            m = (__uint128_t)fb_rng_next(r) * bound;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}
/* Uniform double in [0, 1) with 53 random bits. */
static inline double fb_rng_double(fb_rng *r) { return (double)(fb_rng_next(r) >> 11) * 0x1.0p-53; }
/* Uniform float in [lo, hi), the same in every build.  Computed in double,
 * where the product of a 24-bit fraction and hi-lo is exact whenever hi-lo
 * has at most 29 significant bits (every simple range does): then an FMA
 * contraction (-march=x86-64-v3, aarch64) rounds exactly like a separate
 * multiply and add, so the inputs cannot depend on the flags under test. */
static inline float fb_rng_float(fb_rng *r, float lo, float hi)
{
    double x = (double)(fb_rng_next(r) >> 40) * 0x1.0p-24;
    return (float)((double)lo + ((double)hi - (double)lo) * x);
}

#endif
