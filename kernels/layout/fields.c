/* layout/fields: field order and padding: the same seven fields in their
 * declared (badly padded) order, reordered largest first, and packed.
 *
 * What it shows
 *   struct { u8 flag; u64 key; u8 kind; u32 count; u8 state; u64 value;
 *   u16 weight; } holds 25 bytes of data.  Declared in that order, alignment
 *   pads it to 48 bytes; sorted by size (u64, u64, u32, u16, u8 x 3) it takes
 *   32; with __attribute__((packed)) 25, at the price of misaligned fields.
 *   The loop reads every field of every element once and sums
 *   value*weight + key + count + flag + kind + state.
 *   - padded:    48-byte elements: 23 of every 48 bytes loaded are padding.
 *   - reordered: 32-byte elements, two to a cache line, no field split.
 *   - packed:    25-byte elements: the fewest bytes, but the u64 fields are
 *                misaligned and some straddle cache lines.  x86-64 and
 *                aarch64 load them with ordinary (unaligned) loads, at full
 *                speed unless a load crosses a line; a strict-alignment
 *                target (-mstrict-align, many embedded cores) would need
 *                byte loads and shifts.  Taking a pointer to a packed member
 *                and using it as a normal u64 * is undefined; the code reads
 *                members directly, which is fine.
 *   At ref the array lives in DRAM and the loop is bandwidth-bound: expect
 *   time to follow element size (48 : 32 : 25) as long as the per-element
 *   work keeps up with memory.  At L1/L2 sizes the three run at the speed of
 *   their instructions instead, and packed may lose.
 * Sizes (an item is an element): test 1003, train 20000 (L2 for all three),
 *   ref 3000000 (padded 137 MiB, reordered 92 MiB, packed 72 MiB: DRAM).
 *   Only the variant's own array is allocated (in prepare, untimed).  The
 *   JSON reports sizeof of each layout (sizeof_padded etc.).
 * Sensitive to: march and opt together: the loops stay scalar everywhere
 *   except GCC -O3 -march=x86-64-v4, which vectorizes `reordered` (a
 *   power-of-two stride; AVX-512DQ has the 64-bit multiply vpmullq) into a
 *   very long loop of permutes and packs, which need not beat the scalar
 *   loop (padded and packed stay scalar); compiler (Clang keeps all three
 *   scalar, with a slower loop than GCC's: if the per-element work cannot
 *   keep up with DRAM, the loop is compute-bound and the layout matters
 *   less).
 * Correctness: the sum (exact 64-bit integer arithmetic, wrapping) is
 *   compared with the sum over the generating values; identical in every
 *   configuration and every layout.
 */
#include "harness.h"
#include "lib/setup.h"

#include <stdlib.h>
#include <string.h>

/* The declaration order: padded and packed differ only in the packing. */
#define REC_FIELDS_AS_DECLARED \
    uint8_t flag;              \
    uint64_t key;              \
    uint8_t kind;              \
    uint32_t count;            \
    uint8_t state;             \
    uint64_t value;            \
    uint16_t weight;

typedef struct {
    REC_FIELDS_AS_DECLARED
} rec_padded;

typedef struct {
    uint64_t key;
    uint64_t value;
    uint32_t count;
    uint16_t weight;
    uint8_t flag, kind, state;
} rec_reordered;

typedef struct __attribute__((packed)) {
    REC_FIELDS_AS_DECLARED
} rec_packed;

_Static_assert(sizeof(rec_packed) == 25, "packed record is 25 bytes");

enum layout { L_NONE, L_PADDED, L_REORDERED, L_PACKED };

typedef struct {
    size_t n;
    uint64_t seed;
    enum layout layout;
    void *arr;
    uint64_t sum;
} state;

#define BODY(T)                                                                                 \
    do {                                                                                        \
        uint64_t s = 0;                                                                         \
        for (size_t i = 0; i < n; i++) {                                                        \
            const T *r = &a[i];                                                                 \
            s += r->value * r->weight + r->key + r->count + r->flag + r->kind + r->state;       \
        }                                                                                       \
        return s;                                                                               \
    } while (0)

FB_HOT uint64_t fields_padded(const rec_padded *a, size_t n) { BODY(rec_padded); }
FB_HOT uint64_t fields_reordered(const rec_reordered *a, size_t n) { BODY(rec_reordered); }
FB_HOT uint64_t fields_packed(const rec_packed *a, size_t n) { BODY(rec_packed); }

static void run_padded(void *p)
{
    state *st = p;
    st->sum = fields_padded(st->arr, st->n);
}
static void run_reordered(void *p)
{
    state *st = p;
    st->sum = fields_reordered(st->arr, st->n);
}
static void run_packed(void *p)
{
    state *st = p;
    st->sum = fields_packed(st->arr, st->n);
}

/* Element i's values, drawn in index order. */
typedef struct {
    uint64_t key, value;
    uint32_t count;
    uint16_t weight;
    uint8_t flag, kind, state;
} values;

static void draw(fb_rng *r, values *v)
{
    uint64_t a = fb_rng_next(r), b = fb_rng_next(r), c = fb_rng_next(r);
    v->key = a;
    v->value = b;
    v->count = (uint32_t)c;
    v->weight = (uint16_t)(c >> 32);
    v->flag = (uint8_t)(c >> 48);
    v->kind = (uint8_t)(c >> 56);
    v->state = (uint8_t)(a >> 7);
}

#define STORE(T)                                                                                \
    {                                                                                           \
        T *r = &((T *)st->arr)[i];                                                              \
        memset(r, 0, sizeof *r); /* the padding bytes get a defined value too */               \
        r->key = v.key, r->value = v.value, r->count = v.count, r->weight = v.weight;           \
        r->flag = v.flag, r->kind = v.kind, r->state = v.state;                                 \
        break;                                                                                  \
    }

static void prepare(void *p, const fb_variant *v)
{
    state *st = p;
    enum layout l = !strcmp(v->name, "padded")      ? L_PADDED
                    : !strcmp(v->name, "reordered") ? L_REORDERED
                                                    : L_PACKED;
    if (st->layout == l) return;
    free(st->arr);
    size_t size = l == L_PADDED ? sizeof(rec_padded)
                  : l == L_REORDERED ? sizeof(rec_reordered)
                                     : sizeof(rec_packed);
    /* Each element is zeroed and written in one pass below, into pages
     * made present in one call (fb_prefault) rather than a fault per page. */
    st->arr = fb_alloc_prefaulted(st->n * size);
    st->layout = l;
    fb_rng rng = fb_rng_seeded(st->seed);
    for (size_t i = 0; i < st->n; i++) {
        values v;
        draw(&rng, &v);
        switch (l) {
        case L_PADDED: STORE(rec_padded)
        case L_REORDERED: STORE(rec_reordered)
        default: STORE(rec_packed)
        }
    }
}

LAYOUT_SETUP(state)

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    fb_rng rng = fb_rng_seeded(st->seed);
    uint64_t want = 0;
    for (size_t i = 0; i < st->n; i++) {
        values x;
        draw(&rng, &x);
        want += x.value * x.weight + x.key + x.count + x.flag + x.kind + x.state;
    }
    return fb_check_u64("sum", st->sum, want, why, len);
}

static uint64_t checksum(void *p) { return fb_hash_u64(((state *)p)->sum); }

static void report(void *p, const fb_variant *v, fb_json *out)
{
    (void)p, (void)v;
    fb_json_int(out, "sizeof_padded", (long long)sizeof(rec_padded));
    fb_json_int(out, "sizeof_reordered", (long long)sizeof(rec_reordered));
    fb_json_int(out, "sizeof_packed", (long long)sizeof(rec_packed));
}

static void teardown(void *p)
{
    state *st = p;
    free(st->arr);
    free(st);
}

static const fb_variant variants[] = {
    {"padded", run_padded, 0, "fields in declared order: 48-byte elements, 23 bytes of padding"},
    {"reordered", run_reordered, 0, "fields sorted by size: 32-byte elements"},
    {"packed", run_packed, 0, "__attribute__((packed)): 25-byte elements, misaligned fields"},
};

static const fb_kernel kernel = {
    .family = "layout",
    .name = "fields",
    .summary = "struct field order and padding: declared order vs reordered vs packed",
    .unit = "elements",
    .sizes = {1003, 20000, 3000000},
    .reps = {1, 50, 8},
    FB_HOOKS(setup, prepare, check, checksum, NULL, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
