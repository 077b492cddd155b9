/* common/park.h: the one spin-yield-park ladder for blocking waits.
 *
 * A blocked thread retries its non-blocking operation while climbing
 * spin_before_park's ladder (a short bounded spin, a few sched_yield()s;
 * common/spin.h), then registers on a futex eventcount (common/eventcount.h),
 * re-checks, and sleeps.  Waits inside an operation (a peer has claimed a
 * slot but not yet written it) use spin_snooze and never park.
 *
 * The eventcount has two handshakes, and so there are two forms:
 *
 * PARK_UNTIL_RETRY(ec, TRY, STOP), the fence form (ec_prepare_fenced):
 *   the re-check after registering is TRY itself, so a success there keeps
 *   its item and cancels the registration.  STOP runs just before
 *   registering (the caller's stop point: a fenced notify of the other
 *   side).  Notifiers may then be lazy (ec_notify_lazy), which needs each
 *   thread to be only a producer or only a consumer of one queue.
 *
 * PARK_UNTIL_READY(ec, TRY, READY), the seq_cst form (ec_prepare): the
 *   operation that changes the condition is a seq_cst RMW and READY re-checks
 *   it with seq_cst loads; a ready object drops the registration and the
 *   ladder starts again.  Notifiers use ec_notify after every operation.
 *
 * TRY is true when the operation completed; it appears once in each
 * expansion, so the operation is inlined once.
 */
#ifndef FB_COMMON_PARK_H
#define FB_COMMON_PARK_H

#include <stdbool.h>

#include "common/eventcount.h"
#include "common/spin.h"

#define PARK_UNTIL_RETRY(ec, TRY, STOP)                                                            \
    do {                                                                                           \
        unsigned park_key_ = 0;                                                                    \
        bool park_registered_ = false;                                                             \
        for (unsigned park_round_ = 0;; park_round_++) {                                           \
            if (TRY) {                                                                             \
                if (park_registered_) ec_cancel((ec), park_key_);                                  \
                break;                                                                             \
            }                                                                                      \
            if (park_registered_) {                                                                \
                ec_wait((ec), park_key_); /* woken: spin, yield and re-try again */                \
                park_registered_ = false;                                                          \
                park_round_ = 0;                                                                   \
            } else if (!spin_before_park(park_round_)) {                                           \
                STOP;                                                                              \
                park_key_ = ec_prepare_fenced(ec);                                                 \
                park_registered_ = true;                                                           \
            }                                                                                      \
        }                                                                                          \
    } while (0)

#define PARK_UNTIL_READY(ec, TRY, READY)                                                           \
    do {                                                                                           \
        for (unsigned park_round_ = 0;; park_round_++) {                                           \
            if (TRY) break;                                                                        \
            if (spin_before_park(park_round_)) continue;                                           \
            unsigned park_key_ = ec_prepare(ec);                                                   \
            if (READY) {                                                                           \
                ec_unregister((ec), park_key_);                                                    \
            } else {                                                                               \
                ec_wait((ec), park_key_);                                                          \
            }                                                                                      \
            park_round_ = 0;                                                                       \
        }                                                                                          \
    } while (0)

#endif
