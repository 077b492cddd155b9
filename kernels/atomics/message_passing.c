/* atomics/message_passing: a flag + payload handoff (ping-pong) under four correct orderings.
 *
 * flagbench-sources: ../common/team.c
 *
 * What it shows
 *   Two threads bounce a message: the pinger writes a payload (six plain
 *   64-bit words) and publishes it by storing the round number to a flag;
 *   the ponger waits for the flag, reads it, and replies the same way.  What
 *   must the flag store and load be for the plain payload to be race-free,
 *   and what does each choice cost?  (A relaxed flag over a plain payload
 *   would be a data race, so it is absent.)
 *   - relaxed:  the message is the flag word itself, so relaxed is correct.
 *               x86 `mov`; aarch64 `str`/`ldr`.
 *   - release_acquire: the minimum for a separate payload.  x86: plain `mov`
 *               both ways (TSO); aarch64: `stlr` / `ldar`.
 *   - seq_cst:  the store needs a store-load barrier: `xchg` (GCC 12
 *               -mtune=generic, Clang) or `mov` + `mfence` (GCC tuned for
 *               Intel).  In a ping-pong the sender waits anyway, so expect a
 *               small difference.  aarch64: the same as release_acquire.
 *   - fences:   fence(release) + relaxed store, relaxed load +
 *               fence(acquire) (C11 7.17.4).  x86: no instruction; aarch64:
 *               `dmb ish` / `dmb ishld`, which order all memory.  (TSan
 *               builds use release/acquire on the flag: TSan has no fences.)
 *   Waiting: the receiver spins on the flag for a bounded time, then parks on
 *   a futex with a 1 ms timeout (the sender's check for a sleeper has no
 *   fence, which would hide the very store shown, so a wake-up can be
 *   missed); the JSON field parks counts the sleeps.
 *   Threads: --threads T makes T/2 independent pairs; an odd thread out (and
 *   --threads 1) plays both sides (the cost of the code alone).  Threads are
 *   pinned when there are enough CPUs (common/team.h); the timed part
 *   includes waking them.
 * Sizes: n = round trips per pair: test 2003, train 30001, ref 100000: the
 *   latency of moving a line between two cores, twice per round trip.
 * Sensitive to: compiler and tuning (seq_cst store), march on aarch64 (Clang
 *   uses RCpc `ldapr` from armv8.3-a), opt barely; on a virtual machine,
 *   where the two vCPUs sit physically matters more than any flag.
 * Correctness: the ponger checks every payload word it reads against what
 *   round i must carry, the pinger checks every reply word; a stale or torn
 *   payload counts an error.  The check wants zero errors and n round trips
 *   per pair, and the sum of the reply words equal to the reference sum; the
 *   checksum hashes that sum (the same for every pair and thread count).
 */
#include "harness.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/team.h"
#include "lib/sync.h"

#define PAYLOAD_WORDS 6
/* Polls before parking: SPIN_LIMIT when every thread has a CPU; with more
 * threads than CPUs spinning only delays the thread we wait for, so park
 * almost at once.  Set in setup, before the threads start. */
#define SPIN_LIMIT 4000u
#define SPIN_LIMIT_OVERSUBSCRIBED 16u
static unsigned spin_limit = SPIN_LIMIT;
#define PARK_TIMEOUT_NS 1000000L  /* recovers a missed wake-up (see above) */

/* One direction: the flag, the parked-receiver word and the payload share a
 * cache line, so one line transfer carries the whole message. */
typedef struct {
    _Alignas(64) _Atomic uint32_t seq; /* round number of the last message */
    _Atomic uint32_t waiting;          /* receiver parked on seq */
    uint32_t parks;                    /* times the receiver parked (its own counter) */
    uint64_t payload[PAYLOAD_WORDS];   /* plain data, handed over by seq */
} channel;

typedef struct {
    channel ping, pong;
    /* Results: each written by one thread, read after the join. */
    _Alignas(64) uint64_t sum;  /* pinger: sum of reply words */
    uint64_t errors;             /* both roles */
    uint64_t rounds;
    uint64_t pong_errors;
} pair;

typedef enum { ROLE_PING, ROLE_PONG, ROLE_SOLO } role;

static inline uint64_t ping_word(uint32_t round, int w)
{
    return fb_mix64((uint64_t)round * 8 + (uint64_t)w);
}
static inline uint64_t reply_word(uint64_t x) { return ~x * 3 + 1; }

/* ---- the slow path: park on the futex ---------------------------------------- */
static __attribute__((noinline)) void park(channel *c, uint32_t want)
{
    c->parks++;
    atomic_store_explicit(&c->waiting, 1, memory_order_relaxed);
    for (;;) {
        uint32_t v = atomic_load_explicit(&c->seq, memory_order_relaxed);
        if (v == want) break;
        futex_wait(&c->seq, v, PARK_TIMEOUT_NS);
    }
    atomic_store_explicit(&c->waiting, 0, memory_order_relaxed);
    /* The caller's own ordered load of seq follows: that is what orders the
     * payload, so the relaxed loads here are enough. */
}

static __attribute__((noinline)) void wake(channel *c) { futex_wake(&c->seq, 1); }

/* ---- the four protocols ----------------------------------------------------- */
/* PUBLISH(c, round): make the payload written before it visible with round.
 * AWAIT(c, round): return once round is visible, with the payload readable. */
#define PUBLISH_STORE(c, r, order)                                                             \
    do {                                                                                       \
        atomic_store_explicit(&(c)->seq, (r), order);                                          \
        if (atomic_load_explicit(&(c)->waiting, memory_order_relaxed)) wake(c);                \
    } while (0)

#define AWAIT_LOAD(c, r, order)                                                                \
    do {                                                                                       \
        unsigned spins_ = 0;                                                                   \
        while (atomic_load_explicit(&(c)->seq, order) != (r)) {                                \
            if (++spins_ > spin_limit) {                                                       \
                park((c), (r));                                                                \
                spins_ = 0;                                                                    \
            } else {                                                                           \
                cpu_relax();                                                                   \
            }                                                                                  \
        }                                                                                      \
    } while (0)

#define PUBLISH_relaxed(c, r) PUBLISH_STORE(c, r, memory_order_relaxed)
#define AWAIT_relaxed(c, r) AWAIT_LOAD(c, r, memory_order_relaxed)
/* release: every write before the store (the payload) is visible to a thread
 * whose acquire load reads this store's value. */
#define PUBLISH_release_acquire(c, r) PUBLISH_STORE(c, r, memory_order_release)
#define AWAIT_release_acquire(c, r) AWAIT_LOAD(c, r, memory_order_acquire)
#define PUBLISH_seq_cst(c, r) PUBLISH_STORE(c, r, memory_order_seq_cst)
#define AWAIT_seq_cst(c, r) AWAIT_LOAD(c, r, memory_order_seq_cst)
/* A release fence before a relaxed store, an acquire fence after the relaxed
 * load that reads it: the fences synchronize (C11 7.17.4p2).  TSan does not
 * model fences (common/spin.h), so a TSan build replaces them with
 * release/acquire on the flag: the payload logic is still checked there, the
 * fence reasoning rests on the standard alone. */
#if FB_TSAN
#define FENCE_FLAG_STORE memory_order_release
#define FENCE_FLAG_LOAD memory_order_acquire
#define FENCE(order) ((void)0)
#else
#define FENCE_FLAG_STORE memory_order_relaxed
#define FENCE_FLAG_LOAD memory_order_relaxed
#define FENCE(order) atomic_thread_fence(order)
#endif
#define PUBLISH_fences(c, r)                                                                   \
    do {                                                                                       \
        FENCE(memory_order_release);                                                           \
        PUBLISH_STORE(c, r, FENCE_FLAG_STORE);                                                 \
    } while (0)
#define AWAIT_fences(c, r)                                                                     \
    do {                                                                                       \
        AWAIT_LOAD(c, r, FENCE_FLAG_LOAD);                                                     \
        FENCE(memory_order_acquire);                                                           \
    } while (0)

/* ---- payload handling (the plain, non-atomic part) --------------------------- */
static inline void write_ping(channel *c, uint32_t r)
{
    for (int w = 0; w < PAYLOAD_WORDS; w++) c->payload[w] = ping_word(r, w);
}
/* Ponger: read and verify the ping, write the reply. */
static inline uint64_t answer(channel *in, channel *out, uint32_t r)
{
    uint64_t bad = 0;
    for (int w = 0; w < PAYLOAD_WORDS; w++) {
        uint64_t x = in->payload[w];
        bad += x != ping_word(r, w);
        out->payload[w] = reply_word(x);
    }
    return bad;
}
/* Pinger: verify the reply; its words go into the sum. */
static inline uint64_t take_reply(channel *c, uint32_t r, uint64_t *sum)
{
    uint64_t bad = 0;
    for (int w = 0; w < PAYLOAD_WORDS; w++) {
        uint64_t y = c->payload[w];
        bad += y != reply_word(ping_word(r, w));
        *sum += y;
    }
    return bad;
}

/* One hot function per variant, all three roles in it.  The relaxed variant
 * has no payload: the round number in the flag word is the message. */
#define PAYLOAD_PROTOCOL(v)                                                                    \
    FB_HOT void message_passing_##v(pair *p, role who, uint32_t n)                             \
    {                                                                                          \
        uint64_t sum = 0, bad = 0;                                                             \
        for (uint32_t r = 1; r <= n; r++) {                                                    \
            if (who != ROLE_PONG) {                                                            \
                write_ping(&p->ping, r);                                                       \
                PUBLISH_##v(&p->ping, r);                                                      \
            }                                                                                  \
            if (who != ROLE_PING) {                                                            \
                AWAIT_##v(&p->ping, r);                                                        \
                bad += answer(&p->ping, &p->pong, r);                                          \
                PUBLISH_##v(&p->pong, r);                                                      \
            }                                                                                  \
            fb_stress_point();                                                                 \
            if (who != ROLE_PONG) {                                                            \
                AWAIT_##v(&p->pong, r);                                                        \
                bad += take_reply(&p->pong, r, &sum);                                          \
            }                                                                                  \
        }                                                                                      \
        if (who == ROLE_PONG) {                                                                \
            p->pong_errors = bad;                                                              \
        } else {                                                                               \
            p->sum = sum, p->errors = bad, p->rounds = n;                                      \
        }                                                                                      \
    }
PAYLOAD_PROTOCOL(release_acquire)
PAYLOAD_PROTOCOL(seq_cst)
PAYLOAD_PROTOCOL(fences)

FB_HOT void message_passing_relaxed(pair *p, role who, uint32_t n)
{
    uint64_t sum = 0, bad = 0;
    for (uint32_t r = 1; r <= n; r++) {
        if (who != ROLE_PONG) PUBLISH_relaxed(&p->ping, r);
        if (who != ROLE_PING) {
            AWAIT_relaxed(&p->ping, r); /* the ping is r, by construction of AWAIT */
            PUBLISH_relaxed(&p->pong, r);
        }
        fb_stress_point();
        if (who != ROLE_PONG) {
            AWAIT_relaxed(&p->pong, r);
            sum += r;
        }
    }
    if (who == ROLE_PONG) {
        p->pong_errors = bad;
    } else {
        p->sum = sum, p->errors = bad, p->rounds = n;
    }
}

/* ---- threads ------------------------------------------------------------------- */
typedef void (*protocol_fn)(pair *, role, uint32_t);

typedef struct {
    uint32_t n;
    int threads, groups; /* groups = pairs + (a solo thread if threads is odd) */
    pair *pairs;
    team *team;
    protocol_fn fn;
    bool payload; /* false for relaxed: the sum is of the round numbers */
} state;

static void work(void *arg, int tid, int nt)
{
    state *st = arg;
    int g = tid / 2;
    role who = (tid == nt - 1 && nt % 2) ? ROLE_SOLO : tid % 2 ? ROLE_PONG : ROLE_PING;
    st->fn(&st->pairs[g], who, st->n);
}

#define RUNNER(v)                                                                              \
    static void run_##v(void *p)                                                               \
    {                                                                                          \
        state *st = p;                                                                         \
        st->fn = message_passing_##v;                                                          \
        team_run(st->team, work, st);                                                          \
    }
RUNNER(relaxed) RUNNER(release_acquire) RUNNER(seq_cst) RUNNER(fences)

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    if (ctx->n > 0x7fffffffu) {
        fprintf(stderr, "atomics/message_passing: n must be below 2^31\n");
        exit(2);
    }
    st->n = (uint32_t)ctx->n;
    st->threads = ctx->threads;
    st->groups = (st->threads + 1) / 2;
    st->pairs = fb_calloc((size_t)st->groups, sizeof *st->pairs);
    int cpus[1024];
    spin_limit = st->threads > team_allowed_cpus(cpus, 1024) ? SPIN_LIMIT_OVERSUBSCRIBED : SPIN_LIMIT;
    st->team = team_create_spread(st->threads);
    return st;
}

static void prepare(void *p, const fb_variant *v)
{
    state *st = p;
    for (int g = 0; g < st->groups; g++) {
        pair *q = &st->pairs[g];
        atomic_store_explicit(&q->ping.seq, 0, memory_order_relaxed);
        atomic_store_explicit(&q->pong.seq, 0, memory_order_relaxed);
        atomic_store_explicit(&q->ping.waiting, 0, memory_order_relaxed);
        atomic_store_explicit(&q->pong.waiting, 0, memory_order_relaxed);
        q->ping.parks = q->pong.parks = 0;
        memset(q->ping.payload, 0, sizeof q->ping.payload);
        memset(q->pong.payload, 0, sizeof q->pong.payload);
        q->sum = q->errors = q->rounds = q->pong_errors = 0;
    }
    st->payload = strcmp(v->name, "relaxed") != 0;
}

static uint64_t reference_sum(const state *st)
{
    uint64_t sum = 0;
    for (uint32_t r = 1; r <= st->n; r++) {
        if (!st->payload) {
            sum += r;
            continue;
        }
        for (int w = 0; w < PAYLOAD_WORDS; w++) sum += reply_word(ping_word(r, w));
    }
    return sum;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    uint64_t want = reference_sum(st);
    for (int g = 0; g < st->groups; g++) {
        const pair *q = &st->pairs[g];
        if (q->errors || q->pong_errors) {
            snprintf(why, len, "pair %d: %llu stale or torn payload words seen by the pinger, %llu by the ponger",
                     g, (unsigned long long)q->errors, (unsigned long long)q->pong_errors);
            return false;
        }
        if (q->rounds != st->n || q->sum != want) {
            snprintf(why, len, "pair %d: %llu round trips with reply sum %016llx, expected %u and %016llx", g,
                     (unsigned long long)q->rounds, (unsigned long long)q->sum, st->n,
                     (unsigned long long)want);
            return false;
        }
    }
    return true;
}

FB_CHECKSUM(&st->pairs[0].sum, sizeof st->pairs[0].sum)

static double items(void *p)
{
    state *st = p;
    return (double)st->n * st->groups;
}

static void report(void *p, const fb_variant *v, fb_json *out)
{
    (void)v;
    state *st = p;
    fb_json_int(out, "pairs", st->threads / 2);
    fb_json_int(out, "solo", st->threads % 2);
    long long parks = 0;
    for (int g = 0; g < st->groups; g++) parks += st->pairs[g].ping.parks + st->pairs[g].pong.parks;
    fb_json_int(out, "parks", parks);
}

static void teardown(void *p)
{
    state *st = p;
    team_destroy(st->team);
    free(st->pairs);
    free(st);
}

static const fb_variant variants[] = {
    {"relaxed", run_relaxed, 0, "message in the flag word itself: relaxed is enough, plain mov"},
    {"release_acquire", run_release_acquire, 0, "store-release/load-acquire: plain mov on x86, stlr/ldar on aarch64"},
    {"seq_cst", run_seq_cst, 0, "seq_cst store: mov+mfence (gcc) or xchg (clang) on x86"},
    {"fences", run_fences, 0, "relaxed flag + atomic_thread_fence: no code on x86, dmb on aarch64"},
};

static const fb_kernel kernel = {
    .family = "atomics",
    .name = "message_passing",
    .summary = "flag + payload ping-pong: relaxed word, release/acquire, seq_cst, fences",
    .unit = "round trips",
    .concurrent = true,
    .sizes = {2003, 30001, 100000},
    .reps = {1, 5, 5},
    FB_HOOKS(setup, prepare, check, checksum, items, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
