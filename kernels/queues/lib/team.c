/* queues/lib/team.c: see team.h.  Each helper has its own futex word (its
 * own cache line), so starting k members touches only those k, and a helper
 * that is not needed never reads the job fields while they are rewritten. */
#include "team.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "lib/park.h"

typedef struct member {
    _Alignas(64) atomic_uint go; /* bumped (release) to start this member */
    struct team *team;
    int index;
    pthread_t thread;
} member;

struct team {
    int size;
    /* The job: written by team_run before the release bump of each go word,
     * read by the helper after its acquire load of it. */
    team_fn fn;
    void *arg;
    bool quit;
    _Alignas(64) atomic_uint remaining; /* helpers still running; futex word */
    member *members;                    /* [1..size-1] used */
};

static void *helper_main(void *p)
{
    member *m = p;
    team *t = m->team;
    unsigned seen = 0;
    for (;;) {
        unsigned g;
        /* Short spin: back-to-back repetitions restart us quickly. */
        for (int i = 0; i < 256 && (g = atomic_load_explicit(&m->go, memory_order_acquire)) == seen; i++)
            q_relax();
        while ((g = atomic_load_explicit(&m->go, memory_order_acquire)) == seen) q_futex_wait(&m->go, seen);
        seen = g;
        if (t->quit) break;
        t->fn(t->arg, m->index);
        /* acq_rel: our work happens-before the caller's return from team_run. */
        if (atomic_fetch_sub_explicit(&t->remaining, 1, memory_order_acq_rel) == 1)
            q_futex_wake(&t->remaining, 1);
    }
    return NULL;
}

team *team_create(int size)
{
    if (size < 1) size = 1;
    team *t = fb_calloc(1, sizeof *t);
    t->size = size;
    t->members = fb_calloc((size_t)size, sizeof *t->members);
    atomic_init(&t->remaining, 0);
    for (int i = 1; i < size; i++) {
        member *m = &t->members[i];
        atomic_init(&m->go, 0);
        m->team = t;
        m->index = i;
        if (pthread_create(&m->thread, NULL, helper_main, m) != 0) {
            fprintf(stderr, "team: cannot create thread %d of %d\n", i, size);
            exit(1);
        }
    }
    return t;
}

int team_size(const team *t) { return t->size; }

static void start(team *t, int count)
{
    for (int i = 1; i < count; i++) {
        atomic_fetch_add_explicit(&t->members[i].go, 1, memory_order_release);
        q_futex_wake(&t->members[i].go, 1);
    }
}

void team_run(team *t, int count, team_fn fn, void *arg)
{
    if (count > t->size) {
        fprintf(stderr, "team: %d members asked of a team of %d\n", count, t->size);
        abort();
    }
    t->fn = fn;
    t->arg = arg;
    atomic_store_explicit(&t->remaining, (unsigned)(count - 1), memory_order_relaxed);
    start(t, count);
    fn(arg, 0);
    unsigned r;
    for (int i = 0; i < 256 && (r = atomic_load_explicit(&t->remaining, memory_order_acquire)) != 0; i++)
        q_relax();
    while ((r = atomic_load_explicit(&t->remaining, memory_order_acquire)) != 0)
        q_futex_wait(&t->remaining, r);
}

void team_destroy(team *t)
{
    t->quit = true;
    start(t, t->size);
    for (int i = 1; i < t->size; i++) pthread_join(t->members[i].thread, NULL);
    free(t->members);
    free(t);
}
