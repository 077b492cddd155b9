/* channels/lib/chan_array.c: a bounded lock-free MPMC channel on an array
 * of stamped slots, after the design of crossbeam-channel's array flavour
 * (re-implemented in C11 from its published description).
 *
 * head and tail are "stamps": the low bits (below mark_bit) index a slot, the
 * bits from one_lap up count laps, and mark_bit in the tail means
 * "disconnected".  Each slot has a stamp too: equal to the tail stamp when the
 * slot is free for the sender holding that tail, equal to tail+1 once written
 * (so a receiver with head == that position sees stamp == head + 1), and
 * head + one_lap once read (free for the next lap).  A sender claims a slot
 * with one CAS on the tail and publishes with a release store of the slot's
 * stamp; a receiver does the mirror image on the head.  Like Vyukov's queue,
 * but the stamps carry laps, which gives a cheap full/empty test and room for
 * the disconnect bit.
 *
 * Blocking (lib/park.h): the claiming CASes are seq_cst and so are the loads
 * a parking thread uses to re-check "empty"/"full", which is what makes the
 * wake-ups reliable without a fence per message.
 */
#include <stdlib.h>

#include "harness.h"
#include "lib/chan.h"
#include "lib/park.h"

typedef struct slot {
    atomic_size_t stamp;
    chan_msg msg; /* plain: handed over by the stamp */
} slot;

struct chan_array {
    _Alignas(64) atomic_size_t head;
    _Alignas(64) atomic_size_t tail;
    _Alignas(64) size_t capacity, one_lap, mark_bit;
    slot *buf;
    atomic_int senders;
    eventcount receivers; /* parked receivers wait for a message */
    eventcount senders_ev; /* parked senders wait for room */
};

enum { OK, WOULD_BLOCK, DISCONNECTED };

chan_array *chan_array_new(size_t capacity, int senders)
{
    chan_array *c = fb_calloc(1, sizeof *c);
    if (capacity == 0) capacity = 1;
    c->capacity = capacity;
    size_t mark = 1;
    while (mark < capacity + 1) mark <<= 1;
    c->mark_bit = mark;
    c->one_lap = mark * 2;
    c->buf = fb_alloc(capacity * sizeof *c->buf);
    for (size_t i = 0; i < capacity; i++) atomic_init(&c->buf[i].stamp, i);
    atomic_init(&c->head, 0);
    atomic_init(&c->tail, 0);
    atomic_init(&c->senders, senders);
    ec_init(&c->receivers);
    ec_init(&c->senders_ev);
    return c;
}

void chan_array_free(chan_array *c)
{
    free(c->buf);
    free(c);
}

static int try_send(chan_array *c, chan_msg m)
{
    unsigned step = 0;
    size_t tail = atomic_load_explicit(&c->tail, memory_order_relaxed);
    for (;;) {
        if (tail & c->mark_bit) return DISCONNECTED;
        size_t index = tail & (c->mark_bit - 1);
        size_t lap = tail & ~(c->one_lap - 1);
        slot *s = &c->buf[index];
        /* acquire: the previous lap's receiver finished reading the slot. */
        size_t stamp = atomic_load_explicit(&s->stamp, memory_order_acquire);
        if (tail == stamp) {
            size_t new_tail = index + 1 < c->capacity ? tail + 1 : lap + c->one_lap;
            /* seq_cst: the parking handshake (lib/park.h) orders this claim
             * with the receivers' registration. */
            if (atomic_compare_exchange_weak_explicit(&c->tail, &tail, new_tail, memory_order_seq_cst,
                                                      memory_order_relaxed)) {
                s->msg = m;
                /* release: the message is visible before the slot says full. */
                atomic_store_explicit(&s->stamp, tail + 1, memory_order_release);
                return OK;
            }
            cpu_relax();
        } else if (stamp + c->one_lap == tail + 1) {
            /* The slot holds last lap's message: full, unless a receiver is
             * just taking it.  The fence orders our tail read before the head
             * read, as in crossbeam. */
            atomic_thread_fence(memory_order_seq_cst);
            size_t head = atomic_load_explicit(&c->head, memory_order_relaxed);
            if (head + c->one_lap == tail) return WOULD_BLOCK;
            spin_snooze(&step);
            tail = atomic_load_explicit(&c->tail, memory_order_relaxed);
        } else {
            /* another sender claimed this slot and moved the tail */
            spin_snooze(&step);
            tail = atomic_load_explicit(&c->tail, memory_order_relaxed);
        }
    }
}

static int try_recv(chan_array *c, chan_msg *m)
{
    unsigned step = 0;
    size_t head = atomic_load_explicit(&c->head, memory_order_relaxed);
    for (;;) {
        size_t index = head & (c->mark_bit - 1);
        size_t lap = head & ~(c->one_lap - 1);
        slot *s = &c->buf[index];
        /* acquire: pairs with the sender's release of the stamp. */
        size_t stamp = atomic_load_explicit(&s->stamp, memory_order_acquire);
        if (head + 1 == stamp) {
            size_t new_head = index + 1 < c->capacity ? head + 1 : lap + c->one_lap;
            if (atomic_compare_exchange_weak_explicit(&c->head, &head, new_head, memory_order_seq_cst,
                                                      memory_order_relaxed)) {
                *m = s->msg;
                /* release: our read is done before the next lap's sender
                 * writes the slot. */
                atomic_store_explicit(&s->stamp, head + c->one_lap, memory_order_release);
                return OK;
            }
            cpu_relax();
        } else if (stamp == head) {
            /* Not written yet: empty, unless a sender is just writing. */
            atomic_thread_fence(memory_order_seq_cst);
            size_t tail = atomic_load_explicit(&c->tail, memory_order_relaxed);
            if ((tail & ~c->mark_bit) == head) return tail & c->mark_bit ? DISCONNECTED : WOULD_BLOCK;
            spin_snooze(&step);
            head = atomic_load_explicit(&c->head, memory_order_relaxed);
        } else {
            spin_snooze(&step);
            head = atomic_load_explicit(&c->head, memory_order_relaxed);
        }
    }
}

/* Re-checks after registering as a waiter; seq_cst loads (lib/park.h). */
static bool can_send(chan_array *c)
{
    size_t tail = atomic_load_explicit(&c->tail, memory_order_seq_cst);
    size_t head = atomic_load_explicit(&c->head, memory_order_seq_cst);
    return (tail & c->mark_bit) || head + c->one_lap != (tail & ~c->mark_bit);
}

static bool can_recv(chan_array *c)
{
    size_t head = atomic_load_explicit(&c->head, memory_order_seq_cst);
    size_t tail = atomic_load_explicit(&c->tail, memory_order_seq_cst);
    return (tail & c->mark_bit) || (tail & ~c->mark_bit) != head;
}

void chan_array_send(chan_array *c, chan_msg m)
{
    int r;
    CH_WAIT_UNTIL(&c->senders_ev, (r = try_send(c, m)) != WOULD_BLOCK, can_send(c));
    if (r == OK) ec_notify(&c->receivers);
}

bool chan_array_recv(chan_array *c, chan_msg *m)
{
    int r;
    CH_WAIT_UNTIL(&c->receivers, (r = try_recv(c, m)) != WOULD_BLOCK, can_recv(c));
    if (r != OK) return false;
    ec_notify(&c->senders_ev);
    return true;
}

void chan_array_sender_done(chan_array *c)
{
    /* acq_rel: every sender's messages are ordered before the disconnect. */
    if (atomic_fetch_sub_explicit(&c->senders, 1, memory_order_acq_rel) == 1) {
        atomic_fetch_or_explicit(&c->tail, c->mark_bit, memory_order_seq_cst);
        ec_wake_all(&c->receivers);
    }
}
