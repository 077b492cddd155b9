/* channels/lib/park.h: how the channel implementations block.
 *
 * A blocked sender or receiver spins briefly (pause / yield instruction),
 * yields a few times (both spin_before_park, common/spin.h), then parks on an
 * eventcount (common/eventcount.h): it registers (waiters++), reads the
 * epoch, re-checks its condition and sleeps on the epoch futex if the
 * condition still holds.  The other side, after each operation, loads
 * `waiters` and only when it is non-zero claims a waiter, bumps the epoch
 * and wakes.  Waits inside an operation (a peer has claimed a slot and will
 * finish it as soon as it runs) use spin_snooze and never park.
 *
 * The channels use the eventcount's seq_cst form (ec_prepare, ec_notify:
 * no lost wake-ups without a fence per message; common/eventcount.h has the
 * argument): the operation that changes a condition is a seq_cst RMW on the
 * channel's index, and the re-check (READY below) loads the indices with
 * seq_cst.  A disconnect wakes everyone with ec_wake_all.
 */
#ifndef CHANNELS_PARK_H
#define CHANNELS_PARK_H

#include "common/eventcount.h"
#include "common/spin.h"

/* Blocking wrapper: TRY attempts the operation (true when it completed,
 * including "completed with disconnected"), READY re-checks, after
 * registration, whether sleeping would be wrong (seq_cst loads).  Unlike
 * Q_WAIT_UNTIL (queues/lib/park.h) the re-check is not the operation itself,
 * so a ready channel drops the registration and the ladder starts again. */
#define CH_WAIT_UNTIL(ev, TRY, READY)                                                           \
    do {                                                                                        \
        for (unsigned ch_round_ = 0;; ch_round_++) {                                            \
            if (TRY) break;                                                                     \
            if (spin_before_park(ch_round_)) continue;                                          \
            unsigned ch_key_ = ec_prepare(ev);                                                  \
            if (READY) {                                                                        \
                ec_unregister((ev), ch_key_);                                                   \
            } else {                                                                            \
                ec_wait((ev), ch_key_);                                                         \
            }                                                                                   \
            ch_round_ = 0;                                                                      \
        }                                                                                       \
    } while (0)

#endif
