/* channels/lib/chan_mutex.c: the lock-based channel (see chan.h): the ring
 * of common/mutex_ring.h, closable, over an array of messages; the last
 * sender's chan_mutex_sender_done closes it. */
#include <stdlib.h>

#include "common/mutex_ring.h"
#include "harness.h"
#include "lib/chan.h"

struct chan_mutex {
    mutex_ring ring;
    chan_msg *buf;
    size_t capacity; /* what send waits for */
    size_t size;     /* slots in buf: capacity rounded up to a power of two */
    int senders;     /* not yet done; under ring.lock */
};

chan_mutex *chan_mutex_new(size_t capacity, int senders)
{
    chan_mutex *c = fb_calloc(1, sizeof *c);
    mring_init(&c->ring);
    c->capacity = capacity ? capacity : 1;
    for (c->size = 1; c->size < c->capacity;) c->size <<= 1;
    c->buf = fb_alloc(c->size * sizeof *c->buf);
    c->senders = senders;
    return c;
}

void chan_mutex_send(chan_mutex *c, chan_msg m)
{
    c->buf[mring_push_begin(&c->ring, c->capacity, c->size)] = m;
    mring_push_end(&c->ring);
}

bool chan_mutex_recv(chan_mutex *c, chan_msg *m)
{
    size_t i;
    if (!mring_pop_begin(&c->ring, true, &i)) return false; /* disconnected and drained */
    *m = c->buf[i];
    mring_pop_end(&c->ring, c->size);
    return true;
}

void chan_mutex_sender_done(chan_mutex *c)
{
    pthread_mutex_lock(&c->ring.lock);
    if (--c->senders == 0) mring_close_locked(&c->ring);
    pthread_mutex_unlock(&c->ring.lock);
}

void chan_mutex_free(chan_mutex *c)
{
    mring_destroy(&c->ring);
    free(c->buf);
    free(c);
}
