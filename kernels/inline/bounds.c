/* inline/bounds: bounds-checked accessors with a cold abort path.
 *
 * What it shows
 *   vec_at(v, i) checks i < v->len and, if not, calls bounds_fail(), a
 *   cold, noreturn, noinline function (under __builtin_expect(..., 0)): the
 *   way Rust's slice indexing or a careful C library does it.  The question
 *   is what the check costs once the compiler is done with it:
 *   - unchecked:      s += a[i] * b[i] with raw pointers: vectorized by
 *                     Clang at -O2 and GCC at -O3 (GCC 12's -O2 cost model
 *                     leaves it scalar).
 *   - checked:        the same through vec_at, i < n with n unrelated to the
 *                     lengths.  Each check is an early loop exit, which GCC 12
 *                     and Clang 14 do not vectorize: the check costs the
 *                     vectorization.  Clang 19 vectorizes up to min(n, lengths)
 *                     and leaves the checked rest to the scalar epilogue.
 *   - checked_nohint: no __builtin_expect, no cold function (fprintf + abort
 *                     inline): a noreturn call is predicted unlikely anyway,
 *                     so expect the same speed; code size and layout differ.
 *   - checked_len:    the loop runs to min(a->len, b->len): Clang 19 proves
 *                     the checks true and vectorizes; GCC 12 and Clang 14 keep
 *                     them, as slow as checked.
 *   - hoisted:        one check before the loop, then raw accesses: the manual
 *                     fix, the same code and speed as unchecked.
 *   - gather_unchecked:  s += a[idx[i]] (a random gather in L2).
 *   - gather_checked:    vec_at(a, vec_at(idx, i)): the check depends on loaded
 *                        data, but the loop is load-bound and scalar anyway, so
 *                        the check is nearly free.
 *   - gather_validated:  a max(idx) pass, then the unchecked gather: expect a
 *                        few percent lost (vectorized max) up to 2x (a scalar
 *                        cmov chain, GCC -O2).
 * Sizes: test 1003, train 20011, ref 65536 elements: a, b and idx are
 *   256 KiB each (768 KiB), so ref lives in L2.  An item is one element.
 * Sensitive to: opt and compiler (which of them vectorizes which loop, and
 *   whether checked_len's checks are eliminated), march (vector width; AVX2
 *   vpgatherdd for the gathers), inline=none (vec_at becomes a call and
 *   every checked variant slows down further).
 * Correctness: the wrapping uint32 sums are compared with plain loops; the
 *   failure path is never taken with valid inputs (it aborts with a message
 *   naming the index if it ever is).
 */
#include "harness.h"

#include <stdlib.h>

typedef struct {
    const uint32_t *data;
    size_t len;
} vec;

__attribute__((cold, noreturn, noinline)) static void bounds_fail(size_t i, size_t len)
{
    fprintf(stderr, "inline/bounds: index %zu out of bounds (length %zu)\n", i, len);
    abort();
}

static inline uint32_t vec_at(const vec *v, size_t i)
{
    if (__builtin_expect(i >= v->len, 0)) bounds_fail(i, v->len);
    return v->data[i];
}

static inline uint32_t vec_at_nohint(const vec *v, size_t i)
{
    if (i >= v->len) {
        fprintf(stderr, "inline/bounds: index %zu out of bounds (length %zu)\n", i, v->len);
        abort();
    }
    return v->data[i];
}

FB_HOT uint32_t bounds_unchecked(const uint32_t *a, const uint32_t *b, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

FB_HOT uint32_t bounds_checked(const vec *a, const vec *b, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++) s += vec_at(a, i) * vec_at(b, i);
    return s;
}

FB_HOT uint32_t bounds_checked_nohint(const vec *a, const vec *b, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++) s += vec_at_nohint(a, i) * vec_at_nohint(b, i);
    return s;
}

FB_HOT uint32_t bounds_checked_len(const vec *a, const vec *b)
{
    size_t m = a->len < b->len ? a->len : b->len;
    uint32_t s = 0;
    for (size_t i = 0; i < m; i++) s += vec_at(a, i) * vec_at(b, i);
    return s;
}

FB_HOT uint32_t bounds_hoisted(const vec *a, const vec *b, size_t n)
{
    if (__builtin_expect(n > a->len, 0)) bounds_fail(n - 1, a->len);
    if (__builtin_expect(n > b->len, 0)) bounds_fail(n - 1, b->len);
    const uint32_t *pa = a->data, *pb = b->data;
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++) s += pa[i] * pb[i];
    return s;
}

FB_HOT uint32_t bounds_gather_unchecked(const uint32_t *a, const uint32_t *idx, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++) s += a[idx[i]];
    return s;
}

FB_HOT uint32_t bounds_gather_checked(const vec *a, const vec *idx, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++) s += vec_at(a, vec_at(idx, i));
    return s;
}

FB_HOT uint32_t bounds_gather_validated(const vec *a, const vec *idx, size_t n)
{
    if (__builtin_expect(n > idx->len, 0)) bounds_fail(n - 1, idx->len);
    const uint32_t *pi = idx->data, *pa = a->data;
    uint32_t max = 0;
    for (size_t i = 0; i < n; i++) max = pi[i] > max ? pi[i] : max;
    if (__builtin_expect(n > 0 && max >= a->len, 0)) bounds_fail(max, a->len);
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++) s += pa[pi[i]];
    return s;
}

typedef struct {
    size_t n;
    uint32_t *a, *b, *idx;
    vec va, vb, vidx;
    uint32_t result;
} state;

static void run_unchecked(void *p)
{
    state *st = p;
    st->result = bounds_unchecked(st->a, st->b, st->n);
}
static void run_checked(void *p)
{
    state *st = p;
    st->result = bounds_checked(&st->va, &st->vb, st->n);
}
static void run_checked_nohint(void *p)
{
    state *st = p;
    st->result = bounds_checked_nohint(&st->va, &st->vb, st->n);
}
static void run_checked_len(void *p)
{
    state *st = p;
    st->result = bounds_checked_len(&st->va, &st->vb);
}
static void run_hoisted(void *p)
{
    state *st = p;
    st->result = bounds_hoisted(&st->va, &st->vb, st->n);
}
static void run_gather_unchecked(void *p)
{
    state *st = p;
    st->result = bounds_gather_unchecked(st->a, st->idx, st->n);
}
static void run_gather_checked(void *p)
{
    state *st = p;
    st->result = bounds_gather_checked(&st->va, &st->vidx, st->n);
}
static void run_gather_validated(void *p)
{
    state *st = p;
    st->result = bounds_gather_validated(&st->va, &st->vidx, st->n);
}

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    size_t n = st->n = ctx->n;
    st->a = fb_alloc(n * sizeof(uint32_t));
    st->b = fb_alloc(n * sizeof(uint32_t));
    st->idx = fb_alloc(n * sizeof(uint32_t));
    fb_rng rng = fb_rng_seeded(ctx->seed);
    for (size_t i = 0; i < n; i++) {
        uint64_t r = fb_rng_next(&rng);
        st->a[i] = (uint32_t)r;
        st->b[i] = (uint32_t)(r >> 32);
        st->idx[i] = (uint32_t)fb_rng_below(&rng, n);
    }
    st->va = (vec){st->a, n};
    st->vb = (vec){st->b, n};
    st->vidx = (vec){st->idx, n};
    return st;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    state *st = p;
    bool gather = v->name[0] == 'g';
    uint32_t want = 0;
    for (size_t i = 0; i < st->n; i++) want += gather ? st->a[st->idx[i]] : st->a[i] * st->b[i];
    if (st->result == want) return true;
    snprintf(why, len, "sum %u, reference %u", st->result, want);
    return false;
}

FB_CHECKSUM(&st->result, sizeof st->result)

static void teardown(void *p)
{
    state *st = p;
    free(st->a), free(st->b), free(st->idx);
    free(st);
}

static const fb_variant variants[] = {
    {"unchecked", run_unchecked, 0, "raw pointers: the vectorizable baseline"},
    {"checked", run_checked, 0, "vec_at with a cold noreturn abort path: an early exit per access"},
    {"checked_nohint", run_checked_nohint, 0, "the same checks without expect/cold: layout only"},
    {"checked_len", run_checked_len, 0, "loop to min(len): checks provably redundant, if proven"},
    {"hoisted", run_hoisted, 0, "one check before the loop, raw accesses inside"},
    {"gather_unchecked", run_gather_unchecked, 0, "s += a[idx[i]] with raw pointers"},
    {"gather_checked", run_gather_checked, 0, "data-dependent checks in a load-bound loop"},
    {"gather_validated", run_gather_validated, 0, "validate max(idx) in one pass, then gather"},
};

static const fb_kernel kernel = {
    .family = "inline",
    .name = "bounds",
    .summary = "bounds checks with a cold abort path vs unchecked vs hoisted",
    .unit = "elements",
    .sizes = {1003, 20011, 65536},
    .reps = {1, 50, 800},
    FB_HOOKS(setup, NULL, check, checksum, NULL, NULL, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
