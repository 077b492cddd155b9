/* common/team.h: a team of persistent worker threads, for every family whose
 * kernels time a parallel job (atomics, sched, queues, channels).
 *
 * The threads are created once (in a kernel's setup, untimed) and wait
 * between jobs; team_run() hands every member the same function, wakes them
 * and returns when all have finished.  So a timed run() pays the hand-off
 * (and, for parked members, the futex wake-ups), not thread creation.
 * team_run_some() does the same for the first `count` members only; the
 * others are not woken (they stay parked, or finish the idle poll described
 * below and then park), so a team sized for a kernel's largest configuration
 * also serves its smaller ones (queues/mpmc: 1p1c, 2p2c and oversubscribed).
 *
 * Who runs the work.  An unpinned team of n is the calling thread (tid 0)
 * plus n-1 parked threads.  That is deliberate: if the caller only woke the
 * workers and went to sleep, Linux would place the wakees on whatever CPU
 * was idle at the moment of the wake-up (often the same one for all of
 * them, since the waker's CPU is busy), and then refuse to move the
 * "cache-hot" tasks when the caller's CPU goes idle: on a 2-CPU machine two
 * workers then take turns on one CPU.  With the caller working, its CPU stays
 * busy and the wakees land on the others.  Wake-ups go down a binary tree
 * (member i wakes 2i+1 and 2i+2), so each wake-up comes from a running
 * thread and the start-up latency grows with log n.  (The first `count`
 * members of the tree are a subtree, so team_run_some wakes them the same
 * way.)
 * Wake-ups alone do not fix placement: a parked thread is woken onto its
 * previous CPU or its waker's, and a loaded scheduler does not reliably
 * move it to an idle one.  So, as OpenMP runtimes do (KMP_BLOCKTIME,
 * GOMP_SPINCOUNT), an idle member polls for the next job for about 2 ms
 * (pause, and a sched_yield every 256 polls) before it parks on its futex:
 * back-to-back repetitions then find every member awake on its own CPU.  A
 * team larger than the CPUs the process may use never polls (it would steal
 * CPU time from the members still working); it parks at once.  This holds
 * for every user: the queues and channels kernels (whose own teams used to
 * poll only 256 pauses before parking) also poll for 2 ms after each job
 * when their team fits the CPUs, each member on a CPU of its own; their
 * oversubscribed configurations park at once.
 * A pinned team (cpus given) has n threads of its own, each pinned before it
 * starts; the caller wakes member 0 and sleeps on a futex until the last
 * member finishes.
 * Why the atomics and sched kernels pin (team_create_spread): two busy
 * unpinned threads can share one CPU for a long while before the load
 * balancer separates them (the "cache hot" rule: the balancer avoids moving a task that ran within the last
 * sched_migration_cost, 0.5 ms by default, and busy threads always have).
 * A contention benchmark whose threads take turns on one CPU measures no
 * contention at all, so members are pinned to distinct CPUs whenever there
 * are enough; sched/pinning measures that effect on purpose.  The queues and
 * channels kernels do not pin (team_create(n, NULL)): their threads block on
 * one another, so the scheduler's placement is part of what they measure.
 */
#ifndef FB_COMMON_TEAM_H
#define FB_COMMON_TEAM_H

#include <stdbool.h>

typedef struct team team;
/* tid: 0 .. nthreads-1; nthreads: the members taking part in this job. */
typedef void (*team_fn)(void *arg, int tid, int nthreads);

/* A team of n members.  cpus: NULL (unpinned, the caller is member 0) or n
 * CPU numbers (member i is a thread pinned to cpus[i]). */
team *team_create(int n, const int *cpus);
/* Pinned to n distinct CPUs when the process may use at least n, else an
 * unpinned team (more threads than CPUs). */
team *team_create_spread(int n);
/* Fills cpus with up to max CPUs this process may run on; returns how many. */
int team_allowed_cpus(int *cpus, int max);
int team_size(const team *t);
/* Members whose pinning succeeded (0 when not pinned). */
int team_pinned(const team *t);
/* Runs fn(arg, tid, n) on every member and returns when all have finished;
 * everything they wrote happens-before the return. */
void team_run(team *t, team_fn fn, void *arg);
/* Runs fn(arg, tid, count) on members 0 .. count-1 (1 <= count <= size;
 * anything else aborts) and returns when they have finished, as team_run;
 * members count .. size-1 are not woken. */
void team_run_some(team *t, int count, team_fn fn, void *arg);
void team_destroy(team *t);

#endif
