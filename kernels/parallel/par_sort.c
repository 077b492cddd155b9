/* parallel/par_sort: fork-join parallel merge sort vs serial merge sort vs qsort.
 *
 * flagbench-sources: lib/pool.c lib/naive.c
 * flagbench-needs: openmp
 *
 * What it shows
 *   Divide and conquer is where fork-join shines: the two halves of a merge
 *   sort are independent, and so are the two halves of a merge once the
 *   larger run is split at its median and the other run at the matching
 *   position (binary search).  The pool and OpenMP variants run literally
 *   the same recursion; only the fork primitive passed down differs.  Keys
 *   are uniformly random uint64.
 *   - serial:    top-down merge sort that ping-pongs between the array and a
 *                scratch buffer (no copy-back pass), insertion sort below 32
 *                keys: the baseline the parallel variants split.
 *   - qsort:     libc qsort with a comparison callback.  glibc (up to 2.36)
 *                sorts by merging too when it can allocate a buffer, so this
 *                is the price of the callback and of generic moves: expect it
 *                behind serial.
 *   - pool:      pool_join on both halves above a cutoff (4096 keys at ref,
 *                smaller for small inputs so tests take the parallel paths)
 *                and a parallel merge above twice that: span O(log^3 n).
 *                Expect close to threads-fold speed-up until memory bandwidth
 *                limits it.
 *   - omp_tasks: the same recursion with `omp task` + `taskwait`: OpenMP's
 *                task runtime against the pool's deques.
 *   - threads:   one pthread per piece sorts it, then rounds of one thread
 *                per pair of runs merge them, thread creation timed.  The
 *                serial final merges cap it far below threads-fold as T grows
 *                (about 6x for 16 threads at ref).
 *   Pool and OpenMP start-up are in setup (untimed).
 * Sizes (uint64 keys): test 5003; train 50021; ref 131072 (1 MiB, plus
 *   1 MiB of scratch: L2/L3).
 * Sensitive to: opt (branchy merges: if-conversion to cmov matters a lot on
 *   random keys; -O3 and PGO change the merge loop's shape), compiler, lto
 *   (qsort's comparator cannot be inlined across libc in any case).
 * Correctness: the result is compared element by element with a qsort of a
 *   copy of the input (computed once): equal to a sorted permutation of the
 *   input means sorted and nothing lost or duplicated.  Exact, so the
 *   checksum (the sorted keys' bits) is the same for every variant, thread
 *   count and build.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "lib/naive.h"
#include "lib/pool.h"
#include "lib/report.h"
#include "lib/runners.h"

#if FB_HAVE_OPENMP
#include <omp.h>
#endif

enum { INSERTION_CUTOFF = 32, SORT_CUTOFF = 4096, MIN_CUTOFF = 64 };

typedef struct {
    size_t n;
    int threads;
    uint64_t *input, *keys, *tmp, *reference;
    pool *pool;
    par_counters counters;
} state;

/* ---- the serial pieces every variant shares ---- */

static void insertion_sort(uint64_t *x, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint64_t v = x[i];
        size_t j = i;
        for (; j > 0 && x[j - 1] > v; j--) x[j] = x[j - 1];
        x[j] = v;
    }
}

FB_HOT void par_sort_merge(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, uint64_t *out)
{
    size_t i = 0, j = 0, k = 0;
    while (i < na && j < nb) {
        /* Written so compilers can if-convert it (cmov / csel): on random
         * keys the branch is a coin flip. */
        uint64_t x = a[i], y = b[j];
        bool take_b = y < x;
        out[k++] = take_b ? y : x;
        j += take_b;
        i += !take_b;
    }
    if (i < na) memcpy(out + k, a + i, (na - i) * sizeof *a);
    if (j < nb) memcpy(out + k, b + j, (nb - j) * sizeof *b);
}

/* Sorts src[0, n); the result ends in dst if to_dst, else in src; the
 * other buffer is scratch.  Halves are sorted into the other buffer, then
 * merged into the target, so no level copies back. */
FB_HOT void par_sort_seq(uint64_t *src, uint64_t *dst, size_t n, bool to_dst)
{
    if (n <= INSERTION_CUTOFF) {
        insertion_sort(src, n);
        if (to_dst) memcpy(dst, src, n * sizeof *src);
        return;
    }
    size_t h = n / 2;
    par_sort_seq(src, dst, h, !to_dst);
    par_sort_seq(src + h, dst + h, n - h, !to_dst);
    if (to_dst) par_sort_merge(src, h, src + h, n - h, dst);
    else par_sort_merge(dst, h, dst + h, n - h, src);
}

FB_HOT void par_sort_serial(state *st) { par_sort_seq(st->keys, st->tmp, st->n, false); }

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

FB_HOT void par_sort_qsort(state *st) { qsort(st->keys, st->n, sizeof *st->keys, cmp_u64); }

/* ---- the fork-join recursion, generic in its fork primitive ---- */

typedef void (*fork2_fn)(void *env, void (*fa)(void *), void *a, void (*fb)(void *), void *b);
typedef struct {
    fork2_fn fork2;
    void *env;
    size_t sort_cutoff, merge_cutoff; /* serial at or below these sizes */
} forker;

/* SORT_CUTOFF keys (32 KiB: an L1-sized serial sort) at ref; smaller when n
 * is small, so the test sizes exercise the parallel paths too; the merge
 * cutoff is twice the sort cutoff (a merge moves two runs). */
static forker make_forker(const state *st, fork2_fn fork2, void *env)
{
    size_t c = st->n / ((size_t)st->threads * 8);
    c = c < MIN_CUTOFF ? MIN_CUTOFF : c > SORT_CUTOFF ? SORT_CUTOFF : c;
    return (forker){fork2, env, c, 2 * c};
}

typedef struct {
    const forker *f;
    const uint64_t *a, *b;
    size_t na, nb;
    uint64_t *out;
} merge_job;

/* First index in b[0, n) whose key is >= v. */
static size_t lower_bound(const uint64_t *b, size_t n, uint64_t v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static void pmerge(void *arg)
{
    merge_job *m = arg;
    if (m->na + m->nb <= m->f->merge_cutoff) {
        par_sort_merge(m->a, m->na, m->b, m->nb, m->out);
        return;
    }
    const uint64_t *a = m->a, *b = m->b;
    size_t na = m->na, nb = m->nb;
    if (na < nb) { /* split the larger run; keys are plain integers, so no stability to keep */
        const uint64_t *t = a;
        a = b, b = t;
        size_t tn = na;
        na = nb, nb = tn;
    }
    size_t ma = na / 2, mb = lower_bound(b, nb, a[ma]);
    merge_job lo = {m->f, a, b, ma, mb, m->out};
    merge_job hi = {m->f, a + ma, b + mb, na - ma, nb - mb, m->out + ma + mb};
    m->f->fork2(m->f->env, pmerge, &lo, pmerge, &hi);
}

typedef struct {
    const forker *f;
    uint64_t *src, *dst;
    size_t n;
    bool to_dst;
} sort_job;

static void psort(void *arg)
{
    sort_job *s = arg;
    if (s->n <= s->f->sort_cutoff) {
        par_sort_seq(s->src, s->dst, s->n, s->to_dst);
        return;
    }
    size_t h = s->n / 2;
    sort_job lo = {s->f, s->src, s->dst, h, !s->to_dst};
    sort_job hi = {s->f, s->src + h, s->dst + h, s->n - h, !s->to_dst};
    s->f->fork2(s->f->env, psort, &lo, psort, &hi);
    uint64_t *from = s->to_dst ? s->src : s->dst, *to = s->to_dst ? s->dst : s->src;
    merge_job m = {s->f, from, from + h, h, s->n - h, to};
    pmerge(&m);
}

static void pool_fork2(void *env, void (*fa)(void *), void *a, void (*fb)(void *), void *b)
{
    pool_join(env, fa, a, fb, b);
}

FB_HOT void par_sort_pool(state *st)
{
    forker f = make_forker(st, pool_fork2, st->pool);
    sort_job s = {&f, st->keys, st->tmp, st->n, false};
    /* The root runs on the caller; the first pool_join inside enters the pool. */
    psort(&s);
}

#if FB_HAVE_OPENMP
static void omp_fork2(void *env, void (*fa)(void *), void *a, void (*fb)(void *), void *b)
{
    (void)env;
#if defined(__clang__) && __clang_major__ < 19
    /* Clang 14 crashes (a segfault in EmitDeclRefLValue) on the plain task
     * below; naming fb and b firstprivate, which they are by default
     * anyway, avoids that.  Clang 15-18 were not checked and get the same
     * spelling; GCC and Clang 19 keep the plain one, whose code this spelling
     * would change (the order of the task's captured copies). */
#pragma omp task firstprivate(fb, b)
#else
#pragma omp task
#endif
    fb(b);
    fa(a);
#pragma omp taskwait
}

FB_HOT void par_sort_omp_tasks(state *st)
{
    forker f = make_forker(st, omp_fork2, NULL);
    sort_job s = {&f, st->keys, st->tmp, st->n, false};
#pragma omp parallel num_threads(st->threads)
#pragma omp single
    psort(&s);
}
#endif

/* ---- the naive version ---- */

typedef struct {
    state *st;
    size_t bounds[2 * 64 + 2];
    int runs;
    uint64_t *src, *dst;
} naive_ctx;

static void naive_sort_piece(void *ctx, int t, size_t lo, size_t hi)
{
    (void)t;
    state *st = ctx;
    par_sort_seq(st->keys + lo, st->tmp + lo, hi - lo, false);
}

static void naive_merge_pair(void *ctx, int t, size_t lo, size_t hi)
{
    (void)lo, (void)hi;
    naive_ctx *c = ctx;
    size_t a = c->bounds[2 * t], m = c->bounds[2 * t + 1];
    size_t e = 2 * t + 2 <= c->runs ? c->bounds[2 * t + 2] : m;
    par_sort_merge(c->src + a, m - a, c->src + m, e - m, c->dst + a);
}

FB_HOT void par_sort_threads(state *st)
{
    naive_ctx c = {.st = st};
    int runs = st->threads < 64 ? st->threads : 64;
    if ((size_t)runs > st->n) runs = st->n ? (int)st->n : 1;
    naive_threads_for(runs, st->n, naive_sort_piece, st);
    for (int r = 0; r <= runs; r++) c.bounds[r] = naive_split(st->n, runs, r);
    c.runs = runs;
    c.src = st->keys;
    c.dst = st->tmp;
    while (c.runs > 1) {
        int pairs = (c.runs + 1) / 2; /* an odd last run is "merged" with nothing: copied */
        if (c.runs % 2) c.bounds[c.runs + 1] = c.bounds[c.runs];
        naive_threads_for(pairs, (size_t)pairs, naive_merge_pair, &c);
        for (int p = 0; p <= pairs; p++) c.bounds[p] = c.bounds[2 * p < c.runs ? 2 * p : c.runs];
        c.runs = pairs;
        uint64_t *t = c.src;
        c.src = c.dst, c.dst = t;
    }
    if (c.src != st->keys) memcpy(st->keys, c.src, st->n * sizeof *st->keys);
}

PAR_RUNNER(par_sort, serial) PAR_RUNNER(par_sort, qsort) PAR_RUNNER(par_sort, pool) PAR_RUNNER(par_sort, threads)
ON_OPENMP(PAR_RUNNER(par_sort, omp_tasks))

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    st->threads = ctx->threads;
    st->input = fb_alloc(st->n * sizeof *st->input);
    st->keys = fb_alloc(st->n * sizeof *st->keys);
    st->tmp = fb_alloc(st->n * sizeof *st->tmp);
    fb_rng rng = fb_rng_seeded(ctx->seed);
    for (size_t i = 0; i < st->n; i++) st->input[i] = fb_rng_next(&rng);
    st->pool = pool_create(ctx->threads);
    par_setup_done(st->pool, st->threads, &st->counters);
    return st;
}

static void prepare(void *p, const fb_variant *v)
{
    (void)v;
    state *st = p;
    memcpy(st->keys, st->input, st->n * sizeof *st->keys);
    memset(st->tmp, 0xa5, st->n * sizeof *st->tmp); /* no stale sorted data to lean on */
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    if (!st->reference) {
        st->reference = fb_alloc(st->n * sizeof *st->reference);
        memcpy(st->reference, st->input, st->n * sizeof *st->reference);
        qsort(st->reference, st->n, sizeof *st->reference, cmp_u64);
    }
    for (size_t i = 0; i < st->n; i++) {
        if (st->keys[i] != st->reference[i]) {
            snprintf(why, len, "keys[%zu] = %016llx, sorted input has %016llx%s", i,
                     (unsigned long long)st->keys[i], (unsigned long long)st->reference[i],
                     i && st->keys[i] < st->keys[i - 1] ? " (out of order)" : "");
            return false;
        }
    }
    return true;
}

FB_CHECKSUM(st->keys, st->n * sizeof *st->keys)

PAR_REPORT_POOL

PAR_TEARDOWN_POOL(free(st->input); free(st->keys); free(st->tmp); free(st->reference);)

static const fb_variant variants[] = {
    {"serial", run_serial, 0, "top-down ping-pong merge sort, one thread"},
    {"qsort", run_qsort, 0, "libc qsort: a comparison callback per compare"},
    {"pool", run_pool, 0, "pool_join on halves + parallel merge (split at the median)"},
    ON_OPENMP({"omp_tasks", run_omp_tasks, 0, "the same recursion with OpenMP tasks as the fork"},)
    {"threads", run_threads, 0, "thread per piece, then a new thread per pair merge, per call"},
};

static const fb_kernel kernel = {
    .family = "parallel",
    .name = "par_sort",
    .summary = "fork-join parallel merge sort (parallel merge) vs serial merge sort vs qsort",
    .unit = "keys",
    .concurrent = true,
    .sizes = {5003, 50021, 131072},
    .reps = {1, 5, 5},
    FB_HOOKS(setup, prepare, check, checksum, NULL, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
