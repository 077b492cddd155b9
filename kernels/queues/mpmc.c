/* queues/mpmc: one producer/consumer workload across five MPMC queues and
 * three thread configurations; variants are <queue>_<configuration>.
 *
 * flagbench-sources: ../common/team.c ../common/hazard.c
 * flagbench-needs: ck
 *
 * Queues (the algorithms are described in their headers):
 *   vyukov  Vyukov's bounded ring of 1024 cells (common/ring_vyukov.h): one
 *           CAS per operation, no allocation.  Expect the fastest or close.
 *   msq     Michael-Scott with hazard pointers (lib/msq.h): a malloc and a
 *           cross-thread free per item.  Expect the slowest lock-free queue.
 *   seg     linked 31-slot blocks (common/blocklist.h): one allocation per 31
 *           items, no hazard pointers.  Expect it near vyukov.
 *   mutex   a ring of 1024 under a mutex (common/mutex_ring.h).  Expect it to
 *           fall further behind the more threads there are.
 *   ck      Concurrency Kit's ck_fifo_mpmc, the installed peer (not under
 *           TSan).  Its nodes must stay type-stable while the queue is in use,
 *           so consumers collect them and the run frees them, timed.
 * Configurations: 1p1c and 2p2c (2 and 4 threads whatever --threads says);
 *   over: 2N producers and 2N consumers for --threads N (default N = CPUs),
 *   deliberately oversubscribed so that threads are preempted mid-operation
 *   and blocking has to park.  Expect mutex to suffer most there.
 * Hot functions mpmc_<queue>_<configuration>: one team member's whole job;
 *   the queue operations are forced inline, so each symbol holds its queue's
 *   loops.  Threads (common/team.h) are created in setup; waking them is
 *   timed.  Empty/full waits spin, then park (common/park.h, fence form).
 * Sizes: test 5003, train 60001, ref 150000 items (64-bit words); the bounded
 *   queues hold 16 KiB of cells, the consumers' logs stream 8 bytes an item.
 * Sensitive to: the machine and its load far more than flags.  compiler: a
 *   seq_cst fence is mfence with clang, a locked or with gcc.  inline/lto:
 *   only the allocator and the hazard scan stay calls.  march: nothing
 *   vectorises.
 * Correctness: item i carries i in its high bits and a seeded tag in the low
 *   20; producer p pushes a contiguous range in order.  check() verifies from
 *   the consumers' logs that every item arrives once, untorn, and in each
 *   producer's order (all five queues are FIFO), and the sums and xors.  The
 *   checksum hashes count, sum and xor: the same for every variant.
 */
#include "harness.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/hazard.h"
#include "common/mutex_ring.h"
#include "common/park.h"
#include "common/team.h"
#include "lib/msq.h"

#define RING_VYUKOV_NAME vy
#define RING_VYUKOV_VALUE uint64_t
#define RING_VYUKOV_CLAIM memory_order_relaxed
#include "common/ring_vyukov.h"

#define BLOCKLIST_NAME seg
#define BLOCKLIST_VALUE uint64_t
#define BLOCKLIST_CLOSABLE 0
#include "common/blocklist.h"

#if FB_HAVE_CK && !FB_TSAN
#include <ck_fifo.h>
#endif
#if FB_HAVE_CK && !FB_TSAN && defined(CK_F_FIFO_MPMC)
#define USE_CK 1
#else
#define USE_CK 0
#endif

enum { CELLS = 1024 };

/* The lock-based baseline: common/mutex_ring.h over an array of its own. */
typedef struct mutexq {
    mutex_ring ring;
    _Alignas(64) uint64_t slot[CELLS];
} mutexq;

static inline void mutexq_push(mutexq *m, uint64_t v)
{
    m->slot[mring_push_begin(&m->ring, CELLS, CELLS)] = v;
    mring_push_end(&m->ring);
}

static inline uint64_t mutexq_pop(mutexq *m)
{
    size_t i;
    mring_pop_begin(&m->ring, false, &i);
    uint64_t v = m->slot[i];
    mring_pop_end(&m->ring, CELLS);
    return v;
}

enum alg { A_VYUKOV, A_MSQ, A_SEG, A_MUTEX, A_CK };
enum conf { C_1P1C, C_2P2C, C_OVER };

/* What one consumer saw, on its own cache line. */
typedef struct cresult {
    _Alignas(64) uint64_t count, sum, xor;
} cresult;

typedef struct state {
    size_t n;
    uint64_t seed;
    int over; /* producers (= consumers) in the oversubscribed configuration */
    team *team;
    /* this repetition */
    enum alg alg;
    int P, C;
    size_t *cbase; /* consumer c logs items [cbase[c], cbase[c+1]) of log */
    uint64_t *log;
    cresult *res;
    /* one eventcount per direction, shared by whichever queue runs */
    eventcount not_empty, not_full;
    vy_ring vq;
    vy_cell *cells;
    msq mq;
    hp_domain hp;
    seg sq;
    mutexq xq;
#if USE_CK
    ck_fifo_mpmc_t cq;
    ck_fifo_mpmc_entry_t **garbage; /* like log: consumer c fills its range */
#endif
} state;

static inline uint64_t make_item(uint64_t i, uint64_t seed)
{
    uint64_t tag = (uint32_t)((uint32_t)(i ^ seed) * 0x9E3779B1u) >> 12;
    return i << 20 | tag;
}

/* Producer p of P pushes items [range(p), range(p+1)). */
static inline size_t range(size_t n, int p, int P) { return n * (size_t)p / (size_t)P; }

#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE void push(state *st, int idx, uint64_t v, enum alg a)
{
    switch (a) {
    case A_VYUKOV:
        PARK_UNTIL_RETRY(&st->not_full, vy_try_push(&st->vq, v), ec_notify_fenced(&st->not_empty));
        ec_notify_lazy(&st->not_empty);
        break;
    case A_MSQ:
        msq_push(&st->mq, &st->hp, idx, v);
        ec_notify_lazy(&st->not_empty);
        break;
    case A_SEG:
        seg_push(&st->sq, v);
        ec_notify_lazy(&st->not_empty);
        break;
    case A_MUTEX: mutexq_push(&st->xq, v); break;
    case A_CK: {
#if USE_CK
        /* 16-byte aligned: the node's {pointer, generation} pair is the
         * operand of cmpxchg16b. */
        ck_fifo_mpmc_entry_t *node = aligned_alloc(16, sizeof *node);
        if (!node) abort();
        ck_fifo_mpmc_enqueue(&st->cq, node, (void *)(uintptr_t)v);
        ec_notify_lazy(&st->not_empty);
#endif
        break;
    }
    }
}

ALWAYS_INLINE uint64_t pop(state *st, int idx, size_t slot, enum alg a)
{
    uint64_t v = 0;
    (void)slot;
    switch (a) {
    case A_VYUKOV:
        PARK_UNTIL_RETRY(&st->not_empty, vy_try_pop(&st->vq, &v), ec_notify_fenced(&st->not_full));
        ec_notify_lazy(&st->not_full);
        break;
    case A_MSQ:
        /* unbounded: no producer ever waits for space, so nothing to notify */
        PARK_UNTIL_RETRY(&st->not_empty, msq_try_pop(&st->mq, &st->hp, idx, &v), (void)0);
        break;
    case A_SEG:
        PARK_UNTIL_RETRY(&st->not_empty, seg_try_pop(&st->sq, &v), (void)0);
        break;
    case A_MUTEX: v = mutexq_pop(&st->xq); break;
    case A_CK: {
#if USE_CK
        void *e = NULL;
        ck_fifo_mpmc_entry_t **g = &st->garbage[slot];
        PARK_UNTIL_RETRY(&st->not_empty, ck_fifo_mpmc_dequeue(&st->cq, &e, g), (void)0);
        v = (uint64_t)(uintptr_t)e;
#endif
        break;
    }
    }
    return v;
}

/* One team member.  P_FIXED is the producer count when the configuration
 * fixes it (1 or 2), 0 for `over`, which reads it from the state. */
ALWAYS_INLINE void mpmc_body(state *st, int idx, enum alg a, int P_FIXED)
{
    const int P = P_FIXED ? P_FIXED : st->P;
    if (idx < P) {
        size_t begin = range(st->n, idx, P), end = range(st->n, idx + 1, P);
        for (size_t i = begin; i < end; i++) {
            push(st, idx, make_item(i, st->seed), a);
            fb_stress_point();
        }
        /* stop point: no consumer may sleep on a wake-up we skipped */
        ec_notify_fenced(&st->not_empty);
    } else {
        int c = idx - P;
        size_t begin = st->cbase[c], end = st->cbase[c + 1];
        uint64_t *log = st->log;
        cresult acc = {0};
        for (size_t k = begin; k < end; k++) {
            uint64_t v = pop(st, idx, k, a);
            log[k] = v;
            acc.count++;
            acc.sum += v;
            acc.xor ^= v;
            fb_stress_point();
        }
        ec_notify_fenced(&st->not_full);
        st->res[c] = acc;
    }
}

static void run_config(state *st, enum alg a, enum conf cf, team_fn fn)
{
    int P = cf == C_1P1C ? 1 : cf == C_2P2C ? 2 : st->over;
    st->alg = a;
    st->P = st->C = P;
    /* Consumer quotas: together exactly n, so every consumer finishes. */
    for (int c = 0; c <= st->C; c++) st->cbase[c] = range(st->n, c, st->C);
    team_run_some(st->team, st->P + st->C, fn, st);
    /* Every thread has stopped: reclaim what the lock-free queues could not
     * free while others might still have been reading it (timed). */
    switch (a) {
    case A_MSQ: hp_quiesce(&st->hp); break;
    case A_CK:
#if USE_CK
        for (size_t i = 0; i < st->n; i++) free(st->garbage[i]);
#endif
        break;
    default: break;
    }
}

#define VARIANT(NAME, ALG, CONF, PFIX)                                                         \
    FB_HOT void mpmc_##NAME(void *arg, int idx, int nt)                                        \
    {                                                                                          \
        (void)nt;                                                                              \
        mpmc_body(arg, idx, ALG, PFIX);                                                        \
    }                                                                                          \
    static void run_##NAME(void *p) { run_config(p, ALG, CONF, mpmc_##NAME); }
#define QUEUE(Q, ALG)                                                                          \
    VARIANT(Q##_1p1c, ALG, C_1P1C, 1)                                                          \
    VARIANT(Q##_2p2c, ALG, C_2P2C, 2)                                                          \
    VARIANT(Q##_over, ALG, C_OVER, 0)

QUEUE(vyukov, A_VYUKOV)
QUEUE(msq, A_MSQ)
QUEUE(seg, A_SEG)
QUEUE(mutex, A_MUTEX)
#if USE_CK
QUEUE(ck, A_CK)
#endif

/* ---- harness glue ------------------------------------------------------------ */

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    st->seed = ctx->seed;
    st->over = 2 * (ctx->threads > 0 ? ctx->threads : 1);
    int most = 2 * st->over > 4 ? 2 * st->over : 4;
    st->team = team_create(most, NULL);
    st->cbase = fb_calloc((size_t)most + 1, sizeof *st->cbase);
    st->log = fb_calloc(st->n, sizeof *st->log);
    st->res = fb_calloc((size_t)most, sizeof *st->res);
    st->cells = fb_calloc(CELLS, sizeof *st->cells);
    hp_init(&st->hp, most, msq_free_node);
    mring_init(&st->xq.ring);
#if USE_CK
    st->garbage = fb_calloc(st->n, sizeof *st->garbage);
#endif
    return st;
}

/* Untimed, before every repetition: an empty queue of the variant's kind
 * (the previous repetition's was reclaimed at the end of its run). */
static void prepare(void *p, const fb_variant *v)
{
    state *st = p;
    ec_init(&st->not_empty);
    ec_init(&st->not_full);
    memset(st->res, 0, (size_t)(2 * st->over > 4 ? 2 * st->over : 4) * sizeof *st->res);
    if (!strncmp(v->name, "vyukov", 6)) {
        vy_init(&st->vq, st->cells, CELLS);
    } else if (!strncmp(v->name, "msq", 3)) {
        if (atomic_load_explicit(&st->mq.head, memory_order_relaxed)) msq_destroy(&st->mq);
        msq_init(&st->mq);
    } else if (!strncmp(v->name, "seg", 3)) {
        if (atomic_load_explicit(&st->sq.head.block, memory_order_relaxed)) seg_destroy(&st->sq);
        seg_init(&st->sq);
    } else if (!strncmp(v->name, "mutex", 5)) {
        st->xq.ring.head = st->xq.ring.count = 0;
    }
#if USE_CK
    else if (!strncmp(v->name, "ck", 2)) {
        ck_fifo_mpmc_entry_t *stub = NULL;
        if (st->cq.head.pointer) {
            ck_fifo_mpmc_deinit(&st->cq, &stub);
            free(stub);
        }
        stub = aligned_alloc(16, sizeof *stub);
        if (!stub) abort();
        ck_fifo_mpmc_init(&st->cq, stub);
    }
#endif
}

/* Which producer pushed item i: the p with range(p) <= i < range(p+1). */
static int producer_of(size_t n, int P, uint64_t i)
{
    int p = (int)((i * (uint64_t)P) / n);
    while (p > 0 && range(n, p, P) > i) p--;
    while (p + 1 < P && range(n, p + 1, P) <= i) p++;
    return p;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    size_t n = st->n;
    uint64_t *seen = fb_calloc((n + 63) / 64, sizeof *seen);
    uint64_t *last = fb_alloc((size_t)st->P * sizeof *last);
    bool ok = true;
    uint64_t sum = 0, x = 0, count = 0;
    for (int c = 0; c < st->C && ok; c++) {
        for (int q = 0; q < st->P; q++) last[q] = UINT64_MAX;
        for (size_t k = st->cbase[c]; k < st->cbase[c + 1]; k++) {
            uint64_t item = st->log[k], i = item >> 20;
            if (i >= n || item != make_item(i, st->seed)) {
                snprintf(why, len, "consumer %d popped a value that was never pushed: %#llx", c,
                         (unsigned long long)item);
                ok = false;
                break;
            }
            if (seen[i / 64] >> (i % 64) & 1) {
                snprintf(why, len, "item %llu popped twice", (unsigned long long)i);
                ok = false;
                break;
            }
            seen[i / 64] |= 1ull << (i % 64);
            int q = producer_of(n, st->P, i);
            if (last[q] != UINT64_MAX && i <= last[q]) {
                snprintf(why, len, "consumer %d saw producer %d's item %llu after item %llu", c, q,
                         (unsigned long long)i, (unsigned long long)last[q]);
                ok = false;
                break;
            }
            last[q] = i;
        }
        sum += st->res[c].sum;
        x ^= st->res[c].xor;
        count += st->res[c].count;
    }
    if (ok) {
        uint64_t want_sum = 0, want_x = 0;
        for (size_t i = 0; i < n; i++) {
            want_sum += make_item(i, st->seed);
            want_x ^= make_item(i, st->seed);
        }
        if (count != n || sum != want_sum || x != want_x) {
            snprintf(why, len, "consumers received %llu of %zu items; sum %s, xor %s",
                     (unsigned long long)count, n, sum == want_sum ? "ok" : "differs",
                     x == want_x ? "ok" : "differs");
            ok = false;
        }
    }
    free(seen);
    free(last);
    return ok;
}

static uint64_t checksum(void *p)
{
    state *st = p;
    uint64_t t[3] = {0, 0, 0};
    for (int c = 0; c < st->C; c++) {
        t[0] += st->res[c].count;
        t[1] += st->res[c].sum;
        t[2] ^= st->res[c].xor;
    }
    return fb_hash_bytes(t, sizeof t, FB_HASH_INIT);
}

static void report(void *p, const fb_variant *v, fb_json *out)
{
    (void)v;
    state *st = p;
    fb_json_int(out, "producers", st->P);
    fb_json_int(out, "consumers", st->C);
}

static void teardown(void *p)
{
    state *st = p;
    team_destroy(st->team);
    if (atomic_load_explicit(&st->mq.head, memory_order_relaxed)) msq_destroy(&st->mq);
    hp_destroy(&st->hp);
    if (atomic_load_explicit(&st->sq.head.block, memory_order_relaxed)) seg_destroy(&st->sq);
    mring_destroy(&st->xq.ring);
#if USE_CK
    if (st->cq.head.pointer) {
        ck_fifo_mpmc_entry_t *stub = NULL;
        ck_fifo_mpmc_deinit(&st->cq, &stub);
        free(stub);
    }
    free(st->garbage);
#endif
    free(st->cells);
    free(st->res);
    free(st->log);
    free(st->cbase);
    free(st);
}

#define V3(Q, what)                                                                            \
    {#Q "_1p1c", run_##Q##_1p1c, 0, what ", 1 producer + 1 consumer"},                         \
    {#Q "_2p2c", run_##Q##_2p2c, 0, what ", 2 producers + 2 consumers"},                       \
    {#Q "_over", run_##Q##_over, 0, what ", 2N+2N threads for N CPUs (oversubscribed)"}

static const fb_variant variants[] = {
    V3(vyukov, "Vyukov bounded array queue, per-cell sequence numbers"),
    V3(msq, "Michael-Scott queue with hazard pointers, malloc per item"),
    V3(seg, "segmented unbounded queue of 31-slot blocks (SegQueue-style)"),
    V3(mutex, "bounded ring under a mutex with two condition variables"),
#if USE_CK
    V3(ck, "Concurrency Kit ck_fifo_mpmc (peer), nodes freed after the run"),
#endif
};

static const fb_kernel kernel = {
    .family = "queues",
    .name = "mpmc",
    .summary = "MPMC queues (Vyukov, Michael-Scott+HP, segmented, mutex, ck) at 1p1c/2p2c/oversubscribed",
    .unit = "items",
    .concurrent = true,
    .sizes = {5003, 60001, 150000},
    .reps = {1, 5, 5},
    FB_HOOKS(setup, prepare, check, checksum, NULL, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
