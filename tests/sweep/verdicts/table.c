/* vfix/table: the same instructions reading another constant table.
 * FB_FIX_TABLE=1 makes every entry three times larger: more work per element,
 * not one instruction changed.  The sweep must time it (not merge it with the
 * baseline's identical code) and call it slower. */
#include "harness.h"

#include <stdlib.h>

#ifndef FB_FIX_TABLE
#define FB_FIX_TABLE 0
#endif
static const uint32_t steps[16] = {
    3 * (1 + 2 * FB_FIX_TABLE), 1 * (1 + 2 * FB_FIX_TABLE), 4 * (1 + 2 * FB_FIX_TABLE), 1 * (1 + 2 * FB_FIX_TABLE),
    5 * (1 + 2 * FB_FIX_TABLE), 9 * (1 + 2 * FB_FIX_TABLE), 2 * (1 + 2 * FB_FIX_TABLE), 6 * (1 + 2 * FB_FIX_TABLE),
    5 * (1 + 2 * FB_FIX_TABLE), 3 * (1 + 2 * FB_FIX_TABLE), 5 * (1 + 2 * FB_FIX_TABLE), 8 * (1 + 2 * FB_FIX_TABLE),
    9 * (1 + 2 * FB_FIX_TABLE), 7 * (1 + 2 * FB_FIX_TABLE), 9 * (1 + 2 * FB_FIX_TABLE), 3 * (1 + 2 * FB_FIX_TABLE),
};

typedef struct {
    size_t n;
    uint8_t *keys;
    uint64_t out;
} state;

/* A dependent multiply-add chain, steps[key] links long per element. */
FB_HOT void table_lookup(void *p)
{
    state *st = p;
    uint64_t h = 1;
    for (size_t i = 0; i < st->n; i++)
        for (uint32_t r = steps[st->keys[i] & 15]; r; r--) h = h * 0x9e3779b97f4a7c15ull + i;
    st->out = h;
}

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    st->keys = fb_alloc(st->n);
    fb_rng r;
    fb_rng_seed(&r, ctx->seed);
    for (size_t i = 0; i < st->n; i++) st->keys[i] = (uint8_t)fb_rng_next(&r);
    return st;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    uint64_t h = 1;
    for (size_t i = 0; i < st->n; i++)
        for (uint32_t r = steps[st->keys[i] & 15]; r; r--) h = h * 0x9e3779b97f4a7c15ull + i;
    if (h == st->out) return true;
    snprintf(why, len, "chain %llx, want %llx", (unsigned long long)st->out, (unsigned long long)h);
    return false;
}

static uint64_t checksum(void *p) { return ((state *)p)->out; }
static void teardown(void *p)
{
    free(((state *)p)->keys);
    free(p);
}

static const fb_variant variants[] = {{"lookup", table_lookup, 0, "chain length from a constant table"}};
static const fb_kernel kernel = {
    .family = "vfix", .name = "table", .summary = "constant-table change only (sweep test)",
    .unit = "elements", .sizes = {1000, 20000, 60000}, .reps = {2, 5, 10},
    FB_HOOKS(setup, NULL, check, checksum, NULL, NULL, teardown),
    FB_VARIANTS(variants),
};
FB_KERNEL_MAIN(kernel)
