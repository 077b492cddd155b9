/* CPU feature detection and the start-up check of the build's target ISA.
 *
 * This file is compiled WITHOUT the configuration's target flags and without
 * LTO (see kernels/CMakeLists.txt): it must run correctly on any CPU of the
 * architecture, because its job is to stop a -march=x86-64-v4 binary on a CPU
 * without AVX-512 with exit code 3 and a message, before any code that might
 * use those instructions runs.  The check is a constructor, so it runs before
 * main().
 */
#include "isa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t read_xcr0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static fb_isa detect_cpu(void)
{
    unsigned a, b, c, d;
    fb_isa isa = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    if (c & (1u << 0)) isa |= FB_ISA_SSE3;
    if (c & (1u << 9)) isa |= FB_ISA_SSSE3;
    if (c & (1u << 19)) isa |= FB_ISA_SSE41;
    if (c & (1u << 20)) isa |= FB_ISA_SSE42;
    if (c & (1u << 22)) isa |= FB_ISA_MOVBE;
    if (c & (1u << 23)) isa |= FB_ISA_POPCNT;
    /* AVX needs the OS to save YMM state (XCR0 bits 1 and 2), AVX-512 also
     * the opmask and upper ZMM state (bits 5, 6, 7). */
    bool osxsave = c & (1u << 27);
    uint64_t xcr0 = osxsave ? read_xcr0() : 0;
    bool ymm_ok = (xcr0 & 0x6) == 0x6;
    bool zmm_ok = ymm_ok && (xcr0 & 0xe0) == 0xe0;
    if (ymm_ok && (c & (1u << 28))) isa |= FB_ISA_AVX;
    if (ymm_ok && (c & (1u << 12))) isa |= FB_ISA_FMA;
    if (ymm_ok && (c & (1u << 29))) isa |= FB_ISA_F16C;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        if (b & (1u << 3)) isa |= FB_ISA_BMI1;
        if (b & (1u << 8)) isa |= FB_ISA_BMI2;
        if (ymm_ok && (b & (1u << 5))) isa |= FB_ISA_AVX2;
        if (zmm_ok) {
            if (b & (1u << 16)) isa |= FB_ISA_AVX512F;
            if (b & (1u << 17)) isa |= FB_ISA_AVX512DQ;
            if (b & (1u << 28)) isa |= FB_ISA_AVX512CD;
            if (b & (1u << 30)) isa |= FB_ISA_AVX512BW;
            if (b & (1u << 31)) isa |= FB_ISA_AVX512VL;
            if (c & (1u << 1)) isa |= FB_ISA_AVX512VBMI;
            if (c & (1u << 11)) isa |= FB_ISA_AVX512VNNI;
        }
    }
    if (__get_cpuid(0x80000001, &a, &b, &c, &d) && (c & (1u << 5)))
        isa |= FB_ISA_LZCNT;
    return isa;
}
#elif defined(__aarch64__)
#include <sys/auxv.h>
static fb_isa detect_cpu(void)
{
    unsigned long hw = getauxval(AT_HWCAP);
    fb_isa isa = 0;
    if (hw & (1ul << 1)) isa |= FB_ISA_NEON;    /* HWCAP_ASIMD */
    if (hw & (1ul << 20)) isa |= FB_ISA_ASIMDDP; /* HWCAP_ASIMDDP */
    if (hw & (1ul << 22)) isa |= FB_ISA_SVE;     /* HWCAP_SVE */
    return isa;
}
#else
static fb_isa detect_cpu(void) { return 0; }
#endif

static const struct {
    fb_isa bit;
    const char *name;
} isa_names[] = {
    {FB_ISA_SSE3, "sse3"},         {FB_ISA_SSSE3, "ssse3"},         {FB_ISA_SSE41, "sse4.1"},
    {FB_ISA_SSE42, "sse4.2"},      {FB_ISA_POPCNT, "popcnt"},       {FB_ISA_AVX, "avx"},
    {FB_ISA_AVX2, "avx2"},         {FB_ISA_FMA, "fma"},             {FB_ISA_BMI1, "bmi"},
    {FB_ISA_BMI2, "bmi2"},         {FB_ISA_F16C, "f16c"},           {FB_ISA_LZCNT, "lzcnt"},
    {FB_ISA_MOVBE, "movbe"},       {FB_ISA_AVX512F, "avx512f"},     {FB_ISA_AVX512DQ, "avx512dq"},
    {FB_ISA_AVX512CD, "avx512cd"}, {FB_ISA_AVX512BW, "avx512bw"},   {FB_ISA_AVX512VL, "avx512vl"},
    {FB_ISA_AVX512VNNI, "avx512vnni"}, {FB_ISA_AVX512VBMI, "avx512vbmi"}, {FB_ISA_NEON, "neon"},
    {FB_ISA_ASIMDDP, "dotprod"},   {FB_ISA_SVE, "sve"},
};

void fb_isa_names(fb_isa isa, char *buf, size_t len)
{
    size_t used = 0;
    if (len) buf[0] = '\0';
    for (size_t i = 0; i < sizeof isa_names / sizeof isa_names[0]; i++) {
        if (!(isa & isa_names[i].bit)) continue;
        int w = snprintf(buf + used, len - used, "%s%s", used ? "," : "", isa_names[i].name);
        if (w < 0 || (size_t)w >= len - used) break;
        used += (size_t)w;
    }
}

/* FLAGBENCH_ISA_MAX: hide features above a level, to test dispatch fallbacks. */
static fb_isa isa_limit(void)
{
    const char *v = getenv("FLAGBENCH_ISA_MAX");
    if (!v || !*v || !strcmp(v, "native")) return ~(fb_isa)0;
#if defined(__aarch64__)
    if (!strcmp(v, "baseline")) return FB_ISA_NEON;
#else
    if (!strcmp(v, "baseline") || !strcmp(v, "x86-64")) return 0;
    if (!strcmp(v, "x86-64-v2")) return FB_ISA_X86_64_V2;
    if (!strcmp(v, "x86-64-v3")) return FB_ISA_X86_64_V3;
    if (!strcmp(v, "x86-64-v4")) return FB_ISA_X86_64_V4 | FB_ISA_AVX512VNNI | FB_ISA_AVX512VBMI;
#endif
    fprintf(stderr,
            "flagbench: FLAGBENCH_ISA_MAX=%s is not a level; use native, baseline, "
            "x86-64-v2, x86-64-v3 or x86-64-v4\n",
            v);
    exit(2);
}

static fb_isa cpu_isa;   /* what the CPU and OS really support */
static fb_isa usable_isa; /* after FLAGBENCH_ISA_MAX */

fb_isa fb_cpu_features(void) { return usable_isa; }
bool fb_cpu_has(fb_isa need) { return (usable_isa & need) == need; }

/* fb_build_isa_bits (isa.h) is defined by FB_KERNEL_MAIN in the kernel's own
 * translation unit, compiled with the configuration's flags, so it sees the
 * compiler's predefined macros (__AVX2__ ...).  It is plain data: reading it
 * cannot execute a new instruction. */
fb_isa fb_build_isa(void) { return fb_build_isa_bits; }

__attribute__((constructor(101))) static void check_build_isa(void)
{
    cpu_isa = detect_cpu();
    usable_isa = cpu_isa & isa_limit();
    /* Hidden features count as missing: FLAGBENCH_ISA_MAX=x86-64-v2 on a v3
     * build behaves as that build would on a v2 CPU. */
    fb_isa missing = fb_build_isa_bits & ~usable_isa;
    if (missing) {
        char need[256], lack[256];
        fb_isa_names(fb_build_isa_bits, need, sizeof need);
        fb_isa_names(missing, lack, sizeof lack);
        fprintf(stderr,
                "flagbench: unsupported CPU: this build assumes %s, but this CPU lacks %s%s "
                "(exit 3, nothing was run)\n",
                need, lack, cpu_isa != usable_isa ? " (FLAGBENCH_ISA_MAX hides some features)" : "");
        fflush(stderr);
        _Exit(3);
    }
}
