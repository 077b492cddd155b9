/* parallel/lib/pool.c: the work-stealing pool declared in pool.h.
 *
 * One translation unit, written in parts, one job a file: pool_internal.h
 * (helpers and types), pool_sleep.c (the futex protocol), pool_workers.c
 * (the workers, create and destroy), pool_join.c (join) and pool_par.c
 * (par_for, par_reduce).  They are #included here, in that order, rather
 * than compiled apart, so the compiler sees the pool whole, as before the
 * split: the hot paths inline across the parts as they did.  Each worker's
 * deque is common/ws_deque.h.
 *
 * A note on fences and ThreadSanitizer.  TSan does not model standalone
 * atomic_thread_fence (it neither reports nor hides anything through them).
 * Every happens-before edge that orders plain memory (a job's fields, its
 * results) therefore goes through a release store or RMW paired with an
 * acquire load, which TSan does model; the seq_cst fences are used only for
 * the "who saw whom" (Dekker) arguments, the sleep/wake race here and the
 * last element of a deque there, which involve atomics only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT (the build defines it too) */
#endif
#include "pool.h"

#include "common/spin.h" /* cpu_relax, futex_wait, futex_wake */
#include "common/ws_deque.h"
#include "harness.h"     /* fb_stress_point */

/* GCC's TSan warns that it does not model the fences (-Wtsan), which
 * -Werror would turn into a failed build; that is accounted for above. */
#if defined(__SANITIZE_THREAD__) && !defined(__clang__) && __GNUC__ >= 11
#pragma GCC diagnostic ignored "-Wtsan"
#endif

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_PARTS
#include "pool_internal.h"
#include "pool_sleep.c"
#include "pool_workers.c"
#include "pool_join.c"
#include "pool_par.c"
