/* atomics/spinlock: spin locks (TAS, TTAS+backoff, ticket, MCS) vs pthread_mutex, with and without oversubscription.
 *
 * flagbench-sources: ../common/team.c
 *
 * What it shows
 *   Every thread repeatedly takes a lock, updates two words of shared data
 *   and releases it: a short critical section, so the cost is almost all in
 *   handing the lock (and its cache line) around.
 *   - tas:     test-and-set: every attempt an atomic exchange, so waiters
 *              keep stealing the line from the holder.
 *   - ttas:    test-and-test-and-set with exponential backoff: waiters spin
 *              on a relaxed load of their own copy of the line.
 *   - ticket:  fetch_add a ticket, spin until "now serving" equals it: FIFO
 *              and fair, but every release invalidates every waiter's copy.
 *   - mcs:     the MCS queue lock: each waiter spins on its own node; one line
 *              transfer per handoff however many waiters.
 *   - mutex:   pthread_mutex_t (glibc: atomic fast path, futex under
 *              contention).
 *   With one thread per CPU and a fixed number of acquisitions each, expect
 *   the FIFO locks (ticket, MCS) slowest: every acquisition is a handoff to
 *   another core.  TAS, TTAS and the mutex are unfair (the releaser often
 *   re-takes the lock), which posts higher throughput; first_finish_frac in
 *   the JSON line shows it (near 1 for FIFO locks).  MCS's advantage needs
 *   more than two cores to show.
 *   - *_over:  the same five locks with max(4 x --threads, 2 x CPUs + 1)
 *              unpinned threads, each running for n x 100 ns and counting
 *              its acquisitions.  The FIFO locks collapse (the next in line
 *              is often not running); the mutex keeps its throughput; TAS and
 *              TTAS keep a high count only by starving the others
 *              (thread_ops_min, thread_ops_max).  Spin loops yield after 1024
 *              pauses (common/spin.h).
 *   Orderings (weakest correct): acquire on acquiring, release on releasing;
 *   the ticket fetch_add is relaxed; the MCS tail exchange is acq_rel.
 *   Clang's -Wthread-safety checks that the data is only touched under its
 *   lock (lib/sync.h).  The first five variants' threads are pinned when
 *   there are enough CPUs (common/team.h); the timed part includes waking
 *   the threads, a start line, and waiting for the last.
 * Sizes: n = acquisitions over all threads (the *_over variants run for
 *   n x 100 ns): test 20003, train 60001, ref 150000.
 * Sensitive to: threads and CPUs above all; on aarch64 compiler/march (LSE
 *   `swpa`, `ldadd`, `casl` against outline-atomic calls or LL/SC loops); on
 *   x86 opt and march change little.
 * Correctness: the protected count must equal the acquisitions and the
 *   protected sum the reference sum: a lost update breaks one or both.  The
 *   checksum hashes the count (fixed-count variants) or the verdict (*_over).
 */
#include "harness.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/team.h"
#include "lib/sync.h"

#define BACKOFF_MIN 4u
#define BACKOFF_MAX 1024u

/* ---- the locks -------------------------------------------------------------- */
typedef struct FB_CAPABILITY("mutex") tas_lock {
    _Alignas(64) _Atomic uint32_t held;
} tas_lock;

static inline void tas_acquire(tas_lock *l) FB_ACQUIRE(l) FB_NO_TSA
{
    unsigned budget = 0;
    while (atomic_exchange_explicit(&l->held, 1, memory_order_acquire)) spin_wait(&budget);
}

static inline void tas_release(tas_lock *l) FB_RELEASE(l) FB_NO_TSA
{
    atomic_store_explicit(&l->held, 0, memory_order_release);
}

static inline void ttas_acquire(tas_lock *l) FB_ACQUIRE(l) FB_NO_TSA
{
    unsigned budget = 0, backoff = BACKOFF_MIN;
    for (;;) {
        /* Relaxed: only a hint; the exchange below is what acquires. */
        while (atomic_load_explicit(&l->held, memory_order_relaxed)) spin_wait(&budget);
        if (!atomic_exchange_explicit(&l->held, 1, memory_order_acquire)) return;
        for (unsigned i = 0; i < backoff; i++) cpu_relax();
        if (backoff < BACKOFF_MAX) backoff *= 2;
    }
}

typedef struct FB_CAPABILITY("mutex") ticket_lock {
    _Alignas(64) _Atomic uint32_t next;    /* the ticket dispenser */
    _Alignas(64) _Atomic uint32_t serving; /* the ticket that holds the lock */
} ticket_lock;

static inline void ticket_acquire(ticket_lock *l) FB_ACQUIRE(l) FB_NO_TSA
{
    uint32_t mine = atomic_fetch_add_explicit(&l->next, 1, memory_order_relaxed);
    unsigned budget = 0;
    while (atomic_load_explicit(&l->serving, memory_order_acquire) != mine) spin_wait(&budget);
}

static inline void ticket_release(ticket_lock *l) FB_RELEASE(l) FB_NO_TSA
{
    /* Only the holder writes serving, so a load + store is an increment. */
    uint32_t s = atomic_load_explicit(&l->serving, memory_order_relaxed);
    atomic_store_explicit(&l->serving, s + 1, memory_order_release);
}

typedef struct mcs_node {
    _Alignas(64) _Atomic(struct mcs_node *) next;
    _Atomic uint32_t locked;
} mcs_node;

typedef struct FB_CAPABILITY("mutex") mcs_lock {
    _Alignas(64) _Atomic(mcs_node *) tail;
} mcs_lock;

static inline void mcs_acquire(mcs_lock *l, mcs_node *me) FB_ACQUIRE(l) FB_NO_TSA
{
    atomic_store_explicit(&me->next, NULL, memory_order_relaxed);
    atomic_store_explicit(&me->locked, 1, memory_order_relaxed);
    mcs_node *prev = atomic_exchange_explicit(&l->tail, me, memory_order_acq_rel);
    if (!prev) return;
    /* Release: our node's initialisation happens-before the predecessor's
     * write of our flag. */
    atomic_store_explicit(&prev->next, me, memory_order_release);
    unsigned budget = 0;
    while (atomic_load_explicit(&me->locked, memory_order_acquire)) spin_wait(&budget);
}

static inline void mcs_release(mcs_lock *l, mcs_node *me) FB_RELEASE(l) FB_NO_TSA
{
    mcs_node *next = atomic_load_explicit(&me->next, memory_order_acquire);
    if (!next) {
        mcs_node *expect = me;
        /* No successor yet: empty the queue, releasing to the next enqueuer. */
        if (atomic_compare_exchange_strong_explicit(&l->tail, &expect, NULL, memory_order_release,
                                                    memory_order_relaxed))
            return;
        /* Someone is enqueuing: wait for them to link in. */
        unsigned budget = 0;
        while (!(next = atomic_load_explicit(&me->next, memory_order_acquire))) spin_wait(&budget);
    }
    atomic_store_explicit(&next->locked, 0, memory_order_release);
}

/* ---- the protected data: one lock and one record per variant ------------------ */
typedef struct {
    uint64_t count, sum;
} cs_data;

static tas_lock g_tas, g_ttas;
static ticket_lock g_ticket;
static mcs_lock g_mcs;
static _Alignas(64) fb_mutex g_mutex = FB_MUTEX_INIT;
static _Alignas(64) cs_data g_tas_data FB_GUARDED_BY(g_tas);
static _Alignas(64) cs_data g_ttas_data FB_GUARDED_BY(g_ttas);
static _Alignas(64) cs_data g_ticket_data FB_GUARDED_BY(g_ticket);
static _Alignas(64) cs_data g_mcs_data FB_GUARDED_BY(g_mcs);
static _Alignas(64) cs_data g_mutex_data FB_GUARDED_BY(g_mutex);

/* What thread tid adds on its i-th acquisition. */
static inline uint64_t contribution(int tid, uint64_t i) { return (uint64_t)tid * 1000003u + i; }

/* ---- hot loops ------------------------------------------------------------------ */
/* The first five variants: a fixed number of acquisitions. */
#define LOCK_LOOP(v, acquire, release, data, ...)                                              \
    FB_HOT void spinlock_##v(uint64_t iters, int tid)                                          \
    {                                                                                          \
        __VA_ARGS__                                                                            \
        for (uint64_t i = 0; i < iters; i++) {                                                 \
            acquire;                                                                           \
            data.count++;                                                                      \
            data.sum += contribution(tid, i);                                                  \
            release;                                                                           \
            fb_stress_point();                                                                 \
        }                                                                                      \
    }
/* The *_over twins: the same lock code, in a loop that stops at a deadline
 * (checked every 32 acquisitions, outside the lock) and counts what it did. */
#define TIMED_LOCK_LOOP(v, acquire, release, data, ...)                                        \
    FB_HOT uint64_t spinlock_##v##_over(uint64_t deadline_ns, int tid, uint64_t *sum_out)      \
    {                                                                                          \
        __VA_ARGS__                                                                            \
        uint64_t i = 0, sum = 0;                                                               \
        for (;; i++) {                                                                         \
            if (i % 32 == 0 && fb_now_ns() >= deadline_ns) break;                              \
            uint64_t c = contribution(tid, i);                                                 \
            acquire;                                                                           \
            data.count++;                                                                      \
            data.sum += c;                                                                     \
            release;                                                                           \
            sum += c;                                                                          \
            fb_stress_point();                                                                 \
        }                                                                                      \
        *sum_out = sum;                                                                        \
        return i;                                                                              \
    }
#define VARIANT_PAIR(v, acquire, release, data, ...)                                           \
    LOCK_LOOP(v, acquire, release, data, __VA_ARGS__)                                          \
    TIMED_LOCK_LOOP(v, acquire, release, data, __VA_ARGS__)

VARIANT_PAIR(tas, tas_acquire(&g_tas), tas_release(&g_tas), g_tas_data)
VARIANT_PAIR(ttas, ttas_acquire(&g_ttas), tas_release(&g_ttas), g_ttas_data)
VARIANT_PAIR(ticket, ticket_acquire(&g_ticket), ticket_release(&g_ticket), g_ticket_data)
VARIANT_PAIR(mcs, mcs_acquire(&g_mcs, &me), mcs_release(&g_mcs, &me), g_mcs_data, mcs_node me;)
VARIANT_PAIR(mutex, fb_mutex_lock(&g_mutex), fb_mutex_unlock(&g_mutex), g_mutex_data)

/* Read or reset a variant's record, under its own lock (also what the
 * thread-safety analysis wants). */
#define DATA_ACCESS(v, acquire, release, data, ...)                                            \
    static cs_data v##_swap(cs_data with)                                                      \
    {                                                                                          \
        __VA_ARGS__                                                                            \
        acquire;                                                                               \
        cs_data old = data;                                                                    \
        data = with;                                                                           \
        release;                                                                               \
        return old;                                                                            \
    }
DATA_ACCESS(tas, tas_acquire(&g_tas), tas_release(&g_tas), g_tas_data)
DATA_ACCESS(ttas, ttas_acquire(&g_ttas), tas_release(&g_ttas), g_ttas_data)
DATA_ACCESS(ticket, ticket_acquire(&g_ticket), ticket_release(&g_ticket), g_ticket_data)
DATA_ACCESS(mcs, mcs_acquire(&g_mcs, &me), mcs_release(&g_mcs, &me), g_mcs_data, mcs_node me;)
DATA_ACCESS(mutex, fb_mutex_lock(&g_mutex), fb_mutex_unlock(&g_mutex), g_mutex_data)

/* ---- threads and harness hooks ---------------------------------------------- */
typedef void (*loop_fn)(uint64_t, int);
typedef uint64_t (*timed_fn)(uint64_t, int, uint64_t *);
typedef cs_data (*swap_fn)(cs_data);

/* The *_over variants run for n x OVER_NS_PER_ITEM nanoseconds. */
#define OVER_NS_PER_ITEM 100

typedef struct {
    _Alignas(64) uint64_t finish_ns, ops, sum; /* written by its thread, read after the join */
} per_thread;

typedef struct {
    uint64_t n, ops, duration_ns;
    int threads, over_threads, used;
    team *team, *over_team;
    loop_fn loop;
    timed_fn timed; /* NULL for the fixed-count variants */
    cs_data result;
    /* Start line: every thread has arrived (so has run at least once) before
     * any takes the lock, so contention is there from the start.  The last
     * to arrive sets the start time and the deadline and releases the rest. */
    _Alignas(64) _Atomic int arrived;
    _Atomic int go;
    uint64_t start_ns, deadline_ns; /* published by the release store to go */
    per_thread *per;                /* one per thread of the larger team */
} state;

static uint64_t share(uint64_t n, int tid, int nthreads)
{
    return n / (uint64_t)nthreads + ((uint64_t)tid < n % (uint64_t)nthreads);
}

static void work(void *arg, int tid, int nt)
{
    state *st = arg;
    if (atomic_fetch_add_explicit(&st->arrived, 1, memory_order_relaxed) == nt - 1) {
        st->start_ns = fb_now_ns();
        st->deadline_ns = st->start_ns + st->duration_ns;
        atomic_store_explicit(&st->go, 1, memory_order_release);
    } else {
        /* Yield: with more threads than CPUs, the ones still to arrive need one. */
        while (!atomic_load_explicit(&st->go, memory_order_acquire)) sched_yield();
    }
    per_thread *me = &st->per[tid];
    if (st->timed) {
        me->ops = st->timed(st->deadline_ns, tid, &me->sum);
    } else {
        st->loop(share(st->ops, tid, nt), tid);
    }
    me->finish_ns = fb_now_ns();
}

static const struct {
    const char *name;
    loop_fn loop;
    timed_fn timed;
    swap_fn swap;
} locks[] = {
    {"tas", spinlock_tas, spinlock_tas_over, tas_swap},
    {"ttas", spinlock_ttas, spinlock_ttas_over, ttas_swap},
    {"ticket", spinlock_ticket, spinlock_ticket_over, ticket_swap},
    {"mcs", spinlock_mcs, spinlock_mcs_over, mcs_swap},
    {"mutex", spinlock_mutex, spinlock_mutex_over, mutex_swap},
};

#define RUNNERS(idx, v)                                                                        \
    static void run_##v(void *p)                                                               \
    {                                                                                          \
        state *st = p;                                                                         \
        st->loop = locks[idx].loop;                                                            \
        st->timed = NULL;                                                                      \
        team_run(st->team, work, st);                                                          \
        st->result = locks[idx].swap((cs_data){0, 0});                                         \
    }                                                                                          \
    static void run_##v##_over(void *p)                                                        \
    {                                                                                          \
        state *st = p;                                                                         \
        st->timed = locks[idx].timed;                                                          \
        team_run(st->over_team, work, st);                                                     \
        st->result = locks[idx].swap((cs_data){0, 0});                                         \
    }
RUNNERS(0, tas)
RUNNERS(1, ttas)
RUNNERS(2, ticket)
RUNNERS(3, mcs)
RUNNERS(4, mutex)

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    st->duration_ns = ctx->n * OVER_NS_PER_ITEM;
    st->threads = ctx->threads;
    int cpus[1024];
    int ncpu = team_allowed_cpus(cpus, 1024);
    st->over_threads = 4 * st->threads > 2 * ncpu + 1 ? 4 * st->threads : 2 * ncpu + 1;
    st->per = fb_calloc((size_t)st->over_threads, sizeof *st->per);
    st->team = team_create_spread(st->threads);
    st->over_team = team_create(st->over_threads, NULL);
    return st;
}

static bool is_over(const fb_variant *v) { return strstr(v->name, "_over") != NULL; }

static void prepare(void *p, const fb_variant *v)
{
    state *st = p;
    for (size_t i = 0; i < FB_COUNT(locks); i++) locks[i].swap((cs_data){0, 0});
    st->result = (cs_data){0, 0};
    st->used = is_over(v) ? st->over_threads : st->threads;
    st->ops = st->n;
    memset(st->per, 0, (size_t)st->over_threads * sizeof *st->per);
    atomic_store_explicit(&st->arrived, 0, memory_order_relaxed);
    atomic_store_explicit(&st->go, 0, memory_order_relaxed);
}

/* What the count and sum must be: from the shares (fixed count) or from what
 * each thread says it added (timed). */
static cs_data expected(const state *st, const fb_variant *v)
{
    cs_data want = {0, 0};
    for (int t = 0; t < st->used; t++) {
        if (is_over(v)) {
            want.count += st->per[t].ops;
            want.sum += st->per[t].sum;
            continue;
        }
        uint64_t k = share(st->ops, t, st->used);
        want.count += k;
        for (uint64_t i = 0; i < k; i++) want.sum += contribution(t, i);
    }
    return want;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    state *st = p;
    cs_data want = expected(st, v);
    if (st->result.count != want.count || st->result.sum != want.sum) {
        snprintf(why, len, "count %llu (expected %llu), sum %llu (expected %llu): mutual exclusion failed",
                 (unsigned long long)st->result.count, (unsigned long long)want.count,
                 (unsigned long long)st->result.sum, (unsigned long long)want.sum);
        return false;
    }
    if (is_over(v) && want.count == 0) {
        snprintf(why, len, "no acquisition at all in %llu ns", (unsigned long long)st->duration_ns);
        return false;
    }
    return true;
}

/* Fixed count: the count (the sum depends on how n was split among threads).
 * Timed: how much got done varies from run to run, so only the verdict of the
 * check (count and sum consistent) is hashed. */
static uint64_t checksum(void *p)
{
    state *st = p;
    if (st->used == st->threads && st->timed == NULL)
        return fb_hash_bytes(&st->result.count, sizeof st->result.count, FB_HASH_INIT);
    uint64_t consistent = 0, count = 0, sum = 0;
    for (int t = 0; t < st->used; t++) count += st->per[t].ops, sum += st->per[t].sum;
    consistent = count == st->result.count && sum == st->result.sum;
    return fb_hash_bytes(&consistent, sizeof consistent, FB_HASH_INIT);
}

static double items(void *p)
{
    state *st = p;
    if (st->timed == NULL) return (double)st->ops;
    uint64_t count = 0;
    for (int t = 0; t < st->used; t++) count += st->per[t].ops;
    return (double)count;
}

static void report(void *p, const fb_variant *v, fb_json *out)
{
    state *st = p;
    fb_json_int(out, "threads_used", st->used);
    fb_json_int(out, "pinned", is_over(v) ? team_pinned(st->over_team) : team_pinned(st->team));
    if (is_over(v)) {
        /* Fairness of a timed run: the least and the most any thread did. */
        uint64_t lo = UINT64_MAX, hi = 0;
        for (int t = 0; t < st->used; t++) {
            lo = st->per[t].ops < lo ? st->per[t].ops : lo;
            hi = st->per[t].ops > hi ? st->per[t].ops : hi;
        }
        fb_json_int(out, "duration_ns", (long long)st->duration_ns);
        fb_json_int(out, "thread_ops_min", (long long)lo);
        fb_json_int(out, "thread_ops_max", (long long)hi);
        return;
    }
    /* Fairness of a fixed-count run: when the first thread finished its
     * (equal) share, relative to the last.  Near 1: they went together (FIFO
     * locks); near 1/threads: one thread kept the lock for long runs. */
    uint64_t first = UINT64_MAX, last = 0;
    for (int t = 0; t < st->used; t++) {
        uint64_t f = st->per[t].finish_ns;
        first = f < first ? f : first;
        last = f > last ? f : last;
    }
    if (last > st->start_ns)
        fb_json_num(out, "first_finish_frac", (double)(first - st->start_ns) / (double)(last - st->start_ns));
}

static void teardown(void *p)
{
    state *st = p;
    team_destroy(st->team);
    team_destroy(st->over_team);
    free(st->per);
    free(st);
}

static const fb_variant variants[] = {
    {"tas", run_tas, 0, "test-and-set: an xchg per attempt"},
    {"ttas", run_ttas, 0, "test-and-test-and-set with exponential backoff"},
    {"ticket", run_ticket, 0, "ticket lock: FIFO, all waiters spin on one line"},
    {"mcs", run_mcs, 0, "MCS queue lock: each waiter spins on its own node"},
    {"mutex", run_mutex, 0, "pthread_mutex_t: futex, waiters sleep"},
    {"tas_over", run_tas_over, 0, "TAS with more threads than CPUs"},
    {"ttas_over", run_ttas_over, 0, "TTAS+backoff with more threads than CPUs"},
    {"ticket_over", run_ticket_over, 0, "ticket lock oversubscribed: FIFO handoff to preempted threads"},
    {"mcs_over", run_mcs_over, 0, "MCS oversubscribed: FIFO handoff to preempted threads"},
    {"mutex_over", run_mutex_over, 0, "pthread_mutex_t oversubscribed: sleeping waiters, expected winner"},
};

static const fb_kernel kernel = {
    .family = "atomics",
    .name = "spinlock",
    .summary = "TAS, TTAS+backoff, ticket and MCS spin locks vs pthread_mutex, also oversubscribed",
    .unit = "acquisitions",
    .concurrent = true,
    .sizes = {20003, 60001, 150000},
    .reps = {1, 5, 5},
    FB_HOOKS(setup, prepare, check, checksum, items, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
