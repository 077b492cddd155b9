/* dispatch/clones: compiler-generated multiversioning with target_clones.
 *
 * Sizes: as dispatch/cpuid: an item is a byte counted; test 1003, train
 *   60013, ref 262144 (buffer and segment table in L2).
 * Sensitive to: opt (vectorization of the clones: GCC -O2 vs -O3), compiler
 *   (clone code, resolver), march (generic; the default clone itself always
 *   follows -march: in a v3 build "default" is already AVX2 code).
 * Correctness: exact total against a plain byte loop and, when
 *   FLAGBENCH_ISA_MAX forced the harness-checked path, that it ran the best
 *   clone the harness allows; the checksum is the same everywhere.
 * Notes (what each variant shows, what to expect): docs/kernels/dispatch.md.
 */
#include "harness.h"
#include "lib/count.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FB_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define FB_TSAN 1
#endif

/* Under TSan the compiler-generated resolver is instrumented
 * (__tsan_func_entry before the runtime exists: a crash at load time, with
 * GCC 12, Clang 14 and Clang 19 alike) and there is no attribute to stop it,
 * so TSan builds compile the body once, as on aarch64. */
#if defined(__x86_64__) && defined(__linux__) && !defined(FB_TSAN)
#define HAVE_CLONES 1
#else
#define HAVE_CLONES 0
#endif

FB_HOT void clones_generic(count_state *st) { COUNT_SEGMENTS(st, count_portable); }

#if HAVE_CLONES
__attribute__((target_clones("default", "avx2", "arch=x86-64-v4"))) size_t fb_count_bytes_clones(const uint8_t *p,
                                                                                               size_t n, uint8_t c)
{
    return count_portable(p, n, c);
}

/* The same body, one copy per clone target: what "direct" calls, and the
 * harness-checked path when FLAGBENCH_ISA_MAX hides the resolver's pick. */
__attribute__((noinline, target("arch=x86-64-v4"))) static size_t body_v4(const uint8_t *p, size_t n, uint8_t c)
{
    return count_portable(p, n, c);
}
__attribute__((noinline, target("avx2"))) static size_t body_avx2(const uint8_t *p, size_t n, uint8_t c)
{
    return count_portable(p, n, c);
}

static const count_path clone_paths[] = {
    {"arch=x86-64-v4", body_v4, FB_ISA_X86_64_V4, "body_v4"},
    {"avx2", body_avx2, FB_ISA_AVX2, "body_avx2"},
    {"default", count_portable_fn, 0, "count_portable_fn"},
};

FB_HOT void clones_direct(count_state *st) { COUNT_SEGMENTS(st, body_v4); }
FB_HOT void clones_clones(count_state *st) { COUNT_SEGMENTS(st, fb_count_bytes_clones); }
#define DIRECT_ISA FB_ISA_X86_64_V4
#define DIRECT_PATH "arch=x86-64-v4"
#else
static const count_path clone_paths[] = {{"default", count_portable_fn, 0, "count_portable_fn"}};
FB_HOT void clones_direct(count_state *st) { COUNT_SEGMENTS(st, count_portable_fn); }
FB_HOT void clones_clones(count_state *st) { COUNT_SEGMENTS(st, count_portable_fn); }
#define DIRECT_ISA 0
#define DIRECT_PATH "default"
#endif

static const count_path *allowed_clone; /* by fb_cpu_has */
static const char *resolver_clone;      /* predicted pick of the compiler's resolver */
static count_fn override_fn;

static __attribute__((noinline)) void overridden_loop(count_state *st) { COUNT_SEGMENTS(st, override_fn); }

COUNT_RUNNER(clones, generic, "portable")
COUNT_RUNNER(clones, direct, DIRECT_PATH)
static void run_clones(void *p)
{
    count_state *st = p;
    if (override_fn) {
        overridden_loop(st);
        st->path = allowed_clone->name;
        return;
    }
    clones_clones(st);
    st->path = resolver_clone;
}

static const char *best_allowed; /* the best clone fb_cpu_has allows, for the report */

static void *setup(const fb_ctx *ctx)
{
    count_state *st = count_setup(ctx);
    for (size_t i = 0; i < FB_COUNT(clone_paths); i++)
        if (fb_cpu_has(clone_paths[i].isa)) {
            allowed_clone = &clone_paths[i];
            break;
        }
    best_allowed = allowed_clone->name;
    bool hidden = false;
#if HAVE_CLONES
    /* What the compiler's resolver sees: the CPU itself, read through the
     * same cpu-model data.  x86-64-v4 = v3 + AVX-512 F/BW/CD/DQ/VL (Clang 14
     * rejects "movbe" here, so v3 is approximated by its vector features). */
    __builtin_cpu_init();
    bool avx2 = __builtin_cpu_supports("avx2");
    bool v3 = avx2 && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi") &&
              __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt") &&
              __builtin_cpu_supports("sse4.2");
    bool v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
              __builtin_cpu_supports("avx512vl");
#if defined(__clang__) && __clang_major__ < 19
    /* Clang 14's resolver tests an arch= clone like __builtin_cpu_is, i.e.
     * against the CPU vendor/model, and never picks "arch=x86-64-v4" on an
     * Intel or AMD CPU (Clang 19 tests the ISA level).  Clang 15-18 are
     * assumed to be like 14. */
    resolver_clone = avx2 ? "avx2" : "default";
#else
    resolver_clone = v4 ? "arch=x86-64-v4" : avx2 ? "avx2" : "default";
#endif
    /* FLAGBENCH_ISA_MAX hides something the resolver may have used. */
    hidden = (v4 && !fb_cpu_has(FB_ISA_X86_64_V4)) || (avx2 && !fb_cpu_has(FB_ISA_AVX2));
#else
    resolver_clone = "default";
#endif
    override_fn = hidden ? allowed_clone->fn : NULL;
    return st;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    /* Under FLAGBENCH_ISA_MAX the clones variant must have used the best
     * clone the harness allows; otherwise the compiler's resolver decided
     * and only the total can be checked. */
    bool forced = !strcmp(v->name, "clones") && override_fn;
    return count_check(p, forced ? allowed_clone->name : NULL, why, len);
}

/* The symbol of the clone the compiler's resolver picks (nm: GCC appends
 * the target, Clang also a number per clone in the order listed). */
static const char *resolver_clone_symbol(void)
{
#if !HAVE_CLONES
    return "count_portable_fn";
#elif defined(__clang__)
    if (!strcmp(resolver_clone, "arch=x86-64-v4")) return "fb_count_bytes_clones.arch_x86-64-v4.1";
    if (!strcmp(resolver_clone, "avx2")) return "fb_count_bytes_clones.avx2.0";
    return "fb_count_bytes_clones.default.2";
#else
    if (!strcmp(resolver_clone, "arch=x86-64-v4")) return "fb_count_bytes_clones.arch_x86_64_v4";
    if (!strcmp(resolver_clone, "avx2")) return "fb_count_bytes_clones.avx2";
    return "fb_count_bytes_clones.default";
#endif
}

static void report(void *p, const fb_variant *v, fb_json *out)
{
    bool clones = !strcmp(v->name, "clones");
    count_report_path(p, clones, NULL, 0, out);
    if (!clones) return;
    fb_note_dispatch(override_fn ? allowed_clone->symbol : resolver_clone_symbol());
    fb_json_str(out, "clones", HAVE_CLONES ? "target_clones" : "none");
    fb_json_str(out, "clones_resolved", resolver_clone);
    fb_json_str(out, "clones_best_allowed", best_allowed);
    fb_json_int(out, "clones_overridden", override_fn != NULL);
}

static const fb_variant variants[] = {
    {"generic", run_generic, 0, "portable C inlined, compiled for the build's -march: no dispatch"},
    {"direct", run_direct, DIRECT_ISA, "direct call to the body built for x86-64-v4"},
    {"clones", run_clones, 0, "call through the compiler's target_clones ifunc"},
};

static const fb_kernel kernel = {
    .family = "dispatch",
    .name = "clones",
    .summary = "compiler multiversioning: target_clones and its resolver",
    COUNT_KERNEL_FIELDS,
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
