/* channels/pipeline: a three-stage pipeline, source -> transform -> sink,
 * connected by two channels.
 *
 * flagbench-sources: lib/team.c lib/chan_mutex.c lib/chan_array.c lib/chan_list.c
 *
 * What it shows
 *   Stage 1 (one thread) generates n items; stage 2 (S threads) transforms
 *   each (1 to 8 rounds of mixing, lib/work.h); stage 3 (one thread, the
 *   caller) folds the results.  With S = 1 every channel is single-producer
 *   single-consumer and the pipeline preserves order; with S > 1 the first
 *   channel fans out to competing receivers and the second fans in.  A
 *   pipeline runs at the speed of its slowest stage; here the stages are
 *   cheap, so what is measured is the cost of moving a message from core to
 *   core and of waking a stage that went to sleep.  Variants are the channel
 *   implementation (lib/chan.h), used for both channels:
 *   - mutex: bounded ring (256) under a mutex with condition variables: two
 *            lock round trips per item per hop, and when a stage outruns the
 *            next it sleeps in the kernel.  Expect the slowest.
 *   - array: bounded lock-free array channel (256 slots): a full channel
 *            throttles the source (back-pressure) and keeps the pipeline's
 *            working set small, at the price of parking the source.
 *   - list:  unbounded lock-free block list: no back-pressure, the source can
 *            run ahead and the queue between stages grows, costing an
 *            allocation per 31 items and cache misses on old blocks.
 *   array and list should both be several times faster than mutex; which of
 *   the two wins depends on how often a stage must park (array parks the
 *   source when it runs ahead, list never does), i.e. on the machine's load.
 * Threads: --threads N runs S = max(1, N-2) transform threads plus the source
 *   and the sink (default N = 2: three threads on two cores, so some stage is
 *   always waiting for a core).  Threads are created in setup and parked
 *   between repetitions; waking them and creating the channels is timed.  The
 *   hot function pipeline_<variant> is one team member's job (0 = sink,
 *   1 = source, 2.. = transform).
 * Extra output: fairness_min_max = fewest / most items transformed by one
 *   stage-2 thread (1 when S = 1); stage2 = S.
 * Sizes: test 3001, train 30011, ref 80000 items of 16 bytes.  Bounded
 *   channels hold 4 KiB (L1); the list channel may hold most of the items
 *   (about 1.3 MB at ref, L2/L3).
 * Sensitive to: lto (channel operations live in lib/chan_*.c), compiler and
 *   opt mildly, the machine's load strongly; march not at all.
 * Correctness: the sink marks each id in a byte map and checks that each
 *   transform thread's items arrive in increasing id order (FIFO channels:
 *   with S = 1, total order).  check() demands every id exactly once, no
 *   disorder, and the sum and xor of the folded results equal to a plain
 *   recomputation; the checksum hashes count, sum and xor, independent of the
 *   channel and the thread count.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "lib/chan.h"
#include "lib/team.h"
#include "lib/work.h"

enum { CAPACITY = 256 };

typedef struct sstat {
    _Alignas(64) uint64_t handled;
} sstat;

typedef struct state {
    size_t n;
    uint64_t seed;
    int stage2; /* transform threads */
    team *team;
    void *first, *second; /* source -> transform, transform -> sink */
    uint8_t *seen;
    uint64_t *last; /* per transform thread: last id the sink saw from it */
    sstat *ss;
    uint64_t count, dup, disorder, sum, xor;
} state;

/* The sink's fold: a cheap function of the transformed value. */
static inline uint64_t fold(uint64_t y) { return (y ^ (y >> 17)) * 0x9e3779b97f4a7c15ull; }

#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE void sink(state *st, chan_kind k)
{
    uint64_t count = 0, dup = 0, disorder = 0, sum = 0, x = 0;
    chan_msg m;
    while (ch_recv(k, st->second, &m)) {
        uint64_t id = m.a & ID_MASK;
        unsigned w = (unsigned)(m.a >> ID_BITS);
        if (id < st->n && w < (unsigned)st->stage2) {
            dup += st->seen[id];
            st->seen[id] = 1;
            disorder += st->last[w] != UINT64_MAX && id <= st->last[w];
            st->last[w] = id;
        } else {
            dup++;
        }
        uint64_t z = fold(m.b);
        count++;
        sum += z;
        x ^= z;
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
    for (size_t i = 0; i < st->n; i++) {
        ch_send(k, st->first, (chan_msg){i, ch_payload(i, st->seed)});
        fb_stress_point();
    }
    ch_sender_done(k, st->first);
}

ALWAYS_INLINE void transform(state *st, int w, chan_kind k)
{
    uint64_t handled = 0;
    chan_msg m;
    while (ch_recv(k, st->first, &m)) {
        ch_send(k, st->second, (chan_msg){m.a | (uint64_t)w << ID_BITS, ch_work(m.b)});
        handled++;
        fb_stress_point();
    }
    ch_sender_done(k, st->second);
    st->ss[w].handled = handled;
}

ALWAYS_INLINE void pipeline_body(state *st, int idx, chan_kind k)
{
    if (idx == 0) sink(st, k);
    else if (idx == 1) source(st, k);
    else transform(st, idx - 2, k);
}

FB_HOT void pipeline_mutex(void *arg, int idx) { pipeline_body(arg, idx, CH_MUTEX); }
FB_HOT void pipeline_array(void *arg, int idx) { pipeline_body(arg, idx, CH_ARRAY); }
FB_HOT void pipeline_list(void *arg, int idx) { pipeline_body(arg, idx, CH_LIST); }

ALWAYS_INLINE void run_pipeline(state *st, chan_kind k, team_fn fn)
{
    st->first = ch_new(k, CAPACITY, 1);
    st->second = ch_new(k, CAPACITY, st->stage2);
    team_run(st->team, st->stage2 + 2, fn, st);
    ch_free(k, st->first);
    ch_free(k, st->second);
}

static void run_mutex(void *p) { run_pipeline(p, CH_MUTEX, pipeline_mutex); }
static void run_array(void *p) { run_pipeline(p, CH_ARRAY, pipeline_array); }
static void run_list(void *p) { run_pipeline(p, CH_LIST, pipeline_list); }

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    st->seed = ctx->seed;
    st->stage2 = ctx->threads > 3 ? ctx->threads - 2 : 1;
    st->seen = fb_calloc(st->n, 1);
    st->last = fb_calloc((size_t)st->stage2, sizeof *st->last);
    st->ss = fb_calloc((size_t)st->stage2, sizeof *st->ss);
    st->team = team_create(st->stage2 + 2);
    return st;
}

static void prepare(void *p, const fb_variant *v)
{
    (void)v;
    state *st = p;
    memset(st->seen, 0, st->n);
    for (int w = 0; w < st->stage2; w++) {
        st->last[w] = UINT64_MAX;
        st->ss[w].handled = 0;
    }
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    uint64_t sum = 0, x = 0, handled = 0;
    for (size_t i = 0; i < st->n; i++) {
        uint64_t z = fold(ch_work(ch_payload(i, st->seed)));
        sum += z;
        x ^= z;
        if (!st->seen[i]) {
            snprintf(why, len, "item %zu never reached the sink", i);
            return false;
        }
    }
    for (int w = 0; w < st->stage2; w++) handled += st->ss[w].handled;
    if (st->count != st->n || st->dup || st->disorder || handled != st->n || st->sum != sum || st->xor != x) {
        snprintf(why, len,
                 "%llu items reached the sink of %zu, %llu duplicated or foreign, %llu out of order, "
                 "stage 2 handled %llu, sum %s, xor %s",
                 (unsigned long long)st->count, st->n, (unsigned long long)st->dup,
                 (unsigned long long)st->disorder, (unsigned long long)handled,
                 st->sum == sum ? "ok" : "differs", st->xor == x ? "ok" : "differs");
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
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int w = 0; w < st->stage2; w++) {
        uint64_t h = st->ss[w].handled;
        lo = h < lo ? h : lo;
        hi = h > hi ? h : hi;
    }
    fb_json_int(out, "stage2", st->stage2);
    fb_json_num(out, "fairness_min_max", hi ? (double)lo / (double)hi : 1.0);
}

static void teardown(void *p)
{
    state *st = p;
    team_destroy(st->team);
    free(st->seen);
    free(st->last);
    free(st->ss);
    free(st);
}

static const fb_variant variants[] = {
    {"mutex", run_mutex, 0, "mutex + condition variable channels (bounded, 256)"},
    {"array", run_array, 0, "lock-free bounded array channels (crossbeam array flavour, 256)"},
    {"list", run_list, 0, "lock-free unbounded block-list channels (crossbeam list flavour)"},
};

static const fb_kernel kernel = {
    .family = "channels",
    .name = "pipeline",
    .summary = "three-stage pipeline: source -> transform (S threads) -> sink over two channels",
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
