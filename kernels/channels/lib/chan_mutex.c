/* channels/lib/chan_mutex.c: the lock-based channel (see chan.h).  One mutex
 * guards a ring of `capacity` messages; receivers wait on not_empty, senders
 * on not_full, and a side signals the other only when someone is waiting. */
#include <pthread.h>
#include <stdlib.h>

#include "harness.h"
#include "lib/chan.h"

struct chan_mutex {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    chan_msg *buf;
    size_t capacity, head, count;
    int senders;        /* not yet done */
    int recv_waiting, send_waiting;
};

chan_mutex *chan_mutex_new(size_t capacity, int senders)
{
    chan_mutex *c = fb_calloc(1, sizeof *c);
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->not_empty, NULL);
    pthread_cond_init(&c->not_full, NULL);
    c->capacity = capacity ? capacity : 1;
    c->buf = fb_alloc(c->capacity * sizeof *c->buf);
    c->senders = senders;
    return c;
}

void chan_mutex_send(chan_mutex *c, chan_msg m)
{
    pthread_mutex_lock(&c->lock);
    while (c->count == c->capacity) {
        c->send_waiting++;
        pthread_cond_wait(&c->not_full, &c->lock);
        c->send_waiting--;
    }
    size_t i = c->head + c->count;
    if (i >= c->capacity) i -= c->capacity;
    c->buf[i] = m;
    c->count++;
    if (c->recv_waiting) pthread_cond_signal(&c->not_empty);
    pthread_mutex_unlock(&c->lock);
}

bool chan_mutex_recv(chan_mutex *c, chan_msg *m)
{
    pthread_mutex_lock(&c->lock);
    while (c->count == 0 && c->senders > 0) {
        c->recv_waiting++;
        pthread_cond_wait(&c->not_empty, &c->lock);
        c->recv_waiting--;
    }
    if (c->count == 0) { /* disconnected and drained */
        pthread_mutex_unlock(&c->lock);
        return false;
    }
    *m = c->buf[c->head];
    if (++c->head == c->capacity) c->head = 0;
    c->count--;
    if (c->send_waiting) pthread_cond_signal(&c->not_full);
    pthread_mutex_unlock(&c->lock);
    return true;
}

void chan_mutex_sender_done(chan_mutex *c)
{
    pthread_mutex_lock(&c->lock);
    if (--c->senders == 0) pthread_cond_broadcast(&c->not_empty);
    pthread_mutex_unlock(&c->lock);
}

void chan_mutex_free(chan_mutex *c)
{
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->not_empty);
    pthread_cond_destroy(&c->not_full);
    free(c->buf);
    free(c);
}
