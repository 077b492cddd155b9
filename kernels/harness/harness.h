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
#include <stdlib.h>

#include "isa.h"
#include "rng.h"

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
     * overwrites (a sort) or reset outputs.  A kernel with prepare is timed
     * one repetition a sample (see docs/kernel-contract.md, "Timing"). */
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
/* A descriptor's hooks, all seven in the order of the fields above (the
 * optional ones, prepare, items and report, may be NULL), and its variant
 * table with its count.  Each hook has its own function type, so a hook in
 * the wrong place draws an incompatible-pointer diagnostic. */
#define FB_HOOKS(setup_, prepare_, check_, checksum_, items_, report_, teardown_)              \
    .setup = (setup_), .prepare = (prepare_), .check = (check_), .checksum = (checksum_),      \
    .items = (items_), .report = (report_), .teardown = (teardown_)
#define FB_VARIANTS(v) .variants = (v), .variant_count = FB_COUNT(v)

int fb_main(const fb_kernel *k, int argc, char **argv);
#define FB_KERNEL_MAIN(k)                                                                       \
    const fb_isa fb_build_isa_bits = FB_BUILD_ISA_HERE;                                        \
    int main(int argc, char **argv) { return fb_main(&(k), argc, argv); }

/* ---- Helpers kernels share ---------------------------------------------- */
/* Aborts with a message naming the size when allocation fails. */
void *fb_alloc(size_t bytes);                  /* 64-byte aligned, not zeroed */
void *fb_calloc(size_t count, size_t size);    /* 64-byte aligned, zeroed */
/* Plain malloc that aborts on failure: for kernels that time the system
 * allocator itself (fb_alloc is posix_memalign, another path through it). */
static inline void *fb_malloc(size_t bytes)
{
    void *p = malloc(bytes);
    if (!p) abort();
    return p;
}
/* For large inputs built in setup or prepare: asks the OS to make the pages
 * of [p, p+bytes) present and writable now, in one call (Linux 5.14+
 * MADV_POPULATE_WRITE), instead of taking one page fault per 4 KiB page at
 * first touch (each fault is a trap into the kernel and back, which costs
 * more than writing the page, and more again in a virtual machine).  The
 * pages are the ones first touch would give: same page size (THP advice
 * respected) and, when called by the thread that will touch
 * them, the same NUMA node.  Contents unchanged.  Returns false where the
 * OS cannot (older kernels, other systems): the pages then fault in on
 * first touch as before.  Never for memory whose faults a kernel times. */
bool fb_prefault(void *p, size_t bytes);
/* fb_alloc and fb_calloc with fb_prefault: the same memory, built faster. */
void *fb_alloc_prefaulted(size_t bytes);
void *fb_calloc_prefaulted(size_t count, size_t size);
/* A 64-bit hash of bytes for checksums: 8 bytes a step (little-endian
 * words, so x86-64 and aarch64 agree), FNV-1a for the tail. */
uint64_t fb_hash_bytes(const void *p, size_t len, uint64_t h);
#define FB_HASH_INIT 0xcbf29ce484222325ull
/* The checksum of a result that is one 64-bit word: fb_hash_bytes of its
 * 8 bytes from FB_HASH_INIT. */
static inline uint64_t fb_hash_u64(uint64_t v) { return fb_hash_bytes(&v, sizeof v, FB_HASH_INIT); }
/* The checksum hook of a kernel whose result is `bytes` bytes at `ptr`, both
 * expressions of its state `st`: FB_CHECKSUM(st->y, st->n * sizeof *st->y). */
#define FB_CHECKSUM(ptr, bytes)                                                                \
    static uint64_t checksum(void *p)                                                          \
    {                                                                                          \
        state *st = p;                                                                         \
        return fb_hash_bytes(ptr, bytes, FB_HASH_INIT);                                        \
    }
/* The check of a result that is one 64-bit word: true when got == want,
 * otherwise false with "<what> <got>, reference <want>" (hex) in why. */
bool fb_check_u64(const char *what, uint64_t got, uint64_t want, char *why, size_t len);
/* Relative error test used by float checks: |got-want| <= tol*max(1,|want|). */
bool fb_close(double got, double want, double tol);
/* Nanoseconds from CLOCK_MONOTONIC. */
uint64_t fb_now_ns(void);

/* A variant that dispatches at run time (cpuid, ifunc, target_clones, a
 * pointer table) names the hot function it really called, by its symbol in
 * the binary ("reduce_avx2", "foo.arch_x86_64_v4"), during its run or its
 * report; the JSON line gets "dispatch" (comma-joined when several). */
void fb_note_dispatch(const char *symbol);

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
