/* memory/churn: a chained hash table under random inserts and deletes of
 *
 * flagbench-sources: lib/pool.c lib/slab.c
 * Sizes (an item is an operation: M fill inserts + n churn operations + the
 *   final frees; M = n/4): test 1003 ops (M 250), train 100000, ref 120000
 *   (M 30000 live nodes: about 4 MiB of nodes with malloc or slab, 7 MiB
 *   with the pool, plus a 256 KiB bucket array and a 2.4 MiB operation list
 *   streamed once: L3).  Chain walks are dependent loads into L3; the kernel
 *   is latency- and allocator-bound, not bandwidth-bound.
 * Sensitive to: inline (the pool and slab fast paths are static inline in
 *   lib/pool.h and lib/slab.h), opt, and the allocator behind malloc
 *   (LD_PRELOAD jemalloc or mimalloc; a future allocator axis).  lto matters
 *   only for the slow paths.
 * Correctness: the count and an order-independent sum over the surviving
 *   nodes (key, length, first and last payload byte) are compared with a
 *   plain replay of the operation list over a flag array; the checksum hashes
 *   both (exact integers).
 * Notes (what each variant shows, what to expect): docs/kernels/memory.md.
 */
#include "harness.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pool.h"
#include "lib/slab.h"

typedef struct hnode {
    struct hnode *next;
    uint64_t key;
    uint32_t len;
    uint8_t data[];
} hnode;

#define HDR offsetof(hnode, data)
#define MIN_PAYLOAD 8
#define MAX_PAYLOAD 207
#define SRC_BYTES 2048

enum { OP_INSERT = 0, OP_DELETE = 1 };

typedef struct {
    uint64_t key;
    uint32_t target; /* delete: index of the insert op whose key it removes */
    uint16_t len;    /* insert: payload length */
    uint8_t kind;
} op;

typedef struct {
    size_t n, fill, nops;
    op *ops;
    uint8_t src[SRC_BYTES + MAX_PAYLOAD];
    hnode **buckets;
    unsigned bucket_bits;
    /* results of the last repetition */
    uint64_t count, sum, freed;
    mem_pool pool;
    mem_slab slab;
} state;

static inline size_t bucket_of(const state *st, uint64_t key)
{
    return (size_t)(key >> (64 - st->bucket_bits));
}

static inline uint64_t node_summary(const hnode *x)
{
    return x->key + (uint64_t)x->len * 0x9e3779b97f4a7c15ull + x->data[0] +
           ((uint64_t)x->data[x->len - 1] << 8);
}

/* The table operations, shared by the variants; ALLOC(size) and
 * FREE(node, size) are the allocator.  The macro puts the whole repetition
 * in each FB_HOT function, allocator fast paths inlined. */
#define CHURN_BODY(ALLOC, FREE)                                                                 \
    do {                                                                                        \
        hnode **b = st->buckets;                                                                \
        memset(b, 0, sizeof(hnode *) << st->bucket_bits);                                       \
        const op *ops = st->ops;                                                                \
        for (size_t i = 0; i < st->nops; i++) {                                                 \
            const op *o = &ops[i];                                                              \
            hnode **slot = &b[bucket_of(st, o->key)];                                           \
            if (o->kind == OP_INSERT) {                                                         \
                size_t sz_ = HDR + o->len;                                                      \
                hnode *x = ALLOC(sz_);                                                          \
                x->key = o->key;                                                                \
                x->len = o->len;                                                                \
                memcpy(x->data, st->src + (o->key & (SRC_BYTES - 1)), o->len);                  \
                x->next = *slot;                                                                \
                *slot = x;                                                                      \
            } else {                                                                            \
                while ((*slot)->key != o->key) slot = &(*slot)->next;                           \
                hnode *x = *slot;                                                               \
                *slot = x->next;                                                                \
                FREE(x, HDR + x->len);                                                          \
            }                                                                                   \
        }                                                                                       \
        uint64_t count = 0, sum = 0;                                                            \
        for (size_t k = 0; k < ((size_t)1 << st->bucket_bits); k++)                             \
            for (hnode *x = b[k]; x; x = x->next) count++, sum += node_summary(x);              \
        uint64_t freed = 0;                                                                     \
        for (size_t k = 0; k < ((size_t)1 << st->bucket_bits); k++) {                           \
            for (hnode *x = b[k], *nx; x; x = nx) {                                             \
                nx = x->next;                                                                   \
                FREE(x, HDR + x->len);                                                          \
                freed++;                                                                        \
            }                                                                                   \
        }                                                                                       \
        st->count = count, st->sum = sum, st->freed = freed;                                    \
    } while (0)

#define ALLOC_MALLOC(sz) fb_malloc(sz)
#define FREE_MALLOC(x, sz) free(x)
#define ALLOC_POOL(sz) ((void)(sz), (hnode *)mem_pool_alloc(&st->pool))
#define FREE_POOL(x, sz) mem_pool_free(&st->pool, (x))
#define ALLOC_SLAB(sz) ((hnode *)mem_slab_alloc(&st->slab, (sz)))
#define FREE_SLAB(x, sz) mem_slab_free(&st->slab, (x), (sz))

FB_HOT void churn_malloc(state *st) { CHURN_BODY(ALLOC_MALLOC, FREE_MALLOC); }
FB_HOT void churn_pool(state *st) { CHURN_BODY(ALLOC_POOL, FREE_POOL); }
FB_HOT void churn_slab(state *st) { CHURN_BODY(ALLOC_SLAB, FREE_SLAB); }

static void run_malloc(void *p) { churn_malloc(p); }
static void run_pool(void *p) { churn_pool(p); }
static void run_slab(void *p) { churn_slab(p); }

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    fb_rng rng = fb_rng_seeded(ctx->seed);
    st->n = ctx->n;
    st->fill = ctx->n / 4 ? ctx->n / 4 : 1;
    st->nops = st->fill + st->n;
    st->ops = fb_alloc(st->nops * sizeof *st->ops);
    for (size_t i = 0; i < sizeof st->src; i++) st->src[i] = (uint8_t)fb_rng_next(&rng);

    /* The live set, as op indices, so a delete can pick a random live key. */
    uint32_t *live = fb_alloc(st->nops * sizeof *live);
    size_t nlive = 0;
    uint64_t salt = fb_rng_next(&rng);
    for (size_t i = 0; i < st->nops; i++) {
        op *o = &st->ops[i];
        bool del = i >= st->fill && nlive > 0 && (fb_rng_next(&rng) >> 63);
        if (del) {
            size_t j = fb_rng_below(&rng, nlive);
            o->kind = OP_DELETE;
            o->target = live[j];
            o->key = st->ops[live[j]].key;
            o->len = 0;
            live[j] = live[--nlive];
        } else {
            o->kind = OP_INSERT;
            /* A bijective mix of (salt + i): distinct for distinct i, and
             * spread evenly over the buckets. */
            o->key = fb_mix64(salt + i);
            o->len = (uint16_t)(MIN_PAYLOAD + fb_rng_below(&rng, MAX_PAYLOAD - MIN_PAYLOAD + 1));
            o->target = 0;
            live[nlive++] = (uint32_t)i;
        }
    }
    free(live);

    unsigned bits = 4;
    while (((size_t)1 << bits) < st->fill) bits++;
    st->bucket_bits = bits;
    st->buckets = fb_alloc(sizeof(hnode *) << bits);
    mem_pool_init(&st->pool, HDR + MAX_PAYLOAD, _Alignof(hnode), 64 << 10);
    mem_slab_init(&st->slab);
    return st;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    uint8_t *alive = calloc(st->nops, 1);
    if (!alive) abort();
    for (size_t i = 0; i < st->nops; i++) {
        if (st->ops[i].kind == OP_INSERT) alive[i] = 1;
        else alive[st->ops[i].target] = 0;
    }
    uint64_t count = 0, sum = 0;
    for (size_t i = 0; i < st->nops; i++) {
        if (!alive[i]) continue;
        const op *o = &st->ops[i];
        const uint8_t *d = st->src + (o->key & (SRC_BYTES - 1));
        count++;
        sum += o->key + (uint64_t)o->len * 0x9e3779b97f4a7c15ull + d[0] +
               ((uint64_t)d[o->len - 1] << 8);
    }
    free(alive);
    if (count == st->count && sum == st->sum && st->freed == count) return true;
    snprintf(why, len, "live %llu (freed %llu), sum %016llx; reference %llu, %016llx",
             (unsigned long long)st->count, (unsigned long long)st->freed,
             (unsigned long long)st->sum, (unsigned long long)count, (unsigned long long)sum);
    return false;
}

static uint64_t checksum(void *p)
{
    state *st = p;
    uint64_t h = fb_hash_bytes(&st->count, sizeof st->count, FB_HASH_INIT);
    return fb_hash_bytes(&st->sum, sizeof st->sum, h);
}

static double items(void *p)
{
    state *st = p;
    return (double)(st->nops + st->freed);
}

static void report(void *p, const fb_variant *v, fb_json *out)
{
    state *st = p;
    fb_json_int(out, "live_at_end", (long long)st->count);
    if (!strcmp(v->name, "pool")) fb_json_int(out, "pool_bytes", (long long)st->pool.reserved);
    if (!strcmp(v->name, "slab")) fb_json_int(out, "slab_bytes", (long long)st->slab.reserved);
}

static void teardown(void *p)
{
    state *st = p;
    mem_pool_destroy(&st->pool);
    mem_slab_destroy(&st->slab);
    free(st->ops);
    free(st->buckets);
    free(st);
}

static const fb_variant variants[] = {
    {"malloc", run_malloc, 0, "malloc/free per node (libc, or whatever LD_PRELOAD supplies)"},
    {"pool", run_pool, 0, "one fixed-size pool sized for the largest node: fast, but sparse"},
    {"slab", run_slab, 0, "per-size-class free lists, sized free: fast and dense"},
};

static const fb_kernel kernel = {
    .family = "memory",
    .name = "churn",
    .summary = "hash chains under random insert/delete of mixed-size nodes: slab vs pool vs malloc",
    .unit = "operations",
    .sizes = {1003, 100000, 120000},
    .reps = {1, 5, 8},
    FB_HOOKS(setup, NULL, check, checksum, items, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
