/* channels/pipeline: a three-stage pipeline, source -> transform -> sink,
 * connected by two channels.
 *
 * flagbench-sources: ../common/team.c lib/flow.c lib/chan_mutex.c lib/chan_array.c lib/chan_list.c
 *
 * What it shows
 *   Stage 1 (one thread) generates n items; stage 2 (S threads) transforms
 *   each (1 to 8 rounds of mixing, lib/work.h); stage 3 (one thread, the
 *   caller) folds the results.  With S = 1 every channel is single-producer
 *   single-consumer and the pipeline preserves order; with S > 1 the first
 *   channel fans out to competing receivers and the second fans in.  A
 *   pipeline runs at the speed of its slowest stage; the stages are cheap,
 *   so this measures moving a message between cores and waking a stage.  Variants are the channel
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
 *   array and list should both be several times faster than mutex; which
 *   wins depends on how often a stage must park (array parks the source when
 *   it runs ahead, list never does), i.e. on the machine's load.
 * Threads: --threads N runs S = max(1, N-2) transform threads plus the source
 *   and the sink (default N = CPUs), created in setup (common/team.h); waking
 *   them and creating the channels is timed.  The hot function
 *   pipeline_<variant> is one team member's job (0 = sink, 1 = source, 2.. =
 *   transform) in the flow the channel kernels share (lib/flow.h).
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
 *   recomputation.  The checksum (count, sum, xor) is the same for every
 *   variant and thread count.
 */
#include "harness.h"

#include "lib/flow.h"

/* The flow of lib/flow.h with a folding sink: stage 2 are its workers. */
FLOW_VARIANTS(pipeline, FLOW_FOLD)

static void *setup(const fb_ctx *ctx)
{
    return flow_setup(ctx, ctx->threads > 3 ? ctx->threads - 2 : 1, FLOW_FOLD);
}

static void report(void *p, const fb_variant *v, fb_json *out)
{
    (void)v;
    ch_flow *f = p;
    uint64_t lo, hi;
    flow_handled_range(f, &lo, &hi);
    fb_json_int(out, "stage2", f->workers);
    fb_json_num(out, "fairness_min_max", hi ? (double)lo / (double)hi : 1.0);
}

static const fb_kernel kernel = {
    .family = "channels",
    .name = "pipeline",
    .summary = "three-stage pipeline: source -> transform (S threads) -> sink over two channels",
    .unit = "items",
    FLOW_KERNEL_FIELDS,
};

FB_KERNEL_MAIN(kernel)
