/* atomics/counter: one shared counter, incremented by every thread, six ways.
 *
 * flagbench-sources: ../common/team.c
 *
 * What it shows
 *   All threads add 1 to a counter n times in total.  The shared variants put
 *   every increment on one cache line, so the line ping-pongs between cores
 *   and each increment costs a coherence round trip, whatever the ordering;
 *   the sharded variants give each thread its own 64-byte slot and sum the
 *   slots once at the end.  Every increment's returned ("ticket") value is
 *   used, which matters for the code: with the result unused, x86 compilers
 *   emit `lock add` instead of `lock xadd`.
 *   - relaxed:  atomic_fetch_add(relaxed): enough for a counter (the total
 *               is read after the join, which orders it).
 *   - acq_rel, seq_cst: the same with stronger orders.  On x86-64 all three
 *               are `lock xadd` and should time the same; on aarch64 relaxed
 *               is `ldadd` and the others `ldaddal` with LSE, else outline
 *               atomic calls or `ldxr`/`stxr` vs `ldaxr`/`stlxr` loops.
 *   - cas:      a weak relaxed compare-exchange loop (`lock cmpxchg`; `cas`
 *               with LSE).  It retries under contention (cas_retries in the
 *               JSON line): expect the slowest shared variant.
 *   - sharded:  one padded slot per thread, incremented by a relaxed load and
 *               store (plain `mov`s), summed after the join.  Expect it many
 *               times faster than the shared variants, and to scale.
 *   - sharded_xadd: the same slots with an uncontended relaxed fetch_add: the
 *               gap to sharded is the locked instruction, the gap to relaxed
 *               the contention.
 *   Threads are pinned to distinct CPUs when there are enough
 *   (common/team.h); the timed part includes waking them, not creating them.
 * Sizes: n = total increments: test 100003, train 600001, ref 1600000, all
 *   in L1: what is measured is coherence traffic.
 * Sensitive to: threads above all; compiler and march on aarch64 (LSE,
 *   outline atomics); on x86 opt/march/lto should change nothing.
 * Correctness: the final counter (for sharded: every slot, and their sum)
 *   must equal n (each slot its thread's share), and the tickets returned
 *   must sum to 0+1+...+(n-1) (for sharded, per slot), which a lost or a
 *   duplicated increment would break.  The checksum hashes the total.
 */
#include "harness.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/team.h"

typedef struct {
    _Alignas(64) _Atomic uint64_t v;
} padded_atomic;

typedef struct {
    _Alignas(64) uint64_t tickets; /* written by its owner, read after the join */
    uint64_t retries;
} padded_result;

typedef struct {
    size_t n;
    int threads;
    team *team;
    padded_atomic counter;  /* the shared counter: a line of its own */
    padded_atomic *shards;  /* one slot per thread */
    padded_result *results; /* one per thread */
    uint64_t total;         /* summed after the last run */
    bool sharded;
} state;

/* Thread tid's share of n increments: the remainder goes to the first ones. */
static uint64_t share(uint64_t n, int tid, int nthreads)
{
    return n / (uint64_t)nthreads + ((uint64_t)tid < n % (uint64_t)nthreads);
}

/* ---- the hot loops ------------------------------------------------------- */
#define FETCH_ADD_LOOP(variant, order)                                                        \
    FB_HOT uint64_t counter_##variant(_Atomic uint64_t *c, uint64_t iters)                    \
    {                                                                                         \
        uint64_t tickets = 0;                                                                 \
        for (uint64_t i = 0; i < iters; i++) {                                                \
            tickets += atomic_fetch_add_explicit(c, 1, order);                                \
            fb_stress_point();                                                                \
        }                                                                                     \
        return tickets;                                                                       \
    }
FETCH_ADD_LOOP(relaxed, memory_order_relaxed)
FETCH_ADD_LOOP(acq_rel, memory_order_acq_rel)
FETCH_ADD_LOOP(seq_cst, memory_order_seq_cst)
/* Uncontended: c is the calling thread's own slot. */
FETCH_ADD_LOOP(sharded_xadd, memory_order_relaxed)

FB_HOT uint64_t counter_cas(_Atomic uint64_t *c, uint64_t iters, uint64_t *retries)
{
    uint64_t tickets = 0, failed = 0;
    for (uint64_t i = 0; i < iters; i++) {
        uint64_t old = atomic_load_explicit(c, memory_order_relaxed);
        /* Relaxed on both paths: like fetch_add above, the counter orders nothing. */
        while (!atomic_compare_exchange_weak_explicit(c, &old, old + 1, memory_order_relaxed,
                                                      memory_order_relaxed))
            failed++;
        tickets += old;
        fb_stress_point();
    }
    *retries = failed;
    return tickets;
}

/* slot has a single writer (this thread), so load + store is an increment. */
FB_HOT uint64_t counter_sharded(_Atomic uint64_t *slot, uint64_t iters)
{
    uint64_t tickets = 0;
    for (uint64_t i = 0; i < iters; i++) {
        uint64_t v = atomic_load_explicit(slot, memory_order_relaxed);
        atomic_store_explicit(slot, v + 1, memory_order_relaxed);
        tickets += v;
        fb_stress_point();
    }
    return tickets;
}

/* ---- workers ----------------------------------------------------------------- */
#define SHARED_WORKER(variant)                                                                \
    static void work_##variant(void *p, int tid, int nt)                                      \
    {                                                                                         \
        state *st = p;                                                                        \
        st->results[tid].tickets = counter_##variant(&st->counter.v, share(st->n, tid, nt));  \
    }                                                                                         \
    static void run_##variant(void *p)                                                        \
    {                                                                                         \
        state *st = p;                                                                        \
        team_run(st->team, work_##variant, st);                                               \
    }
SHARED_WORKER(relaxed) SHARED_WORKER(acq_rel) SHARED_WORKER(seq_cst)

static void work_cas(void *p, int tid, int nt)
{
    state *st = p;
    st->results[tid].tickets =
        counter_cas(&st->counter.v, share(st->n, tid, nt), &st->results[tid].retries);
}
static void run_cas(void *p)
{
    state *st = p;
    team_run(st->team, work_cas, st);
}

#define SHARDED_WORKER(variant)                                                               \
    static void work_##variant(void *p, int tid, int nt)                                      \
    {                                                                                         \
        state *st = p;                                                                        \
        st->results[tid].tickets = counter_##variant(&st->shards[tid].v, share(st->n, tid, nt)); \
    }                                                                                         \
    static void run_##variant(void *p)                                                        \
    {                                                                                         \
        state *st = p;                                                                        \
        team_run(st->team, work_##variant, st);                                               \
        uint64_t total = 0; /* the summing step: after the join */                            \
        for (int t = 0; t < st->threads; t++)                                                 \
            total += atomic_load_explicit(&st->shards[t].v, memory_order_relaxed);             \
        st->total = total;                                                                    \
    }
SHARDED_WORKER(sharded) SHARDED_WORKER(sharded_xadd)

/* ---- harness hooks ---------------------------------------------------------- */
static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    st->threads = ctx->threads;
    st->shards = fb_calloc((size_t)st->threads, sizeof *st->shards);
    st->results = fb_calloc((size_t)st->threads, sizeof *st->results);
    st->team = team_create_spread(st->threads);
    return st;
}

static void prepare(void *p, const fb_variant *v)
{
    state *st = p;
    atomic_store_explicit(&st->counter.v, 0, memory_order_relaxed);
    for (int t = 0; t < st->threads; t++) {
        atomic_store_explicit(&st->shards[t].v, 0, memory_order_relaxed);
        st->results[t].tickets = st->results[t].retries = 0;
    }
    st->total = 0;
    st->sharded = !strncmp(v->name, "sharded", 7);
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    uint64_t n = st->n, tickets = 0;
    for (int t = 0; t < st->threads; t++) tickets += st->results[t].tickets;
    if (!st->sharded) {
        uint64_t c = atomic_load_explicit(&st->counter.v, memory_order_relaxed);
        uint64_t want = n * (n - 1) / 2; /* tickets 0..n-1, each handed out once */
        if (c != n) {
            snprintf(why, len, "counter = %llu, expected %llu (%lld increments lost)",
                     (unsigned long long)c, (unsigned long long)n, (long long)(n - c));
            return false;
        }
        if (tickets != want) {
            snprintf(why, len, "tickets sum to %llu, expected %llu: a value was handed out twice",
                     (unsigned long long)tickets, (unsigned long long)want);
            return false;
        }
        return true;
    }
    uint64_t total = 0, want_tickets = 0;
    for (int t = 0; t < st->threads; t++) {
        uint64_t k = share(n, t, st->threads);
        uint64_t got = atomic_load_explicit(&st->shards[t].v, memory_order_relaxed);
        if (got != k) {
            snprintf(why, len, "slot %d = %llu, expected %llu", t, (unsigned long long)got,
                     (unsigned long long)k);
            return false;
        }
        total += got;
        want_tickets += k * (k - 1) / 2;
    }
    if (total != n || st->total != n) {
        snprintf(why, len, "slots sum to %llu (reported %llu), expected %llu",
                 (unsigned long long)total, (unsigned long long)st->total, (unsigned long long)n);
        return false;
    }
    if (tickets != want_tickets) {
        snprintf(why, len, "tickets sum to %llu, expected %llu", (unsigned long long)tickets,
                 (unsigned long long)want_tickets);
        return false;
    }
    return true;
}

static uint64_t checksum(void *p)
{
    state *st = p;
    uint64_t total = st->sharded ? st->total : atomic_load_explicit(&st->counter.v, memory_order_relaxed);
    return fb_hash_bytes(&total, sizeof total, FB_HASH_INIT);
}

static void report(void *p, const fb_variant *v, fb_json *out)
{
    state *st = p;
    if (!strcmp(v->name, "cas")) {
        uint64_t retries = 0;
        for (int t = 0; t < st->threads; t++) retries += st->results[t].retries;
        fb_json_int(out, "cas_retries", (long long)retries);
    }
}

static void teardown(void *p)
{
    state *st = p;
    team_destroy(st->team);
    free(st->shards);
    free(st->results);
    free(st);
}

static const fb_variant variants[] = {
    {"relaxed", run_relaxed, 0, "shared fetch_add relaxed: lock xadd on x86, ldadd on aarch64+LSE"},
    {"acq_rel", run_acq_rel, 0, "shared fetch_add acq_rel: same lock xadd on x86, ldaddal on aarch64"},
    {"seq_cst", run_seq_cst, 0, "shared fetch_add seq_cst: same lock xadd on x86, ldaddal on aarch64"},
    {"cas", run_cas, 0, "shared counter through a weak CAS loop: retries under contention"},
    {"sharded", run_sharded, 0, "one padded slot per thread, plain load+store, summed after the join"},
    {"sharded_xadd", run_sharded_xadd, 0, "one padded slot per thread, uncontended lock xadd"},
};

static const fb_kernel kernel = {
    .family = "atomics",
    .name = "counter",
    .summary = "shared counter: fetch_add orderings, CAS loop, sharded per-thread slots",
    .unit = "increments",
    .concurrent = true,
    .sizes = {100003, 600001, 1600000},
    .reps = {1, 10, 5},
    FB_HOOKS(setup, prepare, check, checksum, NULL, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
