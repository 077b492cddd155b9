/* cache/prefetch: pointer chasing and a random gather, with software prefetch.
 *
 * Sizes: n counts 64-byte lines; the list has n nodes and the gather array n
 *   lines (8n uint64), each n * 64 B.  A repetition makes m = min(n, 131072)
 *   accesses (an item is one access, so ns_per_item is ns per access) and
 *   continues where the previous repetition stopped, so at ref no repetition
 *   revisits data the previous ones left in the caches.  test 1003 (62 KiB),
 *   train 65537 (4 MiB, L3), ref 2097152 (128 MiB each: DRAM, four times
 *   the L3).  To see each level, run e.g. --size 256 (16 KiB: L1), 8192
 *   (512 KiB: L2), 65536 (4 MiB: L3; past ~8 MiB the misses of the 4 KiB
 *   pages' TLB entries add up), 2097152 (DRAM).
 * Sensitive to: hardly to flags (the time is memory latency); opt and
 *   compiler only through the loop overhead that shows in L1 and L2, and
 *   march not at all.  It is a machine property: rerun on another CPU.
 * Correctness: the sum of the values visited by the last repetition is
 *   compared with a plain walk (or gather) from the same starting point.
 *   The values are laid out so that every repetition's sum is the same
 *   (value = g(k mod m) for the k-th node or index in walk order, g random),
 *   so the checksum does not depend on how many repetitions ran.
 * Notes (what each variant shows, what to expect): docs/kernels/cache.md.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_STEPS = 131072, PF_MAX = 64, J4 = 0, J16 = 1, J64 = 2 };

typedef struct node node;
struct node {
    node *next;
    uint64_t value;
    node *jump[3]; /* the nodes 4, 16 and 64 steps ahead */
    char pad[64 - 5 * sizeof(void *)];
};
_Static_assert(sizeof(node) == 64, "a node is one cache line");

typedef struct {
    size_t n, m;            /* lines per structure, accesses per repetition */
    node *nodes, *head;     /* head: the walk's next starting node */
    node *last_start;       /* where the last chase repetition started */
    uint64_t *a;            /* 8n elements */
    uint32_t *idx;          /* cycle_len + PF_MAX entries */
    size_t cycle_len;       /* entries of idx (and nodes of the list) in use */
    size_t gpos, last_gpos; /* the gather's position in idx */
    uint64_t sum;
    bool last_was_gather;
    uint64_t seed;
    uint64_t *g;            /* the value of the k-th access of a repetition (m entries) */
} state;

#define CHASE(variant, PREFETCH)                                                               \
    FB_HOT node *prefetch_chase_##variant(node *p, size_t m, uint64_t *sum)                    \
    {                                                                                          \
        uint64_t s = 0;                                                                        \
        for (size_t k = 0; k < m; k++) {                                                       \
            PREFETCH;                                                                          \
            s += p->value;                                                                     \
            p = p->next;                                                                       \
        }                                                                                      \
        *sum = s;                                                                              \
        return p;                                                                              \
    }
CHASE(none, (void)0)
CHASE(pf4, __builtin_prefetch(p->jump[J4], 0, 3))
CHASE(pf16, __builtin_prefetch(p->jump[J16], 0, 3))
CHASE(pf64, __builtin_prefetch(p->jump[J64], 0, 3))

#define GATHER(variant, D)                                                                     \
    FB_HOT uint64_t prefetch_gather_##variant(const uint64_t *a, const uint32_t *idx, size_t m) \
    {                                                                                          \
        uint64_t s = 0;                                                                        \
        for (size_t i = 0; i < m; i++) {                                                       \
            if (D) __builtin_prefetch(&a[idx[i + D]], 0, 3);                                   \
            s += a[idx[i]];                                                                    \
        }                                                                                      \
        return s;                                                                              \
    }
GATHER(none, 0)
GATHER(pf4, 4)
GATHER(pf16, 16)
GATHER(pf64, 64)

#define RUN_CHASE(variant)                                                                     \
    static void run_chase_##variant(void *p)                                                   \
    {                                                                                          \
        state *st = p;                                                                         \
        st->last_start = st->head;                                                             \
        st->head = prefetch_chase_##variant(st->head, st->m, &st->sum);                        \
        st->last_was_gather = false;                                                           \
    }
#define RUN_GATHER(variant)                                                                    \
    static void run_gather_##variant(void *p)                                                  \
    {                                                                                          \
        state *st = p;                                                                         \
        st->last_gpos = st->gpos;                                                              \
        st->sum = prefetch_gather_##variant(st->a, st->idx + st->gpos, st->m);                 \
        st->gpos = st->gpos + st->m == st->cycle_len ? 0 : st->gpos + st->m;                   \
        st->last_was_gather = true;                                                            \
    }
RUN_CHASE(none) RUN_CHASE(pf4) RUN_CHASE(pf16) RUN_CHASE(pf64) RUN_GATHER(none) RUN_GATHER(pf4)
RUN_GATHER(pf16) RUN_GATHER(pf64)

/* A random permutation of 0..n-1 (Fisher-Yates), with room for `extra`
 * more entries after it. */
static uint32_t *permutation(fb_rng *r, size_t n, size_t extra)
{
    uint32_t *p = fb_alloc_prefaulted((n + extra) * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = (uint32_t)i;
    for (size_t i = n; i > 1; i--) {
        size_t j = fb_rng_below(r, i);
        uint32_t t = p[i - 1];
        p[i - 1] = p[j];
        p[j] = t;
    }
    return p;
}

/* position[order[k]] = k.  The arrays hold 4 bytes per line (8 MiB at ref):
 * they stay in L3, so the random accesses of the builders below hit L3
 * while the big structures are written in memory order, not at random
 * (a random write per 64-byte line of a 128 MiB structure costs a DRAM
 * miss each, about 20 times the build time). */
static uint32_t *inverse(const uint32_t *order, size_t n)
{
    uint32_t *position = fb_alloc_prefaulted(n * sizeof *position);
    for (size_t k = 0; k < n; k++) position[order[k]] = (uint32_t)k;
    return position;
}

/* g's entry for the k-th access of the cycle, k % m: m is either MAX_STEPS
 * (a power of two) or n, which is more than k. */
_Static_assert((MAX_STEPS & (MAX_STEPS - 1)) == 0, "MAX_STEPS is a power of two");
static inline uint64_t g_of(const state *st, size_t k) { return st->g[k & (MAX_STEPS - 1)]; }

/* Each structure has its own random stream, so building only the one a
 * variant needs (each process runs one variant in a sweep) gives the same
 * data as building both.  The builders write every byte of the big
 * structures once, in memory order (no separate zeroing pass), into pages
 * made present beforehand (fb_prefault). */
static void build_list(state *st)
{
    size_t n = st->n, len = st->cycle_len;
    fb_rng rng = fb_rng_seeded(st->seed ^ 0x6c697374u);
    uint32_t *order = permutation(&rng, n, PF_MAX);
    uint32_t *position = inverse(order, n);
    /* The cycle continues past its end: order[len + j] = order[j % len], so
     * the nodes d steps ahead are order[k + d] without a division.  (The
     * entries it overwrites, nodes outside the cycle when len < n, are not
     * needed once position is built.) */
    for (size_t j = 0; j < PF_MAX; j++) order[len + j] = order[j % len];
    st->nodes = fb_alloc_prefaulted(n * sizeof(node));
    /* The list: nodes in a random cyclic order over the first `len` positions. */
    for (size_t i = 0; i < n; i++) {
        size_t k = position[i];
        node *x = &st->nodes[i];
        if (k >= len) {
            *x = (node){0};
            continue;
        }
        *x = (node){.next = &st->nodes[order[k + 1]],
                    .value = g_of(st, k),
                    .jump = {&st->nodes[order[k + 4]], &st->nodes[order[k + 16]],
                             &st->nodes[order[k + 64]]}};
    }
    _Static_assert(PF_MAX >= 64, "order has room for the farthest jump");
    st->head = &st->nodes[order[0]];
    free(position);
    free(order);
}

static void build_gather(state *st)
{
    size_t n = st->n, len = st->cycle_len;
    fb_rng rng = fb_rng_seeded(st->seed ^ 0x67617468u);
    uint32_t *lines = permutation(&rng, n, 0);
    uint32_t *position = inverse(lines, n);
    st->a = fb_alloc_prefaulted(8 * n * sizeof(uint64_t));
    st->idx = fb_alloc_prefaulted((len + PF_MAX) * sizeof(uint32_t));
    /* Entry k points into line lines[k], at an element picked by a hash of k;
     * the line's other elements are zero. */
    for (size_t line = 0; line < n; line++) {
        uint64_t *a = st->a + 8 * line;
        for (int j = 0; j < 8; j++) a[j] = 0;
        size_t k = position[line];
        if (k >= len) continue;
        uint64_t h = (k + st->seed) * 0x9e3779b97f4a7c15ull;
        uint32_t e = (uint32_t)line * 8 + (uint32_t)(h >> 61);
        st->idx[k] = e;
        st->a[e] = g_of(st, k);
    }
    /* Prefetches run up to PF_MAX entries past a repetition's end: there the
     * next repetition's first entries, wrapping around at the end. */
    for (size_t k = 0; k < PF_MAX; k++) st->idx[len + k] = st->idx[k % len];
    free(position);
    free(lines);
}

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    size_t n = st->n = ctx->n;
    if (n > UINT32_MAX / 8) {
        fprintf(stderr, "cache/prefetch: size %zu lines is too large\n", n);
        exit(2);
    }
    size_t m = st->m = n < MAX_STEPS ? n : MAX_STEPS;
    st->cycle_len = n / m * m;
    st->seed = ctx->seed;
    fb_rng rng = fb_rng_seeded(ctx->seed);
    st->g = fb_alloc(m * sizeof *st->g);
    for (size_t k = 0; k < m; k++) st->g[k] = fb_rng_next(&rng);
    return st;
}

/* Untimed: the structure a variant walks is built before its first repetition. */
static void prepare(void *p, const fb_variant *v)
{
    state *st = p;
    if (v->name[0] == 'c' && !st->nodes) build_list(st);
    if (v->name[0] == 'g' && !st->a) build_gather(st);
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    uint64_t want = 0;
    if (st->last_was_gather) {
        for (size_t k = 0; k < st->m; k++) want += st->a[st->idx[st->last_gpos + k]];
    } else {
        const node *x = st->last_start;
        for (size_t k = 0; k < st->m; k++, x = x->next) want += x->value;
    }
    return fb_check_u64("sum", st->sum, want, why, len);
}

static uint64_t checksum(void *p) { return fb_hash_u64(((state *)p)->sum); }

static double items(void *p)
{
    state *st = p;
    return (double)st->m;
}

static void report(void *p, const fb_variant *v, fb_json *out)
{
    (void)v;
    state *st = p;
    fb_json_int(out, "working_set_bytes", (long long)(st->n * 64));
}

static void teardown(void *p)
{
    state *st = p;
    free(st->nodes), free(st->a), free(st->idx), free(st->g);
    free(st);
}

static const fb_variant variants[] = {
    {"chase_none", run_chase_none, 0, "random-order linked list: one miss in flight"},
    {"chase_pf4", run_chase_pf4, 0, "prefetch the node 4 ahead via a jump pointer"},
    {"chase_pf16", run_chase_pf16, 0, "prefetch the node 16 ahead via a jump pointer"},
    {"chase_pf64", run_chase_pf64, 0, "prefetch the node 64 ahead via a jump pointer"},
    {"gather_none", run_gather_none, 0, "sum of a[idx[i]]: independent misses, overlapped by OoO"},
    {"gather_pf4", run_gather_pf4, 0, "prefetch a[idx[i+4]]"},
    {"gather_pf16", run_gather_pf16, 0, "prefetch a[idx[i+16]]"},
    {"gather_pf64", run_gather_pf64, 0, "prefetch a[idx[i+64]]"},
};

static const fb_kernel kernel = {
    .family = "cache",
    .name = "prefetch",
    .summary = "pointer chase and random gather with __builtin_prefetch at several distances",
    .unit = "accesses",
    .sizes = {1003, 65537, 2097152},
    .reps = {1, 10, 5},
    FB_HOOKS(setup, prepare, check, checksum, items, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
