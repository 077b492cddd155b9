/* CPU features: the ISA bits, the CPU's usable set and the build's assumed set.
 * Owned by cpu.c, which implements every function declared here; the kernel
 * contract (harness.h) includes it so variants can state what they need. */
#ifndef FLAGBENCH_ISA_H
#define FLAGBENCH_ISA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* FB_KERNEL_MAIN defines fb_build_isa_bits from FB_BUILD_ISA_HERE in the
 * kernel's own translation unit, which is compiled with the configuration's
 * flags; cpu.c (compiled without them) only reads it. */
extern const fb_isa fb_build_isa_bits;

#endif
