/* channels/lib/chan.h: three blocking channels with one interface.
 *
 *   chan_mutex  a bounded ring under a pthread mutex with two condition
 *               variables (common/mutex_ring.h, lib/chan_mutex.c); the classic
 *               design, and what Rust's std::sync::mpsc::sync_channel was
 *               before Rust 1.67 replaced std's channels with a port of
 *               crossbeam-channel.
 *   chan_array  a bounded lock-free channel on Vyukov's array ring
 *               (common/ring_vyukov.h, lib/chan_array.c), in the manner of
 *               crossbeam-channel's "array" flavour.
 *   chan_list   an unbounded lock-free channel on a linked list of 31-slot
 *               blocks (common/blocklist.h), after crossbeam-channel's "list"
 *               flavour (lib/chan_list.c).  Senders never block.
 *
 * Each is a primitive of common/ plus disconnect and parking.  All three are
 * multi-producer multi-consumer and FIFO (each receiver sees each sender's
 * messages in send order).  send blocks while a bounded channel is full, recv
 * while the channel is empty; both park on a futex (common/park.h) or a
 * condition variable after a short spin.  A channel is created for a known
 * number of senders; each calls chan_*_sender_done() when it has finished and
 * the last one disconnects the channel: receivers then drain what is left and
 * recv returns false, which is how the kernels' consumers finish cleanly.
 *
 * The operations live in their own translation units: without LTO every
 * message costs real calls into them; with LTO the compiler may inline them
 * into the kernels.  ch_* below select the implementation by a constant kind,
 * so after inlining the switch disappears.
 */
#ifndef CHANNELS_CHAN_H
#define CHANNELS_CHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A message: two words (the kernels send an id and a value). */
typedef struct chan_msg {
    uint64_t a, b;
} chan_msg;

/* Every flavour has the same five operations: T_new, T_send, T_recv,
 * T_sender_done and T_free (chan_list_new ignores the capacity: it is unbounded). */
#define CHAN_DECLARE(T)                             \
    typedef struct T T;                             \
    T *T##_new(size_t capacity, int senders);       \
    void T##_send(T *c, chan_msg m);                \
    bool T##_recv(T *c, chan_msg *m);               \
    void T##_sender_done(T *c);                     \
    void T##_free(T *c);

CHAN_DECLARE(chan_mutex)
CHAN_DECLARE(chan_array)
CHAN_DECLARE(chan_list)

typedef enum chan_kind { CH_MUTEX, CH_ARRAY, CH_LIST } chan_kind;

#define CH_INLINE static inline __attribute__((always_inline))

CH_INLINE void *ch_new(chan_kind k, size_t capacity, int senders)
{
    switch (k) {
    case CH_MUTEX: return chan_mutex_new(capacity, senders);
    case CH_ARRAY: return chan_array_new(capacity, senders);
    case CH_LIST: return chan_list_new(capacity, senders);
    }
    return NULL;
}

CH_INLINE void ch_send(chan_kind k, void *c, chan_msg m)
{
    switch (k) {
    case CH_MUTEX: chan_mutex_send(c, m); break;
    case CH_ARRAY: chan_array_send(c, m); break;
    case CH_LIST: chan_list_send(c, m); break;
    }
}

CH_INLINE bool ch_recv(chan_kind k, void *c, chan_msg *m)
{
    switch (k) {
    case CH_MUTEX: return chan_mutex_recv(c, m);
    case CH_ARRAY: return chan_array_recv(c, m);
    case CH_LIST: return chan_list_recv(c, m);
    }
    return false;
}

CH_INLINE void ch_sender_done(chan_kind k, void *c)
{
    switch (k) {
    case CH_MUTEX: chan_mutex_sender_done(c); break;
    case CH_ARRAY: chan_array_sender_done(c); break;
    case CH_LIST: chan_list_sender_done(c); break;
    }
}

CH_INLINE void ch_free(chan_kind k, void *c)
{
    switch (k) {
    case CH_MUTEX: chan_mutex_free(c); break;
    case CH_ARRAY: chan_array_free(c); break;
    case CH_LIST: chan_list_free(c); break;
    }
}

#endif
