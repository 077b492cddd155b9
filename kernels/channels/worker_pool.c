/* channels/worker_pool: a dispatcher hands n jobs to a pool of workers over
 * one shared channel; results come back over another.
 *
 * flagbench-sources: ../common/team.c lib/flow.c lib/chan_mutex.c lib/chan_array.c lib/chan_list.c
 *
 * What it shows
 *   The job channel has one sender and W receivers (the workers compete for
 *   jobs, so a worker that got cheap jobs simply takes more: dynamic load
 *   balancing); the result channel has W senders and one receiver.  Jobs cost
 *   1 to 8 rounds of mixing (lib/work.h), a few nanoseconds, so the channel
 *   operations dominate.  The variants are the channel implementation
 *   (lib/chan.h), used for both channels:
 *   - mutex: bounded ring (256) under a mutex with condition variables:
 *            two lock round trips per message, contended threads sleep in the
 *            kernel.  Expect the slowest, and the most even split of jobs.
 *   - array: bounded lock-free ring (256 cells): one CAS per operation and
 *            back-pressure (the dispatcher parks when the job channel is
 *            full); the split of jobs follows the scheduler.
 *   - list:  unbounded lock-free block list: the dispatcher never blocks, the
 *            queue grows (one allocation per 31 messages).  Expect the least
 *            even split.
 *   array and list should both be clearly faster than mutex; which wins
 *   depends on how often threads park, that is on the machine and its load.
 * Threads: --threads N gives N workers (at least 1) plus the dispatcher and
 *   the collector, so the default (N = CPUs) oversubscribes the machine and
 *   blocked threads must park.  Threads are created in setup (common/team.h);
 *   waking them and creating the channels is timed.  The hot function
 *   worker_pool_<variant> is one team member's job (0 collects, 1
 *   dispatches, the others work; lib/flow.h).
 * Extra output: fairness_min_max = fewest / most jobs handled by one worker
 *   (1 = perfectly even); min_jobs and max_jobs.
 * Sizes: test 3001, train 30011, ref 80000 jobs of 16 bytes; bounded
 *   channels hold 256 (L1), the list channel may hold all n (L2/L3).
 * Sensitive to: lto most (the channel operations are in lib/chan_*.c, so
 *   without LTO each message costs calls; with it they can be inlined),
 *   compiler and opt a little; march not at all; the machine's load a lot.
 * Correctness: the collector marks each job id in a byte map; check() demands
 *   every id exactly once, every worker's results in increasing id order (the
 *   channels are FIFO), the per-worker counts summing to n, and the sum and
 *   xor of the results equal to a plain recomputation.  The checksum (count,
 *   sum, xor) is the same for every variant and thread count.
 */
#include "harness.h"

#include "lib/flow.h"

/* The plain flow (lib/flow.h): one shared job channel. */
FLOW_VARIANTS(worker_pool, 0)

static void *setup(const fb_ctx *ctx) { return flow_setup(ctx, ctx->threads > 1 ? ctx->threads : 1, 0); }

static void report(void *p, const fb_variant *v, fb_json *out)
{
    (void)v;
    ch_flow *f = p;
    uint64_t lo, hi;
    flow_handled_range(f, &lo, &hi);
    fb_json_int(out, "workers", f->workers);
    fb_json_int(out, "min_jobs", (long long)lo);
    fb_json_int(out, "max_jobs", (long long)hi);
    fb_json_num(out, "fairness_min_max", hi ? (double)lo / (double)hi : 1.0);
}

static const fb_kernel kernel = {
    .family = "channels",
    .name = "worker_pool",
    .summary = "dispatcher -> shared job channel -> N workers -> result channel -> collector",
    .unit = "jobs",
    FLOW_KERNEL_FIELDS,
};

FB_KERNEL_MAIN(kernel)
