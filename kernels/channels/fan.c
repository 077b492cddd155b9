/* channels/fan: fan-out over per-worker channels, fan-in over one shared
 * channel.
 *
 * flagbench-sources: ../common/team.c lib/flow.c lib/chan_mutex.c lib/chan_array.c lib/chan_list.c
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
 *   array and list should both beat mutex; which of the two wins depends on
 *   how often threads park, i.e. on the machine's load.
 * Threads: --threads N gives K = N workers (at least 1) plus the source and
 *   the sink (default N = CPUs: two more threads than cores), created in
 *   setup (common/team.h); waking them and creating the channels is timed.
 *   The hot function fan_<variant> is one team member's job (0 = sink,
 *   1 = source, 2.. = workers) in the flow the channel kernels share
 *   (lib/flow.h).
 * Extra output: fairness_min_max, slowest / fastest worker throughput (the
 *   spread of finishing times; 1 = all finish together); workers.
 * Sizes: test 3001, train 30011, ref 80000 items of 16 bytes.  Bounded
 *   channels hold 4 KiB each (L1/L2 together); list channels may hold most
 *   items (about 1.3 MB at ref, L2/L3).
 * Sensitive to: lto (channel operations live in lib/chan_*.c), compiler and
 *   opt mildly, the machine's load strongly; march not at all.
 * Correctness: the sink marks each id in a byte map and checks that each
 *   worker's items arrive in increasing id order (FIFO channels); check()
 *   demands every id exactly once, each worker handling exactly its share,
 *   no disorder, and the sum and xor of the results equal to a plain
 *   recomputation.  The checksum (count, sum, xor) is the same for every
 *   variant and thread count.
 */
#include "harness.h"

#include "lib/flow.h"

/* The flow of lib/flow.h with one input channel per worker, and timed
 * workers for the fairness figure. */
enum { HOW = FLOW_FAN_OUT | FLOW_TIMED };
FLOW_VARIANTS(fan, HOW)

static void *setup(const fb_ctx *ctx) { return flow_setup(ctx, ctx->threads > 1 ? ctx->threads : 1, HOW); }

static void report(void *p, const fb_variant *v, fb_json *out)
{
    (void)v;
    ch_flow *f = p;
    double lo = 0, hi = 0;
    for (int w = 0; w < f->workers; w++) {
        uint64_t span = f->ws[w].span_ns ? f->ws[w].span_ns : 1;
        double rate = (double)f->ws[w].handled / (double)span;
        if (w == 0 || rate < lo) lo = rate;
        if (w == 0 || rate > hi) hi = rate;
    }
    fb_json_int(out, "workers", f->workers);
    fb_json_num(out, "fairness_min_max", hi > 0 ? lo / hi : 1.0);
}

static const fb_kernel kernel = {
    .family = "channels",
    .name = "fan",
    .summary = "fan-out to per-worker channels, fan-in over one shared channel",
    .unit = "items",
    FLOW_KERNEL_FIELDS,
};

FB_KERNEL_MAIN(kernel)
