/* channels/lib/flow.h: the message flow the channel kernels share.
 *
 * Every channel kernel moves n messages from one source through W worker
 * threads to one sink, over channels of one kind (lib/chan.h), and checks
 * the result the same way; they differ only in how the channels connect the
 * roles, which the kernel says with FLOW_* flags:
 *   channels/worker_pool  source -> one shared channel -> W workers -> one
 *                         channel -> sink                          (0)
 *   channels/pipeline     the same graph; the sink folds each result
 *                                                                  (FLOW_FOLD)
 *   channels/fan          source -> W channels, item i to worker i mod W ->
 *                         W workers -> one channel -> sink, and each worker
 *                         records when it finished    (FLOW_FAN_OUT | FLOW_TIMED)
 * Message i carries id i and the payload ch_payload(i, seed); a worker
 * passes on ch_work(payload) with its own number in the id's high bits
 * (lib/work.h); the sink marks each id in a byte map and counts ids that
 * arrive twice or from nowhere, and a worker's ids arriving out of order
 * (every channel is FIFO), and sums and xors the (folded) results.
 *
 * The roles are team members (common/team.h): 0 the sink (the caller),
 * 1 the source, 2.. the workers.  flow_body and flow_run are forced inline
 * with the channel kind and the flags as constants, so each kernel's hot
 * function <kernel>_<variant> holds the whole flow for its channel kind; the
 * untimed harness callbacks live in lib/flow.c.
 */
#ifndef CHANNELS_FLOW_H
#define CHANNELS_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/team.h"
#include "harness.h"
#include "lib/chan.h"
#include "lib/work.h"

/* Every channel holds 256 messages (the bounded kinds). */
enum { FLOW_CAPACITY = 256 };

enum {
    FLOW_FAN_OUT = 1, /* one source channel per worker, dealt round robin */
    FLOW_FOLD = 2,    /* the sink folds each result (flow_fold) */
    FLOW_TIMED = 4,   /* each worker records the time of its last send */
};

typedef struct flow_wstat {
    _Alignas(64) uint64_t handled; /* messages this worker passed on */
    uint64_t span_ns;              /* FLOW_TIMED: from the run's start to its last send */
} flow_wstat;

typedef struct ch_flow {
    size_t n;
    uint64_t seed;
    int workers;
    int how; /* the FLOW_* flags */
    team *team;
    /* this repetition's channels: the source sends on in[0] (in[w] with
     * FLOW_FAN_OUT), the workers send on out */
    void **in;
    void *out;
    uint64_t start_ns;
    uint8_t *seen;  /* by message id */
    uint64_t *last; /* per worker: last id the sink saw from it */
    flow_wstat *ws;
    /* the sink's totals */
    uint64_t count, dup, disorder, sum, xor;
} ch_flow;

#define FLOW_INLINE static inline __attribute__((always_inline))

/* The FLOW_FOLD sink's fold: a cheap function of the transformed value. */
static inline uint64_t flow_fold(uint64_t y) { return (y ^ (y >> 17)) * 0x9e3779b97f4a7c15ull; }

FLOW_INLINE void flow_sink(ch_flow *f, chan_kind k, int how)
{
    uint64_t count = 0, dup = 0, disorder = 0, sum = 0, x = 0;
    chan_msg m;
    while (ch_recv(k, f->out, &m)) {
        uint64_t id = m.a & ID_MASK;
        unsigned w = (unsigned)(m.a >> ID_BITS);
        if (id < f->n && w < (unsigned)f->workers) {
            dup += f->seen[id];
            f->seen[id] = 1;
            disorder += f->last[w] != UINT64_MAX && id <= f->last[w];
            f->last[w] = id;
        } else {
            dup++; /* a message nobody sent */
        }
        uint64_t z = how & FLOW_FOLD ? flow_fold(m.b) : m.b;
        count++;
        sum += z;
        x ^= z;
        fb_stress_point();
    }
    f->count = count;
    f->dup = dup;
    f->disorder = disorder;
    f->sum = sum;
    f->xor = x;
}

FLOW_INLINE void flow_source(ch_flow *f, chan_kind k, int how)
{
    const int K = how & FLOW_FAN_OUT ? f->workers : 1;
    int w = 0;
    for (size_t i = 0; i < f->n; i++) {
        ch_send(k, f->in[w], (chan_msg){i, ch_payload(i, f->seed)});
        if (++w == K) w = 0;
        fb_stress_point();
    }
    for (int j = 0; j < K; j++) ch_sender_done(k, f->in[j]);
}

FLOW_INLINE void flow_worker(ch_flow *f, int w, chan_kind k, int how)
{
    const int from = how & FLOW_FAN_OUT ? w : 0;
    uint64_t handled = 0;
    chan_msg m;
    while (ch_recv(k, f->in[from], &m)) {
        ch_send(k, f->out, (chan_msg){m.a | (uint64_t)w << ID_BITS, ch_work(m.b)});
        handled++;
        fb_stress_point();
    }
    if (how & FLOW_TIMED) f->ws[w].span_ns = fb_now_ns() - f->start_ns;
    ch_sender_done(k, f->out);
    f->ws[w].handled = handled;
}

/* One team member's job: the kernels' hot functions are this with constant
 * k and how. */
FLOW_INLINE void flow_body(ch_flow *f, int idx, chan_kind k, int how)
{
    if (idx == 0) flow_sink(f, k, how);
    else if (idx == 1) flow_source(f, k, how);
    else flow_worker(f, idx - 2, k, how);
}

/* One repetition (timed): creates the channels, runs the team and frees the
 * channels; fn is the kernel's hot function for kind k. */
FLOW_INLINE void flow_run(ch_flow *f, chan_kind k, team_fn fn)
{
    const int K = f->how & FLOW_FAN_OUT ? f->workers : 1;
    for (int w = 0; w < K; w++) f->in[w] = ch_new(k, FLOW_CAPACITY, 1);
    f->out = ch_new(k, FLOW_CAPACITY, f->workers);
    if (f->how & FLOW_TIMED) f->start_ns = fb_now_ns();
    team_run(f->team, fn, f);
    for (int w = 0; w < K; w++) ch_free(k, f->in[w]);
    ch_free(k, f->out);
}

/* The hot function <kernel>_<variant> and its timed wrapper run_<variant>
 * for each channel kind (the variant is the kind), and the table `variants`
 * of all three: a kernel says FLOW_VARIANTS(its name, its FLOW_* flags). */
#define FLOW_VARIANT(kernel, variant, kind, how)                                               \
    FB_HOT void kernel##_##variant(void *arg, int idx, int nt)                                 \
    {                                                                                          \
        (void)nt;                                                                              \
        flow_body(arg, idx, kind, how);                                                        \
    }                                                                                          \
    static void run_##variant(void *p) { flow_run(p, kind, kernel##_##variant); }
#define FLOW_VARIANTS(kernel, how)                                                             \
    FLOW_VARIANT(kernel, mutex, CH_MUTEX, how)                                                 \
    FLOW_VARIANT(kernel, array, CH_ARRAY, how)                                                 \
    FLOW_VARIANT(kernel, list, CH_LIST, how)                                                   \
    static const fb_variant variants[] = {                                                     \
        {"mutex", run_mutex, 0, "mutex + condition variable channels (bounded, 256)"},         \
        {"array", run_array, 0, "lock-free bounded array channels (crossbeam array flavour, 256)"}, \
        {"list", run_list, 0, "lock-free unbounded block-list channels (crossbeam list flavour)"}, \
    };

/* The descriptor fields every channels kernel shares: sizes, repetitions and
 * the flow hooks (setup and report are each kernel's own). */
#define FLOW_KERNEL_FIELDS                                                                     \
    .concurrent = true, .sizes = {3001, 30011, 80000}, .reps = {1, 5, 5},                      \
    FB_HOOKS(setup, flow_prepare, flow_check, flow_checksum, NULL, report, flow_teardown),     \
    FB_VARIANTS(variants)

/* ---- the harness callbacks (lib/flow.c) ---------------------------------- */
/* setup: a flow of ctx->n messages through `workers` workers. */
ch_flow *flow_setup(const fb_ctx *ctx, int workers, int how);
/* prepare: clears the byte map and the per-worker records. */
void flow_prepare(void *p, const fb_variant *v);
/* check: every id exactly once, nothing foreign, no worker's messages out of
 * order, the per-worker counts summing to n (with FLOW_FAN_OUT, each worker
 * exactly its share), and the sum and xor of the (folded) results equal to a
 * plain recomputation. */
bool flow_check(void *p, const fb_variant *v, char *why, size_t len);
/* checksum: count, sum and xor: independent of the channel kind and the
 * thread count. */
uint64_t flow_checksum(void *p);
void flow_teardown(void *p);
/* The fewest and most messages one worker handled. */
void flow_handled_range(const ch_flow *f, uint64_t *lo, uint64_t *hi);

#endif
