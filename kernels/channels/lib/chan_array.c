/* channels/lib/chan_array.c: a bounded lock-free MPMC channel: Vyukov's ring
 * (common/ring_vyukov.h) plus disconnect and parking, in the manner of
 * crossbeam-channel's array flavour.
 *
 * Disconnect: the last sender sets `closed`.  Every send happens-before it
 * (the senders' count is an acq_rel RMW chain), so a receiver that finds the
 * ring empty after seeing `closed` knows it stays empty.
 * Blocking (common/park.h, seq_cst form): the ring's claiming CASes are
 * seq_cst, and so are the loads a parked thread's re-check uses, which is
 * what makes the wake-ups reliable without a fence per message.
 */
#include <stdlib.h>

#include "common/park.h"
#include "harness.h"
#include "lib/chan.h"

#define RING_VYUKOV_NAME chan_cells
#define RING_VYUKOV_VALUE chan_msg
#define RING_VYUKOV_CLAIM memory_order_seq_cst
#include "common/ring_vyukov.h"

struct chan_array {
    chan_cells_ring ring;
    _Alignas(64) atomic_int senders;
    atomic_bool closed;
    eventcount receivers;  /* parked receivers wait for a message */
    eventcount senders_ev; /* parked senders wait for room */
};

chan_array *chan_array_new(size_t capacity, int senders)
{
    chan_array *c = fb_calloc(1, sizeof *c);
    size_t cells = 1;
    while (cells < capacity) cells <<= 1; /* the ring wants a power of two */
    chan_cells_init(&c->ring, fb_alloc(cells * sizeof *c->ring.cells), cells);
    atomic_init(&c->senders, senders);
    atomic_init(&c->closed, false);
    ec_init(&c->receivers);
    ec_init(&c->senders_ev);
    return c;
}

void chan_array_free(chan_array *c)
{
    free(c->ring.cells);
    free(c);
}

enum { OK, WOULD_BLOCK, DISCONNECTED };

static int try_recv(chan_array *c, chan_msg *m)
{
    if (chan_cells_try_pop(&c->ring, m)) return OK;
    if (!atomic_load_explicit(&c->closed, memory_order_seq_cst)) return WOULD_BLOCK;
    /* Closed: every message was written before, so empty now is final. */
    return chan_cells_try_pop(&c->ring, m) ? OK : DISCONNECTED;
}

static bool can_recv(chan_array *c)
{
    return atomic_load_explicit(&c->closed, memory_order_seq_cst) || chan_cells_can_pop(&c->ring);
}

void chan_array_send(chan_array *c, chan_msg m)
{
    PARK_UNTIL_READY(&c->senders_ev, chan_cells_try_push(&c->ring, m), chan_cells_can_push(&c->ring));
    ec_notify(&c->receivers);
}

bool chan_array_recv(chan_array *c, chan_msg *m)
{
    int r;
    PARK_UNTIL_READY(&c->receivers, (r = try_recv(c, m)) != WOULD_BLOCK, can_recv(c));
    if (r != OK) return false;
    ec_notify(&c->senders_ev);
    return true;
}

void chan_array_sender_done(chan_array *c)
{
    /* acq_rel: every sender's messages are ordered before the disconnect. */
    if (atomic_fetch_sub_explicit(&c->senders, 1, memory_order_acq_rel) == 1) {
        atomic_store_explicit(&c->closed, true, memory_order_seq_cst);
        ec_wake_all(&c->receivers);
    }
}
