/* vfix/extra: a dependent multiply chain, FB_FIX_EXTRA percent longer in
 * the configuration that sets it: 3% of real extra work in a kernel with
 * almost no noise, which the sweep must still call slower. */
#include "harness.h"

#include <stdlib.h>

#ifndef FB_FIX_EXTRA
#define FB_FIX_EXTRA 0
#endif

typedef struct {
    size_t n;
    uint64_t out;
} state;

FB_HOT void extra_chain(void *p)
{
    state *st = p;
    uint64_t h = 3, n = st->n + st->n * FB_FIX_EXTRA / 100;
    for (uint64_t i = 0; i < n; i++) h = h * 0x9e3779b97f4a7c15ull + 1;
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
    uint64_t h = 3, n = st->n + st->n * FB_FIX_EXTRA / 100;
    for (uint64_t i = 0; i < n; i++) h = h * 0x9e3779b97f4a7c15ull + 1;
    if (h == st->out) return true;
    snprintf(why, len, "chain %llx, want %llx", (unsigned long long)st->out, (unsigned long long)h);
    return false;
}

static uint64_t checksum(void *p) { return ((state *)p)->out; }
static void teardown(void *p) { free(p); }

static const fb_variant variants[] = {{"chain", extra_chain, 0, "n dependent multiply-adds"}};
static const fb_kernel kernel = {
    .family = "vfix", .name = "extra", .summary = "3% extra work, low noise (sweep test)",
    .unit = "elements", .sizes = {1000, 100000, 1000000}, .reps = {2, 5, 10},
    FB_HOOKS(setup, NULL, check, checksum, NULL, NULL, teardown),
    FB_VARIANTS(variants),
};
FB_KERNEL_MAIN(kernel)
