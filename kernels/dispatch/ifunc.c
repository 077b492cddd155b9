/* dispatch/ifunc: runtime dispatch by a GNU indirect function (ifunc).
 *
 * Sizes: as dispatch/cpuid: an item is a byte counted; test 1003, train
 *   60013, ref 262144 (buffer and segment table in L2).
 * Sensitive to: march (generic; inlining of direct), lto (LTO cannot inline
 *   through an ifunc either), compiler (-fno-plt would turn the PLT call into
 *   an indirect call through the GOT).
 * Correctness: exact total against a plain byte loop, and the dispatched
 *   path must be the harness's choice; the checksum is the same everywhere.
 * Notes (what each variant shows, what to expect): docs/kernels/dispatch.md.
 */
#include "harness.h"
#include "lib/count.h"

FB_HOT void ifunc_generic(count_state *st) { COUNT_SEGMENTS(st, count_portable); }

#if defined(__x86_64__)
FB_HOT void ifunc_direct(count_state *st) { COUNT_SEGMENTS(st, count_avx512); }
#define DIRECT_PATH "avx512"
#define DIRECT_ISA (FB_ISA_AVX512BW | FB_ISA_POPCNT)
#elif defined(__aarch64__)
FB_HOT void ifunc_direct(count_state *st) { COUNT_SEGMENTS(st, count_neon); }
#define DIRECT_PATH "neon"
#define DIRECT_ISA FB_ISA_NEON
#else
FB_HOT void ifunc_direct(count_state *st) { COUNT_SEGMENTS(st, count_portable_fn); }
#define DIRECT_PATH "portable"
#define DIRECT_ISA 0
#endif

#if (defined(__x86_64__) || defined(__aarch64__)) && defined(__linux__)
#define HAVE_IFUNC 1
/* Nothing in a resolver may call into a sanitizer or profiling runtime that
 * is not initialised yet.  Clang's no_sanitize("thread") still emits
 * __tsan_func_entry (a crash at load time under TSan), hence its
 * disable_sanitizer_instrumentation; GCC's no_sanitize list covers it. */
#if defined(__clang__)
#define RESOLVER_ATTRS __attribute__((used, disable_sanitizer_instrumentation, no_profile_instrument_function))
#else
#define RESOLVER_ATTRS                                                                         \
    __attribute__((used, no_sanitize("address", "thread", "undefined"), no_profile_instrument_function))
#endif
/* Written by the resolver (plain data in this executable; the loader runs
 * the resolver on the main thread before anything else, so no race). */
static const char *resolved_name;

#if defined(__x86_64__)
RESOLVER_ATTRS static count_fn resolve_count_bytes(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("popcnt")) {
        resolved_name = "avx512";
        return count_avx512;
    }
    if (__builtin_cpu_supports("avx2")) {
        resolved_name = "avx2";
        return count_avx2;
    }
    resolved_name = "sse2";
    return count_sse2;
}
#else
/* glibc passes AT_HWCAP (and, since 2.30, a pointer to more) on aarch64. */
RESOLVER_ATTRS static count_fn resolve_count_bytes(uint64_t hwcap)
{
    if (hwcap & (1u << 1)) { /* HWCAP_ASIMD */
        resolved_name = "neon";
        return count_neon;
    }
    resolved_name = "portable";
    return count_portable_fn;
}
#endif

size_t fb_count_bytes_ifunc(const uint8_t *p, size_t n, uint8_t c) __attribute__((ifunc("resolve_count_bytes")));
#else
#define HAVE_IFUNC 0
#endif

/* The harness-checked path, used when FLAGBENCH_ISA_MAX hides the
 * resolver's pick. */
static count_fn override_fn;

#if HAVE_IFUNC
FB_HOT void ifunc_ifunc(count_state *st) { COUNT_SEGMENTS(st, fb_count_bytes_ifunc); }
#endif
static __attribute__((noinline)) void overridden_loop(count_state *st) { COUNT_SEGMENTS(st, override_fn); }

static const char *harness_name; /* count_select(fb_cpu_features())->name */

COUNT_RUNNER(ifunc, generic, "portable")
COUNT_RUNNER(ifunc, direct, DIRECT_PATH)
static void run_ifunc(void *p)
{
    count_state *st = p;
#if HAVE_IFUNC
    if (!override_fn) {
        ifunc_ifunc(st);
        st->path = resolved_name;
        return;
    }
#endif
    overridden_loop(st);
    st->path = harness_name;
}

static void *setup(const fb_ctx *ctx)
{
    count_state *st = count_setup(ctx);
    const count_path *best = count_select(fb_cpu_features());
    harness_name = best->name;
#if HAVE_IFUNC
    bool agree = resolved_name && !strcmp(resolved_name, best->name);
#else
    bool agree = false;
#endif
    override_fn = agree ? NULL : best->fn;
    return st;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    return count_check(p, !strcmp(v->name, "ifunc") ? harness_name : NULL, why, len);
}

static void report(void *p, const fb_variant *v, fb_json *out)
{
    bool ifunc = !strcmp(v->name, "ifunc");
    count_report_path(p, ifunc, count_paths, FB_COUNT(count_paths), out);
    if (!ifunc) return;
#if HAVE_IFUNC
    fb_json_str(out, "ifunc_resolved", resolved_name ? resolved_name : "(resolver did not run)");
#else
    fb_json_str(out, "ifunc_resolved", "(no ifunc on this platform)");
#endif
    fb_json_int(out, "ifunc_overridden", override_fn != NULL);
}

static const fb_variant variants[] = {
    {"generic", run_generic, 0, "portable C inlined, compiled for the build's -march: no dispatch"},
    {"direct", run_direct, DIRECT_ISA, "direct call to the best hand-written path"},
    {"ifunc", run_ifunc, 0, "call through a GNU ifunc (PLT/GOT), resolver reads cpuid itself"},
};

static const fb_kernel kernel = {
    .family = "dispatch",
    .name = "ifunc",
    .summary = "runtime dispatch by a GNU ifunc resolver",
    COUNT_KERNEL_FIELDS,
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
