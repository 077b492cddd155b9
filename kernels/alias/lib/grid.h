/* Shared code of the alias family (header only; not a kernel). */
#ifndef FLAGBENCH_ALIAS_GRID_H
#define FLAGBENCH_ALIAS_GRID_H

#include <math.h>
#include <stdint.h>

#include "harness.h"

/* A float on a grid of 2^-bits steps in [lo, hi): built from an integer and
 * a power of two, so it is exact however the compiler contracts or rounds,
 * and the inputs are the same in every configuration. */
static inline float grid_float(fb_rng *r, double lo, double hi, int bits)
{
    double step = ldexp(1.0, -bits);
    uint64_t k = fb_rng_below(r, (uint64_t)((hi - lo) / step));
    return (float)(lo + (double)k * step);
}

#endif
