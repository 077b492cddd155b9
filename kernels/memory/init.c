/* memory/init: what initializing memory costs: zeroing before overwriting,
 * fresh pages from malloc / calloc / aligned_alloc / mmap, and transparent
 * huge pages for random access.
 *
 * Sizes (items are bytes written, except random_*: touches): test 4 MiB
 *   (fresh 1 MiB), train 64 MiB, ref 96 MiB: the warm buffer and the random
 *   mappings are 3x the 32 MiB L3 (DRAM).  The fresh variants use 24 MiB
 *   (6144 page faults a repetition, which is what the time budget allows);
 *   their cost per byte hardly depends on the size, every block being a new
 *   mmap.
 * Sensitive to: opt and march (the fill loop's vectorization, a minor effect
 *   once DRAM-bound), compiler (malloc+memset -> calloc folding, prevented
 *   here), and above all the OS: THP mode, page-fault cost (higher
 *   in a VM than on bare metal), and the allocator (with
 *   LD_PRELOAD jemalloc or mimalloc the faults remain: both give blocks this
 *   large back to the kernel on free, unmapped or purged; minor_faults_per_rep
 *   shows whether an allocator kept them).
 * Correctness: every fill variant reads back one word per 4 KiB page before
 *   releasing the buffer (timed, the same in every variant) and compares the
 *   probe with the formula; the warm buffer is also verified in full.  The
 *   random chains are replayed from the formula for the words.  Exact
 *   integers, identical in every configuration.
 * Notes (what each variant shows, what to expect): docs/kernels/memory.md.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <sys/resource.h>

#define PAGE 4096
#define HUGE ((size_t)2 << 20)
#define FILL_K 0x9e3779b97f4a7c15ull

enum mode { M_NONE, M_WARM, M_FRESH, M_RANDOM_4K, M_RANDOM_THP };

typedef struct {
    size_t n;            /* bytes of the warm buffer and the random mappings */
    size_t fresh;        /* bytes of the fresh allocations: n/4 */
    uint64_t base;       /* fill value base, from the seed */
    uint64_t *warm;      /* warm buffer (fb_alloc), lazily */
    /* random mapping of the current random variant */
    char *map_raw;
    size_t map_raw_len;
    uint64_t *map;
    enum mode map_mode;
    size_t touches;
    uint64_t rng_seed;
    /* results */
    uint64_t probe;      /* xor of one word per page, read back by the run */
    size_t probed_words; /* words the last fill wrote */
    uint64_t runs;       /* runs of the current random variant */
    /* accounting for the report */
    enum mode last_mode;
    const char *last_variant;
    long faults_at_start;
    uint64_t prepared;
    long huge_kib;
    char thp[32];
} state;

/* ---- the fills -------------------------------------------------------- */

static inline void fill_words(uint64_t *w, size_t words, uint64_t base)
{
    for (size_t i = 0; i < words; i++) w[i] = base + i * FILL_K;
}

/* One word per page, xor'd: makes the fill observable and checkable. */
static inline uint64_t probe_words(const uint64_t *w, size_t words)
{
    uint64_t x = 0;
    for (size_t i = 0; i < words; i += PAGE / 8) x ^= w[i];
    return x ^ w[words - 1];
}

/* The work every fill variant times after getting its memory. */
#define FILL_AND_PROBE(w, words)                                                               \
    fill_words(w, words, st->base);                                                            \
    st->probe = probe_words(w, words);                                                         \
    st->probed_words = words

static uint64_t expected_probe(size_t words, uint64_t base)
{
    uint64_t x = 0;
    for (size_t i = 0; i < words; i += PAGE / 8) x ^= base + i * FILL_K;
    return x ^ (base + (words - 1) * FILL_K);
}

static void *xcheck(void *p, size_t bytes)
{
    if (!p) {
        fprintf(stderr, "memory/init: out of memory for %zu bytes\n", bytes);
        exit(1);
    }
    return p;
}

FB_HOT void init_fill(state *st)
{
    size_t words = st->n / 8;
    FILL_AND_PROBE(st->warm, words);
}

FB_HOT void init_zero_fill(state *st)
{
    size_t words = st->n / 8;
    memset(st->warm, 0, words * 8);
    FILL_AND_PROBE(st->warm, words);
}

FB_HOT void init_malloc_fill(state *st)
{
    size_t words = st->fresh / 8;
    uint64_t *w = xcheck(malloc(words * 8), words * 8);
    FILL_AND_PROBE(w, words);
    free(w);
}

FB_HOT void init_malloc_zero_fill(state *st)
{
    size_t words = st->fresh / 8;
    uint64_t *w = xcheck(malloc(words * 8), words * 8);
    fb_escape(w); /* keeps malloc + memset from becoming calloc */
    memset(w, 0, words * 8);
    FILL_AND_PROBE(w, words);
    free(w);
}

FB_HOT void init_calloc_fill(state *st)
{
    size_t words = st->fresh / 8;
    uint64_t *w = xcheck(calloc(words, 8), words * 8);
    FILL_AND_PROBE(w, words);
    free(w);
}

FB_HOT void init_aligned_fill(state *st)
{
    size_t words = st->fresh / 8;
    size_t bytes = (words * 8 + 63) & ~(size_t)63; /* aligned_alloc wants a multiple */
    uint64_t *w = xcheck(aligned_alloc(64, bytes), bytes);
    FILL_AND_PROBE(w, words);
    free(w);
}

/* An anonymous mapping of `bytes` starting on a 2 MiB boundary (so huge
 * pages can cover all of it), advised as asked.  Returns the aligned start;
 * *raw and *raw_len are what to munmap. */
static uint64_t *map_aligned(size_t bytes, int advice, char **raw, size_t *raw_len)
{
    size_t len = bytes + HUGE;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("memory/init: mmap");
        exit(1);
    }
    char *a = (char *)(((uintptr_t)p + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
    /* Advice can fail (a kernel without THP): the variant then simply runs
     * on whatever pages it gets, and huge_kib / thp_enabled say so. */
    (void)madvise(a, bytes, advice);
    *raw = p;
    *raw_len = len;
    return (uint64_t *)a;
}

static void mmap_fill_body(state *st, int advice)
{
    size_t words = st->fresh / 8;
    char *raw;
    size_t raw_len;
    uint64_t *w = map_aligned(words * 8, advice, &raw, &raw_len);
    FILL_AND_PROBE(w, words);
    munmap(raw, raw_len);
}

FB_HOT void init_mmap_fill(state *st) { mmap_fill_body(st, MADV_NOHUGEPAGE); }
FB_HOT void init_mmap_thp_fill(state *st) { mmap_fill_body(st, MADV_HUGEPAGE); }

/* ---- random touches --------------------------------------------------- */

/* The random mappings hold w[i] = word_value(i); a touch reads w[i] and
 * the next index is derived from the value read, so the touches form one
 * dependent chain: each one's TLB miss and cache miss are exposed in full
 * (independent touches would overlap their page walks and hide them). */
static inline uint64_t word_value(uint64_t i)
{
    return fb_mix64(i * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull);
}

static inline uint64_t next_index(uint64_t v, uint64_t t, uint64_t words)
{
    return (((v ^ (t * 0xd6e8feb86659fd93ull)) >> 32) * words) >> 32;
}

static inline uint64_t chain_start(uint64_t seed, uint64_t run, uint64_t words)
{
    return (word_value(seed + run) >> 32) * words >> 32;
}

static inline void random_body(state *st)
{
    const uint64_t *w = st->map;
    /* A new start every run, so a run does not find the last run's chain
     * in the cache. */
    uint64_t words = st->n / 8, i = chain_start(st->rng_seed, st->runs, words), acc = 0;
    for (size_t t = 0; t < st->touches; t++) {
        uint64_t v = w[i];
        acc += v;
        i = next_index(v, t, words);
    }
    st->probe = acc ^ i;
    st->runs++;
}

FB_HOT void init_random_4k(state *st) { random_body(st); }
FB_HOT void init_random_thp(state *st) { random_body(st); }

#define RUNNER(v)                                                                              \
    static void run_##v(void *p) { init_##v(p); }
RUNNER(fill) RUNNER(zero_fill) RUNNER(malloc_fill) RUNNER(malloc_zero_fill) RUNNER(calloc_fill)
RUNNER(aligned_fill) RUNNER(mmap_fill) RUNNER(mmap_thp_fill) RUNNER(random_4k) RUNNER(random_thp)

static enum mode mode_of(const fb_variant *v)
{
    if (!strcmp(v->name, "fill") || !strcmp(v->name, "zero_fill")) return M_WARM;
    if (!strcmp(v->name, "random_4k")) return M_RANDOM_4K;
    if (!strcmp(v->name, "random_thp")) return M_RANDOM_THP;
    return M_FRESH;
}

/* ---- setup, prepare, check -------------------------------------------- */

static long minor_faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

/* AnonHugePages of this process, in KiB (-1 if unknown). */
static long anon_huge_kib(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    if (!f) return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "AnonHugePages: %ld kB", &kib) == 1) break;
    fclose(f);
    return kib;
}

static void read_thp_mode(char *out, size_t len)
{
    snprintf(out, len, "unknown");
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (!f) return;
    char line[128];
    if (fgets(line, sizeof line, f)) {
        char *l = strchr(line, '['), *r = l ? strchr(l, ']') : NULL;
        if (l && r) snprintf(out, len, "%.*s", (int)(r - l - 1), l + 1);
    }
    fclose(f);
}

static void unmap_random(state *st)
{
    if (st->map_raw) munmap(st->map_raw, st->map_raw_len);
    st->map_raw = NULL;
    st->map = NULL;
    st->map_mode = M_NONE;
}

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    fb_rng rng = fb_rng_seeded(ctx->seed);
    st->n = ctx->n < 4096 ? 4096 : ctx->n & ~(size_t)7;
    st->fresh = (st->n / 4) & ~(size_t)7;
#if defined(__GLIBC__)
    /* Every fresh block is a new mmap (see the top comment).  mallopt only
     * steers glibc's malloc; under LD_PRELOAD of another allocator it does
     * nothing. */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
    st->base = fb_rng_next(&rng);
    st->rng_seed = fb_rng_next(&rng);
    st->touches = st->n / 2048;
    read_thp_mode(st->thp, sizeof st->thp);
    /* Buffers are made by prepare on a variant's first repetition, so a run
     * of one variant maps only what it uses. */
    return st;
}

static void prepare(void *p, const fb_variant *v)
{
    state *st = p;
    enum mode m = mode_of(v);
    if (st->last_variant != v->name) {
        /* First repetition of this variant: build its buffers (untimed). */
        if (m == M_WARM && !st->warm) {
            /* Present in one call, then written once, so that the first
             * timed repetition finds every page mapped and touched. */
            st->warm = fb_alloc_prefaulted(st->n);
            memset(st->warm, 0, st->n);
        }
        if (m != M_WARM && st->warm) {
            free(st->warm);
            st->warm = NULL;
        }
        if (m != st->map_mode) unmap_random(st);
        st->huge_kib = -1;
        if (m == M_RANDOM_4K || m == M_RANDOM_THP) {
            st->map = map_aligned(st->n, m == M_RANDOM_THP ? MADV_HUGEPAGE : MADV_NOHUGEPAGE,
                                  &st->map_raw, &st->map_raw_len);
            st->map_mode = m;
            /* Pages present in one call (of the size the advice asks for),
             * then written. */
            fb_prefault(st->map, st->n);
            for (size_t i = 0; i < st->n / 8; i++) st->map[i] = word_value(i);
            st->runs = 0;
            st->huge_kib = anon_huge_kib();
        }
        st->last_variant = v->name;
        st->last_mode = m;
        st->prepared = 0;
        st->faults_at_start = minor_faults();
    }
    st->prepared++;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    state *st = p;
    enum mode m = mode_of(v);
    if (m == M_RANDOM_4K || m == M_RANDOM_THP) {
        /* The last run was run number runs - 1. */
        uint64_t words = st->n / 8, i = chain_start(st->rng_seed, st->runs - 1, words), acc = 0;
        for (size_t t = 0; t < st->touches; t++) {
            uint64_t val = word_value(i);
            acc += val;
            i = next_index(val, t, words);
        }
        return fb_check_u64("chain result", st->probe, acc ^ i, why, len);
    }
    size_t words = (m == M_WARM ? st->n : st->fresh) / 8;
    uint64_t want = expected_probe(words, st->base);
    if (st->probed_words != words || st->probe != want) {
        snprintf(why, len, "probe %016llx over %zu words; reference %016llx over %zu",
                 (unsigned long long)st->probe, st->probed_words, (unsigned long long)want, words);
        return false;
    }
    if (m == M_WARM) {
        for (size_t i = 0; i < words; i++) {
            if (st->warm[i] != st->base + i * FILL_K) {
                snprintf(why, len, "word %zu is %016llx, reference %016llx", i,
                         (unsigned long long)st->warm[i],
                         (unsigned long long)(st->base + i * FILL_K));
                return false;
            }
        }
    }
    return true;
}

static uint64_t checksum(void *p) { return fb_hash_u64(((state *)p)->probe); }

static double items(void *p)
{
    state *st = p;
    switch (st->last_mode) {
    case M_WARM: return (double)(st->n / 8 * 8);
    case M_RANDOM_4K:
    case M_RANDOM_THP: return (double)st->touches;
    default: return (double)(st->fresh / 8 * 8);
    }
}

static void report(void *p, const fb_variant *v, fb_json *out)
{
    (void)v;
    state *st = p;
    fb_json_str(out, "thp_enabled", st->thp);
    long faults = minor_faults() - st->faults_at_start;
    /* prepare ran once per repetition (warm-up included) since the count
     * started; the check's reads fault nothing new. */
    double per_rep = st->prepared ? (double)faults / (double)st->prepared : 0;
    fb_json_num(out, "minor_faults_per_rep", per_rep);
    size_t bytes = st->last_mode == M_WARM || st->last_mode == M_RANDOM_4K ||
                           st->last_mode == M_RANDOM_THP
                       ? st->n
                       : st->fresh;
    fb_json_int(out, "buffer_bytes", (long long)bytes);
    if (st->huge_kib >= 0) fb_json_int(out, "huge_kib", st->huge_kib);
}

static void teardown(void *p)
{
    state *st = p;
    unmap_random(st);
    free(st->warm);
    free(st);
}

static const fb_variant variants[] = {
    {"fill", run_fill, 0, "warm buffer: write every word directly (no zeroing first)"},
    {"zero_fill", run_zero_fill, 0, "warm buffer: memset 0, then write every word"},
    {"malloc_fill", run_malloc_fill, 0, "fresh malloc (mmap), fill, free: 4 KiB page faults"},
    {"malloc_zero_fill", run_malloc_zero_fill, 0, "fresh malloc, memset 0, fill, free"},
    {"calloc_fill", run_calloc_fill, 0, "fresh calloc (already-zero mmap pages), fill, free"},
    {"aligned_fill", run_aligned_fill, 0, "fresh aligned_alloc(64), fill, free"},
    {"mmap_fill", run_mmap_fill, 0, "mmap (MADV_NOHUGEPAGE), fill, munmap: 4 KiB faults"},
    {"mmap_thp_fill", run_mmap_thp_fill, 0, "mmap (MADV_HUGEPAGE), fill, munmap: 2 MiB faults"},
    {"random_4k", run_random_4k, 0, "dependent random reads over a 4 KiB-page mapping"},
    {"random_thp", run_random_thp, 0, "dependent random reads over a huge-page (THP) mapping"},
};

static const fb_kernel kernel = {
    .family = "memory",
    .name = "init",
    .summary = "zeroing vs not, fresh pages from malloc/calloc/aligned_alloc/mmap, THP",
    .unit = "bytes",
    .sizes = {(4 << 20) + 1003, 64 << 20, 96 << 20},
    .reps = {1, 3, 5},
    FB_HOOKS(setup, prepare, check, checksum, items, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
