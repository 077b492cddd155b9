/* atomics/lib/sync.h: the synchronisation helpers the atomics kernels share.
 *
 *  - common/spin.h, included: cpu_relax(), spin_wait(&budget) ("spin a
 *    while, then yield" for the lock-free retry loops that have no one to
 *    wake them: seqlock readers, spinlocks), futex_wait / futex_wake, FB_TSAN.
 *  - Clang thread-safety annotations (-Wthread-safety), empty on GCC, and an
 *    annotated pthread mutex / rwlock wrapper.  In C, clang can only name a
 *    capability that is a global (a sibling struct member is not accepted by
 *    clang 14 and is misresolved by clang 19), so lock-protected data in these
 *    kernels lives in file-scope variables next to its lock.  Only the atomics
 *    kernels use them, so they live here rather than in kernels/common/.
 */
#ifndef ATOMICS_LIB_SYNC_H
#define ATOMICS_LIB_SYNC_H

#include <pthread.h>

#include "common/spin.h"

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

/* pthread_mutex_t and pthread_rwlock_t are not annotated by glibc, so wrap
 * them: a struct the analysis knows as a capability of this kind. */
#define FB_PTHREAD_CAPABILITY(kind, name, pthread_type)                                        \
    typedef struct FB_CAPABILITY(kind) name {                                                  \
        pthread_type l;                                                                        \
    } name
FB_PTHREAD_CAPABILITY("mutex", fb_mutex, pthread_mutex_t);
FB_PTHREAD_CAPABILITY("rwlock", fb_rwlock, pthread_rwlock_t);
#define FB_MUTEX_INIT {PTHREAD_MUTEX_INITIALIZER}
#define FB_RWLOCK_INIT {PTHREAD_RWLOCK_INITIALIZER}

static inline void fb_mutex_lock(fb_mutex *m) FB_ACQUIRE(m) FB_NO_TSA { pthread_mutex_lock(&m->l); }
static inline void fb_mutex_unlock(fb_mutex *m) FB_RELEASE(m) FB_NO_TSA { pthread_mutex_unlock(&m->l); }
static inline void fb_rwlock_rdlock(fb_rwlock *l) FB_ACQUIRE_SHARED(l) FB_NO_TSA { pthread_rwlock_rdlock(&l->l); }
static inline void fb_rwlock_rdunlock(fb_rwlock *l) FB_RELEASE_SHARED(l) FB_NO_TSA { pthread_rwlock_unlock(&l->l); }
static inline void fb_rwlock_wrlock(fb_rwlock *l) FB_ACQUIRE(l) FB_NO_TSA { pthread_rwlock_wrlock(&l->l); }
static inline void fb_rwlock_wrunlock(fb_rwlock *l) FB_RELEASE(l) FB_NO_TSA { pthread_rwlock_unlock(&l->l); }

#endif
