/* A kernel whose work the compiler deletes unless the harness's escape is
 * used: "escaped" hands its result to fb_use_u64, "discarded" drops it.
 * tests/harness/test_harness.py times both at two sizes: the escaped
 * variant's time must grow with n, the discarded one's must not (which shows
 * the probe really is foldable, so the first result means something). */
#include "harness.h"

#include <stdlib.h>

typedef struct {
    size_t n;
    uint64_t last;
} state;

/* An LCG chain: no closed form, so only dead-code elimination can remove it. */
static inline uint64_t chain(size_t n)
{
    uint64_t s = 1;
    for (size_t i = 0; i < n; i++) s = s * 6364136223846793005ull + i;
    return s;
}

FB_HOT void escape_escaped(void *p)
{
    state *st = p;
    fb_use_u64(chain(st->n));
}

FB_HOT void escape_discarded(void *p)
{
    state *st = p;
    uint64_t s = chain(st->n);
    (void)s;
}

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    return st;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)p, (void)v, (void)why, (void)len;
    return true;
}

static uint64_t checksum(void *p) { return ((state *)p)->n; }
static void teardown(void *p) { free(p); }

static const fb_variant variants[] = {
    {"escaped", escape_escaped, 0, "result passed to fb_use_u64: the loop must run"},
    {"discarded", escape_discarded, 0, "result dropped: the compiler may delete the loop"},
};

static const fb_kernel kernel = {
    .family = "test", .name = "escape", .summary = "proves fb_use_u64 keeps dead work alive",
    .unit = "steps", .sizes = {1000, 100000, 10000000}, .reps = {1, 3, 5},
    FB_HOOKS(setup, NULL, check, checksum, NULL, NULL, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
