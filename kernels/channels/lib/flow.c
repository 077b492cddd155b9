/* channels/lib/flow.c: the untimed harness callbacks of the channel
 * kernels' shared message flow; see flow.h. */
#include "lib/flow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ch_flow *flow_setup(const fb_ctx *ctx, int workers, int how)
{
    ch_flow *f = fb_calloc(1, sizeof *f);
    f->n = ctx->n;
    f->seed = ctx->seed;
    f->workers = workers;
    f->how = how;
    f->in = fb_calloc((size_t)workers, sizeof *f->in);
    f->seen = fb_calloc(f->n, 1);
    f->last = fb_calloc((size_t)workers, sizeof *f->last);
    f->ws = fb_calloc((size_t)workers, sizeof *f->ws);
    /* Unpinned (the caller is the sink): see common/team.h. */
    f->team = team_create(workers + 2, NULL);
    return f;
}

void flow_prepare(void *p, const fb_variant *v)
{
    (void)v;
    ch_flow *f = p;
    memset(f->seen, 0, f->n);
    for (int w = 0; w < f->workers; w++) {
        f->last[w] = UINT64_MAX;
        f->ws[w].handled = f->ws[w].span_ns = 0;
    }
}

bool flow_check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    ch_flow *f = p;
    uint64_t sum = 0, x = 0, handled = 0;
    for (size_t i = 0; i < f->n; i++) {
        uint64_t r = ch_work(ch_payload(i, f->seed));
        if (f->how & FLOW_FOLD) r = flow_fold(r);
        sum += r;
        x ^= r;
        if (!f->seen[i]) {
            snprintf(why, len, "item %zu never reached the sink", i);
            return false;
        }
    }
    for (int w = 0; w < f->workers; w++) {
        handled += f->ws[w].handled;
        if (!(f->how & FLOW_FAN_OUT)) continue;
        size_t K = (size_t)f->workers, share = (size_t)w < f->n ? (f->n - (size_t)w + K - 1) / K : 0;
        if (f->ws[w].handled != share) {
            snprintf(why, len, "worker %d handled %llu items, not its share %llu", w,
                     (unsigned long long)f->ws[w].handled, (unsigned long long)share);
            return false;
        }
    }
    if (f->count != f->n || f->dup || f->disorder || handled != f->n || f->sum != sum || f->xor != x) {
        snprintf(why, len,
                 "%llu items reached the sink of %zu, %llu duplicated or foreign, %llu out of order, "
                 "workers handled %llu, sum %s, xor %s",
                 (unsigned long long)f->count, f->n, (unsigned long long)f->dup,
                 (unsigned long long)f->disorder, (unsigned long long)handled,
                 f->sum == sum ? "ok" : "differs", f->xor == x ? "ok" : "differs");
        return false;
    }
    return true;
}

uint64_t flow_checksum(void *p)
{
    ch_flow *f = p;
    uint64_t t[3] = {f->count, f->sum, f->xor};
    return fb_hash_bytes(t, sizeof t, FB_HASH_INIT);
}

void flow_handled_range(const ch_flow *f, uint64_t *lo, uint64_t *hi)
{
    *lo = UINT64_MAX;
    *hi = 0;
    for (int w = 0; w < f->workers; w++) {
        uint64_t h = f->ws[w].handled;
        *lo = h < *lo ? h : *lo;
        *hi = h > *hi ? h : *hi;
    }
}

void flow_teardown(void *p)
{
    ch_flow *f = p;
    team_destroy(f->team);
    free(f->in);
    free(f->seen);
    free(f->last);
    free(f->ws);
    free(f);
}
