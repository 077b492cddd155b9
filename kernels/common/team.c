/* common/team.c: persistent worker threads; see team.h. */
#include "common/team.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/spin.h"
#include "harness.h"

#define GEN_QUIT 0xffffffffu
/* How long an idle member polls for the next job before it parks. */
#define IDLE_SPIN_NS 2000000ull

typedef struct member {
    /* This member's job counter: its waker (the caller, or the member above
     * it in the tree) moves it on by one for every job the member takes part
     * in; GEN_QUIT ends the thread.  Per member, not one team-wide
     * generation, so that a member team_run_some leaves out for any number
     * of jobs still sees a new value when it is next woken.  On its own
     * cache line: starting `count` members touches only theirs, and a member
     * left out never reads the job fields while they are rewritten. */
    _Alignas(64) _Atomic uint32_t go;
    _Atomic uint32_t parked; /* 1 while in (or about to enter) futex_wait */
    struct team *t;
    int id;
    bool has_thread;
    pthread_t thread;
} member;

struct team {
    _Alignas(64) _Atomic uint32_t pending; /* members still busy with this job */
    _Atomic uint32_t caller_parked;
    /* The job: written by team_run_some before the stores that wake the
     * members, read by them after their acquire load of go. */
    team_fn fn;
    void *arg;
    int count; /* members taking part: 0 .. count-1 */
    int n, pinned;
    bool caller_works, idle_spin;
    member *m;
};

/* Parking without lost wake-ups: the sleeper announces itself (seq_cst) and
 * then re-reads the word it waits on (seq_cst); the waker stores the word
 * (seq_cst) and then reads the announcement (seq_cst).  In the single total
 * order of seq_cst operations one of them comes first, so either the waker
 * sees the announcement and calls futex_wake, or the sleeper sees the new
 * value and does not sleep.  (futex_wait itself also re-checks the word.) */
static void wake_member(team *t, int i)
{
    if (i >= t->count || !t->m[i].has_thread) return;
    member *m = &t->m[i];
    /* relaxed: only the waker writes go (see member), and each job's
     * hand-off happens-after the previous one's, so this reads the last
     * value stored. */
    uint32_t gen = atomic_load_explicit(&m->go, memory_order_relaxed) + 1;
    if (gen == GEN_QUIT) gen = 0;
    /* seq_cst: also a release, so the job (fn, arg, count) is visible to the
     * member. */
    atomic_store_explicit(&m->go, gen, memory_order_seq_cst);
    if (atomic_load_explicit(&m->parked, memory_order_seq_cst)) futex_wake(&m->go, 1);
}

static uint32_t await_job(member *m, uint32_t seen)
{
    uint32_t gen;
    if (m->t->idle_spin) {
        /* Poll for a while, as OpenMP runtimes do (KMP_BLOCKTIME, GOMP_SPINCOUNT):
         * back-to-back jobs then find the member awake on its own CPU. */
        uint64_t deadline = fb_now_ns() + IDLE_SPIN_NS;
        for (unsigned k = 1;; k++) {
            if ((gen = atomic_load_explicit(&m->go, memory_order_acquire)) != seen) return gen;
            cpu_relax();
            if (k % 256 == 0) {
                if (fb_now_ns() > deadline) break;
                sched_yield();
            }
        }
    }
    for (;;) {
        atomic_store_explicit(&m->parked, 1, memory_order_seq_cst);
        gen = atomic_load_explicit(&m->go, memory_order_seq_cst);
        if (gen == seen) futex_wait(&m->go, seen, 0);
        atomic_store_explicit(&m->parked, 0, memory_order_relaxed);
        if ((gen = atomic_load_explicit(&m->go, memory_order_acquire)) != seen) return gen;
    }
}

static void finish_one(team *t)
{
    /* The decrements (RMWs, at least release) form a release sequence, so the
     * caller's acquire load of 0 sees every member's writes; seq_cst for the
     * parking protocol above. */
    if (atomic_fetch_sub_explicit(&t->pending, 1, memory_order_seq_cst) == 1 &&
        atomic_load_explicit(&t->caller_parked, memory_order_seq_cst))
        futex_wake(&t->pending, 1);
}

static void *member_main(void *p)
{
    member *m = p;
    team *t = m->t;
    uint32_t seen = 0;
    for (;;) {
        uint32_t gen = await_job(m, seen);
        if (gen == GEN_QUIT) return NULL;
        seen = gen;
        wake_member(t, 2 * m->id + 1);
        wake_member(t, 2 * m->id + 2);
        t->fn(t->arg, m->id, t->count);
        finish_one(t);
    }
}

static void settle(void *arg, int tid, int n)
{
    (void)arg, (void)tid, (void)n;
}

team *team_create(int n, const int *cpus)
{
    if (n < 1) n = 1;
    team *t = fb_calloc(1, sizeof *t);
    t->n = n;
    t->caller_works = cpus == NULL;
    cpu_set_t allowed;
    int ncpu = sched_getaffinity(0, sizeof allowed, &allowed) == 0 ? CPU_COUNT(&allowed) : 1;
    /* Idle spinning only while every member can have a CPU of its own. */
    t->idle_spin = n <= ncpu;
    t->m = fb_calloc((size_t)n, sizeof *t->m);
    for (int i = 0; i < n; i++) {
        t->m[i].t = t;
        t->m[i].id = i;
        if (i == 0 && t->caller_works) continue;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        bool pin = false;
        if (cpus) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(cpus[i], &set);
            /* Pinned before the thread runs, so it never starts elsewhere. */
            pin = pthread_attr_setaffinity_np(&attr, sizeof set, &set) == 0;
        }
        int rc = pthread_create(&t->m[i].thread, &attr, member_main, &t->m[i]);
        if (rc != 0 && pin) {
            /* The CPU may be outside this process's allowed set: run unpinned. */
            pin = false;
            pthread_attr_destroy(&attr);
            pthread_attr_init(&attr);
            rc = pthread_create(&t->m[i].thread, &attr, member_main, &t->m[i]);
        }
        pthread_attr_destroy(&attr);
        if (rc != 0) {
            fprintf(stderr, "flagbench: cannot start worker thread %d of %d: %s\n", i, n, strerror(rc));
            exit(1);
        }
        t->m[i].has_thread = true;
        t->pinned += pin;
    }
    /* Let every thread run once before the first real job. */
    team_run(t, settle, NULL);
    return t;
}

int team_allowed_cpus(int *cpus, int max)
{
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return 0;
    int k = 0;
    for (int c = 0; c < CPU_SETSIZE && k < max; c++)
        if (CPU_ISSET(c, &allowed)) cpus[k++] = c;
    return k;
}

team *team_create_spread(int n)
{
    int *cpus = fb_alloc((size_t)(n > 0 ? n : 1) * sizeof *cpus);
    team *t = team_create(n, team_allowed_cpus(cpus, n) == n ? cpus : NULL);
    free(cpus);
    return t;
}

int team_size(const team *t) { return t->n; }
int team_pinned(const team *t) { return t->pinned; }

void team_run(team *t, team_fn fn, void *arg) { team_run_some(t, t->n, fn, arg); }

void team_run_some(team *t, int count, team_fn fn, void *arg)
{
    if (count < 1 || count > t->n) {
        fprintf(stderr, "flagbench: team: %d members asked of a team of %d\n", count, t->n);
        abort();
    }
    t->fn = fn;
    t->arg = arg;
    t->count = count;
    atomic_store_explicit(&t->pending, (uint32_t)count, memory_order_relaxed);
    if (t->caller_works) {
        wake_member(t, 1);
        wake_member(t, 2);
        fn(arg, 0, count);
        finish_one(t);
    } else {
        wake_member(t, 0);
    }
    /* Wait for the others: a short spin, then park (same protocol as above).
     * The caller of a pinned team has no CPU of its own (every CPU has a
     * pinned member), so it parks at once rather than take time from one. */
    for (unsigned spins = t->caller_works ? 0 : 1024;
         atomic_load_explicit(&t->pending, memory_order_acquire) != 0;) {
        if (++spins < 1024) {
            cpu_relax();
            continue;
        }
        atomic_store_explicit(&t->caller_parked, 1, memory_order_seq_cst);
        uint32_t left = atomic_load_explicit(&t->pending, memory_order_seq_cst);
        if (left != 0) futex_wait(&t->pending, left, 0);
        atomic_store_explicit(&t->caller_parked, 0, memory_order_relaxed);
    }
}

void team_destroy(team *t)
{
    if (!t) return;
    for (int i = 0; i < t->n; i++) {
        if (!t->m[i].has_thread) continue;
        atomic_store_explicit(&t->m[i].go, GEN_QUIT, memory_order_seq_cst);
        futex_wake(&t->m[i].go, 1);
    }
    for (int i = 0; i < t->n; i++)
        if (t->m[i].has_thread) pthread_join(t->m[i].thread, NULL);
    free(t->m);
    free(t);
}
