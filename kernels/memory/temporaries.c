/* memory/temporaries: where a hot function's small scratch buffer lives:
 * the stack, the heap (malloc/free per call), a static buffer, or a buffer
 * the caller allocates once.
 *
 * What it shows
 *   For every item i a helper computes the mode of the 32-byte window
 *   in[i..i+32) over 16 bins (the high nibble): it zeroes a 16-counter
 *   scratch array, counts, and scans for the largest count.  The counters
 *   are indexed by data, so the array must really exist in memory; only
 *   where it lives changes.  The helper is a static function called once per
 *   item (inlined into the loop at -O2 unless -fno-inline).
 *   - stack:  `uint32_t count[16]` local to the helper: allocating it is part
 *             of the stack frame (nothing at all once inlined); always in L1.
 *   - heap:   malloc(64) and free per call: two calls into libc per item,
 *             which compilers do not remove because the buffer's address
 *             flows into data-indexed stores.  The allocator path is the
 *             tcache fast path, but it is still a few ns an item.  GCC and
 *             Clang even turn the malloc + memset into one calloc call (see
 *             the assembly), which clears the 64 bytes itself.
 *   - static: a `static uint32_t count[16]` inside the helper: no allocation,
 *             but one buffer for the whole program, so the helper is neither
 *             thread-safe nor reentrant (two threads, or a signal handler,
 *             calling it would corrupt each other's counts).  Its stores go to
 *             global memory and stay (the next call could read them).
 *   - caller: the caller mallocs the scratch once per repetition and passes it
 *             down: the usual fix when the buffer is too big for the stack;
 *             thread-safe as long as each thread has its own.
 *   Expect stack ~= caller ~= static, and heap slower by the malloc/free pair
 *   per item (tens of percent here, since the work per item is small).
 * Sizes (an item is one helper call): test 1003, train 100000, ref 150000
 *   items; the input is n + 32 bytes (ref: 147 KiB, L2) and the scratch is
 *   64 bytes (L1): compute- and call-bound, not memory-bound.
 * Sensitive to: inline (-fno-inline makes every variant pay a call per item
 *   and exposes the stack frame setup), opt, compiler (whether the heap
 *   variant's malloc/free pair survives: it must, since the pointer is used
 *   for indexed stores), and the allocator behind malloc (LD_PRELOAD).
 * Correctness: a hash of the modes in order (h = h*31 + mode) is compared
 *   with the same hash from a plain reference; exact.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define WINDOW 32
#define BINS 16

typedef struct {
    size_t n;
    uint8_t *in;
    uint64_t hash;
} state;

/* The shared body: count the window's high nibbles into `count`, return the
 * smallest bin with the largest count.  Always inlined into the four helpers
 * below, so each helper is the whole per-item function; whether the helper
 * is inlined into its loop is left to the compiler (the inline axis). */
static inline __attribute__((always_inline)) unsigned mode_into(const uint8_t *w, uint32_t *count)
{
    memset(count, 0, BINS * sizeof *count);
    for (int j = 0; j < WINDOW; j++) count[w[j] >> 4]++;
    unsigned best = 0;
    for (unsigned b = 1; b < BINS; b++)
        if (count[b] > count[best]) best = b;
    return best;
}

static unsigned mode_stack(const uint8_t *w)
{
    uint32_t count[BINS];
    return mode_into(w, count);
}

static unsigned mode_heap(const uint8_t *w)
{
    uint32_t *count = malloc(BINS * sizeof *count);
    if (!count) abort();
    unsigned m = mode_into(w, count);
    free(count);
    return m;
}

/* Not thread-safe and not reentrant: one buffer shared by every caller. */
static unsigned mode_static(const uint8_t *w)
{
    static uint32_t count[BINS];
    return mode_into(w, count);
}

static unsigned mode_caller(const uint8_t *w, uint32_t *count) { return mode_into(w, count); }

FB_HOT void temporaries_stack(state *st)
{
    uint64_t h = 0;
    for (size_t i = 0; i < st->n; i++) h = h * 31 + mode_stack(st->in + i);
    st->hash = h;
}

FB_HOT void temporaries_heap(state *st)
{
    uint64_t h = 0;
    for (size_t i = 0; i < st->n; i++) h = h * 31 + mode_heap(st->in + i);
    st->hash = h;
}

FB_HOT void temporaries_static(state *st)
{
    uint64_t h = 0;
    for (size_t i = 0; i < st->n; i++) h = h * 31 + mode_static(st->in + i);
    st->hash = h;
}

FB_HOT void temporaries_caller(state *st)
{
    uint32_t *count = malloc(BINS * sizeof *count);
    if (!count) abort();
    uint64_t h = 0;
    for (size_t i = 0; i < st->n; i++) h = h * 31 + mode_caller(st->in + i, count);
    free(count);
    st->hash = h;
}

static void run_stack(void *p) { temporaries_stack(p); }
static void run_heap(void *p) { temporaries_heap(p); }
static void run_static(void *p) { temporaries_static(p); }
static void run_caller(void *p) { temporaries_caller(p); }

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    fb_rng rng = fb_rng_seeded(ctx->seed);
    st->n = ctx->n;
    st->in = fb_alloc(st->n + WINDOW);
    /* Skewed bytes (the max of two draws), so the mode is not a coin toss. */
    for (size_t i = 0; i < st->n + WINDOW; i++) {
        uint8_t a = (uint8_t)fb_rng_next(&rng), b = (uint8_t)fb_rng_next(&rng);
        st->in[i] = a > b ? a : b;
    }
    return st;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    uint64_t h = 0;
    for (size_t i = 0; i < st->n; i++) {
        unsigned count[BINS] = {0}, best = 0;
        for (int j = 0; j < WINDOW; j++) count[st->in[i + j] / 16]++;
        for (unsigned b = 0; b < BINS; b++)
            if (count[b] > count[best]) best = b;
        h = h * 31 + best;
    }
    return fb_check_u64("hash", st->hash, h, why, len);
}

static uint64_t checksum(void *p) { return fb_hash_u64(((state *)p)->hash); }

static void teardown(void *p)
{
    state *st = p;
    free(st->in);
    free(st);
}

static const fb_variant variants[] = {
    {"stack", run_stack, 0, "scratch array on the stack: free to allocate, always in L1"},
    {"heap", run_heap, 0, "malloc/free of the scratch array per call"},
    {"static", run_static, 0, "static scratch buffer: no allocation, not thread-safe"},
    {"caller", run_caller, 0, "caller allocates the scratch once and passes it down"},
};

static const fb_kernel kernel = {
    .family = "memory",
    .name = "temporaries",
    .summary = "hot scratch buffer on the stack vs heap per call vs static vs caller-provided",
    .unit = "calls",
    .sizes = {1003, 100000, 150000},
    .reps = {1, 5, 8},
    FB_HOOKS(setup, NULL, check, checksum, NULL, NULL, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
