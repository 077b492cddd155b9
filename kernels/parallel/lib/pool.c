/* parallel/lib/pool.c: the work-stealing pool declared in pool.h.
 *
 * Sections: sleeping (the futex protocol), the workers, join, par_for /
 * par_reduce.  Each worker's deque is common/ws_deque.h.
 *
 * A note on fences and ThreadSanitizer.  TSan does not model standalone
 * atomic_thread_fence (it neither reports nor hides anything through them).
 * Every happens-before edge that orders plain memory (a job's fields, its
 * results) therefore goes through a release store or RMW paired with an
 * acquire load, which TSan does model; the seq_cst fences are used only for
 * the "who saw whom" (Dekker) arguments, the sleep/wake race here and the
 * last element of a deque there, which involve atomics only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT (the build defines it too) */
#endif
#include "pool.h"

#include "common/spin.h" /* cpu_relax, futex_wait, futex_wake */
#include "common/ws_deque.h"
#include "harness.h"     /* fb_stress_point */

/* GCC's TSan warns that it does not model the fences (-Wtsan), which
 * -Werror would turn into a failed build; that is accounted for above. */
#if defined(__SANITIZE_THREAD__) && !defined(__clang__) && __GNUC__ >= 11
#pragma GCC diagnostic ignored "-Wtsan"
#endif

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers -------------------------------------------------------- */

static _Noreturn void pool_die(const char *what)
{
    fprintf(stderr, "parallel/pool: %s\n", what);
    abort();
}

static void *pool_alloc(size_t bytes)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, (bytes + 63) & ~(size_t)63) != 0) pool_die("out of memory");
    return p;
}

/* A counter only its own worker writes: a relaxed load and store, no locked
 * RMW.  Readers (pool_stats_get) use relaxed loads; the exactness promised in
 * pool.h comes from the job-completion release/acquire chain, not from here. */
static inline void stat_inc(atomic_ulong *c)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

/* ---- types ------------------------------------------------------------------ */

typedef struct worker worker;

/* A job lives in the stack frame of the pool_join that pushed it; that frame
 * does not return before `done` is set, so a thief may use it until then. */
typedef struct pool_job {
    void (*fn)(void *);
    void *arg;
    worker *owner; /* who waits for it: woken when a thief completes it */
    atomic_uint done;
} pool_job;

struct worker {
    ws_deque dq; /* first: its two index lines lead the struct */

    /* Sleeping: written by wakers too, so away from the owner-only fields. */
    alignas(64) atomic_uint wake_seq; /* the futex word: bumped by every wake */
    atomic_int sleeping;              /* 1 from just before parking until claimed or awake */

    /* Owner-only (worker 0: whichever external thread holds pool->enter). */
    alignas(64) uint64_t rng;
    atomic_ulong tasks, steals, parks, grows;
    pool *pool;
    int index;
    pthread_t thread;
};

struct pool {
    int n;
    worker *w;
    pthread_mutex_t enter; /* serializes external callers, who act as worker 0 */
    unsigned spin_rounds;  /* see backoff() */
    alignas(64) atomic_int sleepers; /* threads between "sleeping = 1" and waking */
    atomic_int stop;
};

/* The worker the current thread is acting as (NULL outside any pool). */
static _Thread_local worker *tls_self;

/* Small so every test exercises the growth path; a deque grows once to the
 * join depth (log2 of the pieces) and then stays. */
enum { DQ_INITIAL_CAP = 4 };

/* ---- sleeping ------------------------------------------------------------------
 * A thread with nothing to do parks on its own futex word, wake_seq:
 *
 *   sleeper                               waker (pusher / job completer / destroy)
 *   sleeping = 1; sleepers++              publish (bottom / done / stop)
 *   fence(seq_cst)          (F1)          fence(seq_cst)                  (F2)
 *   seq = wake_seq (acquire)              if sleepers && CAS(sleeping 1->0):
 *   if nothing to do: futex_wait(seq)         wake_seq++ (release); futex_wake
 *
 * Why no wake-up is lost: F1 and F2 are totally ordered.  If F2 comes first,
 * the sleeper's re-check after F1 sees what the waker published and does not
 * sleep.  If F1 comes first, the waker sees sleeping == 1 and bumps wake_seq:
 * either the sleeper read seq after the bump (acquire: then it also sees the
 * published work, which precedes the bump, and does not sleep), or its
 * futex_wait(seq) finds the word changed, or it is already queued and the
 * futex_wake reaches it.  The claim CAS only keeps two wakers from waking
 * the same sleeper; whoever loses it knows that sleeper is being woken and
 * will look at every deque when it wakes.  Nothing here times out: a lost
 * wake-up would show as a hang, not as a slowdown.
 *
 * Which wake-ups progress depends on: a pushed job that nobody steals is
 * taken back by its owner, so waking a sleeper after a push only buys
 * parallelism (hence the cheap sleepers == 0 shortcut there, itself covered
 * by the same fence argument).  Progress needs the wake-up of an owner
 * parked until a thief completes its job, and pool_destroy's: both go to a
 * known worker, without the shortcut. */

static void wake(worker *v)
{
    /* release: a sleeper that reads the new wake_seq sees what we published. */
    atomic_fetch_add_explicit(&v->wake_seq, 1, memory_order_release);
    futex_wake(&v->wake_seq, INT_MAX);
}

/* Wakes v if it is (about to be) parked and nobody else has claimed it. */
static bool try_wake(worker *v)
{
    int one = 1;
    /* relaxed: only a claim; the ordering comes from F2 and from wake(). */
    if (atomic_load_explicit(&v->sleeping, memory_order_relaxed) == 1 &&
        atomic_compare_exchange_strong_explicit(&v->sleeping, &one, 0, memory_order_relaxed,
                                                memory_order_relaxed)) {
        wake(v);
        return true;
    }
    return false;
}

/* After a push: wake one sleeper, if any, to steal it. */
static void notify_work(pool *p, worker *self)
{
    /* F2 (seq_cst): orders our release store of bottom before the load of
     * sleepers below; a StoreLoad barrier (MFENCE or a locked op on x86). It
     * is the price of never losing a wake-up, paid once per pushed job. */
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&p->sleepers, memory_order_relaxed) == 0) return;
    for (int k = 1; k < p->n; k++)
        if (try_wake(&p->w[(self->index + k) % p->n])) return;
}

static bool work_visible(pool *p)
{
    for (int i = 0; i < p->n; i++) {
        /* relaxed: ordered after F1 by the fence; a stale answer only costs
         * a futile wake-up or sleep attempt, never a lost one (see above). */
        if (ws_looks_nonempty(&p->w[i].dq)) return true;
    }
    return false;
}

/* Parks until there may be something to do: work in some deque, `waiting_on`
 * done, or the pool stopping.  Returns early whenever in doubt. */
static void idle_sleep(worker *w, pool_job *waiting_on)
{
    pool *p = w->pool;
    atomic_store_explicit(&w->sleeping, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->sleepers, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst); /* F1 */
    /* acquire, and before the re-check: see "Why no wake-up is lost". */
    unsigned seq = atomic_load_explicit(&w->wake_seq, memory_order_acquire);
    bool go = atomic_load_explicit(&p->stop, memory_order_acquire) ||
              (waiting_on && atomic_load_explicit(&waiting_on->done, memory_order_acquire)) ||
              work_visible(p);
    if (!go) {
        stat_inc(&w->parks);
        futex_wait(&w->wake_seq, seq, 0);
    }
    atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
    atomic_fetch_sub_explicit(&p->sleepers, 1, memory_order_relaxed);
}

/* Back-off for a thread that found nothing: spin (cheap to resume, but it
 * burns a core), then yield (lets an oversubscribed machine run the thread
 * that has the work), then return true: time to park.  When the pool has no
 * more threads than the CPUs it may run on, the spin phase is 64 sweeps with
 * up to 64 pauses each: on the order of 100 µs, so back-to-back calls and
 * short gaps between them find the workers awake (a parked thread's wake-up
 * is not just a syscall: the scheduler may queue it behind a busy thread for
 * a while, even milliseconds on a loaded machine).  With more threads than
 * CPUs, spinning only takes time slices from the threads that have the work,
 * so the spin phase shrinks to 4 short sweeps — the same trade-off libgomp
 * makes when it throttles GOMP_SPINCOUNT for oversubscribed teams.  Then 16
 * sweeps with a sched_yield each, then park. */
enum { SPIN_ROUNDS = 64, SPIN_ROUNDS_OVERSUBSCRIBED = 4, YIELD_ROUNDS = 16 };

static bool backoff(const pool *p, unsigned *idle)
{
    unsigned i = (*idle)++;
    if (i < p->spin_rounds) {
        for (unsigned k = 0, e = 1u << (i < 6 ? i : 6); k < e; k++) cpu_relax();
        return false;
    }
    if (i < p->spin_rounds + YIELD_ROUNDS) {
        sched_yield();
        return false;
    }
    *idle = p->spin_rounds; /* after a wake-up with nothing to do: yield, then park again */
    return true;
}

/* ---- the workers ------------------------------------------------------------------- */

static inline uint64_t next_rand(worker *w)
{
    /* xorshift64*: victim choice needs speed, not quality. */
    uint64_t x = w->rng;
    x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
    w->rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* One job from another worker's deque, or NULL after a sweep that found all
 * of them empty.  The sweep starts at a random victim, so thieves spread out
 * instead of all queueing on worker 0; a lost CAS means there was work, so
 * that sweep is repeated. */
static pool_job *steal_any(worker *w)
{
    pool *p = w->pool;
    if (p->n == 1) return NULL;
    for (;;) {
        bool lost = false;
        unsigned start = (unsigned)(next_rand(w) % (uint64_t)p->n);
        for (int k = 0; k < p->n; k++) {
            int v = (int)((start + (unsigned)k) % (unsigned)p->n);
            if (v == w->index) continue;
            void *j;
            int r = ws_steal(&p->w[v].dq, &j);
            if (r == WS_STEAL_OK) {
                stat_inc(&w->steals);
                return j;
            }
            if (r == WS_STEAL_LOST) lost = true;
        }
        if (!lost) return NULL;
        fb_stress_point();
    }
}

static void run_stolen(worker *w, pool_job *j)
{
    worker *owner = j->owner; /* read now: j may vanish once done is set */
    j->fn(j->arg);
    stat_inc(&w->tasks); /* before the release below, so pool_stats_get is exact */
    /* release: the owner's acquire of done sees everything the job wrote. */
    atomic_store_explicit(&j->done, 1, memory_order_release);
    /* F2 for the completion: orders the store of done before the load of the
     * owner's sleeping flag (Dekker with F1 in idle_sleep). */
    atomic_thread_fence(memory_order_seq_cst);
    try_wake(owner);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    pool *p = w->pool;
    tls_self = w;
    unsigned idle = 0;
    /* acquire: pairs with pool_destroy's release store (nothing is published
     * with it, but it keeps the exit after everything destroy did before). */
    while (!atomic_load_explicit(&p->stop, memory_order_acquire)) {
        pool_job *j = steal_any(w);
        if (j) {
            run_stolen(w, j);
            idle = 0;
            continue;
        }
        if (backoff(p, &idle)) idle_sleep(w, NULL);
        fb_stress_point();
    }
    return NULL;
}

pool *pool_create(int threads)
{
    if (threads < 1) threads = 1;
    pool *p = pool_alloc(sizeof *p);
    memset(p, 0, sizeof *p);
    p->n = threads;
    p->w = pool_alloc((size_t)threads * sizeof *p->w);
    memset(p->w, 0, (size_t)threads * sizeof *p->w);
    pthread_mutex_init(&p->enter, NULL);
    cpu_set_t cpus;
    int ncpu = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
    p->spin_rounds = threads <= ncpu ? SPIN_ROUNDS : SPIN_ROUNDS_OVERSUBSCRIBED;
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->stop, 0);
    for (int i = 0; i < threads; i++) {
        worker *w = &p->w[i];
        ws_init(&w->dq, DQ_INITIAL_CAP);
        atomic_init(&w->wake_seq, 0);
        atomic_init(&w->sleeping, 0);
        atomic_init(&w->tasks, 0);
        atomic_init(&w->steals, 0);
        atomic_init(&w->parks, 0);
        atomic_init(&w->grows, 0);
        w->rng = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1) | 1;
        w->pool = p;
        w->index = i;
    }
    /* pthread_create orders everything above before each worker starts. */
    for (int i = 1; i < threads; i++)
        if (pthread_create(&p->w[i].thread, NULL, worker_main, &p->w[i]) != 0)
            pool_die("cannot start a worker thread");
    return p;
}

void pool_destroy(pool *p)
{
    if (!p) return;
    /* release: see worker_main. */
    atomic_store_explicit(&p->stop, 1, memory_order_release);
    /* Unconditional wakes: a sleeper either reads the bumped wake_seq (and
     * then, by acquire, stop == 1) or its futex_wait sees the change or the
     * wake (see "Sleeping"). */
    for (int i = 1; i < p->n; i++) wake(&p->w[i]);
    for (int i = 1; i < p->n; i++) pthread_join(p->w[i].thread, NULL);
    for (int i = 0; i < p->n; i++) ws_free(&p->w[i].dq);
    pthread_mutex_destroy(&p->enter);
    free(p->w);
    free(p);
}

int pool_threads(const pool *p) { return p->n; }

void pool_stats_get(const pool *p, pool_stats *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < p->n; i++) {
        worker *w = &p->w[i];
        out->tasks += atomic_load_explicit(&w->tasks, memory_order_relaxed);
        out->steals += atomic_load_explicit(&w->steals, memory_order_relaxed);
        out->parks += atomic_load_explicit(&w->parks, memory_order_relaxed);
        out->grows += atomic_load_explicit(&w->grows, memory_order_relaxed);
    }
}

pool_stats pool_stats_since(const pool *p, pool_stats *last)
{
    pool_stats now, d;
    pool_stats_get(p, &now);
    d.tasks = now.tasks - last->tasks;
    d.steals = now.steals - last->steals;
    d.parks = now.parks - last->parks;
    d.grows = now.grows - last->grows;
    *last = now;
    return d;
}

/* ---- join ------------------------------------------------------------------------ */

/* Waits for a job a thief took, doing other work meanwhile.  Our own deque is
 * empty here: thieves take from the top, so everything older than `j` was
 * stolen before it. */
static void wait_job(worker *w, pool_job *j)
{
    unsigned idle = 0;
    /* acquire: pairs with run_stolen's release; the job's results are ours. */
    while (!atomic_load_explicit(&j->done, memory_order_acquire)) {
        pool_job *s = steal_any(w);
        if (s) {
            run_stolen(w, s);
            idle = 0;
            continue;
        }
        if (backoff(w->pool, &idle)) idle_sleep(w, j);
        fb_stress_point();
    }
}

static void join_in(worker *w, void (*fa)(void *), void *a, void (*fb)(void *), void *b)
{
    pool_job jb = {.fn = fb, .arg = b, .owner = w};
    atomic_init(&jb.done, 0);
    if (ws_push(&w->dq, &jb)) stat_inc(&w->grows);
    notify_work(w->pool, w);
    fa(a);
    pool_job *j = ws_take(&w->dq);
    if (j == &jb) {
        fb(b);
        stat_inc(&w->tasks);
        return;
    }
    /* Everything a's own joins pushed they also took back, so the only job
     * ws_take can find here is jb; anything else is a broken invariant. */
    if (j != NULL) pool_die("join: deque holds a job that is not ours");
    wait_job(w, &jb);
}

/* Makes the calling thread a worker of p for one call: a task of p already
 * is one; an outside thread becomes worker 0, one at a time. */
static worker *enter(pool *p, worker **saved)
{
    worker *self = tls_self;
    if (self && self->pool == p) {
        *saved = self;
        return self;
    }
    pthread_mutex_lock(&p->enter);
    *saved = self;
    tls_self = &p->w[0];
    return &p->w[0];
}

static void leave(pool *p, worker *self, worker *saved)
{
    if (saved == self) return; /* nested call */
    tls_self = saved;
    pthread_mutex_unlock(&p->enter);
}

void pool_join(pool *p, void (*fa)(void *), void *a, void (*fb)(void *), void *b)
{
    worker *saved, *self = enter(p, &saved);
    join_in(self, fa, a, fb, b);
    leave(p, self, saved);
}

/* ---- par_for / par_reduce --------------------------------------------------------- */

typedef struct range_job {
    size_t lo, hi, grain;
    par_body body;
    void *ctx;
} range_job;

static void range_run(void *arg)
{
    range_job *r = arg;
    if (r->hi - r->lo <= r->grain) {
        r->body(r->ctx, r->lo, r->hi);
        return;
    }
    size_t mid = r->lo + (r->hi - r->lo) / 2;
    range_job left = *r, right = *r;
    left.hi = mid;
    right.lo = mid;
    /* tls_self: the thread running this piece may be a thief. */
    join_in(tls_self, range_run, &left, range_run, &right);
}

void par_for(pool *p, size_t begin, size_t end, size_t grain, par_body body, void *ctx)
{
    if (begin >= end) return;
    range_job r = {begin, end, grain ? grain : 1, body, ctx};
    worker *saved, *self = enter(p, &saved);
    range_run(&r);
    leave(p, self, saved);
}

typedef struct reduce_job {
    size_t lo, hi, grain, acc_size;
    par_map_fn map;
    par_combine_fn combine;
    void *ctx;
    void *out;
} reduce_job;

static void reduce_run(void *arg)
{
    reduce_job *r = arg;
    if (r->hi - r->lo <= r->grain) {
        r->map(r->ctx, r->lo, r->hi, r->out);
        return;
    }
    alignas(16) unsigned char rhs[PAR_REDUCE_MAX_ACC];
    size_t mid = r->lo + (r->hi - r->lo) / 2;
    reduce_job left = *r, right = *r;
    left.hi = mid;
    right.lo = mid;
    right.out = rhs;
    join_in(tls_self, reduce_run, &left, reduce_run, &right);
    r->combine(r->ctx, r->out, rhs);
}

void par_reduce(pool *p, size_t begin, size_t end, size_t grain, size_t acc_size, par_map_fn map,
                par_combine_fn combine, void *ctx, void *result)
{
    if (acc_size > PAR_REDUCE_MAX_ACC) pool_die("par_reduce: accumulator larger than PAR_REDUCE_MAX_ACC");
    if (begin >= end) {
        map(ctx, begin, begin, result);
        return;
    }
    reduce_job r = {begin, end, grain ? grain : 1, acc_size, map, combine, ctx, result};
    worker *saved, *self = enter(p, &saved);
    reduce_run(&r);
    leave(p, self, saved);
}
