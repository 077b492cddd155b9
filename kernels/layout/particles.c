/* layout/particles: one particle update step over an array of structs
 * (AoS), a struct of arrays (SoA) and arrays of structs of arrays (AoSoA,
 * blocks of 8 and of 16).
 *
 * Sizes (an item is a particle-step): test 1003 (the AoSoA blocks end in a
 *   partly filled block), train 20000 (960 KiB of AoS: L2), ref 3000000
 *   (AoS 137 MiB, SoA and AoSoA 80 MiB of used fields: DRAM, 2.5x to 4x the
 *   L3).  Only the variant's own layout is allocated (in prepare, untimed).
 * Sensitive to: opt (GCC 12 vectorizes soa only at -O3, the AoSoA loops at
 *   -O2 already), march (vector width; AVX-512 suits aosoa16), features
 *   (prefer256 vs prefer512), compiler (aos vectorized or not).  Inlining and
 *   LTO hardly matter (one loop).
 * Correctness: the state after all the steps run (warm-up included) is
 *   compared with a plain scalar replay in float from the same initial
 *   values; the tolerance is 1e-4 relative (absolute below 1), because FMA
 *   contraction, which differs between compilers and -march, changes the
 *   last bits of each step and the damped system keeps those differences
 *   small.  The checksum hashes the bits, so it changes with contraction.
 * Notes (what each variant shows, what to expect): docs/kernels/layout.md.
 */
#include "harness.h"
#include "lib/setup.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DT 0.01f
#define SPRING 1.0f
#define DRAG 0.1f
#define GRAVITY 9.81f

typedef struct {
    float x, y, z, vx, vy, vz, inv_mass;
    uint32_t id;
    float charge;
    uint32_t colour;
    float age;
    uint32_t flags;
} particle;

typedef struct {
    float *x, *y, *z, *vx, *vy, *vz, *inv_mass;
    uint32_t *id;
    float *charge;
    uint32_t *colour;
    float *age;
    uint32_t *flags;
} soa_arrays;

#define AOSOA_BLOCK(B)                                                                          \
    typedef struct {                                                                            \
        float x[B], y[B], z[B], vx[B], vy[B], vz[B], inv_mass[B];                               \
        uint32_t id[B];                                                                         \
        float charge[B];                                                                        \
        uint32_t colour[B];                                                                     \
        float age[B];                                                                           \
        uint32_t flags[B];                                                                      \
    } block##B;
AOSOA_BLOCK(8)
AOSOA_BLOCK(16)

enum layout { L_NONE, L_AOS, L_SOA, L_AOSOA8, L_AOSOA16 };

typedef struct {
    size_t n;
    uint64_t seed;
    enum layout layout; /* which layout is allocated now */
    uint64_t steps;     /* steps applied to it */
    particle *aos;
    soa_arrays soa;
    block8 *b8;
    block16 *b16;
    size_t blocks;
} state;

/* One particle's step, written once.  All variants inline it. */
#define STEP(x, y, z, vx, vy, vz, im)                                                           \
    do {                                                                                        \
        float ax_ = (-SPRING * (x) - DRAG * (vx)) * (im);                                       \
        float ay_ = (-SPRING * (y) - DRAG * (vy)) * (im) - GRAVITY;                             \
        float az_ = (-SPRING * (z) - DRAG * (vz)) * (im);                                       \
        (vx) += ax_ * DT;                                                                       \
        (vy) += ay_ * DT;                                                                       \
        (vz) += az_ * DT;                                                                       \
        (x) += (vx) * DT;                                                                       \
        (y) += (vy) * DT;                                                                       \
        (z) += (vz) * DT;                                                                       \
    } while (0)

FB_HOT void particles_aos(particle *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        STEP(p[i].x, p[i].y, p[i].z, p[i].vx, p[i].vy, p[i].vz, p[i].inv_mass);
}

FB_HOT void particles_soa(float *restrict x, float *restrict y, float *restrict z,
                          float *restrict vx, float *restrict vy, float *restrict vz,
                          const float *restrict im, size_t n)
{
    for (size_t i = 0; i < n; i++) STEP(x[i], y[i], z[i], vx[i], vy[i], vz[i], im[i]);
}

FB_HOT void particles_aosoa8(block8 *b, size_t blocks)
{
    for (size_t k = 0; k < blocks; k++) {
        block8 *restrict q = &b[k];
        for (int l = 0; l < 8; l++)
            STEP(q->x[l], q->y[l], q->z[l], q->vx[l], q->vy[l], q->vz[l], q->inv_mass[l]);
    }
}

FB_HOT void particles_aosoa16(block16 *b, size_t blocks)
{
    for (size_t k = 0; k < blocks; k++) {
        block16 *restrict q = &b[k];
        for (int l = 0; l < 16; l++)
            STEP(q->x[l], q->y[l], q->z[l], q->vx[l], q->vy[l], q->vz[l], q->inv_mass[l]);
    }
}

static void run_aos(void *p)
{
    state *st = p;
    particles_aos(st->aos, st->n);
    st->steps++;
}

static void run_soa(void *p)
{
    state *st = p;
    soa_arrays *a = &st->soa;
    particles_soa(a->x, a->y, a->z, a->vx, a->vy, a->vz, a->inv_mass, st->n);
    st->steps++;
}

static void run_aosoa8(void *p)
{
    state *st = p;
    particles_aosoa8(st->b8, st->blocks);
    st->steps++;
}

static void run_aosoa16(void *p)
{
    state *st = p;
    particles_aosoa16(st->b16, st->blocks);
    st->steps++;
}

/* ---- initial values, layouts -------------------------------------------- */

/* Particle i's initial record, drawn in index order from one generator:
 * three 21-bit fields from each 64-bit draw, scaled by powers of two, so
 * every value is exact in float however the compiler contracts (fb_rng_float's
 * lo + (hi-lo)*x can become an FMA with -march=x86-64-v3 or on aarch64 and
 * give different inputs in different configurations), and cheap: ref draws
 * 9 million of them. */
static inline float field21(uint64_t r, int k, float scale, float lo)
{
    return (float)((r >> (21 * k)) & 0x1fffff) * scale + lo;
}

static void draw(fb_rng *r, size_t i, particle *p)
{
    uint64_t a = fb_rng_next(r), b = fb_rng_next(r), c = fb_rng_next(r);
    p->x = field21(a, 0, 0x1p-17f, -8.0f); /* [-8, 8) */
    p->y = field21(a, 1, 0x1p-17f, -8.0f);
    p->z = field21(a, 2, 0x1p-17f, -8.0f);
    p->vx = field21(b, 0, 0x1p-20f, -1.0f); /* [-1, 1) */
    p->vy = field21(b, 1, 0x1p-20f, -1.0f);
    p->vz = field21(b, 2, 0x1p-20f, -1.0f);
    p->inv_mass = field21(c, 0, 0x1p-20f, 0.5f); /* [0.5, 2.5) */
    p->id = (uint32_t)i;
    p->charge = (i & 1) ? 1.0f : -1.0f;
    p->colour = (uint32_t)(i * 2654435761u);
    p->age = 0.0f;
    p->flags = 1;
}

/* Loads or stores particle i of the current layout. */
static void get_particle(const state *st, size_t i, particle *p)
{
    switch (st->layout) {
    case L_AOS: *p = st->aos[i]; break;
    case L_SOA: {
        const soa_arrays *a = &st->soa;
        *p = (particle){a->x[i], a->y[i], a->z[i], a->vx[i], a->vy[i], a->vz[i], a->inv_mass[i],
                        a->id[i], a->charge[i], a->colour[i], a->age[i], a->flags[i]};
        break;
    }
#define GET_BLOCK(B, arr)                                                                       \
    {                                                                                           \
        const block##B *q = &st->arr[i / B];                                                    \
        size_t l = i % B;                                                                       \
        *p = (particle){q->x[l],        q->y[l],      q->z[l],      q->vx[l],                   \
                        q->vy[l],       q->vz[l],     q->inv_mass[l], q->id[l],                 \
                        q->charge[l],   q->colour[l], q->age[l],    q->flags[l]};               \
        break;                                                                                  \
    }
    case L_AOSOA8: GET_BLOCK(8, b8)
    case L_AOSOA16: GET_BLOCK(16, b16)
    default: memset(p, 0, sizeof *p);
    }
}

static void put_particle(state *st, size_t i, const particle *p)
{
    switch (st->layout) {
    case L_AOS: st->aos[i] = *p; break;
    case L_SOA: {
        soa_arrays *a = &st->soa;
        a->x[i] = p->x, a->y[i] = p->y, a->z[i] = p->z;
        a->vx[i] = p->vx, a->vy[i] = p->vy, a->vz[i] = p->vz, a->inv_mass[i] = p->inv_mass;
        a->id[i] = p->id, a->charge[i] = p->charge, a->colour[i] = p->colour;
        a->age[i] = p->age, a->flags[i] = p->flags;
        break;
    }
#define PUT_BLOCK(B, arr)                                                                       \
    {                                                                                           \
        block##B *q = &st->arr[i / B];                                                          \
        size_t l = i % B;                                                                       \
        q->x[l] = p->x, q->y[l] = p->y, q->z[l] = p->z;                                         \
        q->vx[l] = p->vx, q->vy[l] = p->vy, q->vz[l] = p->vz, q->inv_mass[l] = p->inv_mass;     \
        q->id[l] = p->id, q->charge[l] = p->charge, q->colour[l] = p->colour;                   \
        q->age[l] = p->age, q->flags[l] = p->flags;                                             \
        break;                                                                                  \
    }
    case L_AOSOA8: PUT_BLOCK(8, b8)
    case L_AOSOA16: PUT_BLOCK(16, b16)
    default: break;
    }
}

static void free_layout(state *st)
{
    free(st->aos);
    st->aos = NULL;
    soa_arrays *a = &st->soa;
    free(a->x), free(a->y), free(a->z), free(a->vx), free(a->vy), free(a->vz);
    free(a->inv_mass), free(a->id), free(a->charge), free(a->colour), free(a->age), free(a->flags);
    memset(a, 0, sizeof *a);
    free(st->b8);
    free(st->b16);
    st->b8 = NULL, st->b16 = NULL;
    st->layout = L_NONE;
}

static void build_layout(state *st, enum layout l)
{
    free_layout(st);
    size_t n = st->n;
    st->layout = l;
    st->steps = 0;
    switch (l) {
    /* Every byte is written below, once, into pages made present in one
     * call each (fb_prefault): no zeroing pass, no fault per page. */
    case L_AOS: st->aos = fb_alloc_prefaulted(n * sizeof(particle)); break;
    case L_SOA: {
        soa_arrays *a = &st->soa;
        float **f[] = {&a->x, &a->y, &a->z, &a->vx, &a->vy, &a->vz, &a->inv_mass, &a->charge, &a->age};
        for (size_t k = 0; k < FB_COUNT(f); k++) *f[k] = fb_alloc_prefaulted(n * 4);
        a->id = fb_alloc_prefaulted(n * 4), a->colour = fb_alloc_prefaulted(n * 4);
        a->flags = fb_alloc_prefaulted(n * 4);
        break;
    }
    /* The padding lanes, all in the last block, stay zero. */
    case L_AOSOA8:
        st->blocks = (n + 7) / 8;
        st->b8 = fb_alloc_prefaulted(st->blocks * sizeof(block8));
        memset(&st->b8[st->blocks - 1], 0, sizeof(block8));
        break;
    case L_AOSOA16:
        st->blocks = (n + 15) / 16;
        st->b16 = fb_alloc_prefaulted(st->blocks * sizeof(block16));
        memset(&st->b16[st->blocks - 1], 0, sizeof(block16));
        break;
    default: break;
    }
    fb_rng rng = fb_rng_seeded(st->seed);
    for (size_t i = 0; i < n; i++) {
        particle p;
        draw(&rng, i, &p);
        put_particle(st, i, &p);
    }
}

static enum layout layout_of(const fb_variant *v)
{
    if (!strcmp(v->name, "aos")) return L_AOS;
    if (!strcmp(v->name, "soa")) return L_SOA;
    if (!strcmp(v->name, "aosoa8")) return L_AOSOA8;
    return L_AOSOA16;
}

LAYOUT_SETUP(state)

/* The first repetition of a variant builds its layout (untimed). */
static void prepare(void *p, const fb_variant *v)
{
    state *st = p;
    enum layout l = layout_of(v);
    if (st->layout != l) build_layout(st, l);
}

static bool close_enough(float got, float want)
{
    float scale = fabsf(want) > 1.0f ? fabsf(want) : 1.0f;
    return fabsf(got - want) <= 1e-4f * scale;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    fb_rng rng = fb_rng_seeded(st->seed);
    for (size_t i = 0; i < st->n; i++) {
        particle want, got;
        draw(&rng, i, &want);
        for (uint64_t s = 0; s < st->steps; s++)
            STEP(want.x, want.y, want.z, want.vx, want.vy, want.vz, want.inv_mass);
        get_particle(st, i, &got);
        const float *g = &got.x, *w = &want.x;
        for (int f = 0; f < 7; f++) {
            if (!close_enough(g[f], w[f])) {
                snprintf(why, len, "particle %zu field %d after %llu steps: %.9g, ref %.9g", i,
                         f, (unsigned long long)st->steps, g[f], w[f]);
                return false;
            }
        }
        if (got.id != want.id || got.colour != want.colour || got.flags != want.flags ||
            got.charge != want.charge || got.age != want.age) {
            snprintf(why, len, "particle %zu: an unused field changed", i);
            return false;
        }
    }
    return true;
}

/* FNV-1a over 32-bit words rather than bytes (fb_hash_bytes over 72 MB of
 * state would take longer than the kernel's timed repetitions). */
static uint64_t checksum(void *p)
{
    state *st = p;
    uint64_t h = FB_HASH_INIT;
    for (size_t i = 0; i < st->n; i++) {
        particle q;
        get_particle(st, i, &q);
        const float *f = &q.x;
        for (int k = 0; k < 6; k++) {
            uint32_t w;
            memcpy(&w, &f[k], sizeof w);
            h = (h ^ w) * 0x100000001b3ull;
        }
    }
    return h;
}

static void report(void *p, const fb_variant *v, fb_json *out)
{
    (void)v;
    state *st = p;
    fb_json_int(out, "steps", (long long)st->steps);
    size_t bytes = st->layout == L_AOS       ? st->n * sizeof(particle)
                   : st->layout == L_SOA     ? st->n * 12 * 4
                   : st->layout == L_AOSOA8  ? st->blocks * sizeof(block8)
                                             : st->blocks * sizeof(block16);
    fb_json_int(out, "layout_bytes", (long long)bytes);
}

static void teardown(void *p)
{
    state *st = p;
    free_layout(st);
    free(st);
}

static const fb_variant variants[] = {
    {"aos", run_aos, 0, "array of 48-byte structs: every field's line is loaded"},
    {"soa", run_soa, 0, "one array per field: only used fields stream, vectorizes"},
    {"aosoa8", run_aosoa8, 0, "blocks of 8: each field one 32-byte run per block"},
    {"aosoa16", run_aosoa16, 0, "blocks of 16: each field one cache line per block"},
};

static const fb_kernel kernel = {
    .family = "layout",
    .name = "particles",
    .summary = "particle update: AoS vs SoA vs AoSoA (blocks of 8 and 16)",
    .unit = "particles",
    .sizes = {1003, 20000, 3000000},
    .reps = {1, 50, 5},
    FB_HOOKS(setup, prepare, check, checksum, NULL, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
