/* What the clock can resolve and what reading it costs, measured at start-up
 * (well under a millisecond), so the runner can size its timed batches. */
#include "runner_parts.h"

#include <stdint.h>

/* The smallest non-zero step between two successive readings.  On a clock
 * that counts in coarse ticks this is the tick; on a fine one it is about
 * the cost of a reading.  Bounded: a clock that never moves reads as 0. */
static double measure_resolution(void)
{
    uint64_t best = UINT64_MAX;
    for (int trial = 0; trial < 64; trial++) {
        uint64_t t0 = fb_now_ns(), t1 = t0;
        for (long spin = 0; spin < 10000000 && t1 == t0; spin++) t1 = fb_now_ns();
        if (t1 > t0 && t1 - t0 < best) best = t1 - t0;
    }
    return best == UINT64_MAX ? 0.0 : (double)best;
}

/* The cost of one reading: back-to-back readings, the cheapest of 5 runs. */
static double measure_overhead(void)
{
    enum { READS = 2000 };
    double best = 0;
    for (int trial = 0; trial < 5; trial++) {
        uint64_t t0 = fb_now_ns();
        for (int i = 0; i < READS; i++) fb_use_u64(fb_now_ns());
        double per = (double)(fb_now_ns() - t0) / (READS + 1);
        if (trial == 0 || per < best) best = per;
    }
    return best;
}

fb_timer timer_calibrate(void)
{
    fb_timer t;
    t.resolution_ns = measure_resolution();
    t.overhead_ns = measure_overhead();
    return t;
}

double timer_min_sample_ns(const fb_timer *t)
{
    /* 1000 steps of the clock keep the quantization error of a sample at
     * 0.1%; a clock finer than its own reading cost is limited by that. */
    double step = t->resolution_ns > t->overhead_ns ? t->resolution_ns : t->overhead_ns;
    return 1000.0 * step;
}
