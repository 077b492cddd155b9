/* channels/lib/work.h: the per-message work the channel kernels do, kept
 * small (a few nanoseconds) so that the channels, not the work, dominate,
 * and the message layout they share. */
#ifndef CHANNELS_WORK_H
#define CHANNELS_WORK_H

#include <stdint.h>

#include "rng.h"

/* A message's first word: the item id in the low 48 bits, the id of the
 * thread that handled it in the high 16. */
#define ID_BITS 48
#define ID_MASK ((UINT64_C(1) << ID_BITS) - 1)

static inline uint64_t ch_payload(uint64_t i, uint64_t seed)
{
    return fb_mix64(i + seed * 0x9e3779b97f4a7c15ull);
}

/* The job: 1 to 8 rounds of mixing, chosen by the payload's top bits, so
 * jobs differ in cost (a shared job channel balances that, a static split
 * does not). */
static inline uint64_t ch_work(uint64_t x)
{
    unsigned rounds = 1 + (unsigned)(x >> 61);
    for (unsigned r = 0; r < rounds; r++) x = fb_mix64(x + r);
    return x;
}

#endif
