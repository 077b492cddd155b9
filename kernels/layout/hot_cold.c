/* layout/hot_cold: hot/cold splitting: a scan that uses 16 bytes of a
 * 128-byte record, over one array of whole records vs a hot array plus a
 * cold array (and vs hot records that point to their cold part).
 *
 * What it shows
 *   A record has four hot u32 fields (key, flags, score, count) that the
 *   scan reads for every record, and 112 cold bytes (a name, a description,
 *   two timestamps) that it reads only for rare records (about 1 in 1024:
 *   flags match and score is above a threshold; then the first 8 bytes of
 *   the name are hashed in).  The scan sums score*count over the records
 *   whose flags have both wanted bits (about a quarter).
 *   - combined: struct record[n], 128 bytes each: every record costs at least
 *               the cache line holding its hot fields (64 useful bytes of
 *               every 128 are loaded for 16 used, and the adjacent-line
 *               prefetcher may bring in the other half too).
 *   - split:    hot[n] (16 bytes) and cold[n] (112 bytes), the same index in
 *               both: the scan streams 16 bytes a record, 4 records a line,
 *               and touches a cold line only for a match.  The hot array is
 *               small enough to stay in the L3 between repetitions.
 *   - hot_ptr:  hot records of 24 bytes that carry a pointer to their cold
 *               part (the object-oriented split): 50% more hot bytes than
 *               split, and the cold parts can live anywhere.
 *   Expect split <= hot_ptr << combined: combined pays DRAM for 64 to 128
 *   bytes a record, the split scans 16 or 24 bytes that the L3 can hold
 *   (then they run at the speed of the loop itself, and split and hot_ptr
 *   differ little).
 * Sizes (an item is a record): test 1003, train 20000 (2.5 MiB combined:
 *   L3), ref 1000000: combined 122 MiB (DRAM), hot array 15 MiB (split) or
 *   23 MiB (hot_ptr): L3-sized, so on an otherwise idle machine the split
 *   scans run from L3; cold parts 107 MiB, touched at 1/1024 of the records.
 *   Only the variant's own layout is allocated (in prepare, untimed).
 * Sensitive to: hardly any compiler axis (the scan, with its rare cold
 *   branch, stays a scalar loop in every build tried); it is about memory:
 *   cache sizes, prefetchers, other processes' use of the shared L3.
 * Correctness: the sum, the match count and the hash of the cold names are
 *   compared with a scan over the generating values; exact integers.
 */
#include "harness.h"
#include "lib/setup.h"

#include <stdlib.h>
#include <string.h>

#define WANT_FLAGS 0x5u
#define RARE_SCORE 0xff000000u /* score above this: 1/256 of the matches */

typedef struct {
    uint32_t key, flags, score, count;
} hot;

typedef struct {
    char name[48];
    char description[48];
    uint64_t created, modified;
} cold;

typedef struct {
    uint32_t key, flags, score, count;
    char name[48];
    char description[48];
    uint64_t created, modified;
} record;

typedef struct {
    uint32_t key, flags, score, count;
    const cold *c;
} hot_with_ptr;

_Static_assert(sizeof(record) == 128, "record is two cache lines");

enum layout { L_NONE, L_COMBINED, L_SPLIT, L_HOT_PTR };

typedef struct {
    size_t n;
    uint64_t seed;
    enum layout layout;
    record *rec;
    hot *h;
    cold *c;
    hot_with_ptr *hp;
    uint64_t sum, matches, names;
} state;

/* The scan, the same for each layout: HOT(i) is the hot part of record i,
 * NAME(i) the start of its cold name. */
#define SCAN(HOT, NAME)                                                                         \
    do {                                                                                        \
        uint64_t sum = 0, matches = 0, names = 0;                                               \
        for (size_t i = 0; i < n; i++) {                                                        \
            /* Branch-free for the common case (a quarter match, at random: a     \
             * branch on it would mispredict often); only the rare cold read     \
             * is a branch, and a well-predicted one. */                         \
            uint64_t m = (HOT(i).flags & WANT_FLAGS) == WANT_FLAGS;                             \
            sum += m * HOT(i).score * HOT(i).count;                                             \
            matches += m;                                                                       \
            if (m && HOT(i).score > RARE_SCORE) {                                               \
                uint64_t w;                                                                     \
                memcpy(&w, NAME(i), sizeof w);                                                  \
                names = names * 31 + w;                                                         \
            }                                                                                   \
        }                                                                                       \
        st->sum = sum, st->matches = matches, st->names = names;                                \
    } while (0)

/* A variant: DECLS names its arrays, HOT(i) and NAME(i) reach record i's
 * hot fields and name through them. */
#define SCAN_VARIANT(layout, DECLS, HOT, NAME)                                                 \
    FB_HOT void hot_cold_##layout(state *st)                                                   \
    {                                                                                          \
        DECLS;                                                                                 \
        size_t n = st->n;                                                                      \
        SCAN(HOT, NAME);                                                                       \
    }
#define HOT_C(i) r[i]
#define NAME_C(i) r[i].name
SCAN_VARIANT(combined, const record *r = st->rec, HOT_C, NAME_C)
#define HOT_S(i) h[i]
#define NAME_S(i) c[i].name
SCAN_VARIANT(split, const hot *h = st->h; const cold *c = st->c, HOT_S, NAME_S)
#define HOT_P(i) h[i]
#define NAME_P(i) h[i].c->name
SCAN_VARIANT(hot_ptr, const hot_with_ptr *h = st->hp, HOT_P, NAME_P)

static void run_combined(void *p) { hot_cold_combined(p); }
static void run_split(void *p) { hot_cold_split(p); }
static void run_hot_ptr(void *p) { hot_cold_hot_ptr(p); }

/* Record i's values, drawn in index order. */
static void draw(fb_rng *r, size_t i, hot *h, cold *c)
{
    uint64_t a = fb_rng_next(r), b = fb_rng_next(r);
    h->key = (uint32_t)i;
    h->flags = (uint32_t)a & 0xff;
    h->score = (uint32_t)(a >> 32);
    h->count = (uint32_t)b & 0xffff;
    /* Written by hand, not with snprintf: ref makes a million of them. */
    static const char hex[] = "0123456789abcdef";
    static const char text[] = "the cold part of a record";
    memset(c, 0, sizeof *c);
    memcpy(c->name, "rec", 3);
    for (int k = 0; k < 8; k++) c->name[3 + k] = hex[(i >> (28 - 4 * k)) & 15];
    memcpy(c->description, text, sizeof text);
    c->created = b >> 16;
    c->modified = (b >> 16) + 1;
}

static void free_layout(state *st)
{
    free(st->rec), free(st->h), free(st->c), free(st->hp);
    st->rec = NULL, st->h = NULL, st->c = NULL, st->hp = NULL;
    st->layout = L_NONE;
}

static void prepare(void *p, const fb_variant *v)
{
    state *st = p;
    enum layout l = !strcmp(v->name, "combined") ? L_COMBINED
                    : !strcmp(v->name, "split")  ? L_SPLIT
                                                 : L_HOT_PTR;
    if (st->layout == l) return;
    free_layout(st);
    size_t n = st->n;
    st->layout = l;
    /* Every byte is written below, once, into pages made present in one
     * call each (fb_prefault) rather than a page fault per page. */
    if (l == L_COMBINED) st->rec = fb_alloc_prefaulted(n * sizeof(record));
    else st->c = fb_alloc_prefaulted(n * sizeof(cold));
    if (l == L_SPLIT) st->h = fb_alloc_prefaulted(n * sizeof(hot));
    if (l == L_HOT_PTR) st->hp = fb_alloc_prefaulted(n * sizeof(hot_with_ptr));
    fb_rng rng = fb_rng_seeded(st->seed);
    for (size_t i = 0; i < n; i++) {
        hot h;
        cold c;
        draw(&rng, i, &h, &c);
        if (l == L_COMBINED) {
            record *r = &st->rec[i];
            r->key = h.key, r->flags = h.flags, r->score = h.score, r->count = h.count;
            memcpy(r->name, c.name, sizeof c.name);
            memcpy(r->description, c.description, sizeof c.description);
            r->created = c.created, r->modified = c.modified;
        } else {
            st->c[i] = c;
            if (l == L_SPLIT) st->h[i] = h;
            else
                st->hp[i] = (hot_with_ptr){h.key, h.flags, h.score, h.count, &st->c[i]};
        }
    }
}

LAYOUT_SETUP(state)

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    fb_rng rng = fb_rng_seeded(st->seed);
    uint64_t sum = 0, matches = 0, names = 0;
    for (size_t i = 0; i < st->n; i++) {
        hot h;
        cold c;
        draw(&rng, i, &h, &c);
        if ((h.flags & WANT_FLAGS) != WANT_FLAGS) continue;
        sum += (uint64_t)h.score * h.count;
        matches++;
        if (h.score > RARE_SCORE) {
            uint64_t w;
            memcpy(&w, c.name, sizeof w);
            names = names * 31 + w;
        }
    }
    if (sum == st->sum && matches == st->matches && names == st->names) return true;
    snprintf(why, len, "sum %llu, matches %llu, names %016llx; reference %llu, %llu, %016llx",
             (unsigned long long)st->sum, (unsigned long long)st->matches,
             (unsigned long long)st->names, (unsigned long long)sum, (unsigned long long)matches,
             (unsigned long long)names);
    return false;
}

static uint64_t checksum(void *p)
{
    state *st = p;
    uint64_t h = fb_hash_bytes(&st->sum, sizeof st->sum, FB_HASH_INIT);
    h = fb_hash_bytes(&st->matches, sizeof st->matches, h);
    return fb_hash_bytes(&st->names, sizeof st->names, h);
}

static void report(void *p, const fb_variant *v, fb_json *out)
{
    (void)v;
    state *st = p;
    fb_json_int(out, "matches", (long long)st->matches);
    size_t hot_bytes = st->layout == L_COMBINED ? st->n * sizeof(record)
                       : st->layout == L_SPLIT  ? st->n * sizeof(hot)
                                                : st->n * sizeof(hot_with_ptr);
    fb_json_int(out, "scanned_array_bytes", (long long)hot_bytes);
}

static void teardown(void *p)
{
    state *st = p;
    free_layout(st);
    free(st);
}

static const fb_variant variants[] = {
    {"combined", run_combined, 0, "one array of 128-byte records: a cache line per record"},
    {"split", run_split, 0, "16-byte hot array + cold array by index"},
    {"hot_ptr", run_hot_ptr, 0, "24-byte hot records with a pointer to the cold part"},
};

static const fb_kernel kernel = {
    .family = "layout",
    .name = "hot_cold",
    .summary = "hot/cold splitting: one array of big records vs hot and cold arrays",
    .unit = "records",
    .sizes = {1003, 20000, 1000000},
    .reps = {1, 50, 6},
    FB_HOOKS(setup, prepare, check, checksum, NULL, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
