/* atomics/lib/sync.h: small synchronisation helpers the atomics kernels share.
 *
 *  - cpu_relax(): the spin-wait hint (x86 `pause`, aarch64 `yield`).
 *  - futex_wait / futex_wake on a 32-bit atomic word (Linux futex(2) via
 *    syscall; TSan does not model futexes, but every kernel here also orders
 *    its data through C11 atomics, so TSan still sees the happens-before).
 *  - spin_wait_budget: "spin a while, then yield" for the lock-free retry
 *    loops that have no one to wake them (seqlock readers, spinlocks).
 *  - Clang thread-safety annotations (-Wthread-safety), empty on GCC, and an
 *    annotated pthread mutex / rwlock wrapper.  In C, clang can only name a
 *    capability that is a global (a sibling struct member is not accepted by
 *    clang 14 and is misresolved by clang 19), so lock-protected data in these
 *    kernels lives in file-scope variables next to its lock.
 */
#ifndef ATOMICS_LIB_SYNC_H
#define ATOMICS_LIB_SYNC_H

#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* ---- ThreadSanitizer ------------------------------------------------------
 * TSan does not model atomic_thread_fence: clang's ignores fences (and then
 * reports races that the fences prevent), GCC's warns about them (-Wtsan,
 * an error under -Werror).  Kernels whose point is a fence use FB_TSAN to
 * switch to an equivalent fence-free formulation in TSan builds. */
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

/* ---- thread-safety annotations (clang -Wthread-safety) ------------------ */
#if defined(__clang__)
#define FB_TSA(x) __attribute__((x))
#else
#define FB_TSA(x)
#endif
#define FB_CAPABILITY(kind) FB_TSA(capability(kind))
#define FB_GUARDED_BY(lock) FB_TSA(guarded_by(lock))
#define FB_ACQUIRE(...) FB_TSA(acquire_capability(__VA_ARGS__))
#define FB_RELEASE(...) FB_TSA(release_capability(__VA_ARGS__))
#define FB_ACQUIRE_SHARED(...) FB_TSA(acquire_shared_capability(__VA_ARGS__))
#define FB_RELEASE_SHARED(...) FB_TSA(release_shared_capability(__VA_ARGS__))
#define FB_REQUIRES(...) FB_TSA(requires_capability(__VA_ARGS__))
/* On the lock primitives themselves: they implement the capability, the
 * analysis cannot see through the atomics / pthread calls that do it. */
#define FB_NO_TSA FB_TSA(no_thread_safety_analysis)

/* pthread_mutex_t and pthread_rwlock_t are not annotated by glibc, so wrap them. */
typedef struct FB_CAPABILITY("mutex") fb_mutex {
    pthread_mutex_t m;
} fb_mutex;
#define FB_MUTEX_INIT {PTHREAD_MUTEX_INITIALIZER}
static inline void fb_mutex_lock(fb_mutex *m) FB_ACQUIRE(m) FB_NO_TSA { pthread_mutex_lock(&m->m); }
static inline void fb_mutex_unlock(fb_mutex *m) FB_RELEASE(m) FB_NO_TSA { pthread_mutex_unlock(&m->m); }

typedef struct FB_CAPABILITY("rwlock") fb_rwlock {
    pthread_rwlock_t l;
} fb_rwlock;
#define FB_RWLOCK_INIT {PTHREAD_RWLOCK_INITIALIZER}
static inline void fb_rwlock_rdlock(fb_rwlock *l) FB_ACQUIRE_SHARED(l) FB_NO_TSA { pthread_rwlock_rdlock(&l->l); }
static inline void fb_rwlock_rdunlock(fb_rwlock *l) FB_RELEASE_SHARED(l) FB_NO_TSA { pthread_rwlock_unlock(&l->l); }
static inline void fb_rwlock_wrlock(fb_rwlock *l) FB_ACQUIRE(l) FB_NO_TSA { pthread_rwlock_wrlock(&l->l); }
static inline void fb_rwlock_wrunlock(fb_rwlock *l) FB_RELEASE(l) FB_NO_TSA { pthread_rwlock_unlock(&l->l); }

/* ---- spinning ------------------------------------------------------------- */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
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

/* ---- futex ---------------------------------------------------------------- */
/* Sleeps while *word == expect, at most timeout_ns (0 = no limit).  Spurious
 * returns are allowed: callers re-check their condition. */
static inline void futex_wait(_Atomic uint32_t *word, uint32_t expect, long timeout_ns)
{
    struct timespec ts = {timeout_ns / 1000000000L, timeout_ns % 1000000000L};
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expect, timeout_ns ? &ts : NULL, NULL, 0);
}

static inline void futex_wake(_Atomic uint32_t *word, int count)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

#define CACHE_LINE 64

#endif
