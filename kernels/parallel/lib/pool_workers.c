/* parallel/lib/pool_workers.c: the workers: stealing, the worker loop, creating and destroying a pool, its counters (a part of lib/pool.c). */
#ifndef POOL_PARTS
#error "a part of lib/pool.c, compiled only inside it"
#endif

/* ---- the workers ------------------------------------------------------------------- */

static inline uint64_t next_rand(worker *w)
{
    /* xorshift64*: victim choice needs speed, not quality. */
    uint64_t x = w->rng;
    x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
    w->rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* One job from another worker's deque, or NULL after a sweep that found all
 * of them empty.  The sweep starts at a random victim, so thieves spread out
 * instead of all queueing on worker 0; a lost CAS means there was work, so
 * that sweep is repeated. */
static pool_job *steal_any(worker *w)
{
    pool *p = w->pool;
    if (p->n == 1) return NULL;
    for (;;) {
        bool lost = false;
        unsigned start = (unsigned)(next_rand(w) % (uint64_t)p->n);
        for (int k = 0; k < p->n; k++) {
            int v = (int)((start + (unsigned)k) % (unsigned)p->n);
            if (v == w->index) continue;
            void *j;
            int r = ws_steal(&p->w[v].dq, &j);
            if (r == WS_STEAL_OK) {
                stat_inc(&w->steals);
                return j;
            }
            if (r == WS_STEAL_LOST) lost = true;
        }
        if (!lost) return NULL;
        fb_stress_point();
    }
}

static void run_stolen(worker *w, pool_job *j)
{
    worker *owner = j->owner; /* read now: j may vanish once done is set */
    j->fn(j->arg);
    stat_inc(&w->tasks); /* before the release below, so pool_stats_get is exact */
    /* release: the owner's acquire of done sees everything the job wrote. */
    atomic_store_explicit(&j->done, 1, memory_order_release);
    /* F2 for the completion: orders the store of done before the load of the
     * owner's sleeping flag (Dekker with F1 in idle_sleep). */
    atomic_thread_fence(memory_order_seq_cst);
    try_wake(owner);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    pool *p = w->pool;
    tls_self = w;
    unsigned idle = 0;
    /* acquire: pairs with pool_destroy's release store (nothing is published
     * with it, but it keeps the exit after everything destroy did before). */
    while (!atomic_load_explicit(&p->stop, memory_order_acquire)) {
        pool_job *j = steal_any(w);
        if (j) {
            run_stolen(w, j);
            idle = 0;
            continue;
        }
        if (backoff(p, &idle)) idle_sleep(w, NULL);
        fb_stress_point();
    }
    return NULL;
}

pool *pool_create(int threads)
{
    if (threads < 1) threads = 1;
    pool *p = pool_alloc(sizeof *p);
    memset(p, 0, sizeof *p);
    p->n = threads;
    p->w = pool_alloc((size_t)threads * sizeof *p->w);
    memset(p->w, 0, (size_t)threads * sizeof *p->w);
    pthread_mutex_init(&p->enter, NULL);
    cpu_set_t cpus;
    int ncpu = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
    p->spin_rounds = threads <= ncpu ? SPIN_ROUNDS : SPIN_ROUNDS_OVERSUBSCRIBED;
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->stop, 0);
    for (int i = 0; i < threads; i++) {
        worker *w = &p->w[i];
        ws_init(&w->dq, DQ_INITIAL_CAP);
        atomic_init(&w->wake_seq, 0);
        atomic_init(&w->sleeping, 0);
        atomic_init(&w->tasks, 0);
        atomic_init(&w->steals, 0);
        atomic_init(&w->parks, 0);
        atomic_init(&w->grows, 0);
        w->rng = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1) | 1;
        w->pool = p;
        w->index = i;
    }
    /* pthread_create orders everything above before each worker starts. */
    for (int i = 1; i < threads; i++)
        if (pthread_create(&p->w[i].thread, NULL, worker_main, &p->w[i]) != 0)
            pool_die("cannot start a worker thread");
    return p;
}

void pool_destroy(pool *p)
{
    if (!p) return;
    /* release: see worker_main. */
    atomic_store_explicit(&p->stop, 1, memory_order_release);
    /* Unconditional wakes: a sleeper either reads the bumped wake_seq (and
     * then, by acquire, stop == 1) or its futex_wait sees the change or the
     * wake (see "Sleeping"). */
    for (int i = 1; i < p->n; i++) wake(&p->w[i]);
    for (int i = 1; i < p->n; i++) pthread_join(p->w[i].thread, NULL);
    for (int i = 0; i < p->n; i++) ws_free(&p->w[i].dq);
    pthread_mutex_destroy(&p->enter);
    free(p->w);
    free(p);
}

int pool_threads(const pool *p) { return p->n; }

void pool_stats_get(const pool *p, pool_stats *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < p->n; i++) {
        worker *w = &p->w[i];
        out->tasks += atomic_load_explicit(&w->tasks, memory_order_relaxed);
        out->steals += atomic_load_explicit(&w->steals, memory_order_relaxed);
        out->parks += atomic_load_explicit(&w->parks, memory_order_relaxed);
        out->grows += atomic_load_explicit(&w->grows, memory_order_relaxed);
    }
}

pool_stats pool_stats_since(const pool *p, pool_stats *last)
{
    pool_stats now, d;
    pool_stats_get(p, &now);
    d.tasks = now.tasks - last->tasks;
    d.steals = now.steals - last->steals;
    d.parks = now.parks - last->parks;
    d.grows = now.grows - last->grows;
    *last = now;
    return d;
}
