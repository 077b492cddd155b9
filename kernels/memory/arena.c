/* memory/arena: build, walk and free many small binary trees: malloc/free vs
 * a fixed-size pool vs a bump arena.
 *
 * flagbench-sources: lib/bump.c lib/pool.c
 * Sizes (an item is a node; n is nodes per repetition, rounded down to whole
 *   trees): D is the largest depth <= 12 whose tree (2^(D+1)-1 nodes) fits
 *   in n.  test 1003 -> one tree of depth 8 (511 nodes); train 300000 and
 *   ref 655000 -> trees of depth 12 (8191 nodes, 192 KiB of pool nodes,
 *   256 KiB of malloc chunks: L2), 36 and 79 trees.  The working set stays
 *   in L2 on purpose: the kernel measures allocation cost, not memory.
 * Sensitive to: inline (-fno-inline keeps the pool and arena fast paths out
 *   of line and narrows their lead; malloc cannot be inlined anyway), opt,
 *   lto (only the slow paths and mem_bump_reset live in lib/bump.c and
 *   lib/pool.c; with LTO the reset can be inlined into arena_bump), and the
 *   allocator behind malloc (LD_PRELOAD; a future allocator axis).
 * Correctness: each variant's node count and item-check sum are compared
 *   with a closed recursion over (item, depth) that allocates nothing; the
 *   checksum hashes both (exact integers, identical in every configuration).
 * Notes (what each variant shows, what to expect): docs/kernels/memory.md.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "lib/bump.h"
#include "lib/pool.h"

typedef struct node {
    struct node *left, *right;
    int64_t item;
} node;

typedef struct {
    int depth;
    size_t trees;
    int64_t check_sum;  /* sum over trees of the item check */
    uint64_t nodes;     /* nodes visited by the walks */
    mem_pool pool;
    mem_bump arena;
} state;

/* The trees: tree t has root item t+1; a node with item i has children
 * 2i-1 (left) and 2i (right) down to depth 0.  The item check is
 * item + check(left) - check(right), i.e. the sum of the items with the sign
 * flipped at every right edge on the path from the root. */
#define MAX_DEPTH 12
#define STACK_SLOTS (2 * MAX_DEPTH + 4)

/* Build and walk-and-free, written once as macros over the allocator so the
 * three variants differ only in ALLOC / FREE and all of the loop ends up in
 * each FB_HOT function. */
#define BUILD_TREE(root, item0, depth, ALLOC)                                                   \
    do {                                                                                        \
        node *stk_n[STACK_SLOTS];                                                               \
        int stk_d[STACK_SLOTS];                                                                 \
        int sp = 0;                                                                             \
        node *r_ = ALLOC;                                                                       \
        r_->item = (item0);                                                                     \
        r_->left = r_->right = NULL;                                                            \
        stk_n[sp] = r_, stk_d[sp++] = (depth);                                                  \
        while (sp) {                                                                            \
            node *x_ = stk_n[--sp];                                                             \
            int d_ = stk_d[sp];                                                                 \
            if (d_ == 0) continue;                                                              \
            node *l_ = ALLOC;                                                                   \
            l_->item = 2 * x_->item - 1, l_->left = l_->right = NULL;                           \
            node *rr_ = ALLOC;                                                                  \
            rr_->item = 2 * x_->item, rr_->left = rr_->right = NULL;                            \
            x_->left = l_, x_->right = rr_;                                                     \
            stk_n[sp] = rr_, stk_d[sp++] = d_ - 1;                                              \
            stk_n[sp] = l_, stk_d[sp++] = d_ - 1;                                               \
        }                                                                                       \
        (root) = r_;                                                                            \
    } while (0)

/* Walks the tree, adds its item check to `check` and its size to `count`,
 * and calls FREE(x) on every node after reading it. */
#define WALK_TREE(root, check, count, FREE)                                                     \
    do {                                                                                        \
        node *stk_n[STACK_SLOTS];                                                               \
        int64_t stk_s[STACK_SLOTS];                                                             \
        int sp = 0;                                                                             \
        stk_n[sp] = (root), stk_s[sp++] = 1;                                                    \
        while (sp) {                                                                            \
            node *x_ = stk_n[--sp];                                                             \
            int64_t s_ = stk_s[sp];                                                             \
            (check) += s_ * x_->item;                                                           \
            (count)++;                                                                          \
            node *l_ = x_->left, *r_ = x_->right;                                               \
            FREE(x_);                                                                           \
            if (l_) {                                                                           \
                stk_n[sp] = r_, stk_s[sp++] = -s_;                                              \
                stk_n[sp] = l_, stk_s[sp++] = s_;                                               \
            }                                                                                   \
        }                                                                                       \
    } while (0)

/* A variant: build and walk st->trees trees with nodes from ALLOC, handing
 * each back by FREE, and AFTER_TREE once a tree is walked. */
#define TREE_VARIANT(name, ALLOCATOR, ALLOC, FREE, AFTER_TREE)                                 \
    FB_HOT void arena_##name(state *st)                                                        \
    {                                                                                          \
        ALLOCATOR;                                                                             \
        int64_t check = 0;                                                                     \
        uint64_t count = 0;                                                                    \
        for (size_t t = 0; t < st->trees; t++) {                                               \
            node *root;                                                                        \
            BUILD_TREE(root, (int64_t)t + 1, st->depth, ALLOC);                                \
            WALK_TREE(root, check, count, FREE);                                               \
            AFTER_TREE;                                                                        \
        }                                                                                      \
        st->check_sum = check;                                                                 \
        st->nodes = count;                                                                     \
    }

#define FREE_MALLOC(x) free(x)
#define FREE_POOL(x) mem_pool_free(pool, (x))
#define FREE_NONE(x) ((void)(x))
TREE_VARIANT(malloc, (void)0, fb_malloc(sizeof(node)), FREE_MALLOC, (void)0)
TREE_VARIANT(pool, mem_pool *pool = &st->pool, (node *)mem_pool_alloc(pool), FREE_POOL, (void)0)
/* The bump arena frees nothing: the whole tree dies at once. */
TREE_VARIANT(bump, mem_bump *arena = &st->arena, (node *)mem_bump_alloc(arena, sizeof(node), _Alignof(node)),
             FREE_NONE, mem_bump_reset(arena))

static void run_malloc(void *p) { arena_malloc(p); }
static void run_pool(void *p) { arena_pool(p); }
static void run_bump(void *p) { arena_bump(p); }

static size_t tree_nodes(int depth) { return ((size_t)2 << depth) - 1; }

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    /* The inputs are the tree shapes themselves; the seed is not needed. */
    int d = 1;
    while (d < MAX_DEPTH && tree_nodes(d + 1) <= ctx->n) d++;
    st->depth = d;
    st->trees = ctx->n / tree_nodes(d);
    if (st->trees == 0) st->trees = 1;
    /* The pool and the arena start empty and grow in the warm-up repetition;
     * the timed repetitions then run in steady state, as malloc does once its
     * heap has grown. */
    mem_pool_init(&st->pool, sizeof(node), _Alignof(node), 64 << 10);
    mem_bump_init(&st->arena, 64 << 10);
    return st;
}

static int64_t ref_check(int64_t item, int depth)
{
    if (depth == 0) return item;
    return item + ref_check(2 * item - 1, depth - 1) - ref_check(2 * item, depth - 1);
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    int64_t want = 0;
    for (size_t t = 0; t < st->trees; t++) want += ref_check((int64_t)t + 1, st->depth);
    uint64_t want_nodes = (uint64_t)st->trees * tree_nodes(st->depth);
    if (st->check_sum == want && st->nodes == want_nodes) return true;
    snprintf(why, len, "item check %lld, nodes %llu; reference %lld, %llu",
             (long long)st->check_sum, (unsigned long long)st->nodes, (long long)want,
             (unsigned long long)want_nodes);
    return false;
}

static uint64_t checksum(void *p)
{
    state *st = p;
    uint64_t h = fb_hash_bytes(&st->check_sum, sizeof st->check_sum, FB_HASH_INIT);
    return fb_hash_bytes(&st->nodes, sizeof st->nodes, h);
}

static double items(void *p)
{
    state *st = p;
    return (double)st->trees * (double)tree_nodes(st->depth);
}

static void report(void *p, const fb_variant *v, fb_json *out)
{
    state *st = p;
    fb_json_int(out, "depth", st->depth);
    fb_json_int(out, "trees", (long long)st->trees);
    if (!strcmp(v->name, "pool")) fb_json_int(out, "pool_bytes", (long long)st->pool.reserved);
    if (!strcmp(v->name, "bump")) fb_json_int(out, "arena_bytes", (long long)st->arena.reserved);
}

static void teardown(void *p)
{
    state *st = p;
    mem_pool_destroy(&st->pool);
    mem_bump_destroy(&st->arena);
    free(st);
}

static const fb_variant variants[] = {
    {"malloc", run_malloc, 0, "malloc/free per node (libc, or whatever LD_PRELOAD supplies)"},
    {"pool", run_pool, 0, "fixed-size pool: inlined free-list pop/push per node"},
    {"bump", run_bump, 0, "bump arena: pointer bump per node, O(1) reset per tree"},
};

static const fb_kernel kernel = {
    .family = "memory",
    .name = "arena",
    .summary = "binary trees built and freed: malloc vs fixed-size pool vs bump arena",
    .unit = "nodes",
    .sizes = {1003, 300000, 655000},
    .reps = {1, 5, 8},
    FB_HOOKS(setup, NULL, check, checksum, items, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
