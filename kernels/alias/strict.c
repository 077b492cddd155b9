/* alias/strict: what type-based alias analysis (strict aliasing) buys, and
 * what -fno-strict-aliasing takes away.
 *
 * What it shows
 *   C lets the compiler assume that an lvalue of one type does not modify an
 *   object of an incompatible type (C17 6.5p7): a store to a float cannot
 *   change a size_t, a pointer or an int32_t.  All the code here is
 *   well-defined: the types really do not overlap.  -fno-strict-aliasing
 *   (which the Linux kernel, many embedded code bases and GCC at -O1 use)
 *   withdraws the assumption, and the compiler must then treat every store
 *   as possibly changing anything of any type it cannot otherwise rule out.
 *   - member:  for (i = 0; i < j->len; i++) j->dst[i] = j->src[i] * k,
 *              fields read through a struct pointer.  Strict: a float store
 *              cannot change j->len or the pointers, so they are loaded once
 *              and the loop vectorizes (GCC -O3, Clang).  -fno-strict-aliasing:
 *              the three fields are reloaded after each store and the loop
 *              stays scalar: expect several times slower.  In a strict build
 *              member and local are the same instructions; a time difference
 *              there is code placement, not aliasing.
 *   - local:   the fields copied to locals first: the source-level fix.
 *   - convert: out[i] = (int32_t)(in[i] * *scale): strict, an int store
 *              cannot change the floats, so *scale is hoisted and the loop
 *              vectorizes without a runtime check; -fno-strict-aliasing
 *              reloads it (or versions the loop).
 *   No matrix axis sets -fno-strict-aliasing yet: compare with a build
 *   configured with -DFB_EXTRA_CFLAGS=-fno-strict-aliasing.  GCC enables
 *   strict aliasing only from -O2; Clang applies TBAA at every -O level.
 * Sizes (an item is an element; one pass a repetition): test 1003, train
 *   12000, ref 16000 elements: 64 KiB an array (L2), compute-bound.
 * Sensitive to: -fstrict-aliasing / -fno-strict-aliasing (FB_EXTRA_CFLAGS
 *   today), opt (GCC -O1 has no strict aliasing; GCC -O2 does not vectorize
 *   these loops at all), march (vector width), compiler.
 * Correctness: every element is compared exactly with a plain reference (one
 *   rounded multiply, and the truncation, give the same bits with any
 *   flags, FMA or not); the checksum hashes the outputs.
 */
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/grid.h"

typedef struct job {
    const float *src;
    float *dst;
    size_t len;
} job;

typedef struct {
    size_t n;
    float *src, *dst, scale;
    int32_t *out;
    job j;
    bool last_convert;
} state;

#define FACTOR 1.5f

FB_HOT void strict_member(job *j, float k)
{
    for (size_t i = 0; i < j->len; i++) j->dst[i] = j->src[i] * k;
}

FB_HOT void strict_local(job *j, float k)
{
    const float *src = j->src;
    float *dst = j->dst;
    size_t len = j->len;
    for (size_t i = 0; i < len; i++) dst[i] = src[i] * k;
}

FB_HOT void strict_convert(int32_t *out, const float *in, const float *scale, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = (int32_t)(in[i] * *scale);
}

static void run_member(void *p)
{
    state *st = p;
    strict_member(&st->j, FACTOR);
    st->last_convert = false;
}

static void run_local(void *p)
{
    state *st = p;
    strict_local(&st->j, FACTOR);
    st->last_convert = false;
}

static void run_convert(void *p)
{
    state *st = p;
    strict_convert(st->out, st->src, &st->scale, st->n);
    st->last_convert = true;
}

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    fb_rng rng = fb_rng_seeded(ctx->seed);
    st->n = ctx->n;
    st->src = fb_alloc(st->n * sizeof(float));
    st->dst = fb_calloc(st->n, sizeof(float));
    st->out = fb_calloc(st->n, sizeof(int32_t));
    for (size_t i = 0; i < st->n; i++) st->src[i] = grid_float(&rng, -1000.0, 1000.0, 10);
    st->scale = 37.25f;
    st->j = (job){.src = st->src, .dst = st->dst, .len = st->n};
    return st;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    for (size_t i = 0; i < st->n; i++) {
        if (st->last_convert) {
            int32_t want = (int32_t)(st->src[i] * st->scale);
            if (st->out[i] != want) {
                snprintf(why, len, "out[%zu] = %d, reference %d", i, st->out[i], want);
                return false;
            }
        } else {
            float want = st->src[i] * FACTOR;
            if (memcmp(&st->dst[i], &want, sizeof want)) {
                snprintf(why, len, "dst[%zu] = %.9g, reference %.9g", i, st->dst[i], want);
                return false;
            }
        }
    }
    return true;
}

static uint64_t checksum(void *p)
{
    state *st = p;
    if (st->last_convert) return fb_hash_bytes(st->out, st->n * sizeof(int32_t), FB_HASH_INIT);
    return fb_hash_bytes(st->dst, st->n * sizeof(float), FB_HASH_INIT);
}

static void teardown(void *p)
{
    state *st = p;
    free(st->src);
    free(st->dst);
    free(st->out);
    free(st);
}

static const fb_variant variants[] = {
    {"member", run_member, 0, "bound and pointers read through a struct in the loop"},
    {"local", run_local, 0, "the same, fields copied to locals first: flag-insensitive"},
    {"convert", run_convert, 0, "int32 stores, float loads, scale behind a pointer"},
};

static const fb_kernel kernel = {
    .family = "alias",
    .name = "strict",
    .summary = "strict aliasing: what -fno-strict-aliasing costs in loops over mixed types",
    .unit = "elements",
    .sizes = {1003, 12000, 16000},
    .reps = {1, 200, 3000},
    FB_HOOKS(setup, NULL, check, checksum, NULL, NULL, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
