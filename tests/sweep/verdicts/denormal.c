/* vfix/denormal: one loop dividing denormal floats.  -ffast-math leaves its
 * instructions as they are (the divisor is a run-time value, so there is no
 * reciprocal to fold) but links crtfastmath.o, which sets FTZ/DAZ at start-up:
 * the same divisions then skip the denormal assists (dividing denormals is
 * slow on current x86 cores; multiplying and adding them often is not).
 * The sweep must not merge the two (the harness reports the FP environment)
 * and must call the fast-math build faster. */
#include "harness.h"

#include <stdlib.h>

typedef struct {
    size_t n;
    float div;
    float *x, *y;
} state;

FB_HOT void denormal_scale(void *p)
{
    state *st = p;
    for (size_t i = 0; i < st->n; i++) st->y[i] = st->x[i] / st->div;
}

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    st->div = 3.0f;
    st->x = fb_alloc(st->n * sizeof(float));
    st->y = fb_alloc(st->n * sizeof(float));
    for (size_t i = 0; i < st->n; i++) st->x[i] = 1e-40f * (float)(1 + i % 7);
    return st;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    for (size_t i = 0; i < st->n; i++) {
        float want = st->x[i] / st->div;
        if (st->y[i] != want) {
            snprintf(why, len, "y[%zu] = %g, want %g", i, (double)st->y[i], (double)want);
            return false;
        }
    }
    return true;
}

static uint64_t checksum(void *p)
{
    state *st = p;
    return fb_hash_bytes(st->y, st->n * sizeof(float), FB_HASH_INIT);
}
static void teardown(void *p)
{
    state *st = p;
    free(st->x);
    free(st->y);
    free(st);
}

static const fb_variant variants[] = {{"scale", denormal_scale, 0, "y = x / 3 on denormal x"}};
static const fb_kernel kernel = {
    .family = "vfix", .name = "denormal", .summary = "FP environment at start-up (sweep test)",
    .unit = "elements", .sizes = {1000, 4096, 8192}, .reps = {2, 20, 100},
    FB_HOOKS(setup, NULL, check, checksum, NULL, NULL, teardown),
    FB_VARIANTS(variants),
};
FB_KERNEL_MAIN(kernel)
