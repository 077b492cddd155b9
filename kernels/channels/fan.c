/* channels/fan: fan-out over per-worker channels, fan-in over one shared
 * channel.
 *
 * flagbench-sources: lib/team.c lib/chan_mutex.c lib/chan_array.c lib/chan_list.c
 *
 * What it shows
 *   A source deals item i to worker i mod K, each worker over its own channel
 *   (fan-out: K single-producer single-consumer channels, a static split);
 *   the K workers transform their items (1 to 8 rounds of mixing,
 *   lib/work.h) and all send to one channel read by the sink (fan-in: K
 *   producers contending on one channel).  Unlike channels/worker_pool, where
 *   workers compete for jobs, here every worker gets exactly its share, so a
 *   worker that is slow or preempted holds the others up (the source blocks
 *   on its full channel), and the fan-in channel decides who gets to send.
 *   Variants are the channel implementation (lib/chan.h), used everywhere:
 *   - mutex: bounded rings (256) under mutexes with condition variables; the
 *            fan-in mutex is the point of contention.  Expect the slowest.
 *   - array: bounded lock-free array channels (256 slots); contention on the
 *            fan-in tail is one CAS per message, and a full input channel
 *            parks the source until its worker catches up.
 *   - list:  unbounded lock-free block lists: the source never blocks, so the
 *            static split no longer makes it wait for the slowest worker, at
 *            the price of memory that grows with the backlog; workers then
 *            finish at different times (lower fairness_min_max).
 *   array and list should both be faster than mutex; which of the two
 *   wins depends on how often threads park, i.e. on the machine's load.
 * Threads: --threads N gives K = N workers (at least 1) plus the source and
 *   the sink: N+2 threads (default N = 2: four threads on two cores).  Threads
 *   are created in setup and parked between repetitions; waking them and
 *   creating the channels is timed.  The hot function fan_<variant> is one
 *   team member's job (0 = sink, 1 = source, 2.. = workers).
 * Extra output: fairness_min_max = slowest / fastest worker throughput, a
 *   worker's throughput being its items divided by the time from the start of
 *   the run to its last send (each worker gets the same number of items, so
 *   this is the spread of finishing times; 1 = all finish together); workers.
 * Sizes: test 3001, train 30011, ref 80000 items of 16 bytes.  Bounded
 *   channels hold 4 KiB each (L1/L2 together); list channels may hold most
 *   items (about 1.3 MB at ref, L2/L3).
 * Sensitive to: lto (channel operations live in lib/chan_*.c), compiler and
 *   opt mildly, the machine's load strongly; march not at all.
 * Correctness: the sink marks each id in a byte map and checks that each
 *   worker's items arrive in increasing id order (FIFO channels); check()
 *   demands every id exactly once, each worker handling exactly its share,
 *   no disorder, and the sum and xor of the results equal to a plain
 *   recomputation.  The checksum hashes count, sum and xor: independent of the
 *   channel and the thread count.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "lib/chan.h"
#include "lib/team.h"
#include "lib/work.h"

enum { CAPACITY = 256 };

typedef struct wstat {
    _Alignas(64) uint64_t handled;
    uint64_t span_ns; /* from the run's start to this worker's last send */
} wstat;

typedef struct state {
    size_t n;
    uint64_t seed;
    int workers;
    team *team;
    void **in; /* per worker */
    void *out;
    uint64_t start_ns;
    uint8_t *seen;
    uint64_t *last;
    wstat *ws;
    uint64_t count, dup, disorder, sum, xor;
} state;

#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE void sink(state *st, chan_kind k)
{
    uint64_t count = 0, dup = 0, disorder = 0, sum = 0, x = 0;
    chan_msg m;
    while (ch_recv(k, st->out, &m)) {
        uint64_t id = m.a & ID_MASK;
        unsigned w = (unsigned)(m.a >> ID_BITS);
        if (id < st->n && w < (unsigned)st->workers) {
            dup += st->seen[id];
            st->seen[id] = 1;
            disorder += st->last[w] != UINT64_MAX && id <= st->last[w];
            st->last[w] = id;
        } else {
            dup++;
        }
        count++;
        sum += m.b;
        x ^= m.b;
        fb_stress_point();
    }
    st->count = count;
    st->dup = dup;
    st->disorder = disorder;
    st->sum = sum;
    st->xor = x;
}

ALWAYS_INLINE void source(state *st, chan_kind k)
{
    const int K = st->workers;
    int w = 0;
    for (size_t i = 0; i < st->n; i++) {
        ch_send(k, st->in[w], (chan_msg){i, ch_payload(i, st->seed)});
        if (++w == K) w = 0;
        fb_stress_point();
    }
    for (int j = 0; j < K; j++) ch_sender_done(k, st->in[j]);
}

ALWAYS_INLINE void worker(state *st, int w, chan_kind k)
{
    uint64_t handled = 0;
    chan_msg m;
    while (ch_recv(k, st->in[w], &m)) {
        ch_send(k, st->out, (chan_msg){m.a | (uint64_t)w << ID_BITS, ch_work(m.b)});
        handled++;
        fb_stress_point();
    }
    st->ws[w].span_ns = fb_now_ns() - st->start_ns;
    ch_sender_done(k, st->out);
    st->ws[w].handled = handled;
}

ALWAYS_INLINE void fan_body(state *st, int idx, chan_kind k)
{
    if (idx == 0) sink(st, k);
    else if (idx == 1) source(st, k);
    else worker(st, idx - 2, k);
}

FB_HOT void fan_mutex(void *arg, int idx) { fan_body(arg, idx, CH_MUTEX); }
FB_HOT void fan_array(void *arg, int idx) { fan_body(arg, idx, CH_ARRAY); }
FB_HOT void fan_list(void *arg, int idx) { fan_body(arg, idx, CH_LIST); }

ALWAYS_INLINE void run_fan(state *st, chan_kind k, team_fn fn)
{
    for (int w = 0; w < st->workers; w++) st->in[w] = ch_new(k, CAPACITY, 1);
    st->out = ch_new(k, CAPACITY, st->workers);
    st->start_ns = fb_now_ns();
    team_run(st->team, st->workers + 2, fn, st);
    for (int w = 0; w < st->workers; w++) ch_free(k, st->in[w]);
    ch_free(k, st->out);
}

static void run_mutex(void *p) { run_fan(p, CH_MUTEX, fan_mutex); }
static void run_array(void *p) { run_fan(p, CH_ARRAY, fan_array); }
static void run_list(void *p) { run_fan(p, CH_LIST, fan_list); }

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    st->seed = ctx->seed;
    st->workers = ctx->threads > 1 ? ctx->threads : 1;
    st->in = fb_calloc((size_t)st->workers, sizeof *st->in);
    st->seen = fb_calloc(st->n, 1);
    st->last = fb_calloc((size_t)st->workers, sizeof *st->last);
    st->ws = fb_calloc((size_t)st->workers, sizeof *st->ws);
    st->team = team_create(st->workers + 2);
    return st;
}

static void prepare(void *p, const fb_variant *v)
{
    (void)v;
    state *st = p;
    memset(st->seen, 0, st->n);
    for (int w = 0; w < st->workers; w++) {
        st->last[w] = UINT64_MAX;
        st->ws[w].handled = st->ws[w].span_ns = 0;
    }
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    uint64_t sum = 0, x = 0;
    for (size_t i = 0; i < st->n; i++) {
        uint64_t r = ch_work(ch_payload(i, st->seed));
        sum += r;
        x ^= r;
        if (!st->seen[i]) {
            snprintf(why, len, "item %zu never reached the sink", i);
            return false;
        }
    }
    for (int w = 0; w < st->workers; w++) {
        size_t K = (size_t)st->workers, share = (size_t)w < st->n ? (st->n - (size_t)w + K - 1) / K : 0;
        if (st->ws[w].handled != share) {
            snprintf(why, len, "worker %d handled %llu items, not its share %llu", w,
                     (unsigned long long)st->ws[w].handled, (unsigned long long)share);
            return false;
        }
    }
    if (st->count != st->n || st->dup || st->disorder || st->sum != sum || st->xor != x) {
        snprintf(why, len,
                 "%llu items reached the sink of %zu, %llu duplicated or foreign, %llu out of order, "
                 "sum %s, xor %s",
                 (unsigned long long)st->count, st->n, (unsigned long long)st->dup,
                 (unsigned long long)st->disorder, st->sum == sum ? "ok" : "differs",
                 st->xor == x ? "ok" : "differs");
        return false;
    }
    return true;
}

static uint64_t checksum(void *p)
{
    state *st = p;
    uint64_t t[3] = {st->count, st->sum, st->xor};
    return fb_hash_bytes(t, sizeof t, FB_HASH_INIT);
}

static void report(void *p, const fb_variant *v, fb_json *out)
{
    (void)v;
    state *st = p;
    double lo = 0, hi = 0;
    for (int w = 0; w < st->workers; w++) {
        uint64_t span = st->ws[w].span_ns ? st->ws[w].span_ns : 1;
        double rate = (double)st->ws[w].handled / (double)span;
        if (w == 0 || rate < lo) lo = rate;
        if (w == 0 || rate > hi) hi = rate;
    }
    fb_json_int(out, "workers", st->workers);
    fb_json_num(out, "fairness_min_max", hi > 0 ? lo / hi : 1.0);
}

static void teardown(void *p)
{
    state *st = p;
    team_destroy(st->team);
    free(st->in);
    free(st->seen);
    free(st->last);
    free(st->ws);
    free(st);
}

static const fb_variant variants[] = {
    {"mutex", run_mutex, 0, "mutex + condition variable channels (bounded, 256)"},
    {"array", run_array, 0, "lock-free bounded array channels (crossbeam array flavour, 256)"},
    {"list", run_list, 0, "lock-free unbounded block-list channels (crossbeam list flavour)"},
};

static const fb_kernel kernel = {
    .family = "channels",
    .name = "fan",
    .summary = "fan-out to per-worker channels, fan-in over one shared channel",
    .unit = "items",
    .sizes = {3001, 30011, 80000},
    .reps = {1, 5, 5},
    .concurrent = true,
    .setup = setup,
    .prepare = prepare,
    .check = check,
    .checksum = checksum,
    .report = report,
    .teardown = teardown,
    .variants = variants,
    .variant_count = FB_COUNT(variants),
};

FB_KERNEL_MAIN(kernel)
