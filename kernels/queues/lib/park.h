/* queues/lib/park.h: how the queue kernels block.
 *
 * Every blocking wait in the queues family goes through Q_WAIT_UNTIL below: a
 * short bounded spin (pause / yield instruction), a few sched_yield()s (both
 * spin_before_park, common/spin.h), then the thread parks in the kernel on a
 * futex eventcount (common/eventcount.h).  Waits inside an operation (a peer
 * has claimed a slot but not yet written it) use spin_snooze and never park.
 *
 * The queues use the eventcount's fence form with lazy notification
 * (ec_prepare_fenced; ec_notify_lazy after each operation, ec_notify_fenced at
 * the stop points); common/eventcount.h has the proof and the condition it
 * relies on: each thread is only a producer or only a consumer of one queue,
 * which is true of every queue kernel.
 */
#ifndef QUEUES_PARK_H
#define QUEUES_PARK_H

#include <stdbool.h>

#include "common/eventcount.h"
#include "common/spin.h"

/* The queue operations are forced inline so that each kernel's hot function
 * (<kernel>_<variant>) holds the whole algorithm, which is what the assembly
 * tools look at, whatever the inlining flags. */
#define Q_ALWAYS_INLINE static inline __attribute__((always_inline))

/* Blocking wrapper around a try-operation.  TRY is an expression that
 * attempts the operation and is true on success; STOP is run before parking
 * (the caller's stop point: a fenced notify of the opposite side).  The
 * spin-then-park ladder is spin_before_park's.  TRY appears once, so the
 * operation is inlined once: the first round is the fast path, and the round
 * after registering is the re-try of the handshake (the re-try is the
 * operation itself, so a success there keeps the item and cancels the
 * registration). */
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
            } else if (!spin_before_park(q_round_)) {                                              \
                STOP;                                                                              \
                q_key_ = ec_prepare_fenced(ec);                                                    \
                q_registered_ = true;                                                              \
            }                                                                                      \
        }                                                                                          \
    } while (0)

#endif
