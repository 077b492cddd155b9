/* sched/lib/sync.h: spin and futex helpers for the sched kernels (a subset of
 * atomics/lib/sync.h: families do not share sources).
 *
 *  - cpu_relax(): the spin-wait hint (x86 `pause`, aarch64 `yield`).
 *  - futex_wait / futex_wake on a 32-bit atomic word (Linux futex(2) via
 *    syscall; TSan does not model futexes, but every user here also orders
 *    its data through C11 atomics, so TSan still sees the happens-before).
 */
#ifndef SCHED_LIB_SYNC_H
#define SCHED_LIB_SYNC_H

#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

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

#endif
