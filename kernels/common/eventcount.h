/* common/eventcount.h: parking threads on a futex eventcount, for the queues
 * and the channels.
 *
 * An eventcount turns any non-blocking try-operation into a blocking one
 * without a lock.  A blocked thread first spins briefly and yields a few
 * times (spin_before_park in common/spin.h), then registers as a waiter
 * (waiters++), which also reads the epoch, re-checks its condition (re-tries
 * its operation, or loads what the operation would look at) and, if that
 * still fails, sleeps on the epoch futex until the epoch moves.  A notifier,
 * after each operation that may have changed the waiters' condition, loads
 * `waiters` and only when it is non-zero claims a waiter, bumps the epoch
 * and wakes; so the common case costs one load of a read-mostly cache line.
 * The blocking loops themselves are common/park.h's two forms, one per
 * handshake below.
 *
 * No lost wake-ups: the registration must be ordered before the waiter's
 * re-check, and the change of the condition before the notifier's load of
 * `waiters` (a StoreLoad on each side, as in Dekker's algorithm).  There are
 * two ways to get it, and each family uses one:
 *
 * 1. Fences (queues: ec_prepare_fenced, ec_notify_fenced).
 *    A waiter W does   waiters++ ; fence ; re-try.
 *    A notifier N does publish ; fence ; load waiters.
 *    With seq_cst fences on both sides at least one of them sees the other:
 *    either N sees W registered and wakes it, or W's re-try sees N's item.
 *    The re-try and the publication may then use any orderings the queue
 *    needs (acquire / release), which is why the queues use this form.
 *
 * 2. seq_cst operations, without a fence per message (channels: ec_prepare,
 *    ec_notify).  The channels make the operation that changes a condition a
 *    seq_cst RMW on the channel's index (the claiming CAS of head or tail),
 *    the notifier's load of `waiters` is seq_cst, the waiter's registration
 *    is a seq_cst RMW and its re-check loads the index with seq_cst.  All
 *    four are in the single total order S, so either the notifier's load
 *    comes after the registration (and wakes), or the waiter's re-check comes
 *    after the index update (and does not sleep).  This is the argument
 *    crossbeam-channel's wakers rely on; on x86 a seq_cst load is a plain
 *    mov, so the common path costs nothing extra.
 *
 * Either way the epoch closes the remaining window: if W read the epoch
 * before N bumped it, futex_wait returns at once (the kernel compares the
 * word); if W read it after, W's acquire load synchronises with N's release
 * bump, so W's re-try (re-check) sees the item (the update).
 *
 * Lazy notification (the queue kernels, ec_notify_lazy).  A fence per item
 * would cost about as much as the queue operation itself, so queue producers
 * and consumers check `waiters` after each operation WITHOUT a fence and pay
 * for the fence only at their stop points: when they finish and before they
 * park themselves (ec_notify_fenced).  A lazy check may miss a waiter that
 * registered a moment ago; that waiter is then woken by the same thread's
 * next lazy check (C11 asks that stores become visible to loads within a
 * reasonable time, and hardware does so within nanoseconds) or, at the
 * latest, at that thread's next stop point.  A thread that never stops keeps
 * operating, so the missed waiter is always woken: no lost wake-up can become
 * a deadlock, it only delays a sleeper by a few items.  This relies on each
 * thread being only a producer or only a consumer of one queue, which is true
 * of every queue kernel; the channel library, whose threads sit between
 * channels, uses the strict form 2 (ec_notify) instead.
 */
#ifndef FB_COMMON_EVENTCOUNT_H
#define FB_COMMON_EVENTCOUNT_H

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/spin.h"

/* The eventcount's state is one 64-bit word: the low 32 bits are the epoch
 * (the futex word), the high 32 the number of registered waiters that no
 * notifier has claimed yet.  A notifier that sees waiters claims one (or all)
 * with a CAS that also bumps the epoch, then wakes as many; so a second
 * notify (a second message) before the woken thread has even run sees no
 * waiter and makes no system call (crossbeam's wakers get the same effect by
 * removing the entry they wake).  Because registration returns the epoch
 * atomically with the increment, a waiter knows whether a claim has happened
 * since it registered: if so its count has already been taken and it must
 * not decrement it again; if not, it removes its own count.  A claim may be
 * "spent" on a waiter other than the one that gets to run, which at worst
 * leaves a stale count and one wasted wake later; the count never drops
 * below the number of threads asleep in the kernel, so no sleeper is ever
 * skipped.  Written only on the slow paths, read by every operation's check:
 * its own cache line keeps it Shared in every core's cache. */
typedef struct eventcount {
    _Alignas(CACHE_LINE) _Atomic uint64_t state;
    char pad[CACHE_LINE - sizeof(uint64_t)];
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

/* No waiters, epoch 0.  Only while no thread uses the eventcount. */
static inline void ec_init(eventcount *ec) { atomic_store_explicit(&ec->state, 0, memory_order_relaxed); }

/* Register as a waiter; returns the key (the epoch at registration) for
 * ec_wait / ec_cancel / ec_unregister.  seq_cst: in the single total order
 * with the caller's seq_cst re-check and the notifiers' seq_cst loads
 * (form 2 above).  Reading the epoch in the same RMW means a claim we
 * observe carries the notifier's item (the claim is a release). */
static inline unsigned ec_prepare(eventcount *ec)
{
    return (unsigned)atomic_fetch_add_explicit(&ec->state, EC_WAITER, memory_order_seq_cst);
}

/* ec_prepare for form 1: the seq_cst RMW and fence order the registration
 * before the caller's re-try (the Dekker StoreLoad), whatever orderings the
 * re-try itself uses. */
static inline unsigned ec_prepare_fenced(eventcount *ec)
{
    unsigned key = ec_prepare(ec);
    atomic_thread_fence(memory_order_seq_cst);
    return key;
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

/* Sleep until the epoch moves past `key` (or a spurious wake-up), then drop
 * the registration if no notifier took it.  The caller loops: re-try, spin,
 * prepare, re-try (re-check), wait. */
static inline void ec_wait(eventcount *ec, unsigned key)
{
    if ((unsigned)atomic_load_explicit(&ec->state, memory_order_acquire) == key)
        futex_wait(ec_futex_word(ec), key, 0);
    ec_unregister(ec, key);
}

/* Who a claim takes: one registered waiter, every registered waiter (both do
 * nothing when there is none), or every waiter with the epoch bumped and a
 * wake-up even when none is registered (for a disconnect: the threads about
 * to register re-check the condition after registering anyway). */
typedef enum ec_claim_mode { EC_CLAIM_ONE, EC_CLAIM_ALL, EC_CLAIM_FORCE } ec_claim_mode;

/* Claim and bump the epoch in one CAS, then wake as many as claimed.
 * release: a waiter whose acquire sees the new epoch sees what we did.
 * s: the state the caller loaded (the CAS refreshes it). */
static inline void ec_claim(eventcount *ec, uint64_t s, ec_claim_mode mode)
{
    for (;;) {
        uint64_t waiters = s >> 32;
        if (waiters == 0 && mode != EC_CLAIM_FORCE) return;
        uint64_t left = mode == EC_CLAIM_ONE ? waiters - 1 : 0;
        uint64_t next = left << 32 | (uint32_t)((uint32_t)s + 1u);
        if (atomic_compare_exchange_weak_explicit(&ec->state, &s, next, memory_order_release,
                                                  memory_order_relaxed))
            break;
    }
    futex_wake(ec_futex_word(ec), mode == EC_CLAIM_ONE ? 1 : INT_MAX);
}

/* Form 2: after an operation whose seq_cst RMW changed the waiters'
 * condition; the seq_cst load is the notifier's side of the argument. */
static inline void ec_notify(eventcount *ec)
{
    uint64_t s = atomic_load_explicit(&ec->state, memory_order_seq_cst);
    if (__builtin_expect(s >> 32 != 0, 0)) ec_claim(ec, s, EC_CLAIM_ONE);
}

/* Form 1, after each operation: cheap, may miss a waiter that registered a
 * moment ago (see "Lazy notification" above). */
static inline void ec_notify_lazy(eventcount *ec)
{
    uint64_t s = atomic_load_explicit(&ec->state, memory_order_relaxed);
    if (__builtin_expect(s >> 32 != 0, 0)) ec_claim(ec, s, EC_CLAIM_ONE);
}

/* Form 1, at a stop point (done, or about to park): the fence completes the
 * Dekker handshake, so no waiter that registered before it is missed. */
static inline void ec_notify_fenced(eventcount *ec)
{
    atomic_thread_fence(memory_order_seq_cst);
    uint64_t s = atomic_load_explicit(&ec->state, memory_order_relaxed);
    if (s >> 32 != 0) ec_claim(ec, s, EC_CLAIM_ALL);
}

/* Disconnect: wake everyone, registered or about to register (the epoch
 * moves even with no waiter registered).  The caller has already made the
 * disconnect visible with a seq_cst RMW that the waiters' re-checks load. */
static inline void ec_wake_all(eventcount *ec)
{
    ec_claim(ec, atomic_load_explicit(&ec->state, memory_order_relaxed), EC_CLAIM_FORCE);
}

#endif
