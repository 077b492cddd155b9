/* The runner: fb_main, and per variant the warm-up, the timed samples, the
 * check and the JSON line.  See harness.h for the contract and
 * docs/kernel-contract.md for the command line and the timing model. */
#include "runner_parts.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- dispatch notes ------------------------------------------------------ */

enum { DISPATCH_MAX = 8 };
static const char *dispatch_notes[DISPATCH_MAX];
static int dispatch_count;

void fb_note_dispatch(const char *symbol)
{
    if (!symbol || !*symbol) return;
    for (int i = 0; i < dispatch_count; i++)
        if (dispatch_notes[i] == symbol || !strcmp(dispatch_notes[i], symbol)) return;
    if (dispatch_count < DISPATCH_MAX) dispatch_notes[dispatch_count++] = symbol;
}

static void json_dispatch(fb_json *j)
{
    if (!dispatch_count) return;
    char joined[512] = "";
    size_t used = 0;
    for (int i = 0; i < dispatch_count && used < sizeof joined; i++)
        used += (size_t)snprintf(joined + used, sizeof joined - used, "%s%s", i ? "," : "", dispatch_notes[i]);
    fb_json_str(j, "dispatch", joined);
}

/* ---- timing ---------------------------------------------------------------- */

typedef struct timing_plan {
    long batches;    /* timed samples */
    long batch_reps; /* repetitions per sample */
} timing_plan;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Time of `count` back-to-back repetitions, the timer's cost left out. */
static double time_batch(const fb_variant *v, void *st, long count, const fb_timer *tm)
{
    fb_clobber();
    uint64_t t0 = fb_now_ns();
    for (long r = 0; r < count; r++) {
        v->run(st);
        fb_clobber();
    }
    uint64_t t1 = fb_now_ns();
    double ns = (double)(t1 - t0) - tm->overhead_ns;
    return ns > 0 ? ns : 0;
}

/* How many repetitions a sample needs to last timer_min_sample_ns: untimed
 * calibration batches (after the warm-up) double until one lasts a quarter
 * of it, and a sample gets 1.25x what that batch's rate predicts (costs at
 * most about 2x the target of extra, untimed repetitions).  A kernel
 * with prepare is timed one repetition a sample (prepare must stay outside
 * the clock), and so is a run without warm-up (it asked for cold
 * repetitions); such samples are flagged "quantized" when too short. */
static timing_plan plan_timing(const fb_kernel *k, const fb_variant *v, void *st, long reps,
                               long warmup, double first_rep_ns, const fb_timer *tm)
{
    timing_plan p = {reps, 1};
    double target = timer_min_sample_ns(tm);
    /* A warm-up repetition far beyond the target needs no batching; a
     * merely long one may have been interrupted, so one is timed again. */
    if (k->prepare || warmup == 0 || first_rep_ns >= 100 * target) return p;
    long count = 1;
    double t = time_batch(v, st, count, tm);
    while (t < target / 4 && count < (1L << 30)) {
        count *= 2;
        t = time_batch(v, st, count, tm);
    }
    if (t >= target && count == 1) return p;
    /* A batch the OS interrupted reads long, which would make every sample
     * too short: the rate comes from the fastest of three. */
    for (int i = 0; i < 2; i++) {
        double again = time_batch(v, st, count, tm);
        if (again < t) t = again;
    }
    double per_rep = t / (double)count;
    long b = per_rep > 0 ? (long)ceil(1.25 * target / per_rep) : count * 8;
    if (b < 1) b = 1;
    p.batch_reps = b;
    /* About as many repetitions as asked for, in at least min(reps, 5) samples. */
    long batches = (reps + b - 1) / b;
    long floor_batches = reps < 5 ? reps : 5;
    p.batches = batches > floor_batches ? batches : floor_batches;
    return p;
}

/* Runs one variant: warm-up, timed samples, optional check, JSON line.
 * Returns the exit status it contributes: 0, 1 (wrong) or 3 (unsupported). */
static int run_variant(const fb_kernel *k, const fb_variant *v, void *st, const fb_ctx *ctx,
                       const options *o, long reps, uint64_t setup_ns, const fb_timer *tm)
{
    fb_json j;
    json_begin(&j);
    char kname[128];
    snprintf(kname, sizeof kname, "%s/%s", k->family, k->name);
    fb_json_str(&j, "kernel", kname);
    fb_json_str(&j, "variant", v->name);
    fb_json_str(&j, "size", fb_size_names[ctx->size_class]);
    fb_json_int(&j, "n", (long long)ctx->n);
    fb_json_int(&j, "threads", ctx->threads);
    fb_json_str(&j, "fpenv", fb_fpenv());
    fb_json_int(&j, "stack_pad", o->stack_pad);

    if (!fb_cpu_has(v->isa)) {
        char need[256];
        fb_isa_names(v->isa & ~fb_cpu_features(), need, sizeof need);
        fb_json_str(&j, "status", "unsupported");
        json_bool_or_null(&j, "ok", -1);
        fb_json_str(&j, "error", need);
        json_end_line(&j);
        fprintf(stderr, "%s: variant %s needs %s, which this CPU lacks (or FLAGBENCH_ISA_MAX hides)\n",
                kname, v->name, need);
        return 3;
    }

    dispatch_count = 0;
    double first_rep_ns = INFINITY;
    for (long w = 0; w < o->warmup; w++) {
        if (k->prepare) k->prepare(st, v);
        double ns = time_batch(v, st, 1, tm);
        if (ns < first_rep_ns) first_rep_ns = ns;
    }
    timing_plan plan = plan_timing(k, v, st, reps, o->warmup, first_rep_ns, tm);
    double *samples = fb_alloc((size_t)plan.batches * sizeof *samples);
    for (long b = 0; b < plan.batches; b++) {
        if (k->prepare) k->prepare(st, v);
        samples[b] = time_batch(v, st, plan.batch_reps, tm) / (double)plan.batch_reps;
    }

    int status = 0;
    char why[512] = "";
    int ok = -1;
    if (o->check) {
        ok = k->check(st, v, why, sizeof why);
        if (!ok) {
            status = 1;
            if (!why[0]) snprintf(why, sizeof why, "result differs from the reference");
            fprintf(stderr, "%s: variant %s gives a wrong result: %s\n", kname, v->name, why);
        }
    }
    double items = k->items ? k->items(st) : (double)ctx->n;
    long n = plan.batches;
    double *sorted = fb_alloc((size_t)n * sizeof *sorted);
    memcpy(sorted, samples, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_double);
    double median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    /* A sample shorter than 1000 clock steps reads in coarse steps. */
    bool quantized = median * (double)plan.batch_reps < timer_min_sample_ns(tm);

    char sum[32];
    snprintf(sum, sizeof sum, "%016" PRIx64, k->checksum(st));
    fb_json_str(&j, "status", ok < 0 ? "unchecked" : ok ? "ok" : "wrong");
    json_bool_or_null(&j, "ok", ok);
    fb_json_str(&j, "checksum", sum);
    fb_json_num(&j, "items", items);
    fb_json_int(&j, "reps", (long long)(plan.batches * plan.batch_reps));
    fb_json_int(&j, "batches", plan.batches);
    fb_json_int(&j, "batch_reps", plan.batch_reps);
    json_ns(&j, "min_ns", round(sorted[0] * 100) / 100);
    json_ns(&j, "median_ns", round(median * 100) / 100);
    json_ns(&j, "max_ns", round(sorted[n - 1] * 100) / 100);
    fb_json_num(&j, "ns_per_item", items > 0 ? median / items : NAN);
    json_bool_or_null(&j, "quantized", quantized);
    fb_json_num(&j, "timer_resolution_ns", tm->resolution_ns);
    fb_json_num(&j, "timer_overhead_ns", round(tm->overhead_ns * 100) / 100);
    fb_json_int(&j, "setup_ns", (long long)setup_ns);
    if (ok == 0) fb_json_str(&j, "error", why);
    if (k->report) k->report(st, v, &j);
    json_dispatch(&j);
    if (o->samples) {
        json_key(&j, "samples_ns");
        json_raw(&j, "[");
        /* Full precision: a batch resolves a repetition to a clock step
         * divided by batch_reps, far finer than the rounded summaries. */
        for (long b = 0; b < n; b++) json_raw(&j, "%s%.9g", b ? "," : "", samples[b]);
        json_raw(&j, "]");
    }
    json_end_line(&j);
    free(sorted);
    free(samples);
    return status;
}

/* Everything after the command line; its frames lie below the stack pad. */
static __attribute__((noinline)) int run_kernel(const fb_kernel *k, const options *o)
{
    fb_ctx ctx = {.seed = o->seed, .stress = o->stress};
    ctx.size_class = parse_size(k, o->size, &ctx.n);
    ctx.threads = o->threads ? (int)o->threads : available_cpus();
    long reps = o->reps > 0 ? o->reps : k->reps[ctx.size_class == FB_SIZE_CUSTOM ? FB_SIZE_TRAIN : ctx.size_class];
    if (reps < 1) reps = 1;
    fb_stress_enabled = o->stress;
    if (o->pin) pin_to(k, o->pin);
    if (o->append && !json_append_to(o->append))
        usage_error(k, "cannot open --append file '%s': %s", o->append, strerror(errno));

    bool chosen[k->variant_count ? k->variant_count : 1];
    select_variants(k, o->variants, chosen);
    fb_timer tm = timer_calibrate();

    uint64_t t0 = fb_now_ns();
    void *st = k->setup(&ctx);
    uint64_t setup_ns = fb_now_ns() - t0;

    int worst = 0;
    size_t ran = 0, unsupported = 0;
    for (size_t i = 0; i < k->variant_count; i++) {
        if (!chosen[i]) continue;
        int s = run_variant(k, &k->variants[i], st, &ctx, o, reps, setup_ns, &tm);
        if (s == 3) unsupported++;
        else ran++;
        if (s == 1) worst = 1;
    }
    k->teardown(st);
    if (worst) return 1;
    /* Exit 3 only when nothing that was asked for could run. */
    if (unsupported && !ran) return 3;
    return 0;
}

int fb_main(const fb_kernel *k, int argc, char **argv)
{
    fb_fpenv_capture(); /* before anything can change it */
    options o = parse_args(k, argc, argv);
    if (o.list) {
        for (size_t i = 0; i < k->variant_count; i++) puts(k->variants[i].name);
        return 0;
    }
    if (o.describe) {
        describe(k);
        return 0;
    }
    if (o.clock) {
        print_clock();
        return 0;
    }
    /* --stack-pad: touched so it is really consumed; run_kernel's frames,
     * and with them the run loop's, start that much lower. */
    char *pad = __builtin_alloca((size_t)o.stack_pad);
    memset(pad, 0, (size_t)o.stack_pad);
    fb_escape(pad);
    int rc = run_kernel(k, &o);
    fb_escape(pad);
    return rc;
}
