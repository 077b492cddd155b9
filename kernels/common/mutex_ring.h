/* common/mutex_ring.h: a bounded ring under one pthread mutex with two
 * condition variables, the classic lock-based queue.
 *
 * The ring keeps the indices and the waiting; the caller keeps the storage
 * (an array of `size` values, size a power of two, of any type) and copies
 * values in and out between a _begin and an _end call, which hold the lock.
 * Consumers wait on not_empty, producers on not_full, and a side signals the
 * other only when someone is waiting.  A closable ring (a channel) can be
 * closed: consumers then drain what is left and mring_pop_begin returns
 * false.  The operations are forced inline, so a constant `size` and
 * `closable` fold away.
 */
#ifndef FB_COMMON_MUTEX_RING_H
#define FB_COMMON_MUTEX_RING_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/cc.h"

typedef struct mutex_ring {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    size_t head, count;
    int empty_waiters, full_waiters;
    bool closed;
} mutex_ring;

/* Not thread-safe. */
static inline void mring_init(mutex_ring *r)
{
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->not_empty, NULL);
    pthread_cond_init(&r->not_full, NULL);
    r->head = r->count = 0;
    r->empty_waiters = r->full_waiters = 0;
    r->closed = false;
}

static inline void mring_destroy(mutex_ring *r)
{
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->not_empty);
    pthread_cond_destroy(&r->not_full);
}

/* Locks and waits while `capacity` values are queued; returns the index of
 * the slot to write, with the lock held: write it, then mring_push_end. */
FB_PRIM_INLINE size_t mring_push_begin(mutex_ring *r, size_t capacity, size_t size)
{
    pthread_mutex_lock(&r->lock);
    while (r->count == capacity) {
        r->full_waiters++;
        pthread_cond_wait(&r->not_full, &r->lock);
        r->full_waiters--;
    }
    return (r->head + r->count) & (size - 1);
}

FB_PRIM_INLINE void mring_push_end(mutex_ring *r)
{
    r->count++;
    if (r->empty_waiters) pthread_cond_signal(&r->not_empty);
    pthread_mutex_unlock(&r->lock);
}

/* Locks and waits for a value: true with the lock held and *index the slot
 * to read (read it, then mring_pop_end), or false, unlocked, when a closable
 * ring is closed and drained. */
FB_PRIM_INLINE bool mring_pop_begin(mutex_ring *r, bool closable, size_t *index)
{
    pthread_mutex_lock(&r->lock);
    while (r->count == 0 && !(closable && r->closed)) {
        r->empty_waiters++;
        pthread_cond_wait(&r->not_empty, &r->lock);
        r->empty_waiters--;
    }
    if (closable && r->count == 0) {
        pthread_mutex_unlock(&r->lock);
        return false;
    }
    *index = r->head;
    return true;
}

FB_PRIM_INLINE void mring_pop_end(mutex_ring *r, size_t size)
{
    r->head = (r->head + 1) & (size - 1);
    r->count--;
    if (r->full_waiters) pthread_cond_signal(&r->not_full);
    pthread_mutex_unlock(&r->lock);
}

/* With the lock held: no more values will come; wakes every consumer. */
static inline void mring_close_locked(mutex_ring *r)
{
    r->closed = true;
    pthread_cond_broadcast(&r->not_empty);
}

#endif
