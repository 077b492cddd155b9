/* sched/pinning: one bulk-synchronous compute kernel run pinned, unpinned and oversubscribed.
 *
 * flagbench-sources: ../common/team.c
 *
 * What it shows
 *   An array is split into one contiguous chunk per thread; in each of 32
 *   rounds every thread updates every element of its chunk (four rounds of a
 *   multiply-xorshift mix) and then waits at a barrier, the shape of an
 *   OpenMP `parallel for` inside a time loop.  The work is the same in all
 *   three variants; only the placement of the threads differs.
 *   - pinned:  thread i pinned to the i-th CPU this process may use (at
 *              creation, pthread_attr_setaffinity_np), so each chunk stays in
 *              its core's L1/L2 from round to round.
 *   - unpinned: placement left to the scheduler.  Expect it slower and much
 *              noisier: a thread may wake on another CPU, and two busy threads
 *              can share one CPU for a while (common/team.h says why).  The
 *              JSON line reports the CPUs seen and the migrations.
 *   - oversubscribed: 4 x max(CPUs, --threads) unpinned threads share the
 *              same work.  Expect the slowest: every barrier needs threads
 *              that are not running.
 *   The barrier spins briefly, then sleeps on a futex (common/spin.h), so
 *   oversubscription degrades it instead of deadlocking it.  Each variant has
 *   its own team, created in setup; the timed part includes waking it.  The
 *   array is reset before each repetition by the threads that then use it.
 * Sizes: n = array elements (uint64): test 10007, train 65537, ref 131072;
 *   items = elements x rounds.  ref is 1 MiB in total: on two CPUs each chunk
 *   fits a typical L2 but not L1.
 * Sensitive to: threads vs CPUs (the point), march and compiler (the loop
 *   vectorizes only when the 64-bit multiply does: AVX-512DQ's vpmullq at
 *   x86-64-v4; at x86-64-v3 Clang emulates it with vpmuludq; GCC at -O2 on
 *   the baseline keeps scalar imul), opt; lto and pgo should not matter.
 * Correctness: every element is compared with a serial reference that applies
 *   the same rounds; the checksum hashes the whole array, so it does not
 *   depend on threads or placement.
 */
#include "harness.h"

#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/spin.h"
#include "common/team.h"

#define ROUNDS 32
#define MIX_STEPS 4
#define BARRIER_SPIN 2000u
#define CHUNK_ALIGN 8 /* elements: chunk edges on 64-byte boundaries */

/* ---- the barrier: spin, then sleep on a futex ------------------------------- */
typedef struct {
    _Alignas(64) _Atomic uint32_t arrived;
    _Atomic uint32_t sleepers;
    _Alignas(64) _Atomic uint32_t gen; /* bumped when everyone has arrived */
    uint32_t n;
} barrier;

static void barrier_wait(barrier *b)
{
    /* Read before arriving: gen cannot move on until we have arrived. */
    uint32_t g = atomic_load_explicit(&b->gen, memory_order_acquire);
    /* acq_rel: the last arriver sees everyone's writes (release sequence) and
     * passes them on with its release of gen. */
    if (atomic_fetch_add_explicit(&b->arrived, 1, memory_order_acq_rel) == b->n - 1) {
        atomic_store_explicit(&b->arrived, 0, memory_order_relaxed); /* ordered by the RMW below */
        /* seq_cst RMW and load: the wake-up protocol (see the sleeper). */
        atomic_fetch_add_explicit(&b->gen, 1, memory_order_seq_cst);
        if (atomic_load_explicit(&b->sleepers, memory_order_seq_cst)) futex_wake(&b->gen, INT_MAX);
        return;
    }
    for (unsigned i = 0; i < BARRIER_SPIN; i++) {
        if (atomic_load_explicit(&b->gen, memory_order_acquire) != g) return;
        cpu_relax();
    }
    for (;;) {
        /* Announce, then re-check (both seq_cst): either the last arriver
         * sees the announcement and wakes us, or we see the new gen. */
        atomic_fetch_add_explicit(&b->sleepers, 1, memory_order_seq_cst);
        if (atomic_load_explicit(&b->gen, memory_order_seq_cst) == g) futex_wait(&b->gen, g, 0);
        atomic_fetch_sub_explicit(&b->sleepers, 1, memory_order_relaxed);
        if (atomic_load_explicit(&b->gen, memory_order_acquire) != g) return;
    }
}

/* ---- the compute kernel ------------------------------------------------------ */
static inline uint64_t mix(uint64_t x, uint64_t round)
{
    for (int s = 0; s < MIX_STEPS; s++) {
        x ^= x >> 31;
        x *= 0x9e3779b97f4a7c15ull;
        x += round;
    }
    return x;
}

/* One round over one chunk: the hot loop, the same in all three variants. */
#define ROUND_FN(variant)                                                                      \
    FB_HOT void pinning_##variant(uint64_t *restrict a, size_t len, uint64_t round)            \
    {                                                                                          \
        for (size_t i = 0; i < len; i++) a[i] = mix(a[i], round);                              \
    }
ROUND_FN(pinned)
ROUND_FN(unpinned)
ROUND_FN(oversubscribed)

typedef void (*round_fn)(uint64_t *restrict, size_t, uint64_t);

/* ---- state and threads --------------------------------------------------------- */
typedef struct {
    _Alignas(64) cpu_set_t seen; /* CPUs this thread was seen on */
    uint64_t migrations;         /* CPU changes between rounds */
} placement;

typedef struct {
    size_t n;
    uint64_t *a, *init;
    int threads, over_threads, ncpu;
    int *cpus; /* the CPUs this process may use */
    team *pinned, *unpinned, *over;
    team *current;
    round_fn fn;
    barrier bar;
    placement *where; /* one per thread of the largest team */
} state;

static void chunk(size_t n, int tid, int nt, size_t *lo, size_t *hi)
{
    size_t blocks = (n + CHUNK_ALIGN - 1) / CHUNK_ALIGN;
    size_t b0 = blocks * (size_t)tid / (size_t)nt, b1 = blocks * (size_t)(tid + 1) / (size_t)nt;
    *lo = b0 * CHUNK_ALIGN < n ? b0 * CHUNK_ALIGN : n;
    *hi = b1 * CHUNK_ALIGN < n ? b1 * CHUNK_ALIGN : n;
}

static void compute(void *arg, int tid, int nt)
{
    state *st = arg;
    size_t lo, hi;
    chunk(st->n, tid, nt, &lo, &hi);
    placement *w = &st->where[tid];
    int last = -1;
    for (uint64_t r = 0; r < ROUNDS; r++) {
        st->fn(st->a + lo, hi - lo, r);
        int cpu = sched_getcpu();
        if (cpu >= 0 && cpu < CPU_SETSIZE) CPU_SET(cpu, &w->seen);
        w->migrations += last >= 0 && cpu != last;
        last = cpu;
        fb_stress_point();
        barrier_wait(&st->bar);
    }
}

/* Untimed: each thread resets its own chunk, so it starts in its cache. */
static void reset(void *arg, int tid, int nt)
{
    state *st = arg;
    size_t lo, hi;
    chunk(st->n, tid, nt, &lo, &hi);
    memcpy(st->a + lo, st->init + lo, (hi - lo) * sizeof *st->a);
    CPU_ZERO(&st->where[tid].seen);
    st->where[tid].migrations = 0;
}

static team *team_for(state *st, const fb_variant *v)
{
    if (!strcmp(v->name, "pinned")) return st->pinned;
    if (!strcmp(v->name, "unpinned")) return st->unpinned;
    return st->over;
}

#define RUNNER(variant)                                                                        \
    static void run_##variant(void *p)                                                         \
    {                                                                                          \
        state *st = p;                                                                         \
        st->fn = pinning_##variant;                                                            \
        team_run(st->current, compute, st);                                                    \
    }
RUNNER(pinned) RUNNER(unpinned) RUNNER(oversubscribed)

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    st->threads = ctx->threads;
    st->a = fb_alloc(st->n * sizeof *st->a);
    st->init = fb_alloc(st->n * sizeof *st->init);
    fb_rng rng = fb_rng_seeded(ctx->seed);
    for (size_t i = 0; i < st->n; i++) st->init[i] = fb_rng_next(&rng);

    st->cpus = fb_alloc(CPU_SETSIZE * sizeof *st->cpus);
    st->ncpu = team_allowed_cpus(st->cpus, CPU_SETSIZE);
    if (st->ncpu < 1) st->cpus[0] = 0, st->ncpu = 1;
    int most = st->ncpu > st->threads ? st->ncpu : st->threads;
    st->over_threads = 4 * most;
    st->where = fb_calloc((size_t)st->over_threads, sizeof *st->where);

    int *assign = fb_alloc((size_t)st->threads * sizeof *assign);
    for (int i = 0; i < st->threads; i++) assign[i] = st->cpus[i % st->ncpu];
    st->pinned = team_create(st->threads, assign);
    free(assign);
    st->unpinned = team_create(st->threads, NULL);
    st->over = team_create(st->over_threads, NULL);
    return st;
}

static void prepare(void *p, const fb_variant *v)
{
    state *st = p;
    st->current = team_for(st, v);
    st->bar.n = (uint32_t)team_size(st->current);
    team_run(st->current, reset, st);
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    for (size_t i = 0; i < st->n; i++) {
        uint64_t x = st->init[i];
        for (uint64_t r = 0; r < ROUNDS; r++) x = mix(x, r);
        if (st->a[i] != x) {
            snprintf(why, len, "element %zu is %016llx, expected %016llx", i, (unsigned long long)st->a[i],
                     (unsigned long long)x);
            return false;
        }
    }
    return true;
}

FB_CHECKSUM(st->a, st->n * sizeof *st->a)

static double items(void *p)
{
    state *st = p;
    return (double)st->n * ROUNDS;
}

/* "0,1,3": the CPUs in a set, for the JSON line. */
static void cpu_list(const cpu_set_t *set, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    for (int c = 0; c < CPU_SETSIZE && used + 8 < len; c++)
        if (CPU_ISSET(c, set)) used += (size_t)snprintf(buf + used, len - used, used ? ",%d" : "%d", c);
}

static void report(void *p, const fb_variant *v, fb_json *out)
{
    (void)v;
    state *st = p;
    int n = team_size(st->current);
    cpu_set_t seen;
    CPU_ZERO(&seen);
    long long migrations = 0;
    for (int t = 0; t < n; t++) {
        CPU_OR(&seen, &seen, &st->where[t].seen);
        migrations += (long long)st->where[t].migrations;
    }
    char buf[512];
    cpu_list(&seen, buf, sizeof buf);
    fb_json_int(out, "threads_used", n);
    fb_json_int(out, "pinned", team_pinned(st->current));
    fb_json_str(out, "cpus_seen", buf);
    fb_json_int(out, "migrations", migrations);
    if (st->current == st->pinned) {
        cpu_set_t assigned;
        CPU_ZERO(&assigned);
        for (int i = 0; i < st->threads; i++) CPU_SET(st->cpus[i % st->ncpu], &assigned);
        cpu_list(&assigned, buf, sizeof buf);
        fb_json_str(out, "cpus_pinned", buf);
    }
}

static void teardown(void *p)
{
    state *st = p;
    team_destroy(st->pinned);
    team_destroy(st->unpinned);
    team_destroy(st->over);
    free(st->where);
    free(st->cpus);
    free(st->a);
    free(st->init);
    free(st);
}

static const fb_variant variants[] = {
    {"pinned", run_pinned, 0, "one thread per CPU, pinned with pthread_setaffinity_np"},
    {"unpinned", run_unpinned, 0, "the same threads, placed by the scheduler"},
    {"oversubscribed", run_oversubscribed, 0, "4 x CPUs unpinned threads: a barrier per round needs descheduled threads"},
};

static const fb_kernel kernel = {
    .family = "sched",
    .name = "pinning",
    .summary = "bulk-synchronous rounds with a barrier: pinned vs unpinned vs oversubscribed threads",
    .unit = "element-rounds",
    .concurrent = true,
    .sizes = {10007, 65537, 131072},
    .reps = {1, 5, 5},
    FB_HOOKS(setup, prepare, check, checksum, items, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
