/* atomics/seqlock: a multi-word record read by many threads and written by one: seqlock, rwlock, mutex.
 *
 * flagbench-sources: ../common/team.c
 *
 * What it shows
 *   One writer repeatedly publishes a new 8-word record (a version, six data
 *   words and a checksum of those seven); readers copy the record and verify
 *   it.  How do readers get a consistent copy without blocking the writer?
 *   - seqlock:  a sequence counter, odd while a write is in progress.
 *               Readers take no lock: they read the counter, copy the record,
 *               read the counter again and retry if it changed or was odd.
 *               Reads never write shared memory, so readers do not bounce a
 *               cache line among themselves and should scale; a read costs
 *               a retry only when it overlaps a write.
 *   - rwlock:   pthread_rwlock_t: readers share the lock, the writer excludes
 *               them.  Every rdlock/unlock is an atomic RMW on the lock word,
 *               so readers contend on that line even though they never block
 *               each other.  (glibc prefers readers by default, so a writer
 *               can wait behind a stream of readers.)
 *   - mutex:    pthread_mutex_t for readers and writer alike: readers
 *               serialize.  The baseline the other two try to beat.
 *   The seqlock in C11, after Hans Boehm, "Can seqlocks get along with
 *   programming language memory models?" (MSPC 2012): the classic plain-load
 *   copy is a data race (undefined behaviour) even though it is discarded on
 *   retry, so the record's words are relaxed atomics (still plain `mov` /
 *   `ldr`).  Reader: seq load (acquire), relaxed data loads, fence(acquire),
 *   seq load (relaxed).  Writer: seq = odd (relaxed), fence(release), relaxed
 *   data stores, seq = even (release).  If a reader sees any new data word,
 *   the fences synchronize and its second seq load sees the odd value.  On
 *   x86 the fences are free; on aarch64 they are `dmb ishld` / `dmb ish`.
 *   Threads: thread 0 writes, every other thread does n reads; the writer is
 *   paced at one write per 64 reads of the first reader.  With --threads 1
 *   one thread does both (the cost of the protocol alone).  Reader scaling
 *   needs more than two cores (or --threads 5, oversubscribed, where the
 *   lock-free readers should win clearly).  Readers that keep finding a
 *   write in progress yield (common/spin.h).  Threads are pinned when there
 *   are enough CPUs (common/team.h); the timed part includes waking them.
 * Sizes: n = reads per reader: test 20003, train 60001, ref 300000; items =
 *   all reads and writes.  Everything is in L1; what is measured is how many
 *   lines bounce.
 * Sensitive to: threads; compiler/march on aarch64 (the fences); on x86 opt,
 *   march and lto change little.
 * Correctness: every read checks the record's own checksum (a torn copy
 *   fails) and that versions never go backwards; the final record must equal
 *   the reference for the last version; the checksum hashes it.  TSan builds
 *   use a fence-free formulation (TSan does not model fences).  The rwlock and
 *   mutex records are guarded_by their lock (-Wthread-safety, lib/sync.h).
 */
#include "harness.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/team.h"
#include "lib/sync.h"

#define RECORD_WORDS 8 /* [0] version, [1..6] data, [7] checksum of [0..6] */
#define READS_PER_WRITE 64

static inline uint64_t record_sum(const uint64_t *r)
{
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < RECORD_WORDS - 1; i++) h = (h ^ r[i]) * 0x100000001b3ull + (h >> 29);
    return h;
}

/* The writer's "think" time: building the next record, outside any lock. */
static inline void make_record(uint64_t version, uint64_t *r)
{
    r[0] = version;
    for (int i = 1; i < RECORD_WORDS - 1; i++) r[i] = fb_mix64(version * RECORD_WORDS + (uint64_t)i);
    r[RECORD_WORDS - 1] = record_sum(r);
}

/* Per reader: how its reads went (written by the reader, read after the join). */
typedef struct {
    _Alignas(64) uint64_t reads, torn, backwards, retries, last_version;
} reader_stats;

static inline void verify(const uint64_t *r, reader_stats *rs)
{
    rs->torn += record_sum(r) != r[RECORD_WORDS - 1];
    rs->backwards += r[0] < rs->last_version;
    rs->last_version = r[0];
    rs->reads++;
}

/* ---- the three shared records ------------------------------------------------ */
static struct {
    _Alignas(64) _Atomic uint32_t seq; /* odd: a write is in progress */
    _Alignas(64) _Atomic uint64_t rec[RECORD_WORDS];
} g_seqlock;

static _Alignas(64) fb_rwlock g_rwlock = FB_RWLOCK_INIT;
static _Alignas(64) uint64_t g_rwlock_rec[RECORD_WORDS] FB_GUARDED_BY(g_rwlock);

static _Alignas(64) fb_mutex g_mutex = FB_MUTEX_INIT;
static _Alignas(64) uint64_t g_mutex_rec[RECORD_WORDS] FB_GUARDED_BY(g_mutex);

/* TSan does not model fences (common/spin.h).  A TSan build uses the other
 * correct formulation: release data stores and acquire data loads (a reader
 * whose acquire load sees a new word synchronizes with the writer's store,
 * after which the odd seq is visible to its second seq load).  On x86 both
 * forms are plain movs; on aarch64 this one costs an ldar per word instead
 * of one dmb.  The normal builds measure the fences. */
#if FB_TSAN
#define DATA_STORE memory_order_release
#define DATA_LOAD memory_order_acquire
#define FENCE(order) ((void)0)
#else
#define DATA_STORE memory_order_relaxed
#define DATA_LOAD memory_order_relaxed
#define FENCE(order) atomic_thread_fence(order)
#endif

/* seqlock: single writer, so it may read seq relaxed (only it writes seq). */
static inline void seqlock_write(const uint64_t *r)
{
    uint32_t s = atomic_load_explicit(&g_seqlock.seq, memory_order_relaxed);
    atomic_store_explicit(&g_seqlock.seq, s + 1, memory_order_relaxed);
    /* Orders the odd seq before the data stores, for any reader that sees a
     * data store and then executes its acquire fence. */
    FENCE(memory_order_release);
    for (int i = 0; i < RECORD_WORDS; i++) atomic_store_explicit(&g_seqlock.rec[i], r[i], DATA_STORE);
    /* Release: a reader that acquires this even value sees all the data. */
    atomic_store_explicit(&g_seqlock.seq, s + 2, memory_order_release);
}

static inline void seqlock_read(uint64_t *r, reader_stats *rs)
{
    unsigned budget = 0;
    for (;;) {
        /* Acquire: the data loads below cannot move above it, and they see
         * at least the record published with this even value. */
        uint32_t s0 = atomic_load_explicit(&g_seqlock.seq, memory_order_acquire);
        if (s0 & 1) {
            rs->retries++;
            spin_wait(&budget);
            continue;
        }
        for (int i = 0; i < RECORD_WORDS; i++) r[i] = atomic_load_explicit(&g_seqlock.rec[i], DATA_LOAD);
        /* Keeps the data loads before the second seq load (see the top). */
        FENCE(memory_order_acquire);
        uint32_t s1 = atomic_load_explicit(&g_seqlock.seq, memory_order_relaxed);
        if (s0 == s1) return;
        rs->retries++;
        spin_wait(&budget);
    }
}

/* The lock-based variants: the whole record copied under the lock (shared
 * for the rwlock's readers). */
#define LOCKED_RECORD(name, lock, rec, WRITE_LOCK, WRITE_UNLOCK, READ_LOCK, READ_UNLOCK)       \
    static inline void name##_write(const uint64_t *r)                                         \
    {                                                                                          \
        WRITE_LOCK(&lock);                                                                     \
        memcpy(rec, r, sizeof rec);                                                            \
        WRITE_UNLOCK(&lock);                                                                   \
    }                                                                                          \
    static inline void name##_read(uint64_t *r, reader_stats *rs)                              \
    {                                                                                          \
        (void)rs;                                                                              \
        READ_LOCK(&lock);                                                                      \
        memcpy(r, rec, sizeof rec);                                                            \
        READ_UNLOCK(&lock);                                                                    \
    }
LOCKED_RECORD(rwlock, g_rwlock, g_rwlock_rec, fb_rwlock_wrlock, fb_rwlock_wrunlock, fb_rwlock_rdlock,
              fb_rwlock_rdunlock)
LOCKED_RECORD(mutex, g_mutex, g_mutex_rec, fb_mutex_lock, fb_mutex_unlock, fb_mutex_lock, fb_mutex_unlock)

/* ---- the workload: one hot function per variant ------------------------------ */
typedef enum { ROLE_WRITER, ROLE_READER, ROLE_PACER, ROLE_BOTH } role;

/* Reads done by the first reader (the pacer), published every
 * READS_PER_WRITE reads; the writer makes write k once it reaches
 * k * READS_PER_WRITE, so the writes are spread over the whole run.  Relaxed:
 * it carries no data, only pacing. */
static struct {
    _Alignas(64) _Atomic uint64_t reads;
} g_progress;

#define WORKLOAD(v)                                                                            \
    FB_HOT void seqlock_##v(role who, uint64_t reads, uint64_t writes, reader_stats *rs)      \
    {                                                                                          \
        uint64_t r[RECORD_WORDS];                                                              \
        if (who == ROLE_WRITER) {                                                              \
            for (uint64_t k = 1; k <= writes; k++) {                                           \
                unsigned budget = 0;                                                           \
                uint64_t need = k * READS_PER_WRITE < reads ? k * READS_PER_WRITE : reads;     \
                while (atomic_load_explicit(&g_progress.reads, memory_order_relaxed) < need)   \
                    spin_wait(&budget);                                                        \
                make_record(k, r);                                                             \
                v##_write(r);                                                                  \
                fb_stress_point();                                                             \
            }                                                                                  \
            return;                                                                            \
        }                                                                                      \
        uint64_t written = 0;                                                                  \
        for (uint64_t i = 0; i < reads; i++) {                                                 \
            if (i % READS_PER_WRITE == 0) {                                                    \
                if (who == ROLE_PACER)                                                         \
                    atomic_store_explicit(&g_progress.reads, i, memory_order_relaxed);         \
                if (who == ROLE_BOTH && written < writes) {                                    \
                    make_record(++written, r);                                                 \
                    v##_write(r);                                                              \
                }                                                                              \
            }                                                                                  \
            v##_read(r, rs);                                                                   \
            verify(r, rs);                                                                     \
            fb_stress_point();                                                                 \
        }                                                                                      \
        if (who == ROLE_PACER) atomic_store_explicit(&g_progress.reads, reads, memory_order_relaxed); \
    }
WORKLOAD(seqlock)
WORKLOAD(rwlock)
WORKLOAD(mutex)

typedef void (*workload_fn)(role, uint64_t, uint64_t, reader_stats *);

typedef struct {
    uint64_t n, writes;
    int threads;
    team *team;
    workload_fn fn;
    reader_stats *stats; /* one per thread (the writer's stays empty) */
    uint64_t final[RECORD_WORDS];
} state;

static void work(void *arg, int tid, int nt)
{
    state *st = arg;
    role who = nt == 1 ? ROLE_BOTH : tid == 0 ? ROLE_WRITER : tid == 1 ? ROLE_PACER : ROLE_READER;
    st->fn(who, st->n, st->writes, &st->stats[tid]);
}

/* The final record, read after the join through each variant's own protocol. */
static void read_final(const char *variant, uint64_t *r)
{
    reader_stats scratch = {0};
    if (!strcmp(variant, "seqlock")) seqlock_read(r, &scratch);
    else if (!strcmp(variant, "rwlock")) rwlock_read(r, &scratch);
    else mutex_read(r, &scratch);
}

#define RUNNER(v)                                                                              \
    static void run_##v(void *p)                                                               \
    {                                                                                          \
        state *st = p;                                                                         \
        st->fn = seqlock_##v;                                                                  \
        team_run(st->team, work, st);                                                          \
        read_final(#v, st->final);                                                             \
    }
RUNNER(seqlock) RUNNER(rwlock) RUNNER(mutex)

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    st->writes = ctx->n / READS_PER_WRITE ? ctx->n / READS_PER_WRITE : 1;
    st->threads = ctx->threads;
    st->stats = fb_calloc((size_t)st->threads, sizeof *st->stats);
    st->team = team_create_spread(st->threads);
    return st;
}

/* Every variant starts from record version 0, its lock free. */
static void prepare(void *p, const fb_variant *v)
{
    (void)v;
    state *st = p;
    uint64_t r[RECORD_WORDS];
    make_record(0, r);
    atomic_store_explicit(&g_seqlock.seq, 0, memory_order_relaxed);
    for (int i = 0; i < RECORD_WORDS; i++) atomic_store_explicit(&g_seqlock.rec[i], r[i], memory_order_relaxed);
    rwlock_write(r);
    mutex_write(r);
    atomic_store_explicit(&g_progress.reads, 0, memory_order_relaxed);
    memset(st->stats, 0, (size_t)st->threads * sizeof *st->stats);
    memset(st->final, 0, sizeof st->final);
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    uint64_t reads = 0, torn = 0, backwards = 0;
    for (int t = 0; t < st->threads; t++) {
        reads += st->stats[t].reads;
        torn += st->stats[t].torn;
        backwards += st->stats[t].backwards;
    }
    uint64_t readers = st->threads == 1 ? 1 : (uint64_t)st->threads - 1;
    if (torn || backwards) {
        snprintf(why, len, "%llu torn reads (checksum mismatch) and %llu reads that went back in version",
                 (unsigned long long)torn, (unsigned long long)backwards);
        return false;
    }
    if (reads != st->n * readers) {
        snprintf(why, len, "%llu reads done, expected %llu", (unsigned long long)reads,
                 (unsigned long long)(st->n * readers));
        return false;
    }
    uint64_t want[RECORD_WORDS];
    make_record(st->writes, want);
    if (memcmp(want, st->final, sizeof want)) {
        snprintf(why, len, "final record has version %llu, expected %llu (or its fields differ)",
                 (unsigned long long)st->final[0], (unsigned long long)st->writes);
        return false;
    }
    return true;
}

FB_CHECKSUM(st->final, sizeof st->final)

static double items(void *p)
{
    state *st = p;
    uint64_t readers = st->threads == 1 ? 1 : (uint64_t)st->threads - 1;
    return (double)(st->n * readers + st->writes);
}

static void report(void *p, const fb_variant *v, fb_json *out)
{
    state *st = p;
    if (strcmp(v->name, "seqlock")) return;
    uint64_t retries = 0;
    for (int t = 0; t < st->threads; t++) retries += st->stats[t].retries;
    fb_json_int(out, "retries", (long long)retries);
}

static void teardown(void *p)
{
    state *st = p;
    team_destroy(st->team);
    free(st->stats);
    free(st);
}

static const fb_variant variants[] = {
    {"seqlock", run_seqlock, 0, "sequence counter, lock-free readers that retry; C11-correct orderings"},
    {"rwlock", run_rwlock, 0, "pthread_rwlock_t: shared readers, but every read is an RMW on the lock"},
    {"mutex", run_mutex, 0, "pthread_mutex_t: readers serialize"},
};

static const fb_kernel kernel = {
    .family = "atomics",
    .name = "seqlock",
    .summary = "read-mostly multi-word record: seqlock vs pthread rwlock vs mutex",
    .unit = "operations",
    .concurrent = true,
    .sizes = {20003, 60001, 300000},
    .reps = {1, 5, 5},
    FB_HOOKS(setup, prepare, check, checksum, items, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)
