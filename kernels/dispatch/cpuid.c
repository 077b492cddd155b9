/* dispatch/cpuid: runtime dispatch through a function pointer chosen from
 * cpuid (the harness's fb_cpu_has), at set-up or lazily at the first call.
 *
 * What it shows
 *   One binary built for the x86-64 baseline that still runs AVX2/AVX-512
 *   code where the CPU has it: the count_bytes paths of lib/count.h are
 *   compiled with function-level target attributes, and a pointer picks one
 *   at run time.  The cost is an indirect call per use (predicted perfectly
 *   here: it always goes to the same place) and, more importantly, the lost
 *   chance to inline the callee into its caller.  Every variant runs the
 *   same segment loop (~64-byte segments, one call each; lib/count.h).
 *   - generic:     the portable C body inlined into the loop and compiled for
 *                  the build's -march: what you get with no dispatch at all.
 *                  At the baseline that is SSE2; in a -march=native build it
 *                  is what the compiler makes of the loop for this machine.
 *   - direct:      a direct call (no pointer) to the best hand-written path,
 *                  AVX-512BW on x86 (unsupported on CPUs without it), NEON on
 *                  aarch64.  The same code the dispatchers reach here.
 *   - direct_avx2, direct_sse2: direct calls to the lower x86 paths, the
 *                  peers of the dispatchers on older CPUs or under
 *                  FLAGBENCH_ISA_MAX.
 *   - setup:       pointer chosen once in setup() by count_select(
 *                  fb_cpu_features()), an indirect call per segment.
 *   - lazy:        the pointer starts at a resolver stub; the first call picks
 *                  the path, stores it (a relaxed atomic store: any thread
 *                  that sees either value calls a correct function, so no
 *                  ordering is needed) and forwards the call; later calls go
 *                  straight through the pointer.  This is how a library
 *                  without a set-up hook dispatches.
 *   Expect setup ~ lazy ~ direct (an indirect call that always goes to the
 *   same target costs ~1 cycle more than a direct call, a few % of a
 *   64-byte count) and all of them well ahead of generic in a baseline
 *   build.  Comparing with a -march=native build (the sweep builds one): its
 *   generic and direct variants are compiled for this CPU and the compiler
 *   may inline the path into the segment loop (same target; GCC 12 does),
 *   removing the call and hoisting set-up work; the gap between this build's
 *   setup and that build's direct is the full price of dispatching (for
 *   ~64-byte calls a large fraction), the gap between direct and setup here
 *   the price of the indirection alone (close to nothing).
 *   Fallbacks: the check verifies that setup and lazy used exactly the path
 *   count_select() gives for the usable features, so
 *     FLAGBENCH_ISA_MAX=baseline   bin/dispatch_cpuid --size test --check
 *   must report "dispatched":"sse2" and pass, x86-64-v3 gives "avx2"
 *   (FLAGBENCH_ISA_MAX is applied by fb_cpu_has; in a build whose -march is
 *   above the limit the harness refuses to start, exit 3, by design).  On
 *   aarch64 NEON is part of the baseline, so the fallback is always neon.
 * Sizes: an item is a byte counted.  test 1003 bytes, train 60013, ref
 *   262144: the 256 KiB buffer and the 4096 x 8-byte segment table live in L2
 *   (1 MiB per core); each segment is read once per repetition.
 * Sensitive to: march (generic's code; whether direct is inlined), lto and
 *   inline (nothing crosses files here: expect no effect), compiler.
 * Correctness: the total count is compared with a plain byte loop (exact);
 *   the dispatching variants must also report the expected path.  The
 *   checksum (the total) is identical in every build and on every path.
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
    .unit = "bytes",
    .sizes = {1003, 60013, 262144},
    .reps = {1, 50, 1500},
    .setup = setup,
    .prepare = count_prepare,
    .check = check,
    .checksum = count_checksum,
    .report = report,
    .teardown = count_teardown,
    .variants = variants,
    .variant_count = FB_COUNT(variants),
};

FB_KERNEL_MAIN(kernel)
