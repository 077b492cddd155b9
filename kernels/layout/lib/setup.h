/* Shared code of the layout family (header only; not a kernel). */
#ifndef FLAGBENCH_LAYOUT_SETUP_H
#define FLAGBENCH_LAYOUT_SETUP_H

#include "harness.h"

/* A layout kernel builds only the running variant's layout, in prepare and
 * from the seed, so its setup keeps just the size and the seed (the fields n
 * and seed of its state). */
#define LAYOUT_SETUP(state)                                                                    \
    static void *setup(const fb_ctx *ctx)                                                      \
    {                                                                                          \
        state *st = fb_calloc(1, sizeof *st);                                                  \
        st->n = ctx->n;                                                                        \
        st->seed = ctx->seed;                                                                  \
        return st;                                                                             \
    }

#endif
