/* vfix/dispatch: a dispatcher whose own instructions never change, calling
 * through a pointer chosen at set-up.  FB_FIX_TARGET=1 changes only the
 * target (twice the work).  The sweep must follow the dispatch the kernel
 * reports (fb_note_dispatch) and call the changed build slower, not merge it. */
#include "harness.h"

#include <stdlib.h>

#ifndef FB_FIX_TARGET
#define FB_FIX_TARGET 0
#endif

typedef struct state {
    size_t n;
    uint64_t out;
    void (*target)(struct state *);
} state;

__attribute__((noinline)) void dispatch_target(state *st)
{
    uint64_t h = 7;
    for (size_t i = 0; i < st->n * (1 + FB_FIX_TARGET); i++) h = h * 0x100000001b3ull ^ i;
    st->out = h;
}

FB_HOT void dispatch_run(void *p)
{
    state *st = p;
    st->target(st);
}

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    st->target = dispatch_target;
    return st;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    uint64_t h = 7;
    for (size_t i = 0; i < st->n * (1 + FB_FIX_TARGET); i++) h = h * 0x100000001b3ull ^ i;
    if (h == st->out) return true;
    snprintf(why, len, "hash %llx, want %llx", (unsigned long long)st->out, (unsigned long long)h);
    return false;
}

/* The dispatch this variant took, as dispatching kernels report it. */
static void report(void *p, const fb_variant *v, fb_json *out)
{
    (void)p, (void)v, (void)out;
    fb_note_dispatch("dispatch_target");
}

static uint64_t checksum(void *p) { return ((state *)p)->out; }
static void teardown(void *p) { free(p); }

static const fb_variant variants[] = {{"run", dispatch_run, 0, "calls the target chosen at set-up"}};
static const fb_kernel kernel = {
    .family = "vfix", .name = "dispatch", .summary = "dispatch target change only (sweep test)",
    .unit = "elements", .sizes = {1000, 50000, 200000}, .reps = {2, 5, 10},
    FB_HOOKS(setup, NULL, check, checksum, NULL, report, teardown),
    FB_VARIANTS(variants),
};
FB_KERNEL_MAIN(kernel)
