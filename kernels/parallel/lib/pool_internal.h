/* parallel/lib/pool_internal.h: the helpers and types every part of the pool shares (a part of lib/pool.c). */
#ifndef POOL_PARTS
#error "a part of lib/pool.c, compiled only inside it"
#endif

/* ---- small helpers -------------------------------------------------------- */

static _Noreturn void pool_die(const char *what)
{
    fprintf(stderr, "parallel/pool: %s\n", what);
    abort();
}

static void *pool_alloc(size_t bytes)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, (bytes + 63) & ~(size_t)63) != 0) pool_die("out of memory");
    return p;
}

/* A counter only its own worker writes: a relaxed load and store, no locked
 * RMW.  Readers (pool_stats_get) use relaxed loads; the exactness promised in
 * pool.h comes from the job-completion release/acquire chain, not from here. */
static inline void stat_inc(atomic_ulong *c)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

/* ---- types ------------------------------------------------------------------ */

typedef struct worker worker;

/* A job lives in the stack frame of the pool_join that pushed it; that frame
 * does not return before `done` is set, so a thief may use it until then. */
typedef struct pool_job {
    void (*fn)(void *);
    void *arg;
    worker *owner; /* who waits for it: woken when a thief completes it */
    atomic_uint done;
} pool_job;

struct worker {
    ws_deque dq; /* first: its two index lines lead the struct */

    /* Sleeping: written by wakers too, so away from the owner-only fields. */
    alignas(64) atomic_uint wake_seq; /* the futex word: bumped by every wake */
    atomic_int sleeping;              /* 1 from just before parking until claimed or awake */

    /* Owner-only (worker 0: whichever external thread holds pool->enter). */
    alignas(64) uint64_t rng;
    atomic_ulong tasks, steals, parks, grows;
    pool *pool;
    int index;
    pthread_t thread;
};

struct pool {
    int n;
    worker *w;
    pthread_mutex_t enter; /* serializes external callers, who act as worker 0 */
    unsigned spin_rounds;  /* see backoff() */
    alignas(64) atomic_int sleepers; /* threads between "sleeping = 1" and waking */
    atomic_int stop;
};

/* The worker the current thread is acting as (NULL outside any pool). */
static _Thread_local worker *tls_self;

/* Small so every test exercises the growth path; a deque grows once to the
 * join depth (log2 of the pieces) and then stays. */
enum { DQ_INITIAL_CAP = 4 };
