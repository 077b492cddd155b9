/* channels/lib/chan_list.c: an unbounded lock-free MPMC channel, after
 * crossbeam-channel's list flavour: the block list of common/blocklist.h
 * (31-slot blocks, one allocation per 31 messages, freed by the last reader)
 * plus disconnect and parking.
 *
 * Disconnect: the last sender closes the list (the MARK bit of its tail
 * index); receivers drain what is left and then see BL_CLOSED.
 * Blocking: senders never block; receivers park in the seq_cst form of
 * common/park.h, the seq_cst CAS on the tail index being the operation their
 * re-check (chan_blocks_pop_ready) sees.
 */
#include <stdlib.h>

#include "common/park.h"
#include "harness.h"
#include "lib/chan.h"

#define BLOCKLIST_NAME chan_blocks
#define BLOCKLIST_VALUE chan_msg
#define BLOCKLIST_CLOSABLE 1
#include "common/blocklist.h"

struct chan_list {
    chan_blocks list;
    _Alignas(64) atomic_int senders;
    eventcount receivers;
};

chan_list *chan_list_new(size_t capacity_ignored, int senders)
{
    (void)capacity_ignored;
    chan_list *c = fb_calloc(1, sizeof *c);
    chan_blocks_init(&c->list);
    atomic_init(&c->senders, senders);
    ec_init(&c->receivers);
    return c;
}

/* Only when no thread uses the channel. */
void chan_list_free(chan_list *c)
{
    chan_blocks_destroy(&c->list);
    free(c);
}

void chan_list_send(chan_list *c, chan_msg m)
{
    chan_blocks_push(&c->list, m);
    ec_notify(&c->receivers);
}

bool chan_list_recv(chan_list *c, chan_msg *m)
{
    int r;
    PARK_UNTIL_READY(&c->receivers, (r = chan_blocks_try_pop(&c->list, m)) != BL_EMPTY,
                     chan_blocks_pop_ready(&c->list));
    return r == BL_OK;
}

void chan_list_sender_done(chan_list *c)
{
    /* acq_rel: every sender's messages are ordered before the disconnect. */
    if (atomic_fetch_sub_explicit(&c->senders, 1, memory_order_acq_rel) == 1) {
        chan_blocks_close(&c->list);
        ec_wake_all(&c->receivers);
    }
}
