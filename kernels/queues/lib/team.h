/* queues/lib/team.h: a persistent team of threads for the timed runs.
 *
 * The threads are created once (in the kernel's setup) and parked on a futex
 * between runs, so thread creation is never inside the timed part; waking
 * the parked helpers is (a futex wake each, microseconds against a run of
 * milliseconds).  team_run(t, k, fn, arg) runs fn(arg, i) for i = 0..k-1
 * concurrently, member 0 on the calling thread, and returns when all are done.
 * Helpers beyond k stay asleep.
 */
#ifndef QUEUES_TEAM_H
#define QUEUES_TEAM_H

typedef void (*team_fn)(void *arg, int index);
typedef struct team team;

/* A team able to run up to `size` members (size-1 helper threads). */
team *team_create(int size);
int team_size(const team *t);
void team_run(team *t, int count, team_fn fn, void *arg);
void team_destroy(team *t);

#endif
