/* dispatch/cpuid: runtime dispatch through a function pointer chosen from
 * cpuid (the harness's fb_cpu_has), at set-up or lazily at the first call.
 *
 * Sizes: an item is a byte counted.  test 1003 bytes, train 60013, ref
 *   262144: the 256 KiB buffer and the 4096 x 8-byte segment table live in L2
 *   (1 MiB per core); each segment is read once per repetition.
 * Sensitive to: march (generic's code; whether direct is inlined), lto and
 *   inline (nothing crosses files here: expect no effect), compiler.
 * Correctness: the total count is compared with a plain byte loop (exact);
 *   the dispatching variants must also report the expected path.  The
 *   checksum (the total) is identical in every build and on every path.
 * Notes (what each variant shows, what to expect): docs/kernels/dispatch.md.
 */
#include "harness.h"
#include "lib/count.h"

#include <stdatomic.h>

FB_HOT void cpuid_generic(count_state *st) { COUNT_SEGMENTS(st, count_portable); }

#if defined(__x86_64__)
FB_HOT void cpuid_direct(count_state *st) { COUNT_SEGMENTS(st, count_avx512); }
FB_HOT void cpuid_direct_avx2(count_state *st) { COUNT_SEGMENTS(st, count_avx2); }
FB_HOT void cpuid_direct_sse2(count_state *st) { COUNT_SEGMENTS(st, count_sse2); }
#elif defined(__aarch64__)
FB_HOT void cpuid_direct(count_state *st) { COUNT_SEGMENTS(st, count_neon); }
#else
FB_HOT void cpuid_direct(count_state *st) { COUNT_SEGMENTS(st, count_portable_fn); }
#endif

/* ---- chosen in setup ------------------------------------------------------ */
static count_fn setup_fn;
static const char *setup_name;

FB_HOT void cpuid_setup(count_state *st) { COUNT_SEGMENTS(st, setup_fn); }

/* ---- chosen at the first call --------------------------------------------- */
static size_t lazy_resolve(const uint8_t *p, size_t n, uint8_t c);
static _Atomic(count_fn) lazy_fn = lazy_resolve;
static _Atomic(const char *) lazy_name;

static size_t lazy_resolve(const uint8_t *p, size_t n, uint8_t c)
{
    const count_path *best = count_select(fb_cpu_features());
    /* Relaxed: racing first calls all store the same values, and a caller
     * that reads the stub instead of the path merely resolves again. */
    atomic_store_explicit(&lazy_name, best->name, memory_order_relaxed);
    atomic_store_explicit(&lazy_fn, best->fn, memory_order_relaxed);
    return best->fn(p, n, c);
}

static inline size_t lazy_call(const uint8_t *p, size_t n, uint8_t c)
{
    return atomic_load_explicit(&lazy_fn, memory_order_relaxed)(p, n, c);
}

FB_HOT void cpuid_lazy(count_state *st) { COUNT_SEGMENTS(st, lazy_call); }

/* ---- harness glue ----------------------------------------------------------- */
COUNT_RUNNER(cpuid, generic, "portable")
#if defined(__x86_64__)
COUNT_RUNNER(cpuid, direct, "avx512")
COUNT_RUNNER(cpuid, direct_avx2, "avx2")
COUNT_RUNNER(cpuid, direct_sse2, "sse2")
#elif defined(__aarch64__)
COUNT_RUNNER(cpuid, direct, "neon")
#else
COUNT_RUNNER(cpuid, direct, "portable")
#endif
COUNT_RUNNER(cpuid, setup, setup_name)
COUNT_RUNNER(cpuid, lazy, atomic_load_explicit(&lazy_name, memory_order_relaxed))

static void *setup(const fb_ctx *ctx)
{
    count_state *st = count_setup(ctx);
    const count_path *best = count_select(fb_cpu_features());
    setup_fn = best->fn;
    setup_name = best->name;
    return st;
}

static bool dispatches(const fb_variant *v) { return !strcmp(v->name, "setup") || !strcmp(v->name, "lazy"); }

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    const char *want = dispatches(v) ? count_select(fb_cpu_features())->name : NULL;
    return count_check(p, want, why, len);
}

static void report(void *p, const fb_variant *v, fb_json *out) { count_report_path(p, dispatches(v), count_paths, FB_COUNT(count_paths), out); }

static const fb_variant variants[] = {
    {"generic", run_generic, 0, "portable C inlined, compiled for the build's -march: no dispatch"},
#if defined(__x86_64__)
    {"direct", run_direct, FB_ISA_AVX512BW | FB_ISA_POPCNT, "direct call to the AVX-512BW path"},
    {"direct_avx2", run_direct_avx2, FB_ISA_AVX2, "direct call to the AVX2 path"},
    {"direct_sse2", run_direct_sse2, 0, "direct call to the SSE2 (baseline) path"},
#elif defined(__aarch64__)
    {"direct", run_direct, FB_ISA_NEON, "direct call to the NEON path"},
#else
    {"direct", run_direct, 0, "direct call to the portable path"},
#endif
    {"setup", run_setup, 0, "function pointer chosen in setup from fb_cpu_has"},
    {"lazy", run_lazy, 0, "function pointer resolved by a stub at the first call"},
};

static const fb_kernel kernel = {
    .family = "dispatch",
    .name = "cpuid",
    .summary = "runtime dispatch through a function pointer chosen from cpuid",
    COUNT_KERNEL_FIELDS,
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
