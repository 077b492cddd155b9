/* inline/sort: qsort's comparator callback against a macro-specialized sort.
 *
 * flagbench-sources: lib/gsort.c
 *
 * What it shows
 *   C has no templates; its "monomorphization" is a macro that stamps out one
 *   copy of an algorithm per element type and comparison, SORT_DEFINE(name,
 *   T, LESS) below.  Each element type is sorted three ways, so the cost of
 *   the callback interface can be told apart from the cost of the algorithm:
 *   - qsort_int, qsort_rec:     libc qsort with a comparator function.  glibc
 *                               2.36 actually runs a merge sort (it can
 *                               allocate a buffer), calling the comparator
 *                               through a pointer for every comparison.
 *   - generic_int, generic_rec: gsort (lib/gsort.c), the same introsort as
 *                               the macro version but behind qsort's interface
 *                               (void *, element size, comparator), compiled
 *                               in another file as a library would be: an
 *                               indirect call per comparison and run-time-size
 *                               memcpy per move.
 *   - macro_int, macro_rec:     SORT_DEFINE: the comparison is inlined, moves
 *                               are register moves of a known size, the
 *                               partition loop is a few instructions.
 *   The `_int` variants sort int32 values; the `_rec` variants sort 8-byte
 *   records {key, index} by key, ties broken by index, so the comparison has
 *   two steps.  Expect macro to beat generic by roughly 2-3x (the call, the
 *   argument spills and the lost scheduling around it), with qsort between
 *   or near generic: its merge sort makes fewer comparisons than quicksort
 *   but moves more data.
 * Sizes: test 1003, train 20011, ref 65536 elements: 256 KiB of int32 or
 *   512 KiB of records plus the reference copy, so ref sorts in L2.  An item
 *   is one element; ns_per_item is time / n (not / n log n).
 * Sensitive to: lto with -O3 (GCC's IPA-CP then clones gsort's introsort
 *   once per comparator and size, intro.constprop.N, inlining the comparator:
 *   generic approaches macro; at -O2, and with Clang 14/19 even at -O3, LTO
 *   keeps one generic copy and the calls stay indirect), inline=none (LESS
 *   and the swap helpers are static inline functions in the macro version
 *   and become calls), inline=aggressive (with LTO, GCC inlines all of gsort
 *   into sort_generic_*), opt (O3 unrolls the insertion sort), compiler.
 *   libc's qsort is prebuilt, so no flag moves it (beyond the callbacks).
 * Correctness: each output is compared element by element with a plain
 *   bottom-up merge sort of the same input made in setup (for records the
 *   order key-then-index is total, so exactly one sorted order exists).
 */
#include "harness.h"

#include "lib/gsort.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    int32_t key;
    uint32_t idx;
} rec;

/* SORT_DEFINE(name, T, LESS): defines `static void name(T *a, size_t n)`,
 * an introsort specialized for T with LESS(x, y) (a function or macro taking
 * two T values) as the strict order: median-of-three Hoare partition,
 * insertion sort for partitions of at most SORT_SMALL elements, heapsort
 * after 2*log2(n) levels so the worst case stays O(n log n). */
#define SORT_DEFINE(name, T, LESS)                                                         \
    static inline void name##_swap(T *x, T *y)                                             \
    {                                                                                      \
        T t = *x;                                                                          \
        *x = *y;                                                                           \
        *y = t;                                                                            \
    }                                                                                      \
    static inline void name##_insertion(T *a, size_t n)                                    \
    {                                                                                      \
        for (size_t i = 1; i < n; i++) {                                                   \
            T x = a[i];                                                                    \
            size_t j = i;                                                                  \
            while (j > 0 && LESS(x, a[j - 1])) {                                           \
                a[j] = a[j - 1];                                                           \
                j--;                                                                       \
            }                                                                              \
            a[j] = x;                                                                      \
        }                                                                                  \
    }                                                                                      \
    static void name##_sift(T *a, size_t i, size_t n)                                      \
    {                                                                                      \
        for (;;) {                                                                         \
            size_t c = 2 * i + 1;                                                          \
            if (c >= n) return;                                                            \
            if (c + 1 < n && LESS(a[c], a[c + 1])) c++;                                    \
            if (!LESS(a[i], a[c])) return;                                                 \
            name##_swap(&a[i], &a[c]);                                                     \
            i = c;                                                                         \
        }                                                                                  \
    }                                                                                      \
    static void name##_heapsort(T *a, size_t n)                                            \
    {                                                                                      \
        for (size_t i = n / 2; i-- > 0;) name##_sift(a, i, n);                             \
        for (size_t end = n - 1; end > 0; end--) {                                         \
            name##_swap(&a[0], &a[end]);                                                   \
            name##_sift(a, 0, end);                                                        \
        }                                                                                  \
    }                                                                                      \
    static void name##_intro(T *a, size_t n, int depth)                                    \
    {                                                                                      \
        while (n > SORT_SMALL) {                                                           \
            if (depth-- == 0) {                                                            \
                name##_heapsort(a, n);                                                     \
                return;                                                                    \
            }                                                                              \
            size_t m = n / 2;                                                              \
            if (LESS(a[m], a[0])) name##_swap(&a[m], &a[0]);                               \
            if (LESS(a[n - 1], a[m])) {                                                    \
                name##_swap(&a[n - 1], &a[m]);                                             \
                if (LESS(a[m], a[0])) name##_swap(&a[m], &a[0]);                           \
            }                                                                              \
            T p = a[m];                                                                    \
            size_t i = 0, j = n - 1;                                                       \
            for (;;) {                                                                     \
                do i++;                                                                    \
                while (LESS(a[i], p));                                                     \
                do j--;                                                                    \
                while (LESS(p, a[j]));                                                     \
                if (i >= j) break;                                                         \
                name##_swap(&a[i], &a[j]);                                                 \
            }                                                                              \
            if (i < n - i) {                                                               \
                name##_intro(a, i, depth);                                                 \
                a += i, n -= i;                                                            \
            } else {                                                                       \
                name##_intro(a + i, n - i, depth);                                         \
                n = i;                                                                     \
            }                                                                              \
        }                                                                                  \
        name##_insertion(a, n);                                                            \
    }                                                                                      \
    static void name(T *a, size_t n)                                                       \
    {                                                                                      \
        if (n < 2) return;                                                                 \
        int depth = 0;                                                                     \
        for (size_t k = n; k > 1; k >>= 1) depth += 2;                                     \
        name##_intro(a, n, depth);                                                         \
    }

static inline bool int_less(int32_t x, int32_t y) { return x < y; }
static inline bool rec_less(rec x, rec y) { return x.key < y.key || (x.key == y.key && x.idx < y.idx); }

SORT_DEFINE(sort_ints, int32_t, int_less)
SORT_DEFINE(sort_recs, rec, rec_less)

/* The callbacks: the qsort contract, negative / zero / positive. */
static int cmp_int(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_rec(const void *a, const void *b)
{
    const rec *x = a, *y = b;
    if (x->key != y->key) return (x->key > y->key) - (x->key < y->key);
    return (x->idx > y->idx) - (x->idx < y->idx);
}

typedef struct {
    size_t n;
    int32_t *ints, *ints_in, *ints_want;
    rec *recs, *recs_in, *recs_want;
    bool last_was_rec; /* which array the last repetition sorted */
} state;

FB_HOT void sort_qsort_int(int32_t *a, size_t n) { qsort(a, n, sizeof *a, cmp_int); }
FB_HOT void sort_qsort_rec(rec *a, size_t n) { qsort(a, n, sizeof *a, cmp_rec); }
FB_HOT void sort_generic_int(int32_t *a, size_t n) { gsort(a, n, sizeof *a, cmp_int); }
FB_HOT void sort_generic_rec(rec *a, size_t n) { gsort(a, n, sizeof *a, cmp_rec); }
FB_HOT void sort_macro_int(int32_t *a, size_t n) { sort_ints(a, n); }
FB_HOT void sort_macro_rec(rec *a, size_t n) { sort_recs(a, n); }

#define RUNNER(variant, arr, is_rec)                                                       \
    static void run_##variant(void *p)                                                     \
    {                                                                                      \
        state *st = p;                                                                     \
        sort_##variant(st->arr, st->n);                                                    \
        st->last_was_rec = is_rec;                                                         \
    }
RUNNER(qsort_int, ints, false)
RUNNER(qsort_rec, recs, true)
RUNNER(generic_int, ints, false)
RUNNER(generic_rec, recs, true)
RUNNER(macro_int, ints, false)
RUNNER(macro_rec, recs, true)

/* The reference: a plain bottom-up merge sort (stable, obviously correct). */
static void merge_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    unsigned char *a = base, *tmp = fb_alloc(n * size);
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                if (cmp(a + j * size, a + i * size) < 0) memcpy(tmp + k++ * size, a + j++ * size, size);
                else memcpy(tmp + k++ * size, a + i++ * size, size);
            }
            while (i < mid) memcpy(tmp + k++ * size, a + i++ * size, size);
            while (j < hi) memcpy(tmp + k++ * size, a + j++ * size, size);
        }
        memcpy(a, tmp, n * size);
    }
    free(tmp);
}

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    size_t n = st->n = ctx->n;
    st->ints = fb_alloc(n * sizeof(int32_t));
    st->ints_in = fb_alloc(n * sizeof(int32_t));
    st->ints_want = fb_alloc(n * sizeof(int32_t));
    st->recs = fb_alloc(n * sizeof(rec));
    st->recs_in = fb_alloc(n * sizeof(rec));
    st->recs_want = fb_alloc(n * sizeof(rec));
    fb_rng rng = fb_rng_seeded(ctx->seed);
    /* ints: the whole int32 range, negatives included (a subtracting
     * comparator would overflow).  records: keys from a range of n/4 values,
     * so most keys repeat and the index tie-break matters. */
    uint64_t key_range = n / 4 + 1;
    for (size_t i = 0; i < n; i++) {
        st->ints_in[i] = (int32_t)(uint32_t)fb_rng_next(&rng);
        st->recs_in[i].key = (int32_t)fb_rng_below(&rng, key_range) - (int32_t)(key_range / 2);
        st->recs_in[i].idx = (uint32_t)i;
    }
    memcpy(st->ints_want, st->ints_in, n * sizeof(int32_t));
    memcpy(st->recs_want, st->recs_in, n * sizeof(rec));
    merge_sort(st->ints_want, n, sizeof(int32_t), cmp_int);
    merge_sort(st->recs_want, n, sizeof(rec), cmp_rec);
    return st;
}

static void prepare(void *p, const fb_variant *v)
{
    (void)v;
    state *st = p;
    memcpy(st->ints, st->ints_in, st->n * sizeof(int32_t));
    memcpy(st->recs, st->recs_in, st->n * sizeof(rec));
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    for (size_t i = 0; i < st->n; i++) {
        if (st->last_was_rec) {
            rec g = st->recs[i], w = st->recs_want[i];
            if (g.key != w.key || g.idx != w.idx) {
                snprintf(why, len, "record %zu is {%d, %u}, the reference has {%d, %u}", i, g.key,
                         g.idx, w.key, w.idx);
                return false;
            }
        } else if (st->ints[i] != st->ints_want[i]) {
            snprintf(why, len, "element %zu is %d, the reference has %d", i, st->ints[i],
                     st->ints_want[i]);
            return false;
        }
    }
    return true;
}

static uint64_t checksum(void *p)
{
    state *st = p;
    if (st->last_was_rec) return fb_hash_bytes(st->recs, st->n * sizeof(rec), FB_HASH_INIT);
    return fb_hash_bytes(st->ints, st->n * sizeof(int32_t), FB_HASH_INIT);
}

static void teardown(void *p)
{
    state *st = p;
    free(st->ints), free(st->ints_in), free(st->ints_want);
    free(st->recs), free(st->recs_in), free(st->recs_want);
    free(st);
}

static const fb_variant variants[] = {
    {"qsort_int", run_qsort_int, 0, "libc qsort on int32, comparator through a pointer"},
    {"generic_int", run_generic_int, 0, "introsort behind qsort's interface, in another file"},
    {"macro_int", run_macro_int, 0, "SORT_DEFINE introsort specialized for int32"},
    {"qsort_rec", run_qsort_rec, 0, "libc qsort on {key, index} records"},
    {"generic_rec", run_generic_rec, 0, "generic introsort on records, comparator callback"},
    {"macro_rec", run_macro_rec, 0, "SORT_DEFINE introsort specialized for records"},
};

static const fb_kernel kernel = {
    .family = "inline",
    .name = "sort",
    .summary = "sorting: qsort's callback vs a generic introsort vs a macro-specialized one",
    .unit = "elements",
    .sizes = {1003, 20011, 65536},
    .reps = {1, 20, 5},
    FB_HOOKS(setup, prepare, check, checksum, NULL, NULL, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
