/* common/spin.h: spinning politely and sleeping on a futex, for every family
 * with threads (atomics, sched, queues, channels, parallel).
 *
 *  - FB_TSAN: 1 in a ThreadSanitizer build.
 *  - cpu_relax(): the spin-wait hint (x86 `pause`, aarch64 `yield`).
 *  - spin_wait(&budget): "spin a while, then yield" for retry loops that have
 *    no one to wake them (seqlock readers, spinlocks).
 *  - spin_snooze(&step): exponential backoff, then yield, for waits inside
 *    an operation (a peer is half-way through its own).
 *  - spin_before_park(round): the bounded ladder a blocking wait climbs
 *    before it parks on an eventcount (common/eventcount.h).
 *  - futex_wait / futex_wake on a 32-bit atomic word (Linux futex(2) via
 *    syscall; TSan does not model futexes, but every user also orders its
 *    data through C11 atomics, so TSan still sees the happens-before).
 *  - CACHE_LINE: 64 bytes on every machine flagbench targets.
 *
 * Nothing here spins forever, which matters most in the oversubscribed
 * configurations, where a spinning thread would burn the time slice of the
 * very thread it is waiting for.
 */
#ifndef FB_COMMON_SPIN_H
#define FB_COMMON_SPIN_H

#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CACHE_LINE 64

/* ---- ThreadSanitizer ------------------------------------------------------
 * TSan does not model atomic_thread_fence: clang's ignores fences (and then
 * reports races that the fences prevent), GCC's warns about them (-Wtsan,
 * an error under -Werror).  Kernels whose point is a fence use FB_TSAN to
 * switch to an equivalent fence-free formulation in TSan builds; Concurrency
 * Kit's inline assembly and fences are invisible to TSan too, so the ck peers
 * are left out there.  GCC says __SANITIZE_THREAD__; Clang 14 only answers
 * __has_feature. */
#if defined(__SANITIZE_THREAD__)
#define FB_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FB_TSAN 1
#endif
#endif
#ifndef FB_TSAN
#define FB_TSAN 0
#endif

/* ---- spinning ------------------------------------------------------------- */
/* One polite spin step: tells the core that this is a spin-wait loop (frees
 * the sibling hyper-thread, avoids the memory-order mis-speculation flush on
 * leaving the loop).  Also a compiler barrier (the "memory" clobber). */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("pause" ::: "memory");
#elif defined(__aarch64__)
    __asm__ volatile("yield" ::: "memory");
#else
    __asm__ volatile("" ::: "memory");
#endif
}

/* A spinning waiter calls spin_wait(&budget) once per failed poll: it pauses,
 * and after SPIN_BEFORE_YIELD polls it gives the CPU away with sched_yield()
 * on every further poll, so a waiter whose wake-up depends on a preempted
 * thread (more threads than cores) lets that thread run instead of burning
 * its whole time slice. */
#define SPIN_BEFORE_YIELD 1024u
static inline void spin_wait(unsigned *budget)
{
    if (*budget < SPIN_BEFORE_YIELD) {
        ++*budget;
        cpu_relax();
    } else {
        sched_yield();
    }
}

/* Backoff for waits INSIDE an operation (a peer is half-way through its own
 * operation, e.g. has claimed a slot but not yet written it).  Such a wait
 * always ends as soon as the peer runs, so it spins (1, 2, 4, ... 32 pauses)
 * then yields, never parks.  *step starts at 0. */
static inline void spin_snooze(unsigned *step)
{
    if (*step < 6) {
        for (unsigned i = 0; i < (1u << *step); i++) cpu_relax();
        (*step)++;
    } else {
        sched_yield();
    }
}

/* Spin budget before parking: about a microsecond of pause instructions,
 * then a few yields, which lets a preempted peer run on an oversubscribed
 * machine before we pay for a futex sleep and wake-up. */
enum { SPIN_RELAX_ROUNDS = 64, SPIN_YIELD_ROUNDS = 4 };

/* One rung of that ladder for the round-th failed attempt (0, 1, ...):
 * pauses or yields and returns true while the budget lasts, returns false
 * (doing nothing) once it is spent: time to park. */
static inline bool spin_before_park(unsigned round)
{
    if (round < SPIN_RELAX_ROUNDS) {
        cpu_relax();
        return true;
    }
    if (round < SPIN_RELAX_ROUNDS + SPIN_YIELD_ROUNDS) {
        sched_yield();
        return true;
    }
    return false;
}

/* ---- futex ---------------------------------------------------------------- */
/* Sleeps while *word == expect, at most timeout_ns (0 = no limit).  Returns at
 * once if *word != expect (the kernel compares atomically with queueing the
 * sleeper), on a wake-up, at the timeout or spuriously (EINTR): callers
 * re-check their condition. */
static inline void futex_wait(_Atomic uint32_t *word, uint32_t expect, long timeout_ns)
{
    struct timespec ts = {timeout_ns / 1000000000L, timeout_ns % 1000000000L};
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expect, timeout_ns ? &ts : NULL, NULL, 0);
}

/* Wakes up to count sleepers on word (INT_MAX: all). */
static inline void futex_wake(_Atomic uint32_t *word, int count)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

#endif
