/* vfix/landing: a loop whose speed depends on where it lands, by
 * construction: it does 25% more work for every 16 bytes its function sits
 * past a 64-byte boundary.  Across placement-only configurations the sweep
 * must call it "no difference", and report the spread between its layout
 * seeds. */
#include "harness.h"

#include <stdlib.h>

typedef struct {
    size_t n;
    uint64_t out;
} state;

FB_HOT void landing_run(void *p)
{
    state *st = p;
    size_t slot = ((uintptr_t)&landing_run >> 4) & 3;
    uint64_t h = 5, waste = 5;
    for (size_t i = 0; i < st->n; i++) h = h * 0x9e3779b97f4a7c15ull + i;
    for (size_t i = 0; i < st->n * slot / 4; i++) waste = waste * 0x9e3779b97f4a7c15ull + i;
    fb_use_u64(waste);
    st->out = h;
}

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    return st;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    uint64_t h = 5;
    for (size_t i = 0; i < st->n; i++) h = h * 0x9e3779b97f4a7c15ull + i;
    if (h == st->out) return true;
    snprintf(why, len, "chain %llx, want %llx", (unsigned long long)st->out, (unsigned long long)h);
    return false;
}

static uint64_t checksum(void *p) { return ((state *)p)->out; }
static void teardown(void *p) { free(p); }

static const fb_variant variants[] = {{"run", landing_run, 0, "work grows with the address mod 64"}};
static const fb_kernel kernel = {
    .family = "vfix", .name = "landing", .summary = "layout-sensitive by construction (sweep test)",
    .unit = "elements", .sizes = {1000, 100000, 400000}, .reps = {2, 5, 10},
    FB_HOOKS(setup, NULL, check, checksum, NULL, NULL, teardown),
    FB_VARIANTS(variants),
};
FB_KERNEL_MAIN(kernel)
