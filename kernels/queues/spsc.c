/* queues/spsc: a bounded single-producer single-consumer ring, four ways.
 *
 * flagbench-sources: ../common/team.c
 * flagbench-needs: ck
 *
 * What it shows
 *   One producer sends items 0..n-1 through a bounded ring of 1024 slots to
 *   one consumer on another core.  What dominates is not the instructions but
 *   the cache lines that bounce between the two cores.
 *   - lamport: head and tail on their own lines, but each side loads the
 *              other's index on every operation, which can miss on a line the
 *              other core just wrote.
 *   - cached:  each side keeps a private copy of the other's index and reloads
 *              it only when the ring looks full (empty).  Expect it at least
 *              as fast as lamport; the gain needs slack on both sides (a ring
 *              that runs nearly empty or full is Lamport's again).
 *   - mutex:   a bounded ring under a mutex with two condition variables.
 *              Expect several times slower than cached, and load-sensitive.
 *   - ck:      Concurrency Kit's ck_ring_*_spsc, the installed peer, a
 *              Lamport-style ring: expect it no faster than lamport (not under
 *              TSan).
 *   Empty/full waits spin, then park (common/park.h, fence form); mutex uses
 *   its condition variables.
 * Threads: --threads N runs N/2 producer/consumer pairs, each with its own
 *   ring (default N = CPUs).  With --threads 1 one thread alternates the
 *   roles in bursts of 512: the cost of the ring operations alone.  Threads
 *   (common/team.h) are created in setup; waking them is timed.
 * Sizes: test 10007, train 150001, ref 250000 64-bit items; each ring is
 *   8 KiB of slots plus four index/parking lines (L1/L2).
 * Sensitive to: the machine (core-to-core latency, SMT, load) far more than
 *   flags; opt and inline a little (the cached index must stay in a register).
 * Correctness: the consumer checks every item against its exact expected
 *   value (sequence number high, seeded tag low), so a lost, duplicated,
 *   reordered or torn item counts as bad; check() also compares each pair's
 *   count, sum and xor.  The checksum (count, sum, xor) does not depend on
 *   the number of pairs.
 */
#include "harness.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/park.h"
#include "common/team.h"

#define USE_CK (FB_HAVE_CK && !FB_TSAN)
#if USE_CK
#include <ck_ring.h>
#endif

enum { SLOTS = 1024, MASK = SLOTS - 1, BURST = 512 };

/* A ring for lamport and cached.  Indices run freely (never wrap in practice:
 * 2^64 items); the slot is index & MASK; the ring is full when
 * tail - head == SLOTS.  Each index has its own cache line so that the
 * producer's stores to tail do not invalidate the line the consumer stores
 * head in (false sharing). */
typedef struct ring {
    _Alignas(64) atomic_size_t tail; /* written by the producer only */
    _Alignas(64) atomic_size_t head; /* written by the consumer only */
    eventcount not_empty;            /* the consumer parks here */
    eventcount not_full;             /* the producer parks here */
    _Alignas(64) uint64_t slot[SLOTS];
} ring;

/* The lock-based baseline: the same ring, every access under one mutex. */
typedef struct mring {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    size_t head, count;
    int empty_waiters, full_waiters; /* signal only when someone sleeps */
    _Alignas(64) uint64_t slot[SLOTS];
} mring;

#if USE_CK
typedef struct ckring {
    _Alignas(64) ck_ring_t ring;
    eventcount not_empty, not_full;
    _Alignas(64) ck_ring_buffer_t buf[SLOTS]; /* holds SLOTS-1 items */
} ckring;
#endif

/* What a consumer saw, on its own cache line. */
typedef struct result {
    _Alignas(64) uint64_t count, sum, xor, bad;
} result;

typedef struct state {
    size_t n;
    uint64_t seed;
    int pairs;   /* producer/consumer pairs */
    bool single; /* --threads 1: one thread plays both roles */
    team *team;
    ring *rings;
    mring *mrings;
#if USE_CK
    ckring *ckrings;
#endif
    result *res; /* one per pair */
} state;

/* Item i: its sequence number in the high 44 bits, a seeded tag in the low
 * 20, so a torn or misplaced item cannot pass for the expected one. */
static inline uint64_t make_item(uint64_t i, uint64_t seed)
{
    uint64_t tag = (uint32_t)((uint32_t)(i ^ seed) * 0x9E3779B1u) >> 12;
    return i << 20 | tag;
}

static inline size_t pair_begin(const state *st, int p) { return st->n * (size_t)p / (size_t)st->pairs; }

enum kind { K_LAMPORT, K_CACHED, K_MUTEX, K_CK };

/* Private cursors: each side's own index and its copy of the other side's
 * live in registers; only the shared atomics are in memory. */
typedef struct pcur {
    size_t tail, head_seen;
} pcur;
typedef struct ccur {
    size_t head, tail_seen;
} ccur;

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* ---- lamport and cached -------------------------------------------------- */

ALWAYS_INLINE bool ring_try_push(ring *r, pcur *c, uint64_t v, bool cached)
{
    if (!cached || c->tail - c->head_seen == SLOTS) {
        /* acquire: the consumer's read of a slot happens before our
         * overwrite of it (it released head after reading). */
        c->head_seen = atomic_load_explicit(&r->head, memory_order_acquire);
        if (c->tail - c->head_seen == SLOTS) return false;
    }
    r->slot[c->tail & MASK] = v;
    c->tail++;
    /* release: publishes the slot write before the new tail. */
    atomic_store_explicit(&r->tail, c->tail, memory_order_release);
    return true;
}

ALWAYS_INLINE bool ring_try_pop(ring *r, ccur *c, uint64_t *v, bool cached)
{
    if (!cached || c->head == c->tail_seen) {
        /* acquire: pairs with the producer's release of tail, so the slot
         * contents are visible. */
        c->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (c->head == c->tail_seen) return false;
    }
    *v = r->slot[c->head & MASK];
    c->head++;
    /* release: our read of the slot is done before the producer reuses it. */
    atomic_store_explicit(&r->head, c->head, memory_order_release);
    return true;
}

/* ---- mutex ----------------------------------------------------------------- */

static inline void mring_push(mring *m, uint64_t v)
{
    pthread_mutex_lock(&m->lock);
    while (m->count == SLOTS) {
        m->full_waiters++;
        pthread_cond_wait(&m->not_full, &m->lock);
        m->full_waiters--;
    }
    m->slot[(m->head + m->count) & MASK] = v;
    m->count++;
    if (m->empty_waiters) pthread_cond_signal(&m->not_empty);
    pthread_mutex_unlock(&m->lock);
}

static inline uint64_t mring_pop(mring *m)
{
    pthread_mutex_lock(&m->lock);
    while (m->count == 0) {
        m->empty_waiters++;
        pthread_cond_wait(&m->not_empty, &m->lock);
        m->empty_waiters--;
    }
    uint64_t v = m->slot[m->head & MASK];
    m->head++;
    m->count--;
    if (m->full_waiters) pthread_cond_signal(&m->not_full);
    pthread_mutex_unlock(&m->lock);
    return v;
}

/* ---- the roles ------------------------------------------------------------- */

ALWAYS_INLINE void produce_one(state *st, int p, pcur *c, uint64_t v, enum kind k)
{
    switch (k) {
    case K_LAMPORT:
    case K_CACHED: {
        ring *r = &st->rings[p];
        bool cached = k == K_CACHED;
        PARK_UNTIL_RETRY(&r->not_full, ring_try_push(r, c, v, cached), ec_notify_fenced(&r->not_empty));
        ec_notify_lazy(&r->not_empty);
        break;
    }
    case K_MUTEX: mring_push(&st->mrings[p], v); break;
    case K_CK: {
#if USE_CK
        ckring *r = &st->ckrings[p];
        void *e = (void *)(uintptr_t)v;
        PARK_UNTIL_RETRY(&r->not_full, ck_ring_enqueue_spsc(&r->ring, r->buf, e),
                     ec_notify_fenced(&r->not_empty));
        ec_notify_lazy(&r->not_empty);
#endif
        break;
    }
    }
}

ALWAYS_INLINE uint64_t consume_one(state *st, int p, ccur *c, enum kind k)
{
    uint64_t v = 0;
    switch (k) {
    case K_LAMPORT:
    case K_CACHED: {
        ring *r = &st->rings[p];
        bool cached = k == K_CACHED;
        PARK_UNTIL_RETRY(&r->not_empty, ring_try_pop(r, c, &v, cached), ec_notify_fenced(&r->not_full));
        ec_notify_lazy(&r->not_full);
        break;
    }
    case K_MUTEX: v = mring_pop(&st->mrings[p]); break;
    case K_CK: {
#if USE_CK
        ckring *r = &st->ckrings[p];
        void *e = NULL;
        PARK_UNTIL_RETRY(&r->not_empty, ck_ring_dequeue_spsc(&r->ring, r->buf, &e),
                     ec_notify_fenced(&r->not_full));
        ec_notify_lazy(&r->not_full);
        v = (uint64_t)(uintptr_t)e;
#endif
        break;
    }
    }
    return v;
}

/* The stop point at the end of a role: no parked peer may be left behind
 * by a lazy wake-up that missed it. */
ALWAYS_INLINE void role_done(state *st, int p, bool producer, enum kind k)
{
    if (k == K_LAMPORT || k == K_CACHED) {
        ring *r = &st->rings[p];
        ec_notify_fenced(producer ? &r->not_empty : &r->not_full);
    }
#if USE_CK
    if (k == K_CK) {
        ckring *r = &st->ckrings[p];
        ec_notify_fenced(producer ? &r->not_empty : &r->not_full);
    }
#endif
}

ALWAYS_INLINE void account(result *acc, uint64_t v, uint64_t want)
{
    acc->count++;
    acc->sum += v;
    acc->xor ^= v;
    acc->bad += v != want;
}

/* One team member: even index = producer of pair index/2, odd = its
 * consumer; or, with one thread, both roles in bursts. */
ALWAYS_INLINE void spsc_body(state *st, int idx, enum kind k)
{
    const uint64_t seed = st->seed;
    if (st->single) {
        pcur pc = {0, 0};
        ccur cc = {0, 0};
        result acc = {0};
        for (size_t i = 0; i < st->n; i += BURST) {
            size_t end = i + BURST < st->n ? i + BURST : st->n;
            for (size_t j = i; j < end; j++) produce_one(st, 0, &pc, make_item(j, seed), k);
            for (size_t j = i; j < end; j++) account(&acc, consume_one(st, 0, &cc, k), make_item(j, seed));
            fb_stress_point();
        }
        st->res[0] = acc;
        return;
    }
    int p = idx / 2;
    size_t begin = pair_begin(st, p), end = pair_begin(st, p + 1);
    if (idx % 2 == 0) {
        pcur pc = {0, 0};
        for (size_t i = begin; i < end; i++) {
            produce_one(st, p, &pc, make_item(i, seed), k);
            fb_stress_point();
        }
        role_done(st, p, true, k);
    } else {
        ccur cc = {0, 0};
        result acc = {0};
        for (size_t i = begin; i < end; i++) {
            account(&acc, consume_one(st, p, &cc, k), make_item(i, seed));
            fb_stress_point();
        }
        role_done(st, p, false, k);
        st->res[p] = acc;
    }
}

/* The hot functions: each is one team member's whole job (see the doc
 * comment); the run_* wrappers hand them to the thread team. */
FB_HOT void spsc_lamport(void *arg, int idx, int nt) { (void)nt; spsc_body(arg, idx, K_LAMPORT); }
FB_HOT void spsc_cached(void *arg, int idx, int nt) { (void)nt; spsc_body(arg, idx, K_CACHED); }
FB_HOT void spsc_mutex(void *arg, int idx, int nt) { (void)nt; spsc_body(arg, idx, K_MUTEX); }
#if USE_CK
FB_HOT void spsc_ck(void *arg, int idx, int nt) { (void)nt; spsc_body(arg, idx, K_CK); }
#endif

static void run_team(state *st, team_fn fn) { team_run(st->team, fn, st); }
static void run_lamport(void *p) { run_team(p, spsc_lamport); }
static void run_cached(void *p) { run_team(p, spsc_cached); }
static void run_mutex(void *p) { run_team(p, spsc_mutex); }
#if USE_CK
static void run_ck(void *p) { run_team(p, spsc_ck); }
#endif

/* ---- harness glue ------------------------------------------------------------ */

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    st->seed = ctx->seed;
    st->single = ctx->threads <= 1;
    st->pairs = st->single ? 1 : ctx->threads / 2;
    st->rings = fb_calloc((size_t)st->pairs, sizeof *st->rings);
    st->mrings = fb_calloc((size_t)st->pairs, sizeof *st->mrings);
#if USE_CK
    st->ckrings = fb_calloc((size_t)st->pairs, sizeof *st->ckrings);
#endif
    st->res = fb_calloc((size_t)st->pairs, sizeof *st->res);
    for (int p = 0; p < st->pairs; p++) {
        mring *m = &st->mrings[p];
        pthread_mutex_init(&m->lock, NULL);
        pthread_cond_init(&m->not_empty, NULL);
        pthread_cond_init(&m->not_full, NULL);
    }
    st->team = team_create(st->single ? 1 : 2 * st->pairs, NULL);
    return st;
}

/* Untimed, before every repetition: empty rings and fresh results. */
static void prepare(void *p, const fb_variant *v)
{
    (void)v;
    state *st = p;
    for (int i = 0; i < st->pairs; i++) {
        ring *r = &st->rings[i];
        atomic_store_explicit(&r->head, 0, memory_order_relaxed);
        atomic_store_explicit(&r->tail, 0, memory_order_relaxed);
        ec_init(&r->not_empty);
        ec_init(&r->not_full);
        st->mrings[i].head = st->mrings[i].count = 0;
#if USE_CK
        ck_ring_init(&st->ckrings[i].ring, SLOTS);
        ec_init(&st->ckrings[i].not_empty);
        ec_init(&st->ckrings[i].not_full);
#endif
        memset(&st->res[i], 0, sizeof st->res[i]);
    }
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    for (int i = 0; i < st->pairs; i++) {
        size_t begin = pair_begin(st, i), end = pair_begin(st, i + 1);
        uint64_t sum = 0, x = 0;
        for (size_t j = begin; j < end; j++) {
            uint64_t item = make_item(j, st->seed);
            sum += item;
            x ^= item;
        }
        const result *r = &st->res[i];
        if (r->bad || r->count != end - begin || r->sum != sum || r->xor != x) {
            snprintf(why, len,
                     "pair %d: %llu of %zu items out of sequence, received %llu, sum %s, xor %s", i,
                     (unsigned long long)r->bad, end - begin, (unsigned long long)r->count,
                     r->sum == sum ? "ok" : "differs", r->xor == x ? "ok" : "differs");
            return false;
        }
    }
    return true;
}

static uint64_t checksum(void *p)
{
    state *st = p;
    uint64_t t[3] = {0, 0, 0};
    for (int i = 0; i < st->pairs; i++) {
        t[0] += st->res[i].count;
        t[1] += st->res[i].sum;
        t[2] ^= st->res[i].xor;
    }
    return fb_hash_bytes(t, sizeof t, FB_HASH_INIT);
}

static void report(void *p, const fb_variant *v, fb_json *out)
{
    (void)v;
    state *st = p;
    fb_json_int(out, "pairs", st->single ? 0 : st->pairs);
}

static void teardown(void *p)
{
    state *st = p;
    team_destroy(st->team);
    for (int i = 0; i < st->pairs; i++) {
        mring *m = &st->mrings[i];
        pthread_mutex_destroy(&m->lock);
        pthread_cond_destroy(&m->not_empty);
        pthread_cond_destroy(&m->not_full);
    }
    free(st->rings);
    free(st->mrings);
#if USE_CK
    free(st->ckrings);
#endif
    free(st->res);
    free(st);
}

static const fb_variant variants[] = {
    {"lamport", run_lamport, 0, "Lamport ring: reads the other side's index on every operation"},
    {"cached", run_cached, 0, "ring with cached head/tail copies: shared lines move once per lap"},
    {"mutex", run_mutex, 0, "bounded ring under a mutex with two condition variables"},
#if USE_CK
    {"ck", run_ck, 0, "Concurrency Kit ck_ring SPSC (peer)"},
#endif
};

static const fb_kernel kernel = {
    .family = "queues",
    .name = "spsc",
    .summary = "bounded SPSC ring: Lamport, cached indices, mutex+condvar, ck_ring",
    .unit = "items",
    .concurrent = true,
    .sizes = {10007, 150001, 250000},
    .reps = {1, 5, 5},
    FB_HOOKS(setup, prepare, check, checksum, NULL, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
