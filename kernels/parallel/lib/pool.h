/* parallel/lib/pool: a work-stealing thread pool, what Rayon gives Rust, in C.
 *
 * - One Chase-Lev deque per worker (common/ws_deque.h), with a growable
 *   circular array; replaced arrays are kept until pool_destroy, because a
 *   thief may still be reading one.
 * - pool_join(a, b) is the one primitive: push b, run a, then pop b back and
 *   run it, or, if a thief took it, steal other work while waiting for it.
 *   par_for and par_reduce split a range recursively with it down to `grain`.
 * - Idle threads steal from random victims, spin briefly, yield, then park on
 *   a futex.  The sleep/wake protocol (pool.c, "Sleeping") cannot lose a
 *   wake-up: every push and every completion of a stolen job checks for
 *   sleepers behind a seq_cst fence that pairs with the sleeper's.
 * - The calling thread participates: while inside a pool call it is worker 0,
 *   with its own deque.  pool_create(T) therefore starts T-1 threads.
 *
 * Threading rules: the pool may be entered from any thread, but one external
 * call runs at a time (a mutex serializes external entries; nested calls from
 * inside tasks go straight to the current worker's deque).  A job may call
 * pool_join / par_for / par_reduce on the same pool recursively.
 */
#ifndef FLAGBENCH_PARALLEL_POOL_H
#define FLAGBENCH_PARALLEL_POOL_H

#include <stddef.h>
#include <stdint.h>

typedef struct pool pool;

/* Counters summed over the workers.  Each worker writes only its own, so
 * counting costs no shared cache-line traffic. */
typedef struct pool_stats {
    uint64_t tasks;  /* jobs pushed by pool_join and then run (inline or stolen) */
    uint64_t steals; /* successful steals */
    uint64_t parks;  /* times a thread went to sleep in the kernel (futex) */
    uint64_t grows;  /* times a deque's array was doubled */
} pool_stats;

/* threads >= 1: the caller plus threads-1 workers.  Aborts if it cannot start
 * a thread. */
pool *pool_create(int threads);
/* Stops and joins the workers and frees everything, old deque arrays too.
 * Must not be called while a pool call is in progress. */
void pool_destroy(pool *p);
int pool_threads(const pool *p);
/* Exact when no pool call is in progress (every increment happens before the
 * completion that the finished call waited for). */
void pool_stats_get(const pool *p, pool_stats *out);
/* The counts since *last (then updates *last): what one variant's runs did. */
pool_stats pool_stats_since(const pool *p, pool_stats *last);

/* Runs fa(a) and fb(b), possibly in parallel; returns when both are done. */
void pool_join(pool *p, void (*fa)(void *), void *a, void (*fb)(void *), void *b);

/* body(ctx, lo, hi) over disjoint pieces of [begin, end), each at most
 * `grain` long (0 is taken as 1): the range is halved recursively with
 * pool_join, so there are about (end-begin)/grain pieces whatever the thread
 * count, and idle threads steal the biggest halves first. */
typedef void (*par_body)(void *ctx, size_t lo, size_t hi);
void par_for(pool *p, size_t begin, size_t end, size_t grain, par_body body, void *ctx);

/* Reduction over [begin, end): map(ctx, lo, hi, acc) writes the partial
 * result of [lo, hi) to *acc (an empty range must give the identity);
 * combine(ctx, acc, rhs) sets *acc = *acc op *rhs, left before right.  The
 * combining tree depends only on begin, end and grain, never on the thread
 * count or on who stole what, so a non-associative op (float +) still gives
 * the same bits on every run.  acc_size <= PAR_REDUCE_MAX_ACC bytes. */
#define PAR_REDUCE_MAX_ACC 64
typedef void (*par_map_fn)(void *ctx, size_t lo, size_t hi, void *acc);
typedef void (*par_combine_fn)(void *ctx, void *acc, const void *rhs);
void par_reduce(pool *p, size_t begin, size_t end, size_t grain, size_t acc_size, par_map_fn map,
                par_combine_fn combine, void *ctx, void *result);

#endif
