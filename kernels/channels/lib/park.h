/* channels/lib/park.h: spinning politely and parking threads on a futex,
 * for the channel implementations and the thread team.
 *
 * (The queues family has its own copy with a lazy variant of the wake-up;
 * families do not share sources.)
 *
 * A blocked sender or receiver spins briefly (pause / yield instruction),
 * yields a few times, then parks on an eventcount: it registers (waiters++),
 * reads the epoch, re-checks its condition and sleeps on the epoch futex if
 * the condition still holds.  The other side, after each operation, loads
 * `waiters` and only when it is non-zero claims a waiter, bumps the epoch
 * and wakes.
 *
 * No lost wake-ups, without a fence per message: the channels make the
 * operation that changes a condition a seq_cst RMW on the channel's index
 * (the claiming CAS of head or tail), the notifier's load of `waiters` is
 * seq_cst, the waiter's registration is a seq_cst RMW and its re-check loads
 * the index with seq_cst.  All four are in the single total order S, so
 * either the notifier's load comes after the registration (and wakes), or
 * the waiter's re-check comes after the index update (and does not sleep).
 * This is the argument crossbeam-channel's wakers rely on; on x86 a seq_cst
 * load is a plain mov, so the common path costs nothing extra.
 * If the waiter read the epoch after the bump, its acquire load synchronises
 * with the release bump, so its re-check sees the update; if before,
 * futex_wait returns at once because the word has changed.
 */
#ifndef CHANNELS_PARK_H
#define CHANNELS_PARK_H

#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline void ch_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("pause" ::: "memory");
#elif defined(__aarch64__)
    __asm__ volatile("yield" ::: "memory");
#else
    __asm__ volatile("" ::: "memory");
#endif
}

/* Spin budget before parking (see queues/lib/park.h for the reasoning). */
enum { CH_SPIN_RELAX = 64, CH_SPIN_YIELD = 4 };

/* Backoff for waits inside an operation: a peer has claimed a slot and will
 * finish it as soon as it runs, so spin, then yield; never park. */
static inline void ch_snooze(unsigned *step)
{
    if (*step < 6) {
        for (unsigned i = 0; i < (1u << *step); i++) ch_relax();
        (*step)++;
    } else {
        sched_yield();
    }
}

static inline void ch_futex_wait(atomic_uint *word, unsigned expected)
{
    syscall(SYS_futex, (unsigned *)word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static inline void ch_futex_wake(atomic_uint *word, int count)
{
    syscall(SYS_futex, (unsigned *)word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

/* One 64-bit word: the low 32 bits are the epoch (the futex word), the high
 * 32 the registered waiters that no notifier has claimed yet.  A notifier
 * claims one waiter and bumps the epoch in one CAS, then wakes one thread, so
 * a second message sent before the woken thread runs finds no waiter and
 * makes no system call (crossbeam's wakers get this by removing the entry
 * they wake).  Registration returns the epoch with the increment, so a
 * waiter knows whether a claim has happened since it registered (then its
 * count is gone) or not (then it removes its count itself).  The count never
 * falls below the number of threads asleep in the kernel; a claim spent on
 * another waiter leaves at worst a stale count and one wasted wake. */
typedef struct ch_event {
    _Alignas(64) _Atomic uint64_t state;
    char pad[64 - sizeof(uint64_t)];
} ch_event;

#define CH_WAITER (UINT64_C(1) << 32)

static inline atomic_uint *ch_event_word(ch_event *e)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (atomic_uint *)(void *)&e->state;
#else
    return (atomic_uint *)(void *)&e->state + 1;
#endif
}

static inline void ch_event_init(ch_event *e) { atomic_init(&e->state, 0); }

/* Register; returns the key (the epoch now).  seq_cst: in the single total
 * order with the caller's seq_cst re-check and the notifiers' loads. */
static inline unsigned ch_event_prepare(ch_event *e)
{
    return (unsigned)atomic_fetch_add_explicit(&e->state, CH_WAITER, memory_order_seq_cst);
}

/* Remove our count unless a claim has happened since we registered. */
static inline void ch_event_unregister(ch_event *e, unsigned key)
{
    uint64_t s = atomic_load_explicit(&e->state, memory_order_relaxed);
    while ((unsigned)s == key)
        if (atomic_compare_exchange_weak_explicit(&e->state, &s, s - CH_WAITER, memory_order_relaxed,
                                                  memory_order_relaxed))
            return;
}

static inline void ch_event_wait(ch_event *e, unsigned key)
{
    if ((unsigned)atomic_load_explicit(&e->state, memory_order_acquire) == key)
        ch_futex_wait(ch_event_word(e), key);
    ch_event_unregister(e, key);
}

/* Claim one waiter (all: every waiter, and bump even with none) and bump the
 * epoch; release, so a waiter that sees the new epoch sees what we did. */
static inline void ch_event_claim(ch_event *e, uint64_t s, bool all)
{
    for (;;) {
        uint64_t waiters = s >> 32;
        if (waiters == 0 && !all) return;
        uint64_t left = all ? 0 : waiters - 1;
        uint64_t next = left << 32 | (uint32_t)((uint32_t)s + 1u);
        if (atomic_compare_exchange_weak_explicit(&e->state, &s, next, memory_order_release,
                                                  memory_order_relaxed))
            break;
    }
    ch_futex_wake(ch_event_word(e), all ? INT_MAX : 1);
}

/* After an operation whose seq_cst RMW changed the waiters' condition. */
static inline void ch_event_notify(ch_event *e)
{
    uint64_t s = atomic_load_explicit(&e->state, memory_order_seq_cst);
    if (__builtin_expect(s >> 32 != 0, 0)) ch_event_claim(e, s, false);
}

/* Disconnect: wake everyone, registered or about to register. */
static inline void ch_event_wake_all(ch_event *e)
{
    ch_event_claim(e, atomic_load_explicit(&e->state, memory_order_relaxed), true);
}

/* Blocking wrapper: TRY attempts the operation (true when it completed,
 * including "completed with disconnected"), READY re-checks, after
 * registration, whether sleeping would be wrong (seq_cst loads). */
#define CH_WAIT_UNTIL(ev, TRY, READY)                                                           \
    do {                                                                                        \
        for (unsigned ch_round_ = 0;; ch_round_++) {                                            \
            if (TRY) break;                                                                     \
            if (ch_round_ < CH_SPIN_RELAX) {                                                    \
                ch_relax();                                                                     \
                continue;                                                                       \
            }                                                                                   \
            if (ch_round_ < CH_SPIN_RELAX + CH_SPIN_YIELD) {                                    \
                sched_yield();                                                                  \
                continue;                                                                       \
            }                                                                                   \
            unsigned ch_key_ = ch_event_prepare(ev);                                            \
            if (READY) {                                                                        \
                ch_event_unregister((ev), ch_key_);                                             \
            } else {                                                                            \
                ch_event_wait((ev), ch_key_);                                                   \
            }                                                                                   \
            ch_round_ = 0;                                                                      \
        }                                                                                       \
    } while (0)

#endif
