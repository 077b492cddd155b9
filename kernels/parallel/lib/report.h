/* parallel/lib/report.h: the pool counters in a kernel's JSON line.
 *
 * A kernel keeps a pool_stats snapshot and a call counter in its state and
 * calls par_report from its report callback.  The harness calls report once
 * per variant, after that variant's warm-up and timed repetitions, so the
 * numbers are totals over those `calls` (setup's first-touch work excluded:
 * the snapshot is taken at the end of setup).  Only pool variants print them;
 * the snapshot advances for every variant. */
#ifndef FLAGBENCH_PARALLEL_REPORT_H
#define FLAGBENCH_PARALLEL_REPORT_H

#include <string.h>

#include "harness.h"
#include "pool.h"

typedef struct par_counters {
    pool_stats snap;
    unsigned long calls, calls_snap;
} par_counters;

static inline void par_report(fb_json *out, const fb_variant *v, const pool *p, par_counters *c)
{
    pool_stats d = pool_stats_since(p, &c->snap);
    unsigned long calls = c->calls - c->calls_snap;
    c->calls_snap = c->calls;
    if (strncmp(v->name, "pool", 4) != 0) return;
    fb_json_int(out, "calls", (long long)calls);
    fb_json_int(out, "tasks", (long long)d.tasks);
    fb_json_int(out, "steals", (long long)d.steals);
    fb_json_int(out, "parks", (long long)d.parks);
    fb_json_int(out, "deque_grows", (long long)d.grows);
}

#endif
