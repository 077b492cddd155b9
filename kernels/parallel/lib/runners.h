/* parallel/lib/runners.h: the harness glue the parallel kernels share.
 *
 * None of this is measured: the hot functions (<kernel>_<variant>), their
 * leaves and the pool/OpenMP/thread calls inside them stay in each kernel's
 * own file.  What is here is the code around them that every kernel wrote
 * again:
 *   - ON_OPENMP(...): its arguments in a build with OpenMP, nothing in one
 *     without: the OpenMP variants' rows and runners.
 *   - PAR_RUNNER(prefix, variant): the fb_variant run function run_<variant>
 *     for a hot function prefix_<variant>(state *); it counts the call for
 *     par_report (lib/report.h) and runs the variant.
 *   - PAR_REPORT_POOL: the report callback of a kernel whose only extra
 *     fields are the pool counters.
 *   - PAR_TEARDOWN_POOL(frees): the teardown of a kernel whose state holds
 *     the pool: the pool, then `frees` (statements on st), then st.
 *   - par_setup_done: the end of every setup: the OpenMP team is started
 *     (outside the timed part, like the pool) and the counters' snapshot is
 *     taken, so setup's own pool work is not reported.
 *   - par_input_hash: an input element as a hash of (seed, index), so any
 *     thread can fill any piece (a parallel first touch) deterministically.
 * The macros expect the kernel's state type to be called `state`, with
 * members `pool *pool` and `par_counters counters`.
 */
#ifndef FLAGBENCH_PARALLEL_RUNNERS_H
#define FLAGBENCH_PARALLEL_RUNNERS_H

#include <stddef.h>
#include <stdint.h>

#include "harness.h"
#include "pool.h"
#include "report.h"

#if FB_HAVE_OPENMP
#define ON_OPENMP(...) __VA_ARGS__
#else
#define ON_OPENMP(...)
#endif

#define PAR_RUNNER(prefix, variant)                                                            \
    static void run_##variant(void *p)                                                         \
    {                                                                                          \
        state *st = p;                                                                         \
        st->counters.calls++;                                                                  \
        prefix##_##variant(st);                                                                \
    }

#define PAR_REPORT_POOL                                                                        \
    static void report(void *p, const fb_variant *v, fb_json *out)                             \
    {                                                                                          \
        state *st = p;                                                                         \
        par_report(out, v, st->pool, &st->counters);                                           \
    }

#define PAR_TEARDOWN_POOL(...)                                                                 \
    static void teardown(void *p)                                                              \
    {                                                                                          \
        state *st = p;                                                                         \
        pool_destroy(st->pool);                                                                \
        __VA_ARGS__                                                                            \
        free(st);                                                                              \
    }

/* Call last in setup, after any work setup gives the pool (a first touch). */
static inline void par_setup_done(pool *p, int threads, par_counters *c)
{
#if FB_HAVE_OPENMP
    /* Start the OpenMP team now, outside the timed part. */
#pragma omp parallel num_threads(threads)
    {
        fb_escape(c);
    }
#else
    (void)threads;
#endif
    pool_stats_get(p, &c->snap);
}

/* A 64-bit hash of (seed, i): the splitmix64 finalizer of a mix of both. */
static inline uint64_t par_input_hash(uint64_t seed, size_t i)
{
    return fb_mix64(seed * 0x9e3779b97f4a7c15ull + (uint64_t)i * 0xbf58476d1ce4e5b9ull + 1);
}

#endif
