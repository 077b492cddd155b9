/* parallel/lib/pool_par.c: par_for and par_reduce, built on join (a part of lib/pool.c). */
#ifndef POOL_PARTS
#error "a part of lib/pool.c, compiled only inside it"
#endif

/* ---- par_for / par_reduce --------------------------------------------------------- */

typedef struct range_job {
    size_t lo, hi, grain;
    par_body body;
    void *ctx;
} range_job;

static void range_run(void *arg)
{
    range_job *r = arg;
    if (r->hi - r->lo <= r->grain) {
        r->body(r->ctx, r->lo, r->hi);
        return;
    }
    size_t mid = r->lo + (r->hi - r->lo) / 2;
    range_job left = *r, right = *r;
    left.hi = mid;
    right.lo = mid;
    /* tls_self: the thread running this piece may be a thief. */
    join_in(tls_self, range_run, &left, range_run, &right);
}

void par_for(pool *p, size_t begin, size_t end, size_t grain, par_body body, void *ctx)
{
    if (begin >= end) return;
    range_job r = {begin, end, grain ? grain : 1, body, ctx};
    worker *saved, *self = enter(p, &saved);
    range_run(&r);
    leave(p, self, saved);
}

typedef struct reduce_job {
    size_t lo, hi, grain, acc_size;
    par_map_fn map;
    par_combine_fn combine;
    void *ctx;
    void *out;
} reduce_job;

static void reduce_run(void *arg)
{
    reduce_job *r = arg;
    if (r->hi - r->lo <= r->grain) {
        r->map(r->ctx, r->lo, r->hi, r->out);
        return;
    }
    alignas(16) unsigned char rhs[PAR_REDUCE_MAX_ACC];
    size_t mid = r->lo + (r->hi - r->lo) / 2;
    reduce_job left = *r, right = *r;
    left.hi = mid;
    right.lo = mid;
    right.out = rhs;
    join_in(tls_self, reduce_run, &left, reduce_run, &right);
    r->combine(r->ctx, r->out, rhs);
}

void par_reduce(pool *p, size_t begin, size_t end, size_t grain, size_t acc_size, par_map_fn map,
                par_combine_fn combine, void *ctx, void *result)
{
    if (acc_size > PAR_REDUCE_MAX_ACC) pool_die("par_reduce: accumulator larger than PAR_REDUCE_MAX_ACC");
    if (begin >= end) {
        map(ctx, begin, begin, result);
        return;
    }
    reduce_job r = {begin, end, grain ? grain : 1, acc_size, map, combine, ctx, result};
    worker *saved, *self = enter(p, &saved);
    reduce_run(&r);
    leave(p, self, saved);
}
