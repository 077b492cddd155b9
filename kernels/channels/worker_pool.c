/* channels/worker_pool: a dispatcher hands n jobs to a pool of workers over
 * one shared channel; results come back over another.
 *
 * flagbench-sources: lib/team.c lib/chan_mutex.c lib/chan_array.c lib/chan_list.c
 *
 * What it shows
 *   The job channel has one sender and W receivers (the workers compete for
 *   jobs, so a worker that got cheap jobs simply takes more: dynamic load
 *   balancing); the result channel has W senders and one receiver.  Jobs cost
 *   1 to 8 rounds of mixing (lib/work.h), a few nanoseconds, so the channel
 *   operations dominate.  The variants are the channel implementation
 *   (lib/chan.h), used for both channels:
 *   - mutex: bounded ring (256) under a mutex with condition variables.  Every
 *            message takes a lock twice; contended, threads sleep in the
 *            kernel and are woken one by one.  Expect the slowest, with the
 *            widest spread between runs, and usually the most even split of
 *            jobs: workers queue up on the condition variable and are served
 *            roughly in turn.
 *   - array: bounded lock-free array channel (256 slots, crossbeam "array"
 *            flavour): one CAS per operation, and back-pressure: the
 *            dispatcher parks when the job channel is full.  A worker that is
 *            running takes job after job while a parked one sleeps, so the
 *            split of jobs follows the scheduler: even while every worker has
 *            a core, uneven (and varying between runs) once they must share.
 *   - list:  unbounded lock-free block list (crossbeam "list" flavour): the
 *            dispatcher never blocks and can finish early, leaving a long
 *            queue that whichever worker is on a core drains; the queue grows
 *            (one allocation per 31 messages) and workers read cold blocks.
 *            Expect the least even split.
 *   array and list should both be clearly faster than mutex; which of
 *   the two wins depends on how often threads have to park (array parks the
 *   dispatcher, list never does), that is on the machine and its load.
 * Threads: --threads N gives N workers (at least 1) plus the dispatcher and
 *   the collector: N+2 threads, so the default (N = CPUs = 2) already
 *   oversubscribes this 2-core machine and blocked threads must park.  The
 *   threads are created in setup and parked between repetitions (waking them
 *   is timed, creating them is not); the channels are created and freed inside
 *   the timed run (a few microseconds).  The hot function
 *   worker_pool_<variant> is one team member's job: member 0 collects, 1
 *   dispatches, the others work.
 * Extra output: fairness_min_max = fewest / most jobs handled by one worker
 *   (1 = perfectly even); min_jobs and max_jobs.  Throughput is
 *   1e9 / ns_per_item jobs per second.
 * Sizes: test 3001, train 30011, ref 80000 jobs.  A message is 16 bytes;
 *   the bounded channels hold 256 of them (4 KiB plus stamps: L1); the list
 *   channel may hold all n (about 1.3 MB at ref: L2/L3).
 * Sensitive to: lto most (the channel operations are in lib/chan_*.c, so
 *   without LTO each message costs calls; with it they can be inlined),
 *   compiler and opt a little; march not at all; the machine's load a lot.
 * Correctness: the collector marks each job id in a byte map; check() demands
 *   every id exactly once, every worker's results in increasing id order (the
 *   channels are FIFO), the per-worker counts summing to n, and the sum and
 *   xor of the results equal to a plain recomputation.  The checksum hashes
 *   count, sum and xor: independent of the channel and the thread count.
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
} wstat;

typedef struct state {
    size_t n;
    uint64_t seed;
    int workers;
    team *team;
    void *jobs, *results; /* this repetition's channels */
    uint8_t *seen;        /* by job id */
    uint64_t *last;       /* per worker: last id the collector saw from it */
    wstat *ws;
    /* the collector's totals */
    uint64_t count, dup, disorder, sum, xor;
} state;

#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE void collector(state *st, chan_kind k)
{
    uint64_t count = 0, dup = 0, disorder = 0, sum = 0, x = 0;
    chan_msg m;
    while (ch_recv(k, st->results, &m)) {
        uint64_t id = m.a & ID_MASK;
        unsigned w = (unsigned)(m.a >> ID_BITS);
        if (id < st->n && w < (unsigned)st->workers) {
            dup += st->seen[id];
            st->seen[id] = 1;
            disorder += st->last[w] != UINT64_MAX && id <= st->last[w];
            st->last[w] = id;
        } else {
            dup++; /* a message nobody sent */
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

ALWAYS_INLINE void dispatcher(state *st, chan_kind k)
{
    for (size_t i = 0; i < st->n; i++) {
        ch_send(k, st->jobs, (chan_msg){i, ch_payload(i, st->seed)});
        fb_stress_point();
    }
    ch_sender_done(k, st->jobs);
}

ALWAYS_INLINE void worker(state *st, int w, chan_kind k)
{
    uint64_t handled = 0;
    chan_msg m;
    while (ch_recv(k, st->jobs, &m)) {
        ch_send(k, st->results, (chan_msg){m.a | (uint64_t)w << ID_BITS, ch_work(m.b)});
        handled++;
        fb_stress_point();
    }
    ch_sender_done(k, st->results);
    st->ws[w].handled = handled;
}

ALWAYS_INLINE void pool_body(state *st, int idx, chan_kind k)
{
    if (idx == 0) collector(st, k);
    else if (idx == 1) dispatcher(st, k);
    else worker(st, idx - 2, k);
}

FB_HOT void worker_pool_mutex(void *arg, int idx) { pool_body(arg, idx, CH_MUTEX); }
FB_HOT void worker_pool_array(void *arg, int idx) { pool_body(arg, idx, CH_ARRAY); }
FB_HOT void worker_pool_list(void *arg, int idx) { pool_body(arg, idx, CH_LIST); }

ALWAYS_INLINE void run_pool(state *st, chan_kind k, team_fn fn)
{
    st->jobs = ch_new(k, CAPACITY, 1);
    st->results = ch_new(k, CAPACITY, st->workers);
    team_run(st->team, st->workers + 2, fn, st);
    ch_free(k, st->jobs);
    ch_free(k, st->results);
}

static void run_mutex(void *p) { run_pool(p, CH_MUTEX, worker_pool_mutex); }
static void run_array(void *p) { run_pool(p, CH_ARRAY, worker_pool_array); }
static void run_list(void *p) { run_pool(p, CH_LIST, worker_pool_list); }

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    st->seed = ctx->seed;
    st->workers = ctx->threads > 1 ? ctx->threads : 1;
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
        st->ws[w].handled = 0;
    }
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    uint64_t sum = 0, x = 0, handled = 0;
    for (size_t i = 0; i < st->n; i++) {
        uint64_t r = ch_work(ch_payload(i, st->seed));
        sum += r;
        x ^= r;
        if (!st->seen[i]) {
            snprintf(why, len, "job %zu never came back", i);
            return false;
        }
    }
    for (int w = 0; w < st->workers; w++) handled += st->ws[w].handled;
    if (st->count != st->n || st->dup || st->disorder || handled != st->n || st->sum != sum || st->xor != x) {
        snprintf(why, len,
                 "%llu results for %zu jobs, %llu duplicated or foreign, %llu out of order, "
                 "workers handled %llu, sum %s, xor %s",
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
    for (int w = 0; w < st->workers; w++) {
        uint64_t h = st->ws[w].handled;
        lo = h < lo ? h : lo;
        hi = h > hi ? h : hi;
    }
    fb_json_int(out, "workers", st->workers);
    fb_json_int(out, "min_jobs", (long long)lo);
    fb_json_int(out, "max_jobs", (long long)hi);
    fb_json_num(out, "fairness_min_max", hi ? (double)lo / (double)hi : 1.0);
}

static void teardown(void *p)
{
    state *st = p;
    team_destroy(st->team);
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
    .name = "worker_pool",
    .summary = "dispatcher -> shared job channel -> N workers -> result channel -> collector",
    .unit = "jobs",
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
