/* memory/short_lived: many short-lived objects of mixed sizes (allocate,
 * use, free at once): malloc/free vs a slab with sized free vs a bump arena
 * reset after every task.
 *
 * flagbench-sources: lib/bump.c lib/slab.c
 *
 * What it shows
 *   The objects of a request, a parse or a frame: a task allocates 1 to 4
 *   objects, writes them (the first word, one word per 64-byte line, the
 *   last word), hands them on (fb_escape: the compiler must assume someone
 *   reads them, so it cannot delete the allocation), reads them back into a
 *   running sum, and drops them all.  Sizes are mixed: 75% 16..128 bytes,
 *   23% 129..1024, 2% 1 KiB..8 KiB.
 *   - malloc: malloc per object, free in reverse order at the end of the
 *             task.  glibc's tcache serves sizes up to 1032 bytes in a few
 *             instructions, but every call is an out-of-line call into libc,
 *             and the large objects go through the bins.
 *   - slab:   lib/slab.h: inlined per-size-class free lists with sized free;
 *             objects over 1 KiB fall back to malloc (so the large 2% cost
 *             what they cost malloc).
 *   - bump:   lib/bump.h: allocation is a pointer bump, freeing is one
 *             mem_bump_reset per task, so the task's objects are contiguous
 *             and the same few KiB of arena are reused by every task (always
 *             in L1/L2).
 *   Expect bump < slab < malloc per object; the absolute gaps are a few ns,
 *   the size of a libc call, so -fno-inline (which keeps the slab and bump
 *   fast paths out of line) narrows them.
 * Sizes (an item is an object): test 1003, train 150000, ref 250000 objects
 *   (sizes and task boundaries pre-drawn in setup: a 2-byte size per object,
 *   0.5 MiB streamed once).  Objects are reused at once, so the live data is
 *   a few KiB (L1/L2): this measures allocator cost, not memory.
 * Sensitive to: inline (fast paths), opt, lto (slow paths in lib/bump.c and
 *   lib/slab.c), and the allocator behind malloc (LD_PRELOAD jemalloc or
 *   mimalloc; a future allocator axis).
 * Correctness: the running sum of everything read back is compared with the
 *   same sum computed from the size list without allocating; exact integers,
 *   the checksum is identical in every configuration.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "lib/bump.h"
#include "lib/slab.h"

#define TASK_END 0x8000u /* in sizes[]: this object is the last of its task */
#define SIZE_MASK 0x3fffu
#define MAX_TASK 4

typedef struct {
    size_t n;
    uint16_t *sizes;
    uint64_t sum;
    mem_slab slab;
    mem_bump arena;
} state;

/* Writes the object's words: the first, one per 64-byte line, the last.
 * Each value depends on the object's index and the word's offset only. */
static inline void fill(uint64_t *w, size_t size, uint64_t tag)
{
    size_t words = size / 8;
    for (size_t k = 0; k < words; k += 8) w[k] = tag + k;
    w[words - 1] = tag ^ size;
}

static inline uint64_t read_back(const uint64_t *w, size_t size)
{
    size_t words = size / 8;
    uint64_t s = 0;
    for (size_t k = 0; k < words; k += 8) s += w[k];
    return s + w[words - 1];
}

/* One pass over the pre-drawn tasks.  ALLOC(size) returns memory, FREE(p,
 * size) gives one object back, END_TASK() runs after the task's frees. */
#define SHORT_LIVED_BODY(ALLOC, FREE, END_TASK)                                                 \
    do {                                                                                        \
        const uint16_t *sizes = st->sizes;                                                      \
        uint64_t sum = 0;                                                                       \
        uint64_t *obj[MAX_TASK];                                                                \
        size_t osz[MAX_TASK];                                                                   \
        size_t i = 0, n = st->n;                                                                \
        while (i < n) {                                                                         \
            int k = 0;                                                                          \
            for (;;) {                                                                          \
                unsigned s = sizes[i];                                                          \
                size_t size = s & SIZE_MASK;                                                    \
                uint64_t *p = ALLOC(size);                                                      \
                fill(p, size, (uint64_t)i << 20);                                               \
                fb_escape(p);                                                                   \
                obj[k] = p, osz[k] = size, k++, i++;                                            \
                if (s & TASK_END) break;                                                        \
            }                                                                                   \
            for (int j = 0; j < k; j++) sum += read_back(obj[j], osz[j]);                       \
            for (int j = k - 1; j >= 0; j--) FREE(obj[j], osz[j]);                              \
            END_TASK();                                                                         \
        }                                                                                       \
        st->sum = sum;                                                                          \
    } while (0)

#define ALLOC_MALLOC(sz) fb_malloc(sz)
#define FREE_MALLOC(p, sz) free(p)
#define ALLOC_SLAB(sz) ((uint64_t *)mem_slab_alloc(&st->slab, (sz)))
#define FREE_SLAB(p, sz) mem_slab_free(&st->slab, (p), (sz))
#define ALLOC_BUMP(sz) ((uint64_t *)mem_bump_alloc(&st->arena, (sz), 16))
#define FREE_NONE(p, sz) ((void)(p), (void)(sz))
#define END_NONE() ((void)0)
#define END_RESET() mem_bump_reset(&st->arena)

FB_HOT void short_lived_malloc(state *st) { SHORT_LIVED_BODY(ALLOC_MALLOC, FREE_MALLOC, END_NONE); }
FB_HOT void short_lived_slab(state *st) { SHORT_LIVED_BODY(ALLOC_SLAB, FREE_SLAB, END_NONE); }
FB_HOT void short_lived_bump(state *st) { SHORT_LIVED_BODY(ALLOC_BUMP, FREE_NONE, END_RESET); }

static void run_malloc(void *p) { short_lived_malloc(p); }
static void run_slab(void *p) { short_lived_slab(p); }
static void run_bump(void *p) { short_lived_bump(p); }

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    fb_rng rng = fb_rng_seeded(ctx->seed);
    st->n = ctx->n;
    st->sizes = fb_alloc(st->n * sizeof *st->sizes);
    size_t left_in_task = 0;
    for (size_t i = 0; i < st->n; i++) {
        if (left_in_task == 0) left_in_task = 1 + fb_rng_below(&rng, MAX_TASK);
        uint64_t r = fb_rng_below(&rng, 100), size;
        if (r < 75) size = 16 + fb_rng_below(&rng, 128 - 16 + 1);
        else if (r < 98) size = 129 + fb_rng_below(&rng, 1024 - 129 + 1);
        else size = 1025 + fb_rng_below(&rng, 8192 - 1025 + 1);
        size &= ~(uint64_t)7; /* whole words */
        if (size < 16) size = 16;
        left_in_task--;
        st->sizes[i] = (uint16_t)(size | (left_in_task == 0 || i + 1 == st->n ? TASK_END : 0));
    }
    mem_slab_init(&st->slab);
    mem_bump_init(&st->arena, 64 << 10);
    return st;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    uint64_t want = 0;
    for (size_t i = 0; i < st->n; i++) {
        size_t size = st->sizes[i] & SIZE_MASK, words = size / 8;
        uint64_t tag = (uint64_t)i << 20;
        for (size_t k = 0; k < words; k += 8) want += k == words - 1 ? (tag ^ size) : tag + k;
        want += tag ^ size;
    }
    return fb_check_u64("sum", st->sum, want, why, len);
}

static uint64_t checksum(void *p) { return fb_hash_u64(((state *)p)->sum); }

static void report(void *p, const fb_variant *v, fb_json *out)
{
    state *st = p;
    if (!strcmp(v->name, "slab")) fb_json_int(out, "slab_bytes", (long long)st->slab.reserved);
    if (!strcmp(v->name, "bump")) fb_json_int(out, "arena_bytes", (long long)st->arena.reserved);
}

static void teardown(void *p)
{
    state *st = p;
    mem_slab_destroy(&st->slab);
    mem_bump_destroy(&st->arena);
    free(st->sizes);
    free(st);
}

static const fb_variant variants[] = {
    {"malloc", run_malloc, 0, "malloc/free per object (libc, or whatever LD_PRELOAD supplies)"},
    {"slab", run_slab, 0, "per-size-class free lists, sized free (over 1 KiB: malloc)"},
    {"bump", run_bump, 0, "bump arena, one O(1) reset per task instead of frees"},
};

static const fb_kernel kernel = {
    .family = "memory",
    .name = "short_lived",
    .summary = "short-lived mixed-size objects: malloc vs slab vs bump arena with reset",
    .unit = "objects",
    .sizes = {1003, 150000, 250000},
    .reps = {1, 5, 8},
    FB_HOOKS(setup, NULL, check, checksum, NULL, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
