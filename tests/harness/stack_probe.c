/* A kernel that reports how deep below main's frame its hot function's frame
 * lies ("stack_depth", bytes): tests/harness/test_harness.py checks that
 * --stack-pad P moves it down by P (rounded up to the stack's 16 bytes).
 * It has its own main to record main's frame, so it defines what
 * FB_KERNEL_MAIN would. */
#include "harness.h"

#include <stdlib.h>

typedef struct {
    long depth;
} state;

static uintptr_t main_frame;

FB_HOT void stack_depth(state *st)
{
    char here;
    fb_escape(&here);
    st->depth = (long)(main_frame - (uintptr_t)&here);
}

static void run_depth(void *p) { stack_depth(p); }
static void *setup(const fb_ctx *ctx)
{
    (void)ctx;
    return fb_calloc(1, sizeof(state));
}
static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)p, (void)v, (void)why, (void)len;
    return true;
}
static uint64_t checksum(void *p) { return (uint64_t)((state *)p)->depth; }
static void report(void *p, const fb_variant *v, fb_json *out)
{
    (void)v;
    fb_json_int(out, "stack_depth", ((state *)p)->depth);
}
static void teardown(void *p) { free(p); }

static const fb_variant variants[] = {{"depth", run_depth, 0, "records its frame's depth"}};
static const fb_kernel kernel = {
    .family = "test",
    .name = "stack",
    .summary = "stack depth of the run loop, for --stack-pad",
    .unit = "calls",
    .sizes = {1, 1, 1},
    .reps = {1, 1, 1},
    FB_HOOKS(setup, NULL, check, checksum, NULL, report, teardown),
    FB_VARIANTS(variants),
};

const fb_isa fb_build_isa_bits = FB_BUILD_ISA_HERE;
int main(int argc, char **argv)
{
    char top;
    fb_escape(&top);
    main_frame = (uintptr_t)&top;
    return fb_main(&kernel, argc, argv);
}
