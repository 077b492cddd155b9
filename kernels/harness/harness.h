/* flagbench kernel harness: the kernel contract in code.
 *
 * A kernel is one C file that fills in an fb_kernel and ends with
 * FB_KERNEL_MAIN(kernel).  The harness owns everything around the hot code:
 * the command line, deterministic inputs, warm-up and timing, the escape and
 * clobber barriers, the CPU feature check, correctness checking and the
 * JSON-line output.  docs/adding-a-kernel.md walks through a complete example.
 */
#ifndef FLAGBENCH_HARNESS_H
#define FLAGBENCH_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- CPU features ------------------------------------------------------
 * One bit per instruction-set extension a variant may need at run time.
 * fb_cpu_has() answers from cpuid/xgetbv (x86) or the auxiliary vector
 * (aarch64), so an OS that does not save AVX state counts as "no AVX". */
enum {
    FB_ISA_SSE3 = 1u << 0,
    FB_ISA_SSSE3 = 1u << 1,
    FB_ISA_SSE41 = 1u << 2,
    FB_ISA_SSE42 = 1u << 3,
    FB_ISA_POPCNT = 1u << 4,
    FB_ISA_AVX = 1u << 5,
    FB_ISA_AVX2 = 1u << 6,
    FB_ISA_FMA = 1u << 7,
    FB_ISA_BMI1 = 1u << 8,
    FB_ISA_BMI2 = 1u << 9,
    FB_ISA_F16C = 1u << 10,
    FB_ISA_LZCNT = 1u << 11,
    FB_ISA_MOVBE = 1u << 12,
    FB_ISA_AVX512F = 1u << 13,
    FB_ISA_AVX512DQ = 1u << 14,
    FB_ISA_AVX512CD = 1u << 15,
    FB_ISA_AVX512BW = 1u << 16,
    FB_ISA_AVX512VL = 1u << 17,
    FB_ISA_AVX512VNNI = 1u << 18,
    FB_ISA_AVX512VBMI = 1u << 19,
    FB_ISA_NEON = 1u << 24,
    FB_ISA_ASIMDDP = 1u << 25, /* aarch64 dot product */
    FB_ISA_SVE = 1u << 26,
};
/* The x86-64 micro-architecture levels, as feature sets. */
#define FB_ISA_X86_64_V2 (FB_ISA_SSE3 | FB_ISA_SSSE3 | FB_ISA_SSE41 | FB_ISA_SSE42 | FB_ISA_POPCNT)
#define FB_ISA_X86_64_V3                                                                        \
    (FB_ISA_X86_64_V2 | FB_ISA_AVX | FB_ISA_AVX2 | FB_ISA_FMA | FB_ISA_BMI1 | FB_ISA_BMI2 |     \
     FB_ISA_F16C | FB_ISA_LZCNT | FB_ISA_MOVBE)
#define FB_ISA_X86_64_V4                                                                        \
    (FB_ISA_X86_64_V3 | FB_ISA_AVX512F | FB_ISA_AVX512DQ | FB_ISA_AVX512CD | FB_ISA_AVX512BW | \
     FB_ISA_AVX512VL)

typedef uint32_t fb_isa;

/* True when every feature in `need` is usable.  Honours FLAGBENCH_ISA_MAX
 * (baseline, x86-64-v2, x86-64-v3, x86-64-v4, or a feature name list), which
 * hides newer features so dispatch fallbacks can be tested on any CPU. */
bool fb_cpu_has(fb_isa need);
/* The usable features (after FLAGBENCH_ISA_MAX). */
fb_isa fb_cpu_features(void);
/* The features the compiler was told to assume for this build (-march etc.). */
fb_isa fb_build_isa(void);
/* Writes the names of the bits in `isa`, comma-separated. */
void fb_isa_names(fb_isa isa, char *buf, size_t len);

/* ---- Deterministic pseudo-random numbers (xoshiro256**) ---------------- */
typedef struct fb_rng {
    uint64_t s[4];
} fb_rng;

void fb_rng_seed(fb_rng *r, uint64_t seed);
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

/* ---- Optimisation barriers ----------------------------------------------
 * fb_escape(p): the compiler must assume *p (and anything reachable from it)
 * is read by someone, so results stored there cannot be dropped.
 * fb_clobber(): the compiler must assume all memory may have been read and
 * written, so it cannot hoist loads across repetitions or fold inputs.
 * fb_use_u64 / fb_use_double: make a value observable (kept in a register). */
static inline void fb_escape(const void *p) { __asm__ volatile("" : : "g"(p) : "memory"); }
static inline void fb_clobber(void) { __asm__ volatile("" : : : "memory"); }
static inline void fb_use_u64(uint64_t v) { __asm__ volatile("" : : "r"(v)); }
#if defined(__x86_64__)
static inline void fb_use_double(double v) { __asm__ volatile("" : : "x"(v)); }
#elif defined(__aarch64__)
static inline void fb_use_double(double v) { __asm__ volatile("" : : "w"(v)); }
#else
static inline void fb_use_double(double v) { __asm__ volatile("" : : "m"(v)); }
#endif

/* A hot function: never inlined, so its code can be found by symbol
 * (<kernel>_<variant>) in every build, LTO included. */
#define FB_HOT __attribute__((noinline, used))

/* ---- The kernel contract ------------------------------------------------ */
typedef enum { FB_SIZE_TEST = 0, FB_SIZE_TRAIN = 1, FB_SIZE_REF = 2, FB_SIZE_CUSTOM = 3 } fb_size_class;

/* The target features the compiler was told to assume (-march, -m flags),
 * read from its predefined macros in the kernel's own translation unit;
 * FB_KERNEL_MAIN records them for the start-up check in cpu.c. */
enum {
    FB_BUILD_ISA_HERE = 0
#ifdef __SSE3__
    | FB_ISA_SSE3
#endif
#ifdef __SSSE3__
    | FB_ISA_SSSE3
#endif
#ifdef __SSE4_1__
    | FB_ISA_SSE41
#endif
#ifdef __SSE4_2__
    | FB_ISA_SSE42
#endif
#ifdef __POPCNT__
    | FB_ISA_POPCNT
#endif
#ifdef __AVX__
    | FB_ISA_AVX
#endif
#ifdef __AVX2__
    | FB_ISA_AVX2
#endif
#ifdef __FMA__
    | FB_ISA_FMA
#endif
#ifdef __BMI__
    | FB_ISA_BMI1
#endif
#ifdef __BMI2__
    | FB_ISA_BMI2
#endif
#ifdef __F16C__
    | FB_ISA_F16C
#endif
#ifdef __LZCNT__
    | FB_ISA_LZCNT
#endif
#ifdef __MOVBE__
    | FB_ISA_MOVBE
#endif
#ifdef __AVX512F__
    | FB_ISA_AVX512F
#endif
#ifdef __AVX512DQ__
    | FB_ISA_AVX512DQ
#endif
#ifdef __AVX512CD__
    | FB_ISA_AVX512CD
#endif
#ifdef __AVX512BW__
    | FB_ISA_AVX512BW
#endif
#ifdef __AVX512VL__
    | FB_ISA_AVX512VL
#endif
#ifdef __AVX512VNNI__
    | FB_ISA_AVX512VNNI
#endif
#ifdef __AVX512VBMI__
    | FB_ISA_AVX512VBMI
#endif
#ifdef __ARM_NEON
    | FB_ISA_NEON
#endif
#ifdef __ARM_FEATURE_DOTPROD
    | FB_ISA_ASIMDDP
#endif
#ifdef __ARM_FEATURE_SVE
    | FB_ISA_SVE
#endif
    
};

typedef struct fb_ctx {
    size_t n;                 /* problem size in the kernel's own unit */
    fb_size_class size_class; /* which named size n came from */
    int threads;              /* --threads (default: CPUs this process may use) */
    uint64_t seed;            /* --seed; inputs come from fb_rng seeded with it */
    bool stress;              /* --stress: longer runs and random delays */
} fb_ctx;

typedef struct fb_variant {
    const char *name;       /* short: scalar, autovec, avx2, spsc, mutex, ... */
    void (*run)(void *st);  /* one repetition: the only timed code */
    fb_isa isa;             /* features needed at run time (0 = any CPU) */
    const char *summary;    /* one line: what this variant shows */
} fb_variant;

/* A JSON object under construction, for kernel-specific extra fields. */
typedef struct fb_json fb_json;
void fb_json_int(fb_json *j, const char *key, long long v);
void fb_json_num(fb_json *j, const char *key, double v);
void fb_json_str(fb_json *j, const char *key, const char *v);

typedef struct fb_kernel {
    const char *family;  /* directory under kernels/ */
    const char *name;    /* file name without .c */
    const char *summary; /* one line: the technique */
    const char *unit;    /* what an item is: "elements", "messages", "nodes" */
    size_t sizes[3];     /* n for test, train, ref */
    int reps[3];         /* default timed repetitions for test, train, ref */
    bool concurrent;     /* uses threads: also tested under TSan */

    /* Allocates the state and fills deterministic inputs (untimed). */
    void *(*setup)(const fb_ctx *ctx);
    /* Optional, untimed, before every repetition: restore inputs a variant
     * overwrites (a sort) or reset outputs. */
    void (*prepare)(void *st, const fb_variant *v);
    /* Compares the last repetition's output with a plain reference
     * computation.  Returns true when correct; otherwise writes why. */
    bool (*check)(void *st, const fb_variant *v, char *why, size_t why_len);
    /* A hash of the last repetition's output (stable across builds where the
     * result is exact; for floating point it may legitimately differ). */
    uint64_t (*checksum)(void *st);
    /* Optional: items one repetition processes (default: ctx->n). */
    double (*items)(void *st);
    /* Optional: extra fields for the JSON line (steals, fairness, ...). */
    void (*report)(void *st, const fb_variant *v, fb_json *out);
    void (*teardown)(void *st);

    const fb_variant *variants;
    size_t variant_count;
} fb_kernel;

#define FB_COUNT(a) (sizeof(a) / sizeof((a)[0]))

int fb_main(const fb_kernel *k, int argc, char **argv);
#define FB_KERNEL_MAIN(k)                                                                       \
    const fb_isa fb_build_isa_bits = FB_BUILD_ISA_HERE;                                        \
    int main(int argc, char **argv) { return fb_main(&(k), argc, argv); }

/* ---- Helpers kernels share ---------------------------------------------- */
/* Aborts with a message naming the size when allocation fails. */
void *fb_alloc(size_t bytes);                  /* 64-byte aligned, not zeroed */
void *fb_calloc(size_t count, size_t size);    /* 64-byte aligned, zeroed */
/* A 64-bit hash of bytes for checksums: 8 bytes a step (little-endian
 * words, so x86-64 and aarch64 agree), FNV-1a for the tail. */
uint64_t fb_hash_bytes(const void *p, size_t len, uint64_t h);
#define FB_HASH_INIT 0xcbf29ce484222325ull
/* Relative error test used by float checks: |got-want| <= tol*max(1,|want|). */
bool fb_close(double got, double want, double tol);
/* Nanoseconds from CLOCK_MONOTONIC. */
uint64_t fb_now_ns(void);

/* Stress mode (--stress): concurrent kernels call fb_stress_point() inside
 * their loops; it sometimes yields or spins a random while, which shakes out
 * orderings that a quiet machine never produces. A no-op otherwise. */
extern bool fb_stress_enabled;
void fb_stress_delay(void);
static inline void fb_stress_point(void)
{
    if (__builtin_expect(fb_stress_enabled, 0))
        fb_stress_delay();
}

#endif
