/* sched/numa: first-touch page placement: memory initialised by the thread that uses it vs by one thread.
 *
 * flagbench-sources: ../common/team.c
 * flagbench-needs: numa
 *
 * What it shows
 *   Under the default memory policy Linux places an anonymous page on the
 *   NUMA node of the CPU that first touches it, not where malloc/mmap was
 *   called (automatic NUMA balancing may move it later).  Here a large
 *   array is split into one page-aligned chunk per thread, placed (mapped
 *   fresh and written) before the timed part, and then every thread streams
 *   through its own chunk summing it.  Threads are pinned to CPUs (spread
 *   over the allowed ones), so "the thread that uses a chunk" stays put.
 *   - first_touch: each thread writes its own chunk first, so on a NUMA
 *              machine every chunk lands on its reader's node.
 *   - one_thread: the main thread writes the whole array first (serial
 *              initialisation, parallel use: the common accident), so threads
 *              on other nodes stream over the interconnect.
 *   - libnuma: (only when built with libnuma) with more than one node, binds
 *              each chunk to its thread's node with numa_tonode_memory()
 *              before the thread writes it: explicit placement, which
 *              survives a later migration.  With one node it behaves like
 *              first_touch.
 *   On a single-node machine all three should time the same.  The JSON line
 *   reports numa_nodes and place_ns (the untimed placement: one_thread
 *   faults every page from one thread).  Placement happens in the untimed
 *   prepare step, once per variant, on a fresh mmap; threads are created and
 *   pinned in setup, and the timed part includes waking them.
 * Sizes: n = array elements (uint64): test 100003, train 2000003, ref
 *   12000000 (92 MiB: beyond a typical L3, so ref streams from DRAM).
 * Sensitive to: the machine's NUMA topology above all; opt, march and
 *   compiler change the summing loop (scalar with GCC -O2, vectorized by
 *   Clang or at -O3) but at ref it is bandwidth-bound; threads.
 * Correctness: the total (a wrapping uint64 sum of every element, whose
 *   values come from a hash of their index and the seed) is compared with a
 *   serial reference sum; the checksum hashes it.
 */
#include "harness.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/team.h"

#if FB_HAVE_NUMA
#include <numa.h>
#endif

static inline uint64_t value_at(uint64_t seed, size_t i)
{
    return fb_mix64(seed * 0x9e3779b97f4a7c15ull + i);
}

/* ---- the timed part: stream over one chunk ---------------------------------- */
#define SUM_FN(variant)                                                                        \
    FB_HOT uint64_t numa_##variant(const uint64_t *a, size_t len)                              \
    {                                                                                          \
        uint64_t s = 0;                                                                        \
        for (size_t i = 0; i < len; i++) s += a[i];                                            \
        return s;                                                                              \
    }
SUM_FN(first_touch)
SUM_FN(one_thread)
#if FB_HAVE_NUMA
SUM_FN(libnuma)
#endif

typedef uint64_t (*sum_fn)(const uint64_t *, size_t);

typedef enum { PLACE_FIRST_TOUCH, PLACE_ONE_THREAD, PLACE_LIBNUMA } placement;

typedef struct {
    _Alignas(64) uint64_t sum; /* written by its thread, read after the join */
} partial;

typedef struct {
    size_t n, bytes, page_elems;
    uint64_t seed;
    uint64_t *a;      /* mmap'ed, placed per variant */
    int placed;       /* the placement a currently holds, -1 = none */
    int threads;
    int *cpu_of;      /* thread -> CPU it is pinned to */
    int *node_of;     /* thread -> NUMA node of that CPU (-1: unknown) */
    team *team;
    sum_fn fn;
    partial *part;
    uint64_t total, place_ns;
    int numa_nodes, numa_avail;
    _Atomic int chunks_bound;
} state;

/* Thread tid's chunk, in whole pages so that first touch decides each page. */
static void chunk(const state *st, int tid, int nt, size_t *lo, size_t *hi)
{
    size_t pages = (st->n + st->page_elems - 1) / st->page_elems;
    size_t p0 = pages * (size_t)tid / (size_t)nt, p1 = pages * (size_t)(tid + 1) / (size_t)nt;
    *lo = p0 * st->page_elems < st->n ? p0 * st->page_elems : st->n;
    *hi = p1 * st->page_elems < st->n ? p1 * st->page_elems : st->n;
}

static void fill(state *st, size_t lo, size_t hi)
{
    for (size_t i = lo; i < hi; i++) st->a[i] = value_at(st->seed, i);
}

/* ---- placement (untimed) ------------------------------------------------------ */
static void touch_own_chunk(void *arg, int tid, int nt)
{
    state *st = arg;
    size_t lo, hi;
    chunk(st, tid, nt, &lo, &hi);
#if FB_HAVE_NUMA
    if (st->placed == PLACE_LIBNUMA && st->numa_nodes > 1 && hi > lo) {
        int node = st->node_of[tid];
        if (node >= 0) {
            numa_tonode_memory(st->a + lo, (hi - lo) * sizeof *st->a, node);
            atomic_fetch_add_explicit(&st->chunks_bound, 1, memory_order_relaxed);
        }
    }
#endif
    /* Populating is a first touch by this thread: the pages land where its
     * writes would put them (and where numa_tonode_memory bound them). */
    fb_prefault(st->a + lo, (hi - lo) * sizeof *st->a);
    fill(st, lo, hi);
}

static void place(state *st, placement how)
{
    if (st->a) munmap(st->a, st->bytes);
    st->a = mmap(NULL, st->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (st->a == MAP_FAILED) {
        fprintf(stderr, "sched/numa: cannot map %zu bytes\n", st->bytes);
        exit(1);
    }
    st->placed = (int)how;
    atomic_store_explicit(&st->chunks_bound, 0, memory_order_relaxed);
    uint64_t t0 = fb_now_ns();
    if (how == PLACE_ONE_THREAD) {
        fb_prefault(st->a, st->bytes);
        fill(st, 0, st->n);
    } else {
        team_run(st->team, touch_own_chunk, st);
    }
    st->place_ns = fb_now_ns() - t0;
}

/* ---- runs ------------------------------------------------------------------------ */
static void stream(void *arg, int tid, int nt)
{
    state *st = arg;
    size_t lo, hi;
    chunk(st, tid, nt, &lo, &hi);
    st->part[tid].sum = st->fn(st->a + lo, hi - lo);
}

#define RUNNER(variant)                                                                        \
    static void run_##variant(void *p)                                                         \
    {                                                                                          \
        state *st = p;                                                                         \
        st->fn = numa_##variant;                                                               \
        team_run(st->team, stream, st);                                                        \
        uint64_t total = 0;                                                                    \
        for (int t = 0; t < st->threads; t++) total += st->part[t].sum;                        \
        st->total = total;                                                                     \
    }
RUNNER(first_touch) RUNNER(one_thread)
#if FB_HAVE_NUMA
RUNNER(libnuma)
#endif

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    st->seed = ctx->seed;
    st->threads = ctx->threads;
    long page = sysconf(_SC_PAGESIZE);
    st->page_elems = (size_t)(page > 0 ? page : 4096) / sizeof(uint64_t);
    st->bytes = st->n * sizeof(uint64_t);
    st->placed = -1;
    st->part = fb_calloc((size_t)st->threads, sizeof *st->part);

    /* Pin thread i to the i-th allowed CPU (wrapping): the reader of a chunk
     * must stay where the chunk was placed. */
    int *allowed = fb_alloc(CPU_SETSIZE * sizeof *allowed);
    int ncpu = team_allowed_cpus(allowed, CPU_SETSIZE);
    if (ncpu < 1) allowed[0] = 0, ncpu = 1;
    st->cpu_of = fb_alloc((size_t)st->threads * sizeof *st->cpu_of);
    for (int i = 0; i < st->threads; i++) st->cpu_of[i] = allowed[i % ncpu];
    free(allowed);
    st->team = team_create(st->threads, st->cpu_of);

    st->numa_nodes = 1;
    st->numa_avail = -1;
#if FB_HAVE_NUMA
    /* numa_available() must come first; the other calls are undefined when
     * it returns -1 (no NUMA support in the kernel or not permitted). */
    st->numa_avail = numa_available();
    if (st->numa_avail >= 0) st->numa_nodes = numa_num_configured_nodes();
#endif
    /* Looked up here, single-threaded: libnuma's lookups fill internal
     * caches and are not meant to be raced. */
    st->node_of = fb_alloc((size_t)st->threads * sizeof *st->node_of);
    for (int i = 0; i < st->threads; i++) {
        st->node_of[i] = 0;
#if FB_HAVE_NUMA
        if (st->numa_nodes > 1) st->node_of[i] = numa_node_of_cpu(st->cpu_of[i]);
#endif
    }
    return st;
}

static void prepare(void *p, const fb_variant *v)
{
    state *st = p;
    placement how = !strcmp(v->name, "one_thread") ? PLACE_ONE_THREAD
                    : !strcmp(v->name, "libnuma")  ? PLACE_LIBNUMA
                                                   : PLACE_FIRST_TOUCH;
    if (st->placed != (int)how) place(st, how);
    st->total = 0;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    uint64_t want = 0;
    for (size_t i = 0; i < st->n; i++) want += value_at(st->seed, i);
    if (st->total != want) {
        snprintf(why, len, "sum %016llx, expected %016llx", (unsigned long long)st->total,
                 (unsigned long long)want);
        return false;
    }
    return true;
}

static uint64_t checksum(void *p) { return fb_hash_u64(((state *)p)->total); }

static void report(void *p, const fb_variant *v, fb_json *out)
{
    state *st = p;
    fb_json_int(out, "numa_nodes", st->numa_nodes);
    fb_json_int(out, "place_ns", (long long)st->place_ns);
    fb_json_int(out, "pinned", team_pinned(st->team));
    if (!strcmp(v->name, "libnuma")) {
        fb_json_int(out, "numa_available", st->numa_avail);
        fb_json_int(out, "chunks_bound", atomic_load_explicit(&st->chunks_bound, memory_order_relaxed));
    }
}

static void teardown(void *p)
{
    state *st = p;
    team_destroy(st->team);
    if (st->a) munmap(st->a, st->bytes);
    free(st->cpu_of);
    free(st->node_of);
    free(st->part);
    free(st);
}

static const fb_variant variants[] = {
    {"first_touch", run_first_touch, 0, "each thread first writes the chunk it later reads: local pages"},
    {"one_thread", run_one_thread, 0, "one thread writes everything first: all pages on its node"},
#if FB_HAVE_NUMA
    {"libnuma", run_libnuma, 0, "chunks bound to their thread's node with numa_tonode_memory (if >1 node)"},
#endif
};

static const fb_kernel kernel = {
    .family = "sched",
    .name = "numa",
    .summary = "first-touch NUMA placement: parallel vs serial initialisation, libnuma binding",
    .unit = "elements",
    .concurrent = true,
    .sizes = {100003, 2000003, 12000000},
    .reps = {1, 5, 10},
    FB_HOOKS(setup, prepare, check, checksum, NULL, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
