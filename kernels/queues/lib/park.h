/* queues/lib/park.h: spinning politely, and parking threads on a futex.
 *
 * Every blocking wait in the queues family goes through this file: a short
 * bounded spin (pause / yield instruction), a few sched_yield()s, then the
 * thread parks in the kernel on a futex.  Nothing spins forever, which matters
 * most in the oversubscribed configurations, where a spinning thread would
 * burn the time slice of the very thread it is waiting for.
 *
 * The eventcount (ec_*) turns any non-blocking try-operation into a blocking
 * one without a lock.  A waiter registers (waiters++), reads the epoch,
 * re-tries its operation and, if that still fails, sleeps until the epoch
 * moves.  A notifier claims a waiter, bumps the epoch and wakes, but only
 * when `waiters` is non-zero, so the common case costs one load of a
 * read-mostly cache line.
 *
 * The Dekker handshake.  A waiter W does   waiters++ ; fence ; re-try.
 * A notifier N does                        publish ; fence ; load waiters.
 * With seq_cst fences on both sides at least one of them sees the other:
 * either N sees W registered and wakes it, or W's re-try sees N's item.  The
 * epoch closes the remaining window: if W read the epoch before N bumped it,
 * futex_wait returns at once (the kernel compares the word); if W read it
 * after, W's acquire load synchronises with N's release bump, so W's re-try
 * sees the item.
 *
 * Lazy notification (the queue kernels).  A fence per item would cost about
 * as much as the queue operation itself, so queue producers and consumers
 * check `waiters` after each operation WITHOUT a fence (ec_notify_lazy) and
 * pay for the fence only at their stop points: when they finish and before
 * they park themselves (ec_notify_fenced).  A lazy check may miss a waiter
 * that registered a moment ago; that waiter is then woken by the same
 * thread's next lazy check (C11 asks that stores become visible to loads
 * within a reasonable time, and hardware does so within nanoseconds) or, at
 * the latest, at that thread's next stop point.  A thread that
 * never stops keeps operating, so the missed waiter is always woken: no lost
 * wake-up can become a deadlock, it only delays a sleeper by a few items.
 * This relies on each thread being only a producer or only a consumer of one
 * queue, which is true of every queue kernel; the channel library, whose
 * threads sit between channels, uses a strict form (channels/lib/park.h).
 */
#ifndef QUEUES_PARK_H
#define QUEUES_PARK_H

#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Q_TSAN: 1 in a ThreadSanitizer build.  Concurrency Kit's inline assembly
 * and fences are invisible to TSan, so the ck peers are left out there.
 * GCC says __SANITIZE_THREAD__; Clang 14 only answers __has_feature. */
#if defined(__SANITIZE_THREAD__)
#define Q_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define Q_TSAN 1
#endif
#endif
#ifndef Q_TSAN
#define Q_TSAN 0
#endif

/* The queue operations are forced inline so that each kernel's hot function
 * (<kernel>_<variant>) holds the whole algorithm, which is what the assembly
 * tools look at, whatever the inlining flags. */
#define Q_ALWAYS_INLINE static inline __attribute__((always_inline))

/* One polite spin step: tells the core that this is a spin-wait loop (frees
 * the sibling hyper-thread, avoids the memory-order mis-speculation flush). */
static inline void q_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("pause" ::: "memory");
#elif defined(__aarch64__)
    __asm__ volatile("yield" ::: "memory");
#else
    __asm__ volatile("" ::: "memory");
#endif
}

/* Spin budget before parking: about a microsecond of pause instructions,
 * then a few yields, which lets a preempted peer run on an oversubscribed
 * machine before we pay for a futex sleep and wake-up. */
enum { Q_SPIN_RELAX = 64, Q_SPIN_YIELD = 4 };

/* Backoff for waits INSIDE an operation (a peer is half-way through its own
 * operation, e.g. has claimed a slot but not yet written it).  Such a wait
 * always ends as soon as the peer runs, so it spins then yields, never parks. */
static inline void q_snooze(unsigned *step)
{
    if (*step < 6) {
        for (unsigned i = 0; i < (1u << *step); i++) q_relax();
        (*step)++;
    } else {
        sched_yield();
    }
}

static inline void q_futex_wait(atomic_uint *word, unsigned expected)
{
    /* Returns at once if *word != expected; spurious wake-ups are fine,
     * every caller re-checks its condition. */
    syscall(SYS_futex, (unsigned *)word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static inline void q_futex_wake(atomic_uint *word, int count)
{
    syscall(SYS_futex, (unsigned *)word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

/* The eventcount's state is one 64-bit word: the low 32 bits are the epoch
 * (the futex word), the high 32 the number of registered waiters that no
 * notifier has claimed yet.  A notifier that sees waiters claims one (or all)
 * with a CAS that also bumps the epoch, then wakes as many; so a second
 * notify before the woken thread has even run sees no waiter and makes no
 * system call (crossbeam's wakers get the same effect by removing the entry
 * they wake).  Because registration returns the epoch atomically with the
 * increment, a waiter knows whether a claim has happened since it
 * registered: if so its count has already been taken and it must not
 * decrement it again; if not, it removes its own count.  A claim may be
 * "spent" on a waiter other than the one that gets to run, which at worst
 * leaves a stale count and one wasted wake later; the count never drops
 * below the number of threads asleep in the kernel, so no sleeper is ever
 * skipped.  Written only on the slow paths, read by every operation's lazy
 * check: its own cache line keeps it Shared in every core's cache. */
typedef struct eventcount {
    _Alignas(64) _Atomic uint64_t state;
    char pad[64 - sizeof(uint64_t)];
} eventcount;

#define EC_WAITER (UINT64_C(1) << 32)

static inline atomic_uint *ec_futex_word(eventcount *ec)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (atomic_uint *)(void *)&ec->state;
#else
    return (atomic_uint *)(void *)&ec->state + 1;
#endif
}

static inline void ec_init(eventcount *ec) { atomic_store_explicit(&ec->state, 0, memory_order_relaxed); }

/* Register as a waiter; returns the key (the epoch at registration) for
 * ec_wait / ec_cancel.  The seq_cst RMW and fence order the registration
 * before the caller's re-try (the Dekker StoreLoad); reading the epoch in
 * the same RMW means a claim we observe carries the notifier's item (the
 * claim is a release). */
static inline unsigned ec_prepare(eventcount *ec)
{
    uint64_t old = atomic_fetch_add_explicit(&ec->state, EC_WAITER, memory_order_seq_cst);
    atomic_thread_fence(memory_order_seq_cst);
    return (unsigned)old;
}

/* Remove our registration unless a claim (epoch bump) has happened since
 * we registered, in which case a notifier has already taken one count. */
static inline void ec_unregister(eventcount *ec, unsigned key)
{
    uint64_t s = atomic_load_explicit(&ec->state, memory_order_relaxed);
    while ((unsigned)s == key)
        if (atomic_compare_exchange_weak_explicit(&ec->state, &s, s - EC_WAITER, memory_order_relaxed,
                                                  memory_order_relaxed))
            return;
}

/* The re-try succeeded after all. */
static inline void ec_cancel(eventcount *ec, unsigned key) { ec_unregister(ec, key); }

/* Sleep until the epoch moves past `key` (or a spurious wake-up).  The
 * caller loops: re-try, spin, prepare, re-try, wait. */
static inline void ec_wait(eventcount *ec, unsigned key)
{
    if ((unsigned)atomic_load_explicit(&ec->state, memory_order_acquire) == key)
        q_futex_wait(ec_futex_word(ec), key);
    ec_unregister(ec, key);
}

/* Claim one waiter (or all) and bump the epoch in one CAS, then wake.
 * release: a waiter whose acquire sees the new epoch sees what we did. */
static inline void ec_claim(eventcount *ec, uint64_t s, bool all)
{
    for (;;) {
        uint64_t waiters = s >> 32;
        if (waiters == 0) return;
        uint64_t left = all ? 0 : waiters - 1;
        uint64_t next = left << 32 | (uint32_t)((uint32_t)s + 1u);
        if (atomic_compare_exchange_weak_explicit(&ec->state, &s, next, memory_order_release,
                                                  memory_order_relaxed))
            break;
    }
    q_futex_wake(ec_futex_word(ec), all ? INT_MAX : 1);
}

/* After each operation: cheap, may miss a waiter that registered a moment
 * ago (see "Lazy notification" above). */
static inline void ec_notify_lazy(eventcount *ec)
{
    uint64_t s = atomic_load_explicit(&ec->state, memory_order_relaxed);
    if (__builtin_expect(s >> 32 != 0, 0)) ec_claim(ec, s, false);
}

/* At a stop point (done, or about to park): the fence completes the Dekker
 * handshake, so no waiter that registered before it is missed. */
static inline void ec_notify_fenced(eventcount *ec)
{
    atomic_thread_fence(memory_order_seq_cst);
    uint64_t s = atomic_load_explicit(&ec->state, memory_order_relaxed);
    if (s >> 32 != 0) ec_claim(ec, s, true);
}

/* Blocking wrapper around a try-operation.  TRY is an expression that
 * attempts the operation and is true on success; STOP is run before parking
 * (the caller's stop point: a fenced notify of the opposite side).  The
 * spin-then-park ladder is documented at the top of this file.  TRY appears
 * once, so the operation is inlined once: the first round is the fast path,
 * and the round after registering is the re-try of the handshake. */
#define Q_WAIT_UNTIL(ec, TRY, STOP)                                                                \
    do {                                                                                           \
        unsigned q_key_ = 0;                                                                       \
        bool q_registered_ = false;                                                                \
        for (unsigned q_round_ = 0;; q_round_++) {                                                 \
            if (TRY) {                                                                             \
                if (q_registered_) ec_cancel((ec), q_key_);                                        \
                break;                                                                             \
            }                                                                                      \
            if (q_registered_) {                                                                   \
                ec_wait((ec), q_key_); /* woken: spin, yield and re-try again */                   \
                q_registered_ = false;                                                             \
                q_round_ = 0;                                                                      \
            } else if (q_round_ < Q_SPIN_RELAX) {                                                  \
                q_relax();                                                                         \
            } else if (q_round_ < Q_SPIN_RELAX + Q_SPIN_YIELD) {                                   \
                sched_yield();                                                                     \
            } else {                                                                               \
                STOP;                                                                              \
                q_key_ = ec_prepare(ec);                                                           \
                q_registered_ = true;                                                              \
            }                                                                                      \
        }                                                                                          \
    } while (0)

#endif
