/* inline/generic: generic code through void * and callbacks vs specialization.
 *
 * flagbench-sources: lib/gvec.c
 *
 * What it shows
 *   One pipeline, map -> filter -> fold, over two element types: uint32
 *   (y = x*mul + add, keep y if bit `bit` of y is set, sum y) and an 8-byte
 *   point {x, y} (p -> {x+y+bias, x-y}, keep p if p.x > p.y, sum x^y).
 *   The same algorithms are written four ways:
 *   - extern:   lib/gvec.c, the classic C generic library (void *, element
 *               size, function-pointer callbacks, like qsort), compiled in
 *               another file: an indirect call per element per stage, and
 *               filter's copy is a memcpy of run-time size (a libc call).
 *               Nothing can be vectorized.
 *   - static:   the very same source (lib/gvec_impl.h) included here as
 *               static functions: now the optimizer sees the algorithm and
 *               the callbacks together.  Once it inlines the algorithm into
 *               the caller, the callback pointer is a constant, the indirect
 *               call becomes direct and is inlined, and the size becomes a
 *               constant memcpy: the generic code turns into the specialized
 *               code.  GCC 12 and Clang 14/19 all do this at -O2 here, so
 *               expect static to match macro (read the assembly: no calls).
 *   - macro:    VEC_DEFINE(name, T, ...) stamps out typed map/filter/fold
 *               per element type with the operations inlined: map and fold
 *               vectorize (with Clang at -O2, GCC at -O3); filter's
 *               compaction does not (it would need AVX-512's vpcompress).
 *   - tgeneric: C11 _Generic picks a hand-written function per element type
 *               at compile time (vmap(dst, src, n, params) works for both
 *               types): the dispatch costs nothing, so expect the same code
 *               and time as macro.
 *   Expect extern to be several times slower than the other three, which
 *   should be within noise of each other.
 * Sizes: test 1003, train 40009, ref 32768 elements of each type: input,
 *   temporary and output arrays for both types are 1.1 MiB together, so ref
 *   lives in L2 (just).  An item is one element of either type (2n per rep).
 * Sensitive to: lto (at -O2 already, GCC and Clang inline gvec_* and the
 *   callbacks into generic_extern once LTO sees gvec.c: extern joins the
 *   others), inline=none (static, macro and tgeneric all fall back to calls:
 *   -fno-inline stops exactly the step that turns generic code into
 *   specialized code), opt and march (the vector loops), compiler.
 * Correctness: counts, sums and the filtered arrays of both types are
 *   compared with a one-pass plain loop; integer arithmetic, so exact.
 */
#include "harness.h"

#include "lib/gvec.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    int32_t x, y;
} pt;
typedef struct {
    uint32_t mul, add, bit;
} u32_params;
typedef struct {
    int32_t bias;
} pt_params;

/* ---- The operations, once, as plain inline functions --------------------- */
static inline uint32_t u32_map(uint32_t x, const u32_params *c) { return x * c->mul + c->add; }
static inline bool u32_pred(uint32_t y, const u32_params *c) { return (y >> c->bit) & 1; }
static inline uint64_t u32_fold(uint64_t acc, uint32_t y) { return acc + y; }
static inline pt pt_map(pt p, const pt_params *c)
{
    return (pt){(int32_t)((uint32_t)p.x + (uint32_t)p.y + (uint32_t)c->bias),
                (int32_t)((uint32_t)p.x - (uint32_t)p.y)};
}
static inline bool pt_pred(pt p) { return p.x > p.y; }
static inline uint64_t pt_fold(uint64_t acc, pt p) { return acc + ((uint32_t)p.x ^ (uint32_t)p.y); }

/* ---- extern and static: the generic library and its callbacks ----------- */
/* The callbacks of one element type T: elements and the accumulator cross
 * the void * interface by memcpy, as a generic library's callbacks must. */
#define CALLBACKS(name, T, MAP, PRED, FOLD)                                                    \
    static void cb_##name##_map(void *dst, const void *src, const void *ctx)                   \
    {                                                                                          \
        T x;                                                                                   \
        memcpy(&x, src, sizeof x);                                                             \
        x = MAP(x, ctx);                                                                       \
        memcpy(dst, &x, sizeof x);                                                             \
    }                                                                                          \
    static bool cb_##name##_pred(const void *e, const void *ctx)                               \
    {                                                                                          \
        T x;                                                                                   \
        memcpy(&x, e, sizeof x);                                                               \
        return PRED(x, ctx);                                                                   \
    }                                                                                          \
    static void cb_##name##_fold(void *acc, const void *e, const void *ctx)                    \
    {                                                                                          \
        T x;                                                                                   \
        uint64_t a;                                                                            \
        memcpy(&x, e, sizeof x);                                                               \
        memcpy(&a, acc, sizeof a);                                                             \
        a = FOLD(a, x, ctx);                                                                   \
        memcpy(acc, &a, sizeof a);                                                             \
    }

/* The predicates and folds with the parameters argument that the callbacks
 * and the macro variant pass (and pt_pred, u32_fold and pt_fold ignore). */
#define U32_PRED(y, c) u32_pred(y, c)
#define U32_FOLD(acc, y, c) ((void)(c), u32_fold(acc, y))
#define PT_PRED(p, c) ((void)(c), pt_pred(p))
#define PT_FOLD(acc, p, c) ((void)(c), pt_fold(acc, p))
CALLBACKS(u32, uint32_t, u32_map, U32_PRED, U32_FOLD)
CALLBACKS(pt, pt, pt_map, PT_PRED, PT_FOLD)

/* The same generic source, as static functions of this file. */
#define GVEC_LINKAGE static
#define GVEC_NAME(x) gvec_local_##x
#include "lib/gvec_impl.h"

/* ---- macro: one specialization per type, stamped out by the preprocessor -- */
/* VEC_DEFINE(name, T, P, MAP, PRED, FOLD) defines name_map, name_filter and
 * name_fold for elements of type T and parameters of type P, where
 * MAP(T, const P *) -> T, PRED(T, const P *) -> bool and
 * FOLD(uint64_t, T, const P *) -> uint64_t are functions or macros. */
#define VEC_DEFINE(name, T, P, MAP, PRED, FOLD)                                                \
    static inline void name##_map(T *dst, const T *src, size_t n, const P *c)                  \
    {                                                                                          \
        for (size_t i = 0; i < n; i++) dst[i] = MAP(src[i], c);                                \
    }                                                                                          \
    static inline size_t name##_filter(T *dst, const T *src, size_t n, const P *c)             \
    {                                                                                          \
        size_t m = 0;                                                                          \
        for (size_t i = 0; i < n; i++) {                                                       \
            T x = src[i];                                                                      \
            dst[m] = x;                                                                        \
            m += PRED(x, c);                                                                   \
        }                                                                                      \
        return m;                                                                              \
    }                                                                                          \
    static inline uint64_t name##_fold(const T *src, size_t n, uint64_t acc, const P *c)       \
    {                                                                                          \
        for (size_t i = 0; i < n; i++) acc = FOLD(acc, src[i], c);                             \
        return acc;                                                                            \
    }

VEC_DEFINE(vec_u32, uint32_t, u32_params, u32_map, U32_PRED, U32_FOLD)
VEC_DEFINE(vec_pt, pt, pt_params, pt_map, PT_PRED, PT_FOLD)

/* ---- tgeneric: hand-written per-type functions behind _Generic ----------- */
static inline void map_u32(uint32_t *dst, const uint32_t *src, size_t n, const u32_params *c)
{
    for (size_t i = 0; i < n; i++) dst[i] = u32_map(src[i], c);
}
static inline void map_pt(pt *dst, const pt *src, size_t n, const pt_params *c)
{
    for (size_t i = 0; i < n; i++) dst[i] = pt_map(src[i], c);
}
static inline size_t filter_u32(uint32_t *dst, const uint32_t *src, size_t n, const u32_params *c)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        dst[m] = src[i];
        m += u32_pred(src[i], c);
    }
    return m;
}
static inline size_t filter_pt(pt *dst, const pt *src, size_t n, const pt_params *c)
{
    (void)c;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        dst[m] = src[i];
        m += pt_pred(src[i]);
    }
    return m;
}
static inline uint64_t fold_u32(const uint32_t *src, size_t n, const u32_params *c)
{
    (void)c;
    uint64_t acc = 0;
    for (size_t i = 0; i < n; i++) acc = u32_fold(acc, src[i]);
    return acc;
}
static inline uint64_t fold_pt(const pt *src, size_t n, const pt_params *c)
{
    (void)c;
    uint64_t acc = 0;
    for (size_t i = 0; i < n; i++) acc = pt_fold(acc, src[i]);
    return acc;
}
/* The type-generic interface: the element type of the array picks the
 * function at compile time. */
#define vmap(dst, src, n, c) _Generic((dst), uint32_t *: map_u32, pt *: map_pt)(dst, src, n, c)
#define vfilter(dst, src, n, c) _Generic((dst), uint32_t *: filter_u32, pt *: filter_pt)(dst, src, n, c)
#define vfold(src, n, c) _Generic((src), uint32_t *: fold_u32, pt *: fold_pt)(src, n, c)

/* ---- State and the hot functions ----------------------------------------- */
typedef struct {
    size_t u32_count, pt_count;
    uint64_t u32_sum, pt_sum;
} result;

typedef struct {
    size_t n;
    uint32_t *u_in, *u_tmp, *u_out;
    pt *p_in, *p_tmp, *p_out;
    u32_params up;
    pt_params pp;
    result r;
} state;

/* Every variant runs the same pipeline, map then filter then fold, over the
 * uint32 array and then over the points; only how it reaches the element
 * code differs.  extern and static: one generic function a step, with
 * callbacks (PREFIX names the copy: in the other file, or in this one). */
#define CALLBACK_VARIANT(variant, PREFIX)                                                           \
    FB_HOT void generic_##variant(state *st)                                                        \
    {                                                                                               \
        size_t n = st->n;                                                                           \
        uint64_t acc = 0;                                                                           \
        PREFIX##map(st->u_tmp, st->u_in, n, sizeof(uint32_t), cb_u32_map, &st->up);                 \
        size_t m = PREFIX##filter(st->u_out, st->u_tmp, n, sizeof(uint32_t), cb_u32_pred, &st->up); \
        PREFIX##fold(&acc, st->u_out, m, sizeof(uint32_t), cb_u32_fold, &st->up);                   \
        st->r.u32_count = m, st->r.u32_sum = acc;                                                   \
                                                                                                    \
        acc = 0;                                                                                    \
        PREFIX##map(st->p_tmp, st->p_in, n, sizeof(pt), cb_pt_map, &st->pp);                        \
        m = PREFIX##filter(st->p_out, st->p_tmp, n, sizeof(pt), cb_pt_pred, &st->pp);               \
        PREFIX##fold(&acc, st->p_out, m, sizeof(pt), cb_pt_fold, &st->pp);                          \
        st->r.pt_count = m, st->r.pt_sum = acc;                                                     \
    }
CALLBACK_VARIANT(extern, gvec_)
CALLBACK_VARIANT(static, gvec_local_)

/* macro and tgeneric: a function per element type, picked by name or by
 * _Generic. */
#define TYPED_VARIANT(variant, MAP_U, FILTER_U, FOLD_U, MAP_P, FILTER_P, FOLD_P)               \
    FB_HOT void generic_##variant(state *st)                                                   \
    {                                                                                          \
        size_t n = st->n;                                                                      \
        MAP_U(st->u_tmp, st->u_in, n, &st->up);                                                \
        size_t m = FILTER_U(st->u_out, st->u_tmp, n, &st->up);                                 \
        st->r.u32_count = m, st->r.u32_sum = FOLD_U(st->u_out, m, &st->up);                    \
                                                                                               \
        MAP_P(st->p_tmp, st->p_in, n, &st->pp);                                                \
        m = FILTER_P(st->p_out, st->p_tmp, n, &st->pp);                                        \
        st->r.pt_count = m, st->r.pt_sum = FOLD_P(st->p_out, m, &st->pp);                      \
    }
#define vec_u32_fold0(src, n, c) vec_u32_fold(src, n, 0, c)
#define vec_pt_fold0(src, n, c) vec_pt_fold(src, n, 0, c)
TYPED_VARIANT(macro, vec_u32_map, vec_u32_filter, vec_u32_fold0, vec_pt_map, vec_pt_filter, vec_pt_fold0)
TYPED_VARIANT(tgeneric, vmap, vfilter, vfold, vmap, vfilter, vfold)

#define RUNNER(variant)                                                                        \
    static void run_##variant(void *p) { generic_##variant(p); }
RUNNER(extern) RUNNER(static) RUNNER(macro) RUNNER(tgeneric)

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    size_t n = st->n = ctx->n;
    st->u_in = fb_alloc(n * sizeof(uint32_t));
    st->u_tmp = fb_alloc(n * sizeof(uint32_t));
    st->u_out = fb_alloc(n * sizeof(uint32_t));
    st->p_in = fb_alloc(n * sizeof(pt));
    st->p_tmp = fb_alloc(n * sizeof(pt));
    st->p_out = fb_alloc(n * sizeof(pt));
    fb_rng rng = fb_rng_seeded(ctx->seed);
    for (size_t i = 0; i < n; i++) {
        uint64_t r = fb_rng_next(&rng);
        st->u_in[i] = (uint32_t)r;
        st->p_in[i] = (pt){(int32_t)(r >> 32) >> 2, (int32_t)fb_rng_next(&rng) >> 2};
    }
    /* Both predicates keep about half the elements, unpredictably. */
    st->up = (u32_params){.mul = 2654435761u, .add = 12345, .bit = 13};
    st->pp = (pt_params){.bias = 77};
    return st;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    result want = {0};
    for (size_t i = 0; i < st->n; i++) {
        uint32_t y = st->u_in[i] * st->up.mul + st->up.add;
        if ((y >> st->up.bit) & 1) {
            if (want.u32_count >= st->r.u32_count || st->u_out[want.u32_count] != y) {
                snprintf(why, len, "uint32 output %zu differs from the reference", want.u32_count);
                return false;
            }
            want.u32_count++, want.u32_sum += y;
        }
        uint32_t px = (uint32_t)st->p_in[i].x, py = (uint32_t)st->p_in[i].y;
        int32_t qx = (int32_t)(px + py + (uint32_t)st->pp.bias), qy = (int32_t)(px - py);
        if (qx > qy) {
            pt got = want.pt_count < st->r.pt_count ? st->p_out[want.pt_count] : (pt){0, 0};
            if (want.pt_count >= st->r.pt_count || got.x != qx || got.y != qy) {
                snprintf(why, len, "point output %zu differs from the reference", want.pt_count);
                return false;
            }
            want.pt_count++, want.pt_sum += (uint32_t)qx ^ (uint32_t)qy;
        }
    }
    if (want.u32_count != st->r.u32_count || want.u32_sum != st->r.u32_sum ||
        want.pt_count != st->r.pt_count || want.pt_sum != st->r.pt_sum) {
        snprintf(why, len, "counts/sums %zu/%llu and %zu/%llu, reference %zu/%llu and %zu/%llu",
                 st->r.u32_count, (unsigned long long)st->r.u32_sum, st->r.pt_count,
                 (unsigned long long)st->r.pt_sum, want.u32_count,
                 (unsigned long long)want.u32_sum, want.pt_count, (unsigned long long)want.pt_sum);
        return false;
    }
    return true;
}

static uint64_t checksum(void *p)
{
    state *st = p;
    uint64_t words[4] = {st->r.u32_count, st->r.u32_sum, st->r.pt_count, st->r.pt_sum};
    return fb_hash_bytes(words, sizeof words, FB_HASH_INIT);
}

static double items(void *p)
{
    state *st = p;
    return 2.0 * (double)st->n;
}

static void teardown(void *p)
{
    state *st = p;
    free(st->u_in), free(st->u_tmp), free(st->u_out);
    free(st->p_in), free(st->p_tmp), free(st->p_out);
    free(st);
}

static const fb_variant variants[] = {
    {"extern", run_extern, 0, "generic library in another file: void *, size, callbacks"},
    {"static", run_static, 0, "the same generic source as static functions of this file"},
    {"macro", run_macro, 0, "VEC_DEFINE: one specialization per type from a macro"},
    {"tgeneric", run_tgeneric, 0, "_Generic picks a hand-written per-type function"},
};

static const fb_kernel kernel = {
    .family = "inline",
    .name = "generic",
    .summary = "generic map/filter/fold via void * and callbacks vs macro and _Generic specializations",
    .unit = "elements",
    .sizes = {1003, 40009, 32768},
    .reps = {1, 20, 80},
    FB_HOOKS(setup, NULL, check, checksum, items, NULL, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
