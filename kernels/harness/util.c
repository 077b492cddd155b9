/* The helpers kernels share: random seeding, allocation, hashing, float
 * comparison, the clock and stress delays (declared in harness.h, rng.h). */
#include "harness.h"

#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

void fb_rng_seed(fb_rng *r, uint64_t seed)
{
    /* splitmix64 expands one seed into xoshiro's 256-bit state. */
    for (int i = 0; i < 4; i++) r->s[i] = fb_mix64(seed += 0x9e3779b97f4a7c15ull);
}

void *fb_alloc(size_t bytes)
{
    void *p = NULL;
    size_t rounded = (bytes + 63) & ~(size_t)63;
    if (posix_memalign(&p, 64, rounded ? rounded : 64) != 0) {
        fprintf(stderr, "flagbench: out of memory allocating %zu bytes\n", bytes);
        exit(1);
    }
    return p;
}

/* count * size, or exit with a message when it does not fit a size_t. */
static size_t array_bytes(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) {
        fprintf(stderr, "flagbench: allocation of %zu x %zu bytes overflows\n", count, size);
        exit(1);
    }
    return count * size;
}

void *fb_calloc(size_t count, size_t size)
{
    size_t bytes = array_bytes(count, size);
    void *p = fb_alloc(bytes);
    memset(p, 0, bytes);
    return p;
}

bool fb_prefault(void *p, size_t bytes)
{
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
    if (!p || !bytes) return true;
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t mask = (uintptr_t)(page > 0 ? page : 4096) - 1;
    /* Whole pages around the range: the partial pages at either end belong
     * to the same anonymous mapping, and populating leaves contents alone. */
    uintptr_t lo = (uintptr_t)p & ~mask, hi = ((uintptr_t)p + bytes + mask) & ~mask;
    return madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE) == 0;
#else
    (void)p, (void)bytes;
    return false;
#endif
}

void *fb_alloc_prefaulted(size_t bytes)
{
    void *p = fb_alloc(bytes);
    fb_prefault(p, bytes);
    return p;
}

void *fb_calloc_prefaulted(size_t count, size_t size)
{
    size_t bytes = array_bytes(count, size);
    void *p = fb_alloc_prefaulted(bytes);
    memset(p, 0, bytes);
    return p;
}

uint64_t fb_hash_bytes(const void *p, size_t len, uint64_t h)
{
    const unsigned char *b = p;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    for (; i < len; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

bool fb_check_u64(const char *what, uint64_t got, uint64_t want, char *why, size_t len)
{
    if (got == want) return true;
    snprintf(why, len, "%s %016llx, reference %016llx", what, (unsigned long long)got,
             (unsigned long long)want);
    return false;
}

bool fb_close(double got, double want, double tol)
{
    if (isnan(got) || isnan(want)) return false;
    double scale = fabs(want) > 1.0 ? fabs(want) : 1.0;
    return fabs(got - want) <= tol * scale;
}

uint64_t fb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool fb_stress_enabled;

void fb_stress_delay(void)
{
    static _Thread_local fb_rng rng;
    static _Thread_local bool seeded;
    if (!seeded) {
        fb_rng_seed(&rng, (uint64_t)(uintptr_t)&rng ^ fb_now_ns());
        seeded = true;
    }
    uint64_t r = fb_rng_next(&rng);
    switch (r & 15) {
    case 0: sched_yield(); break;
    case 1:
    case 2:
        for (volatile unsigned i = 0, e = (unsigned)(r >> 8) & 1023; i < e; i++) {
        }
        break;
    default: break;
    }
}
