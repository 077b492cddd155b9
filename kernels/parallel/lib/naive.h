/* parallel/lib/naive: thread-per-chunk parallelism, the way it is first
 * written: create one pthread per piece, join them all, every call.  The
 * "threads" variants use it to show what a pool saves: thread creation and
 * exit (tens of microseconds per thread, kernel work included) are inside
 * the timed part on purpose, and the split is static (equal contiguous
 * pieces), so an imbalanced loop waits for its slowest piece. */
#ifndef FLAGBENCH_PARALLEL_NAIVE_H
#define FLAGBENCH_PARALLEL_NAIVE_H

#include <stddef.h>

/* fn(ctx, t, lo, hi) for t = 0..threads-1 on `threads` new threads, piece t
 * being [t*n/threads, (t+1)*n/threads); returns when all have been joined.
 * The calling thread only waits.  Aborts if a thread cannot be created. */
typedef void (*naive_body)(void *ctx, int t, size_t lo, size_t hi);
void naive_threads_for(int threads, size_t n, naive_body fn, void *ctx);

/* Piece t of `parts` near-equal contiguous pieces of [0, n). */
static inline size_t naive_split(size_t n, int parts, int t)
{
    return (size_t)((unsigned __int128)n * (unsigned)t / (unsigned)parts);
}

#endif
